/* test_reduce.c: reductions, cumulative ops and equal, against hand-computed values and
 * a brute-force float64 reference (lt_get per element) on contiguous, transposed,
 * narrowed and large (threaded) inputs. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>

static lt_tensor *vec(int n, const double *v, lt_dtype dt) {
  int64_t sz = n;
  lt_tensor *t = lt_empty(1, &sz, dt, lt_cpu());
  for (int64_t i = 0; i < n; i++) lt_put(t, &i, v[i]);
  return t;
}
static lt_tensor *mat(int r, int c, const double *v, lt_dtype dt) {
  int64_t sz[2] = {r, c};
  lt_tensor *t = lt_empty(2, sz, dt, lt_cpu());
  for (int64_t i = 0; i < r; i++)
    for (int64_t j = 0; j < c; j++) { int64_t ix[2] = {i, j}; lt_put(t, ix, v[i * c + j]); }
  return t;
}
/* deterministic values in [-50, 50) with a few repeats */
static uint64_t rng = 88172645463325252ull;
static double rnd(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (double)(int64_t)(rng % 1000) / 10.0 - 50.0;
}
static lt_tensor *filled(int nd, const int64_t *size, lt_dtype dt, bool ints) {
  lt_tensor *t = lt_empty(nd, size, dt, lt_cpu());
  int64_t n = lt_numel(t);
  double *tmp = malloc(sizeof(double) * (n ? n : 1));
  for (int64_t i = 0; i < n; i++) tmp[i] = ints ? floor(rnd()) : rnd();
  lt_tensor *d = vec((int)n, tmp, LT_FLOAT64);
  lt_tensor *dv = lt_view(d, nd, size);
  lt_copy(t, dv);
  lt_release(dv); lt_release(d);
  free(tmp);
  return t;
}
static double at(const lt_tensor *t, int64_t lin) {   /* element by row-major rank */
  int64_t ix[LT_MAXDIM];
  for (int d = t->ndim - 1; d >= 0; d--) { ix[d] = lin % t->size[d]; lin /= t->size[d]; }
  return lt_get(t, ix);
}
static int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* the reference of op over one line x[0..n) */
static double ref_line(lt_reduce_op op, const double *x, int64_t n, double p, int64_t *ix) {
  double s = 0, m;
  *ix = 0;
  switch (op) {
  case LT_RSUM: for (int64_t i = 0; i < n; i++) s += x[i]; return s;
  case LT_RMEAN: for (int64_t i = 0; i < n; i++) s += x[i]; return s / n;
  case LT_RPROD: s = 1; for (int64_t i = 0; i < n; i++) s *= x[i]; return s;
  case LT_RMAX: case LT_RARGMAX:
    m = x[0]; for (int64_t i = 1; i < n; i++) if (x[i] > m) { m = x[i]; *ix = i; }
    return op == LT_RMAX ? m : (double)*ix;
  case LT_RMIN: case LT_RARGMIN:
    m = x[0]; for (int64_t i = 1; i < n; i++) if (x[i] < m) { m = x[i]; *ix = i; }
    return op == LT_RMIN ? m : (double)*ix;
  case LT_RSTD: case LT_RVAR: {
    for (int64_t i = 0; i < n; i++) s += x[i];
    double mu = s / n, q = 0;
    for (int64_t i = 0; i < n; i++) q += (x[i] - mu) * (x[i] - mu);
    q /= (n - (p != 0));
    return op == LT_RSTD ? sqrt(q) : q;
  }
  case LT_RNORM:
    if (isinf(p)) { m = fabs(x[0]); for (int64_t i = 1; i < n; i++) m = p > 0 ? fmax(m, fabs(x[i])) : fmin(m, fabs(x[i])); return m; }
    if (p == 0) { for (int64_t i = 0; i < n; i++) s += x[i] != 0; return s; }
    for (int64_t i = 0; i < n; i++) s += pow(fabs(x[i]), p);
    return pow(s, 1 / p);
  case LT_RALL: for (int64_t i = 0; i < n; i++) if (x[i] == 0) return 0; return 1;
  case LT_RANY: for (int64_t i = 0; i < n; i++) if (x[i] != 0) return 1; return 0;
  case LT_RLOGSUMEXP:
    m = x[0]; for (int64_t i = 1; i < n; i++) m = fmax(m, x[i]);
    for (int64_t i = 0; i < n; i++) s += exp(x[i] - m);
    return m + log(s);
  case LT_RMEDIAN: case LT_RKTHVALUE: {
    double *c = malloc(sizeof(double) * n);
    memcpy(c, x, sizeof(double) * n);
    qsort(c, n, sizeof(double), cmpd);
    int64_t k = op == LT_RMEDIAN ? (n - 1) / 2 : (int64_t)p - 1;
    double v = c[k];
    free(c);
    /* the index: the occurrence of v of the same rank among equal values */
    int64_t before = 0;
    for (int64_t i = 0; i < n; i++) if (x[i] < v) before++;
    int64_t want = k - before, seen = 0;
    for (int64_t i = 0; i < n; i++) if (x[i] == v) { if (seen++ == want) { *ix = i; break; } }
    return v;
  }
  case LT_RMODE: {
    double best = 0;
    int64_t bestn = 0;
    for (int64_t i = 0; i < n; i++) {
      int64_t cnt = 0, last = 0;
      for (int64_t j = 0; j < n; j++) if (x[j] == x[i]) { cnt++; last = j; }
      if (cnt > bestn || (cnt == bestn && x[i] < best)) { bestn = cnt; best = x[i]; *ix = last; }
    }
    return best;
  }
  default: return NAN;
  }
}

