/* Activations kept in oneDNN's blocked layout nChw16c between ops (inside a model's forward,
 * fast path, in inference and in training): element (n, c, h, w) of [N, C, H, W] with
 * C % 16 == 0 lives at ((n·C/16 + c/16)·H·W + h·W + w)·16 + c % 16. Convolutions read and
 * write it without the reorders around each call (fast_conv.c), forward and backward; the ops
 * between them in ResNet and the small CNN work on it here, forward and backward: batch norm
 * (batch statistics or running ones, with the fused ReLU), relu and add (elementwise), max
 * pooling (the argmax kept per lane in training), and global average pooling (its [N, C, 1, 1]
 * output is the same memory in both layouts, so it is returned plain). The gradient of a
 * blocked tensor is blocked too.
 * In inference each kernel does the reference's operations in the reference's order per
 * element, so the results are the plain path's bits; batch statistics are summed in another
 * order (per 16-channel block), so training agrees with the plain path to rounding.
 * At inference glia__run converts a blocked input to plain for any other op; a recorded op
 * that does not take blocked inputs is an error (no conversion is recorded on the tape). */
#include <math.h>
#include <omp.h>
#include <string.h>

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
  case GLIA__OP_batch_norm:
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

/* Leaf loops over one block of S positions × 16 channels (ld: floats per position, 16), built
 * for the x86-64 baseline, AVX2 and AVX-512 (GLIA__NN_CLONES); the callers spread the blocks
 * over threads. Sums run in float over at most CHUNK positions, then in double. */
#define CHUNK 256

/* Sums keep U independent accumulators per lane (positions k ≡ j mod U), local arrays held in
 * registers, added together and copied out at the end: one chain of dependent additions per
 * lane would bound the loop by the adder's latency. */
#define U 4

GLIA__NN_CLONES static void lanes_sum(const float *restrict xs, int64_t n, float *restrict out) {
  float s[U][BLK] = {{0}};
  int64_t k = 0;
  for (; k + U <= n; k += U)
    for (int j = 0; j < U; j++)
#pragma omp simd
      for (int l = 0; l < BLK; l++) s[j][l] += xs[(k + j) * BLK + l];
  for (; k < n; k++)
#pragma omp simd
    for (int l = 0; l < BLK; l++) s[0][l] += xs[k * BLK + l];
  for (int l = 0; l < BLK; l++) out[l] = (s[0][l] + s[1][l]) + (s[2][l] + s[3][l]);
}

GLIA__NN_CLONES static void lanes_sqdev(const float *restrict xs, int64_t n,
                                        const float *restrict mu, float *restrict out) {
  float s[U][BLK] = {{0}};
  int64_t k = 0;
  for (; k + U <= n; k += U)
    for (int j = 0; j < U; j++)
#pragma omp simd
      for (int l = 0; l < BLK; l++) {
        const float d = xs[(k + j) * BLK + l] - mu[l];
        s[j][l] += d * d;
      }
  for (; k < n; k++)
#pragma omp simd
    for (int l = 0; l < BLK; l++) {
      const float d = xs[k * BLK + l] - mu[l];
      s[0][l] += d * d;
    }
  for (int l = 0; l < BLK; l++) out[l] = (s[0][l] + s[1][l]) + (s[2][l] + s[3][l]);
}

GLIA__NN_CLONES static void lanes_apply(const float *restrict xs, float *restrict ys, int64_t n,
                                        const float *restrict sc, const float *restrict sh,
                                        int relu) {
  if (relu)
    for (int64_t k = 0; k < n; k++)
#pragma omp simd
      for (int l = 0; l < BLK; l++) {
        const float v = xs[k * BLK + l] * sc[l] + sh[l];
        ys[k * BLK + l] = v > 0 ? v : 0;
      }
  else
    for (int64_t k = 0; k < n; k++)
#pragma omp simd
      for (int l = 0; l < BLK; l++) ys[k * BLK + l] = xs[k * BLK + l] * sc[l] + sh[l];
}

