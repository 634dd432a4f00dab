// backend.cu: the CUDA backend. Built into libluatorch_cuda.so and loaded by the engine
// with dlopen the first time a CUDA tensor is asked for (tensor/copy.c, lt_backend_for).
// It implements the backend table of internal.h: a caching allocator, copies between
// dtypes/devices, fill, and the pointwise kernels; the element math comes from
// scalar_math.h, the same header the CPU kernels use. Matrix products go to cuBLAS.
#include "common.cuh"

void (*seterr)(const char *fmt, ...);

// ---- the element math, as on the CPU (scalar_math.h) ----
__device__ static inline float sigmoid_t(float x) { return lt_sigmoidf(x); }
__device__ static inline double sigmoid_t(double x) { return lt_sigmoid(x); }
// the element math in T (float for the float32 fast paths, double otherwise)
template <typename T>
__device__ static T unary_math(int op, T x) {
  switch (op) {
  case LT_NEG: return -x;
  case LT_ABS: return fabs(x);
  case LT_SIGN: return x > 0 ? T(1) : x < 0 ? T(-1) : x;
  case LT_EXP: return exp(x);
  case LT_LOG: return log(x);
  case LT_LOG1P: return log1p(x);
  case LT_EXPM1: return expm1(x);
  case LT_SQRT: return sqrt(x);
  case LT_RSQRT: return T(1) / sqrt(x);
  case LT_SIN: return sin(x);
  case LT_COS: return cos(x);
  case LT_TAN: return tan(x);
  case LT_ASIN: return asin(x);
  case LT_ACOS: return acos(x);
  case LT_ATAN: return atan(x);
  case LT_SINH: return sinh(x);
  case LT_COSH: return cosh(x);
  case LT_TANH: return tanh(x);
  case LT_SIGMOID: return sigmoid_t(x);
  case LT_FLOOR: return floor(x);
  case LT_CEIL: return ceil(x);
  case LT_ROUND: return round(x);
  case LT_TRUNC: return trunc(x);
  case LT_FRAC: return x - trunc(x);
  case LT_CINV: return T(1) / x;
  case LT_LOG2: return log2(x);
  case LT_LOG10: return log10(x);
  case LT_EXP2: return exp2(x);
  case LT_SQUARE: return x * x;
  case LT_NOT: return x == 0;
  }
  return 0;
}
// float32 arithmetic for the contiguous float32 fast paths (the ops that stay float)
__device__ static inline float binary_math_f(int op, float x, float y, float alpha) {
  switch (op) {
  case LT_ADD: return x + alpha * y;
  case LT_SUB: return x - alpha * y;
  case LT_MUL: return x * y;
  case LT_DIV: return x / y;
  case LT_POW: return pow(x, y);
  case LT_FMOD: return fmod(x, y);
  case LT_REMAINDER: return lt_remainderf(x, y);
  case LT_ATAN2: return atan2(x, y);
  case LT_MAX: return (x > y || x != x) ? x : y;
  case LT_MIN: return (x < y || x != x) ? x : y;
  }
  return 0;
}
static bool float_op(int op) { return op <= LT_MIN; }
__device__ static double binary_math(int op, double x, double y, double alpha, bool isint) {
  switch (op) {
  case LT_ADD: return x + alpha * y;
  case LT_SUB: return x - alpha * y;
  case LT_MUL: return x * y;
  case LT_DIV: return isint ? (y == 0 ? 0 : trunc(x / y)) : x / y;
  case LT_POW: return pow(x, y);
  case LT_FMOD: return isint && y == 0 ? 0 : fmod(x, y);
  case LT_REMAINDER: return isint && y == 0 ? 0 : lt_remainder(x, y);
  case LT_ATAN2: return atan2(x, y);
  case LT_MAX: return (x > y || x != x) ? x : y;
  case LT_MIN: return (x < y || x != x) ? x : y;
  case LT_BITAND: return (double)((int64_t)x & (int64_t)y);
  case LT_BITOR: return (double)((int64_t)x | (int64_t)y);
  case LT_BITXOR: return (double)((int64_t)x ^ (int64_t)y);
  case LT_LSHIFT: return isint ? (double)((int64_t)x << (int64_t)y) : x * exp2(y);
  case LT_RSHIFT: return isint ? (double)((int64_t)x >> (int64_t)y) : x / exp2(y);
  case LT_EQ: return x == y;
  case LT_NE: return x != y;
  case LT_LT: return x < y;
  case LT_LE: return x <= y;
  case LT_GT: return x > y;
  case LT_GE: return x >= y;
  case LT_LOGICAL_AND: return x != 0 && y != 0;
  case LT_LOGICAL_OR: return x != 0 || y != 0;
  }
  return 0;
}

