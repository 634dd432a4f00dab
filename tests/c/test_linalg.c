/* test_linalg.c: products against hand-computed values and float64 references, with
 * transposed, narrowed and strided operands and results; shapes errors. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static lt_tensor *mat(int64_t r, int64_t c, const double *v, lt_dtype dt) {
  int64_t sz[2] = {r, c};
  lt_tensor *t = lt_empty(2, sz, dt, lt_cpu());
  for (int64_t i = 0; i < r; i++)
    for (int64_t j = 0; j < c; j++) { int64_t ix[2] = {i, j}; lt_put(t, ix, v[i * c + j]); }
  return t;
}
static lt_tensor *vec(int64_t n, const double *v, lt_dtype dt) {
  lt_tensor *t = lt_empty(1, &n, dt, lt_cpu());
  for (int64_t i = 0; i < n; i++) lt_put(t, &i, v[i]);
  return t;
}

/* deterministic values: small integers (exact in every dtype) or uniform in [-1, 1) */
static uint64_t rng = 88172645463325252ull;
static double rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0 * 2 - 1;
}
static lt_tensor *rand_t(int nd, const int64_t *size, lt_dtype dt) {
  lt_tensor *d = lt_empty(nd, size, LT_FLOAT64, lt_cpu());
  double *p = lt_data(d);
  int64_t n = lt_numel(d);
  bool ints = !lt_dtype_is_float(dt);
  for (int64_t i = 0; i < n; i++) {
    double v = rnd();
    p[i] = ints ? (dt == LT_UINT8 ? floor((v + 1) * 2) : floor(v * 3)) : v;
  }
  lt_tensor *t = lt_to_dtype(d, dt);
  lt_release(d);
  return t;
}
static lt_tensor *rand2(int64_t r, int64_t c, lt_dtype dt) { int64_t s[2] = {r, c}; return rand_t(2, s, dt); }

/* t as a malloc'd dense float64 array, row-major */
static double *dense(const lt_tensor *t) {
  lt_tensor *d = lt_to_dtype(t, LT_FLOAT64);
  lt_tensor *c = lt_contiguous(d);
  int64_t n = lt_numel(t);
  double *p = malloc(sizeof(double) * (n ? n : 1));
  if (n) memcpy(p, lt_data(c), sizeof(double) * n);
  lt_release(d); lt_release(c);
  return p;
}

/* max |r - (beta*M + alpha*A@B)| over batches: A nb x m x k etc. (dense arrays) */
static double ref_err(const lt_tensor *r, int64_t nb, int64_t m, int64_t n, int64_t k, double beta,
                      const double *M, double alpha, const double *A, const double *B, bool reduce) {
  double *R = dense(r), err = 0;
  double *acc = calloc((size_t)(nb * m * n + 1), sizeof(double));
  for (int64_t b = 0; b < nb; b++)
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t p = 0; p < k; p++) s += A[(b * m + i) * k + p] * B[(b * k + p) * n + j];
        acc[((reduce ? 0 : b) * m + i) * n + j] += s;
      }
  int64_t nout = reduce ? 1 : nb;
  for (int64_t e = 0; e < nout * m * n; e++) {
    double want = alpha * acc[e] + (M ? beta * M[e] : 0);
    double d = fabs(R[e] - want);
    if (d > err || d != d) err = d != d ? INFINITY : d;
  }
  free(R); free(acc);
  return err;
}

static const lt_dtype ALL_TYPES[] = {LT_FLOAT32, LT_FLOAT64, LT_INT64, LT_INT32, LT_INT16,
                                     LT_INT8, LT_UINT8, LT_FLOAT16, LT_BFLOAT16};
#define NALL ((int)(sizeof ALL_TYPES / sizeof ALL_TYPES[0]))

TEST(linalg_mm_hand_all_types) {
  double av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {1, 0, 0, 1, 2, 1};
  double want[4] = {7, 5, 16, 11};
  for (int t = 0; t < NALL; t++) {
    lt_dtype dt = ALL_TYPES[t];
    lt_tensor *a = mat(2, 3, av, dt), *b = mat(3, 2, bv, dt);
    lt_tensor *c = lt_mm(NULL, a, b);
    CHECK(c && c->dtype == dt && c->ndim == 2 && c->size[0] == 2 && c->size[1] == 2);
    for (int e = 0; c && e < 4; e++) { int64_t ix[2] = {e / 2, e % 2}; CHECK_NEAR(lt_get(c, ix), want[e], 0); }
    /* the same through the transposes: (B^T A^T)^T */
    lt_tensor *at = lt_transpose(a, 0, 1), *bt = lt_transpose(b, 0, 1);
    lt_tensor *ct = lt_mm(NULL, bt, at);
    for (int e = 0; ct && e < 4; e++) { int64_t ix[2] = {e % 2, e / 2}; CHECK_NEAR(lt_get(ct, ix), want[e], 0); }
    lt_release(a); lt_release(b); lt_release(c); lt_release(at); lt_release(bt); lt_release(ct);
  }
  /* bool: logical product */
  double p[4] = {1, 0, 0, 0}, q[4] = {0, 1, 0, 1};
  lt_tensor *a = mat(2, 2, p, LT_BOOL), *b = mat(2, 2, q, LT_BOOL);
  lt_tensor *c = lt_mm(NULL, a, b);
  int64_t i00[2] = {0, 0}, i01[2] = {0, 1}, i11[2] = {1, 1};
  CHECK(c && c->dtype == LT_BOOL && lt_get(c, i00) == 0 && lt_get(c, i01) == 1 && lt_get(c, i11) == 0);
  lt_release(a); lt_release(b); lt_release(c);
}