/* Sums of d and d·x̂ over n positions (d: dy masked by the fused ReLU). */
GLIA__NN_CLONES static void lanes_bwd_sums(const float *restrict xs, const float *restrict ds,
                                           int64_t n, const float *restrict mu,
                                           const float *restrict inv, const float *restrict sc,
                                           const float *restrict sh, int relu,
                                           float *restrict out_d, float *restrict out_x) {
  float sd[U][BLK] = {{0}}, sx[U][BLK] = {{0}};
  int64_t k = 0;
  for (; k < n; k += U) {
    const int m = n - k < U ? (int)(n - k) : U;
    for (int j = 0; j < m; j++)
#pragma omp simd
      for (int l = 0; l < BLK; l++) {
        const float xv = xs[(k + j) * BLK + l], v = ds[(k + j) * BLK + l];
        const float d = !relu || xv * sc[l] + sh[l] > 0 ? v : 0.0f;
        sd[j][l] += d;
        sx[j][l] += d * ((xv - mu[l]) * inv[l]);
      }
  }
  for (int l = 0; l < BLK; l++) {
    out_d[l] = (sd[0][l] + sd[1][l]) + (sd[2][l] + sd[3][l]);
    out_x[l] = (sx[0][l] + sx[1][l]) + (sx[2][l] + sx[3][l]);
  }
}

/* dx = sc·(d - k2 - (x - mu)·k3), written (over) or added; gs may be ds. */
GLIA__NN_CLONES static void lanes_bwd_dx(const float *xs, const float *ds, float *gs, int64_t n,
                                         const float *mu, const float *sc, const float *sh,
                                         const float *k2, const float *k3, int relu, int over) {
  for (int64_t k = 0; k < n; k++) {
    float g[BLK];
#pragma omp simd
    for (int l = 0; l < BLK; l++) {
      const float xv = xs[k * BLK + l], v = ds[k * BLK + l];
      const float d = !relu || xv * sc[l] + sh[l] > 0 ? v : 0.0f;
      g[l] = sc[l] * (d - k2[l] - (xv - mu[l]) * k3[l]);
    }
    if (over)
#pragma omp simd
      for (int l = 0; l < BLK; l++) gs[k * BLK + l] = g[l];
    else
#pragma omp simd
      for (int l = 0; l < BLK; l++) gs[k * BLK + l] += g[l];
  }
}

/* Batch statistics of blocked x per channel: the mean, then the mean squared deviation from
 * it (two passes, as the reference), per 16-channel block over images and positions. */
static void bn_stats(const float *x, int64_t N, int64_t C, int64_t S, double *mean, double *var) {
  const int64_t CB = C / BLK;
  const double M = (double)(N * S);
#pragma omp parallel for schedule(static)
  for (int64_t cb = 0; cb < CB; cb++) {
    double s[BLK] = {0}, ss[BLK] = {0};
    float part[BLK], mu[BLK];
    for (int64_t n = 0; n < N; n++)
      for (int64_t k = 0; k < S; k += CHUNK) {
        lanes_sum(x + ((n * CB + cb) * S + k) * BLK, S - k < CHUNK ? S - k : CHUNK, part);
        for (int l = 0; l < BLK; l++) s[l] += part[l];
      }
    for (int l = 0; l < BLK; l++) mu[l] = (float)(s[l] / M);
    for (int64_t n = 0; n < N; n++)
      for (int64_t k = 0; k < S; k += CHUNK) {
        lanes_sqdev(x + ((n * CB + cb) * S + k) * BLK, S - k < CHUNK ? S - k : CHUNK, mu, part);
        for (int l = 0; l < BLK; l++) ss[l] += part[l];
      }
    for (int l = 0; l < BLK; l++) {
      const double m = s[l] / M, dm = m - (double)mu[l]; /* deviations were from mu in float */
      mean[cb * BLK + l] = m;
      var[cb * BLK + l] = ss[l] / M - dm * dm;
    }
  }
}

/* y = x·scale + shift per channel (max 0 with the fused ReLU), scale and shift from aux. */
static void bn_apply(const glia__args *a, const float *x, const float *aux, float *y) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1], CB = C / BLK;
  const int64_t S = a->shape[0][2] * a->shape[0][3];
  const int relu = a->i[1] != 0;
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < N * CB; nb++)
    lanes_apply(x + nb * BLK * S, y + nb * BLK * S, S, aux + 3 * C + nb % CB * BLK,
                aux + 4 * C + nb % CB * BLK, relu);
}

