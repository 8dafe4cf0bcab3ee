/* Marker-based watershed by priority flooding (F. Meyer 1991; the ordered-queue form of
 * S. Beucher and F. Meyer 1993), with scikit-image 0.19's tie rule: a binary heap keyed by
 * (relief value, age), age counting pushes, neighbours visited up, left, right, down (then
 * the diagonals for 8-connectivity), a pixel labelled when pushed. (scikit-image gives every
 * marker age 0; here markers are aged in raster order, which only orders equal-valued
 * markers.) */
#include <string.h>

#include "glia/morph.h"
#include "glia/watershed.h"
#include "image/edt_internal.h"
#include "image/internal.h"

/* Heap element: the order (relief value, then age) folded into one 64-bit key, the value's
 * float bits mapped to an unsigned integer that sorts like the float. Ages are unique (the
 * markers take 0..m−1 in raster order), so keys never tie. */
typedef struct helem {
  uint64_t key;
  int32_t index;
} helem;

static inline uint64_t make_key(float v, uint32_t age) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  b = (b & 0x80000000u) ? ~b : b | 0x80000000u;
  return (uint64_t)b << 32 | age;
}

static void heap_push(helem *h, size_t *n, helem e) {
  size_t i = (*n)++;
  while (i) {
    size_t p = (i - 1) / 2;
    if (h[p].key <= e.key) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = e;
}

static helem heap_pop(helem *h, size_t *n) {
  helem top = h[0], last = h[--*n];
  size_t i = 0, m = *n;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= m) break;
    if (c + 1 < m && h[c + 1].key < h[c].key) c++;
    if (h[c].key >= last.key) break;
    h[i] = h[c];
    i = c;
  }
  if (m) h[i] = last;
  return top;
}

glia_status glia_watershed(const float *image, const int32_t *markers, const uint8_t *mask,
                           int width, int height, int connectivity, int32_t *labels) {
  glia_status s = glia__check_plane("watershed", image, labels, width, height);
  if (s) return s;
  if (!markers) return glia_error(GLIA_ERR_ARGUMENT, "watershed: NULL markers");
  if (connectivity != 4 && connectivity != 8)
    return glia_error(GLIA_ERR_ARGUMENT, "watershed: connectivity %d, expected 4 or 8",
                      connectivity);
  size_t n = (size_t)width * height, hn = 0;
  /* Each pixel is pushed once (when labelled), so n slots suffice. */
  helem *heap = glia_malloc((n + 1) * sizeof(helem));
  if (!heap) return glia_error(GLIA_ERR_NOMEM, "watershed: out of memory");
  if (labels != markers) memcpy(labels, markers, n * sizeof(int32_t));
  uint32_t age = 0;
  for (size_t i = 0; i < n; i++) {
    if (mask && !mask[i]) labels[i] = 0;
    if (labels[i] < 0) labels[i] = 0;
    if (labels[i]) heap_push(heap, &hn, (helem){make_key(image[i], age++), (int32_t)i});
  }
  const int dx[8] = {0, -1, 1, 0, -1, 1, -1, 1}, dy[8] = {-1, 0, 0, 1, -1, -1, 1, 1};
  while (hn) {
    helem e = heap_pop(heap, &hn);
    int x = e.index % width, y = e.index / width;
    for (int k = 0; k < connectivity; k++) {
      int xx = x + dx[k], yy = y + dy[k];
      if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
      int32_t q = yy * width + xx;
      if ((mask && !mask[q]) || labels[q]) continue;
      labels[q] = labels[e.index];
      heap_push(heap, &hn, (helem){make_key(image[q], age++), q});
    }
  }
  glia_free(heap);
  return GLIA_OK;
}

glia_status glia_markers_h_maxima(const float *relief, int width, int height, double h,
                                  int32_t *markers, int32_t *n) {
  glia_status s = glia__check_plane("h-maxima markers", relief, markers, width, height);
  if (s) return s;
  uint8_t *peaks = glia_malloc((size_t)width * height);
  if (!peaks) return glia_error(GLIA_ERR_NOMEM, "h-maxima markers: out of memory");
  s = glia_h_maxima_f32(relief, peaks, width, height, h);
  if (!s) s = glia_label(peaks, width, height, 8, markers, NULL, n);
  glia_free(peaks);
  return s;
}

/* The flooding of glia_watershed for a relief given as integer keys (lower first), by a
 * bucket queue: one FIFO list per key, so pixels leave in the heap's (value, age) order
 * exactly, each in O(1). The label plane has a one-pixel border of −1 (as are pixels outside
 * the mask), so neighbours need no bounds test. Used by the distance watershed, whose relief
 * −d orders like the integer key max d² − d² (as long as distinct d² give distinct float d:
 * d² < 2^22). */
