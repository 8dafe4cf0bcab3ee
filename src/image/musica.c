/* Gaussian/Laplacian pyramids (P. Burt and E. Adelson 1983) with OpenCV's pyrDown/pyrUp
 * kernel and border rules, and MUSICA (P. Vuylsteke and E. Schoeters, SPIE 2167, 1994):
 * a power-law gain on every Laplacian detail level before reconstruction.
 *
 * Speed: every pass works row by row through one padded scratch row (vertical taps first,
 * contiguous, then the horizontal taps), the expansion is fused with the subtraction
 * (decomposition) and with the gain and addition (reconstruction), the gain's power law is
 * a polynomial exp2/log2 that vectorises, and runs of coefficients below the linear joint
 * skip it. The row kernels are compiled three times, plain (SSE2 on x86-64), for AVX2 and
 * for AVX-512, and the widest the CPU has is chosen at run time; GLIA_REFERENCE=1 keeps the
 * plain ones. Planes under 2^17 pixels run in the calling thread without an OpenMP region. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "glia/musica.h"
#include "image/internal.h"
#include "image/musica_internal.h"

#define KERNEL static inline __attribute__((always_inline))
/* Eight int32 lanes (GCC/clang vector extension): one AVX2 register, two SSE2 ones. */
typedef int32_t glia__v8i __attribute__((vector_size(32)));

/* ---- row kernels (inlined into each instruction-set version below) ---------------------- */

/* One pyrDown output row from the five source rows r[0..4] (BORDER_REFLECT_101 rows already
 * chosen): vertical [1 4 6 4 1] into v (w + 4 floats, two pad samples each side), then the
 * horizontal taps at even positions, times `scale`. */
KERNEL void down_row(const float *const *r, int w, float *restrict out, float *restrict v,
                     float scale) {
  const float *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3], *r4 = r[4];
  float *vc = v + 2;
  for (int x = 0; x < w; x++) vc[x] = (r0[x] + r4[x]) + 4.f * (r1[x] + r3[x]) + 6.f * r2[x];
  v[0] = vc[glia__reflect101(-2, w)];
  v[1] = vc[glia__reflect101(-1, w)];
  vc[w] = vc[glia__reflect101(w, w)];
  vc[w + 1] = vc[glia__reflect101(w + 1, w)];
  int ow = (w + 1) / 2;
  for (int x = 0; x < ow; x++)
    out[x] =
        ((v[2 * x] + v[2 * x + 4]) + 4.f * (v[2 * x + 1] + v[2 * x + 3]) + 6.f * v[2 * x + 2]) *
        scale;
}

KERNEL void down_range(const float *src, int w, int h, float *dst, int y0, int y1, float *v) {
  int ow = (w + 1) / 2;
  for (int y = y0; y < y1; y++) {
    const float *r[5];
    for (int j = 0; j < 5; j++) r[j] = src + (size_t)glia__reflect101(2 * y + j - 2, h) * w;
    down_row(r, w, dst + (size_t)y * ow, v, 1.f / 256);
  }
}

/* Vertical pyrUp taps for output row Y from the wl × hl plane s into v + 1 (wl floats), with
 * the horizontal pads v[0] (reflected) and v[wl + 1] (replicated), OpenCV's pyrUp borders:
 * even rows s[i−1] + 6 s[i] + s[i+1], odd rows 4 (s[i] + s[i+1]); s[−1] = s[1], s[hl] = s[hl−1]. */
KERNEL void up_vrow(const float *s, int wl, int hl, int Y, float *restrict v) {
  int i = Y / 2;
  const float *c = s + (size_t)i * wl, *nx = s + (size_t)(i + 1 < hl ? i + 1 : i) * wl;
  float *vc = v + 1;
  if (Y & 1) {
    for (int x = 0; x < wl; x++) vc[x] = 4.f * (c[x] + nx[x]);
  } else {
    const float *pv = s + (size_t)(i > 0 ? i - 1 : (hl > 1 ? 1 : 0)) * wl;
    for (int x = 0; x < wl; x++) vc[x] = (pv[x] + nx[x]) + 6.f * c[x];
  }
  v[0] = wl > 1 ? vc[1] : vc[0];
  vc[wl] = vc[wl - 1];
}

