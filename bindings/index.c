/* index.c: bindings of indexing, masks and sorting: index, indexCopy, indexAdd, indexFill,
 * gather, scatter, scatterAdd, maskedFill, maskedSelect, maskedCopy, nonzero, sort, topk,
 * torch.where.
 *
 * Torch7's forms: the ops that write into self (indexCopy, scatter, maskedFill ...) are the
 * same as methods and as torch.X(t, ...) and return t. The ops that make a result (index,
 * gather, maskedSelect, nonzero, sort, topk) return a new tensor, or write into leading
 * result tensors: res:index(src, dim, idx), torch.index(res, src, dim, idx),
 * torch.sort(resval, resind, x). Indices are 1-based here, 0-based in the engine (index,
 * gather, indexCopy/Add and scatter/scatterAdd pass a LongTensor's as they are, with base 1). */
#include "lt_lua.h"
#include "internal.h"   /* lt_may_overlap */

static double checkvalue(lua_State *L, int idx) {
  if (lua_isboolean(L, idx)) return lua_toboolean(L, idx);
  return luaL_checknumber(L, idx);
}


/* ltb_checkindices, with Torch7's empty tensor (no dimensions) as an empty vector */
static lt_tensor *checkindices(lua_State *L, int idx) {
  lt_tensor *t = ltb_totensor(L, idx);
  if (t && t->ndim == 0 && lt_numel(t) == 0 && !lt_dtype_is_float(t->dtype) && t->dtype != LT_BOOL) {
    int64_t zero = 0;
    lt_tensor *e = lt_empty(1, &zero, LT_INT64, lt_cpu());
    if (!e) ltb_fail(L);
    return e;
  }
  return ltb_checkindices(L, idx);
}

/* The indices at idx for the ops that take them counted from a base (index, gather,
 * indexCopy, indexAdd, scatter, scatterAdd: internal.h): a LongTensor as it is, *base 1
 * (no 0-based copy of it); anything else as checkindices makes it (0-based, *base 0). */
static lt_tensor *checkindices_based(lua_State *L, int idx, int64_t *base) {
  lt_tensor *t = ltb_totensor(L, idx);
  if (t && t->dtype == LT_INT64 && !(t->ndim == 0 && lt_numel(t) == 0)) {
    lt_retain(t);
    *base = 1;
    return t;
  }
  *base = 0;
  return checkindices(L, idx);
}

/* [res,] src, ...: the index of src (1 or 2) and res (or NULL) */
static int result_and_source(lua_State *L, int nlead, lt_tensor **res, lt_tensor **src) {
  if (ltb_totensor(L, 1) && ltb_totensor(L, 2) && (nlead < 2 || ltb_totensor(L, 3))) {
    *res = ltb_totensor(L, 1);
    *src = ltb_totensor(L, 2);
    return 2;
  }
  *res = NULL;
  *src = ltb_checktensor(L, 1);
  return 1;
}

/* ---- index / gather: [res,] src, dim, idx ---- */
static int select_like(lua_State *L, lt_tensor *(*fn)(lt_tensor *, const lt_tensor *, int, const lt_tensor *, int64_t)) {
  lt_tensor *res, *src;
  int s = result_and_source(L, 1, &res, &src);
  int dim = ltb_checkdim(L, s + 1, src->ndim);
  int64_t base;
  lt_tensor *ix = checkindices_based(L, s + 2, &base);
  lt_tensor *r = fn(res, src, dim, ix, base);
  lt_release(ix);
  ltb_push_result(L, r, res ? 1 : 0);
  return 1;
}
static int m_index(lua_State *L) { return select_like(L, lt_index_select_based); }
static int m_gather(lua_State *L) { return select_like(L, lt_gather_based); }

/* ---- writes into self: t, dim, idx, src|value ---- */
/* t:indexCopy / t:indexAdd (dim, idx, src): the engine op writes src's slices into t */
static int index_write(lua_State *L, int (*op)(lt_tensor *, int, const lt_tensor *, const lt_tensor *, int64_t)) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int dim = ltb_checkdim(L, 2, t->ndim);
  lt_tensor *src = ltb_checktensor(L, 4);
  int64_t base;
  lt_tensor *ix = checkindices_based(L, 3, &base);
  int rc = op(t, dim, ix, src, base);
  lt_release(ix);
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}
static int m_indexCopy(lua_State *L) { return index_write(L, lt_index_copy_based); }
static int m_indexAdd(lua_State *L) { return index_write(L, lt_index_add_based); }

