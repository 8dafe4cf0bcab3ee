/* Non-linear neighbourhood filters: median (as cv2.medianBlur), bilateral (C. Tomasi and
 * R. Manduchi 1998, as cv2.bilateralFilter) and local entropy over a disk (as
 * skimage.filters.rank.entropy, with a sliding histogram in the manner of T. Huang 1979). */
#include <math.h>
#include <string.h>

#include "glia/filter.h"
#include "image/internal.h"

glia_status glia_median_blur_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                int ksize) {
  glia_status s = glia__check_plane("median", src, dst, width, height);
  if (s) return s;
  if (src == dst) return glia_error(GLIA_ERR_ARGUMENT, "median: dst aliases src");
  if (ksize < 3 || ksize % 2 == 0 || ksize > 255)
    return glia_error(GLIA_ERR_ARGUMENT, "median: kernel size %d, expected odd in 3..255", ksize);
  int r = ksize / 2, half = ksize * ksize / 2;
#pragma omp parallel for schedule(static) GLIA__PAR_HEAVY(width, height)
  for (int y = 0; y < height; y++) {
    uint32_t hist[256];
    memset(hist, 0, sizeof hist);
    /* Sliding histogram along the row; the median is found by a cumulative scan. */
    for (int dy = -r; dy <= r; dy++) {
      const uint8_t *row = src + (size_t)glia__clampi(y + dy, height) * width;
      for (int dx = -r; dx <= r; dx++) hist[row[glia__clampi(dx, width)]]++;
    }
    for (int x = 0; x < width; x++) {
      int acc = 0, v = 0;
      while ((acc += (int)hist[v]) <= half) v++;
      dst[(size_t)y * width + x] = (uint8_t)v;
      if (x + 1 == width) break;
      int xo = glia__clampi(x - r, width), xi = glia__clampi(x + r + 1, width);
      for (int dy = -r; dy <= r; dy++) {
        const uint8_t *row = src + (size_t)glia__clampi(y + dy, height) * width;
        hist[row[xo]]--;
        hist[row[xi]]++;
      }
    }
  }
  return GLIA_OK;
}

glia_status glia_bilateral_u8(const uint8_t *src, uint8_t *dst, int width, int height, int d,
                              double sigma_color, double sigma_space) {
  glia_status s = glia__check_plane("bilateral", src, dst, width, height);
  if (s) return s;
  if (src == dst) return glia_error(GLIA_ERR_ARGUMENT, "bilateral: dst aliases src");
  if (sigma_color <= 0) sigma_color = 1;
  if (sigma_space <= 0) sigma_space = 1;
  int r = d <= 0 ? (int)lround(sigma_space * 1.5) : d / 2;
  if (r < 1) r = 1;
  if (r > 64) return glia_error(GLIA_ERR_ARGUMENT, "bilateral: diameter %d, expected <= 129", d);
  double gc = -0.5 / (sigma_color * sigma_color), gs = -0.5 / (sigma_space * sigma_space);
  float color_w[256];
  for (int i = 0; i < 256; i++) color_w[i] = (float)exp(i * i * gc);
  int maxk = 0, side = 2 * r + 1;
  float *space_w = glia_malloc((size_t)side * side * sizeof(float));
  int *ox = glia_malloc((size_t)side * side * sizeof(int)),
      *oy = glia_malloc((size_t)side * side * sizeof(int));
  if (!space_w || !ox || !oy) {
    glia_free(space_w);
    glia_free(ox);
    glia_free(oy);
    return glia_error(GLIA_ERR_NOMEM, "bilateral: out of memory");
  }
  for (int i = -r; i <= r; i++)
    for (int j = -r; j <= r; j++) {
      double rr = sqrt((double)i * i + (double)j * j);
      if (rr > r) continue;
      space_w[maxk] = (float)exp(rr * rr * gs);
      oy[maxk] = i;
      ox[maxk++] = j;
    }
#pragma omp parallel for schedule(static) GLIA__PAR_HEAVY(width, height)
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      int v0 = src[(size_t)y * width + x];
      float sum = 0, wsum = 0;
      for (int k = 0; k < maxk; k++) {
        int v = src[(size_t)glia__reflect101(y + oy[k], height) * width +
                    glia__reflect101(x + ox[k], width)];
        float w = space_w[k] * color_w[v > v0 ? v - v0 : v0 - v];
        sum += v * w;
        wsum += w;
      }
      dst[(size_t)y * width + x] = glia__sat_u8f(sum / wsum);
    }
  glia_free(space_w);
  glia_free(ox);
  glia_free(oy);
  return GLIA_OK;
}

glia_status glia_entropy_u8(const uint8_t *src, float *dst, int width, int height, int radius_px) {
  glia_status s = glia__check_plane("entropy", src, dst, width, height);
  if (s) return s;
  if (radius_px < 0 || radius_px > 255)
    return glia_error(GLIA_ERR_ARGUMENT, "entropy: radius %d, expected 0..255", radius_px);
  int r = radius_px;
  int half[511];
  for (int dy = -r; dy <= r; dy++) {
    int h = 0;
    while ((h + 1) * (h + 1) + dy * dy <= r * r) h++;
    half[dy + r] = h;
  }
  /* c·log2(c) for the counts a disk can hold. */
  size_t maxc = (size_t)(2 * r + 1) * (2 * r + 1) + 1;
  double *clog = glia_malloc(maxc * sizeof(double));
  if (!clog) return glia_error(GLIA_ERR_NOMEM, "entropy: out of memory");
  clog[0] = 0;
  for (size_t c = 1; c < maxc; c++) clog[c] = (double)c * log2((double)c);
#pragma omp parallel for schedule(static) GLIA__PAR_HEAVY(width, height)
  for (int y = 0; y < height; y++) {
    uint32_t hist[256];
    memset(hist, 0, sizeof hist);
    double slog = 0; /* Σ c·log2 c over the histogram */
    long cnt = 0;
#define ADD(v)                                                                                     \
  do {                                                                                             \
    uint32_t *h_ = &hist[v];                                                                       \
    slog += clog[*h_ + 1] - clog[*h_];                                                             \
    ++*h_;                                                                                         \
    cnt++;                                                                                         \
  } while (0)
#define DEL(v)                                                                                     \
  do {                                                                                             \
    uint32_t *h_ = &hist[v];                                                                       \
    slog += clog[*h_ - 1] - clog[*h_];                                                             \
    --*h_;                                                                                         \
    cnt--;                                                                                         \
  } while (0)
    for (int dy = -r; dy <= r; dy++) {
      int yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      const uint8_t *row = src + (size_t)yy * width;
      for (int dx = -half[dy + r]; dx <= half[dy + r]; dx++)
        if (dx >= 0 && dx < width) ADD(row[dx]);
    }
    for (int x = 0; x < width; x++) {
      /* H = log2 n − (Σ c log2 c)/n */
      dst[(size_t)y * width + x] = cnt ? (float)(log2((double)cnt) - slog / cnt) : 0.f;
      if (x + 1 == width) break;
      for (int dy = -r; dy <= r; dy++) {
        int yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        const uint8_t *row = src + (size_t)yy * width;
        int xo = x - half[dy + r], xi = x + 1 + half[dy + r];
        if (xo >= 0) DEL(row[xo]);
        if (xi < width) ADD(row[xi]);
      }
    }
#undef ADD
#undef DEL
  }
  glia_free(clog);
  return GLIA_OK;
}
