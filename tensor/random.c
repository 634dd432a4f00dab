/* random.c: the generator (Philox 4x32-10, see philox.h for the stream layout) and the
 * random fills. Every fill is a function of (seed, offset, element index) only, so it
 * runs in parallel and gives the same numbers for any thread count or tensor layout
 * (element i is the i-th in row-major order). */
#include "internal.h"
#include "autograd.h"
#include "philox.h"
#include "pointwise.h"   /* the float log/sqrt/cos/sin loops of the normal fills */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

/* ---- the generator ---- */
static lt_generator default_gen;
static bool default_ready;

lt_generator *lt_default_generator(void) {
  if (!default_ready) {
    default_ready = true;
    lt_generator_random_seed(&default_gen);    /* Torch7 seeds from /dev/urandom at start */
  }
  return &default_gen;
}

void lt_generator_seed(lt_generator *g, uint64_t seed) {
  if (!g) g = lt_default_generator();
  g->seed = seed;
  g->offset = 0;
  g->next_normal = 0;
  g->has_next_normal = false;
}

uint64_t lt_generator_random_seed(lt_generator *g) {
  uint64_t s = 0;
  FILE *f = fopen("/dev/urandom", "rb");
  if (f) {
    if (fread(&s, sizeof s, 1, f) != 1) s = 0;
    fclose(f);
  }
  if (!s) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&s;
  }
  s &= (1ull << 53) - 1;   /* exact as a Lua float too */
  lt_generator_seed(g, s);
  return s;
}

static inline lt_generator *gen_or_default(lt_generator *g) { return g ? g : lt_default_generator(); }

static inline lt_u32x4 next_block(lt_generator *g) { return lt_philox_block(g->seed, g->offset++); }

uint64_t lt_random_u64(lt_generator *g) {
  g = gen_or_default(g);
  lt_u32x4 r = next_block(g);
  return lt_u32_pair(r.x[0], r.x[1]);
}

double lt_random_uniform01(lt_generator *g) {
  g = gen_or_default(g);
  lt_u32x4 r = next_block(g);
  return lt_u64_to_unit_d(lt_u32_pair(r.x[0], r.x[1]));
}

double lt_random_normal(lt_generator *g) {
  g = gen_or_default(g);
  if (g->has_next_normal) {
    g->has_next_normal = false;
    return g->next_normal;
  }
  lt_u32x4 r = next_block(g);
  double z0, z1;
  lt_box_muller(lt_u64_to_unit_open_d(lt_u32_pair(r.x[0], r.x[1])),
                lt_u64_to_unit_d(lt_u32_pair(r.x[2], r.x[3])), &z0, &z1);
  g->next_normal = z1;
  g->has_next_normal = true;
  return z0;
}

/* ---- fills (the element rule, lt_rng_real_block and lt_rng_int_lane, is in philox.h:
 * the CUDA kernels share it) ---- */
typedef lt_rng_spec gen_spec;

#define SATCAST(T, lo, hi, v) \
  ((v) != (v) ? (T)0 : (v) <= (double)(lo) ? (T)(lo) : (v) >= (double)(hi) ? (T)(hi) : (T)(v))
#define CONV_FLOAT32(v) ((float)(v))
#define CONV_FLOAT64(v) (v)
#define CONV_INT64(v) SATCAST(int64_t, INT64_MIN, INT64_MAX, v)
#define CONV_INT32(v) SATCAST(int32_t, INT32_MIN, INT32_MAX, v)
#define CONV_INT16(v) SATCAST(int16_t, INT16_MIN, INT16_MAX, v)
#define CONV_INT8(v) SATCAST(int8_t, INT8_MIN, INT8_MAX, v)
#define CONV_UINT8(v) SATCAST(uint8_t, 0, UINT8_MAX, v)
#define CONV_BOOL(v) ((uint8_t)((v) != 0))

/* Philox blocks first .. first+nb-1 (nb <= PHILOX_BATCH) of seed's stream, in element
 * order (lane k of block j at out[4j + k]): lt_philox4x32_10's rounds over arrays of
 * blocks, 8 per AVX2 vector where the processor has it, else in loops the compiler
 * vectorizes (the same integer arithmetic, the same numbers either way) */
#define PHILOX_BATCH 64
typedef struct { uint32_t c0[PHILOX_BATCH], c1[PHILOX_BATCH], c2[PHILOX_BATCH], c3[PHILOX_BATCH]; } philox_lanes;

/* the counters of blocks first .. first+nb-1, rounded up to a whole 8 */
LT_AVX2_CLONES static void philox_counters(philox_lanes *l, uint64_t first, int nb) {
  for (int j = 0; j < (nb + 7) / 8 * 8; j++) {
    uint64_t b = first + (uint64_t)j;
    l->c0[j] = (uint32_t)b;
    l->c1[j] = (uint32_t)(b >> 32);
    l->c2[j] = 0;
    l->c3[j] = 0;
  }
}

