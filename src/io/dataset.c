/* Data set scanning: class folders, flat folders, list files and segmentation pairs. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "glia/dataset.h"
#include "glia/file.h"

const char *glia_layout_name(glia_layout l) {
  switch (l) {
  case GLIA_LAYOUT_FLAT: return "flat";
  case GLIA_LAYOUT_CLASS_FOLDERS: return "class-folders";
  case GLIA_LAYOUT_LIST: return "list";
  case GLIA_LAYOUT_SEG_PAIRS: return "segmentation-pairs";
  case GLIA_LAYOUT_SEG_FOLDERS: return "segmentation-folders";
  }
  return "unknown";
}

static const char *extension(const char *name) {
  const char *slash = strrchr(name, '/');
  const char *dot = strrchr(slash ? slash + 1 : name, '.');
  return dot ? dot + 1 : "";
}

int glia_is_image_name(const char *name) {
  static const char *exts[] = {"jpg", "jpeg", "png", "tif", "tiff"};
  const char *e = extension(name);
  for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
    if (!strcasecmp(e, exts[i])) return 1;
  return 0;
}

static int natural_cmp(const char *a, const char *b) {
  while (*a && *b) {
    if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      while (*a == '0' && isdigit((unsigned char)a[1])) a++;
      while (*b == '0' && isdigit((unsigned char)b[1])) b++;
      size_t la = 0, lb = 0;
      while (isdigit((unsigned char)a[la])) la++;
      while (isdigit((unsigned char)b[lb])) lb++;
      if (la != lb) return la < lb ? -1 : 1;
      int c = strncmp(a, b, la);
      if (c) return c;
      a += la;
      b += lb;
    } else {
      if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
      a++;
      b++;
    }
  }
  return *a ? 1 : *b ? -1 : 0;
}

int glia_natural_cmp(const char *a, const char *b) {
  int c = natural_cmp(a, b);
  /* "x0" and "x00" have equal numbers: break the tie bytewise, so that only equal strings
   * compare equal (a total order; found by fuzz/fuzz_list.c). */
  return c ? c : strcmp(a, b);
}

/* A growing list of found files: relative name, full path, and whether it is a mask. */
typedef struct found {
  char *rel, *path;
} found;
typedef struct scan_state {
  glia_dataset *ds;
  const glia_scan_opts *opts;
  found *files;
  size_t n, cap;
  dev_t stack_dev[64];
  ino_t stack_ino[64];
  int depth;
} scan_state;

glia_status glia_dataset_add_bad(glia_dataset *ds, const char *file, const char *error) {
  glia_bad_file *b = glia_realloc(ds->bad, (ds->n_bad + 1) * sizeof *b);
  if (!b) return glia_error(GLIA_ERR_NOMEM, "out of memory");
  ds->bad = b;
  b[ds->n_bad].file = glia_strdup(file);
  b[ds->n_bad].error = glia_strdup(error);
  if (!b[ds->n_bad].file || !b[ds->n_bad].error) {
    glia_free(b[ds->n_bad].file);
    glia_free(b[ds->n_bad].error);
    return glia_error(GLIA_ERR_NOMEM, "out of memory");
  }
  ds->n_bad++;
  return GLIA_OK;
}

static glia_status add_bad_fmt(glia_dataset *ds, const char *file, const char *fmt,
                               const char *what) {
  char msg[1024];
  snprintf(msg, sizeof msg, fmt, file, what);
  return glia_dataset_add_bad(ds, file, msg);
}

static glia_status add_found(scan_state *st, const char *rel, const char *path) {
  if (st->n == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 64;
    found *f = glia_realloc(st->files, cap * sizeof *f);
    if (!f) return glia_error(GLIA_ERR_NOMEM, "out of memory");
    st->files = f;
    st->cap = cap;
  }
  st->files[st->n].rel = glia_strdup(rel);
  st->files[st->n].path = glia_strdup(path);
  if (!st->files[st->n].rel || !st->files[st->n].path) {
    glia_free(st->files[st->n].rel);
    glia_free(st->files[st->n].path);
    return glia_error(GLIA_ERR_NOMEM, "out of memory");
  }
  st->n++;
  return GLIA_OK;
}

