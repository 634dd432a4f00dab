/* reduce_pass.c: the machinery of the streaming reductions: the layout of lines, typed
 * loads and stores, the kernels of each kind of pass, and the pass drivers.
 *
 * A pass of a "kind" (K_SUM, K_MAX, ...) reduces every line of a layout (see
 * reduce_impl.h) into a value (and an index for max/min) per output position. Two
 * strategies:
 *  - lines: each output reduces its line, in chunks of RBLK (contiguous float32/float64
 *    data in place, other types loaded into a double/int64 buffer); many short lines are
 *    batched; few long lines are split across threads and the partial states merged;
 *  - rows: when the innermost kept dim is contiguous and the reduced dim is not (an outer
 *    dim of a contiguous tensor), whole rows are accumulated into per-column
 *    accumulators, which vectorizes; few column blocks are split along the reduced dim. */
#include "reduce_impl.h"
#include "pointwise.h"
#include <math.h>

/* ---- layout ---- */

void lt_rlayout_init(lt_rlayout *L, const lt_tensor *a, int dim, const int64_t *ostride) {
  int64_t os[LT_MAXDIM];
  if (!ostride) {
    int64_t s = 1;
    for (int d = a->ndim - 1; d >= 0; d--) {
      if (d == dim) { os[d] = 0; continue; }
      os[d] = s;
      s *= a->size[d];
    }
    ostride = os;
  }
  L->n = dim >= 0 ? a->size[dim] : 1;
  L->sd = dim >= 0 ? a->stride[dim] : 0;
  L->osd = dim >= 0 ? ostride[dim] : 0;
  L->M = 1;
  int K = 0;
  for (int d = 0; d < a->ndim; d++) {
    if (d == dim) continue;
    L->M *= a->size[d];
    if (a->size[d] == 1) continue;
    if (K > 0 && L->istr[K - 1] == a->stride[d] * a->size[d] &&
        L->ostr[K - 1] == ostride[d] * a->size[d]) {
      L->size[K - 1] *= a->size[d];
      L->istr[K - 1] = a->stride[d];
      L->ostr[K - 1] = ostride[d];
      continue;
    }
    L->size[K] = a->size[d];
    L->istr[K] = a->stride[d];
    L->ostr[K] = ostride[d];
    K++;
  }
  L->K = K;
}

void lt_rpos_seek(const lt_rlayout *L, int K, int64_t m, lt_rpos *p) {
  p->ioff = p->ooff = 0;
  for (int d = K - 1; d >= 0; d--) {
    p->idx[d] = m % L->size[d];
    m /= L->size[d];
    p->ioff += p->idx[d] * L->istr[d];
    p->ooff += p->idx[d] * L->ostr[d];
  }
}

/* ---- typed loads and stores ---- */

void lt_rload_d(lt_dtype dt, const char *p, int64_t s, int64_t n, double *out) {
  switch (dt) {
#define LD(E, T)                                                      \
  case LT_##E: {                                                      \
    const T *q = (const T *)p;                                        \
    if (s == 1) for (int64_t i = 0; i < n; i++) out[i] = (double)q[i]; \
    else for (int64_t i = 0; i < n; i++) out[i] = (double)q[i * s];   \
  } break;
    LT_ARITH_TYPES(LD)
#undef LD
  case LT_FLOAT16: {
    const uint16_t *q = (const uint16_t *)p;
    for (int64_t i = 0; i < n; i++) out[i] = lt_half_to_float(q[i * s]);
  } break;
  case LT_BFLOAT16: {
    const uint16_t *q = (const uint16_t *)p;
    for (int64_t i = 0; i < n; i++) out[i] = lt_bf16_to_float(q[i * s]);
  } break;
  default: break;
  }
  if (dt == LT_BOOL)
    for (int64_t i = 0; i < n; i++) out[i] = out[i] != 0;
}

