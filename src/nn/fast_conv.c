/* conv2d fast path: oneDNN convolution primitives (forward, backward data, backward weights)
 * created once per shape and cached in the context. The primitives choose their own (blocked)
 * layouts; plain NCHW/OIHW tensors are reordered in and out around each call, as PyTorch does.
 * A shape that oneDNN refuses falls back to the reference kernels. */
#include <dnnl.h>
#include <string.h>

#include "nn/internal.h"

#define KEY_LEN 20
#define MAX_ARGS 4

/* One primitive with, per argument, the user's plain layout, the primitive's layout and the
 * reorder between them (NULL when they are the same). */
typedef struct prim {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t p;
  int n, args[MAX_ARGS], out[MAX_ARGS];
  dnnl_memory_desc_t user[MAX_ARGS], inner[MAX_ARGS];
  dnnl_primitive_t reorder[MAX_ARGS];
} prim;

typedef struct conv_entry {
  int64_t key[KEY_LEN];
  int unsupported;
  dnnl_memory_desc_t src, wei, bia, dst, any_src, any_wei, any_dst;
  prim fwd, bwd_d, bwd_w;
} conv_entry;

struct glia__dnnl {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  conv_entry **conv;
  size_t n_conv;
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
  glia_free(d->conv);
  if (d->stream) dnnl_stream_destroy(d->stream);
  if (d->engine) dnnl_engine_destroy(d->engine);
  glia_free(d);
}

static glia__dnnl *get_dnnl(glia_nn *nn) {
  glia__dnnl **slot = glia__nn_dnnl_slot(nn);
  if (*slot) return *slot;
  glia__dnnl *d = glia_calloc(1, sizeof *d);
  if (!d) return NULL;
  if (dnnl_engine_create(&d->engine, dnnl_cpu, 0) != dnnl_success ||
      dnnl_stream_create(&d->stream, d->engine, dnnl_stream_default_flags) != dnnl_success) {
    glia__dnnl_free(d);
    return NULL;
  }
  *slot = d;
  return d;
}

int glia__conv2d_supports(const glia__args *a) {
  (void)a;
  return 1;
}

static void conv_key(const glia__args *a, int64_t *key) {
  memset(key, 0, KEY_LEN * sizeof *key);
  for (int d = 0; d < 4; d++) key[d] = a->shape[0][d];
  for (int d = 0; d < 4; d++) key[4 + d] = a->shape[1][d];
  key[8] = a->n_in > 2 && a->ndim[2] >= 0;
  for (int d = 0; d < 7; d++) key[9 + d] = a->i[d];
}

/* Builds the forward primitive of a new cache entry; marks it unsupported when oneDNN has no
 * implementation for the shape. */
