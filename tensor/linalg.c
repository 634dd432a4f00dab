/* linalg.c: matrix and vector products (addmm, addmv, addr, baddbmm, addbmm and their
 * plain forms, matmul). dot, trace, diag and tril/triu are in linalg_diag.c, cross in
 * linalg_cross.c; the checks they share are in linalg_common.h.
 *
 * float32/float64 products go to OpenBLAS. A matrix whose strides are (ld, 1) or (1, ld)
 * is handed to BLAS as it is (NoTrans / Trans), so transposed views cost no copy; only a
 * matrix with neither layout is copied. A result stored column-major (a transposed view
 * passed as out) is computed as C^T = B^T A^T and so is written in place too. Integer
 * types run an i-k-j loop (arithmetic wraps, as in Torch7); bool goes through int64 and
 * float16/bfloat16 through float32. When out shares memory with an input, the result is
 * computed apart and copied in. */
#include "linalg_common.h"
#include "autograd.h"
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* on a device, float16/bfloat16 products stay in their type (cuBLAS computes in float32) */
static lt_dtype compute_type_on(lt_dtype dt, lt_device dev) {
  return dev.type != LT_CPU && lt_is_half(dt) ? dt : compute_type(dt);
}

/* out may be written in place of its addend M: the same view, already of the result's size */
static bool addend_in_place(const lt_tensor *out, const lt_tensor *M, int nd, const int64_t *size) {
  return same_view(out, M) && out->ndim == nd && !memcmp(out->size, size, sizeof(int64_t) * nd);
}

/* M (the added term) must broadcast to the result's shape */
static int check_addend(const char *op, const lt_tensor *M, int nd, const int64_t *size) {
  /* an empty tensor (no storage) has no dimensions but is no scalar: it never broadcasts */
  bool ok = M->ndim <= nd && (M->ndim > 0 || M->storage);
  for (int i = 0; ok && i < M->ndim; i++) {
    int64_t s = M->size[i], want = size[nd - M->ndim + i];
    ok = s == want || s == 1;
  }
  if (!ok) {
    char b1[128], b2[128];
    lt_tensor shape;
    memset(&shape, 0, sizeof shape);
    shape.ndim = nd;
    memcpy(shape.size, size, sizeof(int64_t) * nd);
    if (!M->storage) LT_FAIL(-1, "%s: M is an empty tensor, expected size %s", op, SHAPE(&shape, b2));
    LT_FAIL(-1, "%s: M of size %s does not match the product's size %s", op, SHAPE(M, b1), SHAPE(&shape, b2));
  }
  return 0;
}

/* a stack view of t with a leading size-1 dim (never retained or released) */
static void as_batch(const lt_tensor *t, lt_tensor *v) {
  lt_view_init(v, t);
  for (int i = t->ndim; i > 0; i--) { v->size[i] = t->size[i - 1]; v->stride[i] = t->stride[i - 1]; }
  v->size[0] = 1;
  v->stride[0] = 0;
  v->ndim = t->ndim + 1;
}

/* C = beta * C (beta == 0 writes zeros, ignoring NaN) */
static int scale(lt_tensor *C, double beta) {
  if (beta == 1 || lt_numel(C) == 0) return 0;
  if (beta == 0) return lt_cpu_fill(C, 0);
  return lt_cpu_binary_scalar(LT_MUL, C, C, beta, false);
}

/* ---- BLAS layouts ---- */

/* How row-major BLAS reads an r x c matrix with element strides (rs, cs): 'N' (rows
 * contiguous), 'T' (columns contiguous), or 0 (it must be copied first). */
static char blas_layout(int64_t r, int64_t c, int64_t rs, int64_t cs, int64_t *ld) {
  char how = 0;
  if ((c <= 1 || cs == 1) && (r <= 1 || rs >= LT_MAX(c, 1))) {
    how = 'N';
    *ld = r <= 1 ? LT_MAX(c, 1) : rs;
  } else if ((r <= 1 || rs == 1) && (c <= 1 || cs >= LT_MAX(r, 1))) {
    how = 'T';
    *ld = c <= 1 ? LT_MAX(r, 1) : cs;
  }
  return how && *ld <= INT_MAX ? how : 0;
}

