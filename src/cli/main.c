/* glia: entry point and subcommand dispatch. */
#include <string.h>

#include "cli/cli.h"

static int cmd_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("glia %s\n", glia_version());
  return CLI_OK;
}

static const cli_command commands[] = {
    {"explore", cmd_explore, "counts, sizes, duplicates, outliers, histograms and CDFs"},
    {"phantom", cmd_phantom, "write a small synthetic data set with known answers"},
    {"version", cmd_version, "print the version"},
    {"cluster", cmd_cluster,
     "k-means intensity clusters, metric curves, colour masks, tumor candidates"},
    {"predict", cmd_predict, "run a model (e.g. ResNet-18 with PyTorch weights) on images"},
    {"bench", cmd_bench, "time a model's training or inference step on a synthetic batch"},
};

static void usage(FILE *f) {
  fprintf(f, "Usage: glia <command> [options]\n"
             "       glia --help | --version\n\n"
             "Brain-MRI studies from the command line.\n\nCommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\nRun 'glia <command> --help' for the options of one command.\n"
             "Exit status: 0 success, 1 the job failed, 2 usage error.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return CLI_OK;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
    printf("glia %s\n", glia_version());
    return CLI_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (!strcmp(argv[1], commands[i].name)) {
      int rc = commands[i].run(argc - 1, argv + 1);
      glia_shutdown();
      return rc;
    }
  }
  fprintf(stderr, "glia: '%s' is not a glia command.\n\n", argv[1]);
  usage(stderr);
  return CLI_USAGE;
}
