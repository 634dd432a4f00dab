/* pointwise_kernels_avx2.c: pointwise_kernels.c's scalar loops (every unary and binary op,
 * every dtype) built a second time for AVX2, so the compiler's vectorized loops use
 * 256-bit registers. pointwise_kernels.c installs them at load time where the processor
 * has AVX2 (lt_pw_register_avx2); the build itself targets x86-64-v2. No FMA: the
 * arithmetic, and so every result, is the same as the base build's. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2")
#define LT_PW_AVX2 1
#include "pointwise_kernels.c"
#else
typedef int lt_pw_avx2_unused;   /* ISO C wants something in a translation unit */
#endif