static int cmp_name(const void *a, const void *b) {
  return glia_natural_cmp(*(char *const *)a, *(char *const *)b);
}

/* Walks `dir` (relative name `rel`, "" at the root), collecting image files. */
static glia_status walk(scan_state *st, const char *dir, const char *rel) {
  DIR *d = opendir(dir);
  if (!d)
    return add_bad_fmt(st->ds, rel[0] ? rel : dir, "%s: cannot open folder: %s", strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  glia_status s = GLIA_OK;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue; /* ., .., hidden files */
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = glia_realloc(names, cap * sizeof *nn);
      if (!nn) {
        s = glia_error(GLIA_ERR_NOMEM, "out of memory");
        break;
      }
      names = nn;
    }
    if (!(names[n] = glia_strdup(e->d_name))) {
      s = glia_error(GLIA_ERR_NOMEM, "out of memory");
      break;
    }
    n++;
  }
  closedir(d);
  if (!s && n) qsort(names, n, sizeof *names, cmp_name);
  for (size_t i = 0; i < n && !s; i++) {
    char *path = glia_path_join(dir, names[i]);
    char *r = rel[0] ? glia_path_join(rel, names[i]) : glia_strdup(names[i]);
    if (!path || !r) {
      glia_free(path);
      glia_free(r);
      s = glia_error(GLIA_ERR_NOMEM, "out of memory");
      break;
    }
    struct stat sb, lb;
    int is_image = glia_is_image_name(names[i]);
    int linked = lstat(path, &lb) == 0 && S_ISLNK(lb.st_mode);
    if (stat(path, &sb) != 0) {
      int err = errno;
      if (is_image || linked)
        s = add_bad_fmt(st->ds, r, "%s: %s",
                        err == ELOOP    ? "symbolic link loop"
                        : err == ENOENT ? "dangling symbolic link"
                                        : strerror(err));
    } else if (S_ISDIR(sb.st_mode)) {
      if (is_image) {
        s = add_bad_fmt(st->ds, r, "%s: %s", "is a directory, not an image file");
      } else if (linked && !st->opts->follow_symlinks) {
        /* not followed */
      } else if (st->depth >= st->opts->max_depth || st->depth >= 63) {
        s = add_bad_fmt(st->ds, r, "%s: %s", "folder too deep (see max_depth); not searched");
      } else {
        int loop = 0;
        for (int k = 0; k <= st->depth; k++)
          if (st->stack_dev[k] == sb.st_dev && st->stack_ino[k] == sb.st_ino) loop = 1;
        if (loop) {
          s = add_bad_fmt(st->ds, r, "%s: %s", "symbolic link loop (a folder inside itself)");
        } else {
          st->depth++;
          st->stack_dev[st->depth] = sb.st_dev;
          st->stack_ino[st->depth] = sb.st_ino;
          s = walk(st, path, r);
          st->depth--;
        }
      }
    } else if (is_image) {
      if (linked && !st->opts->follow_symlinks) {
        /* not followed */
      } else if (!S_ISREG(sb.st_mode)) {
        s = add_bad_fmt(st->ds, r, "%s: %s", "not a regular file");
      } else {
        s = add_found(st, r, path);
      }
    }
    glia_free(path);
    glia_free(r);
  }
  for (size_t i = 0; i < n; i++) glia_free(names[i]);
  glia_free(names);
  return s;
}

/* The stem of a relative name without its extension ("a/X_mask.tif" → "a/X_mask"). */
static size_t stem_len(const char *rel) {
  const char *e = extension(rel);
  return *e ? (size_t)(e - rel - 1) : strlen(rel);
}

static int is_mask_name(const char *rel) {
  size_t n = stem_len(rel);
  return n >= 5 && !strncasecmp(rel + n - 5, "_mask", 5);
}

