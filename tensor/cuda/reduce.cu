// reduce.cu: the CUDA kernels for reductions (full and per dimension, with indices), cumulative sums and products, equal.
// Entries of the backend table (internal.h, the "reduce" section) are filled in by
// lt_cuda_register_reduce, which backend.cu calls when the library is loaded.
//
// The domains are the CPU's (reduce_impl.h): floating types reduce in double (float32
// sums accumulate in double, half types are converted on load), integer and bool types
// in int64 (sums and products wrap like the CPU's). A reduction sees its input as M
// "lines" of n elements (stride sd), one per output position (row-major over the kept
// dims). Lines with a contiguous reduced dim go to a row kernel (a warp per short line,
// a block per long one); other lines to a column kernel (a thread per output: the
// threads of a warp read neighbouring columns when the innermost kept dim is
// contiguous). Few long lines are cut into slices (blockIdx.y) whose partial states a
// merge kernel combines: a whole-tensor reduction is one line cut in up to 1024 slices,
// merged by one block (a two-stage tree). max/min keep the first position of the
// extreme, and a NaN wins (the first NaN), as on the CPU. Two-pass ops (std/var around
// the mean, logsumexp around the max) keep the centres on the device.
// median/kthvalue use a radix select per line (a block per line); mode sorts each line in
// shared memory (a block per line, lines up to 4096; longer ones are left to the engine,
// which copies them to the CPU).
#include "common.cuh"

extern "C" {
#include "reduce_kinds.h"   // the kinds of pass and each op's passes, as on the CPU
}

// loaders: float32, float64, other floating types (through load()), integer domain
enum { LD_F32, LD_F64, LD_GENF, LD_INT };


// the final value of a line (reduce.c's finish_d); c: the centre of two-pass ops
__host__ __device__ static inline double finish(int op, double v, double c, int64_t n, double param) {
  switch (op) {
  case LT_RMEAN: return v / (double)n;
  case LT_RSTD: case LT_RVAR: {
    int64_t d = n - (param != 0 ? 1 : 0);
    double r = d <= 0 ? nan("") : v / (double)d;
    return op == LT_RSTD ? sqrt(r) : r;
  }
  case LT_RNORM:
    if (param == 2) return sqrt(v);
    if (param != 0 && param != 1 && !isinf(param)) return pow(v, 1.0 / param);
    return v;
  case LT_RLOGSUMEXP: return isfinite(c) ? c + log(v) : c;
  default: return v;
  }
}

// ---- the state of a line (or of part of one) ----
struct RS {
  double v;     // double domain
  int64_t i;    // int64 domain
  int64_t idx;  // max/min: position in the line; -1: no element yet
};

__device__ static inline RS rs_init(int kind, bool fl) {
  RS s;
  s.v = 0;
  s.i = 0;
  s.idx = -1;
  switch (kind) {
  case K_PROD: case K_ALL: s.v = 1; s.i = 1; break;
  case K_MAX: s.v = -INFINITY; s.i = INT64_MIN; break;
  case K_MIN: case K_AMIN: s.v = INFINITY; s.i = INT64_MAX; break;
  default: break;
  }
  (void)fl;
  return s;
}

// x at position pos into s; elements come to one state in increasing positions
__device__ static inline void acc(int kind, RS &s, double x, int64_t pos, double c, double p) {
  switch (kind) {
  case K_SUM: s.v += x; break;
  case K_ABS: s.v += fabs(x); break;
  case K_SQ: s.v += x * x; break;
  case K_NZ: s.v += (x != 0) ? 1.0 : 0.0; break;
  case K_POW: s.v += pow(fabs(x), p); break;
  case K_SQDEV: { double d = x - c; s.v += d * d; } break;
  case K_EXPSUM: s.v += exp(x - c); break;
  case K_PROD: s.v *= x; break;
  case K_MAX: if (s.idx < 0 || x > s.v || (x != x && s.v == s.v)) { s.v = x; s.idx = pos; } break;
  case K_MIN: if (s.idx < 0 || x < s.v || (x != x && s.v == s.v)) { s.v = x; s.idx = pos; } break;
  case K_AMAX: { double y = fabs(x); if (y > s.v || y != y) s.v = y; } break;
  case K_AMIN: { double y = fabs(x); if (y < s.v || y != y) s.v = y; } break;
  case K_ALL: s.v = (s.v != 0 && x != 0) ? 1 : 0; break;
  case K_ANY: s.v = (s.v != 0 || x != 0) ? 1 : 0; break;
  }
}
__device__ static inline void acc(int kind, RS &s, int64_t x, int64_t pos, double c, double p) {
  (void)c; (void)p;
  switch (kind) {
  case K_SUM: s.i = (int64_t)((uint64_t)s.i + (uint64_t)x); break;
  case K_PROD: s.i = (int64_t)((uint64_t)s.i * (uint64_t)x); break;
  case K_MAX: if (s.idx < 0 || x > s.i) { s.i = x; s.idx = pos; } break;
  case K_MIN: if (s.idx < 0 || x < s.i) { s.i = x; s.idx = pos; } break;
  case K_ALL: s.i = s.i && x; break;
  case K_ANY: s.i = s.i || x; break;
  default: break;
  }
}

