/* Core: status strings, error messages, allocation failure injection, atomic files. */
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_strings_are_distinct),
      cmocka_unit_test(test_error_message_is_per_call),
      cmocka_unit_test(test_alloc_fail_after_counts_allocations),
      cmocka_unit_test(test_mul_size_detects_overflow),
      cmocka_unit_test(test_atomic_write_replaces_only_on_commit),
      cmocka_unit_test(test_file_read_refuses_folders),
      cmocka_unit_test(test_mkdirs_creates_parents),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
