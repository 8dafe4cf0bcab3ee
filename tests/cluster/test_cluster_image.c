/* Per-image clustering: defined results on degenerate images, masks, the black threshold,
 * intensity-ordered labels and colours, multi-feature paths, tumor candidates on phantoms,
 * and invariants on real Kaggle images (skipped when ../shared/data is absent). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/internal.h"
#include "glia/cluster.h"
#include "glia/file.h"
#include "testutil.h"

static glia_image *const_image(int w, int h, int c, float v) {
  glia_image *img = glia_image_new(w, h, c);
  assert_non_null(img);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w * c; x++) img->data[(size_t)y * img->stride + x] = v;
  return img;
}

/* A head phantom: dark background, skull ring (200), tissue (100), a bright blob (250) on
 * the left and, optionally, its mirror twin on the right. */
static glia_image *phantom(int side, int twin) {
  glia_image *img = const_image(side, side, 1, 0);
  double c = (side - 1) / 2.0, R = side * 0.42;
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++) {
      double r = hypot(x - c, y - c), v = 0;
      if (r < R) v = r > R - 4 ? 200 : 100;
      if (hypot(x - (c - R * 0.4), y - c) < R * 0.15) v = 250;
      if (twin && hypot(x - (c + R * 0.4), y - c) < R * 0.15) v = 250;
      img->data[(size_t)y * img->stride + x] = (float)(v / 255.0);
    }
  return img;
}

static void assert_metrics_finite(const glia_cluster_result *r) {
  for (int i = 0; i < r->nk; i++) {
    const glia_cluster_metrics *m = &r->metrics[i];
    assert_true(isfinite(m->wcss) && isfinite(m->bcss) && isfinite(m->silhouette) &&
                isfinite(m->calinski_harabasz) && isfinite(m->davies_bouldin));
    assert_true(m->silhouette >= -1 && m->silhouette <= 1);
  }
}

static void test_constant_and_black_images_give_one_cluster(void **state) {
  (void)state;
  const float values[2] = {0.0f, 0.5f};
  for (int v = 0; v < 2; v++) {
    glia_image *img = const_image(16, 12, 3, values[v]);
    glia_cluster_result *r;
    assert_int_equal(glia_cluster_image(img, "flat", NULL, &r), GLIA_OK);
    assert_int_equal(r->clusters, 1);
    assert_int_equal(r->nk, 19);
    for (int i = 0; i < r->nk; i++) assert_false(r->metrics[i].defined);
    assert_metrics_finite(r);
    for (int i = 0; i < 16 * 12; i++) assert_int_equal(r->labels[i], 0);
    glia_cluster_result_free(r);
    glia_image_free(img);
  }
}

static void test_empty_mask_is_a_clear_error(void **state) {
  (void)state;
  glia_image *img = phantom(40, 0);
  uint8_t mask[40 * 40] = {0};
  glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
  o.mask = mask;
  glia_cluster_result *r = (glia_cluster_result *)1;
  assert_int_equal(glia_cluster_image(img, "ph.png", &o, &r), GLIA_ERR_EMPTY);
  assert_null(r);
  assert_non_null(strstr(glia_last_error(), "ph.png"));
  glia_image_free(img);
  /* the head mask of an all-black image selects nothing either */
  img = const_image(20, 20, 1, 0);
  o.mask = NULL;
  o.head_mask = 1;
  assert_int_equal(glia_cluster_image(img, "black.png", &o, &r), GLIA_ERR_EMPTY);
  glia_image_free(img);
}

static void test_labels_follow_intensity_and_mask(void **state) {
  (void)state;
  glia_image *img = phantom(64, 0);
  glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
  o.k = 3;
  o.head_mask = 1;
  glia_cluster_result *r;
  assert_int_equal(glia_cluster_image(img, "ph", &o, &r), GLIA_OK);
  assert_int_equal(r->clusters, 3); /* tissue, skull, blob inside the head */
  assert_true(r->mean_gray[0] < r->mean_gray[1] && r->mean_gray[1] < r->mean_gray[2]);
  for (int i = 0; i < 64 * 64; i++) {
    float v = img->data[i] * 255.0f;
    if (!r->mask[i])
      assert_int_equal(r->labels[i], -1);
    else
      assert_int_equal(r->labels[i], v > 225 ? 2 : v > 150 ? 1 : 0);
  }
  assert_true(r->pixels < 64 * 64);
  assert_metrics_finite(r);
  glia_cluster_result_free(r);
  glia_image_free(img);
}

