/* Outlier scores for exploration. The corner, frame and colour measures follow the checks
 * that catalogued the Kaggle set's outliers (its README); thresholds are in
 * docs/explore.md with their measured hit rates. */
#include <stdlib.h>
#include <string.h>

#include "glia/outlier.h"

static double median_u8(const uint32_t hist[256], size_t n) {
  if (n == 0) return 0;
  size_t half = (n - 1) / 2, acc = 0;
  for (int v = 0; v < 256; v++) {
    acc += hist[v];
    if (acc > half) return v;
  }
  return 255;
}

static double percentile_u8(const uint32_t hist[256], size_t n, double p) {
  if (n == 0) return 0;
  size_t rank = (size_t)(p * (double)(n - 1)), acc = 0;
  for (int v = 0; v < 256; v++) {
    acc += hist[v];
    if (acc > rank) return v;
  }
  return 255;
}

static void hist_rect(const glia_image_u8 *g, int x0, int y0, int x1, int y1, uint32_t h[256],
                      size_t *n) {
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) h[g->data[(size_t)y * g->width + x]]++;
  *n += (size_t)(x1 - x0) * (size_t)(y1 - y0);
}

static double corner_median(const glia_image_u8 *g) {
  int w = g->width, h = g->height, s = (int)(0.08 * (w < h ? w : h));
  if (s < 1) s = 1;
  uint32_t hist[256] = {0};
  size_t n = 0;
  hist_rect(g, 0, 0, s, s, hist, &n);
  hist_rect(g, w - s, 0, w, s, hist, &n);
  hist_rect(g, 0, h - s, s, h, hist, &n);
  hist_rect(g, w - s, h - s, w, h, hist, &n);
  return median_u8(hist, n);
}

/* Median of line `i` (0 = outermost) of side `side` (0 top, 1 bottom, 2 left, 3 right). */
static double side_line_median(const glia_image_u8 *g, int side, int i) {
  int w = g->width, h = g->height;
  uint32_t hist[256] = {0};
  size_t n = 0;
  if (side == 0) hist_rect(g, 0, i, w, i + 1, hist, &n);
  if (side == 1) hist_rect(g, 0, h - 1 - i, w, h - i, hist, &n);
  if (side == 2) hist_rect(g, i, 0, i + 1, h, hist, &n);
  if (side == 3) hist_rect(g, w - 1 - i, 0, w - i, h, hist, &n);
  return median_u8(hist, n);
}

/* Median of the band 8..20 px inside side `side`. */
static double side_band_median(const glia_image_u8 *g, int side) {
  int w = g->width, h = g->height;
  uint32_t hist[256] = {0};
  size_t n = 0;
  if (side == 0) hist_rect(g, 0, 8, w, 21, hist, &n);
  if (side == 1) hist_rect(g, 0, h - 21, w, h - 8, hist, &n);
  if (side == 2) hist_rect(g, 8, 0, 21, h, hist, &n);
  if (side == 3) hist_rect(g, w - 21, 0, w - 8, h, hist, &n);
  return median_u8(hist, n);
}

static void frame_score(const glia_image_u8 *g, double *score, double sides[4]) {
  *score = 0;
  for (int side = 0; side < 4; side++) {
    sides[side] = 0;
    if (g->width < 42 || g->height < 42) continue; /* no room for the inner band */
    double band = side_band_median(g, side);
    for (int i = 0; i < 6; i++) {
      double m = side_line_median(g, side, i);
      if (m >= 120 && m - band > sides[side]) sides[side] = m - band;
    }
    if (sides[side] > *score) *score = sides[side];
  }
}

/* 8-connected labels of mask pixels (labels from 1; 0 = background); returns the count or
 * -1 on no memory. Iterative flood fill with an explicit stack. */
