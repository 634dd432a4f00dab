/* distributed/dist_common.h: what the C backends of stdlib/distributed share (mpi.c and
 * nccl.c): the tensor header the ranks
 * compare before each collective, its description in error messages, the clock, the
 * watchdog thread that ends a process whose host-side call (an MPI call, NCCL's
 * bootstrap) does not return within the timeout, and the MPI both use (start-up, the
 * shape check, the root argument, libmpi's symbols made global).
 *
 * Everything is static: each backend is one translation unit (one shared object), and
 * includes this once. It needs `api` (the torch._capi table) only through arguments, and
 * each backend defines mpi_fail (declared below), its own handling of a failed MPI call. */
#ifndef DIST_COMMON_H
#define DIST_COMMON_H
#include "luatorch.h"
#include "lt_capi.h"
#include <lua.h>
#include <lauxlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <pthread.h>
#include <errno.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <mpi.h>
#include <dlfcn.h>

/* raises msg as a Lua error without a position: the message names the user's function,
 * and the position luaL_error would add is inside stdlib/distributed/init.lua */
static int dist_error(lua_State *L, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return lua_error(L);
}

/* ---- the tensor header: (dtype, ndim, sizes), int64s, zero-padded ---- */
#define DIST_HDR (LT_MAXDIM + 2)

static void dist_header(const lt_tensor *t, int64_t h[DIST_HDR]) {
  memset(h, 0, sizeof(int64_t) * DIST_HDR);
  h[0] = t->dtype;
  h[1] = t->ndim;
  for (int i = 0; i < t->ndim && i < LT_MAXDIM; i++) h[2 + i] = t->size[i];
}

/* "a FloatTensor of size 2x3" from a header (which may come from another rank: checked) */
static void dist_describe(const ltb_capi *api, const int64_t *h, char *buf, size_t n) {
  int nd = h[1] < 0 ? 0 : h[1] > LT_MAXDIM ? LT_MAXDIM : (int)h[1];
  size_t k = (size_t)snprintf(buf, n, "a %sTensor of size ",
                              h[0] >= 0 && h[0] < LT_NDTYPES ? api->dtype_name((lt_dtype)h[0]) : "?");
  if (k >= n) return;
  if (nd == 0) snprintf(buf + k, n - k, "[]");
  for (int i = 0; i < nd && k < n; i++)
    k += (size_t)snprintf(buf + k, n - k, i ? "x%lld" : "%lld", (long long)h[2 + i]);
}

/* all: `size` headers in rank order (an allgather of dist_header). Raises the error every
 * rank gets when one disagrees with rank 0, so that a mismatch is an error rather than a
 * hang or corrupt memory. */
static void dist_compare_headers(lua_State *L, const ltb_capi *api, const char *fn,
                                 const int64_t *all, int size) {
  for (int r = 1; r < size; r++)
    if (memcmp(all + (size_t)r * DIST_HDR, all, sizeof(int64_t) * DIST_HDR)) {
      char a[256], b[256];
      dist_describe(api, all, a, sizeof a);
      dist_describe(api, all + (size_t)r * DIST_HDR, b, sizeof b);
      dist_error(L, "%s: ranks disagree on the tensor: rank 0 has %s, rank %d has %s", fn, a, r, b);
    }
}

static double dist_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- the watchdog: one thread, armed around each blocking host call ----
 * A call that cannot be interrupted (MPI's, NCCL's bootstrap) and has not returned after
 * dist_timeout_s means a peer died, hangs, or never made the same call: the watchdog
 * prints which rank and function timed out and ends the process (_exit(1)); mpirun then
 * ends the rest of the job. The thread polls the deadline every min(timeout/4, 1 s), so
 * a hung call ends the process between timeout and 1.25 x timeout after it started;
 * arming and disarming are atomic stores, with no lock and no wake-up (waking the thread
 * on every call preempted ranks spinning in MPI where ranks share cores). */
