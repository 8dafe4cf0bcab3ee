/* PNG decoding and encoding with libpng: gray, gray+alpha, RGB, RGBA, palette, 1..16 bits. */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

#include "glia/file.h"
#include "io/internal.h"

/* 16-bit samples are kept in host order; PNG stores them big-endian. */
#define HOST_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

typedef struct png_src {
  const uint8_t *data;
  size_t size, pos;
  const char *name;
  char msg[256];
  int nomem; /* an allocation of libpng's failed */
} png_src;

/* libpng allocates through glia_malloc, so its allocations count for glia_alloc_fail_after
 * and a failure is reported as GLIA_ERR_NOMEM, not as a broken file. */
static png_voidp png_alloc(png_structp png, png_alloc_size_t n) {
  void *p = glia_malloc(n);
  if (!p) ((png_src *)png_get_mem_ptr(png))->nomem = 1;
  return p;
}
static void png_dealloc(png_structp png, png_voidp p) {
  (void)png;
  glia_free(p);
}

static void on_png_error(png_structp png, png_const_charp msg) {
  png_src *src = png_get_error_ptr(png);
  snprintf(src->msg, sizeof src->msg, "%s", msg);
  png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) {
  (void)png;
  (void)msg;
}

static void read_mem(png_structp png, png_bytep out, png_size_t n) {
  png_src *src = png_get_io_ptr(png);
  if (n > src->size - src->pos) png_error(png, "file truncated");
  memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

glia_status glia__png_decode(const uint8_t *data, size_t size, const char *name,
                             const glia_load_opts *opts, int header_only, glia__raw *raw,
                             glia_image_info *info) {
  png_src src = {data, size, 0, name, {0}, 0};
  png_structp png = NULL;
  png_infop pinfo = NULL;
  png_bytep *volatile rows = NULL;
  glia_status status = GLIA_OK;

  /* IHDR is always the first chunk: check the size it claims before libpng reads further,
   * so that a header claiming 40000×40000 is refused as too large even when the file ends
   * right after it. */
  if (size >= 24 && !memcmp(data + 12, "IHDR", 4)) {
    long long hw = (long long)data[16] << 24 | data[17] << 16 | data[18] << 8 | data[19];
    long long hh = (long long)data[20] << 24 | data[21] << 16 | data[22] << 8 | data[23];
    if (hw > 0 && hh > 0 && (status = glia__check_pixels(name, hw, hh, opts))) return status;
  }
  png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &src, on_png_error, on_png_warning, &src,
                                 png_alloc, png_dealloc);
  if (!png || !(pinfo = png_create_info_struct(png))) {
    status = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
    goto fail;
  }
  if (setjmp(png_jmpbuf(png))) {
    status = src.nomem ? glia_error(GLIA_ERR_NOMEM, "%s: out of memory decoding the PNG", name)
                       : glia_error(GLIA_ERR_FORMAT, "%s: invalid PNG: %s", name, src.msg);
    goto fail;
  }
  /* Header sizes are checked against our own limit below; lift libpng's 1e6 cap so the
   * error the user sees is ours, with the number. */
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_set_read_fn(png, &src, read_mem);
  png_read_info(png, pinfo);

  png_uint_32 w, h;
  int depth, ctype, interlace;
  png_get_IHDR(png, pinfo, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
  int trns = png_get_valid(png, pinfo, PNG_INFO_tRNS) != 0;
  info->format = GLIA_FORMAT_PNG;
  info->width = (int)w;
  info->height = (int)h;
  info->bit_depth = depth;
  info->progressive = interlace != PNG_INTERLACE_NONE;
  const char *color = "rgb";
  int channels = 3;
  switch (ctype) {
  case PNG_COLOR_TYPE_GRAY:
    color = "gray";
    channels = trns ? 4 : 1;
    break;
  case PNG_COLOR_TYPE_GRAY_ALPHA:
    color = "gray+alpha";
    channels = 4;
    break;
  case PNG_COLOR_TYPE_PALETTE:
    color = "palette";
    channels = trns ? 4 : 3;
    break;
  case PNG_COLOR_TYPE_RGB_ALPHA:
    color = "rgba";
    channels = 4;
    break;
  default: channels = trns ? 4 : 3; break;
  }
  snprintf(info->color, sizeof info->color, "%s", color);
  info->channels = channels;
  if ((status = glia__check_pixels(name, w, h, opts))) goto fail;
  if (header_only) goto done;

  if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (trns) png_set_tRNS_to_alpha(png);
  if (channels == 4 && (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA))
    png_set_gray_to_rgb(png);
  int out_depth = depth == 16 ? 16 : 8;
  if (out_depth == 16 && HOST_LITTLE_ENDIAN) png_set_swap(png); /* PNG is big-endian */
  png_set_interlace_handling(png);
  png_read_update_info(png, pinfo);
  if ((int)png_get_channels(png, pinfo) != channels) {
    status = glia_error(GLIA_ERR_INTERNAL, "%s: libpng gave %d channels, expected %d", name,
                        (int)png_get_channels(png, pinfo), channels);
    goto fail;
  }
  if ((status = glia__raw_alloc(raw, name, (int)w, (int)h, channels, out_depth))) goto fail;
  rows = glia_malloc(sizeof(png_bytep) * h);
  if (!rows) {
    status = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
    goto fail;
  }
  size_t row_bytes = (size_t)w * (size_t)channels * (size_t)(out_depth / 8);
  for (png_uint_32 y = 0; y < h; y++) rows[y] = (png_bytep)raw->data + y * row_bytes;
  png_read_image(png, rows);
  png_read_end(png, NULL);
done:
  glia_free(rows);
  png_destroy_read_struct(&png, &pinfo, NULL);
  return GLIA_OK;
fail:
  glia_free(rows);
  if (png) png_destroy_read_struct(&png, pinfo ? &pinfo : NULL, NULL);
  glia_free(raw->data);
  raw->data = NULL;
  return status;
}

/* The PNG being written, in memory. */
typedef struct png_out {
  png_src err; /* name, message, allocation failure */
  unsigned char *data;
  size_t size, cap;
} png_out;

static void write_mem(png_structp png, png_bytep in, png_size_t n) {
  png_out *o = png_get_io_ptr(png);
  if (n > o->cap - o->size) {
    size_t cap = o->cap;
    while (n > cap - o->size) {
      if (cap > SIZE_MAX / 2) png_error(png, "PNG too large");
      cap *= 2;
    }
    unsigned char *grown = glia_realloc(o->data, cap);
    if (!grown) {
      o->err.nomem = 1;
      png_error(png, "out of memory");
    }
    o->data = grown;
    o->cap = cap;
  }
  memcpy(o->data + o->size, in, n);
  o->size += n;
}

static void flush_mem(png_structp png) { (void)png; }

/* Encodes rows of `depth`-bit samples (16-bit in host order) as a PNG in memory; errors name
 * `name`. On success the caller frees *data with glia_free. */
static glia_status png_encode(const char *name, const void *pixels, int width, int height,
                              int channels, int depth, unsigned char **data, size_t *size) {
  static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                               PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  *data = NULL;
  *size = 0;
  if (!pixels || width <= 0 || height <= 0 || channels < 1 || channels > 4)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: cannot write a %d×%d image with %d channels", name,
                      width, height, channels);
  size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(depth / 8), raw;
  if (glia_mul_size(row_bytes + 1, (size_t)height, 1, &raw))
    return glia_error(GLIA_ERR_ARGUMENT, "%s: %d×%d image too large", name, width, height);
  /* Room for a typical result (half the raw size plus the headers); grown when short. */
  png_out out = {{NULL, 0, 0, name, {0}, 0}, NULL, 0, raw / 2 + 1024};
  if (!(out.data = glia_malloc(out.cap)))
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &out.err, on_png_error,
                                              on_png_warning, &out.err, png_alloc, png_dealloc);
  png_infop pinfo = png ? png_create_info_struct(png) : NULL;
  if (!png || !pinfo) {
    png_destroy_write_struct(&png, NULL);
    glia_free(out.data);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &pinfo);
    glia_free(out.data);
    if (out.err.nomem) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory writing the PNG", name);
    return glia_error(GLIA_ERR_IO, "%s: PNG write failed: %s", name, out.err.msg);
  }
  png_set_write_fn(png, &out, write_mem, flush_mem);
  /* As cv2.imwrite by default (checked on OpenCV 4.6's output: every row Sub-filtered, a
   * level-1 zlib stream equal to Z_RLE's): at level 6 zlib took about half the CPU of glia
   * preprocess (perf); libpng's adaptive filter choice (all five filters tried per row) and
   * the default strategy's string matching took 37 % of it at level 1. */
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_compression_level(png, 1);
  png_set_compression_strategy(png, Z_RLE);
  png_set_IHDR(png, pinfo, (png_uint_32)width, (png_uint_32)height, depth, types[channels],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, pinfo);
  if (depth == 16 && HOST_LITTLE_ENDIAN) png_set_swap(png);
  for (int y = 0; y < height; y++)
    png_write_row(png, (png_const_bytep)pixels + (size_t)y * row_bytes);
  png_write_end(png, pinfo);
  png_destroy_write_struct(&png, &pinfo);
  *data = out.data;
  *size = out.size;
  return GLIA_OK;
}

