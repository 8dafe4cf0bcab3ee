/* REAL-generic reference kernels: batch norm, softmax, log-softmax (included twice). */

/* y = x·sc + sh over n values, then max(·, 0) when relu: the forward's operations, shared with
 * the recomputation so that both give the same bits. */
static void SFX(bn_apply)(const REAL *restrict xs, REAL *restrict ys, int64_t n, REAL sc, REAL sh,
                          int relu) {
  if (relu) {
#pragma omp simd
    for (int64_t k = 0; k < n; k++) {
      const REAL v = xs[k] * sc + sh;
      ys[k] = v > 0 ? v : 0;
    }
  } else {
#pragma omp simd
    for (int64_t k = 0; k < n; k++) ys[k] = xs[k] * sc + sh;
  }
}

/* batch_norm: x [N, C, ...], weight [C], bias [C], running_mean [C], running_var [C];
 * i[0] = training, i[1] = fused ReLU on the output, f[0] = eps, f[1] = momentum. aux = mean[C],
 * invstd[C], biased var[C] (Ioffe and Szegedy 2015). Sums in double. */
void SFX(batch_norm_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1];
  const int64_t S = glia__in_numel(a, 0) / (N * C);
  const REAL *w = a->ndim[1] > 0 ? x[1] : NULL, *b = a->ndim[2] > 0 ? x[2] : NULL;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; c++) {
    double mean, var;
    if (a->i[0]) {
      double s = 0, ss = 0;
      for (int64_t n = 0; n < N; n++) {
        const REAL *xs = x[0] + (n * C + c) * S;
#pragma omp simd reduction(+ : s)
        for (int64_t k = 0; k < S; k++) s += xs[k];
      }
      mean = s / (double)(N * S);
      for (int64_t n = 0; n < N; n++) {
        const REAL *xs = x[0] + (n * C + c) * S;
#pragma omp simd reduction(+ : ss)
        for (int64_t k = 0; k < S; k++) ss += ((double)xs[k] - mean) * ((double)xs[k] - mean);
      }
      var = ss / (double)(N * S);
    } else {
      mean = x[3][c];
      var = x[4][c];
    }
    double invstd = 1.0 / sqrt(var + a->f[0]);
    aux[c] = (REAL)mean;
    aux[C + c] = (REAL)invstd;
    aux[2 * C + c] = (REAL)var;
    const REAL sc = (REAL)((w ? w[c] : 1) * invstd), sh = (REAL)((b ? b[c] : 0) - mean * sc);
    aux[3 * C + c] = sc;
    aux[4 * C + c] = sh;
    for (int64_t n = 0; n < N; n++)
      SFX(bn_apply)(x[0] + (n * C + c) * S, y + (n * C + c) * S, S, sc, sh, a->i[1] != 0);
  }
}

/* The output of the forward above again, from x and the saved scale and shift (no statistics
 * recomputed, running statistics untouched). */
void SFX(batch_norm_recompute)(const glia__args *a, const REAL *const *x, const REAL *aux,
                               REAL *y) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1];
  const int64_t S = glia__in_numel(a, 0) / (N * C);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; c++)
    for (int64_t n = 0; n < N; n++) SFX(bn_apply)
  (x[0] + (n * C + c) * S, y + (n * C + c) * S, S, aux[3 * C + c], aux[4 * C + c], a->i[1] != 0);
}

/* With the fused ReLU, the upstream gradient passes only where the output is positive: where
 * x·scale + shift > 0, recomputed from x and the saved scale and shift with the forward's
 * operations, so the same bits (y is not read). */
void SFX(batch_norm_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                         const REAL *dy, REAL *const *dx) {
  (void)y;
  const int relu = a->i[1] != 0;
  const int64_t N = a->shape[0][0], C = a->shape[0][1];
  const int64_t S = glia__in_numel(a, 0) / (N * C);
  const double M = (double)(N * S);
  const REAL *w = a->ndim[1] > 0 ? x[1] : NULL;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; c++) {
    const double mean = aux[c], invstd = aux[C + c], g = w ? w[c] : 1;
    const REAL sc = aux[3 * C + c], sh = aux[4 * C + c];
    double sdy = 0, sdyx = 0;
    for (int64_t n = 0; n < N; n++) {
      const REAL *xs = x[0] + (n * C + c) * S, *ds = dy + (n * C + c) * S;
#pragma omp simd reduction(+ : sdy, sdyx)
      for (int64_t k = 0; k < S; k++) {
        const REAL d = relu && !(xs[k] * sc + sh > 0) ? 0 : ds[k];
        sdy += d;
        sdyx += (double)d * ((double)xs[k] - mean) * invstd;
      }
    }
    if (dx[1]) dx[1][c] += (REAL)sdyx;
    if (dx[2]) dx[2][c] += (REAL)sdy;
    if (!dx[0]) continue;
    /* dx = g·invstd·(dy - mean(dy) - x̂·mean(dy·x̂)) in training, g·invstd·dy in evaluation. */
    const int train = a->i[0] != 0;
    const REAL k1 = (REAL)(g * invstd), k2 = train ? (REAL)(sdy / M) : 0,
               k3 = train ? (REAL)(sdyx / M * invstd) : 0, mu = (REAL)mean;
    for (int64_t n = 0; n < N; n++) {
      const REAL *xs = x[0] + (n * C + c) * S, *ds = dy + (n * C + c) * S;
      REAL *gs = dx[0] + (n * C + c) * S;
#pragma omp simd
      for (int64_t k = 0; k < S; k++) {
        const REAL d = relu && !(xs[k] * sc + sh > 0) ? 0 : ds[k];
        gs[k] += k1 * (d - k2 - (xs[k] - mu) * k3);
      }
    }
  }
}

