/* nn_act.c (bindings): the Lua functions of the nn engine ops in tensor/nn_act.c.
 *
 *   torch.relu([res,] x[, inplace])               torch.threshold([res,] x, th, val[, inplace])
 *   torch.leakyRelu([res,] x[, slope][, inplace])  torch.elu([res,] x[, alpha][, inplace])
 *   torch.gelu([res,] x)   torch.silu([res,] x)    torch.softplus([res,] x[, beta[, threshold]])
 *   torch.hardtanh([res,] x[, min, max][, inplace])   torch.prelu(x, weight)
 *     inplace: write into x and return it; while recording, only into a non-leaf that no
 *     recorded op used yet (its history becomes the activation's), else a new tensor
 *   torch.softmax([res,] x[, dim])  torch.logSoftmax([res,] x[, dim])  (default: the last dim)
 *     x:softmax([dim]), x:logSoftmax([dim]) return new tensors
 *   torch.nllLoss(logp, target[, {weight=, ignoreIndex=, reduction=}])
 *   torch.crossEntropy(x, target[, {weight=, ignoreIndex=, reduction=}])
 *   torch.mseLoss(a, b[, reduction])   torch.l1Loss(a, b[, reduction])
 *   torch.smoothL1Loss(a, b[, reduction[, beta]])   torch.klDiv(logp, target[, reduction])
 *   torch.bceLoss(p, t[, weight][, reduction])
 *   torch.bceWithLogits(x, t[, weight[, posWeight]][, reduction])
 *     reduction: 'mean' (default), 'sum' or 'none'; targets of nll/crossEntropy are 1-based
 *     class indices (a LongTensor, another integer-valued tensor, or a number for 1-D input),
 *     on the input's device (CUDA targets for CUDA inputs) */
#include "lt_lua.h"
#include <math.h>
#include <string.h>

/* [res,] x: the index of x (1 or 2) and res (or NULL) */
static int res_and_x(lua_State *L, lt_tensor **res, lt_tensor **x) {
  if (ltb_totensor(L, 1) && ltb_totensor(L, 2)) {
    *res = ltb_totensor(L, 1);
    *x = ltb_totensor(L, 2);
    return 2;
  }
  *res = NULL;
  *x = ltb_checktensor(L, 1);
  return 1;
}

/* an optional number argument: def when absent (nil or a boolean that follows) */
static double optnum(lua_State *L, int idx, double def) {
  if (lua_isnoneornil(L, idx) || lua_isboolean(L, idx)) return def;
  return luaL_checknumber(L, idx);
}

/* the trailing inplace flag: the first boolean at or after idx */
static bool opt_inplace(lua_State *L, int idx) {
  int top = lua_gettop(L);
  for (int i = idx; i <= top; i++) {
    if (lua_isboolean(L, i)) return lua_toboolean(L, i);
    if (!lua_isnumber(L, i) && !lua_isnil(L, i))
      luaL_argerror(L, i, lua_pushfstring(L, "number or boolean expected, got %s", luaL_typename(L, i)));
  }
  return false;
}

/* x [, nparams numbers with defaults][, inplace] */
static int activation(lua_State *L, lt_act_op op, int nparam, double d0, double d1, bool allow_ip) {
  lt_tensor *res, *x;
  int xi = res_and_x(L, &res, &x);
  double p0 = d0, p1 = d1;
  if (nparam >= 1) p0 = optnum(L, xi + 1, d0);
  if (nparam >= 2) p1 = optnum(L, xi + 2, d1);
  bool ip = false;
  if (allow_ip) ip = opt_inplace(L, xi + 1);
  else if (lua_gettop(L) > xi + nparam && !lua_isnil(L, xi + nparam + 1))
    luaL_argerror(L, xi + nparam + 1, "too many arguments");
  if (ip && res) luaL_argerror(L, 1, "a result tensor and inplace together");
  lt_tensor *out = res;
  int same = res ? 1 : 0;
  /* in place when nothing is recorded, or when x is a non-leaf no recorded op used yet:
   * the write is then recorded and x's history becomes the activation's (PyTorch's relu_);
   * a leaf that requires grad, a view, or a tensor already used keeps its values */
  if (ip && (!(lt_grad_enabled() && x->requires_grad) || (!lt_is_leaf(x) && lt_ag_can_overwrite(x)))) {
    out = x;
    same = xi;
  }
  ltb_push_result(L, lt_activation(op, out, x, p0, p1), same);
  return 1;
}

