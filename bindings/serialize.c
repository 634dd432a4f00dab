/* serialize.c: raw storage bytes <-> Lua strings, for torch.save/torch.load
 * (stdlib/torch/File.lua). Registered as torch._serial.{key, bytes, fill}. */
#include "lt_lua.h"
#include <string.h>

static lt_storage *cpu_storage(lua_State *L, int idx, const char *fname) {
  lt_storage *s = ltb_tostorage(L, idx);
  if (!s) luaL_error(L, "bad argument #%d to '%s' (storage expected, got %s)", idx, fname, luaL_typename(L, idx));
  if (s->device.type != LT_CPU) luaL_error(L, "%s: copy the storage to the CPU first", fname);
  return s;
}

/* key(storage) -> an integer naming the underlying buffer (same for two views) */
static int se_key(lua_State *L) {
  lt_storage *s = ltb_tostorage(L, 1);
  if (!s) return luaL_error(L, "bad argument #1 to 'key' (storage expected)");
  lua_pushinteger(L, (lua_Integer)(intptr_t)s);
  return 1;
}

/* bytes(storage) -> the raw elements as a string (little-endian on x86) */
static int se_bytes(lua_State *L) {
  lt_storage *s = cpu_storage(L, 1, "bytes");
  lua_pushlstring(L, (const char *)s->data, (size_t)s->size * lt_dtype_size(s->dtype));
  return 1;
}

/* fill(storage, str, pos) -> copies storage:size() elements from str at 1-based pos
 * (bools made 0 or 1); returns the position after them, or nil when str holds too few bytes */
static int se_fill(lua_State *L) {
  lt_storage *s = cpu_storage(L, 1, "fill");
  size_t n;
  const char *str = luaL_checklstring(L, 2, &n);
  lua_Integer pos = luaL_checkinteger(L, 3);
  size_t need = (size_t)s->size * lt_dtype_size(s->dtype);
  if (pos < 1 || (size_t)(pos - 1) > n || n - (size_t)(pos - 1) < need) { lua_pushnil(L); return 1; }
  if (need) memcpy(s->data, str + pos - 1, need);
  if (s->dtype == LT_BOOL) {
    /* a file may hold any byte: a bool is 0 or 1 everywhere else (sums, masks, printing) */
    unsigned char *b = s->data;
    for (size_t i = 0; i < need; i++) b[i] = b[i] != 0;
  }
  (s->base ? s->base : s)->version++;   /* the root's counter: autograd reads that one */
  lua_pushinteger(L, pos + (lua_Integer)need);
  return 1;
}

static const luaL_Reg serial_functions[] = {
  {"key", se_key}, {"bytes", se_bytes}, {"fill", se_fill}, {NULL, NULL}};

void ltb_open_serialize(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  lua_newtable(L);
  luaL_setfuncs(L, serial_functions, 0);
  lua_setfield(L, -2, "_serial");
  lua_pop(L, 1);
}
