/* distributed/nccl.c: the Lua C module `distributed.nccl`, the NCCL backend of
 * stdlib/distributed (CUDA tensors). The same functions and arguments as distributed.core
 * (mpi.c). Built only where mpicc, nvcc, nccl.h and libnccl are found; it is plain C
 * linking libnccl, libcudart and libmpi, and torch/core.so knows nothing of it.
 *
 * Job and devices: the rank and size come from mpirun through MPI (initialized here if
 * it is not yet); rank 0 makes the ncclUniqueId and MPI_Bcast hands it to the others,
 * then ncclCommInitRank. Each rank takes the device numbered by its rank on the node (a
 * node needs one device per rank: every rank errors otherwise); init returns it and
 * init.lua makes it torch.cuda's current device, so that :cuda() puts tensors there. A
 * tensor on another device is an error.
 *
 * Tensors: reached through torch._capi (see mpi.c and bindings/lt_capi.h); a CUDA
 * tensor's storage->data is a device pointer. The CUDA backend runs every kernel of a
 * device on cudaStreamPerThread (tensor/cuda/backend.cu), so the collectives are enqueued
 * there too: they start after the kernels that produced their input and the kernels
 * queued after them see their result. (That handle means the calling thread's default
 * stream of the current device, in the driver: the same stream for the backend's
 * statically linked CUDA runtime, ours and NCCL's. It is only right with a blocking
 * communicator, the default: a nonblocking one may enqueue from NCCL's own thread.)
 *
 * Waiting and timeouts: NCCL hangs when a peer dies, so each collective is waited for by
 * polling (cudaStreamQuery, ncclCommGetAsyncError, short sleeps). When it fails, or has
 * not finished after the timeout, the communicator is aborted (ncclCommAbort, which also
 * ends the kernels that wait) and the call raises a Lua error naming the function and the
 * rank; every later collective then errors at once. The calls that block on the host
 * (the type/shape check over MPI, the bootstrap, NCCL's enqueue, barrier) run under the
 * watchdog of dist_common.h instead, which ends the process past the timeout as the MPI
 * backend does.
 *
 * Types: Float, Double, Half, BFloat16, Long, Int, Char, Byte (reductions too); Short and
 * Bool are moved as bytes (broadcast, allGather), and reducing them is an error.
 * Before each collective the ranks compare dtype and shape (one small MPI_Allgather). */
#include "dist_common.h"    /* the header check, the clock, the watchdog, the timeout, MPI */
#include <nccl.h>
#include <cuda_runtime_api.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sched.h>

static const ltb_capi *api;
static ncclComm_t comm;          /* NULL before init, after finalize or after an abort */
static int device = -1;          /* this rank's CUDA device, 0-based */
static bool failed;              /* a collective failed: the communicator was aborted */
static char failed_why[512];     /* what failed, for the errors of later calls */

static void *data(const lt_tensor *t) {
  return t->storage ? (char *)t->storage->data + t->offset * (int64_t)api->dtype_size(t->dtype) : NULL;
}

/* aborts the communicator (a peer may still wait in a collective: it gets a timeout or
 * an error of its own) and raises msg as the error */
static int abort_and_fail(lua_State *L, const char *msg) {
  if (comm) ncclCommAbort(comm);
  comm = NULL;
  failed = true;
  snprintf(failed_why, sizeof failed_why, "%s", msg);
  return dist_error(L, "%s", msg);
}

static int nccl_fail(lua_State *L, const char *fn, const char *what, ncclResult_t rc) {
  char msg[512];
  const char *last = comm ? ncclGetLastError(comm) : NULL;   /* before the abort frees comm */
  snprintf(msg, sizeof msg, "%s: %s failed on rank %d: %s%s%s%s", fn, what, dist_rank,
           ncclGetErrorString(rc), last && *last ? " (" : "", last && *last ? last : "", last && *last ? ")" : "");
  return abort_and_fail(L, msg);
}

/* an MPI call failed (dist_common.h's DIST_MPI_CALL) */
static int mpi_fail(lua_State *L, const char *fn, const char *what, int rc) {
  char msg[512];
  dist_mpi_message(msg, sizeof msg, fn, what, rc);
  return abort_and_fail(L, msg);
}

static void check_ready(lua_State *L, const char *fn) {
  if (dist_size == 0) dist_error(L, "%s: distributed.init has not been called", fn);
  if (failed)
    dist_error(L, "%s: an earlier collective failed; backend 'nccl' can no longer be used in this job "
               "(it failed with: %s)", fn, failed_why);
}

