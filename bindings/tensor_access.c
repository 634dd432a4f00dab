/* tensor_access.c: a tensor's elements from Lua: item, totable, t[i] / t[{...}] reading
 * and writing (the tensor metatable's __index and __newindex, bindings/init.c), tostring,
 * and apply/map/map2 (a Lua function per element). */
#include "lt_lua.h"
#include "autograd.h"   /* lt_ag_assign: index assignment into tensors in the graph */
#include <string.h>
#include <math.h>

/* ---- element access ---- */
static int t_item(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lt_numel(t) != 1) {
    char b[128];
    return luaL_error(L, "bad argument #1 to 'item' (expected a tensor with one element, got size %s)", lt_shape_str(t, b, sizeof b));
  }
  int64_t idx[LT_MAXDIM] = {0};
  ltb_push_element(L, t, idx);
  return 1;
}

static void totable_rec(lua_State *L, const lt_tensor *t, int d, int64_t *idx) {
  lua_createtable(L, (int)t->size[d], 0);
  for (int64_t i = 0; i < t->size[d]; i++) {
    idx[d] = i;
    if (d == t->ndim - 1) ltb_push_element(L, t, idx);
    else totable_rec(L, t, d + 1, idx);
    lua_rawseti(L, -2, i + 1);
  }
}
static int t_totable(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lt_numel(t) > ((int64_t)1 << 26))
    return luaL_error(L, "bad argument #1 to 'totable' (%I elements are too many for a Lua table)", (LUAI_UACINT)lt_numel(t));
  lt_tensor *c = lt_to_device(t, lt_cpu());
  if (!c) return ltb_fail(L);
  ltb_push(L, c);
  int64_t idx[LT_MAXDIM] = {0};
  if (c->ndim == 0) {
    if (lt_numel(c)) ltb_push_element(L, c, idx);
    else lua_newtable(L);
  } else totable_rec(L, c, 0, idx);
  return 1;
}

/* the integer index on top of the stack; anything else (1.5, a string) is the same error
 * as t[1.5] gives, after v (a view being built, or NULL) is released */
static lua_Integer int_entry(lua_State *L, lt_tensor *v) {
  int isint = 0;
  lua_Integer i = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
  if (!isint) {
    lt_release(v);
    luaL_error(L, "index: %s is not an integer index", luaL_tolstring(L, -1, NULL));
  }
  return i;
}

/* Resolves t[key] for a number or table key: a view (new ref), or an element
 * (returns NULL and fills idx). When steps is given the view is not made: steps receives
 * the selects and narrows that reach it from t (*nsteps of them), for an assignment. */
