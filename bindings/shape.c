/* shape.c: joining and splitting: cat, stack, split, chunk, repeatTensor, flip, roll. */
#include "lt_lua.h"
#include <stdlib.h>

/* the tensors of a Lua table {t1, t2, ...} at idx into a malloc'd array (*n entries) */
static const lt_tensor **table_tensors(lua_State *L, int idx, int *n) {
  int k = (int)lua_rawlen(L, idx);
  if (k == 0) luaL_argerror(L, idx, "expected a non-empty table of tensors");
  const lt_tensor **ts = malloc(sizeof(lt_tensor *) * (size_t)k);
  if (!ts) luaL_error(L, "out of memory");
  for (int i = 0; i < k; i++) {
    lua_rawgeti(L, idx, i + 1);
    ts[i] = ltb_totensor(L, -1);
    lua_pop(L, 1);
    if (!ts[i]) {
      free(ts);
      luaL_argerror(L, idx, lua_pushfstring(L, "element %d of the table is not a tensor", i + 1));
    }
  }
  *n = k;
  return ts;
}

/* cat's default dimension: the last one of the input with the most dimensions (Torch7) */
static int max_ndim(const lt_tensor *const *ts, int n) {
  int nd = 0;
  for (int i = 0; i < n; i++)
    if (!(lt_numel(ts[i]) == 0 && ts[i]->ndim <= 1) && ts[i]->ndim > nd) nd = ts[i]->ndim;
  return nd;
}

/* torch.cat([res,] a, b [, dim]) / torch.cat([res,] {a, b, ...} [, dim]).
 * As a method (Torch7's wrapper): a:cat(b [, dim]) returns a new tensor, res:cat(a, b [, dim])
 * and res:cat({...} [, dim]) write into res. */
static int s_cat(lua_State *L) {
  lt_tensor *res = NULL;
  int resi = 0, i = 1;
  bool t1 = ltb_totensor(L, 1) != NULL, t2 = ltb_totensor(L, 2) != NULL;
  if (t1 && ((lua_istable(L, 2) && !t2) || (t2 && ltb_totensor(L, 3)))) {
    res = ltb_totensor(L, 1);
    resi = 1;
    i = 2;
  }
  const lt_tensor **ts;
  const lt_tensor *pair[2];
  int n, di;
  bool owned = false;
  if (lua_istable(L, i) && !ltb_totensor(L, i)) {
    ts = table_tensors(L, i, &n);
    owned = true;
    di = i + 1;
  } else {
    pair[0] = ltb_checktensor(L, i);
    pair[1] = ltb_checktensor(L, i + 1);
    ts = pair;
    n = 2;
    di = i + 2;
  }
  int nd = max_ndim(ts, n), dim;
  if (lua_isnoneornil(L, di)) dim = nd ? nd - 1 : 0;
  else {
    int isnum;
    lua_Integer d = lua_tointegerx(L, di, &isnum);
    if (!isnum) { if (owned) free(ts); return luaL_typeerror(L, di, "number"); }
    if (d < 0) d += nd + 1;
    if (d < 1 || d > LT_MAXDIM) {
      if (owned) free(ts);
      return luaL_argerror(L, di, lua_pushfstring(L, "dimension %d out of range", (int)lua_tointeger(L, di)));
    }
    dim = (int)d - 1;
  }
  lt_tensor *r = lt_cat(res, ts, n, dim);
  if (owned) free(ts);
  ltb_push_result(L, r, resi);
  return 1;
}

/* torch.stack([res,] {a, b, ...} [, dim=1]) */
static int s_stack(lua_State *L) {
  lt_tensor *res = NULL;
  int resi = 0, i = 1;
  if (LTB_METHOD(L) || ltb_totensor(L, 1)) { res = ltb_checktensor(L, 1); resi = 1; i = 2; }
  luaL_checktype(L, i, LUA_TTABLE);
  int n;
  const lt_tensor **ts = table_tensors(L, i, &n);
  int nd = ts[0]->ndim + 1, dim = 0;
  if (!lua_isnoneornil(L, i + 1)) {
    int isnum;
    lua_Integer d = lua_tointegerx(L, i + 1, &isnum);
    if (d < 0) d += nd + 1;
    if (!isnum || d < 1 || d > nd) {
      free(ts);
      if (!isnum) return luaL_typeerror(L, i + 1, "number");
      return luaL_argerror(L, i + 1, lua_pushfstring(L, "dimension %d out of range (expected 1 to %d)",
                                                     (int)lua_tointeger(L, i + 1), nd));
    }
    dim = (int)d - 1;
  }
  lt_tensor *r = lt_stack(res, ts, n, dim);
  free(ts);
  ltb_push_result(L, r, resi);
  return 1;
}

/* t:split(size [, dim=1]) / torch.split([result,] t, size [, dim]) -> a table of views */
static int split_or_chunk(lua_State *L, bool chunk) {
  int tbl = 0, i = 1;
  if (!LTB_METHOD(L) && lua_istable(L, 1) && !ltb_totensor(L, 1)) { tbl = 1; i = 2; }
  lt_tensor *t = ltb_checktensor(L, i);
  lua_Integer k = luaL_checkinteger(L, i + 1);
  int dim = ltb_optdim(L, i + 2, t->ndim, 0);
  lt_tensor **parts;
  int n = chunk ? lt_chunk(t, k, dim, &parts) : lt_split(t, k, dim, &parts);
  if (n < 0) return ltb_fail(L);
  if (tbl) {   /* empty the given table, then fill it */
    lua_pushvalue(L, tbl);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, -4);
    }
  } else lua_createtable(L, n, 0);
  for (int j = 0; j < n; j++) {
    ltb_push(L, parts[j]);
    lua_rawseti(L, -2, j + 1);
  }
  free(parts);
  return 1;
}
static int s_split(lua_State *L) { return split_or_chunk(L, false); }
static int s_chunk(lua_State *L) { return split_or_chunk(L, true); }


