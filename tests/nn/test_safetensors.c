/* Safetensors: reading a file written by an independent writer (gen_nn.py) with F32/F16/BF16
 * converted as torch does, save → load round trips, and bad files rejected with the tensor
 * named. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glia/file.h"
#include "glia/safetensors.h"
#include "testutil.h"

static glia_safetensors *open_fixture(void) {
  char *path = tu_src("tests/fixtures/nn/types.safetensors");
  glia_safetensors *st;
  if (glia_safetensors_open(path, &st)) fail_msg("%s", glia_last_error());
  free(path);
  return st;
}

static void test_reads_f32_f16_bf16_like_torch(void **state) {
  (void)state;
  glia_safetensors *st = open_fixture();
  assert_int_equal(glia_safetensors_count(st), 5);
  assert_string_equal(glia_safetensors_meta(st, "arch"), "test");
  assert_null(glia_safetensors_meta(st, "absent"));
  const char *pairs[2][2] = {{"half", "expect.half"}, {"brain", "expect.brain"}};
  for (int k = 0; k < 2; k++) {
    int ndim;
    const int64_t *shape;
    const char *dtype;
    for (size_t i = 0; i < glia_safetensors_count(st); i++) {
      if (strcmp(glia_safetensors_info(st, i, &dtype, &ndim, &shape), pairs[k][0])) continue;
      int64_t n = 1;
      for (int d = 0; d < ndim; d++) n *= shape[d];
      float *got = malloc((size_t)n * 4), *want = malloc((size_t)n * 4);
      assert_int_equal(glia_safetensors_read(st, pairs[k][0], ndim, shape, 1, got), GLIA_OK);
      int64_t flat[1] = {n};
      assert_int_equal(glia_safetensors_read(st, pairs[k][1], ndim == 1 ? 1 : ndim,
                                             ndim == 1 ? flat : shape, 1, want),
                       GLIA_OK);
      /* Half and bfloat16 widen to float32 exactly: bit equality with torch's .float(). */
      assert_memory_equal(got, want, (size_t)n * 4);
      free(got);
      free(want);
    }
  }
  glia_safetensors_free(st);
}

static void test_half_conversions_round_trip(void **state) {
  (void)state;
  /* Every finite half value survives f16 → f32 → f16; bfloat16 likewise. */
  for (uint32_t h = 0; h < 65536; h++) {
    if ((h & 0x7c00) == 0x7c00) continue;
    assert_int_equal(glia_f32_to_f16(glia_f16_to_f32((uint16_t)h)), h);
    if ((h & 0x7f80) != 0x7f80)
      assert_int_equal(glia_f32_to_bf16(glia_bf16_to_f32((uint16_t)h)), h);
  }
  assert_true(isinf(glia_f16_to_f32(0x7c00)));
  assert_true(isnan(glia_f16_to_f32(0x7e00)));
}

static glia_params *make_params(void) {
  glia_params *p;
  glia_tensor *w, *b, *rm;
  assert_int_equal(glia_params_new(&p), GLIA_OK);
  assert_int_equal(glia_params_add(p, "conv.weight", 4, (int64_t[]){2, 1, 3, 3}, 1, &w), GLIA_OK);
  assert_int_equal(glia_params_add(p, "conv.bias", 1, (int64_t[]){2}, 1, &b), GLIA_OK);
  assert_int_equal(glia_params_add(p, "bn.running_mean", 1, (int64_t[]){2}, 0, &rm), GLIA_OK);
  assert_int_equal(glia_params_finalize(p), GLIA_OK);
  size_t n;
  float *v = glia_params_values(p, &n);
  for (size_t i = 0; i < n; i++) v[i] = (float)sin((double)i * 1.7) * 3.0f;
  return p;
}

static void test_save_then_load_gives_identical_values(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), *path = glia_path_join(dir, "w.safetensors");
  glia_params *a = make_params(), *b = make_params();
  const char *meta[] = {"arch", "tiny", "glia", "0.1", NULL};
  assert_int_equal(glia_safetensors_save_params(path, a, meta), GLIA_OK);
  size_t n;
  float *vb = glia_params_values(b, &n);
  memset(vb, 0, n * sizeof(float));
  glia_safetensors *st;
  assert_int_equal(glia_safetensors_open(path, &st), GLIA_OK);
  assert_string_equal(glia_safetensors_meta(st, "arch"), "tiny");
  assert_int_equal(glia_safetensors_load_params(st, b, 1), GLIA_OK);
  assert_memory_equal(glia_params_values(a, NULL), vb, n * sizeof(float));
  glia_safetensors_free(st);
  glia_params_free(a);
  glia_params_free(b);
  free(path);
  tu_rmtree(dir);
  free(dir);
}

/* Writes `bytes` and expects opening + loading into make_params() to fail with `status` and a
 * message containing `needle`. */
