/* Helpers shared inside src/cluster. */
#ifndef GLIA_CLUSTER_INTERNAL_H
#define GLIA_CLUSTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "glia/cluster.h"

/* Reference exact 1-D k-means: plain O(k·n²) dynamic programming over the levels, for tests of
 * the divide-and-conquer path. `t` levels at the bottom are forced into the first cluster.
 * Writes the optimal WCSS for exactly min(k, feasible) clusters; returns that cluster count. */
int glia__kmeans1d_reference(const double *x, const double *w, int n, int k, int t, double *wcss);

/* glia_points_metrics with the silhouette's plain reference loop (fast = 0) or the grouped,
 * vectorised path (fast = 1, what glia_points_metrics uses). */
glia_status glia__points_metrics(const glia_points *p, const int32_t *label, int k, int fast,
                                 glia_cluster_metrics *m);

/* Points grouped by cluster, feature-major, for the fast silhouette path. */
typedef struct glia__grouped {
  int dim, k;
  size_t *off; /* [k+1] cluster q holds positions off[q] .. off[q+1]-1 */
  double *x;   /* [dim·n] feature f of position j at x[f·n + j] */
  double *w;   /* [n] */
  size_t n;
} glia__grouped;

/* Σ_{j in [a,b)} w_j ‖xi − x_j‖ over grouped points. */
typedef double (*glia__dist_sum_fn)(const glia__grouped *g, const double *xi, size_t a, size_t b);
/* The plain loop, or AVX-512 / AVX2 versions when the CPU has them and GLIA_REFERENCE is not
 * set to 1. */
glia__dist_sum_fn glia__dist_sum_select(void);
double glia__dist_sum_plain(const glia__grouped *g, const double *xi, size_t a, size_t b);

/* Head mask of a grey image: Otsu threshold (glia_otsu_u8), largest 8-connected component,
 * holes filled. `mask` (width·height) receives 0/1. */
glia_status glia__head_mask(const uint8_t *gray, int width, int height, uint8_t *mask);

/* Erodes a 0/1 mask in place by a (2r+1)² square (r >= 0), pixels outside the image counting
 * as 0 (unlike glia_morph_u8, which ignores them). */
glia_status glia__erode(uint8_t *mask, int width, int height, int r);

#endif