void lt_rload_i(lt_dtype dt, const char *p, int64_t s, int64_t n, int64_t *out) {
  switch (dt) {
#define LD(E, T)                                                       \
  case LT_##E: {                                                       \
    const T *q = (const T *)p;                                         \
    if (s == 1) for (int64_t i = 0; i < n; i++) out[i] = (int64_t)q[i]; \
    else for (int64_t i = 0; i < n; i++) out[i] = (int64_t)q[i * s];   \
  } break;
    LD(INT64, int64_t) LD(INT32, int32_t) LD(INT16, int16_t) LD(INT8, int8_t) LD(UINT8, uint8_t)
#undef LD
  case LT_BOOL: {
    const uint8_t *q = (const uint8_t *)p;
    for (int64_t i = 0; i < n; i++) out[i] = q[i * s] != 0;
  } break;
  default:
    for (int64_t i = 0; i < n; i++) out[i] = lt_load_int(dt, p + i * s * (int64_t)lt_dtype_size(dt));
  }
}

void lt_rstore_d(lt_dtype dt, char *p, int64_t s, int64_t n, const double *v) {
  switch (dt) {
  case LT_FLOAT32: { float *q = (float *)p; for (int64_t i = 0; i < n; i++) q[i * s] = (float)v[i]; } break;
  case LT_FLOAT64: { double *q = (double *)p; for (int64_t i = 0; i < n; i++) q[i * s] = v[i]; } break;
  case LT_FLOAT16: { uint16_t *q = (uint16_t *)p; for (int64_t i = 0; i < n; i++) q[i * s] = lt_float_to_half((float)v[i]); } break;
  case LT_BFLOAT16: { uint16_t *q = (uint16_t *)p; for (int64_t i = 0; i < n; i++) q[i * s] = lt_float_to_bf16((float)v[i]); } break;
  default: {
    int64_t es = (int64_t)lt_dtype_size(dt);
    for (int64_t i = 0; i < n; i++) lt_store(dt, p + i * s * es, v[i]);
  }
  }
}

void lt_rstore_i(lt_dtype dt, char *p, int64_t s, int64_t n, const int64_t *v) {
  switch (dt) {
#define ST(E, T) \
  case LT_##E: { T *q = (T *)p; for (int64_t i = 0; i < n; i++) q[i * s] = (T)v[i]; } break;
    ST(INT64, int64_t) ST(INT32, int32_t) ST(INT16, int16_t) ST(INT8, int8_t) ST(UINT8, uint8_t)
    ST(FLOAT32, float) ST(FLOAT64, double)
#undef ST
  case LT_BOOL: { uint8_t *q = (uint8_t *)p; for (int64_t i = 0; i < n; i++) q[i * s] = v[i] != 0; } break;
  default: {
    int64_t es = (int64_t)lt_dtype_size(dt);
    for (int64_t i = 0; i < n; i++) lt_store(dt, p + i * s * es, (double)v[i]);
  }
  }
}

/* ---- kinds of passes and their kernels ---- */



void lt_rstate_init(int kind, bool fl, int64_t start, lt_rstate *s) {
  s->v = s->comp = 0;
  s->i = 0;
  s->idx = start;
  switch (kind) {
  case K_PROD: s->v = 1; s->i = 1; break;
  case K_MAX: s->v = -INFINITY; s->i = INT64_MIN; break;
  case K_MIN: s->v = INFINITY; s->i = INT64_MAX; break;
  case K_AMIN: s->v = INFINITY; break;
  case K_ALL: s->v = 1; s->i = 1; break;
  default: break;
  }
  (void)fl;
}

/* Neumaier's compensated addition (skipped once the sum is not finite) */
static inline void kadd(lt_rstate *s, double x) {
  double t = s->v + x;
  if (isfinite(t)) {
    if (fabs(s->v) >= fabs(x)) s->comp += (s->v - t) + x;
    else s->comp += (x - t) + s->v;
  }
  s->v = t;
}

/* x[0..w) (contiguous, double or float) into s; b is the line index of x[0]; c the line's
 * centre */
/* a sum over x[0..w) of EXPR(xi) with 8 independent partial sums (vectorizes, and hides
 * the latency of the adds) */
