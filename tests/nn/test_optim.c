/* Optimizers, LR schedules and gradient clipping against torch.optim 1.13
 * (tests/fixtures/nn/optim.bin, made by gen_nn.py). */
#include <math.h>

#include "glia/optim.h"
#include "nnfixture.h"

/* float32 updates in a different association order than torch: 1e-6 absolute + 1e-5
 * relative after three steps. */
static void assert_near(const char *what, const float *got, const float *want, size_t n,
                        double tol) {
  for (size_t i = 0; i < n; i++)
    if (!(fabs((double)got[i] - want[i]) <= tol + 10 * tol * fabs((double)want[i])))
      fail_msg("%s [%zu]: %.9g, expected %.9g", what, i, (double)got[i], (double)want[i]);
}

static void run_optimizer_case(const fx_case *c) {
  glia_params *p;
  glia_tensor *w, *b;
  assert_int_equal(glia_params_new(&p), GLIA_OK);
  assert_int_equal(glia_params_add(p, "fc.weight", 2, (int64_t[]){3, 4}, 1, &w), GLIA_OK);
  assert_int_equal(glia_params_add(p, "fc.bias", 1, (int64_t[]){4}, 1, &b), GLIA_OK);
  assert_int_equal(glia_params_finalize(p), GLIA_OK);
  memcpy(w->data, fx_find(c, "w")->data, 12 * sizeof(float));
  memcpy(b->data, fx_find(c, "b")->data, 4 * sizeof(float));
  glia_optim_opts o = GLIA_OPTIM_DEFAULTS;
  o.kind = !strcmp(c->op, "sgd")    ? GLIA_OPTIM_SGD
           : !strcmp(c->op, "adam") ? GLIA_OPTIM_ADAM
                                    : GLIA_OPTIM_ADAMW;
  o.nesterov = (int)c->i[0];
  o.decay_1d = (int)c->i[1];
  o.lr = (float)c->f[0];
  o.momentum = o.kind == GLIA_OPTIM_SGD ? (float)c->f[1] : 0.0f;
  o.beta1 = (float)c->f[1];
  o.weight_decay = (float)c->f[2];
  o.beta2 = o.kind == GLIA_OPTIM_SGD ? 0.999f : (float)c->f[3];
  glia_optim *opt;
  assert_int_equal(glia_optim_new(p, &o, &opt), GLIA_OK);
  for (int s = 0; s < 3; s++) {
    char gw[16], gb[16];
    snprintf(gw, sizeof gw, "gw%d", s);
    snprintf(gb, sizeof gb, "gb%d", s);
    memcpy(w->grad, fx_find(c, gw)->data, 12 * sizeof(float));
    memcpy(b->grad, fx_find(c, gb)->data, 4 * sizeof(float));
    glia_optim_step(opt, 0);
  }
  float *ww = fx_copy(fx_find(c, "w_after")), *bw = fx_copy(fx_find(c, "b_after"));
  assert_near(c->op, w->data, ww, 12, 1e-6);
  assert_near(c->op, b->data, bw, 4, 1e-6);
  assert_int_equal(glia_optim_steps(opt), 3);
  free(ww);
  free(bw);
  glia_optim_free(opt);
  glia_params_free(p);
}

static void run_lr_case(const fx_case *c) {
  glia_lr_opts o = GLIA_LR_DEFAULTS;
  o.lr = c->f[0];
  if (!strcmp(c->op, "lr_step")) {
    o.kind = GLIA_LR_STEP;
    o.step_size = c->i[0];
    o.gamma = c->f[1];
  } else if (!strcmp(c->op, "lr_cosine")) {
    o.kind = GLIA_LR_COSINE;
    o.total_steps = c->i[0];
    o.eta_min = c->f[1];
  } else {
    o.kind = GLIA_LR_ONE_CYCLE;
    o.total_steps = c->i[0];
  }
  const fx_tensor *lrs = fx_find(c, "lrs");
  float *want = fx_copy(lrs);
  for (size_t s = 0; s < lrs->n; s++) {
    float got = (float)glia_lr_at(&o, (int64_t)s);
    assert_near(c->op, &got, &want[s], 1, 1e-7);
  }
  free(want);
}

