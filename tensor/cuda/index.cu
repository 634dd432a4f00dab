// index.cu: the CUDA kernels for indexing (index_select/copy/add/fill, gather/scatter, masked ops, nonzero), cat, repeat, flip, roll, sort and topk, and the non-gemm linear algebra.
// Entries of the backend table (internal.h, the "index" section) are filled in by
// lt_cuda_register_index, which backend.cu calls when the library is loaded.
//
// cat, repeat, flip and roll need no kernel of their own: the engine (shape.c) runs them as
// strided copies through the backend's copy entry.
//
// Index checks: index_bounds runs before any write, so an op with a bad index leaves its
// tensors untouched (as on the CPU); the kernels still skip out-of-range indices.
// Masks: a flag per element in row-major order, an exclusive prefix sum (CUB) gives each
// selected element its rank, then one kernel moves the elements.
// Sort: each element becomes the unsigned key sort.c uses (same bit tricks, NaN above +inf,
// -0 on +0, descending inverts the key); (key, position) pairs are ordered as a total
// order, which is the CPU's stable order. Rows up to SMALL_SORT elements: a bitonic sort in
// shared memory, one block per row; longer rows: CUB's segmented radix sort (stable).
#include "common.cuh"
#include <cub/cub.cuh>
#include <limits.h>

// ---- the linear element i of a view and the subscripts of several views at once ----

// gather/scatter operands as one kernel argument: the iteration shape (the index's) and
// each operand's element strides along it; t's stride along dim is applied to the index
struct gs_arg {
  int ndim, dim, dtype;
  int64_t tsize;  // t's size along dim (the valid index range)
  int64_t size[MAXDIM];
  int64_t ts[MAXDIM], is[MAXDIM], os[MAXDIM];
  char *t;
  const char *o;
  const int64_t *ix;
};

// byte-sized element moves
template <int N> struct word;
template <> struct word<1> { typedef uint8_t T; };
template <> struct word<2> { typedef uint16_t T; };
template <> struct word<4> { typedef uint32_t T; };
template <> struct word<8> { typedef uint64_t T; };

// ---- atomic adds for every dtype the engine adds in (halves go through float32) ----
__device__ static inline void atomic_add(float *p, float v) { atomicAdd(p, v); }
__device__ static inline void atomic_add(double *p, double v) { atomicAdd(p, v); }
__device__ static inline void atomic_add(int64_t *p, int64_t v) {
  atomicAdd((unsigned long long *)p, (unsigned long long)v);  // two's complement wraps alike
}
__device__ static inline void atomic_add(int32_t *p, int32_t v) { atomicAdd((int *)p, (int)v); }
// 1- and 2-byte integers: compare-and-swap on the aligned 32-bit word holding them (it lies
// inside the allocation: allocations are 256-byte aligned and at least 512 bytes)
template <typename T>
__device__ static inline void atomic_add_small(T *p, T v) {
  size_t addr = (size_t)p;
  unsigned int *w = (unsigned int *)(addr & ~(size_t)3);
  unsigned int shift = (unsigned int)(addr & 3) * 8;
  unsigned int mask = (sizeof(T) == 1 ? 0xffu : 0xffffu) << shift;
  unsigned int old = *w, assumed;
  do {
    assumed = old;
    T cur = (T)((assumed & mask) >> shift);
    T nv = (T)(cur + v);
    unsigned int nw = (assumed & ~mask) | (((unsigned int)nv << shift) & mask);
    old = atomicCAS(w, assumed, nw);
  } while (assumed != old);
}
__device__ static inline void atomic_add(int16_t *p, int16_t v) { atomic_add_small<int16_t>(p, v); }
__device__ static inline void atomic_add(int8_t *p, int8_t v) { atomic_add_small<int8_t>(p, v); }
__device__ static inline void atomic_add(uint8_t *p, uint8_t v) { atomic_add_small<uint8_t>(p, v); }
// bool adds as logical or
struct boolean { uint8_t b; };
__device__ static inline void atomic_add(boolean *p, boolean v) {
  if (!v.b) return;
  size_t addr = (size_t)p;
  unsigned int *w = (unsigned int *)(addr & ~(size_t)3);
  atomicOr(w, 1u << ((unsigned int)(addr & 3) * 8));
}