static _Atomic double dist_timeout_s = 300;   /* seconds; 0: no watchdog */
static int dist_rank = -1, dist_size = 0;
static _Atomic double dist_wd_deadline;       /* 0: disarmed */
static const char *_Atomic dist_wd_fn;
static _Atomic unsigned long dist_wd_gen;     /* counts arms: a call that ended is never fired */
static bool dist_wd_started;

static void *dist_watchdog(void *arg) {
  (void)arg;
  for (;;) {
    double limit = atomic_load_explicit(&dist_timeout_s, memory_order_relaxed);
    double period = limit > 0 && limit < 4 ? limit / 4 : 1;
    struct timespec ts = {(time_t)period, (long)((period - (time_t)period) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    unsigned long gen = atomic_load_explicit(&dist_wd_gen, memory_order_acquire);
    double dl = atomic_load_explicit(&dist_wd_deadline, memory_order_acquire);
    const char *fn = atomic_load_explicit(&dist_wd_fn, memory_order_acquire);
    /* fire only if the same call is still armed after the clock was read: the thread may
     * have been descheduled between the loads and the clock, while the call ended */
    if (dl != 0 && dist_now() >= dl &&
        atomic_load_explicit(&dist_wd_deadline, memory_order_acquire) == dl &&
        atomic_load_explicit(&dist_wd_gen, memory_order_acquire) == gen) {
      fprintf(stderr, "%s: timed out after %g s on rank %d of %d waiting for the other ranks "
              "(a peer died, hangs, or did not call %s; see distributed.setTimeout): "
              "ending this process\n", fn, (double)dist_timeout_s, dist_rank, dist_size, fn);
      fflush(stderr);
      _exit(1);
    }
  }
  return NULL;
}

static void dist_wd_start(void) {
  if (dist_wd_started) return;
  pthread_t th;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&th, &ta, dist_watchdog, NULL) == 0) dist_wd_started = true;
  pthread_attr_destroy(&ta);
}

/* disarm, then the name and generation, then the deadline: a watchdog that sees the new
 * deadline sees the new name and generation; one that read the old ones sees the
 * generation change and does not fire */
static void dist_wd_arm(const char *fn) {
  if (dist_timeout_s <= 0 || !dist_wd_started) return;
  atomic_store_explicit(&dist_wd_deadline, 0.0, memory_order_release);
  atomic_store_explicit(&dist_wd_fn, fn, memory_order_release);
  atomic_fetch_add_explicit(&dist_wd_gen, 1, memory_order_acq_rel);
  atomic_store_explicit(&dist_wd_deadline, dist_now() + dist_timeout_s, memory_order_release);
}

static void dist_wd_disarm(void) {
  if (dist_wd_started) atomic_store_explicit(&dist_wd_deadline, 0.0, memory_order_release);
}

/* settimeout(s) / gettimeout(), the same in every backend */
static int dist_settimeout(lua_State *L) {
  double s = luaL_checknumber(L, 1);
  if (!(s >= 0)) return luaL_argerror(L, 1, "timeout in seconds (>= 0) expected");
  dist_timeout_s = s;
  return 0;
}
static int dist_gettimeout(lua_State *L) { lua_pushnumber(L, (lua_Number)dist_timeout_s); return 1; }

/* ---- MPI, used by both backends (the job, the shape check, barrier) ---- */

/* defined by each backend, its own failure handling (mpi.c: MPI is unusable from then
 * on; nccl.c: the communicator is aborted): raises "FN: WHAT failed on rank R: why" */
static int mpi_fail(lua_State *L, const char *fn, const char *what, int rc);

/* that message, for the backends' mpi_fail */
static void dist_mpi_message(char *buf, size_t n, const char *fn, const char *what, int rc) {
  char err[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, err, &len) != MPI_SUCCESS) snprintf(err, sizeof err, "error %d", rc);
  snprintf(buf, n, "%s: %s failed on rank %d: %s", fn, what, dist_rank, err);
}

/* one blocking MPI call under the watchdog; a failure goes to the backend's mpi_fail */
#define DIST_MPI_CALL(L, fn, what, call) do { \
    dist_wd_arm(fn); \
    int rc_ = (call); \
    dist_wd_disarm(); \
    if (rc_ != MPI_SUCCESS) mpi_fail(L, fn, what, rc_); \
  } while (0)