static void test_black_threshold_forces_dark_pixels_to_cluster_zero(void **state) {
  (void)state;
  glia_image *img = glia_image_new(32, 32, 1);
  for (int i = 0; i < 32 * 32; i++) img->data[i] = (float)((i * 7 % 256) / 255.0);
  glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
  o.k = 5;
  o.black_threshold = 90;
  glia_cluster_result *r;
  assert_int_equal(glia_cluster_image(img, "ramp", &o, &r), GLIA_OK);
  for (int i = 0; i < 32 * 32; i++)
    if (img->data[i] * 255 < 89.5) assert_int_equal(r->labels[i], 0);
  glia_cluster_result_free(r);
  o.features = GLIA_FEATURES_RGB; /* grey features only */
  assert_int_equal(glia_cluster_image(img, "ramp", &o, &r), GLIA_ERR_ARGUMENT);
  glia_image_free(img);
}

static void test_rgb_and_gray_xy_are_deterministic(void **state) {
  (void)state;
  glia_image *img = glia_image_new(24, 20, 3);
  unsigned seed = 5;
  for (int y = 0; y < 20; y++)
    for (int x = 0; x < 24 * 3; x++)
      img->data[(size_t)y * img->stride + x] = (float)((rand_r(&seed) % 6) * 50 / 255.0);
  const glia_features f[2] = {GLIA_FEATURES_RGB, GLIA_FEATURES_GRAY_XY};
  for (int j = 0; j < 2; j++) {
    glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
    o.features = f[j];
    o.kmax = 6;
    glia_cluster_result *a, *b;
    glia_set_threads(1); /* same bits with 1 and 2 threads */
    assert_int_equal(glia_cluster_image(img, "rand", &o, &a), GLIA_OK);
    glia_set_threads(2);
    assert_int_equal(glia_cluster_image(img, "rand", &o, &b), GLIA_OK);
    glia_set_threads(0);
    assert_memory_equal(a->labels, b->labels, sizeof(int32_t) * 24 * 20);
    assert_memory_equal(a->metrics, b->metrics, sizeof(glia_cluster_metrics) * (size_t)a->nk);
    assert_metrics_finite(a);
    for (int c = 1; c < a->clusters; c++) assert_true(a->mean_gray[c - 1] <= a->mean_gray[c]);
    for (int i = 1; i < a->nk; i++) assert_true(a->metrics[i].defined);
    glia_cluster_result_free(a);
    glia_cluster_result_free(b);
  }
  glia_image_free(img);
}

static void test_palette_is_the_study_order(void **state) {
  (void)state;
  const uint8_t want[10][3] = {{0, 0, 0},       {128, 0, 128}, {0, 0, 255},   {0, 255, 255},
                               {173, 216, 230}, {0, 128, 0},   {255, 255, 0}, {255, 192, 203},
                               {255, 165, 0},   {255, 0, 0}};
  uint8_t rgb[3], prev[3] = {0, 0, 0};
  for (int i = 0; i < 10; i++) {
    glia_cluster_color(i, rgb);
    assert_memory_equal(rgb, want[i], 3);
  }
  assert_string_equal(glia_cluster_color_name(4), "light blue");
  for (int i = 10; i < 30; i++) { /* the extension: distinct from the previous colour */
    glia_cluster_color(i, rgb);
    assert_true(memcmp(rgb, prev, 3) != 0);
    memcpy(prev, rgb, 3);
  }
  int32_t labels[4] = {0, 9, -1, 3};
  glia_image_u8 *c;
  assert_int_equal(glia_labels_colorize(labels, 2, 2, &c), GLIA_OK);
  assert_memory_equal(c->data + 3, want[9], 3);
  assert_memory_equal(c->data + 6, want[0], 3);
  glia_image_u8 *g = glia_image_u8_new(2, 2, 1), *ov;
  memset(g->data, 100, 4);
  assert_int_equal(glia_labels_overlay(g, labels, 0.5, &ov), GLIA_OK);
  assert_int_equal(ov->data[3], 178); /* (100 + 255) / 2 rounded */
  assert_int_equal(ov->data[6], 100); /* outside the mask: grey */
  glia_image_u8_free(c);
  glia_image_u8_free(g);
  glia_image_u8_free(ov);
}

static glia_image_u8 *to_gray_u8(const glia_image *img) {
  glia_image_u8 *g = glia_image_to_u8(img);
  assert_non_null(g);
  return g;
}

