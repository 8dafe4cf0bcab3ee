/* The blocked layout (nChw16c) kept between ops (src/nn/fast_blocked.c): the conversions
 * round-trip and put each element where oneDNN's layout says; a small conv-BN-ReLU-pool-add
 * net gives the plain path's results with it, its intermediates are blocked exactly where
 * expected (C % 16 == 0, fast path) and plain elsewhere (C = 24, the reference path); with a
 * backward recorded, in training (batch statistics) and in evaluation mode, the loss, every
 * gradient and the running statistics match the plain path's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/nn.h"
#include "nn/internal.h"
#include "testutil.h"

static float uniform(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((*s >> 40) * 0x1.0p-24) * 2.0f - 1.0f;
}

static void test_conversions_round_trip_in_onednn_order(void **state) {
  (void)state;
  const int64_t N = 2, C = 32, H = 5, W = 7, HW = H * W, n = N * C * HW;
  float *x = glia_malloc((size_t)n * sizeof(float)), *b = glia_malloc((size_t)n * sizeof(float)),
        *p = glia_malloc((size_t)n * sizeof(float));
  assert_true(x && b && p);
  uint64_t s = 1;
  for (int64_t i = 0; i < n; i++) x[i] = uniform(&s);
  glia__to_blocked(x, b, N, C, HW);
  for (int64_t nn = 0; nn < N; nn++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t k = 0; k < HW; k++)
        assert_true(b[((nn * (C / 16) + c / 16) * HW + k) * 16 + c % 16] ==
                    x[(nn * C + c) * HW + k]);
  glia__to_plain(b, p, N, C, HW);
  assert_memory_equal(x, p, (size_t)n * sizeof(float));
  glia_free(x);
  glia_free(b);
  glia_free(p);
}

typedef struct layer {
  glia_tensor *w, *g, *b, *m, *v; /* conv weight; BN weight, bias, running mean, variance */
} layer;

static layer make_layer(glia_nn *nn, int in, int out, int k, uint64_t *s) {
  layer l;
  assert_int_equal(glia_nn_tensor(nn, 4, (int64_t[]){out, in, k, k}, &l.w), GLIA_OK);
  glia_tensor **t[4] = {&l.g, &l.b, &l.m, &l.v};
  for (int i = 0; i < 4; i++) assert_int_equal(glia_nn_tensor(nn, 1, (int64_t[]){out}, t[i]), 0);
  for (int64_t i = 0; i < glia_tensor_numel(l.w); i++) l.w->data[i] = uniform(s) / (float)k;
  for (int i = 0; i < out; i++) {
    l.g->data[i] = 1 + 0.5f * uniform(s);
    l.b->data[i] = 0.2f * uniform(s);
    l.m->data[i] = 0.1f * uniform(s);
    l.v->data[i] = 1 + 0.5f * uniform(s);
  }
  l.w->requires_grad = l.g->requires_grad = l.b->requires_grad = 1;
  return l;
}

static glia_tensor *conv_bn(glia_nn *nn, const layer *l, glia_tensor *x, int stride, int pad,
                            int relu) {
  glia_conv2d_opts o = GLIA_CONV2D_DEFAULTS;
  o.stride[0] = o.stride[1] = stride;
  o.padding[0] = o.padding[1] = pad;
  glia_tensor *h;
  assert_int_equal(glia_conv2d(nn, x, l->w, NULL, &o, &h), GLIA_OK);
  glia_nn_reuse_input(nn);
  assert_int_equal((relu ? glia_batch_norm_relu : glia_batch_norm)(nn, h, l->g, l->b, l->m, l->v,
                                                                   0.1f, 1e-5f, &h),
                   GLIA_OK);
  return h;
}

/* The net: stem conv 3→16 + BN-ReLU, max pool 3/2/1, a basic block at 32 channels with a 1×1
 * downsample (add, relu), conv 32→24 + BN-ReLU (stays plain), conv 24→32 + BN-ReLU, max pool
 * 2/2,
 * global average pool, flatten. mid[0]: the stem output (16 channels), mid[1]: the 24-channel
 * one, kept (not given up) to look at their layouts. */
