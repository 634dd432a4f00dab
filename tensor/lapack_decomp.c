/* lapack_decomp.c: matrix decompositions through LAPACK routine calls (lapack_call.h,
 * run by lt_lapack_run: OpenBLAS on the CPU, cuSOLVER or a host round trip on CUDA):
 *   symeig (?syevd), eig (?geev), svd (?gesdd), qr, geqrf (?geqrf), orgqr (?orgqr),
 *   ormqr (?ormqr), pinverse (PyTorch's, from svd).
 * Float and double 2-D matrices on any device; results on the input's device, made with
 * device-generic ops only (no host access to tensor data), so the CPU and CUDA paths are
 * one code. Matrix results come back column-major (strides {1, rows}) as Torch7's do,
 * except svd's V, which is row-major (LAPACK's V^T written in place). svd and symeig are
 * recorded for autograd (PyTorch's formulas, below, made of engine ops, so they run on the
 * input's device), and so are qr and eig (real, distinct eigenvalues); pinverse is made of
 * recorded ops; the others record a node whose backward says it has no formula, so a
 * gradient never silently skips them. */
#include "autograd.h"
#include "lapack.h"
#include <stdio.h>

/* ---- small helpers ---- */

/* a fresh column-major rows x cols matrix (strides {1, rows}) on dev, not a view */
static lt_tensor *colmajor_new(lt_dtype dt, lt_device dev, int64_t rows, int64_t cols) {
  return lt_lapack_colmajor_empty(dt, dev, rows, cols);
}

/* t (2-D, any layout, any device) set to the identity: zero-filled, then its main diagonal,
 * a strided view of the same storage, filled with ones (two fills, no host access) */
static int set_eye(lt_tensor *t) {
  if (lt_fill(t, 0) < 0) return -1;
  int64_t d = LT_MIN(t->size[0], t->size[1]), step = t->stride[0] + t->stride[1];
  if (d == 0) return 0;
  lt_tensor *diag = lt_from_storage(t->storage, t->offset, 1, &d, &step);
  int rc = diag ? lt_fill(diag, 1) : -1;
  lt_release(diag);
  return rc;
}

/* a new n x n identity of dtype dt on dev */
static lt_tensor *eye_on(int64_t n, lt_dtype dt, lt_device dev) {
  int64_t sz[2] = {n, n};
  lt_tensor *t = lt_empty(2, sz, dt, dev);
  if (t && set_eye(t) < 0) { lt_release(t); t = NULL; }
  return t;
}

/* a 2-D float/double matrix without NaN or Inf (LAPACK's routines may loop or give
 * garbage on them) */
static int check_matrix(const lt_tensor *a, const char *fn, const char *arg, bool square) {
  if (!a) LT_FAIL(-1, "%s: %s is missing", fn, arg);
  if (lt_lapack_check(a, fn, arg, square) < 0) return -1;
  int nf = lt_nonfinite(a);
  if (nf < 0) return -1;
  if (nf) LT_FAIL(-1, "%s: %s contains %s", fn, arg, (nf & LT_HAS_NAN) ? "NaN" : "Inf");
  return 0;
}

/* tau of geqrf: a 1-D tensor of a's dtype on a's device */
static int check_tau(const lt_tensor *tau, const lt_tensor *a, const char *fn) {
  if (!tau) LT_FAIL(-1, "%s: tau is missing", fn);
  if (lt_lapack_same_device(a, tau, fn, "a", "tau") < 0) return -1;
  if (tau->dtype != a->dtype)
    LT_FAIL(-1, "%s: tau must have a's type (%sTensor), got %sTensor", fn, lt_dtype_name(a->dtype),
            lt_dtype_name(tau->dtype));
  if (tau->ndim != 1) LT_FAIL(-1, "%s: tau must be 1-D, got %d dimensions", fn, tau->ndim);
  int nf = lt_nonfinite(tau);
  if (nf < 0) return -1;
  if (nf) LT_FAIL(-1, "%s: tau contains %s", fn, (nf & LT_HAS_NAN) ? "NaN" : "Inf");
  return 0;
}

/* Runs c through lt_lapack_run (on its operands' device): 0 with c->info >= 0 (the
 * caller reads a positive info), -1 with the error set when it could not run or LAPACK
 * rejected an argument (a bug here). */
static int run_lapack(lt_lapack_call *c, const char *fn) {
  if (lt_lapack_run(c, fn) < 0) return -1;
  if (c->info < 0)
    LT_FAIL(-1, "%s: LAPACK ?%s rejected argument %d (a bug)", fn, lt_lapack_name(c->op), (int)-c->info);
  return 0;
}

/* Hands n fresh results res[i] (taken) back through the caller's result tensors outs[i]
 * (NULL: the result itself; else resized, made column-major as Torch7's, and copied into)
 * into got[i]; all or nothing. */
static int deliver(int n, lt_tensor *const *outs, lt_tensor **res, const char *fn,
                   const char *const *names, lt_tensor **got) {
  int rc = lt_lapack_results(n, outs, res, fn, names, got);
  for (int i = 0; i < n; i++) {
    lt_release(res[i]);
    res[i] = NULL;
  }
  return rc;
}

/* a contiguous copy of the 1-D tau on its device (or tau itself, retained) */
static lt_tensor *tau_data(const lt_tensor *tau) { return lt_contiguous(tau); }

/* ---- backward of the ops without a formula: an error at backward time ---- */

static const char *const nograd_fn[] = {"torch.geqrf", "torch.orgqr", "torch.ormqr"};
enum { NG_GEQRF, NG_ORGQR, NG_ORMQR };
static const char *const nograd_node[] = {"GeqrfBackward", "OrgqrBackward", "OrmqrBackward"};

static int nograd_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  LT_UNUSED(g);
  LT_UNUSED(grads);
  LT_FAIL(-1, "backward: %s has no backward formula (of the decompositions, torch.svd, "
          "torch.symeig, torch.eig, torch.qr and torch.pinverse are differentiable)", nograd_fn[n->p[0]]);
}

/* r (taken) given a node that fails at backward when an input requires grad */
static lt_tensor *mark_nograd(int which, lt_tensor *r, int n, const lt_tensor *const *ins) {
  if (!r || !lt_grad_on || !lt_ag_any(ins, n)) return r;
  lt_node *node = lt_node_new(nograd_node[which], nograd_backward, n, ins);
  if (!node) { lt_release(r); return NULL; }
  node->p[0] = which;
  return lt_node_attach(node, r);
}

