/* PNG writing: images, masks and label maps read back twice, by glia's decoder and by a
 * small independent reader below (chunk CRCs, zlib inflate, the five PNG row filters, after
 * the PNG specification, W3C 2003, sections 9 and 11), plus atomic-write behaviour. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "glia/core.h"
#include "glia/file.h"
#include "glia/image.h"
#include "testutil.h"

/* ---- the independent reader: non-interlaced 8/16-bit gray, gray+alpha, RGB, RGBA */
typedef struct png_read {
  uint32_t width, height;
  int depth, color_type, channels;
  uint16_t *samples; /* width × height × channels, malloc'ed */
} png_read;

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static void read_png_independently(const char *path, png_read *out) {
  size_t n;
  unsigned char *d = tu_read_file(path, &n);
  assert_true(n > 8);
  assert_memory_equal(d, "\x89PNG\r\n\x1a\n", 8);
  unsigned char *idat = NULL;
  size_t idat_n = 0, pos = 8;
  int seen_iend = 0;
  memset(out, 0, sizeof *out);
  while (pos + 12 <= n && !seen_iend) {
    uint32_t len = be32(d + pos);
    assert_true(pos + 12 + len <= n);
    const unsigned char *type = d + pos + 4, *body = d + pos + 8;
    assert_int_equal(crc32(0, type, len + 4), be32(body + len)); /* every chunk's CRC */
    if (!memcmp(type, "IHDR", 4)) {
      out->width = be32(body);
      out->height = be32(body + 4);
      out->depth = body[8];
      out->color_type = body[9];
      assert_int_equal(body[12], 0); /* glia writes non-interlaced files */
    } else if (!memcmp(type, "IDAT", 4)) {
      idat = realloc(idat, idat_n + len);
      assert_non_null(idat);
      memcpy(idat + idat_n, body, len);
      idat_n += len;
    } else if (!memcmp(type, "IEND", 4)) {
      seen_iend = 1;
    }
    pos += 12 + len;
  }
  assert_true(seen_iend);
  assert_int_equal(pos, n); /* nothing after IEND */
  static const int channels_of[7] = {1, 0, 3, 0, 2, 0, 4};
  assert_true(out->color_type <= 6 && channels_of[out->color_type] > 0);
  out->channels = channels_of[out->color_type];
  assert_true(out->depth == 8 || out->depth == 16);
  size_t bpp = (size_t)out->channels * (size_t)out->depth / 8;
  size_t row = (size_t)out->width * bpp;
  uLongf raw_n = (uLongf)((row + 1) * out->height);
  unsigned char *raw = malloc(raw_n);
  assert_non_null(raw);
  assert_int_equal(uncompress(raw, &raw_n, idat, (uLong)idat_n), Z_OK);
  assert_int_equal(raw_n, (row + 1) * out->height);
  /* undo the row filters in place: each row is a filter byte and `row` filtered bytes */
  for (uint32_t y = 0; y < out->height; y++) {
    unsigned char *r = raw + y * (row + 1) + 1, *up = y ? r - (row + 1) : NULL;
    int filter = r[-1];
    assert_true(filter <= 4);
    for (size_t i = 0; i < row; i++) {
      int a = i >= bpp ? r[i - bpp] : 0, b = up ? up[i] : 0, c = up && i >= bpp ? up[i - bpp] : 0;
      int pred = filter == 1   ? a
                 : filter == 2 ? b
                 : filter == 3 ? (a + b) / 2
                 : filter == 4 ? paeth(a, b, c)
                               : 0;
      r[i] = (unsigned char)(r[i] + pred);
    }
  }
  size_t count = (size_t)out->width * out->height * (size_t)out->channels;
  out->samples = malloc(count * sizeof *out->samples);
  assert_non_null(out->samples);
  for (size_t i = 0; i < count; i++) {
    size_t y = i / (out->width * (size_t)out->channels),
           k = i % (out->width * (size_t)out->channels);
    const unsigned char *p = raw + y * (row + 1) + 1 + k * (size_t)(out->depth / 8);
    out->samples[i] = out->depth == 16 ? (uint16_t)(p[0] << 8 | p[1]) : p[0];
  }
  free(raw);
  free(idat);
  glia_free(d);
}

