/* REAL-generic reference kernels: conv2d, linear, matmul (included twice by ref.c). */

/* conv2d: x [N, C, H, W], w [O, C/G, KH, KW], bias [O]; i = stride h, w, pad h, w,
 * dilation h, w, groups, fused ReLU. Direct summation (the definition of torch's conv2d);
 * with the ReLU, the backward passes dy only where the output is positive. */
void SFX(conv2d_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t N = a->shape[0][0], C = a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t O = a->shape[1][0], Cg = a->shape[1][1], KH = a->shape[1][2], KW = a->shape[1][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3], Og = O / a->i[6];
  const int64_t sh = a->i[0], sw = a->i[1], ph = a->i[2], pw = a->i[3], dh = a->i[4], dw = a->i[5];
  const REAL *in = x[0], *w = x[1], *b = a->n_in > 2 ? x[2] : NULL;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < N; n++)
    for (int64_t o = 0; o < O; o++) {
      const int64_t c0 = (o / Og) * Cg;
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++) {
          REAL s = b ? b[o] : 0;
          for (int64_t c = 0; c < Cg; c++)
            for (int64_t kh = 0; kh < KH; kh++) {
              int64_t ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (int64_t kw = 0; kw < KW; kw++) {
                int64_t iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                s += in[((n * C + c0 + c) * H + ih) * W + iw] *
                     w[((o * Cg + c) * KH + kh) * KW + kw];
              }
            }
          y[((n * O + o) * OH + oh) * OW + ow] = a->i[7] && !(s > 0) ? 0 : s;
        }
    }
}

void SFX(conv2d_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                     const REAL *dy, REAL *const *dx) {
  (void)aux;
  const int relu = a->i[7] != 0;
#define CONV_DY(at) (relu && !(y[at] > 0) ? (REAL)0 : dy[at])
  const int64_t N = a->shape[0][0], C = a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t O = a->shape[1][0], Cg = a->shape[1][1], KH = a->shape[1][2], KW = a->shape[1][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3], Og = O / a->i[6];
  const int64_t sh = a->i[0], sw = a->i[1], ph = a->i[2], pw = a->i[3], dh = a->i[4], dw = a->i[5];
  const REAL *in = x[0], *w = x[1];
  if (dx[0]) { /* each (n, input channel) gathers from its group's output channels */
    REAL *gx = dx[0];
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; n++)
      for (int64_t ci = 0; ci < C; ci++) {
        const int64_t g = ci / Cg, c = ci % Cg;
        for (int64_t o = g * Og; o < (g + 1) * Og; o++)
          for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
              REAL d = CONV_DY(((n * O + o) * OH + oh) * OW + ow);
              for (int64_t kh = 0; kh < KH; kh++) {
                int64_t ih = oh * sh - ph + kh * dh;
                if (ih < 0 || ih >= H) continue;
                for (int64_t kw = 0; kw < KW; kw++) {
                  int64_t iw = ow * sw - pw + kw * dw;
                  if (iw < 0 || iw >= W) continue;
                  gx[((n * C + ci) * H + ih) * W + iw] += d * w[((o * Cg + c) * KH + kh) * KW + kw];
                }
              }
            }
      }
  }
  if (dx[1] || (a->n_in > 2 && dx[2])) {
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < O; o++) {
      const int64_t c0 = (o / Og) * Cg;
      REAL db = 0;
      for (int64_t n = 0; n < N; n++)
        for (int64_t oh = 0; oh < OH; oh++)
          for (int64_t ow = 0; ow < OW; ow++) {
            REAL d = CONV_DY(((n * O + o) * OH + oh) * OW + ow);
            db += d;
            if (!dx[1]) continue;
            for (int64_t c = 0; c < Cg; c++)
              for (int64_t kh = 0; kh < KH; kh++) {
                int64_t ih = oh * sh - ph + kh * dh;
                if (ih < 0 || ih >= H) continue;
                for (int64_t kw = 0; kw < KW; kw++) {
                  int64_t iw = ow * sw - pw + kw * dw;
                  if (iw < 0 || iw >= W) continue;
                  dx[1][((o * Cg + c) * KH + kh) * KW + kw] +=
                      d * in[((n * C + c0 + c) * H + ih) * W + iw];
                }
              }
          }
      if (a->n_in > 2 && dx[2]) dx[2][o] += db;
    }
  }
