/* Model registry and the two first architectures: torchvision's ResNet-18 (He et al. 2016,
 * "Deep Residual Learning for Image Recognition"; module names as torchvision 0.14) and the
 * study's small CNN. */
#include <stdio.h>
#include <string.h>

#include "models/internal.h"
#include "nn/internal.h"

enum { ARCH_RESNET18, ARCH_CNN };

typedef struct block {
  glia__conv_bn c1, c2, down;
  int has_down;
} block;

struct glia_model {
  int arch, in_channels, classes;
  glia_params *p;
  glia__conv_bn stem;    /* resnet: conv1/bn1 */
  block blocks[8];       /* resnet: layer1.0 … layer4.1 */
  glia__conv_bn feat[4]; /* cnn: features */
  glia_tensor *fc_w, *fc_b;
};

const char *glia_model_archs(void) { return "resnet18, cnn"; }

void glia_model_free(glia_model *m) {
  if (!m) return;
  glia_params_free(m->p);
  glia_free(m);
}

glia_params *glia_model_params(glia_model *m) { return m->p; }

static glia_status resnet18_declare(glia_model *m) {
  glia_status s = glia__conv_bn_add(m->p, &m->stem, "conv1", "bn1", m->in_channels, 64, 7, 2, 3, 0);
  int in = 64;
  for (int l = 0; l < 4 && !s; l++) {
    int planes = 64 << l;
    for (int k = 0; k < 2 && !s; k++) {
      block *b = &m->blocks[2 * l + k];
      int stride = (k == 0 && l > 0) ? 2 : 1;
      char conv[64], bn[64];
      snprintf(conv, sizeof conv, "layer%d.%d.conv1", l + 1, k);
      snprintf(bn, sizeof bn, "layer%d.%d.bn1", l + 1, k);
      s = glia__conv_bn_add(m->p, &b->c1, conv, bn, in, planes, 3, stride, 1, 0);
      snprintf(conv, sizeof conv, "layer%d.%d.conv2", l + 1, k);
      snprintf(bn, sizeof bn, "layer%d.%d.bn2", l + 1, k);
      if (!s) s = glia__conv_bn_add(m->p, &b->c2, conv, bn, planes, planes, 3, 1, 1, 0);
      b->has_down = stride != 1 || in != planes;
      if (!s && b->has_down) {
        snprintf(conv, sizeof conv, "layer%d.%d.downsample.0", l + 1, k);
        snprintf(bn, sizeof bn, "layer%d.%d.downsample.1", l + 1, k);
        s = glia__conv_bn_add(m->p, &b->down, conv, bn, in, planes, 1, stride, 0, 0);
      }
      in = planes;
    }
  }
  if (!s) s = glia_params_add(m->p, "fc.weight", 2, (int64_t[]){m->classes, 512}, 1, &m->fc_w);
  if (!s) s = glia_params_add(m->p, "fc.bias", 1, (int64_t[]){m->classes}, 1, &m->fc_b);
  return s;
}

static glia_status cnn_declare(glia_model *m) {
  glia_status s = GLIA_OK;
  int in = m->in_channels;
  for (int i = 0; i < 4 && !s; i++) {
    char conv[32], bn[32];
    snprintf(conv, sizeof conv, "features.%d", 4 * i);
    snprintf(bn, sizeof bn, "features.%d", 4 * i + 1);
    s = glia__conv_bn_add(m->p, &m->feat[i], conv, bn, in, 32 << i, 3, 1, 1, 1);
    in = 32 << i;
  }
  if (!s)
    s = glia_params_add(m->p, "classifier.weight", 2, (int64_t[]){m->classes, 256}, 1, &m->fc_w);
  if (!s) s = glia_params_add(m->p, "classifier.bias", 1, (int64_t[]){m->classes}, 1, &m->fc_b);
  return s;
}

glia_status glia_model_new(const char *arch, int in_channels, int classes, glia_model **out) {
  *out = NULL;
  int kind = !strcmp(arch, "resnet18") ? ARCH_RESNET18 : !strcmp(arch, "cnn") ? ARCH_CNN : -1;
  if (kind < 0)
    return glia_error(GLIA_ERR_ARGUMENT, "model: unknown architecture '%s' (known: %s)", arch,
                      glia_model_archs());
  if (in_channels < 1 || classes < 1 || in_channels > 4096 || classes > 1000000)
    return glia_error(GLIA_ERR_ARGUMENT, "model: %d input channels and %d classes, expected >= 1",
                      in_channels, classes);
  glia_model *m = glia_calloc(1, sizeof *m);
  if (!m) return glia_error(GLIA_ERR_NOMEM, "model: out of memory");
  m->arch = kind;
  m->in_channels = in_channels;
  m->classes = classes;
  glia_status s = glia_params_new(&m->p);
  if (!s) s = kind == ARCH_RESNET18 ? resnet18_declare(m) : cnn_declare(m);
  if (!s) s = glia_params_finalize(m->p);
  if (s) {
    glia_model_free(m);
    return s;
  }
  glia__conv_bn *all[21];
  int n = 0;
  if (kind == ARCH_RESNET18) {
    all[n++] = &m->stem;
    for (int i = 0; i < 8; i++) {
      all[n++] = &m->blocks[i].c1;
      all[n++] = &m->blocks[i].c2;
      if (m->blocks[i].has_down) all[n++] = &m->blocks[i].down;
    }
  } else {
    for (int i = 0; i < 4; i++) all[n++] = &m->feat[i];
  }
  for (int i = 0; i < n; i++) glia__conv_bn_defaults(all[i]);
  *out = m;
  return GLIA_OK;
}

