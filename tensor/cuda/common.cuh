// common.cuh: what every file of the CUDA backend shares: the engine's headers, strided
// views as kernel arguments, element loads and stores in any dtype, launch helpers, error
// checks, scratch memory from the caching allocator, and the per-family registration
// functions that fill the backend table (internal.h) at load time.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
extern "C" {
#include "internal.h"
}

#define THREADS 256
#define MAXDIM LT_MAXDIM

// This library is loaded privately (RTLD_LOCAL) by an engine that may itself be private
// to the Lua module, so it calls no engine function: these few helpers are its own, and
// errors go through the function the engine hands over at init.
extern void (*seterr)(const char *fmt, ...);  // set in backend.cu at init
static inline size_t h_esize(int dt) {
  switch (dt) {
  case LT_FLOAT64: case LT_INT64: return 8;
  case LT_FLOAT32: case LT_INT32: return 4;
  case LT_INT16: case LT_FLOAT16: case LT_BFLOAT16: return 2;
  default: return 1;
  }
}
static inline int64_t h_numel(const lt_tensor *t) {
  if (!t->storage) return 0;
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->size[i];
  return n;
}
static inline bool h_contig(const lt_tensor *t) {
  int64_t s = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->size[i] == 1) continue;
    if (t->size[i] == 0) return true;
    if (t->stride[i] != s) return false;
    s *= t->size[i];
  }
  return true;
}
static inline char *h_data(const lt_tensor *t) {
  return t->storage ? (char *)t->storage->data + t->offset * (int64_t)h_esize(t->dtype) : NULL;
}
static inline bool h_isfloat(int t) { return t == LT_FLOAT32 || t == LT_FLOAT64 || t == LT_FLOAT16 || t == LT_BFLOAT16; }

// ---- a strided view as a kernel argument ----
struct view_arg {
  char *data;
  int ndim;
  int dtype;
  int64_t size[MAXDIM];
  int64_t stride[MAXDIM];  // elements
};
static inline view_arg make_view(const lt_tensor *t) {
  view_arg v;
  v.data = h_data(t);
  v.ndim = t->ndim;
  v.dtype = t->dtype;
  for (int i = 0; i < t->ndim; i++) { v.size[i] = t->size[i]; v.stride[i] = t->stride[i]; }
  return v;
}
// I: the index type of the division chain. 32-bit division is several times cheaper on
// the GPU, so launches over fewer than 2^31 elements use uint32_t.
template <typename I>
__device__ static inline int64_t elem_offset(const view_arg &v, I linear) {
  int64_t off = 0;
  for (int d = v.ndim - 1; d >= 0; d--) {
    I sz = (I)v.size[d];
    I q = linear / sz;
    off += (int64_t)(linear - q * sz) * v.stride[d];
    linear = q;
  }
  return off;
}