// ---- a fill value in the element type, converted once on the host exactly as the CPU's
// lt_store (core.c): saturating integer casts (common.cuh's store clamps to 32 bits and wraps
// the 8/16-bit types, and stops int64 at +-9.2e18). The bits, little-endian in a uint64_t,
// are what the kernels write.
#define H_SAT(T, lo, hi, v) ((v) != (v) ? (T)0 : (v) <= (double)(lo) ? (T)(lo) : (v) >= (double)(hi) ? (T)(hi) : (T)(v))
static uint64_t fill_bits(int dt, double v) {
  union { uint64_t u; double d; float f; int64_t i64; int32_t i32; int16_t i16; int8_t i8; uint8_t u8; uint16_t u16; } b;
  b.u = 0;
  switch (dt) {
  case LT_FLOAT32: b.f = (float)v; break;
  case LT_FLOAT64: b.d = v; break;
  case LT_INT64: b.i64 = H_SAT(int64_t, INT64_MIN, INT64_MAX, v); break;
  case LT_INT32: b.i32 = H_SAT(int32_t, INT32_MIN, INT32_MAX, v); break;
  case LT_INT16: b.i16 = H_SAT(int16_t, INT16_MIN, INT16_MAX, v); break;
  case LT_INT8: b.i8 = H_SAT(int8_t, INT8_MIN, INT8_MAX, v); break;
  case LT_UINT8: b.u8 = H_SAT(uint8_t, 0, UINT8_MAX, v); break;
  case LT_BOOL: b.u8 = v != 0; break;
  case LT_FLOAT16: b.u16 = lt_float_to_half((float)v); break;
  case LT_BFLOAT16: b.u16 = lt_float_to_bf16((float)v); break;
  }
  return b.u;
}
#undef H_SAT

// ---- index_bounds ----
template <typename I>
__global__ void k_check_index(view_arg ix, I n, int64_t size, unsigned long long *first) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  int64_t v = *(const int64_t *)at<I>(ix, i);
  if (v < 0 || v >= size) atomicMin(first, (unsigned long long)i);
}

static int c_index_bounds(const lt_tensor *index, int64_t size, int64_t *bad) {
  int64_t n = h_numel(index);
  if (n == 0) return 0;
  int dev = index->device.index;
  if (set_device(dev) < 0) return -1;
  unsigned long long *first = (unsigned long long *)lt_cu_alloc(sizeof(unsigned long long), dev);
  if (!first) return -1;
  int rc = -1;
  unsigned long long h = ULLONG_MAX;
  cudaStream_t st = lt_cu_stream(dev);
  if (check(cudaMemsetAsync(first, 0xff, sizeof h, st), "cudaMemsetAsync") < 0) goto done;  // ULLONG_MAX
  if (small_index(n)) k_check_index<uint32_t><<<blocks(n), THREADS, 0, st>>>(make_view(index), (uint32_t)n, size, first);
  else k_check_index<int64_t><<<blocks(n), THREADS, 0, st>>>(make_view(index), n, size, first);
  if (launched() < 0) goto done;
  if (check(cudaMemcpyAsync(&h, first, sizeof h, cudaMemcpyDeviceToHost, st), "cudaMemcpy") < 0 ||
      check(cudaStreamSynchronize(st), "cudaStreamSynchronize") < 0)
    goto done;
  rc = 0;
  if (h != ULLONG_MAX) {  // read that entry back
    int64_t lin = (int64_t)h, off = 0;
    for (int d = index->ndim - 1; d >= 0; d--) {
      off += (lin % index->size[d]) * index->stride[d];
      lin /= index->size[d];
    }
    int64_t v = 0;
    if (check(cudaMemcpyAsync(&v, (const int64_t *)h_data(index) + off, 8, cudaMemcpyDeviceToHost, st), "cudaMemcpy") < 0 ||
        check(cudaStreamSynchronize(st), "cudaStreamSynchronize") < 0)
      rc = -1;
    else { *bad = v; rc = 1; }
  }
done:
  lt_cu_free(first, sizeof(unsigned long long), dev);
  return rc;
}

// ---- gather / scatter / add / fill ----
enum { GS_GATHER, GS_SCATTER, GS_ADD, GS_FILL };

// offsets of the element i of the iteration in t (without dim), the index and o
template <typename I>
__device__ static inline void gs_offsets(const gs_arg &g, I i, int64_t &to, int64_t &io, int64_t &oo) {
  to = io = oo = 0;
  for (int d = g.ndim - 1; d >= 0; d--) {
    I sz = (I)g.size[d];
    I q = i / sz;
    int64_t c = (int64_t)(i - q * sz);
    i = q;
    if (d != g.dim) to += c * g.ts[d];
    io += c * g.is[d];
    oo += c * g.os[d];
  }
}

