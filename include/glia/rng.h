/* glia random numbers: one seeded generator type (xoshiro256**, Blackman & Vigna 2018) with
 * independent streams per worker, so the same seed and thread count give the same bits. */
#ifndef GLIA_RNG_H
#define GLIA_RNG_H

#include <stdint.h>

#include "glia/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct glia_rng {
  uint64_t s[4];
} glia_rng;

/* Seeds a generator: stream k of a seed is independent of stream j ≠ k (the state comes
 * from splitmix64 of seed and stream). */
GLIA_API void glia_rng_seed(glia_rng *r, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
GLIA_API uint64_t glia_rng_u64(glia_rng *r);

/* Uniform double in [0, 1) with 53 random bits. */
GLIA_API double glia_rng_uniform(glia_rng *r);

/* Uniform integer in [0, n) without modulo bias; 0 when n == 0. */
GLIA_API uint64_t glia_rng_below(glia_rng *r, uint64_t n);

/* Standard normal deviate (Box-Muller, one of the pair). */
GLIA_API double glia_rng_normal(glia_rng *r);

#ifdef __cplusplus
}
#endif
#endif
