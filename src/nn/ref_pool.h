/* REAL-generic reference kernels: max, average and adaptive average pooling over
 * x [N, C, H, W] (included twice by ref.c). */

/* max_pool2d: i = kernel, stride, padding (square); padding counts as -inf. The backward
 * routes each gradient to the first maximum of its window in scan order. */
static int64_t SFX(max_at)(const glia__args *a, const REAL *x, int64_t oh, int64_t ow) {
  const int64_t H = a->shape[0][2], W = a->shape[0][3], k = a->i[0], s = a->i[1], p = a->i[2];
  int64_t best = -1;
  for (int64_t kh = 0; kh < k; kh++) {
    int64_t ih = oh * s - p + kh;
    if (ih < 0 || ih >= H) continue;
    for (int64_t kw = 0; kw < k; kw++) {
      int64_t iw = ow * s - p + kw;
      if (iw < 0 || iw >= W) continue;
      if (best < 0 || x[ih * W + iw] > x[best]) best = ih * W + iw;
    }
  }
  return best;
}

void SFX(max_pool2d_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], HW = a->shape[0][2] * a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++)
        y[(nc * OH + oh) * OW + ow] = x[0][nc * HW + SFX(max_at)(a, x[0] + nc * HW, oh, ow)];
}

void SFX(max_pool2d_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                         const REAL *dy, REAL *const *dx) {
  (void)y;
  (void)aux;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], HW = a->shape[0][2] * a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
  if (!dx[0]) return;
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++)
        dx[0][nc * HW + SFX(max_at)(a, x[0] + nc * HW, oh, ow)] += dy[(nc * OH + oh) * OW + ow];
}

/* Window of output (oh, ow): rows [*h0, *h1), columns [*w0, *w1), and the divisor. adaptive:
 * torch's floor/ceil split; otherwise kernel/stride/padding with count_include_pad. */
static void SFX(avg_window)(const glia__args *a, int adaptive, int64_t oh, int64_t ow, int64_t *h0,
                            int64_t *h1, int64_t *w0, int64_t *w1, double *div) {
  const int64_t H = a->shape[0][2], W = a->shape[0][3];
  if (adaptive) {
    const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
    *h0 = oh * H / OH;
    *h1 = ((oh + 1) * H + OH - 1) / OH;
    *w0 = ow * W / OW;
    *w1 = ((ow + 1) * W + OW - 1) / OW;
    *div = (double)((*h1 - *h0) * (*w1 - *w0));
    return;
  }
  const int64_t k = a->i[0], s = a->i[1], p = a->i[2];
  int64_t hs = oh * s - p, ws = ow * s - p;
  int64_t he = hs + k < H + p ? hs + k : H + p, we = ws + k < W + p ? ws + k : W + p;
  *div = (double)((he - hs) * (we - ws));
  *h0 = hs < 0 ? 0 : hs;
  *w0 = ws < 0 ? 0 : ws;
  *h1 = he < H ? he : H;
  *w1 = we < W ? we : W;
}

static void SFX(avg_fwd)(const glia__args *a, const REAL *x, REAL *y, int adaptive) {
  const int64_t NC = a->shape[0][0] * a->shape[0][1], W = a->shape[0][3];
  const int64_t HW = a->shape[0][2] * W, OH = a->out_shape[2], OW = a->out_shape[3];
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t h0, h1, w0, w1;
        double div, s = 0;
        SFX(avg_window)(a, adaptive, oh, ow, &h0, &h1, &w0, &w1, &div);
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = w0; w < w1; w++) s += x[nc * HW + h * W + w];
        y[(nc * OH + oh) * OW + ow] = (REAL)(s / div);
      }
}

static void SFX(avg_bwd)(const glia__args *a, const REAL *dy, REAL *dx, int adaptive) {
  const int64_t NC = a->shape[0][0] * a->shape[0][1], W = a->shape[0][3];
  const int64_t HW = a->shape[0][2] * W, OH = a->out_shape[2], OW = a->out_shape[3];
  if (!dx) return;
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t h0, h1, w0, w1;
        double div;
        SFX(avg_window)(a, adaptive, oh, ow, &h0, &h1, &w0, &w1, &div);
        REAL g = (REAL)(dy[(nc * OH + oh) * OW + ow] / div);
        for (int64_t h = h0; h < h1; h++)
          for (int64_t w = w0; w < w1; w++) dx[nc * HW + h * W + w] += g;
      }
}

/* avg_pool2d: i = kernel, stride, padding. */
void SFX(avg_pool2d_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  SFX(avg_fwd)(a, x[0], y, 0);
}

void SFX(avg_pool2d_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                         const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  SFX(avg_bwd)(a, dy, dx[0], 0);
}

/* adaptive_avg_pool2d: i = output height, width. */
void SFX(adaptive_avg_pool2d_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  SFX(avg_fwd)(a, x[0], y, 1);
}

void SFX(adaptive_avg_pool2d_bwd)(const glia__args *a, const REAL *const *x, const REAL *y,
                                  const REAL *aux, const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  SFX(avg_bwd)(a, dy, dx[0], 1);
}
