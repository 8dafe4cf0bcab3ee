/* explore: CDFs against OpenCV's calcHist, the phantom set's known answers, the written
 * files, and the Kaggle set against the duplicates and outliers catalogued in its README. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "glia/explore.h"
#include "glia/file.h"
#include "glia/phantom.h"
#include "testutil.h"

static const glia_explore_image *image_named(const glia_explore *ex, const char *name) {
  for (size_t i = 0; i < ex->n_images; i++)
    if (!strcmp(ex->images[i].entry->name, name)) return &ex->images[i];
  return NULL;
}

static void test_cdf_matches_opencv_calchist(void **state) {
  (void)state;
  char *dir = tu_src("tests/fixtures/explore");
  glia_explore *ex;
  assert_int_equal(glia_explore_run(dir, NULL, &ex), GLIA_OK);
  assert_int_equal(ex->n_ok, 3);
  const char *names[3] = {"head_gray.png", "head_rgb.png", "head_color.jpg"};
  const int channels[3] = {1, 3, 3};
  for (int k = 0; k < 3; k++) {
    const glia_explore_image *im = image_named(ex, names[k]);
    assert_non_null(im);
    assert_int_equal(im->hist_channels, channels[k]);
    char rel[128];
    snprintf(rel, sizeof rel, "tests/fixtures/explore/%.*s.cdf.txt",
             (int)(strrchr(names[k], '.') - names[k]), names[k]);
    char *path = tu_src(rel);
    size_t n;
    double *ref = tu_read_numbers(path, &n);
    assert_int_equal(n, (size_t)channels[k] * 256);
    for (int c = 0; c < channels[k]; c++) {
      double cdf[256];
      glia_hist_cdf(im->hist[c], cdf);
      for (int v = 0; v < 256; v++) assert_float_equal(cdf[v], ref[c * 256 + v], 1e-8);
    }
    free(ref);
    free(path);
  }
  glia_explore_free(ex);
  free(dir);
}

static int has_outlier(const glia_explore_image *im, glia_outlier_kind k) {
  return (im->outliers >> k) & 1u;
}

static void test_phantom_set_known_answers(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  char *data = glia_path_join(d, "data"), *out = glia_path_join(d, "out");
  glia_phantom_set_opts po = GLIA_PHANTOM_SET_DEFAULTS;
  po.n_yes = 10;
  po.n_no = 7;
  po.size = 160;
  assert_int_equal(glia_phantom_write_set(data, &po), GLIA_OK);
  glia_explore *ex;
  assert_int_equal(glia_explore_run(data, NULL, &ex), GLIA_OK);
  assert_int_equal(ex->n_ok, 17);
  assert_int_equal(glia_explore_n_bad(ex), 0);
  /* Exactly one exact group (yes_001 = yes_002) and one near group (no_001 ~ no_002). */
  assert_int_equal(ex->n_groups, 2);
  assert_int_equal(ex->groups[0].kind, GLIA_DUP_EXACT);
  assert_string_equal(ex->images[ex->groups[0].members[0]].entry->name, "yes/yes_001.png");
  assert_string_equal(ex->images[ex->groups[0].members[1]].entry->name, "yes/yes_002.png");
  assert_int_equal(ex->groups[1].kind, GLIA_DUP_NEAR);
  assert_int_equal(ex->groups[1].n, 2);
  assert_string_equal(ex->images[ex->groups[1].members[0]].entry->name, "no/no_001.png");
  assert_string_equal(ex->images[ex->groups[1].members[1]].entry->name, "no/no_002.png");
  assert_true(has_outlier(image_named(ex, "yes/yes_003.png"), GLIA_OUTLIER_WHITE_BACKGROUND));
  assert_true(has_outlier(image_named(ex, "yes/yes_004.png"), GLIA_OUTLIER_BRIGHT_FRAME));
  assert_true(has_outlier(image_named(ex, "yes/yes_005.png"), GLIA_OUTLIER_CORNER_MARKS));
  assert_true(has_outlier(image_named(ex, "yes/yes_006.png"), GLIA_OUTLIER_TINY));
  assert_true(has_outlier(image_named(ex, "yes/yes_007.png"), GLIA_OUTLIER_COLOUR));
  const glia_explore_image *rgb = image_named(ex, "no/no_003.png");
  assert_int_equal(rgb->info.channels, 3);
  assert_false(has_outlier(rgb, GLIA_OUTLIER_COLOUR)); /* gray stored as RGB */
  for (int k = 8; k <= 10; k++) { /* plain images: no outlier at all (160 px is tiny) */
    char name[64];
    snprintf(name, sizeof name, "yes/yes_%03d.png", k);
    assert_int_equal(image_named(ex, name)->outliers, 1u << GLIA_OUTLIER_TINY);
  }
  /* Files: JSON parses with the promised fields, CSV has one row per channel, PNG plots. */
  assert_int_equal(glia_mkdirs(out), GLIA_OK);
  char *json = glia_path_join(out, "explore.json"), *csv = glia_path_join(out, "cdf.csv");
  assert_int_equal(glia_explore_write_json(ex, json), GLIA_OK);
  assert_int_equal(glia_explore_write_cdf_csv(ex, csv), GLIA_OK);
  assert_int_equal(glia_explore_plot(ex, out), GLIA_OK);
  size_t n;
  unsigned char *text = tu_read_file(json, &n);
  cJSON *root = cJSON_Parse((char *)text);
  assert_non_null(root);
  cJSON *classes = cJSON_GetObjectItem(root, "classes");
  assert_int_equal(cJSON_GetObjectItem(classes, "yes")->valueint, 10);
  assert_int_equal(cJSON_GetObjectItem(classes, "no")->valueint, 7);
  assert_int_equal(cJSON_GetObjectItem(root, "n_images")->valueint, 17);
  assert_int_equal(cJSON_GetObjectItem(root, "n_bad")->valueint, 0);
  assert_float_equal(cJSON_GetObjectItem(root, "imbalance_ratio")->valuedouble, 10.0 / 7, 1e-6);
  cJSON *images = cJSON_GetObjectItem(root, "images");
  assert_int_equal(cJSON_GetArraySize(images), 17);
  const char *keys[] = {"file",   "class",  "width", "height", "channels",
                        "format", "sha256", "mean",  "std",    "outliers"};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(images, 0), keys[k]));
  cJSON *groups = cJSON_GetObjectItem(root, "duplicate_groups");
  assert_int_equal(cJSON_GetArraySize(groups), 2);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(groups, 1), "kind")->valuestring,
                      "near");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "bad_files")), 0);
  cJSON_Delete(root);
  glia_free(text);
  text = tu_read_file(csv, &n);
  size_t lines = 0;
  for (size_t i = 0; i < n; i++) lines += text[i] == '\n';
  assert_int_equal(lines, 1 + 15 + 2 * 3); /* header, 15 gray images, 2 RGB (yes_007, no_003) × 3 */
  glia_free(text);
  const char *pngs[] = {"panel_001.png", "panel_002.png", "class_cdf.png", "class_histogram.png"};
  for (int k = 0; k < 4; k++) {
    char *p = glia_path_join(out, pngs[k]);
    glia_image_u8 *img;
    glia_load_opts lo = GLIA_LOAD_DEFAULTS;
    assert_int_equal(glia_image_load_u8(p, &lo, &img, NULL), GLIA_OK);
    assert_true(img->width >= 400 && img->height >= 400);
    glia_image_u8_free(img);
    free(p);
  }
  glia_explore_free(ex);
  free(json);
  free(csv);
  free(data);
  free(out);
  tu_rmtree(d);
  free(d);
}

