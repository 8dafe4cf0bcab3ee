/* glia enhance / morph / snake / watershed on a generated phantom: outputs written, the
 * morph output equal to the library's, bad options are usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "glia/glia.h"
#include "testutil.h"

static int run(const char *cmd, const char *args) {
  const char *exe = getenv("GLIA_EXE");
  assert_non_null(exe);
  char line[2048];
  snprintf(line, sizeof line, "'%s' %s %s --quiet 2>/dev/null", exe, cmd, args);
  int st = system(line);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static glia_image_u8 *load(const char *dir, const char *rel) {
  char *p = glia_path_join(dir, rel);
  glia_image_u8 *img = NULL;
  glia_status s = glia_image_load_u8(p, NULL, &img, NULL);
  if (s) fprintf(stderr, "%s\n", glia_last_error());
  assert_int_equal(s, GLIA_OK);
  free(p);
  return img;
}

static void test_single_step_commands_write_their_outputs(void **state) {
  (void)state;
  char *d = tu_mkdtemp(), in[1024], args[2048];
  uint8_t px[80 * 60];
  for (int y = 0; y < 60; y++)
    for (int x = 0; x < 80; x++) {
      double dx = (x - 40) / 25.0, dy = (y - 30) / 20.0, r = dx * dx + dy * dy;
      px[y * 80 + x] = (uint8_t)(r <= 0.3 ? 220 : r <= 1.0 ? 100 : 5);
    }
  snprintf(in, sizeof in, "%s/p.png", d);
  assert_int_equal(glia_png_write_u8(in, px, 80, 60, 1), GLIA_OK);

  snprintf(args, sizeof args, "'%s' -o '%s/e' --steps clahe,musica,sobel,entropy", in, d);
  assert_int_equal(run("enhance", args), 0);
  glia_image_u8 *e = load(d, "e/p.png");
  assert_int_equal(e->width, 80);
  glia_image_u8_free(e);

  snprintf(args, sizeof args, "'%s' -o '%s/m' --op close --shape diamond --radius 3", in, d);
  assert_int_equal(run("morph", args), 0);
  glia_image_u8 *m = load(d, "m/p.png");
  uint8_t ref[80 * 60];
  glia_strel se = {GLIA_STREL_DIAMOND, 3};
  assert_int_equal(glia_morph_u8(px, ref, 80, 60, GLIA_MORPH_CLOSE, se), GLIA_OK);
  assert_memory_equal(m->data, ref, sizeof ref); /* the command is the library call */
  glia_image_u8_free(m);

  snprintf(args, sizeof args, "'%s' -o '%s/s' --iterations 30", in, d);
  assert_int_equal(run("snake", args), 0);
  glia_image_u8 *s = load(d, "s/p_mask.png");
  /* Chan-Vese separates the bright disc (and ring) from the dark background: the corner
   * pixel and the centre pixel end on opposite sides. */
  assert_true((s->data[0] != 0) != (s->data[30 * 80 + 40] != 0));
  glia_image_u8_free(s);
  glia_image_u8_free(load(d, "s/p_overlay.png"));

  snprintf(args, sizeof args, "'%s' -o '%s/w'", in, d);
  assert_int_equal(run("watershed", args), 0);
  glia_image_u8 *w = load(d, "w/p_regions.png");
  assert_int_equal(w->channels, 3);
  glia_image_u8_free(w);
  glia_image_u8_free(load(d, "w/p_labels.png"));

  snprintf(args, sizeof args, "'%s' -o '%s/x' --op sideways", in, d);
  assert_int_equal(run("morph", args), 2);
  snprintf(args, sizeof args, "'%s' -o '%s/x' --method levelset", in, d);
  assert_int_equal(run("snake", args), 2);
  snprintf(args, sizeof args, "'%s' -o '%s/x' --steps sparkle", in, d);
  assert_int_equal(run("enhance", args), 2);
  snprintf(args, sizeof args, "'%s/missing.png' -o '%s/x'", d, d);
  assert_int_equal(run("watershed", args), 1);
  tu_rmtree(d);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_step_commands_write_their_outputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
