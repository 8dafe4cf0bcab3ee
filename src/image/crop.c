/* Head cropping: hard (Gaussian blur + Otsu) or soft (milder blur + adaptive threshold)
 * masks, morphological cleanup, the largest component's box plus padding, a safety check
 * that the box keeps the head, and square padding to a target size. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "glia/crop.h"
#include "glia/filter.h"
#include "glia/morph.h"
#include "glia/threshold.h"
#include "image/internal.h"

static const char *const method_names[] = {"none", "hard", "soft", "auto"};

const char *glia_crop_method_name(glia_crop_method m) {
  return (unsigned)m < 4 ? method_names[m] : "unknown";
}

int glia_crop_method_parse(const char *name) {
  for (int i = 0; name && i < 4; i++)
    if (!strcmp(name, method_names[i])) return i;
  return -1;
}

/* Workspace of one crop: the blurred images and masks. */
typedef struct work {
  int w, h;
  size_t n;
  uint8_t *blur, *mask, *tmp;
  int32_t *lab;
} work;

/* Opens (disk 1), closes (disk 2), keeps the largest component: its box. (Holes inside the
 * head change neither the box nor, much, the area, so they are not filled.) */
static glia_status head_from_mask(work *k, glia_component *box, int64_t *area) {
  glia_strel d1 = {GLIA_STREL_DISK, 1}, d2 = {GLIA_STREL_DISK, 2};
  glia_status s = glia_morph_u8(k->mask, k->mask, k->w, k->h, GLIA_MORPH_OPEN, d1);
  if (!s) s = glia_morph_u8(k->mask, k->mask, k->w, k->h, GLIA_MORPH_CLOSE, d2);
  glia_component *c = NULL;
  int32_t count = 0;
  if (!s) s = glia_label(k->mask, k->w, k->h, 8, k->lab, &c, &count);
  if (s) return s;
  /* The largest component (ties to the lower label, as glia_largest_component); the mask
   * itself is not needed any more. */
  int32_t best = 0;
  for (int32_t i = 0; i < count; i++)
    if (!best || c[i].area > c[best - 1].area) best = i + 1;
  *area = best ? c[best - 1].area : 0;
  memset(box, 0, sizeof *box);
  if (best) *box = c[best - 1];
  glia_free(c);
  return GLIA_OK;
}

static glia_status hard_mask(work *k, const uint8_t *gray, const glia_crop_opts *o, int *t) {
  glia_status s = glia_gaussian_blur_u8(gray, k->blur, k->w, k->h, o->hard_ksize, 0);
  if (s) return s;
  *t = glia_otsu_u8(k->blur, k->n);
  for (size_t i = 0; i < k->n; i++) k->mask[i] = k->blur[i] > *t;
  return GLIA_OK;
}

static glia_status soft_mask(work *k, const uint8_t *gray, const glia_crop_opts *o) {
  glia_status s = glia_gaussian_blur_u8(gray, k->tmp, k->w, k->h, o->soft_ksize, 0);
  if (s) return s;
  int bs = o->block_size;
  if (bs <= 0) {
    bs = (k->w < k->h ? k->w : k->h) / 8;
    bs = bs < 3 ? 3 : bs | 1;
  }
  s = glia_adaptive_threshold_u8(k->tmp, k->mask, k->w, k->h,
                                 o->adaptive_gaussian ? GLIA_ADAPTIVE_GAUSSIAN : GLIA_ADAPTIVE_MEAN,
                                 bs, o->offset);
  for (size_t i = 0; !s && i < k->n; i++) k->mask[i] = k->mask[i] != 0;
  return s;
}

/* % of the head estimate (components of blur > t/2 above 0.5 % of the image) inside the box;
 * *ex receives the estimate's bounding box. */
