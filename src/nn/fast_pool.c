/* max_pool2d and avg_pool2d fast paths. oneDNN pooling primitives on plain NCHW, created once
 * per shape and cached in the context, are used only where oneDNN runs a JIT kernel for the
 * shape (its other NCHW implementation, simple_nchw, was 3-10x slower than the loops here) and
 * where they were measured faster (docs/nn.md):
 * - max pooling: oneDNN for the forward without gradient recording (ResNet's 3×3 stride-2 stem
 *   pool 2.8x faster); with recording, a hand kernel that saves the argmax as a float index in
 *   aux (its scatter backward was 4x faster than oneDNN's, and 2×2 windows were faster too);
 * - average pooling (count_include_pad; in floor mode no window passes the right padding, so
 *   the divisor is always kernel²): oneDNN forward and backward, else the reference. */
#include <string.h>

#include "nn/fast_dnnl.h"

typedef struct pool_entry {
  glia__dnnl_entry base;
  int ok;
  dnnl_memory_desc_t src, dst;
  dnnl_primitive_desc_t fpd, bpd;
  dnnl_primitive_t fwd, bwd;
} pool_entry;

static void pool_destroy(glia__dnnl_entry *base) {
  pool_entry *e = (pool_entry *)base;
  if (e->fwd) dnnl_primitive_destroy(e->fwd);
  if (e->bwd) dnnl_primitive_destroy(e->bwd);
  if (e->fpd) dnnl_primitive_desc_destroy(e->fpd);
  if (e->bpd) dnnl_primitive_desc_destroy(e->bpd);
  glia_free(e);
}

int glia__pool_supports(const glia__args *a) { return a->shape[0][2] * a->shape[0][3] < (1 << 24); }

/* Whether pd runs one of oneDNN's JIT kernels. */
static int is_jit(const_dnnl_primitive_desc_t pd) {
  const char *impl = NULL;
  return dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
         impl && !strncmp(impl, "jit", 3);
}

/* Average pooling: forward training + backward; max pooling: forward inference only. */
static void pool_build(glia__dnnl *d, pool_entry *e, const glia__args *a, int avg) {
  dnnl_engine_t eng = glia__dnnl_engine(d);
  const int64_t k = a->i[0], s = a->i[1], p = a->i[2];
  dnnl_dims_t src = {a->shape[0][0], a->shape[0][1], a->shape[0][2], a->shape[0][3]};
  dnnl_dims_t dst = {a->out_shape[0], a->out_shape[1], a->out_shape[2], a->out_shape[3]};
  dnnl_dims_t st = {s, s}, ker = {k, k}, pl = {p, p}, pr;
  /* Exact right padding; negative (the floor dropped input) becomes 0, same output size. */
  for (int j = 0; j < 2; j++) {
    pr[j] = (dst[2 + j] - 1) * s + k - src[2 + j] - p;
    if (pr[j] < 0) pr[j] = 0;
  }
  const dnnl_format_tag_t tag = a->blocked ? dnnl_nChw16c : dnnl_nchw; /* fast_blocked.c */
  dnnl_memory_desc_init_by_tag(&e->src, 4, src, dnnl_f32, tag);
  dnnl_memory_desc_init_by_tag(&e->dst, 4, dst, dnnl_f32, tag);
  const dnnl_alg_kind_t alg = avg ? dnnl_pooling_avg_include_padding : dnnl_pooling_max;
  dnnl_pooling_desc_t pd;
  if (dnnl_pooling_forward_desc_init(&pd, avg ? dnnl_forward_training : dnnl_forward_inference, alg,
                                     &e->src, &e->dst, st, ker, pl, pr) != dnnl_success ||
      dnnl_primitive_desc_create(&e->fpd, &pd, NULL, eng, NULL) != dnnl_success ||
      !is_jit(e->fpd) || dnnl_primitive_create(&e->fwd, e->fpd) != dnnl_success)
    return;
  if (avg && (dnnl_pooling_backward_desc_init(&pd, alg, &e->src, &e->dst, st, ker, pl, pr) !=
                  dnnl_success ||
              dnnl_primitive_desc_create(&e->bpd, &pd, NULL, eng, e->fpd) != dnnl_success ||
              !is_jit(e->bpd) || dnnl_primitive_create(&e->bwd, e->bpd) != dnnl_success))
    return;
  e->ok = 1;
}

static glia_status pool_get(glia_nn *nn, const glia__args *a, int avg, glia__dnnl **dout,
                            pool_entry **out) {
  int64_t key[GLIA__DNNL_KEY] = {
      GLIA__DNNL_POOL, avg,     a->shape[0][0], a->shape[0][1], a->shape[0][2],
      a->shape[0][3],  a->i[0], a->i[1],        a->i[2],        a->blocked != 0};
  glia_status st = glia__dnnl_get(nn, dout);
  if (st) return st;
  glia__dnnl_entry *found = glia__dnnl_find(*dout, key);
  if (found) {
    *out = (pool_entry *)found;
    return GLIA_OK;
  }
  pool_entry *e = glia_calloc(1, sizeof *e);
  if (!e) {
    (void)glia_error(GLIA_ERR_NOMEM, "pool2d: out of memory");
    return GLIA_ERR_NOMEM;
  }
  memcpy(e->base.key, key, sizeof key);
  e->base.destroy = pool_destroy;
  pool_build(*dout, e, a, avg);
  if (glia__dnnl_add(*dout, &e->base)) return GLIA_ERR_NOMEM; /* e destroyed, error recorded */
  *out = e;
  return GLIA_OK;
}

