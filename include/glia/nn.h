/* glia deep-learning engine: tensors, parameter slab, per-step arena, eager tape autodiff and
 * the differentiable ops (reference kernels plus oneDNN fast paths). */
#ifndef GLIA_NN_H
#define GLIA_NN_H

#include <stddef.h>
#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GLIA_TENSOR_MAX_DIMS 6

/* A float32 tensor in PyTorch order (N, C, H, W), row-major. Tensors made by ops are
 * contiguous (stride[i] = product of shape[i+1..]). `grad` is the gradient of the loss with
 * respect to this tensor after glia_nn_backward (NULL until then, or when not needed). */
typedef struct glia_tensor {
  int ndim;
  int64_t shape[GLIA_TENSOR_MAX_DIMS];
  int64_t stride[GLIA_TENSOR_MAX_DIMS]; /* in elements */
  float *data;
  float *grad;
  int requires_grad; /* gradients flow to this tensor */
  int owned;         /* internal: 1 when glia_tensor_free releases data and grad */
} glia_tensor;

/* Number of elements (product of the shape; 1 for ndim 0). */
GLIA_API int64_t glia_tensor_numel(const glia_tensor *t);

/* A new zero-filled tensor that owns its data; shape has ndim (0..6) positive entries.
 * Caller frees with glia_tensor_free. Errors: GLIA_ERR_ARGUMENT (bad shape), NOMEM. */
GLIA_API glia_status glia_tensor_new(int ndim, const int64_t *shape, glia_tensor **out);

/* Frees a tensor made by glia_tensor_new (NULL is fine). Arena tensors are not freed. */
GLIA_API void glia_tensor_free(glia_tensor *t);

/* Formats a shape as "2, 3, 5" into buf (always NUL-terminated); returns buf. */
GLIA_API char *glia_shape_str(int ndim, const int64_t *shape, char *buf, size_t size);

/* IEEE half and bfloat16 to float32 (exact; NaN and infinities kept). */
GLIA_API float glia_f16_to_f32(uint16_t h);
GLIA_API float glia_bf16_to_f32(uint16_t b);
/* float32 to IEEE half / bfloat16, rounding to nearest even. */
GLIA_API uint16_t glia_f32_to_f16(float f);
GLIA_API uint16_t glia_f32_to_bf16(float f);

/* ---- Parameter slab: named weights and buffers keyed by PyTorch state_dict names. ---- */
typedef struct glia_params glia_params;

/* A new empty parameter table. Caller frees with glia_params_free. */
GLIA_API glia_status glia_params_new(glia_params **out);
GLIA_API void glia_params_free(glia_params *p);

/* Declares a tensor named `name` (copied) with the given shape. trainable = 1 for weights that
 * receive gradients (and a slot in the gradient slab), 0 for buffers (running statistics).
 * The returned tensor is owned by the table; its data and grad pointers become valid only
 * after glia_params_finalize. Errors: ARGUMENT (duplicate name, bad shape, already
 * finalized), NOMEM. */
GLIA_API glia_status glia_params_add(glia_params *p, const char *name, int ndim,
                                     const int64_t *shape, int trainable, glia_tensor **out);

/* Allocates one contiguous, zeroed slab for all values and one for all gradients. */
GLIA_API glia_status glia_params_finalize(glia_params *p);

/* Number of tensors; the i-th tensor and its name (NULL when out of range). */
GLIA_API size_t glia_params_count(const glia_params *p);
GLIA_API glia_tensor *glia_params_at(const glia_params *p, size_t i, const char **name,
                                     int *trainable);
/* The tensor named `name`, or NULL. */
GLIA_API glia_tensor *glia_params_find(const glia_params *p, const char *name);

/* Zeroes every gradient. */
GLIA_API void glia_params_zero_grad(glia_params *p);

/* The value slab (all tensors, in declaration order) and the gradient slab (trainable
 * tensors only, same order); sizes in floats. Valid after finalize. */
GLIA_API float *glia_params_values(const glia_params *p, size_t *count);
GLIA_API float *glia_params_grads(const glia_params *p, size_t *count);