static lt_tensor *resolve(lua_State *L, lt_tensor *t, int k, int64_t *idx, bool *is_elem,
                          lt_ag_step *steps, int *nsteps) {
  *is_elem = false;
  if (steps) *nsteps = 0;
  if (lua_type(L, k) == LUA_TNUMBER) {
    if (t->ndim == 0) luaL_error(L, "index: cannot index a tensor with no dimensions");
    int isint;
    lua_Integer i = lua_tointegerx(L, k, &isint);   /* no UB for 0.5, inf, NaN, 1e300 */
    if (!isint) luaL_error(L, "index: %s is not an integer index", lua_tostring(L, k));
    lua_Integer orig = i;
    if (i < 0) i += t->size[0] + 1;
    if (i < 1 || i > t->size[0]) luaL_error(L, "index %I out of range for dimension 1 of size %I", (lua_Integer)orig, (lua_Integer)t->size[0]);
    if (steps) { steps[0] = (lt_ag_step){.narrow = false, .dim = 0, .start = i - 1}; *nsteps = 1; }
    if (t->ndim == 1) { idx[0] = i - 1; *is_elem = true; return NULL; }
    if (steps) return NULL;
    lt_tensor *v = lt_select(t, 0, i - 1);
    if (!v) ltb_fail(L);
    return v;
  }
  /* table: one entry per leading dim */
  int n = (int)lua_rawlen(L, k);
  if (n > t->ndim) luaL_error(L, "index: %d indices for a tensor with %d dimensions", n, t->ndim);
  bool all_numbers = n == t->ndim && n > 0;
  for (int j = 1; j <= n && all_numbers; j++) {
    lua_rawgeti(L, k, j);
    all_numbers = lua_type(L, -1) == LUA_TNUMBER;
    lua_pop(L, 1);
  }
  if (all_numbers) {
    for (int j = 0; j < n; j++) {
      lua_rawgeti(L, k, j + 1);
      lua_Integer i = int_entry(L, NULL), orig = i;
      lua_pop(L, 1);
      if (i < 0) i += t->size[j] + 1;
      if (i < 1 || i > t->size[j]) luaL_error(L, "index %I out of range for dimension %d of size %I", (lua_Integer)orig, j + 1, (lua_Integer)t->size[j]);
      idx[j] = i - 1;
      if (steps) steps[j] = (lt_ag_step){.narrow = false, .dim = 0, .start = i - 1};
    }
    if (steps) *nsteps = n;
    *is_elem = true;
    return NULL;
  }
  /* the view, built one entry at a time from t (v holds the view so far, NULL: t itself;
   * sizes are read from cur) */
  const lt_tensor *cur = t;
  int64_t cursize[LT_MAXDIM];
  int curnd = t->ndim;
  memcpy(cursize, t->size, sizeof(int64_t) * t->ndim);
  lt_tensor *v = NULL;
  int d = 0;  /* the current dim of the view */
  for (int j = 1; j <= n; j++) {
    lua_rawgeti(L, k, j);
    lt_ag_step st;
    int64_t size = cursize[d];
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_Integer i = int_entry(L, v), orig = i;
      if (i < 0) i += size + 1;
      if (i < 1 || i > size) { lt_release(v); luaL_error(L, "index %I out of range for dimension %d of size %I", (lua_Integer)orig, j, (lua_Integer)size); }
      st = (lt_ag_step){.narrow = false, .dim = d, .start = i - 1};
      for (int e = d; e < curnd - 1; e++) cursize[e] = cursize[e + 1];
      curnd--;
    } else if (lua_istable(L, -1)) {
      int m = (int)lua_rawlen(L, -1);
      lua_Integer a = 1, b = size;
      if (m >= 1) { lua_rawgeti(L, -1, 1); a = int_entry(L, v); lua_pop(L, 1); b = a; }
      if (m >= 2) { lua_rawgeti(L, -1, 2); b = int_entry(L, v); lua_pop(L, 1); }
      lua_Integer oa = a, ob = b;
      if (a < 0) a += size + 1;
      if (b < 0) b += size + 1;
      if (a < 1 || b > size || a > b + 1) {
        lt_release(v);
        luaL_error(L, "index: range {%I, %I} out of bounds for dimension %d of size %I", oa, ob, j, (lua_Integer)size);
      }
      st = (lt_ag_step){.narrow = true, .dim = d, .start = a - 1, .len = b - a + 1};
      cursize[d] = b - a + 1;
      d++;
    } else {
      lt_release(v);
      luaL_error(L, "index: entry %d must be a number or a table, got %s", j, luaL_typename(L, -1));
      return NULL;
    }
    lua_pop(L, 1);
    if (steps) { steps[(*nsteps)++] = st; continue; }
    lt_tensor *nv = st.narrow ? lt_narrow(cur, st.dim, st.start, st.len) : lt_select(cur, st.dim, st.start);
    lt_release(v);
    if (!(v = nv)) ltb_fail(L);
    cur = v;
  }
  if (steps) return NULL;
  if (!v && !(v = ltb_view_alias(t))) ltb_fail(L);   /* t[{}] */
  return v;
}

static bool is_mask(const lt_tensor *m) { return m->dtype == LT_UINT8 || m->dtype == LT_BOOL; }

