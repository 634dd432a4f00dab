/* test_index.c: index/gather/scatter, masks, nonzero, sort and topk. */
#include "harness.h"
#include <stdlib.h>
#include <string.h>

/* a tensor of shape (nd, size) filled in row-major order from v */
static lt_tensor *mk(lt_dtype dt, int nd, const int64_t *size, const double *v) {
  lt_tensor *t = lt_empty(nd, size, dt, lt_cpu());
  int64_t n = lt_numel(t), idx[LT_MAXDIM] = {0};
  for (int64_t e = 0; e < n; e++) {
    lt_put(t, idx, v[e]);
    for (int d = nd - 1; d >= 0; d--) { if (++idx[d] < size[d]) break; idx[d] = 0; }
  }
  return t;
}
static lt_tensor *vec(lt_dtype dt, int n, const double *v) { int64_t s = n; return mk(dt, 1, &s, v); }
static lt_tensor *mat(lt_dtype dt, int r, int c, const double *v) { int64_t s[2] = {r, c}; return mk(dt, 2, s, v); }

/* t equals the row-major values v (and has n elements) */
static int same(const lt_tensor *t, int n, const double *v) {
  if (!t || lt_numel(t) != n) return 0;
  int64_t idx[LT_MAXDIM] = {0};
  for (int e = 0; e < n; e++) {
    double x = lt_get(t, idx);
    if (!(x == v[e] || (isnan(x) && isnan(v[e])))) {
      fprintf(stderr, "    element %d: %g, expected %g\n", e, x, v[e]);
      return 0;
    }
    for (int d = t->ndim - 1; d >= 0; d--) { if (++idx[d] < t->size[d]) break; idx[d] = 0; }
  }
  return 1;
}
#define CHECK_VALUES(t, ...)                                                                   \
  do {                                                                                         \
    const double _v[] = {__VA_ARGS__};                                                         \
    CHECK(same((t), (int)(sizeof _v / sizeof _v[0]), _v));                                     \
  } while (0)

static const lt_dtype all_types[] = {LT_FLOAT32, LT_FLOAT64, LT_INT64, LT_INT32, LT_INT16,
                                     LT_INT8, LT_UINT8, LT_FLOAT16, LT_BFLOAT16};
#define NTYPES ((int)(sizeof all_types / sizeof all_types[0]))

TEST(index_select_dims_and_types) {
  const double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (int k = 0; k < NTYPES; k++) {
    lt_tensor *a = mat(all_types[k], 3, 4, v);
    lt_tensor *i0 = vec(LT_INT64, 2, (double[]){2, 0});
    lt_tensor *i1 = vec(LT_INT64, 3, (double[]){3, 1, 3});
    lt_tensor *r0 = lt_index_select(NULL, a, 0, i0);
    CHECK(r0 && r0->dtype == all_types[k] && r0->size[0] == 2 && r0->size[1] == 4);
    CHECK_VALUES(r0, 9, 10, 11, 12, 1, 2, 3, 4);
    lt_tensor *r1 = lt_index_select(NULL, a, 1, i1);
    CHECK(r1 && r1->size[0] == 3 && r1->size[1] == 3);
    CHECK_VALUES(r1, 4, 2, 4, 8, 6, 8, 12, 10, 12);
    /* transposed input (4x3): rows 2 and 0 of the transpose are columns of a */
    lt_tensor *tr = lt_transpose(a, 0, 1);
    lt_tensor *r2 = lt_index_select(NULL, tr, 0, i0);
    CHECK_VALUES(r2, 3, 7, 11, 1, 5, 9);
    lt_tensor *r3 = lt_index_select(NULL, tr, 1, i0);
    CHECK_VALUES(r3, 9, 1, 10, 2, 11, 3, 12, 4);
    lt_release(a); lt_release(i0); lt_release(i1); lt_release(r0); lt_release(r1);
    lt_release(tr); lt_release(r2); lt_release(r3);
  }
}

