/* conv2d and conv_transpose2d fast paths: oneDNN (de)convolution primitives (forward, backward
 * data, backward weights) created once per shape and cached in the context. The primitives choose
 * their own (blocked) layouts; plain NCHW/OIHW tensors are reordered in and out around each call,
 * as PyTorch does. A shape that oneDNN refuses falls back to the reference kernels. */
#include <dnnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/fast_dnnl.h"

#define KEY_LEN 21
#define MAX_ARGS 4
#define WINO_SCRATCH_MAX ((size_t)64 << 20)
#define WINO_SCRATCH_TRAIN ((size_t)36 << 20)
#define WINO_SCRATCH_BWD ((size_t)16 << 20)

/* One primitive with, per argument, the user's plain layout, the primitive's layout and the
 * reorder between them (NULL when they are the same). */
typedef struct prim {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t p;
  int n, args[MAX_ARGS], out[MAX_ARGS];
  dnnl_memory_desc_t user[MAX_ARGS], inner[MAX_ARGS];
  dnnl_primitive_t reorder[MAX_ARGS];
  /* The primitive's scratch (user mode): taken from the context's memory for each call and
   * given back after it, so it is live only while the primitive runs. */
  dnnl_memory_desc_t scratch;
  size_t scratch_bytes;
} prim;

typedef struct conv_entry {
  int64_t key[KEY_LEN];
  int unsupported;
  int wino; /* the forward took Winograd (and the backwards with it) */
  dnnl_memory_desc_t src, wei, bia, dst, any_src, any_wei, any_dst;
  prim fwd, bwd_d, bwd_w;
} conv_entry;

/* Inference with blocked activations: the weights at wsrc, whose contents hashed to whash,
 * reordered for the forward of entry e (layers of the same shape share e). */
typedef struct wcache {
  const conv_entry *e;
  const float *wsrc;
  uint64_t whash;
  void *buf, *raw;
} wcache;

struct glia__dnnl {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  conv_entry **conv;
  size_t n_conv;
  glia__dnnl_entry **other; /* batch norm, pooling (fast_norm.c, fast_pool.c) */
  size_t n_other;
  wcache *wc;
  size_t n_wc;
  dnnl_primitive_attr_t attr;      /* convolutions: user-mode scratchpad */
  dnnl_primitive_attr_t attr_relu; /* ... and a ReLU post-op (conv2d's fused ReLU) */
  int direct_only;                 /* GLIA_CONV_DIRECT=1: no algorithm choice */
};

static void prim_destroy(prim *p) {
  for (int i = 0; i < p->n; i++)
    if (p->reorder[i]) dnnl_primitive_destroy(p->reorder[i]);
  if (p->p) dnnl_primitive_destroy(p->p);
  if (p->pd) dnnl_primitive_desc_destroy(p->pd);
}

/* Creates the primitive of p->pd and the reorders its layouts need; 0 on failure. */
static int prim_setup(dnnl_engine_t eng, prim *p, int n, const int *args,
                      const dnnl_memory_desc_t *const *user, const int *out) {
  if (dnnl_primitive_create(&p->p, p->pd) != dnnl_success) return 0;
  p->n = n;
  const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(p->pd, dnnl_query_scratchpad_md, 0);
  p->scratch_bytes = sp ? dnnl_memory_desc_get_size(sp) : 0;
  if (p->scratch_bytes) p->scratch = *sp;
  for (int i = 0; i < n; i++) {
    p->args[i] = args[i];
    p->out[i] = out[i];
    p->user[i] = *user[i];
    const dnnl_memory_desc_t *md =
        dnnl_primitive_desc_query_md(p->pd, dnnl_query_exec_arg_md, args[i]);
    if (!md) return 0;
    p->inner[i] = *md;
    if (dnnl_memory_desc_equal(md, user[i])) continue;
    dnnl_primitive_desc_t rpd;
    const dnnl_memory_desc_t *from = out[i] ? md : user[i], *to = out[i] ? user[i] : md;
    if (dnnl_reorder_primitive_desc_create(&rpd, from, eng, to, eng, NULL) != dnnl_success)
      return 0;
    dnnl_status_t st = dnnl_primitive_create(&p->reorder[i], rpd);
    dnnl_primitive_desc_destroy(rpd);
    if (st != dnnl_success) return 0;
  }
  return 1;
}

