/* glia phantoms: synthetic axial brain-MRI-like slices with exact ground truth (tumor mask),
 * and a small synthetic data set (yes/ and no/) with known duplicates and outliers. */
#ifndef GLIA_PHANTOM_H
#define GLIA_PHANTOM_H

#include <stdint.h>

#include "glia/core.h"
#include "glia/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glia_phantom_opts {
  int size;      /* width and height in pixels (256) */
  int tumor;     /* 1: draw a bright tumor */
  uint64_t seed; /* every shape, texture and noise value comes from this seed */
} glia_phantom_opts;
#define GLIA_PHANTOM_DEFAULTS                                                                      \
  { 256, 0, 1 }

/* Draws one 8-bit gray slice: black background, bright scalp ring, dark gap, textured
 * brain, dark ventricles and, with tumor, a bright lobulated mass. *img is a new image;
 * *mask (may be NULL) receives a new size×size 0/1 tumor mask. Caller frees both
 * (glia_image_u8_free, glia_free). */
GLIA_API glia_status glia_phantom_draw(const glia_phantom_opts *o, glia_image_u8 **img,
                                       uint8_t **mask);

typedef struct glia_phantom_set_opts {
  int n_yes, n_no;      /* images per class (20, 14) */
  int size;             /* 256 */
  uint64_t seed;        /* 1 */
  const char *mask_dir; /* when set, tumor masks are written there as NAME_mask.png */
  int specials;         /* 1: add the known cases below (needs n_yes ≥ 8 and n_no ≥ 6) */
} glia_phantom_set_opts;
#define GLIA_PHANTOM_SET_DEFAULTS                                                                  \
  { 20, 14, 256, 1, NULL, 1 }

/* Writes DIR/yes/yes_NNN.png and DIR/no/no_NNN.png. With specials, known cases to find:
 * yes_002 is a byte copy of yes_001 (exact duplicate); no_002 is no_001 rescaled to 80 %
 * with its contrast changed (near duplicate); yes_003 has a white background; yes_004 a
 * white frame; yes_005 white text marks in a corner; yes_006 is tiny (150 px); yes_007 is
 * tinted in colour; no_003 is stored as RGB with gray content. */
GLIA_API glia_status glia_phantom_write_set(const char *dir, const glia_phantom_set_opts *o);

#ifdef __cplusplus
}
#endif
#endif
