/* The op table: every op's gradient against central finite differences (double precision,
 * reference kernels), its forward and backward against PyTorch 1.13 fixtures (float32, both
 * paths), and each fast path against the reference on odd shapes. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "nn/internal.h"
#include "nnfixture.h"

static double urand(void *state) {
  uint64_t *s = state;
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(*s >> 11) * 0x1.0p-53;
}

static void fill_input(const glia__op *op, const glia__args *a, int k, double *v, size_t n,
                       uint64_t *rng) {
  if (op->check_init) {
    op->check_init(a, k, v, n, urand, rng);
    return;
  }
  for (size_t e = 0; e < n; e++) v[e] = 2 * urand(rng) - 1;
}

static void test_every_op_has_kernels_and_gradient_checks(void **state) {
  (void)state;
  assert_int_equal(glia_nn_op_count(), GLIA__OP_COUNT);
  for (int id = 0; id < GLIA__OP_COUNT; id++) {
    const glia__op *op = glia__ops[id];
    assert_non_null(op);
    assert_string_equal(glia_nn_op_name(id), op->name);
    assert_non_null(op->shape);
    assert_non_null(op->ref_fwd_f);
    assert_non_null(op->ref_bwd_f);
    assert_non_null(op->ref_fwd_d);
    assert_non_null(op->ref_bwd_d);
    if (op->diff) {
      if (op->n_checks < 1 || !op->check) fail_msg("op %s has no gradient check", op->name);
    }
    assert_true((op->fast_fwd == NULL) == (op->fast_supports == NULL));
  }
}

typedef struct case_bufs {
  double *x[GLIA__MAX_IN], *dx[GLIA__MAX_IN], *y, *aux, *w;
} case_bufs;

static void free_bufs(case_bufs *b) {
  for (int k = 0; k < GLIA__MAX_IN; k++) {
    free(b->x[k]);
    free(b->dx[k]);
  }
  free(b->y);
  free(b->aux);
  free(b->w);
}

/* The backward gets only what its row declares it reads (glia__bwd_reads; the rest NULL, as
 * when the context has freed it), so a wrong declaration crashes or fails the check. */
static void bwd_view(const glia__op *op, int fast, const glia__args *a, const void *const *x,
                     const void *y, const void *aux, const void **vx, const void **vy,
                     const void **vaux) {
  const unsigned r = glia__bwd_reads(op, fast, a);
  for (int k = 0; k < GLIA__MAX_IN; k++) vx[k] = k < a->n_in && (r & GLIA__R_IN(k)) ? x[k] : NULL;
  *vy = r & GLIA__R_OUT ? y : NULL;
  *vaux = r & GLIA__R_AUX ? aux : NULL;
}

static double weighted_loss(const glia__op *op, const glia__args *a, case_bufs *b) {
  op->ref_fwd_d(a, (const double *const *)b->x, b->y, b->aux);
  double s = 0;
  for (int64_t o = 0; o < glia__out_numel(a); o++) s += b->w[o] * b->y[o];
  return s;
}

/* Central differences with h = 1e-6 in double: truncation error ~h² and rounding ~1e-16/h,
 * both far below the 1e-6 absolute + 1e-5 relative tolerance; a wrong factor or a missing
 * term of a gradient is off by orders of magnitude more. */
