/* Safetensors reader and writer. Layout: u64 little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}), then
 * the tensor bytes; offsets are relative to the end of the header. Every number of the header
 * is checked before any byte is read through it. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "glia/file.h"
#include "glia/safetensors.h"
#include "nn/internal.h"

typedef struct st_entry {
  char *name;
  const char *dtype;
  size_t elem;
  int ndim;
  int64_t shape[GLIA_TENSOR_MAX_DIMS];
  size_t begin, end;
} st_entry;

struct glia_safetensors {
  unsigned char *owned;
  const unsigned char *data; /* first tensor byte */
  size_t data_size;
  st_entry *e;
  size_t n;
  char **meta; /* key, value pairs */
  size_t n_meta;
  char *label;
};

static const struct {
  const char *name;
  size_t size;
} dtypes[] = {{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8},     {"I64", 8},
              {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U8", 1},      {"BOOL", 1},
              {"U16", 2}, {"U32", 4}, {"U64", 8},  {"F8_E4M3", 1}, {"F8_E5M2", 1}};

void glia_safetensors_free(glia_safetensors *st) {
  if (!st) return;
  for (size_t i = 0; i < st->n; i++) glia_free(st->e[i].name);
  for (size_t i = 0; i < 2 * st->n_meta; i++) glia_free(st->meta[i]);
  glia_free(st->e);
  glia_free(st->meta);
  glia_free(st->label);
  glia_free(st->owned);
  glia_free(st);
}

/* A JSON number that is an exact integer in [0, 2^53). */
static int as_size(const cJSON *j, size_t *out) {
  if (!cJSON_IsNumber(j)) return 0;
  double v = j->valuedouble;
  if (!(v >= 0 && v < 9007199254740992.0) || v != floor(v)) return 0;
  *out = (size_t)v;
  return 1;
}

static glia_status bad(const glia_safetensors *st, const char *tensor, const char *why) {
  return glia_error(GLIA_ERR_FORMAT, "%s: tensor %s: %s", st->label, tensor, why);
}

static glia_status parse_meta(glia_safetensors *st, const cJSON *m) {
  if (!cJSON_IsObject(m)) return bad(st, "__metadata__", "not a JSON object");
  size_t n = (size_t)cJSON_GetArraySize(m);
  st->meta = glia_calloc(2 * n + 1, sizeof *st->meta);
  if (!st->meta) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", st->label);
  for (const cJSON *kv = m->child; kv; kv = kv->next) {
    if (!cJSON_IsString(kv) || !kv->string)
      return bad(st, "__metadata__", "values must be strings");
    char *k = glia_strdup(kv->string), *v = glia_strdup(kv->valuestring);
    st->meta[2 * st->n_meta] = k;
    st->meta[2 * st->n_meta + 1] = v;
    st->n_meta++;
    if (!k || !v) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", st->label);
  }
  return GLIA_OK;
}

static glia_status parse_entry(glia_safetensors *st, const cJSON *j, st_entry *e) {
  const char *name = j->string;
  if (!cJSON_IsObject(j)) return bad(st, name, "entry is not a JSON object");
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shape");
  const cJSON *off = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
  if (!cJSON_IsString(dt)) return bad(st, name, "missing dtype");
  for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++)
    if (!strcmp(dt->valuestring, dtypes[k].name)) {
      e->dtype = dtypes[k].name;
      e->elem = dtypes[k].size;
    }
  if (!e->dtype) return bad(st, name, "unknown dtype");
  if (!cJSON_IsArray(sh)) return bad(st, name, "missing shape");
  int nd = cJSON_GetArraySize(sh);
  if (nd > GLIA_TENSOR_MAX_DIMS) return bad(st, name, "more than 6 dimensions");
  e->ndim = nd;
  size_t count = 1, bytes, begin, end;
  int d = 0;
  for (const cJSON *v = sh->child; v; v = v->next, d++) {
    size_t s;
    if (!as_size(v, &s) || s > ((size_t)1 << 40)) return bad(st, name, "bad shape entry");
    e->shape[d] = (int64_t)s;
    if (glia_mul_size(count, s, 1, &count)) return bad(st, name, "shape overflows");
  }
  if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || !as_size(off->child, &begin) ||
      !as_size(off->child->next, &end))
    return bad(st, name, "missing or bad data_offsets");
  if (begin > end || end > st->data_size) {
    char why[160];
    snprintf(why, sizeof why, "data_offsets [%zu, %zu] lie outside the %zu data bytes", begin, end,
             st->data_size);
    return bad(st, name, why);
  }
  if (glia_mul_size(count, e->elem, 1, &bytes) || bytes != end - begin) {
    char why[160];
    snprintf(why, sizeof why, "shape needs %zu elements but data_offsets span %zu bytes", count,
             end - begin);
    return bad(st, name, why);
  }
  e->begin = begin;
  e->end = end;
  e->name = glia_strdup(name);
  return e->name ? GLIA_OK : glia_error(GLIA_ERR_NOMEM, "%s: out of memory", st->label);
}

