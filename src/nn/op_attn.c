/* Op row and entry point: scaled dot-product attention with an additive bias. */
#include <string.h>

#include "nn/internal.h"

/* Inputs q [..., L, D], k [..., S, D], v [..., S, E] (same leading dims), bias broadcastable
 * to [..., L, S] (optional); f[0] = scale (0: 1/sqrt(D)). */
static glia_status attn_shape(glia__args *a) {
  const int nd = a->ndim[0];
  int ok = nd >= 2 && a->ndim[1] == nd && a->ndim[2] == nd &&
           a->shape[1][nd - 1] == a->shape[0][nd - 1] && a->shape[2][nd - 2] == a->shape[1][nd - 2];
  for (int d = 0; ok && d < nd - 2; d++)
    ok = a->shape[1][d] == a->shape[0][d] && a->shape[2][d] == a->shape[0][d];
  if (!ok)
    return glia__shape_error(a, "attention",
                             "expected q [..., L, D], k [..., S, D], v [..., S, E]");
  if (a->n_in > 3 && a->ndim[3] >= 0) {
    int64_t t[GLIA__MAX_DIMS];
    memcpy(t, a->shape[0], sizeof t);
    t[nd - 1] = a->shape[1][nd - 2];
    ok = a->ndim[3] <= nd;
    for (int d = 0; ok && d < a->ndim[3]; d++) {
      int64_t s = a->shape[3][d], want = t[nd - a->ndim[3] + d];
      ok = s == 1 || s == want;
    }
    if (!ok) return glia__shape_error(a, "attention", "the bias does not broadcast to [..., L, S]");
  }
  a->out_ndim = nd;
  memcpy(a->out_shape, a->shape[0], sizeof a->out_shape);
  a->out_shape[nd - 1] = a->shape[2][nd - 1];
  return GLIA_OK;
}

static size_t attn_aux(const glia__args *a) {
  const int nd = a->ndim[0];
  return (size_t)(glia__in_numel(a, 0) / a->shape[0][nd - 1] * a->shape[1][nd - 2]);
}

static void attn_check(int k, glia__args *a) {
  glia__set_in(a, 0, 4, (int64_t[]){1, 2, 3, 4});
  glia__set_in(a, 1, 4, (int64_t[]){1, 2, 5, 4});
  glia__set_in(a, 2, 4, (int64_t[]){1, 2, 5, 3});
  if (k == 0) glia__set_in(a, 3, -1, (int64_t[]){1});
  if (k == 1) glia__set_in(a, 3, 2, (int64_t[]){3, 5});
  if (k == 2) glia__set_in(a, 3, 4, (int64_t[]){1, 2, 3, 5});
  a->f[0] = k == 2 ? 0.3 : 0.0;
}

const glia__op glia__op_attention = {
    .name = "attention",
    .min_in = 3,
    .max_in = 4,
    .diff = 15,
    .shape = attn_shape,
    .aux_size = attn_aux,
    GLIA__REF_ROW(attention),
    .n_checks = 3,
    .check = attn_check,
};

glia_status glia_attention(glia_nn *nn, glia_tensor *q, glia_tensor *k, glia_tensor *v,
                           glia_tensor *bias, float scale, glia_tensor **out) {
  glia__args a = {0};
  a.f[0] = scale;
  glia_tensor *in[4] = {q, k, v, bias};
  return glia__run(nn, GLIA__OP_attention, in, 4, &a, out);
}
