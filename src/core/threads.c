/* Thread count for glia's OpenMP loops. */
#include "glia/core.h"

#include <omp.h>
#include <stdlib.h>

void glia_set_threads(int n) {
  if (n <= 0) {
    const char *env = getenv("GLIA_THREADS");
    n = env ? atoi(env) : 0;
  }
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
}

int glia_threads(void) { return omp_get_max_threads(); }

void glia_shutdown(void) {}
