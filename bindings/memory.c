/* memory.c: the CPU allocator seen from Lua (torch.memoryStats, torch.emptyCache,
 * torch.setCacheLimit, torch.memoryUsage), mirroring torch.cuda's memory functions, and
 * collectgarbage() giving the freed memory back to the system. */
#include "lt_lua.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void set_int(lua_State *L, const char *k, int64_t v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

/* memoryStats(): the CPU allocator's counters, a table (the fields of torch.cuda.memoryStats
 * and cacheLimit) */
static int m_memoryStats(lua_State *L) {
  lt_cpu_mem_stats st;
  lt_mem_stats(&st, false);
  lua_createtable(L, 0, 8);
  set_int(L, "allocated", st.allocated);
  set_int(L, "peak", st.peak);
  set_int(L, "cached", st.cached);
  set_int(L, "reserved", st.allocated + st.cached);
  set_int(L, "cacheLimit", st.cache_limit);
  set_int(L, "mallocs", st.mallocs);
  set_int(L, "frees", st.frees);
  set_int(L, "cacheHits", st.cache_hits);
  return 1;
}

static int m_resetPeakMemoryStats(lua_State *L) {
  (void)L;
  lt_cpu_mem_stats st;
  lt_mem_stats(&st, true);
  return 0;
}

static int m_emptyCache(lua_State *L) {
  (void)L;
  lt_mem_trim();
  return 0;
}

/* setCacheLimit(bytes): the most the buffer cache keeps; returns the previous limit */
static int m_setCacheLimit(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 0, 1, "cache limit must be a number of bytes >= 0");
  lua_pushinteger(L, lt_mem_set_cache_limit(n));
  return 1;
}

/* memoryUsage(): the bytes of memory available (MemAvailable) and total, as
 * torch.cuda.memoryUsage gives free and total for a GPU */
static int m_memoryUsage(lua_State *L) {
  long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
  long avpages = sysconf(_SC_AVPHYS_PAGES);
  int64_t total = pages > 0 && psize > 0 ? (int64_t)pages * psize : 0;
  int64_t avail = avpages > 0 && psize > 0 ? (int64_t)avpages * psize : 0;
  FILE *f = fopen("/proc/meminfo", "r");   /* counts reclaimable page cache as available */
  if (f) {
    char line[128];
    long long kb;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1) { avail = (int64_t)kb * 1024; break; }
    fclose(f);
  }
  lua_pushinteger(L, avail);
  lua_pushinteger(L, total);
  return 2;
}

/* collectgarbage wrapped: a full collection ("collect", the default) frees dead tensors
 * into the buffer cache; the cache is then emptied and malloc trimmed, so that an explicit
 * collectgarbage() gives the memory back to the system as a user expects. Other options
 * pass through unchanged. Upvalue 1: the original function. */
static int m_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  bool full = strcmp(opt, "collect") == 0;
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  if (full) lt_mem_trim();
  return lua_gettop(L);
}

static const luaL_Reg memory_functions[] = {
  {"memoryStats", m_memoryStats}, {"resetPeakMemoryStats", m_resetPeakMemoryStats},
  {"emptyCache", m_emptyCache}, {"setCacheLimit", m_setCacheLimit},
  {"memoryUsage", m_memoryUsage}, {NULL, NULL}};

void ltb_open_memory(lua_State *L) {
  ltb_register(L, NULL, memory_functions);
  lua_getglobal(L, "collectgarbage");
  if (lua_tocfunction(L, -1) != m_collectgarbage && lua_isfunction(L, -1)) {
    lua_pushcclosure(L, m_collectgarbage, 1);
    lua_setglobal(L, "collectgarbage");
  } else lua_pop(L, 1);
}
