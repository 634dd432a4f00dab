/* test_gpu_signal.c: the device-generic paths of the signal functions and alias sampling
 * (tensor/gpu_signal.c), called on CPU tensors: what a GPU runs for conv2/xcorr2 (one
 * conv2d), the round trips (conv3, integer types, bhistc) and the alias draws, each
 * compared with the CPU's own code. */
#include "harness.h"
#include "gpu_signal.h"
#include <string.h>

static lt_generator gen;

static lt_tensor *rnd(int ndim, const int64_t *size, lt_dtype dt) {
  lt_tensor *t = lt_empty(ndim, size, dt, lt_cpu());
  if (t && lt_numel(t) > 0) lt_uniform(t, &gen, -1, 1);
  return t;
}

/* max |a - b|, or -1 when the sizes differ (or either is missing) */
static double maxdiff(const lt_tensor *a, const lt_tensor *b) {
  if (!a || !b || a->ndim != b->ndim) return -1;
  for (int d = 0; d < a->ndim; d++)
    if (a->size[d] != b->size[d]) return -1;
  if (lt_numel(a) == 0) return 0;
  lt_tensor *ad = lt_to_dtype(a, LT_FLOAT64), *bd = lt_to_dtype(b, LT_FLOAT64);
  lt_tensor *d = lt_binary(LT_SUB, NULL, ad, bd, 1);
  double m = -1;
  if (!d || lt_reduce_all(LT_RNORM, d, INFINITY, &m) < 0) m = -1;
  lt_release(ad);
  lt_release(bd);
  lt_release(d);
  return m;
}

typedef struct { int xd, kd; int64_t xs[3], ks[4]; } conv_case;
static const conv_case cases[] = {
  {2, 2, {6, 5}, {2, 3}},             /* one image, one kernel */
  {2, 2, {3, 2}, {4, 5}},             /* kernel larger than the image ('F' only) */
  {3, 3, {3, 5, 6}, {3, 3, 2}},       /* plane by plane */
  {3, 4, {2, 6, 5}, {4, 2, 3, 3}},    /* kernel bank */
  {3, 4, {3, 4, 4}, {1, 3, 1, 1}},    /* 1x1 kernels */
  {3, 3, {0, 4, 4}, {0, 2, 2}},       /* no planes */
  {3, 4, {2, 5, 5}, {0, 2, 2, 2}},    /* no output planes */
};

/* the mapping against signal.c's kernel: every form, mode and kind, float64 and float32 */
TEST(gpu_signal_conv2_mapping) {
  lt_generator_seed(&gen, 7);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int dt = 0; dt < 2; dt++)
      for (int full = 0; full < 2; full++)
        for (int flip = 0; flip < 2; flip++) {
          const conv_case *cc = &cases[c];
          if (!full && cc->xs[cc->xd - 1] < cc->ks[cc->kd - 1]) continue;
          lt_dtype t = dt ? LT_FLOAT32 : LT_FLOAT64;
          lt_tensor *x = TMP(rnd(cc->xd, cc->xs, t)), *k = TMP(rnd(cc->kd, cc->ks, t));
          lt_tensor *want = TMP(lt_convolve(NULL, x, k, 2, full, flip));
          lt_tensor *got = TMP(lt_conv2_via_conv2d(x, k, full, flip));
          double err = maxdiff(got, want);
          if (!(err >= 0 && err <= (dt ? 1e-5 : 1e-12)))
            fprintf(stderr, "  case %zu %s full=%d flip=%d: err %g\n", c, dt ? "float" : "double", full, flip, err);
          CHECK(err >= 0 && err <= (dt ? 1e-5 : 1e-12));
          CHECK(got && got->dtype == t);
        }
  /* a transposed (non-contiguous) image and kernel */
  int64_t xs[2] = {5, 7}, ks[2] = {3, 2};
  lt_tensor *x = TMP(rnd(2, xs, LT_FLOAT64)), *k = TMP(rnd(2, ks, LT_FLOAT64));
  lt_tensor *xt = TMP(lt_transpose(x, 0, 1)), *kt = TMP(lt_transpose(k, 0, 1));
  CHECK(maxdiff(TMP(lt_conv2_via_conv2d(xt, kt, true, true)), TMP(lt_convolve(NULL, xt, kt, 2, true, true))) <= 1e-12);
}

