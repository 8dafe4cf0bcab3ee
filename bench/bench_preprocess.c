/* Benchmark of the classical preprocessing steps on a real data set (issue 3, deliverable
 * 11): per-image time of crop, cleanup + crop, CLAHE, MUSICA, entropy, watershed and the two
 * morphological snakes, glia's library calls with OpenMP over images. The 256² crops are
 * written to WORK/crops/ so the peer (bench/preprocess_peer.py, OpenCV / scikit-image /
 * NumPy) works on the same pixels.
 * Usage: bench_preprocess DATA WORK [threads=2] [snake_images=4] [entropy_images=20]
 * Prints "step images ms_per_image" lines. Decoding is not timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glia/dataset.h"
#include "glia/glia.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

typedef struct item {
  glia_image_u8 *img, *gray, *crop; /* decoded, gray, 256² crop */
} item;

static int crop_one(item *it, int clean) {
  glia_image_u8 *g = it->gray, *copy = NULL;
  if (clean) {
    copy = glia_image_u8_new(it->img->width, it->img->height, it->img->channels);
    if (!copy) return -1;
    memcpy(copy->data, it->img->data, (size_t)it->img->width * it->img->height * it->img->channels);
    if (glia_cleanup(copy, NULL, NULL) || glia_image_u8_to_gray(copy, &g)) return -1;
  }
  glia_crop_result r;
  glia_image_u8 *out = NULL;
  int rc = glia_crop_find(g->data, g->width, g->height, NULL, &r) ||
           glia_crop_square(g->data, g->width, g->height, r.x0, r.y0, r.x1, r.y1, 256, &out);
  if (clean) {
    glia_image_u8_free(copy);
    glia_image_u8_free(g);
  }
  glia_image_u8_free(it->crop);
  it->crop = out;
  return rc ? -1 : 0;
}

/* Runs `step` on images [0, n) in parallel, best of `reps`; returns ms per image. */
typedef int (*step_fn)(item *it);
static double timed(item *items, size_t n, int reps, step_fn f) {
  double best = 1e300;
  for (int r = 0; r < reps; r++) {
    double t0 = now_ms();
    int bad = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : bad)
    for (size_t i = 0; i < n; i++) bad += f(&items[i]) != 0;
    double t = now_ms() - t0;
    if (bad) fprintf(stderr, "bench: %d failures: %s\n", bad, glia_last_error());
    if (t < best) best = t;
  }
  return best / (double)n;
}

static int st_crop(item *it) { return crop_one(it, 0); }
static int st_clean_crop(item *it) { return crop_one(it, 1); }
static int st_clahe(item *it) {
  uint8_t out[256 * 256];
  glia_clahe_opts o = GLIA_CLAHE_DEFAULTS;
  return glia_clahe_u8(it->crop->data, out, 256, 256, &o);
}
static int st_musica(item *it) {
  uint8_t out[256 * 256];
  return glia_musica_u8(it->crop->data, out, 256, 256, NULL);
}
static int st_entropy(item *it) {
  static float out[256 * 256];
#pragma omp threadprivate(out)
  return glia_entropy_u8(it->crop->data, out, 256, 256, 5);
}
static int st_watershed(item *it) {
  uint8_t mask[256 * 256];
  static int32_t labels[256 * 256];
#pragma omp threadprivate(labels)
  int t = glia_otsu_u8(it->crop->data, 256 * 256);
  int any = 0;
  for (int i = 0; i < 256 * 256; i++) any |= !(mask[i] = it->crop->data[i] > t);
  if (!any) return 0;
  int32_t n;
  return glia_watershed_distance(mask, 256, 256, 2.0, labels, &n);
}
static int st_acwe(item *it) {
  static float f[256 * 256];
#pragma omp threadprivate(f)
  uint8_t mask[256 * 256];
  for (int i = 0; i < 256 * 256; i++) f[i] = it->crop->data[i] / 255.f;
  return glia_snake_acwe(f, 256, 256, NULL, mask);
}
static int st_gac(item *it) {
  static float f[256 * 256], g[256 * 256];
#pragma omp threadprivate(f, g)
  uint8_t mask[256 * 256];
  for (int i = 0; i < 256 * 256; i++) f[i] = it->crop->data[i] / 255.f;
  glia_snake_opts o = GLIA_SNAKE_DEFAULTS;
  o.balloon = -1;
  return glia_inverse_gaussian_gradient(f, g, 256, 256, 100, 5) ||
         glia_snake_gac(g, 256, 256, &o, mask);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s DATA WORK [threads] [snake_images] [entropy_images]\n", argv[0]);
    return 2;
  }
  int threads = argc > 3 ? atoi(argv[3]) : 2;
  size_t ns = argc > 4 ? (size_t)atoi(argv[4]) : 4, ne = argc > 5 ? (size_t)atoi(argv[5]) : 20;
  glia_set_threads(threads);
  glia_dataset *ds;
  if (glia_dataset_scan(argv[1], NULL, &ds)) {
    fprintf(stderr, "%s\n", glia_last_error());
    return 1;
  }
  size_t n = ds->n_entries;
  item *items = calloc(n, sizeof *items);
  for (size_t i = 0; i < n; i++) {
    if (glia_image_load_u8(ds->entries[i].path, NULL, &items[i].img, NULL) ||
        glia_image_u8_to_gray(items[i].img, &items[i].gray)) {
      fprintf(stderr, "%s\n", glia_last_error());
      return 1;
    }
  }
  printf("crop %zu %.4f\n", n, timed(items, n, 3, st_crop));
  printf("cleanup+crop %zu %.4f\n", n, timed(items, n, 3, st_clean_crop));
  char *dir = glia_path_join(argv[2], "crops");
  glia_mkdirs(dir);
  for (size_t i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "%03zu.png", i);
    char *p = glia_path_join(dir, name);
    glia_image_u8_save_png(p, items[i].crop);
    free(p);
  }
  free(dir);
  ns = ns < n ? ns : n;
  ne = ne < n ? ne : n;
  printf("clahe %zu %.4f\n", n, timed(items, n, 5, st_clahe));
  printf("musica %zu %.4f\n", n, timed(items, n, 5, st_musica));
  printf("entropy %zu %.4f\n", ne, timed(items, ne, 3, st_entropy));
  printf("watershed %zu %.4f\n", n, timed(items, n, 3, st_watershed));
  printf("acwe %zu %.4f\n", ns, timed(items, ns, 1, st_acwe));
  printf("gac %zu %.4f\n", ns, timed(items, ns, 1, st_gac));
  for (size_t i = 0; i < n; i++) {
    glia_image_u8_free(items[i].img);
    glia_image_u8_free(items[i].gray);
    glia_image_u8_free(items[i].crop);
  }
  free(items);
  glia_dataset_free(ds);
  return 0;
}