static void blas_gemm(lt_dtype dt, char tc, char ta, char tb, int64_t m, int64_t n, int64_t k,
                      double alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                      double beta, void *c, int64_t ldc) {
  if (m == 1 && n > 1 && k > 0) {
    /* one row (a batch-1 nn.Linear): a matrix-vector product, which OpenBLAS spreads over
     * the threads (its sgemm does not, at m = 1): y = x B, x and y strided rows */
    int64_t incx = ta == 'N' ? 1 : lda, incy = tc == 'N' ? 1 : ldc;
    size_t es = dt == LT_FLOAT32 ? 4 : 8;
    if (beta == 0)   /* C's contents ignored, NaN included */
      for (int64_t j = 0; j < n; j++) memset((char *)c + j * incy * (int64_t)es, 0, es);
    enum CBLAS_TRANSPOSE T = tb == 'N' ? CblasTrans : CblasNoTrans;
    blasint rows = (blasint)(tb == 'N' ? k : n), cols = (blasint)(tb == 'N' ? n : k);
    if (dt == LT_FLOAT32)
      cblas_sgemv(CblasRowMajor, T, rows, cols, (float)alpha, b, (blasint)ldb, a, (blasint)incx, (float)beta, c,
                  (blasint)incy);
    else
      cblas_dgemv(CblasRowMajor, T, rows, cols, alpha, b, (blasint)ldb, a, (blasint)incx, beta, c, (blasint)incy);
    return;
  }
  if (tc == 'T') { /* C stored column-major: compute C^T = B^T A^T into it, row-major */
    const void *tp = a; a = b; b = tp;
    int64_t t = lda; lda = ldb; ldb = t;
    t = m; m = n; n = t;
    char x = ta;
    ta = tb == 'N' ? 'T' : 'N';
    tb = x == 'N' ? 'T' : 'N';
  }
  enum CBLAS_TRANSPOSE TA = ta == 'N' ? CblasNoTrans : CblasTrans;
  enum CBLAS_TRANSPOSE TB = tb == 'N' ? CblasNoTrans : CblasTrans;
  if (dt == LT_FLOAT32)
    cblas_sgemm(CblasRowMajor, TA, TB, (blasint)m, (blasint)n, (blasint)k, (float)alpha, a,
                (blasint)lda, b, (blasint)ldb, (float)beta, c, (blasint)ldc);
  else
    cblas_dgemm(CblasRowMajor, TA, TB, (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)lda,
                b, (blasint)ldb, beta, c, (blasint)ldc);
}

/* ---- integer products: i-k-j (rows of B and C run contiguously in the inner loop) ---- */

static int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9.2233720368547758e18) return INT64_MAX;
  if (v <= -9.2233720368547758e18) return INT64_MIN;
  return (int64_t)v;
}

#define INT_GEMM(NAME, T)                                                                    \
  static void gemm_##NAME(int64_t m, int64_t n, int64_t k, double alpha_, const char *a_,    \
                          int64_t ars, int64_t acs, const char *b_, int64_t brs, int64_t bcs,  \
                          double beta_, char *c_, int64_t crs, int64_t ccs, bool par) {       \
    const T *a = (const T *)a_, *b = (const T *)b_;                                          \
    T *c = (T *)c_;                                                                          \
    T alpha = (T)sat_i64(alpha_), beta = (T)sat_i64(beta_);                                  \
    bool beta0 = beta_ == 0;                                                                 \
    _Pragma("omp parallel for if(par) schedule(static)")                                     \
    for (int64_t i = 0; i < m; i++) {                                                        \
      T *ci = c + i * crs;                                                                   \
      const T *ai = a + i * ars;                                                             \
      if (beta0) for (int64_t j = 0; j < n; j++) ci[j * ccs] = 0;                            \
      else if (beta_ != 1) for (int64_t j = 0; j < n; j++) ci[j * ccs] = (T)(beta * ci[j * ccs]); \
      for (int64_t p = 0; p < k; p++) {                                                      \
        T av = (T)(alpha * ai[p * acs]);                                                     \
        if (!av) continue;                                                                   \
        const T *bp = b + p * brs;                                                           \
        if (ccs == 1 && bcs == 1)                                                            \
          for (int64_t j = 0; j < n; j++) ci[j] = (T)(ci[j] + av * bp[j]);                   \
        else                                                                                 \
          for (int64_t j = 0; j < n; j++) ci[j * ccs] = (T)(ci[j * ccs] + av * bp[j * bcs]); \
      }                                                                                      \
    }                                                                                        \
  }
INT_GEMM(i64, int64_t)
INT_GEMM(i32, int32_t)
INT_GEMM(i16, int16_t)
INT_GEMM(i8, int8_t)
INT_GEMM(u8, uint8_t)

typedef void (*int_gemm_fn)(int64_t, int64_t, int64_t, double, const char *, int64_t, int64_t,
                            const char *, int64_t, int64_t, double, char *, int64_t, int64_t, bool);
static int_gemm_fn int_gemm_for(lt_dtype dt) {
  switch (dt) {
  case LT_INT64: return gemm_i64;
  case LT_INT32: return gemm_i32;
  case LT_INT16: return gemm_i16;
  case LT_INT8: return gemm_i8;
  case LT_UINT8: return gemm_u8;
  default: return NULL;
  }
}

/* ---- the batched product behind every matrix form ----
 * For b < nb: C[b] = beta*C[b] + alpha * A[b] @ B[b], with A nb x m x k, B nb x k x n and
 * C nb x m x n (a batch stride of 0 is fine for A and B). reduce: C is one m x n matrix that
 * accumulates every product (addbmm). beta == 0 ignores C's contents (NaN included).
 * One dtype throughout (float32/64 or an integer type); C overlaps neither A nor B. */
/* gemm3 on a device backend (cuBLAS): the same layouts, copies only where a matrix has
 * neither of the two BLAS layouts */