/* t:repeatTensor(sizes...) -> new; res:repeatTensor(t, sizes...); torch.repeatTensor([res,] t, sizes...) */
static int s_repeatTensor(lua_State *L) {
  lt_tensor *res = NULL, *t;
  int resi = 0, i = 2;
  if (ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); resi = 1; t = ltb_totensor(L, 2); i = 3; }
  else t = ltb_checktensor(L, 1);
  int64_t reps[LT_MAXDIM];
  int n = ltb_checksizes(L, i, reps);
  if (n == 0) return luaL_argerror(L, i, "repeat counts expected");
  ltb_push_into(L, lt_repeat(t, n, reps), res, resi);
  return 1;
}

/* dims from numbers at idx..top or a table at idx (1-based, negative from the end) */
static int check_dims(lua_State *L, int idx, int ndim, int *dims) {
  int n = 0, top = lua_gettop(L);
  if (lua_istable(L, idx) && !ltb_totensor(L, idx)) {
    int k = (int)lua_rawlen(L, idx);
    if (k > LT_MAXDIM) luaL_argerror(L, idx, "too many dimensions");
    for (int j = 0; j < k; j++) {
      lua_rawgeti(L, idx, j + 1);
      int isnum;
      lua_Integer d = lua_tointegerx(L, -1, &isnum);
      lua_pop(L, 1);
      if (d < 0) d += ndim + 1;
      if (!isnum || d < 1 || d > ndim)
        luaL_argerror(L, idx, lua_pushfstring(L, "dimension out of range (expected 1 to %d)", ndim));
      dims[n++] = (int)d - 1;
    }
    return n;
  }
  for (int j = idx; j <= top; j++) {
    if (n >= LT_MAXDIM) luaL_argerror(L, j, "too many dimensions");
    dims[n++] = ltb_checkdim(L, j, ndim);
  }
  return n;
}

/* t:flip(dim...) / torch.flip([res,] t, dim...): a new tensor with those dims reversed */
static int s_flip(lua_State *L) {
  lt_tensor *res = NULL, *t;
  int resi = 0, i = 2;
  if (ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); resi = 1; t = ltb_totensor(L, 2); i = 3; }
  else t = ltb_checktensor(L, 1);
  int dims[LT_MAXDIM];
  int n = check_dims(L, i, t->ndim, dims);
  if (n == 0) return luaL_argerror(L, i, "dimensions to flip expected");
  ltb_push_into(L, lt_flip(t, n, dims), res, resi);
  return 1;
}

/* t:roll(shift [, dim]) / t:roll({shifts}, {dims}) / torch.roll([res,] t, ...): without dim,
 * the flattened tensor is rolled (PyTorch) */
static int s_roll(lua_State *L) {
  lt_tensor *res = NULL, *t;
  int resi = 0, i = 2;
  if (ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); resi = 1; t = ltb_totensor(L, 2); i = 3; }
  else t = ltb_checktensor(L, 1);
  int64_t shifts[LT_MAXDIM];
  int dims[LT_MAXDIM], n;
  if (lua_istable(L, i)) {
    n = (int)lua_rawlen(L, i);
    if (n > LT_MAXDIM || n == 0) return luaL_argerror(L, i, "expected 1 to 16 shifts");
    for (int j = 0; j < n; j++) {
      lua_rawgeti(L, i, j + 1);
      int isnum;
      shifts[j] = lua_tointegerx(L, -1, &isnum);
      lua_pop(L, 1);
      if (!isnum) return luaL_argerror(L, i, "shifts must be integers");
    }
    luaL_checktype(L, i + 1, LUA_TTABLE);
    if (check_dims(L, i + 1, t->ndim, dims) != n)
      return luaL_argerror(L, i + 1, "expected as many dimensions as shifts");
  } else {
    shifts[0] = luaL_checkinteger(L, i);
    n = 1;
    if (lua_isnoneornil(L, i + 1)) {   /* flattened */
      int64_t numel = lt_numel(t);
      lt_tensor *flat = lt_reshape(t, 1, &numel);
      lt_tensor *r = flat ? lt_roll(flat, shifts[0], 0) : NULL;
      lt_release(flat);
      lt_tensor *back = r ? lt_view(r, t->ndim, t->size) : NULL;
      lt_release(r);
      ltb_push_into(L, back, res, resi);
      return 1;
    }
    dims[0] = ltb_checkdim(L, i + 1, t->ndim);
  }
  lt_tensor *r = lt_roll(t, shifts[0], dims[0]);
  for (int j = 1; j < n && r; j++) {
    lt_tensor *r2 = lt_roll(r, shifts[j], dims[j]);
    lt_release(r);
    r = r2;
  }
  ltb_push_into(L, r, res, resi);
  return 1;
}

static const luaL_Reg methods[] = {
  {"cat", s_cat}, {"split", s_split}, {"chunk", s_chunk}, {"repeatTensor", s_repeatTensor},
  {"flip", s_flip}, {"roll", s_roll}, {NULL, NULL}};
static const luaL_Reg functions[] = {
  {"cat", s_cat}, {"stack", s_stack}, {"split", s_split}, {"chunk", s_chunk},
  {"repeatTensor", s_repeatTensor}, {"flip", s_flip}, {"roll", s_roll}, {NULL, NULL}};

void ltb_open_shape(lua_State *L) { ltb_register(L, methods, functions); }