static glia_status push_entry(glia_dataset *ds, const char *path, const char *name,
                              const char *label, const char *patient, const char *mask) {
  glia_entry *e = glia_realloc(ds->entries, (ds->n_entries + 1) * sizeof *e);
  if (!e) return glia_error(GLIA_ERR_NOMEM, "out of memory");
  ds->entries = e;
  e += ds->n_entries;
  memset(e, 0, sizeof *e);
  e->class_id = -1;
  e->group = -1;
  e->fold = -1;
  e->path = glia_strdup(path);
  e->name = glia_strdup(name);
  e->label = glia_strdup(label);
  e->patient = glia_strdup(patient);
  e->mask_path = mask ? glia_strdup(mask) : NULL;
  ds->n_entries++;
  if (!e->path || !e->name || !e->label || !e->patient || (mask && !e->mask_path))
    return glia_error(GLIA_ERR_NOMEM, "out of memory");
  return GLIA_OK;
}

static int cmp_entry(const void *a, const void *b) {
  return glia_natural_cmp(((const glia_entry *)a)->name, ((const glia_entry *)b)->name);
}

/* Sorts entries, collects the class names and numbers them. */
static glia_status finish(glia_dataset *ds) {
  if (ds->n_entries) qsort(ds->entries, ds->n_entries, sizeof *ds->entries, cmp_entry);
  for (size_t i = 0; i < ds->n_entries; i++) {
    const char *l = ds->entries[i].label;
    if (!l[0]) continue;
    int found_it = 0;
    for (int c = 0; c < ds->n_classes; c++) found_it |= !strcmp(ds->classes[c], l);
    if (found_it) continue;
    char **cl = glia_realloc(ds->classes, (size_t)(ds->n_classes + 1) * sizeof *cl);
    if (!cl) return glia_error(GLIA_ERR_NOMEM, "out of memory");
    ds->classes = cl;
    if (!(cl[ds->n_classes] = glia_strdup(l))) return glia_error(GLIA_ERR_NOMEM, "out of memory");
    ds->n_classes++;
  }
  if (ds->n_classes) qsort(ds->classes, (size_t)ds->n_classes, sizeof *ds->classes, cmp_name);
  for (size_t i = 0; i < ds->n_entries; i++)
    for (int c = 0; c < ds->n_classes; c++)
      if (!strcmp(ds->classes[c], ds->entries[i].label)) ds->entries[i].class_id = c;
  return GLIA_OK;
}

/* Segmentation pairs: X.ext with X_mask.ext beside it; the patient is the folder. */
static glia_status build_pairs(glia_dataset *ds, scan_state *st) {
  glia_status s = GLIA_OK;
  for (size_t i = 0; i < st->n && !s; i++) {
    const char *rel = st->files[i].rel;
    size_t sl = stem_len(rel);
    if (is_mask_name(rel)) {
      int has_image = 0;
      for (size_t j = 0; j < st->n && !has_image; j++)
        has_image = !is_mask_name(st->files[j].rel) && stem_len(st->files[j].rel) == sl - 5 &&
                    !strncmp(st->files[j].rel, rel, sl - 5);
      if (!has_image) s = add_bad_fmt(ds, rel, "%s: %s", "mask without its image");
      continue;
    }
    const char *mask = NULL;
    for (size_t j = 0; j < st->n && !mask; j++) {
      const char *m = st->files[j].rel;
      if (is_mask_name(m) && stem_len(m) == sl + 5 && !strncmp(m, rel, sl))
        mask = st->files[j].path;
    }
    const char *slash = strrchr(rel, '/');
    char patient[512] = "";
    if (slash) {
      const char *start = slash;
      while (start > rel && start[-1] != '/') start--;
      snprintf(patient, sizeof patient, "%.*s", (int)(slash - start), start);
    }
    s = push_entry(ds, st->files[i].path, rel, "", patient, mask);
  }
  return s;
}

/* Parses list-file text: one "path[,class]" per line (the class after the last comma),
 * '#' comments, blank lines, CR LF line ends, an optional header line; NUL bytes end a
 * line's content. Each path is resolved against `dir` unless absolute, and checked. */