#define SUM8(EXPR)                                                                      \
  do {                                                                                  \
    double a_[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                            \
    int64_t i_ = 0;                                                                     \
    for (; i_ + 8 <= w; i_ += 8)                                                        \
      for (int u_ = 0; u_ < 8; u_++) { double xi = x[i_ + u_]; a_[u_] += (EXPR); }      \
    for (; i_ < w; i_++) { double xi = x[i_]; a_[0] += (EXPR); }                        \
    acc = ((a_[0] + a_[4]) + (a_[1] + a_[5])) + ((a_[2] + a_[6]) + (a_[3] + a_[7]));   \
  } while (0)

/* x[0..w) (contiguous, double or float) into s; b is the line index of x[0]; c the line's
 * centre */
#define DEF_VK(NAME, T)                                                                         \
static void NAME(int kind, const T *x, int64_t w, int64_t b, double c, double p, lt_rstate *s) {      \
  double acc = 0;                                                                               \
  switch (kind) {                                                                               \
  case K_SUM: SUM8(xi); break;                                                                  \
  case K_ABS: SUM8(fabs(xi)); break;                                                            \
  case K_SQ: SUM8(xi * xi); break;                                                              \
  case K_SQDEV: SUM8((xi - c) * (xi - c)); break;                                               \
  case K_NZ:                                                                                    \
    SUM8((double)(xi != 0));                                                                    \
    break;                                                                                      \
  case K_POW:                                                                                   \
    for (int64_t i = 0; i < w; i++) acc += pow(fabs(x[i]), p);                                  \
    break;                                                                                      \
  case K_EXPSUM:                                                                                \
    for (int64_t i = 0; i < w; i++) acc += exp(x[i] - c);                                       \
    break;                                                                                      \
  case K_PROD: {                                                                                \
    double v = s->v;                                                                            \
    for (int64_t i = 0; i < w; i++) v *= x[i];                                                  \
    s->v = v;                                                                                   \
    return;                                                                                     \
  }                                                                                             \
  case K_MAX: case K_MIN: {                                                                     \
    if (s->v != s->v) return;             /* NaN already found: it stays */                     \
    /* the chunk's extreme and whether it holds a NaN (vectorized), then its first position */  \
    double e = kind == K_MAX ? -INFINITY : INFINITY;                                            \
    int nan = 0;                                                                                \
    if (kind == K_MAX) {                                                                        \
_Pragma("omp simd reduction(max : e) reduction(| : nan)")                                       \
      for (int64_t i = 0; i < w; i++) { e = x[i] > e ? x[i] : e; nan |= x[i] != x[i]; }         \
    } else {                                                                                    \
_Pragma("omp simd reduction(min : e) reduction(| : nan)")                                       \
      for (int64_t i = 0; i < w; i++) { e = x[i] < e ? x[i] : e; nan |= x[i] != x[i]; }         \
    }                                                                                           \
    if (nan) {                                                                                  \
      for (int64_t i = 0; i < w; i++)                                                           \
        if (x[i] != x[i]) { s->v = x[i]; s->idx = b + i; return; }                              \
    }                                                                                           \
    if (kind == K_MAX ? e > s->v : e < s->v) {                                                  \
      for (int64_t i = 0; i < w; i++)                                                           \
        if (x[i] == e) { s->v = e; s->idx = b + i; return; }                                    \
    }                                                                                           \
    return;                                                                                     \
  }                                                                                             \
  case K_AMAX: case K_AMIN: {                                                                   \
    double v = s->v;                                                                            \
    bool mx = kind == K_AMAX;                                                                   \
    for (int64_t i = 0; i < w; i++) {                                                           \
      double y = fabs(x[i]);                                                                    \
      v = ((mx ? y > v : y < v) || y != y) ? y : v;                                             \
    }                                                                                           \
    s->v = v;                                                                                   \
    return;                                                                                     \
  }                                                                                             \
  case K_ALL:                                                                                   \
    if (s->v != 0)                                                                              \
      for (int64_t i = 0; i < w; i++) if (x[i] == 0) { s->v = 0; break; }                       \
    return;                                                                                     \
  case K_ANY:                                                                                   \
    if (s->v == 0)                                                                              \
      for (int64_t i = 0; i < w; i++) if (x[i] != 0) { s->v = 1; break; }                       \
    return;                                                                                     \
  }                                                                                             \
  kadd(s, acc);                                                                                 \
}
DEF_VK(vk_d_base, double)
DEF_VK(vk_f_base, float)
/* The same kernels built for AVX2 where the processor has it (chosen at load time): the
 * float-to-double conversions and the eight partial sums take half the instructions. The
 * arithmetic is the same, in the same order, so the results are identical. */
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2")
DEF_VK(vk_d_avx2, double)
DEF_VK(vk_f_avx2, float)
#pragma GCC pop_options
#endif
typedef void (*vk_fn_f)(int, const float *, int64_t, int64_t, double, double, lt_rstate *);
typedef void (*vk_fn_d)(int, const double *, int64_t, int64_t, double, double, lt_rstate *);
static vk_fn_f vk_f = vk_f_base;
static vk_fn_d vk_d = vk_d_base;
__attribute__((constructor)) static void choose_kernels(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) { vk_f = vk_f_avx2; vk_d = vk_d_avx2; }
#endif
}

