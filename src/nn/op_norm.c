/* Op rows and entry points: batch norm, softmax, log-softmax. */
#include <math.h>
#include <string.h>

#include "nn/internal.h"

/* ---- batch_norm: x, weight, bias, running_mean, running_var; i[0] = training,
 * i[1] = fused ReLU, f[0] = eps, f[1] = momentum. ---- */
static glia_status bn_shape(glia__args *a) {
  if (a->ndim[0] < 2) return glia__shape_error(a, "batch_norm", "expected x [N, C, ...]");
  const int64_t C = a->shape[0][1];
  for (int k = 1; k < 5; k++)
    if (a->ndim[k] >= 0 && (a->ndim[k] != 1 || a->shape[k][0] != C))
      return glia__shape_error(a, "batch_norm", "weight, bias and running stats must be [C]");
  if (!a->i[0] && (a->ndim[3] < 0 || a->ndim[4] < 0))
    return glia__shape_error(a, "batch_norm", "evaluation mode needs the running statistics");
  if (a->i[0] && glia__in_numel(a, 0) == C)
    return glia__shape_error(a, "batch_norm", "training needs more than one value per channel");
  a->out_ndim = a->ndim[0];
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  return GLIA_OK;
}

/* mean, invstd, biased variance; then the reference's scale and shift (y = x·scale + shift
 * before the ReLU), from which its backward finds the fused ReLU's mask without y; on blocked
 * tensors in training with the ReLU, oneDNN's mask after them (fast_bnorm.c). */
static size_t bn_aux(const glia__args *a) {
  return 5 * (size_t)a->shape[0][1] + glia__bn_blocked_ws_floats(a);
}

/* Training: running = (1 - momentum)·running + momentum·batch, with the unbiased variance. */
static void bn_post(glia_nn *nn, const glia__args *a, glia_tensor *const *in, const float *aux) {
  (void)nn;
  if (!a->i[0] || !in[3] || !in[4]) return;
  const int64_t C = a->shape[0][1];
  const double m = a->f[1], cnt = (double)glia__in_numel(a, 0) / (double)C;
  for (int64_t c = 0; c < C; c++) {
    in[3]->data[c] = (float)((1 - m) * in[3]->data[c] + m * aux[c]);
    in[4]->data[c] = (float)((1 - m) * in[4]->data[c] + m * aux[2 * C + c] * cnt / (cnt - 1));
  }
}

static void bn_check(int k, glia__args *a) {
  const int64_t x3[3] = {4, 3, 5}, x4[4] = {2, 3, 2, 3}, c[1] = {3};
  if (k == 1)
    glia__set_in(a, 0, 3, x3);
  else
    glia__set_in(a, 0, 4, x4);
  for (int j = 1; j < 5; j++) glia__set_in(a, j, 1, c);
  if (k == 2) glia__set_in(a, 1, -1, c); /* affine = False */
  if (k == 2) glia__set_in(a, 2, -1, c);
  a->i[0] = k != 1; /* case 1: evaluation mode */
  a->i[1] = k >= 3; /* cases 3, 4: fused ReLU (training, evaluation) */
  if (k == 4) a->i[0] = 0;
  a->f[0] = 1e-5;
  a->f[1] = 0.1;
}

static void bn_init(const glia__args *a, int input, double *v, size_t n, double (*u)(void *),
                    void *rng) {
  (void)a;
  for (size_t e = 0; e < n; e++) v[e] = input == 4 ? 0.5 + u(rng) : 2 * u(rng) - 1;
}