/* ---- symeig ---- */

static int symeig_compute(const lt_tensor *a, bool vectors, bool upper, lt_tensor **e,
                          lt_tensor **v) {
  const char *fn = "torch.symeig";
  if (check_matrix(a, fn, "a", true) < 0) return -1;
  lt_dtype dt = a->dtype;
  int64_t n = a->size[0];
  lt_tensor *w = lt_empty(1, &n, dt, a->device);
  lt_tensor *A = n ? lt_lapack_colmajor(a, dt, n, n) : colmajor_new(dt, a->device, 0, 0);
  if (!w || !A) { lt_release(w); lt_release(A); return -1; }
  if (n) {
    lt_lapack_call c = {.op = LT_LP_SYEVD, .c1 = vectors ? 'V' : 'N', .c2 = upper ? 'U' : 'L',
                        .t = {A, w}};
    if (run_lapack(&c, fn) < 0 || c.info > 0) {
      if (c.info > 0) lt_seterr("%s: the eigenvalue algorithm did not converge (?syevd info %d)", fn, (int)c.info);
      lt_release(w);
      lt_release(A);
      return -1;
    }
  }
  *e = w;
  if (vectors) *v = A;
  else { lt_release(A); *v = NULL; }
  return 0;
}

/* temporaries: products and views kept until lt_tmps_free */
static lt_tensor *t_mm(lt_tmps *s, const lt_tensor *a, const lt_tensor *b) {
  return a && b ? lt_keep(s, lt_mm(NULL, a, b)) : NULL;
}
static lt_tensor *t_tr(lt_tmps *s, const lt_tensor *a) {
  return a ? lt_keep(s, lt_transpose(a, 0, 1)) : NULL;
}
static lt_tensor *t_cols(lt_tmps *s, const lt_tensor *a, int64_t k) {   /* first k columns */
  return a ? lt_keep(s, lt_narrow(a, 1, 0, k)) : NULL;
}
static lt_tensor *t_row(lt_tmps *s, const lt_tensor *x) {   /* 1-D k as 1 x k */
  return x ? lt_keep(s, lt_unsqueeze(x, 0)) : NULL;
}
static lt_tensor *t_col(lt_tmps *s, const lt_tensor *x) {   /* 1-D k as k x 1 */
  return x ? lt_keep(s, lt_unsqueeze(x, 1)) : NULL;
}

/* F_ij = 1 / (y_j - y_i), y = x (or its squares when squared), 0 on the diagonal; k x k,
 * x's dtype (computed in double: close values of a float x lose less). Made of engine ops,
 * so that under createGraph F's dependence on x is recorded (second derivatives):
 * F = (1 - I) / (y_row - y_col + I), the diagonal 0 / 1. */
static lt_tensor *pair_inverse(const lt_tensor *x, bool squared) {
  lt_tmps s = {0};
  lt_tensor *xd = lt_keep(&s, lt_to_dtype(x, LT_FLOAT64));
  lt_tensor *y = squared ? lt_tmp_bin(&s, LT_MUL, xd, xd) : xd;
  lt_tensor *eye = lt_keep(&s, eye_on(x->size[0], LT_FLOAT64, x->device));
  lt_tensor *d = lt_tmp_bin(&s, LT_SUB, t_row(&s, y), t_col(&s, y));   /* y_j - y_i */
  lt_tensor *off = eye ? lt_keep(&s, lt_binary_scalar(LT_SUB, NULL, eye, 1, true)) : NULL;
  lt_tensor *F = lt_tmp_bin(&s, LT_DIV, off, lt_tmp_bin(&s, LT_ADD, d, eye));
  return lt_tmps_result(&s, F ? lt_keep(&s, lt_to_dtype(F, x->dtype)) : NULL);
}

/* Records a decomposition of a whose outputs are out[0..nsave-1] (taken, replaced by the
 * recorded ones): one node per output out[0..nattach-1] (p[0]: which, p[1]: param), each
 * saving the nsave outputs, all before any is attached so that the saved ones carry no
 * history (no cycle), and a itself in slot nsave, from which backward recomputes the
 * factors under createGraph. All or nothing: on failure every out[i] is released. */
static int record_outputs(const char *name, lt_backward_fn bw, const lt_tensor *a, lt_tensor **out,
                          int nsave, int nattach, int64_t param) {
  lt_node *nodes[3] = {NULL, NULL, NULL};
  bool ok = true;
  for (int w = 0; ok && w < nattach; w++) {
    lt_node *n = nodes[w] = lt_node_new(name, bw, 1, &a);
    ok = n != NULL;
    for (int i = 0; ok && i < nsave; i++) ok = lt_node_save(n, i, out[i], false) == 0;
    ok = ok && lt_node_save(n, nsave, a, false) == 0;
    if (ok) { n->p[0] = w; n->p[1] = param; }
  }
  for (int w = 0; w < nattach; w++) {
    if (!ok) { if (nodes[w]) lt_node_release(nodes[w]); continue; }
    if (!(out[w] = lt_node_attach(nodes[w], out[w]))) ok = false;   /* node and out[w] gone */
  }
  if (!ok)
    for (int i = 0; i < nsave; i++) { lt_release(out[i]); out[i] = NULL; }
  return ok ? 0 : -1;
}

/* Second derivatives: a formula below is made of engine ops, so under createGraph (grad
 * mode on during backward) it is recorded; but the saved factors carry no history, so the
 * formula would treat them as constants. There, the backward recomputes the factors from
 * the saved input with grad mode on (the same LAPACK call on the same matrix gives the
 * same factors, signs included), so they carry their dependence on a, and the gradient is
 * differentiable in a as a whole. */

/* Backward (PyTorch's symeig_backward), one node per output, the contributions adding up
 * (the formula is linear in the output gradients):
 *   from e: V diag(ge) V^T;  from V: V (F o (V^T gV)) V^T with F_ij = 1/(e_j - e_i), F_ii = 0;
 * then symmetrized, (G + G^T)/2, since only a symmetric perturbation keeps a symmetric.
 * p[0]: 0 for e, 1 for V; p[1]: upper. saved: 0 e, 1 V, 2 a. */
