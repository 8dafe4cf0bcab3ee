/* Whole-file reads, atomic writes (one file, or a group of files made durable together) and
 * folder creation. */
#define _GNU_SOURCE /* syncfs, sync_file_range */
#include "glia/file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
  return "not a regular file";
}

glia_status glia_file_read(const char *path, size_t max_bytes, unsigned char **data, size_t *size) {
  *data = NULL;
  *size = 0;
  if (max_bytes == 0) max_bytes = GLIA_FILE_MAX_BYTES;
  /* O_NONBLOCK so that a FIFO cannot hang us before fstat says what it is. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) return glia_error(GLIA_ERR_IO, "%s: symbolic link loop", path);
    return glia_error(GLIA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return glia_error(GLIA_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return glia_error(GLIA_ERR_IO, "%s: is %s, not an image file", path, kind_of(st.st_mode));
  }
  if ((unsigned long long)st.st_size > (unsigned long long)max_bytes) {
    close(fd);
    return glia_error(GLIA_ERR_TOO_LARGE, "%s: %lld bytes exceeds the limit of %zu bytes", path,
                      (long long)st.st_size, max_bytes);
  }
  size_t n = (size_t)st.st_size;
  unsigned char *buf = glia_malloc(n + 1);
  if (!buf) {
    close(fd);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, n);
  }
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      glia_free(buf);
      close(fd);
      return glia_error(GLIA_ERR_IO, "%s: read failed: %s", path, strerror(e));
    }
    if (r == 0) break; /* the file shrank while we read it */
    got += (size_t)r;
  }
  close(fd);
  buf[got] = 0;
  *data = buf;
  *size = got;
  return GLIA_OK;
}

