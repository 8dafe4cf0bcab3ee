/* glia datasets: scanning a folder (one subfolder per class, flat, segmentation pairs) or a
 * list file into entries, with the files that cannot be used listed and why. */
#ifndef GLIA_DATASET_H
#define GLIA_DATASET_H

#include <stddef.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum glia_layout {
  GLIA_LAYOUT_FLAT = 0,          /* images in one folder (or a single file), no classes */
  GLIA_LAYOUT_CLASS_FOLDERS = 1, /* DATA/<class>/...image files */
  GLIA_LAYOUT_LIST = 2,          /* a list file: "path[,class]" per line */
  GLIA_LAYOUT_SEG_PAIRS = 3,     /* X.ext + X_mask.ext, the patient is the parent folder */
  GLIA_LAYOUT_SEG_FOLDERS = 4,   /* DATA/images/X.ext + DATA/masks/X[_mask].ext */
} glia_layout;

/* "flat", "class-folders", "list", "segmentation-pairs", "segmentation-folders". */
GLIA_API const char *glia_layout_name(glia_layout l);

/* One image of a data set. Strings are owned by the data set. */
typedef struct glia_entry {
  char *path;      /* as opened (DATA joined with the relative name) */
  char *name;      /* relative to DATA, e.g. "yes/Y1.jpg"; the file name for a single file */
  char *label;     /* class name, "" when none */
  int class_id;    /* index into classes, -1 when none */
  char *patient;   /* patient or case id ("" when unknown): the folder for segmentation sets */
  char *mask_path; /* segmentation mask, NULL when none */
  int group;       /* duplicate group (-1: none); set by glia_duplicates_* */
  int fold;        /* split fold (-1: unassigned) */
} glia_entry;

/* A file that cannot be used, and why. */
typedef struct glia_bad_file {
  char *file;  /* relative name (or path for list files) */
  char *error; /* the reason, naming the file */
} glia_bad_file;

typedef struct glia_dataset {
  char *root;
  glia_layout layout;
  glia_entry *entries; /* sorted by name in natural order ("Y2" before "Y10") */
  size_t n_entries;
  char **classes; /* sorted class names */
  int n_classes;
  glia_bad_file *bad; /* in the order found */
  size_t n_bad;
} glia_dataset;

typedef struct glia_scan_opts {
  int max_depth;       /* folder levels below DATA that are searched (default 8) */
  int follow_symlinks; /* follow symbolic links to files and folders (default 1; loops are
                          detected and reported) */
} glia_scan_opts;
#define GLIA_SCAN_DEFAULTS                                                                         \
  { 8, 1 }

/* Scans `path`: a folder (class folders, flat, segmentation pairs or images/+masks/), a list
 * file, or one image file. Image files are recognised by extension, case-insensitively
 * (.jpg .jpeg .png .tif .tiff); other files are ignored. Entries that look like images but
 * cannot be opened (folders named x.jpg, symbolic-link loops, dangling links, unreadable
 * files) are listed in `bad`. A missing path → GLIA_ERR_IO; no image at all → GLIA_ERR_EMPTY
 * (the data set is still returned when it lists bad files). Caller frees with
 * glia_dataset_free. */
GLIA_API glia_status glia_dataset_scan(const char *path, const glia_scan_opts *opts,
                                       glia_dataset **out);
GLIA_API void glia_dataset_free(glia_dataset *ds);

/* Builds a data set from list-file text already in memory: one "path[,class]" per line (the
 * class after the last comma), '#' comments, blank lines and CR LF ends, an optional header
 * line ("file", "path" or "image" first). Relative paths are resolved against base_dir; a
 * path that does not exist or is a folder becomes a bad file. GLIA_ERR_EMPTY (with *out set)
 * when no line names a usable file. Caller frees with glia_dataset_free. */
GLIA_API glia_status glia_dataset_from_list(const char *text, size_t size, const char *base_dir,
                                            glia_dataset **out);

/* Adds a bad file to the list (copies both strings). */
GLIA_API glia_status glia_dataset_add_bad(glia_dataset *ds, const char *file, const char *error);

/* 1 if the name ends in an image extension (case-insensitive), else 0. */
GLIA_API int glia_is_image_name(const char *name);

/* Natural-order comparison: digit runs compare by value ("a2" < "a10"); names equal that way
 * ("x0", "x00") are ordered bytewise, so only equal strings compare equal. */
GLIA_API int glia_natural_cmp(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
