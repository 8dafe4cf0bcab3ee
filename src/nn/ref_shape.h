/* REAL-generic reference kernels: concat, slice, permute, pad, nearest and bilinear upsampling
 * (included twice by ref.c). Shape bookkeeping is shared through outer × size × inner splits. */

/* concat: 2 to 5 inputs along dim i[0]. */
void SFX(concat_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  int64_t outer, total, inner, off = 0;
  split_dim(a->out_ndim, a->out_shape, (int)a->i[0], &outer, &total, &inner);
  for (int k = 0; k < a->n_in; k++) {
    const int64_t s = a->shape[k][a->i[0]];
    for (int64_t o = 0; o < outer; o++)
      memcpy(y + (o * total + off) * inner, x[k] + o * s * inner,
             (size_t)(s * inner) * sizeof(REAL));
    off += s;
  }
}

void SFX(concat_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                     const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  int64_t outer, total, inner, off = 0;
  split_dim(a->out_ndim, a->out_shape, (int)a->i[0], &outer, &total, &inner);
  for (int k = 0; k < a->n_in; k++) {
    const int64_t s = a->shape[k][a->i[0]];
    if (dx[k])
      for (int64_t o = 0; o < outer; o++)
        for (int64_t e = 0; e < s * inner; e++)
          dx[k][o * s * inner + e] += dy[(o * total + off) * inner + e];
    off += s;
  }
}

/* slice: dim i[0], start i[1], step i[3] (the output size is set by the shape rule). */
void SFX(slice_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  int64_t outer, S, inner;
  split_dim(a->ndim[0], a->shape[0], (int)a->i[0], &outer, &S, &inner);
  const int64_t n = a->out_shape[a->i[0]], start = a->i[1], step = a->i[3];
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < n; j++)
      memcpy(y + (o * n + j) * inner, x[0] + (o * S + start + j * step) * inner,
             (size_t)inner * sizeof(REAL));
}

void SFX(slice_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                    const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  int64_t outer, S, inner;
  if (!dx[0]) return;
  split_dim(a->ndim[0], a->shape[0], (int)a->i[0], &outer, &S, &inner);
  const int64_t n = a->out_shape[a->i[0]], start = a->i[1], step = a->i[3];
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < n; j++)
      for (int64_t e = 0; e < inner; e++)
        dx[0][(o * S + start + j * step) * inner + e] += dy[(o * n + j) * inner + e];
}

/* permute: output dim d is input dim i[d] (permute_offset in ref.c). */
void SFX(permute_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t n = glia__out_numel(a);
  for (int64_t o = 0; o < n; o++) y[o] = x[0][permute_offset(a, o)];
}

void SFX(permute_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                      const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  const int64_t n = glia__out_numel(a);
  if (dx[0])
    for (int64_t o = 0; o < n; o++) dx[0][permute_offset(a, o)] += dy[o];
}

/* pad: constant f[0] around the last two dims; i = left, right, top, bottom. */
void SFX(pad_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int nd = a->ndim[0];
  const int64_t H = a->shape[0][nd - 2], W = a->shape[0][nd - 1], OH = a->out_shape[nd - 2],
                OW = a->out_shape[nd - 1], B = glia__in_numel(a, 0) / (H * W);
  const REAL v = (REAL)a->f[0];
  for (int64_t b = 0; b < B; b++)
    for (int64_t h = 0; h < OH; h++)
      for (int64_t w = 0; w < OW; w++) {
        int64_t ih = h - a->i[2], iw = w - a->i[0];
        y[(b * OH + h) * OW + w] =
            ih >= 0 && ih < H && iw >= 0 && iw < W ? x[0][(b * H + ih) * W + iw] : v;
      }
}

void SFX(pad_bwd)(const glia__args *a, const REAL *const *x, const REAL *y, const REAL *aux,
                  const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  const int nd = a->ndim[0];
  const int64_t H = a->shape[0][nd - 2], W = a->shape[0][nd - 1], OH = a->out_shape[nd - 2],
                OW = a->out_shape[nd - 1], B = glia__in_numel(a, 0) / (H * W);
  if (!dx[0]) return;
  for (int64_t b = 0; b < B; b++)
    for (int64_t h = 0; h < H; h++)
      for (int64_t w = 0; w < W; w++)
        dx[0][(b * H + h) * W + w] += dy[(b * OH + h + a->i[2]) * OW + w + a->i[0]];
}

