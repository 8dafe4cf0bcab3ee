/* Synthetic MRI-like slices with exact ground truth: concentric head ellipses with texture,
 * ventricles and an optional lobulated tumor. Not anatomy; enough to exercise every stage
 * (cleanup, crop, clustering, segmentation) with known answers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "glia/file.h"
#include "glia/phantom.h"
#include "glia/rng.h"

typedef struct shape {
  double cx, cy, a, b, angle;
} shape;

/* Normalised elliptical radius of (x, y): < 1 inside. */
static double rho(const shape *e, double x, double y) {
  double dx = x - e->cx, dy = y - e->cy, c = cos(e->angle), s = sin(e->angle);
  double u = (c * dx + s * dy) / e->a, v = (-s * dx + c * dy) / e->b;
  return sqrt(u * u + v * v);
}

glia_status glia_phantom_draw(const glia_phantom_opts *o, glia_image_u8 **img, uint8_t **mask) {
  int n = o->size;
  *img = NULL;
  if (mask) *mask = NULL;
  if (n < 16 || n > 8192)
    return glia_error(GLIA_ERR_ARGUMENT, "phantom: size %d outside 16..8192", n);
  glia_image_u8 *im = glia_image_u8_new(n, n, 1);
  uint8_t *m = glia_calloc((size_t)n * n, 1);
  if (!im || !m) {
    glia_image_u8_free(im);
    glia_free(m);
    return glia_error(GLIA_ERR_NOMEM, "phantom: out of memory");
  }
  glia_rng r;
  glia_rng_seed(&r, o->seed, 0);
  shape head = {n * (0.5 + 0.16 * (glia_rng_uniform(&r) - 0.5)),
                n * (0.5 + 0.12 * (glia_rng_uniform(&r) - 0.5)),
                n * (0.24 + 0.12 * glia_rng_uniform(&r)), 0, 0.7 * (glia_rng_uniform(&r) - 0.5)};
  head.b = head.a * (1.0 + 0.3 * glia_rng_uniform(&r)); /* taller than wide */
  if (head.b > 0.45 * n) head.b = 0.45 * n;
  double vs = 0.7 + 0.6 * glia_rng_uniform(&r);
  shape vl = {head.cx - 0.12 * head.a, head.cy - 0.05 * head.b, 0.07 * vs * head.a,
              0.28 * vs * head.b, 0.25 + head.angle};
  shape vr = {head.cx + 0.12 * head.a, head.cy - 0.05 * head.b, 0.07 * vs * head.a,
              0.28 * vs * head.b, -0.25 + head.angle};
  /* Brain texture: a few random low-frequency waves (gyri-like). */
  double fx[6], fy[6], ph[6];
  for (int k = 0; k < 6; k++) {
    fx[k] = (glia_rng_uniform(&r) - 0.5) * 1.2;
    fy[k] = (glia_rng_uniform(&r) - 0.5) * 1.2;
    ph[k] = glia_rng_uniform(&r) * 2 * M_PI;
  }
  double brain = 95 + 30 * glia_rng_uniform(&r);
  /* Tumor: a lobulated disc inside the brain, away from the midline. */
  double tr = n * (0.05 + 0.06 * glia_rng_uniform(&r)), ta = glia_rng_uniform(&r) * 2 * M_PI;
  double td = 0.25 + 0.3 * glia_rng_uniform(&r);
  double tcx = head.cx + td * head.a * cos(ta), tcy = head.cy + td * head.b * sin(ta);
  double lobe_amp[3], lobe_ph[3];
  for (int k = 0; k < 3; k++) {
    lobe_amp[k] = 0.08 + 0.1 * glia_rng_uniform(&r);
    lobe_ph[k] = glia_rng_uniform(&r) * 2 * M_PI;
  }
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      double p = rho(&head, x + 0.5, y + 0.5), v;
      if (p > 1.0)
        v = 2;
      else if (p > 0.93)
        v = 190;
      else if (p > 0.88)
        v = 25;
      else {
        v = brain;
        for (int k = 0; k < 6; k++) v += 10 * sin(fx[k] * x + fy[k] * y + ph[k]);
        if (rho(&vl, x + 0.5, y + 0.5) < 1 || rho(&vr, x + 0.5, y + 0.5) < 1) v = 35;
        if (o->tumor) {
          double dx = x + 0.5 - tcx, dy = y + 0.5 - tcy, ang = atan2(dy, dx), rad = tr;
          for (int k = 0; k < 3; k++) rad *= 1 + lobe_amp[k] * sin((k + 2) * ang + lobe_ph[k]);
          if (dx * dx + dy * dy < rad * rad) {
            v = 215;
            m[(size_t)y * n + x] = 1;
          }
        }
      }
      v += 3 * glia_rng_normal(&r);
      im->data[(size_t)y * n + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
    }
  *img = im;
  if (mask)
    *mask = m;
  else
    glia_free(m);
  return GLIA_OK;
}

/* Area-average downscale of a gray image by `scale` (< 1) with a contrast change
 * v' = 255·(v/255)^gamma. */