static int l_relu(lua_State *L) { return activation(L, LT_ACT_RELU, 0, 0, 0, true); }
static int l_leaky(lua_State *L) { return activation(L, LT_ACT_LEAKY_RELU, 1, 0.01, 0, true); }
static int l_elu(lua_State *L) { return activation(L, LT_ACT_ELU, 1, 1, 0, true); }
static int l_gelu(lua_State *L) { return activation(L, LT_ACT_GELU, 0, 0, 0, false); }
static int l_silu(lua_State *L) { return activation(L, LT_ACT_SILU, 0, 0, 0, false); }
static int l_softplus(lua_State *L) { return activation(L, LT_ACT_SOFTPLUS, 2, 1, 20, false); }
static int l_hardtanh(lua_State *L) { return activation(L, LT_ACT_HARDTANH, 2, -1, 1, true); }
static int l_threshold(lua_State *L) {
  int xi = ltb_totensor(L, 1) && ltb_totensor(L, 2) ? 2 : 1;
  luaL_checknumber(L, xi + 1);
  luaL_checknumber(L, xi + 2);
  return activation(L, LT_ACT_THRESHOLD, 2, 0, 0, true);
}

static int l_prelu(lua_State *L) {
  lt_tensor *x = ltb_checktensor(L, 1), *w = ltb_checktensor(L, 2);
  ltb_push(L, lt_prelu(x, w));
  return 1;
}

/* torch._canOverwrite(t): lt_ag_can_overwrite (nn's in-place flags) */
static int l_can_overwrite(lua_State *L) {
  lua_pushboolean(L, lt_ag_can_overwrite(ltb_checktensor(L, 1)));
  return 1;
}

/* torch._refuseLeafWrites(on): nn's forward, while it records; returns the previous setting */
static int l_refuse_leaf_writes(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  lua_pushboolean(L, lt_set_refuse_leaf_writes(lua_toboolean(L, 1)));
  return 1;
}

/* softmax: [res,] x[, dim]; the method form x:softmax([dim]) returns a new tensor */
static int softmax(lua_State *L, bool lg) {
  lt_tensor *res = NULL, *x;
  int xi = 1;
  if (LTB_METHOD(L)) x = ltb_checktensor(L, 1);
  else xi = res_and_x(L, &res, &x);
  int nd = x->ndim;
  int dim = nd == 0 ? (lua_isnoneornil(L, xi + 1) ? 0 : ltb_checkdim(L, xi + 1, 0))
                    : ltb_optdim(L, xi + 1, nd, nd - 1);
  ltb_push_result(L, lt_softmax(res, x, dim, lg), res ? 1 : 0);
  return 1;
}
static int l_softmax(lua_State *L) { return softmax(L, false); }
static int l_logsoftmax(lua_State *L) { return softmax(L, true); }

/* ---- losses ---- */

static lt_loss_reduction check_reduction(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return LT_LOSS_MEAN;
  const char *s = lua_tostring(L, idx);
  if (lua_type(L, idx) != LUA_TSTRING)
    luaL_argerror(L, idx, lua_pushfstring(L, "reduction ('mean', 'sum' or 'none') expected, got %s", luaL_typename(L, idx)));
  if (!strcmp(s, "mean")) return LT_LOSS_MEAN;
  if (!strcmp(s, "sum")) return LT_LOSS_SUM;
  if (!strcmp(s, "none")) return LT_LOSS_NONE;
  luaL_argerror(L, idx, lua_pushfstring(L, "reduction must be 'mean', 'sum' or 'none', got '%s'", s));
  return LT_LOSS_MEAN;
}

