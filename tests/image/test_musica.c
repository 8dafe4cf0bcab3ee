/* Pyramids against cv2.pyrDown/pyrUp fixtures (gen_image.py) and MUSICA's properties. */
#include <math.h>

#include "fixture.h"
#include "glia/musica.h"
#include "image/musica_internal.h"

#define W 64
#define H 48
#define N (W * H)

static void test_pyramid_matches_opencv(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  float in[N], down[N / 4], up[N];
  for (int i = 0; i < N; i++) in[i] = tex->data[i];
  float *rd = fx_raw("pyrdown.f32", sizeof down), *ru = fx_raw("pyrup.f32", sizeof up);
  assert_int_equal(glia_pyr_down_f32(in, W, H, down), GLIA_OK);
  /* Same taps and borders in float32; values up to 255: 1e-3 covers summation order. */
  assert_true(fx_maxdiff_f32(down, rd, N / 4) < 1e-3);
  assert_int_equal(glia_pyr_up_f32(rd, W / 2, H / 2, up, W, H), GLIA_OK);
  assert_true(fx_maxdiff_f32(up, ru, N) < 1e-3);
  glia_free(rd);
  glia_free(ru);
  glia_image_u8_free(tex);
}

static void test_musica_without_amplification_is_identity(void **state) {
  (void)state;
  /* Odd sizes exercise the pyrUp "2n − 1" path at every level. */
  enum { w = 77, h = 53 };
  static float in[w * h], out[w * h];
  for (int i = 0; i < w * h; i++) in[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  o.amplify = 0;
  assert_int_equal(glia_musica_f32(in, out, w, h, &o), GLIA_OK);
  /* L = G − up(G'), G = L + up(G'): exact up to float rounding of values in [0, 1]. */
  assert_true(fx_maxdiff_f32(in, out, w * h) < 1e-5);
  o.amplify = 1;
  o.power = 1;
  o.gain = 1;
  assert_int_equal(glia_musica_f32(in, out, w, h, &o), GLIA_OK);
  assert_true(fx_maxdiff_f32(in, out, w * h) < 1e-5); /* the curve is y = x then */
}

static void test_musica_amplifies_detail_contrast(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  uint8_t out[N];
  assert_int_equal(glia_musica_u8(tex->data, out, W, H, NULL), GLIA_OK);
  /* p < 1 lifts small details: the mean absolute difference between neighbours grows. */
  double a = 0, b = 0;
  for (int y = 0; y < H; y++)
    for (int x = 1; x < W; x++) {
      a += abs(tex->data[y * W + x] - tex->data[y * W + x - 1]);
      b += abs(out[y * W + x] - out[y * W + x - 1]);
    }
  assert_true(b > 1.1 * a);
  glia_image_u8_free(tex);
}

/* The NumPy formula of bench/preprocess_peer.py (gen_musica.py) on a 64×48 head: glia's pow
 * is a polynomial exp2/log2 and its sums run in another order, so float results differ by
 * rounding only; the bytes by at most 1 where a value sits on a rounding boundary. */
static void check_oracle(const char *name, double power, double gain, double noise_pct) {
  glia_image_u8 *head = fx_load("head64.png", 1);
  float in[N], out[N], *ref = fx_raw(name, sizeof out);
  uint8_t out8[N];
  for (int i = 0; i < N; i++) in[i] = head->data[i] * (1.f / 255);
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  o.power = power;
  o.gain = gain;
  o.noise_pct = noise_pct;
  o.black_level = -1e9; /* keep negative values, as the oracle's float result */
  assert_int_equal(glia_musica_f32(in, out, W, H, &o), GLIA_OK);
  double md = fx_maxdiff_f32(out, ref, N);
  fprintf(stderr, "musica %s: max |glia - numpy| %.3g\n", name, md);
  assert_true(md < 2e-5);
  o.black_level = 0;
  assert_int_equal(glia_musica_u8(head->data, out8, W, H, &o), GLIA_OK);
  int far = 0;
  for (int i = 0; i < N; i++) {
    double r = rint(fmin(fmax(ref[i] * 255.0, 0), 255));
    far += fabs(out8[i] - r) > 1;
  }
  assert_int_equal(far, 0);
  glia_free(ref);
  glia_image_u8_free(head);
}

static void test_musica_matches_numpy_oracle(void **state) {
  (void)state;
  for (int isa = GLIA__MUSICA_PLAIN; isa <= GLIA__MUSICA_AVX512; isa++) {
    if (!glia__musica_use_isa(isa)) continue;       /* not on this CPU */
    check_oracle("musica_p07.f32", 0.7, 1.0, 2.0);  /* the defaults */
    check_oracle("musica_p05_c0.f32", 0.5, 1.5, 0); /* no linear segment */
  }
  glia__musica_use_isa(GLIA__MUSICA_AUTO);
}

/* A plane of at least 2^17 pixels runs its finest passes in row bands, one per thread (in
 * OpenMP builds): without amplification the result is still the input, band edges included. */
static void test_musica_large_plane_in_bands(void **state) {
  (void)state;
  enum { w = 521, h = 263, n = w * h };
  float *in = glia_malloc(n * sizeof(float)), *out = glia_malloc(n * sizeof(float));
  assert_non_null(in);
  assert_non_null(out);
  for (int i = 0; i < n; i++) in[i] = (float)((i * 2654435761u) % 1000) / 1000.f;
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  o.amplify = 0;
  assert_int_equal(glia_musica_f32(in, out, w, h, &o), GLIA_OK);
  assert_true(fx_maxdiff_f32(in, out, n) < 1e-5);
  glia_free(in);
  glia_free(out);
}

/* The AVX2 and AVX-512 versions against the plain one (GLIA_REFERENCE=1's) on odd widths,
 * where the vector loops leave remainders: pyramids, MUSICA on floats and on bytes. Fused
 * multiply-adds and summation order move floats by rounding only; a byte by at most 1. */
static void test_musica_versions_agree(void **state) {
  (void)state;
  enum { w = 101, h = 67, n = w * h, wd = (w + 1) / 2, hd = (h + 1) / 2 };
  static float in[n], down[3][wd * hd], up[3][n], out[3][n];
  static uint8_t in8[n], out8[3][n];
  for (int i = 0; i < n; i++) { /* a bright disc with texture on a dark, noisy background */
    int x = i % w, y = i / w;
    double r2 = (x - 48.0) * (x - 48.0) + (y - 31.0) * (y - 31.0);
    double t = (i * 2654435761u) % 1000 / 1000.0;
    in[i] = (float)(r2 < 900 ? 0.5 + 0.3 * sin(x * 0.7) * cos(y * 0.4) + 0.1 * t : 0.02 * t);
    in8[i] = (uint8_t)lrint(in[i] * 255);
  }
  int ran = 0;
  for (int isa = GLIA__MUSICA_PLAIN; isa <= GLIA__MUSICA_AVX512; isa++) {
    if (!glia__musica_use_isa(isa)) continue;
    ran++;
    assert_int_equal(glia_pyr_down_f32(in, w, h, down[isa]), GLIA_OK);
    assert_int_equal(glia_pyr_up_f32(down[isa], wd, hd, up[isa], w, h), GLIA_OK);
    assert_int_equal(glia_musica_f32(in, out[isa], w, h, NULL), GLIA_OK);
    assert_int_equal(glia_musica_u8(in8, out8[isa], w, h, NULL), GLIA_OK);
    if (isa == GLIA__MUSICA_PLAIN) continue;
    double dd = fx_maxdiff_f32(down[isa], down[0], wd * hd), du = fx_maxdiff_f32(up[isa], up[0], n),
           dm = fx_maxdiff_f32(out[isa], out[0], n);
    int d8 = 0;
    for (int i = 0; i < n; i++)
      d8 = abs(out8[isa][i] - out8[0][i]) > d8 ? abs(out8[isa][i] - out8[0][i]) : d8;
    fprintf(stderr, "musica version %d vs plain: down %.3g up %.3g musica %.3g bytes %d\n", isa, dd,
            du, dm, d8);
    assert_true(dd < 1e-6 && du < 1e-6 && dm < 1e-5 && d8 <= 1);
  }
  glia__musica_use_isa(GLIA__MUSICA_AUTO);
  fprintf(stderr, "musica: %d of 3 versions on this CPU\n", ran);
  assert_true(ran >= 1);
}

/* The power law against pow() in double on a sweep of magnitudes and both signs, and the
 * linear segment below the joint. */
static void test_musica_fast_gain_matches_pow(void **state) {
  (void)state;
  enum { n = 4001 }; /* odd: the vector loops' remainder too */
  static float x[n];
  const double ps[4] = {0.3, 0.5, 0.7, 1.0};
  for (int q = 0; q < 3 * 4; q++) {
    int k = q % 4;
    if (!glia__musica_use_isa(q / 4)) continue; /* plain, AVX2, AVX-512 where the CPU has them */
    glia__musica_gain g;
    glia__musica_gain_init(&g, 0.8, ps[k], 1.3, 2.0);
    for (int i = 0; i < n; i++) x[i] = (float)((i & 1 ? -1 : 1) * 0.8 * pow(10, -7.0 * i / n));
    glia__musica_gain_row(x, n, &g);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double t = 0.8 * pow(10, -7.0 * i / n), c = 0.02 * 0.8, want;
      if ((float)t < (float)c)
        want = 1.3 * pow(0.02, ps[k] - 1) * (float)t;
      else
        want = 1.3 * pow(0.8, 1 - ps[k]) * pow((float)t, ps[k]);
      double rel = fabs(fabs(x[i]) - want) / want;
      worst = rel > worst ? rel : worst;
      assert_true((x[i] < 0) == (i & 1)); /* the sign is kept */
    }
    fprintf(stderr, "musica gain version %d p %.1f: max relative error %.3g\n", q / 4, ps[k],
            worst);
    assert_true(worst < 2e-6);
  }
  glia__musica_use_isa(GLIA__MUSICA_AUTO);
}

static void test_musica_handles_tiny_images_and_rejects_bad_power(void **state) {
  (void)state;
  float a[9] = {0, 1, 0, 1, 0, 1, 0, 1, 0}, b[9];
  assert_int_equal(glia_musica_f32(a, b, 3, 3, NULL), GLIA_OK); /* no level fits: copy */
  assert_true(fx_maxdiff_f32(a, b, 9) < 1e-6);
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  o.power = 1.5;
  assert_int_equal(glia_musica_f32(a, b, 3, 3, &o), GLIA_ERR_ARGUMENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pyramid_matches_opencv),
      cmocka_unit_test(test_musica_without_amplification_is_identity),
      cmocka_unit_test(test_musica_amplifies_detail_contrast),
      cmocka_unit_test(test_musica_matches_numpy_oracle),
      cmocka_unit_test(test_musica_fast_gain_matches_pow),
      cmocka_unit_test(test_musica_versions_agree),
      cmocka_unit_test(test_musica_large_plane_in_bands),
      cmocka_unit_test(test_musica_handles_tiny_images_and_rejects_bad_power),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
