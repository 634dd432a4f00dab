// spatial.cu: the CUDA kernels for convolution (im2col/col2im for cuBLAS), pooling, batch
// normalization and the index check of embedding. Entries of the backend table (internal.h,
// the "spatial" section) are filled in by lt_cuda_register_spatial, which backend.cu calls
// when the library is loaded. The engine (nn_conv.c, nn_spatial.c) checks
// the arguments, makes the operands contiguous and allocates the results; the kernels
// follow the CPU kernels' formulas and orders (tie rules, accumulation in double where the
// CPU accumulates in double).
#include "common.cuh"
#include <float.h>

// ---- small helpers ----
static view_arg opt_view(const lt_tensor *t) {
  if (t) return make_view(t);
  view_arg v;
  memset(&v, 0, sizeof v);
  return v;
}
// the address of element i of a 1-D-like view (any strides), as a C-element vector
__device__ static inline char *vec_at(const view_arg &v, int64_t i) { return at<int64_t>(v, i); }

__device__ static inline double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}
// the sum of v over the block (blockDim.x a multiple of 32), returned to every thread
__device__ static double block_sum(double v) {
  __shared__ double sh[32];
  v = warp_sum(v);
  int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  __syncthreads();  // the previous call's readers of sh[0] are done
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  if (wid == 0) {
    v = lane < (int)(blockDim.x >> 5) ? sh[lane] : 0.0;
    v = warp_sum(v);
    if (lane == 0) sh[0] = v;
  }
  __syncthreads();
  return sh[0];
}

// ====================================================================================
// convolutions: im2col / col2im + cuBLAS
// ====================================================================================
struct cgeom {
  int64_t N, C, H, W, K, Ho, Wo, kH, kW, sH, sW, pH, pW, dH, dW, G;
};

// col (nimg, C, kH, kW, Ho, Wo) from x (nimg, C, H, W), zeros where the window is in the
// padding; bt: col in (C, kH, kW, nimg, Ho, Wo) order instead (the images side by side
// along each row, for the weight gradient's single product over the batch)
template <typename T, typename I>
__global__ void k_im2col(const T *__restrict__ x, T *__restrict__ col, cgeom g, I nimg, bool bt, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I t = i;
  I ow = t % (I)g.Wo; t /= (I)g.Wo;
  I oh = t % (I)g.Ho; t /= (I)g.Ho;
  I kw = t % (I)g.kW; t /= (I)g.kW;
  I kh = t % (I)g.kH; t /= (I)g.kH;  // t = image * C + c
  int64_t ih = (int64_t)oh * g.sH - g.pH + (int64_t)kh * g.dH;
  int64_t iw = (int64_t)ow * g.sW - g.pW + (int64_t)kw * g.dW;
  T v = 0;
  if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) v = x[((int64_t)t * g.H + ih) * g.W + iw];
  I dst = i;
  if (bt) {
    I img = t / (I)g.C, c = t - img * (I)g.C;
    I row = (c * (I)g.kH + kh) * (I)g.kW + kw;
    dst = ((row * nimg + img) * (I)g.Ho + oh) * (I)g.Wo + ow;
  }
  col[dst] = v;
}

// dst (K, nimg, L) from src (nimg, K, L)
template <typename T, typename I>
__global__ void k_batch_inner(const T *__restrict__ src, T *__restrict__ dst, I nimg, I K, I L, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I p = i % L, t = i / L;
  I k = t % K, img = t / K;
  dst[(k * nimg + img) * L + p] = src[i];
}

// x (nb, C, H, W) = bias[c] (or 0) + the entries of col that came from each position, added
// in the CPU's order (kh, then kw)
template <typename T, typename I>
__global__ void k_col2im(const T *__restrict__ col, T *__restrict__ x, const T *__restrict__ bias, cgeom g, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I t = i;
  I w = t % (I)g.W; t /= (I)g.W;
  I h = t % (I)g.H; t /= (I)g.H;  // t = image * C + c
  I c = t % (I)g.C;
  T s = bias ? bias[c] : T(0);
  int64_t HoWo = g.Ho * g.Wo, kk = g.kH * g.kW;
  const T *cp = col + (int64_t)t * kk * HoWo;
  for (int64_t kh = 0; kh < g.kH; kh++) {
    int64_t th = (int64_t)h + g.pH - kh * g.dH;
    if (th < 0) break;  // only decreases with kh
    if (th % g.sH) continue;
    int64_t oh = th / g.sH;
    if (oh >= g.Ho) continue;
    for (int64_t kw = 0; kw < g.kW; kw++) {
      int64_t tw = (int64_t)w + g.pW - kw * g.dW;
      if (tw < 0) break;
      if (tw % g.sW) continue;
      int64_t ow = tw / g.sW;
      if (ow >= g.Wo) continue;
      s += cp[(kh * g.kW + kw) * HoWo + oh * g.Wo + ow];
    }
  }
  x[i] = s;
}

// rows of y (rows of len elements, rows = images * nb) set to bias[row % nb]
template <typename T, typename I>
__global__ void k_fill_rows(T *__restrict__ y, const T *__restrict__ bias, I nb, I len, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  y[i] = bias ? bias[(i / len) % nb] : T(0);
}

template <typename T>
static cublasStatus_t gemm_sb(cublasHandle_t h, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                              const T *A, int64_t lda, int64_t sa, const T *B, int64_t ldb, int64_t sb,
                              T beta, T *C, int64_t ldc, int64_t sc, int64_t batch);
