/* joining/splitting (cat, stack, split, chunk, repeat, flip, roll) and ranges/eye */
#include "harness.h"
#include <stdlib.h>
#include <string.h>

/* a tensor of the given shape holding v[0..] in row-major order */
static lt_tensor *mk(lt_dtype dt, int nd, const int64_t *size, const double *v) {
  lt_tensor *t = lt_empty(nd, size, dt, lt_cpu());
  int64_t n = lt_numel(t), idx[LT_MAXDIM] = {0};
  for (int64_t e = 0; e < n; e++) {
    lt_put(t, idx, v[e]);
    for (int d = nd - 1; d >= 0; d--) { if (++idx[d] < size[d]) break; idx[d] = 0; }
  }
  return t;
}
/* 0, 1, 2, ... */
static lt_tensor *iota(lt_dtype dt, int nd, const int64_t *size) {
  int64_t n = 1;
  for (int d = 0; d < nd; d++) n *= size[d];
  double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
  for (int64_t i = 0; i < n; i++) v[i] = (double)i;
  lt_tensor *t = mk(dt, nd, size, v);
  free(v);
  return t;
}
/* t equals the row-major values v (and has the shape nd/size) */
static int same(const lt_tensor *t, int nd, const int64_t *size, const double *v) {
  if (!t || t->ndim != nd) return 0;
  for (int d = 0; d < nd; d++) if (t->size[d] != size[d]) return 0;
  int64_t n = lt_numel(t), idx[LT_MAXDIM] = {0};
  for (int64_t e = 0; e < n; e++) {
    if (lt_get(t, idx) != v[e]) return 0;
    for (int d = nd - 1; d >= 0; d--) { if (++idx[d] < size[d]) break; idx[d] = 0; }
  }
  return 1;
}

TEST(shape_cat_dims) {
  int64_t s23[2] = {2, 3}, s13[2] = {1, 3}, s22[2] = {2, 2};
  lt_tensor *a = iota(LT_FLOAT32, 2, s23);                    /* 0 1 2 / 3 4 5 */
  double bv[3] = {10, 11, 12};
  lt_tensor *b = mk(LT_FLOAT32, 2, s13, bv);
  const lt_tensor *ab[2] = {a, b};
  lt_tensor *c = lt_cat(NULL, ab, 2, 0);
  int64_t s33[2] = {3, 3};
  double cv[9] = {0, 1, 2, 3, 4, 5, 10, 11, 12};
  CHECK(same(c, 2, s33, cv));
  double dv[4] = {20, 21, 22, 23};
  lt_tensor *d = mk(LT_FLOAT32, 2, s22, dv);
  const lt_tensor *ad[2] = {a, d};
  lt_tensor *e = lt_cat(NULL, ad, 2, 1);
  int64_t s25[2] = {2, 5};
  double ev[10] = {0, 1, 2, 20, 21, 3, 4, 5, 22, 23};
  CHECK(same(e, 2, s25, ev));
  /* mismatched sizes name the dimension */
  CHECK_ERR(lt_cat(NULL, ab, 2, 1) != NULL, "dimension 1");
  CHECK_ERR(lt_cat(NULL, ab, 0, 0) != NULL, "at least one");
  lt_release(a); lt_release(b); lt_release(c); lt_release(d); lt_release(e);
}

