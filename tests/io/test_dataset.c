/* Data set scanning: layouts, extensions, names with spaces, natural order, bad entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glia/dataset.h"
#include "glia/file.h"
#include "testutil.h"

static void touch(const char *dir, const char *rel) {
  char *p = glia_path_join(dir, rel);
  char *slash = strrchr(p, '/');
  *slash = '\0';
  assert_int_equal(glia_mkdirs(p), GLIA_OK);
  *slash = '/';
  tu_write_file(p, "x", 1);
  free(p);
}

static const glia_entry *find(const glia_dataset *ds, const char *name) {
  for (size_t i = 0; i < ds->n_entries; i++)
    if (!strcmp(ds->entries[i].name, name)) return &ds->entries[i];
  return NULL;
}

static void test_class_folders_with_mixed_case_extensions(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  touch(d, "yes/Y10.jpg");
  touch(d, "yes/Y2.JPG");
  touch(d, "yes/a b.jpeg");
  touch(d, "no/no 1.Png");
  touch(d, "no/N3.tif");
  touch(d, "no/N4.TIFF");
  touch(d, "no/readme.txt");
  touch(d, "README.md");
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(d, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->layout, GLIA_LAYOUT_CLASS_FOLDERS);
  assert_int_equal(ds->n_entries, 6);
  assert_int_equal(ds->n_classes, 2);
  assert_string_equal(ds->classes[0], "no");
  assert_string_equal(ds->classes[1], "yes");
  const glia_entry *e = find(ds, "yes/a b.jpeg");
  assert_non_null(e);
  assert_string_equal(e->label, "yes");
  assert_int_equal(e->class_id, 1);
  assert_int_equal(e->group, -1);
  /* natural order inside a class: Y2 before Y10 */
  size_t i2 = (size_t)(find(ds, "yes/Y2.JPG") - ds->entries);
  size_t i10 = (size_t)(find(ds, "yes/Y10.jpg") - ds->entries);
  assert_true(i2 < i10);
  assert_int_equal(ds->n_bad, 0);
  glia_dataset_free(ds);
  tu_rmtree(d);
  free(d);
}