template <>
cublasStatus_t gemm_sb<float>(cublasHandle_t h, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                              const float *A, int64_t lda, int64_t sa, const float *B, int64_t ldb,
                              int64_t sb, float beta, float *C, int64_t ldc, int64_t sc, int64_t batch) {
  // row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T (as backend.cu)
  float one = 1;
  return cublasSgemmStridedBatched(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                                   (int)n, (int)m, (int)k, &one, B, (int)ldb, sb, A, (int)lda, sa, &beta,
                                   C, (int)ldc, sc, (int)batch);
}
template <>
cublasStatus_t gemm_sb<double>(cublasHandle_t h, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                               const double *A, int64_t lda, int64_t sa, const double *B, int64_t ldb,
                               int64_t sb, double beta, double *C, int64_t ldc, int64_t sc, int64_t batch) {
  double one = 1;
  return cublasDgemmStridedBatched(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                                   (int)n, (int)m, (int)k, &one, B, (int)ldb, sb, A, (int)lda, sa, &beta,
                                   C, (int)ldc, sc, (int)batch);
}

// the products of nn images x G groups: operand X of image i, group gr at X + i*sXn + gr*sXg.
// One strided-batched call per group (batched over images) or per image (batched over
// groups), whichever makes fewer calls.
template <typename T>
static int gemm_grid(cublasHandle_t h, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                     const T *A, int64_t lda, int64_t sAn, int64_t sAg,
                     const T *B, int64_t ldb, int64_t sBn, int64_t sBg, T beta,
                     T *C, int64_t ldc, int64_t sCn, int64_t sCg, int64_t nn, int64_t G) {
  cublasStatus_t st = CUBLAS_STATUS_SUCCESS;
  if (G <= nn) {
    for (int64_t gr = 0; gr < G && st == CUBLAS_STATUS_SUCCESS; gr++)
      st = gemm_sb<T>(h, ta, tb, m, n, k, A + gr * sAg, lda, sAn, B + gr * sBg, ldb, sBn, beta,
                      C + gr * sCg, ldc, sCn, nn);
  } else {
    for (int64_t i = 0; i < nn && st == CUBLAS_STATUS_SUCCESS; i++)
      st = gemm_sb<T>(h, ta, tb, m, n, k, A + i * sAn, lda, sAg, B + i * sBn, ldb, sBg, beta,
                      C + i * sCn, ldc, sCg, G);
  }
  if (st != CUBLAS_STATUS_SUCCESS) {
    seterr("conv2d: cuBLAS gemm failed (status %d)", (int)st);
    return -1;
  }
  return 0;
}

#define COL_BYTES ((int64_t)256 << 20)  // bound on the unfolded-input buffer