TEST(shape_cat_vectors_new_dim_and_types) {
  double xv[3] = {1, 2, 3}, yv[3] = {4, 5, 6};
  int64_t s3 = 3;
  lt_tensor *x = mk(LT_FLOAT64, 1, &s3, xv), *y = mk(LT_INT32, 1, &s3, yv);
  const lt_tensor *xy[2] = {x, y};
  /* Torch7: two vectors along dimension 2 make a 3x2 matrix */
  lt_tensor *m = lt_cat(NULL, xy, 2, 1);
  int64_t s32[2] = {3, 2};
  double mv[6] = {1, 4, 2, 5, 3, 6};
  CHECK(same(m, 2, s32, mv));
  CHECK(m && m->dtype == LT_FLOAT64);                          /* promoted */
  /* empty tensors are skipped */
  int64_t z = 0;
  lt_tensor *e = lt_empty(1, &z, LT_FLOAT64, lt_cpu());
  const lt_tensor *exy[3] = {e, x, y};
  lt_tensor *v = lt_cat(NULL, exy, 3, 0);
  int64_t s6 = 6;
  double vv[6] = {1, 2, 3, 4, 5, 6};
  CHECK(same(v, 1, &s6, vv));
  /* into a given result, and into a result that is one of the inputs */
  lt_tensor *res = lt_empty(1, &z, LT_INT64, lt_cpu());
  lt_tensor *r = lt_cat(res, xy, 2, 0);
  CHECK(r == res && res->dtype == LT_INT64 && same(res, 1, &s6, vv));
  lt_release(r);
  lt_tensor *xc = lt_clone(x);
  const lt_tensor *xcy[2] = {xc, y};
  r = lt_cat(xc, xcy, 2, 0);
  CHECK(r == xc && same(xc, 1, &s6, vv));
  lt_release(r);
  lt_release(x); lt_release(y); lt_release(m); lt_release(e); lt_release(v);
  lt_release(res); lt_release(xc);
}

TEST(shape_cat_strided_inputs) {
  int64_t s34[2] = {3, 4};
  lt_tensor *a = iota(LT_FLOAT32, 2, s34);
  lt_tensor *at = lt_transpose(a, 0, 1);                      /* 4x3, non-contiguous */
  lt_tensor *nar = lt_narrow(at, 0, 1, 2);                    /* rows 1..2 of the transpose */
  const lt_tensor *ts[2] = {at, nar};
  lt_tensor *c = lt_cat(NULL, ts, 2, 0);
  int64_t s63[2] = {6, 3};
  double cv[18] = {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, 1, 5, 9, 2, 6, 10};
  CHECK(same(c, 2, s63, cv));
  lt_release(a); lt_release(at); lt_release(nar); lt_release(c);
}

TEST(shape_stack) {
  double av[2] = {1, 2}, bv[2] = {3, 4};
  int64_t s2 = 2;
  lt_tensor *a = mk(LT_INT64, 1, &s2, av), *b = mk(LT_INT64, 1, &s2, bv);
  const lt_tensor *ab[2] = {a, b};
  lt_tensor *s0 = lt_stack(NULL, ab, 2, 0), *s1 = lt_stack(NULL, ab, 2, 1);
  int64_t s22[2] = {2, 2};
  double v0[4] = {1, 2, 3, 4}, v1[4] = {1, 3, 2, 4};
  CHECK(same(s0, 2, s22, v0));
  CHECK(same(s1, 2, s22, v1));
  CHECK_ERR(lt_stack(NULL, ab, 2, 2) != NULL, "out of range");
  int64_t s3 = 3;
  lt_tensor *c = lt_zeros(1, &s3, LT_INT64, lt_cpu());
  const lt_tensor *ac[2] = {a, c};
  CHECK_ERR(lt_stack(NULL, ac, 2, 0) != NULL, "same size");
  lt_release(a); lt_release(b); lt_release(s0); lt_release(s1); lt_release(c);
}

TEST(shape_split_chunk) {
  int64_t s52[2] = {5, 2};
  lt_tensor *a = iota(LT_FLOAT32, 2, s52);
  lt_tensor **p;
  int k = lt_split(a, 2, 0, &p);
  CHECK(k == 3);
  if (k == 3) {
    CHECK(p[0]->size[0] == 2 && p[2]->size[0] == 1);
    int64_t i[2] = {0, 1};
    CHECK(lt_get(p[2], i) == 9);
    CHECK(p[1]->storage == a->storage);                       /* views */
    for (int j = 0; j < k; j++) lt_release(p[j]);
  }
  free(p);
  k = lt_chunk(a, 2, 0, &p);                                  /* ceil(5/2) = 3: sizes 3, 2 */
  CHECK(k == 2 && p[0]->size[0] == 3 && p[1]->size[0] == 2);
  for (int j = 0; j < k; j++) lt_release(p[j]);
  free(p);
  k = lt_chunk(a, 4, 1, &p);                                  /* only 2 columns: 2 chunks */
  CHECK(k == 2 && p[0]->size[1] == 1);
  for (int j = 0; j < k; j++) lt_release(p[j]);
  free(p);
  CHECK_ERR(lt_split(a, 0, 0, &p) >= 0, "positive");
  CHECK_ERR(lt_split(a, 1, 2, &p) >= 0, "out of range");
  CHECK_ERR(lt_chunk(a, 0, 0, &p) >= 0, "positive");
  lt_release(a);
}