// moves (gather, scatter) by element size; fill writes the value's bits (fill_bits)
template <typename I, int KIND, typename E>
__global__ void k_gs_move(gs_arg g, I n, uint64_t v) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  int64_t to, io, oo;
  gs_offsets<I>(g, i, to, io, oo);
  int64_t x = g.ix[io];
  if (x < 0 || x >= g.tsize) return;
  to += x * g.ts[g.dim];
  E *tp = (E *)g.t + to;
  if (KIND == GS_GATHER) ((E *)g.o)[oo] = *tp;
  else if (KIND == GS_SCATTER) *tp = ((const E *)g.o)[oo];
  else *tp = (E)v;
}

// scatter with repeated indices: the CPU's last write (in the index's row-major order)
// wins. Pass 1 records, per destination element (t's logical linear index), the largest
// iteration index + 1 writing there; pass 2 lets only that one write.
template <typename I>
__device__ static inline int64_t gs_dest_linear(const gs_arg &g, I i, const int64_t *tl, int64_t x) {
  int64_t l = 0;
  for (int d = g.ndim - 1; d >= 0; d--) {
    I sz = (I)g.size[d];
    I q = i / sz;
    l += (d == g.dim ? x : (int64_t)(i - q * sz)) * tl[d];
    i = q;
  }
  return l;
}
struct tl_arg { int64_t tl[MAXDIM]; };
template <typename I>
__global__ void k_gs_claim(gs_arg g, I n, tl_arg t, unsigned long long *win) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  int64_t to, io, oo;
  gs_offsets<I>(g, i, to, io, oo);
  int64_t x = g.ix[io];
  if (x < 0 || x >= g.tsize) return;
  atomicMax(win + gs_dest_linear<I>(g, i, t.tl, x), (unsigned long long)i + 1);
}
template <typename I, typename E>
__global__ void k_gs_scatter_won(gs_arg g, I n, tl_arg t, const unsigned long long *win) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  int64_t to, io, oo;
  gs_offsets<I>(g, i, to, io, oo);
  int64_t x = g.ix[io];
  if (x < 0 || x >= g.tsize) return;
  if (win[gs_dest_linear<I>(g, i, t.tl, x)] != (unsigned long long)i + 1) return;
  to += x * g.ts[g.dim];
  *((E *)g.t + to) = ((const E *)g.o)[oo];
}
template <typename I>
static int scatter_last_wins(const gs_arg &g, I n, const lt_tensor *t, cudaStream_t st) {
  int dev = t->device.index;
  tl_arg tl;
  int64_t m = 1;
  for (int d = t->ndim - 1; d >= 0; d--) { tl.tl[d] = m; m *= t->size[d]; }
  size_t bytes = (size_t)m * sizeof(unsigned long long);
  unsigned long long *win = (unsigned long long *)lt_cu_alloc(bytes, dev);
  if (!win) return -1;
  int rc = check(cudaMemsetAsync(win, 0, bytes, st), "cudaMemsetAsync");
  unsigned nb = blocks((int64_t)n);
  if (rc == 0) {
    k_gs_claim<I><<<nb, THREADS, 0, st>>>(g, n, tl, win);
    switch (h_esize(t->dtype)) {
    case 1: k_gs_scatter_won<I, uint8_t><<<nb, THREADS, 0, st>>>(g, n, tl, win); break;
    case 2: k_gs_scatter_won<I, uint16_t><<<nb, THREADS, 0, st>>>(g, n, tl, win); break;
    case 4: k_gs_scatter_won<I, uint32_t><<<nb, THREADS, 0, st>>>(g, n, tl, win); break;
    default: k_gs_scatter_won<I, uint64_t><<<nb, THREADS, 0, st>>>(g, n, tl, win); break;
    }
    rc = launched();
  }
  lt_cu_free(win, bytes, dev);   // later work on the same stream is ordered after the kernels
  return rc;
}

template <typename I, typename T>
__global__ void k_gs_add(gs_arg g, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  int64_t to, io, oo;
  gs_offsets<I>(g, i, to, io, oo);
  int64_t x = g.ix[io];
  if (x < 0 || x >= g.tsize) return;
  to += x * g.ts[g.dim];
  atomic_add((T *)g.t + to, ((const T *)g.o)[oo]);
}