/* lanes into element order */
LT_AVX2_CLONES static void philox_interleave(const philox_lanes *l, int nb, uint32_t *out) {
  for (int j = 0; j < nb; j++) {
    out[4 * j] = l->c0[j];
    out[4 * j + 1] = l->c1[j];
    out[4 * j + 2] = l->c2[j];
    out[4 * j + 3] = l->c3[j];
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* The rounds on 8 blocks per 256-bit vector. _mm256_mul_epu32 multiplies the even 32-bit
 * lanes into 64-bit products; the odd lanes are shifted down for a second one, and the
 * high and low halves of both are blended back into 8 lanes. */
__attribute__((target("avx2"))) static void philox_rounds_avx2(philox_lanes *l, int nb, uint64_t seed) {
  const __m256i m0 = _mm256_set1_epi32((int)LT_PHILOX_M0), m1 = _mm256_set1_epi32((int)LT_PHILOX_M1);
  const __m256i w0 = _mm256_set1_epi32((int)LT_PHILOX_W0), w1 = _mm256_set1_epi32((int)LT_PHILOX_W1);
  for (int v = 0; v < nb; v += 8) {
    __m256i x0 = _mm256_loadu_si256((const __m256i *)(l->c0 + v));
    __m256i x1 = _mm256_loadu_si256((const __m256i *)(l->c1 + v));
    __m256i x2 = _mm256_loadu_si256((const __m256i *)(l->c2 + v));
    __m256i x3 = _mm256_loadu_si256((const __m256i *)(l->c3 + v));
    __m256i k0 = _mm256_set1_epi32((int)(uint32_t)seed), k1 = _mm256_set1_epi32((int)(uint32_t)(seed >> 32));
    for (int round = 0; round < 10; round++) {
      __m256i pe0 = _mm256_mul_epu32(x0, m0), po0 = _mm256_mul_epu32(_mm256_srli_epi64(x0, 32), m0);
      __m256i pe2 = _mm256_mul_epu32(x2, m1), po2 = _mm256_mul_epu32(_mm256_srli_epi64(x2, 32), m1);
      __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(pe0, 32), po0, 0xAA);
      __m256i lo0 = _mm256_blend_epi32(pe0, _mm256_slli_epi64(po0, 32), 0xAA);
      __m256i hi2 = _mm256_blend_epi32(_mm256_srli_epi64(pe2, 32), po2, 0xAA);
      __m256i lo2 = _mm256_blend_epi32(pe2, _mm256_slli_epi64(po2, 32), 0xAA);
      __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi2, x1), k0);
      __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), k1);
      x1 = lo2;
      x3 = lo0;
      x0 = n0;
      x2 = n2;
      k0 = _mm256_add_epi32(k0, w0);
      k1 = _mm256_add_epi32(k1, w1);
    }
    _mm256_storeu_si256((__m256i *)(l->c0 + v), x0);
    _mm256_storeu_si256((__m256i *)(l->c1 + v), x1);
    _mm256_storeu_si256((__m256i *)(l->c2 + v), x2);
    _mm256_storeu_si256((__m256i *)(l->c3 + v), x3);
  }
}
static bool have_avx2(void) {
  static int has = -1;
  if (has < 0) {
    __builtin_cpu_init();
    has = __builtin_cpu_supports("avx2") ? 1 : 0;
  }
  return has == 1;
}
#endif

static void philox_batch(uint64_t seed, uint64_t first, int nb, uint32_t *out) {
  philox_lanes l;
  philox_counters(&l, first, nb);
#if defined(__x86_64__) && defined(__GNUC__)
  if (have_avx2()) {
    philox_rounds_avx2(&l, nb, seed);
    philox_interleave(&l, nb, out);
    return;
  }
#endif
  uint32_t *c0 = l.c0, *c1 = l.c1, *c2 = l.c2, *c3 = l.c3;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; round++) {
    for (int j = 0; j < nb; j++) {
      uint64_t p0 = (uint64_t)LT_PHILOX_M0 * c0[j], p1 = (uint64_t)LT_PHILOX_M1 * c2[j];
      uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[j] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3[j] ^ k1;
      c1[j] = (uint32_t)p1;
      c3[j] = (uint32_t)p0;
      c0[j] = n0;
      c2[j] = n2;
    }
    k0 += LT_PHILOX_W0;   /* (the bump after the last round is unused) */
    k1 += LT_PHILOX_W1;
  }
  philox_interleave(&l, nb, out);
}

/* run BODY for every block blk of [b0, b1) with r its Philox output, PHILOX_BATCH at once */
#define FOR_BLOCKS(...)                                                             \
  do {                                                                              \
    uint32_t el_[4 * PHILOX_BATCH];                                                 \
    for (int64_t bb_ = b0; bb_ < b1; bb_ += PHILOX_BATCH) {                         \
      int nb_ = (int)LT_MIN((int64_t)PHILOX_BATCH, b1 - bb_);                       \
      philox_batch(s->seed, s->base + (uint64_t)bb_, nb_, el_);                     \
      for (int j_ = 0; j_ < nb_; j_++) {                                            \
        int64_t blk = bb_ + j_;                                                     \
        lt_u32x4 r = {{el_[4 * j_], el_[4 * j_ + 1], el_[4 * j_ + 2], el_[4 * j_ + 3]}}; \
        __VA_ARGS__;                                                                \
      }                                                                             \
    }                                                                               \
  } while (0)