static glia_status head_kept(work *k, int t, const glia_crop_result *r, double *pct,
                             glia_component *ex) {
  int lo = t / 2;
  for (size_t i = 0; i < k->n; i++) k->tmp[i] = k->blur[i] > lo;
  glia_component *c = NULL;
  int32_t count = 0;
  glia_status s = glia_label(k->tmp, k->w, k->h, 8, k->lab, &c, &count);
  if (s) return s;
  /* From the components' statistics: the estimate's pixels are those of the big components
   * and its box the union of theirs; the pixels inside r are counted only for a component
   * whose box crosses r's edge (one inside r counts whole, one outside not at all). */
  long in = 0, all = 0;
  memset(ex, 0, sizeof *ex);
  ex->x0 = k->w;
  ex->y0 = k->h;
  for (int32_t i = 0; i < count; i++) {
    const glia_component *ci = &c[i];
    if (ci->area * 200 < (int64_t)k->n) continue;
    all += (long)ci->area;
    ex->x0 = ci->x0 < ex->x0 ? ci->x0 : ex->x0;
    ex->y0 = ci->y0 < ex->y0 ? ci->y0 : ex->y0;
    ex->x1 = ci->x1 > ex->x1 ? ci->x1 : ex->x1;
    ex->y1 = ci->y1 > ex->y1 ? ci->y1 : ex->y1;
    int x0 = ci->x0 > r->x0 ? ci->x0 : r->x0, x1 = ci->x1 < r->x1 ? ci->x1 : r->x1;
    int y0 = ci->y0 > r->y0 ? ci->y0 : r->y0, y1 = ci->y1 < r->y1 ? ci->y1 : r->y1;
    if (x0 >= x1 || y0 >= y1) continue; /* disjoint */
    if (x0 == ci->x0 && x1 == ci->x1 && y0 == ci->y0 && y1 == ci->y1) {
      in += (long)ci->area; /* inside */
      continue;
    }
    for (int y = y0; y < y1; y++) {
      const int32_t *l = k->lab + (size_t)y * k->w;
      for (int x = x0; x < x1; x++) in += l[x] == ci->label;
    }
  }
  glia_free(c);
  *pct = all ? 100.0 * in / all : 100.0;
  if (!all) ex->x0 = ex->y0 = 0;
  return GLIA_OK;
}

static void pad_box(glia_crop_result *r, const glia_component *b, double pct, int w, int h) {
  int px = (int)ceil((b->x1 - b->x0) * pct / 100), py = (int)ceil((b->y1 - b->y0) * pct / 100);
  r->x0 = b->x0 - px < 0 ? 0 : b->x0 - px;
  r->y0 = b->y0 - py < 0 ? 0 : b->y0 - py;
  r->x1 = b->x1 + px > w ? w : b->x1 + px;
  r->y1 = b->y1 + py > h ? h : b->y1 + py;
}

static glia_status check_opts(const glia_crop_opts *o) {
  if ((unsigned)o->method > GLIA_CROP_AUTO)
    return glia_error(GLIA_ERR_ARGUMENT, "crop: unknown method %d", (int)o->method);
  if (o->hard_ksize < 1 || o->hard_ksize % 2 == 0 || o->soft_ksize < 1 || o->soft_ksize % 2 == 0)
    return glia_error(GLIA_ERR_ARGUMENT, "crop: blur sizes %d and %d, expected odd", o->hard_ksize,
                      o->soft_ksize);
  if (o->block_size != 0 && (o->block_size < 3 || o->block_size % 2 == 0))
    return glia_error(GLIA_ERR_ARGUMENT, "crop: block size %d, expected odd >= 3 or 0",
                      o->block_size);
  if (!(o->padding_pct >= 0 && o->padding_pct <= 100) ||
      !(o->min_kept_pct >= 0 && o->min_kept_pct <= 100))
    return glia_error(GLIA_ERR_ARGUMENT, "crop: padding %g%% or kept %g%% outside [0, 100]",
                      o->padding_pct, o->min_kept_pct);
  return GLIA_OK;
}

