/* Internals of src/nn shared between its files: op arguments, the op table, the tape node,
 * the arena and the declarations of the reference kernels (compiled for float and double). */
#ifndef GLIA_NN_INTERNAL_H
#define GLIA_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "glia/nn.h"

#define GLIA__MAX_IN 5
#define GLIA__MAX_DIMS GLIA_TENSOR_MAX_DIMS

/* Three builds of a hot loop, the x86-64 baseline (SSE2), AVX2 and AVX-512, picked when the
 * program loads (GCC/clang target_clones). Without contraction (ISO C) none fuses
 * multiply-adds, so the three round alike. Off under AddressSanitizer (ifunc resolvers run
 * before it is set up). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define GLIA__NN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GLIA__NN_CLONES
#endif

/* Shapes and attributes of one op call. An absent optional input has ndim -1 (and a NULL
 * data pointer in the kernels). Integer and real attributes are op-specific (documented at
 * each op's row). */
typedef struct glia__args {
  int n_in;
  int ndim[GLIA__MAX_IN];
  int64_t shape[GLIA__MAX_IN][GLIA__MAX_DIMS];
  int out_ndim;
  int64_t out_shape[GLIA__MAX_DIMS];
  int64_t i[12];
  double f[4];
  /* Inputs and output in oneDNN's blocked layout nChw16c (GLIA__BLK_IN(k), GLIA__BLK_OUT; 0:
   * all plain), set by glia__run inside a model's forward (glia__nn_set_blocked). */
  unsigned blocked;
  /* Backward only, for the kernels glia__bwd_overwrites names: bit k of fresh: dx[k] holds no
   * value yet (the kernel writes it instead of adding to it); bit k of alias: dx[k] is dy's
   * own buffer (the kernel reads each dy element before writing that dx element). */
  unsigned fresh, alias;
} glia__args;

#define GLIA__BLK_IN(k) (1u << (k))
#define GLIA__BLK_OUT (1u << 8)

typedef void (*glia__fwd_f)(const glia__args *a, const float *const *x, float *y, float *aux);
typedef void (*glia__bwd_f)(const glia__args *a, const float *const *x, const float *y,
                            const float *aux, const float *dy, float *const *dx);
typedef void (*glia__fwd_d)(const glia__args *a, const double *const *x, double *y, double *aux);
typedef void (*glia__bwd_d)(const glia__args *a, const double *const *x, const double *y,
                            const double *aux, const double *dy, double *const *dx);

/* One row of the op table. Backward kernels ADD into dx[k] where dx[k] is not NULL. */
typedef struct glia__op {
  const char *name;
  int min_in, max_in;
  unsigned diff; /* bit k: input k is differentiable */
  /* Validates the inputs' shapes and attributes, sets out_ndim/out_shape; the error names
   * the op and the shapes. */
  glia_status (*shape)(glia__args *a);
  /* Floats of saved state the forward writes for the backward (NULL: none). */
  size_t (*aux_size)(const glia__args *a);
  /* 1: the saved state comes from the step's bump arena, not the pool, even when large (it is
   * small next to the activations and lives until the backward; in the pool such blocks
   * fragmented the space that large scratch buffers need). */
  int aux_arena;
  glia__fwd_f ref_fwd_f;
  glia__bwd_f ref_bwd_f;
  glia__fwd_d ref_fwd_d;
  glia__bwd_d ref_bwd_d;
  /* Fast path (NULL: none) and the shapes it takes. */
  int (*fast_supports)(const glia__args *a);
  glia_status (*fast_fwd)(glia_nn *nn, const glia__args *a, const float *const *x, float *y,
                          float *aux);
  glia_status (*fast_bwd)(glia_nn *nn, const glia__args *a, const float *const *x, const float *y,
                          const float *aux, const float *dy, float *const *dx);
  /* 1 when the forward may write its output over input 0 (same size; each output element
   * written after the inputs it depends on are read): glia_nn_reuse_input. */
  int in_place;
  /* What the backward reads (GLIA__READS(...) of GLIA__R_IN(k), GLIA__R_OUT, GLIA__R_AUX), so
   * that the rest can be freed once the caller gives it up; 0 (a row that does not say): all
   * of it. bwd_reads_fast: the same for the fast backward (0: as bwd_reads). */
  unsigned bwd_reads, bwd_reads_fast;
  /* Extra reads that depend on the attributes (NULL: none), or-ed into the above (conv2d's
   * fused ReLU reads the output). */
  unsigned (*bwd_reads_extra)(const glia__args *a);
  /* Rebuilds the output of a reference forward from the inputs and saved state its backward
   * reads, with the same bits (NULL: none). A given-up output that a later backward reads is
   * then freed at once and rebuilt just before that backward (checkpointing). */
  void (*recompute)(const glia__args *a, const float *const *x, const float *aux, float *y);
  /* 1 when the fast forward gives the same bits as the reference forward (and the same saved
   * state), so that recompute rebuilds its output too. */
  int recompute_fast;
  /* Called after the forward with the inputs and the saved state (batch norm updates its
   * running statistics here). NULL: nothing. */
  void (*post)(glia_nn *nn, const glia__args *a, glia_tensor *const *in, const float *aux);
  /* Gradient-check cases: n_checks small argument sets (n_in, input shapes, attributes). */
  int n_checks;
  void (*check)(int k, glia__args *a);
  /* Values of the check's input `input` (NULL: uniform in [-1, 1]; used for labels, masks,
   * positive variances). `u` draws uniforms in [0, 1). */
  void (*check_init)(const glia__args *a, int input, double *v, size_t n, double (*u)(void *),
                     void *rng);
} glia__op;

