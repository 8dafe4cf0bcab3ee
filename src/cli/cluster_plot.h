/* Metric-curve plots of `glia cluster` (PLplot, PNG). Not thread-safe: PLplot is global. */
#ifndef GLIA_CLI_CLUSTER_PLOT_H
#define GLIA_CLI_CLUSTER_PLOT_H

#include "glia/cluster.h"

/* Writes a 1500×900 PNG with WCSS, BCSS, silhouette, CH and DB against k (undefined points
 * left out) and the chosen k marked. Returns 0, or −1 when the file could not be written. */
int cluster_plot_curves(const char *path, const char *title, const glia_cluster_metrics *m, int n,
                        int best_k);

#endif