/* init's start of the job: MPI (unless the process started it already: it cannot be
 * started again after MPI_Finalize), errors returned rather than fatal, dist_rank and
 * dist_size, the watchdog */
static void dist_mpi_start(lua_State *L, const char *fn) {
  int inited = 0, fin = 0, provided;
  MPI_Finalized(&fin);
  if (fin) dist_error(L, "%s: MPI was finalized; it cannot be started again in this process", fn);
  MPI_Initialized(&inited);
  if (!inited) {
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) dist_error(L, "%s: MPI_Init failed (error %d)", fn, rc);
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &dist_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &dist_size);
  dist_wd_start();
}

/* MPI_Finalize where MPI runs (the caller arms the watchdog: it waits for the others) */
static void dist_mpi_finalize(void) {
  int fin = 0, inited = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&fin);
  if (inited && !fin) MPI_Finalize();
}

/* every rank must hold the same dtype and shape: one small allgather of the headers
 * compares them, so a mismatch is an error on every rank instead of a hang or corrupt
 * memory. It costs one latency per collective (about 0.5 us of the 3 us a 4 KiB
 * allReduce takes on 2 cores, bench/RESULTS.md). */
static void dist_check_shapes(lua_State *L, const ltb_capi *api, const char *fn, const lt_tensor *t) {
  int64_t mine[DIST_HDR];
  dist_header(t, mine);
  /* up to 8 ranks on the stack: no allocation per collective; more in a userdata (freed
   * by the collector even when the comparison raises an error) */
  int64_t small[8 * DIST_HDR];
  bool on_stack = dist_size <= 8;
  int64_t *all = on_stack ? small : lua_newuserdatauv(L, sizeof(int64_t) * DIST_HDR * (size_t)dist_size, 0);
  DIST_MPI_CALL(L, fn, "the shape check (MPI_Allgather)",
                MPI_Allgather(mine, DIST_HDR, MPI_INT64_T, all, DIST_HDR, MPI_INT64_T, MPI_COMM_WORLD));
  dist_compare_headers(L, api, fn, all, dist_size);
  if (!on_stack) lua_pop(L, 1);
}

/* the root rank at idx (argument argn of fn), in [0, size) */
static int dist_check_root(lua_State *L, const char *fn, int idx, int argn) {
  lua_Integer r = luaL_checkinteger(L, idx);
  if (r < 0 || r >= dist_size)
    dist_error(L, "bad argument #%d to '%s' (root rank in [0, %d] expected, got %d)", argn, fn, dist_size - 1, (int)r);
  return (int)r;
}

/* allgather's result d: size * numel(s) elements of s's dtype (init.lua shapes it) */
static void dist_check_gathered(lua_State *L, const ltb_capi *api, const char *fn, const lt_tensor *s,
                                const lt_tensor *d) {
  int64_t n = api->numel(s);
  if (d->dtype != s->dtype || api->numel(d) != n * dist_size)
    dist_error(L, "bad argument #2 to '%s' (result of %lld %s elements expected)", fn,
               (long long)(n * dist_size), api->dtype_name(s->dtype));
}

/* OpenMPI opens its components (plugins) with dlopen, and they need libmpi's symbols
 * global; Lua opened the backend, and so libmpi, RTLD_LOCAL: make libmpi global */
static void dist_promote_libmpi(void) {
  Dl_info info;
  if (dladdr((void *)MPI_Init, &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
}

/* torch._capi, read once when a backend is loaded (bindings/lt_capi.h says why) */
static const ltb_capi *dist_load_capi(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushstring(L, "torch");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "_capi");
  const ltb_capi *api = (const ltb_capi *)lua_touserdata(L, -1);
  if (!api || api->version != LTB_CAPI_VERSION || api->size < sizeof(ltb_capi))
    dist_error(L, "distributed: this torch module has no matching C interface (torch._capi); "
               "rebuild luatorch");
  lua_pop(L, 2);
  return api;
}
#endif
