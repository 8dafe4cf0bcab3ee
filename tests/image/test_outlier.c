/* Outlier scores on constructed images whose answer is known by construction, and the
 * flags on the Kaggle set against the outliers catalogued in its README. */
#include <stdlib.h>
#include <string.h>

#include "glia/outlier.h"
#include "glia/phash.h"
#include "testutil.h"

/* A dark canvas with a mid-gray elliptical "head" and a bright rim. */
static glia_image_u8 *scan(int w, int h, int background) {
  glia_image_u8 *g = glia_image_u8_new(w, h, 1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double u = (x - w / 2.0) / (0.35 * w), v = (y - h / 2.0) / (0.4 * h), r = u * u + v * v;
      int val = r < 0.8 ? 110 + (x * 7 + y * 3) % 60 : r < 1 ? 200 : background;
      g->data[(size_t)y * w + x] = (uint8_t)val;
    }
  return g;
}

static unsigned flags_of(const glia_image_u8 *img, glia_outlier_scores *s) {
  glia_image_u8 *g = glia_u8_to_gray(img);
  assert_int_equal(glia_outlier_measure(img, g, s), GLIA_OK);
  glia_image_u8_free(g);
  return glia_outlier_flags(s, NULL);
}

#define HAS(f, k) (((f) >> (k)) & 1u)

static void test_clean_scan_has_no_outlier(void **state) {
  (void)state;
  glia_image_u8 *g = scan(256, 256, 2);
  glia_outlier_scores s;
  unsigned f = flags_of(g, &s);
  assert_int_equal(f, 0);
  assert_int_equal(s.corner_median, 2);
  assert_int_equal(s.short_side, 256);
  assert_float_equal(s.corner_marks, 0, 0);
  glia_image_u8_free(g);
}

static void test_white_and_light_backgrounds(void **state) {
  (void)state;
  glia_outlier_scores s;
  glia_image_u8 *w = scan(256, 256, 250), *l = scan(256, 256, 50);
  unsigned fw = flags_of(w, &s);
  assert_int_equal(s.corner_median, 250);
  assert_true(HAS(fw, GLIA_OUTLIER_WHITE_BACKGROUND));
  assert_false(HAS(fw, GLIA_OUTLIER_LIGHT_BACKGROUND));
  unsigned fl = flags_of(l, &s);
  assert_true(HAS(fl, GLIA_OUTLIER_LIGHT_BACKGROUND));
  assert_false(HAS(fl, GLIA_OUTLIER_WHITE_BACKGROUND));
  glia_image_u8_free(w);
  glia_image_u8_free(l);
}

static void test_bright_frame_on_two_sides(void **state) {
  (void)state;
  glia_image_u8 *g = scan(240, 200, 3);
  for (int y = 0; y < 200; y++)
    for (int x = 0; x < 240; x++)
      if (y < 2 || x >= 237) g->data[(size_t)y * 240 + x] = 230; /* top and right lines */
  glia_outlier_scores s;
  unsigned f = flags_of(g, &s);
  assert_true(HAS(f, GLIA_OUTLIER_BRIGHT_FRAME));
  assert_int_equal(s.frame, 230 - 3); /* line median − inner band median */
  assert_int_equal(s.frame_sides, 2);
  assert_false(HAS(f, GLIA_OUTLIER_CORNER_MARKS)); /* lines along the border are not marks */
  glia_image_u8_free(g);
}

static void test_marks_in_a_corner_but_not_inside_the_head(void **state) {
  (void)state;
  glia_image_u8 *g = scan(256, 256, 2);
  for (int c = 0; c < 3; c++) /* three "letters" of 5×8 px, bottom-right corner */
    for (int y = 230; y < 238; y++)
      for (int x = 200 + 8 * c; x < 205 + 8 * c; x++) g->data[(size_t)y * 256 + x] = 240;
  glia_outlier_scores s;
  unsigned f = flags_of(g, &s);
  assert_true(HAS(f, GLIA_OUTLIER_CORNER_MARKS));
  /* 120 mark pixels in a 56×56 corner region */
  assert_float_equal(s.corner_marks, 1000.0 * 120 / (56 * 56), 1e-9);
  glia_image_u8_free(g);
  g = scan(256, 256, 2); /* the same marks inside the head are anatomy, not marks */
  for (int y = 120; y < 128; y++)
    for (int x = 120; x < 125; x++) g->data[(size_t)y * 256 + x] = 240;
  f = flags_of(g, &s);
  assert_false(HAS(f, GLIA_OUTLIER_CORNER_MARKS));
  glia_image_u8_free(g);
}

static void test_tiny_low_contrast_and_colour(void **state) {
  (void)state;
  glia_outlier_scores s;
  glia_image_u8 *t = scan(150, 190, 2);
  assert_true(HAS(flags_of(t, &s), GLIA_OUTLIER_TINY));
  assert_int_equal(s.short_side, 150);
  glia_image_u8_free(t);
  glia_image_u8 *flat = glia_image_u8_new(100, 100, 1);
  for (int i = 0; i < 100 * 100; i++) flat->data[i] = (uint8_t)(100 + i % 20);
  assert_true(HAS(flags_of(flat, &s), GLIA_OUTLIER_LOW_CONTRAST));
  assert_int_equal(s.contrast, 19);
  glia_image_u8_free(flat);
  /* Gray content stored as RGB is not colour; a red mark of 200 px is. */
  glia_image_u8 *g = scan(200, 200, 2), *rgb = glia_image_u8_new(200, 200, 3);
  for (int i = 0; i < 200 * 200; i++) memset(rgb->data + 3 * i, g->data[i], 3);
  assert_false(HAS(flags_of(rgb, &s), GLIA_OUTLIER_COLOUR));
  assert_float_equal(s.mean_chroma, 0, 0);
  for (int i = 0; i < 200; i++) rgb->data[3 * i] = 255, rgb->data[3 * i + 1] = 0;
  assert_true(HAS(flags_of(rgb, &s), GLIA_OUTLIER_COLOUR));
  assert_int_equal(s.chroma_px, 200);
  glia_image_u8_free(g);
  glia_image_u8_free(rgb);
}

static void test_names_and_thresholds(void **state) {
  (void)state;
  glia_outlier_opts o = GLIA_OUTLIER_DEFAULTS;
  assert_string_equal(glia_outlier_name(GLIA_OUTLIER_BRIGHT_FRAME), "bright_frame");
  assert_string_equal(glia_outlier_name(GLIA_OUTLIER_COUNT), "unknown");
  assert_float_equal(glia_outlier_threshold(&o, GLIA_OUTLIER_TINY), 200, 0);
  glia_outlier_scores s = {0};
  s.short_side = 199;
  s.contrast = 100;
  assert_int_equal(glia_outlier_flags(&s, &o), 1u << GLIA_OUTLIER_TINY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_scan_has_no_outlier),
      cmocka_unit_test(test_white_and_light_backgrounds),
      cmocka_unit_test(test_bright_frame_on_two_sides),
      cmocka_unit_test(test_marks_in_a_corner_but_not_inside_the_head),
      cmocka_unit_test(test_tiny_low_contrast_and_colour),
      cmocka_unit_test(test_names_and_thresholds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
