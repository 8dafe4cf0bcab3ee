/* Per-thread error messages and status strings. */
#include "glia/core.h"
#include "glia/version.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

const char *glia_status_str(glia_status s) {
  switch (s) {
  case GLIA_OK: return "success";
  case GLIA_ERR_NOMEM: return "out of memory";
  case GLIA_ERR_IO: return "input/output error";
  case GLIA_ERR_FORMAT: return "invalid file format";
  case GLIA_ERR_UNSUPPORTED: return "unsupported input";
  case GLIA_ERR_TOO_LARGE: return "input too large";
  case GLIA_ERR_ARGUMENT: return "bad argument";
  case GLIA_ERR_EMPTY: return "nothing to process";
  case GLIA_ERR_TOO_SMALL: return "input too small";
  case GLIA_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char *glia_last_error(void) { return last_error; }

void glia_clear_error(void) { last_error[0] = '\0'; }

glia_status glia_error(glia_status s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return s;
}

const char *glia_version(void) { return GLIA_VERSION_STRING; }
