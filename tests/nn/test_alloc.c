/* Every allocation of loading weights, a training step and a checkpoint round trip is made
 * to fail in turn: each attempt must end in an error (or success), never a crash or a leak
 * (the sanitizer build checks the latter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/optim.h"
#include "glia/safetensors.h"
#include "testutil.h"

static glia_status load_fixture(const char *path) {
  glia_safetensors *st = NULL;
  glia_status s = glia_safetensors_open(path, &st);
  float buf[64];
  if (!s) s = glia_safetensors_read(st, "half", 1, (int64_t[]){11}, 1, buf);
  glia_safetensors_free(st);
  return s;
}

/* One conv → BN → ReLU → pool → linear → cross-entropy step with AdamW, then a checkpoint
 * saved and loaded. */
static glia_status train_step(const char *ckpt) {
  glia_params *p = NULL;
  glia_nn *nn = NULL;
  glia_optim *opt = NULL;
  glia_tensor *w, *bw, *bb, *bm, *bv, *fw, *x = NULL, *y = NULL, *h, *loss;
  glia_optim_opts oo = GLIA_OPTIM_DEFAULTS;
  glia_status s = glia_params_new(&p);
  if (!s) s = glia_params_add(p, "conv.weight", 4, (int64_t[]){4, 1, 3, 3}, 1, &w);
  if (!s) s = glia_params_add(p, "bn.weight", 1, (int64_t[]){4}, 1, &bw);
  if (!s) s = glia_params_add(p, "bn.bias", 1, (int64_t[]){4}, 1, &bb);
  if (!s) s = glia_params_add(p, "bn.running_mean", 1, (int64_t[]){4}, 0, &bm);
  if (!s) s = glia_params_add(p, "bn.running_var", 1, (int64_t[]){4}, 0, &bv);
  if (!s) s = glia_params_add(p, "fc.weight", 2, (int64_t[]){2, 4}, 1, &fw);
  if (!s) s = glia_params_finalize(p);
  if (!s) s = glia_nn_new(&nn);
  if (!s) s = glia_optim_new(p, &oo, &opt);
  if (!s) s = glia_tensor_new(4, (int64_t[]){2, 1, 6, 6}, &x);
  if (!s) s = glia_tensor_new(1, (int64_t[]){2}, &y);
  if (!s) {
    for (int i = 0; i < 36; i++) w->data[i % 36] = 0.1f * (float)(i % 5);
    for (int i = 0; i < 72; i++) x->data[i] = (float)(i % 7) / 7.0f;
    bw->data[0] = bv->data[0] = 1;
    y->data[1] = 1;
    s = glia_conv2d(nn, x, w, NULL, NULL, &h);
  }
  if (!s) s = glia_batch_norm(nn, h, bw, bb, bm, bv, 0.1f, 1e-5f, &h);
  if (!s) s = glia_relu(nn, h, &h);
  if (!s) s = glia_adaptive_avg_pool2d(nn, h, 1, 1, &h);
  if (!s) s = glia_flatten(nn, h, 1, &h);
  if (!s) s = glia_linear(nn, h, fw, NULL, &h);
  if (!s) s = glia_cross_entropy(nn, h, y, NULL, 0.1f, &loss);
  if (!s) s = glia_nn_backward(nn, loss);
  if (!s) glia_optim_step(opt, 0);
  if (!s) s = glia_checkpoint_save(ckpt, p, opt, nn, NULL);
  if (!s) s = glia_checkpoint_load(ckpt, p, opt, nn);
  glia_tensor_free(x);
  glia_tensor_free(y);
  glia_optim_free(opt);
  glia_nn_free(nn);
  glia_params_free(p);
  return s;
}

static void fail_each_allocation(glia_status (*job)(const char *), const char *arg) {
  int succeeded = 0;
  for (long n = 0; n < 2000 && !succeeded; n++) {
    glia_alloc_fail_after(n);
    glia_status s = job(arg);
    glia_alloc_fail_after(-1);
    if (s == GLIA_OK) {
      succeeded = 1;
    } else if (s != GLIA_ERR_NOMEM && s != GLIA_ERR_IO) {
      fail_msg("allocation %ld failing gave status %d (%s)", n, s, glia_last_error());
    }
  }
  assert_true(succeeded); /* the job needs fewer than 2000 allocations */
}

static void test_loading_weights_survives_every_allocation_failure(void **state) {
  (void)state;
  char *path = tu_src("tests/fixtures/nn/types.safetensors");
  fail_each_allocation(load_fixture, path);
  free(path);
}

static void test_training_step_and_checkpoint_survive_every_allocation_failure(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), path[4096];
  snprintf(path, sizeof path, "%s/ckpt.safetensors", dir);
  fail_each_allocation(train_step, path);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loading_weights_survives_every_allocation_failure),
      cmocka_unit_test(test_training_step_and_checkpoint_survive_every_allocation_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