static int m_indexFill(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int dim = ltb_checkdim(L, 2, t->ndim);
  double v = checkvalue(L, 4);
  lt_tensor *ix = checkindices(L, 3);
  int rc = lua_isinteger(L, 4) ? lt_index_fill_int(t, dim, ix, lua_tointeger(L, 4)) : lt_index_fill(t, dim, ix, v);
  lt_release(ix);
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int scatter_like(lua_State *L, bool add) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int dim = ltb_checkdim(L, 2, t->ndim);
  lt_tensor *src = ltb_totensor(L, 4);
  double v = 0;
  if (!src) {
    if (add) return luaL_typeerror(L, 4, "tensor");
    if (lua_type(L, 4) != LUA_TNUMBER && !lua_isboolean(L, 4)) return luaL_typeerror(L, 4, "tensor or number");
    v = checkvalue(L, 4);
  }
  int64_t base = 0;   /* the fills take 0-based indices */
  lt_tensor *ix = src ? checkindices_based(L, 3, &base) : checkindices(L, 3);
  int rc = add ? lt_scatter_add_based(t, dim, ix, src, base)
               : src ? lt_scatter_based(t, dim, ix, src, base)
               : lua_isinteger(L, 4) ? lt_scatter_fill_int(t, dim, ix, lua_tointeger(L, 4))
               : lt_scatter_fill(t, dim, ix, v);
  lt_release(ix);
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}
static int m_scatter(lua_State *L) { return scatter_like(L, false); }
static int m_scatterAdd(lua_State *L) { return scatter_like(L, true); }