static glia_status parse_header(glia_safetensors *st, const char *json, size_t len) {
  cJSON *root = cJSON_ParseWithLength(json, len);
  glia_status s = GLIA_OK;
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return glia_error(GLIA_ERR_FORMAT, "%s: the header is not a JSON object", st->label);
  }
  size_t n = (size_t)cJSON_GetArraySize(root);
  st->e = glia_calloc(n + 1, sizeof *st->e);
  if (!st->e) s = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", st->label);
  for (const cJSON *j = root->child; j && !s; j = j->next) {
    if (!j->string) {
      s = glia_error(GLIA_ERR_FORMAT, "%s: unnamed header entry", st->label);
    } else if (!strcmp(j->string, "__metadata__")) {
      s = st->meta ? bad(st, "__metadata__", "given twice") : parse_meta(st, j);
    } else {
      for (size_t k = 0; k < st->n && !s; k++)
        if (!strcmp(st->e[k].name, j->string)) s = bad(st, j->string, "name given twice");
      if (!s && !(s = parse_entry(st, j, &st->e[st->n]))) st->n++;
    }
  }
  cJSON_Delete(root);
  return s;
}

glia_status glia_safetensors_parse(const unsigned char *data, size_t size, const char *label,
                                   glia_safetensors **out) {
  *out = NULL;
  glia_safetensors *st = glia_calloc(1, sizeof *st);
  if (!st || !(st->label = glia_strdup(label ? label : "safetensors"))) {
    glia_free(st);
    return glia_error(GLIA_ERR_NOMEM, "safetensors: out of memory");
  }
  glia_status s = GLIA_OK;
  uint64_t n = 0;
  if (size < 8) {
    s = glia_error(GLIA_ERR_FORMAT, "%s: %zu bytes, too short for a safetensors header", st->label,
                   size);
  } else {
    for (int i = 7; i >= 0; i--) n = n << 8 | data[i];
    if (n > size - 8 || n > GLIA_SAFETENSORS_MAX_HEADER || n < 2)
      s = glia_error(GLIA_ERR_FORMAT,
                     "%s: header length %llu does not fit the file's %zu bytes (truncated?)",
                     st->label, (unsigned long long)n, size);
  }
  if (!s) {
    st->data = data + 8 + n;
    st->data_size = size - 8 - (size_t)n;
    s = parse_header(st, (const char *)data + 8, (size_t)n);
  }
  if (s) {
    glia_safetensors_free(st);
    return s;
  }
  *out = st;
  return GLIA_OK;
}

glia_status glia_safetensors_open(const char *path, glia_safetensors **out) {
  unsigned char *d;
  size_t n;
  *out = NULL;
  glia_status s = glia_file_read(path, 0, &d, &n);
  if (s) return s;
  if ((s = glia_safetensors_parse(d, n, path, out))) {
    glia_free(d);
    return s;
  }
  (*out)->owned = d;
  return GLIA_OK;
}