/* A (m x k) and B (k x n) in several layouts against the float64 reference */
static void check_layouts(lt_dtype dt, int64_t m, int64_t n, int64_t k, double tol) {
  for (int la = 0; la < 4; la++)
    for (int lb = 0; lb < 4; lb++) {
      /* layout 0: contiguous; 1: transposed; 2: narrowed (ld > cols); 3: every other column */
      lt_tensor *A = NULL, *B = NULL, *base_a = NULL, *base_b = NULL;
      if (la == 0) A = rand2(m, k, dt);
      else if (la == 1) { base_a = rand2(k, m, dt); A = lt_transpose(base_a, 0, 1); }
      else if (la == 2) { base_a = rand2(m + 2, k + 3, dt); lt_tensor *t = lt_narrow(base_a, 0, 1, m); A = lt_narrow(t, 1, 2, k); lt_release(t); }
      else { base_a = rand2(m, 2 * k, dt); A = lt_unfold(base_a, 1, 1, 2); lt_tensor *t = lt_select(A, 2, 0); lt_release(A); A = t; }
      if (lb == 0) B = rand2(k, n, dt);
      else if (lb == 1) { base_b = rand2(n, k, dt); B = lt_transpose(base_b, 0, 1); }
      else if (lb == 2) { base_b = rand2(k, n + 5, dt); B = lt_narrow(base_b, 1, 3, n); }
      else { base_b = rand2(2 * k, n, dt); lt_tensor *t = lt_unfold(base_b, 0, 1, 2); B = lt_select(t, 2, 0); lt_release(t); }
      CHECK(A && B && A->size[0] == m && A->size[1] == k && B->size[0] == k && B->size[1] == n);
      double *a = dense(A), *b = dense(B);
      /* results: new, into a transposed (column-major) out, into a narrowed out */
      lt_tensor *c1 = lt_mm(NULL, A, B);
      CHECK_NEAR(ref_err(c1, 1, m, n, k, 0, NULL, 1, a, b, false), 0, tol);
      int64_t ts[2] = {n, m};
      lt_tensor *cbase = lt_empty(2, ts, dt, lt_cpu());
      lt_tensor *ct = lt_transpose(cbase, 0, 1);
      lt_tensor *c2 = lt_mm(ct, A, B);
      CHECK(c2 == ct && ct->stride[0] == 1);
      CHECK_NEAR(ref_err(ct, 1, m, n, k, 0, NULL, 1, a, b, false), 0, tol);
      int64_t ws[2] = {m + 1, n + 4};
      lt_tensor *wide = lt_zeros(2, ws, dt, lt_cpu());
      lt_tensor *cn = lt_narrow(wide, 1, 1, n), *cn2 = lt_narrow(cn, 0, 0, m);
      lt_tensor *c3 = lt_mm(cn2, A, B);
      CHECK(c3 == cn2 && cn2->stride[0] == n + 4);
      CHECK_NEAR(ref_err(cn2, 1, m, n, k, 0, NULL, 1, a, b, false), 0, tol);
      int64_t z[2] = {m, 0};
      CHECK(lt_get(wide, z) == 0);   /* nothing written outside the narrowed out */
      free(a); free(b);
      lt_release(A); lt_release(B); lt_release(base_a); lt_release(base_b);
      lt_release(c1); lt_release(cbase); lt_release(ct); lt_release(c2);
      lt_release(wide); lt_release(cn); lt_release(cn2); lt_release(c3);
    }
}

TEST(linalg_mm_layouts_reference) {
  check_layouts(LT_FLOAT32, 7, 5, 9, 1e-5);
  check_layouts(LT_FLOAT64, 13, 4, 6, 1e-12);
  check_layouts(LT_INT64, 5, 6, 7, 0);
  check_layouts(LT_INT32, 3, 8, 5, 0);
  check_layouts(LT_INT16, 4, 4, 4, 0);
  check_layouts(LT_FLOAT32, 1, 9, 4, 1e-5);   /* row and column vectors as matrices */
  check_layouts(LT_FLOAT32, 6, 1, 4, 1e-5);
  check_layouts(LT_FLOAT64, 5, 5, 1, 1e-12);
}

TEST(linalg_mm_large_threads) {
  int64_t m = 300, k = 200, n = 250;
  lt_tensor *A = rand2(m, k, LT_FLOAT32), *B0 = rand2(n, k, LT_FLOAT32);
  lt_tensor *B = lt_transpose(B0, 0, 1);
  double *a = dense(A), *b = dense(B);
  lt_tensor *c = lt_mm(NULL, A, B);
  CHECK_NEAR(ref_err(c, 1, m, n, k, 0, NULL, 1, a, b, false), 0, 1e-4);
  lt_tensor *Ai = rand2(m, k, LT_INT32), *Bi = rand2(k, n, LT_INT32);
  double *ai = dense(Ai), *bi = dense(Bi);
  lt_tensor *ci = lt_mm(NULL, Ai, Bi);
  CHECK_NEAR(ref_err(ci, 1, m, n, k, 0, NULL, 1, ai, bi, false), 0, 0);
  free(a); free(b); free(ai); free(bi);
  lt_release(A); lt_release(B0); lt_release(B); lt_release(c);
  lt_release(Ai); lt_release(Bi); lt_release(ci);
}

TEST(linalg_addmm_beta_alpha) {
  for (int t = 0; t < 3; t++) {
    lt_dtype dt = t == 0 ? LT_FLOAT32 : t == 1 ? LT_FLOAT64 : LT_INT64;
    double tol = t == 0 ? 1e-5 : t == 1 ? 1e-12 : 0;
    int64_t m = 4, n = 5, k = 3;
    lt_tensor *A = rand2(m, k, dt), *B = rand2(k, n, dt), *M = rand2(m, n, dt);
    double *a = dense(A), *b = dense(B), *mm = dense(M);
    lt_tensor *r = lt_addmm(NULL, 2, M, 3, A, B);
    CHECK_NEAR(ref_err(r, 1, m, n, k, 2, mm, 3, a, b, false), 0, tol);
    /* M broadcast from one row */
    lt_tensor *row = lt_select(M, 0, 1);
    double *rowv = dense(row), *mb = malloc(sizeof(double) * m * n);
    for (int64_t i = 0; i < m * n; i++) mb[i] = rowv[i % n];
    lt_tensor *r2 = lt_addmm(NULL, -1, row, 1, A, B);
    CHECK_NEAR(ref_err(r2, 1, m, n, k, -1, mb, 1, a, b, false), 0, tol);
    /* in place: M += 2 A@B */
    lt_tensor *Mc = lt_clone(M);
    lt_tensor *r3 = lt_addmm(Mc, 1, Mc, 2, A, B);
    CHECK(r3 == Mc);
    CHECK_NEAR(ref_err(Mc, 1, m, n, k, 1, mm, 2, a, b, false), 0, tol);
    /* out aliasing A: computed apart */
    int64_t sq[2] = {3, 3};
    lt_tensor *S = rand_t(2, sq, dt), *S2 = lt_clone(S);
    double *s = dense(S);
    lt_tensor *r4 = lt_mm(S, S, S2);
    CHECK(r4 == S);
    CHECK_NEAR(ref_err(S, 1, 3, 3, 3, 0, NULL, 1, s, s, false), 0, tol);
    free(a); free(b); free(mm); free(rowv); free(mb); free(s);
    lt_release(A); lt_release(B); lt_release(M); lt_release(r); lt_release(row); lt_release(r2);
    lt_release(Mc); lt_release(r3); lt_release(S); lt_release(S2); lt_release(r4);
  }
}

