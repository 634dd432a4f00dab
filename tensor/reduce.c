/* reduce.c: the entry points of the reductions (sum, mean, prod, max, min, std, var,
 * norm, all, any, logsumexp, median, kthvalue, mode, argmax, argmin) over all elements or
 * one dimension: checks, result tensors, and the plan of passes of each op.
 *
 * Most ops are one pass of a kind (reduce_pass.c); var/std run K_SUM then K_SQDEV around
 * each line's mean, logsumexp K_MAX then K_EXPSUM around each line's max. A whole-tensor
 * reduction is a pass over the innermost coalesced dim (dims taken in memory order where
 * the op allows) followed by a merge of the lines' states. median, kthvalue and mode go
 * to reduce_select.c. Tensors on a device go to the backend's reduce_all/reduce_dim
 * (tensor/cuda/reduce.cu); what it leaves to the engine (mode of long lines) is computed
 * here on a CPU copy. */
#include "reduce_impl.h"
#include "autograd.h"
#include <math.h>
#include <stdio.h>

static const char *reduce_names[LT_NREDUCE] = {
  "sum", "mean", "prod", "max", "min", "std", "var", "norm", "all", "any", "logsumexp",
  "median", "kthvalue", "mode", "argmax", "argmin"};

/* per-call scratch on the stack up to this many words */
#define SCRATCH 96

/* ---- op plans ---- */

static bool float_only(lt_reduce_op op) {
  return op == LT_RMEAN || op == LT_RSTD || op == LT_RVAR || op == LT_RNORM || op == LT_RLOGSUMEXP;
}

/* the final value of a line from its last pass (double domain); c is the first pass's
 * result for two-pass ops */
static double finish_d(lt_reduce_op op, double v, double c, int64_t n, double param) {
  switch (op) {
  case LT_RMEAN: return v / (double)n;
  case LT_RSTD: case LT_RVAR: {
    double r = v / (double)(n - (param != 0 ? 1 : 0));
    if (n - (param != 0 ? 1 : 0) <= 0) r = NAN;
    return op == LT_RSTD ? sqrt(r) : r;
  }
  case LT_RNORM:
    if (param == 2) return sqrt(v);
    if (lt_norm_kind(param) == K_POW) return pow(v, 1.0 / param);
    return v;
  case LT_RLOGSUMEXP: return isfinite(c) ? c + log(v) : c;
  default: return v;
  }
}

static int check_op(const char *name, lt_reduce_op op, const lt_tensor *a, double param) {
  if (float_only(op) && !lt_dtype_is_float(a->dtype))
    LT_FAIL(-1, "%s: expected a floating point tensor, got %sTensor (convert with :double() or :float())",
            name, lt_dtype_name(a->dtype));
  if (op == LT_RNORM && param != param) LT_FAIL(-1, "norm: p is NaN");
  return 0;
}

/* ---- whole-tensor reductions ---- */

static int reduce_all_impl(lt_reduce_op op, const lt_tensor *a, double param, double *rd,
                           int64_t *ri, bool *is_int);

/* a (not empty, checked) on a device: its backend, or the CPU on a copy where the backend
 * leaves the op to the engine */
static int device_all(lt_reduce_op op, const lt_tensor *a, double param, double *rd, int64_t *ri) {
  const lt_backend *be = lt_backend_for(a->device);
  if (!be) return -1;
  int rc = be->reduce_all ? be->reduce_all(op, a, param, rd, ri) : 1;
  if (rc <= 0) return rc;
  lt_tensor *h = lt_to_device(a, lt_cpu());
  if (!h) return -1;
  bool is_int;
  rc = reduce_all_impl(op, h, param, rd, ri, &is_int);
  lt_release(h);
  return rc;
}

static int select_all(const char *name, lt_reduce_op op, const lt_tensor *a, double param,
                      double *rd, int64_t *ri) {
  int64_t n = lt_numel(a);
  int64_t k = 0;
  if (op == LT_RKTHVALUE) {
    if (param != floor(param) || param < 1 || param > (double)n)
      LT_FAIL(-1, "kthvalue: k %g out of range (expected 1 to %lld)", param, (long long)n);
    k = (int64_t)param - 1;
  }
  if (a->device.type != LT_CPU) return device_all(op, a, param, rd, ri);
  lt_tensor *c = lt_contiguous(a);
  if (!c) return -1;
  lt_tensor flat;
  lt_view_init(&flat, c);
  flat.ndim = 1;
  flat.size[0] = n;
  flat.stride[0] = 1;
  lt_rlayout L;
  lt_rlayout_init(&L, &flat, 0, NULL);
  char val[8];
  int64_t idx;
  lt_sel_kind sk = op == LT_RMEDIAN ? LT_SEL_MEDIAN : op == LT_RKTHVALUE ? LT_SEL_KTH : LT_SEL_MODE;
  int rc = lt_select_lines(&L, lt_data(c), c->dtype, sk, k, val, &idx);
  if (rc == 0) {
    *rd = lt_load(c->dtype, val);
    *ri = lt_load_int(c->dtype, val);
  }
  lt_release(c);
  (void)name;
  return rc;
}

