/* Duplicate groups: exact (same SHA-256) and near (confirmed by thumbnail correlation),
 * joined by union-find. */
#include <stdlib.h>
#include <string.h>

#include "glia/phash.h"

static size_t find(size_t *parent, size_t i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

static void unite(size_t *parent, size_t a, size_t b) {
  a = find(parent, a);
  b = find(parent, b);
  if (a != b) parent[a > b ? a : b] = a < b ? a : b; /* smallest index is the root */
}

static glia_status push_group(glia_dup_group **groups, size_t *n_groups, glia_dup_kind kind,
                              const size_t *members, size_t n) {
  glia_dup_group *g = glia_realloc(*groups, (*n_groups + 1) * sizeof *g);
  if (!g) return glia_error(GLIA_ERR_NOMEM, "duplicates: out of memory");
  *groups = g;
  g += *n_groups;
  g->kind = kind;
  g->n = n;
  g->members = glia_malloc(n * sizeof(size_t));
  if (!g->members) return glia_error(GLIA_ERR_NOMEM, "duplicates: out of memory");
  memcpy(g->members, members, n * sizeof(size_t));
  (*n_groups)++;
  return GLIA_OK;
}

/* Emits one group per root with at least two members (and, for near groups, at least two
 * distinct byte contents, i.e. two exact roots). */
static glia_status emit(size_t n, size_t *parent, const size_t *exact_root, glia_dup_kind kind,
                        size_t *buf, glia_dup_group **groups, size_t *n_groups) {
  /* buf: members ordered by root (counting sort), then each run is one component. */
  size_t *start = glia_calloc(n + 1, sizeof(size_t));
  if (!start) return glia_error(GLIA_ERR_NOMEM, "duplicates: out of memory");
  for (size_t i = 0; i < n; i++) {
    parent[i] = find(parent, i); /* flatten: every entry points at its root */
    start[parent[i] + 1]++;
  }
  for (size_t r = 0; r < n; r++) start[r + 1] += start[r];
  for (size_t i = 0; i < n; i++) buf[start[parent[i]]++] = i;
  glia_status s = GLIA_OK;
  size_t begin = 0;
  for (size_t r = 0; r < n && !s; r++) {
    size_t end = start[r], m = end - begin, distinct = 0;
    for (size_t k = begin; k < end; k++)
      if (exact_root && exact_root[buf[k]] == buf[k]) distinct++;
    if (m >= 2 && (kind != GLIA_DUP_NEAR || distinct >= 2))
      s = push_group(groups, n_groups, kind, buf + begin, m);
    begin = end;
  }
  glia_free(start);
  return s;
}

glia_status glia_duplicates_group(size_t n, const uint8_t (*sha256)[32],
                                  const glia_fingerprint *fps, const glia_dup_opts *opts,
                                  glia_dup_group **groups, size_t *n_groups) {
  glia_dup_opts defaults = GLIA_DUP_DEFAULTS;
  if (!opts) opts = &defaults;
  *groups = NULL;
  *n_groups = 0;
  size_t *exact = glia_malloc(n * sizeof(size_t) + 1);
  size_t *near = glia_malloc(n * sizeof(size_t) + 1);
  size_t *buf = glia_malloc(n * sizeof(size_t) + 1);
  glia_status s = GLIA_OK;
  if (!exact || !near || !buf) {
    s = glia_error(GLIA_ERR_NOMEM, "duplicates: out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) exact[i] = near[i] = i;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (!memcmp(sha256[i], sha256[j], 32)) {
        unite(exact, i, j);
        unite(near, i, j);
      }
  if (fps) {
    /* Pairs are independent; the rare confirmed ones join the union-find under a lock
     * (the components, and their smallest-index roots, do not depend on the order). */
#pragma omp parallel for schedule(dynamic, 4)
    for (size_t i = 0; i < n; i++)
      for (size_t j = i + 1; j < n; j++)
        if (glia_fingerprint_hamming(&fps[i], &fps[j]) <= opts->max_hamming &&
            glia_fingerprint_ncc(&fps[i], &fps[j]) >= opts->min_ncc) {
#pragma omp critical(glia_duplicates)
          unite(near, i, j);
        }
  }
  for (size_t i = 0; i < n; i++) exact[i] = find(exact, i);
  if ((s = emit(n, exact, NULL, GLIA_DUP_EXACT, buf, groups, n_groups))) goto done;
  if (fps) s = emit(n, near, exact, GLIA_DUP_NEAR, buf, groups, n_groups);
done:
  if (s) {
    glia_dup_groups_free(*groups, *n_groups);
    *groups = NULL;
    *n_groups = 0;
  }
  glia_free(exact);
  glia_free(near);
  glia_free(buf);
  return s;
}

void glia_dup_groups_free(glia_dup_group *groups, size_t n) {
  if (!groups) return;
  for (size_t i = 0; i < n; i++) glia_free(groups[i].members);
  glia_free(groups);
}
