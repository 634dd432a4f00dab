/* tensor.c: tensor construction, shape queries, views, copies and types. Element access
 * (item, totable, t[i] reading and writing, tostring, apply/map) is in tensor_access.c. */
#include "lt_lua.h"
#include <string.h>

double ltb_checkvalue(lua_State *L, int idx) {
  if (lua_isboolean(L, idx)) return lua_toboolean(L, idx);
  return luaL_checknumber(L, idx);
}

int ltb_fill(lua_State *L, lt_tensor *t, int idx) {
  if (lua_isinteger(L, idx)) return lt_fill_int(t, lua_tointeger(L, idx));
  return lt_fill(t, ltb_checkvalue(L, idx));
}

static void push_number(lua_State *L, lt_dtype dt, double v, int64_t iv) {
  if (lt_dtype_is_float(dt)) lua_pushnumber(L, v);
  else if (dt == LT_BOOL) lua_pushboolean(L, iv != 0);
  else lua_pushinteger(L, iv);
}

void ltb_push_element(lua_State *L, const lt_tensor *t, const int64_t *index) {
  if (t->device.type != LT_CPU) {
    /* one element from a device: copy a 1-element view to the CPU */
    lt_tensor *v = lt_alias(t);
    if (!v) ltb_fail(L);
    for (int d = 0; d < t->ndim; d++) v->offset += index[d] * t->stride[d];
    v->ndim = 0;
    lt_tensor *c = lt_to_device(v, lt_cpu());
    lt_release(v);
    if (!c) ltb_fail(L);
    push_number(L, c->dtype, lt_get(c, NULL), lt_get_int(c, NULL));
    lt_release(c);
    return;
  }
  if (lt_dtype_is_float(t->dtype)) lua_pushnumber(L, lt_get(t, index));
  else push_number(L, t->dtype, 0, lt_get_int(t, index));
}

/* ---- construction ---- */
static lt_tensor *empty_tensor(lt_dtype dt, lt_device dev) { return lt_new_empty(dt, dev); }