TEST(index_select_out_and_errors) {
  const double v[] = {1, 2, 3, 4, 5, 6};
  lt_tensor *a = mat(LT_FLOAT32, 2, 3, v);
  lt_tensor *bad = vec(LT_INT64, 2, (double[]){0, 3});
  CHECK_ERR(lt_index_select(NULL, a, 1, bad) != NULL, "index: index 4 out of range for dimension 2 of size 3");
  lt_tensor *neg = vec(LT_INT64, 1, (double[]){-1});
  CHECK_ERR(lt_index_select(NULL, a, 0, neg) != NULL, "index 0 out of range for dimension 1 of size 2");
  lt_tensor *fi = vec(LT_FLOAT32, 1, (double[]){0});
  CHECK_ERR(lt_index_select(NULL, a, 0, fi) != NULL, "index: indices must be a LongTensor, got FloatTensor");
  CHECK_ERR(lt_index_select(NULL, a, 2, neg) != NULL, "index: dimension 3 out of range");
  int64_t s2[2] = {1, 1};
  lt_tensor *i2 = lt_zeros(2, s2, LT_INT64, lt_cpu());
  CHECK_ERR(lt_index_select(NULL, a, 0, i2) != NULL, "must be a vector");
  /* into an existing result, and into itself */
  lt_tensor *idx = vec(LT_INT64, 3, (double[]){1, 1, 0});
  lt_tensor *out = lt_empty(1, (int64_t[]){7}, LT_FLOAT32, lt_cpu());
  lt_tensor *r = lt_index_select(out, a, 0, idx);
  CHECK(r == out && out->ndim == 2 && out->size[0] == 3);
  CHECK_VALUES(out, 4, 5, 6, 4, 5, 6, 1, 2, 3);
  lt_release(r);
  r = lt_index_select(out, out, 1, TMP(vec(LT_INT64, 1, (double[]){2})));
  CHECK(r == out);
  CHECK_VALUES(out, 6, 6, 3);
  lt_release(r);
  lt_tensor *outd = lt_empty(0, (int64_t[]){1}, LT_FLOAT64, lt_cpu());
  CHECK_ERR(lt_index_select(outd, a, 0, idx) != NULL, "index: result tensor is DoubleTensor");
  /* empty index */
  lt_tensor *none = lt_empty(1, (int64_t[]){0}, LT_INT64, lt_cpu());
  r = lt_index_select(NULL, a, 1, none);
  CHECK(r && r->size[0] == 2 && r->size[1] == 0);
  lt_release(r);
  lt_release(a); lt_release(bad); lt_release(neg); lt_release(fi); lt_release(i2);
  lt_release(idx); lt_release(out); lt_release(outd); lt_release(none);
}