void glia__bn_channel_aux(const glia__args *a, const float *w, const float *b, int64_t c,
                          double mean, double var, float *aux) {
  const int64_t C = a->shape[0][1];
  const double invstd = 1.0 / sqrt(var + a->f[0]);
  const float sc = (float)((w ? w[c] : 1) * invstd), sh = (float)((b ? b[c] : 0) - mean * sc);
  aux[c] = (float)mean;
  aux[C + c] = (float)invstd;
  aux[2 * C + c] = (float)var;
  aux[3 * C + c] = sc;
  aux[4 * C + c] = sh;
}

/* Batch norm: the statistics (the batch's in training, the running ones in evaluation), the
 * reference's scale and shift per channel (aux as the reference), then bn_apply. */
static glia_status bn_fwd(const glia__args *a, const float *const *x, float *y, float *aux) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1];
  const int64_t S = a->shape[0][2] * a->shape[0][3];
  const float *w = a->ndim[1] > 0 ? x[1] : NULL, *b = a->ndim[2] > 0 ? x[2] : NULL;
  double *st = NULL;
  if (a->i[0]) {
    st = glia_malloc(2 * (size_t)C * sizeof *st);
    if (!st) return glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
    bn_stats(x[0], N, C, S, st, st + C);
  }
  for (int64_t c = 0; c < C; c++)
    glia__bn_channel_aux(a, w, b, c, st ? st[c] : x[3][c], st ? st[C + c] : x[4][c], aux);
  glia_free(st);
  bn_apply(a, x[0], aux, y);
  return GLIA_OK;
}

/* Batch norm backward on blocked x and dy (fast_norm.c's formulas), per 16-channel block: the
 * sums of d and d·x̂ (d: dy masked by the fused ReLU, from x and the saved scale and shift),
 * then dx = scale·(d - mean(d) - x̂·mean(d·x̂)) in training, scale·d in evaluation. dx[0] may
 * be dy's buffer (a->alias) or hold no value yet (a->fresh): each element is then written
 * from dy's, else added to. */
static void bn_bwd(const glia__args *a, const float *const *x, const float *aux, const float *dy,
                   float *const *dx) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1], CB = C / BLK;
  const int64_t S = a->shape[0][2] * a->shape[0][3];
  const int relu = a->i[1] != 0, train = a->i[0] != 0, over = (a->fresh & 1) != 0;
  const double M = (double)(N * S);
