/* Linear filters: gray conversion, separable Gaussian and box filters, unsharp masking,
 * Laplacian of Gaussian, resizing. Kernels and border rules follow OpenCV 4.6
 * (getGaussianKernel, BORDER_REFLECT_101) and scipy.ndimage (gaussian_filter1d). */
#include <math.h>
#include <string.h>

#include "glia/filter.h"
#include "image/internal.h"

glia_status glia__check_plane(const char *what, const void *src, const void *dst, int width,
                              int height) {
  if (!src || !dst) return glia_error(GLIA_ERR_ARGUMENT, "%s: NULL image buffer", what);
  if (width < 1 || height < 1 || width > GLIA__MAX_SIDE || height > GLIA__MAX_SIDE)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: image size %d×%d, expected 1..%d per side", what,
                      width, height, GLIA__MAX_SIDE);
  if ((size_t)width * (size_t)height > (size_t)INT32_MAX)
    return glia_error(GLIA_ERR_TOO_LARGE, "%s: %d×%d pixels, expected at most %d", what, width,
                      height, INT32_MAX);
  return GLIA_OK;
}

/* OpenCV's BT.601 fixed-point weights (cvtColor RGB2GRAY), `c` interleaved channels. The
 * x86-64 baseline (SSE2) cannot vectorise the stride-3 loads, AVX2 can. */
GLIA__CLONES static void gray_rows(const uint8_t *restrict src, uint8_t *restrict dst, size_t n,
                                   int c) {
  if (c == 3) {
    for (size_t i = 0; i < n; i++, src += 3)
      dst[i] = (uint8_t)((9798 * src[0] + 19235 * src[1] + 3735 * src[2] + 16384) >> 15);
  } else {
    for (size_t i = 0; i < n; i++, src += 4)
      dst[i] = (uint8_t)((9798 * src[0] + 19235 * src[1] + 3735 * src[2] + 16384) >> 15);
  }
}

glia_status glia_image_u8_to_gray(const glia_image_u8 *img, glia_image_u8 **out) {
  if (!img || !out || !img->data) return glia_error(GLIA_ERR_ARGUMENT, "gray: NULL image");
  if (img->channels != 1 && img->channels != 3 && img->channels != 4)
    return glia_error(GLIA_ERR_ARGUMENT, "gray: %d channels, expected 1, 3 or 4", img->channels);
  glia_image_u8 *g = glia_image_u8_new(img->width, img->height, 1);
  if (!g) return GLIA_ERR_NOMEM;
  size_t n = (size_t)img->width * img->height;
  int c = img->channels;
  if (c == 1) {
    memcpy(g->data, img->data, n);
  } else {
    gray_rows(img->data, g->data, n, c);
  }
  *out = g;
  return GLIA_OK;
}

void glia__gaussian_taps(int ksize, double sigma, double *taps) {
  /* OpenCV's fixed small kernels, used when sigma is not given. */
  static const double k1[] = {1}, k3[] = {0.25, 0.5, 0.25},
                      k5[] = {0.0625, 0.25, 0.375, 0.25, 0.0625},
                      k7[] = {0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125};
  if (sigma <= 0 && ksize <= 7) {
    const double *k = ksize == 1 ? k1 : ksize == 3 ? k3 : ksize == 5 ? k5 : k7;
    memcpy(taps, k, (size_t)ksize * sizeof *taps);
    return;
  }
  if (sigma <= 0) sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
  double s2 = -0.5 / (sigma * sigma), sum = 0;
  for (int i = 0; i < ksize; i++) {
    double x = i - (ksize - 1) * 0.5;
    taps[i] = exp(s2 * x * x);
    sum += taps[i];
  }
  for (int i = 0; i < ksize; i++) taps[i] /= sum;
}

