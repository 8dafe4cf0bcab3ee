/* Connected components (two-pass labelling with union-find, Rosenfeld and Pfaltz 1966),
 * hole filling by flooding the background from the border, largest component. */
#include <string.h>

#include "glia/morph.h"
#include "image/internal.h"

static int32_t uf_find(int32_t *p, int32_t a) {
  while (p[a] != a) a = p[a] = p[p[a]];
  return a;
}

static void uf_union(int32_t *p, int32_t a, int32_t b) {
  a = uf_find(p, a);
  b = uf_find(p, b);
  if (a < b)
    p[b] = a;
  else if (b < a)
    p[a] = b;
}

glia_status glia_label(const uint8_t *mask, int width, int height, int connectivity,
                       int32_t *labels, glia_component **comps, int32_t *n_out) {
  glia_status s = glia__check_plane("label", mask, labels, width, height);
  if (s) return s;
  if (!n_out) return glia_error(GLIA_ERR_ARGUMENT, "label: NULL count");
  if (connectivity != 4 && connectivity != 8)
    return glia_error(GLIA_ERR_ARGUMENT, "label: connectivity %d, expected 4 or 8", connectivity);
  size_t n = (size_t)width * height;
  /* Provisional labels are at most one per two pixels of a row plus one, so n/2 + width + 2. */
  size_t cap = n / 2 + (size_t)width + 2;
  int32_t *parent = glia_malloc(cap * sizeof(int32_t));
  if (!parent) return glia_error(GLIA_ERR_NOMEM, "label: out of memory");
  int32_t next = 1;
  parent[0] = 0;
  for (int y = 0; y < height; y++) {
    const uint8_t *m = mask + (size_t)y * width;
    int32_t *l = labels + (size_t)y * width, *up = y ? l - width : NULL;
    for (int x = 0; x < width; x++) {
      if (!m[x]) {
        l[x] = 0;
        continue;
      }
      int32_t a = x ? l[x - 1] : 0, b = up ? up[x] : 0, c = 0, d = 0;
      if (connectivity == 8 && up) {
        c = x ? up[x - 1] : 0;
        d = x + 1 < width ? up[x + 1] : 0;
      }
      if (!(a | b | c | d)) {
        if ((size_t)next >= cap) {
          glia_free(parent);
          return glia_error(GLIA_ERR_INTERNAL, "label: provisional label overflow");
        }
        parent[next] = next;
        l[x] = next++;
        continue;
      }
      int32_t mn = INT32_MAX;
      if (a) mn = a;
      if (b && b < mn) mn = b;
      if (c && c < mn) mn = c;
      if (d && d < mn) mn = d;
      l[x] = mn;
      /* Union only labels that differ (most neighbours carry the same provisional label). */
      if (a && a != mn) uf_union(parent, mn, a);
      if (b && b != mn && b != a) uf_union(parent, mn, b);
      if (c && c != mn && c != a && c != b) uf_union(parent, mn, c);
      if (d && d != mn && d != a && d != b && d != c) uf_union(parent, mn, d);
    }
  }
  /* Final labels in raster order of each component's first pixel: a root is always the
   * smallest provisional label of its set, and provisional labels grow in raster order. */
  int32_t count = 0;
  for (int32_t i = 1; i < next; i++) parent[i] = uf_find(parent, i);
  for (int32_t i = 1; i < next; i++) parent[i] = parent[i] == i ? ++count : parent[parent[i]];
  for (size_t i = 0; i < n; i++) labels[i] = parent[labels[i]];
  glia_free(parent);
  *n_out = count;
  if (!comps) return GLIA_OK;
  glia_component *c = glia_calloc((size_t)count + 1, sizeof *c);
  if (!c) return glia_error(GLIA_ERR_NOMEM, "label: out of memory for %d components", count);
  for (int32_t i = 0; i < count; i++) {
    c[i].label = i + 1;
    c[i].x0 = width;
    c[i].y0 = height;
  }
  int64_t *sum = glia_calloc(2 * ((size_t)count + 1), sizeof(int64_t));
  if (!sum) {
    glia_free(c);
    return glia_error(GLIA_ERR_NOMEM, "label: out of memory for %d components", count);
  }
  for (int y = 0; y < height; y++) {
    const int32_t *row = labels + (size_t)y * width;
    for (int x = 0; x < width; x++) {
      int32_t v = row[x];
      if (!v) continue;
      glia_component *k = &c[v - 1];
      k->area++;
      sum[2 * v] += x; /* integer sums: exact centroids */
      sum[2 * v + 1] += y;
      if (x < k->x0) k->x0 = x;
      if (y < k->y0) k->y0 = y;
      if (x >= k->x1) k->x1 = x + 1;
      k->y1 = y + 1; /* rows are visited in order */
    }
  }
  for (int32_t i = 0; i < count; i++) {
    c[i].cx = (double)sum[2 * (i + 1)] / (double)c[i].area;
    c[i].cy = (double)sum[2 * (i + 1) + 1] / (double)c[i].area;
  }
  glia_free(sum);
  *comps = c;
  return GLIA_OK;
}

