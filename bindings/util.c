/* util.c: torch.Timer, the thread count, torch.pointer. */
#include "lt_lua.h"
#include <stdint.h>
#include <time.h>
#include <sys/resource.h>

/* ---- torch.Timer: wall-clock, user and system time, accumulated while running ---- */
#define TIMER_MT "torch.Timer"

typedef struct {
  int running;
  double start[3];   /* real, user, sys at the last start/resume */
  double total[3];   /* accumulated before that */
} ltb_timer;

static void clock_now(double *v) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  v[0] = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  v[1] = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
  v[2] = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static ltb_timer *checktimer(lua_State *L) { return (ltb_timer *)luaL_checkudata(L, 1, TIMER_MT); }

/* torch.Timer(): a timer, already running */
static int timer_new(lua_State *L) {
  ltb_timer *t = (ltb_timer *)lua_newuserdatauv(L, sizeof(ltb_timer), 0);
  t->running = 1;
  clock_now(t->start);
  for (int i = 0; i < 3; i++) t->total[i] = 0;
  luaL_setmetatable(L, TIMER_MT);
  return 1;
}

/* timer:time() -> {real=, user=, sys=} in seconds */
static int timer_time(lua_State *L) {
  ltb_timer *t = checktimer(L);
  double v[3] = {t->total[0], t->total[1], t->total[2]};
  if (t->running) {
    double now[3];
    clock_now(now);
    for (int i = 0; i < 3; i++) v[i] += now[i] - t->start[i];
  }
  lua_createtable(L, 0, 3);
  lua_pushnumber(L, v[0]);
  lua_setfield(L, -2, "real");
  lua_pushnumber(L, v[1]);
  lua_setfield(L, -2, "user");
  lua_pushnumber(L, v[2]);
  lua_setfield(L, -2, "sys");
  return 1;
}

/* timer:reset(): zero; a running timer counts on from now, a stopped one stays stopped */
static int timer_reset(lua_State *L) {
  ltb_timer *t = checktimer(L);
  for (int i = 0; i < 3; i++) t->total[i] = 0;
  if (t->running) clock_now(t->start);
  lua_settop(L, 1);
  return 1;
}

static int timer_stop(lua_State *L) {
  ltb_timer *t = checktimer(L);
  if (!t->running) { lua_settop(L, 1); return 1; }   /* Torch7: stopping a stopped timer does nothing */
  double now[3];
  clock_now(now);
  for (int i = 0; i < 3; i++) t->total[i] += now[i] - t->start[i];
  t->running = 0;
  lua_settop(L, 1);
  return 1;
}

static int timer_resume(lua_State *L) {
  ltb_timer *t = checktimer(L);
  if (t->running) { lua_settop(L, 1); return 1; }   /* Torch7: resuming a running timer does nothing */
  clock_now(t->start);
  t->running = 1;
  lua_settop(L, 1);
  return 1;
}

static int timer_tostring(lua_State *L) {
  ltb_timer *t = checktimer(L);
  lua_pushfstring(L, TIMER_MT " (%s)", t->running ? "running" : "stopped");
  return 1;
}

static const luaL_Reg timer_methods[] = {
  {"time", timer_time}, {"reset", timer_reset}, {"stop", timer_stop},
  {"resume", timer_resume}, {NULL, NULL}};

/* ---- threads: OpenMP and BLAS together ---- */
static int setnumthreads(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 1 && n <= 4096, 1, "number of threads must be between 1 and 4096");
  lt_set_num_threads((int)n);
  return 0;
}

static int getnumthreads(lua_State *L) {
  lua_pushinteger(L, lt_get_num_threads());
  return 1;
}

/* ---- torch.pointer(x): a number identifying x; for a tensor, the tensor itself (two Lua
 * values holding the same tensor give the same number), for a storage its buffer object ---- */
static int pointer(lua_State *L) {
  const void *p;
  lt_tensor *t;
  lt_storage *s;
  switch (lua_type(L, 1)) {
  case LUA_TUSERDATA:
    if ((t = ltb_totensor(L, 1)) != NULL) p = t;
    else if ((s = ltb_tostorage(L, 1)) != NULL) p = s;
    else p = lua_touserdata(L, 1);
    break;
  case LUA_TLIGHTUSERDATA: p = lua_touserdata(L, 1); break;
  case LUA_TTABLE: case LUA_TFUNCTION: case LUA_TTHREAD: case LUA_TSTRING:
    p = lua_topointer(L, 1);
    break;
  default:
    return luaL_argerror(L, 1, lua_pushfstring(L, "Torch object, table, thread, string or function expected, got %s",
                                               luaL_typename(L, 1)));
  }
  lua_pushinteger(L, (lua_Integer)(uintptr_t)p);
  return 1;
}

/* torch._setStreamMin([n]) -> previous: the streaming-store threshold of the float32
 * vector loops (tensor/pointwise_kernels.c), for tests; false where there are none */
static int set_stream_min(lua_State *L) {
  lua_Integer n = luaL_optinteger(L, 1, 0);
  int64_t old = lt_set_stream_min(n > 0 ? (int64_t)n : 0);
  if (old == INT64_MAX) lua_pushboolean(L, 0);
  else lua_pushinteger(L, (lua_Integer)old);
  return 1;
}

static const luaL_Reg util_functions[] = {
  {"Timer", timer_new}, {"setnumthreads", setnumthreads}, {"getnumthreads", getnumthreads},
  {"pointer", pointer}, {"_setStreamMin", set_stream_min}, {NULL, NULL}};

void ltb_open_util(lua_State *L) {
  luaL_newmetatable(L, TIMER_MT);
  lua_pushstring(L, TIMER_MT);
  lua_setfield(L, -2, "__typename");
  luaL_newlib(L, timer_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, timer_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  ltb_register(L, NULL, util_functions);
}
