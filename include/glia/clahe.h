/* glia CLAHE: contrast-limited adaptive histogram equalisation of 8-bit gray planes. */
#ifndef GLIA_CLAHE_H
#define GLIA_CLAHE_H

#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glia_clahe_opts {
  double clip_limit; /* relative clip limit as OpenCV's clipLimit (0: no clipping); default 2 */
  int tiles_x;       /* tiles across, 1..256; default 8 */
  int tiles_y;       /* tiles down, 1..256; default 8 */
} glia_clahe_opts;
#define GLIA_CLAHE_DEFAULTS                                                                        \
  { 2.0, 8, 8 }

/* CLAHE (K. Zuiderveld 1994) as cv2.createCLAHE(clip_limit, (tiles_x, tiles_y)).apply(src):
 * per-tile histograms clipped at clip_limit·tile_pixels/256 with OpenCV's redistribution,
 * tiles padded by reflection when the size is not a multiple, bilinear interpolation of the
 * tile maps. Within ±1 of OpenCV (float rounding order). dst may equal src. */
GLIA_API glia_status glia_clahe_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                   const glia_clahe_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