static void vk_i(int kind, const int64_t *x, int64_t w, int64_t b, lt_rstate *s) {
  switch (kind) {
  case K_SUM: {
    int64_t acc = 0;
    for (int64_t i = 0; i < w; i++) acc += x[i];
    s->i += acc;
  } break;
  case K_PROD: {
    int64_t v = s->i;
    for (int64_t i = 0; i < w; i++) v *= x[i];
    s->i = v;
  } break;
  case K_MAX: case K_MIN: {
    int64_t v = s->i, id = s->idx;
    if (kind == K_MAX) { for (int64_t i = 0; i < w; i++) if (x[i] > v) { v = x[i]; id = b + i; } }
    else for (int64_t i = 0; i < w; i++) if (x[i] < v) { v = x[i]; id = b + i; }
    s->i = v;
    s->idx = id;
  } break;
  case K_ALL:
    if (s->i) for (int64_t i = 0; i < w; i++) if (!x[i]) { s->i = 0; break; }
    break;
  case K_ANY:
    if (!s->i) for (int64_t i = 0; i < w; i++) if (x[i]) { s->i = 1; break; }
    break;
  default: break;
  }
}

/* row kernels: acc[j] (op)= x[j] for the columns of one row k (double or float x) */
#define DEF_RK(NAME, T)                                                                                       \
static void NAME(int kind, double *acc, int64_t *aidx, const T *x, int64_t w, int64_t k,                      \
                 const double *c, double p) {                                                                 \
  switch (kind) {                                                                                             \
  case K_SUM: for (int64_t j = 0; j < w; j++) acc[j] += x[j]; break;                                          \
  case K_ABS: for (int64_t j = 0; j < w; j++) acc[j] += fabs(x[j]); break;                                    \
  case K_SQ: for (int64_t j = 0; j < w; j++) acc[j] += x[j] * x[j]; break;                                    \
  case K_NZ: for (int64_t j = 0; j < w; j++) acc[j] += x[j] != 0; break;                                      \
  case K_POW: for (int64_t j = 0; j < w; j++) acc[j] += pow(fabs(x[j]), p); break;                            \
  case K_SQDEV: for (int64_t j = 0; j < w; j++) { double d = x[j] - c[j]; acc[j] += d * d; } break;           \
  case K_EXPSUM: for (int64_t j = 0; j < w; j++) acc[j] += exp(x[j] - c[j]); break;                           \
  case K_PROD: for (int64_t j = 0; j < w; j++) acc[j] *= x[j]; break;                                         \
  case K_MAX:                                                                                                 \
    for (int64_t j = 0; j < w; j++) {                                                                         \
      double y = x[j], a = acc[j];                                                                            \
      bool t = y > a || (y != y && a == a);                                                                   \
      acc[j] = t ? y : a;                                                                                     \
      aidx[j] = t ? k : aidx[j];                                                                              \
    }                                                                                                         \
    break;                                                                                                    \
  case K_MIN:                                                                                                 \
    for (int64_t j = 0; j < w; j++) {                                                                         \
      double y = x[j], a = acc[j];                                                                            \
      bool t = y < a || (y != y && a == a);                                                                   \
      acc[j] = t ? y : a;                                                                                     \
      aidx[j] = t ? k : aidx[j];                                                                              \
    }                                                                                                         \
    break;                                                                                                    \
  case K_AMAX:                                                                                                \
    for (int64_t j = 0; j < w; j++) { double y = fabs(x[j]); acc[j] = (y > acc[j] || y != y) ? y : acc[j]; }  \
    break;                                                                                                    \
  case K_AMIN:                                                                                                \
    for (int64_t j = 0; j < w; j++) { double y = fabs(x[j]); acc[j] = (y < acc[j] || y != y) ? y : acc[j]; }  \
    break;                                                                                                    \
  case K_ALL: for (int64_t j = 0; j < w; j++) acc[j] = acc[j] != 0 && x[j] != 0; break;                       \
  case K_ANY: for (int64_t j = 0; j < w; j++) acc[j] = acc[j] != 0 || x[j] != 0; break;                       \
  }                                                                                                           \
}
DEF_RK(rk_d, double)
DEF_RK(rk_f, float)