// b into a (any order: ties of max/min go to the lower position)
template <bool FL>
__device__ static inline void merge(int kind, RS &a, const RS &b) {
  if (kind == K_MAX || kind == K_MIN) {
    if (b.idx < 0) return;
    if (a.idx < 0) { a = b; return; }
    bool take;
    if (FL) {
      bool an = a.v != a.v, bn = b.v != b.v;
      if (an || bn) take = (an && bn) ? b.idx < a.idx : bn;
      else if (a.v == b.v) take = b.idx < a.idx;
      else take = kind == K_MAX ? b.v > a.v : b.v < a.v;
    } else {
      if (a.i == b.i) take = b.idx < a.idx;
      else take = kind == K_MAX ? b.i > a.i : b.i < a.i;
    }
    if (take) a = b;
    return;
  }
  if (FL) {
    switch (kind) {
    case K_PROD: a.v *= b.v; break;
    case K_AMAX: if (b.v > a.v || b.v != b.v) a.v = b.v; break;
    case K_AMIN: if (b.v < a.v || b.v != b.v) a.v = b.v; break;
    case K_ALL: a.v = (a.v != 0 && b.v != 0) ? 1 : 0; break;
    case K_ANY: a.v = (a.v != 0 || b.v != 0) ? 1 : 0; break;
    default: a.v += b.v; break;
    }
  } else {
    switch (kind) {
    case K_SUM: a.i = (int64_t)((uint64_t)a.i + (uint64_t)b.i); break;
    case K_PROD: a.i = (int64_t)((uint64_t)a.i * (uint64_t)b.i); break;
    case K_ALL: a.i = a.i && b.i; break;
    case K_ANY: a.i = a.i || b.i; break;
    default: break;
    }
  }
}

__device__ static inline RS shfl_down(const RS &s, int off) {
  RS r;
  r.v = __shfl_down_sync(0xffffffffu, s.v, off);
  r.i = (int64_t)__shfl_down_sync(0xffffffffu, (long long)s.i, off);
  r.idx = (int64_t)__shfl_down_sync(0xffffffffu, (long long)s.idx, off);
  return r;
}
// the warp's states merged, in lane 0 (every lane of the warp must call it)
template <bool FL>
__device__ static inline RS warp_reduce(int kind, RS s) {
  for (int off = 16; off > 0; off >>= 1) {
    RS o = shfl_down(s, off);
    merge<FL>(kind, s, o);
  }
  return s;
}
// the block's states merged, in thread 0 (every thread of the block must call it, once
// per kernel)
template <bool FL>
__device__ static inline RS block_reduce(int kind, RS s) {
  __shared__ RS sh[THREADS / 32];
  s = warp_reduce<FL>(kind, s);
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  if (lane == 0) sh[w] = s;
  __syncthreads();
  if (w == 0) {
    s = lane < THREADS / 32 ? sh[lane] : rs_init(kind, FL);
    s = warp_reduce<FL>(kind, s);
  }
  return s;
}

// ---- typed loads and stores ----
__device__ static inline bool isfl_d(int dt) {
  return dt == LT_FLOAT32 || dt == LT_FLOAT64 || dt == LT_FLOAT16 || dt == LT_BFLOAT16;
}
template <int LD> struct VT { typedef double T; };
template <> struct VT<LD_INT> { typedef int64_t T; };

template <int LD>
__device__ static inline typename VT<LD>::T fetch(const char *b, int64_t o, int dt) {
  if (LD == LD_F32) return (typename VT<LD>::T)((const float *)b)[o];
  if (LD == LD_F64) return (typename VT<LD>::T)((const double *)b)[o];
  if (LD == LD_GENF) return (typename VT<LD>::T)load(dt, b + o * esize(dt));
  return (typename VT<LD>::T)load_int(dt, b + o * esize(dt));
}
// an int64 into an element (wrapping into narrower integer types, as the CPU's stores)
__device__ static inline void store_i(int dt, char *p, int64_t v) {
  switch (dt) {
  case LT_INT64: *(int64_t *)p = v; break;
  case LT_INT32: *(int32_t *)p = (int32_t)v; break;
  case LT_INT16: *(int16_t *)p = (int16_t)v; break;
  case LT_INT8: *(int8_t *)p = (int8_t)v; break;
  case LT_UINT8: *(uint8_t *)p = (uint8_t)v; break;
  case LT_BOOL: *(uint8_t *)p = v != 0; break;
  case LT_FLOAT32: *(float *)p = (float)v; break;
  case LT_FLOAT64: *(double *)p = (double)v; break;
  default: store(dt, p, (double)v); break;
  }
}

// ---- lines ----
struct Lines {
  const char *data;
  int dt;
  int K;                       // kept dims, coalesced
  int64_t size[MAXDIM];
  int64_t istr[MAXDIM];        // input element strides
  int64_t ostr[MAXDIM];        // output element strides (scans)
  int64_t M, n, sd, osd;       // outputs; the reduced dim's length and strides
};
// the input (and output) offsets of line m
template <typename I>
__device__ static inline int64_t line_base(const Lines &L, I m, int64_t *ooff) {
  int64_t off = 0, oo = 0;
  for (int d = L.K - 1; d >= 0; d--) {
    I sz = (I)L.size[d];
    I q = m / sz;
    I r = m - q * sz;
    off += (int64_t)r * L.istr[d];
    oo += (int64_t)r * L.ostr[d];
    m = q;
  }
  if (ooff) *ooff = oo;
  return off;
}

// lines of a along dim (dim -1: none reduced); out: strides of the output (NULL: contiguous
// over the kept dims)
static void make_lines(Lines &L, const lt_tensor *a, int dim, const int64_t *ostride) {
  int64_t os[MAXDIM];
  if (!ostride) {
    int64_t s = 1;
    for (int d = a->ndim - 1; d >= 0; d--) {
      if (d == dim) { os[d] = 0; continue; }
      os[d] = s;
      s *= a->size[d];
    }
    ostride = os;
  }
  L.data = h_data(a);
  L.dt = a->dtype;
  L.n = dim >= 0 ? a->size[dim] : 1;
  L.sd = dim >= 0 ? a->stride[dim] : 0;
  L.osd = dim >= 0 ? ostride[dim] : 0;
  L.M = 1;
  int K = 0;
  for (int d = 0; d < a->ndim; d++) {
    if (d == dim) continue;
    L.M *= a->size[d];
    if (a->size[d] == 1) continue;
    if (K > 0 && L.istr[K - 1] == a->stride[d] * a->size[d] && L.ostr[K - 1] == ostride[d] * a->size[d]) {
      L.size[K - 1] *= a->size[d];
      L.istr[K - 1] = a->stride[d];
      L.ostr[K - 1] = ostride[d];
      continue;
    }
    L.size[K] = a->size[d];
    L.istr[K] = a->stride[d];
    L.ostr[K] = ostride[d];
    K++;
  }
  L.K = K;
}

