/* nn_rnn.c (bindings): the Lua functions of the fused recurrent cells (tensor/nn_rnn.c).
 *
 *   h1, c1 = torch.lstmCell(x, h, c, wIh, wHh[, bIh, bHh])
 *   h1 = torch.gruCell(x, h, wIh, wHh[, bIh, bHh])
 *
 * wIh may be nil: x is then the input part of the pre-activations (B x 4H or B x 3H).
 * lstmCell's two results are the halves of one B x 2H tensor (recorded narrow views).
 *
 *   steps = torch.unbindSteps(x)   {x[1], ..., x[n]} (views along dim 1) whose gradients are
 *                                  gathered into one tensor for x in backward */
#include "lt_lua.h"
#include <stdlib.h>

/* a tensor at i, or NULL for nil/none when optional */
static lt_tensor *arg_tensor(lua_State *L, int i, bool optional) {
  if (optional && lua_isnoneornil(L, i)) return NULL;
  lt_tensor *t = ltb_totensor(L, i);
  if (!t)
    luaL_argerror(L, i, lua_pushfstring(L, "tensor%s expected, got %s", optional ? " or nil" : "",
                                        luaL_typename(L, i)));
  return t;
}

static int l_lstmCell(lua_State *L) {
  lt_tensor *x = arg_tensor(L, 1, false), *h = arg_tensor(L, 2, false), *c = arg_tensor(L, 3, false);
  lt_tensor *wih = arg_tensor(L, 4, true), *whh = arg_tensor(L, 5, false);
  lt_tensor *bih = arg_tensor(L, 6, true), *bhh = arg_tensor(L, 7, true);
  if (lua_gettop(L) > 7) return luaL_argerror(L, 8, "at most 7 arguments expected");
  lt_tensor *r = lt_lstm_cell(x, h, c, wih, whh, bih, bhh);
  if (!r) return ltb_fail(L);
  int d = r->ndim - 1;
  int64_t H = r->size[d] / 2;
  lt_tensor *h1 = lt_narrow(r, d, 0, H);
  lt_tensor *c1 = h1 ? lt_narrow(r, d, H, H) : NULL;
  lt_release(r);
  if (!c1) { lt_release(h1); return ltb_fail(L); }
  ltb_push(L, h1);
  ltb_push(L, c1);
  return 2;
}

static int l_gruCell(lua_State *L) {
  lt_tensor *x = arg_tensor(L, 1, false), *h = arg_tensor(L, 2, false);
  lt_tensor *wih = arg_tensor(L, 3, true), *whh = arg_tensor(L, 4, false);
  lt_tensor *bih = arg_tensor(L, 5, true), *bhh = arg_tensor(L, 6, true);
  if (lua_gettop(L) > 6) return luaL_argerror(L, 7, "at most 6 arguments expected");
  ltb_push(L, lt_gru_cell(x, h, wih, whh, bih, bhh));
  return 1;
}

static int l_unbindSteps(lua_State *L) {
  lt_tensor *x = arg_tensor(L, 1, false);
  if (lua_gettop(L) > 1) return luaL_argerror(L, 2, "one argument expected");
  if (x->ndim < 1) return luaL_argerror(L, 1, "a tensor of at least 1 dimension expected");
  int64_t n = x->size[0];
  if (n > 100000000) return luaL_argerror(L, 1, "too many steps");
  lt_tensor **steps = malloc(sizeof(lt_tensor *) * (size_t)(n ? n : 1));
  if (!steps) return luaL_error(L, "unbindSteps: out of memory");
  if (lt_unbind_steps(x, steps) < 0) { free(steps); return ltb_fail(L); }
  lua_createtable(L, (int)n, 0);
  for (int64_t k = 0; k < n; k++) {
    ltb_push(L, steps[k]);   /* cannot fail: steps[k] is not NULL */
    lua_rawseti(L, -2, (lua_Integer)(k + 1));
  }
  free(steps);
  return 1;
}

static const luaL_Reg functions[] = {
  {"lstmCell", l_lstmCell}, {"gruCell", l_gruCell}, {"unbindSteps", l_unbindSteps}, {NULL, NULL}};

void ltb_open_nn_rnn(lua_State *L) { ltb_register(L, NULL, functions); }
