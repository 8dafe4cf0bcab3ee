/* The op table (one row per op of ops.def) and helpers shared by the op rows. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "nn/internal.h"

#define GLIA__OP(id) [GLIA__OP_##id] = &glia__op_##id,
const glia__op *const glia__ops[] = {
#include "nn/ops.def"
};
#undef GLIA__OP

static_assert(sizeof glia__ops / sizeof glia__ops[0] == GLIA__OP_COUNT,
              "the op table has one row per op of ops.def");

int glia_nn_op_count(void) { return GLIA__OP_COUNT; }

const char *glia_nn_op_name(int i) {
  return i >= 0 && i < GLIA__OP_COUNT ? glia__ops[i]->name : NULL;
}

int64_t glia__in_numel(const glia__args *a, int k) {
  return a->ndim[k] < 0 ? 0 : glia__numel(a->ndim[k], a->shape[k]);
}

int64_t glia__out_numel(const glia__args *a) { return glia__numel(a->out_ndim, a->out_shape); }

const char *glia__in_shape_str(const glia__args *a, int k, char *buf, size_t size) {
  if (a->ndim[k] < 0) {
    snprintf(buf, size, "absent");
    return buf;
  }
  char tmp[128];
  snprintf(buf, size, "[%s]", glia_shape_str(a->ndim[k], a->shape[k], tmp, sizeof tmp));
  return buf;
}

glia_status glia__shape_error(const glia__args *a, const char *op, const char *why) {
  char all[512] = "", one[160];
  size_t used = 0;
  for (int k = 0; k < a->n_in && used < sizeof all; k++) {
    int n = snprintf(all + used, sizeof all - used, "%s%s", k ? ", " : "",
                     glia__in_shape_str(a, k, one, sizeof one));
    if (n < 0) break;
    used += (size_t)n;
  }
  return glia_error(GLIA_ERR_ARGUMENT, "%s: inputs of shapes %s: %s", op, all, why);
}

void glia__set_in(glia__args *a, int k, int ndim, const int64_t *shape) {
  a->ndim[k] = ndim;
  for (int d = 0; d < ndim; d++) a->shape[k][d] = shape[d];
  if (k >= a->n_in) a->n_in = k + 1;
}