/* Next nonempty bucket at or after k in a two-level bitmap (bits: one per bucket; sum: one
 * per word of bits), or nkeys. */
static uint32_t next_bucket(const uint64_t *bits, const uint64_t *sum, uint32_t nwords,
                            uint32_t k) {
  uint32_t w = k >> 6;
  if (w >= nwords) return UINT32_MAX;
  uint64_t m = bits[w] & (~(uint64_t)0 << (k & 63));
  if (m) return w << 6 | (uint32_t)__builtin_ctzll(m);
  w++;
  uint32_t sw = w >> 6, nsum = (nwords + 63) >> 6;
  if (sw >= nsum) return UINT32_MAX;
  uint64_t sm = sum[sw] & (~(uint64_t)0 << (w & 63));
  while (!sm) {
    if (++sw >= nsum) return UINT32_MAX;
    sm = sum[sw];
  }
  w = sw << 6 | (uint32_t)__builtin_ctzll(sm);
  return w << 6 | (uint32_t)__builtin_ctzll(bits[w]);
}

/* The flooding of glia_watershed for a relief given as integer keys (lower first), by a
 * bucket queue: one FIFO list per key, so pixels leave in the heap's (value, age) order
 * exactly, in O(1) each (a two-level bitmap finds the next nonempty key). The label plane has
 * a one-pixel border of −1 (as are pixels outside the mask), so neighbours need no bounds
 * test. Used by the distance watershed, whose relief −d orders like the integer key
 * max d² − d² (distinct d² give distinct float d while d² < 2^22). */
/* Bytes of flood_buckets' scratch: bitmaps, then labels, links and keys on the bordered grid,
 * then each key's list head and tail (read only where the bitmap says nonempty, so never
 * initialised). */
static size_t flood_bytes(int width, int height, uint32_t nkeys) {
  size_t nwords = ((size_t)nkeys + 63) / 64, np = (size_t)(width + 2) * (height + 2);
  return (nwords + (nwords + 63) / 64) * sizeof(uint64_t) + (3 * np + 2 * (size_t)nkeys) * 4;
}

static glia_status flood_buckets(const uint32_t *key, uint32_t nkeys, const int32_t *markers,
                                 const uint8_t *mask, int width, int height, int32_t *labels,
                                 void *scratch) {
  int W = width + 2;
  size_t np = (size_t)W * (height + 2);
  uint32_t nwords = (nkeys + 63) / 64, nsum = (nwords + 63) / 64;
  size_t words = (size_t)nwords + nsum;
  uint64_t *bits = scratch ? scratch : glia_malloc(flood_bytes(width, height, nkeys));
  if (!bits) return glia_error(GLIA_ERR_NOMEM, "watershed: out of memory");
  memset(bits, 0, words * sizeof(uint64_t));
  uint64_t *sum = bits + nwords;
  int32_t *lab = (int32_t *)(void *)(bits + words), *next = lab + np, *head = next + 2 * np;
  uint32_t *pk = (uint32_t *)(next + np); /* keys on the bordered grid */
  int32_t *tail = head + nkeys;
  for (int x = 0; x < W; x++) lab[x] = lab[np - W + x] = -1;
  uint32_t cur = UINT32_MAX;
#define PUSH(p, k)                                                                                 \
  do {                                                                                             \
    uint32_t k_ = (k);                                                                             \
    next[p] = -1;                                                                                  \
    if (bits[k_ >> 6] >> (k_ & 63) & 1) {                                                          \
      next[tail[k_]] = (p);                                                                        \
    } else {                                                                                       \
      head[k_] = (p);                                                                              \
      bits[k_ >> 6] |= (uint64_t)1 << (k_ & 63);                                                   \
      sum[k_ >> 12] |= (uint64_t)1 << ((k_ >> 6) & 63);                                            \
    }                                                                                              \
    tail[k_] = (p);                                                                                \
    cur = k_ < cur ? k_ : cur;                                                                     \
  } while (0)
  for (int y = 0; y < height; y++) {
    int32_t *l = lab + (size_t)(y + 1) * W;
    const int32_t *mk = markers + (size_t)y * width;
    const uint8_t *m = mask + (size_t)y * width;
    const uint32_t *ky = key + (size_t)y * width;
    uint32_t *kp = pk + (size_t)(y + 1) * W + 1;
    l[0] = l[W - 1] = -1;
    for (int x = 0; x < width; x++) {
      int32_t v = m[x] ? (mk[x] > 0 ? mk[x] : 0) : -1;
      l[x + 1] = v;
      kp[x] = ky[x];
      if (v > 0) PUSH((int32_t)((size_t)(y + 1) * W + x + 1), ky[x]);
    }
  }
  /* neighbours in glia_watershed's order: up, left, right, down */
  const int32_t off[4] = {-W, -1, 1, W};
  while (cur != UINT32_MAX) {
    int32_t p = head[cur];
    if (p == tail[cur]) { /* the bucket empties */
      bits[cur >> 6] &= ~((uint64_t)1 << (cur & 63));
      if (!bits[cur >> 6]) sum[cur >> 12] &= ~((uint64_t)1 << ((cur >> 6) & 63));
    } else {
      head[cur] = next[p];
    }
    int32_t lp = lab[p];
    for (int k = 0; k < 4; k++) {
      int32_t q = p + off[k];
      if (lab[q]) continue;
      lab[q] = lp;
      PUSH(q, pk[q]);
    }
    cur = next_bucket(bits, sum, nwords, cur);
  }
#undef PUSH
  for (int y = 0; y < height; y++) {
    const int32_t *l = lab + (size_t)(y + 1) * W + 1;
    int32_t *o = labels + (size_t)y * width;
    for (int x = 0; x < width; x++) o[x] = l[x] > 0 ? l[x] : 0;
  }
  if (!scratch) glia_free(bits);
  return GLIA_OK;
}