/* the current device is per thread: make ours current before enqueueing or waiting */
static void set_device(lua_State *L, const char *fn) {
  cudaError_t e = cudaSetDevice(device);
  if (e != cudaSuccess) {
    cudaGetLastError();
    dist_error(L, "%s: cudaSetDevice(%d) failed on rank %d: %s", fn, device, dist_rank, cudaGetErrorString(e));
  }
}

/* the NCCL type a dtype travels as, and the elements per tensor element; false: NCCL
 * cannot reduce it (it moves as bytes) */
static bool nccl_type(lt_dtype dt, ncclDataType_t *ty, size_t *mult) {
  *mult = 1;
  switch (dt) {
  case LT_FLOAT32: *ty = ncclFloat32; return true;
  case LT_FLOAT64: *ty = ncclFloat64; return true;
  case LT_FLOAT16: *ty = ncclFloat16; return true;
  case LT_BFLOAT16: *ty = ncclBfloat16; return true;
  case LT_INT64: *ty = ncclInt64; return true;
  case LT_INT32: *ty = ncclInt32; return true;
  case LT_INT8: *ty = ncclInt8; return true;
  case LT_UINT8: *ty = ncclUint8; return true;
  default: *ty = ncclUint8; *mult = api->dtype_size(dt); return false;   /* Short, Bool */
  }
}

/* the NCCL type t travels as, and the count of such elements in t */
static size_t nccl_count(const lt_tensor *t, ncclDataType_t *ty) {
  size_t mult;
  nccl_type(t->dtype, ty, &mult);
  return (size_t)api->numel(t) * mult;
}

static ncclRedOp_t check_op(lua_State *L, const char *fn, int idx, lt_dtype dt) {
  const char *s = luaL_checkstring(L, idx);
  ncclDataType_t ty;
  size_t mult;
  if (!nccl_type(dt, &ty, &mult))
    dist_error(L, "%s: reductions of %s tensors are not supported by backend 'nccl' "
               "(convert to Int, Long or Float first)", fn, api->dtype_name(dt));
  if (!strcmp(s, "sum") || !strcmp(s, "mean")) return ncclSum;   /* mean: init.lua divides */
  if (!strcmp(s, "max")) return ncclMax;
  if (!strcmp(s, "min")) return ncclMin;
  dist_error(L, "%s: unknown op '%s' (expected 'sum', 'mean', 'max' or 'min')", fn, s);
  return ncclSum;
}

/* the tensor at idx: a contiguous CUDA tensor on this rank's device (init.lua makes
 * contiguous copies of the others) */
static lt_tensor *check_tensor(lua_State *L, const char *fn, int idx, int argn) {
  lt_tensor *t = api->totensor(L, idx);
  if (!t) dist_error(L, "bad argument #%d to '%s' (tensor expected, got %s)", argn, fn, luaL_typename(L, idx));
  if (t->device.type != LT_CUDA)
    dist_error(L, "bad argument #%d to '%s' (CUDA tensor expected for backend 'nccl', got a CPU tensor)", argn, fn);
  if (t->device.index != device)
    dist_error(L, "bad argument #%d to '%s' (a tensor on CUDA device %d, this rank's device, expected; "
               "got one on device %d)", argn, fn, device + 1, t->device.index + 1);
  if (!api->is_contiguous(t)) dist_error(L, "bad argument #%d to '%s' (contiguous tensor expected)", argn, fn);
  return t;
}

/* every rank must hold the same dtype and shape (dist_common.h) */
static void check_shapes(lua_State *L, const char *fn, const lt_tensor *t) { dist_check_shapes(L, api, fn, t); }

/* waits for the collective just enqueued on cudaStreamPerThread (and the work before
 * it): polls the stream and NCCL's asynchronous error, sleeping a little longer each time
 * up to 1 ms; past the timeout, or on an error, aborts the communicator */
