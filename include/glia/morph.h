/* glia mathematical morphology on 8-bit planes (gray or binary 0/1 or 0/255): erosion,
 * dilation, opening, closing, top-hat, gradient with disk, square and diamond structuring
 * elements; hole filling; connected components; the exact Euclidean distance transform;
 * reconstruction by dilation and h-maxima.
 *
 * Border rule: pixels outside the image are ignored (erosion takes the min and dilation the
 * max over the part of the element inside the image), which for these symmetric elements
 * equals scipy.ndimage/skimage's default "reflect" and OpenCV's default border. */
#ifndef GLIA_MORPH_H
#define GLIA_MORPH_H

#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum glia_strel_shape {
  GLIA_STREL_DISK = 0,    /* x² + y² <= r² (skimage.morphology.disk(r)) */
  GLIA_STREL_SQUARE = 1,  /* (2r+1)² square (skimage square(2r+1)) */
  GLIA_STREL_DIAMOND = 2, /* |x| + |y| <= r (skimage diamond(r)) */
} glia_strel_shape;

/* A structuring element: shape and radius in pixels (0..512; radius 0 is the identity). */
typedef struct glia_strel {
  glia_strel_shape shape;
  int radius_px;
} glia_strel;

typedef enum glia_morph_op {
  GLIA_MORPH_ERODE = 0,
  GLIA_MORPH_DILATE = 1,
  GLIA_MORPH_OPEN = 2,     /* erode then dilate */
  GLIA_MORPH_CLOSE = 3,    /* dilate then erode */
  GLIA_MORPH_TOPHAT = 4,   /* white top-hat: src − open(src) */
  GLIA_MORPH_BLACKHAT = 5, /* close(src) − src */
  GLIA_MORPH_GRADIENT = 6, /* dilate(src) − erode(src) */
} glia_morph_op;

/* Applies a morphological operation. Rectangles run in O(1) per pixel (van Herk/Gil-Werman),
 * disks and diamonds as unions of such row runs. dst may equal src. Results are identical to
 * skimage.morphology's (and scipy.ndimage.grey_*). */
GLIA_API glia_status glia_morph_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                   glia_morph_op op, glia_strel se);

/* Name of an op ("erode", ...) and its parser (returns -1 when unknown). */
GLIA_API const char *glia_morph_op_name(glia_morph_op op);
GLIA_API int glia_morph_op_parse(const char *name);

/* Fills holes of a binary mask in place: zero pixels not 4-connected to the border become 1
 * (as scipy.ndimage.binary_fill_holes). Nonzero pixels stay as they are. */
GLIA_API glia_status glia_fill_holes(uint8_t *mask, int width, int height);

/* One connected component. Boxes are [x0, x1) × [y0, y1) (end exclusive). */
typedef struct glia_component {
  int32_t label; /* 1..n */
  int64_t area;  /* pixels */
  int x0, y0, x1, y1;
  double cx, cy; /* centroid (mean x, mean y) */
} glia_component;

/* Labels the nonzero pixels of a mask with connectivity 4 or 8. labels (width·height int32)
 * receives 0 for background and 1..n in raster order of each component's first pixel (as
 * scipy.ndimage.label / skimage.measure.label). *comps (may be NULL to skip) receives a new
 * array of n components, caller frees with glia_free. */
GLIA_API glia_status glia_label(const uint8_t *mask, int width, int height, int connectivity,
                                int32_t *labels, glia_component **comps, int32_t *n);

/* Keeps only the largest 8-connected component of a mask (in place, values 0/1); ties go to
 * the lower label. *area receives its area (0 when the mask is empty); box may be NULL. */
GLIA_API glia_status glia_largest_component(uint8_t *mask, int width, int height, int64_t *area,
                                            glia_component *box);

/* Exact Euclidean distance transform (Felzenszwalb and Huttenlocher 2012): for each nonzero
 * pixel, the distance to the nearest zero pixel; 0 on zero pixels, as
 * scipy.ndimage.distance_transform_edt. dist holds width·height floats. A mask without zero
 * pixels has no defined distance: GLIA_ERR_EMPTY. */
GLIA_API glia_status glia_distance_transform(const uint8_t *mask, int width, int height,
                                             float *dist);

/* Grey reconstruction by dilation of marker under mask (marker <= mask pointwise, clamped
 * otherwise), 8-connected, as skimage.morphology.reconstruction(marker, mask) (Vincent
 * 1993, hybrid algorithm). Float planes; out may equal marker. */
GLIA_API glia_status glia_reconstruct_f32(const float *marker, const float *mask, float *out,
                                          int width, int height);

/* Regional maxima of height >= h, as skimage.morphology.h_maxima(src, h): out is 1 on them,
 * 0 elsewhere. h > 0. */
GLIA_API glia_status glia_h_maxima_f32(const float *src, uint8_t *out, int width, int height,
                                       double h);

#ifdef __cplusplus
}
#endif
#endif
