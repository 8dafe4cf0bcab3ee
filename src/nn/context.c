/* Execution context: the per-step memory, the eager tape (one node per recorded op, walked in
 * reverse by glia_nn_backward), the mode flags and the random stream.
 *
 * Memory: small objects (tensor headers, tape nodes, small tensors, kernel scratch) come from
 * a bump arena of chunks reset each step. Buffers of POOL_MIN bytes and more (activations,
 * their gradients, large saved state) come from a pool of blocks kept across steps: a block
 * is handed out best-fit, given back as soon as its tensor is dead, and reused by later
 * allocations of the same step, so a step's peak is what is live at once, and after the
 * first steps no new memory is touched. A tensor's data is dead once the caller gave it up
 * (glia_nn_release, glia_nn_reuse_input, glia_nn_keep) and no recorded backward still reads
 * it (each op row says what its backward reads); the gradient of an op output is dead once
 * its producer's backward has run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glia/rng.h"
#include "nn/internal.h"

typedef struct chunk {
  void *raw;           /* from glia_malloc */
  unsigned char *base; /* raw rounded up to ARENA_ALIGN */
  size_t size, used;
} chunk;

typedef struct node {
  glia__op_id id;
  int fast;
  unsigned reads; /* what the backward reads (glia__bwd_reads) */
  float *aux_buf; /* aux when it is a pool buffer */
  glia__args a;
  glia_tensor *in[GLIA__MAX_IN];
  glia_tensor *out;
  float *aux;
} node;

/* An arena tensor: the public struct first (a glia_tensor * of the arena points here), then
 * what the memory manager knows of it. */
typedef struct atensor {
  glia_tensor t;
  float *data_buf, *grad_buf; /* pool buffers owned (NULL: none) */
  int saved;                  /* recorded backwards that still read the data */
  int released;               /* the caller gave it up */
  int dropped;                /* freed while saved: rebuilt by its producer's recompute */
  int blocked;                /* data in nChw16c (glia__nn_set_blocked) */
  const node *producer;       /* the tape node that made it (NULL: none) */
} atensor;

struct glia_nn {
  chunk *chunks;
  size_t n_chunks, cur, high_water;
  glia__pool *pool;
  float **scratch; /* large arena allocations (kernel scratch), freed by arena marks */
  size_t n_scratch, cap_scratch;
  atensor **made; /* arena tensors of the step, in creation order (glia_nn_keep) */
  size_t n_made, cap_made;
  int keep_all; /* memory saving off: data and gradients live until glia_nn_reset */
  node **tape;
  size_t n_tape, cap_tape;
  int training, grad, reference;
  int reuse_next;    /* glia_nn_reuse_input: the next op may write over its first input */
  int blocked;       /* glia__nn_set_blocked: blocked layout between ops */
  int blocked_train; /* ... including ops that record a backward (GLIA_NN_BLOCKED_TRAIN) */
  int hand_bn;       /* blocked batch norm on the hand kernels, not oneDNN's (GLIA_NN_BN_HAND) */
  int profile;       /* GLIA_PROFILE=1: per-op times printed to stderr at free */
  double prof_fwd[GLIA__OP_COUNT], prof_bwd[GLIA__OP_COUNT];
  glia_rng rng;
  glia__dnnl *dnnl;
};

#define ARENA_ALIGN 64
#define ARENA_MIN_CHUNK ((size_t)16 << 20)
#define POOL_MIN ((size_t)64 << 10)

glia_status glia_nn_new(glia_nn **out) {
  glia_nn *nn = glia_calloc(1, sizeof *nn);
  *out = NULL;
  if (nn) nn->pool = glia__pool_new();
  if (!nn || !nn->pool) {
    glia_free(nn);
    return glia_error(GLIA_ERR_NOMEM, "nn: out of memory");
  }
  nn->training = 1;
  nn->grad = 1;
  const char *env = getenv("GLIA_REFERENCE");
  nn->reference = env && env[0] && strcmp(env, "0") != 0;
  env = getenv("GLIA_NN_KEEP_ALL");
  nn->keep_all = env && env[0] && strcmp(env, "0") != 0;
  env = getenv("GLIA_NN_BLOCKED_TRAIN");
  nn->blocked_train = !(env && env[0] && strcmp(env, "0") == 0);
  env = getenv("GLIA_NN_BN_HAND");
  nn->hand_bn = env && env[0] && strcmp(env, "0") != 0;
  env = getenv("GLIA_PROFILE");
  nn->profile = env && env[0] && strcmp(env, "0") != 0;
  glia_nn_seed(nn, 0);
  *out = nn;
  return GLIA_OK;
}