/* t[longStorage]: the element at those (1-based) indices, one per dimension (Torch7) */
static bool storage_index(lua_State *L, const lt_tensor *t, int k, int64_t *idx) {
  lt_storage *s = ltb_tostorage(L, k);
  if (!s) return false;
  if (s->dtype != LT_INT64 || s->device.type != LT_CPU) luaL_argerror(L, k, "index storage must be a LongStorage");
  if (s->size != t->ndim || t->ndim == 0)
    luaL_error(L, "index: a LongStorage of %d indices for a tensor with %d dimensions", (int)s->size, t->ndim);
  for (int d = 0; d < t->ndim; d++) {
    int64_t i = ((int64_t *)s->data)[d], orig = i;
    if (i < 0) i += t->size[d] + 1;
    if (i < 1 || i > t->size[d]) luaL_error(L, "index %I out of range for dimension %d of size %I", (lua_Integer)orig, d + 1, (lua_Integer)t->size[d]);
    idx[d] = i - 1;
  }
  return true;
}

/* t.new(...): Torch7's constructor of t's type (x.new() makes an empty tensor), on t's
 * device (upvalue 2) */
static int t_new_of_type(lua_State *L) {
  int idx = (int)lua_tointeger(L, lua_upvalueindex(1));
  int dev = (int)lua_tointeger(L, lua_upvalueindex(2));
  return ltb_tensor_new_on(L, (lt_dtype)(idx % LT_NDTYPES), (lt_device){(int8_t)(idx / LT_NDTYPES), (int8_t)dev}, 1);
}

int ltb_tensor_index(lua_State *L) {
  if (lua_type(L, 2) == LUA_TSTRING) {        /* methods: the hot path */
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    const char *k = lua_tostring(L, 2);
    if (ltb_autograd_index(L, ltb_checktensor(L, 1), k)) return 1;
    if (!strcmp(k, "new")) {
      lt_tensor *t = ltb_checktensor(L, 1);
      lua_pushinteger(L, ltb_typeidx(t->dtype, t->device));
      lua_pushinteger(L, t->device.type == LT_CPU ? 0 : t->device.index);
      lua_pushcclosure(L, t_new_of_type, 2);
    }
    return 1;
  }
  lt_tensor *t = ltb_checktensor(L, 1);
  int kt = lua_type(L, 2);
  if (kt == LUA_TNUMBER || kt == LUA_TTABLE) {
    int64_t idx[LT_MAXDIM];
    bool elem;
    lt_tensor *v = resolve(L, t, 2, idx, &elem, NULL, NULL);
    if (elem) { ltb_push_element(L, t, idx); return 1; }
    ltb_push(L, v);
    return 1;
  }
  int64_t eidx[LT_MAXDIM];
  if (storage_index(L, t, 2, eidx)) { ltb_push_element(L, t, eidx); return 1; }
  lt_tensor *k = ltb_totensor(L, 2);
  if (k) {
    if (is_mask(k)) { ltb_push(L, lt_masked_select(NULL, t, k)); return 1; }
    if (k->dtype == LT_INT64 && k->ndim > 0) {   /* its 1-based indices as they are (internal.h) */
      ltb_push(L, lt_index_select_based(NULL, t, 0, k, 1));
      return 1;
    }
    lt_tensor *ix = ltb_checkindices(L, 2);
    lt_tensor *r = lt_index_select(NULL, t, 0, ix);
    lt_release(ix);
    ltb_push(L, r);
    return 1;
  }
  lua_pushnil(L);
  return 1;
}

static void assign(lua_State *L, lt_tensor *v, int vi) {
  lt_tensor *src = ltb_totensor(L, vi);
  int rc = src ? lt_copy(v, src) : ltb_fill(L, v, vi);
  if (rc < 0) ltb_fail(L);
}

/* an assignment that autograd must see: grad mode on and t or the value requires grad */
static bool assign_records(const lt_tensor *t, const lt_tensor *src) {
  return lt_grad_enabled() && (t->requires_grad || (src && src->requires_grad));
}

/* t[region] = value through the engine's index assignment (recorded, or refused, per the
 * out policy; a plain write into a leaf) */
static int assign_steps(lua_State *L, lt_tensor *t, int ns, const lt_ag_step *steps, int vi) {
  lt_tensor *src = ltb_totensor(L, vi);
  double val = src ? 0 : ltb_checkvalue(L, vi);
  if (lt_ag_assign(t, ns, steps, src, val) < 0) return ltb_fail(L);
  return 0;
}

