/* pointwise_kernels.c: the CPU inner loops of every unary and binary op, for every
 * arithmetic dtype. Each loop runs one stretch of the iterator: data[0] is the output,
 * data[1] (and data[2]) the inputs, strides in bytes. Contiguous stretches get a plain
 * indexed loop the compiler vectorizes. */
#include "internal.h"
#include "pointwise.h"
#include <tgmath.h>
#pragma GCC diagnostic ignored "-Wtype-limits"  /* generic loops compare unsigned types with 0 */

/* the computing type and the store conversion per dtype */
#define CT_FLOAT32 float
#define CT_FLOAT64 double
#define CT_INT64 int64_t
#define CT_INT32 int32_t
#define CT_INT16 int16_t
#define CT_INT8 int8_t
#define CT_UINT8 uint8_t
#define CT_BOOL uint8_t

#define ST_FLOAT32(v) ((float)(v))
#define ST_FLOAT64(v) ((double)(v))
#define ST_INT64(v) ((int64_t)(v))
#define ST_INT32(v) ((int32_t)(v))
#define ST_INT16(v) ((int16_t)(v))
#define ST_INT8(v) ((int8_t)(v))
#define ST_UINT8(v) ((uint8_t)(v))
#define ST_BOOL(v) ((uint8_t)((v) != 0))

/* saturating conversion of a double into an integer type (no UB on NaN or overflow) */
static inline int64_t sat64(double v, double lo, double hi) {
  if (v != v) return 0;
  if (v <= lo) return (int64_t)lo;
  if (v >= hi) return hi >= 9.2233720368547758e18 ? INT64_MAX : (int64_t)hi;   /* (int64_t)2^63 is UB */
  return (int64_t)v;
}
#define SD_INT64(v) ((int64_t)sat64((v), -9.2233720368547758e18, 9.2233720368547758e18))
#define SD_INT32(v) ((int32_t)sat64((v), -2147483648.0, 2147483647.0))
#define SD_INT16(v) ((int16_t)sat64((v), -32768.0, 32767.0))
#define SD_INT8(v) ((int8_t)sat64((v), -128.0, 127.0))
#define SD_UINT8(v) ((uint8_t)sat64((v), 0.0, 255.0))
#define SD_BOOL(v) ((uint8_t)((v) != 0))

#define SIGMOID(x) _Generic((x), float: lt_sigmoidf, default: lt_sigmoid)(x)
#define REMAINDER(x, y) _Generic((x), float: lt_remainderf, default: lt_remainder)(x, y)
#define SIGNF(x) ((x) > 0 ? 1 : (x) < 0 ? -1 : (x))   /* keeps NaN and signed zero */

/* ---- unary ---- */
/* float-math ops: (ENUM, expression in x) */
#define UNARY_MATH_OPS(X, A, B) \
  X(EXP, exp(x), A, B) X(LOG, log(x), A, B) X(LOG1P, log1p(x), A, B) X(EXPM1, expm1(x), A, B) \
  X(SQRT, sqrt(x), A, B) X(RSQRT, 1 / sqrt(x), A, B) X(SIN, sin(x), A, B) X(COS, cos(x), A, B) \
  X(TAN, tan(x), A, B) X(ASIN, asin(x), A, B) X(ACOS, acos(x), A, B) X(ATAN, atan(x), A, B) \
  X(SINH, sinh(x), A, B) X(COSH, cosh(x), A, B) X(TANH, tanh(x), A, B) \
  X(SIGMOID, SIGMOID(x), A, B) X(LOG2, log2(x), A, B) X(LOG10, log10(x), A, B) \
  X(EXP2, exp2(x), A, B)
/* ops exact in the element type */
#define UNARY_FLOAT_EXACT_OPS(X, A, B) \
  X(NEG, -x, A, B) X(ABS, fabs(x), A, B) X(SIGN, SIGNF(x), A, B) X(FLOOR, floor(x), A, B) \
  X(CEIL, ceil(x), A, B) X(ROUND, round(x), A, B) X(TRUNC, trunc(x), A, B) \
  X(FRAC, x - trunc(x), A, B) X(CINV, 1 / x, A, B) X(SQUARE, x * x, A, B) X(NOT, x == 0, A, B)
