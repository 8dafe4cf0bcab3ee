/* Op rows and entry points: broadcasting add/mul, scale, activations, reshape, dropout. */
#include <string.h>

#include "nn/internal.h"

/* ---- add, mul: PyTorch broadcasting of two inputs. ---- */
static glia_status bcast_shape(glia__args *a) {
  const int n0 = a->ndim[0], n1 = a->ndim[1], nd = n0 > n1 ? n0 : n1;
  for (int d = 0; d < nd; d++) {
    int d0 = d - (nd - n0), d1 = d - (nd - n1);
    int64_t s0 = d0 >= 0 ? a->shape[0][d0] : 1, s1 = d1 >= 0 ? a->shape[1][d1] : 1;
    if (s0 != s1 && s0 != 1 && s1 != 1)
      return glia__shape_error(a, "broadcast", "shapes do not broadcast");
    a->out_shape[d] = s0 > s1 ? s0 : s1;
  }
  a->out_ndim = nd;
  return GLIA_OK;
}

static void bcast_check(int k, glia__args *a) {
  if (k == 0) {
    glia__set_in(a, 0, 3, (int64_t[]){2, 3, 4});
    glia__set_in(a, 1, 3, (int64_t[]){2, 3, 4});
  } else if (k == 1) {
    glia__set_in(a, 0, 4, (int64_t[]){2, 3, 2, 2});
    glia__set_in(a, 1, 3, (int64_t[]){3, 1, 1});
  } else {
    glia__set_in(a, 0, 3, (int64_t[]){2, 1, 4});
    glia__set_in(a, 1, 2, (int64_t[]){3, 1});
  }
}

#define BCAST_ROW(id, reads)                                                                       \
  const glia__op glia__op_##id = {                                                                 \
      .name = #id,                                                                                 \
      .min_in = 2,                                                                                 \
      .max_in = 2,                                                                                 \
      .diff = 3,                                                                                   \
      .shape = bcast_shape,                                                                        \
      GLIA__REF_ROW(id),                                                                           \
      .bwd_reads = (reads),                                                                        \
      .in_place = 1,                                                                               \
      .n_checks = 3,                                                                               \
      .check = bcast_check,                                                                        \
  };
BCAST_ROW(add, GLIA__READS(0))
BCAST_ROW(mul, GLIA__READS(GLIA__R_IN(0) | GLIA__R_IN(1)))

glia_status glia_add(glia_nn *nn, glia_tensor *a, glia_tensor *b, glia_tensor **out) {
  glia__args g = {0};
  glia_tensor *in[2] = {a, b};
  return glia__run(nn, GLIA__OP_add, in, 2, &g, out);
}

glia_status glia_mul(glia_nn *nn, glia_tensor *a, glia_tensor *b, glia_tensor **out) {
  glia__args g = {0};
  glia_tensor *in[2] = {a, b};
  return glia__run(nn, GLIA__OP_mul, in, 2, &g, out);
}

/* ---- unary elementwise ops: the output has the input's shape. ---- */
static glia_status same_shape(glia__args *a) {
  a->out_ndim = a->ndim[0];
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  return GLIA_OK;
}

/* i[0] and f[0] of the check: gelu's approximation, leaky_relu's slope, scale's factor. */
static void unary_check(int k, glia__args *a) {
  glia__set_in(a, 0, 3, (int64_t[]){2, 3, 5});
  a->i[0] = k;
  a->f[0] = k ? 0.1 : -1.5;
}

#define UNARY_ROW(id, checks, reads)                                                               \
  const glia__op glia__op_##id = {                                                                 \
      .name = #id,                                                                                 \
      .min_in = 1,                                                                                 \
      .max_in = 1,                                                                                 \
      .diff = 1,                                                                                   \
      .shape = same_shape,                                                                         \
      GLIA__REF_ROW(id),                                                                           \
      .bwd_reads = (reads),                                                                        \
      .in_place = 1,                                                                               \
      .n_checks = (checks),                                                                        \
      .check = unary_check,                                                                        \
  };
UNARY_ROW(relu, 1, GLIA__READS(GLIA__R_OUT)) /* the mask y > 0 is x > 0 */
UNARY_ROW(leaky_relu, 2, 0)
UNARY_ROW(gelu, 2, 0)
UNARY_ROW(silu, 1, 0)
UNARY_ROW(sigmoid, 1, 0)
UNARY_ROW(tanh, 1, 0)
UNARY_ROW(scale, 2, GLIA__READS(0))

static glia_status unary(glia_nn *nn, glia__op_id id, glia_tensor *x, int64_t i0, double f0,
                         glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = i0;
  a.f[0] = f0;
  return glia__run(nn, id, &x, 1, &a, out);
}

glia_status glia_relu(glia_nn *nn, glia_tensor *x, glia_tensor **out) {
  return unary(nn, GLIA__OP_relu, x, 0, 0, out);
}
glia_status glia_leaky_relu(glia_nn *nn, glia_tensor *x, float slope, glia_tensor **out) {
  return unary(nn, GLIA__OP_leaky_relu, x, 0, slope, out);
}
glia_status glia_gelu(glia_nn *nn, glia_tensor *x, int approximate, glia_tensor **out) {
  return unary(nn, GLIA__OP_gelu, x, approximate != 0, 0, out);
}
glia_status glia_silu(glia_nn *nn, glia_tensor *x, glia_tensor **out) {
  return unary(nn, GLIA__OP_silu, x, 0, 0, out);
}
glia_status glia_sigmoid(glia_nn *nn, glia_tensor *x, glia_tensor **out) {
  return unary(nn, GLIA__OP_sigmoid, x, 0, 0, out);
}
glia_status glia_tanh(glia_nn *nn, glia_tensor *x, glia_tensor **out) {
  return unary(nn, GLIA__OP_tanh, x, 0, 0, out);
}
glia_status glia_scale(glia_nn *nn, glia_tensor *x, float s, glia_tensor **out) {
  return unary(nn, GLIA__OP_scale, x, 0, s, out);
}