/* check lt_reduce_dim against the reference for every dim of t */
static int check_dims(lt_reduce_op op, const lt_tensor *t, double p, double tol) {
  int bad = 0;
  for (int dim = 0; dim < t->ndim; dim++) {
    lt_tensor *ix = NULL;
    lt_tensor *r = lt_reduce_dim(op, NULL, NULL, &ix, t, dim, true, p);
    if (!r) { fprintf(stderr, "  op %d dim %d: %s\n", (int)op, dim, lt_errmsg()); return 1; }
    int64_t n = t->size[dim], M = lt_numel(r);
    double *line = malloc(sizeof(double) * (n ? n : 1));
    for (int64_t m = 0; m < M && bad < 5; m++) {
      /* output index -> input base index */
      int64_t oi[LT_MAXDIM], rem = m;
      for (int d = t->ndim - 1; d >= 0; d--) { oi[d] = rem % r->size[d]; rem /= r->size[d]; }
      for (int64_t k = 0; k < n; k++) { oi[dim] = k; line[k] = lt_get(t, oi); }
      oi[dim] = 0;
      int64_t rix;
      double want = ref_line(op, line, n, p, &rix);
      double got = lt_get(r, oi);
      double tl = tol * fmax(1, fabs(want));
      if (!(fabs(got - want) <= tl) && !(isnan(got) && isnan(want))) {
        fprintf(stderr, "  op %d dim %d pos %lld: got %.10g want %.10g\n", (int)op, dim, (long long)m, got, want);
        bad++;
      }
      if (ix && lt_get(ix, oi) != rix) {
        fprintf(stderr, "  op %d dim %d pos %lld: index %g want %lld\n", (int)op, dim, (long long)m, lt_get(ix, oi), (long long)rix);
        bad++;
      }
    }
    free(line);
    lt_release(r);
    lt_release(ix);
  }
  return bad;
}

static int check_all(lt_reduce_op op, const lt_tensor *t, double p, double tol) {
  int64_t n = lt_numel(t);
  double *x = malloc(sizeof(double) * n);
  for (int64_t i = 0; i < n; i++) x[i] = at(t, i);
  int64_t ix;
  double want = ref_line(op, x, n, p, &ix), got = -12345;
  free(x);
  if (lt_reduce_all(op, t, p, &got) < 0) { fprintf(stderr, "  all op %d: %s\n", (int)op, lt_errmsg()); return 1; }
  if (!(fabs(got - want) <= tol * fmax(1, fabs(want)))) {
    fprintf(stderr, "  all op %d: got %.10g want %.10g\n", (int)op, got, want);
    return 1;
  }
  return 0;
}

static const lt_reduce_op float_ops[] = {LT_RSUM, LT_RMEAN, LT_RMAX, LT_RMIN, LT_RSTD, LT_RVAR,
  LT_RNORM, LT_RALL, LT_RANY, LT_RLOGSUMEXP, LT_RMEDIAN, LT_RMODE, LT_RARGMAX, LT_RARGMIN};
static const lt_reduce_op int_ops[] = {LT_RSUM, LT_RMAX, LT_RMIN, LT_RALL, LT_RANY, LT_RMEDIAN,
  LT_RMODE, LT_RARGMAX, LT_RARGMIN};

/* views of t: itself, transposed, narrowed */
static void views(const lt_tensor *t, lt_tensor **v) {
  v[0] = lt_alias(t);
  v[1] = lt_transpose(t, 0, t->ndim - 1);
  v[2] = lt_narrow(t, t->ndim - 1, 1, t->size[t->ndim - 1] - 2);
}

