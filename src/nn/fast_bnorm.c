/* Batch norm in training on blocked (nChw16c) tensors with oneDNN's primitive (its JIT kernel
 * for this layout, `bnorm_jit`), created once per shape and cached: the forward with batch
 * statistics (and the fused ReLU, whose mask oneDNN keeps as one bit per element in the
 * workspace at the end of aux), the backward, and the rebuild of a dropped output (the same
 * kernel with the saved statistics, as oneDNN's inference). Measured against the hand kernels
 * of fast_blocked.c on ResNet-18's shapes (docs/nn.md): as fast or faster, up to 1.5x in the
 * backward at 112². Evaluation mode and shapes oneDNN refuses stay on the hand kernels. */
#include <string.h>

#include "nn/fast_dnnl.h"

typedef struct bn_entry {
  glia__dnnl_entry base;
  int ok;
  dnnl_memory_desc_t data, stat, param, ws;
  dnnl_primitive_desc_t fpd, bpd, rpd;
  dnnl_primitive_t fwd, bwd, rec;
  dnnl_memory_desc_t scratch; /* the largest of the three primitives' (user mode) */
  size_t scratch_bytes;
} bn_entry;

static void bn_destroy(glia__dnnl_entry *base) {
  bn_entry *e = (bn_entry *)base;
  dnnl_primitive_t p[3] = {e->fwd, e->bwd, e->rec};
  dnnl_primitive_desc_t pd[3] = {e->fpd, e->bpd, e->rpd};
  for (int i = 0; i < 3; i++) {
    if (p[i]) dnnl_primitive_destroy(p[i]);
    if (pd[i]) dnnl_primitive_desc_destroy(pd[i]);
  }
  glia_free(e);
}

size_t glia__bn_blocked_ws_floats(const glia__args *a) {
  if (!(a->blocked & GLIA__BLK_IN(0)) || !a->i[0] || !a->i[1]) return 0;
  return (size_t)(glia__in_numel(a, 0) / 32) + 64; /* one bit per element, and slack */
}

static int usable(const glia_nn *nn, const glia__args *a) {
  return glia__nn_dnnl_batch_norm(nn) && a->i[0] && a->ndim[1] > 0 && a->ndim[2] > 0 &&
         a->ndim[0] == 4;
}

static void bn_build(glia__dnnl *d, bn_entry *e, const glia__args *a) {
  dnnl_engine_t eng = glia__dnnl_engine(d);
  const_dnnl_primitive_attr_t attr = glia__dnnl_attr(d); /* user-mode scratchpad */
  const int64_t *s = a->shape[0];
  dnnl_dims_t dims = {s[0], s[1], s[2], s[3]}, c = {s[1]};
  const float eps = (float)a->f[0];
  const unsigned relu = a->i[1] ? dnnl_fuse_norm_relu : 0u;
  const unsigned flags = dnnl_use_scale | dnnl_use_shift | relu;
  dnnl_memory_desc_init_by_tag(&e->data, 4, dims, dnnl_f32, dnnl_nChw16c);
  dnnl_memory_desc_init_by_tag(&e->param, 1, c, dnnl_f32, dnnl_x);
  dnnl_batch_normalization_desc_t bd;
  if (dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_training, &e->data, eps,
                                                 flags) != dnnl_success ||
      dnnl_primitive_desc_create(&e->fpd, &bd, attr, eng, NULL) != dnnl_success ||
      dnnl_primitive_create(&e->fwd, e->fpd) != dnnl_success)
    return;
  const dnnl_memory_desc_t *st = dnnl_primitive_desc_query_md(e->fpd, dnnl_query_dst_md, 1);
  const dnnl_memory_desc_t *ws = dnnl_primitive_desc_query_md(e->fpd, dnnl_query_workspace_md, 0);
  if (!st || dnnl_memory_desc_get_size(st) != (size_t)s[1] * sizeof(float)) return;
  e->stat = *st;
  if (relu) {
    if (!ws || dnnl_memory_desc_get_size(ws) > glia__bn_blocked_ws_floats(a) * sizeof(float))
      return;
    e->ws = *ws;
  }
  if (dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &e->data, &e->data, eps,
                                                  flags) != dnnl_success ||
      dnnl_primitive_desc_create(&e->bpd, &bd, attr, eng, e->fpd) != dnnl_success ||
      dnnl_primitive_create(&e->bwd, e->bpd) != dnnl_success)
    return;
  if (dnnl_batch_normalization_forward_desc_init(&bd, dnnl_forward_inference, &e->data, eps,
                                                 flags | dnnl_use_global_stats) != dnnl_success ||
      dnnl_primitive_desc_create(&e->rpd, &bd, attr, eng, NULL) != dnnl_success ||
      dnnl_primitive_create(&e->rec, e->rpd) != dnnl_success)
    return;
  const_dnnl_primitive_desc_t pds[3] = {e->fpd, e->bpd, e->rpd};
  for (int i = 0; i < 3; i++) {
    const dnnl_memory_desc_t *sp =
        dnnl_primitive_desc_query_md(pds[i], dnnl_query_scratchpad_md, 0);
    if (sp && dnnl_memory_desc_get_size(sp) > e->scratch_bytes) {
      e->scratch = *sp;
      e->scratch_bytes = dnnl_memory_desc_get_size(sp);
    }
  }
  e->ok = 1;
}

