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
      char name[16];
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
      char name[16];
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_squeeze_excitation_matches_torchvision),
      cmocka_unit_test(test_stochastic_depth_drops_whole_samples),
      cmocka_unit_test(test_ema_follows_its_definition),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