/* the value as a double and, for integer results, as an int64 (*is_int) */
static int reduce_all_impl(lt_reduce_op op, const lt_tensor *a, double param, double *rd,
                           int64_t *ri, bool *is_int) {
  if ((unsigned)op >= LT_NREDUCE) LT_FAIL(-1, "reduce: unknown op %d", (int)op);
  const char *name = reduce_names[op];
  if (check_op(name, op, a, param) < 0) return -1;
  bool fl = lt_rdom_float(a->dtype);
  *is_int = !fl && op != LT_RALL && op != LT_RANY;
  if (op == LT_RARGMAX || op == LT_RARGMIN) *is_int = true;
  int64_t n = lt_numel(a);
  *ri = 0;
  if (n == 0) {
    switch (op) {
    case LT_RSUM: case LT_RNORM: case LT_RANY: *rd = 0; return 0;
    case LT_RPROD: case LT_RALL: *rd = 1; *ri = 1; return 0;
    case LT_RMEAN: case LT_RSTD: case LT_RVAR: *rd = NAN; return 0;
    case LT_RLOGSUMEXP: *rd = -INFINITY; return 0;
    default: LT_FAIL(-1, "%s: cannot reduce an empty tensor (it has no elements)", name);
    }
  }
  if (op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE)
    return select_all(name, op, a, param, rd, ri);
  if (a->device.type != LT_CPU) {
    if (device_all(op, a, param, rd, ri) < 0) return -1;
    if (fl && op != LT_RARGMAX && op != LT_RARGMIN) *ri = (op == LT_RALL || op == LT_RANY) ? *rd != 0 : 0;
    return 0;
  }

  /* a view with size-1 dims dropped, dims merged where memory allows; dims sorted by
   * stride (memory order) unless the op reports a position in the logical order */
  lt_tensor v;
  lt_view_init(&v, a);
  int nd = 0;
  for (int d = 0; d < a->ndim; d++)
    if (a->size[d] != 1) { v.size[nd] = a->size[d]; v.stride[nd] = a->stride[d]; nd++; }
  if (op != LT_RARGMAX && op != LT_RARGMIN) {
    for (int i = 1; i < nd; i++)       /* insertion sort, stable, largest stride first */
      for (int j = i; j > 0 && v.stride[j - 1] < v.stride[j]; j--) {
        int64_t t = v.size[j]; v.size[j] = v.size[j - 1]; v.size[j - 1] = t;
        t = v.stride[j]; v.stride[j] = v.stride[j - 1]; v.stride[j - 1] = t;
      }
  }
  int w = 0;
  for (int d = 1; d < nd; d++) {
    if (v.stride[w] == v.stride[d] * v.size[d]) { v.size[w] *= v.size[d]; v.stride[w] = v.stride[d]; }
    else { w++; v.size[w] = v.size[d]; v.stride[w] = v.stride[d]; }
  }
  v.ndim = nd ? w + 1 : 1;
  if (!nd) { v.size[0] = 1; v.stride[0] = 1; }

  lt_rlayout L;
  lt_rlayout_init(&L, &v, v.ndim - 1, NULL);
  int64_t M = L.M;
  int k2 = lt_second_kind(op);
  lt_rval small[SCRATCH];
  lt_rval *buf = 3 * M <= SCRATCH ? small : malloc(sizeof(lt_rval) * 3 * M);
  if (!buf) LT_FAIL(-1, "%s: out of memory", name);
  lt_rval *val = buf;
  int64_t *idx = &buf[M].i;
  double *cen = &buf[2 * M].d;
  int kind = lt_first_kind(op, param);
  lt_rpass P = {&L, lt_data(a), a->dtype, (int64_t)lt_dtype_size(a->dtype), fl, kind,
             param, NULL, val, idx, false};
  lt_rpass_run(&P);
  /* merge the lines in order; the index becomes a position in the whole tensor */
  lt_rstate s;
  lt_rstate_init(kind, fl, 0, &s);
  for (int64_t m = 0; m < M; m++) {
    lt_rstate b = {fl ? val[m].d : 0, 0, fl ? 0 : val[m].i, m * L.n + idx[m]};
    lt_rstate_merge(kind, fl, &s, &b);
  }
  double first = fl ? s.v + s.comp : (double)s.i;
  int64_t firsti = s.i, firstidx = s.idx;
  double centre = 0;
  if (k2 >= 0) {
    centre = op == LT_RLOGSUMEXP ? first : first / (double)n;
    if (op == LT_RLOGSUMEXP && !isfinite(centre)) {
      *rd = centre;
      if (buf != small) free(buf);
      return 0;
    }
    for (int64_t m = 0; m < M; m++) cen[m] = centre;
    P.kind = k2;
    P.c = cen;
    lt_rpass_run(&P);
    lt_rstate_init(k2, fl, 0, &s);
    for (int64_t m = 0; m < M; m++) { lt_rstate b = {val[m].d, 0, 0, 0}; lt_rstate_merge(k2, fl, &s, &b); }
    first = s.v + s.comp;
  }
  if (buf != small) free(buf);
  if (op == LT_RARGMAX || op == LT_RARGMIN) { *rd = (double)firstidx; *ri = firstidx; return 0; }
  *rd = fl ? finish_d(op, first, centre, n, param) : (double)firsti;
  *ri = firsti;
  if (op == LT_RALL || op == LT_RANY) *ri = *rd != 0;
  return 0;
}