/* Encodes and writes atomically. */
static glia_status png_write(const char *path, const void *pixels, int width, int height,
                             int channels, int depth) {
  unsigned char *data;
  size_t size;
  glia_status s = png_encode(path, pixels, width, height, channels, depth, &data, &size);
  if (s) return s;
  s = glia_file_write(path, data, size);
  glia_free(data);
  return s;
}

glia_status glia_png_encode_u8(const uint8_t *pixels, int width, int height, int channels,
                               unsigned char **data, size_t *size) {
  if (channels == 2) {
    *data = NULL;
    *size = 0;
    return glia_error(GLIA_ERR_ARGUMENT, "PNG: 2-channel images are not written");
  }
  return png_encode("PNG", pixels, width, height, channels, 8, data, size);
}

glia_status glia_png_write_u8(const char *path, const uint8_t *pixels, int width, int height,
                              int channels) {
  if (channels == 2)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: 2-channel images are not written", path);
  return png_write(path, pixels, width, height, channels, 8);
}

glia_status glia_image_u8_save_png(const char *path, const glia_image_u8 *img) {
  return glia_png_write_u8(path, img->data, img->width, img->height, img->channels);
}

glia_status glia_image_save_png(const char *path, const glia_image *img) {
  glia_image_u8 *u = glia_image_to_u8(img);
  if (!u) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  glia_status s = glia_image_u8_save_png(path, u);
  glia_image_u8_free(u);
  return s;
}