// ---- what a pass does with each line's state ----
enum { EMIT_OUT, EMIT_CEN, EMIT_RAW };
struct OpArg {
  int op, kind, mode;
  int S;               // slices per line; > 1: the pass writes partial states to part
  double p;            // norm's p (K_POW)
  double param;        // the op's parameter
  const double *cen;   // per line: the centre of K_SQDEV / K_EXPSUM (or NULL)
  RS *part;            // [S][M] partial states
  double *cenout;      // EMIT_CEN: per line centre
  RS *raw;             // EMIT_RAW: per line state
  char *out;           // EMIT_OUT: values (contiguous, dtype odt)
  int odt;
  int64_t *oidx;       // EMIT_OUT: indices (or NULL)
};

template <bool FL>
__device__ static inline void finalize(const OpArg &A, int64_t n, int64_t m, const RS &s) {
  if (A.mode == EMIT_RAW) { A.raw[m] = s; return; }
  if (A.mode == EMIT_CEN) {
    A.cenout[m] = A.op == LT_RLOGSUMEXP ? s.v : s.v / (double)n;
    return;
  }
  if (A.op == LT_RARGMAX || A.op == LT_RARGMIN) {
    ((int64_t *)A.out)[m] = s.idx < 0 ? 0 : s.idx;
    return;
  }
  char *o = A.out + m * esize(A.odt);
  if (FL) store(A.odt, o, finish(A.op, s.v, A.cen ? A.cen[m] : 0, n, A.param));
  else store_i(A.odt, o, s.i);
  if (A.oidx) A.oidx[m] = s.idx < 0 ? 0 : s.idx;
}
template <bool FL>
__device__ static inline void emit(const OpArg &A, int64_t M, int64_t n, int64_t m, int slice, const RS &s) {
  if (A.S > 1) A.part[(int64_t)slice * M + m] = s;
  else finalize<FL>(A, n, m, s);
}

// elements [lo, hi) of a line, every G-th from lo + t, into s (in increasing positions)
template <int LD>
__device__ static inline void run_line(const OpArg &A, const Lines &L, int64_t base, int64_t lo,
                                       int64_t hi, int64_t G, double c, RS &s) {
  typedef typename VT<LD>::T V;
  const char *d = L.data;
  int dt = L.dt;
  int64_t sd = L.sd, i = lo;
  for (; i + 3 * G < hi; i += 4 * G) {
    V x0 = fetch<LD>(d, base + i * sd, dt), x1 = fetch<LD>(d, base + (i + G) * sd, dt);
    V x2 = fetch<LD>(d, base + (i + 2 * G) * sd, dt), x3 = fetch<LD>(d, base + (i + 3 * G) * sd, dt);
    acc(A.kind, s, x0, i, c, A.p);
    acc(A.kind, s, x1, i + G, c, A.p);
    acc(A.kind, s, x2, i + 2 * G, c, A.p);
    acc(A.kind, s, x3, i + 3 * G, c, A.p);
  }
  for (; i < hi; i += G) acc(A.kind, s, fetch<LD>(d, base + i * sd, dt), i, c, A.p);
}

// a group of G threads (a warp or the block) per line, slice blockIdx.y of S
template <int LD, int G, typename I>
__global__ void k_rows(Lines L, OpArg A) {
  const bool FL = LD != LD_INT;
  int t = threadIdx.x % G;
  I m = (I)blockIdx.x * (I)(THREADS / G) + (I)(threadIdx.x / G);
  int slice = blockIdx.y;
  RS s = rs_init(A.kind, FL);
  bool live = (int64_t)m < L.M;
  if (live) {
    int64_t base = line_base<I>(L, m, NULL);
    int64_t lo = L.n * slice / A.S, hi = L.n * (slice + 1) / A.S;
    double c = A.cen ? A.cen[m] : 0;
    run_line<LD>(A, L, base, lo + t, hi, G, c, s);
  }
  if (G == 32) s = warp_reduce<FL>(A.kind, s);
  else s = block_reduce<FL>(A.kind, s);
  if (live && t == 0) emit<FL>(A, L.M, L.n, m, slice, s);
}

// a thread per line, slice blockIdx.y of S
template <int LD, typename I>
__global__ void k_cols(Lines L, OpArg A) {
  const bool FL = LD != LD_INT;
  I m = (I)blockIdx.x * (I)THREADS + (I)threadIdx.x;
  if ((int64_t)m >= L.M) return;
  int slice = blockIdx.y;
  RS s = rs_init(A.kind, FL);
  int64_t base = line_base<I>(L, m, NULL);
  int64_t lo = L.n * slice / A.S, hi = L.n * (slice + 1) / A.S;
  double c = A.cen ? A.cen[m] : 0;
  run_line<LD>(A, L, base, lo, hi, 1, c, s);
  emit<FL>(A, L.M, L.n, m, slice, s);
}

// the S partial states of each line, in order (a thread per line)
template <bool FL>
__global__ void k_merge(int64_t M, int64_t n, OpArg A) {
  int64_t m = (int64_t)blockIdx.x * THREADS + threadIdx.x;
  if (m >= M) return;
  RS s = A.part[m];
  for (int k = 1; k < A.S; k++) merge<FL>(A.kind, s, A.part[(int64_t)k * M + m]);
  finalize<FL>(A, n, m, s);
}
// the same with a block per line (many slices)
template <bool FL>
__global__ void k_merge_block(int64_t M, int64_t n, OpArg A) {
  int64_t m = blockIdx.x;
  RS s = rs_init(A.kind, FL);
  for (int k = threadIdx.x; k < A.S; k += THREADS) merge<FL>(A.kind, s, A.part[(int64_t)k * M + m]);
  s = block_reduce<FL>(A.kind, s);
  if (threadIdx.x == 0) finalize<FL>(A, n, m, s);
}