void glia__dnnl_free(glia__dnnl *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n_conv; i++) {
    conv_entry *e = d->conv[i];
    prim_destroy(&e->fwd);
    prim_destroy(&e->bwd_d);
    prim_destroy(&e->bwd_w);
    glia_free(e);
  }
  for (size_t i = 0; i < d->n_wc; i++) glia_free(d->wc[i].raw);
  glia_free(d->wc);
  glia_free(d->conv);
  for (size_t i = 0; i < d->n_other; i++) d->other[i]->destroy(d->other[i]);
  glia_free(d->other);
  if (d->attr) dnnl_primitive_attr_destroy(d->attr);
  if (d->attr_relu) dnnl_primitive_attr_destroy(d->attr_relu);
  if (d->stream) dnnl_stream_destroy(d->stream);
  if (d->engine) dnnl_engine_destroy(d->engine);
  glia_free(d);
}

/* The context's engine and stream, created on first use. */
glia_status glia__dnnl_get(glia_nn *nn, glia__dnnl **out) {
  glia__dnnl **slot = glia__nn_dnnl_slot(nn);
  if (!*slot) {
    glia__dnnl *d = glia_calloc(1, sizeof *d);
    if (!d) {
      (void)glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
      return GLIA_ERR_NOMEM;
    }
    dnnl_post_ops_t po = NULL;
    const int bad =
        dnnl_engine_create(&d->engine, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&d->stream, d->engine, dnnl_stream_default_flags) != dnnl_success ||
        dnnl_primitive_attr_create(&d->attr) != dnnl_success ||
        dnnl_primitive_attr_set_scratchpad_mode(d->attr, dnnl_scratchpad_mode_user) !=
            dnnl_success ||
        dnnl_primitive_attr_clone(&d->attr_relu, d->attr) != dnnl_success ||
        dnnl_post_ops_create(&po) != dnnl_success ||
        dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) != dnnl_success ||
        dnnl_primitive_attr_set_post_ops(d->attr_relu, po) != dnnl_success;
    if (po) dnnl_post_ops_destroy(po);
    if (bad) {
      glia__dnnl_free(d);
      (void)glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN engine could not be created");
      return GLIA_ERR_INTERNAL;
    }
    const char *env = getenv("GLIA_CONV_DIRECT");
    d->direct_only = env && env[0] && strcmp(env, "0") != 0;
    *slot = d;
  }
  *out = *slot;
  return GLIA_OK;
}

dnnl_engine_t glia__dnnl_engine(const glia__dnnl *d) { return d->engine; }
const_dnnl_primitive_attr_t glia__dnnl_attr(const glia__dnnl *d) { return d->attr; }

glia__dnnl_entry *glia__dnnl_find(const glia__dnnl *d, const int64_t *key) {
  for (size_t i = 0; i < d->n_other; i++)
    if (!memcmp(d->other[i]->key, key, sizeof d->other[i]->key)) return d->other[i];
  return NULL;
}

glia_status glia__dnnl_add(glia__dnnl *d, glia__dnnl_entry *e) {
  glia__dnnl_entry **list = glia_realloc(d->other, (d->n_other + 1) * sizeof(glia__dnnl_entry *));
  if (!list) {
    e->destroy(e);
    return glia_error(GLIA_ERR_NOMEM, "oneDNN cache: out of memory");
  }
  d->other = list;
  d->other[d->n_other++] = e;
  return GLIA_OK;
}

glia_status glia__dnnl_exec(glia__dnnl *d, dnnl_primitive_t p, int n, const int *args,
                            const dnnl_memory_desc_t *const *mds, void *const *ptrs,
                            const char *op) {
  dnnl_exec_arg_t ea[GLIA__DNNL_KEY];
  int m = 0;
  glia_status st = GLIA_OK;
  for (int k = 0; k < n && k < GLIA__DNNL_KEY; k++) {
    if (!ptrs[k]) continue;
    ea[m].arg = args[k];
    if (dnnl_memory_create(&ea[m].memory, mds[k], d->engine, ptrs[k]) != dnnl_success) {
      st = glia_error(GLIA_ERR_INTERNAL, "%s: oneDNN memory could not be created", op);
      break;
    }
    m++;
  }
  if (!st && (dnnl_primitive_execute(p, d->stream, m, ea) != dnnl_success ||
              dnnl_stream_wait(d->stream) != dnnl_success))
    st = glia_error(GLIA_ERR_INTERNAL, "%s: oneDNN execution failed", op);
  for (int k = 0; k < m; k++) dnnl_memory_destroy(ea[k].memory);
  return st;
}

int glia__conv2d_supports(const glia__args *a) {
  (void)a;
  return 1;
}

