/* REAL-generic reference kernels: scaled dot-product attention with an additive bias
 * (Vaswani et al. 2017; the bias carries masks and relative positions). Included twice. */

/* q [..., L, D], k [..., S, D], v [..., S, E], bias broadcast to [..., L, S] (optional);
 * f[0] = scale (0: 1/sqrt(D)). y [..., L, E]; aux = the attention probabilities [..., L, S]. */
static void SFX(attn_dims)(const glia__args *a, int64_t *B, int64_t *L, int64_t *S, int64_t *D,
                           int64_t *E, double *scale) {
  const int nd = a->ndim[0];
  *L = a->shape[0][nd - 2];
  *D = a->shape[0][nd - 1];
  *S = a->shape[1][nd - 2];
  *E = a->shape[2][nd - 1];
  *B = glia__in_numel(a, 0) / (*L * *D);
  *scale = a->f[0] != 0 ? a->f[0] : 1.0 / sqrt((double)*D);
}

/* Offset in the bias of score (batch b, row l, column s). */
static int64_t SFX(attn_bias_at)(const glia__args *a, int64_t b, int64_t l, int64_t s) {
  int64_t t[GLIA__MAX_DIMS];
  const int nd = a->ndim[0];
  for (int d = 0; d < nd - 2; d++) t[d] = a->shape[0][d];
  t[nd - 2] = a->shape[0][nd - 2];
  t[nd - 1] = a->shape[1][nd - 2];
  return bcast_to(t, nd, a->shape[3], a->ndim[3], (b * t[nd - 2] + l) * t[nd - 1] + s);
}

void SFX(attention_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  int64_t B, L, S, D, E;
  double scale;
  SFX(attn_dims)(a, &B, &L, &S, &D, &E, &scale);
  const int has_bias = a->n_in > 3 && a->ndim[3] >= 0;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; b++)
    for (int64_t l = 0; l < L; l++) {
      REAL *p = aux + (b * L + l) * S;
      double mx = -INFINITY, sum = 0;
      for (int64_t s = 0; s < S; s++) {
        double z = 0;
        for (int64_t d = 0; d < D; d++)
          z += (double)x[0][(b * L + l) * D + d] * x[1][(b * S + s) * D + d];
        z *= scale;
        if (has_bias) z += x[3][SFX(attn_bias_at)(a, b, l, s)];
        p[s] = (REAL)z;
        mx = z > mx ? z : mx;
      }
      for (int64_t s = 0; s < S; s++) sum += exp((double)p[s] - mx);
      for (int64_t s = 0; s < S; s++) p[s] = (REAL)(exp((double)p[s] - mx) / sum);
      for (int64_t e = 0; e < E; e++) {
        double o = 0;
        for (int64_t s = 0; s < S; s++) o += (double)p[s] * x[2][(b * S + s) * E + e];
        y[(b * L + l) * E + e] = (REAL)o;
      }
    }
}

void SFX(attention_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                        const REAL *dy, REAL *const *dx) {
  (void)y;
  int64_t B, L, S, D, E;
  double scale;
  SFX(attn_dims)(a, &B, &L, &S, &D, &E, &scale);
  const int has_bias = a->n_in > 3 && a->ndim[3] >= 0;
  for (int64_t b = 0; b < B; b++) /* serial: k, v and a shared bias gather over rows */
    for (int64_t l = 0; l < L; l++) {
      const REAL *p = aux + (b * L + l) * S, *go = dy + (b * L + l) * E;
      double dp_p = 0;
      for (int64_t s = 0; s < S; s++) {
        double dp = 0;
        for (int64_t e = 0; e < E; e++) dp += (double)go[e] * x[2][(b * S + s) * E + e];
        dp_p += dp * p[s];
      }
      for (int64_t s = 0; s < S; s++) {
        double dp = 0;
        for (int64_t e = 0; e < E; e++) {
          dp += (double)go[e] * x[2][(b * S + s) * E + e];
          if (dx[2]) dx[2][(b * S + s) * E + e] += p[s] * go[e];
        }
        const double ds = p[s] * (dp - dp_p); /* softmax backward */
        if (has_bias && dx[3]) dx[3][SFX(attn_bias_at)(a, b, l, s)] += (REAL)ds;
        for (int64_t d = 0; d < D; d++) {
          if (dx[0]) dx[0][(b * L + l) * D + d] += (REAL)(scale * ds * x[1][(b * S + s) * D + d]);
          if (dx[1]) dx[1][(b * S + s) * D + d] += (REAL)(scale * ds * x[0][(b * L + l) * D + d]);
        }
      }
    }
}