/* No "NAME.tmp-XXXXXX" left beside the outputs. */
static void assert_no_temp_files(const char *dir) {
  DIR *dd = opendir(dir);
  assert_non_null(dd);
  struct dirent *e;
  while ((e = readdir(dd))) {
    if (strstr(e->d_name, ".tmp-")) fail_msg("temporary file left behind: %s/%s", dir, e->d_name);
  }
  closedir(dd);
}

/* A pattern that uses the whole 0..255 range and differs per channel. */
static uint8_t *pattern(int w, int h, int c) {
  uint8_t *p = malloc((size_t)w * h * c);
  assert_non_null(p);
  for (int i = 0; i < w * h * c; i++)
    p[i] = (uint8_t)((i * 37 + (i / c) * 11 + (i % c) * 101) & 255);
  return p;
}

static void test_png_write_u8_round_trips_gray_rgb_rgba(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  const int w = 19, h = 11;
  const char *colors[5] = {NULL, "gray", NULL, "rgb", "rgba"};
  for (int c = 1; c <= 4; c++) {
    if (c == 2) continue;
    uint8_t *px = pattern(w, h, c);
    char name[32];
    snprintf(name, sizeof name, "img%d.png", c);
    char *path = glia_path_join(dir, name);
    assert_int_equal(glia_png_write_u8(path, px, w, h, c), GLIA_OK);
    png_read r;
    read_png_independently(path, &r);
    assert_int_equal(r.width, w);
    assert_int_equal(r.height, h);
    assert_int_equal(r.depth, 8);
    assert_int_equal(r.channels, c);
    for (int i = 0; i < w * h * c; i++) assert_int_equal(r.samples[i], px[i]);
    glia_image_u8 *img;
    glia_image_info info;
    assert_int_equal(glia_image_load_u8(path, NULL, &img, &info), GLIA_OK);
    assert_int_equal(info.format, GLIA_FORMAT_PNG);
    assert_string_equal(info.color, colors[c]);
    assert_int_equal(img->channels, c);
    assert_memory_equal(img->data, px, (size_t)w * h * c);
    glia_image_u8_free(img);
    free(r.samples);
    glia_free(path);
    free(px);
  }
  assert_no_temp_files(dir);
  tu_rmtree(dir);
  free(dir);
}

static void test_png_write_refuses_bad_shapes_naming_the_path(void **state) {
  (void)state;
  uint8_t px[8] = {0};
  assert_int_equal(glia_png_write_u8("/tmp/x/two.png", px, 2, 2, 2), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "/tmp/x/two.png"));
  assert_int_equal(glia_png_write_u8("/tmp/x/zero.png", px, 0, 2, 1), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "/tmp/x/zero.png"));
  assert_int_equal(glia_png_write_u8("/tmp/x/five.png", px, 1, 1, 5), GLIA_ERR_ARGUMENT);
}

static void test_float_image_saves_rounded_and_clamped(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *path = glia_path_join(dir, "f.png");
  glia_image *img = glia_image_new(6, 1, 1);
  assert_non_null(img);
  const float v[6] = {0.0f, 1.0f, 0.2f, 0.5f, 1.5f, -0.25f};
  const uint16_t want[6] = {0, 255, 51, 128, 255, 0}; /* round(v·255), clamped to 0..255 */
  memcpy(img->data, v, sizeof v);
  assert_int_equal(glia_image_save_png(path, img), GLIA_OK);
  png_read r;
  read_png_independently(path, &r);
  assert_memory_equal(r.samples, want, sizeof want);
  free(r.samples);
  glia_image_free(img);
  glia_free(path);
  tu_rmtree(dir);
  free(dir);
}