/* float32 uniform and bernoulli fills (narrow: one lane per element), a batch of lanes x
 * at once: lt_rng_real_lanes's arithmetic per element (the same values) in a loop the
 * compiler vectorizes */
/* x as a double through the signed conversion the processor has (exact either way) */
static inline double u32_to_d(uint32_t x) { return (double)(int32_t)(x ^ 0x80000000u) + 2147483648.0; }
LT_AVX2_CLONES static void narrow_f32(const gen_spec *s, const uint32_t *x, int64_t cnt, void *out) {
  float *o = out;
  const double a = s->a, w = s->b - s->a, cap = s->cap, lo = cap > a ? cap : a;
  if (s->kind == LT_RK_UNIFORM)
    for (int64_t e = 0; e < cnt; e++) {
      double v = a + w * (u32_to_d(x[e]) * 0x1p-32);
      double c = v > cap ? lo : v;   /* (no branch: the loop vectorizes) */
      o[e] = (float)c;
    }
  else
    for (int64_t e = 0; e < cnt; e++) o[e] = u32_to_d(x[e]) * 0x1p-32 < a ? 1.0f : 0.0f;
}

/* float32 normal fills (narrow: elements 2i, 2i+1 are the Box-Muller pair of lanes x[2i],
 * x[2i+1]), a batch at once: lt_box_muller_f's steps over arrays, the logarithms, square
 * roots and trigonometric functions by the pointwise table's float loops (glibc's vector
 * functions where the processor has them: within a few ulp of the scalar ones the
 * per-block rule uses) */
static void narrow_normal_f32(const gen_spec *s, const uint32_t *x, int64_t cnt, void *o) {
  enum { P = 2 * PHILOX_BATCH };
  float u1[P], th[P], r[P], c[P], sn[P], buf[2 * P];
  /* whole vectors of 8 pairs (the table's loops take shorter runs through the scalar
   * functions): an element's value must not depend on where a fill or a thread's part of
   * it ends */
  int64_t np = (cnt + 1) / 2, npv = (np + 7) / 8 * 8;
  for (int64_t i = 0; i < np; i++) {
    u1[i] = (float)((u32_to_d(x[2 * i]) + 1.0) * 0x1p-32);
    th[i] = 6.28318530717958647692f * (float)(u32_to_d(x[2 * i + 1]) * 0x1p-32);
  }
  for (int64_t i = np; i < npv; i++) u1[i] = 1.0f, th[i] = 0.0f;
  np = npv;
  static const int64_t st[2] = {sizeof(float), sizeof(float)};
  char *d[2] = {(char *)r, (char *)u1};
  lt_unary_loops[LT_LOG][LT_FLOAT32](d, st, np, NULL);
  for (int64_t i = 0; i < np; i++) r[i] = -2.0f * r[i];
  d[1] = (char *)r;
  lt_unary_loops[LT_SQRT][LT_FLOAT32](d, st, np, NULL);
  d[0] = (char *)c;
  d[1] = (char *)th;
  lt_unary_loops[LT_COS][LT_FLOAT32](d, st, np, NULL);
  d[0] = (char *)sn;
  lt_unary_loops[LT_SIN][LT_FLOAT32](d, st, np, NULL);
  const double a = s->a, b = s->b;
  for (int64_t i = 0; i < np; i++) {
    buf[2 * i] = (float)(a + b * (double)(r[i] * c[i]));
    buf[2 * i + 1] = (float)(a + b * (double)(r[i] * sn[i]));
  }
  memcpy(o, buf, sizeof(float) * (size_t)cnt);
}

/* ---- DoubleTensor fills (wide: element e from the 64 bits of lanes x[2e] (low word) and
 * x[2e+1]) ---- */
/* the top 53 bits of the pair as an integer-valued double: hi * 2^21 + (lo >> 11), each
 * part converted exactly */
static inline double top53(uint32_t lo, uint32_t hi) { return u32_to_d(hi) * 2097152.0 + (double)(int32_t)(lo >> 11); }

