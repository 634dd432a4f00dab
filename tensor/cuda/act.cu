// act.cu: the CUDA kernels for activations, softmax and log-softmax, losses, fused LSTM and GRU cells.
// Entries of the backend table (internal.h, the "act" section) are filled in by
// lt_cuda_register_act, which backend.cu calls when the library is loaded.
//
// The element math is scalar_math.h's (lt_act_eval, lt_el_loss, the cells' lt_lstm_*/lt_gru_*),
// the same functions the CPU kernels of nn_act.c / nn_rnn.c run. Sums are accumulated in double,
// as on the CPU; whole-tensor sums of the losses are a two-stage block reduction of this file
// (partials per block, then one block), so the results stay on the device (no host sync).
#include "common.cuh"
#include <float.h>
#include <math.h>

// ---- reductions ----
template <typename T>
__device__ static inline T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
// max that ignores NaN (as the CPU's "x > mx ? x : mx" does)
template <typename T>
__device__ static inline T max_nonan(T a, T b) { return b > a ? b : a; }
template <typename T>
__device__ static inline T warp_max(T v) {
  for (int o = 16; o > 0; o >>= 1) v = max_nonan(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
// Block-wide sum / max over blockDim.x (a multiple of 32, at most 1024) threads; every
// thread of the block must call it (it synchronizes); every thread gets the result.
template <typename T>
__device__ static T block_sum(T v) {
  __shared__ T sh[32];
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = warp_sum(v);
  if (lane == 0) sh[w] = v;
  __syncthreads();
  if (w == 0) {
    T s = lane < nw ? sh[lane] : T(0);
    s = warp_sum(s);
    if (lane == 0) sh[0] = s;
  }
  __syncthreads();
  T r = sh[0];
  __syncthreads();  // sh reused by the next call
  return r;
}
template <typename T>
__device__ static T block_max(T v) {
  __shared__ T sh[32];
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = warp_max(v);
  if (lane == 0) sh[w] = v;
  __syncthreads();
  if (w == 0) {
    T s = lane < nw ? sh[lane] : T(-INFINITY);
    s = warp_max(s);
    if (lane == 0) sh[0] = s;
  }
  __syncthreads();
  T r = sh[0];
  __syncthreads();
  return r;
}

// two sums at once (a loss and a weight total)
struct pair2 {
  double a, b;
};
#define RED_BLOCKS 1024
// stage 1: partial sums of f(i) over a grid-stride range, one pair per block
template <typename F>
__global__ void k_sum_partial(F f, int64_t n, pair2 *part) {
  double a = 0, b = 0;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    pair2 v = f(i);
    a += v.a;
    b += v.b;
  }
  a = block_sum(a);
  b = block_sum(b);
  if (threadIdx.x == 0) part[blockIdx.x] = {a, b};
}
// how stage 2 turns the sums (a, b) into the result
enum { FIN_SUM = 0, FIN_WMEAN = 1, FIN_MEAN = 2, FIN_TOTAL = 3 };
// stage 2 (one block): the result into out (a 0-dim tensor's element, dtype odt) or dst
__global__ void k_sum_final(const pair2 *part, int np, int mode, int64_t n, char *out, int odt, double *dst) {
  double a = 0, b = 0;
  for (int i = threadIdx.x; i < np; i += blockDim.x) { a += part[i].a; b += part[i].b; }
  a = block_sum(a);
  b = block_sum(b);
  if (threadIdx.x == 0) {
    double r;
    switch (mode) {
    case FIN_WMEAN: r = b != 0 ? a / b : 0; break;          // nll: by the weight total
    case FIN_MEAN: r = n ? a / (double)n : NAN; break;       // by the element count
    case FIN_TOTAL: r = b; break;                            // the weight total itself
    default: r = a;
    }
    if (out) store(odt, out, r);
    if (dst) *dst = r;
  }
}
// runs both stages; out: a 0-dim tensor (or NULL), dst: one device double (or NULL)
template <typename F>
static int sum_run(F f, int64_t n, int mode, lt_tensor *out, double *dst, int dev) {
  int np = (int)(n <= 0 ? 1 : n / THREADS + 1 < RED_BLOCKS ? n / THREADS + 1 : RED_BLOCKS);
  pair2 *part = (pair2 *)lt_cu_alloc(sizeof(pair2) * np, dev);
  if (!part) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  k_sum_partial<F><<<np, THREADS, 0, st>>>(f, n, part);
  int rc = launched();
  if (rc == 0) {
    k_sum_final<<<1, THREADS, 0, st>>>(part, np, mode, n, out ? h_data(out) : NULL, out ? out->dtype : 0, dst);
    rc = launched();
  }
  lt_cu_free(part, sizeof(pair2) * np, dev);
  return rc;
}

static inline unsigned grid_for(int64_t n) {  // grid-stride launches: at most 2^20 blocks
  int64_t b = (n + THREADS - 1) / THREADS;
  if (b < 1) b = 1;
  return (unsigned)(b < (1 << 20) ? b : (1 << 20));
}

// ======================================================================================
// activations
// ======================================================================================

template <typename T>
__global__ void k_act_contig(int op, int k, T *o, const T *g, const T *x, double p0, double p1, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    double v = lt_act_eval(op, k, (double)x[i], p0, p1);
    o[i] = g ? (T)((double)g[i] * v) : (T)v;
  }
}
template <typename I>
__global__ void k_act_strided(int op, int k, view_arg o, view_arg g, bool has_g, view_arg x, double p0, double p1,
                              I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  double v = lt_act_eval(op, k, load(x.dtype, at<I>(x, i)), p0, p1);
  if (has_g) v = load(g.dtype, at<I>(g, i)) * v;
  store(o.dtype, at<I>(o, i), v);
}

