/* batch_norm fast path: oneDNN batch normalization primitives (forward training with batch
 * statistics, forward inference with the running ones, backward), created once per shape and
 * cached in the context. x [N, C, ...] is seen as plain NCHW [N, C, S, 1]; the aux layout is
 * the reference's (mean[C], invstd[C], biased var[C]), so the running-statistics update
 * (op_norm.c, unbiased variance as PyTorch) is shared. The fused ReLU's backward derives its
 * mask from x and the saved statistics, never from y (which may be gone). */
#include <math.h>
#include <string.h>

#include "nn/fast_dnnl.h"

typedef struct bn_entry {
  glia__dnnl_entry base;
  int ok;
  dnnl_memory_desc_t data, stat, ws;
  dnnl_primitive_desc_t fpd, hpd, bpd; /* forward, backward's forward-training hint, backward */
  dnnl_primitive_t fwd, bwd;
} bn_entry;

static void bn_destroy(glia__dnnl_entry *base) {
  bn_entry *e = (bn_entry *)base;
  if (e->fwd) dnnl_primitive_destroy(e->fwd);
  if (e->bwd) dnnl_primitive_destroy(e->bwd);
  if (e->fpd) dnnl_primitive_desc_destroy(e->fpd);
  if (e->hpd) dnnl_primitive_desc_destroy(e->hpd);
  if (e->bpd) dnnl_primitive_desc_destroy(e->bpd);
  glia_free(e);
}

typedef struct bn_geom {
  int64_t N, C, S;
  int train, relu, w, b;
} bn_geom;

static bn_geom geom(const glia__args *a) {
  bn_geom g;
  g.N = a->shape[0][0];
  g.C = a->shape[0][1];
  g.S = glia__in_numel(a, 0) / (g.N * g.C);
  g.train = a->i[0] != 0;
  g.relu = a->i[1] != 0;
  g.w = a->ndim[1] > 0;
  g.b = a->ndim[2] > 0;
  return g;
}

int glia__batch_norm_supports(const glia__args *a) { return glia__in_numel(a, 0) > 0; }

/* The primitives of one shape; e->ok stays 0 when oneDNN refuses it (reference path). */
static void bn_build(glia__dnnl *d, bn_entry *e, const bn_geom *g, float eps) {
  dnnl_engine_t eng = glia__dnnl_engine(d);
  dnnl_dims_t dims = {g->N, g->C, g->S, 1}, cdims = {g->C};
  dnnl_memory_desc_init_by_tag(&e->data, 4, dims, dnnl_f32, dnnl_nchw);
  dnnl_memory_desc_init_by_tag(&e->stat, 1, cdims, dnnl_f32, dnnl_x);
  const unsigned flags = (g->w ? dnnl_use_scale : 0U) | (g->b ? dnnl_use_shift : 0U) |
                         (g->train ? 0U : dnnl_use_global_stats);
  dnnl_batch_normalization_desc_t bd;
  if (dnnl_batch_normalization_forward_desc_init(
          &bd, g->train ? dnnl_forward_training : dnnl_forward_inference, &e->data, eps,
          flags | (g->relu ? dnnl_fuse_norm_relu : 0U)) != dnnl_success ||
      dnnl_primitive_desc_create(&e->fpd, &bd, NULL, eng, NULL) != dnnl_success ||
      dnnl_primitive_create(&e->fwd, e->fpd) != dnnl_success)
    return;
  const dnnl_memory_desc_t *ws = dnnl_primitive_desc_query_md(e->fpd, dnnl_query_workspace_md, 0);
  if (ws) e->ws = *ws;
  /* The backward runs without the fused ReLU (its gradient is masked here first), so its
   * hint is a forward-training descriptor without it. */
  if (dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_training, &e->data, eps,
                                                 flags) != dnnl_success ||
      dnnl_primitive_desc_create(&e->hpd, &bd, NULL, eng, NULL) != dnnl_success)
    return;
  if (dnnl_batch_normalization_backward_desc_init(
          &bd, g->w || g->b ? dnnl_backward : dnnl_backward_data, &e->data, &e->data, eps,
          flags) != dnnl_success ||
      dnnl_primitive_desc_create(&e->bpd, &bd, NULL, eng, e->hpd) != dnnl_success ||
      dnnl_primitive_create(&e->bwd, e->bpd) != dnnl_success)
    return;
  e->ok = 1;
}

static glia_status bn_get(glia_nn *nn, const glia__args *a, glia__dnnl **dout, bn_entry **out) {
  const bn_geom g = geom(a);
  const float eps = (float)a->f[0];
  int64_t key[GLIA__DNNL_KEY] = {GLIA__DNNL_BN, g.N, g.C, g.S, g.train, g.relu, g.w, g.b};
  memcpy(&key[8], &eps, sizeof eps);
  glia_status st = glia__dnnl_get(nn, dout);
  if (st) return st;
  glia__dnnl_entry *found = glia__dnnl_find(*dout, key);
  if (found) {
    *out = (bn_entry *)found;
    return GLIA_OK;
  }
  bn_entry *e = glia_calloc(1, sizeof *e);
  if (!e) return glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
  memcpy(e->base.key, key, sizeof key);
  e->base.destroy = bn_destroy;
  bn_build(*dout, e, &g, eps);
  if ((st = glia__dnnl_add(*dout, &e->base))) return st;
  *out = e;
  return GLIA_OK;
}