static void expect_error(const char *dir, const unsigned char *bytes, size_t size,
                         glia_status status, const char *needle) {
  char *path = glia_path_join(dir, "bad.safetensors");
  tu_write_file(path, bytes, size);
  glia_safetensors *st = NULL;
  glia_status s = glia_safetensors_open(path, &st);
  if (!s) {
    glia_params *p = make_params();
    s = glia_safetensors_load_params(st, p, 1);
    glia_params_free(p);
    glia_safetensors_free(st);
  }
  if (s != status || !strstr(glia_last_error(), needle))
    fail_msg("status %d, message '%s'; expected %d with '%s'", s, glia_last_error(), status,
             needle);
  free(path);
}

static void test_bad_files_are_rejected_naming_the_tensor(void **state) {
  (void)state;
  char *dir = tu_mkdtemp(), *good = glia_path_join(dir, "good.safetensors");
  glia_params *p = make_params();
  assert_int_equal(glia_safetensors_save_params(good, p, NULL), GLIA_OK);
  unsigned char *d;
  size_t n;
  assert_int_equal(glia_file_read(good, 0, &d, &n), GLIA_OK);
  /* truncated: the last tensor's bytes run past the end */
  expect_error(dir, d, n - 4, GLIA_ERR_FORMAT, "bn.running_mean");
  expect_error(dir, d, 5, GLIA_ERR_FORMAT, "too short");
  /* a header length beyond the file */
  unsigned char *e = malloc(n);
  memcpy(e, d, n);
  e[5] = 1;
  expect_error(dir, e, n, GLIA_ERR_FORMAT, "header length");
  /* offsets that lie: conv.bias claims [72, 80] → [72, 800] */
  memcpy(e, d, n);
  char *hit = strstr((char *)e + 8, "[72,80]");
  assert_non_null(hit);
  memcpy(hit, "[72,8] ", 7);
  expect_error(dir, e, n, GLIA_ERR_FORMAT, "conv.bias");
  /* a NaN weight */
  memcpy(e, d, n);
  size_t hlen = (size_t)e[0] | (size_t)e[1] << 8;
  memcpy(e + 8 + hlen + 4 * 3, (uint32_t[]){0x7fc00000u}, 4);
  expect_error(dir, e, n, GLIA_ERR_FORMAT, "conv.weight has a non-finite value at index 3");
  free(e);
  glia_free(d);
  /* wrong shape, missing tensor, another architecture's tensor */
  glia_params *q;
  glia_tensor *t;
  char *other = glia_path_join(dir, "other.safetensors");
  assert_int_equal(glia_params_new(&q), GLIA_OK);
  assert_int_equal(glia_params_add(q, "conv.weight", 4, (int64_t[]){2, 1, 5, 5}, 1, &t), GLIA_OK);
  assert_int_equal(glia_params_add(q, "conv.bias", 1, (int64_t[]){2}, 1, &t), GLIA_OK);
  assert_int_equal(glia_params_add(q, "bn.running_mean", 1, (int64_t[]){2}, 0, &t), GLIA_OK);
  assert_int_equal(glia_params_add(q, "fc.weight", 2, (int64_t[]){2, 2}, 1, &t), GLIA_OK);
  assert_int_equal(glia_params_finalize(q), GLIA_OK);
  assert_int_equal(glia_safetensors_save_params(other, q, NULL), GLIA_OK);
  glia_safetensors *st;
  assert_int_equal(glia_safetensors_open(other, &st), GLIA_OK);
  assert_int_equal(glia_safetensors_load_params(st, p, 1), GLIA_ERR_ARGUMENT);
  assert_non_null(
      strstr(glia_last_error(), "conv.weight has shape [2, 1, 5, 5], expected [2, 1, 3, 3]"));
  glia_safetensors_free(st);
  assert_int_equal(glia_safetensors_open(good, &st), GLIA_OK);
  assert_int_equal(glia_safetensors_load_params(st, q, 0), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "conv.weight has shape"));
  glia_safetensors_free(st);
  glia_params_free(q);
  assert_int_equal(glia_params_new(&q), GLIA_OK);
  assert_int_equal(glia_params_add(q, "conv.weight", 4, (int64_t[]){2, 1, 3, 3}, 1, &t), GLIA_OK);
  assert_int_equal(glia_params_finalize(q), GLIA_OK);
  assert_int_equal(glia_safetensors_open(good, &st), GLIA_OK);
  assert_int_equal(glia_safetensors_load_params(st, q, 1), GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "conv.bias is not part of the model"));
  assert_int_equal(glia_safetensors_load_params(st, q, 0), GLIA_OK);
  glia_safetensors_free(st);
  glia_params_free(q);
  assert_int_equal(glia_safetensors_open(good, &st), GLIA_OK);
  assert_int_equal(glia_safetensors_read(st, "fc.weight", 1, (int64_t[]){1}, 1, (float[1]){0}),
                   GLIA_ERR_ARGUMENT);
  assert_non_null(strstr(glia_last_error(), "fc.weight is missing"));
  glia_safetensors_free(st);
  glia_params_free(p);
  free(good);
  free(other);
  tu_rmtree(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_f32_f16_bf16_like_torch),
      cmocka_unit_test(test_half_conversions_round_trip),
      cmocka_unit_test(test_save_then_load_gives_identical_values),
      cmocka_unit_test(test_bad_files_are_rejected_naming_the_tensor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
