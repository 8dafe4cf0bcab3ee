/* glia cluster end to end: the kmeans.json schema (exact keys, null for undefined metrics,
 * never NaN), outputs per image, bad files listed and skipped, a constant image, an empty
 * mask, usage errors. Runs the built command ($GLIA_EXE) on images made here. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "glia/glia.h"
#include "testutil.h"

static int run(const char *args) {
  const char *exe = getenv("GLIA_EXE");
  assert_non_null(exe);
  char cmd[4096];
  /* under `make sanitize` the command inherits LSAN_OPTIONS with tests/lsan.supp (fontconfig's
   * caches, via cairo, are not glia's leaks) */
  snprintf(cmd, sizeof cmd, "'%s' cluster %s --quiet 2>/dev/null", exe, args);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *join(const char *a, const char *b) { return glia_path_join(a, b); }

static int contains(const unsigned char *d, size_t n, const char *s) {
  size_t m = strlen(s);
  for (size_t i = 0; i + m <= n; i++)
    if (!memcmp(d + i, s, m)) return 1;
  return 0;
}

static int exists(const char *dir, const char *name) {
  char *p = join(dir, name);
  struct stat st;
  int ok = stat(p, &st) == 0 && st.st_size > 0;
  free(p);
  return ok;
}

/* A phantom head: background 0, tissue 90, skull ring 200, a bright blob 240. */
static void write_phantom(const char *path, int blob) {
  uint8_t px[64 * 64];
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++) {
      double r = hypot(x - 31.5, y - 31.5);
      uint8_t v = r < 27 ? (r > 24 ? 200 : 90) : 0;
      if (blob && hypot(x - 22, y - 30) < 5) v = 240;
      px[y * 64 + x] = v;
    }
  assert_int_equal(glia_png_write_u8(path, px, 64, 64, 1), GLIA_OK);
}

static cJSON *read_json(const char *dir, const char *name) {
  char *p = join(dir, name);
  size_t n;
  unsigned char *d = tu_read_file(p, &n);
  assert_false(contains(d, n, "nan")); /* never NaN */
  assert_false(contains(d, n, "NaN"));
  cJSON *j = cJSON_ParseWithLength((const char *)d, n);
  assert_non_null(j);
  glia_free(d);
  free(p);
  return j;
}

/* Exactly these keys, in this order. */
static void assert_keys(const cJSON *o, const char *const *keys, int n) {
  const cJSON *c = o->child;
  for (int i = 0; i < n; i++, c = c->next) {
    assert_non_null(c);
    assert_string_equal(c->string, keys[i]);
  }
  assert_null(c);
}

static void check_metrics(const cJSON *arr, int kmin, int kmax, int expect_defined) {
  static const char *mk[6] = {
      "k", "wcss", "bcss", "silhouette", "calinski_harabasz", "davies_bouldin"};
  assert_int_equal(cJSON_GetArraySize(arr), kmax - kmin + 1);
  int k = kmin;
  const cJSON *m;
  cJSON_ArrayForEach(m, arr) {
    assert_keys(m, mk, 6);
    assert_int_equal(cJSON_GetObjectItem(m, "k")->valueint, k++);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(m, "wcss")));
    const cJSON *s = cJSON_GetObjectItem(m, "silhouette");
    if (expect_defined >= 0) assert_int_equal(cJSON_IsNumber(s), expect_defined);
    if (cJSON_IsNumber(s)) assert_true(s->valuedouble >= -1 && s->valuedouble <= 1);
  }
}

