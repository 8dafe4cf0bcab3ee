/* Exact Euclidean distance transform by the lower envelope of parabolas (P. F. Felzenszwalb
 * and D. P. Huttenlocher, "Distance Transforms of Sampled Functions", Theory of Computing
 * 2012): a 1-D squared-distance pass down the columns, then along the rows. Squared
 * distances are integers held exactly in doubles, so the result is exact up to the final
 * square root. */
#include <math.h>

#include "glia/morph.h"
#include "image/internal.h"

#define DT_INF 1e20

/* 1-D squared distance transform of f (n samples) into d; v (int n) and z (double n+1). */
static void dt1d(const double *f, double *d, int n, int *v, double *z) {
  int k = 0;
  v[0] = 0;
  z[0] = -DT_INF;
  z[1] = DT_INF;
  for (int q = 1; q < n; q++) {
    if (f[q] >= DT_INF) continue; /* a point at infinity never lowers the envelope */
    double s;
    for (;;) {
      int p = v[k];
      if (f[p] >= DT_INF) { /* replace an infinite parabola outright */
        if (k == 0) {
          s = -DT_INF;
          break;
        }
        k--;
        continue;
      }
      s = ((f[q] + (double)q * q) - (f[p] + (double)p * p)) / (2.0 * q - 2.0 * p);
      if (s <= z[k] && k > 0) {
        k--;
        continue;
      }
      break;
    }
    if (s <= z[k]) { /* k == 0: q replaces the first parabola */
      v[0] = q;
      z[0] = -DT_INF;
      z[1] = DT_INF;
      k = 0;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = DT_INF;
  }
  k = 0;
  for (int q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    int p = v[k];
    d[q] = f[p] >= DT_INF ? DT_INF : (double)(q - p) * (q - p) + f[p];
  }
}

glia_status glia_distance_transform(const uint8_t *mask, int width, int height, float *dist) {
  glia_status s = glia__check_plane("distance transform", mask, dist, width, height);
  if (s) return s;
  size_t n = (size_t)width * height;
  size_t zeros = 0;
  for (size_t i = 0; i < n; i++) zeros += !mask[i];
  if (!zeros)
    return glia_error(GLIA_ERR_EMPTY,
                      "distance transform: the %d×%d mask has no zero pixel to measure from", width,
                      height);
  double *g = glia_malloc(n * sizeof(double));
  if (!g) return glia_error(GLIA_ERR_NOMEM, "distance transform: out of memory");
  int maxn = width > height ? width : height, fail = 0;
#pragma omp parallel GLIA__PAR(width, height)
  {
    double *f = glia_malloc(2 * (size_t)maxn * sizeof(double));
    double *z = glia_malloc(((size_t)maxn + 1) * sizeof(double));
    int *v = glia_malloc((size_t)maxn * sizeof(int));
    int ok = f && z && v;
#pragma omp for schedule(static)
    for (int x = 0; x < width; x++) {
      if (!ok) continue;
      for (int y = 0; y < height; y++) f[y] = mask[(size_t)y * width + x] ? DT_INF : 0;
      dt1d(f, f + maxn, height, v, z);
      for (int y = 0; y < height; y++) g[(size_t)y * width + x] = f[maxn + y];
    }
#pragma omp for schedule(static)
    for (int y = 0; y < height; y++) {
      if (!ok) continue;
      dt1d(g + (size_t)y * width, f, width, v, z);
      for (int x = 0; x < width; x++) dist[(size_t)y * width + x] = (float)sqrt(f[x]);
    }
    if (!ok) {
#pragma omp atomic write
      fail = 1;
    }
    glia_free(f);
    glia_free(z);
    glia_free(v);
  }
  glia_free(g);
  return fail ? glia_error(GLIA_ERR_NOMEM, "distance transform: out of memory") : GLIA_OK;
}