#undef CONV_DY
}

/* linear: x [..., I], w [O, I], bias [O]. */
void SFX(linear_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t I = a->shape[1][1], O = a->shape[1][0], M = glia__in_numel(a, 0) / I;
  const REAL *b = a->n_in > 2 ? x[2] : NULL;
#pragma omp parallel for schedule(static)
  for (int64_t m = 0; m < M; m++)
    for (int64_t o = 0; o < O; o++) {
      REAL s = b ? b[o] : 0;
      for (int64_t i = 0; i < I; i++) s += x[0][m * I + i] * x[1][o * I + i];
      y[m * O + o] = s;
    }
}

void SFX(linear_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                     const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t I = a->shape[1][1], O = a->shape[1][0], M = glia__in_numel(a, 0) / I;
  if (dx[0]) {
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < M; m++)
      for (int64_t i = 0; i < I; i++) {
        REAL s = 0;
        for (int64_t o = 0; o < O; o++) s += dy[m * O + o] * x[1][o * I + i];
        dx[0][m * I + i] += s;
      }
  }
  if (dx[1]) {
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < O; o++)
      for (int64_t i = 0; i < I; i++) {
        REAL s = 0;
        for (int64_t m = 0; m < M; m++) s += dy[m * O + o] * x[0][m * I + i];
        dx[1][o * I + i] += s;
      }
  }
  if (a->n_in > 2 && dx[2])
    for (int64_t o = 0; o < O; o++) {
      REAL s = 0;
      for (int64_t m = 0; m < M; m++) s += dy[m * O + o];
      dx[2][o] += s;
    }
}

/* matmul: a [..., M, K] × b [..., K, N] (b may be 2-D and shared by every batch). */
void SFX(matmul_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int na = a->ndim[0], nb = a->ndim[1];
  const int64_t M = a->shape[0][na - 2], K = a->shape[0][na - 1], N = a->shape[1][nb - 1];
  const int64_t B = glia__in_numel(a, 0) / (M * K), bstride = nb == 2 ? 0 : K * N;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t bi = 0; bi < B; bi++)
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) {
        REAL s = 0;
        for (int64_t k = 0; k < K; k++)
          s += x[0][(bi * M + m) * K + k] * x[1][bi * bstride + k * N + n];
        y[(bi * M + m) * N + n] = s;
      }
}

void SFX(matmul_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                     const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int na = a->ndim[0], nb = a->ndim[1];
  const int64_t M = a->shape[0][na - 2], K = a->shape[0][na - 1], N = a->shape[1][nb - 1];
  const int64_t B = glia__in_numel(a, 0) / (M * K), bstride = nb == 2 ? 0 : K * N;
  if (dx[0]) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t bi = 0; bi < B; bi++)
      for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++) {
          REAL s = 0;
          for (int64_t n = 0; n < N; n++)
            s += dy[(bi * M + m) * N + n] * x[1][bi * bstride + k * N + n];
          dx[0][(bi * M + m) * K + k] += s;
        }
  }
  if (dx[1]) { /* serial over batches: a shared b sums every batch's contribution */
    for (int64_t bi = 0; bi < B; bi++) {
#pragma omp parallel for schedule(static)
      for (int64_t k = 0; k < K; k++)
        for (int64_t n = 0; n < N; n++) {
          REAL s = 0;
          for (int64_t m = 0; m < M; m++)
            s += x[0][(bi * M + m) * K + k] * dy[(bi * M + m) * N + n];
          dx[1][bi * bstride + k * N + n] += s;
        }
    }
  }
}

