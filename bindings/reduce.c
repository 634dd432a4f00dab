/* reduce.c: bindings of the reductions: sum, mean, prod, max, min, std, var, norm, dist,
 * cumsum, cumprod, median, mode, kthvalue, all, any, logsumexp, argmax, argmin, equal.
 *
 * Torch7's forms: x:sum() and torch.sum(x) give a Lua number (an integer for integer
 * results of integer tensors); x:sum(dim) gives a new tensor keeping dim as size 1;
 * torch.sum(res, x, dim) and res:sum(x, dim) write into res. The ops with indices return
 * values and a LongTensor of 1-based indices, into leading result tensors when given:
 * torch.max(resval, resind, x, dim). A reduction's method form never changes self.
 * torch.max(a, b) / torch.min(a, b) with two tensors are cmax / cmin.
 * While recording (grad mode on, x requiring grad) the whole-tensor forms of the
 * differentiable ops give 0-dim tensors instead of numbers, so that loss:backward() works. */
#include "lt_lua.h"
#include <math.h>

/* "[res,] x": sets res (or NULL) and x, returns x's stack index */
static int lead1(lua_State *L, lt_tensor **res, lt_tensor **x) {
  if (ltb_totensor(L, 1) && ltb_totensor(L, 2)) {
    *res = ltb_totensor(L, 1);
    *x = ltb_totensor(L, 2);
    return 2;
  }
  *res = NULL;
  *x = ltb_checktensor(L, 1);
  return 1;
}

/* "[resval, [resind,]] x": the count of leading tensors before x */
static int lead_vi(lua_State *L, lt_tensor **rv, lt_tensor **ri, lt_tensor **x) {
  int nt = 0;
  while (nt < 3 && ltb_totensor(L, nt + 1)) nt++;
  *rv = *ri = NULL;
  if (nt >= 3) { *rv = ltb_totensor(L, 1); *ri = ltb_totensor(L, 2); *x = ltb_totensor(L, 3); return 3; }
  if (nt == 2) { *rv = ltb_totensor(L, 1); *x = ltb_totensor(L, 2); return 2; }
  *x = ltb_checktensor(L, 1);
  return 1;
}

static bool int_result(lt_reduce_op op, lt_dtype dt) {
  if (op == LT_RARGMAX || op == LT_RARGMIN) return true;
  if (lt_dtype_is_float(dt)) return false;
  return op == LT_RSUM || op == LT_RPROD || op == LT_RMAX || op == LT_RMIN ||
         op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE;
}

/* ops whose whole-tensor result is a 0-dim tensor while recording */
static bool recorded_all(lt_reduce_op op, const lt_tensor *x) {
  return x->requires_grad && lt_grad_enabled() && op != LT_RALL && op != LT_RANY &&
         op != LT_RARGMAX && op != LT_RARGMIN;
}

/* a whole-tensor reduction as a Lua value; while recording (grad mode on and x requires
 * grad), a 0-dim tensor with its gradient function */
static int push_all(lua_State *L, lt_reduce_op op, const lt_tensor *x, double param) {
  if (recorded_all(op, x)) {
    ltb_push(L, lt_reduce_all_tensor(op, x, param));
    return 1;
  }
  if (int_result(op, x->dtype)) {
    int64_t r;
    bool is_int;
    if (lt_reduce_all_int(op, x, param, &r, &is_int) < 0) return ltb_fail(L);
    if (op == LT_RARGMAX || op == LT_RARGMIN) r += 1;
    lua_pushinteger(L, (lua_Integer)r);
    return 1;
  }
  double r;
  if (lt_reduce_all(op, x, param, &r) < 0) return ltb_fail(L);
  if (op == LT_RALL || op == LT_RANY) lua_pushboolean(L, r != 0);
  else lua_pushnumber(L, r);
  return 1;
}


static int need_dim(lua_State *L, int idx, const char *name) {
  return luaL_argerror(L, idx, lua_pushfstring(L, "dimension expected when '%s' writes into a result tensor", name));
}

