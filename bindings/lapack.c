/* lapack.c: bindings of the LAPACK solvers and factorizations (tensor/lapack.c).
 *
 * Torch7's forms: leading result tensors are optional, and the method form is the
 * function form with the tensor itself first (b:gesv(a) is torch.gesv(b, a);
 * rb:gesv(ra, b, a) is torch.gesv(rb, ra, b, a)).
 *   torch.gesv([resb, resa,] B, A) -> X, LU          torch.solve: the same (PyTorch's)
 *   torch.trtrs([resb, resa,] B, A [, uplo] [, trans] [, diag]) -> X, A
 *   torch.gels([resb, resa,] B, A) -> X, QR
 *   torch.inverse([res,] A)   torch.potrf([res,] A [, uplo])   torch.potri([res,] chol [, uplo])
 *   torch.potrs([res,] B, chol [, uplo])   torch.pstrf([res, piv,] A [, uplo] [, tol]) -> R, piv
 *   torch.cholesky([res,] A [, upper])  (lower by default, PyTorch's)
 *   torch.det(A), torch.logdet(A) -> number; torch.slogdet(A) -> sign, log|det| (0-dim
 *     tensors instead when grad mode is on and A requires grad, as trace and dot) */
#include "lapack_util.h"

/* pushes two results: the tensors at rb/ra (when given, pushed again) or new ones */
static int push2(lua_State *L, int rc, lt_tensor *x, lt_tensor *y, int rbi, int rai) {
  if (rc < 0) return ltb_fail(L);
  ltb_push_result(L, x, rbi);
  ltb_push_result(L, y, rai);
  return 2;
}

typedef int (*two_fn)(lt_tensor *, lt_tensor *, const lt_tensor *, const lt_tensor *, lt_tensor **, lt_tensor **);

/* [resb, resa,] B, A -> X, second */
static int solver(lua_State *L, const char *name, two_fn fn) {
  int nt = lead_tensors(L);
  if (nt != 2 && nt != 4) return usage(L, name, "[resb, resa,] B, A");
  if (lua_gettop(L) > nt) return usage(L, name, "[resb, resa,] B, A and nothing more");
  int o = nt == 4 ? 2 : 0;
  lt_tensor *rb = o ? ltb_totensor(L, 1) : NULL, *ra = o ? ltb_totensor(L, 2) : NULL;
  lt_tensor *x, *y;
  int rc = fn(rb, ra, ltb_totensor(L, o + 1), ltb_totensor(L, o + 2), &x, &y);
  return push2(L, rc, x, y, o ? 1 : 0, o ? 2 : 0);
}
static int l_gesv(lua_State *L) { return solver(L, "gesv", lt_gesv); }
static int l_solve(lua_State *L) { return solver(L, "solve", lt_solve_lu); }
static int l_gels(lua_State *L) { return solver(L, "gels", lt_gels); }

static int l_trtrs(lua_State *L) {
  int nt = lead_tensors(L);
  if (nt != 2 && nt != 4) return usage(L, "trtrs", "[resb, resa,] B, A [, uplo] [, trans] [, diag]");
  int o = nt == 4 ? 2 : 0;
  char uplo = opt_char(L, nt + 1, "UL", 'U', "uplo");
  char trans = opt_char(L, nt + 2, "NT", 'N', "trans");
  char diag = opt_char(L, nt + 3, "NU", 'N', "diag");
  lt_tensor *rb = o ? ltb_totensor(L, 1) : NULL, *ra = o ? ltb_totensor(L, 2) : NULL;
  lt_tensor *x, *y;
  int rc = lt_trtrs(rb, ra, ltb_totensor(L, o + 1), ltb_totensor(L, o + 2), uplo, trans, diag, &x, &y);
  return push2(L, rc, x, y, o ? 1 : 0, o ? 2 : 0);
}

/* [res,] A -> one result */
static int l_inverse(lua_State *L) {
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 2) return usage(L, "inverse", "[res,] A");
  lt_tensor *res = nt == 2 ? ltb_totensor(L, 1) : NULL;
  ltb_push_result(L, lt_inverse(res, ltb_totensor(L, nt)), nt == 2 ? 1 : 0);
  return 1;
}

