/* linalg_diag.c: dot, trace (and their 0-dim tensor forms), diag, tril and triu (the
 * products are in linalg.c, cross in linalg_cross.c; the checks they share in
 * linalg_common.h). float32/float64 dot goes to OpenBLAS; integer types sum in int64. */
#include "linalg_common.h"
#include "autograd.h"
#include <cblas.h>
#include <limits.h>
#include <string.h>

/* ---- dot, trace ---- */
static void diag_view(const lt_tensor *t, int64_t k, lt_tensor *v);

#define INT_DOT(NAME, T)                                                                     \
  static int64_t dot_##NAME(int64_t n, const char *a_, int64_t as, const char *b_, int64_t bs) { \
    const T *a = (const T *)a_, *b = (const T *)b_;                                          \
    int64_t s = 0;                                                                           \
    _Pragma("omp parallel for reduction(+ : s) if(n >= LT_PARALLEL_GRAIN * 4) schedule(static)") \
    for (int64_t i = 0; i < n; i++) s += (int64_t)a[i * as] * (int64_t)b[i * bs];            \
    return s;                                                                                \
  }
INT_DOT(i64, int64_t)
INT_DOT(i32, int32_t)
INT_DOT(i16, int16_t)
INT_DOT(i8, int8_t)
INT_DOT(u8, uint8_t)

/* a flat (pointer, stride) walk over t's elements, or NULL when t must be copied */
static bool flat_stride(const lt_tensor *t, int64_t *s) {
  if (lt_numel(t) <= 1) { *s = 1; return true; }
  if (t->ndim == 1) { *s = t->stride[0]; return true; }
  if (lt_is_contiguous(t)) { *s = 1; return true; }
  int64_t st = 0;   /* a single dim of size > 1 */
  int big = 0;
  for (int i = 0; i < t->ndim; i++) if (t->size[i] > 1) { big++; st = t->stride[i]; }
  if (big == 1) { *s = st; return true; }
  return false;
}

/* dot on a device: a kernel over both views (flattened first when their shapes differ) */
static int dot_device(const lt_tensor *a, const lt_tensor *b, int64_t n, double *f, int64_t *iv) {
  const lt_backend *be = lt_backend_for(a->device);
  if (!be) return -1;
  if (!be->dot) LT_FAIL(-1, "dot: not available for %s tensors", lt_devname(a->device));
  lt_tensor *ac = NULL, *bc = NULL;
  lt_tensor av, bv;
  const lt_tensor *pa = a, *pb = b;
  if (!lt_same_size(a, b)) {
    if (!(ac = lt_contiguous(a)) || !(bc = lt_contiguous(b))) { lt_release(ac); return -1; }
    lt_view_init(&av, ac); av.ndim = 1; av.size[0] = n; av.stride[0] = 1;
    lt_view_init(&bv, bc); bv.ndim = 1; bv.size[0] = n; bv.stride[0] = 1;
    pa = &av;
    pb = &bv;
  }
  int rc = be->dot(pa, pb, f, iv);
  lt_release(ac);
  lt_release(bc);
  return rc;
}

/* the dot product: *f for floating types, *iv (exact, int64) for integer ones */
static int dot_impl(const lt_tensor *a, const lt_tensor *b, double *f, int64_t *iv) {
  const char *op = "dot";
  char b1[128], b2[128];
  if (check_same_type(op, "a", a, "b", b) < 0) return -1;
  int64_t n = lt_numel(a);
  if (n != lt_numel(b))
    LT_FAIL(-1, "%s: size mismatch, a is %s, b is %s (%lld and %lld elements)", op, SHAPE(a, b1),
            SHAPE(b, b2), (long long)n, (long long)lt_numel(b));
  lt_dtype dt = a->dtype;
  if (lt_is_half(dt)) {
    lt_tensor *af = lt_to_dtype(a, LT_FLOAT32), *bf = af ? lt_to_dtype(b, LT_FLOAT32) : NULL;
    int rc = bf ? dot_impl(af, bf, f, iv) : -1;
    lt_release(af); lt_release(bf);
    return rc;
  }
  *f = 0;
  *iv = 0;
  if (n == 0) return 0;
  if (a->device.type != LT_CPU) return dot_device(a, b, n, f, iv);
  int64_t as, bs;
  lt_tensor *ac = NULL, *bc = NULL;
  bool blas = blas_type(dt);
  if (!flat_stride(a, &as) || (blas && (as <= 0 || as > INT_MAX))) {
    if (!(ac = lt_clone(a))) return -1;
    as = 1;
  }
  if (!flat_stride(b, &bs) || (blas && (bs <= 0 || bs > INT_MAX))) {
    if (!(bc = lt_clone(b))) { lt_release(ac); return -1; }
    bs = 1;
  }
  const char *pa = lt_data(ac ? ac : a), *pb = lt_data(bc ? bc : b);
  int64_t es = (int64_t)lt_dtype_size(dt);
  double s = 0;
  if (blas) {
    for (int64_t done = 0; done < n;) {   /* BLAS counts in int: chunks */
      int64_t c = LT_MIN(n - done, (int64_t)1 << 30);
      if (dt == LT_FLOAT32)
        s += cblas_sdot((blasint)c, (const float *)pa, (blasint)as, (const float *)pb, (blasint)bs);
      else
        s += cblas_ddot((blasint)c, (const double *)pa, (blasint)as, (const double *)pb, (blasint)bs);
      pa += c * as * es;
      pb += c * bs * es;
      done += c;
    }
  } else {
    int64_t r;
    switch (dt) {
    case LT_INT64: r = dot_i64(n, pa, as, pb, bs); break;
    case LT_INT32: r = dot_i32(n, pa, as, pb, bs); break;
    case LT_INT16: r = dot_i16(n, pa, as, pb, bs); break;
    case LT_INT8: r = dot_i8(n, pa, as, pb, bs); break;
    default: r = dot_u8(n, pa, as, pb, bs); break;   /* uint8, bool */
    }
    *iv = r;
  }
  lt_release(ac);
  lt_release(bc);
  *f = s;
  return 0;
}