TEST(index_copy_add_fill) {
  /* Torch7's documented example: range(1,5):indexAdd(1, {1,1,3,3}, range(1,4)) */
  lt_tensor *a = vec(LT_FLOAT64, 5, (double[]){1, 2, 3, 4, 5});
  lt_tensor *idx = vec(LT_INT64, 4, (double[]){0, 0, 2, 2});
  lt_tensor *src = vec(LT_FLOAT64, 4, (double[]){1, 2, 3, 4});
  CHECK(lt_index_add(a, 0, idx, src) == 0);
  CHECK_VALUES(a, 4, 2, 10, 4, 5);
  /* columns of a 3x4 matrix, in every dtype (the source in another dtype) */
  const double z[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  lt_tensor *ci = vec(LT_INT64, 2, (double[]){3, 0});
  lt_tensor *cs = mat(LT_FLOAT64, 3, 2, (double[]){1, 2, 3, 4, 5, 6});
  for (int k = 0; k < NTYPES; k++) {
    lt_tensor *m = mat(all_types[k], 3, 4, z);
    CHECK(lt_index_copy(m, 1, ci, cs) == 0);
    CHECK_VALUES(m, 2, 0, 0, 1, 4, 0, 0, 3, 6, 0, 0, 5);
    CHECK(lt_index_add(m, 1, ci, cs) == 0);
    CHECK_VALUES(m, 4, 0, 0, 2, 8, 0, 0, 6, 12, 0, 0, 10);
    CHECK(lt_index_fill(m, 0, TMP(vec(LT_INT64, 1, (double[]){1})), -1 * (all_types[k] != LT_UINT8) + 7 * (all_types[k] == LT_UINT8)) == 0);
    double f = all_types[k] == LT_UINT8 ? 7 : -1;
    CHECK_VALUES(m, 4, 0, 0, 2, f, f, f, f, 12, 0, 0, 10);
    lt_release(m);
  }
  /* a transposed destination writes through to the base */
  lt_tensor *b = mat(LT_FLOAT32, 4, 3, z);
  lt_tensor *bt = lt_transpose(b, 0, 1);          /* 3x4 view */
  CHECK(lt_index_copy(bt, 1, ci, cs) == 0);
  CHECK_VALUES(b, 2, 4, 6, 0, 0, 0, 0, 0, 0, 1, 3, 5);
  /* a permuted 3-D destination that no (outer, dim, inner) layout fits */
  int64_t s3[3] = {2, 3, 2};
  lt_tensor *c = lt_zeros(3, s3, LT_INT32, lt_cpu());
  int perm[3] = {2, 1, 0};
  lt_tensor *cp = lt_permute(c, perm);            /* 2x3x2, strides 1,2,6 */
  lt_tensor *src3 = lt_zeros(3, (int64_t[]){2, 1, 2}, LT_INT32, lt_cpu());
  lt_fill(src3, 5);
  CHECK(lt_index_add(cp, 1, TMP(vec(LT_INT64, 1, (double[]){2})), src3) == 0);
  /* cp[i][2][k] = 5  <=>  c[k][2][i] = 5 */
  CHECK_VALUES(c, 0, 0, 0, 0, 5, 5, 0, 0, 0, 0, 5, 5);
  /* errors */
  CHECK_ERR(lt_index_copy(a, 0, TMP(vec(LT_INT64, 1, (double[]){5})), TMP(vec(LT_FLOAT64, 1, (double[]){1}))) == 0,
            "indexCopy: index 6 out of range for dimension 1 of size 5");
  CHECK_ERR(lt_index_add(a, 0, idx, TMP(vec(LT_FLOAT64, 3, (double[]){1, 2, 3}))) == 0, "indexAdd: source of size 3");
  CHECK_ERR(lt_index_fill(a, 1, idx, 0) == 0, "indexFill: dimension 2 out of range");
  CHECK_ERR(lt_index_fill(a, 0, src, 0) == 0, "indexFill: indices must be a LongTensor");
  lt_release(a); lt_release(idx); lt_release(src); lt_release(ci); lt_release(cs);
  lt_release(b); lt_release(bt); lt_release(c); lt_release(cp); lt_release(src3);
}

TEST(gather_scatter) {
  /* Torch7's documented examples with x = 1..10 as 2x5 */
  const double x[] = {11, 12, 13, 14, 15, 21, 22, 23, 24, 25};
  for (int k = 0; k < NTYPES; k++) {
    lt_dtype dt = all_types[k];
    lt_tensor *a = mat(dt, 2, 5, x);
    lt_tensor *i = mat(LT_INT64, 2, 5, (double[]){0, 1, 2, 0, 0, 2, 0, 0, 1, 2});
    lt_tensor *y = lt_zeros(2, (int64_t[]){3, 5}, dt, lt_cpu());
    CHECK(lt_scatter(y, 0, i, a) == 0);
    CHECK_VALUES(y, 11, 22, 23, 14, 15, 0, 12, 0, 24, 0, 21, 0, 13, 0, 25);
    lt_tensor *g = lt_gather(NULL, y, 0, i);
    CHECK(g && g->size[0] == 2 && g->size[1] == 5);
    CHECK_VALUES(g, 11, 12, 13, 14, 15, 21, 22, 23, 24, 25);
    lt_tensor *z = lt_zeros(2, (int64_t[]){2, 4}, dt, lt_cpu());
    lt_tensor *zi = mat(LT_INT64, 2, 1, (double[]){2, 3});
    CHECK(lt_scatter_fill(z, 1, zi, 3) == 0);
    CHECK_VALUES(z, 0, 0, 3, 0, 0, 0, 0, 3);
    /* gather along dim 2 */
    lt_tensor *gi = mat(LT_INT64, 2, 2, (double[]){4, 0, 1, 1});
    lt_tensor *g2 = lt_gather(NULL, a, 1, gi);
    CHECK_VALUES(g2, 15, 11, 22, 22);
    /* scatterAdd accumulates repeated positions */
    lt_tensor *s = lt_zeros(2, (int64_t[]){2, 3}, dt, lt_cpu());
    lt_tensor *si = mat(LT_INT64, 2, 4, (double[]){0, 0, 2, 0, 1, 1, 1, 1});
    lt_tensor *ones = lt_zeros(2, (int64_t[]){2, 4}, dt, lt_cpu());
    lt_fill(ones, 1);
    CHECK(lt_scatter_add(s, 1, si, ones) == 0);
    CHECK_VALUES(s, 3, 0, 1, 0, 4, 0);
    lt_release(a); lt_release(i); lt_release(y); lt_release(g); lt_release(z); lt_release(zi);
    lt_release(gi); lt_release(g2); lt_release(s); lt_release(si); lt_release(ones);
  }
}

TEST(gather_scatter_strided_and_errors) {
  const double x[] = {1, 2, 3, 4, 5, 6};
  lt_tensor *a = mat(LT_FLOAT64, 2, 3, x);
  lt_tensor *at = lt_transpose(a, 0, 1);           /* 3x2: {{1,4},{2,5},{3,6}} */
  lt_tensor *i = mat(LT_INT64, 3, 2, (double[]){1, 0, 0, 0, 1, 1});
  lt_tensor *it = lt_transpose(i, 0, 1);           /* 2x3 */
  lt_tensor *g = lt_gather(NULL, at, 1, i);
  CHECK_VALUES(g, 4, 1, 2, 2, 6, 6);
  lt_tensor *g0 = lt_gather(NULL, a, 0, it);       /* it = {{1,0,1},{0,0,1}} */
  CHECK_VALUES(g0, 4, 2, 6, 1, 2, 6);
  /* an index smaller than the tensor (PyTorch's rule) */
  lt_tensor *small = mat(LT_INT64, 1, 2, (double[]){2, 1});
  lt_tensor *gs = lt_gather(NULL, a, 1, small);
  CHECK_VALUES(gs, 3, 2);
  /* scatter into a transposed destination */
  lt_tensor *d = lt_zeros(2, (int64_t[]){2, 3}, LT_FLOAT64, lt_cpu());
  lt_tensor *dt = lt_transpose(d, 0, 1);           /* 3x2 */
  lt_tensor *src = mat(LT_FLOAT64, 3, 2, (double[]){10, 20, 30, 40, 50, 60});
  lt_tensor *di = mat(LT_INT64, 3, 1, (double[]){1, 0, 1});
  CHECK(lt_scatter(dt, 1, di, src) == 0);
  CHECK_VALUES(d, 0, 30, 0, 10, 0, 50);
  /* a 3-D gather against a reference loop */
  int64_t s3[3] = {4, 5, 6};
  lt_tensor *c = lt_empty(3, s3, LT_FLOAT32, lt_cpu());
  lt_tensor *ci = lt_empty(3, s3, LT_INT64, lt_cpu());
  int64_t e[3];
  for (e[0] = 0; e[0] < 4; e[0]++) for (e[1] = 0; e[1] < 5; e[1]++) for (e[2] = 0; e[2] < 6; e[2]++) {
    lt_put(c, e, e[0] * 100 + e[1] * 10 + e[2]);
    lt_put(ci, e, (e[0] * 7 + e[1] * 3 + e[2]) % 5);
  }
  lt_tensor *gc = lt_gather(NULL, c, 1, ci);
  int bad = 0;
  for (e[0] = 0; e[0] < 4; e[0]++) for (e[1] = 0; e[1] < 5; e[1]++) for (e[2] = 0; e[2] < 6; e[2]++)
    bad += lt_get(gc, e) != e[0] * 100 + (double)((e[0] * 7 + e[1] * 3 + e[2]) % 5) * 10 + e[2];
  CHECK(bad == 0);
  /* errors */
  lt_tensor *oob = mat(LT_INT64, 1, 1, (double[]){3});
  CHECK_ERR(lt_gather(NULL, a, 1, oob) != NULL, "gather: index 4 out of range for dimension 2 of size 3");
  CHECK_ERR(lt_scatter(a, 0, oob, a) == 0, "scatter: index 4 out of range for dimension 1 of size 2");
  CHECK_ERR(lt_scatter_add(a, 1, TMP(vec(LT_INT64, 1, (double[]){0})), a) == 0, "scatterAdd: index of size 1");
  CHECK_ERR(lt_gather(NULL, a, 0, TMP(mat(LT_INT64, 1, 4, (double[]){0, 0, 0, 0}))) != NULL, "gather: index of size 1x4 is larger");
  CHECK_ERR(lt_scatter_fill(a, 0, TMP(mat(LT_INT32, 1, 1, (double[]){0})), 1) == 0, "scatter: indices must be a LongTensor, got IntTensor");
  CHECK_ERR(lt_scatter(a, 1, small, TMP(mat(LT_FLOAT64, 1, 1, (double[]){0}))) == 0, "larger than the source");
  CHECK_ERR(lt_gather(NULL, a, 2, small) != NULL, "gather: dimension 3 out of range");
  lt_release(a); lt_release(at); lt_release(i); lt_release(it); lt_release(g); lt_release(g0);
  lt_release(small); lt_release(gs); lt_release(d); lt_release(dt); lt_release(src); lt_release(di);
  lt_release(c); lt_release(ci); lt_release(gc); lt_release(oob);
}

TEST(gather_scatter_large_parallel) {
  /* big enough for threads: scatterAdd of ones counts hits exactly */
  int64_t n = 200000, m = 50;
  lt_tensor *idx = lt_empty(2, (int64_t[]){n / m, m}, LT_INT64, lt_cpu());
  int64_t *p = lt_data(idx);
  for (int64_t i = 0; i < n; i++) p[i] = (i * 7919) % 13;
  lt_tensor *src = lt_empty(2, (int64_t[]){n / m, m}, LT_FLOAT64, lt_cpu());
  lt_fill(src, 1);
  lt_tensor *t = lt_zeros(2, (int64_t[]){13, m}, LT_FLOAT64, lt_cpu());
  CHECK(lt_scatter_add(t, 0, idx, src) == 0);
  double ref[13 * 50] = {0};
  for (int64_t i = 0; i < n; i++) ref[p[i] * m + i % m] += 1;
  CHECK(same(t, 13 * 50, ref));
  lt_tensor *g = lt_gather(NULL, t, 0, idx);
  const double *gp = lt_data(g);
  int bad = 0;
  for (int64_t i = 0; i < n; i++) bad += gp[i] != ref[p[i] * m + i % m];
  CHECK(bad == 0);
  lt_release(idx); lt_release(src); lt_release(t); lt_release(g);
}

TEST(masked_ops) {
  const double x[] = {1, 2, 3, 4, 5, 6};
  const double mv[] = {1, 0, 0, 1, 1, 0};
  for (int k = 0; k < NTYPES; k++) {
    lt_tensor *a = mat(all_types[k], 2, 3, x);
    lt_tensor *m = mat(LT_UINT8, 2, 3, mv);
    lt_tensor *sel = lt_masked_select(NULL, a, m);
    CHECK(sel && sel->ndim == 1 && sel->dtype == all_types[k]);
    CHECK_VALUES(sel, 1, 4, 5);
    lt_tensor *src = vec(LT_FLOAT64, 4, (double[]){7, 8, 9, 10});
    CHECK(lt_masked_copy(a, m, src) == 0);
    CHECK_VALUES(a, 7, 2, 3, 8, 9, 6);
    CHECK(lt_masked_fill(a, m, 0) == 0);
    CHECK_VALUES(a, 0, 2, 3, 0, 0, 6);
    lt_release(a); lt_release(m); lt_release(sel); lt_release(src);
  }
  /* a BOOL mask with another shape and the same count (Torch7), and a broadcast mask */
  lt_tensor *a = mat(LT_FLOAT32, 2, 3, x);
  lt_tensor *m32 = mat(LT_BOOL, 3, 2, mv);
  lt_tensor *sel = lt_masked_select(NULL, a, m32);
  CHECK_VALUES(sel, 1, 4, 5);
  lt_tensor *row = vec(LT_BOOL, 3, (double[]){0, 1, 0});
  CHECK(lt_masked_fill(a, row, -1) == 0);
  CHECK_VALUES(a, 1, -1, 3, 4, -1, 6);
  lt_tensor *sel2 = lt_masked_select(NULL, a, row);
  CHECK_VALUES(sel2, -1, -1);
  lt_tensor *col = mat(LT_UINT8, 2, 1, (double[]){0, 1});
  CHECK(lt_masked_copy(a, col, TMP(vec(LT_FLOAT32, 3, (double[]){7, 8, 9}))) == 0);
  CHECK_VALUES(a, 1, -1, 3, 7, 8, 9);
  /* a transposed destination and a transposed mask */
  lt_tensor *at = lt_transpose(a, 0, 1);     /* 3x2: {{1,7},{-1,8},{3,9}} */
  lt_tensor *mt = lt_transpose(TMP(mat(LT_UINT8, 2, 3, (double[]){1, 1, 0, 0, 0, 1})), 0, 1);
  lt_tensor *sel3 = lt_masked_select(NULL, at, mt);   /* mt = {{1,0},{1,0},{0,1}} */
  CHECK_VALUES(sel3, 1, -1, 9);
  CHECK(lt_masked_fill(at, mt, 0) == 0);
  CHECK_VALUES(a, 0, 0, 3, 7, 8, 0);
  /* errors */
  lt_tensor *fm = mat(LT_FLOAT32, 2, 3, mv);
  CHECK_ERR(lt_masked_fill(a, fm, 0) == 0, "maskedFill: mask must be a ByteTensor or BoolTensor, got FloatTensor");
  CHECK_ERR(lt_masked_select(NULL, a, fm) != NULL, "maskedSelect: mask must be a ByteTensor");
  lt_tensor *m4 = vec(LT_UINT8, 4, (double[]){1, 1, 1, 1});
  CHECK_ERR(lt_masked_fill(a, m4, 0) == 0, "maskedFill: mask of size 4 does not match the tensor of size 2x3");
  lt_tensor *all = mat(LT_UINT8, 2, 3, (double[]){1, 1, 1, 1, 1, 1});
  CHECK_ERR(lt_masked_copy(a, all, TMP(vec(LT_FLOAT32, 2, (double[]){1, 2}))) == 0,
            "maskedCopy: the source has 2 elements but the mask selects 6");
  lt_release(a); lt_release(m32); lt_release(sel); lt_release(row); lt_release(sel2); lt_release(col);
  lt_release(at); lt_release(mt); lt_release(sel3); lt_release(fm); lt_release(m4); lt_release(all);
}

TEST(nonzero_positions) {
  lt_tensor *a = mat(LT_INT32, 3, 3, (double[]){2, 0, 2, 0, 0, 1, 0, 2, 0});
  lt_tensor *nz = lt_nonzero(NULL, a);
  CHECK(nz && nz->dtype == LT_INT64 && nz->size[0] == 4 && nz->size[1] == 2);
  CHECK_VALUES(nz, 0, 0, 0, 2, 1, 2, 2, 1);
  lt_tensor *f = vec(LT_FLOAT32, 4, (double[]){0, NAN, -0.0, 0.5});
  lt_tensor *nf = lt_nonzero(NULL, f);
  CHECK(nf && nf->size[0] == 2 && nf->size[1] == 1);
  CHECK_VALUES(nf, 1, 3);
  lt_tensor *h = lt_to_dtype(f, LT_FLOAT16);
  lt_tensor *nh = lt_nonzero(NULL, h);
  CHECK_VALUES(nh, 1, 3);
  lt_tensor *z = lt_zeros(2, (int64_t[]){2, 2}, LT_FLOAT64, lt_cpu());
  lt_tensor *nzz = lt_nonzero(NULL, z);
  CHECK(nzz && nzz->ndim == 2 && nzz->size[0] == 0 && nzz->size[1] == 2);
  lt_tensor *at = lt_transpose(a, 0, 1);
  lt_tensor *nt = lt_nonzero(NULL, at);
  CHECK_VALUES(nt, 0, 0, 1, 2, 2, 0, 2, 1);
  /* large, through threads */
  int64_t n = 100003;
  lt_tensor *big = lt_zeros(1, &n, LT_UINT8, lt_cpu());
  uint8_t *bp = lt_data(big);
  int64_t cnt = 0;
  for (int64_t i = 0; i < n; i++) if (i % 7 == 3) { bp[i] = 1; cnt++; }
  lt_tensor *nb = lt_nonzero(NULL, big);
  CHECK(nb && nb->size[0] == cnt);
  int bad = 0;
  for (int64_t j = 0; nb && j < cnt; j++) bad += ((int64_t *)lt_data(nb))[j] != j * 7 + 3;
  CHECK(bad == 0);
  lt_release(a); lt_release(nz); lt_release(f); lt_release(nf); lt_release(h); lt_release(nh);
  lt_release(z); lt_release(nzz); lt_release(at); lt_release(nt); lt_release(big); lt_release(nb);
}

TEST(sort_small_cases) {
  lt_tensor *a = vec(LT_FLOAT64, 7, (double[]){3, NAN, -1, 2, -0.0, 0, -INFINITY});
  lt_tensor *v, *i;
  CHECK(lt_sort(a, 0, false, &v, &i) == 0);
  CHECK_VALUES(v, -INFINITY, -1, -0.0, 0, 2, 3, NAN);
  CHECK_VALUES(i, 6, 2, 4, 5, 3, 0, 1);      /* -0 and 0 tie: original order */
  lt_release(v); lt_release(i);
  CHECK(lt_sort(a, -1, true, &v, &i) == 0);
  CHECK_VALUES(v, NAN, 3, 2, -0.0, 0, -1, -INFINITY);
  CHECK_VALUES(i, 1, 0, 3, 4, 5, 2, 6);
  lt_release(v); lt_release(i);
  /* stability with ties, every dtype, rows along both dims */
  const double m[] = {2, 1, 2, 1, 0, 0, 3, 0, 1};
  for (int k = 0; k < NTYPES; k++) {
    lt_tensor *t = mat(all_types[k], 3, 3, m);
    CHECK(lt_sort(t, 1, false, &v, &i) == 0);
    CHECK(v->dtype == all_types[k] && i->dtype == LT_INT64);
    CHECK_VALUES(v, 1, 2, 2, 0, 0, 1, 0, 1, 3);
    CHECK_VALUES(i, 1, 0, 2, 1, 2, 0, 1, 2, 0);
    lt_release(v); lt_release(i);
    CHECK(lt_sort(t, 0, true, &v, &i) == 0);
    CHECK_VALUES(v, 3, 1, 2, 2, 0, 1, 1, 0, 0);
    CHECK_VALUES(i, 2, 0, 0, 0, 1, 2, 1, 2, 1);
    lt_release(v); lt_release(i);
    lt_tensor *tt = lt_transpose(t, 0, 1);
    CHECK(lt_sort(tt, 1, false, &v, &i) == 0);   /* rows of tt are columns of t */
    CHECK_VALUES(v, 1, 2, 3, 0, 0, 1, 0, 1, 2);
    CHECK_VALUES(i, 1, 0, 2, 1, 2, 0, 1, 2, 0);
    lt_release(v); lt_release(i); lt_release(t); lt_release(tt);
  }
  /* negatives in signed integer types */
  lt_tensor *s = vec(LT_INT8, 5, (double[]){-128, 127, -1, 0, 5});
  CHECK(lt_sort(s, 0, false, &v, &i) == 0);
  CHECK_VALUES(v, -128, -1, 0, 5, 127);
  lt_release(v); lt_release(i);
  lt_tensor *l = vec(LT_INT64, 3, (double[]){-5e15, 4e15, -1});
  CHECK(lt_sort(l, 0, true, &v, NULL) == 0);
  CHECK_VALUES(v, 4e15, -1, -5e15);
  lt_release(v);
  /* errors and 0-dim */
  CHECK_ERR(lt_sort(a, 1, false, &v, &i) == 0, "sort: dimension 2 out of range");
  lt_tensor *sc = lt_scalar_tensor(4, LT_FLOAT32, lt_cpu());
  CHECK(lt_sort(sc, -1, false, &v, &i) == 0 && v->ndim == 0 && lt_get(v, NULL) == 4 && lt_get(i, NULL) == 0);
  lt_release(v); lt_release(i);
  lt_release(a); lt_release(s); lt_release(l); lt_release(sc);
}

static int cmp_dbl_idx(const void *x, const void *y) {
  const double *a = x, *b = y;
  if (a[0] < b[0]) return -1;
  if (a[0] > b[0]) return 1;
  return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* sort and topk of random rows against qsort on (value, position) */
static void check_random_sort(int64_t rows, int64_t n, lt_dtype dt, int modulo) {
  int64_t size[2] = {rows, n};
  lt_tensor *a = lt_empty(2, size, dt, lt_cpu());
  double *ref = malloc(sizeof(double) * 2 * (size_t)n);
  unsigned s = 12345;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < n; j++) {
      s = s * 1103515245u + 12345u;
      int64_t e[2] = {r, j};
      lt_put(a, e, (double)((s >> 8) % (unsigned)modulo) - modulo / 2);
    }
  lt_tensor *v, *i, *tv, *ti;
  CHECK(lt_sort(a, 1, false, &v, &i) == 0);
  int64_t k = n / 20 + 1;
  CHECK(lt_topk(a, k, 1, true, true, &tv, &ti) == 0);
  int bad = 0, badk = 0;
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t j = 0; j < n; j++) { int64_t e[2] = {r, j}; ref[2 * j] = lt_get(a, e); ref[2 * j + 1] = (double)j; }
    qsort(ref, (size_t)n, 2 * sizeof(double), cmp_dbl_idx);
    for (int64_t j = 0; j < n; j++) {
      int64_t e[2] = {r, j};
      bad += lt_get(v, e) != ref[2 * j] || lt_get(i, e) != ref[2 * j + 1];
    }
    /* largest first; among equal values the earlier position first */
    for (int64_t j = 0; j < n; j++) ref[2 * j] = -lt_get(a, (int64_t[]){r, j}), ref[2 * j + 1] = (double)j;
    qsort(ref, (size_t)n, 2 * sizeof(double), cmp_dbl_idx);
    for (int64_t j = 0; j < k; j++) {
      int64_t e[2] = {r, j};
      badk += lt_get(tv, e) != -ref[2 * j] || lt_get(ti, e) != ref[2 * j + 1];
    }
  }
  CHECK(bad == 0);
  CHECK(badk == 0);
  free(ref);
  lt_release(a); lt_release(v); lt_release(i); lt_release(tv); lt_release(ti);
}

