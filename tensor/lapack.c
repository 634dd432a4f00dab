/* lapack.c: linear systems and factorizations through LAPACK (lt_lapack_run,
 * lapack_call.h: OpenBLAS or cuSOLVER): gesv, trtrs, gels, inverse, potrf, potrs,
 * potri, pstrf, cholesky, solve, det, logdet, slogdet; and the autograd of det, logdet,
 * slogdet, inverse, gesv/solve and cholesky (the wrappers are static here, as nn_conv.c's
 * are). The checks and column-major helpers it shares with lapack_decomp.c are in
 * lapack_common.c.
 *
 * Every routine works on a column-major copy of its inputs (LAPACK overwrites them, and
 * wants Fortran order), so inputs of any layout, and result tensors that alias inputs
 * (Torch7's torch.gesv(b, a, b, a)), are fine. Results come back column-major (strides
 * {1, rows}), as Torch7's do; a result tensor given by the caller keeps its layout when
 * it already has the result's shape and is made column-major otherwise.
 *
 * Float and double, on the CPU or a CUDA device: every routine is an lt_lapack_call run by
 * lt_lapack_run (lapack_run.c: OpenBLAS on the CPU, cuSOLVER or a CPU round trip on a
 * device), on column-major tensors made on the input's device; everything else here
 * (triangles, symmetrizing, batches, the backward formulas) is device-generic engine ops,
 * so the CPU tests run the code the GPU runs. The host only sees copies: the pivots
 * (host memory on every device), the diagonal of an LU factorization (det), and the SVD
 * of a singular matrix (det's backward), each copied to the CPU. */
#include "lapack.h"
#include "autograd.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small pieces ---- */

static int same_type(const lt_tensor *a, const lt_tensor *b, const char *fn, const char *na, const char *nb) {
  if (a->dtype != b->dtype)
    LT_FAIL(-1, "%s: %s is %sTensor and %s is %sTensor, expected the same type", fn, na,
            lt_dtype_name(a->dtype), nb, lt_dtype_name(b->dtype));
  return 0;
}

static int check_uplo(char c, const char *fn, const char *what, const char *allowed) {
  if (!c || !strchr(allowed, c))
    LT_FAIL(-1, "%s: %s must be one of '%c' or '%c', got '%c'", fn, what, allowed[0], allowed[1], c ? c : '?');
  return 0;
}

static int illegal(const char *fn, const char *routine, int32_t info) {
  LT_FAIL(-1, "%s: LAPACK %s rejected its argument %d (a bug)", fn, routine, -info);
}

/* LAPACK's info: < 0 an argument it rejected (a bug); > 0 a zero pivot, reported as
 * "<what> (<entry>(info,info) is zero)" */
static int check_info(const char *fn, const char *routine, int32_t info, const char *what,
                      const char *entry) {
  if (info < 0) return illegal(fn, routine, info);
  if (info > 0) LT_FAIL(-1, "%s: %s (%s(%d,%d) is zero)", fn, what, entry, info, info);
  return 0;
}

/* a solver's arguments: the matrix a (named an; square when asked) and the right-hand
 * side B (a vector is one column) of a's type with `rows` rows; *vec and *k: B's form
 * and its number of columns */
static int check_solve(const lt_tensor *b, const lt_tensor *a, const char *an, bool square,
                       int64_t rows, const char *fn, bool *vec, int64_t *k) {
  char s1[64], s2[64];
  if (lt_lapack_check(a, fn, an, square) < 0 || lt_lapack_check_rhs(b, fn, "B") < 0 ||
      same_type(b, a, fn, "B", an) < 0 || lt_lapack_same_device(b, a, fn, "B", an) < 0)
    return -1;
  if (b->size[0] != rows)
    LT_FAIL(-1, "%s: B of size %s does not match %s of size %s (expected %lld rows)", fn,
            lt_shape_str(b, s1, sizeof s1), an, lt_shape_str(a, s2, sizeof s2), (long long)rows);
  *vec = b->ndim == 1;
  *k = *vec ? 1 : b->size[1];
  return 0;
}

/* the two results of gesv, trtrs, gels and pstrf handed back through o1 and o2 (resb and
 * resa, ...) into *x and *y; all or nothing */
static int two_results(lt_tensor *o1, lt_tensor *r1, lt_tensor *o2, lt_tensor *r2,
                       const char *fn, const char *n1, const char *n2, lt_tensor **x,
                       lt_tensor **y) {
  lt_tensor *got[2];
  if (lt_lapack_results(2, (lt_tensor *[]){o1, o2}, (lt_tensor *[]){r1, r2}, fn,
                        (const char *[]){n1, n2}, got) < 0)
    return -1;
  *x = got[0];
  *y = got[1];
  return 0;
}

static bool shares(const lt_tensor *r, const lt_tensor *t) {
  return r && t && (r == t || (r->storage && r->storage == t->storage));
}

/* the two result tensors of gesv, trtrs and gels must not share memory */
static int distinct(const lt_tensor *rb, const lt_tensor *ra, const char *fn) {
  if (shares(rb, ra)) LT_FAIL(-1, "%s: resb and resa must be different tensors (they share memory)", fn);
  return 0;
}

/* a 1-D view of the n x 1 column-major x when the right-hand side was a vector */
static lt_tensor *as_vector_if(lt_tensor *x, bool vec) {
  if (!vec || !x) return x;
  x->ndim = 1;
  return x;
}

/* zero the triangle strictly below (upper = true) or above the diagonal of the square
 * a, in place, as Torch7 leaves the part LAPACK did not write (triu/tril: any device) */
static int zero_other_triangle(lt_tensor *a, bool upper) {
  lt_tensor *r = upper ? lt_triu(a, a, 0) : lt_tril(a, a, 0);
  lt_release(r);
  return r ? 0 : -1;
}

/* copy the stored triangle (upper or lower) of the square a onto the other one, in
 * place: a := T + S^T, with T the stored triangle and S the same without its diagonal
 * (each sum has one zero term: exact, so a comes out exactly symmetric) */
static int symmetrize(lt_tensor *a, bool upper) {
  if (a->device.type == LT_CPU) {   /* the CPU: in place, no temporaries (small matrices) */
    int64_t n = a->size[0], lda = LT_MAX(n, 1);
    for (int64_t j = 0; j < n; j++)
      for (int64_t i = j + 1; i < n; i++) {
        int64_t lo = i + j * lda, up = j + i * lda;   /* (i,j) below, (j,i) above */
        if (a->dtype == LT_FLOAT32) { float *d = lt_data(a); if (upper) d[lo] = d[up]; else d[up] = d[lo]; }
        else { double *d = lt_data(a); if (upper) d[lo] = d[up]; else d[up] = d[lo]; }
      }
    return 0;
  }
  lt_tensor *T = upper ? lt_triu(NULL, a, 0) : lt_tril(NULL, a, 0);
  lt_tensor *S = T ? (upper ? lt_triu(NULL, a, 1) : lt_tril(NULL, a, -1)) : NULL;
  lt_tensor *St = S ? lt_transpose(S, 0, 1) : NULL;
  lt_tensor *R = St ? lt_binary(LT_ADD, NULL, T, St, 1) : NULL;
  int rc = R ? lt_copy(a, R) : -1;
  lt_release(T);
  lt_release(S);
  lt_release(St);
  lt_release(R);
  return rc;
}

