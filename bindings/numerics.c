/* numerics.c: torch.isnan/isinf/isfinite, t:hasNaN()/hasInf(), and autograd's anomaly mode
 * (torch.setDetectAnomaly, torch.isAnomalyEnabled, torch.detectAnomaly). The engine side
 * is tensor/numerics.c. */
#include "lt_lua.h"

/* [res,] t: t:isnan() and torch.isnan(t) return a new ByteTensor; torch.isnan(res, t) and
 * res:isnan(t) write into res (a ByteTensor or BoolTensor), as the comparisons do */
static int mask(lua_State *L, lt_tensor *(*fn)(lt_tensor *, const lt_tensor *)) {
  lt_tensor *res = NULL;
  int resi = 0, i = 1;
  if (lua_gettop(L) >= 2) { res = ltb_checktensor(L, 1); resi = 1; i = 2; }
  lt_tensor *a = ltb_checktensor(L, i);
  ltb_push_result(L, fn(res, a), resi);
  return 1;
}
static int m_isnan(lua_State *L) { return mask(L, lt_isnan); }
static int m_isinf(lua_State *L) { return mask(L, lt_isinf); }
static int m_isfinite(lua_State *L) { return mask(L, lt_isfinite); }

static int has(lua_State *L, int bit) {
  int f = lt_nonfinite(ltb_checktensor(L, 1));
  if (f < 0) return ltb_fail(L);
  lua_pushboolean(L, (f & bit) != 0);
  return 1;
}
static int m_hasNaN(lua_State *L) { return has(L, LT_HAS_NAN); }
static int m_hasInf(lua_State *L) { return has(L, LT_HAS_INF); }

/* torch.setDetectAnomaly(mode [, checkInf=true]): returns the previous mode */
static int f_setDetectAnomaly(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TBOOLEAN);
  bool check_inf = lua_isnoneornil(L, 2) ? true : lua_toboolean(L, 2);
  lua_pushboolean(L, lt_set_detect_anomaly(lua_toboolean(L, 1), check_inf));
  return 1;
}
static int f_isAnomalyEnabled(lua_State *L) {
  lua_pushboolean(L, lt_anomaly_enabled());
  return 1;
}
/* torch.detectAnomaly(f, ...): f(...) with anomaly mode on; its results are returned and
 * the previous mode is restored, also when f raises */
static int f_detectAnomaly(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  bool prev = lt_anomaly_enabled(), prev_inf = lt_anomaly_checks_inf();
  lt_set_detect_anomaly(true, prev ? prev_inf : true);
  int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  lt_set_detect_anomaly(prev, prev_inf);
  if (rc != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}

void ltb_open_numerics(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"isnan", m_isnan}, {"isinf", m_isinf}, {"isfinite", m_isfinite},
    {"hasNaN", m_hasNaN}, {"hasInf", m_hasInf}, {NULL, NULL}};
  static const luaL_Reg functions[] = {
    {"isnan", m_isnan}, {"isinf", m_isinf}, {"isfinite", m_isfinite},
    {"hasNaN", m_hasNaN}, {"hasInf", m_hasInf},
    {"setDetectAnomaly", f_setDetectAnomaly}, {"isAnomalyEnabled", f_isAnomalyEnabled},
    {"detectAnomaly", f_detectAnomaly}, {NULL, NULL}};
  ltb_register(L, methods, functions);
}