static int ld_of(int dt) {
  if (dt == LT_FLOAT32) return LD_F32;
  if (dt == LT_FLOAT64) return LD_F64;
  if (h_isfloat(dt)) return LD_GENF;
  return LD_INT;
}

#define TARGET_BLOCKS 1024

template <int LD, typename I>
static void launch_pass(const Lines &L, const OpArg &A, bool rows, int G, dim3 grid, cudaStream_t st) {
  if (!rows) k_cols<LD, I><<<grid, THREADS, 0, st>>>(L, A);
  else if (G == 32) k_rows<LD, 32, I><<<grid, THREADS, 0, st>>>(L, A);
  else k_rows<LD, THREADS, I><<<grid, THREADS, 0, st>>>(L, A);
}
template <int LD>
static void launch_pass_i(const Lines &L, const OpArg &A, bool rows, int G, dim3 grid, cudaStream_t st) {
  if (small_index(L.M)) launch_pass<LD, uint32_t>(L, A, rows, G, grid, st);
  else launch_pass<LD, int64_t>(L, A, rows, G, grid, st);
}

// one pass of A.kind over the lines of L (M > 0), ending as A.mode says
static int run_pass(const char *op, const Lines &L, OpArg A, int dev) {
  cudaStream_t st = lt_cu_stream(dev);
  int64_t M = L.M, n = L.n;
  // columns when the threads of a warp read neighbours (the innermost kept dim is
  // contiguous) and the reduced dim is not; rows otherwise
  bool cols_coalesced = L.K >= 1 && L.istr[L.K - 1] == 1;
  bool rows = n > 16 && (L.sd == 1 || M == 1 || !cols_coalesced);
  int G = n <= 1024 ? 32 : THREADS;
  int64_t base_blocks = rows ? (M + THREADS / G - 1) / (THREADS / G) : (M + THREADS - 1) / THREADS;
  int64_t S = 1;
  if (base_blocks < TARGET_BLOCKS) {
    int64_t per = rows ? (int64_t)G * 16 : 64;   // at least this many elements per slice
    S = LT_MIN((TARGET_BLOCKS + base_blocks - 1) / base_blocks, (n + per - 1) / per);
    S = LT_MAX(S, (int64_t)1);
  }
  if (base_blocks > 0x7fffffff) { seterr("%s: too many lines (%lld)", op, (long long)M); return -1; }
  A.S = (int)S;
  size_t pbytes = (size_t)S * (size_t)M * sizeof(RS);
  if (S > 1) {
    A.part = (RS *)lt_cu_alloc(pbytes, dev);
    if (!A.part) return -1;
  }
  dim3 grid((unsigned)base_blocks, (unsigned)S);
  int ld = ld_of(L.dt);
  switch (ld) {
  case LD_F32: launch_pass_i<LD_F32>(L, A, rows, G, grid, st); break;
  case LD_F64: launch_pass_i<LD_F64>(L, A, rows, G, grid, st); break;
  case LD_GENF: launch_pass_i<LD_GENF>(L, A, rows, G, grid, st); break;
  default: launch_pass_i<LD_INT>(L, A, rows, G, grid, st); break;
  }
  int rc = launched();
  if (rc == 0 && S > 1) {
    bool fl = ld != LD_INT;
    if (S >= 64 && M <= 65535) {
      if (fl) k_merge_block<true><<<(unsigned)M, THREADS, 0, st>>>(M, n, A);
      else k_merge_block<false><<<(unsigned)M, THREADS, 0, st>>>(M, n, A);
    } else {
      if (fl) k_merge<true><<<blocks(M), THREADS, 0, st>>>(M, n, A);
      else k_merge<false><<<blocks(M), THREADS, 0, st>>>(M, n, A);
    }
    rc = launched();
  }
  if (A.part) lt_cu_free(A.part, pbytes, dev);
  return rc;
}

static const char *rname(int op) {
  static const char *names[LT_NREDUCE] = {
    "sum", "mean", "prod", "max", "min", "std", "var", "norm", "all", "any", "logsumexp",
    "median", "kthvalue", "mode", "argmax", "argmin"};
  return (unsigned)op < LT_NREDUCE ? names[op] : "reduce";
}

// ---- median / kthvalue: a radix select per line (a block per line) ----

// keys in the order of reduce_select.c (NaN last, -0 == 0); value ties go by position
__device__ static inline uint64_t key_of(int dt, const char *p) {
  if (!isfl_d(dt)) {
    int64_t v = load_int(dt, p);
    return (uint64_t)v ^ 0x8000000000000000ull;
  }
  double x = load(dt, p);
  if (x != x) return ~0ull;
  if (x == 0) x = 0;
  uint64_t b = (uint64_t)__double_as_longlong(x);
  return (b & 0x8000000000000000ull) ? ~b : (b | 0x8000000000000000ull);
}