LT_AVX2_CLONES static void wide_uniform(const gen_spec *s, const uint32_t *x, int64_t cnt, void *out) {
  double *o = out;
  const double a = s->a, w = s->b - s->a, cap = s->cap, lo = cap > a ? cap : a;
  for (int64_t e = 0; e < cnt; e++) {
    double v = a + w * (top53(x[2 * e], x[2 * e + 1]) * 0x1p-53);
    double c = v > cap ? lo : v;   /* (no branch: the loop vectorizes) */
    o[e] = c;
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && defined(LT_HAVE_MVEC)
/* glibc's AVX2 double log, cos and sin (4 lanes; within a few ulp of the scalar ones) */
__m256d _ZGVdN4v_log(__m256d);
__m256d _ZGVdN4v_cos(__m256d);
__m256d _ZGVdN4v_sin(__m256d);
__attribute__((target("avx2,fma"))) static void log_cos_sin_avx2(double *r, double *c, double *sn, int64_t n) {
  for (int64_t i = 0; i < n; i += 4) {
    __m256d t = _mm256_loadu_pd(c + i);
    _mm256_storeu_pd(r + i, _ZGVdN4v_log(_mm256_loadu_pd(r + i)));
    _mm256_storeu_pd(c + i, _ZGVdN4v_cos(t));
    _mm256_storeu_pd(sn + i, _ZGVdN4v_sin(t));
  }
}
static bool have_mvec(void) {
  static int has = -1;
  if (has < 0) has = have_avx2() && __builtin_cpu_supports("fma") ? 1 : 0;
  return has == 1;
}
#endif

/* Box-Muller pairs in double: lt_box_muller's steps over arrays (elements 2i, 2i+1 from
 * the pair of 64-bit numbers of block i); log, cos and sin by glibc's vector functions
 * where the processor has them, for whole vectors only, so that an element's value does
 * not depend on where a fill or a thread's part of it ends */
static void wide_normal(const gen_spec *s, const uint32_t *x, int64_t cnt, void *o) {
  enum { P = PHILOX_BATCH };
  double r[P], c[P], sn[P], buf[2 * P];
  int64_t np = (cnt + 1) / 2, npv = (np + 3) / 4 * 4;
  for (int64_t i = 0; i < np; i++) {
    r[i] = (top53(x[4 * i], x[4 * i + 1]) + 1.0) * 0x1p-53;                 /* u1 in (0,1] */
    c[i] = 6.283185307179586476925 * (top53(x[4 * i + 2], x[4 * i + 3]) * 0x1p-53);   /* theta */
  }
  for (int64_t i = np; i < npv; i++) r[i] = 1.0, c[i] = 0.0;
#if defined(__x86_64__) && defined(__GNUC__) && defined(LT_HAVE_MVEC)
  if (have_mvec()) log_cos_sin_avx2(r, c, sn, npv);
  else
#endif
    for (int64_t i = 0; i < np; i++) {
      double t = c[i];
      r[i] = log(r[i]);
      c[i] = cos(t);
      sn[i] = sin(t);
    }
  const double a = s->a, b = s->b;
  for (int64_t i = 0; i < np; i++) {
    double rr = sqrt(-2.0 * r[i]);
    buf[2 * i] = a + b * (rr * c[i]);
    buf[2 * i + 1] = a + b * (rr * sn[i]);
  }
  memcpy(o, buf, sizeof(double) * (size_t)cnt);
}

/* elements of blocks [b0, b1) into data (n elements of dtype dt, contiguous) */
static void gen_range(const gen_spec *s, lt_dtype dt, void *data, int64_t n, int64_t b0, int64_t b1) {
  int per = s->wide ? 2 : 4;
  /* the batched transforms: float32 (narrow) uniform, bernoulli, normal; double (wide)
   * uniform, normal; each writes cnt elements from a batch's lanes */
  void (*batch)(const gen_spec *, const uint32_t *, int64_t, void *) = NULL;
  if (!s->wide && dt == LT_FLOAT32)
    batch = s->kind == LT_RK_NORMAL ? narrow_normal_f32
          : s->kind == LT_RK_UNIFORM || s->kind == LT_RK_BERNOULLI ? narrow_f32 : NULL;
  else if (s->wide && dt == LT_FLOAT64)
    batch = s->kind == LT_RK_NORMAL ? wide_normal : s->kind == LT_RK_UNIFORM ? wide_uniform : NULL;
  if (batch) {
    uint32_t el[4 * PHILOX_BATCH];
    size_t es = lt_dtype_size(dt);
    for (int64_t bb = b0; bb < b1; bb += PHILOX_BATCH) {
      int nb = (int)LT_MIN((int64_t)PHILOX_BATCH, b1 - bb);
      philox_batch(s->seed, s->base + (uint64_t)bb, nb, el);
      int64_t e0 = per * bb, cnt = LT_MIN(per * (int64_t)nb, n - e0);
      batch(s, el, cnt, (char *)data + e0 * (int64_t)es);
    }
    return;
  }
  if (s->kind == LT_RK_INT) {
#define INT_LOOP(E, T)                                                              \
  case LT_##E: {                                                                    \
    T *o = (T *)data;                                                               \
    FOR_BLOCKS({                                                                    \
      int64_t e0 = blk * per, m = LT_MIN((int64_t)per, n - e0);                     \
      for (int64_t k = 0; k < m; k++) o[e0 + k] = (T)lt_rng_int_lane(s, &r, (int)k); \
    });                                                                             \
    break;                                                                          \
  }
    switch (dt) { LT_ARITH_TYPES(INT_LOOP) default: break; }
#undef INT_LOOP
    return;
  }
#define REAL_LOOP(E, T)                                                             \
  case LT_##E: {                                                                    \
    T *o = (T *)data;                                                               \
    FOR_BLOCKS({                                                                    \
      double v[4];                                                                  \
      lt_rng_real_lanes(s, r, v);                                                   \
      int64_t e0 = blk * per, m = LT_MIN((int64_t)per, n - e0);                     \
      if (s->kind == LT_RK_BERNOULLI_T)                                             \
        for (int64_t k = 0; k < m; k++) v[k] = lt_rng_bernoulli(v[k], s->p[e0 + k]); \
      for (int64_t k = 0; k < m; k++) o[e0 + k] = CONV_##E(v[k]);                   \
    });                                                                             \
    break;                                                                          \
  }
  switch (dt) { LT_ARITH_TYPES(REAL_LOOP) default: break; }
#undef REAL_LOOP
}