static int gemm3_device(const char *op, lt_tensor *C, double beta, double alpha, const lt_tensor *A,
                        const lt_tensor *B, bool reduce) {
  int64_t nb = A->size[0], m = A->size[1], k = A->size[2], n = B->size[2];
  if (m == 0 || n == 0) return 0;
  const lt_backend *be = lt_backend_for(C->device);
  if (!be) return -1;
  if (nb == 0 || k == 0 || alpha == 0) {   /* C may be a stack view: the backend directly */
    if (beta == 1 || lt_numel(C) == 0) return 0;
    if (beta == 0) return be->fill(C, 0);
    return be->binary_scalar(LT_MUL, C, C, beta, false);
  }
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX || nb > INT_MAX)
    LT_FAIL(-1, "%s: matrix dimensions above %d are not supported", op, INT_MAX);
  /* float32/64 and float16/bfloat16 through cuBLAS, integer types through a kernel */
  if (!be->gemm || C->dtype == LT_BOOL)
    LT_FAIL(-1, "%s: not available for %s %sTensor", op, lt_devname(C->device), lt_dtype_name(C->dtype));
  lt_dtype dt = C->dtype;
  int cr = reduce ? 0 : 1;
  lt_tensor *Ac = NULL, *Bc = NULL, *Ct = NULL, *T = C;
  int rc = -1;
  int64_t lda = 0, ldb = 0, ldc = 0;
  char ta, tb, tc = blas_layout(m, n, C->stride[cr], C->stride[cr + 1], &ldc);
  if (!reduce && nb > 1 && C->stride[0] == 0) tc = 0;
  if (!tc) {
    if (!(Ct = lt_empty(C->ndim, C->size, dt, C->device)) || (beta != 0 && be->copy(Ct, C) < 0)) goto done;
    T = Ct;
    tc = 'N';
    ldc = n;
  }
  if (!(ta = blas_layout(m, k, A->stride[1], A->stride[2], &lda))) {
    if (!(Ac = lt_clone(A))) goto done;
    A = Ac;
    ta = blas_layout(m, k, A->stride[1], A->stride[2], &lda);
  }
  if (!(tb = blas_layout(k, n, B->stride[1], B->stride[2], &ldb))) {
    if (!(Bc = lt_clone(B))) goto done;
    B = Bc;
    tb = blas_layout(k, n, B->stride[1], B->stride[2], &ldb);
  }
  if (be->gemm(dt, C->device.index, tc, ta, tb, m, n, k, alpha, lt_data(A), lda, nb > 1 ? A->stride[0] : 0,
               lt_data(B), ldb, nb > 1 ? B->stride[0] : 0, beta, lt_data(T), ldc,
               reduce ? 0 : T->stride[0], nb, reduce) < 0)
    goto done;
  rc = Ct ? be->copy(C, Ct) : 0;
done:
  lt_release(Ac);
  lt_release(Bc);
  lt_release(Ct);
  return rc;
}

static int gemm3(const char *op, lt_tensor *C, double beta, double alpha, const lt_tensor *A,
                 const lt_tensor *B, bool reduce) {
  if (C->device.type != LT_CPU) return gemm3_device(op, C, beta, alpha, A, B, reduce);
  int64_t nb = A->size[0], m = A->size[1], k = A->size[2], n = B->size[2];
  if (m == 0 || n == 0) return 0;
  if (nb == 0 || k == 0 || alpha == 0) return scale(C, beta);
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    LT_FAIL(-1, "%s: matrix dimensions above %d are not supported", op, INT_MAX);
  lt_dtype dt = C->dtype;
  int64_t es = (int64_t)lt_dtype_size(dt);
  int cr = reduce ? 0 : 1;                       /* C's row dim */
  bool blas = blas_type(dt);
  lt_tensor *Ac = NULL, *Bc = NULL, *Ct = NULL;
  lt_tensor *T = C;
  int rc = -1;
  int64_t lda = 0, ldb = 0, ldc = 0;
  char ta = 'N', tb = 'N', tc;

  if (blas) tc = blas_layout(m, n, C->stride[cr], C->stride[cr + 1], &ldc);
  else tc = (n <= 1 || C->stride[cr + 1] == 1) ? 'N' : 0;
  if (!reduce && nb > 1 && C->stride[0] == 0) tc = 0;
  if (!tc) { /* C's layout does not suit: work in a dense copy */
    Ct = lt_empty(C->ndim, C->size, dt, C->device);
    if (!Ct || (beta != 0 && lt_cpu_copy(Ct, C) < 0)) goto done;
    T = Ct;
    tc = 'N';
    ldc = n;
  }
  if (blas) {
    if (!(ta = blas_layout(m, k, A->stride[1], A->stride[2], &lda))) {
      if (!(Ac = lt_clone(A))) goto done;
      A = Ac;
      ta = blas_layout(m, k, A->stride[1], A->stride[2], &lda);
    }
    if (!(tb = blas_layout(k, n, B->stride[1], B->stride[2], &ldb))) {
      if (!(Bc = lt_clone(B))) goto done;
      B = Bc;
      tb = blas_layout(k, n, B->stride[1], B->stride[2], &ldb);
    }
  } else if (n > 1 && B->stride[2] != 1) {
    if (!(Bc = lt_clone(B))) goto done;
    B = Bc;
  }

  const char *pa = lt_data(A), *pb = lt_data(B);
  char *pc = lt_data(T);
  int64_t sa = A->stride[0] * es, sb = B->stride[0] * es, sc = reduce ? 0 : T->stride[0] * es;
  double work = (double)m * n * k;
  if (blas) {
    /* small products: one per thread (BLAS runs single-threaded inside a parallel region) */
    bool par = !reduce && nb > 1 && lt_threads() > 1 && work <= 128.0 * 128 * 128;
    if (par) {
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < nb; b++)
        blas_gemm(dt, tc, ta, tb, m, n, k, alpha, pa + b * sa, lda, pb + b * sb, ldb, beta, pc + b * sc, ldc);
    } else {
      for (int64_t b = 0; b < nb; b++)
        blas_gemm(dt, tc, ta, tb, m, n, k, alpha, pa + b * sa, lda, pb + b * sb, ldb,
                  reduce && b ? 1.0 : beta, pc + b * sc, ldc);
    }
  } else {
    int_gemm_fn fn = int_gemm_for(dt);
    if (!fn) LT_FAIL(-1, "%s: not defined for %sTensor", op, lt_dtype_name(dt));
    int64_t ars = A->stride[1], acs = A->stride[2], brs = B->stride[1], bcs = B->stride[2];
    int64_t crs = T->stride[cr], ccs = T->stride[cr + 1];
    bool par_batch = !reduce && nb > 1 && lt_threads() > 1 && work * nb >= LT_PARALLEL_GRAIN;
    bool par_rows = !par_batch && lt_threads() > 1 && work >= LT_PARALLEL_GRAIN && m > 1;
    if (par_batch) {
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < nb; b++)
        fn(m, n, k, alpha, pa + b * sa, ars, acs, pb + b * sb, brs, bcs, beta, pc + b * sc, crs, ccs, false);
    } else {
      for (int64_t b = 0; b < nb; b++)
        fn(m, n, k, alpha, pa + b * sa, ars, acs, pb + b * sb, brs, bcs, reduce && b ? 1.0 : beta,
           pc + b * sc, crs, ccs, par_rows);
    }
  }
  rc = 0;
  if (Ct) rc = lt_cpu_copy(C, Ct);
