/* Morphological snakes against scikit-image 0.19 fixtures (gen_snake.py): Dice >= 0.95. */
#include "fixture.h"
#include "glia/snake.h"

#define W 96
#define H 80
#define N (W * H)

static float img[N];

static int setup(void **state) {
  (void)state;
  glia_image_u8 *in = fx_load("snake_in.png", 1);
  for (int i = 0; i < N; i++) img[i] = in->data[i] / 255.0f;
  glia_image_u8_free(in);
  return 0;
}

static void expect_dice(const uint8_t *mask, const char *ref_name, double min) {
  glia_image_u8 *ref = fx_load(ref_name, 1);
  double d = fx_dice(mask, ref->data, N);
  fprintf(stderr, "%s: Dice %.4f\n", ref_name, d);
  /* The bar: masks agree with scikit-image to Dice >= 0.95 (float32 here, float64
   * there, so a pixel whose two forces nearly cancel may go either way). */
  assert_true(d >= min);
  glia_image_u8_free(ref);
}

static void test_acwe_checkerboard_matches_skimage(void **state) {
  (void)state;
  uint8_t mask[N];
  assert_int_equal(glia_snake_acwe(img, W, H, NULL, mask), GLIA_OK);
  expect_dice(mask, "acwe_checker.png", 0.95);
}

static void test_acwe_disk_smoothing_weights_match_skimage(void **state) {
  (void)state;
  glia_snake_opts o = GLIA_SNAKE_DEFAULTS;
  o.iterations = 40;
  o.init = GLIA_LEVELSET_DISK;
  o.smoothing = 2;
  o.lambda2 = 2;
  uint8_t mask[N];
  assert_int_equal(glia_snake_acwe(img, W, H, &o, mask), GLIA_OK);
  expect_dice(mask, "acwe_disk_s2.png", 0.95);
}

static void test_inverse_gaussian_gradient_matches_skimage(void **state) {
  (void)state;
  float g[N], *ref = fx_raw("gac_gimage.f32", sizeof g);
  assert_int_equal(glia_inverse_gaussian_gradient(img, g, W, H, 100, 2), GLIA_OK);
  /* Same taps and border; float32 sums vs float64: 1e-4 on values in (0, 1]. */
  assert_true(fx_maxdiff_f32(g, ref, N) < 1e-4);
  glia_free(ref);
}

static void test_gac_balloons_match_skimage(void **state) {
  (void)state;
  float *g = fx_raw("gac_gimage.f32", N * sizeof(float));
  uint8_t mask[N];
  glia_snake_opts o = GLIA_SNAKE_DEFAULTS;
  o.balloon = -1;
  assert_int_equal(glia_snake_gac(g, W, H, &o, mask), GLIA_OK);
  expect_dice(mask, "gac_shrink.png", 0.95);
  glia_image_u8 *init = fx_load("gac_grow_init.png", 1);
  o = (glia_snake_opts)GLIA_SNAKE_DEFAULTS;
  o.iterations = 60;
  o.smoothing = 2;
  o.threshold = 0.5;
  o.balloon = 1;
  o.init = GLIA_LEVELSET_MASK;
  o.init_mask = init->data;
  assert_int_equal(glia_snake_gac(g, W, H, &o, mask), GLIA_OK);
  expect_dice(mask, "gac_grow.png", 0.95);
  glia_image_u8_free(init);
  glia_free(g);
}

static void test_snake_bad_input(void **state) {
  (void)state;
  uint8_t mask[9];
  float tiny[9] = {0, 0, 0, 0, 1, 0, 0, 0, 0};
  glia_snake_opts o = GLIA_SNAKE_DEFAULTS;
  o.init = GLIA_LEVELSET_MASK; /* without a mask */
  assert_int_equal(glia_snake_acwe(tiny, 3, 3, &o, mask), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "mask"));
  assert_int_equal(glia_snake_acwe(tiny, 3, 3, NULL, mask), GLIA_OK); /* 3×3 runs */
  assert_int_equal(glia_snake_gac(tiny, 3, 3, NULL, mask), GLIA_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_acwe_checkerboard_matches_skimage),
      cmocka_unit_test(test_acwe_disk_smoothing_weights_match_skimage),
      cmocka_unit_test(test_inverse_gaussian_gradient_matches_skimage),
      cmocka_unit_test(test_gac_balloons_match_skimage),
      cmocka_unit_test(test_snake_bad_input),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