// line m: the element of rank k (0-based; median: k < 0, the middle one or the first NaN)
template <typename I>
__global__ void k_select(Lines L, int64_t k0, char *out, int64_t *oidx) {
  __shared__ unsigned hist[256];
  __shared__ uint64_t s_prefix;
  __shared__ int64_t s_k, s_found;
  __shared__ unsigned s_wcnt[THREADS / 32];
  I m = (I)blockIdx.x;
  int64_t base = line_base<I>(L, m, NULL);
  int64_t n = L.n, sd = L.sd;
  int es = esize(L.dt);
  const char *d = L.data;
  int64_t k = k0;
  if (k < 0) {   // median: the first NaN if there is one, else element (n-1)/2
    k = (n - 1) / 2;
    if (isfl_d(L.dt)) {
      int64_t nn = 0;
      for (int64_t i0 = 0; i0 < n; i0 += THREADS) {
        int64_t i = i0 + threadIdx.x;
        bool nan = false;
        if (i < n) { double x = load(L.dt, d + (base + i * sd) * es); nan = x != x; }
        nn += __syncthreads_count(nan);
      }
      if (nn > 0) k = n - nn;
    }
  }
  uint64_t prefix = 0, mask = 0;
  for (int shift = 56; shift >= 0; shift -= 8) {
    hist[threadIdx.x] = 0;   // THREADS == 256 bins
    __syncthreads();
    // the lanes of a warp with the same bin add once (floats share their top bytes)
    for (int64_t i0 = 0; i0 < n; i0 += THREADS) {
      int64_t i = i0 + threadIdx.x;
      unsigned bin = 256;
      if (i < n) {
        uint64_t key = key_of(L.dt, d + (base + i * sd) * es);
        if ((key & mask) == prefix) bin = (unsigned)(key >> shift) & 255u;
      }
      unsigned peers = __match_any_sync(0xffffffffu, bin);
      if (bin < 256 && (threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(&hist[bin], (unsigned)__popc(peers));
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      int64_t kk = k;
      int b = 0;
      for (; b < 255; b++) {
        if (kk < (int64_t)hist[b]) break;
        kk -= hist[b];
      }
      s_prefix = prefix | ((uint64_t)b << shift);
      s_k = kk;
    }
    __syncthreads();
    prefix = s_prefix;
    k = s_k;
    mask |= 255ull << shift;
    __syncthreads();
  }
  // the k-th element (by position) whose key is prefix
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  int64_t seen = 0;
  if (threadIdx.x == 0) s_found = -1;
  __syncthreads();
  for (int64_t i0 = 0; i0 < n; i0 += THREADS) {
    int64_t i = i0 + threadIdx.x;
    bool eq = i < n && key_of(L.dt, d + (base + i * sd) * es) == prefix;
    unsigned bal = __ballot_sync(0xffffffffu, eq);
    if (lane == 0) s_wcnt[w] = __popc(bal);
    __syncthreads();
    int64_t before = seen;
    for (int j = 0; j < w; j++) before += s_wcnt[j];
    before += __popc(bal & ((1u << lane) - 1u));
    if (eq && before == k) s_found = i;
    int64_t tot = 0;
    for (int j = 0; j < THREADS / 32; j++) tot += s_wcnt[j];
    seen += tot;
    __syncthreads();
    if (s_found >= 0 || seen > k) break;   // uniform: shared values after a barrier
  }
  if (threadIdx.x == 0) {
    int64_t i = s_found < 0 ? 0 : s_found;
    const char *p = d + (base + i * sd) * es;
    char *o = out + (int64_t)m * es;
    for (int b = 0; b < es; b++) o[b] = p[b];   // the element itself, in its dtype
    if (oidx) oidx[m] = i;
  }
}

static int run_select(const char *op, const Lines &L, int64_t k, char *out, int64_t *oidx, int dev) {
  if (L.M > 0x7fffffff) { seterr("%s: too many lines (%lld)", op, (long long)L.M); return -1; }
  cudaStream_t st = lt_cu_stream(dev);
  if (small_index(L.M)) k_select<uint32_t><<<(unsigned)L.M, THREADS, 0, st>>>(L, k, out, oidx);
  else k_select<int64_t><<<(unsigned)L.M, THREADS, 0, st>>>(L, k, out, oidx);
  return launched();
}

// ---- mode: a block per line, its keys sorted in shared memory (lines up to MODE_MAX) ----
#define MODE_MAX 4096
// line m: the most frequent value (the smallest of equally frequent ones) and its last
// position, as reduce_select.c's sort and count; P: a power of 2 >= n
template <typename I>
__global__ void k_mode(Lines L, int P, char *out, int64_t *oidx) {
  __shared__ uint64_t keys[MODE_MAX];
  __shared__ int64_t s_cnt[THREADS / 32];
  __shared__ uint64_t s_key[THREADS / 32];
  __shared__ uint64_t s_best;
  I m = (I)blockIdx.x;
  int64_t base = line_base<I>(L, m, NULL);
  int n = (int)L.n;
  int64_t sd = L.sd;
  int es = esize(L.dt);
  const char *d = L.data;
  for (int i = threadIdx.x; i < P; i += THREADS)
    keys[i] = i < n ? key_of(L.dt, d + (base + i * sd) * es) : ~0ull;
  __syncthreads();
  for (int k = 2; k <= P; k <<= 1) {       // bitonic sort, ascending
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < P; i += THREADS) {
        int ij = i ^ j;
        if (ij > i) {
          uint64_t a = keys[i], b = keys[ij];
          if ((i & k) == 0 ? a > b : a < b) { keys[i] = b; keys[ij] = a; }
        }
      }
      __syncthreads();
    }
  }
  // runs end where the next key differs; a run's start by binary search
  int64_t bc = 0;
  uint64_t bk = ~0ull;
  for (int e = threadIdx.x; e < n; e += THREADS) {
    uint64_t ke = keys[e];
    if (e + 1 < n && keys[e + 1] == ke) continue;
    int lo = 0, hi = e;
    while (lo < hi) {
      int mid = (lo + hi) >> 1;
      if (keys[mid] < ke) lo = mid + 1; else hi = mid;
    }
    int64_t cnt = e - lo + 1;
    if (cnt > bc || (cnt == bc && ke < bk)) { bc = cnt; bk = ke; }
  }
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  for (int off = 16; off > 0; off >>= 1) {
    int64_t oc = (int64_t)__shfl_down_sync(0xffffffffu, (long long)bc, off);
    uint64_t ok = (uint64_t)__shfl_down_sync(0xffffffffu, (unsigned long long)bk, off);
    if (oc > bc || (oc == bc && ok < bk)) { bc = oc; bk = ok; }
  }
  if (lane == 0) { s_cnt[w] = bc; s_key[w] = bk; }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int j = 1; j < THREADS / 32; j++)
      if (s_cnt[j] > bc || (s_cnt[j] == bc && s_key[j] < bk)) { bc = s_cnt[j]; bk = s_key[j]; }
    s_best = bk;
  }
  __syncthreads();
  bk = s_best;
  // the last position holding it
  int64_t last = -1;
  for (int i = threadIdx.x; i < n; i += THREADS)
    if (key_of(L.dt, d + (base + i * sd) * es) == bk) last = i;
  for (int off = 16; off > 0; off >>= 1) {
    int64_t o = (int64_t)__shfl_down_sync(0xffffffffu, (long long)last, off);
    last = o > last ? o : last;
  }
  __syncthreads();
  if (lane == 0) s_cnt[w] = last;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int j = 1; j < THREADS / 32; j++) last = s_cnt[j] > last ? s_cnt[j] : last;
    int64_t i = last < 0 ? 0 : last;
    const char *p = d + (base + i * sd) * es;
    char *o = out + (int64_t)m * es;
    for (int b = 0; b < es; b++) o[b] = p[b];
    if (oidx) oidx[m] = i;
  }
}

