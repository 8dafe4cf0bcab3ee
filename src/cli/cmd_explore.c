/* glia explore DATA -o OUT */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "glia/explore.h"

static void help(void) {
  printf("Usage: glia explore DATA -o OUT [options]\n\n"
         "Learn what a data set really is before any model: class counts and imbalance, sizes\n"
         "and formats, exact and near duplicates, outlier images, and every image's\n"
         "per-channel 256-bin histogram and CDF.\n\n"
         "DATA is a folder with one subfolder per class (yes/, no/), a flat folder, a\n"
         "segmentation set (X.tif + X_mask.tif, or images/ + masks/), a list file\n"
         "(path[,class] per line) or one image.\n\n"
         "Writes OUT/explore.json, OUT/cdf.csv, OUT/panel_NNN.png (10 images each beside\n"
         "their CDFs), OUT/class_cdf.png and OUT/class_histogram.png.\n\n"
         "Options:\n"
         "  -o, --output DIR      output folder (created; files in it are replaced)\n"
         "      --max-pixels N    refuse images whose header claims more pixels (50000000)\n"
         "      --min-side N      images smaller than N pixels on a side are bad (8)\n"
         "      --no-near         exact duplicates only (skip perceptual hashing)\n"
         "      --no-plots        skip the PNG panels and plots\n"
         "      --threads N       worker threads (default: GLIA_THREADS or all cores)\n"
         "      --quiet           no progress lines\n"
         "  -h, --help            this help\n\n"
         "Bad files are listed with their reason in explore.json and on stderr; the good\n"
         "ones are processed and the exit status is 0. Exit 1 when DATA is missing or holds\n"
         "no image, 2 on a usage error.\n");
}

static void progress(void *user, size_t done, size_t total) {
  cli_progress(user, "explore", done, total);
}

int cmd_explore(int argc, char **argv) {
  enum { OPT_MAX_PIXELS = 2000, OPT_MIN_SIDE, OPT_NO_NEAR, OPT_NO_PLOTS };
  static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                           {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
                                           {"min-side", required_argument, NULL, OPT_MIN_SIDE},
                                           {"no-near", no_argument, NULL, OPT_NO_NEAR},
                                           {"no-plots", no_argument, NULL, OPT_NO_PLOTS},
                                           CLI_COMMON_LONG_OPTIONS,
                                           {NULL, 0, NULL, 0}};
  cli_common common = {0, 0};
  glia_explore_opts opts = GLIA_EXPLORE_DEFAULTS;
  const char *out_dir = NULL;
  int plots = 1, opt;
  long v;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
    int c = cli_common_option(opt, optarg, &common, "explore");
    if (c < 0) return CLI_USAGE;
    if (c > 0) continue;
    switch (opt) {
    case 'o': out_dir = optarg; break;
    case 'h': help(); return CLI_OK;
    case OPT_MAX_PIXELS:
      if (cli_parse_long("explore", "max-pixels", optarg, 1, 4000000000L, &v)) return CLI_USAGE;
      opts.load.max_pixels = v;
      break;
    case OPT_MIN_SIDE:
      if (cli_parse_long("explore", "min-side", optarg, 1, 100000, &v)) return CLI_USAGE;
      opts.min_side_px = (int)v;
      break;
    case OPT_NO_NEAR: opts.near_duplicates = 0; break;
    case OPT_NO_PLOTS: plots = 0; break;
    default: return cli_usage_error("explore", "unknown option");
    }
  }
  if (optind != argc - 1) return cli_usage_error("explore", "expected one DATA argument");
  if (!out_dir) return cli_usage_error("explore", "missing -o OUT");
  const char *data = argv[optind];
  cli_common_apply(&common);
  opts.progress = progress;
  opts.user = &common;
  if (!plots) opts.thumb_px = 0;

  glia_explore *ex = NULL;
  glia_status s = glia_explore_run(data, &opts, &ex);
  if (s && !ex) {
    fprintf(stderr, "glia explore: %s\n", glia_last_error());
    return CLI_FAILED;
  }
  int rc = s ? CLI_FAILED : CLI_OK;
  if (s) fprintf(stderr, "glia explore: %s\n", glia_last_error());
  for (size_t i = 0; i < ex->dataset->n_bad; i++)
    fprintf(stderr, "glia explore: bad file: %s\n", ex->dataset->bad[i].error);
  for (size_t i = 0; i < ex->n_images; i++)
    if (!ex->images[i].ok) fprintf(stderr, "glia explore: bad file: %s\n", ex->images[i].error);

  char *json = NULL, *csv = NULL;
  if (glia_mkdirs(out_dir) || !(json = glia_path_join(out_dir, "explore.json")) ||
      !(csv = glia_path_join(out_dir, "cdf.csv")) || glia_explore_write_json(ex, json) ||
      glia_explore_write_cdf_csv(ex, csv) || (plots && glia_explore_plot(ex, out_dir))) {
    fprintf(stderr, "glia explore: %s\n", glia_last_error());
    rc = CLI_FAILED;
  } else if (!common.quiet) {
    fprintf(stderr, "glia explore: %zu images, %zu bad files, %zu duplicate groups → %s\n",
            ex->n_ok, glia_explore_n_bad(ex), ex->n_groups, out_dir);
  }
  glia_free(json);
  glia_free(csv);
  glia_explore_free(ex);
  return rc;
}
