/* Image decoding on the real data sets in ../shared/data (skipped with a message when they
 * are absent): every Kaggle brain-MRI file and two LGG patients decode, with the counts and
 * traps their READMEs list, and named files match OpenCV's decoding (per-channel sums in
 * tests/fixtures/images/real_checksums.txt, written by gen_images.py --real). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/core.h"
#include "glia/file.h"
#include "glia/image.h"
#include "testutil.h"

static int ends_with_jpg(const char *name) {
  size_t n = strlen(name);
  return n > 4 && name[n - 4] == '.' && tolower((unsigned char)name[n - 3]) == 'j' &&
         tolower((unsigned char)name[n - 2]) == 'p' && tolower((unsigned char)name[n - 1]) == 'g';
}

static int in_list(const char *s, const char *const *list, int n) {
  for (int i = 0; i < n; i++)
    if (!strcmp(s, list[i])) return 1;
  return 0;
}

/* Counts from the data set's README ("Formats"). */
static void test_kaggle_all_files_decode_with_readme_counts(void **state) {
  (void)state;
  char *root = tu_shared_data("kaggle-brain-mri");
  if (!root) skip();
  static const char *const progressive[] = {
      "yes/Y104.jpg", "yes/Y15.jpg", "yes/Y181.jpg", "yes/Y186.jpg", "yes/Y22.jpg", "yes/Y34.jpg",
      "yes/Y39.jpg",  "yes/Y41.jpg", "yes/Y46.jpg",  "no/N21.jpg",   "no/no 10.jpg"};
  static const char *const png_named_jpg[] = {"no/No15.jpg",  "no/No17.jpg", "no/No18.jpg",
                                              "no/no 96.jpg", "no/no.jpg",   "no/no 98.jpg"};
  int files = 0, jpeg = 0, png = 0, prog = 0, jpeg_gray = 0, jpeg_color = 0, fake_jpg = 0;
  int per_class[2] = {0, 0};
  const char *classes[2] = {"yes", "no"};
  for (int c = 0; c < 2; c++) {
    char *dir = glia_path_join(root, classes[c]);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char rel[512], *path = glia_path_join(dir, e->d_name);
      snprintf(rel, sizeof rel, "%s/%s", classes[c], e->d_name);
      glia_image_u8 *img;
      glia_image_info info;
      glia_status s = glia_image_load_u8(path, NULL, &img, &info);
      if (s) fail_msg("%s: %s", rel, glia_last_error());
      assert_int_equal(img->width, info.width);
      assert_int_equal(img->height, info.height);
      files++;
      per_class[c]++;
      if (info.format == GLIA_FORMAT_JPEG) {
        jpeg++;
        assert_int_equal(info.bit_depth, 8);
        if (info.channels == 1) jpeg_gray++;
        if (info.channels == 3) jpeg_color++;
      } else {
        assert_int_equal(info.format, GLIA_FORMAT_PNG);
        png++;
        if (ends_with_jpg(e->d_name)) {
          fake_jpg++;
          if (!in_list(rel, png_named_jpg, 6)) fail_msg("%s: a PNG not in the README", rel);
        }
      }
      if (info.progressive) {
        prog++;
        if (!in_list(rel, progressive, 11)) fail_msg("%s: progressive, not in the README", rel);
      }
      glia_image_u8_free(img);
      glia_free(path);
    }
    closedir(d);
    glia_free(dir);
  }
  assert_int_equal(files, 253);
  assert_int_equal(per_class[0], 155);
  assert_int_equal(per_class[1], 98);
  assert_int_equal(jpeg, 245);
  assert_int_equal(png, 8);
  assert_int_equal(prog, 11);
  assert_int_equal(jpeg_color, 216);
  assert_int_equal(jpeg_gray, 29);
  assert_int_equal(fake_jpg, 6);
  free(root);
}