static glia_status parse_list(glia_dataset *ds, const char *text, size_t size, const char *dir) {
  char *line = glia_malloc(size + 1);
  if (!line) return glia_error(GLIA_ERR_NOMEM, "list: out of memory");
  glia_status s = GLIA_OK;
  int content_lines = 0;
  for (size_t pos = 0; pos < size && !s;) {
    const char *nl = memchr(text + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - text) : size, len = end - pos;
    memcpy(line, text + pos, len);
    line[len] = '\0';
    pos = end + 1;
    len = strlen(line); /* stops at an embedded NUL */
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
      line[--len] = '\0';
    if (!len || line[0] == '#') continue;
    content_lines++;
    char *comma = strrchr(line, ',');
    const char *label = "";
    if (comma) {
      *comma = '\0';
      label = comma + 1;
    }
    if (content_lines == 1 &&
        (!strcasecmp(line, "file") || !strcasecmp(line, "path") || !strcasecmp(line, "image")))
      continue; /* a header line */
    if (!line[0]) {
      s = add_bad_fmt(ds, label, "%s: %s", "list line without a path");
      continue;
    }
    char *full = line[0] == '/' ? glia_strdup(line) : glia_path_join(dir, line);
    if (!full) {
      s = glia_error(GLIA_ERR_NOMEM, "out of memory");
      break;
    }
    struct stat sb;
    if (stat(full, &sb) != 0)
      s = add_bad_fmt(ds, line, "%s: %s", errno == ELOOP ? "symbolic link loop" : strerror(errno));
    else if (S_ISDIR(sb.st_mode))
      s = add_bad_fmt(ds, line, "%s: %s", "is a directory, not an image file");
    else
      s = push_entry(ds, full, line, label, "", NULL);
    glia_free(full);
  }
  glia_free(line);
  return s;
}

glia_status glia_dataset_from_list(const char *text, size_t size, const char *base_dir,
                                   glia_dataset **out) {
  *out = NULL;
  glia_dataset *ds = glia_calloc(1, sizeof *ds);
  if (!ds || !(ds->root = glia_strdup(base_dir))) {
    glia_free(ds);
    return glia_error(GLIA_ERR_NOMEM, "out of memory");
  }
  ds->layout = GLIA_LAYOUT_LIST;
  glia_status s = parse_list(ds, text, size, base_dir);
  if (!s) s = finish(ds);
  if (s) {
    glia_dataset_free(ds);
    return s;
  }
  *out = ds;
  return ds->n_entries ? GLIA_OK : glia_error(GLIA_ERR_EMPTY, "list: no image listed");
}

static glia_status scan_list(glia_dataset *ds, const char *path) {
  unsigned char *buf;
  size_t n;
  glia_status s = glia_file_read(path, 64u << 20, &buf, &n);
  if (s) return s;
  const char *slash = strrchr(path, '/');
  char *dir = slash ? glia_strdup(path) : glia_strdup(".");
  if (!dir) {
    glia_free(buf);
    return glia_error(GLIA_ERR_NOMEM, "out of memory");
  }
  if (slash) dir[slash - path] = '\0';
  s = parse_list(ds, (const char *)buf, n, dir);
  glia_free(dir);
  glia_free(buf);
  return s;
}

