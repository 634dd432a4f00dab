// random.cu: the CUDA kernels for random numbers from the same Philox stream as the CPU
// (philox.h: the element rule lt_rng_real_block / lt_rng_int_lane is shared, so a seed
// gives the same numbers on both), multinomial, histc and where.
// Entries of the backend table (internal.h, the "random" section) are filled in by
// lt_cuda_register_random, which backend.cu calls when the library is loaded.
// cub first: common.cuh defines short macros (THREADS, MAXDIM)
#include <cub/device/device_segmented_radix_sort.cuh>
#include <vector>
#include "common.cuh"
extern "C" {
#include "philox.h"
}

// ---- stores exactly as the CPU's lt_store (core.c) / random.c's CONV_*: saturating ----
#define SAT(T, lo, hi, v) ((v) != (v) ? (T)0 : (v) <= (double)(lo) ? (T)(lo) : (v) >= (double)(hi) ? (T)(hi) : (T)(v))
__device__ static inline void store_sat(int dt, char *p, double v) {
  switch (dt) {
  case LT_FLOAT32: *(float *)p = (float)v; break;
  case LT_FLOAT64: *(double *)p = v; break;
  case LT_INT64: *(int64_t *)p = SAT(int64_t, INT64_MIN, INT64_MAX, v); break;
  case LT_INT32: *(int32_t *)p = SAT(int32_t, INT32_MIN, INT32_MAX, v); break;
  case LT_INT16: *(int16_t *)p = SAT(int16_t, INT16_MIN, INT16_MAX, v); break;
  case LT_INT8: *(int8_t *)p = SAT(int8_t, INT8_MIN, INT8_MAX, v); break;
  case LT_UINT8: *(uint8_t *)p = SAT(uint8_t, 0, UINT8_MAX, v); break;
  case LT_BOOL: *(uint8_t *)p = v != 0; break;
  case LT_FLOAT16: *(uint16_t *)p = lt_float_to_half((float)v); break;
  case LT_BFLOAT16: *(uint16_t *)p = lt_float_to_bf16((float)v); break;
  }
}
// random.c's integer fills: a C cast of the integer to the element type (in range)
__device__ static inline void store_int(int dt, char *p, int64_t x) {
  switch (dt) {
  case LT_FLOAT32: *(float *)p = (float)x; break;
  case LT_FLOAT64: *(double *)p = (double)x; break;
  case LT_INT64: *(int64_t *)p = x; break;
  case LT_INT32: *(int32_t *)p = (int32_t)x; break;
  case LT_INT16: *(int16_t *)p = (int16_t)x; break;
  case LT_INT8: *(int8_t *)p = (int8_t)x; break;
  case LT_UINT8: case LT_BOOL: *(uint8_t *)p = (uint8_t)x; break;
  case LT_FLOAT16: *(uint16_t *)p = lt_float_to_half((float)x); break;
  case LT_BFLOAT16: *(uint16_t *)p = lt_float_to_bf16((float)x); break;
  }
}

// grid of a grid-stride loop over n items
static inline unsigned grid_for(int64_t n, unsigned cap = 4096) {
  int64_t b = (n + THREADS - 1) / THREADS;
  return (unsigned)(b < 1 ? 1 : b > cap ? cap : b);
}

// ---- random fills: one thread per Philox block (4 narrow or 2 wide elements) ----
template <typename I>
__global__ void k_rng_fill(view_arg t, lt_rng_spec s, I n, bool contig) {
  I per = s.wide ? 2 : 4;
  I nblk = (n + per - 1) / per;
  I blk = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (blk >= nblk) return;
  I e0 = blk * per;
  int m = (int)(n - e0 < per ? n - e0 : per);
  int es = esize(t.dtype);
  if (s.kind == LT_RK_INT) {
    lt_u32x4 r = lt_philox_block(s.seed, s.base + (uint64_t)blk);
    for (int k = 0; k < m; k++) {
      char *p = contig ? t.data + (int64_t)(e0 + k) * es : at<I>(t, e0 + k);
      store_int(t.dtype, p, lt_rng_int_lane(&s, &r, k));
    }
    return;
  }
  double v[4];
  lt_rng_real_block(&s, (uint64_t)blk, v);
  if (s.kind == LT_RK_BERNOULLI_T)
    for (int k = 0; k < m; k++) v[k] = lt_rng_bernoulli(v[k], s.p[e0 + k]);
  if (contig && t.dtype == LT_FLOAT32 && m == 4) {   // one 16-byte store when aligned
    float *p = (float *)t.data + e0;
    if (((uintptr_t)p & 15) == 0) {
      *(float4 *)p = make_float4((float)v[0], (float)v[1], (float)v[2], (float)v[3]);
      return;
    }
  }
  for (int k = 0; k < m; k++) {
    char *p = contig ? t.data + (int64_t)(e0 + k) * es : at<I>(t, e0 + k);
    store_sat(t.dtype, p, v[k]);
  }
}