static int c_act(int op, int k, lt_tensor *out, const lt_tensor *g, const lt_tensor *x, double p0, double p1) {
  int64_t n = h_numel(out);
  if (n == 0) return 0;
  int dev = out->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  bool contig = h_contig(out) && h_contig(x) && (!g || h_contig(g));
  bool same = out->dtype == x->dtype && (!g || g->dtype == x->dtype);
  if (contig && same && x->dtype == LT_FLOAT32)
    k_act_contig<float><<<grid_for(n), THREADS, 0, st>>>(op, k, (float *)h_data(out),
                                                        g ? (const float *)h_data(g) : NULL,
                                                        (const float *)h_data(x), p0, p1, n);
  else if (contig && same && x->dtype == LT_FLOAT64)
    k_act_contig<double><<<grid_for(n), THREADS, 0, st>>>(op, k, (double *)h_data(out),
                                                         g ? (const double *)h_data(g) : NULL,
                                                         (const double *)h_data(x), p0, p1, n);
  else {
    view_arg vo = make_view(out), vx = make_view(x), vg = g ? make_view(g) : vx;
    if (small_index(n))
      k_act_strided<uint32_t><<<blocks(n), THREADS, 0, st>>>(op, k, vo, vg, g != NULL, vx, p0, p1, (uint32_t)n);
    else
      k_act_strided<int64_t><<<blocks(n), THREADS, 0, st>>>(op, k, vo, vg, g != NULL, vx, p0, p1, n);
  }
  return launched();
}

// ---- PReLU ----
template <typename T>
__global__ void k_prelu(T *o, const T *x, const T *w, int64_t ch, int64_t ks, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    T v = x[i], wc = w[(i / ks) % ch];
    o[i] = v > 0 ? v : wc * v;
  }
}
static int c_prelu(lt_tensor *out, const lt_tensor *x, const lt_tensor *w, int64_t bs, int64_t ch, int64_t ks) {
  int64_t n = bs * ch * ks;
  if (n == 0) return 0;
  int dev = out->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (x->dtype == LT_FLOAT64)
    k_prelu<double><<<grid_for(n), THREADS, 0, st>>>((double *)h_data(out), (const double *)h_data(x),
                                                     (const double *)h_data(w), ch, ks, n);
  else if (x->dtype == LT_FLOAT32)
    k_prelu<float><<<grid_for(n), THREADS, 0, st>>>((float *)h_data(out), (const float *)h_data(x),
                                                    (const float *)h_data(w), ch, ks, n);
  else { seterr("prelu: float32 or float64 expected"); return -1; }
  return launched();
}

// ======================================================================================
// softmax and log-softmax
// ======================================================================================

// the exponential in T, as the CPU's expf / exp
__device__ static inline float exp_t(float x) { return expf(x); }
__device__ static inline double exp_t(double x) { return exp(x); }

// A group of TPR threads (32: a warp; THREADS: the block) per line of n elements at stride
// inner (line l starts at (l / inner) n inner + l % inner); RPB = THREADS / TPR lines per
// block, grid-stride over the lines. Used for inner == 1 (rows), and with a block per line
// for inner > 1 when there are too few lines for a thread each.
template <int TPR, typename T>
__device__ static inline T group_max(T v) {
  if (TPR == 32) return warp_max(v);
  return block_max(v);
}
template <int TPR, typename T>
__device__ static inline T group_sum(T v) {
  if (TPR == 32) return warp_sum(v);
  return block_sum(v);
}

template <int TPR, typename T>
__global__ void k_softmax_rows(const T *x, T *y, double *lse, int64_t rows, int64_t n, int64_t inner, bool lg) {
  const int RPB = THREADS / TPR;
  int lane = threadIdx.x % TPR;
  // (TPR == THREADS: every thread of the block takes the same trips, so the block-wide
  // reductions inside are reached by all)
  for (int64_t r0 = blockIdx.x * (int64_t)RPB; r0 < rows; r0 += (int64_t)gridDim.x * RPB) {
    int64_t row = r0 + threadIdx.x / TPR;
    bool live = row < rows;  // (only false with warps: TPR == 32)
    if (TPR == 32 && !live) continue;
    int64_t off = inner == 1 ? row * n : (row / inner) * n * inner + row % inner;
    const T *xr = x + off;
    T mx = -INFINITY;
    for (int64_t j = lane; j < n; j += TPR) mx = max_nonan(mx, xr[j * inner]);
    mx = group_max<TPR>(mx);
    if (isinf(mx) && mx < 0) mx = 0;  // every element -inf (NaN: exp gives NaN)
    double sum = 0;
    for (int64_t j = lane; j < n; j += TPR) sum += (double)exp_t((T)(xr[j * inner] - mx));
    sum = group_sum<TPR>(sum);
    if (lse && lane == 0) { lse[2 * row] = (double)mx; lse[2 * row + 1] = log(sum); }
    if (!y) continue;
    T *yr = y + off;
    if (lg) {  // (x - max) - log(sum), as the CPU: x - l would round l to T first
      T tl = (T)log(sum);
      for (int64_t j = lane; j < n; j += TPR) yr[j * inner] = (T)(xr[j * inner] - mx) - tl;
    } else {
      T inv = (T)(1.0 / sum);
      for (int64_t j = lane; j < n; j += TPR) yr[j * inner] = exp_t((T)(xr[j * inner] - mx)) * inv;
    }
  }
}

