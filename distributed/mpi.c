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
 * nonblocking ones with a polling loop ran at half the bandwidth) watched by a watchdog
 * thread: when a call has not returned after the timeout (settimeout, seconds; 0: no
 * watchdog), a peer died or hangs, and the watchdog prints which rank and function timed
 * out and ends the process (_exit(1)); mpirun then ends the rest of the job. MPI cannot
 * be interrupted from inside a call, so a Lua error is not possible there. The
 * communicator has MPI_ERRORS_RETURN, so an MPI failure is a Lua error (after which MPI's
 * state is undefined and later calls fail at once).
 *
 * Arguments come from stdlib/distributed/init.lua, which has already checked the Lua
 * types; the first argument of each function is the Lua name used in error messages. */
#include "luatorch.h"
#include "lt_capi.h"
#include <lua.h>
#include <lauxlib.h>
#include <mpi.h>
#include <dlfcn.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <pthread.h>
#include <errno.h>
#include <unistd.h>
#include <stdbool.h>

static const ltb_capi *api;
static double timeout_s = 300;
static int rank_ = -1, size_ = 0;
static int failed;           /* an MPI call failed: MPI is unusable */

static void *data(const lt_tensor *t) {
  return t->storage ? (char *)t->storage->data + t->offset * (int64_t)api->dtype_size(t->dtype) : NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int mpi_fail(lua_State *L, const char *fn, const char *what, int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  failed = 1;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "error %d", rc);
  return luaL_error(L, "%s: %s failed on rank %d: %s", fn, what, rank_, msg);
}

/* the watchdog: one thread, armed around each collective */
static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv;
static bool wd_started;
static double wd_deadline;         /* 0: disarmed */
static const char *wd_fn;
static unsigned long wd_gen;       /* counts arms, so a late wake-up never fires a new call */

static void *watchdog(void *arg) {
  (void)arg;
  pthread_mutex_lock(&wd_mu);
  for (;;) {
    while (wd_deadline == 0) pthread_cond_wait(&wd_cv, &wd_mu);
    unsigned long gen = wd_gen;
    double dl = wd_deadline;
    struct timespec ts = {(time_t)dl, (long)((dl - (time_t)dl) * 1e9)};
    int rc = 0;
    while (wd_deadline != 0 && wd_gen == gen && rc != ETIMEDOUT)
      rc = pthread_cond_timedwait(&wd_cv, &wd_mu, &ts);
    if (wd_deadline != 0 && wd_gen == gen && now() >= dl) {
      fprintf(stderr, "%s: timed out after %g s on rank %d of %d waiting for the other ranks "
              "(a peer died, hangs, or did not call %s; see distributed.setTimeout): "
              "ending this process\n", wd_fn, timeout_s, rank_, size_, wd_fn);
      fflush(stderr);
      _exit(1);
    }
  }
  return NULL;
}

static void wd_start(void) {
  if (wd_started) return;
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&wd_cv, &a);
  pthread_condattr_destroy(&a);
  pthread_t th;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&th, &ta, watchdog, NULL) == 0) wd_started = true;
  pthread_attr_destroy(&ta);
}

static void wd_arm(const char *fn) {
  if (timeout_s <= 0 || !wd_started) return;
  pthread_mutex_lock(&wd_mu);
  wd_fn = fn;
  wd_deadline = now() + timeout_s;
  wd_gen++;
  pthread_cond_signal(&wd_cv);
  pthread_mutex_unlock(&wd_mu);
}

static void wd_disarm(void) {
  if (!wd_started) return;
  pthread_mutex_lock(&wd_mu);
  wd_deadline = 0;
  pthread_mutex_unlock(&wd_mu);
}

/* runs one MPI call under the watchdog; a failure is a Lua error */
#define COLLECTIVE(L, fn, what, call) do { \
    wd_arm(fn); \
    int rc_ = (call); \
    wd_disarm(); \
    if (rc_ != MPI_SUCCESS) mpi_fail(L, fn, what, rc_); \
  } while (0)

static void check_ready(lua_State *L, const char *fn) {
  if (size_ == 0) luaL_error(L, "%s: distributed.init has not been called", fn);
  if (failed) luaL_error(L, "%s: an earlier collective failed; MPI can no longer be used", fn);
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
    luaL_error(L, "%s: reductions of %s tensors are not supported (convert to float first)", fn,
               api->dtype_name(dt));
  if (!strcmp(s, "sum") || !strcmp(s, "mean")) {
    if (dt == LT_BOOL) luaL_error(L, "%s: op '%s' is not defined for Bool tensors", fn, s);
    return MPI_SUM;
  }
  if (!strcmp(s, "max")) return MPI_MAX;
  if (!strcmp(s, "min")) return MPI_MIN;
  luaL_error(L, "%s: unknown op '%s' (expected 'sum', 'mean', 'max' or 'min')", fn, s);
  return MPI_SUM;
}

/* the tensor at idx: a contiguous CPU tensor (init.lua makes copies of the others) */
static lt_tensor *check_tensor(lua_State *L, const char *fn, int idx, int argn) {
  lt_tensor *t = api->totensor(L, idx);
  if (!t) luaL_error(L, "bad argument #%d to '%s' (tensor expected, got %s)", argn, fn, luaL_typename(L, idx));
  if (t->device.type != LT_CPU)
    luaL_error(L, "bad argument #%d to '%s' (CPU tensor expected for backend 'mpi', got a CUDA tensor)", argn, fn);
  if (!api->is_contiguous(t)) luaL_error(L, "bad argument #%d to '%s' (contiguous tensor expected)", argn, fn);
  if (api->numel(t) > 0x7fffffff)
    luaL_error(L, "bad argument #%d to '%s' (tensors of more than 2^31-1 elements are not supported)", argn, fn);
  return t;
}

