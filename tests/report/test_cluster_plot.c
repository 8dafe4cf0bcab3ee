/* Cluster metric plots: the PNG's size and colours, the chosen k's marker, and errors (an
 * unwritable path is reported, never an exit from inside PLplot). */
#include <stdlib.h>
#include <string.h>

#include "glia/file.h"
#include "glia/image.h"
#include "glia/plot.h"
#include "testutil.h"

/* A sweep k = 2..9 with decreasing WCSS; k = 2 has undefined silhouette/CH/DB. */
static void sweep(glia_cluster_metrics m[8]) {
  for (int i = 0; i < 8; i++) {
    memset(&m[i], 0, sizeof m[i]);
    m[i].k = m[i].clusters = i + 2;
    m[i].defined = i > 0;
    m[i].wcss = 1000.0 / (i + 1);
    m[i].bcss = 5000 - m[i].wcss;
    m[i].silhouette = 0.3 + 0.05 * (i % 3);
    m[i].calinski_harabasz = 100 + 10 * i;
    m[i].davies_bouldin = 1.0 - 0.05 * i;
  }
}

static size_t count_rgb(const glia_image_u8 *img, int r, int g, int b) {
  size_t c = 0;
  for (size_t i = 0; i < (size_t)img->width * img->height; i++) {
    const uint8_t *p = img->data + i * (size_t)img->channels;
    c += p[0] == r && p[1] == g && p[2] == b;
  }
  return c;
}

/* Pixels of the red marker (214, 39, 40): cairo antialiases the thin dashed line, often
 * across two pixel columns, so its pixels are blends with the white background. Grey blends
 * (white, black) have r = g = b and the blue (31, 119, 180) has r < b, so "red exceeds green
 * and blue by more than 30" holds only for the marker (blends with at least ~17 % of it). */
static size_t count_reddish(const glia_image_u8 *img) {
  size_t c = 0;
  for (size_t i = 0; i < (size_t)img->width * img->height; i++) {
    const uint8_t *p = img->data + i * (size_t)img->channels;
    c += p[0] > p[1] + 30 && p[0] > p[2] + 30;
  }
  return c;
}

/* Writes the plot with best_k and loads it back (caller frees). */
static glia_image_u8 *plot(const char *dir, const glia_cluster_metrics *m, int best_k) {
  char *path = glia_path_join(dir, "curves.png");
  assert_int_equal(glia_cluster_metrics_plot(path, "test sweep", m, 8, best_k), GLIA_OK);
  glia_image_u8 *img = NULL;
  assert_int_equal(glia_image_load_u8(path, NULL, &img, NULL), GLIA_OK);
  free(path);
  return img;
}

static void test_metrics_plot_is_rgb_1500x900_with_curves_and_the_chosen_k(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  glia_cluster_metrics m[8];
  sweep(m);
  glia_image_u8 *img = plot(dir, m, 5);
  assert_int_equal(img->width, 1500);
  assert_int_equal(img->height, 900);
  assert_int_equal(img->channels, 3);
  assert_true(img->data[0] == 255 && img->data[1] == 255 && img->data[2] == 255); /* white */
  assert_true(count_rgb(img, 31, 119, 180) > 1000); /* five blue curves */
  assert_true(count_reddish(img) > 100);            /* the dashed k = 5 lines */
  glia_image_u8_free(img);
  img = plot(dir, m, 40); /* outside the sweep: no marker */
  assert_int_equal(count_reddish(img), 0);
  glia_image_u8_free(img);
  tu_rmtree(dir);
  free(dir);
}

static void test_metrics_plot_unwritable_path_is_an_error(void **state) {
  (void)state;
  glia_cluster_metrics m[8];
  sweep(m);
  char *dir = tu_mkdtemp();
  char *path = glia_path_join(dir, "missing/folder/curves.png");
  assert_int_equal(glia_cluster_metrics_plot(path, "t", m, 8, 3), GLIA_ERR_IO);
  assert_non_null(strstr(glia_last_error(), "curves.png"));
  assert_int_equal(glia_cluster_metrics_plot(path, "t", m, 0, 3), GLIA_ERR_ARGUMENT);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_metrics_plot_is_rgb_1500x900_with_curves_and_the_chosen_k),
      cmocka_unit_test(test_metrics_plot_unwritable_path_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
