/* glia plots of cluster metrics (PLplot, drawn in memory, written as PNG atomically). */
#ifndef GLIA_PLOT_H
#define GLIA_PLOT_H

#include "glia/cluster.h"
#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes `path` as a 1500×900 RGB PNG of the metric curves m[0..n−1] (1 <= n <= 512): WCSS,
 * BCSS, silhouette, Calinski-Harabasz and Davies-Bouldin against k (undefined points left
 * out), the chosen best_k marked by a dashed line, `title` in the sixth cell. The file is
 * written atomically (temp file, rename). Safe to call from several threads (PLplot is
 * serialised internally). Errors: GLIA_ERR_ARGUMENT, GLIA_ERR_NOMEM, or the writer's I/O error
 * naming `path`. */
GLIA_API glia_status glia_cluster_metrics_plot(const char *path, const char *title,
                                               const glia_cluster_metrics *m, int n, int best_k);

#ifdef __cplusplus
}
#endif
#endif