// 1: lines too long for k_mode (the engine computes on the CPU)
static int run_mode(const char *op, const Lines &L, char *out, int64_t *oidx, int dev) {
  if (L.n > MODE_MAX) return 1;
  if (L.M > 0x7fffffff) { seterr("%s: too many lines (%lld)", op, (long long)L.M); return -1; }
  int P = 1;
  while (P < L.n) P <<= 1;
  cudaStream_t st = lt_cu_stream(dev);
  if (small_index(L.M)) k_mode<uint32_t><<<(unsigned)L.M, THREADS, 0, st>>>(L, P, out, oidx);
  else k_mode<int64_t><<<(unsigned)L.M, THREADS, 0, st>>>(L, P, out, oidx);
  return launched();
}

// ---- the entries ----

static int r_reduce_dim(lt_reduce_op op, lt_tensor *vals, lt_tensor *idx, const lt_tensor *a, int dim, double param) {
  const char *name = rname(op);
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  Lines L;
  make_lines(L, a, dim, NULL);
  if (L.M == 0) return 0;
  if (op == LT_RMODE) return run_mode(name, L, h_data(vals), idx ? (int64_t *)h_data(idx) : NULL, dev);
  if (op == LT_RMEDIAN || op == LT_RKTHVALUE)
    return run_select(name, L, op == LT_RMEDIAN ? -1 : (int64_t)param - 1, h_data(vals),
                      idx ? (int64_t *)h_data(idx) : NULL, dev);
  OpArg A;
  memset(&A, 0, sizeof A);
  A.op = op;
  A.param = param;
  A.p = param;
  A.kind = lt_first_kind(op, param);
  A.out = h_data(vals);
  A.odt = vals->dtype;
  A.oidx = (op == LT_RMAX || op == LT_RMIN) && idx ? (int64_t *)h_data(idx) : NULL;
  int k2 = lt_second_kind(op);
  if (k2 < 0) {
    A.mode = EMIT_OUT;
    return run_pass(name, L, A, dev);
  }
  size_t cb = sizeof(double) * (size_t)L.M;
  double *cen = (double *)lt_cu_alloc(cb, dev);
  if (!cen) return -1;
  A.mode = EMIT_CEN;
  A.cenout = cen;
  int rc = run_pass(name, L, A, dev);
  if (rc == 0) {
    A.mode = EMIT_OUT;
    A.kind = k2;
    A.cen = cen;
    A.cenout = NULL;
    rc = run_pass(name, L, A, dev);
  }
  lt_cu_free(cen, cb, dev);
  return rc;
}

__global__ void k_gather(view_arg src, char *dst, int64_t n) {
  int es = esize(src.dtype);
  for (int64_t i = (int64_t)blockIdx.x * THREADS + threadIdx.x; i < n; i += (int64_t)gridDim.x * THREADS) {
    const char *p = at<int64_t>(src, i);
    for (int b = 0; b < es; b++) dst[i * es + b] = p[b];
  }
}

