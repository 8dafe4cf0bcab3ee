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

/* One run of nonzero pixels [x0, x1) in row y, with its provisional label. */
typedef struct run {
  int32_t x0, x1, y, label;
} run;

glia_status glia_label(const uint8_t *mask, int width, int height, int connectivity,
                       int32_t *labels, glia_component **comps, int32_t *n_out) {
  glia_status s = glia__check_plane("label", mask, labels, width, height);
  if (s) return s;
  if (!n_out) return glia_error(GLIA_ERR_ARGUMENT, "label: NULL count");
  if (connectivity != 4 && connectivity != 8)
    return glia_error(GLIA_ERR_ARGUMENT, "label: connectivity %d, expected 4 or 8", connectivity);
  size_t n = (size_t)width * height;
  /* Runs: at most one per two pixels of a row, rounded up. */
  size_t cap = (size_t)height * ((size_t)width / 2 + 1) + 1;
  run *runs = glia_malloc(cap * sizeof(run));
  int32_t *parent = glia_malloc((cap + 1) * sizeof(int32_t));
  if (!runs || !parent) {
    glia_free(runs);
    glia_free(parent);
    return glia_error(GLIA_ERR_NOMEM, "label: out of memory");
  }
  /* Pass 1: runs in raster order, each unioned with the runs of the row above it touches
   * (overlapping columns; for 8-connectivity also diagonally adjacent ones). Provisional
   * labels grow in raster order and a set's root is its smallest label, so final labels
   * follow the raster order of each component's first pixel. */
  size_t nr = 0, prev0 = 0, prev1 = 0;
  int32_t next = 1, ext = connectivity == 8;
  for (int y = 0; y < height; y++) {
    const uint8_t *m = mask + (size_t)y * width;
    size_t cur0 = nr, p = prev0;
    for (int x = 0; x < width;) {
      while (x < width && !m[x]) x++;
      if (x >= width) break;
      int x0 = x;
      while (x < width && m[x]) x++;
      run *r = &runs[nr++];
      *r = (run){x0, x, y, 0};
      /* previous-row runs touching [x0 − ext, x + ext) */
      while (p < prev1 && runs[p].x1 + ext <= x0) p++;
      for (size_t q = p; q < prev1 && runs[q].x0 < x + ext; q++) {
        int32_t lq = uf_find(parent, runs[q].label);
        if (!r->label)
          r->label = lq;
        else if (lq != r->label) {
          uf_union(parent, r->label, lq);
          r->label = uf_find(parent, r->label);
        }
      }
      if (!r->label) {
        parent[next] = next;
        r->label = next++;
      }
    }
    prev0 = cur0;
    prev1 = nr;
  }
  int32_t count = 0;
  for (int32_t i = 1; i < next; i++) parent[i] = uf_find(parent, i);
  for (int32_t i = 1; i < next; i++) parent[i] = parent[i] == i ? ++count : parent[parent[i]];
  /* Pass 2: paint the labels row by row. */
  memset(labels, 0, n * sizeof(int32_t));
  for (size_t i = 0; i < nr; i++) {
    int32_t v = parent[runs[i].label];
    int32_t *l = labels + (size_t)runs[i].y * width;
    for (int x = runs[i].x0; x < runs[i].x1; x++) l[x] = v;
  }
  *n_out = count;
  s = GLIA_OK;
  if (comps) {
    glia_component *c = glia_calloc((size_t)count + 1, sizeof *c);
    if (!c) {
      s = glia_error(GLIA_ERR_NOMEM, "label: out of memory for %d components", count);
      goto done;
    }
    for (int32_t i = 0; i < count; i++) {
      c[i].label = i + 1;
      c[i].x0 = width;
      c[i].y0 = height;
    }
    for (size_t i = 0; i < nr; i++) {
      const run *r = &runs[i];
      glia_component *k = &c[parent[r->label] - 1];
      int64_t len = r->x1 - r->x0;
      k->area += len;
      k->cx += (double)((int64_t)(r->x0 + r->x1 - 1) * len) / 2; /* Σx over the run, exact */
      k->cy += (double)len * r->y;
      if (r->x0 < k->x0) k->x0 = r->x0;
      if (r->y < k->y0) k->y0 = r->y;
      if (r->x1 > k->x1) k->x1 = r->x1;
      if (r->y + 1 > k->y1) k->y1 = r->y + 1;
    }
    for (int32_t i = 0; i < count; i++) {
      c[i].cx /= (double)c[i].area;
      c[i].cy /= (double)c[i].area;
    }
    *comps = c;
  }
done:
  glia_free(runs);
  glia_free(parent);
  return s;
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
  if (!s && count > 0 && !c) {
    glia_free(labels);
    return glia_error(GLIA_ERR_INTERNAL, "largest component: no statistics");
  }
  if (s) {
    glia_free(labels);
    glia_free(c);
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
