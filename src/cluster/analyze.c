/* One image through the cluster sweep: grey levels or feature vectors inside the mask, k-means
 * for every k of the sweep, metrics, the choice of k and the label map at that k. */
#include <math.h>
#include <string.h>

#include "cluster/internal.h"

void glia_cluster_result_free(glia_cluster_result *r) {
  if (!r) return;
  glia_free(r->metrics);
  glia_free(r->mean_gray);
  glia_free(r->labels);
  glia_free(r->mask);
  glia_free(r);
}

static glia_status check_opts(const glia_image *img, const char *name, const glia_cluster_opts *o) {
  if (!img || !img->data) return glia_error(GLIA_ERR_ARGUMENT, "%s: NULL image", name);
  if (o->kmin < 1 || o->kmax < o->kmin || o->kmax > 256)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: k range %d..%d, expected 1 <= kmin <= kmax <= 256",
                      name, o->kmin, o->kmax);
  if (o->k < 0 || o->k > 256)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: k = %d, expected 0 (auto) or 1..256", name, o->k);
  if (o->bits != 8 && o->bits != 16)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: bits %d, expected 8 or 16", name, o->bits);
  if (!(o->black_threshold >= 0 && o->black_threshold <= 256))
    return glia_error(GLIA_ERR_ARGUMENT, "%s: black threshold %g, expected 0..256", name,
                      o->black_threshold);
  if (o->features != GLIA_FEATURES_GRAY && o->black_threshold > 0)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: the black threshold applies to grey features only",
                      name);
  if (o->features == GLIA_FEATURES_RGB && img->channels < 3)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: rgb features need a colour image (%d channel)", name,
                      img->channels);
  if (o->features < GLIA_FEATURES_GRAY || o->features > GLIA_FEATURES_GRAY_XY)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: unknown feature set %d", name, (int)o->features);
  return GLIA_OK;
}

/* The pixels to cluster (0/1) from the options; counts them. */
static glia_status make_mask(const uint16_t *q, int bits, int w, int h, const char *name,
                             const glia_cluster_opts *o, uint8_t *mask, size_t *count) {
  size_t n = (size_t)w * h;
  if (o->mask) {
    for (size_t i = 0; i < n; i++) mask[i] = o->mask[i] != 0;
  } else if (o->head_mask) {
    for (size_t i = 0; i < n; i++) mask[i] = (uint8_t)(bits == 8 ? q[i] : q[i] >> 8);
    uint8_t *gray = glia_malloc(n ? n : 1);
    if (!gray) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
    memcpy(gray, mask, n);
    glia_status s = glia__head_mask(gray, w, h, mask);
    glia_free(gray);
    if (s) return s;
  } else {
    memset(mask, 1, n);
  }
  *count = 0;
  for (size_t i = 0; i < n; i++) *count += mask[i];
  if (!*count)
    return glia_error(GLIA_ERR_EMPTY, "%s: the mask selects no pixel (%s)", name,
                      o->mask        ? "given mask"
                      : o->head_mask ? "head mask"
                                     : "empty image");
  return GLIA_OK;
}