static void gradcheck_case(const glia__op *op, int c, uint64_t *rng) {
  glia__args a = {0};
  for (int k = 0; k < GLIA__MAX_IN; k++) a.ndim[k] = -1;
  op->check(c, &a);
  if (op->shape(&a)) fail_msg("%s check %d: %s", op->name, c, glia_last_error());
  case_bufs b = {0};
  const int64_t n_out = glia__out_numel(&a);
  b.y = calloc((size_t)n_out, sizeof(double));
  b.w = calloc((size_t)n_out, sizeof(double));
  size_t n_aux = op->aux_size ? op->aux_size(&a) : 0;
  b.aux = calloc(n_aux + 1, sizeof(double));
  for (int64_t o = 0; o < n_out; o++) b.w[o] = 2 * urand(rng) - 1;
  for (int k = 0; k < a.n_in; k++) {
    if (a.ndim[k] < 0) continue;
    size_t n = (size_t)glia__in_numel(&a, k);
    b.x[k] = calloc(n, sizeof(double));
    fill_input(op, &a, k, b.x[k], n, rng);
    if (op->diff >> k & 1) b.dx[k] = calloc(n, sizeof(double));
  }
  weighted_loss(op, &a, &b);
  const void *vx[GLIA__MAX_IN], *vy, *vaux;
  bwd_view(op, 0, &a, (const void *const *)b.x, b.y, b.aux, vx, &vy, &vaux);
  op->ref_bwd_d(&a, (const double *const *)vx, vy, vaux, b.w, b.dx);
  int checked = 0;
  for (int k = 0; k < a.n_in; k++) {
    if (!b.dx[k]) continue;
    for (int64_t e = 0; e < glia__in_numel(&a, k); e++) {
      const double h = 1e-6, keep = b.x[k][e];
      b.x[k][e] = keep + h;
      double lp = weighted_loss(op, &a, &b);
      b.x[k][e] = keep - h;
      double lm = weighted_loss(op, &a, &b);
      b.x[k][e] = keep;
      double num = (lp - lm) / (2 * h), an = b.dx[k][e];
      if (fabs(an - num) > 1e-6 + 1e-5 * fabs(num))
        fail_msg("%s check %d: d/d input %d [%lld] = %.9g, finite differences %.9g", op->name, c, k,
                 (long long)e, an, num);
      checked++;
    }
  }
  assert_true(checked > 0);
  free_bufs(&b);
}

static void test_gradients_match_central_differences(void **state) {
  (void)state;
  uint64_t rng = 42;
  for (int id = 0; id < GLIA__OP_COUNT; id++)
    for (int c = 0; c < glia__ops[id]->n_checks; c++) gradcheck_case(glia__ops[id], c, &rng);
}

/* ---- fast path vs reference ---- */
static float *frand(size_t n, uint64_t *rng) {
  float *v = malloc((n ? n : 1) * sizeof(float));
  for (size_t e = 0; e < n; e++) v[e] = (float)(2 * urand(rng) - 1);
  return v;
}

/* Input k drawn as the gradient check draws it (labels, masks, positive variances). */
static float *input_rand(const glia__op *op, const glia__args *a, int k, size_t n, uint64_t *rng) {
  double *d = malloc((n ? n : 1) * sizeof(double));
  float *v = malloc((n ? n : 1) * sizeof(float));
  fill_input(op, a, k, d, n, rng);
  for (size_t e = 0; e < n; e++) v[e] = (float)d[e];
  free(d);
  return v;
}

/* Float32 sums of up to a few hundred O(1) products in another order: 1e-4 relative. */
static void assert_close_f(const char *what, const float *got, const float *want, int64_t n,
                           double atol, double rtol) {
  for (int64_t e = 0; e < n; e++)
    if (!(fabs((double)got[e] - want[e]) <= atol + rtol * fabs((double)want[e])))
      fail_msg("%s [%lld]: %.9g, expected %.9g", what, (long long)e, (double)got[e],
               (double)want[e]);
}

static void fast_case(glia_nn *nn, const glia__op *op, glia__args *a, uint64_t *rng) {
  if (op->shape(a)) fail_msg("%s: %s", op->name, glia_last_error());
  if (!op->fast_supports(a)) return;
  const int64_t n_out = glia__out_numel(a);
  size_t n_aux = op->aux_size ? op->aux_size(a) : 0;
  float *x[GLIA__MAX_IN] = {0}, *dr[GLIA__MAX_IN] = {0}, *df[GLIA__MAX_IN] = {0};
  for (int k = 0; k < a->n_in; k++) {
    if (a->ndim[k] < 0) continue;
    size_t n = (size_t)glia__in_numel(a, k);
    x[k] = input_rand(op, a, k, n, rng);
    if (op->diff >> k & 1) { /* same non-zero start: both paths must add into it */
      dr[k] = frand(n, rng);
      df[k] = malloc(n * sizeof(float));
      memcpy(df[k], dr[k], n * sizeof(float));
    }
  }
  float *yr = calloc((size_t)n_out, 4), *yf = calloc((size_t)n_out, 4), *dy = frand(n_out, rng);
  float *ar = calloc(n_aux + 1, 4), *af = calloc(n_aux + 1, 4);
  op->ref_fwd_f(a, (const float *const *)x, yr, ar);
  assert_int_equal(op->fast_fwd(nn, a, (const float *const *)x, yf, af), GLIA_OK);
  assert_close_f(op->name, yf, yr, n_out, 1e-5, 1e-4);
  const void *vx[GLIA__MAX_IN], *vy, *vaux;
  bwd_view(op, 0, a, (const void *const *)x, yr, ar, vx, &vy, &vaux);
  op->ref_bwd_f(a, (const float *const *)vx, vy, vaux, dy, dr);
  bwd_view(op, 1, a, (const void *const *)x, yf, af, vx, &vy, &vaux);
  assert_int_equal(op->fast_bwd(nn, a, (const float *const *)vx, vy, vaux, dy, df), GLIA_OK);
  for (int k = 0; k < a->n_in; k++)
    if (dr[k]) assert_close_f(op->name, df[k], dr[k], glia__in_numel(a, k), 1e-4, 1e-4);
  for (int k = 0; k < GLIA__MAX_IN; k++) {
    free(x[k]);
    free(dr[k]);
    free(df[k]);
  }
  free(yr);
  free(yf);
  free(dy);
  free(ar);
  free(af);
  glia_nn_reset(nn);
}