/* shape of a nested table: walks the first elements */
static int table_shape(lua_State *L, int idx, int64_t *size) {
  int nd = 0;
  lua_pushvalue(L, idx);
  while (lua_istable(L, -1)) {
    if (nd >= LT_MAXDIM) luaL_error(L, "tensor: nested table deeper than %d", LT_MAXDIM);
    size[nd++] = (int64_t)lua_rawlen(L, -1);
    if (size[nd - 1] == 0) break;
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
  return nd;
}

static void table_fill(lua_State *L, int idx, int d, int nd, const int64_t *size, lt_dtype dt,
                       char **p) {
  size_t es = lt_dtype_size(dt);
  if ((int64_t)lua_rawlen(L, idx) != size[d])
    luaL_error(L, "tensor: inconsistent table sizes at depth %d (expected %d elements, got %d)",
               d + 1, (int)size[d], (int)lua_rawlen(L, idx));
  for (int64_t i = 1; i <= size[d]; i++) {
    lua_rawgeti(L, idx, i);
    if (d == nd - 1) {
      if (lua_type(L, -1) == LUA_TNUMBER) {
        if (lua_isinteger(L, -1) && !lt_dtype_is_float(dt)) {
          int64_t v = lua_tointeger(L, -1);
          if (dt == LT_INT64) memcpy(*p, &v, 8); else lt_store(dt, *p, (double)v);
        } else lt_store(dt, *p, lua_tonumber(L, -1));
      } else if (lua_isboolean(L, -1)) lt_store(dt, *p, lua_toboolean(L, -1));
      else luaL_error(L, "tensor: table must contain numbers (found %s at depth %d)", luaL_typename(L, -1), d + 1);
      *p += es;
    } else {
      if (!lua_istable(L, -1)) luaL_error(L, "tensor: inconsistent table nesting at depth %d", d + 2);
      table_fill(L, lua_gettop(L), d + 1, nd, size, dt, p);
    }
    lua_pop(L, 1);
  }
}

static lt_tensor *from_table(lua_State *L, int idx, lt_dtype dt) {
  int64_t size[LT_MAXDIM];
  int nd = table_shape(L, idx, size);
  lt_tensor *t = lt_empty(nd, size, dt, lt_cpu());
  if (!t) ltb_fail(L);
  char *p = (char *)lt_data(t);
  ltb_push(L, t);   /* anchored on the stack so an error in the walk frees it */
  if (p) table_fill(L, idx, 0, nd, size, dt, &p);
  lua_pop(L, 1);
  lt_retain(t);
  /* the userdata popped still owns one reference; we return one more */
  return t;
}

#define is_options_table ltb_is_options
#define apply_options ltb_apply_options

/* torch.CudaTensor(...) and the other Cuda constructors make tensors on the current
 * device (torch.cuda.setDevice) */
int ltb_tensor_new(lua_State *L, lt_dtype dt, lt_device dev, int first) {
  if (dev.type == LT_CUDA) dev.index = (int8_t)lt_cuda_get_device();
  return ltb_tensor_new_on(L, dt, dev, first);
}
int ltb_tensor_new_on(lua_State *L, lt_dtype dt, lt_device dev, int first) {
  int top = lua_gettop(L);
  lt_tensor *opt_target = NULL;
  int opt = 0;
  if (top >= first && is_options_table(L, top)) { opt = top; top--; }
  lt_tensor *t = NULL;
  lt_storage *s;
  lt_tensor *src;
  if (top < first) t = empty_tensor(dt, dev);
  else if ((src = ltb_totensor(L, first)) != NULL) {
    if (src->dtype != dt || !lt_same_device(src->device, dev))
      return luaL_argerror(L, first, lua_pushfstring(L, "expected a %s to share, got %s (use :type() to convert)",
                                                     ltb_typename(dt, dev), ltb_typename(src->dtype, src->device)));
    t = lt_alias(src);
  } else if ((s = ltb_tostorage(L, first)) != NULL && !(s->dtype == LT_INT64 && dt != LT_INT64)) {
    /* a storage of the tensor's own type is viewed (so torch.LongTensor(longStorage) wraps
     * it, as Torch7); a LongStorage for another type gives the sizes */
    if (s->dtype != dt) return luaL_argerror(L, first, "storage of another type");
    int64_t off = (int64_t)luaL_optinteger(L, first + 1, 1) - 1;
    int64_t size[LT_MAXDIM], stride[LT_MAXDIM];
    int nd;
    if (top < first + 2) { nd = 1; size[0] = s->size - off; }
    else if (ltb_tostorage(L, first + 2)) {
      nd = ltb_checksizes(L, first + 2, size);
      if (top >= first + 3) {
        if (ltb_checksizes(L, first + 3, stride) != nd) return luaL_argerror(L, first + 3, "strides and sizes differ in length");
        t = lt_from_storage(s, off, nd, size, stride);
      } else t = lt_from_storage(s, off, nd, size, NULL);
      if (!t) return ltb_fail(L);
      goto done;
    } else {
      /* size1, stride1, size2, stride2, ... */
      nd = 0;
      for (int i = first + 2; i <= top; i += 2) {
        if (nd >= LT_MAXDIM) return luaL_error(L, "tensor: too many dimensions");
        size[nd] = luaL_checkinteger(L, i);
        stride[nd] = i + 1 <= top ? luaL_checkinteger(L, i + 1) : -1;
        nd++;
      }
      if (stride[nd - 1] == -1) {
        int64_t st[LT_MAXDIM];
        lt_contiguous_strides(nd, size, st);
        stride[nd - 1] = st[nd - 1];
        for (int i = nd - 2; i >= 0; i--) if (stride[i] < 0) stride[i] = size[i + 1] * stride[i + 1];
      }
      t = lt_from_storage(s, off, nd, size, stride);
      goto done;
    }
    t = lt_from_storage(s, off, nd, size, NULL);
  } else if (lua_istable(L, first)) {
    t = from_table(L, first, dt);
    if (dev.type != LT_CPU) {
      lt_tensor *g = lt_to_device(t, dev);
      lt_release(t);
      t = g;
    }
  } else {
    int64_t size[LT_MAXDIM], stride[LT_MAXDIM];
    int nd = ltb_checksizes(L, first, size);
    if (nd == 0 && lua_type(L, first) != LUA_TNUMBER && !ltb_tostorage(L, first))
      return luaL_typeerror(L, first, "sizes, a table, a storage or a tensor");
    int consumed = ltb_tostorage(L, first) ? 1 : nd;
    if (first + consumed <= top && ltb_tostorage(L, first + consumed)) {
      if (ltb_checksizes(L, first + consumed, stride) != nd) return luaL_argerror(L, first + consumed, "strides and sizes differ in length");
      int64_t need = 1;
      for (int i = 0; i < nd; i++) {
        int64_t ext;
        if (size[i] == 0) { need = 0; break; }
        if (size[i] < 0 || stride[i] < 0 || __builtin_mul_overflow(size[i] - 1, stride[i], &ext) ||
            __builtin_add_overflow(need, ext, &need))
          return luaL_argerror(L, first + consumed, "sizes and strides must be non-negative and fit in memory");
      }
      lt_storage *st = lt_storage_new(dt, need, dev);
      if (!st) return ltb_fail(L);
      t = lt_from_storage(st, 0, nd, size, stride);
      lt_storage_release(st);
    } else if (first + consumed <= top) {
      return luaL_argerror(L, first + consumed, "unexpected argument after sizes");
    } else {
      for (int i = 0; i < nd; i++)
        if (size[i] < 0) return luaL_argerror(L, first + i, "size must be non-negative");
      t = lt_zeros(nd, size, dt, dev);
    }
  }
done:
  if (!t) return ltb_fail(L);
  (void)opt_target;
  if (opt) apply_options(L, opt, t);
  ltb_push(L, t);
  return 1;
}

/* sizes at idx.. (numbers, a table, a LongStorage) with nothing after them */
static int checksizes_only(lua_State *L, int idx, int top, int64_t *size) {
  int nd = ltb_checksizes(L, idx, size);
  int used = (idx <= top && lua_type(L, idx) != LUA_TNUMBER) ? 1 : nd;
  if (idx + used <= top) luaL_argerror(L, idx + used, "unexpected argument after the sizes");
  for (int i = 0; i < nd; i++)
    if (size[i] < 0) luaL_argerror(L, idx + (used == nd ? i : 0), "size must be non-negative");
  return nd;
}

/* torch.zeros/ones/full([res,] sizes...[, value][, options]): new tensors of the default
 * type, or res resized and filled; t:zeros(sizes) and t:ones(sizes) resize and fill t */
static int fill_new(lua_State *L, double v, int last_is_value) {
  int64_t size[LT_MAXDIM];
  int top = lua_gettop(L), first = 1;
  lt_tensor *res = ltb_totensor(L, 1);
  if (res) first = 2;
  int opt = 0;
  if (top >= first && is_options_table(L, top)) opt = top--;
  double val = v;
  bool vint = false;   /* torch.full's value is a Lua integer: ival, exactly */
  lua_Integer ival = 0;
  if (last_is_value) {
    if (top < first) return luaL_error(L, "bad arguments to 'full' (sizes and a value expected)");
    val = ltb_checkvalue(L, top);
    vint = lua_isinteger(L, top);
    ival = lua_tointeger(L, top);
    lua_pushnil(L);   /* the sizes end before it (ltb_checksizes reads numbers to the top) */
    lua_replace(L, top--);
  }
  int nd = checksizes_only(L, first, top, size);
  if (res) {
    if (lt_resize(res, nd, size) < 0 || (vint ? lt_fill_int(res, ival) : lt_fill(res, val)) < 0) return ltb_fail(L);
    if (opt) apply_options(L, opt, res);
    lua_pushvalue(L, 1);
    return 1;
  }
  lt_tensor *t = lt_empty(nd, size, ltb_default_dtype, lt_cpu());
  if (!t || (vint ? lt_fill_int(t, ival) : lt_fill(t, val)) < 0) { lt_release(t); return ltb_fail(L); }
  if (opt) apply_options(L, opt, t);
  ltb_push(L, t);
  return 1;
}

static int t_zeros(lua_State *L) { return fill_new(L, 0, 0); }
static int t_ones(lua_State *L) { return fill_new(L, 1, 0); }
static int t_full(lua_State *L) { return fill_new(L, 0, 1); }

static lt_tensor *like_new(lua_State *L, double v) {
  lt_tensor *a = ltb_checktensor(L, 1);
  lt_tensor *t = lt_empty_like(a);
  if (!t || lt_fill(t, v) < 0) { lt_release(t); ltb_fail(L); }
  return t;
}
static int t_zerosLike(lua_State *L) { ltb_push(L, like_new(L, 0)); return 1; }
static int t_onesLike(lua_State *L) { ltb_push(L, like_new(L, 1)); return 1; }

static int t_fill(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (ltb_fill(L, t, 2) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}
static int t_zero(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lt_fill(t, 0) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

/* ---- shape queries ---- */
static void push_longstorage(lua_State *L, int n, const int64_t *v) {
  lt_storage *s = lt_storage_new(LT_INT64, n, lt_cpu());
  if (!s) ltb_fail(L);
  if (n) memcpy(s->data, v, sizeof(int64_t) * n);
  ltb_pushstorage(L, s);
}

static int t_size(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) { push_longstorage(L, t->ndim, t->size); return 1; }
  lua_pushinteger(L, t->size[ltb_checkdim(L, 2, t->ndim)]);
  return 1;
}
int ltb_tensor_len(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  push_longstorage(L, t->ndim, t->size);
  return 1;
}
static int t_stride(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) { push_longstorage(L, t->ndim, t->stride); return 1; }
  lua_pushinteger(L, t->stride[ltb_checkdim(L, 2, t->ndim)]);
  return 1;
}
static int t_dim(lua_State *L) { lua_pushinteger(L, ltb_checktensor(L, 1)->ndim); return 1; }
static int t_nElement(lua_State *L) { lua_pushinteger(L, lt_numel(ltb_checktensor(L, 1))); return 1; }
static int t_isContiguous(lua_State *L) { lua_pushboolean(L, lt_is_contiguous(ltb_checktensor(L, 1))); return 1; }
static int t_isSameSizeAs(lua_State *L) {
  lua_pushboolean(L, lt_same_size(ltb_checktensor(L, 1), ltb_checktensor(L, 2)));
  return 1;
}
static int t_isSize(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int ty = lua_type(L, 2);   /* a string or nothing read as "no sizes" would match a 0-dim tensor */
  if (ty != LUA_TTABLE && ty != LUA_TUSERDATA && ty != LUA_TNUMBER)
    return luaL_argerror(L, 2, lua_pushfstring(L, "LongStorage expected (or a table of sizes), got %s", luaL_typename(L, 2)));
  int64_t size[LT_MAXDIM];
  int nd = ltb_checksizes(L, 2, size);
  lua_pushboolean(L, nd == t->ndim && !memcmp(size, t->size, sizeof(int64_t) * nd));
  return 1;
}
static int t_storage(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (!t->storage) { lua_pushnil(L); return 1; }
  lt_storage_retain(t->storage);
  ltb_pushstorage(L, t->storage);
  return 1;
}
static int t_storageOffset(lua_State *L) { lua_pushinteger(L, ltb_checktensor(L, 1)->offset + 1); return 1; }
static int t_elementSize(lua_State *L) { lua_pushinteger(L, (lua_Integer)lt_dtype_size(ltb_checktensor(L, 1)->dtype)); return 1; }
static int t_isSetTo(lua_State *L) {
  lt_tensor *a = ltb_checktensor(L, 1), *b = ltb_checktensor(L, 2);
  lua_pushboolean(L, a->storage && a->storage == b->storage && a->offset == b->offset && a->ndim == b->ndim &&
                     !memcmp(a->size, b->size, sizeof(int64_t) * a->ndim) &&
                     !memcmp(a->stride, b->stride, sizeof(int64_t) * a->ndim));
  return 1;
}

/* ---- views ---- */
/* a new header on t's view; recorded (a view op) when t requires grad */
lt_tensor *ltb_view_alias(const lt_tensor *t) {
  if (lt_grad_enabled() && t->requires_grad && t->storage) return lt_view(t, t->ndim, t->size);
  return lt_alias(t);
}

/* Torch7's result forms res:view(src, ...), res:expand(src, ...), torch.squeeze(res, src):
 * res is re-pointed at v. That does not record: refused when v has a history to carry,
 * or res has one that would become wrong. Takes v. */
static int set_to_view(lua_State *L, lt_tensor *res, lt_tensor *v, const char *fn) {
  if (lt_grad_enabled() && ((v->requires_grad && !lt_is_leaf(v)) || (res->requires_grad && !lt_is_leaf(res)))) {
    lt_release(v);
    return luaL_error(L, "%s: the result form res:%s(src, ...) does not record gradients; use "
                      "src:%s(...) (or run it under torch.noGrad)", fn, fn, fn);
  }
  int rc = lt_set_tensor(res, v);
  lt_release(v);
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int t_view(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int64_t size[LT_MAXDIM];
  int first = 2;
  /* Torch7's result form: res:view(src, sizes...) */
  lt_tensor *src = ltb_totensor(L, 2);
  if (src && lua_gettop(L) > 2) { first = 3; }
  else src = NULL;
  int nd = ltb_checksizes(L, first, size);
  /* view({}) (an empty table): a 0-dim tensor of one element */
  if (nd == 0 && lua_gettop(L) >= first && !ltb_tostorage(L, first) && !lua_istable(L, first))
    return luaL_argerror(L, first, "sizes expected");
  lt_tensor *v = lt_view(src ? src : t, nd, size);
  if (!v) return ltb_fail(L);
  if (src) return set_to_view(L, t, v, "view");
  ltb_push(L, v);
  return 1;
}
static int t_viewAs(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1), *o = ltb_checktensor(L, 2);
  ltb_push(L, lt_view(t, o->ndim, o->size));
  return 1;
}
/* t:reshape(sizes), torch.reshape([res,] t, sizes): a view when the layout allows,
 * else a copy; with res, res holds the result */
static int t_reshape(lua_State *L) {
  lt_tensor *res = NULL;
  int i = 1;
  if (!LTB_METHOD(L) && ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); i = 2; }
  lt_tensor *t = ltb_checktensor(L, i);
  int64_t size[LT_MAXDIM];
  int nd = checksizes_only(L, i + 1, lua_gettop(L), size);
  lt_tensor *r = lt_reshape(t, nd, size);
  if (!r) return ltb_fail(L);
  if (res) {
    int rc = lt_resize(res, nd, size) < 0 ? -1 : lt_copy(res, r);
    lt_release(r);
    if (rc < 0) return ltb_fail(L);
    lua_pushvalue(L, 1);
    return 1;
  }
  ltb_push(L, r);
  return 1;
}
static int t_narrow(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int d = ltb_checkdim(L, 2, t->ndim);
  lua_Integer i = luaL_checkinteger(L, 3), n = luaL_checkinteger(L, 4);
  if (i < 0) i += t->size[d] + 1;
  if (i < 1 || n < 0 || i - 1 > t->size[d] || n > t->size[d] - (i - 1))
    return luaL_error(L, "bad argument to 'narrow' (start %I and size %I out of bounds for dimension %d of size %I)",
                      (LUAI_UACINT)i, (LUAI_UACINT)n, d + 1, (LUAI_UACINT)t->size[d]);
  ltb_push(L, lt_narrow(t, d, i - 1, n));
  return 1;
}
static int t_select(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int d = ltb_checkdim(L, 2, t->ndim);
  int64_t i = ltb_checkindex(L, 3, t->size[d]);
  if (t->ndim == 1) { ltb_push_element(L, t, &i); return 1; }   /* a number, like t[i] */
  ltb_push(L, lt_select(t, d, i));
  return 1;
}
static int t_sub(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int nargs = lua_gettop(L) - 1;
  if (nargs % 2 || nargs / 2 > t->ndim) return luaL_error(L, "bad arguments to 'sub' (expected pairs of start, end for up to %d dimensions)", t->ndim);
  /* every argument is checked before the view is made: a failed luaL_check* does not
   * return, and would leak it */
  lua_Integer lo[LT_MAXDIM], hi[LT_MAXDIM];
  for (int d = 0; d < nargs / 2; d++) {
    lua_Integer a = luaL_checkinteger(L, 2 + 2 * d), b = luaL_checkinteger(L, 3 + 2 * d);
    if (a < 0) a += t->size[d] + 1;
    if (b < 0) b += t->size[d] + 1;
    if (a < 1 || b > t->size[d] || a > b + 1)
      return luaL_error(L, "bad argument to 'sub' (range %I to %I out of bounds for dimension %d of size %I)",
                        luaL_checkinteger(L, 2 + 2 * d), luaL_checkinteger(L, 3 + 2 * d), d + 1, (lua_Integer)t->size[d]);
    lo[d] = a; hi[d] = b;
  }
  lt_tensor *v = ltb_view_alias(t);
  if (!v) return ltb_fail(L);
  for (int d = 0; d < nargs / 2; d++) {
    lt_tensor *n = lt_narrow(v, d, lo[d] - 1, hi[d] - lo[d] + 1);
    lt_release(v);
    if (!(v = n)) return ltb_fail(L);
  }
  ltb_push(L, v);
  return 1;
}
static int t_t(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (t->ndim != 2 && t->ndim != 1) return luaL_error(L, "bad argument #1 to 't' (expected a 1-D or 2-D tensor, got %d-D)", t->ndim);
  ltb_push(L, t->ndim == 2 ? lt_transpose(t, 0, 1) : ltb_view_alias(t));
  return 1;
}
static int t_transpose(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int a = ltb_checkdim(L, 2, t->ndim), b = ltb_checkdim(L, 3, t->ndim);
  ltb_push(L, lt_transpose(t, a, b));
  return 1;
}
static int t_permute(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int perm[LT_MAXDIM];
  int n = lua_gettop(L) - 1;
  bool tab = n == 1 && lua_istable(L, 2);
  if (tab) n = (int)lua_rawlen(L, 2);
  if (n != t->ndim) return luaL_error(L, "bad arguments to 'permute' (expected %d dimensions, got %d)", t->ndim, n);
  for (int i = 0; i < n; i++) {
    if (tab) { lua_rawgeti(L, 2, i + 1); perm[i] = ltb_checkdim(L, lua_gettop(L), t->ndim); lua_pop(L, 1); }
    else perm[i] = ltb_checkdim(L, 2 + i, t->ndim);
  }
  ltb_push(L, lt_permute(t, perm));
  return 1;
}
static int t_expand(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int64_t size[LT_MAXDIM];
  lt_tensor *res = NULL;
  int first = 2;
  /* res:expand(src, sizes) form */
  if (ltb_totensor(L, 2) && lua_gettop(L) > 2) { res = t; t = ltb_totensor(L, 2); first = 3; }
  int nd = ltb_checksizes(L, first, size);
  lt_tensor *v = lt_expand(t, nd, size);
  if (!v) return ltb_fail(L);
  if (res) return set_to_view(L, res, v, "expand");
  ltb_push(L, v);
  return 1;
}
static int t_expandAs(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1), *o = ltb_checktensor(L, 2);
  ltb_push(L, lt_expand(t, o->ndim, o->size));
  return 1;
}
/* t:squeeze([dim]), torch.squeeze([res,] t[, dim]); squeezing every dimension of a
 * one-element tensor gives a number (Torch7) */
