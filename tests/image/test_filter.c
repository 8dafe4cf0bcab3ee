/* Filters against OpenCV 4.6 / scikit-image 0.19 / SciPy fixtures (gen_image.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "glia/filter.h"

#define W 64
#define H 48
#define N (W * H)

static void test_gray_matches_opencv_rgb2gray(void **state) {
  (void)state;
  glia_image_u8 *rgb = fx_load("rgb16.png", 3), *ref = fx_load("rgb16_gray.png", 1), *g = NULL;
  assert_int_equal(glia_image_u8_to_gray(rgb, &g), GLIA_OK);
  /* Same fixed-point formula as OpenCV: identical. */
  assert_memory_equal(g->data, ref->data, 16 * 12);
  glia_image_u8_free(rgb);
  glia_image_u8_free(ref);
  glia_image_u8_free(g);
}

/* The vectorised conversion (AVX2 clone where the CPU has it) against the formula, for 3 and
 * 4 channels and every length up to 100 pixels (vector bodies and scalar tails), all byte
 * values. */
static void test_gray_every_length_matches_formula(void **state) {
  (void)state;
  for (int c = 3; c <= 4; c++)
    for (int w = 1; w <= 100; w++) {
      glia_image_u8 *img = glia_image_u8_new(w, 1, c), *g = NULL;
      assert_non_null(img);
      for (int i = 0; i < w * c; i++) img->data[i] = (uint8_t)(i * 97 + w * 31 + c);
      assert_int_equal(glia_image_u8_to_gray(img, &g), GLIA_OK);
      for (int x = 0; x < w; x++) {
        const uint8_t *p = img->data + x * c;
        assert_int_equal(g->data[x], (9798 * p[0] + 19235 * p[1] + 3735 * p[2] + 16384) >> 15);
      }
      glia_image_u8_free(img);
      glia_image_u8_free(g);
    }
}

static void test_gaussian_within_one_of_opencv(void **state) {
  (void)state;
  glia_image_u8 *head = fx_load("head64.png", 1), *tex = fx_load("tex64.png", 1);
  glia_image_u8 *r5 = fx_load("gauss5.png", 1), *r2 = fx_load("gauss_s2.png", 1);
  uint8_t out[N];
  size_t nd;
  /* OpenCV blurs 8-bit images in 8.8 fixed point and glia in float: ±1 where OpenCV's
   * rounding of the kernel taps tips a value across .5; no more. */
  assert_int_equal(glia_gaussian_blur_u8(head->data, out, W, H, 5, 0), GLIA_OK);
  assert_true(fx_maxdiff_u8(out, r5->data, N, &nd) <= 1);
  assert_true(nd < N / 20);
  assert_int_equal(glia_gaussian_blur_u8(tex->data, out, W, H, 0, 2.0), GLIA_OK);
  assert_true(fx_maxdiff_u8(out, r2->data, N, &nd) <= 1);
  assert_true(nd < N / 20);
  glia_image_u8_free(head);
  glia_image_u8_free(tex);
  glia_image_u8_free(r5);
  glia_image_u8_free(r2);
}

static void test_median_identical_to_opencv(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1), *r3 = fx_load("median3.png", 1),
                *r5 = fx_load("median5.png", 1);
  uint8_t out[N];
  assert_int_equal(glia_median_blur_u8(tex->data, out, W, H, 3), GLIA_OK);
  assert_memory_equal(out, r3->data, N);
  assert_int_equal(glia_median_blur_u8(tex->data, out, W, H, 5), GLIA_OK);
  assert_memory_equal(out, r5->data, N);
  glia_image_u8_free(tex);
  glia_image_u8_free(r3);
  glia_image_u8_free(r5);
}

static void test_bilateral_within_one_of_opencv(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1), *ref = fx_load("bilateral.png", 1);
  uint8_t out[N];
  size_t nd;
  assert_int_equal(glia_bilateral_u8(tex->data, out, W, H, 5, 50, 50), GLIA_OK);
  /* OpenCV sums float weights in SIMD order and interpolates its exp table: ±1. */
  assert_true(fx_maxdiff_u8(out, ref->data, N, &nd) <= 1);
  assert_true(nd < N / 20);
  glia_image_u8_free(tex);
  glia_image_u8_free(ref);
}

