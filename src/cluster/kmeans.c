/* Weighted multi-feature k-means: greedy k-means++ seeding (Arthur & Vassilvitskii 2007; the
 * 2 + ln k local trials of scikit-learn's _kmeans_plusplus), then Lloyd iterations (Lloyd
 * 1982) on distinct points weighted by their multiplicity, best WCSS of n_init restarts.
 * Restart r draws from its own stream seeded by (seed, r), so the result does not depend on
 * the number of threads. */
#include <math.h>
#include <string.h>

#include "cluster/internal.h"
#include "glia/rng.h"

typedef struct run {
  double *center; /* [k·dim] */
  double *d2;     /* [n] squared distance to the closest centre */
  double *cand;   /* [n] scratch */
  double *sum;    /* [k·dim] */
  double *w;      /* [k] */
  int32_t *label; /* [n] */
  double wcss;
  int iterations;
} run;

static double dist2(const double *a, const double *b, int dim) {
  double s = 0;
  for (int f = 0; f < dim; f++) {
    double d = a[f] - b[f];
    s += d * d;
  }
  return s;
}

/* Index drawn with probability proportional to weight[i]·d2[i] (or weight when d2 is NULL). */
static size_t draw(const glia_points *p, const double *d2, double total, glia_rng *rng) {
  double r = glia_rng_uniform(rng) * total, acc = 0;
  size_t last = 0;
  for (size_t i = 0; i < p->n; i++) {
    double v = p->weight[i] * (d2 ? d2[i] : 1.0);
    if (v <= 0) continue;
    acc += v;
    last = i;
    if (acc > r) return i;
  }
  return last;
}

static void seed_plusplus(const glia_points *p, int k, run *R, glia_rng *rng) {
  int dim = p->dim, trials = 2 + (int)log((double)k);
  size_t first = draw(p, NULL, p->total, rng);
  memcpy(R->center, p->x + first * (size_t)dim, sizeof(double) * (size_t)dim);
  double pot = 0;
  for (size_t i = 0; i < p->n; i++) {
    R->d2[i] = dist2(p->x + i * (size_t)dim, R->center, dim);
    pot += p->weight[i] * R->d2[i];
  }
  for (int c = 1; c < k; c++) {
    size_t best = 0;
    double best_pot = INFINITY;
    for (int t = 0; t < trials; t++) {
      size_t cand = draw(p, R->d2, pot, rng);
      const double *xc = p->x + cand * (size_t)dim;
      double np = 0;
      for (size_t i = 0; i < p->n; i++) {
        double d = dist2(p->x + i * (size_t)dim, xc, dim);
        np += p->weight[i] * (d < R->d2[i] ? d : R->d2[i]);
      }
      if (np < best_pot) best_pot = np, best = cand;
    }
    const double *xb = p->x + best * (size_t)dim;
    memcpy(R->center + (size_t)c * dim, xb, sizeof(double) * (size_t)dim);
    for (size_t i = 0; i < p->n; i++) {
      double d = dist2(p->x + i * (size_t)dim, xb, dim);
      if (d < R->d2[i]) R->d2[i] = d;
    }
    pot = best_pot;
  }
}

/* Assigns every point to its closest centre; returns the number of labels that changed. */
static size_t assign(const glia_points *p, int k, run *R) {
  size_t changed = 0;
  int dim = p->dim;
  double wcss = 0;
  for (size_t i = 0; i < p->n; i++) {
    const double *xi = p->x + i * (size_t)dim;
    int best = 0;
    double bd = INFINITY;
    for (int c = 0; c < k; c++) {
      double d = dist2(xi, R->center + (size_t)c * dim, dim);
      if (d < bd) bd = d, best = c;
    }
    changed += R->label[i] != best;
    R->label[i] = best;
    R->d2[i] = bd;
    wcss += p->weight[i] * bd;
  }
  R->wcss = wcss;
  return changed;
}

/* New centres as weighted means; an empty cluster takes the point farthest from its centre.
 * Returns the summed squared centre shift. */
