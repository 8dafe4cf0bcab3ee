/* The image types, format sniffing and the decode entry points. */
#include <limits.h>
#include <string.h>

#include "glia/file.h"
#include "io/internal.h"

glia_image *glia_image_new(int width, int height, int channels) {
  size_t n;
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4 ||
      glia_mul_size((size_t)width, (size_t)height, (size_t)channels, &n) ||
      n > ((size_t)1 << 34) / sizeof(float)) {
    glia_error(GLIA_ERR_ARGUMENT, "bad image size %d×%d×%d", width, height, channels);
    return NULL;
  }
  glia_image *img = glia_calloc(1, sizeof *img);
  float *data = glia_calloc(n, sizeof(float));
  if (!img || !data) {
    glia_free(img);
    glia_free(data);
    glia_error(GLIA_ERR_NOMEM, "out of memory for a %d×%d×%d image", width, height, channels);
    return NULL;
  }
  img->width = width;
  img->height = height;
  img->channels = channels;
  img->stride = (size_t)width * (size_t)channels;
  img->data = data;
  return img;
}

void glia_image_free(glia_image *img) {
  if (!img) return;
  glia_free(img->data);
  glia_free(img);
}

glia_image_u8 *glia_image_u8_new(int width, int height, int channels) {
  size_t n;
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4 ||
      glia_mul_size((size_t)width, (size_t)height, (size_t)channels, &n)) {
    glia_error(GLIA_ERR_ARGUMENT, "bad image size %d×%d×%d", width, height, channels);
    return NULL;
  }
  glia_image_u8 *img = glia_calloc(1, sizeof *img);
  uint8_t *data = glia_calloc(n, 1);
  if (!img || !data) {
    glia_free(img);
    glia_free(data);
    glia_error(GLIA_ERR_NOMEM, "out of memory for a %d×%d×%d image", width, height, channels);
    return NULL;
  }
  img->width = width;
  img->height = height;
  img->channels = channels;
  img->data = data;
  return img;
}

void glia_image_u8_free(glia_image_u8 *img) {
  if (!img) return;
  glia_free(img->data);
  glia_free(img);
}

const char *glia_format_name(glia_format f) {
  switch (f) {
  case GLIA_FORMAT_JPEG: return "jpeg";
  case GLIA_FORMAT_PNG: return "png";
  case GLIA_FORMAT_TIFF: return "tiff";
  default: return "unknown";
  }
}

glia_format glia_format_sniff(const uint8_t *d, size_t n) {
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return GLIA_FORMAT_JPEG;
  if (n >= 8 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8)) return GLIA_FORMAT_PNG;
  if (n >= 4 && (!memcmp(d, "II*\0", 4) || !memcmp(d, "MM\0*", 4) || !memcmp(d, "II+\0", 4) ||
                 !memcmp(d, "MM\0+", 4)))
    return GLIA_FORMAT_TIFF;
  return GLIA_FORMAT_UNKNOWN;
}

glia_status glia__check_pixels(const char *name, long long width, long long height,
                               const glia_load_opts *opts) {
  long long limit = opts && opts->max_pixels > 0 ? opts->max_pixels : 50000000LL;
  if (width <= 0 || height <= 0)
    return glia_error(GLIA_ERR_FORMAT, "%s: header claims %lld×%lld pixels", name, width, height);
  if (width > INT_MAX || height > INT_MAX) /* TIFF sides are 32-bit; glia's sizes are int */
    return glia_error(GLIA_ERR_TOO_LARGE, "%s: %lld×%lld pixels: sides over %d are not supported",
                      name, width, height, INT_MAX);
  /* height > limit / width, not width * height > limit, which could overflow */
  if (width > limit || height > limit / width)
    return glia_error(GLIA_ERR_TOO_LARGE,
                      "%s: %lld×%lld pixels exceeds the limit of %lld pixels (--max-pixels)", name,
                      width, height, limit);
  return GLIA_OK;
}

glia_status glia__raw_alloc(glia__raw *raw, const char *name, int width, int height, int channels,
                            int depth) {
  size_t n;
  raw->data = NULL;
  if (glia_mul_size((size_t)width * (size_t)height, (size_t)channels, (size_t)depth / 8, &n))
    return glia_error(GLIA_ERR_NOMEM, "%s: image size overflows", name);
  if (!(raw->data = glia_malloc(n)))
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for %d×%d pixels", name, width, height);
  raw->width = width;
  raw->height = height;
  raw->channels = channels;
  raw->depth = depth;
  return GLIA_OK;
}