TEST(shape_repeat) {
  double av[2] = {1, 2};
  int64_t s2 = 2;
  lt_tensor *a = mk(LT_INT32, 1, &s2, av);
  int64_t r[2] = {3, 2};
  lt_tensor *b = lt_repeat(a, 2, r);                          /* 3x4 */
  int64_t s34[2] = {3, 4};
  double bv[12] = {1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2};
  CHECK(same(b, 2, s34, bv));
  int64_t s23[2] = {2, 3};
  lt_tensor *m = iota(LT_FLOAT64, 2, s23);
  lt_tensor *mt = lt_transpose(m, 0, 1);                      /* 3x2: 0 3 / 1 4 / 2 5 */
  int64_t r2[3] = {2, 1, 3};
  lt_tensor *c = lt_repeat(mt, 3, r2);                        /* 2x3x6 */
  int64_t s236[3] = {2, 3, 6};
  double cv[36];
  double base[3][2] = {{0, 3}, {1, 4}, {2, 5}};
  for (int x = 0; x < 2; x++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 6; j++) cv[x * 18 + i * 6 + j] = base[i][j % 2];
  CHECK(same(c, 3, s236, cv));
  int64_t r7[1] = {7};
  lt_tensor *sc = lt_scalar_tensor(5, LT_FLOAT32, lt_cpu());
  lt_tensor *d = lt_repeat(sc, 1, r7);
  int64_t s7 = 7;
  double dv[7] = {5, 5, 5, 5, 5, 5, 5};
  CHECK(same(d, 1, &s7, dv));
  CHECK_ERR(lt_repeat(m, 1, r7) != NULL, "at least");
  int64_t rn[2] = {1, -1};
  CHECK_ERR(lt_repeat(m, 2, rn) != NULL, "negative");
  lt_release(a); lt_release(b); lt_release(m); lt_release(mt); lt_release(c);
  lt_release(sc); lt_release(d);
}

TEST(shape_flip_roll) {
  int64_t s23[2] = {2, 3};
  lt_tensor *a = iota(LT_INT16, 2, s23);                      /* 0 1 2 / 3 4 5 */
  int d1[1] = {1}, d01[2] = {0, 1};
  lt_tensor *f1 = lt_flip(a, 1, d1), *f01 = lt_flip(a, 2, d01);
  double v1[6] = {2, 1, 0, 5, 4, 3}, v01[6] = {5, 4, 3, 2, 1, 0};
  CHECK(same(f1, 2, s23, v1));
  CHECK(same(f01, 2, s23, v01));
  lt_tensor *at = lt_transpose(a, 0, 1);                      /* 3x2: 0 3 / 1 4 / 2 5 */
  int d0[1] = {0};
  lt_tensor *ft = lt_flip(at, 1, d0);
  int64_t s32[2] = {3, 2};
  double vt[6] = {2, 5, 1, 4, 0, 3};
  CHECK(same(ft, 2, s32, vt));
  int dd[2] = {1, 1};
  CHECK_ERR(lt_flip(a, 2, dd) != NULL, "twice");
  int d5[1] = {5};
  CHECK_ERR(lt_flip(a, 1, d5) != NULL, "out of range");
  lt_tensor *r1 = lt_roll(a, 1, 1), *rm = lt_roll(a, -4, 1), *r0 = lt_roll(a, 3, 0);
  double vr1[6] = {2, 0, 1, 5, 3, 4}, vrm[6] = {1, 2, 0, 4, 5, 3}, vr0[6] = {3, 4, 5, 0, 1, 2};
  CHECK(same(r1, 2, s23, vr1));
  CHECK(same(rm, 2, s23, vrm));
  CHECK(same(r0, 2, s23, vr0));
  CHECK_ERR(lt_roll(a, 1, 2) != NULL, "out of range");
  lt_release(a); lt_release(f1); lt_release(f01); lt_release(at); lt_release(ft);
  lt_release(r1); lt_release(rm); lt_release(r0);
}

