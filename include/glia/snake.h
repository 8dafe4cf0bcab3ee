/* glia morphological snakes: active contours without edges (ACWE, Chan-Vese) and the
 * geodesic active contour (GAC), by morphological operators (Márquez-Neila et al. 2014). */
#ifndef GLIA_SNAKE_H
#define GLIA_SNAKE_H

#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum glia_levelset {
  GLIA_LEVELSET_DEFAULT = 0,      /* checkerboard for ACWE, disk for GAC (as scikit-image) */
  GLIA_LEVELSET_CHECKERBOARD = 1, /* squares of checker_px, ((y/s) ^ (x/s)) & 1 */
  GLIA_LEVELSET_DISK = 2,         /* disk at the centre (h/2, w/2) of radius 3/8 of the short side
                                     (or radius_px when > 0) */
  GLIA_LEVELSET_MASK = 3,         /* init_mask (nonzero = inside) */
} glia_levelset;

typedef struct glia_snake_opts {
  int iterations;     /* default 100 */
  int smoothing;      /* curvature steps per iteration (SI∘IS / IS∘SI alternating); default 1 */
  double lambda1;     /* ACWE weight of the inside; default 1 */
  double lambda2;     /* ACWE weight of the outside; default 1 */
  double balloon;     /* GAC balloon force (>0 grows, <0 shrinks); default 0 */
  double threshold;   /* GAC: pixels of the edge image above it are not edges; < 0: the 40th
                         percentile of the edge image ("auto"); default −1 */
  glia_levelset init; /* default GLIA_LEVELSET_DEFAULT */
  int checker_px;     /* checkerboard square side; default 5 */
  double radius_px;   /* disk radius; <= 0: 3/8 of the short side; default 0 */
  const uint8_t *init_mask; /* for GLIA_LEVELSET_MASK: width·height bytes; default NULL */
} glia_snake_opts;
#define GLIA_SNAKE_DEFAULTS                                                                        \
  { 100, 1, 1.0, 1.0, 0.0, -1.0, GLIA_LEVELSET_DEFAULT, 5, 0.0, NULL }

/* Morphological Chan-Vese (ACWE) on a float plane, as
 * skimage.segmentation.morphological_chan_vese: mask (width·height bytes) receives 1 inside
 * the final contour, 0 outside. */
GLIA_API glia_status glia_snake_acwe(const float *image, int width, int height,
                                     const glia_snake_opts *opts, uint8_t *mask);

/* Morphological geodesic active contour on an edge-stopping image (small on edges, e.g.
 * glia_inverse_gaussian_gradient's output), as
 * skimage.segmentation.morphological_geodesic_active_contour. */
GLIA_API glia_status glia_snake_gac(const float *gimage, int width, int height,
                                    const glia_snake_opts *opts, uint8_t *mask);

/* Edge-stopping image 1/sqrt(1 + alpha·|∇(G_sigma * image)|), as
 * skimage.segmentation.inverse_gaussian_gradient (Gaussian derivatives, truncate 4, border
 * "nearest"). alpha > 0, sigma > 0. */
GLIA_API glia_status glia_inverse_gaussian_gradient(const float *image, float *out, int width,
                                                    int height, double alpha, double sigma);

#ifdef __cplusplus
}
#endif
#endif