static glia_status scan_folder(glia_dataset *ds, const char *path, const glia_scan_opts *opts) {
  scan_state st = {ds, opts, NULL, 0, 0, {0}, {0}, 0};
  struct stat sb;
  glia_status s = GLIA_OK;
  char *images = glia_path_join(path, "images"), *masks = glia_path_join(path, "masks");
  if (!images || !masks) {
    s = glia_error(GLIA_ERR_NOMEM, "out of memory");
    goto done;
  }
  if (stat(path, &sb) == 0) {
    st.stack_dev[0] = sb.st_dev;
    st.stack_ino[0] = sb.st_ino;
  }
  struct stat si, sm;
  if (stat(images, &si) == 0 && S_ISDIR(si.st_mode) && stat(masks, &sm) == 0 &&
      S_ISDIR(sm.st_mode)) {
    ds->layout = GLIA_LAYOUT_SEG_FOLDERS;
    if ((s = walk(&st, images, "images"))) goto done;
    size_t n_images = st.n;
    if ((s = walk(&st, masks, "masks"))) goto done;
    for (size_t i = 0; i < n_images && !s; i++) {
      const char *rel = st.files[i].rel + 7; /* after "images/" */
      size_t sl = stem_len(rel);
      const char *mask = NULL;
      for (size_t j = n_images; j < st.n && !mask; j++) {
        const char *m = st.files[j].rel + 6; /* after "masks/" */
        size_t ml = stem_len(m);
        if ((ml == sl && !strncmp(m, rel, sl)) ||
            (ml == sl + 5 && !strncmp(m, rel, sl) && is_mask_name(m)))
          mask = st.files[j].path;
      }
      s = push_entry(ds, st.files[i].path, st.files[i].rel, "", "", mask);
    }
    goto done;
  }
  if ((s = walk(&st, path, ""))) goto done;
  int any_mask = 0, any_nested = 0;
  for (size_t i = 0; i < st.n; i++) {
    any_mask |= is_mask_name(st.files[i].rel);
    any_nested |= strchr(st.files[i].rel, '/') != NULL;
  }
  if (any_mask) {
    ds->layout = GLIA_LAYOUT_SEG_PAIRS;
    s = build_pairs(ds, &st);
    goto done;
  }
  ds->layout = any_nested ? GLIA_LAYOUT_CLASS_FOLDERS : GLIA_LAYOUT_FLAT;
  for (size_t i = 0; i < st.n && !s; i++) {
    const char *rel = st.files[i].rel;
    const char *slash = strchr(rel, '/');
    char label[256] = "";
    if (slash) snprintf(label, sizeof label, "%.*s", (int)(slash - rel), rel);
    s = push_entry(ds, st.files[i].path, rel, label, "", NULL);
  }
done:
  for (size_t i = 0; i < st.n; i++) {
    glia_free(st.files[i].rel);
    glia_free(st.files[i].path);
  }
  glia_free(st.files);
  glia_free(images);
  glia_free(masks);
  return s;
}

glia_status glia_dataset_scan(const char *path, const glia_scan_opts *opts, glia_dataset **out) {
  glia_scan_opts defaults = GLIA_SCAN_DEFAULTS;
  if (!opts) opts = &defaults;
  *out = NULL;
  struct stat sb;
  if (stat(path, &sb) != 0)
    return glia_error(GLIA_ERR_IO, "%s: %s", path,
                      errno == ENOENT ? "no such file or folder" : strerror(errno));
  glia_dataset *ds = glia_calloc(1, sizeof *ds);
  if (!ds || !(ds->root = glia_strdup(path))) {
    glia_free(ds);
    return glia_error(GLIA_ERR_NOMEM, "out of memory");
  }
  glia_status s;
  if (S_ISDIR(sb.st_mode)) {
    s = scan_folder(ds, path, opts);
  } else if (glia_is_image_name(path)) {
    const char *slash = strrchr(path, '/');
    ds->layout = GLIA_LAYOUT_FLAT;
    s = push_entry(ds, path, slash ? slash + 1 : path, "", "", NULL);
  } else {
    ds->layout = GLIA_LAYOUT_LIST;
    s = scan_list(ds, path);
  }
  if (!s) s = finish(ds);
  if (s) {
    glia_dataset_free(ds);
    return s;
  }
  *out = ds;
  if (ds->n_entries == 0)
    return glia_error(GLIA_ERR_EMPTY, "%s: no image files found (.jpg .jpeg .png .tif .tiff)%s",
                      path, ds->n_bad ? "; only unusable entries" : "");
  return GLIA_OK;
}

void glia_dataset_free(glia_dataset *ds) {
  if (!ds) return;
  for (size_t i = 0; i < ds->n_entries; i++) {
    glia_entry *e = &ds->entries[i];
    glia_free(e->path);
    glia_free(e->name);
    glia_free(e->label);
    glia_free(e->patient);
    glia_free(e->mask_path);
  }
  for (size_t i = 0; i < ds->n_bad; i++) {
    glia_free(ds->bad[i].file);
    glia_free(ds->bad[i].error);
  }
  for (int c = 0; c < ds->n_classes; c++) glia_free(ds->classes[c]);
  glia_free(ds->classes);
  glia_free(ds->entries);
  glia_free(ds->bad);
  glia_free(ds->root);
  glia_free(ds);
}
