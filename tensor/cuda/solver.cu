// solver.cu: the backend's `lapack` entry (internal.h, lapack_call.h): LAPACK routines on
// column-major device matrices through cuSOLVER's dense API, and cuBLAS for the triangular
// solve and transposes.
//
// cuSOLVER is opened with dlopen on first use, not linked: the backend (and everything else
// on the GPU) keeps working on a machine without libcusolver, where this entry answers 1 and
// the engine runs the routine on host copies (tensor/lapack_run.c). So it answers for
// routines cuSOLVER lacks (gels, which lapack.c composes on a GPU from geqrf, ormqr and
// trtrs instead; pstrf; geev, whose 64-bit-only interface is left for
// later) and for empty operands (the CPU's quick returns are the reference there).
// LT_CUSOLVER=<path> names the library to open (no other); LT_CUSOLVER=none opens none
// (every routine then round-trips: the GPU tests use it to check that path). A library
// that opens but cannot start on this driver also means host copies.
//
// Each call runs on the device's stream; info (and the pivots) come back to the host at the
// end, which waits for the stream.
#include "common.cuh"
extern "C" {
#include "lapack_call.h"
}
#include <cusolverDn.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

// ---- cuSOLVER, loaded on first use ----
// X(name) for every function called; the pointers have the header's types (decltype needs
// no symbol at link time).
#define SOLVER_FNS(X)                                                                    \
  X(cusolverDnCreate) X(cusolverDnDestroy) X(cusolverDnSetStream)                        \
  X(cusolverDnSgetrf_bufferSize) X(cusolverDnDgetrf_bufferSize) X(cusolverDnSgetrf)      \
  X(cusolverDnDgetrf) X(cusolverDnSgetrs) X(cusolverDnDgetrs)                            \
  X(cusolverDnSpotrf_bufferSize) X(cusolverDnDpotrf_bufferSize) X(cusolverDnSpotrf)      \
  X(cusolverDnDpotrf) X(cusolverDnSpotrs) X(cusolverDnDpotrs)                            \
  X(cusolverDnSpotri_bufferSize) X(cusolverDnDpotri_bufferSize) X(cusolverDnSpotri)      \
  X(cusolverDnDpotri) X(cusolverDnSsyevd_bufferSize) X(cusolverDnDsyevd_bufferSize)      \
  X(cusolverDnSsyevd) X(cusolverDnDsyevd) X(cusolverDnSgesvd_bufferSize)                 \
  X(cusolverDnDgesvd_bufferSize) X(cusolverDnSgesvd) X(cusolverDnDgesvd)                 \
  X(cusolverDnSgeqrf_bufferSize) X(cusolverDnDgeqrf_bufferSize) X(cusolverDnSgeqrf)      \
  X(cusolverDnDgeqrf) X(cusolverDnSorgqr_bufferSize) X(cusolverDnDorgqr_bufferSize)      \
  X(cusolverDnSorgqr) X(cusolverDnDorgqr) X(cusolverDnSormqr_bufferSize)                 \
  X(cusolverDnDormqr_bufferSize) X(cusolverDnSormqr) X(cusolverDnDormqr)
#define DECLARE(f) static decltype(&f) p_##f;
SOLVER_FNS(DECLARE)
#undef DECLARE

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static bool loaded;   // every function found
static char load_error[300];   // why not (torch.cuda.solverAvailable)

#define STR_(x) #x
#define STR(x) STR_(x)
static void load(void) {
  const char *env = getenv("LT_CUSOLVER");
  void *lib = NULL;
  if (env && *env) {   // the library named (and no other), or none
    if (!strcmp(env, "none")) {
      snprintf(load_error, sizeof load_error, "LT_CUSOLVER=none");
      return;
    }
    lib = dlopen(env, RTLD_NOW | RTLD_LOCAL);
  } else {   // the version of the headers built against first (its driver needs are ours)
    const char *names[] = {"libcusolver.so." STR(CUSOLVER_VER_MAJOR), "libcusolver.so"};
    for (size_t i = 0; i < sizeof names / sizeof *names && !lib; i++)
      lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  }
  if (!lib) {
    const char *e = dlerror();
    snprintf(load_error, sizeof load_error, "cannot open cuSOLVER: %s", e ? e : "not found");
    return;
  }
  const char *missing = NULL;
#define LOAD(f) if (!missing && !(p_##f = (decltype(&f))dlsym(lib, #f))) missing = #f;
  SOLVER_FNS(LOAD)
#undef LOAD
  if (missing) {
    snprintf(load_error, sizeof load_error, "the cuSOLVER library opened lacks %s", missing);
    dlclose(lib);
    return;
  }
  loaded = true;   // the library stays open for the life of the process
}

