/* glia filters on 8-bit gray planes and float planes: gray conversion, Gaussian, box, median,
 * bilateral, unsharp masking, Sobel, Scharr, Canny, Laplacian of Gaussian, histogram
 * equalisation, gamma, min-max and z-score normalisation, local entropy, resizing.
 *
 * A "plane" is one channel, rows packed (stride = width). Unless said otherwise, dst may not
 * alias src, sizes are 1..65536 per side, and a function returns GLIA_ERR_ARGUMENT for NULL
 * pointers or bad sizes and GLIA_ERR_NOMEM when scratch memory cannot be allocated. */
#ifndef GLIA_FILTER_H
#define GLIA_FILTER_H

#include <stdint.h>

#include "glia/core.h"
#include "glia/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One 8-bit gray channel from a decoded image: 1 channel copied; 3 or 4 channels (RGB order,
 * alpha ignored) by OpenCV 4.6's fixed-point BT.601 weights, gray = (9798 R + 19235 G + 3735 B +
 * 16384) >> 15, identical to cv2.cvtColor(..., COLOR_RGB2GRAY). Caller frees *out. */
GLIA_API glia_status glia_image_u8_to_gray(const glia_image_u8 *img, glia_image_u8 **out);

/* Gaussian blur as cv2.GaussianBlur(src, (ksize, ksize), sigma) with BORDER_REFLECT_101.
 * ksize odd >= 1, or 0 to derive it from sigma (round(6σ+1) | 1); sigma <= 0 derives sigma
 * from ksize (0.3·((ksize−1)/2 − 1) + 0.8). Computed in float: within ±1 of OpenCV's
 * fixed-point result. dst may equal src. */
GLIA_API glia_status glia_gaussian_blur_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                           int ksize, double sigma);

/* Gaussian blur of a float plane, same kernel and border rule. dst may equal src. */
GLIA_API glia_status glia_gaussian_blur_f32(const float *src, float *dst, int width, int height,
                                            int ksize, double sigma);

/* Mean over a ksize×ksize box (odd ksize), as cv2.blur / boxFilter with the given border:
 * replicate != 0 uses BORDER_REPLICATE, else BORDER_REFLECT_101; rounded half to even. */
GLIA_API glia_status glia_box_blur_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                      int ksize, int replicate);

/* Median over a ksize×ksize window (odd ksize, 3..255), BORDER_REPLICATE, as cv2.medianBlur:
 * identical results. */
GLIA_API glia_status glia_median_blur_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                         int ksize);

/* Bilateral filter as cv2.bilateralFilter(src, d, sigma_color, sigma_space): window diameter
 * d (d <= 0: 2·round(1.5·sigma_space)+1), disc-shaped, BORDER_REFLECT_101; within ±1. */
GLIA_API glia_status glia_bilateral_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                       int d, double sigma_color, double sigma_space);

/* Unsharp masking: dst = src + amount·(src − Gaussian(src, sigma)), rounded and clamped; the
 * same as cv2.addWeighted(src, 1+amount, GaussianBlur(src,(0,0),sigma), −amount, 0). */
GLIA_API glia_status glia_unsharp_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                     double sigma, double amount);

/* First derivatives with 3×3 Sobel (scharr = 0) or Scharr (scharr = 1) kernels, as
 * cv2.Sobel/cv2.Scharr(src, CV_16S, ...) with BORDER_REFLECT_101: identical. dx or dy may be
 * NULL to skip it. */
GLIA_API glia_status glia_sobel_u8(const uint8_t *src, int16_t *dx, int16_t *dy, int width,
                                   int height, int scharr);

/* Gradient magnitude sqrt(dx² + dy²) of the Sobel (or Scharr) derivatives, scaled by `scale`
 * and saturated to 8 bits. */
GLIA_API glia_status glia_gradient_magnitude_u8(const uint8_t *src, uint8_t *dst, int width,
                                                int height, int scharr, double scale);

/* Canny edges as cv2.Canny(src, low, high) (3×3 Sobel, L1 magnitude, 8-connected hysteresis):
 * dst is 255 on edges, 0 elsewhere. low <= high. */
GLIA_API glia_status glia_canny_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                   double low, double high);

/* Laplacian of Gaussian of a float plane as scipy.ndimage.gaussian_laplace(src, sigma)
 * (Gaussian second derivatives, truncate 4, mode "reflect"). sigma > 0. */
GLIA_API glia_status glia_log_f32(const float *src, float *dst, int width, int height,
                                  double sigma);

/* Histogram equalisation as cv2.equalizeHist: identical. dst may equal src. */
GLIA_API glia_status glia_equalize_hist_u8(const uint8_t *src, uint8_t *dst, int width, int height);

/* Gamma correction: dst = round(255·(src/255)^gamma). gamma > 0. dst may equal src. */
GLIA_API glia_status glia_gamma_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                   double gamma);

/* Min-max normalisation to [0, 1] using the pixels where mask != 0 (mask NULL: all pixels);
 * pixels outside the mask become 0. A constant region maps to 0. dst may equal src. */
GLIA_API glia_status glia_normalize_minmax_f32(const float *src, const uint8_t *mask, float *dst,
                                               int width, int height);

/* Z-score standardisation (x − mean)/std over the mask (population std; std 0 → 1); pixels
 * outside the mask become 0. GLIA_ERR_EMPTY when the mask is empty. dst may equal src. */
GLIA_API glia_status glia_standardize_f32(const float *src, const uint8_t *mask, float *dst,
                                          int width, int height);

/* Local Shannon entropy (bits) over a disk of radius radius_px, as
 * skimage.filters.rank.entropy(src, disk(radius_px)): pixels outside the image are not
 * counted. dst is float. */
GLIA_API glia_status glia_entropy_u8(const uint8_t *src, float *dst, int width, int height,
                                     int radius_px);

/* Resizes an 8-bit plane: area averaging when shrinking (as cv2.INTER_AREA), bilinear when
 * enlarging (as cv2.INTER_LINEAR); within ±1 of OpenCV. */
GLIA_API glia_status glia_resize_u8(const uint8_t *src, int width, int height, uint8_t *dst,
                                    int out_width, int out_height);

#ifdef __cplusplus
}
#endif
#endif
