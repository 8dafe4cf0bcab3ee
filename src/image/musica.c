/* Gaussian/Laplacian pyramids (P. Burt and E. Adelson 1983) with OpenCV's pyrDown/pyrUp
 * kernel and border rules, and MUSICA (P. Vuylsteke and E. Schoeters, SPIE 2167, 1994):
 * a power-law gain on every Laplacian detail level before reconstruction. */
#include <math.h>
#include <string.h>

#include "glia/musica.h"
#include "image/internal.h"

/* pyrDown with caller scratch `rows` of ((width+1)/2)·height floats. */
static void pyr_down(const float *src, int width, int height, float *dst, float *rows) {
  int ow = (width + 1) / 2, oh = (height + 1) / 2;
  static const float k[5] = {1, 4, 6, 4, 1};
#pragma omp parallel for schedule(static) GLIA__PAR(width, height)
  for (int y = 0; y < height; y++) {
    const float *r = src + (size_t)y * width;
    float *o = rows + (size_t)y * ow;
    for (int x = 0; x < ow; x++) {
      int c = 2 * x;
      float acc;
      if (c >= 2 && c + 2 < width)
        acc = r[c - 2] + 4 * r[c - 1] + 6 * r[c] + 4 * r[c + 1] + r[c + 2];
      else {
        acc = 0;
        for (int j = 0; j < 5; j++) acc += k[j] * r[glia__reflect101(c + j - 2, width)];
      }
      o[x] = acc;
    }
  }
#pragma omp parallel for schedule(static) GLIA__PAR(width, height)
  for (int y = 0; y < oh; y++) {
    const float *r[5];
    for (int j = 0; j < 5; j++) r[j] = rows + (size_t)glia__reflect101(2 * y + j - 2, height) * ow;
    float *o = dst + (size_t)y * ow;
    for (int x = 0; x < ow; x++)
      o[x] = (r[0][x] + 4 * r[1][x] + 6 * r[2][x] + 4 * r[3][x] + r[4][x]) * (1.f / 256);
  }
}

glia_status glia_pyr_down_f32(const float *src, int width, int height, float *dst) {
  glia_status s = glia__check_plane("pyramid down", src, dst, width, height);
  if (s) return s;
  float *rows = glia_malloc((size_t)((width + 1) / 2) * height * sizeof(float));
  if (!rows) return glia_error(GLIA_ERR_NOMEM, "pyramid down: out of memory");
  pyr_down(src, width, height, dst, rows);
  glia_free(rows);
  return GLIA_OK;
}

/* 1-D expansion by OpenCV's pyrUp rule: even outputs (s[i−1] + 6 s[i] + s[i+1]), odd ones
 * 4 (s[i] + s[i+1]); the left border reflects (s[−1] = s[1]), the right one replicates. Not
 * divided by 8. */
static inline float up_tap(const float *s, size_t step, int n, int o) {
  int i = o / 2;
  float c = s[(size_t)i * step];
  float nx = i + 1 < n ? s[(size_t)(i + 1) * step] : c;
  if (o & 1) return 4 * (c + nx);
  float pv = i > 0 ? s[(size_t)(i - 1) * step] : (n > 1 ? s[step] : c);
  return pv + 6 * c + nx;
}

/* pyrUp with caller scratch `rows` of out_width·height floats. */
static void pyr_up(const float *src, int width, int height, float *dst, int out_width,
                   int out_height, float *rows) {
#pragma omp parallel for schedule(static) GLIA__PAR(width, height)
  for (int y = 0; y < height; y++)
    for (int x = 0; x < out_width; x++)
      rows[(size_t)y * out_width + x] = up_tap(src + (size_t)y * width, 1, width, x);
#pragma omp parallel for schedule(static) GLIA__PAR(width, height)
  for (int y = 0; y < out_height; y++)
    for (int x = 0; x < out_width; x++)
      dst[(size_t)y * out_width + x] = up_tap(rows + x, (size_t)out_width, height, y) * (1.f / 64);
}

glia_status glia_pyr_up_f32(const float *src, int width, int height, float *dst, int out_width,
                            int out_height) {
  glia_status s = glia__check_plane("pyramid up", src, dst, width, height);
  if (s) return s;
  if ((out_width != 2 * width && out_width != 2 * width - 1) ||
      (out_height != 2 * height && out_height != 2 * height - 1))
    return glia_error(GLIA_ERR_ARGUMENT,
                      "pyramid up: output %d×%d from %d×%d, expected twice the size (or one less)",
                      out_width, out_height, width, height);
  float *rows = glia_malloc((size_t)out_width * height * sizeof(float));
  if (!rows) return glia_error(GLIA_ERR_NOMEM, "pyramid up: out of memory");
  pyr_up(src, width, height, dst, out_width, out_height, rows);
  glia_free(rows);
  return GLIA_OK;
}

/* The MUSICA gain curve on one detail level, in place. a·(|x|/M)^p comes from `lut`
 * (GAIN_LUT + 2 entries of a·(j/GAIN_LUT)^p, built once per call) with linear
 * interpolation: the error, h²/8·|f''| at the joint c·M, is below 5e-6·M for c >= 1 % and
 * p in (0, 1], far under the 1/255 step of an 8-bit output. */