TEST(linalg_beta_zero_ignores_nan) {
  int64_t m = 3, n = 4, k = 2;
  for (int t = 0; t < 2; t++) {
    lt_dtype dt = t ? LT_FLOAT64 : LT_FLOAT32;
    lt_tensor *A = rand2(m, k, dt), *B = rand2(k, n, dt);
    double *a = dense(A), *b = dense(B);
    int64_t s[2] = {m, n};
    lt_tensor *out = lt_empty(2, s, dt, lt_cpu());
    lt_fill(out, NAN);
    lt_tensor *r = lt_addmm(out, 0, out, 1, A, B);
    CHECK_NEAR(ref_err(out, 1, m, n, k, 0, NULL, 1, a, b, false), 0, 1e-5);
    /* beta = 0: M of another size is ignored too */
    int64_t s7 = 7;
    lt_tensor *odd = lt_empty(1, &s7, dt, lt_cpu());
    lt_fill(odd, NAN);
    lt_tensor *r0 = lt_addmm(odd, 0, odd, 1, A, B);
    CHECK(r0 == odd && odd->ndim == 2);
    CHECK_NEAR(ref_err(odd, 1, m, n, k, 0, NULL, 1, a, b, false), 0, 1e-5);
    lt_release(r0); lt_release(odd);
    /* column-major out full of NaN too */
    int64_t ts[2] = {n, m};
    lt_tensor *ob = lt_empty(2, ts, dt, lt_cpu()), *ot = lt_transpose(ob, 0, 1);
    lt_fill(ob, NAN);
    lt_tensor *r2 = lt_mm(ot, A, B);
    CHECK_NEAR(ref_err(ot, 1, m, n, k, 0, NULL, 1, a, b, false), 0, 1e-5);
    /* mv and ger */
    lt_tensor *x = lt_select(B, 1, 0);   /* k, strided */
    lt_tensor *y = lt_empty(1, &m, dt, lt_cpu());
    lt_fill(y, NAN);
    lt_tensor *r3 = lt_addmv(y, 0, y, 1, A, x);
    double dx[8];
    for (int64_t i = 0; i < k; i++) dx[i] = b[i * n];
    for (int64_t i = 0; i < m; i++) {
      double w = 0;
      for (int64_t p = 0; p < k; p++) w += a[i * k + p] * dx[p];
      CHECK_NEAR(lt_get(y, &i), w, 1e-5);
    }
    lt_tensor *G = lt_empty(2, s, dt, lt_cpu());
    lt_fill(G, NAN);
    lt_tensor *xr = lt_select(A, 1, 0), *yr = lt_select(B, 0, 1);
    lt_tensor *r4 = lt_addr(G, 0, G, 1, xr, yr);
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) { int64_t ix[2] = {i, j}; CHECK_NEAR(lt_get(G, ix), a[i * k] * b[n + j], 1e-6); }
    free(a); free(b);
    lt_release(A); lt_release(B); lt_release(out); lt_release(r); lt_release(ob); lt_release(ot);
    lt_release(r2); lt_release(x); lt_release(y); lt_release(r3); lt_release(G); lt_release(xr);
    lt_release(yr); lt_release(r4);
  }
}

TEST(linalg_mv_forms) {
  double av[6] = {1, 2, 3, 4, 5, 6}, xv[3] = {1, -1, 2};
  for (int t = 0; t < NALL; t++) {
    lt_dtype dt = ALL_TYPES[t];
    if (dt == LT_UINT8) xv[1] = 1;
    lt_tensor *A = mat(2, 3, av, dt), *x = vec(3, xv, dt);
    lt_tensor *y = lt_mv(NULL, A, x);
    int64_t i0 = 0, i1 = 1;
    double w0 = 1 + 2 * xv[1] + 6, w1 = 4 + 5 * xv[1] + 12;
    CHECK(y && y->ndim == 1 && y->size[0] == 2);
    CHECK_NEAR(lt_get(y, &i0), w0, 0);
    CHECK_NEAR(lt_get(y, &i1), w1, 0);
    /* transposed A: A^T (3x2) @ [1, 2] */
    lt_tensor *At = lt_transpose(A, 0, 1);
    double zv[2] = {1, 2};
    lt_tensor *z = vec(2, zv, dt);
    lt_tensor *y2 = lt_mv(NULL, At, z);
    int64_t i2 = 2;
    CHECK_NEAR(lt_get(y2, &i0), 9, 0);
    CHECK_NEAR(lt_get(y2, &i1), 12, 0);
    CHECK_NEAR(lt_get(y2, &i2), 15, 0);
    /* addmv: 2*v + 1*A x with v broadcast from one element */
    double one = 1;
    lt_tensor *v = vec(1, &one, dt);
    lt_tensor *y3 = lt_addmv(NULL, 2, v, 1, A, x);
    CHECK_NEAR(lt_get(y3, &i0), w0 + 2, 0);
    CHECK_NEAR(lt_get(y3, &i1), w1 + 2, 0);
    lt_release(A); lt_release(x); lt_release(y); lt_release(At); lt_release(z); lt_release(y2);
    lt_release(v); lt_release(y3);
    xv[1] = -1;
  }
  /* strided and transposed against the reference, floats */
  int64_t m = 37, k = 23;
  lt_tensor *base = rand2(k, m, LT_FLOAT64), *A = lt_transpose(base, 0, 1);
  lt_tensor *xb = rand2(k, 3, LT_FLOAT64), *x = lt_select(xb, 1, 2);
  double *a = dense(A), *xx = dense(x);
  int64_t ys[2] = {m, 2};
  lt_tensor *yb = lt_zeros(2, ys, LT_FLOAT64, lt_cpu()), *y = lt_select(yb, 1, 1);
  lt_tensor *r = lt_mv(y, A, x);
  CHECK(r == y);
  for (int64_t i = 0; i < m; i++) {
    double w = 0;
    for (int64_t p = 0; p < k; p++) w += a[i * k + p] * xx[p];
    CHECK_NEAR(lt_get(y, &i), w, 1e-12);
    int64_t ix[2] = {i, 0};
    CHECK(lt_get(yb, ix) == 0);
  }
  free(a); free(xx);
  lt_release(base); lt_release(A); lt_release(xb); lt_release(x); lt_release(yb); lt_release(y); lt_release(r);
}