static int t_squeeze(lua_State *L) {
  lt_tensor *res = NULL;
  int i = 1;
  if (ltb_totensor(L, 2)) { res = ltb_checktensor(L, 1); i = 2; }
  lt_tensor *t = ltb_checktensor(L, i);
  bool all = lua_isnoneornil(L, i + 1);
  lt_tensor *r = all ? lt_squeeze(t) : lt_squeeze_dim(t, ltb_checkdim(L, i + 1, t->ndim));
  if (!r) return ltb_fail(L);
  if (res) {
    lua_settop(L, 1);
    return set_to_view(L, res, r, "squeeze");
  }
  if (all && r->ndim == 0 && lt_numel(r) == 1) {
    ltb_push(L, r);           /* anchored while the element is read */
    ltb_push_element(L, r, NULL);
    return 1;
  }
  ltb_push(L, r);
  return 1;
}
static int t_unsqueeze(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  lua_Integer d = luaL_checkinteger(L, 2);
  if (d < 0) d += t->ndim + 2;
  if (d < 1 || d > t->ndim + 1) return luaL_argerror(L, 2, lua_pushfstring(L, "dimension out of range (expected 1 to %d)", t->ndim + 1));
  ltb_push(L, lt_unsqueeze(t, (int)d - 1));
  return 1;
}
static int t_unfold(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int d = t->ndim ? ltb_checkdim(L, 2, t->ndim) : 0;
  ltb_push(L, lt_unfold(t, d, luaL_checkinteger(L, 3), luaL_checkinteger(L, 4)));
  return 1;
}
static int t_contiguous(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lt_is_contiguous(t)) { lua_settop(L, 1); return 1; }
  ltb_push(L, lt_clone(t));
  return 1;
}
static int t_clone(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (!t->storage) { ltb_push(L, empty_tensor(t->dtype, t->device)); return 1; }
  ltb_push(L, lt_clone(t));
  return 1;
}
static int t_resize(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int64_t size[LT_MAXDIM];
  int nd = ltb_checksizes(L, 2, size);
  for (int i = 0; i < nd; i++) if (size[i] < 0) return luaL_argerror(L, 2 + i, "size must be non-negative");
  if (lt_resize(t, nd, size) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}
static int t_resizeAs(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lt_resize_as(t, ltb_checktensor(L, 2)) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}
static int t_set(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  lt_tensor *src = ltb_totensor(L, 2);
  if (src) { if (lt_set_tensor(t, src) < 0) return ltb_fail(L); lua_settop(L, 1); return 1; }
  lt_storage *s = ltb_tostorage(L, 2);
  if (!s) {
    if (lua_isnoneornil(L, 2)) {  /* t:set() empties */
      lt_storage_release(t->storage);
      t->storage = NULL; t->ndim = 0; t->offset = 0;
      lua_settop(L, 1);
      return 1;
    }
    return luaL_typeerror(L, 2, "tensor or storage");
  }
  int64_t off = (int64_t)luaL_optinteger(L, 3, 1) - 1;
  int64_t size[LT_MAXDIM], stride[LT_MAXDIM];
  int nd;
  int rc;
  if (lua_isnoneornil(L, 4)) { nd = 1; size[0] = s->size - off; rc = lt_set(t, s, off, nd, size, NULL); }
  else {
    nd = ltb_checksizes(L, 4, size);
    if (!lua_isnoneornil(L, 5) && ltb_tostorage(L, 5)) {
      if (ltb_checksizes(L, 5, stride) != nd) return luaL_argerror(L, 5, "strides and sizes differ in length");
      rc = lt_set(t, s, off, nd, size, stride);
    } else rc = lt_set(t, s, off, nd, size, NULL);
  }
  if (rc < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

/* ---- copy and types ---- */
static int t_copy(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  lt_tensor *s = ltb_totensor(L, 2);
  if (!s) {
    lt_storage *st = ltb_tostorage(L, 2);
    if (!st) return luaL_typeerror(L, 2, "tensor");
    lt_tensor *v = lt_from_storage(st, 0, 1, &st->size, NULL);
    int rc = v ? lt_copy(t, v) : -1;
    lt_release(v);
    if (rc < 0) return ltb_fail(L);
  } else if (lt_copy(t, s) < 0) return ltb_fail(L);
  lua_settop(L, 1);
  return 1;
}

static int convert(lua_State *L, lt_dtype dt, lt_device dev) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (t->dtype == dt && lt_same_device(t->device, dev)) { lua_settop(L, 1); return 1; }
  if (!t->storage) { ltb_push(L, empty_tensor(dt, dev)); return 1; }
  lt_tensor *r = lt_empty(t->ndim, t->size, dt, dev);
  if (!r) return ltb_fail(L);
  if (lt_copy(r, t) < 0) { lt_release(r); return ltb_fail(L); }
  ltb_push(L, r);
  return 1;
}

static int t_type(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) { lua_pushstring(L, ltb_typename(t->dtype, t->device)); return 1; }
  const char *name = luaL_checkstring(L, 2);
  lt_device dev;
  int dt = ltb_dtype_from_name(name, &dev);
  if (dt < 0) return luaL_argerror(L, 2, lua_pushfstring(L, "unknown tensor type '%s'", name));
  /* to a Cuda type: the tensor's own GPU, or the current device */
  if (dev.type == LT_CUDA) dev.index = t->device.type == LT_CUDA ? t->device.index : (int8_t)lt_cuda_get_device();
  return convert(L, (lt_dtype)dt, dev);
}
static int t_typeAs(lua_State *L) {
  lt_tensor *o = ltb_checktensor(L, 2);
  return convert(L, o->dtype, o->device);
}
/* t:float() ... are Torch7's t:type('torch.FloatTensor'): CPU tensors */
#define CONVERTER(NAME, DT)                                                            \
  static int t_##NAME(lua_State *L) {                                                  \
    ltb_checktensor(L, 1);                                                             \
    return convert(L, DT, lt_cpu());                                                   \
  }
