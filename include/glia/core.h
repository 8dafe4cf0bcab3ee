/* glia core: status codes, error messages, allocation, threads, version. */
#ifndef GLIA_CORE_H
#define GLIA_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GLIA_BUILDING)
#define GLIA_API __attribute__((visibility("default")))
#else
#define GLIA_API
#endif

/* Status of a fallible call. Values are never renumbered; new ones go at the end. */
typedef enum glia_status {
  GLIA_OK = 0,               /* success */
  GLIA_ERR_NOMEM = -1,       /* an allocation failed or a size overflowed */
  GLIA_ERR_IO = -2,          /* a file could not be opened, read, written or renamed */
  GLIA_ERR_FORMAT = -3,      /* bytes that are not a valid file of the expected format */
  GLIA_ERR_UNSUPPORTED = -4, /* valid input that glia does not handle (e.g. 12-bit JPEG) */
  GLIA_ERR_TOO_LARGE = -5,   /* the input exceeds a configured limit (e.g. --max-pixels) */
  GLIA_ERR_ARGUMENT = -6,    /* a bad argument or option value */
  GLIA_ERR_EMPTY = -7,       /* nothing to work on (an empty folder, an empty mask) */
  GLIA_ERR_TOO_SMALL = -8,   /* the input is below a configured minimum */
  GLIA_ERR_INTERNAL = -9,    /* a library call failed unexpectedly */
} glia_status;

/* Short English text for a status ("out of memory", ...). Never NULL. */
GLIA_API const char *glia_status_str(glia_status s);

/* Message of the last error recorded in this thread, naming the culprit and the
 * expectation; "" when none. Valid until the next failing glia call in this thread. */
GLIA_API const char *glia_last_error(void);

/* Clears this thread's last error. */
GLIA_API void glia_clear_error(void);

/* Records an error message for this thread and returns `s` (for `return glia_error(...)`).
 * Public so that code built on glia can report through the same channel. */
GLIA_API glia_status glia_error(glia_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Version string of the library ("0.1.0"). */
GLIA_API const char *glia_version(void);

/* Allocation. Every glia allocation goes through these, so a test build can make the n-th
 * allocation fail (glia_alloc_fail_after). glia_malloc(0) returns a unique non-NULL pointer.
 * glia_free(NULL) does nothing. */
GLIA_API void *glia_malloc(size_t n);
GLIA_API void *glia_calloc(size_t count, size_t size);
GLIA_API void *glia_realloc(void *p, size_t n);
GLIA_API void glia_free(void *p);
GLIA_API char *glia_strdup(const char *s);

/* Testing hook: after `n` more successful allocations, every allocation fails; n < 0 turns
 * the hook off (the default). Process-wide; for tests only. */
GLIA_API void glia_alloc_fail_after(long n);

/* Multiplies a·b·c with overflow checking; returns 0 and sets *out, or -1 on overflow. */
GLIA_API int glia_mul_size(size_t a, size_t b, size_t c, size_t *out);

/* Number of threads glia's parallel loops use: set by glia_set_threads (n <= 0: the
 * OpenMP default, or GLIA_THREADS from the environment when set). */
GLIA_API void glia_set_threads(int n);
GLIA_API int glia_threads(void);

/* Releases process-wide caches. Safe to call more than once. */
GLIA_API void glia_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
