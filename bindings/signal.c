/* signal.c: bindings of tensor/signal.c, Torch7's forms.
 *
 *   torch.conv2([res,] x, k [, 'V' | 'F'])   also xcorr2, conv3, xcorr3 (functions only:
 *     in Torch7 the method form res:conv2(x, k) is the result form)
 *   torch.renorm([res,] x, p, dim, maxnorm)   x:renorm(p, dim, maxnorm) (in place)
 *     res:renorm(x, p, dim, maxnorm)
 *   torch.bhistc([res,] x [, bins [, min, max]])   x:bhistc([bins [, min, max]]) (new) */
#include "lt_lua.h"
#include <string.h>

/* ---- conv2/xcorr2/conv3/xcorr3([res,] x, k [, 'V' | 'F']) ---- */
static int convolve(lua_State *L, int nd, bool flip) {
  lt_tensor *res = NULL;
  int i = 1, resi = 0;
  if (ltb_totensor(L, 1) && ltb_totensor(L, 2) && ltb_totensor(L, 3)) {
    res = ltb_totensor(L, 1);
    resi = 1;
    i = 2;
  }
  lt_tensor *x = ltb_checktensor(L, i), *k = ltb_checktensor(L, i + 1);
  bool full = false;
  if (!lua_isnoneornil(L, i + 2)) {
    const char *mode = luaL_checkstring(L, i + 2);
    if (!strcmp(mode, "F")) full = true;
    else if (strcmp(mode, "V"))
      return luaL_argerror(L, i + 2, lua_pushfstring(L, "'V' (valid) or 'F' (full) expected, got '%s'", mode));
  }
  if (lua_gettop(L) > i + 2)
    return luaL_argerror(L, i + 3, "no more arguments expected ([res,] x, k [, 'V' or 'F'])");
  ltb_push_result(L, lt_convolve(res, x, k, nd, full, flip), resi);
  return 1;
}
static int l_conv2(lua_State *L) { return convolve(L, 2, true); }
static int l_xcorr2(lua_State *L) { return convolve(L, 2, false); }
static int l_conv3(lua_State *L) { return convolve(L, 3, true); }
static int l_xcorr3(lua_State *L) { return convolve(L, 3, false); }

/* ---- renorm([res,] x, p, dim, maxnorm); x:renorm(p, dim, maxnorm) changes x ---- */
static int l_renorm(lua_State *L) {
  lt_tensor *res = NULL, *x;
  int i, resi = 0;
  if (ltb_totensor(L, 2)) {                 /* torch.renorm(res, x, ...) or res:renorm(x, ...) */
    res = ltb_checktensor(L, 1);
    resi = 1;
    x = ltb_checktensor(L, 2);
    i = 3;
  } else {
    x = ltb_checktensor(L, 1);
    if (LTB_METHOD(L)) { res = x; resi = 1; }   /* in place, as Torch7 */
    i = 2;
  }
  double p = luaL_checknumber(L, i);
  int dim = ltb_checkdim(L, i + 1, x->ndim);
  double maxnorm = luaL_checknumber(L, i + 2);
  if (!(p > 0)) return luaL_argerror(L, i, "p must be positive");
  if (!(maxnorm >= 0)) return luaL_argerror(L, i + 2, "maxnorm must be non-negative");
  ltb_push_result(L, lt_renorm(res, x, p, dim, maxnorm), resi);
  return 1;
}

/* ---- bhistc([res,] x [, bins=100 [, min=0, max=0]]) ---- */
static int l_bhistc(lua_State *L) {
  lt_tensor *res = NULL;
  int i = 1;
  if (ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); i = 2; }
  lt_tensor *x = ltb_checktensor(L, i);
  lua_Integer bins = luaL_optinteger(L, i + 1, 100);
  if (bins <= 0) return luaL_argerror(L, i + 1, "bins must be positive");
  if (!lua_isnoneornil(L, i + 2) && lua_isnoneornil(L, i + 3))
    return luaL_argerror(L, i + 3, "max expected after min (give both, or neither for the data's range)");
  double lo = luaL_optnumber(L, i + 2, 0), hi = luaL_optnumber(L, i + 3, 0);
  ltb_push_result(L, lt_bhistc(res, x, bins, lo, hi), res ? 1 : 0);
  return 1;
}

static const luaL_Reg conv_fns[] = {
  {"conv2", l_conv2}, {"xcorr2", l_xcorr2}, {"conv3", l_conv3}, {"xcorr3", l_xcorr3},
  {NULL, NULL}};
static const luaL_Reg both[] = {{"renorm", l_renorm}, {"bhistc", l_bhistc}, {NULL, NULL}};

void ltb_open_signal(lua_State *L) {
  ltb_register(L, NULL, conv_fns);
  ltb_register(L, both, both);
}