static int label8(const uint8_t *mask, int w, int h, int32_t *lab, size_t *areas_out[]) {
  size_t n = (size_t)w * h;
  size_t *stack = glia_malloc(n * sizeof(size_t) + 1);
  size_t *areas = glia_malloc(sizeof(size_t) * 64);
  size_t cap = 64;
  if (!stack || !areas) {
    glia_free(stack);
    glia_free(areas);
    return -1;
  }
  memset(lab, 0, n * sizeof(int32_t));
  int count = 0;
  for (size_t start = 0; start < n; start++) {
    if (!mask[start] || lab[start]) continue;
    if ((size_t)count + 1 >= cap) {
      size_t *a = glia_realloc(areas, cap * 2 * sizeof(size_t));
      if (!a) {
        glia_free(stack);
        glia_free(areas);
        return -1;
      }
      areas = a;
      cap *= 2;
    }
    int id = ++count;
    size_t top = 0, area = 0;
    stack[top++] = start;
    lab[start] = id;
    while (top) {
      size_t p = stack[--top];
      area++;
      int x = (int)(p % (size_t)w), y = (int)(p / (size_t)w);
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
          int nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          size_t q = (size_t)ny * w + nx;
          if (mask[q] && !lab[q]) {
            lab[q] = id;
            stack[top++] = q;
          }
        }
    }
    areas[id] = area;
  }
  glia_free(stack);
  *areas_out = areas;
  return count;
}

/* Head mask: the components of pixels above background + 20 with at least 0.5 % of the
 * image (the largest when none is that big; the skull ring and the brain are often apart),
 * holes filled: what the border cannot reach through non-head pixels is inside. */
static glia_status head_mask(const glia_image_u8 *g, double background, uint8_t *mask, int32_t *lab,
                             uint8_t *head) {
  int w = g->width, h = g->height;
  size_t n = (size_t)w * h, *areas = NULL;
  int t = (int)background + 20;
  for (size_t i = 0; i < n; i++) mask[i] = g->data[i] > t;
  int count = label8(mask, w, h, lab, &areas);
  if (count < 0) return glia_error(GLIA_ERR_NOMEM, "outliers: out of memory");
  memset(head, 0, n);
  if (count == 0) {
    glia_free(areas);
    return GLIA_OK;
  }
  int big = 1;
  for (int k = 2; k <= count; k++)
    if (areas[k] > areas[big]) big = k;
  for (int k = 1; k <= count; k++) areas[k] = k == big || areas[k] * 200 >= n;
  for (size_t i = 0; i < n; i++) mask[i] = lab[i] && areas[lab[i]];
  glia_free(areas);
  size_t *stack = glia_malloc(n * sizeof(size_t) + 1);
  if (!stack) return glia_error(GLIA_ERR_NOMEM, "outliers: out of memory");
  /* head[] = 1 marks "outside" during the flood, then is inverted. */
  size_t top = 0;
  for (size_t i = 0; i < n; i++) {
    int x = (int)(i % (size_t)w), y = (int)(i / (size_t)w);
    if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) && !mask[i]) {
      head[i] = 1;
      stack[top++] = i;
    }
  }
  while (top) {
    size_t p = stack[--top];
    int x = (int)(p % (size_t)w), y = (int)(p / (size_t)w);
    const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
    for (int k = 0; k < 4; k++) {
      int nx = x + dx[k], ny = y + dy[k];
      if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
      size_t q = (size_t)ny * w + nx;
      if (!head[q] && !mask[q]) {
        head[q] = 1;
        stack[top++] = q;
      }
    }
  }
  for (size_t i = 0; i < n; i++) head[i] = !head[i];
  glia_free(stack);
  return GLIA_OK;
}

/* Marks: bright components (3 px .. 2 % of the image) that do not touch the head, counted
 * in the worst of the four corner regions. Lines and bars along the border (touching it and
 * spanning a quarter of a side) are frames, measured apart. */
