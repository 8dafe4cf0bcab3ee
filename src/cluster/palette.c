/* The study's cluster colours in intensity order, and painting label maps. Beyond the ten
 * named colours, cluster i (i >= 10) gets the hue (i − 10)·137.508° (the golden angle, so
 * neighbours differ), saturation 0.65 and value 0.95. */
#include <math.h>

#include "cluster/internal.h"

static const uint8_t named[10][3] = {
    {0, 0, 0},       /* black */
    {128, 0, 128},   /* purple */
    {0, 0, 255},     /* blue */
    {0, 255, 255},   /* cyan */
    {173, 216, 230}, /* light blue */
    {0, 128, 0},     /* green */
    {255, 255, 0},   /* yellow */
    {255, 192, 203}, /* pink */
    {255, 165, 0},   /* orange */
    {255, 0, 0},     /* red */
};
static const char *names[10] = {"black", "purple", "blue", "cyan",   "light blue",
                                "green", "yellow", "pink", "orange", "red"};

const char *glia_cluster_color_name(int index) {
  return index >= 0 && index < 10 ? names[index] : "extra";
}

void glia_cluster_color(int index, uint8_t rgb[3]) {
  if (index < 0) index = 0;
  if (index < 10) {
    rgb[0] = named[index][0], rgb[1] = named[index][1], rgb[2] = named[index][2];
    return;
  }
  double h = fmod((index - 10) * 137.50776405003785, 360.0) / 60.0, s = 0.65, v = 0.95;
  int sector = (int)h;
  double f = h - sector, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r, g, b;
  switch (sector % 6) {
  case 0: r = v, g = t, b = p; break;
  case 1: r = q, g = v, b = p; break;
  case 2: r = p, g = v, b = t; break;
  case 3: r = p, g = q, b = v; break;
  case 4: r = t, g = p, b = v; break;
  default: r = v, g = p, b = q; break;
  }
  rgb[0] = (uint8_t)lround(r * 255), rgb[1] = (uint8_t)lround(g * 255);
  rgb[2] = (uint8_t)lround(b * 255);
}

glia_status glia_labels_colorize(const int32_t *labels, int width, int height,
                                 glia_image_u8 **out) {
  if (!labels || !out) return glia_error(GLIA_ERR_ARGUMENT, "colorize: NULL argument");
  *out = glia_image_u8_new(width, height, 3);
  if (!*out) return GLIA_ERR_NOMEM;
  size_t n = (size_t)width * (size_t)height;
  for (size_t i = 0; i < n; i++) {
    uint8_t *px = (*out)->data + 3 * i;
    if (labels[i] >= 0)
      glia_cluster_color(labels[i], px);
    else
      px[0] = px[1] = px[2] = 0;
  }
  return GLIA_OK;
}

glia_status glia_labels_overlay(const glia_image_u8 *gray, const int32_t *labels, double alpha,
                                glia_image_u8 **out) {
  if (!gray || !labels || !out || gray->channels != 1 || !(alpha >= 0 && alpha <= 1))
    return glia_error(GLIA_ERR_ARGUMENT,
                      "overlay: expected a 1-channel grey image and alpha in [0,1] (got %g)",
                      alpha);
  *out = glia_image_u8_new(gray->width, gray->height, 3);
  if (!*out) return GLIA_ERR_NOMEM;
  size_t n = (size_t)gray->width * (size_t)gray->height;
  for (size_t i = 0; i < n; i++) {
    uint8_t *px = (*out)->data + 3 * i, g = gray->data[i], c[3] = {g, g, g};
    if (labels[i] >= 0) glia_cluster_color(labels[i], c);
    for (int j = 0; j < 3; j++) px[j] = (uint8_t)lround((1 - alpha) * g + alpha * c[j]);
  }
  return GLIA_OK;
}
