/* Cluster metrics with scikit-learn 1.2's definitions (sklearn/metrics/cluster/_unsupervised.py:
 * silhouette_samples, calinski_harabasz_score, davies_bouldin_score), computed over pixel
 * multiplicities instead of repeated samples. The silhouette of grey levels is exact over all
 * pixels in O(n·k): the summed distance from a level to every pixel of a cluster is
 * x·W_below − S_below + S_above − x·W_above with per-cluster running sums of the histogram. */
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cluster/internal.h"

/* Per-cluster statistics both metric paths fill: weight, centroid, mean distance to it. */
typedef struct cstats {
  int k, dim;
  double *w;     /* [k] */
  double *mean;  /* [k·dim] */
  double *intra; /* [k] mean Euclidean distance of members to the centroid */
} cstats;

static glia_status cstats_new(int k, int dim, cstats *c) {
  c->k = k;
  c->dim = dim;
  c->w = glia_calloc((size_t)k * (size_t)(dim + 2), sizeof(double));
  if (!c->w) return glia_error(GLIA_ERR_NOMEM, "cluster metrics: out of memory for k = %d", k);
  c->intra = c->w + k;
  c->mean = c->intra + k;
  return GLIA_OK;
}

static int check_labels(const int32_t *label, size_t n, int k) {
  for (size_t i = 0; i < n; i++)
    if (label[i] < 0 || label[i] >= k) return -1;
  return 0;
}

/* CH and DB from the statistics (scikit-learn's formulas, its edge cases included). */
static void finish(const cstats *c, double total, glia_cluster_metrics *m) {
  int used = m->clusters;
  m->calinski_harabasz = m->wcss == 0 ? 1.0 : m->bcss * (total - used) / (m->wcss * (used - 1.0));
  /* davies_bouldin_score: 0 when every intra distance or every centroid distance is
   * np.allclose to 0 (atol 1e-8); zero centroid distances count as infinite. */
  int intra_zero = 1, cent_zero = 1;
  for (int i = 0; i < c->k; i++)
    if (c->w[i] > 0 && fabs(c->intra[i]) > 1e-8) intra_zero = 0;
  double sum = 0;
  for (int i = 0; i < c->k; i++) {
    if (!(c->w[i] > 0)) continue;
    double worst = 0;
    for (int j = 0; j < c->k; j++) {
      if (j == i || !(c->w[j] > 0)) continue;
      double d2 = 0;
      for (int f = 0; f < c->dim; f++) {
        double d = c->mean[i * c->dim + f] - c->mean[j * c->dim + f];
        d2 += d * d;
      }
      double d = sqrt(d2);
      if (d > 1e-8) cent_zero = 0;
      if (d == 0) continue; /* (s_i + s_j) / inf = 0 */
      double r = (c->intra[i] + c->intra[j]) / d;
      if (r > worst) worst = r;
    }
    sum += worst;
  }
  m->davies_bouldin = intra_zero || cent_zero ? 0.0 : sum / used;
}

static void metrics_init(glia_cluster_metrics *m, int k) {
  memset(m, 0, sizeof *m);
  m->k = k;
}

/* Silhouette of one sample from its summed distances to each cluster. */
static double sil_one(const double *dsum, const double *w, int k, int own) {
  if (w[own] <= 1.0) return 0.0; /* singleton cluster: 0 */
  double a = dsum[own] / (w[own] - 1.0), b = INFINITY;
  for (int c = 0; c < k; c++)
    if (c != own && w[c] > 0 && dsum[c] / w[c] < b) b = dsum[c] / w[c];
  double den = a > b ? a : b;
  return den > 0 ? (b - a) / den : 0.0; /* nan_to_num(0/0) = 0 */
}

