// backend.cu: the CUDA backend. Built into libluatorch_cuda.so and loaded by the engine
// with dlopen the first time a CUDA tensor is asked for (tensor/copy.c, lt_backend_for).
// This file has the device streams, copies between dtypes/devices (page-locked staging
// for large host copies), fill and the pointwise kernels (the element math from
// scalar_math.h, the same header the CPU kernels use), and lt_cuda_backend_init, which
// fills the backend table of internal.h with them and calls each family's registration:
// alloc.cu (the caching allocator), blas.cu (cuBLAS products, dot, tril/triu), reduce.cu,
// index.cu, random.cu, spatial.cu and act.cu.
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
  /* integer shifts as the int64 path below: a count < 0 or > 63 shifts everything out */
  case LT_LSHIFT:
    if (!isint) return x * exp2(y);
    return (y < 0 || y > 63) ? 0 : (double)(int64_t)((uint64_t)(int64_t)x << (int64_t)y);
  case LT_RSHIFT:
    if (!isint) return x / exp2(y);
    return (y < 0 || y > 63) ? (x < 0 ? -1 : 0) : (double)((int64_t)x >> (int64_t)y);
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
// integer to integer conversions as on the CPU (copy.c): exact through int64, the
// narrower types wrapping (C casts), bool as != 0
__device__ static inline void store_int(int dt, char *p, int64_t v) {
  switch (dt) {
  case LT_INT64: *(int64_t *)p = v; break;
  case LT_INT32: *(int32_t *)p = (int32_t)v; break;
  case LT_INT16: *(int16_t *)p = (int16_t)v; break;
  case LT_INT8: *(int8_t *)p = (int8_t)v; break;
  case LT_UINT8: *(uint8_t *)p = (uint8_t)v; break;
  case LT_BOOL: *(uint8_t *)p = v != 0; break;
  }
}
// a double into dt as lt_store does (copy.c's conversions and fill): every integer type
// saturates at its own range, NaN gives 0 (store() wraps the narrow types, as the CPU's
// integer arithmetic does)
__device__ static inline void store_sat(int dt, char *p, double v) {
  switch (dt) {
  case LT_INT16: *(int16_t *)p = v != v ? 0 : (int16_t)fmax(fmin(v, 32767.0), -32768.0); break;
  case LT_INT8: *(int8_t *)p = v != v ? 0 : (int8_t)fmax(fmin(v, 127.0), -128.0); break;
  case LT_UINT8: *(uint8_t *)p = v != v ? 0 : (uint8_t)fmax(fmin(v, 255.0), 0.0); break;
  case LT_INT64:
    *(int64_t *)p = v != v ? 0 : v >= 9.2233720368547758e18 ? INT64_MAX : v <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v;
    break;
  default: store(dt, p, v); break;
  }
}
__device__ static inline bool d_isfloat(int t) {
  return t == LT_FLOAT32 || t == LT_FLOAT64 || t == LT_FLOAT16 || t == LT_BFLOAT16;
}
template <typename I>
__global__ void k_copy(view_arg dst, view_arg src, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  if (!d_isfloat(dst.dtype) && !d_isfloat(src.dtype))
    store_int(dst.dtype, at<I>(dst, i), load_int(src.dtype, at<I>(src, i)));
  else
    store_sat(dst.dtype, at<I>(dst, i), load(src.dtype, at<I>(src, i)));
}
// same dtype, strided views: move the element's bytes (int64 beyond 2^53, NaN payloads)
template <typename T, typename I>
__global__ void k_copy_raw(view_arg dst, view_arg src, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n)
    *(T *)(dst.data + elem_offset<I>(dst, i) * (int64_t)sizeof(T)) =
        *(const T *)(src.data + elem_offset<I>(src, i) * (int64_t)sizeof(T));
}
template <typename I>
__global__ void k_fill(view_arg dst, double v, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) store_sat(dst.dtype, at<I>(dst, i), v);
}
// Contiguous float32 fast paths take V elements per thread: V = 4 moves them as float4
// (when every pointer is 16-byte aligned), which keeps more bytes in flight per thread and
// gets the bandwidth-bound ops near the memory's limit; V = 1 otherwise.
template <int V>
__global__ void k_fill_f32(float *p, float v, int64_t n) {
  int64_t i = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) * V;
  if (V == 4 && i + 4 <= n) { *(float4 *)(p + i) = make_float4(v, v, v, v); return; }
  for (int k = 0; k < V && i + k < n; k++) p[i + k] = v;
}
static inline bool aligned16(const void *a, const void *b = NULL, const void *c = NULL) {
  return (((uintptr_t)a | (uintptr_t)b | (uintptr_t)c) & 15) == 0;
}
static inline unsigned vblocks(int64_t n, int v) { return blocks((n + v - 1) / v); }
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
// integer operands (one integer dtype, as the engine hands them over): exact in int64,
// as the CPU's loops compute (pointwise_kernels.c: wrapping arithmetic, division and
// modulo by 0 giving 0, shifts past 63 bits), then wrapped into the output type
__device__ static int64_t int_pow_d(int64_t x, int64_t y) {
  if (y < 0) return x == 1 ? 1 : x == -1 ? (y & 1 ? -1 : 1) : 0;
  uint64_t r = 1, b = (uint64_t)x;
  while (y) { if (y & 1) r *= b; b *= b; y >>= 1; }
  return (int64_t)r;
}
__device__ static int64_t binary_int(int op, int64_t x, int64_t y, int64_t al) {
  uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
  switch (op) {
  case LT_ADD: return (int64_t)(ux + (uint64_t)al * uy);
  case LT_SUB: return (int64_t)(ux - (uint64_t)al * uy);
  case LT_MUL: return (int64_t)(ux * uy);
  case LT_DIV: return y == 0 ? 0 : y == -1 ? (int64_t)(0 - ux) : x / y;
  case LT_POW: return int_pow_d(x, y);
  case LT_FMOD: return y == 0 || y == -1 ? 0 : x % y;
  case LT_REMAINDER: {
    if (y == 0 || y == -1) return 0;
    int64_t r = x % y;
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return r;
  }
  case LT_MAX: return x > y ? x : y;
  case LT_MIN: return x < y ? x : y;
  case LT_BITAND: return x & y;
  case LT_BITOR: return x | y;
  case LT_BITXOR: return x ^ y;
  case LT_LSHIFT: return (y < 0 || y > 63) ? 0 : (int64_t)(ux << y);
  case LT_RSHIFT: return (y < 0 || y > 63) ? (x < 0 ? -1 : 0) : x >> y;
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
__device__ static inline void store_wrap(int dt, char *p, int64_t v) {
  switch (dt) {
  case LT_INT64: *(int64_t *)p = v; break;
  case LT_INT32: *(int32_t *)p = (int32_t)v; break;
  case LT_INT16: *(int16_t *)p = (int16_t)v; break;
  case LT_INT8: *(int8_t *)p = (int8_t)v; break;
  case LT_UINT8: *(uint8_t *)p = (uint8_t)v; break;
  case LT_BOOL: *(uint8_t *)p = v != 0; break;
  default: store(dt, p, (double)v); break;
  }
}
template <typename I>
__global__ void k_binary_int(int op, view_arg out, view_arg a, view_arg b, int64_t al, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) store_wrap(out.dtype, at<I>(out, i), binary_int(op, load_int(a.dtype, at<I>(a, i)), load_int(b.dtype, at<I>(b, i)), al));
}
template <typename I>
__global__ void k_binary_scalar_int(int op, view_arg out, view_arg a, int64_t s, bool reversed, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) {
    int64_t x = load_int(a.dtype, at<I>(a, i));
    store_wrap(out.dtype, at<I>(out, i), reversed ? binary_int(op, s, x, 1) : binary_int(op, x, s, 1));
  }
}
// unary ops on an integer dtype, as the CPU's loops: the exact ops in int64 (wrapped into
// the type), the float math through double saturating into the type
__device__ static inline bool unary_exact_int(int op) {
  return op == LT_NEG || op == LT_ABS || op == LT_SIGN || op == LT_FLOOR || op == LT_CEIL || op == LT_ROUND ||
         op == LT_TRUNC || op == LT_FRAC || op == LT_CINV || op == LT_SQUARE || op == LT_NOT;
}
__device__ static int64_t unary_int(int op, int64_t x) {
  uint64_t ux = (uint64_t)x;
  switch (op) {
  case LT_NEG: return (int64_t)(0 - ux);
  case LT_ABS: return x < 0 ? (int64_t)(0 - ux) : x;
  case LT_SIGN: return (x > 0) - (x < 0);
  case LT_FRAC: return 0;
  case LT_CINV: return x == 0 ? 0 : x == -1 ? -1 : 1 / x;
  case LT_SQUARE: return (int64_t)(ux * ux);
  case LT_NOT: return x == 0;
  }
  return x;   // floor, ceil, round, trunc
}
template <typename I>
__global__ void k_unary_int(int op, view_arg out, view_arg a, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  char *po = at<I>(out, i);
  const char *pa = at<I>(a, i);
  if (unary_exact_int(op)) store_wrap(out.dtype, po, unary_int(op, load_int(a.dtype, pa)));
  else store_sat(out.dtype, po, unary_math<double>(op, (double)load_int(a.dtype, pa)));
}
// contiguous float32 fast paths (V elements per thread, as k_fill_f32)
template <int V>
__global__ void k_binary_f32(int op, float *o, const float *a, const float *b, float alpha, int64_t n) {
  int64_t i = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) * V;
  if (V == 4 && i + 4 <= n) {
    float4 x = *(const float4 *)(a + i), y = *(const float4 *)(b + i), r;
    r.x = binary_math_f(op, x.x, y.x, alpha);
    r.y = binary_math_f(op, x.y, y.y, alpha);
    r.z = binary_math_f(op, x.z, y.z, alpha);
    r.w = binary_math_f(op, x.w, y.w, alpha);
    *(float4 *)(o + i) = r;
    return;
  }
  for (int k = 0; k < V && i + k < n; k++) o[i + k] = binary_math_f(op, a[i + k], b[i + k], alpha);
}
__device__ static inline float bin_scalar_f(int op, float x, float s, bool reversed) {
  return reversed ? binary_math_f(op, s, x, 1) : binary_math_f(op, x, s, 1);
}
template <int V>
__global__ void k_binary_scalar_f32(int op, float *o, const float *a, float s, bool reversed, int64_t n) {
  int64_t i = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) * V;
  if (V == 4 && i + 4 <= n) {
    float4 x = *(const float4 *)(a + i), r;
    r.x = bin_scalar_f(op, x.x, s, reversed);
    r.y = bin_scalar_f(op, x.y, s, reversed);
    r.z = bin_scalar_f(op, x.z, s, reversed);
    r.w = bin_scalar_f(op, x.w, s, reversed);
    *(float4 *)(o + i) = r;
    return;
  }
  for (int k = 0; k < V && i + k < n; k++) o[i + k] = bin_scalar_f(op, a[i + k], s, reversed);
}
template <int V>
__global__ void k_unary_f32(int op, float *o, const float *a, int64_t n) {
  int64_t i = (blockIdx.x * (int64_t)blockDim.x + threadIdx.x) * V;
  if (V == 4 && i + 4 <= n) {
    float4 x = *(const float4 *)(a + i), r;
    r.x = unary_math<float>(op, x.x);
    r.y = unary_math<float>(op, x.y);
    r.z = unary_math<float>(op, x.z);
    r.w = unary_math<float>(op, x.w);
    *(float4 *)(o + i) = r;
    return;
  }
  for (int k = 0; k < V && i + k < n; k++) o[i + k] = unary_math<float>(op, a[i + k]);
}

