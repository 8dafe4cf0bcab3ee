/* Distinct weighted feature vectors: a stable merge sort of the rows, then runs merged. */
#include <string.h>

#include "cluster/internal.h"

static int row_cmp(const double *x, int dim, size_t a, size_t b) {
  const double *p = x + a * (size_t)dim, *q = x + b * (size_t)dim;
  for (int f = 0; f < dim; f++) {
    if (p[f] < q[f]) return -1;
    if (p[f] > q[f]) return 1;
  }
  return 0;
}

/* Bottom-up merge sort of idx[0..n) by row, using tmp[n]. */
static void sort_rows(const double *x, int dim, size_t *idx, size_t *tmp, size_t n) {
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi)
        tmp[o++] = row_cmp(x, dim, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
      while (i < mid) tmp[o++] = idx[i++];
      while (j < hi) tmp[o++] = idx[j++];
    }
    memcpy(idx, tmp, n * sizeof *idx);
  }
}

void glia_points_free(glia_points *p) {
  if (!p) return;
  glia_free(p->x);
  glia_free(p->weight);
  glia_free(p);
}

glia_status glia_points_unique(const double *x, size_t n, int dim, size_t *inverse,
                               glia_points **out) {
  if (!out || (!x && n)) return glia_error(GLIA_ERR_ARGUMENT, "points: NULL argument");
  if (dim < 1 || dim > 16)
    return glia_error(GLIA_ERR_ARGUMENT, "points: %d features, expected 1..16", dim);
  *out = NULL;
  size_t bytes;
  if (glia_mul_size(n ? n : 1, (size_t)dim, sizeof(double), &bytes))
    return glia_error(GLIA_ERR_NOMEM, "points: %zu × %d features overflow", n, dim);
  glia_points *p = glia_calloc(1, sizeof *p);
  size_t *idx = glia_malloc(sizeof(size_t) * (n ? n : 1));
  size_t *tmp = glia_malloc(sizeof(size_t) * (n ? n : 1));
  if (p) {
    p->x = glia_malloc(bytes);
    p->weight = glia_malloc(sizeof(double) * (n ? n : 1));
  }
  if (!p || !idx || !tmp || !p->x || !p->weight) {
    glia_points_free(p);
    glia_free(idx);
    glia_free(tmp);
    return glia_error(GLIA_ERR_NOMEM, "points: out of memory for %zu vectors", n);
  }
  p->dim = dim;
  for (size_t i = 0; i < n; i++) idx[i] = i;
  sort_rows(x, dim, idx, tmp, n);
  size_t u = 0;
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || row_cmp(x, dim, idx[i], idx[i - 1]) != 0) {
      memcpy(p->x + u * (size_t)dim, x + idx[i] * (size_t)dim, sizeof(double) * (size_t)dim);
      p->weight[u++] = 0;
    }
    p->weight[u - 1] += 1.0;
    if (inverse) inverse[idx[i]] = u - 1;
  }
  p->n = u;
  p->total = (double)n;
  glia_free(idx);
  glia_free(tmp);
  *out = p;
  return GLIA_OK;
}
