/* Image → tensor conversion: channel mapping, bilinear resize as torch's interpolate
 * (half-pixel centres, no antialiasing), normalisation. */
#include <stdlib.h>

#include "glia/learn.h"

/* Value of channel c (of `channels` wanted) at pixel (x, y) of img. */
static float sample(const glia_image *img, int channels, int c, int x, int y) {
  const float *p = img->data + (size_t)y * img->stride + (size_t)x * (size_t)img->channels;
  if (channels == 1 && img->channels >= 3) return 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
  if (img->channels == 1 || img->channels == 2) return p[0];
  return p[c];
}

/* Source index and weight of output i for torch's align_corners=False rule. */
static void src_index(int i, int in, int out, int *i0, int *i1, float *lambda) {
  float s = ((float)i + 0.5f) * ((float)in / (float)out) - 0.5f;
  if (s < 0) s = 0;
  *i0 = (int)s;
  *i1 = *i0 < in - 1 ? *i0 + 1 : *i0;
  *lambda = s - (float)*i0;
}

glia_status glia_image_to_tensor(const glia_image *img, int channels, int height, int width,
                                 const glia_normalize *norm, float *dst) {
  if ((channels != 1 && channels != 3) || height < 1 || width < 1)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "image_to_tensor: %d channels at %d × %d, expected 1 or 3"
                      " channels and positive sizes",
                      channels, width, height);
  const int same = img->width == width && img->height == height;
  for (int c = 0; c < channels; c++) {
    const float m = norm ? norm->mean[c] : 0.0f, sd = norm ? norm->std[c] : 1.0f;
    for (int y = 0; y < height; y++) {
      int y0 = y, y1 = y;
      float ly = 0;
      if (!same) src_index(y, img->height, height, &y0, &y1, &ly);
      for (int x = 0; x < width; x++) {
        float v;
        if (same) {
          v = sample(img, channels, c, x, y);
        } else {
          int x0, x1;
          float lx;
          src_index(x, img->width, width, &x0, &x1, &lx);
          v = (1 - ly) * ((1 - lx) * sample(img, channels, c, x0, y0) +
                          lx * sample(img, channels, c, x1, y0)) +
              ly * ((1 - lx) * sample(img, channels, c, x0, y1) +
                    lx * sample(img, channels, c, x1, y1));
        }
        dst[((size_t)c * (size_t)height + (size_t)y) * (size_t)width + (size_t)x] = (v - m) / sd;
      }
    }
  }
  return GLIA_OK;
}
