/* core.c: dtypes, errors, element access, threads. */
#include "internal.h"
#include <stdarg.h>
#include <stdio.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static const char *dtype_names[] = {
#define LT_X(E, T, N, S) N,
  LT_DTYPES(LT_X)
#undef LT_X
};
static const size_t dtype_sizes[] = {
#define LT_X(E, T, N, S) S,
  LT_DTYPES(LT_X)
#undef LT_X
};

const char *lt_dtype_name(lt_dtype t) { return (unsigned)t < LT_NDTYPES ? dtype_names[t] : "?"; }
size_t lt_dtype_size(lt_dtype t) { return dtype_sizes[t]; }
bool lt_dtype_is_float(lt_dtype t) {
  return t == LT_FLOAT32 || t == LT_FLOAT64 || t == LT_FLOAT16 || t == LT_BFLOAT16;
}

/* rank for promotion: bool < uint8 < int8 < int16 < int32 < int64 < half/bf16 < float < double */
static int promo_rank(lt_dtype t) {
  switch (t) {
  case LT_BOOL: return 0; case LT_UINT8: return 1; case LT_INT8: return 2;
  case LT_INT16: return 3; case LT_INT32: return 4; case LT_INT64: return 5;
  case LT_BFLOAT16: return 6; case LT_FLOAT16: return 6; case LT_FLOAT32: return 7;
  default: return 8;
  }
}
lt_dtype lt_promote(lt_dtype a, lt_dtype b) {
  if (a == b) return a;
  if ((a == LT_FLOAT16 && b == LT_BFLOAT16) || (a == LT_BFLOAT16 && b == LT_FLOAT16)) return LT_FLOAT32;
  if ((a == LT_UINT8 && b == LT_INT8) || (a == LT_INT8 && b == LT_UINT8)) return LT_INT16;
  return promo_rank(a) >= promo_rank(b) ? a : b;
}

static _Thread_local char errbuf[1024];
const char *lt_errmsg(void) { return errbuf[0] ? errbuf : "unknown error"; }
/* formats into a scratch buffer first: the arguments may point into errbuf itself
 * (an op adding its name to a message from an op it called) */
void lt_seterr(const char *fmt, ...) {
  char tmp[sizeof errbuf];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  memcpy(errbuf, tmp, sizeof errbuf);
}

const char *lt_devname(lt_device d) {
  /* a ring of buffers: the names of up to four devices can be used in one message */
  static _Thread_local char buf[4][16];
  static _Thread_local unsigned next;
  if (d.type == LT_CPU) return "cpu";
  char *b = buf[next++ % 4];
  snprintf(b, sizeof buf[0], "cuda:%d", d.index);
  return b;
}

double lt_load(lt_dtype t, const void *p) {
  switch (t) {
  case LT_FLOAT32: return *(const float *)p;
  case LT_FLOAT64: return *(const double *)p;
  case LT_INT64: return (double)*(const int64_t *)p;
  case LT_INT32: return *(const int32_t *)p;
  case LT_INT16: return *(const int16_t *)p;
  case LT_INT8: return *(const int8_t *)p;
  case LT_UINT8: return *(const uint8_t *)p;
  case LT_BOOL: return *(const uint8_t *)p != 0;
  case LT_FLOAT16: return lt_half_to_float(*(const uint16_t *)p);
  case LT_BFLOAT16: return lt_bf16_to_float(*(const uint16_t *)p);
  default: return 0;
  }
}

int64_t lt_load_int(lt_dtype t, const void *p) {
  switch (t) {
  case LT_INT64: return *(const int64_t *)p;
  case LT_INT32: return *(const int32_t *)p;
  case LT_INT16: return *(const int16_t *)p;
  case LT_INT8: return *(const int8_t *)p;
  case LT_UINT8: return *(const uint8_t *)p;
  case LT_BOOL: return *(const uint8_t *)p != 0;
  default: {
    double v = lt_load(t, p);
    if (!(v == v)) return 0;
    if (v >= 9.2233720368547758e18) return INT64_MAX;
    if (v <= -9.2233720368547758e18) return INT64_MIN;
    return (int64_t)v;
  }
  }
}

/* float -> integer conversion that never invokes undefined behaviour */
#define LT_SAT(T, lo, hi, v) ((v) != (v) ? (T)0 : (v) <= (double)(lo) ? (T)(lo) : (v) >= (double)(hi) ? (T)(hi) : (T)(v))
void lt_store(lt_dtype t, void *p, double v) {
  switch (t) {
  case LT_FLOAT32: *(float *)p = (float)v; break;
  case LT_FLOAT64: *(double *)p = v; break;
  case LT_INT64: *(int64_t *)p = LT_SAT(int64_t, INT64_MIN, INT64_MAX, v); break;
  case LT_INT32: *(int32_t *)p = LT_SAT(int32_t, INT32_MIN, INT32_MAX, v); break;
  case LT_INT16: *(int16_t *)p = LT_SAT(int16_t, INT16_MIN, INT16_MAX, v); break;
  case LT_INT8: *(int8_t *)p = LT_SAT(int8_t, INT8_MIN, INT8_MAX, v); break;
  case LT_UINT8: *(uint8_t *)p = LT_SAT(uint8_t, 0, UINT8_MAX, v); break;
  case LT_BOOL: *(uint8_t *)p = v != 0; break;
  case LT_FLOAT16: *(uint16_t *)p = lt_float_to_half((float)v); break;
  case LT_BFLOAT16: *(uint16_t *)p = lt_float_to_bf16((float)v); break;
  default: break;
  }
}

static int nthreads_set = 0;
void lt_set_num_threads(int n) {
  if (n < 1) n = 1;
  nthreads_set = n;
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  extern void openblas_set_num_threads(int);
  openblas_set_num_threads(n);
}
int lt_get_num_threads(void) { return lt_threads(); }
int lt_threads(void) {
  if (nthreads_set) return nthreads_set;
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
