/* dist_ref.c: a Lua C module for `make bench-dist` only (BUILD/bench/dist_ref.so, loaded
 * by bench/dist_allreduce.lua with package.loadlib): allreduce(t) calls MPI_Allreduce
 * (MPI_IN_PLACE, sum) directly on a contiguous FloatTensor's memory, with no shape check,
 * no watchdog and no Lua layer. Timed in the same job as distributed.allReduce, on the
 * same buffer, call for call, it is the reference that other jobs on the machine disturb
 * alike (bench/mpi_allreduce.c, a separate program, runs in a separate job). It reaches
 * the tensor through torch._capi, as distributed/mpi.c does; MPI must be initialized
 * (distributed.init). Not a test. */
#include "luatorch.h"
#include "lt_capi.h"
#include <lua.h>
#include <lauxlib.h>
#include <mpi.h>

static const ltb_capi *api;

static int ref_allreduce(lua_State *L) {
  lt_tensor *t = api->totensor(L, 1);
  if (!t || t->dtype != LT_FLOAT32 || t->device.type != LT_CPU || !api->is_contiguous(t))
    return luaL_argerror(L, 1, "contiguous CPU FloatTensor expected");
  int n = (int)api->numel(t);
  float *p = (float *)t->storage->data + t->offset;
  if (MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
    return luaL_error(L, "dist_ref.allreduce: MPI_Allreduce failed");
  return 0;
}

int luaopen_dist_ref(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushstring(L, "torch");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "_capi");
  api = (const ltb_capi *)lua_touserdata(L, -1);
  if (!api || api->version != LTB_CAPI_VERSION || api->size < sizeof(ltb_capi))
    return luaL_error(L, "dist_ref: torch._capi missing or of another version");
  lua_pop(L, 2);
  lua_newtable(L);
  lua_pushcfunction(L, ref_allreduce);
  lua_setfield(L, -2, "allreduce");
  return 1;
}
