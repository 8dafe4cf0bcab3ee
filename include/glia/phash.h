/* glia image fingerprints: gray conversion, area resize, perceptual hash (pHash) and
 * near-duplicate grouping by normalised cross-correlation. */
#ifndef GLIA_PHASH_H
#define GLIA_PHASH_H

#include <stddef.h>
#include <stdint.h>

#include "glia/core.h"
#include "glia/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Side of the thumbnails compared for near duplicates. */
#define GLIA_THUMB 64

/* 8-bit gray version of an image (caller frees): 1 channel copied; RGB by
 * Y = 0.299 R + 0.587 G + 0.114 B in OpenCV's fixed point (equal to cv2.cvtColor); RGBA
 * composited on black first (v·a/255), as a viewer shows it. NULL on no memory. */
GLIA_API glia_image_u8 *glia_u8_to_gray(const glia_image_u8 *img);

/* Area-average resize of the rectangle [x0,x1)×[y0,y1) of a gray image to dw×dh floats in
 * [0,255] (each output pixel the mean of its footprint, like cv2.INTER_AREA). */
GLIA_API glia_status glia_resize_area_gray(const glia_image_u8 *gray, int x0, int y0, int x1,
                                           int y1, float *dst, int dw, int dh);

/* What near-duplicate search keeps of one image. */
typedef struct glia_fingerprint {
  uint64_t phash;      /* pHash of the whole image */
  uint64_t phash_crop; /* pHash of the content box (padding and frames removed) */
  int crop[4];         /* content box x0, y0, x1, y1 (end exclusive) */
  /* GLIA_THUMB² thumbnails, zero mean and unit norm (all zero for a constant image), so
   * that a dot product is the Pearson correlation. */
  float thumb[GLIA_THUMB * GLIA_THUMB];
  float thumb_crop[GLIA_THUMB * GLIA_THUMB];
} glia_fingerprint;

/* pHash (Zauner 2010): 32×32 area resize, 2-D DCT-II, the top-left 8×8 coefficients
 * compared with their median, bit 63 first in row-major order. */
GLIA_API uint64_t glia_phash(const glia_image_u8 *gray, int x0, int y0, int x1, int y1);

/* Computes the fingerprint of a gray image. The content box holds the pixels differing by
 * more than 25 from the median of the border pixels (the whole image if none). */
GLIA_API glia_status glia_fingerprint_compute(const glia_image_u8 *gray, glia_fingerprint *fp);

/* Number of differing bits. */
GLIA_API int glia_hamming64(uint64_t a, uint64_t b);

/* Smallest Hamming distance between the four hash pairs (full/crop × full/crop). */
GLIA_API int glia_fingerprint_hamming(const glia_fingerprint *a, const glia_fingerprint *b);

/* Pearson correlation of the thumbnails: the larger of whole-vs-whole and crop-vs-crop. */
GLIA_API double glia_fingerprint_ncc(const glia_fingerprint *a, const glia_fingerprint *b);

typedef enum glia_dup_kind {
  GLIA_DUP_EXACT = 0, /* identical bytes (same SHA-256) */
  GLIA_DUP_NEAR = 1,  /* the same picture re-encoded, rescaled, cropped or re-contrasted */
} glia_dup_kind;

typedef struct glia_dup_opts {
  int max_hamming; /* candidate pairs: smallest pHash distance at most this (default 16) */
  double min_ncc;  /* confirmed pairs: thumbnail correlation at least this (default 0.95) */
} glia_dup_opts;
#define GLIA_DUP_DEFAULTS                                                                          \
  { 16, 0.95 }

typedef struct glia_dup_group {
  glia_dup_kind kind;
  size_t *members; /* indices into the arrays given, ascending */
  size_t n;
} glia_dup_group;

/* Groups n images into duplicate groups. Exact groups: identical SHA-256 (size ≥ 2).
 * Near groups: connected components of exact pairs and confirmed near pairs that hold at
 * least two different byte contents (so an exact group can also sit inside a near group).
 * `fps` may be NULL (exact groups only). Caller frees with glia_dup_groups_free. */
GLIA_API glia_status glia_duplicates_group(size_t n, const uint8_t (*sha256)[32],
                                           const glia_fingerprint *fps, const glia_dup_opts *opts,
                                           glia_dup_group **groups, size_t *n_groups);
GLIA_API void glia_dup_groups_free(glia_dup_group *groups, size_t n);

#ifdef __cplusplus
}
#endif
#endif