// ---- streams ----
// Each device's work runs on the calling thread's default stream of that device
// (cudaStreamPerThread: the handle means the current device's stream). It is a blocking
// stream: work on the legacy default stream (a launch without a stream, cudaMemcpy) is
// ordered with it, so nothing can overtake. The host waits for it only where it needs
// the data (copies to the host, synchronize).
cudaStream_t lt_cu_stream(int dev) { (void)dev; return cudaStreamPerThread; }

// ---- copies between the host and devices ----
// Small copies go directly (cudaMemcpyAsync on the stream, then a wait). Copies of at
// least STAGE_MIN bytes go through two reused page-locked buffers per device, so that
// the copy of one chunk on the GPU overlaps the host's memcpy of the next.
#define STAGE_MIN ((size_t)1 << 20)
#define STAGE_CHUNK ((size_t)8 << 20)
static struct { void *buf[2]; cudaEvent_t ev[2]; bool ready, failed; } stage[MAX_DEVICES];
static bool stage_init(int dev) {
  if (stage[dev].ready) return true;
  if (stage[dev].failed) return false;
  for (int i = 0; i < 2; i++) {
    if (cudaHostAlloc(&stage[dev].buf[i], STAGE_CHUNK, cudaHostAllocPortable) != cudaSuccess ||
        cudaEventCreateWithFlags(&stage[dev].ev[i], cudaEventDisableTiming) != cudaSuccess) {
      cudaGetLastError();
      stage[dev].failed = true;   // no page-locked memory: copy directly from now on
      return false;
    }
  }
  stage[dev].ready = true;
  return true;
}
static int staged_h2d(char *dst, const char *src, size_t n, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  for (size_t off = 0, k = 0; off < n; off += STAGE_CHUNK, k++) {
    size_t c = n - off < STAGE_CHUNK ? n - off : STAGE_CHUNK;
    int i = (int)(k & 1);
    // the buffer's previous chunk (k - 2) must have reached the device
    if (check(cudaEventSynchronize(stage[dev].ev[i]), "cudaEventSynchronize") < 0) return -1;
    memcpy(stage[dev].buf[i], src + off, c);
    if (check(cudaMemcpyAsync(dst + off, stage[dev].buf[i], c, cudaMemcpyHostToDevice, s), "cudaMemcpyAsync") < 0 ||
        check(cudaEventRecord(stage[dev].ev[i], s), "cudaEventRecord") < 0)
      return -1;
  }
  return check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}
