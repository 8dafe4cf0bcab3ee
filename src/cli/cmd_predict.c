/* glia predict: runs a model on images and prints one JSON line per image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "glia/learn.h"
#include "glia/models.h"
#include "glia/nn.h"
#include "glia/safetensors.h"

static void help(void) {
  printf("Usage: glia predict --arch A --weights W.safetensors [options] IMG...\n\n"
         "Runs a model in evaluation mode on each image and prints one JSON line per image:\n"
         "{\"file\": ..., \"class\": k, \"score\": p} or, with --logits, {\"file\": ..., "
         "\"logits\": [...]}.\n\n"
         "  --arch A          architecture (%s)\n"
         "  --weights W       safetensors file with PyTorch state_dict names\n"
         "  --classes N       number of classes (default 1000)\n"
         "  --channels C      input channels, 1 or 3 (default 3)\n"
         "  --size S          input size S × S (default 224); other sizes are resized\n"
         "                    bilinearly as torch's interpolate(align_corners=False)\n"
         "  --normalize N     imagenet (default) or none\n"
         "  --logits          print the logits instead of the top class\n"
         "  --batch N         images run through the network together (default 16); the\n"
         "                    lines keep the input order, a bad file is reported alone\n"
         "  --threads N, --quiet, --help\n",
         glia_model_archs());
}

typedef struct predict_opts {
  const char *arch, *weights;
  long classes, channels, size, batch;
  int logits;
  glia_normalize norm;
} predict_opts;

static int parse(int argc, char **argv, predict_opts *o, cli_common *c) {
  enum { O_ARCH = 2000, O_WEIGHTS, O_CLASSES, O_CHANNELS, O_SIZE, O_NORM, O_LOGITS, O_BATCH };
  static const struct option longs[] = {{"arch", required_argument, NULL, O_ARCH},
                                        {"weights", required_argument, NULL, O_WEIGHTS},
                                        {"classes", required_argument, NULL, O_CLASSES},
                                        {"channels", required_argument, NULL, O_CHANNELS},
                                        {"size", required_argument, NULL, O_SIZE},
                                        {"normalize", required_argument, NULL, O_NORM},
                                        {"logits", no_argument, NULL, O_LOGITS},
                                        {"batch", required_argument, NULL, O_BATCH},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  int opt, r;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
    if ((r = cli_common_option(opt, optarg, c, "predict"))) {
      if (r < 0) return CLI_USAGE;
      continue;
    }
    switch (opt) {
    case 'h': help(); return -1;
    case O_ARCH: o->arch = optarg; break;
    case O_WEIGHTS: o->weights = optarg; break;
    case O_CLASSES:
      if (cli_parse_long("predict", "classes", optarg, 1, 1000000, &o->classes)) return CLI_USAGE;
      break;
    case O_CHANNELS:
      if (cli_parse_long("predict", "channels", optarg, 1, 3, &o->channels) || o->channels == 2)
        return CLI_USAGE;
      break;
    case O_SIZE:
      if (cli_parse_long("predict", "size", optarg, 8, 4096, &o->size)) return CLI_USAGE;
      break;
    case O_NORM:
      if (!strcmp(optarg, "imagenet"))
        o->norm = (glia_normalize)GLIA_NORMALIZE_IMAGENET;
      else if (!strcmp(optarg, "none"))
        o->norm = (glia_normalize)GLIA_NORMALIZE_NONE;
      else
        return cli_usage_error("predict", "--normalize: '%s' is not imagenet or none", optarg);
      break;
    case O_LOGITS: o->logits = 1; break;
    case O_BATCH:
      if (cli_parse_long("predict", "batch", optarg, 1, 4096, &o->batch)) return CLI_USAGE;
      break;
    default: return cli_usage_error("predict", "unknown option");
    }
  }
  if (!o->arch || !o->weights)
    return cli_usage_error("predict", "--arch and --weights are required");
  if (optind >= argc) return cli_usage_error("predict", "no images given");
  return 0;
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      printf("\\%c", ch);
    else if (ch < 0x20)
      printf("\\u%04x", ch);
    else
      putchar(ch);
  }
  putchar('"');
}

static void print_result(const char *file, const float *z, long classes, int logits) {
  printf("{\"file\": ");
  print_json_string(file);
  if (logits) {
    printf(", \"logits\": [");
    for (long k = 0; k < classes; k++) printf("%s%.9g", k ? ", " : "", (double)z[k]);
    printf("]}\n");
    return;
  }
  long best = 0;
  double sum = 0;
  for (long k = 1; k < classes; k++)
    if (z[k] > z[best]) best = k;
  for (long k = 0; k < classes; k++) sum += exp((double)z[k] - z[best]);
  printf(", \"class\": %ld, \"score\": %.6f}\n", best, 1.0 / sum);
}

/* Predicts images paths[0..n) as one batch (all are resized to --size, so they share a shape);
 * a file that fails to load is reported and left out. Returns 0, or 1 when any failed (errors
 * printed). */