#define UNARY_INT_EXACT_OPS(X, A, B) \
  X(NEG, -x, A, B) X(ABS, x < 0 ? -x : x, A, B) X(SIGN, (x > 0) - (x < 0), A, B) X(FLOOR, x, A, B) \
  X(CEIL, x, A, B) X(ROUND, x, A, B) X(TRUNC, x, A, B) X(FRAC, x * 0, A, B) \
  X(CINV, LT_INT_DIV(B, 1, x), A, B) X(SQUARE, x * x, A, B) X(NOT, x == 0, A, B)

#define DEF_UNARY_LOOP(NAME, T, CT, EXPR, STORE)                                   \
  static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {            \
    (void)ctx;                                                                      \
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                   \
      T *o = (T *)d[0];                                                             \
      const T *a = (const T *)d[1];                                                 \
      for (int64_t i = 0; i < n; i++) { CT x = (CT)a[i]; o[i] = STORE(EXPR); }      \
    } else {                                                                        \
      for (int64_t i = 0; i < n; i++) {                                             \
        CT x = (CT) * (const T *)(d[1] + i * s[1]);                                 \
        *(T *)(d[0] + i * s[0]) = STORE(EXPR);                                      \
      }                                                                             \
    }                                                                               \
  }

/* float types: everything in the element type */
#define U_FLT(E, EXPR, TE, T) DEF_UNARY_LOOP(u_##E##_##TE, T, T, EXPR, ST_##TE)
UNARY_MATH_OPS(U_FLT, FLOAT32, float)
UNARY_FLOAT_EXACT_OPS(U_FLT, FLOAT32, float)
UNARY_MATH_OPS(U_FLT, FLOAT64, double)
UNARY_FLOAT_EXACT_OPS(U_FLT, FLOAT64, double)
/* integer types: exact ops in the type, math through double with saturation */
#define U_INT(E, EXPR, TE, T) DEF_UNARY_LOOP(u_##E##_##TE, T, CT_##TE, EXPR, ST_##TE)
#define U_INTD(E, EXPR, TE, T) DEF_UNARY_LOOP(u_##E##_##TE, T, double, EXPR, SD_##TE)
#define INT_TYPES(M) M(INT64, int64_t) M(INT32, int32_t) M(INT16, int16_t) M(INT8, int8_t) M(UINT8, uint8_t) M(BOOL, uint8_t)
#define U_INT_ALL(TE, T) UNARY_INT_EXACT_OPS(U_INT, TE, T) UNARY_MATH_OPS(U_INTD, TE, T)
INT_TYPES(U_INT_ALL)

/* ---- binary ---- (x, y in the computing type; al = alpha) */
#define BINARY_FLOAT_OPS(X, A, B) \
  X(ADD, x + al * y, A, B) X(SUB, x - al * y, A, B) X(MUL, x * y, A, B) X(DIV, x / y, A, B) \
  X(POW, pow(x, y), A, B) X(FMOD, fmod(x, y), A, B) X(REMAINDER, REMAINDER(x, y), A, B) \
  X(ATAN2, atan2(x, y), A, B) X(MAX, (x > y || x != x) ? x : y, A, B) \
  X(MIN, (x < y || x != x) ? x : y, A, B) X(LSHIFT, x * exp2(y), A, B) X(RSHIFT, x / exp2(y), A, B) \
  X(LOGICAL_AND, x != 0 && y != 0, A, B) X(LOGICAL_OR, x != 0 || y != 0, A, B)
