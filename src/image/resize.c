/* Resizing of 8-bit planes: area averaging when shrinking (OpenCV INTER_AREA), bilinear when
 * enlarging (OpenCV INTER_LINEAR, pixel centres aligned: x_src = (x + 0.5)·scale − 0.5).
 * Separable: each axis gets a list of (source index, weight) taps per output index. */
#include <math.h>

#include "glia/filter.h"
#include "image/internal.h"

typedef struct taps {
  int *start, *count; /* per output index: first tap, number of taps */
  int *idx;
  float *w;
} taps;

static void taps_free(taps *t) {
  glia_free(t->start);
  glia_free(t->count);
  glia_free(t->idx);
  glia_free(t->w);
}

static int taps_make(int in, int out, taps *t) {
  double scale = (double)in / out;
  int max = scale > 1 ? (int)ceil(scale) + 2 : 2;
  t->start = glia_malloc((size_t)out * sizeof(int));
  t->count = glia_malloc((size_t)out * sizeof(int));
  t->idx = glia_malloc((size_t)out * max * sizeof(int));
  t->w = glia_malloc((size_t)out * max * sizeof(float));
  if (!t->start || !t->count || !t->idx || !t->w) return -1;
  for (int o = 0; o < out; o++) {
    int base = o * max, n = 0;
    t->start[o] = base;
    if (scale > 1) {
      double a = o * scale, b = a + scale;
      for (int i = (int)floor(a); i < b && i < in; i++) {
        double lo = i > a ? i : a, hi = i + 1 < b ? i + 1 : b;
        if (hi - lo <= 1e-12) continue;
        t->idx[base + n] = i;
        t->w[base + n++] = (float)((hi - lo) / scale);
      }
    } else {
      double f = (o + 0.5) * scale - 0.5;
      int i = (int)floor(f);
      double w = f - i;
      if (i < 0) i = 0, w = 0;
      if (i >= in - 1) i = in - 1, w = 0;
      t->idx[base] = i;
      t->w[base] = (float)(1 - w);
      n = 1;
      if (w > 0) {
        t->idx[base + 1] = i + 1;
        t->w[base + 1] = (float)w;
        n = 2;
      }
    }
    t->count[o] = n;
  }
  return 0;
}

glia_status glia_resize_u8(const uint8_t *src, int width, int height, uint8_t *dst, int out_width,
                           int out_height) {
  glia_status s = glia__check_plane("resize", src, dst, width, height);
  if (s) return s;
  if (out_width < 1 || out_height < 1 || out_width > GLIA__MAX_SIDE || out_height > GLIA__MAX_SIDE)
    return glia_error(GLIA_ERR_ARGUMENT, "resize: output size %d×%d, expected 1..%d per side",
                      out_width, out_height, GLIA__MAX_SIDE);
  return glia__resize_u8(src, (size_t)width, width, height, dst, (size_t)out_width, out_width,
                         out_height);
}

/* The column taps laid out tap-major and padded to the same count for every output index:
 * idx[k·out + o], w[k·out + o]. A padded tap has weight 0 (and a real index), and adding
 * 0·m to a sum of non-negative terms changes no bit, so the sums are those of the per-output
 * lists, in the same order. */
typedef struct ptaps {
  int n;
  int *idx;
  float *w;
} ptaps;

static int ptaps_make(const taps *t, int out, ptaps *p) {
  p->n = 1;
  for (int o = 0; o < out; o++) p->n = t->count[o] > p->n ? t->count[o] : p->n;
  p->idx = glia_malloc((size_t)out * p->n * sizeof(int));
  p->w = glia_malloc((size_t)out * p->n * sizeof(float));
  if (!p->idx || !p->w) return -1;
  for (int o = 0; o < out; o++)
    for (int k = 0; k < p->n; k++) {
      int c = t->count[o], j = t->start[o] + (k < c ? k : c - 1);
      p->idx[(size_t)k * out + o] = c ? t->idx[j] : 0;
      p->w[(size_t)k * out + o] = k < c ? t->w[j] : 0.0f;
    }
  return 0;
}