#define GLIA__R_IN(k) (1u << (k))
#define GLIA__R_OUT (1u << GLIA__MAX_IN)
#define GLIA__R_AUX (2u << GLIA__MAX_IN)
#define GLIA__R_SET (4u << GLIA__MAX_IN) /* the row declares its reads (maybe none) */
#define GLIA__READS(mask) (GLIA__R_SET | (mask))

#define GLIA__OP(id) GLIA__OP_##id,
typedef enum glia__op_id {
#include "nn/ops.def"
  GLIA__OP_COUNT
} glia__op_id;
#undef GLIA__OP

#define GLIA__OP(id) extern const glia__op glia__op_##id;
#include "nn/ops.def"
#undef GLIA__OP

extern const glia__op *const glia__ops[GLIA__OP_COUNT];

/* Runs op `id` on inputs (NULL for an absent optional one) with the attributes in `a`
 * (i[] and f[]; shapes are filled here): picks the fast path unless the context forces the
 * reference, records a tape node when gradients are needed. */
glia_status glia__run(glia_nn *nn, glia__op_id id, glia_tensor *const *in, int n_in, glia__args *a,
                      glia_tensor **out);

/* Back-propagates from t with upstream gradient `seed` (t's element count). */
glia_status glia__backward_seed(glia_nn *nn, glia_tensor *t, const float *seed);

/* What a node's backward reads: the row's declaration for the path taken, all when none. */
unsigned glia__bwd_reads(const glia__op *op, int fast, const glia__args *a);

/* Arena allocation valid until glia_nn_reset (or an earlier glia__arena_release of a mark taken
 * before it), 64-byte aligned and zeroed; NULL on failure. Large ones come from the pool. */
void *glia__arena_alloc(glia_nn *nn, size_t bytes);
/* The same without zeroing (for buffers a kernel overwrites entirely). */
void *glia__arena_alloc_raw(glia_nn *nn, size_t bytes);
/* A position in the arena: everything allocated after it can be released at once (scratch
 * buffers of a kernel, once its outputs are written). Chunks created after the mark stay
 * allocated for reuse. */
typedef struct glia__arena_mark {
  size_t chunk, used, scratch;
} glia__arena_mark;
glia__arena_mark glia__arena_get_mark(const glia_nn *nn);
void glia__arena_release(glia_nn *nn, glia__arena_mark m);

/* The buffer pool (src/nn/pool.c): large per-step buffers, best-fit with splitting and
 * coalescing over regions kept until glia__pool_free. get: 64-byte aligned, not zeroed, NULL
 * when out of memory; put: gives a buffer back (NULL: nothing); clear: every buffer free;
 * bytes: the memory touched so far (its high-water mark). */
typedef struct glia__pool glia__pool;
glia__pool *glia__pool_new(void);
void glia__pool_free(glia__pool *p);
float *glia__pool_get(glia__pool *p, size_t bytes);
void glia__pool_put(glia__pool *p, float *ptr);
void glia__pool_clear(glia__pool *p);
size_t glia__pool_bytes(const glia__pool *p);

/* Blocked layout between ops (src/nn/fast_blocked.c). While on (a model's forward sets it),
 * ops on the fast path keep 4-D activations with C % 16 == 0 in nChw16c from one convolution
 * to the next: conv2d, batch norm, relu, add of two same-shape blocked tensors, max pooling
 * and global average pooling take them, forward and backward (their gradients are blocked
 * too). At inference any other op gets a plain copy; an op that records a backward and does
 * not take a blocked input is an error. The caller of glia__run sees blocked tensors only
 * while it is on; turning it off is the caller's promise that no blocked tensor escapes.
 * glia__nn_set_blocked_training(nn, 0) (or GLIA_NN_BLOCKED_TRAIN=0) keeps everything that
 * records a backward plain (the blocked layout at inference only). */