template <typename I>
static void launch_gs(int kind, const gs_arg &g, I n, size_t es, uint64_t v, cudaStream_t st) {
  unsigned nb = blocks((int64_t)n);
#define MOVE(K)                                                                     \
  switch (es) {                                                                     \
  case 1: k_gs_move<I, K, uint8_t><<<nb, THREADS, 0, st>>>(g, n, v); break;         \
  case 2: k_gs_move<I, K, uint16_t><<<nb, THREADS, 0, st>>>(g, n, v); break;        \
  case 4: k_gs_move<I, K, uint32_t><<<nb, THREADS, 0, st>>>(g, n, v); break;        \
  default: k_gs_move<I, K, uint64_t><<<nb, THREADS, 0, st>>>(g, n, v); break;       \
  }
  switch (kind) {
  case GS_GATHER: MOVE(GS_GATHER) break;
  case GS_SCATTER: MOVE(GS_SCATTER) break;
  case GS_FILL: MOVE(GS_FILL) break;
  default:
    switch (g.dtype) {
    case LT_FLOAT32: k_gs_add<I, float><<<nb, THREADS, 0, st>>>(g, n); break;
    case LT_FLOAT64: k_gs_add<I, double><<<nb, THREADS, 0, st>>>(g, n); break;
    case LT_INT64: k_gs_add<I, int64_t><<<nb, THREADS, 0, st>>>(g, n); break;
    case LT_INT32: k_gs_add<I, int32_t><<<nb, THREADS, 0, st>>>(g, n); break;
    case LT_INT16: k_gs_add<I, int16_t><<<nb, THREADS, 0, st>>>(g, n); break;
    case LT_INT8: k_gs_add<I, int8_t><<<nb, THREADS, 0, st>>>(g, n); break;
    case LT_UINT8: k_gs_add<I, uint8_t><<<nb, THREADS, 0, st>>>(g, n); break;
    case LT_BOOL: k_gs_add<I, boolean><<<nb, THREADS, 0, st>>>(g, n); break;
    }
  }
#undef MOVE
}

static int c_gather_scatter(int kind, lt_tensor *t, const lt_tensor *index, const lt_tensor *o, int dim, double v) {
  const char *op = kind == GS_GATHER ? "gather" : kind == GS_ADD ? "scatterAdd" : "scatter";
  int64_t n = h_numel(index);
  if (n == 0 || h_numel(t) == 0) return 0;
  if (kind == GS_ADD && (t->dtype == LT_FLOAT16 || t->dtype == LT_BFLOAT16)) {
    seterr("%s: no half-precision add on the GPU (add in float32)", op);
    return -1;
  }
  if (index->ndim > MAXDIM || index->ndim != t->ndim || (o && o->ndim != t->ndim)) {
    seterr("%s: operands of different numbers of dimensions", op);
    return -1;
  }
  int dev = t->device.index;
  if (set_device(dev) < 0) return -1;
  gs_arg g;
  g.ndim = index->ndim;
  g.dim = dim;
  g.dtype = t->dtype;
  g.tsize = t->size[dim];
  for (int d = 0; d < g.ndim; d++) {
    g.size[d] = index->size[d];
    g.ts[d] = t->stride[d];
    g.is[d] = index->stride[d];
    g.os[d] = o ? o->stride[d] : 0;
  }
  g.t = h_data(t);
  g.o = o ? h_data(o) : NULL;
  g.ix = (const int64_t *)h_data(index);
  cudaStream_t st = lt_cu_stream(dev);
  uint64_t bits = kind == GS_FILL ? fill_bits(t->dtype, v) : 0;
  if (kind == GS_SCATTER && index->size[dim] > 1)   // repeated destinations are possible
    return small_index(n) ? scatter_last_wins<uint32_t>(g, (uint32_t)n, t, st) : scatter_last_wins<int64_t>(g, n, t, st);
  if (small_index(n)) launch_gs<uint32_t>(kind, g, (uint32_t)n, h_esize(t->dtype), bits, st);
  else launch_gs<int64_t>(kind, g, n, h_esize(t->dtype), bits, st);
  return launched();
}

// ---- masks ----
template <typename I, typename E>
__global__ void k_mask_fill(view_arg t, view_arg m, I n, uint64_t v) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  if (*(const uint8_t *)at<I>(m, i)) *(E *)at<I>(t, i) = (E)v;
}