/* ---- reshape: i[0] = ndim, i[1..6] = the shape (one entry may be -1). ---- */
static glia_status reshape_shape(glia__args *a) {
  const int nd = (int)a->i[0];
  int64_t known = 1, n = glia__in_numel(a, 0);
  int free_dim = -1;
  if (nd < 0 || nd > GLIA__MAX_DIMS) return glia__shape_error(a, "reshape", "bad target rank");
  for (int d = 0; d < nd; d++) {
    int64_t s = a->i[1 + d];
    if (s == -1 && free_dim < 0)
      free_dim = d;
    else if (s <= 0)
      return glia__shape_error(a, "reshape", "target sizes must be positive (one may be -1)");
    else
      known *= s;
  }
  if (free_dim >= 0 && known > 0 && n % known == 0) a->i[1 + free_dim] = n / known;
  a->out_ndim = nd;
  for (int d = 0; d < nd; d++) a->out_shape[d] = a->i[1 + d];
  if (glia__out_numel(a) != n)
    return glia__shape_error(a, "reshape", "the target shape has another element count");
  return GLIA_OK;
}

static void reshape_check(int k, glia__args *a) {
  (void)k;
  glia__set_in(a, 0, 3, (int64_t[]){2, 3, 4});
  a->i[0] = 2;
  a->i[1] = 4;
  a->i[2] = -1;
}

const glia__op glia__op_reshape = {
    .name = "reshape",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = reshape_shape,
    GLIA__REF_ROW(reshape),
    .bwd_reads = GLIA__READS(0),
    .n_checks = 1,
    .check = reshape_check,
};

glia_status glia_reshape(glia_nn *nn, glia_tensor *x, int ndim, const int64_t *shape,
                         glia_tensor **out) {
  glia__args a = {0};
  if (ndim < 0 || ndim > GLIA__MAX_DIMS)
    return glia_error(GLIA_ERR_ARGUMENT, "reshape: %d dimensions, expected 0 to %d", ndim,
                      GLIA__MAX_DIMS);
  a.i[0] = ndim;
  for (int d = 0; d < ndim; d++) a.i[1 + d] = shape[d];
  return glia__run(nn, GLIA__OP_reshape, &x, 1, &a, out);
}

glia_status glia_flatten(glia_nn *nn, glia_tensor *x, int start_dim, glia_tensor **out) {
  if (start_dim < 0) start_dim += x->ndim;
  if (start_dim < 0 || start_dim >= x->ndim)
    return glia_error(GLIA_ERR_ARGUMENT, "flatten: start_dim %d out of range for %d dimensions",
                      start_dim, x->ndim);
  int64_t shape[GLIA__MAX_DIMS];
  for (int d = 0; d < start_dim; d++) shape[d] = x->shape[d];
  shape[start_dim] = -1;
  return glia_reshape(nn, x, start_dim + 1, shape, out);
}

/* ---- dropout: inputs x and its mask (0 or 1/(1-p), not differentiable). ---- */
static glia_status dropout_shape(glia__args *a) {
  if (glia__in_numel(a, 0) != glia__in_numel(a, 1) || a->ndim[0] != a->ndim[1])
    return glia__shape_error(a, "dropout", "the mask must have x's shape");
  return same_shape(a);
}

static void dropout_check(int k, glia__args *a) {
  (void)k;
  glia__set_in(a, 0, 2, (int64_t[]){3, 5});
  glia__set_in(a, 1, 2, (int64_t[]){3, 5});
}

static void dropout_init(const glia__args *a, int input, double *v, size_t n, double (*u)(void *),
                         void *rng) {
  (void)a;
  for (size_t e = 0; e < n; e++)
    v[e] = input == 1 ? (u(rng) < 0.3 ? 0.0 : 1.0 / 0.7) : 2 * u(rng) - 1;
}

const glia__op glia__op_dropout = {
    .name = "dropout",
    .min_in = 2,
    .max_in = 2,
    .diff = 1,
    .shape = dropout_shape,
    GLIA__REF_ROW(dropout),
    .n_checks = 1,
    .check = dropout_check,
    .check_init = dropout_init,
};

glia_status glia_dropout(glia_nn *nn, glia_tensor *x, float p, glia_tensor **out) {
  if (!(p >= 0 && p < 1))
    return glia_error(GLIA_ERR_ARGUMENT, "dropout: p = %g, expected 0 <= p < 1", (double)p);
  if (!glia__training(nn) || p == 0) return glia_scale(nn, x, 1.0f, out);
  glia_tensor *mask;
  glia_status st = glia_nn_tensor(nn, x->ndim, x->shape, &mask);
  if (st) return st;
  const int64_t n = glia_tensor_numel(x);
  const float keep = 1.0f / (1.0f - p);
  for (int64_t e = 0; e < n; e++) mask->data[e] = glia_nn_uniform(nn) < p ? 0.0f : keep;
  glia__args a = {0};
  glia_tensor *in[2] = {x, mask};
  return glia__run(nn, GLIA__OP_dropout, in, 2, &a, out);
}