int glia__scipy_gaussian_taps(double sigma, int order, double truncate, double *taps, int max) {
  int r = (int)(truncate * sigma + 0.5);
  if (2 * r + 1 > max) return -1;
  double s2 = sigma * sigma, sum = 0;
  for (int i = -r; i <= r; i++) sum += (taps[i + r] = exp(-0.5 * i * i / s2));
  for (int i = -r; i <= r; i++) {
    double phi = taps[i + r] / sum, x = i;
    /* scipy correlates with the kernel reversed: derivative taps are flipped. */
    if (order == 1)
      taps[i + r] = -x / s2 * phi;
    else if (order == 2)
      taps[i + r] = (x * x / (s2 * s2) - 1 / s2) * phi;
    else
      taps[i + r] = phi;
  }
  if (order == 1)
    for (int i = 0; i < r; i++) {
      double t = taps[i];
      taps[i] = taps[2 * r - i];
      taps[2 * r - i] = t;
    }
  return 2 * r + 1;
}

static glia_status gaussian_ksize(const char *what, int *ksize, double sigma) {
  if (*ksize == 0) {
    if (!(sigma > 0) || sigma > 1000)
      return glia_error(GLIA_ERR_ARGUMENT, "%s: sigma %g, expected in (0, 1000] when ksize is 0",
                        what, sigma);
    *ksize = ((int)lround(sigma * 6 + 1)) | 1;
  }
  if (*ksize < 1 || *ksize % 2 == 0 || *ksize > 2001)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: kernel size %d, expected odd in 1..2001", what,
                      *ksize);
  return GLIA_OK;
}

glia_status glia_gaussian_blur_f32(const float *src, float *dst, int width, int height, int ksize,
                                   double sigma) {
  glia_status s = glia__check_plane("gaussian", src, dst, width, height);
  if (s || (s = gaussian_ksize("gaussian", &ksize, sigma))) return s;
  double *taps = glia_malloc((size_t)ksize * sizeof(double));
  if (!taps) return glia_error(GLIA_ERR_NOMEM, "gaussian: out of memory");
  glia__gaussian_taps(ksize, sigma, taps);
  s = glia__sep_filter_f32(src, dst, width, height, taps, ksize, taps, ksize,
                           GLIA__BORDER_REFLECT101);
  glia_free(taps);
  return s;
}

glia_status glia_gaussian_blur_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                  int ksize, double sigma) {
  glia_status s = glia__check_plane("gaussian", src, dst, width, height);
  if (s || (s = gaussian_ksize("gaussian", &ksize, sigma))) return s;
  double *taps = glia_malloc((size_t)ksize * sizeof(double));
  if (!taps) return glia_error(GLIA_ERR_NOMEM, "gaussian: out of memory");
  glia__gaussian_taps(ksize, sigma, taps);
  s = glia__sep_filter_u8(src, dst, width, height, taps, ksize, taps, ksize,
                          GLIA__BORDER_REFLECT101);
  glia_free(taps);
  return s;
}