static void gen_run(const gen_spec *s, lt_dtype dt, void *data, int64_t n) {
  int per = s->wide ? 2 : 4;
  int64_t nblk = (n + per - 1) / per;
  int nt = lt_threads();
  if (n < LT_PARALLEL_GRAIN || nt <= 1) { gen_range(s, dt, data, n, 0, nblk); return; }
  int64_t chunks = LT_MIN((int64_t)nt, (n + LT_PARALLEL_GRAIN - 1) / LT_PARALLEL_GRAIN);
#pragma omp parallel for num_threads((int)chunks) schedule(static)
  for (int64_t c = 0; c < chunks; c++)
    gen_range(s, dt, data, n, nblk * c / chunks, nblk * (c + 1) / chunks);
}

static int gen_fill_raw(const char *op, lt_tensor *t, lt_generator *g, gen_spec *s);

/* Fill t (any layout) from spec s with g's stream, then advance g. A fill replaces the
 * values, so (as lt_fill) no gradient flows to what t held: a non-leaf's history is
 * replaced by a node without inputs; a leaf that requires grad is simply updated. */
static int gen_fill(const char *op, lt_tensor *t, lt_generator *g, gen_spec *s) {
  if (!LT_AG1(t)) return gen_fill_raw(op, t, g, s);
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, op, t, 0, NULL);
  if (mode < 0) return -1;
  int rc = gen_fill_raw(op, t, g, s);
  if (mode == LT_AG_PLAIN || rc < 0) { lt_ag_plain(&c, NULL); return rc; }
  lt_node *n = lt_node_new("RandomFillBackward", NULL, 0, NULL);
  if (!n) { lt_ag_plain(&c, NULL); return -1; }
  lt_retain(t);
  lt_tensor *res = lt_ag_finish(&c, t, n);
  if (!res) return -1;
  lt_release(res);
  return 0;
}

static int gen_fill_raw(const char *op, lt_tensor *t, lt_generator *g, gen_spec *s) {
  g = gen_or_default(g);
  int64_t n = lt_numel(t);
  if (n == 0) return 0;
  int per = s->wide ? 2 : 4;
  uint64_t nblk = ((uint64_t)n + per - 1) / per;
  s->seed = g->seed;
  s->base = g->offset;
  lt_dtype ct = lt_is_half(t->dtype) ? LT_FLOAT32 : t->dtype;
  if (t->device.type != LT_CPU) {
    /* the same rule per element, in the kernel (tensor/cuda/random.cu) */
    const lt_backend *be = lt_backend_for(t->device);
    if (!be) return -1;
    if (!be->random_fill) LT_FAIL(-1, "%s: not available for %s tensors", op, lt_devname(t->device));
    if (be->random_fill(op, t, s) < 0) return -1;
    lt_bump_version(t);
  } else if (ct == t->dtype && lt_is_contiguous(t)) {
    gen_run(s, ct, lt_data(t), n);
    lt_bump_version(t);
  } else {
    lt_tensor *tmp = lt_empty(1, &n, ct, t->device);
    if (!tmp) return -1;
    gen_run(s, ct, lt_data(tmp), n);
    int rc = lt_copy(t, tmp);
    lt_release(tmp);
    if (rc < 0) return -1;
  }
  g->offset += nblk;
  return 0;
}

static int need_float(const char *op, const lt_tensor *t) {
  if (!lt_dtype_is_float(t->dtype))
    LT_FAIL(-1, "%s: not defined for %sTensor (floating point types only)", op, lt_dtype_name(t->dtype));
  return 0;
}

static gen_spec spec(int kind, const lt_tensor *t, double a, double b) {
  gen_spec s;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  s.wide = t->dtype == LT_FLOAT64;
  s.a = a;
  s.b = b;
  return s;
}

/* the largest value of dtype (a float type) below b */
static double below(lt_dtype dt, double b) {
  switch (dt) {
  case LT_FLOAT64: return nextafter(b, -INFINITY);
  case LT_FLOAT32: {
    float f = (float)b;
    return (double)(f < b ? f : nextafterf(f, -INFINITY));
  }
  default: {   /* float16, bfloat16: step the 16-bit sign-magnitude pattern down */
    uint16_t h;
    lt_store(dt, &h, b);
    if (lt_load(dt, &h) >= b) {
      if ((h & 0x7fff) == 0) h = 0x8001;
      else if (h & 0x8000) h++;
      else h--;
    }
    return lt_load(dt, &h);
  }
  }
}

int lt_uniform(lt_tensor *t, lt_generator *g, double a, double b) {
  if (need_float("uniform", t) < 0) return -1;
  if (!isfinite(a) || !isfinite(b) || a > b)
    LT_FAIL(-1, "uniform: expects finite bounds a <= b, got a=%g b=%g", a, b);
  gen_spec s = spec(LT_RK_UNIFORM, t, a, b);
  s.cap = a < b ? below(t->dtype, b) : a;
  return gen_fill("uniform", t, g, &s);
}

