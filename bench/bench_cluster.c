/* k-means sweep benchmark: k = 2..20 on one grey image with all five metrics (WCSS, BCSS,
 * exact silhouette over all pixels, Calinski-Harabasz, Davies-Bouldin), the work glia cluster
 * does per image. Usage: bench_cluster IMAGE [REPEATS]. Prints the median time of a sweep and
 * the metrics, one line per k. bench/bench_cluster.py runs it beside scikit-learn. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glia/glia.h"

#define KMIN 2
#define KMAX 20

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One full sweep from the pixels: histogram, exact k-means for every k, metrics. */
static int sweep(const uint16_t *q, size_t n, glia_cluster_metrics *m) {
  glia_levels *lv;
  glia_kmeans1d *models[KMAX - KMIN + 1];
  int32_t lab[256];
  if (glia_levels_from_pixels(q, NULL, n, 8, &lv)) return -1;
  if (glia_kmeans1d_sweep(lv, KMIN, KMAX, NULL, models)) return -1;
  for (int k = KMIN; k <= KMAX; k++) {
    glia_kmeans1d *md = models[k - KMIN];
    glia_kmeans1d_level_labels(md, lv->n, lab);
    if (glia_levels_metrics(lv, lab, md->clusters ? md->clusters : 1, &m[k - KMIN])) return -1;
    glia_kmeans1d_free(md);
  }
  glia_levels_free(lv);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_cluster IMAGE [REPEATS]\n");
    return 2;
  }
  int reps = argc > 2 ? atoi(argv[2]) : 200;
  if (reps < 1) reps = 1;
  glia_image *img;
  if (glia_image_load(argv[1], NULL, &img, NULL)) {
    fprintf(stderr, "%s\n", glia_last_error());
    return 1;
  }
  size_t n = (size_t)img->width * img->height;
  uint16_t *q = malloc(sizeof(uint16_t) * n);
  double *t = malloc(sizeof(double) * (size_t)reps);
  glia_cluster_metrics m[KMAX - KMIN + 1];
  if (!q || !t || glia_image_gray_levels(img, 8, q)) return 1;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    if (sweep(q, n, m)) {
      fprintf(stderr, "%s\n", glia_last_error());
      return 1;
    }
    t[r] = now() - t0;
  }
  qsort(t, (size_t)reps, sizeof *t, cmp_double);
  printf("glia_sweep_s %.9f\n", t[reps / 2]);
  printf("pixels %zu\n", n);
  for (int i = 0; i <= KMAX - KMIN; i++)
    printf("k %d wcss %.17g bcss %.17g silhouette %.17g ch %.17g db %.17g\n", m[i].k, m[i].wcss,
           m[i].bcss, m[i].silhouette, m[i].calinski_harabasz, m[i].davies_bouldin);
  free(q);
  free(t);
  glia_image_free(img);
  return 0;
}