/* The Kaggle set against its README: classes, formats, every exact duplicate group, most
 * near groups, and the catalogued outliers. */
static void test_kaggle_against_its_readme(void **state) {
  (void)state;
  char *k = tu_shared_data("kaggle-brain-mri");
  if (!k) return;
  glia_explore_opts o = GLIA_EXPLORE_DEFAULTS;
  o.thumb_px = 0;
  glia_explore *ex;
  assert_int_equal(glia_explore_run(k, &o, &ex), GLIA_OK);
  assert_int_equal(ex->n_ok, 253);
  assert_int_equal(glia_explore_n_bad(ex), 0);
  size_t jpeg = 0, png = 0, progressive = 0, gray = 0;
  for (size_t i = 0; i < ex->n_images; i++) {
    jpeg += ex->images[i].info.format == GLIA_FORMAT_JPEG;
    png += ex->images[i].info.format == GLIA_FORMAT_PNG;
    progressive += ex->images[i].info.format == GLIA_FORMAT_JPEG && ex->images[i].info.progressive;
    gray += ex->images[i].info.channels == 1;
  }
  assert_int_equal(jpeg, 245);
  assert_int_equal(png, 8);
  assert_int_equal(progressive, 11);
  assert_int_equal(gray, 30); /* "30 files are stored with one channel" */
  /* duplicates.csv: group,kind,class,file */
  char *csv = glia_path_join(k, "duplicates.csv");
  size_t n;
  unsigned char *text = tu_read_file(csv, &n);
  char *save = NULL, *line = strtok_r((char *)text, "\n", &save);
  char group[16] = "", kind[16] = "", members[8][128];
  int n_members = 0, matched[2] = {0, 0}, total[2] = {0, 0};
  for (line = strtok_r(NULL, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
    char g[16] = "", kd[16] = "", cls[16] = "", file[96] = "";
    if (line) sscanf(line, "%15[^,],%15[^,],%15[^,],%95[^\n]", g, kd, cls, file);
    if (!line || strcmp(g, group)) {
      if (group[0]) { /* close the previous group: is it one of ours, member for member? */
        int is_near = !strcmp(kind, "near"), found = 0;
        total[is_near]++;
        for (size_t q = 0; q < ex->n_groups && !found; q++) {
          const glia_dup_group *dg = &ex->groups[q];
          if ((int)dg->kind != is_near || dg->n != (size_t)n_members) continue;
          int all = 1;
          for (int m = 0; m < n_members && all; m++) {
            int in = 0;
            for (size_t j = 0; j < dg->n; j++)
              in |= !strcmp(ex->images[dg->members[j]].entry->name, members[m]);
            all = in;
          }
          found = all;
        }
        matched[is_near] += found;
        if (!found) fprintf(stderr, "README group %s (%s) not found as such\n", group, kind);
      }
      if (!line) break;
      snprintf(group, sizeof group, "%s", g);
      snprintf(kind, sizeof kind, "%s", kd);
      n_members = 0;
    }
    if (n_members < 8) snprintf(members[n_members++], sizeof members[0], "%s/%s", cls, file);
  }
  fprintf(stderr, "exact groups %d/%d, near groups %d/%d, glia groups %zu\n", matched[0], total[0],
          matched[1], total[1], ex->n_groups);
  assert_int_equal(total[0], 22);
  assert_int_equal(matched[0], 22); /* every exact group */
  assert_int_equal(total[1], 23);
  assert_true(matched[1] >= 20);   /* most near groups, member for member */
  assert_true(ex->n_groups <= 47); /* and hardly anything else */
  glia_free(text);
  free(csv);
  /* Outliers from the README's lists. */
  const char *white[] = {"yes/Y167.JPG", "no/No16.jpg"};
  for (int i = 0; i < 2; i++)
    assert_true(has_outlier(image_named(ex, white[i]), GLIA_OUTLIER_WHITE_BACKGROUND));
  const char *frames[] = {"yes/Y10.jpg",  "yes/Y37.jpg",  "yes/Y89.JPG",  "yes/Y109.JPG",
                          "no/20 no.jpg", "yes/Y101.jpg", "yes/Y183.jpg", "yes/Y120.JPG"};
  for (int i = 0; i < 8; i++)
    assert_true(has_outlier(image_named(ex, frames[i]), GLIA_OUTLIER_BRIGHT_FRAME));
  const char *colour[] = {"yes/Y46.jpg", "yes/Y47.JPG", "no/31 no.jpg", "yes/Y168.jpg"};
  for (int i = 0; i < 4; i++)
    assert_true(has_outlier(image_named(ex, colour[i]), GLIA_OUTLIER_COLOUR));
  const char *text_marks[] = {"yes/Y6.jpg",   "yes/Y14.jpg",  "yes/Y22.jpg", "yes/Y26.jpg",
                              "no/15 no.jpg", "no/29 no.jpg", "no/44no.jpg", "no/No12.jpg"};
  for (int i = 0; i < 8; i++)
    assert_true(has_outlier(image_named(ex, text_marks[i]), GLIA_OUTLIER_CORNER_MARKS));
  size_t tiny = 0, colour_all = 0;
  for (size_t i = 0; i < ex->n_images; i++) {
    tiny += has_outlier(&ex->images[i], GLIA_OUTLIER_TINY);
    colour_all += has_outlier(&ex->images[i], GLIA_OUTLIER_COLOUR);
  }
  assert_int_equal(tiny, 18);    /* the README's 17 plus no/20 no.jpg (194 px) */
  assert_true(colour_all <= 15); /* gray stored as RGB is not colour */
  glia_explore_free(ex);
  free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cdf_matches_opencv_calchist),
      cmocka_unit_test(test_phantom_set_known_answers),
      cmocka_unit_test(test_kaggle_against_its_readme),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
