/* Morphological snakes (P. Márquez-Neila, L. Baumela, L. Álvarez, "A morphological approach
 * to curvature-based evolution of curves and surfaces", IEEE TPAMI 2014): the level set is a
 * binary image; the image force is a sign test on the gradient of that image, the balloon a
 * dilation or erosion, and curvature flow the SI∘IS / IS∘SI line operators. The update order,
 * the one-sided differences at the border and the alternation of the curvature operators
 * follow scikit-image 0.19, the oracle of the tests.
 *
 * The level set lives in a (w+2)×(h+2) byte buffer with a zero frame, so the line erosions
 * and dilations (border value 0, as scipy.ndimage) run branch-free over whole rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glia/snake.h"
#include "image/internal.h"

typedef struct lset {
  int w, h, pw;       /* pw = w + 2 */
  uint8_t *u, *t, *v; /* current, scratch, scratch (padded) */
} lset;

#define AT(b, x, y) ((b)[(size_t)((y) + 1) * ls->pw + (x) + 1])

/* SI (sup of erosions along 4 lines) when si = 1, else IS (inf of dilations). */
static void line_op(const lset *ls, const uint8_t *in, uint8_t *out, int si) {
  int pw = ls->pw;
  for (int y = 0; y < ls->h; y++) {
    const uint8_t *a = in + (size_t)y * pw + 1, *b = a + pw, *c = b + pw; /* rows y-1, y, y+1 */
    uint8_t *o = out + (size_t)(y + 1) * pw + 1;
    if (si) {
      for (int x = 0; x < ls->w; x++)
        o[x] = b[x] & ((b[x - 1] & b[x + 1]) | (a[x] & c[x]) | (a[x - 1] & c[x + 1]) |
                       (a[x + 1] & c[x - 1]));
    } else {
      for (int x = 0; x < ls->w; x++)
        o[x] = b[x] | ((b[x - 1] | b[x + 1]) & (a[x] | c[x]) & (a[x - 1] | c[x + 1]) &
                       (a[x + 1] | c[x - 1]));
    }
  }
}

/* One curvature step; `phase` alternates SI∘IS and IS∘SI as skimage's _curvop cycle. */
static void curvature(lset *ls, int *phase) {
  int first_is = (*phase & 1) == 0; /* phase 0: SI(IS(u)) */
  line_op(ls, ls->u, ls->t, !first_is);
  line_op(ls, ls->t, ls->u, first_is);
  (*phase)++;
}

/* Whether u differs across pixel (x, y) along x or y (np.gradient's nonzero test). */
static inline int grad_x(const lset *ls, const uint8_t *u, int x, int y) {
  if (ls->w == 1) return 0;
  int l = x > 0 ? x - 1 : 0, r = x + 1 < ls->w ? x + 1 : ls->w - 1;
  return (int)AT(u, r, y) - (int)AT(u, l, y);
}
static inline int grad_y(const lset *ls, const uint8_t *u, int x, int y) {
  if (ls->h == 1) return 0;
  int t = y > 0 ? y - 1 : 0, b = y + 1 < ls->h ? y + 1 : ls->h - 1;
  return (int)AT(u, x, b) - (int)AT(u, x, t);
}

static glia_status lset_init(lset *ls, int w, int h, const glia_snake_opts *o, int gac) {
  ls->w = w;
  ls->h = h;
  ls->pw = w + 2;
  size_t pn = (size_t)(w + 2) * (h + 2);
  ls->u = glia_calloc(pn, 1);
  ls->t = glia_calloc(pn, 1);
  ls->v = glia_calloc(pn, 1);
  if (!ls->u || !ls->t || !ls->v) return glia_error(GLIA_ERR_NOMEM, "snake: out of memory");
  glia_levelset init = o->init == GLIA_LEVELSET_DEFAULT
                           ? (gac ? GLIA_LEVELSET_DISK : GLIA_LEVELSET_CHECKERBOARD)
                           : o->init;
  if (init == GLIA_LEVELSET_MASK && !o->init_mask)
    return glia_error(GLIA_ERR_ARGUMENT, "snake: initial level set 'mask' without a mask");
  if (init == GLIA_LEVELSET_CHECKERBOARD && o->checker_px < 1)
    return glia_error(GLIA_ERR_ARGUMENT, "snake: checkerboard square %d px, expected >= 1",
                      o->checker_px);
  double r = o->radius_px > 0 ? o->radius_px : (w < h ? w : h) * 3.0 / 8.0;
  int cy = h / 2, cx = w / 2, s = o->checker_px;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      int v;
      if (init == GLIA_LEVELSET_MASK)
        v = o->init_mask[(size_t)y * w + x] != 0;
      else if (init == GLIA_LEVELSET_DISK)
        v = r - sqrt((double)(y - cy) * (y - cy) + (double)(x - cx) * (x - cx)) > 0;
      else
        v = ((y / s) ^ (x / s)) & 1;
      AT(ls->u, x, y) = (uint8_t)v;
    }
  return GLIA_OK;
}