static int symeig_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_tmps s = {0};
  const lt_tensor *e, *V;
  if (lt_grad_on) {
    const lt_tensor *a = lt_node_saved(n, 2);
    lt_tensor *re = NULL, *rv = NULL;
    if (!a || lt_symeig(NULL, NULL, a, true, n->p[1] != 0, &re, &rv) < 0) return -1;
    e = lt_keep(&s, re);
    V = lt_keep(&s, rv);
  } else {
    e = lt_node_saved(n, 0);
    V = lt_node_saved(n, 1);
  }
  if (!e || !V) { lt_tmps_free(&s); return -1; }
  lt_tensor *G;
  if (n->p[0] == 0) {
    /* (V * ge_row) V^T */
    G = t_mm(&s, lt_tmp_bin(&s, LT_MUL, V, t_row(&s, g)), t_tr(&s, V));
  } else {
    lt_tensor *F = lt_keep(&s, pair_inverse(e, false));
    lt_tensor *inner = lt_tmp_bin(&s, LT_MUL, F, t_mm(&s, t_tr(&s, V), g));
    G = t_mm(&s, V, t_mm(&s, inner, t_tr(&s, V)));
  }
  lt_tensor *sym = lt_tmp_bins(&s, LT_MUL, lt_tmp_bin(&s, LT_ADD, G, t_tr(&s, G)), 0.5);
  lt_tensor *r = lt_tmps_result(&s, sym);
  if (!r) return -1;
  grads[0] = r;
  return 0;
}

static int symeig_impl(lt_tensor *re, lt_tensor *rv, const lt_tensor *a, bool vectors, bool upper,
                       lt_tensor **e, lt_tensor **v) {
  *e = NULL;
  *v = NULL;
  bool rec = a && LT_AG1(a);
  bool p = lt_grad_pause();
  lt_tensor *out[2] = {NULL, NULL};
  /* recording: the eigenvectors are needed for the gradient even when not asked for */
  int rc = symeig_compute(a, vectors || rec, upper, &out[0], &out[1]);
  lt_grad_resume(p);
  if (rc < 0) return -1;
  if (rec && record_outputs("SymeigBackward", symeig_backward, a, out, 2, vectors ? 2 : 1, upper) < 0)
    return -1;
  if (!vectors) { lt_release(out[1]); out[1] = NULL; }
  lt_tensor *got[2];
  if (deliver(vectors ? 2 : 1, (lt_tensor *[]){re, rv}, out, "torch.symeig",
              (const char *[]){"rese", "resv"}, got) < 0)
    return -1;
  *e = got[0];
  *v = vectors ? got[1] : NULL;
  return 0;
}

/* ---- eig ---- */

/* e (n x 2) := [wr wi], column by column (device-generic copies into its column views) */
static int eig_pairs(lt_tensor *E, const lt_tensor *wr, const lt_tensor *wi) {
  const lt_tensor *src[2] = {wr, wi};
  for (int c = 0; c < 2; c++) {
    lt_tensor *col = lt_select(E, 1, c);
    int rc = col ? lt_copy(col, src[c]) : -1;
    lt_release(col);
    if (rc < 0) return -1;
  }
  return 0;
}

/* Backward (PyTorch's linalg_eig_backward, for a real a with real, distinct eigenvalues
 * L and LAPACK's eigenvectors V, each column of 2-norm 1). From A V = V L, with dV = V C:
 * X = V^-1 dA V gives dL = diag(X) and C_ij = X_ij / (L_j - L_i) off the diagonal, while
 * v_i^T dv_i = 0 (unit columns) fixes C_ii = -sum_{k != i} (V^T V)_ik C_ki. Collecting the
 * coefficients of X:
 *   gA = V^-T (diag(gL) + F o (G - (V^T V) diag(diag(G)))) V^T,  G = V^T gV,
 * F_ij = 1/(L_j - L_i), F_ii = 0. One node per output (linear in gE, gV: the contributions
 * add up); e's imaginary column gets no gradient (distinct real eigenvalues stay real under
 * small perturbations). V^-T through lt_solve (recorded, device-generic). Complex or
 * repeated eigenvalues: an error (no gradient there).
 * p[0]: 0 for e, 1 for V. saved: 0 e (n x 2), 1 V, 2 a. */
static int eig_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const char *fn = "torch.eig";
  lt_tmps s = {0};
  const lt_tensor *E, *V;
  if (lt_grad_on) {   /* createGraph: the factors recomputed with their history (above) */
    const lt_tensor *a = lt_node_saved(n, 2);
    lt_tensor *re = NULL, *rv = NULL;
    if (!a || lt_eig(NULL, NULL, a, true, &re, &rv) < 0) return -1;
    E = lt_keep(&s, re);
    V = lt_keep(&s, rv);
  } else {
    E = lt_node_saved(n, 0);
    V = lt_node_saved(n, 1);
  }
  if (!E || !V) { lt_tmps_free(&s); return -1; }
  if (E->size[0] == 0) {   /* a 0 x 0 matrix: nothing depends on a */
    lt_tmps_free(&s);
    return (grads[0] = lt_ag_zeros_input(&n->in[0])) ? 0 : -1;
  }
  lt_tensor *L = lt_keep(&s, lt_select(E, 1, 0));
  lt_tensor *F = L ? lt_keep(&s, pair_inverse(L, false)) : NULL;
  if (!F) { lt_tmps_free(&s); return -1; }
  /* the spectrum: real (imaginary parts exactly 0) and distinct (F finite); checks only,
   * nothing recorded */
  bool p = lt_grad_pause();
  lt_tensor *wi = lt_keep(&s, lt_select(E, 1, 1));
  lt_tensor *wabs = lt_tmp_una(&s, LT_ABS, wi);
  double imax = 0;
  int rc = wabs ? lt_reduce_all(LT_RMAX, wabs, 0, &imax) : -1;
  int nf = rc < 0 ? -1 : lt_nonfinite(F);
  lt_grad_resume(p);
  if (rc < 0 || nf < 0) { lt_tmps_free(&s); return -1; }
  if (imax != 0) {
    lt_tmps_free(&s);
    LT_FAIL(-1, "%s: backward: complex eigenvalues: no gradient (defined only when every "
            "eigenvalue is real and distinct)", fn);
  }
  if (nf) {
    lt_tmps_free(&s);
    LT_FAIL(-1, "%s: backward: repeated eigenvalues: no gradient (defined only when every "
            "eigenvalue is real and distinct; 1/(L_j - L_i) is infinite)", fn);
  }
  lt_tensor *Vt = t_tr(&s, V), *M;
  if (n->p[0] == 0) {
    /* diag(gL) V^T: the rows of V^T scaled by gL */
    lt_tensor *gL = lt_keep(&s, lt_select(g, 1, 0));
    M = lt_tmp_bin(&s, LT_MUL, t_col(&s, gL), Vt);
  } else {
    lt_tensor *G = t_mm(&s, Vt, g);
    lt_tensor *dG = G ? lt_keep(&s, lt_diag(NULL, G, 0)) : NULL;
    lt_tensor *VtV_d = lt_tmp_bin(&s, LT_MUL, t_mm(&s, Vt, V), t_row(&s, dG));
    lt_tensor *inner = lt_tmp_bin(&s, LT_MUL, F, lt_tmp_bin(&s, LT_SUB, G, VtV_d));
    M = t_mm(&s, inner, Vt);
  }
  /* gA = V^-T M: V^T gA = M */
  lt_tensor *gA = M && Vt ? lt_keep(&s, lt_solve(NULL, M, Vt)) : NULL;
  if (!gA && M && Vt) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s: backward: the eigenvectors are linearly dependent (a is not "
             "diagonalizable): %s", fn, lt_errmsg());
    lt_seterr("%s", msg);
  }
  lt_tensor *r = lt_tmps_result(&s, gA);
  if (!r) return -1;
  grads[0] = r;
  return 0;
}