static void test_flat_folder_and_single_file(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  touch(d, "b.png");
  touch(d, "a.jpg");
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(d, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->layout, GLIA_LAYOUT_FLAT);
  assert_int_equal(ds->n_entries, 2);
  assert_string_equal(ds->entries[0].name, "a.jpg");
  assert_int_equal(ds->entries[0].class_id, -1);
  assert_int_equal(ds->n_classes, 0);
  glia_dataset_free(ds);
  char *one = glia_path_join(d, "b.png");
  assert_int_equal(glia_dataset_scan(one, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->n_entries, 1);
  assert_string_equal(ds->entries[0].name, "b.png");
  assert_string_equal(ds->entries[0].path, one);
  glia_dataset_free(ds);
  free(one);
  tu_rmtree(d);
  free(d);
}

static void test_list_file_with_header_classes_and_missing(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  touch(d, "img/x 1.png");
  touch(d, "img/x2.jpg");
  char *list = glia_path_join(d, "list.csv");
  const char *text = "file,class\r\nimg/x 1.png,tumor\r\n# a comment\n\nimg/x2.jpg,healthy\n"
                     "img/gone.png,tumor\n";
  tu_write_file(list, text, strlen(text));
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(list, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->layout, GLIA_LAYOUT_LIST);
  assert_int_equal(ds->n_entries, 2);
  assert_string_equal(find(ds, "img/x 1.png")->label, "tumor");
  assert_string_equal(find(ds, "img/x2.jpg")->label, "healthy");
  assert_int_equal(ds->n_bad, 1);
  assert_string_equal(ds->bad[0].file, "img/gone.png");
  assert_non_null(strstr(ds->bad[0].error, "No such file"));
  glia_dataset_free(ds);
  free(list);
  tu_rmtree(d);
  free(d);
}

static void test_segmentation_pairs_take_patient_from_folder(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  touch(d, "TCGA_A_1/TCGA_A_1_1.tif");
  touch(d, "TCGA_A_1/TCGA_A_1_1_mask.tif");
  touch(d, "TCGA_A_1/TCGA_A_1_10.tif");
  touch(d, "TCGA_A_1/TCGA_A_1_10_mask.tif");
  touch(d, "TCGA_A_1/TCGA_A_1_2.tif");
  touch(d, "TCGA_A_1/TCGA_A_1_2_mask.tif");
  touch(d, "TCGA_B_2/TCGA_B_2_1.tif");
  touch(d, "TCGA_B_2/TCGA_B_2_1_mask.tif");
  touch(d, "TCGA_B_2/TCGA_B_2_9_mask.tif"); /* orphan mask */
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(d, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->layout, GLIA_LAYOUT_SEG_PAIRS);
  assert_int_equal(ds->n_entries, 4);
  assert_string_equal(ds->entries[1].name, "TCGA_A_1/TCGA_A_1_2.tif"); /* _2 before _10 */
  assert_string_equal(ds->entries[1].patient, "TCGA_A_1");
  assert_non_null(ds->entries[1].mask_path);
  assert_non_null(strstr(ds->entries[1].mask_path, "TCGA_A_1_2_mask.tif"));
  assert_string_equal(ds->entries[3].patient, "TCGA_B_2");
  assert_int_equal(ds->n_bad, 1);
  assert_non_null(strstr(ds->bad[0].error, "mask without its image"));
  glia_dataset_free(ds);
  tu_rmtree(d);
  free(d);
}

static void test_images_and_masks_folders(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  touch(d, "images/a.png");
  touch(d, "images/b.png");
  touch(d, "masks/a.png");
  touch(d, "masks/b_mask.png");
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(d, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->layout, GLIA_LAYOUT_SEG_FOLDERS);
  assert_int_equal(ds->n_entries, 2);
  assert_non_null(strstr(ds->entries[0].mask_path, "masks/a.png"));
  assert_non_null(strstr(ds->entries[1].mask_path, "masks/b_mask.png"));
  glia_dataset_free(ds);
  tu_rmtree(d);
  free(d);
}

static void test_bad_entries_are_listed_and_scan_goes_on(void **state) {
  (void)state;
  char *d = tu_mkdtemp();
  touch(d, "yes/good.jpg");
  char *p = glia_path_join(d, "yes/folder.jpg");
  assert_int_equal(mkdir(p, 0755), 0);
  free(p);
  char *loop_a = glia_path_join(d, "yes/loop_a.png"), *loop_b = glia_path_join(d, "yes/loop_b.png");
  assert_int_equal(symlink(loop_b, loop_a), 0);
  assert_int_equal(symlink(loop_a, loop_b), 0);
  char *dangling = glia_path_join(d, "yes/dangling.png");
  assert_int_equal(symlink("/nonexistent/x.png", dangling), 0);
  char *dirloop = glia_path_join(d, "yes/sub");
  assert_int_equal(symlink("..", dirloop), 0); /* a folder inside itself */
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(d, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->n_entries, 1);
  assert_string_equal(ds->entries[0].name, "yes/good.jpg");
  int folder = 0, loops = 0, dangle = 0, dloop = 0;
  for (size_t i = 0; i < ds->n_bad; i++) {
    const char *e = ds->bad[i].error;
    folder += strstr(e, "folder.jpg: is a directory") != NULL;
    loops += strstr(e, "symbolic link loop") != NULL && strstr(e, "loop_") != NULL;
    dangle += strstr(e, "dangling.png: dangling symbolic link") != NULL;
    dloop += strstr(e, "yes/sub: symbolic link loop") != NULL;
  }
  assert_int_equal(folder, 1);
  assert_int_equal(loops, 2);
  assert_int_equal(dangle, 1);
  assert_int_equal(dloop, 1);
  glia_dataset_free(ds);
  free(loop_a);
  free(loop_b);
  free(dangling);
  free(dirloop);
  tu_rmtree(d);
  free(d);
}

static void test_missing_and_empty_paths_fail_clearly(void **state) {
  (void)state;
  glia_dataset *ds = NULL;
  assert_int_equal(glia_dataset_scan("/nonexistent/glia-data", NULL, &ds), GLIA_ERR_IO);
  assert_null(ds);
  assert_non_null(strstr(glia_last_error(), "/nonexistent/glia-data: no such file or folder"));
  char *d = tu_mkdtemp();
  assert_int_equal(glia_dataset_scan(d, NULL, &ds), GLIA_ERR_EMPTY);
  assert_non_null(strstr(glia_last_error(), "no image files found"));
  glia_dataset_free(ds);
  tu_rmtree(d);
  free(d);
}

static void test_natural_order(void **state) {
  (void)state;
  assert_true(glia_natural_cmp("a2", "a10") < 0);
  assert_true(glia_natural_cmp("a10", "a2") > 0);
  assert_true(glia_natural_cmp("x_9_mask", "x_10_mask") < 0);
  assert_int_equal(glia_natural_cmp("same", "same"), 0);
  /* equal numbers with different zero padding are still different names */
  assert_true(glia_natural_cmp("x0", "x00") != 0);
  assert_int_equal(glia_natural_cmp("x0", "x00") > 0, glia_natural_cmp("x00", "x0") < 0);
  assert_true(glia_natural_cmp("a", "ab") < 0);
  assert_true(glia_is_image_name("A.TiFf"));
  assert_false(glia_is_image_name("a.txt"));
  assert_false(glia_is_image_name("jpg"));
}

static void test_lgg_layout_on_real_data(void **state) {
  (void)state;
  char *lgg = tu_shared_data("lgg-mri-segmentation/kaggle_3m");
  if (!lgg) return;
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(lgg, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->layout, GLIA_LAYOUT_SEG_PAIRS);
  assert_int_equal(ds->n_entries, 1068); /* its README: 1,068 slices, every one with a mask */
  size_t masks = 0;
  for (size_t i = 0; i < ds->n_entries; i++) masks += ds->entries[i].mask_path != NULL;
  assert_int_equal(masks, 1068);
  assert_int_equal(ds->n_bad, 0);
  const glia_entry *e = find(ds, "TCGA_CS_4942_19970222/TCGA_CS_4942_19970222_10.tif");
  assert_non_null(e);
  assert_string_equal(e->patient, "TCGA_CS_4942_19970222");
  assert_true(e > find(ds, "TCGA_CS_4942_19970222/TCGA_CS_4942_19970222_9.tif"));
  glia_dataset_free(ds);
  free(lgg);
}

static void test_kaggle_layout_on_real_data(void **state) {
  (void)state;
  char *k = tu_shared_data("kaggle-brain-mri");
  if (!k) return;
  glia_dataset *ds;
  assert_int_equal(glia_dataset_scan(k, NULL, &ds), GLIA_OK);
  assert_int_equal(ds->layout, GLIA_LAYOUT_CLASS_FOLDERS);
  assert_int_equal(ds->n_entries, 253);
  size_t yes = 0;
  for (size_t i = 0; i < ds->n_entries; i++) yes += !strcmp(ds->entries[i].label, "yes");
  assert_int_equal(yes, 155);
  glia_dataset_free(ds);
  free(k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_class_folders_with_mixed_case_extensions),
      cmocka_unit_test(test_flat_folder_and_single_file),
      cmocka_unit_test(test_list_file_with_header_classes_and_missing),
      cmocka_unit_test(test_segmentation_pairs_take_patient_from_folder),
      cmocka_unit_test(test_images_and_masks_folders),
      cmocka_unit_test(test_bad_entries_are_listed_and_scan_goes_on),
      cmocka_unit_test(test_missing_and_empty_paths_fail_clearly),
      cmocka_unit_test(test_natural_order),
      cmocka_unit_test(test_lgg_layout_on_real_data),
      cmocka_unit_test(test_kaggle_layout_on_real_data),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
