/* glia bench: times a model's inference or training step (forward, backward, AdamW) on a
 * synthetic batch and prints one JSON line. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/cli.h"
#include "glia/models.h"
#include "glia/nn.h"
#include "glia/optim.h"

static void help(void) {
  printf("Usage: glia bench --arch A [--size S] [--batch B] [--channels C] [--classes K]\n"
         "                  [--train] [--steps N]\n\n"
         "Times N steps (after one warm-up step) on random data and prints\n"
         "{\"arch\", \"size\", \"batch\", \"train\", \"images_per_s\", \"ms_per_step\", "
         "\"peak_rss_mb\", \"gflops_per_s\"}.\n"
         "A training step is forward + cross-entropy + backward + AdamW; GFLOP/s counts\n"
         "convolutions and linear layers (3× the forward for a training step), each\n"
         "convolution at its direct work: where oneDNN runs Winograd, which multiplies less,\n"
         "the figure can exceed the machine's peak.\n\n"
         "  --arch A      %s\n  --size S      input S × S (default 224)\n"
         "  --batch B     images per step (default 16)\n  --channels C  (default 3)\n"
         "  --classes K   (default 1000)\n  --train       time training steps\n"
         "  --steps N     timed steps (default 5)\n  --threads N, --quiet, --help\n",
         glia_model_archs());
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct bench_opts {
  const char *arch;
  long size, batch, channels, classes, steps;
  int train;
} bench_opts;

static int parse(int argc, char **argv, bench_opts *o, cli_common *c) {
  enum { O_ARCH = 2000, O_SIZE, O_BATCH, O_CHANNELS, O_CLASSES, O_TRAIN, O_STEPS };
  static const struct option longs[] = {{"arch", required_argument, NULL, O_ARCH},
                                        {"size", required_argument, NULL, O_SIZE},
                                        {"batch", required_argument, NULL, O_BATCH},
                                        {"channels", required_argument, NULL, O_CHANNELS},
                                        {"classes", required_argument, NULL, O_CLASSES},
                                        {"train", no_argument, NULL, O_TRAIN},
                                        {"steps", required_argument, NULL, O_STEPS},
                                        CLI_COMMON_LONG_OPTIONS,
                                        {NULL, 0, NULL, 0}};
  int opt, r;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
    if ((r = cli_common_option(opt, optarg, c, "bench"))) {
      if (r < 0) return CLI_USAGE;
      continue;
    }
    long *dst = NULL, lo = 1, hi = 1000000;
    const char *name = NULL;
    switch (opt) {
    case 'h': help(); return -1;
    case O_ARCH: o->arch = optarg; continue;
    case O_TRAIN: o->train = 1; continue;
    case O_SIZE: dst = &o->size, name = "size", lo = 8, hi = 4096; break;
    case O_BATCH: dst = &o->batch, name = "batch", hi = 4096; break;
    case O_CHANNELS: dst = &o->channels, name = "channels", hi = 64; break;
    case O_CLASSES: dst = &o->classes, name = "classes"; break;
    case O_STEPS: dst = &o->steps, name = "steps", hi = 100000; break;
    default: return cli_usage_error("bench", "unknown option");
    }
    if (cli_parse_long("bench", name, optarg, lo, hi, dst)) return CLI_USAGE;
  }
  if (!o->arch) return cli_usage_error("bench", "--arch is required");
  return 0;
}

static glia_status step(glia_model *m, glia_nn *nn, glia_optim *opt, const bench_opts *o,
                        const float *xdata, const float *ydata) {
  glia_tensor *x, *y, *z, *loss;
  int64_t shape[4] = {o->batch, o->channels, o->size, o->size};
  size_t n = (size_t)(o->batch * o->channels * o->size * o->size);
  glia_status s = glia_nn_tensor(nn, 4, shape, &x);
  if (!s) s = glia_nn_tensor(nn, 1, shape, &y);
  if (s) return s;
  memcpy(x->data, xdata, n * sizeof(float));
  memcpy(y->data, ydata, (size_t)o->batch * sizeof(float));
  s = glia_model_forward(m, nn, x, &z);
  if (!s && o->train) {
    s = glia_cross_entropy(nn, z, y, NULL, 0.0f, &loss);
    glia_params_zero_grad(glia_model_params(m));
    if (!s) s = glia_nn_backward(nn, loss);
    if (!s) glia_optim_step(opt, 0);
  }
  glia_nn_reset(nn);
  return s;
}

int cmd_bench(int argc, char **argv) {
  bench_opts o = {NULL, 224, 16, 3, 1000, 5, 0};
  cli_common c = {0, 0};
  int r = parse(argc, argv, &o, &c);
  if (r) return r < 0 ? CLI_OK : r;
  cli_common_apply(&c);
  glia_model *m = NULL;
  glia_nn *nn = NULL;
  glia_optim *opt = NULL;
  glia_optim_opts oo = GLIA_OPTIM_DEFAULTS;
  size_t n = (size_t)(o.batch * o.channels * o.size * o.size);
  float *x = malloc(n * sizeof(float)), *y = malloc((size_t)o.batch * sizeof(float));
  if (!x || !y) {
    free(x);
    free(y);
    fprintf(stderr, "glia bench: out of memory for the batch\n");
    return CLI_FAILED;
  }
  glia_status s = glia_model_new(o.arch, (int)o.channels, (int)o.classes, &m);
  if (!s) s = glia_nn_new(&nn);
  if (!s) s = glia_optim_new(glia_model_params(m), &oo, &opt);
  if (!s) {
    glia_model_init(m, nn);
    for (size_t i = 0; i < n; i++) x[i] = glia_nn_normal(nn);
    for (long i = 0; i < o.batch; i++) y[i] = (float)(i % o.classes);
    glia_nn_set_training(nn, o.train);
    glia_nn_set_grad(nn, o.train);
    s = step(m, nn, opt, &o, x, y); /* warm-up: primitives created, arena grown */
  }
  double t0 = now_s();
  for (long i = 0; i < o.steps && !s; i++) s = step(m, nn, opt, &o, x, y);
  double dt = (now_s() - t0) / (double)o.steps;
  if (!s) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double flops =
        glia_model_flops(m, (int)o.size, (int)o.size) * (double)o.batch * (o.train ? 3 : 1);
    printf(
        "{\"arch\": \"%s\", \"size\": %ld, \"batch\": %ld, \"train\": %s, \"images_per_s\": %.2f, "
        "\"ms_per_step\": %.1f, \"peak_rss_mb\": %.1f, \"gflops_per_s\": %.1f}\n",
        o.arch, o.size, o.batch, o.train ? "true" : "false", (double)o.batch / dt, 1e3 * dt,
        (double)ru.ru_maxrss / 1024.0, flops / dt * 1e-9);
  } else {
    fprintf(stderr, "glia bench: %s\n", glia_last_error());
  }
  free(x);
  free(y);
  glia_optim_free(opt);
  glia_nn_free(nn);
  glia_model_free(m);
  return s ? CLI_FAILED : CLI_OK;
}
