/* The glia command: help, version, exit statuses, and `glia explore` on a folder mixing good
 * images with every kind of bad input (each listed with its reason, the rest processed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cjson/cJSON.h>

#include "glia/file.h"
#include "glia/image.h"
#include "testutil.h"

/* Runs a shell command line; returns its exit status (or -1). */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char cmd[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int st = system(cmd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *exe(void) {
  const char *e = getenv("GLIA_EXE");
  return e ? e : "glia";
}

static void test_help_version_and_usage_errors(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  assert_int_equal(run("'%s' --help >%s/o 2>&1", exe(), d), 0);
  assert_int_equal(run("grep -q explore %s/o", d), 0);
  assert_int_equal(run("'%s' --version | grep -q '^glia [0-9]'", exe()), 0);
  assert_int_equal(run("'%s' explore --help | grep -q 'Usage: glia explore'", exe()), 0);
  assert_int_equal(run("'%s' >/dev/null 2>&1", exe()), 2);
  assert_int_equal(run("'%s' no-such-command 2>/dev/null", exe()), 2);
  assert_int_equal(run("'%s' explore 2>/dev/null", exe()), 2);       /* no DATA */
  assert_int_equal(run("'%s' explore %s 2>/dev/null", exe(), d), 2); /* no -o */
  assert_int_equal(run("'%s' explore %s -o %s/x --threads 0 2>/dev/null", exe(), d, d), 2);
  assert_int_equal(run("'%s' explore %s -o %s/x --bogus 2>/dev/null", exe(), d, d), 2);
  tu_rmtree(d);
  free(d);
}

static void test_missing_or_empty_data_exits_1(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  assert_int_equal(run("'%s' explore /nonexistent/data -o %s/out 2>%s/err", exe(), d, d), 1);
  assert_int_equal(run("grep -q '/nonexistent/data: no such file or folder' %s/err", d), 0);
  assert_int_equal(
      run("mkdir %s/empty && '%s' explore %s/empty -o %s/out2 2>%s/err", d, exe(), d, d, d), 1);
  assert_int_equal(run("grep -q 'no image files found' %s/err", d), 0);
  tu_rmtree(d);
  free(d);
}

/* A PNG signature and IHDR claiming w×h, with a valid CRC, then nothing. */
static void write_png_header(const char *path, uint32_t w, uint32_t h) {
  unsigned char b[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                         0,    0,   0,   13,  'I',  'H',  'D',  'R'};
  unsigned char *p = b + 16;
  p[0] = (unsigned char)(w >> 24), p[1] = (unsigned char)(w >> 16), p[2] = (unsigned char)(w >> 8),
  p[3] = (unsigned char)w;
  p[4] = (unsigned char)(h >> 24), p[5] = (unsigned char)(h >> 16), p[6] = (unsigned char)(h >> 8),
  p[7] = (unsigned char)h;
  p[8] = 8; /* bit depth */
  p[9] = 0; /* gray */
  uLong crc = crc32(0, b + 12, 17);
  b[29] = (unsigned char)(crc >> 24), b[30] = (unsigned char)(crc >> 16),
  b[31] = (unsigned char)(crc >> 8), b[32] = (unsigned char)crc;
  tu_write_file(path, b, sizeof b);
}

static cJSON *bad_entry(cJSON *bad, const char *file) {
  for (int i = 0; i < cJSON_GetArraySize(bad); i++) {
    cJSON *o = cJSON_GetArrayItem(bad, i);
    if (!strcmp(cJSON_GetObjectItem(o, "file")->valuestring, file)) return o;
  }
  fprintf(stderr, "no bad_files entry for %s\n", file);
  return NULL;
}

static void expect_bad(cJSON *bad, const char *file, const char *reason) {
  cJSON *o = bad_entry(bad, file);
  assert_non_null(o);
  const char *e = cJSON_GetObjectItem(o, "error")->valuestring;
  if (!strstr(e, reason)) fprintf(stderr, "%s: '%s' lacks '%s'\n", file, e, reason);
  assert_non_null(strstr(e, reason));
  assert_non_null(strstr(e, strrchr(file, '/') + 1)); /* the message names the file */
}

static void test_explore_lists_bad_files_and_processes_good_ones(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  char path[4096];
  snprintf(path, sizeof path, "%s/data/cls", d);
  assert_int_equal(glia_mkdirs(path), GLIA_OK);
  /* good: a gray PNG, an RGB PNG and a real JPEG */
  uint8_t px[64 * 48 * 3];
  for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 37 % 251);
  snprintf(path, sizeof path, "%s/data/cls/good gray.png", d);
  assert_int_equal(glia_png_write_u8(path, px, 64, 48, 1), GLIA_OK);
  snprintf(path, sizeof path, "%s/data/cls/good_rgb.PNG", d);
  assert_int_equal(glia_png_write_u8(path, px, 64, 48, 3), GLIA_OK);
  char *jpg = tu_src("tests/fixtures/explore/head_color.jpg");
  size_t n;
  unsigned char *bytes = tu_read_file(jpg, &n);
  snprintf(path, sizeof path, "%s/data/cls/good.jpg", d);
  tu_write_file(path, bytes, n);
  /* bad */
  snprintf(path, sizeof path, "%s/data/cls/truncated.jpg", d);
  tu_write_file(path, bytes, n / 2);
  snprintf(path, sizeof path, "%s/data/cls/text.jpg", d);
  tu_write_file(path, "hello, I am not a JPEG\n", 23);
  snprintf(path, sizeof path, "%s/data/cls/zero.png", d);
  tu_write_file(path, "", 0);
  snprintf(path, sizeof path, "%s/data/cls/one.png", d);
  assert_int_equal(glia_png_write_u8(path, px, 1, 1, 1), GLIA_OK);
  snprintf(path, sizeof path, "%s/data/cls/huge.png", d);
  write_png_header(path, 40000, 40000);
  snprintf(path, sizeof path, "%s/data/cls/folder.jpg", d);
  assert_int_equal(mkdir(path, 0755), 0);
  snprintf(path, sizeof path, "%s/data/cls/unreadable.png", d);
  tu_write_file(path, bytes, n);
  assert_int_equal(chmod(path, 0), 0);
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s/data/cls/loop_a.jpg", d);
  snprintf(b, sizeof b, "%s/data/cls/loop_b.jpg", d);
  assert_int_equal(symlink(b, a), 0);
  assert_int_equal(symlink(a, b), 0);
  glia_free(bytes);
  free(jpg);
  /* As root every file is readable: run the command as nobody so that mode 000 means what
   * it says (setpriv is in util-linux). */
  const char *as = "";
  if (geteuid() == 0) {
    as = "setpriv --reuid=65534 --regid=65534 --clear-groups";
    assert_int_equal(
        run("chmod -R a+rX %s && chmod 000 %s/data/cls/unreadable.png && chmod 777 %s", d, d, d),
        0);
  }
  assert_int_equal(
      run("%s '%s' explore %s/data -o %s/out --no-plots 2>%s/stderr.txt", as, exe(), d, d, d), 0);
  snprintf(path, sizeof path, "%s/out/explore.json", d);
  unsigned char *text = tu_read_file(path, &n);
  cJSON *root = cJSON_Parse((char *)text);
  assert_non_null(root);
  assert_int_equal(cJSON_GetObjectItem(root, "n_images")->valueint, 3);
  /* 9: the loop is two files, each pointing at the other */
  assert_int_equal(cJSON_GetObjectItem(root, "n_bad")->valueint, 9);
  cJSON *bad = cJSON_GetObjectItem(root, "bad_files");
  assert_int_equal(cJSON_GetArraySize(bad), 9);
  expect_bad(bad, "cls/truncated.jpg", "Premature end of JPEG file");
  expect_bad(bad, "cls/text.jpg", "not a JPEG, PNG or TIFF");
  expect_bad(bad, "cls/zero.png", "empty file (0 bytes)");
  expect_bad(bad, "cls/one.png", "1×1 pixels is below the minimum");
  expect_bad(bad, "cls/huge.png", "40000×40000 pixels exceeds the limit");
  expect_bad(bad, "cls/folder.jpg", "is a directory");
  expect_bad(bad, "cls/unreadable.png", "Permission denied");
  expect_bad(bad, "cls/loop_a.jpg", "symbolic link loop");
  expect_bad(bad, "cls/loop_b.jpg", "symbolic link loop");
  cJSON_Delete(root);
  glia_free(text);
  /* every bad file is on stderr too */
  const char *names[] = {"truncated.jpg", "text.jpg",       "zero.png",   "one.png",   "huge.png",
                         "folder.jpg",    "unreadable.png", "loop_a.jpg", "loop_b.jpg"};
  for (int i = 0; i < 9; i++)
    assert_int_equal(run("grep -q 'bad file: .*%s' %s/stderr.txt", names[i], d), 0);
  /* the CDF table holds the good images only: 1 gray + 2 RGB × 3 channels + header */
  assert_int_equal(run("test $(wc -l < %s/out/cdf.csv) -eq 8", d), 0);
  tu_rmtree(d);
  free(d);
}

static void test_phantom_then_explore_writes_every_output(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  assert_int_equal(run("'%s' phantom -o %s/ph --yes 8 --no 6 --size 128 --quiet", exe(), d), 0);
  assert_int_equal(run("'%s' explore %s/ph -o %s/out --quiet --threads 2", exe(), d, d), 0);
  const char *files[] = {"explore.json",  "cdf.csv",       "panel_001.png",
                         "panel_002.png", "class_cdf.png", "class_histogram.png"};
  for (int i = 0; i < 6; i++) assert_int_equal(run("test -s %s/out/%s", d, files[i]), 0);
  assert_int_equal(run("test ! -e %s/out/panel_003.png", d), 0); /* 14 images → 2 panels */
  assert_int_equal(run("'%s' phantom -o %s/x --yes 3 2>/dev/null", exe(), d), 2);
  tu_rmtree(d);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_help_version_and_usage_errors),
      cmocka_unit_test(test_missing_or_empty_data_exits_1),
      cmocka_unit_test(test_explore_lists_bad_files_and_processes_good_ones),
      cmocka_unit_test(test_phantom_then_explore_writes_every_output),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
