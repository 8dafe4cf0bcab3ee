/* Op rows and entry points: conv2d, linear, matmul. */
#include <string.h>

#include "nn/internal.h"

/* ---- conv2d: inputs x, w, bias (optional); i = stride h, w, pad h, w, dilation h, w,
 * groups, fused ReLU. ---- */
static glia_status conv2d_shape(glia__args *a) {
  const char *op = "conv2d";
  if (a->ndim[0] != 4 || a->ndim[1] != 4)
    return glia__shape_error(a, op, "expected x [N, C, H, W] and weight [O, C/groups, kh, kw]");
  const int64_t G = a->i[6], C = a->shape[0][1], O = a->shape[1][0];
  if (G < 1 || C % G || O % G || a->shape[1][1] * G != C)
    return glia__shape_error(a, op, "channels do not match the weight and groups");
  for (int d = 0; d < 2; d++)
    if (a->i[d] < 1 || a->i[2 + d] < 0 || a->i[4 + d] < 1)
      return glia__shape_error(a, op, "stride and dilation must be >= 1, padding >= 0");
  if (a->i[7] != 0 && a->i[7] != 1) return glia__shape_error(a, op, "relu must be 0 or 1");
  if (a->n_in > 2 && a->ndim[2] >= 0 && (a->ndim[2] != 1 || a->shape[2][0] != O))
    return glia__shape_error(a, op, "bias must be [out channels]");
  int64_t oh = (a->shape[0][2] + 2 * a->i[2] - a->i[4] * (a->shape[1][2] - 1) - 1) / a->i[0] + 1;
  int64_t ow = (a->shape[0][3] + 2 * a->i[3] - a->i[5] * (a->shape[1][3] - 1) - 1) / a->i[1] + 1;
  if (oh < 1 || ow < 1) return glia__shape_error(a, op, "the kernel is larger than the input");
  a->out_ndim = 4;
  a->out_shape[0] = a->shape[0][0];
  a->out_shape[1] = O;
  a->out_shape[2] = oh;
  a->out_shape[3] = ow;
  return GLIA_OK;
}

/* Case 3: case 0 with the fused ReLU. */
static void conv2d_check(int k, glia__args *a) {
  static const int64_t cases[4][4][4] = {
      {{2, 3, 5, 6}, {4, 3, 3, 3}, {4}, {1, 1, 1, 1}},
      {{1, 4, 7, 5}, {6, 2, 3, 2}, {6}, {2, 1, 1, 0}},
      {{2, 3, 5, 5}, {3, 1, 3, 3}, {0}, {2, 2, 1, 1}},
      {{2, 3, 5, 6}, {4, 3, 3, 3}, {4}, {1, 1, 1, 1}},
  };
  glia__set_in(a, 0, 4, cases[k][0]);
  glia__set_in(a, 1, 4, cases[k][1]);
  glia__set_in(a, 2, cases[k][2][0] ? 1 : -1, cases[k][2]);
  for (int d = 0; d < 4; d++) a->i[d] = cases[k][3][d];
  a->i[4] = 1;
  a->i[5] = k == 1 ? 2 : 1;
  a->i[6] = k == 0 || k == 3 ? 1 : k == 1 ? 2 : 3;
  a->i[7] = k == 3;
}

/* The fused ReLU's backward masks dy where the output is 0. */
static unsigned conv2d_reads_extra(const glia__args *a) { return a->i[7] ? GLIA__R_OUT : 0; }

const glia__op glia__op_conv2d = {
    .name = "conv2d",
    .min_in = 2,
    .max_in = 3,
    .diff = 7,
    .shape = conv2d_shape,
    GLIA__REF_ROW(conv2d),
    .bwd_reads = GLIA__READS(GLIA__R_IN(0) | GLIA__R_IN(1)),
    .bwd_reads_extra = conv2d_reads_extra,
    .fast_supports = glia__conv2d_supports,
    .fast_fwd = glia__conv2d_fast_fwd,
    .fast_bwd = glia__conv2d_fast_bwd,
    .n_checks = 4,
    .check = conv2d_check,
};