/* ---- Execution context: arena, tape, mode, random stream. ---- */
typedef struct glia_nn glia_nn;

/* A new context in training mode with gradient recording on, seeded with 0. Fast paths are on
 * unless the environment sets GLIA_REFERENCE=1. Caller frees with glia_nn_free. */
GLIA_API glia_status glia_nn_new(glia_nn **out);
GLIA_API void glia_nn_free(glia_nn *nn);

/* Training mode (1: batch norm uses batch statistics and updates running ones, dropout drops)
 * or evaluation mode (0). */
GLIA_API void glia_nn_set_training(glia_nn *nn, int training);
GLIA_API int glia_nn_training(const glia_nn *nn);

/* Gradient recording: with 0 (inference mode) ops record nothing on the tape. */
GLIA_API void glia_nn_set_grad(glia_nn *nn, int enabled);
GLIA_API int glia_nn_grad(const glia_nn *nn);

/* Forces the plain C reference kernels (1) or lets ops use fast paths (0). */
GLIA_API void glia_nn_set_reference(glia_nn *nn, int reference);
GLIA_API int glia_nn_reference(const glia_nn *nn);

/* Seeds the context's random stream (dropout masks, initialisation). */
GLIA_API void glia_nn_seed(glia_nn *nn, uint64_t seed);
/* The random stream's state (4 words), to save in checkpoints and restore. */
GLIA_API void glia_nn_rng_state(const glia_nn *nn, uint64_t state[4]);
GLIA_API void glia_nn_set_rng_state(glia_nn *nn, const uint64_t state[4]);
/* Next uniform float in [0, 1) from the context's stream. */
GLIA_API float glia_nn_uniform(glia_nn *nn);
/* Next standard normal deviate (core's glia_rng_normal). */
GLIA_API float glia_nn_normal(glia_nn *nn);

/* Ends a step: drops the tape and every arena tensor (their pointers become invalid).
 * Parameters and owned tensors are untouched. */
GLIA_API void glia_nn_reset(glia_nn *nn);

/* Bytes the arena and its buffer pool hold (their high-water mark, for memory reports); after
 * the first steps of a repeated computation it no longer grows. */
GLIA_API size_t glia_nn_arena_bytes(const glia_nn *nn);

/* Memory saving (default on; GLIA_NN_KEEP_ALL=1 in the environment turns it off): arena
 * tensors the caller gave up are freed as soon as no recorded backward reads them, and the
 * gradient of an op output is freed (set to NULL) once the op's backward has used it; only
 * leaf gradients (inputs, parameters) remain after glia_nn_backward. Off: everything lives
 * until glia_nn_reset. Results are the same bits either way. */
GLIA_API void glia_nn_set_memory_saving(glia_nn *nn, int enabled);
GLIA_API int glia_nn_memory_saving(const glia_nn *nn);

/* The caller will not read arena tensor t again (its pointer stays valid until
 * glia_nn_reset, its data may become NULL): its data is freed now or, when a recorded
 * backward reads it, after that backward. Other tensors and NULL: nothing. */
GLIA_API void glia_nn_release(glia_nn *nn, glia_tensor *t);

/* Inference-time memory reuse: glia_nn_keep releases every arena tensor made after `mark`
 * except *t (which stays where it is). Use it at the end of a block whose inputs and
 * intermediates are dead. Only while nothing is recorded (inference mode). */
typedef struct glia_nn_mark {
  size_t tensors; /* arena tensors made before the mark */
} glia_nn_mark;
GLIA_API glia_nn_mark glia_nn_get_mark(const glia_nn *nn);
GLIA_API glia_status glia_nn_keep(glia_nn *nn, glia_nn_mark mark, glia_tensor **t);

/* The caller gives up the first input of the next op call (glia_nn_release after it). The op
 * may also write its output over that input when it can (batch norm, elementwise
 * activations, scale, add), the input is an arena tensor of the output's size, and, while
 * recording, no backward reads it (relu's reads its output, add's nothing; batch norm's its
 * input). Applies to one op call. */
GLIA_API void glia_nn_reuse_input(glia_nn *nn);