int ltb_tensor_newindex(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int kt = lua_type(L, 2);
  if (kt == LUA_TSTRING && ltb_autograd_newindex(L, t, lua_tostring(L, 2))) return 0;
  if (kt == LUA_TNUMBER || kt == LUA_TTABLE) {
    int64_t idx[LT_MAXDIM];
    bool elem;
    if (assign_records(t, ltb_totensor(L, 3))) {
      lt_ag_step steps[LT_MAXDIM];
      int ns;
      resolve(L, t, 2, idx, &elem, steps, &ns);
      return assign_steps(L, t, ns, steps, 3);
    }
    lt_tensor *v = resolve(L, t, 2, idx, &elem, NULL, NULL);
    if (elem) {
      if (t->device.type != LT_CPU) {
        /* the value is checked before the alias is made: a bad one raises, which would leak it */
        if (!lua_isinteger(L, 3)) ltb_checkvalue(L, 3);   /* before the alias: an error would leak it */
        lt_tensor *e = lt_alias(t);
        if (!e) return ltb_fail(L);
        for (int d = 0; d < t->ndim; d++) e->offset += idx[d] * t->stride[d];
        e->ndim = 0;
        int rc = ltb_fill(L, e, 3);
        lt_release(e);
        if (rc < 0) return ltb_fail(L);
        return 0;
      }
      if (t->dtype == LT_INT64 && lua_isinteger(L, 3)) {   /* exact past 2^53 */
        int64_t off = t->offset;
        for (int d = 0; d < t->ndim; d++) off += idx[d] * t->stride[d];
        ((int64_t *)t->storage->data)[off] = (int64_t)lua_tointeger(L, 3);
        (t->storage->base ? t->storage->base : t->storage)->version++;   /* the root's counter */
        return 0;
      }
      if (lt_put(t, idx, ltb_checkvalue(L, 3)) < 0) return ltb_fail(L);
      return 0;
    }
    ltb_push(L, v);  /* anchor for errors */
    assign(L, v, 3);
    return 0;
  }
  int64_t eidx[LT_MAXDIM];
  if (storage_index(L, t, 2, eidx)) {
    if (t->device.type != LT_CPU) return luaL_error(L, "index: element assignment by LongStorage on a GPU tensor");
    if (assign_records(t, NULL)) {
      lt_ag_step steps[LT_MAXDIM];
      for (int d = 0; d < t->ndim; d++) steps[d] = (lt_ag_step){.narrow = false, .dim = 0, .start = eidx[d]};
      return assign_steps(L, t, t->ndim, steps, 3);
    }
    if (lt_put(t, eidx, ltb_checkvalue(L, 3)) < 0) return ltb_fail(L);
    return 0;
  }
  lt_tensor *k = ltb_totensor(L, 2);
  if (k) {
    lt_tensor *src = ltb_totensor(L, 3);
    if (is_mask(k)) {
      int rc = src ? lt_masked_copy(t, k, src)
                   : lua_isinteger(L, 3) ? lt_masked_fill_int(t, k, lua_tointeger(L, 3))
                   : lt_masked_fill(t, k, ltb_checkvalue(L, 3));
      if (rc < 0) return ltb_fail(L);
      return 0;
    }
    double v = src ? 0 : ltb_checkvalue(L, 3);   /* before the indices: a bad value would leak them */
    if (src && k->dtype == LT_INT64 && k->ndim > 0) {   /* 1-based indices as they are */
      if (lt_index_copy_based(t, 0, k, src, 1) < 0) return ltb_fail(L);
      return 0;
    }
    lt_tensor *ix = ltb_checkindices(L, 2);
    int rc = src ? lt_index_copy(t, 0, ix, src)
             : lua_isinteger(L, 3) ? lt_index_fill_int(t, 0, ix, lua_tointeger(L, 3)) : lt_index_fill(t, 0, ix, v);
    lt_release(ix);
    if (rc < 0) return ltb_fail(L);
    return 0;
  }
  if (kt == LUA_TSTRING) return luaL_error(L, "cannot set field '%s' of a tensor", lua_tostring(L, 2));
  return luaL_typeerror(L, 2, "index (number, table or tensor)");
}

