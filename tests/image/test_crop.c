/* Cleanup and crop: synthetic cases with known answers, and the whole Kaggle set (skipped
 * when ../shared/data is absent). */
#include <dirent.h>

#include "fixture.h"
#include "glia/crop.h"
#include "glia/file.h"
#include "glia/filter.h"
#include "glia/morph.h"
#include "glia/threshold.h"

/* A 120×100 gray picture: an elliptic "head" (skull ring 200, brain 110) centred at (60, 50). */
static glia_image_u8 *phantom(int bg) {
  glia_image_u8 *img = glia_image_u8_new(120, 100, 1);
  for (int y = 0; y < 100; y++)
    for (int x = 0; x < 120; x++) {
      double dx = (x - 60) / 40.0, dy = (y - 50) / 34.0, r = dx * dx + dy * dy;
      img->data[y * 120 + x] = (uint8_t)(r <= 0.8 ? 110 : r <= 1.0 ? 200 : r <= 1.1 ? 30 : bg);
    }
  return img;
}

static void test_cleanup_turns_white_background_black_and_keeps_the_head(void **state) {
  (void)state;
  glia_image_u8 *img = phantom(245), *ref = phantom(0);
  glia_cleanup_report r;
  assert_int_equal(glia_cleanup(img, NULL, &r), GLIA_OK);
  assert_int_equal(r.white_background, 1);
  /* Everything outside the dark outline is black; the head (ring, outline, brain) is intact. */
  assert_memory_equal(img->data, ref->data, 120 * 100);
  glia_image_u8_free(img);
  glia_image_u8_free(ref);
}

static void test_cleanup_removes_frame_and_corner_mark(void **state) {
  (void)state;
  glia_image_u8 *img = phantom(0), *ref = phantom(0);
  for (int x = 0; x < 120; x++) img->data[x] = img->data[99 * 120 + x] = 250; /* frame */
  for (int y = 0; y < 100; y++) img->data[y * 120] = img->data[y * 120 + 119] = 250;
  for (int y = 4; y < 8; y++)
    for (int x = 110; x < 114; x++) img->data[y * 120 + x] = 255; /* a mark in the corner */
  glia_cleanup_report r;
  assert_int_equal(glia_cleanup(img, NULL, &r), GLIA_OK);
  assert_int_equal(r.white_background, 0);
  assert_true(r.frame_px >= 2 * 120 + 2 * 98);
  assert_int_equal(r.marks, 1);
  assert_memory_equal(img->data, ref->data, 120 * 100);
  glia_image_u8_free(img);
  glia_image_u8_free(ref);
}

static void test_cleanup_keeps_bright_tissue_touching_the_border(void **state) {
  (void)state;
  /* A bright blob cut by the left border is tissue, not a frame line: it stays. */
  glia_image_u8 *img = phantom(0);
  for (int y = 40; y < 60; y++)
    for (int x = 0; x < 15; x++) img->data[y * 120 + x] = 240;
  glia_image_u8 *before = glia_image_u8_new(120, 100, 1);
  memcpy(before->data, img->data, 120 * 100);
  glia_cleanup_opts o = GLIA_CLEANUP_DEFAULTS;
  o.marks = 0;
  assert_int_equal(glia_cleanup(img, &o, NULL), GLIA_OK);
  assert_memory_equal(img->data, before->data, 120 * 100);
  glia_image_u8_free(img);
  glia_image_u8_free(before);
}

static void test_hard_and_soft_crops_hold_the_head(void **state) {
  (void)state;
  glia_image_u8 *img = phantom(0);
  for (int m = GLIA_CROP_HARD; m <= GLIA_CROP_AUTO; m++) {
    glia_crop_opts o = GLIA_CROP_DEFAULTS;
    o.method = (glia_crop_method)m;
    glia_crop_result r;
    assert_int_equal(glia_crop_find(img->data, 120, 100, &o, &r), GLIA_OK);
    /* The head spans x 20..100 (exclusive), y 16..84; 2 % padding adds 2 px. */
    assert_true(r.x0 <= 20 && r.x1 >= 100 && r.y0 <= 16 && r.y1 >= 84);
    assert_true(r.x0 >= 14 && r.x1 <= 106 && r.y0 >= 10 && r.y1 <= 90);
    assert_false(r.empty);
    assert_true(r.head_kept_pct >= 99.0);
    if (m == GLIA_CROP_AUTO) assert_non_null(strstr(r.reason, "auto"));
  }
  glia_image_u8_free(img);
}