static int staged_d2h(char *dst, const char *src, size_t n, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  size_t nchunks = (n + STAGE_CHUNK - 1) / STAGE_CHUNK;
  for (size_t k = 0; k <= nchunks; k++) {
    if (k < nchunks) {   // queue chunk k (its buffer was emptied by the host at step k - 1)
      size_t off = k * STAGE_CHUNK, c = n - off < STAGE_CHUNK ? n - off : STAGE_CHUNK;
      int i = (int)(k & 1);
      if (check(cudaMemcpyAsync(stage[dev].buf[i], src + off, c, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync") < 0 ||
          check(cudaEventRecord(stage[dev].ev[i], s), "cudaEventRecord") < 0)
        return -1;
    }
    if (k > 0) {         // while it runs, empty chunk k - 1
      size_t j = k - 1, off = j * STAGE_CHUNK, c = n - off < STAGE_CHUNK ? n - off : STAGE_CHUNK;
      int i = (int)(j & 1);
      if (check(cudaEventSynchronize(stage[dev].ev[i]), "cudaEventSynchronize") < 0) return -1;
      memcpy(dst + off, stage[dev].buf[i], c);
    }
  }
  return 0;
}
static int c_memcpy(void *dst, lt_device dd, const void *src, lt_device sd, size_t n) {
  if (n == 0) return 0;
  if (dd.type != LT_CPU && sd.type != LT_CPU) {
    if (dd.index == sd.index) {
      if (set_device(dd.index) < 0) return -1;
      return check(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, lt_cu_stream(dd.index)), "cudaMemcpyAsync");
    }
    // between devices: both streams' queued work first, then a synchronous peer copy
    if (set_device(sd.index) < 0 || check(cudaStreamSynchronize(lt_cu_stream(sd.index)), "cudaStreamSynchronize") < 0 ||
        set_device(dd.index) < 0 || check(cudaStreamSynchronize(lt_cu_stream(dd.index)), "cudaStreamSynchronize") < 0)
      return -1;
    return check(cudaMemcpyPeer(dst, dd.index, src, sd.index, n), "cudaMemcpyPeer");
  }
  bool h2d = dd.type != LT_CPU;
  int dev = h2d ? dd.index : sd.index;
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return -1; }
  if (set_device(dev) < 0) return -1;
  if (n >= STAGE_MIN && stage_init(dev))
    return h2d ? staged_h2d((char *)dst, (const char *)src, n, dev) : staged_d2h((char *)dst, (const char *)src, n, dev);
  cudaStream_t s = lt_cu_stream(dev);
  if (check(cudaMemcpyAsync(dst, src, n, h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync") < 0)
    return -1;
  return check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}

template <typename T>
static int launch_copy_raw(const view_arg &d, const view_arg &s, int64_t n, cudaStream_t st) {
  if (small_index(n)) k_copy_raw<T, uint32_t><<<blocks(n), THREADS, 0, st>>>(d, s, (uint32_t)n);
  else k_copy_raw<T, int64_t><<<blocks(n), THREADS, 0, st>>>(d, s, n);
  return launched();
}
static int c_copy(lt_tensor *dst, const lt_tensor *src) {
  int64_t n = h_numel(dst);
  if (n == 0) return 0;
  if (set_device(dst->device.index) < 0) return -1;
  if (dst->dtype == src->dtype && h_contig(dst) && h_contig(src))
    return check(cudaMemcpyAsync(h_data(dst), h_data(src), n * h_esize(dst->dtype), cudaMemcpyDeviceToDevice,
                                 lt_cu_stream(dst->device.index)), "cudaMemcpyAsync");
  cudaStream_t s = lt_cu_stream(dst->device.index);
  view_arg vd = make_view(dst), vs = make_view(src);
  if (dst->dtype == src->dtype) {
    switch (h_esize(dst->dtype)) {
    case 1: return launch_copy_raw<uint8_t>(vd, vs, n, s);
    case 2: return launch_copy_raw<uint16_t>(vd, vs, n, s);
    case 4: return launch_copy_raw<uint32_t>(vd, vs, n, s);
    default: return launch_copy_raw<uint64_t>(vd, vs, n, s);
    }
  }
  if (small_index(n)) k_copy<uint32_t><<<blocks(n), THREADS, 0, s>>>(vd, vs, (uint32_t)n);
  else k_copy<int64_t><<<blocks(n), THREADS, 0, s>>>(vd, vs, n);
  return launched();
}

static int c_fill(lt_tensor *t, double v) {
  int64_t n = h_numel(t);
  if (n == 0) return 0;
  if (set_device(t->device.index) < 0) return -1;
  if (t->dtype == LT_FLOAT32 && h_contig(t)) {
    float *p = (float *)h_data(t);
    if (aligned16(p)) k_fill_f32<4><<<vblocks(n, 4), THREADS, 0, lt_cu_stream(t->device.index)>>>(p, (float)v, n);
    else k_fill_f32<1><<<blocks(n), THREADS, 0, lt_cu_stream(t->device.index)>>>(p, (float)v, n);
  }
  else if (small_index(n)) k_fill<uint32_t><<<blocks(n), THREADS, 0, lt_cu_stream(t->device.index)>>>(make_view(t), v, (uint32_t)n);
  else k_fill<int64_t><<<blocks(n), THREADS, 0, lt_cu_stream(t->device.index)>>>(make_view(t), v, n);
  return launched();
}

static bool is_int(lt_dtype t) { return !h_isfloat(t); }

static int c_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  if (set_device(out->device.index) < 0) return -1;
  if (!h_isfloat(a->dtype) && out->dtype == a->dtype) {
    if (small_index(n)) k_unary_int<uint32_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), (uint32_t)n);
    else k_unary_int<int64_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), n);
    return launched();
  }
  if (out->dtype == LT_FLOAT32 && a->dtype == LT_FLOAT32 && op != LT_NOT && h_contig(out) && h_contig(a))
  {
    float *o = (float *)h_data(out);
    const float *x = (const float *)h_data(a);
    if (aligned16(o, x)) k_unary_f32<4><<<vblocks(n, 4), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, o, x, n);
    else k_unary_f32<1><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, o, x, n);
  }
  else if (small_index(n)) k_unary<uint32_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), (uint32_t)n);
  else k_unary<int64_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), n);
  return launched();
}