static glia_status pool_fwd(glia__dnnl *d, const pool_entry *e, const float *x, float *y) {
  const int args[2] = {DNNL_ARG_SRC, DNNL_ARG_DST};
  const dnnl_memory_desc_t *mds[2] = {&e->src, &e->dst};
  void *const ptrs[2] = {(void *)x, y};
  return glia__dnnl_exec(d, e->fwd, 2, args, mds, ptrs, "pool2d");
}

static glia_status pool_bwd(glia_nn *nn, glia__dnnl *d, const pool_entry *e, const glia__args *a,
                            const float *dy, float *dx) {
  if (!dx) return GLIA_OK;
  const int64_t n = glia__in_numel(a, 0);
  glia__arena_mark mark = glia__arena_get_mark(nn);
  float *t = glia__arena_alloc_raw(nn, (size_t)n * sizeof(float));
  if (!t) return glia_error(GLIA_ERR_NOMEM, "pool2d: out of memory");
  const int args[2] = {DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC};
  const dnnl_memory_desc_t *mds[2] = {&e->dst, &e->src};
  void *const ptrs[2] = {(void *)dy, t};
  glia_status st = glia__dnnl_exec(d, e->bwd, 2, args, mds, ptrs, "pool2d");
  if (!st) glia__add_into(dx, t, n);
  glia__arena_release(nn, mark);
  return st;
}

/* Hand max pooling: one pass per output with the window clipped once, the argmax (index in
 * the input plane, exact in float up to 2^24) saved in aux. */
void glia__max_pool2d_hand_fwd(const glia__args *a, const float *x, float *y, float *aux) {
  const int64_t NC = a->shape[0][0] * a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3], k = a->i[0], s = a->i[1], p = a->i[2];
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++) {
    const float *xp = x + nc * H * W;
    for (int64_t oh = 0; oh < OH; oh++) {
      int64_t h0, h1;
      glia__pool_window(oh, k, s, p, H, &h0, &h1);
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t w0, w1;
        glia__pool_window(ow, k, s, p, W, &w0, &w1);
        int64_t best = h0 * W + w0;
        float m = xp[best];
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = w0; w < w1; w++)
            if (xp[h * W + w] > m) { /* first maximum in scan order, as the reference */
              m = xp[h * W + w];
              best = h * W + w;
            }
        y[(nc * OH + oh) * OW + ow] = m;
        aux[(nc * OH + oh) * OW + ow] = (float)best;
      }
    }
  }
}

void glia__max_pool2d_hand_bwd(const glia__args *a, const float *aux, const float *dy, float *dx) {
  const int64_t NC = a->shape[0][0] * a->shape[0][1], HW = a->shape[0][2] * a->shape[0][3];
  const int64_t O = a->out_shape[2] * a->out_shape[3];
  if (!dx) return;
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t o = 0; o < O; o++) dx[nc * HW + (int64_t)aux[nc * O + o]] += dy[nc * O + o];
}

glia_status glia__max_pool2d_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      float *y, float *aux) {
  if (glia_nn_grad(nn)) { /* a backward may follow: the hand kernel keeps the argmax */
    glia__max_pool2d_hand_fwd(a, x[0], y, aux);
    return GLIA_OK;
  }
  glia__dnnl *d = NULL;
  pool_entry *e = NULL;
  glia_status st = pool_get(nn, a, 0, &d, &e);
  if (st) return st;
  if (!e->ok) {
    glia__max_pool2d_hand_fwd(a, x[0], y, aux);
    return GLIA_OK;
  }
  return pool_fwd(d, e, x[0], y);
}

glia_status glia__max_pool2d_blocked_fwd(glia_nn *nn, const glia__args *a, const float *x, float *y,
                                         int *done) {
  glia__dnnl *d = NULL;
  pool_entry *e = NULL;
  *done = 0;
  glia_status st = pool_get(nn, a, 0, &d, &e);
  if (st || !e->ok) return st;
  *done = 1;
  return pool_fwd(d, e, x, y);
}

/* Only after a forward with gradient recording, which ran the hand kernel. */
glia_status glia__max_pool2d_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      const float *y, const float *aux, const float *dy,
                                      float *const *dx) {
  (void)nn;
  (void)x;
  (void)y;
  glia__max_pool2d_hand_bwd(a, aux, dy, dx[0]);
  return GLIA_OK;
}

glia_status glia__avg_pool2d_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      float *y, float *aux) {
  glia__dnnl *d = NULL;
  pool_entry *e = NULL;
  glia_status st = pool_get(nn, a, 1, &d, &e);
  if (st) return st;
  if (!e->ok) {
    glia__avg_pool2d_fwd_f(a, x, y, aux);
    return GLIA_OK;
  }
  return pool_fwd(d, e, x[0], y);
}

glia_status glia__avg_pool2d_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                      const float *y, const float *aux, const float *dy,
                                      float *const *dx) {
  glia__dnnl *d = NULL;
  pool_entry *e = NULL;
  glia_status st = pool_get(nn, a, 1, &d, &e);
  if (st) return st;
  if (!e->ok) {
    glia__avg_pool2d_bwd_f(a, x, y, aux, dy, dx);
    return GLIA_OK;
  }
  return pool_bwd(nn, d, e, a, dy, dx[0]);
}