int lt_dot(const lt_tensor *a, const lt_tensor *b, double *result) {
  double f;
  int64_t iv;
  if (dot_impl(a, b, &f, &iv) < 0) return -1;
  *result = lt_dtype_is_float(a->dtype) ? f : (double)iv;
  return 0;
}

int lt_dot_int(const lt_tensor *a, const lt_tensor *b, int64_t *result) {
  if (lt_dtype_is_float(a->dtype)) LT_FAIL(-1, "dot: an integer result of %sTensor operands", lt_dtype_name(a->dtype));
  double f;
  return dot_impl(a, b, &f, result);
}

/* the trace: *f for floating types, *iv (exact, int64) for integer ones */
static int trace_impl(const lt_tensor *a, double *f, int64_t *iv) {
  if (need_dims("trace", "the argument", a, 2, "matrix") < 0) return -1;
  *f = 0;
  *iv = 0;
  if (a->device.type != LT_CPU) {   /* the sum of the diagonal view */
    const lt_backend *be = lt_backend_for(a->device);
    if (!be) return -1;
    if (!be->dot) LT_FAIL(-1, "trace: not available for %s tensors", lt_devname(a->device));
    lt_tensor d;
    diag_view(a, 0, &d);
    return be->dot(&d, NULL, f, iv);
  }
  int64_t n = LT_MIN(a->size[0], a->size[1]), step = a->stride[0] + a->stride[1];
  int64_t es = (int64_t)lt_dtype_size(a->dtype);
  const char *p = lt_data(a);
  if (lt_dtype_is_float(a->dtype)) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += lt_load(a->dtype, p + i * step * es);
    *f = s;
  } else {
    int64_t s = 0;
    for (int64_t i = 0; i < n; i++) s += lt_load_int(a->dtype, p + i * step * es);
    *iv = s;
  }
  return 0;
}

int lt_trace(const lt_tensor *a, double *result) {
  double f;
  int64_t iv;
  if (trace_impl(a, &f, &iv) < 0) return -1;
  *result = lt_dtype_is_float(a->dtype) ? f : (double)iv;
  return 0;
}

int lt_trace_int(const lt_tensor *a, int64_t *result) {
  if (lt_dtype_is_float(a->dtype)) LT_FAIL(-1, "trace: an integer result of a %sTensor", lt_dtype_name(a->dtype));
  double f;
  return trace_impl(a, &f, result);
}

/* a 0-dim tensor of a's type holding an integer result exactly */
static lt_tensor *int_scalar(const lt_tensor *a, int64_t v) {
  lt_tensor *t = lt_scalar_tensor(0, a->dtype, a->device);
  if (t && lt_fill_int(t, v) < 0) { lt_release(t); return NULL; }
  return t;
}

/* the same as 0-dim tensors (recorded when an input requires grad) */
lt_tensor *lt_dot_tensor(const lt_tensor *a, const lt_tensor *b) {
  if (LT_AG2(a, b)) return lt_ag_dot(a, b);
  double v;
  int64_t iv;
  if (dot_impl(a, b, &v, &iv) < 0) return NULL;
  if (!lt_dtype_is_float(a->dtype)) return int_scalar(a, iv);
  return lt_scalar_tensor(v, a->dtype, a->device);
}

lt_tensor *lt_trace_tensor(const lt_tensor *a) {
  if (LT_AG1(a)) return lt_ag_trace(a);
  double v;
  int64_t iv;
  if (trace_impl(a, &v, &iv) < 0) return NULL;
  if (!lt_dtype_is_float(a->dtype)) return int_scalar(a, iv);
  return lt_scalar_tensor(v, a->dtype, a->device);
}

/* ---- diag, tril, triu ---- */

/* the k-th diagonal of the 2-D t as a stack view (length 0 when k is outside) */
static void diag_view(const lt_tensor *t, int64_t k, lt_tensor *v) {
  int64_t r = t->size[0], c = t->size[1], len;
  lt_view_init(v, t);
  if (k >= 0) { len = LT_MIN(r, c - k); if (len > 0) v->offset += k * t->stride[1]; }
  else { len = LT_MIN(r + k, c); if (len > 0) v->offset -= k * t->stride[0]; }
  v->ndim = 1;
  v->size[0] = LT_MAX(len, 0);
  v->stride[0] = t->stride[0] + t->stride[1];
}