/* ---- [res,] x [, dim]: sum, mean, prod, logsumexp, all, any, argmax, argmin ---- */
static int plain(lua_State *L, lt_reduce_op op, const char *name) {
  lt_tensor *res, *x;
  int i = lead1(L, &res, &x) + 1;
  if (lua_isnoneornil(L, i)) {
    if (res) return need_dim(L, i, name);
    return push_all(L, op, x, 0);
  }
  int dim = ltb_checkdim(L, i, x->ndim);
  lt_tensor *r = lt_reduce_dim(op, res, NULL, NULL, x, dim, true, 0);
  if (op == LT_RARGMAX || op == LT_RARGMIN) {
    if (r && !(r = ltb_one_based(r))) return ltb_fail(L);
  }
  ltb_push_result(L, r, res ? 1 : 0);
  return 1;
}
static int m_sum(lua_State *L) { return plain(L, LT_RSUM, "sum"); }
static int m_mean(lua_State *L) { return plain(L, LT_RMEAN, "mean"); }
static int m_prod(lua_State *L) { return plain(L, LT_RPROD, "prod"); }
static int m_logsumexp(lua_State *L) { return plain(L, LT_RLOGSUMEXP, "logsumexp"); }
static int m_all(lua_State *L) { return plain(L, LT_RALL, "all"); }
static int m_any(lua_State *L) { return plain(L, LT_RANY, "any"); }
static int m_argmax(lua_State *L) { return plain(L, LT_RARGMAX, "argmax"); }
static int m_argmin(lua_State *L) { return plain(L, LT_RARGMIN, "argmin"); }

/* ---- [res,] x [, dim] [, flag]: std, var (flag true: normalized by n) ---- */
static int stdvar(lua_State *L, lt_reduce_op op, const char *name) {
  lt_tensor *res, *x;
  int i = lead1(L, &res, &x) + 1;
  if (lua_isnoneornil(L, i) || lua_isboolean(L, i)) {
    if (res) return need_dim(L, i, name);
    return push_all(L, op, x, lua_toboolean(L, i) ? 0 : 1);
  }
  int dim = ltb_checkdim(L, i, x->ndim);
  double unbiased = lua_toboolean(L, i + 1) ? 0 : 1;
  ltb_push_result(L, lt_reduce_dim(op, res, NULL, NULL, x, dim, true, unbiased), res ? 1 : 0);
  return 1;
}
static int m_std(lua_State *L) { return stdvar(L, LT_RSTD, "std"); }
static int m_var(lua_State *L) { return stdvar(L, LT_RVAR, "var"); }

/* ---- [res,] x [, p] [, dim] ---- */
static int m_norm(lua_State *L) {
  lt_tensor *res, *x;
  int i = lead1(L, &res, &x) + 1;
  double p = luaL_optnumber(L, i, 2);
  if (lua_isnoneornil(L, i + 1)) {
    if (res) return need_dim(L, i + 1, "norm");
    return push_all(L, LT_RNORM, x, p);
  }
  int dim = ltb_checkdim(L, i + 1, x->ndim);
  ltb_push_result(L, lt_reduce_dim(LT_RNORM, res, NULL, NULL, x, dim, true, p), res ? 1 : 0);
  return 1;
}

/* ---- dist(a, b [, p]): the p-norm of a - b ---- */
static int m_dist(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  double p = luaL_optnumber(L, 3, 2);
  if (!lt_dtype_is_float(a->dtype) || !lt_dtype_is_float(b->dtype))
    return luaL_error(L, "dist: expected floating point tensors, got %s and %s",
                      ltb_typename(a->dtype, a->device), ltb_typename(b->dtype, b->device));
  lt_tensor *d = lt_binary(LT_SUB, NULL, a, b, 1);
  if (!d) return luaL_error(L, "dist: %s", lt_errmsg());
  if (recorded_all(LT_RNORM, d)) {   /* recording: a 0-dim tensor */
    lt_tensor *t = lt_reduce_all_tensor(LT_RNORM, d, p);
    lt_release(d);
    if (!t) return luaL_error(L, "dist: %s", lt_errmsg());
    ltb_push(L, t);
    return 1;
  }
  double r;
  int rc = lt_reduce_all(LT_RNORM, d, p, &r);
  lt_release(d);
  if (rc < 0) return luaL_error(L, "dist: %s", lt_errmsg());
  lua_pushnumber(L, r);
  return 1;
}

