/* glia morph DATA -o OUT --op OP [--shape S] [--radius R] [--fill-holes]: morphology on gray
 * images (or on their Otsu masks with --binary). */
#include <stdlib.h>
#include <string.h>

#include "cli/image_cmds.h"
#include "glia/threshold.h"

typedef struct morph_ctx {
  glia_morph_op op;
  glia_strel se;
  int binary, fill;
} morph_ctx;

static glia_status one(const char *path, const char *rel, const char *out, void *ctx) {
  const morph_ctx *m = ctx;
  glia_image_u8 *g = NULL;
  glia_status s = img_load_gray(path, &g);
  if (s) return s;
  size_t n = (size_t)g->width * g->height;
  if (m->binary) {
    int t = glia_otsu_u8(g->data, n);
    for (size_t i = 0; i < n; i++) g->data[i] = g->data[i] > t ? 255 : 0;
  }
  s = glia_morph_u8(g->data, g->data, g->width, g->height, m->op, m->se);
  if (!s && m->fill) {
    for (size_t i = 0; i < n; i++) g->data[i] = g->data[i] != 0;
    s = glia_fill_holes(g->data, g->width, g->height);
    for (size_t i = 0; i < n; i++) g->data[i] = g->data[i] ? 255 : 0;
  }
  char *dst = s ? NULL : img_out_path("morph", out, rel, ".png");
  if (!s && !dst) s = glia_error(GLIA_ERR_IO, "cannot create the output folder");
  if (!s) s = glia_image_u8_save_png(dst, g);
  free(dst);
  glia_image_u8_free(g);
  return s;
}

int cmd_morph(int argc, char **argv) {
  enum { OPT_OP = 3000, OPT_SHAPE, OPT_RADIUS, OPT_BINARY, OPT_FILL };
  static const struct option longs[] = {{"out", required_argument, NULL, 'o'},
                                        {"op", required_argument, NULL, OPT_OP},
                                        {"shape", required_argument, NULL, OPT_SHAPE},
                                        {"radius", required_argument, NULL, OPT_RADIUS},
                                        {"binary", no_argument, NULL, OPT_BINARY},
                                        {"fill-holes", no_argument, NULL, OPT_FILL},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  morph_ctx m = {GLIA_MORPH_OPEN, {GLIA_STREL_DISK, 2}, 0, 0};
  cli_common c = {0, 0};
  const char *out = NULL;
  int opt, have_op = 0;
  long v;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    int rc = cli_common_option(opt, optarg, &c, "morph");
    if (rc < 0) return CLI_USAGE;
    if (rc) continue;
    switch (opt) {
    case 'o': out = optarg; break;
    case OPT_OP:
      if ((v = glia_morph_op_parse(optarg)) < 0)
        return cli_usage_error("morph",
                               "--op: '%s', expected erode, dilate, open, close, "
                               "tophat, blackhat or gradient",
                               optarg);
      m.op = (glia_morph_op)v;
      have_op = 1;
      break;
    case OPT_SHAPE:
      if (!strcmp(optarg, "disk"))
        m.se.shape = GLIA_STREL_DISK;
      else if (!strcmp(optarg, "square"))
        m.se.shape = GLIA_STREL_SQUARE;
      else if (!strcmp(optarg, "diamond"))
        m.se.shape = GLIA_STREL_DIAMOND;
      else
        return cli_usage_error("morph", "--shape: '%s', expected disk, square or diamond", optarg);
      break;
    case OPT_RADIUS:
      if (cli_parse_long("morph", "radius", optarg, 0, 512, &v)) return CLI_USAGE;
      m.se.radius_px = (int)v;
      break;
    case OPT_BINARY: m.binary = 1; break;
    case OPT_FILL: m.fill = m.binary = 1; break;
    case 'h':
      printf("Usage: glia morph DATA -o OUT --op OP [--shape disk|square|diamond] [--radius R]\n"
             "                  [--binary] [--fill-holes] [--threads N] [--quiet]\n\n"
             "Morphology on every image of DATA as 8-bit gray: OP is erode, dilate, open, close,\n"
             "tophat, blackhat or gradient; the element a disk (default), square (side 2R+1) or\n"
             "diamond of radius R (default 2). --binary works on the Otsu mask; --fill-holes\n"
             "fills its holes afterwards. Writes OUT/<same path>.png.\n");
      return CLI_OK;
    default: return cli_usage_error("morph", "unknown option");
    }
  }
  if (optind + 1 != argc) return cli_usage_error("morph", "expected one DATA argument");
  if (!out) return cli_usage_error("morph", "-o OUT is required");
  if (!have_op) return cli_usage_error("morph", "--op OP is required");
  cli_common_apply(&c);
  return img_batch("morph", argv[optind], out, &c, one, &m);
}
