/* init.c: the torch.core module: tensor and storage types, their metatables, the
 * shared helpers of lt_lua.h, and luaopen_torch_core. */
#include "lt_lua.h"
#include "lt_capi.h"
#include <string.h>
#include <stdio.h>

const char ltb_box_tag = 0;
const void *ltb_mt[LTB_NTYPES];
int ltb_mt_ref[LTB_NTYPES];
const void *ltb_smt[LT_NDTYPES];
static int smt_ref[LT_NDTYPES];
int ltb_methods_ref, ltb_torch_ref;
lt_dtype ltb_default_dtype = LT_FLOAT32;

static const char *type_names[LTB_NTYPES];
static char type_name_buf[LTB_NTYPES][40];

const char *ltb_typename(lt_dtype dt, lt_device dev) { return type_names[ltb_typeidx(dt, dev)]; }

/* ---- errors and argument helpers ---- */
int ltb_fail(lua_State *L) { return luaL_error(L, "%s", lt_errmsg()); }


lt_tensor *ltb_checktensor(lua_State *L, int idx) {
  lt_tensor *t = ltb_totensor(L, idx);
  if (t) return t;
  if (lua_type(L, idx) == LUA_TUSERDATA && lua_getmetatable(L, idx)) {
    const void *p = lua_topointer(L, -1);
    lua_pop(L, 1);
    for (int i = 0; i < LTB_NTYPES; i++)
      if (ltb_mt[i] == p) luaL_argerror(L, idx, "tensor was closed (used after its <close> scope)");
  }
  luaL_typeerror(L, idx, "tensor");
  return NULL;
}

static int64_t gc_base;            /* live tensor bytes after the last forced collection */
static int64_t step_base;          /* live tensor bytes after the last step */
static int pushes, push_interval = 1024;
bool ltb_heaptracking = true;   /* torch.setheaptracking (generator.c) */

void ltb_account(lua_State *L, int64_t nbytes) {
  (void)nbytes;
  if (!ltb_heaptracking) return;
  /* Lua sees a tensor as a few dozen bytes, so with a large Lua heap it lets tens of
   * thousands of dead tensors (and their graphs) pile up between collections, and small
   * ops slow down 4x on cache misses. A GC step every so many tensors handed to Lua (a
   * minor collection in generational mode) keeps the garbage bounded; the interval grows
   * with the heap so that the step's cost stays small per tensor. */
  if (++pushes >= push_interval) {
    pushes = 0;
    lua_gc(L, LUA_GCSTEP, 0);
    int kb = lua_gc(L, LUA_GCCOUNT);
    push_interval = kb / 8 > 1024 ? kb / 8 : 1024;
  }
  int64_t live = lt_mem_live_bytes();
  int64_t limit = gc_base > (64 << 20) ? gc_base : (64 << 20);
  if (live - gc_base > limit) {
    lua_gc(L, LUA_GCCOLLECT);
    gc_base = step_base = lt_mem_live_bytes();
  } else {
    if (live < gc_base) gc_base = live;
    /* Tensors replaced in a training loop (a module's previous output) hold megabytes that
     * only a collection returns to the buffer cache; until then every new result is fresh
     * memory, page-faulted in. A step per 8 MiB of growth returns them soon. */
    if (live - step_base > (8 << 20)) {
      lua_gc(L, LUA_GCSTEP, 0);
      pushes = 0;
      step_base = lt_mem_live_bytes();
    } else if (live < step_base) step_base = live;
  }
}

void ltb_push(lua_State *L, lt_tensor *t) {
  if (!t) ltb_fail(L);
  ltb_box *b = (ltb_box *)lua_newuserdatauv(L, sizeof(ltb_box), 0);
  b->t = t;
  b->tag = &ltb_box_tag;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_mt_ref[ltb_typeidx(t->dtype, t->device)]);
  lua_setmetatable(L, -2);
  ltb_account(L, 0);
}

void ltb_push_result(lua_State *L, lt_tensor *t, int same) {
  if (!t) ltb_fail(L);
  if (same > 0 && ltb_totensor(L, same) == t) {
    lt_release(t);
    lua_pushvalue(L, same);
    return;
  }
  ltb_push(L, t);
}