// ---- kernels ----
template <typename I>
__global__ void k_copy(view_arg dst, view_arg src, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) store(dst.dtype, at<I>(dst, i), load(src.dtype, at<I>(src, i)));
}
template <typename I>
__global__ void k_fill(view_arg dst, double v, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) store(dst.dtype, at<I>(dst, i), v);
}
__global__ void k_fill_f32(float *p, float v, int64_t n) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) p[i] = v;
}
template <typename I>
__global__ void k_unary(int op, view_arg out, view_arg a, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) store(out.dtype, at<I>(out, i), unary_math<double>(op, load(a.dtype, at<I>(a, i))));
}
template <typename I>
__global__ void k_binary(int op, view_arg out, view_arg a, view_arg b, double alpha, bool isint, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) store(out.dtype, at<I>(out, i), binary_math(op, load(a.dtype, at<I>(a, i)), load(b.dtype, at<I>(b, i)), alpha, isint));
}
template <typename I>
__global__ void k_binary_scalar(int op, view_arg out, view_arg a, double s, bool reversed, bool isint, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) {
    double x = load(a.dtype, at<I>(a, i));
    store(out.dtype, at<I>(out, i), reversed ? binary_math(op, s, x, 1, isint) : binary_math(op, x, s, 1, isint));
  }
}
// contiguous float32 fast paths
__global__ void k_binary_f32(int op, float *o, const float *a, const float *b, float alpha, int64_t n) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) o[i] = binary_math_f(op, a[i], b[i], alpha);
}
__global__ void k_binary_scalar_f32(int op, float *o, const float *a, float s, bool reversed, int64_t n) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) o[i] = reversed ? binary_math_f(op, s, a[i], 1) : binary_math_f(op, a[i], s, 1);
}
__global__ void k_unary_f32(int op, float *o, const float *a, int64_t n) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) o[i] = unary_math<float>(op, a[i]);
}

// ---- caching allocator: freed blocks are kept per (device, size class) ----
#define CACHE_SLOTS 256
static struct { void *p; size_t n; int dev; } cache[CACHE_SLOTS];
static size_t round_size(size_t n) {
  if (n < 512) return 512;
  size_t p = 512;
  while (p < n / 8) p <<= 1;
  return (n + p - 1) / p * p;
}
static void cache_empty(int dev) {
  for (int i = 0; i < CACHE_SLOTS; i++)
    if (cache[i].p && (dev < 0 || cache[i].dev == dev)) { cudaFree(cache[i].p); cache[i].p = NULL; }
}
static void *c_alloc(size_t nbytes, int dev) {
  size_t n = round_size(nbytes);
  for (int i = 0; i < CACHE_SLOTS; i++)
    if (cache[i].p && cache[i].n == n && cache[i].dev == dev) {
      void *p = cache[i].p;
      cache[i].p = NULL;
      return p;
    }
  if (set_device(dev) < 0) return NULL;
  void *p = NULL;
  cudaError_t e = cudaMalloc(&p, n);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    cache_empty(dev);
    e = cudaMalloc(&p, n);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    seterr("cuda: out of memory allocating %.1f MiB on device %d (%s)", n / 1048576.0, dev + 1, cudaGetErrorString(e));
    return NULL;
  }
  return p;
}
static void c_free(void *p, size_t nbytes, int dev) {
  size_t n = round_size(nbytes);
  for (int i = 0; i < CACHE_SLOTS; i++)
    if (!cache[i].p) { cache[i].p = p; cache[i].n = n; cache[i].dev = dev; return; }
  cudaFree(p);
}

static int c_memcpy(void *dst, lt_device dd, const void *src, lt_device sd, size_t n) {
  (void)dd; (void)sd;
  return check(cudaMemcpy(dst, src, n, cudaMemcpyDefault), "cudaMemcpy");
}

static int c_copy(lt_tensor *dst, const lt_tensor *src) {
  int64_t n = h_numel(dst);
  if (n == 0) return 0;
  if (set_device(dst->device.index) < 0) return -1;
  if (dst->dtype == src->dtype && h_contig(dst) && h_contig(src))
    return check(cudaMemcpy(h_data(dst), h_data(src), n * h_esize(dst->dtype), cudaMemcpyDeviceToDevice), "cudaMemcpy");
  if (small_index(n)) k_copy<uint32_t><<<blocks(n), THREADS>>>(make_view(dst), make_view(src), (uint32_t)n);
  else k_copy<int64_t><<<blocks(n), THREADS>>>(make_view(dst), make_view(src), n);
  return launched();
}

