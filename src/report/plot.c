/* Explore plots drawn with PLplot's memcairo driver into memory, composed with the image
 * thumbnails and written as PNG through glia's atomic writer (report/internal.h). PLplot keeps
 * global state, so every drawing runs inside one named critical section. PLplot was chosen over
 * drawing axes by hand: real tick labelling, fonts through cairo, and the same library for the
 * later metric curves (docs/explore.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <plplot/plplot.h>

#include "glia/explore.h"
#include "glia/file.h"
#include "report/internal.h"

#define ROW_H 180   /* panel row height in pixels */
#define THUMB_W 180 /* thumbnail cell width */
#define PLOT_W 380  /* CDF plot width */
#define PANEL_ROWS 10

/* Colours of cmap0 we use: 0 background white, 1 black, 2 red, 3 green, 4 blue, then the
 * class colours. */
static const int palette[][3] = {{255, 255, 255}, {0, 0, 0},      {220, 40, 40},
                                 {30, 150, 50},   {40, 80, 220},  {230, 130, 20},
                                 {140, 60, 170},  {20, 160, 170}, {120, 120, 120}};
#define N_PALETTE ((int)(sizeof palette / sizeof palette[0]))

/* Axes box and labels for CDF or histogram plots on the current subpage. */
static void axes(double ymin, double ymax, int logy, const char *title, const char *ylabel) {
  plvpor(0.16, 0.95, 0.2, 0.86);
  plwind(0, 255, ymin, ymax);
  plcol0(1);
  plschr(0, 0.9);
  plbox("bcnst", 64, 4, logy ? "bcnstlv" : "bcnstv", 0, 0);
  pllab("gray level", ylabel, title);
}

static void line256(const double *y, int colour) {
  PLFLT xs[256], ys[256];
  for (int v = 0; v < 256; v++) xs[v] = v, ys[v] = y[v];
  plcol0(colour);
  plwidth(1.5);
  plline(256, xs, ys);
  plwidth(1);
}

/* Copies RGBA (w×h) into an RGB canvas at (x0, y0). */
static void blit_rgba(uint8_t *canvas, int cw, const unsigned char *rgba, int w, int h, int x0,
                      int y0) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *d = canvas + ((size_t)(y + y0) * cw + (size_t)(x + x0)) * 3;
      const unsigned char *s = rgba + ((size_t)y * w + x) * 4;
      d[0] = s[0], d[1] = s[1], d[2] = s[2];
    }
}

static void blit_thumb(uint8_t *canvas, int cw, const glia_image_u8 *t, int x0, int y0) {
  for (int y = 0; y < t->height; y++)
    for (int x = 0; x < t->width; x++) {
      uint8_t *d = canvas + ((size_t)(y + y0) * cw + (size_t)(x + x0)) * 3;
      const uint8_t *s = t->data + ((size_t)y * t->width + x) * t->channels;
      for (int c = 0; c < 3; c++) d[c] = s[t->channels == 3 ? c : 0];
    }
}

static glia_status write_panel(const glia_explore *ex, const size_t *idx, size_t n,
                               const char *path) {
  int cw = THUMB_W + PLOT_W, ch = ROW_H * PANEL_ROWS;
  uint8_t *canvas = glia_malloc((size_t)cw * ch * 3);
  unsigned char *rgba = glia_malloc((size_t)PLOT_W * ch * 4);
  if (!canvas || !rgba) {
    glia_free(canvas);
    glia_free(rgba);
    return glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
  }
  memset(canvas, 255, (size_t)cw * ch * 3);
#pragma omp critical(glia_plplot)
  {
    glia__plot_begin(rgba, PLOT_W, ch, 1, PANEL_ROWS, palette, N_PALETTE);
    for (size_t r = 0; r < n; r++) {
      const glia_explore_image *im = &ex->images[idx[r]];
      pladv((PLINT)r + 1);
      char title[300];
      snprintf(title, sizeof title, "%s", im->entry->name);
      axes(0, 1, 0, title, "CDF");
      for (int c = 0; c < im->hist_channels; c++) {
        double cdf[256];
        glia_hist_cdf(im->hist[c], cdf);
        line256(cdf, im->hist_channels == 3 ? 2 + c : 1);
      }
    }
    for (size_t r = n; r < PANEL_ROWS; r++) pladv((PLINT)r + 1); /* blank rows */
    glia__plot_end();
  }
  blit_rgba(canvas, cw, rgba, PLOT_W, ch, THUMB_W, 0);
  for (size_t r = 0; r < n; r++) {
    const glia_image_u8 *t = ex->images[idx[r]].thumb;
    if (t)
      blit_thumb(canvas, cw, t, (THUMB_W - t->width) / 2, (int)r * ROW_H + (ROW_H - t->height) / 2);
  }
  glia_status s = glia_png_write_u8(path, canvas, cw, ch, 3);
  glia_free(canvas);
  glia_free(rgba);
  return s;
}

