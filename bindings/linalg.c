/* linalg.c: bindings of the linear algebra family (tensor/linalg.c), Torch7's forms.
 *
 *   torch.mm([res,] a, b)   res:mm(a, b) (into res)   a:mm(b) (new)      also mv, bmm, ger
 *   torch.matmul([res,] a, b)   a:matmul(b) (new)   res:matmul(a, b)
 *   torch.addmm([res,] [beta,] M, [alpha,] A, B)     beta*M + alpha*A@B
 *   M:addmm([beta,] [alpha,] A, B) (into M; one number is alpha)   res:addmm([beta,] M2, [alpha,] A, B)
 *     the same for addmv, addr, baddbmm, addbmm
 *   torch.dot(a, b) a:dot(b) -> number;  t:trace() -> number (a 0-dim tensor, recorded, when
 *     grad mode is on and an operand requires grad)
 *   torch.diag([res,] t[, k])  torch.tril/triu([res,] t[, k])  t:diag([k]) (new)
 *   torch.cross([res,] a, b[, dim])  a:cross(b[, dim]) (new)  res:cross(a, b[, dim]) */
#include "lt_lua.h"

static bool is_tensor(lua_State *L, int i) { return ltb_totensor(L, i) != NULL; }

/* ---- plain products: [res,] a, b ---- */
typedef lt_tensor *(*prod_fn)(lt_tensor *, const lt_tensor *, const lt_tensor *);

static int product2(lua_State *L, prod_fn fn) {
  lt_tensor *res = NULL, *a, *b;
  int resi = 0;
  if (is_tensor(L, 3) || (LTB_METHOD(L) && lua_gettop(L) >= 3)) {
    res = ltb_checktensor(L, 1);
    resi = 1;
    a = ltb_checktensor(L, 2);
    b = ltb_checktensor(L, 3);
  } else {
    a = ltb_checktensor(L, 1);
    b = ltb_checktensor(L, 2);
  }
  ltb_push_result(L, fn(res, a, b), resi);
  return 1;
}
static int l_mm(lua_State *L) { return product2(L, lt_mm); }
static int l_mv(lua_State *L) { return product2(L, lt_mv); }
static int l_bmm(lua_State *L) { return product2(L, lt_bmm); }
static int l_ger(lua_State *L) { return product2(L, lt_ger); }
static int l_matmul(lua_State *L) { return product2(L, lt_matmul); }

/* ---- the add forms ---- */
typedef lt_tensor *(*add_fn)(lt_tensor *, double, const lt_tensor *, double, const lt_tensor *,
                             const lt_tensor *);

static int usage(lua_State *L, const char *name) {
  if (LTB_METHOD(L))
    return luaL_error(L, "bad arguments to '%s' (expected [beta,] [M,] [alpha,] A, B after the tensor)", name);
  return luaL_error(L, "bad arguments to '%s' (expected [res,] [beta,] M, [alpha,] A, B)", name);
}

static int addprod(lua_State *L, const char *name, add_fn fn) {
  int top = lua_gettop(L), ntens = 0;
  for (int i = 1; i <= top; i++) {
    if (is_tensor(L, i)) ntens++;
    else if (lua_type(L, i) != LUA_TNUMBER)
      return luaL_argerror(L, i, lua_pushfstring(L, "number or tensor expected, got %s", luaL_typename(L, i)));
  }
  lt_tensor *res = NULL, *M = NULL;
  int resi = 0, i = 1;
  double beta = 1, alpha = 1;
  if (LTB_METHOD(L) || ntens == 4) {
    res = ltb_checktensor(L, 1);
    resi = 1;
    i = 2;
    ntens--;
  }
  if (ntens == 2 && LTB_METHOD(L)) {
    /* M is the tensor itself: [beta,] [alpha,] A, B -- a single number is alpha */
    M = res;
    int nnum = top - i + 1 - 2;
    if (nnum == 2) { beta = lua_tonumber(L, i); alpha = lua_tonumber(L, i + 1); i += 2; }
    else if (nnum == 1) { alpha = lua_tonumber(L, i); i++; }
    else if (nnum != 0) return usage(L, name);
  } else if (ntens == 3) {
    if (lua_type(L, i) == LUA_TNUMBER) beta = lua_tonumber(L, i++);
    if (!is_tensor(L, i)) return usage(L, name);
    M = ltb_totensor(L, i++);
    if (lua_type(L, i) == LUA_TNUMBER) alpha = lua_tonumber(L, i++);
  } else return usage(L, name);
  if (i + 1 != top || !is_tensor(L, i) || !is_tensor(L, i + 1)) return usage(L, name);
  lt_tensor *A = ltb_totensor(L, i), *B = ltb_totensor(L, i + 1);
  ltb_push_result(L, fn(res, beta, M, alpha, A, B), resi);
  return 1;
}
static int l_addmm(lua_State *L) { return addprod(L, "addmm", lt_addmm); }
static int l_addmv(lua_State *L) { return addprod(L, "addmv", lt_addmv); }
static int l_addr(lua_State *L) { return addprod(L, "addr", lt_addr); }
static int l_baddbmm(lua_State *L) { return addprod(L, "baddbmm", lt_baddbmm); }
static int l_addbmm(lua_State *L) { return addprod(L, "addbmm", lt_addbmm); }

