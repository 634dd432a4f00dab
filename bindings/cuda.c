/* cuda.c: the torch.cuda table: devices, synchronization, the caching allocator's
 * statistics, TF32. Devices are numbered from 1 in Lua, as in cutorch. The older names
 * torch.cudaAvailable / cudaDeviceCount / cudaSynchronize are the same functions. */
#include "lt_lua.h"
#include <string.h>

/* an optional device argument: 1-based, default the current device; returns 0-based */
static int opt_device(lua_State *L, int idx, const char *fn) {
  if (lua_isnoneornil(L, idx)) return lt_cuda_get_device();
  lua_Integer d = luaL_checkinteger(L, idx);
  int n = lt_cuda_device_count();
  if (d < 1 || d > 127 || (n > 0 && d > n)) {
    if (n == 0 && lt_cuda_available() < 0) return luaL_error(L, "%s: %s", fn, lt_errmsg());
    return luaL_error(L, "%s: device %d does not exist (%d CUDA device%s)", fn, (int)d, n, n == 1 ? "" : "s");
  }
  return (int)d - 1;
}
static int need_cuda(lua_State *L, const char *fn) {
  int ok = lt_cuda_available();
  if (ok <= 0) return luaL_error(L, "%s: %s", fn, ok < 0 ? lt_errmsg() : "no CUDA device");
  return 0;
}

/* isAvailable(): true, or false and the reason */
static int c_isAvailable(lua_State *L) {
  int ok = lt_cuda_available();
  lua_pushboolean(L, ok > 0);
  if (ok > 0) return 1;
  lua_pushstring(L, ok < 0 ? lt_errmsg() : "no CUDA device");
  return 2;
}
static int c_deviceCount(lua_State *L) { lua_pushinteger(L, lt_cuda_device_count()); return 1; }
static int c_setDevice(lua_State *L) {
  luaL_checkinteger(L, 1);
  need_cuda(L, "torch.cuda.setDevice");
  int d = opt_device(L, 1, "torch.cuda.setDevice");
  if (lt_cuda_set_device(d) < 0) return ltb_fail(L);
  return 0;
}
static int c_getDevice(lua_State *L) { lua_pushinteger(L, lt_cuda_get_device() + 1); return 1; }
static int c_synchronize(lua_State *L) {
  need_cuda(L, "torch.cuda.synchronize");
  if (lua_isnoneornil(L, 1)) {   /* every device, as cutorch.synchronize() */
    for (int d = 0; d < lt_cuda_device_count(); d++)
      if (lt_cuda_synchronize(d) < 0) return ltb_fail(L);
    return 0;
  }
  if (lt_cuda_synchronize(opt_device(L, 1, "torch.cuda.synchronize")) < 0) return ltb_fail(L);
  return 0;
}
/* memoryUsage([dev]): free, total bytes of the device (cutorch.getMemoryUsage) */
static int c_memoryUsage(lua_State *L) {
  need_cuda(L, "torch.cuda.memoryUsage");
  int64_t fr, tot;
  if (lt_cuda_memory_info(opt_device(L, 1, "torch.cuda.memoryUsage"), &fr, &tot) < 0) return ltb_fail(L);
  lua_pushinteger(L, fr);
  lua_pushinteger(L, tot);
  return 2;
}
static void set_int(lua_State *L, const char *k, int64_t v) { lua_pushinteger(L, v); lua_setfield(L, -2, k); }
/* memoryStats([dev]): the caching allocator's counters, a table */
static int c_memoryStats(lua_State *L) {
  need_cuda(L, "torch.cuda.memoryStats");
  lt_cuda_mem_stats st;
  if (lt_cuda_memory_stats(opt_device(L, 1, "torch.cuda.memoryStats"), &st, false) < 0) return ltb_fail(L);
  lua_createtable(L, 0, 7);
  set_int(L, "allocated", st.allocated);
  set_int(L, "peak", st.peak);
  set_int(L, "cached", st.cached);
  set_int(L, "reserved", st.reserved);
  set_int(L, "mallocs", st.mallocs);
  set_int(L, "frees", st.frees);
  set_int(L, "cacheHits", st.cache_hits);
  return 1;
}
static int c_resetPeakMemoryStats(lua_State *L) {
  need_cuda(L, "torch.cuda.resetPeakMemoryStats");
  lt_cuda_mem_stats st;
  if (lt_cuda_memory_stats(opt_device(L, 1, "torch.cuda.resetPeakMemoryStats"), &st, true) < 0) return ltb_fail(L);
  return 0;
}
/* emptyCache([dev]): cached blocks back to the driver (every device by default) */
static int c_emptyCache(lua_State *L) {
  if (lt_cuda_device_count() == 0) return 0;   /* nothing was ever cached */
  int d = lua_isnoneornil(L, 1) ? -1 : opt_device(L, 1, "torch.cuda.emptyCache");
  if (lt_cuda_empty_cache(d) < 0) return ltb_fail(L);
  return 0;
}
static int c_setTF32(lua_State *L) {
  luaL_checktype(L, 1, LUA_TBOOLEAN);
  lt_cuda_set_tf32(lua_toboolean(L, 1));
  return 0;
}
static int c_getTF32(lua_State *L) { lua_pushboolean(L, lt_cuda_get_tf32()); return 1; }
/* solverAvailable([dev]): true when LAPACK on CUDA tensors runs through cuSOLVER there;
 * false and the reason when it runs on host copies */