/* Debug aid enabled by the environment (GLIA_PROFILE=1), not a library message. */
static void print_profile(const glia_nn *nn) {
  for (int i = 0; i < GLIA__OP_COUNT; i++)
    if (nn->prof_fwd[i] > 0 || nn->prof_bwd[i] > 0)
      fprintf(stderr, "glia profile: %-20s forward %9.1f ms  backward %9.1f ms\n",
              glia__ops[i]->name, 1e3 * nn->prof_fwd[i], 1e3 * nn->prof_bwd[i]);
  fprintf(stderr, "glia profile: arena %zu chunks %.1f MB, pool %.1f MB\n", nn->n_chunks,
          (double)nn->high_water / 1048576.0, (double)glia__pool_bytes(nn->pool) / 1048576.0);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void glia_nn_free(glia_nn *nn) {
  if (!nn) return;
  if (nn->profile) print_profile(nn);
  for (size_t i = 0; i < nn->n_chunks; i++) glia_free(nn->chunks[i].raw);
  glia_free(nn->chunks);
  glia__pool_free(nn->pool);
  glia_free(nn->scratch);
  glia_free(nn->made);
  glia_free(nn->tape);
  glia__dnnl_free(nn->dnnl);
  glia_free(nn);
}

void glia_nn_set_training(glia_nn *nn, int training) { nn->training = training != 0; }
int glia_nn_training(const glia_nn *nn) { return nn->training; }
int glia__training(const glia_nn *nn) { return nn->training; }
void glia_nn_set_grad(glia_nn *nn, int enabled) { nn->grad = enabled != 0; }
int glia_nn_grad(const glia_nn *nn) { return nn->grad; }
void glia_nn_set_reference(glia_nn *nn, int reference) { nn->reference = reference != 0; }
int glia_nn_reference(const glia_nn *nn) { return nn->reference; }
void glia_nn_set_memory_saving(glia_nn *nn, int enabled) { nn->keep_all = enabled == 0; }
int glia_nn_memory_saving(const glia_nn *nn) { return !nn->keep_all; }

glia__dnnl **glia__nn_dnnl_slot(glia_nn *nn) { return &nn->dnnl; }
void glia__nn_set_blocked(glia_nn *nn, int on) { nn->blocked = on != 0; }
void glia__nn_set_blocked_training(glia_nn *nn, int on) { nn->blocked_train = on != 0; }
void glia__nn_set_dnnl_batch_norm(glia_nn *nn, int on) { nn->hand_bn = on == 0; }
int glia__nn_dnnl_batch_norm(const glia_nn *nn) { return !nn->hand_bn; }

/* The random stream is core's generator (glia_rng, xoshiro256**), stream 0 of the seed. */
void glia_nn_seed(glia_nn *nn, uint64_t seed) { glia_rng_seed(&nn->rng, seed, 0); }

void glia_nn_rng_state(const glia_nn *nn, uint64_t state[4]) {
  for (int i = 0; i < 4; i++) state[i] = nn->rng.s[i];
}

void glia_nn_set_rng_state(glia_nn *nn, const uint64_t state[4]) {
  for (int i = 0; i < 4; i++) nn->rng.s[i] = state[i];
}

float glia_nn_uniform(glia_nn *nn) { return (float)(glia_rng_u64(&nn->rng) >> 40) * 0x1.0p-24f; }

float glia_nn_normal(glia_nn *nn) { return (float)glia_rng_normal(&nn->rng); }

void *glia__arena_alloc(glia_nn *nn, size_t bytes) {
  void *p = glia__arena_alloc_raw(nn, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

/* From the bump arena's chunks whatever the size (a new chunk when none has room). */
static void *bump_alloc(glia_nn *nn, size_t bytes) {
  size_t need = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (need < bytes) return NULL;
  if (need == 0) need = ARENA_ALIGN;
  while (nn->cur < nn->n_chunks) {
    chunk *c = &nn->chunks[nn->cur];
    if (c->size - c->used >= need) {
      void *p = c->base + c->used;
      c->used += need;
      return p;
    }
    nn->cur++;
  }
  chunk *cs = glia_realloc(nn->chunks, (nn->n_chunks + 1) * sizeof *cs);
  if (!cs) return NULL;
  nn->chunks = cs;
  size_t size = need > ARENA_MIN_CHUNK ? need : ARENA_MIN_CHUNK;
  void *raw = size + ARENA_ALIGN > size ? glia_malloc(size + ARENA_ALIGN) : NULL;
  if (!raw) return NULL;
  unsigned char *base =
      (unsigned char *)(((uintptr_t)raw + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1));
  cs[nn->n_chunks] = (chunk){raw, base, size, need};
  nn->cur = nn->n_chunks++;
  nn->high_water += size;
  return base;
}

void *glia__arena_alloc_raw(glia_nn *nn, size_t bytes) {
  if (bytes >= POOL_MIN) { /* kernel scratch: from the pool, given back by arena marks */
    if (nn->n_scratch == nn->cap_scratch) {
      size_t cap = nn->cap_scratch ? 2 * nn->cap_scratch : 64;
      float **sc = glia_realloc(nn->scratch, cap * sizeof *sc);
      if (!sc) return NULL;
      nn->scratch = sc;
      nn->cap_scratch = cap;
    }
    float *p = glia__pool_get(nn->pool, bytes);
    if (p) nn->scratch[nn->n_scratch++] = p;
    return p;
  }
  return bump_alloc(nn, bytes);
}

size_t glia_nn_arena_bytes(const glia_nn *nn) {
  return nn->high_water + glia__pool_bytes(nn->pool);
}

/* A buffer of `bytes`: from the pool when large (also in *buf, to give back), else from the
 * bump arena (*buf = NULL). Zeroed when `zero`. */
static float *buf_alloc(glia_nn *nn, size_t bytes, int zero, float **buf) {
  *buf = NULL;
  if (bytes < POOL_MIN)
    return zero ? glia__arena_alloc(nn, bytes) : glia__arena_alloc_raw(nn, bytes);
  float *p = glia__pool_get(nn->pool, bytes);
  if (p && zero) memset(p, 0, bytes);
  *buf = p;
  return p;
}

static void buf_put(glia_nn *nn, float **buf) {
  glia__pool_put(nn->pool, *buf);
  *buf = NULL;
}

/* A new arena tensor header (no data yet), registered for glia_nn_keep. */
static atensor *atensor_new(glia_nn *nn) {
  if (nn->n_made == nn->cap_made) {
    size_t cap = nn->cap_made ? 2 * nn->cap_made : 256;
    atensor **m = glia_realloc(nn->made, cap * sizeof(atensor *));
    if (!m) return NULL;
    nn->made = m;
    nn->cap_made = cap;
  }
  atensor *t = glia__arena_alloc(nn, sizeof *t);
  if (!t) return NULL;
  nn->made[nn->n_made++] = t;
  return t;
}

/* Whether p points into one of the bump arena's chunks. */
static int in_arena(const glia_nn *nn, const void *p) {
  const unsigned char *q = p;
  for (size_t i = 0; i < nn->n_chunks; i++)
    if (q >= nn->chunks[i].base && q < nn->chunks[i].base + nn->chunks[i].size) return 1;
  return 0;
}

/* The arena record of t, NULL for a tensor made elsewhere (owned, parameter, caller's). */
static atensor *meta(const glia_nn *nn, const glia_tensor *t) {
  return t && in_arena(nn, t) ? (atensor *)(uintptr_t)t : NULL; /* t is its first member */
}

/* Whether t's producer can rebuild it: a forward with a recompute that matches it. */
static int recomputable(const atensor *m) {
  if (!m->producer) return 0;
  const glia__op *op = glia__ops[m->producer->id];
  return op->recompute && (!m->producer->fast || op->recompute_fast);
}

/* Frees t's data when the caller gave it up and no backward still reads it, or when one does
 * but its producer can rebuild it then (dropped). */
static void maybe_free(glia_nn *nn, atensor *m) {
  if (nn->keep_all || !m->released || !m->data_buf) return;
  if (m->saved > 0 && !recomputable(m)) return;
  buf_put(nn, &m->data_buf);
  m->t.data = NULL;
  m->dropped = m->saved > 0;
}

/* Rebuilds a dropped tensor before a backward that reads it (first its producer's inputs, when
 * they were dropped too). */
static glia_status rebuild(glia_nn *nn, atensor *m) {
  const node *p = m->producer;
  const float *x[GLIA__MAX_IN] = {0};
  glia_status st;
  for (int k = 0; k < p->a.n_in; k++) {
    atensor *in = meta(nn, p->in[k]);
    if (in && in->dropped && (st = rebuild(nn, in))) return st;
    x[k] = p->in[k] ? p->in[k]->data : NULL;
  }
  float *y = glia__pool_get(nn->pool, (size_t)glia_tensor_numel(&m->t) * sizeof(float));
  if (!y) return glia_error(GLIA_ERR_NOMEM, "backward: out of memory");
  if (p->a.blocked) {
    if ((st = glia__blocked_recompute(nn, p->id, &p->a, x, p->aux, y))) {
      glia__pool_put(nn->pool, y);
      return st;
    }
  } else {
    glia__ops[p->id]->recompute(&p->a, x, p->aux, y);
  }
  m->data_buf = m->t.data = y;
  m->dropped = 0;
  return GLIA_OK;
}

void glia_nn_release(glia_nn *nn, glia_tensor *t) {
  atensor *m = meta(nn, t);
  if (!m) return;
  m->released = 1;
  maybe_free(nn, m);
}

glia_nn_mark glia_nn_get_mark(const glia_nn *nn) {
  glia_nn_mark m = {nn->n_made};
  return m;
}

glia_status glia_nn_keep(glia_nn *nn, glia_nn_mark mark, glia_tensor **t) {
  if (nn->grad)
    return glia_error(GLIA_ERR_ARGUMENT, "nn: keep is for inference (nothing may be recorded)");
  for (size_t i = mark.tensors; i < nn->n_made; i++)
    if (&nn->made[i]->t != *t) glia_nn_release(nn, &nn->made[i]->t);
  return GLIA_OK;
}

glia__arena_mark glia__arena_get_mark(const glia_nn *nn) {
  glia__arena_mark m = {nn->cur, nn->cur < nn->n_chunks ? nn->chunks[nn->cur].used : 0,
                        nn->n_scratch};
  return m;
}

void glia__arena_release(glia_nn *nn, glia__arena_mark m) {
  while (nn->n_scratch > m.scratch) glia__pool_put(nn->pool, nn->scratch[--nn->n_scratch]);
  for (size_t i = m.chunk + 1; i < nn->n_chunks && i <= nn->cur; i++) nn->chunks[i].used = 0;
  if (m.chunk < nn->n_chunks) nn->chunks[m.chunk].used = m.used;
  nn->cur = m.chunk;
}

void glia_nn_reset(glia_nn *nn) {
  for (size_t i = 0; i < nn->n_chunks; i++) nn->chunks[i].used = 0;
  glia__pool_clear(nn->pool);
  nn->n_scratch = 0;
  nn->cur = 0;
  nn->n_tape = 0;
  nn->n_made = 0;
}

void glia_nn_reuse_input(glia_nn *nn) { nn->reuse_next = 1; }

glia_status glia_nn_tensor(glia_nn *nn, int ndim, const int64_t *shape, glia_tensor **out) {
  *out = NULL;
  if (ndim < 0 || ndim > GLIA_TENSOR_MAX_DIMS)
    return glia_error(GLIA_ERR_ARGUMENT, "tensor: %d dimensions, expected 0 to %d", ndim,
                      GLIA_TENSOR_MAX_DIMS);
  size_t n = 1, bytes;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] <= 0 || glia_mul_size(n, (size_t)shape[i], sizeof(float), &bytes))
      return glia_error(GLIA_ERR_ARGUMENT, "tensor: dimension %d has size %lld", i,
                        (long long)shape[i]);
    n *= (size_t)shape[i];
  }
  atensor *m = atensor_new(nn);
  float *d = m ? buf_alloc(nn, n * sizeof(float), 1, &m->data_buf) : NULL;
  if (!d) return glia_error(GLIA_ERR_NOMEM, "tensor: out of memory for %zu floats", n);
  glia__set_shape(&m->t, ndim, shape);
  m->t.data = d;
  *out = &m->t;
  return GLIA_OK;
}

