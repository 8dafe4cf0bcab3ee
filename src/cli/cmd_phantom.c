/* glia phantom -o DIR: a small synthetic data set with known answers. */
#include <stdlib.h>

#include "cli/cli.h"
#include "glia/phantom.h"

static void help(void) {
  printf("Usage: glia phantom -o DIR [options]\n\n"
         "Writes a small synthetic brain-MRI-like data set: DIR/yes/ (with a tumor) and\n"
         "DIR/no/, 8-bit gray PNGs, with known duplicates and outliers (see docs/explore.md):\n"
         "yes_002 = copy of yes_001, no_002 = no_001 rescaled and re-contrasted, yes_003 white\n"
         "background, yes_004 white frame, yes_005 corner marks, yes_006 tiny, yes_007 colour,\n"
         "no_003 gray stored as RGB.\n\n"
         "Options:\n"
         "  -o, --output DIR   output folder\n"
         "      --yes N        tumor images (20)\n"
         "      --no N         images without tumor (14)\n"
         "      --size N       side in pixels (256)\n"
         "      --seed N       random seed (1)\n"
         "      --masks DIR    also write the tumor masks there (NAME_mask.png)\n"
         "      --plain        no special cases\n"
         "      --quiet        say nothing\n"
         "  -h, --help         this help\n");
}

int cmd_phantom(int argc, char **argv) {
  enum { OPT_YES = 2000, OPT_NO, OPT_SIZE, OPT_SEED, OPT_MASKS, OPT_PLAIN };
  static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                           {"yes", required_argument, NULL, OPT_YES},
                                           {"no", required_argument, NULL, OPT_NO},
                                           {"size", required_argument, NULL, OPT_SIZE},
                                           {"seed", required_argument, NULL, OPT_SEED},
                                           {"masks", required_argument, NULL, OPT_MASKS},
                                           {"plain", no_argument, NULL, OPT_PLAIN},
                                           CLI_COMMON_LONG_OPTIONS,
                                           {NULL, 0, NULL, 0}};
  cli_common common = {0, 0};
  glia_phantom_set_opts o = GLIA_PHANTOM_SET_DEFAULTS;
  const char *out = NULL;
  int opt;
  long v;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
    int c = cli_common_option(opt, optarg, &common, "phantom");
    if (c < 0) return CLI_USAGE;
    if (c > 0) continue;
    switch (opt) {
    case 'o': out = optarg; break;
    case 'h': help(); return CLI_OK;
    case OPT_YES:
    case OPT_NO:
      if (cli_parse_long("phantom", opt == OPT_YES ? "yes" : "no", optarg, 0, 100000, &v))
        return CLI_USAGE;
      *(opt == OPT_YES ? &o.n_yes : &o.n_no) = (int)v;
      break;
    case OPT_SIZE:
      if (cli_parse_long("phantom", "size", optarg, 16, 8192, &v)) return CLI_USAGE;
      o.size = (int)v;
      break;
    case OPT_SEED:
      if (cli_parse_long("phantom", "seed", optarg, 0, 2147483647L, &v)) return CLI_USAGE;
      o.seed = (uint64_t)v;
      break;
    case OPT_MASKS: o.mask_dir = optarg; break;
    case OPT_PLAIN: o.specials = 0; break;
    default: return cli_usage_error("phantom", "unknown option");
    }
  }
  if (optind != argc) return cli_usage_error("phantom", "unexpected argument '%s'", argv[optind]);
  if (!out) return cli_usage_error("phantom", "missing -o DIR");
  if (o.specials && (o.n_yes < 8 || o.n_no < 6))
    return cli_usage_error("phantom", "the special cases need --yes ≥ 8 and --no ≥ 6 (or --plain)");
  if (glia_phantom_write_set(out, &o)) {
    fprintf(stderr, "glia phantom: %s\n", glia_last_error());
    return CLI_FAILED;
  }
  if (!common.quiet) fprintf(stderr, "glia phantom: %d + %d images in %s\n", o.n_yes, o.n_no, out);
  return CLI_OK;
}
