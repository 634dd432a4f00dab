/* lapack_decomp.c: bindings of the LAPACK decompositions (tensor/lapack_decomp.c).
 *
 * Torch7's forms, as bindings/lapack.c: leading result tensors are optional, and the
 * method form is the function form with the tensor itself first (a:svd() is torch.svd(a);
 * ru:svd(rs, rv, a) is torch.svd(ru, rs, rv, a)).
 *   torch.symeig([rese, resv,] A [, 'N' or 'V'] [, 'U' or 'L']) -> e, V (V empty for 'N')
 *   torch.eig([rese, resv,] A [, 'N' or 'V']) -> e (n x 2: real, imaginary), V
 *   torch.svd([resu, ress, resv,] A [, 'S' or 'A']) -> U, S, V   (A = U diag(S) V^T)
 *   torch.qr([resq, resr,] A) -> Q, R     torch.geqrf([resa, restau,] A) -> a, tau
 *   torch.orgqr([res,] a, tau) -> Q       torch.ormqr([res,] a, tau, C [, 'L' or 'R'] [, 'N' or 'T'])
 *   torch.pinverse([res,] A [, rcond])  (PyTorch's; rcond max(m, n) * eps(A's type)) */
#include "lt_lua.h"
#include <float.h>
#include <string.h>

static int lead_tensors(lua_State *L) {
  int n = 0;
  while (ltb_totensor(L, n + 1)) n++;
  return n;
}

static int usage(lua_State *L, const char *name, const char *form) {
  return luaL_error(L, "bad arguments to 'torch.%s' (expected %s)", name, form);
}

/* an optional one-letter option at idx among `allowed` (two letters) */
static char opt_char(lua_State *L, int idx, const char *allowed, char def, const char *what) {
  if (lua_isnoneornil(L, idx)) return def;
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (lua_type(L, idx) != LUA_TSTRING || n != 1 || !strchr(allowed, s[0]))
    luaL_argerror(L, idx, lua_pushfstring(L, "%s must be '%c' or '%c'", what, allowed[0], allowed[1]));
  return s[0];
}

/* nothing may follow the last accepted argument */
static void no_more(lua_State *L, int last, const char *name, const char *form) {
  if (lua_gettop(L) > last) usage(L, name, form);
}

/* the second result of symeig/eig without vectors: the given result tensor (untouched),
 * or an empty tensor (PyTorch's) */
static void push_novectors(lua_State *L, int rvi, const lt_tensor *a) {
  if (rvi) lua_pushvalue(L, rvi);
  else ltb_push(L, lt_new_empty(a->dtype, lt_cpu()));
}

static int l_symeig(lua_State *L) {
  const char *form = "[rese, resv,] A [, 'N' or 'V'] [, 'U' or 'L']";
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 3) return usage(L, "symeig", form);
  char jobz = opt_char(L, nt + 1, "NV", 'N', "jobz");
  char uplo = opt_char(L, nt + 2, "UL", 'U', "uplo");
  no_more(L, nt + 2, "symeig", form);
  int o = nt == 3 ? 2 : 0;
  lt_tensor *a = ltb_totensor(L, o + 1), *e, *v;
  if (lt_symeig(o ? ltb_totensor(L, 1) : NULL, o ? ltb_totensor(L, 2) : NULL, a, jobz == 'V',
                uplo == 'U', &e, &v) < 0)
    return ltb_fail(L);
  ltb_push_result(L, e, o ? 1 : 0);
  if (v) ltb_push_result(L, v, o ? 2 : 0);
  else push_novectors(L, o ? 2 : 0, a);
  return 2;
}

static int l_eig(lua_State *L) {
  const char *form = "[rese, resv,] A [, 'N' or 'V']";
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 3) return usage(L, "eig", form);
  char jobvr = opt_char(L, nt + 1, "NV", 'N', "jobvr");
  no_more(L, nt + 1, "eig", form);
  int o = nt == 3 ? 2 : 0;
  lt_tensor *a = ltb_totensor(L, o + 1), *e, *v;
  if (lt_eig(o ? ltb_totensor(L, 1) : NULL, o ? ltb_totensor(L, 2) : NULL, a, jobvr == 'V', &e,
             &v) < 0)
    return ltb_fail(L);
  ltb_push_result(L, e, o ? 1 : 0);
  if (v) ltb_push_result(L, v, o ? 2 : 0);
  else push_novectors(L, o ? 2 : 0, a);
  return 2;
}