static int eig_impl(lt_tensor *re, lt_tensor *rv, const lt_tensor *a, bool vectors, lt_tensor **e,
                    lt_tensor **v) {
  const char *fn = "torch.eig";
  *e = NULL;
  *v = NULL;
  if (check_matrix(a, fn, "a", true) < 0) return -1;
  bool rec = LT_AG1(a);
  /* recording: the eigenvectors are needed for the gradient even when not asked for */
  bool want_v = vectors || rec;
  bool p = lt_grad_pause();
  lt_dtype dt = a->dtype;
  lt_device dev = a->device;
  int64_t n = a->size[0], esz[2] = {n, 2};
  lt_tensor *E = lt_empty(2, esz, dt, dev);
  lt_tensor *A = n ? lt_lapack_colmajor(a, dt, n, n) : NULL;
  lt_tensor *V = want_v ? colmajor_new(dt, dev, n, n) : NULL;
  lt_tensor *wr = lt_empty(1, &n, dt, dev), *wi = lt_empty(1, &n, dt, dev);
  int rc = E && (A || !n) && (V || !want_v) && wr && wi ? 0 : -1;
  if (rc == 0 && n) {
    lt_lapack_call c = {.op = LT_LP_GEEV, .c1 = want_v ? 'V' : 'N', .t = {A, wr, wi, V}};
    rc = run_lapack(&c, fn);
    if (rc == 0 && c.info > 0) {
      lt_seterr("%s: did not converge (LAPACK ?geev: the QR algorithm failed at eigenvalue %d)", fn, (int)c.info);
      rc = -1;
    }
    if (rc == 0) rc = eig_pairs(E, wr, wi);
  }
  lt_release(A);
  lt_release(wr);
  lt_release(wi);
  lt_grad_resume(p);
  if (rc < 0) { lt_release(E); lt_release(V); return -1; }
  lt_tensor *res[2] = {E, V}, *got[2];
  if (rec && record_outputs("EigBackward", eig_backward, a, res, 2, vectors ? 2 : 1, 0) < 0)
    return -1;
  if (!vectors) { lt_release(res[1]); res[1] = NULL; }
  if (deliver(vectors ? 2 : 1, (lt_tensor *[]){re, rv}, res, fn, (const char *[]){"rese", "resv"},
              got) < 0)
    return -1;
  *e = got[0];
  *v = vectors ? got[1] : NULL;
  return 0;
}

/* ---- svd ---- */

static int svd_compute(const lt_tensor *a, bool some, lt_tensor **U, lt_tensor **S,
                       lt_tensor **V) {
  const char *fn = "torch.svd";
  if (check_matrix(a, fn, "a", false) < 0) return -1;
  lt_dtype dt = a->dtype;
  lt_device dev = a->device;
  int64_t m = a->size[0], n = a->size[1], k = LT_MIN(m, n);
  int64_t ucols = some ? k : m, vcols = some ? k : n;
  int64_t vsz[2] = {n, vcols};
  lt_tensor *s = lt_empty(1, &k, dt, dev);
  lt_tensor *u = colmajor_new(dt, dev, m, ucols);
  /* V row-major n x vcols is, element for element, LAPACK's V^T (vcols x n, column-major):
   * the routine writes V^T into the transposed view of v */
  lt_tensor *v = lt_empty(2, vsz, dt, dev);
  lt_tensor *A = NULL, *vt = NULL;
  int rc = s && u && v ? 0 : -1;
  if (rc == 0 && k == 0) {
    /* nothing to decompose: the orthonormal factors of 'A' are identities */
    rc = set_eye(u) < 0 || set_eye(v) < 0 ? -1 : 0;
  } else if (rc == 0) {
    A = lt_lapack_colmajor(a, dt, m, n);
    vt = lt_transpose(v, 0, 1);
    if (!A || !vt) rc = -1;
    else {
      lt_lapack_call c = {.op = LT_LP_GESDD, .c1 = some ? 'S' : 'A', .t = {A, s, u, vt}};
      rc = run_lapack(&c, fn);
      if (rc == 0 && c.info > 0) {
        lt_seterr("%s: did not converge (LAPACK ?gesdd info %d)", fn, (int)c.info);
        rc = -1;
      }
    }
  }
  lt_release(vt);
  lt_release(A);
  if (rc < 0) { lt_release(s); lt_release(u); lt_release(v); return -1; }
  *U = u;
  *S = s;
  *V = v;
  return 0;
}