// the first index (atomicMin) of a probability outside [0, 1] (or NaN)
__global__ void k_prob_check(const double *p, int64_t n, unsigned long long *first) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    if (!(p[i] >= 0 && p[i] <= 1)) atomicMin(first, (unsigned long long)i);
}

// scratch memory released on every path
struct scratch {
  void *p = NULL;
  size_t n = 0;
  int dev = 0;
  void *get(size_t nbytes, int d) {
    p = lt_cu_alloc(nbytes ? nbytes : 1, d);
    n = nbytes ? nbytes : 1;
    dev = d;
    return p;
  }
  ~scratch() { if (p) lt_cu_free(p, n, dev); }
};

static int c_random_fill(const char *op, lt_tensor *t, const void *spec_) {
  lt_rng_spec s = *(const lt_rng_spec *)spec_;
  int64_t n = h_numel(t);
  if (n == 0) return 0;
  int dev = t->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (s.kind == LT_RK_BERNOULLI_T) {
    scratch sc;
    unsigned long long *first = (unsigned long long *)sc.get(sizeof(unsigned long long), dev);
    if (!first) return -1;
    if (check(cudaMemsetAsync(first, 0xff, sizeof *first, st), "cudaMemsetAsync") < 0) return -1;
    k_prob_check<<<grid_for(n), THREADS, 0, st>>>(s.p, n, first);
    if (launched() < 0) return -1;
    unsigned long long f = 0;
    if (check(cudaMemcpyAsync(&f, first, sizeof f, cudaMemcpyDeviceToHost, st), "cudaMemcpy") < 0 ||
        check(cudaStreamSynchronize(st), "cudaStreamSynchronize") < 0)
      return -1;
    if (f != ~0ull) {
      double bad = 0;
      if (check(cudaMemcpy(&bad, s.p + f, sizeof bad, cudaMemcpyDeviceToHost), "cudaMemcpy") < 0) return -1;
      seterr("%s: probabilities must be in [0, 1], got %g", op, bad);
      return -1;
    }
  }
  int64_t per = s.wide ? 2 : 4;
  int64_t nblk = (n + per - 1) / per;
  if (nblk > (int64_t)0x7fffffff * THREADS) { seterr("%s: too many elements for one launch", op); return -1; }
  bool contig = h_contig(t);
  if (small_index(n))
    k_rng_fill<uint32_t><<<blocks(nblk), THREADS, 0, st>>>(make_view(t), s, (uint32_t)n, contig);
  else
    k_rng_fill<int64_t><<<blocks(nblk), THREADS, 0, st>>>(make_view(t), s, n, contig);
  return launched();
}

// ---- multinomial ----
// One thread per row: random.c's checks, and with replacement its cumulative weights
// (summed in the same order, so the same doubles). bad[r]: 0 fine, 1 a weight negative or
// not finite (badv[r] the first), 2 the sum is not positive, 3 fewer nonzero weights than
// draws without replacement (badv[r] their count). first_bad: the first failing row (atomicMin).
__global__ void k_mn_rows(const double *w, int64_t rows, int64_t K, int64_t n, bool replacement, double *cdf,
                          int64_t *last, double *badv, int *bad, unsigned long long *first_bad) {
  int64_t r = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const double *wr = w + r * K;
  double acc = 0;
  int64_t nz = 0, lst = 0;
  int b = 0;
  for (int64_t k = 0; k < K; k++) {
    double v = wr[k];
    if (!(v >= 0) || !isfinite(v)) { b = 1; badv[r] = v; break; }
    acc += v;
    if (replacement) cdf[r * K + k] = acc;
    if (v > 0) { nz++; lst = k; }
  }
  if (!b && !(acc > 0)) b = 2;
  if (!b && !replacement && n > nz) { b = 3; badv[r] = (double)nz; }
  bad[r] = b;
  last[r] = lst;
  if (b) atomicMin(first_bad, (unsigned long long)r);
}

