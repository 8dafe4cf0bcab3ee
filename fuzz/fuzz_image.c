/* libFuzzer target for the image decoders (JPEG, PNG, TIFF): arbitrary bytes through
 * glia_image_probe, glia_image_decode_u8 and, for small images, glia_image_decode. Nothing
 * may crash, leak or read out of bounds, and whatever decodes must agree with its header.
 * Seeds: fuzz/corpus/fuzz_image/ (written by tests/fixtures/images/gen_images.py). */
#include <stdint.h>
#include <stdlib.h>

#include "glia/image.h"

/* 4 megapixels: big enough for every seed, small enough that libFuzzer's default 2 GB RSS
 * limit is never reached by a header that merely claims a large image. */
#define FUZZ_MAX_PIXELS 4000000

static void check(int ok) {
  if (!ok) abort(); /* an invariant broke: libFuzzer reports the input */
}

static volatile unsigned sink; /* keeps the pixel reads from being optimised away */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  glia_image_info probe, info;
  glia_status ps = glia_image_probe(data, size, "fuzz-input", &probe);
  glia_load_opts o = GLIA_LOAD_DEFAULTS;
  o.max_pixels = FUZZ_MAX_PIXELS;
  glia_image_u8 *u = NULL;
  glia_status s = glia_image_decode_u8(data, size, "fuzz-input", &o, &u, &info);
  if (s != GLIA_OK) {
    check(u == NULL);
    return 0;
  }
  check(ps == GLIA_OK); /* what decodes has a readable header */
  check(u->width == info.width && u->height == info.height && u->channels == info.channels);
  check(probe.width == info.width && probe.height == info.height &&
        probe.channels == info.channels && probe.format == info.format);
  check(u->channels == 1 || u->channels == 3 || u->channels == 4);
  check((int64_t)u->width * u->height <= FUZZ_MAX_PIXELS);
  /* read every pixel: AddressSanitizer then sees a buffer shorter than its header says */
  size_t n = (size_t)u->width * (size_t)u->height * (size_t)u->channels;
  unsigned sum = 0;
  for (size_t i = 0; i < n; i++) sum += u->data[i];
  glia_image_u8_free(u);
  if (n <= 65536) { /* the float path too, where it is cheap */
    glia_image *f = NULL;
    check(glia_image_decode(data, size, "fuzz-input", &o, &f, NULL) == GLIA_OK);
    for (size_t i = 0; i < n; i++) check(f->data[i] >= 0.0f && f->data[i] <= 1.0f);
    glia_image_free(f);
  }
  sink = sum;
  return 0;
}
