/* glia files: whole-file reads, atomic writes, folders. */
#ifndef GLIA_FILE_H
#define GLIA_FILE_H

#include <stdio.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest file glia_file_read accepts (bytes). */
#define GLIA_FILE_MAX_BYTES ((size_t)1 << 31)

/* Reads a whole regular file into a new buffer (caller frees with glia_free). Refuses
 * folders, devices, FIFOs and sockets without blocking, and files over max_bytes
 * (0: GLIA_FILE_MAX_BYTES). Errors name the file and the reason. */
GLIA_API glia_status glia_file_read(const char *path, size_t max_bytes, unsigned char **data,
                                    size_t *size);

/* Atomic output: glia_atomic_open writes to "PATH.tmp-XXXXXX" beside PATH; commit flushes,
 * fsyncs and renames it over PATH; abort removes the temporary file. Either way `a` is
 * released. Nothing the user had at PATH changes until commit succeeds. */
typedef struct glia_atomic_file {
  FILE *fp;    /* write here */
  char *tmp;   /* temporary path */
  char *final; /* destination path */
} glia_atomic_file;
GLIA_API glia_status glia_atomic_open(const char *path, glia_atomic_file *a);
GLIA_API glia_status glia_atomic_commit(glia_atomic_file *a);
GLIA_API void glia_atomic_abort(glia_atomic_file *a);

/* Writes `size` bytes to `path` atomically. */
GLIA_API glia_status glia_file_write(const char *path, const void *data, size_t size);

/* Creates a folder and its parents (like mkdir -p); succeeds if it exists. */
GLIA_API glia_status glia_mkdirs(const char *path);

/* Joins a folder and a name with one '/' (caller frees); NULL when out of memory. */
GLIA_API char *glia_path_join(const char *dir, const char *name);

#ifdef __cplusplus
}
#endif
#endif
