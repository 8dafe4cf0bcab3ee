/* Activations kept in oneDNN's blocked layout nChw16c between ops (inference inside a model's
 * forward, fast path): element (n, c, h, w) of [N, C, H, W] with C % 16 == 0 lives at
 * ((n·C/16 + c/16)·H·W + h·W + w)·16 + c % 16. Convolutions read and write it without the
 * reorders around each call (fast_conv.c); the ops between them in ResNet and the small CNN
 * work on it here: batch norm in evaluation (with the fused ReLU), relu and add (elementwise,
 * the reference kernels), max pooling, and global average pooling (its [N, C, 1, 1] output
 * is the same memory in both layouts, so it is returned plain). Each kernel does the
 * reference's operations in the reference's order per element, so the results are the plain
 * path's bits. glia__run converts a blocked input to plain for any other op. */
#include <math.h>

#include "nn/fast_dnnl.h"

#define BLK 16

static int same_shapes(const glia__args *a) {
  if (a->ndim[0] != a->ndim[1]) return 0;
  for (int d = 0; d < a->ndim[0]; d++)
    if (a->shape[0][d] != a->shape[1][d]) return 0;
  return 1;
}

unsigned glia__blocked_policy(glia__op_id id, const glia__args *a, unsigned inputs_blocked) {
  const unsigned x0 = inputs_blocked & GLIA__BLK_IN(0);
  switch (id) {
  case GLIA__OP_conv2d: /* i[6]: groups */
    if (a->ndim[0] != 4 || a->i[6] != 1) return 0;
    return x0 | (a->out_shape[1] % BLK == 0 ? GLIA__BLK_OUT : 0);
  case GLIA__OP_batch_norm: /* evaluation only: batch statistics stay on the plain path */
    return x0 && !a->i[0] ? x0 | GLIA__BLK_OUT : 0;
  case GLIA__OP_relu:
  case GLIA__OP_max_pool2d: return x0 ? x0 | GLIA__BLK_OUT : 0;
  case GLIA__OP_add: return inputs_blocked == 3 && same_shapes(a) ? 3 | GLIA__BLK_OUT : 0;
  case GLIA__OP_adaptive_avg_pool2d: /* global: the [N, C, 1, 1] output is plain */
    return x0 && a->i[0] == 1 && a->i[1] == 1 ? x0 : 0;
  default: return 0;
  }
}

void glia__to_blocked(const float *x, float *y, int64_t N, int64_t C, int64_t HW) {
  const int64_t CB = C / BLK;
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < N * CB; nb++) {
    const float *src = x + nb * BLK * HW;
    float *dst = y + nb * BLK * HW;
    for (int64_t s = 0; s < HW; s++)
#pragma omp simd
      for (int l = 0; l < BLK; l++) dst[s * BLK + l] = src[l * HW + s];
  }
}

void glia__to_plain(const float *x, float *y, int64_t N, int64_t C, int64_t HW) {
  const int64_t CB = C / BLK;
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < N * CB; nb++) {
    const float *src = x + nb * BLK * HW;
    float *dst = y + nb * BLK * HW;
    for (int l = 0; l < BLK; l++)
#pragma omp simd
      for (int64_t s = 0; s < HW; s++) dst[l * HW + s] = src[s * BLK + l];
  }
}

/* Batch norm in evaluation: the reference's scale and shift per channel (aux as the
 * reference), then y = x·scale + shift (max 0 with the fused ReLU). */
