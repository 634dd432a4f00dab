/* create.c: tensors made from ranges (range, arange, linspace, logspace) and eye. */
#include "internal.h"
#include <math.h>

/* out[i] = a + i*step (linspace: symmetric from both ends so the endpoints are exact) */
typedef struct { double a, b, step; int64_t n; bool sym; double base; bool log; } ramp;

static inline double ramp_at(const ramp *r, int64_t i) {
  double v = (r->sym && i >= (r->n + 1) / 2) ? r->b - (double)(r->n - 1 - i) * r->step : r->a + (double)i * r->step;
  return r->log ? pow(r->base, v) : v;
}

static void ramp_fill(lt_tensor *t, const ramp *r) {
  int64_t n = r->n;
  void *data = lt_data(t);
  bool par = n >= LT_PARALLEL_GRAIN && lt_threads() > 1;
  switch (t->dtype) {
#define RAMP_CASE(E, T)                                                    \
  case LT_##E: {                                                           \
    T *o = (T *)data;                                                      \
    _Pragma("omp parallel for if (par) schedule(static)")                  \
    for (int64_t i = 0; i < n; i++) o[i] = (T)ramp_at(r, i);               \
    break;                                                                 \
  }
  RAMP_CASE(FLOAT32, float)
  RAMP_CASE(FLOAT64, double)
#undef RAMP_CASE
  default: {
    size_t es = lt_dtype_size(t->dtype);
    for (int64_t i = 0; i < n; i++) lt_store(t->dtype, (char *)data + i * (int64_t)es, ramp_at(r, i));
  }
  }
}

static lt_tensor *ramp_tensor(const char *op, const ramp *r, lt_dtype dtype) {
  if ((unsigned)dtype >= LT_NDTYPES) LT_FAIL(NULL, "%s: unknown dtype %d", op, (int)dtype);
  int64_t n = r->n;
  lt_tensor *t = lt_empty(1, &n, dtype, lt_cpu());
  if (!t) return NULL;
  ramp_fill(t, r);
  return t;
}

/* checks shared by range and arange; *count receives (b-a)/step */
static int range_check(const char *op, double a, double b, double step, double *count) {
  if (!isfinite(a) || !isfinite(b) || !isfinite(step))
    LT_FAIL(-1, "%s: bounds and step must be finite, got %g, %g, %g", op, a, b, step);
  if (step == 0) LT_FAIL(-1, "%s: step must be nonzero", op);
  if ((step > 0 && b < a) || (step < 0 && b > a))
    LT_FAIL(-1, "%s: upper bound %g and lower bound %g inconsistent with step sign (%g)", op, b, a, step);
  *count = (b - a) / step;
  if (*count >= 4.6e18) LT_FAIL(-1, "%s: too many elements (%g)", op, *count);
  return 0;
}

/* The values from r->a to the last one must fit dtype without clamping or repeats (a
 * narrowing store saturates, so 250..260 in bytes would end 255, 255, ...):
 * integer types hold [min, max] (int64: +-2^53, the values being computed in double);
 * floating types must reach no value past their largest, and where the values pass the
 * type's exact integers (2^11 half, 2^8 bfloat16, 2^24 float, 2^53 double) the step may
 * not be finer than the type's spacing there (2045..2052 in half would repeat 2048). */