static void test_folder_writes_schema_maps_and_lists_bad_files(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), *in = join(dir, "in"), *out = join(dir, "out");
  char *sub = join(in, "sub");
  assert_int_equal(glia_mkdirs(sub), GLIA_OK);
  char *a = join(in, "a.png"), *b = join(sub, "B.PNG"), *bad = join(in, "broken.jpg");
  char *txt = join(in, "notes.txt");
  write_phantom(a, 1);
  write_phantom(b, 0);
  tu_write_file(bad, "not a jpeg", 10);
  tu_write_file(txt, "ignored", 7);
  char args[2048];
  snprintf(args, sizeof args, "'%s' -o '%s' --kmin 2 --kmax 6", in, out);
  assert_int_equal(run(args), 0); /* the good files succeed; the bad one is listed */
  cJSON *j = read_json(out, "kmeans.json");
  static const char *top[3] = {"images", "mean_metrics", "best_k"};
  static const char *ik[3] = {"file", "best_k", "metrics"};
  assert_keys(j, top, 3);
  const cJSON *imgs = cJSON_GetObjectItem(j, "images");
  assert_int_equal(cJSON_GetArraySize(imgs), 2);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(imgs, 0), "file")->valuestring,
                      "a.png");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(imgs, 1), "file")->valuestring,
                      "sub/B.PNG");
  const cJSON *im;
  cJSON_ArrayForEach(im, imgs) {
    assert_keys(im, ik, 3);
    check_metrics(cJSON_GetObjectItem(im, "metrics"), 2, 6, 1);
  }
  check_metrics(cJSON_GetObjectItem(j, "mean_metrics"), 2, 6, 1);
  int best = cJSON_GetObjectItem(j, "best_k")->valueint;
  assert_true(best >= 2 && best <= 6);
  assert_true(exists(out, "masks/a.png.png") && exists(out, "labels/sub__B.PNG.png"));
  assert_true(exists(out, "overlays/a.png.png") && exists(out, "candidates/a.png.png"));
  assert_true(exists(out, "plots/a.png.png") && exists(out, "plots/mean.png"));
  assert_true(exists(out, "bad_files.csv") && exists(out, "candidates.json"));
  /* the blob image's best candidate lies on the blob */
  cJSON *c = read_json(out, "candidates.json");
  const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "images"), 0);
  const cJSON *cand = cJSON_GetArrayItem(cJSON_GetObjectItem(c0, "candidates"), 0);
  assert_non_null(cand);
  const cJSON *cen = cJSON_GetObjectItem(cand, "centroid");
  assert_true(fabs(cJSON_GetArrayItem(cen, 0)->valuedouble - 22) < 1.5);
  cJSON_Delete(c);
  cJSON_Delete(j);
  free(a), free(b), free(bad), free(txt), free(sub), free(in), free(out);
  tu_rmtree(dir);
  free(dir);
}

static void test_constant_image_gives_null_metrics_and_fixed_k(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), *img = join(dir, "flat.png"), *out = join(dir, "out");
  uint8_t px[20 * 20];
  memset(px, 77, sizeof px);
  assert_int_equal(glia_png_write_u8(img, px, 20, 20, 1), GLIA_OK);
  char args[2048];
  snprintf(args, sizeof args, "'%s' -o '%s' --k 3 --kmax 5 --no-plots", img, out);
  assert_int_equal(run(args), 0);
  cJSON *j = read_json(out, "kmeans.json");
  const cJSON *im = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "images"), 0);
  assert_int_equal(cJSON_GetObjectItem(im, "best_k")->valueint, 3);
  check_metrics(cJSON_GetObjectItem(im, "metrics"), 2, 5, 0);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(
      cJSON_GetArrayItem(cJSON_GetObjectItem(j, "mean_metrics"), 0), "silhouette")));
  assert_int_equal(cJSON_GetObjectItem(j, "best_k")->valueint, 3);
  cJSON_Delete(j);
  /* a mask selecting nothing: the only image fails, exit 1, listed in bad_files.csv */
  char *mask = join(dir, "mask.png"), *out2 = join(dir, "out2");
  memset(px, 0, sizeof px);
  assert_int_equal(glia_png_write_u8(mask, px, 20, 20, 1), GLIA_OK);
  snprintf(args, sizeof args, "'%s' -o '%s' --mask '%s' --no-plots", img, out2, mask);
  assert_int_equal(run(args), 1);
  char *csv = join(out2, "bad_files.csv");
  size_t n;
  unsigned char *d = tu_read_file(csv, &n);
  assert_true(contains(d, n, "selects no pixel"));
  glia_free(d);
  free(csv), free(mask), free(out2), free(img), free(out);
  tu_rmtree(dir);
  free(dir);
}

