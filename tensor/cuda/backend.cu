// backend.cu: the CUDA backend. Built into libluatorch_cuda.so and loaded by the engine
// with dlopen the first time a CUDA tensor is asked for (tensor/copy.c, lt_backend_for).
// It implements the backend table of internal.h: a caching allocator (size-class free
// lists, statistics, emptyCache), the device streams, copies between dtypes/devices
// (page-locked staging for large host copies), fill, and the pointwise kernels; the
// element math comes from scalar_math.h, the same header the CPU kernels use. Matrix
// products go to cuBLAS (float16/bfloat16 through GemmEx, TF32 on request; integer
// types through a kernel here); dot/trace reduce with a kernel here, tril/triu too.
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
// integer to integer conversions as on the CPU (copy.c): exact through int64, int32
// saturating, the narrower types wrapping (C casts), bool as != 0
__device__ static inline void store_int(int dt, char *p, int64_t v) {
  switch (dt) {
  case LT_INT64: *(int64_t *)p = v; break;
  case LT_INT32: *(int32_t *)p = v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : (int32_t)v; break;
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

// ---- caching allocator ----
// Freed blocks are kept on free lists, one per (device, size class), found through a hash
// table, so that allocating and freeing stay O(1) with thousands of live blocks. Sizes are
// rounded up to a class (512 bytes at least, then steps of an eighth of the size's power of
// two), so a block is reused for any request of its class. Nothing is returned to the
// driver until emptyCache, or an allocation fails (then the device's cache is emptied and
// the allocation tried once more). Every block is used on its device's one stream, in
// order, so a block freed by the engine while kernels that read it are still queued is
// handed out again only to work queued after them.
#define MAX_DEVICES 64
struct cblock { void *p; cblock *next; };
struct sclass { size_t n; int dev; cblock *head; sclass *next; };
#define NBUCKETS 4096
static sclass *buckets[NBUCKETS];
static cblock *spare_nodes;   // list nodes not in use
static lt_cuda_mem_stats dstats[MAX_DEVICES];

static size_t round_size(size_t n) {
  if (n < 512) return 512;
  size_t p = 512;
  while (p < n / 8) p <<= 1;
  return (n + p - 1) / p * p;
}
static unsigned bucket_of(size_t n, int dev) {
  uint64_t h = (uint64_t)(n >> 9) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)dev * 0xC2B2AE3D27D4EB4Full);
  return (unsigned)(h >> 52) & (NBUCKETS - 1);
}
static sclass *class_of(size_t n, int dev, bool create) {
  unsigned b = bucket_of(n, dev);
  for (sclass *c = buckets[b]; c; c = c->next)
    if (c->n == n && c->dev == dev) return c;
  if (!create) return NULL;
  sclass *c = (sclass *)malloc(sizeof(sclass));
  if (!c) return NULL;
  c->n = n; c->dev = dev; c->head = NULL;
  c->next = buckets[b];
  buckets[b] = c;
  return c;
}
static int valid_dev(int dev) { return dev >= 0 && dev < MAX_DEVICES; }
// return the cached blocks of dev (all devices when dev < 0) to the driver
static void cache_empty(int dev) {
  for (int b = 0; b < NBUCKETS; b++)
    for (sclass *c = buckets[b]; c; c = c->next) {
      if (dev >= 0 && c->dev != dev) continue;
      if (!c->head) continue;
      cudaSetDevice(c->dev);
      cudaDeviceSynchronize();   // queued kernels may still use a freed block
      while (c->head) {
        cblock *k = c->head;
        c->head = k->next;
        cudaFree(k->p);
        dstats[c->dev].frees++;
        dstats[c->dev].cached -= (int64_t)c->n;
        dstats[c->dev].reserved -= (int64_t)c->n;
        k->next = spare_nodes;
        spare_nodes = k;
      }
    }
  cudaGetLastError();
}
static void *c_alloc(size_t nbytes, int dev) {
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return NULL; }
  size_t n = round_size(nbytes);
  lt_cuda_mem_stats *st = &dstats[dev];
  sclass *c = class_of(n, dev, false);
  if (c && c->head) {
    cblock *k = c->head;
    c->head = k->next;
    void *p = k->p;
    k->next = spare_nodes;
    spare_nodes = k;
    st->cached -= (int64_t)n;
    st->allocated += (int64_t)n;
    st->cache_hits++;
    if (st->allocated > st->peak) st->peak = st->allocated;
    return p;
  }
  if (set_device(dev) < 0) return NULL;
  void *p = NULL;
  cudaError_t e = cudaMalloc(&p, n);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    cache_empty(dev);
    cudaSetDevice(dev);
    e = cudaMalloc(&p, n);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    size_t fr = 0, tot = 0;
    cudaMemGetInfo(&fr, &tot);
    cudaGetLastError();
    seterr("cuda: out of memory allocating %.1f MiB on device %d (%.1f MiB free of %.1f MiB, %.1f MiB in live "
           "tensors; %s)", n / 1048576.0, dev + 1, fr / 1048576.0, tot / 1048576.0, st->allocated / 1048576.0,
           cudaGetErrorString(e));
    return NULL;
  }
  st->mallocs++;
  st->reserved += (int64_t)n;
  st->allocated += (int64_t)n;
  if (st->allocated > st->peak) st->peak = st->allocated;
  return p;
}
static void c_free(void *p, size_t nbytes, int dev) {
  if (!p || !valid_dev(dev)) return;
  size_t n = round_size(nbytes);
  lt_cuda_mem_stats *st = &dstats[dev];
  st->allocated -= (int64_t)n;
  sclass *c = class_of(n, dev, true);
  cblock *k = spare_nodes;
  if (k) spare_nodes = k->next;
  else k = (cblock *)malloc(sizeof(cblock));
  if (!c || !k) {   // no memory for the bookkeeping: give the block back
    free(k);
    cudaSetDevice(dev);
    cudaFree(p);
    cudaGetLastError();
    st->frees++;
    st->reserved -= (int64_t)n;
    return;
  }
  k->p = p;
  k->next = c->head;
  c->head = k;
  st->cached += (int64_t)n;
}
static int c_mem_stats(int dev, lt_cuda_mem_stats *out, bool reset_peak) {
  if (!valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return -1; }
  *out = dstats[dev];
  if (reset_peak) dstats[dev].peak = dstats[dev].allocated;
  return 0;
}
static int c_empty_cache(int dev) {
  if (dev >= 0 && !valid_dev(dev)) { seterr("cuda: device %d out of range", dev + 1); return -1; }
  int cur = 0;
  cudaGetDevice(&cur);
  cache_empty(dev);   // cudaFree waits for the device's queued work
  cudaSetDevice(cur);
  cudaGetLastError();
  return 0;
}
static int c_mem_info(int dev, int64_t *fr, int64_t *tot) {
  if (set_device(dev) < 0) return -1;
  size_t f = 0, t = 0;
  if (check(cudaMemGetInfo(&f, &t), "cudaMemGetInfo") < 0) return -1;
  *fr = (int64_t)f;
  *tot = (int64_t)t;
  return 0;
}
static int c_device_props(int dev, lt_cuda_props *p) {
  cudaDeviceProp pr;
  if (check(cudaGetDeviceProperties(&pr, dev), "cudaGetDeviceProperties") < 0) return -1;
  snprintf(p->name, sizeof p->name, "%s", pr.name);
  p->total_mem = (int64_t)pr.totalGlobalMem;
  p->major = pr.major;
  p->minor = pr.minor;
  p->multiprocessors = pr.multiProcessorCount;
  return 0;
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

void *lt_cu_alloc(size_t nbytes, int dev) { return c_alloc(nbytes, dev); }
void lt_cu_free(void *p, size_t nbytes, int dev) { c_free(p, nbytes, dev); }
cublasHandle_t lt_cu_blas(int dev) { return handle_for(dev); }

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
  cuda_backend.mem_stats = c_mem_stats;
  cuda_backend.empty_cache = c_empty_cache;
  cuda_backend.mem_info = c_mem_info;
  cuda_backend.device_props = c_device_props;
  cuda_backend.set_tf32 = c_set_tf32;
  cuda_backend.dot = c_dot;
  cuda_backend.tri_zero = c_tri_zero;
  lt_cuda_register_reduce(&cuda_backend);
  lt_cuda_register_index(&cuda_backend);
  lt_cuda_register_random(&cuda_backend);
  lt_cuda_register_spatial(&cuda_backend);
  lt_cuda_register_act(&cuda_backend);
  return &cuda_backend;
}