lt_tensor *lt_diag(lt_tensor *out, const lt_tensor *a, int64_t k) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_diag(out, a, k);
  const char *op = "diag";
  if (a->ndim != 1 && a->ndim != 2) {
    char b[128];
    LT_FAIL(NULL, "%s: expected a 1-D or 2-D tensor, got size %s", op, SHAPE(a, b));
  }
  if (check_out(op, out, a->dtype, a) < 0) return NULL;
  if (shares(out, a)) return lt_deliver(out, lt_diag(NULL, a, k), a->dtype);
  if (a->ndim == 2) {
    lt_tensor d;
    diag_view(a, k, &d);
    lt_tensor *o = lt_prepare_out(op, out, 1, d.size, a->dtype, a->device);
    if (!o) return NULL;
    if (dcopy(o, &d) < 0) { lt_release(o); return NULL; }
    lt_bump_version(o);
    return o;
  }
  int64_t n = a->size[0], ak = k < 0 ? -k : k;
  if (n > INT64_MAX / 4 - ak) LT_FAIL(NULL, "%s: diagonal offset %lld too large", op, (long long)k);
  int64_t size[2] = {n + ak, n + ak};
  lt_tensor *o = lt_prepare_out(op, out, 2, size, a->dtype, a->device);
  if (!o) return NULL;
  lt_tensor d;
  diag_view(o, k, &d);
  if (dfill(o, 0) < 0 || dcopy(&d, a) < 0) { lt_release(o); return NULL; }
  lt_bump_version(o);
  return o;
}

/* zero the part of each matrix (the last two dims) of t outside the kept triangle */
static void zero_triangle(lt_tensor *t, int64_t k, bool lower) {
  int nd = t->ndim;
  int64_t r = t->size[nd - 2], c = t->size[nd - 1], rs = t->stride[nd - 2], cs = t->stride[nd - 1];
  int64_t es = (int64_t)lt_dtype_size(t->dtype), nmat = 1;
  if (r == 0 || c == 0) return;
  for (int i = 0; i < nd - 2; i++) nmat *= t->size[i];
  char *base = lt_data(t);
  for (int64_t b = 0; b < nmat; b++) {
    int64_t off = 0, rem = b;
    for (int i = nd - 3; i >= 0; i--) { off += (rem % t->size[i]) * t->stride[i]; rem /= t->size[i]; }
    char *mp = base + off * es;
    for (int64_t i = 0; i < r; i++) {
      /* tril keeps j <= i + k, triu keeps j >= i + k */
      int64_t lo, hi;
      if (lower) { lo = LT_MAX(0, LT_MIN(c, i + k + 1)); hi = c; }
      else { lo = 0; hi = LT_MAX(0, LT_MIN(c, i + k)); }
      char *row = mp + i * rs * es;
      if (hi <= lo) continue;
      if (cs == 1) memset(row + lo * es, 0, (size_t)((hi - lo) * es));
      else for (int64_t j = lo; j < hi; j++) memset(row + j * cs * es, 0, (size_t)es);
    }
  }
}

static lt_tensor *tri(const char *op, lt_tensor *out, const lt_tensor *a, int64_t k, bool lower) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_tri(lower, out, a, k);
  if (a->ndim < 2) {
    char b[128];
    LT_FAIL(NULL, "%s: expected a 2-D tensor (matrix), got size %s", op, SHAPE(a, b));
  }
  if (check_out(op, out, a->dtype, a) < 0) return NULL;
  if (shares(out, a) && !same_view(out, a)) return lt_deliver(out, tri(op, NULL, a, k, lower), a->dtype);
  /* k far outside the matrix: clamp (only its sign and range matter) */
  int64_t lim = a->size[a->ndim - 2] + a->size[a->ndim - 1] + 1;
  k = LT_MAX(-lim, LT_MIN(lim, k));
  lt_tensor *o = lt_prepare_out(op, out, a->ndim, a->size, a->dtype, a->device);
  if (!o) return NULL;
  if (!same_view(o, a) && dcopy(o, a) < 0) { lt_release(o); return NULL; }
  if (o->device.type != LT_CPU) {
    const lt_backend *be = lt_backend_for(o->device);
    if (!be || !be->tri_zero) {
      if (be) lt_seterr("%s: not available for %s tensors", op, lt_devname(o->device));
      lt_release(o);
      return NULL;
    }
    if (be->tri_zero(o, k, lower) < 0) { lt_release(o); return NULL; }
  } else
    zero_triangle(o, k, lower);
  lt_bump_version(o);
  return o;
}

lt_tensor *lt_tril(lt_tensor *out, const lt_tensor *a, int64_t k) { return tri("tril", out, a, k, true); }
lt_tensor *lt_triu(lt_tensor *out, const lt_tensor *a, int64_t k) { return tri("triu", out, a, k, false); }
