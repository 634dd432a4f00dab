/* test_lapack_run.c: lt_lapack_run (tensor/lapack_run.c), every routine of lapack_call.h
 * on hand-computed problems; and lt_lapack_run_copied, the path a GPU without the routine
 * takes (host copies, the written operands copied back), which must give exactly what
 * the direct run gives. */
#include "harness.h"
#include "lapack.h"
#include <string.h>

/* the column-major r x c matrix of the row-major values v */
static lt_tensor *cm(const double *v, int64_t r, int64_t c, lt_dtype dt) {
  int64_t sz[2] = {c, r};
  lt_tensor *t = lt_empty(2, sz, dt, lt_cpu());
  lt_tensor *m = lt_transpose(t, 0, 1);
  lt_release(t);
  for (int64_t i = 0; i < r; i++)
    for (int64_t j = 0; j < c; j++) { int64_t ix[2] = {i, j}; lt_put(m, ix, v[i * c + j]); }
  return m;
}
static lt_tensor *vec(int64_t n, lt_dtype dt) { return lt_zeros(1, &n, dt, lt_cpu()); }
static double at(const lt_tensor *t, int64_t i, int64_t j) {
  int64_t ix[2] = {i, j};
  return t->ndim == 1 ? lt_get(t, &i) : lt_get(t, ix);
}

/* a copy of t in t's layout (column-major matrix or vector) */
static lt_tensor *twin(const lt_tensor *t) {
  if (!t) return NULL;
  if (t->ndim == 1) return lt_clone(t);
  int64_t sz[2] = {t->size[1], t->size[0]};
  lt_tensor *e = lt_empty(2, sz, t->dtype, lt_cpu());
  lt_tensor *m = lt_transpose(e, 0, 1);
  lt_release(e);
  lt_copy(m, t);
  return m;
}

/* c run directly and, on twins of its operands, through lt_lapack_run_copied: the
 * operands in `cmp` (bit i: t[i]), info, rank and the npiv pivots (c->ipiv's length, in
 * or out) must be identical */
static void both_ways(lt_lapack_call *c, unsigned cmp, int npiv) {
  lt_lapack_call d = *c;
  int32_t piv[16] = {0};
  for (int i = 0; i < 4; i++) d.t[i] = twin(c->t[i]);
  if (c->ipiv) { memcpy(piv, c->ipiv, sizeof(int32_t) * (size_t)npiv); d.ipiv = piv; }
  CHECK(lt_lapack_run(c, "test") == 0);
  CHECK(lt_lapack_run_copied(&d, "test") == 0);
  CHECK(c->info == d.info);
  CHECK(c->rank == d.rank);
  for (int i = 0; i < 4; i++) {
    if (!(cmp >> i & 1)) continue;
    bool eq = false;
    CHECK(lt_equal(c->t[i], d.t[i], &eq) == 0 && eq);
  }
  for (int i = 0; i < npiv; i++) CHECK(c->ipiv[i] == piv[i]);
  for (int i = 0; i < 4; i++) lt_release(d.t[i]);
}

