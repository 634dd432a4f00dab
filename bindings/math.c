/* math.c: pointwise ops (Torch7's method and torch.* forms) and the operators. */
#include "lt_lua.h"
#include <math.h>

static double checkvalue(lua_State *L, int idx) {
  if (lua_isboolean(L, idx)) return lua_toboolean(L, idx);
  return luaL_checknumber(L, idx);
}

/* ---- unary: t:exp() in place, res:exp(src), torch.exp([res,] src) ---- */
static int unary(lua_State *L, lt_unary_op op) {
  lt_tensor *res = NULL, *src;
  int resi = 0;
  if (LTB_METHOD(L)) {
    res = ltb_checktensor(L, 1);
    resi = 1;
    src = lua_isnoneornil(L, 2) ? res : ltb_checktensor(L, 2);
  } else if (ltb_totensor(L, 2)) {
    res = ltb_checktensor(L, 1);
    resi = 1;
    src = ltb_totensor(L, 2);
  } else src = ltb_checktensor(L, 1);
  ltb_push_result(L, lt_unary(op, res, src), resi);
  return 1;
}

#define UNARY_FN(NAME, OP) static int m_##NAME(lua_State *L) { return unary(L, OP); }
UNARY_FN(neg, LT_NEG) UNARY_FN(abs, LT_ABS) UNARY_FN(sign, LT_SIGN) UNARY_FN(exp, LT_EXP)
UNARY_FN(log, LT_LOG) UNARY_FN(log1p, LT_LOG1P) UNARY_FN(expm1, LT_EXPM1) UNARY_FN(sqrt, LT_SQRT)
UNARY_FN(rsqrt, LT_RSQRT) UNARY_FN(sin, LT_SIN) UNARY_FN(cos, LT_COS) UNARY_FN(tan, LT_TAN)
UNARY_FN(asin, LT_ASIN) UNARY_FN(acos, LT_ACOS) UNARY_FN(atan, LT_ATAN) UNARY_FN(sinh, LT_SINH)
UNARY_FN(cosh, LT_COSH) UNARY_FN(tanh, LT_TANH) UNARY_FN(sigmoid, LT_SIGMOID)
UNARY_FN(floor, LT_FLOOR) UNARY_FN(ceil, LT_CEIL) UNARY_FN(round, LT_ROUND) UNARY_FN(trunc, LT_TRUNC)
UNARY_FN(frac, LT_FRAC) UNARY_FN(cinv, LT_CINV) UNARY_FN(log2, LT_LOG2) UNARY_FN(log10, LT_LOG10)
UNARY_FN(exp2, LT_EXP2) UNARY_FN(square, LT_SQUARE) UNARY_FN(logicalNot, LT_NOT)

/* a op x (x op a when reversed) for the number x at idx: a Lua integer exactly, beyond
 * 2^53 too (lt_binary_scalar_int: comparisons exact, arithmetic the exact result's low
 * bits in an integer tensor's type), any other number as a double */
static lt_tensor *with_number(lua_State *L, lt_binary_op op, lt_tensor *res, const lt_tensor *a, int idx,
                              bool reversed) {
  if (lua_isinteger(L, idx)) return lt_binary_scalar_int(op, res, a, lua_tointeger(L, idx), reversed);
  return lt_binary_scalar(op, res, a, checkvalue(L, idx), reversed);
}

/* ---- binary arithmetic ----
 * method:   t:add(n) t:add(u) t:add(n, u)      (first operand t, result into t)
 *           t:add(a, n) t:add(a, b) t:add(a, n, b)   (result into t: Torch7's res form)
 * function: torch.add(a, n|b) torch.add(a, n, b), with a leading result tensor:
 *           torch.add(res, a, n|b), torch.add(res, a, n, b); a may be a number (pow). */
