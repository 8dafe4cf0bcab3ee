/* Optimizers as torch.optim 1.13 defines them (SGD: Sutskever et al. 2013 momentum form;
 * Adam: Kingma and Ba 2015; AdamW: Loshchilov and Hutter 2019), over the parameter slab. */
#include <math.h>
#include <string.h>

#include "glia/optim.h"
#include "nn/internal.h"

typedef struct segment {
  float *value, *grad;
  size_t n;
  int decay;
} segment;

struct glia_optim {
  glia_optim_opts o;
  segment *seg;
  size_t n_seg, n_grad;
  float *state; /* SGD: momentum [n_grad]; Adam: m [n_grad] then v [n_grad] */
  size_t n_state;
  int64_t steps;
};

static glia_status check_opts(const glia_optim_opts *o) {
  if (o->kind < GLIA_OPTIM_SGD || o->kind > GLIA_OPTIM_ADAMW)
    return glia_error(GLIA_ERR_ARGUMENT, "optim: unknown kind %d", (int)o->kind);
  if (!(o->lr > 0))
    return glia_error(GLIA_ERR_ARGUMENT, "optim: lr %g, expected > 0", (double)o->lr);
  if (!(o->weight_decay >= 0))
    return glia_error(GLIA_ERR_ARGUMENT, "optim: weight_decay %g, expected >= 0",
                      (double)o->weight_decay);
  if (!(o->momentum >= 0 && o->momentum < 1))
    return glia_error(GLIA_ERR_ARGUMENT, "optim: momentum %g, expected in [0, 1)",
                      (double)o->momentum);
  if (o->nesterov && (o->momentum <= 0 || o->dampening != 0))
    return glia_error(GLIA_ERR_ARGUMENT, "optim: Nesterov needs momentum > 0 and dampening 0");
  if (!(o->beta1 >= 0 && o->beta1 < 1 && o->beta2 >= 0 && o->beta2 < 1 && o->eps > 0))
    return glia_error(GLIA_ERR_ARGUMENT, "optim: betas must be in [0, 1) and eps > 0");
  return GLIA_OK;
}

glia_status glia_optim_new(glia_params *p, const glia_optim_opts *o, glia_optim **out) {
  *out = NULL;
  glia_status st = check_opts(o);
  if (st) return st;
  glia_optim *opt = glia_calloc(1, sizeof *opt);
  size_t n = glia_params_count(p);
  if (!opt || !(opt->seg = glia_calloc(n ? n : 1, sizeof *opt->seg))) {
    glia_free(opt);
    return glia_error(GLIA_ERR_NOMEM, "optim: out of memory");
  }
  opt->o = *o;
  for (size_t i = 0; i < n; i++) {
    int trainable;
    glia_tensor *t = glia_params_at(p, i, NULL, &trainable);
    if (!trainable) continue;
    if (!t->data || !t->grad) {
      glia_optim_free(opt);
      return glia_error(GLIA_ERR_ARGUMENT, "optim: parameters are not finalized");
    }
    segment *s = &opt->seg[opt->n_seg++];
    s->value = t->data;
    s->grad = t->grad;
    s->n = (size_t)glia_tensor_numel(t);
    s->decay = o->decay_1d || t->ndim > 1;
    opt->n_grad += s->n;
  }
  opt->n_state = (o->kind == GLIA_OPTIM_SGD ? (o->momentum > 0) : 2) * opt->n_grad;
  opt->state = glia_calloc(opt->n_state ? opt->n_state : 1, sizeof(float));
  if (!opt->state) {
    glia_optim_free(opt);
    return glia_error(GLIA_ERR_NOMEM, "optim: out of memory for %zu state floats", opt->n_state);
  }
  *out = opt;
  return GLIA_OK;
}

void glia_optim_free(glia_optim *opt) {
  if (!opt) return;
  glia_free(opt->seg);
  glia_free(opt->state);
  glia_free(opt);
}

static void sgd_segment(const glia_optim *opt, const segment *s, float *buf, float lr) {
  const glia_optim_opts *o = &opt->o;
  const float wd = s->decay ? o->weight_decay : 0.0f, mom = o->momentum;
  const int first = opt->steps == 0;
#pragma omp parallel for if (s->n > 65536) schedule(static)
  for (size_t i = 0; i < s->n; i++) {
    float d = s->grad[i];
    if (wd != 0) d += wd * s->value[i];
    if (mom > 0 && buf) { /* buf (the momentum) exists whenever mom > 0 */
      buf[i] = first ? d : mom * buf[i] + (1 - o->dampening) * d;
      d = o->nesterov ? d + mom * buf[i] : buf[i];
    }
    s->value[i] -= lr * d;
  }
}