static int c_fill(lt_tensor *t, double v) {
  int64_t n = h_numel(t);
  if (n == 0) return 0;
  if (set_device(t->device.index) < 0) return -1;
  if (t->dtype == LT_FLOAT32 && h_contig(t)) k_fill_f32<<<blocks(n), THREADS>>>((float *)h_data(t), (float)v, n);
  else if (small_index(n)) k_fill<uint32_t><<<blocks(n), THREADS>>>(make_view(t), v, (uint32_t)n);
  else k_fill<int64_t><<<blocks(n), THREADS>>>(make_view(t), v, n);
  return launched();
}

static bool is_int(lt_dtype t) { return !h_isfloat(t); }

static int c_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  if (set_device(out->device.index) < 0) return -1;
  if (out->dtype == LT_FLOAT32 && a->dtype == LT_FLOAT32 && op != LT_NOT && h_contig(out) && h_contig(a))
    k_unary_f32<<<blocks(n), THREADS>>>((int)op, (float *)h_data(out), (const float *)h_data(a), n);
  else if (small_index(n)) k_unary<uint32_t><<<blocks(n), THREADS>>>((int)op, make_view(out), make_view(a), (uint32_t)n);
  else k_unary<int64_t><<<blocks(n), THREADS>>>((int)op, make_view(out), make_view(a), n);
  return launched();
}

static int c_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  if (set_device(out->device.index) < 0) return -1;
  if (out->dtype == LT_FLOAT32 && a->dtype == LT_FLOAT32 && b->dtype == LT_FLOAT32 && float_op(op) &&
      h_contig(out) && h_contig(a) && h_contig(b))
    k_binary_f32<<<blocks(n), THREADS>>>((int)op, (float *)h_data(out), (const float *)h_data(a),
                                         (const float *)h_data(b), (float)alpha, n);
  else if (small_index(n))
    k_binary<uint32_t><<<blocks(n), THREADS>>>((int)op, make_view(out), make_view(a), make_view(b), alpha,
                                                is_int(a->dtype), (uint32_t)n);
  else
    k_binary<int64_t><<<blocks(n), THREADS>>>((int)op, make_view(out), make_view(a), make_view(b), alpha,
                                               is_int(a->dtype), n);
  return launched();
}

static int c_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  if (set_device(out->device.index) < 0) return -1;
  if (is_int(a->dtype)) s = trunc(s);
  if (out->dtype == LT_FLOAT32 && a->dtype == LT_FLOAT32 && float_op(op) && h_contig(out) && h_contig(a))
    k_binary_scalar_f32<<<blocks(n), THREADS>>>((int)op, (float *)h_data(out), (const float *)h_data(a), (float)s,
                                                reversed, n);
  else if (small_index(n))
    k_binary_scalar<uint32_t><<<blocks(n), THREADS>>>((int)op, make_view(out), make_view(a), s, reversed,
                                                       is_int(a->dtype), (uint32_t)n);
  else
    k_binary_scalar<int64_t><<<blocks(n), THREADS>>>((int)op, make_view(out), make_view(a), s, reversed,
                                                      is_int(a->dtype), n);
  return launched();
}