static void test_sobel_and_scharr_identical_to_opencv(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  int16_t dx[N], dy[N];
  const char *names[2][2] = {{"sobel_dx.i16", "sobel_dy.i16"}, {"scharr_dx.i16", "scharr_dy.i16"}};
  for (int sch = 0; sch < 2; sch++) {
    assert_int_equal(glia_sobel_u8(tex->data, dx, dy, W, H, sch), GLIA_OK);
    int16_t *rx = fx_raw(names[sch][0], sizeof dx), *ry = fx_raw(names[sch][1], sizeof dy);
    assert_memory_equal(dx, rx, sizeof dx); /* integer arithmetic: identical */
    assert_memory_equal(dy, ry, sizeof dy);
    glia_free(rx);
    glia_free(ry);
  }
  glia_image_u8_free(tex);
}

static void test_canny_matches_opencv(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1), *head = fx_load("head64.png", 1);
  glia_image_u8 *rt = fx_load("canny_tex.png", 1), *rh = fx_load("canny_head.png", 1);
  uint8_t out[N];
  size_t nd;
  /* Same integer magnitude, suppression and hysteresis rules: identical edge maps. */
  assert_int_equal(glia_canny_u8(tex->data, out, W, H, 50, 150), GLIA_OK);
  fx_maxdiff_u8(out, rt->data, N, &nd);
  assert_int_equal(nd, 0);
  assert_int_equal(glia_canny_u8(head->data, out, W, H, 30, 90), GLIA_OK);
  fx_maxdiff_u8(out, rh->data, N, &nd);
  assert_int_equal(nd, 0);
  glia_image_u8_free(tex);
  glia_image_u8_free(head);
  glia_image_u8_free(rt);
  glia_image_u8_free(rh);
}

static void test_equalize_identical_to_opencv(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1), *ref = fx_load("equalize.png", 1);
  uint8_t out[N];
  assert_int_equal(glia_equalize_hist_u8(tex->data, out, W, H), GLIA_OK);
  assert_memory_equal(out, ref->data, N);
  glia_image_u8_free(tex);
  glia_image_u8_free(ref);
}

static void test_log_matches_scipy_gaussian_laplace(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  float in[N], out[N];
  for (int i = 0; i < N; i++) in[i] = tex->data[i];
  float *ref = fx_raw("log_s2.f32", sizeof out);
  assert_int_equal(glia_log_f32(in, out, W, H, 2.0), GLIA_OK);
  /* Same taps and border; float32 vs SciPy's float32 output with double sums: 1e-3 on
   * values of order 10. */
  assert_true(fx_maxdiff_f32(out, ref, N) < 1e-3);
  glia_free(ref);
  glia_image_u8_free(tex);
}

static void test_entropy_matches_skimage_rank_entropy(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  float out[N], *ref = fx_raw("entropy_r3.f32", sizeof out);
  assert_int_equal(glia_entropy_u8(tex->data, out, W, H, 3), GLIA_OK);
  /* The same histogram over the same disk; entropy in float: 1e-4 bits. */
  assert_true(fx_maxdiff_f32(out, ref, N) < 1e-4);
  glia_free(ref);
  glia_image_u8_free(tex);
}

/* The plain per-output resize (float sums in tap order, as glia computed it before the
 * padded, vectorised passes): the fast path must give the same bytes. */
static void ref_taps(int in, int out, int o, int *idx, float *w, int *n) {
  double scale = (double)in / out;
  *n = 0;
  if (scale > 1) {
    double a = o * scale, b = a + scale;
    for (int i = (int)floor(a); i < b && i < in; i++) {
      double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;
      if (hi - lo <= 1e-12) continue;
      idx[*n] = i;
      w[(*n)++] = (float)((hi - lo) / scale);
    }
  } else {
    double f = (o + 0.5) * scale - 0.5;
    int i = (int)floor(f);
    double d = f - i;
    if (i < 0) i = 0, d = 0;
    if (i >= in - 1) i = in - 1, d = 0;
    idx[0] = i;
    w[0] = (float)(1 - d);
    *n = 1;
    if (d > 0) idx[1] = i + 1, w[1] = (float)d, *n = 2;
  }
}

