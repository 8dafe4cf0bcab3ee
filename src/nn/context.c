/* Execution context: the per-step arena, the eager tape (one node per recorded op, walked in
 * reverse by glia_nn_backward), the mode flags and the random stream. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glia/rng.h"
#include "nn/internal.h"

typedef struct chunk {
  unsigned char *base;
  size_t size, used;
} chunk;

typedef struct node {
  glia__op_id id;
  int fast;
  glia__args a;
  glia_tensor *in[GLIA__MAX_IN];
  glia_tensor *out;
  float *aux;
} node;

struct glia_nn {
  chunk *chunks;
  size_t n_chunks, cur, high_water;
  node **tape;
  size_t n_tape, cap_tape;
  int training, grad, reference;
  int profile; /* GLIA_PROFILE=1: per-op times printed to stderr at free */
  double prof_fwd[GLIA__OP_COUNT], prof_bwd[GLIA__OP_COUNT];
  glia_rng rng; /* xoshiro256** (glia/rng.h), seeded by glia_nn_seed */
  glia__dnnl *dnnl;
};

#define ARENA_ALIGN 64
#define ARENA_MIN_CHUNK ((size_t)16 << 20)

glia_status glia_nn_new(glia_nn **out) {
  glia_nn *nn = glia_calloc(1, sizeof *nn);
  *out = NULL;
  if (!nn) return glia_error(GLIA_ERR_NOMEM, "nn: out of memory");
  nn->training = 1;
  nn->grad = 1;
  const char *env = getenv("GLIA_REFERENCE");
  nn->reference = env && env[0] && strcmp(env, "0") != 0;
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
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void glia_nn_free(glia_nn *nn) {
  if (!nn) return;
  if (nn->profile) print_profile(nn);
  for (size_t i = 0; i < nn->n_chunks; i++) glia_free(nn->chunks[i].base);
  glia_free(nn->chunks);
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

glia__dnnl **glia__nn_dnnl_slot(glia_nn *nn) { return &nn->dnnl; }

/* splitmix64: glia_nn_seed fills the xoshiro256** state from the seed alone (glia_rng_seed
 * mixes in a stream number, which would change the bits of existing seeds). */
static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void glia_nn_seed(glia_nn *nn, uint64_t seed) {
  for (int i = 0; i < 4; i++) nn->rng.s[i] = splitmix64(&seed);
}

void glia_nn_rng_state(const glia_nn *nn, uint64_t state[4]) {
  for (int i = 0; i < 4; i++) state[i] = nn->rng.s[i];
}

void glia_nn_set_rng_state(glia_nn *nn, const uint64_t state[4]) {
  for (int i = 0; i < 4; i++) nn->rng.s[i] = state[i];
}

float glia_nn_uniform(glia_nn *nn) { return (float)(glia_rng_u64(&nn->rng) >> 40) * 0x1.0p-24f; }

float glia_nn_normal(glia_nn *nn) {
  double u1 = ((double)(glia_rng_u64(&nn->rng) >> 11) + 1.0) * 0x1.0p-53;
  double u2 = (double)(glia_rng_u64(&nn->rng) >> 11) * 0x1.0p-53;
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void *glia__arena_alloc(glia_nn *nn, size_t bytes) {
  void *p = glia__arena_alloc_raw(nn, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void *glia__arena_alloc_raw(glia_nn *nn, size_t bytes) {
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
  unsigned char *base = NULL;
  if (posix_memalign((void **)&base, ARENA_ALIGN, size)) return NULL;
  cs[nn->n_chunks] = (chunk){base, size, need};
  nn->cur = nn->n_chunks++;
  nn->high_water += size;
  return base;
}

size_t glia_nn_arena_bytes(const glia_nn *nn) { return nn->high_water; }

glia_nn_mark glia_nn_get_mark(const glia_nn *nn) {
  glia__arena_mark m = glia__arena_get_mark(nn);
  glia_nn_mark out = {m.chunk, m.used};
  return out;
}

glia_status glia_nn_keep(glia_nn *nn, glia_nn_mark mark, glia_tensor **t) {
  if (nn->grad)
    return glia_error(GLIA_ERR_ARGUMENT, "nn: keep is for inference (nothing may be recorded)");
  if (mark.chunk >= nn->n_chunks) return GLIA_OK;
  chunk *c = &nn->chunks[mark.chunk];
  glia_tensor copy = **t;
  const size_t head = (sizeof copy + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  const size_t bytes = (size_t)glia_tensor_numel(&copy) * sizeof(float);
  unsigned char *dst = c->base + mark.used, *src = (unsigned char *)copy.data;
  /* Only a tensor of this arena lying after the mark moves, and only into the mark's chunk. */
  int after = 0;
  for (size_t i = mark.chunk; i <= nn->cur && i < nn->n_chunks; i++) {
    unsigned char *lo = nn->chunks[i].base + (i == mark.chunk ? mark.used : 0);
    if (src >= lo && src < nn->chunks[i].base + nn->chunks[i].used) after = 1;
  }
  if (!after || c->size - mark.used < head + bytes || copy.grad) return GLIA_OK;
  memmove(dst + head, src, bytes);
  copy.data = (void *)(dst + head);
  memcpy(dst, &copy, sizeof copy);
  glia__arena_release(nn, (glia__arena_mark){mark.chunk, mark.used});
  c->used = mark.used + head + ((bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
  *t = (glia_tensor *)dst;
  return GLIA_OK;
}

glia__arena_mark glia__arena_get_mark(const glia_nn *nn) {
  glia__arena_mark m = {nn->cur, nn->cur < nn->n_chunks ? nn->chunks[nn->cur].used : 0};
  return m;
}

void glia__arena_release(glia_nn *nn, glia__arena_mark m) {
  for (size_t i = m.chunk + 1; i < nn->n_chunks && i <= nn->cur; i++) nn->chunks[i].used = 0;
  if (m.chunk < nn->n_chunks) nn->chunks[m.chunk].used = m.used;
  nn->cur = m.chunk;
}

void glia_nn_reset(glia_nn *nn) {
  for (size_t i = 0; i < nn->n_chunks; i++) nn->chunks[i].used = 0;
  nn->cur = 0;
  nn->n_tape = 0;
}

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
  glia_tensor *t = glia__arena_alloc(nn, sizeof *t);
  float *d = t ? glia__arena_alloc(nn, n * sizeof(float)) : NULL;
  if (!d) return glia_error(GLIA_ERR_NOMEM, "tensor: out of memory for %zu floats", n);
  glia__set_shape(t, ndim, shape);
  t->data = d;
  *out = t;
  return GLIA_OK;
}

static glia_status push_node(glia_nn *nn, node *nd) {
  if (nn->n_tape == nn->cap_tape) {
    size_t cap = nn->cap_tape ? 2 * nn->cap_tape : 256;
    node **t = glia_realloc(nn->tape, cap * sizeof *t);
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

glia_status glia__run(glia_nn *nn, glia__op_id id, glia_tensor *const *in, int n_in, glia__args *a,
                      glia_tensor **out) {
  const glia__op *op = glia__ops[id];
  *out = NULL;
  glia_status st = fill_shapes(op, in, n_in, a);
  if (st || (st = op->shape(a))) return st;
  glia_tensor *y = glia__arena_alloc(nn, sizeof *y);
  size_t n_out = (size_t)glia__out_numel(a), n_aux = op->aux_size ? op->aux_size(a) : 0;
  float *yd = y ? glia__arena_alloc_raw(nn, n_out * sizeof(float)) : NULL; /* kernels write all */
  if (!yd) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for %zu floats", op->name, n_out);
  glia__set_shape(y, a->out_ndim, a->out_shape);
  y->data = yd;
  float *aux = n_aux ? glia__arena_alloc_raw(nn, n_aux * sizeof(float)) : NULL;
  if (n_aux && !aux) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", op->name);
  const float *x[GLIA__MAX_IN] = {0};
  for (int k = 0; k < n_in; k++) x[k] = in[k] ? in[k]->data : NULL;
  int fast = !nn->reference && op->fast_fwd && op->fast_supports && op->fast_supports(a);
  double t0 = nn->profile ? now_s() : 0;
  if (fast)
    st = op->fast_fwd(nn, a, x, y->data, aux);
  else
    op->ref_fwd_f(a, x, y->data, aux);
  if (nn->profile) nn->prof_fwd[id] += now_s() - t0;
  if (st) return st;
  if (op->post) op->post(nn, a, in, aux);
  int needs = 0;
  for (int k = 0; k < n_in; k++)
    if (in[k] && in[k]->requires_grad && (op->diff >> k & 1)) needs = 1;
  if (nn->grad && needs) {
    node *nd = glia__arena_alloc(nn, sizeof *nd);
    if (!nd) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for the tape", op->name);
    nd->id = id;
    nd->fast = fast;
    nd->a = *a;
    for (int k = 0; k < n_in; k++) nd->in[k] = in[k];
    nd->out = y;
    nd->aux = aux;
    if ((st = push_node(nn, nd))) return st;
    y->requires_grad = 1;
  }
  *out = y;
  return GLIA_OK;
}

static glia_status ensure_grad(glia_nn *nn, glia_tensor *t) {
  if (t->grad) return GLIA_OK;
  size_t n = (size_t)glia_tensor_numel(t);
  t->grad = t->owned ? glia_calloc(n, sizeof(float)) : glia__arena_alloc(nn, n * sizeof(float));
  return t->grad ? GLIA_OK : glia_error(GLIA_ERR_NOMEM, "backward: out of memory");
}

static glia_status backward_node(glia_nn *nn, node *nd) {
  const glia__op *op = glia__ops[nd->id];
  const float *x[GLIA__MAX_IN] = {0};
  float *dx[GLIA__MAX_IN] = {0};
  glia_status st;
  for (int k = 0; k < nd->a.n_in; k++) {
    glia_tensor *t = nd->in[k];
    if (!t) continue;
    x[k] = t->data;
    if (t->requires_grad && (op->diff >> k & 1)) {
      if ((st = ensure_grad(nn, t))) return st;
      dx[k] = t->grad;
    }
  }
  if (nd->fast && op->fast_bwd)
    return op->fast_bwd(nn, &nd->a, x, nd->out->data, nd->aux, nd->out->grad, dx);
  op->ref_bwd_f(&nd->a, x, nd->out->data, nd->aux, nd->out->grad, dx);
  return GLIA_OK;
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
  glia_status st = ensure_grad(nn, t);
  if (st) return st;
  const int64_t n = glia_tensor_numel(t);
  for (int64_t e = 0; e < n; e++) t->grad[e] += seed[e];
  for (size_t i = nn->n_tape; i-- > 0;) {
    node *nd = nn->tape[i];
    if (!nd->out->grad) continue;
    double t0 = nn->profile ? now_s() : 0;
    if ((st = backward_node(nn, nd))) return st;
    if (nn->profile) nn->prof_bwd[nd->id] += now_s() - t0;
  }
  return GLIA_OK;
}