void glia__nn_set_blocked(glia_nn *nn, int on);
void glia__nn_set_blocked_training(glia_nn *nn, int on);
/* Whether op `id` takes input k blocked (inputs_blocked: the mask of the blocked inputs) and
 * whether its output is blocked: the GLIA__BLK_* mask for a->blocked. */
unsigned glia__blocked_policy(glia__op_id id, const glia__args *a, unsigned inputs_blocked);
/* Runs the forward of op `id` with some inputs or the output blocked (a->blocked != 0). */
glia_status glia__blocked_fwd(glia_nn *nn, glia__op_id id, const glia__args *a,
                              const float *const *x, float *y, float *aux);
/* The backward of op `id` run with blocked tensors (a->blocked != 0). */
glia_status glia__blocked_bwd(glia_nn *nn, glia__op_id id, const glia__args *a,
                              const float *const *x, const float *y, const float *aux,
                              const float *dy, float *const *dx);
/* The recompute of op `id` (batch norm) on blocked tensors. */
glia_status glia__blocked_recompute(glia_nn *nn, glia__op_id id, const glia__args *a,
                                    const float *const *x, const float *aux, float *y);
/* Batch norm's saved state for channel c (aux: mean[C], invstd[C], biased var[C], scale[C],
 * shift[C]) from its mean and variance, the weight w and bias b (NULL: 1 and 0). */
void glia__bn_channel_aux(const glia__args *a, const float *w, const float *b, int64_t c,
                          double mean, double var, float *aux);
/* Batch norm in training on blocked tensors with oneDNN (src/nn/fast_bnorm.c): each returns 0
 * when oneDNN has no kernel for the call (the hand kernels then run), else 1 with the status
 * in *st; aux holds the hand path's 5·C floats, then oneDNN's ReLU mask
 * (glia__bn_blocked_ws_floats). */
size_t glia__bn_blocked_ws_floats(const glia__args *a);
/* Whether blocked batch norm in training may use oneDNN (default 1; 0: the hand kernels). */
void glia__nn_set_dnnl_batch_norm(glia_nn *nn, int on);
int glia__nn_dnnl_batch_norm(const glia_nn *nn);
int glia__bn_dnnl_fwd(glia_nn *nn, const glia__args *a, const float *const *x, float *y, float *aux,
                      glia_status *st);
int glia__bn_dnnl_bwd(glia_nn *nn, const glia__args *a, const float *const *x, const float *aux,
                      const float *dy, float *const *dx, glia_status *st);
int glia__bn_dnnl_recompute(glia_nn *nn, const glia__args *a, const float *const *x,
                            const float *aux, float *y, glia_status *st);
/* The inputs k whose gradient the backward of op `id` on this path (a->blocked, fast) writes
 * whole when asked to (a->fresh), and in *inplace those it may compute in dy's own buffer
 * (a->alias). */
unsigned glia__bwd_overwrites(glia__op_id id, const glia__args *a, int fast, unsigned *inplace);
/* nChw16c <-> NCHW for [N, C, H, W] with C % 16 == 0 (both buffers N·C·H·W floats). */
void glia__to_blocked(const float *x, float *y, int64_t N, int64_t C, int64_t HW);
void glia__to_plain(const float *x, float *y, int64_t N, int64_t C, int64_t HW);

/* Whether the context is in training mode (batch norm, dropout). */
int glia__training(const glia_nn *nn);

/* The pooling window of output position o (kernel k, stride st, padding p) clipped to [0, n):
 * [*lo, *hi). */
static inline void glia__pool_window(int64_t o, int64_t k, int64_t st, int64_t p, int64_t n,
                                     int64_t *lo, int64_t *hi) {
  const int64_t b = o * st - p;
  *lo = b < 0 ? 0 : b;
  *hi = b + k > n ? n : b + k;
}

/* Sets a contiguous shape and strides. */
void glia__set_shape(glia_tensor *t, int ndim, const int64_t *shape);

/* Elements of a shape; of input k (0 when absent); of the output. */
int64_t glia__numel(int ndim, const int64_t *shape);
int64_t glia__in_numel(const glia__args *a, int k);
int64_t glia__out_numel(const glia__args *a);
/* Error "<op>: inputs of shapes [..], [..]: <why>" (GLIA_ERR_ARGUMENT). */
glia_status glia__shape_error(const glia__args *a, const char *op, const char *why);
/* Sets input k's shape in a gradient-check case (ndim -1: absent). */
void glia__set_in(glia__args *a, int k, int ndim, const int64_t *shape);