glia_status glia__batch_norm_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      float *y, float *aux) {
  glia__dnnl *d = NULL;
  bn_entry *e = NULL;
  glia_status st = bn_get(nn, a, &d, &e);
  if (st) return st;
  if (!e->ok) {
    glia__batch_norm_fwd_f(a, x, y, aux);
    return GLIA_OK;
  }
  const bn_geom g = geom(a);
  float *mean = aux, *invstd = aux + g.C, *var = aux + 2 * g.C;
  if (!g.train) { /* the running statistics, saved for the backward as the reference does */
    memcpy(mean, x[3], (size_t)g.C * sizeof(float));
    memcpy(var, x[4], (size_t)g.C * sizeof(float));
  }
  glia__arena_mark mark = glia__arena_get_mark(nn);
  size_t ws_bytes = dnnl_memory_desc_get_size(&e->ws);
  void *ws = ws_bytes ? glia__arena_alloc_raw(nn, ws_bytes) : NULL; /* unused: see bwd */
  if (ws_bytes && !ws) return glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
  const int args[7] = {DNNL_ARG_SRC,   DNNL_ARG_DST,   DNNL_ARG_MEAN,     DNNL_ARG_VARIANCE,
                       DNNL_ARG_SCALE, DNNL_ARG_SHIFT, DNNL_ARG_WORKSPACE};
  const dnnl_memory_desc_t *mds[7] = {&e->data, &e->data, &e->stat, &e->stat,
                                      &e->stat, &e->stat, &e->ws};
  void *const ptrs[7] = {(void *)x[0], y,   mean, var, g.w ? (void *)x[1] : NULL,
                         g.b ? (void *)x[2] : NULL, ws};
  st = glia__dnnl_exec(d, e->fwd, 7, args, mds, ptrs, "batch_norm");
  glia__arena_release(nn, mark);
  for (int64_t c = 0; c < g.C; c++) invstd[c] = (float)(1.0 / sqrt((double)var[c] + a->f[0]));
  return st;
}

/* dy where the fused ReLU's input x·sc + sh (sc = weight·invstd, sh = bias - mean·sc, as the
 * forward) is positive, else 0. */
static void relu_mask(const glia__args *a, const float *const *x, const float *aux,
                      const float *dy, float *out) {
  const bn_geom g = geom(a);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < g.N; n++)
    for (int64_t c = 0; c < g.C; c++) {
      const float sc = (g.w ? x[1][c] : 1.0f) * aux[g.C + c];
      const float sh = (g.b ? x[2][c] : 0.0f) - aux[c] * sc;
      const float *xs = x[0] + (n * g.C + c) * g.S, *ds = dy + (n * g.C + c) * g.S;
      float *os = out + (n * g.C + c) * g.S;
#pragma omp simd
      for (int64_t k = 0; k < g.S; k++) os[k] = xs[k] * sc + sh > 0 ? ds[k] : 0.0f;
    }
}

glia_status glia__batch_norm_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      const float *y, const float *aux, const float *dy,
                                      float *const *dx) {
  (void)y;
  glia__dnnl *d = NULL;
  bn_entry *e = NULL;
  glia_status st = bn_get(nn, a, &d, &e);
  if (st) return st;
  const bn_geom g = geom(a);
  const int64_t n = g.N * g.C * g.S;
  glia__arena_mark mark = glia__arena_get_mark(nn);
  const float *d_in = dy;
  if (g.relu) {
    float *m = glia__arena_alloc_raw(nn, (size_t)n * sizeof(float));
    if (!m) return glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
    relu_mask(a, x, aux, dy, m);
    d_in = m;
  }
  if (!e->ok) { /* reference backward on the masked gradient, without its y-based mask */
    glia__args b = *a;
    b.i[1] = 0;
    glia__batch_norm_bwd_f(&b, x, x[0], aux, d_in, dx); /* y unread */
    glia__arena_release(nn, mark);
    return GLIA_OK;
  }
  float *t = glia__arena_alloc_raw(nn, (size_t)(n + 2 * g.C) * sizeof(float));
  if (!t) return glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
  /* oneDNN 2.6 asks for the shift as an input of the backward too (it does not read it). */
  const int args[9] = {DNNL_ARG_SRC,      DNNL_ARG_MEAN,       DNNL_ARG_VARIANCE,
                       DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,      DNNL_ARG_SHIFT,
                       DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE, DNNL_ARG_DIFF_SHIFT};
  const dnnl_memory_desc_t *mds[9] = {&e->data, &e->stat, &e->stat, &e->data, &e->stat,
                                      &e->stat, &e->data, &e->stat, &e->stat};
  void *const ptrs[9] = {(void *)x[0],
                         (void *)aux,
                         (void *)(aux + 2 * g.C),
                         (void *)d_in,
                         g.w ? (void *)x[1] : NULL,
                         g.b ? (void *)x[2] : NULL,
                         t,
                         g.w ? t + n : NULL,
                         g.b ? t + n + g.C : NULL};
  st = glia__dnnl_exec(d, e->bwd, 9, args, mds, ptrs, "batch_norm");
  if (!st) {
    if (dx[0]) glia__add_into(dx[0], t, n);
    if (dx[1] && g.w) glia__add_into(dx[1], t + n, g.C);
    if (dx[2] && g.b) glia__add_into(dx[2], t + n + g.C, g.C);
  }
  glia__arena_release(nn, mark);
  return st;
}