/* conv_transpose2d: x [N, Cin, H, W], w [Cin, Cout/G, KH, KW], bias [Cout]; i = stride h, w,
 * pad h, w, output padding h, w, dilation h, w, groups. The adjoint of conv2d: each input
 * pixel scatters its kernel into the output (torch's conv_transpose2d). */
void SFX(conv_transpose2d_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t N = a->shape[0][0], Ci = a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t Cog = a->shape[1][1], KH = a->shape[1][2], KW = a->shape[1][3], G = a->i[8];
  const int64_t Co = Cog * G, Cig = Ci / G, OH = a->out_shape[2], OW = a->out_shape[3];
  const REAL *b = a->n_in > 2 && a->ndim[2] >= 0 ? x[2] : NULL;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; n++) {
    REAL *yn = y + n * Co * OH * OW;
    for (int64_t co = 0; co < Co; co++)
      for (int64_t e = 0; e < OH * OW; e++) yn[co * OH * OW + e] = b ? b[co] : 0;
    for (int64_t ci = 0; ci < Ci; ci++) {
      const int64_t g = ci / Cig;
      for (int64_t ih = 0; ih < H; ih++)
        for (int64_t iw = 0; iw < W; iw++) {
          const REAL v = x[0][((n * Ci + ci) * H + ih) * W + iw];
          for (int64_t c = 0; c < Cog; c++)
            for (int64_t kh = 0; kh < KH; kh++) {
              int64_t oh = ih * a->i[0] - a->i[2] + kh * a->i[6];
              if (oh < 0 || oh >= OH) continue;
              for (int64_t kw = 0; kw < KW; kw++) {
                int64_t ow = iw * a->i[1] - a->i[3] + kw * a->i[7];
                if (ow < 0 || ow >= OW) continue;
                yn[((g * Cog + c) * OH + oh) * OW + ow] +=
                    v * x[1][((ci * Cog + c) * KH + kh) * KW + kw];
              }
            }
        }
    }
  }
}

void SFX(conv_transpose2d_bwd)(const glia__args *a, const REAL *const *x, const REAL *y,
                               const REAL *aux, const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t N = a->shape[0][0], Ci = a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t Cog = a->shape[1][1], KH = a->shape[1][2], KW = a->shape[1][3], G = a->i[8];
  const int64_t Co = Cog * G, Cig = Ci / G, OH = a->out_shape[2], OW = a->out_shape[3];
  /* dx and dw gather over the same (input pixel, kernel tap) pairs as the forward scatter. */
#pragma omp parallel for schedule(static)
  for (int64_t ci = 0; ci < Ci; ci++) {
    const int64_t g = ci / Cig;
    for (int64_t n = 0; n < N; n++)
      for (int64_t ih = 0; ih < H; ih++)
        for (int64_t iw = 0; iw < W; iw++) {
          const int64_t xi = ((n * Ci + ci) * H + ih) * W + iw;
          REAL sx = 0;
          for (int64_t c = 0; c < Cog; c++)
            for (int64_t kh = 0; kh < KH; kh++) {
              int64_t oh = ih * a->i[0] - a->i[2] + kh * a->i[6];
              if (oh < 0 || oh >= OH) continue;
              for (int64_t kw = 0; kw < KW; kw++) {
                int64_t ow = iw * a->i[1] - a->i[3] + kw * a->i[7];
                if (ow < 0 || ow >= OW) continue;
                const REAL d = dy[((n * Co + g * Cog + c) * OH + oh) * OW + ow];
                const int64_t wi = ((ci * Cog + c) * KH + kh) * KW + kw;
                sx += d * x[1][wi];
                if (dx[1]) dx[1][wi] += d * x[0][xi];
              }
            }
          if (dx[0]) dx[0][xi] += sx;
        }
  }
  if (a->n_in > 2 && dx[2])
    for (int64_t co = 0; co < Co; co++) {
      REAL s = 0;
      for (int64_t n = 0; n < N; n++)
        for (int64_t e = 0; e < OH * OW; e++) s += dy[(n * Co + co) * OH * OW + e];
      dx[2][co] += s;
    }
}