static int arith(lua_State *L, lt_binary_op op, bool alpha_ok) {
  int top = lua_gettop(L);
  lt_tensor *res = NULL, *a = NULL;
  int resi = 0, i;
  int a_num = 0;   /* the stack index of a number first operand (pow's base) */
  if (LTB_METHOD(L)) {
    res = ltb_checktensor(L, 1);
    resi = 1;
    int n = top - 1;
    bool implicit = n == 1 || (n == 2 && lua_type(L, 2) == LUA_TNUMBER && ltb_totensor(L, 3));
    if (n < 1) return luaL_error(L, "bad arguments to '%s' (a number or a tensor expected)", lt_binary_name(op));
    if (implicit) { a = res; i = 2; }
    else { a = ltb_checktensor(L, 2); i = 3; }
  } else {
    lt_tensor *t1 = ltb_totensor(L, 1), *t2;
    if (t1 && top >= 3 && (t2 = ltb_totensor(L, 2))) { res = t1; resi = 1; a = t2; i = 3; }
    else if (op == LT_POW && t1 && top == 3 && lua_type(L, 2) == LUA_TNUMBER && ltb_totensor(L, 3)) {
      /* torch.pow(res, n, t): n^t into res (the man page's form) */
      res = t1; resi = 1; a_num = 2; i = 3;
    }
    else if (t1) { a = t1; i = 2; }
    else if (lua_type(L, 1) == LUA_TNUMBER) { a_num = 1; i = 2; }
    else { a = ltb_checktensor(L, 1); i = 2; }
  }
  int n = top - i + 1;
  lt_tensor *r;
  if (n == 1) {
    lt_tensor *b = ltb_totensor(L, i);
    if (a_num) {
      if (!b) return luaL_typeerror(L, i, "tensor");
      r = with_number(L, op, res, b, a_num, true);
    } else if (b) r = lt_binary(op, res, a, b, 1);
    else if (lua_isinteger(L, i) && !lt_dtype_is_float(a->dtype)) {
      r = lt_binary_scalar_int(op, res, a, lua_tointeger(L, i), false);
    } else if (lua_type(L, i) == LUA_TNUMBER || lua_isboolean(L, i)) {
      double v = checkvalue(L, i);
      /* a negative shift count on an integer tensor gives what a count past the width
       * gives (0; the sign for rshift), as in every type: stored into a ByteTensor's
       * type it would otherwise saturate to 0, no shift at all */
      bool shift = op == LT_LSHIFT || op == LT_RSHIFT;
      if (shift && v < 0 && !lt_dtype_is_float(a->dtype)) v = 64;
      /* float types: Torch7's own definition, a product with 2^n (a quotient for rshift),
       * which autograd records and differentiates */
      if (shift && lt_dtype_is_float(a->dtype)) { v = exp2(v); op = op == LT_LSHIFT ? LT_MUL : LT_DIV; }
      r = lt_binary_scalar(op, res, a, v, false);
    } else return luaL_typeerror(L, i, "number or tensor");
  } else if (n == 2 && alpha_ok && !a_num) {
    double alpha = luaL_checknumber(L, i);
    lt_tensor *b = ltb_checktensor(L, i + 1);
    r = lua_isinteger(L, i) ? lt_binary_alpha_int(op, res, a, b, lua_tointeger(L, i))   /* exact */
                            : lt_binary(op, res, a, b, alpha);
  } else {
    return luaL_error(L, "bad arguments to '%s' (expected %s)", lt_binary_name(op),
                      alpha_ok ? "[res,] tensor, [value,] tensor|number" : "[res,] tensor, tensor|number");
  }
  ltb_push_result(L, r, resi);
  return 1;
}

#define ARITH_FN(NAME, OP, ALPHA) static int m_##NAME(lua_State *L) { return arith(L, OP, ALPHA); }
ARITH_FN(add, LT_ADD, true) ARITH_FN(csub, LT_SUB, true) ARITH_FN(mul, LT_MUL, false)
ARITH_FN(div, LT_DIV, false) ARITH_FN(pow, LT_POW, false) ARITH_FN(fmod, LT_FMOD, false)
ARITH_FN(remainder, LT_REMAINDER, false) ARITH_FN(atan2, LT_ATAN2, false)
ARITH_FN(cmax, LT_MAX, false) ARITH_FN(cmin, LT_MIN, false) ARITH_FN(bitand, LT_BITAND, false)
ARITH_FN(bitor, LT_BITOR, false) ARITH_FN(bitxor, LT_BITXOR, false)
ARITH_FN(lshift, LT_LSHIFT, false) ARITH_FN(rshift, LT_RSHIFT, false)
ARITH_FN(logicalAnd, LT_LOGICAL_AND, false) ARITH_FN(logicalOr, LT_LOGICAL_OR, false)

/* ---- comparisons: t:gt(x) and torch.gt(a, x) return a new ByteTensor;
 * res:gt(a, x) and torch.gt(res, a, x) write into res ---- */
