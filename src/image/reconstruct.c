/* Grey reconstruction by dilation, 8-connected, by L. Vincent's hybrid algorithm
 * ("Morphological grayscale reconstruction in image analysis", IEEE TIP 1993): one raster
 * and one anti-raster scan, then a FIFO queue propagates what the scans missed. */
#include <math.h>

#include "glia/morph.h"
#include "image/internal.h"

static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }

glia_status glia_reconstruct_f32(const float *marker, const float *mask, float *out, int width,
                                 int height) {
  glia_status s = glia__check_plane("reconstruction", marker, out, width, height);
  if (s) return s;
  if (!mask) return glia_error(GLIA_ERR_ARGUMENT, "reconstruction: NULL mask");
  size_t n = (size_t)width * height;
  if (!n) return GLIA_OK; /* not reached (a checked plane has pixels); said for the analyzer */
  int32_t *queue = glia_malloc(n * sizeof(int32_t) + (size_t)width * sizeof(float));
  if (!queue) return glia_error(GLIA_ERR_NOMEM, "reconstruction: out of memory");
  float *t = (float *)(void *)(queue + n); /* one row: the max over the already final neighbours */
  float *J = out;
  const float *I = mask;
  for (size_t i = 0; i < n; i++) J[i] = minf(marker[i], I[i]);
  int W = width, H = height;
  /* Raster scan, row by row: the neighbours in the row above are final, so their max with the
   * pixel itself is taken over the whole row at once (vectorised); only the left neighbour
   * chains, in a second, sequential pass. Same values as the pixel-by-pixel scan. */
  for (int y = 1; y < H; y++) {
    float *r = J + (size_t)y * W;
    const float *u = r - W, *ir = I + (size_t)y * W;
    t[0] = maxf(r[0], maxf(u[0], W > 1 ? u[1] : u[0]));
    for (int x = 1; x + 1 < W; x++) t[x] = maxf(maxf(r[x], u[x]), maxf(u[x - 1], u[x + 1]));
    if (W > 1) t[W - 1] = maxf(r[W - 1], maxf(u[W - 1], u[W - 2]));
    r[0] = minf(t[0], ir[0]);
    for (int x = 1; x < W; x++) r[x] = minf(maxf(t[x], r[x - 1]), ir[x]);
  }
  {
    float *r = J; /* row 0 has no row above: the left chain only */
    for (int x = 1; x < W; x++) r[x] = minf(maxf(r[x], r[x - 1]), I[x]);
  }
  size_t head = 0, tail = 0;
  /* Anti-raster scan likewise (the row below final, the right neighbour chaining), then the
   * pixels from which a later-scanned neighbour could still be raised join the queue. */
  for (int y = H - 1; y >= 0; y--) {
    float *r = J + (size_t)y * W;
    const float *ir = I + (size_t)y * W;
    if (y + 1 < H) {
      const float *dn = r + W;
      t[0] = maxf(r[0], maxf(dn[0], W > 1 ? dn[1] : dn[0]));
      for (int x = 1; x + 1 < W; x++) t[x] = maxf(maxf(r[x], dn[x]), maxf(dn[x - 1], dn[x + 1]));
      if (W > 1) t[W - 1] = maxf(r[W - 1], maxf(dn[W - 1], dn[W - 2]));
    } else {
      for (int x = 0; x < W; x++) t[x] = r[x];
    }
    r[W - 1] = minf(t[W - 1], ir[W - 1]);
    for (int x = W - 2; x >= 0; x--) r[x] = minf(maxf(t[x], r[x + 1]), ir[x]);
    for (int x = 0; x < W; x++) {
      size_t p = (size_t)y * W + x;
      int push = 0;
      if (x + 1 < W && J[p + 1] < J[p] && J[p + 1] < I[p + 1]) push = 1;
      if (y + 1 < H) {
        size_t q = p + W;
        if (J[q] < J[p] && J[q] < I[q]) push = 1;
        if (x + 1 < W && J[q + 1] < J[p] && J[q + 1] < I[q + 1]) push = 1;
        if (x && J[q - 1] < J[p] && J[q - 1] < I[q - 1]) push = 1;
      }
      if (push) queue[tail++] = (int32_t)p;
    }
  }
  /* FIFO propagation. A pixel may be raised again after it left the queue, so it may come
   * back; the in-queue flag keeps at most one copy waiting, so a ring of n slots suffices. */
  uint8_t *inq = glia_calloc(n, 1);
  if (!inq) {
    glia_free(queue);
    return glia_error(GLIA_ERR_NOMEM, "reconstruction: out of memory");
  }
  for (size_t i = 0; i < tail; i++) inq[queue[i]] = 1;
  size_t count = tail;
  tail %= n;
  while (count) {
    int32_t p = queue[head];
    head = (head + 1) % n;
    count--;
    inq[p] = 0;
    int x = p % W, y = p / W;
    for (int dy = -1; dy <= 1; dy++)
      for (int dx = -1; dx <= 1; dx++) {
        int xx = x + dx, yy = y + dy;
        if ((!dx && !dy) || xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
        size_t q = (size_t)yy * W + xx;
        if (J[q] < J[p] && I[q] != J[q]) {
          J[q] = minf(J[p], I[q]);
          if (!inq[q]) {
            inq[q] = 1;
            queue[tail] = (int32_t)q;
            tail = (tail + 1) % n;
            count++;
          }
        }
      }
  }
  glia_free(inq);
  glia_free(queue);
  return GLIA_OK;
}

glia_status glia_h_maxima_f32(const float *src, uint8_t *out, int width, int height, double h) {
  glia_status s = glia__check_plane("h-maxima", src, out, width, height);
  if (s) return s;
  if (!(h > 0) || !isfinite(h))
    return glia_error(GLIA_ERR_ARGUMENT, "h-maxima: h %g, expected > 0", h);
  size_t n = (size_t)width * height;
  float lo = src[0], hi = src[0];
  for (size_t i = 1; i < n; i++) lo = minf(lo, src[i]), hi = maxf(hi, src[i]);
  if (h > (double)hi - lo) {
    for (size_t i = 0; i < n; i++) out[i] = 0;
    return GLIA_OK;
  }
  float *shift = glia_malloc(n * sizeof(float));
  if (!shift) return glia_error(GLIA_ERR_NOMEM, "h-maxima: out of memory");
  /* skimage subtracts h plus twice float32's resolution (1e-6) times |value|, so plateaus at
   * exactly h above their surroundings count as maxima despite rounding. */
  for (size_t i = 0; i < n; i++) shift[i] = (float)(src[i] - h - 2e-6 * fabsf(src[i]));
  s = glia_reconstruct_f32(shift, src, shift, width, height);
  if (!s)
    for (size_t i = 0; i < n; i++) out[i] = (double)(src[i] - shift[i]) >= h;
  glia_free(shift);
  return s;
}