// ---- matrix products through cuBLAS (one handle per device, made on first use) ----
#define MAX_DEVICES 64
static cublasHandle_t handles[MAX_DEVICES];
static const char *cublas_str(cublasStatus_t st) {
  switch (st) {
  case CUBLAS_STATUS_NOT_INITIALIZED: return "cuBLAS not initialized";
  case CUBLAS_STATUS_ALLOC_FAILED: return "cuBLAS could not allocate";
  case CUBLAS_STATUS_INVALID_VALUE: return "invalid value";
  case CUBLAS_STATUS_ARCH_MISMATCH: return "not supported by this GPU";
  case CUBLAS_STATUS_EXECUTION_FAILED: return "execution failed";
  case CUBLAS_STATUS_NOT_SUPPORTED: return "not supported";
  default: return "internal error";
  }
}
static int check_blas(cublasStatus_t st, const char *what) {
  if (st == CUBLAS_STATUS_SUCCESS) return 0;
  seterr("cuda: %s failed: %s (status %d)", what, cublas_str(st), (int)st);
  return -1;
}
static cublasHandle_t handle_for(int dev) {
  if (dev < 0 || dev >= MAX_DEVICES) { seterr("cuda: device %d out of range", dev + 1); return NULL; }
  if (!handles[dev]) {
    cublasHandle_t h;
    if (check_blas(cublasCreate(&h), "cublasCreate") < 0) return NULL;
    // float32 products stay IEEE float32 (no TF32) unless asked for
    cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
    handles[dev] = h;
  }
  return handles[dev];
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: hand cuBLAS B first. A
// row-major 'N' matrix with leading dimension ld reads, column-major, as its transpose with
// the same ld, so 'N' maps to CUBLAS_OP_N and 'T' to CUBLAS_OP_T.
static int c_gemm(lt_dtype dt, int dev, char tc, char ta, char tb, int64_t m, int64_t n, int64_t k,
                  double alpha, const void *a, int64_t lda, int64_t sa, const void *b, int64_t ldb,
                  int64_t sb, double beta, void *c, int64_t ldc, int64_t sc, int64_t nb, bool reduce) {
  if (set_device(dev) < 0) return -1;
  cublasHandle_t h = handle_for(dev);
  if (!h) return -1;
  if (tc == 'T') {  // C stored column-major: compute C^T = B^T A^T into it, row-major
    const void *tp = a; a = b; b = tp;
    int64_t t = lda; lda = ldb; ldb = t;
    t = sa; sa = sb; sb = t;
    t = m; m = n; n = t;
    char x = ta;
    ta = tb == 'N' ? 'T' : 'N';
    tb = x == 'N' ? 'T' : 'N';
  }
  cublasOperation_t opa = ta == 'N' ? CUBLAS_OP_N : CUBLAS_OP_T, opb = tb == 'N' ? CUBLAS_OP_N : CUBLAS_OP_T;
  size_t es = dt == LT_FLOAT64 ? 8 : 4;
  int64_t runs = reduce ? nb : 1, per = reduce ? 1 : nb;
  for (int64_t r = 0; r < runs; r++) {
    const char *pa = (const char *)a + r * sa * es, *pb = (const char *)b + r * sb * es;
    cublasStatus_t st;
    if (dt == LT_FLOAT32) {
      float al = (float)alpha, be = (float)(reduce && r ? 1.0 : beta);
      st = cublasSgemmStridedBatched(h, opb, opa, (int)n, (int)m, (int)k, &al, (const float *)pb, (int)ldb, sb,
                                     (const float *)pa, (int)lda, sa, &be, (float *)c, (int)ldc, sc, (int)per);
    } else {
      double al = alpha, be = reduce && r ? 1.0 : beta;
      st = cublasDgemmStridedBatched(h, opb, opa, (int)n, (int)m, (int)k, &al, (const double *)pb, (int)ldb, sb,
                                     (const double *)pa, (int)lda, sa, &be, (double *)c, (int)ldc, sc, (int)per);
    }
    if (check_blas(st, dt == LT_FLOAT32 ? "cublasSgemm" : "cublasDgemm") < 0) return -1;
  }
  return launched();
}

void *lt_cu_alloc(size_t nbytes, int dev) { return c_alloc(nbytes, dev); }
void lt_cu_free(void *p, size_t nbytes, int dev) { c_free(p, nbytes, dev); }
cublasHandle_t lt_cu_blas(int dev) { return handle_for(dev); }
cudaStream_t lt_cu_stream(int dev) { (void)dev; return 0; }

static int c_synchronize(int dev) {
  if (set_device(dev) < 0) return -1;
  return check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
}

static int ndevices = -1;
static int c_device_count(void) { return ndevices < 0 ? 0 : ndevices; }

static lt_backend cuda_backend;

extern "C" const lt_backend *lt_cuda_backend_init(char *err, size_t errn, void (*errfn)(const char *, ...)) {
  seterr = errfn;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    snprintf(err, errn, "CUDA is not available: %s", e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device found");
    return NULL;
  }
  ndevices = n;
  cuda_backend.name = "cuda";
  cuda_backend.alloc = c_alloc;
  cuda_backend.free = c_free;
  cuda_backend.memcpy = c_memcpy;
  cuda_backend.copy = c_copy;
  cuda_backend.fill = c_fill;
  cuda_backend.unary = c_unary;
  cuda_backend.binary = c_binary;
  cuda_backend.binary_scalar = c_binary_scalar;
  cuda_backend.device_count = c_device_count;
  cuda_backend.gemm = c_gemm;
  cuda_backend.synchronize = c_synchronize;
  lt_cuda_register_reduce(&cuda_backend);
  lt_cuda_register_index(&cuda_backend);
  lt_cuda_register_random(&cuda_backend);
  lt_cuda_register_spatial(&cuda_backend);
  lt_cuda_register_act(&cuda_backend);
  return &cuda_backend;
}