static void bn_fwd(const glia__args *a, const float *const *x, float *y, float *aux) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1], CB = C / BLK;
  const int64_t S = a->shape[0][2] * a->shape[0][3];
  const float *w = a->ndim[1] > 0 ? x[1] : NULL, *b = a->ndim[2] > 0 ? x[2] : NULL;
  const int relu = a->i[1] != 0;
  for (int64_t c = 0; c < C; c++) {
    const double mean = x[3][c], var = x[4][c], invstd = 1.0 / sqrt(var + a->f[0]);
    const float sc = (float)((w ? w[c] : 1) * invstd), sh = (float)((b ? b[c] : 0) - mean * sc);
    aux[c] = (float)mean;
    aux[C + c] = (float)invstd;
    aux[2 * C + c] = (float)var;
    aux[3 * C + c] = sc;
    aux[4 * C + c] = sh;
  }
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < N * CB; nb++) {
    const float *sc = aux + 3 * C + nb % CB * BLK, *sh = aux + 4 * C + nb % CB * BLK;
    const float *xs = x[0] + nb * BLK * S;
    float *ys = y + nb * BLK * S;
    for (int64_t s = 0; s < S; s++) {
      if (relu) {
#pragma omp simd
        for (int l = 0; l < BLK; l++) {
          const float v = xs[s * BLK + l] * sc[l] + sh[l];
          ys[s * BLK + l] = v > 0 ? v : 0;
        }
      } else {
#pragma omp simd
        for (int l = 0; l < BLK; l++) ys[s * BLK + l] = xs[s * BLK + l] * sc[l] + sh[l];
      }
    }
  }
}

/* Max pooling (i = kernel, stride, padding), the window clipped to x as the reference. */
static void max_pool_fwd(const glia__args *a, const float *x, float *y) {
  const int64_t NB = a->shape[0][0] * (a->shape[0][1] / BLK), H = a->shape[0][2],
                W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3], k = a->i[0], s = a->i[1], p = a->i[2];
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < NB; nb++) {
    const float *xp = x + nb * H * W * BLK;
    for (int64_t oh = 0; oh < OH; oh++) {
      int64_t h0, h1;
      glia__pool_window(oh, k, s, p, H, &h0, &h1);
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t w0, w1;
        glia__pool_window(ow, k, s, p, W, &w0, &w1);
        float m[BLK];
        for (int l = 0; l < BLK; l++) m[l] = xp[(h0 * W + w0) * BLK + l];
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = w0; w < w1; w++)
#pragma omp simd
            for (int l = 0; l < BLK; l++) {
              const float v = xp[(h * W + w) * BLK + l];
              m[l] = v > m[l] ? v : m[l];
            }
        float *yp = y + ((nb * OH + oh) * OW + ow) * BLK;
        for (int l = 0; l < BLK; l++) yp[l] = m[l];
      }
    }
  }
}

/* Global average pooling: per channel a double sum in the reference's order, over H·W. */
static void global_avg_fwd(const glia__args *a, const float *x, float *y) {
  const int64_t NB = a->shape[0][0] * (a->shape[0][1] / BLK);
  const int64_t HW = a->shape[0][2] * a->shape[0][3];
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < NB; nb++) {
    double s[BLK] = {0};
    for (int64_t i = 0; i < HW; i++)
      for (int l = 0; l < BLK; l++) s[l] += x[(nb * HW + i) * BLK + l];
    for (int l = 0; l < BLK; l++) y[nb * BLK + l] = (float)(s[l] / (double)HW);
  }
}

glia_status glia__blocked_fwd(glia_nn *nn, glia__op_id id, const glia__args *a,
                              const float *const *x, float *y, float *aux) {
  if (id == GLIA__OP_conv2d) return glia__conv2d_fast_fwd(nn, a, x, y, aux);
  if (id == GLIA__OP_batch_norm)
    bn_fwd(a, x, y, aux);
  else if (id == GLIA__OP_relu)
    glia__relu_fwd_f(a, x, y, aux);
  else if (id == GLIA__OP_add)
    glia__add_fwd_f(a, x, y, aux);
  else if (id == GLIA__OP_max_pool2d) { /* oneDNN's JIT kernel where it has one, else the loops */
    int done = 0;
    glia_status st = glia__max_pool2d_blocked_fwd(nn, a, x[0], y, &done);
    if (!st && !done) max_pool_fwd(a, x[0], y);
    return st;
  } else if (id == GLIA__OP_adaptive_avg_pool2d)
    global_avg_fwd(a, x[0], y);
  else
    return glia_error(GLIA_ERR_INTERNAL, "%s: no blocked-layout kernel", glia__ops[id]->name);
  return GLIA_OK;
}