static void test_candidate_is_the_asymmetric_bright_blob(void **state) {
  (void)state;
  for (int twin = 0; twin < 2; twin++) {
    glia_image *img = phantom(96, twin);
    glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
    o.k = 4;
    glia_cluster_result *r;
    assert_int_equal(glia_cluster_image(img, "ph", &o, &r), GLIA_OK);
    glia_image_u8 *g = to_gray_u8(img);
    glia_candidate *cands;
    int nc;
    int32_t *map = malloc(sizeof(int32_t) * 96 * 96);
    assert_int_equal(glia_tumor_candidates(g, r->labels, NULL, &cands, &nc, map), GLIA_OK);
    assert_int_equal(nc, twin ? 2 : 1); /* the skull ring is outside the eroded brain */
    double c = 95 / 2.0, R = 96 * 0.42;
    assert_true(fabs(cands[0].cx - (c - R * (twin && cands[0].cx > c ? -0.4 : 0.4))) < 1.0);
    if (!twin) {
      assert_true(cands[0].asymmetry > 0.99);  /* nothing bright on the other side */
      assert_true(cands[0].compactness > 0.8); /* a disc */
      assert_true(cands[0].score > 0.5);
      size_t n1 = 0;
      for (int i = 0; i < 96 * 96; i++) n1 += map[i] == 1;
      assert_int_equal(n1, cands[0].area);
    } else {
      assert_true(cands[0].asymmetry < 0.2 && cands[1].asymmetry < 0.2); /* mirrored twins */
    }
    free(map);
    glia_free(cands);
    glia_image_u8_free(g);
    glia_cluster_result_free(r);
    glia_image_free(img);
  }
}

static void test_head_mask_fills_holes(void **state) {
  (void)state;
  uint8_t gray[30 * 30] = {0}, mask[30 * 30];
  for (int y = 5; y < 25; y++)
    for (int x = 5; x < 25; x++)
      gray[y * 30 + x] = (x > 12 && x < 17 && y > 12 && y < 17) ? 0 : 180;
  gray[0] = 255; /* a separate speck: not the largest component */
  assert_int_equal(glia__head_mask(gray, 30, 30, mask), GLIA_OK);
  int area = 0;
  for (int i = 0; i < 900; i++) area += mask[i];
  assert_int_equal(area, 400);
  assert_int_equal(mask[0], 0);
  assert_int_equal(mask[15 * 30 + 15], 1);
}

static void test_real_images_give_finite_monotone_curves(void **state) {
  (void)state;
  char *root = tu_shared_data("kaggle-brain-mri");
  if (!root) skip();
  const char *files[3] = {"yes/Y1.jpg", "no/N1.JPG", "yes/Y20.jpg"};
  for (int f = 0; f < 3; f++) {
    char *path = glia_path_join(root, files[f]);
    glia_image *img;
    assert_int_equal(glia_image_load(path, NULL, &img, NULL), GLIA_OK);
    glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
    o.head_mask = f == 1;
    glia_cluster_result *r;
    assert_int_equal(glia_cluster_image(img, path, &o, &r), GLIA_OK);
    assert_metrics_finite(r);
    for (int i = 1; i < r->nk; i++) assert_true(r->metrics[i].wcss <= r->metrics[i - 1].wcss);
    assert_true(r->k >= 2 && r->k <= 20);
    assert_int_equal(r->k, r->choice.best);
    for (size_t i = 0; i < (size_t)img->width * img->height; i++)
      assert_true(r->labels[i] >= -1 && r->labels[i] < r->clusters);
    glia_cluster_result_free(r);
    glia_image_free(img);
    free(path);
  }
  free(root);
}

static void test_choose_k_is_median_of_votes(void **state) {
  (void)state;
  glia_cluster_metrics m[5];
  memset(m, 0, sizeof m);
  const double wcss[5] = {100, 30, 20, 15, 12}; /* elbow at k = 3 */
  const double sil[5] = {0.5, 0.6, 0.55, 0.7, 0.4};
  const double ch[5] = {10, 50, 40, 30, 20};
  for (int i = 0; i < 5; i++) {
    m[i].k = i + 2, m[i].defined = 1, m[i].wcss = wcss[i], m[i].silhouette = sil[i];
    m[i].calinski_harabasz = ch[i];
  }
  glia_k_choice c = glia_cluster_choose_k(m, 5);
  assert_int_equal(c.elbow, 3);
  assert_int_equal(c.silhouette, 5);
  assert_int_equal(c.ch, 3);
  assert_int_equal(c.best, 3);
}

/* Every allocation failing in turn: each call returns GLIA_ERR_NOMEM cleanly (the sanitizer
 * build checks for leaks and bad frees) until enough allocations succeed. */