/* Horizontal pyrUp taps of a padded vertical row v into W outputs (W = 2 wl or 2 wl − 1),
 * divided by 64, combined with o[] by OP: 0 store, 1 subtract from o, 2 add to o. */
#define UP_OP_STORE 0
#define UP_OP_SUB 1
#define UP_OP_ADD 2
KERNEL void up_hrow(const float *restrict v, int W, float *restrict o, int op) {
  const float k = 1.f / 64;
  int half = W / 2;
  for (int j = 0; j < half; j++) {
    float e = ((v[j] + v[j + 2]) + 6.f * v[j + 1]) * k, d = (4.f * (v[j + 1] + v[j + 2])) * k;
    if (op == UP_OP_STORE) {
      o[2 * j] = e;
      o[2 * j + 1] = d;
    } else if (op == UP_OP_SUB) {
      o[2 * j] -= e;
      o[2 * j + 1] -= d;
    } else {
      o[2 * j] += e;
      o[2 * j + 1] += d;
    }
  }
  if (W & 1) {
    float e = ((v[half] + v[half + 2]) + 6.f * v[half + 1]) * k;
    o[W - 1] = op == UP_OP_STORE ? e : (op == UP_OP_SUB ? o[W - 1] - e : o[W - 1] + e);
  }
}

KERNEL void up_range(const float *s, int wl, int hl, float *dst, int W, int y0, int y1, float *v) {
  for (int Y = y0; Y < y1; Y++) {
    up_vrow(s, wl, hl, Y, v);
    up_hrow(v, W, dst + (size_t)Y * W, UP_OP_STORE);
  }
}

/* log2(t) for t > 0: t = 2^e · m with m in [√½, √2) (the exponent taken from the bits after
 * subtracting √½'s, so no compare), ln m = 2 atanh(z), z = (m − 1)/(m + 1), |z| <= 0.172, by
 * its series to z^7 (truncation < 4e-8). A zero or subnormal t gives a value below −126; inf
 * gives 128; the result is never NaN, so the conversions below stay in range. */
KERNEL float fast_log2(float t) {
  int32_t b;
  memcpy(&b, &t, sizeof b);
  int32_t i = b - 0x3f3504f3;
  int32_t e = i >> 23; /* arithmetic shift (gcc and clang define it) */
  int32_t mb = (i & 0x007fffff) + 0x3f3504f3;
  float m;
  memcpy(&m, &mb, sizeof m);
  float z = (m - 1.f) / (m + 1.f), z2 = z * z;
  float q = 2.f / 7;
  q = q * z2 + 2.f / 5;
  q = q * z2 + 2.f / 3;
  q = q * z2 + 2.f;
  return (float)e + (q * z) * 1.44269504088896341f;
}

/* 2^y for y in [−127, 128] (what power · fast_log2 gives): 2^round(y) from the exponent bits
 * times Cephes' exp2f polynomial (S. Moshier) on the remainder in [−½, ½]. */
KERNEL float fast_exp2(float y) {
  float fn = (y + 12582912.f) - 12582912.f; /* round to nearest (see glia__sat_u8f) */
  float f = y - fn;
  float p = 1.535336188319500e-4f;
  p = p * f + 1.339887440266574e-3f;
  p = p * f + 9.618437357674640e-3f;
  p = p * f + 5.550332471162809e-2f;
  p = p * f + 2.402264791363012e-1f;
  p = p * f + 6.931472028550421e-1f;
  p = p * f + 1.f;
  uint32_t sb = (uint32_t)((int32_t)fn + 127) << 23;
  float sc;
  memcpy(&sc, &sb, sizeof sc);
  return p * sc;
}

/* The gain curve of one level: y = slope·x below the joint (c·M, at least FLT_MIN), else
 * sign(x)·amp·|x|^p with amp = a·M^(1−p) (the same as a·M·sign(x)·(|x|/M)^p). */
