/* the Philox generator and the random fills */
#include "harness.h"
#include "philox.h"
#include <stdlib.h>
#include <string.h>

static lt_tensor *vec(lt_dtype dt, int64_t n) { return lt_empty(1, &n, dt, lt_cpu()); }
static double at(const lt_tensor *t, int64_t i) { return lt_get(t, &i); }

static void moments(const lt_tensor *t, double *mean, double *var) {
  lt_tensor *d = lt_to_dtype(t, LT_FLOAT64);
  lt_tensor *c = lt_contiguous(d);
  const double *v = lt_data(c);
  int64_t n = lt_numel(c);
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < n; i++) s += v[i];
  *mean = s / (double)n;
  for (int64_t i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
  *var = s2 / (double)(n - 1);
  lt_release(c);
  lt_release(d);
}

static bool equal_tensors(const lt_tensor *a, const lt_tensor *b) {
  if (!lt_same_size(a, b)) return false;
  int64_t n = lt_numel(a), idx[LT_MAXDIM] = {0};
  for (int64_t e = 0; e < n; e++) {
    if (lt_get(a, idx) != lt_get(b, idx)) return false;
    for (int d = a->ndim - 1; d >= 0; d--) { if (++idx[d] < a->size[d]) break; idx[d] = 0; }
  }
  return true;
}

TEST(random_philox_known_answers) {
  /* Random123's known-answer vectors for philox4x32_10 */
  lt_u32x4 c0 = {{0, 0, 0, 0}};
  lt_u32x4 r = lt_philox4x32_10(c0, 0, 0);
  CHECK(r.x[0] == 0x6627e8d5u && r.x[1] == 0xe169c58du && r.x[2] == 0xbc57ac4cu && r.x[3] == 0x9b00dbd8u);
  lt_u32x4 c1 = {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}};
  r = lt_philox4x32_10(c1, 0xffffffffu, 0xffffffffu);
  CHECK(r.x[0] == 0x408f276du && r.x[1] == 0x41c83b0eu && r.x[2] == 0xa20bc7c6u && r.x[3] == 0x6d5451fdu);
  lt_u32x4 c2 = {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
  r = lt_philox4x32_10(c2, 0xa4093822u, 0x299f31d0u);
  CHECK(r.x[0] == 0xd16cfe09u && r.x[1] == 0x94fdccebu && r.x[2] == 0x5001e420u && r.x[3] == 0x24126ea1u);
  /* block b of seed s: counter (b, 0, 0), key s */
  lt_u32x4 c3 = {{5, 0, 0, 0}};
  lt_u32x4 a = lt_philox_block(0x0000000700000003ull, 5), b = lt_philox4x32_10(c3, 3, 7);
  CHECK(!memcmp(&a, &b, sizeof a));
}

TEST(random_same_seed_same_stream) {
  lt_generator g;
  lt_generator_seed(&g, 42);
  lt_tensor *a = vec(LT_FLOAT32, 1001), *b = vec(LT_FLOAT32, 1001);
  CHECK(lt_uniform(a, &g, 0, 1) == 0);
  CHECK(g.offset == 251);                                      /* ceil(1001/4) blocks */
  lt_generator_seed(&g, 42);
  CHECK(lt_uniform(b, &g, 0, 1) == 0);
  CHECK(equal_tensors(a, b));
  lt_generator_seed(&g, 43);
  lt_uniform(b, &g, 0, 1);
  CHECK(!equal_tensors(a, b));
  /* element i uses block offset + i/4: two fills of 8 = one fill of 16 */
  lt_tensor *x = vec(LT_FLOAT32, 8), *y = vec(LT_FLOAT32, 8), *z = vec(LT_FLOAT32, 16);
  lt_generator_seed(&g, 7);
  lt_normal(x, &g, 0, 1);
  lt_normal(y, &g, 0, 1);
  lt_generator_seed(&g, 7);
  lt_normal(z, &g, 0, 1);
  for (int64_t i = 0; i < 8; i++) {
    CHECK(at(x, i) == at(z, i));
    CHECK(at(y, i) == at(z, i + 8));
  }
  /* the explicit layout: element 5 of a float uniform fill is lane 1 of block 1 */
  lt_generator_seed(&g, 99);
  lt_uniform(x, &g, 0, 1);
  lt_u32x4 blk = lt_philox_block(99, 1);
  CHECK(at(x, 5) == (float)lt_u32_to_unit_d(blk.x[1]));
  /* doubles: element i uses the 64 bits of lanes 2(i%2), 2(i%2)+1 of block i/2 */
  lt_tensor *dd = vec(LT_FLOAT64, 3);
  lt_generator_seed(&g, 99);
  lt_uniform(dd, &g, 0, 1);
  CHECK(g.offset == 2);
  blk = lt_philox_block(99, 0);
  CHECK(at(dd, 1) == lt_u64_to_unit_d(lt_u32_pair(blk.x[2], blk.x[3])));
  lt_release(a); lt_release(b); lt_release(x); lt_release(y); lt_release(z); lt_release(dd);
}