TEST(create_ranges) {
  lt_tensor *r = lt_range(2, 5, 1, LT_FLOAT32);
  int64_t s4 = 4, s3 = 3;
  double rv[4] = {2, 3, 4, 5};
  CHECK(same(r, 1, &s4, rv));
  lt_tensor *r2 = lt_range(2, 5, 1.2, LT_FLOAT64);
  CHECK(r2 && r2->size[0] == 3);
  int64_t i2 = 2;
  CHECK_NEAR(lt_get(r2, &i2), 4.4, 1e-12);
  lt_tensor *r3 = lt_range(5, 1, -2, LT_INT64);
  double r3v[3] = {5, 3, 1};
  CHECK(same(r3, 1, &s3, r3v));
  lt_tensor *a = lt_arange(0, 3, 1, LT_INT32);
  double av[3] = {0, 1, 2};
  CHECK(same(a, 1, &s3, av));
  lt_tensor *a2 = lt_arange(0, 1, 0.25, LT_FLOAT64);
  double a2v[4] = {0, 0.25, 0.5, 0.75};
  CHECK(same(a2, 1, &s4, a2v));
  CHECK_ERR(lt_range(1, 2, 0, LT_FLOAT32) != NULL, "nonzero");
  CHECK_ERR(lt_range(3, 2, 1, LT_FLOAT32) != NULL, "inconsistent");
  CHECK_ERR(lt_arange(0, INFINITY, 1, LT_FLOAT32) != NULL, "finite");
  lt_tensor *l = lt_linspace(0, 1, 5, LT_FLOAT64);
  int64_t s5 = 5;
  double lv[5] = {0, 0.25, 0.5, 0.75, 1};
  CHECK(same(l, 1, &s5, lv));
  lt_tensor *l1 = lt_linspace(3, 7, 1, LT_FLOAT32);
  CHECK(l1 && l1->size[0] == 1 && lt_get(l1, (int64_t[]){0}) == 3);
  lt_tensor *l3 = lt_linspace(-1, 0.3, 7, LT_FLOAT64);         /* endpoints exact */
  CHECK(lt_get(l3, (int64_t[]){6}) == 0.3 && lt_get(l3, (int64_t[]){0}) == -1);
  CHECK_ERR(lt_linspace(0, 1, -1, LT_FLOAT32) != NULL, "non-negative");
  lt_tensor *g = lt_logspace(0, 3, 4, 10, LT_FLOAT64);
  double gv[4] = {1, 10, 100, 1000};
  for (int64_t i = 0; i < 4; i++) CHECK_NEAR(lt_get(g, &i), gv[i], 1e-9);
  lt_tensor *g2 = lt_logspace(0, 3, 4, 2, LT_INT64);
  double g2v[4] = {1, 2, 4, 8};
  CHECK(same(g2, 1, &s4, g2v));
  lt_release(r); lt_release(r2); lt_release(r3); lt_release(a); lt_release(a2);
  lt_release(l); lt_release(l1); lt_release(l3); lt_release(g); lt_release(g2);
}

TEST(create_eye) {
  lt_tensor *e = lt_eye(2, 3, LT_UINT8);
  int64_t s23[2] = {2, 3};
  double ev[6] = {1, 0, 0, 0, 1, 0};
  CHECK(same(e, 2, s23, ev));
  lt_tensor *h = lt_eye(3, 3, LT_FLOAT16);
  int64_t i11[2] = {1, 1}, i12[2] = {1, 2};
  CHECK(lt_get(h, i11) == 1 && lt_get(h, i12) == 0);
  CHECK_ERR(lt_eye(-1, 2, LT_FLOAT32) != NULL, "non-negative");
  lt_release(e); lt_release(h);
}