static void check_everything(int nd, const int64_t *size, lt_dtype dt, double tol) {
  bool ints = !lt_dtype_is_float(dt);
  lt_tensor *t = filled(nd, size, dt, true);
  lt_tensor *v[3];
  views(t, v);
  const lt_reduce_op *ops = ints ? int_ops : float_ops;
  int nops = ints ? (int)(sizeof int_ops / sizeof *int_ops) : (int)(sizeof float_ops / sizeof *float_ops);
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < nops; i++) {
      double p = ops[i] == LT_RSTD || ops[i] == LT_RVAR ? 1 : ops[i] == LT_RNORM ? 2 : 0;
      int bad = check_dims(ops[i], v[k], p, tol);
      if (ops[i] != LT_RMODE && ops[i] != LT_RMEDIAN) bad += check_all(ops[i], v[k], p, tol);
      if (bad) { fprintf(stderr, "  (dtype %s view %d)\n", lt_dtype_name(dt), k); lt_test_failures++; }
    }
    if (!ints) {
      double ps[] = {0, 1, 3, INFINITY, -INFINITY};
      for (int j = 0; j < 5; j++)
        if (check_dims(LT_RNORM, v[k], ps[j], tol) + check_all(LT_RNORM, v[k], ps[j], tol)) {
          fprintf(stderr, "  (norm p=%g view %d)\n", ps[j], k);
          lt_test_failures++;
        }
      if (check_dims(LT_RVAR, v[k], 0, tol) || check_dims(LT_RKTHVALUE, v[k], 2, tol)) {
        fprintf(stderr, "  (var biased / kthvalue view %d)\n", k);
        lt_test_failures++;
      }
    }
  }
  for (int k = 0; k < 3; k++) lt_release(v[k]);
  lt_release(t);
}

TEST(reduce_reference_small) {
  int64_t s3[3] = {4, 5, 11};
  check_everything(3, s3, LT_FLOAT64, 1e-9);
  check_everything(3, s3, LT_FLOAT32, 1e-5);
  check_everything(3, s3, LT_INT32, 0);
  check_everything(3, s3, LT_INT64, 0);
  int64_t s2[2] = {3, 9};
  check_everything(2, s2, LT_INT16, 0);
  check_everything(2, s2, LT_FLOAT16, 1e-2);
}

TEST(reduce_reference_large_threaded) {
  /* big enough for the parallel paths; rows wider than one column block */
  int64_t s2[2] = {130, 300};
  check_everything(2, s2, LT_FLOAT64, 1e-9);
  int64_t s3[2] = {4000, 12};   /* one column block, long reduced dim: split rows */
  lt_tensor *t = filled(2, s3, LT_FLOAT32, false);
  lt_reduce_op ops[] = {LT_RSUM, LT_RMAX, LT_RMIN, LT_RVAR, LT_RLOGSUMEXP, LT_RNORM, LT_RARGMAX};
  for (int i = 0; i < 7; i++) CHECK(check_dims(ops[i], t, ops[i] == LT_RVAR || ops[i] == LT_RNORM ? 2 : 0, 1e-5) == 0);
  lt_release(t);
  int64_t s1[1] = {200001};         /* one long line split across threads */
  lt_tensor *u = filled(1, s1, LT_FLOAT64, false);
  for (int i = 0; i < 7; i++) CHECK(check_dims(ops[i], u, ops[i] == LT_RVAR || ops[i] == LT_RNORM ? 2 : 0, 1e-9) == 0);
  lt_release(u);
}

TEST(reduce_sum_hand_values) {
  double v[6] = {1, 2, 3, 4, 5, 6};
  lt_tensor *a = mat(2, 3, v, LT_FLOAT32);
  lt_tensor *s0 = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, a, 0, true, 0);
  CHECK(s0 && s0->ndim == 2 && s0->size[0] == 1 && s0->size[1] == 3 && s0->dtype == LT_FLOAT32);
  int64_t i02[2] = {0, 2};
  CHECK(lt_get(s0, i02) == 9);
  lt_tensor *s1 = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, a, 1, false, 0);
  CHECK(s1 && s1->ndim == 1 && s1->size[0] == 2);
  int64_t i1 = 1;
  CHECK(lt_get(s1, &i1) == 15);
  double r;
  CHECK(lt_reduce_all(LT_RSUM, a, 0, &r) == 0 && r == 21);
  CHECK(lt_reduce_all(LT_RPROD, a, 0, &r) == 0 && r == 720);
  CHECK(lt_reduce_all(LT_RMEAN, a, 0, &r) == 0 && r == 3.5);
  /* into a given result tensor, resized */
  int64_t one = 1;
  lt_tensor *out = lt_empty(1, &one, LT_FLOAT32, lt_cpu());
  lt_tensor *s2 = lt_reduce_dim(LT_RSUM, out, NULL, NULL, a, 1, true, 0);
  CHECK(s2 == out && out->ndim == 2 && out->size[0] == 2 && out->size[1] == 1);
  int64_t i10[2] = {1, 0};
  CHECK(lt_get(out, i10) == 15);
  lt_release(s2);
  /* a result of the wrong type */
  lt_tensor *outd = lt_empty(1, &one, LT_FLOAT64, lt_cpu());
  CHECK_ERR(lt_reduce_dim(LT_RSUM, outd, NULL, NULL, a, 1, true, 0) != NULL, "result tensor is DoubleTensor");
  /* the input as its own result (aliasing) */
  lt_tensor *b = lt_clone(a);
  lt_tensor *s3 = lt_reduce_dim(LT_RSUM, b, NULL, NULL, b, 0, true, 0);
  CHECK(s3 == b && b->size[0] == 1 && lt_get(b, i02) == 9);
  lt_release(s3);
  lt_release(b); lt_release(out); lt_release(outd);
  lt_release(s0); lt_release(s1); lt_release(a);
}