#define GAIN_LUT 1024
static void amplify_level(float *restrict l, size_t n, const float *restrict lut, float slope,
                          float c) {
  float m = 0;
  for (size_t i = 0; i < n; i++) m = fabsf(l[i]) > m ? fabsf(l[i]) : m;
  if (!(m > 0)) return;
  float scale = GAIN_LUT / m, joint = c * GAIN_LUT;
  for (size_t i = 0; i < n; i++) {
    float x = l[i], t = fabsf(x) * scale;
    int j = (int)t;
    j = j > GAIN_LUT ? GAIN_LUT : j;
    float f = t - (float)j, v = m * (lut[j] + f * (lut[j + 1] - lut[j]));
    l[i] = t < joint ? slope * x : (x < 0 ? -v : v);
  }
}

static glia_status check_opts(const glia_musica_opts *o) {
  if (o->levels < 1 || o->levels > 12)
    return glia_error(GLIA_ERR_ARGUMENT, "musica: %d levels, expected 1..12", o->levels);
  if (!(o->power > 0 && o->power <= 1) || !(o->gain > 0 && o->gain <= 100) ||
      !(o->noise_pct >= 0 && o->noise_pct < 100))
    return glia_error(GLIA_ERR_ARGUMENT,
                      "musica: power %g gain %g noise %g%%, expected power in (0,1], gain in "
                      "(0,100], noise in [0,100)",
                      o->power, o->gain, o->noise_pct);
  return GLIA_OK;
}

/* MUSICA in place on g0 (width·height floats). All scratch in one allocation. */
static glia_status musica(float *g0, int width, int height, const glia_musica_opts *o) {
  /* Fewer levels when the image is small: the coarsest plane keeps at least 2 pixels a side. */
  int levels = 0, ws[13], hs[13];
  ws[0] = width;
  hs[0] = height;
  while (levels < o->levels && ws[levels] >= 4 && hs[levels] >= 4) {
    ws[levels + 1] = (ws[levels] + 1) / 2;
    hs[levels + 1] = (hs[levels] + 1) / 2;
    levels++;
  }
  size_t n = (size_t)width * height, total = 2 * n + (size_t)width; /* tmp + rows */
  for (int k = 1; k <= levels; k++) total += (size_t)ws[k] * hs[k];
  float *arena = glia_malloc(total * sizeof(float)), *g[13] = {g0};
  if (!arena)
    return glia_error(GLIA_ERR_NOMEM, "musica: out of memory for a %d×%d pyramid", width, height);
  float *tmp = arena, *rows = arena + n, *next = rows + n + width;
  for (int k = 1; k <= levels; k++) {
    g[k] = next;
    next += (size_t)ws[k] * hs[k];
  }
  float lut[GAIN_LUT + 2];
  for (int j = 0; j <= GAIN_LUT; j++)
    lut[j] = (float)(o->gain * pow((double)j / GAIN_LUT, o->power));
  lut[GAIN_LUT + 1] = lut[GAIN_LUT];
  double c = o->noise_pct / 100;
  /* Below c·M the curve is the line through 0 that meets the power law at c·M. */
  float slope = c > 0 ? (float)(o->gain * pow(c, o->power - 1)) : 0.f;
  for (int k = 0; k < levels; k++) pyr_down(g[k], ws[k], hs[k], g[k + 1], rows);
  /* Turn g[k] into the Laplacian level g[k] − up(g[k+1]) (finest first keeps g[k+1] intact). */
  for (int k = 0; k < levels; k++) {
    pyr_up(g[k + 1], ws[k + 1], hs[k + 1], tmp, ws[k], hs[k], rows);
    size_t m = (size_t)ws[k] * hs[k];
    for (size_t i = 0; i < m; i++) g[k][i] -= tmp[i];
    if (o->amplify) amplify_level(g[k], m, lut, slope, (float)c);
  }
  for (int k = levels - 1; k >= 0; k--) {
    pyr_up(g[k + 1], ws[k + 1], hs[k + 1], tmp, ws[k], hs[k], rows);
    size_t m = (size_t)ws[k] * hs[k];
    for (size_t i = 0; i < m; i++) g[k][i] += tmp[i];
  }
  float bl = (float)o->black_level;
  for (size_t i = 0; i < n; i++) g0[i] = g0[i] < bl ? 0.f : g0[i];
  glia_free(arena);
  return GLIA_OK;
}

glia_status glia_musica_f32(const float *src, float *dst, int width, int height,
                            const glia_musica_opts *opts) {
  glia_status s = glia__check_plane("musica", src, dst, width, height);
  if (s) return s;
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  if (opts) o = *opts;
  if ((s = check_opts(&o))) return s;
  if (dst != src) memcpy(dst, src, (size_t)width * height * sizeof(float));
  return musica(dst, width, height, &o);
}

glia_status glia_musica_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                           const glia_musica_opts *opts) {
  glia_status s = glia__check_plane("musica", src, dst, width, height);
  if (s) return s;
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  if (opts) o = *opts;
  if ((s = check_opts(&o))) return s;
  size_t n = (size_t)width * height;
  float *f = glia_malloc(n * sizeof(float));
  if (!f) return glia_error(GLIA_ERR_NOMEM, "musica: out of memory");
  for (size_t i = 0; i < n; i++) f[i] = src[i] * (1.f / 255);
  s = musica(f, width, height, &o);
  if (!s)
    for (size_t i = 0; i < n; i++) dst[i] = glia__sat_u8f(f[i] * 255.f);
  glia_free(f);
  return s;
}
