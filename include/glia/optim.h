/* glia optimizers over a parameter slab: SGD (momentum, Nesterov), Adam, AdamW with
 * weight-decay exclusions, gradient clipping, learning-rate schedules and an EMA of weights.
 * Update rules follow torch.optim 1.13 exactly (same order of operations). */
#ifndef GLIA_OPTIM_H
#define GLIA_OPTIM_H

#include <stdint.h>

#include "glia/core.h"
#include "glia/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum glia_optim_kind {
  GLIA_OPTIM_SGD = 0,   /* torch.optim.SGD (weight decay as L2 added to the gradient) */
  GLIA_OPTIM_ADAM = 1,  /* torch.optim.Adam (L2 weight decay) */
  GLIA_OPTIM_ADAMW = 2, /* torch.optim.AdamW (decoupled weight decay) */
} glia_optim_kind;

typedef struct glia_optim_opts {
  glia_optim_kind kind;
  float lr;           /* learning rate (> 0); glia_optim_step may override it per step */
  float momentum;     /* SGD momentum in [0, 1) */
  float dampening;    /* SGD dampening */
  int nesterov;       /* SGD Nesterov momentum (needs momentum > 0, dampening 0) */
  float weight_decay; /* >= 0 */
  int decay_1d;       /* 0: tensors of ≤ 1 dimension (biases, norm weights) get no decay */
  float beta1, beta2; /* Adam moments in [0, 1) */
  float eps;          /* Adam denominator term (> 0) */
} glia_optim_opts;
#define GLIA_OPTIM_DEFAULTS                                                                        \
  { GLIA_OPTIM_ADAMW, 1e-3f, 0.0f, 0.0f, 0, 1e-2f, 0, 0.9f, 0.999f, 1e-8f }

typedef struct glia_optim glia_optim;

/* A new optimizer for the trainable tensors of `p` (finalized). Caller frees with
 * glia_optim_free; `p` must outlive it. Errors: ARGUMENT (bad option, naming it), NOMEM. */
GLIA_API glia_status glia_optim_new(glia_params *p, const glia_optim_opts *o, glia_optim **out);
GLIA_API void glia_optim_free(glia_optim *opt);

/* One update from the gradients in the slab, with learning rate lr (lr <= 0: the option's).
 * Deterministic: the same state and gradients give the same bits for any thread count. */
GLIA_API void glia_optim_step(glia_optim *opt, float lr);

/* Optimizer state for checkpoints: number of steps taken, and the state slab (momentum
 * buffers, or Adam's first then second moments), `count` floats, owned by the optimizer.
 * glia_optim_set_steps restores the step count after the slab was overwritten. */
GLIA_API int64_t glia_optim_steps(const glia_optim *opt);
GLIA_API float *glia_optim_state(glia_optim *opt, size_t *count);
GLIA_API void glia_optim_set_steps(glia_optim *opt, int64_t steps);

/* Scales all gradients so that their global L2 norm is at most max_norm, as
 * torch.nn.utils.clip_grad_norm_ (coefficient max_norm / (norm + 1e-6), capped at 1).
 * Returns the norm before clipping. */
GLIA_API double glia_clip_grad_norm(glia_params *p, double max_norm);

typedef enum glia_lr_kind {
  GLIA_LR_CONSTANT = 0,
  GLIA_LR_STEP = 1,   /* lr · gamma^(floor(step / step_size)) (torch StepLR) */
  GLIA_LR_COSINE = 2, /* eta_min + (lr - eta_min)(1 + cos(π step / total))/2 (CosineAnnealingLR) */
  GLIA_LR_ONE_CYCLE = 3, /* torch OneCycleLR, cosine annealing, three phases off */
} glia_lr_kind;

typedef struct glia_lr_opts {
  glia_lr_kind kind;
  double lr;           /* base (or, for one-cycle, maximum) learning rate */
  int64_t total_steps; /* cosine: T_max; one-cycle: total_steps */
  int64_t step_size;   /* step: period */
  double gamma;        /* step: factor */
  double eta_min;      /* cosine: floor */
  int64_t warmup;      /* linear warm-up steps from lr/warmup to lr before the schedule (0: none) */
  double pct_start, div_factor, final_div_factor; /* one-cycle */
} glia_lr_opts;
#define GLIA_LR_DEFAULTS                                                                           \
  { GLIA_LR_CONSTANT, 1e-3, 1, 1, 0.1, 0.0, 0, 0.3, 25.0, 1e4 }

/* Learning rate at 0-based step `step`. */
GLIA_API double glia_lr_at(const glia_lr_opts *o, int64_t step);

/* Exponential moving average of all values (weights and buffers): ema = decay·ema +
 * (1-decay)·value; `ema` holds glia_params_values' count floats. */
GLIA_API void glia_ema_update(float *ema, const glia_params *p, float decay);

#ifdef __cplusplus
}
#endif
#endif