int lt_normal(lt_tensor *t, lt_generator *g, double mean, double std) {
  if (need_float("normal", t) < 0) return -1;
  if (!(std >= 0) || !isfinite(std) || !isfinite(mean))
    LT_FAIL(-1, "normal: expects a finite mean and a standard deviation >= 0, got mean=%g std=%g", mean, std);
  gen_spec s = spec(LT_RK_NORMAL, t, mean, std);
  return gen_fill("normal", t, g, &s);
}

int lt_log_normal(lt_tensor *t, lt_generator *g, double mean, double std) {
  if (need_float("logNormal", t) < 0) return -1;
  if (!(std > 0) || !isfinite(std) || !isfinite(mean))
    LT_FAIL(-1, "logNormal: expects a finite mean and a standard deviation > 0, got mean=%g std=%g", mean, std);
  gen_spec s = spec(LT_RK_LOGNORMAL, t, mean, std);
  return gen_fill("logNormal", t, g, &s);
}

int lt_exponential(lt_tensor *t, lt_generator *g, double lambda) {
  if (need_float("exponential", t) < 0) return -1;
  if (!(lambda > 0) || !isfinite(lambda)) LT_FAIL(-1, "exponential: expects lambda > 0, got %g", lambda);
  gen_spec s = spec(LT_RK_EXPONENTIAL, t, lambda, 0);
  return gen_fill("exponential", t, g, &s);
}

int lt_cauchy(lt_tensor *t, lt_generator *g, double median, double sigma) {
  if (need_float("cauchy", t) < 0) return -1;
  if (!isfinite(median) || !(sigma > 0) || !isfinite(sigma))
    LT_FAIL(-1, "cauchy: expects a finite median and sigma > 0, got median=%g sigma=%g", median, sigma);
  gen_spec s = spec(LT_RK_CAUCHY, t, median, sigma);
  return gen_fill("cauchy", t, g, &s);
}

int lt_geometric(lt_tensor *t, lt_generator *g, double p) {
  if (!(p > 0 && p < 1)) LT_FAIL(-1, "geometric: expects 0 < p < 1, got %g", p);
  gen_spec s = spec(LT_RK_GEOMETRIC, t, p, log(p));   /* log(p) once, on the host */
  return gen_fill("geometric", t, g, &s);
}

int lt_bernoulli(lt_tensor *t, lt_generator *g, double p) {
  if (!(p >= 0 && p <= 1)) LT_FAIL(-1, "bernoulli: expects 0 <= p <= 1, got %g", p);
  gen_spec s = spec(LT_RK_BERNOULLI, t, p, 0);
  return gen_fill("bernoulli", t, g, &s);
}

int lt_bernoulli_tensor(lt_tensor *t, lt_generator *g, const lt_tensor *p) {
  if (lt_check_same_device("bernoulli", t, p) < 0) return -1;
  /* probabilities as contiguous doubles in t's shape: broadcast, or (Torch7) the same count */
  lt_tensor *pd = lt_to_dtype(p, LT_FLOAT64);
  if (!pd) return -1;
  lt_tensor *pe = lt_expand(pd, t->ndim, t->size);
  if (!pe && lt_numel(pd) == lt_numel(t)) pe = lt_reshape(pd, t->ndim, t->size);
  lt_release(pd);
  if (!pe) {
    char b1[128], b2[128];
    LT_FAIL(-1, "bernoulli: probabilities of size %s do not fit a tensor of size %s",
            lt_shape_str(p, b1, sizeof b1), lt_shape_str(t, b2, sizeof b2));
  }
  lt_tensor *pc = lt_contiguous(pe);
  lt_release(pe);
  if (!pc) return -1;
  if (lt_numel(pc) != lt_numel(t)) {
    lt_release(pc);
    LT_FAIL(-1, "bernoulli: the probabilities tensor is empty");
  }
  const double *pv = (const double *)lt_data(pc);
  int64_t n = lt_numel(pc);
  for (int64_t i = 0; i < n && pc->device.type == LT_CPU; i++)   /* devices: checked by the fill */
    if (!(pv[i] >= 0 && pv[i] <= 1)) {
      double bad = pv[i];   /* read before pc (which holds pv) is released */
      lt_release(pc);
      LT_FAIL(-1, "bernoulli: probabilities must be in [0, 1], got %g", bad);
    }
  gen_spec s = spec(LT_RK_BERNOULLI_T, t, 0, 0);
  s.p = pv;
  int rc = gen_fill("bernoulli", t, g, &s);
  lt_release(pc);
  return rc;
}

/* the integers a dtype holds exactly: [*lo, *hi] */
static void exact_int_range(lt_dtype dt, int64_t *lo, int64_t *hi) {
  switch (dt) {
  case LT_FLOAT32: *hi = 1ll << 24; break;
  case LT_FLOAT64: *hi = 1ll << 53; break;
  case LT_FLOAT16: *hi = 1ll << 11; break;
  case LT_BFLOAT16: *hi = 1ll << 8; break;
  case LT_INT64: *lo = INT64_MIN; *hi = INT64_MAX; return;
  case LT_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return;
  case LT_INT16: *lo = INT16_MIN; *hi = INT16_MAX; return;
  case LT_INT8: *lo = INT8_MIN; *hi = INT8_MAX; return;
  case LT_UINT8: *lo = 0; *hi = UINT8_MAX; return;
  case LT_BOOL: *lo = 0; *hi = 1; return;
  default: *lo = *hi = 0; return;
  }
  *lo = -*hi;
}