static glia_image_u8 *near_copy(const glia_image_u8 *src, double scale, double gamma) {
  int w = (int)(src->width * scale), h = (int)(src->height * scale);
  glia_image_u8 *d = glia_image_u8_new(w, h, 1);
  if (!d) return NULL;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int x0 = (int)(x / scale), x1 = (int)((x + 1) / scale), y0 = (int)(y / scale),
          y1 = (int)((y + 1) / scale);
      double acc = 0;
      int cnt = 0;
      for (int yy = y0; yy < y1 && yy < src->height; yy++)
        for (int xx = x0; xx < x1 && xx < src->width; xx++, cnt++)
          acc += src->data[(size_t)yy * src->width + xx];
      double v = cnt ? acc / cnt : 0;
      d->data[(size_t)y * w + x] = (uint8_t)lround(255.0 * pow(v / 255.0, gamma));
    }
  return d;
}

/* Applies the special case `k` of the set to a gray slice (may replace it). */
static glia_image_u8 *special(glia_image_u8 *g, const char *cls, int k) {
  int n = g->width;
  if (!strcmp(cls, "yes") && k == 3) { /* white background: flood the outside */
    for (size_t i = 0; i < (size_t)n * n; i++)
      if (g->data[i] < 15) g->data[i] = 250;
  } else if (!strcmp(cls, "yes") && k == 4) { /* 3-pixel white frame */
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++)
        if (x < 3 || y < 3 || x >= n - 3 || y >= n - 3) g->data[(size_t)y * n + x] = 255;
  } else if (!strcmp(cls, "yes") && k == 5) { /* "text": small white blocks, top-left */
    for (int c = 0; c < 4; c++)
      for (int y = 8; y < 16; y++)
        for (int x = 8 + 8 * c; x < 13 + 8 * c; x++)
          if ((x + y + c) % 3) g->data[(size_t)y * n + x] = 240;
  } else if (!strcmp(cls, "yes") && k == 6) { /* tiny */
    glia_image_u8 *t = near_copy(g, 150.0 / n, 1.0);
    glia_image_u8_free(g);
    return t;
  } else if ((!strcmp(cls, "yes") && k == 7) || (!strcmp(cls, "no") && k == 3)) {
    glia_image_u8 *c = glia_image_u8_new(n, n, 3);
    if (!c) return g;
    int tint = !strcmp(cls, "yes");
    for (size_t i = 0; i < (size_t)n * n; i++) {
      int v = g->data[i];
      c->data[3 * i] = (uint8_t)(tint && v > 10 ? (v + 40 > 255 ? 255 : v + 40) : v);
      c->data[3 * i + 1] = (uint8_t)v;
      c->data[3 * i + 2] = (uint8_t)(tint && v > 10 ? v * 3 / 4 : v);
    }
    glia_image_u8_free(g);
    return c;
  }
  return g;
}

glia_status glia_phantom_write_set(const char *dir, const glia_phantom_set_opts *o) {
  static const char *classes[2] = {"yes", "no"};
  glia_status s = GLIA_OK;
  if (o->specials && (o->n_yes < 8 || o->n_no < 6))
    return glia_error(GLIA_ERR_ARGUMENT, "phantom: the special cases need ≥ 8 yes and ≥ 6 no");
  if (o->mask_dir && (s = glia_mkdirs(o->mask_dir))) return s;
  for (int c = 0; c < 2 && !s; c++) {
    char *sub = glia_path_join(dir, classes[c]);
    if (!sub) return glia_error(GLIA_ERR_NOMEM, "out of memory");
    s = glia_mkdirs(sub);
    int count = c == 0 ? o->n_yes : o->n_no;
    glia_image_u8 *prev = NULL;
    for (int k = 1; k <= count && !s; k++) {
      char name[64], path[4096];
      snprintf(name, sizeof name, "%s_%03d", classes[c], k);
      snprintf(path, sizeof path, "%s/%s.png", sub, name);
      glia_phantom_opts po = {o->size, c == 0, o->seed * 1000003u + (uint64_t)(c * 10007 + k)};
      glia_image_u8 *img = NULL;
      uint8_t *mask = NULL;
      if ((s = glia_phantom_draw(&po, &img, &mask))) break;
      if (o->mask_dir && c == 0) {
        char mpath[4096];
        snprintf(mpath, sizeof mpath, "%s/%s_mask.png", o->mask_dir, name);
        s = glia_mask_save_png(mpath, mask, o->size, o->size);
      }
      glia_free(mask);
      if (o->specials && k == 2 && prev) { /* yes_002 = copy of yes_001; no_002 near copy */
        glia_image_u8_free(img);
        img = c == 0 ? glia_image_u8_new(prev->width, prev->height, 1) : near_copy(prev, 0.8, 0.8);
        if (img && c == 0) memcpy(img->data, prev->data, (size_t)prev->width * prev->height);
      } else if (o->specials && img) {
        img = special(img, classes[c], k);
      }
      if (!img) s = glia_error(GLIA_ERR_NOMEM, "phantom: out of memory");
      if (!s) s = glia_image_u8_save_png(path, img);
      glia_image_u8_free(prev);
      prev = img;
    }
    glia_image_u8_free(prev);
    glia_free(sub);
  }
  return s;
}