/* real_checksums.txt: "DATASET/FILE|width height channels sum0 sum1 sum2 sum3". */
static void test_named_files_match_opencv(void **state) {
  (void)state;
  char *data = tu_shared_data("");
  char *kaggle = tu_shared_data("kaggle-brain-mri");
  char *lgg = tu_shared_data("lgg-mri-segmentation");
  if (!data || !kaggle || !lgg) {
    free(data);
    free(kaggle);
    free(lgg);
    skip();
  }
  char *list = tu_src("tests/fixtures/images/real_checksums.txt");
  size_t n;
  unsigned char *text = tu_read_file(list, &n);
  int checked = 0;
  for (char *line = strtok((char *)text, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#') continue;
    char *bar = strchr(line, '|');
    assert_non_null(bar);
    *bar = 0;
    int w, h, c;
    long long want[4];
    assert_int_equal(sscanf(bar + 1, "%d %d %d %lld %lld %lld %lld", &w, &h, &c, &want[0], &want[1],
                            &want[2], &want[3]),
                     7);
    char *path = glia_path_join(data, line);
    glia_image_u8 *img;
    glia_status s = glia_image_load_u8(path, NULL, &img, NULL);
    if (s) fail_msg("%s", glia_last_error());
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
    assert_int_equal(img->channels, c);
    long long got[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < (size_t)w * h; i++)
      for (int k = 0; k < c; k++) got[k] += img->data[i * (size_t)c + (size_t)k];
    /* Same libjpeg-turbo and libpng as OpenCV, so the sums agree exactly on this machine;
     * the bound, one level on 2 % of the samples, leaves room for another libjpeg-turbo
     * build's rounding while a channel swap, a wrong colour conversion or a lost row is
     * off by far more. */
    long long tol = (long long)w * h / 50;
    for (int k = 0; k < 4; k++)
      if (llabs(got[k] - want[k]) > tol)
        fail_msg("%s: channel %d sums to %lld, OpenCV %lld", line, k, got[k], want[k]);
    glia_image_u8_free(img);
    glia_free(path);
    checked++;
  }
  assert_int_equal(checked, 16);
  glia_free(text);
  free(list);
  free(data);
  free(kaggle);
  free(lgg);
}

/* Two whole LGG patients: images 256×256 RGB 8-bit, masks 256×256 gray holding only 0 and
 * 255, and as many slices with tumour as the README's table gives. */
static void test_lgg_images_and_masks(void **state) {
  (void)state;
  char *root = tu_shared_data("lgg-mri-segmentation/kaggle_3m");
  if (!root) skip();
  static const struct {
    const char *patient;
    int slices, tumour;
  } patients[2] = {{"TCGA_CS_4942_19970222", 20, 6}, {"TCGA_HT_7616_19940813", 30, 15}};
  for (int p = 0; p < 2; p++) {
    int tumour = 0;
    for (int k = 1; k <= patients[p].slices; k++) {
      for (int m = 0; m < 2; m++) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s/%s_%d%s.tif", patients[p].patient, patients[p].patient, k,
                 m ? "_mask" : "");
        char *path = glia_path_join(root, rel);
        glia_image_u8 *img;
        glia_image_info info;
        glia_status s = glia_image_load_u8(path, NULL, &img, &info);
        if (s) fail_msg("%s", glia_last_error());
        assert_int_equal(info.format, GLIA_FORMAT_TIFF);
        assert_int_equal(img->width, 256);
        assert_int_equal(img->height, 256);
        assert_int_equal(info.bit_depth, 8);
        assert_int_equal(img->channels, m ? 1 : 3);
        assert_string_equal(info.color, m ? "gray" : "rgb");
        if (m) {
          int any = 0;
          for (size_t i = 0; i < 256 * 256; i++) {
            if (img->data[i] != 0 && img->data[i] != 255)
              fail_msg("%s: mask value %d", rel, img->data[i]);
            any |= img->data[i];
          }
          tumour += any != 0;
        }
        glia_image_u8_free(img);
        glia_free(path);
      }
    }
    assert_int_equal(tumour, patients[p].tumour);
  }
  free(root);
}

/* A real progressive JPEG cut in half fails instead of decoding half grey. */
static void test_real_truncated_jpeg_fails(void **state) {
  (void)state;
  char *root = tu_shared_data("kaggle-brain-mri");
  if (!root) skip();
  const char *names[2] = {"yes/Y104.jpg", "yes/Y1.jpg"};
  for (int k = 0; k < 2; k++) {
    char *path = glia_path_join(root, names[k]);
    size_t n;
    unsigned char *d = tu_read_file(path, &n);
    glia_image_u8 *img = NULL;
    assert_int_equal(glia_image_decode_u8(d, n / 2, names[k], NULL, &img, NULL), GLIA_ERR_FORMAT);
    assert_null(img);
    assert_non_null(strstr(glia_last_error(), names[k]));
    glia_free(d);
    glia_free(path);
  }
  free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kaggle_all_files_decode_with_readme_counts),
      cmocka_unit_test(test_named_files_match_opencv),
      cmocka_unit_test(test_lgg_images_and_masks),
      cmocka_unit_test(test_real_truncated_jpeg_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
