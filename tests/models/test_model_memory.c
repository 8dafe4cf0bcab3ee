/* Training the models with the context's memory savings: the same bits as with everything
 * kept until the end of the step (GLIA_NN_KEEP_ALL), fast paths and reference alike, and
 * memory that stops growing once a step has been seen. Training in the blocked layout: the
 * plain layout's losses, logits and weights to rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glia/models.h"
#include "glia/nn.h"
#include "glia/optim.h"
#include "nn/internal.h"
#include "testutil.h"

#define STEPS 3

typedef struct result {
  float loss[STEPS], logit[STEPS];
  size_t bytes[STEPS];
  float *values; /* all parameters after the steps (caller frees) */
  size_t n;
} result;

/* STEPS training steps (forward, cross-entropy, backward, AdamW) on a fixed random batch. */
static void train_in(const char *arch, int channels, int size, int batch, int saving, int reference,
                     int blocked, result *r) {
  glia_model *m;
  glia_nn *nn;
  glia_optim *opt;
  glia_optim_opts oo = GLIA_OPTIM_DEFAULTS;
  assert_int_equal(glia_model_new(arch, channels, 2, &m), GLIA_OK);
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  glia_nn_set_memory_saving(nn, saving);
  glia_nn_set_reference(nn, reference);
  glia__nn_set_blocked_training(nn, blocked);
  assert_int_equal(glia_optim_new(glia_model_params(m), &oo, &opt), GLIA_OK);
  glia_model_init(m, nn);
  const int64_t shape[4] = {batch, channels, size, size};
  const size_t n = (size_t)(batch * channels * size * size);
  float *xs = malloc(n * sizeof(float));
  assert_non_null(xs);
  for (size_t i = 0; i < n; i++) xs[i] = glia_nn_normal(nn);
  for (int step = 0; step < STEPS; step++) {
    glia_tensor *x, *y, *z, *loss;
    assert_int_equal(glia_nn_tensor(nn, 4, shape, &x), GLIA_OK);
    assert_int_equal(glia_nn_tensor(nn, 1, shape, &y), GLIA_OK);
    memcpy(x->data, xs, n * sizeof(float));
    for (int i = 0; i < batch; i++) y->data[i] = (float)(i % 2);
    assert_int_equal(glia_model_forward(m, nn, x, &z), GLIA_OK);
    assert_int_equal(glia_cross_entropy(nn, z, y, NULL, 0.0f, &loss), GLIA_OK);
    glia_params_zero_grad(glia_model_params(m));
    assert_int_equal(glia_nn_backward(nn, loss), GLIA_OK);
    glia_optim_step(opt, 0);
    r->loss[step] = loss->data[0];
    r->logit[step] = z->data[0];
    glia_nn_reset(nn);
    r->bytes[step] = glia_nn_arena_bytes(nn);
  }
  size_t count = 0;
  const float *v = glia_params_values(glia_model_params(m), &count);
  r->values = malloc(count * sizeof(float));
  assert_non_null(r->values);
  memcpy(r->values, v, count * sizeof(float));
  r->n = count;
  free(xs);
  glia_optim_free(opt);
  glia_nn_free(nn);
  glia_model_free(m);
}

static void train(const char *arch, int channels, int size, int batch, int saving, int reference,
                  result *r) {
  train_in(arch, channels, size, batch, saving, reference, 1, r);
}

/* paths: 1 the fast paths, 2 also the reference kernels. */
static void same_bits(const char *arch, int channels, int size, int batch, int paths) {
  for (int reference = 0; reference < paths; reference++) {
    result kept, saved;
    train(arch, channels, size, batch, 0, reference, &kept);
    train(arch, channels, size, batch, 1, reference, &saved);
    assert_memory_equal(kept.loss, saved.loss, sizeof kept.loss);
    assert_memory_equal(kept.logit, saved.logit, sizeof kept.logit);
    assert_int_equal(kept.n, saved.n);
    assert_memory_equal(kept.values, saved.values, kept.n * sizeof(float));
    assert_true(kept.loss[0] != kept.loss[STEPS - 1]); /* the weights did move */
    /* The pool reaches its size in the first step and keeps it. */
    assert_int_equal(saved.bytes[1], saved.bytes[STEPS - 1]);
    assert_int_equal(kept.bytes[1], kept.bytes[STEPS - 1]);
    /* Giving up tensors only lowers the memory a step needs. */
    assert_true(saved.bytes[STEPS - 1] < kept.bytes[STEPS - 1]);
    free(kept.values);
    free(saved.values);
  }
}

static void test_cnn_training_with_memory_saving_gives_the_same_bits(void **state) {
  (void)state;
  same_bits("cnn", 1, 32, 4, 2);
}

static void test_resnet18_training_with_memory_saving_gives_the_same_bits(void **state) {
  (void)state;
  /* 64²: the BN-ReLU outputs feeding a conv are pool buffers, dropped and rebuilt. */
  same_bits("resnet18", 3, 64, 2, 1); /* the reference kernels are slow here */
}

/* The same steps with the blocked layout in training and without: batch statistics summed in
 * another order, so not the same bits, but the same losses and logits to 1e-4, and weights
 * that agree to 1e-4 except where the gradient is rounding noise on both sides (a conv bias
 * before batch norm, whose exact gradient is 0): AdamW moves those by up to lr = 1e-3 per
 * step either way, so by at most 2·lr·steps apart, and they must stay few. */
static void blocked_matches_plain(const char *arch, int channels, int size, int batch) {
  result plain, blocked;
  train_in(arch, channels, size, batch, 1, 0, 0, &plain);
  train_in(arch, channels, size, batch, 1, 0, 1, &blocked);
  for (int s = 0; s < STEPS; s++) {
    assert_true(fabsf(blocked.loss[s] - plain.loss[s]) <= 1e-4f * (1 + fabsf(plain.loss[s])));
    assert_true(fabsf(blocked.logit[s] - plain.logit[s]) <= 1e-4f * (1 + fabsf(plain.logit[s])));
  }
  assert_int_equal(blocked.n, plain.n);
  double worst = 0;
  size_t apart = 0;
  for (size_t i = 0; i < plain.n; i++) {
    const double d = fabs((double)blocked.values[i] - plain.values[i]);
    if (d > worst) worst = d;
    apart += d > 1e-4;
  }
  print_message("%s: loss %.6f -> %.6f (plain) / %.6f -> %.6f (blocked); largest weight "
                "difference %.2e, %zu of %zu weights more than 1e-4 apart\n",
                arch, plain.loss[0], plain.loss[STEPS - 1], blocked.loss[0],
                blocked.loss[STEPS - 1], worst, apart, plain.n);
  assert_true(worst <= 2 * 1e-3 * STEPS + 1e-6);
  assert_true(apart * 100 <= plain.n); /* at most 1 % */
  assert_true(plain.loss[0] != plain.loss[STEPS - 1]);
  free(plain.values);
  free(blocked.values);
}

static void test_cnn_blocked_training_matches_plain(void **state) {
  (void)state;
  blocked_matches_plain("cnn", 1, 32, 4);
}

static void test_resnet18_blocked_training_matches_plain(void **state) {
  (void)state;
  blocked_matches_plain("resnet18", 3, 64, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cnn_training_with_memory_saving_gives_the_same_bits),
      cmocka_unit_test(test_resnet18_training_with_memory_saving_gives_the_same_bits),
      cmocka_unit_test(test_cnn_blocked_training_matches_plain),
      cmocka_unit_test(test_resnet18_blocked_training_matches_plain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