// inner == 1 with rows that fit in shared memory: a block per row that reads the row from
// global memory once (the three passes of k_softmax_rows read it three times). Each thread
// takes the same elements as k_softmax_rows<THREADS> does, so the sums are the same.
template <typename T>
__global__ void k_softmax_rows_smem(const T *x, T *y, double *lse, int64_t rows, int64_t n, bool lg) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T *sx = (T *)smem_raw;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *xr = x + row * n;
    T mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < n; j += THREADS) {
      T v = xr[j];
      sx[j] = v;
      mx = max_nonan(mx, v);
    }
    mx = block_max(mx);   // (its barriers also make sx visible to the whole block)
    if (isinf(mx) && mx < 0) mx = 0;
    double sum = 0;
    for (int64_t j = threadIdx.x; j < n; j += THREADS) sum += (double)exp_t((T)(sx[j] - mx));
    sum = block_sum(sum);
    if (lse && threadIdx.x == 0) { lse[2 * row] = (double)mx; lse[2 * row + 1] = log(sum); }
    if (y) {
      T *yr = y + row * n;
      if (lg) {
        T tl = (T)log(sum);
        for (int64_t j = threadIdx.x; j < n; j += THREADS) yr[j] = (T)(sx[j] - mx) - tl;
      } else {
        T inv = (T)(1.0 / sum);
        for (int64_t j = threadIdx.x; j < n; j += THREADS) yr[j] = exp_t((T)(sx[j] - mx)) * inv;
      }
    }
    __syncthreads();  // sx is refilled for the next row
  }
}
#define SOFTMAX_SMEM_BYTES (48 * 1024)

// one thread per line (outer, inner) for inner > 1: the line's elements at stride inner,
// neighbouring threads on neighbouring elements (coalesced); the CPU's order of summation
template <typename T>
__global__ void k_softmax_cols(const T *x, T *y, double *lse, int64_t outer, int64_t n, int64_t inner, bool lg) {
  int64_t lines = outer * inner;
  for (int64_t l = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; l < lines; l += (int64_t)gridDim.x * blockDim.x) {
    int64_t o = l / inner, i = l - o * inner, off = o * n * inner + i;
    const T *xl = x + off;
    T mx = -INFINITY;
    for (int64_t j = 0; j < n; j++) mx = max_nonan(mx, xl[j * inner]);
    if (isinf(mx) && mx < 0) mx = 0;
    double sum = 0;
    for (int64_t j = 0; j < n; j++) sum += (double)exp_t((T)(xl[j * inner] - mx));
    if (lse) { lse[2 * l] = (double)mx; lse[2 * l + 1] = log(sum); }
    if (!y) continue;
    T *yl = y + off;
    if (lg) {
      T tl = (T)log(sum);
      for (int64_t j = 0; j < n; j++) yl[j * inner] = (T)(xl[j * inner] - mx) - tl;
    } else {
      T inv = (T)(1.0 / sum);
      for (int64_t j = 0; j < n; j++) yl[j * inner] = exp_t((T)(xl[j * inner] - mx)) * inv;
    }
  }
}

// inner > 1: a block per line when the lines are too few to fill the device one thread
// each and long enough to share
static inline bool few_lines(int64_t lines, int64_t n) { return lines < 4096 && n >= 256; }

template <typename T>
static void softmax_launch(const T *x, T *y, double *lse, int64_t outer, int64_t n, int64_t inner, bool lg,
                           cudaStream_t st) {
  if (inner == 1) {
    if (n <= 1024) {
      int64_t nb = (outer + THREADS / 32 - 1) / (THREADS / 32);
      k_softmax_rows<32, T><<<grid_for(nb * THREADS), THREADS, 0, st>>>(x, y, lse, outer, n, 1, lg);
    } else if (n * (int64_t)sizeof(T) <= SOFTMAX_SMEM_BYTES) {
      k_softmax_rows_smem<T><<<grid_for(outer * THREADS), THREADS, (size_t)n * sizeof(T), st>>>(x, y, lse, outer, n, lg);
    } else {
      k_softmax_rows<THREADS, T><<<grid_for(outer * THREADS), THREADS, 0, st>>>(x, y, lse, outer, n, 1, lg);
    }
  } else if (few_lines(outer * inner, n)) {
    k_softmax_rows<THREADS, T><<<grid_for(outer * inner * THREADS), THREADS, 0, st>>>(x, y, lse, outer * inner, n,
                                                                                      inner, lg);
  } else {
    k_softmax_cols<T><<<grid_for(outer * inner), THREADS, 0, st>>>(x, y, lse, outer, n, inner, lg);
  }
}

static int c_softmax(lt_tensor *y, const lt_tensor *x, int64_t outer, int64_t n, int64_t inner, bool lg, double *lse) {
  if (outer * n * inner == 0) return 0;
  int dev = x->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (x->dtype == LT_FLOAT64)
    softmax_launch<double>((const double *)h_data(x), y ? (double *)h_data(y) : NULL, lse, outer, n, inner, lg, st);
  else if (x->dtype == LT_FLOAT32)
    softmax_launch<float>((const float *)h_data(x), y ? (float *)h_data(y) : NULL, lse, outer, n, inner, lg, st);
  else { seterr("%s: float32 or float64 expected", lg ? "logSoftmax" : "softmax"); return -1; }
  return launched();
}