static int r_reduce_all(lt_reduce_op op, const lt_tensor *a, double param, double *rd, int64_t *ri) {
  const char *name = rname(op);
  if (op == LT_RMODE && h_numel(a) > MODE_MAX) return 1;   // the engine computes it on the CPU
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  int64_t n = h_numel(a);
  bool arg = op == LT_RARGMAX || op == LT_RARGMIN || op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE;
  // one line: dims of size 1 dropped, in memory order unless the op reports a position,
  // merged where memory allows; a copy in logical order when they don't all merge
  int nd = 0;
  int64_t sz[MAXDIM], sr[MAXDIM];
  for (int d = 0; d < a->ndim; d++)
    if (a->size[d] != 1) { sz[nd] = a->size[d]; sr[nd] = a->stride[d]; nd++; }
  if (!arg)
    for (int i = 1; i < nd; i++)
      for (int j = i; j > 0 && sr[j - 1] < sr[j]; j--) {
        int64_t t = sz[j]; sz[j] = sz[j - 1]; sz[j - 1] = t;
        t = sr[j]; sr[j] = sr[j - 1]; sr[j - 1] = t;
      }
  int w = 0;
  for (int d = 1; d < nd; d++) {
    if (sr[w] == sr[d] * sz[d]) { sz[w] *= sz[d]; sr[w] = sr[d]; }
    else { w++; sz[w] = sz[d]; sr[w] = sr[d]; }
  }
  Lines L;
  memset(&L, 0, sizeof L);
  L.dt = a->dtype;
  L.K = 0;
  L.M = 1;
  L.n = n;
  L.data = h_data(a);
  L.sd = nd ? sr[0] : 1;
  size_t es = h_esize(a->dtype), gb = 0;
  char *gathered = NULL;
  if (nd > 1 && w > 0) {
    gb = (size_t)n * es;
    gathered = (char *)lt_cu_alloc(gb, dev);
    if (!gathered) return -1;
    int64_t nb = LT_MIN((n + THREADS - 1) / THREADS, (int64_t)65535);
    k_gather<<<(unsigned)nb, THREADS, 0, st>>>(make_view(a), gathered, n);
    if (launched() < 0) { lt_cu_free(gathered, gb, dev); return -1; }
    L.data = gathered;
    L.sd = 1;
  }
  // scratch: the state, the centre, the selected element and its index
  struct Res { RS s; double c; char val[8]; int64_t idx; };
  Res *res = (Res *)lt_cu_alloc(sizeof(Res), dev);
  int rc = res ? 0 : -1;
  if (rc == 0 && (op == LT_RMEDIAN || op == LT_RKTHVALUE)) {
    rc = run_select(name, L, op == LT_RMEDIAN ? -1 : (int64_t)param - 1, res->val, &res->idx, dev);
  } else if (rc == 0 && op == LT_RMODE) {
    rc = run_mode(name, L, res->val, &res->idx, dev);   // n <= MODE_MAX: never 1
  } else if (rc == 0) {
    OpArg A;
    memset(&A, 0, sizeof A);
    A.op = op;
    A.param = param;
    A.p = param;
    A.kind = lt_first_kind(op, param);
    int k2 = lt_second_kind(op);
    if (k2 >= 0) {
      A.mode = EMIT_CEN;
      A.cenout = &res->c;
      rc = run_pass(name, L, A, dev);
      A.kind = k2;
      A.cen = &res->c;
      A.cenout = NULL;
    }
    A.mode = EMIT_RAW;
    A.raw = &res->s;
    if (rc == 0) rc = run_pass(name, L, A, dev);
  }
  Res h;
  memset(&h, 0, sizeof h);
  if (rc == 0) rc = check(cudaMemcpyAsync(&h, res, sizeof h, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync");
  if (rc == 0) rc = check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
  if (res) lt_cu_free(res, sizeof(Res), dev);
  if (gathered) lt_cu_free(gathered, gb, dev);
  if (rc < 0) return -1;
  bool fl = h_isfloat(a->dtype);
  if (op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE) {
    if (fl) {
      double v = 0;
      switch (a->dtype) {
      case LT_FLOAT32: { float f; memcpy(&f, h.val, 4); v = f; } break;
      case LT_FLOAT64: memcpy(&v, h.val, 8); break;
      case LT_FLOAT16: { uint16_t u; memcpy(&u, h.val, 2); v = lt_half_to_float(u); } break;
      default: { uint16_t u; memcpy(&u, h.val, 2); v = lt_bf16_to_float(u); } break;
      }
      *rd = v;
      *ri = v != v ? 0 : (int64_t)v;
    } else {
      int64_t v = 0;
      switch (a->dtype) {
      case LT_INT64: memcpy(&v, h.val, 8); break;
      case LT_INT32: { int32_t x; memcpy(&x, h.val, 4); v = x; } break;
      case LT_INT16: { int16_t x; memcpy(&x, h.val, 2); v = x; } break;
      case LT_INT8: v = (int8_t)h.val[0]; break;
      case LT_BOOL: v = h.val[0] != 0; break;
      default: v = (uint8_t)h.val[0]; break;
      }
      *rd = (double)v;
      *ri = v;
    }
    return 0;
  }
  if (op == LT_RARGMAX || op == LT_RARGMIN) {
    *ri = h.s.idx < 0 ? 0 : h.s.idx;
    *rd = (double)*ri;
    return 0;
  }
  if (fl) {
    *rd = finish(op, h.s.v, h.c, n, param);
    *ri = 0;
  } else {
    *rd = (double)h.s.i;
    *ri = h.s.i;
  }
  if (op == LT_RALL || op == LT_RANY) *ri = *rd != 0;
  return 0;
}

// ---- cumulative sums and products ----

template <typename V>
__device__ static inline V cop(bool prod, V a, V b);
template <>
__device__ inline double cop<double>(bool prod, double a, double b) { return prod ? a * b : a + b; }
template <>
__device__ inline int64_t cop<int64_t>(bool prod, int64_t a, int64_t b) {
  return (int64_t)(prod ? (uint64_t)a * (uint64_t)b : (uint64_t)a + (uint64_t)b);
}
template <typename V>
__device__ static inline void put(int dt, char *p, V v);
template <>
__device__ inline void put<double>(int dt, char *p, double v) { store(dt, p, v); }
template <>
__device__ inline void put<int64_t>(int dt, char *p, int64_t v) { store_i(dt, p, v); }

// a thread per line, in order
template <int LD, typename I>
__global__ void k_scan_cols(Lines L, char *out, int odt, bool prod) {
  typedef typename VT<LD>::T V;
  I m = (I)blockIdx.x * (I)THREADS + (I)threadIdx.x;
  if ((int64_t)m >= L.M) return;
  int64_t ob;
  int64_t ib = line_base<I>(L, m, &ob);
  int oes = esize(odt);
  V c = prod ? (V)1 : (V)0;
  for (int64_t i = 0; i < L.n; i++) {
    c = cop<V>(prod, c, fetch<LD>(L.data, ib + i * L.sd, L.dt));
    put<V>(odt, out + (ob + i * L.osd) * oes, c);
  }
}

#define SCAN_ITEMS 4
// a block per line: chunks of THREADS * SCAN_ITEMS elements, each thread scanning
// SCAN_ITEMS neighbours, the block scanning the threads' totals, a carry between chunks
template <int LD, typename I>
__global__ void k_scan_block(Lines L, char *out, int odt, bool prod) {
  typedef typename VT<LD>::T V;
  __shared__ V sh[THREADS / 32];
  I m = (I)blockIdx.x;
  int64_t ob;
  int64_t ib = line_base<I>(L, m, &ob);
  int oes = esize(odt);
  const V id = prod ? (V)1 : (V)0;
  V carry = id;
  int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  for (int64_t c0 = 0; c0 < L.n; c0 += THREADS * SCAN_ITEMS) {
    V x[SCAN_ITEMS];
    int64_t i0 = c0 + (int64_t)threadIdx.x * SCAN_ITEMS;
    V run = id;
#pragma unroll
    for (int j = 0; j < SCAN_ITEMS; j++) {
      V y = i0 + j < L.n ? fetch<LD>(L.data, ib + (i0 + j) * L.sd, L.dt) : id;
      run = cop<V>(prod, run, y);
      x[j] = run;
    }
    // inclusive scan of the threads' totals within the warp
    V incl = run;
    for (int off = 1; off < 32; off <<= 1) {
      V y = __shfl_up_sync(0xffffffffu, incl, off);
      if (lane >= off) incl = cop<V>(prod, y, incl);
    }
    V excl = __shfl_up_sync(0xffffffffu, incl, 1);
    if (lane == 0) excl = id;
    if (lane == 31) sh[w] = incl;
    __syncthreads();
    if (w == 0) {
      V t = lane < THREADS / 32 ? sh[lane] : id;
      for (int off = 1; off < THREADS / 32; off <<= 1) {
        V y = __shfl_up_sync(0xffffffffu, t, off);
        if (lane >= off) t = cop<V>(prod, y, t);
      }
      if (lane < THREADS / 32) sh[lane] = t;
    }
    __syncthreads();
    V before = cop<V>(prod, carry, cop<V>(prod, w > 0 ? sh[w - 1] : id, excl));
#pragma unroll
    for (int j = 0; j < SCAN_ITEMS; j++)
      if (i0 + j < L.n) put<V>(odt, out + (ob + (i0 + j) * L.osd) * oes, cop<V>(prod, before, x[j]));
    carry = cop<V>(prod, carry, sh[THREADS / 32 - 1]);
    __syncthreads();
  }
}

template <int LD, typename I>
static void launch_scan(const Lines &L, char *out, int odt, bool prod, bool block, cudaStream_t st) {
  if (block) k_scan_block<LD, I><<<(unsigned)L.M, THREADS, 0, st>>>(L, out, odt, prod);
  else k_scan_cols<LD, I><<<blocks(L.M), THREADS, 0, st>>>(L, out, odt, prod);
}
template <int LD>
static void launch_scan_i(const Lines &L, char *out, int odt, bool prod, bool block, cudaStream_t st) {
  if (small_index(L.M)) launch_scan<LD, uint32_t>(L, out, odt, prod, block, st);
  else launch_scan<LD, int64_t>(L, out, odt, prod, block, st);
}

static int r_cumulative(bool prod, lt_tensor *out, const lt_tensor *a, int dim) {
  const char *name = prod ? "cumprod" : "cumsum";
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  Lines L;
  make_lines(L, a, dim, out->stride);
  if (L.M == 0 || L.n == 0) return 0;
  // long lines (and contiguous ones, where a thread per line would not read coalesced)
  // get a block each
  bool block = (L.sd == 1 && L.n > 32) || (L.M < 2048 && L.n > 256);
  if (block && L.M > 0x7fffffff) { seterr("%s: too many lines (%lld)", name, (long long)L.M); return -1; }
  cudaStream_t st = lt_cu_stream(dev);
  char *o = h_data(out);
  int odt = out->dtype;
  int ld = ld_of(a->dtype);
  if (ld == LD_INT) launch_scan_i<LD_INT>(L, o, odt, prod, block, st);
  else if (ld == LD_F32) launch_scan_i<LD_F32>(L, o, odt, prod, block, st);
  else if (ld == LD_F64) launch_scan_i<LD_F64>(L, o, odt, prod, block, st);
  else launch_scan_i<LD_GENF>(L, o, odt, prod, block, st);
  return launched();
}

// ---- equal ----

__global__ void k_equal(view_arg a, view_arg b, int64_t n, bool fl, int *flag) {
  for (int64_t i = (int64_t)blockIdx.x * THREADS + threadIdx.x; i < n; i += (int64_t)gridDim.x * THREADS) {
    const char *p = at<int64_t>(a, i), *q = at<int64_t>(b, i);
    bool eq = fl ? load(a.dtype, p) == load(b.dtype, q) : load_int(a.dtype, p) == load_int(b.dtype, q);
    if (!eq) *flag = 0;
  }
}
__global__ void k_equal_f32(const float *a, const float *b, int64_t n, int *flag) {
  for (int64_t i = (int64_t)blockIdx.x * THREADS + threadIdx.x; i < n; i += (int64_t)gridDim.x * THREADS)
    if (!(a[i] == b[i])) *flag = 0;
}

static int r_equal(const lt_tensor *a, const lt_tensor *b, bool *result) {
  *result = false;
  int dev = a->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t st = lt_cu_stream(dev);
  int64_t n = h_numel(a);
  if (n == 0) { *result = true; return 0; }
  int *flag = (int *)lt_cu_alloc(sizeof(int), dev);
  if (!flag) return -1;
  int one = 1, h = 0;
  int rc = check(cudaMemcpyAsync(flag, &one, sizeof one, cudaMemcpyHostToDevice, st), "cudaMemcpyAsync");
  if (rc == 0) {
    unsigned nb = (unsigned)LT_MIN((n + THREADS - 1) / THREADS, (int64_t)4096);
    if (a->dtype == LT_FLOAT32 && b->dtype == LT_FLOAT32 && h_contig(a) && h_contig(b))
      k_equal_f32<<<nb, THREADS, 0, st>>>((const float *)h_data(a), (const float *)h_data(b), n, flag);
    else
      k_equal<<<nb, THREADS, 0, st>>>(make_view(a), make_view(b), n, h_isfloat(a->dtype) || h_isfloat(b->dtype), flag);
    rc = launched();
  }
  if (rc == 0) rc = check(cudaMemcpyAsync(&h, flag, sizeof h, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync");
  if (rc == 0) rc = check(cudaStreamSynchronize(st), "cudaStreamSynchronize");
  lt_cu_free(flag, sizeof(int), dev);
  if (rc < 0) return -1;
  *result = h != 0;
  return 0;
}

void lt_cuda_register_reduce(lt_backend *b) {
  b->reduce_all = r_reduce_all;
  b->reduce_dim = r_reduce_dim;
  b->cumulative = r_cumulative;
  b->equal = r_equal;
}