static int range_fits(const char *op, const ramp *r, lt_dtype dtype) {
  if (r->n == 0) return 0;
  double last = r->a + (double)(r->n - 1) * r->step;
  double lo = fmin(r->a, last), hi = fmax(r->a, last);
  double tmin = 0, tmax = 0;
  int bits = 0;
  switch (dtype) {
  case LT_UINT8: tmax = 255; break;
  case LT_BOOL: tmax = 1; break;
  case LT_INT8: tmin = -128; tmax = 127; break;
  case LT_INT16: tmin = -32768; tmax = 32767; break;
  case LT_INT32: tmin = -2147483648.0; tmax = 2147483647.0; break;
  case LT_INT64: tmin = -9007199254740992.0; tmax = 9007199254740992.0; break;
  case LT_FLOAT16: bits = 11; tmax = 65504; break;
  case LT_BFLOAT16: bits = 8; tmax = 3.3895313892515355e38; break;
  case LT_FLOAT32: bits = 24; tmax = 3.4028234663852886e38; break;
  default: return 0;   /* double: the values are computed in double */
  }
  if (!bits) {
    if (lo < tmin || hi > tmax)
      LT_FAIL(-1, "%s: values %.17g to %.17g do not fit in %sTensor (expected values from %.17g to %.17g)",
              op, r->a, last, lt_dtype_name(dtype), tmin, tmax);
    return 0;
  }
  double m = fmax(fabs(lo), fabs(hi));
  if (m > tmax)
    LT_FAIL(-1, "%s: values %.17g to %.17g do not fit in %sTensor (largest value %g)", op, r->a, last,
            lt_dtype_name(dtype), tmax);
  if (m > ldexp(1, bits) && r->n > 1) {
    int e;
    frexp(m, &e);   /* m in [2^(e-1), 2^e): the spacing there is 2^(e-bits) */
    double spacing = ldexp(1, e - bits);
    if (fabs(r->step) < spacing)
      LT_FAIL(-1, "%s: values %.17g to %.17g with step %g cannot be held exactly by %sTensor (its "
              "integers are exact up to %g; near %g its spacing is %g): values would repeat",
              op, r->a, last, r->step, lt_dtype_name(dtype), ldexp(1, bits), m, spacing);
  }
  return 0;
}

lt_tensor *lt_range(double a, double b, double step, lt_dtype dtype) {
  double c;
  if (range_check("range", a, b, step, &c) < 0) return NULL;
  ramp r = {.a = a, .b = b, .step = step, .n = (int64_t)floor(c) + 1};
  if (range_fits("range", &r, dtype) < 0) return NULL;
  return ramp_tensor("range", &r, dtype);
}

lt_tensor *lt_arange(double a, double b, double step, lt_dtype dtype) {
  double c;
  if (range_check("arange", a, b, step, &c) < 0) return NULL;
  ramp r = {.a = a, .b = b, .step = step, .n = (int64_t)ceil(c)};
  if (range_fits("arange", &r, dtype) < 0) return NULL;
  return ramp_tensor("arange", &r, dtype);
}

static lt_tensor *spaced(const char *op, double a, double b, int64_t n, bool log, double base, lt_dtype dtype) {
  if (n < 0) LT_FAIL(NULL, "%s: number of points must be non-negative, got %lld", op, (long long)n);
  if (!isfinite(a) || !isfinite(b)) LT_FAIL(NULL, "%s: bounds must be finite, got %g and %g", op, a, b);
  ramp r = {.a = a, .b = b, .n = n, .sym = true, .log = log, .base = base};
  r.step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  return ramp_tensor(op, &r, dtype);
}

lt_tensor *lt_linspace(double a, double b, int64_t n, lt_dtype dtype) {
  return spaced("linspace", a, b, n, false, 10, dtype);
}

lt_tensor *lt_logspace(double a, double b, int64_t n, double base, lt_dtype dtype) {
  return spaced("logspace", a, b, n, true, base, dtype);
}

lt_tensor *lt_eye(int64_t n, int64_t m, lt_dtype dtype) {
  if (n < 0 || m < 0) LT_FAIL(NULL, "eye: sizes must be non-negative, got %lld x %lld", (long long)n, (long long)m);
  if ((unsigned)dtype >= LT_NDTYPES) LT_FAIL(NULL, "eye: unknown dtype %d", (int)dtype);
  int64_t size[2] = {n, m};
  lt_tensor *t = lt_zeros(2, size, dtype, lt_cpu());
  if (!t) return NULL;
  char *d = lt_data(t);
  size_t es = lt_dtype_size(dtype);
  for (int64_t i = 0; i < LT_MIN(n, m); i++) lt_store(dtype, d + (i * m + i) * (int64_t)es, 1);
  return t;
}