/* softmax / log_softmax along dim i[0]. */
static void SFX(softmax_any)(const glia__args *a, const REAL *x, REAL *y, int logarithm) {
  int64_t outer, D, inner;
  split_dim(a->ndim[0], a->shape[0], (int)a->i[0], &outer, &D, &inner);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++) {
      const REAL *xs = x + o * D * inner + in;
      REAL *ys = y + o * D * inner + in;
      REAL mx = xs[0];
      for (int64_t d = 1; d < D; d++) mx = xs[d * inner] > mx ? xs[d * inner] : mx;
      double s = 0;
      for (int64_t d = 0; d < D; d++) s += RF(exp)(xs[d * inner] - mx);
      REAL ls = (REAL)log(s > 1 ? s : 1); /* s >= 1: the largest term is exp(0) */
      for (int64_t d = 0; d < D; d++)
        ys[d * inner] = logarithm ? xs[d * inner] - mx - ls : RF(exp)(xs[d * inner] - mx - ls);
    }
}

static void SFX(softmax_any_bwd)(const glia__args *a, const REAL *y, const REAL *dy, REAL *dx,
                                 int logarithm) {
  int64_t outer, D, inner;
  if (!dx) return;
  split_dim(a->ndim[0], a->shape[0], (int)a->i[0], &outer, &D, &inner);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++) {
      const int64_t base = o * D * inner + in;
      double s = 0;
      for (int64_t d = 0; d < D; d++)
        s += logarithm ? dy[base + d * inner] : dy[base + d * inner] * y[base + d * inner];
      for (int64_t d = 0; d < D; d++) {
        int64_t i = base + d * inner;
        dx[i] += logarithm ? (REAL)(dy[i] - RF(exp)(y[i]) * s) : (REAL)(y[i] * (dy[i] - s));
      }
    }
}

void SFX(softmax_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  SFX(softmax_any)(a, x[0], y, 0);
}

void SFX(softmax_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                      const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)aux;
  SFX(softmax_any_bwd)(a, y, dy, dx[0], 0);
}

void SFX(log_softmax_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  SFX(softmax_any)(a, x[0], y, 1);
}

void SFX(log_softmax_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                          const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)aux;
  SFX(softmax_any_bwd)(a, y, dy, dx[0], 1);
}

/* layer_norm: x, weight, bias (optional); i[0] = trailing dims normalised (channels-last), or
 * i[1] = 1: normalise over dim 1 of [N, C, ...] at each position (channels-first, as
 * ConvNeXt's LayerNorm2d); f[0] = eps (Ba et al. 2016). aux = mean, invstd per row. */
static void SFX(ln_geometry)(const glia__args *a, int64_t *outer, int64_t *D, int64_t *inner) {
  if (a->i[1]) {
    *outer = a->shape[0][0];
    *D = a->shape[0][1];
    *inner = glia__in_numel(a, 0) / (*outer * *D);
  } else {
    *D = 1;
    for (int d = a->ndim[0] - (int)a->i[0]; d < a->ndim[0]; d++) *D *= a->shape[0][d];
    *outer = glia__in_numel(a, 0) / *D;
    *inner = 1;
  }
}

void SFX(layer_norm_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  int64_t outer, D, inner;
  SFX(ln_geometry)(a, &outer, &D, &inner);
  const REAL *w = a->n_in > 1 && a->ndim[1] >= 0 ? x[1] : NULL;
  const REAL *b = a->n_in > 2 && a->ndim[2] >= 0 ? x[2] : NULL;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t o = 0; o < outer; o++)
    for (int64_t in = 0; in < inner; in++) {
      const REAL *xs = x[0] + o * D * inner + in;
      double s = 0, ss = 0;
      for (int64_t d = 0; d < D; d++) s += xs[d * inner];
      double mean = s / (double)D;
      for (int64_t d = 0; d < D; d++) ss += (xs[d * inner] - mean) * (xs[d * inner] - mean);
      double invstd = 1.0 / sqrt(ss / (double)D + a->f[0]);
      aux[o * inner + in] = (REAL)mean;
      aux[outer * inner + o * inner + in] = (REAL)invstd;
      for (int64_t d = 0; d < D; d++)
        y[o * D * inner + in + d * inner] =
            (REAL)(((double)xs[d * inner] - mean) * invstd * (w ? w[d] : 1) + (b ? b[d] : 0));
    }
}