#define TRY(x) do { if ((x) < 0) return -1; } while (0)
#define SOLVER(call, what) TRY(check_solver(call, what))

static int check_solver(cusolverStatus_t st, const char *what) {
  if (st == CUSOLVER_STATUS_SUCCESS) return 0;
  seterr("cuda: cuSOLVER %s failed (status %d)", what, (int)st);
  return -1;
}
static int check_cublas(cublasStatus_t st, const char *what) {
  if (st == CUBLAS_STATUS_SUCCESS) return 0;
  seterr("cuda: cuBLAS %s failed (status %d)", what, (int)st);
  return -1;
}

// One handle per device, shared by the host threads (the engine calls the backend from one
// thread at a time, as the caching allocator assumes).
static cusolverDnHandle_t handles[MAX_DEVICES];
static int unusable[MAX_DEVICES];   // the status that failed making the handle: host copies instead
static pthread_mutex_t handle_lock = PTHREAD_MUTEX_INITIALIZER;

// the device's cuSOLVER handle on its stream; NULL when cuSOLVER cannot start there (a
// library the driver does not support ...): the routines then run on host copies. Memory
// held by the caching allocator is given back and the creation tried once more before
// that, since running out of memory then is not lasting.
static cusolverDnHandle_t handle_for(int dev) {
  pthread_mutex_lock(&handle_lock);
  cusolverDnHandle_t h = handles[dev];
  if (!h && !unusable[dev]) {
    cusolverStatus_t st = p_cusolverDnCreate(&h);
    if (st == CUSOLVER_STATUS_ALLOC_FAILED) {
      lt_cu_cache_empty(dev);
      st = p_cusolverDnCreate(&h);
      if (st == CUSOLVER_STATUS_ALLOC_FAILED) {   // not marked unusable: tried again next call
        pthread_mutex_unlock(&handle_lock);
        return NULL;
      }
    }
    if (st != CUSOLVER_STATUS_SUCCESS) h = NULL;
    else if ((st = p_cusolverDnSetStream(h, lt_cu_stream(dev))) != CUSOLVER_STATUS_SUCCESS) {
      p_cusolverDnDestroy(h);
      h = NULL;
    }
    if (h) handles[dev] = h;
    else unusable[dev] = st ? (int)st : -1;
  }
  pthread_mutex_unlock(&handle_lock);
  return h;
}

// ---- the float and double entry points under one name ----
template <typename T> struct S;
#define FN(P, name) static decltype(p_cusolverDn##P##name) name() { return p_cusolverDn##P##name; }
#define TRAITS(T, P, BP)                                                                     \
  template <> struct S<T> {                                                                  \
    FN(P, getrf_bufferSize) FN(P, getrf) FN(P, getrs) FN(P, potrf_bufferSize) FN(P, potrf)   \
    FN(P, potrs) FN(P, potri_bufferSize) FN(P, potri) FN(P, syevd_bufferSize) FN(P, syevd)   \
    FN(P, gesvd_bufferSize) FN(P, gesvd) FN(P, geqrf_bufferSize) FN(P, geqrf)               \
    FN(P, orgqr_bufferSize) FN(P, orgqr) FN(P, ormqr_bufferSize) FN(P, ormqr)               \
    static cublasStatus_t trsm(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t tr, \
                               cublasDiagType_t diag, int n, int k, const T *A, int lda,     \
                               T *B, int ldb) {                                              \
      const T one = 1;                                                                       \
      return cublas##BP##trsm(h, CUBLAS_SIDE_LEFT, uplo, tr, diag, n, k, &one, A, lda, B, ldb); \
    }                                                                                        \
    /* C (rows x cols, ldc) = A^T, A being cols x rows (lda); C zeroed first, as it is    \
     * also the B (beta 0) of geam's documented in-place form */                            \
    static cublasStatus_t transpose(cublasHandle_t h, cudaStream_t st, int rows, int cols,   \
                                    const T *A, int lda, T *C, int ldc) {                    \
      const T one = 1, zero = 0;                                                             \
      if (cudaMemset2DAsync(C, sizeof(T) * (size_t)ldc, 0, sizeof(T) * (size_t)rows,        \
                            (size_t)cols, st) != cudaSuccess)                                \
        return CUBLAS_STATUS_EXECUTION_FAILED;                                               \
      return cublas##BP##geam(h, CUBLAS_OP_T, CUBLAS_OP_N, rows, cols, &one, A, lda, &zero,  \
                              C, ldc, C, ldc);                                               \
    }                                                                                        \
  };
