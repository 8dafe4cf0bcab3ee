/* TIFF decoding with libtiff from memory: 8/16-bit gray and RGB (strips or tiles), any
 * compression libtiff has; other layouts through libtiff's RGBA reader. */
#include <stdio.h>
#include <string.h>

#include <tiffio.h>

#include "io/internal.h"

typedef struct tiff_src {
  const uint8_t *data;
  toff_t size, pos;
  char msg[256];
} tiff_src;

static tsize_t t_read(thandle_t h, tdata_t buf, tsize_t n) {
  tiff_src *s = (tiff_src *)h;
  if (n < 0) return -1;
  toff_t left = s->pos < s->size ? s->size - s->pos : 0;
  toff_t k = (toff_t)n < left ? (toff_t)n : left;
  memcpy(buf, s->data + s->pos, (size_t)k);
  s->pos += k;
  return (tsize_t)k;
}
static tsize_t t_write(thandle_t h, tdata_t buf, tsize_t n) {
  (void)h;
  (void)buf;
  (void)n;
  return -1;
}
static toff_t t_seek(thandle_t h, toff_t off, int whence) {
  tiff_src *s = (tiff_src *)h;
  toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : s->size;
  s->pos = base + off;
  return s->pos;
}
static int t_close(thandle_t h) {
  (void)h;
  return 0;
}
static toff_t t_size(thandle_t h) { return ((tiff_src *)h)->size; }

static int on_tiff_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif;
  (void)module;
  tiff_src *s = user;
  if (!s->msg[0]) vsnprintf(s->msg, sizeof s->msg, fmt, ap);
  return 1;
}
static int on_tiff_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
  (void)tif;
  (void)user;
  (void)module;
  (void)fmt;
  (void)ap;
  return 1; /* handled: keep libtiff quiet */
}

/* Reads contiguous 8/16-bit gray or RGB(A) samples row by row. */
static glia_status read_rows(TIFF *tif, tiff_src *src, const char *name, glia__raw *raw, int spp) {
  size_t line = (size_t)TIFFScanlineSize(tif);
  uint8_t *buf = glia_malloc(line);
  if (!buf) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  size_t bps = (size_t)raw->depth / 8;
  size_t out_row = (size_t)raw->width * (size_t)raw->channels * bps;
  for (int y = 0; y < raw->height; y++) {
    if (TIFFReadScanline(tif, buf, (uint32_t)y, 0) < 0) {
      glia_free(buf);
      return glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: row %d: %s", name, y,
                        src->msg[0] ? src->msg : "cannot decode");
    }
    uint8_t *dst = (uint8_t *)raw->data + (size_t)y * out_row;
    if (spp == raw->channels) {
      memcpy(dst, buf, out_row);
    } else { /* gray+alpha: replicate gray into RGB, keep alpha */
      for (int x = 0; x < raw->width; x++)
        for (int c = 0; c < 4; c++)
          memcpy(dst + ((size_t)x * 4 + (size_t)c) * bps,
                 buf + ((size_t)x * 2 + (c == 3 ? 1u : 0u)) * bps, bps);
    }
  }
  glia_free(buf);
  return GLIA_OK;
}

