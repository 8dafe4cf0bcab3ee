/* Contrast-limited adaptive histogram equalisation (K. Zuiderveld, "Contrast Limited
 * Adaptive Histogram Equalization", Graphics Gems IV, 1994), with the tiling, clipping,
 * redistribution and interpolation rules of OpenCV 4.6's CLAHE so results agree with it. */
#include <math.h>
#include <string.h>

#include "glia/clahe.h"
#include "image/internal.h"

/* The histogram of one tile (rows and columns past the image reflected). Four interleaved
 * counters: MRI slices are mostly black, and one counter hit by every pixel in turn makes
 * each increment wait for the one before. */
static void tile_histogram(const uint8_t *src, int width, int height, int x0, int y0, int tw,
                           int th, long *hist) {
  uint32_t h4[4][256];
  memset(h4, 0, sizeof h4);
  for (int y = y0; y < y0 + th; y++) {
    const uint8_t *row = src + (size_t)(y < height ? y : glia__reflect101(y, height)) * width;
    if (x0 + tw <= width) {
      int x = x0;
      for (; x + 4 <= x0 + tw; x += 4) {
        h4[0][row[x]]++;
        h4[1][row[x + 1]]++;
        h4[2][row[x + 2]]++;
        h4[3][row[x + 3]]++;
      }
      for (; x < x0 + tw; x++) h4[0][row[x]]++;
    } else {
      for (int x = x0; x < x0 + tw; x++) h4[0][row[glia__reflect101(x, width)]]++;
    }
  }
  for (int i = 0; i < 256; i++) hist[i] = (long)h4[0][i] + h4[1][i] + h4[2][i] + h4[3][i];
}

/* The map of tile t: histogram, clipped at `clip` (0: none) with OpenCV's redistribution,
 * cumulated and scaled. */
static void tile_lut(const uint8_t *src, int width, int height, int tx, int tw, int th, int t,
                     long clip, float lut_scale, uint8_t *l) {
  int x0 = (t % tx) * tw, y0 = (t / tx) * th;
  long hist[256];
  tile_histogram(src, width, height, x0, y0, tw, th, hist);
  if (clip > 0) {
    long clipped = 0;
    for (int i = 0; i < 256; i++)
      if (hist[i] > clip) {
        clipped += hist[i] - clip;
        hist[i] = clip;
      }
    long batch = clipped / 256, residual = clipped - batch * 256;
    for (int i = 0; i < 256; i++) hist[i] += batch;
    if (residual) {
      long step = 256 / residual > 1 ? 256 / residual : 1;
      for (long i = 0; i < 256 && residual > 0; i += step, residual--) hist[i]++;
    }
  }
  long sum = 0;
  for (int i = 0; i < 256; i++) {
    sum += hist[i];
    l[i] = glia__sat_u8f((float)sum * lut_scale);
  }
}

/* One row of the bilinear blend of the four surrounding tiles' maps. */
GLIA__CLONES static void interpolate_row(const uint8_t *restrict sr, uint8_t *restrict dr,
                                         int width, const uint8_t *restrict l1,
                                         const uint8_t *restrict l2, const int *restrict ix1,
                                         const float *restrict xa, float ya, float ya1) {
  for (int x = 0; x < width; x++) {
    int v = sr[x], a = ix1[2 * x] + v, b = ix1[2 * x + 1] + v;
    float xa_ = xa[x], xa1 = 1.f - xa_;
    float res = (l1[a] * xa1 + l1[b] * xa_) * ya1 + (l2[a] * xa1 + l2[b] * xa_) * ya;
    dr[x] = glia__sat_u8f(res);
  }
}

/* Row y of the result: the maps of the two tile rows around it, blended. */
static void blend_row(const uint8_t *src, uint8_t *dst, int width, int y, float inv_th, int ty,
                      int tx, const uint8_t *lut, const int *ix1, const float *xa) {
  float tyf = y * inv_th - 0.5f;
  int t1 = (int)floorf(tyf), t2 = t1 + 1;
  float ya = tyf - t1, ya1 = 1.f - ya;
  t1 = t1 < 0 ? 0 : t1;
  t2 = t2 > ty - 1 ? ty - 1 : t2;
  const uint8_t *l1 = lut + (size_t)t1 * tx * 256, *l2 = lut + (size_t)t2 * tx * 256;
  interpolate_row(src + (size_t)y * width, dst + (size_t)y * width, width, l1, l2, ix1, xa, ya,
                  ya1);
}