static void rk_i(int kind, int64_t *acc, int64_t *aidx, const int64_t *x, int64_t w, int64_t k) {
  switch (kind) {
  case K_SUM: for (int64_t j = 0; j < w; j++) acc[j] += x[j]; break;
  case K_PROD: for (int64_t j = 0; j < w; j++) acc[j] *= x[j]; break;
  case K_MAX:
    for (int64_t j = 0; j < w; j++) {
      bool t = x[j] > acc[j];
      acc[j] = t ? x[j] : acc[j];
      aidx[j] = t ? k : aidx[j];
    }
    break;
  case K_MIN:
    for (int64_t j = 0; j < w; j++) {
      bool t = x[j] < acc[j];
      acc[j] = t ? x[j] : acc[j];
      aidx[j] = t ? k : aidx[j];
    }
    break;
  case K_ALL: for (int64_t j = 0; j < w; j++) acc[j] = acc[j] && x[j]; break;
  case K_ANY: for (int64_t j = 0; j < w; j++) acc[j] = acc[j] || x[j]; break;
  default: break;
  }
}

/* merge b (the later part of a line) into a */
static void merge_d(int kind, double *av, int64_t *ai, double bv, int64_t bi) {
  switch (kind) {
  case K_PROD: *av *= bv; break;
  case K_MAX: if (bv > *av || (bv != bv && *av == *av)) { *av = bv; *ai = bi; } break;
  case K_MIN: if (bv < *av || (bv != bv && *av == *av)) { *av = bv; *ai = bi; } break;
  case K_AMAX: if (bv > *av || bv != bv) *av = bv; break;
  case K_AMIN: if (bv < *av || bv != bv) *av = bv; break;
  case K_ALL: *av = *av != 0 && bv != 0; break;
  case K_ANY: *av = *av != 0 || bv != 0; break;
  default: *av += bv; break;
  }
}
static void merge_i(int kind, int64_t *av, int64_t *ai, int64_t bv, int64_t bi) {
  switch (kind) {
  case K_SUM: *av += bv; break;
  case K_PROD: *av *= bv; break;
  case K_MAX: if (bv > *av) { *av = bv; *ai = bi; } break;
  case K_MIN: if (bv < *av) { *av = bv; *ai = bi; } break;
  case K_ALL: *av = *av && bv; break;
  case K_ANY: *av = *av || bv; break;
  default: break;
  }
}
void lt_rstate_merge(int kind, bool fl, lt_rstate *a, const lt_rstate *b) {
  if (fl) {
    if (lt_radditive(kind)) { kadd(a, b->v); a->comp += b->comp; }
    else merge_d(kind, &a->v, &a->idx, b->v, b->idx);
  } else merge_i(kind, &a->i, &a->idx, b->i, b->idx);
}

/* ---- one pass over a layout ---- */


