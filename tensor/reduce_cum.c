/* reduce_cum.c: cumulative sums and products along a dimension, and lt_equal.
 *
 * Scans run in double (floating types; float32 is summed in double and rounded once per
 * element) or int64 (integer types, wrapping into the element type on store, as Torch7).
 * Like the reductions, an outer dim of a contiguous tensor is scanned row by row with
 * per-column carries, which vectorizes; otherwise each line is scanned in chunks. On a
 * device, the backend's cumulative and equal entries (tensor/cuda/reduce.cu) do the work. */
#include "reduce_impl.h"
#include "autograd.h"
#include <math.h>

typedef struct {
  const lt_rlayout *L;
  const char *src;
  char *dst;
  lt_dtype dt, odt;
  int64_t es, oes;
  bool fl, prod;
} cumctx;

static void scan_line(const cumctx *C, const char *p, char *q) {
  const lt_rlayout *L = C->L;
  double cd = C->prod ? 1 : 0, bd[RBLK];
  int64_t ci = C->prod ? 1 : 0, bi[RBLK];
  for (int64_t b = 0; b < L->n; b += RBLK) {
    int64_t w = LT_MIN((int64_t)RBLK, L->n - b);
    const char *r = p + b * L->sd * C->es;
    char *o = q + b * L->osd * C->oes;
    if (C->fl) {
      lt_rload_d(C->dt, r, L->sd, w, bd);
      if (C->prod) for (int64_t j = 0; j < w; j++) bd[j] = cd *= bd[j];
      else for (int64_t j = 0; j < w; j++) bd[j] = cd += bd[j];
      lt_rstore_d(C->odt, o, L->osd, w, bd);
    } else {
      lt_rload_i(C->dt, r, L->sd, w, bi);
      if (C->prod) for (int64_t j = 0; j < w; j++) bi[j] = ci *= bi[j];
      else for (int64_t j = 0; j < w; j++) bi[j] = ci += bi[j];
      lt_rstore_i(C->odt, o, L->osd, w, bi);
    }
  }
}

/* rows of a column block of width jw (<= CBLK): input element ib, output element ob; each
 * row is read and written in pieces of RBLK while the carries (one per column) stay in
 * cache */
#define CBLK 2048
static void scan_rows(const cumctx *C, int64_t ib, int64_t ob, int64_t jw) {
  const lt_rlayout *L = C->L;
  double ad[CBLK], bd[RBLK];
  int64_t ai[CBLK], bi[RBLK];
  for (int64_t j = 0; j < jw; j++) { ad[j] = C->prod ? 1 : 0; ai[j] = C->prod ? 1 : 0; }
  for (int64_t k = 0; k < L->n; k++) {
    const char *r = C->src + (ib + k * L->sd) * C->es;
    char *o = C->dst + (ob + k * L->osd) * C->oes;
    for (int64_t j0 = 0; j0 < jw; j0 += RBLK) {
      int64_t w = LT_MIN((int64_t)RBLK, jw - j0);
      if (C->fl) {
        double *a = ad + j0;
        lt_rload_d(C->dt, r + j0 * C->es, 1, w, bd);
        if (C->prod) for (int64_t j = 0; j < w; j++) a[j] *= bd[j];
        else for (int64_t j = 0; j < w; j++) a[j] += bd[j];
        lt_rstore_d(C->odt, o + j0 * C->oes, 1, w, a);
      } else {
        int64_t *a = ai + j0;
        lt_rload_i(C->dt, r + j0 * C->es, 1, w, bi);
        if (C->prod) for (int64_t j = 0; j < w; j++) a[j] *= bi[j];
        else for (int64_t j = 0; j < w; j++) a[j] += bi[j];
        lt_rstore_i(C->odt, o + j0 * C->oes, 1, w, a);
      }
    }
  }
}

static void cum_run(const cumctx *C) {
  const lt_rlayout *L = C->L;
  if (L->M == 0 || L->n == 0) return;
  int nt = lt_threads();
  bool par = nt > 1 && (double)L->M * (double)L->n >= LT_PARALLEL_GRAIN;
  int K = L->K;
  if (K >= 1 && L->istr[K - 1] == 1 && L->ostr[K - 1] == 1 && L->sd != 1 && L->size[K - 1] >= 8 &&
      L->n > 1) {
    int64_t w = L->size[K - 1], outer = L->M / w, cb = CBLK;
    if (par && outer * ((w + cb - 1) / cb) < nt) {   /* narrower blocks to feed every thread */
      int64_t want = (nt + outer - 1) / outer;
      cb = LT_MIN((int64_t)CBLK, LT_MAX((int64_t)64, ((w + want - 1) / want + 7) / 8 * 8));
    }
    int64_t nblk = (w + cb - 1) / cb;
#pragma omp parallel for num_threads(nt) schedule(static) if (par && outer * nblk > 1)
    for (int64_t it = 0; it < outer * nblk; it++) {
      int64_t o = it / nblk, j0 = (it % nblk) * cb;
      lt_rpos pos;
      lt_rpos_seek(L, K - 1, o, &pos);
      scan_rows(C, pos.ioff + j0, pos.ooff + j0, LT_MIN(cb, w - j0));
    }
    return;
  }
  int64_t chunks = par ? LT_MIN(L->M, (int64_t)nt * 4) : 1;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (chunks > 1)
  for (int64_t c = 0; c < chunks; c++) {
    int64_t m0 = L->M * c / chunks, m1 = L->M * (c + 1) / chunks;
    lt_rpos pos;
    lt_rpos_seek(L, L->K, m0, &pos);
    for (int64_t m = m0; m < m1; m++) {
      scan_line(C, C->src + pos.ioff * C->es, C->dst + pos.ooff * C->oes);
      lt_rpos_next(L, L->K, &pos);
    }
  }
}