/* Backward (PyTorch's svd_backward for real matrices), one node per output (the formula is
 * linear in gU, gS, gV, so the contributions add up). With u, v the first k columns (the
 * rest of 'A''s U and V is any basis of a complement: ignored) and
 * F_ij = 1/(s_j^2 - s_i^2), F_ii = 0:
 *   from S: u diag(gS) v^T
 *   from U: u [(F o (u^T gu - gu^T u)) diag(s)] v^T + (I - u u^T) gu diag(1/s) v^T (m > k)
 *   from V: u [diag(s) (F o (v^T gv - gv^T v))] v^T + u diag(1/s) gv^T (I - v v^T) (n > k)
 * p[0]: 0 U, 1 S, 2 V; p[1]: some. saved: 0 U, 1 S, 2 V, 3 a. */
static int svd_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_tmps s = {0};
  const lt_tensor *U, *S, *V;
  if (lt_grad_on) {   /* createGraph: the factors recomputed with their history (above) */
    const lt_tensor *a = lt_node_saved(n, 3);
    lt_tensor *ru = NULL, *rs = NULL, *rv = NULL;
    if (!a || lt_svd(NULL, NULL, NULL, a, n->p[1] != 0, &ru, &rs, &rv) < 0) return -1;
    U = lt_keep(&s, ru);
    S = lt_keep(&s, rs);
    V = lt_keep(&s, rv);
  } else {
    U = lt_node_saved(n, 0);
    S = lt_node_saved(n, 1);
    V = lt_node_saved(n, 2);
  }
  if (!U || !S || !V) { lt_tmps_free(&s); return -1; }
  int64_t m = n->in[0].size[0], nc = n->in[0].size[1], k = S->size[0];
  lt_tensor *u = t_cols(&s, U, k), *v = t_cols(&s, V, k), *vt = t_tr(&s, v);
  lt_tensor *r = NULL;
  if (n->p[0] == 1) {
    r = t_mm(&s, lt_tmp_bin(&s, LT_MUL, u, t_row(&s, g)), vt);
  } else {
    lt_tensor *F = lt_keep(&s, pair_inverse(S, true));
    lt_tensor *sinv = lt_keep(&s, lt_binary_scalar(LT_DIV, NULL, S, 1, true));
    if (n->p[0] == 0) {
      lt_tensor *gu = t_cols(&s, g, k), *ut = t_tr(&s, u);
      lt_tensor *X = lt_tmp_bin(&s, LT_SUB, t_mm(&s, ut, gu), t_mm(&s, t_tr(&s, gu), u));
      lt_tensor *inner = lt_tmp_bin(&s, LT_MUL, lt_tmp_bin(&s, LT_MUL, F, X), t_row(&s, S));
      lt_tensor *term = t_mm(&s, u, inner);   /* m x k */
      if (m > k) {
        /* (I - u u^T) gu diag(1/s), without forming the m x m projector */
        lt_tensor *gs = lt_tmp_bin(&s, LT_MUL, gu, t_row(&s, sinv));
        lt_tensor *proj = lt_tmp_bin(&s, LT_SUB, gs, t_mm(&s, u, t_mm(&s, ut, gs)));
        term = lt_tmp_bin(&s, LT_ADD, term, proj);
      }
      r = t_mm(&s, term, vt);
    } else {
      lt_tensor *gv = t_cols(&s, g, k), *gvt = t_tr(&s, gv);
      lt_tensor *Y = lt_tmp_bin(&s, LT_SUB, t_mm(&s, vt, gv), t_mm(&s, gvt, v));
      lt_tensor *inner = lt_tmp_bin(&s, LT_MUL, t_col(&s, S), lt_tmp_bin(&s, LT_MUL, F, Y));
      lt_tensor *term = t_mm(&s, inner, vt);   /* k x n */
      if (nc > k) {
        /* diag(1/s) gv^T (I - v v^T) */
        lt_tensor *proj = lt_tmp_bin(&s, LT_SUB, gvt, t_mm(&s, t_mm(&s, gvt, v), vt));
        term = lt_tmp_bin(&s, LT_ADD, term, lt_tmp_bin(&s, LT_MUL, t_col(&s, sinv), proj));
      }
      r = t_mm(&s, u, term);
    }
  }
  r = lt_tmps_result(&s, r);
  if (!r) return -1;
  grads[0] = r;
  return 0;
}

static int svd_impl(lt_tensor *ru, lt_tensor *rs, lt_tensor *rv, const lt_tensor *a, bool some,
                    lt_tensor **u, lt_tensor **s, lt_tensor **v) {
  *u = *s = *v = NULL;
  bool rec = a && LT_AG1(a);
  bool p = lt_grad_pause();
  lt_tensor *out[3] = {NULL, NULL, NULL};
  int rc = svd_compute(a, some, &out[0], &out[1], &out[2]);
  lt_grad_resume(p);
  if (rc < 0) return -1;
  if (rec && record_outputs("SvdBackward", svd_backward, a, out, 3, 3, some) < 0) return -1;
  lt_tensor *got[3];
  if (deliver(3, (lt_tensor *[]){ru, rs, rv}, out, "torch.svd",
              (const char *[]){"resu", "ress", "resv"}, got) < 0)
    return -1;
  *u = got[0];
  *s = got[1];
  *v = got[2];
  return 0;
}

/* ---- QR: geqrf, orgqr, ormqr, qr ---- */

/* a's compact QR (column-major m x n) and tau (min(m, n)), on a's device */
static int geqrf_compute(const char *fn, const lt_tensor *a, lt_tensor **M, lt_tensor **T) {
  if (check_matrix(a, fn, "a", false) < 0) return -1;
  lt_dtype dt = a->dtype;
  int64_t m = a->size[0], n = a->size[1], k = LT_MIN(m, n);
  lt_tensor *A = k ? lt_lapack_colmajor(a, dt, m, n) : colmajor_new(dt, a->device, m, n);
  lt_tensor *tau = lt_empty(1, &k, dt, a->device);
  if (!A || !tau) { lt_release(A); lt_release(tau); return -1; }
  if (k) {
    lt_lapack_call c = {.op = LT_LP_GEQRF, .t = {A, tau}};
    if (run_lapack(&c, fn) < 0) { lt_release(A); lt_release(tau); return -1; }
  }
  *M = A;
  *T = tau;
  return 0;
}

/* Q's first columns in place: q (m x c column-major, m >= c, its columns the reflectors
 * from geqrf) := the first c columns of the product of the k reflectors of tau (k <= c);
 * with no reflector that product is I, whose columns need no LAPACK call. */
