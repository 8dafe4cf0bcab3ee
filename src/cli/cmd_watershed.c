/* glia watershed DATA -o OUT [--relief distance|gradient] [--h H]: marker watershed on gray
 * images; writes the label map and the coloured regions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/image_cmds.h"
#include "glia/threshold.h"

typedef struct ws_ctx {
  int gradient;
  double h;
} ws_ctx;

static glia_status one(const char *path, const char *rel, const char *out, void *ctx) {
  const ws_ctx *k = ctx;
  glia_image_u8 *g = NULL;
  glia_status s = img_load_gray(path, &g);
  if (s) return s;
  int w = g->width, hh = g->height;
  size_t n = (size_t)w * hh;
  uint8_t *mask = malloc(n), *rgb = malloc(3 * n);
  int32_t *lab = malloc(n * sizeof(int32_t)), *mk = malloc(n * sizeof(int32_t)), count = 0;
  float *rel_f = malloc(n * sizeof(float));
  int16_t *d = malloc(2 * n * sizeof(int16_t));
  char *dst = NULL;
  if (!mask || !rgb || !lab || !mk || !rel_f || !d) {
    s = glia_error(GLIA_ERR_NOMEM, "out of memory");
    goto done;
  }
  int t = glia_otsu_u8(g->data, n);
  for (size_t i = 0; i < n; i++) mask[i] = g->data[i] > t;
  if (!k->gradient) {
    s = glia_watershed_distance(mask, w, hh, k->h, lab, &count);
  } else {
    /* Relief: the Sobel gradient magnitude; markers: h-minima of it, i.e. h-maxima of its
     * negation, inside and outside the head alike. */
    if (!(s = glia_sobel_u8(g->data, d, d + n, w, hh, 0))) {
      for (size_t i = 0; i < n; i++) rel_f[i] = -(float)hypot(d[i], d[n + i]);
      s = glia_markers_h_maxima(rel_f, w, hh, k->h, mk, &count);
      for (size_t i = 0; i < n; i++) rel_f[i] = -rel_f[i];
      if (!s) s = glia_watershed(rel_f, mk, NULL, w, hh, 4, lab);
    }
  }
  if (s) goto done;
  if (count > 65535) {
    s = glia_error(GLIA_ERR_UNSUPPORTED, "%d regions, at most 65535 fit a 16-bit label PNG", count);
    goto done;
  }
  if (!(dst = img_out_path("watershed", out, rel, "_labels.png"))) goto done;
  if ((s = glia_labels_save_png(dst, lab, w, hh))) goto done;
  free(dst);
  if (!(dst = img_out_path("watershed", out, rel, "_regions.png"))) goto done;
  if (!(s = glia_labels_colorize(lab, g->data, w, hh, rgb)))
    s = glia_png_write_u8(dst, rgb, w, hh, 3);
done:
  if (!s && !dst) s = glia_error(GLIA_ERR_IO, "cannot create the output folder");
  free(dst);
  free(mask);
  free(rgb);
  free(lab);
  free(mk);
  free(rel_f);
  free(d);
  glia_image_u8_free(g);
  return s;
}

int cmd_watershed(int argc, char **argv) {
  enum { O_RELIEF = 3200, O_H };
  static const struct option longs[] = {{"out", required_argument, NULL, 'o'},
                                        {"relief", required_argument, NULL, O_RELIEF},
                                        {"h", required_argument, NULL, O_H},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  ws_ctx k = {0, 2.0};
  cli_common c = {0, 0};
  const char *out = NULL;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
    int rc = cli_common_option(opt, optarg, &c, "watershed");
    if (rc < 0) return CLI_USAGE;
    if (rc) continue;
    char *end;
    switch (opt) {
    case 'o': out = optarg; break;
    case O_RELIEF:
      if (!strcmp(optarg, "distance"))
        k.gradient = 0;
      else if (!strcmp(optarg, "gradient"))
        k.gradient = 1;
      else
        return cli_usage_error("watershed", "--relief: '%s', expected distance or gradient",
                               optarg);
      break;
    case O_H:
      k.h = strtod(optarg, &end);
      if (*end || end == optarg || !(k.h > 0 && k.h <= 1e6))
        return cli_usage_error("watershed", "--h: '%s', expected a number > 0", optarg);
      break;
    case 'h':
      printf("Usage: glia watershed DATA -o OUT [--relief distance|gradient] [--h H]\n\n"
             "Marker watershed of every image of DATA as gray. distance (default): the Otsu\n"
             "mask's distance transform, markers its h-maxima (H pixels, default 2), flooding\n"
             "inside the mask; gradient: the Sobel magnitude, markers its h-minima (H levels).\n"
             "Writes OUT/<same path>_labels.png (label map) and _regions.png (coloured).\n");
      return CLI_OK;
    default: return cli_usage_error("watershed", "unknown option");
    }
  }
  if (optind + 1 != argc) return cli_usage_error("watershed", "expected one DATA argument");
  if (!out) return cli_usage_error("watershed", "-o OUT is required");
  cli_common_apply(&c);
  return img_batch("watershed", argv[optind], out, &c, one, &k);
}