static glia_status crop_find(const uint8_t *gray, int width, int height, glia_crop_opts o,
                             glia_crop_result *r) {
  glia_status s;
  memset(r, 0, sizeof *r);
  r->x1 = width;
  r->y1 = height;
  r->method = o.method;
  r->head_kept_pct = 100;
  if (o.method == GLIA_CROP_NONE) {
    snprintf(r->reason, sizeof r->reason, "crop off");
    return GLIA_OK;
  }
  work k = {width, height, (size_t)width * height, NULL, NULL, NULL, NULL};
  k.blur = glia_malloc(k.n);
  k.mask = glia_malloc(k.n);
  k.tmp = glia_malloc(k.n);
  k.lab = glia_malloc(k.n * sizeof(int32_t));
  if (!k.blur || !k.mask || !k.tmp || !k.lab) {
    s = glia_error(GLIA_ERR_NOMEM, "crop: out of memory for %d×%d", width, height);
    goto done;
  }
  glia_component box = {0};
  int64_t area = 0;
  if ((s = hard_mask(&k, gray, &o, &r->threshold))) goto done;
  if (o.method != GLIA_CROP_SOFT) {
    if ((s = head_from_mask(&k, &box, &area))) goto done;
    r->method = GLIA_CROP_HARD;
  }
  double frac = (double)area / (double)k.n;
  /* A bright background shows as a ring: a component reaching within 3 % of all four sides
   * that covers under half of the image (a head cut by the frame fills most of it). */
  int mx = width * 3 / 100, my = height * 3 / 100;
  int ring = area && box.x0 <= mx && box.y0 <= my && box.x1 >= width - mx &&
             box.y1 >= height - my && 2 * area < (int64_t)k.n;
  if (o.method == GLIA_CROP_AUTO && (area == 0 || frac > 0.9 || ring)) {
    if (area == 0)
      snprintf(r->reason, sizeof r->reason, "auto: Otsu (t=%d) found no head, soft crop",
               r->threshold);
    else if (ring)
      snprintf(r->reason, sizeof r->reason,
               "auto: Otsu (t=%d) foreground rings the image (bright background?), soft crop",
               r->threshold);
    else
      snprintf(r->reason, sizeof r->reason,
               "auto: Otsu (t=%d) foreground fills %.0f%% of the image, soft crop", r->threshold,
               100 * frac);
    r->method = GLIA_CROP_SOFT;
  } else if (o.method == GLIA_CROP_AUTO) {
    snprintf(r->reason, sizeof r->reason, "auto: Otsu (t=%d) separates the head (%.0f%% of image)",
             r->threshold, 100 * frac);
  } else {
    snprintf(r->reason, sizeof r->reason, "%s crop", glia_crop_method_name(o.method));
  }
  if (r->method == GLIA_CROP_SOFT) {
    if ((s = soft_mask(&k, gray, &o)) || (s = head_from_mask(&k, &box, &area))) goto done;
  }
  if (area == 0) {
    r->empty = 1;
    size_t len = strlen(r->reason);
    snprintf(r->reason + len, sizeof r->reason - len, "; no head found, whole image kept");
    goto done;
  }
  pad_box(r, &box, o.padding_pct, width, height);
  glia_component ex;
  if ((s = head_kept(&k, r->threshold, r, &r->head_kept_pct, &ex))) goto done;
  if (r->head_kept_pct < o.min_kept_pct) {
    double before = r->head_kept_pct;
    glia_component u = box;
    u.x0 = ex.x0 < u.x0 ? ex.x0 : u.x0;
    u.y0 = ex.y0 < u.y0 ? ex.y0 : u.y0;
    u.x1 = ex.x1 > u.x1 ? ex.x1 : u.x1;
    u.y1 = ex.y1 > u.y1 ? ex.y1 : u.y1;
    pad_box(r, &u, o.padding_pct, width, height);
    if ((s = head_kept(&k, r->threshold, r, &r->head_kept_pct, &ex))) goto done;
    size_t len = strlen(r->reason);
    snprintf(r->reason + len, sizeof r->reason - len, "; box widened (kept %.1f%% before)", before);
  }
done:
  glia_free(k.blur);
  glia_free(k.mask);
  glia_free(k.tmp);
  glia_free(k.lab);
  return s;
}

