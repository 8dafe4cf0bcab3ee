/* Morphology, components, hole filling, distance transform and reconstruction against
 * scikit-image 0.19 / SciPy fixtures (gen_image.py), and the lattice properties. */
#include "fixture.h"
#include "glia/morph.h"

#define W 64
#define H 48
#define N (W * H)

static void check_op(const uint8_t *src, glia_morph_op op, glia_strel se, const char *ref_name) {
  glia_image_u8 *ref = fx_load(ref_name, 1);
  uint8_t out[N];
  size_t nd;
  assert_int_equal(glia_morph_u8(src, out, W, H, op, se), GLIA_OK);
  int md = fx_maxdiff_u8(out, ref->data, N, &nd);
  if (nd) fprintf(stderr, "%s: %zu pixels differ (max %d)\n", ref_name, nd, md);
  assert_int_equal(nd, 0); /* min/max over the same element: identical */
  glia_image_u8_free(ref);
}

static void test_morphology_identical_to_skimage(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  const glia_strel disk = {GLIA_STREL_DISK, 3}, sq = {GLIA_STREL_SQUARE, 2},
                   dia = {GLIA_STREL_DIAMOND, 2};
  check_op(tex->data, GLIA_MORPH_ERODE, disk, "erode_disk3.png");
  check_op(tex->data, GLIA_MORPH_DILATE, disk, "dilate_disk3.png");
  check_op(tex->data, GLIA_MORPH_ERODE, sq, "erode_square2.png");
  check_op(tex->data, GLIA_MORPH_DILATE, sq, "dilate_square2.png");
  check_op(tex->data, GLIA_MORPH_ERODE, dia, "erode_diamond2.png");
  check_op(tex->data, GLIA_MORPH_DILATE, dia, "dilate_diamond2.png");
  check_op(tex->data, GLIA_MORPH_OPEN, disk, "open_disk3.png");
  check_op(tex->data, GLIA_MORPH_CLOSE, disk, "close_disk3.png");
  check_op(tex->data, GLIA_MORPH_TOPHAT, disk, "tophat_disk3.png");
  check_op(tex->data, GLIA_MORPH_BLACKHAT, disk, "blackhat_disk3.png");
  glia_image_u8_free(tex);
}

static void test_erosion_inside_image_inside_dilation_and_opening_idempotent(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  uint8_t e[N], d[N], o[N], oo[N], c[N], cc[N], g[N];
  for (int shape = 0; shape < 3; shape++)
    for (int r = 0; r <= 4; r++) {
      glia_strel se = {(glia_strel_shape)shape, r};
      assert_int_equal(glia_morph_u8(tex->data, e, W, H, GLIA_MORPH_ERODE, se), GLIA_OK);
      assert_int_equal(glia_morph_u8(tex->data, d, W, H, GLIA_MORPH_DILATE, se), GLIA_OK);
      assert_int_equal(glia_morph_u8(tex->data, o, W, H, GLIA_MORPH_OPEN, se), GLIA_OK);
      assert_int_equal(glia_morph_u8(o, oo, W, H, GLIA_MORPH_OPEN, se), GLIA_OK);
      assert_int_equal(glia_morph_u8(tex->data, c, W, H, GLIA_MORPH_CLOSE, se), GLIA_OK);
      assert_int_equal(glia_morph_u8(c, cc, W, H, GLIA_MORPH_CLOSE, se), GLIA_OK);
      assert_int_equal(glia_morph_u8(tex->data, g, W, H, GLIA_MORPH_GRADIENT, se), GLIA_OK);
      for (int i = 0; i < N; i++) {
        assert_true(e[i] <= tex->data[i] && tex->data[i] <= d[i]);
        assert_true(e[i] <= o[i] && o[i] <= tex->data[i] && tex->data[i] <= c[i]);
        assert_int_equal(g[i], d[i] - e[i]);
      }
      assert_memory_equal(o, oo, N); /* opening and closing are idempotent */
      assert_memory_equal(c, cc, N);
    }
  glia_image_u8_free(tex);
}

static void test_in_place_equals_out_of_place(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1);
  uint8_t a[N], b[N];
  for (int op = 0; op <= GLIA_MORPH_GRADIENT; op++) {
    glia_strel se = {op % 2 ? GLIA_STREL_SQUARE : GLIA_STREL_DISK, 2};
    memcpy(a, tex->data, N);
    assert_int_equal(glia_morph_u8(tex->data, b, W, H, (glia_morph_op)op, se), GLIA_OK);
    assert_int_equal(glia_morph_u8(a, a, W, H, (glia_morph_op)op, se), GLIA_OK);
    assert_memory_equal(a, b, N);
  }
  glia_image_u8_free(tex);
}

