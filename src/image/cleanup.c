/* Background cleanup of brain-MRI pictures: a white background flooded from the border and
 * set black, a bright frame connected to the border removed, small bright marks outside the
 * head removed. The rules follow the study (STUDY.md, "Cleanup and crop"). */
#include <string.h>

#include "glia/crop.h"
#include "glia/filter.h"
#include "glia/morph.h"
#include "glia/threshold.h"
#include "image/internal.h"

/* Sets black every channel but alpha of the pixels where mask != 0; returns their count. */
static long blacken(glia_image_u8 *img, const uint8_t *mask) {
  size_t n = (size_t)img->width * img->height;
  int c = img->channels, cc = c == 4 ? 3 : c;
  long k = 0;
  for (size_t i = 0; i < n; i++)
    if (mask[i]) {
      for (int j = 0; j < cc; j++) img->data[i * c + j] = 0;
      k++;
    }
  return k;
}

/* Median gray of the band of pixels less than `margin` from the border. */
static int border_median(const uint8_t *g, int w, int h, int margin) {
  uint32_t hist[256] = {0};
  size_t cnt = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      if (y >= margin && y + margin < h && x == margin && x + margin < w) x = w - margin;
      hist[g[(size_t)y * w + x]]++;
      cnt++;
    }
  size_t acc = 0;
  for (int v = 0; v < 256; v++)
    if ((acc += hist[v]) * 2 >= cnt) return v;
  return 255;
}

/* Median of `len` gray values spaced `step` apart. */
static int line_median(const uint8_t *g, size_t step, int len) {
  int hist[256] = {0}, acc = 0, v = 0;
  for (int i = 0; i < len; i++) hist[g[(size_t)i * step]]++;
  while ((acc += hist[v]) * 2 < len) v++;
  return v;
}

/* Whether border line `i` of a side is a frame line; adds its bright pixels to seed (and to
 * cand, for the relative rule). A line is a frame line when at least half its pixels are
 * bright on every channel (the study's [frame_min, 255] rule), or when its median gray is
 * >= 120 and at least 60 above one of the 3 lines just inside it (a frame a little darker
 * than frame_min; tissue touching the border has no dark line inside). `inward` is the
 * index step to the next line inside. */
static int frame_line(const uint8_t *gray, uint8_t *cand, uint8_t *seed, size_t start, size_t step,
                      int len, size_t inward) {
  int k = 0;
  for (int j = 0; j < len; j++) k += cand[start + (size_t)j * step];
  int med = line_median(gray + start, step, len), rel = 0;
  for (size_t d = 1; med >= 120 && !rel && d <= 3; d++)
    rel = med >= line_median(gray + (start + d * inward), step, len) + 60;
  if (2 * k < len && !rel) return 0;
  for (int j = 0; j < len; j++) {
    size_t q = start + (size_t)j * step;
    if (rel && gray[q] >= 120) cand[q] = 1;
    seed[q] |= cand[q];
  }
  return 1;
}

/* Step 2: a frame is made of lines along the border (rows or columns within `band` of a
 * side, see frame_line); the mask is those lines' bright pixels and the bright pixels
 * 4-connected to them inside the band. Bright tissue that merely touches the border is not a
 * line and stays. */
