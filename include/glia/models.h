/* glia models: architectures as C functions over a parameter table keyed by PyTorch
 * state_dict names, so torchvision weights converted to safetensors load directly. */
#ifndef GLIA_MODELS_H
#define GLIA_MODELS_H

#include "glia/core.h"
#include "glia/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glia_model glia_model;

/* A new model of architecture `arch` with zeroed weights:
 *  "resnet18": torchvision.models.resnet18 (BasicBlock ×[2, 2, 2, 2], same module names);
 *  "cnn": the study's small CNN, features = 4 × (conv3×3 pad 1, BatchNorm, ReLU, MaxPool 2)
 *         with 32, 64, 128, 256 channels, then global average pooling and classifier =
 *         Linear(256, classes); names features.{4i}.weight/bias, features.{4i+1}.*,
 *         classifier.*.
 * in_channels >= 1, classes >= 1. Caller frees. Errors: ARGUMENT (unknown arch, listing the
 * known ones), NOMEM. */
GLIA_API glia_status glia_model_new(const char *arch, int in_channels, int classes,
                                    glia_model **out);
GLIA_API void glia_model_free(glia_model *m);

/* The model's weights and buffers (owned by the model). */
GLIA_API glia_params *glia_model_params(glia_model *m);

/* Initialises the weights as the PyTorch module does (torchvision's ResNet: Kaiming normal,
 * fan_out, for convolutions; BatchNorm weight 1, bias 0; Linear: U(±1/sqrt(fan_in))),
 * drawing from the context's random stream. */
GLIA_API void glia_model_init(glia_model *m, glia_nn *nn);

/* Logits [N, classes] of a batch x [N, in_channels, H, W] (arena tensor). Batch norm follows
 * the context's training flag. */
GLIA_API glia_status glia_model_forward(glia_model *m, glia_nn *nn, glia_tensor *x,
                                        glia_tensor **logits);

/* Multiply-adds × 2 of one image's forward pass at H × W (convolutions and linear layers). */
GLIA_API double glia_model_flops(const glia_model *m, int height, int width);

/* Comma-separated list of the architectures glia_model_new knows. */
GLIA_API const char *glia_model_archs(void);

#ifdef __cplusplus
}
#endif
#endif