/* 1 + the index of the first zero on the diagonal of the square a (any device: the
 * diagonal is read on a CPU copy), 0 when there is none; -1 on an error */
static int64_t first_zero_diag(const lt_tensor *a) {
  lt_tensor *d = lt_diag(NULL, a, 0), *h = d ? lt_to_device(d, lt_cpu()) : NULL;
  int64_t z = h ? 0 : -1;
  for (int64_t i = 0; h && z == 0 && i < h->size[0]; i++)
    if (lt_get(h, &i) == 0) z = i + 1;
  lt_release(d);
  lt_release(h);
  return z;
}

/* ---- batches (PyTorch's): a (*, r, c) tensor is its matrices one by one ---- */

/* the transpose of the last two dims (of each matrix of a batch) */
static lt_tensor *tr2(const lt_tensor *t) { return lt_transpose(t, t->ndim - 2, t->ndim - 1); }

static int64_t batch_count(const lt_tensor *t) {
  int64_t nb = 1;
  for (int i = 0; i < t->ndim - 2; i++) nb *= t->size[i];
  return nb;
}

/* the i-th matrix (row-major order of the batch) of the (*, r, c) tensor t: a 2-D view */
static lt_tensor *batch_mat(const lt_tensor *t, int64_t i) {
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  for (int d = t->ndim - 3; d >= 0; d--) {
    v->offset += (i % t->size[d]) * t->stride[d];
    i /= t->size[d];
  }
  v->ndim = 2;
  v->size[0] = t->size[t->ndim - 2];
  v->size[1] = t->size[t->ndim - 1];
  v->stride[0] = t->stride[t->ndim - 2];
  v->stride[1] = t->stride[t->ndim - 1];
  return v;
}

/* a batch of square float/double matrices (at least 3 dims) */
static int check_batch(const lt_tensor *a, const char *fn, const char *arg) {
  char b[64];
  if (lt_lapack_check_type(a, fn, arg) < 0) return -1;
  if (a->size[a->ndim - 1] != a->size[a->ndim - 2])
    LT_FAIL(-1, "%s: %s must be a batch of square matrices, got size %s", fn, arg, lt_shape_str(a, b, sizeof b));
  return 0;
}

/* the error of matrix i of a batch: the message gets the batch element appended */
static void batch_error(const lt_tensor *t, int64_t i) {
  char msg[512], idx[128] = "";
  size_t k = 0;
  snprintf(msg, sizeof msg, "%s", lt_errmsg());
  int64_t rest = i, pos[LT_MAXDIM];
  for (int d = t->ndim - 3; d >= 0; d--) { pos[d] = rest % t->size[d]; rest /= t->size[d]; }
  for (int d = 0; d < t->ndim - 2 && k + 24 < sizeof idx; d++)
    k += (size_t)snprintf(idx + k, sizeof idx - k, d ? ",%lld" : "%lld", (long long)pos[d] + 1);
  lt_seterr("%s in matrix [%s] of the batch", msg, idx);
}

/* ---- gesv: X = A^-1 B and the LU factors of A ---- */

static int gesv_2d(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
                   lt_tensor **x, lt_tensor **lu, const char *fn) {
  *x = *lu = NULL;
  bool vec;
  int64_t n = a->ndim == 2 ? a->size[0] : 0, k;
  if (check_solve(b, a, "A", true, n, fn, &vec, &k) < 0) return -1;
  lt_tensor *A = lt_lapack_colmajor(a, a->dtype, n, n);
  lt_tensor *B = A ? lt_lapack_colmajor(b, a->dtype, n, k) : NULL;
  int32_t *ipiv = malloc(sizeof(int32_t) * (size_t)LT_MAX(n, 1));
  int rc = -1;
  if (!A || !B || !ipiv) { if (A && B) lt_seterr("%s: out of memory", fn); goto done; }
  if (n > 0) {
    /* no right-hand sides: still factor A, and report a singular one */
    lt_lapack_call c = {.op = k > 0 ? LT_LP_GESV : LT_LP_GETRF, .t = {A, k > 0 ? B : NULL}, .ipiv = ipiv};
    if (lt_lapack_run(&c, fn) < 0 ||
        check_info(fn, lt_lapack_name(c.op), c.info, "the matrix A is singular", "U") < 0)
      goto done;
  }
  as_vector_if(B, vec);
  rc = two_results(rb, B, ra, A, fn, "resb", "resa", x, lu);
done:
  free(ipiv);
  lt_release(A);
  lt_release(B);
  return rc;
}

/* gesv of a batch: B (*, n, k) and A (*, n, n) with the same batch dims */
static int gesv_impl(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
                     lt_tensor **x, lt_tensor **lu, const char *fn) {
  char s1[64], s2[64];
  *x = *lu = NULL;
  if (distinct(rb, ra, fn) < 0) return -1;
  if (a->ndim <= 2) return gesv_2d(rb, ra, b, a, x, lu, fn);
  if (check_batch(a, fn, "A") < 0 || lt_lapack_check_type(b, fn, "B") < 0 || same_type(b, a, fn, "B", "A") < 0 ||
      lt_lapack_same_device(b, a, fn, "B", "A") < 0)
    return -1;
  bool same = b->ndim == a->ndim && b->size[a->ndim - 2] == a->size[a->ndim - 2];
  for (int d = 0; same && d < a->ndim - 2; d++) same = b->size[d] == a->size[d];
  if (!same)
    LT_FAIL(-1, "%s: B of size %s does not match the batch A of size %s (expected B of size "
            "(batch..., %lld, k))", fn, lt_shape_str(b, s1, sizeof s1), lt_shape_str(a, s2, sizeof s2),
            (long long)a->size[a->ndim - 1]);
  lt_tensor *X = lt_empty(b->ndim, b->size, a->dtype, a->device);
  lt_tensor *LU = X ? lt_empty(a->ndim, a->size, a->dtype, a->device) : NULL;
  int rc = X && LU ? 0 : -1;
  for (int64_t i = 0; rc == 0 && i < batch_count(a); i++) {
    lt_tensor *ai = batch_mat(a, i), *bi = batch_mat(b, i), *xi = NULL, *lui = NULL;
    lt_tensor *xo = batch_mat(X, i), *luo = batch_mat(LU, i);
    rc = ai && bi && xo && luo ? gesv_2d(xo, luo, bi, ai, &xi, &lui, fn) : -1;
    if (rc < 0 && ai && bi) batch_error(a, i);
    lt_release(xi); lt_release(lui);
    lt_release(ai); lt_release(bi); lt_release(xo); lt_release(luo);
  }
  if (rc == 0) rc = two_results(rb, X, ra, LU, fn, "resb", "resa", x, lu);
  lt_release(X);
  lt_release(LU);
  return rc;
}