/* The cached entry of a's shape (NULL with *d set: none usable, the hand kernels run). */
static glia_status bn_get(glia_nn *nn, const glia__args *a, glia__dnnl **d, bn_entry **out) {
  *out = NULL;
  int64_t key[GLIA__DNNL_KEY] = {GLIA__DNNL_BN,  a->shape[0][0], a->shape[0][1],
                                 a->shape[0][2], a->shape[0][3], a->i[1] != 0};
  float eps = (float)a->f[0];
  memcpy(&key[6], &eps, sizeof eps);
  glia_status st = glia__dnnl_get(nn, d);
  if (st) return st;
  glia__dnnl_entry *found = glia__dnnl_find(*d, key);
  if (!found) {
    bn_entry *e = glia_calloc(1, sizeof *e);
    if (!e) return glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
    memcpy(e->base.key, key, sizeof key);
    e->base.destroy = bn_destroy;
    bn_build(*d, e, a);
    if ((st = glia__dnnl_add(*d, &e->base))) return st;
    found = &e->base;
  }
  bn_entry *e = (bn_entry *)found;
  *out = e->ok ? e : NULL;
  return GLIA_OK;
}

/* Runs p with its n arguments and the entry's scratch, taken from the context for the call. */
static glia_status run(glia_nn *nn, glia__dnnl *d, const bn_entry *e, dnnl_primitive_t p, int n,
                       const int *args, const dnnl_memory_desc_t *const *mds, void *const *ptrs) {
  int a2[11];
  const dnnl_memory_desc_t *m2[11];
  void *p2[11];
  glia__arena_mark mark = glia__arena_get_mark(nn);
  void *scratch = e->scratch_bytes ? glia__arena_alloc_raw(nn, e->scratch_bytes) : NULL;
  if (e->scratch_bytes && !scratch) return glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
  for (int k = 0; k < n; k++) {
    a2[k] = args[k];
    m2[k] = mds[k];
    p2[k] = ptrs[k];
  }
  a2[n] = DNNL_ARG_SCRATCHPAD;
  m2[n] = &e->scratch;
  p2[n] = scratch;
  glia_status st = glia__dnnl_exec(d, p, n + 1, a2, m2, p2, "batch_norm");
  glia__arena_release(nn, mark);
  return st;
}

/* invstd, scale and shift (aux[C..2C), [3C..5C)) from the mean and biased variance oneDNN
 * wrote in aux[0..C) and aux[2C..3C), as the hand forward computes them. */
static void bn_derived(const glia__args *a, const float *const *x, float *aux) {
  const int64_t C = a->shape[0][1];
  for (int64_t c = 0; c < C; c++)
    glia__bn_channel_aux(a, x[1], x[2], c, aux[c], aux[2 * C + c], aux);
}

