/* CLAHE against OpenCV 4.6's createCLAHE fixtures (gen_image.py). */
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clahe_8x8_matches_opencv),
      cmocka_unit_test(test_clahe_on_size_not_multiple_of_tiles_matches_opencv),
      cmocka_unit_test(test_clahe_rejects_zero_tiles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