/* A new zeroed tensor in the context's arena (valid until glia_nn_reset). */
GLIA_API glia_status glia_nn_tensor(glia_nn *nn, int ndim, const int64_t *shape, glia_tensor **out);

/* Back-propagates from `loss` (one element) through the tape, accumulating gradients into
 * every tensor that requires them (parameters' gradients accumulate across calls until
 * glia_params_zero_grad). Errors: ARGUMENT (loss not a scalar, nothing recorded). */
GLIA_API glia_status glia_nn_backward(glia_nn *nn, glia_tensor *loss);

/* ---- Ops. Each returns GLIA_OK and a new arena tensor in *out, or an error naming the op and
 * the bad shape. Inputs may be parameters, owned tensors or arena tensors. ---- */

typedef struct glia_conv2d_opts {
  int stride[2], padding[2], dilation[2]; /* (h, w) */
  int groups;                             /* groups == in channels: depthwise */
  int relu; /* 1: a ReLU on the output, fused into the convolution (F.relu(F.conv2d(...))) */
} glia_conv2d_opts;
#define GLIA_CONV2D_DEFAULTS                                                                       \
  { {1, 1}, {0, 0}, {1, 1}, 1, 0 }

/* 2-D cross-correlation as torch.nn.functional.conv2d: x [N, C, H, W], w [O, C/groups, kh,
 * kw], bias [O] or NULL. */
GLIA_API glia_status glia_conv2d(glia_nn *nn, glia_tensor *x, glia_tensor *w, glia_tensor *bias,
                                 const glia_conv2d_opts *o, glia_tensor **out);

/* y = x wᵀ + b as torch's linear: x [..., in], w [out, in], bias [out] or NULL. */
GLIA_API glia_status glia_linear(glia_nn *nn, glia_tensor *x, glia_tensor *w, glia_tensor *bias,
                                 glia_tensor **out);

/* Batched matrix product a [..., M, K] × b [..., K, N] (same leading dims, or b 2-D). */
GLIA_API glia_status glia_matmul(glia_nn *nn, glia_tensor *a, glia_tensor *b, glia_tensor **out);

/* Elementwise a + b and a · b with PyTorch broadcasting. */
GLIA_API glia_status glia_add(glia_nn *nn, glia_tensor *a, glia_tensor *b, glia_tensor **out);
GLIA_API glia_status glia_mul(glia_nn *nn, glia_tensor *a, glia_tensor *b, glia_tensor **out);
/* y = s · x. */
GLIA_API glia_status glia_scale(glia_nn *nn, glia_tensor *x, float s, glia_tensor **out);

/* Batch norm over dim 1 of x [N, C, ...] as torch.nn.functional.batch_norm. In training mode
 * it normalises with the batch statistics and updates running_mean/running_var (unbiased
 * variance) with `momentum`; in evaluation mode it uses the running statistics. weight and
 * bias [C] (may be NULL: 1 and 0), running_mean and running_var [C]. */
GLIA_API glia_status glia_batch_norm(glia_nn *nn, glia_tensor *x, glia_tensor *weight,
                                     glia_tensor *bias, glia_tensor *running_mean,
                                     glia_tensor *running_var, float momentum, float eps,
                                     glia_tensor **out);

/* relu(batch_norm(...)) in one pass and one buffer (the fusion of conv-BN-ReLU blocks). */
GLIA_API glia_status glia_batch_norm_relu(glia_nn *nn, glia_tensor *x, glia_tensor *weight,
                                          glia_tensor *bias, glia_tensor *running_mean,
                                          glia_tensor *running_var, float momentum, float eps,
                                          glia_tensor **out);

/* Activations. glia_gelu: approximate = 0 exact (erf), 1 tanh. */
GLIA_API glia_status glia_relu(glia_nn *nn, glia_tensor *x, glia_tensor **out);
GLIA_API glia_status glia_leaky_relu(glia_nn *nn, glia_tensor *x, float slope, glia_tensor **out);
GLIA_API glia_status glia_gelu(glia_nn *nn, glia_tensor *x, int approximate, glia_tensor **out);
GLIA_API glia_status glia_silu(glia_nn *nn, glia_tensor *x, glia_tensor **out);
GLIA_API glia_status glia_sigmoid(glia_nn *nn, glia_tensor *x, glia_tensor **out);
GLIA_API glia_status glia_tanh(glia_nn *nn, glia_tensor *x, glia_tensor **out);
/* softmax and log-softmax along dim (negative counts from the end). */
GLIA_API glia_status glia_softmax(glia_nn *nn, glia_tensor *x, int dim, glia_tensor **out);
GLIA_API glia_status glia_log_softmax(glia_nn *nn, glia_tensor *x, int dim, glia_tensor **out);

