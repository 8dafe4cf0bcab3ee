/* Benchmark: decode every image of a data set and compute its per-channel 256-bin
 * histograms and normalised CDFs (glia's library calls, OpenMP over images).
 * Usage: bench_decode_hist DATA [repeats=5] [threads=2]
 * Prints one JSON line: {"images", "threads", "best_ms", "ms_per_image"}. The peer
 * (bench/decode_hist.py, OpenCV) runs beside it from bench/run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "glia/glia.h"
#include "glia/dataset.h"
#include "glia/explore.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DATA [repeats] [threads]\n", argv[0]);
    return 2;
  }
  int repeats = argc > 2 ? atoi(argv[2]) : 5, threads = argc > 3 ? atoi(argv[3]) : 2;
  glia_set_threads(threads);
  glia_dataset *ds;
  if (glia_dataset_scan(argv[1], NULL, &ds)) {
    fprintf(stderr, "%s\n", glia_last_error());
    return 1;
  }
  size_t n = ds->n_entries;
  double best = 1e300, checksum = 0;
  for (int r = 0; r < repeats; r++) {
    double t0 = now_ms(), sum = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : sum)
    for (size_t i = 0; i < n; i++) {
      glia_image_u8 *img;
      glia_load_opts lo = GLIA_LOAD_DEFAULTS;
      if (glia_image_load_u8(ds->entries[i].path, &lo, &img, NULL)) continue;
      int ch = img->channels >= 3 ? 3 : 1;
      uint32_t hist[3][256] = {{0}};
      size_t px = (size_t)img->width * img->height;
      const uint8_t *p = img->data;
      if (img->channels == 1)
        for (size_t k = 0; k < px; k++) hist[0][p[k]]++;
      else
        for (size_t k = 0; k < px; k++, p += img->channels)
          for (int c = 0; c < ch; c++) hist[c][p[c]]++;
      for (int c = 0; c < ch; c++) {
        double cdf[256];
        glia_hist_cdf(hist[c], cdf);
        sum += cdf[127];
      }
      glia_image_u8_free(img);
    }
    double t = now_ms() - t0;
    if (t < best) best = t;
    checksum = sum;
  }
  printf("{\"images\": %zu, \"threads\": %d, \"best_ms\": %.2f, \"ms_per_image\": %.4f, "
         "\"checksum\": %.6f}\n",
         n, threads, best, best / (double)n, checksum);
  glia_dataset_free(ds);
  return 0;
}
