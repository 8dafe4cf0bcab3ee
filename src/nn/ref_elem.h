/* REAL-generic reference kernels: broadcasting add/mul, scale, activations, reshape, dropout
 * (included twice by ref.c). */

void SFX(add_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t n = glia__out_numel(a);
  if (same_shape(a, 0) && same_shape(a, 1)) {
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) y[o] = x[0][o] + x[1][o];
    return;
  }
  for (int64_t o = 0; o < n; o++) y[o] = x[0][bcast_offset(a, 0, o)] + x[1][bcast_offset(a, 1, o)];
}

void SFX(add_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                  const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  const int64_t n = glia__out_numel(a);
  for (int k = 0; k < 2; k++) {
    if (!dx[k]) continue;
    if (same_shape(a, k)) {
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
      for (int64_t o = 0; o < n; o++) dx[k][o] += dy[o];
    } else {
      for (int64_t o = 0; o < n; o++) dx[k][bcast_offset(a, k, o)] += dy[o];
    }
  }
}

void SFX(mul_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t n = glia__out_numel(a);
  if (same_shape(a, 0) && same_shape(a, 1)) {
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) y[o] = x[0][o] * x[1][o];
    return;
  }
  for (int64_t o = 0; o < n; o++) y[o] = x[0][bcast_offset(a, 0, o)] * x[1][bcast_offset(a, 1, o)];
}

void SFX(mul_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                  const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t n = glia__out_numel(a);
  for (int k = 0; k < 2; k++) {
    if (!dx[k]) continue;
    for (int64_t o = 0; o < n; o++)
      dx[k][bcast_offset(a, k, o)] += dy[o] * x[1 - k][bcast_offset(a, 1 - k, o)];
  }
}

/* Unary elementwise ops share one loop; `kind` (U_* in ref.c) picks the function and its
 * derivative. */
static REAL SFX(unary_f)(int kind, REAL v, double p) {
  switch (kind) {
  case U_RELU: return v > 0 ? v : 0;
  case U_LEAKY: return v > 0 ? v : (REAL)p * v;
  case U_GELU: return (REAL)0.5 * v * (1 + RF(erf)(v * (REAL)0.70710678118654752));
  case U_GELU_TANH: {
    REAL u = (REAL)0.79788456080286536 * (v + (REAL)0.044715 * v * v * v);
    return (REAL)0.5 * v * (1 + RF(tanh)(u));
  }
  case U_SILU: return v / (1 + RF(exp)(-v));
  case U_SIGMOID: return 1 / (1 + RF(exp)(-v));
  case U_TANH: return RF(tanh)(v);
  default: return (REAL)p * v;
  }
}

/* Derivative at input v (output yv). */
static REAL SFX(unary_d)(int kind, REAL v, REAL yv, double p) {
  switch (kind) {
  case U_RELU: return v > 0 ? 1 : 0;
  case U_LEAKY: return v > 0 ? 1 : (REAL)p;
  case U_GELU:
    return (REAL)0.5 * (1 + RF(erf)(v * (REAL)0.70710678118654752)) +
           v * RF(exp)(-(REAL)0.5 * v * v) * (REAL)0.39894228040143268;
  case U_GELU_TANH: {
    REAL k = (REAL)0.79788456080286536, u = k * (v + (REAL)0.044715 * v * v * v);
    REAL t = RF(tanh)(u);
    return (REAL)0.5 * (1 + t) + (REAL)0.5 * v * (1 - t * t) * k * (1 + (REAL)0.134145 * v * v);
  }
  case U_SILU: {
    REAL s = 1 / (1 + RF(exp)(-v));
    return s * (1 + v * (1 - s));
  }
  case U_SIGMOID: return yv * (1 - yv);
  case U_TANH: return 1 - yv * yv;
  default: return (REAL)p;
  }
}

/* The common kinds get their own loop (vectorised); the others go through unary_f. */
static void SFX(unary_fwd)(int kind, const glia__args *a, const REAL *x, REAL *y) {
  const int64_t n = glia__out_numel(a);
  const double p = a->f[0];
  const REAL pr = (REAL)p;
  switch (kind) {
  case U_RELU:
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) y[o] = x[o] > 0 ? x[o] : 0;
    break;
  case U_LEAKY:
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) y[o] = x[o] > 0 ? x[o] : pr * x[o];
    break;
  case U_SCALE:
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) y[o] = pr * x[o];
    break;
  default:
#pragma omp parallel for if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) y[o] = SFX(unary_f)(kind, x[o], p);
  }
}

static void SFX(unary_bwd)(int kind, const glia__args *a, const REAL *x, const REAL *y,
                           const REAL *dy, REAL *dx) {
  const int64_t n = glia__out_numel(a);
  const double p = a->f[0];
  const REAL pr = (REAL)p;
  if (!dx) return;
  switch (kind) {
  case U_RELU:
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) dx[o] += y[o] > 0 ? dy[o] : 0; /* y > 0 iff x > 0 */
    break;
  case U_SCALE:
#pragma omp parallel for simd if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) dx[o] += pr * dy[o];
    break;
  default:
#pragma omp parallel for if (n > PAR_MIN) schedule(static)
    for (int64_t o = 0; o < n; o++) dx[o] += dy[o] * SFX(unary_d)(kind, x[o], y[o], p);
  }
}

#define UNARY_OP(name, kind_expr)                                                                  \
  void SFX(name##_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {            \
    (void)aux;                                                                                     \
    SFX(unary_fwd)(kind_expr, a, x[0], y);                                                         \
  }                                                                                                \
  void SFX(name##_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,  \
                       const REAL *dy, REAL *const *dx) {                                          \
    (void)aux;                                                                                     \
    SFX(unary_bwd)(kind_expr, a, x[0], y, dy, dx[0]);                                              \
  }
/* relu; leaky_relu (f = slope); gelu (i = 1: tanh approximation); silu; sigmoid; tanh;
 * scale (f = factor). */
UNARY_OP(relu, U_RELU)
UNARY_OP(leaky_relu, U_LEAKY)
UNARY_OP(gelu, a->i[0] ? U_GELU_TANH : U_GELU)
UNARY_OP(silu, U_SILU)
UNARY_OP(sigmoid, U_SIGMOID)
UNARY_OP(tanh, U_TANH)
UNARY_OP(scale, U_SCALE)
#undef UNARY_OP

/* reshape: a copy with the new shape (the data order is unchanged). */
void SFX(reshape_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  memcpy(y, x[0], (size_t)glia__out_numel(a) * sizeof(REAL));
}

void SFX(reshape_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                      const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  const int64_t n = glia__out_numel(a);
  if (dx[0])
    for (int64_t o = 0; o < n; o++) dx[0][o] += dy[o];
}

/* dropout: y = x · mask, the mask (input 1) holding 0 or 1/(1-p). */
void SFX(dropout_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t n = glia__out_numel(a);
#pragma omp parallel for if (n > PAR_MIN) schedule(static)
  for (int64_t o = 0; o < n; o++) y[o] = x[0][o] * x[1][o];
}

void SFX(dropout_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                      const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t n = glia__out_numel(a);
  if (dx[0])
    for (int64_t o = 0; o < n; o++) dx[0][o] += dy[o] * x[1][o];
}