TEST(reduce_integer_types) {
  double v[6] = {200, 100, 3, 4, 5, 6};
  lt_tensor *a = mat(2, 3, v, LT_UINT8);
  int64_t ri;
  bool is_int;
  CHECK(lt_reduce_all_int(LT_RSUM, a, 0, &ri, &is_int) == 0 && is_int && ri == 318);
  lt_tensor *s = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, a, 1, true, 0);
  CHECK(s && s->dtype == LT_UINT8);
  int64_t i00[2] = {0, 0};
  CHECK(lt_get(s, i00) == (303 % 256));   /* own dtype, wraps (Torch7) */
  lt_release(s);
  /* int64 exactness past 2^53 */
  int64_t sz = 3;
  lt_tensor *l = lt_empty(1, &sz, LT_INT64, lt_cpu());
  int64_t *ld = lt_data(l);
  ld[0] = (int64_t)1 << 62; ld[1] = 1; ld[2] = -((int64_t)1 << 61);
  CHECK(lt_reduce_all_int(LT_RSUM, l, 0, &ri, &is_int) == 0 && ri == ((int64_t)1 << 61) + 1);
  CHECK(lt_reduce_all_int(LT_RMAX, l, 0, &ri, &is_int) == 0 && ri == (int64_t)1 << 62);
  CHECK(lt_reduce_all_int(LT_RARGMIN, l, 0, &ri, &is_int) == 0 && is_int && ri == 2);
  lt_tensor *mx = lt_reduce_dim(LT_RMAX, NULL, NULL, NULL, l, 0, false, 0);
  CHECK(mx && *(int64_t *)lt_data(mx) == (int64_t)1 << 62);
  lt_release(mx);
  lt_release(l);
  /* bool sums count (int64 result) */
  double bv[4] = {1, 0, 1, 1};
  lt_tensor *b = vec(4, bv, LT_BOOL);
  CHECK(lt_reduce_all_int(LT_RSUM, b, 0, &ri, &is_int) == 0 && ri == 3);
  lt_tensor *bs = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, b, 0, true, 0);
  CHECK(bs && bs->dtype == LT_INT64 && *(int64_t *)lt_data(bs) == 3);
  double r;
  CHECK(lt_reduce_all(LT_RALL, b, 0, &r) == 0 && r == 0);
  CHECK(lt_reduce_all(LT_RANY, b, 0, &r) == 0 && r == 1);
  lt_release(bs); lt_release(b);
  /* float-only ops refuse integer tensors, as Torch7 */
  CHECK_ERR(lt_reduce_all(LT_RMEAN, a, 0, &r) == 0, "mean: expected a floating point tensor, got ByteTensor");
  CHECK_ERR(lt_reduce_dim(LT_RSTD, NULL, NULL, NULL, a, 0, true, 1) != NULL, "std: expected a floating point");
  lt_release(a);
}

