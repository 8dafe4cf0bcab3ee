/* Exact 1-D k-means: the divide-and-conquer DP against the plain O(k·n²) DP and against brute
 * force over every labelling; edge cases (k above the number of levels, no levels, the black
 * threshold, 16-bit levels); determinism; the metrics' own edge cases. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/internal.h"
#include "glia/cluster.h"
#include "testutil.h"

static glia_levels *random_levels(unsigned *seed, int nbins, double fill, double scale) {
  double *hist = calloc((size_t)nbins, sizeof(double));
  for (int b = 0; b < nbins; b++)
    if (rand_r(seed) / (double)RAND_MAX < fill) hist[b] = 1 + rand_r(seed) % 500;
  glia_levels *lv;
  assert_int_equal(glia_levels_from_hist(hist, nbins, scale, &lv), GLIA_OK);
  free(hist);
  return lv;
}

static void test_divide_and_conquer_equals_plain_dp(void **state) {
  (void)state;
  unsigned seed = 12345;
  for (int trial = 0; trial < 40; trial++) {
    glia_levels *lv = random_levels(&seed, 256, 0.1 + 0.8 * (trial % 5) / 4.0, 1.0);
    int t = trial % 3 == 0 ? lv->n / 4 : 0; /* some trials with a black threshold */
    glia_kmeans1d_opts o = {t ? lv->value[t] : 0};
    double tss;
    glia__kmeans1d_reference(lv->value, lv->weight, lv->n, 1, 0, &tss);
    glia_kmeans1d *models[19];
    assert_int_equal(glia_kmeans1d_sweep(lv, 2, 20, &o, models), GLIA_OK);
    for (int k = 2; k <= 20; k++) {
      double ref;
      int kk = glia__kmeans1d_reference(lv->value, lv->weight, lv->n, k, t, &ref);
      assert_int_equal(models[k - 2]->clusters, kk);
      /* Same optimum; the model's WCSS is recomputed two-pass, the reference comes from
       * prefix sums whose rounding is ~1e-16 of the total sum of squares: 1e-9 relative plus
       * 1e-13 × TSS absolute (for optima near 0). */
      if (!(fabs(models[k - 2]->wcss - ref) <= 1e-9 * ref + 1e-13 * tss))
        fail_msg("trial %d k=%d t=%d n=%d: %.15g vs reference %.15g", trial, k, t, lv->n,
                 models[k - 2]->wcss, ref);
      glia_kmeans1d_free(models[k - 2]);
    }
    glia_levels_free(lv);
  }
}

/* Smallest WCSS over all k^n labellings (contiguous or not) of a few levels. */
static double brute_force(const glia_levels *lv, int k) {
  int n = lv->n, lab[10];
  double best = INFINITY;
  long total = 1;
  for (int i = 0; i < n; i++) total *= k;
  for (long code = 0; code < total; code++) {
    long c = code;
    for (int i = 0; i < n; i++) lab[i] = (int)(c % k), c /= k;
    double w[10] = {0}, s[10] = {0}, wcss = 0;
    for (int i = 0; i < n; i++)
      w[lab[i]] += lv->weight[i], s[lab[i]] += lv->weight[i] * lv->value[i];
    for (int i = 0; i < n; i++) {
      double d = lv->value[i] - s[lab[i]] / w[lab[i]];
      wcss += lv->weight[i] * d * d;
    }
    if (wcss < best) best = wcss;
  }
  return best;
}

static void test_optimum_is_global_by_brute_force(void **state) {
  (void)state;
  unsigned seed = 7;
  for (int trial = 0; trial < 30; trial++) {
    double hist[40] = {0};
    for (int i = 0; i < 8; i++) hist[rand_r(&seed) % 40] += 1 + rand_r(&seed) % 9;
    glia_levels *lv;
    assert_int_equal(glia_levels_from_hist(hist, 40, 1.5, &lv), GLIA_OK);
    for (int k = 2; k <= 3 && k <= lv->n; k++) {
      glia_kmeans1d *m;
      assert_int_equal(glia_kmeans1d_fit(lv, k, NULL, &m), GLIA_OK);
      double bf = brute_force(lv, k);
      assert_true(fabs(m->wcss - bf) <= 1e-9 * bf + 1e-12);
      glia_kmeans1d_free(m);
    }
    glia_levels_free(lv);
  }
}