size_t glia_safetensors_count(const glia_safetensors *st) { return st->n; }

const char *glia_safetensors_info(const glia_safetensors *st, size_t i, const char **dtype,
                                  int *ndim, const int64_t **shape) {
  if (i >= st->n) return NULL;
  if (dtype) *dtype = st->e[i].dtype;
  if (ndim) *ndim = st->e[i].ndim;
  if (shape) *shape = st->e[i].shape;
  return st->e[i].name;
}

const char *glia_safetensors_meta(const glia_safetensors *st, const char *key) {
  for (size_t i = 0; i < st->n_meta; i++)
    if (!strcmp(st->meta[2 * i], key)) return st->meta[2 * i + 1];
  return NULL;
}

static const st_entry *find(const glia_safetensors *st, const char *name) {
  for (size_t i = 0; i < st->n; i++)
    if (!strcmp(st->e[i].name, name)) return &st->e[i];
  return NULL;
}

glia_status glia_safetensors_read(const glia_safetensors *st, const char *name, int ndim,
                                  const int64_t *shape, int reject_nonfinite, float *dst) {
  const st_entry *e = find(st, name);
  char have[160], want[160];
  if (!e) return glia_error(GLIA_ERR_ARGUMENT, "%s: tensor %s is missing", st->label, name);
  int same = e->ndim == ndim;
  for (int d = 0; same && d < ndim; d++) same = e->shape[d] == shape[d];
  if (!same)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: tensor %s has shape [%s], expected [%s]", st->label,
                      name, glia_shape_str(e->ndim, e->shape, have, sizeof have),
                      glia_shape_str(ndim, shape, want, sizeof want));
  const unsigned char *p = st->data + e->begin;
  const size_t n = (e->end - e->begin) / e->elem;
  int kind = !strcmp(e->dtype, "F32")    ? 0
             : !strcmp(e->dtype, "F16")  ? 1
             : !strcmp(e->dtype, "BF16") ? 2
                                         : -1;
  if (kind < 0)
    return glia_error(GLIA_ERR_UNSUPPORTED, "%s: tensor %s has dtype %s, expected F32, F16 or BF16",
                      st->label, name, e->dtype);
  for (size_t i = 0; i < n; i++) {
    float v;
    if (kind == 0) {
      uint32_t b = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                   (uint32_t)p[4 * i + 3] << 24;
      memcpy(&v, &b, 4);
    } else {
      uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
      v = kind == 1 ? glia_f16_to_f32(h) : glia_bf16_to_f32(h);
    }
    if (reject_nonfinite && !isfinite(v))
      return glia_error(GLIA_ERR_FORMAT, "%s: tensor %s has a non-finite value at index %zu",
                        st->label, name, i);
    dst[i] = v;
  }
  return GLIA_OK;
}

/* PyTorch's BatchNorm counter (an int64 buffer glia does not use). */
static int ignorable(const char *name) {
  const char *suffix = "num_batches_tracked";
  size_t n = strlen(name), k = strlen(suffix);
  return n >= k && !strcmp(name + n - k, suffix);
}

glia_status glia_safetensors_load_params(const glia_safetensors *st, glia_params *p, int strict) {
  for (size_t i = 0; i < glia_params_count(p); i++) {
    const char *name;
    glia_tensor *t = glia_params_at(p, i, &name, NULL);
    glia_status s = glia_safetensors_read(st, name, t->ndim, t->shape, 1, t->data);
    if (s) return s;
  }
  if (strict)
    for (size_t i = 0; i < st->n; i++)
      if (!glia_params_find(p, st->e[i].name) && !ignorable(st->e[i].name) &&
          strncmp(st->e[i].name, "optimizer.", 10) != 0)
        return glia_error(GLIA_ERR_ARGUMENT,
                          "%s: tensor %s is not part of the model (weights of "
                          "another architecture?)",
                          st->label, st->e[i].name);
  return GLIA_OK;
}