/* Cache key: kind (0 conv, 1 transposed), input and weight shapes, bias, attributes, layouts,
 * whether a backward may follow (gradient mode). */
static void conv_key(const glia__args *a, int deconv, int grad, int64_t *key) {
  memset(key, 0, KEY_LEN * sizeof *key);
  key[0] = deconv;
  for (int d = 0; d < 4; d++) key[1 + d] = a->shape[0][d];
  for (int d = 0; d < 4; d++) key[5 + d] = a->shape[1][d];
  key[9] = a->n_in > 2 && a->ndim[2] >= 0;
  for (int d = 0; d < 9; d++) key[10 + d] = a->i[d];
  key[19] = a->blocked;
  key[20] = grad;
}

/* Geometry in oneDNN's terms for conv2d (i = stride, pad, dilation, groups; weight
 * [O, C/G, kh, kw]) and conv_transpose2d (i = stride, pad, output pad, dilation, groups;
 * weight [C, O/G, kh, kw], oneDNN's "iohw"). */
typedef struct geometry {
  dnnl_dims_t src, dst, wei, bia, strides, dil, pl, pr;
  int64_t G;
} geometry;

static void conv_geometry(const glia__args *a, int deconv, geometry *g) {
  const int64_t *in = a->shape[0], *w = a->shape[1], *o = a->out_shape;
  const int64_t G = deconv ? a->i[8] : a->i[6], IC = in[1], OC = o[1];
  const int dil_at = deconv ? 6 : 4;
  g->G = G;
  for (int d = 0; d < 4; d++) {
    g->src[d] = in[d];
    g->dst[d] = o[d];
  }
  int64_t wdims[5] = {G, OC / G, IC / G, w[2], w[3]};
  for (int d = 0; d < 5; d++) g->wei[d] = wdims[d];
  g->bia[0] = OC;
  for (int k = 0; k < 2; k++) {
    g->strides[k] = a->i[k];
    g->dil[k] = a->i[dil_at + k] - 1;
    g->pl[k] = a->i[2 + k];
    /* Exact right padding; for a convolution the floor in the output size can make it
     * negative by less than a stride, and 0 gives oneDNN the same size. A transposed conv's
     * output padding lowers it (negative: unsupported, reference path). */
    if (deconv)
      g->pr[k] = a->i[2 + k] - a->i[4 + k];
    else {
      g->pr[k] = (o[2 + k] - 1) * a->i[k] + (w[2 + k] - 1) * a->i[4 + k] + 1 - in[2 + k] - g->pl[k];
      if (g->pr[k] < 0) g->pr[k] = 0;
    }
  }
}

/* Forward, backward-data and backward-weights descriptors of a conv or deconv. any_alg: 1,
 * oneDNN chooses the algorithm (convolution_auto: Winograd F(4,3) for 3×3 stride-1
 * convolutions where it pays, direct elsewhere; docs/nn.md gives its error against the direct
 * one); 2, Winograd; 0, direct. */
static dnnl_status_t make_desc(int deconv, int which, dnnl_convolution_desc_t *cd, conv_entry *e,
                               const geometry *g, int any_alg) {
  const dnnl_memory_desc_t *b = e->key[9] ? &e->bia : NULL;
  const dnnl_alg_kind_t alg = deconv         ? dnnl_deconvolution_direct
                              : any_alg == 1 ? dnnl_convolution_auto
                              : any_alg == 2 ? dnnl_convolution_winograd
                                             : dnnl_convolution_direct;
  if (which == 0)
    return deconv ? dnnl_dilated_deconvolution_forward_desc_init(
                        cd, dnnl_forward_training, alg, &e->any_src, &e->any_wei, b, &e->any_dst,
                        g->strides, g->dil, g->pl, g->pr)
                  : dnnl_dilated_convolution_forward_desc_init(
                        cd, dnnl_forward_training, alg, &e->any_src, &e->any_wei, b, &e->any_dst,
                        g->strides, g->dil, g->pl, g->pr);
  if (which == 1)
    return deconv
               ? dnnl_dilated_deconvolution_backward_data_desc_init(
                     cd, alg, &e->any_src, &e->any_wei, &e->any_dst, g->strides, g->dil, g->pl,
                     g->pr)
               : dnnl_dilated_convolution_backward_data_desc_init(cd, alg, &e->any_src, &e->any_wei,
                                                                  &e->any_dst, g->strides, g->dil,
                                                                  g->pl, g->pr);
  return deconv ? dnnl_dilated_deconvolution_backward_weights_desc_init(
                      cd, alg, &e->any_src, &e->any_wei, b, &e->any_dst, g->strides, g->dil, g->pl,
                      g->pr)
                : dnnl_dilated_convolution_backward_weights_desc_init(
                      cd, alg, &e->any_src, &e->any_wei, b, &e->any_dst, g->strides, g->dil, g->pl,
                      g->pr);
}