/* class targets: 1-based (a tensor of integer values, or a number), checked against C
 * classes, as a 0-based INT64 tensor; ignore (1-based) passes. The result is on the
 * target tensor's device (a number: on xdev, the input's); device targets are checked
 * and converted on a CPU copy (N elements) and moved back. */
static lt_tensor *check_targets(lua_State *L, int idx, int64_t C, int64_t ignore, int xdim, lt_device xdev) {
  lt_tensor *t = ltb_totensor(L, idx), *r;
  lt_device dev = xdev;
  if (!t) {
    if (!lua_isinteger(L, idx) && !(lua_isnumber(L, idx) && floor(lua_tonumber(L, idx)) == lua_tonumber(L, idx)))
      luaL_argerror(L, idx, lua_pushfstring(L, "target: a tensor of class indices or an integer expected, got %s",
                                             luaL_typename(L, idx)));
    if (xdim != 1) luaL_argerror(L, idx, "a number target needs a 1-D input (one sample)");
    r = lt_empty(0, NULL, LT_INT64, lt_cpu());
    if (!r) ltb_fail(L);
    *(int64_t *)lt_data(r) = (int64_t)lua_tonumber(L, idx);
  } else {
    if (t->dtype == LT_BOOL) luaL_argerror(L, idx, "target: class indices expected, got a BoolTensor");
    dev = t->device;
    lt_tensor *tcpu = lt_to_device(t, lt_cpu());   /* t itself (retained) on the CPU */
    if (!tcpu) ltb_fail(L);
    r = tcpu->dtype == LT_INT64 ? lt_clone(tcpu) : lt_to_dtype(tcpu, LT_INT64);
    if (!r) { lt_release(tcpu); ltb_fail(L); }
    if (lt_dtype_is_float(tcpu->dtype)) {   /* must be whole numbers */
      lt_tensor *back = lt_to_dtype(r, tcpu->dtype);
      bool same = false;
      int rc = back ? lt_equal(back, tcpu, &same) : -1;
      lt_release(back);
      lt_release(tcpu);
      if (rc < 0) { lt_release(r); ltb_fail(L); }
      if (!same) { lt_release(r); luaL_argerror(L, idx, "target: class indices must be whole numbers"); }
    } else {
      lt_release(tcpu);
    }
    if (!lt_is_contiguous(r)) {
      lt_tensor *c = lt_clone(r);
      lt_release(r);
      if (!(r = c)) ltb_fail(L);
    }
  }
  int64_t *p = lt_data(r), n = lt_numel(r);
  for (int64_t i = 0; i < n; i++) {
    if (p[i] == ignore) { p[i] = ignore - 1; continue; }
    if (C >= 0 && (p[i] < 1 || p[i] > C)) {
      long long v = (long long)p[i];
      lt_release(r);
      luaL_argerror(L, idx, lua_pushfstring(L, "target %I out of range: the input has %I classes (1 to %I)",
                                             (lua_Integer)v, (lua_Integer)C, (lua_Integer)C));
    }
    p[i] -= 1;
  }
  if (dev.type != LT_CPU) {   /* (r is on the CPU here) */
    lt_tensor *d = lt_to_device(r, dev);
    lt_release(r);
    if (!d) ltb_fail(L);
    r = d;
  }
  return r;
}

