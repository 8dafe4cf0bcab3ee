/* Core: status strings, error messages, allocation failure injection, atomic files, group
 * commits. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "glia/core.h"
#include "glia/file.h"
#include "testutil.h"

static void test_status_strings_are_distinct(void **state) {
  (void)state;
  const glia_status all[] = {GLIA_OK,           GLIA_ERR_NOMEM,       GLIA_ERR_IO,
                             GLIA_ERR_FORMAT,   GLIA_ERR_UNSUPPORTED, GLIA_ERR_TOO_LARGE,
                             GLIA_ERR_ARGUMENT, GLIA_ERR_EMPTY,       GLIA_ERR_TOO_SMALL,
                             GLIA_ERR_INTERNAL};
  size_t n = sizeof all / sizeof all[0];
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      assert_string_not_equal(glia_status_str(all[i]), glia_status_str(all[j]));
  assert_string_equal(glia_status_str(GLIA_OK), "success");
}

static void test_error_message_is_per_call(void **state) {
  (void)state;
  glia_clear_error();
  assert_string_equal(glia_last_error(), "");
  assert_int_equal(glia_error(GLIA_ERR_IO, "%s: cannot open", "a.png"), GLIA_ERR_IO);
  assert_string_equal(glia_last_error(), "a.png: cannot open");
}

static void test_alloc_fail_after_counts_allocations(void **state) {
  (void)state;
  glia_alloc_fail_after(2);
  void *a = glia_malloc(8), *b = glia_malloc(8), *c = glia_malloc(8);
  glia_alloc_fail_after(-1);
  assert_non_null(a);
  assert_non_null(b);
  assert_null(c);
  void *d = glia_malloc(8);
  assert_non_null(d);
  glia_free(a);
  glia_free(b);
  glia_free(d);
  glia_free(NULL);
}

static void test_mul_size_detects_overflow(void **state) {
  (void)state;
  size_t out;
  assert_int_equal(glia_mul_size(1000, 1000, 4, &out), 0);
  assert_int_equal(out, 4000000);
  assert_int_equal(glia_mul_size(SIZE_MAX / 2, 3, 1, &out), -1);
}

static void test_atomic_write_replaces_only_on_commit(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *path = glia_path_join(dir, "out.txt");
  assert_int_equal(glia_file_write(path, "old", 3), GLIA_OK);
  glia_atomic_file a;
  assert_int_equal(glia_atomic_open(path, &a), GLIA_OK);
  fputs("new contents", a.fp);
  glia_atomic_abort(&a); /* an aborted write leaves the old file alone */
  size_t n;
  unsigned char *d = tu_read_file(path, &n);
  assert_int_equal(n, 3);
  assert_memory_equal(d, "old", 3);
  glia_free(d);
  assert_int_equal(glia_file_write(path, "new", 3), GLIA_OK);
  d = tu_read_file(path, &n);
  assert_memory_equal(d, "new", 3);
  glia_free(d);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

static void test_file_read_refuses_folders(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  unsigned char *d;
  size_t n;
  assert_int_equal(glia_file_read(dir, 0, &d, &n), GLIA_ERR_IO);
  assert_non_null(strstr(glia_last_error(), "is a directory"));
  assert_non_null(strstr(glia_last_error(), dir));
  tu_rmtree(dir);
  free(dir);
}