/* The descriptor of backward pass `which` (1 data, 2 weights): Winograd when the forward took
 * it and this pass's scratch is at most cap bytes, else direct; 0 on failure. */
static int bwd_pd(glia__dnnl *d, conv_entry *e, const geometry *g, int deconv, int which,
                  size_t cap, dnnl_primitive_desc_t *pd) {
  dnnl_convolution_desc_t cd;
  if (e->wino && make_desc(deconv, which, &cd, e, g, 2) == dnnl_success &&
      dnnl_primitive_desc_create(pd, &cd, d->attr, d->engine, e->fwd.pd) == dnnl_success) {
    const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(*pd, dnnl_query_scratchpad_md, 0);
    if (!sp || dnnl_memory_desc_get_size(sp) <= cap) return 1;
    dnnl_primitive_desc_destroy(*pd);
    *pd = NULL;
  }
  return make_desc(deconv, which, &cd, e, g, 0) == dnnl_success &&
         dnnl_primitive_desc_create(pd, &cd, d->attr, d->engine, e->fwd.pd) == dnnl_success;
}

/* One try of conv_build: oneDNN's algorithm choice when cap > 0 and its forward scratch is at
 * most cap bytes, direct otherwise; each backward pass of a Winograd forward Winograd when its
 * scratch is at most WINO_SCRATCH_BWD bytes. */
