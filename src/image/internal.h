/* Shared inside src/image: argument checks, border rules, scratch buffers. */
#ifndef GLIA_IMAGE_INTERNAL_H
#define GLIA_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <omp.h>

#include "glia/core.h"

/* OpenMP `if` clauses: a parallel region costs microseconds (far more when the cores are
 * busy), so cheap per-pixel kernels go parallel only from 2^17 pixels, costly ones (median,
 * bilateral, entropy: hundreds of operations per pixel) from 2^12. Inside an outer parallel
 * loop over images the regions run on one thread (no nesting). */
#define GLIA__PAR(w, h) if ((size_t)(w) * (size_t)(h) >= ((size_t)1 << 17))
#define GLIA__PAR_HEAVY(w, h) if ((size_t)(w) * (size_t)(h) >= ((size_t)1 << 12))

/* Whether a loop over w×h pixels should open a parallel region of its own: at least
 * 2^log2_min pixels, and not inside an active region already. Inside a batch command's loop
 * over images a nested region, even one an `if` clause keeps to one thread, still costs
 * libgomp futex calls (11,000 in one glia preprocess run on Kaggle, strace), so hot kernels
 * branch around the pragma with this instead. */
static inline int glia__spread(int w, int h, int log2_min) {
  return (size_t)w * (size_t)h >= ((size_t)1 << log2_min) && !omp_in_parallel();
}

/* Two builds of a hot pixel loop, the x86-64 baseline (SSE2) and AVX2, picked when the
 * program loads (GCC/clang target_clones). AVX2 here brings no FMA, so float loops round
 * exactly as the baseline does and both clones give the same bytes; the tests run the one
 * the CPU picks. Off under AddressSanitizer (ifunc resolvers run before it is set up). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define GLIA__CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GLIA__CLONES
#endif

/* Largest side glia's image kernels accept (keeps index arithmetic in int). */
#define GLIA__MAX_SIDE 65536

/* Checks a plane's pointers and size; records "WHAT: ..." and returns an error, or GLIA_OK. */
glia_status glia__check_plane(const char *what, const void *src, const void *dst, int width,
                              int height);

/* BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba): index i mapped into [0, n). n >= 1. */
static inline int glia__reflect101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) {
    if (i < 0) i = -i;
    if (i >= n) i = 2 * n - 2 - i;
  }
  return i;
}

/* BORDER_REFLECT (fedcba|abcdef|fedcba), scipy's "reflect": index mapped into [0, n). */
static inline int glia__reflect(int i, int n) {
  while (i < 0 || i >= n) {
    if (i < 0) i = -i - 1;
    if (i >= n) i = 2 * n - 1 - i;
  }
  return i;
}

/* BORDER_REPLICATE (aaaaaa|abcdefgh|hhhhhhh), scipy's "nearest". */
static inline int glia__clampi(int i, int n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

/* Rounds half to even like OpenCV's cvRound / saturate_cast<uchar>, clamped to [0, 255].
 * Adding and subtracting 1.5·2^23 (float) or 1.5·2^52 (double) rounds to the nearest
 * integer, ties to even, in the default rounding mode (C11 keeps the two operations without
 * -ffast-math); branch-free, so loops using it vectorise. NaN maps to 0. */
static inline uint8_t glia__sat_u8f(float v) {
  v = v > 0.f ? v : 0.f;
  v = v < 255.f ? v : 255.f;
  return (uint8_t)(int)((v + 12582912.0f) - 12582912.0f);
}

static inline uint8_t glia__sat_u8(double v) {
  v = v > 0. ? v : 0.;
  v = v < 255. ? v : 255.;
  return (uint8_t)(int)((v + 6755399441055744.0) - 6755399441055744.0);
}

typedef enum glia__border {
  GLIA__BORDER_REFLECT101 = 0,
  GLIA__BORDER_REFLECT = 1,
  GLIA__BORDER_REPLICATE = 2,
} glia__border;

static inline int glia__border_index(int i, int n, glia__border b) {
  switch (b) {
  case GLIA__BORDER_REFLECT: return glia__reflect(i, n);
  case GLIA__BORDER_REPLICATE: return glia__clampi(i, n);
  default: return glia__reflect101(i, n);
  }
}

/* Separable correlation of a float plane with kx along rows and ky down columns (nx, ny
 * odd, centred), float accumulation, one row at a time. dst may equal src. Returns
 * GLIA_ERR_NOMEM on allocation failure. */
glia_status glia__sep_filter_f32(const float *src, float *dst, int width, int height,
                                 const double *kx, int nx, const double *ky, int ny,
                                 glia__border border);

/* The same on 8-bit planes, the result rounded half to even and saturated. */
glia_status glia__sep_filter_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                const double *kx, int nx, const double *ky, int ny,
                                glia__border border);

/* glia_resize_u8 on strided planes (strides in bytes); sizes already checked. */
glia_status glia__resize_u8(const uint8_t *src, size_t src_stride, int width, int height,
                            uint8_t *dst, size_t dst_stride, int out_width, int out_height);

/* Gaussian taps as OpenCV's getGaussianKernel (ksize odd; sigma <= 0 derives it). */
void glia__gaussian_taps(int ksize, double sigma, double *taps);

/* Gaussian taps as scipy.ndimage.gaussian_filter1d (order 0, 1 or 2; radius = truncate·σ). */
int glia__scipy_gaussian_taps(double sigma, int order, double truncate, double *taps, int max);

/* Marks in `out` (0/1) the pixels with cand != 0 that are 4-connected through such pixels
 * to a seed: a cand pixel less than `margin` (>= 1) pixels from the image border.
 * GLIA_ERR_NOMEM on allocation failure. */
glia_status glia__flood_border(const uint8_t *cand, int width, int height, int margin,
                               uint8_t *out);

#endif