// backward: log: r = g - exp(y) sum(g); softmax: r = y (g - sum(g y)); sums in double
template <int TPR, typename T>
__global__ void k_softmax_bw_rows(const T *g, const T *y, T *r, int64_t rows, int64_t n, int64_t inner, bool lg) {
  const int RPB = THREADS / TPR;
  int lane = threadIdx.x % TPR;
  for (int64_t r0 = blockIdx.x * (int64_t)RPB; r0 < rows; r0 += (int64_t)gridDim.x * RPB) {
    int64_t row = r0 + threadIdx.x / TPR;
    if (TPR == 32 && row >= rows) continue;
    int64_t off = inner == 1 ? row * n : (row / inner) * n * inner + row % inner;
    const T *gr = g + off, *yr = y + off;
    T *rr = r + off;
    double s = 0;
    if (lg) for (int64_t j = lane; j < n; j += TPR) s += (double)gr[j * inner];
    else for (int64_t j = lane; j < n; j += TPR) s += (double)gr[j * inner] * (double)yr[j * inner];
    T ts = (T)group_sum<TPR>(s);
    if (lg) for (int64_t j = lane; j < n; j += TPR) rr[j * inner] = gr[j * inner] - exp_t(yr[j * inner]) * ts;
    else for (int64_t j = lane; j < n; j += TPR) rr[j * inner] = yr[j * inner] * (gr[j * inner] - ts);
  }
}
template <typename T>
__global__ void k_softmax_bw_cols(const T *g, const T *y, T *r, int64_t outer, int64_t n, int64_t inner, bool lg) {
  int64_t lines = outer * inner;
  for (int64_t l = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; l < lines; l += (int64_t)gridDim.x * blockDim.x) {
    int64_t o = l / inner, i = l - o * inner, off = o * n * inner + i;
    const T *gl = g + off, *yl = y + off;
    T *rl = r + off;
    double s = 0;
    if (lg) for (int64_t j = 0; j < n; j++) s += (double)gl[j * inner];
    else for (int64_t j = 0; j < n; j++) s += (double)gl[j * inner] * (double)yl[j * inner];
    T ts = (T)s;
    if (lg) for (int64_t j = 0; j < n; j++) rl[j * inner] = gl[j * inner] - exp_t(yl[j * inner]) * ts;
    else for (int64_t j = 0; j < n; j++) rl[j * inner] = yl[j * inner] * (gl[j * inner] - ts);
  }
}
template <typename T>
static void softmax_bw_launch(const T *g, const T *y, T *r, int64_t outer, int64_t n, int64_t inner, bool lg,
                              cudaStream_t st) {
  if (inner == 1) {
    if (n <= 1024) {
      int64_t nb = (outer + THREADS / 32 - 1) / (THREADS / 32);
      k_softmax_bw_rows<32, T><<<grid_for(nb * THREADS), THREADS, 0, st>>>(g, y, r, outer, n, 1, lg);
    } else {
      k_softmax_bw_rows<THREADS, T><<<grid_for(outer * THREADS), THREADS, 0, st>>>(g, y, r, outer, n, 1, lg);
    }
  } else if (few_lines(outer * inner, n)) {
    k_softmax_bw_rows<THREADS, T><<<grid_for(outer * inner * THREADS), THREADS, 0, st>>>(g, y, r, outer * inner, n,
                                                                                         inner, lg);
  } else {
    k_softmax_bw_cols<T><<<grid_for(outer * inner), THREADS, 0, st>>>(g, y, r, outer, n, inner, lg);
  }
}
static int c_softmax_backward(lt_tensor *r, const lt_tensor *g, const lt_tensor *y, int64_t outer, int64_t n,
                              int64_t inner, bool lg) {
  if (outer * n * inner == 0) return 0;
  int dev = y->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (y->dtype == LT_FLOAT64)
    softmax_bw_launch<double>((const double *)h_data(g), (const double *)h_data(y), (double *)h_data(r), outer, n,
                              inner, lg, st);
  else if (y->dtype == LT_FLOAT32)
    softmax_bw_launch<float>((const float *)h_data(g), (const float *)h_data(y), (float *)h_data(r), outer, n, inner,
                             lg, st);
  else { seterr("%s: float32 or float64 expected", lg ? "logSoftmax" : "softmax"); return -1; }
  return launched();
}

// ======================================================================================
// nll and cross-entropy
// ======================================================================================

// the weight of sample i: 0 when ignored, w[t] (or 1) else
__device__ static inline double sample_w(const int64_t *t, const double *w, int64_t ignore, int64_t i) {
  int64_t c = t[i];
  return c == ignore ? 0.0 : w ? w[c] : 1.0;
}

