/* Exact 1-D k-means over weighted levels by dynamic programming.
 *
 * Wang & Song 2011 (Ckmeans.1d.dp, The R Journal 3(2)): in one dimension an optimal k-means
 * partition is contiguous in sorted order, so D[m][i] = min_j D[m−1][j] + cost(j, i) over the
 * first i levels gives the global optimum. The optimal split j is monotone in i, so each row
 * is filled by divide and conquer in O(n log n) (Grønlund, Larsen, Mathiasen, Nielsen,
 * Schneider & Song 2017, "Fast exact k-means, k-medians and Bregman divergence clustering in
 * 1D"). Segment costs come from prefix sums of w, w·x and w·x² around the weighted mean; the
 * WCSS reported is recomputed from the chosen partition by the two-pass formula. */
#include <math.h>
#include <string.h>

#include "cluster/internal.h"

typedef struct prefix {
  double *W, *S, *Q; /* [n+1] prefix sums of w, w·(x−mean), w·(x−mean)² */
} prefix;

static double seg_cost(const prefix *p, int j, int i) {
  double w = p->W[i] - p->W[j];
  if (w <= 0) return 0.0;
  double s = p->S[i] - p->S[j], q = p->Q[i] - p->Q[j];
  double c = q - s * s / w;
  return c > 0 ? c : 0.0;
}

static glia_status prefix_new(const double *x, const double *w, int n, prefix *p) {
  p->W = glia_malloc(sizeof(double) * 3 * (size_t)(n + 1));
  if (!p->W) return glia_error(GLIA_ERR_NOMEM, "kmeans1d: out of memory for %d levels", n);
  p->S = p->W + n + 1;
  p->Q = p->S + n + 1;
  double tw = 0, tx = 0;
  for (int i = 0; i < n; i++) tw += w[i], tx += w[i] * x[i];
  double mean = tw > 0 ? tx / tw : 0;
  p->W[0] = p->S[0] = p->Q[0] = 0;
  for (int i = 0; i < n; i++) {
    double d = x[i] - mean;
    p->W[i + 1] = p->W[i] + w[i];
    p->S[i + 1] = p->S[i] + w[i] * d;
    p->Q[i + 1] = p->Q[i] + w[i] * d * d;
  }
  return GLIA_OK;
}

/* Levels below the black threshold (they open the first cluster). */
static int below(const double *x, int n, double t) {
  int c = 0;
  if (t > 0)
    while (c < n && x[c] < t) c++;
  return c;
}

/* Most clusters a partition can have when the first t levels must share one cluster. */
static int feasible_clusters(int n, int t) { return t >= 1 ? 1 + n - t : n; }

typedef struct row_ctx {
  const prefix *p;
  const double *prev; /* D[m−1][·] */
  double *cur;        /* D[m][·] */
  int *arg;           /* J[m][·]: start of the last cluster */
} row_ctx;

/* Fills cur[ilo..ihi] knowing the optimal split of each lies in [jlo, jhi]. */
static void fill_row(const row_ctx *c, int ilo, int ihi, int jlo, int jhi) {
  while (ilo <= ihi) {
    int mid = ilo + (ihi - ilo) / 2;
    int hi = jhi < mid - 1 ? jhi : mid - 1;
    double best = INFINITY;
    int bj = jlo;
    for (int j = jlo; j <= hi; j++) {
      double v = c->prev[j] + seg_cost(c->p, j, mid);
      if (v < best) best = v, bj = j;
    }
    c->cur[mid] = best;
    c->arg[mid] = bj;
    /* left half recursively, right half by iteration (bounded stack depth log n) */
    fill_row(c, ilo, mid - 1, jlo, bj);
    ilo = mid + 1;
    jlo = bj;
  }
}

static void model_free_parts(glia_kmeans1d *m) {
  glia_free(m->center);
  glia_free(m->size);
  glia_free(m->first);
  glia_free(m->threshold);
}

void glia_kmeans1d_free(glia_kmeans1d *m) {
  if (!m) return;
  model_free_parts(m);
  glia_free(m);
}

/* Builds the model of `kk` clusters from the split table (J rows 2..kk). */
static glia_status make_model(const glia_levels *lv, int k, int kk, int **J, double black,
                              glia_kmeans1d **out) {
  glia_kmeans1d *m = glia_calloc(1, sizeof *m);
  if (!m) return glia_error(GLIA_ERR_NOMEM, "kmeans1d: out of memory");
  m->k = k;
  m->clusters = kk;
  m->black_threshold = black;
  size_t c = (size_t)(kk ? kk : 1);
  m->center = glia_calloc(c, sizeof(double));
  m->size = glia_calloc(c, sizeof(double));
  m->first = glia_calloc(c + 1, sizeof(int));
  m->threshold = glia_calloc(c, sizeof(double));
  if (!m->center || !m->size || !m->first || !m->threshold) {
    glia_kmeans1d_free(m);
    return glia_error(GLIA_ERR_NOMEM, "kmeans1d: out of memory");
  }
  int i = lv->n;
  m->first[kk] = lv->n;
  for (int r = kk; r >= 2; r--) {
    i = J[r][i];
    m->first[r - 1] = i;
  }
  m->first[0] = 0;
  double wcss = 0;
  for (int q = 0; q < kk; q++) {
    double tw = 0, tx = 0;
    for (int l = m->first[q]; l < m->first[q + 1]; l++)
      tw += lv->weight[l], tx += lv->weight[l] * lv->value[l];
    double mean = tx / tw, ss = 0;
    for (int l = m->first[q]; l < m->first[q + 1]; l++) {
      double d = lv->value[l] - mean;
      ss += lv->weight[l] * d * d;
    }
    m->center[q] = mean;
    m->size[q] = tw;
    wcss += ss;
    if (q > 0) m->threshold[q - 1] = 0.5 * (lv->value[m->first[q] - 1] + lv->value[m->first[q]]);
  }
  m->wcss = wcss;
  *out = m;
  return GLIA_OK;
}

