/* Otsu and adaptive thresholds against OpenCV 4.6 fixtures (gen_image.py). */
#include "fixture.h"
#include "glia/threshold.h"

#define W 64
#define H 48
#define N (W * H)

static void test_otsu_identical_to_opencv(void **state) {
  (void)state;
  char *p = tu_src("tests/fixtures/image/otsu.txt");
  FILE *f = fopen(p, "r");
  assert_non_null(f);
  char name[64];
  int t, k = 0;
  while (fscanf(f, "%63s %d", name, &t) == 2) {
    glia_image_u8 *img = fx_load(name, 1);
    int got = glia_otsu_u8(img->data, (size_t)img->width * img->height);
    if (got != t) fprintf(stderr, "%s: glia %d, OpenCV %d\n", name, got, t);
    assert_int_equal(got, t); /* the same double arithmetic: identical */
    glia_image_u8_free(img);
    k++;
  }
  fclose(f);
  free(p);
  assert_int_equal(k, 3);
}

static void test_otsu_of_constant_image_is_zero(void **state) {
  (void)state;
  uint8_t a[16];
  memset(a, 77, sizeof a);
  assert_int_equal(glia_otsu_u8(a, sizeof a), 0); /* OpenCV returns 0 too */
  assert_int_equal(glia_otsu_u8(a, 0), 0);
}

static void test_adaptive_mean_identical_to_opencv(void **state) {
  (void)state;
  glia_image_u8 *head = fx_load("head64.png", 1), *ref = fx_load("adapt_mean.png", 1);
  uint8_t out[N];
  size_t nd;
  assert_int_equal(glia_adaptive_threshold_u8(head->data, out, W, H, GLIA_ADAPTIVE_MEAN, 11, 2),
                   GLIA_OK);
  /* Exact integer box sums; block² is odd so the rounding has no ties: identical. */
  fx_maxdiff_u8(out, ref->data, N, &nd);
  assert_int_equal(nd, 0);
  glia_image_u8_free(head);
  glia_image_u8_free(ref);
}

static void test_adaptive_gaussian_close_to_opencv(void **state) {
  (void)state;
  glia_image_u8 *head = fx_load("head64.png", 1), *ref = fx_load("adapt_gauss.png", 1);
  uint8_t out[N];
  size_t nd;
  assert_int_equal(glia_adaptive_threshold_u8(head->data, out, W, H, GLIA_ADAPTIVE_GAUSSIAN, 11, 2),
                   GLIA_OK);
  /* The local mean is a Gaussian blur, within ±1 of OpenCV's fixed point; a pixel flips only
   * when it sits exactly at mean − offset: at most 1 % of the pixels. */
  fx_maxdiff_u8(out, ref->data, N, &nd);
  assert_true(nd <= N / 100);
  glia_image_u8_free(head);
  glia_image_u8_free(ref);
}

static void test_adaptive_rejects_even_block(void **state) {
  (void)state;
  uint8_t a[16] = {0}, b[16];
  assert_int_equal(glia_adaptive_threshold_u8(a, b, 4, 4, GLIA_ADAPTIVE_MEAN, 4, 2),
                   GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "block size 4"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_otsu_identical_to_opencv),
      cmocka_unit_test(test_otsu_of_constant_image_is_zero),
      cmocka_unit_test(test_adaptive_mean_identical_to_opencv),
      cmocka_unit_test(test_adaptive_gaussian_close_to_opencv),
      cmocka_unit_test(test_adaptive_rejects_even_block),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
