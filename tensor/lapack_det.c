/* lapack_det.c: determinants through LU factorizations (lapack.c's lt_lapack_lu): det,
 * logdet, slogdet, of a matrix or a batch, on any device (the LU diagonal is read on the
 * CPU), and their gradients: A^-T scaled (det: by det, logdet: by 1), or, for det at a
 * singular matrix, the cofactor matrix from an SVD of a CPU copy. */
#include "lapack.h"
#include "autograd.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- determinants ---- */

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
  lt_tensor *A = lt_lapack_lu(a, fn, &ipiv, &info);
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
  for (int64_t i = 0; rc == 0 && i < lt_lapack_batch_count(A); i++) {
    lt_tensor *ai = lt_lapack_batch_mat(A, i), *ci = lt_lapack_batch_mat(C, i), *c = ai ? cofactors(ai) : NULL;
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
    lt_tensor *it = inv ? lt_keep(&s, lt_lapack_tr2(inv)) : NULL;
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
  if (nbd && lt_lapack_check_batch(a, fn, "A") < 0) return NULL;
  /* one value per matrix: a 0-dim tensor for a matrix, the batch's shape for a batch;
   * written on the CPU, then moved to a's device */
  lt_tensor *r = nbd ? lt_empty(nbd, a->size, a->dtype, lt_cpu()) : lt_scalar_tensor(0, a->dtype, lt_cpu());
  lt_tensor *sg = !r || !sign_out ? NULL : nbd ? lt_empty(nbd, a->size, a->dtype, lt_cpu())
                                                : lt_scalar_tensor(0, a->dtype, lt_cpu());
  if (!r || (sign_out && !sg)) { lt_release(r); lt_release(sg); return NULL; }
  size_t es = lt_dtype_size(a->dtype);
  for (int64_t i = 0; i < (nbd ? lt_lapack_batch_count(a) : 1); i++) {
    lt_tensor *m = nbd ? lt_lapack_batch_mat(a, i) : lt_alias(a);
    double sign, logabs, det;
    int rc = m ? det_values(m, kind, &sign, &logabs, &det) : -1;
    lt_release(m);
    if (rc < 0) {
      if (nbd) lt_lapack_batch_error(a, i);
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
