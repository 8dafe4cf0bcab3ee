/* GEMM fast paths: linear and matmul through oneDNN's dnnl_sgemm (JIT-compiled for the CPU it
 * runs on; 233 GFLOP/s at 1024³ on this machine's 2 cores, see DESIGN.md). */
#include <dnnl.h>

#include "nn/internal.h"

glia_status glia__sgemm(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                        float *c, int64_t ldc) {
  dnnl_status_t s = dnnl_sgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  return s == dnnl_success ? GLIA_OK
                           : glia_error(GLIA_ERR_INTERNAL, "sgemm: oneDNN status %d", (int)s);
}

int glia__gemm_supports(const glia__args *a) {
  (void)a;
  return 1;
}

glia_status glia__linear_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x, float *y,
                                  float *aux) {
  (void)nn;
  (void)aux;
  const int64_t I = a->shape[1][1], O = a->shape[1][0], M = glia__in_numel(a, 0) / I;
  const float *b = a->n_in > 2 ? x[2] : NULL;
  if (b)
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < M; m++)
      for (int64_t o = 0; o < O; o++) y[m * O + o] = b[o];
  return glia__sgemm('N', 'T', M, O, I, 1.0f, x[0], I, x[1], I, b ? 1.0f : 0.0f, y, O);
}

glia_status glia__linear_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                  const float *y, const float *aux, const float *dy,
                                  float *const *dx) {
  (void)nn;
  (void)y;
  (void)aux;
  const int64_t I = a->shape[1][1], O = a->shape[1][0], M = glia__in_numel(a, 0) / I;
  glia_status st = GLIA_OK;
  if (dx[0]) st = glia__sgemm('N', 'N', M, I, O, 1.0f, dy, O, x[1], I, 1.0f, dx[0], I);
  if (!st && dx[1]) st = glia__sgemm('T', 'N', O, I, M, 1.0f, dy, O, x[0], I, 1.0f, dx[1], I);
  if (!st && a->n_in > 2 && dx[2])
    for (int64_t o = 0; o < O; o++) {
      double s = 0;
      for (int64_t m = 0; m < M; m++) s += dy[m * O + o];
      dx[2][o] += (float)s;
    }
  return st;
}

static void mm_dims(const glia__args *a, int64_t *B, int64_t *M, int64_t *K, int64_t *N,
                    int64_t *bstride) {
  const int na = a->ndim[0], nb = a->ndim[1];
  *M = a->shape[0][na - 2];
  *K = a->shape[0][na - 1];
  *N = a->shape[1][nb - 1];
  *B = glia__in_numel(a, 0) / (*M * *K);
  *bstride = nb == 2 ? 0 : *K * *N;
}

glia_status glia__matmul_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x, float *y,
                                  float *aux) {
  (void)nn;
  (void)aux;
  int64_t B, M, K, N, bs;
  mm_dims(a, &B, &M, &K, &N, &bs);
  if (bs == 0) return glia__sgemm('N', 'N', B * M, N, K, 1.0f, x[0], K, x[1], N, 0.0f, y, N);
  glia_status st = GLIA_OK;
  for (int64_t b = 0; b < B && !st; b++)
    st = glia__sgemm('N', 'N', M, N, K, 1.0f, x[0] + b * M * K, K, x[1] + b * bs, N, 0.0f,
                     y + b * M * N, N);
  return st;
}

glia_status glia__matmul_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                  const float *y, const float *aux, const float *dy,
                                  float *const *dx) {
  (void)nn;
  (void)y;
  (void)aux;
  int64_t B, M, K, N, bs;
  mm_dims(a, &B, &M, &K, &N, &bs);
  glia_status st = GLIA_OK;
  if (bs == 0) {
    if (dx[0]) st = glia__sgemm('N', 'T', B * M, K, N, 1.0f, dy, N, x[1], N, 1.0f, dx[0], K);
    if (!st && dx[1]) st = glia__sgemm('T', 'N', K, N, B * M, 1.0f, x[0], K, dy, N, 1.0f, dx[1], N);
    return st;
  }
  for (int64_t b = 0; b < B && !st; b++) {
    if (dx[0])
      st = glia__sgemm('N', 'T', M, K, N, 1.0f, dy + b * M * N, N, x[1] + b * bs, N, 1.0f,
                       dx[0] + b * M * K, K);
    if (!st && dx[1])
      st = glia__sgemm('T', 'N', K, N, M, 1.0f, x[0] + b * M * K, K, dy + b * M * N, N, 1.0f,
                       dx[1] + b * bs, N);
  }
  return st;
}