static void test_mkdirs_creates_parents(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *deep = glia_path_join(dir, "a/b/c");
  assert_int_equal(glia_mkdirs(deep), GLIA_OK);
  assert_int_equal(glia_mkdirs(deep), GLIA_OK);
  struct stat st;
  assert_int_equal(stat(deep, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  free(deep);
  tu_rmtree(dir);
  free(dir);
}

/* ---- group commit */

static int count_temp_files(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) n += strstr(e->d_name, ".tmp-") != NULL;
  closedir(d);
  return n;
}

/* The file's contents as a string, or NULL when it does not exist (caller frees). */
static char *contents(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return NULL;
  size_t n;
  unsigned char *d = tu_read_file(path, &n);
  char *s = malloc(n + 1);
  assert_non_null(s);
  memcpy(s, d, n);
  s[n] = 0;
  glia_free(d);
  return s;
}

static void assert_contents(const char *path, const char *want) {
  char *got = contents(path);
  if (!want) {
    if (got) fail_msg("%s exists (\"%s\"), expected absent", path, got);
    return;
  }
  if (!got || strcmp(got, want)) fail_msg("%s: \"%s\", expected \"%s\"", path, got, want);
  free(got);
}

typedef struct fails {
  int n;
  size_t ids[8];
  char msg[8][512];
} fails;

static void record_fail(void *ctx, size_t id, const char *message) {
  fails *f = ctx;
  assert_true(f->n < 8);
  f->ids[f->n] = id;
  snprintf(f->msg[f->n++], sizeof f->msg[0], "%s", message);
}

static void test_group_outputs_appear_complete_on_commit(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *a = glia_path_join(dir, "a.txt"), *b = glia_path_join(dir, "b.txt");
  assert_int_equal(glia_file_write(a, "old a", 5), GLIA_OK);
  fails f = {0};
  glia_file_group *g;
  assert_int_equal(glia_file_group_new(10, record_fail, &f, &g), GLIA_OK);
  assert_int_equal(glia_file_group_write(g, a, "new a", 5, 0), GLIA_OK);
  assert_int_equal(glia_file_group_write(g, b, "new b", 5, 1), GLIA_OK);
  /* Written, not committed: the old file is as it was, the new one not there yet. */
  assert_contents(a, "old a");
  assert_contents(b, NULL);
  assert_int_equal(count_temp_files(dir), 2);
  assert_int_equal(glia_file_group_commit(g), GLIA_OK);
  assert_contents(a, "new a");
  assert_contents(b, "new b");
  assert_int_equal(count_temp_files(dir), 0);
  struct stat st;
  assert_int_equal(stat(b, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  /* An empty output and a second commit with nothing pending. */
  assert_int_equal(glia_file_group_write(g, b, "", 0, 2), GLIA_OK);
  assert_int_equal(glia_file_group_commit(g), GLIA_OK);
  assert_int_equal(glia_file_group_commit(g), GLIA_OK);
  assert_contents(b, "");
  assert_int_equal(f.n, 0);
  glia_file_group_free(g);
  glia_file_group_free(NULL);
  free(a);
  free(b);
  tu_rmtree(dir);
  free(dir);
}

static void test_group_commits_itself_when_full(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  glia_file_group *g;
  assert_int_equal(glia_file_group_new(3, NULL, NULL, &g), GLIA_OK);
  char *p[7];
  for (int i = 0; i < 7; i++) {
    char name[32], text[32];
    snprintf(name, sizeof name, "f%d", i);
    snprintf(text, sizeof text, "text %d", i);
    p[i] = glia_path_join(dir, name);
    assert_int_equal(glia_file_group_write(g, p[i], text, strlen(text), (size_t)i), GLIA_OK);
    /* After the 3rd and 6th write, their groups are in place; the rest waits. */
    for (int k = 0; k <= i; k++) {
      snprintf(text, sizeof text, "text %d", k);
      assert_contents(p[k], k < (i + 1) / 3 * 3 ? text : NULL);
    }
  }
  assert_int_equal(count_temp_files(dir), 1);
  glia_file_group_free(g); /* abandons f6: its temporary file goes, no f6 appears */
  assert_int_equal(count_temp_files(dir), 0);
  assert_contents(p[6], NULL);
  for (int i = 0; i < 7; i++) free(p[i]);
  tu_rmtree(dir);
  free(dir);
}

/* An output that cannot be renamed into place (a folder is there) fails alone: the folder
 * and its contents stay, no temporary file remains, the rest of the group is written, and
 * the failure reaches on_fail and the commit's status, naming the path. */
static void test_group_failure_keeps_old_and_reports_it(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *a = glia_path_join(dir, "a.txt"), *busy = glia_path_join(dir, "busy");
  char *inside = glia_path_join(busy, "keep.txt"), *c = glia_path_join(dir, "c.txt");
  assert_int_equal(glia_mkdirs(busy), GLIA_OK);
  assert_int_equal(glia_file_write(inside, "keep", 4), GLIA_OK);
  assert_int_equal(glia_file_write(c, "old c", 5), GLIA_OK);
  fails f = {0};
  glia_file_group *g;
  assert_int_equal(glia_file_group_new(0, record_fail, &f, &g), GLIA_OK);
  assert_int_equal(glia_file_group_write(g, a, "new a", 5, 10), GLIA_OK);
  assert_int_equal(glia_file_group_write(g, busy, "oops", 4, 11), GLIA_OK);
  assert_int_equal(glia_file_group_write(g, c, "new c", 5, 12), GLIA_OK);
  glia_clear_error();
  assert_int_equal(glia_file_group_commit(g), GLIA_ERR_IO);
  assert_non_null(strstr(glia_last_error(), busy));
  assert_int_equal(f.n, 1);
  assert_int_equal(f.ids[0], 11);
  assert_non_null(strstr(f.msg[0], busy));
  assert_non_null(strstr(f.msg[0], "rename failed"));
  assert_contents(a, "new a");
  assert_contents(c, "new c");
  assert_contents(inside, "keep");
  assert_int_equal(count_temp_files(dir), 0);
  /* The failure stays reported by later commits. */
  assert_int_equal(glia_file_group_commit(g), GLIA_ERR_IO);
  glia_file_group_free(g);
  free(a);
  free(busy);
  free(inside);
  free(c);
  tu_rmtree(dir);
  free(dir);
}

/* Errors while writing concern that output alone: nothing is added, nothing is left. */
static void test_group_write_errors_leave_nothing(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *missing = glia_path_join(dir, "no/such/folder/x.txt"), *a = glia_path_join(dir, "a.txt");
  assert_int_equal(glia_file_write(a, "old", 3), GLIA_OK);
  fails f = {0};
  glia_file_group *g;
  assert_int_equal(glia_file_group_new(4, record_fail, &f, &g), GLIA_OK);
  glia_clear_error();
  assert_int_equal(glia_file_group_write(g, missing, "x", 1, 0), GLIA_ERR_IO);
  assert_non_null(strstr(glia_last_error(), missing));
  assert_int_equal(glia_file_group_write(g, NULL, "x", 1, 0), GLIA_ERR_ARGUMENT);
  assert_int_equal(glia_file_group_write(NULL, a, "x", 1, 0), GLIA_ERR_ARGUMENT);
  /* Every allocation of a write failing in turn: a clean NOMEM, the old file as it was. */
  long k = 0;
  for (;; k++) {
    assert_true(k < 100);
    glia_alloc_fail_after(k);
    glia_status s = glia_file_group_write(g, a, "new", 3, 1);
    glia_alloc_fail_after(-1);
    if (s == GLIA_OK) break;
    assert_int_equal(s, GLIA_ERR_NOMEM);
    assert_non_null(strstr(glia_last_error(), a));
    assert_int_equal(count_temp_files(dir), 0);
    assert_contents(a, "old");
  }
  assert_true(k >= 2);
  assert_int_equal(glia_file_group_commit(g), GLIA_OK);
  assert_contents(a, "new");
  assert_int_equal(f.n, 0);
  assert_int_equal(count_temp_files(dir), 0);
  glia_file_group *bad = NULL;
  assert_int_equal(glia_file_group_new(257, NULL, NULL, &bad), GLIA_ERR_ARGUMENT);
  assert_null(bad);
  glia_file_group_free(g);
  free(missing);
  free(a);
  tu_rmtree(dir);
  free(dir);
}

/* Several threads writing at once into one group, its commits running while others write:
 * every output in place with its own contents. */
typedef struct writer {
  glia_file_group *g;
  const char *dir;
  int first, count;
} writer;

static void *write_some(void *arg) {
  const writer *w = arg;
  for (int i = w->first; i < w->first + w->count; i++) {
    char name[32], text[32];
    snprintf(name, sizeof name, "out%03d.txt", i);
    snprintf(text, sizeof text, "contents of %d", i);
    char *p = glia_path_join(w->dir, name);
    if (!p || glia_file_group_write(w->g, p, text, strlen(text), (size_t)i)) abort();
    glia_free(p);
  }
  return NULL;
}

static void test_group_threads_write_at_once(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  glia_file_group *g;
  assert_int_equal(glia_file_group_new(5, NULL, NULL, &g), GLIA_OK);
  pthread_t t[4];
  writer w[4];
  for (int k = 0; k < 4; k++) {
    w[k] = (writer){g, dir, 50 * k, 50};
    assert_int_equal(pthread_create(&t[k], NULL, write_some, &w[k]), 0);
  }
  for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
  assert_int_equal(glia_file_group_commit(g), GLIA_OK);
  for (int i = 0; i < 200; i++) {
    char name[32], text[32];
    snprintf(name, sizeof name, "out%03d.txt", i);
    snprintf(text, sizeof text, "contents of %d", i);
    char *p = glia_path_join(dir, name);
    assert_contents(p, text);
    glia_free(p);
  }
  assert_int_equal(count_temp_files(dir), 0);
  glia_file_group_free(g);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_strings_are_distinct),
      cmocka_unit_test(test_error_message_is_per_call),
      cmocka_unit_test(test_alloc_fail_after_counts_allocations),
      cmocka_unit_test(test_mul_size_detects_overflow),
      cmocka_unit_test(test_atomic_write_replaces_only_on_commit),
      cmocka_unit_test(test_file_read_refuses_folders),
      cmocka_unit_test(test_mkdirs_creates_parents),
      cmocka_unit_test(test_group_outputs_appear_complete_on_commit),
      cmocka_unit_test(test_group_commits_itself_when_full),
      cmocka_unit_test(test_group_failure_keeps_old_and_reports_it),
      cmocka_unit_test(test_group_write_errors_leave_nothing),
      cmocka_unit_test(test_group_threads_write_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