KERNEL float gain_one(float x, float power, float amp, float joint, float slope) {
  float t = fabsf(x);
  float r = copysignf(amp * fast_exp2(power * fast_log2(t)), x);
  return t < joint ? slope * x : r;
}

/* The gain on one row in place. Blocks of 16 coefficients all below the joint (flat
 * background, most of a head slice's finest levels) take the linear segment only. */
KERNEL void gain_row(float *restrict l, int n, const glia__musica_gain *g) {
  const float power = g->power, amp = g->amp, joint = g->joint, slope = g->slope;
  int i = 0;
  int32_t jb; /* |x| >= joint compared as bit patterns, 8 lanes at a time */
  memcpy(&jb, &joint, sizeof jb);
  for (; i + 16 <= n; i += 16) {
    glia__v8i a, b;
    memcpy(&a, l + i, sizeof a);
    memcpy(&b, l + i + 8, sizeof b);
    glia__v8i h = ((a & 0x7fffffff) >= jb) | ((b & 0x7fffffff) >= jb);
    uint64_t q[4];
    memcpy(q, &h, sizeof q);
    if (!(q[0] | q[1] | q[2] | q[3]))
      for (int j = 0; j < 16; j++) l[i + j] *= slope;
    else
      for (int j = 0; j < 16; j++) l[i + j] = gain_one(l[i + j], power, amp, joint, slope);
  }
  for (; i < n; i++) l[i] = gain_one(l[i], power, amp, joint, slope);
}

/* max |l[i]| as the largest bit pattern of |l[i]| (non-negative floats order like their bits),
 * an integer reduction that vectorises. */
KERNEL int32_t absmax_bits(const float *restrict l, int n, int32_t m) {
  for (int i = 0; i < n; i++) {
    int32_t b;
    memcpy(&b, &l[i], sizeof b);
    b &= 0x7fffffff;
    m = b > m ? b : m;
  }
  return m;
}

/* Decomposition rows [y0, y1) of level g (w × h): g −= up(s), s the next level (wl × hl).
 * Returns max |g| over those rows. */
KERNEL float decompose_range(float *g, int w, const float *s, int wl, int hl, int y0, int y1,
                             float *v) {
  int32_t m = 0;
  for (int Y = y0; Y < y1; Y++) {
    float *row = g + (size_t)Y * w;
    up_vrow(s, wl, hl, Y, v);
    up_hrow(v, w, row, UP_OP_SUB);
    m = absmax_bits(row, w, m);
  }
  float f;
  memcpy(&f, &m, sizeof f);
  return f;
}

/* Reconstruction rows [y0, y1): g = gain(g) + up(s). On the finest level (`last`), values
 * below `black` become 0 and, with out8, the rows are written to out8 as bytes. */
KERNEL void recon_range(float *g, int w, const float *s, int wl, int hl, int y0, int y1, float *v,
                        const glia__musica_gain *gn, int last, float black, uint8_t *out8) {
  for (int Y = y0; Y < y1; Y++) {
    float *row = g + (size_t)Y * w;
    if (gn) gain_row(row, w, gn);
    up_vrow(s, wl, hl, Y, v);
    up_hrow(v, w, row, UP_OP_ADD);
    if (!last) continue;
    if (out8) {
      uint8_t *o = out8 + (size_t)Y * w;
      for (int x = 0; x < w; x++) o[x] = glia__sat_u8f((row[x] < black ? 0.f : row[x]) * 255.f);
    } else {
      for (int x = 0; x < w; x++) row[x] = row[x] < black ? 0.f : row[x];
    }
  }
}

/* Bytes to floats in [0, 1]. */
KERNEL void from_u8_row(const uint8_t *restrict s, size_t n, float *restrict f) {
  for (size_t i = 0; i < n; i++) f[i] = s[i] * (1.f / 255);
}

/* ---- instruction-set versions ------------------------------------------------------------ */