glia_status glia_box_blur_u8(const uint8_t *src, uint8_t *dst, int width, int height, int ksize,
                             int replicate) {
  glia_status s = glia__check_plane("box blur", src, dst, width, height);
  if (s) return s;
  if (ksize < 1 || ksize % 2 == 0 || ksize > 4001)
    return glia_error(GLIA_ERR_ARGUMENT, "box blur: kernel size %d, expected odd in 1..4001",
                      ksize);
  glia__border b = replicate ? GLIA__BORDER_REPLICATE : GLIA__BORDER_REFLECT101;
  int r = ksize / 2;
  size_t n = (size_t)width * height;
  int32_t *rows = glia_malloc(n * sizeof(int32_t));
  if (!rows) return glia_error(GLIA_ERR_NOMEM, "box blur: out of memory");
    /* Integer running sums: the exact box sum, then one rounding (k² is odd, so no ties). */
#pragma omp parallel for schedule(static) GLIA__PAR(width, height)
  for (int y = 0; y < height; y++) {
    const uint8_t *sr = src + (size_t)y * width;
    int32_t *o = rows + (size_t)y * width, acc = 0;
    for (int k = -r; k <= r; k++) acc += sr[glia__border_index(k, width, b)];
    for (int x = 0; x < width; x++) {
      o[x] = acc;
      acc += sr[glia__border_index(x + r + 1, width, b)] - sr[glia__border_index(x - r, width, b)];
    }
  }
  double inv = 1.0 / ((double)ksize * ksize);
  int fail = 0;
#pragma omp parallel GLIA__PAR(width, height)
  {
    int32_t *acc = glia_malloc((size_t)width * sizeof(int32_t));
#pragma omp for schedule(static)
    for (int y = 0; y < height; y++) {
      if (!acc) continue;
      memset(acc, 0, (size_t)width * sizeof(int32_t));
      for (int k = -r; k <= r; k++) {
        const int32_t *t = rows + (size_t)glia__border_index(y + k, height, b) * width;
        for (int x = 0; x < width; x++) acc[x] += t[x];
      }
      uint8_t *d = dst + (size_t)y * width;
      for (int x = 0; x < width; x++) d[x] = glia__sat_u8(acc[x] * inv);
    }
    if (!acc) {
#pragma omp atomic write
      fail = 1;
    }
    glia_free(acc);
  }
  glia_free(rows);
  return fail ? glia_error(GLIA_ERR_NOMEM, "box blur: out of memory") : GLIA_OK;
}

glia_status glia_unsharp_u8(const uint8_t *src, uint8_t *dst, int width, int height, double sigma,
                            double amount) {
  glia_status s = glia__check_plane("unsharp", src, dst, width, height);
  if (s) return s;
  if (!(amount >= 0) || amount > 100)
    return glia_error(GLIA_ERR_ARGUMENT, "unsharp: amount %g, expected in [0, 100]", amount);
  size_t n = (size_t)width * height;
  uint8_t *blur = glia_malloc(n);
  if (!blur) return glia_error(GLIA_ERR_NOMEM, "unsharp: out of memory");
  s = glia_gaussian_blur_u8(src, blur, width, height, 0, sigma);
  if (!s)
    for (size_t i = 0; i < n; i++) dst[i] = glia__sat_u8((1 + amount) * src[i] - amount * blur[i]);
  glia_free(blur);
  return s;
}

glia_status glia_log_f32(const float *src, float *dst, int width, int height, double sigma) {
  glia_status s = glia__check_plane("laplacian of gaussian", src, dst, width, height);
  if (s) return s;
  if (!(sigma > 0) || sigma > 200)
    return glia_error(GLIA_ERR_ARGUMENT, "laplacian of gaussian: sigma %g, expected in (0, 200]",
                      sigma);
  int max = 2 * (int)(4 * sigma + 0.5) + 1;
  size_t n = (size_t)width * height;
  double *g0 = glia_malloc((size_t)max * sizeof(double)),
         *g2 = glia_malloc((size_t)max * sizeof(double));
  float *a = glia_malloc(n * sizeof(float));
  if (!g0 || !g2 || !a) {
    s = glia_error(GLIA_ERR_NOMEM, "laplacian of gaussian: out of memory");
    goto done;
  }
  int k = glia__scipy_gaussian_taps(sigma, 0, 4.0, g0, max);
  glia__scipy_gaussian_taps(sigma, 2, 4.0, g2, max);
  /* gaussian_laplace = d²/dx² (x-axis order 2, y order 0) + d²/dy². */
  s = glia__sep_filter_f32(src, a, width, height, g2, k, g0, k, GLIA__BORDER_REFLECT);
  if (!s) s = glia__sep_filter_f32(src, dst, width, height, g0, k, g2, k, GLIA__BORDER_REFLECT);
  if (!s)
    for (size_t i = 0; i < n; i++) dst[i] += a[i];
done:
  glia_free(g0);
  glia_free(g2);
  glia_free(a);
  return s;
}