/* elements [b, b+n) of the line starting at p (stride s) into st */
static void line_reduce(const lt_rpass *P, const char *p, int64_t b, int64_t n, int64_t s, double c, lt_rstate *st) {
  double bd[RBLK];
  int64_t bi[RBLK];
  const char *q = p + b * s * P->es;
  /* contiguous float data is reduced in place, in longer pieces: fewer calls and merges */
  bool inplace = P->fl && s == 1 && (P->dt == LT_FLOAT64 || P->dt == LT_FLOAT32);
  int64_t step = inplace ? 8 * RBLK : RBLK;
  for (int64_t i = 0; i < n; i += step) {
    int64_t w = LT_MIN(step, n - i);
    const char *r = q + i * s * P->es;
    if (P->fl) {
      if (s == 1 && P->dt == LT_FLOAT64) vk_d(P->kind, (const double *)r, w, b + i, c, P->p, st);
      else if (s == 1 && P->dt == LT_FLOAT32 && P->kind == K_EXPSUM && P->fexp)
        kadd(st, lt_expsum_f32((const float *)r, (float)c, NULL, w));
      else if (s == 1 && P->dt == LT_FLOAT32) vk_f(P->kind, (const float *)r, w, b + i, c, P->p, st);
      else {
        lt_rload_d(P->dt, r, s, w, bd);
        vk_d(P->kind, bd, w, b + i, c, P->p, st);
      }
      if ((P->kind == K_ALL && st->v == 0) || (P->kind == K_ANY && st->v != 0)) break;
    } else {
      const int64_t *x = bi;
      if (P->dt == LT_INT64 && s == 1) x = (const int64_t *)r;
      else lt_rload_i(P->dt, r, s, w, bi);
      vk_i(P->kind, x, w, b + i, st);
      if ((P->kind == K_ALL && st->i == 0) || (P->kind == K_ANY && st->i != 0)) break;
    }
  }
}

void lt_rpass_put(const lt_rpass *P, int64_t m, const lt_rstate *st) {
  if (P->fl) P->val[m].d = st->v + st->comp;
  else P->val[m].i = st->i;
  if (P->idx) P->idx[m] = st->idx;
}

/* many short lines back to back (the last dim of a contiguous tensor): batches of lines
 * loaded at once */
#define SHORT_LINE 64
static void short_lines(const lt_rpass *P, int64_t m0, int64_t m1) {
  const lt_rlayout *L = P->L;
  int64_t n = L->n, G = (4 * RBLK) / n;
  double bd[4 * RBLK];
  int64_t bi[4 * RBLK];
  lt_rstate init;
  lt_rstate_init(P->kind, P->fl, 0, &init);
  bool direct = P->dt == (P->fl ? LT_FLOAT64 : LT_INT64);
  if (P->kind == K_SUM && P->dt == LT_FLOAT32) {   /* the common case, without the state */
    const float *x = (const float *)P->data;
    for (int64_t m = m0; m < m1; m++) {
      double a = 0;
      for (int64_t j = 0; j < n; j++) a += x[m * n + j];
      P->val[m].d = a;
    }
    return;
  }
  for (int64_t m = m0; m < m1; m += G) {
    int64_t g = LT_MIN(G, m1 - m);
    const char *r = P->data + m * n * P->es;
    if (P->dt == LT_FLOAT32) {
      const float *x = (const float *)r;
      for (int64_t l = 0; l < g; l++) {
        lt_rstate st = init;
        vk_f(P->kind, x + l * n, n, 0, P->c ? P->c[m + l] : 0, P->p, &st);
        lt_rpass_put(P, m + l, &st);
      }
    } else if (P->fl) {
      const double *x = direct ? (const double *)r : bd;
      if (!direct) lt_rload_d(P->dt, r, 1, g * n, bd);
      for (int64_t l = 0; l < g; l++) {
        lt_rstate st = init;
        vk_d(P->kind, x + l * n, n, 0, P->c ? P->c[m + l] : 0, P->p, &st);
        lt_rpass_put(P, m + l, &st);
      }
    } else {
      const int64_t *x = direct ? (const int64_t *)r : bi;
      if (!direct) lt_rload_i(P->dt, r, 1, g * n, bi);
      for (int64_t l = 0; l < g; l++) {
        lt_rstate st = init;
        vk_i(P->kind, x + l * n, n, 0, &st);
        lt_rpass_put(P, m + l, &st);
      }
    }
  }
}

static void lines_range(const lt_rpass *P, int64_t m0, int64_t m1) {
  const lt_rlayout *L = P->L;
  if (L->sd == 1 && L->n > 0 && L->n <= SHORT_LINE && L->K == 1 && L->istr[0] == L->n) {
    short_lines(P, m0, m1);
    return;
  }
  lt_rpos pos;
  lt_rpos_seek(L, L->K, m0, &pos);
  for (int64_t m = m0; m < m1; m++) {
    lt_rstate st;
    lt_rstate_init(P->kind, P->fl, 0, &st);
    line_reduce(P, P->data + pos.ioff * P->es, 0, L->n, L->sd, P->c ? P->c[m] : 0, &st);
    lt_rpass_put(P, m, &st);
    lt_rpos_next(L, L->K, &pos);
  }
}

