/* glia learn: where images meet tensors (the nn layer never includes image headers). */
#ifndef GLIA_LEARN_H
#define GLIA_LEARN_H

#include "glia/core.h"
#include "glia/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-channel normalisation (x - mean) / std of values in [0, 1]. */
typedef struct glia_normalize {
  float mean[4], std[4];
} glia_normalize;
/* ImageNet statistics (torchvision's transforms.Normalize for pretrained models). */
#define GLIA_NORMALIZE_IMAGENET                                                                    \
  {                                                                                                \
    {0.485f, 0.456f, 0.406f, 0.485f}, { 0.229f, 0.224f, 0.225f, 0.229f }                           \
  }
/* Identity: values stay in [0, 1]. */
#define GLIA_NORMALIZE_NONE                                                                        \
  {                                                                                                \
    {0, 0, 0, 0}, { 1, 1, 1, 1 }                                                                   \
  }

/* Writes img into dst as a [channels, height, width] float block (PyTorch order). Channels:
 * gray → replicated for 3; RGBA → alpha dropped; RGB → gray by ITU-R 601 luma
 * (0.299 R + 0.587 G + 0.114 B) when channels is 1. An image already height × width goes in
 * unresized; others are resized by bilinear interpolation with half-pixel centres, exactly
 * torch.nn.functional.interpolate(mode="bilinear", align_corners=False, antialias=False).
 * Errors: ARGUMENT (channels not 1 or 3, sizes < 1). */
GLIA_API glia_status glia_image_to_tensor(const glia_image *img, int channels, int height,
                                          int width, const glia_normalize *norm, float *dst);

#ifdef __cplusplus
}
#endif
#endif