/* ---- [res,] x [, dim]: cumsum, cumprod (default dim 1, as Torch7) ---- */
static int cumulative(lua_State *L, bool prod) {
  lt_tensor *res, *x;
  int i = lead1(L, &res, &x) + 1;
  int dim = ltb_optdim(L, i, x->ndim, 0);
  ltb_push_result(L, prod ? lt_cumprod(res, x, dim) : lt_cumsum(res, x, dim), res ? 1 : 0);
  return 1;
}
static int m_cumsum(lua_State *L) { return cumulative(L, false); }
static int m_cumprod(lua_State *L) { return cumulative(L, true); }

/* values and 1-based indices of a reduction over dim, into rv/ri when given */
static int push_vi(lua_State *L, lt_reduce_op op, lt_tensor *rv, lt_tensor *ri, const lt_tensor *x,
                   int dim, double param) {
  lt_tensor *ix = NULL;
  lt_tensor *v = lt_reduce_dim(op, rv, ri, &ix, x, dim, true, param);
  if (!v) return ltb_fail(L);
  ix = ltb_one_based(ix);
  if (!ix) { lt_release(v); return ltb_fail(L); }
  ltb_push_result(L, v, rv ? 1 : 0);
  ltb_push_result(L, ix, ri ? 2 : 0);
  return 2;
}

/* ---- max/min: x -> number; [resval, resind,] x, dim -> values, indices;
 * [res,] a, b (tensors) -> elementwise cmax/cmin ---- */
static int maxmin(lua_State *L, lt_reduce_op op, lt_binary_op bop) {
  int top = lua_gettop(L), nt = 0;
  while (nt < top && ltb_totensor(L, nt + 1)) nt++;
  if (nt >= 2 && nt == top) {
    if (nt == 2) { ltb_push(L, lt_binary(bop, NULL, ltb_totensor(L, 1), ltb_totensor(L, 2), 1)); return 1; }
    if (nt == 3) {
      ltb_push_result(L, lt_binary(bop, ltb_totensor(L, 1), ltb_totensor(L, 2), ltb_totensor(L, 3), 1), 1);
      return 1;
    }
    return luaL_error(L, "bad arguments to '%s' (expected [resval, resind,] tensor [, dim] or [res,] tensor, tensor)",
                      op == LT_RMAX ? "max" : "min");
  }
  lt_tensor *rv, *ri, *x;
  int i = lead_vi(L, &rv, &ri, &x) + 1;
  if (lua_isnoneornil(L, i)) return push_all(L, op, x, 0);
  return push_vi(L, op, rv, ri, x, ltb_checkdim(L, i, x->ndim), 0);
}
static int m_max(lua_State *L) { return maxmin(L, LT_RMAX, LT_MAX); }
static int m_min(lua_State *L) { return maxmin(L, LT_RMIN, LT_MIN); }

/* ---- median: [resval, resind,] x [, dim] -> values, indices (default: the last dim,
 * Torch7's maths.md, like mode and kthvalue) ----
 * ---- mode: [resval, resind,] x [, dim]; kthvalue: [resval, resind,] x, k [, dim] ---- */
