/* Op rows and entry points: max, average and adaptive average pooling. */
#include "nn/internal.h"

/* ---- max_pool2d, avg_pool2d: i = kernel, stride, padding (square windows). ---- */
static glia_status pool_shape(glia__args *a) {
  const int64_t k = a->i[0], s = a->i[1], p = a->i[2];
  if (a->ndim[0] != 4) return glia__shape_error(a, "pool2d", "expected x [N, C, H, W]");
  if (k < 1 || s < 1 || p < 0 || 2 * p > k)
    return glia__shape_error(a, "pool2d",
                             "need kernel >= 1, stride >= 1, 0 <= 2·padding <= kernel");
  int64_t oh = (a->shape[0][2] + 2 * p - k) / s + 1, ow = (a->shape[0][3] + 2 * p - k) / s + 1;
  if (oh < 1 || ow < 1) return glia__shape_error(a, "pool2d", "the window is larger than x");
  a->out_ndim = 4;
  a->out_shape[0] = a->shape[0][0];
  a->out_shape[1] = a->shape[0][1];
  a->out_shape[2] = oh;
  a->out_shape[3] = ow;
  return GLIA_OK;
}

static void pool_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){2, 2, 7, 6});
  a->i[0] = 3;
  a->i[1] = k ? 2 : 1;
  a->i[2] = k;
}

/* The fast path keeps each output's argmax (aux: oneDNN's workspace, or a float index when
 * its hand kernel runs); the reference searches again. */
static size_t max_pool_aux(const glia__args *a) { return (size_t)glia__out_numel(a); }

const glia__op glia__op_max_pool2d = {
    .name = "max_pool2d",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = pool_shape,
    .aux_size = max_pool_aux,
    GLIA__REF_ROW(max_pool2d),
    .fast_supports = glia__pool_supports,
    .fast_fwd = glia__max_pool2d_fast_fwd,
    .fast_bwd = glia__max_pool2d_fast_bwd,
    .bwd_reads = GLIA__READS(GLIA__R_IN(0)),
    .bwd_reads_fast = GLIA__READS(GLIA__R_AUX),
    .n_checks = 2,
    .check = pool_check,
};

const glia__op glia__op_avg_pool2d = {
    .name = "avg_pool2d",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = pool_shape,
    GLIA__REF_ROW(avg_pool2d),
    .fast_supports = glia__pool_supports,
    .fast_fwd = glia__avg_pool2d_fast_fwd,
    .fast_bwd = glia__avg_pool2d_fast_bwd,
    .n_checks = 2,
    .check = pool_check,
};

static glia_status pool(glia_nn *nn, glia__op_id id, glia_tensor *x, int kernel, int stride,
                        int padding, glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = kernel;
  a.i[1] = stride;
  a.i[2] = padding;
  return glia__run(nn, id, &x, 1, &a, out);
}

glia_status glia_max_pool2d(glia_nn *nn, glia_tensor *x, int kernel, int stride, int padding,
                            glia_tensor **out) {
  return pool(nn, GLIA__OP_max_pool2d, x, kernel, stride, padding, out);
}

glia_status glia_avg_pool2d(glia_nn *nn, glia_tensor *x, int kernel, int stride, int padding,
                            glia_tensor **out) {
  return pool(nn, GLIA__OP_avg_pool2d, x, kernel, stride, padding, out);
}

/* ---- adaptive_avg_pool2d: i = output height, width. ---- */
static glia_status adaptive_shape(glia__args *a) {
  if (a->ndim[0] != 4 || a->i[0] < 1 || a->i[1] < 1)
    return glia__shape_error(a, "adaptive_avg_pool2d", "expected x [N, C, H, W], output >= 1");
  a->out_ndim = 4;
  a->out_shape[0] = a->shape[0][0];
  a->out_shape[1] = a->shape[0][1];
  a->out_shape[2] = a->i[0];
  a->out_shape[3] = a->i[1];
  return GLIA_OK;
}

static void adaptive_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){2, 3, 7, 5});
  a->i[0] = k ? 3 : 1;
  a->i[1] = k ? 2 : 1;
}

const glia__op glia__op_adaptive_avg_pool2d = {
    .name = "adaptive_avg_pool2d",
    .min_in = 1,
    .max_in = 1,
    .diff = 1,
    .shape = adaptive_shape,
    GLIA__REF_ROW(adaptive_avg_pool2d),
    .bwd_reads = GLIA__READS(0),
    .n_checks = 2,
    .check = adaptive_check,
};

glia_status glia_adaptive_avg_pool2d(glia_nn *nn, glia_tensor *x, int out_h, int out_w,
                                     glia_tensor **out) {
  glia__args a = {0};
  a.i[0] = out_h;
  a.i[1] = out_w;
  return glia__run(nn, GLIA__OP_adaptive_avg_pool2d, &x, 1, &a, out);
}
