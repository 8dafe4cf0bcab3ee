/* Grey-level erosion and dilation with flat disk, square and diamond elements, and the
 * operations built on them. Each row run of the element is a 1-D min/max filter computed with
 * the van Herk / Gil-Werman algorithm (M. van Herk 1992; J. Gil and M. Werman 1993): three
 * comparisons per pixel whatever the run's length. Squares are separable (rows, then columns);
 * disks and diamonds take, per output row, the min/max of one 1-D run per element row. */
#include <string.h>

#include "glia/morph.h"
#include "image/internal.h"

static const char *const op_names[] = {"erode",  "dilate",   "open",    "close",
                                       "tophat", "blackhat", "gradient"};

const char *glia_morph_op_name(glia_morph_op op) {
  return (unsigned)op < 7 ? op_names[op] : "unknown";
}

int glia_morph_op_parse(const char *name) {
  for (int i = 0; name && i < 7; i++)
    if (!strcmp(name, op_names[i])) return i;
  return -1;
}

/* Half-width of the element's run at row offset dy. */
static int run_half(glia_strel se, int dy) {
  int r = se.radius_px, ady = dy < 0 ? -dy : dy;
  if (se.shape == GLIA_STREL_SQUARE) return r;
  if (se.shape == GLIA_STREL_DIAMOND) return r - ady;
  int h = 0;
  while ((h + 1) * (h + 1) + ady * ady <= r * r) h++;
  return h;
}

/* 1-D min (MIN) or max (MAX) over [i − r, i + r] ∩ [0, n) of a (stride `step`) into out[i].
 * Small runs (r <= 4) take the min/max of the 2r+1 shifted copies directly (vectorised);
 * longer ones use van Herk / Gil-Werman blocks. buf holds 3·(n + 4r + 2) bytes. */
#define RUN1D(NAME, OP, ID)                                                                        \
  static void NAME(const uint8_t *restrict a, size_t step, int n, int r, uint8_t *restrict out,    \
                   uint8_t *restrict buf) {                                                        \
    int w = 2 * r + 1, len = n + 2 * r;                                                            \
    uint8_t *restrict p = buf, *restrict g = buf + len + w, *restrict h = g + len + w;             \
    memset(p, ID, (size_t)r);                                                                      \
    if (step == 1)                                                                                 \
      memcpy(p + r, a, (size_t)n);                                                                 \
    else                                                                                           \
      for (int i = 0; i < n; i++) p[r + i] = a[(size_t)i * step];                                  \
    memset(p + r + n, ID, (size_t)r);                                                              \
    if (r <= 4) {                                                                                  \
      memcpy(out, p + r, (size_t)n);                                                               \
      for (int k = 0; k < w; k++) {                                                                \
        if (k == r) continue;                                                                      \
        const uint8_t *restrict q = p + k;                                                         \
        for (int i = 0; i < n; i++) out[i] = OP(out[i], q[i]);                                     \
      }                                                                                            \
      return;                                                                                      \
    }                                                                                              \
    len = (len + w - 1) / w * w;                                                                   \
    for (int i = n + 2 * r; i < len; i++) p[i] = ID;                                               \
    for (int b = 0; b < len; b += w) {                                                             \
      g[b] = p[b];                                                                                 \
      for (int i = b + 1; i < b + w; i++) g[i] = OP(g[i - 1], p[i]);                               \
      h[b + w - 1] = p[b + w - 1];                                                                 \
      for (int i = b + w - 2; i >= b; i--) h[i] = OP(h[i + 1], p[i]);                              \
    }                                                                                              \
    for (int i = 0; i < n; i++) out[i] = OP(h[i], g[i + w - 1]);                                   \
  }
#define MIN8(x, y) ((x) < (y) ? (x) : (y))
#define MAX8(x, y) ((x) > (y) ? (x) : (y))
RUN1D(run_min, MIN8, 255)
RUN1D(run_max, MAX8, 0)

static void run1d(const uint8_t *a, size_t step, int n, int r, int dilate, uint8_t *out,
                  uint8_t *buf) {
  if (dilate)
    run_max(a, step, n, r, out, buf);
  else
    run_min(a, step, n, r, out, buf);
}

/* acc = min/max(acc, run) over a row. */
static void combine(uint8_t *restrict acc, const uint8_t *restrict run, int n, int dilate) {
  if (dilate)
    for (int i = 0; i < n; i++) acc[i] = MAX8(acc[i], run[i]);
  else
    for (int i = 0; i < n; i++) acc[i] = MIN8(acc[i], run[i]);
}