glia_status glia__tiff_decode(const uint8_t *data, size_t size, const char *name,
                              const glia_load_opts *opts, int header_only, glia__raw *raw,
                              glia_image_info *info) {
  tiff_src src = {data, size, 0, {0}};
  TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
  if (!o) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  TIFFOpenOptionsSetErrorHandlerExtR(o, on_tiff_error, &src);
  TIFFOpenOptionsSetWarningHandlerExtR(o, on_tiff_warning, &src);
  TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)1 << 30);
  TIFF *tif = TIFFClientOpenExt(name, "rm", (thandle_t)&src, t_read, t_write, t_seek, t_close,
                                t_size, NULL, NULL, o);
  TIFFOpenOptionsFree(o);
  if (!tif)
    return glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: %s", name,
                      src.msg[0] ? src.msg : "cannot read the header");
  glia_status status = GLIA_OK;
  uint32_t w = 0, h = 0;
  uint16_t spp = 1, bps = 1, photo = PHOTOMETRIC_MINISBLACK, planar = PLANARCONFIG_CONTIG;
  uint16_t fmt = SAMPLEFORMAT_UINT;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo)) photo = PHOTOMETRIC_MINISBLACK;
  info->format = GLIA_FORMAT_TIFF;
  info->width = (int)w;
  info->height = (int)h;
  info->bit_depth = bps;
  info->progressive = 0;
  int gray = photo == PHOTOMETRIC_MINISBLACK || photo == PHOTOMETRIC_MINISWHITE;
  int direct = planar == PLANARCONFIG_CONTIG && fmt == SAMPLEFORMAT_UINT &&
               (bps == 8 || bps == 16) && !TIFFIsTiled(tif) &&
               ((photo == PHOTOMETRIC_MINISBLACK && (spp == 1 || spp == 2)) ||
                (photo == PHOTOMETRIC_RGB && (spp == 3 || spp == 4)));
  const char *color = gray                             ? (spp == 2 ? "gray+alpha" : "gray")
                      : photo == PHOTOMETRIC_PALETTE   ? "palette"
                      : photo == PHOTOMETRIC_SEPARATED ? "cmyk"
                      : photo == PHOTOMETRIC_YCBCR     ? "ycbcr"
                      : spp >= 4                       ? "rgba"
                                                       : "rgb";
  snprintf(info->color, sizeof info->color, "%s", color);
  if (direct)
    info->channels = spp == 1 ? 1 : spp == 3 ? 3 : 4;
  else
    info->channels = gray && spp == 1 ? 1 : 4;
  if (w == 0 || h == 0) {
    status = glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: image is %u×%u", name, w, h);
    goto done;
  }
  if ((status = glia__check_pixels(name, w, h, opts)) || header_only) goto done;

  if (direct) {
    if ((status = glia__raw_alloc(raw, name, (int)w, (int)h, info->channels, bps))) goto done;
    status = read_rows(tif, &src, name, raw, spp);
  } else {
    /* Everything else (palette, tiles, planar, YCbCr, CMYK, 1..4-bit) through libtiff's
     * RGBA reader, which yields 8-bit RGBA with the top row first. */
    info->bit_depth = 8;
    uint32_t *rgba = NULL;
    size_t n;
    if (glia_mul_size(w, h, 4, &n) || !(rgba = glia_malloc(n))) {
      status = glia_error(GLIA_ERR_NOMEM, "%s: out of memory for %u×%u pixels", name, w, h);
      goto done;
    }
    if (!TIFFReadRGBAImageOriented(tif, w, h, rgba, ORIENTATION_TOPLEFT, 0)) {
      glia_free(rgba);
      status = glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: %s", name,
                          src.msg[0] ? src.msg : "cannot decode");
      goto done;
    }
    if ((status = glia__raw_alloc(raw, name, (int)w, (int)h, info->channels, 8))) {
      glia_free(rgba);
      goto done;
    }
    uint8_t *dst = raw->data;
    for (size_t i = 0; i < (size_t)w * h; i++) {
      uint32_t p = rgba[i];
      if (info->channels == 1) {
        dst[i] = (uint8_t)TIFFGetR(p);
      } else {
        dst[4 * i] = (uint8_t)TIFFGetR(p);
        dst[4 * i + 1] = (uint8_t)TIFFGetG(p);
        dst[4 * i + 2] = (uint8_t)TIFFGetB(p);
        dst[4 * i + 3] = (uint8_t)TIFFGetA(p);
      }
    }
    glia_free(rgba);
  }
done:
  TIFFClose(tif);
  if (status) {
    glia_free(raw->data);
    raw->data = NULL;
  }
  return status;
}
