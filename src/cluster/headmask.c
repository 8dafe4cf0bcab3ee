/* The cluster layer's head mask and brain erosion, composed of the image layer's Otsu
 * threshold, connected components, hole filling and morphology. */
#include <string.h>

#include "cluster/internal.h"
#include "glia/morph.h"
#include "glia/threshold.h"

glia_status glia__head_mask(const uint8_t *gray, int width, int height, uint8_t *mask) {
  size_t n = (size_t)width * (size_t)height;
  int t = glia_otsu_u8(gray, n);
  for (size_t i = 0; i < n; i++) mask[i] = gray[i] > t;
  int64_t area = 0;
  glia_status s = glia_largest_component(mask, width, height, &area, NULL);
  if (s) return s;
  return area ? glia_fill_holes(mask, width, height) : GLIA_OK;
}

/* Erodes by a square of radius r (<= 512, glia_morph_u8's limit), pixels outside counting as 0:
 * glia_morph_u8 ignores them, so the band of width r along the border, whose square reaches
 * outside, is cleared too. */
static glia_status erode_zero_border(uint8_t *mask, int width, int height, int r) {
  glia_strel se = {GLIA_STREL_SQUARE, r};
  glia_status s = glia_morph_u8(mask, mask, width, height, GLIA_MORPH_ERODE, se);
  if (s) return s;
  for (int y = 0; y < height; y++) {
    uint8_t *row = mask + (size_t)y * width;
    int b = y < r || y >= height - r ? width : (r < width ? r : width);
    memset(row, 0, (size_t)b);
    memset(row + width - b, 0, (size_t)b);
  }
  return GLIA_OK;
}

glia_status glia__erode(uint8_t *mask, int width, int height, int r) {
  /* Square erosions compose (radius a then b is radius a + b, zeros outside), so larger
   * radii run in steps of 512. */
  glia_status s = GLIA_OK;
  while (r > 0 && !s) {
    int step = r < 512 ? r : 512;
    s = erode_zero_border(mask, width, height, step);
    r -= step;
  }
  return s;
}
