/* Gray conversion, area resize, pHash and image fingerprints for near-duplicate search.
 * pHash after C. Zauner, "Implementation and benchmarking of perceptual image hash
 * functions", 2010: DCT of a 32×32 reduction, low 8×8 frequencies against their median. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glia/phash.h"

glia_image_u8 *glia_u8_to_gray(const glia_image_u8 *img) {
  glia_image_u8 *g = glia_image_u8_new(img->width, img->height, 1);
  if (!g) return NULL;
  size_t n = (size_t)img->width * (size_t)img->height;
  const uint8_t *s = img->data;
  int c = img->channels;
  if (c == 1) {
    memcpy(g->data, s, n);
    return g;
  }
  for (size_t i = 0; i < n; i++, s += c) {
    uint32_t r = s[0], gg = s[c >= 3 ? 1 : 0], b = s[c >= 3 ? 2 : 0];
    if (c == 4) { /* composite on black */
      uint32_t a = s[3];
      r = (r * a + 127) / 255;
      gg = (gg * a + 127) / 255;
      b = (b * a + 127) / 255;
    }
    /* OpenCV's RGB2GRAY fixed point: 0.299, 0.587, 0.114 in 14 bits, rounded. */
    g->data[i] = (uint8_t)((r * 4899u + gg * 9617u + b * 1868u + 8192u) >> 14);
  }
  return g;
}

/* Weights of source samples [0, n) for each of the m output samples of an area resize:
 * output j covers [j·n/m, (j+1)·n/m); entries (first index, count, weights) per output. */
typedef struct area_map {
  int *first, *count;
  float *w;
  int stride;
} area_map;

static int area_map_make(area_map *am, int n, int m) {
  am->stride = (int)ceil((double)n / m) + 2;
  am->first = glia_malloc(sizeof(int) * (size_t)m);
  am->count = glia_malloc(sizeof(int) * (size_t)m);
  am->w = glia_malloc(sizeof(float) * (size_t)m * (size_t)am->stride);
  if (!am->first || !am->count || !am->w) return -1;
  double scale = (double)n / m;
  for (int j = 0; j < m; j++) {
    double a = j * scale, b = (j + 1) * scale;
    int i0 = (int)floor(a), i1 = (int)ceil(b);
    if (i1 > n) i1 = n;
    am->first[j] = i0;
    am->count[j] = i1 - i0;
    for (int i = i0; i < i1; i++) {
      double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;
      am->w[(size_t)j * am->stride + (i - i0)] = (float)((hi - lo) / scale);
    }
  }
  return 0;
}

static void area_map_free(area_map *am) {
  glia_free(am->first);
  glia_free(am->count);
  glia_free(am->w);
}