TEST(sort_topk_random) {
  check_random_sort(3, 1000, LT_FLOAT32, 1000000);
  check_random_sort(200, 300, LT_FLOAT64, 50);
  check_random_sort(1, 150000, LT_INT32, 1 << 20);    /* one long row: the parallel sort */
  check_random_sort(2, 100000, LT_INT16, 3000);
  check_random_sort(50, 40, LT_UINT8, 200);
  check_random_sort(1, 70000, LT_FLOAT16, 2000);
  check_random_sort(4, 5000, LT_INT64, 7);            /* heavy ties through the topk filter */
}

TEST(topk_cases) {
  lt_tensor *a = vec(LT_FLOAT32, 6, (double[]){5, 1, 4, 1, NAN, 3});
  lt_tensor *v, *i;
  CHECK(lt_topk(a, 3, -1, false, true, &v, &i) == 0);    /* Torch7's default: smallest */
  CHECK_VALUES(v, 1, 1, 3);
  CHECK_VALUES(i, 1, 3, 5);
  lt_release(v); lt_release(i);
  CHECK(lt_topk(a, 2, 0, true, true, &v, &i) == 0);
  CHECK_VALUES(v, NAN, 5);
  CHECK_VALUES(i, 4, 0);
  lt_release(v); lt_release(i);
  CHECK(lt_topk(a, 0, 0, true, true, &v, &i) == 0 && lt_numel(v) == 0);
  lt_release(v); lt_release(i);
  CHECK_ERR(lt_topk(a, 7, 0, true, true, &v, &i) == 0, "topk: k (7) out of range for dimension 1 of size 6");
  lt_tensor *m = mat(LT_INT64, 2, 3, (double[]){1, 9, 5, 7, 2, 8});
  CHECK(lt_topk(m, 1, 0, true, false, &v, &i) == 0);
  CHECK(v->size[0] == 1 && v->size[1] == 3);
  CHECK_VALUES(v, 7, 9, 8);
  CHECK_VALUES(i, 1, 0, 1);
  lt_release(v); lt_release(i);
  lt_release(a); lt_release(m);
}