static int selection(lua_State *L, lt_reduce_op op) {
  lt_tensor *rv, *ri, *x;
  int i = lead_vi(L, &rv, &ri, &x) + 1;
  double k = 0;
  if (op == LT_RKTHVALUE) {
    lua_Integer kk = luaL_checkinteger(L, i++);
    k = (double)kk;
  }
  int dim = x->ndim == 0 && lua_isnoneornil(L, i) ? 0 : ltb_optdim(L, i, x->ndim, x->ndim - 1);
  return push_vi(L, op, rv, ri, x, dim, k);
}
static int m_median(lua_State *L) { return selection(L, LT_RMEDIAN); }
static int m_mode(lua_State *L) { return selection(L, LT_RMODE); }
static int m_kthvalue(lua_State *L) { return selection(L, LT_RKTHVALUE); }

/* ---- equal(a, b): same size and values ---- */
static int m_equal(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  bool r;
  if (lt_equal(a, b, &r) < 0) return ltb_fail(L);
  lua_pushboolean(L, r);
  return 1;
}

/* ---- histc([res,] t [, bins=100 [, min=0 [, max=0]]]) ---- */
static int m_histc(lua_State *L) {
  lt_tensor *res = NULL;
  int i = 1;
  if (ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); i = 2; }
  lt_tensor *t = ltb_checktensor(L, i);
  lua_Integer bins = luaL_optinteger(L, i + 1, 100);
  if (bins <= 0) return luaL_argerror(L, i + 1, "bins must be positive");
  double lo = luaL_optnumber(L, i + 2, 0), hi = luaL_optnumber(L, i + 3, 0);
  ltb_push_result(L, lt_histc(res, t, bins, lo, hi), res ? 1 : 0);
  return 1;
}

/* ---- torch._reduce(name, x [, dim [, keepdim [, param]]]): the engine's reductions as
 * they are, for tests: without dim a 0-dim tensor (lt_reduce_all_tensor, also the whole
 * median/kthvalue/mode); with dim lt_reduce_dim with the given keepdim, values and
 * (1-based) indices ---- */
static int f_reduce(lua_State *L) {
  static const char *const names[] = {
    "sum", "mean", "prod", "max", "min", "std", "var", "norm", "all", "any", "logsumexp",
    "median", "kthvalue", "mode", "argmax", "argmin", NULL};
  lt_reduce_op op = (lt_reduce_op)luaL_checkoption(L, 1, NULL, names);
  lt_tensor *x = ltb_checktensor(L, 2);
  double param = luaL_optnumber(L, 5, op == LT_RNORM ? 2 : op == LT_RKTHVALUE ? 1 : 0);
  if (lua_isnoneornil(L, 3)) {
    ltb_push(L, lt_reduce_all_tensor(op, x, param));
    return 1;
  }
  int dim = ltb_checkdim(L, 3, x->ndim);
  bool keepdim = lua_toboolean(L, 4);
  lt_tensor *ix = NULL;
  lt_tensor *v = lt_reduce_dim(op, NULL, NULL, &ix, x, dim, keepdim, param);
  if (!v) return ltb_fail(L);
  ltb_push(L, v);
  if (!ix) return 1;
  ltb_push(L, ltb_one_based(ix));
  return 2;
}
static const luaL_Reg test_fns[] = {{"_reduce", f_reduce}, {NULL, NULL}};

static const luaL_Reg fns[] = {
  {"histc", m_histc},
  {"sum", m_sum}, {"mean", m_mean}, {"prod", m_prod}, {"max", m_max}, {"min", m_min},
  {"std", m_std}, {"var", m_var}, {"norm", m_norm}, {"dist", m_dist}, {"cumsum", m_cumsum},
  {"cumprod", m_cumprod}, {"median", m_median}, {"mode", m_mode}, {"kthvalue", m_kthvalue},
  {"all", m_all}, {"any", m_any}, {"logsumexp", m_logsumexp}, {"argmax", m_argmax},
  {"argmin", m_argmin}, {"equal", m_equal},
  {NULL, NULL}};

void ltb_open_reduce(lua_State *L) {
  ltb_register(L, fns, fns);
  ltb_register(L, NULL, test_fns);
}