static void wait_done(lua_State *L, const char *fn, const char *what) {
  double start = dist_now();
  long nap_ns = 1000;
  char msg[512];
  for (int i = 0;; i++) {
    cudaError_t e = cudaStreamQuery(cudaStreamPerThread);
    if (e == cudaSuccess) return;
    if (e != cudaErrorNotReady) {
      cudaGetLastError();
      snprintf(msg, sizeof msg, "%s: %s failed on rank %d: CUDA error: %s", fn, what, dist_rank, cudaGetErrorString(e));
      abort_and_fail(L, msg);
    }
    ncclResult_t async = ncclSuccess;
    ncclResult_t rc = ncclCommGetAsyncError(comm, &async);
    if (rc != ncclSuccess) nccl_fail(L, fn, what, rc);
    if (async != ncclSuccess && async != ncclInProgress) nccl_fail(L, fn, what, async);
    if (dist_timeout_s > 0 && dist_now() - start >= dist_timeout_s) {
      snprintf(msg, sizeof msg, "%s: timed out after %g s on rank %d of %d waiting for the other ranks "
               "(a peer died, hangs, or did not call %s; see distributed.setTimeout); "
               "the NCCL communicator was aborted", fn, (double)dist_timeout_s, dist_rank, dist_size, fn);
      abort_and_fail(L, msg);
    }
    if (i < 50) { sched_yield(); continue; }   /* most collectives end within microseconds */
    struct timespec ts = {0, nap_ns};
    nanosleep(&ts, NULL);
    if (nap_ns < 1000000) nap_ns *= 2;
  }
}

/* enqueues one NCCL collective (under the watchdog: the enqueue itself can block, e.g.
 * while connecting to a peer) and waits for it */
#define COLLECTIVE(L, fn, what, call) do { \
    set_device(L, fn); \
    dist_wd_arm(fn); \
    ncclResult_t rc_ = (call); \
    dist_wd_disarm(); \
    if (rc_ != ncclSuccess) nccl_fail(L, fn, what, rc_); \
    wait_done(L, fn, what); \
  } while (0)

/* this rank's index on its node and the number of ranks there: from the launcher's
 * environment, else from MPI (a collective: every rank takes the same branch, as every
 * rank has the same launcher) */
static int env_int(const char *a, const char *b) {
  const char *s = getenv(a);
  if (!s) s = getenv(b);
  return s ? atoi(s) : -1;
}
static void local_rank(int *lrank, int *lsize) {
  *lrank = env_int("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID");
  *lsize = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS");
  if (*lrank >= 0 && *lsize > 0) return;
  MPI_Comm node;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    MPI_Comm_rank(node, lrank);
    MPI_Comm_size(node, lsize);
    MPI_Comm_free(&node);
  } else {
    *lrank = dist_rank;
    *lsize = dist_size;
  }
}

