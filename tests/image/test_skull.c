/* Skull stripping on a phantom with a known brain, and its quality check. */
#include "fixture.h"
#include "glia/skull.h"

#define W 160
#define H 140

/* Head: scalp/skull ring 210 (r² in (0.82, 1]), a dark gap 25 (r² in (0.7, 0.82]), brain 120
 * with a bright lesion, background 0. Returns the true brain mask. */
static void phantom(uint8_t *img, uint8_t *brain) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double dx = (x - 80) / 60.0, dy = (y - 70) / 52.0, r = dx * dx + dy * dy;
      double lx = (x - 100) / 10.0, ly = (y - 60) / 10.0;
      int v = r <= 0.7 ? (lx * lx + ly * ly <= 1 ? 200 : 120) : r <= 0.82 ? 25 : r <= 1 ? 210 : 0;
      img[y * W + x] = (uint8_t)v;
      brain[y * W + x] = r <= 0.7;
    }
}

static void test_skull_strip_finds_the_phantom_brain(void **state) {
  (void)state;
  static uint8_t img[W * H], truth[W * H], mask[W * H];
  phantom(img, truth);
  glia_skull_report r;
  assert_int_equal(glia_skull_strip(img, W, H, NULL, mask, &r), GLIA_OK);
  double d = fx_dice(mask, truth, W * H);
  fprintf(stderr, "phantom brain Dice %.3f, brain %.0f%% of head, check: %s\n", d, r.brain_pct,
          r.reason);
  /* The skull and the gap go, the lesion stays: Dice >= 0.95 with the true brain. */
  assert_true(d >= 0.95);
  assert_true(mask[60 * W + 100]);      /* the lesion is brain */
  assert_false(mask[70 * W + 80 - 58]); /* the skull on the left is not */
  assert_true(r.ok);
}

static void test_skull_quality_check_flags_a_head_without_skull(void **state) {
  (void)state;
  /* A uniform disc: nothing to strip, the "brain" is nearly the whole head. */
  static uint8_t img[W * H], mask[W * H];
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      double dx = (x - 80) / 60.0, dy = (y - 70) / 52.0;
      img[y * W + x] = dx * dx + dy * dy <= 1 ? 150 : 0;
    }
  glia_skull_opts o = GLIA_SKULL_DEFAULTS;
  o.erode_pct = 0;
  glia_skull_report r;
  assert_int_equal(glia_skull_strip(img, W, H, &o, mask, &r), GLIA_OK);
  assert_false(r.ok);
  assert_non_null(strstr(r.reason, "of the head"));
  uint8_t black[64] = {0};
  assert_int_equal(glia_skull_strip(black, 8, 8, NULL, mask, &r), GLIA_ERR_EMPTY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_skull_strip_finds_the_phantom_brain),
      cmocka_unit_test(test_skull_quality_check_flags_a_head_without_skull),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
