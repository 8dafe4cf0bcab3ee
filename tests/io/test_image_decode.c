/* Image decoding: every codec path against pixels decoded by PIL / OpenCV
 * (tests/fixtures/images/gen_images.py), header fields, decoding by content, truncated and
 * hostile inputs, the pixel limit, and allocation failures on every decode path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/core.h"
#include "glia/file.h"
#include "glia/image.h"
#include "testutil.h"

#define FIXDIR "tests/fixtures/images/"
#define MAX_FIXTURES 64

typedef struct fixture {
  char file[64], format[8], color[16], raw[64];
  int width, height, channels, bit_depth, progressive, raw_depth, tolerance;
} fixture;

static fixture fixtures[MAX_FIXTURES];
static int n_fixtures;

/* manifest.txt: "file format width height channels bit_depth progressive color raw_depth
 * tolerance raw", one fixture a line, '#' comments. */
static int load_manifest(void **state) {
  (void)state;
  char *path = tu_src(FIXDIR "manifest.txt");
  size_t n;
  unsigned char *text = tu_read_file(path, &n);
  free(path);
  n_fixtures = 0;
  for (char *line = strtok((char *)text, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#') continue;
    assert_true(n_fixtures < MAX_FIXTURES);
    fixture *f = &fixtures[n_fixtures++];
    int k = sscanf(line, "%63s %7s %d %d %d %d %d %15s %d %d %63s", f->file, f->format, &f->width,
                   &f->height, &f->channels, &f->bit_depth, &f->progressive, f->color,
                   &f->raw_depth, &f->tolerance, f->raw);
    assert_int_equal(k, 11);
  }
  glia_free(text);
  assert_true(n_fixtures >= 35); /* the generator writes 35: fewer is a broken checkout */
  return 0;
}

static unsigned char *read_fixture(const char *name, size_t *size) {
  char *dir = tu_src(FIXDIR);
  char *path = glia_path_join(dir, name);
  unsigned char *d = tu_read_file(path, size);
  glia_free(path);
  glia_free(dir);
  return d;
}

/* The expected sample i as the oracle decoded it (8 or 16 bits). */
static unsigned expected_sample(const fixture *f, const unsigned char *raw, size_t i) {
  if (f->raw_depth == 16) return (unsigned)raw[2 * i] | (unsigned)raw[2 * i + 1] << 8;
  return raw[i];
}

static void check_info(const fixture *f, const glia_image_info *info) {
  assert_string_equal(glia_format_name(info->format), f->format);
  assert_int_equal(info->width, f->width);
  assert_int_equal(info->height, f->height);
  assert_int_equal(info->channels, f->channels);
  assert_int_equal(info->bit_depth, f->bit_depth);
  assert_int_equal(info->progressive, f->progressive);
  assert_string_equal(info->color, f->color);
}

static void test_fixtures_decode_u8_matches_oracle(void **state) {
  (void)state;
  for (int k = 0; k < n_fixtures; k++) {
    const fixture *f = &fixtures[k];
    size_t n, nraw;
    unsigned char *data = read_fixture(f->file, &n), *raw = read_fixture(f->raw, &nraw);
    size_t count = (size_t)f->width * f->height * f->channels;
    assert_int_equal(nraw, count * (size_t)(f->raw_depth / 8));
    glia_load_opts o = GLIA_LOAD_DEFAULTS;
    glia_image_u8 *img;
    glia_image_info info;
    glia_status s = glia_image_decode_u8(data, n, f->file, &o, &img, &info);
    if (s) fail_msg("%s: %s", f->file, glia_last_error());
    check_info(f, &info);
    assert_int_equal(img->width, f->width);
    assert_int_equal(img->height, f->height);
    assert_int_equal(img->channels, f->channels);
    for (size_t i = 0; i < count; i++) {
      unsigned v = expected_sample(f, raw, i);
      /* 16-bit samples are documented to round to 8 bits as round(v · 255 / 65535). The
       * tolerance is 0 for the lossless formats and 1 for JPEG (see gen_images.py: same
       * libjpeg-turbo, ISLOW IDCT; 1 leaves room for another SIMD upsampler build). */
      unsigned want = f->raw_depth == 16 ? (v * 255u + 32767u) / 65535u : v;
      int d = abs((int)img->data[i] - (int)want);
      if (d > f->tolerance)
        fail_msg("%s: sample %zu (x %zu, y %zu, c %zu) is %d, oracle %u", f->file, i,
                 i / f->channels % f->width, i / f->channels / f->width, i % f->channels,
                 img->data[i], want);
    }
    glia_image_u8_free(img);
    glia_free(data);
    glia_free(raw);
  }
}

static void test_fixtures_decode_float_keeps_16_bit_precision(void **state) {
  (void)state;
  for (int k = 0; k < n_fixtures; k++) {
    const fixture *f = &fixtures[k];
    size_t n, nraw;
    unsigned char *data = read_fixture(f->file, &n), *raw = read_fixture(f->raw, &nraw);
    glia_image *img;
    glia_image_info info;
    glia_status s = glia_image_decode(data, n, f->file, NULL, &img, &info);
    if (s) fail_msg("%s: %s", f->file, glia_last_error());
    check_info(f, &info);
    assert_int_equal(img->channels, f->channels);
    assert_int_equal(img->stride, (size_t)f->width * f->channels);
    double top = f->raw_depth == 16 ? 65535.0 : 255.0;
    /* float32 holds v / 65535 to ~3e-8; 1e-6 is far below one 16-bit step (1.5e-5), so an
     * image reduced to 8 bits on the way fails here. JPEG: the same 1-level tolerance. */
    double tol = f->tolerance / top + 1e-6;
    for (int y = 0; y < f->height; y++)
      for (int x = 0; x < f->width * f->channels; x++) {
        size_t i = (size_t)y * f->width * f->channels + (size_t)x;
        double want = expected_sample(f, raw, i) / top;
        double got = img->data[(size_t)y * img->stride + (size_t)x];
        if (got < want - tol || got > want + tol)
          fail_msg("%s: row %d sample %d is %.8f, oracle %.8f", f->file, y, x, got, want);
      }
    glia_image_free(img);
    glia_free(data);
    glia_free(raw);
  }
}

static void test_probe_reads_header_fields(void **state) {
  (void)state;
  for (int k = 0; k < n_fixtures; k++) {
    size_t n;
    unsigned char *data = read_fixture(fixtures[k].file, &n);
    glia_image_info info;
    glia_status s = glia_image_probe(data, n, fixtures[k].file, &info);
    if (s) fail_msg("%s: %s", fixtures[k].file, glia_last_error());
    check_info(&fixtures[k], &info);
    glia_free(data);
  }
}

/* A file is decoded by its signature: a PNG named .jpg and a JPEG named .png. */
static void test_decode_by_content_not_extension(void **state) {
  (void)state;
  char *png = tu_src(FIXDIR "png_named.jpg");
  glia_image_u8 *img;
  glia_image_info info;
  assert_int_equal(glia_image_load_u8(png, NULL, &img, &info), GLIA_OK);
  assert_int_equal(info.format, GLIA_FORMAT_PNG);
  assert_int_equal(img->channels, 3);
  glia_image_u8_free(img);
  free(png);

  char *dir = tu_mkdtemp();
  size_t n;
  unsigned char *jpeg = read_fixture("jpeg_420.jpg", &n);
  char *fake = glia_path_join(dir, "really a jpeg.png");
  tu_write_file(fake, jpeg, n);
  assert_int_equal(glia_image_load_u8(fake, NULL, &img, &info), GLIA_OK);
  assert_int_equal(info.format, GLIA_FORMAT_JPEG);
  assert_int_equal(img->width, 17);
  glia_image_u8_free(img);
  glia_free(fake);
  glia_free(jpeg);
  tu_rmtree(dir);
  free(dir);

  assert_int_equal(glia_format_sniff((const uint8_t *)"\xff\xd8\xff\xe0", 4), GLIA_FORMAT_JPEG);
  assert_int_equal(glia_format_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n", 8), GLIA_FORMAT_PNG);
  assert_int_equal(glia_format_sniff((const uint8_t *)"MM\0*", 4), GLIA_FORMAT_TIFF);
  assert_int_equal(glia_format_sniff((const uint8_t *)"II*\0", 4), GLIA_FORMAT_TIFF);
  assert_int_equal(glia_format_sniff((const uint8_t *)"\x89PNG\r\n\x1a", 7), GLIA_FORMAT_UNKNOWN);
  assert_int_equal(glia_format_sniff((const uint8_t *)"GIF89a", 6), GLIA_FORMAT_UNKNOWN);
}

/* Decodes with both entry points and expects failure with `want`, *out NULL, and a message
 * that names the file. */
static void expect_failure(const uint8_t *data, size_t n, const char *name, const glia_load_opts *o,
                           glia_status want) {
  glia_image_u8 *u = (glia_image_u8 *)1;
  glia_image *f = (glia_image *)1;
  glia_clear_error();
  glia_status s = glia_image_decode_u8(data, n, name, o, &u, NULL);
  if (s != want)
    fail_msg("%s (%zu bytes): status %s, expected %s (%s)", name, n, glia_status_str(s),
             glia_status_str(want), glia_last_error());
  assert_null(u);
  assert_non_null(strstr(glia_last_error(), name));
  glia_clear_error();
  assert_int_equal(glia_image_decode(data, n, name, o, &f, NULL), want);
  assert_null(f);
  assert_non_null(strstr(glia_last_error(), name));
}

static void test_empty_input_is_refused(void **state) {
  (void)state;
  expect_failure((const uint8_t *)"", 0, "no/empty.png", NULL, GLIA_ERR_FORMAT);
  assert_non_null(strstr(glia_last_error(), "empty"));
  char *dir = tu_mkdtemp();
  char *path = glia_path_join(dir, "zero.png");
  tu_write_file(path, "", 0);
  glia_image *img = (glia_image *)1;
  assert_int_equal(glia_image_load(path, NULL, &img, NULL), GLIA_ERR_FORMAT);
  assert_null(img);
  assert_non_null(strstr(glia_last_error(), path));
  glia_free(path);
  tu_rmtree(dir);
  free(dir);
}

static void test_text_file_is_refused(void **state) {
  (void)state;
  const char *text = "This is not an image, whatever its name says.\n";
  expect_failure((const uint8_t *)text, strlen(text), "yes/notes.jpg", NULL, GLIA_ERR_FORMAT);
  assert_non_null(strstr(glia_last_error(), "not a JPEG, PNG or TIFF"));
  glia_image_info info;
  assert_int_equal(glia_image_probe((const uint8_t *)text, strlen(text), "yes/notes.jpg", &info),
                   GLIA_ERR_FORMAT);
}

/* Every strict prefix of a valid file is refused: a truncated image is an error, never an
 * image whose missing part is grey or black. */
static void check_every_prefix_fails(const char *fixture_name) {
  size_t n;
  unsigned char *data = read_fixture(fixture_name, &n);
  char name[96];
  snprintf(name, sizeof name, "cut/%s", fixture_name);
  for (size_t len = 1; len < n; len++) {
    glia_image_u8 *img = NULL;
    glia_status s = glia_image_decode_u8(data, len, name, NULL, &img, NULL);
    if (s == GLIA_OK) fail_msg("%s cut to %zu of %zu bytes decoded without error", name, len, n);
    assert_null(img);
    assert_non_null(strstr(glia_last_error(), name));
  }
  glia_free(data);
}

static void test_truncated_jpeg_fails(void **state) {
  (void)state;
  check_every_prefix_fails("jpeg_420.jpg");
  check_every_prefix_fails("jpeg_progressive.jpg");
  check_every_prefix_fails("jpeg_gray.jpg");
  check_every_prefix_fails("jpeg_cmyk.jpg");
}

static void test_truncated_png_fails(void **state) {
  (void)state;
  check_every_prefix_fails("png_rgb8.png");
  check_every_prefix_fails("png_interlaced.png");
  check_every_prefix_fails("png_palette4_trns.png");
}

static void test_truncated_tiff_fails(void **state) {
  (void)state;
  /* PIL writes the directory first, so these cuts fall in the pixel data (strips read
   * directly, palette through the RGBA reader); tiffcp writes it last (header cuts). */
  check_every_prefix_fails("tiff_gray8.tif");
  check_every_prefix_fails("tiff_gray16.tif");
  check_every_prefix_fails("tiff_palette.tif");
  check_every_prefix_fails("tiff_rgba8.tif");
  check_every_prefix_fails("tiff_rgb8_zip2.tif");
  check_every_prefix_fails("tiff_rgb8_tiled.tif");
}

/* A PNG signature, an IHDR of w×h 8-bit RGB with a valid CRC, a 2-byte IDAT, IEND. */
static size_t png_header_only(uint8_t *out, uint32_t w, uint32_t h);

static void test_png_claiming_40000x40000_is_refused_before_allocation(void **state) {
  (void)state;
  uint8_t huge[128], small[128];
  size_t n = png_header_only(huge, 40000, 40000), ns = png_header_only(small, 17, 13);
  glia_load_opts o = GLIA_LOAD_DEFAULTS;
  expect_failure(huge, n, "no/huge.png", &o, GLIA_ERR_TOO_LARGE);
  assert_non_null(strstr(glia_last_error(), "40000"));
  assert_non_null(strstr(glia_last_error(), "50000000")); /* the limit it exceeds */
  /* The refusal comes before the pixel buffer: count the allocations each file gets
   * through (glia_alloc_fail_after) before it reaches its verdict. The huge header is
   * refused after fewer allocations than the small file of the same layout needs before it
   * fails on its 2-byte IDAT, which is after its pixel and row buffers were made. */
  long k_huge = -1, k_small = -1;
  for (long k = 0; k < 200 && (k_huge < 0 || k_small < 0); k++) {
    glia_image_u8 *img = NULL;
    glia_alloc_fail_after(k);
    glia_status sh = glia_image_decode_u8(huge, n, "huge.png", &o, &img, NULL);
    glia_status ss = glia_image_decode_u8(small, ns, "small.png", &o, &img, NULL);
    glia_alloc_fail_after(-1);
    if (k_huge < 0 && sh != GLIA_ERR_NOMEM) {
      assert_int_equal(sh, GLIA_ERR_TOO_LARGE);
      k_huge = k;
    }
    if (k_small < 0 && ss != GLIA_ERR_NOMEM) {
      assert_int_equal(ss, GLIA_ERR_FORMAT);
      k_small = k;
    }
  }
  assert_true(k_huge >= 0 && k_small >= 0);
  assert_true(k_huge + 2 <= k_small); /* at least the pixel buffer and the row pointers */
  glia_image_info info;
  assert_int_equal(glia_image_probe(huge, n, "huge.png", &info), GLIA_OK); /* probe: no limit */
  assert_int_equal(info.width, 40000);
}

/* Little-endian classic TIFF: sets the value of `tag` in the first directory to a LONG. */
static void tiff_set_long(unsigned char *d, size_t n, unsigned tag, uint32_t value) {
  uint32_t ifd = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
  assert_true(ifd + 2 <= n);
  unsigned count = d[ifd] | d[ifd + 1] << 8;
  for (unsigned i = 0; i < count; i++) {
    unsigned char *e = d + ifd + 2 + 12 * i;
    assert_true((size_t)(e + 12 - d) <= n);
    if ((unsigned)(e[0] | e[1] << 8) != tag) continue;
    e[2] = 4; /* type LONG, count 1 */
    e[3] = 0;
    for (int k = 0; k < 4; k++) e[8 + k] = (unsigned char)(value >> (8 * k));
    return;
  }
  fail_msg("tag %u not found", tag);
}

/* JPEG and TIFF headers claiming huge sizes: refused by the limit; a TIFF side past INT_MAX,
 * which glia's int sizes cannot hold, is refused even by probe (which has no pixel limit). */
static void test_jpeg_and_tiff_claiming_huge_sizes_are_refused(void **state) {
  (void)state;
  size_t n;
  unsigned char *jpeg = read_fixture("jpeg_420.jpg", &n);
  size_t sof = 2;
  while (sof + 9 < n && !(jpeg[sof] == 0xFF && jpeg[sof + 1] == 0xC0)) sof++;
  assert_true(sof + 9 < n);
  jpeg[sof + 5] = jpeg[sof + 7] = 0xEA; /* height and width 60000 (0xEA60) */
  jpeg[sof + 6] = jpeg[sof + 8] = 0x60;
  expect_failure(jpeg, n, "big.jpg", NULL, GLIA_ERR_TOO_LARGE);
  assert_non_null(strstr(glia_last_error(), "60000"));
  glia_free(jpeg);

  unsigned char *tiff = read_fixture("tiff_gray8.tif", &n);
  tiff_set_long(tiff, n, 256, 60000); /* ImageWidth */
  tiff_set_long(tiff, n, 257, 60000); /* ImageLength */
  tiff_set_long(tiff, n, 278, 60000); /* RowsPerStrip: still one strip */
  expect_failure(tiff, n, "big.tif", NULL, GLIA_ERR_TOO_LARGE);
  tiff_set_long(tiff, n, 256, 3500000000u); /* a side past INT_MAX, which libtiff accepts */
  tiff_set_long(tiff, n, 257, 1);
  tiff_set_long(tiff, n, 278, 1);
  glia_image_info info;
  assert_int_equal(glia_image_probe(tiff, n, "huge.tif", &info), GLIA_ERR_TOO_LARGE);
  assert_non_null(strstr(glia_last_error(), "3500000000"));
  expect_failure(tiff, n, "huge.tif", NULL, GLIA_ERR_TOO_LARGE);
  glia_free(tiff);
}

/* The progressive fixture with its shortest scan (marker, header and entropy-coded data)
 * repeated `copies` more times before EOI; libjpeg decodes repeated scans with a warning. */
static unsigned char *jpeg_with_repeated_scan(int copies, size_t *out_n) {
  size_t n, pos = 2, best = 0, best_len = 0, eoi = 0;
  unsigned char *d = read_fixture("jpeg_progressive.jpg", &n);
  while (pos + 2 <= n && d[pos] == 0xFF) {
    if (d[pos + 1] == 0xD9) {
      eoi = pos;
      break;
    }
    assert_true(pos + 4 <= n);
    size_t end = pos + 2 + ((size_t)d[pos + 2] << 8 | d[pos + 3]);
    if (d[pos + 1] == 0xDA) /* the scan's data runs to the next marker other than RSTn */
      while (end + 1 < n && !(d[end] == 0xFF && d[end + 1] != 0 && (d[end + 1] & 0xF8) != 0xD0))
        end++;
    if (d[pos + 1] == 0xDA && (!best_len || end - pos < best_len)) {
      best = pos;
      best_len = end - pos;
    }
    pos = end;
  }
  assert_true(eoi > 0 && best_len > 0);
  unsigned char *out = malloc(n + (size_t)copies * best_len);
  assert_non_null(out);
  memcpy(out, d, eoi);
  for (int k = 0; k < copies; k++) memcpy(out + eoi + (size_t)k * best_len, d + best, best_len);
  memcpy(out + eoi + (size_t)copies * best_len, d + eoi, n - eoi);
  *out_n = n + (size_t)copies * best_len;
  glia_free(d);
  return out;
}

/* A progressive JPEG of many scans costs a full pass over the coefficients per scan, so a
 * tiny file could take minutes: like libjpeg-turbo's tools, more than 500 scans is refused. */
static void test_jpeg_with_too_many_scans_is_refused(void **state) {
  (void)state;
  size_t n;
  unsigned char *ok = jpeg_with_repeated_scan(400, &n); /* 410 scans in all */
  glia_image_u8 *img;
  assert_int_equal(glia_image_decode_u8(ok, n, "scans410.jpg", NULL, &img, NULL), GLIA_OK);
  glia_image_u8_free(img);
  free(ok);
  unsigned char *bad = jpeg_with_repeated_scan(600, &n);
  expect_failure(bad, n, "scans610.jpg", NULL, GLIA_ERR_FORMAT);
  assert_non_null(strstr(glia_last_error(), "more than 500 scans"));
  free(bad);
}

static void test_max_pixels_option_is_respected(void **state) {
  (void)state;
  const char *files[] = {"png_rgb8.png", "jpeg_420.jpg", "tiff_rgb8_zip2.tif"};
  for (int k = 0; k < 3; k++) {
    size_t n;
    unsigned char *data = read_fixture(files[k], &n);
    glia_load_opts o = GLIA_LOAD_DEFAULTS;
    assert_int_equal(o.max_pixels, 50000000);
    o.max_pixels = 17 * 13 - 1;
    expect_failure(data, n, files[k], &o, GLIA_ERR_TOO_LARGE);
    assert_non_null(strstr(glia_last_error(), "220"));
    o.max_pixels = 17 * 13; /* exactly at the limit is allowed */
    glia_image_u8 *img;
    assert_int_equal(glia_image_decode_u8(data, n, files[k], &o, &img, NULL), GLIA_OK);
    glia_image_u8_free(img);
    glia_free(data);
  }
}

/* Allocation failure injection: the n-th allocation fails, for every n until the decode
 * succeeds; each failure must be a clean GLIA_ERR_NOMEM (the sanitizer build checks that
 * nothing leaks and nothing crashes). Every fixture, both entry points and the file path. */
static void test_allocation_failures_are_clean_on_every_decode_path(void **state) {
  (void)state;
  for (int k = 0; k < n_fixtures; k++) {
    size_t n;
    unsigned char *data = read_fixture(fixtures[k].file, &n);
    for (int as_float = 0; as_float < 2; as_float++) {
      long fail_at = 0;
      for (;; fail_at++) {
        assert_true(fail_at < 10000);
        glia_image_u8 *u = NULL;
        glia_image *f = NULL;
        glia_alloc_fail_after(fail_at);
        glia_status s = as_float ? glia_image_decode(data, n, fixtures[k].file, NULL, &f, NULL)
                                 : glia_image_decode_u8(data, n, fixtures[k].file, NULL, &u, NULL);
        glia_alloc_fail_after(-1);
        if (s == GLIA_OK) {
          assert_true(u || f);
          glia_image_u8_free(u);
          glia_image_free(f);
          break;
        }
        if (s != GLIA_ERR_NOMEM)
          fail_msg("%s: allocation %ld failing gave %s: %s", fixtures[k].file, fail_at,
                   glia_status_str(s), glia_last_error());
        assert_null(u);
        assert_null(f);
        assert_non_null(strstr(glia_last_error(), fixtures[k].file));
      }
      assert_true(fail_at >= 2); /* at least the pixels and the image struct */
    }
    glia_free(data);
  }
  char *path = tu_src(FIXDIR "tiff_rgb8_zip2.tif");
  for (long fail_at = 0;; fail_at++) {
    glia_image *img = NULL;
    glia_alloc_fail_after(fail_at);
    glia_status s = glia_image_load(path, NULL, &img, NULL);
    glia_alloc_fail_after(-1);
    if (s == GLIA_OK) {
      glia_image_free(img);
      break;
    }
    assert_int_equal(s, GLIA_ERR_NOMEM);
    assert_null(img);
  }
  free(path);
}

/* Corrupted files: bytes of every fixture overwritten one at a time (about 150 positions a
 * file, the header densely). Each decode either fails cleanly, naming the file, or gives an
 * image that matches its own header; the sanitizer build checks memory on every one. */
static void test_corrupted_bytes_fail_cleanly_or_decode_consistently(void **state) {
  (void)state;
  static const uint8_t values[3] = {0x00, 0xFF, 0x80};
  for (int k = 0; k < n_fixtures; k++) {
    size_t n;
    unsigned char *data = read_fixture(fixtures[k].file, &n);
    size_t step = n / 100 + 1;
    for (size_t pos = 0; pos < n; pos += pos < 64 ? 1 : step) {
      uint8_t saved = data[pos];
      for (int v = 0; v < 3; v++) {
        data[pos] = (uint8_t)(values[v] == saved ? saved ^ 0x5A : values[v]);
        glia_load_opts o = GLIA_LOAD_DEFAULTS;
        o.max_pixels = 1 << 20;
        glia_image_u8 *img = NULL;
        glia_image_info info;
        glia_clear_error();
        glia_status s = glia_image_decode_u8(data, n, fixtures[k].file, &o, &img, &info);
        if (s != GLIA_OK) {
          assert_null(img);
          if (!strstr(glia_last_error(), fixtures[k].file))
            fail_msg("%s, byte %zu = %d: message without the name: %s", fixtures[k].file, pos,
                     data[pos], glia_last_error());
          continue;
        }
        assert_int_equal(img->width, info.width);
        assert_int_equal(img->height, info.height);
        assert_int_equal(img->channels, info.channels);
        assert_true(img->channels == 1 || img->channels == 3 || img->channels == 4);
        glia_image_u8_free(img);
      }
      data[pos] = saved;
    }
    glia_free(data);
  }
}

/* ---- a PNG header builder for the pixel-limit test, CRCs by the usual table-less loop */
static uint32_t crc32_png(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static size_t put_chunk(uint8_t *p, const char *type, const uint8_t *data, uint32_t len) {
  put32(p, len);
  memcpy(p + 4, type, 4);
  if (len) memcpy(p + 8, data, len);
  put32(p + 8 + len, crc32_png(p + 4, len + 4));
  return 12 + len;
}

static size_t png_header_only(uint8_t *out, uint32_t w, uint32_t h) {
  uint8_t ihdr[13] = {0};
  put32(ihdr, w);
  put32(ihdr + 4, h);
  ihdr[8] = 8; /* bit depth */
  ihdr[9] = 2; /* RGB */
  memcpy(out, "\x89PNG\r\n\x1a\n", 8);
  size_t n = 8 + put_chunk(out + 8, "IHDR", ihdr, 13);
  n += put_chunk(out + n, "IDAT", (const uint8_t *)"\x78\x9c", 2);
  n += put_chunk(out + n, "IEND", NULL, 0);
  return n;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures_decode_u8_matches_oracle),
      cmocka_unit_test(test_fixtures_decode_float_keeps_16_bit_precision),
      cmocka_unit_test(test_probe_reads_header_fields),
      cmocka_unit_test(test_decode_by_content_not_extension),
      cmocka_unit_test(test_empty_input_is_refused),
      cmocka_unit_test(test_text_file_is_refused),
      cmocka_unit_test(test_truncated_jpeg_fails),
      cmocka_unit_test(test_truncated_png_fails),
      cmocka_unit_test(test_truncated_tiff_fails),
      cmocka_unit_test(test_png_claiming_40000x40000_is_refused_before_allocation),
      cmocka_unit_test(test_jpeg_and_tiff_claiming_huge_sizes_are_refused),
      cmocka_unit_test(test_jpeg_with_too_many_scans_is_refused),
      cmocka_unit_test(test_max_pixels_option_is_respected),
      cmocka_unit_test(test_allocation_failures_are_clean_on_every_decode_path),
      cmocka_unit_test(test_corrupted_bytes_fail_cleanly_or_decode_consistently),
  };
  return cmocka_run_group_tests(tests, load_manifest, NULL);
}
