/* JPEG decoding with libjpeg-turbo: baseline, progressive, gray, YCbCr, CMYK and YCCK. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "io/internal.h"

typedef struct jpeg_err {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char msg[JMSG_LENGTH_MAX];
} jpeg_err;

/* libjpeg-turbo's own tools refuse progressive files with more scans than this: each scan
 * re-reads the whole coefficient buffer, so a small file of many tiny scans costs minutes. */
enum { MAX_SCANS = 500 };

static void on_error(j_common_ptr cinfo) {
  jpeg_err *e = (jpeg_err *)cinfo->err;
  cinfo->err->format_message(cinfo, e->msg);
  longjmp(e->jump, 1);
}

/* Warnings are ignored, except a premature end of data: libjpeg would fill the rest of the
 * image with grey, and a half-grey scan must not pass as a good image. */
static void on_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_error(cinfo);
}

static void on_progress(j_common_ptr cinfo) {
  j_decompress_ptr d = (j_decompress_ptr)cinfo;
  if (d->input_scan_number > MAX_SCANS) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    snprintf(e->msg, sizeof e->msg, "more than %d scans", MAX_SCANS);
    longjmp(e->jump, 1);
  }
}

glia_status glia__jpeg_decode(const uint8_t *data, size_t size, const char *name,
                              const glia_load_opts *opts, int header_only, glia__raw *raw,
                              glia_image_info *info) {
  struct jpeg_decompress_struct cinfo;
  jpeg_err jerr;
  struct jpeg_progress_mgr progress;
  uint8_t *volatile cmyk_row = NULL;
  glia_status status = GLIA_OK;
  volatile int created = 0;

  memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&jerr.pub);
  jerr.pub.error_exit = on_error;
  jerr.pub.emit_message = on_message;
  jerr.msg[0] = 0;
  if (setjmp(jerr.jump)) {
    int code = jerr.pub.msg_code; /* valid JPEG that this libjpeg build cannot decode */
    if (code == JERR_BAD_PRECISION || code == JERR_CONVERSION_NOTIMPL || code == JERR_NOT_COMPILED)
      status = glia_error(GLIA_ERR_UNSUPPORTED, "%s: unsupported JPEG: %s", name, jerr.msg);
    else
      status = glia_error(GLIA_ERR_FORMAT, "%s: invalid JPEG: %s", name, jerr.msg);
    goto fail;
  }
  jpeg_create_decompress(&cinfo);
  created = 1;
  progress.progress_monitor = on_progress;
  cinfo.progress = &progress;
  jpeg_mem_src(&cinfo, data, (unsigned long)size);
  jpeg_read_header(&cinfo, TRUE);

  info->format = GLIA_FORMAT_JPEG;
  info->width = (int)cinfo.image_width;
  info->height = (int)cinfo.image_height;
  info->bit_depth = cinfo.data_precision;
  info->progressive = cinfo.progressive_mode ? 1 : 0;
  int cmyk = 0;
  switch (cinfo.jpeg_color_space) {
  case JCS_GRAYSCALE:
    snprintf(info->color, sizeof info->color, "gray");
    info->channels = 1;
    break;
  case JCS_CMYK:
  case JCS_YCCK:
    snprintf(info->color, sizeof info->color, "%s",
             cinfo.jpeg_color_space == JCS_CMYK ? "cmyk" : "ycck");
    info->channels = 3;
    cmyk = 1;
    break;
  case JCS_RGB:
    snprintf(info->color, sizeof info->color, "rgb");
    info->channels = 3;
    break;
  case JCS_YCbCr:
    snprintf(info->color, sizeof info->color, "ycbcr");
    info->channels = 3;
    break;
  default: /* 2 or 5+ components: refused by jpeg_start_decompress as unsupported */
    snprintf(info->color, sizeof info->color, "unknown");
    info->channels = 3;
    break;
  }
  if ((status = glia__check_pixels(name, cinfo.image_width, cinfo.image_height, opts))) goto fail;
  if (header_only) goto done;

  cinfo.out_color_space = cmyk ? JCS_CMYK : (info->channels == 1 ? JCS_GRAYSCALE : JCS_RGB);
  cinfo.dct_method = JDCT_ISLOW; /* the default, as OpenCV and Pillow decode */
  jpeg_start_decompress(&cinfo);
  int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
  if ((status = glia__raw_alloc(raw, name, w, h, info->channels, 8))) goto fail;
  if (cmyk && !(cmyk_row = glia_malloc((size_t)w * 4))) {
    status = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", name);
    goto fail;
  }
  /* CMYK is taken as Adobe writes it, inverted (0 = full ink), with or without an Adobe
   * marker, as Pillow and OpenCV do: nearly every CMYK JPEG comes from Adobe software.
   * R = round(C·K/255), like Pillow's K − round((255−C)·K/255) on the un-inverted samples. */
  uint8_t *px = raw->data;
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t *row = px + (size_t)cinfo.output_scanline * (size_t)w * (size_t)info->channels;
    JSAMPROW rows[1] = {cmyk ? cmyk_row : row};
    jpeg_read_scanlines(&cinfo, rows, 1);
    if (cmyk) {
      for (int x = 0; x < w; x++) {
        int c = cmyk_row[4 * x], m = cmyk_row[4 * x + 1], y = cmyk_row[4 * x + 2],
            k = cmyk_row[4 * x + 3];
        row[3 * x] = (uint8_t)((c * k + 127) / 255);
        row[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
        row[3 * x + 2] = (uint8_t)((y * k + 127) / 255);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
done:
  jpeg_destroy_decompress(&cinfo);
  glia_free(cmyk_row);
  return GLIA_OK;
fail:
  if (created) jpeg_destroy_decompress(&cinfo);
  glia_free(cmyk_row);
  glia_free(raw->data);
  raw->data = NULL;
  return status;
}
