/* Otsu's global threshold (N. Otsu, "A threshold selection method from gray-level
 * histograms", 1979), written to give OpenCV 4.6's getThreshVal_Otsu_8u answer bit for bit,
 * and adaptive thresholds as cv2.adaptiveThreshold. */
#include <float.h>
#include <math.h>

#include "glia/filter.h"
#include "glia/threshold.h"
#include "image/internal.h"

int glia_otsu_hist(const uint32_t hist[256], size_t total) {
  if (!hist || total == 0) return 0;
  double scale = 1.0 / (double)total, mu = 0;
  for (int i = 0; i < 256; i++) mu += i * (double)hist[i];
  mu *= scale;
  double mu1 = 0, q1 = 0, max_sigma = 0;
  int best = 0;
  /* The same sequence of double operations as OpenCV, including its update of mu1 before
   * the skip test, so ties and rounding resolve identically. */
  for (int i = 0; i < 256; i++) {
    double p_i = hist[i] * scale;
    mu1 *= q1;
    q1 += p_i;
    double q2 = 1. - q1;
    if ((q1 < q2 ? q1 : q2) < FLT_EPSILON || (q1 > q2 ? q1 : q2) > 1. - FLT_EPSILON) continue;
    mu1 = (mu1 + i * p_i) / q1;
    double mu2 = (mu - q1 * mu1) / q2;
    double sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > max_sigma) {
      max_sigma = sigma;
      best = i;
    }
  }
  return best;
}

int glia_otsu_u8(const uint8_t *src, size_t n) {
  if (!src || n == 0) return 0;
  uint32_t hist[256] = {0};
  for (size_t i = 0; i < n; i++) hist[src[i]]++;
  return glia_otsu_hist(hist, n);
}

glia_status glia_threshold_u8(const uint8_t *src, uint8_t *dst, int width, int height, int t) {
  glia_status s = glia__check_plane("threshold", src, dst, width, height);
  if (s) return s;
  size_t n = (size_t)width * height;
  for (size_t i = 0; i < n; i++) dst[i] = src[i] > t ? 255 : 0;
  return GLIA_OK;
}

glia_status glia_adaptive_threshold_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                       glia_adaptive_method method, int block_size, double offset) {
  glia_status s = glia__check_plane("adaptive threshold", src, dst, width, height);
  if (s) return s;
  if (src == dst) return glia_error(GLIA_ERR_ARGUMENT, "adaptive threshold: dst aliases src");
  if (block_size < 3 || block_size % 2 == 0 || block_size > 4001)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "adaptive threshold: block size %d, expected odd in 3..4001", block_size);
  if (!isfinite(offset) || fabs(offset) > 255)
    return glia_error(GLIA_ERR_ARGUMENT, "adaptive threshold: offset %g, expected in [-255, 255]",
                      offset);
  if (method == GLIA_ADAPTIVE_MEAN) {
    s = glia_box_blur_u8(src, dst, width, height, block_size, 1);
  } else if (method == GLIA_ADAPTIVE_GAUSSIAN) {
    size_t n = (size_t)width * height;
    float *f = glia_malloc(n * sizeof(float));
    double *taps = glia_malloc((size_t)block_size * sizeof(double));
    if (!f || !taps) {
      glia_free(f);
      glia_free(taps);
      return glia_error(GLIA_ERR_NOMEM, "adaptive threshold: out of memory");
    }
    glia__gaussian_taps(block_size, 0, taps);
    for (size_t i = 0; i < n; i++) f[i] = src[i];
    s = glia__sep_filter_f32(f, f, width, height, taps, block_size, taps, block_size,
                             GLIA__BORDER_REPLICATE);
    if (!s)
      for (size_t i = 0; i < n; i++) dst[i] = glia__sat_u8f(f[i]);
    glia_free(f);
    glia_free(taps);
  } else {
    return glia_error(GLIA_ERR_ARGUMENT, "adaptive threshold: unknown method %d", (int)method);
  }
  if (s) return s;
  /* OpenCV: idelta = ceil(offset); foreground where src − mean > −idelta. */
  int idelta = (int)ceil(offset);
  size_t n = (size_t)width * height;
  for (size_t i = 0; i < n; i++) dst[i] = (int)src[i] - (int)dst[i] > -idelta ? 255 : 0;
  return GLIA_OK;
}