static void conv_build_try(glia__dnnl *d, conv_entry *e, const glia__args *a, int deconv,
                           size_t cap) {
  geometry g;
  conv_geometry(a, deconv, &g);
  e->unsupported = 1;
  if (g.pr[0] < 0 || g.pr[1] < 0) return;
  const int G1 = g.G == 1;
  dnnl_dims_t wei4 = {g.wei[1], g.wei[2], g.wei[3], g.wei[4]};
  const unsigned blk = (unsigned)e->key[19]; /* glia__args.blocked */
  dnnl_memory_desc_init_by_tag(&e->src, 4, g.src, dnnl_f32,
                               blk & GLIA__BLK_IN(0) ? dnnl_nChw16c : dnnl_nchw);
  dnnl_memory_desc_init_by_tag(&e->dst, 4, g.dst, dnnl_f32,
                               blk & GLIA__BLK_OUT ? dnnl_nChw16c : dnnl_nchw);
  dnnl_memory_desc_init_by_tag(&e->wei, G1 ? 4 : 5, G1 ? wei4 : g.wei, dnnl_f32,
                               deconv ? (G1 ? dnnl_iohw : dnnl_giohw)
                                      : (G1 ? dnnl_oihw : dnnl_goihw));
  dnnl_memory_desc_init_by_tag(&e->bia, 1, g.bia, dnnl_f32, dnnl_x);
  dnnl_memory_desc_init_by_tag(&e->any_src, 4, g.src, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&e->any_dst, 4, g.dst, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&e->any_wei, G1 ? 4 : 5, G1 ? wei4 : g.wei, dnnl_f32,
                               dnnl_format_tag_any);
  const int nb = e->key[9] ? 4 : 3;
  dnnl_convolution_desc_t cd;
  /* conv2d's fused ReLU (i[7], key[17]) as a post-op of the forward. */
  const_dnnl_primitive_attr_t fattr = !deconv && e->key[17] ? d->attr_relu : d->attr;
  if (cap && make_desc(deconv, 0, &cd, e, &g, 1) == dnnl_success &&
      dnnl_primitive_desc_create(&e->fwd.pd, &cd, fattr, d->engine, NULL) == dnnl_success) {
    const dnnl_memory_desc_t *sp =
        dnnl_primitive_desc_query_md(e->fwd.pd, dnnl_query_scratchpad_md, 0);
    if (sp && dnnl_memory_desc_get_size(sp) > cap) {
      dnnl_primitive_desc_destroy(e->fwd.pd);
      e->fwd.pd = NULL;
    }
  }
  if (!e->fwd.pd &&
      (make_desc(deconv, 0, &cd, e, &g, 0) != dnnl_success ||
       dnnl_primitive_desc_create(&e->fwd.pd, &cd, fattr, d->engine, NULL) != dnnl_success))
    return;
  const int fa[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS},
            fo[4] = {0, 0, 1, 0};
  const dnnl_memory_desc_t *fm[4] = {&e->src, &e->wei, &e->dst, &e->bia};
  if (!prim_setup(d->engine, &e->fwd, nb, fa, fm, fo)) return;
  const char *impl = NULL;
  e->wino =
      dnnl_primitive_desc_query(e->fwd.pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
      impl && strstr(impl, "wino");
  if (blk && !e->key[20]) { /* blocked inference: no backward */
    e->unsupported = 0;
    return;
  }
  if (!bwd_pd(d, e, &g, deconv, 1, WINO_SCRATCH_BWD, &e->bwd_d.pd)) return;
  const int da[3] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, dout[3] = {0, 0, 1};
  const dnnl_memory_desc_t *dm[3] = {&e->dst, &e->wei, &e->src};
  if (!prim_setup(d->engine, &e->bwd_d, 3, da, dm, dout)) return;
  if (!bwd_pd(d, e, &g, deconv, 2, WINO_SCRATCH_BWD, &e->bwd_w.pd)) return;
  const int wa[4] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
            wo[4] = {0, 0, 1, 1};
  const dnnl_memory_desc_t *wm[4] = {&e->src, &e->dst, &e->wei, &e->bia};
  if (!prim_setup(d->engine, &e->bwd_w, nb, wa, wm, wo)) return;
  e->unsupported = 0;
}

/* Builds the primitives of a new cache entry; marks it unsupported when oneDNN has no
 * implementation for the shape. A convolution lets oneDNN choose its algorithm
 * (convolution_auto: Winograd F(4,3) for 3×3 stride-1 convolutions where it pays) unless that
 * forward's scratch exceeds a cap: 64 MiB on the blocked inference path (Winograd wanted 233 MB
 * for the small CNN's first convolution at batch 32, 128²; ResNet-18's largest is 51 MB),
 * 36 MiB when a backward may be recorded; each backward pass of a Winograd forward is Winograd
 * too when its own scratch is at most 16 MiB, else direct (ResNet-18's layers 2-3 want 33-53
 * MB there). The backward's cap is lower because its passes run while most saved activations
 * are still alive: at 36 MiB, ResNet-18's training step peaked 27 MB higher (484 MB) and was
 * 8% faster, within 1% of half of PyTorch's peak (docs/nn.md). GLIA_CONV_DIRECT=1 keeps
 * every convolution direct. When the chosen algorithm has no backward for the shape, the
 * entry is built again, direct. */
static void conv_build(glia__dnnl *d, conv_entry *e, const glia__args *a, int deconv) {
  const size_t cap = deconv || d->direct_only    ? 0
                     : e->key[19] && !e->key[20] ? WINO_SCRATCH_MAX
                                                 : WINO_SCRATCH_TRAIN;
  conv_build_try(d, e, a, deconv, cap);
  if (!e->unsupported || !cap) return;
  prim_destroy(&e->fwd);
  prim_destroy(&e->bwd_d);
  prim_destroy(&e->bwd_w);
  memset(&e->fwd, 0, sizeof e->fwd);
  memset(&e->bwd_d, 0, sizeof e->bwd_d);
  memset(&e->bwd_w, 0, sizeof e->bwd_w);
  e->wino = 0;
  conv_build_try(d, e, a, deconv, 0);
}

int glia__conv_wino_entries(glia_nn *nn) {
  glia__dnnl *d = *glia__nn_dnnl_slot(nn);
  int n = 0;
  for (size_t i = 0; d && i < d->n_conv; i++) n += d->conv[i]->wino && !d->conv[i]->unsupported;
  return n;
}

static glia_status conv_entry_get(glia_nn *nn, const glia__args *a, int deconv, glia__dnnl **dout,
                                  conv_entry **out) {
  glia__dnnl *d = NULL;
  glia_status st = glia__dnnl_get(nn, &d);
  if (st) return st;
  int64_t key[KEY_LEN];
  conv_key(a, deconv, glia_nn_grad(nn), key);
  *dout = d;
  for (size_t i = 0; i < d->n_conv; i++)
    if (!memcmp(d->conv[i]->key, key, sizeof key)) {
      *out = d->conv[i];
      return GLIA_OK;
    }
  conv_entry **list = glia_realloc(d->conv, (d->n_conv + 1) * sizeof(conv_entry *));
  if (!list) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
  d->conv = list;
  conv_entry *e = glia_calloc(1, sizeof *e);
  if (!e) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
  memcpy(e->key, key, sizeof key);
  conv_build(d, e, a, deconv);
  d->conv[d->n_conv++] = e;
  *out = e;
  return GLIA_OK;
}

/* Runs p on user (plain) buffers: inputs reordered into the primitive's layouts in arena
 * scratch, outputs reordered back. */
static glia_status run(glia_nn *nn, glia__dnnl *d, const prim *p, void *const *ptrs,
                       unsigned ready) {
  dnnl_exec_arg_t ea[MAX_ARGS + 1] = {{0, NULL}};
  dnnl_memory_t user[MAX_ARGS] = {0}, scratch = NULL;
  int made = 0;
  glia_status st = GLIA_OK;
  if (p->scratch_bytes) {
    void *buf = glia__arena_alloc_raw(nn, p->scratch_bytes); /* released by the caller's mark */
    if (!buf || dnnl_memory_create(&scratch, &p->scratch, d->engine, buf) != dnnl_success)
      return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory for oneDNN's scratch");
  }
  for (; made < p->n && !st; made++) {
    ea[made].arg = p->args[made];
    ea[made].memory = NULL;
    const int in_inner = ready >> made & 1; /* already in the primitive's layout */
    if (dnnl_memory_create(&user[made], in_inner ? &p->inner[made] : &p->user[made], d->engine,
                           ptrs[made]) != dnnl_success) {
      st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN memory could not be created");
      break;
    }
    if (!p->reorder[made] || in_inner) {
      ea[made].memory = user[made];
      continue;
    }
    void *buf = glia__arena_alloc_raw(nn, dnnl_memory_desc_get_size(&p->inner[made]));
    if (!buf ||
        dnnl_memory_create(&ea[made].memory, &p->inner[made], d->engine, buf) != dnnl_success) {
      st = glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory for a reordered tensor");
      break;
    }
    if (!p->out[made]) {
      dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, user[made]}, {DNNL_ARG_TO, ea[made].memory}};
      if (dnnl_primitive_execute(p->reorder[made], d->stream, 2, r) != dnnl_success)
        st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN reorder failed");
    }
  }
  ea[p->n] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
  if (!st && dnnl_primitive_execute(p->p, d->stream, p->n + (scratch != NULL), ea) != dnnl_success)
    st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN execution failed");
  for (int i = 0; i < made && !st; i++) {
    if (!p->reorder[i] || !p->out[i] || (ready >> i & 1)) continue;
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, ea[i].memory}, {DNNL_ARG_TO, user[i]}};
    if (dnnl_primitive_execute(p->reorder[i], d->stream, 2, r) != dnnl_success)
      st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN reorder failed");
  }
  if (!st && dnnl_stream_wait(d->stream) != dnnl_success)
    st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN stream failed");
  for (int i = 0; i < made; i++) {
    if (ea[i].memory && ea[i].memory != user[i]) dnnl_memory_destroy(ea[i].memory);
    if (user[i]) dnnl_memory_destroy(user[i]);
  }
  if (made < p->n && user[made]) dnnl_memory_destroy(user[made]);
  if (scratch) dnnl_memory_destroy(scratch);
  return st;
}

