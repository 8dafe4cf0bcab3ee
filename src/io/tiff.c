/* TIFF decoding with libtiff from memory: 8/16-bit gray, gray+alpha, RGB and RGBA in strips
 * or tiles, any compression libtiff has; other layouts through libtiff's RGBA reader. */
#include <limits.h>
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
  if (k == 0) return 0; /* past the end: s->data + s->pos would point outside the buffer */
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
/* The bytes are already in memory: "mapping" them lets libtiff read uncompressed strips and
 * tiles in place. It also avoids libtiff 4.5.0's unmapped uncompressed-tile check, which
 * compares the tile size with its rounded-up read buffer and refuses valid tiled files
 * ("Invalid tile byte count for tile 0. Expected 256, got 1024"). libtiff never writes
 * through a mapping of a file opened read-only. */
static int t_map(thandle_t h, tdata_t *base, toff_t *size) {
  tiff_src *s = (tiff_src *)h;
  *base = (tdata_t)(uintptr_t)s->data;
  *size = s->size;
  return 1;
}
static void t_unmap(thandle_t h, tdata_t base, toff_t size) {
  (void)h;
  (void)base;
  (void)size;
}

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

/* Copies `n` pixels of `spp` contiguous samples of `bps` bytes into `channels` samples:
 * the same layout, or gray+alpha (spp 2) spread to RGBA with the gray replicated. */
static void copy_pixels(uint8_t *dst, const uint8_t *src, size_t n, int spp, int channels,
                        size_t bps) {
  if (spp == channels) {
    memcpy(dst, src, n * (size_t)spp * bps);
    return;
  }
  for (size_t x = 0; x < n; x++)
    for (size_t c = 0; c < 4; c++)
      memcpy(dst + (x * 4 + c) * bps, src + (x * 2 + (c == 3 ? 1u : 0u)) * bps, bps);
}

static glia_status read_failed(const tiff_src *src, const char *name, const char *what, int at) {
  return glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: %s %d: %s", name, what, at,
                    src->msg[0] ? src->msg : "cannot decode");
}

/* Reads contiguous 8/16-bit gray or RGB(A) samples stored in strips, row by row. */
static glia_status read_rows(TIFF *tif, tiff_src *src, const char *name, glia__raw *raw, int spp) {
  size_t bps = (size_t)raw->depth / 8;
  tmsize_t line = TIFFScanlineSize(tif);
  if (line <= 0 || (size_t)line < (size_t)raw->width * (size_t)spp * bps)
    return read_failed(src, name, "scanline size", (int)line);
  uint8_t *buf = glia_malloc((size_t)line);
  if (!buf) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  size_t out_row = (size_t)raw->width * (size_t)raw->channels * bps;
  for (int y = 0; y < raw->height; y++) {
    if (TIFFReadScanline(tif, buf, (uint32_t)y, 0) < 0) {
      glia_free(buf);
      return read_failed(src, name, "row", y);
    }
    copy_pixels((uint8_t *)raw->data + (size_t)y * out_row, buf, (size_t)raw->width, spp,
                raw->channels, bps);
  }
  glia_free(buf);
  return GLIA_OK;
}

/* Reads contiguous 8/16-bit gray or RGB(A) samples stored in tiles; the tiles on the right
 * and bottom edges hold padding past the image, which is skipped. */
static glia_status read_tiles(TIFF *tif, tiff_src *src, const char *name, glia__raw *raw, int spp) {
  uint32_t tw = 0, th = 0;
  size_t bps = (size_t)raw->depth / 8, px = (size_t)spp * bps;
  TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
  TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
  tmsize_t tile = TIFFTileSize(tif);
  if (tw == 0 || th == 0 || tile <= 0 || (uint64_t)tile < (uint64_t)tw * th * px)
    return read_failed(src, name, "tile size", (int)tile);
  uint8_t *buf = glia_malloc((size_t)tile);
  if (!buf) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  size_t out_row = (size_t)raw->width * (size_t)raw->channels * bps;
  for (uint32_t y0 = 0; y0 < (uint32_t)raw->height; y0 += th) {
    for (uint32_t x0 = 0; x0 < (uint32_t)raw->width; x0 += tw) {
      if (TIFFReadTile(tif, buf, x0, y0, 0, 0) < 0) {
        glia_free(buf);
        return read_failed(src, name, "tile at row", (int)y0);
      }
      uint32_t nx = (uint32_t)raw->width - x0 < tw ? (uint32_t)raw->width - x0 : tw;
      uint32_t ny = (uint32_t)raw->height - y0 < th ? (uint32_t)raw->height - y0 : th;
      for (uint32_t y = 0; y < ny; y++)
        copy_pixels((uint8_t *)raw->data + (size_t)(y0 + y) * out_row +
                        (size_t)x0 * (size_t)raw->channels * bps,
                    buf + (size_t)y * tw * px, nx, spp, raw->channels, bps);
      if (x0 + tw < x0) break; /* tile width near 2^32: no next column */
    }
    if (y0 + th < y0) break;
  }
  glia_free(buf);
  return GLIA_OK;
}

/* Everything else (palette, planar, YCbCr, CMYK, 1..4-bit, float) through libtiff's RGBA
 * reader, which yields 8-bit RGBA with the top row first, stopping at the first damaged
 * strip or tile (a truncated file is an error, not a partial image). */
