/* Tensors: shapes, owned allocation, half-precision conversions. */
#include <stdio.h>
#include <string.h>

#include "nn/internal.h"

int64_t glia__numel(int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= shape[i];
  return n;
}

int64_t glia_tensor_numel(const glia_tensor *t) { return glia__numel(t->ndim, t->shape); }

char *glia_shape_str(int ndim, const int64_t *shape, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; i < ndim && used < size; i++) {
    int n = snprintf(buf + used, size - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
  return buf;
}

static glia_status check_shape(int ndim, const int64_t *shape, size_t *bytes) {
  if (ndim < 0 || ndim > GLIA_TENSOR_MAX_DIMS)
    return glia_error(GLIA_ERR_ARGUMENT, "tensor: %d dimensions, expected 0 to %d", ndim,
                      GLIA_TENSOR_MAX_DIMS);
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] <= 0 || shape[i] > ((int64_t)1 << 40))
      return glia_error(GLIA_ERR_ARGUMENT, "tensor: dimension %d has size %lld, expected > 0", i,
                        (long long)shape[i]);
    if (glia_mul_size(n, (size_t)shape[i], 1, &n))
      return glia_error(GLIA_ERR_NOMEM, "tensor: shape overflows");
  }
  if (glia_mul_size(n, sizeof(float), 1, bytes))
    return glia_error(GLIA_ERR_NOMEM, "tensor: shape overflows");
  return GLIA_OK;
}

void glia__set_shape(glia_tensor *t, int ndim, const int64_t *shape) {
  t->ndim = ndim;
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    t->shape[i] = shape[i];
    t->stride[i] = s;
    s *= shape[i];
  }
}

glia_status glia_tensor_new(int ndim, const int64_t *shape, glia_tensor **out) {
  size_t bytes = 0;
  *out = NULL;
  glia_status st = check_shape(ndim, shape, &bytes);
  if (st) return st;
  glia_tensor *t = glia_calloc(1, sizeof *t);
  if (!t) return glia_error(GLIA_ERR_NOMEM, "tensor: out of memory");
  t->data = glia_calloc(1, bytes);
  if (!t->data) {
    glia_free(t);
    return glia_error(GLIA_ERR_NOMEM, "tensor: out of memory for %zu bytes", bytes);
  }
  glia__set_shape(t, ndim, shape);
  t->owned = 1;
  *out = t;
  return GLIA_OK;
}

void glia_tensor_free(glia_tensor *t) {
  if (!t || !t->owned) return;
  glia_free(t->data);
  glia_free(t->grad);
  glia_free(t);
}

/* IEEE 754 binary16 ↔ binary32 by bit manipulation (subnormals handled exactly). */
float glia_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: normalise */
      int e = -1;
      do {
        e++;
        man <<= 1;
      } while (!(man & 0x400));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

float glia_bf16_to_f32(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

uint16_t glia_f32_to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40); /* NaN */
  bits += 0x7fff + ((bits >> 16) & 1);
  return (uint16_t)(bits >> 16);
}

uint16_t glia_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00);  /* NaN */
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* rounds to infinity */
  if (ax < 0x38800000u) {                                  /* subnormal or zero in half */
    if (ax < 0x33000000u) return (uint16_t)sign;
    uint32_t e = ax >> 23, m = (ax & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - e; /* 14..24 */
    uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = ax - 0x38000000u; /* rebias exponent 127 -> 15 */
  uint32_t low = r & 0x1fff;
  r >>= 13;
  if (low > 0x1000 || (low == 0x1000 && (r & 1))) r++;
  return (uint16_t)(sign | r);
}