// a double as an int64 without UB (NaN 0, saturating), as (int64_t) on the CPU's range
static int64_t h_sat_i64(double v) {
  if (v != v) return 0;
  if (v >= 9.2233720368547758e18) return INT64_MAX;
  if (v <= -9.2233720368547758e18) return INT64_MIN;
  return (int64_t)v;
}
// the scalar as the CPU stores it into an integer dtype (lt_store: saturating)
static int64_t h_int_scalar(lt_dtype dt, double s) {
  int64_t v = h_sat_i64(s);
  switch (dt) {
  case LT_INT32: return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : v;
  case LT_INT16: return v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v;
  case LT_INT8: return v < INT8_MIN ? INT8_MIN : v > INT8_MAX ? INT8_MAX : v;
  case LT_UINT8: return v < 0 ? 0 : v > UINT8_MAX ? UINT8_MAX : v;
  case LT_BOOL: return s != 0;
  default: return v;
  }
}
// the exact integer kernels: integer operands of one dtype, an integer (or bool) result
static bool int_path(lt_binary_op op, const lt_tensor *out, const lt_tensor *a, const lt_tensor *b) {
  return op != LT_ATAN2 && !h_isfloat(a->dtype) && (!b || b->dtype == a->dtype) && !h_isfloat(out->dtype);
}
static int c_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  if (set_device(out->device.index) < 0) return -1;
  if (int_path(op, out, a, b)) {
    int64_t al = h_sat_i64(alpha);
    if (small_index(n))
      k_binary_int<uint32_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), make_view(b), al, (uint32_t)n);
    else
      k_binary_int<int64_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), make_view(b), al, n);
    return launched();
  }
  if (out->dtype == LT_FLOAT32 && a->dtype == LT_FLOAT32 && b->dtype == LT_FLOAT32 && float_op(op) &&
      h_contig(out) && h_contig(a) && h_contig(b))
  {
    float *o = (float *)h_data(out);
    const float *x = (const float *)h_data(a), *y = (const float *)h_data(b);
    if (aligned16(o, x, y)) k_binary_f32<4><<<vblocks(n, 4), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, o, x, y, (float)alpha, n);
    else k_binary_f32<1><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, o, x, y, (float)alpha, n);
  }
  else if (small_index(n))
    k_binary<uint32_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), make_view(b), alpha,
                                                is_int(a->dtype), (uint32_t)n);
  else
    k_binary<int64_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), make_view(b), alpha,
                                               is_int(a->dtype), n);
  return launched();
}

