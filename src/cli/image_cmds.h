/* Helpers shared by the image commands (preprocess, enhance, morph, snake, watershed,
 * cluster). */
#ifndef GLIA_CLI_IMAGE_CMDS_H
#define GLIA_CLI_IMAGE_CMDS_H

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "glia/dataset.h"

/* The image files to process, found by glia_dataset_scan (DATA: one image file, a folder
 * searched recursively, or a list file): rel[i] is the entry's name relative to DATA (the
 * file name for a single file), path[i] the file to open, both owned by ds, in the data
 * set's (natural) order. Entries that look like images but cannot be used (folders named
 * x.jpg, symbolic-link loops, dangling links) are ds->bad, printed by img_files_list as
 * "glia CMD: <reason>" (img_batch and the commands count them as failed files).
 * Returns 0, or -1 with a message printed. Free with img_files_free. */
typedef struct img_files {
  char **path, **rel;
  char **out; /* output names: rel, or rel with "_ext" for the stem it shares (owned) */
  size_t n;
  glia_dataset *ds;
} img_files;
int img_files_list(const char *cmd, const char *data, img_files *out);
/* The number of bad entries of the scan. */
size_t img_files_n_bad(const img_files *f);
void img_files_free(img_files *f);

/* OUT/REL with the extension replaced by SUFFIX (e.g. ".png"); parents created. Caller frees.
 * NULL (message printed) on failure. */
char *img_out_path(const char *cmd, const char *out, const char *rel, const char *suffix);

/* Runs fn on every image of DATA (OpenMP over files), each writing its outputs under OUT
 * (fn's rel is the file's output name, img_files.out);
 * fn returns a glia_status (the message from glia_last_error is printed with the file).
 * Returns CLI_OK when every file succeeded, CLI_FAILED otherwise (all files are tried). */
typedef glia_status (*img_fn)(const char *path, const char *rel, const char *out, void *ctx);
int img_batch(const char *cmd, const char *data, const char *out, const cli_common *c, img_fn fn,
              void *ctx);

/* Loads a file as an 8-bit gray image (caller frees). */
glia_status img_load_gray(const char *path, glia_image_u8 **gray);

/* Enhancement steps (--enhance LIST): parsed into codes, applied in order to a gray plane. */
enum { ENH_MAX = 16 };
int enh_parse(const char *cmd, const char *list, int *steps, int *n);
const char *enh_name(int step);
glia_status enh_apply(int step, uint8_t *gray, int width, int height, const uint8_t *mask);
/* "denoise, gaussian, ..." for --help. */
extern const char *const enh_help;

#endif