static int c_mask_fill(lt_tensor *t, const lt_tensor *mask, double v) {
  int64_t n = h_numel(t);
  if (n == 0) return 0;
  int dev = t->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  uint64_t bits = fill_bits(t->dtype, v);
  view_arg tv = make_view(t), mv = make_view(mask);
  bool s = small_index(n);
  unsigned nb = blocks(n);
#define FILL(E)                                                                             \
  if (s) k_mask_fill<uint32_t, E><<<nb, THREADS, 0, st>>>(tv, mv, (uint32_t)n, bits);       \
  else k_mask_fill<int64_t, E><<<nb, THREADS, 0, st>>>(tv, mv, n, bits);
  switch (h_esize(t->dtype)) {
  case 1: FILL(uint8_t) break;
  case 2: FILL(uint16_t) break;
  case 4: FILL(uint32_t) break;
  default: FILL(uint64_t) break;
  }
#undef FILL
  return launched();
}

// nonzero test: floats compare (NaN is nonzero), as the CPU
__device__ static inline bool nz(int dt, const char *p) {
  switch (dt) {
  case LT_FLOAT16: case LT_BFLOAT16: return (*(const uint16_t *)p & 0x7fff) != 0;
  case LT_FLOAT32: return *(const float *)p != 0;
  case LT_FLOAT64: return *(const double *)p != 0;
  case LT_INT64: return *(const int64_t *)p != 0;
  case LT_INT32: return *(const int32_t *)p != 0;
  case LT_INT16: return *(const int16_t *)p != 0;
  default: return *(const uint8_t *)p != 0;
  }
}

template <typename I>
__global__ void k_count(view_arg t, I n, unsigned long long *cnt) {
  unsigned long long c = 0;
  for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x)
    c += nz(t.dtype, at<I>(t, i));
  for (int s = 16; s > 0; s >>= 1) c += __shfl_down_sync(0xffffffffu, c, s);
  if ((threadIdx.x & 31) == 0 && c) atomicAdd(cnt, c);
}

static unsigned grid_for(int64_t n) {
  int64_t b = (n + THREADS - 1) / THREADS;
  return (unsigned)(b > 4096 ? 4096 : b);
}

static int c_count_nonzero(const lt_tensor *t, int64_t *count) {
  *count = 0;
  int64_t n = h_numel(t);
  if (n == 0) return 0;
  int dev = t->device.index;
  if (set_device(dev) < 0) return -1;
  unsigned long long *c = (unsigned long long *)lt_cu_alloc(sizeof(unsigned long long), dev);
  if (!c) return -1;
  int rc = -1;
  unsigned long long h = 0;
  cudaStream_t st = lt_cu_stream(dev);
  if (check(cudaMemsetAsync(c, 0, sizeof h, st), "cudaMemset") < 0) goto done;
  // the grid-stride loop keeps whole warps inside (blockDim is a multiple of 32)
  if (small_index(n)) k_count<uint32_t><<<grid_for(n), THREADS, 0, st>>>(make_view(t), (uint32_t)n, c);
  else k_count<int64_t><<<grid_for(n), THREADS, 0, st>>>(make_view(t), n, c);
  if (launched() < 0) goto done;
  if (check(cudaMemcpyAsync(&h, c, sizeof h, cudaMemcpyDeviceToHost, st), "cudaMemcpy") < 0 ||
      check(cudaStreamSynchronize(st), "cudaStreamSynchronize") < 0)
    goto done;
  *count = (int64_t)h;
  rc = 0;
done:
  lt_cu_free(c, sizeof(unsigned long long), dev);
  return rc;
}

template <typename I>
__global__ void k_flags(view_arg m, I n, int64_t *flags) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i < n) flags[i] = nz(m.dtype, at<I>(m, i));
}

enum { MS_COPY, MS_SELECT, MS_NONZERO };

template <typename I, typename E>
__global__ void k_mask_move(int kind, view_arg t, view_arg m, I n, const int64_t *flags, const int64_t *pos, E *o) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n || !flags[i]) return;
  if (kind == MS_COPY) *(E *)at<I>(t, i) = o[pos[i]];
  else *(o + pos[i]) = *(const E *)at<I>(t, i);
}

template <typename I>
__global__ void k_nonzero_emit(view_arg m, I n, const int64_t *flags, const int64_t *pos, int64_t *o) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n || !flags[i]) return;
  int nd = m.ndim;
  int64_t *row = o + pos[i] * nd;
  for (int d = nd - 1; d >= 0; d--) {
    I sz = (I)m.size[d];
    I q = i / sz;
    row[d] = (int64_t)(i - q * sz);
    i = q;
  }
}