glia_status glia_watershed_distance(const uint8_t *mask, int width, int height, double h,
                                    int32_t *labels, int32_t *n) {
  glia_status s = glia__check_plane("watershed", mask, labels, width, height);
  if (s) return s;
  size_t np = (size_t)width * height;
  int fits = glia__edt_fits_int(width, height);
  /* One block for d, markers, d² and, when the squared distances are small enough, the
   * flooding's scratch for the largest possible key: malloc returns freed memory above
   * twice its largest block to the system, so several big blocks per call would fault
   * their pages in again on every image. */
  size_t bound =
      fits ? (size_t)(width - 1) * (width - 1) + (size_t)(height - 1) * (height - 1) + 1 : 0;
  size_t fb = fits && bound <= ((size_t)1 << 20) ? flood_bytes(width, height, (uint32_t)bound) : 0;
  size_t head = (np * (fits ? 3 : 2) * sizeof(float) + 7) / 8 * 8; /* d, markers, d² */
  float *d = glia_malloc(head + fb);
  if (!d) return glia_error(GLIA_ERR_NOMEM, "watershed: out of memory");
  int32_t *mk = (int32_t *)(void *)(d + np), *d2 = fits ? mk + np : NULL;
  if (fits) {
    s = glia__distance_sq(mask, width, height, d, d2);
  } else {
    s = glia_distance_transform(mask, width, height, d);
  }
  if (s || (s = glia_markers_h_maxima(d, width, height, h, mk, n))) goto done;
  int32_t top = 0;
  if (fits)
    for (size_t i = 0; i < np; i++) top = d2[i] > top ? d2[i] : top;
  if (fits && top < (1 << 22)) {
    /* key max d² − d²: the largest distance floods first, as the relief −d */
    uint32_t *key = (uint32_t *)d2;
    for (size_t i = 0; i < np; i++) key[i] = (uint32_t)(top - d2[i]);
    s = flood_buckets(key, (uint32_t)top + 1, mk, mask, width, height, labels,
                      fb ? (void *)((char *)d + head) : NULL);
  } else {
    for (size_t i = 0; i < np; i++) d[i] = -d[i];
    s = glia_watershed(d, mk, mask, width, height, 4, labels);
  }
done:
  glia_free(d);
  return s;
}

glia_status glia_labels_colorize(const int32_t *labels, const uint8_t *gray, int width, int height,
                                 uint8_t *rgb) {
  glia_status s = glia__check_plane("colorize", labels, rgb, width, height);
  if (s) return s;
  /* The study's cluster colours, in order: purple, blue, cyan, light blue, green, yellow,
   * pink, orange, red, then white. */
  static const uint8_t pal[10][3] = {
      {128, 0, 128}, {0, 0, 255},     {0, 255, 255}, {135, 206, 250}, {0, 200, 0},
      {255, 255, 0}, {255, 105, 180}, {255, 165, 0}, {255, 0, 0},     {255, 255, 255}};
  size_t n = (size_t)width * height;
  for (size_t i = 0; i < n; i++) {
    int g = gray ? gray[i] : 0;
    uint8_t *o = rgb + 3 * i;
    if (labels[i] <= 0) {
      o[0] = o[1] = o[2] = (uint8_t)g;
      continue;
    }
    const uint8_t *c = pal[(labels[i] - 1) % 10];
    for (int k = 0; k < 3; k++) o[k] = gray ? (uint8_t)((c[k] + g + 1) / 2) : c[k];
  }
  return GLIA_OK;
}