// per-sample value of nll: (-w_i lp[i, t_i], w_i); writes it to out (none) when given
struct nll_fn {
  const char *lp;
  int dt, es;
  int64_t s0, s1;
  const int64_t *t;
  const double *w;
  int64_t ignore;
  char *out;  // reduction none: N elements (contiguous, dtype dt)
  __device__ pair2 operator()(int64_t i) const {
    double wi = sample_w(t, w, ignore, i);
    double v = wi == 0 ? 0 : -wi * load(dt, lp + (i * s0 + t[i] * s1) * es);
    if (out) store(dt, out + i * es, v);
    return {v, wi};
  }
};
// the weight total only
struct wtotal_fn {
  const int64_t *t;
  const double *w;
  int64_t ignore;
  __device__ pair2 operator()(int64_t i) const { return {0, sample_w(t, w, ignore, i)}; }
};

// the reduction's modes of the engine (LT_LOSS_NONE, LT_LOSS_MEAN, LT_LOSS_SUM)
enum { RED_NONE = 0, RED_MEAN = 1, RED_SUM = 2 };

static int c_nll(lt_tensor *out, const lt_tensor *lp, const int64_t *t, const double *w, int64_t ignore, int red,
                 int64_t N, int64_t C) {
  (void)C;
  int dev = lp->device.index;
  if (set_device(dev) < 0) return -1;
  nll_fn f;
  f.lp = h_data(lp);
  f.dt = lp->dtype;
  f.es = (int)h_esize(lp->dtype);
  f.s0 = lp->ndim == 2 ? lp->stride[0] : 0;
  f.s1 = lp->stride[lp->ndim - 1];
  f.t = t;
  f.w = w;
  f.ignore = ignore;
  f.out = red == RED_NONE ? h_data(out) : NULL;
  if (red == RED_NONE) {
    if (N == 0) return 0;
    // the per-sample values only; the sums are not needed (one block pass, results dropped)
    pair2 *part = (pair2 *)lt_cu_alloc(sizeof(pair2) * RED_BLOCKS, dev);
    if (!part) return -1;
    unsigned nb = grid_for(N) < RED_BLOCKS ? grid_for(N) : RED_BLOCKS;
    k_sum_partial<nll_fn><<<nb, THREADS, 0, lt_cu_stream(dev)>>>(f, N, part);
    int rc = launched();
    lt_cu_free(part, sizeof(pair2) * RED_BLOCKS, dev);
    return rc;
  }
  return sum_run(f, N, red == RED_MEAN ? FIN_WMEAN : FIN_SUM, out, NULL, dev);
}

// the weight total into a device double (for the mean's scale), or NULL when not needed
static double *weight_total(const int64_t *t, const double *w, int64_t ignore, int64_t N, int dev) {
  double *tot = (double *)lt_cu_alloc(sizeof(double), dev);
  if (!tot) return NULL;
  wtotal_fn f = {t, w, ignore};
  if (sum_run(f, N, FIN_TOTAL, NULL, tot, dev) < 0) { lt_cu_free(tot, sizeof(double), dev); return NULL; }
  return tot;
}

// scale of the gradient: 1 (none, sum) or 1 / total (mean, 0 when the total is 0)
__device__ static inline double grad_scale(int red, const double *tot) {
  if (red != RED_MEAN) return 1.0;
  return *tot != 0 ? 1.0 / *tot : 0.0;
}

__global__ void k_nll_grad(char *r, int dt, const double *g, const int64_t *t, const double *w, int64_t ignore, int red,
                           const double *tot, int64_t N, int64_t C) {
  int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i >= N) return;
  double wi = sample_w(t, w, ignore, i);
  if (wi == 0) return;
  double v = -wi * grad_scale(red, tot) * g[red == RED_NONE ? i : 0];
  store(dt, r + (i * C + t[i]) * esize(dt), v);
}

static int c_nll_grad(lt_tensor *r, const double *g, const int64_t *t, const double *w, int64_t ignore, int red,
                      int64_t N, int64_t C) {
  if (N == 0) return 0;
  int dev = r->device.index;
  if (set_device(dev) < 0) return -1;
  double *tot = red == RED_MEAN ? weight_total(t, w, ignore, N, dev) : NULL;
  if (red == RED_MEAN && !tot) return -1;
  k_nll_grad<<<blocks(N), THREADS, 0, lt_cu_stream(dev)>>>(h_data(r), r->dtype, g, t, w, ignore, red, tot, N, C);
  int rc = launched();
  if (tot) lt_cu_free(tot, sizeof(double), dev);
  return rc;
}

// cross-entropy from the rows' max and log-sum: (-w_i ((x[i, t_i] - max_i) - logsum_i), w_i),
// as the CPU (x - logsumexp would lose the size of x in digits)
template <typename T>
struct ce_fn {
  const T *x;
  const double *lse;
  const int64_t *t;
  const double *w;
  int64_t ignore, C;
  char *out;
  int odt;
  __device__ pair2 operator()(int64_t i) const {
    double wi = sample_w(t, w, ignore, i);
    double v = wi == 0 ? 0 : -wi * (((double)x[i * C + t[i]] - lse[2 * i]) - lse[2 * i + 1]);
    if (out) store(odt, out + i * esize(odt), v);
    return {v, wi};
  }
};

