/* glia cluster: exact 1-D k-means over grey-level histograms, weighted multi-feature k-means,
 * cluster metrics (WCSS, BCSS, silhouette, Calinski-Harabasz, Davies-Bouldin), choice of k,
 * colour maps and tumor candidates. docs/cluster.md explains the rules and the outputs. */
#ifndef GLIA_CLUSTER_H
#define GLIA_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "glia/core.h"
#include "glia/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- grey levels ---------------------------------------------------------------------- */

/* The distinct grey levels of a set of pixels with their pixel counts, ascending. Values are
 * in 8-bit grey units (0..255) whatever the quantisation: a 16-bit level q has value
 * q·255/65535. */
typedef struct glia_levels {
  int n;          /* number of distinct levels (0 when no pixel was counted) */
  int bits;       /* quantisation the levels come from: 8 or 16 */
  double *value;  /* [n] ascending level values (owned) */
  double *weight; /* [n] pixel count of each level, > 0 (owned) */
  int *bin;       /* [n] quantised level q of each entry, 0..2^bits-1 (owned) */
  double total;   /* sum of weights (pixels) */
} glia_levels;

/* Grey level of every pixel, quantised to `bits` (8 or 16): one channel as is; RGB(A) by the
 * ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B (alpha ignored), rounded to nearest.
 * `q` holds width·height entries (row-major, packed), caller-allocated. */
GLIA_API glia_status glia_image_gray_levels(const glia_image *img, int bits, uint16_t *q);

/* Histogram of quantised levels `q` (n pixels; 2^bits bins), only where mask[i] != 0 when
 * `mask` is not NULL, as distinct levels. An empty selection gives n = 0 (not an error).
 * Caller frees *out with glia_levels_free. */
GLIA_API glia_status glia_levels_from_pixels(const uint16_t *q, const uint8_t *mask, size_t n,
                                             int bits, glia_levels **out);

/* Levels from a histogram of `nbins` counts (bin b has value b·scale); empty bins are
 * dropped; counts must be finite and >= 0. Caller frees. */
GLIA_API glia_status glia_levels_from_hist(const double *hist, int nbins, double scale,
                                           glia_levels **out);
GLIA_API void glia_levels_free(glia_levels *lv);

/* ---- exact 1-D k-means ---------------------------------------------------------------- */

typedef struct glia_kmeans1d_opts {
  /* Strict black threshold, in grey units: every level whose value is below it belongs to the
   * lowest (background) cluster. 0 (the default) turns it off. */
  double black_threshold;
} glia_kmeans1d_opts;
#define GLIA_KMEANS1D_DEFAULTS                                                                     \
  { 0.0 }

/* A globally optimal partition of the levels into contiguous clusters. */
typedef struct glia_kmeans1d {
  int k;                  /* clusters asked for */
  int clusters;           /* clusters found: min(k, what the levels allow); 0 for no levels */
  double wcss;            /* within-cluster sum of squares (grey units², pixel-weighted) */
  double *center;         /* [clusters] ascending cluster means (owned) */
  double *size;           /* [clusters] pixels in each cluster (owned) */
  int *first;             /* [clusters + 1] cluster c holds levels first[c] .. first[c+1]-1 */
  double *threshold;      /* [clusters - 1] value v is in cluster c when threshold[c-1] < v <=
                             threshold[c] (midpoints of the gaps between clusters) */
  double black_threshold; /* as fitted */
} glia_kmeans1d;

/* Exact k-means of weighted 1-D levels for every k in kmin..kmax at once, by dynamic
 * programming (Wang & Song 2011, Ckmeans.1d.dp) with the divide-and-conquer speed-up of
 * Grønlund et al. 2017: O(kmax · n log n) for n levels. Its WCSS is the global minimum over
 * all partitions (contiguous ones are optimal in 1-D). models[i] (i = 0..kmax-kmin) receives
 * the model for k = kmin + i; k beyond the number of levels yields `clusters` < k.
 * 1 <= kmin <= kmax <= 1000. Caller frees each model with glia_kmeans1d_free. */
GLIA_API glia_status glia_kmeans1d_sweep(const glia_levels *lv, int kmin, int kmax,
                                         const glia_kmeans1d_opts *opts, glia_kmeans1d **models);

/* One k (glia_kmeans1d_sweep with kmin = kmax = k). Caller frees. */
GLIA_API glia_status glia_kmeans1d_fit(const glia_levels *lv, int k, const glia_kmeans1d_opts *opts,
                                       glia_kmeans1d **out);
GLIA_API void glia_kmeans1d_free(glia_kmeans1d *m);

/* Cluster of a grey value under a fitted model (its threshold rule; below the black
 * threshold: 0). */
GLIA_API int glia_kmeans1d_predict(const glia_kmeans1d *m, double value);

/* Cluster label of each level of `lv` (the one the model was fitted on): label[i], i < lv->n. */
GLIA_API void glia_kmeans1d_level_labels(const glia_kmeans1d *m, int n, int32_t *label);

/* ---- metrics -------------------------------------------------------------------------- */

/* Quality of one clustering, scikit-learn's definitions (metrics.silhouette_score,
 * calinski_harabasz_score, davies_bouldin_score), over every pixel. */