TEST(reduce_max_min_indices_nan) {
  double v[8] = {3, 7, 7, 1, -2, NAN, 5, NAN};
  lt_tensor *a = mat(2, 4, v, LT_FLOAT64);
  lt_tensor *ix = NULL;
  lt_tensor *m = lt_reduce_dim(LT_RMAX, NULL, NULL, &ix, a, 1, true, 0);
  CHECK(m && ix && ix->dtype == LT_INT64 && ix->size[0] == 2 && ix->size[1] == 1);
  int64_t i0[2] = {0, 0}, i1[2] = {1, 0};
  CHECK(lt_get(m, i0) == 7 && lt_get(ix, i0) == 1);            /* first of equal maxima */
  CHECK(isnan(lt_get(m, i1)) && lt_get(ix, i1) == 1);          /* NaN wins, first NaN */
  lt_release(m); lt_release(ix);
  lt_tensor *mn = lt_reduce_dim(LT_RMIN, NULL, NULL, &ix, a, 1, true, 0);
  CHECK(lt_get(mn, i0) == 1 && lt_get(ix, i0) == 3 && isnan(lt_get(mn, i1)));
  lt_release(mn); lt_release(ix);
  double r;
  CHECK(lt_reduce_all(LT_RMAX, a, 0, &r) == 0 && isnan(r));
  CHECK(lt_reduce_all(LT_RARGMAX, a, 0, &r) == 0 && r == 5);
  CHECK(lt_reduce_all(LT_RSUM, a, 0, &r) == 0 && isnan(r));
  /* over dim 0 (rows strategy would need width 8; use a wide one) */
  int64_t sz[2] = {3, 20};
  lt_tensor *w = lt_zeros(2, sz, LT_FLOAT32, lt_cpu());
  int64_t p1[2] = {1, 4}, p2[2] = {2, 4}, p3[2] = {2, 7};
  lt_put(w, p1, 5); lt_put(w, p2, 5); lt_put(w, p3, NAN);
  lt_tensor *wm = lt_reduce_dim(LT_RMAX, NULL, NULL, &ix, w, 0, false, 0);
  int64_t c4 = 4, c7 = 7, c0 = 0;
  CHECK(lt_get(wm, &c4) == 5 && lt_get(ix, &c4) == 1);
  CHECK(isnan(lt_get(wm, &c7)) && lt_get(ix, &c7) == 2);
  CHECK(lt_get(wm, &c0) == 0 && lt_get(ix, &c0) == 0);
  lt_release(wm); lt_release(ix); lt_release(w);
  /* argmax over a dim: the result is the index tensor */
  lt_tensor *am = lt_reduce_dim(LT_RARGMIN, NULL, NULL, NULL, a, 1, false, 0);
  int64_t z = 0;
  CHECK(am && am->dtype == LT_INT64 && lt_get(am, &z) == 3);
  lt_release(am);
  lt_release(a);
}

TEST(reduce_std_var_norm_logsumexp) {
  double v[4] = {1, 2, 3, 4};
  lt_tensor *a = vec(4, v, LT_FLOAT32);
  double r;
  CHECK(lt_reduce_all(LT_RVAR, a, 1, &r) == 0); CHECK_NEAR(r, 5.0 / 3, 1e-12);
  CHECK(lt_reduce_all(LT_RVAR, a, 0, &r) == 0); CHECK_NEAR(r, 1.25, 1e-12);
  CHECK(lt_reduce_all(LT_RSTD, a, 1, &r) == 0); CHECK_NEAR(r, sqrt(5.0 / 3), 1e-12);
  CHECK(lt_reduce_all(LT_RNORM, a, 2, &r) == 0); CHECK_NEAR(r, sqrt(30), 1e-12);
  CHECK(lt_reduce_all(LT_RNORM, a, 1, &r) == 0 && r == 10);
  CHECK(lt_reduce_all(LT_RNORM, a, INFINITY, &r) == 0 && r == 4);
  CHECK(lt_reduce_all(LT_RNORM, a, 0, &r) == 0 && r == 4);
  CHECK(lt_reduce_all(LT_RNORM, a, 3, &r) == 0); CHECK_NEAR(r, cbrt(100), 1e-12);
  CHECK(lt_reduce_all(LT_RLOGSUMEXP, a, 0, &r) == 0); CHECK_NEAR(r, log(exp(1) + exp(2) + exp(3) + exp(4)), 1e-12);
  /* logsumexp does not overflow, and keeps -inf / +inf */
  double big[3] = {1000, 1000, -INFINITY};
  lt_tensor *b = vec(3, big, LT_FLOAT64);
  CHECK(lt_reduce_all(LT_RLOGSUMEXP, b, 0, &r) == 0); CHECK_NEAR(r, 1000 + log(2), 1e-9);
  double ninf[2] = {-INFINITY, -INFINITY};
  lt_tensor *c = vec(2, ninf, LT_FLOAT64);
  CHECK(lt_reduce_all(LT_RLOGSUMEXP, c, 0, &r) == 0 && r == -INFINITY);
  lt_tensor *cd = lt_reduce_dim(LT_RLOGSUMEXP, NULL, NULL, NULL, c, 0, true, 0);
  int64_t z = 0;
  CHECK(cd && lt_get(cd, &z) == -INFINITY);
  /* one element: the unbiased variance is NaN, the biased 0 */
  lt_tensor *one = vec(1, v, LT_FLOAT64);
  CHECK(lt_reduce_all(LT_RVAR, one, 1, &r) == 0 && isnan(r));
  CHECK(lt_reduce_all(LT_RVAR, one, 0, &r) == 0 && r == 0);
  lt_release(cd); lt_release(one); lt_release(c); lt_release(b); lt_release(a);
}

