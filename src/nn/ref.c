/* The reference kernels: plain loops, obviously right, compiled twice from the REAL-generic
 * bodies in ref_*.h — for float (the run-time reference path, _f) and for double (the
 * gradient check, _d). OpenMP appears only on independent outer loops, so results do not
 * depend on the thread count. */
#include <math.h>
#include <string.h>

#include "nn/internal.h"

/* Offset in a tensor of shape bshape (bnd dims) of element `o` of the broadcast target shape
 * tshape (PyTorch rules: shapes aligned right, size-1 dims repeat). */
static int64_t bcast_to(const int64_t *tshape, int tnd, const int64_t *bshape, int bnd, int64_t o) {
  int64_t off = 0, in_stride = 1;
  for (int d = tnd - 1; d >= 0; d--) {
    int64_t coord = o % tshape[d];
    o /= tshape[d];
    int dk = d - (tnd - bnd);
    if (dk < 0) break;
    if (bshape[dk] != 1) off += coord * in_stride;
    in_stride *= bshape[dk];
  }
  return off;
}

/* Offset of output element `o` in input k of a broadcasting op. */
static int64_t bcast_offset(const glia__args *a, int k, int64_t o) {
  return bcast_to(a->out_shape, a->out_ndim, a->shape[k], a->ndim[k], o);
}

static int same_shape(const glia__args *a, int k) {
  if (a->ndim[k] != a->out_ndim) return 0;
  for (int d = 0; d < a->out_ndim; d++)
    if (a->shape[k][d] != a->out_shape[d]) return 0;
  return 1;
}

/* Splits a shape around dim into outer × size × inner. */
static void split_dim(int ndim, const int64_t *shape, int dim, int64_t *outer, int64_t *size,
                      int64_t *inner) {
  *outer = *inner = 1;
  for (int d = 0; d < dim; d++) *outer *= shape[d];
  *size = shape[dim];
  for (int d = dim + 1; d < ndim; d++) *inner *= shape[d];
}

/* permute: offset in x of output element o (output dim d is input dim i[d]). */
static int64_t permute_offset(const glia__args *a, int64_t o) {
  int64_t in_stride[GLIA__MAX_DIMS] = {0}, off = 0, s = 1;
  for (int d = a->ndim[0] - 1; d >= 0; d--) {
    in_stride[d] = s;
    s *= a->shape[0][d];
  }
  for (int d = a->out_ndim - 1; d >= 0; d--) {
    off += (o % a->out_shape[d]) * in_stride[a->i[d]];
    o /= a->out_shape[d];
  }
  return off;
}

/* Kinds of unary elementwise op (ref_elem.h). */
enum { U_RELU, U_LEAKY, U_GELU, U_GELU_TANH, U_SILU, U_SIGMOID, U_TANH, U_SCALE };

#define PAR_MIN 32768 /* elementwise loops below this size stay serial */

#define REAL float
#define SFX(n) glia__##n##_f
#define RF(c) c##f
#include "nn/ref_linear.h"
#include "nn/ref_elem.h"
#include "nn/ref_norm.h"
#include "nn/ref_pool.h"
#include "nn/ref_loss.h"
#include "nn/ref_shape.h"
#include "nn/ref_attn.h"
#undef REAL
#undef SFX
#undef RF

#define REAL double
#define SFX(n) glia__##n##_d
#define RF(c) c
#include "nn/ref_linear.h"
#include "nn/ref_elem.h"
#include "nn/ref_norm.h"
#include "nn/ref_pool.h"
#include "nn/ref_loss.h"
#include "nn/ref_shape.h"
#include "nn/ref_attn.h"
#undef REAL
#undef SFX
#undef RF