static void adam_segment(const glia_optim *opt, const segment *s, float *m, float *v, float lr) {
  const glia_optim_opts *o = &opt->o;
  const float wd = s->decay ? o->weight_decay : 0.0f, b1 = o->beta1, b2 = o->beta2;
  const double t = (double)(opt->steps + 1);
  const float bc1 = (float)(1 - pow(b1, t)), bc2_sqrt = (float)sqrt(1 - pow(b2, t));
  const float step_size = lr / bc1;
  const int adamw = o->kind == GLIA_OPTIM_ADAMW;
#pragma omp parallel for if (s->n > 65536) schedule(static)
  for (size_t i = 0; i < s->n; i++) {
    float g = s->grad[i];
    if (adamw)
      s->value[i] *= 1 - lr * wd;
    else if (wd != 0)
      g += wd * s->value[i];
    m[i] = m[i] * b1 + (1 - b1) * g; /* torch: lerp_(grad, 1 - beta1) */
    v[i] = v[i] * b2 + (1 - b2) * g * g;
    float denom = sqrtf(v[i]) / bc2_sqrt + o->eps;
    s->value[i] -= step_size * (m[i] / denom);
  }
}

void glia_optim_step(glia_optim *opt, float lr) {
  if (!(lr > 0)) lr = opt->o.lr;
  size_t off = 0;
  for (size_t k = 0; k < opt->n_seg; k++) {
    const segment *s = &opt->seg[k];
    if (opt->o.kind == GLIA_OPTIM_SGD)
      sgd_segment(opt, s, opt->n_state ? opt->state + off : NULL, lr);
    else
      adam_segment(opt, s, opt->state + off, opt->state + opt->n_grad + off, lr);
    off += s->n;
  }
  opt->steps++;
}

int64_t glia_optim_steps(const glia_optim *opt) { return opt->steps; }

float *glia_optim_state(glia_optim *opt, size_t *count) {
  if (count) *count = opt->n_state;
  return opt->state;
}

void glia_optim_set_steps(glia_optim *opt, int64_t steps) { opt->steps = steps; }

double glia_clip_grad_norm(glia_params *p, double max_norm) {
  size_t n;
  float *g = glia_params_grads(p, &n);
  double ss = 0;
  for (size_t i = 0; i < n; i++) ss += (double)g[i] * g[i];
  double norm = sqrt(ss), coef = max_norm / (norm + 1e-6);
  if (coef < 1)
    for (size_t i = 0; i < n; i++) g[i] = (float)(g[i] * coef);
  return norm;
}

static double schedule(const glia_lr_opts *o, int64_t step) {
  const double pi = 3.14159265358979323846;
  switch (o->kind) {
  case GLIA_LR_STEP: {
    const int64_t decays = step / (o->step_size > 0 ? o->step_size : 1); /* floor, as PyTorch */
    return o->lr * pow(o->gamma, (double)decays);
  }
  case GLIA_LR_COSINE: {
    int64_t T = o->total_steps > 0 ? o->total_steps : 1;
    return o->eta_min + (o->lr - o->eta_min) * (1 + cos(pi * (double)step / (double)T)) / 2;
  }
  case GLIA_LR_ONE_CYCLE: {
    double initial = o->lr / o->div_factor, min_lr = initial / o->final_div_factor;
    double end0 = o->pct_start * (double)o->total_steps - 1, end1 = (double)o->total_steps - 1;
    double start, end, pct;
    if ((double)step <= end0) {
      start = initial;
      end = o->lr;
      pct = (double)step / end0;
    } else {
      start = o->lr;
      end = min_lr;
      pct = ((double)step - end0) / (end1 - end0);
    }
    return end + (start - end) / 2 * (cos(pi * pct) + 1);
  }
  default: return o->lr;
  }
}

double glia_lr_at(const glia_lr_opts *o, int64_t step) {
  if (step < 0) step = 0;
  if (o->warmup > 0 && step < o->warmup)
    return schedule(o, 0) * (double)(step + 1) / (double)o->warmup;
  return schedule(o, o->warmup > 0 ? step - o->warmup : step);
}

void glia_ema_update(float *ema, const glia_params *p, float decay) {
  size_t n;
  const float *v = glia_params_values(p, &n);
#pragma omp parallel for if (n > 65536) schedule(static)
  for (size_t i = 0; i < n; i++) ema[i] = decay * ema[i] + (1 - decay) * v[i];
}
