/* conv2d fast path: oneDNN convolution primitives (forward, backward data, backward weights)
 * on plain NCHW/OIHW memory, created once per shape and cached in the context. A shape that
 * oneDNN refuses falls back to the reference kernels. */
#include <dnnl.h>
#include <string.h>

#include "nn/internal.h"

#define KEY_LEN 20

typedef struct conv_entry {
  int64_t key[KEY_LEN];
  int unsupported;
  dnnl_memory_desc_t src, wei, bia, dst;
  dnnl_primitive_desc_t fwd_pd, bwd_d_pd, bwd_w_pd;
  dnnl_primitive_t fwd, bwd_d, bwd_w;
} conv_entry;

struct glia__dnnl {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  conv_entry **conv;
  size_t n_conv;
};

void glia__dnnl_free(glia__dnnl *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n_conv; i++) {
    conv_entry *e = d->conv[i];
    dnnl_primitive_destroy(e->fwd);
    dnnl_primitive_destroy(e->bwd_d);
    dnnl_primitive_destroy(e->bwd_w);
    dnnl_primitive_desc_destroy(e->fwd_pd);
    dnnl_primitive_desc_destroy(e->bwd_d_pd);
    dnnl_primitive_desc_destroy(e->bwd_w_pd);
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
  for (int k = 0; k < 2; k++)
    pr[k] = (dst[2 + k] - 1) * strides[k] + (a->shape[1][2 + k] - 1) * a->i[4 + k] + 1 -
            src[2 + k] - pl[k];
  dnnl_memory_desc_init_by_tag(&e->src, 4, src, dnnl_f32, dnnl_nchw);
  dnnl_memory_desc_init_by_tag(&e->dst, 4, dst, dnnl_f32, dnnl_nchw);
  dnnl_dims_t wei4 = {wei[1], wei[2], wei[3], wei[4]};
  if (G == 1)
    dnnl_memory_desc_init_by_tag(&e->wei, 4, wei4, dnnl_f32, dnnl_oihw);
  else
    dnnl_memory_desc_init_by_tag(&e->wei, 5, wei, dnnl_f32, dnnl_goihw);
  dnnl_memory_desc_init_by_tag(&e->bia, 1, bia, dnnl_f32, dnnl_x);
  const dnnl_memory_desc_t *b = e->key[8] ? &e->bia : NULL;
  dnnl_convolution_desc_t cd;
  e->unsupported = 1;
  if (pr[0] < 0 || pr[1] < 0) return;
  if (dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_training,
                                                 dnnl_convolution_direct, &e->src, &e->wei, b,
                                                 &e->dst, strides, dil, pl, pr) != dnnl_success)
    return;
  if (dnnl_primitive_desc_create(&e->fwd_pd, &cd, NULL, d->engine, NULL) != dnnl_success) return;
  if (dnnl_primitive_create(&e->fwd, e->fwd_pd) != dnnl_success) return;
  dnnl_convolution_desc_t bd, bw;
  if (dnnl_dilated_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &e->src,
                                                       &e->wei, &e->dst, strides, dil, pl,
                                                       pr) != dnnl_success ||
      dnnl_primitive_desc_create(&e->bwd_d_pd, &bd, NULL, d->engine, e->fwd_pd) != dnnl_success ||
      dnnl_primitive_create(&e->bwd_d, e->bwd_d_pd) != dnnl_success)
    return;
  if (dnnl_dilated_convolution_backward_weights_desc_init(&bw, dnnl_convolution_direct, &e->src,
                                                          &e->wei, b, &e->dst, strides, dil, pl,
                                                          pr) != dnnl_success ||
      dnnl_primitive_desc_create(&e->bwd_w_pd, &bw, NULL, d->engine, e->fwd_pd) != dnnl_success ||
      dnnl_primitive_create(&e->bwd_w, e->bwd_w_pd) != dnnl_success)
    return;
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

/* Executes a primitive on user memory: n (arg, desc, pointer) triples. */
static glia_status exec(glia__dnnl *d, dnnl_primitive_t p, int n, const int *args,
                        const dnnl_memory_desc_t *const *mds, void *const *ptrs) {
  dnnl_exec_arg_t ea[6];
  int made = 0;
  glia_status st = GLIA_OK;
  for (; made < n; made++) {
    ea[made].arg = args[made];
    if (dnnl_memory_create(&ea[made].memory, mds[made], d->engine, ptrs[made]) != dnnl_success) {
      st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN memory could not be created");
      break;
    }
  }
  if (!st && (dnnl_primitive_execute(p, d->stream, n, ea) != dnnl_success ||
              dnnl_stream_wait(d->stream) != dnnl_success))
    st = glia_error(GLIA_ERR_INTERNAL, "conv2d: oneDNN execution failed");
  for (int k = 0; k < made; k++) dnnl_memory_destroy(ea[k].memory);
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
  int bias = (int)e->key[8];
  int args[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_BIAS};
  const dnnl_memory_desc_t *mds[4] = {&e->src, &e->wei, &e->dst, &e->bia};
  void *ptrs[4] = {(void *)x[0], (void *)x[1], y, bias ? (void *)x[2] : NULL};
  return exec(d, e->fwd, 3 + bias, args, mds, ptrs);
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
  int bias = (int)e->key[8] && dx[2];
  if (dx[0]) {
    float *t = glia__arena_alloc(nn, (size_t)nx * sizeof(float));
    if (!t) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    int args[3] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC};
    const dnnl_memory_desc_t *mds[3] = {&e->dst, &e->wei, &e->src};
    void *ptrs[3] = {(void *)dy, (void *)x[1], t};
    if ((st = exec(d, e->bwd_d, 3, args, mds, ptrs))) return st;
    add_into(dx[0], t, nx);
  }
  if (dx[1] || bias) {
    float *t = glia__arena_alloc(nn, (size_t)(nw + no) * sizeof(float));
    if (!t) return glia_error(GLIA_ERR_NOMEM, "conv2d: out of memory");
    int has_b = (int)e->key[8];
    int args[4] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS};
    const dnnl_memory_desc_t *mds[4] = {&e->src, &e->dst, &e->wei, &e->bia};
    void *ptrs[4] = {(void *)x[0], (void *)dy, t, t + nw};
    if ((st = exec(d, e->bwd_w, 3 + has_b, args, mds, ptrs))) return st;
    if (dx[1]) add_into(dx[1], t, nw);
    if (bias) add_into(dx[2], t + nw, no);
  }
  return GLIA_OK;
}
