/* max_pool2d fast path: one pass per output with the window clipped once, the argmax (index in
 * the input plane, exact in float up to 2^24) saved in aux, so the backward scatters without
 * searching again. OpenMP over (image, channel) planes. */
#include "nn/internal.h"

int glia__pool_supports(const glia__args *a) { return a->shape[0][2] * a->shape[0][3] < (1 << 24); }

glia_status glia__max_pool2d_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      float *y, float *aux) {
  (void)nn;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3], k = a->i[0], s = a->i[1], p = a->i[2];
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++) {
    const float *xp = x[0] + nc * H * W;
    for (int64_t oh = 0; oh < OH; oh++) {
      const int64_t h0 = oh * s - p < 0 ? 0 : oh * s - p;
      const int64_t h1 = oh * s - p + k > H ? H : oh * s - p + k;
      for (int64_t ow = 0; ow < OW; ow++) {
        const int64_t w0 = ow * s - p < 0 ? 0 : ow * s - p;
        const int64_t w1 = ow * s - p + k > W ? W : ow * s - p + k;
        int64_t best = h0 * W + w0;
        float m = xp[best];
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = w0; w < w1; w++)
            if (xp[h * W + w] > m) { /* first maximum in scan order, as the reference */
              m = xp[h * W + w];
              best = h * W + w;
            }
        y[(nc * OH + oh) * OW + ow] = m;
        aux[(nc * OH + oh) * OW + ow] = (float)best;
      }
    }
  }
  return GLIA_OK;
}

glia_status glia__max_pool2d_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      const float *y, const float *aux, const float *dy,
                                      float *const *dx) {
  (void)nn;
  (void)x;
  (void)y;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], HW = a->shape[0][2] * a->shape[0][3];
  const int64_t O = a->out_shape[2] * a->out_shape[3];
  if (!dx[0]) return GLIA_OK;
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t o = 0; o < O; o++) dx[0][nc * HW + (int64_t)aux[nc * O + o]] += dy[nc * O + o];
  return GLIA_OK;
}