static int orgqr_cols(const char *fn, lt_tensor *q, const lt_tensor *tau, int64_t k) {
  if (k == 0) return set_eye(q);
  lt_lapack_call c = {.op = LT_LP_ORGQR, .k = k, .t = {q, (lt_tensor *)tau}};
  return run_lapack(&c, fn);
}

static int geqrf_impl(lt_tensor *rm, lt_tensor *rtau, const lt_tensor *a, lt_tensor **m, lt_tensor **tau) {
  *m = *tau = NULL;
  bool p = lt_grad_pause();
  lt_tensor *M = NULL, *T = NULL;
  int rc = geqrf_compute("torch.geqrf", a, &M, &T);
  lt_grad_resume(p);
  if (rc < 0) return -1;
  M = mark_nograd(NG_GEQRF, M, 1, &a);
  T = mark_nograd(NG_GEQRF, T, 1, &a);
  if (!M || !T) { lt_release(M); lt_release(T); return -1; }
  lt_tensor *res[2] = {M, T}, *got[2];
  if (deliver(2, (lt_tensor *[]){rm, rtau}, res, "torch.geqrf", (const char *[]){"resa", "restau"},
              got) < 0)
    return -1;
  *m = got[0];
  *tau = got[1];
  return 0;
}

/* Q from geqrf's (a, tau): a's m x n copy whose first q = min(m, n) columns LAPACK's ?orgqr
 * (m, q, k) overwrites with Q's (the product of the k reflectors). A tall or square a gives
 * the m x n Q. A wide one (n > m) gives, as Torch7's orgqr (which calls ?orgqr(m, k, k) on
 * a copy of a), a result of a's size: the m x m Q, then a's columns past m unchanged. */
static lt_tensor *orgqr_compute(const lt_tensor *a, const lt_tensor *tau) {
  const char *fn = "torch.orgqr";
  if (check_matrix(a, fn, "a", false) < 0 || check_tau(tau, a, fn) < 0) return NULL;
  lt_dtype dt = a->dtype;
  int64_t m = a->size[0], n = a->size[1], k = tau->size[0], q = LT_MIN(m, n);
  if (k > q)
    LT_FAIL(NULL, "%s: tau has %lld reflectors, more than a (%lldx%lld) holds (at most %lld)", fn,
            (long long)k, (long long)m, (long long)n, (long long)q);
  lt_tensor *Q = q ? lt_lapack_colmajor(a, dt, m, n) : colmajor_new(dt, a->device, m, n);
  lt_tensor *tc = tau_data(tau);
  lt_tensor *Qq = Q ? lt_narrow(Q, 1, 0, q) : NULL;   /* the first q columns, column-major */
  int rc = Q && tc && Qq ? 0 : -1;
  if (rc == 0 && q) rc = orgqr_cols(fn, Qq, tc, k);
  lt_release(Qq);
  lt_release(tc);
  if (rc < 0) { lt_release(Q); return NULL; }
  return Q;
}

static lt_tensor *orgqr_impl(lt_tensor *out, const lt_tensor *a, const lt_tensor *tau) {
  bool p = lt_grad_pause();
  lt_tensor *Q = orgqr_compute(a, tau);
  lt_grad_resume(p);
  Q = mark_nograd(NG_ORGQR, Q, 2, (const lt_tensor *[]){a, tau});
  lt_tensor *got;
  return Q && deliver(1, &out, &Q, "torch.orgqr", (const char *[]){"res"}, &got) == 0 ? got : NULL;
}

static lt_tensor *ormqr_compute(const lt_tensor *a, const lt_tensor *tau, const lt_tensor *c,
                                bool left, bool transpose) {
  const char *fn = "torch.ormqr";
  if (check_matrix(a, fn, "a", false) < 0 || check_tau(tau, a, fn) < 0 ||
      check_matrix(c, fn, "c", false) < 0)
    return NULL;
  lt_dtype dt = a->dtype;
  if (lt_lapack_same_device(a, c, fn, "a", "c") < 0) return NULL;
  if (c->dtype != dt)
    LT_FAIL(NULL, "%s: c must have a's type (%sTensor), got %sTensor", fn, lt_dtype_name(dt), lt_dtype_name(c->dtype));
  int64_t mc = c->size[0], nc = c->size[1], k = tau->size[0], nq = left ? mc : nc;
  if (a->size[0] != nq)
    LT_FAIL(NULL, "%s: a has %lld rows, but Q applied on the %s of c (%lldx%lld) must be of order %lld",
            fn, (long long)a->size[0], left ? "left" : "right", (long long)mc, (long long)nc,
            (long long)nq);
  if (k > a->size[1] || k > nq)
    LT_FAIL(NULL, "%s: tau has %lld reflectors, more than a (%lldx%lld) holds", fn, (long long)k,
            (long long)a->size[0], (long long)a->size[1]);
  lt_tensor *C = lt_numel(c) ? lt_lapack_colmajor(c, dt, mc, nc) : colmajor_new(dt, c->device, mc, nc);
  if (!C) return NULL;
  if (!lt_numel(c) || k == 0) return C;   /* nothing to do: Q = I when k = 0 */
  /* the reflectors: a's first k columns (nq x k), column-major */
  lt_tensor *ak = lt_narrow(a, 1, 0, k);
  lt_tensor *A = ak ? lt_lapack_colmajor(ak, dt, nq, k) : NULL;
  lt_tensor *tc = tau_data(tau);
  int rc = A && tc ? 0 : -1;
  if (rc == 0) {
    lt_lapack_call call = {.op = LT_LP_ORMQR, .c1 = left ? 'L' : 'R', .c2 = transpose ? 'T' : 'N',
                           .k = k, .t = {A, tc, C}};
    rc = run_lapack(&call, fn);
  }
  lt_release(ak);
  lt_release(A);
  lt_release(tc);
  if (rc < 0) { lt_release(C); return NULL; }
  return C;
}

static lt_tensor *ormqr_impl(lt_tensor *out, const lt_tensor *a, const lt_tensor *tau, const lt_tensor *c,
                             bool left, bool transpose) {
  bool p = lt_grad_pause();
  lt_tensor *r = ormqr_compute(a, tau, c, left, transpose);
  lt_grad_resume(p);
  r = mark_nograd(NG_ORMQR, r, 3, (const lt_tensor *[]){a, tau, c});
  lt_tensor *got;
  return r && deliver(1, &out, &r, "torch.ormqr", (const char *[]){"res"}, &got) == 0 ? got : NULL;
}