glia_status glia_resize_area_gray(const glia_image_u8 *gray, int x0, int y0, int x1, int y1,
                                  float *dst, int dw, int dh) {
  if (gray->channels != 1 || x0 < 0 || y0 < 0 || x1 > gray->width || y1 > gray->height ||
      x1 <= x0 || y1 <= y0 || dw <= 0 || dh <= 0)
    return glia_error(GLIA_ERR_ARGUMENT, "resize: bad box %d,%d,%d,%d of a %d×%d×%d image", x0, y0,
                      x1, y1, gray->width, gray->height, gray->channels);
  int sw = x1 - x0, sh = y1 - y0;
  area_map mx = {0}, my = {0};
  float *tmp = glia_malloc(sizeof(float) * (size_t)sh * (size_t)dw);
  glia_status s = GLIA_OK;
  if (!tmp || area_map_make(&mx, sw, dw) || area_map_make(&my, sh, dh)) {
    s = glia_error(GLIA_ERR_NOMEM, "resize: out of memory");
    goto done;
  }
  for (int y = 0; y < sh; y++) { /* horizontal pass into tmp (sh × dw) */
    const uint8_t *row = gray->data + (size_t)(y + y0) * gray->width + x0;
    for (int j = 0; j < dw; j++) {
      const float *w = mx.w + (size_t)j * mx.stride;
      const uint8_t *p = row + mx.first[j];
      float acc = 0;
      for (int k = 0; k < mx.count[j]; k++) acc += w[k] * p[k];
      tmp[(size_t)y * dw + j] = acc;
    }
  }
  for (int i = 0; i < dh; i++) { /* vertical pass */
    float *out = dst + (size_t)i * dw;
    const float *w = my.w + (size_t)i * my.stride;
    for (int j = 0; j < dw; j++) out[j] = 0;
    for (int k = 0; k < my.count[i]; k++) {
      const float *src = tmp + (size_t)(my.first[i] + k) * dw;
      for (int j = 0; j < dw; j++) out[j] += w[k] * src[j];
    }
  }
done:
  area_map_free(&mx);
  area_map_free(&my);
  glia_free(tmp);
  return s;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

uint64_t glia_phash(const glia_image_u8 *gray, int x0, int y0, int x1, int y1) {
  float small[32 * 32];
  if (glia_resize_area_gray(gray, x0, y0, x1, y1, small, 32, 32)) return 0;
  /* Top-left 8×8 of the orthonormal-free DCT-II: C[u][v] = Σ_x Σ_y D[u][x] D[v][y] f[y][x]. */
  double d[8][32], rows[8][32], coef[64], sorted[64];
  for (int u = 0; u < 8; u++)
    for (int x = 0; x < 32; x++) d[u][x] = cos(M_PI / 32.0 * (x + 0.5) * u);
  for (int v = 0; v < 8; v++) /* vertical frequencies first: rows[v][x] = Σ_y D[v][y] f[y][x] */
    for (int x = 0; x < 32; x++) {
      double acc = 0;
      for (int y = 0; y < 32; y++) acc += d[v][y] * small[y * 32 + x];
      rows[v][x] = acc;
    }
  for (int v = 0; v < 8; v++)
    for (int u = 0; u < 8; u++) {
      double acc = 0;
      for (int x = 0; x < 32; x++) acc += d[u][x] * rows[v][x];
      coef[v * 8 + u] = acc;
    }
  memcpy(sorted, coef, sizeof coef);
  qsort(sorted, 64, sizeof(double), cmp_double);
  double median = 0.5 * (sorted[31] + sorted[32]);
  uint64_t h = 0;
  for (int i = 0; i < 64; i++) h = (h << 1) | (coef[i] > median ? 1u : 0u);
  return h;
}

/* Thumbnail to zero mean, unit norm (all zero when constant). */
static void normalise(float *t, size_t n) {
  double sum = 0, ss = 0;
  for (size_t i = 0; i < n; i++) sum += t[i];
  double mean = sum / (double)n;
  for (size_t i = 0; i < n; i++) ss += (t[i] - mean) * (t[i] - mean);
  double inv = ss > 1e-9 ? 1.0 / sqrt(ss) : 0.0;
  for (size_t i = 0; i < n; i++) t[i] = (float)((t[i] - mean) * inv);
}

static int cmp_u8(const void *a, const void *b) {
  return (int)*(const uint8_t *)a - (int)*(const uint8_t *)b;
}

/* Content box: pixels differing by more than 25 from the median of the border pixels. */
static glia_status content_box(const glia_image_u8 *g, int box[4]) {
  int w = g->width, h = g->height;
  size_t nb = 2 * (size_t)w + 2 * (size_t)h;
  uint8_t *border = glia_malloc(nb);
  if (!border) return glia_error(GLIA_ERR_NOMEM, "fingerprint: out of memory");
  size_t k = 0;
  for (int x = 0; x < w; x++) {
    border[k++] = g->data[x];
    border[k++] = g->data[(size_t)(h - 1) * w + x];
  }
  for (int y = 0; y < h; y++) {
    border[k++] = g->data[(size_t)y * w];
    border[k++] = g->data[(size_t)y * w + w - 1];
  }
  qsort(border, k, 1, cmp_u8);
  int med = border[k / 2];
  glia_free(border);
  int x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (int y = 0; y < h; y++) {
    const uint8_t *row = g->data + (size_t)y * w;
    for (int x = 0; x < w; x++)
      if (abs((int)row[x] - med) > 25) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  }
  if (x1 - x0 < 7 || y1 - y0 < 7) { /* nothing (or almost nothing) stands out */
    box[0] = 0, box[1] = 0, box[2] = w, box[3] = h;
  } else {
    box[0] = x0, box[1] = y0, box[2] = x1 + 1, box[3] = y1 + 1;
  }
  return GLIA_OK;
}

glia_status glia_fingerprint_compute(const glia_image_u8 *gray, glia_fingerprint *fp) {
  if (gray->channels != 1)
    return glia_error(GLIA_ERR_ARGUMENT, "fingerprint: needs a gray image, got %d channels",
                      gray->channels);
  glia_status s = content_box(gray, fp->crop);
  if (s) return s;
  const int *b = fp->crop;
  if ((s = glia_resize_area_gray(gray, 0, 0, gray->width, gray->height, fp->thumb, GLIA_THUMB,
                                 GLIA_THUMB)) ||
      (s = glia_resize_area_gray(gray, b[0], b[1], b[2], b[3], fp->thumb_crop, GLIA_THUMB,
                                 GLIA_THUMB)))
    return s;
  fp->phash = glia_phash(gray, 0, 0, gray->width, gray->height);
  fp->phash_crop = glia_phash(gray, b[0], b[1], b[2], b[3]);
  normalise(fp->thumb, GLIA_THUMB * GLIA_THUMB);
  normalise(fp->thumb_crop, GLIA_THUMB * GLIA_THUMB);
  return GLIA_OK;
}

int glia_hamming64(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

int glia_fingerprint_hamming(const glia_fingerprint *a, const glia_fingerprint *b) {
  int d = glia_hamming64(a->phash, b->phash), e;
  if ((e = glia_hamming64(a->phash_crop, b->phash_crop)) < d) d = e;
  if ((e = glia_hamming64(a->phash, b->phash_crop)) < d) d = e;
  if ((e = glia_hamming64(a->phash_crop, b->phash)) < d) d = e;
  return d;
}

static double dot(const float *restrict a, const float *restrict b, size_t n) {
  float acc = 0;
  for (size_t i = 0; i < n; i++) acc += a[i] * b[i];
  return acc;
}

double glia_fingerprint_ncc(const glia_fingerprint *a, const glia_fingerprint *b) {
  const size_t n = GLIA_THUMB * GLIA_THUMB;
  double full = dot(a->thumb, b->thumb, n), crop = dot(a->thumb_crop, b->thumb_crop, n);
  return full > crop ? full : crop;
}