CONVERTER(float, LT_FLOAT32)
CONVERTER(double, LT_FLOAT64)
CONVERTER(long, LT_INT64)
CONVERTER(int, LT_INT32)
CONVERTER(short, LT_INT16)
CONVERTER(char, LT_INT8)
CONVERTER(byte, LT_UINT8)
CONVERTER(bool, LT_BOOL)
CONVERTER(half, LT_FLOAT16)
CONVERTER(bfloat16, LT_BFLOAT16)

/* t:cuda([device]): to the GPU (the current device, torch.cuda.setDevice, by default),
 * keeping the dtype; a clear error without a GPU */
static int t_cuda(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  int ok = lt_cuda_available();
  if (ok < 0) return luaL_error(L, "cuda: %s", lt_errmsg());
  if (ok == 0) return luaL_error(L, "cuda: CUDA is not available: no CUDA device");
  lua_Integer d = lua_isnoneornil(L, 2) ? lt_cuda_get_device() + 1 : luaL_checkinteger(L, 2);
  int n = lt_cuda_device_count();
  if (d < 1 || d > n)
    return luaL_argerror(L, 2, lua_pushfstring(L, "device %d does not exist (%d CUDA device%s)", (int)d, n, n == 1 ? "" : "s"));
  return convert(L, t->dtype, (lt_device){LT_CUDA, (int8_t)(d - 1)});
}
static int t_cpu(lua_State *L) {
  lt_tensor *t = ltb_checktensor(L, 1);
  return convert(L, t->dtype, lt_cpu());
}

