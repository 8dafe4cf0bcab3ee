/* glia snake DATA -o OUT [--method acwe|gac] ...: morphological snakes on gray images; writes
 * the mask and an overlay. */
#include <stdlib.h>
#include <string.h>

#include "cli/image_cmds.h"

typedef struct snake_ctx {
  int gac;
  glia_snake_opts o;
  double alpha, sigma;
} snake_ctx;

static glia_status one(const char *path, const char *rel, const char *out, void *ctx) {
  const snake_ctx *k = ctx;
  glia_image_u8 *g = NULL;
  glia_status s = img_load_gray(path, &g);
  if (s) return s;
  int w = g->width, h = g->height;
  size_t n = (size_t)w * h;
  float *f = malloc(n * sizeof(float)), *e = malloc(n * sizeof(float));
  uint8_t *mask = malloc(n), *rgb = malloc(3 * n);
  char *dst = NULL;
  if (!f || !e || !mask || !rgb) {
    s = glia_error(GLIA_ERR_NOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) f[i] = g->data[i] / 255.f;
  if (k->gac) {
    s = glia_inverse_gaussian_gradient(f, e, w, h, k->alpha, k->sigma);
    if (!s) s = glia_snake_gac(e, w, h, &k->o, mask);
  } else {
    s = glia_snake_acwe(f, w, h, &k->o, mask);
  }
  if (s || !(dst = img_out_path("snake", out, rel, "_mask.png"))) goto done;
  if ((s = glia_mask_save_png(dst, mask, w, h))) goto done;
  /* Overlay: the image in gray, the inside tinted. */
  int32_t *lab = (int32_t *)(void *)e;                     /* reuse: floats no longer needed */
  for (size_t i = 0; i < n; i++) lab[i] = mask[i] ? 9 : 0; /* red */
  if ((s = glia_labels_colorize(lab, g->data, w, h, rgb))) goto done;
  free(dst);
  if (!(dst = img_out_path("snake", out, rel, "_overlay.png"))) goto done;
  s = glia_png_write_u8(dst, rgb, w, h, 3);
done:
  if (!s && !dst) s = glia_error(GLIA_ERR_IO, "cannot create the output folder");
  free(dst);
  free(f);
  free(e);
  free(mask);
  free(rgb);
  glia_image_u8_free(g);
  return s;
}

static int parse_double(const char *opt, const char *arg, double lo, double hi, double *out) {
  char *end;
  double v = strtod(arg, &end);
  if (*end || end == arg || !(v >= lo && v <= hi)) {
    cli_usage_error("snake", "--%s: '%s', expected a number in %g..%g", opt, arg, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

int cmd_snake(int argc, char **argv) {
  enum {
    O_METHOD = 3100,
    O_ITER,
    O_SMOOTH,
    O_L1,
    O_L2,
    O_BALLOON,
    O_THR,
    O_INIT,
    O_ALPHA,
    O_SIGMA
  };
  static const struct option longs[] = {{"out", required_argument, NULL, 'o'},
                                        {"method", required_argument, NULL, O_METHOD},
                                        {"iterations", required_argument, NULL, O_ITER},
                                        {"smoothing", required_argument, NULL, O_SMOOTH},
                                        {"lambda1", required_argument, NULL, O_L1},
                                        {"lambda2", required_argument, NULL, O_L2},
                                        {"balloon", required_argument, NULL, O_BALLOON},
                                        {"threshold", required_argument, NULL, O_THR},
                                        {"init", required_argument, NULL, O_INIT},
                                        {"alpha", required_argument, NULL, O_ALPHA},
                                        {"sigma", required_argument, NULL, O_SIGMA},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  snake_ctx k = {0, GLIA_SNAKE_DEFAULTS, 100, 2};
  cli_common c = {0, 0};
  const char *out = NULL;
  int opt;
  long v;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    int rc = cli_common_option(opt, optarg, &c, "snake");
    if (rc < 0) return CLI_USAGE;
    if (rc) continue;
    switch (opt) {
    case 'o': out = optarg; break;
    case O_METHOD:
      if (!strcmp(optarg, "acwe") || !strcmp(optarg, "chan-vese"))
        k.gac = 0;
      else if (!strcmp(optarg, "gac") || !strcmp(optarg, "geodesic"))
        k.gac = 1;
      else
        return cli_usage_error("snake", "--method: '%s', expected acwe or gac", optarg);
      break;
    case O_ITER:
      if (cli_parse_long("snake", "iterations", optarg, 0, 100000, &v)) return CLI_USAGE;
      k.o.iterations = (int)v;
      break;
    case O_SMOOTH:
      if (cli_parse_long("snake", "smoothing", optarg, 0, 100, &v)) return CLI_USAGE;
      k.o.smoothing = (int)v;
      break;
    case O_L1:
      if (parse_double("lambda1", optarg, 0, 1e6, &k.o.lambda1)) return CLI_USAGE;
      break;
    case O_L2:
      if (parse_double("lambda2", optarg, 0, 1e6, &k.o.lambda2)) return CLI_USAGE;
      break;
    case O_BALLOON:
      if (parse_double("balloon", optarg, -100, 100, &k.o.balloon)) return CLI_USAGE;
      break;
    case O_THR:
      if (parse_double("threshold", optarg, 0, 1e6, &k.o.threshold)) return CLI_USAGE;
      break;
    case O_ALPHA:
      if (parse_double("alpha", optarg, 1e-6, 1e9, &k.alpha)) return CLI_USAGE;
      break;
    case O_SIGMA:
      if (parse_double("sigma", optarg, 0.1, 200, &k.sigma)) return CLI_USAGE;
      break;
    case O_INIT:
      if (!strcmp(optarg, "checkerboard"))
        k.o.init = GLIA_LEVELSET_CHECKERBOARD;
      else if (!strcmp(optarg, "disk"))
        k.o.init = GLIA_LEVELSET_DISK;
      else
        return cli_usage_error("snake", "--init: '%s', expected checkerboard or disk", optarg);
      break;
    case 'h':
      printf("Usage: glia snake DATA -o OUT [--method acwe|gac] [--iterations N] [--smoothing N]\n"
             "       [--init checkerboard|disk] [--lambda1 L] [--lambda2 L] (acwe)\n"
             "       [--balloon B] [--threshold T] [--alpha A] [--sigma S] (gac)\n\n"
             "Morphological snakes (Márquez-Neila et al. 2014) on every image of DATA as gray\n"
             "in [0,1]: Chan-Vese without edges (acwe, default: 100 iterations, smoothing 1,\n"
             "checkerboard start) or the geodesic active contour on the inverse Gaussian\n"
             "gradient (gac: alpha 100, sigma 2, disk start, threshold = 40th percentile).\n"
             "Writes OUT/<same path>_mask.png and _overlay.png.\n");
      return CLI_OK;
    default: return cli_usage_error("snake", "unknown option");
    }
  }
  if (optind + 1 != argc) return cli_usage_error("snake", "expected one DATA argument");
  if (!out) return cli_usage_error("snake", "-o OUT is required");
  cli_common_apply(&c);
  return img_batch("snake", argv[optind], out, &c, one, &k);
}