static int c_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  if (set_device(out->device.index) < 0) return -1;
  if (int_path(op, out, a, NULL)) {
    int64_t si = h_int_scalar(a->dtype, s);
    if (small_index(n))
      k_binary_scalar_int<uint32_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), si, reversed, (uint32_t)n);
    else
      k_binary_scalar_int<int64_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), si, reversed, n);
    return launched();
  }
  if (is_int(a->dtype)) s = trunc(s);
  if (out->dtype == LT_FLOAT32 && a->dtype == LT_FLOAT32 && float_op(op) && h_contig(out) && h_contig(a))
  {
    float *o = (float *)h_data(out);
    const float *x = (const float *)h_data(a);
    if (aligned16(o, x)) k_binary_scalar_f32<4><<<vblocks(n, 4), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, o, x, (float)s, reversed, n);
    else k_binary_scalar_f32<1><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, o, x, (float)s, reversed, n);
  }
  else if (small_index(n))
    k_binary_scalar<uint32_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), s, reversed,
                                                       is_int(a->dtype), (uint32_t)n);
  else
    k_binary_scalar<int64_t><<<blocks(n), THREADS, 0, lt_cu_stream(out->device.index)>>>((int)op, make_view(out), make_view(a), s, reversed,
                                                      is_int(a->dtype), n);
  return launched();
}



