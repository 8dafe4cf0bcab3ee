/* Shared inside src/io: the codecs' common decoded form. */
#ifndef GLIA_IO_INTERNAL_H
#define GLIA_IO_INTERNAL_H

#include "glia/image.h"

/* Decoded samples as stored: depth 8 (uint8_t) or 16 (uint16_t, host order), interleaved,
 * rows packed, channels 1, 3 or 4. */
typedef struct glia__raw {
  int width, height, channels, depth;
  void *data; /* glia_malloc'ed */
} glia__raw;

/* Each codec fills `info` from the header, checks the pixel limit, then (unless header_only)
 * decodes into `raw`. Errors name `name`. */
glia_status glia__jpeg_decode(const uint8_t *data, size_t size, const char *name,
                              const glia_load_opts *opts, int header_only, glia__raw *raw,
                              glia_image_info *info);
glia_status glia__png_decode(const uint8_t *data, size_t size, const char *name,
                             const glia_load_opts *opts, int header_only, glia__raw *raw,
                             glia_image_info *info);
glia_status glia__tiff_decode(const uint8_t *data, size_t size, const char *name,
                              const glia_load_opts *opts, int header_only, glia__raw *raw,
                              glia_image_info *info);

/* Checks width × height against the limit; records "NAME: W × H pixels exceeds ...". */
glia_status glia__check_pixels(const char *name, long long width, long long height,
                               const glia_load_opts *opts);

/* Allocates raw->data for the given shape with overflow checks. */
glia_status glia__raw_alloc(glia__raw *raw, const char *name, int width, int height, int channels,
                            int depth);

#endif
