/* Safetensors writer (F32 tensors, string metadata; atomic: temporary file, fsync, rename) and
 * checkpoints (parameters, optimizer state and the random stream). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "glia/file.h"
#include "glia/safetensors.h"
#include "nn/internal.h"

typedef struct w_entry {
  char *name;
  int ndim;
  int64_t shape[GLIA_TENSOR_MAX_DIMS];
  const float *data;
  size_t n;
} w_entry;

struct glia_st_writer {
  w_entry *e;
  size_t n, cap;
  cJSON *meta;
};

glia_status glia_st_writer_new(glia_st_writer **out) {
  glia_st_writer *w = glia_calloc(1, sizeof *w);
  *out = NULL;
  if (!w || !(w->meta = cJSON_CreateObject())) {
    glia_free(w);
    return glia_error(GLIA_ERR_NOMEM, "safetensors: out of memory");
  }
  *out = w;
  return GLIA_OK;
}

void glia_st_writer_free(glia_st_writer *w) {
  if (!w) return;
  for (size_t i = 0; i < w->n; i++) glia_free(w->e[i].name);
  glia_free(w->e);
  cJSON_Delete(w->meta);
  glia_free(w);
}

glia_status glia_st_writer_add(glia_st_writer *w, const char *name, int ndim, const int64_t *shape,
                               const float *data) {
  if (!strcmp(name, "__metadata__") || ndim < 0 || ndim > GLIA_TENSOR_MAX_DIMS)
    return glia_error(GLIA_ERR_ARGUMENT, "safetensors: bad tensor %s", name);
  for (size_t i = 0; i < w->n; i++)
    if (!strcmp(w->e[i].name, name))
      return glia_error(GLIA_ERR_ARGUMENT, "safetensors: tensor %s added twice", name);
  if (w->n == w->cap) {
    size_t cap = w->cap ? 2 * w->cap : 64;
    w_entry *e = glia_realloc(w->e, cap * sizeof *e);
    if (!e) return glia_error(GLIA_ERR_NOMEM, "safetensors: out of memory");
    w->e = e;
    w->cap = cap;
  }
  w_entry *e = &w->e[w->n];
  memset(e, 0, sizeof *e);
  if (!(e->name = glia_strdup(name)))
    return glia_error(GLIA_ERR_NOMEM, "safetensors: out of memory");
  e->ndim = ndim;
  memcpy(e->shape, shape, (size_t)ndim * sizeof *shape);
  e->n = (size_t)glia__numel(ndim, shape);
  e->data = data;
  w->n++;
  return GLIA_OK;
}

glia_status glia_st_writer_meta(glia_st_writer *w, const char *key, const char *value) {
  cJSON *v = cJSON_CreateString(value);
  if (!v) return glia_error(GLIA_ERR_NOMEM, "safetensors: out of memory");
  if (cJSON_GetObjectItemCaseSensitive(w->meta, key))
    cJSON_ReplaceItemInObjectCaseSensitive(w->meta, key, v);
  else
    cJSON_AddItemToObject(w->meta, key, v);
  return GLIA_OK;
}

static char *build_header(const glia_st_writer *w, size_t *len) {
  cJSON *root = cJSON_CreateObject();
  if (!root) return NULL;
  if (cJSON_GetArraySize(w->meta) > 0)
    cJSON_AddItemToObject(root, "__metadata__", cJSON_Duplicate(w->meta, 1));
  size_t off = 0;
  for (size_t i = 0; i < w->n; i++) {
    cJSON *t = cJSON_AddObjectToObject(root, w->e[i].name), *sh, *of;
    if (!t) break;
    cJSON_AddStringToObject(t, "dtype", "F32");
    sh = cJSON_AddArrayToObject(t, "shape");
    of = cJSON_AddArrayToObject(t, "data_offsets");
    for (int d = 0; sh && d < w->e[i].ndim; d++)
      cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)w->e[i].shape[d]));
    if (of) {
      cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
      off += 4 * w->e[i].n;
      cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
    }
  }
  char *json = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!json) return NULL;
  size_t n = strlen(json), padded = (n + 7) & ~(size_t)7; /* 8-byte aligned data */
  char *out = glia_malloc(padded + 1);
  if (out) {
    memcpy(out, json, n);
    memset(out + n, ' ', padded - n);
    out[padded] = 0;
    *len = padded;
  }
  cJSON_free(json);
  return out;
}

