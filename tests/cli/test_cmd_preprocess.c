/* glia preprocess on a small generated folder: class layout kept, PNG outputs, the CSV's
 * columns, bad files listed while the good ones are done (issue 3, deliverables 9 and 12). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "glia/file.h"
#include "glia/image.h"
#include "testutil.h"

/* A 90×70 head phantom (ring 200, brain 110) with `c` channels. */
static void write_phantom(const char *path, int c) {
  uint8_t *p = calloc(90 * 70 * 4, 1);
  for (int y = 0; y < 70; y++)
    for (int x = 0; x < 90; x++) {
      double dx = (x - 45) / 30.0, dy = (y - 35) / 25.0, r = dx * dx + dy * dy;
      int v = r <= 0.8 ? 110 : r <= 1.0 ? 200 : 0;
      for (int k = 0; k < c; k++) p[(y * 90 + x) * c + k] = (uint8_t)(k == 3 ? 255 : v);
    }
  assert_int_equal(glia_png_write_u8(path, p, 90, 70, c), GLIA_OK);
  free(p);
}

static int run(const char *args) {
  const char *exe = getenv("GLIA_EXE");
  assert_non_null(exe);
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s' preprocess %s 2>/dev/null", exe, args);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int exists(const char *dir, const char *rel) {
  char *p = glia_path_join(dir, rel);
  struct stat st;
  int ok = stat(p, &st) == 0 && st.st_size > 0;
  free(p);
  return ok;
}

static void test_preprocess_folder_keeps_layout_and_lists_bad_files(void **state) {
  (void)state;
  char *d = tu_mkdtemp(), path[1024];
  snprintf(path, sizeof path, "%s/in/yes", d);
  assert_int_equal(glia_mkdirs(path), GLIA_OK);
  snprintf(path, sizeof path, "%s/in/no", d);
  assert_int_equal(glia_mkdirs(path), GLIA_OK);
  snprintf(path, sizeof path, "%s/in/yes/gray.png", d);
  write_phantom(path, 1);
  snprintf(path, sizeof path, "%s/in/yes/rgba.png", d);
  write_phantom(path, 4);
  snprintf(path, sizeof path, "%s/in/no/rgb.PNG", d);
  write_phantom(path, 3);
  uint8_t tiny[9] = {0, 9, 0, 9, 250, 9, 0, 9, 0}, black[400] = {0};
  snprintf(path, sizeof path, "%s/in/no/tiny.png", d);
  assert_int_equal(glia_png_write_u8(path, tiny, 3, 3, 1), GLIA_OK);
  snprintf(path, sizeof path, "%s/in/no/black.png", d);
  assert_int_equal(glia_png_write_u8(path, black, 20, 20, 1), GLIA_OK);
  int32_t deep[16 * 16];
  for (int i = 0; i < 256; i++) deep[i] = i * 200; /* 16-bit PNG */
  snprintf(path, sizeof path, "%s/in/no/deep.png", d);
  assert_int_equal(glia_labels_save_png(path, deep, 16, 16), GLIA_OK);
  snprintf(path, sizeof path, "%s/in/no/broken.jpg", d);
  tu_write_file(path, "\xff\xd8\xff\xe0 not a jpeg", 14);
  snprintf(path, sizeof path, "%s/in/no/notes.txt", d); /* not an image name: ignored */
  tu_write_file(path, "x", 1);

  char args[1024];
  snprintf(args, sizeof args,
           "'%s/in' -o '%s/out' --size 64 --clean --enhance clahe,musica --quiet", d, d);
  /* One broken file: exit 1, every other file done. */
  assert_int_equal(run(args), 1);
  snprintf(path, sizeof path, "%s/out", d);
  const char *outs[] = {"yes/gray.png", "yes/rgba.png", "no/rgb.png", "no/tiny.png",
                        "no/black.png", "no/deep.png",  "panels.png"};
  for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++) assert_true(exists(path, outs[i]));
  assert_false(exists(path, "no/broken.png"));

  char *o = glia_path_join(path, "yes/gray.png");
  glia_image_u8 *img = NULL;
  assert_int_equal(glia_image_load_u8(o, NULL, &img, NULL), GLIA_OK);
  assert_int_equal(img->width, 64);
  assert_int_equal(img->height, 64);
  assert_int_equal(img->channels, 1);
  glia_image_u8_free(img);
  free(o);

  char *csv = glia_path_join(path, "preprocess.csv");
  size_t n;
  char *text = (char *)tu_read_file(csv, &n);
  text = realloc(text, n + 1);
  text[n] = 0;
  assert_non_null(strstr(text, "file,steps,crop_method,crop_reason,crop_box,head_kept_pct,"
                               "outliers_fixed,error\n"));
  /* The head spans [15, 76) × [10, 61); padding ceil(2 % of 61 and 51) = 2 px each side. */
  assert_non_null(strstr(text, "yes/gray.png,clean+crop+resize64+clahe+musica,hard,"));
  assert_non_null(strstr(text, "\"13,8,78,63\""));
  assert_non_null(strstr(text, "no/broken.jpg,,,,,,,"));
  assert_non_null(strstr(text, "no head found"));
  int rows = 0;
  for (char *p = text; *p; p++) rows += *p == '\n';
  assert_int_equal(rows, 1 + 7);
  free(text);
  free(csv);
  tu_rmtree(d);
  free(d);
}