static int compare(lua_State *L, lt_binary_op op) {
  int top = lua_gettop(L);
  lt_tensor *res = NULL;
  int resi = 0, i = 1;
  if (top >= 3) { res = ltb_checktensor(L, 1); resi = 1; i = 2; }
  lt_tensor *a = ltb_checktensor(L, i), *b = ltb_totensor(L, i + 1);
  lt_tensor *r = b ? lt_binary(op, res, a, b, 1) : with_number(L, op, res, a, i + 1, false);
  ltb_push_result(L, r, resi);
  return 1;
}
#define CMP_FN(NAME, OP) static int m_##NAME(lua_State *L) { return compare(L, OP); }
CMP_FN(eq, LT_EQ) CMP_FN(ne, LT_NE) CMP_FN(lt, LT_LT) CMP_FN(le, LT_LE) CMP_FN(gt, LT_GT) CMP_FN(ge, LT_GE)

/* ---- clamp, lerp, addcmul, addcdiv ---- */
static double optbound(lua_State *L, int idx) { return lua_isnoneornil(L, idx) ? NAN : luaL_checknumber(L, idx); }

static int m_clamp(lua_State *L) {
  lt_tensor *res = NULL, *a;
  int resi = 0, i;
  if (ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); resi = 1; a = ltb_totensor(L, 2); i = 3; }
  else if (LTB_METHOD(L)) { res = a = ltb_checktensor(L, 1); resi = 1; i = 2; }
  else { a = ltb_checktensor(L, 1); i = 2; }
  double lo = optbound(L, i), hi = optbound(L, i + 1);
  if (lua_isinteger(L, i) || lua_isinteger(L, i + 1)) {   /* exact, beyond 2^53 too */
    int64_t ilo = lua_tointeger(L, i), ihi = lua_tointeger(L, i + 1);
    bool whole_lo = isnan(lo) || lua_isinteger(L, i), whole_hi = isnan(hi) || lua_isinteger(L, i + 1);
    if (whole_lo && whole_hi) {
      ltb_push_result(L, lt_clamp_int(res, a, isnan(lo) ? NULL : &ilo, isnan(hi) ? NULL : &ihi), resi);
      return 1;
    }
  }
  ltb_push_result(L, lt_clamp(res, a, lo, hi), resi);
  return 1;
}

static int m_lerp(lua_State *L) {
  lt_tensor *res = NULL, *a, *b;
  int resi = 0, i;
  if (ltb_totensor(L, 3)) { res = ltb_checktensor(L, 1); resi = 1; a = ltb_checktensor(L, 2); i = 3; }
  else if (LTB_METHOD(L)) { res = a = ltb_checktensor(L, 1); resi = 1; i = 2; }
  else { a = ltb_checktensor(L, 1); i = 2; }
  b = ltb_checktensor(L, i);
  ltb_push_result(L, lt_lerp(res, a, b, luaL_checknumber(L, i + 1)), resi);
  return 1;
}

static int addc(lua_State *L, bool mul) {
  int top = lua_gettop(L);
  int ntensors = 0;
  for (int k = 1; k <= top; k++) ntensors += ltb_totensor(L, k) != NULL;
  lt_tensor *res = NULL, *a;
  int resi = 0, i;
  if (ntensors == 4) { res = ltb_checktensor(L, 1); resi = 1; a = ltb_checktensor(L, 2); i = 3; }
  else if (LTB_METHOD(L)) { res = a = ltb_checktensor(L, 1); resi = 1; i = 2; }
  else { a = ltb_checktensor(L, 1); i = 2; }
  double v = 1;
  int vi = 0;   /* a Lua integer value's index: exact (lt_addcmul_int) */
  if (lua_type(L, i) == LUA_TNUMBER) { if (lua_isinteger(L, i)) vi = i; v = lua_tonumber(L, i++); }
  lt_tensor *b = ltb_checktensor(L, i), *c = ltb_checktensor(L, i + 1);
  lt_tensor *r;
  if (vi) {
    int64_t iv = lua_tointeger(L, vi);
    r = mul ? lt_addcmul_int(res, a, iv, b, c) : lt_addcdiv_int(res, a, iv, b, c);
  } else r = mul ? lt_addcmul(res, a, v, b, c) : lt_addcdiv(res, a, v, b, c);
  ltb_push_result(L, r, resi);
  return 1;
}
static int m_addcmul(lua_State *L) { return addc(L, true); }
static int m_addcdiv(lua_State *L) { return addc(L, false); }

