/* Op rows and entry points: concat, slice, permute, pad, nearest and bilinear upsampling. */
#include <string.h>

#include "nn/internal.h"

static glia_status copy_shape(glia__args *a) {
  a->out_ndim = a->ndim[0];
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  return GLIA_OK;
}

/* ---- concat: 2 to 5 inputs; i[0] = dim. ---- */
static glia_status concat_shape(glia__args *a) {
  const int nd = a->ndim[0];
  if (a->i[0] < 0) a->i[0] += nd;
  if (a->i[0] < 0 || a->i[0] >= nd) return glia__shape_error(a, "concat", "dim out of range");
  copy_shape(a);
  for (int k = 1; k < a->n_in; k++) {
    if (a->ndim[k] != nd) return glia__shape_error(a, "concat", "inputs differ in rank");
    for (int d = 0; d < nd; d++)
      if (d != a->i[0] && a->shape[k][d] != a->shape[0][d])
        return glia__shape_error(a, "concat", "inputs differ outside the concatenated dim");
    a->out_shape[a->i[0]] += a->shape[k][a->i[0]];
  }
  return GLIA_OK;
}

static void concat_check(int k, glia__args *a) {
  glia__set_in(a, 0, 3, (int64_t[]){2, 3, 2});
  glia__set_in(a, 1, 3, k ? (int64_t[]){2, 1, 2} : (int64_t[]){2, 3, 3});
  if (k) glia__set_in(a, 2, 3, (int64_t[]){2, 2, 2});
  a->i[0] = k ? 1 : -1;
}

const glia__op glia__op_concat = {
    .name = "concat",
    .min_in = 2,
    .max_in = 5,
    .diff = 31,
    .shape = concat_shape,
    GLIA__REF_ROW(concat),
    .n_checks = 2,
    .check = concat_check,
};

glia_status glia_concat(glia_nn *nn, glia_tensor *const *xs, int n, int dim, glia_tensor **out) {
  if (n < 2 || n > GLIA__MAX_IN)
    return glia_error(GLIA_ERR_ARGUMENT, "concat: %d inputs, expected 2 to %d", n, GLIA__MAX_IN);
  glia__args a = {0};
  a.i[0] = dim;
  return glia__run(nn, GLIA__OP_concat, xs, n, &a, out);
}

/* ---- slice: i = dim, start, end, step (after normalisation by the entry point). ---- */
static glia_status slice_shape(glia__args *a) {
  const int nd = a->ndim[0];
  if (a->i[0] < 0 || a->i[0] >= nd || a->i[3] < 1 || a->i[1] < 0 || a->i[1] >= a->i[2] ||
      a->i[2] > a->shape[0][a->i[0]])
    return glia__shape_error(a, "slice",
                             "need a dim in range, 0 <= start < end <= size, step >= 1");
  copy_shape(a);
  a->out_shape[a->i[0]] = (a->i[2] - a->i[1] + a->i[3] - 1) / a->i[3];
  return GLIA_OK;
}

static void slice_check(int k, glia__args *a) {
  glia__set_in(a, 0, 3, (int64_t[]){2, 7, 3});
  a->i[0] = 1;
  a->i[1] = k ? 1 : 2;
  a->i[2] = k ? 7 : 5;
  a->i[3] = k ? 3 : 1;
}

const glia__op glia__op_slice = {
    .name = "slice",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = slice_shape,
    GLIA__REF_ROW(slice),
    .n_checks = 2,
    .check = slice_check,
};

glia_status glia_slice(glia_nn *nn, glia_tensor *x, int dim, int64_t start, int64_t end,
                       int64_t step, glia_tensor **out) {
  glia__args a = {0};
  if (dim < 0) dim += x->ndim;
  if (dim >= 0 && dim < x->ndim) {
    int64_t n = x->shape[dim];
    if (start < 0) start += n;
    if (end < 0) end += n;
    if (end > n) end = n;
  }
  a.i[0] = dim;
  a.i[1] = start;
  a.i[2] = end;
  a.i[3] = step;
  return glia__run(nn, GLIA__OP_slice, &x, 1, &a, out);
}