void ltb_push_into(lua_State *L, lt_tensor *r, lt_tensor *res, int resi) {
  if (!r) ltb_fail(L);
  if (!res) { ltb_push(L, r); return; }
  int rc = lt_resize_as(res, r) < 0 ? -1 : lt_copy(res, r);
  lt_release(r);
  if (rc < 0) ltb_fail(L);
  lua_pushvalue(L, resi);
}

lt_tensor *ltb_one_based(lt_tensor *ix) {
  if (!ix) return NULL;
  lt_tensor *r = lt_binary_scalar(LT_ADD, ix, ix, 1, false);
  lt_release(ix);
  return r;
}

int ltb_checkdim(lua_State *L, int idx, int ndim) {
  lua_Integer d = luaL_checkinteger(L, idx);
  if (d < 0) d += ndim + 1;
  if (d < 1 || d > ndim) {
    if (ndim == 0) return (int)luaL_argerror(L, idx, lua_pushfstring(L, "dimension %d out of range (the tensor has no dimensions)", (int)luaL_checkinteger(L, idx)));
    return (int)luaL_argerror(L, idx, lua_pushfstring(L, "dimension %d out of range (expected 1 to %d)", (int)luaL_checkinteger(L, idx), ndim));
  }
  return (int)d - 1;
}

int ltb_optdim(lua_State *L, int idx, int ndim, int def0) {
  if (lua_isnoneornil(L, idx)) return def0;
  return ltb_checkdim(L, idx, ndim);
}

int64_t ltb_checkindex(lua_State *L, int idx, int64_t n) {
  lua_Integer i = luaL_checkinteger(L, idx);
  lua_Integer orig = i;
  if (i < 0) i += n + 1;
  if (i < 1 || i > n)
    luaL_argerror(L, idx, lua_pushfstring(L, "index %I out of range (size %I)", (lua_Integer)orig, (lua_Integer)n));
  return i - 1;
}

bool ltb_is_options(lua_State *L, int idx) {
  if (!lua_istable(L, idx)) return false;
  lua_getfield(L, idx, "requiresGrad");
  bool r = !lua_isnil(L, -1);
  lua_pop(L, 1);
  return r;
}

void ltb_apply_options(lua_State *L, int idx, lt_tensor *t) {
  lua_getfield(L, idx, "requiresGrad");
  bool on = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lt_set_requires_grad(t, on) < 0) {
    lt_release(t);
    ltb_fail(L);
  }
}