/* 64-bit FNV-1a over the bits of n floats, in 8 interleaved lanes then combined. */
static uint64_t weights_hash(const float *w, int64_t n) {
  uint64_t h[8];
  for (int l = 0; l < 8; l++) h[l] = 0xcbf29ce484222325ull + (uint64_t)l;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) {
      uint32_t b;
      memcpy(&b, w + i + l, sizeof b);
      h[l] = (h[l] ^ b) * 0x100000001b3ull;
    }
  uint64_t r = (uint64_t)n;
  for (; i < n; i++) {
    uint32_t b;
    memcpy(&b, w + i, sizeof b);
    r = (r ^ b) * 0x100000001b3ull;
  }
  for (int l = 0; l < 8; l++) r = (r ^ h[l]) * 0x100000001b3ull;
  return r;
}

/* Reorders input i of p from its plain layout at `from` into the primitive's at `to`. */
static glia_status reorder_in(glia__dnnl *d, const prim *p, int i, const void *from, void *to) {
  dnnl_memory_t mf = NULL, mt = NULL;
  glia_status st = GLIA_OK;
  if (dnnl_memory_create(&mf, &p->user[i], d->engine, (void *)(uintptr_t)from) != dnnl_success ||
      dnnl_memory_create(&mt, &p->inner[i], d->engine, to) != dnnl_success)
    st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN memory could not be created");
  dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, mf}, {DNNL_ARG_TO, mt}};
  if (!st && (dnnl_primitive_execute(p->reorder[i], d->stream, 2, r) != dnnl_success ||
              dnnl_stream_wait(d->stream) != dnnl_success))
    st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN reorder failed");
  if (mf) dnnl_memory_destroy(mf);
  if (mt) dnnl_memory_destroy(mt);
  return st;
}

