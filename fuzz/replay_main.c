/* Replays a fuzz target's corpus as an ordinary test: every file under the folders given
 * (or the files themselves) is fed once to LLVMFuzzerTestOneInput. Built for each
 * fuzz/fuzz_*.c when the fuzzers themselves (libFuzzer, `make fuzz`) are not. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "glia/core.h"
#include "glia/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, long *count) {
  unsigned char *d;
  size_t n;
  if (glia_file_read(path, 0, &d, &n)) {
    fprintf(stderr, "replay: %s\n", glia_last_error());
    return 1;
  }
  LLVMFuzzerTestOneInput(d, n);
  glia_free(d);
  (*count)++;
  return 0;
}

static int run_path(const char *path, long *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: cannot stat\n", path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) return run_file(path, count);
  DIR *dir = opendir(path);
  if (!dir) return 1;
  int bad = 0;
  struct dirent *e;
  while ((e = readdir(dir))) {
    if (e->d_name[0] == '.') continue;
    char *p = glia_path_join(path, e->d_name);
    if (!p) return 1;
    bad |= run_path(p, count);
    glia_free(p);
  }
  closedir(dir);
  return bad;
}

int main(int argc, char **argv) {
  long count = 0;
  int bad = 0;
  for (int i = 1; i < argc; i++) bad |= run_path(argv[i], &count);
  if (count == 0) {
    fprintf(stderr, "replay: no corpus files found\n");
    return 1;
  }
  printf("replayed %ld inputs\n", count);
  printf("%ld passed, 0 failed\n", count);
  return bad;
}