static glia_status push_node(glia_nn *nn, node *nd) {
  if (nn->n_tape == nn->cap_tape) {
    size_t cap = nn->cap_tape ? 2 * nn->cap_tape : 256;
    node **t = glia_realloc(nn->tape, cap * sizeof(node *));
    if (!t) return glia_error(GLIA_ERR_NOMEM, "nn: out of memory for the tape");
    nn->tape = t;
    nn->cap_tape = cap;
  }
  nn->tape[nn->n_tape++] = nd;
  return GLIA_OK;
}

static glia_status fill_shapes(const glia__op *op, glia_tensor *const *in, int n_in,
                               glia__args *a) {
  if (n_in < op->min_in || n_in > op->max_in)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: %d inputs, expected %d to %d", op->name, n_in,
                      op->min_in, op->max_in);
  a->n_in = n_in;
  for (int k = 0; k < n_in; k++) {
    if (!in[k]) {
      if (k < op->min_in) return glia_error(GLIA_ERR_ARGUMENT, "%s: input %d is NULL", op->name, k);
      a->ndim[k] = -1;
      continue;
    }
    if (!in[k]->data)
      return glia_error(GLIA_ERR_ARGUMENT, "%s: input %d has no data (parameters not finalized?)",
                        op->name, k);
    a->ndim[k] = in[k]->ndim;
    memcpy(a->shape[k], in[k]->shape, sizeof a->shape[k]);
  }
  return GLIA_OK;
}