static int c_mask_scan(int kind, lt_tensor *t, const lt_tensor *mask, lt_tensor *o) {
  int64_t n = h_numel(mask);
  if (n == 0) return 0;
  int dev = mask->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  size_t fb = (size_t)n * sizeof(int64_t), tb = 0;
  int64_t *flags = NULL, *pos = NULL;
  void *tmp = NULL;
  int rc = -1;
  if (check(cub::DeviceScan::ExclusiveSum(NULL, tb, (const int64_t *)NULL, (int64_t *)NULL, n, st), "cub scan") < 0)
    return -1;
  if (tb == 0) tb = 1;
  flags = (int64_t *)lt_cu_alloc(fb, dev);
  pos = flags ? (int64_t *)lt_cu_alloc(fb, dev) : NULL;
  tmp = pos ? lt_cu_alloc(tb, dev) : NULL;
  if (!tmp) goto done;
  if (small_index(n)) k_flags<uint32_t><<<blocks(n), THREADS, 0, st>>>(make_view(mask), (uint32_t)n, flags);
  else k_flags<int64_t><<<blocks(n), THREADS, 0, st>>>(make_view(mask), n, flags);
  if (launched() < 0) goto done;
  if (check(cub::DeviceScan::ExclusiveSum(tmp, tb, (const int64_t *)flags, pos, n, st), "cub scan") < 0) goto done;
  if (kind == MS_NONZERO) {
    if (mask->ndim == 0) { rc = 0; goto done; }  // (count x 0): nothing to write
    if (small_index(n)) k_nonzero_emit<uint32_t><<<blocks(n), THREADS, 0, st>>>(make_view(mask), (uint32_t)n, flags, pos, (int64_t *)h_data(o));
    else k_nonzero_emit<int64_t><<<blocks(n), THREADS, 0, st>>>(make_view(mask), n, flags, pos, (int64_t *)h_data(o));
  } else {
    view_arg tv = make_view(t), mv = make_view(mask);
    char *od = h_data(o);
    bool s = small_index(n);
    unsigned nb = blocks(n);
#define MOVE(E)                                                                                                 \
  if (s) k_mask_move<uint32_t, E><<<nb, THREADS, 0, st>>>(kind, tv, mv, (uint32_t)n, flags, pos, (E *)od);    \
  else k_mask_move<int64_t, E><<<nb, THREADS, 0, st>>>(kind, tv, mv, n, flags, pos, (E *)od);
    switch (h_esize(t->dtype)) {
    case 1: MOVE(uint8_t) break;
    case 2: MOVE(uint16_t) break;
    case 4: MOVE(uint32_t) break;
    default: MOVE(uint64_t) break;
    }
#undef MOVE
  }
  if (launched() < 0) goto done;
  rc = 0;
done:
  if (tmp) lt_cu_free(tmp, tb, dev);
  if (pos) lt_cu_free(pos, fb, dev);
  if (flags) lt_cu_free(flags, fb, dev);
  return rc;
}

// ---- sort / topk ----
#define SMALL_SORT 2048

// the keys of sort.c
__device__ static inline uint64_t key_h16(uint16_t u, uint16_t inf) {
  if ((u & 0x7fff) > inf) return 0xffff;
  if ((u & 0x7fff) == 0) return 0x8000;
  return (u & 0x8000) ? (uint16_t)~u : (uint16_t)(u | 0x8000);
}
__device__ static inline uint64_t sort_key(int dt, const char *p) {
  switch (dt) {
  case LT_FLOAT32: {
    float f = *(const float *)p;
    if (f != f) return 0xffffffffu;
    if (f == 0) return 0x80000000u;
    uint32_t u = __float_as_uint(f);
    return (u & 0x80000000u) ? (uint32_t)~u : (u | 0x80000000u);
  }
  case LT_FLOAT64: {
    double f = *(const double *)p;
    if (f != f) return ~0ull;
    if (f == 0) return 0x8000000000000000ull;
    uint64_t u = (uint64_t)__double_as_longlong(f);
    return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
  }
  case LT_INT64: return (uint64_t)*(const int64_t *)p ^ 0x8000000000000000ull;
  case LT_INT32: return (uint32_t)*(const int32_t *)p ^ 0x80000000u;
  case LT_INT16: return (uint16_t)*(const int16_t *)p ^ 0x8000u;
  case LT_INT8: return (uint8_t)*(const int8_t *)p ^ 0x80u;
  case LT_UINT8: return *(const uint8_t *)p;
  case LT_BOOL: return *(const uint8_t *)p != 0;
  case LT_FLOAT16: return key_h16(*(const uint16_t *)p, 0x7c00);
  case LT_BFLOAT16: return key_h16(*(const uint16_t *)p, 0x7f80);
  }
  return 0;
}
static int key_bytes(int dt) {
  switch (dt) {
  case LT_FLOAT64: case LT_INT64: return 8;
  case LT_FLOAT32: case LT_INT32: return 4;
  case LT_INT16: case LT_FLOAT16: case LT_BFLOAT16: return 2;
  default: return 1;
  }
}