/* solve's backward: gB = A^-T g, gA = -gB X^T. Saved: 0 A, 1 X (the output). */
static int solve_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  bool needB = n->in[0].fn != NULL, needA = n->in[1].fn != NULL;
  const lt_tensor *A = lt_node_saved(n, 0), *X = needA ? lt_node_saved(n, 1) : NULL;
  if (!A || (needA && !X)) return -1;
  lt_tensor *At = tr2(A);
  lt_tensor *gB = At ? lt_solve(NULL, g, At) : NULL;
  lt_release(At);
  if (!gB) return -1;
  if (needA) {
    lt_tensor *p;
    if (X->ndim == 1) p = lt_ger(NULL, gB, X);
    else {
      lt_tensor *Xt = tr2(X);
      p = Xt ? lt_matmul(NULL, gB, Xt) : NULL;
      lt_release(Xt);
    }
    grads[1] = p ? lt_unary(LT_NEG, NULL, p) : NULL;
    lt_release(p);
    if (!grads[1]) { lt_release(gB); return -1; }
  }
  if (needB) grads[0] = gB;
  else lt_release(gB);
  return 0;
}


static int ag_gesv(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
                   lt_tensor **x, lt_tensor **lu, const char *fn) {
  *x = *lu = NULL;
  if (ra && (ra->requires_grad || shares(ra, a) || shares(ra, b)))
    LT_FAIL(-1, "%s: the LU result tensor must not be an input or require grad when the "
            "inputs require grad", fn);
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, fn, rb, 2, (const lt_tensor *[]){b, a});
  if (mode < 0) return -1;
  lt_tensor *X = NULL, *LU = NULL;
  if (gesv_impl(c.target, ra, c.in[0], c.in[1], &X, &LU, fn) < 0) { lt_ag_plain(&c, NULL); return -1; }
  if (mode == LT_AG_PLAIN) { *x = lt_ag_plain(&c, X); *lu = LU; return 0; }
  lt_node *nd = lt_node_new("GesvBackward", solve_backward, 2, c.in);
  if (!nd || lt_node_save(nd, 0, c.in[1], false) < 0 || lt_node_save(nd, 1, X, true) < 0) {
    if (nd) lt_node_release(nd);
    lt_release(X);
    lt_release(LU);
    lt_ag_plain(&c, NULL);
    return -1;
  }
  *x = lt_ag_finish(&c, X, nd);
  if (!*x) { lt_release(LU); return -1; }
  *lu = LU;
  return 0;
}

static int gesv_named(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
                      lt_tensor **x, lt_tensor **lu, const char *fn) {
  if (LT_AG_OUT(rb, a->requires_grad || b->requires_grad)) return ag_gesv(rb, ra, b, a, x, lu, fn);
  bool p = lt_grad_pause();
  int rc = gesv_impl(rb, ra, b, a, x, lu, fn);
  lt_grad_resume(p);
  return rc;
}

int lt_gesv(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
            lt_tensor **x, lt_tensor **lu) {
  return gesv_named(rb, ra, b, a, x, lu, "torch.gesv");
}

int lt_solve_lu(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
              lt_tensor **x, lt_tensor **lu) {
  return gesv_named(rb, ra, b, a, x, lu, "torch.solve");
}

lt_tensor *lt_solve(lt_tensor *out, const lt_tensor *b, const lt_tensor *a) {
  lt_tensor *x, *lu;
  if (gesv_named(out, NULL, b, a, &x, &lu, "torch.solve") < 0) return NULL;
  lt_release(lu);
  return x;
}

/* ---- trtrs: triangular solve ---- */

int lt_trtrs(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a, char uplo,
             char trans, char diag, lt_tensor **x, lt_tensor **acopy) {
  const char *fn = "torch.trtrs";
  *x = *acopy = NULL;
  if (distinct(rb, ra, fn) < 0) return -1;
  if (check_uplo(uplo, fn, "uplo", "UL") < 0 || check_uplo(trans, fn, "trans", "NT") < 0 ||
      check_uplo(diag, fn, "diag", "NU") < 0)
    return -1;
  bool vec;
  int64_t n = a->ndim == 2 ? a->size[0] : 0, k;
  if (check_solve(b, a, "A", true, n, fn, &vec, &k) < 0) return -1;
  bool p = lt_grad_pause();
  lt_tensor *A = lt_lapack_colmajor(a, a->dtype, n, n);
  lt_tensor *B = A ? lt_lapack_colmajor(b, a->dtype, n, k) : NULL;
  int rc = -1;
  if (!A || !B) goto done;
  if (n > 0 && k > 0) {
    lt_lapack_call c = {.op = LT_LP_TRTRS, .c1 = uplo, .c2 = trans, .c3 = diag, .t = {A, B}};
    if (lt_lapack_run(&c, fn) < 0 ||
        check_info(fn, "trtrs", c.info, "the triangular matrix A is singular", "A") < 0)
      goto done;
  }
  as_vector_if(B, vec);
  rc = two_results(rb, B, ra, A, fn, "resb", "resa", x, acopy);
done:
  lt_release(A);
  lt_release(B);
  lt_grad_resume(p);
  return rc;
}

/* ---- gels: least squares (m >= n) or least norm (m < n) ---- */

/* a column-major copy of the r x c block at the top left of the column-major t (the
 * call layer takes matrices whose leading dimension is their row count) */
static lt_tensor *top_left(const lt_tensor *t, int64_t r, int64_t c) {
  lt_tensor *v = lt_narrow(t, 0, 0, r), *w = v ? lt_narrow(v, 1, 0, c) : NULL;
  lt_tensor *m = w ? lt_lapack_colmajor(w, t->dtype, r, c) : NULL;
  lt_release(v);
  lt_release(w);
  return m;
}

/* that block of t := src (r x c) */
static int put_top_left(lt_tensor *t, const lt_tensor *src) {
  lt_tensor *v = lt_narrow(t, 0, 0, src->size[0]), *w = v ? lt_narrow(v, 1, 0, src->size[1]) : NULL;
  int rc = w ? lt_copy(w, src) : -1;
  lt_release(v);
  lt_release(w);
  return rc;
}