unsigned glia__bwd_reads(const glia__op *op, int fast, const glia__args *a) {
  const unsigned r = fast && op->bwd_reads_fast ? op->bwd_reads_fast : op->bwd_reads;
  if (!r) return GLIA__R_SET | GLIA__R_OUT | GLIA__R_AUX | ((1u << GLIA__MAX_IN) - 1);
  return op->bwd_reads_extra ? r | op->bwd_reads_extra(a) : r;
}

/* Whether the op may write its output over input 0, which the caller gave up: an op that
 * can, an arena buffer of the output's size, and (while recording) one that no backward
 * reads, this op's included. */
static int can_reuse(const glia_nn *nn, const glia__op *op, glia_tensor *const *in, int n_in,
                     size_t n_out, int record, unsigned reads) {
  const atensor *xm = meta(nn, in[0]);
  if (!op->in_place || !xm || glia_tensor_numel(in[0]) != (int64_t)n_out) return 0;
  if (!xm->data_buf && !in_arena(nn, in[0]->data)) return 0;
  if (!nn->grad) return 1;
  if (nn->keep_all || xm->saved > 0) return 0;
  for (int k = 0; k < n_in && record; k++)
    if (in[k] == in[0] && (reads & GLIA__R_IN(k))) return 0;
  return 1;
}