TEST(lapack_run_lu_family) {
  static const double A[] = {4, 7, 2, 6}, S2[] = {2, 1, 1, 3}, B[] = {5, 10}, E[] = {1, 0};
  for (int k = 0; k < 2; k++) {
    lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
    double tol = k ? 1e-5 : 1e-13;
    int32_t ipiv[2];
    /* getrf, then getri: A^-1 = [[0.6, -0.7], [-0.2, 0.4]] */
    lt_tensor *a = TMP(cm(A, 2, 2, dt));
    lt_lapack_call c = {.op = LT_LP_GETRF, .t = {a}, .ipiv = ipiv};
    both_ways(&c, 1, 2);
    CHECK(c.info == 0);
    c = (lt_lapack_call){.op = LT_LP_GETRI, .t = {a}, .ipiv = ipiv};
    both_ways(&c, 1, 2);
    CHECK_NEAR(at(a, 0, 0), 0.6, tol);
    CHECK_NEAR(at(a, 0, 1), -0.7, tol);
    CHECK_NEAR(at(a, 1, 0), -0.2, tol);
    CHECK_NEAR(at(a, 1, 1), 0.4, tol);
    /* getrs 'T': A^T x = (1, 0) is the first row of A^-1 */
    lt_tensor *lu = TMP(cm(A, 2, 2, dt)), *e = TMP(cm(E, 2, 1, dt));
    c = (lt_lapack_call){.op = LT_LP_GETRF, .t = {lu}, .ipiv = ipiv};
    CHECK(lt_lapack_run(&c, "test") == 0);
    c = (lt_lapack_call){.op = LT_LP_GETRS, .c1 = 'T', .t = {lu, e}, .ipiv = ipiv};
    both_ways(&c, 2, 2);
    CHECK_NEAR(at(e, 0, 0), 0.6, tol);
    CHECK_NEAR(at(e, 1, 0), -0.7, tol);
    /* gesv: 2x + y = 5, x + 3y = 10 */
    lt_tensor *s = TMP(cm(S2, 2, 2, dt)), *b = TMP(cm(B, 2, 1, dt));
    c = (lt_lapack_call){.op = LT_LP_GESV, .t = {s, b}, .ipiv = ipiv};
    both_ways(&c, 3, 2);
    CHECK(c.info == 0);
    CHECK_NEAR(at(b, 0, 0), 1, tol);
    CHECK_NEAR(at(b, 1, 0), 3, tol);
    /* a singular matrix: info 2 (U(2,2) is zero) */
    static const double Z[] = {1, 2, 2, 4};
    lt_tensor *z = TMP(cm(Z, 2, 2, dt)), *zb = TMP(cm(B, 2, 1, dt));
    c = (lt_lapack_call){.op = LT_LP_GESV, .t = {z, zb}, .ipiv = ipiv};
    both_ways(&c, 3, 2);
    CHECK(c.info == 2);
  }
}

TEST(lapack_run_triangular_and_least_squares) {
  static const double U[] = {2, 1, 0, 4}, U0[] = {2, 1, 0, 0}, B[] = {4, 8};
  static const double L[] = {1, 0, 0, 1, 1, 1}, Y[] = {1, 1, 3};
  for (int k = 0; k < 2; k++) {
    lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
    double tol = k ? 1e-5 : 1e-13;
    lt_tensor *u = TMP(cm(U, 2, 2, dt)), *b = TMP(cm(B, 2, 1, dt));
    lt_lapack_call c = {.op = LT_LP_TRTRS, .c1 = 'U', .c2 = 'N', .c3 = 'N', .t = {u, b}};
    both_ways(&c, 3, 0);
    CHECK(c.info == 0);
    CHECK_NEAR(at(b, 0, 0), 1, tol);   /* 4 y = 8, 2 x + y = 4 */
    CHECK_NEAR(at(b, 1, 0), 2, tol);
    lt_tensor *u0 = TMP(cm(U0, 2, 2, dt)), *b0 = TMP(cm(B, 2, 1, dt));
    c = (lt_lapack_call){.op = LT_LP_TRTRS, .c1 = 'U', .c2 = 'N', .c3 = 'N', .t = {u0, b0}};
    both_ways(&c, 3, 0);
    CHECK(c.info == 2);
    /* least squares: x = (A^T A)^-1 A^T y = (4/3, 4/3) */
    lt_tensor *a = TMP(cm(L, 3, 2, dt)), *y = TMP(cm(Y, 3, 1, dt));
    c = (lt_lapack_call){.op = LT_LP_GELS, .c1 = 'N', .t = {a, y}};
    both_ways(&c, 3, 0);
    CHECK(c.info == 0);
    CHECK_NEAR(at(y, 0, 0), 4.0 / 3, tol);
    CHECK_NEAR(at(y, 1, 0), 4.0 / 3, tol);
  }
}