TEST(linalg_ger_addr) {
  double xv[3] = {1, 2, 3}, yv[2] = {1, 2}, Mv[6] = {1, 2, 3, 4, 5, 6};
  for (int t = 0; t < NALL; t++) {
    lt_dtype dt = ALL_TYPES[t];
    lt_tensor *x = vec(3, xv, dt), *y = vec(2, yv, dt), *M = mat(3, 2, Mv, dt);
    lt_tensor *g = lt_ger(NULL, x, y);
    /* Torch7's example: M:addr(2, A, 1, x, y) = 2*A + x y^T */
    lt_tensor *r = lt_addr(NULL, 2, M, 1, x, y);
    for (int64_t i = 0; i < 3; i++)
      for (int64_t j = 0; j < 2; j++) {
        int64_t ix[2] = {i, j};
        CHECK_NEAR(lt_get(g, ix), xv[i] * yv[j], 0);
        CHECK_NEAR(lt_get(r, ix), 2 * Mv[i * 2 + j] + xv[i] * yv[j], 0);
      }
    lt_release(x); lt_release(y); lt_release(M); lt_release(g); lt_release(r);
  }
  /* column-major out and strided vectors */
  int64_t m = 6, n = 5;
  lt_tensor *xb = rand2(m, 2, LT_FLOAT32), *x = lt_select(xb, 1, 1);
  lt_tensor *yb = rand2(3, n, LT_FLOAT32), *y = lt_select(yb, 0, 2);
  int64_t ts[2] = {n, m};
  lt_tensor *ob = lt_zeros(2, ts, LT_FLOAT32, lt_cpu()), *o = lt_transpose(ob, 0, 1);
  lt_fill(ob, 1);
  lt_tensor *r = lt_addr(o, 0.5, o, 2, x, y);
  CHECK(r == o);
  double *xx = dense(x), *yy = dense(y);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) { int64_t ix[2] = {i, j}; CHECK_NEAR(lt_get(o, ix), 0.5 + 2 * xx[i] * yy[j], 1e-6); }
  free(xx); free(yy);
  lt_release(xb); lt_release(x); lt_release(yb); lt_release(y); lt_release(ob); lt_release(o); lt_release(r);
}

static void check_batched(lt_dtype dt, int64_t nb, int64_t m, int64_t n, int64_t k, bool transA, double tol) {
  int64_t sa[3] = {nb, transA ? k : m, transA ? m : k}, sb[3] = {nb, k, n}, sm[3] = {nb, m, n}, s2[2] = {m, n};
  lt_tensor *A0 = rand_t(3, sa, dt), *A = transA ? lt_transpose(A0, 1, 2) : (lt_retain(A0), A0);
  lt_tensor *B = rand_t(3, sb, dt), *M = rand_t(3, sm, dt), *M2 = rand_t(2, s2, dt);
  double *a = dense(A), *b = dense(B), *mm = dense(M), *m2 = dense(M2);
  lt_tensor *r1 = lt_bmm(NULL, A, B);
  CHECK(r1 && r1->ndim == 3 && r1->size[0] == nb && r1->size[1] == m && r1->size[2] == n);
  CHECK_NEAR(ref_err(r1, nb, m, n, k, 0, NULL, 1, a, b, false), 0, tol);
  double beta = lt_dtype_is_float(dt) ? 0.5 : -2;
  lt_tensor *r2 = lt_baddbmm(NULL, beta, M, 2, A, B);
  CHECK_NEAR(ref_err(r2, nb, m, n, k, beta, mm, 2, a, b, false), 0, tol);
  lt_tensor *r3 = lt_addbmm(NULL, -1, M2, 3, A, B);
  CHECK(r3 && r3->ndim == 2);
  CHECK_NEAR(ref_err(r3, nb, m, n, k, -1, m2, 3, a, b, true), 0, tol * nb);
  free(a); free(b); free(mm); free(m2);
  lt_release(A0); lt_release(A); lt_release(B); lt_release(M); lt_release(M2);
  lt_release(r1); lt_release(r2); lt_release(r3);
}