/* head_kept_pct against the plain count (every pixel of the big components of blur > t/2,
 * inside the box or not): a picture whose estimate has a component crossing the box (a dim
 * tail on the head), one inside it, one outside and one too small to count. */
static void test_head_kept_matches_plain_count(void **state) {
  (void)state;
  const int w = 160, h = 120;
  glia_image_u8 *img = phantom(0), *big = glia_image_u8_new(w, h, 1);
  for (int y = 0; y < 100; y++) memcpy(big->data + (size_t)y * w, img->data + (size_t)y * 120, 120);
  for (int y = 45; y < 56; y++)
    for (int x = 100; x < 150; x++) big->data[(size_t)y * w + x] = 40; /* tail, crossing */
  for (int y = 104; y < 116; y++)
    for (int x = 10; x < 40; x++) big->data[(size_t)y * w + x] = 40; /* outside the box */
  for (int y = 36; y < 64; y++)
    for (int x = 44; x < 76; x++) big->data[(size_t)y * w + x] = 0; /* a hole, and in it */
  for (int y = 42; y < 58; y++)
    for (int x = 50; x < 70; x++) big->data[(size_t)y * w + x] = 40; /* an island inside */
  big->data[(size_t)110 * w + 120] = 255;                            /* a speck: too small */
  glia_crop_opts o = GLIA_CROP_DEFAULTS;
  o.method = GLIA_CROP_HARD;
  o.analysis_px = 0;
  o.min_kept_pct = 0; /* no widening: the share of the box as found */
  glia_crop_result r;
  assert_int_equal(glia_crop_find(big->data, w, h, &o, &r), GLIA_OK);
  uint8_t *blur = malloc((size_t)w * h), *m = malloc((size_t)w * h);
  int32_t *lab = malloc((size_t)w * h * sizeof(int32_t)), count = 0;
  glia_component *c = NULL;
  assert_int_equal(glia_gaussian_blur_u8(big->data, blur, w, h, 5, 0), GLIA_OK);
  assert_int_equal(glia_otsu_u8(blur, (size_t)w * h), r.threshold);
  for (int i = 0; i < w * h; i++) m[i] = blur[i] > r.threshold / 2;
  assert_int_equal(glia_label(m, w, h, 8, lab, &c, &count), GLIA_OK);
  long in = 0, all = 0;
  int *seen = calloc((size_t)count + 1, sizeof(int)); /* bit 1: inside the box, bit 2: out */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int32_t l = lab[(size_t)y * w + x];
      if (!l) continue;
      int inside = x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
      seen[l] |= inside ? 1 : 2;
      if (c[l - 1].area * 200 < (int64_t)w * h) continue;
      all++;
      in += inside;
    }
  int crossing = 0, within = 0, outside = 0, small = 0;
  for (int32_t l = 1; l <= count; l++) {
    if (c[l - 1].area * 200 < (int64_t)w * h) {
      small++;
      continue;
    }
    crossing += seen[l] == 3;
    within += seen[l] == 1;
    outside += seen[l] == 2;
  }
  free(seen);
  /* Every case of the statistics' shortcut: crossing, inside, outside, too small. */
  assert_true(crossing >= 1 && within >= 1 && outside >= 1 && small >= 1);
  assert_true(r.head_kept_pct == 100.0 * in / all);
  glia_free(c);
  free(blur);
  free(m);
  free(lab);
  glia_image_u8_free(img);
  glia_image_u8_free(big);
}

