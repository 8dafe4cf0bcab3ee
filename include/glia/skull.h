/* glia skull stripping: a brain mask from morphology and a morphological snake, with a
 * quality check. Off by default in `glia preprocess` (the study keeps the skull). */
#ifndef GLIA_SKULL_H
#define GLIA_SKULL_H

#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glia_skull_opts {
  double erode_pct;     /* first cut: the head mask eroded by this % of the head's width
                           (the scalp and skull); default 4 */
  double open_pct;      /* opening radius that breaks bridges between skull and brain, % of
                           the head's width; default 2 */
  int snake_iterations; /* Chan-Vese refinement inside the head (0: none); default 20 */
  double min_brain_pct; /* quality: brain area at least this % of the head; default 40 */
  double max_brain_pct; /* quality: at most this %; default 92 */
} glia_skull_opts;
#define GLIA_SKULL_DEFAULTS                                                                        \
  { 4.0, 2.0, 20, 40.0, 92.0 }

typedef struct glia_skull_report {
  int ok;            /* 1 when every quality check passed */
  double brain_pct;  /* brain area, % of the head area */
  double offset_pct; /* distance between brain and head centroids, % of the head width */
  double fill_pct;   /* brain area, % of its bounding box (a compact blob: >= 50) */
  char reason[128];  /* the failed check, or "ok" */
} glia_skull_report;

/* Brain mask of an 8-bit gray slice (mask: width·height bytes, 1 = brain):
 * 1. head = largest component of (Gaussian 5×5 blur > Otsu/3), holes filled;
 * 2. brain seed = head eroded by erode_pct % of its width, pixels above half Otsu's
 *    threshold, opened by open_pct %, largest component, holes filled;
 * 3. optional Chan-Vese refinement started from the seed, kept inside the eroded head.
 * Quality: brain in [min_brain_pct, max_brain_pct] % of the head, centroid within 10 % of
 * the head width of the head's, filling >= 50 % of its box. A failed check is reported, not
 * an error; an image without a head gives GLIA_ERR_EMPTY. report may be NULL. */
GLIA_API glia_status glia_skull_strip(const uint8_t *gray, int width, int height,
                                      const glia_skull_opts *opts, uint8_t *mask,
                                      glia_skull_report *report);

#ifdef __cplusplus
}
#endif
#endif