int lt_reduce_all(lt_reduce_op op, const lt_tensor *a, double param, double *result) {
  int64_t ri;
  bool is_int;
  return reduce_all_impl(op, a, param, result, &ri, &is_int);
}

int lt_reduce_all_int(lt_reduce_op op, const lt_tensor *a, double param, int64_t *result,
                      bool *is_int) {
  double rd;
  int rc = reduce_all_impl(op, a, param, &rd, result, is_int);
  if (rc == 0 && !*is_int) *result = 0;
  return rc;
}

/* ---- whole-tensor reductions as 0-dim tensors (recorded when a requires grad) ---- */

static lt_dtype result_dtype(lt_reduce_op op, lt_dtype dt);

lt_tensor *lt_reduce_all_tensor(lt_reduce_op op, const lt_tensor *a, double param) {
  if (LT_AG1(a)) return lt_ag_reduce_all(op, a, param);
  double rd;
  int64_t ri;
  bool is_int;
  if (reduce_all_impl(op, a, param, &rd, &ri, &is_int) < 0) return NULL;
  lt_dtype dt = result_dtype(op, a->dtype);
  lt_tensor *r = lt_empty(0, NULL, dt, a->device);
  if (!r) return NULL;
  char host[16];
  char *p = a->device.type == LT_CPU ? (char *)lt_data(r) : host;
  if (is_int && dt == LT_INT64) memcpy(p, &ri, sizeof ri);
  else lt_store(dt, p, is_int ? (double)ri : rd);
  if (p == host) {
    const lt_backend *be = lt_backend_for(r->device);
    if (!be || be->memcpy(lt_data(r), r->device, host, lt_cpu(), lt_dtype_size(dt)) < 0) {
      lt_release(r);
      return NULL;
    }
  }
  return r;
}

/* ---- reductions over one dimension ---- */

static lt_dtype result_dtype(lt_reduce_op op, lt_dtype dt) {
  switch (op) {
  case LT_RSUM: case LT_RPROD: return dt == LT_BOOL ? LT_INT64 : dt;
  case LT_RALL: case LT_RANY: return dt == LT_BOOL ? LT_BOOL : LT_UINT8;
  case LT_RARGMAX: case LT_RARGMIN: return LT_INT64;
  default: return dt;
  }
}

static bool has_indices(lt_reduce_op op) {
  return op == LT_RMAX || op == LT_RMIN || op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE;
}

int lt_rcheck_result(const char *name, const char *what, const lt_tensor *out, lt_dtype dt,
                     const lt_tensor *a) {
  if (!out) return 0;
  if (out->dtype != dt)
    LT_FAIL(-1, "%s: %s tensor is %sTensor, expected %sTensor", name, what,
            lt_dtype_name(out->dtype), lt_dtype_name(dt));
  if (!lt_same_device(out->device, a->device))
    LT_FAIL(-1, "%s: %s tensor is on %s, expected %s", name, what, lt_devname(out->device),
            lt_devname(a->device));
  /* (a stride-0 dim, several results at one address, is refused by lt_prepare_out once
   * the tensor has the result's shape) */
  return 0;
}