static void test_allocation_failures_are_reported_not_crashes(void **state) {
  (void)state;
  glia_image *img = phantom(48, 0);
  glia_image_u8 *g = glia_image_to_u8(img);
  const glia_features f[2] = {GLIA_FEATURES_GRAY, GLIA_FEATURES_RGB};
  glia_image *rgb = const_image(48, 48, 3, 0.2f);
  for (int i = 0; i < 48 * 48 * 3; i += 7) rgb->data[i] = 0.9f;
  for (int j = 0; j < 2; j++) {
    int ok = 0;
    for (long n = 0; n < 400 && !ok; n++) {
      glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
      o.features = f[j];
      o.kmax = 5;
      o.head_mask = j == 0;
      glia_cluster_result *r = NULL;
      glia_alloc_fail_after(n);
      glia_status s = glia_cluster_image(j ? rgb : img, "ph", &o, &r);
      glia_candidate *c = NULL;
      int nc = 0;
      if (!s && j == 0) s = glia_tumor_candidates(g, r->labels, NULL, &c, &nc, NULL);
      glia_alloc_fail_after(-1);
      assert_true(s == GLIA_OK || s == GLIA_ERR_NOMEM);
      ok = s == GLIA_OK;
      glia_free(c);
      glia_cluster_result_free(r);
    }
    assert_true(ok); /* reached success within 400 allocations */
  }
  glia_image_u8_free(g);
  glia_image_free(img);
  glia_image_free(rgb);
}

static void test_mean_curves_skip_undefined_entries(void **state) {
  (void)state;
  glia_cluster_metrics a[2], b[2], mean[2];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  a[0] = (glia_cluster_metrics){2, 2, 1, 10, 30, 0.5, 100, 0.4};
  a[1] = (glia_cluster_metrics){3, 3, 1, 6, 34, 0.7, 200, 0.2};
  b[0] = (glia_cluster_metrics){2, 1, 0, 4, 0, 0, 0, 0}; /* a constant image: undefined */
  b[1] = (glia_cluster_metrics){3, 1, 0, 4, 0, 0, 0, 0};
  const glia_cluster_metrics *curves[2] = {a, b};
  glia_cluster_mean_curves(curves, 2, 2, mean);
  assert_int_equal(mean[1].k, 3);
  assert_true(mean[0].wcss == 7 && mean[1].bcss == 17); /* WCSS/BCSS over both images */
  assert_true(mean[1].defined && mean[1].silhouette == 0.7 && mean[1].calinski_harabasz == 200);
}

/* The grouped SIMD silhouette equals the plain reference loop on random weighted points of
 * 1..5 features (only the association of the final sums differs: 1e-12 relative). */
static void test_fast_silhouette_equals_reference_loop(void **state) {
  (void)state;
  unsigned seed = 11;
  for (int dim = 1; dim <= 5; dim++) {
    size_t n = 700 + 37 * (size_t)dim;
    double *x = malloc(sizeof(double) * n * (size_t)dim);
    for (size_t i = 0; i < n * (size_t)dim; i++) x[i] = rand_r(&seed) % 40;
    glia_points *p;
    assert_int_equal(glia_points_unique(x, n, dim, NULL, &p), GLIA_OK);
    int32_t *lab = malloc(sizeof(int32_t) * p->n);
    int k = 2 + dim;
    for (size_t i = 0; i < p->n; i++) lab[i] = (int32_t)(rand_r(&seed) % (unsigned)k);
    glia_cluster_metrics fast, ref;
    assert_int_equal(glia__points_metrics(p, lab, k, 1, &fast), GLIA_OK);
    assert_int_equal(glia__points_metrics(p, lab, k, 0, &ref), GLIA_OK);
    assert_true(fabs(fast.silhouette - ref.silhouette) <= 1e-12 * fabs(ref.silhouette) + 1e-15);
    glia__grouped g = {dim, 1, NULL, p->x, p->weight, p->n}; /* one row: x[f·n + j] needs dim 1 */
    if (dim == 1) {
      double xi = 17.5;
      double a = glia__dist_sum_select()(&g, &xi, 0, p->n),
             b = glia__dist_sum_plain(&g, &xi, 0, p->n);
      assert_true(fabs(a - b) <= 1e-12 * b);
    }
    free(lab);
    free(x);
    glia_points_free(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_constant_and_black_images_give_one_cluster),
      cmocka_unit_test(test_empty_mask_is_a_clear_error),
      cmocka_unit_test(test_labels_follow_intensity_and_mask),
      cmocka_unit_test(test_black_threshold_forces_dark_pixels_to_cluster_zero),
      cmocka_unit_test(test_rgb_and_gray_xy_are_deterministic),
      cmocka_unit_test(test_palette_is_the_study_order),
      cmocka_unit_test(test_candidate_is_the_asymmetric_bright_blob),
      cmocka_unit_test(test_head_mask_fills_holes),
      cmocka_unit_test(test_real_images_give_finite_monotone_curves),
      cmocka_unit_test(test_choose_k_is_median_of_votes),
      cmocka_unit_test(test_mean_curves_skip_undefined_entries),
      cmocka_unit_test(test_fast_silhouette_equals_reference_loop),
      cmocka_unit_test(test_allocation_failures_are_reported_not_crashes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
