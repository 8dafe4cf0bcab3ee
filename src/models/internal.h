/* Internals of src/models shared between its files. */
#ifndef GLIA_MODELS_INTERNAL_H
#define GLIA_MODELS_INTERNAL_H

#include "glia/models.h"

/* A convolution followed by batch norm, by state_dict prefix. */
typedef struct glia__conv_bn {
  glia_tensor *w, *b; /* conv weight, bias (NULL: none) */
  glia_tensor *bn_w, *bn_b, *bn_m, *bn_v;
  glia_conv2d_opts o;
} glia__conv_bn;

/* Declares "<conv>.weight" [out, in, k, k] (and "<conv>.bias" when bias) and "<bn>.weight",
 * ".bias", ".running_mean", ".running_var" [out]. */
glia_status glia__conv_bn_add(glia_params *p, glia__conv_bn *c, const char *conv, const char *bn,
                              int in, int out, int k, int stride, int padding, int bias);
/* conv → batch norm (→ ReLU when relu). */
glia_status glia__conv_bn_run(glia_nn *nn, const glia__conv_bn *c, glia_tensor *x, int relu,
                              glia_tensor **out);
/* Sets BN weights and running variances to 1 (after finalize; PyTorch's defaults). */
void glia__conv_bn_defaults(const glia__conv_bn *c);
/* Kaiming normal, fan_out, ReLU gain (torchvision ResNet) for the conv weight. */
void glia__kaiming_fan_out(glia_nn *nn, glia_tensor *w);
/* PyTorch's default Linear/Conv init: U(±1/sqrt(fan_in)) for weight and bias. */
void glia__default_init(glia_nn *nn, glia_tensor *w, glia_tensor *b);
/* FLOPs (2 × multiply-adds) of a k × k convolution at output oh × ow. */
double glia__conv_flops(int in, int out, int k, int oh, int ow);

#endif