template <typename T>
static int conv_run(int kind, const cgeom &g, T *out, const T *a, const T *b, const T *bias, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  cublasHandle_t h = lt_cu_blas(dev);
  if (!h) return -1;
  if (cublasSetStream(h, s) != CUBLAS_STATUS_SUCCESS) {
    seterr("conv2d: cublasSetStream failed");
    return -1;
  }
  const int64_t HoWo = g.Ho * g.Wo, HW = g.H * g.W, kk = g.kH * g.kW;
  const int64_t Kg = g.K / g.G, Cg = g.C / g.G, ckk = Cg * kk;
  const bool direct = g.kH == 1 && g.kW == 1 && g.sH == 1 && g.sW == 1 && g.pH == 0 && g.pW == 0;
  const int64_t colimg = g.C * kk * HoWo;  // one image's columns
  // images per chunk: the columns (and, for the weight gradient, y's gradient reordered)
  // within COL_BYTES each
  const bool need_col = !direct || kind == 2;
  int64_t nb = g.N;
  if (need_col && colimg > 0) nb = COL_BYTES / (colimg * (int64_t)sizeof(T));
  if (kind == 2 && g.K * HoWo > 0 && COL_BYTES / (g.K * HoWo * (int64_t)sizeof(T)) < nb)
    nb = COL_BYTES / (g.K * HoWo * (int64_t)sizeof(T));
  if (nb > g.N) nb = g.N;
  if (nb < 1) nb = 1;

  // outputs that are only the bias (or zero): empty contractions
  if (kind == 0 && (ckk == 0 || HoWo == 0)) {
    int64_t n = g.N * g.K * HoWo;
    if (n) {
      k_fill_rows<T, int64_t><<<blocks(n), THREADS, 0, s>>>(out, bias, g.K, HoWo, n);
      if (launched() < 0) return -1;
    }
    return 0;
  }
  if (kind == 1 && (Kg == 0 || HoWo == 0)) {
    int64_t n = g.N * g.C * HW;
    if (n) {
      k_fill_rows<T, int64_t><<<blocks(n), THREADS, 0, s>>>(out, bias, g.C, HW, n);
      if (launched() < 0) return -1;
    }
    return 0;
  }
  if (kind == 2 && (g.N == 0 || HoWo == 0 || ckk == 0 || Kg == 0)) {
    int64_t n = g.K * ckk;
    if (n) return check(cudaMemsetAsync(out, 0, sizeof(T) * (size_t)n, s), "cudaMemsetAsync");
    return 0;
  }
  if (g.N == 0) return 0;

  T *col = NULL, *gyt = NULL;
  size_t colbytes = 0, gybytes = 0;
  if (need_col) {
    colbytes = sizeof(T) * (size_t)(nb * colimg);
    col = (T *)lt_cu_alloc(colbytes, dev);
    if (!col) return -1;
  }
  if (kind == 2) {
    gybytes = sizeof(T) * (size_t)(nb * g.K * HoWo);
    gyt = (T *)lt_cu_alloc(gybytes, dev);
    if (!gyt) { lt_cu_free(col, colbytes, dev); return -1; }
  }
  int rc = 0;
  if (kind == 0 && bias) {  // y = bias, then the products add to it (the CPU's order)
    int64_t n = g.N * g.K * HoWo;
    if (small_index(n)) k_fill_rows<T, uint32_t><<<blocks(n), THREADS, 0, s>>>(out, bias, (uint32_t)g.K, (uint32_t)HoWo, (uint32_t)n);
    else k_fill_rows<T, int64_t><<<blocks(n), THREADS, 0, s>>>(out, bias, g.K, HoWo, n);
    rc = launched();
  }
  if (kind == 1 && direct && bias) {
    int64_t n = g.N * g.C * HW;
    if (small_index(n)) k_fill_rows<T, uint32_t><<<blocks(n), THREADS, 0, s>>>(out, bias, (uint32_t)g.C, (uint32_t)HW, (uint32_t)n);
    else k_fill_rows<T, int64_t><<<blocks(n), THREADS, 0, s>>>(out, bias, g.C, HW, n);
    rc = launched();
  }
  const T beta_b = bias ? T(1) : T(0);
  for (int64_t n0 = 0; n0 < g.N && rc == 0; n0 += nb) {
    int64_t nn = g.N - n0 < nb ? g.N - n0 : nb;
    if (kind == 0 || kind == 2) {
      const T *x = a + n0 * g.C * HW;
      const T *cols = x;
      const bool bt = kind == 2;
      if (need_col) {
        int64_t n = nn * colimg;
        if (small_index(n)) k_im2col<T, uint32_t><<<blocks(n), THREADS, 0, s>>>(x, col, g, (uint32_t)nn, bt, (uint32_t)n);
        else k_im2col<T, int64_t><<<blocks(n), THREADS, 0, s>>>(x, col, g, nn, bt, n);
        if ((rc = launched()) < 0) break;
        cols = col;
      }
      if (kind == 0) {
        // y[i, gr] (Kg x HoWo) = W_gr (Kg x ckk) cols[i, gr] (ckk x HoWo)
        rc = gemm_grid<T>(h, false, false, Kg, HoWo, ckk, b, ckk, 0, Kg * ckk, cols, HoWo, colimg, ckk * HoWo,
                          beta_b, out + n0 * g.K * HoWo, HoWo, g.K * HoWo, Kg * HoWo, nn, g.G);
      } else {
        // y's gradient reordered to (K, nn, HoWo): then with L = nn HoWo, one product per
        // group over the whole chunk: dW_gr (Kg x ckk) (+)= gyt_gr (Kg x L) cols_gr^T (L x ckk)
        const T *gy = b + n0 * g.K * HoWo;
        int64_t n = nn * g.K * HoWo, L = nn * HoWo;
        if (small_index(n))
          k_batch_inner<T, uint32_t><<<blocks(n), THREADS, 0, s>>>(gy, gyt, (uint32_t)nn, (uint32_t)g.K, (uint32_t)HoWo, (uint32_t)n);
        else k_batch_inner<T, int64_t><<<blocks(n), THREADS, 0, s>>>(gy, gyt, nn, g.K, HoWo, n);
        if ((rc = launched()) < 0) break;
        if (L > 2147483647LL) { seterr("conv2dWeight: sizes too large"); rc = -1; break; }
        rc = gemm_grid<T>(h, false, true, Kg, ckk, L, gyt, L, 0, Kg * L, cols, L, 0, ckk * L,
                          n0 ? T(1) : T(0), out, ckk, 0, Kg * ckk, 1, g.G);
      }
    } else {
      const T *y = a + n0 * g.K * HoWo;
      T *x = out + n0 * g.C * HW;
      if (direct) {
        // x[i, gr] (Cg x HW) = W_gr^T (Cg x Kg) y[i, gr] (Kg x HoWo) (+ bias already there)
        rc = gemm_grid<T>(h, true, false, Cg, HW, Kg, b, ckk, 0, Kg * ckk, y, HoWo, g.K * HoWo, Kg * HoWo,
                          beta_b, x, HW, g.C * HW, Cg * HW, nn, g.G);
      } else {
        // cols[i, gr] (ckk x HoWo) = W_gr^T (ckk x Kg) y[i, gr], folded back into x
        rc = gemm_grid<T>(h, true, false, ckk, HoWo, Kg, b, ckk, 0, Kg * ckk, y, HoWo, g.K * HoWo, Kg * HoWo,
                          T(0), col, HoWo, colimg, ckk * HoWo, nn, g.G);
        if (rc < 0) break;
        int64_t n = nn * g.C * HW;
        if (small_index(n)) k_col2im<T, uint32_t><<<blocks(n), THREADS, 0, s>>>(col, x, bias, g, (uint32_t)n);
        else k_col2im<T, int64_t><<<blocks(n), THREADS, 0, s>>>(col, x, bias, g, n);
        rc = launched();
      }
    }
  }
  // the scratch buffer goes back to the cache; later kernels on the same stream are ordered
  if (col) lt_cu_free(col, colbytes, dev);
  if (gyt) lt_cu_free(gyt, gybytes, dev);
  return rc;
}

