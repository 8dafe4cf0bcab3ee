/* Skull stripping by morphology (erode the head, cut skull bridges by opening, keep the
 * largest blob) refined by a morphological Chan-Vese snake (Márquez-Neila et al. 2014), in
 * the spirit of the classical brain-extraction recipes (e.g. S. M. Smith's BET 2002 uses a
 * deformable surface; this is its 2-D morphological cousin), with a quality check. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "glia/filter.h"
#include "glia/morph.h"
#include "glia/skull.h"
#include "glia/snake.h"
#include "glia/threshold.h"
#include "image/internal.h"

static void quality(const uint8_t *brain, const glia_component *head, int w, int h,
                    const glia_skull_opts *o, glia_skull_report *r) {
  long area = 0, x0 = w, y0 = h, x1 = 0, y1 = 0;
  double cx = 0, cy = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (brain[(size_t)y * w + x]) {
        area++;
        cx += x;
        cy += y;
        x0 = x < x0 ? x : x0;
        y0 = y < y0 ? y : y0;
        x1 = x + 1 > x1 ? x + 1 : x1;
        y1 = y + 1 > y1 ? y + 1 : y1;
      }
  double hw = head->x1 - head->x0;
  r->brain_pct = 100.0 * area / (double)head->area;
  r->offset_pct = area ? 100.0 * hypot(cx / area - head->cx, cy / area - head->cy) / hw : 100;
  r->fill_pct = area ? 100.0 * area / (double)((x1 - x0) * (y1 - y0)) : 0;
  r->ok = 0;
  if (r->brain_pct < o->min_brain_pct || r->brain_pct > o->max_brain_pct)
    snprintf(r->reason, sizeof r->reason, "brain is %.0f%% of the head, expected %.0f..%.0f%%",
             r->brain_pct, o->min_brain_pct, o->max_brain_pct);
  else if (r->offset_pct > 10)
    snprintf(r->reason, sizeof r->reason, "brain centroid %.0f%% of the head width off centre",
             r->offset_pct);
  else if (r->fill_pct < 50)
    snprintf(r->reason, sizeof r->reason, "brain fills %.0f%% of its box, expected >= 50%%",
             r->fill_pct);
  else {
    r->ok = 1;
    snprintf(r->reason, sizeof r->reason, "ok");
  }
}

glia_status glia_skull_strip(const uint8_t *gray, int width, int height,
                             const glia_skull_opts *opts, uint8_t *mask,
                             glia_skull_report *report) {
  glia_status s = glia__check_plane("skull strip", gray, mask, width, height);
  if (s) return s;
  glia_skull_opts o = GLIA_SKULL_DEFAULTS;
  if (opts) o = *opts;
  if (!(o.erode_pct >= 0 && o.erode_pct < 50) || !(o.open_pct >= 0 && o.open_pct < 50) ||
      o.snake_iterations < 0 || o.snake_iterations > 10000)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "skull strip: erode %g%%, open %g%%, %d snake iterations out of range",
                      o.erode_pct, o.open_pct, o.snake_iterations);
  size_t n = (size_t)width * height;
  uint8_t *blur = glia_malloc(n), *head = glia_malloc(n), *inner = glia_malloc(n);
  float *f = glia_malloc(n * sizeof(float));
  glia_skull_report r;
  memset(&r, 0, sizeof r);
  if (!blur || !head || !inner || !f) {
    s = glia_error(GLIA_ERR_NOMEM, "skull strip: out of memory");
    goto done;
  }
  if ((s = glia_gaussian_blur_u8(gray, blur, width, height, 5, 0))) goto done;
  int t = glia_otsu_u8(blur, n);
  /* The head reaches down to a third of Otsu's threshold, so the dark band between skull
   * and brain (CSF) does not split it. */
  for (size_t i = 0; i < n; i++) head[i] = blur[i] > t / 3;
  glia_component hb;
  int64_t harea;
  if ((s = glia_largest_component(head, width, height, &harea, &hb))) goto done;
  if (!harea) {
    s = glia_error(GLIA_ERR_EMPTY, "skull strip: no head found (Otsu threshold %d)", t);
    goto done;
  }
  if ((s = glia_fill_holes(head, width, height))) goto done;
  hb.area = 0;
  for (size_t i = 0; i < n; i++) hb.area += head[i];
  int hw = hb.x1 - hb.x0;
  glia_strel er = {GLIA_STREL_DISK, (int)lround(hw * o.erode_pct / 100)};
  glia_strel op = {GLIA_STREL_DISK, (int)lround(hw * o.open_pct / 100)};
  if ((s = glia_morph_u8(head, inner, width, height, GLIA_MORPH_ERODE, er))) goto done;
  for (size_t i = 0; i < n; i++) mask[i] = inner[i] && blur[i] > t / 2;
  if ((s = glia_morph_u8(mask, mask, width, height, GLIA_MORPH_OPEN, op))) goto done;
  int64_t barea;
  if ((s = glia_largest_component(mask, width, height, &barea, NULL))) goto done;
  if ((s = glia_fill_holes(mask, width, height))) goto done;
  if (o.snake_iterations > 0 && barea) {
    glia_snake_opts so = GLIA_SNAKE_DEFAULTS;
    so.iterations = o.snake_iterations;
    so.smoothing = 2;
    so.init = GLIA_LEVELSET_MASK;
    so.init_mask = mask;
    for (size_t i = 0; i < n; i++) f[i] = inner[i] ? gray[i] / 255.f : 0.f;
    if ((s = glia_snake_acwe(f, width, height, &so, blur))) goto done;
    /* ACWE may call the brain "outside" when it is darker than the rest; keep the side that
     * overlaps the seed most, within the eroded head. */
    long agree = 0, total = 0;
    for (size_t i = 0; i < n; i++) agree += blur[i] && mask[i], total += mask[i];
    int flip = 2 * agree < total;
    for (size_t i = 0; i < n; i++) mask[i] = inner[i] && ((blur[i] != 0) != flip);
    /* Open again: what is left of the skull is a thin ring that must not enclose the gap. */
    if ((s = glia_morph_u8(mask, mask, width, height, GLIA_MORPH_OPEN, op))) goto done;
    if ((s = glia_largest_component(mask, width, height, &barea, NULL))) goto done;
    if ((s = glia_fill_holes(mask, width, height))) goto done;
  }
  quality(mask, &hb, width, height, &o, &r);
  if (report) *report = r;
done:
  glia_free(blur);
  glia_free(head);
  glia_free(inner);
  glia_free(f);
  return s;
}