done:
  lt_release(Ac);
  lt_release(Bc);
  lt_release(Ct);
  return rc;
}

/* ---- matrix-matrix forms ---- */

typedef enum { MM, BMM, ADDBMM } mm_kind;

static lt_tensor *product(const char *op, mm_kind kind, lt_tensor *out, double beta,
                          const lt_tensor *M, double alpha, const lt_tensor *A, const lt_tensor *B) {
  char b1[128], b2[128];
  if (check_same_type(op, "A", A, "B", B) < 0) return NULL;
  int nd = kind == MM ? 2 : 3;
  const char *what = kind == MM ? "matrix" : "batch x n x m";
  if (need_dims(op, "A", A, nd, what) < 0 || need_dims(op, "B", B, nd, what) < 0) return NULL;
  if (A->size[nd - 1] != B->size[nd - 2])
    LT_FAIL(NULL, "%s: size mismatch, A is %s, B is %s", op, SHAPE(A, b1), SHAPE(B, b2));
  if (kind != MM && A->size[0] != B->size[0])
    LT_FAIL(NULL, "%s: batch sizes differ, A is %s, B is %s", op, SHAPE(A, b1), SHAPE(B, b2));
  int64_t size[3];
  int rnd;
  if (kind == BMM) { rnd = 3; size[0] = A->size[0]; size[1] = A->size[1]; size[2] = B->size[2]; }
  else { rnd = 2; size[0] = A->size[nd - 2]; size[1] = B->size[nd - 1]; }
  lt_dtype dt = A->dtype;
  if (beta == 0) M = NULL;   /* ignored entirely: not read, its size not checked */
  if (M && (check_same_type(op, "M", M, "A", A) < 0 || check_addend(op, M, rnd, size) < 0)) return NULL;
  if (check_out(op, out, dt, A) < 0) return NULL;

  lt_dtype ct = compute_type_on(dt, A->device);
  bool alias = shares(out, A) || shares(out, B) || (M && shares(out, M) && !addend_in_place(out, M, rnd, size));
  if (ct != dt || alias) {
    lt_tensor *Ac = lt_to_dtype(A, ct), *Bc = Ac ? lt_to_dtype(B, ct) : NULL;
    lt_tensor *Mc = Bc && M ? lt_to_dtype(M, ct) : NULL;
    lt_tensor *r = Bc && (!M || Mc) ? product(op, kind, NULL, beta, Mc, alpha, Ac, Bc) : NULL;
    lt_release(Ac); lt_release(Bc); lt_release(Mc);
    return lt_deliver(out, r, dt);
  }
  lt_tensor *o = lt_prepare_out(op, out, rnd, size, dt, A->device);
  if (!o) return NULL;
  bool useM = M && beta != 0;
  if (useM && !same_view(o, M)) {
    lt_tensor mv;
    lt_broadcast_view(M, rnd, size, &mv);
    if (lt_copy(o, &mv) < 0) { lt_release(o); return NULL; }
  }
  lt_tensor a3, b3, c3;
  const lt_tensor *pa = A, *pb = B;
  lt_tensor *pc = o;
  if (kind == MM) { as_batch(A, &a3); as_batch(B, &b3); as_batch(o, &c3); pa = &a3; pb = &b3; pc = &c3; }
  if (gemm3(op, pc, useM ? beta : 0, alpha, pa, pb, kind == ADDBMM) < 0) { lt_release(o); return NULL; }
  lt_bump_version(o);
  return o;
}