static int c_conv2d(int kind, const int64_t *geom, lt_tensor *out, const lt_tensor *a, const lt_tensor *b,
                    const lt_tensor *bias) {
  cgeom g;
  g.N = geom[0]; g.C = geom[1]; g.H = geom[2]; g.W = geom[3]; g.K = geom[4]; g.Ho = geom[5]; g.Wo = geom[6];
  g.kH = geom[7]; g.kW = geom[8]; g.sH = geom[9]; g.sW = geom[10]; g.pH = geom[11]; g.pW = geom[12];
  g.dH = geom[13]; g.dW = geom[14]; g.G = geom[15];
  int dev = out->device.index;
  if (set_device(dev) < 0) return -1;
  if (out->dtype == LT_FLOAT32)
    return conv_run<float>(kind, g, (float *)h_data(out), (const float *)h_data(a), (const float *)h_data(b),
                           bias ? (const float *)h_data(bias) : NULL, dev);
  if (out->dtype == LT_FLOAT64)
    return conv_run<double>(kind, g, (double *)h_data(out), (const double *)h_data(a), (const double *)h_data(b),
                            bias ? (const double *)h_data(bias) : NULL, dev);
  seterr("conv2d: unsupported dtype on CUDA");
  return -1;
}

// ====================================================================================
// pooling
// ====================================================================================
struct pgeom {
  int64_t kW, kH, dW, dH, pW, pH, P, H, W, oH, oW;
};
static pgeom pgeom_of(const int64_t *v) {
  pgeom g = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
  return g;
}

// the maximum of each window and its flat position in the plane: the first maximum in
// row-major order, a NaN taking over (the CPU's rule: a later NaN wins too)
template <typename T, typename I>
__global__ void k_maxpool(const T *__restrict__ x, T *__restrict__ y, int64_t *__restrict__ ix, pgeom g, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I t = i;
  I ow = t % (I)g.oW; t /= (I)g.oW;
  I oh = t % (I)g.oH; t /= (I)g.oH;  // t: the plane
  int64_t h0 = (int64_t)oh * g.dH - g.pH, w0 = (int64_t)ow * g.dW - g.pW;
  int64_t h1 = h0 + g.kH < g.H ? h0 + g.kH : g.H, w1 = w0 + g.kW < g.W ? w0 + g.kW : g.W;
  if (h0 < 0) h0 = 0;
  if (w0 < 0) w0 = 0;
  const T *xp = x + (int64_t)t * g.H * g.W;
  T best = -INFINITY;
  int64_t bi = h0 * g.W + w0;
  for (int64_t hh = h0; hh < h1; hh++)
    for (int64_t ww = w0; ww < w1; ww++) {
      T v = xp[hh * g.W + ww];
      if (v > best || v != v) { best = v; bi = hh * g.W + ww; }
    }
  y[i] = best;
  ix[i] = bi;
}

// gi at (h, w) = the sum of go over the windows whose argmax is (h, w), added in (oh, ow)
// order: the CPU's scatter_add order, so the sums match it bit for bit (no atomics; every
// element of gi is written)
template <typename T, typename I>
__global__ void k_maxpool_bw(T *__restrict__ gi, const T *__restrict__ go, const int64_t *__restrict__ ix,
                             pgeom g, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I t = i;
  I w = t % (I)g.W; t /= (I)g.W;
  I h = t % (I)g.H; t /= (I)g.H;  // t: the plane
  const T *gp = go + (int64_t)t * g.oH * g.oW;
  const int64_t *ip = ix + (int64_t)t * g.oH * g.oW;
  // the windows (start o*d - pad, k wide) holding (h, w); the argmax lies in its window
  int64_t oh0 = (int64_t)h + g.pH - g.kH < 0 ? 0 : ((int64_t)h + g.pH - g.kH) / g.dH + 1;
  int64_t oh1 = ((int64_t)h + g.pH) / g.dH;
  int64_t ow0 = (int64_t)w + g.pW - g.kW < 0 ? 0 : ((int64_t)w + g.pW - g.kW) / g.dW + 1;
  int64_t ow1 = ((int64_t)w + g.pW) / g.dW;
  if (oh1 > g.oH - 1) oh1 = g.oH - 1;
  if (ow1 > g.oW - 1) ow1 = g.oW - 1;
  const int64_t pos = (int64_t)h * g.W + w;
  T s = 0;
  for (int64_t oh = oh0; oh <= oh1; oh++)
    for (int64_t ow = ow0; ow <= ow1; ow++)
      if (ip[oh * g.oW + ow] == pos) s += gp[oh * g.oW + ow];
  gi[i] = s;
}

