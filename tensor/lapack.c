/* lapack.c: linear systems and factorizations through LAPACK (lt_lapack_run,
 * lapack_call.h: OpenBLAS or cuSOLVER): gesv, trtrs, gels, inverse, potrf, potrs,
 * potri, pstrf, cholesky, solve; and the autograd of inverse, gesv/solve and cholesky
 * (the wrappers are static here, as nn_conv.c's are). Determinants are in lapack_det.c
 * (from lt_lapack_lu, here); the checks, batch and column-major helpers shared with
 * lapack_decomp.c in lapack_common.c.
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
 * so the CPU tests run the code the GPU runs. The host only sees copies (the pivots are
 * host memory on every device). */
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

/* c run; an argument LAPACK rejected (info < 0) is an error too (a bug) */
static int run_ok(lt_lapack_call *c, const char *fn) {
  if (lt_lapack_run(c, fn) < 0) return -1;
  return c->info < 0 ? illegal(fn, lt_lapack_name(c->op), c->info) : 0;
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

/* r and t one tensor or on one storage (autograd counts the versions of a storage) */
static bool shares(const lt_tensor *r, const lt_tensor *t) {
  return r && t && (r == t || (r->storage && r->storage == t->storage));
}

/* the two result tensors of gesv, trtrs and gels must not share memory: checked before
 * the work (lt_lapack_results checks again, before writing) */
static int distinct(lt_tensor *rb, lt_tensor *ra, const char *fn) {
  return lt_lapack_distinct(2, (lt_tensor *[]){rb, ra}, fn, (const char *[]){"resb", "resa"});
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

/* 1 + the index of the first zero on the (main) diagonal of the matrix a (any device:
 * the diagonal is read on a CPU copy), 0 when there is none; -1 on an error */
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
  if (lt_lapack_check_batch(a, fn, "A") < 0 || lt_lapack_check_type(b, fn, "B") < 0 || same_type(b, a, fn, "B", "A") < 0 ||
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
  for (int64_t i = 0; rc == 0 && i < lt_lapack_batch_count(a); i++) {
    lt_tensor *ai = lt_lapack_batch_mat(a, i), *bi = lt_lapack_batch_mat(b, i), *xi = NULL, *lui = NULL;
    lt_tensor *xo = lt_lapack_batch_mat(X, i), *luo = lt_lapack_batch_mat(LU, i);
    rc = ai && bi && xo && luo ? gesv_2d(xo, luo, bi, ai, &xi, &lui, fn) : -1;
    if (rc < 0 && ai && bi) lt_lapack_batch_error(a, i);
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
  lt_tensor *At = lt_lapack_tr2(A);
  lt_tensor *gB = At ? lt_solve(NULL, g, At) : NULL;
  lt_release(At);
  if (!gB) return -1;
  if (needA) {
    lt_tensor *p;
    if (X->ndim == 1) p = lt_ger(NULL, gB, X);
    else {
      lt_tensor *Xt = lt_lapack_tr2(X);
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
  if (run_ok(&c, fn) < 0) goto done;
  if (tall) {   /* B := Q^T B, then R X = its top n rows */
    c = (lt_lapack_call){.op = LT_LP_ORMQR, .c1 = 'L', .c2 = 'T', .k = q, .t = {F, tau, B}};
    if (run_ok(&c, fn) < 0) goto done;
  }
  R = top_left(F, q, q);
  Y = R ? top_left(B, q, k) : NULL;
  if (!Y) goto done;
  /* a zero on R's diagonal: A is rank deficient, reported as LAPACK's gels does (info, from
   * its trtrs); checked here since a device's triangular solve reports nothing */
  int64_t z = first_zero_diag(R);
  if (z != 0) {
    if (z > 0) { *info = (int32_t)z; rc = 0; }
    goto done;
  }
  /* tall: R X = Y; wide: R^T Z = Y (L Z = B as LAPACK's LQ path) */
  c = (lt_lapack_call){.op = LT_LP_TRTRS, .c1 = 'U', .c2 = tall ? 'N' : 'T', .c3 = 'N', .t = {R, Y}};
  if (run_ok(&c, fn) < 0) goto done;
  if (c.info > 0) { *info = c.info; rc = 0; goto done; }
  if (put_top_left(B, Y) < 0) goto done;
  if (!tall) {   /* X = Q [Z; 0], and A gets the factorization as LAPACK's LQ leaves it */
    lt_tensor *low = lt_narrow(B, 0, m, n - m);
    int f = low ? lt_fill(low, 0) : -1;
    lt_release(low);
    if (f < 0) goto done;
    c = (lt_lapack_call){.op = LT_LP_ORMQR, .c1 = 'L', .c2 = 'N', .k = q, .t = {F, tau, B}};
    if (run_ok(&c, fn) < 0) goto done;
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
    if ((A->device.type != LT_CPU ? lt_gels_qr(A, B, &c.info, fn) : run_ok(&c, fn)) < 0) goto done;
    /* LAPACK's gels returns X = 0 for an all-zero A without factoring it (info 0): that A
     * is left zero, so its triangular factor's diagonal (R's, or L's for a wide A) is
     * checked here too */
    int64_t z = c.info == 0 && A->device.type == LT_CPU ? first_zero_diag(A) : 0;   /* lt_gels_qr checked R */
    if (z < 0) goto done;
    if (z > 0) c.info = (int32_t)z;
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

/* ---- LU-based: inverse (and the LU factors lapack_det.c takes its determinants from) ---- */

lt_tensor *lt_lapack_lu(const lt_tensor *a, const char *fn, int32_t **ipiv, int32_t *info) {
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
    int rc = run_ok(&c, fn);
    *info = c.info;
    if (rc < 0) { free(*ipiv); *ipiv = NULL; lt_release(A); return NULL; }
  }
  return A;
}

static lt_tensor *inverse_2d(lt_tensor *out, const lt_tensor *a) {
  const char *fn = "torch.inverse";
  int32_t *ipiv, info;
  lt_tensor *A = lt_lapack_lu(a, fn, &ipiv, &info), *r = NULL;
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
  if (lt_lapack_check_batch(a, fn, "A") < 0) return NULL;
  lt_tensor *R = lt_empty(a->ndim, a->size, a->dtype, a->device);
  int rc = R ? 0 : -1;
  for (int64_t i = 0; rc == 0 && i < lt_lapack_batch_count(a); i++) {
    lt_tensor *ai = lt_lapack_batch_mat(a, i), *ri = lt_lapack_batch_mat(R, i);
    lt_tensor *y = ai && ri ? f(ri, ai, opt, fn) : NULL;
    if (!y) { rc = -1; if (ai && ri) lt_lapack_batch_error(a, i); }
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
  lt_tensor *Yt = lt_lapack_tr2(Y);
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

/* ---- Cholesky: potrf, potrs, potri, pstrf, cholesky ---- */

static lt_tensor *potrf_2d(lt_tensor *out, const lt_tensor *a, char uplo, const char *fn) {
  if (check_uplo(uplo, fn, "uplo", "UL") < 0 || lt_lapack_check(a, fn, "A", true) < 0) return NULL;
  int64_t n = a->size[0];
  lt_tensor *A = lt_lapack_colmajor(a, a->dtype, n, n), *r = NULL;
  if (!A) return NULL;
  if (n > 0) {
    lt_lapack_call c = {.op = LT_LP_POTRF, .c1 = uplo, .t = {A}};
    if (run_ok(&c, fn) < 0) goto done;
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
  lt_tensor *L = upper ? lt_keep(&s, lt_lapack_tr2(F)) : (lt_tensor *)F;
  lt_tensor *gL = upper ? lt_keep(&s, lt_lapack_tr2(g)) : (lt_tensor *)g;
  lt_tensor *Lt = L ? lt_keep(&s, lt_lapack_tr2(L)) : NULL;
  lt_tensor *P = Lt && gL ? lt_keep(&s, lt_matmul(NULL, Lt, gL)) : NULL;
  lt_tensor *Pl = P ? lt_keep(&s, lt_tril(NULL, P, 0)) : NULL;
  /* the diagonal halved: Pl - 0.5 (Pl .* I), for every matrix of a batch */
  lt_tensor *I = lt_keep(&s, identity(F->size[F->ndim - 1], F->dtype, F->device));
  lt_tensor *D = Pl && I ? lt_keep(&s, lt_binary(LT_MUL, NULL, Pl, I, 1)) : NULL;
  lt_tensor *phi = Pl && D ? lt_keep(&s, lt_binary(LT_SUB, NULL, Pl, D, 0.5)) : NULL;
  lt_tensor *Li = L ? lt_keep(&s, lt_inverse(NULL, L)) : NULL;
  lt_tensor *Lit = Li ? lt_keep(&s, lt_lapack_tr2(Li)) : NULL;
  lt_tensor *G1 = Lit && phi ? lt_keep(&s, lt_matmul(NULL, Lit, phi)) : NULL;
  lt_tensor *G = G1 ? lt_keep(&s, lt_matmul(NULL, G1, Li)) : NULL;
  lt_tensor *Gt = G ? lt_keep(&s, lt_lapack_tr2(G)) : NULL;
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
  if (n > 0) {
    /* potrs divides by the factor's diagonal without a check (NaN or Inf out): a zero
     * there is the error potri and trtrs give */
    int64_t z = first_zero_diag(A);
    if (z < 0 || check_info(fn, "potrs", (int32_t)z, "the Cholesky factor is singular", "chol") < 0)
      goto done;
  }
  if (n > 0 && k > 0) {
    lt_lapack_call c = {.op = LT_LP_POTRS, .c1 = uplo, .t = {A, B}};
    if (run_ok(&c, fn) < 0) goto done;
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
  /* LAPACK compares the pivots with tol: a NaN would compare false everywhere */
  if (!isfinite(tol))
    LT_FAIL(-1, "%s: tol must be a finite number (a negative one: LAPACK's default), got %g", fn, tol);
  if (lt_lapack_distinct(2, (lt_tensor *[]){rout, pivout}, fn, (const char *[]){"res", "piv"}) < 0)
    return -1;
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
    if (run_ok(&c, fn) < 0) goto done;
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