int lt_random_int(lt_tensor *t, lt_generator *g, int64_t lo, int64_t hi) {
  if (lo > hi) LT_FAIL(-1, "random: empty range [%lld, %lld] (the upper bound is below the lower)", (long long)lo, (long long)hi);
  int64_t dlo, dhi;
  exact_int_range(t->dtype, &dlo, &dhi);
  if (lo < dlo || hi > dhi)
    LT_FAIL(-1, "random: range [%lld, %lld] does not fit a %sTensor (it holds integers in [%lld, %lld])",
            (long long)lo, (long long)hi, lt_dtype_name(t->dtype), (long long)dlo, (long long)dhi);
  gen_spec s;
  memset(&s, 0, sizeof s);
  s.kind = LT_RK_INT;
  s.lo = lo;
  s.range = (uint64_t)hi - (uint64_t)lo + 1;   /* 0: all 2^64 values */
  s.wide = s.range == 0 || s.range > (1u << 16);
  return gen_fill("random", t, g, &s);
}

/* ---- permutations and sampling ---- */

#define draw64 lt_philox_draw64

lt_tensor *lt_randperm(lt_generator *g, int64_t n, lt_dtype dtype) {
  if (n < 0) LT_FAIL(NULL, "randperm: n must be non-negative, got %lld", (long long)n);
  if ((unsigned)dtype >= LT_NDTYPES) LT_FAIL(NULL, "randperm: unknown dtype %d", (int)dtype);
  int64_t dlo, dhi;
  exact_int_range(dtype, &dlo, &dhi);
  if (n > dhi)   /* n itself must fit so that 1-based results do too */
    LT_FAIL(NULL, "randperm: n = %lld is too large for a %sTensor", (long long)n, lt_dtype_name(dtype));
  g = gen_or_default(g);
  lt_tensor *idx = lt_empty(1, &n, LT_INT64, lt_cpu());
  if (!idx) return NULL;
  int64_t *p = (int64_t *)lt_data(idx);
  for (int64_t i = 0; i < n; i++) p[i] = i;
  /* Fisher-Yates: draw k picks position k + draw % (n - k) */
  uint64_t seed = g->seed, base = g->offset;
  for (int64_t k = 0; k + 1 < n; k++) {
    int64_t j = k + (int64_t)(draw64(seed, base, (uint64_t)k) % (uint64_t)(n - k));
    int64_t tmp = p[k]; p[k] = p[j]; p[j] = tmp;
  }
  g->offset += (uint64_t)n / 2;    /* ceil((n-1)/2) blocks of two draws */
  if (dtype == LT_INT64) return idx;
  lt_tensor *r = lt_to_dtype(idx, dtype);
  lt_release(idx);
  return r;
}

typedef struct { double key; int64_t idx; } keyed;
static int keyed_cmp(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->key < y->key) return -1;
  if (x->key > y->key) return 1;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* multinomial of weights on a device (pc: contiguous float64): the same draws and
 * algorithm in tensor/cuda/random.cu; the result stays on the device */
static lt_tensor *multinomial_dev(lt_generator *g, const lt_tensor *p, lt_tensor *pc, int64_t rows, int64_t K,
                                  int64_t n, bool replacement) {
  const lt_backend *be = lt_backend_for(pc->device);
  if (!be) { lt_release(pc); return NULL; }
  if (!be->multinomial) {
    lt_release(pc);
    LT_FAIL(NULL, "multinomial: not available for %s tensors", lt_devname(p->device));
  }
  int64_t osize[2] = {rows, n};
  lt_tensor *out = p->ndim == 2 ? lt_empty(2, osize, LT_INT64, pc->device) : lt_empty(1, &n, LT_INT64, pc->device);
  if (!out) { lt_release(pc); return NULL; }
  g = gen_or_default(g);
  int rc = rows > 0 ? be->multinomial(out, pc, rows, K, n, replacement, g->seed, g->offset) : 0;
  lt_release(pc);
  if (rc < 0) { lt_release(out); return NULL; }
  int64_t per_row = replacement ? n : K;
  g->offset += ((uint64_t)rows * (uint64_t)per_row + 1) / 2;
  return out;
}