template <typename T, typename I>
__global__ void k_avgpool(const T *__restrict__ x, T *__restrict__ y, pgeom g, bool cip, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I t = i;
  I ow = t % (I)g.oW; t /= (I)g.oW;
  I oh = t % (I)g.oH; t /= (I)g.oH;
  int64_t h0, h1, w0, w1;
  int64_t pool = lt_avg_pool_window(oh, g.H, g.kH, g.dH, g.pH, &h0, &h1) *
                 lt_avg_pool_window(ow, g.W, g.kW, g.dW, g.pW, &w0, &w1);
  int64_t div = cip ? pool : (h1 - h0) * (w1 - w0);
  if (div <= 0) div = 1;
  const T *xp = x + (int64_t)t * g.H * g.W;
  double s = 0;
  for (int64_t hh = h0; hh < h1; hh++)
    for (int64_t ww = w0; ww < w1; ww++) s += xp[hh * g.W + ww];
  y[i] = (T)(s / (double)div);
}

// gi at (h, w) = the sum, over the windows holding it in (oh, ow) order (the CPU's order of
// its scattered additions), of go / divisor rounded to T
template <typename T, typename I>
__global__ void k_avgpool_bw(T *__restrict__ gi, const T *__restrict__ go, pgeom g, bool cip, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I t = i;
  I w = t % (I)g.W; t /= (I)g.W;
  I h = t % (I)g.H; t /= (I)g.H;
  const T *gp = go + (int64_t)t * g.oH * g.oW;
  // windows start at o*d - pad: those with start <= h < start + k
  int64_t oh0 = (int64_t)h + g.pH - g.kH < 0 ? 0 : ((int64_t)h + g.pH - g.kH) / g.dH + 1;
  int64_t oh1 = ((int64_t)h + g.pH) / g.dH;
  int64_t ow0 = (int64_t)w + g.pW - g.kW < 0 ? 0 : ((int64_t)w + g.pW - g.kW) / g.dW + 1;
  int64_t ow1 = ((int64_t)w + g.pW) / g.dW;
  if (oh1 > g.oH - 1) oh1 = g.oH - 1;
  if (ow1 > g.oW - 1) ow1 = g.oW - 1;
  T s = 0;
  for (int64_t oh = oh0; oh <= oh1; oh++) {
    int64_t h0, h1;
    int64_t ph = lt_avg_pool_window(oh, g.H, g.kH, g.dH, g.pH, &h0, &h1);
    if (h < h0 || h >= h1) continue;
    for (int64_t ow = ow0; ow <= ow1; ow++) {
      int64_t w0, w1;
      int64_t pw = lt_avg_pool_window(ow, g.W, g.kW, g.dW, g.pW, &w0, &w1);
      if (w < w0 || w >= w1) continue;
      int64_t div = cip ? ph * pw : (h1 - h0) * (w1 - w0);
      if (div <= 0) div = 1;
      s += (T)(gp[oh * g.oW + ow] / (double)div);
    }
  }
  gi[i] = s;
}

#define POOL_LAUNCH(KERNEL, n, ...)                                                              \
  do {                                                                                           \
    if (small_index(n)) KERNEL<T, uint32_t><<<blocks(n), THREADS, 0, s>>>(__VA_ARGS__, (uint32_t)(n)); \
    else KERNEL<T, int64_t><<<blocks(n), THREADS, 0, s>>>(__VA_ARGS__, (int64_t)(n));            \
  } while (0)

template <typename T>
static int maxpool_run(const pgeom &g, lt_tensor *y, lt_tensor *ix, const lt_tensor *x, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  int64_t n = g.P * g.oH * g.oW;
  if (n == 0) return 0;
  POOL_LAUNCH(k_maxpool, n, (const T *)h_data(x), (T *)h_data(y), (int64_t *)h_data(ix), g);
  return launched();
}
template <typename T>
static int maxpool_bw_run(const pgeom &g, lt_tensor *gi, const lt_tensor *go, const lt_tensor *ix, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  int64_t n = g.P * g.H * g.W;
  if (n == 0) return 0;
  POOL_LAUNCH(k_maxpool_bw, n, (T *)h_data(gi), (const T *)h_data(go), (const int64_t *)h_data(ix), g);
  return launched();
}
template <typename T>
static int avgpool_run(const pgeom &g, bool cip, lt_tensor *y, const lt_tensor *x, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  int64_t n = g.P * g.oH * g.oW;
  if (n == 0) return 0;
  POOL_LAUNCH(k_avgpool, n, (const T *)h_data(x), (T *)h_data(y), g, cip);
  return launched();
}
template <typename T>
static int avgpool_bw_run(const pgeom &g, bool cip, lt_tensor *gi, const lt_tensor *go, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  int64_t n = g.P * g.H * g.W;
  if (n == 0) return 0;
  POOL_LAUNCH(k_avgpool_bw, n, (T *)h_data(gi), (const T *)h_data(go), g, cip);
  return launched();
}

static int float_dtype(const char *op, int dt) {
  if (dt == LT_FLOAT32) return 0;
  if (dt == LT_FLOAT64) return 1;
  seterr("%s: unsupported dtype on CUDA", op);
  return -1;
}