static void test_k_above_distinct_levels_gives_one_cluster_per_level(void **state) {
  (void)state;
  double hist[256] = {0};
  hist[10] = 5, hist[100] = 3, hist[200] = 7;
  glia_levels *lv;
  assert_int_equal(glia_levels_from_hist(hist, 256, 1.0, &lv), GLIA_OK);
  glia_kmeans1d *m;
  assert_int_equal(glia_kmeans1d_fit(lv, 8, NULL, &m), GLIA_OK);
  assert_int_equal(m->k, 8);
  assert_int_equal(m->clusters, 3);
  assert_true(m->wcss == 0.0);
  assert_true(m->center[0] == 10 && m->center[1] == 100 && m->center[2] == 200);
  int32_t lab[3];
  glia_kmeans1d_level_labels(m, lv->n, lab);
  glia_cluster_metrics met;
  assert_int_equal(glia_levels_metrics(lv, lab, m->clusters, &met), GLIA_OK);
  /* every cluster holds one value: a = 0, silhouette 1 for every pixel; CH = 1 when WCSS = 0
   * (scikit-learn's rule) */
  assert_true(met.defined);
  assert_true(fabs(met.silhouette - 1.0) < 1e-12);
  assert_true(met.calinski_harabasz == 1.0);
  assert_true(met.davies_bouldin == 0.0);
  glia_kmeans1d_free(m);
  glia_levels_free(lv);
}

static void test_constant_and_empty_levels_are_defined(void **state) {
  (void)state;
  double hist[256] = {0};
  glia_levels *lv;
  assert_int_equal(glia_levels_from_hist(hist, 256, 1.0, &lv), GLIA_OK);
  assert_int_equal(lv->n, 0);
  glia_kmeans1d *m;
  assert_int_equal(glia_kmeans1d_fit(lv, 4, NULL, &m), GLIA_OK);
  assert_int_equal(m->clusters, 0);
  assert_true(m->wcss == 0.0);
  glia_cluster_metrics met;
  assert_int_equal(glia_levels_metrics(lv, NULL, 1, &met), GLIA_OK);
  assert_false(met.defined);
  glia_kmeans1d_free(m);
  glia_levels_free(lv);
  hist[0] = 4096; /* an all-black image */
  assert_int_equal(glia_levels_from_hist(hist, 256, 1.0, &lv), GLIA_OK);
  assert_int_equal(glia_kmeans1d_fit(lv, 5, NULL, &m), GLIA_OK);
  assert_int_equal(m->clusters, 1);
  int32_t lab[1];
  glia_kmeans1d_level_labels(m, lv->n, lab);
  assert_int_equal(glia_levels_metrics(lv, lab, 1, &met), GLIA_OK);
  assert_false(met.defined);
  assert_true(met.silhouette == 0 && met.calinski_harabasz == 0 && met.davies_bouldin == 0);
  assert_int_equal(glia_kmeans1d_predict(m, 200.0), 0);
  glia_kmeans1d_free(m);
  glia_levels_free(lv);
}

static void test_black_threshold_keeps_dark_levels_in_cluster_zero(void **state) {
  (void)state;
  double hist[256] = {0};
  for (int b = 0; b < 256; b++) hist[b] = 1 + (b * 37) % 11;
  glia_levels *lv;
  assert_int_equal(glia_levels_from_hist(hist, 256, 1.0, &lv), GLIA_OK);
  glia_kmeans1d_opts o = {60.0};
  glia_kmeans1d *m, *free_m;
  assert_int_equal(glia_kmeans1d_fit(lv, 6, &o, &m), GLIA_OK);
  assert_int_equal(glia_kmeans1d_fit(lv, 6, NULL, &free_m), GLIA_OK);
  assert_true(m->first[1] >= 60); /* levels 0..59 all in cluster 0 */
  for (int v = 0; v < 60; v++) assert_int_equal(glia_kmeans1d_predict(m, v), 0);
  assert_true(m->wcss >= free_m->wcss); /* a constraint never lowers the optimum */
  double ref;
  glia__kmeans1d_reference(lv->value, lv->weight, lv->n, 6, 60, &ref);
  assert_true(fabs(m->wcss - ref) <= 1e-9 * ref);
  glia_kmeans1d_free(m);
  glia_kmeans1d_free(free_m);
  /* every level below the threshold: one cluster whatever k */
  o.black_threshold = 1000;
  assert_int_equal(glia_kmeans1d_fit(lv, 6, &o, &m), GLIA_OK);
  assert_int_equal(m->clusters, 1);
  glia_kmeans1d_free(m);
  glia_levels_free(lv);
}