int glia__bn_dnnl_fwd(glia_nn *nn, const glia__args *a, const float *const *x, float *y, float *aux,
                      glia_status *st) {
  glia__dnnl *d = NULL;
  bn_entry *e = NULL;
  *st = usable(nn, a) ? bn_get(nn, a, &d, &e) : GLIA_OK;
  if (*st || !e) return *st != GLIA_OK;
  const int64_t C = a->shape[0][1];
  const int args[7] = {DNNL_ARG_SRC,  DNNL_ARG_DST,      DNNL_ARG_SCALE,    DNNL_ARG_SHIFT,
                       DNNL_ARG_MEAN, DNNL_ARG_VARIANCE, DNNL_ARG_WORKSPACE};
  const dnnl_memory_desc_t *mds[7] = {&e->data, &e->data, &e->param, &e->param,
                                      &e->stat, &e->stat, &e->ws};
  void *const ptrs[7] = {
      (void *)x[0], y, (void *)x[1], (void *)x[2], aux, aux + 2 * C, a->i[1] ? aux + 5 * C : NULL};
  *st = run(nn, d, e, e->fwd, 7, args, mds, ptrs);
  if (!*st) bn_derived(a, x, aux);
  return 1;
}

int glia__bn_dnnl_recompute(glia_nn *nn, const glia__args *a, const float *const *x,
                            const float *aux, float *y, glia_status *st) {
  glia__dnnl *d = NULL;
  bn_entry *e = NULL;
  *st = usable(nn, a) ? bn_get(nn, a, &d, &e) : GLIA_OK;
  if (*st || !e) return *st != GLIA_OK;
  const int64_t C = a->shape[0][1];
  const int args[6] = {DNNL_ARG_SRC,   DNNL_ARG_DST,  DNNL_ARG_SCALE,
                       DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE};
  const dnnl_memory_desc_t *mds[6] = {&e->data, &e->data, &e->param, &e->param, &e->stat, &e->stat};
  void *const ptrs[6] = {(void *)x[0], y,           (void *)x[1],
                         (void *)x[2], (void *)aux, (void *)(aux + 2 * C)};
  *st = run(nn, d, e, e->rec, 6, args, mds, ptrs);
  return 1;
}

int glia__bn_dnnl_bwd(glia_nn *nn, const glia__args *a, const float *const *x, const float *aux,
                      const float *dy, float *const *dx, glia_status *st) {
  glia__dnnl *d = NULL;
  bn_entry *e = NULL;
  *st = usable(nn, a) ? bn_get(nn, a, &d, &e) : GLIA_OK;
  if (*st || !e) return *st != GLIA_OK;
  const int64_t C = a->shape[0][1], n = glia__in_numel(a, 0);
  const int direct = dx[0] && (a->fresh & 1); /* dx[0] written whole (maybe dy itself) */
  glia__arena_mark mark = glia__arena_get_mark(nn);
  float *g = direct ? dx[0] : glia__arena_alloc_raw(nn, (size_t)n * sizeof(float));
  float *dp = glia__arena_alloc_raw(nn, 2 * (size_t)C * sizeof(float));
  if (!g || !dp) {
    glia__arena_release(nn, mark);
    *st = glia_error(GLIA_ERR_NOMEM, "batch_norm: out of memory");
    return 1;
  }
  /* (oneDNN 2.6 refuses the backward without the shift, which it does not read.) */
  const int args[10] = {DNNL_ARG_SRC,       DNNL_ARG_DIFF_DST, DNNL_ARG_SCALE,
                        DNNL_ARG_SHIFT,     DNNL_ARG_MEAN,     DNNL_ARG_VARIANCE,
                        DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE,
                        DNNL_ARG_DIFF_SHIFT};
  const dnnl_memory_desc_t *mds[10] = {&e->data, &e->data, &e->param, &e->param, &e->stat,
                                       &e->stat, &e->ws,   &e->data,  &e->param, &e->param};
  void *const ptrs[10] = {(void *)x[0],
                          (void *)dy,
                          (void *)x[1],
                          (void *)x[2],
                          (void *)aux,
                          (void *)(aux + 2 * C),
                          a->i[1] ? (void *)(aux + 5 * C) : NULL,
                          g,
                          dp,
                          dp + C};
  *st = run(nn, d, e, e->bwd, 10, args, mds, ptrs);
  if (!*st) {
    if (dx[0] && !direct) glia__add_into(dx[0], g, n);
    for (int64_t c = 0; c < C; c++) {
      if (dx[1]) dx[1][c] += dp[c];
      if (dx[2]) dx[2][c] += dp[C + c];
    }
  }
  glia__arena_release(nn, mark);
  return 1;
}