// with replacement: draw i = r*n + s, the first category whose cumulative weight exceeds u*sum
__global__ void k_mn_sample(const double *cdf, const int64_t *last, int64_t K, int64_t n, int64_t total,
                            uint64_t seed, uint64_t base, int64_t *out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t r = i / n;
    const double *c = cdf + r * K;
    double x = lt_u64_to_unit_d(lt_philox_draw64(seed, base, (uint64_t)i)) * c[K - 1];
    int64_t lo = 0, hi = K;
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (c[mid] > x) hi = mid; else lo = mid + 1;
    }
    out[i] = lo < K ? lo : last[r];
  }
}

// without replacement: exponential race keys E_k / w_k (draw r*K + k), sorted per row
__global__ void k_mn_keys(const double *w, int64_t K, int64_t total, uint64_t seed, uint64_t base, double *key,
                          int *idx) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
    double wk = w[i];
    double u = lt_u64_to_unit_open_d(lt_philox_draw64(seed, base, (uint64_t)i));
    // + 0.0: -log(1) is -0.0, which the radix sort would put before +0.0
    key[i] = wk > 0 ? -log(u) / wk + 0.0 : (double)INFINITY;
    idx[i] = (int)(i % K);
  }
}
__global__ void k_mn_offsets(int *off, int64_t rows, int64_t K) {
  for (int64_t r = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; r <= rows; r += (int64_t)gridDim.x * blockDim.x)
    off[r] = (int)(r * K);
}
__global__ void k_mn_take(const int *sorted, int64_t K, int64_t n, int64_t total, int64_t *out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = sorted[(i / n) * K + i % n];
}

