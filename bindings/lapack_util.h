/* lapack_util.h: argument helpers shared by the LAPACK bindings (bindings/lapack.c,
 * bindings/lapack_decomp.c): Torch7's forms with optional leading result tensors and
 * one-letter options. Static inline: each file takes what it uses. */
#ifndef LTB_LAPACK_UTIL_H
#define LTB_LAPACK_UTIL_H

#include "lt_lua.h"
#include <string.h>

/* how many tensors lead the arguments */
static inline int lead_tensors(lua_State *L) {
  int n = 0;
  while (ltb_totensor(L, n + 1)) n++;
  return n;
}

static inline int usage(lua_State *L, const char *name, const char *form) {
  return luaL_error(L, "bad arguments to 'torch.%s' (expected %s)", name, form);
}

/* an optional one-letter option at idx among `allowed` (two letters, "UL") */
static inline char opt_char(lua_State *L, int idx, const char *allowed, char def, const char *what) {
  if (lua_isnoneornil(L, idx)) return def;
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (lua_type(L, idx) != LUA_TSTRING || n != 1 || !strchr(allowed, s[0]))
    luaL_argerror(L, idx, lua_pushfstring(L, "%s must be '%c' or '%c'", what, allowed[0], allowed[1]));
  return s[0];
}

#endif
