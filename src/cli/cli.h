/* The glia command: shared declarations of src/cli. Uses only include/glia/. */
#ifndef GLIA_CLI_H
#define GLIA_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "glia/glia.h"

/* Exit statuses of every command. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* Options every command takes (parsed by cli_common_option). */
typedef struct cli_common {
  int quiet;   /* --quiet: no progress lines */
  int threads; /* --threads N (0: GLIA_THREADS or all cores) */
} cli_common;

/* One subcommand: argv[0] is the command name; returns an exit status. */
typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} cli_command;

/* Long options shared by every command; append with CLI_COMMON_LONG_OPTIONS. */
#define CLI_OPT_THREADS 1000
#define CLI_OPT_QUIET 1001
#define CLI_OPT_HELP 'h'
#define CLI_COMMON_LONG_OPTIONS                                                                    \
  {"threads", required_argument, NULL, CLI_OPT_THREADS},                                           \
      {"quiet", no_argument, NULL, CLI_OPT_QUIET}, {                                               \
    "help", no_argument, NULL, CLI_OPT_HELP                                                        \
  }

/* Handles a common option; returns 1 if it was one, 0 if not, -1 on a bad value. */
int cli_common_option(int opt, const char *arg, cli_common *c, const char *cmd);

/* Applies the common options (threads). */
void cli_common_apply(const cli_common *c);

/* Prints "glia CMD: message" to stderr and returns CLI_USAGE (with a hint to --help). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses an integer option value in [lo, hi]; returns 0 or -1 (message printed). */
int cli_parse_long(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out);

/* Progress line on stderr, only when stderr is a terminal and not --quiet. */
void cli_progress(const cli_common *c, const char *what, size_t done, size_t total);

int cmd_cluster(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_phantom(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