/* Backward of qr (PyTorch's linalg_qr_backward, mode 'reduced'). With k = min(m, n), split
 * A = [X | Y] and R = [U | V], X and U the first k columns (Y, V empty when m >= n), so that
 * X = Q U is a square-R QR and Y = Q V, i.e. V = Q^T Y. V's dependence on Q moves V's
 * gradient into Q's, gQ' = gQ + Y gV^T, and Y's gradient is Q gV. For X = Q U (U invertible),
 * from dX = dQ U + Q dU with Q^T dQ skew and dU upper triangular:
 *   gX = [gQ' + Q copyltu(M)] U^-T,  M = U gU^T - gQ'^T Q,
 * copyltu(M) = tril(M) + tril(M, -1)^T (M's lower triangle mirrored up). So
 *   gA = [gX | Q gV].
 * It holds for any fixed rule for the signs of R's diagonal (LAPACK's here): only that
 * Q^T dQ is skew and dU upper triangular is used. One node per output (linear in gQ, gR: the two
 * contributions add up), the other output's gradient zero. U^-T through lt_solve (recorded,
 * device-generic), so under createGraph this is differentiable too.
 * p[0]: 0 for Q, 1 for R. saved: 0 Q, 1 R, 2 a. */
static int qr_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_tmps s = {0};
  const lt_tensor *Q, *R, *a = lt_node_saved(n, 2);
  if (!a) return -1;
  if (lt_grad_on) {   /* createGraph: the factors recomputed with their history (above) */
    lt_tensor *rq = NULL, *rr = NULL;
    if (lt_qr(NULL, NULL, a, &rq, &rr) < 0) return -1;
    Q = lt_keep(&s, rq);
    R = lt_keep(&s, rr);
  } else {
    Q = lt_node_saved(n, 0);
    R = lt_node_saved(n, 1);
  }
  if (!Q || !R) { lt_tmps_free(&s); return -1; }
  int64_t m = a->size[0], nc = a->size[1], k = LT_MIN(m, nc);
  if (k == 0) {   /* an empty factorization: nothing depends on a */
    lt_tmps_free(&s);
    return (grads[0] = lt_ag_zeros_input(&n->in[0])) ? 0 : -1;
  }
  bool wide = nc > k, forR = n->p[0] == 1;
  lt_tensor *U = t_cols(&s, R, k);
  lt_tensor *gQ = NULL, *gU = NULL, *gV = NULL;
  if (forR) {
    gU = t_cols(&s, g, k);
    if (wide) {
      gV = lt_keep(&s, lt_narrow(g, 1, k, nc - k));
      lt_tensor *Y = lt_keep(&s, lt_narrow(a, 1, k, nc - k));
      gQ = t_mm(&s, Y, t_tr(&s, gV));   /* gQ' = Y gV^T (gQ itself zero here) */
    }
  } else {
    gQ = (lt_tensor *)g;   /* gV zero: gQ' = gQ */
  }
  /* M = U gU^T - gQ'^T Q, each term present only when its gradient is */
  lt_tensor *M = gU ? t_mm(&s, U, t_tr(&s, gU)) : NULL;
  if (gQ) {
    lt_tensor *P = t_mm(&s, t_tr(&s, gQ), Q);
    M = M ? lt_tmp_bin(&s, LT_SUB, M, P) : lt_keep(&s, lt_unary(LT_NEG, NULL, P));
  }
  lt_tensor *L = M ? lt_keep(&s, lt_tril(NULL, M, 0)) : NULL;
  lt_tensor *Ls = M ? lt_keep(&s, lt_tril(NULL, M, -1)) : NULL;
  lt_tensor *sym = lt_tmp_bin(&s, LT_ADD, L, t_tr(&s, Ls));   /* copyltu(M) */
  lt_tensor *B = t_mm(&s, Q, sym);
  if (gQ) B = lt_tmp_bin(&s, LT_ADD, B, gQ);
  /* gX = B U^-T: U gX^T = B^T */
  lt_tensor *gXt = B && U ? lt_keep(&s, lt_solve(NULL, t_tr(&s, B), U)) : NULL;
  if (!gXt && B && U) {
    char msg[512];
    snprintf(msg, sizeof msg, "torch.qr: backward: R's first %lld columns are singular (a's first %lld "
             "columns must be linearly independent): %s", (long long)k, (long long)k, lt_errmsg());
    lt_seterr("%s", msg);
  }
  lt_tensor *gA = t_tr(&s, gXt);
  if (wide && gA) {
    lt_tensor *gY = gV ? t_mm(&s, Q, gV) : NULL;
    if (!gV) {
      int64_t ysz[2] = {m, nc - k};
      gY = lt_keep(&s, lt_zeros(2, ysz, gA->dtype, gA->device));
    }
    gA = gY ? lt_keep(&s, lt_cat(NULL, (const lt_tensor *[]){gA, gY}, 2, 1)) : NULL;
  }
  lt_tensor *r = lt_tmps_result(&s, gA);
  if (!r) return -1;
  grads[0] = r;
  return 0;
}

/* Q (m x k, orthonormal columns) and R (k x n, upper triangular), k = min(m, n): geqrf,
 * then R from the upper triangle and Q from orgqr on the first k columns (Torch7's) */