TEST(linalg_batched) {
  check_batched(LT_FLOAT32, 6, 5, 4, 3, false, 1e-5);
  check_batched(LT_FLOAT32, 3, 70, 60, 50, true, 1e-4);
  check_batched(LT_FLOAT64, 17, 8, 9, 10, true, 1e-12);
  check_batched(LT_FLOAT64, 2, 150, 140, 130, false, 1e-11);
  check_batched(LT_INT32, 5, 6, 7, 8, true, 0);
  check_batched(LT_INT64, 40, 30, 20, 10, false, 0);
  check_batched(LT_FLOAT16, 2, 3, 4, 5, false, 2e-2);
  /* Torch7 shape: batch x n x m */
  int64_t s1[3] = {2, 3, 4}, s2[3] = {2, 4, 5};
  lt_tensor *a = lt_zeros(3, s1, LT_FLOAT32, lt_cpu()), *b = lt_zeros(3, s2, LT_FLOAT32, lt_cpu());
  CHECK_ERR(lt_bmm(NULL, b, a) != NULL, "bmm: size mismatch, A is 2x4x5, B is 2x3x4");
  int64_t s3[3] = {3, 4, 5};
  lt_tensor *c = lt_zeros(3, s3, LT_FLOAT32, lt_cpu());
  CHECK_ERR(lt_bmm(NULL, a, c) != NULL, "batch sizes differ");
  CHECK_ERR(lt_bmm(NULL, a, TMP(lt_select(c, 0, 0))) != NULL, "B must be a 3-D tensor");
  lt_release(a); lt_release(b); lt_release(c);
}

static lt_tensor *shaped(int nd, const int64_t *s) { return rand_t(nd, s, LT_FLOAT64); }

/* matmul(A, B) of shape want against an explicit loop over broadcast batches */
static void check_matmul(int na, const int64_t *sa, int nb, const int64_t *sb, int nw, const int64_t *want) {
  lt_tensor *A = shaped(na, sa), *B = shaped(nb, sb);
  lt_tensor *r = lt_matmul(NULL, A, B);
  CHECK(r && r->ndim == nw);
  for (int i = 0; r && i < nw && i < r->ndim; i++) CHECK(r->size[i] == want[i]);
  if (r && r->ndim == nw) {
    /* reference: expand 1-D, broadcast batch, dot products through lt_get */
    int64_t m = na == 1 ? 1 : sa[na - 2], k = sa[na - 1], n = nb == 1 ? 1 : sb[nb - 1];
    int nd = (na > nb ? na : nb) - 2;
    if (nd < 0) nd = 0;
    int64_t total = lt_numel(r) / (m * n);
    int64_t batch[LT_MAXDIM];
    for (int i = 0; i < nd; i++) batch[i] = want[i];
    for (int64_t bi = 0; bi < total; bi++) {
      int64_t bidx[LT_MAXDIM], rem = bi;
      for (int i = nd - 1; i >= 0; i--) { bidx[i] = rem % batch[i]; rem /= batch[i]; }
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
          double s = 0;
          for (int64_t p = 0; p < k; p++) {
            int64_t ia[LT_MAXDIM], ib[LT_MAXDIM];
            for (int d = 0; d < na - 2; d++) ia[d] = sa[d] == 1 ? 0 : bidx[nd - (na - 2) + d];
            for (int d = 0; d < nb - 2; d++) ib[d] = sb[d] == 1 ? 0 : bidx[nd - (nb - 2) + d];
            if (na == 1) ia[0] = p; else { ia[na - 2] = i; ia[na - 1] = p; }
            if (nb == 1) ib[0] = p; else { ib[nb - 2] = p; ib[nb - 1] = j; }
            s += lt_get(A, ia) * lt_get(B, ib);
          }
          int64_t ir[LT_MAXDIM];
          int q = 0;
          for (int d = 0; d < nd; d++) ir[q++] = bidx[d];
          if (na != 1) ir[q++] = i;
          if (nb != 1) ir[q++] = j;
          CHECK_NEAR(lt_get(r, ir), s, 1e-12);
        }
    }
  }
  lt_release(A); lt_release(B); lt_release(r);
}

TEST(linalg_matmul_shapes) {
  { int64_t a[1] = {4}, b[1] = {4}; check_matmul(1, a, 1, b, 0, NULL); }
  { int64_t a[1] = {3}, b[2] = {3, 5}, w[1] = {5}; check_matmul(1, a, 2, b, 1, w); }
  { int64_t a[2] = {2, 3}, b[1] = {3}, w[1] = {2}; check_matmul(2, a, 1, b, 1, w); }
  { int64_t a[2] = {2, 3}, b[2] = {3, 4}, w[2] = {2, 4}; check_matmul(2, a, 2, b, 2, w); }
  { int64_t a[3] = {5, 2, 3}, b[2] = {3, 4}, w[3] = {5, 2, 4}; check_matmul(3, a, 2, b, 3, w); }
  { int64_t a[3] = {5, 2, 3}, b[1] = {3}, w[2] = {5, 2}; check_matmul(3, a, 1, b, 2, w); }
  { int64_t a[2] = {2, 3}, b[3] = {5, 3, 4}, w[3] = {5, 2, 4}; check_matmul(2, a, 3, b, 3, w); }
  { int64_t a[1] = {3}, b[3] = {5, 3, 4}, w[2] = {5, 4}; check_matmul(1, a, 3, b, 2, w); }
  { int64_t a[4] = {2, 1, 3, 4}, b[3] = {5, 4, 2}, w[4] = {2, 5, 3, 2}; check_matmul(4, a, 3, b, 4, w); }
  { int64_t a[3] = {1, 3, 4}, b[3] = {6, 4, 2}, w[3] = {6, 3, 2}; check_matmul(3, a, 3, b, 3, w); }
  /* 1-D.1-D is a 0-dim tensor */
  int64_t s3 = 3;
  lt_tensor *x = lt_empty(1, &s3, LT_FLOAT32, lt_cpu());
  lt_fill(x, 2);
  lt_tensor *d = lt_matmul(NULL, x, x);
  CHECK(d && d->ndim == 0 && lt_get(d, NULL) == 12);
  /* into a strided out of the right shape */
  int64_t sa[3] = {4, 2, 3}, sb[2] = {3, 5}, so[3] = {4, 5, 2};
  lt_tensor *A = shaped(3, sa), *B = shaped(2, sb), *ob = lt_zeros(3, so, LT_FLOAT64, lt_cpu());
  lt_tensor *o = lt_transpose(ob, 1, 2), *ref = lt_matmul(NULL, A, B);
  lt_tensor *r = lt_matmul(o, A, B);
  bool eq = false;
  CHECK(r == o && lt_equal(o, ref, &eq) == 0 && eq);
  int64_t sbad[2] = {4, 5};
  lt_tensor *bad = shaped(2, sbad);
  CHECK_ERR(lt_matmul(NULL, A, bad) != NULL, "matmul: size mismatch, A is 4x2x3, B is 4x5");
  int64_t sbb[3] = {3, 3, 5};
  lt_tensor *bb = shaped(3, sbb);
  CHECK_ERR(lt_matmul(NULL, A, bb) != NULL, "batch dimensions do not broadcast");
  lt_release(x); lt_release(d); lt_release(A); lt_release(B); lt_release(ob); lt_release(o);
  lt_release(ref); lt_release(r); lt_release(bad); lt_release(bb);
}

