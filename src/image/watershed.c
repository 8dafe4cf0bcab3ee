/* Marker-based watershed by priority flooding (F. Meyer 1991; the ordered-queue form of
 * S. Beucher and F. Meyer 1993), with scikit-image 0.19's tie rule: a binary heap keyed by
 * (relief value, age), age counting pushes, neighbours visited up, left, right, down (then
 * the diagonals for 8-connectivity), a pixel labelled when pushed. (scikit-image gives every
 * marker age 0; here markers are aged in raster order, which only orders equal-valued
 * markers.) */
#include <string.h>

#include "glia/morph.h"
#include "glia/watershed.h"
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

glia_status glia_watershed_distance(const uint8_t *mask, int width, int height, double h,
                                    int32_t *labels, int32_t *n) {
  glia_status s = glia__check_plane("watershed", mask, labels, width, height);
  if (s) return s;
  size_t np = (size_t)width * height;
  float *d = glia_malloc(np * sizeof(float));
  int32_t *mk = glia_malloc(np * sizeof(int32_t));
  if (!d || !mk) {
    s = glia_error(GLIA_ERR_NOMEM, "watershed: out of memory");
    goto done;
  }
  if ((s = glia_distance_transform(mask, width, height, d))) goto done;
  if ((s = glia_markers_h_maxima(d, width, height, h, mk, n))) goto done;
  for (size_t i = 0; i < np; i++) d[i] = -d[i];
  s = glia_watershed(d, mk, mask, width, height, 4, labels);
done:
  glia_free(d);
  glia_free(mk);
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