int ltb_tensor_tostring(lua_State *L) {
  /* called as a metamethod Lua cannot name the function ('?'): name it here */
  lt_tensor *t = ltb_totensor(L, 1);
  if (!t)
    return luaL_error(L, "bad argument #1 to 'tostring' (tensor expected, got %s)", luaL_typename(L, 1));
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  lua_getfield(L, -1, "_tensorstring");
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
  }
  char b[128];
  lua_pushfstring(L, "[%s of size %s]", ltb_typename(t->dtype, t->device), lt_shape_str(t, b, sizeof b));
  return 1;
}

/* ---- apply / map / map2: call a Lua function per element ---- */
static int64_t next_index(const lt_tensor *t, int64_t *idx) {
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (++idx[d] < t->size[d]) return 1;
    idx[d] = 0;
  }
  return 0;
}
static int elementwise_call(lua_State *L, int nt) {
  static const char *names[] = {"", "apply", "map", "map2"};
  const char *fn = names[nt];
  lt_tensor *ts[3];
  for (int i = 0; i < nt; i++) {
    ts[i] = ltb_checktensor(L, 1 + i);
    if (ts[i]->device.type != LT_CPU) return luaL_error(L, "bad argument #%d to '%s' (a CPU tensor expected; copy it with :float())", i + 1, fn);
  }
  luaL_checktype(L, 1 + nt, LUA_TFUNCTION);
  if (lt_grad_enabled() && ts[0]->requires_grad && !lt_is_leaf(ts[0]))
    return luaL_error(L, "%s: cannot rewrite a tensor that has a gradient history with a Lua function "
                      "(the gradient would be wrong); apply it to a clone() under torch.noGrad, or to t:detach()", fn);
  /* walk private views anchored on the stack: the function may close, resize or re-set
   * the tensors it was given without pulling their memory from under the walk */
  for (int i = 0; i < nt; i++) {
    lt_tensor *v = lt_alias(ts[i]);
    if (!v) return ltb_fail(L);
    ltb_push(L, v);
    ts[i] = v;
  }
  int64_t n = lt_numel(ts[0]);
  for (int i = 1; i < nt; i++)
    if (lt_numel(ts[i]) != n) return luaL_error(L, "bad argument #%d to '%s' (tensors have different numbers of elements)", i + 1, fn);
  if (n == 0) { lua_settop(L, 1); return 1; }
  int64_t idx[3][LT_MAXDIM] = {{0}};
  for (int64_t e = 0; e < n; e++) {
    lua_pushvalue(L, 1 + nt);
    for (int i = 0; i < nt; i++) ltb_push_element(L, ts[i], idx[i]);
    lua_call(L, nt, 1);
    if (lua_type(L, -1) == LUA_TNUMBER || lua_isboolean(L, -1)) {
      if (lt_put(ts[0], idx[0], ltb_checkvalue(L, -1)) < 0) return ltb_fail(L);
    } else if (!lua_isnil(L, -1)) return luaL_error(L, "%s: the function must return a number or nothing", fn);
    lua_pop(L, 1);
    for (int i = 0; i < nt; i++) next_index(ts[i], idx[i]);
  }
  lua_settop(L, 1);
  return 1;
}
static int t_apply(lua_State *L) { return elementwise_call(L, 1); }
static int t_map(lua_State *L) { return elementwise_call(L, 2); }
static int t_map2(lua_State *L) { return elementwise_call(L, 3); }

static const luaL_Reg methods[] = {
  {"item", t_item}, {"totable", t_totable}, {"apply", t_apply}, {"map", t_map},
  {"map2", t_map2}, {NULL, NULL}};

static const luaL_Reg functions[] = {{"totable", t_totable}, {NULL, NULL}};

void ltb_open_tensor_access(lua_State *L) { ltb_register(L, methods, functions); }