static void lset_free(lset *ls) {
  glia_free(ls->u);
  glia_free(ls->t);
  glia_free(ls->v);
}

static void lset_out(const lset *ls, uint8_t *mask) {
  for (int y = 0; y < ls->h; y++)
    memcpy(mask + (size_t)y * ls->w, ls->u + (size_t)(y + 1) * ls->pw + 1, (size_t)ls->w);
}

static glia_status check(const char *what, const float *img, const uint8_t *mask, int w, int h,
                         const glia_snake_opts *o) {
  glia_status s = glia__check_plane(what, img, mask, w, h);
  if (s) return s;
  if (o->iterations < 0 || o->iterations > 1000000 || o->smoothing < 0 || o->smoothing > 100)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "%s: %d iterations and %d smoothing steps, expected 0..1e6 and 0..100", what,
                      o->iterations, o->smoothing);
  return GLIA_OK;
}

glia_status glia_snake_acwe(const float *image, int width, int height, const glia_snake_opts *opts,
                            uint8_t *mask) {
  glia_snake_opts o = GLIA_SNAKE_DEFAULTS;
  if (opts) o = *opts;
  glia_status s = check("chan-vese snake", image, mask, width, height, &o);
  if (s) return s;
  lset L = {0}, *ls = &L;
  if ((s = lset_init(ls, width, height, &o, 0))) goto done;
  int phase = 0;
  float l1 = (float)o.lambda1, l2 = (float)o.lambda2;
  for (int it = 0; it < o.iterations; it++) {
    double sin = 0, sall = 0;
    long nin = 0;
    for (int y = 0; y < height; y++) {
      const float *im = image + (size_t)y * width;
      const uint8_t *u = &AT(ls->u, 0, y);
      float a = 0, b = 0;
      long k = 0;
      for (int x = 0; x < width; x++) {
        a += u[x] ? im[x] : 0.f;
        b += im[x];
        k += u[x];
      }
      sin += a;
      sall += b;
      nin += k;
    }
    long nout = (long)width * height - nin;
    double c1 = sin / ((double)nin + 1e-8), c0 = (sall - sin) / ((double)nout + 1e-8);
    float fc0 = (float)c0, fc1 = (float)c1;
    memcpy(ls->v, ls->u, (size_t)ls->pw * (height + 2));
    for (int y = 0; y < height; y++) {
      const float *im = image + (size_t)y * width;
      uint8_t *nu = &AT(ls->v, 0, y);
      const uint8_t *u = &AT(ls->u, 0, y), *up = u - ls->pw, *dn = u + ls->pw;
      int edge_row = y == 0 || y == height - 1;
      for (int x = 0; x < width; x++) {
        int moving;
        if (!edge_row && x > 0 && x + 1 < width)
          moving = (u[x - 1] != u[x + 1]) | (up[x] != dn[x]);
        else
          moving = grad_x(ls, ls->u, x, y) != 0 || grad_y(ls, ls->u, x, y) != 0;
        if (!moving) continue;
        float d1 = im[x] - fc1, d0 = im[x] - fc0;
        float aux = l1 * d1 * d1 - l2 * d0 * d0;
        if (aux < 0)
          nu[x] = 1;
        else if (aux > 0)
          nu[x] = 0;
      }
    }
    uint8_t *tmp = ls->u;
    ls->u = ls->v;
    ls->v = tmp;
    for (int k = 0; k < o.smoothing; k++) curvature(ls, &phase);
  }
  lset_out(ls, mask);
done:
  lset_free(ls);
  return s;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* numpy.percentile(values, q) with linear interpolation. */
static glia_status percentile(const float *v, size_t n, double q, double *out) {
  float *s = glia_malloc(n * sizeof(float));
  if (!s) return glia_error(GLIA_ERR_NOMEM, "snake: out of memory");
  memcpy(s, v, n * sizeof(float));
  qsort(s, n, sizeof(float), cmp_float);
  double pos = q / 100 * (double)(n - 1);
  size_t i = (size_t)pos;
  double f = pos - (double)i;
  *out = i + 1 < n ? s[i] + f * ((double)s[i + 1] - s[i]) : s[n - 1];
  glia_free(s);
  return GLIA_OK;
}

/* Balloon step: u = dilate/erode(u, 3×3) where the edge image is above the threshold. */
static void balloon_step(lset *ls, const uint8_t *active, int grow) {
  int pw = ls->pw;
  memcpy(ls->v, ls->u, (size_t)pw * (ls->h + 2));
  for (int y = 0; y < ls->h; y++) {
    const uint8_t *a = ls->u + (size_t)y * pw + 1, *b = a + pw, *c = b + pw;
    uint8_t *o = ls->v + (size_t)(y + 1) * pw + 1;
    const uint8_t *act = active + (size_t)y * ls->w;
    for (int x = 0; x < ls->w; x++) {
      if (!act[x]) continue;
      if (grow)
        o[x] = a[x - 1] | a[x] | a[x + 1] | b[x - 1] | b[x] | b[x + 1] | c[x - 1] | c[x] | c[x + 1];
      else
        o[x] = a[x - 1] & a[x] & a[x + 1] & b[x - 1] & b[x] & b[x + 1] & c[x - 1] & c[x] & c[x + 1];
    }
  }
  uint8_t *t = ls->u;
  ls->u = ls->v;
  ls->v = t;
}

glia_status glia_snake_gac(const float *gimage, int width, int height, const glia_snake_opts *opts,
                           uint8_t *mask) {
  glia_snake_opts o = GLIA_SNAKE_DEFAULTS;
  if (opts) o = *opts;
  glia_status s = check("geodesic snake", gimage, mask, width, height, &o);
  if (s) return s;
  size_t n = (size_t)width * height;
  lset L = {0}, *ls = &L;
  float *gx = glia_malloc(n * sizeof(float)), *gy = glia_malloc(n * sizeof(float));
  uint8_t *active = glia_malloc(n);
  if (!gx || !gy || !active) {
    s = glia_error(GLIA_ERR_NOMEM, "geodesic snake: out of memory");
    goto done;
  }
  if ((s = lset_init(ls, width, height, &o, 1))) goto done;
  double thr = o.threshold;
  if (thr < 0 && (s = percentile(gimage, n, 40, &thr))) goto done;
  /* np.gradient of the edge image: central differences, one-sided at the border. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      size_t i = (size_t)y * width + x;
      const float *g = gimage;
      gx[i] = width == 1       ? 0.f
              : x == 0         ? g[i + 1] - g[i]
              : x + 1 == width ? g[i] - g[i - 1]
                               : (g[i + 1] - g[i - 1]) * 0.5f;
      gy[i] = height == 1       ? 0.f
              : y == 0          ? g[i + width] - g[i]
              : y + 1 == height ? g[i] - g[i - width]
                                : (g[i + width] - g[i - width]) * 0.5f;
      active[i] = o.balloon != 0 && gimage[i] > thr / fabs(o.balloon);
    }
  int phase = 0;
  for (int it = 0; it < o.iterations; it++) {
    if (o.balloon != 0) balloon_step(ls, active, o.balloon > 0);
    memcpy(ls->v, ls->u, (size_t)ls->pw * (height + 2));
    for (int y = 0; y < height; y++) {
      uint8_t *nu = &AT(ls->v, 0, y);
      for (int x = 0; x < width; x++) {
        size_t i = (size_t)y * width + x;
        int dx = grad_x(ls, ls->u, x, y), dy = grad_y(ls, ls->u, x, y);
        if (!dx && !dy) continue;
        /* central differences are halved where they are central; only the sign matters */
        float sx = (x > 0 && x + 1 < width) ? 0.5f : 1.f,
              sy = (y > 0 && y + 1 < height) ? 0.5f : 1.f;
        float aux = gx[i] * (dx * sx) + gy[i] * (dy * sy);
        if (aux > 0)
          nu[x] = 1;
        else if (aux < 0)
          nu[x] = 0;
      }
    }
    uint8_t *tmp = ls->u;
    ls->u = ls->v;
    ls->v = tmp;
    for (int k = 0; k < o.smoothing; k++) curvature(ls, &phase);
  }
  lset_out(ls, mask);