static void test_all_black_image_gives_empty_crop_not_error(void **state) {
  (void)state;
  uint8_t black[64 * 64] = {0};
  glia_crop_result r;
  assert_int_equal(glia_crop_find(black, 64, 64, NULL, &r), GLIA_OK);
  assert_true(r.empty);
  assert_int_equal(r.x0, 0);
  assert_int_equal(r.x1, 64);
  assert_non_null(strstr(r.reason, "no head"));
  uint8_t tiny[9] = {0, 0, 0, 0, 255, 0, 0, 0, 0};
  assert_int_equal(glia_crop_find(tiny, 3, 3, NULL, &r), GLIA_OK); /* 3×3 works */
}

static void test_crop_square_pads_and_resizes(void **state) {
  (void)state;
  uint8_t g[6 * 4];
  for (int i = 0; i < 24; i++) g[i] = 100;
  glia_image_u8 *out = NULL;
  assert_int_equal(glia_crop_square(g, 6, 4, 1, 0, 5, 2, 0, &out), GLIA_OK);
  /* A 4×2 box in a 4×4 square, centred: rows 1 and 2 hold it, rows 0 and 3 are black. */
  assert_int_equal(out->width, 4);
  assert_int_equal(out->data[0], 0);
  assert_int_equal(out->data[4], 100);
  assert_int_equal(out->data[8], 100);
  assert_int_equal(out->data[12], 0);
  glia_image_u8_free(out);
  assert_int_equal(glia_crop_square(g, 6, 4, 1, 0, 5, 2, 8, &out), GLIA_OK);
  assert_int_equal(out->width, 8);
  glia_image_u8_free(out);
  assert_int_equal(glia_crop_square(g, 6, 4, 4, 0, 2, 2, 0, &out), GLIA_ERR_ARGUMENT);
}

/* Every image of the Kaggle set: after cleanup, the crop keeps at least 99 % of the head, the
 * head being the components above 1 % of the image of (Gaussian 5×5 blur > Otsu) on the full-
 * size image — a different estimate from the crop's own (shrunk image, opened and closed). */
static void check_kaggle_image(const char *path, int *n_checked) {
  glia_image_u8 *img = NULL, *gray = NULL;
  assert_int_equal(glia_image_load_u8(path, NULL, &img, NULL), GLIA_OK);
  assert_int_equal(glia_cleanup(img, NULL, NULL), GLIA_OK);
  assert_int_equal(glia_image_u8_to_gray(img, &gray), GLIA_OK);
  int w = gray->width, h = gray->height;
  glia_crop_result r;
  assert_int_equal(glia_crop_find(gray->data, w, h, NULL, &r), GLIA_OK);
  size_t n = (size_t)w * h;
  uint8_t *b = malloc(n);
  int32_t *lab = malloc(n * sizeof(int32_t));
  assert_int_equal(glia_gaussian_blur_u8(gray->data, b, w, h, 5, 0), GLIA_OK);
  int t = glia_otsu_u8(b, n);
  for (size_t i = 0; i < n; i++) b[i] = b[i] > t;
  glia_component *c = NULL;
  int32_t count;
  assert_int_equal(glia_label(b, w, h, 8, lab, &c, &count), GLIA_OK);
  long in = 0, all = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int32_t l = lab[(size_t)y * w + x];
      if (!l || c[l - 1].area * 100 < (int64_t)n) continue;
      all++;
      in += x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
    }
  double kept = all ? 100.0 * in / all : 100;
  if (kept < 99) fprintf(stderr, "%s: crop keeps %.2f %% of the head\n", path, kept);
  assert_true(kept >= 99.0);
  assert_false(r.empty);
  glia_free(c);
  free(b);
  free(lab);
  glia_image_u8_free(img);
  glia_image_u8_free(gray);
  ++*n_checked;
}

static void test_crop_keeps_whole_head_on_every_kaggle_image(void **state) {
  (void)state;
  char *root = tu_shared_data("kaggle-brain-mri");
  if (!root) {
    skip();
    return;
  }
  int n = 0;
  const char *cls[2] = {"yes", "no"};
  for (int k = 0; k < 2; k++) {
    char *dir = glia_path_join(root, cls[k]);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char *p = glia_path_join(dir, e->d_name);
      check_kaggle_image(p, &n);
      free(p);
    }
    closedir(d);
    free(dir);
  }
  assert_int_equal(n, 253);
  free(root);
}

