#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glia/core.h"
#include "glia/file.h"

char *tu_mkdtemp(void) {
  const char *t = getenv("TMPDIR");
  char buf[512];
  snprintf(buf, sizeof buf, "%s/glia-test-XXXXXX", t && *t ? t : "/tmp");
  char *d = mkdtemp(buf);
  assert_non_null(d);
  return strdup(d);
}

void tu_rmtree(const char *path) {
  char cmd[1200];
  if (!path || strncmp(path, "/tmp/", 5) != 0) return; /* never outside the temp folder */
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", path);
}

char *tu_src(const char *rel) {
  const char *src = getenv("GLIA_SOURCE_DIR");
  return glia_path_join(src ? src : ".", rel);
}

char *tu_shared_data(const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "../shared/data/%s", name);
  char *p = tu_src(rel);
  struct stat st;
  if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "SKIP: %s is absent; the tests on real data are skipped\n", p);
    free(p);
    return NULL;
  }
  return p;
}

void tu_write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (size) assert_int_equal(fwrite(data, 1, size, f), size);
  assert_int_equal(fclose(f), 0);
}

unsigned char *tu_read_file(const char *path, size_t *size) {
  unsigned char *d;
  glia_status s = glia_file_read(path, 0, &d, size);
  if (s) fprintf(stderr, "%s\n", glia_last_error());
  assert_int_equal(s, GLIA_OK);
  return d;
}

double *tu_read_numbers(const char *path, size_t *count) {
  FILE *f = fopen(path, "r");
  if (!f) fprintf(stderr, "cannot open %s\n", path);
  assert_non_null(f);
  size_t n = 0, cap = 1024;
  double *v = malloc(cap * sizeof *v), x;
  assert_non_null(v);
  while (fscanf(f, "%lf", &x) == 1) {
    if (n == cap) {
      cap *= 2;
      v = realloc(v, cap * sizeof *v);
      assert_non_null(v);
    }
    v[n++] = x;
  }
  fclose(f);
  *count = n;
  return v;
}
