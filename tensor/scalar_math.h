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

/* ---- nn_rnn.c: LSTM and GRU cell element math (PyTorch's gate orders) ----
 * lt_lstm_fwd_{f,d}: from the pre-activations (pi, pf, pg, po) of the gates i, f, g, o and
 * the old cell c: the gates, the new cell c1, tanh(c1) (kept for backward) and h1.
 * lt_lstm_bwd_{f,d}: from the saved gates, tanh(c1), c and the gradients gh of h1 and gc of
 * c1: the gradients of the four pre-activations and of c.
 * lt_gru_fwd_{f,d}: from the input part (ir, iz, in: W_i. x + b_i.) and hidden part (hr,
 * hz, hn: W_h. h + b_h.) of the pre-activations and the old h: r, z, n and h1, with
 * n = tanh(in + r * hn) and h1 = (1 - z) n + z h.
 * lt_gru_bwd_{f,d}: from r, z, n, hn, h and the gradient g of h1: the gradients of the
 * pre-activations (dr, dz: both parts; dn: the input part, dhn: the hidden part) and dh,
 * the direct part of h's gradient (the z h term). */
#define LT_RNN_MATH(T, S, SIG, TANH)                                                        \
  LT_HD static inline void lt_lstm_fwd_##S(T pi, T pf, T pg, T po, T c, T *i, T *f, T *g,  \
                                           T *o, T *c1, T *tc1, T *h1) {                   \
    *i = SIG(pi); *f = SIG(pf); *g = TANH(pg); *o = SIG(po);                                \
    *c1 = *f * c + *i * *g;                                                                 \
    *tc1 = TANH(*c1);                                                                       \
    *h1 = *o * *tc1;                                                                        \
  }                                                                                         \
  LT_HD static inline void lt_lstm_bwd_##S(T i, T f, T g, T o, T tc1, T c, T gh, T gc,      \
                                           T *di, T *df, T *dg, T *dout, T *dc) {           \
    T dct = gc + gh * o * ((T)1 - tc1 * tc1);                                               \
    *dout = gh * tc1 * o * ((T)1 - o);                                                      \
    *di = dct * g * i * ((T)1 - i);                                                         \
    *df = dct * c * f * ((T)1 - f);                                                         \
    *dg = dct * i * ((T)1 - g * g);                                                         \
    *dc = dct * f;                                                                          \
  }                                                                                         \
  LT_HD static inline void lt_gru_fwd_##S(T ir, T iz, T in, T hr, T hz, T hn, T h, T *r,   \
                                          T *z, T *n, T *h1) {                              \
    *r = SIG(ir + hr); *z = SIG(iz + hz);                                                   \
    *n = TANH(in + *r * hn);                                                                \
    *h1 = ((T)1 - *z) * *n + *z * h;                                                        \
  }                                                                                         \
  LT_HD static inline void lt_gru_bwd_##S(T r, T z, T n, T hn, T h, T g, T *dr, T *dz,     \
                                          T *dn, T *dhn, T *dh) {                           \
    T dnp = g * ((T)1 - z) * ((T)1 - n * n);                                                \
    *dn = dnp;                                                                              \
    *dhn = dnp * r;                                                                         \
    *dr = dnp * hn * r * ((T)1 - r);                                                        \
    *dz = g * (h - n) * z * ((T)1 - z);                                                     \
    *dh = g * z;                                                                            \
  }
/* float32 exp, sigmoid and tanh for the cells: on the CPU a branch-free exp (Cephes'
 * polynomial, about 2 ulp; the argument clamped to [-87.3, 88.3], so it never gives 0 or
 * inf) that the compiler vectorizes, where libm's expf and tanhf are calls per element.
 * tanh(x) = 1 - 2 / (exp(2x) + 1): absolute error about 1e-7. */
LT_HD static inline float lt_rnn_expf(float x) {
#ifdef __CUDA_ARCH__
  return expf(x);
#else
  x = x < -87.3f ? -87.3f : x > 88.3f ? 88.3f : x;   /* (NaN: passes through to the result) */
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;   /* round to nearest */
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * lt_bits_f32((uint32_t)((int32_t)n + 127) << 23);
#endif
}
LT_HD static inline float lt_rnn_sigmoidf(float x) {
  float e = lt_rnn_expf(-fabsf(x)), s = 1.0f / (1.0f + e);
  return x >= 0 ? s : e * s;
}
LT_HD static inline float lt_rnn_tanhf(float x) { return 1.0f - 2.0f / (lt_rnn_expf(2.0f * x) + 1.0f); }
LT_RNN_MATH(float, f, lt_rnn_sigmoidf, lt_rnn_tanhf)
LT_RNN_MATH(double, d, lt_sigmoid, tanh)
#undef LT_RNN_MATH
/* ---- end nn_rnn.c ---- */


/* ---- nn_act.c: activations and their derivatives ----
 * lt_act_eval(op, k, x, p0, p1): the k-th derivative (k = 0: the function) of activation op
 * (an lt_act_op of luatorch.h) at x; p0, p1 the op's parameters (see luatorch.h). */
