/* oneDNN state shared by the fast paths (src/nn/fast_*.c): the context's engine and stream
 * (created on first use, in fast_conv.c) and a cache of per-shape primitives keyed by integers.
 * Internal to src/nn. */
#ifndef GLIA_NN_FAST_DNNL_H
#define GLIA_NN_FAST_DNNL_H

#include <dnnl.h>

#include "nn/internal.h"

#define GLIA__DNNL_KEY 16

/* Head of a cached object: its key (key[0] names the kind, e.g. GLIA__DNNL_BN) and how to free
 * it. Cached objects put it first and are freed by glia__dnnl_free. */
typedef struct glia__dnnl_entry glia__dnnl_entry;
struct glia__dnnl_entry {
  int64_t key[GLIA__DNNL_KEY];
  void (*destroy)(glia__dnnl_entry *e);
};

enum { GLIA__DNNL_BN = 1, GLIA__DNNL_POOL = 2 };

/* The context's oneDNN state, created on first use (error: no engine or memory). */
glia_status glia__dnnl_get(glia_nn *nn, glia__dnnl **out);
dnnl_engine_t glia__dnnl_engine(const glia__dnnl *d);
/* Primitive attributes with a user-mode scratchpad (the caller passes DNNL_ARG_SCRATCHPAD). */
const_dnnl_primitive_attr_t glia__dnnl_attr(const glia__dnnl *d);
/* The entry with this key, or NULL. */
glia__dnnl_entry *glia__dnnl_find(const glia__dnnl *d, const int64_t *key);
/* Adds e to the cache, which then owns it (on failure e is destroyed). */
glia_status glia__dnnl_add(glia__dnnl *d, glia__dnnl_entry *e);
/* Executes p on plain buffers: argument k is args[k] with layout mds[k] at ptrs[k] (a NULL
 * pointer skips the argument); waits for the stream. `op` names the caller in errors. */
glia_status glia__dnnl_exec(glia__dnnl *d, dnnl_primitive_t p, int n, const int *args,
                            const dnnl_memory_desc_t *const *mds, void *const *ptrs,
                            const char *op);
/* Max pooling without oneDNN, its argmax saved in aux as a float index (fast_pool.c). */
void glia__max_pool2d_hand_fwd(const glia__args *a, const float *x, float *y, float *aux);
void glia__max_pool2d_hand_bwd(const glia__args *a, const float *aux, const float *dy, float *dx);
/* Max pooling at inference on blocked (nChw16c) tensors with oneDNN's JIT kernel; *done 0:
 * oneDNN has none for the shape, nothing was run. */
glia_status glia__max_pool2d_blocked_fwd(glia_nn *nn, const glia__args *a, const float *x, float *y,
                                         int *done);
/* m[i] = dy[i] where y[i] > 0, else 0 (the backward of a fused ReLU). */
void glia__relu_mask(const float *y, const float *dy, float *m, int64_t n);
/* dst[i] += src[i] (oneDNN overwrites its outputs; the tape accumulates). */
void glia__add_into(float *dst, const float *src, int64_t n);

#endif
