/* nn_util.h: what the nn engine files nn_act.c (activations, softmax) and nn_loss.c (the
 * losses) share: short names for a formula's temporaries, the float-input check, the CUDA
 * test and backend, contiguous copies, the loop runner and the softmax of one line. */
#ifndef LT_NN_UTIL_H
#define LT_NN_UTIL_H

#include "autograd.h"
#include "pointwise.h"
#include <math.h>

/* ---- helpers ---- */

/* temporaries of a formula (autograd.h's lt_tmps), under short names */
typedef lt_tmps tmps;
#define keep lt_keep
#define tmps_free lt_tmps_free
#define result lt_tmps_result
#define bin lt_tmp_bin
#define bins lt_tmp_bins
#define una lt_tmp_una
static inline lt_tensor *rsubs(tmps *s, double v, const lt_tensor *a) {   /* v - a */
  return a ? keep(s, lt_binary_scalar(LT_SUB, NULL, a, v, true)) : NULL;
}
static inline lt_tensor *mask(tmps *s, lt_binary_op cmp, const lt_tensor *a, double v, lt_dtype dt) {
  lt_tensor *m = bins(s, cmp, a, v);
  return m ? keep(s, lt_to_dtype(m, dt)) : NULL;
}
static inline lt_tensor *sumdim(tmps *s, const lt_tensor *a, int dim) {
  return a ? keep(s, lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, a, dim, true, 0)) : NULL;
}

/* the checks every entry point makes of a floating-point input */
static inline int check_float(const char *op, const lt_tensor *t, const char *what) {
  if (!lt_dtype_is_float(t->dtype))
    LT_FAIL(-1, "%s: %s must be a floating-point tensor (FloatTensor or DoubleTensor), got %sTensor",
            op, what, lt_dtype_name(t->dtype));
  return 0;
}

/* the backend of a CUDA tensor (NULL with the error set); CPU tensors run this file's loops */
static inline const lt_backend *cuda_be(const lt_tensor *t) { return lt_backend_for(t->device); }
static inline bool on_cuda(const lt_tensor *t) { return t->device.type != LT_CPU; }

/* t as a contiguous tensor of dtype dt (a new reference; t itself when it is one) */
static inline lt_tensor *contig_as(const lt_tensor *t, lt_dtype dt) {
  if (t->dtype != dt) {
    lt_tensor *c = lt_to_dtype(t, dt);
    if (!c || lt_is_contiguous(c)) return c;
    lt_tensor *r = lt_contiguous(c);
    lt_release(c);
    return r;
  }
  return lt_contiguous(t);
}

/* runs fn over same-shape operands: flat when all are contiguous, else the iterator */
static inline void run_loop(lt_loop_fn fn, int nop, const lt_tensor *const *ops, void *ctx) {
  bool flat = true;
  for (int k = 0; k < nop && flat; k++) flat = lt_is_contiguous(ops[k]);
  int64_t n = lt_numel(ops[0]);
  if (n == 0) return;
  if (flat) {
    char *d[LT_ITER_MAXOP];
    int64_t s[LT_ITER_MAXOP];
    for (int k = 0; k < nop; k++) { d[k] = (char *)lt_data(ops[k]); s[k] = (int64_t)lt_dtype_size(ops[k]->dtype); }
    if (n < LT_PARALLEL_GRAIN || lt_threads() == 1) { fn(d, s, n, ctx); return; }
    /* contiguous and large: split the flat range */
    int64_t chunk = (n + lt_threads() - 1) / lt_threads();
    #pragma omp parallel for
    for (int64_t start = 0; start < n; start += chunk) {
      char *dd[LT_ITER_MAXOP];
      for (int k = 0; k < nop; k++) dd[k] = d[k] + start * s[k];
      fn(dd, s, LT_MIN(chunk, n - start), ctx);
    }
    return;
  }
  lt_iter it;
  lt_iter_init(&it, nop, ops);
  lt_iter_run(&it, fn, ctx, LT_PARALLEL_GRAIN);
}

static inline lt_tensor *retained(const lt_tensor *t) { lt_retain((lt_tensor *)t); return (lt_tensor *)t; }

/* sum of exp(x[i] - mx) over n values at stride st, in double; y (may be NULL) gets the
 * exps. Contiguous float32 runs take lt_expsum_f32 (vectorized). */
#define EXPSUM_LOOP(T, EXP)                                                           \
  double sum = 0;                                                                     \
  for (int64_t i = 0; i < n; i++) {                                                   \
    T e = EXP(x[i * st] - mx);                                                        \
    if (y) y[i * st] = e;                                                             \
    sum += e;                                                                         \
  }                                                                                   \
  return sum;
static inline double expsum_float(const float *x, float mx, float *y, int64_t n, int64_t st) {
  if (st == 1) return lt_expsum_f32(x, mx, y, n);
  EXPSUM_LOOP(float, expf)
}
static inline double expsum_double(const double *x, double mx, double *y, int64_t n, int64_t st) {
  EXPSUM_LOOP(double, exp)
}

/* one line of n elements at stride st: y = softmax(x) or log_softmax(x) (y NULL: nothing
 * written); softmax_parts returns log(sum(exp(x - max))) and sets *mxp to the max used
 * (logsumexp is their sum: callers that subtract it from an element should subtract the
 * two parts in turn, as log-softmax does), softmax_line returns log(sum(exp(x))). Sums are
 * accumulated in double. */
#define SOFTMAX_LINE(T)                                                               \
  LT_AVX2_CLONES static double softmax_parts_##T(const T *x, T *y, int64_t n, int64_t st, bool lg, \
                                         double *mxp) {                               \
    T mx = -INFINITY;                                                                 \
    if (st == 1) {                                                                    \
      _Pragma("omp simd reduction(max:mx)")                                           \
      for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;                     \
    } else                                                                            \
      for (int64_t i = 0; i < n; i++) mx = x[i * st] > mx ? x[i * st] : mx;           \
    if (isinf(mx) && mx < 0) mx = 0;   /* every element -inf (NaN: exp gives NaN) */ \
    *mxp = mx;                                                                        \
    double sum = 0;                                                                   \
    if (lg || !y) {                                                                   \
      sum = expsum_##T(x, mx, NULL, n, st);                                           \
      double ls = log(sum);                                                           \
      if (y) {   /* (x - max) - log(sum): x - logsumexp would round it to T first */   \
        T tl = (T)ls;                                                                 \
        for (int64_t i = 0; i < n; i++) y[i * st] = (x[i * st] - mx) - tl;            \
      }                                                                               \
      return ls;                                                                      \
    }                                                                                 \
    sum = expsum_##T(x, mx, y, n, st);                                                \
    T inv = (T)(1.0 / sum);                                                           \
    for (int64_t i = 0; i < n; i++) y[i * st] *= inv;                                 \
    return log(sum);                                                                  \
  }                                                                                   \
  static inline double softmax_line_##T(const T *x, T *y, int64_t n, int64_t st, bool lg) {  \
    double mx, ls = softmax_parts_##T(x, y, n, st, lg, &mx);                          \
    return ls + mx;                                                                   \
  }
SOFTMAX_LINE(float)
SOFTMAX_LINE(double)

#endif
