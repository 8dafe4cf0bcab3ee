/* glia enhance DATA -o OUT --steps LIST: filters and contrast steps on gray images. */
#include <stdlib.h>

#include "cli/image_cmds.h"

typedef struct enh_ctx {
  int steps[ENH_MAX], n;
} enh_ctx;

static glia_status one(const char *path, const char *rel, const char *out, void *ctx) {
  const enh_ctx *e = ctx;
  glia_image_u8 *g = NULL;
  glia_status s = img_load_gray(path, &g);
  for (int k = 0; !s && k < e->n; k++)
    s = enh_apply(e->steps[k], g->data, g->width, g->height, NULL);
  char *dst = s ? NULL : img_out_path("enhance", out, rel, ".png");
  if (!s && !dst) s = glia_error(GLIA_ERR_IO, "cannot create the output folder");
  if (!s) s = glia_image_u8_save_png(dst, g);
  free(dst);
  glia_image_u8_free(g);
  return s;
}

int cmd_enhance(int argc, char **argv) {
  static const struct option longs[] = {{"out", required_argument, NULL, 'o'},
                                        {"steps", required_argument, NULL, 's'},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  enh_ctx e = {{0}, 0};
  cli_common c = {0, 0};
  const char *out = NULL;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:s:h", longs, NULL)) != -1) {
    int rc = cli_common_option(opt, optarg, &c, "enhance");
    if (rc < 0) return CLI_USAGE;
    if (rc) continue;
    switch (opt) {
    case 'o': out = optarg; break;
    case 's':
      if (enh_parse("enhance", optarg, e.steps, &e.n)) return CLI_USAGE;
      break;
    case 'h':
      printf("Usage: glia enhance DATA -o OUT --steps LIST [--threads N] [--quiet]\n\n"
             "Applies filter and contrast steps, in order, to every image of DATA (a file or a\n"
             "folder, searched recursively) as 8-bit gray; writes OUT/<same path>.png.\n"
             "Steps: %s\n",
             enh_help);
      return CLI_OK;
    default: return cli_usage_error("enhance", "unknown option");
    }
  }
  if (optind + 1 != argc) return cli_usage_error("enhance", "expected one DATA argument");
  if (!out) return cli_usage_error("enhance", "-o OUT is required");
  if (!e.n) return cli_usage_error("enhance", "--steps LIST is required");
  cli_common_apply(&c);
  return img_batch("enhance", argv[optind], out, &c, one, &e);
}
