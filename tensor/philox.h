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
 *    (lt_box_muller_f: the lane uniforms rounded to float), wide ones in double. (The
 *    CPU's float32 fills take the float log, sqrt, cos and sin from the pointwise
 *    table's vector loops: within a few ulp of these, as a device's libm is.)
 *  - Integers in [lo, lo+range): lo + x % range, x the lane (narrow) or pair (wide).
 */
#ifndef LT_PHILOX_H
#define LT_PHILOX_H

#include "scalar_math.h"
#include <stdbool.h>
#include <stdint.h>

/* Double products and sums rounded as written: nvcc would otherwise contract a + b * c
 * into one fused multiply-add (the CPU build does not: -std=c11 turns contraction off),
 * and the last bit of the result would differ from the CPU's. */
LT_HD static inline double lt_dmul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
LT_HD static inline double lt_dadd(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

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
LT_HD static inline double lt_rng_uniform(double u, double a, double b) { return lt_dadd(a, lt_dmul(b - a, u)); }
/* kept below b once stored: cap is the largest value of the result type below b
 * (rounding a + (b-a)*u to that type could otherwise reach b) */
LT_HD static inline double lt_rng_uniform_capped(double u, double a, double b, double cap) {
  double v = lt_dadd(a, lt_dmul(b - a, u));
  return v > cap ? (cap > a ? cap : a) : v;
}
LT_HD static inline double lt_rng_exponential(double u, double lambda) { return -log1p(-u) / lambda; }
/* p(i) = (1-p) p^(i-1), i >= 1 (Torch7's parametrization) */
LT_HD static inline double lt_rng_geometric_l(double u, double logp) { return floor(log1p(-u) / logp) + 1.0; }
LT_HD static inline double lt_rng_geometric(double u, double p) { return lt_rng_geometric_l(u, log(p)); }
LT_HD static inline double lt_rng_cauchy(double u, double median, double sigma) {
  return lt_dadd(median, lt_dmul(sigma, tan(3.141592653589793238463 * (u - 0.5))));
}
LT_HD static inline double lt_rng_bernoulli(double u, double p) { return u < p ? 1.0 : 0.0; }
/* an integer in [lo, lo + range - 1]; range 0 means all 2^64 values */
LT_HD static inline int64_t lt_rng_int64(uint64_t x, int64_t lo, uint64_t range) {
  return (int64_t)((uint64_t)lo + (range ? x % range : x));
}


/* the k-th 64-bit draw of a stream starting at block base (wide layout) */
LT_HD static inline uint64_t lt_philox_draw64(uint64_t seed, uint64_t base, uint64_t k) {
  lt_u32x4 r = lt_philox_block(seed, base + k / 2);
  int l = (int)(k % 2) * 2;
  return lt_u32_pair(r.x[l], r.x[l + 1]);
}

/* ---- the element rule of the fills (random.c on the CPU, tensor/cuda/random.cu on the
 * GPU): what a fill computes for Philox block blk ---- */
enum {
  LT_RK_UNIFORM, LT_RK_NORMAL, LT_RK_LOGNORMAL, LT_RK_EXPONENTIAL, LT_RK_CAUCHY, LT_RK_GEOMETRIC,
  LT_RK_BERNOULLI, LT_RK_BERNOULLI_T, LT_RK_INT
};

typedef struct {
  int kind;                /* LT_RK_* */
  bool wide;               /* 64 bits per element (2 per block), else 32 (4 per block) */
  uint64_t seed, base;     /* key and first block */
  double a, b;             /* distribution parameters (LT_RK_GEOMETRIC: p and log(p)) */
  double cap;              /* LT_RK_UNIFORM: the largest value of the result type below b */
  const double *p;         /* LT_RK_BERNOULLI_T: one probability per element (contiguous,
                            * on the tensor's device) */
  int64_t lo;              /* LT_RK_INT: lo + x % range */
  uint64_t range;
} lt_rng_spec;

/* Values of a block whose Philox output is r (elements blk*per ...) of a real-valued fill
 * as doubles; returns the count (2 wide, 4 narrow). LT_RK_BERNOULLI_T gives the uniforms
 * (the caller knows each element's p). */
LT_HD static inline int lt_rng_real_lanes(const lt_rng_spec *s, lt_u32x4 r, double *v) {
  int m = s->wide ? 2 : 4;
  if (s->kind == LT_RK_NORMAL || s->kind == LT_RK_LOGNORMAL) {
    if (s->wide) {
      lt_box_muller(lt_u64_to_unit_open_d(lt_u32_pair(r.x[0], r.x[1])),
                    lt_u64_to_unit_d(lt_u32_pair(r.x[2], r.x[3])), &v[0], &v[1]);
    } else {
      float z[4];
      lt_box_muller_f((float)lt_u32_to_unit_open_d(r.x[0]), (float)lt_u32_to_unit_d(r.x[1]), &z[0], &z[1]);
      lt_box_muller_f((float)lt_u32_to_unit_open_d(r.x[2]), (float)lt_u32_to_unit_d(r.x[3]), &z[2], &z[3]);
      for (int k = 0; k < 4; k++) v[k] = z[k];
    }
    for (int k = 0; k < m; k++) {
      v[k] = lt_dadd(s->a, lt_dmul(s->b, v[k]));
      if (s->kind == LT_RK_LOGNORMAL) v[k] = exp(v[k]);
    }
    return m;
  }
  double u[4];
  if (s->wide) {
    u[0] = lt_u64_to_unit_d(lt_u32_pair(r.x[0], r.x[1]));
    u[1] = lt_u64_to_unit_d(lt_u32_pair(r.x[2], r.x[3]));
  } else {
    for (int k = 0; k < 4; k++) u[k] = lt_u32_to_unit_d(r.x[k]);
  }
  for (int k = 0; k < m; k++) {
    switch (s->kind) {
    case LT_RK_UNIFORM: v[k] = lt_rng_uniform_capped(u[k], s->a, s->b, s->cap); break;
    case LT_RK_EXPONENTIAL: v[k] = lt_rng_exponential(u[k], s->a); break;
    case LT_RK_CAUCHY: v[k] = lt_rng_cauchy(u[k], s->a, s->b); break;
    case LT_RK_GEOMETRIC: v[k] = lt_rng_geometric_l(u[k], s->b); break;   /* b = log(p), from the host */
    case LT_RK_BERNOULLI: v[k] = lt_rng_bernoulli(u[k], s->a); break;
    default: v[k] = u[k]; break;
    }
  }
  return m;
}

/* the same for block blk of the fill's stream */
LT_HD static inline int lt_rng_real_block(const lt_rng_spec *s, uint64_t blk, double *v) {
  return lt_rng_real_lanes(s, lt_philox_block(s->seed, s->base + blk), v);
}

/* LT_RK_INT: the integer of lane k (0..per-1) of block r */
LT_HD static inline int64_t lt_rng_int_lane(const lt_rng_spec *s, const lt_u32x4 *r, int k) {
  uint64_t x = s->wide ? lt_u32_pair(r->x[2 * k], r->x[2 * k + 1]) : r->x[k];
  return lt_rng_int64(x, s->lo, s->range);
}

#endif