TEST(random_layout_and_threads_independent) {
  lt_generator g;
  int64_t s[2] = {300, 400};
  lt_tensor *c = lt_empty(2, s, LT_FLOAT64, lt_cpu());
  int64_t st[2] = {400, 300};
  lt_tensor *base = lt_empty(2, st, LT_FLOAT64, lt_cpu());
  lt_tensor *t = lt_transpose(base, 0, 1);                     /* 300x400, non-contiguous */
  lt_generator_seed(&g, 5);
  lt_normal(c, &g, 1, 2);
  lt_generator_seed(&g, 5);
  lt_normal(t, &g, 1, 2);
  CHECK(equal_tensors(c, t));
  int nt = lt_get_num_threads();
  lt_set_num_threads(1);
  lt_tensor *one = lt_empty(2, s, LT_FLOAT32, lt_cpu());
  lt_generator_seed(&g, 11);
  lt_uniform(one, &g, -1, 1);
  lt_set_num_threads(4);
  lt_tensor *four = lt_empty(2, s, LT_FLOAT32, lt_cpu());
  lt_generator_seed(&g, 11);
  lt_uniform(four, &g, -1, 1);
  lt_set_num_threads(nt);
  CHECK(equal_tensors(one, four));
  /* half types go through float32: same numbers, rounded */
  lt_tensor *h = vec(LT_FLOAT16, 16), *f = vec(LT_FLOAT32, 16);
  lt_generator_seed(&g, 3);
  lt_uniform(h, &g, 0, 1);
  lt_generator_seed(&g, 3);
  lt_uniform(f, &g, 0, 1);
  for (int64_t i = 0; i < 16; i++) CHECK_NEAR(at(h, i), at(f, i), 1e-3);
  /* [a, b) holds after rounding to the result type (without the cap, about 1 in 4096
   * halves and 1 in 512 bfloat16s would round up to b) */
  lt_tensor *hh = vec(LT_FLOAT16, 100000), *bh = vec(LT_BFLOAT16, 100000);
  lt_uniform(hh, &g, 0, 1);
  lt_uniform(bh, &g, 1, 2);
  double hmax = -1, bmax = 0;
  for (int64_t i = 0; i < 100000; i++) { hmax = fmax(hmax, at(hh, i)); bmax = fmax(bmax, at(bh, i)); }
  CHECK(hmax < 1 && hmax > 0.99);
  CHECK(bmax < 2 && bmax > 1.98);
  lt_release(hh); lt_release(bh);
  lt_release(c); lt_release(base); lt_release(t); lt_release(one); lt_release(four);
  lt_release(h); lt_release(f);
}

