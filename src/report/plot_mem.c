/* PLplot's memcairo driver into memory, then an atomic PNG write: shared by every plot of the
 * report layer. The pngcairo driver is not used: it writes the file itself (not atomically),
 * and PLplot calls exit() when it cannot open a file. */
#include <string.h>

#include <plplot/plplot.h>

#include "glia/image.h"
#include "report/internal.h"

void glia__plot_begin(unsigned char *rgba, int w, int h, int nx, int ny, const int (*palette)[3],
                      int n_palette) {
  memset(rgba, 255, (size_t)w * h * 4);
  plsdev("memcairo");
  plsmema(w, h, rgba);
  for (int i = 0; i < n_palette; i++) plscol0(i, palette[i][0], palette[i][1], palette[i][2]);
  plssub(nx, ny);
  plinit();
}

void glia__plot_end(void) { plend1(); }

glia_status glia__plot_write_png(const char *path, const unsigned char *rgba, int w, int h) {
  size_t n = (size_t)w * h;
  uint8_t *rgb = glia_malloc(n ? n * 3 : 1);
  if (!rgb) return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  for (size_t i = 0; i < n; i++)
    rgb[3 * i] = rgba[4 * i], rgb[3 * i + 1] = rgba[4 * i + 1], rgb[3 * i + 2] = rgba[4 * i + 2];
  glia_status s = glia_png_write_u8(path, rgb, w, h, 3);
  glia_free(rgb);
  return s;
}