static glia_status corner_marks(const glia_image_u8 *g, double background, double *score) {
  int w = g->width, h = g->height;
  size_t n = (size_t)w * h, *areas = NULL;
  *score = 0;
  uint8_t *mask = glia_malloc(n), *head = glia_malloc(n), *touches = NULL;
  int *box = NULL;
  int32_t *lab = glia_malloc(n * sizeof(int32_t));
  glia_status s = GLIA_OK;
  if (!mask || !lab || !head) goto nomem;
  if ((s = head_mask(g, background, mask, lab, head))) goto done;
  int t = (int)background + 50;
  if (t < 80) t = 80;
  for (size_t i = 0; i < n; i++) mask[i] = g->data[i] > t;
  int count = label8(mask, w, h, lab, &areas);
  if (count < 0) goto nomem;
  if (!(touches = glia_calloc((size_t)count + 1, 1)) ||
      !(box = glia_malloc(sizeof(int) * 4 * ((size_t)count + 1))))
    goto nomem;
  for (int k = 1; k <= count; k++)
    box[4 * k] = w, box[4 * k + 1] = h, box[4 * k + 2] = -1, box[4 * k + 3] = -1;
  for (size_t i = 0; i < n; i++) {
    int32_t l = lab[i];
    if (!l) continue;
    int x = (int)(i % (size_t)w), y = (int)(i / (size_t)w);
    if (head[i]) touches[l] = 1;
    if (x < box[4 * l]) box[4 * l] = x;
    if (y < box[4 * l + 1]) box[4 * l + 1] = y;
    if (x > box[4 * l + 2]) box[4 * l + 2] = x;
    if (y > box[4 * l + 3]) box[4 * l + 3] = y;
  }
  for (int k = 1; k <= count; k++) {
    const int *b = box + 4 * k;
    int at_border = b[0] == 0 || b[1] == 0 || b[2] == w - 1 || b[3] == h - 1;
    if (at_border && (4 * (b[2] - b[0] + 1) >= w || 4 * (b[3] - b[1] + 1) >= h)) touches[k] = 1;
  }
  int cw = (int)(0.22 * w), ch = (int)(0.22 * h);
  if (cw < 1) cw = 1;
  if (ch < 1) ch = 1;
  size_t max_area = n / 50;
  for (int c = 0; c < 4; c++) {
    int x0 = c & 1 ? w - cw : 0, y0 = c & 2 ? h - ch : 0;
    size_t marks = 0;
    for (int y = y0; y < y0 + ch; y++)
      for (int x = x0; x < x0 + cw; x++) {
        int32_t l = lab[(size_t)y * w + x];
        if (l && !touches[l] && areas[l] >= 3 && areas[l] <= max_area) marks++;
      }
    double permille = 1000.0 * (double)marks / ((double)cw * ch);
    if (permille > *score) *score = permille;
  }
  goto done;
nomem:
  s = glia_error(GLIA_ERR_NOMEM, "outliers: out of memory for a %d×%d image", w, h);
done:
  glia_free(mask);
  glia_free(lab);
  glia_free(head);
  glia_free(areas);
  glia_free(touches);
  glia_free(box);
  return s;
}

static double head_contrast(const glia_image_u8 *g, double background) {
  uint32_t hist[256] = {0};
  size_t n = (size_t)g->width * g->height, inside = 0;
  int t = (int)background + 20;
  for (size_t i = 0; i < n; i++) hist[g->data[i]]++;
  for (int v = t + 1; v < 256; v++) inside += hist[v];
  if (inside * 100 >= n && t < 255) { /* at least 1 % above the background: the head */
    uint32_t head[256] = {0};
    for (int v = t + 1; v < 256; v++) head[v] = hist[v];
    return percentile_u8(head, inside, 0.99) - percentile_u8(head, inside, 0.01);
  }
  return percentile_u8(hist, n, 0.99) - percentile_u8(hist, n, 0.01);
}