/* ---- module-level type functions ---- */
static int f_isTensor(lua_State *L) { lua_pushboolean(L, ltb_totensor(L, 1) != NULL); return 1; }
static int f_isStorage(lua_State *L) { lua_pushboolean(L, ltb_tostorage(L, 1) != NULL); return 1; }
static int f_setdefaulttensortype(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lt_device dev;
  int dt = ltb_dtype_from_name(name, &dev);
  if (dt < 0 || dev.type != LT_CPU || dt == LT_BOOL || lt_is_half((lt_dtype)dt))
    return luaL_argerror(L, 1, lua_pushfstring(L, "expected a CPU tensor type such as 'torch.FloatTensor' (Byte, Char, Short, Int, Long, Float or Double), got '%s'", name));
  ltb_default_dtype = (lt_dtype)dt;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  lua_getfield(L, -1, ltb_typename((lt_dtype)dt, dev) + 6);
  lua_setfield(L, -2, "Tensor");
  char sname[40];
  snprintf(sname, sizeof sname, "%sStorage", lt_dtype_name((lt_dtype)dt));
  lua_getfield(L, -1, sname);
  lua_setfield(L, -2, "Storage");
  return 0;
}
static int f_getdefaulttensortype(lua_State *L) {
  lua_pushstring(L, ltb_typename(ltb_default_dtype, lt_cpu()));
  return 1;
}
static int f_memLive(lua_State *L) { lua_pushinteger(L, lt_mem_live_bytes()); return 1; }