static glia_status erode_dilate(const uint8_t *src, uint8_t *dst, int width, int height,
                                glia_strel se, int dilate) {
  int r = se.radius_px, maxn = width > height ? width : height;
  size_t n = (size_t)width * height, blen = 3 * (size_t)(maxn + 6 * r + 4);
  uint8_t *tmp = glia_malloc(n);
  if (!tmp) return glia_error(GLIA_ERR_NOMEM, "morphology: out of memory for %d×%d", width, height);
  int fail = 0;
  if (se.shape == GLIA_STREL_SQUARE) {
#pragma omp parallel GLIA__PAR(width, height)
    {
      uint8_t *buf = glia_malloc(blen + (size_t)maxn);
#pragma omp for schedule(static)
      for (int y = 0; y < height; y++)
        if (buf) run1d(src + (size_t)y * width, 1, width, r, dilate, tmp + (size_t)y * width, buf);
      if (r <= 4) {
        /* Columns as whole rows: min/max of the 2r+1 neighbouring rows of the row pass. */
#pragma omp for schedule(static)
        for (int y = 0; y < height; y++) {
          if (!buf) continue;
          uint8_t *acc = buf + blen;
          memcpy(acc, tmp + (size_t)y * width, (size_t)width);
          for (int dy = -r; dy <= r; dy++)
            if (dy && y + dy >= 0 && y + dy < height)
              combine(acc, tmp + (size_t)(y + dy) * width, width, dilate);
          memcpy(dst + (size_t)y * width, acc, (size_t)width);
        }
      } else {
#pragma omp for schedule(static)
        for (int x = 0; x < width; x++) {
          if (!buf) continue;
          uint8_t *col = buf + blen;
          run1d(tmp + x, (size_t)width, height, r, dilate, col, buf);
          for (int y = 0; y < height; y++) dst[(size_t)y * width + x] = col[y];
        }
      }
      if (!buf) {
#pragma omp atomic write
        fail = 1;
      }
      glia_free(buf);
    }
  } else {
#pragma omp parallel GLIA__PAR(width, height)
    {
      uint8_t *buf = glia_malloc(blen + 2 * (size_t)width);
#pragma omp for schedule(static)
      for (int y = 0; y < height; y++) {
        if (!buf) continue;
        uint8_t *acc = buf + blen, *run = acc + width;
        memset(acc, dilate ? 0 : 255, (size_t)width);
        for (int dy = -r; dy <= r; dy++) {
          int yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          int hw = run_half(se, dy);
          if (hw == 0) {
            combine(acc, src + (size_t)yy * width, width, dilate);
            continue;
          }
          run1d(src + (size_t)yy * width, 1, width, hw, dilate, run, buf);
          combine(acc, run, width, dilate);
        }
        memcpy(tmp + (size_t)y * width, acc, (size_t)width);
      }
      if (!buf) {
#pragma omp atomic write
        fail = 1;
      }
      glia_free(buf);
    }
    if (!fail) memcpy(dst, tmp, n);
  }
  glia_free(tmp);
  return fail ? glia_error(GLIA_ERR_NOMEM, "morphology: out of memory for row buffers") : GLIA_OK;
}

glia_status glia_morph_u8(const uint8_t *src, uint8_t *dst, int width, int height, glia_morph_op op,
                          glia_strel se) {
  glia_status s = glia__check_plane("morphology", src, dst, width, height);
  if (s) return s;
  if ((unsigned)se.shape > GLIA_STREL_DIAMOND || se.radius_px < 0 || se.radius_px > 512)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "morphology: structuring element shape %d radius %d, expected a disk, "
                      "square or diamond of radius 0..512",
                      (int)se.shape, se.radius_px);
  if ((unsigned)op > GLIA_MORPH_GRADIENT)
    return glia_error(GLIA_ERR_ARGUMENT, "morphology: unknown operation %d", (int)op);
  size_t n = (size_t)width * height;
  uint8_t *a = NULL;
  if (op >= GLIA_MORPH_OPEN) {
    a = glia_malloc(n);
    if (!a) return glia_error(GLIA_ERR_NOMEM, "morphology: out of memory");
  }
  switch (op) {
  case GLIA_MORPH_ERODE: s = erode_dilate(src, dst, width, height, se, 0); break;
  case GLIA_MORPH_DILATE: s = erode_dilate(src, dst, width, height, se, 1); break;
  case GLIA_MORPH_OPEN:
  case GLIA_MORPH_TOPHAT:
    s = erode_dilate(src, a, width, height, se, 0);
    if (!s) s = erode_dilate(a, a, width, height, se, 1);
    if (!s)
      for (size_t i = 0; i < n; i++) dst[i] = op == GLIA_MORPH_OPEN ? a[i] : src[i] - a[i];
    break;
  case GLIA_MORPH_CLOSE:
  case GLIA_MORPH_BLACKHAT:
    s = erode_dilate(src, a, width, height, se, 1);
    if (!s) s = erode_dilate(a, a, width, height, se, 0);
    if (!s)
      for (size_t i = 0; i < n; i++) dst[i] = op == GLIA_MORPH_CLOSE ? a[i] : a[i] - src[i];
    break;
  case GLIA_MORPH_GRADIENT:
    s = erode_dilate(src, a, width, height, se, 0);
    if (!s) s = erode_dilate(src, dst, width, height, se, 1);
    if (!s)
      for (size_t i = 0; i < n; i++) dst[i] = dst[i] - a[i];
    break;
  }
  glia_free(a);
  return s;
}