void SFX(layer_norm_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                         const REAL *dy, REAL *const *dx) {
  (void)y;
  int64_t outer, D, inner;
  SFX(ln_geometry)(a, &outer, &D, &inner);
  const REAL *w = a->n_in > 1 && a->ndim[1] >= 0 ? x[1] : NULL;
  for (int64_t o = 0; o < outer; o++) /* serial: the weight gradients sum over rows */
    for (int64_t in = 0; in < inner; in++) {
      const int64_t base = o * D * inner + in;
      const double mean = aux[o * inner + in], invstd = aux[outer * inner + o * inner + in];
      double sg = 0, sgx = 0;
      for (int64_t d = 0; d < D; d++) {
        double g = (double)dy[base + d * inner] * (w ? w[d] : 1);
        double xh = ((double)x[0][base + d * inner] - mean) * invstd;
        sg += g;
        sgx += g * xh;
        if (dx[1]) dx[1][d] += (REAL)(dy[base + d * inner] * xh);
        if (a->n_in > 2 && dx[2]) dx[2][d] += dy[base + d * inner];
      }
      if (!dx[0]) continue;
      for (int64_t d = 0; d < D; d++) {
        double g = (double)dy[base + d * inner] * (w ? w[d] : 1);
        double xh = ((double)x[0][base + d * inner] - mean) * invstd;
        dx[0][base + d * inner] += (REAL)(invstd * (g - sg / (double)D - xh * sgx / (double)D));
      }
    }
}

/* group_norm: x [N, C, ...], weight, bias [C] (optional); i[0] = groups, f[0] = eps (Wu and He
 * 2018). aux = mean, invstd per (n, group). */
void SFX(group_norm_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  const int64_t N = a->shape[0][0], C = a->shape[0][1], G = a->i[0];
  const int64_t S = glia__in_numel(a, 0) / (N * C), M = C / G * S;
  const REAL *w = a->n_in > 1 && a->ndim[1] >= 0 ? x[1] : NULL;
  const REAL *b = a->n_in > 2 && a->ndim[2] >= 0 ? x[2] : NULL;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < N; n++)
    for (int64_t g = 0; g < G; g++) {
      const REAL *xs = x[0] + (n * G + g) * M;
      double s = 0, ss = 0;
      for (int64_t e = 0; e < M; e++) s += xs[e];
      double mean = s / (double)M;
      for (int64_t e = 0; e < M; e++) ss += (xs[e] - mean) * (xs[e] - mean);
      double invstd = 1.0 / sqrt(ss / (double)M + a->f[0]);
      aux[n * G + g] = (REAL)mean;
      aux[N * G + n * G + g] = (REAL)invstd;
      for (int64_t e = 0; e < M; e++) {
        int64_t c = g * (C / G) + e / S;
        y[(n * G + g) * M + e] =
            (REAL)(((double)xs[e] - mean) * invstd * (w ? w[c] : 1) + (b ? b[c] : 0));
      }
    }
}

void SFX(group_norm_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                         const REAL *dy, REAL *const *dx) {
  (void)y;
  const int64_t N = a->shape[0][0], C = a->shape[0][1], G = a->i[0];
  const int64_t S = glia__in_numel(a, 0) / (N * C), M = C / G * S;
  const REAL *w = a->n_in > 1 && a->ndim[1] >= 0 ? x[1] : NULL;
  for (int64_t n = 0; n < N; n++)
    for (int64_t g = 0; g < G; g++) {
      const int64_t base = (n * G + g) * M;
      const double mean = aux[n * G + g], invstd = aux[N * G + n * G + g];
      double sg = 0, sgx = 0;
      for (int64_t e = 0; e < M; e++) {
        int64_t c = g * (C / G) + e / S;
        double gv = (double)dy[base + e] * (w ? w[c] : 1);
        double xh = ((double)x[0][base + e] - mean) * invstd;
        sg += gv;
        sgx += gv * xh;
        if (dx[1]) dx[1][c] += (REAL)(dy[base + e] * xh);
        if (a->n_in > 2 && dx[2]) dx[2][c] += dy[base + e];
      }
      if (!dx[0]) continue;
      for (int64_t e = 0; e < M; e++) {
        int64_t c = g * (C / G) + e / S;
        double gv = (double)dy[base + e] * (w ? w[c] : 1);
        double xh = ((double)x[0][base + e] - mean) * invstd;
        dx[0][base + e] += (REAL)(invstd * (gv - sg / (double)M - xh * sgx / (double)M));
      }
    }
}