static glia_status frame_mask(const uint8_t *gray, uint8_t *cand, int w, int h, int band,
                              uint8_t *m) {
  size_t n = (size_t)w * h;
  uint8_t *seed = glia_calloc(n, 1);
  if (!seed) return glia_error(GLIA_ERR_NOMEM, "cleanup: out of memory");
  int any = 0;
  for (int i = 0; i < band && band + 4 < h; i++) {
    any |= frame_line(gray, cand, seed, (size_t)i * w, 1, w, (size_t)w);
    any |= frame_line(gray, cand, seed, (size_t)(h - 1 - i) * w, 1, w, (size_t)0 - (size_t)w);
  }
  for (int i = 0; i < band && band + 4 < w; i++) {
    any |= frame_line(gray, cand, seed, (size_t)i, (size_t)w, h, 1);
    any |= frame_line(gray, cand, seed, (size_t)(w - 1 - i), (size_t)w, h, (size_t)0 - 1);
  }
  memset(m, 0, n);
  if (any) {
    /* Grow the seeds through bright pixels of the band (a stack flood). */
    int32_t *stack = glia_malloc(n * sizeof(int32_t));
    if (!stack) {
      glia_free(seed);
      return glia_error(GLIA_ERR_NOMEM, "cleanup: out of memory");
    }
    size_t top = 0;
    for (size_t i = 0; i < n; i++)
      if (seed[i]) m[i] = 1, stack[top++] = (int32_t)i;
    while (top) {
      int32_t p = stack[--top];
      int x = p % w, y = p / w;
      const int dx[4] = {-1, 1, 0, 0}, dy[4] = {0, 0, -1, 1};
      for (int k = 0; k < 4; k++) {
        int xx = x + dx[k], yy = y + dy[k];
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        if (xx >= band && yy >= band && xx + band < w && yy + band < h) continue;
        size_t q = (size_t)yy * w + xx;
        if (cand[q] && !m[q]) m[q] = 1, stack[top++] = (int32_t)q;
      }
    }
    glia_free(stack);
  }
  glia_free(seed);
  return GLIA_OK;
}

/* Step 3: components of the Otsu mask that are small and outside the head's box. */
static glia_status remove_marks(glia_image_u8 *img, const uint8_t *gray, uint8_t *m, int32_t *lab,
                                double max_pct, glia_cleanup_report *r) {
  int w = img->width, h = img->height;
  size_t n = (size_t)w * h;
  glia_status s = glia_gaussian_blur_u8(gray, m, w, h, 5, 0);
  if (s) return s;
  int t = glia_otsu_u8(m, n);
  for (size_t i = 0; i < n; i++) m[i] = m[i] > t;
  glia_component *c = NULL;
  int32_t count = 0;
  if ((s = glia_label(m, w, h, 8, lab, &c, &count))) return s;
  /* The head's box: the union of the components above 1 % of the image (a head cut into
   * pieces by the threshold stays one head). */
  glia_component hd = {0, 0, w, h, 0, 0, 0, 0};
  for (int32_t i = 0; i < count; i++)
    if (c[i].area * 100 >= (int64_t)n) {
      hd.x0 = c[i].x0 < hd.x0 ? c[i].x0 : hd.x0;
      hd.y0 = c[i].y0 < hd.y0 ? c[i].y0 : hd.y0;
      hd.x1 = c[i].x1 > hd.x1 ? c[i].x1 : hd.x1;
      hd.y1 = c[i].y1 > hd.y1 ? c[i].y1 : hd.y1;
      hd.area += c[i].area;
    }
  memset(m, 0, n);
  int any = 0;
  for (int32_t i = 0; hd.area && i < count; i++) {
    const glia_component *k = &c[i];
    int outside = k->x1 <= hd.x0 || k->x0 >= hd.x1 || k->y1 <= hd.y0 || k->y0 >= hd.y1;
    if (!outside || k->area * 100 >= (int64_t)n || k->area > max_pct / 100 * (double)n) continue;
    /* A mark sits on a dark background: the other pixels of its box grown by 2 px are dark
     * on average (below half the threshold). */
    double sum = 0;
    long cnt = 0;
    for (int y = k->y0 - 2 < 0 ? 0 : k->y0 - 2; y < k->y1 + 2 && y < h; y++)
      for (int x = k->x0 - 2 < 0 ? 0 : k->x0 - 2; x < k->x1 + 2 && x < w; x++)
        if (lab[(size_t)y * w + x] != i + 1) sum += gray[(size_t)y * w + x], cnt++;
    if (cnt && sum / cnt >= t / 2.0) continue;
    c[i].label = -1; /* marked for removal */
    r->marks++;
    any = 1;
  }
  if (any) {
    for (size_t i = 0; i < n; i++) m[i] = lab[i] && c[lab[i] - 1].label < 0;
    glia_strel sq = {GLIA_STREL_SQUARE, 1};
    if (!(s = glia_morph_u8(m, m, w, h, GLIA_MORPH_DILATE, sq))) r->marks_px = blacken(img, m);
  }
  glia_free(c);
  return s;
}