glia_status glia_atomic_open(const char *path, glia_atomic_file *a) {
  memset(a, 0, sizeof *a);
  size_t n = strlen(path);
  a->tmp = glia_malloc(n + 16);
  a->final = glia_strdup(path);
  if (!a->tmp || !a->final) {
    glia_free(a->tmp);
    glia_free(a->final);
    memset(a, 0, sizeof *a);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  }
  memcpy(a->tmp, path, n);
  memcpy(a->tmp + n, ".tmp-XXXXXX", 12);
  int fd = mkstemp(a->tmp);
  if (fd < 0) {
    glia_status s = glia_error(GLIA_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    glia_free(a->tmp);
    glia_free(a->final);
    memset(a, 0, sizeof *a);
    return s;
  }
  fchmod(fd, 0644);
  a->fp = fdopen(fd, "wb");
  if (!a->fp) {
    glia_status s = glia_error(GLIA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    close(fd);
    unlink(a->tmp);
    glia_free(a->tmp);
    glia_free(a->final);
    memset(a, 0, sizeof *a);
    return s;
  }
  return GLIA_OK;
}

glia_status glia_atomic_commit(glia_atomic_file *a) {
  glia_status s = GLIA_OK;
  if (!a->fp) return glia_error(GLIA_ERR_ARGUMENT, "atomic file not open");
  int bad = ferror(a->fp) || fflush(a->fp) != 0 || fsync(fileno(a->fp)) != 0;
  int e = errno;
  if (fclose(a->fp) != 0 && !bad) {
    bad = 1;
    e = errno;
  }
  if (bad) {
    s = glia_error(GLIA_ERR_IO, "%s: write failed: %s", a->final, strerror(e));
    unlink(a->tmp);
  } else if (rename(a->tmp, a->final) != 0) {
    s = glia_error(GLIA_ERR_IO, "%s: rename failed: %s", a->final, strerror(errno));
    unlink(a->tmp);
  }
  glia_free(a->tmp);
  glia_free(a->final);
  memset(a, 0, sizeof *a);
  return s;
}

void glia_atomic_abort(glia_atomic_file *a) {
  if (a->fp) {
    fclose(a->fp);
    unlink(a->tmp);
  }
  glia_free(a->tmp);
  glia_free(a->final);
  memset(a, 0, sizeof *a);
}

glia_status glia_file_write(const char *path, const void *data, size_t size) {
  glia_atomic_file a;
  glia_status s = glia_atomic_open(path, &a);
  if (s) return s;
  if (size && fwrite(data, 1, size, a.fp) != size) {
    glia_atomic_abort(&a);
    return glia_error(GLIA_ERR_IO, "%s: write failed", path);
  }
  return glia_atomic_commit(&a);
}

/* ---- group commit */

typedef struct pending {
  char *tmp, *final;
  int fd; /* open until the group is durable: syncfs and the error checks need it */
  int failed, renamed;
  dev_t dev;
  size_t id;
} pending;

struct glia_file_group {
  pthread_mutex_t lock;
  pthread_cond_t idle;
  pending *items; /* written, not yet committed */
  size_t n, cap, group_files;
  int busy; /* commits in progress */
  glia_file_group_fail_fn on_fail;
  void *ctx;
  glia_status first; /* the first failure of any commit, kept for glia_file_group_commit */
  char first_msg[1024];
};

glia_status glia_file_group_new(size_t group_files, glia_file_group_fail_fn on_fail, void *ctx,
                                glia_file_group **out) {
  *out = NULL;
  if (group_files > 256) /* each keeps a file descriptor open until its commit */
    return glia_error(GLIA_ERR_ARGUMENT, "file group: %zu files per commit, expected 1..256",
                      group_files);
  glia_file_group *g = glia_calloc(1, sizeof *g);
  if (!g) return glia_error(GLIA_ERR_NOMEM, "file group: out of memory");
  if (pthread_mutex_init(&g->lock, NULL)) {
    glia_free(g);
    return glia_error(GLIA_ERR_INTERNAL, "file group: cannot create a mutex");
  }
  if (pthread_cond_init(&g->idle, NULL)) {
    pthread_mutex_destroy(&g->lock);
    glia_free(g);
    return glia_error(GLIA_ERR_INTERNAL, "file group: cannot create a condition variable");
  }
  g->group_files = group_files ? group_files : 64;
  g->on_fail = on_fail;
  g->ctx = ctx;
  *out = g;
  return GLIA_OK;
}

static void pending_release(pending *p) {
  if (p->fd >= 0) close(p->fd);
  glia_free(p->tmp);
  glia_free(p->final);
  p->fd = -1;
  p->tmp = p->final = NULL;
}

/* Marks an output failed: removes its temporary file unless it was renamed already, records
 * the first failure and tells the caller. */
static void fail_item(glia_file_group *g, pending *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_item(glia_file_group *g, pending *p, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!p->renamed) unlink(p->tmp);
  p->failed = 1;
  glia_error(GLIA_ERR_IO, "%s", msg);
  pthread_mutex_lock(&g->lock);
  if (!g->first) {
    g->first = GLIA_ERR_IO;
    snprintf(g->first_msg, sizeof g->first_msg, "%s", msg);
  }
  pthread_mutex_unlock(&g->lock);
  if (g->on_fail) g->on_fail(g->ctx, p->id, msg);
}

/* One syncfs per file system among the items that `want` selects; a failure fails every such
 * item on that file system (which of them lost data is unknown). */
static void sync_file_systems(glia_file_group *g, pending *items, size_t n, int renamed) {
  for (size_t i = 0; i < n; i++) {
    if (items[i].failed || items[i].renamed != renamed) continue;
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++)
      seen = !items[j].failed && items[j].renamed == renamed && items[j].dev == items[i].dev;
    if (seen || syncfs(items[i].fd) == 0) continue;
    int e = errno;
    for (size_t j = i; j < n; j++)
      if (!items[j].failed && items[j].renamed == renamed && items[j].dev == items[i].dev)
        fail_item(g, &items[j],
                  renamed ? "%s: written, but the new name could not be made durable: %s"
                          : "%s: write failed (syncfs): %s",
                  items[j].final, strerror(e));
  }
}

/* Makes the temporary files durable, checks each for write-back errors, renames them into
 * place and makes the renames durable. */
static void commit_items(glia_file_group *g, pending *items, size_t n) {
  sync_file_systems(g, items, n, 0);
  for (size_t i = 0; i < n; i++) {
    pending *p = &items[i];
    if (p->failed) continue;
    /* After syncfs this only waits (nothing is dirty) and reports this file's own write-back
     * errors, which syncfs reports for the whole file system only. */
    if (sync_file_range(p->fd, 0, 0,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                            SYNC_FILE_RANGE_WAIT_AFTER) != 0)
      fail_item(g, p, "%s: write failed: %s", p->final, strerror(errno));
    else if (rename(p->tmp, p->final) != 0)
      fail_item(g, p, "%s: rename failed: %s", p->final, strerror(errno));
    else
      p->renamed = 1;
  }
  sync_file_systems(g, items, n, 1);
  for (size_t i = 0; i < n; i++) pending_release(&items[i]);
}

/* Takes the pending items out of the group (under its lock) and commits them. */
static void commit_pending(glia_file_group *g) {
  pthread_mutex_lock(&g->lock);
  pending *items = g->items;
  size_t n = g->n;
  g->items = NULL;
  g->n = g->cap = 0;
  g->busy++;
  pthread_mutex_unlock(&g->lock);
  commit_items(g, items, n);
  glia_free(items);
  pthread_mutex_lock(&g->lock);
  if (--g->busy == 0) pthread_cond_broadcast(&g->idle);
  pthread_mutex_unlock(&g->lock);
}

/* Creates the temporary file beside p->final and writes the data; on failure nothing is
 * left. */
static glia_status write_temp(pending *p, const void *data, size_t size) {
  size_t n = strlen(p->final);
  if (!(p->tmp = glia_malloc(n + 12)))
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", p->final);
  memcpy(p->tmp, p->final, n);
  memcpy(p->tmp + n, ".tmp-XXXXXX", 12);
  if ((p->fd = mkostemp(p->tmp, O_CLOEXEC)) < 0)
    return glia_error(GLIA_ERR_IO, "%s: cannot create: %s", p->final, strerror(errno));
  struct stat st;
  const unsigned char *b = data;
  size_t done = 0;
  int e = 0;
  while (done < size && !e) {
    ssize_t w = write(p->fd, b + done, size - done);
    if (w > 0)
      done += (size_t)w;
    else if (w == 0)
      e = ENOSPC; /* no progress: as a full disk */
    else if (errno != EINTR)
      e = errno;
  }
  if (!e && fchmod(p->fd, 0644) != 0) e = errno ? errno : EIO;
  if (!e && fstat(p->fd, &st) != 0) e = errno ? errno : EIO;
  if (e) {
    unlink(p->tmp);
    return glia_error(GLIA_ERR_IO, "%s: write failed: %s", p->final, strerror(e));
  }
  p->dev = st.st_dev;
  return GLIA_OK;
}

glia_status glia_file_group_write(glia_file_group *g, const char *path, const void *data,
                                  size_t size, size_t id) {
  if (!g || !path || (!data && size))
    return glia_error(GLIA_ERR_ARGUMENT, "file group: NULL %s", !g ? "group" : "path or data");
  pending p = {NULL, glia_strdup(path), -1, 0, 0, 0, id};
  if (!p.final) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  glia_status s = write_temp(&p, data, size);
  if (s) {
    pending_release(&p);
    return s;
  }
  pthread_mutex_lock(&g->lock);
  if (g->n == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 16;
    pending *grown = glia_realloc(g->items, cap * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&g->lock);
      unlink(p.tmp);
      pending_release(&p);
      return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
    }
    g->items = grown;
    g->cap = cap;
  }
  g->items[g->n++] = p;
  int full = g->n >= g->group_files;
  pthread_mutex_unlock(&g->lock);
  if (full) commit_pending(g);
  return GLIA_OK;
}