static void run_lines(const lt_rpass *P, bool par, int nt) {
  const lt_rlayout *L = P->L;
  int64_t M = L->M, n = L->n;
  if (!par) { lines_range(P, 0, M); return; }
  if (M >= nt) {
    int64_t chunks = LT_MIN(M, (int64_t)nt * 4);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; c++) lines_range(P, M * c / chunks, M * (c + 1) / chunks);
    return;
  }
  /* a few long lines: split each one */
  int64_t parts = LT_MIN((int64_t)nt, (n + LT_PARALLEL_GRAIN / 2 - 1) / (LT_PARALLEL_GRAIN / 2));
  if (parts < 2) { lines_range(P, 0, M); return; }
  lt_rstate st[256];
  if (parts > 256) parts = 256;
  lt_rpos pos;
  lt_rpos_seek(L, L->K, 0, &pos);
  for (int64_t m = 0; m < M; m++) {
    const char *p = P->data + pos.ioff * P->es;
    double c = P->c ? P->c[m] : 0;
#pragma omp parallel for num_threads((int)parts) schedule(static)
    for (int64_t t = 0; t < parts; t++) {
      int64_t b = n * t / parts, e = n * (t + 1) / parts;
      lt_rstate_init(P->kind, P->fl, b, &st[t]);
      line_reduce(P, p, b, e - b, L->sd, c, &st[t]);
    }
    for (int64_t t = 1; t < parts; t++) lt_rstate_merge(P->kind, P->fl, &st[0], &st[t]);
    lt_rpass_put(P, m, &st[0]);
    lt_rpos_next(L, L->K, &pos);
  }
}

/* rows [k0, k1) of a column block of width jw (<= CBLK) starting at element `base`.
 * Wide blocks keep the reads of each row long and sequential; the accumulators stay in
 * cache. */
#define CBLK 2048
static void rows_block(const lt_rpass *P, int64_t base, int64_t k0, int64_t k1, int64_t jw,
                       const double *c, lt_rval *acc, int64_t *aidx) {
  double bd[RBLK];
  int64_t bi[RBLK];
  lt_rstate init;
  lt_rstate_init(P->kind, P->fl, k0, &init);
  for (int64_t j = 0; j < jw; j++) {
    if (P->fl) acc[j].d = init.v; else acc[j].i = init.i;
    aidx[j] = k0;
  }
  const lt_rlayout *L = P->L;
  bool direct = P->dt == (P->fl ? LT_FLOAT64 : LT_INT64) || P->dt == LT_FLOAT32;
  int64_t piece = direct ? jw : RBLK;
  if (P->kind == K_SUM && (P->dt == LT_FLOAT32 || P->dt == LT_FLOAT64)) {
    /* sums, four rows at a time: a quarter of the accumulator traffic */
    double *a = &acc[0].d;
    int64_t sd = L->sd * P->es;
    for (; k0 + 4 <= k1; k0 += 4) {
      const char *r = P->data + (base + k0 * L->sd) * P->es;
      if (P->dt == LT_FLOAT32) {
        const float *x0 = (const float *)r, *x1 = (const float *)(r + sd),
                    *x2 = (const float *)(r + 2 * sd), *x3 = (const float *)(r + 3 * sd);
        for (int64_t j = 0; j < jw; j++) a[j] += ((double)x0[j] + x1[j]) + ((double)x2[j] + x3[j]);
      } else {
        const double *x0 = (const double *)r, *x1 = (const double *)(r + sd),
                     *x2 = (const double *)(r + 2 * sd), *x3 = (const double *)(r + 3 * sd);
        for (int64_t j = 0; j < jw; j++) a[j] += (x0[j] + x1[j]) + (x2[j] + x3[j]);
      }
    }
  }
  for (int64_t k = k0; k < k1; k++) {
    const char *r = P->data + (base + k * L->sd) * P->es;
    for (int64_t j0 = 0; j0 < jw; j0 += piece) {
      int64_t w = LT_MIN(piece, jw - j0);
      const char *q = r + j0 * P->es;
      if (P->dt == LT_FLOAT32) {
        rk_f(P->kind, &acc[j0].d, aidx + j0, (const float *)q, w, k, c ? c + j0 : NULL, P->p);
      } else if (P->fl) {
        const double *x = bd;
        if (direct) x = (const double *)q;
        else lt_rload_d(P->dt, q, 1, w, bd);
        rk_d(P->kind, &acc[j0].d, aidx + j0, x, w, k, c ? c + j0 : NULL, P->p);
      } else {
        const int64_t *x = bi;
        if (direct) x = (const int64_t *)q;
        else lt_rload_i(P->dt, q, 1, w, bi);
        rk_i(P->kind, &acc[j0].i, aidx + j0, x, w, k);
      }
    }
  }
}