static void test_mask_saves_nonzero_as_255(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *path = glia_path_join(dir, "mask.png");
  const int w = 7, h = 5;
  uint8_t mask[35];
  for (int i = 0; i < w * h; i++) mask[i] = (uint8_t)(i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 200);
  assert_int_equal(glia_mask_save_png(path, mask, w, h), GLIA_OK);
  png_read r;
  read_png_independently(path, &r);
  assert_int_equal(r.color_type, 0);
  assert_int_equal(r.depth, 8);
  for (int i = 0; i < w * h; i++) assert_int_equal(r.samples[i], mask[i] ? 255 : 0);
  glia_image_u8 *img;
  assert_int_equal(glia_image_load_u8(path, NULL, &img, NULL), GLIA_OK);
  for (int i = 0; i < w * h; i++) assert_int_equal(img->data[i], mask[i] ? 255 : 0);
  glia_image_u8_free(img);
  free(r.samples);
  glia_free(path);
  tu_rmtree(dir);
  free(dir);
}

static void test_labels_save_8_bit_when_they_fit_else_16_bit(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  const int w = 9, h = 4;
  int32_t small[36], big[36];
  for (int i = 0; i < w * h; i++) {
    small[i] = (i * 7) % 256;          /* 0..255: 8-bit */
    big[i] = i == 5 ? 65535 : i * 300; /* up to 65535: 16-bit */
  }
  char *p8 = glia_path_join(dir, "labels8.png"), *p16 = glia_path_join(dir, "labels16.png");
  assert_int_equal(glia_labels_save_png(p8, small, w, h), GLIA_OK);
  assert_int_equal(glia_labels_save_png(p16, big, w, h), GLIA_OK);
  png_read r;
  read_png_independently(p8, &r);
  assert_int_equal(r.depth, 8);
  for (int i = 0; i < w * h; i++) assert_int_equal(r.samples[i], small[i]);
  free(r.samples);
  read_png_independently(p16, &r);
  assert_int_equal(r.depth, 16);
  assert_int_equal(r.color_type, 0);
  for (int i = 0; i < w * h; i++) assert_int_equal(r.samples[i], big[i]);
  free(r.samples);
  /* glia's own decoder gives back the labels: 16-bit samples v / 65535 in float */
  glia_image *img;
  glia_image_info info;
  assert_int_equal(glia_image_load(p16, NULL, &img, &info), GLIA_OK);
  assert_int_equal(info.bit_depth, 16);
  for (int i = 0; i < w * h; i++) assert_int_equal((int)(img->data[i] * 65535.0f + 0.5f), big[i]);
  glia_image_free(img);
  glia_image_u8 *u;
  assert_int_equal(glia_image_load_u8(p8, NULL, &u, NULL), GLIA_OK);
  for (int i = 0; i < w * h; i++) assert_int_equal(u->data[i], small[i]);
  glia_image_u8_free(u);
  /* labels outside 0..65535 are refused, naming the file, and nothing is written */
  char *bad = glia_path_join(dir, "bad.png");
  big[3] = -1;
  assert_int_equal(glia_labels_save_png(bad, big, w, h), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), bad));
  big[3] = 65536;
  assert_int_equal(glia_labels_save_png(bad, big, w, h), GLIA_ERR_ARGUMENT);
  FILE *f = fopen(bad, "rb");
  assert_null(f);
  assert_no_temp_files(dir);
  glia_free(bad);
  glia_free(p8);
  glia_free(p16);
  tu_rmtree(dir);
  free(dir);
}

static void test_write_into_missing_folder_fails_naming_the_path(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *path = glia_path_join(dir, "no/such/folder/out.png");
  uint8_t px[4] = {1, 2, 3, 4};
  glia_clear_error();
  assert_int_equal(glia_png_write_u8(path, px, 2, 2, 1), GLIA_ERR_IO);
  assert_non_null(strstr(glia_last_error(), path));
  assert_int_equal(glia_mask_save_png(path, px, 2, 2), GLIA_ERR_IO);
  assert_non_null(strstr(glia_last_error(), path));
  glia_free(path);
  tu_rmtree(dir);
  free(dir);
}

/* Allocation failures while writing: every one is a clean error, the old file stays as it
 * was, and no temporary file is left. */
