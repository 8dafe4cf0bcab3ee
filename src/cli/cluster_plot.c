/* Metric-curve plots for `glia cluster` with PLplot's pngcairo driver. PLplot keeps global
 * state, so callers plot from one thread at a time. To move to src/report when it exists. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plplot/plplot.h>

#include "cli/cluster_plot.h"

/* One panel: a metric against k, the chosen k marked by a vertical line. */
static void panel(const double *k, const double *v, int n, int best_k, const char *name) {
  double lo = INFINITY, hi = -INFINITY;
  int m = 0;
  PLFLT xs[512], ys[512];
  for (int i = 0; i < n && m < 512; i++) {
    if (!isfinite(v[i])) continue;
    xs[m] = k[i], ys[m] = v[i], m++;
    if (v[i] < lo) lo = v[i];
    if (v[i] > hi) hi = v[i];
  }
  pladv(0);
  plvsta();
  if (m == 0) lo = 0, hi = 1;
  if (hi - lo < 1e-12 * (fabs(hi) + 1)) lo -= 0.5, hi += 0.5;
  double pad = 0.05 * (hi - lo);
  plwind(k[0] - 0.5, k[n - 1] + 0.5, lo - pad, hi + pad);
  plcol0(15);
  plbox("bcnst", 0, 0, "bcnstv", 0, 0);
  pllab("k", "", name);
  plcol0(9);
  plwidth(2);
  if (m > 1) plline(m, xs, ys);
  plpoin(m, xs, ys, 17);
  plwidth(1);
  if (best_k >= k[0] && best_k <= k[n - 1]) {
    PLFLT bx[2] = {best_k, best_k}, by[2] = {lo - pad, hi + pad};
    plcol0(1);
    pllsty(2);
    plline(2, bx, by);
    pllsty(1);
  }
}

int cluster_plot_curves(const char *path, const char *title, const glia_cluster_metrics *m, int n,
                        int best_k) {
  if (n < 1 || n > 512) return -1;
  double k[512], v[5][512];
  for (int i = 0; i < n; i++) {
    k[i] = m[i].k;
    v[0][i] = m[i].wcss;
    v[1][i] = m[i].bcss;
    v[2][i] = m[i].defined ? m[i].silhouette : NAN;
    v[3][i] = m[i].defined ? m[i].calinski_harabasz : NAN;
    v[4][i] = m[i].defined ? m[i].davies_bouldin : NAN;
  }
  size_t len = strlen(path) + 16;
  char *tmp = malloc(len);
  if (!tmp) return -1;
  snprintf(tmp, len, "%s.tmp.png", path);
  plsdev("pngcairo");
  plsfnam(tmp);
  plspage(0, 0, 1500, 900, 0, 0);
  plscolbg(255, 255, 255);
  plscol0(15, 0, 0, 0);
  plscol0(9, 31, 119, 180);
  plscol0(1, 214, 39, 40);
  plssub(3, 2);
  plinit();
  static const char *names[5] = {"WCSS (inertia)", "BCSS", "silhouette (exact)",
                                 "Calinski-Harabasz", "Davies-Bouldin"};
  for (int p = 0; p < 5; p++) panel(k, v[p], n, best_k, names[p]);
  pladv(0); /* the sixth cell holds the title */
  plvpor(0, 1, 0, 1);
  plwind(0, 1, 0, 1);
  plcol0(15);
  plschr(0, 1.1);
  plptex(0.5, 0.62, 1, 0, 0.5, title);
  char line[64];
  snprintf(line, sizeof line, "chosen k = %d (dashed)", best_k);
  plptex(0.5, 0.45, 1, 0, 0.5, line);
  plend1();
  int rc = rename(tmp, path) == 0 ? 0 : -1;
  if (rc) remove(tmp);
  free(tmp);
  return rc;
}