lt_tensor *lt_addmm(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                    const lt_tensor *A, const lt_tensor *B) {
  if (LT_AG_OUT(out, LT_RG(M) || A->requires_grad || B->requires_grad))
    return lt_ag_product(LT_AG_ADDMM, out, beta, M, alpha, A, B);
  return product("addmm", MM, out, beta, M, alpha, A, B);
}
/* Small dense products (a new result, both operands contiguous CPU float32/float64, at
 * most SMALL_MM multiply-adds): a direct i-k-j loop. At 4x4, cblas_sgemm's setup (packing,
 * kernel dispatch) costs about 900 instructions against 64 multiply-adds, and the general
 * path's layout work (batch views, the result's preparation) about 700 more. Anything
 * else, errors included, goes the general way. */
#define SMALL_MM 4096
typedef float lt_v4f __attribute__((vector_size(16)));
typedef double lt_v2d __attribute__((vector_size(16)));
/* each output element is the sum over p in order; W columns at a time in one vector */
#define SMALL_MM_LOOP(T, V, W)                                                               \
  do {                                                                                       \
    const T *a = lt_data(A), *b = lt_data(B);                                                \
    T *c = lt_data(C);                                                                       \
    int64_t nv = n - n % W;                                                                  \
    for (int64_t i = 0; i < m; i++) {                                                        \
      const T *ai = a + i * k;                                                               \
      for (int64_t j = 0; j < nv; j += W) {                                                  \
        V acc = {0}, bv;                                                                     \
        for (int64_t p = 0; p < k; p++) {                                                    \
          memcpy(&bv, b + p * n + j, sizeof bv);                                             \
          acc += ai[p] * bv;                                                                 \
        }                                                                                    \
        memcpy(c + i * n + j, &acc, sizeof acc);                                             \
      }                                                                                      \
      for (int64_t j = nv; j < n; j++) {                                                     \
        T acc = 0;                                                                           \
        for (int64_t p = 0; p < k; p++) acc += ai[p] * b[p * n + j];                         \
        c[i * n + j] = acc;                                                                  \
      }                                                                                      \
    }                                                                                        \
  } while (0)

static bool small_mm_fits(const lt_tensor *A, const lt_tensor *B) {
  if (A->ndim != 2 || B->ndim != 2 || A->dtype != B->dtype || !blas_type(A->dtype)) return false;
  if (A->device.type != LT_CPU || B->device.type != LT_CPU) return false;
  int64_t m = A->size[0], k = A->size[1], n = B->size[1];
  if (B->size[0] != k || m == 0 || n == 0 || k == 0 || m * n * k > SMALL_MM) return false;
  return lt_is_contiguous(A) && lt_is_contiguous(B);
}

static lt_tensor *small_mm(const lt_tensor *A, const lt_tensor *B) {
  int64_t m = A->size[0], k = A->size[1], n = B->size[1];
  int64_t size[2] = {m, n};
  lt_tensor *C = lt_empty(2, size, A->dtype, A->device);
  if (!C) return NULL;
  if (A->dtype == LT_FLOAT32) SMALL_MM_LOOP(float, lt_v4f, 4);
  else SMALL_MM_LOOP(double, lt_v2d, 2);
  return C;
}

lt_tensor *lt_mm(lt_tensor *out, const lt_tensor *A, const lt_tensor *B) {
  if (LT_AG_OUT(out, A->requires_grad || B->requires_grad)) return lt_ag_product(LT_AG_MM, out, 0, NULL, 1, A, B);
  if (!out && small_mm_fits(A, B)) return small_mm(A, B);
  return product("mm", MM, out, 0, NULL, 1, A, B);
}
lt_tensor *lt_baddbmm(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                      const lt_tensor *A, const lt_tensor *B) {
  if (LT_AG_OUT(out, LT_RG(M) || A->requires_grad || B->requires_grad))
    return lt_ag_product(LT_AG_BADDBMM, out, beta, M, alpha, A, B);
  return product("baddbmm", BMM, out, beta, M, alpha, A, B);
}
lt_tensor *lt_bmm(lt_tensor *out, const lt_tensor *A, const lt_tensor *B) {
  if (LT_AG_OUT(out, A->requires_grad || B->requires_grad)) return lt_ag_product(LT_AG_BMM, out, 0, NULL, 1, A, B);
  return product("bmm", BMM, out, 0, NULL, 1, A, B);
}
lt_tensor *lt_addbmm(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                     const lt_tensor *A, const lt_tensor *B) {
  if (LT_AG_OUT(out, LT_RG(M) || A->requires_grad || B->requires_grad))
    return lt_ag_product(LT_AG_ADDBMM, out, beta, M, alpha, A, B);
  return product("addbmm", ADDBMM, out, beta, M, alpha, A, B);
}

/* ---- matrix-vector: out = beta*v + alpha * A @ x ---- */