/* The forward's weights in its own layout (*out), reordered from w unless they were already
 * reordered from the same address with the same contents (the hash changes when an optimizer
 * step, a load or the caller writes them). */
static glia_status cached_weights(glia__dnnl *d, const conv_entry *e, const float *w, int64_t n,
                                  void **out) {
  const uint64_t h = weights_hash(w, n);
  wcache *c = NULL;
  for (size_t i = 0; i < d->n_wc && !c; i++)
    if (d->wc[i].e == e && d->wc[i].wsrc == w) c = &d->wc[i];
  if (c && c->whash == h) {
    *out = c->buf;
    return GLIA_OK;
  }
  if (!c) {
    const size_t bytes = dnnl_memory_desc_get_size(&e->fwd.inner[1]);
    wcache *list = glia_realloc(d->wc, (d->n_wc + 1) * sizeof *list);
    if (!list) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory for weights");
    d->wc = list;
    c = &d->wc[d->n_wc];
    *c = (wcache){e, w, 0, NULL, bytes + 64 > bytes ? glia_malloc(bytes + 64) : NULL};
    if (!c->raw) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory for weights");
    c->buf = (void *)(((uintptr_t)c->raw + 63) & ~(uintptr_t)63);
    d->n_wc++;
  }
  c->wsrc = NULL; /* invalid until the reorder succeeds */
  glia_status st = reorder_in(d, &e->fwd, 1, w, c->buf);
  if (st) return st;
  c->wsrc = w;
  c->whash = h;
  *out = c->buf;
  return GLIA_OK;
}

/* The reference convolution on plain copies of blocked input or output (a shape oneDNN
 * refuses). */
static glia_status blocked_fallback(glia_nn *nn, const glia__args *a, const float *const *x,
                                    float *y, float *aux) {
  const int64_t *in = a->shape[0], *o = a->out_shape;
  glia__arena_mark mark = glia__arena_get_mark(nn);
  float *xp = (float *)(uintptr_t)x[0], *yp = y;
  if (a->blocked & GLIA__BLK_IN(0)) {
    xp = glia__arena_alloc_raw(nn, (size_t)glia__in_numel(a, 0) * sizeof(float));
    if (xp) glia__to_plain(x[0], xp, in[0], in[1], in[2] * in[3]);
  }
  if (a->blocked & GLIA__BLK_OUT)
    yp = glia__arena_alloc_raw(nn, (size_t)glia__out_numel(a) * sizeof(float));
  if (!xp || !yp) {
    glia__arena_release(nn, mark);
    return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
  }
  const float *xs[GLIA__MAX_IN] = {xp, x[1], x[2]};
  glia__conv2d_fwd_f(a, xs, yp, aux);
  if (yp != y) glia__to_blocked(yp, y, o[0], o[1], o[2] * o[3]);
  glia__arena_release(nn, mark);
  return GLIA_OK;
}

static glia_status any_fwd(glia_nn *nn, const glia__args *a, int deconv, const float *const *x,
                           float *y, float *aux) {
  glia__dnnl *d = NULL;
  conv_entry *e = NULL;
  glia_status st = conv_entry_get(nn, a, deconv, &d, &e);
  if (st || !e) return st ? st : GLIA_ERR_INTERNAL;
  if (e->unsupported && a->blocked) return blocked_fallback(nn, a, x, y, aux);
  if (e->unsupported) {
    (deconv ? glia__conv_transpose2d_fwd_f : glia__conv2d_fwd_f)(a, x, y, aux);
    return GLIA_OK;
  }
  void *ptrs[4] = {(void *)x[0], (void *)x[1], y, e->key[9] ? (void *)x[2] : NULL};
  unsigned ready = 0;
  if (a->blocked && !e->key[20] && e->fwd.reorder[1]) { /* inference: weights reordered once */
    if ((st = cached_weights(d, e, x[1], glia__in_numel(a, 1), &ptrs[1]))) return st;
    ready = 2;
  }
  glia__arena_mark mark = glia__arena_get_mark(nn); /* reorder scratch dies with the call */
  st = run(nn, d, &e->fwd, ptrs, ready);
  glia__arena_release(nn, mark);
  return st;
}

