/* Derivative filters and edges: 3×3 Sobel and Scharr (as cv2.Sobel/cv2.Scharr, CV_16S,
 * BORDER_REFLECT_101) and the Canny detector (J. Canny 1986) following OpenCV 4.6's integer
 * formulation: L1 magnitude, non-maximum suppression with tan(22.5°) in 15-bit fixed point,
 * 8-connected hysteresis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glia/filter.h"
#include "image/internal.h"

/* Derivatives with smoothing taps (a, b, a) and difference taps (−1, 0, 1). */
static void deriv3(const uint8_t *src, int16_t *dx, int16_t *dy, int width, int height, int a,
                   int b, glia__border border) {
#pragma omp parallel for schedule(static) GLIA__PAR(width, height)
  for (int y = 0; y < height; y++) {
    const uint8_t *r0 = src + (size_t)glia__border_index(y - 1, height, border) * width;
    const uint8_t *r1 = src + (size_t)y * width;
    const uint8_t *r2 = src + (size_t)glia__border_index(y + 1, height, border) * width;
    for (int x = 0; x < width; x++) {
      int xl = x ? x - 1 : glia__border_index(-1, width, border);
      int xr = x + 1 < width ? x + 1 : glia__border_index(width, width, border);
      if (dx) {
        int v = a * (r0[xr] - r0[xl]) + b * (r1[xr] - r1[xl]) + a * (r2[xr] - r2[xl]);
        dx[(size_t)y * width + x] = (int16_t)v;
      }
      if (dy) {
        int v = a * (r2[xl] - r0[xl]) + b * (r2[x] - r0[x]) + a * (r2[xr] - r0[xr]);
        dy[(size_t)y * width + x] = (int16_t)v;
      }
    }
  }
}

glia_status glia_sobel_u8(const uint8_t *src, int16_t *dx, int16_t *dy, int width, int height,
                          int scharr) {
  glia_status s = glia__check_plane("sobel", src, dx ? (void *)dx : (void *)dy, width, height);
  if (s) return s;
  deriv3(src, dx, dy, width, height, scharr ? 3 : 1, scharr ? 10 : 2, GLIA__BORDER_REFLECT101);
  return GLIA_OK;
}

glia_status glia_gradient_magnitude_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                       int scharr, double scale) {
  glia_status s = glia__check_plane("gradient magnitude", src, dst, width, height);
  if (s) return s;
  size_t n = (size_t)width * height;
  int16_t *d = glia_malloc(2 * n * sizeof(int16_t));
  if (!d) return glia_error(GLIA_ERR_NOMEM, "gradient magnitude: out of memory");
  deriv3(src, d, d + n, width, height, scharr ? 3 : 1, scharr ? 10 : 2, GLIA__BORDER_REFLECT101);
  for (size_t i = 0; i < n; i++) {
    double gx = d[i], gy = d[n + i];
    dst[i] = glia__sat_u8(scale * sqrt(gx * gx + gy * gy));
  }
  glia_free(d);
  return GLIA_OK;
}

glia_status glia_canny_u8(const uint8_t *src, uint8_t *dst, int width, int height, double low,
                          double high) {
  glia_status s = glia__check_plane("canny", src, dst, width, height);
  if (s) return s;
  if (!(low >= 0) || !(high >= low) || high > 1e6)
    return glia_error(GLIA_ERR_ARGUMENT, "canny: thresholds %g, %g, expected 0 <= low <= high", low,
                      high);
  int lo = (int)floor(low), hi = (int)floor(high);
  int W = width, H = height, MW = W + 2;
  size_t n = (size_t)W * H;
  int16_t *d = glia_malloc(2 * n * sizeof(int16_t));
  int *mag = glia_calloc((size_t)(H + 2) * MW, sizeof(int));
  /* map: 0 may be an edge, 1 not an edge, 2 edge; one pixel of border marked 1. */
  uint8_t *map = glia_malloc((size_t)(H + 2) * MW);
  int32_t *stack = glia_malloc(n * sizeof(int32_t));
  if (!d || !mag || !map || !stack) {
    s = glia_error(GLIA_ERR_NOMEM, "canny: out of memory");
    goto done;
  }
  /* OpenCV's Canny takes the Sobel derivatives with BORDER_REPLICATE. */
  deriv3(src, d, d + n, W, H, 1, 2, GLIA__BORDER_REPLICATE);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      size_t i = (size_t)y * W + x;
      mag[(size_t)(y + 1) * MW + x + 1] = abs(d[i]) + abs(d[n + i]);
    }
  memset(map, 1, (size_t)(H + 2) * MW);
  size_t top = 0;
  const int TG22 = 13573; /* round(tan(22.5°) · 2^15) */
  for (int y = 0; y < H; y++) {
    for (int x = 0; x < W; x++) {
      size_t mi = (size_t)(y + 1) * MW + x + 1;
      int m = mag[mi];
      int edge = 0;
      if (m > lo) {
        int xs = d[(size_t)y * W + x], ys = d[n + (size_t)y * W + x];
        int ax = abs(xs);
        long ay = (long)abs(ys) << 15, tg22x = (long)ax * TG22;
        if (ay < tg22x) {
          edge = m > mag[mi - 1] && m >= mag[mi + 1];
        } else {
          long tg67x = tg22x + ((long)ax << 16);
          if (ay > tg67x) {
            edge = m > mag[mi - MW] && m >= mag[mi + MW];
          } else {
            int sg = (xs ^ ys) < 0 ? -1 : 1;
            edge = m > mag[mi - MW - sg] && m > mag[mi + MW + sg];
          }
        }
      }
      if (edge && m > hi) {
        map[mi] = 2;
        stack[top++] = (int32_t)mi;
      } else {
        map[mi] = edge ? 0 : 1;
      }
    }
  }
  while (top) {
    int32_t p = stack[--top];
    const int off[8] = {-MW - 1, -MW, -MW + 1, -1, 1, MW - 1, MW, MW + 1};
    for (int k = 0; k < 8; k++)
      if (!map[p + off[k]]) {
        map[p + off[k]] = 2;
        stack[top++] = p + off[k];
      }
  }
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      dst[(size_t)y * W + x] = map[(size_t)(y + 1) * MW + x + 1] == 2 ? 255 : 0;
done:
  glia_free(d);
  glia_free(mag);
  glia_free(map);
  glia_free(stack);
  return s;
}
