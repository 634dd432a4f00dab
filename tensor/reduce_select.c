/* reduce_select.c: median, kthvalue and mode along the lines of a layout.
 *
 * Each line is gathered into (value, index) pairs ordered by value then index, so ties
 * resolve the same way every time. kthvalue and median use quickselect (with a sort
 * when the partitioning degrades); mode sorts and counts runs. NaN orders after every
 * number (as in PyTorch); median returns NaN (at the first NaN) when the line has one. */
#include "reduce_impl.h"
#include <math.h>

typedef struct { double v; int64_t i; } pair_d;
typedef struct { int64_t v; int64_t i; } pair_i;

static inline bool less_d(const pair_d *a, const pair_d *b) {
  bool an = a->v != a->v, bn = b->v != b->v;
  if (an || bn) return an ? (bn && a->i < b->i) : true;
  return a->v < b->v || (a->v == b->v && a->i < b->i);
}
static inline bool less_i(const pair_i *a, const pair_i *b) {
  return a->v < b->v || (a->v == b->v && a->i < b->i);
}
static int cmp_d(const void *a, const void *b) {
  return less_d(a, b) ? -1 : less_d(b, a) ? 1 : 0;
}
static int cmp_i(const void *a, const void *b) {
  return less_i(a, b) ? -1 : less_i(b, a) ? 1 : 0;
}
static inline bool same_d(double a, double b) { return a == b || (a != a && b != b); }

/* put the element of rank k (0-based) of x[0..n) at x[k] */
#define DEF_SELECT(NAME, T, LESS, CMP)                                            \
  static void NAME(T *x, int64_t n, int64_t k) {                                  \
    int64_t lo = 0, hi = n - 1;                                                   \
    int budget = 8;                                                               \
    for (int64_t m = n; m > 1; m >>= 1) budget += 2;                              \
    while (hi > lo) {                                                             \
      if (--budget < 0) { qsort(x + lo, (size_t)(hi - lo + 1), sizeof(T), CMP); return; } \
      int64_t mid = lo + (hi - lo) / 2;                                           \
      T t;                                                                        \
      if (LESS(&x[mid], &x[lo])) { t = x[mid]; x[mid] = x[lo]; x[lo] = t; }       \
      if (LESS(&x[hi], &x[lo])) { t = x[hi]; x[hi] = x[lo]; x[lo] = t; }          \
      if (LESS(&x[hi], &x[mid])) { t = x[hi]; x[hi] = x[mid]; x[mid] = t; }       \
      T pv = x[mid];                                                              \
      int64_t i = lo, j = hi;                                                     \
      while (i <= j) {                                                            \
        while (LESS(&x[i], &pv)) i++;                                             \
        while (LESS(&pv, &x[j])) j--;                                             \
        if (i <= j) { t = x[i]; x[i] = x[j]; x[j] = t; i++; j--; }                \
      }                                                                           \
      if (k <= j) hi = j;                                                         \
      else if (k >= i) lo = i;                                                    \
      else return;                                                                \
    }                                                                             \
  }
DEF_SELECT(select_d, pair_d, less_d, cmp_d)
DEF_SELECT(select_i, pair_i, less_i, cmp_i)

/* one line of n pairs: the chosen value and index */
static void line_d(pair_d *x, int64_t n, lt_sel_kind kind, int64_t k, double *v, int64_t *ix) {
  if (kind == LT_SEL_MEDIAN) {
    for (int64_t i = 0; i < n; i++)
      if (x[i].v != x[i].v) { *v = x[i].v; *ix = x[i].i; return; }
    k = (n - 1) / 2;
  }
  if (kind != LT_SEL_MODE) {
    select_d(x, n, k);
    *v = x[k].v;
    *ix = x[k].i;
    return;
  }
  qsort(x, (size_t)n, sizeof *x, cmp_d);
  int64_t best = 0, bestn = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (j < n && same_d(x[j].v, x[i].v)) j++;
    if (j - i > bestn) { bestn = j - i; best = j - 1; }
    i = j;
  }
  *v = x[best].v;
  *ix = x[best].i;
}

static void line_i(pair_i *x, int64_t n, lt_sel_kind kind, int64_t k, int64_t *v, int64_t *ix) {
  if (kind == LT_SEL_MEDIAN) k = (n - 1) / 2;
  if (kind != LT_SEL_MODE) {
    select_i(x, n, k);
    *v = x[k].v;
    *ix = x[k].i;
    return;
  }
  qsort(x, (size_t)n, sizeof *x, cmp_i);
  int64_t best = 0, bestn = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (j < n && x[j].v == x[i].v) j++;
    if (j - i > bestn) { bestn = j - i; best = j - 1; }
    i = j;
  }
  *v = x[best].v;
  *ix = x[best].i;
}

int lt_select_lines(const lt_rlayout *L, const char *data, lt_dtype dt, lt_sel_kind kind,
                    int64_t k, char *vals, int64_t *idx) {
  int64_t M = L->M, n = L->n;
  if (M == 0) return 0;
  if (n == 0) LT_FAIL(-1, "%s: cannot reduce an empty dimension",
                      kind == LT_SEL_MEDIAN ? "median" : kind == LT_SEL_KTH ? "kthvalue" : "mode");
  bool fl = lt_rdom_float(dt);
  int64_t es = (int64_t)lt_dtype_size(dt);
  int nt = lt_threads();
  bool par = nt > 1 && M > 1 && (double)M * (double)n >= LT_PARALLEL_GRAIN;
  int failed = 0;
#pragma omp parallel num_threads(nt) if (par)
  {
    void *buf = malloc((size_t)n * sizeof(pair_d));
    if (!buf) __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
#pragma omp for schedule(dynamic, 8)
    for (int64_t m = 0; m < M; m++) {
      if (!buf) continue;
      lt_rpos pos;
      lt_rpos_seek(L, L->K, m, &pos);
      const char *p = data + pos.ioff * es;
      int64_t ix;
      if (fl) {
        pair_d *x = buf;
        double chunk[RBLK];
        for (int64_t b = 0; b < n; b += RBLK) {
          int64_t w = LT_MIN((int64_t)RBLK, n - b);
          lt_rload_d(dt, p + b * L->sd * es, L->sd, w, chunk);
          for (int64_t j = 0; j < w; j++) { x[b + j].v = chunk[j]; x[b + j].i = b + j; }
        }
        double v;
        line_d(x, n, kind, k, &v, &ix);
        lt_rstore_d(dt, vals + m * es, 1, 1, &v);
      } else {
        pair_i *x = buf;
        int64_t chunk[RBLK];
        for (int64_t b = 0; b < n; b += RBLK) {
          int64_t w = LT_MIN((int64_t)RBLK, n - b);
          lt_rload_i(dt, p + b * L->sd * es, L->sd, w, chunk);
          for (int64_t j = 0; j < w; j++) { x[b + j].v = chunk[j]; x[b + j].i = b + j; }
        }
        int64_t v;
        line_i(x, n, kind, k, &v, &ix);
        lt_rstore_i(dt, vals + m * es, 1, 1, &v);
      }
      if (idx) idx[m] = ix;
    }
    free(buf);
  }
  if (failed) LT_FAIL(-1, "%s: out of memory for a line of %lld elements",
                      kind == LT_SEL_MEDIAN ? "median" : kind == LT_SEL_KTH ? "kthvalue" : "mode",
                      (long long)n);
  return 0;
}