/* After a recorded op: the inputs and the output its backward reads are saved for it. */
static void save_for_backward(glia_nn *nn, const node *nd) {
  if (nn->keep_all) return;
  for (int k = 0; k < nd->a.n_in; k++) {
    atensor *m = meta(nn, nd->in[k]);
    if (m && (nd->reads & GLIA__R_IN(k))) m->saved++;
  }
  atensor *m = meta(nn, nd->out);
  if (m && (nd->reads & GLIA__R_OUT)) m->saved++;
}

/* A plain copy of the blocked tensor t (an arena tensor the caller gives up after use). */
static glia_status plain_copy(glia_nn *nn, const glia_tensor *t, glia_tensor **out) {
  atensor *m = atensor_new(nn);
  const size_t n = (size_t)glia_tensor_numel(t);
  float *d = m ? buf_alloc(nn, n * sizeof(float), 0, &m->data_buf) : NULL;
  if (!d) return glia_error(GLIA_ERR_NOMEM, "layout: out of memory for %zu floats", n);
  glia__set_shape(&m->t, t->ndim, t->shape);
  m->t.data = d;
  glia__to_plain(t->data, d, t->shape[0], t->shape[1], t->shape[2] * t->shape[3]);
  *out = &m->t;
  return GLIA_OK;
}