int ltb_checksizes(lua_State *L, int idx, int64_t *size) {
  int top = lua_gettop(L);
  lt_storage *s;
  lt_tensor *t;
  if (idx <= top && (s = ltb_tostorage(L, idx)) != NULL) {
    if (s->dtype != LT_INT64 || s->device.type != LT_CPU) luaL_argerror(L, idx, "sizes must be a LongStorage");
    if (s->size > LT_MAXDIM) luaL_argerror(L, idx, "too many dimensions");
    for (int64_t i = 0; i < s->size; i++) size[i] = ((int64_t *)s->data)[i];
    return (int)s->size;
  }
  if (idx <= top && (t = ltb_totensor(L, idx)) != NULL) {
    if (t->ndim != 1 || t->size[0] > LT_MAXDIM) luaL_argerror(L, idx, "sizes must be a 1-D tensor");
    for (int64_t i = 0; i < t->size[0]; i++) size[i] = lt_get_int(t, &i);
    return (int)t->size[0];
  }
  if (idx <= top && lua_istable(L, idx)) {
    int n = (int)lua_rawlen(L, idx);
    if (n > LT_MAXDIM) luaL_argerror(L, idx, "too many dimensions");
    for (int i = 0; i < n; i++) {
      lua_rawgeti(L, idx, i + 1);
      if (!lua_isinteger(L, -1) && !(lua_isnumber(L, -1)))
        luaL_argerror(L, idx, "sizes must be numbers");
      size[i] = (int64_t)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    return n;
  }
  int n = 0;
  for (int i = idx; i <= top && lua_type(L, i) == LUA_TNUMBER; i++) {
    if (n >= LT_MAXDIM) luaL_argerror(L, i, "too many dimensions");
    int isint;
    lua_Integer v = lua_tointegerx(L, i, &isint);   /* no UB for 0.5, inf, NaN, 1e300 */
    if (!isint) luaL_argerror(L, i, "size must be an integer");
    size[n++] = v;
  }
  return n;
}

lt_tensor *ltb_checkindices(lua_State *L, int idx) {
  lt_tensor *t = ltb_totensor(L, idx);
  lt_tensor *r;
  if (t) {
    if (t->dtype == LT_FLOAT32 || t->dtype == LT_FLOAT64 || t->dtype == LT_BOOL || lt_is_half(t->dtype))
      luaL_argerror(L, idx, lua_pushfstring(L, "indices must be a LongTensor, got %s", ltb_typename(t->dtype, t->device)));
    if (t->dtype == LT_INT64) r = lt_binary_scalar(LT_SUB, NULL, t, 1, false);
    else {
      lt_tensor *l = lt_to_dtype(t, LT_INT64);
      if (!l) ltb_fail(L);
      r = lt_binary_scalar(LT_SUB, NULL, l, 1, false);
      lt_release(l);
    }
  } else if (lua_istable(L, idx)) {
    int64_t n = (int64_t)lua_rawlen(L, idx);
    r = lt_empty(1, &n, LT_INT64, lt_cpu());
    if (!r) ltb_fail(L);
    int64_t *d = (int64_t *)lt_data(r);
    for (int64_t i = 0; i < n; i++) {
      lua_rawgeti(L, idx, i + 1);
      int ok;
      lua_Integer v = lua_tointegerx(L, -1, &ok);
      lua_pop(L, 1);
      if (!ok) { lt_release(r); luaL_argerror(L, idx, "indices must be integers"); }
      d[i] = v - 1;
    }
  } else {
    luaL_typeerror(L, idx, "LongTensor of indices");
    return NULL;
  }
  if (!r) ltb_fail(L);
  return r;
}

int ltb_dtype_from_name(const char *name, lt_device *dev) {
  if (dev) *dev = lt_cpu();
  if (!strncmp(name, "torch.", 6)) name += 6;
  if (!strncmp(name, "Cuda", 4)) {
    if (dev) dev->type = LT_CUDA;
    name += 4;
    if (!strcmp(name, "Tensor") || !strcmp(name, "Storage")) return LT_FLOAT32;
  }
  static const char *lower[] = {"float", "double", "long", "int", "short", "char", "byte", "bool", "half", "bfloat16"};
  for (int i = 0; i < LT_NDTYPES; i++) {
    const char *n = lt_dtype_name((lt_dtype)i);
    size_t k = strlen(n);
    if (!strcmp(name, lower[i]) || !strcmp(name, n) ||
        (!strncmp(name, n, k) && (!strcmp(name + k, "Tensor") || !strcmp(name + k, "Storage"))))
      return i;
  }
  if (!strcmp(name, "Tensor")) return ltb_default_dtype;
  return -1;
}

void ltb_register(lua_State *L, const luaL_Reg *methods, const luaL_Reg *functions) {
  if (methods) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_methods_ref);
    for (const luaL_Reg *r = methods; r->name; r++) {
      lua_pushboolean(L, 1);
      lua_pushcclosure(L, r->func, 1);
      lua_setfield(L, -2, r->name);
    }
    lua_pop(L, 1);
  }
  if (functions) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
    for (const luaL_Reg *r = functions; r->name; r++) {
      lua_pushboolean(L, 0);
      lua_pushcclosure(L, r->func, 1);
      lua_setfield(L, -2, r->name);
    }
    lua_pop(L, 1);
  }
}

/* ---- tensor metatable: lifetime ---- */
static int t_gc(lua_State *L) {
  /* only a tensor's userdata: __gc/__close can be called by hand on anything */
  if (ltb_totensor(L, 1)) {
    ltb_box *b = (ltb_box *)lua_touserdata(L, 1);
    lt_release(b->t);
    b->t = NULL;
  }
  return 0;
}