int lt_gels_qr(lt_tensor *A, lt_tensor *B, int32_t *info, const char *fn) {
  int64_t m = A->size[0], n = A->size[1], k = B->size[1], q = LT_MIN(m, n);
  bool tall = m >= n;
  *info = 0;
  /* the QR factorization of A (tall) or of A^T (wide: A = R^T Q^T, LAPACK's LQ) */
  lt_tensor *At = tall ? NULL : lt_transpose(A, 0, 1);
  lt_tensor *F = tall ? (lt_retain(A), A) : At ? lt_lapack_colmajor(At, A->dtype, n, m) : NULL;
  lt_tensor *tau = F ? lt_empty(1, &q, A->dtype, A->device) : NULL, *R = NULL, *Y = NULL;
  int rc = -1;
  if (!tau) goto done;
  lt_lapack_call c = {.op = LT_LP_GEQRF, .t = {F, tau}};
  if (lt_lapack_run(&c, fn) < 0 || (c.info < 0 && illegal(fn, "geqrf", c.info) < 0)) goto done;
  if (tall) {   /* B := Q^T B, then R X = its top n rows */
    c = (lt_lapack_call){.op = LT_LP_ORMQR, .c1 = 'L', .c2 = 'T', .k = q, .t = {F, tau, B}};
    if (lt_lapack_run(&c, fn) < 0 || (c.info < 0 && illegal(fn, "ormqr", c.info) < 0)) goto done;
  }
  R = top_left(F, q, q);
  Y = R ? top_left(B, q, k) : NULL;
  if (!Y) goto done;
  /* tall: R X = Y; wide: R^T Z = Y (L Z = B as LAPACK's LQ path) */
  c = (lt_lapack_call){.op = LT_LP_TRTRS, .c1 = 'U', .c2 = tall ? 'N' : 'T', .c3 = 'N', .t = {R, Y}};
  if (lt_lapack_run(&c, fn) < 0 || (c.info < 0 && illegal(fn, "trtrs", c.info) < 0)) goto done;
  if (c.info > 0) { *info = c.info; rc = 0; goto done; }
  if (put_top_left(B, Y) < 0) goto done;
  if (!tall) {   /* X = Q [Z; 0], and A gets the factorization as LAPACK's LQ leaves it */
    lt_tensor *low = lt_narrow(B, 0, m, n - m);
    int f = low ? lt_fill(low, 0) : -1;
    lt_release(low);
    if (f < 0) goto done;
    c = (lt_lapack_call){.op = LT_LP_ORMQR, .c1 = 'L', .c2 = 'N', .k = q, .t = {F, tau, B}};
    if (lt_lapack_run(&c, fn) < 0 || (c.info < 0 && illegal(fn, "ormqr", c.info) < 0)) goto done;
    lt_tensor *Ft = lt_transpose(F, 0, 1);
    int cp = Ft ? lt_copy(A, Ft) : -1;
    lt_release(Ft);
    if (cp < 0) goto done;
  }
  rc = 0;
done:
  lt_release(At);
  lt_release(F);
  lt_release(tau);
  lt_release(R);
  lt_release(Y);
  return rc;
}

int lt_gels(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
            lt_tensor **x, lt_tensor **qr) {
  const char *fn = "torch.gels";
  *x = *qr = NULL;
  if (distinct(rb, ra, fn) < 0) return -1;
  bool vec;
  int64_t m = a->ndim == 2 ? a->size[0] : 0, n = a->ndim == 2 ? a->size[1] : 0, k;
  if (check_solve(b, a, "A", false, m, fn, &vec, &k) < 0) return -1;
  int64_t rows = LT_MAX(m, n);
  bool p = lt_grad_pause();
  lt_tensor *A = lt_lapack_colmajor(a, a->dtype, m, n);
  lt_tensor *B = A ? lt_lapack_colmajor(b, a->dtype, rows, k) : NULL;
  int rc = -1;
  if (!A || !B) goto done;
  if (m > 0 && n > 0 && k > 0) {
    /* the CPU: LAPACK's gels; a device: QR, ormqr and a triangular solve (cuSOLVER has
     * no gels for every shape) */
    lt_lapack_call c = {.op = LT_LP_GELS, .c1 = 'N', .t = {A, B}};
    if (A->device.type != LT_CPU) {
      if (lt_gels_qr(A, B, &c.info, fn) < 0) goto done;
    } else if (lt_lapack_run(&c, fn) < 0) goto done;
    if (c.info < 0) { illegal(fn, "gels", c.info); goto done; }
    if (c.info > 0) {
      lt_seterr("%s: A does not have full rank (element (%d,%d) of its triangular factor is zero)",
                fn, c.info, c.info);
      goto done;
    }
  } else if (k > 0 && m < n) {
    /* no equations: the least-norm solution is zero (B was zero-padded) */
    if (lt_fill(B, 0) < 0) goto done;
  }
  as_vector_if(B, vec);
  rc = two_results(rb, B, ra, A, fn, "resb", "resa", x, qr);
done:
  lt_release(A);
  lt_release(B);
  lt_grad_resume(p);
  return rc;
}

/* ---- LU-based: inverse, det ---- */

/* A column-major LU factorization of the square a: returns the factors, the pivots in
 * *ipiv (malloc'd) and getrf's info (> 0: U(info,info) is zero). */
static lt_tensor *lu_factor(const lt_tensor *a, const char *fn, int32_t **ipiv, int32_t *info) {
  *ipiv = NULL;
  *info = 0;
  if (lt_lapack_check(a, fn, "A", true) < 0) return NULL;
  int64_t n = a->size[0];
  lt_tensor *A = lt_lapack_colmajor(a, a->dtype, n, n);
  if (!A) return NULL;
  *ipiv = malloc(sizeof(int32_t) * (size_t)LT_MAX(n, 1));
  if (!*ipiv) { lt_release(A); LT_FAIL(NULL, "%s: out of memory", fn); }
  if (n > 0) {
    lt_lapack_call c = {.op = LT_LP_GETRF, .t = {A}, .ipiv = *ipiv};
    int rc = lt_lapack_run(&c, fn);
    *info = c.info;
    if (rc == 0 && c.info < 0) rc = illegal(fn, "getrf", c.info);
    if (rc < 0) { free(*ipiv); *ipiv = NULL; lt_release(A); return NULL; }
  }
  return A;
}

