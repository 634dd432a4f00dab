/* scalar_math.h: the arithmetic of one element, shared by the CPU kernels and the CUDA
 * kernels (every function is host+device), so the CPU tests check what the GPU runs. */
#ifndef LT_SCALAR_MATH_H
#define LT_SCALAR_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define LT_HD __host__ __device__
#else
#define LT_HD
#endif

/* ---- float16 / bfloat16 <-> float32 (round to nearest even) ---- */
LT_HD static inline uint32_t lt_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
LT_HD static inline float lt_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

LT_HD static inline float lt_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0) {
    if (man == 0) return lt_bits_f32(sign);
    float f = (float)man * 5.9604644775390625e-8f;  /* subnormal: man * 2^-24 */
    return sign ? -f : f;
  }
  if (exp == 31) return lt_bits_f32(sign | 0x7f800000u | (man << 13));
  return lt_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

LT_HD static inline uint16_t lt_float_to_half(float f) {
  uint32_t x = lt_f32_bits(f), sign = (x >> 16) & 0x8000;
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);        /* overflow to inf */
  if (ax < 0x38800000u) {                                           /* subnormal or zero */
    float a = lt_bits_f32(ax) * 16777216.0f;                        /* * 2^24 */
    uint32_t m = (uint32_t)a;
    float rem = a - (float)m;
    if (rem > 0.5f || (rem == 0.5f && (m & 1))) m++;
    return (uint16_t)(sign | m);
  }
  uint32_t e = (ax >> 23) - 112, m = ax & 0x7fffff;
  uint32_t h = (e << 10) | (m >> 13);
  uint32_t r = m & 0x1fff;
  if (r > 0x1000 || (r == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

LT_HD static inline float lt_bf16_to_float(uint16_t b) { return lt_bits_f32((uint32_t)b << 16); }
LT_HD static inline uint16_t lt_float_to_bf16(float f) {
  uint32_t x = lt_f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);  /* NaN stays NaN */
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

/* ---- activations and odd functions ---- */
LT_HD static inline double lt_sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}
LT_HD static inline float lt_sigmoidf(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}
LT_HD static inline double lt_sign(double x) { return (double)((x > 0) - (x < 0)); }
LT_HD static inline double lt_frac(double x) { return x - trunc(x); }
LT_HD static inline double lt_rsqrt(double x) { return 1.0 / sqrt(x); }
/* Torch7 round: half away from zero */
LT_HD static inline double lt_round(double x) { return round(x); }
/* Python-style remainder: the sign of the divisor */
LT_HD static inline double lt_remainder(double a, double b) {
  double r = fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
LT_HD static inline float lt_remainderf(float a, float b) {
  float r = fmodf(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
/* derivative helpers used by backward formulas (and their kernels) */
LT_HD static inline double lt_dtanh_from_out(double y) { return 1.0 - y * y; }
LT_HD static inline double lt_dsigmoid_from_out(double y) { return y * (1.0 - y); }

/* Integer helpers that never trap (division by zero gives 0, INT_MIN/-1 wraps). */
#define LT_INT_DIV(T, a, b) ((b) == 0 ? (T)0 : ((b) == -1 ? (T)(0 - (uint64_t)(a)) : (T)((a) / (b))))
#define LT_INT_MOD(T, a, b) ((b) == 0 || (b) == -1 ? (T)0 : (T)((a) % (b)))

#endif