static void run_clip_case(const fx_case *c) {
  glia_params *p;
  glia_tensor *a, *b;
  assert_int_equal(glia_params_new(&p), GLIA_OK);
  assert_int_equal(glia_params_add(p, "a", 2, (int64_t[]){3, 4}, 1, &a), GLIA_OK);
  assert_int_equal(glia_params_add(p, "b", 1, (int64_t[]){5}, 1, &b), GLIA_OK);
  assert_int_equal(glia_params_finalize(p), GLIA_OK);
  size_t n;
  float *g = glia_params_grads(p, &n);
  assert_int_equal(n, 17);
  memcpy(g, fx_find(c, "g")->data, 17 * sizeof(float));
  float norm = (float)glia_clip_grad_norm(p, c->f[0]), *want = fx_copy(fx_find(c, "out"));
  float *wn = fx_copy(fx_find(c, "norm"));
  assert_near("clip norm", &norm, wn, 1, 1e-6);
  assert_near("clipped gradients", g, want, 17, 1e-6);
  free(want);
  free(wn);
  glia_params_free(p);
}

static void test_optimizers_schedules_and_clipping_match_torch(void **state) {
  (void)state;
  const unsigned char *p, *end;
  unsigned char *file = fx_open("optim.bin", &p, &end);
  fx_case *c = malloc(sizeof *c);
  int n_opt = 0, n_lr = 0, n_clip = 0;
  while (parse_case(&p, end, c)) {
    if (!strncmp(c->op, "lr_", 3)) {
      run_lr_case(c);
      n_lr++;
    } else if (!strcmp(c->op, "clip")) {
      run_clip_case(c);
      n_clip++;
    } else {
      run_optimizer_case(c);
      n_opt++;
    }
  }
  assert_int_equal(n_opt, 4);
  assert_int_equal(n_lr, 3);
  assert_int_equal(n_clip, 1);
  free(c);
  free(file);
}

static void test_warmup_ramps_linearly_to_the_schedule(void **state) {
  (void)state;
  glia_lr_opts o = GLIA_LR_DEFAULTS;
  o.kind = GLIA_LR_COSINE;
  o.lr = 0.1;
  o.total_steps = 10;
  o.warmup = 4;
  /* (s+1)/warmup of the schedule's first value during warm-up, then the schedule shifted. */
  assert_true(fabs(glia_lr_at(&o, 0) - 0.025) < 1e-12);
  assert_true(fabs(glia_lr_at(&o, 3) - 0.1) < 1e-12);
  assert_true(fabs(glia_lr_at(&o, 4) - 0.1) < 1e-12);
  assert_true(fabs(glia_lr_at(&o, 9) - 0.05) < 1e-12);
}

static void test_bad_options_are_named(void **state) {
  (void)state;
  glia_params *p;
  assert_int_equal(glia_params_new(&p), GLIA_OK);
  assert_int_equal(glia_params_finalize(p), GLIA_OK);
  glia_optim_opts o = GLIA_OPTIM_DEFAULTS;
  o.lr = -1;
  glia_optim *opt = NULL;
  assert_int_equal(glia_optim_new(p, &o, &opt), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "lr"));
  o = (glia_optim_opts)GLIA_OPTIM_DEFAULTS;
  o.kind = GLIA_OPTIM_SGD;
  o.nesterov = 1;
  assert_int_equal(glia_optim_new(p, &o, &opt), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "Nesterov"));
  glia_params_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_optimizers_schedules_and_clipping_match_torch),
      cmocka_unit_test(test_warmup_ramps_linearly_to_the_schedule),
      cmocka_unit_test(test_bad_options_are_named),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