glia_status glia_crop_find(const uint8_t *gray, int width, int height, const glia_crop_opts *opts,
                           glia_crop_result *r) {
  glia_status s = glia__check_plane("crop", gray, r, width, height);
  if (s) return s;
  glia_crop_opts o = GLIA_CROP_DEFAULTS;
  if (opts) o = *opts;
  if ((s = check_opts(&o))) return s;
  int big = width > height ? width : height;
  if (o.analysis_px <= 0 || big <= o.analysis_px) return crop_find(gray, width, height, o, r);
  double scale = (double)big / o.analysis_px;
  int sw = (int)lround(width / scale), sh = (int)lround(height / scale);
  sw = sw < 1 ? 1 : sw;
  sh = sh < 1 ? 1 : sh;
  uint8_t *small = glia_malloc((size_t)sw * sh);
  if (!small) return glia_error(GLIA_ERR_NOMEM, "crop: out of memory");
  s = glia_resize_u8(gray, width, height, small, sw, sh);
  if (!s) s = crop_find(small, sw, sh, o, r);
  glia_free(small);
  if (s) return s;
  /* Scale the box back, rounding outwards so no analysed pixel is lost. */
  double fx = (double)width / sw, fy = (double)height / sh;
  r->x0 = (int)floor(r->x0 * fx);
  r->y0 = (int)floor(r->y0 * fy);
  r->x1 = (int)ceil(r->x1 * fx);
  r->y1 = (int)ceil(r->y1 * fy);
  r->x1 = r->x1 > width ? width : r->x1;
  r->y1 = r->y1 > height ? height : r->y1;
  return GLIA_OK;
}

glia_status glia_crop_square(const uint8_t *gray, int width, int height, int x0, int y0, int x1,
                             int y1, int size, glia_image_u8 **out) {
  glia_status s = glia__check_plane("crop", gray, out, width, height);
  if (s) return s;
  if (x0 < 0 || y0 < 0 || x1 > width || y1 > height || x0 >= x1 || y0 >= y1)
    return glia_error(GLIA_ERR_ARGUMENT, "crop: box %d,%d,%d,%d outside the %d×%d image", x0, y0,
                      x1, y1, width, height);
  if (size < 0 || size > GLIA__MAX_SIDE)
    return glia_error(GLIA_ERR_ARGUMENT, "crop: size %d, expected 0..%d", size, GLIA__MAX_SIDE);
  int bw = x1 - x0, bh = y1 - y0, side = bw > bh ? bw : bh;
  int out_side = size ? size : side;
  glia_image_u8 *res = glia_image_u8_new(out_side, out_side, 1); /* zeroed: the black margins */
  if (!res) return GLIA_ERR_NOMEM;
  const uint8_t *box = gray + (size_t)y0 * width + x0;
  if (out_side == side) {
    int ox = (side - bw) / 2, oy = (side - bh) / 2;
    for (int y = 0; y < bh; y++)
      memcpy(res->data + (size_t)(y + oy) * side + ox, box + (size_t)y * width, (size_t)bw);
  } else {
    /* Resize the box itself into its place in the square (no black blended into its edge). */
    double scale = (double)out_side / side;
    int tw = (int)lround(bw * scale), th = (int)lround(bh * scale);
    tw = tw < 1 ? 1 : tw > out_side ? out_side : tw;
    th = th < 1 ? 1 : th > out_side ? out_side : th;
    int ox = (out_side - tw) / 2, oy = (out_side - th) / 2;
    s = glia__resize_u8(box, (size_t)width, bw, bh, res->data + (size_t)oy * out_side + ox,
                        (size_t)out_side, tw, th);
    if (s) {
      glia_image_u8_free(res);
      return s;
    }
  }
  *out = res;
  return GLIA_OK;
}