TEST(lapack_run_cholesky_family) {
  /* S = U^T U, U = [[2, 1], [0, sqrt 2]]; S^-1 = [[3, -2], [-2, 4]] / 8 */
  static const double S[] = {4, 2, 2, 3}, B[] = {6, 5};
  for (int k = 0; k < 2; k++) {
    lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
    double tol = k ? 1e-5 : 1e-13;
    lt_tensor *s = TMP(cm(S, 2, 2, dt));
    lt_lapack_call c = {.op = LT_LP_POTRF, .c1 = 'U', .t = {s}};
    both_ways(&c, 1, 0);
    CHECK(c.info == 0);
    CHECK_NEAR(at(s, 0, 0), 2, tol);
    CHECK_NEAR(at(s, 0, 1), 1, tol);
    CHECK_NEAR(at(s, 1, 1), sqrt(2), tol);
    CHECK_NEAR(at(s, 1, 0), 2, 0);   /* the other triangle untouched */
    lt_tensor *b = TMP(cm(B, 2, 1, dt));
    c = (lt_lapack_call){.op = LT_LP_POTRS, .c1 = 'U', .t = {s, b}};
    both_ways(&c, 2, 0);
    CHECK_NEAR(at(b, 0, 0), 1, tol);
    CHECK_NEAR(at(b, 1, 0), 1, tol);
    c = (lt_lapack_call){.op = LT_LP_POTRI, .c1 = 'U', .t = {s}};
    both_ways(&c, 1, 0);
    CHECK_NEAR(at(s, 0, 0), 0.375, tol);
    CHECK_NEAR(at(s, 0, 1), -0.25, tol);
    CHECK_NEAR(at(s, 1, 1), 0.5, tol);
    /* not positive definite: info 2 */
    static const double N[] = {1, 2, 2, 1};
    lt_tensor *n = TMP(cm(N, 2, 2, dt));
    c = (lt_lapack_call){.op = LT_LP_POTRF, .c1 = 'L', .t = {n}};
    both_ways(&c, 1, 0);
    CHECK(c.info == 2);
    /* pstrf: the larger diagonal entry (4) first; full rank */
    static const double P[] = {3, 2, 2, 4};
    lt_tensor *p = TMP(cm(P, 2, 2, dt)), *piv = TMP(vec(2, LT_INT32));
    c = (lt_lapack_call){.op = LT_LP_PSTRF, .c1 = 'U', .t = {p, piv}, .tol = -1};
    both_ways(&c, 3, 0);
    CHECK(c.info == 0 && c.rank == 2);
    CHECK(at(piv, 0, 0) == 2 && at(piv, 1, 0) == 1);
    CHECK_NEAR(at(p, 0, 0), 2, tol);   /* sqrt(4) */
  }
}

