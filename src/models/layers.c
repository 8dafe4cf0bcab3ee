/* Building blocks shared by the models: conv + batch norm declared under state_dict names,
 * PyTorch's initialisers. */
#include <math.h>
#include <stdio.h>

#include "models/internal.h"

glia_status glia__conv_bn_add(glia_params *p, glia__conv_bn *c, const char *conv, const char *bn,
                              int in, int out, int k, int stride, int padding, int bias) {
  char name[256];
  glia_status s;
  snprintf(name, sizeof name, "%s.weight", conv);
  if ((s = glia_params_add(p, name, 4, (int64_t[]){out, in, k, k}, 1, &c->w))) return s;
  c->b = NULL;
  if (bias) {
    snprintf(name, sizeof name, "%s.bias", conv);
    if ((s = glia_params_add(p, name, 1, (int64_t[]){out}, 1, &c->b))) return s;
  }
  const char *suffix[4] = {"weight", "bias", "running_mean", "running_var"};
  glia_tensor **dst[4] = {&c->bn_w, &c->bn_b, &c->bn_m, &c->bn_v};
  for (int i = 0; i < 4; i++) {
    snprintf(name, sizeof name, "%s.%s", bn, suffix[i]);
    if ((s = glia_params_add(p, name, 1, (int64_t[]){out}, i < 2, dst[i]))) return s;
  }
  c->o = (glia_conv2d_opts)GLIA_CONV2D_DEFAULTS;
  c->o.stride[0] = c->o.stride[1] = stride;
  c->o.padding[0] = c->o.padding[1] = padding;
  return GLIA_OK;
}

glia_status glia__conv_bn_run(glia_nn *nn, const glia__conv_bn *c, glia_tensor *x, int relu,
                              glia_tensor **out) {
  glia_tensor *h;
  glia_status s = glia_conv2d(nn, x, c->w, c->b, &c->o, &h);
  if (!s) glia_nn_reuse_input(nn); /* the conv output is dead after the norm */
  if (!s)
    s = (relu ? glia_batch_norm_relu : glia_batch_norm)(nn, h, c->bn_w, c->bn_b, c->bn_m, c->bn_v,
                                                        0.1f, 1e-5f, &h);
  *out = s ? NULL : h;
  return s;
}

void glia__conv_bn_defaults(const glia__conv_bn *c) {
  for (int64_t i = 0; i < c->bn_w->shape[0]; i++) {
    c->bn_w->data[i] = 1;
    c->bn_b->data[i] = 0;
    c->bn_m->data[i] = 0;
    c->bn_v->data[i] = 1;
  }
}

void glia__kaiming_fan_out(glia_nn *nn, glia_tensor *w) {
  const double fan_out = (double)(w->shape[0] * w->shape[2] * w->shape[3]);
  const float std = (float)sqrt(2.0 / fan_out);
  for (int64_t i = 0; i < glia_tensor_numel(w); i++) w->data[i] = std * glia_nn_normal(nn);
}

void glia__default_init(glia_nn *nn, glia_tensor *w, glia_tensor *b) {
  const double fan_in = (double)glia_tensor_numel(w) / (double)w->shape[0];
  const float bound = (float)(1.0 / sqrt(fan_in));
  for (int64_t i = 0; i < glia_tensor_numel(w); i++)
    w->data[i] = bound * (2 * glia_nn_uniform(nn) - 1);
  if (b)
    for (int64_t i = 0; i < glia_tensor_numel(b); i++)
      b->data[i] = bound * (2 * glia_nn_uniform(nn) - 1);
}

double glia__conv_flops(int in, int out, int k, int oh, int ow) {
  return 2.0 * in * out * k * k * (double)oh * ow;
}
