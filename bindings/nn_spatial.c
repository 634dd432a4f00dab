/* nn_spatial.c (bindings): the Lua functions of the nn engine ops in tensor/nn_spatial.c.
 *
 *   torch.maxPool2d(input, kW, kH[, dW, dH, padW, padH, ceilMode]) -> output, indices
 *       (indices: LongTensor of 1-based flat positions within each H x W plane, Torch7's)
 *   torch.avgPool2d(input, kW, kH[, dW, dH, padW, padH, ceilMode, countIncludePad])
 *       (dW, dH default to kW, kH; pads to 0; ceilMode false; countIncludePad true)
 *   torch.upsampleNearest2d(input, scale)
 *   torch.pad2d(input, left, right, top, bottom[, value])     negative pads crop
 *   torch.batchNorm(input, runningMean, runningVar, weight, bias[, training, momentum, eps])
 *   torch.dropout(input, [gen,] p[, training, inplace, scale]) -> output, mask
 *   torch.spatialDropout(input, [gen,] p[, training, inplace, scale]) -> output, mask
 *   torch.embedding(weight, indices)    indices 1-based (LongTensor of any shape, or a table)
 */
#include "lt_lua.h"

static int checkint(lua_State *L, int i, int lo) {
  lua_Integer v = luaL_checkinteger(L, i);
  /* the engine's spatial kernels take int sizes; 2^30 keeps their products in range */
  if (v < lo || v > 1 << 30)
    luaL_argerror(L, i, lua_pushfstring(L, "expected an integer from %d to %d, got %I", lo, 1 << 30, v));
  return (int)v;
}
static int optint(lua_State *L, int i, int lo, int def) {
  return lua_isnoneornil(L, i) ? def : checkint(L, i, lo);
}
static bool optbool(lua_State *L, int i, bool def) {
  if (lua_isnoneornil(L, i)) return def;
  luaL_checktype(L, i, LUA_TBOOLEAN);
  return lua_toboolean(L, i);
}
/* a tensor or nil */
static lt_tensor *opttensor(lua_State *L, int i) {
  if (lua_isnoneornil(L, i)) return NULL;
  return ltb_checktensor(L, i);
}
/* pushes r; when r is the tensor at index same, that value again */
static void push_same(lua_State *L, lt_tensor *r, int same) {
  if (!r) ltb_fail(L);
  if (same && ltb_totensor(L, same) == r) { lt_release(r); lua_pushvalue(L, same); }
  else ltb_push(L, r);
}

static int l_maxPool2d(lua_State *L) {
  lt_tensor *x = ltb_checktensor(L, 1);
  int kW = checkint(L, 2, 1), kH = checkint(L, 3, 1);
  int dW = optint(L, 4, 1, kW), dH = optint(L, 5, 1, kH);
  int padW = optint(L, 6, 0, 0), padH = optint(L, 7, 0, 0);
  bool ceil_mode = optbool(L, 8, false);
  lt_tensor *ix = NULL;
  lt_tensor *y = lt_max_pool2d(x, kW, kH, dW, dH, padW, padH, ceil_mode, &ix);
  if (!y) return ltb_fail(L);
  ltb_push(L, y);
  if (!y->grad_fn) { ltb_push(L, ltb_one_based(ix)); return 2; }
  /* recorded: the 0-based indices are saved for backward, the caller gets a 1-based copy */
  lt_tensor *ix1 = lt_binary_scalar(LT_ADD, NULL, ix, 1, false);
  lt_release(ix);
  ltb_push(L, ix1);
  return 2;
}

static int l_avgPool2d(lua_State *L) {
  lt_tensor *x = ltb_checktensor(L, 1);
  int kW = checkint(L, 2, 1), kH = checkint(L, 3, 1);
  int dW = optint(L, 4, 1, kW), dH = optint(L, 5, 1, kH);
  int padW = optint(L, 6, 0, 0), padH = optint(L, 7, 0, 0);
  bool ceil_mode = optbool(L, 8, false), cip = optbool(L, 9, true);
  ltb_push(L, lt_avg_pool2d(x, kW, kH, dW, dH, padW, padH, ceil_mode, cip));
  return 1;
}

