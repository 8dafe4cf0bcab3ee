/* glia outlier scores: per-image measurements that flag scans needing cleanup before a
 * study (white background, bright frame, burnt-in marks, low contrast, tiny, colour). Each
 * flag is a measured score compared with a documented threshold (docs/explore.md). */
#ifndef GLIA_OUTLIER_H
#define GLIA_OUTLIER_H

#include "glia/core.h"
#include "glia/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum glia_outlier_kind {
  GLIA_OUTLIER_WHITE_BACKGROUND = 0, /* corner median ≥ white_background */
  GLIA_OUTLIER_LIGHT_BACKGROUND = 1, /* light_background ≤ corner median < white_background */
  GLIA_OUTLIER_BRIGHT_FRAME = 2,     /* a bright line along a side, darker inside */
  GLIA_OUTLIER_CORNER_MARKS = 3,     /* text or marks in the corners, apart from the head */
  GLIA_OUTLIER_LOW_CONTRAST = 4,     /* small spread of gray levels */
  GLIA_OUTLIER_TINY = 5,             /* short side below min_side_px */
  GLIA_OUTLIER_COLOUR = 6,           /* colour content (not gray stored as RGB) */
  GLIA_OUTLIER_COUNT = 7
} glia_outlier_kind;

/* The measurements (gray levels on the 0..255 scale). */
typedef struct glia_outlier_scores {
  double corner_median; /* median of the four corner squares (8 % of the short side) */
  double frame;         /* largest (outer-line median − inner-band median) over the sides,
                           counting lines whose median is ≥ 120; 0 when none */
  int frame_sides;      /* sides whose frame score reaches the threshold */
  double corner_marks;  /* per mille of the worst corner region (22 % × 22 %) covered by
                           bright components outside the head */
  double contrast;      /* (99th − 1st percentile) of the gray levels inside the head (the
                           pixels above the background), 0..255 */
  int short_side;       /* min(width, height) in pixels */
  double mean_chroma;   /* mean of max(R,G,B) − min(R,G,B); 0 for gray images */
  double chroma_px;     /* pixels with chroma > 16 (JPEG noise on gray content stays below) */
} glia_outlier_scores;

/* Thresholds (defaults chosen on the Kaggle set, see docs/explore.md). */
typedef struct glia_outlier_opts {
  double white_background; /* 150 */
  double light_background; /* 38 */
  double bright_frame;     /* 60 */
  double corner_marks;     /* 2 per mille */
  double low_contrast;     /* 60 gray levels */
  int min_side_px;         /* 200 */
  double colour_mean;      /* 8: mean chroma at or above → colour */
  double colour_px;        /* 100: pixels with chroma > 16 at or above → colour */
} glia_outlier_opts;
#define GLIA_OUTLIER_DEFAULTS                                                                      \
  { 150, 38, 60, 2, 60, 200, 8, 100 }

/* Measures an image (any channel count) given its gray version (1 channel, same size). */
GLIA_API glia_status glia_outlier_measure(const glia_image_u8 *img, const glia_image_u8 *gray,
                                          glia_outlier_scores *scores);

/* Bit k set when kind k is flagged. */
GLIA_API unsigned glia_outlier_flags(const glia_outlier_scores *s, const glia_outlier_opts *o);

/* "white_background", "light_background", "bright_frame", "corner_marks", "low_contrast",
 * "tiny", "colour". */
GLIA_API const char *glia_outlier_name(glia_outlier_kind k);

/* The score and threshold that decide kind k. */
GLIA_API double glia_outlier_score(const glia_outlier_scores *s, glia_outlier_kind k);
GLIA_API double glia_outlier_threshold(const glia_outlier_opts *o, glia_outlier_kind k);

#ifdef __cplusplus
}
#endif
#endif