static void test_sixteen_bit_levels_and_predict_agree_with_fit(void **state) {
  (void)state;
  unsigned seed = 99;
  glia_levels *lv = random_levels(&seed, 65536, 0.05, 255.0 / 65535);
  glia_kmeans1d *m;
  assert_int_equal(glia_kmeans1d_fit(lv, 7, NULL, &m), GLIA_OK);
  int32_t *lab = malloc(sizeof(int32_t) * (size_t)lv->n);
  glia_kmeans1d_level_labels(m, lv->n, lab);
  for (int i = 0; i < lv->n; i++) assert_int_equal(glia_kmeans1d_predict(m, lv->value[i]), lab[i]);
  /* a contiguous optimum assigns every level to its nearest centre */
  for (int i = 0; i < lv->n; i++)
    for (int c = 0; c < m->clusters; c++)
      assert_true(fabs(lv->value[i] - m->center[lab[i]]) <=
                  fabs(lv->value[i] - m->center[c]) + 1e-9);
  free(lab);
  glia_kmeans1d_free(m);
  glia_levels_free(lv);
}

static void test_sweep_is_deterministic_and_wcss_decreases(void **state) {
  (void)state;
  unsigned seed = 3;
  glia_levels *lv = random_levels(&seed, 256, 0.7, 1.0);
  glia_kmeans1d *a[19], *b[19];
  assert_int_equal(glia_kmeans1d_sweep(lv, 2, 20, NULL, a), GLIA_OK);
  assert_int_equal(glia_kmeans1d_sweep(lv, 2, 20, NULL, b), GLIA_OK);
  for (int i = 0; i < 19; i++) {
    assert_memory_equal(a[i]->first, b[i]->first, sizeof(int) * (size_t)(a[i]->clusters + 1));
    assert_true(a[i]->wcss == b[i]->wcss);
    if (i) assert_true(a[i]->wcss <= a[i - 1]->wcss);
  }
  for (int i = 0; i < 19; i++) glia_kmeans1d_free(a[i]), glia_kmeans1d_free(b[i]);
  glia_levels_free(lv);
}

static void test_bad_arguments_are_errors(void **state) {
  (void)state;
  double hist[4] = {1, 2, -1, 0};
  glia_levels *lv = NULL;
  assert_int_equal(glia_levels_from_hist(hist, 4, 1.0, &lv), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "bin 2"));
  hist[2] = 3;
  assert_int_equal(glia_levels_from_hist(hist, 4, 1.0, &lv), GLIA_OK);
  glia_kmeans1d *m = NULL;
  assert_int_equal(glia_kmeans1d_fit(lv, 0, NULL, &m), GLIA_ERR_ARGUMENT);
  int32_t lab[3] = {0, 1, 5};
  glia_cluster_metrics met;
  assert_int_equal(glia_levels_metrics(lv, lab, 2, &met), GLIA_ERR_ARGUMENT);
  glia_levels_free(lv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_divide_and_conquer_equals_plain_dp),
      cmocka_unit_test(test_optimum_is_global_by_brute_force),
      cmocka_unit_test(test_k_above_distinct_levels_gives_one_cluster_per_level),
      cmocka_unit_test(test_constant_and_empty_levels_are_defined),
      cmocka_unit_test(test_black_threshold_keeps_dark_levels_in_cluster_zero),
      cmocka_unit_test(test_sixteen_bit_levels_and_predict_agree_with_fit),
      cmocka_unit_test(test_sweep_is_deterministic_and_wcss_decreases),
      cmocka_unit_test(test_bad_arguments_are_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
