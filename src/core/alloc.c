/* Allocation wrappers with a failure-injection hook for tests. */
#include "glia/core.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Remaining successful allocations before failures start; negative: never fail. */
static atomic_long fail_countdown = -1;

void glia_alloc_fail_after(long n) { atomic_store(&fail_countdown, n); }

static int should_fail(void) {
  long v = atomic_load(&fail_countdown);
  while (v >= 0) {
    if (v == 0) return 1;
    if (atomic_compare_exchange_weak(&fail_countdown, &v, v - 1)) return 0;
  }
  return 0;
}

void *glia_malloc(size_t n) {
  if (should_fail()) return NULL;
  return malloc(n ? n : 1);
}

void *glia_calloc(size_t count, size_t size) {
  if (should_fail()) return NULL;
  if (count == 0 || size == 0) return calloc(1, 1);
  return calloc(count, size);
}

void *glia_realloc(void *p, size_t n) {
  if (should_fail()) return NULL;
  return realloc(p, n ? n : 1);
}

void glia_free(void *p) { free(p); }

char *glia_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = glia_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int glia_mul_size(size_t a, size_t b, size_t c, size_t *out) {
  size_t ab;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, out)) return -1;
  return 0;
}