static glia_tensor *forward(glia_nn *nn, const layer *L, glia_tensor *x, glia_tensor **mid) {
  glia_tensor *h = conv_bn(nn, &L[0], x, 1, 1, 1), *id, *y;
  mid[0] = h;
  assert_int_equal(glia_max_pool2d(nn, h, 3, 2, 1, &h), GLIA_OK);
  y = conv_bn(nn, &L[1], h, 1, 1, 1);
  glia_nn_reuse_input(nn);
  y = conv_bn(nn, &L[2], y, 1, 1, 0);
  id = conv_bn(nn, &L[3], h, 1, 0, 0);
  glia_nn_release(nn, h);
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_add(nn, y, id, &h), GLIA_OK);
  glia_nn_release(nn, id);
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_relu(nn, h, &h), GLIA_OK);
  glia_nn_reuse_input(nn);
  h = conv_bn(nn, &L[4], h, 1, 1, 1);
  mid[1] = h;
  h = conv_bn(nn, &L[5], h, 1, 1, 1);
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_max_pool2d(nn, h, 2, 2, 0, &h), GLIA_OK);
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_adaptive_avg_pool2d(nn, h, 1, 1, &h), GLIA_OK);
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_flatten(nn, h, 1, &h), GLIA_OK);
  return h;
}

enum { OUT = 2 * 32, STEM = 2 * 16 * 9 * 11, MID = 2 * 24 * 5 * 6 };

/* The six layers of the net above. */
static void make_net(glia_nn *nn, layer *L, uint64_t *s) {
  const int cin[6] = {3, 16, 32, 16, 32, 24}, cout[6] = {16, 32, 32, 32, 24, 32};
  for (int i = 0; i < 6; i++) L[i] = make_layer(nn, cin[i], cout[i], i == 3 ? 1 : 3, s);
}

/* Runs the net (grad: parameters need gradients and recording is on) with the blocked layout
 * on or off; copies the output and the two kept intermediates as they lie in memory. */
static void run(int blocked, int reference, int grad, float *out, float *stem, float *mid) {
  glia_nn *nn = NULL;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  glia_nn_set_training(nn, 0);
  glia_nn_set_grad(nn, grad);
  glia_nn_set_reference(nn, reference);
  uint64_t s = 7;
  layer L[6];
  make_net(nn, L, &s);
  glia_tensor *x, *m[2];
  assert_int_equal(glia_nn_tensor(nn, 4, (int64_t[]){2, 3, 9, 11}, &x), GLIA_OK);
  for (int64_t i = 0; i < glia_tensor_numel(x); i++) x->data[i] = uniform(&s);
  glia__nn_set_blocked(nn, blocked);
  glia_tensor *y = forward(nn, L, x, m);
  glia__nn_set_blocked(nn, 0);
  assert_int_equal(glia_tensor_numel(y), OUT);
  assert_int_equal(glia_tensor_numel(m[0]), STEM);
  assert_int_equal(glia_tensor_numel(m[1]), MID);
  memcpy(out, y->data, OUT * sizeof(float));
  memcpy(stem, m[0]->data, STEM * sizeof(float));
  memcpy(mid, m[1]->data, MID * sizeof(float));
  glia_nn_free(nn);
}

static void assert_close(const float *a, const float *b, int n) {
  for (int i = 0; i < n; i++) assert_true(fabsf(a[i] - b[i]) <= 1e-5f * (1 + fabsf(b[i])));
}