static const luaL_Reg methods[] = {
  {"size", t_size}, {"stride", t_stride}, {"dim", t_dim}, {"nDimension", t_dim},
  {"nElement", t_nElement}, {"numel", t_nElement}, {"isContiguous", t_isContiguous},
  {"isSameSizeAs", t_isSameSizeAs}, {"isSize", t_isSize}, {"storage", t_storage},
  {"storageOffset", t_storageOffset}, {"elementSize", t_elementSize}, {"isSetTo", t_isSetTo},
  {"view", t_view}, {"viewAs", t_viewAs}, {"reshape", t_reshape}, {"narrow", t_narrow},
  {"select", t_select}, {"sub", t_sub}, {"t", t_t}, {"transpose", t_transpose},
  {"permute", t_permute}, {"expand", t_expand}, {"expandAs", t_expandAs},
  {"squeeze", t_squeeze}, {"unsqueeze", t_unsqueeze}, {"unfold", t_unfold},
  {"contiguous", t_contiguous}, {"clone", t_clone}, {"resize", t_resize},
  {"resizeAs", t_resizeAs}, {"set", t_set}, {"copy", t_copy}, {"fill", t_fill},
  {"zero", t_zero}, {"zeros", t_zeros}, {"ones", t_ones}, {"type", t_type}, {"typeAs", t_typeAs},
  {"float", t_float}, {"double", t_double}, {"long", t_long}, {"int", t_int},
  {"short", t_short}, {"char", t_char}, {"byte", t_byte}, {"bool", t_bool},
  {"half", t_half}, {"bfloat16", t_bfloat16}, {"cuda", t_cuda}, {"cpu", t_cpu},
  {NULL, NULL}};