static void run_rows(const lt_rpass *P, bool par, int nt) {
  const lt_rlayout *L = P->L;
  int K = L->K;
  int64_t w = L->size[K - 1], n = L->n;
  int64_t outer = L->M / w, nblk = (w + CBLK - 1) / CBLK, items = outer * nblk;
  _Static_assert(sizeof(lt_rval) == sizeof(double), "lt_rval is one double");
  if (!par || items >= nt) {
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
    for (int64_t it = 0; it < items; it++) {
      lt_rval acc[CBLK];
      int64_t aidx[CBLK];
      int64_t o = it / nblk, j0 = (it % nblk) * CBLK, jw = LT_MIN((int64_t)CBLK, w - j0);
      lt_rpos pos;
      lt_rpos_seek(L, K - 1, o, &pos);
      int64_t ob = o * w + j0;
      rows_block(P, pos.ioff + j0, 0, n, jw, P->c ? P->c + ob : NULL, acc, aidx);
      memcpy(P->val + ob, acc, sizeof(lt_rval) * jw);
      if (P->idx) memcpy(P->idx + ob, aidx, sizeof(int64_t) * jw);
    }
    return;
  }
  /* few column blocks: split the reduced dim too, then merge the partial columns */
  int64_t S = LT_MIN((nt + items - 1) / items, n);
  lt_rval *pv = malloc(sizeof(lt_rval) * CBLK * items * S);
  int64_t *pi = malloc(sizeof(int64_t) * CBLK * items * S);
  if (!pv || !pi) {   /* no scratch: do it in one thread */
    free(pv); free(pi);
    run_rows(P, false, 1);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t q = 0; q < items * S; q++) {
    int64_t it = q / S, s = q % S;
    int64_t o = it / nblk, j0 = (it % nblk) * CBLK, jw = LT_MIN((int64_t)CBLK, w - j0);
    lt_rpos pos;
    lt_rpos_seek(L, K - 1, o, &pos);
    int64_t ob = o * w + j0;
    rows_block(P, pos.ioff + j0, n * s / S, n * (s + 1) / S, jw, P->c ? P->c + ob : NULL,
               pv + q * CBLK, pi + q * CBLK);
  }
  for (int64_t it = 0; it < items; it++) {
    int64_t o = it / nblk, j0 = (it % nblk) * CBLK, jw = LT_MIN((int64_t)CBLK, w - j0);
    lt_rval *a = pv + it * S * CBLK;
    int64_t *ai = pi + it * S * CBLK;
    for (int64_t s = 1; s < S; s++)
      for (int64_t j = 0; j < jw; j++) {
        if (P->fl) merge_d(P->kind, &a[j].d, &ai[j], a[s * CBLK + j].d, ai[s * CBLK + j]);
        else merge_i(P->kind, &a[j].i, &ai[j], a[s * CBLK + j].i, ai[s * CBLK + j]);
      }
    int64_t ob = o * w + j0;
    memcpy(P->val + ob, a, sizeof(lt_rval) * jw);
    if (P->idx) memcpy(P->idx + ob, ai, sizeof(int64_t) * jw);
  }
  free(pv);
  free(pi);
}

void lt_rpass_run(const lt_rpass *P) {
  const lt_rlayout *L = P->L;
  if (L->M == 0) return;
  int nt = lt_threads();
  bool par = nt > 1 && (double)L->M * (double)L->n >= LT_PARALLEL_GRAIN;
  int K = L->K;
  bool rows = K >= 1 && L->istr[K - 1] == 1 && L->sd != 1 && L->size[K - 1] >= 8 && L->n > 1;
  if (rows) run_rows(P, par, nt);
  else run_lines(P, par, nt);
}