static lt_tensor *inverse_2d(lt_tensor *out, const lt_tensor *a) {
  const char *fn = "torch.inverse";
  int32_t *ipiv, info;
  lt_tensor *A = lu_factor(a, fn, &ipiv, &info), *r = NULL;
  if (!A) return NULL;
  if (check_info(fn, "getrf", info, "the matrix is singular", "U") < 0) goto done;
  if (a->size[0] > 0) {
    lt_lapack_call c = {.op = LT_LP_GETRI, .t = {A}, .ipiv = ipiv};
    if (lt_lapack_run(&c, fn) < 0 ||
        check_info(fn, "getri", c.info, "the matrix is singular", "U") < 0)
      goto done;
  }
  r = lt_lapack_result(out, A, fn, "res");
done:
  free(ipiv);
  lt_release(A);
  return r;
}

/* a square-matrix function of a 2-D matrix, applied to each matrix of a batch: the
 * results (of a's shape) row-major, then handed to out */
typedef lt_tensor *(*mat_fn)(lt_tensor *out, const lt_tensor *a, char opt, const char *fn);
static lt_tensor *batched(lt_tensor *out, const lt_tensor *a, char opt, const char *fn, mat_fn f) {
  if (check_batch(a, fn, "A") < 0) return NULL;
  lt_tensor *R = lt_empty(a->ndim, a->size, a->dtype, a->device);
  int rc = R ? 0 : -1;
  for (int64_t i = 0; rc == 0 && i < batch_count(a); i++) {
    lt_tensor *ai = batch_mat(a, i), *ri = batch_mat(R, i);
    lt_tensor *y = ai && ri ? f(ri, ai, opt, fn) : NULL;
    if (!y) { rc = -1; if (ai && ri) batch_error(a, i); }
    lt_release(y);
    lt_release(ai);
    lt_release(ri);
  }
  lt_tensor *r = rc == 0 ? lt_lapack_result(out, R, fn, "res") : NULL;
  lt_release(R);
  return r;
}

static lt_tensor *inverse_mat(lt_tensor *out, const lt_tensor *a, char opt, const char *fn) {
  (void)opt; (void)fn;
  return inverse_2d(out, a);
}

static lt_tensor *inverse_impl(lt_tensor *out, const lt_tensor *a) {
  if (a->ndim > 2) return batched(out, a, 0, "torch.inverse", inverse_mat);
  return inverse_2d(out, a);
}

/* inverse's backward: Y = A^-1, dA = -Y^T g Y^T. Saved: 0 Y (the output). */
static int inverse_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const lt_tensor *Y = lt_node_saved(n, 0);
  if (!Y) return -1;
  lt_tensor *Yt = tr2(Y);
  lt_tensor *p = Yt ? lt_matmul(NULL, Yt, g) : NULL;
  lt_tensor *q = p ? lt_matmul(NULL, p, Yt) : NULL;
  grads[0] = q ? lt_unary(LT_NEG, NULL, q) : NULL;
  lt_release(Yt);
  lt_release(p);
  lt_release(q);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_inverse(lt_tensor *out, const lt_tensor *a) {
  if (LT_AG_OUT(out, a->requires_grad)) {
    lt_ag_ctx c;
    int mode = lt_ag_begin(&c, "torch.inverse", out, 1, &a);
    if (mode < 0) return NULL;
    lt_tensor *r = inverse_impl(c.target, c.in[0]);
    if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
    lt_node *nd = lt_node_new("InverseBackward", inverse_backward, 1, c.in);
    if (!nd || lt_node_save(nd, 0, r, true) < 0) {
      if (nd) lt_node_release(nd);
      lt_release(r);
      return lt_ag_plain(&c, NULL);
    }
    return lt_ag_finish(&c, r, nd);
  }
  bool p = lt_grad_pause();
  lt_tensor *r = inverse_impl(out, a);
  lt_grad_resume(p);
  return r;
}

/* sign and log|det| from the LU factors A (on any device) and their pivots (host memory):
 * the diagonal is copied to the CPU (info > 0: singular, sign 0, log -inf) */
static int lu_slogdet(const lt_tensor *A, const int32_t *ipiv, int32_t info, double *sign,
                      double *logabs, double *det) {
  int64_t n = A->size[0];
  double s = 1, l = 0, d = 1;
  bool cpu = A->device.type == LT_CPU;   /* read in place; a device's diagonal is copied */
  lt_tensor *dg = n > 0 && !cpu ? lt_diag(NULL, A, 0) : NULL;
  lt_tensor *u = dg ? lt_to_device(dg, lt_cpu()) : NULL;
  lt_release(dg);
  if (n > 0 && !cpu && !u) return -1;
  for (int64_t i = 0; i < n; i++) {
    int64_t ii[2] = {i, i};
    double ui = cpu ? lt_get(A, ii) : lt_get(u, &i);
    if (ipiv[i] != i + 1) { s = -s; d = -d; }
    d *= ui;
    if (ui < 0) s = -s;
    l += log(fabs(ui));
  }
  lt_release(u);
  if (info > 0) { s = 0; l = -INFINITY; d = 0; }
  *sign = s;
  *logabs = l;
  *det = d;
  return 0;
}

enum { DET, LOGDET, SLOGDET };
static const char *det_fn[] = {"torch.det", "torch.logdet", "torch.slogdet"};

/* the three values of a's determinant as double numbers (named as fn) */
static int det_values_named(const lt_tensor *a, const char *fn, double *sign, double *logabs,
                            double *det) {
  int32_t *ipiv, info;
  bool p = lt_grad_pause();
  lt_tensor *A = lu_factor(a, fn, &ipiv, &info);
  int rc = A ? lu_slogdet(A, ipiv, info, sign, logabs, det) : -1;
  lt_grad_resume(p);
  free(ipiv);
  lt_release(A);
  return rc;
}

static int det_values(const lt_tensor *a, int kind, double *sign, double *logabs, double *det) {
  return det_values_named(a, det_fn[kind], sign, logabs, det);
}

/* The cofactor matrix of a (the gradient of det at a, singular or not), without history,
 * on a's device: with a = U S V^T, cof(a) = det(U) det(V) U diag(p) V^T, p_i the product
 * of the other singular values. For a singular a, where A^-T does not exist. Computed in
 * double on a CPU copy of a (a rare path; the SVD's host loop is short), then copied back. */