static void test_blocked_net_matches_the_plain_one(void **state) {
  (void)state;
  static float out[2][OUT], stem[2][STEM], mid[2][MID], stem_b[STEM];
  run(0, 0, 0, out[0], stem[0], mid[0]);
  run(1, 0, 0, out[1], stem[1], mid[1]);
  assert_close(out[1], out[0], OUT);
  glia__to_blocked(stem[0], stem_b, 2, 16, 9 * 11); /* 16 channels: kept blocked */
  assert_close(stem[1], stem_b, STEM);
  assert_close(mid[1], mid[0], MID); /* 24 channels: plain */
  /* Recording a backward: blocked the same way. */
  run(1, 0, 1, out[1], stem[1], mid[1]);
  run(0, 0, 1, out[0], stem[0], mid[0]);
  assert_close(out[1], out[0], OUT);
  glia__to_blocked(stem[0], stem_b, 2, 16, 9 * 11);
  assert_close(stem[1], stem_b, STEM);
  assert_close(mid[1], mid[0], MID);
  /* Nothing blocked on the reference path. */
  run(1, 1, 1, out[1], stem[1], mid[1]);
  run(0, 1, 1, out[0], stem[0], mid[0]);
  assert_memory_equal(out[1], out[0], sizeof out[0]);
  assert_memory_equal(stem[1], stem[0], sizeof stem[0]);
}

/* One training step of the net (batch statistics, a backward) with blocked training on or
 * off (and blocked batch norm on oneDNN's kernel or the hand ones): the loss (MSE against a fixed
 * target), the gradients of x and of every parameter (conv weight, BN weight and bias of each
 * layer) and the running statistics, in `got` one after the other; returns how many floats. */
static int train_step(int blocked_train, int dnnl_bn, int training, float *got) {
  glia_nn *nn = NULL;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  glia_nn_set_training(nn, training);
  glia__nn_set_blocked_training(nn, blocked_train);
  glia__nn_set_dnnl_batch_norm(nn, dnnl_bn);
  uint64_t s = 11;
  layer L[6];
  make_net(nn, L, &s);
  glia_tensor *x, *t, *m[2], *loss;
  assert_int_equal(glia_nn_tensor(nn, 4, (int64_t[]){2, 3, 9, 11}, &x), GLIA_OK);
  assert_int_equal(glia_nn_tensor(nn, 2, (int64_t[]){2, 32}, &t), GLIA_OK);
  for (int64_t i = 0; i < glia_tensor_numel(x); i++) x->data[i] = uniform(&s);
  for (int64_t i = 0; i < glia_tensor_numel(t); i++) t->data[i] = uniform(&s);
  x->requires_grad = 1;
  glia__nn_set_blocked(nn, 1);
  glia_tensor *y = forward(nn, L, x, m);
  glia__nn_set_blocked(nn, 0);
  assert_int_equal(glia_mse_loss(nn, y, t, &loss), GLIA_OK);
  assert_int_equal(glia_nn_backward(nn, loss), GLIA_OK);
  int n = 0;
  got[n++] = loss->data[0];
  for (int64_t i = 0; i < glia_tensor_numel(x); i++) got[n++] = x->grad[i];
  for (int l = 0; l < 6; l++) {
    glia_tensor *g[5] = {L[l].w, L[l].g, L[l].b, L[l].m, L[l].v};
    for (int k = 0; k < 5; k++)
      for (int64_t i = 0; i < glia_tensor_numel(g[k]); i++)
        got[n++] = k < 3 ? g[k]->grad[i] : g[k]->data[i];
  }
  glia_nn_free(nn);
  return n;
}

/* In training mode (batch statistics; batch norm on oneDNN's kernel or the hand one) and in
 * evaluation mode with a backward (running statistics: fine-tuning with frozen norms). */
static void test_blocked_training_matches_the_plain_one(void **state) {
  (void)state;
  static float plain[40000], blocked[40000];
  for (int training = 1; training >= 0; training--) {
    const int n = train_step(0, 1, training, plain);
    assert_true(n > 20000 && n <= 40000);
    for (int dnnl_bn = 0; dnnl_bn < 1 + training; dnnl_bn++) {
      assert_int_equal(train_step(1, dnnl_bn, training, blocked), n);
      double worst = 0, scale = 0;
      for (int i = 0; i < n; i++) {
        const double d = fabs((double)blocked[i] - plain[i]);
        if (d > worst) worst = d;
        if (fabs(plain[i]) > scale) scale = fabs(plain[i]);
        assert_true(d <= 1e-4 * (1 + fabs(plain[i])));
      }
      print_message("blocked %s (batch norm: %s): largest |blocked - plain| %.2e of largest "
                    "|plain| %.3g over %d values\n",
                    training ? "training" : "evaluation with a backward",
                    dnnl_bn ? "oneDNN" : "hand", worst, scale, n);
    }
  }
}