__device__ static inline void move_elem(int es, char *d, const char *s) {
  switch (es) {
  case 1: *(uint8_t *)d = *(const uint8_t *)s; break;
  case 2: *(uint16_t *)d = *(const uint16_t *)s; break;
  case 4: *(uint32_t *)d = *(const uint32_t *)s; break;
  default: *(uint64_t *)d = *(const uint64_t *)s; break;
  }
}

// Views a (rows x n), v and ix (rows x k) have the sorted dim last (permuted by the host).
// One block per row; np is a power of two >= n, <= SMALL_SORT.
__global__ void k_sort_small(view_arg a, view_arg v, view_arg ix, int n, int np, int k, uint64_t flip) {
  extern __shared__ uint64_t smem[];
  uint64_t *keys = smem;
  int *pos = (int *)(smem + np);
  int64_t r = blockIdx.x;
  int es = esize(a.dtype);
  for (int i = threadIdx.x; i < np; i += blockDim.x) {
    if (i < n) {
      keys[i] = sort_key(a.dtype, at<int64_t>(a, r * n + i)) ^ flip;
      pos[i] = i;
    } else {
      keys[i] = ~0ull;
      pos[i] = INT_MAX;
    }
  }
  __syncthreads();
  for (int size = 2; size <= np; size <<= 1) {
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < np; i += blockDim.x) {
        int j = i ^ stride;
        if (j > i) {
          uint64_t ki = keys[i], kj = keys[j];
          int pi = pos[i], pj = pos[j];
          bool gt = ki > kj || (ki == kj && pi > pj);
          bool up = (i & size) == 0;
          if (gt == up) {
            keys[i] = kj; keys[j] = ki;
            pos[i] = pj; pos[j] = pi;
          }
        }
      }
      __syncthreads();
    }
  }
  for (int j = threadIdx.x; j < k; j += blockDim.x) {
    int p = pos[j];
    move_elem(es, at<int64_t>(v, r * k + j), at<int64_t>(a, r * n + p));
    *(int64_t *)at<int64_t>(ix, r * k + j) = p;
  }
}

// long rows: keys and positions of rows [r0, r0 + nr) into contiguous arrays
__global__ void k_sort_keys(view_arg a, int64_t r0, int64_t n, int64_t cnt, uint64_t flip, uint64_t *keys, int *pos) {
  int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (e >= cnt) return;
  keys[e] = sort_key(a.dtype, at<int64_t>(a, r0 * n + e)) ^ flip;
  pos[e] = (int)(e % n);
}
__global__ void k_seg_offsets(int *off, int nr, int n) {
  int s = blockIdx.x * blockDim.x + threadIdx.x;
  if (s <= nr) off[s] = s * n;
}
__global__ void k_sort_emit(view_arg a, view_arg v, view_arg ix, int64_t r0, int64_t n, int64_t k, int64_t cnt, const int *pos) {
  int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (e >= cnt) return;
  int64_t r = e / k, j = e - r * k;
  int p = pos[r * n + j];
  move_elem(esize(a.dtype), at<int64_t>(v, (r0 + r) * k + j), at<int64_t>(a, (r0 + r) * n + p));
  *(int64_t *)at<int64_t>(ix, (r0 + r) * k + j) = p;
}

// t's view with dim moved last
static view_arg dim_last(const lt_tensor *t, int dim) {
  view_arg v = make_view(t);
  int q = 0;
  for (int d = 0; d < t->ndim; d++)
    if (d != dim) { v.size[q] = t->size[d]; v.stride[q] = t->stride[d]; q++; }
  v.size[q] = t->size[dim];
  v.stride[q] = t->stride[dim];
  return v;
}