typedef struct musica_isa {
  void (*down)(const float *src, int w, int h, float *dst, int y0, int y1, float *v);
  void (*up)(const float *s, int wl, int hl, float *dst, int W, int y0, int y1, float *v);
  float (*decompose)(float *g, int w, const float *s, int wl, int hl, int y0, int y1, float *v);
  void (*recon)(float *g, int w, const float *s, int wl, int hl, int y0, int y1, float *v,
                const glia__musica_gain *gn, int last, float black, uint8_t *out8);
  void (*gain)(float *l, int n, const glia__musica_gain *g);
  void (*from_u8)(const uint8_t *s, size_t n, float *f);
} musica_isa;

/* The same kernels compiled for each instruction set. */
static void down_plain(const float *src, int w, int h, float *dst, int y0, int y1, float *v) {
  down_range(src, w, h, dst, y0, y1, v);
}
static void up_plain(const float *s, int wl, int hl, float *dst, int W, int y0, int y1, float *v) {
  up_range(s, wl, hl, dst, W, y0, y1, v);
}
static float decompose_plain(float *g, int w, const float *s, int wl, int hl, int y0, int y1,
                             float *v) {
  return decompose_range(g, w, s, wl, hl, y0, y1, v);
}
static void recon_plain(float *g, int w, const float *s, int wl, int hl, int y0, int y1, float *v,
                        const glia__musica_gain *gn, int last, float black, uint8_t *out8) {
  recon_range(g, w, s, wl, hl, y0, y1, v, gn, last, black, out8);
}
static void gain_plain(float *l, int n, const glia__musica_gain *g) { gain_row(l, n, g); }
static void from_u8_plain(const uint8_t *s, size_t n, float *f) { from_u8_row(s, n, f); }
static const musica_isa isa_plain = {down_plain,  up_plain,   decompose_plain,
                                     recon_plain, gain_plain, from_u8_plain};

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GLIA_MUSICA_AVX2 1
__attribute__((target("avx2,fma"))) static void down_avx2(const float *src, int w, int h,
                                                          float *dst, int y0, int y1, float *v) {
  down_range(src, w, h, dst, y0, y1, v);
}
__attribute__((target("avx2,fma"))) static void up_avx2(const float *s, int wl, int hl, float *dst,
                                                        int W, int y0, int y1, float *v) {
  up_range(s, wl, hl, dst, W, y0, y1, v);
}
__attribute__((target("avx2,fma"))) static float
decompose_avx2(float *g, int w, const float *s, int wl, int hl, int y0, int y1, float *v) {
  return decompose_range(g, w, s, wl, hl, y0, y1, v);
}
__attribute__((target("avx2,fma"))) static void recon_avx2(float *g, int w, const float *s, int wl,
                                                           int hl, int y0, int y1, float *v,
                                                           const glia__musica_gain *gn, int last,
                                                           float black, uint8_t *out8) {
  recon_range(g, w, s, wl, hl, y0, y1, v, gn, last, black, out8);
}
__attribute__((target("avx2,fma"))) static void gain_avx2(float *l, int n,
                                                          const glia__musica_gain *g) {
  gain_row(l, n, g);
}
__attribute__((target("avx2,fma"))) static void from_u8_avx2(const uint8_t *s, size_t n, float *f) {
  from_u8_row(s, n, f);
}
static const musica_isa isa_avx2 = {down_avx2,  up_avx2,   decompose_avx2,
                                    recon_avx2, gain_avx2, from_u8_avx2};

/* AVX-512 (F, VL, BW, DQ): 16 lanes, asked for explicitly since compilers otherwise keep
 * 256-bit vectors on some tunings. */