static void test_labels_and_stats_identical_to_scipy(void **state) {
  (void)state;
  glia_image_u8 *shapes = fx_load("shapes.png", 1);
  for (int conn = 4; conn <= 8; conn += 4) {
    char name[64];
    snprintf(name, sizeof name, "label%d.png", conn);
    glia_image_u8 *ref = fx_load(name, 1);
    int32_t labels[N], n = 0;
    glia_component *c = NULL;
    assert_int_equal(glia_label(shapes->data, W, H, conn, labels, &c, &n), GLIA_OK);
    for (int i = 0; i < N; i++) assert_int_equal(labels[i], ref->data[i]);
    snprintf(name, sizeof name, "tests/fixtures/image/label%d.txt", conn);
    char *p = tu_src(name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    int lab, area, x0, y0, x1, y1, k = 0;
    double cx, cy;
    while (fscanf(f, "%d %d %d %d %d %d %lf %lf", &lab, &area, &x0, &y0, &x1, &y1, &cx, &cy) == 8) {
      assert_true(k < n);
      assert_int_equal(c[k].label, lab);
      assert_int_equal(c[k].area, area);
      assert_int_equal(c[k].x0, x0);
      assert_int_equal(c[k].y0, y0);
      assert_int_equal(c[k].x1, x1);
      assert_int_equal(c[k].y1, y1);
      assert_float_equal(c[k].cx, cx, 1e-5); /* printed with 6 decimals */
      assert_float_equal(c[k].cy, cy, 1e-5);
      k++;
    }
    assert_int_equal(k, n);
    fclose(f);
    free(p);
    glia_free(c);
    glia_image_u8_free(ref);
  }
  glia_image_u8_free(shapes);
}

static void test_fill_holes_identical_to_scipy(void **state) {
  (void)state;
  glia_image_u8 *shapes = fx_load("shapes.png", 1), *ref = fx_load("fill.png", 1);
  uint8_t m[N];
  for (int i = 0; i < N; i++) m[i] = shapes->data[i] ? 1 : 0;
  assert_int_equal(glia_fill_holes(m, W, H), GLIA_OK);
  for (int i = 0; i < N; i++) assert_int_equal(m[i] != 0, ref->data[i] != 0);
  glia_image_u8_free(shapes);
  glia_image_u8_free(ref);
}

static void test_distance_transform_exact(void **state) {
  (void)state;
  glia_image_u8 *shapes = fx_load("shapes.png", 1);
  float d[N], *ref = fx_raw("edt.f32", sizeof d);
  assert_int_equal(glia_distance_transform(shapes->data, W, H, d), GLIA_OK);
  /* Squared distances are exact integers; only the square root rounds (float32). */
  for (int i = 0; i < N; i++) assert_float_equal(d[i], ref[i], 1e-6 * (1 + ref[i]));
  uint8_t full[4] = {1, 1, 1, 1};
  assert_int_equal(glia_distance_transform(full, 2, 2, d), GLIA_ERR_EMPTY);
  glia_free(ref);
  glia_image_u8_free(shapes);
}

static void test_reconstruction_and_h_maxima_match_skimage(void **state) {
  (void)state;
  glia_image_u8 *tex = fx_load("tex64.png", 1), *hm = fx_load("hmax.png", 1);
  float marker[N], mask[N], out[N], *ref = fx_raw("recon.f32", sizeof out);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int v = tex->data[y * W + x];
      mask[y * W + x] = (float)v;
      marker[y * W + x] = x >= 32 ? 0.f : (float)(v > 40 ? v - 40 : 0);
    }
  assert_int_equal(glia_reconstruct_f32(marker, mask, out, W, H), GLIA_OK);
  assert_memory_equal(out, ref, sizeof out); /* min/max of the same values: identical */
  float *smooth = fx_raw("smooth.f32", sizeof out);
  uint8_t peaks[N];
  size_t nd;
  assert_int_equal(glia_h_maxima_f32(smooth, peaks, W, H, 4.0), GLIA_OK);
  for (int i = 0; i < N; i++) peaks[i] *= 255;
  fx_maxdiff_u8(peaks, hm->data, N, &nd);
  assert_int_equal(nd, 0);
  glia_free(smooth);
  glia_free(ref);
  glia_image_u8_free(tex);
  glia_image_u8_free(hm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_morphology_identical_to_skimage),
      cmocka_unit_test(test_erosion_inside_image_inside_dilation_and_opening_idempotent),
      cmocka_unit_test(test_in_place_equals_out_of_place),
      cmocka_unit_test(test_labels_and_stats_identical_to_scipy),
      cmocka_unit_test(test_fill_holes_identical_to_scipy),
      cmocka_unit_test(test_distance_transform_exact),
      cmocka_unit_test(test_reconstruction_and_h_maxima_match_skimage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