static void conv_build(glia__dnnl *d, conv_entry *e, const glia__args *a) {
  const int64_t G = a->i[6];
  dnnl_dims_t src = {a->shape[0][0], a->shape[0][1], a->shape[0][2], a->shape[0][3]};
  dnnl_dims_t dst = {a->out_shape[0], a->out_shape[1], a->out_shape[2], a->out_shape[3]};
  dnnl_dims_t wei = {G, a->shape[1][0] / G, a->shape[1][1], a->shape[1][2], a->shape[1][3]};
  dnnl_dims_t bia = {a->shape[1][0]};
  dnnl_dims_t strides = {a->i[0], a->i[1]}, dil = {a->i[4] - 1, a->i[5] - 1};
  dnnl_dims_t pl = {a->i[2], a->i[3]}, pr;
  /* The floor in the output size can make the exact right padding negative (by less than a
   * stride); 0 gives oneDNN the same output size. */
  for (int k = 0; k < 2; k++) {
    pr[k] = (dst[2 + k] - 1) * strides[k] + (a->shape[1][2 + k] - 1) * a->i[4 + k] + 1 -
            src[2 + k] - pl[k];
    if (pr[k] < 0) pr[k] = 0;
  }
  dnnl_memory_desc_init_by_tag(&e->src, 4, src, dnnl_f32, dnnl_nchw);
  dnnl_memory_desc_init_by_tag(&e->dst, 4, dst, dnnl_f32, dnnl_nchw);
  dnnl_dims_t wei4 = {wei[1], wei[2], wei[3], wei[4]};
  if (G == 1)
    dnnl_memory_desc_init_by_tag(&e->wei, 4, wei4, dnnl_f32, dnnl_oihw);
  else
    dnnl_memory_desc_init_by_tag(&e->wei, 5, wei, dnnl_f32, dnnl_goihw);
  dnnl_memory_desc_init_by_tag(&e->bia, 1, bia, dnnl_f32, dnnl_x);
  dnnl_memory_desc_init_by_tag(&e->any_src, 4, src, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&e->any_dst, 4, dst, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&e->any_wei, G == 1 ? 4 : 5, G == 1 ? wei4 : wei, dnnl_f32,
                               dnnl_format_tag_any);
  const dnnl_memory_desc_t *b = e->key[8] ? &e->bia : NULL;
  dnnl_convolution_desc_t cd, bd, bw;
  e->unsupported = 1;
  if (dnnl_dilated_convolution_forward_desc_init(
          &cd, dnnl_forward_training, dnnl_convolution_direct, &e->any_src, &e->any_wei, b,
          &e->any_dst, strides, dil, pl, pr) != dnnl_success ||
      dnnl_primitive_desc_create(&e->fwd.pd, &cd, NULL, d->engine, NULL) != dnnl_success)
    return;
  const int fa[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS},
            fo[4] = {0, 0, 1, 0};
  const dnnl_memory_desc_t *fm[4] = {&e->src, &e->wei, &e->dst, &e->bia};
  if (!prim_setup(d->engine, &e->fwd, b ? 4 : 3, fa, fm, fo)) return;
  if (dnnl_dilated_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &e->any_src,
                                                       &e->any_wei, &e->any_dst, strides, dil, pl,
                                                       pr) != dnnl_success ||
      dnnl_primitive_desc_create(&e->bwd_d.pd, &bd, NULL, d->engine, e->fwd.pd) != dnnl_success)
    return;
  const int da[3] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC}, dout[3] = {0, 0, 1};
  const dnnl_memory_desc_t *dm[3] = {&e->dst, &e->wei, &e->src};
  if (!prim_setup(d->engine, &e->bwd_d, 3, da, dm, dout)) return;
  if (dnnl_dilated_convolution_backward_weights_desc_init(&bw, dnnl_convolution_direct, &e->any_src,
                                                          &e->any_wei, b, &e->any_dst, strides, dil,
                                                          pl, pr) != dnnl_success ||
      dnnl_primitive_desc_create(&e->bwd_w.pd, &bw, NULL, d->engine, e->fwd.pd) != dnnl_success)
    return;
  const int wa[4] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
            wo[4] = {0, 0, 1, 1};
  const dnnl_memory_desc_t *wm[4] = {&e->src, &e->dst, &e->wei, &e->bia};
  if (!prim_setup(d->engine, &e->bwd_w, b ? 4 : 3, wa, wm, wo)) return;
  e->unsupported = 0;
}

static glia_status conv_entry_get(glia_nn *nn, const glia__args *a, glia__dnnl **dout,
                                  conv_entry **out) {
  glia__dnnl *d = get_dnnl(nn);
  if (!d) return glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN engine could not be created");
  int64_t key[KEY_LEN];
  conv_key(a, key);
  *dout = d;
  for (size_t i = 0; i < d->n_conv; i++)
    if (!memcmp(d->conv[i]->key, key, sizeof key)) {
      *out = d->conv[i];
      return GLIA_OK;
    }
  conv_entry **list = glia_realloc(d->conv, (d->n_conv + 1) * sizeof *list);
  if (!list) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
  d->conv = list;
  conv_entry *e = glia_calloc(1, sizeof *e);
  if (!e) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
  memcpy(e->key, key, sizeof key);
  conv_build(d, e, a);
  d->conv[d->n_conv++] = e;
  *out = e;
  return GLIA_OK;
}