#if defined(__clang__)
#define AVX512                                                                                     \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), min_vector_width(512)))
#else
#define AVX512                                                                                     \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,prefer-vector-width=512")))
#endif
AVX512 static void down_avx512(const float *src, int w, int h, float *dst, int y0, int y1,
                               float *v) {
  down_range(src, w, h, dst, y0, y1, v);
}
AVX512 static void up_avx512(const float *s, int wl, int hl, float *dst, int W, int y0, int y1,
                             float *v) {
  up_range(s, wl, hl, dst, W, y0, y1, v);
}
AVX512 static float decompose_avx512(float *g, int w, const float *s, int wl, int hl, int y0,
                                     int y1, float *v) {
  return decompose_range(g, w, s, wl, hl, y0, y1, v);
}
AVX512 static void recon_avx512(float *g, int w, const float *s, int wl, int hl, int y0, int y1,
                                float *v, const glia__musica_gain *gn, int last, float black,
                                uint8_t *out8) {
  recon_range(g, w, s, wl, hl, y0, y1, v, gn, last, black, out8);
}
AVX512 static void gain_avx512(float *l, int n, const glia__musica_gain *g) { gain_row(l, n, g); }
AVX512 static void from_u8_avx512(const uint8_t *s, size_t n, float *f) { from_u8_row(s, n, f); }
static const musica_isa isa_avx512 = {down_avx512,  up_avx512,   decompose_avx512,
                                      recon_avx512, gain_avx512, from_u8_avx512};
#endif

/* Which version runs: GLIA__MUSICA_AUTO, or one forced by glia__musica_use_isa (tests). */
static int isa_forced = GLIA__MUSICA_AUTO;

static int isa_available(int isa) {
  if (isa == GLIA__MUSICA_PLAIN) return 1;
#ifdef GLIA_MUSICA_AVX2
  __builtin_cpu_init();
  int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == GLIA__MUSICA_AVX2) return avx2;
  if (isa == GLIA__MUSICA_AVX512)
    return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#endif
  return 0;
}

int glia__musica_use_isa(int isa) {
  if (isa != GLIA__MUSICA_AUTO && !isa_available(isa)) return 0;
  isa_forced = isa;
  return 1;
}

static const musica_isa *select_isa(void) {
  int isa = isa_forced;
  if (isa == GLIA__MUSICA_AUTO) {
    const char *ref = getenv("GLIA_REFERENCE");
    if (ref && !strcmp(ref, "1")) return &isa_plain;
    isa = isa_available(GLIA__MUSICA_AVX512)
              ? GLIA__MUSICA_AVX512
              : (isa_available(GLIA__MUSICA_AVX2) ? GLIA__MUSICA_AVX2 : GLIA__MUSICA_PLAIN);
  }
#ifdef GLIA_MUSICA_AVX2
  if (isa == GLIA__MUSICA_AVX512) return &isa_avx512;
  if (isa == GLIA__MUSICA_AVX2) return &isa_avx2;
#endif
  return &isa_plain;
}

void glia__musica_gain_row(float *l, int n, const glia__musica_gain *g) {
  select_isa()->gain(l, n, g);
}

void glia__musica_gain_init(glia__musica_gain *g, double max_abs, double power, double gain,
                            double noise_pct) {
  double c = noise_pct / 100;
  g->power = (float)power;
  g->amp = (float)(gain * pow(max_abs, 1 - power));
  g->joint = (float)(c * max_abs);
  g->joint = g->joint > FLT_MIN ? g->joint : FLT_MIN; /* zeros and subnormals stay linear */
  /* Below c·M the curve is the line through 0 that meets the power law at c·M. */
  g->slope = c > 0 ? (float)(gain * pow(c, power - 1)) : 0.f;
}

/* ---- drivers ----------------------------------------------------------------------------- */

/* Threads for a plane: one unless it is large (GLIA__PAR's 2^17 pixels). */
static int plane_threads(int w, int h) {
#ifdef _OPENMP
  if ((size_t)w * h >= ((size_t)1 << 17)) return omp_get_max_threads();
#endif
  (void)w;
  (void)h;
  return 1;
}