TEST(lapack_run_eigen_and_svd) {
  static const double Sy[] = {2, 1, 1, 2}, Rot[] = {0, -1, 1, 0}, D[] = {3, 0, 0, -2, 0, 0};
  for (int k = 0; k < 2; k++) {
    lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
    double tol = k ? 1e-5 : 1e-13;
    lt_tensor *a = TMP(cm(Sy, 2, 2, dt)), *w = TMP(vec(2, dt));
    lt_lapack_call c = {.op = LT_LP_SYEVD, .c1 = 'V', .c2 = 'U', .t = {a, w}};
    both_ways(&c, 3, 0);
    CHECK(c.info == 0);
    CHECK_NEAR(at(w, 0, 0), 1, tol);
    CHECK_NEAR(at(w, 1, 0), 3, tol);
    CHECK_NEAR(fabs(at(a, 0, 1)), sqrt(0.5), tol);   /* (1, 1)/sqrt 2 for 3 */
    /* a rotation: eigenvalues +-i */
    lt_tensor *r = TMP(cm(Rot, 2, 2, dt)), *wr = TMP(vec(2, dt)), *wi = TMP(vec(2, dt));
    lt_tensor *vr = TMP(cm(Rot, 2, 2, dt));
    c = (lt_lapack_call){.op = LT_LP_GEEV, .c1 = 'V', .t = {r, wr, wi, vr}};
    both_ways(&c, 14, 0);
    CHECK(c.info == 0);
    CHECK_NEAR(at(wr, 0, 0), 0, tol);
    CHECK_NEAR(at(wi, 0, 0), 1, tol);
    CHECK_NEAR(at(wi, 1, 0), -1, tol);
    /* svd of a 3 x 2 diagonal: singular values 3, 2; and of its 2 x 3 transpose, 'A' */
    lt_tensor *d = TMP(cm(D, 3, 2, dt)), *s = TMP(vec(2, dt));
    lt_tensor *u = TMP(cm(D, 3, 2, dt)), *vt = TMP(cm(Sy, 2, 2, dt));
    c = (lt_lapack_call){.op = LT_LP_GESDD, .c1 = 'S', .t = {d, s, u, vt}};
    both_ways(&c, 14, 0);
    CHECK(c.info == 0);
    CHECK_NEAR(at(s, 0, 0), 3, tol);
    CHECK_NEAR(at(s, 1, 0), 2, tol);
    CHECK_NEAR(fabs(at(u, 0, 0) * at(vt, 0, 0)), 1, tol);
    static const double W[] = {3, 0, 0, 0, -2, 0};
    static const double Z9[9] = {0};
    lt_tensor *dw = TMP(cm(W, 2, 3, dt)), *s2 = TMP(vec(2, dt));
    lt_tensor *u2 = TMP(cm(Z9, 2, 2, dt)), *vt2 = TMP(cm(Z9, 3, 3, dt));
    c = (lt_lapack_call){.op = LT_LP_GESDD, .c1 = 'A', .t = {dw, s2, u2, vt2}};
    both_ways(&c, 14, 0);
    CHECK_NEAR(at(s2, 0, 0), 3, tol);
    CHECK_NEAR(at(s2, 1, 0), 2, tol);
    CHECK_NEAR(fabs(at(vt2, 2, 2)), 1, tol);   /* the null direction (0, 0, 1) */
    lt_tensor *dn = TMP(cm(W, 2, 3, dt)), *s3 = TMP(vec(2, dt));
    c = (lt_lapack_call){.op = LT_LP_GESDD, .c1 = 'N', .t = {dn, s3}};
    both_ways(&c, 2, 0);
    CHECK_NEAR(at(s3, 1, 0), 2, tol);
  }
}

TEST(lapack_run_qr_family) {
  /* A = [[3, 1], [4, 2]]: |R(1,1)| = 5; Q R = A; Q^T A = R */
  static const double A[] = {3, 1, 4, 2};
  for (int k = 0; k < 2; k++) {
    lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
    double tol = k ? 1e-5 : 1e-13;
    lt_tensor *a = TMP(cm(A, 2, 2, dt)), *tau = TMP(vec(2, dt));
    lt_lapack_call c = {.op = LT_LP_GEQRF, .t = {a, tau}};
    both_ways(&c, 3, 0);
    CHECK(c.info == 0);
    double r00 = at(a, 0, 0), r01 = at(a, 0, 1), r11 = at(a, 1, 1);
    CHECK_NEAR(fabs(r00), 5, tol);
    /* Q^T A = R through ormqr */
    lt_tensor *x = TMP(cm(A, 2, 2, dt));
    c = (lt_lapack_call){.op = LT_LP_ORMQR, .c1 = 'L', .c2 = 'T', .k = 2, .t = {a, tau, x}};
    both_ways(&c, 4, 0);
    CHECK_NEAR(at(x, 0, 0), r00, tol);
    CHECK_NEAR(at(x, 0, 1), r01, tol);
    CHECK_NEAR(at(x, 1, 0), 0, tol);
    CHECK_NEAR(at(x, 1, 1), r11, tol);
    /* Q from the reflectors: Q R = A */
    c = (lt_lapack_call){.op = LT_LP_ORGQR, .k = 2, .t = {a, tau}};
    both_ways(&c, 1, 0);
    CHECK_NEAR(at(a, 0, 0) * r00, 3, tol);
    CHECK_NEAR(at(a, 1, 0) * r00, 4, tol);
    CHECK_NEAR(at(a, 1, 0) * r01 + at(a, 1, 1) * r11, 2, tol);
  }
}