glia_status glia_clahe_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                          const glia_clahe_opts *opts) {
  glia_status s = glia__check_plane("clahe", src, dst, width, height);
  if (s) return s;
  glia_clahe_opts o = GLIA_CLAHE_DEFAULTS;
  if (opts) o = *opts;
  if (o.tiles_x < 1 || o.tiles_y < 1 || o.tiles_x > 256 || o.tiles_y > 256)
    return glia_error(GLIA_ERR_ARGUMENT, "clahe: %d×%d tiles, expected 1..256 each", o.tiles_x,
                      o.tiles_y);
  if (!(o.clip_limit >= 0) || o.clip_limit > 1e6)
    return glia_error(GLIA_ERR_ARGUMENT, "clahe: clip limit %g, expected >= 0", o.clip_limit);
  int tx = o.tiles_x, ty = o.tiles_y;
  /* Tiles cover the image padded (by reflection) up to the next multiple of the grid. As in
   * OpenCV, once one side needs padding both get tiles − size % tiles extra pixels, which is
   * a whole extra tile's worth on a side that was already a multiple. */
  int ew = width, eh = height;
  if (width % tx || height % ty) {
    ew = width + tx - width % tx;
    eh = height + ty - height % ty;
  }
  int tw = ew / tx, th = eh / ty;
  long tile_total = (long)tw * th;
  float lut_scale = 255.f / (float)tile_total;
  long clip = 0;
  if (o.clip_limit > 0) {
    clip = (long)(o.clip_limit * tile_total / 256);
    if (clip < 1) clip = 1;
  }
  uint8_t *lut = glia_malloc((size_t)tx * ty * 256);
  if (!lut) return glia_error(GLIA_ERR_NOMEM, "clahe: out of memory");
  int spread = glia__spread(width, height, 17);
  if (spread) {
#pragma omp parallel for schedule(dynamic)
    for (int t = 0; t < tx * ty; t++)
      tile_lut(src, width, height, tx, tw, th, t, clip, lut_scale, lut + (size_t)t * 256);
  } else {
    for (int t = 0; t < tx * ty; t++)
      tile_lut(src, width, height, tx, tw, th, t, clip, lut_scale, lut + (size_t)t * 256);
  }
  float inv_tw = 1.0f / tw, inv_th = 1.0f / th;
  int *ix1 = glia_malloc((size_t)width * 2 * sizeof(int));
  float *xa = glia_malloc((size_t)width * sizeof(float));
  /* In place: the rows are read from a copy (interpolate_row's pointers do not alias). */
  uint8_t *copy = src == dst ? glia_malloc((size_t)width * height) : NULL;
  if (!ix1 || !xa || (src == dst && !copy)) {
    glia_free(lut);
    glia_free(ix1);
    glia_free(xa);
    glia_free(copy);
    return glia_error(GLIA_ERR_NOMEM, "clahe: out of memory");
  }
  if (copy) src = memcpy(copy, src, (size_t)width * height);
  for (int x = 0; x < width; x++) {
    float txf = x * inv_tw - 0.5f;
    int t1 = (int)floorf(txf), t2 = t1 + 1;
    xa[x] = txf - t1;
    t1 = t1 < 0 ? 0 : t1;
    t2 = t2 > tx - 1 ? tx - 1 : t2;
    ix1[2 * x] = t1 * 256;
    ix1[2 * x + 1] = t2 * 256;
  }
  if (spread) {
#pragma omp parallel for schedule(static)
    for (int y = 0; y < height; y++) blend_row(src, dst, width, y, inv_th, ty, tx, lut, ix1, xa);
  } else {
    for (int y = 0; y < height; y++) blend_row(src, dst, width, y, inv_th, ty, tx, lut, ix1, xa);
  }
  glia_free(lut);
  glia_free(ix1);
  glia_free(xa);
  glia_free(copy);
  return GLIA_OK;
}