glia_status glia_conv2d(glia_nn *nn, glia_tensor *x, glia_tensor *w, glia_tensor *bias,
                        const glia_conv2d_opts *o, glia_tensor **out) {
  glia_conv2d_opts d = GLIA_CONV2D_DEFAULTS;
  if (!o) o = &d;
  glia__args a = {0};
  for (int k = 0; k < 2; k++) {
    a.i[k] = o->stride[k];
    a.i[2 + k] = o->padding[k];
    a.i[4 + k] = o->dilation[k];
  }
  a.i[6] = o->groups;
  a.i[7] = o->relu;
  glia_tensor *in[3] = {x, w, bias};
  return glia__run(nn, GLIA__OP_conv2d, in, 3, &a, out);
}

/* ---- linear: x [..., I], w [O, I], bias [O] (optional). ---- */
static glia_status linear_shape(glia__args *a) {
  const int nd = a->ndim[0];
  if (nd < 1 || a->ndim[1] != 2 || a->shape[0][nd - 1] != a->shape[1][1])
    return glia__shape_error(a, "linear", "expected x [..., in] and weight [out, in]");
  if (a->n_in > 2 && a->ndim[2] >= 0 && (a->ndim[2] != 1 || a->shape[2][0] != a->shape[1][0]))
    return glia__shape_error(a, "linear", "bias must be [out]");
  a->out_ndim = nd;
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  a->out_shape[nd - 1] = a->shape[1][0];
  return GLIA_OK;
}

static void linear_check(int k, glia__args *a) {
  if (k == 0) {
    glia__set_in(a, 0, 2, (int64_t[]){3, 5});
    glia__set_in(a, 1, 2, (int64_t[]){4, 5});
    glia__set_in(a, 2, 1, (int64_t[]){4});
  } else {
    glia__set_in(a, 0, 3, (int64_t[]){2, 3, 5});
    glia__set_in(a, 1, 2, (int64_t[]){2, 5});
  }
}

const glia__op glia__op_linear = {
    .name = "linear",
    .min_in = 2,
    .max_in = 3,
    .diff = 7,
    .shape = linear_shape,
    GLIA__REF_ROW(linear),
    .bwd_reads = GLIA__READS(GLIA__R_IN(0) | GLIA__R_IN(1)),
    .fast_supports = glia__gemm_supports,
    .fast_fwd = glia__linear_fast_fwd,
    .fast_bwd = glia__linear_fast_bwd,
    .n_checks = 2,
    .check = linear_check,
};

glia_status glia_linear(glia_nn *nn, glia_tensor *x, glia_tensor *w, glia_tensor *bias,
                        glia_tensor **out) {
  glia__args a = {0};
  glia_tensor *in[3] = {x, w, bias};
  return glia__run(nn, GLIA__OP_linear, in, 3, &a, out);
}

/* ---- matmul: a [..., M, K] × b [..., K, N] or b [K, N]. ---- */
static glia_status matmul_shape(glia__args *a) {
  const int na = a->ndim[0], nb = a->ndim[1];
  int ok =
      na >= 2 && nb >= 2 && a->shape[0][na - 1] == a->shape[1][nb - 2] && (nb == 2 || nb == na);
  for (int d = 0; ok && nb == na && d < na - 2; d++) ok = a->shape[0][d] == a->shape[1][d];
  if (!ok)
    return glia__shape_error(a, "matmul",
                             "expected a [..., M, K] and b [..., K, N] (same batch) or [K, N]");
  a->out_ndim = na;
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  a->out_shape[na - 1] = a->shape[1][nb - 1];
  return GLIA_OK;
}

static void matmul_check(int k, glia__args *a) {
  glia__set_in(a, 0, 3, (int64_t[]){2, 3, 4});
  if (k == 0)
    glia__set_in(a, 1, 3, (int64_t[]){2, 4, 5});
  else
    glia__set_in(a, 1, 2, (int64_t[]){4, 5});
}

const glia__op glia__op_matmul = {
    .name = "matmul",
    .min_in = 2,
    .max_in = 2,
    .diff = 3,
    .shape = matmul_shape,
    GLIA__REF_ROW(matmul),
    .fast_supports = glia__gemm_supports,
    .fast_fwd = glia__matmul_fast_fwd,
    .fast_bwd = glia__matmul_fast_bwd,
    .n_checks = 2,
    .check = matmul_check,
};