/* Forward only, without gradient recording (fast paths may then take another kernel). */
static void fast_fwd_case(glia_nn *nn, const glia__op *op, glia__args *a, uint64_t *rng) {
  if (op->shape(a)) fail_msg("%s: %s", op->name, glia_last_error());
  const int64_t n_out = glia__out_numel(a);
  const size_t n_aux = op->aux_size ? op->aux_size(a) : 0;
  float *x = frand((size_t)glia__in_numel(a, 0), rng);
  float *yr = calloc((size_t)n_out, 4), *yf = calloc((size_t)n_out, 4);
  float *ar = calloc(n_aux + 1, 4), *af = calloc(n_aux + 1, 4);
  glia_nn_set_grad(nn, 0);
  op->ref_fwd_f(a, (const float *const *)&x, yr, ar);
  assert_int_equal(op->fast_fwd(nn, a, (const float *const *)&x, yf, af), GLIA_OK);
  assert_close_f(op->name, yf, yr, n_out, 1e-5, 1e-4);
  glia_nn_set_grad(nn, 1);
  free(x);
  free(yr);
  free(yf);
  free(ar);
  free(af);
  glia_nn_reset(nn);
}

static void test_fast_paths_match_reference_on_odd_shapes(void **state) {
  (void)state;
  glia_nn *nn;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  uint64_t rng = 7;
  int tested = 0;
  for (int id = 0; id < GLIA__OP_COUNT; id++) {
    const glia__op *op = glia__ops[id];
    if (!op->fast_fwd) continue;
    for (int c = 0; c < op->n_checks; c++) {
      glia__args a = {0};
      for (int k = 0; k < GLIA__MAX_IN; k++) a.ndim[k] = -1;
      op->check(c, &a);
      fast_case(nn, op, &a, &rng);
      tested++;
    }
  }
  /* Larger odd convolutions: 5 → 7 channels, 13 × 11, stride 2, and a depthwise 5 × 5. */
  glia__args a = {0};
  glia__set_in(&a, 0, 4, (int64_t[]){3, 5, 13, 11});
  glia__set_in(&a, 1, 4, (int64_t[]){7, 5, 3, 3});
  glia__set_in(&a, 2, 1, (int64_t[]){7});
  int64_t conv_i[7] = {2, 2, 1, 1, 1, 1, 1};
  memcpy(a.i, conv_i, sizeof conv_i);
  fast_case(nn, &glia__op_conv2d, &a, &rng);
  glia__args d = {0};
  glia__set_in(&d, 0, 4, (int64_t[]){2, 6, 9, 10});
  glia__set_in(&d, 1, 4, (int64_t[]){6, 1, 5, 5});
  d.ndim[2] = -1;
  d.n_in = 3;
  int64_t dw_i[7] = {1, 1, 2, 2, 1, 1, 6};
  memcpy(d.i, dw_i, sizeof dw_i);
  fast_case(nn, &glia__op_conv2d, &d, &rng);
  /* A transposed convolution as U-Net's up-sampling uses it, odd sizes, with bias. */
  glia__args t = {0};
  glia__set_in(&t, 0, 4, (int64_t[]){2, 6, 5, 7});
  glia__set_in(&t, 1, 4, (int64_t[]){6, 3, 2, 2});
  glia__set_in(&t, 2, 1, (int64_t[]){3});
  int64_t t_i[9] = {2, 2, 0, 0, 0, 0, 1, 1, 1};
  memcpy(t.i, t_i, sizeof t_i);
  fast_case(nn, &glia__op_conv_transpose2d, &t, &rng);
  glia__args m = {0};
  glia__set_in(&m, 0, 3, (int64_t[]){3, 17, 33});
  glia__set_in(&m, 1, 2, (int64_t[]){33, 19});
  fast_case(nn, &glia__op_matmul, &m, &rng);
  /* Batch norm over an odd image batch, with and without the fused ReLU, both modes. */
  for (int k = 0; k < 4; k++) {
    glia__args b = {0};
    glia__set_in(&b, 0, 4, (int64_t[]){3, 5, 7, 9});
    for (int j = 1; j < 5; j++) glia__set_in(&b, j, 1, (int64_t[]){5});
    b.i[0] = k & 1;
    b.i[1] = k >> 1;
    b.f[0] = 1e-5;
    b.f[1] = 0.1;
    fast_case(nn, &glia__op_batch_norm, &b, &rng);
  }
  /* Pooling on 13 × 11 planes: 2 × 2 stride 2 (the floor drops the last row and column),
   * 3 × 3 stride 2 padding 1 (ResNet's stem), 5 × 5 stride 3 padding 2. */
  const int64_t pools[3][3] = {{2, 2, 0}, {3, 2, 1}, {5, 3, 2}};
  for (int k = 0; k < 3; k++)
    for (int avg = 0; avg < 2; avg++) {
      glia__args p = {0};
      glia__set_in(&p, 0, 4, (int64_t[]){2, 3, 13, 11});
      memcpy(p.i, pools[k], sizeof pools[k]);
      fast_case(nn, avg ? &glia__op_avg_pool2d : &glia__op_max_pool2d, &p, &rng);
      fast_fwd_case(nn, avg ? &glia__op_avg_pool2d : &glia__op_max_pool2d, &p, &rng);
    }
  /* ResNet's stem pool on 64 channels, where oneDNN runs a JIT kernel. */
  glia__args stem = {0};
  glia__set_in(&stem, 0, 4, (int64_t[]){2, 64, 15, 13});
  memcpy(stem.i, pools[1], sizeof pools[1]);
  fast_case(nn, &glia__op_max_pool2d, &stem, &rng);
  fast_fwd_case(nn, &glia__op_max_pool2d, &stem, &rng);
  fast_case(nn, &glia__op_avg_pool2d, &stem, &rng);
  assert_true(tested > 0);
  glia_nn_free(nn);
}

