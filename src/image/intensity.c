/* Point operations on intensities: histogram equalisation (as cv2.equalizeHist), gamma,
 * min-max normalisation and z-score standardisation inside a mask. */
#include <math.h>

#include "glia/filter.h"
#include "image/internal.h"

glia_status glia_equalize_hist_u8(const uint8_t *src, uint8_t *dst, int width, int height) {
  glia_status s = glia__check_plane("equalize", src, dst, width, height);
  if (s) return s;
  size_t n = (size_t)width * height;
  uint32_t hist[256] = {0};
  uint8_t lut[256];
  for (size_t i = 0; i < n; i++) hist[src[i]]++;
  int i = 0;
  while (!hist[i]) i++;
  if (hist[i] == n) {
    for (size_t k = 0; k < n; k++) dst[k] = (uint8_t)i;
    return GLIA_OK;
  }
  /* OpenCV: float scale, cumulative count after the first occupied bin, cvRound. */
  float scale = 255.f / (float)(n - hist[i]);
  uint32_t sum = 0;
  for (int k = 0; k <= i; k++) lut[k] = 0;
  for (i++; i < 256; i++) {
    sum += hist[i];
    lut[i] = glia__sat_u8f((float)sum * scale);
  }
  for (size_t k = 0; k < n; k++) dst[k] = lut[src[k]];
  return GLIA_OK;
}

glia_status glia_gamma_u8(const uint8_t *src, uint8_t *dst, int width, int height, double gamma) {
  glia_status s = glia__check_plane("gamma", src, dst, width, height);
  if (s) return s;
  if (!(gamma > 0) || gamma > 100)
    return glia_error(GLIA_ERR_ARGUMENT, "gamma: %g, expected in (0, 100]", gamma);
  uint8_t lut[256];
  for (int i = 0; i < 256; i++) lut[i] = glia__sat_u8(255.0 * pow(i / 255.0, gamma));
  size_t n = (size_t)width * height;
  for (size_t i = 0; i < n; i++) dst[i] = lut[src[i]];
  return GLIA_OK;
}

glia_status glia_normalize_minmax_f32(const float *src, const uint8_t *mask, float *dst, int width,
                                      int height) {
  glia_status s = glia__check_plane("min-max", src, dst, width, height);
  if (s) return s;
  size_t n = (size_t)width * height, cnt = 0;
  float lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++)
    if (!mask || mask[i]) {
      lo = src[i] < lo ? src[i] : lo;
      hi = src[i] > hi ? src[i] : hi;
      cnt++;
    }
  double range = cnt ? (double)hi - lo : 0;
  for (size_t i = 0; i < n; i++)
    dst[i] = (mask && !mask[i]) || range <= 0 ? 0.f : (float)((src[i] - (double)lo) / range);
  return GLIA_OK;
}

glia_status glia_standardize_f32(const float *src, const uint8_t *mask, float *dst, int width,
                                 int height) {
  glia_status s = glia__check_plane("z-score", src, dst, width, height);
  if (s) return s;
  size_t n = (size_t)width * height, cnt = 0;
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < n; i++)
    if (!mask || mask[i]) sum += src[i], cnt++;
  if (!cnt) return glia_error(GLIA_ERR_EMPTY, "z-score: the mask selects no pixel");
  double mean = sum / cnt;
  for (size_t i = 0; i < n; i++)
    if (!mask || mask[i]) sum2 += (src[i] - mean) * (src[i] - mean);
  double sd = sqrt(sum2 / cnt);
  if (!(sd > 0)) sd = 1;
  for (size_t i = 0; i < n; i++) dst[i] = mask && !mask[i] ? 0.f : (float)((src[i] - mean) / sd);
  return GLIA_OK;
}
