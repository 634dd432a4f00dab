/* distributed/mpi.c: the Lua C module `distributed.core`, the MPI backend of
 * stdlib/distributed (CPU tensors). Built only where MPI (mpicc) is found; torch/core.so
 * knows nothing of it.
 *
 * Tensors: this module is a separate shared object, and Lua loads C modules with
 * RTLD_LOCAL, so it cannot call core.so's functions by name, and a private copy of the
 * engine would not recognise core.so's tensor userdata. core.so publishes a table of
 * function pointers instead (bindings/lt_capi.h), as the light userdata torch._capi; we
 * read it once when loaded and check its version. Apart from that table we only read
 * lt_tensor's fields (data() below; luatorch.h's inline lt_data calls the engine's
 * lt_dtype_size, which is not ours to call).
 *
 * Every collective is MPI's blocking call (MPI_Allreduce ...: its tuned algorithms; the
 * nonblocking ones with a polling loop ran at half the bandwidth) watched by the watchdog
 * thread of dist_common.h (shared with the NCCL backend): when a call has not returned
 * after the timeout (settimeout, seconds; 0: no watchdog), a peer died or hangs, and the
 * watchdog prints which rank and function timed out and ends the process (_exit(1));
 * mpirun then ends the rest of the job. Arming it costs two atomic stores per call (no
 * wake-up: the thread polls). MPI cannot be interrupted from inside a call, so a Lua
 * error is not possible there. The communicator has MPI_ERRORS_RETURN, so an MPI failure
 * is a Lua error (after which MPI's state is undefined and later calls fail at once).
 *
 * Arguments come from stdlib/distributed/init.lua, which has already checked the Lua
 * types; the first argument of each function is the Lua name used in error messages. */
#include "dist_common.h"    /* the header check, the clock, the watchdog, the timeout, MPI */

static const ltb_capi *api;
static int failed;           /* an MPI call failed: MPI is unusable */

static void *data(const lt_tensor *t) {
  return t->storage ? (char *)t->storage->data + t->offset * (int64_t)api->dtype_size(t->dtype) : NULL;
}

static int mpi_fail(lua_State *L, const char *fn, const char *what, int rc) {
  char msg[MPI_MAX_ERROR_STRING + 256];
  failed = 1;
  dist_mpi_message(msg, sizeof msg, fn, what, rc);
  return dist_error(L, "%s", msg);
}

/* runs one MPI call under the watchdog; a failure is a Lua error */
#define COLLECTIVE DIST_MPI_CALL

static void check_ready(lua_State *L, const char *fn) {
  if (dist_size == 0) dist_error(L, "%s: distributed.init has not been called", fn);
  if (failed) dist_error(L, "%s: an earlier collective failed; MPI can no longer be used", fn);
}

static MPI_Datatype mpi_type(lt_dtype dt) {
  switch (dt) {
  case LT_FLOAT32: return MPI_FLOAT;
  case LT_FLOAT64: return MPI_DOUBLE;
  case LT_INT64: return MPI_INT64_T;
  case LT_INT32: return MPI_INT32_T;
  case LT_INT16: return MPI_INT16_T;
  case LT_INT8: return MPI_INT8_T;
  case LT_UINT8: case LT_BOOL: return MPI_UINT8_T;
  default: return MPI_UINT16_T;    /* half types: moved as bits, never reduced */
  }
}

static MPI_Op check_op(lua_State *L, const char *fn, int idx, lt_dtype dt) {
  const char *s = luaL_checkstring(L, idx);
  if (dt == LT_FLOAT16 || dt == LT_BFLOAT16)
    dist_error(L, "%s: reductions of %s tensors are not supported (convert to float first)", fn,
               api->dtype_name(dt));
  if (!strcmp(s, "sum") || !strcmp(s, "mean")) {
    if (dt == LT_BOOL) dist_error(L, "%s: op '%s' is not defined for Bool tensors", fn, s);
    return MPI_SUM;
  }
  if (!strcmp(s, "max")) return MPI_MAX;
  if (!strcmp(s, "min")) return MPI_MIN;
  dist_error(L, "%s: unknown op '%s' (expected 'sum', 'mean', 'max' or 'min')", fn, s);
  return MPI_SUM;
}

/* the tensor at idx: a contiguous CPU tensor (init.lua makes copies of the others) */
static lt_tensor *check_tensor(lua_State *L, const char *fn, int idx, int argn) {
  lt_tensor *t = api->totensor(L, idx);
  if (!t) dist_error(L, "bad argument #%d to '%s' (tensor expected, got %s)", argn, fn, luaL_typename(L, idx));
  if (t->device.type != LT_CPU)
    dist_error(L, "bad argument #%d to '%s' (CPU tensor expected for backend 'mpi', got a CUDA tensor)", argn, fn);
  if (!api->is_contiguous(t)) dist_error(L, "bad argument #%d to '%s' (contiguous tensor expected)", argn, fn);
  if (api->numel(t) > 0x7fffffff)
    dist_error(L, "bad argument #%d to '%s' (tensors of more than 2^31-1 elements are not supported)", argn, fn);
  return t;
}