#define BINARY_INT_OPS(X, A, B) \
  X(ADD, x + al * y, A, B) X(SUB, x - al * y, A, B) X(MUL, x * y, A, B) X(DIV, LT_INT_DIV(B, x, y), A, B) \
  X(POW, int_pow(x, y), A, B) X(FMOD, LT_INT_MOD(B, x, y), A, B) X(REMAINDER, int_rem(x, y), A, B) \
  X(ATAN2, atan2((double)x, (double)y), A, B) X(MAX, x > y ? x : y, A, B) X(MIN, x < y ? x : y, A, B) \
  X(BITAND, x & y, A, B) X(BITOR, x | y, A, B) X(BITXOR, x ^ y, A, B) \
  X(LSHIFT, (y < 0 || y > 63) ? 0 : (int64_t)((uint64_t)x << y), A, B) \
  X(RSHIFT, (y < 0 || y > 63) ? (x < 0 ? -1 : 0) : (int64_t)x >> y, A, B) \
  X(LOGICAL_AND, x != 0 && y != 0, A, B) X(LOGICAL_OR, x != 0 || y != 0, A, B)
#define COMPARE_OPS(X, A, B) \
  X(EQ, x == y, A, B) X(NE, x != y, A, B) X(LT, x < y, A, B) X(LE, x <= y, A, B) \
  X(GT, x > y, A, B) X(GE, x >= y, A, B)

static inline int64_t int_pow(int64_t x, int64_t y) {
  if (y < 0) return x == 1 ? 1 : x == -1 ? (y & 1 ? -1 : 1) : 0;
  uint64_t r = 1, b = (uint64_t)x;
  while (y) { if (y & 1) r *= b; b *= b; y >>= 1; }
  return (int64_t)r;
}
static inline int64_t int_rem(int64_t x, int64_t y) {
  if (y == 0 || y == -1) return 0;
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  return r;
}

#define DEF_BINARY_LOOP(NAME, T, OT, CT, EXPR, STORE)                                  \
  static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {                \
    CT al = (CT) * (const double *)ctx;                                                 \
    (void)al;                                                                           \
    if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == sizeof(T)) {                 \
      OT *o = (OT *)d[0];                                                               \
      const T *a = (const T *)d[1], *b = (const T *)d[2];                               \
      for (int64_t i = 0; i < n; i++) { CT x = a[i], y = b[i]; o[i] = STORE(EXPR); }    \
    } else if (s[0] == sizeof(OT) && s[1] == sizeof(T) && s[2] == 0) {                  \
      OT *o = (OT *)d[0];                                                               \
      const T *a = (const T *)d[1];                                                     \
      CT y = *(const T *)d[2];                                                          \
      for (int64_t i = 0; i < n; i++) { CT x = a[i]; o[i] = STORE(EXPR); }              \
    } else if (s[0] == sizeof(OT) && s[1] == 0 && s[2] == sizeof(T)) {                  \
      OT *o = (OT *)d[0];                                                               \
      const T *b = (const T *)d[2];                                                     \
      CT x = *(const T *)d[1];                                                          \
      for (int64_t i = 0; i < n; i++) { CT y = b[i]; o[i] = STORE(EXPR); }              \
    } else {                                                                            \
      for (int64_t i = 0; i < n; i++) {                                                 \
        CT x = *(const T *)(d[1] + i * s[1]), y = *(const T *)(d[2] + i * s[2]);        \
        *(OT *)(d[0] + i * s[0]) = STORE(EXPR);                                         \
      }                                                                                 \
    }                                                                                   \
  }

#define ST_CMP(v) ((uint8_t)(v))
#define B_FLT(E, EXPR, TE, T) DEF_BINARY_LOOP(b_##E##_##TE, T, T, T, EXPR, ST_##TE)
#define B_INT(E, EXPR, TE, T) DEF_BINARY_LOOP(b_##E##_##TE, T, T, int64_t, EXPR, ST_##TE)
#define B_CMP(E, EXPR, TE, T) DEF_BINARY_LOOP(b_##E##_##TE, T, uint8_t, T, EXPR, ST_CMP)
BINARY_FLOAT_OPS(B_FLT, FLOAT32, float)
BINARY_FLOAT_OPS(B_FLT, FLOAT64, double)
COMPARE_OPS(B_CMP, FLOAT32, float)
COMPARE_OPS(B_CMP, FLOAT64, double)
#define B_INT_ALL(TE, T) BINARY_INT_OPS(B_INT, TE, T) COMPARE_OPS(B_CMP, TE, T)
INT_TYPES(B_INT_ALL)

