/* Op rows and entry points: cross-entropy, BCE-with-logits, MSE, L1 (mean reduction). */
#include <math.h>

#include "nn/internal.h"

static void scalar_out(glia__args *a) { a->out_ndim = 0; }

/* ---- cross_entropy: logits [N, C], target [N], class weights [C] (optional);
 * f[0] = label smoothing. ---- */
static glia_status ce_shape(glia__args *a) {
  if (a->ndim[0] != 2 || a->ndim[1] != 1 || a->shape[1][0] != a->shape[0][0])
    return glia__shape_error(a, "cross_entropy", "expected logits [N, C] and target [N]");
  if (a->n_in > 2 && a->ndim[2] >= 0 && (a->ndim[2] != 1 || a->shape[2][0] != a->shape[0][1]))
    return glia__shape_error(a, "cross_entropy", "class weights must be [C]");
  if (!(a->f[0] >= 0 && a->f[0] < 1))
    return glia__shape_error(a, "cross_entropy", "label smoothing must be in [0, 1)");
  scalar_out(a);
  return GLIA_OK;
}

static size_t ce_aux(const glia__args *a) { return (size_t)glia__in_numel(a, 0) + 1; }

static void ce_check(int k, glia__args *a) {
  glia__set_in(a, 0, 2, (int64_t[]){4, 5});
  glia__set_in(a, 1, 1, (int64_t[]){4});
  glia__set_in(a, 2, k ? 1 : -1, (int64_t[]){5});
  a->f[0] = k == 2 ? 0.1 : 0.0;
}

static void ce_init(const glia__args *a, int input, double *v, size_t n, double (*u)(void *),
                    void *rng) {
  for (size_t e = 0; e < n; e++) {
    if (input == 1)
      v[e] = floor(u(rng) * (double)a->shape[0][1]);
    else
      v[e] = input == 2 ? 0.2 + u(rng) : 2 * u(rng) - 1;
  }
}

const glia__op glia__op_cross_entropy = {
    .name = "cross_entropy",
    .min_in = 2,
    .max_in = 3,
    .diff = 1,
    .shape = ce_shape,
    .aux_size = ce_aux,
    GLIA__REF_ROW(cross_entropy),
    .n_checks = 3,
    .check = ce_check,
    .check_init = ce_init,
};

glia_status glia_cross_entropy(glia_nn *nn, glia_tensor *logits, glia_tensor *target,
                               glia_tensor *class_weight, float label_smoothing,
                               glia_tensor **out) {
  if (logits->ndim == 2 && target->ndim == 1 && target->shape[0] == logits->shape[0])
    for (int64_t n = 0; n < target->shape[0]; n++) {
      float t = target->data[n];
      if (!(t >= 0 && t < (float)logits->shape[1]) || t != floorf(t))
        return glia_error(GLIA_ERR_ARGUMENT,
                          "cross_entropy: target %lld is %g, expected a class index in [0, %lld)",
                          (long long)n, (double)t, (long long)logits->shape[1]);
    }
  glia__args a = {0};
  a.f[0] = label_smoothing;
  glia_tensor *in[3] = {logits, target, class_weight};
  return glia__run(nn, GLIA__OP_cross_entropy, in, 3, &a, out);
}

/* ---- bce_with_logits: x, target (x's shape), pos_weight [last dim or 1] (optional). ---- */
static glia_status pair_shape(glia__args *a, const char *op) {
  if (a->ndim[0] != a->ndim[1] || glia__in_numel(a, 0) != glia__in_numel(a, 1))
    return glia__shape_error(a, op, "target must have the input's shape");
  for (int d = 0; d < a->ndim[0]; d++)
    if (a->shape[0][d] != a->shape[1][d])
      return glia__shape_error(a, op, "target must have the input's shape");
  scalar_out(a);
  return GLIA_OK;
}

static glia_status bce_shape(glia__args *a) {
  if (a->ndim[0] < 1) return glia__shape_error(a, "bce_with_logits", "x must have a dimension");
  glia_status st = pair_shape(a, "bce_with_logits");
  if (st) return st;
  if (a->n_in > 2 && a->ndim[2] >= 0 &&
      (a->ndim[2] != 1 || (a->shape[2][0] != 1 && a->shape[2][0] != a->shape[0][a->ndim[0] - 1])))
    return glia__shape_error(a, "bce_with_logits", "pos_weight must be [last dim] or [1]");
  return GLIA_OK;
}