/* ---- permute: i[d] = the input dim that becomes output dim d. ---- */
static glia_status permute_shape(glia__args *a) {
  const int nd = a->ndim[0];
  int seen[GLIA__MAX_DIMS] = {0};
  for (int d = 0; d < nd; d++) {
    if (a->i[d] < 0 || a->i[d] >= nd || seen[a->i[d]]++)
      return glia__shape_error(a, "permute", "not a permutation of the dims");
    a->out_shape[d] = a->shape[0][a->i[d]];
  }
  a->out_ndim = nd;
  return GLIA_OK;
}

static void permute_check(int k, glia__args *a) {
  (void)k;
  glia__set_in(a, 0, 4, (int64_t[]){2, 3, 4, 2});
  const int64_t p[4] = {0, 2, 3, 1};
  memcpy(a->i, p, sizeof p);
}

const glia__op glia__op_permute = {
    .name = "permute",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = permute_shape,
    GLIA__REF_ROW(permute),
    .n_checks = 1,
    .check = permute_check,
};

glia_status glia_permute(glia_nn *nn, glia_tensor *x, const int *perm, glia_tensor **out) {
  glia__args a = {0};
  for (int d = 0; d < x->ndim && d < GLIA__MAX_DIMS; d++) a.i[d] = perm[d];
  return glia__run(nn, GLIA__OP_permute, &x, 1, &a, out);
}

/* ---- pad: i = left, right, top, bottom (>= 0) of the last two dims; f[0] = value. ---- */
static glia_status pad_shape(glia__args *a) {
  const int nd = a->ndim[0];
  if (nd < 2 || a->i[0] < 0 || a->i[1] < 0 || a->i[2] < 0 || a->i[3] < 0)
    return glia__shape_error(a, "pad", "need 2 or more dims and paddings >= 0");
  copy_shape(a);
  a->out_shape[nd - 1] += a->i[0] + a->i[1];
  a->out_shape[nd - 2] += a->i[2] + a->i[3];
  return GLIA_OK;
}

static void pad_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){1, 2, 3, 4});
  const int64_t p[4] = {1, 2, 0, 3};
  memcpy(a->i, p, sizeof p);
  a->f[0] = k ? 0.5 : 0;
}

const glia__op glia__op_pad = {
    .name = "pad",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = pad_shape,
    GLIA__REF_ROW(pad),
    .n_checks = 2,
    .check = pad_check,
};

glia_status glia_pad2d(glia_nn *nn, glia_tensor *x, int left, int right, int top, int bottom,
                       float value, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = left;
  a.i[1] = right;
  a.i[2] = top;
  a.i[3] = bottom;
  a.f[0] = value;
  return glia__run(nn, GLIA__OP_pad, &x, 1, &a, out);
}

/* ---- upsample_nearest2d / upsample_bilinear2d: i = out h, out w, align_corners. ---- */
static glia_status upsample_shape(glia__args *a) {
  if (a->ndim[0] != 4 || a->i[0] < 1 || a->i[1] < 1)
    return glia__shape_error(a, "upsample", "expected x [N, C, H, W] and an output size >= 1");
  copy_shape(a);
  a->out_shape[2] = a->i[0];
  a->out_shape[3] = a->i[1];
  return GLIA_OK;
}

static void upsample_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){1, 2, 3, 4});
  a->i[0] = k == 1 ? 2 : 7; /* downsampling too */
  a->i[1] = 9;
  a->i[2] = k == 2;
}

const glia__op glia__op_upsample_nearest2d = {
    .name = "upsample_nearest2d",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = upsample_shape,
    GLIA__REF_ROW(upsample_nearest2d),
    .n_checks = 2,
    .check = upsample_check,
};

const glia__op glia__op_upsample_bilinear2d = {
    .name = "upsample_bilinear2d",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = upsample_shape,
    GLIA__REF_ROW(upsample_bilinear2d),
    .n_checks = 3,
    .check = upsample_check,
};

glia_status glia_upsample_nearest2d(glia_nn *nn, glia_tensor *x, int out_h, int out_w,
                                    glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = out_h;
  a.i[1] = out_w;
  return glia__run(nn, GLIA__OP_upsample_nearest2d, &x, 1, &a, out);
}

glia_status glia_upsample_bilinear2d(glia_nn *nn, glia_tensor *x, int out_h, int out_w,
                                     int align_corners, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = out_h;
  a.i[1] = out_w;
  a.i[2] = align_corners != 0;
  return glia__run(nn, GLIA__OP_upsample_bilinear2d, &x, 1, &a, out);
}