TEST(random_continuous_moments) {
  lt_generator g;
  lt_generator_seed(&g, 1234);
  double m, v;
  lt_tensor *f = vec(LT_FLOAT32, 100001), *d = vec(LT_FLOAT64, 100001);
  lt_uniform(f, &g, 0, 1);
  moments(f, &m, &v);
  CHECK_NEAR(m, 0.5, 0.01);
  CHECK_NEAR(v, 1.0 / 12, 0.003);
  lt_uniform(d, &g, -2, 4);
  moments(d, &m, &v);
  CHECK_NEAR(m, 1, 0.03);
  CHECK_NEAR(v, 3, 0.06);
  double lo = 1e9, hi = -1e9;
  for (int64_t i = 0; i < 100001; i++) { double x = at(d, i); lo = fmin(lo, x); hi = fmax(hi, x); }
  CHECK(lo >= -2 && hi < 4);
  lt_normal(f, &g, 0, 1);
  moments(f, &m, &v);
  CHECK_NEAR(m, 0, 0.02);
  CHECK_NEAR(sqrt(v), 1, 0.02);
  lt_normal(d, &g, 3, 0.5);
  moments(d, &m, &v);
  CHECK_NEAR(m, 3, 0.01);
  CHECK_NEAR(sqrt(v), 0.5, 0.01);
  lt_exponential(d, &g, 2);
  moments(d, &m, &v);
  CHECK_NEAR(m, 0.5, 0.01);
  CHECK_NEAR(v, 0.25, 0.02);
  lt_log_normal(d, &g, 0.5, 0.25);                             /* parameters of the underlying normal */
  lt_tensor *ld = lt_unary(LT_LOG, NULL, d);
  moments(ld, &m, &v);
  CHECK_NEAR(m, 0.5, 0.01);
  CHECK_NEAR(sqrt(v), 0.25, 0.01);
  lt_cauchy(d, &g, 1, 2);                                      /* half the mass within median +- sigma */
  int64_t below = 0, inside = 0;
  for (int64_t i = 0; i < 100001; i++) { double x = at(d, i); below += x < 1; inside += fabs(x - 1) < 2; }
  CHECK_NEAR(below / 100001.0, 0.5, 0.01);
  CHECK_NEAR(inside / 100001.0, 0.5, 0.01);
  lt_release(f); lt_release(d); lt_release(ld);
}

TEST(random_discrete) {
  lt_generator g;
  lt_generator_seed(&g, 77);
  double m, v;
  lt_tensor *b = vec(LT_UINT8, 100000), *bb = vec(LT_BOOL, 100000), *l = vec(LT_INT64, 100000);
  lt_bernoulli(b, &g, 0.3);
  moments(b, &m, &v);
  CHECK_NEAR(m, 0.3, 0.01);
  lt_bernoulli(bb, &g, 1);
  moments(bb, &m, &v);
  CHECK(m == 1);
  lt_bernoulli(bb, &g, 0);
  moments(bb, &m, &v);
  CHECK(m == 0);
  /* Torch7's geometric: p(i) = (1-p) p^(i-1), mean 1/(1-p) */
  lt_geometric(l, &g, 0.25);
  moments(l, &m, &v);
  CHECK_NEAR(m, 1 / 0.75, 0.02);
  int64_t mn = INT64_MAX;
  for (int64_t i = 0; i < 1000; i++) { int64_t x = (int64_t)at(l, i); if (x < mn) mn = x; }
  CHECK(mn == 1);
  /* bernoulli with a tensor of probabilities, broadcast along rows */
  int64_t s2[2] = {5000, 3}, s3 = 3;
  lt_tensor *p = vec(LT_FLOAT32, s3);
  int64_t i0 = 0, i1 = 1, i2 = 2;
  lt_put(p, &i0, 0); lt_put(p, &i1, 1); lt_put(p, &i2, 0.5);
  lt_tensor *t = lt_empty(2, s2, LT_FLOAT64, lt_cpu());
  CHECK(lt_bernoulli_tensor(t, &g, p) == 0);
  double col[3] = {0, 0, 0};
  for (int64_t r = 0; r < 5000; r++)
    for (int64_t c = 0; c < 3; c++) { int64_t ix[2] = {r, c}; col[c] += lt_get(t, ix); }
  CHECK(col[0] == 0 && col[1] == 5000);
  CHECK_NEAR(col[2] / 5000, 0.5, 0.03);
  lt_put(p, &i2, 1.5);
  CHECK_ERR(lt_bernoulli_tensor(t, &g, p) == 0, "[0, 1]");
  lt_tensor *p4 = vec(LT_FLOAT32, 4);
  lt_fill(p4, 0.5);
  CHECK_ERR(lt_bernoulli_tensor(t, &g, p4) == 0, "do not fit");
  lt_release(b); lt_release(bb); lt_release(l); lt_release(p); lt_release(t); lt_release(p4);
}

