/* Fingerprints: gray conversion and area resize equal to OpenCV, pHash equal to a SciPy DCT
 * oracle, robustness to rescaling and contrast, duplicate grouping. Fixtures:
 * tests/fixtures/explore/gen_explore.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/phash.h"
#include "testutil.h"

static glia_image_u8 *load_fixture(const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/fixtures/explore/%s", name);
  char *path = tu_src(rel);
  glia_image_u8 *img = NULL;
  glia_load_opts lo = GLIA_LOAD_DEFAULTS;
  if (glia_image_load_u8(path, &lo, &img, NULL)) fprintf(stderr, "%s\n", glia_last_error());
  assert_non_null(img);
  free(path);
  return img;
}

static double *fixture_numbers(const char *name, size_t *n) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/fixtures/explore/%s", name);
  char *path = tu_src(rel);
  double *v = tu_read_numbers(path, n);
  free(path);
  return v;
}

static void test_gray_matches_opencv_cvtcolor(void **state) {
  (void)state;
  const char *names[2] = {"head_rgb", "head_color"};
  const char *files[2] = {"head_rgb.png", "head_color.jpg"};
  for (int k = 0; k < 2; k++) {
    glia_image_u8 *img = load_fixture(files[k]);
    glia_image_u8 *g = glia_u8_to_gray(img);
    char txt[64];
    snprintf(txt, sizeof txt, "%s.gray.txt", names[k]);
    size_t n;
    double *ref = fixture_numbers(txt, &n);
    assert_int_equal(n, (size_t)img->width * img->height);
    for (size_t i = 0; i < n; i++) assert_int_equal(g->data[i], (int)ref[i]); /* exact */
    free(ref);
    glia_image_u8_free(g);
    glia_image_u8_free(img);
  }
}

static void test_area_resize_matches_opencv_inter_area(void **state) {
  (void)state;
  const char *names[3] = {"head_gray", "head_rgb", "head_color"};
  const char *files[3] = {"head_gray.png", "head_rgb.png", "head_color.jpg"};
  for (int k = 0; k < 3; k++) {
    glia_image_u8 *img = load_fixture(files[k]);
    glia_image_u8 *g = glia_u8_to_gray(img);
    char txt[64];
    snprintf(txt, sizeof txt, "%s.area.txt", names[k]);
    size_t n;
    double *ref = fixture_numbers(txt, &n);
    assert_int_equal(n, 64 * 64 + 32 * 64);
    float a64[64 * 64], a32[32 * 32];
    assert_int_equal(glia_resize_area_gray(g, 0, 0, g->width, g->height, a64, 64, 64), GLIA_OK);
    assert_int_equal(glia_resize_area_gray(g, 0, 0, g->width, g->height, a32, 32, 32), GLIA_OK);
    /* float32 sums of up to ~6 weighted terms of values ≤ 255: 1e-3 covers rounding */
    for (int i = 0; i < 64 * 64; i++) assert_float_equal(a64[i], ref[i], 1e-3);
    for (int y = 0; y < 32; y++)
      for (int x = 0; x < 32; x++)
        assert_float_equal(a32[y * 32 + x], ref[64 * 64 + y * 64 + x], 1e-3);
    free(ref);
    glia_image_u8_free(g);
    glia_image_u8_free(img);
  }
}

static void test_phash_matches_scipy_dct(void **state) {
  (void)state;
  const char *names[3] = {"head_gray", "head_rgb", "head_color"};
  const char *files[3] = {"head_gray.png", "head_rgb.png", "head_color.jpg"};
  for (int k = 0; k < 3; k++) {
    glia_image_u8 *img = load_fixture(files[k]);
    glia_image_u8 *g = glia_u8_to_gray(img);
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/explore/%s.phash.txt", names[k]);
    char *path = tu_src(rel);
    size_t len;
    unsigned char *txt = tu_read_file(path, &len);
    unsigned long long ref = strtoull((char *)txt, NULL, 16);
    uint64_t h = glia_phash(g, 0, 0, g->width, g->height);
    /* Exact unless a coefficient sits within float rounding of the median. */
    assert_true(glia_hamming64(h, ref) <= 1);
    glia_free(txt);
    free(path);
    glia_image_u8_free(g);
    glia_image_u8_free(img);
  }
}

/* A synthetic gray "scan" with structure, to test invariances. */
static glia_image_u8 *pattern(int w, int h, double gain, double offset) {
  glia_image_u8 *g = glia_image_u8_new(w, h, 1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double u = (double)x / w, v = (double)y / h;
      double r = sqrt((u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5));
      double val =
          r < 0.4 ? 100 + 60 * sin(20 * u) * cos(13 * v) + (u > 0.6 && v < 0.4 ? 80 : 0) : 5;
      val = gain * val + offset;
      g->data[(size_t)y * w + x] = (uint8_t)(val < 0 ? 0 : val > 255 ? 255 : val);
    }
  return g;
}

