/* Option helpers shared by every subcommand. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "glia %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'glia %s --help'.\n", cmd);
  return CLI_USAGE;
}

int cli_parse_long(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(arg, &end, 10);
  if (errno || end == arg || *end || v < lo || v > hi) {
    cli_usage_error(cmd, "--%s: '%s' is not an integer in %ld..%ld", opt, arg, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

int cli_common_option(int opt, const char *arg, cli_common *c, const char *cmd) {
  long v;
  switch (opt) {
  case CLI_OPT_QUIET: c->quiet = 1; return 1;
  case CLI_OPT_THREADS:
    if (cli_parse_long(cmd, "threads", arg, 1, 1024, &v)) return -1;
    c->threads = (int)v;
    return 1;
  default: return 0;
  }
}

void cli_common_apply(const cli_common *c) { glia_set_threads(c->threads); }

void cli_progress(const cli_common *c, const char *what, size_t done, size_t total) {
  static int tty = -1;
  if (c->quiet) return;
  if (tty < 0) tty = isatty(STDERR_FILENO);
  if (!tty) return;
  fprintf(stderr, "\r%s %zu/%zu", what, done, total);
  if (done == total) fputc('\n', stderr);
  fflush(stderr);
}