TEST(random_integers) {
  lt_generator g;
  lt_generator_seed(&g, 2024);
  lt_tensor *c = vec(LT_INT8, 60000);
  CHECK(lt_random_int(c, &g, 1, 6) == 0);
  int64_t cnt[7] = {0};
  bool ok = true;
  for (int64_t i = 0; i < 60000; i++) {
    int64_t x = (int64_t)at(c, i);
    if (x < 1 || x > 6) ok = false; else cnt[x]++;
  }
  CHECK(ok);
  for (int k = 1; k <= 6; k++) CHECK_NEAR(cnt[k] / 60000.0, 1 / 6.0, 0.01);
  /* a wide range into int64, and the full range */
  lt_tensor *l = vec(LT_INT64, 10000);
  CHECK(lt_random_int(l, &g, -3000000000ll, 3000000000ll) == 0);
  double m, v;
  moments(l, &m, &v);
  CHECK(fabs(m) < 0.05 * 3e9);
  CHECK(lt_random_int(l, &g, INT64_MIN, INT64_MAX) == 0);
  /* into float: exact integers up to 2^24 */
  lt_tensor *f = vec(LT_FLOAT32, 1000);
  CHECK(lt_random_int(f, &g, 0, 1 << 24) == 0);
  ok = true;
  for (int64_t i = 0; i < 1000; i++) { double x = at(f, i); if (x != floor(x) || x < 0 || x > (1 << 24)) ok = false; }
  CHECK(ok);
  CHECK_ERR(lt_random_int(c, &g, 0, 300) == 0, "does not fit");
  CHECK_ERR(lt_random_int(f, &g, 0, (1 << 24) + 1) == 0, "does not fit");
  CHECK_ERR(lt_random_int(c, &g, 5, 4) == 0, "empty range");
  lt_release(c); lt_release(l); lt_release(f);
}

TEST(random_bad_arguments) {
  lt_tensor *i = vec(LT_INT32, 4), *f = vec(LT_FLOAT32, 4);
  CHECK_ERR(lt_uniform(i, NULL, 0, 1) == 0, "floating point");
  CHECK_ERR(lt_normal(i, NULL, 0, 1) == 0, "normal");
  CHECK_ERR(lt_uniform(f, NULL, 2, 1) == 0, "a <= b");
  CHECK_ERR(lt_normal(f, NULL, 0, -1) == 0, "standard deviation");
  CHECK_ERR(lt_exponential(f, NULL, 0) == 0, "lambda");
  CHECK_ERR(lt_geometric(f, NULL, 1) == 0, "0 < p < 1");
  CHECK_ERR(lt_bernoulli(f, NULL, -0.1) == 0, "0 <= p <= 1");
  CHECK_ERR(lt_log_normal(f, NULL, 0, 0) == 0, "logNormal");
  lt_release(i); lt_release(f);
}

TEST(random_randperm) {
  lt_generator g;
  lt_generator_seed(&g, 8);
  lt_tensor *p = lt_randperm(&g, 1000, LT_INT64);
  CHECK(p && p->size[0] == 1000);
  bool seen[1000] = {false}, ok = true;
  for (int64_t i = 0; i < 1000; i++) {
    int64_t x = (int64_t)at(p, i);
    if (x < 0 || x >= 1000 || seen[x]) ok = false; else seen[x] = true;
  }
  CHECK(ok);
  int64_t fixed = 0;
  for (int64_t i = 0; i < 1000; i++) fixed += at(p, i) == i;
  CHECK(fixed < 10);                                           /* not the identity */
  lt_generator_seed(&g, 8);
  lt_tensor *q = lt_randperm(&g, 1000, LT_FLOAT32);
  for (int64_t i = 0; i < 1000; i++) ok = ok && at(q, i) == at(p, i);
  CHECK(ok && q->dtype == LT_FLOAT32);
  lt_tensor *e = lt_randperm(&g, 0, LT_INT64), *one = lt_randperm(&g, 1, LT_INT64);
  CHECK(e && e->size[0] == 0 && one && at(one, 0) == 0);
  CHECK_ERR(lt_randperm(&g, -1, LT_INT64) != NULL, "non-negative");
  CHECK_ERR(lt_randperm(&g, 300, LT_UINT8) != NULL, "too large");
  lt_release(p); lt_release(q); lt_release(e); lt_release(one);
}