static double update(const glia_points *p, int k, run *R) {
  int dim = p->dim;
  memset(R->sum, 0, sizeof(double) * (size_t)k * dim);
  memset(R->w, 0, sizeof(double) * (size_t)k);
  for (size_t i = 0; i < p->n; i++) {
    int c = R->label[i];
    R->w[c] += p->weight[i];
    for (int f = 0; f < dim; f++) R->sum[(size_t)c * dim + f] += p->weight[i] * p->x[i * dim + f];
  }
  double shift = 0;
  for (int c = 0; c < k; c++) {
    double *cc = R->center + (size_t)c * dim;
    double nc[16];
    if (R->w[c] > 0) {
      for (int f = 0; f < dim; f++) nc[f] = R->sum[(size_t)c * dim + f] / R->w[c];
    } else {
      size_t far = 0;
      for (size_t i = 1; i < p->n; i++)
        if (R->d2[i] > R->d2[far]) far = i;
      memcpy(nc, p->x + far * (size_t)dim, sizeof(double) * (size_t)dim);
      R->d2[far] = 0; /* not chosen twice */
    }
    shift += dist2(cc, nc, dim);
    memcpy(cc, nc, sizeof(double) * (size_t)dim);
  }
  return shift;
}

static void lloyd(const glia_points *p, int k, const glia_kmeans_opts *o, double tol, run *R) {
  for (size_t i = 0; i < p->n; i++) R->label[i] = -1;
  int it = 0;
  while (it < o->max_iter) {
    size_t changed = assign(p, k, R);
    it++;
    if (changed == 0) break; /* strict convergence */
    if (update(p, k, R) <= tol) break;
  }
  assign(p, k, R); /* labels and WCSS for the final centres, as scikit-learn */
  R->iterations = it;
}

static void run_free(run *R) {
  glia_free(R->center);
  glia_free(R->d2);
  glia_free(R->cand);
  glia_free(R->sum);
  glia_free(R->w);
  glia_free(R->label);
  memset(R, 0, sizeof *R); /* freeing twice is harmless */
}

static int run_alloc(run *R, size_t n, int k, int dim) {
  memset(R, 0, sizeof *R);
  R->center = glia_malloc(sizeof(double) * (size_t)k * dim);
  R->sum = glia_malloc(sizeof(double) * (size_t)k * dim);
  R->w = glia_malloc(sizeof(double) * (size_t)k);
  R->d2 = glia_malloc(sizeof(double) * (n ? n : 1));
  R->cand = glia_malloc(sizeof(double) * (n ? n : 1));
  R->label = glia_malloc(sizeof(int32_t) * (n ? n : 1));
  if (R->center && R->sum && R->w && R->d2 && R->cand && R->label) return 0;
  run_free(R);
  return -1;
}

void glia_kmeans_free(glia_kmeans *m) {
  if (!m) return;
  glia_free(m->center);
  glia_free(m->label);
  glia_free(m);
}

/* Relabels clusters by ascending first feature (ties: previous order). */
static void order_clusters(glia_kmeans *m, size_t n) {
  int k = m->k, dim = m->dim, perm[1024], rank[1024] = {0};
  for (int c = 0; c < k; c++) perm[c] = c;
  for (int a = 1; a < k; a++) /* insertion sort, k is small */
    for (int b = a;
         b > 0 && m->center[(size_t)perm[b] * dim] < m->center[(size_t)perm[b - 1] * dim]; b--) {
      int t = perm[b];
      perm[b] = perm[b - 1];
      perm[b - 1] = t;
    }
  double tmp[1024 * 16];
  memcpy(tmp, m->center, sizeof(double) * (size_t)k * dim);
  for (int r = 0; r < k; r++) {
    rank[perm[r]] = r;
    memcpy(m->center + (size_t)r * dim, tmp + (size_t)perm[r] * dim, sizeof(double) * (size_t)dim);
  }
  for (size_t i = 0; i < n; i++) m->label[i] = rank[m->label[i]];
}