/* ---- operators: always new tensors ---- */
static int op_binary(lua_State *L, lt_binary_op op) {
  lt_tensor *a = ltb_totensor(L, 1), *b = ltb_totensor(L, 2);
  lt_tensor *r;
  if (a && b) r = lt_binary(op, NULL, a, b, 1);
  else if (a) { luaL_checknumber(L, 2); r = with_number(L, op, NULL, a, 2, false); }
  else if (b) { luaL_checknumber(L, 1); r = with_number(L, op, NULL, b, 1, true); }
  else return luaL_error(L, "tensor operator: a tensor operand expected");
  ltb_push(L, r);
  return 1;
}
static int op_add(lua_State *L) { return op_binary(L, LT_ADD); }
static int op_sub(lua_State *L) { return op_binary(L, LT_SUB); }
static int op_div(lua_State *L) { return op_binary(L, LT_DIV); }
static int op_mod(lua_State *L) { return op_binary(L, LT_REMAINDER); }
static int op_pow(lua_State *L) { return op_binary(L, LT_POW); }
static int op_unm(lua_State *L) { ltb_push(L, lt_unary(LT_NEG, NULL, ltb_checktensor(L, 1))); return 1; }

/* a * b: scalar product by a number or a 0-dim tensor; between tensors Torch7's meaning:
 * 1-D.1-D dot (a number), 2-D x 1-D matrix-vector, 2-D x 2-D matrix product; otherwise matmul */