/* Grey features: exact sweep, metrics, labels at the chosen k. */
static glia_status run_gray(const uint16_t *q, const glia_cluster_opts *o, glia_cluster_result *r) {
  glia_levels *lv = NULL;
  glia_kmeans1d **models = NULL, *extra = NULL;
  int32_t *lab = NULL, *lut = NULL;
  size_t n = (size_t)r->width * r->height;
  glia_status s = glia_levels_from_pixels(q, r->mask, n, o->bits, &lv);
  if (s) return s;
  models = glia_calloc((size_t)r->nk, sizeof(glia_kmeans1d *));
  lab = glia_malloc(sizeof(int32_t) * (size_t)(lv->n ? lv->n : 1));
  lut = glia_malloc(sizeof(int32_t) * ((size_t)1 << o->bits));
  if (!models || !lab || !lut) {
    s = glia_error(GLIA_ERR_NOMEM, "cluster: out of memory");
    goto done;
  }
  glia_kmeans1d_opts ko = {o->black_threshold};
  if ((s = glia_kmeans1d_sweep(lv, o->kmin, o->kmax, &ko, models))) goto done;
  for (int i = 0; i < r->nk; i++) {
    glia_kmeans1d_level_labels(models[i], lv->n, lab);
    int kk = models[i]->clusters ? models[i]->clusters : 1;
    if ((s = glia_levels_metrics(lv, lab, kk, &r->metrics[i]))) goto done;
    r->metrics[i].k = models[i]->k;
  }
  r->choice = glia_cluster_choose_k(r->metrics, r->nk);
  r->k = o->k ? o->k : r->choice.best;
  const glia_kmeans1d *m;
  if (r->k >= o->kmin && r->k <= o->kmax)
    m = models[r->k - o->kmin];
  else if ((s = glia_kmeans1d_fit(lv, r->k, &ko, &extra)))
    goto done;
  else
    m = extra;
  r->clusters = m->clusters;
  if (!(r->mean_gray = glia_malloc(sizeof(double) * (size_t)(m->clusters ? m->clusters : 1)))) {
    s = glia_error(GLIA_ERR_NOMEM, "cluster: out of memory");
    goto done;
  }
  memcpy(r->mean_gray, m->center, sizeof(double) * (size_t)m->clusters);
  int nbins = 1 << o->bits;
  double scale = 255.0 / (nbins - 1);
  for (int b = 0; b < nbins; b++) lut[b] = glia_kmeans1d_predict(m, b * scale);
  glia_kmeans1d_level_labels(m, lv->n, lab); /* the fit's own labels for the levels it saw */
  for (int l = 0; l < lv->n; l++) lut[lv->bin[l]] = lab[l];
  for (size_t i = 0; i < n; i++) r->labels[i] = r->mask[i] ? lut[q[i]] : -1;
done:
  if (models)
    for (int i = 0; i < r->nk; i++) glia_kmeans1d_free(models[i]);
  glia_free(models);
  glia_kmeans1d_free(extra);
  glia_free(lab);
  glia_free(lut);
  glia_levels_free(lv);
  return s;
}

/* Feature vectors of the masked pixels, grey units (0..255). */
static glia_status features(const glia_image *img, const uint16_t *q, const glia_cluster_opts *o,
                            const glia_cluster_result *r, double **xout, double **gout, int *dim) {
  int w = img->width, h = img->height, d = 3; /* r, g, b or grey, x, y */
  double *x = glia_malloc(sizeof(double) * (size_t)d * r->pixels);
  double *g = glia_malloc(sizeof(double) * r->pixels);
  if (!x || !g) {
    glia_free(x);
    glia_free(g);
    return glia_error(GLIA_ERR_NOMEM, "cluster: out of memory for %zu feature vectors", r->pixels);
  }
  double gs = 255.0 / ((1 << o->bits) - 1);
  size_t j = 0;
  for (int y = 0; y < h; y++)
    for (int xx = 0; xx < w; xx++) {
      size_t i = (size_t)y * w + xx;
      if (!r->mask[i]) continue;
      double *f = x + j * (size_t)d;
      g[j] = q[i] * gs;
      if (o->features == GLIA_FEATURES_RGB) {
        const float *p = img->data + (size_t)y * img->stride + (size_t)xx * img->channels;
        for (int c = 0; c < 3; c++) f[c] = floor(p[c] * 255.0 + 0.5);
      } else {
        f[0] = g[j];
        f[1] = w > 1 ? xx * 255.0 / (w - 1) : 0;
        f[2] = h > 1 ? y * 255.0 / (h - 1) : 0;
      }
      j++;
    }
  *xout = x;
  *gout = g;
  *dim = d;
  return GLIA_OK;
}