static lt_tensor *cofactors(const lt_tensor *a) {
  const char *fn = "torch.det";
  int64_t n = a->size[0], one = 1;
  bool p = lt_grad_pause();
  lt_tensor *ac = lt_to_device(a, lt_cpu());
  lt_tensor *A = ac ? lt_lapack_colmajor(ac, LT_FLOAT64, n, n) : NULL;
  lt_tensor *U = A ? lt_lapack_colmajor_empty(LT_FLOAT64, lt_cpu(), n, n) : NULL;
  lt_tensor *VT = U ? lt_lapack_colmajor_empty(LT_FLOAT64, lt_cpu(), n, n) : NULL;
  lt_tensor *S = VT ? lt_empty(1, &n, LT_FLOAT64, lt_cpu()) : NULL;
  lt_tensor *P = S ? lt_empty(2, (int64_t[]){one, n}, LT_FLOAT64, lt_cpu()) : NULL;
  lt_tensor *UP = NULL, *C = NULL, *Cd = NULL, *r = NULL;
  if (!P) goto done;
  lt_lapack_call c = {.op = LT_LP_GESDD, .c1 = 'A', .t = {A, S, U, VT}};
  if (lt_lapack_run(&c, fn) < 0) goto done;
  if (c.info != 0) { lt_seterr("%s: backward: the SVD of the matrix did not converge", fn); goto done; }
  double su, sv, l, d;   /* det(U) and det(V^T): +-1 */
  if (det_values_named(U, fn, &su, &l, &d) < 0 || det_values_named(VT, fn, &sv, &l, &d) < 0) goto done;
  for (int64_t i = 0; i < n; i++) {   /* p_i, then C = sign U diag(p) V^T */
    double pi = su * sv;
    for (int64_t j = 0; j < n; j++) if (j != i) pi *= lt_get(S, &j);
    if (lt_put(P, (int64_t[]){0, i}, pi) < 0) goto done;
  }
  UP = lt_binary(LT_MUL, NULL, U, P, 1);   /* U diag(p): column i scaled by p_i */
  C = UP ? lt_mm(NULL, UP, VT) : NULL;
  Cd = C ? lt_to_dtype(C, a->dtype) : NULL;
  r = Cd ? lt_to_device(Cd, a->device) : NULL;
done:
  lt_release(ac);
  lt_release(A);
  lt_release(U);
  lt_release(VT);
  lt_release(S);
  lt_release(P);
  lt_release(UP);
  lt_release(C);
  lt_release(Cd);
  lt_grad_resume(p);
  return r;
}

/* g (one value per matrix: 0-dim, or the batch's shape) as (batch..., 1, 1), to
 * broadcast over each matrix */
static lt_tensor *per_matrix(const lt_tensor *g, const lt_tensor *A) {
  int64_t size[LT_MAXDIM];
  for (int d = 0; d < A->ndim - 2; d++) size[d] = A->size[d];
  size[A->ndim - 2] = size[A->ndim - 1] = 1;
  return lt_reshape(g, A->ndim, size);
}

/* the cofactors of every matrix of A (2-D or a batch), without history */
static lt_tensor *all_cofactors(const lt_tensor *A) {
  if (A->ndim == 2) return cofactors(A);
  bool p = lt_grad_pause();
  lt_tensor *C = lt_empty(A->ndim, A->size, A->dtype, A->device);
  int rc = C ? 0 : -1;
  for (int64_t i = 0; rc == 0 && i < batch_count(A); i++) {
    lt_tensor *ai = batch_mat(A, i), *ci = batch_mat(C, i), *c = ai ? cofactors(ai) : NULL;
    rc = c && ci ? lt_copy(ci, c) : -1;
    lt_release(ai);
    lt_release(ci);
    lt_release(c);
  }
  lt_grad_resume(p);
  if (rc < 0) { lt_release(C); return NULL; }
  return C;
}

/* any zero among the values of t (one per matrix: read on a CPU copy) */
static bool has_zero(const lt_tensor *t) {
  bool p = lt_grad_pause();
  lt_tensor *h = lt_to_device(t, lt_cpu()), *c = h ? lt_contiguous(h) : NULL;
  bool z = false;
  for (int64_t i = 0; c && i < lt_numel(c); i++)
    z = z || lt_load(c->dtype, (const char *)lt_data(c) + i * (int64_t)lt_dtype_size(c->dtype)) == 0;
  lt_release(c);
  lt_release(h);
  lt_grad_resume(p);
  return z;
}

/* det: g det A^-T; logdet and slogdet's log|det|: g A^-T (through inverse, recorded, so
 * second derivatives work). det where a matrix is singular: g cof(A), not recorded
 * further. Saved: 0 A; for det, 1 the output. Batches: one g and det per matrix. */
static int det_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const lt_tensor *A = lt_node_saved(n, 0);
  if (!A) return -1;
  const lt_tensor *D = n->p[0] == DET ? lt_node_saved(n, 1) : NULL;
  if (n->p[0] == DET && !D) return -1;
  lt_tmps s = {0};
  lt_tensor *gv = lt_keep(&s, per_matrix(g, A)), *r = NULL;
  if (n->p[0] == DET && has_zero(D)) {
    lt_tensor *c = lt_keep(&s, all_cofactors(A));
    r = c && gv ? lt_keep(&s, lt_binary(LT_MUL, NULL, c, gv, 1)) : NULL;
  } else {
    lt_tensor *inv = gv ? lt_keep(&s, lt_inverse(NULL, A)) : NULL;
    if (gv && !inv) {
      lt_seterr("%s: backward: %s (a singular matrix has no gradient here)", det_fn[n->p[0]], lt_errmsg());
      lt_tmps_free(&s);
      return -1;
    }
    lt_tensor *it = inv ? lt_keep(&s, tr2(inv)) : NULL;
    r = it ? lt_keep(&s, lt_binary(LT_MUL, NULL, it, gv, 1)) : NULL;
    if (r && D) {
      lt_tensor *dv = lt_keep(&s, per_matrix(D, A));
      r = dv ? lt_keep(&s, lt_binary(LT_MUL, NULL, r, dv, 1)) : NULL;
    }
  }
  grads[0] = lt_tmps_result(&s, r);
  return grads[0] ? 0 : -1;
}