static lt_tensor *mv_impl(const char *op, lt_tensor *out, double beta, const lt_tensor *v,
                          double alpha, const lt_tensor *A, const lt_tensor *x) {
  char b1[128], b2[128];
  if (check_same_type(op, "A", A, "x", x) < 0) return NULL;
  if (need_dims(op, "A", A, 2, "matrix") < 0 || need_dims(op, "x", x, 1, "vector") < 0) return NULL;
  if (A->size[1] != x->size[0])
    LT_FAIL(NULL, "%s: size mismatch, A is %s, x is %s", op, SHAPE(A, b1), SHAPE(x, b2));
  int64_t m = A->size[0], k = A->size[1];
  lt_dtype dt = A->dtype;
  if (beta == 0) v = NULL;
  if (v && (check_same_type(op, "v", v, "A", A) < 0 || check_addend(op, v, 1, &m) < 0)) return NULL;
  if (check_out(op, out, dt, A) < 0) return NULL;

  lt_dtype ct = compute_type_on(dt, A->device);
  bool alias = shares(out, A) || shares(out, x) || (v && shares(out, v) && !addend_in_place(out, v, 1, &m));
  if (ct != dt || alias) {
    lt_tensor *Ac = lt_to_dtype(A, ct), *xc = Ac ? lt_to_dtype(x, ct) : NULL;
    lt_tensor *vc = xc && v ? lt_to_dtype(v, ct) : NULL;
    lt_tensor *r = xc && (!v || vc) ? mv_impl(op, NULL, beta, vc, alpha, Ac, xc) : NULL;
    lt_release(Ac); lt_release(xc); lt_release(vc);
    return lt_deliver(out, r, dt);
  }
  lt_tensor *o = lt_prepare_out(op, out, 1, &m, dt, A->device);
  if (!o) return NULL;
  bool useV = v && beta != 0;
  if (useV && !same_view(o, v)) {
    lt_tensor vv;
    lt_broadcast_view(v, 1, &m, &vv);
    if (dcopy(o, &vv) < 0) goto fail;
  }
  double b = useV ? beta : 0;
  int64_t lda, ys = m > 1 ? o->stride[0] : 1, xs = k > 1 ? x->stride[0] : 1;
  char ta = 0;
  if (A->device.type == LT_CPU && blas_type(dt) && m > 0 && k > 0 && alpha != 0 && ys > 0 && ys <= INT_MAX && m <= INT_MAX &&
      k <= INT_MAX && (ta = blas_layout(m, k, A->stride[0], A->stride[1], &lda))) {
    lt_tensor *xc = NULL;
    if (xs <= 0 || xs > INT_MAX) {
      if (!(xc = lt_clone(x))) goto fail;
      xs = 1;
    }
    const void *px = lt_data(xc ? xc : x);
    if (b == 0) lt_cpu_fill(o, 0);   /* so that NaN in out never survives */
    /* NoTrans: A is stored m x k; Trans: A^T is stored k x m */
    enum CBLAS_TRANSPOSE T = ta == 'N' ? CblasNoTrans : CblasTrans;
    blasint rows = (blasint)(ta == 'N' ? m : k), cols = (blasint)(ta == 'N' ? k : m);
    if (dt == LT_FLOAT32)
      cblas_sgemv(CblasRowMajor, T, rows, cols, (float)alpha, lt_data(A), (blasint)lda, px,
                  (blasint)xs, (float)b, lt_data(o), (blasint)ys);
    else
      cblas_dgemv(CblasRowMajor, T, rows, cols, alpha, lt_data(A), (blasint)lda, px, (blasint)xs,
                  b, lt_data(o), (blasint)ys);
    lt_release(xc);
  } else {
    /* the general product with n = 1 */
    lt_tensor a3, x3, o3;
    as_batch(A, &a3);
    lt_view_init(&x3, x);
    x3.ndim = 3; x3.size[0] = 1; x3.size[1] = k; x3.size[2] = 1;
    x3.stride[0] = 0; x3.stride[1] = x->stride[0]; x3.stride[2] = 1;
    lt_view_init(&o3, o);
    o3.ndim = 3; o3.size[0] = 1; o3.size[1] = m; o3.size[2] = 1;
    o3.stride[0] = 0; o3.stride[1] = o->stride[0]; o3.stride[2] = 1;
    if (gemm3(op, &o3, b, alpha, &a3, &x3, false) < 0) goto fail;
  }
  lt_bump_version(o);
  return o;
fail:
  lt_release(o);
  return NULL;
}

lt_tensor *lt_addmv(lt_tensor *out, double beta, const lt_tensor *v, double alpha,
                    const lt_tensor *A, const lt_tensor *x) {
  if (LT_AG_OUT(out, LT_RG(v) || A->requires_grad || x->requires_grad))
    return lt_ag_product(LT_AG_ADDMV, out, beta, v, alpha, A, x);
  return mv_impl("addmv", out, beta, v, alpha, A, x);
}
lt_tensor *lt_mv(lt_tensor *out, const lt_tensor *A, const lt_tensor *x) {
  if (LT_AG_OUT(out, A->requires_grad || x->requires_grad)) return lt_ag_product(LT_AG_MV, out, 0, NULL, 1, A, x);
  return mv_impl("mv", out, 0, NULL, 1, A, x);
}