/* Largest of the medians of the four corner squares (8 % of the short side). */
static int corner_median(const glia_image_u8 *g) {
  int side = (g->width < g->height ? g->width : g->height) * 8 / 100, worst = 0;
  for (int k = 0; k < 4; k++) {
    int hist[256] = {0}, x0 = k & 1 ? g->width - side : 0, y0 = k & 2 ? g->height - side : 0;
    for (int y = y0; y < y0 + side; y++)
      for (int x = x0; x < x0 + side; x++) hist[g->data[(size_t)y * g->width + x]]++;
    int acc = 0, v = 0;
    while ((acc += hist[v]) * 2 < side * side) v++;
    worst = v > worst ? v : worst;
  }
  return worst;
}

/* Fraction of the pixels within `band` of the border that are black (gray <= 20). */
static double border_black(const glia_image_u8 *g, int band) {
  long k = 0, all = 0;
  for (int y = 0; y < g->height; y++)
    for (int x = 0; x < g->width; x++) {
      if (x >= band && y >= band && x + band < g->width && y + band < g->height) continue;
      all++;
      k += g->data[(size_t)y * g->width + x] <= 20;
    }
  return (double)k / all;
}

static void test_cleanup_blackens_white_backgrounds_and_frames_of_kaggle(void **state) {
  (void)state;
  char *root = tu_shared_data("kaggle-brain-mri");
  if (!root) {
    skip();
    return;
  }
  /* White backgrounds (README: Y167, No16): every corner square (8 % of the short side) has a
   * median gray <= 20 after cleanup. Full white frames (Y10, Y37, Y89, Y109, 20 no; thin:
   * Y101, Y183): at least 95 % of the outermost pixels are black after cleanup, less than half
   * before. */
  const struct {
    const char *file;
    int white_background;
  } files[] = {{"yes/Y167.JPG", 1}, {"no/No16.jpg", 1},  {"yes/Y10.jpg", 0},
               {"yes/Y37.jpg", 0},  {"yes/Y89.JPG", 0},  {"yes/Y109.JPG", 0},
               {"no/20 no.jpg", 0}, {"yes/Y101.jpg", 0}, {"yes/Y183.jpg", 0}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *p = glia_path_join(root, files[i].file);
    glia_image_u8 *img = NULL, *gray = NULL;
    assert_int_equal(glia_image_load_u8(p, NULL, &img, NULL), GLIA_OK);
    assert_int_equal(glia_image_u8_to_gray(img, &gray), GLIA_OK);
    double before = border_black(gray, 1);
    glia_image_u8_free(gray);
    assert_int_equal(glia_cleanup(img, NULL, NULL), GLIA_OK);
    assert_int_equal(glia_image_u8_to_gray(img, &gray), GLIA_OK);
    double after = border_black(gray, 1);
    if (files[i].white_background) {
      int m = corner_median(gray);
      if (m > 20) fprintf(stderr, "%s: a corner's median is %d\n", files[i].file, m);
      assert_true(m <= 20);
    } else {
      if (after < 0.95 || before >= 0.5)
        fprintf(stderr, "%s: border black %.3f -> %.3f\n", files[i].file, before, after);
      assert_true(before < 0.5);
      assert_true(after >= 0.95);
    }
    glia_image_u8_free(img);
    glia_image_u8_free(gray);
    free(p);
  }
  free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cleanup_turns_white_background_black_and_keeps_the_head),
      cmocka_unit_test(test_cleanup_removes_frame_and_corner_mark),
      cmocka_unit_test(test_cleanup_keeps_bright_tissue_touching_the_border),
      cmocka_unit_test(test_hard_and_soft_crops_hold_the_head),
      cmocka_unit_test(test_all_black_image_gives_empty_crop_not_error),
      cmocka_unit_test(test_crop_square_pads_and_resizes),
      cmocka_unit_test(test_head_kept_matches_plain_count),
      cmocka_unit_test(test_crop_keeps_whole_head_on_every_kaggle_image),
      cmocka_unit_test(test_cleanup_blackens_white_backgrounds_and_frames_of_kaggle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