static int l_upsampleNearest2d(lua_State *L) {
  lt_tensor *x = ltb_checktensor(L, 1);
  int s = checkint(L, 2, 1);
  ltb_push(L, lt_upsample_nearest2d(x, s));
  return 1;
}

static int l_pad2d(lua_State *L) {
  lt_tensor *x = ltb_checktensor(L, 1);
  lua_Integer p[4];
  for (int i = 0; i < 4; i++) {
    p[i] = luaL_checkinteger(L, i + 2);
    if (p[i] < -(1LL << 40) || p[i] > (1LL << 40)) luaL_argerror(L, i + 2, "padding out of range");
  }
  double v = luaL_optnumber(L, 6, 0);
  ltb_push(L, lt_pad2d(x, p[0], p[1], p[2], p[3], v));
  return 1;
}

static int l_batchNorm(lua_State *L) {
  lt_tensor *x = ltb_checktensor(L, 1);
  lt_tensor *rm = opttensor(L, 2), *rv = opttensor(L, 3);
  lt_tensor *w = opttensor(L, 4), *b = opttensor(L, 5);
  bool training = optbool(L, 6, false);
  double momentum = luaL_optnumber(L, 7, 0.1), eps = luaL_optnumber(L, 8, 1e-5);
  if (!(eps >= 0)) luaL_argerror(L, 8, "eps must be non-negative");
  ltb_push(L, lt_batch_norm(x, rm, rv, w, b, training, momentum, eps));
  return 1;
}

static int dropout_common(lua_State *L, bool spatial) {
  lt_generator *g = ltb_opt_generator(L);   /* torch.dropout(input, gen, p ...): its own stream */
  lt_tensor *x = ltb_checktensor(L, 1);
  double p = luaL_checknumber(L, 2);
  if (!(p >= 0 && p <= 1)) luaL_argerror(L, 2, "p must be in [0, 1]");
  bool training = optbool(L, 3, true), inplace = optbool(L, 4, false), scale = optbool(L, 5, true);
  lt_tensor *mask = NULL;
  lt_tensor *y = lt_dropout(x, g, p, training, spatial, inplace, scale, &mask);
  push_same(L, y, 1);
  if (mask) ltb_push(L, mask);
  else lua_pushnil(L);
  return 2;
}
static int l_dropout(lua_State *L) { return dropout_common(L, false); }
static int l_spatialDropout(lua_State *L) { return dropout_common(L, true); }

static int l_embedding(lua_State *L) {
  lt_tensor *w = ltb_checktensor(L, 1);
  if (w->ndim != 2) luaL_argerror(L, 1, "weight must be a 2-D tensor (n x dim)");
  lt_tensor *ix = ltb_checkindices(L, 2);   /* 0-based now */
  int64_t n = lt_numel(ix), rows = w->size[0];
  /* checked here for the 1-based message; indices on a GPU are read back for it */
  lt_tensor *h = ix->device.type == LT_CPU ? NULL : lt_to_device(ix, lt_cpu());
  lt_tensor *c = ix->device.type == LT_CPU ? lt_contiguous(ix) : h ? lt_contiguous(h) : NULL;
  lt_release(h);
  if (!c) { lt_release(ix); return ltb_fail(L); }
  const int64_t *d = lt_data(c);
  for (int64_t i = 0; i < n; i++)
    if (d[i] < 0 || d[i] >= rows) {
      long long bad = (long long)d[i] + 1;
      lt_release(c);
      lt_release(ix);
      return luaL_error(L, "embedding: index %I out of range [1, %I]", (lua_Integer)bad, (lua_Integer)rows);
    }
  lt_release(c);
  lt_tensor *r = lt_embedding(w, ix);
  lt_release(ix);
  ltb_push(L, r);
  return 1;
}

void ltb_open_nn_spatial(lua_State *L) {
  static const luaL_Reg functions[] = {
    {"maxPool2d", l_maxPool2d},
    {"avgPool2d", l_avgPool2d},
    {"upsampleNearest2d", l_upsampleNearest2d},
    {"pad2d", l_pad2d},
    {"batchNorm", l_batchNorm},
    {"dropout", l_dropout},
    {"spatialDropout", l_spatialDropout},
    {"embedding", l_embedding},
    {NULL, NULL},
  };
  ltb_register(L, NULL, functions);
}