static glia_status decode_raw(const uint8_t *data, size_t size, const char *name,
                              const glia_load_opts *opts, int header_only, glia__raw *raw,
                              glia_image_info *info) {
  memset(info, 0, sizeof *info);
  memset(raw, 0, sizeof *raw);
  if (size == 0) return glia_error(GLIA_ERR_FORMAT, "%s: empty file (0 bytes)", name);
  switch (glia_format_sniff(data, size)) {
  case GLIA_FORMAT_JPEG: return glia__jpeg_decode(data, size, name, opts, header_only, raw, info);
  case GLIA_FORMAT_PNG: return glia__png_decode(data, size, name, opts, header_only, raw, info);
  case GLIA_FORMAT_TIFF: return glia__tiff_decode(data, size, name, opts, header_only, raw, info);
  default:
    return glia_error(GLIA_ERR_FORMAT,
                      "%s: not a JPEG, PNG or TIFF file (unrecognised signature, %zu bytes)", name,
                      size);
  }
}

glia_status glia_image_probe(const uint8_t *data, size_t size, const char *name,
                             glia_image_info *info) {
  glia__raw raw;
  glia_load_opts unlimited = {INT64_MAX};
  return decode_raw(data, size, name, &unlimited, 1, &raw, info);
}

glia_status glia_image_decode_u8(const uint8_t *data, size_t size, const char *name,
                                 const glia_load_opts *opts, glia_image_u8 **out,
                                 glia_image_info *info) {
  glia_image_info local;
  glia__raw raw;
  *out = NULL;
  glia_status s = decode_raw(data, size, name, opts, 0, &raw, info ? info : &local);
  if (s) return s;
  glia_image_u8 *img = glia_calloc(1, sizeof *img);
  if (!img) {
    glia_free(raw.data);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  }
  img->width = raw.width;
  img->height = raw.height;
  img->channels = raw.channels;
  if (raw.depth == 16) { /* round 16 → 8 bits in place: v8 = round(v16 · 255 / 65535) */
    size_t n = (size_t)raw.width * raw.height * raw.channels;
    const uint16_t *src = raw.data;
    uint8_t *dst = raw.data;
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(((uint32_t)src[i] * 255u + 32767u) / 65535u);
    void *shrunk = glia_realloc(raw.data, n); /* give back the upper half; keep it on failure */
    if (shrunk) raw.data = shrunk;
  }
  img->data = raw.data;
  *out = img;
  return GLIA_OK;
}

glia_status glia_image_decode(const uint8_t *data, size_t size, const char *name,
                              const glia_load_opts *opts, glia_image **out, glia_image_info *info) {
  glia_image_info local;
  glia__raw raw;
  *out = NULL;
  glia_status s = decode_raw(data, size, name, opts, 0, &raw, info ? info : &local);
  if (s) return s;
  glia_image *img = glia_image_new(raw.width, raw.height, raw.channels);
  if (!img) {
    glia_free(raw.data);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  }
  size_t n = (size_t)raw.width * raw.height * raw.channels;
  if (raw.depth == 16) {
    const uint16_t *src = raw.data;
    for (size_t i = 0; i < n; i++) img->data[i] = (float)src[i] * (1.0f / 65535.0f);
  } else {
    const uint8_t *src = raw.data;
    for (size_t i = 0; i < n; i++) img->data[i] = (float)src[i] * (1.0f / 255.0f);
  }
  glia_free(raw.data);
  *out = img;
  return GLIA_OK;
}

glia_status glia_image_load(const char *path, const glia_load_opts *opts, glia_image **out,
                            glia_image_info *info) {
  unsigned char *buf;
  size_t n;
  *out = NULL;
  glia_status s = glia_file_read(path, 0, &buf, &n);
  if (s) return s;
  s = glia_image_decode(buf, n, path, opts, out, info);
  glia_free(buf);
  return s;
}

glia_status glia_image_load_u8(const char *path, const glia_load_opts *opts, glia_image_u8 **out,
                               glia_image_info *info) {
  unsigned char *buf;
  size_t n;
  *out = NULL;
  glia_status s = glia_file_read(path, 0, &buf, &n);
  if (s) return s;
  s = glia_image_decode_u8(buf, n, path, opts, out, info);
  glia_free(buf);
  return s;
}

glia_image_u8 *glia_image_to_u8(const glia_image *img) {
  glia_image_u8 *u = glia_image_u8_new(img->width, img->height, img->channels);
  if (!u) return NULL;
  size_t row = (size_t)img->width * img->channels;
  for (int y = 0; y < img->height; y++) {
    const float *s = img->data + (size_t)y * img->stride;
    uint8_t *d = u->data + (size_t)y * row;
    for (size_t i = 0; i < row; i++) {
      float v = s[i] * 255.0f + 0.5f;
      d[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
    }
  }
  return u;
}

glia_image *glia_image_from_u8(const glia_image_u8 *u) {
  glia_image *img = glia_image_new(u->width, u->height, u->channels);
  if (!img) return NULL;
  size_t n = (size_t)u->width * u->height * u->channels;
  for (size_t i = 0; i < n; i++) img->data[i] = (float)u->data[i] * (1.0f / 255.0f);
  return img;
}