/* ---- outer product: out = beta*M + alpha * x y^T ---- */

static lt_tensor *ger_impl(const char *op, lt_tensor *out, double beta, const lt_tensor *M,
                           double alpha, const lt_tensor *x, const lt_tensor *y) {
  if (check_same_type(op, "x", x, "y", y) < 0) return NULL;
  if (need_dims(op, "x", x, 1, "vector") < 0 || need_dims(op, "y", y, 1, "vector") < 0) return NULL;
  int64_t size[2] = {x->size[0], y->size[0]}, m = size[0], n = size[1];
  lt_dtype dt = x->dtype;
  if (beta == 0) M = NULL;
  if (M && (check_same_type(op, "M", M, "x", x) < 0 || check_addend(op, M, 2, size) < 0)) return NULL;
  if (check_out(op, out, dt, x) < 0) return NULL;

  lt_dtype ct = compute_type_on(dt, x->device);
  bool alias = shares(out, x) || shares(out, y) || (M && shares(out, M) && !addend_in_place(out, M, 2, size));
  if (ct != dt || alias) {
    lt_tensor *xc = lt_to_dtype(x, ct), *yc = xc ? lt_to_dtype(y, ct) : NULL;
    lt_tensor *Mc = yc && M ? lt_to_dtype(M, ct) : NULL;
    lt_tensor *r = yc && (!M || Mc) ? ger_impl(op, NULL, beta, Mc, alpha, xc, yc) : NULL;
    lt_release(xc); lt_release(yc); lt_release(Mc);
    return lt_deliver(out, r, dt);
  }
  lt_tensor *o = lt_prepare_out(op, out, 2, size, dt, x->device);
  if (!o) return NULL;
  bool useM = M && beta != 0;
  if (useM && !same_view(o, M)) {
    lt_tensor mv;
    lt_broadcast_view(M, 2, size, &mv);
    if (dcopy(o, &mv) < 0) goto fail;
  }
  double b = useM ? beta : 0;
  int64_t ld, xs = m > 1 ? x->stride[0] : 1, ys = n > 1 ? y->stride[0] : 1;
  char to = 0;
  if (x->device.type == LT_CPU && blas_type(dt) && m > 0 && n > 0 && alpha != 0 && m <= INT_MAX && n <= INT_MAX &&
      (to = blas_layout(m, n, o->stride[0], o->stride[1], &ld))) {
    lt_tensor *xc = NULL, *yc = NULL;
    if ((xs <= 0 || xs > INT_MAX) && !(xc = lt_clone(x))) goto fail;
    if ((ys <= 0 || ys > INT_MAX) && !(yc = lt_clone(y))) { lt_release(xc); goto fail; }
    if (xc) xs = 1;
    if (yc) ys = 1;
    const void *px = lt_data(xc ? xc : x), *py = lt_data(yc ? yc : y);
    scale(o, b);
    /* column-major out: out^T += alpha * y x^T */
    if (to == 'T') { const void *t = px; px = py; py = t; int64_t s = xs; xs = ys; ys = s; s = m; m = n; n = s; }
    if (dt == LT_FLOAT32)
      cblas_sger(CblasRowMajor, (blasint)m, (blasint)n, (float)alpha, px, (blasint)xs, py, (blasint)ys,
                 lt_data(o), (blasint)ld);
    else
      cblas_dger(CblasRowMajor, (blasint)m, (blasint)n, alpha, px, (blasint)xs, py, (blasint)ys,
                 lt_data(o), (blasint)ld);
    lt_release(xc);
    lt_release(yc);
  } else {
    /* the general product with k = 1 */
    lt_tensor x3, y3, o3;
    lt_view_init(&x3, x);
    x3.ndim = 3; x3.size[0] = 1; x3.size[1] = m; x3.size[2] = 1;
    x3.stride[0] = 0; x3.stride[1] = x->stride[0]; x3.stride[2] = 1;
    lt_view_init(&y3, y);
    y3.ndim = 3; y3.size[0] = 1; y3.size[1] = 1; y3.size[2] = n;
    y3.stride[0] = 0; y3.stride[1] = LT_MAX(n, 1); y3.stride[2] = y->stride[0];
    as_batch(o, &o3);
    if (gemm3(op, &o3, b, alpha, &x3, &y3, false) < 0) goto fail;
  }
  lt_bump_version(o);
  return o;
fail:
  lt_release(o);
  return NULL;
}

lt_tensor *lt_addr(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                   const lt_tensor *x, const lt_tensor *y) {
  if (LT_AG_OUT(out, LT_RG(M) || x->requires_grad || y->requires_grad))
    return lt_ag_product(LT_AG_ADDR, out, beta, M, alpha, x, y);
  return ger_impl("addr", out, beta, M, alpha, x, y);
}
lt_tensor *lt_ger(lt_tensor *out, const lt_tensor *x, const lt_tensor *y) {
  if (LT_AG_OUT(out, x->requires_grad || y->requires_grad)) return lt_ag_product(LT_AG_GER, out, 0, NULL, 1, x, y);
  return ger_impl("ger", out, 0, NULL, 1, x, y);
}