#include "luatorch.h"
#define LT_SQRT1_2 0.70710678118654752440
#define LT_INV_SQRT_2PI 0.39894228040143267794
LT_HD static inline double lt_softplus1(double x) {   /* log(1 + e^x), stable */
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}
LT_HD static inline double lt_act_eval(int op, int k, double x, double p0, double p1) {
  switch (op) {
  case LT_ACT_THRESHOLD: return k == 0 ? (x > p0 ? x : p1) : k == 1 ? (x > p0 ? 1.0 : 0.0) : 0.0;
  case LT_ACT_RELU: return k == 0 ? (x > 0 ? x : 0.0) : k == 1 ? (x > 0 ? 1.0 : 0.0) : 0.0;
  case LT_ACT_LEAKY_RELU: return k == 0 ? (x > 0 ? x : p0 * x) : k == 1 ? (x > 0 ? 1.0 : p0) : 0.0;
  case LT_ACT_ELU:
    if (x > 0) return k == 0 ? x : k == 1 ? 1.0 : 0.0;
    return k == 0 ? p0 * expm1(x) : p0 * exp(x);
  case LT_ACT_GELU: {   /* x Phi(x) */
    double pdf = LT_INV_SQRT_2PI * exp(-0.5 * x * x);
    if (k == 0) return x * 0.5 * (1.0 + erf(x * LT_SQRT1_2));
    if (k == 1) return 0.5 * (1.0 + erf(x * LT_SQRT1_2)) + x * pdf;
    if (k == 2) return pdf * (2.0 - x * x);
    return pdf * (x * x * x - 4.0 * x);
  }
  case LT_ACT_SILU: {   /* x sigmoid(x) */
    double s = x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)), u = s * (1.0 - s);
    if (k == 0) return x * s;
    if (k == 1) return s * (1.0 + x * (1.0 - s));
    if (k == 2) return u * (2.0 + x * (1.0 - 2.0 * s));
    return u * ((1.0 - 2.0 * s) * (3.0 + x * (1.0 - 2.0 * s)) - 2.0 * x * u);
  }
  case LT_ACT_SOFTPLUS: {   /* log(1 + e^(beta x)) / beta; x where beta x > threshold */
    double bx = p0 * x;
    if (bx > p1) return k == 0 ? x : k == 1 ? 1.0 : 0.0;
    if (k == 0) return lt_softplus1(bx) / p0;
    double s = bx >= 0 ? 1.0 / (1.0 + exp(-bx)) : exp(bx) / (1.0 + exp(bx)), u = s * (1.0 - s);
    if (k == 1) return s;
    if (k == 2) return p0 * u;
    return p0 * p0 * u * (1.0 - 2.0 * s);
  }
  case LT_ACT_HARDTANH:
    if (k == 0) return x < p0 ? p0 : x > p1 ? p1 : x;
    return k == 1 ? (x > p0 && x < p1 ? 1.0 : 0.0) : 0.0;
  default: return 0.0;
  }
}
/* ---- end nn_act.c ---- */

/* ---- nn_spatial.c: pooling geometry and batch norm, shared with device kernels ---- */
/* Output size of a pooling dim (Torch7/PyTorch): floor or ceil of (in + 2 pad - k) / d,
 * plus one; in ceil mode a last window starting in the right padding is dropped.
 * Requires in + 2 pad >= k. */
LT_HD static inline int64_t lt_pool_out_size(int64_t in, int64_t k, int64_t d, int64_t pad, bool ceil_mode) {
  int64_t num = in + 2 * pad - k;
  int64_t o = (ceil_mode ? (num + d - 1) / d : num / d) + 1;
  if (ceil_mode && (o - 1) * d >= in + pad) o--;
  return o;
}
/* The average-pooling window of output position o along one dim: [*lo, *hi) clipped to
 * the input; returns its extent within the padded input (Torch7's count_include_pad
 * divisor; the divisor otherwise is *hi - *lo). */
LT_HD static inline int64_t lt_avg_pool_window(int64_t o, int64_t in, int64_t k, int64_t d, int64_t pad,
                                               int64_t *lo, int64_t *hi) {
  int64_t s = o * d - pad, e = s + k < in + pad ? s + k : in + pad;
  int64_t ext = e - s;
  *lo = s > 0 ? s : 0;
  *hi = e < in ? e : in;
  return ext;
}
/* batch norm: 1 / sqrt(var + eps) */
LT_HD static inline double lt_bn_invstd(double var, double eps) { return 1.0 / sqrt(var + eps); }
/* ---- end nn_spatial.c ---- */

#endif

/* ---- act (nn_loss.c): the elementwise losses, shared with tensor/cuda/act.cu ----
 * lt_el_loss(k, a, b, w, pw): k 0 mse (a - b)^2; 1 bce of the probability a and target b,
 * weight w (logs clamped at -100); 2 bce with logits x = a, target t = b, weight w and
 * positive weight pw: w ((1 - t) x + (1 + (pw - 1) t) softplus(-x)). */
#ifndef LT_SCALAR_MATH_ACT_H
#define LT_SCALAR_MATH_ACT_H
LT_HD static inline double lt_el_loss(int k, double a, double b, double w, double pw) {
  switch (k) {
  case 0: { double d = a - b; return d * d; }
  case 1: {
    double lp = fmax(log(a), -100.0), l1p = fmax(log1p(-a), -100.0);
    return -w * (b * lp + (1.0 - b) * l1p);
  }
  default: {
    double lw = 1.0 + (pw - 1.0) * b;
    return w * ((1.0 - b) * a + lw * lt_softplus1(-a));
  }
  }
}
#endif
/* ---- end act ---- */