done:
  lset_free(ls);
  glia_free(gx);
  glia_free(gy);
  glia_free(active);
  return s;
}

glia_status glia_inverse_gaussian_gradient(const float *image, float *out, int width, int height,
                                           double alpha, double sigma) {
  glia_status s = glia__check_plane("inverse gaussian gradient", image, out, width, height);
  if (s) return s;
  if (!(alpha > 0) || !(sigma > 0) || sigma > 200)
    return glia_error(GLIA_ERR_ARGUMENT,
                      "inverse gaussian gradient: alpha %g sigma %g, expected > 0 (sigma <= 200)",
                      alpha, sigma);
  int max = 2 * (int)(4 * sigma + 0.5) + 1;
  size_t n = (size_t)width * height;
  double *g0 = glia_malloc((size_t)max * sizeof(double)),
         *g1 = glia_malloc((size_t)max * sizeof(double));
  float *a = glia_malloc(n * sizeof(float)), *b = glia_malloc(n * sizeof(float));
  if (!g0 || !g1 || !a || !b) {
    s = glia_error(GLIA_ERR_NOMEM, "inverse gaussian gradient: out of memory");
    goto done;
  }
  int k = glia__scipy_gaussian_taps(sigma, 0, 4.0, g0, max);
  glia__scipy_gaussian_taps(sigma, 1, 4.0, g1, max);
  s = glia__sep_filter_f32(image, a, width, height, g1, k, g0, k, GLIA__BORDER_REPLICATE);
  if (!s) s = glia__sep_filter_f32(image, b, width, height, g0, k, g1, k, GLIA__BORDER_REPLICATE);
  if (!s)
    for (size_t i = 0; i < n; i++)
      out[i] = (float)(1.0 / sqrt(1.0 + alpha * sqrt((double)a[i] * a[i] + (double)b[i] * b[i])));
done:
  glia_free(g0);
  glia_free(g1);
  glia_free(a);
  glia_free(b);
  return s;
}