static int qr_impl(lt_tensor *rq, lt_tensor *rr, const lt_tensor *a, lt_tensor **q, lt_tensor **r) {
  const char *fn = "torch.qr";
  *q = *r = NULL;
  bool rec = a && LT_AG1(a);
  bool p = lt_grad_pause();
  lt_tensor *M = NULL, *T = NULL, *Q = NULL, *R = NULL;
  int rc = geqrf_compute(fn, a, &M, &T);
  if (rc == 0) {
    lt_dtype dt = a->dtype;
    int64_t m = a->size[0], k = T->size[0];
    lt_tensor *top = lt_narrow(M, 0, 0, k);
    R = top ? lt_triu(NULL, top, 0) : NULL;
    lt_release(top);
    /* Q from the reflectors in M's first k columns */
    Q = colmajor_new(dt, a->device, m, k);
    lt_tensor *left = k ? lt_narrow(M, 1, 0, k) : NULL;
    rc = R && Q && (left || !k) ? 0 : -1;
    if (rc == 0 && k) rc = lt_copy(Q, left);
    if (rc == 0 && k) rc = orgqr_cols(fn, Q, T, k);
    lt_release(left);
  }
  lt_release(M);
  lt_release(T);
  lt_grad_resume(p);
  if (rc < 0) { lt_release(Q); lt_release(R); return -1; }
  lt_tensor *res[2] = {Q, R}, *got[2];
  if (rec && record_outputs("QrBackward", qr_backward, a, res, 2, 2, 0) < 0) return -1;
  if (deliver(2, (lt_tensor *[]){rq, rr}, res, fn, (const char *[]){"resq", "resr"}, got) < 0)
    return -1;
  *q = got[0];
  *r = got[1];
  return 0;
}

/* ---- pinverse (PyTorch's): V diag(1/s for s > rcond * max(s), else 0) U^T ----
 * Made of recorded ops (svd's backward among them), so it is differentiable wherever the
 * kept singular values are distinct. The cut-off ones contribute nothing, with a finite
 * gradient: 1/s is taken of s + (1 - mask), never of a zero. */
static lt_tensor *pinverse(const lt_tensor *a, double rcond) {
  const char *fn = "torch.pinverse";
  if (!(rcond >= 0) || rcond != rcond)
    LT_FAIL(NULL, "%s: rcond must be a non-negative number, got %g", fn, rcond);
  if (a && a->ndim == 2 && lt_numel(a) == 0 && lt_lapack_check(a, fn, "a", false) == 0) {
    int64_t sz[2] = {a->size[1], a->size[0]};
    return lt_zeros(2, sz, a->dtype, a->device);
  }
  lt_tensor *U = NULL, *S = NULL, *V = NULL;
  if (lt_svd(NULL, NULL, NULL, a, true, &U, &S, &V) < 0) {
    /* the error names torch.svd: say it for pinverse */
    char msg[512];
    const char *e = lt_errmsg();
    if (!strncmp(e, "torch.svd", 9)) {
      snprintf(msg, sizeof msg, "%s%s", fn, e + 9);
      lt_seterr("%s", msg);
    }
    return NULL;
  }
  double smax = 0;
  lt_tmps s = {0};
  lt_keep(&s, U);
  lt_keep(&s, S);
  lt_keep(&s, V);
  bool p = lt_grad_pause();
  int rc = lt_reduce_all(LT_RMAX, S, 0, &smax);
  lt_tensor *maskb = rc < 0 ? NULL : lt_keep(&s, lt_binary_scalar(LT_GT, NULL, S, rcond * smax, false));
  lt_tensor *mask = lt_keep(&s, maskb ? lt_to_dtype(maskb, S->dtype) : NULL);
  lt_grad_resume(p);
  /* sinv = mask / (s + 1 - mask) */
  lt_tensor *den = lt_tmp_bin(&s, LT_SUB, S, lt_tmp_bins(&s, LT_SUB, mask, 1));   /* s + 1 - mask */
  lt_tensor *sinv = lt_tmp_bin(&s, LT_DIV, mask, den);
  lt_tensor *r = t_mm(&s, lt_tmp_bin(&s, LT_MUL, V, t_row(&s, sinv)), t_tr(&s, U));
  return lt_tmps_result(&s, r);
}

static lt_tensor *pinverse_impl(lt_tensor *out, const lt_tensor *a, double rcond) {
  lt_tensor *r = pinverse(a, rcond), *got;
  return r && deliver(1, &out, &r, "torch.pinverse", (const char *[]){"res"}, &got) == 0 ? got : NULL;
}

/* ---- the entry points: an error from below (an allocation, autograd's rules for result
 * tensors) is prefixed with the function's name ---- */

static void name_error(const char *fn) {
  const char *e = lt_errmsg();
  size_t n = strlen(fn);
  if (!strncmp(e, fn, n) && e[n] == ':') return;
  char msg[1024];
  snprintf(msg, sizeof msg, "%s: %s", fn, e);
  lt_seterr("%s", msg);
}
static int named_rc(int rc, const char *fn) { if (rc < 0) name_error(fn); return rc; }
static lt_tensor *named(lt_tensor *r, const char *fn) { if (!r) name_error(fn); return r; }

int lt_symeig(lt_tensor *re, lt_tensor *rv, const lt_tensor *a, bool vectors, bool upper,
              lt_tensor **e, lt_tensor **v) {
  return named_rc(symeig_impl(re, rv, a, vectors, upper, e, v), "torch.symeig");
}
int lt_eig(lt_tensor *re, lt_tensor *rv, const lt_tensor *a, bool vectors, lt_tensor **e,
           lt_tensor **v) {
  return named_rc(eig_impl(re, rv, a, vectors, e, v), "torch.eig");
}
int lt_svd(lt_tensor *ru, lt_tensor *rs, lt_tensor *rv, const lt_tensor *a, bool some,
           lt_tensor **u, lt_tensor **s, lt_tensor **v) {
  return named_rc(svd_impl(ru, rs, rv, a, some, u, s, v), "torch.svd");
}
int lt_qr(lt_tensor *rq, lt_tensor *rr, const lt_tensor *a, lt_tensor **q, lt_tensor **r) {
  return named_rc(qr_impl(rq, rr, a, q, r), "torch.qr");
}
int lt_geqrf(lt_tensor *rm, lt_tensor *rtau, const lt_tensor *a, lt_tensor **m, lt_tensor **tau) {
  return named_rc(geqrf_impl(rm, rtau, a, m, tau), "torch.geqrf");
}
lt_tensor *lt_orgqr(lt_tensor *out, const lt_tensor *a, const lt_tensor *tau) {
  return named(orgqr_impl(out, a, tau), "torch.orgqr");
}
lt_tensor *lt_ormqr(lt_tensor *out, const lt_tensor *a, const lt_tensor *tau, const lt_tensor *c,
                    bool left, bool transpose) {
  return named(ormqr_impl(out, a, tau, c, left, transpose), "torch.ormqr");
}
lt_tensor *lt_pinverse(lt_tensor *out, const lt_tensor *a, double rcond) {
  return named(pinverse_impl(out, a, rcond), "torch.pinverse");
}