/* the gradients through conv2d (its own autograd) equal those of signal.c's node */
TEST(gpu_signal_conv2_mapping_gradients) {
  lt_generator_seed(&gen, 8);
  for (size_t c = 0; c < 5; c++)
    for (int full = 0; full < 2; full++)
      for (int flip = 0; flip < 2; flip++) {
        const conv_case *cc = &cases[c];
        if (!full && cc->xs[cc->xd - 1] < cc->ks[cc->kd - 1]) continue;
        lt_tensor *x = TMP(rnd(cc->xd, cc->xs, LT_FLOAT64)), *k = TMP(rnd(cc->kd, cc->ks, LT_FLOAT64));
        lt_set_requires_grad(x, true);
        lt_set_requires_grad(k, true);
        lt_tensor *ins[2] = {x, k}, *ga[2] = {NULL, NULL}, *gb[2] = {NULL, NULL};
        lt_tensor *ya = TMP(lt_convolve(NULL, x, k, 2, full, flip));
        lt_tensor *yb = TMP(lt_conv2_via_conv2d(x, k, full, flip));
        CHECK(ya && yb && yb->requires_grad);
        if (!ya || !yb) continue;
        lt_tensor *go = TMP(rnd(ya->ndim, ya->size, LT_FLOAT64));
        CHECK(lt_grad(1, &ya, &go, 2, ins, ga, false, false) == 0);
        CHECK(lt_grad(1, &yb, &go, 2, ins, gb, false, false) == 0);
        for (int i = 0; i < 2; i++) {
          double err = maxdiff(ga[i], gb[i]);
          CHECK(err >= 0 && err <= 1e-12);
          lt_release(ga[i]);
          lt_release(gb[i]);
        }
      }
}

/* the dispatch (on CPU tensors: the mapping for 2-D floats, the round trip for the rest) */
TEST(gpu_signal_conv_dispatch) {
  lt_generator_seed(&gen, 9);
  int64_t xs[3] = {2, 5, 4}, ks[4] = {3, 2, 2, 3}, x3[4] = {2, 4, 5, 3}, k3[5] = {2, 2, 2, 3, 2};
  lt_tensor *x = TMP(rnd(3, xs, LT_FLOAT64)), *k = TMP(rnd(4, ks, LT_FLOAT64));
  CHECK(maxdiff(TMP(lt_signal_conv_device(x, k, 2, true, true, LT_FLOAT64)), TMP(lt_convolve(NULL, x, k, 2, true, true))) <= 1e-12);
  /* integers: exact, wrapping as the CPU's kernel */
  lt_tensor *xi = TMP(lt_empty(3, xs, LT_INT32, lt_cpu())), *ki = TMP(lt_empty(4, ks, LT_INT32, lt_cpu()));
  lt_random_int(xi, &gen, -1000000, 1000000);
  lt_random_int(ki, &gen, -1000000, 1000000);
  lt_tensor *ri = TMP(lt_signal_conv_device(xi, ki, 2, false, false, LT_INT32));
  lt_tensor *wi = TMP(lt_convolve(NULL, xi, ki, 2, false, false));
  bool eq = false;
  CHECK(ri && wi && ri->dtype == LT_INT32 && lt_equal(ri, wi, &eq) == 0 && eq);
  /* 3-D */
  lt_tensor *a = TMP(rnd(4, x3, LT_FLOAT64)), *b = TMP(rnd(5, k3, LT_FLOAT64));
  CHECK(maxdiff(TMP(lt_signal_conv_device(a, b, 3, false, true, LT_FLOAT64)), TMP(lt_convolve(NULL, a, b, 3, false, true))) == 0);
}

TEST(gpu_signal_bhistc_round_trip) {
  lt_generator_seed(&gen, 10);
  int64_t s[2] = {4, 9};
  lt_tensor *x = TMP(rnd(2, s, LT_FLOAT32));
  lt_tensor *r = TMP(lt_bhistc_device(NULL, x, 5, 0, 0)), *w = TMP(lt_bhistc(NULL, x, 5, 0, 0));
  CHECK(maxdiff(r, w) == 0 && r && r->dtype == LT_FLOAT32);
  lt_tensor *res = TMP(lt_empty(1, s, LT_FLOAT32, lt_cpu()));
  lt_tensor *r2 = TMP(lt_bhistc_device(res, x, 3, -0.5, 0.5));
  CHECK(r2 == res && maxdiff(res, TMP(lt_bhistc(NULL, x, 3, -0.5, 0.5))) == 0);
}