static int c_max_pool2d(const int64_t *geom, lt_tensor *y, lt_tensor *ix, const lt_tensor *x) {
  int k = float_dtype("maxPool2d", x->dtype), dev = x->device.index;
  if (k < 0 || set_device(dev) < 0) return -1;
  pgeom g = pgeom_of(geom);
  return k ? maxpool_run<double>(g, y, ix, x, dev) : maxpool_run<float>(g, y, ix, x, dev);
}
static int c_max_pool2d_backward(const int64_t *geom, lt_tensor *gi, const lt_tensor *go, const lt_tensor *ix) {
  int k = float_dtype("maxPool2d backward", gi->dtype), dev = gi->device.index;
  if (k < 0 || set_device(dev) < 0) return -1;
  pgeom g = pgeom_of(geom);
  return k ? maxpool_bw_run<double>(g, gi, go, ix, dev) : maxpool_bw_run<float>(g, gi, go, ix, dev);
}
static int c_avg_pool2d(const int64_t *geom, bool cip, lt_tensor *y, const lt_tensor *x) {
  int k = float_dtype("avgPool2d", x->dtype), dev = x->device.index;
  if (k < 0 || set_device(dev) < 0) return -1;
  pgeom g = pgeom_of(geom);
  return k ? avgpool_run<double>(g, cip, y, x, dev) : avgpool_run<float>(g, cip, y, x, dev);
}
static int c_avg_pool2d_backward(const int64_t *geom, bool cip, lt_tensor *gi, const lt_tensor *go) {
  int k = float_dtype("avgPool2dBackward", gi->dtype), dev = gi->device.index;
  if (k < 0 || set_device(dev) < 0) return -1;
  pgeom g = pgeom_of(geom);
  return k ? avgpool_bw_run<double>(g, cip, gi, go, dev) : avgpool_bw_run<float>(g, cip, gi, go, dev);
}

// ====================================================================================
// batch normalization: one block per channel for the statistics, then elementwise
// ====================================================================================
struct bn_sizes {
  int64_t N, C, S, M;
};

// the channel c's sum of f(k) over the flat positions k of its N*S values in an (N, C, S)
// contiguous tensor, returned to every thread of the block
template <typename F>
__device__ static double chan_sum(const bn_sizes &b, int64_t c, const F &f) {
  double acc = 0;
  if (b.S >= 32) {
    for (int64_t n = 0; n < b.N; n++) {
      int64_t base = (n * b.C + c) * b.S;
      for (int64_t i = threadIdx.x; i < b.S; i += blockDim.x) acc += f(base + i);
    }
  } else {
    for (int64_t j = threadIdx.x; j < b.M; j += blockDim.x) {
      int64_t n = j / b.S, i = j - n * b.S;
      acc += f((n * b.C + c) * b.S + i);
    }
  }
  return block_sum(acc);
}
template <typename T>
struct f_val {
  const T *x;
  __device__ double operator()(int64_t k) const { return (double)x[k]; }
};
template <typename T>
struct f_sqdev {
  const T *x;
  double m;
  __device__ double operator()(int64_t k) const {
    double d = (double)x[k] - m;
    return d * d;
  }
};
template <typename T>
struct f_gdev {
  const T *x, *g;
  double m;
  __device__ double operator()(int64_t k) const { return (double)g[k] * ((double)x[k] - m); }
};

// per channel: the statistics (batch ones in training, running ones in evaluation), the
// running buffers' update, the saved mean/invstd and the affine map y = x * sc + sh
#define RED_MAX 1024  // threads of the per-channel reductions (block_sum handles up to 32 warps)
// a block per channel: more threads when a channel has many values
static unsigned red_threads(int64_t M) { return M >= 65536 ? RED_MAX : THREADS; }

template <typename T>
__global__ void __launch_bounds__(RED_MAX) k_bn_prepare(const T *__restrict__ x, bn_sizes b, view_arg rm, view_arg rv, view_arg w,
                             view_arg bias, view_arg sm, view_arg si, bool training, double momentum,
                             double eps, double *__restrict__ coef) {
  int64_t c = blockIdx.x;
  double mean = 0, var = 0;
  if (training) {
    mean = chan_sum(b, c, f_val<T>{x}) / (double)b.M;
    var = chan_sum(b, c, f_sqdev<T>{x, mean}) / (double)b.M;
  }
  if (threadIdx.x != 0) return;
  if (training) {
    if (rm.data) {
      char *pm = vec_at(rm, c), *pv = vec_at(rv, c);
      store(rm.dtype, pm, (1 - momentum) * load(rm.dtype, pm) + momentum * mean);
      double unb = var * ((double)b.M / (double)(b.M - 1));
      store(rv.dtype, pv, (1 - momentum) * load(rv.dtype, pv) + momentum * unb);
    }
  } else {
    mean = load(rm.dtype, vec_at(rm, c));
    var = load(rv.dtype, vec_at(rv, c));
  }
  double invstd = lt_bn_invstd(var, eps);
  double wv = w.data ? load(w.dtype, vec_at(w, c)) : 1.0, bv = bias.data ? load(bias.dtype, vec_at(bias, c)) : 0.0;
  if (sm.data) store(sm.dtype, vec_at(sm, c), mean);
  if (si.data) store(si.dtype, vec_at(si, c), invstd);
  double sc = invstd * wv;
  coef[c] = sc;
  coef[b.C + c] = bv - mean * sc;
}

template <typename T, typename I>
__global__ void k_bn_apply(const T *__restrict__ x, T *__restrict__ y, const double *__restrict__ coef, I C, I S, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I c = (i / S) % C;
  T sc = (T)coef[c], sh = (T)coef[C + c];
  y[i] = x[i] * sc + sh;
}

