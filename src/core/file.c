/* Whole-file reads, atomic writes and folder creation. */
#include "glia/file.h"

#include <errno.h>
#include <fcntl.h>
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
