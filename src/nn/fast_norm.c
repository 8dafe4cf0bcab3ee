/* batch_norm fast path. Measured against oneDNN 2.6's batch normalization on glia's plain NCHW
 * tensors (its only implementation for that layout is the generic `ncsp_bnorm`): the forward
 * loops of the reference (one pass for the statistics, one for y, OpenMP over channels) were
 * 3-30x faster than oneDNN's, and oneDNN's backward was no faster than the reference's
 * (bench: docs/nn.md). So the forward is the reference kernel, and the backward a hand kernel
 * that needs no y: the fused ReLU's mask comes from x and the saved statistics (aux = mean[C],
 * invstd[C], biased var[C], scale[C], shift[C], as the reference), so the output may be freed after
 * the forward. oneDNN's fast batch norm needs the blocked layouts (nChw16c) kept between layers. */
#include "nn/internal.h"

int glia__batch_norm_supports(const glia__args *a) { return glia__in_numel(a, 0) > 0; }

glia_status glia__batch_norm_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      float *y, float *aux) {
  (void)nn;
  glia__batch_norm_fwd_f(a, x, y, aux);
  return GLIA_OK;
}

#define BLOCK 256 /* float partial sums over at most BLOCK terms, then double */

/* Sums of d and d·x̂ over one plane of S values, d = dy masked by the fused ReLU. */
static void plane_sums(const float *restrict xs, const float *restrict ds, int64_t S, int relu,
                       float sc, float sh, float mu, float inv, double *sdy, double *sdyx) {
  for (int64_t k0 = 0; k0 < S; k0 += BLOCK) {
    const int64_t k1 = k0 + BLOCK < S ? k0 + BLOCK : S;
    float s = 0, sx = 0;
    if (relu) {
#pragma omp simd reduction(+ : s, sx)
      for (int64_t k = k0; k < k1; k++) {
        const float v = ds[k]; /* loaded unconditionally: the select vectorises */
        const float d = xs[k] * sc + sh > 0 ? v : 0.0f;
        s += d;
        sx += d * ((xs[k] - mu) * inv);
      }
    } else {
#pragma omp simd reduction(+ : s, sx)
      for (int64_t k = k0; k < k1; k++) {
        s += ds[k];
        sx += ds[k] * ((xs[k] - mu) * inv);
      }
    }
    *sdy += s;
    *sdyx += sx;
  }
}

glia_status glia__batch_norm_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      const float *y, const float *aux, const float *dy,
                                      float *const *dx) {
  (void)nn;
  (void)y;
  const int relu = a->i[1] != 0, train = a->i[0] != 0;
  const int64_t N = a->shape[0][0], C = a->shape[0][1];
  const int64_t S = glia__in_numel(a, 0) / (N * C);
  const double M = (double)(N * S);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; c++) {
    const float mu = aux[c], inv = aux[C + c];
    /* The forward's ReLU input is x·sc + sh with its own saved scale and shift (same bits). */
    const float sc = aux[3 * C + c], sh = aux[4 * C + c];
    double sdy = 0, sdyx = 0;
    for (int64_t n = 0; n < N; n++)
      plane_sums(x[0] + (n * C + c) * S, dy + (n * C + c) * S, S, relu, sc, sh, mu, inv, &sdy,
                 &sdyx);
    if (dx[1]) dx[1][c] += (float)sdyx;
    if (dx[2]) dx[2][c] += (float)sdy;
    if (!dx[0]) continue;
    /* dx = g·invstd·(d - mean(d) - x̂·mean(d·x̂)) in training, g·invstd·d in evaluation. */
    const float k1 = sc, k2 = train ? (float)(sdy / M) : 0.0f,
                k3 = train ? (float)(sdyx / M * inv) : 0.0f;
    for (int64_t n = 0; n < N; n++) {
      const float *restrict xs = x[0] + (n * C + c) * S, *restrict ds = dy + (n * C + c) * S;
      float *restrict gs = dx[0] + (n * C + c) * S;
      if (relu) {
#pragma omp simd
        for (int64_t k = 0; k < S; k++) {
          const float v = ds[k];
          const float d = xs[k] * sc + sh > 0 ? v : 0.0f;
          gs[k] += k1 * (d - k2 - (xs[k] - mu) * k3);
        }
      } else {
#pragma omp simd
        for (int64_t k = 0; k < S; k++) gs[k] += k1 * (ds[k] - k2 - (xs[k] - mu) * k3);
      }
    }
  }
  return GLIA_OK;
}
