/* philox.h: the Philox 4x32-10 counter-based generator and the conversions of its output
 * to uniform and normal numbers, host+device (LT_HD) so the CUDA kernels compute the
 * same numbers as the CPU.
 *
 * Stream layout (the contract a device kernel must follow to match the CPU):
 *  - key = the generator's 64-bit seed (low word k0, high word k1);
 *    counter = the 64-bit block number (low word c0, high word c1), c2 = c3 = 0.
 *    A block gives four 32-bit lanes.
 *  - A fill of n elements starts at block `offset` (the generator's offset) and then
 *    advances the offset by the number of blocks it used.
 *  - "Narrow" fills (32 bits per element: every distribution into a tensor that is not
 *    a DoubleTensor, integer ranges of up to 2^16 values): element i uses block
 *    offset + i/4, lane i%4; ceil(n/4) blocks.
 *  - "Wide" fills (64 bits per element: distributions into DoubleTensors, integer ranges
 *    of more than 2^16 values): element i uses block offset + i/2, lanes 2*(i%2) (low
 *    word) and 2*(i%2)+1 (high); ceil(n/2) blocks.
 *  - randperm and multinomial use wide draws k = 0, 1, ... (randperm: draw k swaps
 *    position k with k + draw % (n-k); multinomial: draw r*n+s for sample s of row r with
 *    replacement, draw r*K+k for category k of row r without).
 *  - Uniforms: a narrow lane x is x * 2^-32 in [0,1) (lt_u32_to_unit_d), a wide pair
 *    is its top 53 bits * 2^-53 (lt_u64_to_unit_d); the distributions below transform
 *    them in double precision.
 *  - Normals (Box-Muller) come in pairs from the same lanes: narrow, elements 4b+0/4b+1
 *    use lanes (0,1) and 4b+2/4b+3 lanes (2,3) of block b; wide, elements 2b/2b+1 use
 *    the 64-bit numbers (lanes 0,1) and (lanes 2,3). The first uniform of a pair is
 *    mapped to (0,1] (it goes through log), the second to [0,1); the even element gets
 *    r*cos(theta), the odd one r*sin(theta). Narrow normals compute in float
 *    (lt_box_muller_f: the lane uniforms rounded to float), wide ones in double.
 *  - Integers in [lo, lo+range): lo + x % range, x the lane (narrow) or pair (wide).
 */
#ifndef LT_PHILOX_H
#define LT_PHILOX_H

#include "scalar_math.h"
#include <stdint.h>

typedef struct { uint32_t x[4]; } lt_u32x4;

#define LT_PHILOX_M0 0xD2511F53u
#define LT_PHILOX_M1 0xCD9E8D57u
#define LT_PHILOX_W0 0x9E3779B9u
#define LT_PHILOX_W1 0xBB67AE85u

LT_HD static inline lt_u32x4 lt_philox_round(lt_u32x4 c, uint32_t k0, uint32_t k1) {
  uint64_t p0 = (uint64_t)LT_PHILOX_M0 * c.x[0];
  uint64_t p1 = (uint64_t)LT_PHILOX_M1 * c.x[2];
  lt_u32x4 r;
  r.x[0] = (uint32_t)(p1 >> 32) ^ c.x[1] ^ k0;
  r.x[1] = (uint32_t)p1;
  r.x[2] = (uint32_t)(p0 >> 32) ^ c.x[3] ^ k1;
  r.x[3] = (uint32_t)p0;
  return r;
}

/* Philox 4x32-10 of an arbitrary 128-bit counter and 64-bit key (Random123's). */
LT_HD static inline lt_u32x4 lt_philox4x32_10(lt_u32x4 c, uint32_t k0, uint32_t k1) {
  for (int i = 0; i < 9; i++) {
    c = lt_philox_round(c, k0, k1);
    k0 += LT_PHILOX_W0;
    k1 += LT_PHILOX_W1;
  }
  return lt_philox_round(c, k0, k1);
}

/* The block `block` of the stream of `seed`. */
LT_HD static inline lt_u32x4 lt_philox_block(uint64_t seed, uint64_t block) {
  lt_u32x4 c;
  c.x[0] = (uint32_t)block;
  c.x[1] = (uint32_t)(block >> 32);
  c.x[2] = 0;
  c.x[3] = 0;
  return lt_philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* ---- conversions ---- */
/* 32 bits -> double in [0,1) and in (0,1] (for logarithms) */
LT_HD static inline double lt_u32_to_unit_d(uint32_t x) { return (double)x * 0x1p-32; }
LT_HD static inline double lt_u32_to_unit_open_d(uint32_t x) { return ((double)x + 1.0) * 0x1p-32; }
/* 64 bits (lo, hi) -> double in [0,1) (53 random bits) */
LT_HD static inline uint64_t lt_u32_pair(uint32_t lo, uint32_t hi) { return ((uint64_t)hi << 32) | lo; }
LT_HD static inline double lt_u64_to_unit_d(uint64_t x) { return (double)(x >> 11) * 0x1p-53; }
/* 64 bits -> double in (0,1] */
LT_HD static inline double lt_u64_to_unit_open_d(uint64_t x) { return (double)((x >> 11) + 1) * 0x1p-53; }

/* Box-Muller: u1 in (0,1], u2 in [0,1) -> two independent standard normals */
LT_HD static inline void lt_box_muller(double u1, double u2, double *z0, double *z1) {
  double r = sqrt(-2.0 * log(u1));
  double th = 6.283185307179586476925 * u2;
  *z0 = r * cos(th);
  *z1 = r * sin(th);
}

/* the same in float (narrow normals): u1 in (0,1], u2 in [0,1] */
LT_HD static inline void lt_box_muller_f(float u1, float u2, float *z0, float *z1) {
  float r = sqrtf(-2.0f * logf(u1));
  float th = 6.28318530717958647692f * u2;
  *z0 = r * cosf(th);
  *z1 = r * sinf(th);
}

/* ---- distributions of one uniform u in [0,1) (Torch7's formulas) ---- */
LT_HD static inline double lt_rng_uniform(double u, double a, double b) { return a + (b - a) * u; }
/* kept below b once stored: cap is the largest value of the result type below b
 * (rounding a + (b-a)*u to that type could otherwise reach b) */
LT_HD static inline double lt_rng_uniform_capped(double u, double a, double b, double cap) {
  double v = a + (b - a) * u;
  return v > cap ? (cap > a ? cap : a) : v;
}
LT_HD static inline double lt_rng_exponential(double u, double lambda) { return -log1p(-u) / lambda; }
/* p(i) = (1-p) p^(i-1), i >= 1 (Torch7's parametrization) */
LT_HD static inline double lt_rng_geometric(double u, double p) { return floor(log1p(-u) / log(p)) + 1.0; }
LT_HD static inline double lt_rng_cauchy(double u, double median, double sigma) {
  return median + sigma * tan(3.141592653589793238463 * (u - 0.5));
}
LT_HD static inline double lt_rng_bernoulli(double u, double p) { return u < p ? 1.0 : 0.0; }
/* an integer in [lo, lo + range - 1]; range 0 means all 2^64 values */
LT_HD static inline int64_t lt_rng_int64(uint64_t x, int64_t lo, uint64_t range) {
  return (int64_t)((uint64_t)lo + (range ? x % range : x));
}

#endif