/* Per-class mean gray CDF (histogram = 0) or mean normalised histogram (log scale). */
static glia_status write_class_plot(const glia_explore *ex, int histogram, const char *path) {
  const glia_dataset *ds = ex->dataset;
  int n_cls = ds->n_classes > 0 ? ds->n_classes : 1, w = 640, h = 420;
  double(*mean)[256] = glia_calloc((size_t)n_cls, sizeof *mean);
  size_t *count = glia_calloc((size_t)n_cls, sizeof *count);
  unsigned char *rgba = glia_malloc((size_t)w * h * 4);
  glia_status s = GLIA_OK;
  if (!mean || !count || !rgba) {
    s = glia_error(GLIA_ERR_NOMEM, "%s: out of memory", path);
    goto done;
  }
  for (size_t i = 0; i < ex->n_images; i++) {
    const glia_explore_image *im = &ex->images[i];
    if (!im->ok) continue;
    int c = im->entry->class_id >= 0 ? im->entry->class_id : 0;
    double v[256], total = 0;
    if (histogram) {
      for (int k = 0; k < 256; k++) total += im->gray_hist[k];
      for (int k = 0; k < 256; k++) v[k] = total > 0 ? im->gray_hist[k] / total : 0;
    } else {
      glia_hist_cdf(im->gray_hist, v);
    }
    for (int k = 0; k < 256; k++) mean[c][k] += v[k];
    count[c]++;
  }
#pragma omp critical(glia_plplot)
  {
    glia__plot_begin(rgba, w, h, 1, 1, palette, N_PALETTE);
    pladv(0);
    double lo = histogram ? -6 : 0, hi = histogram ? 0 : 1;
    axes(lo, hi, histogram, histogram ? "Mean gray histogram per class" : "Mean gray CDF per class",
         histogram ? "fraction of pixels" : "CDF");
    for (int c = 0; c < n_cls; c++) {
      if (!count[c]) continue;
      double y[256];
      for (int k = 0; k < 256; k++) {
        y[k] = mean[c][k] / (double)count[c];
        if (histogram) y[k] = y[k] > 1e-6 ? log10(y[k]) : -6;
      }
      int colour = 2 + c % (N_PALETTE - 2);
      line256(y, colour);
      char label[300];
      snprintf(label, sizeof label, "%s (%zu)", ds->n_classes ? ds->classes[c] : "all", count[c]);
      plcol0(colour);
      plptex(150, lo + (hi - lo) * (0.3 - 0.07 * c), 1, 0, 0, label);
    }
    glia__plot_end();
  }
  s = glia__plot_write_png(path, rgba, w, h);
done:
  glia_free(mean);
  glia_free(count);
  glia_free(rgba);
  return s;
}

glia_status glia_explore_plot(const glia_explore *ex, const char *dir) {
  size_t idx[PANEL_ROWS], n = 0, panel = 0;
  glia_status s = GLIA_OK;
  char name[64];
  for (size_t i = 0; i <= ex->n_images && !s; i++) {
    if (i < ex->n_images && ex->images[i].ok) idx[n++] = i;
    if (n == PANEL_ROWS || (i == ex->n_images && n > 0)) {
      snprintf(name, sizeof name, "panel_%03zu.png", ++panel);
      char *path = glia_path_join(dir, name);
      if (!path) return glia_error(GLIA_ERR_NOMEM, "out of memory");
      s = write_panel(ex, idx, n, path);
      glia_free(path);
      n = 0;
    }
  }
  for (int histogram = 0; histogram < 2 && !s; histogram++) {
    char *path = glia_path_join(dir, histogram ? "class_histogram.png" : "class_cdf.png");
    if (!path) return glia_error(GLIA_ERR_NOMEM, "out of memory");
    s = write_class_plot(ex, histogram, path);
    glia_free(path);
  }
  return s;
}
