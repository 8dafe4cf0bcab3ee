/* Parameter slab: named tensors (PyTorch state_dict keys) whose values live in one contiguous
 * slab and whose gradients live in another, so optimizers sweep flat arrays. */
#include <string.h>

#include "nn/internal.h"

typedef struct entry {
  char *name;
  glia_tensor t;
  int trainable;
} entry;

/* Entries are allocated one by one so that returned tensor pointers stay valid. */
struct glia_params {
  entry **e;
  size_t n, cap;
  float *values, *grads;
  size_t n_values, n_grads;
  int finalized;
};

glia_status glia_params_new(glia_params **out) {
  *out = glia_calloc(1, sizeof **out);
  return *out ? GLIA_OK : glia_error(GLIA_ERR_NOMEM, "params: out of memory");
}

void glia_params_free(glia_params *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    glia_free(p->e[i]->name);
    glia_free(p->e[i]);
  }
  glia_free(p->e);
  glia_free(p->values);
  glia_free(p->grads);
  glia_free(p);
}

glia_status glia_params_add(glia_params *p, const char *name, int ndim, const int64_t *shape,
                            int trainable, glia_tensor **out) {
  if (p->finalized) return glia_error(GLIA_ERR_ARGUMENT, "params: %s added after finalize", name);
  if (glia_params_find(p, name))
    return glia_error(GLIA_ERR_ARGUMENT, "params: duplicate tensor name %s", name);
  if (ndim < 0 || ndim > GLIA_TENSOR_MAX_DIMS)
    return glia_error(GLIA_ERR_ARGUMENT, "params: %s has %d dimensions", name, ndim);
  for (int i = 0; i < ndim; i++)
    if (shape[i] <= 0 || shape[i] > ((int64_t)1 << 32))
      return glia_error(GLIA_ERR_ARGUMENT, "params: %s has a dimension of size %lld", name,
                        (long long)shape[i]);
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    entry **e = glia_realloc(p->e, cap * sizeof(entry *));
    if (!e) return glia_error(GLIA_ERR_NOMEM, "params: out of memory");
    p->e = e;
    p->cap = cap;
  }
  entry *e = glia_calloc(1, sizeof *e);
  if (!e) return glia_error(GLIA_ERR_NOMEM, "params: out of memory");
  e->name = glia_strdup(name);
  if (!e->name) {
    glia_free(e);
    return glia_error(GLIA_ERR_NOMEM, "params: out of memory");
  }
  p->e[p->n] = e;
  glia__set_shape(&e->t, ndim, shape);
  e->t.requires_grad = trainable;
  e->trainable = trainable;
  p->n++;
  if (out) *out = &e->t;
  return GLIA_OK;
}

glia_status glia_params_finalize(glia_params *p) {
  if (p->finalized) return GLIA_OK;
  size_t nv = 0, ng = 0;
  for (size_t i = 0; i < p->n; i++) {
    size_t k = (size_t)glia_tensor_numel(&p->e[i]->t);
    nv += k;
    if (p->e[i]->trainable) ng += k;
  }
  p->values = glia_calloc(nv ? nv : 1, sizeof(float));
  p->grads = glia_calloc(ng ? ng : 1, sizeof(float));
  if (!p->values || !p->grads)
    return glia_error(GLIA_ERR_NOMEM, "params: out of memory for %zu values", nv);
  size_t ov = 0, og = 0;
  for (size_t i = 0; i < p->n; i++) {
    entry *e = p->e[i];
    size_t k = (size_t)glia_tensor_numel(&e->t);
    e->t.data = p->values + ov;
    ov += k;
    if (e->trainable) {
      e->t.grad = p->grads + og;
      og += k;
    }
  }
  p->n_values = nv;
  p->n_grads = ng;
  p->finalized = 1;
  return GLIA_OK;
}

size_t glia_params_count(const glia_params *p) { return p->n; }

glia_tensor *glia_params_at(const glia_params *p, size_t i, const char **name, int *trainable) {
  if (i >= p->n) return NULL;
  if (name) *name = p->e[i]->name;
  if (trainable) *trainable = p->e[i]->trainable;
  return &p->e[i]->t;
}

glia_tensor *glia_params_find(const glia_params *p, const char *name) {
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->e[i]->name, name)) return &p->e[i]->t;
  return NULL;
}

void glia_params_zero_grad(glia_params *p) {
  if (p->grads) memset(p->grads, 0, p->n_grads * sizeof(float));
}

float *glia_params_values(const glia_params *p, size_t *count) {
  if (count) *count = p->n_values;
  return p->values;
}

float *glia_params_grads(const glia_params *p, size_t *count) {
  if (count) *count = p->n_grads;
  return p->grads;
}