// per channel: sg = sum g, sgx = sum g (x - mean) * invstd; dw, db; the dx coefficients
template <typename T>
__global__ void __launch_bounds__(RED_MAX) k_bn_bw_sums(const T *__restrict__ x, const T *__restrict__ g, bn_sizes b, view_arg w,
                             view_arg mean, view_arg invstd, view_arg dw, view_arg db, bool training,
                             double *__restrict__ coef) {
  int64_t c = blockIdx.x;
  double m = load(mean.dtype, vec_at(mean, c)), is = load(invstd.dtype, vec_at(invstd, c));
  double s1 = chan_sum(b, c, f_val<T>{g});
  double s2 = chan_sum(b, c, f_gdev<T>{x, g, m});
  if (threadIdx.x != 0) return;
  double sgx = s2 * is;
  if (dw.data) store(dw.dtype, vec_at(dw, c), sgx);
  if (db.data) store(db.dtype, vec_at(db, c), s1);
  double wv = w.data ? load(w.dtype, vec_at(w, c)) : 1.0;
  double kk = wv * is, a = 0, q = 0;
  if (training) {
    a = s1 / (double)b.M;
    q = sgx / (double)b.M * is;
  }
  coef[c] = kk;
  coef[b.C + c] = a;
  coef[2 * b.C + c] = m;
  coef[3 * b.C + c] = q;
}

// dx = k (g - a - (x - mean) q)
template <typename T, typename I>
__global__ void k_bn_bw_dx(const T *__restrict__ x, const T *__restrict__ g, T *__restrict__ dx,
                           const double *__restrict__ coef, I C, I S, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  I c = (i / S) % C;
  double kk = coef[c], a = coef[C + c], m = coef[2 * C + c], q = coef[3 * C + c];
  dx[i] = (T)(kk * ((double)g[i] - a - ((double)x[i] - m) * q));
}

// out[c] = the sum of channel c (conv2d's bias gradient)
template <typename T>
__global__ void __launch_bounds__(RED_MAX) k_channel_sum(const T *__restrict__ g, bn_sizes b, view_arg out) {
  double s = chan_sum(b, blockIdx.x, f_val<T>{g});
  if (threadIdx.x == 0) store(out.dtype, vec_at(out, blockIdx.x), s);
}

static bn_sizes bn_sizes_of(const lt_tensor *x) {
  bn_sizes b;
  b.N = x->size[0];
  b.C = x->size[1];
  b.S = 1;
  for (int i = 2; i < x->ndim; i++) b.S *= x->size[i];
  b.M = b.N * b.S;
  return b;
}

template <typename T>
static int bn_run(lt_tensor *y, lt_tensor *sm, lt_tensor *si, const lt_tensor *x, lt_tensor *rm, lt_tensor *rv,
                  const lt_tensor *w, const lt_tensor *bias, bool training, double momentum, double eps, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  bn_sizes b = bn_sizes_of(x);
  if (b.C == 0) return 0;
  if (b.C > 2147483647LL) { seterr("batchNorm: too many channels"); return -1; }
  size_t cb = sizeof(double) * 2 * (size_t)b.C;
  double *coef = (double *)lt_cu_alloc(cb, dev);
  if (!coef) return -1;
  k_bn_prepare<T><<<(unsigned)b.C, red_threads(b.M), 0, s>>>((const T *)h_data(x), b, opt_view(rm), opt_view(rv), opt_view(w),
                                                    opt_view(bias), opt_view(sm), opt_view(si), training, momentum,
                                                    eps, coef);
  int rc = launched();
  int64_t n = b.N * b.C * b.S;
  if (rc == 0 && n) {
    if (small_index(n))
      k_bn_apply<T, uint32_t><<<blocks(n), THREADS, 0, s>>>((const T *)h_data(x), (T *)h_data(y), coef,
                                                            (uint32_t)b.C, (uint32_t)b.S, (uint32_t)n);
    else
      k_bn_apply<T, int64_t><<<blocks(n), THREADS, 0, s>>>((const T *)h_data(x), (T *)h_data(y), coef, b.C, b.S, n);
    rc = launched();
  }
  lt_cu_free(coef, cb, dev);
  return rc;
}

template <typename T>
static int bn_bw_run(lt_tensor *dx, lt_tensor *dw, lt_tensor *db, const lt_tensor *x, const lt_tensor *g,
                     const lt_tensor *w, const lt_tensor *mean, const lt_tensor *invstd, bool training, int dev) {
  cudaStream_t s = lt_cu_stream(dev);
  bn_sizes b = bn_sizes_of(x);
  if (b.C == 0) return 0;
  if (b.C > 2147483647LL) { seterr("batchNorm backward: too many channels"); return -1; }
  size_t cb = sizeof(double) * 4 * (size_t)b.C;
  double *coef = (double *)lt_cu_alloc(cb, dev);
  if (!coef) return -1;
  k_bn_bw_sums<T><<<(unsigned)b.C, red_threads(b.M), 0, s>>>((const T *)h_data(x), (const T *)h_data(g), b, opt_view(w),
                                                    make_view(mean), make_view(invstd), opt_view(dw), opt_view(db),
                                                    training, coef);
  int rc = launched();
  int64_t n = b.N * b.C * b.S;
  if (rc == 0 && dx && n) {
    if (small_index(n))
      k_bn_bw_dx<T, uint32_t><<<blocks(n), THREADS, 0, s>>>((const T *)h_data(x), (const T *)h_data(g),
                                                            (T *)h_data(dx), coef, (uint32_t)b.C, (uint32_t)b.S,
                                                            (uint32_t)n);
    else
      k_bn_bw_dx<T, int64_t><<<blocks(n), THREADS, 0, s>>>((const T *)h_data(x), (const T *)h_data(g),
                                                           (T *)h_data(dx), coef, b.C, b.S, n);
    rc = launched();
  }
  lt_cu_free(coef, cb, dev);
  return rc;
}