TEST(random_multinomial) {
  lt_generator g;
  lt_generator_seed(&g, 31);
  lt_tensor *w = vec(LT_FLOAT64, 4);
  double wv[4] = {1, 1, 0.5, 0};
  for (int64_t i = 0; i < 4; i++) lt_put(w, &i, wv[i]);
  lt_tensor *s = lt_multinomial(&g, w, 50000, true);
  CHECK(s && s->dtype == LT_INT64 && s->ndim == 1 && s->size[0] == 50000);
  int64_t cnt[4] = {0};
  for (int64_t i = 0; i < 50000; i++) cnt[(int64_t)at(s, i)]++;
  CHECK_NEAR(cnt[0] / 50000.0, 0.4, 0.01);
  CHECK_NEAR(cnt[1] / 50000.0, 0.4, 0.01);
  CHECK_NEAR(cnt[2] / 50000.0, 0.2, 0.01);
  CHECK(cnt[3] == 0);
  /* without replacement: distinct, never the zero weight; first draws follow the weights */
  lt_tensor *u = lt_multinomial(&g, w, 3, false);
  CHECK(u && u->size[0] == 3);
  bool seen[4] = {false}, ok = true;
  for (int64_t i = 0; i < 3; i++) { int64_t x = (int64_t)at(u, i); if (seen[x] || x == 3) ok = false; seen[x] = true; }
  CHECK(ok);
  int64_t first[4] = {0};
  for (int r = 0; r < 4000; r++) {
    lt_tensor *o = lt_multinomial(&g, w, 2, false);
    first[(int64_t)at(o, 0)]++;
    lt_release(o);
  }
  CHECK_NEAR(first[2] / 4000.0, 0.2, 0.025);
  CHECK_ERR(lt_multinomial(&g, w, 4, false) != NULL, "without replacement");
  /* 2-D: one row per distribution */
  int64_t s23[2] = {2, 3};
  lt_tensor *w2 = lt_zeros(2, s23, LT_FLOAT32, lt_cpu());
  int64_t a[2] = {0, 2}, b[2] = {1, 0};
  lt_put(w2, a, 1); lt_put(w2, b, 5);
  lt_tensor *s2 = lt_multinomial(&g, w2, 6, true);
  CHECK(s2 && s2->ndim == 2 && s2->size[0] == 2 && s2->size[1] == 6);
  ok = true;
  for (int64_t j = 0; j < 6; j++) {
    int64_t r0[2] = {0, j}, r1[2] = {1, j};
    ok = ok && lt_get(s2, r0) == 2 && lt_get(s2, r1) == 0;
  }
  CHECK(ok);
  lt_put(w2, a, -1);
  CHECK_ERR(lt_multinomial(&g, w2, 1, true) != NULL, "non-negative");
  lt_tensor *z = lt_zeros(1, (int64_t[]){3}, LT_FLOAT32, lt_cpu());
  CHECK_ERR(lt_multinomial(&g, z, 1, true) != NULL, "sum to zero");
  lt_release(w); lt_release(s); lt_release(u); lt_release(w2); lt_release(s2); lt_release(z);
}

TEST(random_scalars) {
  lt_generator g;
  lt_generator_seed(&g, 5);
  double s = 0, s2 = 0;
  for (int i = 0; i < 20000; i++) { double u = lt_random_uniform01(&g); CHECK(u >= 0 && u < 1); s += u; }
  CHECK_NEAR(s / 20000, 0.5, 0.01);
  s = 0;
  for (int i = 0; i < 20000; i++) { double z = lt_random_normal(&g); s += z; s2 += z * z; }
  CHECK_NEAR(s / 20000, 0, 0.03);
  CHECK_NEAR(s2 / 20000, 1, 0.04);
  lt_generator_seed(&g, 5);
  uint64_t a = lt_random_u64(&g);
  lt_generator_seed(&g, 5);
  CHECK(a == lt_random_u64(&g) && g.offset == 1);
  lt_generator *d = lt_default_generator();
  CHECK(d && d == lt_default_generator());
  uint64_t seed = lt_generator_random_seed(d);
  CHECK(d->seed == seed && d->offset == 0);
}