const glia__op glia__op_batch_norm = {
    .name = "batch_norm",
    .min_in = 1,
    .max_in = 5,
    .diff = 7,
    .shape = bn_shape,
    .aux_size = bn_aux,
    .aux_arena = 1,
    GLIA__REF_ROW(batch_norm),
    .fast_supports = glia__batch_norm_supports,
    .fast_fwd = glia__batch_norm_fast_fwd,
    .fast_bwd = glia__batch_norm_fast_bwd,
    .bwd_reads = GLIA__READS(GLIA__R_IN(0) | GLIA__R_IN(1) | GLIA__R_AUX),
    .recompute = glia__batch_norm_recompute_f,
    .recompute_fast = 1, /* the fast forward is the reference forward */
    .in_place = 1,
    .post = bn_post,
    .n_checks = 5,
    .check = bn_check,
    .check_init = bn_init,
};

static glia_status bn_run(glia_nn *nn, glia_tensor *x, glia_tensor *weight, glia_tensor *bias,
                          glia_tensor *running_mean, glia_tensor *running_var, float momentum,
                          float eps, int relu, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = glia__training(nn);
  a.i[1] = relu;
  a.f[0] = eps;
  a.f[1] = momentum;
  glia_tensor *in[5] = {x, weight, bias, running_mean, running_var};
  return glia__run(nn, GLIA__OP_batch_norm, in, 5, &a, out);
}

glia_status glia_batch_norm(glia_nn *nn, glia_tensor *x, glia_tensor *weight, glia_tensor *bias,
                            glia_tensor *running_mean, glia_tensor *running_var, float momentum,
                            float eps, glia_tensor **out) {
  return bn_run(nn, x, weight, bias, running_mean, running_var, momentum, eps, 0, out);
}

glia_status glia_batch_norm_relu(glia_nn *nn, glia_tensor *x, glia_tensor *weight,
                                 glia_tensor *bias, glia_tensor *running_mean,
                                 glia_tensor *running_var, float momentum, float eps,
                                 glia_tensor **out) {
  return bn_run(nn, x, weight, bias, running_mean, running_var, momentum, eps, 1, out);
}

/* ---- softmax, log_softmax: i[0] = dim. ---- */
static glia_status softmax_shape(glia__args *a) {
  if (a->i[0] < 0) a->i[0] += a->ndim[0];
  if (a->ndim[0] < 1 || a->i[0] < 0 || a->i[0] >= a->ndim[0])
    return glia__shape_error(a, "softmax", "dim out of range");
  a->out_ndim = a->ndim[0];
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  return GLIA_OK;
}

static void softmax_check(int k, glia__args *a) {
  glia__set_in(a, 0, 3, (int64_t[]){2, 4, 3});
  a->i[0] = k == 0 ? -1 : 1;
}

#define SOFTMAX_ROW(id)                                                                            \
  const glia__op glia__op_##id = {                                                                 \
      .name = #id,                                                                                 \
      .min_in = 1,                                                                                 \
      .max_in = 1,                                                                                 \
      .diff = 1,                                                                                   \
      .shape = softmax_shape,                                                                      \
      GLIA__REF_ROW(id),                                                                           \
      .n_checks = 2,                                                                               \
      .check = softmax_check,                                                                      \
  };
SOFTMAX_ROW(softmax)
SOFTMAX_ROW(log_softmax)

glia_status glia_softmax(glia_nn *nn, glia_tensor *x, int dim, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = dim;
  return glia__run(nn, GLIA__OP_softmax, &x, 1, &a, out);
}

glia_status glia_log_softmax(glia_nn *nn, glia_tensor *x, int dim, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = dim;
  return glia__run(nn, GLIA__OP_log_softmax, &x, 1, &a, out);
}

/* ---- layer_norm: x, weight, bias (optional); i[0] = trailing dims, i[1] = channels-first;
 * f[0] = eps. ---- */
static glia_status ln_shape(glia__args *a) {
  const int nd = a->ndim[0];
  int64_t D = 1;
  if (a->i[1]) {
    if (nd < 2) return glia__shape_error(a, "layer_norm", "channels-first needs [N, C, ...]");
    D = a->shape[0][1];
  } else {
    if (a->i[0] < 1 || a->i[0] > nd)
      return glia__shape_error(a, "layer_norm", "bad normalized dims");
    for (int d = nd - (int)a->i[0]; d < nd; d++) D *= a->shape[0][d];
  }
  for (int k = 1; k < a->n_in; k++)
    if (a->ndim[k] >= 0 && glia__in_numel(a, k) != D)
      return glia__shape_error(a, "layer_norm", "weight and bias must cover the normalized dims");
  a->out_ndim = nd;
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  return GLIA_OK;
}