/* Multi-feature sweep; the label map ranks clusters by their mean grey level. */
static glia_status run_points(const glia_image *img, const uint16_t *q, const glia_cluster_opts *o,
                              glia_cluster_result *r) {
  double *x = NULL, *g = NULL;
  size_t *inv = NULL;
  glia_points *p = NULL;
  glia_kmeans *km = NULL;
  int dim = 0;
  glia_status s = features(img, q, o, r, &x, &g, &dim);
  if (s) return s;
  if (!x || !g) return glia_error(GLIA_ERR_INTERNAL, "cluster: no feature vectors");
  if (!(inv = glia_malloc(sizeof(size_t) * r->pixels))) {
    s = glia_error(GLIA_ERR_NOMEM, "cluster: out of memory");
    goto done;
  }
  if ((s = glia_points_unique(x, r->pixels, dim, inv, &p))) goto done;
  for (int i = 0; i < r->nk; i++) {
    if ((s = glia_kmeans_fit(p, o->kmin + i, &o->kmeans, &km))) goto done;
    if ((s = glia_points_metrics(p, km->label, km->k ? km->k : 1, &r->metrics[i]))) goto done;
    r->metrics[i].k = o->kmin + i;
    glia_kmeans_free(km);
    km = NULL;
  }
  r->choice = glia_cluster_choose_k(r->metrics, r->nk);
  r->k = o->k ? o->k : r->choice.best;
  if ((s = glia_kmeans_fit(p, r->k, &o->kmeans, &km))) goto done;
  int k = km->k;
  double sum[256] = {0}, cnt[256] = {0};
  for (size_t j = 0; j < r->pixels; j++) sum[km->label[inv[j]]] += g[j], cnt[km->label[inv[j]]]++;
  int order[256], rank[256], nonempty = 0;
  for (int c = 0; c < k; c++)
    if (cnt[c] > 0) order[nonempty++] = c;
  for (int a = 1; a < nonempty; a++) /* by mean grey, ascending */
    for (int b = a; b > 0 && sum[order[b]] / cnt[order[b]] < sum[order[b - 1]] / cnt[order[b - 1]];
         b--) {
      int t = order[b];
      order[b] = order[b - 1];
      order[b - 1] = t;
    }
  r->clusters = nonempty;
  if (!(r->mean_gray = glia_malloc(sizeof(double) * (size_t)(nonempty ? nonempty : 1)))) {
    s = glia_error(GLIA_ERR_NOMEM, "cluster: out of memory");
    goto done;
  }
  for (int c = 0; c < nonempty; c++) {
    rank[order[c]] = c;
    r->mean_gray[c] = sum[order[c]] / cnt[order[c]];
  }
  size_t n = (size_t)r->width * r->height, j = 0;
  for (size_t i = 0; i < n; i++) r->labels[i] = r->mask[i] ? rank[km->label[inv[j++]]] : -1;
done:
  glia_kmeans_free(km);
  glia_points_free(p);
  glia_free(inv);
  glia_free(x);
  glia_free(g);
  return s;
}

glia_status glia_cluster_image(const glia_image *img, const char *name,
                               const glia_cluster_opts *opts, glia_cluster_result **out) {
  glia_cluster_opts o = GLIA_CLUSTER_DEFAULTS;
  if (opts) o = *opts;
  if (!name) name = "image";
  if (!out) return glia_error(GLIA_ERR_ARGUMENT, "%s: NULL output", name);
  *out = NULL;
  glia_status s = check_opts(img, name, &o);
  if (s) return s;
  int w = img->width, h = img->height;
  size_t n = (size_t)w * h;
  uint16_t *q = glia_malloc(sizeof(uint16_t) * (n ? n : 1));
  glia_cluster_result *r = glia_calloc(1, sizeof *r);
  if (r) {
    r->width = w, r->height = h, r->nk = o.kmax - o.kmin + 1;
    r->metrics = glia_calloc((size_t)r->nk, sizeof *r->metrics);
    r->labels = glia_malloc(sizeof(int32_t) * (n ? n : 1));
    r->mask = glia_malloc(n ? n : 1);
  }
  if (!q || !r || !r->metrics || !r->labels || !r->mask) {
    s = glia_error(GLIA_ERR_NOMEM, "%s: out of memory for %d×%d pixels", name, w, h);
    goto done;
  }
  if ((s = glia_image_gray_levels(img, o.bits, q))) goto done;
  if ((s = make_mask(q, o.bits, w, h, name, &o, r->mask, &r->pixels))) goto done;
  s = o.features == GLIA_FEATURES_GRAY ? run_gray(q, &o, r) : run_points(img, q, &o, r);
done:
  glia_free(q);
  if (s)
    glia_cluster_result_free(r);
  else
    *out = r;
  return s;
}