/* ---- PyTorch parity fixtures (tests/fixtures/nn/parity.bin, gen_nn.py) ---- */
/* Tolerances: torch computed in float64 from the same float32 inputs; glia computes in
 * float32 (sums of batch norm statistics in double), so 2e-5 absolute + 1e-4 relative. */
static void parity_case(const fx_case *c, int reference) {
  int id = -1;
  for (int k = 0; k < GLIA__OP_COUNT; k++)
    if (!strcmp(glia__ops[k]->name, c->op)) id = k;
  if (id < 0) fail_msg("parity.bin names unknown op %s", c->op);
  const glia__op *op = glia__ops[id];
  glia_nn *nn;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  glia_nn_set_reference(nn, reference);
  glia_tensor *in[GLIA__MAX_IN] = {0};
  for (int k = 0; k < op->max_in; k++) {
    char name[24];
    snprintf(name, sizeof name, "in%d", k);
    const fx_tensor *t = fx_find(c, name);
    if (!t) continue;
    assert_int_equal(glia_tensor_new(t->ndim, t->shape, &in[k]), GLIA_OK);
    memcpy(in[k]->data, t->data, t->n * sizeof(float));
    in[k]->requires_grad = (int)(op->diff >> k & 1);
  }
  int n_in = op->min_in; /* up to the last input given: concat takes 2 to 5 */
  for (int k = 0; k < op->max_in; k++)
    if (in[k] && k + 1 > n_in) n_in = k + 1;
  glia__args a = {0};
  memcpy(a.i, c->i, sizeof a.i);
  memcpy(a.f, c->f, sizeof a.f);
  glia_tensor *y;
  if (glia__run(nn, (glia__op_id)id, in, n_in, &a, &y))
    fail_msg("%s: %s", c->op, glia_last_error());
  const fx_tensor *out = fx_find(c, "out"), *dy = fx_find(c, "dy");
  assert_int_equal(glia_tensor_numel(y), (int64_t)out->n);
  float *want = fx_copy(out), *seed = fx_copy(dy);
  char what[128];
  snprintf(what, sizeof what, "%s forward (%s)", c->op, reference ? "reference" : "fast");
  assert_close_f(what, y->data, want, (int64_t)out->n, 2e-5, 1e-4);
  assert_int_equal(glia__backward_seed(nn, y, seed), GLIA_OK);
  for (int k = 0; k < op->max_in; k++) {
    char name[24];
    snprintf(name, sizeof name, "grad%d", k);
    const fx_tensor *g = fx_find(c, name);
    if (!g) continue;
    assert_non_null(in[k]->grad);
    float *gw = fx_copy(g);
    snprintf(what, sizeof what, "%s d/d input %d (%s)", c->op, k, reference ? "ref" : "fast");
    assert_close_f(what, in[k]->grad, gw, (int64_t)g->n, 2e-5, 1e-4);
    free(gw);
  }
  const fx_tensor *rm = fx_find(c, "rm_after"), *rv = fx_find(c, "rv_after");
  if (rm && rv) {
    float *m = fx_copy(rm), *v = fx_copy(rv);
    assert_close_f("running_mean", in[3]->data, m, (int64_t)rm->n, 2e-5, 1e-4);
    assert_close_f("running_var", in[4]->data, v, (int64_t)rv->n, 2e-5, 1e-4);
    free(m);
    free(v);
  }
  free(want);
  free(seed);
  for (int k = 0; k < GLIA__MAX_IN; k++) glia_tensor_free(in[k]);
  glia_nn_free(nn);
}