glia_status glia_outlier_measure(const glia_image_u8 *img, const glia_image_u8 *gray,
                                 glia_outlier_scores *s) {
  if (gray->channels != 1 || gray->width != img->width || gray->height != img->height)
    return glia_error(GLIA_ERR_ARGUMENT, "outliers: the gray image must match the image");
  memset(s, 0, sizeof *s);
  double sides[4];
  s->corner_median = corner_median(gray);
  frame_score(gray, &s->frame, sides);
  for (int k = 0; k < 4; k++) s->frame_sides += sides[k] >= 60;
  s->contrast = head_contrast(gray, s->corner_median);
  s->short_side = img->width < img->height ? img->width : img->height;
  if (img->channels >= 3) {
    size_t n = (size_t)img->width * img->height, c = (size_t)img->channels;
    double sum = 0;
    size_t strong = 0;
    for (size_t i = 0; i < n; i++) {
      const uint8_t *p = img->data + i * c;
      int mx = p[0], mn = p[0];
      for (int k = 1; k < 3; k++) {
        if (p[k] > mx) mx = p[k];
        if (p[k] < mn) mn = p[k];
      }
      sum += mx - mn;
      strong += mx - mn > 16;
    }
    s->mean_chroma = sum / (double)n;
    s->chroma_px = (double)strong;
  }
  return corner_marks(gray, s->corner_median, &s->corner_marks);
}

unsigned glia_outlier_flags(const glia_outlier_scores *s, const glia_outlier_opts *o) {
  glia_outlier_opts d = GLIA_OUTLIER_DEFAULTS;
  if (!o) o = &d;
  unsigned f = 0;
  if (s->corner_median >= o->white_background)
    f |= 1u << GLIA_OUTLIER_WHITE_BACKGROUND;
  else if (s->corner_median >= o->light_background)
    f |= 1u << GLIA_OUTLIER_LIGHT_BACKGROUND;
  if (s->frame >= o->bright_frame) f |= 1u << GLIA_OUTLIER_BRIGHT_FRAME;
  if (s->corner_marks >= o->corner_marks) f |= 1u << GLIA_OUTLIER_CORNER_MARKS;
  if (s->contrast < o->low_contrast) f |= 1u << GLIA_OUTLIER_LOW_CONTRAST;
  if (s->short_side < o->min_side_px) f |= 1u << GLIA_OUTLIER_TINY;
  if (s->mean_chroma >= o->colour_mean || s->chroma_px >= o->colour_px)
    f |= 1u << GLIA_OUTLIER_COLOUR;
  return f;
}

const char *glia_outlier_name(glia_outlier_kind k) {
  static const char *names[GLIA_OUTLIER_COUNT] = {"white_background",
                                                  "light_background",
                                                  "bright_frame",
                                                  "corner_marks",
                                                  "low_contrast",
                                                  "tiny",
                                                  "colour"};
  return (unsigned)k < GLIA_OUTLIER_COUNT ? names[k] : "unknown";
}

double glia_outlier_score(const glia_outlier_scores *s, glia_outlier_kind k) {
  switch (k) {
  case GLIA_OUTLIER_WHITE_BACKGROUND:
  case GLIA_OUTLIER_LIGHT_BACKGROUND: return s->corner_median;
  case GLIA_OUTLIER_BRIGHT_FRAME: return s->frame;
  case GLIA_OUTLIER_CORNER_MARKS: return s->corner_marks;
  case GLIA_OUTLIER_LOW_CONTRAST: return s->contrast;
  case GLIA_OUTLIER_TINY: return s->short_side;
  case GLIA_OUTLIER_COLOUR: return s->mean_chroma;
  default: return 0;
  }
}

double glia_outlier_threshold(const glia_outlier_opts *o, glia_outlier_kind k) {
  switch (k) {
  case GLIA_OUTLIER_WHITE_BACKGROUND: return o->white_background;
  case GLIA_OUTLIER_LIGHT_BACKGROUND: return o->light_background;
  case GLIA_OUTLIER_BRIGHT_FRAME: return o->bright_frame;
  case GLIA_OUTLIER_CORNER_MARKS: return o->corner_marks;
  case GLIA_OUTLIER_LOW_CONTRAST: return o->low_contrast;
  case GLIA_OUTLIER_TINY: return o->min_side_px;
  case GLIA_OUTLIER_COLOUR: return o->colour_mean;
  default: return 0;
  }
}