/* One output line of the column pass: acc[x] = Σ_k w_k · row_k[x], k in order. */
GLIA__CLONES static void vpass_row(const uint8_t *restrict src, size_t src_stride,
                                   const int *restrict idx, const float *restrict w, int count,
                                   int width, float *restrict acc) {
  const uint8_t *restrict r0 = src + (size_t)idx[0] * src_stride;
  float w0 = w[0];
  for (int x = 0; x < width; x++) acc[x] = w0 * (float)r0[x];
  for (int k = 1; k < count; k++) {
    const uint8_t *restrict rk = src + (size_t)idx[k] * src_stride;
    float wk = w[k];
    for (int x = 0; x < width; x++) acc[x] += wk * (float)rk[x];
  }
}

/* One output line of the row pass, in chunks of 256 outputs: d[x] = Σ_k w·m[idx], k in
 * order (gathers in the AVX2 clone). */
GLIA__CLONES static void hpass_row(const float *restrict m, const ptaps *restrict t, int out_width,
                                   uint8_t *restrict d) {
  float acc[256];
  for (int x0 = 0; x0 < out_width; x0 += 256) {
    int nx = out_width - x0 < 256 ? out_width - x0 : 256;
    const int *restrict i0 = t->idx + x0;
    const float *restrict w0 = t->w + x0;
    for (int x = 0; x < nx; x++) acc[x] = w0[x] * m[i0[x]];
    for (int k = 1; k < t->n; k++) {
      const int *restrict ik = t->idx + (size_t)k * out_width + x0;
      const float *restrict wk = t->w + (size_t)k * out_width + x0;
      for (int x = 0; x < nx; x++) acc[x] += wk[x] * m[ik[x]];
    }
    for (int x = 0; x < nx; x++) d[x0 + x] = glia__sat_u8f(acc[x]);
  }
}

glia_status glia__resize_u8(const uint8_t *src, size_t src_stride, int width, int height,
                            uint8_t *dst, size_t dst_stride, int out_width, int out_height) {
  glia_status s = GLIA_OK;
  taps tx = {0}, ty = {0};
  ptaps px = {0, NULL, NULL};
  /* Columns first (whole source rows, vectorised), then the rows of the few output lines:
   * when shrinking, the gathering row pass touches out_height rows instead of height. */
  float *mid = glia_malloc((size_t)width * out_height * sizeof(float));
  if (!mid || taps_make(width, out_width, &tx) || taps_make(height, out_height, &ty) ||
      ptaps_make(&tx, out_width, &px)) {
    s = glia_error(GLIA_ERR_NOMEM, "resize: out of memory for %d×%d → %d×%d", width, height,
                   out_width, out_height);
    goto done;
  }
  if (glia__spread(width, height, 17)) {
#pragma omp parallel for schedule(static)
    for (int y = 0; y < out_height; y++)
      vpass_row(src, src_stride, ty.idx + ty.start[y], ty.w + ty.start[y], ty.count[y], width,
                mid + (size_t)y * width);
#pragma omp parallel for schedule(static)
    for (int y = 0; y < out_height; y++)
      hpass_row(mid + (size_t)y * width, &px, out_width, dst + (size_t)y * dst_stride);
  } else {
    for (int y = 0; y < out_height; y++)
      vpass_row(src, src_stride, ty.idx + ty.start[y], ty.w + ty.start[y], ty.count[y], width,
                mid + (size_t)y * width);
    for (int y = 0; y < out_height; y++)
      hpass_row(mid + (size_t)y * width, &px, out_width, dst + (size_t)y * dst_stride);
  }
done:
  taps_free(&tx);
  taps_free(&ty);
  glia_free(px.idx);
  glia_free(px.w);
  glia_free(mid);
  return s;
}