/* every rank must hold the same dtype and shape (dist_common.h) */
static void check_shapes(lua_State *L, const char *fn, const lt_tensor *t) { dist_check_shapes(L, api, fn, t); }

static int d_init(lua_State *L) {
  dist_mpi_start(L, "distributed.init");
  failed = 0;
  lua_pushinteger(L, dist_rank);
  lua_pushinteger(L, dist_size);
  return 2;
}

/* MPI_Finalize waits for the other ranks: under the watchdog, as a collective */
static int d_finalize(lua_State *L) {
  (void)L;
  dist_wd_arm("distributed.finalize");
  dist_mpi_finalize();
  dist_wd_disarm();
  dist_size = 0; dist_rank = -1;
  return 0;
}

/* allreduce(fn, t, op) */
static int d_allreduce(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  check_ready(L, fn);
  lt_tensor *t = check_tensor(L, fn, 2, 1);
  MPI_Op op = check_op(L, fn, 3, t->dtype);
  check_shapes(L, fn, t);
  int n = (int)api->numel(t);
  if (n == 0) return 0;
  COLLECTIVE(L, fn, "MPI_Allreduce",
             MPI_Allreduce(MPI_IN_PLACE, data(t), n, mpi_type(t->dtype), op, MPI_COMM_WORLD));
  return 0;
}

/* broadcast(fn, t, root) */
static int d_broadcast(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  check_ready(L, fn);
  lt_tensor *t = check_tensor(L, fn, 2, 1);
  int root = dist_check_root(L, fn, 3, 2);
  check_shapes(L, fn, t);
  int n = (int)api->numel(t);
  if (n == 0) return 0;
  COLLECTIVE(L, fn, "MPI_Bcast", MPI_Bcast(data(t), n, mpi_type(t->dtype), root, MPI_COMM_WORLD));
  return 0;
}

/* reduce(fn, t, root, op): the result in root's t; the others' tensors are unchanged */
static int d_reduce(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  check_ready(L, fn);
  lt_tensor *t = check_tensor(L, fn, 2, 1);
  int root = dist_check_root(L, fn, 3, 2);
  MPI_Op op = check_op(L, fn, 4, t->dtype);
  check_shapes(L, fn, t);
  int n = (int)api->numel(t);
  if (n == 0) return 0;
  void *d = data(t);
  bool mine = dist_rank == root;
  COLLECTIVE(L, fn, "MPI_Reduce", MPI_Reduce(mine ? MPI_IN_PLACE : d, mine ? d : NULL,
                                             n, mpi_type(t->dtype), op, root, MPI_COMM_WORLD));
  return 0;
}

/* allgather(fn, src, dst): dst (contiguous, size * numel(src) elements of src's dtype,
 * shaped by init.lua) receives every rank's src in rank order */
static int d_allgather(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  check_ready(L, fn);
  lt_tensor *s = check_tensor(L, fn, 2, 1);
  lt_tensor *d = check_tensor(L, fn, 3, 2);
  dist_check_gathered(L, api, fn, s, d);
  check_shapes(L, fn, s);
  int64_t n = api->numel(s);
  if (n == 0) return 0;
  COLLECTIVE(L, fn, "MPI_Allgather", MPI_Allgather(data(s), (int)n, mpi_type(s->dtype), data(d),
                                                   (int)n, mpi_type(s->dtype), MPI_COMM_WORLD));
  return 0;
}

static int d_barrier(lua_State *L) {
  const char *fn = "distributed.barrier";
  check_ready(L, fn);
  COLLECTIVE(L, fn, "MPI_Barrier", MPI_Barrier(MPI_COMM_WORLD));
  return 0;
}

static int d_abort(lua_State *L) {
  MPI_Abort(MPI_COMM_WORLD, (int)luaL_optinteger(L, 1, 1));
  return 0;
}

int luaopen_distributed_core(lua_State *L) {
  dist_promote_libmpi();   /* OpenMPI's plugins need libmpi's symbols global */
  api = dist_load_capi(L);
  static const luaL_Reg fns[] = {
    {"init", d_init}, {"finalize", d_finalize}, {"settimeout", dist_settimeout},
    {"gettimeout", dist_gettimeout}, {"allreduce", d_allreduce}, {"broadcast", d_broadcast},
    {"reduce", d_reduce}, {"allgather", d_allgather}, {"barrier", d_barrier},
    {"abort", d_abort}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