/* ---- matmul: PyTorch's rules ----
 * 1-D.1-D: a 0-dim dot; 2-D@2-D: mm; 1-D operands get a 1 prepended (A) or appended (B)
 * that is removed from the result; more dims: the leading (batch) dims broadcast. */
lt_tensor *lt_matmul(lt_tensor *out, const lt_tensor *A, const lt_tensor *B) {
  if (LT_AG_OUT(out, A->requires_grad || B->requires_grad)) return lt_ag_matmul(out, A, B);
  const char *op = "matmul";
  char s1[128], s2[128];
  if (check_same_type(op, "A", A, "B", B) < 0) return NULL;
  if (A->ndim == 0 || B->ndim == 0)
    LT_FAIL(NULL, "%s: both arguments need at least 1 dimension, got sizes %s and %s", op,
            SHAPE(A, s1), SHAPE(B, s2));
  bool a1 = A->ndim == 1, b1d = B->ndim == 1;
  /* A' is (..., m, k), B' is (..., k, n) */
  lt_tensor av, bv;
  lt_view_init(&av, A);
  lt_view_init(&bv, B);
  if (a1) { av.ndim = 2; av.size[0] = 1; av.stride[0] = 0; av.size[1] = A->size[0]; av.stride[1] = A->stride[0]; }
  if (b1d) { bv.ndim = 2; bv.size[1] = 1; bv.stride[1] = 1; }
  int64_t m = av.size[av.ndim - 2], k = av.size[av.ndim - 1], n = bv.size[bv.ndim - 1];
  if (bv.size[bv.ndim - 2] != k)
    LT_FAIL(NULL, "%s: size mismatch, A is %s, B is %s", op, SHAPE(A, s1), SHAPE(B, s2));
  /* broadcast the batch dims */
  int na = av.ndim - 2, nbd = bv.ndim - 2, nd = LT_MAX(na, nbd);
  if (nd + 2 > LT_MAXDIM) LT_FAIL(NULL, "%s: too many dimensions", op);
  int64_t batch[LT_MAXDIM], nbatch = 1;
  for (int i = 0; i < nd; i++) {
    int ia = na - nd + i, ib = nbd - nd + i;
    int64_t sa = ia >= 0 ? av.size[ia] : 1, sb = ib >= 0 ? bv.size[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      LT_FAIL(NULL, "%s: batch dimensions do not broadcast, A is %s, B is %s", op, SHAPE(A, s1), SHAPE(B, s2));
    batch[i] = sa == 1 ? sb : sa;
    nbatch *= batch[i];
  }
  /* the result's shape */
  int64_t fsize[LT_MAXDIM];
  int fnd = nd;
  memcpy(fsize, batch, sizeof(int64_t) * nd);
  if (!a1) fsize[fnd++] = m;
  if (!b1d) fsize[fnd++] = n;
  if (check_out(op, out, A->dtype, A) < 0) return NULL;
  lt_tensor *o = lt_prepare_out(op, out, fnd, fsize, A->dtype, A->device);
  if (!o) return NULL;
  /* the product's shape: 2-D (batch folded into A's rows) or 3-D (batch flattened) */
  bool fold = nd == 0 || (nbd == 0 && !a1);
  int64_t so[3] = {nbatch, m, n};
  lt_tensor *ov = fold ? (so[1] = nbatch * m, so[2] = n, lt_view(o, 2, so + 1)) : lt_view(o, 3, so);
  if (!ov) {
    /* o is a strided out that cannot be viewed so: compute apart, then copy in */
    lt_release(o);
    return lt_deliver(out, lt_matmul(NULL, A, B), A->dtype);
  }
  lt_tensor *r = NULL;
  lt_tensor *ap = lt_alias(&av), *bp = lt_alias(&bv), *ax = NULL, *bx = NULL, *a2 = NULL, *b2 = NULL;
  if (ap && bp) {
    if (fold) {
      int64_t sa[2] = {nbatch * m, k};
      if ((a2 = nd ? lt_reshape(ap, 2, sa) : (lt_retain(ap), ap))) r = lt_mm(ov, a2, bp);
    } else {
      /* expand both to (batch..., m, k) and (batch..., k, n), flatten the batch, bmm */
      int64_t ea[LT_MAXDIM], eb[LT_MAXDIM];
      memcpy(ea, batch, sizeof(int64_t) * nd);
      memcpy(eb, batch, sizeof(int64_t) * nd);
      ea[nd] = m; ea[nd + 1] = k;
      eb[nd] = k; eb[nd + 1] = n;
      int64_t sa[3] = {nbatch, m, k}, sb[3] = {nbatch, k, n};
      ax = lt_expand(ap, nd + 2, ea);
      bx = ax ? lt_expand(bp, nd + 2, eb) : NULL;
      a2 = bx ? lt_reshape(ax, 3, sa) : NULL;
      b2 = a2 ? lt_reshape(bx, 3, sb) : NULL;
      if (b2) r = lt_bmm(ov, a2, b2);
    }
  }
  lt_release(ap); lt_release(bp); lt_release(ax); lt_release(bx);
  lt_release(a2); lt_release(b2); lt_release(ov);
  if (!r) { lt_release(o); return NULL; }
  lt_release(r);
  return o;
}
