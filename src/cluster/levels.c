/* Grey levels: quantising an image and counting its distinct levels. */
#include <math.h>
#include <string.h>

#include "cluster/internal.h"

glia_status glia_image_gray_levels(const glia_image *img, int bits, uint16_t *q) {
  if (!img || !img->data || !q) return glia_error(GLIA_ERR_ARGUMENT, "gray levels: NULL image");
  if (bits != 8 && bits != 16)
    return glia_error(GLIA_ERR_ARGUMENT, "gray levels: bits %d, expected 8 or 16", bits);
  int c = img->channels;
  if (c != 1 && c != 3 && c != 4)
    return glia_error(GLIA_ERR_ARGUMENT, "gray levels: %d channels, expected 1, 3 or 4", c);
  const double top = bits == 8 ? 255.0 : 65535.0;
  for (int y = 0; y < img->height; y++) {
    const float *row = img->data + (size_t)y * img->stride;
    uint16_t *out = q + (size_t)y * (size_t)img->width;
    for (int x = 0; x < img->width; x++) {
      const float *p = row + (size_t)x * (size_t)c;
      double v = c == 1 ? p[0] : 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
      v = floor(v * top + 0.5);
      out[x] = (uint16_t)(v < 0 ? 0 : v > top ? top : v);
    }
  }
  return GLIA_OK;
}

static glia_status levels_alloc(int n, int bits, glia_levels **out) {
  glia_levels *lv = glia_calloc(1, sizeof *lv);
  if (!lv) return glia_error(GLIA_ERR_NOMEM, "levels: out of memory");
  lv->n = n;
  lv->bits = bits;
  lv->value = glia_malloc(sizeof(double) * (size_t)(n ? n : 1));
  lv->weight = glia_malloc(sizeof(double) * (size_t)(n ? n : 1));
  lv->bin = glia_malloc(sizeof(int) * (size_t)(n ? n : 1));
  if (!lv->value || !lv->weight || !lv->bin) {
    glia_levels_free(lv);
    return glia_error(GLIA_ERR_NOMEM, "levels: out of memory for %d levels", n);
  }
  *out = lv;
  return GLIA_OK;
}

glia_status glia_levels_from_hist(const double *hist, int nbins, double scale, glia_levels **out) {
  if (!hist || !out || nbins < 1 || nbins > 65536 || !(scale > 0) || !isfinite(scale))
    return glia_error(GLIA_ERR_ARGUMENT, "levels: %d bins, scale %g (expected 1..65536, > 0)",
                      nbins, scale);
  *out = NULL;
  int n = 0;
  for (int b = 0; b < nbins; b++) {
    if (!isfinite(hist[b]) || hist[b] < 0)
      return glia_error(GLIA_ERR_ARGUMENT, "levels: bin %d holds %g, expected a count >= 0", b,
                        hist[b]);
    n += hist[b] > 0;
  }
  glia_levels *lv = NULL;
  glia_status s = levels_alloc(n, nbins > 256 ? 16 : 8, &lv);
  if (s) return s;
  int i = 0;
  for (int b = 0; b < nbins; b++) {
    if (hist[b] > 0) {
      lv->value[i] = b * scale;
      lv->weight[i] = hist[b];
      lv->bin[i] = b;
      lv->total += hist[b];
      i++;
    }
  }
  *out = lv;
  return GLIA_OK;
}

glia_status glia_levels_from_pixels(const uint16_t *q, const uint8_t *mask, size_t n, int bits,
                                    glia_levels **out) {
  if (!out || (!q && n)) return glia_error(GLIA_ERR_ARGUMENT, "levels: NULL pixels");
  if (bits != 8 && bits != 16)
    return glia_error(GLIA_ERR_ARGUMENT, "levels: bits %d, expected 8 or 16", bits);
  int nbins = 1 << bits;
  double *hist = glia_calloc((size_t)nbins, sizeof *hist);
  if (!hist) return glia_error(GLIA_ERR_NOMEM, "levels: out of memory");
  for (size_t i = 0; i < n; i++)
    if (!mask || mask[i]) hist[q[i]] += 1.0;
  glia_status s = glia_levels_from_hist(hist, nbins, 255.0 / (nbins - 1), out);
  glia_free(hist);
  if (!s && *out) (*out)->bits = bits;
  return s;
}

void glia_levels_free(glia_levels *lv) {
  if (!lv) return;
  glia_free(lv->value);
  glia_free(lv->weight);
  glia_free(lv->bin);
  glia_free(lv);
}