glia_status glia_pyr_down_f32(const float *src, int width, int height, float *dst) {
  glia_status s = glia__check_plane("pyramid down", src, dst, width, height);
  if (s) return s;
  float *v = glia_malloc(((size_t)width + 4) * sizeof(float));
  if (!v) return glia_error(GLIA_ERR_NOMEM, "pyramid down: out of memory");
  select_isa()->down(src, width, height, dst, 0, (height + 1) / 2, v);
  glia_free(v);
  return GLIA_OK;
}

glia_status glia_pyr_up_f32(const float *src, int width, int height, float *dst, int out_width,
                            int out_height) {
  glia_status s = glia__check_plane("pyramid up", src, dst, width, height);
  if (s) return s;
  if ((out_width != 2 * width && out_width != 2 * width - 1) ||
      (out_height != 2 * height && out_height != 2 * height - 1))
    return glia_error(GLIA_ERR_ARGUMENT,
                      "pyramid up: output %d×%d from %d×%d, expected twice the size (or one less)",
                      out_width, out_height, width, height);
  float *v = glia_malloc(((size_t)width + 2) * sizeof(float));
  if (!v) return glia_error(GLIA_ERR_NOMEM, "pyramid up: out of memory");
  select_isa()->up(src, width, height, dst, out_width, 0, out_height, v);
  glia_free(v);
  return GLIA_OK;
}

static glia_status check_opts(const glia_musica_opts *o) {
  if (o->levels < 1 || o->levels > 12)
    return glia_error(GLIA_ERR_ARGUMENT, "musica: %d levels, expected 1..12", o->levels);
  if (!(o->power > 0 && o->power <= 1) || !(o->gain > 0 && o->gain <= 100) ||
      !(o->noise_pct >= 0 && o->noise_pct < 100))
    return glia_error(GLIA_ERR_ARGUMENT,
                      "musica: power %g gain %g noise %g%%, expected power in (0,1], gain in "
                      "(0,100], noise in [0,100)",
                      o->power, o->gain, o->noise_pct);
  return GLIA_OK;
}

/* One pass over level k of a pyramid, in nt row bands (one per thread when the plane is
 * large, else all in this thread, without an OpenMP region: 18 of them cost 3% of a 256²
 * image). */
typedef struct pyramid {
  const musica_isa *isa;
  float **g;
  const int *ws, *hs;
  int nt;
  float *rows; /* nt padded rows of `row` floats */
  size_t row;
  const glia__musica_gain *gains; /* reconstruction */
  float black;
  uint8_t *out8;
} pyramid;

enum { PASS_DOWN, PASS_DECOMPOSE, PASS_RECON };

/* Band t of nt of a pass; returns max |L_k| over the band for PASS_DECOMPOSE, else 0. */
static float pass_band(const pyramid *p, int pass, int k, int t) {
  const int *ws = p->ws, *hs = p->hs, nt = p->nt;
  float *const *g = p->g, *v = p->rows + (size_t)t * p->row;
  int rows = pass == PASS_DOWN ? hs[k + 1] : hs[k];
  int y0 = (int)((long)rows * t / nt), y1 = (int)((long)rows * (t + 1) / nt);
  if (pass == PASS_DOWN) {
    p->isa->down(g[k], ws[k], hs[k], g[k + 1], y0, y1, v);
    return 0;
  }
  if (pass == PASS_DECOMPOSE)
    return p->isa->decompose(g[k], ws[k], g[k + 1], ws[k + 1], hs[k + 1], y0, y1, v);
  const glia__musica_gain *gn = &p->gains[k];
  p->isa->recon(g[k], ws[k], g[k + 1], ws[k + 1], hs[k + 1], y0, y1, v, gn->on ? gn : NULL, k == 0,
                p->black, p->out8);
  return 0;
}

static float run_pass(const pyramid *p, int pass, int k) {
  float m = 0;
  if (p->nt > 1 && (size_t)p->ws[k] * p->hs[k] >= ((size_t)1 << 17)) {
#pragma omp parallel for schedule(static) reduction(max : m)
    for (int t = 0; t < p->nt; t++) {
      float mt = pass_band(p, pass, k, t);
      m = mt > m ? mt : m;
    }
  } else {
    for (int t = 0; t < p->nt; t++) {
      float mt = pass_band(p, pass, k, t);
      m = mt > m ? mt : m;
    }
  }
  return m;
}