static int c_sort(const lt_tensor *a, int dim, int64_t k, bool desc, lt_tensor *values, lt_tensor *indices) {
  const char *op = "sort";
  int64_t n = a->size[dim], rows = n ? h_numel(a) / n : 0;
  if (rows == 0 || k == 0) return 0;
  if (n > INT_MAX / 2) { seterr("%s: rows of %lld elements are too long for the GPU sort", op, (long long)n); return -1; }
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  int nb = key_bytes(a->dtype);
  uint64_t flip = desc ? (nb == 8 ? ~0ull : (1ull << (8 * nb)) - 1) : 0;
  view_arg av = dim_last(a, dim), vv = dim_last(values, dim), iv = dim_last(indices, dim);
  if (n <= SMALL_SORT) {
    int np = 1;
    while (np < n) np <<= 1;
    size_t sh = (size_t)np * (sizeof(uint64_t) + sizeof(int));
    if (rows > INT_MAX) { seterr("%s: more than 2^31 rows", op); return -1; }  // grid.x limit
    k_sort_small<<<(unsigned)rows, THREADS, sh, st>>>(av, vv, iv, (int)n, np, (int)k, flip);
    if (launched() < 0) return -1;
    return 0;
  }
  // long rows: batches of whole rows with at most 2^27 elements (or one row); rows over 2^16
  // elements one at a time through the device-wide radix sort (the segmented one gives each
  // segment a single block)
  bool wide = n > ((int64_t)1 << 16);
  int64_t per = wide ? 1 : ((int64_t)1 << 27) / n;
  if (per < 1) per = 1;
  if (per > rows) per = rows;
  int64_t cap = per * n;
  uint64_t *kin = NULL, *kout = NULL;
  int *pin = NULL, *pout = NULL, *off = NULL;
  void *tmp = NULL;
  size_t tb = 0;
  int rc = -1;
  cudaError_t e = wide ? cub::DeviceRadixSort::SortPairs(NULL, tb, (const uint64_t *)NULL, (uint64_t *)NULL, (const int *)NULL,
                                                         (int *)NULL, (int)n, 0, 8 * nb, st)
                       : cub::DeviceSegmentedRadixSort::SortPairs(NULL, tb, (const uint64_t *)NULL, (uint64_t *)NULL,
                                                                  (const int *)NULL, (int *)NULL, (int)cap, (int)per,
                                                                  (const int *)NULL, (const int *)NULL, 0, 8 * nb, st);
  if (check(e, "cub radix sort") < 0) return -1;
  if (tb == 0) tb = 1;
  kin = (uint64_t *)lt_cu_alloc(cap * 8, dev);
  kout = kin ? (uint64_t *)lt_cu_alloc(cap * 8, dev) : NULL;
  pin = kout ? (int *)lt_cu_alloc(cap * 4, dev) : NULL;
  pout = pin ? (int *)lt_cu_alloc(cap * 4, dev) : NULL;
  off = pout ? (int *)lt_cu_alloc((per + 1) * 4, dev) : NULL;
  tmp = off ? lt_cu_alloc(tb, dev) : NULL;
  if (!tmp) goto done;
  for (int64_t r0 = 0; r0 < rows; r0 += per) {
    int64_t nr = rows - r0 < per ? rows - r0 : per, cnt = nr * n;
    k_sort_keys<<<blocks(cnt), THREADS, 0, st>>>(av, r0, n, cnt, flip, kin, pin);
    if (!wide) k_seg_offsets<<<blocks(nr + 1), THREADS, 0, st>>>(off, (int)nr, (int)n);
    if (launched() < 0) goto done;
    e = wide ? cub::DeviceRadixSort::SortPairs(tmp, tb, (const uint64_t *)kin, kout, (const int *)pin, pout, (int)cnt, 0,
                                               8 * nb, st)
             : cub::DeviceSegmentedRadixSort::SortPairs(tmp, tb, (const uint64_t *)kin, kout, (const int *)pin, pout,
                                                        (int)cnt, (int)nr, (const int *)off, (const int *)off + 1, 0,
                                                        8 * nb, st);
    if (check(e, "cub radix sort") < 0) goto done;
    int64_t ne = nr * k;
    k_sort_emit<<<blocks(ne), THREADS, 0, st>>>(av, vv, iv, r0, n, k, ne, pout);
    if (launched() < 0) goto done;
  }
  rc = 0;
done:
  if (tmp) lt_cu_free(tmp, tb, dev);
  if (off) lt_cu_free(off, (per + 1) * 4, dev);
  if (pout) lt_cu_free(pout, cap * 4, dev);
  if (pin) lt_cu_free(pin, cap * 4, dev);
  if (kout) lt_cu_free(kout, cap * 8, dev);
  if (kin) lt_cu_free(kin, cap * 8, dev);
  return rc;
}

void lt_cuda_register_index(lt_backend *b) {
  b->index_bounds = c_index_bounds;
  b->gather_scatter = c_gather_scatter;
  b->mask_fill = c_mask_fill;
  b->count_nonzero = c_count_nonzero;
  b->mask_scan = c_mask_scan;
  b->sort = c_sort;
}