template <typename T>
static int ce_run(lt_tensor *out, lt_tensor *prob, const lt_tensor *x, const int64_t *t, const double *w,
                  int64_t ignore, int red, int64_t N, int64_t C, int dev) {
  double *lse = (double *)lt_cu_alloc(sizeof(double) * 2 * (N ? N : 1), dev);   // max, log-sum
  if (!lse) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  int rc = 0;
  if (N > 0 && C > 0) {
    softmax_launch<T>((const T *)h_data(x), prob ? (T *)h_data(prob) : NULL, lse, N, C, 1, false, st);
    rc = launched();
  }
  if (rc == 0) {
    ce_fn<T> f = {(const T *)h_data(x), lse, t, w, ignore, C, red == RED_NONE ? h_data(out) : NULL, out->dtype};
    if (red == RED_NONE) {
      if (N > 0) {
        pair2 *part = (pair2 *)lt_cu_alloc(sizeof(pair2) * RED_BLOCKS, dev);
        if (!part) rc = -1;
        else {
          unsigned nb = grid_for(N) < RED_BLOCKS ? grid_for(N) : RED_BLOCKS;
          k_sum_partial<ce_fn<T> ><<<nb, THREADS, 0, st>>>(f, N, part);
          rc = launched();
          lt_cu_free(part, sizeof(pair2) * RED_BLOCKS, dev);
        }
      }
    } else {
      rc = sum_run(f, N, red == RED_MEAN ? FIN_WMEAN : FIN_SUM, out, NULL, dev);
    }
  }
  lt_cu_free(lse, sizeof(double) * 2 * (N ? N : 1), dev);
  return rc;
}

static int c_cross_entropy(lt_tensor *out, lt_tensor *prob, const lt_tensor *x, const int64_t *t, const double *w,
                           int64_t ignore, int red, int64_t N, int64_t C) {
  int dev = x->device.index;
  if (set_device(dev) < 0) return -1;
  if (x->dtype == LT_FLOAT64) return ce_run<double>(out, prob, x, t, w, ignore, red, N, C, dev);
  if (x->dtype == LT_FLOAT32) return ce_run<float>(out, prob, x, t, w, ignore, red, N, C, dev);
  seterr("crossEntropy: float32 or float64 expected");
  return -1;
}

// r[i, c] = s_i p[i, c] (- s_i at c = t_i, unless ignored), s_i = w_i scale g
template <typename T>
__global__ void k_ce_bw(T *r, const T *p, const double *g, const int64_t *t, const double *w, int64_t ignore, int red,
                        const double *tot, int64_t N, int64_t C) {
  int64_t n = N * C;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < n; k += (int64_t)gridDim.x * blockDim.x) {
    int64_t i = k / C, c = k - i * C;
    double wi = sample_w(t, w, ignore, i);
    T si = (T)(wi * grad_scale(red, tot) * g[red == RED_NONE ? i : 0]);
    T v = si * p[k];
    if (wi != 0 && c == t[i]) v -= si;
    r[k] = v;
  }
}

static int c_cross_entropy_backward(lt_tensor *r, const lt_tensor *prob, const double *g, const int64_t *t,
                                    const double *w, int64_t ignore, int red, int64_t N, int64_t C) {
  if (N * C == 0) return 0;
  int dev = r->device.index;
  if (set_device(dev) < 0) return -1;
  double *tot = red == RED_MEAN ? weight_total(t, w, ignore, N, dev) : NULL;
  if (red == RED_MEAN && !tot) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  int rc;
  if (prob->dtype == LT_FLOAT64) {
    k_ce_bw<double><<<grid_for(N * C), THREADS, 0, st>>>((double *)h_data(r), (const double *)h_data(prob), g, t, w,
                                                         ignore, red, tot, N, C);
    rc = launched();
  } else if (prob->dtype == LT_FLOAT32) {
    k_ce_bw<float><<<grid_for(N * C), THREADS, 0, st>>>((float *)h_data(r), (const float *)h_data(prob), g, t, w,
                                                        ignore, red, tot, N, C);
    rc = launched();
  } else {
    seterr("crossEntropy: float32 or float64 expected");
    rc = -1;
  }
  if (tot) lt_cu_free(tot, sizeof(double), dev);
  return rc;
}

// ======================================================================================
// elementwise losses (mse, bce, bce with logits)
// ======================================================================================

struct el_fn {
  int kind;
  const double *a, *b, *w, *pw;
  double *out;  // none: n doubles
  __device__ pair2 operator()(int64_t i) const {
    double v = lt_el_loss(kind, a[i], b[i], w ? w[i] : 1.0, pw ? pw[i] : 1.0);
    if (out) out[i] = v;
    return {v, 0};
  }
};
__global__ void k_el_none(el_fn f, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) f(i);
}

static int c_el_loss(int kind, lt_tensor *out, const double *a, const double *b, const double *w, const double *pw,
                     int red, int64_t n, int dev) {
  if (set_device(dev) < 0) return -1;
  el_fn f = {kind, a, b, w, pw, red == RED_NONE ? (double *)h_data(out) : NULL};
  if (red == RED_NONE) {
    if (n == 0) return 0;
    k_el_none<<<grid_for(n), THREADS, 0, lt_cu_stream(dev)>>>(f, n);
    return launched();
  }
  return sum_run(f, n, red == RED_MEAN ? FIN_MEAN : FIN_SUM, out, NULL, dev);
}

__global__ void k_first_not_prob(const double *a, int64_t n, unsigned long long *first) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    if (!(a[i] >= 0 && a[i] <= 1)) atomicMin(first, (unsigned long long)i);
}