void glia__relu_mask(const float *y, const float *dy, float *m, int64_t n) {
#pragma omp parallel for simd if (n > 32768) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const float v = dy[i]; /* loaded unconditionally: the select vectorises */
    m[i] = y[i] > 0 ? v : 0.0f;
  }
}

/* oneDNN overwrites its outputs; the tape accumulates, so results go through scratch. */
void glia__add_into(float *dst, const float *src, int64_t n) {
#pragma omp parallel for if (n > 32768) schedule(static)
  for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

static glia_status any_bwd(glia_nn *nn, const glia__args *a, int deconv, const float *const *x,
                           const float *y, const float *aux, const float *dy, float *const *dx) {
  glia__dnnl *d = NULL;
  conv_entry *e = NULL;
  glia_status st = conv_entry_get(nn, a, deconv, &d, &e);
  if (st || !e) return st ? st : GLIA_ERR_INTERNAL;
  if (e->unsupported && a->blocked)
    return glia_error(GLIA_ERR_INTERNAL, "conv2d: no oneDNN backward for a blocked shape");
  if (e->unsupported) {
    if (dx[0] && (a->fresh & 1)) memset(dx[0], 0, (size_t)glia__in_numel(a, 0) * sizeof(float));
    (deconv ? glia__conv_transpose2d_bwd_f : glia__conv2d_bwd_f)(a, x, y, aux, dy, dx);
    return GLIA_OK;
  }
  const int64_t nx = glia__in_numel(a, 0), nw = glia__in_numel(a, 1), no = a->out_shape[1];
  const glia__arena_mark mark = glia__arena_get_mark(nn);
  int bias = (int)e->key[9] && dx[2];
  if (!deconv && a->i[7]) { /* the fused ReLU: dy where the output is positive, else 0 */
    const int64_t n = glia__out_numel(a);
    float *m = glia__arena_alloc_raw(nn, (size_t)n * sizeof(float));
    if (!m) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    glia__relu_mask(y, dy, m, n);
    dy = m;
  }
  /* dy reordered once when both backward passes take it in the same layout. */
  void *dyb = NULL;
  if (dx[0] && (dx[1] || bias) && e->bwd_d.reorder[0] && e->bwd_w.reorder[1] &&
      dnnl_memory_desc_equal(&e->bwd_d.inner[0], &e->bwd_w.inner[1])) {
    dyb = glia__arena_alloc_raw(nn, dnnl_memory_desc_get_size(&e->bwd_d.inner[0]));
    if (!dyb) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    if ((st = reorder_in(d, &e->bwd_d, 0, dy, dyb))) return st;
  }
  const glia__arena_mark mark2 = glia__arena_get_mark(nn);
  if (dx[0]) { /* into dx itself when it holds no value yet, else through scratch */
    const int over = (a->fresh & 1) != 0;
    float *t = over ? dx[0] : glia__arena_alloc_raw(nn, (size_t)nx * sizeof(float));
    if (!t) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    void *ptrs[4] = {dyb ? dyb : (void *)dy, (void *)x[1], t, NULL};
    if ((st = run(nn, d, &e->bwd_d, ptrs, dyb ? 1u : 0u))) return st;
    if (!over) glia__add_into(dx[0], t, nx);
    glia__arena_release(nn, mark2);
  }
  if (dx[1] || bias) {
    float *t = glia__arena_alloc_raw(nn, (size_t)(nw + no) * sizeof(float));
    if (!t) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    void *ptrs[4] = {(void *)x[0], dyb ? dyb : (void *)dy, t, t + nw};
    if ((st = run(nn, d, &e->bwd_w, ptrs, dyb ? 2u : 0u))) return st;
    if (dx[1]) glia__add_into(dx[1], t, nw);
    if (bias) glia__add_into(dx[2], t + nw, no);
  }
  glia__arena_release(nn, mark);
  return GLIA_OK;
}

glia_status glia__conv2d_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x, float *y,
                                  float *aux) {
  return any_fwd(nn, a, 0, x, y, aux);
}

glia_status glia__conv2d_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                  const float *y, const float *aux, const float *dy,
                                  float *const *dx) {
  return any_bwd(nn, a, 0, x, y, aux, dy, dx);
}

glia_status glia__conv_transpose2d_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                            float *y, float *aux) {
  return any_fwd(nn, a, 1, x, y, aux);
}

glia_status glia__conv_transpose2d_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                            const float *y, const float *aux, const float *dy,
                                            float *const *dx) {
  return any_bwd(nn, a, 1, x, y, aux, dy, dx);
}