__device__ static inline double load(int dt, const char *p) {
  switch (dt) {
  case LT_FLOAT32: return *(const float *)p;
  case LT_FLOAT64: return *(const double *)p;
  case LT_INT64: return (double)*(const int64_t *)p;
  case LT_INT32: return *(const int32_t *)p;
  case LT_INT16: return *(const int16_t *)p;
  case LT_INT8: return *(const int8_t *)p;
  case LT_UINT8: return *(const uint8_t *)p;
  case LT_BOOL: return *(const uint8_t *)p != 0;
  case LT_FLOAT16: return lt_half_to_float(*(const uint16_t *)p);
  case LT_BFLOAT16: return lt_bf16_to_float(*(const uint16_t *)p);
  }
  return 0;
}
__device__ static inline void store(int dt, char *p, double v) {
  switch (dt) {
  case LT_FLOAT32: *(float *)p = (float)v; break;
  case LT_FLOAT64: *(double *)p = v; break;
  case LT_INT64:   // saturating at int64's own range, as lt_store ((int64_t)2^63 is UB)
    *(int64_t *)p = v != v ? 0 : v >= 9.2233720368547758e18 ? INT64_MAX : v <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v;
    break;
  case LT_INT32: *(int32_t *)p = v != v ? 0 : (int32_t)fmax(fmin(v, 2147483647.0), -2147483648.0); break;
  case LT_INT16: *(int16_t *)p = (int16_t)(int32_t)(v != v ? 0 : fmax(fmin(v, 2147483647.0), -2147483648.0)); break;
  case LT_INT8: *(int8_t *)p = (int8_t)(int32_t)(v != v ? 0 : fmax(fmin(v, 2147483647.0), -2147483648.0)); break;
  case LT_UINT8: *(uint8_t *)p = (uint8_t)(int32_t)(v != v ? 0 : fmax(fmin(v, 2147483647.0), -2147483648.0)); break;
  case LT_BOOL: *(uint8_t *)p = v != 0; break;
  case LT_FLOAT16: *(uint16_t *)p = lt_float_to_half((float)v); break;
  case LT_BFLOAT16: *(uint16_t *)p = lt_float_to_bf16((float)v); break;
  }
}
// an element as int64: integer dtypes exactly (bool as 0/1), floating ones converted
__device__ static inline int64_t load_int(int dt, const char *p) {
  switch (dt) {
  case LT_INT64: return *(const int64_t *)p;
  case LT_INT32: return *(const int32_t *)p;
  case LT_INT16: return *(const int16_t *)p;
  case LT_INT8: return *(const int8_t *)p;
  case LT_UINT8: return *(const uint8_t *)p;
  case LT_BOOL: return *(const uint8_t *)p != 0;
  }
  return (int64_t)load(dt, p);
}
__device__ static inline int esize(int dt) {
  switch (dt) {
  case LT_FLOAT64: case LT_INT64: return 8;
  case LT_FLOAT32: case LT_INT32: return 4;
  case LT_INT16: case LT_FLOAT16: case LT_BFLOAT16: return 2;
  default: return 1;
  }
}
template <typename I>
__device__ static inline char *at(const view_arg &v, I linear) {
  return v.data + elem_offset<I>(v, linear) * esize(v.dtype);
}


// ---- launch helpers and error checks ----
static inline int check(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return 0;
  seterr("cuda: %s failed: %s", what, cudaGetErrorString(e));
  return -1;
}
static inline unsigned blocks(int64_t n) { return (unsigned)((n + THREADS - 1) / THREADS); }
// element counts whose linear indices (and the block arithmetic) fit 32 bits
static inline bool small_index(int64_t n) { return n < ((int64_t)1 << 31) - THREADS; }
static inline int set_device(int dev) { return check(cudaSetDevice(dev), "cudaSetDevice"); }
static inline int launched(void) { return check(cudaGetLastError(), "kernel launch"); }


// the stream kernels of a device run on (launch with <<<grid, block, shmem, lt_cu_stream(dev)>>>)
cudaStream_t lt_cu_stream(int dev);
// scratch device memory from the caching allocator (NULL with the error set); free with the
// same size. For temporaries inside one backend call; results are allocated by the engine.
void *lt_cu_alloc(size_t nbytes, int dev);
void lt_cu_free(void *p, size_t nbytes, int dev);
void lt_cu_cache_empty(int dev);   // the device's cached blocks back to the driver (waits for it)
cublasHandle_t lt_cu_blas(int dev);  // the device's cuBLAS handle (NULL with the error set)

#define MAX_DEVICES 64
static inline int valid_dev(int dev) { return dev >= 0 && dev < MAX_DEVICES; }

// Each family file fills its entries of the backend table; backend.cu calls them all at init.
void lt_cuda_register_alloc(lt_backend *b);   // alloc.cu: allocator, statistics, device queries
void lt_cuda_register_blas(lt_backend *b);    // blas.cu: products, dot, tril/triu, TF32
void lt_cuda_register_reduce(lt_backend *b);   // reduce.cu
void lt_cuda_register_index(lt_backend *b);    // index.cu
void lt_cuda_register_random(lt_backend *b);   // random.cu
void lt_cuda_register_spatial(lt_backend *b);  // spatial.cu
void lt_cuda_register_act(lt_backend *b);      // act.cu
void lt_cuda_register_solver(lt_backend *b);   // solver.cu