glia_status glia_largest_component(uint8_t *mask, int width, int height, int64_t *area,
                                   glia_component *box) {
  glia_status s = glia__check_plane("largest component", mask, mask, width, height);
  if (s) return s;
  size_t n = (size_t)width * height;
  int32_t *labels = glia_malloc(n * sizeof(int32_t)), count = 0;
  glia_component *c = NULL;
  if (!labels) return glia_error(GLIA_ERR_NOMEM, "largest component: out of memory");
  s = glia_label(mask, width, height, 8, labels, &c, &count);
  if (s) {
    glia_free(labels);
    return s;
  }
  int32_t best = 0;
  for (int32_t i = 0; i < count; i++)
    if (!best || c[i].area > c[best - 1].area) best = i + 1;
  for (size_t i = 0; i < n; i++) mask[i] = best && labels[i] == best;
  if (area) *area = best ? c[best - 1].area : 0;
  if (box) {
    memset(box, 0, sizeof *box);
    if (best) *box = c[best - 1];
  }
  glia_free(c);
  glia_free(labels);
  return GLIA_OK;
}

glia_status glia_fill_holes(uint8_t *mask, int width, int height) {
  glia_status s = glia__check_plane("fill holes", mask, mask, width, height);
  if (s) return s;
  size_t n = (size_t)width * height;
  /* 0: background not yet reached; 1: foreground; 2: background reached from the border. */
  uint8_t *st = glia_malloc(n);
  int32_t *stack = glia_malloc(n * sizeof(int32_t));
  if (!st || !stack) {
    glia_free(st);
    glia_free(stack);
    return glia_error(GLIA_ERR_NOMEM, "fill holes: out of memory");
  }
  for (size_t i = 0; i < n; i++) st[i] = mask[i] != 0;
  size_t top = 0;
  for (int x = 0; x < width; x++) {
    size_t a = (size_t)x, b = (size_t)(height - 1) * width + x;
    if (!st[a]) st[a] = 2, stack[top++] = (int32_t)a;
    if (!st[b]) st[b] = 2, stack[top++] = (int32_t)b;
  }
  for (int y = 0; y < height; y++) {
    size_t a = (size_t)y * width, b = a + width - 1;
    if (!st[a]) st[a] = 2, stack[top++] = (int32_t)a;
    if (!st[b]) st[b] = 2, stack[top++] = (int32_t)b;
  }
  while (top) {
    int32_t p = stack[--top];
    int x = p % width, y = p / width;
    int32_t nb[4] = {x > 0 ? p - 1 : -1, x + 1 < width ? p + 1 : -1, y > 0 ? p - width : -1,
                     y + 1 < height ? p + width : -1};
    for (int k = 0; k < 4; k++)
      if (nb[k] >= 0 && !st[nb[k]]) st[nb[k]] = 2, stack[top++] = nb[k];
  }
  for (size_t i = 0; i < n; i++)
    if (st[i] == 0) mask[i] = 1;
  glia_free(st);
  glia_free(stack);
  return GLIA_OK;
}

glia_status glia__flood_border(const uint8_t *cand, int width, int height, int margin,
                               uint8_t *out) {
  size_t n = (size_t)width * height, top = 0;
  int32_t *stack = glia_malloc(n * sizeof(int32_t));
  if (!stack) return glia_error(GLIA_ERR_NOMEM, "flood: out of memory");
  memset(out, 0, n);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      if (y >= margin && y + margin < height && x == margin && x + margin < width)
        x = width - margin; /* skip the interior of the row */
      size_t p = (size_t)y * width + x;
      if (cand[p] && !out[p]) out[p] = 1, stack[top++] = (int32_t)p;
    }
  while (top) {
    int32_t p = stack[--top];
    int x = p % width, y = p / width;
    int32_t nb[4] = {x > 0 ? p - 1 : -1, x + 1 < width ? p + 1 : -1, y > 0 ? p - width : -1,
                     y + 1 < height ? p + width : -1};
    for (int k = 0; k < 4; k++)
      if (nb[k] >= 0 && cand[nb[k]] && !out[nb[k]]) out[nb[k]] = 1, stack[top++] = nb[k];
  }
  glia_free(stack);
  return GLIA_OK;
}