static int c_channel_sum(lt_tensor *out, const lt_tensor *g) {
  int k = float_dtype("conv2d bias gradient", g->dtype), dev = g->device.index;
  if (k < 0 || set_device(dev) < 0) return -1;
  bn_sizes b = bn_sizes_of(g);
  if (b.C == 0) return 0;
  if (b.C > 2147483647LL) { seterr("conv2d bias gradient: too many channels"); return -1; }
  if (k) k_channel_sum<double><<<(unsigned)b.C, red_threads(b.M), 0, lt_cu_stream(dev)>>>((const double *)h_data(g), b, make_view(out));
  else k_channel_sum<float><<<(unsigned)b.C, red_threads(b.M), 0, lt_cu_stream(dev)>>>((const float *)h_data(g), b, make_view(out));
  return launched();
}

static int c_batch_norm(lt_tensor *y, lt_tensor *sm, lt_tensor *si, const lt_tensor *x, lt_tensor *rm,
                        lt_tensor *rv, const lt_tensor *w, const lt_tensor *b, bool training, double momentum,
                        double eps) {
  int k = float_dtype("batchNorm", x->dtype), dev = x->device.index;
  if (k < 0 || set_device(dev) < 0) return -1;
  return k ? bn_run<double>(y, sm, si, x, rm, rv, w, b, training, momentum, eps, dev)
           : bn_run<float>(y, sm, si, x, rm, rv, w, b, training, momentum, eps, dev);
}
static int c_batch_norm_backward(lt_tensor *dx, lt_tensor *dw, lt_tensor *db, const lt_tensor *x,
                                 const lt_tensor *g, const lt_tensor *w, const lt_tensor *mean,
                                 const lt_tensor *invstd, bool training) {
  int k = float_dtype("batchNorm backward", x->dtype), dev = x->device.index;
  if (k < 0 || set_device(dev) < 0) return -1;
  return k ? bn_bw_run<double>(dx, dw, db, x, g, w, mean, invstd, training, dev)
           : bn_bw_run<float>(dx, dw, db, x, g, w, mean, invstd, training, dev);
}

// ====================================================================================
// embedding's index check: the first index outside [0, rows)
// ====================================================================================
template <typename I>
__global__ void k_index_check(view_arg ix, int64_t rows, unsigned long long *first, I n) {
  I i = blockIdx.x * (I)blockDim.x + threadIdx.x;
  if (i >= n) return;
  int64_t v = *(const int64_t *)at<I>(ix, i);
  if (v < 0 || v >= rows) atomicMin(first, (unsigned long long)i);
}

static int c_embedding_check(const lt_tensor *ix, int64_t rows, int64_t *bad) {
  int64_t n = h_numel(ix);
  if (n == 0) return 0;
  if (ix->dtype != LT_INT64) { seterr("embedding: indices must be int64"); return -1; }
  int dev = ix->device.index;
  if (set_device(dev) < 0) return -1;
  cudaStream_t s = lt_cu_stream(dev);
  unsigned long long *d = (unsigned long long *)lt_cu_alloc(sizeof(unsigned long long), dev);
  if (!d) return -1;
  unsigned long long first = ~0ULL;
  int rc = check(cudaMemcpyAsync(d, &first, sizeof first, cudaMemcpyHostToDevice, s), "cudaMemcpyAsync");
  if (rc == 0) {
    if (small_index(n)) k_index_check<uint32_t><<<blocks(n), THREADS, 0, s>>>(make_view(ix), rows, d, (uint32_t)n);
    else k_index_check<int64_t><<<blocks(n), THREADS, 0, s>>>(make_view(ix), rows, d, n);
    rc = launched();
  }
  if (rc == 0) rc = check(cudaMemcpyAsync(&first, d, sizeof first, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync");
  if (rc == 0) rc = check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
  lt_cu_free(d, sizeof(unsigned long long), dev);
  if (rc < 0) return -1;
  if (first == ~0ULL) return 0;
  // the element's offset from its linear position (as elem_offset)
  int64_t lin = (int64_t)first, off = 0;
  for (int k = ix->ndim - 1; k >= 0; k--) {
    off += (lin % ix->size[k]) * ix->stride[k];
    lin /= ix->size[k];
  }
  if (check(cudaMemcpy(bad, h_data(ix) + off * 8, 8, cudaMemcpyDeviceToHost), "cudaMemcpy") < 0) return -1;
  return 1;
}

void lt_cuda_register_spatial(lt_backend *b) {
  b->conv2d = c_conv2d;
  b->max_pool2d = c_max_pool2d;
  b->max_pool2d_backward = c_max_pool2d_backward;
  b->avg_pool2d = c_avg_pool2d;
  b->avg_pool2d_backward = c_avg_pool2d_backward;
  b->batch_norm = c_batch_norm;
  b->batch_norm_backward = c_batch_norm_backward;
  b->embedding_check = c_embedding_check;
  b->channel_sum = c_channel_sum;
}
