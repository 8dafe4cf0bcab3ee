/* Exact Euclidean distance transform by the lower envelope of parabolas (P. F. Felzenszwalb
 * and D. P. Huttenlocher, "Distance Transforms of Sampled Functions", Theory of Computing
 * 2012): a 1-D squared-distance pass down the columns, then along the rows. Squared
 * distances are integers held exactly in doubles, so the result is exact up to the final
 * square root. */
#include <math.h>
#include <string.h>

#include "glia/morph.h"
#include "image/edt_internal.h"
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

/* Fast path for planes whose squared distances stay below 2^24 (sides up to ~2900), exact in
 * float and int32. Columns: the distance to the nearest zero above, then below, in integers
 * over whole rows at a time (vectorised). Rows: the lower envelope of the parabolas
 * (x − q)² + g(q)² in float, skipping columns without zero (g infinite) and the inside of runs
 * of zero pixels (a run's two ends are nearer to everything outside it). At least one column
 * holds a zero, so every row has a finite site. */
static glia_status edt_small(const uint8_t *mask, int width, int height, float *dist, int32_t *d2) {
  size_t n = (size_t)width * height;
  int32_t *g = glia_malloc(n * sizeof(int32_t));
  /* per row: f (the sites' g²), and the envelope's F = f + q², boundaries z, sites v */
  float *f = glia_malloc((size_t)width * 3 * sizeof(float));
  int32_t *v = glia_malloc((size_t)width * 2 * sizeof(int32_t));
  if (!g || !f || !v) {
    glia_free(g);
    glia_free(f);
    glia_free(v);
    return glia_error(GLIA_ERR_NOMEM, "distance transform: out of memory");
  }
  int32_t *e2 = v + width; /* one row's squared distances */
  float *F = f + width, *z = F + width;
  const int32_t inf = width + height; /* above any distance inside a column */
  for (int x = 0; x < width; x++) g[x] = mask[x] ? inf : 0;
  for (int y = 1; y < height; y++) {
    const uint8_t *m = mask + (size_t)y * width;
    const int32_t *up = g + (size_t)(y - 1) * width;
    int32_t *r = g + (size_t)y * width;
    for (int x = 0; x < width; x++) {
      int32_t a = up[x] + 1;
      r[x] = m[x] ? (a < inf ? a : inf) : 0;
    }
  }
  for (int y = height - 2; y >= 0; y--) {
    const int32_t *dn = g + (size_t)(y + 1) * width;
    int32_t *r = g + (size_t)y * width;
    for (int x = 0; x < width; x++) {
      int32_t a = dn[x] + 1;
      r[x] = a < r[x] ? a : r[x];
    }
  }
  for (int y = 0; y < height; y++) {
    const int32_t *r = g + (size_t)y * width;
    /* sites: finite columns, not inside a run of zeros */
    for (int x = 0; x < width; x++) f[x] = r[x] >= inf ? -1.f : (float)r[x] * (float)r[x];
    for (int x = 1; x + 1 < width; x++)
      z[x] = ((r[x] == 0) & (r[x - 1] == 0) & (r[x + 1] == 0)) ? 1.f : 0.f;
    z[0] = z[width - 1] = 0.f; /* row ends are always sites */
    int ns = 0;
    for (int q = 0; q < width; q++) {
      v[ns] = q;
      ns += (f[q] >= 0) & (z[q] == 0);
    }
    int k = -1;
    for (int i = 0; i < ns; i++) {
      int q = v[i];
      float Fq = f[q] + (float)q * (float)q, sq = 0;
      while (k >= 0) {
        sq = (Fq - F[k]) / (float)(2 * (q - v[k]));
        if (k > 0 && sq <= z[k])
          k--;
        else
          break;
      }
      k++; /* v[k] (k <= i) is no longer read as a site */
      v[k] = q;
      F[k] = Fq;
      z[k] = k ? sq : -INFINITY;
    }
    /* parabola j is lowest for z[j] < q <= z[j+1] */
    float *o = dist + (size_t)y * width;
    int32_t *o2 = d2 ? d2 + (size_t)y * width : NULL;
    for (int j = 0, q = 0; j <= k && q < width; j++) {
      int end = width - 1;
      if (j < k && z[j + 1] < (float)(width - 1)) end = (int)floorf(z[j + 1]);
      int32_t vj = v[j], fv = (int32_t)f[vj];
      for (; q <= end; q++) {
        int32_t dq = q - vj;
        e2[q] = r[q] == 0 ? 0 : dq * dq + fv; /* zeros inside runs were skipped as sites */
      }
    }
    for (int q = 0; q < width; q++) o[q] = sqrtf((float)e2[q]);
    if (o2) memcpy(o2, e2, (size_t)width * sizeof(int32_t));
  }
  glia_free(g);
  glia_free(f);
  glia_free(v);
  return GLIA_OK;
}

int glia__edt_fits_int(int width, int height) {
  return (double)(width - 1) * (width - 1) + (double)(height - 1) * (height - 1) < 16777216.0;
}

/* EMPTY when the mask has no zero pixel (no distance is defined). */
static glia_status need_a_zero(const uint8_t *mask, int width, int height) {
  size_t n = (size_t)width * height;
  for (size_t i = 0; i < n; i++)
    if (!mask[i]) return GLIA_OK;
  return glia_error(GLIA_ERR_EMPTY,
                    "distance transform: the %d×%d mask has no zero pixel to measure from", width,
                    height);
}

glia_status glia__distance_sq(const uint8_t *mask, int width, int height, float *dist,
                              int32_t *d2) {
  glia_status s = need_a_zero(mask, width, height);
  return s ? s : edt_small(mask, width, height, dist, d2);
}

glia_status glia_distance_transform(const uint8_t *mask, int width, int height, float *dist) {
  glia_status s = glia__check_plane("distance transform", mask, dist, width, height);
  if (s) return s;
  if (glia__edt_fits_int(width, height)) return glia__distance_sq(mask, width, height, dist, NULL);
  if ((s = need_a_zero(mask, width, height))) return s;
  size_t n = (size_t)width * height;
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