/* Formats input k's shape ("absent" when missing) for error messages. */
const char *glia__in_shape_str(const glia__args *a, int k, char *buf, size_t size);

/* oneDNN state of a context (engine, stream, primitive cache); created lazily. */
typedef struct glia__dnnl glia__dnnl;
glia__dnnl **glia__nn_dnnl_slot(glia_nn *nn);
void glia__dnnl_free(glia__dnnl *d);

/* oneDNN's sgemm (row-major, C = alpha·op(A)·op(B) + beta·C). */
glia_status glia__sgemm(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                        float *c, int64_t ldc);

/* Fast paths (src/nn/fast_*.c). */
#define GLIA__DECL_FAST(name)                                                                      \
  glia_status glia__##name##_fast_fwd(glia_nn *nn, const glia__args *a, const float *const *x,     \
                                      float *y, float *aux);                                       \
  glia_status glia__##name##_fast_bwd(glia_nn *nn, const glia__args *a, const float *const *x,     \
                                      const float *y, const float *aux, const float *dy,           \
                                      float *const *dx);
GLIA__DECL_FAST(conv2d)
GLIA__DECL_FAST(linear)
GLIA__DECL_FAST(matmul)
GLIA__DECL_FAST(conv_transpose2d)
GLIA__DECL_FAST(max_pool2d)
GLIA__DECL_FAST(avg_pool2d)
GLIA__DECL_FAST(batch_norm)
int glia__conv2d_supports(const glia__args *a);
/* Cached convolutions of the context whose algorithm is Winograd (tests). */
int glia__conv_wino_entries(glia_nn *nn);
int glia__gemm_supports(const glia__args *a);
int glia__pool_supports(const glia__args *a);
int glia__batch_norm_supports(const glia__args *a);

/* Declarations of the reference kernels of an op, for float (_f) and double (_d). */
#define GLIA__DECL_REF(name)                                                                       \
  void glia__##name##_fwd_f(const glia__args *a, const float *const *x, float *y, float *aux);     \
  void glia__##name##_bwd_f(const glia__args *a, const float *const *x, const float *y,            \
                            const float *aux, const float *dy, float *const *dx);                  \
  void glia__##name##_fwd_d(const glia__args *a, const double *const *x, double *y, double *aux);  \
  void glia__##name##_bwd_d(const glia__args *a, const double *const *x, const double *y,          \
                            const double *aux, const double *dy, double *const *dx);
#define GLIA__REF_ROW(name)                                                                        \
  .ref_fwd_f = glia__##name##_fwd_f, .ref_bwd_f = glia__##name##_bwd_f,                            \
  .ref_fwd_d = glia__##name##_fwd_d, .ref_bwd_d = glia__##name##_bwd_d

GLIA__DECL_REF(conv2d)
GLIA__DECL_REF(linear)
GLIA__DECL_REF(matmul)
GLIA__DECL_REF(add)
GLIA__DECL_REF(mul)
GLIA__DECL_REF(scale)
GLIA__DECL_REF(batch_norm)
GLIA__DECL_REF(relu)
GLIA__DECL_REF(leaky_relu)
GLIA__DECL_REF(gelu)
GLIA__DECL_REF(silu)
GLIA__DECL_REF(sigmoid)
GLIA__DECL_REF(tanh)
GLIA__DECL_REF(softmax)
GLIA__DECL_REF(log_softmax)
GLIA__DECL_REF(max_pool2d)
GLIA__DECL_REF(avg_pool2d)
GLIA__DECL_REF(adaptive_avg_pool2d)
GLIA__DECL_REF(reshape)
GLIA__DECL_REF(dropout)
GLIA__DECL_REF(cross_entropy)
GLIA__DECL_REF(bce_with_logits)
GLIA__DECL_REF(mse_loss)
GLIA__DECL_REF(l1_loss)
GLIA__DECL_REF(conv_transpose2d)
GLIA__DECL_REF(layer_norm)
GLIA__DECL_REF(group_norm)
GLIA__DECL_REF(concat)
GLIA__DECL_REF(slice)
GLIA__DECL_REF(permute)
GLIA__DECL_REF(pad)
GLIA__DECL_REF(upsample_nearest2d)
GLIA__DECL_REF(upsample_bilinear2d)
GLIA__DECL_REF(attention)
GLIA__DECL_REF(dice_loss)
void glia__batch_norm_recompute_f(const glia__args *a, const float *const *x, const float *aux,
                                  float *y);
void glia__batch_norm_recompute_d(const glia__args *a, const double *const *x, const double *aux,
                                  double *y);

#endif
