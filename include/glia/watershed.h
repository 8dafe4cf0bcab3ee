/* glia watershed segmentation: marker-based flooding, markers from h-maxima or seeds, and a
 * coloured region image. */
#ifndef GLIA_WATERSHED_H
#define GLIA_WATERSHED_H

#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Marker-based watershed (priority flood) of a float relief, as
 * skimage.segmentation.watershed(image, markers, connectivity, mask): pixels are flooded in
 * order of relief value, ties first come first served, each taking the label of the
 * neighbour it was reached from. markers: width·height int32, 0 = unlabelled, > 0 = seed
 * label. mask (may be NULL): only its nonzero pixels are flooded, the rest get 0.
 * connectivity 4 or 8. labels (width·height int32) may equal markers. */
GLIA_API glia_status glia_watershed(const float *image, const int32_t *markers, const uint8_t *mask,
                                    int width, int height, int connectivity, int32_t *labels);

/* Markers from h-maxima: the regional maxima of `relief` of height >= h (glia_h_maxima_f32),
 * labelled 8-connected in raster order. *n receives the number of markers. */
GLIA_API glia_status glia_markers_h_maxima(const float *relief, int width, int height, double h,
                                           int32_t *markers, int32_t *n);

/* Watershed of a binary mask's distance transform: markers are the h-maxima of the distance
 * (h in pixels, e.g. 2), the relief is the negated distance, flooding stays inside the mask.
 * Separates touching blobs. *n receives the number of regions. */
GLIA_API glia_status glia_watershed_distance(const uint8_t *mask, int width, int height, double h,
                                             int32_t *labels, int32_t *n);

/* Paints a label map as RGB (width·height·3 bytes): label 0 black (or the gray image when
 * gray is not NULL), each label a fixed colour from a 10-colour palette, blended 50 % with
 * gray when given. */
GLIA_API glia_status glia_labels_colorize(const int32_t *labels, const uint8_t *gray, int width,
                                          int height, uint8_t *rgb);

#ifdef __cplusplus
}
#endif
#endif