/* ---- clamp in one pass ----
 * ctx: lo at byte 0 and hi at byte 8, each stored in the element type. The comparisons of
 * cmax(x, lo) then cmin(., hi), so the result is the two passes' (NaN stays NaN). */
#define DEF_CLAMP_LOOP(TE, T)                                                              \
  static void c_CLAMP_##TE(char **d, const int64_t *s, int64_t n, void *ctx) {             \
    const T lo = *(const T *)ctx, hi = *(const T *)((const char *)ctx + 8);                \
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                          \
      T *o = (T *)d[0];                                                                    \
      const T *a = (const T *)d[1];                                                        \
      for (int64_t i = 0; i < n; i++) {                                                    \
        T x = a[i], y = (x > lo || x != x) ? x : lo;                                       \
        o[i] = (y < hi || y != y) ? y : hi;                                                \
      }                                                                                    \
    } else {                                                                               \
      for (int64_t i = 0; i < n; i++) {                                                    \
        T x = *(const T *)(d[1] + i * s[1]), y = (x > lo || x != x) ? x : lo;              \
        *(T *)(d[0] + i * s[0]) = (y < hi || y != y) ? y : hi;                             \
      }                                                                                    \
    }                                                                                      \
  }
#define CLAMP_TYPES(X) X(FLOAT32, float) X(FLOAT64, double) X(INT64, int64_t) X(INT32, int32_t) \
  X(INT16, int16_t) X(INT8, int8_t) X(UINT8, uint8_t)
CLAMP_TYPES(DEF_CLAMP_LOOP)

#ifndef LT_PW_AVX2   /* what follows is built once (pointwise_kernels_avx2.c stops here) */

/* ---- vectorized float32 exp, tanh and sigmoid (x86-64 with AVX2: glibc's libmvec) ----
 * Contiguous runs go 8 floats at a time through libmvec's AVX2 entry points (within 4 ulp
 * of the scalar functions); strided runs and the tail use the scalar loops above. Chosen
 * at load time when the processor has AVX2 and FMA. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(LT_HAVE_MVEC)
#include <immintrin.h>
#include <unistd.h>
#include <string.h>
#include <stdio.h>
/* libmvec's AVX2 float functions (glibc's vector ABI: 8 lanes, "d" for AVX2); each is
 * within a few ulp of the scalar one (glibc's libm-test-ulps) */
#define MVEC_FLOAT_FNS(X) X(EXP, expf) X(TANH, tanhf) X(LOG, logf) X(LOG1P, log1pf) \
  X(EXPM1, expm1f) X(SIN, sinf) X(COS, cosf) X(TAN, tanf) X(ASIN, asinf) X(ACOS, acosf) \
  X(ATAN, atanf) X(SINH, sinhf) X(COSH, coshf) X(LOG2, log2f) X(LOG10, log10f) X(EXP2, exp2f)
#define MVEC_DECL(E, F) __m256 _ZGVdN8v_##F(__m256);
MVEC_FLOAT_FNS(MVEC_DECL)
#define VEC_TARGET __attribute__((target("avx2,fma")))
/* lt_sigmoidf's two-sided form with one division: e = exp(-|x|) (never overflows, so the
 * tiny results of very negative x keep their value), r = 1 / (1 + e); x >= 0: r, else
 * e r (one rounding more than e / (1 + e)) */
VEC_TARGET static inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 e = _ZGVdN8v_expf(_mm256_sub_ps(_mm256_setzero_ps(), ax));   /* exp(-|x|) */
  __m256 r = _mm256_div_ps(one, _mm256_add_ps(one, e));
  return _mm256_blendv_ps(_mm256_mul_ps(e, r), r, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}