static glia_status read_rgba(TIFF *tif, tiff_src *src, const char *name, glia__raw *raw, uint32_t w,
                             uint32_t h, int channels) {
  uint32_t *rgba = NULL;
  size_t n;
  if (glia_mul_size(w, h, 4, &n) || !(rgba = glia_malloc(n)))
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory for %u×%u pixels", name, w, h);
  char emsg[1024] = "";
  if (!TIFFRGBAImageOK(tif, emsg)) {
    glia_free(rgba);
    return glia_error(GLIA_ERR_UNSUPPORTED, "%s: unsupported TIFF layout: %s", name, emsg);
  }
  if (!TIFFReadRGBAImageOriented(tif, w, h, rgba, ORIENTATION_TOPLEFT, 1)) {
    glia_free(rgba);
    return glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: %s", name,
                      src->msg[0] ? src->msg : "cannot decode");
  }
  glia_status status = glia__raw_alloc(raw, name, (int)w, (int)h, channels, 8);
  if (status) {
    glia_free(rgba);
    return status;
  }
  uint8_t *dst = raw->data;
  for (size_t i = 0; i < (size_t)w * h; i++) {
    uint32_t p = rgba[i];
    uint8_t v[4] = {(uint8_t)TIFFGetR(p), (uint8_t)TIFFGetG(p), (uint8_t)TIFFGetB(p),
                    (uint8_t)TIFFGetA(p)};
    memcpy(dst + i * (size_t)channels, v, (size_t)channels);
  }
  glia_free(rgba);
  return GLIA_OK;
}

/* The largest single allocation libtiff may make for one file: enough for a strip or tile
 * of the largest image allowed (16 bytes a pixel covers 4 channels of 32 bits), never below
 * 64 MiB nor above 1 GiB, so that a small hostile file cannot ask for gigabytes. */
static tmsize_t alloc_cap(const glia_load_opts *opts) {
  int64_t px = opts && opts->max_pixels > 0 ? opts->max_pixels : 50000000;
  int64_t lo = (int64_t)64 << 20, hi = (int64_t)1 << 30;
  return (tmsize_t)(px > hi / 16 ? hi : px * 16 < lo ? lo : px * 16);
}

glia_status glia__tiff_decode(const uint8_t *data, size_t size, const char *name,
                              const glia_load_opts *opts, int header_only, glia__raw *raw,
                              glia_image_info *info) {
  tiff_src src = {data, size, 0, {0}};
  TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
  if (!o) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
  TIFFOpenOptionsSetErrorHandlerExtR(o, on_tiff_error, &src);
  TIFFOpenOptionsSetWarningHandlerExtR(o, on_tiff_warning, &src);
  TIFFOpenOptionsSetMaxSingleMemAlloc(o, alloc_cap(opts));
  TIFF *tif = TIFFClientOpenExt(name, "r", (thandle_t)&src, t_read, t_write, t_seek, t_close,
                                t_size, t_map, t_unmap, o);
  TIFFOpenOptionsFree(o);
  if (!tif)
    return glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: %s", name,
                      src.msg[0] ? src.msg : "cannot read the header");
  glia_status status = GLIA_OK;
  uint32_t w = 0, h = 0;
  uint16_t spp = 1, bps = 1, photo = PHOTOMETRIC_MINISBLACK, planar = PLANARCONFIG_CONTIG;
  uint16_t fmt = SAMPLEFORMAT_UINT, orient = ORIENTATION_TOPLEFT, extra = 0;
  uint16_t *extra_kinds = NULL;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
  TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &orient);
  TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &extra, &extra_kinds);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo)) photo = PHOTOMETRIC_MINISBLACK;
  info->format = GLIA_FORMAT_TIFF;
  info->width = w <= INT_MAX ? (int)w : 0;
  info->height = h <= INT_MAX ? (int)h : 0;
  info->bit_depth = bps;
  info->progressive = 0;
  int gray = photo == PHOTOMETRIC_MINISBLACK || photo == PHOTOMETRIC_MINISWHITE;
  /* 8/16-bit interleaved gray, gray+alpha, RGB and RGBA, in strips or tiles, top row first,
   * are read as stored (16 bits kept, alpha as stored); the rest goes through read_rgba. */
  int direct = planar == PLANARCONFIG_CONTIG && fmt == SAMPLEFORMAT_UINT &&
               (bps == 8 || bps == 16) && orient == ORIENTATION_TOPLEFT &&
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
  else /* gray stays gray; palette, CMYK, YCbCr become RGB; an extra sample is alpha */
    info->channels = gray && spp == 1 ? 1 : extra > 0 ? 4 : 3;
  if (w == 0 || h == 0) {
    status = glia_error(GLIA_ERR_FORMAT, "%s: invalid TIFF: image is %u×%u", name, w, h);
    goto done;
  }
  if ((status = glia__check_pixels(name, w, h, opts)) || header_only) goto done;

  if (direct) {
    if ((status = glia__raw_alloc(raw, name, (int)w, (int)h, info->channels, bps))) goto done;
    status = TIFFIsTiled(tif) ? read_tiles(tif, &src, name, raw, spp)
                              : read_rows(tif, &src, name, raw, spp);
  } else {
    status = read_rgba(tif, &src, name, raw, w, h, info->channels);
  }
done:
  TIFFClose(tif);
  if (status) {
    glia_free(raw->data);
    raw->data = NULL;
  }
  return status;
}