static int c_multinomial(lt_tensor *out, const lt_tensor *w, int64_t rows, int64_t K, int64_t n, bool replacement,
                         uint64_t seed, uint64_t base) {
  int dev = w->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  const double *wd = (const double *)h_data(w);
  int64_t *od = (int64_t *)h_data(out);
  int64_t total_w = rows * K;
  // checks (and cumulative weights) per row
  scratch s_cdf, s_rows;
  double *cdf = NULL;
  if (replacement && !(cdf = (double *)s_cdf.get(sizeof(double) * (size_t)total_w, dev))) return -1;
  size_t row_bytes = (sizeof(int64_t) + sizeof(double) + sizeof(int)) * (size_t)rows + sizeof(unsigned long long);
  char *rb = (char *)s_rows.get(row_bytes, dev);
  if (!rb) return -1;
  unsigned long long *first_bad = (unsigned long long *)rb;
  int64_t *last = (int64_t *)(rb + sizeof(unsigned long long));
  double *badv = (double *)(last + rows);
  int *bad = (int *)(badv + rows);
  if (check(cudaMemsetAsync(first_bad, 0xff, sizeof *first_bad, st), "cudaMemsetAsync") < 0) return -1;
  k_mn_rows<<<blocks(rows), THREADS, 0, st>>>(wd, rows, K, n, replacement, cdf, last, badv, bad, first_bad);
  if (launched() < 0) return -1;
  unsigned long long fb = 0;
  if (check(cudaMemcpyAsync(&fb, first_bad, sizeof fb, cudaMemcpyDeviceToHost, st), "cudaMemcpy") < 0 ||
      check(cudaStreamSynchronize(st), "cudaStreamSynchronize") < 0)
    return -1;
  if (fb != ~0ull) {
    int b = 0;
    double v = 0;
    if (check(cudaMemcpy(&b, bad + fb, sizeof b, cudaMemcpyDeviceToHost), "cudaMemcpy") < 0 ||
        check(cudaMemcpy(&v, badv + fb, sizeof v, cudaMemcpyDeviceToHost), "cudaMemcpy") < 0)
      return -1;
    long long row = (long long)fb + 1;
    if (b == 1) seterr("multinomial: weights must be finite and non-negative, got %g (row %lld)", v, row);
    else if (b == 2) seterr("multinomial: the weights of row %lld sum to zero", row);
    else
      seterr("multinomial: cannot draw %lld samples without replacement from %lld categories with nonzero weight (row %lld)",
             (long long)n, (long long)v, row);
    return -1;
  }
  int64_t total = rows * n;
  if (total == 0) return 0;
  if (replacement) {
    k_mn_sample<<<grid_for(total, 65535), THREADS, 0, st>>>(cdf, last, K, n, total, seed, base, od);
    return launched();
  }
  if (total_w >= ((int64_t)1 << 31) - 1) {
    seterr("multinomial: %lld weights are too many to draw without replacement on the GPU", (long long)total_w);
    return -1;
  }
  scratch s_keys, s_idx, s_off, s_tmp;
  double *keys = (double *)s_keys.get(sizeof(double) * 2 * (size_t)total_w, dev);
  int *idx = keys ? (int *)s_idx.get(sizeof(int) * 2 * (size_t)total_w, dev) : NULL;
  int *off = idx ? (int *)s_off.get(sizeof(int) * (size_t)(rows + 1), dev) : NULL;
  if (!off) return -1;
  double *keys_out = keys + total_w;
  int *idx_out = idx + total_w;
  k_mn_keys<<<grid_for(total_w, 65535), THREADS, 0, st>>>(wd, K, total_w, seed, base, keys, idx);
  if (launched() < 0) return -1;
  k_mn_offsets<<<grid_for(rows + 1), THREADS, 0, st>>>(off, rows, K);
  if (launched() < 0) return -1;
  // radix sort: stable, so equal keys keep the order of their category (random.c's tie rule)
  size_t tmp_bytes = 0;
  if (check(cub::DeviceSegmentedRadixSort::SortPairs(NULL, tmp_bytes, keys, keys_out, idx, idx_out, (int)total_w,
                                                     (int)rows, off, off + 1, 0, 64, st),
            "multinomial: radix sort") < 0)
    return -1;
  void *tmp = s_tmp.get(tmp_bytes, dev);
  if (!tmp) return -1;
  if (check(cub::DeviceSegmentedRadixSort::SortPairs(tmp, tmp_bytes, keys, keys_out, idx, idx_out, (int)total_w,
                                                     (int)rows, off, off + 1, 0, 64, st),
            "multinomial: radix sort") < 0)
    return -1;
  k_mn_take<<<grid_for(total, 65535), THREADS, 0, st>>>(idx_out, K, n, total, od);
  return launched();
}

// ---- histc ----
// smallest and largest non-NaN values: per-block partials, finished on the host
__global__ void k_minmax(view_arg a, int64_t n, double *part) {
  __shared__ double smin[THREADS], smax[THREADS];
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    double v = load(a.dtype, at<int64_t>(a, i));
    if (v == v) { lo = fmin(lo, v); hi = fmax(hi, v); }
  }
  smin[threadIdx.x] = lo;
  smax[threadIdx.x] = hi;
  __syncthreads();
  for (int s = THREADS / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) {
      smin[threadIdx.x] = fmin(smin[threadIdx.x], smin[threadIdx.x + s]);
      smax[threadIdx.x] = fmax(smax[threadIdx.x], smax[threadIdx.x + s]);
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    part[2 * blockIdx.x] = smin[0];
    part[2 * blockIdx.x + 1] = smax[0];
  }
}

static int c_histc_range(const lt_tensor *a, double *lo, double *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  int64_t n = h_numel(a);
  if (n == 0) return 0;
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  unsigned g = grid_for(n, 1024);
  scratch sp;
  double *part = (double *)sp.get(sizeof(double) * 2 * g, dev);
  if (!part) return -1;
  k_minmax<<<g, THREADS, 0, st>>>(make_view(a), n, part);
  if (launched() < 0) return -1;
  std::vector<double> h(2 * (size_t)g);
  if (check(cudaMemcpyAsync(h.data(), part, sizeof(double) * 2 * g, cudaMemcpyDeviceToHost, st), "cudaMemcpy") < 0 ||
      check(cudaStreamSynchronize(st), "cudaStreamSynchronize") < 0)
    return -1;
  for (unsigned b = 0; b < g; b++) {
    if (h[2 * b] < *lo) *lo = h[2 * b];
    if (h[2 * b + 1] > *hi) *hi = h[2 * b + 1];
  }
  return 0;
}