/* Every element of a contiguous run of 8 or more goes through the vector function (the
 * first and last partial vectors as lanes of a full one), so values do not depend on
 * addresses or on how a long run is split between threads. (Runs shorter than 8 and
 * strided runs take the scalar functions, within an ulp or two of the vector ones.)
 * Results larger than the last-level cache are written with streaming stores: they go to
 * memory without first being read into the cache (a plain store reads each line before
 * writing it), so the op moves 8 bytes per element instead of 12. Smaller results stay in
 * the cache for the next op. ctx: the whole result's element count (lt_cpu_unary). */
static int64_t stream_min = INT64_MAX;   /* elements; set at load time from the L3 size */
int64_t lt_set_stream_min(int64_t n) {  /* for tests: the threshold, returning the old one */
  int64_t old = stream_min;
  if (n > 0) stream_min = n;
  return old;
}
#define DEF_VEC_UNARY(NAME, SCALAR, VEXPR)                                             \
  VEC_TARGET static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {      \
    if (s[0] != 4 || s[1] != 4) { SCALAR(d, s, n, NULL); return; }                     \
    float *o = (float *)d[0];                                                          \
    const float *a = (const float *)d[1];                                              \
    int64_t i = 0;                                                                     \
    if (ctx && *(const int64_t *)ctx >= stream_min && n >= 64) {                       \
      int64_t head = (int64_t)((32 - (uintptr_t)o % 32) % 32) / 4;                     \
      if ((uintptr_t)o % 4 == 0) {                                                     \
        if (head) { /* the first lanes of one vector, so values do not depend on o's address */ \
          __m256 x = _mm256_loadu_ps(a);                                               \
          float tmp[8];                                                                \
          _mm256_storeu_ps(tmp, VEXPR);                                                \
          memcpy(o, tmp, sizeof(float) * (size_t)head);                                \
        }                                                                              \
        for (i = head; i + 8 <= n; i += 8) {                                           \
          __m256 x = _mm256_loadu_ps(a + i);                                           \
          _mm256_stream_ps(o + i, VEXPR);                                              \
        }                                                                              \
        _mm_sfence();                                                                  \
      }                                                                                \
    }                                                                                  \
    for (; i + 8 <= n; i += 8) {                                                       \
      __m256 x = _mm256_loadu_ps(a + i);                                               \
      _mm256_storeu_ps(o + i, VEXPR);                                                  \
    }                                                                                  \
    if (i < n && n >= 8) { /* the last lanes of the last 8 (already-written lanes dropped) */ \
      __m256 x = _mm256_loadu_ps(a + n - 8);                                           \
      float tmp[8];                                                                    \
      _mm256_storeu_ps(tmp, VEXPR);                                                    \
      memcpy(o + i, tmp + (8 - (n - i)), sizeof(float) * (size_t)(n - i));             \
    } else if (i < n) {                                                                \
      char *dd[2] = {(char *)(o + i), (char *)(a + i)};                                \
      SCALAR(dd, s, n - i, NULL);                                                      \
    }                                                                                  \
  }
#define MVEC_LOOP(E, F) DEF_VEC_UNARY(v_##E##_FLOAT32, u_##E##_FLOAT32, _ZGVdN8v_##F(x))
MVEC_FLOAT_FNS(MVEC_LOOP)
DEF_VEC_UNARY(v_SIGMOID_FLOAT32, u_SIGMOID_FLOAT32, sigmoid8(x))
static void register_vector_loops(void);
#else
static void register_vector_loops(void) {}
int64_t lt_set_stream_min(int64_t n) { (void)n; return INT64_MAX; }   /* no vector loops */
#endif

/* ---- tables ---- */
lt_loop_fn lt_unary_loops[LT_NUNARY][LT_NDTYPES];
lt_loop_fn lt_binary_loops[LT_NBINARY][LT_NDTYPES];
lt_loop_fn lt_clamp_loops[LT_NDTYPES];
#endif   /* LT_PW_AVX2 */
#define R_CLAMP(TE, T) lt_clamp_loops[LT_##TE] = c_CLAMP_##TE;