TRAITS(float, S, S)
TRAITS(double, D, D)
#undef TRAITS
#undef FN

// ---- scratch memory and the end of a call ----
// a workspace size from a *_bufferSize query (int elements: it overflows for very large n)
static int sane(int lw, const char *what) {
  if (lw >= 0) return 0;
  seterr("cuda: cuSOLVER %s: the workspace needed is beyond its 32-bit size (matrix too large)", what);
  return -1;
}
#define WORK(lw, what) TRY(sane(lw, what))

struct Scratch {   // device memory from the caching allocator, freed at scope exit
  void *p = NULL;
  size_t n = 0;
  int dev;
  explicit Scratch(int d) : dev(d) {}
  void *get(size_t bytes) {
    n = bytes ? bytes : 1;
    return p = lt_cu_alloc(n, dev);
  }
  ~Scratch() { if (p) lt_cu_free(p, n, dev); }
};

// wait for the stream, with info (device int) and, when asked, pivots copied to the host
static int finish(cudaStream_t st, const int *dinfo, int32_t *info, const int *dipiv,
                  int32_t *ipiv, int64_t npiv) {
  if (check(cudaMemcpyAsync(info, dinfo, sizeof(int), cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync") < 0)
    return -1;
  if (dipiv && npiv > 0 &&
      check(cudaMemcpyAsync(ipiv, dipiv, sizeof(int) * (size_t)npiv, cudaMemcpyDeviceToHost, st),
            "cudaMemcpyAsync") < 0)
    return -1;
  return check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
}

// *info: 1 + the first i with A(i, i) == 0 (0: none), A being n x n column-major (lda)
template <typename T>
static int zero_diagonal(const T *A, int lda, int n, cudaStream_t st, int32_t *info) {
  T *diag = (T *)malloc(sizeof(T) * (size_t)n);
  if (!diag) { seterr("cuda: out of host memory"); return -1; }
  int rc = check(cudaMemcpy2DAsync(diag, sizeof(T), A, sizeof(T) * ((size_t)lda + 1), sizeof(T),
                                   (size_t)n, cudaMemcpyDeviceToHost, st), "cudaMemcpy2DAsync");
  if (rc == 0) rc = check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
  *info = 0;
  for (int i = 0; rc == 0 && i < n && !*info; i++)
    if (diag[i] == 0) *info = i + 1;
  free(diag);
  return rc;
}

template <typename T>
__global__ void k_set_eye(T *a, int64_t n) {   // a (n x n, zeroed) gets ones on its diagonal
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) a[i * (n + 1)] = 1;
}

static cublasFillMode_t fill_of(char uplo) { return uplo == 'U' ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER; }
static cublasOperation_t op_of(char t) { return t == 'T' || t == 'C' ? CUBLAS_OP_T : CUBLAS_OP_N; }
static int rows_of(const lt_tensor *t) { return (int)t->size[0]; }
static int cols_of(const lt_tensor *t) { return t->ndim == 2 ? (int)t->size[1] : 1; }
static int ld_of(const lt_tensor *t) { return t->size[0] > 1 ? (int)t->size[0] : 1; }


// getrf of A (m x n, lda) into the pivots dipiv (device, min(m, n)) and dinfo
template <typename T>
static int getrf(cusolverDnHandle_t h, int dev, int m, int n, T *A, int lda, int *dipiv, int *dinfo) {
  int lw = 0;
  SOLVER(S<T>::getrf_bufferSize()(h, m, n, A, lda, &lw), "getrf_bufferSize");
  WORK(lw, "getrf");
  Scratch w(dev);
  T *work = (T *)w.get(sizeof(T) * (size_t)lw);
  if (!work) return -1;
  SOLVER(S<T>::getrf()(h, m, n, A, lda, work, dipiv, dinfo), "getrf");
  return 0;
}

// the SVD of the m x n A (m >= n, destroyed): gesvd with jobu = jobvt = job
template <typename T>
static int gesvd(cusolverDnHandle_t h, int dev, char job, int m, int n, T *A, int lda, T *s, T *U,
                 int ldu, T *VT, int ldvt, int *dinfo) {
  int lw = 0;
  SOLVER(S<T>::gesvd_bufferSize()(h, m, n, &lw), "gesvd_bufferSize");
  WORK(lw, "gesvd");
  Scratch w(dev), rw(dev);
  T *work = (T *)w.get(sizeof(T) * (size_t)lw);
  T *rwork = work ? (T *)rw.get(sizeof(T) * (size_t)(n > 1 ? n : 1)) : NULL;
  if (!rwork) return -1;
  SOLVER(S<T>::gesvd()(h, (signed char)job, (signed char)job, m, n, A, lda, s, U, ldu, VT, ldvt,
                       work, lw, rwork, dinfo),
         "gesvd");
  return 0;
}

template <typename T>
static int run(lt_lapack_call *c, int dev) {
  lt_tensor *t0 = c->t[0], *t1 = c->t[1], *t2 = c->t[2], *t3 = c->t[3];
  T *A = (T *)h_data(t0);
  int m = rows_of(t0), n = cols_of(t0), lda = ld_of(t0);
  cusolverDnHandle_t h = handle_for(dev);   // made by c_lapack
  cudaStream_t st = lt_cu_stream(dev);
  Scratch si(dev), sp(dev), sw(dev), sx(dev);
  int *dinfo = (int *)si.get(sizeof(int));
  if (!dinfo) return -1;
  TRY(check(cudaMemsetAsync(dinfo, 0, sizeof(int), st), "cudaMemsetAsync"));
  int lw = 0;
  switch (c->op) {
  case LT_LP_GETRF: {
    int np = m < n ? m : n;
    int *dipiv = (int *)sp.get(sizeof(int) * (size_t)np);
    if (!dipiv) return -1;
    TRY(getrf<T>(h, dev, m, n, A, lda, dipiv, dinfo));
    return finish(st, dinfo, &c->info, dipiv, c->ipiv, np);
  }
  case LT_LP_GETRS: case LT_LP_GETRI: {
    int *dipiv = (int *)sp.get(sizeof(int) * (size_t)n);
    if (!dipiv) return -1;
    TRY(check(cudaMemcpyAsync(dipiv, c->ipiv, sizeof(int) * (size_t)n, cudaMemcpyHostToDevice, st),
              "cudaMemcpyAsync"));
    if (c->op == LT_LP_GETRS) {
      SOLVER(S<T>::getrs()(h, op_of(c->c1), n, cols_of(t1), A, lda, dipiv, (T *)h_data(t1),
                           ld_of(t1), dinfo),
             "getrs");
      return finish(st, dinfo, &c->info, NULL, NULL, 0);
    }
    // getri: A^-1 = U^-1 L^-1 P, solved from the identity, then written over the factors;
    // a zero on U's diagonal is getri's info (getrs would divide by it)
    TRY(zero_diagonal<T>(A, lda, n, st, &c->info));
    if (c->info) return 0;
    size_t bytes = sizeof(T) * (size_t)n * (size_t)n;
    T *eye = (T *)sx.get(bytes);
    if (!eye) return -1;
    TRY(check(cudaMemsetAsync(eye, 0, bytes, st), "cudaMemsetAsync"));
    k_set_eye<T><<<blocks(n), THREADS, 0, st>>>(eye, n);
    TRY(launched());
    SOLVER(S<T>::getrs()(h, CUBLAS_OP_N, n, n, A, lda, dipiv, eye, n, dinfo), "getrs");
    TRY(check(cudaMemcpy2DAsync(A, sizeof(T) * (size_t)lda, eye, sizeof(T) * (size_t)n,
                                sizeof(T) * (size_t)n, (size_t)n, cudaMemcpyDeviceToDevice, st),
              "cudaMemcpy2DAsync"));
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  case LT_LP_GESV: {
    int *dipiv = (int *)sp.get(sizeof(int) * (size_t)n);
    if (!dipiv) return -1;
    TRY(getrf<T>(h, dev, n, n, A, lda, dipiv, dinfo));
    TRY(finish(st, dinfo, &c->info, dipiv, c->ipiv, n));
    if (c->info != 0) return 0;   // singular: B is left as it was
    SOLVER(S<T>::getrs()(h, CUBLAS_OP_N, n, cols_of(t1), A, lda, dipiv, (T *)h_data(t1), ld_of(t1),
                         dinfo),
           "getrs");
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  case LT_LP_TRTRS: {
    if (c->c3 == 'N') {   // trtrs reports an exactly zero diagonal entry, trsm would not
      TRY(zero_diagonal<T>(A, lda, n, st, &c->info));
      if (c->info) return 0;
    }
    cublasHandle_t bh = lt_cu_blas(dev);
    if (!bh) return -1;
    // IEEE float32 whatever torch.cuda.setTF32 chose for products (trsm's blocks are gemms)
    cublasMath_t mode;
    TRY(check_cublas(cublasGetMathMode(bh, &mode), "cublasGetMathMode"));
    TRY(check_cublas(cublasSetMathMode(bh, CUBLAS_DEFAULT_MATH), "cublasSetMathMode"));
    int rc = check_cublas(S<T>::trsm(bh, fill_of(c->c1), op_of(c->c2),
                                     c->c3 == 'U' ? CUBLAS_DIAG_UNIT : CUBLAS_DIAG_NON_UNIT, n,
                                     cols_of(t1), A, lda, (T *)h_data(t1), ld_of(t1)),
                          "trsm");
    cublasSetMathMode(bh, mode);
    TRY(rc);
    return check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
  }
  case LT_LP_POTRF: case LT_LP_POTRI: {
    bool tri = c->op == LT_LP_POTRF;
    if (tri) SOLVER(S<T>::potrf_bufferSize()(h, fill_of(c->c1), n, A, lda, &lw), "potrf_bufferSize");
    else SOLVER(S<T>::potri_bufferSize()(h, fill_of(c->c1), n, A, lda, &lw), "potri_bufferSize");
    WORK(lw, tri ? "potrf" : "potri");
    T *work = (T *)sw.get(sizeof(T) * (size_t)lw);
    if (!work) return -1;
    if (tri) SOLVER(S<T>::potrf()(h, fill_of(c->c1), n, A, lda, work, lw, dinfo), "potrf");
    else SOLVER(S<T>::potri()(h, fill_of(c->c1), n, A, lda, work, lw, dinfo), "potri");
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  case LT_LP_POTRS:
    SOLVER(S<T>::potrs()(h, fill_of(c->c1), n, cols_of(t1), A, lda, (T *)h_data(t1), ld_of(t1), dinfo),
           "potrs");
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  case LT_LP_SYEVD: {
    cusolverEigMode_t jobz = c->c1 == 'V' ? CUSOLVER_EIG_MODE_VECTOR : CUSOLVER_EIG_MODE_NOVECTOR;
    T *W = (T *)h_data(t1);
    SOLVER(S<T>::syevd_bufferSize()(h, jobz, fill_of(c->c2), n, A, lda, W, &lw), "syevd_bufferSize");
    WORK(lw, "syevd");
    T *work = (T *)sw.get(sizeof(T) * (size_t)lw);
    if (!work) return -1;
    SOLVER(S<T>::syevd()(h, jobz, fill_of(c->c2), n, A, lda, W, work, lw, dinfo), "syevd");
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  case LT_LP_GESDD: {
    char job = c->c1;
    T *s = (T *)h_data(t1), *U = t2 ? (T *)h_data(t2) : NULL, *VT = t3 ? (T *)h_data(t3) : NULL;
    int ldu = t2 ? ld_of(t2) : (m > 1 ? m : 1), ldvt = t3 ? ld_of(t3) : (n > 1 ? n : 1);
    if (m >= n) {
      TRY(gesvd<T>(h, dev, job, m, n, A, lda, s, U, ldu, VT, ldvt, dinfo));
      return finish(st, dinfo, &c->info, NULL, NULL, 0);
    }
    // wide: cuSOLVER's gesvd wants m >= n, so the SVD of A^T = U' S V'^T (n x m), and
    // A = V' S U'^T: U = (V'^T)^T, VT = U'^T
    cublasHandle_t bh = lt_cu_blas(dev);
    if (!bh) return -1;
    int k = m;   // min(m, n)
    T *At = (T *)sx.get(sizeof(T) * (size_t)n * (size_t)m);
    if (!At) return -1;
    TRY(check_cublas(S<T>::transpose(bh, st, n, m, A, lda, At, n), "geam"));
    Scratch su(dev), sv(dev);
    int ucols = job == 'A' ? n : k, vrows = job == 'A' ? m : k;   // U' n x ucols, V'^T vrows x m
    T *Ut = NULL, *Vt = NULL;
    if (job != 'N') {
      Ut = (T *)su.get(sizeof(T) * (size_t)n * (size_t)ucols);
      Vt = Ut ? (T *)sv.get(sizeof(T) * (size_t)vrows * (size_t)m) : NULL;
      if (!Vt) return -1;
    }
    TRY(gesvd<T>(h, dev, job, n, m, At, n, s, Ut, n, Vt, vrows, dinfo));
    if (job != 'N') {
      TRY(check_cublas(S<T>::transpose(bh, st, m, vrows, Vt, vrows, U, ldu), "geam"));    // U = V'
      TRY(check_cublas(S<T>::transpose(bh, st, ucols, n, Ut, n, VT, ldvt), "geam"));     // VT = U'^T
    }
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  case LT_LP_GEQRF: {
    SOLVER(S<T>::geqrf_bufferSize()(h, m, n, A, lda, &lw), "geqrf_bufferSize");
    WORK(lw, "geqrf");
    T *work = (T *)sw.get(sizeof(T) * (size_t)lw);
    if (!work) return -1;
    SOLVER(S<T>::geqrf()(h, m, n, A, lda, (T *)h_data(t1), work, lw, dinfo), "geqrf");
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  case LT_LP_ORGQR: {
    int k = (int)c->k;
    const T *tau = (const T *)h_data(t1);
    SOLVER(S<T>::orgqr_bufferSize()(h, m, n, k, A, lda, tau, &lw), "orgqr_bufferSize");
    WORK(lw, "orgqr");
    T *work = (T *)sw.get(sizeof(T) * (size_t)lw);
    if (!work) return -1;
    SOLVER(S<T>::orgqr()(h, m, n, k, A, lda, tau, work, lw, dinfo), "orgqr");
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  case LT_LP_ORMQR: {
    int k = (int)c->k, cm = rows_of(t2), cn = cols_of(t2), ldc = ld_of(t2);
    cublasSideMode_t side = c->c1 == 'L' ? CUBLAS_SIDE_LEFT : CUBLAS_SIDE_RIGHT;
    const T *tau = (const T *)h_data(t1);
    T *C = (T *)h_data(t2);
    SOLVER(S<T>::ormqr_bufferSize()(h, side, op_of(c->c2), cm, cn, k, A, lda, tau, C, ldc, &lw),
           "ormqr_bufferSize");
    WORK(lw, "ormqr");
    T *work = (T *)sw.get(sizeof(T) * (size_t)lw);
    if (!work) return -1;
    SOLVER(S<T>::ormqr()(h, side, op_of(c->c2), cm, cn, k, A, lda, tau, C, ldc, work, lw, dinfo),
           "ormqr");
    return finish(st, dinfo, &c->info, NULL, NULL, 0);
  }
  default:
    return 1;   // gels, pstrf, geev: on host copies
  }
}

// an operand with no elements: the routine is a quick return, left to the CPU's; one of
// more than INT_MAX elements: beyond the 32-bit interface used here (its sizes and
// workspace sizes are int), so left to the host copies too
static bool for_host(const lt_lapack_call *c) {
  for (int i = 0; i < 4; i++)
    if (c->t[i] && (h_numel(c->t[i]) == 0 || h_numel(c->t[i]) > INT_MAX)) return true;
  return c->op == LT_LP_ORGQR || c->op == LT_LP_ORMQR ? c->k == 0 : false;
}

static int c_lapack(lt_lapack_call *c) {
  if (c->op == LT_LP_GELS || c->op == LT_LP_PSTRF || c->op == LT_LP_GEEV || for_host(c)) return 1;
  pthread_once(&load_once, load);
  if (!loaded) return 1;
  int dev = c->t[0]->device.index;
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return -1; }
  TRY(set_device(dev));
  if (!handle_for(dev)) return 1;
  c->info = 0;
  return c->t[0]->dtype == LT_FLOAT32 ? run<float>(c, dev) : run<double>(c, dev);
}

static int c_solver_status(int dev, char *why, size_t n) {
  pthread_once(&load_once, load);
  if (!loaded) { snprintf(why, n, "%s", load_error); return 0; }
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return -1; }
  TRY(set_device(dev));
  if (!handle_for(dev)) {
    snprintf(why, n, "cuSOLVER could not start on device %d (status %d)", dev + 1, unusable[dev]);
    return 0;
  }
  return 1;
}

void lt_cuda_register_solver(lt_backend *b) {
  b->lapack = c_lapack;
  b->solver_status = c_solver_status;
}