typedef struct glia_cluster_metrics {
  int k;                    /* clusters asked for */
  int clusters;             /* non-empty clusters */
  int defined;              /* 0 when clusters < 2 or every pixel is its own cluster: then
                               silhouette, calinski_harabasz and davies_bouldin are 0 and
                               undefined (scikit-learn raises); JSON writes null */
  double wcss;              /* within-cluster sum of squared distances to the centroids */
  double bcss;              /* between-cluster sum: Σ n_c ‖mean_c − mean‖² */
  double silhouette;        /* mean silhouette over all pixels, exact */
  double calinski_harabasz; /* BCSS/(c−1) ÷ WCSS/(N−c); 1 when WCSS = 0 (as scikit-learn) */
  double davies_bouldin;    /* mean over clusters of max_j (s_i + s_j)/d(c_i, c_j) */
} glia_cluster_metrics;

/* Metrics of a labelling of the levels (label[i] in 0..k-1 for level i; any labelling, not
 * only contiguous). The silhouette is exact over all pixels in O(n·k) from per-cluster
 * prefix sums of the histogram. */
GLIA_API glia_status glia_levels_metrics(const glia_levels *lv, const int32_t *label, int k,
                                         glia_cluster_metrics *m);

/* ---- weighted multi-feature k-means --------------------------------------------------- */

/* Distinct feature vectors with their multiplicities. */
typedef struct glia_points {
  size_t n;       /* distinct vectors */
  int dim;        /* features per vector, 1..16 */
  double *x;      /* [n·dim] row-major (owned) */
  double *weight; /* [n] multiplicity (owned) */
  double total;   /* sum of weights */
} glia_points;

/* Sorts and merges `n` vectors of `dim` features (row-major) into distinct weighted points;
 * `inverse` (may be NULL, n entries) receives the index of each input vector's point.
 * Caller frees with glia_points_free. */
GLIA_API glia_status glia_points_unique(const double *x, size_t n, int dim, size_t *inverse,
                                        glia_points **out);
GLIA_API void glia_points_free(glia_points *p);

typedef struct glia_kmeans_opts {
  int n_init;    /* restarts, best WCSS kept (default 10, as scikit-learn) */
  int max_iter;  /* Lloyd iterations per restart (default 300) */
  double tol;    /* stop when the centres move less than tol × mean feature variance
                    (squared, summed), as scikit-learn (default 1e-4) */
  uint64_t seed; /* k-means++ seeding (default 0); same seed, same result */
} glia_kmeans_opts;
#define GLIA_KMEANS_DEFAULTS                                                                       \
  { 10, 300, 1e-4, 0 }

typedef struct glia_kmeans {
  int k, dim;
  int clusters; /* non-empty clusters: min(k, distinct points) */
  double wcss;
  double *center; /* [k·dim] (owned); clusters ordered by their first feature, ascending */
  int32_t *label; /* [points] cluster of each distinct point (owned) */
  int iterations; /* Lloyd iterations of the kept restart */
} glia_kmeans;

/* Weighted k-means: greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-
 * learn's 2 + ln k local trials) from a seeded generator, Lloyd iterations, n_init restarts.
 * k larger than the number of points is clamped (clusters < k). Caller frees. */
GLIA_API glia_status glia_kmeans_fit(const glia_points *p, int k, const glia_kmeans_opts *opts,
                                     glia_kmeans **out);
GLIA_API void glia_kmeans_free(glia_kmeans *m);

/* Metrics of a labelling of weighted points (Euclidean). The silhouette is exact over all
 * multiplicities, O(n²·dim) over the n distinct points. */
GLIA_API glia_status glia_points_metrics(const glia_points *p, const int32_t *label, int k,
                                         glia_cluster_metrics *m);

/* ---- choosing k ------------------------------------------------------------------------ */

typedef struct glia_k_choice {
  int elbow;      /* kneedle elbow of the WCSS curve */
  int silhouette; /* k of the highest silhouette */
  int ch;         /* k of the highest Calinski-Harabasz */
  int best;       /* median of the three (docs/cluster.md) */
} glia_k_choice;

/* Chooses k from metrics for consecutive k (m[i].k ascending), n >= 1. Entries that are not
 * `defined` are skipped for silhouette and CH. Never fails. */
GLIA_API glia_k_choice glia_cluster_choose_k(const glia_cluster_metrics *m, int n);

/* ---- colours ---------------------------------------------------------------------------- */

/* Colour of the cluster of intensity rank `index` (0 = darkest): Black, Purple, Blue, Cyan,
 * Light Blue, Green, Yellow, Pink, Orange, Red for 0..9; from 10 on, hues stepped by the
 * golden angle (docs/cluster.md). */
GLIA_API void glia_cluster_color(int index, uint8_t rgb[3]);
/* "black", "purple", ... for 0..9; "extra" beyond. */
GLIA_API const char *glia_cluster_color_name(int index);

/* Paints a label map (width·height labels) into a new RGB image: label l >= 0 gets
 * glia_cluster_color(l), negative labels (outside the mask) black. Caller frees. */