/* MUSICA in place on g0 (width·height floats), or into out8 as bytes when out8 is not NULL.
 * All scratch (the coarser levels and one padded row per thread) in one allocation. */
static glia_status musica(float *g0, uint8_t *out8, int width, int height,
                          const glia_musica_opts *o) {
  /* Fewer levels when the image is small: the coarsest plane keeps at least 2 pixels a side. */
  int levels = 0, ws[13], hs[13];
  ws[0] = width;
  hs[0] = height;
  while (levels < o->levels && ws[levels] >= 4 && hs[levels] >= 4) {
    ws[levels + 1] = (ws[levels] + 1) / 2;
    hs[levels + 1] = (hs[levels] + 1) / 2;
    levels++;
  }
  int nt = plane_threads(width, height);
  size_t row = (size_t)width + 4, total = (size_t)nt * row;
  for (int k = 1; k <= levels; k++) total += (size_t)ws[k] * hs[k];
  float *arena = glia_malloc(total * sizeof(float)), *g[13] = {g0};
  if (!arena)
    return glia_error(GLIA_ERR_NOMEM, "musica: out of memory for a %d×%d pyramid", width, height);
  float *next = arena + (size_t)nt * row;
  for (int k = 1; k <= levels; k++) {
    g[k] = next;
    next += (size_t)ws[k] * hs[k];
  }
  pyramid p = {select_isa(), g, ws, hs, nt, arena, row, NULL, 0, NULL};
  glia__musica_gain gains[12];
  for (int k = 0; k < levels; k++) run_pass(&p, PASS_DOWN, k);
  /* Laplacian levels g[k] − up(g[k+1]), finest first so that g[k+1] is still intact. */
  for (int k = 0; k < levels; k++) {
    float m = run_pass(&p, PASS_DECOMPOSE, k);
    glia__musica_gain_init(&gains[k], m, o->power, o->gain, o->noise_pct);
    gains[k].on = o->amplify && m > 0;
  }
  /* Reconstruction, coarsest first: g[k] = gain(L_k) + up(g[k+1]). */
  float black = (float)o->black_level;
  p.gains = gains;
  p.black = black;
  p.out8 = out8;
  for (int k = levels - 1; k >= 0; k--) run_pass(&p, PASS_RECON, k);
  if (!levels) { /* no level fits: the black level (and bytes) only */
    size_t n = (size_t)width * height;
    for (size_t i = 0; i < n; i++) g0[i] = g0[i] < black ? 0.f : g0[i];
    if (out8)
      for (size_t i = 0; i < n; i++) out8[i] = glia__sat_u8f(g0[i] * 255.f);
  }
  glia_free(arena);
  return GLIA_OK;
}

glia_status glia_musica_f32(const float *src, float *dst, int width, int height,
                            const glia_musica_opts *opts) {
  glia_status s = glia__check_plane("musica", src, dst, width, height);
  if (s) return s;
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  if (opts) o = *opts;
  if ((s = check_opts(&o))) return s;
  if (dst != src) memcpy(dst, src, (size_t)width * height * sizeof(float));
  return musica(dst, NULL, width, height, &o);
}

glia_status glia_musica_u8(const uint8_t *src, uint8_t *dst, int width, int height,
                           const glia_musica_opts *opts) {
  glia_status s = glia__check_plane("musica", src, dst, width, height);
  if (s) return s;
  glia_musica_opts o = GLIA_MUSICA_DEFAULTS;
  if (opts) o = *opts;
  if ((s = check_opts(&o))) return s;
  size_t n = (size_t)width * height;
  float *f = glia_malloc(n * sizeof(float));
  if (!f) return glia_error(GLIA_ERR_NOMEM, "musica: out of memory");
  select_isa()->from_u8(src, n, f);
  s = musica(f, dst, width, height, &o);
  glia_free(f);
  return s;
}