/* While recording, a blocked tensor reaching an op without a blocked kernel is an error that
 * names the op (no conversion is recorded, so its gradient could not flow back). */
static void test_recorded_op_refuses_a_blocked_input(void **state) {
  (void)state;
  for (int blocked_train = 1; blocked_train >= 0; blocked_train--) {
    glia_nn *nn = NULL;
    assert_int_equal(glia_nn_new(&nn), GLIA_OK);
    glia__nn_set_blocked_training(nn, blocked_train);
    uint64_t s = 5;
    layer l = make_layer(nn, 3, 16, 3, &s);
    glia_tensor *x, *h;
    assert_int_equal(glia_nn_tensor(nn, 4, (int64_t[]){2, 3, 6, 6}, &x), GLIA_OK);
    for (int64_t i = 0; i < glia_tensor_numel(x); i++) x->data[i] = uniform(&s);
    glia__nn_set_blocked(nn, 1);
    h = conv_bn(nn, &l, x, 1, 1, 1);
    if (blocked_train) { /* 16 channels: blocked, and sigmoid has no blocked kernel */
      assert_int_equal(glia_sigmoid(nn, h, &h), GLIA_ERR_INTERNAL);
      assert_non_null(strstr(glia_last_error(), "sigmoid"));
      assert_non_null(strstr(glia_last_error(), "blocked"));
    } else { /* without blocked training the same forward is plain and runs */
      assert_int_equal(glia_sigmoid(nn, h, &h), GLIA_OK);
    }
    glia__nn_set_blocked(nn, 0);
    glia_nn_free(nn);
  }
}

/* conv 3→16 (blocked output) then global average pooling (plain output) of x. */
static void conv_pool(glia_nn *nn, glia_tensor *x, glia_tensor *w, int blocked, float *out) {
  glia_conv2d_opts o = GLIA_CONV2D_DEFAULTS;
  glia_tensor *h;
  glia_nn_reset(nn);
  glia__nn_set_blocked(nn, blocked);
  assert_int_equal(glia_conv2d(nn, x, w, NULL, &o, &h), GLIA_OK);
  assert_int_equal(glia_adaptive_avg_pool2d(nn, h, 1, 1, &h), GLIA_OK);
  glia__nn_set_blocked(nn, 0);
  memcpy(out, h->data, 2 * 16 * sizeof(float));
}

/* The weights reordered once at inference are reordered again when they change in place. */
static void test_cached_weights_follow_changes(void **state) {
  (void)state;
  glia_nn *nn = NULL;
  glia_tensor *x = NULL, *w = NULL;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  glia_nn_set_grad(nn, 0);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){2, 3, 7, 5}, &x), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){16, 3, 3, 3}, &w), GLIA_OK);
  uint64_t s = 3;
  for (int64_t i = 0; i < glia_tensor_numel(x); i++) x->data[i] = uniform(&s);
  for (int64_t i = 0; i < glia_tensor_numel(w); i++) w->data[i] = uniform(&s);
  float y[3][32], z[32];
  conv_pool(nn, x, w, 1, y[0]);
  conv_pool(nn, x, w, 0, z);
  assert_close(y[0], z, 32);
  conv_pool(nn, x, w, 1, y[1]); /* from the cache */
  assert_memory_equal(y[1], y[0], sizeof y[0]);
  w->data[5 * 27 + 4] += 1.0f; /* channel 5 changes */
  conv_pool(nn, x, w, 1, y[2]);
  conv_pool(nn, x, w, 0, z);
  assert_close(y[2], z, 32);
  assert_true(y[2][5] != y[0][5] && y[2][16 + 5] != y[0][16 + 5]);
  glia_tensor_free(x);
  glia_tensor_free(w);
  glia_nn_free(nn);
}