TEST(reduce_median_kthvalue_mode) {
  double v[8] = {5, 1, 4, 2, 9, 9, 1, 9};
  lt_tensor *a = mat(2, 4, v, LT_INT32);
  lt_tensor *ix = NULL;
  lt_tensor *md = lt_reduce_dim(LT_RMEDIAN, NULL, NULL, &ix, a, 1, true, 0);
  int64_t i0[2] = {0, 0}, i1[2] = {1, 0};
  CHECK(md && md->dtype == LT_INT32 && lt_get(md, i0) == 2 && lt_get(ix, i0) == 3);   /* lower median of 1 2 4 5 */
  CHECK(lt_get(md, i1) == 9);
  lt_release(md); lt_release(ix);
  lt_tensor *kv = lt_reduce_dim(LT_RKTHVALUE, NULL, NULL, &ix, a, 1, true, 3);
  CHECK(lt_get(kv, i0) == 4 && lt_get(ix, i0) == 2 && lt_get(kv, i1) == 9);
  lt_release(kv); lt_release(ix);
  lt_tensor *mo = lt_reduce_dim(LT_RMODE, NULL, NULL, &ix, a, 1, true, 0);
  CHECK(lt_get(mo, i0) == 1 && lt_get(ix, i0) == 1);        /* all once: the smallest */
  CHECK(lt_get(mo, i1) == 9 && lt_get(ix, i1) == 3);        /* last occurrence */
  lt_release(mo); lt_release(ix);
  double r;
  CHECK(lt_reduce_all(LT_RMEDIAN, a, 0, &r) == 0 && r == 4);   /* 1 1 2 4 5 9 9 9 */
  CHECK(lt_reduce_all(LT_RMODE, a, 0, &r) == 0 && r == 9);
  CHECK(lt_reduce_all(LT_RKTHVALUE, a, 2, &r) == 0 && r == 1);
  CHECK_ERR(lt_reduce_all(LT_RKTHVALUE, a, 9, &r) == 0, "kthvalue: k 9 out of range");
  CHECK_ERR(lt_reduce_dim(LT_RKTHVALUE, NULL, NULL, NULL, a, 1, true, 0) != NULL, "out of range");
  /* NaN: median propagates it, kthvalue orders it last */
  double f[5] = {3, NAN, 1, 2, 0};
  lt_tensor *fn = vec(5, f, LT_FLOAT32);
  CHECK(lt_reduce_all(LT_RMEDIAN, fn, 0, &r) == 0 && isnan(r));
  CHECK(lt_reduce_all(LT_RKTHVALUE, fn, 4, &r) == 0 && r == 3);
  CHECK(lt_reduce_all(LT_RKTHVALUE, fn, 5, &r) == 0 && isnan(r));
  lt_release(fn);
  /* a long line (quickselect over many equal keys) */
  int64_t n = 100000;
  lt_tensor *big = lt_empty(1, &n, LT_FLOAT64, lt_cpu());
  double *bd = lt_data(big);
  for (int64_t i = 0; i < n; i++) bd[i] = (double)((i * 7919) % 1000);
  CHECK(lt_reduce_all(LT_RMEDIAN, big, 0, &r) == 0 && r == 499);
  CHECK(lt_reduce_all(LT_RMODE, big, 0, &r) == 0 && r == 0);
  lt_release(big);
  lt_release(a);
}