static int op_mul(lua_State *L) {
  lt_tensor *a = ltb_totensor(L, 1), *b = ltb_totensor(L, 2);
  if (!a || !b) return op_binary(L, LT_MUL);
  /* a 0-dim tensor (a recorded loss, a reduction's result) is a scalar factor, as the
   * number it stands for without grad: elementwise, broadcast, recorded when needed */
  if ((a->ndim == 0 && a->storage) || (b->ndim == 0 && b->storage)) return op_binary(L, LT_MUL);
  if (a->ndim == 1 && b->ndim == 1) {
    if (lt_grad_enabled() && (a->requires_grad || b->requires_grad)) {   /* recorded: a 0-dim tensor */
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
  if (a->ndim == 2 && b->ndim == 1) { ltb_push(L, lt_mv(NULL, a, b)); return 1; }
  if (a->ndim == 2 && b->ndim == 2) { ltb_push(L, lt_mm(NULL, a, b)); return 1; }
  ltb_push(L, lt_matmul(NULL, a, b));
  return 1;
}

/* a < b, a <= b with one-element tensors (a loss, a 0-dim result) and numbers; elementwise
 * comparisons are methods (t:lt(x)), since Lua's < must give a boolean */
static double compare_operand(lua_State *L, int idx, const char *op) {
  lt_tensor *t = ltb_totensor(L, idx);
  if (!t) return luaL_checknumber(L, idx);
  if (lt_numel(t) != 1)
    luaL_error(L, "attempt to compare a tensor of %d elements with %s (use t:%s(x) for an elementwise comparison)",
               (int)lt_numel(t), op, op[1] == '=' ? "le" : "lt");
  lt_tensor *c = lt_to_device(t, lt_cpu());
  if (!c) ltb_fail(L);
  int64_t idx0[LT_MAXDIM] = {0};
  double v = lt_get(c, idx0);
  lt_release(c);
  return v;
}
static int op_lt(lua_State *L) { lua_pushboolean(L, compare_operand(L, 1, "<") < compare_operand(L, 2, "<")); return 1; }
static int op_le(lua_State *L) { lua_pushboolean(L, compare_operand(L, 1, "<=") <= compare_operand(L, 2, "<=")); return 1; }

/* 'loss ' .. t: a tensor joins strings as text, so Torch7 logging code keeps working under
 * autograd: a 0-dim tensor (a recorded loss) as its number, any other tensor as its
 * one-line summary "[torch.FloatTensor of size 2x3]" (tostring(t) gives the elements).
 * Built in C, calling no Lua function: under Lua 5.4.4 a __concat that called back into
 * Lua (luaL_tolstring -> __tostring) crashed th in chains a .. b .. c while the collector
 * ran often (test_autograd_edges.lua: concat_chain_under_gc) */
static void concat_operand(lua_State *L, int idx) {
  lt_tensor *t = ltb_totensor(L, idx);
  if (!t) {
    int ty = lua_type(L, idx);
    if (ty != LUA_TSTRING && ty != LUA_TNUMBER)
      luaL_error(L, "attempt to concatenate a tensor with a %s value (a string, number or tensor expected)",
                 luaL_typename(L, idx));
    lua_pushvalue(L, idx);
    lua_tolstring(L, -1, NULL);   /* a number becomes its usual text, in the copy */
    return;
  }
  const char *name = ltb_typename(t->dtype, t->device);
  if (t->ndim == 0 && t->storage) {
    /* its number, as t:item() and tostring(t) give it */
    lt_tensor *c = lt_to_device(t, lt_cpu());
    if (!c) ltb_fail(L);
    int64_t at[LT_MAXDIM] = {0};
    double v = lt_get(c, at);
    lt_release(c);
    if (lt_dtype_is_float(t->dtype)) lua_pushnumber(L, v);
    else lua_pushinteger(L, (lua_Integer)v);
    lua_tolstring(L, -1, NULL);
    return;
  }
  if (t->ndim == 0) { lua_pushfstring(L, "[%s with no dimension]", name); return; }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "[%s of size ", name);
  luaL_addvalue(&b);
  for (int d = 0; d < t->ndim; d++) {
    lua_pushfstring(L, d ? "x%I" : "%I", (lua_Integer)t->size[d]);
    luaL_addvalue(&b);
  }
  luaL_addchar(&b, ']');
  luaL_pushresult(&b);
}
static int op_concat(lua_State *L) {
  concat_operand(L, 1);
  concat_operand(L, 2);
  lua_concat(L, 2);
  return 1;
}

void ltb_set_operators(lua_State *L) {
  static const luaL_Reg ops[] = {
    {"__add", op_add}, {"__sub", op_sub}, {"__mul", op_mul}, {"__div", op_div},
    {"__mod", op_mod}, {"__pow", op_pow}, {"__unm", op_unm}, {"__lt", op_lt}, {"__le", op_le},
    {"__concat", op_concat}, {NULL, NULL}};
  luaL_setfuncs(L, ops, 0);
}

static const luaL_Reg methods[] = {
  {"neg", m_neg}, {"abs", m_abs}, {"sign", m_sign}, {"exp", m_exp}, {"log", m_log},
  {"log1p", m_log1p}, {"expm1", m_expm1}, {"sqrt", m_sqrt}, {"rsqrt", m_rsqrt}, {"sin", m_sin},
  {"cos", m_cos}, {"tan", m_tan}, {"asin", m_asin}, {"acos", m_acos}, {"atan", m_atan},
  {"sinh", m_sinh}, {"cosh", m_cosh}, {"tanh", m_tanh}, {"sigmoid", m_sigmoid},
  {"floor", m_floor}, {"ceil", m_ceil}, {"round", m_round}, {"trunc", m_trunc}, {"frac", m_frac},
  {"cinv", m_cinv}, {"reciprocal", m_cinv}, {"log2", m_log2}, {"log10", m_log10}, {"exp2", m_exp2},
  {"square", m_square}, {"logicalNot", m_logicalNot},
  {"add", m_add}, {"csub", m_csub}, {"mul", m_mul}, {"cmul", m_mul},
  {"div", m_div}, {"cdiv", m_div}, {"pow", m_pow}, {"cpow", m_pow}, {"fmod", m_fmod},
  {"cfmod", m_fmod}, {"remainder", m_remainder}, {"cremainder", m_remainder}, {"atan2", m_atan2},
  {"cmax", m_cmax}, {"cmin", m_cmin}, {"bitand", m_bitand}, {"bitor", m_bitor},
  {"bitxor", m_bitxor}, {"cbitand", m_bitand}, {"cbitor", m_bitor}, {"cbitxor", m_bitxor},
  {"lshift", m_lshift}, {"rshift", m_rshift}, {"clshift", m_lshift}, {"crshift", m_rshift},
  {"logicalAnd", m_logicalAnd}, {"logicalOr", m_logicalOr},
  {"eq", m_eq}, {"ne", m_ne}, {"lt", m_lt}, {"le", m_le}, {"gt", m_gt}, {"ge", m_ge},
  {"clamp", m_clamp}, {"lerp", m_lerp}, {"addcmul", m_addcmul}, {"addcdiv", m_addcdiv},
  {NULL, NULL}};

void ltb_open_math(lua_State *L) { ltb_register(L, methods, methods); }