static const luaL_Reg functions[] = {
  {"zeros", t_zeros}, {"ones", t_ones}, {"full", t_full}, {"zerosLike", t_zerosLike},
  {"onesLike", t_onesLike}, {"isTensor", f_isTensor}, {"isStorage", f_isStorage},
  {"setdefaulttensortype", f_setdefaulttensortype},
  {"getdefaulttensortype", f_getdefaulttensortype}, {"_memLive", f_memLive},

  /* function forms of views and shape queries: torch.view(t, ...) etc. */
  {"size", t_size}, {"dim", t_dim}, {"nElement", t_nElement}, {"numel", t_nElement},
  {"view", t_view}, {"reshape", t_reshape}, {"narrow", t_narrow}, {"select", t_select},
  {"transpose", t_transpose}, {"t", t_t}, {"permute", t_permute}, {"expand", t_expand},
  {"squeeze", t_squeeze}, {"unsqueeze", t_unsqueeze}, {"unfold", t_unfold},
  {"clone", t_clone}, {"contiguous", t_contiguous},
  {"fill", t_fill}, {"zero", t_zero}, {"viewAs", t_viewAs}, {"expandAs", t_expandAs},
  {"isContiguous", t_isContiguous}, {"isSameSizeAs", t_isSameSizeAs}, {"stride", t_stride},
  {NULL, NULL}};

void ltb_open_tensor(lua_State *L) { ltb_register(L, methods, functions); }