static void bce_check(int k, glia__args *a) {
  glia__set_in(a, 0, 2, (int64_t[]){3, 4});
  glia__set_in(a, 1, 2, (int64_t[]){3, 4});
  glia__set_in(a, 2, k ? 1 : -1, (int64_t[]){4});
}

static void bce_init(const glia__args *a, int input, double *v, size_t n, double (*u)(void *),
                     void *rng) {
  (void)a;
  for (size_t e = 0; e < n; e++)
    v[e] = input == 1 ? u(rng) : input == 2 ? 0.5 + 2 * u(rng) : 4 * u(rng) - 2;
}

const glia__op glia__op_bce_with_logits = {
    .name = "bce_with_logits",
    .min_in = 2,
    .max_in = 3,
    .diff = 3,
    .shape = bce_shape,
    GLIA__REF_ROW(bce_with_logits),
    .n_checks = 2,
    .check = bce_check,
    .check_init = bce_init,
};

glia_status glia_bce_with_logits(glia_nn *nn, glia_tensor *x, glia_tensor *target,
                                 glia_tensor *pos_weight, glia_tensor **out) {
  glia__args a = {0};
  glia_tensor *in[3] = {x, target, pos_weight};
  return glia__run(nn, GLIA__OP_bce_with_logits, in, 3, &a, out);
}

/* ---- mse_loss, l1_loss: x and target of one shape. ---- */
static glia_status mse_shape(glia__args *a) { return pair_shape(a, "mse_loss"); }
static glia_status l1_shape(glia__args *a) { return pair_shape(a, "l1_loss"); }

static void pair_check(int k, glia__args *a) {
  (void)k;
  glia__set_in(a, 0, 3, (int64_t[]){2, 3, 2});
  glia__set_in(a, 1, 3, (int64_t[]){2, 3, 2});
}

const glia__op glia__op_mse_loss = {
    .name = "mse_loss",
    .min_in = 2,
    .max_in = 2,
    .diff = 3,
    .shape = mse_shape,
    GLIA__REF_ROW(mse_loss),
    .n_checks = 1,
    .check = pair_check,
};

const glia__op glia__op_l1_loss = {
    .name = "l1_loss",
    .min_in = 2,
    .max_in = 2,
    .diff = 3,
    .shape = l1_shape,
    GLIA__REF_ROW(l1_loss),
    .n_checks = 1,
    .check = pair_check,
};

glia_status glia_mse_loss(glia_nn *nn, glia_tensor *x, glia_tensor *target, glia_tensor **out) {
  glia__args a = {0};
  glia_tensor *in[2] = {x, target};
  return glia__run(nn, GLIA__OP_mse_loss, in, 2, &a, out);
}

glia_status glia_l1_loss(glia_nn *nn, glia_tensor *x, glia_tensor *target, glia_tensor **out) {
  glia__args a = {0};
  glia_tensor *in[2] = {x, target};
  return glia__run(nn, GLIA__OP_l1_loss, in, 2, &a, out);
}

/* ---- dice_loss: probabilities and target of one shape [N, ...]; f[0] = smoothing. ---- */
static glia_status dice_shape(glia__args *a) {
  if (a->ndim[0] < 1) return glia__shape_error(a, "dice_loss", "x must have a batch dim");
  return pair_shape(a, "dice_loss");
}

static size_t dice_aux(const glia__args *a) { return 2 * (size_t)a->shape[0][0]; }

static void dice_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){2, 1, 3, 3});
  glia__set_in(a, 1, 4, (int64_t[]){2, 1, 3, 3});
  a->f[0] = k ? 1.0 : 1e-3;
}

static void dice_init(const glia__args *a, int input, double *v, size_t n, double (*u)(void *),
                      void *rng) {
  (void)a;
  (void)input;
  for (size_t e = 0; e < n; e++) v[e] = u(rng);
}

const glia__op glia__op_dice_loss = {
    .name = "dice_loss",
    .min_in = 2,
    .max_in = 2,
    .diff = 3,
    .shape = dice_shape,
    .aux_size = dice_aux,
    GLIA__REF_ROW(dice_loss),
    .n_checks = 2,
    .check = dice_check,
    .check_init = dice_init,
};

glia_status glia_dice_loss(glia_nn *nn, glia_tensor *probs, glia_tensor *target, float smooth,
                           glia_tensor **out) {
  glia__args a = {0};
  a.f[0] = smooth;
  glia_tensor *in[2] = {probs, target};
  return glia__run(nn, GLIA__OP_dice_loss, in, 2, &a, out);
}