TEST(linalg_dot) {
  double av[4] = {1, 2, 3, 4}, bv[4] = {5, 6, 7, 8};
  for (int t = 0; t < NALL; t++) {
    lt_tensor *a = vec(4, av, ALL_TYPES[t]), *b = vec(4, bv, ALL_TYPES[t]);
    double r = -1;
    CHECK(lt_dot(a, b, &r) == 0);
    CHECK_NEAR(r, 70, 0);
    lt_release(a); lt_release(b);
  }
  /* Torch7: any shapes with the same number of elements; strided */
  lt_tensor *m = mat(2, 2, av, LT_FLOAT32), *v = vec(4, bv, LT_FLOAT32);
  double r;
  CHECK(lt_dot(m, v, &r) == 0 && r == 70);
  lt_tensor *mt = lt_transpose(m, 0, 1);   /* 1 3 2 4 */
  CHECK(lt_dot(mt, v, &r) == 0 && r == 1 * 5 + 3 * 6 + 2 * 7 + 4 * 8);
  lt_tensor *col = lt_select(m, 1, 1);     /* 2 4, stride 2 */
  lt_tensor *v2 = lt_narrow(v, 0, 2, 2);   /* 7 8 */
  CHECK(lt_dot(col, v2, &r) == 0 && r == 2 * 7 + 4 * 8);
  int64_t sz = 100000;
  lt_tensor *big = lt_empty(1, &sz, LT_INT64, lt_cpu());
  lt_fill(big, 3);
  CHECK(lt_dot(big, big, &r) == 0 && r == 900000);
  CHECK_ERR(lt_dot(v, col, &r) == 0, "dot: size mismatch");
  lt_tensor *vd = lt_to_dtype(v, LT_FLOAT64);
  CHECK_ERR(lt_dot(v, vd, &r) == 0, "same type");
  lt_release(m); lt_release(v); lt_release(mt); lt_release(col); lt_release(v2); lt_release(big); lt_release(vd);
}

TEST(linalg_trace_diag) {
  double v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  lt_tensor *m = mat(3, 4, v, LT_FLOAT32);
  double r;
  CHECK(lt_trace(m, &r) == 0 && r == 1 + 6 + 11);
  lt_tensor *mt = lt_transpose(m, 0, 1);
  CHECK(lt_trace(mt, &r) == 0 && r == 18);
  lt_tensor *mi = mat(3, 4, v, LT_INT16);
  CHECK(lt_trace(mi, &r) == 0 && r == 18);
  CHECK_ERR(lt_trace(TMP(lt_select(m, 0, 0)), &r) == 0, "trace: the argument must be a 2-D tensor");
  /* 2-D -> diagonals */
  struct { int64_t k; int n; double w[3]; } cases[] = {
    {0, 3, {1, 6, 11}}, {1, 3, {2, 7, 12}}, {2, 2, {3, 8}}, {3, 1, {4}}, {-1, 2, {5, 10}}, {-2, 1, {9}}, {4, 0, {0}}, {-5, 0, {0}}};
  for (int c = 0; c < 8; c++) {
    lt_tensor *d = lt_diag(NULL, m, cases[c].k);
    CHECK(d && d->ndim == 1 && d->size[0] == cases[c].n);
    for (int64_t i = 0; d && i < cases[c].n; i++) CHECK_NEAR(lt_get(d, &i), cases[c].w[i], 0);
    lt_release(d);
  }
  /* 1-D -> matrix */
  double xv[2] = {7, 9};
  lt_tensor *x = vec(2, xv, LT_INT32);
  lt_tensor *d0 = lt_diag(NULL, x, 0), *d1 = lt_diag(NULL, x, 1), *dm = lt_diag(NULL, x, -2);
  CHECK(d0->size[0] == 2 && d1->size[0] == 3 && dm->size[0] == 4 && dm->size[1] == 4);
  int64_t i00[2] = {0, 0}, i11[2] = {1, 1}, i01[2] = {0, 1}, i12[2] = {1, 2}, i20[2] = {2, 0}, i31[2] = {3, 1}, i10[2] = {1, 0};
  CHECK(lt_get(d0, i00) == 7 && lt_get(d0, i11) == 9 && lt_get(d0, i01) == 0 && lt_get(d0, i10) == 0);
  CHECK(lt_get(d1, i01) == 7 && lt_get(d1, i12) == 9 && lt_get(d1, i00) == 0);
  CHECK(lt_get(dm, i20) == 7 && lt_get(dm, i31) == 9 && lt_get(dm, i00) == 0);
  /* diag of diag, into a given out */
  int64_t one = 1;
  lt_tensor *out = lt_empty(1, &one, LT_INT32, lt_cpu());
  lt_tensor *back = lt_diag(out, d1, 1);
  CHECK(back == out && out->size[0] == 2 && lt_get(out, &one) == 9);
  lt_tensor *cube = lt_unsqueeze(m, 0);
  CHECK_ERR(lt_diag(NULL, cube, 0) != NULL, "diag: expected a 1-D or 2-D tensor");
  lt_release(m); lt_release(mt); lt_release(mi); lt_release(x); lt_release(d0); lt_release(d1);
  lt_release(dm); lt_release(out); lt_release(back); lt_release(cube);
}

