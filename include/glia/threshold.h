/* glia thresholds on 8-bit gray planes: Otsu's global threshold and adaptive (local) ones. */
#ifndef GLIA_THRESHOLD_H
#define GLIA_THRESHOLD_H

#include <stddef.h>
#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Otsu's threshold of n 8-bit values (Otsu 1979), computed exactly as OpenCV's
 * THRESH_OTSU: the returned t (0..255) maximises the between-class variance; foreground is
 * value > t. Returns 0 for a constant or empty input. */
GLIA_API int glia_otsu_u8(const uint8_t *src, size_t n);

/* Same from a 256-bin histogram holding `total` values. */
GLIA_API int glia_otsu_hist(const uint32_t hist[256], size_t total);

/* Binary threshold: dst = 255 where src > t, else 0. dst may equal src. */
GLIA_API glia_status glia_threshold_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                       int t);

typedef enum glia_adaptive_method {
  GLIA_ADAPTIVE_MEAN = 0,     /* local mean over block_size² (cv2.ADAPTIVE_THRESH_MEAN_C) */
  GLIA_ADAPTIVE_GAUSSIAN = 1, /* Gaussian-weighted mean (cv2.ADAPTIVE_THRESH_GAUSSIAN_C) */
} glia_adaptive_method;

/* Adaptive threshold as cv2.adaptiveThreshold(src, 255, method, THRESH_BINARY, block_size,
 * offset): dst = 255 where src > local mean − offset (local mean rounded to 8 bits, borders
 * replicated). block_size odd >= 3. dst may not alias src. */
GLIA_API glia_status glia_adaptive_threshold_u8(const uint8_t *src, uint8_t *dst, int width,
                                                int height, glia_adaptive_method method,
                                                int block_size, double offset);

#ifdef __cplusplus
}
#endif
#endif