/* Runs p on user (plain) buffers: inputs reordered into the primitive's layouts in arena
 * scratch, outputs reordered back. */
static glia_status run(glia_nn *nn, glia__dnnl *d, const prim *p, void *const *ptrs) {
  dnnl_exec_arg_t ea[MAX_ARGS] = {{0, NULL}};
  dnnl_memory_t user[MAX_ARGS] = {0};
  int made = 0;
  glia_status st = GLIA_OK;
  for (; made < p->n && !st; made++) {
    ea[made].arg = p->args[made];
    ea[made].memory = NULL;
    if (dnnl_memory_create(&user[made], &p->user[made], d->engine, ptrs[made]) != dnnl_success) {
      st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN memory could not be created");
      break;
    }
    if (!p->reorder[made]) {
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
  if (!st && dnnl_primitive_execute(p->p, d->stream, p->n, ea) != dnnl_success)
    st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN execution failed");
  for (int i = 0; i < made && !st; i++) {
    if (!p->reorder[i] || !p->out[i]) continue;
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
  return st;
}

glia_status glia__conv2d_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x, float *y,
                                  float *aux) {
  glia__dnnl *d;
  conv_entry *e;
  glia_status st = conv_entry_get(nn, a, &d, &e);
  if (st) return st;
  if (e->unsupported) {
    glia__conv2d_fwd_f(a, x, y, aux);
    return GLIA_OK;
  }
  void *ptrs[4] = {(void *)x[0], (void *)x[1], y, e->key[8] ? (void *)x[2] : NULL};
  glia__arena_mark mark = glia__arena_get_mark(nn); /* reorder scratch dies with the call */
  st = run(nn, d, &e->fwd, ptrs);
  glia__arena_release(nn, mark);
  return st;
}

/* oneDNN overwrites its outputs; the tape accumulates, so results go through scratch. */
static void add_into(float *dst, const float *src, int64_t n) {
#pragma omp parallel for if (n > 32768) schedule(static)
  for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}

glia_status glia__conv2d_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,
                                  const float *y, const float *aux, const float *dy,
                                  float *const *dx) {
  glia__dnnl *d;
  conv_entry *e;
  glia_status st = conv_entry_get(nn, a, &d, &e);
  if (st) return st;
  if (e->unsupported) {
    glia__conv2d_bwd_f(a, x, y, aux, dy, dx);
    return GLIA_OK;
  }
  const int64_t nx = glia__in_numel(a, 0), nw = glia__in_numel(a, 1), no = a->shape[1][0];
  glia__arena_mark mark = glia__arena_get_mark(nn);
  int bias = (int)e->key[8] && dx[2];
  if (dx[0]) {
    float *t = glia__arena_alloc_raw(nn, (size_t)nx * sizeof(float));
    if (!t) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    void *ptrs[3] = {(void *)dy, (void *)x[1], t};
    if ((st = run(nn, d, &e->bwd_d, ptrs))) return st;
    add_into(dx[0], t, nx);
    glia__arena_release(nn, mark);
  }
  if (dx[1] || bias) {
    float *t = glia__arena_alloc_raw(nn, (size_t)(nw + no) * sizeof(float));
    if (!t) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    void *ptrs[4] = {(void *)x[0], (void *)dy, t, t + nw};
    if ((st = run(nn, d, &e->bwd_w, ptrs))) return st;
    if (dx[1]) add_into(dx[1], t, nw);
    if (bias) add_into(dx[2], t + nw, no);
  }
  glia__arena_release(nn, mark);
  return GLIA_OK;
}