static void test_preprocess_usage_errors(void **state) {
  (void)state;
  assert_int_equal(run("x"), 2);                        /* no -o */
  assert_int_equal(run("x -o y --crop sideways"), 2);   /* bad method */
  assert_int_equal(run("x -o y --enhance sparkle"), 2); /* unknown step */
  assert_int_equal(run("x -o y --block-size 4"), 2);    /* even block */
  assert_int_equal(run("/nonexistent/glia -o /tmp/x"), 1);
  assert_int_equal(run("--help >/dev/null"), 0);
}

static void test_same_stem_inputs_get_distinct_outputs(void **state) {
  (void)state;
  /* yes/Y92.jpg and yes/Y92.png in the Kaggle set are different pictures: neither output
   * may overwrite the other. */
  char *d = tu_mkdtemp(), path[1024], args[2048];
  snprintf(path, sizeof path, "%s/in/yes", d);
  assert_int_equal(glia_mkdirs(path), GLIA_OK);
  snprintf(path, sizeof path, "%s/in/yes/Y92.png", d);
  write_phantom(path, 1);
  snprintf(path, sizeof path, "%s/in/yes/Y92.tif", d); /* a PNG under another extension */
  write_phantom(path, 3);
  snprintf(path, sizeof path, "%s/in/yes/Y1.png", d);
  write_phantom(path, 1);
  snprintf(args, sizeof args, "%s/in -o %s/out --size 32 --quiet", d, d);
  assert_int_equal(run(args), 0);
  char out[1024];
  snprintf(out, sizeof out, "%s/out", d);
  assert_true(exists(out, "yes/Y92_png.png"));
  assert_true(exists(out, "yes/Y92_tif.png"));
  assert_true(exists(out, "yes/Y1.png")); /* no clash: the usual name */
  assert_false(exists(out, "yes/Y92.png"));
  tu_rmtree(d);
  free(d);
}

/* Counts "*.tmp-*" files under a folder tree. */
static int temp_files_under(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "find '%s' -name '*.tmp-*' | grep -q .", dir);
  return system(cmd) == 0;
}

/* An output that cannot be put in place (a folder holds its name) fails alone, after the
 * group commit: listed in the CSV with the reason, exit 1, the folder and what it holds
 * untouched, the other outputs written, no temporary file left (issue 3: atomic outputs,
 * nothing the user had lost). */
static void test_output_that_cannot_be_placed_is_listed(void **state) {
  (void)state;
  char *d = tu_mkdtemp(), path[1024], args[2048];
  snprintf(path, sizeof path, "%s/in/yes", d);
  assert_int_equal(glia_mkdirs(path), GLIA_OK);
  const char *names[] = {"a", "b", "c"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/in/yes/%s.png", d, names[i]);
    write_phantom(path, 1);
  }
  snprintf(path, sizeof path, "%s/out/yes/b.png", d); /* a folder where b's output goes */
  assert_int_equal(glia_mkdirs(path), GLIA_OK);
  snprintf(path, sizeof path, "%s/out/yes/b.png/keep.txt", d);
  tu_write_file(path, "keep", 4);
  snprintf(args, sizeof args, "%s/in -o %s/out --size 32 --panels 0 --threads 2 --quiet", d, d);
  assert_int_equal(run(args), 1);
  char out[1024];
  snprintf(out, sizeof out, "%s/out", d);
  assert_true(exists(out, "yes/a.png"));
  assert_true(exists(out, "yes/c.png"));
  assert_true(exists(out, "yes/b.png/keep.txt"));
  assert_false(temp_files_under(out));
  char *csv = glia_path_join(out, "preprocess.csv");
  size_t n;
  char *text = (char *)tu_read_file(csv, &n);
  text = realloc(text, n + 1);
  text[n] = 0;
  char *row = strstr(text, "\nyes/b.png,");
  assert_non_null(row);
  char *end = strchr(row + 1, '\n');
  assert_non_null(end);
  *end = 0;
  assert_non_null(strstr(row, "rename failed"));
  assert_non_null(strstr(text, "\nyes/a.png,crop+resize32,"));
  free(text);
  free(csv);
  tu_rmtree(d);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_preprocess_folder_keeps_layout_and_lists_bad_files),
      cmocka_unit_test(test_preprocess_usage_errors),
      cmocka_unit_test(test_same_stem_inputs_get_distinct_outputs),
      cmocka_unit_test(test_output_that_cannot_be_placed_is_listed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