/* the draws from engine ops are the CPU loop's, number for number, for several K (2^63
 * mod K zero or not), J and q types, output shapes and generator positions */
TEST(gpu_signal_alias_draws_match) {
  int64_t Ks[] = {1, 3, 4, 7, 1000};
  for (size_t c = 0; c < sizeof Ks / sizeof Ks[0]; c++) {
    int64_t K = Ks[c];
    lt_generator_seed(&gen, 11 + c);
    lt_tensor *p = TMP(lt_empty(1, &K, LT_FLOAT64, lt_cpu()));
    lt_uniform(p, &gen, 0, 1);
    lt_tensor *J, *q;
    CHECK(lt_multinomial_alias_setup(p, &J, &q) == 0);
    TMP(J);
    TMP(q);
    lt_tensor *J32 = TMP(lt_to_dtype(J, LT_INT32)), *qf = TMP(lt_to_dtype(q, LT_FLOAT32));
    for (int variant = 0; variant < 2; variant++) {
      const lt_tensor *Jv = variant ? J32 : J, *qv = variant ? qf : q;
      int64_t os[2] = {37, 29};
      lt_tensor *o1 = TMP(lt_empty(2, os, variant ? LT_INT32 : LT_INT64, lt_cpu()));
      lt_tensor *o2 = TMP(lt_empty(2, os, variant ? LT_INT32 : LT_INT64, lt_cpu()));
      lt_generator g1, g2;
      lt_generator_seed(&g1, 99 + c);
      g1.offset = 5 + variant;   /* not at the start of the stream */
      g2 = g1;
      CHECK(lt_multinomial_alias_draw_base(o1, &g1, Jv, qv, 0) == 0);
      CHECK(lt_alias_draw_generic(o2, &g2, Jv, qv, 0) == 0);
      bool eq = false;
      CHECK(lt_equal(o1, o2, &eq) == 0 && eq);
      CHECK(g1.offset == g2.offset && g2.offset == (uint64_t)(5 + variant + 37 * 29));
      /* in chunks of 100 draws (the last one short): the same numbers */
      lt_generator g3 = g1;
      g3.offset = 5 + variant;
      lt_tensor *o3 = TMP(lt_empty(2, os, variant ? LT_INT32 : LT_INT64, lt_cpu()));
      CHECK(lt_alias_draw_chunked(o3, &g3, Jv, qv, 0, 100) == 0);
      CHECK(lt_equal(o1, o3, &eq) == 0 && eq);
      CHECK(g3.offset == g1.offset);
    }
  }
  /* 1-based J (the Lua binding's) and a bad alias: both fail, the generator unmoved */
  int64_t K = 3, n = 200;
  lt_tensor *J = TMP(lt_empty(1, &K, LT_INT64, lt_cpu())), *q = TMP(lt_empty(1, &K, LT_FLOAT64, lt_cpu()));
  int64_t *jv = lt_data(J);
  double *qv = lt_data(q);
  jv[0] = 3; jv[1] = 2; jv[2] = 3;
  qv[0] = 0.5; qv[1] = 1; qv[2] = 1;
  lt_tensor *o1 = TMP(lt_empty(1, &n, LT_INT64, lt_cpu())), *o2 = TMP(lt_empty(1, &n, LT_INT64, lt_cpu()));
  lt_generator g1, g2;
  lt_generator_seed(&g1, 5);
  g2 = g1;
  CHECK(lt_multinomial_alias_draw_base(o1, &g1, J, q, 1) == 0);
  CHECK(lt_alias_draw_generic(o2, &g2, J, q, 1) == 0);
  bool eq = false;
  CHECK(lt_equal(o1, o2, &eq) == 0 && eq);
  jv[1] = 4;   /* outside 1..3 */
  lt_generator_seed(&g2, 5);
  CHECK_ERR(lt_alias_draw_generic(o2, &g2, J, q, 1) == 0, "not a setup of 3 categories");
  CHECK(g2.offset == 0);
  jv[1] = 2;
  qv[2] = NAN;
  CHECK_ERR(lt_alias_draw_generic(o2, &g2, J, q, 1) == 0, "q in [0, 1]");
}