/* ---- numbers (0-dim tensors when recorded, so that backward can go through them) ---- */
static int l_dot(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  if (lt_grad_enabled() && (a->requires_grad || b->requires_grad)) {
    ltb_push(L, lt_dot_tensor(a, b));
    return 1;
  }
  if (!lt_dtype_is_float(a->dtype)) {   /* exact int64, beyond 2^53 too */
    int64_t iv;
    if (lt_dot_int(a, b, &iv) < 0) return ltb_fail(L);
    lua_pushinteger(L, iv);
    return 1;
  }
  double r;
  if (lt_dot(a, b, &r) < 0) return ltb_fail(L);
  lua_pushnumber(L, r);
  return 1;
}

static int l_trace(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1);
  if (lt_grad_enabled() && a->requires_grad) {
    ltb_push(L, lt_trace_tensor(a));
    return 1;
  }
  if (!lt_dtype_is_float(a->dtype)) {
    int64_t iv;
    if (lt_trace_int(a, &iv) < 0) return ltb_fail(L);
    lua_pushinteger(L, iv);
    return 1;
  }
  double r;
  if (lt_trace(a, &r) < 0) return ltb_fail(L);
  lua_pushnumber(L, r);
  return 1;
}

/* ---- [res,] t[, k]: a method called on t makes a new tensor; res:f(t[, k]) fills res ---- */
typedef lt_tensor *(*diag_fn)(lt_tensor *, const lt_tensor *, int64_t);

static int with_k(lua_State *L, diag_fn fn) {
  lt_tensor *res = NULL, *a;
  int resi = 0, i = 2;
  if (is_tensor(L, 2)) {
    res = ltb_checktensor(L, 1);
    resi = 1;
    a = ltb_totensor(L, 2);
    i = 3;
  } else a = ltb_checktensor(L, 1);
  int64_t k = (int64_t)luaL_optinteger(L, i, 0);
  ltb_push_result(L, fn(res, a, k), resi);
  return 1;
}
static int l_diag(lua_State *L) { return with_k(L, lt_diag); }
static int l_tril(lua_State *L) { return with_k(L, lt_tril); }
static int l_triu(lua_State *L) { return with_k(L, lt_triu); }

static int l_cross(lua_State *L) {
  lt_tensor *res = NULL, *a, *b;
  int resi = 0, i;
  if (is_tensor(L, 3)) {
    res = ltb_checktensor(L, 1);
    resi = 1;
    a = ltb_checktensor(L, 2);
    b = ltb_checktensor(L, 3);
    i = 4;
  } else {
    a = ltb_checktensor(L, 1);
    b = ltb_checktensor(L, 2);
    i = 3;
  }
  int dim = -1;
  if (!lua_isnoneornil(L, i)) dim = ltb_checkdim(L, i, a->ndim > b->ndim ? a->ndim : b->ndim);
  ltb_push_result(L, lt_cross(res, a, b, dim), resi);
  return 1;
}

static const luaL_Reg functions[] = {
  {"mm", l_mm}, {"mv", l_mv}, {"bmm", l_bmm}, {"ger", l_ger}, {"matmul", l_matmul},
  {"addmm", l_addmm}, {"addmv", l_addmv}, {"addr", l_addr}, {"baddbmm", l_baddbmm},
  {"addbmm", l_addbmm}, {"dot", l_dot}, {"trace", l_trace}, {"diag", l_diag},
  {"tril", l_tril}, {"triu", l_triu}, {"cross", l_cross}, {NULL, NULL}};

void ltb_open_linalg(lua_State *L) { ltb_register(L, functions, functions); }
