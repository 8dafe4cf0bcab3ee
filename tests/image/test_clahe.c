/* CLAHE against OpenCV 4.6's createCLAHE fixtures (gen_image.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "glia/clahe.h"

#define W 64
#define H 48
#define N (W * H)

static void run(const char *in, const char *ref_name, double clip, int tx, int ty) {
  glia_image_u8 *src = fx_load(in, 1), *ref = fx_load(ref_name, 1);
  glia_clahe_opts o = GLIA_CLAHE_DEFAULTS;
  o.clip_limit = clip;
  o.tiles_x = tx;
  o.tiles_y = ty;
  uint8_t out[N];
  size_t nd;
  assert_int_equal(glia_clahe_u8(src->data, out, W, H, &o), GLIA_OK);
  int md = fx_maxdiff_u8(out, ref->data, N, &nd);
  /* Same histograms, clipping and maps; the bilinear blend is float in both, summed in
   * OpenCV's order: at most ±1 on a few pixels where a result lands on .5. */
  if (nd) fprintf(stderr, "%s: %zu pixels differ, max %d\n", ref_name, nd, md);
  assert_true(md <= 1);
  assert_true(nd <= N / 100);
  glia_image_u8_free(src);
  glia_image_u8_free(ref);
}

static void test_clahe_8x8_matches_opencv(void **state) {
  (void)state;
  run("tex64.png", "clahe_8x8.png", 2.0, 8, 8);
}

static void test_clahe_on_size_not_multiple_of_tiles_matches_opencv(void **state) {
  (void)state;
  run("head64.png", "clahe_5x3.png", 3.0, 5, 3); /* 64 is not a multiple of 5 */
}

static void test_clahe_rejects_zero_tiles(void **state) {
  (void)state;
  uint8_t a[4] = {0}, b[4];
  glia_clahe_opts o = GLIA_CLAHE_DEFAULTS;
  o.tiles_x = 0;
  assert_int_equal(glia_clahe_u8(a, b, 2, 2, &o), GLIA_ERR_ARGUMENT);
  /* A 2×2 image with the default 8×8 grid still works (tiles padded by reflection). */
  assert_int_equal(glia_clahe_u8(a, b, 2, 2, NULL), GLIA_OK);
}

/* The plain CLAHE (one histogram counter per level, per-pixel blend), as glia computed it
 * before the interleaved histograms and the vectorised blend: the same bytes are expected. */
static int reflect(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * n - 2 - i;
  }
  return i;
}

static uint8_t sat(float v) {
  v = v > 0.f ? v : 0.f;
  v = v < 255.f ? v : 255.f;
  return (uint8_t)(int)((v + 12582912.0f) - 12582912.0f);
}

static void ref_clahe(const uint8_t *src, uint8_t *dst, int width, int height, double clip_limit,
                      int tx, int ty) {
  int ew = width, eh = height;
  if (width % tx || height % ty) ew = width + tx - width % tx, eh = height + ty - height % ty;
  int tw = ew / tx, th = eh / ty;
  long total = (long)tw * th, clip = 0;
  float lut_scale = 255.f / (float)total;
  if (clip_limit > 0)
    clip = (long)(clip_limit * total / 256) < 1 ? 1 : (long)(clip_limit * total / 256);
  uint8_t *lut = malloc((size_t)tx * ty * 256);
  assert_non_null(lut);
  for (int t = 0; t < tx * ty; t++) {
    int x0 = (t % tx) * tw, y0 = (t / tx) * th;
    long hist[256] = {0};
    for (int y = y0; y < y0 + th; y++)
      for (int x = x0; x < x0 + tw; x++)
        hist[src[(size_t)reflect(y, height) * width + reflect(x, width)]]++;
    if (clip > 0) {
      long clipped = 0;
      for (int i = 0; i < 256; i++)
        if (hist[i] > clip) clipped += hist[i] - clip, hist[i] = clip;
      long batch = clipped / 256, residual = clipped - batch * 256;
      for (int i = 0; i < 256; i++) hist[i] += batch;
      if (residual) {
        long step = 256 / residual > 1 ? 256 / residual : 1;
        for (long i = 0; i < 256 && residual > 0; i += step, residual--) hist[i]++;
      }
    }
    long sum = 0;
    for (int i = 0; i < 256; i++)
      sum += hist[i], lut[(size_t)t * 256 + i] = sat((float)sum * lut_scale);
  }
  float inv_tw = 1.0f / tw, inv_th = 1.0f / th;
  for (int y = 0; y < height; y++) {
    float tyf = y * inv_th - 0.5f;
    int ty1 = (int)floorf(tyf), ty2 = ty1 + 1;
    float ya = tyf - ty1, ya1 = 1.f - ya;
    ty1 = ty1 < 0 ? 0 : ty1;
    ty2 = ty2 > ty - 1 ? ty - 1 : ty2;
    for (int x = 0; x < width; x++) {
      float txf = x * inv_tw - 0.5f;
      int tx1 = (int)floorf(txf), tx2 = tx1 + 1;
      float xa = txf - tx1, xa1 = 1.f - xa;
      tx1 = tx1 < 0 ? 0 : tx1;
      tx2 = tx2 > tx - 1 ? tx - 1 : tx2;
      int v = src[(size_t)y * width + x];
      const uint8_t *l1 = lut + (size_t)ty1 * tx * 256, *l2 = lut + (size_t)ty2 * tx * 256;
      int a = tx1 * 256 + v, b = tx2 * 256 + v;
      float res = (l1[a] * xa1 + l1[b] * xa) * ya1 + (l2[a] * xa1 + l2[b] * xa) * ya;
      dst[(size_t)y * width + x] = sat(res);
    }
  }
  free(lut);
}

static void test_clahe_same_bytes_as_reference(void **state) {
  (void)state;
  /* Sizes that are and are not multiples of the grid, a one-row image, clip on and off,
   * images with long runs of one level (the interleaved counters) and noise; in place too. */
  static const int cases[][5] = {{256, 256, 8, 8, 2}, {256, 256, 8, 8, 0}, {97, 61, 5, 3, 3},
                                 {300, 1, 4, 1, 2},   {33, 70, 8, 8, 40},  {2, 2, 1, 1, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int w = cases[c][0], h = cases[c][1];
    glia_clahe_opts o = {cases[c][4], cases[c][2], cases[c][3]};
    size_t n = (size_t)w * h;
    uint8_t *src = malloc(n), *a = malloc(n), *b = malloc(n);
    assert_true(src && a && b);
    for (size_t i = 0; i < n; i++) {
      int x = (int)(i % (size_t)w), y = (int)(i / (size_t)w);
      src[i] = x < w / 3 ? 0 : (uint8_t)((x * 7 + y * 13 + (int)(i * 2654435761u >> 27)) & 255);
    }
    ref_clahe(src, b, w, h, o.clip_limit, o.tiles_x, o.tiles_y);
    assert_int_equal(glia_clahe_u8(src, a, w, h, &o), GLIA_OK);
    if (memcmp(a, b, n)) fail_msg("case %zu: %d×%d differs from the reference", c, w, h);
    assert_int_equal(glia_clahe_u8(src, src, w, h, &o), GLIA_OK); /* in place */
    if (memcmp(src, b, n)) fail_msg("case %zu in place: %d×%d differs", c, w, h);
    free(src);
    free(a);
    free(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clahe_8x8_matches_opencv),
      cmocka_unit_test(test_clahe_on_size_not_multiple_of_tiles_matches_opencv),
      cmocka_unit_test(test_clahe_rejects_zero_tiles),
      cmocka_unit_test(test_clahe_same_bytes_as_reference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