glia_status glia_st_writer_save(glia_st_writer *w, const char *path) {
  size_t len;
  char *header = build_header(w, &len);
  if (!header) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for the header", path);
  glia_atomic_file f;
  glia_status s = glia_atomic_open(path, &f);
  if (s) {
    glia_free(header);
    return s;
  }
  unsigned char lenb[8];
  for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)((uint64_t)len >> (8 * i));
  int ok = fwrite(lenb, 1, 8, f.fp) == 8 && fwrite(header, 1, len, f.fp) == len;
  for (size_t i = 0; ok && i < w->n; i++) /* little-endian hosts only (x86-64, arm64) */
    ok = fwrite(w->e[i].data, sizeof(float), w->e[i].n, f.fp) == w->e[i].n;
  glia_free(header);
  if (!ok) {
    glia_atomic_abort(&f);
    return glia_error(GLIA_ERR_IO, "%s: write failed", path);
  }
  return glia_atomic_commit(&f);
}

static glia_status add_params(glia_st_writer *w, const glia_params *p, const char *const *meta) {
  glia_status s = GLIA_OK;
  for (size_t i = 0; i < glia_params_count(p) && !s; i++) {
    const char *name;
    glia_tensor *t = glia_params_at(p, i, &name, NULL);
    s = glia_st_writer_add(w, name, t->ndim, t->shape, t->data);
  }
  for (size_t i = 0; meta && meta[i] && meta[i + 1] && !s; i += 2)
    s = glia_st_writer_meta(w, meta[i], meta[i + 1]);
  return s;
}

glia_status glia_safetensors_save_params(const char *path, const glia_params *p,
                                         const char *const *meta) {
  glia_st_writer *w;
  glia_status s = glia_st_writer_new(&w);
  if (!s) s = add_params(w, p, meta);
  if (!s) s = glia_st_writer_save(w, path);
  glia_st_writer_free(w);
  return s;
}

glia_status glia_checkpoint_save(const char *path, const glia_params *p, glia_optim *opt,
                                 const glia_nn *nn, const char *const *meta) {
  glia_st_writer *w;
  glia_status s = glia_st_writer_new(&w);
  if (s) return s;
  s = add_params(w, p, meta);
  char buf[160];
  if (!s && opt) {
    size_t n;
    float *state = glia_optim_state(opt, &n);
    if (n) s = glia_st_writer_add(w, "optimizer.state", 1, (int64_t[]){(int64_t)n}, state);
    snprintf(buf, sizeof buf, "%" PRId64, glia_optim_steps(opt));
    if (!s) s = glia_st_writer_meta(w, "optimizer.steps", buf);
  }
  if (!s && nn) {
    uint64_t r[4];
    glia_nn_rng_state(nn, r);
    snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, r[0], r[1],
             r[2], r[3]);
    s = glia_st_writer_meta(w, "rng", buf);
  }
  if (!s) s = glia_st_writer_save(w, path);
  glia_st_writer_free(w);
  return s;
}

static int parse_rng(const char *text, uint64_t r[4]) {
  if (!text || strlen(text) != 64) return 0;
  for (int k = 0; k < 4; k++) {
    char part[17];
    memcpy(part, text + 16 * k, 16);
    part[16] = 0;
    if (sscanf(part, "%16" SCNx64, &r[k]) != 1) return 0;
  }
  return 1;
}

glia_status glia_checkpoint_load(const char *path, glia_params *p, glia_optim *opt, glia_nn *nn) {
  glia_safetensors *st;
  glia_status s = glia_safetensors_open(path, &st);
  if (s) return s;
  s = glia_safetensors_load_params(st, p, 1);
  if (!s && opt) {
    size_t n;
    float *state = glia_optim_state(opt, &n);
    const char *steps = glia_safetensors_meta(st, "optimizer.steps");
    long long k = 0;
    if (!steps || sscanf(steps, "%lld", &k) != 1 || k < 0)
      s = glia_error(GLIA_ERR_FORMAT, "%s: metadata optimizer.steps is missing or bad", path);
    if (!s && n)
      s = glia_safetensors_read(st, "optimizer.state", 1, (int64_t[]){(int64_t)n}, 1, state);
    if (!s) glia_optim_set_steps(opt, (int64_t)k);
  }
  if (!s && nn) {
    uint64_t r[4];
    if (!parse_rng(glia_safetensors_meta(st, "rng"), r))
      s = glia_error(GLIA_ERR_FORMAT, "%s: metadata rng is missing or bad", path);
    else
      glia_nn_set_rng_state(nn, r);
  }
  glia_safetensors_free(st);
  return s;
}