glia_status glia_mask_save_png(const char *path, const uint8_t *mask, int width, int height) {
  size_t n;
  if (width <= 0 || height <= 0 || glia_mul_size((size_t)width, (size_t)height, 1, &n))
    return glia_error(GLIA_ERR_ARGUMENT, "%s: bad mask size %d×%d", path, width, height);
  uint8_t *buf = glia_malloc(n);
  if (!buf) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  for (size_t i = 0; i < n; i++) buf[i] = mask[i] ? 255 : 0;
  glia_status s = png_write(path, buf, width, height, 1, 8);
  glia_free(buf);
  return s;
}

glia_status glia_labels_save_png(const char *path, const int32_t *labels, int width, int height) {
  size_t n;
  if (width <= 0 || height <= 0 || glia_mul_size((size_t)width, (size_t)height, 2, &n))
    return glia_error(GLIA_ERR_ARGUMENT, "%s: bad label map size %d×%d", path, width, height);
  n /= 2;
  int32_t lo = 0, hi = 0;
  for (size_t i = 0; i < n; i++) {
    if (labels[i] < lo) lo = labels[i];
    if (labels[i] > hi) hi = labels[i];
  }
  if (lo < 0 || hi > 65535)
    return glia_error(GLIA_ERR_ARGUMENT, "%s: labels %d..%d do not fit 0..65535", path, lo, hi);
  int depth = hi > 255 ? 16 : 8;
  void *buf = glia_malloc(n * (size_t)(depth / 8));
  if (!buf) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  for (size_t i = 0; i < n; i++) {
    if (depth == 8)
      ((uint8_t *)buf)[i] = (uint8_t)labels[i];
    else
      ((uint16_t *)buf)[i] = (uint16_t)labels[i];
  }
  glia_status s = png_write(path, buf, width, height, 1, depth);
  glia_free(buf);
  return s;
}