/* Pooling over x [N, C, H, W]. max_pool2d pads with -inf; avg_pool2d counts the padding
 * (count_include_pad = True, PyTorch's default). adaptive_avg_pool2d splits H and W as torch
 * (start = floor(i·H/oh), end = ceil((i+1)·H/oh)); (1, 1) is global average pooling. */
GLIA_API glia_status glia_max_pool2d(glia_nn *nn, glia_tensor *x, int kernel, int stride,
                                     int padding, glia_tensor **out);
GLIA_API glia_status glia_avg_pool2d(glia_nn *nn, glia_tensor *x, int kernel, int stride,
                                     int padding, glia_tensor **out);
GLIA_API glia_status glia_adaptive_avg_pool2d(glia_nn *nn, glia_tensor *x, int out_h, int out_w,
                                              glia_tensor **out);

/* Same data, new shape (one entry may be -1). flatten keeps dims before start_dim. */
GLIA_API glia_status glia_reshape(glia_nn *nn, glia_tensor *x, int ndim, const int64_t *shape,
                                  glia_tensor **out);
GLIA_API glia_status glia_flatten(glia_nn *nn, glia_tensor *x, int start_dim, glia_tensor **out);

/* Dropout with probability p in training mode (kept values scaled by 1/(1-p)); identity in
 * evaluation mode. */
GLIA_API glia_status glia_dropout(glia_nn *nn, glia_tensor *x, float p, glia_tensor **out);

/* Losses (mean reduction, scalar output). cross_entropy: logits [N, C], target [N] holding
 * class indices as floats, class_weight [C] or NULL, label_smoothing in [0, 1), exactly as
 * torch.nn.functional.cross_entropy. bce_with_logits: target of x's shape, pos_weight
 * broadcast along the last dim or NULL. */
GLIA_API glia_status glia_cross_entropy(glia_nn *nn, glia_tensor *logits, glia_tensor *target,
                                        glia_tensor *class_weight, float label_smoothing,
                                        glia_tensor **out);
GLIA_API glia_status glia_bce_with_logits(glia_nn *nn, glia_tensor *x, glia_tensor *target,
                                          glia_tensor *pos_weight, glia_tensor **out);
GLIA_API glia_status glia_mse_loss(glia_nn *nn, glia_tensor *x, glia_tensor *target,
                                   glia_tensor **out);
GLIA_API glia_status glia_l1_loss(glia_nn *nn, glia_tensor *x, glia_tensor *target,
                                  glia_tensor **out);

/* Transposed 2-D convolution as torch's conv_transpose2d: x [N, C, H, W], w [C, O/groups, kh,
 * kw], bias [O] or NULL. */
typedef struct glia_conv_transpose2d_opts {
  int stride[2], padding[2], output_padding[2], dilation[2]; /* (h, w) */
  int groups;
} glia_conv_transpose2d_opts;
#define GLIA_CONV_TRANSPOSE2D_DEFAULTS                                                             \
  { {1, 1}, {0, 0}, {0, 0}, {1, 1}, 1 }
GLIA_API glia_status glia_conv_transpose2d(glia_nn *nn, glia_tensor *x, glia_tensor *w,
                                           glia_tensor *bias, const glia_conv_transpose2d_opts *o,
                                           glia_tensor **out);

/* Layer norm (biased variance, eps inside the root). Channels-last (channels_first = 0):
 * over the last normalized_dims dims, as torch's layer_norm; channels-first (1): over dim 1 of
 * [N, C, ...] at each position (ConvNeXt's LayerNorm2d). weight/bias cover the normalized
 * elements or are NULL. */