TEST(linalg_tril_triu) {
  double v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (int t = 0; t < NALL; t++) {
    lt_tensor *m = mat(3, 4, v, ALL_TYPES[t]);
    for (int64_t k = -4; k <= 5; k++) {
      lt_tensor *lo = lt_tril(NULL, m, k), *up = lt_triu(NULL, m, k);
      for (int64_t i = 0; i < 3; i++)
        for (int64_t j = 0; j < 4; j++) {
          int64_t ix[2] = {i, j};
          double e = v[i * 4 + j];
          CHECK_NEAR(lt_get(lo, ix), j - i <= k ? e : 0, 0);
          CHECK_NEAR(lt_get(up, ix), j - i >= k ? e : 0, 0);
        }
      lt_release(lo); lt_release(up);
    }
    lt_release(m);
  }
  /* in place on a transposed view, and batched */
  lt_tensor *m = mat(3, 4, v, LT_FLOAT64), *mt = lt_transpose(m, 0, 1);   /* 4x3 */
  lt_tensor *r = lt_triu(mt, mt, 0);
  CHECK(r == mt);
  int64_t i10[2] = {1, 0}, i01[2] = {0, 1};
  CHECK(lt_get(mt, i10) == 0 && lt_get(mt, i01) == 5 && lt_get(m, i01) == 0);
  int64_t s3[3] = {2, 3, 3};
  lt_tensor *b = lt_empty(3, s3, LT_FLOAT32, lt_cpu());
  lt_fill(b, 1);
  lt_tensor *bl = lt_tril(NULL, b, -1);
  double sum = 0;
  for (int64_t q = 0; q < 2; q++)
    for (int64_t i = 0; i < 3; i++)
      for (int64_t j = 0; j < 3; j++) { int64_t ix[3] = {q, i, j}; sum += lt_get(bl, ix); }
  CHECK(sum == 6);
  lt_tensor *x = lt_select(m, 0, 0);
  CHECK_ERR(lt_tril(NULL, x, 0) != NULL, "tril: expected a 2-D tensor");
  lt_release(m); lt_release(mt); lt_release(r); lt_release(b); lt_release(bl); lt_release(x);
}