glia_status glia_matmul(glia_nn *nn, glia_tensor *a, glia_tensor *b, glia_tensor **out) {
  glia__args g = {0};
  glia_tensor *in[2] = {a, b};
  return glia__run(nn, GLIA__OP_matmul, in, 2, &g, out);
}

/* ---- conv_transpose2d: x, w [Cin, Cout/G, kh, kw], bias (optional); i = stride h, w, pad h, w,
 * output padding h, w, dilation h, w, groups. ---- */
static glia_status convt_shape(glia__args *a) {
  const char *op = "conv_transpose2d";
  if (a->ndim[0] != 4 || a->ndim[1] != 4 || a->shape[0][1] != a->shape[1][0])
    return glia__shape_error(a, op, "expected x [N, C, H, W] and weight [C, O/groups, kh, kw]");
  const int64_t G = a->i[8];
  if (G < 1 || a->shape[0][1] % G)
    return glia__shape_error(a, op, "channels not divisible by groups");
  for (int d = 0; d < 2; d++)
    if (a->i[d] < 1 || a->i[2 + d] < 0 || a->i[6 + d] < 1 || a->i[4 + d] < 0 ||
        a->i[4 + d] >= (a->i[d] > a->i[6 + d] ? a->i[d] : a->i[6 + d]))
      return glia__shape_error(a, op,
                               "need stride, dilation >= 1, padding >= 0, output padding "
                               "< stride or dilation");
  const int64_t O = a->shape[1][1] * G;
  if (a->n_in > 2 && a->ndim[2] >= 0 && (a->ndim[2] != 1 || a->shape[2][0] != O))
    return glia__shape_error(a, op, "bias must be [out channels]");
  a->out_ndim = 4;
  a->out_shape[0] = a->shape[0][0];
  a->out_shape[1] = O;
  for (int d = 0; d < 2; d++) {
    a->out_shape[2 + d] = (a->shape[0][2 + d] - 1) * a->i[d] - 2 * a->i[2 + d] +
                          a->i[6 + d] * (a->shape[1][2 + d] - 1) + a->i[4 + d] + 1;
    if (a->out_shape[2 + d] < 1) return glia__shape_error(a, op, "the output would be empty");
  }
  return GLIA_OK;
}

static void convt_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){2, 4, 3, 3});
  glia__set_in(a, 1, 4, k ? (int64_t[]){4, 1, 3, 3} : (int64_t[]){4, 3, 2, 2});
  glia__set_in(a, 2, k ? -1 : 1, (int64_t[]){3});
  const int64_t i0[9] = {2, 2, 0, 0, 0, 0, 1, 1, 1}, i1[9] = {2, 1, 1, 0, 1, 0, 1, 2, 2};
  memcpy(a->i, k ? i1 : i0, sizeof i0);
}

const glia__op glia__op_conv_transpose2d = {
    .name = "conv_transpose2d",
    .min_in = 2,
    .max_in = 3,
    .diff = 7,
    .shape = convt_shape,
    GLIA__REF_ROW(conv_transpose2d),
    .fast_supports = glia__conv2d_supports,
    .fast_fwd = glia__conv_transpose2d_fast_fwd,
    .fast_bwd = glia__conv_transpose2d_fast_bwd,
    .n_checks = 2,
    .check = convt_check,
};

glia_status glia_conv_transpose2d(glia_nn *nn, glia_tensor *x, glia_tensor *w, glia_tensor *bias,
                                  const glia_conv_transpose2d_opts *o, glia_tensor **out) {
  glia_conv_transpose2d_opts d = GLIA_CONV_TRANSPOSE2D_DEFAULTS;
  if (!o) o = &d;
  glia__args a = {0};
  for (int k = 0; k < 2; k++) {
    a.i[k] = o->stride[k];
    a.i[2 + k] = o->padding[k];
    a.i[4 + k] = o->output_padding[k];
    a.i[6 + k] = o->dilation[k];
  }
  a.i[8] = o->groups;
  glia_tensor *in[3] = {x, w, bias};
  return glia__run(nn, GLIA__OP_conv_transpose2d, in, 3, &a, out);
}