/* upsample_nearest2d: x [N, C, H, W] → [N, C, i[0], i[1]]; source floor(dst · in/out) as torch. */
static int64_t SFX(nearest_src)(int64_t dst, int64_t in, int64_t out) {
  int64_t s = (int64_t)floorf((float)dst * ((float)in / (float)out));
  return s < in - 1 ? s : in - 1;
}

void SFX(upsample_nearest2d_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t h = 0; h < OH; h++)
      for (int64_t w = 0; w < OW; w++)
        y[(nc * OH + h) * OW + w] =
            x[0][(nc * H + SFX(nearest_src)(h, H, OH)) * W + SFX(nearest_src)(w, W, OW)];
}

void SFX(upsample_nearest2d_bwd)(const glia__args *a, const REAL *const *x, const REAL *y,
                                 const REAL *aux, const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
  if (!dx[0]) return;
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t h = 0; h < OH; h++)
      for (int64_t w = 0; w < OW; w++)
        dx[0][(nc * H + SFX(nearest_src)(h, H, OH)) * W + SFX(nearest_src)(w, W, OW)] +=
            dy[(nc * OH + h) * OW + w];
}

/* upsample_bilinear2d: i[2] = align_corners. Source index and weight as torch's
 * area_pixel_compute_source_index. */
static void SFX(bilinear_src)(int64_t dst, int64_t in, int64_t out, int align, int64_t *i0,
                              int64_t *i1, REAL *l) {
  double s;
  if (align)
    s = out > 1 ? (double)dst * (double)(in - 1) / (double)(out - 1) : 0.0;
  else {
    s = ((double)dst + 0.5) * ((double)in / (double)out) - 0.5;
    if (s < 0) s = 0;
  }
  *i0 = (int64_t)s;
  *i1 = *i0 < in - 1 ? *i0 + 1 : *i0;
  *l = (REAL)(s - (double)*i0);
}

void SFX(upsample_bilinear2d_fwd)(const glia__args *a, const REAL *const *x, REAL *y, REAL *aux) {
  (void)aux;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
  const int al = (int)a->i[2];
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t h = 0; h < OH; h++) {
      int64_t h0, h1;
      REAL lh;
      SFX(bilinear_src)(h, H, OH, al, &h0, &h1, &lh);
      for (int64_t w = 0; w < OW; w++) {
        int64_t w0, w1;
        REAL lw;
        SFX(bilinear_src)(w, W, OW, al, &w0, &w1, &lw);
        const REAL *p = x[0] + nc * H * W;
        y[(nc * OH + h) * OW + w] = (1 - lh) * ((1 - lw) * p[h0 * W + w0] + lw * p[h0 * W + w1]) +
                                    lh * ((1 - lw) * p[h1 * W + w0] + lw * p[h1 * W + w1]);
      }
    }
}

void SFX(upsample_bilinear2d_bwd)(const glia__args *a, const REAL *const *x, const REAL *y,
                                  const REAL *aux, const REAL *dy, REAL *const *dx) {
  (void)x;
  (void)y;
  (void)aux;
  const int64_t NC = a->shape[0][0] * a->shape[0][1], H = a->shape[0][2], W = a->shape[0][3];
  const int64_t OH = a->out_shape[2], OW = a->out_shape[3];
  const int al = (int)a->i[2];
  if (!dx[0]) return;
#pragma omp parallel for schedule(static)
  for (int64_t nc = 0; nc < NC; nc++)
    for (int64_t h = 0; h < OH; h++) {
      int64_t h0, h1;
      REAL lh;
      SFX(bilinear_src)(h, H, OH, al, &h0, &h1, &lh);
      for (int64_t w = 0; w < OW; w++) {
        int64_t w0, w1;
        REAL lw, g = dy[(nc * OH + h) * OW + w];
        SFX(bilinear_src)(w, W, OW, al, &w0, &w1, &lw);
        REAL *p = dx[0] + nc * H * W;
        p[h0 * W + w0] += (1 - lh) * (1 - lw) * g;
        p[h0 * W + w1] += (1 - lh) * lw * g;
        p[h1 * W + w0] += lh * (1 - lw) * g;
        p[h1 * W + w1] += lh * lw * g;
      }
    }
}
