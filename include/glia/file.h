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

/* Group commit for batch jobs that write many outputs: each output is written to its own
 * "PATH.tmp-XXXXXX" beside PATH, as with glia_atomic_open, but the expensive part of making
 * it durable is shared. A commit makes a whole group of temporary files durable with one
 * syncfs() per file system, checks each file for write-back errors, renames each over its
 * PATH and syncs again so that the new names are durable too. So, as with glia_atomic_*:
 * nothing the user had at a PATH changes until that output's new contents are on disk, a
 * reader never sees a partial output, and a failed output leaves no temporary file. A
 * group is committed when it holds `group_files` outputs (by the writer that fills it,
 * while other threads go on writing), and on glia_file_group_commit. Outputs written
 * before a crash but not yet committed are lost (their temporary files remain, as with an
 * interrupted glia_atomic_open), never half-written over the old files. Write each PATH
 * at most once per group. Thread-safe: any thread may write or commit. Needs Linux 5.8 or
 * later for syncfs() to report write-back errors; each file's errors are also checked with
 * sync_file_range(). */
typedef struct glia_file_group glia_file_group;

/* Called once for each output that a commit could not make durable or rename into place,
 * with the `id` given to glia_file_group_write and a message naming the file and the
 * reason; its temporary file is removed and whatever was at its PATH is left as it was.
 * May run on any thread that writes or commits, for different ids at the same time. */
typedef void (*glia_file_group_fail_fn)(void *ctx, size_t id, const char *message);

/* A new group (caller frees with glia_file_group_free); group_files outputs per commit,
 * 1..256 (0: 64;
 * each keeps a file descriptor open until its commit); on_fail may be NULL. */
GLIA_API glia_status glia_file_group_new(size_t group_files, glia_file_group_fail_fn on_fail,
                                         void *ctx, glia_file_group **out);

/* Writes `size` bytes to a temporary file beside `path` and adds it to the group; commits
 * the group when it is full. An error here concerns this output alone and means nothing
 * was added (no temporary file remains, on_fail is not called for it); the outcome of a
 * commit is reported through on_fail and glia_file_group_commit. */
GLIA_API glia_status glia_file_group_write(glia_file_group *g, const char *path, const void *data,
                                           size_t size, size_t id);

/* Commits every output written so far. Returns GLIA_OK when each output of this group and
 * of every earlier commit is in place, else the error of a failed one (all failures were
 * passed to on_fail). */
GLIA_API glia_status glia_file_group_commit(glia_file_group *g);

/* Frees the group; outputs written since the last commit are abandoned (their temporary
 * files removed, their PATHs untouched). Accepts NULL. */
GLIA_API void glia_file_group_free(glia_file_group *g);

/* Creates a folder and its parents (like mkdir -p); succeeds if it exists. */
GLIA_API glia_status glia_mkdirs(const char *path);

/* Joins a folder and a name with one '/' (caller frees); NULL when out of memory. */
GLIA_API char *glia_path_join(const char *dir, const char *name);

#ifdef __cplusplus
}
#endif
#endif