TEST(linalg_cross) {
  double e1[3] = {1, 0, 0}, e2[3] = {0, 1, 0}, u[3] = {1, 2, 3}, w[3] = {4, 5, 6};
  for (int t = 0; t < NALL; t++) {
    lt_dtype dt = ALL_TYPES[t];
    lt_tensor *a = vec(3, e1, dt), *b = vec(3, e2, dt);
    lt_tensor *c = lt_cross(NULL, a, b, -1);
    int64_t i0 = 0, i1 = 1, i2 = 2;
    CHECK(c && lt_get(c, &i0) == 0 && lt_get(c, &i1) == 0 && lt_get(c, &i2) == 1);
    lt_release(a); lt_release(b); lt_release(c);
  }
  /* rows of a 4x3 (dim 2) and columns of a 3x4 (first dim of size 3) */
  lt_tensor *U = lt_empty(2, (int64_t[]){4, 3}, LT_FLOAT64, lt_cpu());
  lt_tensor *W = lt_empty_like(U);
  for (int64_t i = 0; i < 4; i++)
    for (int64_t j = 0; j < 3; j++) {
      int64_t ix[2] = {i, j};
      lt_put(U, ix, u[j] * (i + 1));
      lt_put(W, ix, w[j] - i);
    }
  lt_tensor *C = lt_cross(NULL, U, W, 1);
  lt_tensor *Ut = lt_transpose(U, 0, 1), *Wt = lt_transpose(W, 0, 1);
  lt_tensor *Ct = lt_cross(NULL, Ut, Wt, -1);
  for (int64_t i = 0; i < 4; i++) {
    double a[3], b[3];
    for (int j = 0; j < 3; j++) { a[j] = u[j] * (i + 1); b[j] = w[j] - i; }
    double want[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    for (int64_t j = 0; j < 3; j++) {
      int64_t ix[2] = {i, j}, jx[2] = {j, i};
      CHECK_NEAR(lt_get(C, ix), want[j], 1e-12);
      CHECK_NEAR(lt_get(Ct, jx), want[j], 1e-12);
    }
  }
  /* in place, and broadcast of one vector against rows */
  lt_tensor *Uc = lt_clone(U);
  lt_tensor *r = lt_cross(Uc, Uc, W, 1);
  bool eq = false;
  CHECK(r == Uc && lt_equal(Uc, C, &eq) == 0 && eq);
  lt_tensor *e = lt_empty(1, (int64_t[]){3}, LT_FLOAT64, lt_cpu());
  for (int64_t j = 0; j < 3; j++) lt_put(e, &j, e1[j]);
  lt_tensor *rb = lt_cross(NULL, U, e, 1);
  int64_t i31[2] = {3, 1}, i32[2] = {3, 2};
  CHECK(rb && rb->size[0] == 4 && lt_get(rb, i31) == 4 * 3 && lt_get(rb, i32) == -4 * 2);
  CHECK_ERR(lt_cross(NULL, U, W, 0) != NULL, "cross: dimension 1 has size 4, expected 3");
  lt_tensor *n2 = lt_narrow(U, 1, 0, 2);
  CHECK_ERR(lt_cross(NULL, n2, n2, -1) != NULL, "no dimension of size 3");
  lt_release(U); lt_release(W); lt_release(C); lt_release(Ut); lt_release(Wt); lt_release(Ct);
  lt_release(Uc); lt_release(r); lt_release(e); lt_release(rb); lt_release(n2);
}

TEST(linalg_errors) {
  int64_t s23[2] = {2, 3}, s45[2] = {4, 5}, s3[1] = {3};
  lt_tensor *a = lt_zeros(2, s23, LT_FLOAT32, lt_cpu()), *b = lt_zeros(2, s45, LT_FLOAT32, lt_cpu());
  lt_tensor *v = lt_zeros(1, s3, LT_FLOAT32, lt_cpu()), *bd = lt_zeros(2, s45, LT_FLOAT64, lt_cpu());
  CHECK_ERR(lt_addmm(NULL, 1, NULL, 1, a, b) != NULL, "addmm: size mismatch, A is 2x3, B is 4x5");
  CHECK_ERR(lt_mm(NULL, a, b) != NULL, "mm: size mismatch, A is 2x3, B is 4x5");
  CHECK_ERR(lt_mm(NULL, a, v) != NULL, "mm: B must be a 2-D tensor (matrix), got size 3");
  CHECK_ERR(lt_mm(NULL, b, bd) != NULL, "mm: expected tensors of the same type, A is FloatTensor, B is DoubleTensor");
  CHECK_ERR(lt_mv(NULL, b, v) != NULL, "mv: size mismatch, A is 4x5, x is 3");
  CHECK_ERR(lt_mv(NULL, v, v) != NULL, "mv: A must be a 2-D tensor");
  CHECK_ERR(lt_ger(NULL, a, v) != NULL, "ger: x must be a 1-D tensor");
  CHECK_ERR(lt_addmm(NULL, 1, b, 1, a, TMP(lt_transpose(a, 0, 1))) != NULL, "addmm: M of size 4x5 does not match the product's size 2x2");
  CHECK_ERR(lt_addr(NULL, 1, a, 1, v, v) != NULL, "addr: M of size 2x3 does not match the product's size 3x3");
  CHECK_ERR(lt_addmv(NULL, 1, a, 1, a, v) != NULL, "addmv: M of size 2x3 does not match the product's size 2");
  lt_tensor *od = lt_empty(0, NULL, LT_FLOAT64, lt_cpu());
  CHECK_ERR(lt_mm(od, b, TMP(lt_transpose(b, 0, 1))) != NULL, "mm: result tensor is DoubleTensor, expected FloatTensor");
  CHECK_ERR(lt_matmul(NULL, TMP(lt_scalar_tensor(1, LT_FLOAT32, lt_cpu())), a) != NULL, "matmul: both arguments need at least 1 dimension");
  lt_release(a); lt_release(b); lt_release(v); lt_release(bd); lt_release(od);
}

TEST(linalg_empty_dims) {
  int64_t s20[2] = {2, 0}, s03[2] = {0, 3}, s23[2] = {2, 3};
  lt_tensor *a = lt_zeros(2, s20, LT_FLOAT32, lt_cpu()), *b = lt_zeros(2, s03, LT_FLOAT32, lt_cpu());
  lt_tensor *c = lt_mm(NULL, a, b);   /* k = 0: zeros */
  CHECK(c && c->size[0] == 2 && c->size[1] == 3);
  int64_t ix[2] = {1, 2};
  CHECK(c && lt_get(c, ix) == 0);
  lt_tensor *M = lt_zeros(2, s23, LT_FLOAT32, lt_cpu());
  lt_fill(M, 4);
  lt_tensor *r = lt_addmm(NULL, 0.5, M, 1, a, b);
  CHECK(r && lt_get(r, ix) == 2);
  lt_tensor *e = lt_mm(NULL, b, TMP(lt_transpose(b, 0, 1)));   /* 0x0 */
  CHECK(e && e->size[0] == 0 && e->size[1] == 0);
  lt_release(a); lt_release(b); lt_release(c); lt_release(M); lt_release(r); lt_release(e);
}

/* every path releases what it allocates: live bytes come back to where they were */
TEST(linalg_no_leaks) {
  int64_t s[2] = {6, 5}, sb[3] = {3, 6, 5}, s3[2] = {4, 3};
  lt_tensor *A = rand2(6, 5, LT_FLOAT32), *Ab = rand_t(3, sb, LT_FLOAT32), *C3 = rand_t(2, s3, LT_FLOAT32);
  lt_tensor *Ai = lt_to_dtype(A, LT_INT32), *Ah = lt_to_dtype(A, LT_FLOAT16), *Abool = lt_to_dtype(A, LT_BOOL);
  lt_tensor *x = lt_select(A, 0, 1), *y = lt_select(A, 1, 2);
  (void)s;
  int64_t before = lt_mem_live_bytes();
  for (int it = 0; it < 3; it++) {
    lt_tensor *At = lt_transpose(A, 0, 1), *Abt = lt_transpose(Ab, 1, 2);
    lt_tensor *sel = lt_unfold(A, 1, 1, 2), *odd = lt_select(sel, 2, 0);     /* 6x3, stride 2 */
    lt_tensor *r[24] = {0};
    double d;
    int q = 0;
    r[q++] = lt_mm(NULL, A, At);
    r[q++] = lt_mm(NULL, odd, TMP(lt_transpose(odd, 0, 1)));
    r[q - 1] ? lt_release(r[q - 1]) : (void)0;
    r[q - 1] = lt_mm(NULL, Ai, TMP(lt_transpose(Ai, 0, 1)));
    r[q++] = lt_mm(NULL, Ah, TMP(lt_transpose(Ah, 0, 1)));
    r[q++] = lt_mm(NULL, Abool, TMP(lt_transpose(Abool, 0, 1)));
    r[q++] = lt_bmm(NULL, Ab, Abt);
    r[q++] = lt_addbmm(NULL, 1, NULL, 1, Ab, Abt);
    r[q++] = lt_mv(NULL, A, x);
    r[q++] = lt_mv(NULL, At, y);
    r[q++] = lt_ger(NULL, x, y);
    r[q++] = lt_matmul(NULL, Ab, At);
    r[q++] = lt_matmul(NULL, x, Abt);
    r[q++] = lt_diag(NULL, A, 1);
    r[q++] = lt_diag(NULL, x, -1);
    r[q++] = lt_tril(NULL, Ab, 0);
    r[q++] = lt_cross(NULL, C3, C3, 1);
    lt_tensor *S = lt_clone(A);
    r[q++] = lt_mm(S, S, At);   /* aliasing: computed apart */
    lt_dot(odd, odd, &d);
    for (int i = 0; i < q; i++) { CHECK(r[i] != NULL); lt_release(r[i]); }
    lt_release(S); lt_release(At); lt_release(Abt); lt_release(sel); lt_release(odd);
  }
  /* the transposes created inline above hold no storage of their own */
  CHECK(lt_mem_live_bytes() == before);
  lt_release(A); lt_release(Ab); lt_release(C3); lt_release(Ai); lt_release(Ah); lt_release(Abool);
  lt_release(x); lt_release(y);
}
