/* REAL-generic reference kernels: losses with mean reduction (included twice by ref.c). */

/* cross_entropy: logits [N, C], target [N] (class indices), class weights [C] or absent;
 * f[0] = label smoothing ε. As torch 1.13: loss = [(1-ε) Σ_i w_yi·(-log p_i,yi)
 * + ε/C Σ_i Σ_c w_c·(-log p_ic)] / Σ_i w_yi. aux = log p [N·C], Σ_i w_yi. */
static double SFX(ce_weight)(const glia__args *a, const REAL *const *x, int64_t c) {
  return a->n_in > 2 && a->ndim[2] > 0 ? (double)x[2][c] : 1.0;
}

void SFX(cross_entropy_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1];
  const double eps = a->f[0];
  double total = 0, wsum = 0;
  for (int64_t n = 0; n < N; n++) {
    const REAL *xs = x[0] + n * C;
    REAL mx = xs[0];
    for (int64_t c = 1; c < C; c++) mx = xs[c] > mx ? xs[c] : mx;
    double s = exp((double)(xs[0] - mx)); /* C >= 1: the same sum as from 0 */
    for (int64_t c = 1; c < C; c++) s += exp((double)(xs[c] - mx));
    double ls = log(s), smooth = 0;
    for (int64_t c = 0; c < C; c++) {
      double lp = (double)(xs[c] - mx) - ls;
      aux[n * C + c] = (REAL)lp;
      smooth -= SFX(ce_weight)(a, x, c) * lp;
    }
    int64_t t = (int64_t)x[1][n];
    double wt = SFX(ce_weight)(a, x, t);
    wsum += wt;
    total += (1 - eps) * wt * -(double)aux[n * C + t] + eps / (double)C * smooth;
  }
  aux[N * C] = (REAL)wsum;
  y[0] = (REAL)(total / wsum);
}

void SFX(cross_entropy_bwd)(const glia__args *a, const REAL *const *x, const REAL *y,
                            const REAL *aux, const REAL *dy, REAL *const *dx) {
  (void)y;
  const int64_t N = a->shape[0][0], C = a->shape[0][1];
  const double eps = a->f[0], scale = (double)dy[0] / (double)aux[N * C];
  if (!dx[0]) return;
  for (int64_t n = 0; n < N; n++) {
    int64_t t = (int64_t)x[1][n];
    double gsum = 0;
    for (int64_t c = 0; c < C; c++)
      gsum += (1 - eps) * (c == t ? SFX(ce_weight)(a, x, t) : 0) +
              eps / (double)C * SFX(ce_weight)(a, x, c);
    for (int64_t c = 0; c < C; c++) {
      double g = (1 - eps) * (c == t ? SFX(ce_weight)(a, x, t) : 0) +
                 eps / (double)C * SFX(ce_weight)(a, x, c);
      double p = exp((double)aux[n * C + c]);
      dx[0][n * C + c] += (REAL)(scale * (p * gsum - g));
    }
  }
}

/* bce_with_logits: x, target of x's shape, pos_weight broadcast along the last dim or absent.
 * loss_e = (1-t)·x + (1 + (p-1)·t)·softplus(-x), as torch (stable form). */
static double SFX(softplus_neg)(double v) { return log1p(exp(-fabs(v))) + (v < 0 ? -v : 0); }

static double SFX(bce_pw)(const glia__args *a, const REAL *const *x, int64_t e) {
  if (a->n_in < 3 || a->ndim[2] <= 0) return 1.0;
  int64_t last = a->shape[0][a->ndim[0] - 1];
  return (double)x[2][a->shape[2][0] == 1 ? 0 : e % last];
}

void SFX(bce_with_logits_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t n = glia__in_numel(a, 0);
  double s = 0;
  for (int64_t e = 0; e < n; e++) {
    double v = x[0][e], t = x[1][e], p = SFX(bce_pw)(a, x, e);
    s += (1 - t) * v + (1 + (p - 1) * t) * SFX(softplus_neg)(v);
  }
  y[0] = (REAL)(s / (double)n);
}