TEST(lapack_run_bad_calls) {
  lt_tensor *a = TMP(lt_zeros(2, (int64_t[]){2, 2}, LT_FLOAT64, lt_cpu()));
  lt_lapack_call c = {.op = LT_LP_COUNT, .t = {a}};
  CHECK_ERR(lt_lapack_run(&c, "torch.x") == 0, "torch.x: bad LAPACK call");
  c = (lt_lapack_call){.op = LT_LP_GETRF};
  CHECK_ERR(lt_lapack_run(&c, "torch.y") == 0, "torch.y: bad LAPACK call");
  CHECK(strcmp(lt_lapack_name(LT_LP_SYEVD), "syevd") == 0);
}

/* lt_gels_qr (what a GPU runs for gels: geqrf, ormqr, trtrs) against LAPACK's gels on the
 * same data: the solution, the rows below it, the factored A, and rank deficiency */
TEST(lapack_gels_qr_matches_gels) {
  int64_t shapes[][3] = {{7, 4, 2}, {4, 7, 3}, {5, 5, 1}, {6, 1, 2}, {1, 6, 1}};
  lt_generator g;
  lt_generator_seed(&g, 3);
  for (int k = 0; k < 2; k++) {
    lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
    double tol = k ? 2e-4 : 1e-11;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      int64_t m = shapes[s][0], n = shapes[s][1], r = m > n ? m : n, nr = shapes[s][2];
      int64_t asz[2] = {m, n}, bsz[2] = {r, nr};
      lt_tensor *a0 = TMP(lt_empty(2, asz, dt, lt_cpu())), *b0 = TMP(lt_zeros(2, bsz, dt, lt_cpu()));
      lt_normal(a0, &g, 0, 1);
      lt_tensor *btop = TMP(lt_narrow(b0, 0, 0, m));
      lt_normal(btop, &g, 0, 1);
      lt_tensor *a1 = TMP(twin(TMP(lt_lapack_colmajor(a0, dt, m, n)))), *b1 = TMP(lt_lapack_colmajor(b0, dt, r, nr));
      lt_tensor *a2 = TMP(twin(a1)), *b2 = TMP(twin(b1));
      lt_lapack_call c = {.op = LT_LP_GELS, .c1 = 'N', .t = {a1, b1}};
      CHECK(lt_lapack_run(&c, "test") == 0 && c.info == 0);
      int32_t info = -1;
      CHECK(lt_gels_qr(a2, b2, &info, "test") == 0 && info == 0);
      /* the solution (first n rows) and, when tall, the residual part below: up to
       * rounding; A's factors: R's or L's diagonal up to sign, as Householder signs agree */
      for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < nr; j++) CHECK_NEAR(at(b2, i, j), at(b1, i, j), tol * 10);
      for (int64_t i = 0; i < (m < n ? m : n); i++) CHECK_NEAR(fabs(at(a2, i, i)), fabs(at(a1, i, i)), tol * 10);
    }
  }
  /* a rank-deficient A (an exactly zero column, or row): info names the zero of the
   * triangular factor, as gels's */
  static const double Dt[] = {1, 0, 0, 0, 0, 0}, Y[] = {1, 2, 3};
  for (int wide = 0; wide < 2; wide++) {
    lt_tensor *a1 = TMP(cm(Dt, wide ? 2 : 3, wide ? 3 : 2, LT_FLOAT64)), *b1 = TMP(cm(Y, 3, 1, LT_FLOAT64));
    lt_tensor *a2 = TMP(twin(a1)), *b2 = TMP(twin(b1));
    lt_lapack_call c = {.op = LT_LP_GELS, .c1 = 'N', .t = {a1, b1}};
    CHECK(lt_lapack_run(&c, "test") == 0);
    int32_t info = 0;
    CHECK(lt_gels_qr(a2, b2, &info, "test") == 0);
    CHECK(info == c.info && info == 2);
  }
}