static void ref_resize(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh) {
  float *mid = malloc((size_t)sw * dh * sizeof(float));
  assert_non_null(mid);
  int idx[64], n;
  float w[64];
  for (int y = 0; y < dh; y++) {
    ref_taps(sh, dh, y, idx, w, &n);
    for (int x = 0; x < sw; x++) {
      float acc = w[0] * (float)src[(size_t)idx[0] * sw + x];
      for (int k = 1; k < n; k++) acc += w[k] * (float)src[(size_t)idx[k] * sw + x];
      mid[(size_t)y * sw + x] = acc;
    }
  }
  for (int y = 0; y < dh; y++)
    for (int x = 0; x < dw; x++) {
      ref_taps(sw, dw, x, idx, w, &n);
      float acc = 0;
      for (int k = 0; k < n; k++) acc += w[k] * mid[(size_t)y * sw + idx[k]];
      acc = acc > 0.f ? acc : 0.f;
      acc = acc < 255.f ? acc : 255.f;
      dst[(size_t)y * dw + x] = (uint8_t)(int)((acc + 12582912.0f) - 12582912.0f);
    }
  free(mid);
}

static void test_resize_same_bytes_as_reference(void **state) {
  (void)state;
  /* Shrinking by integer and fractional factors, enlarging, mixed, one-pixel sides, and an
   * output wider than the 256-pixel chunks of the row pass. */
  static const int sizes[][4] = {{64, 48, 40, 30},     {64, 48, 100, 75}, {512, 512, 192, 192},
                                 {450, 380, 256, 216}, {97, 31, 13, 77},  {7, 5, 1, 1},
                                 {1, 1, 9, 4},         {300, 20, 600, 7}, {33, 600, 17, 599}};
  for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
    int sw = sizes[c][0], sh = sizes[c][1], dw = sizes[c][2], dh = sizes[c][3];
    uint8_t *src = malloc((size_t)sw * sh), *a = malloc((size_t)dw * dh),
            *b = malloc((size_t)dw * dh);
    assert_true(src && a && b);
    for (int i = 0; i < sw * sh; i++) src[i] = (uint8_t)((i * 131 + (i / sw) * 17) % 256);
    assert_int_equal(glia_resize_u8(src, sw, sh, a, dw, dh), GLIA_OK);
    ref_resize(src, sw, sh, b, dw, dh);
    if (memcmp(a, b, (size_t)dw * dh))
      fail_msg("resize %d×%d → %d×%d differs from the reference", sw, sh, dw, dh);
    free(src);
    free(a);
    free(b);
  }
}

static void test_resize_within_one_of_opencv(void **state) {
  (void)state;
  glia_image_u8 *head = fx_load("head64.png", 1), *ra = fx_load("resize_area.png", 1),
                *rl = fx_load("resize_linear.png", 1);
  uint8_t a[40 * 30], l[100 * 75];
  size_t nd;
  /* OpenCV uses 11-bit fixed-point weights (linear) and float sums (area): ±1. */
  assert_int_equal(glia_resize_u8(head->data, W, H, a, 40, 30), GLIA_OK);
  assert_true(fx_maxdiff_u8(a, ra->data, sizeof a, &nd) <= 1);
  assert_int_equal(glia_resize_u8(head->data, W, H, l, 100, 75), GLIA_OK);
  assert_true(fx_maxdiff_u8(l, rl->data, sizeof l, &nd) <= 1);
  glia_image_u8_free(head);
  glia_image_u8_free(ra);
  glia_image_u8_free(rl);
}

