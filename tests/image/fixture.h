/* Helpers for the image tests: fixtures made by tests/fixtures/image/gen_*.py. */
#ifndef GLIA_TEST_IMAGE_FIXTURE_H
#define GLIA_TEST_IMAGE_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/image.h"
#include "testutil.h"

/* Loads tests/fixtures/image/NAME as an 8-bit image with `channels` channels. */
static inline glia_image_u8 *fx_load(const char *name, int channels) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/fixtures/image/%s", name);
  char *p = tu_src(rel);
  glia_image_u8 *img = NULL;
  glia_status s = glia_image_load_u8(p, NULL, &img, NULL);
  if (s) fprintf(stderr, "%s\n", glia_last_error());
  assert_int_equal(s, GLIA_OK);
  assert_int_equal(img->channels, channels);
  free(p);
  return img;
}

/* Reads a raw fixture of exactly `bytes` bytes (caller frees with glia_free). */
static inline void *fx_raw(const char *name, size_t bytes) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/fixtures/image/%s", name);
  char *p = tu_src(rel);
  size_t n;
  unsigned char *d = tu_read_file(p, &n);
  assert_int_equal(n, bytes);
  free(p);
  return d;
}

/* Largest |a − b| over n bytes, and how many differ. */
static inline int fx_maxdiff_u8(const uint8_t *a, const uint8_t *b, size_t n, size_t *ndiff) {
  int m = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int d = abs((int)a[i] - (int)b[i]);
    if (d) k++;
    if (d > m) m = d;
  }
  if (ndiff) *ndiff = k;
  return m;
}

static inline double fx_maxdiff_f32(const float *a, const float *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - (double)b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/* Dice coefficient of two masks (nonzero = in). */
static inline double fx_dice(const uint8_t *a, const uint8_t *b, size_t n) {
  size_t inter = 0, sa = 0, sb = 0;
  for (size_t i = 0; i < n; i++) {
    inter += a[i] && b[i];
    sa += a[i] != 0;
    sb += b[i] != 0;
  }
  return sa + sb ? 2.0 * inter / (double)(sa + sb) : 1.0;
}

#endif