static lt_tensor *det_tensor(const lt_tensor *a, int kind, lt_tensor **sign_out) {
  const char *fn = det_fn[kind];
  if (sign_out) *sign_out = NULL;
  int nbd = a->ndim > 2 ? a->ndim - 2 : 0;
  if (nbd && check_batch(a, fn, "A") < 0) return NULL;
  /* one value per matrix: a 0-dim tensor for a matrix, the batch's shape for a batch;
   * written on the CPU, then moved to a's device */
  lt_tensor *r = nbd ? lt_empty(nbd, a->size, a->dtype, lt_cpu()) : lt_scalar_tensor(0, a->dtype, lt_cpu());
  lt_tensor *sg = !r || !sign_out ? NULL : nbd ? lt_empty(nbd, a->size, a->dtype, lt_cpu())
                                                : lt_scalar_tensor(0, a->dtype, lt_cpu());
  if (!r || (sign_out && !sg)) { lt_release(r); lt_release(sg); return NULL; }
  size_t es = lt_dtype_size(a->dtype);
  for (int64_t i = 0; i < (nbd ? batch_count(a) : 1); i++) {
    lt_tensor *m = nbd ? batch_mat(a, i) : lt_alias(a);
    double sign, logabs, det;
    int rc = m ? det_values(m, kind, &sign, &logabs, &det) : -1;
    lt_release(m);
    if (rc < 0) {
      if (nbd) batch_error(a, i);
      lt_release(r);
      lt_release(sg);
      return NULL;
    }
    double v = kind == DET ? det : kind == SLOGDET ? logabs : sign < 0 ? NAN : logabs;
    lt_store(a->dtype, (char *)lt_data(r) + i * (int64_t)es, v);
    if (sg) lt_store(a->dtype, (char *)lt_data(sg) + i * (int64_t)es, sign);
  }
  if (a->device.type != LT_CPU) {
    lt_tensor *rd = lt_to_device(r, a->device), *sd = sg ? lt_to_device(sg, a->device) : NULL;
    lt_release(r);
    lt_release(sg);
    r = rd;
    sg = sd;
    if (!r || (sign_out && !sg)) { lt_release(r); lt_release(sg); return NULL; }
  }
  if (lt_grad_on && a->requires_grad) {
    static const char *names[] = {"DetBackward", "LogdetBackward", "SlogdetBackward"};
    lt_node *nd = lt_node_new(names[kind], det_backward, 1, &a);
    if (!nd) { lt_release(r); lt_release(sg); return NULL; }
    nd->p[0] = kind;
    if (lt_node_save(nd, 0, a, false) < 0 || (kind == DET && lt_node_save(nd, 1, r, true) < 0)) {
      lt_node_release(nd);
      lt_release(r);
      lt_release(sg);
      return NULL;
    }
    if (!(r = lt_node_attach(nd, r))) { lt_release(sg); return NULL; }
  }
  if (sign_out) *sign_out = sg;
  return r;
}

lt_tensor *lt_det(const lt_tensor *a) { return det_tensor(a, DET, NULL); }
lt_tensor *lt_logdet(const lt_tensor *a) { return det_tensor(a, LOGDET, NULL); }
int lt_slogdet(const lt_tensor *a, lt_tensor **sign, lt_tensor **logabsdet) {
  *logabsdet = det_tensor(a, SLOGDET, sign);
  return *logabsdet ? 0 : -1;
}

/* ---- Cholesky: potrf, potrs, potri, pstrf, cholesky ---- */

static lt_tensor *potrf_2d(lt_tensor *out, const lt_tensor *a, char uplo, const char *fn) {
  if (check_uplo(uplo, fn, "uplo", "UL") < 0 || lt_lapack_check(a, fn, "A", true) < 0) return NULL;
  int64_t n = a->size[0];
  lt_tensor *A = lt_lapack_colmajor(a, a->dtype, n, n), *r = NULL;
  if (!A) return NULL;
  if (n > 0) {
    lt_lapack_call c = {.op = LT_LP_POTRF, .c1 = uplo, .t = {A}};
    if (lt_lapack_run(&c, fn) < 0) goto done;
    if (c.info < 0) { illegal(fn, "potrf", c.info); goto done; }
    if (c.info > 0) {
      lt_seterr("%s: the matrix is not positive definite (its leading minor of order %d is "
                "not positive)", fn, c.info);
      goto done;
    }
    if (zero_other_triangle(A, uplo == 'U') < 0) goto done;
  }
  r = lt_lapack_result(out, A, fn, "res");
done:
  lt_release(A);
  return r;
}

static lt_tensor *potrf_impl(lt_tensor *out, const lt_tensor *a, char uplo, const char *fn) {
  if (a->ndim > 2) {
    if (check_uplo(uplo, fn, "uplo", "UL") < 0) return NULL;
    return batched(out, a, uplo, fn, potrf_2d);
  }
  return potrf_2d(out, a, uplo, fn);
}

/* cholesky's backward (PyTorch's): with L lower (L = U^T for upper) and gL its gradient,
 * phi = tril(L^T gL) with the diagonal halved, G = L^-T phi L^-1, dA = (G + G^T) / 2.
 * Saved: 0 the output. */
/* the n x n identity (a constant: no history) */
static lt_tensor *identity(int64_t n, lt_dtype dt, lt_device dev) {
  int64_t size[2] = {n, n};
  bool p = lt_grad_pause();
  lt_tensor *e = lt_zeros(2, size, dt, dev), *d = e ? lt_alias(e) : NULL;
  int rc = -1;
  if (d) {   /* the diagonal as a 1-D view */
    d->ndim = 1;
    d->size[0] = n;
    d->stride[0] = n + 1;
    rc = lt_fill(d, 1);
  }
  lt_release(d);
  lt_grad_resume(p);
  if (rc < 0) { lt_release(e); return NULL; }
  return e;
}

static int cholesky_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  bool upper = n->p[0];
  const lt_tensor *F = lt_node_saved(n, 0);
  if (!F) return -1;
  lt_tmps s = {0};
  lt_tensor *L = upper ? lt_keep(&s, tr2(F)) : (lt_tensor *)F;
  lt_tensor *gL = upper ? lt_keep(&s, tr2(g)) : (lt_tensor *)g;
  lt_tensor *Lt = L ? lt_keep(&s, tr2(L)) : NULL;
  lt_tensor *P = Lt && gL ? lt_keep(&s, lt_matmul(NULL, Lt, gL)) : NULL;
  lt_tensor *Pl = P ? lt_keep(&s, lt_tril(NULL, P, 0)) : NULL;
  /* the diagonal halved: Pl - 0.5 (Pl .* I), for every matrix of a batch */
  lt_tensor *I = lt_keep(&s, identity(F->size[F->ndim - 1], F->dtype, F->device));
  lt_tensor *D = Pl && I ? lt_keep(&s, lt_binary(LT_MUL, NULL, Pl, I, 1)) : NULL;
  lt_tensor *phi = Pl && D ? lt_keep(&s, lt_binary(LT_SUB, NULL, Pl, D, 0.5)) : NULL;
  lt_tensor *Li = L ? lt_keep(&s, lt_inverse(NULL, L)) : NULL;
  lt_tensor *Lit = Li ? lt_keep(&s, tr2(Li)) : NULL;
  lt_tensor *G1 = Lit && phi ? lt_keep(&s, lt_matmul(NULL, Lit, phi)) : NULL;
  lt_tensor *G = G1 ? lt_keep(&s, lt_matmul(NULL, G1, Li)) : NULL;
  lt_tensor *Gt = G ? lt_keep(&s, tr2(G)) : NULL;
  lt_tensor *S = G && Gt ? lt_keep(&s, lt_binary(LT_ADD, NULL, G, Gt, 1)) : NULL;
  lt_tensor *R = S ? lt_keep(&s, lt_binary_scalar(LT_MUL, NULL, S, 0.5, false)) : NULL;
  grads[0] = lt_tmps_result(&s, R);
  return grads[0] ? 0 : -1;
}