static void describe(const int64_t *h, char *buf, size_t n) {
  int nd = (int)h[1];
  size_t k = (size_t)snprintf(buf, n, "a %sTensor of size ", h[0] >= 0 && h[0] < LT_NDTYPES ? api->dtype_name((lt_dtype)h[0]) : "?");
  if (nd == 0) snprintf(buf + k, n - k, "[]");
  for (int i = 0; i < nd && i < LT_MAXDIM && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, i ? "x%lld" : "%lld", (long long)h[2 + i]);
}

/* every rank must hold the same dtype and shape: one small allgather of (dtype, ndim,
 * sizes) compares them, so a mismatch is an error on every rank instead of a hang or
 * corrupt memory. It costs one latency per collective. */
#define HDR (LT_MAXDIM + 2)
static void check_shapes(lua_State *L, const char *fn, const lt_tensor *t) {
  int64_t mine[HDR] = {0};
  mine[0] = t->dtype; mine[1] = t->ndim;
  for (int i = 0; i < t->ndim; i++) mine[2 + i] = t->size[i];
  int64_t *all = lua_newuserdatauv(L, sizeof(int64_t) * HDR * (size_t)size_, 0);
  COLLECTIVE(L, fn, "the shape check (MPI_Allgather)",
             MPI_Allgather(mine, HDR, MPI_INT64_T, all, HDR, MPI_INT64_T, MPI_COMM_WORLD));
  for (int r = 1; r < size_; r++)
    if (memcmp(all + (size_t)r * HDR, all, sizeof mine)) {
      char a[256], b[256];
      describe(all, a, sizeof a);
      describe(all + (size_t)r * HDR, b, sizeof b);
      luaL_error(L, "%s: ranks disagree on the tensor: rank 0 has %s, rank %d has %s", fn, a, r, b);
    }
  lua_pop(L, 1);
}

static int d_init(lua_State *L) {
  const char *fn = "distributed.init";
  int inited = 0, fin = 0, provided;
  MPI_Finalized(&fin);
  if (fin) return luaL_error(L, "%s: MPI was finalized; it cannot be started again in this process", fn);
  MPI_Initialized(&inited);
  if (!inited) {
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return luaL_error(L, "%s: MPI_Init failed (error %d)", fn, rc);
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  failed = 0;
  wd_start();
  lua_pushinteger(L, rank_);
  lua_pushinteger(L, size_);
  return 2;
}

static int d_finalize(lua_State *L) {
  int fin = 0, inited = 0;
  (void)L;
  MPI_Initialized(&inited);
  MPI_Finalized(&fin);
  if (inited && !fin) MPI_Finalize();
  size_ = 0; rank_ = -1;
  return 0;
}

static int d_settimeout(lua_State *L) {
  double s = luaL_checknumber(L, 1);
  if (!(s >= 0)) return luaL_argerror(L, 1, "timeout in seconds (>= 0) expected");
  timeout_s = s;
  return 0;
}
static int d_gettimeout(lua_State *L) { lua_pushnumber(L, timeout_s); return 1; }

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

static int check_root(lua_State *L, const char *fn, int idx, int argn) {
  lua_Integer r = luaL_checkinteger(L, idx);
  if (r < 0 || r >= size_)
    luaL_error(L, "bad argument #%d to '%s' (root rank in [0, %d] expected, got %d)", argn, fn, size_ - 1, (int)r);
  return (int)r;
}

/* broadcast(fn, t, root) */
static int d_broadcast(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  check_ready(L, fn);
  lt_tensor *t = check_tensor(L, fn, 2, 1);
  int root = check_root(L, fn, 3, 2);
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
  int root = check_root(L, fn, 3, 2);
  MPI_Op op = check_op(L, fn, 4, t->dtype);
  check_shapes(L, fn, t);
  int n = (int)api->numel(t);
  if (n == 0) return 0;
  void *d = data(t);
  COLLECTIVE(L, fn, "MPI_Reduce", MPI_Reduce(rank_ == root ? MPI_IN_PLACE : d, rank_ == root ? d : NULL,
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
  int64_t n = api->numel(s);
  if (d->dtype != s->dtype || api->numel(d) != n * size_)
    return luaL_error(L, "bad argument #2 to '%s' (result of %lld %s elements expected)", fn,
                      (long long)(n * size_), api->dtype_name(s->dtype));
  check_shapes(L, fn, s);
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
  /* OpenMPI opens its components (plugins) with dlopen, and they need libmpi's symbols
   * global; Lua opened us, and so libmpi, RTLD_LOCAL: make libmpi global */
  Dl_info info;
  if (dladdr((void *)MPI_Init, &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  lua_getglobal(L, "require");
  lua_pushstring(L, "torch");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "_capi");
  api = (const ltb_capi *)lua_touserdata(L, -1);
  if (!api || api->version != LTB_CAPI_VERSION || api->size < sizeof(ltb_capi))
    return luaL_error(L, "distributed: this torch module has no matching C interface (torch._capi); "
                      "rebuild luatorch");
  lua_pop(L, 2);
  static const luaL_Reg fns[] = {
    {"init", d_init}, {"finalize", d_finalize}, {"settimeout", d_settimeout},
    {"gettimeout", d_gettimeout}, {"allreduce", d_allreduce}, {"broadcast", d_broadcast},
    {"reduce", d_reduce}, {"allgather", d_allgather}, {"barrier", d_barrier},
    {"abort", d_abort}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