static void test_ops_match_pytorch_forward_and_backward(void **state) {
  (void)state;
  char *path = tu_src("tests/fixtures/nn/parity.bin");
  size_t size;
  unsigned char *file = tu_read_file(path, &size);
  const unsigned char *p = file, *end = file + size;
  assert_true(size > 8 && !memcmp(p, "GLIANN1\n", 8));
  p += 8;
  int seen[GLIA__OP_COUNT] = {0};
  fx_case *c = malloc(sizeof *c);
  while (parse_case(&p, end, c)) {
    for (int k = 0; k < GLIA__OP_COUNT; k++)
      if (!strcmp(glia__ops[k]->name, c->op)) seen[k]++;
    parity_case(c, 1);
    parity_case(c, 0);
  }
  for (int k = 0; k < GLIA__OP_COUNT; k++)
    if (!seen[k]) fail_msg("op %s has no PyTorch parity fixture", glia__ops[k]->name);
  free(c);
  free(file);
  free(path);
}

static void test_bad_shapes_are_errors_naming_the_op(void **state) {
  (void)state;
  glia_nn *nn;
  glia_tensor *x, *w, *y = NULL;
  assert_int_equal(glia_nn_new(&nn), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){1, 3, 8, 8}, &x), GLIA_OK);
  assert_int_equal(glia_tensor_new(4, (int64_t[]){4, 2, 3, 3}, &w), GLIA_OK);
  assert_int_equal(glia_conv2d(nn, x, w, NULL, NULL, &y), GLIA_ERR_ARGUMENT);
  assert_null(y);
  assert_non_null(strstr(glia_last_error(), "conv2d"));
  assert_non_null(strstr(glia_last_error(), "[4, 2, 3, 3]"));
  assert_int_equal(glia_add(nn, x, w, &y), GLIA_ERR_ARGUMENT);
  glia_tensor_free(x);
  glia_tensor_free(w);
  glia_nn_free(nn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op_has_kernels_and_gradient_checks),
      cmocka_unit_test(test_gradients_match_central_differences),
      cmocka_unit_test(test_fast_paths_match_reference_on_odd_shapes),
      cmocka_unit_test(test_ops_match_pytorch_forward_and_backward),
      cmocka_unit_test(test_bad_shapes_are_errors_naming_the_op),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
