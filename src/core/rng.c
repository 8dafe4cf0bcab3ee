/* xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018)
 * seeded through splitmix64. */
#include <math.h>

#include "glia/rng.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void glia_rng_seed(glia_rng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (0xd1b54a32d192ed03ull * (stream + 1));
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t glia_rng_u64(glia_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double glia_rng_uniform(glia_rng *r) { return (double)(glia_rng_u64(r) >> 11) * 0x1.0p-53; }

uint64_t glia_rng_below(glia_rng *r, uint64_t n) {
  if (n == 0) return 0;
  uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
  uint64_t v;
  do v = glia_rng_u64(r);
  while (v >= limit);
  return v % n;
}

double glia_rng_normal(glia_rng *r) {
  double u = glia_rng_uniform(r), v = glia_rng_uniform(r);
  return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}
