// blas.cu: matrix products through cuBLAS (float32/64, and float16/bfloat16 computing in
// float32), the integer product kernel, the TF32 switch, dot/trace reductions and
// tril/triu. Fills those entries of the backend table.
#include "common.cuh"

// ---- matrix products through cuBLAS (one handle per device, made on first use) ----
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
static bool tf32_on;   // torch.cuda.setTF32: float32 products on TF32 tensor cores
static cublasHandle_t handle_for(int dev) {
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return NULL; }
  if (!handles[dev]) {
    cublasHandle_t h;
    if (set_device(dev) < 0) return NULL;
    if (check_blas(cublasCreate(&h), "cublasCreate") < 0) return NULL;
    // float32 products stay IEEE float32 (no TF32) unless asked for
    cublasSetMathMode(h, tf32_on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
    // the device's stream (cudaStreamPerThread names the calling thread's stream of the
    // current device when used, so one setting serves)
    if (check_blas(cublasSetStream(h, lt_cu_stream(dev)), "cublasSetStream") < 0) { cublasDestroy(h); return NULL; }
    handles[dev] = h;
  }
  return handles[dev];
}
static void c_set_tf32(bool on) {
  tf32_on = on;
  for (int d = 0; d < MAX_DEVICES; d++)
    if (handles[d]) cublasSetMathMode(handles[d], on ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}

// integer products (cuBLAS has none): one thread per element of C, arithmetic wrapping
// modulo 2^64 and truncated to T at the end, which is what the CPU's loop in T gives.
// Element (i, p) of a row-major 'N' matrix is a[i * ld + p], of a 'T' one a[p * ld + i].
template <typename T>
__global__ void k_gemm_int(char tc, char ta, char tb, int64_t m, int64_t n, int64_t k, uint64_t alpha,
                           const T *a, int64_t lda, int64_t sa, const T *b, int64_t ldb, int64_t sb,
                           uint64_t beta, bool beta0, T *c, int64_t ldc, int64_t sc, int64_t nb, bool reduce) {
  int64_t per = m * n, total = reduce ? per : per * nb;
  int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (idx >= total) return;
  int64_t bi = idx / per, r = idx - bi * per, i = r / n, j = r - i * n;
  T *cp = c + (reduce ? 0 : bi * sc) + (tc == 'N' ? i * ldc + j : j * ldc + i);
  uint64_t acc = beta0 ? 0 : beta * (uint64_t)(int64_t)*cp;
  int64_t b0 = reduce ? 0 : bi, b1 = reduce ? nb : bi + 1;
  for (int64_t q = b0; q < b1; q++) {
    const T *pa = a + q * sa, *pb = b + q * sb;
    uint64_t s = 0;
    for (int64_t p = 0; p < k; p++) {
      T x = ta == 'N' ? pa[i * lda + p] : pa[p * lda + i];
      T y = tb == 'N' ? pb[p * ldb + j] : pb[j * ldb + p];
      s += (uint64_t)(int64_t)x * (uint64_t)(int64_t)y;
    }
    acc += alpha * s;
  }
  *cp = (T)acc;
}
static int64_t sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9.2233720368547758e18) return INT64_MAX;
  if (v <= -9.2233720368547758e18) return INT64_MIN;
  return (int64_t)v;
}
template <typename T>
static void launch_gemm_int(int dev, char tc, char ta, char tb, int64_t m, int64_t n, int64_t k, double alpha,
                            const void *a, int64_t lda, int64_t sa, const void *b, int64_t ldb, int64_t sb,
                            double beta, void *c, int64_t ldc, int64_t sc, int64_t nb, bool reduce) {
  int64_t total = reduce ? m * n : m * n * nb;
  k_gemm_int<T><<<blocks(total), THREADS, 0, lt_cu_stream(dev)>>>(
      tc, ta, tb, m, n, k, (uint64_t)sat_i64(alpha), (const T *)a, lda, sa, (const T *)b, ldb, sb,
      (uint64_t)sat_i64(beta), beta == 0, (T *)c, ldc, sc, nb, reduce);
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: hand cuBLAS B first. A
// row-major 'N' matrix with leading dimension ld reads, column-major, as its transpose with
// the same ld, so 'N' maps to CUBLAS_OP_N and 'T' to CUBLAS_OP_T. float16 and bfloat16 go
// through cublasGemmStridedBatchedEx, computing in float32.
static int c_gemm(lt_dtype dt, int dev, char tc, char ta, char tb, int64_t m, int64_t n, int64_t k,
                  double alpha, const void *a, int64_t lda, int64_t sa, const void *b, int64_t ldb,
                  int64_t sb, double beta, void *c, int64_t ldc, int64_t sc, int64_t nb, bool reduce) {
  if (set_device(dev) < 0) return -1;
  if (!h_isfloat(dt)) {
    switch (dt) {
    case LT_INT64: launch_gemm_int<int64_t>(dev, tc, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, nb, reduce); break;
    case LT_INT32: launch_gemm_int<int32_t>(dev, tc, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, nb, reduce); break;
    case LT_INT16: launch_gemm_int<int16_t>(dev, tc, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, nb, reduce); break;
    case LT_INT8: launch_gemm_int<int8_t>(dev, tc, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, nb, reduce); break;
    case LT_UINT8: launch_gemm_int<uint8_t>(dev, tc, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, nb, reduce); break;
    default: seterr("cuda: matrix product not defined for dtype %d", (int)dt); return -1;
    }
    return launched();
  }
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
  size_t es = h_esize(dt);
  int64_t runs = reduce ? nb : 1, per = reduce ? 1 : nb;
  const char *what = dt == LT_FLOAT32 ? "cublasSgemm" : dt == LT_FLOAT64 ? "cublasDgemm" : "cublasGemmEx";
  for (int64_t r = 0; r < runs; r++) {
    const char *pa = (const char *)a + r * sa * es, *pb = (const char *)b + r * sb * es;
    cublasStatus_t st;
    if (dt == LT_FLOAT32) {
      float al = (float)alpha, be = (float)(reduce && r ? 1.0 : beta);
      st = cublasSgemmStridedBatched(h, opb, opa, (int)n, (int)m, (int)k, &al, (const float *)pb, (int)ldb, sb,
                                     (const float *)pa, (int)lda, sa, &be, (float *)c, (int)ldc, sc, (int)per);
    } else if (dt == LT_FLOAT64) {
      double al = alpha, be = reduce && r ? 1.0 : beta;
      st = cublasDgemmStridedBatched(h, opb, opa, (int)n, (int)m, (int)k, &al, (const double *)pb, (int)ldb, sb,
                                     (const double *)pa, (int)lda, sa, &be, (double *)c, (int)ldc, sc, (int)per);
    } else {
      float al = (float)alpha, be = (float)(reduce && r ? 1.0 : beta);
      cudaDataType_t ct = dt == LT_FLOAT16 ? CUDA_R_16F : CUDA_R_16BF;
      st = cublasGemmStridedBatchedEx(h, opb, opa, (int)n, (int)m, (int)k, &al, pb, ct, (int)ldb, sb, pa, ct,
                                      (int)lda, sa, &be, c, ct, (int)ldc, sc, (int)per, CUBLAS_COMPUTE_32F,
                                      CUBLAS_GEMM_DEFAULT);
    }
    if (check_blas(st, what) < 0) return -1;
  }
  return launched();
}

// ---- dot products and sums over strided views (dot, trace) ----
#define DOT_BLOCKS 512
// each block sums a grid-stride share into part[blockIdx.x] (doubles) / ipart (integers)
template <typename I>
__global__ void k_dot_part(view_arg a, view_arg b, bool hasb, bool isint, I n, double *part, uint64_t *ipart) {
  __shared__ double fs[THREADS];
  __shared__ uint64_t is[THREADS];
  double f = 0;
  uint64_t s = 0;
  for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x) {
    if (isint) {
      uint64_t x = (uint64_t)load_int(a.dtype, at<I>(a, i));
      s += hasb ? x * (uint64_t)load_int(b.dtype, at<I>(b, i)) : x;
    } else {
      double x = load(a.dtype, at<I>(a, i));
      f += hasb ? x * load(b.dtype, at<I>(b, i)) : x;
    }
  }
  fs[threadIdx.x] = f;
  is[threadIdx.x] = s;
  __syncthreads();
  for (int h = THREADS / 2; h > 0; h >>= 1) {
    if ((int)threadIdx.x < h) { fs[threadIdx.x] += fs[threadIdx.x + h]; is[threadIdx.x] += is[threadIdx.x + h]; }
    __syncthreads();
  }
  if (threadIdx.x == 0) { part[blockIdx.x] = fs[0]; ipart[blockIdx.x] = is[0]; }
}
// one block: the sum of the np partial sums into part[np] / ipart[np]
__global__ void k_dot_final(int np, double *part, uint64_t *ipart) {
  __shared__ double fs[THREADS];
  __shared__ uint64_t is[THREADS];
  double f = 0;
  uint64_t s = 0;
  for (int i = threadIdx.x; i < np; i += blockDim.x) { f += part[i]; s += ipart[i]; }
  fs[threadIdx.x] = f;
  is[threadIdx.x] = s;
  __syncthreads();
  for (int h = THREADS / 2; h > 0; h >>= 1) {
    if ((int)threadIdx.x < h) { fs[threadIdx.x] += fs[threadIdx.x + h]; is[threadIdx.x] += is[threadIdx.x + h]; }
    __syncthreads();
  }
  if (threadIdx.x == 0) { part[np] = fs[0]; ipart[np] = is[0]; }
}
static int c_dot(const lt_tensor *a, const lt_tensor *b, double *fres, int64_t *ires) {
  *fres = 0;
  *ires = 0;
  int64_t n = h_numel(a);
  if (n == 0) return 0;
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  int64_t want = (n + THREADS - 1) / THREADS;
  int np = (int)(want < DOT_BLOCKS ? want : DOT_BLOCKS);
  size_t bytes = (size_t)(np + 1) * (sizeof(double) + sizeof(uint64_t));
  char *scratch = (char *)lt_cu_alloc(bytes, dev);
  if (!scratch) return -1;
  double *part = (double *)scratch;
  uint64_t *ipart = (uint64_t *)(scratch + (size_t)(np + 1) * sizeof(double));
  cudaStream_t s = lt_cu_stream(dev);
  view_arg va = make_view(a), vb = b ? make_view(b) : va;
  bool isint = !h_isfloat(a->dtype);
  if (small_index(n)) k_dot_part<uint32_t><<<np, THREADS, 0, s>>>(va, vb, b != NULL, isint, (uint32_t)n, part, ipart);
  else k_dot_part<int64_t><<<np, THREADS, 0, s>>>(va, vb, b != NULL, isint, n, part, ipart);
  int rc = launched();
  if (rc == 0) {
    k_dot_final<<<1, THREADS, 0, s>>>(np, part, ipart);
    rc = launched();
  }
  uint64_t iv = 0;
  if (rc == 0)
    rc = check(cudaMemcpyAsync(fres, part + np, sizeof(double), cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync") < 0 ||
         check(cudaMemcpyAsync(&iv, ipart + np, sizeof(uint64_t), cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync") < 0 ||
         check(cudaStreamSynchronize(s), "cudaStreamSynchronize") < 0 ? -1 : 0;
  *ires = (int64_t)iv;
  lt_cu_free(scratch, bytes, dev);
  return rc;
}

// ---- tril / triu: zero each matrix's elements outside the kept triangle ----
template <typename I>
__global__ void k_tri_zero(view_arg t, I n, I rows, I cols, int64_t k, bool lower) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I q = i / cols;
  int64_t c = (int64_t)(i - q * cols), r = (int64_t)(q % rows);
  bool keep = lower ? c <= r + k : c >= r + k;
  if (!keep) store(t.dtype, at<I>(t, i), 0.0);
}
static int c_tri_zero(lt_tensor *t, int64_t k, bool lower) {
  int64_t n = h_numel(t);
  if (n == 0 || t->ndim < 2) return 0;
  int dev = t->device.index;
  if (set_device(dev) < 0) return -1;
  int64_t rows = t->size[t->ndim - 2], cols = t->size[t->ndim - 1];
  cudaStream_t s = lt_cu_stream(dev);
  if (small_index(n))
    k_tri_zero<uint32_t><<<blocks(n), THREADS, 0, s>>>(make_view(t), (uint32_t)n, (uint32_t)rows, (uint32_t)cols, k, lower);
  else
    k_tri_zero<int64_t><<<blocks(n), THREADS, 0, s>>>(make_view(t), n, rows, cols, k, lower);
  return launched();
}
cublasHandle_t lt_cu_blas(int dev) { return handle_for(dev); }

void lt_cuda_register_blas(lt_backend *b) {
  b->gemm = c_gemm;
  b->set_tf32 = c_set_tf32;
  b->dot = c_dot;
  b->tri_zero = c_tri_zero;
}
