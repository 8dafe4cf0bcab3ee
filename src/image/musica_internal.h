/* MUSICA's gain curve, shared with its tests. */
#ifndef GLIA_IMAGE_MUSICA_INTERNAL_H
#define GLIA_IMAGE_MUSICA_INTERNAL_H

/* One detail level's gain curve: y = slope·x for |x| < joint, else sign(x)·amp·|x|^power. */
typedef struct glia__musica_gain {
  float power, amp, joint, slope;
  int on; /* 0: the level is left as it is (amplification off, or an all-zero level) */
} glia__musica_gain;

/* The curve for a level whose largest |coefficient| is max_abs (glia_musica_opts' power, gain
 * and noise_pct). */
void glia__musica_gain_init(glia__musica_gain *g, double max_abs, double power, double gain,
                            double noise_pct);

/* Applies the curve to n values in place, with the kernels MUSICA uses on this CPU (the
 * power law by a polynomial exp2/log2, relative error under 1e-6, 3e-7 measured). */
void glia__musica_gain_row(float *l, int n, const glia__musica_gain *g);

/* The versions of MUSICA's kernels. glia__musica_use_isa forces one (GLIA__MUSICA_AUTO: back to
 * the run-time choice, the widest this CPU has, or plain with GLIA_REFERENCE=1) for all later
 * calls, not thread-safe, for tests; returns 0, changing nothing, when this CPU lacks it. */
enum { GLIA__MUSICA_AUTO = -1, GLIA__MUSICA_PLAIN, GLIA__MUSICA_AVX2, GLIA__MUSICA_AVX512 };
int glia__musica_use_isa(int isa);

#endif