void glia_model_init(glia_model *m, glia_nn *nn) {
  if (m->arch == ARCH_RESNET18) {
    glia__kaiming_fan_out(nn, m->stem.w);
    for (int i = 0; i < 8; i++) {
      glia__kaiming_fan_out(nn, m->blocks[i].c1.w);
      glia__kaiming_fan_out(nn, m->blocks[i].c2.w);
      if (m->blocks[i].has_down) glia__kaiming_fan_out(nn, m->blocks[i].down.w);
    }
  } else {
    for (int i = 0; i < 4; i++) glia__default_init(nn, m->feat[i].w, m->feat[i].b);
  }
  glia__default_init(nn, m->fc_w, m->fc_b);
}

/* Each tensor is given up after its last use (x, the block's input, included): what no
 * backward reads is freed at once, the rest after its backward. */
static glia_status basic_block(glia_nn *nn, const block *b, glia_tensor *x, glia_tensor **out) {
  glia_tensor *h, *id = x;
  glia_status s = glia__conv_bn_run(nn, &b->c1, x, 1, &h);
  if (!s) glia_nn_reuse_input(nn);
  if (!s) s = glia__conv_bn_run(nn, &b->c2, h, 0, &h);
  if (!s && b->has_down) s = glia__conv_bn_run(nn, &b->down, x, 0, &id);
  if (!s) glia_nn_reuse_input(nn); /* h and then the sum are dead after their consumers */
  if (!s) s = glia_add(nn, h, id, &h);
  if (!s) glia_nn_release(nn, id);
  if (!s && id != x) glia_nn_release(nn, x);
  if (!s) glia_nn_reuse_input(nn);
  if (!s) s = glia_relu(nn, h, &h);
  *out = s ? NULL : h;
  return s;
}

glia_status glia_model_forward(glia_model *m, glia_nn *nn, glia_tensor *x, glia_tensor **logits) {
  glia_tensor *h = x;
  glia_status s = GLIA_OK;
  *logits = NULL;
  if (x->ndim != 4 || x->shape[1] != m->in_channels)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "model: input of %d dimensions with %lld channels, "
                      "expected [N, %d, H, W]",
                      x->ndim, (long long)(x->ndim > 1 ? x->shape[1] : 0), m->in_channels);
  /* Every intermediate is given up after its last use (glia_nn_reuse_input, glia_nn_release
   * in the blocks); the caller's x is not. Where nothing is recorded (inference), activations
   * stay in oneDNN's blocked layout between the ops (glia__nn_set_blocked); the global
   * pooling's output and the logits are plain. */
  glia__nn_set_blocked(nn, 1);
  if (m->arch == ARCH_RESNET18) {
    s = glia__conv_bn_run(nn, &m->stem, h, 1, &h);
    if (!s) glia_nn_reuse_input(nn);
    if (!s) s = glia_max_pool2d(nn, h, 3, 2, 1, &h);
    for (int i = 0; i < 8 && !s; i++) s = basic_block(nn, &m->blocks[i], h, &h);
  } else {
    for (int i = 0; i < 4 && !s; i++) {
      if (i > 0) glia_nn_reuse_input(nn);
      s = glia__conv_bn_run(nn, &m->feat[i], h, 1, &h);
      if (!s) glia_nn_reuse_input(nn);
      if (!s) s = glia_max_pool2d(nn, h, 2, 2, 0, &h);
    }
  }
  if (!s) glia_nn_reuse_input(nn);
  if (!s) s = glia_adaptive_avg_pool2d(nn, h, 1, 1, &h);
  if (!s) glia_nn_reuse_input(nn);
  if (!s) s = glia_flatten(nn, h, 1, &h);
  glia__nn_set_blocked(nn, 0);
  if (!s) s = glia_linear(nn, h, m->fc_w, m->fc_b, &h);
  if (!s) *logits = h;
  return s;
}

static int conv_out(int n, int k, int s, int p) { return (n + 2 * p - k) / s + 1; }

double glia_model_flops(const glia_model *m, int height, int width) {
  double f = 0;
  int h = height, w = width;
  if (m->arch == ARCH_RESNET18) {
    h = conv_out(h, 7, 2, 3);
    w = conv_out(w, 7, 2, 3);
    f += glia__conv_flops(m->in_channels, 64, 7, h, w);
    h = conv_out(h, 3, 2, 1);
    w = conv_out(w, 3, 2, 1);
    int in = 64;
    for (int l = 0; l < 4; l++)
      for (int k = 0; k < 2; k++) {
        int planes = 64 << l, s = (k == 0 && l > 0) ? 2 : 1;
        h = conv_out(h, 3, s, 1);
        w = conv_out(w, 3, s, 1);
        f += glia__conv_flops(in, planes, 3, h, w) + glia__conv_flops(planes, planes, 3, h, w);
        if (s != 1 || in != planes) f += glia__conv_flops(in, planes, 1, h, w);
        in = planes;
      }
    f += 2.0 * 512 * m->classes;
  } else {
    int in = m->in_channels;
    for (int i = 0; i < 4; i++) {
      f += glia__conv_flops(in, 32 << i, 3, h, w);
      in = 32 << i;
      h /= 2;
      w /= 2;
    }
    f += 2.0 * 256 * m->classes;
  }
  return f;
}
