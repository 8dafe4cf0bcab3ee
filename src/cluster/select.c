/* Choosing k from the metric curves, and averaging curves over images.
 *
 * The elbow is the knee of the WCSS curve by kneedle (Satopää, Albrecht, Irwin & Raghavan
 * 2011) without smoothing: with k and WCSS scaled to [0,1] over the sweep, the elbow is the k
 * farthest below the chord from the first to the last point, argmax (1 − k' − wcss'). The
 * silhouette and Calinski-Harabasz each vote for their maximum. The chosen k is the median of
 * the three votes, so any two that agree win and one outlier is outvoted. Ties go to the
 * smaller k. */
#include <math.h>
#include <string.h>

#include "cluster/internal.h"

static int median3(int a, int b, int c) {
  if (a > b) {
    int t = a;
    a = b;
    b = t;
  }
  if (b > c) b = c;
  return a > b ? a : b;
}

glia_k_choice glia_cluster_choose_k(const glia_cluster_metrics *m, int n) {
  glia_k_choice ch = {0, 0, 0, 0};
  if (!m || n < 1) return ch;
  ch.elbow = ch.silhouette = ch.ch = m[0].k;
  double w0 = m[0].wcss, w1 = m[n - 1].wcss, best = -INFINITY;
  double kspan = (double)(m[n - 1].k - m[0].k), wspan = w0 - w1;
  if (n >= 3 && kspan > 0 && wspan > 0) {
    for (int i = 0; i < n; i++) {
      double kx = (m[i].k - m[0].k) / kspan, wy = (m[i].wcss - w1) / wspan;
      double d = 1.0 - kx - wy;
      if (d > best) best = d, ch.elbow = m[i].k;
    }
  }
  double bs = -INFINITY, bc = -INFINITY;
  for (int i = 0; i < n; i++) {
    if (!m[i].defined) continue;
    if (m[i].silhouette > bs) bs = m[i].silhouette, ch.silhouette = m[i].k;
    if (m[i].calinski_harabasz > bc) bc = m[i].calinski_harabasz, ch.ch = m[i].k;
  }
  ch.best = median3(ch.elbow, ch.silhouette, ch.ch);
  return ch;
}

void glia_cluster_mean_curves(const glia_cluster_metrics *const *curves, int nimages, int nk,
                              glia_cluster_metrics *out) {
  for (int j = 0; j < nk; j++) {
    glia_cluster_metrics *o = &out[j];
    memset(o, 0, sizeof *o);
    int nd = 0;
    for (int i = 0; i < nimages; i++) {
      const glia_cluster_metrics *m = &curves[i][j];
      o->k = m->k;
      o->clusters += m->clusters;
      o->wcss += m->wcss;
      o->bcss += m->bcss;
      if (m->defined) {
        nd++;
        o->silhouette += m->silhouette;
        o->calinski_harabasz += m->calinski_harabasz;
        o->davies_bouldin += m->davies_bouldin;
      }
    }
    if (nimages > 0) {
      o->wcss /= nimages;
      o->bcss /= nimages;
      o->clusters = (o->clusters + nimages / 2) / nimages; /* rounded mean */
    }
    if (nd > 0) {
      o->defined = 1;
      o->silhouette /= nd;
      o->calinski_harabasz /= nd;
      o->davies_bouldin /= nd;
    }
  }
}