static void test_minmax_and_zscore_use_only_the_mask(void **state) {
  (void)state;
  float src[6] = {10, 20, 30, 1000, -5, 40}, out[6];
  uint8_t mask[6] = {1, 1, 1, 0, 0, 1};
  assert_int_equal(glia_normalize_minmax_f32(src, mask, out, 6, 1), GLIA_OK);
  assert_float_equal(out[0], 0, 1e-6);
  assert_float_equal(out[5], 1, 1e-6);
  assert_float_equal(out[1], 1.0 / 3, 1e-6);
  assert_float_equal(out[3], 0, 0);
  assert_int_equal(glia_standardize_f32(src, mask, out, 6, 1), GLIA_OK);
  /* mean 25, population std sqrt(125) */
  assert_float_equal(out[0], -15 / sqrt(125.0), 1e-6);
  assert_float_equal(out[5], 15 / sqrt(125.0), 1e-6);
  uint8_t none[6] = {0};
  assert_int_equal(glia_standardize_f32(src, none, out, 6, 1), GLIA_ERR_EMPTY);
}

static void test_gamma_and_unsharp_follow_their_formulas(void **state) {
  (void)state;
  uint8_t src[4] = {0, 64, 128, 255}, out[4];
  assert_int_equal(glia_gamma_u8(src, out, 4, 1, 0.5), GLIA_OK);
  assert_int_equal(out[1], 128); /* 255·sqrt(64/255) = 127.75 */
  assert_int_equal(out[3], 255);
  /* A constant image has no detail to sharpen. */
  uint8_t flat[25], o2[25];
  memset(flat, 90, sizeof flat);
  assert_int_equal(glia_unsharp_u8(flat, o2, 5, 5, 1.0, 2.0), GLIA_OK);
  for (int i = 0; i < 25; i++) assert_int_equal(o2[i], 90);
}

static void test_bad_arguments_are_errors(void **state) {
  (void)state;
  uint8_t a[9] = {0}, b[9];
  assert_int_equal(glia_gaussian_blur_u8(a, b, 3, 3, 4, 0), GLIA_ERR_ARGUMENT);
  assert_int_equal(glia_gaussian_blur_u8(NULL, b, 3, 3, 3, 0), GLIA_ERR_ARGUMENT);
  assert_int_equal(glia_median_blur_u8(a, b, 0, 3, 3), GLIA_ERR_ARGUMENT);
  assert_int_equal(glia_canny_u8(a, b, 3, 3, 10, 5), GLIA_ERR_ARGUMENT);
  assert_int_equal(glia_entropy_u8(a, (float *)NULL, 3, 3, 1), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "entropy"));
  /* 3×3 images go through every filter. */
  float f[9];
  assert_int_equal(glia_median_blur_u8(a, b, 3, 3, 5), GLIA_OK);
  assert_int_equal(glia_canny_u8(a, b, 3, 3, 10, 20), GLIA_OK);
  assert_int_equal(glia_entropy_u8(a, f, 3, 3, 5), GLIA_OK);
  assert_int_equal(glia_bilateral_u8(a, b, 3, 3, 9, 20, 20), GLIA_OK);
  assert_int_equal(glia_gaussian_blur_u8(a, b, 1, 1, 5, 0), GLIA_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gray_matches_opencv_rgb2gray),
      cmocka_unit_test(test_gray_every_length_matches_formula),
      cmocka_unit_test(test_gaussian_within_one_of_opencv),
      cmocka_unit_test(test_median_identical_to_opencv),
      cmocka_unit_test(test_bilateral_within_one_of_opencv),
      cmocka_unit_test(test_sobel_and_scharr_identical_to_opencv),
      cmocka_unit_test(test_canny_matches_opencv),
      cmocka_unit_test(test_equalize_identical_to_opencv),
      cmocka_unit_test(test_log_matches_scipy_gaussian_laplace),
      cmocka_unit_test(test_entropy_matches_skimage_rank_entropy),
      cmocka_unit_test(test_resize_within_one_of_opencv),
      cmocka_unit_test(test_resize_same_bytes_as_reference),
      cmocka_unit_test(test_minmax_and_zscore_use_only_the_mask),
      cmocka_unit_test(test_gamma_and_unsharp_follow_their_formulas),
      cmocka_unit_test(test_bad_arguments_are_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