TEST(reduce_empty_and_errors) {
  int64_t sz[2] = {3, 0};
  lt_tensor *e = lt_empty(2, sz, LT_FLOAT32, lt_cpu());
  double r;
  CHECK(lt_reduce_all(LT_RSUM, e, 0, &r) == 0 && r == 0);
  CHECK(lt_reduce_all(LT_RPROD, e, 0, &r) == 0 && r == 1);
  CHECK(lt_reduce_all(LT_RMEAN, e, 0, &r) == 0 && isnan(r));
  CHECK(lt_reduce_all(LT_RALL, e, 0, &r) == 0 && r == 1);
  CHECK(lt_reduce_all(LT_RANY, e, 0, &r) == 0 && r == 0);
  CHECK_ERR(lt_reduce_all(LT_RMAX, e, 0, &r) == 0, "max: cannot reduce an empty tensor");
  CHECK_ERR(lt_reduce_all(LT_RMEDIAN, e, 0, &r) == 0, "median: cannot reduce an empty tensor");
  lt_tensor *s = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, e, 1, true, 0);
  CHECK(s && s->size[0] == 3 && s->size[1] == 1);
  int64_t i2[2] = {2, 0};
  CHECK(lt_get(s, i2) == 0);
  lt_release(s);
  s = lt_reduce_dim(LT_RPROD, NULL, NULL, NULL, e, 1, false, 0);
  int64_t i1 = 1;
  CHECK(s && s->ndim == 1 && lt_get(s, &i1) == 1);
  lt_release(s);
  s = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, e, 0, true, 0);
  CHECK(s && s->size[0] == 1 && s->size[1] == 0);
  lt_release(s);
  CHECK_ERR(lt_reduce_dim(LT_RMAX, NULL, NULL, NULL, e, 1, true, 0) != NULL, "max: cannot reduce over dimension 2 of size 0");
  CHECK_ERR(lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, e, 2, true, 0) != NULL, "sum: dimension 3 out of range");
  CHECK_ERR(lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, e, -1, true, 0) != NULL, "out of range");
  CHECK_ERR(lt_cumsum(NULL, e, 5) != NULL, "cumsum: dimension 6 out of range");
  CHECK_ERR(lt_reduce_dim(LT_NREDUCE, NULL, NULL, NULL, e, 0, true, 0) != NULL, "unknown op");
  lt_release(e);
  /* a 0-dim tensor has one element */
  lt_tensor *z = lt_scalar_tensor(2.5, LT_FLOAT32, lt_cpu());
  CHECK(lt_reduce_all(LT_RSUM, z, 0, &r) == 0 && r == 2.5);
  CHECK(lt_reduce_all(LT_RMAX, z, 0, &r) == 0 && r == 2.5);
  CHECK_ERR(lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, z, 0, true, 0) != NULL, "no dimensions");
  lt_release(z);
}

TEST(reduce_float_sum_accuracy) {
  int64_t n = 4000000;
  lt_tensor *a = lt_empty(1, &n, LT_FLOAT32, lt_cpu());
  lt_fill(a, 0.1);
  double r, want = (double)n * (double)0.1f;
  CHECK(lt_reduce_all(LT_RSUM, a, 0, &r) == 0);
  CHECK_NEAR(r, want, 1e-6 * want);
  CHECK(lt_reduce_all(LT_RMEAN, a, 0, &r) == 0);
  CHECK_NEAR(r, (double)0.1f, 1e-12);
  int64_t s2[2] = {2000, 2000};
  lt_tensor *m = lt_view(a, 2, s2);
  lt_tensor *c = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, m, 0, false, 0);
  int64_t j = 1234;
  CHECK_NEAR(lt_get(c, &j), 2000 * (double)0.1f, 1e-3);
  lt_release(c);
  lt_tensor *cs = lt_cumsum(NULL, a, 0);
  int64_t last = n - 1;
  CHECK_NEAR(lt_get(cs, &last), (double)(float)want, 1);
  lt_release(cs);
  lt_release(m);
  lt_release(a);
  /* float64 compensated: 1 + many tiny values */
  int64_t n2 = 1000001;
  lt_tensor *d = lt_empty(1, &n2, LT_FLOAT64, lt_cpu());
  lt_fill(d, 1e-16);
  int64_t z = 0;
  lt_put(d, &z, 1);
  CHECK(lt_reduce_all(LT_RSUM, d, 0, &r) == 0);
  CHECK_NEAR(r, 1 + 1e-10, 1e-12);   /* a plain double sum gives 1 */
  lt_release(d);
}