glia_status glia_levels_metrics(const glia_levels *lv, const int32_t *label, int k,
                                glia_cluster_metrics *m) {
  if (!lv || !m || (!label && lv->n))
    return glia_error(GLIA_ERR_ARGUMENT, "metrics: NULL argument");
  if (k < 1) return glia_error(GLIA_ERR_ARGUMENT, "metrics: k = %d, expected >= 1", k);
  if (check_labels(label, (size_t)lv->n, k))
    return glia_error(GLIA_ERR_ARGUMENT, "metrics: a label is outside 0..%d", k - 1);
  metrics_init(m, k);
  int n = lv->n;
  cstats c;
  glia_status s = cstats_new(k, 1, &c);
  if (s) return s;
  double *dsum = glia_calloc((size_t)n * (size_t)k, sizeof(double));
  if (!dsum) {
    glia_free(c.w);
    return glia_error(GLIA_ERR_NOMEM, "metrics: out of memory for %d levels × k = %d", n, k);
  }
  const double *x = lv->value, *w = lv->weight;
  double tw = 0, tx = 0;
  for (int i = 0; i < n; i++) {
    c.w[label[i]] += w[i];
    c.mean[label[i]] += w[i] * x[i];
    tw += w[i], tx += w[i] * x[i];
  }
  for (int q = 0; q < k; q++) {
    if (c.w[q] > 0) c.mean[q] /= c.w[q], m->clusters++;
  }
  double mean = tw > 0 ? tx / tw : 0;
  for (int i = 0; i < n; i++) {
    double d = x[i] - c.mean[label[i]];
    m->wcss += w[i] * d * d;
    c.intra[label[i]] += w[i] * fabs(d);
  }
  for (int q = 0; q < k; q++) {
    if (c.w[q] > 0) {
      double d = c.mean[q] - mean;
      m->bcss += c.w[q] * d * d;
      c.intra[q] /= c.w[q];
    }
  }
  m->defined = m->clusters >= 2 && m->clusters < tw;
  if (m->defined) {
    finish(&c, tw, m);
    /* dsum[i·k + q] = Σ_{levels j in q} w_j |x_i − x_j| by running sums per cluster */
    for (int q = 0; q < k; q++) {
      if (!(c.w[q] > 0)) continue;
      double Wt = 0, St = 0;
      for (int j = 0; j < n; j++)
        if (label[j] == q) Wt += w[j], St += w[j] * x[j];
      double Wb = 0, Sb = 0; /* levels below i */
      for (int i = 0; i < n; i++) {
        double v = (x[i] * Wb - Sb) + ((St - Sb) - x[i] * (Wt - Wb));
        dsum[(size_t)i * k + q] = v > 0 ? v : 0;
        if (label[i] == q) Wb += w[i], Sb += w[i] * x[i];
      }
    }
    double sil = 0;
    for (int i = 0; i < n; i++) sil += w[i] * sil_one(dsum + (size_t)i * k, c.w, k, label[i]);
    m->silhouette = sil / tw;
  }
  glia_free(dsum);
  glia_free(c.w);
  return GLIA_OK;
}

/* Summed distances from point i to every cluster, into dsum[k]. */
static void point_dsum(const glia_points *p, const int32_t *label, size_t i, int k, double *dsum) {
  int dim = p->dim;
  const double *xi = p->x + i * (size_t)dim;
  for (int q = 0; q < k; q++) dsum[q] = 0;
  for (size_t j = 0; j < p->n; j++) {
    const double *xj = p->x + j * (size_t)dim;
    double d2 = 0;
    for (int f = 0; f < dim; f++) {
      double d = xi[f] - xj[f];
      d2 += d * d;
    }
    dsum[label[j]] += p->weight[j] * sqrt(d2);
  }
}

static void grouped_free(glia__grouped *g) {
  glia_free(g->off);
  glia_free(g->x);
  glia_free(g->w);
}

static int grouped_new(const glia_points *p, const int32_t *label, int k, glia__grouped *g) {
  size_t n = p->n;
  g->dim = p->dim, g->k = k, g->n = n;
  g->off = glia_calloc((size_t)k + 1, sizeof(size_t));
  g->x = glia_malloc(sizeof(double) * (size_t)p->dim * (n ? n : 1));
  g->w = glia_malloc(sizeof(double) * (n ? n : 1));
  if (!g->off || !g->x || !g->w) return grouped_free(g), -1;
  for (size_t i = 0; i < n; i++) g->off[label[i] + 1]++;
  for (int q = 0; q < k; q++) g->off[q + 1] += g->off[q];
  size_t *pos = glia_malloc(sizeof(size_t) * ((size_t)k + 1));
  if (!pos) return grouped_free(g), -1;
  memcpy(pos, g->off, sizeof(size_t) * ((size_t)k + 1));
  for (size_t i = 0; i < n; i++) {
    size_t j = pos[label[i]]++;
    g->w[j] = p->weight[i];
    for (int f = 0; f < p->dim; f++) g->x[(size_t)f * n + j] = p->x[i * p->dim + f];
  }
  glia_free(pos);
  return 0;
}