glia_status glia_file_group_commit(glia_file_group *g) {
  if (!g) return glia_error(GLIA_ERR_ARGUMENT, "file group: NULL group");
  commit_pending(g);
  pthread_mutex_lock(&g->lock);
  while (g->busy) pthread_cond_wait(&g->idle, &g->lock);
  glia_status s = g->first;
  char msg[sizeof g->first_msg];
  memcpy(msg, g->first_msg, sizeof msg);
  pthread_mutex_unlock(&g->lock);
  return s ? glia_error(s, "%s", msg) : GLIA_OK;
}

void glia_file_group_free(glia_file_group *g) {
  if (!g) return;
  for (size_t i = 0; i < g->n; i++) {
    unlink(g->items[i].tmp);
    pending_release(&g->items[i]);
  }
  glia_free(g->items);
  pthread_cond_destroy(&g->idle);
  pthread_mutex_destroy(&g->lock);
  glia_free(g);
}

glia_status glia_mkdirs(const char *path) {
  char *p = glia_strdup(path);
  if (!p) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  for (char *q = p + 1;; q++) {
    char c = *q;
    if (c == '/' || c == '\0') {
      *q = '\0';
      if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        glia_status s = glia_error(GLIA_ERR_IO, "%s: cannot create folder: %s", p, strerror(errno));
        glia_free(p);
        return s;
      }
      *q = c;
      if (c == '\0') break;
    }
  }
  struct stat st;
  glia_status s = GLIA_OK;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    s = glia_error(GLIA_ERR_IO, "%s: exists and is not a folder", path);
  glia_free(p);
  return s;
}

char *glia_path_join(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  while (a > 1 && dir[a - 1] == '/') a--;
  char *r = glia_malloc(a + b + 2);
  if (r) snprintf(r, a + b + 2, "%.*s/%s", (int)a, dir, name);
  return r;
}