static glia_status check_opts(const glia_points *p, int k, const glia_kmeans_opts *o) {
  if (!p) return glia_error(GLIA_ERR_ARGUMENT, "kmeans: NULL points");
  if (k < 1 || k > 1000)
    return glia_error(GLIA_ERR_ARGUMENT, "kmeans: k = %d, expected 1..1000", k);
  if (p->dim < 1 || p->dim > 16 || (!p->x && p->n) || !(p->total > 0 || p->n == 0))
    return glia_error(GLIA_ERR_ARGUMENT, "kmeans: %d features (expected 1..16), total weight %g",
                      p->dim, p->total);
  if (o->n_init < 1 || o->max_iter < 1 || !(o->tol >= 0))
    return glia_error(GLIA_ERR_ARGUMENT,
                      "kmeans: n_init %d, max_iter %d, tol %g (expected >= 1, >= 1, >= 0)",
                      o->n_init, o->max_iter, o->tol);
  return GLIA_OK;
}

glia_status glia_kmeans_fit(const glia_points *p, int k, const glia_kmeans_opts *opts,
                            glia_kmeans **out) {
  glia_kmeans_opts o = GLIA_KMEANS_DEFAULTS;
  if (opts) o = *opts;
  if (!out) return glia_error(GLIA_ERR_ARGUMENT, "kmeans: NULL output");
  *out = NULL;
  glia_status s = check_opts(p, k, &o);
  if (s) return s;
  int kk = (size_t)k < p->n ? k : (int)p->n, dim = p->dim;
  glia_kmeans *m = glia_calloc(1, sizeof *m);
  if (!m) return glia_error(GLIA_ERR_NOMEM, "kmeans: out of memory");
  m->k = kk;
  m->dim = dim;
  m->center = glia_calloc((size_t)(kk ? kk : 1) * dim, sizeof(double));
  m->label = glia_calloc(p->n ? p->n : 1, sizeof(int32_t));
  if (!m->center || !m->label) {
    glia_kmeans_free(m);
    return glia_error(GLIA_ERR_NOMEM, "kmeans: out of memory for %zu points", p->n);
  }
  if (kk == 0) {
    *out = m;
    return GLIA_OK;
  }
  /* scikit-learn's tolerance: tol × mean of the feature variances */
  double var = 0;
  for (int f = 0; f < dim; f++) {
    double mu = 0, v = 0;
    for (size_t i = 0; i < p->n; i++) mu += p->weight[i] * p->x[i * dim + f];
    mu /= p->total;
    for (size_t i = 0; i < p->n; i++) {
      double d = p->x[i * dim + f] - mu;
      v += p->weight[i] * d * d;
    }
    var += v / p->total;
  }
  double tol = o.tol * var / dim;
  run best, cur;
  if (run_alloc(&best, p->n, kk, dim) || run_alloc(&cur, p->n, kk, dim)) {
    run_free(&best);
    glia_kmeans_free(m);
    return glia_error(GLIA_ERR_NOMEM, "kmeans: out of memory for %zu points", p->n);
  }
  best.wcss = INFINITY;
  for (int r = 0; r < o.n_init; r++) {
    glia_rng rng;
    glia_rng_seed(&rng, o.seed, (uint64_t)r); /* restart r: its own stream */
    seed_plusplus(p, kk, &cur, &rng);
    lloyd(p, kk, &o, tol, &cur);
    if (cur.wcss < best.wcss) {
      run t = best;
      best = cur;
      cur = t;
    }
  }
  memcpy(m->center, best.center, sizeof(double) * (size_t)kk * dim);
  memcpy(m->label, best.label, sizeof(int32_t) * p->n);
  m->wcss = best.wcss;
  m->iterations = best.iterations;
  run_free(&best);
  run_free(&cur);
  order_clusters(m, p->n);
  int used[1024] = {0};
  for (size_t i = 0; i < p->n; i++) used[m->label[i]] = 1;
  for (int c = 0; c < kk; c++) m->clusters += used[c];
  *out = m;
  return GLIA_OK;
}