lt_tensor *lt_multinomial(lt_generator *g, const lt_tensor *p, int64_t n, bool replacement) {
  if (p->ndim != 1 && p->ndim != 2) {
    char b[128];
    LT_FAIL(NULL, "multinomial: expects a 1-D or 2-D tensor of weights, got size %s", lt_shape_str(p, b, sizeof b));
  }
  if (n < 0) LT_FAIL(NULL, "multinomial: number of samples must be non-negative, got %lld", (long long)n);
  int64_t rows = p->ndim == 2 ? p->size[0] : 1, K = p->size[p->ndim - 1];
  if (K == 0) LT_FAIL(NULL, "multinomial: no categories to sample from");
  lt_tensor *pd = lt_to_dtype(p, LT_FLOAT64);
  lt_tensor *pc = pd ? lt_contiguous(pd) : NULL;
  lt_release(pd);
  if (!pc) return NULL;
  /* weights near DBL_MAX would sum to inf (and every draw land on the last category):
   * such rows are divided by their largest weight first (rows of ordinary weights are
   * divided by 1, so their draws stay as they were) */
  double wmax = 0;
  if (lt_numel(pc) > 0 && lt_reduce_all(LT_RMAX, pc, 0, &wmax) == 0 && isfinite(wmax) &&
      wmax > DBL_MAX / (double)K) {
    lt_tensor *rmax = lt_reduce_dim(LT_RMAX, NULL, NULL, NULL, pc, pc->ndim - 1, true, 0);
    lt_tensor *den = rmax ? lt_binary_scalar(LT_MAX, NULL, rmax, 1.0, false) : NULL;
    lt_tensor *scaled = den ? lt_binary(LT_DIV, NULL, pc, den, 1) : NULL;
    lt_release(rmax);
    lt_release(den);
    lt_release(pc);
    if (!scaled) return NULL;
    pc = scaled;
  }
  if (pc->device.type != LT_CPU) return multinomial_dev(g, p, pc, rows, K, n, replacement);
  const double *w = (const double *)lt_data(pc);
  for (int64_t r = 0; r < rows; r++) {
    double sum = 0;
    int64_t nz = 0;
    for (int64_t k = 0; k < K; k++) {
      double v = w[r * K + k];
      if (!(v >= 0) || !isfinite(v)) {
        lt_release(pc);
        LT_FAIL(NULL, "multinomial: weights must be finite and non-negative, got %g (row %lld)", v, (long long)r + 1);
      }
      sum += v;
      nz += v > 0;
    }
    if (!(sum > 0)) { lt_release(pc); LT_FAIL(NULL, "multinomial: the weights of row %lld sum to zero", (long long)r + 1); }
    if (!replacement && n > nz) {
      lt_release(pc);
      LT_FAIL(NULL, "multinomial: cannot draw %lld samples without replacement from %lld categories with nonzero weight (row %lld)",
              (long long)n, (long long)nz, (long long)r + 1);
    }
  }
  int64_t osize[2] = {rows, n};
  lt_tensor *out = p->ndim == 2 ? lt_empty(2, osize, LT_INT64, lt_cpu()) : lt_empty(1, &n, LT_INT64, lt_cpu());
  if (!out) { lt_release(pc); return NULL; }
  g = gen_or_default(g);
  uint64_t seed = g->seed, base = g->offset;
  int64_t *o = (int64_t *)lt_data(out);
  bool oom = false;
  int64_t per_row = replacement ? n : K;     /* draws per row */
  bool par = rows > 1 && rows * LT_MAX(per_row, 1) >= LT_PARALLEL_GRAIN && lt_threads() > 1;
  if (replacement) {
    /* inverse CDF: draw u in [0,1), the first category whose cumulative weight exceeds u*sum */
#pragma omp parallel for if (par) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      double *cdf = malloc(sizeof(double) * (size_t)K);
      if (!cdf) {
#pragma omp atomic write
        oom = true;
        continue;
      }
      double acc = 0;
      int64_t last = 0;
      for (int64_t k = 0; k < K; k++) { acc += w[r * K + k]; cdf[k] = acc; if (w[r * K + k] > 0) last = k; }
      for (int64_t s = 0; s < n; s++) {
        double x = lt_u64_to_unit_d(draw64(seed, base, (uint64_t)(r * n + s))) * acc;
        int64_t lo = 0, hi = K;    /* first k with cdf[k] > x */
        while (lo < hi) { int64_t mid = lo + (hi - lo) / 2; if (cdf[mid] > x) hi = mid; else lo = mid + 1; }
        o[r * n + s] = lo < K ? lo : last;
      }
      free(cdf);
    }
  } else {
    /* exponential races: key_k = E_k / w_k with E_k ~ Exp(1); the n smallest keys in order
     * are distributed as n draws without replacement */
#pragma omp parallel for if (par) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      keyed *ks = malloc(sizeof(keyed) * (size_t)K);
      if (!ks) {
#pragma omp atomic write
        oom = true;
        continue;
      }
      for (int64_t k = 0; k < K; k++) {
        double wk = w[r * K + k];
        double u = lt_u64_to_unit_open_d(draw64(seed, base, (uint64_t)(r * K + k)));
        ks[k].key = wk > 0 ? -log(u) / wk : INFINITY;
        ks[k].idx = k;
      }
      qsort(ks, (size_t)K, sizeof(keyed), keyed_cmp);
      for (int64_t s = 0; s < n; s++) o[r * n + s] = ks[s].idx;
      free(ks);
    }
  }
  lt_release(pc);
  if (oom) { lt_release(out); LT_FAIL(NULL, "multinomial: out of memory"); }
  g->offset += ((uint64_t)rows * (uint64_t)per_row + 1) / 2;
  return out;
}