/* init() -> rank, size, device (0-based) */
static int d_init(lua_State *L) {
  const char *fn = "distributed.init";
  /* no device: say so before MPI starts (an MPI process that exits without MPI_Finalize
   * makes mpirun report the job as failed) */
  int ndev = 0;
  cudaError_t ce = cudaGetDeviceCount(&ndev);
  if (ce != cudaSuccess || ndev == 0) {
    cudaGetLastError();
    return dist_error(L, "%s: backend 'nccl' needs a CUDA device, and this process has none (%s)", fn,
                      ce != cudaSuccess ? cudaGetErrorString(ce) : "no CUDA device found");
  }
  dist_mpi_start(L, fn);
  failed = false;

  /* this rank's device; every rank learns whether all found theirs (one MPI_Allreduce),
   * so that a node with too few GPUs is an error on every rank, not a wait for it */
  int lrank, lsize;
  char why[256] = "";
  local_rank(&lrank, &lsize);
  if (lsize > ndev) {
    snprintf(why, sizeof why, "%d ranks run on this node but it has %d CUDA device%s: backend 'nccl' needs "
             "one device per rank (start at most %d ranks per node)", lsize, ndev, ndev == 1 ? "" : "s", ndev);
  } else {
    device = lrank;
    ce = cudaSetDevice(device);
    if (ce != cudaSuccess) {
      cudaGetLastError();
      snprintf(why, sizeof why, "cudaSetDevice(%d) failed on rank %d: %s", device, dist_rank, cudaGetErrorString(ce));
    }
  }
  int all_ok = why[0] == 0;
  dist_wd_arm(fn);
  int arc = MPI_Allreduce(MPI_IN_PLACE, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  dist_wd_disarm();
  if (arc != MPI_SUCCESS || !all_ok) {
    dist_size = 0;
    if (why[0]) return dist_error(L, "%s: %s", fn, why);
    return dist_error(L, "%s: another rank could not take a CUDA device (its error says why)", fn);
  }

  /* rank 0's unique id, or why it has none, to every rank */
  struct { int32_t ok; char why[124]; ncclUniqueId id; } boot;
  memset(&boot, 0, sizeof boot);
  if (dist_rank == 0) {
    ncclResult_t rc = ncclGetUniqueId(&boot.id);
    boot.ok = rc == ncclSuccess;
    if (!boot.ok) snprintf(boot.why, sizeof boot.why, "%s", ncclGetErrorString(rc));
  }
  dist_wd_arm(fn);
  int mrc = MPI_Bcast(&boot, (int)sizeof boot, MPI_BYTE, 0, MPI_COMM_WORLD);
  dist_wd_disarm();
  if (mrc != MPI_SUCCESS) { dist_size = 0; return dist_error(L, "%s: MPI_Bcast of NCCL's id failed (error %d)", fn, mrc); }
  if (!boot.ok) { dist_size = 0; return dist_error(L, "%s: ncclGetUniqueId failed on rank 0: %s", fn, boot.why); }

  dist_wd_arm(fn);
  ncclResult_t rc = ncclCommInitRank(&comm, dist_size, boot.id, dist_rank);
  dist_wd_disarm();
  if (rc != ncclSuccess) {
    const char *last = ncclGetLastError(NULL);
    comm = NULL;
    dist_size = 0;
    return dist_error(L, "%s: ncclCommInitRank failed on rank %d (CUDA device %d): %s%s%s", fn, dist_rank,
                      device, ncclGetErrorString(rc), last && *last ? ": " : "", last ? last : "");
  }
  lua_pushinteger(L, dist_rank);
  lua_pushinteger(L, dist_size);
  lua_pushinteger(L, device);
  return 3;
}

static int d_finalize(lua_State *L) {
  (void)L;
  /* both wait for the other ranks: under the watchdog, as a collective */
  dist_wd_arm("distributed.finalize");
  if (comm) {
    cudaSetDevice(device);
    /* flushes what is queued and frees the resources shared with the peers, then ours */
    if (ncclCommFinalize(comm) == ncclSuccess) ncclCommDestroy(comm);
    else ncclCommAbort(comm);
    comm = NULL;
  }
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
  ncclRedOp_t op = check_op(L, fn, 3, t->dtype);
  check_shapes(L, fn, t);
  ncclDataType_t ty;
  size_t n = nccl_count(t, &ty);
  if (n == 0) return 0;
  void *d = data(t);
  COLLECTIVE(L, fn, "ncclAllReduce", ncclAllReduce(d, d, n, ty, op, comm, cudaStreamPerThread));
  return 0;
}

/* broadcast(fn, t, root) */
static int d_broadcast(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  check_ready(L, fn);
  lt_tensor *t = check_tensor(L, fn, 2, 1);
  int root = dist_check_root(L, fn, 3, 2);
  check_shapes(L, fn, t);
  ncclDataType_t ty;
  size_t n = nccl_count(t, &ty);
  if (n == 0) return 0;
  void *d = data(t);
  COLLECTIVE(L, fn, "ncclBroadcast", ncclBroadcast(d, d, n, ty, root, comm, cudaStreamPerThread));
  return 0;
}

/* reduce(fn, t, root, op): the result in root's t; NCCL only writes the receive buffer
 * on root, so the others' tensors are unchanged */
static int d_reduce(lua_State *L) {
  const char *fn = luaL_checkstring(L, 1);
  check_ready(L, fn);
  lt_tensor *t = check_tensor(L, fn, 2, 1);
  int root = dist_check_root(L, fn, 3, 2);
  ncclRedOp_t op = check_op(L, fn, 4, t->dtype);
  check_shapes(L, fn, t);
  ncclDataType_t ty;
  size_t n = nccl_count(t, &ty);
  if (n == 0) return 0;
  void *d = data(t);
  COLLECTIVE(L, fn, "ncclReduce", ncclReduce(d, d, n, ty, op, root, comm, cudaStreamPerThread));
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
  ncclDataType_t ty;
  size_t count = nccl_count(s, &ty);
  if (count == 0) return 0;
  COLLECTIVE(L, fn, "ncclAllGather", ncclAllGather(data(s), data(d), count, ty, comm, cudaStreamPerThread));
  return 0;
}

/* barrier(): the host's (MPI_Barrier); the device work queued before it is not waited for */
static int d_barrier(lua_State *L) {
  const char *fn = "distributed.barrier";
  check_ready(L, fn);
  DIST_MPI_CALL(L, fn, "MPI_Barrier", MPI_Barrier(MPI_COMM_WORLD));
  return 0;
}

static int d_abort(lua_State *L) {
  if (comm) ncclCommAbort(comm);
  comm = NULL;
  MPI_Abort(MPI_COMM_WORLD, (int)luaL_optinteger(L, 1, 1));
  return 0;
}

int luaopen_distributed_nccl(lua_State *L) {
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