void SFX(bce_with_logits_bwd)(const glia__args *a, const REAL *const *x, const REAL *y,
                              const REAL *aux, const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t n = glia__in_numel(a, 0);
  const double g = (double)dy[0] / (double)n;
  for (int64_t e = 0; e < n; e++) {
    double v = x[0][e], t = x[1][e], p = SFX(bce_pw)(a, x, e);
    double sig_neg = 1 / (1 + exp(v)); /* σ(-x) */
    if (dx[0]) dx[0][e] += (REAL)(g * ((1 - t) - (1 + (p - 1) * t) * sig_neg));
    if (dx[1]) dx[1][e] += (REAL)(g * (-v + (p - 1) * SFX(softplus_neg)(v)));
  }
}

/* mse_loss and l1_loss: mean of (x-t)² and |x-t|. */
void SFX(mse_loss_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t n = glia__in_numel(a, 0);
  double s = 0;
  for (int64_t e = 0; e < n; e++) s += ((double)x[0][e] - x[1][e]) * ((double)x[0][e] - x[1][e]);
  y[0] = (REAL)(s / (double)n);
}

void SFX(mse_loss_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                       const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t n = glia__in_numel(a, 0);
  const double g = 2.0 * (double)dy[0] / (double)n;
  for (int64_t e = 0; e < n; e++) {
    double d = g * ((double)x[0][e] - x[1][e]);
    if (dx[0]) dx[0][e] += (REAL)d;
    if (dx[1]) dx[1][e] -= (REAL)d;
  }
}

void SFX(l1_loss_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t n = glia__in_numel(a, 0);
  double s = 0;
  for (int64_t e = 0; e < n; e++) s += fabs((double)x[0][e] - x[1][e]);
  y[0] = (REAL)(s / (double)n);
}

void SFX(l1_loss_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                      const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t n = glia__in_numel(a, 0);
  const double g = (double)dy[0] / (double)n;
  for (int64_t e = 0; e < n; e++) {
    double d = (double)x[0][e] - x[1][e], sg = d > 0 ? g : d < 0 ? -g : 0;
    if (dx[0]) dx[0][e] += (REAL)sg;
    if (dx[1]) dx[1][e] -= (REAL)sg;
  }
}

/* dice_loss: probabilities x [N, ...] and target of x's shape; f[0] = smoothing ε.
 * loss = 1 - mean_n (2 Σ x·t + ε) / (Σ x + Σ t + ε) (soft Dice, Milletari et al. 2016),
 * sums per sample. aux = per sample: Σ x·t, Σ x + Σ t. */
void SFX(dice_loss_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  const int64_t N = a->shape[0][0], M = glia__in_numel(a, 0) / N;
  const double eps = a->f[0];
  double total = 0;
  for (int64_t n = 0; n < N; n++) {
    double inter = 0, sum = 0;
    for (int64_t e = 0; e < M; e++) {
      inter += (double)x[0][n * M + e] * x[1][n * M + e];
      sum += (double)x[0][n * M + e] + x[1][n * M + e];
    }
    aux[2 * n] = (REAL)inter;
    aux[2 * n + 1] = (REAL)sum;
    total += (2 * inter + eps) / (sum + eps);
  }
  y[0] = (REAL)(1 - total / (double)N);
}

void SFX(dice_loss_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                        const REAL *dy, REAL *const *dx) {
  (void)y;
  const int64_t N = a->shape[0][0], M = glia__in_numel(a, 0) / N;
  const double eps = a->f[0];
  for (int64_t n = 0; n < N; n++) {
    const double inter = aux[2 * n], den = (double)aux[2 * n + 1] + eps, num = 2 * inter + eps;
    const double g = -(double)dy[0] / (double)N;
    for (int64_t e = 0; e < M; e++) {
      /* d/dx (num/den) = 2t/den - num/den²; symmetric in t. */
      if (dx[0]) dx[0][n * M + e] += (REAL)(g * (2 * x[1][n * M + e] / den - num / (den * den)));
      if (dx[1]) dx[1][n * M + e] += (REAL)(g * (2 * x[0][n * M + e] / den - num / (den * den)));
    }
  }
}