static int c_synchronize(int dev) {
  if (set_device(dev) < 0) return -1;
  if (check(cudaStreamSynchronize(lt_cu_stream(dev)), "cudaStreamSynchronize") < 0) return -1;
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
    cudaGetLastError();
    snprintf(err, errn, "CUDA is not available: %s", e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device found");
    return NULL;
  }
  ndevices = n < MAX_DEVICES ? n : MAX_DEVICES;
  cuda_backend.name = "cuda";
  cuda_backend.memcpy = c_memcpy;
  cuda_backend.copy = c_copy;
  cuda_backend.fill = c_fill;
  cuda_backend.unary = c_unary;
  cuda_backend.binary = c_binary;
  cuda_backend.binary_scalar = c_binary_scalar;
  cuda_backend.device_count = c_device_count;
  cuda_backend.synchronize = c_synchronize;
  lt_cuda_register_alloc(&cuda_backend);
  lt_cuda_register_blas(&cuda_backend);
  lt_cuda_register_reduce(&cuda_backend);
  lt_cuda_register_index(&cuda_backend);
  lt_cuda_register_random(&cuda_backend);
  lt_cuda_register_spatial(&cuda_backend);
  lt_cuda_register_act(&cuda_backend);
  lt_cuda_register_solver(&cuda_backend);
  return &cuda_backend;
}
