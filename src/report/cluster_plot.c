/* Metric curves of a k sweep (glia cluster), drawn with PLplot into memory
 * (report/internal.h) and written as PNG atomically. */
#include <math.h>
#include <stdio.h>

#include <plplot/plplot.h>

#include "glia/plot.h"
#include "report/internal.h"

#define PLOT_W 1500
#define PLOT_H 900
#define MAX_K 512

/* cmap0 colours: 0 background white, 1 black (axes, text), 2 blue (curves), 3 red (best k). */
static const int palette[][3] = {{255, 255, 255}, {0, 0, 0}, {31, 119, 180}, {214, 39, 40}};

/* One panel: a metric against k, the chosen k marked by a vertical line. */
static void panel(const double *k, const double *v, int n, int best_k, const char *name) {
  double lo = INFINITY, hi = -INFINITY;
  int m = 0;
  PLFLT xs[MAX_K], ys[MAX_K];
  for (int i = 0; i < n && m < MAX_K; i++) {
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
  plcol0(1);
  plbox("bcnst", 0, 0, "bcnstv", 0, 0);
  pllab("k", "", name);
  plcol0(2);
  plwidth(2);
  if (m > 1) plline(m, xs, ys);
  plpoin(m, xs, ys, 17);
  plwidth(1);
  if (best_k >= k[0] && best_k <= k[n - 1]) {
    PLFLT bx[2] = {best_k, best_k}, by[2] = {lo - pad, hi + pad};
    plcol0(3);
    pllsty(2);
    plline(2, bx, by);
    pllsty(1);
  }
}

static void draw(const double *k, double v[5][MAX_K], int n, int best_k, const char *title) {
  static const char *names[5] = {"WCSS (inertia)", "BCSS", "silhouette (exact)",
                                 "Calinski-Harabasz", "Davies-Bouldin"};
  for (int p = 0; p < 5; p++) panel(k, v[p], n, best_k, names[p]);
  pladv(0); /* the sixth cell holds the title */
  plvpor(0, 1, 0, 1);
  plwind(0, 1, 0, 1);
  plcol0(1);
  plschr(0, 1.1);
  plptex(0.5, 0.62, 1, 0, 0.5, title);
  char line[64];
  snprintf(line, sizeof line, "chosen k = %d (dashed)", best_k);
  plptex(0.5, 0.45, 1, 0, 0.5, line);
}

glia_status glia_cluster_metrics_plot(const char *path, const char *title,
                                      const glia_cluster_metrics *m, int n, int best_k) {
  if (!path || !title || !m || n < 1 || n > MAX_K)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: metrics plot of %d k values (expected 1..%d)",
                      path ? path : "(no path)", n, MAX_K);
  double k[MAX_K], v[5][MAX_K];
  for (int i = 0; i < n; i++) {
    k[i] = m[i].k;
    v[0][i] = m[i].wcss;
    v[1][i] = m[i].bcss;
    v[2][i] = m[i].defined ? m[i].silhouette : NAN;
    v[3][i] = m[i].defined ? m[i].calinski_harabasz : NAN;
    v[4][i] = m[i].defined ? m[i].davies_bouldin : NAN;
  }
  unsigned char *rgba = glia_malloc((size_t)PLOT_W * PLOT_H * 4);
  if (!rgba) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
#pragma omp critical(glia_plplot)
  {
    glia__plot_begin(rgba, PLOT_W, PLOT_H, 3, 2, palette,
                     (int)(sizeof palette / sizeof palette[0]));
    draw(k, v, n, best_k, title);
    glia__plot_end();
  }
  glia_status s = glia__plot_write_png(path, rgba, PLOT_W, PLOT_H);
  glia_free(rgba);
  return s;
}