static int c_first_not_prob(const double *a, int64_t n, int dev, int64_t *idx, double *val) {
  *idx = -1;
  if (n == 0) return 0;
  if (set_device(dev) < 0) return -1;
  unsigned long long *first = (unsigned long long *)lt_cu_alloc(sizeof *first, dev);
  if (!first) return -1;
  unsigned long long h = ~0ull;
  int rc = check(cudaMemcpy(first, &h, sizeof h, cudaMemcpyHostToDevice), "cudaMemcpy");
  if (rc == 0) {
    k_first_not_prob<<<grid_for(n), THREADS, 0, lt_cu_stream(dev)>>>(a, n, first);
    rc = launched();
  }
  if (rc == 0) rc = check(cudaMemcpy(&h, first, sizeof h, cudaMemcpyDeviceToHost), "cudaMemcpy");
  if (rc == 0 && h != ~0ull) {
    *idx = (int64_t)h;
    rc = check(cudaMemcpy(val, a + h, sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy");
  }
  lt_cu_free(first, sizeof *first, dev);
  return rc;
}

// ======================================================================================
// LSTM and GRU cells: one thread per (b, j), the math of scalar_math.h
// ======================================================================================

__device__ static inline void lstm_fwd_t(float pi, float pf, float pg, float po, float c, float *i, float *f, float *g,
                                         float *o, float *c1, float *tc1, float *h1) {
  lt_lstm_fwd_f(pi, pf, pg, po, c, i, f, g, o, c1, tc1, h1);
}
__device__ static inline void lstm_fwd_t(double pi, double pf, double pg, double po, double c, double *i, double *f,
                                         double *g, double *o, double *c1, double *tc1, double *h1) {
  lt_lstm_fwd_d(pi, pf, pg, po, c, i, f, g, o, c1, tc1, h1);
}
__device__ static inline void lstm_bwd_t(float i, float f, float g, float o, float tc1, float c, float gh, float gc,
                                         float *di, float *df, float *dg, float *dout, float *dc) {
  lt_lstm_bwd_f(i, f, g, o, tc1, c, gh, gc, di, df, dg, dout, dc);
}
__device__ static inline void lstm_bwd_t(double i, double f, double g, double o, double tc1, double c, double gh,
                                         double gc, double *di, double *df, double *dg, double *dout, double *dc) {
  lt_lstm_bwd_d(i, f, g, o, tc1, c, gh, gc, di, df, dg, dout, dc);
}
__device__ static inline void gru_fwd_t(float ir, float iz, float in, float hr, float hz, float hn, float h, float *r,
                                        float *z, float *n, float *h1) {
  lt_gru_fwd_f(ir, iz, in, hr, hz, hn, h, r, z, n, h1);
}
__device__ static inline void gru_fwd_t(double ir, double iz, double in, double hr, double hz, double hn, double h,
                                        double *r, double *z, double *n, double *h1) {
  lt_gru_fwd_d(ir, iz, in, hr, hz, hn, h, r, z, n, h1);
}
__device__ static inline void gru_bwd_t(float r, float z, float n, float hn, float h, float g, float *dr, float *dz,
                                        float *dn, float *dhn, float *dh) {
  lt_gru_bwd_f(r, z, n, hn, h, g, dr, dz, dn, dhn, dh);
}
__device__ static inline void gru_bwd_t(double r, double z, double n, double hn, double h, double g, double *dr,
                                        double *dz, double *dn, double *dhn, double *dh) {
  lt_gru_bwd_d(r, z, n, hn, h, g, dr, dz, dn, dhn, dh);
}

// pre: B x 4H; c: rows at stride cs; out: B x 2H [h', c']; buf (or NULL): B x 5H [i, f, g, o, tanh(c')]
template <typename T>
__global__ void k_lstm_fwd(int64_t B, int64_t H, const T *pre, const T *c, int64_t cs, T *out, T *buf) {
  int64_t n = B * H;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < n; k += (int64_t)gridDim.x * blockDim.x) {
    int64_t b = k / H, j = k - b * H;
    const T *p = pre + b * 4 * H;
    T i, f, g, o, c1, tc1, h1;
    lstm_fwd_t(p[j], p[H + j], p[2 * H + j], p[3 * H + j], c[b * cs + j], &i, &f, &g, &o, &c1, &tc1, &h1);
    out[b * 2 * H + j] = h1;
    out[b * 2 * H + H + j] = c1;
    if (buf) {
      T *s = buf + b * 5 * H;
      s[j] = i; s[H + j] = f; s[2 * H + j] = g; s[3 * H + j] = o; s[4 * H + j] = tc1;
    }
  }
}
// g: B x 2H; dgates: B x 4H; dc: B x H
template <typename T>
__global__ void k_lstm_bwd(int64_t B, int64_t H, const T *g, const T *buf, const T *c, int64_t cs, T *dg, T *dc) {
  int64_t n = B * H;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < n; k += (int64_t)gridDim.x * blockDim.x) {
    int64_t b = k / H, j = k - b * H;
    const T *s = buf + b * 5 * H, *gg = g + b * 2 * H;
    T *d = dg + b * 4 * H;
    lstm_bwd_t(s[j], s[H + j], s[2 * H + j], s[3 * H + j], s[4 * H + j], c[b * cs + j], gg[j], gg[H + j], &d[j],
               &d[H + j], &d[2 * H + j], &d[3 * H + j], &dc[b * H + j]);
  }
}
// gi: rows of 3H at stride gis; gh: B x 3H; h: rows at stride hs; out: B x H; buf: B x 4H [r, z, n, hn]
template <typename T>
__global__ void k_gru_fwd(int64_t B, int64_t H, const T *gi, int64_t gis, const T *gh, const T *h, int64_t hs, T *out,
                          T *buf) {
  int64_t n = B * H;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < n; k += (int64_t)gridDim.x * blockDim.x) {
    int64_t b = k / H, j = k - b * H;
    const T *pi = gi + b * gis, *pg = gh + b * 3 * H;
    T r, z, nn, h1;
    gru_fwd_t(pi[j], pi[H + j], pi[2 * H + j], pg[j], pg[H + j], pg[2 * H + j], h[b * hs + j], &r, &z, &nn, &h1);
    out[b * H + j] = h1;
    if (buf) {
      T *s = buf + b * 4 * H;
      s[j] = r; s[H + j] = z; s[2 * H + j] = nn; s[3 * H + j] = pg[2 * H + j];
    }
  }
}
// g: B x H; dgi, dgh: B x 3H; dh: B x H
template <typename T>
__global__ void k_gru_bwd(int64_t B, int64_t H, const T *g, const T *buf, const T *h, int64_t hs, T *dgi, T *dgh,
                          T *dh) {
  int64_t n = B * H;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < n; k += (int64_t)gridDim.x * blockDim.x) {
    int64_t b = k / H, j = k - b * H;
    const T *s = buf + b * 4 * H;
    T *di = dgi + b * 3 * H, *dhh = dgh + b * 3 * H;
    T dr, dz, dn, dhn;
    gru_bwd_t(s[j], s[H + j], s[2 * H + j], s[3 * H + j], h[b * hs + j], g[b * H + j], &dr, &dz, &dn, &dhn,
              &dh[b * H + j]);
    di[j] = dr; dhh[j] = dr;
    di[H + j] = dz; dhh[H + j] = dz;
    di[2 * H + j] = dn;
    dhh[2 * H + j] = dhn;
  }
}

