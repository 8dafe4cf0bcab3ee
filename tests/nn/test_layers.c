/* Composite layers (squeeze-and-excitation against torchvision, stochastic depth by its
 * definition) and the EMA of weights. */
#include <math.h>

#include "glia/optim.h"
#include "nn/internal.h"
#include "nnfixture.h"

/* float32 against torch's float64: 2e-5 absolute + 1e-4 relative (as the op parity test). */
static void assert_close(const char *what, const float *got, const fx_tensor *want) {
  for (size_t i = 0; i < want->n; i++) {
    float w;
    memcpy(&w, (const char *)want->data + 4 * i, 4);
    if (!(fabs((double)got[i] - w) <= 2e-5 + 1e-4 * fabs((double)w)))
      fail_msg("%s [%zu]: %.9g, expected %.9g", what, i, (double)got[i], (double)w);
  }
}

static void test_squeeze_excitation_matches_torchvision(void **state) {
  (void)state;
  const unsigned char *p, *end;
  unsigned char *file = fx_open("layers.bin", &p, &end);
  fx_case *c = malloc(sizeof *c);
  int cases = 0;
  while (parse_case(&p, end, c)) {
    glia_nn *nn;
    glia_tensor *in[5], *y;
    assert_int_equal(glia_nn_new(&nn), GLIA_OK);
    for (int k = 0; k < 5; k++) {
      char name[24];
      snprintf(name, sizeof name, "in%d", k);
      const fx_tensor *t = fx_find(c, name);
      assert_int_equal(glia_tensor_new(t->ndim, t->shape, &in[k]), GLIA_OK);
      memcpy(in[k]->data, t->data, t->n * 4);
      in[k]->requires_grad = 1;
    }
    assert_int_equal(
        glia_squeeze_excitation(nn, in[0], in[1], in[2], in[3], in[4], (int)c->i[0], &y), GLIA_OK);
    assert_close("squeeze_excitation", y->data, fx_find(c, "out"));
    float *seed = fx_copy(fx_find(c, "dy"));
    assert_int_equal(glia__backward_seed(nn, y, seed), GLIA_OK);
    for (int k = 0; k < 5; k++) {
      char name[24];
      snprintf(name, sizeof name, "grad%d", k);
      assert_close(name, in[k]->grad, fx_find(c, name));
      glia_tensor_free(in[k]);
    }
    free(seed);
    glia_nn_free(nn);
    cases++;
  }
  assert_int_equal(cases, 2);
  free(c);
  free(file);
}

static void test_stochastic_depth_drops_whole_samples(void **state) {
  (void)state;
  glia_nn *nn;
  glia_tensor *x, *y;
  const int N = 400, M = 6;
  const float p = 0.25f;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  assert_int_equal(glia_tensor_new(2, (int64_t[]){N, M}, &x), GLIA_OK);
  for (int i = 0; i < N * M; i++) x->data[i] = 1.0f + (float)(i % 7);
  x->requires_grad = 1;
  assert_int_equal(glia_stochastic_depth(nn, x, p, &y), GLIA_OK);
  int dropped = 0;
  for (int n = 0; n < N; n++) {
    int zero = y->data[n * M] == 0.0f;
    dropped += zero;
    for (int m = 0; m < M; m++) /* the whole sample: zero, or x / (1 - p) exactly */
      assert_true(zero ? y->data[n * M + m] == 0.0f
                       : y->data[n * M + m] == x->data[n * M + m] * (1.0f / (1.0f - p)));
  }
  /* Binomial(400, 0.25): mean 100, sd 8.7; ±5 sd. */
  assert_in_range(dropped, 57, 143);
  glia_nn_set_training(nn, 0);
  assert_int_equal(glia_stochastic_depth(nn, x, p, &y), GLIA_OK);
  assert_memory_equal(y->data, x->data, (size_t)(N * M) * sizeof(float));
  glia_tensor_free(x);
  glia_nn_free(nn);
}

static void test_ema_follows_its_definition(void **state) {
  (void)state;
  glia_params *p;
  glia_tensor *w;
  assert_int_equal(glia_params_new(&p), GLIA_OK);
  assert_int_equal(glia_params_add(p, "w", 1, (int64_t[]){3}, 1, &w), GLIA_OK);
  assert_int_equal(glia_params_finalize(p), GLIA_OK);
  float ema[3] = {1, 2, 3};
  w->data[0] = 5;
  w->data[1] = -2;
  w->data[2] = 3;
  glia_ema_update(ema, p, 0.75f);
  /* 0.75·ema + 0.25·w, exact in binary floating point for these values. */
  assert_true(ema[0] == 2.0f && ema[1] == 1.0f && ema[2] == 3.0f);
  glia_params_free(p);
}

static void test_reuse_input_writes_in_place_only_where_no_backward_reads(void **state) {
  (void)state;
  glia_nn *nn;
  glia_tensor *x, *a, *b, *y;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  assert_int_equal(glia_tensor_new(2, (int64_t[]){3, 4}, &x), GLIA_OK);
  for (int i = 0; i < 12; i++) x->data[i] = (float)(i - 6);
  glia_nn_set_grad(nn, 0);
  assert_int_equal(glia_scale(nn, x, 1.0f, &a), GLIA_OK); /* an arena copy */
  assert_int_equal(glia_relu(nn, a, &b), GLIA_OK);        /* reference result */
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_relu(nn, a, &y), GLIA_OK);
  assert_ptr_equal(y->data, a->data); /* written over its input */
  assert_memory_equal(y->data, b->data, 12 * sizeof(float));
  glia_nn_reuse_input(nn); /* an owned tensor is never overwritten */
  assert_int_equal(glia_relu(nn, x, &y), GLIA_OK);
  assert_ptr_not_equal(y->data, x->data);
  assert_true(x->data[0] == -6.0f);
  glia_nn_set_grad(nn, 1); /* recording: an input a backward reads is kept */
  x->requires_grad = 1;
  assert_int_equal(glia_scale(nn, x, 1.0f, &a), GLIA_OK); /* scale's backward reads nothing */
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_leaky_relu(nn, a, 0.1f, &y), GLIA_OK); /* its backward reads a */
  assert_ptr_not_equal(y->data, a->data);
  assert_non_null(a->data); /* given up, but saved for that backward */
  assert_true(a->data[0] == -6.0f);
  assert_int_equal(glia_scale(nn, y, 1.0f, &a), GLIA_OK);
  glia_nn_reuse_input(nn);
  assert_int_equal(glia_relu(nn, a, &b), GLIA_OK); /* relu's backward reads its output only */
  assert_ptr_equal(b->data, a->data);
  for (int i = 0; i < 12; i++) assert_true(b->data[i] == (i > 6 ? (float)(i - 6) : 0.0f));
  glia_tensor_free(x);
  glia_nn_free(nn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_squeeze_excitation_matches_torchvision),
      cmocka_unit_test(test_stochastic_depth_drops_whole_samples),
      cmocka_unit_test(test_ema_follows_its_definition),
      cmocka_unit_test(test_reuse_input_writes_in_place_only_where_no_backward_reads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