glia_status glia_kmeans1d_sweep(const glia_levels *lv, int kmin, int kmax,
                                const glia_kmeans1d_opts *opts, glia_kmeans1d **models) {
  if (!lv || !models) return glia_error(GLIA_ERR_ARGUMENT, "kmeans1d: NULL argument");
  if (kmin < 1 || kmax < kmin || kmax > 1000)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "kmeans1d: k range %d..%d, expected 1 <= kmin <= kmax <= 1000", kmin, kmax);
  glia_kmeans1d_opts o = GLIA_KMEANS1D_DEFAULTS;
  if (opts) o = *opts;
  if (!isfinite(o.black_threshold))
    return glia_error(GLIA_ERR_ARGUMENT, "kmeans1d: black threshold %g is not finite",
                      o.black_threshold);
  for (int k = kmin; k <= kmax; k++) models[k - kmin] = NULL;
  int n = lv->n, t = below(lv->value, n, o.black_threshold);
  int K = feasible_clusters(n, t);
  if (K > kmax) K = kmax;
  prefix p = {0};
  double *D = NULL;
  int *Jbuf = NULL, **J = NULL;
  glia_status s = prefix_new(lv->value, lv->weight, n, &p);
  if (s) return s;
  size_t rows = (size_t)K + 1, cols = (size_t)n + 1;
  D = glia_malloc(sizeof(double) * rows * cols);
  Jbuf = glia_malloc(sizeof(int) * rows * cols);
  J = glia_malloc(sizeof(int *) * rows);
  if (!D || !Jbuf || !J) {
    s = glia_error(GLIA_ERR_NOMEM, "kmeans1d: out of memory for %d levels × %d clusters", n, K);
    goto done;
  }
  for (size_t r = 0; r < rows; r++) J[r] = Jbuf + r * cols;
  if (K >= 1) {
    int lo = t > 1 ? t : 1; /* the first cluster holds the t black levels */
    for (int i = 0; i <= n; i++) D[cols + (size_t)i] = i >= lo ? seg_cost(&p, 0, i) : INFINITY;
    for (int m = 2; m <= K; m++) {
      int jmin = lo + m - 2; /* fewest levels the first m−1 clusters can hold */
      row_ctx c = {&p, D + (size_t)(m - 1) * cols, D + (size_t)m * cols, J[m]};
      for (int i = 0; i <= jmin; i++) c.cur[i] = INFINITY;
      fill_row(&c, jmin + 1, n, jmin, n - 1);
    }
  }
  for (int k = kmin; k <= kmax; k++) {
    int kk = k < K ? k : K;
    s = make_model(lv, k, kk, J, o.black_threshold, &models[k - kmin]);
    if (s) break;
  }
  if (s)
    for (int k = kmin; k <= kmax; k++)
      glia_kmeans1d_free(models[k - kmin]), models[k - kmin] = NULL;
done:
  glia_free(p.W);
  glia_free(D);
  glia_free(Jbuf);
  glia_free(J);
  return s;
}

glia_status glia_kmeans1d_fit(const glia_levels *lv, int k, const glia_kmeans1d_opts *opts,
                              glia_kmeans1d **out) {
  if (!out) return glia_error(GLIA_ERR_ARGUMENT, "kmeans1d: NULL output");
  *out = NULL;
  return glia_kmeans1d_sweep(lv, k, k, opts, out);
}

int glia_kmeans1d_predict(const glia_kmeans1d *m, double value) {
  if (!m || m->clusters <= 1) return 0;
  if (m->black_threshold > 0 && value < m->black_threshold) return 0;
  int lo = 0, hi = m->clusters - 1; /* first c with value <= threshold[c], else the last */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (value <= m->threshold[mid])
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

void glia_kmeans1d_level_labels(const glia_kmeans1d *m, int n, int32_t *label) {
  for (int c = 0; c < m->clusters; c++)
    for (int l = m->first[c]; l < m->first[c + 1] && l < n; l++) label[l] = c;
}

int glia__kmeans1d_reference(const double *x, const double *w, int n, int k, int t, double *wcss) {
  int K = feasible_clusters(n, t);
  if (k < K) K = k;
  if (K < 1 || n < 1) {
    *wcss = 0;
    return 0;
  }
  prefix p;
  double *D = NULL;
  if (prefix_new(x, w, n, &p)) return -1;
  size_t cols = (size_t)n + 1;
  D = glia_malloc(sizeof(double) * cols * (size_t)(K + 1));
  if (!D) {
    glia_free(p.W);
    return -1;
  }
  int lo = t > 1 ? t : 1;
  for (int i = 0; i <= n; i++) D[cols + (size_t)i] = i >= lo ? seg_cost(&p, 0, i) : INFINITY;
  for (int m = 2; m <= K; m++)
    for (int i = 0; i <= n; i++) {
      double best = INFINITY;
      for (int j = lo + m - 2; j < i; j++) {
        double v = D[(size_t)(m - 1) * cols + (size_t)j] + seg_cost(&p, j, i);
        if (v < best) best = v;
      }
      D[(size_t)m * cols + (size_t)i] = best;
    }
  *wcss = D[(size_t)K * cols + (size_t)n];
  glia_free(D);
  glia_free(p.W);
  return K;
}