/* Chooses the layouts of an op's inputs and output (a->blocked): blocked ones where the
 * context keeps the blocked layout, the path is fast, the op takes them (glia__blocked_policy)
 * and, when it records a backward, blocked training is on; any other blocked input is
 * replaced in use[] by a plain copy (bit k of *copied) when nothing is recorded, and is an
 * error when something is (the copy's gradient would not reach the blocked tensor). */
static glia_status choose_layouts(glia_nn *nn, glia__op_id id, glia_tensor *const *in, int n_in,
                                  int record, glia__args *a, glia_tensor **use, unsigned *copied) {
  unsigned inb = 0;
  *copied = 0;
  for (int k = 0; k < n_in; k++) {
    const atensor *m = meta(nn, in[k]);
    use[k] = in[k];
    if (m && m->blocked) inb |= GLIA__BLK_IN(k);
  }
  a->blocked = 0;
  if (nn->blocked && !nn->reference && (!record || nn->blocked_train))
    a->blocked = glia__blocked_policy(id, a, inb);
  for (int k = 0; k < n_in; k++) {
    if (!(inb & ~a->blocked & GLIA__BLK_IN(k))) continue;
    if (record)
      return glia_error(GLIA_ERR_INTERNAL,
                        "%s: input %d is in the blocked layout, which this op does not take "
                        "while recording a backward",
                        glia__ops[id]->name, k);
    glia_status st = plain_copy(nn, in[k], &use[k]);
    if (st) return st;
    *copied |= GLIA__BLK_IN(k);
  }
  return GLIA_OK;
}