GLIA_API glia_status glia_layer_norm(glia_nn *nn, glia_tensor *x, glia_tensor *weight,
                                     glia_tensor *bias, int normalized_dims, int channels_first,
                                     float eps, glia_tensor **out);
/* Group norm as torch's group_norm: x [N, C, ...], C divisible by groups, weight/bias [C] or
 * NULL. */
GLIA_API glia_status glia_group_norm(glia_nn *nn, glia_tensor *x, int groups, glia_tensor *weight,
                                     glia_tensor *bias, float eps, glia_tensor **out);

/* Concatenation of 2 to 5 tensors along dim. */
GLIA_API glia_status glia_concat(glia_nn *nn, glia_tensor *const *xs, int n, int dim,
                                 glia_tensor **out);
/* x[..., start:end:step, ...] along dim (negative start/end count from the end). */
GLIA_API glia_status glia_slice(glia_nn *nn, glia_tensor *x, int dim, int64_t start, int64_t end,
                                int64_t step, glia_tensor **out);
/* Dims reordered: output dim d is input dim perm[d] (a copy). */
GLIA_API glia_status glia_permute(glia_nn *nn, glia_tensor *x, const int *perm, glia_tensor **out);
/* Constant padding of the last two dims (F.pad(x, (left, right, top, bottom), value=value)). */
GLIA_API glia_status glia_pad2d(glia_nn *nn, glia_tensor *x, int left, int right, int top,
                                int bottom, float value, glia_tensor **out);
/* Resizing x [N, C, H, W] to out_h × out_w as torch's interpolate: mode "nearest", and
 * "bilinear" with either align_corners. */
GLIA_API glia_status glia_upsample_nearest2d(glia_nn *nn, glia_tensor *x, int out_h, int out_w,
                                             glia_tensor **out);
GLIA_API glia_status glia_upsample_bilinear2d(glia_nn *nn, glia_tensor *x, int out_h, int out_w,
                                              int align_corners, glia_tensor **out);

/* Scaled dot-product attention softmax(q kᵀ · scale + bias) v over q [..., L, D],
 * k [..., S, D], v [..., S, E] (leading dims: batch, heads), bias broadcastable to [..., L, S]
 * or NULL (masks: large negative values; relative positions); scale 0 means 1/sqrt(D). */
GLIA_API glia_status glia_attention(glia_nn *nn, glia_tensor *q, glia_tensor *k, glia_tensor *v,
                                    glia_tensor *bias, float scale, glia_tensor **out);

/* Soft Dice loss of probabilities (e.g. sigmoid outputs) against a target of the same shape
 * [N, ...]: 1 - mean over samples of (2 Σ p·t + smooth) / (Σ p + Σ t + smooth). */
GLIA_API glia_status glia_dice_loss(glia_nn *nn, glia_tensor *probs, glia_tensor *target,
                                    float smooth, glia_tensor **out);

/* Stochastic depth (Huang et al. 2016), torchvision's "row" mode: in training, each sample of
 * x [N, ...] is zeroed with probability p and the others scaled by 1/(1-p); identity in
 * evaluation mode. */
GLIA_API glia_status glia_stochastic_depth(glia_nn *nn, glia_tensor *x, float p, glia_tensor **out);

/* Squeeze-and-excitation (Hu et al. 2018) as torchvision.ops.SqueezeExcitation:
 * x · sigmoid(fc2(act(fc1(avgpool(x))))) with fc1 [S, C, 1, 1] + bias [S], fc2 [C, S, 1, 1] +
 * bias [C]; act: 0 ReLU, 1 SiLU. */
GLIA_API glia_status glia_squeeze_excitation(glia_nn *nn, glia_tensor *x, glia_tensor *fc1_w,
                                             glia_tensor *fc1_b, glia_tensor *fc2_w,
                                             glia_tensor *fc2_b, int act, glia_tensor **out);

/* Name of the op table's i-th op and the number of ops (for --help and tests). */
GLIA_API int glia_nn_op_count(void);
GLIA_API const char *glia_nn_op_name(int i);

#ifdef __cplusplus
}
#endif
#endif