/* ---- masks ---- */
static int m_maskedFill(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1), *mask = ltb_checktensor(L, 2);
  int rc = lua_isinteger(L, 3) ? lt_masked_fill_int(t, mask, lua_tointeger(L, 3))
                               : lt_masked_fill(t, mask, checkvalue(L, 3));
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int m_maskedCopy(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1), *mask = ltb_checktensor(L, 2), *src = ltb_checktensor(L, 3);
  if (lt_masked_copy(t, mask, src) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

/* t:maskedSelect(mask), res:maskedSelect(src, mask), torch.maskedSelect([res,] t, mask) */
static int m_maskedSelect(lua_State *L) {
  lt_tensor *res, *src;
  int s = result_and_source(L, 2, &res, &src);
  lt_tensor *mask = ltb_checktensor(L, s + 1);
  ltb_push_result(L, lt_masked_select(res, src, mask), res ? 1 : 0);
  return 1;
}

/* t:nonzero(), torch.nonzero([res,] t): n x ndim LongTensor of 1-based subscripts */
static int m_nonzero(lua_State *L) {
  lt_tensor *res, *src;
  result_and_source(L, 1, &res, &src);
  lt_tensor *r = lt_nonzero(res, src);
  ltb_push_result(L, ltb_one_based(r), res ? 1 : 0);
  return 1;
}

/* ---- sort and topk ---- */

/* results computed fresh, then moved into the caller's result tensors when given */
static void push_pair(lua_State *L, const char *fn, lt_tensor *v, lt_tensor *i, lt_tensor *rv,
                      lt_tensor *ri) {
  i = ltb_one_based(i);
  if (!i) { lt_release(v); ltb_fail(L); }
  if (rv) {
    int rc = 0;
    if (rv->dtype != v->dtype || ri->dtype != LT_INT64) {
      lt_seterr("%s: result tensors must be a %sTensor and a LongTensor, got %sTensor and %sTensor",
                fn, lt_dtype_name(v->dtype), lt_dtype_name(rv->dtype), lt_dtype_name(ri->dtype));
      rc = -1;
    }
    if (rc == 0) rc = lt_resize_as(rv, v) < 0 || lt_resize_as(ri, i) < 0 ? -1 : 0;
    /* one tensor (or two views of one memory) for both would mix values and indices */
    if (rc == 0 && (rv == ri || lt_may_overlap(rv, ri))) {
      lt_seterr("%s: resval and resind must be different tensors (they share memory)", fn);
      rc = -1;
    }
    if (rc == 0) rc = lt_copy(rv, v) < 0 || lt_copy(ri, i) < 0 ? -1 : 0;
    lt_release(v);
    lt_release(i);
    if (rc < 0) ltb_fail(L);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    return;
  }
  ltb_push(L, v);
  ltb_push(L, i);
}

/* [resval, resind,] x: the position of x */
static int sort_args(lua_State *L, lt_tensor **rv, lt_tensor **ri, lt_tensor **x) {
  if (ltb_totensor(L, 1) && ltb_totensor(L, 2) && ltb_totensor(L, 3)) {
    *rv = ltb_totensor(L, 1);
    *ri = ltb_totensor(L, 2);
    *x = ltb_totensor(L, 3);
    return 3;
  }
  *rv = *ri = NULL;
  *x = ltb_checktensor(L, 1);
  return 1;
}

/* x:sort([dim] [, descending]), torch.sort([resval, resind,] x [, dim] [, descending]) */
static int m_sort(lua_State *L) {
  lt_tensor *rv, *ri, *x;
  int a = sort_args(L, &rv, &ri, &x) + 1;
  int dim = -1;
  if (lua_type(L, a) == LUA_TNUMBER) dim = ltb_checkdim(L, a++, x->ndim);
  else if (!lua_isnoneornil(L, a) && !lua_isboolean(L, a)) return luaL_typeerror(L, a, "number or boolean");
  else if (lua_isnil(L, a)) a++;
  if (!lua_isnoneornil(L, a) && !lua_isboolean(L, a)) return luaL_typeerror(L, a, "boolean");
  bool desc = lua_toboolean(L, a);
  lt_tensor *v, *i;
  if (lt_sort(x, dim, desc, &v, &i) < 0) return ltb_fail(L);
  push_pair(L, "sort", v, i, rv, ri);
  return 2;
}

/* x:topk(k [, dim] [, dir] [, sort]): dir false (the default) gives the k smallest, as
 * Torch7; true the k largest. The k values always come sorted (by dir). */
static int m_topk(lua_State *L) {
  lt_tensor *rv, *ri, *x;
  int a = sort_args(L, &rv, &ri, &x) + 1;
  lua_Integer k = luaL_checkinteger(L, a++);
  int dim = -1;
  if (lua_type(L, a) == LUA_TNUMBER) dim = ltb_checkdim(L, a++, x->ndim);
  else if (lua_isnil(L, a) && lua_gettop(L) > a) a++;
  for (int b = a; b < a + 2; b++)
    if (!lua_isnoneornil(L, b) && !lua_isboolean(L, b)) return luaL_typeerror(L, b, "boolean");
  bool largest = lua_toboolean(L, a), sorted = lua_toboolean(L, a + 1);
  lt_tensor *v, *i;
  if (lt_topk(x, (int64_t)k, dim, largest, sorted, &v, &i) < 0) return ltb_fail(L);
  push_pair(L, "topk", v, i, rv, ri);
  return 2;
}

/* ---- torch.where(cond, a, b): a and b tensors or numbers ---- */
static lt_tensor *where_operand(lua_State *L, int idx, const lt_tensor *other) {
  lt_tensor *t = ltb_totensor(L, idx);
  if (t) { lt_retain(t); return t; }
  if (lua_type(L, idx) != LUA_TNUMBER && !lua_isboolean(L, idx)) {
    luaL_typeerror(L, idx, "tensor or number");
    return NULL;
  }
  double v = checkvalue(L, idx);
  lt_dtype dt = ltb_default_dtype;
  if (other && (lt_dtype_is_float(other->dtype) || v == (double)(int64_t)v)) dt = other->dtype;
  return lt_scalar_tensor(v, dt, other ? other->device : lt_cpu());
}

static int f_where(lua_State *L) {
  lt_tensor *cond = ltb_checktensor(L, 1);
  lt_tensor *ta = ltb_totensor(L, 2), *tb = ltb_totensor(L, 3);
  if (!ta && lua_type(L, 2) != LUA_TNUMBER && !lua_isboolean(L, 2)) return luaL_typeerror(L, 2, "tensor or number");
  if (!tb && lua_type(L, 3) != LUA_TNUMBER && !lua_isboolean(L, 3)) return luaL_typeerror(L, 3, "tensor or number");
  lt_tensor *a = where_operand(L, 2, tb), *b = a ? where_operand(L, 3, a) : NULL;
  lt_tensor *r = (a && b) ? lt_where(NULL, cond, a, b) : NULL;
  lt_release(a);
  lt_release(b);
  ltb_push(L, r);
  return 1;
}

static const luaL_Reg index_fns[] = {
  {"index", m_index}, {"gather", m_gather},
  {"indexCopy", m_indexCopy}, {"indexAdd", m_indexAdd}, {"indexFill", m_indexFill},
  {"scatter", m_scatter}, {"scatterAdd", m_scatterAdd},
  {"maskedFill", m_maskedFill}, {"maskedCopy", m_maskedCopy}, {"maskedSelect", m_maskedSelect},
  {"nonzero", m_nonzero}, {"sort", m_sort}, {"topk", m_topk},
  {NULL, NULL}};

static const luaL_Reg index_torch_only[] = {{"where", f_where}, {NULL, NULL}};

void ltb_open_index(lua_State *L) {
  ltb_register(L, index_fns, index_fns);
  ltb_register(L, NULL, index_torch_only);
}