glia_status glia__run(glia_nn *nn, glia__op_id id, glia_tensor *const *in_caller, int n_in,
                      glia__args *a, glia_tensor **out) {
  const glia__op *op = glia__ops[id];
  const int give = nn->reuse_next; /* the caller gave up input 0 */
  *out = NULL;
  nn->reuse_next = 0;
  glia_status st = fill_shapes(op, in_caller, n_in, a);
  if (st || (st = op->shape(a))) return st;
  int needs = 0;
  for (int k = 0; k < n_in; k++)
    if (in_caller[k] && in_caller[k]->requires_grad && (op->diff >> k & 1)) needs = 1;
  const int record = nn->grad && needs;
  glia_tensor *in[GLIA__MAX_IN] = {0};
  unsigned copied = 0;
  if ((st = choose_layouts(nn, id, in_caller, n_in, record, a, in, &copied))) return st;
  atensor *ym = atensor_new(nn);
  if (!ym) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", op->name);
  glia_tensor *y = &ym->t;
  size_t n_out = (size_t)glia__out_numel(a), n_aux = op->aux_size ? op->aux_size(a) : 0;
  const int fast = !nn->reference && op->fast_fwd && op->fast_supports && op->fast_supports(a);
  const unsigned reads = glia__bwd_reads(op, fast, a);
  atensor *xm = meta(nn, in[0]);
  const int reuse = (give || (copied & 1)) && can_reuse(nn, op, in, n_in, n_out, record, reads);
  float *yd;
  if (reuse) { /* the caller gave up x: written over in place, its block now y's */
    yd = in[0]->data;
    ym->data_buf = xm->data_buf;
    xm->data_buf = NULL;
  } else {
    yd = buf_alloc(nn, n_out * sizeof(float), 0, &ym->data_buf); /* kernels write all */
  }
  if (!yd) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for %zu floats", op->name, n_out);
  glia__set_shape(y, a->out_ndim, a->out_shape);
  y->data = yd;
  ym->blocked = (a->blocked & GLIA__BLK_OUT) != 0;
  float *aux_buf = NULL;
  float *aux = !n_aux          ? NULL
               : op->aux_arena ? bump_alloc(nn, n_aux * sizeof(float))
                               : buf_alloc(nn, n_aux * sizeof(float), 0, &aux_buf);
  if (n_aux && !aux) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", op->name);
  const float *x[GLIA__MAX_IN] = {0};
  for (int k = 0; k < n_in; k++) x[k] = in[k] ? in[k]->data : NULL;
  double t0 = nn->profile ? now_s() : 0;
  if (a->blocked)
    st = glia__blocked_fwd(nn, id, a, x, y->data, aux);
  else if (fast)
    st = op->fast_fwd(nn, a, x, y->data, aux);
  else
    op->ref_fwd_f(a, x, y->data, aux);
  if (nn->profile) nn->prof_fwd[id] += now_s() - t0;
  if (st) return st;
  if (op->post) op->post(nn, a, in, aux);
  if (record) {
    node *nd = glia__arena_alloc(nn, sizeof *nd);
    if (!nd) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for the tape", op->name);
    nd->id = id;
    nd->fast = fast;
    nd->reads = reads;
    nd->aux_buf = aux_buf;
    nd->a = *a;
    for (int k = 0; k < n_in; k++) nd->in[k] = in[k];
    nd->out = y;
    nd->aux = aux;
    if ((st = push_node(nn, nd))) return st;
    y->requires_grad = 1;
    ym->producer = nd;
    save_for_backward(nn, nd);
  } else {
    buf_put(nn, &aux_buf); /* nothing will read it */
  }
  if (give && meta(nn, in_caller[0])) glia_nn_release(nn, in_caller[0]);
  for (int k = 0; k < n_in; k++)
    if (copied & GLIA__BLK_IN(k)) glia_nn_release(nn, in[k]); /* unless reused above */
  *out = y;
  return GLIA_OK;
}

/* Gives t a gradient buffer when it has none: a parameter's (owned) zeroed, an arena
 * tensor's with no value yet (*fresh = 1; the caller zeroes it or has it written whole). */
static glia_status ensure_grad(glia_nn *nn, glia_tensor *t, int *fresh) {
  *fresh = 0;
  if (t->grad) return GLIA_OK;
  size_t n = (size_t)glia_tensor_numel(t);
  atensor *m = meta(nn, t);
  float *buf = NULL;
  t->grad = t->owned ? glia_calloc(n, sizeof(float)) : buf_alloc(nn, n * sizeof(float), 0, &buf);
  if (m) m->grad_buf = buf;
  *fresh = !t->owned;
  return t->grad ? GLIA_OK : glia_error(GLIA_ERR_NOMEM, "backward: out of memory");
}

/* Whether input k of nd is also another of its inputs. */
static int repeated_input(const node *nd, int k) {
  for (int j = 0; j < nd->a.n_in; j++)
    if (j != k && nd->in[j] == nd->in[k]) return 1;
  return 0;
}

/* Runs nd's backward. An input's gradient made here holds no value: kernels that write it
 * whole (glia__bwd_overwrites) are told so (a.fresh), and one that may compute it in dy's
 * buffer (a.alias) takes that buffer over when it is the output's arena gradient, which
 * nothing reads after this backward; any other new gradient is zeroed first. */