/* One conv2d training step (forward, MSE loss, backward) at [N, 64, 32, 32] → 128 channels, 3×3
 * pad 1; out: y, dx, dw concatenated. Returns how many cached convolutions took Winograd. */
static int conv_step(int direct, int N, float *out) {
  if (direct) setenv("GLIA_CONV_DIRECT", "1", 1);
  glia_nn *nn = NULL;
  glia_tensor *x = NULL, *w = NULL, *t = NULL, *y = NULL, *loss = NULL;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){N, 64, 32, 32}, &x), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){128, 64, 3, 3}, &w), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){N, 128, 32, 32}, &t), GLIA_OK);
  uint64_t s = 11;
  for (int64_t i = 0; i < glia_tensor_numel(x); i++) x->data[i] = uniform(&s);
  for (int64_t i = 0; i < glia_tensor_numel(w); i++) w->data[i] = 0.05f * uniform(&s);
  for (int64_t i = 0; i < glia_tensor_numel(t); i++) t->data[i] = uniform(&s);
  x->requires_grad = w->requires_grad = 1;
  glia_conv2d_opts o = GLIA_CONV2D_DEFAULTS;
  o.padding[0] = o.padding[1] = 1;
  assert_int_equal(glia_conv2d(nn, x, w, NULL, &o, &y), GLIA_OK);
  const int64_t ny = glia_tensor_numel(y), nx = glia_tensor_numel(x), nw = glia_tensor_numel(w);
  memcpy(out, y->data, (size_t)ny * sizeof(float));
  assert_int_equal(glia_mse_loss(nn, y, t, &loss), GLIA_OK);
  assert_int_equal(glia_nn_backward(nn, loss), GLIA_OK);
  memcpy(out + ny, x->grad, (size_t)nx * sizeof(float));
  memcpy(out + ny + nx, w->grad, (size_t)nw * sizeof(float));
  const int wino = glia__conv_wino_entries(nn);
  glia_tensor_free(x);
  glia_tensor_free(w);
  glia_tensor_free(t);
  glia_nn_free(nn);
  if (direct) unsetenv("GLIA_CONV_DIRECT");
  return wino;
}

/* Winograd, which oneDNN chooses for this 3×3 stride-1 convolution when training, gives the
 * direct convolution's output and gradients to float rounding (and GLIA_CONV_DIRECT=1 keeps
 * it direct). */
static void test_training_winograd_matches_direct(void **state) {
  (void)state;
  enum { N = 16 };
  const size_t ny = (size_t)N * 128 * 32 * 32, nx = (size_t)N * 64 * 32 * 32, nw = 128 * 64 * 9;
  float *a = malloc((ny + nx + nw) * sizeof(float)), *b = malloc((ny + nx + nw) * sizeof(float));
  assert_non_null(a);
  assert_non_null(b);
  const int wino = conv_step(0, N, a);
  assert_int_equal(conv_step(1, N, b), 0);
  printf("training convolution: %d Winograd entr%s\n", wino, wino == 1 ? "y" : "ies");
  assert_true(wino >= 1); /* the algorithm this test is about was taken */
  const size_t off[4] = {0, ny, ny + nx, ny + nx + nw};
  const char *name[3] = {"y", "dx", "dw"};
  for (int k = 0; k < 3; k++) {
    double big = 0, err = 0;
    for (size_t i = off[k]; i < off[k + 1]; i++) {
      big = fmax(big, fabs((double)b[i]));
      err = fmax(err, fabs((double)a[i] - b[i]));
    }
    printf("%s: largest |Winograd - direct| %.3g of largest |direct| %.3g\n", name[k], err, big);
    assert_true(err <= 1e-4 * big);
  }
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conversions_round_trip_in_onednn_order),
      cmocka_unit_test(test_blocked_net_matches_the_plain_one),
      cmocka_unit_test(test_blocked_training_matches_the_plain_one),
      cmocka_unit_test(test_recorded_op_refuses_a_blocked_input),
      cmocka_unit_test(test_cached_weights_follow_changes),
      cmocka_unit_test(test_training_winograd_matches_direct),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
