/* glia images: the float image type, decoding (JPEG, PNG, TIFF) and PNG writing. */
#ifndef GLIA_IMAGE_H
#define GLIA_IMAGE_H

#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A float32 image, H×W×C interleaved (C = 1, 3 or 4), values in [0,1] after decoding.
 * Pixel (x, y), channel c is data[y * stride + x * channels + c]; stride is in floats. */
typedef struct glia_image {
  int width, height, channels;
  size_t stride;
  float *data; /* owned */
} glia_image;

/* An 8-bit image, H×W×C interleaved, rows packed (stride = width × channels bytes). */
typedef struct glia_image_u8 {
  int width, height, channels;
  uint8_t *data; /* owned */
} glia_image_u8;

/* New zeroed image; NULL on bad sizes or no memory (error recorded). Caller frees. */
GLIA_API glia_image *glia_image_new(int width, int height, int channels);
GLIA_API void glia_image_free(glia_image *img);
GLIA_API glia_image_u8 *glia_image_u8_new(int width, int height, int channels);
GLIA_API void glia_image_u8_free(glia_image_u8 *img);

typedef enum glia_format {
  GLIA_FORMAT_UNKNOWN = 0,
  GLIA_FORMAT_JPEG = 1,
  GLIA_FORMAT_PNG = 2,
  GLIA_FORMAT_TIFF = 3,
} glia_format;

/* "jpeg", "png", "tiff" or "unknown". */
GLIA_API const char *glia_format_name(glia_format f);

/* The format the bytes hold (by signature, never by file name). */
GLIA_API glia_format glia_format_sniff(const uint8_t *data, size_t size);

/* What a file holds, as stored and as decoded. */
typedef struct glia_image_info {
  glia_format format;
  int width, height;
  int channels;    /* channels after decoding: 1, 3 or 4 */
  int bit_depth;   /* bits per stored sample: 8 or 16 (1, 2, 4 for small PNGs) */
  int progressive; /* JPEG: progressive; PNG: interlaced */
  char color[12];  /* as stored: "gray", "gray+alpha", "rgb", "rgba", "palette",
                      "cmyk", "ycck", "ycbcr", "unknown" */
} glia_image_info;

/* Decoding options. */
typedef struct glia_load_opts {
  int64_t max_pixels; /* refuse images whose header claims more pixels (default 50e6) */
} glia_load_opts;
#define GLIA_LOAD_DEFAULTS                                                                         \
  { 50000000 }

/* Reads only the header of an image in memory. `name` is used in error messages. */
GLIA_API glia_status glia_image_probe(const uint8_t *data, size_t size, const char *name,
                                      glia_image_info *info);

/* Decodes an image in memory to 8 bits per sample: gray → 1 channel, gray+alpha and RGBA
 * → 4 (gray replicated), palette and RGB → 3 (4 with transparency), CMYK/YCCK JPEG → RGB,
 * 16-bit samples rounded to 8 bits (round(v · 255 / 65535)). TIFF: 8/16-bit gray,
 * gray+alpha, RGB and RGBA in strips or tiles are read as stored; other layouts (palette,
 * YCbCr, CMYK, planar, 1/2/4-bit, other orientations) through libtiff's RGBA reader, as
 * 8-bit gray, RGB, or RGBA with libtiff's premultiplied alpha. The format is found from the
 * bytes, never from `name`. The header's size is checked against opts->max_pixels (NULL:
 * GLIA_LOAD_DEFAULTS) before any pixel is decoded. A truncated file is an error, not a
 * grey-filled image. Errors (GLIA_ERR_FORMAT, _UNSUPPORTED, _TOO_LARGE, _NOMEM) name
 * `name`. On success *out is a new image (caller frees), else NULL; `info` may be NULL. */
GLIA_API glia_status glia_image_decode_u8(const uint8_t *data, size_t size, const char *name,
                                          const glia_load_opts *opts, glia_image_u8 **out,
                                          glia_image_info *info);

/* As glia_image_decode_u8 but to float in [0,1] (16-bit samples keep their precision). */
GLIA_API glia_status glia_image_decode(const uint8_t *data, size_t size, const char *name,
                                       const glia_load_opts *opts, glia_image **out,
                                       glia_image_info *info);

/* Reads and decodes a file (glia_file_read + glia_image_decode). Caller frees *out. */
GLIA_API glia_status glia_image_load(const char *path, const glia_load_opts *opts, glia_image **out,
                                     glia_image_info *info);
GLIA_API glia_status glia_image_load_u8(const char *path, const glia_load_opts *opts,
                                        glia_image_u8 **out, glia_image_info *info);

/* Converts between float and 8-bit images (round to nearest, clamp to [0,255]). */
GLIA_API glia_image_u8 *glia_image_to_u8(const glia_image *img);
GLIA_API glia_image *glia_image_from_u8(const glia_image_u8 *img);

/* Writes an 8-bit PNG (gray, RGB or RGBA by the number of channels), atomically. */
GLIA_API glia_status glia_png_write_u8(const char *path, const uint8_t *pixels, int width,
                                       int height, int channels);
GLIA_API glia_status glia_image_save_png(const char *path, const glia_image *img);
GLIA_API glia_status glia_image_u8_save_png(const char *path, const glia_image_u8 *img);

/* Encodes an 8-bit PNG (gray, RGB or RGBA by the number of channels) in memory, the bytes
 * glia_png_write_u8 writes: *data (caller frees with glia_free) holds *size bytes. */
GLIA_API glia_status glia_png_encode_u8(const uint8_t *pixels, int width, int height, int channels,
                                        unsigned char **data, size_t *size);

/* Writes a binary mask (nonzero → 255) as an 8-bit gray PNG. */
GLIA_API glia_status glia_mask_save_png(const char *path, const uint8_t *mask, int width,
                                        int height);

/* Writes a label map as a gray PNG holding the labels themselves: 8-bit when every label is
 * in 0..255, else 16-bit (labels must be in 0..65535). */
GLIA_API glia_status glia_labels_save_png(const char *path, const int32_t *labels, int width,
                                          int height);

#ifdef __cplusplus
}
#endif
#endif