#define HIST_SHARED_BINS 8192
// histc.c's rule: values in [lo, hi] (NaN never), bin (v - lo) * scale, hi in the last bin.
// shared: a per-block histogram in shared memory (bins <= HIST_SHARED_BINS), flushed once.
__global__ void k_histc(view_arg a, int64_t n, double lo, double hi, double scale, int64_t bins,
                        unsigned long long *count, bool shared) {
  extern __shared__ unsigned int sh[];
  if (shared) {
    for (int64_t b = threadIdx.x; b < bins; b += blockDim.x) sh[b] = 0;
    __syncthreads();
  }
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    double v = load(a.dtype, at<int64_t>(a, i));
    if (!(v >= lo && v <= hi)) continue;
    int64_t b = (int64_t)((v - lo) * scale);
    if (b >= bins) b = bins - 1;
    if (shared) atomicAdd(&sh[b], 1u);
    else atomicAdd(&count[b], 1ull);
  }
  if (shared) {
    __syncthreads();
    for (int64_t b = threadIdx.x; b < bins; b += blockDim.x)
      if (sh[b]) atomicAdd(&count[b], (unsigned long long)sh[b]);
  }
}

static int c_histc(lt_tensor *count, const lt_tensor *a, double lo, double hi) {
  int64_t bins = h_numel(count), n = h_numel(a);
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (check(cudaMemsetAsync(h_data(count), 0, sizeof(int64_t) * (size_t)bins, st), "cudaMemsetAsync") < 0) return -1;
  if (n == 0) return 0;
  double scale = (double)bins / (hi - lo);
  bool shared = bins <= HIST_SHARED_BINS;
  size_t shmem = shared ? sizeof(unsigned int) * (size_t)bins : 0;
  // shared counters are 32-bit: at most 2^31 elements per block (grid-stride, 4096 blocks)
  k_histc<<<grid_for(n, 4096), THREADS, shmem, st>>>(make_view(a), n, lo, hi, scale, bins,
                                                     (unsigned long long *)h_data(count), shared);
  return launched();
}

// ---- where ----
template <typename I>
__global__ void k_where(view_arg o, view_arg c, view_arg a, view_arg b, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  bool cv = *(const uint8_t *)at<I>(c, i) != 0;
  double v = cv ? load(a.dtype, at<I>(a, i)) : load(b.dtype, at<I>(b, i));
  store_sat(o.dtype, at<I>(o, i), v);
}
__global__ void k_where_f32(float *o, const uint8_t *c, const float *a, const float *b, int64_t n) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i < n) o[i] = c[i] ? a[i] : b[i];
}

static int c_where(lt_tensor *out, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  int dev = out->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (out->dtype == LT_FLOAT32 && a->dtype == LT_FLOAT32 && b->dtype == LT_FLOAT32 && h_contig(out) &&
      h_contig(cond) && h_contig(a) && h_contig(b))
    k_where_f32<<<blocks(n), THREADS, 0, st>>>((float *)h_data(out), (const uint8_t *)h_data(cond),
                                                (const float *)h_data(a), (const float *)h_data(b), n);
  else if (small_index(n))
    k_where<uint32_t><<<blocks(n), THREADS, 0, st>>>(make_view(out), make_view(cond), make_view(a), make_view(b),
                                                      (uint32_t)n);
  else
    k_where<int64_t><<<blocks(n), THREADS, 0, st>>>(make_view(out), make_view(cond), make_view(a), make_view(b), n);
  return launched();
}

void lt_cuda_register_random(lt_backend *b) {
  b->random_fill = c_random_fill;
  b->multinomial = c_multinomial;
  b->histc_range = c_histc_range;
  b->histc = c_histc;
  b->where = c_where;
}