TEST(index_large_parallel) {
  /* select: many short rows (threads split the index list) */
  int64_t s[2] = {5000, 4}, n = 40000;
  lt_tensor *a = lt_empty(2, s, LT_FLOAT32, lt_cpu());
  float *ap = lt_data(a);
  for (int64_t i = 0; i < 20000; i++) ap[i] = (float)i;
  lt_tensor *idx = lt_empty(1, &n, LT_INT64, lt_cpu());
  int64_t *ip = lt_data(idx);
  for (int64_t j = 0; j < n; j++) ip[j] = (j * 7919) % 5000;
  lt_tensor *r = lt_index_select(NULL, a, 0, idx);
  const float *rp = lt_data(r);
  int bad = 0;
  for (int64_t j = 0; j < n; j++)
    for (int k = 0; k < 4; k++) bad += rp[j * 4 + k] != (float)(ip[j] * 4 + k);
  CHECK(bad == 0);
  /* indexAdd with repeated indices over long rows (threads split the rows' inner range) */
  int64_t s2[2] = {7, 1024}, m = 300;
  lt_tensor *t = lt_zeros(2, s2, LT_FLOAT64, lt_cpu());
  lt_tensor *src = lt_empty(2, (int64_t[]){m, 1024}, LT_FLOAT64, lt_cpu());
  lt_fill(src, 1);
  lt_tensor *ix2 = lt_empty(1, &m, LT_INT64, lt_cpu());
  int64_t *i2 = lt_data(ix2), cnt[7] = {0};
  for (int64_t j = 0; j < m; j++) { i2[j] = (j * j) % 7; cnt[i2[j]]++; }
  CHECK(lt_index_add(t, 0, ix2, src) == 0);
  const double *tp = lt_data(t);
  bad = 0;
  for (int64_t q = 0; q < 7 * 1024; q++) bad += tp[q] != (double)cnt[q / 1024];
  CHECK(bad == 0);
  /* indexCopy: the last of repeated indices wins */
  double *sp = lt_data(src);
  for (int64_t j = 0; j < m * 1024; j++) sp[j] = (double)(j / 1024);
  CHECK(lt_index_copy(t, 0, ix2, src) == 0);
  bad = 0;
  for (int64_t q = 0; q < 7 * 1024; q++) {
    int64_t last = -1;
    for (int64_t j = 0; j < m; j++) if (i2[j] == q / 1024) last = j;
    bad += last >= 0 && tp[q] != (double)last;
  }
  CHECK(bad == 0);
  lt_release(a); lt_release(idx); lt_release(r); lt_release(t); lt_release(src); lt_release(ix2);
}