static int cell_begin(int dt, int dev, const char *op) {
  if (dt != LT_FLOAT32 && dt != LT_FLOAT64) { seterr("%s: float32 or float64 expected", op); return -1; }
  return set_device(dev);
}

static int c_lstm_fwd(int dt, int dev, int64_t B, int64_t H, const void *pre, const void *c, int64_t cs, void *out,
                      void *buf) {
  if (B * H == 0) return 0;
  if (cell_begin(dt, dev, "lstmCell") < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (dt == LT_FLOAT32)
    k_lstm_fwd<float><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const float *)pre, (const float *)c, cs, (float *)out,
                                                           (float *)buf);
  else
    k_lstm_fwd<double><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const double *)pre, (const double *)c, cs,
                                                            (double *)out, (double *)buf);
  return launched();
}
static int c_lstm_bwd(int dt, int dev, int64_t B, int64_t H, const void *g, const void *buf, const void *c, int64_t cs,
                      void *dg, void *dc) {
  if (B * H == 0) return 0;
  if (cell_begin(dt, dev, "lstmCell") < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (dt == LT_FLOAT32)
    k_lstm_bwd<float><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const float *)g, (const float *)buf, (const float *)c,
                                                           cs, (float *)dg, (float *)dc);
  else
    k_lstm_bwd<double><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const double *)g, (const double *)buf,
                                                            (const double *)c, cs, (double *)dg, (double *)dc);
  return launched();
}
static int c_gru_fwd(int dt, int dev, int64_t B, int64_t H, const void *gi, int64_t gis, const void *gh, const void *h,
                     int64_t hs, void *out, void *buf) {
  if (B * H == 0) return 0;
  if (cell_begin(dt, dev, "gruCell") < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (dt == LT_FLOAT32)
    k_gru_fwd<float><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const float *)gi, gis, (const float *)gh,
                                                          (const float *)h, hs, (float *)out, (float *)buf);
  else
    k_gru_fwd<double><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const double *)gi, gis, (const double *)gh,
                                                           (const double *)h, hs, (double *)out, (double *)buf);
  return launched();
}
static int c_gru_bwd(int dt, int dev, int64_t B, int64_t H, const void *g, const void *buf, const void *h, int64_t hs,
                     void *dgi, void *dgh, void *dh) {
  if (B * H == 0) return 0;
  if (cell_begin(dt, dev, "gruCell") < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  if (dt == LT_FLOAT32)
    k_gru_bwd<float><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const float *)g, (const float *)buf, (const float *)h,
                                                          hs, (float *)dgi, (float *)dgh, (float *)dh);
  else
    k_gru_bwd<double><<<grid_for(B * H), THREADS, 0, st>>>(B, H, (const double *)g, (const double *)buf,
                                                           (const double *)h, hs, (double *)dgi, (double *)dgh,
                                                           (double *)dh);
  return launched();
}

void lt_cuda_register_act(lt_backend *b) {
  b->act = c_act;
  b->prelu = c_prelu;
  b->softmax = c_softmax;
  b->softmax_backward = c_softmax_backward;
  b->nll = c_nll;
  b->nll_grad = c_nll_grad;
  b->cross_entropy = c_cross_entropy;
  b->cross_entropy_backward = c_cross_entropy_backward;
  b->el_loss = c_el_loss;
  b->first_not_prob = c_first_not_prob;
  b->lstm_fwd = c_lstm_fwd;
  b->lstm_bwd = c_lstm_bwd;
  b->gru_fwd = c_gru_fwd;
  b->gru_bwd = c_gru_bwd;
}