static int l_svd(lua_State *L) {
  const char *form = "[resu, ress, resv,] A [, 'S' or 'A']";
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 4) return usage(L, "svd", form);
  char jobu = opt_char(L, nt + 1, "SA", 'S', "jobu");
  no_more(L, nt + 1, "svd", form);
  int o = nt == 4 ? 3 : 0;
  lt_tensor *u, *s, *v;
  if (lt_svd(o ? ltb_totensor(L, 1) : NULL, o ? ltb_totensor(L, 2) : NULL,
             o ? ltb_totensor(L, 3) : NULL, ltb_totensor(L, o + 1), jobu == 'S', &u, &s, &v) < 0)
    return ltb_fail(L);
  ltb_push_result(L, u, o ? 1 : 0);
  ltb_push_result(L, s, o ? 2 : 0);
  ltb_push_result(L, v, o ? 3 : 0);
  return 3;
}

typedef int (*two_fn)(lt_tensor *, lt_tensor *, const lt_tensor *, lt_tensor **, lt_tensor **);

/* [r1, r2,] A -> two results */
static int two_results(lua_State *L, const char *name, const char *form, two_fn fn) {
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 3) return usage(L, name, form);
  no_more(L, nt, name, form);
  int o = nt == 3 ? 2 : 0;
  lt_tensor *x, *y;
  if (fn(o ? ltb_totensor(L, 1) : NULL, o ? ltb_totensor(L, 2) : NULL, ltb_totensor(L, o + 1),
         &x, &y) < 0)
    return ltb_fail(L);
  ltb_push_result(L, x, o ? 1 : 0);
  ltb_push_result(L, y, o ? 2 : 0);
  return 2;
}
static int l_qr(lua_State *L) { return two_results(L, "qr", "[resq, resr,] A", lt_qr); }
static int l_geqrf(lua_State *L) { return two_results(L, "geqrf", "[resa, restau,] A", lt_geqrf); }

static int l_orgqr(lua_State *L) {
  const char *form = "[res,] a, tau";
  int nt = lead_tensors(L);
  if (nt != 2 && nt != 3) return usage(L, "orgqr", form);
  no_more(L, nt, "orgqr", form);
  int o = nt == 3 ? 1 : 0;
  ltb_push_result(L, lt_orgqr(o ? ltb_totensor(L, 1) : NULL, ltb_totensor(L, o + 1),
                              ltb_totensor(L, o + 2)), o);
  return 1;
}

static int l_ormqr(lua_State *L) {
  const char *form = "[res,] a, tau, C [, 'L' or 'R'] [, 'N' or 'T']";
  int nt = lead_tensors(L);
  if (nt != 3 && nt != 4) return usage(L, "ormqr", form);
  char side = opt_char(L, nt + 1, "LR", 'L', "side");
  char trans = opt_char(L, nt + 2, "NT", 'N', "trans");
  no_more(L, nt + 2, "ormqr", form);
  int o = nt == 4 ? 1 : 0;
  ltb_push_result(L, lt_ormqr(o ? ltb_totensor(L, 1) : NULL, ltb_totensor(L, o + 1),
                              ltb_totensor(L, o + 2), ltb_totensor(L, o + 3), side == 'L',
                              trans == 'T'), o);
  return 1;
}

static int l_pinverse(lua_State *L) {
  const char *form = "[res,] A [, rcond]";
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 2) return usage(L, "pinverse", form);
  /* the default (torch.linalg.pinv's): max(m, n) times the dtype's machine epsilon, so that
   * float32's rounding noise in the singular values is cut off as well as float64's */
  const lt_tensor *a = ltb_totensor(L, nt);
  int64_t mn = a->ndim == 2 ? (a->size[0] > a->size[1] ? a->size[0] : a->size[1]) : 1;
  double rcond = (a->dtype == LT_FLOAT32 ? FLT_EPSILON : DBL_EPSILON) * (double)mn;
  if (!lua_isnoneornil(L, nt + 1)) {
    if (lua_type(L, nt + 1) != LUA_TNUMBER)
      return luaL_argerror(L, nt + 1, lua_pushfstring(L, "rcond must be a number, got %s", luaL_typename(L, nt + 1)));
    rcond = lua_tonumber(L, nt + 1);
  }
  no_more(L, nt + 1, "pinverse", form);
  int o = nt == 2 ? 1 : 0;
  ltb_push_result(L, lt_pinverse(o ? ltb_totensor(L, 1) : NULL, ltb_totensor(L, o + 1), rcond), o);
  return 1;
}

static const luaL_Reg functions[] = {
  {"symeig", l_symeig}, {"eig", l_eig}, {"svd", l_svd}, {"qr", l_qr}, {"geqrf", l_geqrf},
  {"orgqr", l_orgqr}, {"ormqr", l_ormqr}, {"pinverse", l_pinverse}, {NULL, NULL}};

void ltb_open_lapack_decomp(lua_State *L) { ltb_register(L, functions, functions); }
