/* nn_conv.c (bindings): the Lua functions of the nn engine ops in tensor/nn_conv.c.
 *
 *   torch.conv2d(input, weight[, bias][, opts])
 *   torch.convTranspose2d(input, weight[, bias][, opts])
 *     input N x C x H x W (or C x H x W: one sample, the result has no batch dim);
 *     conv2d's weight Cout x C/groups x kH x kW, convTranspose2d's C x Cout/groups x kH x kW;
 *     bias Cout or nil; opts {stride=, padding=, dilation=, groups=} (and outputPadding=
 *     for convTranspose2d), each size a number or {h, w}. Recorded for autograd. */
#include "lt_lua.h"
#include <string.h>

/* opts.key at table index t: a positive/non-negative number or {h, w} into v[2] */
static void opt_pair(lua_State *L, int t, int argn, const char *key, int64_t *v) {
  int ty = lua_type(L, -1);
  if (ty == LUA_TNUMBER) {
    if (!lua_isinteger(L, -1) && lua_tonumber(L, -1) != (double)(int64_t)lua_tonumber(L, -1))
      luaL_argerror(L, argn, lua_pushfstring(L, "opts.%s must be an integer, got %f", key, lua_tonumber(L, -1)));
    v[0] = v[1] = (int64_t)lua_tonumber(L, -1);
    return;
  }
  if (ty == LUA_TTABLE && lua_rawlen(L, -1) == 2) {
    for (int i = 0; i < 2; i++) {
      lua_rawgeti(L, -1, i + 1);
      if (!lua_isinteger(L, -1) &&
          !(lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) == (double)(int64_t)lua_tonumber(L, -1)))
        luaL_argerror(L, argn, lua_pushfstring(L, "opts.%s[%d] must be an integer, got %s", key, i + 1,
                                               luaL_typename(L, -1)));
      v[i] = (int64_t)lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    return;
  }
  (void)t;
  luaL_argerror(L, argn, lua_pushfstring(L, "opts.%s must be a number or a table {h, w}, got %s", key,
                                         ty == LUA_TTABLE ? "a table without 2 entries" : luaL_typename(L, -1)));
}

static void parse_opts(lua_State *L, int t, int argn, bool transposed, lt_conv_opts *o) {
  *o = lt_conv_opts_default();
  lua_pushnil(L);
  while (lua_next(L, t)) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    if (!k) luaL_argerror(L, argn, "opts keys must be strings");
    if (!strcmp(k, "stride")) opt_pair(L, t, argn, k, o->stride);
    else if (!strcmp(k, "padding")) opt_pair(L, t, argn, k, o->padding);
    else if (!strcmp(k, "dilation")) opt_pair(L, t, argn, k, o->dilation);
    else if (transposed && !strcmp(k, "outputPadding")) opt_pair(L, t, argn, k, o->output_padding);
    else if (!strcmp(k, "groups")) {
      if (!lua_isinteger(L, -1) &&
          !(lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) == (double)(int64_t)lua_tonumber(L, -1)))
        luaL_argerror(L, argn, lua_pushfstring(L, "opts.groups must be an integer, got %s", luaL_typename(L, -1)));
      o->groups = (int64_t)lua_tonumber(L, -1);
    } else
      luaL_argerror(L, argn, lua_pushfstring(L, "unknown option '%s' (expected stride, padding, dilation, "
                                             "%sgroups)", k, transposed ? "outputPadding, " : ""));
    lua_pop(L, 1);
  }
}

typedef lt_tensor *(*conv_fn)(const lt_tensor *, const lt_tensor *, const lt_tensor *, const lt_conv_opts *);

static int conv(lua_State *L, conv_fn fn, bool transposed) {
  lt_tensor *x = ltb_checktensor(L, 1), *w = ltb_checktensor(L, 2), *b = NULL;
  int oi = 0;
  int top = lua_gettop(L);
  if (top > 4) luaL_error(L, "%s: too many arguments (expected input, weight[, bias][, opts])",
                          transposed ? "convTranspose2d" : "conv2d");
  if (top >= 3) {
    if (lua_istable(L, 3) && !ltb_totensor(L, 3)) {
      if (top >= 4 && !lua_isnil(L, 4))
        luaL_argerror(L, 3, "tensor or nil expected for the bias (opts come last)");
      oi = 3;
    } else if (!lua_isnil(L, 3)) {
      if (!(b = ltb_totensor(L, 3)))
        luaL_argerror(L, 3, lua_pushfstring(L, "bias: tensor, nil or an options table expected, got %s",
                                            luaL_typename(L, 3)));
    }
  }
  if (top >= 4 && !lua_isnil(L, 4)) {
    if (!lua_istable(L, 4)) luaL_argerror(L, 4, lua_pushfstring(L, "options table expected, got %s", luaL_typename(L, 4)));
    oi = 4;
  }
  lt_conv_opts o = lt_conv_opts_default();
  if (oi) parse_opts(L, oi, oi, transposed, &o);
  ltb_push(L, fn(x, w, b, &o));
  return 1;
}

static int l_conv2d(lua_State *L) { return conv(L, lt_conv2d, false); }
static int l_conv_transpose2d(lua_State *L) { return conv(L, lt_conv_transpose2d, true); }

static const luaL_Reg functions[] = {
  {"conv2d", l_conv2d}, {"convTranspose2d", l_conv_transpose2d}, {NULL, NULL}};

void ltb_open_nn_conv(lua_State *L) { ltb_register(L, NULL, functions); }