/* The float32 uniform, bernoulli and normal fills run Philox on batches of blocks (8 per
 * AVX2 vector) and transform whole batches: every element still follows the per-block
 * rule of philox.h (uniform and bernoulli exactly; normal within the vector functions'
 * few ulp), from a generator offset that is not a batch boundary, across batches, with a
 * partial last block, on one thread and on two */
TEST(random_batched_fills_follow_the_block_rule) {
  lt_generator g;
  const int64_t n = 4 * 64 * 3 + 13;
  int nt = lt_get_num_threads();
  for (int threads = 1; threads <= 2; threads++) {
    lt_set_num_threads(threads);
    for (int kind = 0; kind < 3; kind++) {
      lt_tensor *pre = vec(LT_FLOAT32, 5), *t = vec(LT_FLOAT32, n);
      lt_generator_seed(&g, 1234 + (uint64_t)kind);
      lt_uniform(pre, &g, 0, 1);   /* the fill below starts at block 2 */
      lt_rng_spec sp = {.wide = false, .seed = g.seed, .base = g.offset};
      if (kind == 0) {
        CHECK(lt_uniform(t, &g, -2, 3) == 0);
        sp.kind = LT_RK_UNIFORM; sp.a = -2; sp.b = 3; sp.cap = nextafterf(3.0f, 0.0f);
      } else if (kind == 1) {
        CHECK(lt_bernoulli(t, &g, 0.3) == 0);
        sp.kind = LT_RK_BERNOULLI; sp.a = 0.3;
      } else {
        CHECK(lt_normal(t, &g, 1, 2) == 0);
        sp.kind = LT_RK_NORMAL; sp.a = 1; sp.b = 2;
      }
      CHECK(g.offset == sp.base + (uint64_t)(n + 3) / 4);
      int bad = 0;
      for (int64_t i = 0; i < n; i++) {
        double v[4];
        lt_rng_real_block(&sp, (uint64_t)(i / 4), v);
        float want = (float)v[i % 4], got = (float)at(t, i);
        if (kind < 2 ? got != want : fabsf(got - want) > 1e-5f * (1 + fabsf(want))) bad++;
      }
      CHECK(bad == 0);
      lt_release(pre);
      lt_release(t);
    }
  }
  /* DoubleTensors (wide: two elements per block) likewise */
  for (int kind = 0; kind < 2; kind++) {
    lt_tensor *pre = vec(LT_FLOAT64, 3), *t = vec(LT_FLOAT64, n);
    lt_generator_seed(&g, 99 + (uint64_t)kind);
    lt_uniform(pre, &g, 0, 1);
    lt_rng_spec sp = {.wide = true, .seed = g.seed, .base = g.offset};
    if (kind == 0) {
      CHECK(lt_uniform(t, &g, -2, 3) == 0);
      sp.kind = LT_RK_UNIFORM; sp.a = -2; sp.b = 3; sp.cap = nextafter(3.0, 0.0);
    } else {
      CHECK(lt_normal(t, &g, 1, 2) == 0);
      sp.kind = LT_RK_NORMAL; sp.a = 1; sp.b = 2;
    }
    CHECK(g.offset == sp.base + (uint64_t)(n + 1) / 2);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
      double v[4];
      lt_rng_real_block(&sp, (uint64_t)(i / 2), v);
      double want = v[i % 2], got = at(t, i);
      if (kind == 0 ? got != want : fabs(got - want) > 1e-13 * (1 + fabs(want))) bad++;
    }
    CHECK(bad == 0);
    lt_release(pre);
    lt_release(t);
  }
  /* a fill large enough to be split between threads: the same normals either way (each
   * thread's part ends at a block that is not a batch boundary) */
  for (int wide = 0; wide < 2; wide++) {
    lt_dtype dt = wide ? LT_FLOAT64 : LT_FLOAT32;
    lt_tensor *one = vec(dt, 120001), *two = vec(dt, 120001);
    lt_set_num_threads(1);
    lt_generator_seed(&g, 77);
    lt_normal(one, &g, 0, 1);
    lt_set_num_threads(2);
    lt_generator_seed(&g, 77);
    lt_normal(two, &g, 0, 1);
    CHECK(equal_tensors(one, two));
    lt_release(one);
    lt_release(two);
  }
  lt_set_num_threads(nt);
}
