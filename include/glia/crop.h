/* glia background cleanup and head cropping of brain-MRI slices. */
#ifndef GLIA_CROP_H
#define GLIA_CROP_H

#include <stdint.h>

#include "glia/core.h"
#include "glia/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glia_cleanup_opts {
  int background;       /* turn a white background (border median >= 128) black; default 1 */
  int background_min;   /* gray level from which background pixels are flooded; default 128 */
  int frame;            /* remove a bright frame connected to the border; default 1 */
  int frame_min;        /* frame pixels have every channel in [frame_min, 255]; default 220 */
  int marks;            /* remove small bright components outside the head; default 1 */
  double marks_max_pct; /* a mark covers at most this % of the image; default 2 */
} glia_cleanup_opts;
#define GLIA_CLEANUP_DEFAULTS                                                                      \
  { 1, 128, 1, 220, 1, 2.0 }

/* What glia_cleanup changed. */
typedef struct glia_cleanup_report {
  int white_background; /* 1 when a white background was found and turned black */
  long background_px;   /* pixels set black as background */
  long frame_px;        /* pixels set black as frame (after the 3×3 dilation) */
  int marks;            /* marks (components) removed */
  long marks_px;        /* their pixels (dilated 3×3) set black */
} glia_cleanup_report;

/* Cleans an 8-bit image in place (1, 3 or 4 channels; alpha left alone):
 * 1. white background: when the median gray of the border band 8 % of the short side wide is
 *    >= 128, the outer band (2 %, at least 2 px) and the pixels with gray >= background_min
 *    4-connected to it are set black (flooded from the border, so anything enclosed by a
 *    darker outline, skull and brain included, is left alone);
 * 2. frame: bright pixels (every channel in [frame_min, 255]) of the lines along the border
 *    (rows and columns within 4 % of the short side, at least 3 px, of each side) that are at
 *    least half bright, and the bright pixels 4-connected to them within that band, the mask
 *    dilated 3×3, are set black (bright tissue merely touching the border stays). A line
 *    whose median gray is >= 120 and 60 above one of the 3 lines inside it is a frame line
 *    too (its pixels >= 120 are frame): frames a little darker than frame_min;
 * 3. marks: on the Otsu mask of the blurred gray image, 8-connected components smaller than
 *    1 % and marks_max_pct % of the image, lying entirely outside the box of the components
 *    above 1 % (the head), on a dark surround (the rest of their box grown by 2 px averages
 *    below half Otsu's threshold), are set black (dilated 3×3).
 * report may be NULL. */
GLIA_API glia_status glia_cleanup(glia_image_u8 *img, const glia_cleanup_opts *opts,
                                  glia_cleanup_report *report);

typedef enum glia_crop_method {
  GLIA_CROP_NONE = 0, /* keep the whole image */
  GLIA_CROP_HARD = 1, /* Gaussian blur + Otsu's global threshold */
  GLIA_CROP_SOFT = 2, /* milder blur + adaptive (local) threshold */
  GLIA_CROP_AUTO = 3, /* hard unless Otsu finds nothing, covers > 90 % of the image, or
                         rings it (touches all sides, fills < half); the reason is recorded */
} glia_crop_method;

/* "none", "hard", "soft", "auto"; parser returns -1 when unknown. */
GLIA_API const char *glia_crop_method_name(glia_crop_method m);
GLIA_API int glia_crop_method_parse(const char *name);

typedef struct glia_crop_opts {
  glia_crop_method method; /* default GLIA_CROP_AUTO */
  int hard_ksize;          /* Gaussian kernel of the hard crop (odd); default 5 */
  int soft_ksize;          /* Gaussian kernel of the soft crop (odd); default 3 */
  int block_size;          /* adaptive threshold block (odd >= 3; 0: about 1/8 of the short
                              side); default 0 */
  double offset;           /* adaptive threshold offset C (foreground: src > mean − C);
                              default −2 */
  int adaptive_gaussian;   /* 1: Gaussian-weighted local mean, 0: box mean; default 1 */
  double padding_pct;      /* box padding, % of the box's width/height on each side;
                              default 2 */
  double min_kept_pct;     /* the box must keep this % of the head, else it is widened;
                              default 99 */
  int analysis_px;         /* the box is searched on a copy shrunk (area averaging) so its
                              longer side is at most this (the box is then accurate to
                              about 1/192 of the image); 0: full size; default 192 */
} glia_crop_opts;
#define GLIA_CROP_DEFAULTS                                                                         \
  { GLIA_CROP_AUTO, 5, 3, 0, -2.0, 1, 2.0, 99.0, 192 }

typedef struct glia_crop_result {
  int x0, y0, x1, y1;      /* crop box in input pixels, end exclusive */
  glia_crop_method method; /* the method used (hard or soft under auto) */
  char reason[160];        /* why, in words (auto's choice, widening, empty) */
  double head_kept_pct;    /* % of the head estimate inside the box */
  int empty;               /* 1 when no head was found: the box is the whole image */
  int threshold;           /* Otsu's threshold of the blurred image */
} glia_crop_result;

/* Finds the head's box on an 8-bit gray plane (shrunk first to analysis_px, the box scaled
 * back outwards to input pixels): threshold by the method, open (disk 1) and
 * close (disk 2) the mask, take the largest 8-connected component, pad its box by
 * padding_pct, clamp to the image. The head estimate for the safety check is the set of
 * components of (blurred > Otsu/2) larger than 0.5 % of the image; when the box keeps less
 * than min_kept_pct % of it the box grows to include it. An all-black image gives empty = 1
 * and the whole image, not an error. */
GLIA_API glia_status glia_crop_find(const uint8_t *gray, int width, int height,
                                    const glia_crop_opts *opts, glia_crop_result *result);

/* Cuts box [x0,x1)×[y0,y1) out of a gray plane and places it, centred, in a black square of
 * size×size pixels, scaled by size / max(box width, box height) (area averaging when
 * shrinking, bilinear when enlarging). size 0 keeps the scale (the square's side is the box's
 * longer side). Caller frees *out. */
GLIA_API glia_status glia_crop_square(const uint8_t *gray, int width, int height, int x0, int y0,
                                      int x1, int y1, int size, glia_image_u8 **out);

#ifdef __cplusplus
}
#endif
#endif
