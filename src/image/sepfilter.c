/* Separable correlation, streamed one output row at a time: the column taps are summed into
 * a row buffer (padded by the border rule), then the row taps; both inner loops run over
 * contiguous memory and vectorise. Only O(width) scratch per thread. */
#include <string.h>

#include "image/internal.h"

static glia_status sep_filter(const void *src, int src_u8, void *dst, int dst_u8, int width,
                              int height, const double *kx, int nx, const double *ky, int ny,
                              glia__border border) {
  int rx = nx / 2, ry = ny / 2, fail = 0;
  size_t n = (size_t)width * height, esz = src_u8 ? 1 : sizeof(float);
  const void *in = src;
  void *copy = NULL;
  if (src == dst) { /* rows are read after earlier rows were written: work from a copy */
    copy = glia_malloc(n * esz);
    if (!copy) return glia_error(GLIA_ERR_NOMEM, "filter: out of memory for %d×%d", width, height);
    memcpy(copy, src, n * esz);
    in = copy;
  }
  float fkx[1025], fky[1025];
  if (nx > 1025 || ny > 1025) {
    glia_free(copy);
    return glia_error(GLIA_ERR_ARGUMENT, "filter: %d×%d taps, at most 1025", nx, ny);
  }
  for (int k = 0; k < nx; k++) fkx[k] = (float)kx[k];
  for (int k = 0; k < ny; k++) fky[k] = (float)ky[k];
#pragma omp parallel GLIA__PAR(width, height)
  {
    float *buf = glia_malloc(((size_t)width * 2 + 2 * (size_t)rx) * sizeof(float));
#pragma omp for schedule(static)
    for (int y = 0; y < height; y++) {
      if (!buf) continue;
      float *b = buf + rx, *o = buf + width + 2 * rx;
      memset(b, 0, (size_t)width * sizeof(float));
      for (int k = 0; k < ny; k++) {
        size_t row = (size_t)glia__border_index(y - ry + k, height, border) * width;
        float w = fky[k];
        if (src_u8) {
          const uint8_t *s = (const uint8_t *)in + row;
          for (int x = 0; x < width; x++) b[x] += w * (float)s[x];
        } else {
          const float *s = (const float *)in + row;
          for (int x = 0; x < width; x++) b[x] += w * s[x];
        }
      }
      for (int i = 1; i <= rx; i++) {
        b[-i] = b[glia__border_index(-i, width, border)];
        b[width - 1 + i] = b[glia__border_index(width - 1 + i, width, border)];
      }
      memset(o, 0, (size_t)width * sizeof(float));
      for (int k = 0; k < nx; k++) {
        const float *bk = b - rx + k;
        float w = fkx[k];
        for (int x = 0; x < width; x++) o[x] += w * bk[x];
      }
      if (dst_u8) {
        uint8_t *d = (uint8_t *)dst + (size_t)y * width;
        for (int x = 0; x < width; x++) d[x] = glia__sat_u8f(o[x]);
      } else {
        memcpy((float *)dst + (size_t)y * width, o, (size_t)width * sizeof(float));
      }
    }
    if (!buf) {
#pragma omp atomic write
      fail = 1;
    }
    glia_free(buf);
  }
  glia_free(copy);
  return fail ? glia_error(GLIA_ERR_NOMEM, "filter: out of memory for row buffers") : GLIA_OK;
}

glia_status glia__sep_filter_f32(const float *src, float *dst, int width, int height,
                                 const double *kx, int nx, const double *ky, int ny,
                                 glia__border border) {
  return sep_filter(src, 0, dst, 0, width, height, kx, nx, ky, ny, border);
}

glia_status glia__sep_filter_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                                const double *kx, int nx, const double *ky, int ny,
                                glia__border border) {
  return sep_filter(src, 1, dst, 1, width, height, kx, nx, ky, ny, border);
}