static int c_solverAvailable(lua_State *L) {
  need_cuda(L, "torch.cuda.solverAvailable");
  char why[320] = "";
  int r = lt_cuda_solver_available(opt_device(L, 1, "torch.cuda.solverAvailable"), why, sizeof why);
  if (r < 0) return ltb_fail(L);
  lua_pushboolean(L, r);
  if (r) return 1;
  lua_pushstring(L, why);
  return 2;
}
/* getDeviceProperties([dev]): name, totalGlobalMem, major, minor, multiProcessorCount */
static int c_getDeviceProperties(lua_State *L) {
  need_cuda(L, "torch.cuda.getDeviceProperties");
  lt_cuda_props p;
  if (lt_cuda_device_properties(opt_device(L, 1, "torch.cuda.getDeviceProperties"), &p) < 0) return ltb_fail(L);
  lua_createtable(L, 0, 5);
  lua_pushstring(L, p.name);
  lua_setfield(L, -2, "name");
  set_int(L, "totalGlobalMem", p.total_mem);
  set_int(L, "major", p.major);
  set_int(L, "minor", p.minor);
  set_int(L, "multiProcessorCount", p.multiprocessors);
  return 1;
}
/* manualSeed(s): the one Philox stream every device draws from (torch.manualSeed) */
static int c_manualSeed(lua_State *L) {
  luaL_checkinteger(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  lua_getfield(L, -1, "manualSeed");
  lua_pushvalue(L, 1);
  lua_call(L, 1, 0);
  return 0;
}

static const luaL_Reg cuda_functions[] = {
  {"isAvailable", c_isAvailable}, {"deviceCount", c_deviceCount}, {"setDevice", c_setDevice},
  {"getDevice", c_getDevice}, {"synchronize", c_synchronize}, {"memoryUsage", c_memoryUsage},
  {"memoryStats", c_memoryStats}, {"resetPeakMemoryStats", c_resetPeakMemoryStats},
  {"emptyCache", c_emptyCache}, {"setTF32", c_setTF32}, {"getTF32", c_getTF32},
  {"solverAvailable", c_solverAvailable},
  {"getDeviceProperties", c_getDeviceProperties}, {"manualSeed", c_manualSeed},
  {"manualSeedAll", c_manualSeed}, {NULL, NULL}};

void ltb_open_cuda(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ltb_torch_ref);
  lua_createtable(L, 0, 16);
  luaL_setfuncs(L, cuda_functions, 0);
  lua_setfield(L, -2, "cuda");
  lua_pushcfunction(L, c_isAvailable);
  lua_setfield(L, -2, "cudaAvailable");
  lua_pushcfunction(L, c_deviceCount);
  lua_setfield(L, -2, "cudaDeviceCount");
  lua_pushcfunction(L, c_synchronize);
  lua_setfield(L, -2, "cudaSynchronize");
  lua_pop(L, 1);
}