static int predict_batch(const predict_opts *o, glia_model *m, glia_nn *nn, char *const *paths,
                         int n) {
  glia_image *imgs[4096] = {NULL};
  const char *names[4096];
  int good = 0, failed = 0;
  for (int i = 0; i < n; i++) {
    glia_load_opts lo = GLIA_LOAD_DEFAULTS;
    if (glia_image_load(paths[i], &lo, &imgs[good], NULL)) {
      fprintf(stderr, "glia predict: %s\n", glia_last_error());
      failed = 1;
      continue;
    }
    names[good++] = paths[i];
  }
  glia_status s = GLIA_OK;
  if (good) {
    glia_tensor *x, *z;
    const int64_t shape[4] = {good, o->channels, o->size, o->size},
                  per = shape[1] * o->size * o->size;
    s = glia_nn_tensor(nn, 4, shape, &x);
    for (int k = 0; k < good && !s; k++)
      s = glia_image_to_tensor(imgs[k], (int)o->channels, (int)o->size, (int)o->size, &o->norm,
                               x->data + k * per);
    if (!s) s = glia_model_forward(m, nn, x, &z);
    for (int k = 0; k < good && !s; k++)
      print_result(names[k], z->data + k * o->classes, o->classes, o->logits);
    if (s) fprintf(stderr, "glia predict: %s\n", glia_last_error());
  }
  for (int k = 0; k < good; k++) glia_image_free(imgs[k]);
  glia_nn_reset(nn);
  return failed || s != GLIA_OK;
}

int cmd_predict(int argc, char **argv) {
  predict_opts o = {NULL, NULL, 1000, 3, 224, 16, 0, GLIA_NORMALIZE_IMAGENET};
  cli_common c = {0, 0};
  int r = parse(argc, argv, &o, &c);
  if (r) return r < 0 ? CLI_OK : r;
  cli_common_apply(&c);
  glia_model *m = NULL;
  glia_nn *nn = NULL;
  glia_safetensors *st = NULL;
  glia_status s = glia_model_new(o.arch, (int)o.channels, (int)o.classes, &m);
  if (!s) s = glia_safetensors_open(o.weights, &st);
  if (!s) s = glia_safetensors_load_params(st, glia_model_params(m), 1);
  if (!s) s = glia_nn_new(&nn);
  glia_safetensors_free(st);
  if (s) {
    fprintf(stderr, "glia predict: %s\n", glia_last_error());
    glia_model_free(m);
    glia_nn_free(nn);
    return CLI_FAILED;
  }
  glia_nn_set_training(nn, 0);
  glia_nn_set_grad(nn, 0);
  int failed = 0;
  for (int i = optind; i < argc; i += (int)o.batch) {
    const int n = argc - i < o.batch ? argc - i : (int)o.batch;
    failed |= predict_batch(&o, m, nn, argv + i, n);
  }
  glia_nn_free(nn);
  glia_model_free(m);
  return failed ? CLI_FAILED : CLI_OK;
}