/* a tensor to compute into: out itself when it can be written directly (contiguous after
 * the resize and not sharing memory with the input: another storage can be a view of a's,
 * so the addresses decide too), else a new one; *direct says which */
lt_tensor *lt_rtarget(const char *name, lt_tensor *out, const lt_tensor *a, int nd,
                         const int64_t *size, lt_dtype dt, bool *direct) {
  *direct = false;
  if (out && out != a && out->storage != a->storage) {
    lt_tensor *o = lt_prepare_out(name, out, nd, size, dt, a->device);
    if (!o) return NULL;
    if (lt_is_contiguous(o) && !lt_may_overlap(o, a)) { *direct = true; return o; }
    lt_release(o);
  }
  return lt_empty(nd, size, dt, a->device);
}

/* hand back t (computed) as out's contents when out was not written directly */
lt_tensor *lt_rdeliver(const char *name, lt_tensor *out, lt_tensor *t, bool direct) {
  if (!out || direct) return t;
  lt_tensor *o = lt_prepare_out(name, out, t->ndim, t->size, t->dtype, t->device);
  if (o && lt_copy(o, t) < 0) { lt_release(o); o = NULL; }
  lt_release(t);
  return o;
}

/* compute op over dim into the contiguous vals (and idx) tensors */
static int reduce_dim_into(lt_reduce_op op, const lt_tensor *a, int dim, double param,
                           lt_tensor *vals, lt_tensor *idxt);

/* the same on a device: its backend, or the CPU on copies where the backend leaves the op
 * to the engine */
static int device_dim(lt_reduce_op op, const lt_tensor *a, int dim, double param,
                      lt_tensor *vals, lt_tensor *idxt) {
  const lt_backend *be = lt_backend_for(a->device);
  if (!be) return -1;
  int rc = be->reduce_dim ? be->reduce_dim(op, vals, idxt, a, dim, param) : 1;
  if (rc <= 0) return rc;
  lt_tensor *h = lt_to_device(a, lt_cpu());
  lt_tensor *hv = h ? lt_empty(vals->ndim, vals->size, vals->dtype, lt_cpu()) : NULL;
  lt_tensor *hi = hv && idxt ? lt_empty(idxt->ndim, idxt->size, idxt->dtype, lt_cpu()) : NULL;
  rc = -1;
  if (hv && (hi || !idxt) && reduce_dim_into(op, h, dim, param, hv, hi) == 0 &&
      lt_copy(vals, hv) == 0 && (!idxt || lt_copy(idxt, hi) == 0))
    rc = 0;
  lt_release(h);
  lt_release(hv);
  lt_release(hi);
  return rc;
}

static int reduce_dim_into(lt_reduce_op op, const lt_tensor *a, int dim, double param,
                           lt_tensor *vals, lt_tensor *idxt) {
  const char *name = reduce_names[op];
  if (a->device.type != LT_CPU) return device_dim(op, a, dim, param, vals, idxt);
  lt_rlayout L;
  lt_rlayout_init(&L, a, dim, NULL);
  int64_t M = L.M, n = L.n;
  if (M == 0) return 0;
  bool fl = lt_rdom_float(a->dtype);
  if (op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE) {
    int64_t k = 0;
    if (op == LT_RKTHVALUE) k = (int64_t)param - 1;
    lt_sel_kind sk = op == LT_RMEDIAN ? LT_SEL_MEDIAN : op == LT_RKTHVALUE ? LT_SEL_KTH : LT_SEL_MODE;
    int64_t *ib = idxt ? (int64_t *)lt_data(idxt) : NULL;
    return lt_select_lines(&L, lt_data(a), a->dtype, sk, k, (char *)lt_data(vals), ib);
  }
  /* scratch: the values, the indices when no tensor takes them, the centres of two-pass
   * ops; on the stack when small */
  bool arg = op == LT_RARGMAX || op == LT_RARGMIN;
  bool own_idx = (op == LT_RMAX || op == LT_RMIN) && !idxt;
  int k2 = lt_second_kind(op);
  int64_t words = M * (1 + own_idx + (k2 >= 0));
  lt_rval small[SCRATCH];
  lt_rval *buf = words <= SCRATCH ? small : malloc(sizeof(lt_rval) * words);
  if (!buf) LT_FAIL(-1, "%s: out of memory", name);
  lt_rval *val = buf;
  int64_t *idx = arg ? (int64_t *)lt_data(vals) : own_idx ? &buf[M].i
                 : (op == LT_RMAX || op == LT_RMIN) ? (int64_t *)lt_data(idxt) : NULL;
  double *cen = k2 >= 0 ? &buf[M * (1 + own_idx)].d : NULL;
  int kind = lt_first_kind(op, param);
  lt_rpass P = {&L, lt_data(a), a->dtype, (int64_t)lt_dtype_size(a->dtype), fl, kind,
             param, NULL, val, idx, false};
  if (n > 0) lt_rpass_run(&P);
  else {
    lt_rstate s;
    lt_rstate_init(kind, fl, 0, &s);
    for (int64_t m = 0; m < M; m++) lt_rpass_put(&P, m, &s);
  }
  if (k2 >= 0) {
    for (int64_t m = 0; m < M; m++) cen[m] = op == LT_RLOGSUMEXP ? val[m].d : val[m].d / (double)n;
    P.kind = k2;
    P.c = cen;
    P.fexp = vals->dtype == LT_FLOAT32;
    if (n > 0) lt_rpass_run(&P);
  }
  if (arg) {
    /* the indices are the result, already in place */
  } else if (fl) {
    for (int64_t m = 0; m < M; m++) val[m].d = finish_d(op, val[m].d, cen ? cen[m] : 0, n, param);
    lt_rstore_d(vals->dtype, (char *)lt_data(vals), 1, M, &val[0].d);
  } else {
    lt_rstore_i(vals->dtype, (char *)lt_data(vals), 1, M, &val[0].i);
  }
  if (buf != small) free(buf);
  return 0;
}