static void test_failed_write_keeps_old_file_and_leaves_no_temp(void **state) {
  (void)state;
  char *dir = tu_mkdtemp();
  char *path = glia_path_join(dir, "out.png");
  assert_int_equal(glia_file_write(path, "old", 3), GLIA_OK);
  uint8_t *px = pattern(13, 9, 3);
  int32_t labels[117];
  for (int i = 0; i < 117; i++) labels[i] = i * 500;
  for (int which = 0; which < 3; which++) {
    long k = 0;
    for (;; k++) {
      assert_true(k < 10000);
      glia_alloc_fail_after(k);
      glia_status s = which == 0   ? glia_png_write_u8(path, px, 13, 9, 3)
                      : which == 1 ? glia_mask_save_png(path, px, 13, 9)
                                   : glia_labels_save_png(path, labels, 13, 9);
      glia_alloc_fail_after(-1);
      assert_no_temp_files(dir);
      if (s == GLIA_OK) break;
      assert_int_equal(s, GLIA_ERR_NOMEM);
      assert_non_null(strstr(glia_last_error(), path));
      size_t n;
      unsigned char *d = tu_read_file(path, &n);
      assert_int_equal(n, 3);
      assert_memory_equal(d, "old", 3);
      glia_free(d);
    }
    assert_true(k >= 1);
    assert_int_equal(glia_file_write(path, "old", 3), GLIA_OK);
  }
  free(px);
  glia_free(path);
  tu_rmtree(dir);
  free(dir);
}

/* The bytes cv2.imwrite writes with its defaults (tests/fixtures/io/gen_png_write.py): glia
 * writes the same pixels into the same file, so its PNG settings (Sub filter, zlib level 1,
 * Z_RLE) are those of the OpenCV script glia preprocess is compared with. */
static void test_png_bytes_equal_cv2_imwrite(void **state) {
  (void)state;
  static const char *const names[] = {"cv_gray8", "cv_rgb8", "cv_rgba8", "cv_gray16"};
  char *dir = tu_mkdtemp();
  for (int f = 0; f < 4; f++) {
    char rel[96], name[32];
    snprintf(rel, sizeof rel, "tests/fixtures/io/%s.png", names[f]);
    snprintf(name, sizeof name, "%s.png", names[f]);
    char *src = tu_src(rel), *dst = glia_path_join(dir, name);
    png_read r;
    read_png_independently(src, &r);
    size_t n = (size_t)r.width * r.height * (size_t)r.channels;
    if (r.depth == 8) {
      uint8_t *px = malloc(n);
      assert_non_null(px);
      for (size_t i = 0; i < n; i++) px[i] = (uint8_t)r.samples[i];
      assert_int_equal(glia_png_write_u8(dst, px, (int)r.width, (int)r.height, r.channels),
                       GLIA_OK);
      free(px);
    } else {
      assert_int_equal(r.channels, 1);
      int32_t *labels = malloc(n * sizeof *labels);
      assert_non_null(labels);
      for (size_t i = 0; i < n; i++) labels[i] = r.samples[i];
      assert_int_equal(glia_labels_save_png(dst, labels, (int)r.width, (int)r.height), GLIA_OK);
      free(labels);
    }
    size_t na, nb;
    unsigned char *a = tu_read_file(src, &na), *b = tu_read_file(dst, &nb);
    if (na != nb || memcmp(a, b, na))
      fail_msg("%s: glia wrote %zu bytes, cv2.imwrite %zu, not the same", names[f], nb, na);
    glia_free(a);
    glia_free(b);
    free(r.samples);
    free(src);
    glia_free(dst);
  }
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_png_write_u8_round_trips_gray_rgb_rgba),
      cmocka_unit_test(test_png_write_refuses_bad_shapes_naming_the_path),
      cmocka_unit_test(test_float_image_saves_rounded_and_clamped),
      cmocka_unit_test(test_mask_saves_nonzero_as_255),
      cmocka_unit_test(test_labels_save_8_bit_when_they_fit_else_16_bit),
      cmocka_unit_test(test_write_into_missing_folder_fails_naming_the_path),
      cmocka_unit_test(test_failed_write_keeps_old_file_and_leaves_no_temp),
      cmocka_unit_test(test_png_bytes_equal_cv2_imwrite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