#pragma omp parallel for schedule(static)
  for (int64_t cb = 0; cb < CB; cb++) {
    const float *mu = aux + cb * BLK, *inv = aux + C + cb * BLK;
    const float *sc = aux + 3 * C + cb * BLK, *sh = aux + 4 * C + cb * BLK;
    double sd[BLK] = {0}, sx[BLK] = {0};
    for (int64_t n = 0; n < N; n++)
      for (int64_t k = 0; k < S; k += CHUNK) {
        const int64_t o = ((n * CB + cb) * S + k) * BLK;
        float pd[BLK], px[BLK];
        lanes_bwd_sums(x[0] + o, dy + o, S - k < CHUNK ? S - k : CHUNK, mu, inv, sc, sh, relu, pd,
                       px);
        for (int l = 0; l < BLK; l++) {
          sd[l] += pd[l];
          sx[l] += px[l];
        }
      }
    float k2[BLK], k3[BLK];
    for (int l = 0; l < BLK; l++) {
      const int64_t c = cb * BLK + l;
      if (dx[1]) dx[1][c] += (float)sx[l];
      if (dx[2]) dx[2][c] += (float)sd[l];
      k2[l] = train ? (float)(sd[l] / M) : 0.0f;
      k3[l] = train ? (float)(sx[l] / M * inv[l]) : 0.0f;
    }
    if (!dx[0]) continue;
    for (int64_t n = 0; n < N; n++) {
      const int64_t o = (n * CB + cb) * S * BLK;
      lanes_bwd_dx(x[0] + o, dy + o, dx[0] + o, S, mu, sc, sh, k2, k3, relu, over);
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

/* Max pooling (i = kernel, stride, padding) of one 16-channel plane, the window clipped to x
 * as the reference: per lane the first maximum in the window's scan order, as the plain hand
 * kernel (fast_pool.c), and in training (aux not NULL) its index h·W + w in the plane saved in
 * aux (blocked like y). */
GLIA__NN_CLONES static void max_pool_arg_plane(const float *xp, float *y, float *aux, int64_t H,
                                               int64_t W, int64_t OH, int64_t OW, int64_t k,
                                               int64_t s, int64_t p) {
  for (int64_t oh = 0; oh < OH; oh++) {
    int64_t h0, h1;
    glia__pool_window(oh, k, s, p, H, &h0, &h1);
    for (int64_t ow = 0; ow < OW; ow++) {
      int64_t w0, w1;
      glia__pool_window(ow, k, s, p, W, &w0, &w1);
      float m[BLK], arg[BLK];
      const float first = (float)(h0 * W + w0);
#pragma omp simd
      for (int l = 0; l < BLK; l++) {
        m[l] = xp[(h0 * W + w0) * BLK + l];
        arg[l] = first;
      }
      for (int64_t h = h0; h < h1; h++)
        for (int64_t w = w0; w < w1; w++) {
          const float at = (float)(h * W + w);
#pragma omp simd
          for (int l = 0; l < BLK; l++) {
            const float v = xp[(h * W + w) * BLK + l];
            arg[l] = v > m[l] ? at : arg[l];
            m[l] = v > m[l] ? v : m[l];
          }
        }
      const int64_t o = (oh * OW + ow) * BLK;
#pragma omp simd
      for (int l = 0; l < BLK; l++) y[o + l] = m[l];
      if (aux)
#pragma omp simd
        for (int l = 0; l < BLK; l++) aux[o + l] = arg[l];
    }
  }
}

static void max_pool_fwd(const glia__args *a, const float *x, float *y, float *aux) {
  const int64_t NB = a->shape[0][0] * (a->shape[0][1] / BLK), H = a->shape[0][2],
                W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < NB; nb++)
    max_pool_arg_plane(x + nb * H * W * BLK, y + nb * OH * OW * BLK,
                       aux ? aux + nb * OH * OW * BLK : NULL, H, W, OH, OW, a->i[0], a->i[1],
                       a->i[2]);
}

/* Max pooling's backward: each output's gradient added at its argmax (dx holds a value). */
static void max_pool_arg_bwd(const glia__args *a, const float *aux, const float *dy, float *dx) {
  const int64_t NB = a->shape[0][0] * (a->shape[0][1] / BLK);
  const int64_t HW = a->shape[0][2] * a->shape[0][3], O = a->out_shape[2] * a->out_shape[3];
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < NB; nb++) {
    float *g = dx + nb * HW * BLK;
    const float *ai = aux + nb * O * BLK, *d = dy + nb * O * BLK;
    for (int64_t o = 0; o < O; o++)
      for (int l = 0; l < BLK; l++) g[(int64_t)ai[o * BLK + l] * BLK + l] += d[o * BLK + l];
  }
}

/* Global average pooling's backward: dy[n, c] / (H·W) to every position (written when dx
 * holds no value yet, a->fresh, else added). */
static void global_avg_bwd(const glia__args *a, const float *dy, float *dx) {
  const int64_t NB = a->shape[0][0] * (a->shape[0][1] / BLK);
  const int64_t HW = a->shape[0][2] * a->shape[0][3];
  const int over = (a->fresh & 1) != 0;
#pragma omp parallel for schedule(static)
  for (int64_t nb = 0; nb < NB; nb++) {
    float g[BLK];
    for (int l = 0; l < BLK; l++) g[l] = (float)(dy[nb * BLK + l] / (double)HW);
    float *d = dx + nb * HW * BLK;
    for (int64_t i = 0; i < HW; i++)
#pragma omp simd
      for (int l = 0; l < BLK; l++) d[i * BLK + l] = over ? g[l] : d[i * BLK + l] + g[l];
  }
}

/* relu's backward over n elements: dx = dy where y > 0 (iff x > 0), else 0; written or added;
 * dx may be dy. */
