/* Helpers shared inside src/report: the one way the library draws a plot. PLplot keeps global
 * state, so every caller wraps a whole drawing (begin .. end) in
 * `#pragma omp critical(glia_plplot)`; the PNG is written afterwards, outside it, atomically. */
#ifndef GLIA_REPORT_INTERNAL_H
#define GLIA_REPORT_INTERNAL_H

#include "glia/core.h"

/* Starts a PLplot stream with the memcairo driver drawing into `rgba` (w×h×4 bytes, filled
 * white here), cmap0 colours 0..n_palette−1 set from `palette` (RGB), nx×ny subpages. Never
 * opens a file, so PLplot has nothing to exit() on. */
void glia__plot_begin(unsigned char *rgba, int w, int h, int nx, int ny, const int (*palette)[3],
                      int n_palette);

/* Ends the stream started by glia__plot_begin; the drawing is then in its buffer. */
void glia__plot_end(void);

/* Writes the RGB part of an RGBA buffer (w×h×4) as an RGB PNG, atomically
 * (glia_png_write_u8). Errors name `path`. */
glia_status glia__plot_write_png(const char *path, const unsigned char *rgba, int w, int h);

#endif