/* x, target[, {weight=, ignoreIndex=, reduction=}] */
static int classloss(lua_State *L, bool ce) {
  lt_tensor *x = ltb_checktensor(L, 1);
  lt_tensor *w = NULL;
  lua_Integer ignore = -100;
  lt_loss_reduction red = LT_LOSS_MEAN;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "weight");
    if (!lua_isnil(L, -1)) {
      if (!(w = ltb_totensor(L, -1)))
        luaL_argerror(L, 3, lua_pushfstring(L, "weight: a tensor expected, got %s", luaL_typename(L, -1)));
    }
    lua_getfield(L, 3, "ignoreIndex");
    if (!lua_isnil(L, -1)) {
      if (!lua_isinteger(L, -1)) luaL_argerror(L, 3, "ignoreIndex: an integer expected");
      ignore = lua_tointeger(L, -1);
    }
    lua_getfield(L, 3, "reduction");
    red = check_reduction(L, lua_gettop(L));
    lua_pop(L, 3);   /* w stays referenced by argument 3's table */
  }
  int64_t C = x->ndim == 1 || x->ndim == 2 ? x->size[x->ndim - 1] : -1;
  lt_tensor *t = check_targets(L, 2, C, ignore, x->ndim, x->device);
  lt_tensor *r = ce ? lt_cross_entropy(x, t, w, ignore - 1, red) : lt_nll_loss(x, t, w, ignore - 1, red);
  lt_release(t);
  ltb_push(L, r);
  return 1;
}
static int l_nll(lua_State *L) { return classloss(L, false); }
static int l_ce(lua_State *L) { return classloss(L, true); }

static int l_mse(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  ltb_push(L, lt_mse_loss(a, b, check_reduction(L, 3)));
  return 1;
}
static int l_l1(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  ltb_push(L, lt_l1_loss(a, b, check_reduction(L, 3)));
  return 1;
}
static int l_smoothl1(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  lt_loss_reduction red = check_reduction(L, 3);
  double beta = luaL_optnumber(L, 4, 1.0);
  ltb_push(L, lt_smooth_l1_loss(a, b, red, beta));
  return 1;
}
static int l_kldiv(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  ltb_push(L, lt_kl_div(a, b, check_reduction(L, 3)));
  return 1;
}

/* optional tensor arguments from idx, then an optional reduction string */
static int opt_tensors(lua_State *L, int idx, int max, lt_tensor **ts) {
  int i = idx;
  for (int k = 0; k < max; k++) ts[k] = NULL;
  for (int k = 0; k < max; k++, i++) {
    if (lua_type(L, i) == LUA_TSTRING || lua_isnone(L, i)) break;
    if (lua_isnil(L, i)) continue;
    if (!(ts[k] = ltb_totensor(L, i)))
      luaL_argerror(L, i, lua_pushfstring(L, "tensor, nil or reduction expected, got %s", luaL_typename(L, i)));
  }
  return i;
}
static int l_bce(lua_State *L) {
  lt_tensor *p = ltb_checktensor(L, 1), *t = ltb_checktensor(L, 2), *w[1];
  int ri = opt_tensors(L, 3, 1, w);
  ltb_push(L, lt_bce_loss(p, t, w[0], check_reduction(L, ri)));
  return 1;
}
static int l_bcelogits(lua_State *L) {
  lt_tensor *x = ltb_checktensor(L, 1), *t = ltb_checktensor(L, 2), *w[2];
  int ri = opt_tensors(L, 3, 2, w);
  ltb_push(L, lt_bce_with_logits(x, t, w[0], w[1], check_reduction(L, ri)));
  return 1;
}

void ltb_open_nn_act(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"softmax", l_softmax}, {"logSoftmax", l_logsoftmax}, {NULL, NULL}};
  static const luaL_Reg functions[] = {
    {"relu", l_relu}, {"threshold", l_threshold}, {"leakyRelu", l_leaky}, {"elu", l_elu},
    {"gelu", l_gelu}, {"silu", l_silu}, {"softplus", l_softplus}, {"hardtanh", l_hardtanh},
    {"prelu", l_prelu}, {"softmax", l_softmax}, {"logSoftmax", l_logsoftmax},
    {"nllLoss", l_nll}, {"crossEntropy", l_ce}, {"mseLoss", l_mse}, {"l1Loss", l_l1},
    {"smoothL1Loss", l_smoothl1}, {"klDiv", l_kldiv}, {"bceLoss", l_bce},
    {"bceWithLogits", l_bcelogits}, {"_canOverwrite", l_can_overwrite},
    {"_refuseLeafWrites", l_refuse_leaf_writes}, {NULL, NULL}};
  ltb_register(L, methods, functions);
}