static glia_status backward_node(glia_nn *nn, node *nd) {
  const glia__op *op = glia__ops[nd->id];
  const float *x[GLIA__MAX_IN] = {0};
  float *dx[GLIA__MAX_IN] = {0};
  glia_status st;
  for (int k = 0; k < nd->a.n_in; k++) {
    atensor *m = meta(nn, nd->in[k]);
    if (m && m->dropped && (nd->reads & GLIA__R_IN(k)) && (st = rebuild(nn, m))) return st;
  }
  atensor *mo = meta(nn, nd->out);
  if (mo && mo->dropped && (nd->reads & GLIA__R_OUT) && (st = rebuild(nn, mo))) return st;
  unsigned inplace = 0;
  const unsigned over =
      nn->reference ? 0 : glia__bwd_overwrites((glia__op_id)nd->id, &nd->a, nd->fast, &inplace);
  int dy_taken = 0;
  nd->a.fresh = nd->a.alias = 0;
  for (int k = 0; k < nd->a.n_in; k++) {
    glia_tensor *t = nd->in[k];
    if (!t) continue;
    x[k] = t->data;
    if (!t->requires_grad || !(op->diff >> k & 1)) continue;
    atensor *m = meta(nn, t);
    const int unique = !repeated_input(nd, k);
    if (!t->grad && m && mo && unique && (inplace >> k & 1) && !dy_taken &&
        glia_tensor_numel(t) == glia_tensor_numel(nd->out)) {
      t->grad = nd->out->grad; /* dy's buffer, now t's gradient */
      m->grad_buf = mo->grad_buf;
      mo->grad_buf = NULL;
      dy_taken = 1;
      nd->a.fresh |= 1u << k;
      nd->a.alias |= 1u << k;
    } else {
      int fresh;
      if ((st = ensure_grad(nn, t, &fresh))) return st;
      if (fresh && unique && (over >> k & 1))
        nd->a.fresh |= 1u << k;
      else if (fresh)
        memset(t->grad, 0, (size_t)glia_tensor_numel(t) * sizeof(float));
    }
    dx[k] = t->grad;
  }
  if (nd->a.blocked)
    return glia__blocked_bwd(nn, (glia__op_id)nd->id, &nd->a, x, nd->out->data, nd->aux,
                             nd->out->grad, dx);
  if (nd->fast && op->fast_bwd)
    return op->fast_bwd(nn, &nd->a, x, nd->out->data, nd->aux, nd->out->grad, dx);
  op->ref_bwd_f(&nd->a, x, nd->out->data, nd->aux, nd->out->grad, dx);
  return GLIA_OK;
}

/* After a node's backward: what only it still read is freed, and so is the gradient of its
 * output (read by it alone; consumers ran before). */
static void after_backward(glia_nn *nn, node *nd) {
  if (nn->keep_all) return;
  for (int k = 0; k < nd->a.n_in; k++) {
    atensor *m = meta(nn, nd->in[k]);
    if (m && (nd->reads & GLIA__R_IN(k))) {
      m->saved--;
      maybe_free(nn, m);
    }
  }
  atensor *m = meta(nn, nd->out);
  if (m && (nd->reads & GLIA__R_OUT)) {
    m->saved--;
    maybe_free(nn, m);
  }
  if (nd->aux_buf) {
    buf_put(nn, &nd->aux_buf);
    nd->aux = NULL;
  }
  if (m) {
    buf_put(nn, &m->grad_buf);
    nd->out->grad = NULL;
  }
}

glia_status glia_nn_backward(glia_nn *nn, glia_tensor *loss) {
  if (glia_tensor_numel(loss) != 1)
    return glia_error(GLIA_ERR_ARGUMENT, "backward: the loss has %lld elements, expected 1",
                      (long long)glia_tensor_numel(loss));
  const float one = 1.0f;
  return glia__backward_seed(nn, loss, &one);
}

glia_status glia__backward_seed(glia_nn *nn, glia_tensor *t, const float *seed) {
  if (!t->requires_grad || nn->n_tape == 0)
    return glia_error(GLIA_ERR_ARGUMENT, "backward: nothing was recorded (inference mode?)");
  int fresh;
  glia_status st = ensure_grad(nn, t, &fresh);
  if (st) return st;
  const int64_t n = glia_tensor_numel(t);
  if (fresh) memset(t->grad, 0, (size_t)n * sizeof(float));
  for (int64_t e = 0; e < n; e++) t->grad[e] += seed[e];
  for (size_t i = nn->n_tape; i-- > 0;) {
    node *nd = nn->tape[i];
    if (!nd->out->grad) continue;
    double t0 = nn->profile ? now_s() : 0;
    if ((st = backward_node(nn, nd))) return st;
    if (nn->profile) nn->prof_bwd[nd->id] += now_s() - t0;
    after_backward(nn, nd);
  }
  return GLIA_OK;
}