lt_tensor *lt_reduce_dim(lt_reduce_op op, lt_tensor *out, lt_tensor *indices_out,
                         lt_tensor **indices, const lt_tensor *a, int dim, bool keepdim,
                         double param) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_reduce_dim(op, out, indices_out, indices, a, dim, keepdim, param);
  if (indices) *indices = NULL;
  if ((unsigned)op >= LT_NREDUCE) LT_FAIL(NULL, "reduce: unknown op %d", (int)op);
  const char *name = reduce_names[op];
  if (check_op(name, op, a, param) < 0) return NULL;
  if (lt_check_dim(name, a, dim) < 0) return NULL;
  int64_t n = a->size[dim];
  if (n == 0 &&
      (op == LT_RMAX || op == LT_RMIN || op == LT_RMEDIAN || op == LT_RKTHVALUE ||
       op == LT_RMODE || op == LT_RARGMAX || op == LT_RARGMIN))
    LT_FAIL(NULL, "%s: cannot reduce over dimension %d of size 0", name, dim + 1);
  if (op == LT_RKTHVALUE && (param != floor(param) || param < 1 || param > (double)n))
    LT_FAIL(NULL, "kthvalue: k %g out of range for dimension %d of size %lld", param, dim + 1,
            (long long)n);
  lt_dtype rdt = result_dtype(op, a->dtype);
  bool want_idx = indices && has_indices(op);
  if (lt_rcheck_result(name, "result", out, rdt, a) < 0) return NULL;
  if (want_idx && lt_rcheck_result(name, "indices", indices_out, LT_INT64, a) < 0) return NULL;

  int64_t size[LT_MAXDIM];
  int nd = 0;
  for (int d = 0; d < a->ndim; d++) {
    if (d == dim) { if (keepdim) size[nd++] = 1; }
    else size[nd++] = a->size[d];
  }
  /* one tensor (or two views of one memory) for values and indices would mix them */
  if (want_idx && out && indices_out &&
      (out == indices_out ||
       (out->storage && out->storage == indices_out->storage &&
        (lt_numel(out) == 0 || lt_numel(indices_out) == 0)) ||
       lt_may_overlap(out, indices_out)))
    LT_FAIL(NULL, "%s: the values and indices results must be different tensors (they share memory)", name);
  bool dv = false, di = false;
  lt_tensor *vals = lt_rtarget(name, out, a, nd, size, rdt, &dv);
  if (!vals) return NULL;
  lt_tensor *idxt = NULL;
  if (want_idx) {
    idxt = lt_rtarget(name, indices_out, a, nd, size, LT_INT64, &di);
    if (!idxt) { lt_release(vals); return NULL; }
  }
  if (reduce_dim_into(op, a, dim, param, vals, idxt) < 0) {
    lt_release(vals);
    lt_release(idxt);
    return NULL;
  }
  lt_bump_version(vals);
  vals = lt_rdeliver(name, out, vals, dv);
  if (!vals) { lt_release(idxt); return NULL; }
  if (want_idx) {
    lt_bump_version(idxt);
    idxt = lt_rdeliver(name, indices_out, idxt, di);
    if (!idxt) { lt_release(vals); return NULL; }
    *indices = idxt;
  }
  return vals;
}