/* Entries that look like images but are not files (a folder named x.jpg, a symbolic-link
 * loop) are found by the data-set scan, listed in bad_files.csv with their reason, and the
 * good image is still clustered (exit 0). */
static void test_unusable_entries_are_listed_as_bad_files(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), *in = join(dir, "in"), *out = join(dir, "out");
  char *fake = join(in, "x.jpg"), *img = join(in, "a.png"), *loop = join(in, "loop.png");
  assert_int_equal(glia_mkdirs(fake), GLIA_OK);
  write_phantom(img, 1);
  assert_int_equal(symlink("loop.png", loop), 0);
  char args[2048];
  snprintf(args, sizeof args, "'%s' -o '%s' --kmin 2 --kmax 3 --no-plots", in, out);
  assert_int_equal(run(args), 0);
  cJSON *j = read_json(out, "kmeans.json");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "images")), 1);
  cJSON_Delete(j);
  char *csv = join(out, "bad_files.csv");
  size_t n;
  unsigned char *d = tu_read_file(csv, &n);
  assert_true(contains(d, n, "\"x.jpg\",\"x.jpg: is a directory"));
  assert_true(contains(d, n, "\"loop.png\",\"loop.png: symbolic link loop"));
  glia_free(d);
  free(csv), free(fake), free(img), free(loop), free(in), free(out);
  tu_rmtree(dir);
  free(dir);
}

static void test_usage_errors_exit_2(void **state) {
  (void)state;
  assert_int_equal(run("/nonexistent"), 2);                      /* no -o */
  assert_int_equal(run("/x -o /tmp/y --kmin 5 --kmax 3"), 2);    /* bad range */
  assert_int_equal(run("/x -o /tmp/y --features hsv"), 2);       /* unknown features */
  assert_int_equal(run("/x -o /tmp/y --k 0"), 2);                /* k out of range */
  assert_int_equal(run("/x -o /tmp/y --black-threshold -3"), 2); /* threshold range */
  assert_int_equal(run("--help"), 0);
}

/* A 16-bit grey PNG (written as a 16-bit label map): clustered on 16-bit levels, values in
 * 8-bit grey units: three levels, k = 3 gives WCSS 0 and silhouette 1. */
static void test_sixteen_bit_png_is_clustered_in_grey_units(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), *img = join(dir, "deep.png"), *out = join(dir, "out");
  int32_t px[30 * 20];
  for (int i = 0; i < 30 * 20; i++) px[i] = i % 3 == 0 ? 1000 : i % 3 == 1 ? 30000 : 60000;
  assert_int_equal(glia_labels_save_png(img, px, 30, 20), GLIA_OK);
  char args[2048];
  snprintf(args, sizeof args, "'%s' -o '%s' --kmin 2 --kmax 3 --no-plots", img, out);
  assert_int_equal(run(args), 0);
  cJSON *j = read_json(out, "kmeans.json");
  const cJSON *im = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "images"), 0);
  const cJSON *m3 = cJSON_GetArrayItem(cJSON_GetObjectItem(im, "metrics"), 1);
  assert_true(cJSON_GetObjectItem(m3, "wcss")->valuedouble < 1e-6);
  assert_true(fabs(cJSON_GetObjectItem(m3, "silhouette")->valuedouble - 1) < 1e-12);
  /* k = 2 merges the two closer levels (1000 and 30000): WCSS = 400 px × (14500 · 255/65535)² */
  const cJSON *m2 = cJSON_GetArrayItem(cJSON_GetObjectItem(im, "metrics"), 0);
  double half = 14500 * 255.0 / 65535, want = 400 * half * half;
  assert_true(fabs(cJSON_GetObjectItem(m2, "wcss")->valuedouble - want) < 1e-9 * want);
  cJSON_Delete(j);
  free(img), free(out);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_folder_writes_schema_maps_and_lists_bad_files),
      cmocka_unit_test(test_constant_image_gives_null_metrics_and_fixed_k),
      cmocka_unit_test(test_sixteen_bit_png_is_clustered_in_grey_units),
      cmocka_unit_test(test_unusable_entries_are_listed_as_bad_files),
      cmocka_unit_test(test_usage_errors_exit_2),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