/* potrf and cholesky: one factorization, one gradient */
static lt_tensor *chol_named(lt_tensor *out, const lt_tensor *a, char uplo, const char *fn) {
  bool upper = uplo == 'U';
  if (LT_AG_OUT(out, a->requires_grad)) {
    lt_ag_ctx c;
    int mode = lt_ag_begin(&c, fn, out, 1, &a);
    if (mode < 0) return NULL;
    lt_tensor *r = potrf_impl(c.target, c.in[0], uplo, fn);
    if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
    lt_node *nd = lt_node_new("CholeskyBackward", cholesky_backward, 1, c.in);
    if (!nd || lt_node_save(nd, 0, r, true) < 0) {
      if (nd) lt_node_release(nd);
      lt_release(r);
      return lt_ag_plain(&c, NULL);
    }
    nd->p[0] = upper;
    return lt_ag_finish(&c, r, nd);
  }
  bool p = lt_grad_pause();
  lt_tensor *r = potrf_impl(out, a, uplo, fn);
  lt_grad_resume(p);
  return r;
}

lt_tensor *lt_potrf(lt_tensor *out, const lt_tensor *a, char uplo) {
  if (check_uplo(uplo, "torch.potrf", "uplo", "UL") < 0) return NULL;
  return chol_named(out, a, uplo, "torch.potrf");
}

lt_tensor *lt_cholesky(lt_tensor *out, const lt_tensor *a, bool upper) {
  return chol_named(out, a, upper ? 'U' : 'L', "torch.cholesky");
}

lt_tensor *lt_potrs(lt_tensor *out, const lt_tensor *b, const lt_tensor *chol, char uplo) {
  const char *fn = "torch.potrs";
  bool vec;
  int64_t n = chol->ndim == 2 ? chol->size[0] : 0, k;
  if (check_uplo(uplo, fn, "uplo", "UL") < 0 || check_solve(b, chol, "chol", true, n, fn, &vec, &k) < 0)
    return NULL;
  bool p = lt_grad_pause();
  lt_tensor *A = lt_lapack_colmajor(chol, chol->dtype, n, n);
  lt_tensor *B = A ? lt_lapack_colmajor(b, chol->dtype, n, k) : NULL, *r = NULL;
  if (!A || !B) goto done;
  if (n > 0 && k > 0) {
    lt_lapack_call c = {.op = LT_LP_POTRS, .c1 = uplo, .t = {A, B}};
    if (lt_lapack_run(&c, fn) < 0) goto done;
    if (c.info < 0) { illegal(fn, "potrs", c.info); goto done; }
  }
  as_vector_if(B, vec);
  r = lt_lapack_result(out, B, fn, "res");
done:
  lt_release(A);
  lt_release(B);
  lt_grad_resume(p);
  return r;
}

lt_tensor *lt_potri(lt_tensor *out, const lt_tensor *chol, char uplo) {
  const char *fn = "torch.potri";
  if (check_uplo(uplo, fn, "uplo", "UL") < 0 || lt_lapack_check(chol, fn, "chol", true) < 0) return NULL;
  int64_t n = chol->size[0];
  bool p = lt_grad_pause();
  lt_tensor *A = lt_lapack_colmajor(chol, chol->dtype, n, n), *r = NULL;
  if (!A) goto done;
  if (n > 0) {
    /* a zero on the factor's diagonal is found here on a device, as LAPACK's trtri (in
     * potri) reports the first one on the CPU; a device's potri need not */
    int64_t z = A->device.type == LT_CPU ? 0 : first_zero_diag(A);
    if (z < 0 || check_info(fn, "potri", (int32_t)z, "the Cholesky factor is singular", "chol") < 0)
      goto done;
    lt_lapack_call c = {.op = LT_LP_POTRI, .c1 = uplo, .t = {A}};
    if (lt_lapack_run(&c, fn) < 0 ||
        check_info(fn, "potri", c.info, "the Cholesky factor is singular", "chol") < 0)
      goto done;
    /* potri writes one triangle of the symmetric inverse */
    if (symmetrize(A, uplo == 'U') < 0) goto done;
  }
  r = lt_lapack_result(out, A, fn, "res");
done:
  lt_release(A);
  lt_grad_resume(p);
  return r;
}

int lt_pstrf(lt_tensor *rout, lt_tensor *pivout, const lt_tensor *a, char uplo, double tol,
             lt_tensor **r, lt_tensor **piv) {
  const char *fn = "torch.pstrf";
  *r = *piv = NULL;
  if (check_uplo(uplo, fn, "uplo", "UL") < 0 || lt_lapack_check(a, fn, "A", true) < 0) return -1;
  /* the pivots: an IntTensor on A's device (a CudaIntTensor for a CUDA A) */
  if (pivout && (pivout->dtype != LT_INT32 || !lt_same_device(pivout->device, a->device))) {
    bool there = lt_same_device(pivout->device, a->device);
    LT_FAIL(-1, "%s: the pivot result tensor must be %s, got %sTensor%s%s", fn,
            a->device.type == LT_CPU ? "a CPU IntTensor" : "a CudaIntTensor on A's device",
            lt_dtype_name(pivout->dtype), there ? "" : " on ", there ? "" : lt_devname(pivout->device));
  }
  int64_t n = a->size[0];
  bool p = lt_grad_pause();
  lt_tensor *A = lt_lapack_colmajor(a, a->dtype, n, n);
  lt_tensor *P = A ? lt_empty(1, &n, LT_INT32, a->device) : NULL;
  int rc = -1;
  if (!A || !P) goto done;
  if (n > 0) {
    lt_lapack_call c = {.op = LT_LP_PSTRF, .c1 = uplo, .t = {A, P}, .tol = tol};
    if (lt_lapack_run(&c, fn) < 0) goto done;
    if (c.info < 0) { illegal(fn, "pstrf", c.info); goto done; }
    if (c.info > 0) {
      lt_seterr("%s: the matrix is rank deficient or not positive semidefinite (computed rank "
                "%d of %lld)", fn, c.rank, (long long)n);
      goto done;
    }
    if (zero_other_triangle(A, uplo == 'U') < 0) goto done;
  }
  rc = two_results(rout, A, pivout, P, fn, "res", "piv", r, piv);
done:
  lt_release(A);
  lt_release(P);
  lt_grad_resume(p);
  return rc;
}