/* ---- storages ---- */
void ltb_pushstorage(lua_State *L, lt_storage *s) {
  if (!s) ltb_fail(L);
  ltb_sbox *b = (ltb_sbox *)lua_newuserdatauv(L, sizeof(ltb_sbox), 0);
  b->s = s;
  lua_rawgeti(L, LUA_REGISTRYINDEX, smt_ref[s->dtype]);
  lua_setmetatable(L, -2);
  ltb_account(L, 0);
}

static lt_storage *checkstorage(lua_State *L, int idx) {
  lt_storage *s = ltb_tostorage(L, idx);
  if (!s) luaL_typeerror(L, idx, "storage");
  return s;
}

static int s_gc(lua_State *L) {
  if (ltb_tostorage(L, 1)) {   /* only a storage's userdata, as t_gc */
    ltb_sbox *b = (ltb_sbox *)lua_touserdata(L, 1);
    lt_storage_release(b->s);
    b->s = NULL;
  }
  return 0;
}

static void push_elem(lua_State *L, lt_dtype dt, const void *p) {
  if (lt_dtype_is_float(dt)) lua_pushnumber(L, lt_load(dt, p));
  else if (dt == LT_BOOL) lua_pushboolean(L, *(const uint8_t *)p != 0);
  else lua_pushinteger(L, lt_load_int(dt, p));
}

static double check_value(lua_State *L, int idx) {
  if (lua_isboolean(L, idx)) return lua_toboolean(L, idx);
  return luaL_checknumber(L, idx);
}

static int s_index(lua_State *L) {
  lt_storage *s = checkstorage(L, 1);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 1 || i > s->size) luaL_argerror(L, 2, lua_pushfstring(L, "index %I out of range (storage of size %I)", (lua_Integer)i, (lua_Integer)s->size));
    if (s->device.type != LT_CPU) return luaL_error(L, "storage: element access on a GPU storage (copy it to the CPU first)");
    push_elem(L, s->dtype, (char *)s->data + (i - 1) * lt_dtype_size(s->dtype));
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__methods");
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