typedef lt_tensor *(*uplo_fn)(lt_tensor *, const lt_tensor *, char);
static int one_uplo(lua_State *L, const char *name, uplo_fn fn) {
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 2) return usage(L, name, "[res,] A [, 'U' or 'L']");
  char uplo = opt_char(L, nt + 1, "UL", 'U', "uplo");
  lt_tensor *res = nt == 2 ? ltb_totensor(L, 1) : NULL;
  ltb_push_result(L, fn(res, ltb_totensor(L, nt), uplo), nt == 2 ? 1 : 0);
  return 1;
}
static int l_potrf(lua_State *L) { return one_uplo(L, "potrf", lt_potrf); }
static int l_potri(lua_State *L) { return one_uplo(L, "potri", lt_potri); }

static int l_potrs(lua_State *L) {
  int nt = lead_tensors(L);
  if (nt != 2 && nt != 3) return usage(L, "potrs", "[res,] B, chol [, 'U' or 'L']");
  char uplo = opt_char(L, nt + 1, "UL", 'U', "uplo");
  int o = nt == 3 ? 1 : 0;
  lt_tensor *res = o ? ltb_totensor(L, 1) : NULL;
  ltb_push_result(L, lt_potrs(res, ltb_totensor(L, o + 1), ltb_totensor(L, o + 2), uplo), o);
  return 1;
}

static int l_pstrf(lua_State *L) {
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 3) return usage(L, "pstrf", "[res, piv,] A [, 'U' or 'L'] [, tol]");
  char uplo = opt_char(L, nt + 1, "UL", 'U', "uplo");
  double tol = luaL_optnumber(L, nt + 2, -1);
  int o = nt == 3 ? 2 : 0;
  lt_tensor *res = o ? ltb_totensor(L, 1) : NULL, *piv = o ? ltb_totensor(L, 2) : NULL;
  lt_tensor *r, *p;
  int rc = lt_pstrf(res, piv, ltb_totensor(L, o + 1), uplo, tol, &r, &p);
  return push2(L, rc, r, p, o ? 1 : 0, o ? 2 : 0);
}

static int l_cholesky(lua_State *L) {
  int nt = lead_tensors(L);
  if (nt != 1 && nt != 2) return usage(L, "cholesky", "[res,] A [, upper]");
  bool upper = false;
  if (!lua_isnoneornil(L, nt + 1)) {
    luaL_checktype(L, nt + 1, LUA_TBOOLEAN);
    upper = lua_toboolean(L, nt + 1);
  }
  lt_tensor *res = nt == 2 ? ltb_totensor(L, 1) : NULL;
  ltb_push_result(L, lt_cholesky(res, ltb_totensor(L, nt), upper), nt == 2 ? 1 : 0);
  return 1;
}

/* ---- determinants: numbers, or 0-dim tensors when recorded ---- */
static bool recording(const lt_tensor *a) { return lt_grad_enabled() && a->requires_grad; }

/* the value of a 0-dim result as a number (its reference released); a batch's values
 * (a tensor) as they are */
static void push_value(lua_State *L, lt_tensor *t) {
  if (!t) ltb_fail(L);
  if (t->ndim > 0) { ltb_push(L, t); return; }
  double v = lt_get(t, NULL);
  lt_release(t);
  lua_pushnumber(L, v);
}

typedef lt_tensor *(*det_fn)(const lt_tensor *);
static int det_common(lua_State *L, det_fn fn) {
  lt_tensor *a = ltb_checktensor(L, 1);
  if (recording(a)) ltb_push(L, fn(a));
  else push_value(L, fn(a));
  return 1;
}
static int l_det(lua_State *L) { return det_common(L, lt_det); }
static int l_logdet(lua_State *L) { return det_common(L, lt_logdet); }

static int l_slogdet(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *s, *l;
  if (lt_slogdet(a, &s, &l) < 0) return ltb_fail(L);
  if (recording(a)) {
    ltb_push(L, s);
    ltb_push(L, l);
  } else {
    push_value(L, s);
    push_value(L, l);
  }
  return 2;
}

static const luaL_Reg functions[] = {
  {"gesv", l_gesv}, {"solve", l_solve}, {"trtrs", l_trtrs}, {"gels", l_gels},
  {"inverse", l_inverse}, {"potrf", l_potrf}, {"potrs", l_potrs}, {"potri", l_potri},
  {"pstrf", l_pstrf}, {"cholesky", l_cholesky}, {"det", l_det}, {"logdet", l_logdet},
  {"slogdet", l_slogdet}, {NULL, NULL}};

void ltb_open_lapack(lua_State *L) { ltb_register(L, functions, functions); }