/* The *_based entry points (internal.h; the Lua bindings pass 1-based LongTensors with base
 * 1): the same results as the 0-based ops on base-shifted indices, errors naming the
 * position 1-based, and the public ops still 0-based. */
#include "internal.h"
TEST(index_ops_with_a_base) {
  const double v[] = {1, 2, 3, 4, 5, 6};
  for (int k = 0; k < NTYPES; k++) {
    lt_dtype dt = all_types[k];
    lt_tensor *a = TMP(mat(dt, 2, 3, v));
    lt_tensor *i1 = TMP(vec(LT_INT64, 3, (double[]){3, 1, 3}));   /* 1-based */
    CHECK_VALUES(TMP(lt_index_select_based(NULL, a, 1, i1, 1)), 3, 1, 3, 6, 4, 6);
    lt_tensor *g1 = TMP(mat(LT_INT64, 2, 2, (double[]){2, 1, 3, 3}));
    CHECK_VALUES(TMP(lt_gather_based(NULL, a, 1, g1, 1)), 2, 1, 6, 6);
    lt_tensor *res = TMP(lt_zeros(2, (int64_t[]){2, 2}, dt, lt_cpu()));
    CHECK(lt_gather_based(res, a, 1, g1, 1) == res);
    lt_release(res);
    CHECK_VALUES(res, 2, 1, 6, 6);
    lt_tensor *t = TMP(lt_zeros(2, (int64_t[]){2, 3}, dt, lt_cpu()));
    lt_tensor *src = TMP(mat(dt, 2, 2, (double[]){1, 2, 3, 4}));
    CHECK(lt_scatter_based(t, 1, g1, src, 1) == 0);
    CHECK_VALUES(t, 2, 1, 0, 0, 0, 4);
    CHECK(lt_scatter_add_based(t, 1, g1, src, 1) == 0);
    CHECK_VALUES(t, 4, 2, 0, 0, 0, 11);
    lt_tensor *i2 = TMP(vec(LT_INT64, 2, (double[]){2, 2}));
    lt_tensor *rows = TMP(mat(dt, 2, 3, (double[]){1, 1, 1, 2, 2, 2}));
    CHECK(lt_index_copy_based(t, 0, i2, rows, 1) == 0);
    CHECK_VALUES(t, 4, 2, 0, 2, 2, 2);
    CHECK(lt_index_add_based(t, 0, i2, rows, 1) == 0);
    CHECK_VALUES(t, 4, 2, 0, 5, 5, 5);
    /* base 0 is the public op */
    CHECK_VALUES(TMP(lt_index_select_based(NULL, a, 0, TMP(vec(LT_INT64, 1, (double[]){1})), 0)), 4, 5, 6);
  }
  lt_tensor *a = TMP(mat(LT_FLOAT32, 2, 3, v));
  lt_tensor *t = TMP(lt_zeros(2, (int64_t[]){2, 3}, LT_FLOAT32, lt_cpu()));
  lt_tensor *zero = TMP(vec(LT_INT64, 2, (double[]){1, 0}));   /* 0: out of range with base 1 */
  lt_tensor *big = TMP(vec(LT_INT64, 1, (double[]){4}));
  lt_tensor *g0 = TMP(mat(LT_INT64, 1, 2, (double[]){1, 0}));
  lt_tensor *src = TMP(lt_zeros(2, (int64_t[]){2, 3}, LT_FLOAT32, lt_cpu()));
  CHECK_ERR(lt_index_select_based(NULL, a, 1, zero, 1) != NULL, "index: index 0 out of range for dimension 2 of size 3");
  CHECK_ERR(lt_index_select_based(NULL, a, 1, big, 1) != NULL, "index: index 4 out of range for dimension 2 of size 3");
  CHECK_ERR(lt_gather_based(NULL, a, 1, g0, 1) != NULL, "gather: index 0 out of range for dimension 2 of size 3");
  CHECK_ERR(lt_scatter_based(t, 1, g0, src, 1) == 0, "scatter: index 0 out of range for dimension 2 of size 3");
  CHECK_ERR(lt_scatter_add_based(t, 1, g0, src, 1) == 0, "scatterAdd: index 0 out of range");
  CHECK_ERR(lt_index_copy_based(t, 1, zero, TMP(lt_zeros(2, (int64_t[]){2, 2}, LT_FLOAT32, lt_cpu())), 1) == 0,
            "indexCopy: index 0 out of range for dimension 2 of size 3");
  CHECK_ERR(lt_index_add_based(t, 1, zero, TMP(lt_zeros(2, (int64_t[]){2, 2}, LT_FLOAT32, lt_cpu())), 1) == 0,
            "indexAdd: index 0 out of range for dimension 2 of size 3");
  CHECK_VALUES(t, 0, 0, 0, 0, 0, 0);
  /* the same indices are fine 0-based, through the public ops */
  CHECK_VALUES(TMP(lt_index_select(NULL, a, 1, zero)), 2, 1, 5, 4);
}