static size_t ln_aux(const glia__args *a) {
  int64_t D = 1;
  if (a->i[1])
    D = a->shape[0][1];
  else
    for (int d = a->ndim[0] - (int)a->i[0]; d < a->ndim[0]; d++) D *= a->shape[0][d];
  return 2 * (size_t)(glia__in_numel(a, 0) / D);
}

static void ln_check(int k, glia__args *a) {
  glia__set_in(a, 0, k == 2 ? 4 : 3, k == 2 ? (int64_t[]){2, 3, 2, 2} : (int64_t[]){2, 3, 4});
  const int64_t d[2] = {3, 4};
  a->i[0] = k == 1 ? 2 : 1;
  a->i[1] = k == 2;
  int64_t wshape = k == 2 ? 3 : k == 1 ? 12 : 4;
  (void)d;
  glia__set_in(a, 1, 1, &wshape);
  glia__set_in(a, 2, 1, &wshape);
  a->f[0] = 1e-5;
}

const glia__op glia__op_layer_norm = {
    .name = "layer_norm",
    .min_in = 1,
    .max_in = 3,
    .diff = 7,
    .shape = ln_shape,
    .aux_size = ln_aux,
    GLIA__REF_ROW(layer_norm),
    .n_checks = 3,
    .check = ln_check,
};

glia_status glia_layer_norm(glia_nn *nn, glia_tensor *x, glia_tensor *weight, glia_tensor *bias,
                            int normalized_dims, int channels_first, float eps, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = normalized_dims;
  a.i[1] = channels_first != 0;
  a.f[0] = eps;
  glia_tensor *in[3] = {x, weight, bias};
  return glia__run(nn, GLIA__OP_layer_norm, in, 3, &a, out);
}

/* ---- group_norm: x, weight, bias (optional); i[0] = groups; f[0] = eps. ---- */
static glia_status gn_shape(glia__args *a) {
  if (a->ndim[0] < 2 || a->i[0] < 1 || a->shape[0][1] % a->i[0])
    return glia__shape_error(a, "group_norm", "expected x [N, C, ...] with C divisible by groups");
  for (int k = 1; k < a->n_in; k++)
    if (a->ndim[k] >= 0 && (a->ndim[k] != 1 || a->shape[k][0] != a->shape[0][1]))
      return glia__shape_error(a, "group_norm", "weight and bias must be [C]");
  a->out_ndim = a->ndim[0];
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  return GLIA_OK;
}

static size_t gn_aux(const glia__args *a) { return 2 * (size_t)(a->shape[0][0] * a->i[0]); }

static void gn_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){2, 4, 2, 3});
  glia__set_in(a, 1, k ? -1 : 1, (int64_t[]){4});
  glia__set_in(a, 2, k ? -1 : 1, (int64_t[]){4});
  a->i[0] = k ? 4 : 2;
  a->f[0] = 1e-5;
}

const glia__op glia__op_group_norm = {
    .name = "group_norm",
    .min_in = 1,
    .max_in = 3,
    .diff = 7,
    .shape = gn_shape,
    .aux_size = gn_aux,
    GLIA__REF_ROW(group_norm),
    .n_checks = 2,
    .check = gn_check,
};

glia_status glia_group_norm(glia_nn *nn, glia_tensor *x, int groups, glia_tensor *weight,
                            glia_tensor *bias, float eps, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = groups;
  a.f[0] = eps;
  glia_tensor *in[3] = {x, weight, bias};
  return glia__run(nn, GLIA__OP_group_norm, in, 3, &a, out);
}