#define R_U(E, EXPR, TE, T) lt_unary_loops[LT_##E][LT_##TE] = u_##E##_##TE;
#define R_B(E, EXPR, TE, T) lt_binary_loops[LT_##E][LT_##TE] = b_##E##_##TE;
#define R_INT_ALL(TE, T) UNARY_INT_EXACT_OPS(R_U, TE, T) UNARY_MATH_OPS(R_U, TE, T) \
  BINARY_INT_OPS(R_B, TE, T) COMPARE_OPS(R_B, TE, T)

/* every scalar loop of this build into the tables */
#ifdef LT_PW_AVX2
void lt_pw_register_avx2(void) {
#else
static void register_scalar_loops(void) {
#endif
  UNARY_MATH_OPS(R_U, FLOAT32, float)
  UNARY_FLOAT_EXACT_OPS(R_U, FLOAT32, float)
  UNARY_MATH_OPS(R_U, FLOAT64, double)
  UNARY_FLOAT_EXACT_OPS(R_U, FLOAT64, double)
  BINARY_FLOAT_OPS(R_B, FLOAT32, float)
  BINARY_FLOAT_OPS(R_B, FLOAT64, double)
  COMPARE_OPS(R_B, FLOAT32, float)
  COMPARE_OPS(R_B, FLOAT64, double)
  INT_TYPES(R_INT_ALL)
  CLAMP_TYPES(R_CLAMP)
}

#ifndef LT_PW_AVX2
#if defined(__x86_64__) && defined(__GNUC__)
void lt_pw_register_avx2(void);   /* pointwise_kernels_avx2.c: these loops built for AVX2 */
#endif
/* The scalar loops; where the processor has AVX2, the same loops built for it (the same
 * arithmetic: IEEE +, -, *, /, sqrt and conversions round alike, no FMA is formed, the
 * libm calls are the same, so results are identical, faster); then libmvec's loops. */
__attribute__((constructor)) static void register_loops(void) {
  register_scalar_loops();
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) lt_pw_register_avx2();
#endif
  register_vector_loops();
}
#define EXPSUM_CHUNK 1024
LT_AVX2_CLONES double lt_expsum_f32(const float *x, float c, float *y, int64_t n) {
  float buf[EXPSUM_CHUNK];
  static const int64_t strides[2] = {sizeof(float), sizeof(float)};
  lt_loop_fn ex = lt_unary_loops[LT_EXP][LT_FLOAT32];
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t b = 0; b < n; b += EXPSUM_CHUNK) {
    int64_t w = n - b < EXPSUM_CHUNK ? n - b : EXPSUM_CHUNK, i = 0;
    float *o = y ? y + b : buf;
    for (int64_t j = 0; j < w; j++) o[j] = x[b + j] - c;
    char *d[2] = {(char *)o, (char *)o};   /* in place: each vector is read before written */
    ex(d, strides, w, NULL);
    for (; i + 8 <= w; i += 8)
      for (int u = 0; u < 8; u++) a[u] += o[i + u];
    for (; i < w; i++) a[0] += o[i];
  }
  return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

#if defined(__x86_64__) && defined(__GNUC__) && defined(LT_HAVE_MVEC)
/* the last-level cache's size: sysfs first (virtual machines' CPUID can report the host's),
 * then glibc, else 32 MiB */
static int64_t l3_bytes(void) {
  FILE *f = fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r");
  long long v = 0;
  char unit = 0;
  if (f) {
    if (fscanf(f, "%lld%c", &v, &unit) < 1) v = 0;
    fclose(f);
    if (unit == 'K') v <<= 10;
    else if (unit == 'M') v <<= 20;
  }
  if (v <= 0) v = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return v > 0 ? (int64_t)v : (int64_t)32 << 20;
}
static void register_vector_loops(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
  stream_min = l3_bytes() / 4;   /* floats filling the L3 */
#define MVEC_REG(E, F) lt_unary_loops[LT_##E][LT_FLOAT32] = v_##E##_FLOAT32;
  MVEC_FLOAT_FNS(MVEC_REG)
  lt_unary_loops[LT_SIGMOID][LT_FLOAT32] = v_SIGMOID_FLOAT32;
}
#endif
#endif   /* LT_PW_AVX2 */