static int s_newindex(lua_State *L) {
  lt_storage *s = checkstorage(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  if (i < 1 || i > s->size) luaL_argerror(L, 2, lua_pushfstring(L, "index %I out of range (storage of size %I)", (lua_Integer)i, (lua_Integer)s->size));
  if (s->device.type != LT_CPU) return luaL_error(L, "storage: element access on a GPU storage");
  if (s->dtype == LT_INT64 && lua_isinteger(L, 3))   /* exact past 2^53 */
    ((int64_t *)s->data)[i - 1] = (int64_t)lua_tointeger(L, 3);
  else lt_store(s->dtype, (char *)s->data + (i - 1) * lt_dtype_size(s->dtype), check_value(L, 3));
  (s->base ? s->base : s)->version++;   /* the root's counter: autograd reads that one */
  return 0;
}

static int s_len(lua_State *L) { lua_pushinteger(L, checkstorage(L, 1)->size); return 1; }
static int s_size(lua_State *L) { return s_len(L); }

static int s_fill(lua_State *L) {
  lt_storage *s = checkstorage(L, 1);
  double v = check_value(L, 2);   /* before the view: a bad value raises, which would leak it */
  lt_tensor *t = lt_from_storage(s, 0, 1, &s->size, NULL);
  if (!t || (lua_isinteger(L, 2) ? lt_fill_int(t, lua_tointeger(L, 2)) : lt_fill(t, v)) < 0) {
    lt_release(t);
    return ltb_fail(L);
  }
  lt_release(t);
  lua_settop(L, 1);
  return 1;
}

static int s_resize(lua_State *L) {
  lt_storage *s = checkstorage(L, 1);
  lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 0) luaL_argerror(L, 2, "size must be non-negative");
  if (lt_storage_resize(s, n) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int s_copy(lua_State *L) {
  lt_storage *s = checkstorage(L, 1);
  lt_storage *src = ltb_tostorage(L, 2);
  lt_tensor *st = NULL;
  if (src) st = lt_from_storage(src, 0, 1, &src->size, NULL);
  else {
    lt_tensor *t = ltb_totensor(L, 2);
    if (!t) return luaL_typeerror(L, 2, "storage or tensor");
    st = lt_alias(t);
  }
  lt_tensor *dt = lt_from_storage(s, 0, 1, &s->size, NULL);
  int rc = (st && dt) ? lt_copy(dt, st) : -1;
  lt_release(st);
  lt_release(dt);
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int s_totable(lua_State *L) {
  lt_storage *s = checkstorage(L, 1);
  if (s->device.type != LT_CPU) return luaL_error(L, "totable: copy the storage to the CPU first");
  lua_createtable(L, (int)s->size, 0);
  size_t es = lt_dtype_size(s->dtype);
  for (int64_t i = 0; i < s->size; i++) {
    push_elem(L, s->dtype, (char *)s->data + i * es);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int s_string(lua_State *L) {
  lt_storage *s = checkstorage(L, 1);
  if (s->dtype != LT_UINT8 && s->dtype != LT_INT8) return luaL_error(L, "string: only for ByteStorage and CharStorage");
  if (s->device.type != LT_CPU) return luaL_error(L, "string: copy the storage to the CPU first");
  if (lua_type(L, 2) == LUA_TSTRING) {
    size_t n;
    const char *str = lua_tolstring(L, 2, &n);
    /* the two ways growing can fail here, named for this function (not resize) */
    if ((int64_t)n > s->capacity && s->base)
      return luaL_error(L, "string: a string of %d bytes does not fit this storage view of size %d "
                        "(a view cannot grow)", (int)n, (int)s->size);
    if ((int64_t)n > s->capacity && s->views > 0)
      return luaL_error(L, "string: a string of %d bytes needs the storage to grow past its "
                        "capacity (%d) while storage views share it", (int)n, (int)s->capacity);
    if ((int64_t)n > s->capacity && !s->owned)
      return luaL_error(L, "string: a string of %d bytes does not fit this storage of size %d "
                        "(it does not own its memory, so it cannot grow)", (int)n, (int)s->size);
    if (lt_storage_resize(s, (int64_t)n) < 0) return ltb_fail(L);
    if (n) memcpy(s->data, str, n);
    (s->base ? s->base : s)->version++;
    lua_settop(L, 1);
    return 1;
  }
  if (!lua_isnone(L, 2))   /* Torch7: string(str) sets, string() gets; nothing else */
    return luaL_argerror(L, 2, lua_pushfstring(L, "string expected (or nothing), got %s", luaL_typename(L, 2)));
  lua_pushlstring(L, (const char *)s->data, (size_t)s->size);
  return 1;
}

static int s_tostring(lua_State *L) {
  checkstorage(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  lua_getfield(L, -1, "_storagestring");
  if (lua_isfunction(L, -1)) {
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
  }
  lt_storage *s = checkstorage(L, 1);
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__typename");
  lua_pushfstring(L, "[%s of size %d]", lua_tostring(L, -1), (int)s->size);
  return 1;
}

static int s_elementSize(lua_State *L) { lua_pushinteger(L, (lua_Integer)lt_dtype_size(checkstorage(L, 1)->dtype)); return 1; }
static int s_data(lua_State *L) { lua_pushlightuserdata(L, checkstorage(L, 1)->data); return 1; }

/* torch.FloatStorage([n | table | string]) or torch.FloatStorage(storage [, offset=1 [, size]]):
 * a view sharing storage's elements offset .. offset+size-1 (Torch7) */
static int s_construct(lua_State *L) {
  lt_dtype dt = (lt_dtype)lua_tointeger(L, lua_upvalueindex(1));
  if (lua_isnoneornil(L, 1)) { ltb_pushstorage(L, lt_storage_new(dt, 0, lt_cpu())); return 1; }
  lt_storage *base = ltb_tostorage(L, 1);
  if (base) {
    if (base->dtype != dt)
      luaL_argerror(L, 1, lua_pushfstring(L, "a torch.%sStorage expected for a view, got a torch.%sStorage",
                                             lt_dtype_name(dt), lt_dtype_name(base->dtype)));
    lua_Integer off = luaL_optinteger(L, 2, 1);
    if (off < 1 || off > base->size + 1)
      luaL_argerror(L, 2, lua_pushfstring(L, "offset %I out of range (storage of size %I)", off, (lua_Integer)base->size));
    lua_Integer n = luaL_optinteger(L, 3, base->size - off + 1);
    if (n < 0 || n > base->size - off + 1)
      luaL_argerror(L, 3, lua_pushfstring(L, "size %I out of range (%I elements from offset %I)", n,
                                             (lua_Integer)(base->size - off + 1), off));
    lt_storage *v = lt_storage_view(base, off - 1, n);
    if (!v) return ltb_fail(L);
    ltb_pushstorage(L, v);
    return 1;
  }
  if (lua_istable(L, 1)) {
    int64_t n = (int64_t)lua_rawlen(L, 1);
    lt_storage *s = lt_storage_new(dt, n, lt_cpu());
    if (!s) return ltb_fail(L);
    for (int64_t i = 0; i < n; i++) {
      lua_rawgeti(L, 1, i + 1);
      if (!lua_isnumber(L, -1) && !lua_isboolean(L, -1)) { lt_storage_release(s); luaL_argerror(L, 1, "table must contain numbers"); }
      if (dt == LT_INT64 && lua_isinteger(L, -1)) ((int64_t *)s->data)[i] = (int64_t)lua_tointeger(L, -1);
      else lt_store(dt, (char *)s->data + i * lt_dtype_size(dt), lua_isboolean(L, -1) ? lua_toboolean(L, -1) : lua_tonumber(L, -1));
      lua_pop(L, 1);
    }
    ltb_pushstorage(L, s);
    return 1;
  }
  if (lua_type(L, 1) == LUA_TSTRING && (dt == LT_UINT8 || dt == LT_INT8)) {
    size_t n;
    const char *str = lua_tolstring(L, 1, &n);
    lt_storage *s = lt_storage_new(dt, (int64_t)n, lt_cpu());
    if (!s) return ltb_fail(L);
    if (n) memcpy(s->data, str, n);
    ltb_pushstorage(L, s);
    return 1;
  }
  lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 0) luaL_argerror(L, 1, "size must be non-negative");
  lt_storage *s = lt_storage_new(dt, n, lt_cpu());
  if (!s) return ltb_fail(L);
  if (n) memset(s->data, 0, (size_t)n * lt_dtype_size(dt));
  ltb_pushstorage(L, s);
  return 1;
}

/* through the class table's __call, protected so argument errors name the type */
static int s_new(lua_State *L) {
  lt_dtype dt = (lt_dtype)lua_tointeger(L, lua_upvalueindex(1));
  lua_remove(L, 1);
  lua_pushinteger(L, dt);
  lua_pushcclosure(L, s_construct, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, lua_gettop(L) - 1, 1, 0) == LUA_OK) return 1;
  if (lua_type(L, -1) == LUA_TSTRING) {
    const char *msg = lua_tostring(L, -1);
    const char *named = lua_pushfstring(L, "to 'torch.%sStorage'", lt_dtype_name(dt));
    luaL_gsub(L, msg, "to '?'", named);
  }
  return lua_error(L);
}

static const luaL_Reg storage_methods[] = {
  {"size", s_size}, {"fill", s_fill}, {"resize", s_resize}, {"copy", s_copy},
  {"totable", s_totable}, {"string", s_string}, {"elementSize", s_elementSize},
  {"data", s_data}, {NULL, NULL}};

/* ---- the tensor metatables ---- */
int ltb_tensor_index(lua_State *L);      /* tensor_access.c */
int ltb_tensor_newindex(lua_State *L);   /* tensor_access.c */
int ltb_tensor_tostring(lua_State *L);   /* tensor_access.c */
int ltb_tensor_len(lua_State *L);        /* tensor.c */
void ltb_set_operators(lua_State *L);    /* math.c: fills the metatable at the top */

static int construct(lua_State *L) {
  int idx = (int)lua_tointeger(L, lua_upvalueindex(1));
  return ltb_tensor_new(L, (lt_dtype)(idx % LT_NDTYPES), (lt_device){(int8_t)(idx / LT_NDTYPES), 0}, 1);
}
/* torch.FloatTensor(...) through the class table's __call: the constructor runs
 * protected so that an argument error, which Lua cannot name for a __call, names the type */
static int class_call_tensor(lua_State *L) {
  int idx = (int)lua_tointeger(L, lua_upvalueindex(1));
  lua_remove(L, 1);  /* the class table: arguments are numbered as the user wrote them */
  lua_pushinteger(L, idx);
  lua_pushcclosure(L, construct, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, lua_gettop(L) - 1, 1, 0) == LUA_OK) return 1;
  if (lua_type(L, -1) == LUA_TSTRING) {
    const char *msg = lua_tostring(L, -1);
    const char *named = lua_pushfstring(L, "to '%s'", type_names[idx]);
    luaL_gsub(L, msg, "to '?'", named);
  }
  return lua_error(L);
}

static lt_tensor *capi_totensor(lua_State *L, int idx) { return ltb_totensor(L, idx); }
static const ltb_capi capi = {LTB_CAPI_VERSION, sizeof(ltb_capi), capi_totensor, lt_numel,
                              lt_is_contiguous, lt_dtype_size, lt_dtype_name};

int luaopen_torch_core(lua_State *L) {
  /* opened once per state: init.lua drops package.loaded['torch.core'] (so error
   * messages name functions 'torch.x', not 'torch.core.x') and a later require lands here */
  if (lua_getfield(L, LUA_REGISTRYINDEX, "luatorch.torch") == LUA_TTABLE) return 1;
  lua_pop(L, 1);
  lua_newtable(L);                                   /* the torch table */
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "luatorch.torch");
  lua_pushvalue(L, -1);
  ltb_torch_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);                                   /* shared tensor methods */
  lua_pushvalue(L, -1);
  ltb_methods_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_setfield(L, -2, "_methods");
  int torch = lua_gettop(L);
  /* torch._sanitized: built with AddressSanitizer (make check-asan), whose allocator holds
   * freed memory in quarantine, so the process's memory figures (RSS) say nothing there */
  bool asan = false;
#if defined(__SANITIZE_ADDRESS__)
  asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  asan = true;   /* clang */
#endif
#endif
  lua_pushboolean(L, asan);
  lua_setfield(L, torch, "_sanitized");
  /* torch._capi: the C interface of lt_capi.h, for other C modules (distributed) */
  lua_pushlightuserdata(L, (void *)&capi);
  lua_setfield(L, torch, "_capi");

  for (int dev = 0; dev < LT_NDEVTYPES; dev++)
    for (int dt = 0; dt < LT_NDTYPES; dt++) {
      int idx = dev * LT_NDTYPES + dt;
      const char *n = lt_dtype_name((lt_dtype)dt);
      if (dev == LT_CPU) snprintf(type_name_buf[idx], 40, "torch.%sTensor", n);
      else snprintf(type_name_buf[idx], 40, "torch.Cuda%sTensor", dt == LT_FLOAT32 ? "" : n);
      type_names[idx] = type_name_buf[idx];
      lua_newtable(L);                                 /* the metatable */
      lua_pushstring(L, type_names[idx]);
      lua_setfield(L, -2, "__typename");
      lua_pushstring(L, type_names[idx]);
      lua_setfield(L, -2, "__name");
      lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_methods_ref);
      lua_pushcclosure(L, ltb_tensor_index, 1);
      lua_setfield(L, -2, "__index");
      lua_pushcfunction(L, ltb_tensor_newindex);
      lua_setfield(L, -2, "__newindex");
      lua_pushcfunction(L, t_gc);
      lua_setfield(L, -2, "__gc");
      lua_pushcfunction(L, t_gc);
      lua_setfield(L, -2, "__close");
      lua_pushcfunction(L, ltb_tensor_tostring);
      lua_setfield(L, -2, "__tostring");
      lua_pushcfunction(L, ltb_tensor_len);
      lua_setfield(L, -2, "__len");
      ltb_set_operators(L);
      ltb_mt[idx] = lua_topointer(L, -1);
      lua_pushvalue(L, -1);
      ltb_mt_ref[idx] = luaL_ref(L, LUA_REGISTRYINDEX);
      /* the class table torch.FloatTensor: methods reachable, callable to construct */
      lua_newtable(L);
      lua_pushvalue(L, -2);
      lua_setfield(L, -2, "__metatable_of_instances");
      lua_pushstring(L, type_names[idx]);
      lua_setfield(L, -2, "__typename");
      lua_newtable(L);                                 /* its metatable */
      lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_methods_ref);
      lua_setfield(L, -2, "__index");
      lua_pushinteger(L, idx);
      lua_pushcclosure(L, class_call_tensor, 1);
      lua_setfield(L, -2, "__call");
      lua_setmetatable(L, -2);
      lua_setfield(L, torch, type_names[idx] + 6);
      lua_pop(L, 1);                                   /* the metatable */
    }
  /* storages */
  lua_newtable(L);
  luaL_setfuncs(L, storage_methods, 0);
  int smethods = lua_gettop(L);
  for (int dt = 0; dt < LT_NDTYPES; dt++) {
    char name[40];
    snprintf(name, sizeof name, "torch.%sStorage", lt_dtype_name((lt_dtype)dt));
    lua_newtable(L);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__typename");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushvalue(L, smethods);
    lua_setfield(L, -2, "__methods");
    lua_pushcfunction(L, s_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, s_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, s_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, s_gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, s_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, s_tostring);
    lua_setfield(L, -2, "__tostring");
    ltb_smt[dt] = lua_topointer(L, -1);
    smt_ref[dt] = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);                                 /* class table */
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__typename");
    lua_newtable(L);
    lua_pushvalue(L, smethods);
    lua_setfield(L, -2, "__index");
    lua_pushinteger(L, dt);
    lua_pushcclosure(L, s_new, 1);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_setfield(L, torch, name + 6);
  }
  lua_pop(L, 1);  /* smethods */
  lua_getfield(L, torch, "FloatTensor");
  lua_setfield(L, torch, "Tensor");
  lua_getfield(L, torch, "FloatStorage");
  lua_setfield(L, torch, "Storage");

  ltb_open_tensor(L);
  ltb_open_tensor_access(L);
  ltb_open_math(L);
  ltb_open_reduce(L);
  ltb_open_linalg(L);
  ltb_open_index(L);
  ltb_open_shape(L);
  ltb_open_random(L);
  ltb_open_util(L);
  ltb_open_autograd(L);
  ltb_open_nn_conv(L);
  ltb_open_nn_spatial(L);
  ltb_open_nn_act(L);
  ltb_open_nn_rnn(L);
  ltb_open_data(L);
  ltb_open_serialize(L);
  { void ltb_open_cuda(lua_State *L); ltb_open_cuda(L); }   /* cuda.c: torch.cuda */
  { void ltb_open_numerics(lua_State *L); ltb_open_numerics(L); }   /* numerics.c: isnan, anomaly mode */
  { void ltb_open_memory(lua_State *L); ltb_open_memory(L); }   /* memory.c: CPU memory stats, cache */
  { void ltb_open_lapack(lua_State *L); ltb_open_lapack(L); }   /* lapack.c: gesv, potrf, det ... */
  { void ltb_open_lapack_decomp(lua_State *L); ltb_open_lapack_decomp(L); }   /* lapack_decomp.c: svd, symeig, eig, qr ... */
  { void ltb_open_signal(lua_State *L); ltb_open_signal(L); }   /* signal.c: conv2/xcorr2/conv3/xcorr3, renorm, bhistc */
  { void ltb_open_generator(lua_State *L); ltb_open_generator(L); }   /* generator.c: torch.Generator, alias sampling */
  lua_settop(L, torch);
  return 1;
}
