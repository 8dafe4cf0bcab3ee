/* glia explore: what a data set really is before any model — counts and imbalance, sizes
 * and formats, duplicates, outliers, and every image's per-channel histogram and CDF. */
#ifndef GLIA_EXPLORE_H
#define GLIA_EXPLORE_H

#include "glia/dataset.h"
#include "glia/image.h"
#include "glia/outlier.h"
#include "glia/phash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glia_explore_opts {
  glia_load_opts load;        /* pixel limit (--max-pixels) */
  int min_side_px;            /* images smaller than this on a side are bad files (8) */
  glia_outlier_opts outliers; /* outlier thresholds */
  glia_dup_opts duplicates;   /* near-duplicate thresholds */
  int near_duplicates;        /* 1: look for near duplicates (fingerprints), 0: exact only */
  int thumb_px;               /* side of the box thumbnails are fitted in (128; 0: none) */
  /* Called after each image, from one thread at a time; may be NULL. */
  void (*progress)(void *user, size_t done, size_t total);
  void *user;
} glia_explore_opts;
#define GLIA_EXPLORE_DEFAULTS                                                                      \
  { GLIA_LOAD_DEFAULTS, 8, GLIA_OUTLIER_DEFAULTS, GLIA_DUP_DEFAULTS, 1, 128, NULL, NULL }

/* What explore learns about one image. */
typedef struct glia_explore_image {
  const glia_entry *entry; /* in the data set */
  int ok;                  /* 0: bad file (see error) */
  char *error;             /* the reason when not ok */
  glia_image_info info;
  char sha256[65];
  uint8_t digest[32]; /* the same SHA-256 as bytes */
  uint64_t phash;
  double mean, std;        /* gray level, 0..1 */
  int hist_channels;       /* 1 (gray) or 3 (R, G, B); alpha is not a colour channel */
  uint32_t hist[3][256];   /* per-channel 256-bin histograms */
  uint32_t gray_hist[256]; /* histogram of the gray version */
  glia_outlier_scores scores;
  unsigned outliers;    /* glia_outlier_flags bits */
  int group;            /* index of its duplicate group in the result, or -1 */
  glia_image_u8 *thumb; /* small RGB or gray thumbnail for panels (may be NULL) */
} glia_explore_image;

typedef struct glia_explore {
  glia_dataset *dataset;      /* owned */
  glia_explore_image *images; /* one per data-set entry, same order */
  size_t n_images, n_ok;
  glia_dup_group *groups; /* indices into images */
  size_t n_groups;
  glia_explore_opts opts;
} glia_explore;

/* Scans `path` (see glia_dataset_scan) and measures every image, in parallel over images.
 * Bad files are kept in the result with their reason; the run goes on. Fails only when the
 * path is missing or holds no image file (GLIA_ERR_IO / GLIA_ERR_EMPTY) or memory runs out.
 * Caller frees with glia_explore_free. */
GLIA_API glia_status glia_explore_run(const char *path, const glia_explore_opts *opts,
                                      glia_explore **out);
GLIA_API void glia_explore_free(glia_explore *ex);

/* Normalised cumulative distribution of a histogram: cdf[v] = Σ_{u≤v} h[u] / Σ h. */
GLIA_API void glia_hist_cdf(const uint32_t hist[256], double cdf[256]);

/* Number of bad files: those of the scan plus those that failed to decode. */
GLIA_API size_t glia_explore_n_bad(const glia_explore *ex);

/* Writes explore.json (schema in docs/explore.md), atomically. */
GLIA_API glia_status glia_explore_write_json(const glia_explore *ex, const char *path);

/* Writes the CSV of per-image, per-channel CDFs: file,class,channel,c0..c255. */
GLIA_API glia_status glia_explore_write_cdf_csv(const glia_explore *ex, const char *path);

/* Draws the PNG panels (up to 10 images each, each beside its per-channel CDF plot) as
 * DIR/panel_NNN.png, and per-class mean CDF and histogram plots as DIR/class_cdf.png and
 * DIR/class_histogram.png. Plotting (PLplot) is serialised internally. */
GLIA_API glia_status glia_explore_plot(const glia_explore *ex, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