static void test_fingerprint_survives_rescale_and_contrast(void **state) {
  (void)state;
  glia_image_u8 *a = pattern(240, 240, 1.0, 0), *b = pattern(171, 171, 0.8, 20);
  glia_image_u8 *c = pattern(240, 240, 1.0, 0);
  /* c: a different picture (mirrored) */
  for (int y = 0; y < 240; y++)
    for (int x = 0; x < 120; x++) {
      uint8_t t = c->data[y * 240 + x];
      c->data[y * 240 + x] = c->data[y * 240 + 239 - x];
      c->data[y * 240 + 239 - x] = t;
    }
  glia_fingerprint *fa = malloc(sizeof *fa), *fb = malloc(sizeof *fb), *fc = malloc(sizeof *fc);
  assert_int_equal(glia_fingerprint_compute(a, fa), GLIA_OK);
  assert_int_equal(glia_fingerprint_compute(b, fb), GLIA_OK);
  assert_int_equal(glia_fingerprint_compute(c, fc), GLIA_OK);
  assert_true(glia_fingerprint_hamming(fa, fb) <= 8);
  assert_true(glia_fingerprint_ncc(fa, fb) >= 0.98);
  assert_true(glia_fingerprint_ncc(fa, fc) < 0.95);
  assert_true(glia_fingerprint_ncc(fa, fa) > 0.9999);
  free(fa);
  free(fb);
  free(fc);
  glia_image_u8_free(a);
  glia_image_u8_free(b);
  glia_image_u8_free(c);
}

static void test_content_box_ignores_padding(void **state) {
  (void)state;
  glia_image_u8 *a = pattern(100, 100, 1.0, 0);
  glia_image_u8 *p = glia_image_u8_new(200, 160, 1); /* a padded with black, off-centre */
  for (int y = 0; y < 100; y++)
    memcpy(p->data + (size_t)(y + 40) * 200 + 70, a->data + y * 100, 100);
  glia_fingerprint *fa = malloc(sizeof *fa), *fp = malloc(sizeof *fp);
  assert_int_equal(glia_fingerprint_compute(a, fa), GLIA_OK);
  assert_int_equal(glia_fingerprint_compute(p, fp), GLIA_OK);
  assert_true(fp->crop[0] >= 70 && fp->crop[2] <= 170 && fp->crop[1] >= 40 && fp->crop[3] <= 140);
  assert_true(glia_fingerprint_ncc(fa, fp) >= 0.95);
  free(fa);
  free(fp);
  glia_image_u8_free(a);
  glia_image_u8_free(p);
}

static void test_groups_join_exact_and_near_pairs(void **state) {
  (void)state;
  /* Images 0..5: 0 = 1 (same bytes), 2 near 0, 3 alone, 4 = 5 (same bytes), nothing near. */
  uint8_t sha[6][32];
  memset(sha, 0, sizeof sha);
  for (int i = 0; i < 6; i++) sha[i][0] = (uint8_t)i;
  sha[1][0] = 0;
  sha[5][0] = 4;
  glia_fingerprint *fp = calloc(6, sizeof *fp);
  glia_image_u8 *a = pattern(64, 64, 1, 0), *b = pattern(80, 80, 0.9, 10),
                *c = pattern(64, 64, 1, 0);
  for (int i = 0; i < 64 * 64; i++) c->data[i] = (uint8_t)((i * 7919) % 251); /* noise */
  glia_fingerprint_compute(a, &fp[0]);
  fp[1] = fp[0];
  glia_fingerprint_compute(b, &fp[2]);
  glia_fingerprint_compute(c, &fp[3]);
  glia_image_u8 *d = pattern(64, 64, 1, 0);
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++) d->data[y * 64 + x] = (uint8_t)(((x / 8 + y / 8) % 2) * 200);
  glia_fingerprint_compute(d, &fp[4]);
  fp[5] = fp[4];
  glia_dup_group *g;
  size_t ng;
  assert_int_equal(glia_duplicates_group(6, (const uint8_t(*)[32])sha, fp, NULL, &g, &ng), GLIA_OK);
  assert_int_equal(ng, 3); /* exact {0,1}, exact {4,5}, near {0,1,2} */
  assert_int_equal(g[0].kind, GLIA_DUP_EXACT);
  assert_int_equal(g[0].n, 2);
  assert_int_equal(g[0].members[0], 0);
  assert_int_equal(g[0].members[1], 1);
  assert_int_equal(g[1].kind, GLIA_DUP_EXACT);
  assert_int_equal(g[1].members[0], 4);
  assert_int_equal(g[2].kind, GLIA_DUP_NEAR);
  assert_int_equal(g[2].n, 3);
  assert_int_equal(g[2].members[2], 2);
  glia_dup_groups_free(g, ng);
  /* Exact only when no fingerprints are given. */
  assert_int_equal(glia_duplicates_group(6, (const uint8_t(*)[32])sha, NULL, NULL, &g, &ng),
                   GLIA_OK);
  assert_int_equal(ng, 2);
  glia_dup_groups_free(g, ng);
  free(fp);
  glia_image_u8_free(a);
  glia_image_u8_free(b);
  glia_image_u8_free(c);
  glia_image_u8_free(d);
}

static void test_resize_rejects_bad_boxes(void **state) {
  (void)state;
  glia_image_u8 *a = pattern(10, 10, 1, 0);
  float out[4];
  assert_int_equal(glia_resize_area_gray(a, 0, 0, 11, 10, out, 2, 2), GLIA_ERR_ARGUMENT);
  assert_int_equal(glia_resize_area_gray(a, 5, 0, 5, 10, out, 2, 2), GLIA_ERR_ARGUMENT);
  glia_image_u8_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gray_matches_opencv_cvtcolor),
      cmocka_unit_test(test_area_resize_matches_opencv_inter_area),
      cmocka_unit_test(test_phash_matches_scipy_dct),
      cmocka_unit_test(test_fingerprint_survives_rescale_and_contrast),
      cmocka_unit_test(test_content_box_ignores_padding),
      cmocka_unit_test(test_groups_join_exact_and_near_pairs),
      cmocka_unit_test(test_resize_rejects_bad_boxes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
