/* Layers built from table ops (their gradients come from the ops'): stochastic depth and
 * squeeze-and-excitation. */
#include "nn/internal.h"

glia_status glia_stochastic_depth(glia_nn *nn, glia_tensor *x, float p, glia_tensor **out) {
  if (!(p >= 0 && p < 1))
    return glia_error(GLIA_ERR_ARGUMENT, "stochastic_depth: p = %g, expected 0 <= p < 1",
                      (double)p);
  if (!glia__training(nn) || p == 0 || x->ndim < 1) return glia_scale(nn, x, 1.0f, out);
  int64_t shape[GLIA_TENSOR_MAX_DIMS];
  shape[0] = x->shape[0];
  for (int d = 1; d < x->ndim; d++) shape[d] = 1;
  glia_tensor *mask;
  glia_status s = glia_nn_tensor(nn, x->ndim, shape, &mask);
  if (s) return s;
  for (int64_t n = 0; n < x->shape[0]; n++)
    mask->data[n] = glia_nn_uniform(nn) < p ? 0.0f : 1.0f / (1.0f - p);
  return glia_mul(nn, x, mask, out);
}

glia_status glia_squeeze_excitation(glia_nn *nn, glia_tensor *x, glia_tensor *fc1_w,
                                    glia_tensor *fc1_b, glia_tensor *fc2_w, glia_tensor *fc2_b,
                                    int act, glia_tensor **out) {
  glia_tensor *s;
  glia_status st = glia_adaptive_avg_pool2d(nn, x, 1, 1, &s);
  if (!st) st = glia_conv2d(nn, s, fc1_w, fc1_b, NULL, &s);
  if (!st) st = act ? glia_silu(nn, s, &s) : glia_relu(nn, s, &s);
  if (!st) st = glia_conv2d(nn, s, fc2_w, fc2_b, NULL, &s);
  if (!st) st = glia_sigmoid(nn, s, &s);
  if (!st) st = glia_mul(nn, x, s, out);
  return st;
}