TEST(reduce_cumsum_cumprod) {
  double v[6] = {1, 2, 3, 4, 5, 6};
  lt_tensor *a = mat(2, 3, v, LT_INT64);
  lt_tensor *c0 = lt_cumsum(NULL, a, 0), *c1 = lt_cumsum(NULL, a, 1);
  int64_t i12[2] = {1, 2}, i02[2] = {0, 2}, i11[2] = {1, 1};
  CHECK(c0 && c0->dtype == LT_INT64 && lt_get(c0, i12) == 9 && lt_get(c0, i02) == 3);
  CHECK(c1 && lt_get(c1, i12) == 15 && lt_get(c1, i11) == 9);
  lt_tensor *p1 = lt_cumprod(NULL, a, 1);
  CHECK(p1 && lt_get(p1, i12) == 120 && lt_get(p1, i02) == 6);
  /* transposed input, float; and a wide one for the row path */
  lt_tensor *t = lt_transpose(a, 0, 1);
  lt_tensor *tf = lt_to_dtype(t, LT_FLOAT32);
  lt_tensor *ct = lt_cumsum(NULL, t, 1);
  int64_t i21[2] = {2, 1};
  CHECK(ct && ct->size[0] == 3 && lt_get(ct, i21) == 9 && lt_is_contiguous(ct));
  int64_t sz[2] = {5, 40};
  lt_tensor *w = filled(2, sz, LT_FLOAT64, false);
  for (int dim = 0; dim < 2; dim++) {
    lt_tensor *cw = lt_cumsum(NULL, w, dim), *pw = lt_cumprod(NULL, w, dim);
    int bad = 0;
    for (int64_t i = 0; i < 5; i++)
      for (int64_t j = 0; j < 40; j++) {
        double s = 0, p = 1;
        for (int64_t k = 0; k <= (dim ? j : i); k++) {
          int64_t ix[2] = {dim ? i : k, dim ? k : j};
          s += lt_get(w, ix);
          p *= lt_get(w, ix);
        }
        int64_t ix[2] = {i, j};
        if (fabs(lt_get(cw, ix) - s) > 1e-9 || fabs(lt_get(pw, ix) - p) > 1e-9 * fabs(p)) bad++;
      }
    CHECK(bad == 0);
    lt_release(cw); lt_release(pw);
  }
  /* into a given result; bool counts into int64 */
  lt_tensor *out = lt_empty(0, NULL, LT_INT64, lt_cpu());
  lt_tensor *r = lt_cumsum(out, a, 1);
  CHECK(r == out && lt_get(out, i12) == 15);
  lt_release(r);
  double bv[3] = {1, 1, 0};
  lt_tensor *b = vec(3, bv, LT_BOOL);
  lt_tensor *bc = lt_cumsum(NULL, b, 0);
  int64_t two = 2;
  CHECK(bc && bc->dtype == LT_INT64 && lt_get(bc, &two) == 2);
  lt_release(bc); lt_release(b); lt_release(out);
  lt_release(w); lt_release(ct); lt_release(tf); lt_release(t);
  lt_release(p1); lt_release(c0); lt_release(c1); lt_release(a);
}

TEST(reduce_equal) {
  double v[6] = {1, 2, 3, 4, 5, 6};
  lt_tensor *a = mat(2, 3, v, LT_FLOAT32), *b = mat(2, 3, v, LT_FLOAT32);
  bool eq;
  CHECK(lt_equal(a, b, &eq) == 0 && eq);
  int64_t i[2] = {1, 1};
  lt_put(b, i, 0);
  CHECK(lt_equal(a, b, &eq) == 0 && !eq);
  lt_tensor *t = lt_transpose(a, 0, 1), *tc = lt_contiguous(t);
  CHECK(lt_equal(t, tc, &eq) == 0 && eq);
  CHECK(lt_equal(a, t, &eq) == 0 && !eq);           /* different sizes */
  lt_tensor *l = mat(2, 3, v, LT_INT64);
  CHECK(lt_equal(a, l, &eq) == 0 && eq);            /* values compare across types */
  double nv[1] = {NAN};
  lt_tensor *n1 = vec(1, nv, LT_FLOAT64), *n2 = vec(1, nv, LT_FLOAT64);
  CHECK(lt_equal(n1, n2, &eq) == 0 && !eq);
  /* empty tensors (no storage, or size 0) are equal; lt_empty(0, NULL) would be a scalar
   * whose one element is uninitialised (valgrind flagged the comparison) */
  int64_t zero = 0;
  lt_tensor *e1 = lt_new_empty(LT_FLOAT32, lt_cpu()), *e0 = lt_empty(1, &zero, LT_FLOAT32, lt_cpu());
  CHECK(lt_equal(e1, e1, &eq) == 0 && eq);
  CHECK(lt_equal(e0, e0, &eq) == 0 && eq);
  lt_release(e1); lt_release(e0); lt_release(n1); lt_release(n2); lt_release(l); lt_release(t); lt_release(tc);
  lt_release(a); lt_release(b);
}

TEST(reduce_cumsum_threaded) {
  /* large enough for the threaded paths: rows (dim 0) and lines (dim 1), both layouts */
  int64_t sz[2] = {300, 130};
  lt_tensor *a = filled(2, sz, LT_FLOAT64, false);
  lt_tensor *t = lt_transpose(a, 0, 1);
  const lt_tensor *ins[2] = {a, t};
  for (int v = 0; v < 2; v++)
    for (int dim = 0; dim < 2; dim++) {
      const lt_tensor *x = ins[v];
      lt_tensor *c = lt_cumsum(NULL, x, dim);
      int bad = 0;
      for (int64_t i = 0; i < x->size[1 - dim]; i++) {
        double s = 0;
        for (int64_t k = 0; k < x->size[dim]; k++) {
          int64_t ix[2];
          ix[dim] = k; ix[1 - dim] = i;
          s += lt_get(x, ix);
          if (fabs(lt_get(c, ix) - s) > 1e-9 * fmax(1, fabs(s))) bad++;
        }
      }
      CHECK(bad == 0);
      lt_release(c);
    }
  lt_release(t);
  lt_release(a);
}