/* Exact silhouette over the distinct points, in parallel over points; the per-point values
 * are summed in index order so the result does not depend on the thread count. The
 * reference path (point_dsum) is the plain loop; `fast` groups points by cluster and sums
 * with SIMD where the CPU has it (silhouette_simd.c). */
static glia_status points_silhouette(const glia_points *p, const int32_t *label, const cstats *c,
                                     int fast, double *out) {
  int k = c->k, nt = glia_threads();
  if (nt < 1) nt = 1;
  glia__grouped g = {0};
  glia__dist_sum_fn dist_sum = glia__dist_sum_select();
  double *buf = glia_malloc(sizeof(double) * (size_t)k * (size_t)nt);
  double *per = glia_malloc(sizeof(double) * (p->n ? p->n : 1));
  if (!buf || !per || (fast && grouped_new(p, label, k, &g))) {
    glia_free(buf);
    glia_free(per);
    return glia_error(GLIA_ERR_NOMEM, "metrics: out of memory");
  }
  long long n = (long long)p->n;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 16)
  for (long long i = 0; i < n; i++) {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    double *dsum = buf + (size_t)t * (size_t)k;
    if (fast) {
      const double *xi = p->x + (size_t)i * (size_t)p->dim;
      for (int q = 0; q < k; q++) dsum[q] = dist_sum(&g, xi, g.off[q], g.off[q + 1]);
    } else {
      point_dsum(p, label, (size_t)i, k, dsum);
    }
    per[i] = p->weight[i] * sil_one(dsum, c->w, k, label[i]);
  }
  double sil = 0;
  for (long long i = 0; i < n; i++) sil += per[i];
  glia_free(buf);
  glia_free(per);
  grouped_free(&g);
  *out = sil / p->total;
  return GLIA_OK;
}

glia_status glia__points_metrics(const glia_points *p, const int32_t *label, int k, int fast,
                                 glia_cluster_metrics *m) {
  if (!p || !m || (!label && p->n)) return glia_error(GLIA_ERR_ARGUMENT, "metrics: NULL argument");
  if (k < 1) return glia_error(GLIA_ERR_ARGUMENT, "metrics: k = %d, expected >= 1", k);
  if (check_labels(label, p->n, k))
    return glia_error(GLIA_ERR_ARGUMENT, "metrics: a label is outside 0..%d", k - 1);
  metrics_init(m, k);
  int dim = p->dim;
  cstats c;
  glia_status s = cstats_new(k, dim, &c);
  if (s) return s;
  double *gmean = glia_calloc((size_t)dim, sizeof(double));
  if (!gmean) {
    glia_free(c.w);
    return glia_error(GLIA_ERR_NOMEM, "metrics: out of memory");
  }
  for (size_t i = 0; i < p->n; i++) {
    int q = label[i];
    c.w[q] += p->weight[i];
    for (int f = 0; f < dim; f++) {
      c.mean[q * dim + f] += p->weight[i] * p->x[i * dim + f];
      gmean[f] += p->weight[i] * p->x[i * dim + f];
    }
  }
  double tw = p->total;
  for (int f = 0; f < dim; f++) gmean[f] = tw > 0 ? gmean[f] / tw : 0;
  for (int q = 0; q < k; q++) {
    if (!(c.w[q] > 0)) continue;
    m->clusters++;
    for (int f = 0; f < dim; f++) {
      c.mean[q * dim + f] /= c.w[q];
      double d = c.mean[q * dim + f] - gmean[f];
      m->bcss += c.w[q] * d * d;
    }
  }
  for (size_t i = 0; i < p->n; i++) {
    int q = label[i];
    double d2 = 0;
    for (int f = 0; f < dim; f++) {
      double d = p->x[i * dim + f] - c.mean[q * dim + f];
      d2 += d * d;
    }
    m->wcss += p->weight[i] * d2;
    c.intra[q] += p->weight[i] * sqrt(d2);
  }
  for (int q = 0; q < k; q++)
    if (c.w[q] > 0) c.intra[q] /= c.w[q];
  m->defined = m->clusters >= 2 && m->clusters < tw;
  if (m->defined) {
    finish(&c, tw, m);
    s = points_silhouette(p, label, &c, fast, &m->silhouette);
  }
  glia_free(gmean);
  glia_free(c.w);
  return s;
}

glia_status glia_points_metrics(const glia_points *p, const int32_t *label, int k,
                                glia_cluster_metrics *m) {
  return glia__points_metrics(p, label, k, 1, m);
}
