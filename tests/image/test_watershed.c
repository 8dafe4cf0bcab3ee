/* Watershed against scikit-image 0.19 fixtures (gen_snake.py): per-label Dice >= 0.95. */
#include "fixture.h"
#include "glia/morph.h"
#include "glia/watershed.h"

#define W 96
#define H 80
#define N (W * H)

/* Mean over the oracle's labels of the Dice of that label's region in both maps. */
static double mean_label_dice(const int32_t *got, const uint8_t *ref) {
  int maxl = 0;
  for (int i = 0; i < N; i++) maxl = ref[i] > maxl ? ref[i] : maxl;
  double sum = 0;
  static uint8_t a[N], b[N];
  for (int l = 1; l <= maxl; l++) {
    for (int i = 0; i < N; i++) a[i] = got[i] == l, b[i] = ref[i] == l;
    sum += fx_dice(a, b, N);
  }
  return maxl ? sum / maxl : 1;
}

static void test_watershed_of_distance_matches_skimage(void **state) {
  (void)state;
  glia_image_u8 *m = fx_load("ws_dist_mask.png", 1), *ref = fx_load("ws_dist_labels.png", 1);
  uint8_t mask[N];
  for (int i = 0; i < N; i++) mask[i] = m->data[i] != 0;
  static int32_t labels[N];
  int32_t n = 0;
  assert_int_equal(glia_watershed_distance(mask, W, H, 2.0, labels, &n), GLIA_OK);
  double d = mean_label_dice(labels, ref->data);
  fprintf(stderr, "distance watershed: %d regions, mean Dice %.4f\n", n, d);
  /* Markers from the same h-maxima in the same raster order, so labels correspond; ties of
   * the heap may move a few boundary pixels: Dice >= 0.95 per region on average. */
  assert_true(d >= 0.95);
  glia_image_u8_free(m);
  glia_image_u8_free(ref);
}

/* The distance watershed floods with a bucket queue on integer squared distances; the general
 * one with a heap on the float relief. Same order (value, then age), so the same labels. */
static void test_watershed_distance_buckets_equal_heap(void **state) {
  (void)state;
  glia_image_u8 *m = fx_load("ws_dist_mask.png", 1);
  static uint8_t mask[N];
  static float d[N];
  static int32_t fast[N], mk[N], slow[N];
  for (int i = 0; i < N; i++) mask[i] = m->data[i] != 0;
  for (int pass = 0; pass < 2; pass++) {
    if (pass) /* a second mask: the complement, cut by a cross (more and thinner regions) */
      for (int i = 0; i < N; i++) mask[i] = !mask[i] && i % W != W / 2 && i / W != H / 3;
    int32_t n1 = 0, n2 = 0;
    assert_int_equal(glia_watershed_distance(mask, W, H, 2.0, fast, &n1), GLIA_OK);
    assert_int_equal(glia_distance_transform(mask, W, H, d), GLIA_OK);
    assert_int_equal(glia_markers_h_maxima(d, W, H, 2.0, mk, &n2), GLIA_OK);
    for (int i = 0; i < N; i++) d[i] = -d[i];
    assert_int_equal(glia_watershed(d, mk, mask, W, H, 4, slow), GLIA_OK);
    assert_int_equal(n1, n2);
    assert_true(n1 > 1);
    for (int i = 0; i < N; i++) assert_int_equal(fast[i], slow[i]);
  }
  glia_image_u8_free(m);
}

static void test_watershed_of_gradient_from_seeds_matches_skimage(void **state) {
  (void)state;
  glia_image_u8 *ref = fx_load("ws_grad_labels.png", 1);
  float *grad = fx_raw("ws_grad.f32", N * sizeof(float));
  static int32_t seeds[N], labels[N];
  memset(seeds, 0, sizeof seeds);
  seeds[5 * W + 5] = 1;
  seeds[40 * W + 48] = 2;
  seeds[20 * W + 30] = 3;
  seeds[60 * W + 70] = 4;
  assert_int_equal(glia_watershed(grad, seeds, NULL, W, H, 4, labels), GLIA_OK);
  double d = mean_label_dice(labels, ref->data);
  fprintf(stderr, "gradient watershed: mean Dice %.4f\n", d);
  assert_true(d >= 0.95);
  for (int i = 0; i < N; i++) assert_true(labels[i] >= 1 && labels[i] <= 4); /* all flooded */
  glia_free(grad);
  glia_image_u8_free(ref);
}

static void test_colorize_paints_labels(void **state) {
  (void)state;
  int32_t lab[3] = {0, 1, 2};
  uint8_t rgb[9];
  assert_int_equal(glia_labels_colorize(lab, NULL, 3, 1, rgb), GLIA_OK);
  assert_int_equal(rgb[0], 0);
  assert_int_equal(rgb[3], 128); /* purple */
  assert_int_equal(rgb[8], 255); /* blue */
  assert_int_equal(glia_watershed(NULL, lab, NULL, 3, 1, 4, lab), GLIA_ERR_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_watershed_of_distance_matches_skimage),
      cmocka_unit_test(test_watershed_distance_buckets_equal_heap),
      cmocka_unit_test(test_watershed_of_gradient_from_seeds_matches_skimage),
      cmocka_unit_test(test_colorize_paints_labels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