glia_status glia_cleanup(glia_image_u8 *img, const glia_cleanup_opts *opts,
                         glia_cleanup_report *report) {
  if (!img || !img->data) return glia_error(GLIA_ERR_ARGUMENT, "cleanup: NULL image");
  glia_status s = glia__check_plane("cleanup", img->data, img->data, img->width, img->height);
  if (s) return s;
  if (img->channels != 1 && img->channels != 3 && img->channels != 4)
    return glia_error(GLIA_ERR_ARGUMENT, "cleanup: %d channels, expected 1, 3 or 4", img->channels);
  glia_cleanup_opts o = GLIA_CLEANUP_DEFAULTS;
  if (opts) o = *opts;
  glia_cleanup_report r;
  memset(&r, 0, sizeof r);
  int w = img->width, h = img->height, c = img->channels, cc = c == 4 ? 3 : c;
  size_t n = (size_t)w * h;
  glia_image_u8 *gray = NULL;
  uint8_t *cand = glia_malloc(n), *m = glia_malloc(n);
  int32_t *lab = glia_malloc(n * sizeof(int32_t));
  if (!cand || !m || !lab) {
    s = glia_error(GLIA_ERR_NOMEM, "cleanup: out of memory for %d×%d", w, h);
    goto done;
  }
  if ((s = glia_image_u8_to_gray(img, &gray))) goto done;
  /* White background: the median of a band 8 % of the short side wide decides; the flood
   * starts from a band 2 % wide (at least 2 px) and may cross anything inside that band, so a
   * thin dark line drawn around the picture does not shield the background behind it. */
  int side = w < h ? w : h, wide = side * 8 / 100, margin = side / 50;
  wide = wide < 2 ? 2 : wide;
  margin = margin < 2 ? 2 : margin;
  if (o.background && border_median(gray->data, w, h, wide) >= 128) {
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        size_t i = (size_t)y * w + x;
        int band = x < margin || y < margin || x + margin >= w || y + margin >= h;
        cand[i] = band || gray->data[i] >= o.background_min;
      }
    if ((s = glia__flood_border(cand, w, h, margin, m))) goto done;
    r.white_background = 1;
    r.background_px = blacken(img, m);
  }
  if (o.frame) {
    int band = side * 4 / 100;
    band = band < 3 ? 3 : band;
    for (size_t i = 0; i < n; i++) {
      const uint8_t *p = img->data + i * c;
      int ok = 1;
      for (int j = 0; j < cc; j++) ok &= p[j] >= o.frame_min;
      cand[i] = (uint8_t)ok;
    }
    if ((s = frame_mask(gray->data, cand, w, h, band, m))) goto done;
    glia_strel sq = {GLIA_STREL_SQUARE, 1};
    if ((s = glia_morph_u8(m, m, w, h, GLIA_MORPH_DILATE, sq))) goto done;
    r.frame_px = blacken(img, m);
  }
  if (o.marks) {
    glia_image_u8_free(gray);
    gray = NULL;
    if ((s = glia_image_u8_to_gray(img, &gray))) goto done;
    s = remove_marks(img, gray->data, m, lab, o.marks_max_pct, &r);
  }
done:
  if (!s && report) *report = r;
  glia_image_u8_free(gray);
  glia_free(cand);
  glia_free(m);
  glia_free(lab);
  return s;
}