static lt_tensor *cum(bool prod, lt_tensor *out, const lt_tensor *a, int dim) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_cum(prod, out, a, dim);
  const char *name = prod ? "cumprod" : "cumsum";
  if (lt_check_dim(name, a, dim) < 0) return NULL;
  const lt_backend *be = NULL;
  if (a->device.type != LT_CPU && !(be = lt_backend_for(a->device))) return NULL;
  lt_dtype rdt = a->dtype == LT_BOOL ? LT_INT64 : a->dtype;
  if (lt_rcheck_result(name, "result", out, rdt, a) < 0) return NULL;
  bool direct;
  lt_tensor *o = lt_rtarget(name, out, a, a->ndim, a->size, rdt, &direct);
  if (!o) return NULL;
  if (be) {
    if (!be->cumulative) {
      lt_release(o);
      LT_FAIL(NULL, "%s: not supported on %s", name, lt_devname(a->device));
    }
    if (be->cumulative(prod, o, a, dim) < 0) { lt_release(o); return NULL; }
    lt_bump_version(o);
    return lt_rdeliver(name, out, o, direct);
  }
  lt_rlayout L;
  lt_rlayout_init(&L, a, dim, o->stride);
  cumctx C = {&L, lt_data(a), lt_data(o), a->dtype, rdt, (int64_t)lt_dtype_size(a->dtype),
              (int64_t)lt_dtype_size(rdt), lt_rdom_float(a->dtype), prod};
  cum_run(&C);
  lt_bump_version(o);
  return lt_rdeliver(name, out, o, direct);
}

lt_tensor *lt_cumsum(lt_tensor *out, const lt_tensor *a, int dim) { return cum(false, out, a, dim); }
lt_tensor *lt_cumprod(lt_tensor *out, const lt_tensor *a, int dim) { return cum(true, out, a, dim); }

/* ---- equal ---- */

typedef struct { lt_dtype da, db; bool fl; int eq; } eqctx;

static void eq_loop(char **d, const int64_t *s, int64_t n, void *ctx) {
  eqctx *c = ctx;
  if (!__atomic_load_n(&c->eq, __ATOMIC_RELAXED)) return;
  int64_t sa = s[0] / (int64_t)lt_dtype_size(c->da), sb = s[1] / (int64_t)lt_dtype_size(c->db);
  for (int64_t b = 0; b < n; b += RBLK) {
    int64_t w = LT_MIN((int64_t)RBLK, n - b);
    bool ok = true;
    if (c->fl) {
      double x[RBLK], y[RBLK];
      lt_rload_d(c->da, d[0] + b * s[0], sa, w, x);
      lt_rload_d(c->db, d[1] + b * s[1], sb, w, y);
      for (int64_t i = 0; i < w; i++) ok &= x[i] == y[i];
    } else {
      int64_t x[RBLK], y[RBLK];
      lt_rload_i(c->da, d[0] + b * s[0], sa, w, x);
      lt_rload_i(c->db, d[1] + b * s[1], sb, w, y);
      for (int64_t i = 0; i < w; i++) ok &= x[i] == y[i];
    }
    if (!ok) { __atomic_store_n(&c->eq, 0, __ATOMIC_RELAXED); return; }
  }
}

int lt_equal(const lt_tensor *a, const lt_tensor *b, bool *result) {
  *result = false;
  if (lt_check_same_device("equal", a, b) < 0) return -1;
  int64_t n = lt_numel(a);
  if (!lt_same_size(a, b) || n != lt_numel(b)) return 0;
  if (n == 0) { *result = true; return 0; }
  if (a->device.type != LT_CPU) {
    const lt_backend *be = lt_backend_for(a->device);
    if (!be) return -1;
    if (!be->equal) LT_FAIL(-1, "equal: not supported on %s", lt_devname(a->device));
    return be->equal(a, b, result);
  }
  bool fl = lt_dtype_is_float(a->dtype) || lt_dtype_is_float(b->dtype);
  if (a->dtype == b->dtype && !fl && lt_is_contiguous(a) && lt_is_contiguous(b)) {
    *result = memcmp(lt_data(a), lt_data(b), (size_t)n * lt_dtype_size(a->dtype)) == 0;
    if (a->dtype != LT_BOOL || *result) return 0;   /* bools: 0/1 bytes, but compare values */
  }
  eqctx c = {a->dtype, b->dtype, fl, 1};
  const lt_tensor *ops[2] = {a, b};
  lt_iter it;
  lt_iter_init(&it, 2, ops);
  lt_iter_run(&it, eq_loop, &c, LT_PARALLEL_GRAIN);
  *result = c.eq != 0;
  return 0;
}