GLIA__NN_CLONES static void relu_bwd_range(const float *y, const float *dy, float *dx, int64_t n,
                                           int over) {
  if (over)
    for (int64_t i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0.0f;
  else
    for (int64_t i = 0; i < n; i++) dx[i] += y[i] > 0 ? dy[i] : 0.0f;
}

glia_status glia__blocked_fwd(glia_nn *nn, glia__op_id id, const glia__args *a,
                              const float *const *x, float *y, float *aux) {
  if (id == GLIA__OP_conv2d) return glia__conv2d_fast_fwd(nn, a, x, y, aux);
  if (id == GLIA__OP_batch_norm) { /* training: oneDNN's kernel where it has one */
    glia_status st = GLIA_OK;
    return glia__bn_dnnl_fwd(nn, a, x, y, aux, &st) ? st : bn_fwd(a, x, y, aux);
  }
  if (id == GLIA__OP_relu)
    glia__relu_fwd_f(a, x, y, aux);
  else if (id == GLIA__OP_add)
    glia__add_fwd_f(a, x, y, aux);
  else if (id == GLIA__OP_max_pool2d) {
    if (glia_nn_grad(nn)) { /* a backward may follow: the argmax is kept */
      max_pool_fwd(a, x[0], y, aux);
      return GLIA_OK;
    }
    int done = 0; /* oneDNN's JIT kernel where it has one, else the loops */
    glia_status st = glia__max_pool2d_blocked_fwd(nn, a, x[0], y, &done);
    if (!st && !done) max_pool_fwd(a, x[0], y, NULL);
    return st;
  } else if (id == GLIA__OP_adaptive_avg_pool2d)
    global_avg_fwd(a, x[0], y);
  else
    return glia_error(GLIA_ERR_INTERNAL, "%s: no blocked-layout kernel", glia__ops[id]->name);
  return GLIA_OK;
}

unsigned glia__bwd_overwrites(glia__op_id id, const glia__args *a, int fast, unsigned *inplace) {
  *inplace = 0;
  if (!a->blocked) return id == GLIA__OP_conv2d && fast ? 1u : 0u;
  switch (id) {
  case GLIA__OP_batch_norm:
  case GLIA__OP_relu: *inplace = 1; return 1;
  case GLIA__OP_add: *inplace = 3; return 3;
  case GLIA__OP_conv2d:
  case GLIA__OP_adaptive_avg_pool2d: return 1;
  default: return 0;
  }
}

glia_status glia__blocked_bwd(glia_nn *nn, glia__op_id id, const glia__args *a,
                              const float *const *x, const float *y, const float *aux,
                              const float *dy, float *const *dx) {
  const int64_t n = glia__in_numel(a, 0);
  switch (id) {
  case GLIA__OP_conv2d: return glia__conv2d_fast_bwd(nn, a, x, y, aux, dy, dx);
  case GLIA__OP_batch_norm: {
    glia_status st = GLIA_OK;
    if (glia__bn_dnnl_bwd(nn, a, x, aux, dy, dx, &st)) return st;
    bn_bwd(a, x, aux, dy, dx);
    break;
  }
  case GLIA__OP_relu:
    if (!dx[0]) break;
#pragma omp parallel
    {
      const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t i0 = n * t / nt, i1 = n * (t + 1) / nt;
      relu_bwd_range(y + i0, dy + i0, dx[0] + i0, i1 - i0, (a->fresh & 1) != 0);
    }
    break;
  case GLIA__OP_add:
    for (int k = 0; k < 2; k++) {
      float *g = dx[k];
      if (!g || (a->alias >> k & 1)) continue; /* that gradient is dy's buffer, already right */
      if (a->fresh >> k & 1)
        memcpy(g, dy, (size_t)n * sizeof *g);
      else
        glia__add_into(g, dy, n);
    }
    break;
  case GLIA__OP_max_pool2d:
    if (dx[0]) max_pool_arg_bwd(a, aux, dy, dx[0]);
    break;
  case GLIA__OP_adaptive_avg_pool2d:
    if (dx[0]) global_avg_bwd(a, dy, dx[0]);
    break;
  default:
    return glia_error(GLIA_ERR_INTERNAL, "%s: no blocked-layout backward", glia__ops[id]->name);
  }
  return GLIA_OK;
}

glia_status glia__blocked_recompute(glia_nn *nn, glia__op_id id, const glia__args *a,
                                    const float *const *x, const float *aux, float *y) {
  (void)id; /* batch norm is the only op with a recompute: its forward's kernel again */
  glia_status st = GLIA_OK;
  if (!glia__bn_dnnl_recompute(nn, a, x, aux, y, &st)) bn_apply(a, x[0], aux, y);
  return st;
}