GLIA_API glia_status glia_labels_colorize(const int32_t *labels, int width, int height,
                                          glia_image_u8 **out);

/* Blends the colours over a grey image (1 channel, same size): out = (1−alpha)·grey +
 * alpha·colour where label >= 0, grey elsewhere. alpha in [0,1]. Caller frees. */
GLIA_API glia_status glia_labels_overlay(const glia_image_u8 *gray, const int32_t *labels,
                                         double alpha, glia_image_u8 **out);

/* ---- per-image analysis ------------------------------------------------------------------ */

typedef enum glia_features {
  GLIA_FEATURES_GRAY = 0,    /* grey level: exact 1-D k-means */
  GLIA_FEATURES_RGB = 1,     /* R, G, B in 0..255 */
  GLIA_FEATURES_GRAY_XY = 2, /* grey, x·255/(width−1), y·255/(height−1) */
} glia_features;

typedef struct glia_cluster_opts {
  int kmin, kmax;          /* sweep (default 2..20) */
  int k;                   /* k of the label map; 0: chosen by glia_cluster_choose_k */
  glia_features features;  /* default gray */
  int bits;                /* grey quantisation, 8 or 16 (default 8) */
  double black_threshold;  /* strict black threshold in grey units (0: off) */
  int head_mask;           /* 1: cluster only inside the head (Otsu + largest component) */
  const uint8_t *mask;     /* or an explicit mask (width·height, nonzero inside); NULL: all */
  glia_kmeans_opts kmeans; /* multi-feature k-means settings */
} glia_cluster_opts;
#define GLIA_CLUSTER_DEFAULTS                                                                      \
  { 2, 20, 0, GLIA_FEATURES_GRAY, 8, 0.0, 0, NULL, GLIA_KMEANS_DEFAULTS }

typedef struct glia_cluster_result {
  int width, height;
  int nk;                        /* kmax − kmin + 1 */
  glia_cluster_metrics *metrics; /* [nk] one per k, ascending (owned) */
  glia_k_choice choice;          /* from the metrics */
  int k;                         /* k of the label map (opts k, else choice.best) */
  int clusters;                  /* non-empty clusters of that map */
  double *mean_gray;             /* [clusters] mean grey of each cluster, ascending */
  int32_t *labels; /* [width·height] intensity rank 0..clusters-1, −1 outside the mask */
  uint8_t *mask;   /* [width·height] pixels clustered (1) (owned) */
  size_t pixels;   /* pixels clustered */
} glia_cluster_result;

/* Sweeps k over one image and labels it at the chosen k. A mask that selects nothing (or a
 * head mask of an all-black image) gives GLIA_ERR_EMPTY; opts->mask must hold width·height
 * entries. `name` is used in messages.
 * Caller frees *out with glia_cluster_result_free. */
GLIA_API glia_status glia_cluster_image(const glia_image *img, const char *name,
                                        const glia_cluster_opts *opts, glia_cluster_result **out);
GLIA_API void glia_cluster_result_free(glia_cluster_result *r);

/* Mean of each metric over several images' curves for the same k values (entries that are
 * not defined are left out of silhouette, CH and DB means; `defined` is set when any image
 * had it). curves[i] has nk entries. out has nk entries. */
GLIA_API void glia_cluster_mean_curves(const glia_cluster_metrics *const *curves, int nimages,
                                       int nk, glia_cluster_metrics *out);

/* ---- tumor candidates ---------------------------------------------------------------------- */

typedef struct glia_candidate_opts {
  int cluster;          /* intensity rank to search; −1 (default): the brightest */
  double brain_margin;  /* skull ring removed from the head mask, as a fraction of the head's
                           equivalent radius (default 0.12) */
  double min_area_frac; /* components under this fraction of the brain are ignored (0.002) */
} glia_candidate_opts;
#define GLIA_CANDIDATE_DEFAULTS                                                                    \
  { -1, 0.12, 0.002 }

typedef struct glia_candidate {
  size_t area;        /* pixels */
  int x0, y0, x1, y1; /* bounding box, inclusive */
  double cx, cy;      /* centroid */
  double size;        /* area / (area + 0.01 · brain area), in [0,1) */
  double compactness; /* min(1, 4π·area / perimeter²), perimeter from boundary edges × π/4 */
  double asymmetry;   /* fraction of pixels whose mirror across the head's midline is not in
                         the cluster */
  double score;       /* size × compactness × asymmetry */
} glia_candidate;

/* Connected components (8-connected) of one cluster of a label map inside the brain (head
 * mask of the grey image eroded by the margin), scored. `gray` is the grey image (1 channel)
 * the labels come from. On success *cands (caller frees with glia_free) holds *ncands
 * candidates by descending score, and `cand_map` (width·height, caller-allocated, may be NULL)
 * receives 0 or the 1-based rank of the candidate each pixel belongs to. */
GLIA_API glia_status glia_tumor_candidates(const glia_image_u8 *gray, const int32_t *labels,
                                           const glia_candidate_opts *opts, glia_candidate **cands,
                                           int *ncands, int32_t *cand_map);

#ifdef __cplusplus
}
#endif
#endif
