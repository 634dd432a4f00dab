/* nn_conv.c: 2-D convolutions. conv2d, conv_transpose2d (conv2d's gradient with respect
 * to its input) and conv2d_weight (conv2d's gradient with respect to its weight).
 *
 * All three are described by one geometry, that of the convolution x -> y:
 *   x: N x C x H x W, weight: K x C/G x kH x kW, y: N x K x Ho x Wo,
 *   Ho = (H + 2 pH - dH (kH-1) - 1) / sH + 1 (the same for widths).
 * conv2d computes y from x; conv_transpose2d computes an x-shaped result from a y-shaped
 * input (its weight, C_in x C_out/G x kH x kW, is laid out like conv2d's K x C/G); and
 * conv2d_weight computes the weight-shaped sum over the batch of y-gradient times x.
 *
 * CPU kernels: per sample, im2col unfolds x into a (C kH kW) x (Ho Wo) matrix ("cols";
 * a 1x1 kernel with stride 1 and no padding uses x itself) and OpenBLAS multiplies, per
 * group: y_g = W_g cols_g (forward), cols_g = W_g^T y_g then col2im (transposed), dW_g +=
 * y_g cols_g^T (weight). Samples are spread over OpenMP threads, each with its own cols
 * buffer (and, for the weight gradient, its own accumulator), BLAS running single-threaded
 * inside; a batch too small to share goes sample by sample with BLAS's own threads.
 * Depthwise convolutions (groups = planes in = planes out) use direct loops instead, over
 * the planes in threads. float16/bfloat16 compute through float32.
 *
 * CUDA (tensor/cuda/spatial.cu, the backend's conv2d): the same layouts; im2col/col2im
 * kernels over a chunk of the batch at once (columns bounded to 256 MiB) and cuBLAS
 * strided-batched products over the chunk's images (or over the groups).
 *
 * Autograd: each op records itself (static wrappers below), and each backward is made of
 * the three ops again, so second and higher derivatives work:
 *   conv2d:      dx = conv_transpose2d(g, W), dW = conv2d_weight(x, g), db = sum of g
 *   transposed:  dx = conv2d(g, W),           dW = conv2d_weight(g, x), db = sum of g
 *   weight:      dx = conv_transpose2d(g, ggW), dg = conv2d(x, ggW)  (bilinear in x, g) */
#include "internal.h"
#include "autograd.h"
#include <cblas.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>

#define SHAPE(t, buf) lt_shape_str((t), (buf), sizeof(buf))
#define LL(x) ((long long)(x))

lt_conv_opts lt_conv_opts_default(void) {
  lt_conv_opts o = {{1, 1}, {0, 0}, {1, 1}, {0, 0}, 1};
  return o;
}

typedef struct {
  int64_t N, C, H, W;      /* the convolution's input */
  int64_t K, Ho, Wo;       /* its output */
  int64_t kH, kW, sH, sW, pH, pW, dH, dW, G;
} geom;

/* x itself serves as cols: a 1x1 kernel, stride 1, no padding */
static bool direct(const geom *g) {
  return g->kH == 1 && g->kW == 1 && g->sH == 1 && g->sW == 1 && g->pH == 0 && g->pW == 0;
}

/* ---- BLAS ---- */

static void gemm(lt_dtype dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                 int64_t lda, const void *b, int64_t ldb, double beta, void *c, int64_t ldc) {
  enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if (dt == LT_FLOAT32)
    cblas_sgemm(CblasRowMajor, TA, TB, (blasint)m, (blasint)n, (blasint)k, 1.0f, a, (blasint)lda,
                b, (blasint)ldb, (float)beta, c, (blasint)ldc);
  else
    cblas_dgemm(CblasRowMajor, TA, TB, (blasint)m, (blasint)n, (blasint)k, 1.0, a, (blasint)lda,
                b, (blasint)ldb, beta, c, (blasint)ldc);
}

/* ---- im2col / col2im and the per-sample kernels, for float and double ----
 * The output columns ow whose input column iw = ow*sW - pW + kw*dW lies in [0, W) form
 * one range [ow0, ow1): the rest are padding. */
static void valid_range(int64_t off, int64_t s, int64_t W, int64_t Wo, int64_t *lo, int64_t *hi) {
  int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = W - off <= 0 ? 0 : (W - off + s - 1) / s;
  if (a > Wo) a = Wo;
  if (b > Wo) b = Wo;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

#define CONV_KERNELS(T)                                                                        \
  /* plane c of x unfolded into its kH kW rows of col */                                       \
  static void im2col_plane_##T(const T *x, T *col, const geom *g, int64_t c) {                 \
    int64_t HoWo = g->Ho * g->Wo;                                                              \
    for (int64_t kh = 0; kh < g->kH; kh++)                                                     \
      for (int64_t kw = 0; kw < g->kW; kw++) {                                                 \
        T *row = col + ((c * g->kH + kh) * g->kW + kw) * HoWo;                                 \
        int64_t off = kw * g->dW - g->pW, lo, hi;                                              \
        valid_range(off, g->sW, g->W, g->Wo, &lo, &hi);                                        \
        for (int64_t oh = 0; oh < g->Ho; oh++) {                                               \
          T *r = row + oh * g->Wo;                                                             \
          int64_t ih = oh * g->sH - g->pH + kh * g->dH;                                        \
          if (ih < 0 || ih >= g->H) {                                                          \
            memset(r, 0, sizeof(T) * (size_t)g->Wo);                                           \
            continue;                                                                          \
          }                                                                                    \
          const T *xr = x + (c * g->H + ih) * g->W;                                            \
          for (int64_t ow = 0; ow < lo; ow++) r[ow] = 0;                                       \
          if (g->sW == 1) memcpy(r + lo, xr + lo + off, sizeof(T) * (size_t)(hi - lo));        \
          else                                                                                 \
            for (int64_t ow = lo; ow < hi; ow++) r[ow] = xr[ow * g->sW + off];                 \
          for (int64_t ow = hi; ow < g->Wo; ow++) r[ow] = 0;                                   \
        }                                                                                      \
      }                                                                                        \
  }                                                                                            \
  /* x's plane c (zeroed by the caller) += its rows of col folded back */                      \
  static void col2im_plane_##T(const T *col, T *x, const geom *g, int64_t c) {                 \
    int64_t HoWo = g->Ho * g->Wo;                                                              \
    for (int64_t kh = 0; kh < g->kH; kh++)                                                     \
      for (int64_t kw = 0; kw < g->kW; kw++) {                                                 \
        const T *row = col + ((c * g->kH + kh) * g->kW + kw) * HoWo;                           \
        int64_t off = kw * g->dW - g->pW, lo, hi;                                              \
        valid_range(off, g->sW, g->W, g->Wo, &lo, &hi);                                        \
        for (int64_t oh = 0; oh < g->Ho; oh++) {                                               \
          int64_t ih = oh * g->sH - g->pH + kh * g->dH;                                        \
          if (ih < 0 || ih >= g->H) continue;                                                  \
          const T *r = row + oh * g->Wo;                                                       \
          T *xr = x + (c * g->H + ih) * g->W;                                                  \
          if (g->sW == 1)                                                                      \
            for (int64_t ow = lo; ow < hi; ow++) xr[ow + off] += r[ow];                        \
          else                                                                                 \
            for (int64_t ow = lo; ow < hi; ow++) xr[ow * g->sW + off] += r[ow];                \
        }                                                                                      \
      }                                                                                        \
  }                                                                                            \
  /* all planes; over threads when par (planes are independent) */                             \
  static void im2col_##T(const T *x, T *col, const geom *g, bool par) {                        \
    if (par) {                                                                                 \
      _Pragma("omp parallel for schedule(static)")                                             \
      for (int64_t c = 0; c < g->C; c++) im2col_plane_##T(x, col, g, c);                       \
    } else                                                                                     \
      for (int64_t c = 0; c < g->C; c++) im2col_plane_##T(x, col, g, c);                       \
  }                                                                                            \
  static void col2im_##T(const T *col, T *x, const geom *g, bool par) {                        \
    if (par) {                                                                                 \
      _Pragma("omp parallel for schedule(static)")                                             \
      for (int64_t c = 0; c < g->C; c++) col2im_plane_##T(col, x, g, c);                       \
    } else                                                                                     \
      for (int64_t c = 0; c < g->C; c++) col2im_plane_##T(col, x, g, c);                       \
  }                                                                                            \
  /* rows of m (rows x len) set to bias[row] (or zero) */                                      \
  static void fill_rows_##T(T *m, const T *bias, int64_t rows, int64_t len) {                  \
    for (int64_t r = 0; r < rows; r++) {                                                       \
      T v = bias ? bias[r] : 0;                                                                \
      for (int64_t i = 0; i < len; i++) m[r * len + i] = v;                                    \
    }                                                                                          \
  }                                                                                            \
  /* y_n = W cols(x_n) + b */                                                                  \
  static void fwd_sample_##T(lt_dtype dt, const geom *g, const T *xn, const T *w,              \
                             const T *b, T *yn, T *col, bool par) {                            \
    int64_t HoWo = g->Ho * g->Wo, Kg = g->K / g->G, Cg = g->C / g->G;                          \
    int64_t ckk = Cg * g->kH * g->kW;                                                          \
    const T *cols = xn;                                                                        \
    if (!direct(g)) { im2col_##T(xn, col, g, par); cols = col; }                               \
    if (b || ckk == 0) fill_rows_##T(yn, b, g->K, HoWo);                                       \
    if (ckk == 0) return;                                                                      \
    for (int64_t gr = 0; gr < g->G; gr++)                                                      \
      gemm(dt, false, false, Kg, HoWo, ckk, w + gr * Kg * ckk, ckk, cols + gr * ckk * HoWo,    \
           HoWo, b ? 1.0 : 0.0, yn + gr * Kg * HoWo, HoWo);                                    \
  }                                                                                            \
  /* x_n = col2im(W^T y_n) + b (b: one per x channel) */                                       \
  static void trans_sample_##T(lt_dtype dt, const geom *g, const T *yn, const T *w,            \
                               const T *b, T *xn, T *col, bool par) {                          \
    int64_t HoWo = g->Ho * g->Wo, Kg = g->K / g->G, Cg = g->C / g->G;                          \
    int64_t ckk = Cg * g->kH * g->kW, HW = g->H * g->W;                                        \
    if (direct(g)) {                                                                           \
      if (b || Kg == 0) fill_rows_##T(xn, b, g->C, HW);                                        \
      if (Kg == 0) return;                                                                     \
      for (int64_t gr = 0; gr < g->G; gr++)                                                    \
        gemm(dt, true, false, Cg, HW, Kg, w + gr * Kg * ckk, ckk, yn + gr * Kg * HoWo, HoWo,   \
             b ? 1.0 : 0.0, xn + gr * Cg * HW, HW);                                            \
      return;                                                                                  \
    }                                                                                          \
    fill_rows_##T(xn, b, g->C, HW);                                                            \
    if (Kg == 0) return;                                                                       \
    for (int64_t gr = 0; gr < g->G; gr++)                                                      \
      gemm(dt, true, false, ckk, HoWo, Kg, w + gr * Kg * ckk, ckk, yn + gr * Kg * HoWo,        \
           HoWo, 0.0, col + gr * ckk * HoWo, HoWo);                                            \
    col2im_##T(col, xn, g, par);                                                               \
  }                                                                                            \
  /* dw (+)= gy_n cols(x_n)^T; beta 0 overwrites */                                            \
  static void wgrad_sample_##T(lt_dtype dt, const geom *g, const T *xn, const T *gyn,          \
                               T *dw, double beta, T *col, bool par) {                         \
    int64_t HoWo = g->Ho * g->Wo, Kg = g->K / g->G, Cg = g->C / g->G;                          \
    int64_t ckk = Cg * g->kH * g->kW;                                                          \
    if (ckk == 0 || Kg == 0) return;                                                           \
    const T *cols = xn;                                                                        \
    if (!direct(g)) { im2col_##T(xn, col, g, par); cols = col; }                               \
    for (int64_t gr = 0; gr < g->G; gr++)                                                      \
      gemm(dt, false, true, Kg, ckk, HoWo, gyn + gr * Kg * HoWo, HoWo,                         \
           cols + gr * ckk * HoWo, HoWo, beta, dw + gr * Kg * ckk, ckk);                       \
  }

CONV_KERNELS(float)
CONV_KERNELS(double)

/* ---- drivers: the batch, over threads where it pays ---- */

enum { K_FWD, K_TRANS, K_WGRAD };

/* ---- depthwise convolutions (groups == planes in == planes out): every plane with its
 * own kernel, by direct loops (a product per plane would be a 1-row gemm) ---- */
static bool depthwise(const geom *g) { return g->G > 1 && g->C == g->G && g->K == g->G; }

#define DW_KERNELS(T)                                                                          \
  /* y (Ho x Wo) = bias + x (H x W) correlated with w (kH x kW) */                             \
  static void dw_fwd_##T(const geom *g, const T *x, const T *w, T bias, T *y) {                \
    for (int64_t i = 0; i < g->Ho * g->Wo; i++) y[i] = bias;                                   \
    for (int64_t kh = 0; kh < g->kH; kh++)                                                     \
      for (int64_t kw = 0; kw < g->kW; kw++) {                                                 \
        T wv = w[kh * g->kW + kw];                                                             \
        int64_t off = kw * g->dW - g->pW, lo, hi;                                              \
        valid_range(off, g->sW, g->W, g->Wo, &lo, &hi);                                        \
        for (int64_t oh = 0; oh < g->Ho; oh++) {                                               \
          int64_t ih = oh * g->sH - g->pH + kh * g->dH;                                        \
          if (ih < 0 || ih >= g->H) continue;                                                  \
          const T *xr = x + ih * g->W;                                                         \
          T *yr = y + oh * g->Wo;                                                              \
          if (g->sW == 1)                                                                      \
            for (int64_t ow = lo; ow < hi; ow++) yr[ow] += wv * xr[ow + off];                  \
          else                                                                                 \
            for (int64_t ow = lo; ow < hi; ow++) yr[ow] += wv * xr[ow * g->sW + off];          \
        }                                                                                      \
      }                                                                                        \
  }                                                                                            \
  /* x (H x W) = bias + y (Ho x Wo) spread back through w */                                   \
  static void dw_trans_##T(const geom *g, const T *y, const T *w, T bias, T *x) {              \
    for (int64_t i = 0; i < g->H * g->W; i++) x[i] = bias;                                     \
    for (int64_t kh = 0; kh < g->kH; kh++)                                                     \
      for (int64_t kw = 0; kw < g->kW; kw++) {                                                 \
        T wv = w[kh * g->kW + kw];                                                             \
        int64_t off = kw * g->dW - g->pW, lo, hi;                                              \
        valid_range(off, g->sW, g->W, g->Wo, &lo, &hi);                                        \
        for (int64_t oh = 0; oh < g->Ho; oh++) {                                               \
          int64_t ih = oh * g->sH - g->pH + kh * g->dH;                                        \
          if (ih < 0 || ih >= g->H) continue;                                                  \
          T *xr = x + ih * g->W;                                                               \
          const T *yr = y + oh * g->Wo;                                                        \
          if (g->sW == 1)                                                                      \
            for (int64_t ow = lo; ow < hi; ow++) xr[ow + off] += wv * yr[ow];                  \
          else                                                                                 \
            for (int64_t ow = lo; ow < hi; ow++) xr[ow * g->sW + off] += wv * yr[ow];          \
        }                                                                                      \
      }                                                                                        \
  }                                                                                            \
  /* dw (kH x kW) += x (H x W) correlated with gy (Ho x Wo) */                                 \
  static void dw_wgrad_##T(const geom *g, const T *x, const T *gy, T *dw) {                    \
    for (int64_t kh = 0; kh < g->kH; kh++)                                                     \
      for (int64_t kw = 0; kw < g->kW; kw++) {                                                 \
        int64_t off = kw * g->dW - g->pW, lo, hi;                                              \
        valid_range(off, g->sW, g->W, g->Wo, &lo, &hi);                                        \
        T s = 0;                                                                               \
        for (int64_t oh = 0; oh < g->Ho; oh++) {                                               \
          int64_t ih = oh * g->sH - g->pH + kh * g->dH;                                        \
          if (ih < 0 || ih >= g->H) continue;                                                  \
          const T *xr = x + ih * g->W, *yr = gy + oh * g->Wo;                                  \
          if (g->sW == 1)                                                                      \
            for (int64_t ow = lo; ow < hi; ow++) s += yr[ow] * xr[ow + off];                   \
          else                                                                                 \
            for (int64_t ow = lo; ow < hi; ow++) s += yr[ow] * xr[ow * g->sW + off];           \
        }                                                                                      \
        dw[kh * g->kW + kw] += s;                                                              \
      }                                                                                        \
  }                                                                                            \
  static void run_dw_##T(int kind, const geom *g, const T *a, const T *b, const T *bias,       \
                         T *out) {                                                             \
    int64_t P = g->N * g->C, HW = g->H * g->W, HoWo = g->Ho * g->Wo, kk = g->kH * g->kW;       \
    bool par = lt_threads() > 1 && 2.0 * (double)P * kk * HoWo >= 2.0 * LT_PARALLEL_GRAIN;     \
    if (kind == K_FWD) {                                                                       \
      _Pragma("omp parallel for if(par) schedule(static)")                                     \
      for (int64_t p = 0; p < P; p++) {                                                        \
        int64_t c = p % g->C;                                                                  \
        dw_fwd_##T(g, a + p * HW, b + c * kk, bias ? bias[c] : 0, out + p * HoWo);             \
      }                                                                                        \
    } else if (kind == K_TRANS) {                                                              \
      _Pragma("omp parallel for if(par) schedule(static)")                                     \
      for (int64_t p = 0; p < P; p++) {                                                        \
        int64_t c = p % g->C;                                                                  \
        dw_trans_##T(g, a + p * HoWo, b + c * kk, bias ? bias[c] : 0, out + p * HW);           \
      }                                                                                        \
    } else {                                                                                   \
      _Pragma("omp parallel for if(par) schedule(static)")                                     \
      for (int64_t c = 0; c < g->C; c++) {                                                     \
        T *dw = out + c * kk;                                                                  \
        for (int64_t i = 0; i < kk; i++) dw[i] = 0;                                            \
        for (int64_t n = 0; n < g->N; n++)                                                     \
          dw_wgrad_##T(g, a + (n * g->C + c) * HW, b + (n * g->C + c) * HoWo, dw);             \
      }                                                                                        \
    }                                                                                          \
  }

DW_KERNELS(float)
DW_KERNELS(double)

/* flops of one sample's products */
static double sample_work(const geom *g) {
  return 2.0 * (double)g->K * (double)(g->C / LT_MAX(g->G, 1)) * g->kH * g->kW * g->Ho * g->Wo;
}

/* spread the samples over threads: enough of them and enough work */
static bool batch_parallel(const geom *g) {
  int nt = lt_threads();
  if (nt <= 1 || g->N <= 1) return false;
  double w = sample_work(g);
  if (w * g->N < 4e5) return false;
  if (g->N >= nt) return true;
  /* fewer samples than threads: big ones go one by one with BLAS's own threads */
  return w < 2e7;
}

#define DRIVER(T)                                                                              \
  static int run_##T(int kind, lt_dtype dt, const geom *g, const T *a, const T *b,             \
                     const T *bias, T *out) {                                                  \
    if (depthwise(g)) {                                                                        \
      run_dw_##T(kind, g, a, b, bias, out);                                                    \
      return 0;                                                                                \
    }                                                                                          \
    int64_t HoWo = g->Ho * g->Wo, HW = g->H * g->W;                                            \
    int64_t colsz = direct(g) ? 0 : g->C * g->kH * g->kW * HoWo;                               \
    int64_t xs = g->C * HW, ys = g->K * HoWo, wsz = g->K * (g->C / g->G) * g->kH * g->kW;      \
    bool par = batch_parallel(g);                                                              \
    int nt = par ? lt_threads() : 1;                                                           \
    T *accs = NULL;                                                                            \
    if (kind == K_WGRAD) {                                                                     \
      if (g->N == 0 || wsz == 0 || HoWo == 0) {                                                \
        memset(out, 0, sizeof(T) * (size_t)wsz);                                               \
        return 0;                                                                              \
      }                                                                                        \
      if (par) {                                                                               \
        if (!(accs = lt_cpu_alloc(sizeof(T) * (size_t)(nt - 1) * (size_t)wsz)))                \
          LT_FAIL(-1, "conv2d: out of memory (weight gradient buffers)");                      \
        memset(accs, 0, sizeof(T) * (size_t)(nt - 1) * (size_t)wsz);                           \
      }                                                                                        \
    }                                                                                          \
    bool fail = false;                                                                         \
    if (par) {                                                                                 \
      _Pragma("omp parallel num_threads(nt)")                                                  \
      {                                                                                        \
        int tid = omp_get_thread_num();                                                        \
        T *col = colsz ? lt_cpu_alloc(sizeof(T) * (size_t)colsz) : NULL;                       \
        if (colsz && !col) {                                                                   \
          _Pragma("omp atomic write") fail = true;                                             \
        }                                                                                      \
        T *acc = kind == K_WGRAD ? (tid == 0 ? out : accs + (size_t)(tid - 1) * wsz) : NULL;   \
        bool first = true;                                                                     \
        _Pragma("omp for schedule(static)")                                                    \
        for (int64_t n = 0; n < g->N; n++) {                                                   \
          if (colsz && !col) continue;                                                         \
          if (kind == K_FWD) fwd_sample_##T(dt, g, a + n * xs, b, bias, out + n * ys, col, false); \
          else if (kind == K_TRANS)                                                            \
            trans_sample_##T(dt, g, a + n * ys, b, bias, out + n * xs, col, false);            \
          else {                                                                               \
            wgrad_sample_##T(dt, g, a + n * xs, b + n * ys, acc, first ? 0.0 : 1.0, col, false); \
            first = false;                                                                     \
          }                                                                                    \
        }                                                                                      \
        /* a thread that got no sample leaves its accumulator zero */                          \
        if (kind == K_WGRAD && first && tid == 0) memset(out, 0, sizeof(T) * (size_t)wsz);     \
        lt_cpu_free(col, sizeof(T) * (size_t)colsz);                                           \
      }                                                                                        \
      if (kind == K_WGRAD && !fail)                                                            \
        for (int t = 1; t < nt; t++) {                                                         \
          const T *s = accs + (size_t)(t - 1) * wsz;                                           \
          for (int64_t i = 0; i < wsz; i++) out[i] += s[i];                                    \
        }                                                                                      \
      if (accs) lt_cpu_free(accs, sizeof(T) * (size_t)(nt - 1) * (size_t)wsz);                 \
      if (fail) LT_FAIL(-1, "conv2d: out of memory (unfolded input buffers)");                 \
      return 0;                                                                                \
    }                                                                                          \
    T *col = colsz ? lt_cpu_alloc(sizeof(T) * (size_t)colsz) : NULL;                           \
    if (colsz && !col) LT_FAIL(-1, "conv2d: out of memory (unfolded input buffer)");           \
    /* one sample at a time: BLAS's threads, and im2col/col2im over planes when big */         \
    bool inner = lt_threads() > 1 && g->C > 1 && colsz >= 4 * LT_PARALLEL_GRAIN;               \
    for (int64_t n = 0; n < g->N; n++) {                                                       \
      if (kind == K_FWD) fwd_sample_##T(dt, g, a + n * xs, b, bias, out + n * ys, col, inner); \
      else if (kind == K_TRANS)                                                                \
        trans_sample_##T(dt, g, a + n * ys, b, bias, out + n * xs, col, inner);                \
      else wgrad_sample_##T(dt, g, a + n * xs, b + n * ys, out, n ? 1.0 : 0.0, col, inner);    \
    }                                                                                          \
    lt_cpu_free(col, sizeof(T) * (size_t)colsz);                                               \
    return 0;                                                                                  \
  }

DRIVER(float)
DRIVER(double)

/* The kernel of kind on checked operands (any strides; half types through float32):
 * K_FWD: a = x, b = weight, bias K;  K_TRANS: a = y, b = weight, bias C;
 * K_WGRAD: a = x, b = grad of y (no bias). New result, or NULL with an error set. */
static lt_tensor *run_kernel(int kind, const char *op, const lt_tensor *a, const lt_tensor *b,
                             const lt_tensor *bias, const geom *g) {
  lt_dtype dt = a->dtype;
  if (lt_is_half(dt)) {
    lt_tensor *a32 = lt_to_dtype(a, LT_FLOAT32), *b32 = a32 ? lt_to_dtype(b, LT_FLOAT32) : NULL;
    lt_tensor *c32 = bias && b32 ? lt_to_dtype(bias, LT_FLOAT32) : NULL;
    lt_tensor *r = NULL;
    if (b32 && (!bias || c32)) r = run_kernel(kind, op, a32, b32, c32, g);
    lt_release(a32);
    lt_release(b32);
    lt_release(c32);
    if (!r) return NULL;
    lt_tensor *h = lt_to_dtype(r, dt);
    lt_release(r);
    return h;
  }
  int64_t size[4];
  if (kind == K_FWD) { size[0] = g->N; size[1] = g->K; size[2] = g->Ho; size[3] = g->Wo; }
  else if (kind == K_TRANS) { size[0] = g->N; size[1] = g->C; size[2] = g->H; size[3] = g->W; }
  else { size[0] = g->K; size[1] = g->C / g->G; size[2] = g->kH; size[3] = g->kW; }
  lt_tensor *r = lt_empty(4, size, dt, a->device);
  if (!r) return NULL;
  if (lt_numel(r) == 0) return r;
  lt_tensor *ac = lt_contiguous(a), *bc = ac ? lt_contiguous(b) : NULL;
  lt_tensor *cc = bias && bc ? lt_contiguous(bias) : NULL;
  int rc = -1;
  if (bc && (!bias || cc) && a->device.type != LT_CPU) {
    /* CUDA: im2col over the batch and strided-batched products (tensor/cuda/spatial.cu) */
    const lt_backend *be = lt_backend_for(a->device);
    int64_t gv[16] = {g->N, g->C, g->H, g->W, g->K, g->Ho, g->Wo, g->kH, g->kW,
                      g->sH, g->sW, g->pH, g->pW, g->dH, g->dW, g->G};
    if (be && !be->conv2d) lt_seterr("%s: not available on %s", op, lt_devname(a->device));
    else if (be) rc = be->conv2d(kind, gv, r, ac, bc, cc);
  } else if (bc && (!bias || cc)) {
    if (dt == LT_FLOAT32)
      rc = run_float(kind, dt, g, lt_data(ac), lt_data(bc), cc ? lt_data(cc) : NULL, lt_data(r));
    else
      rc = run_double(kind, dt, g, lt_data(ac), lt_data(bc), cc ? lt_data(cc) : NULL, lt_data(r));
  }
  lt_release(ac);
  lt_release(bc);
  lt_release(cc);
  if (rc < 0) { lt_release(r); return NULL; }
  return r;
}

/* ---- argument checks ---- */

static int check_tensor(const char *op, const char *name, const lt_tensor *t, const lt_tensor *like) {
  if (!lt_dtype_is_float(t->dtype))
    LT_FAIL(-1, "%s: %s must be a floating point tensor, got %sTensor", op, name, lt_dtype_name(t->dtype));
  if (like && t->dtype != like->dtype)
    LT_FAIL(-1, "%s: %s is %sTensor but input is %sTensor", op, name, lt_dtype_name(t->dtype),
            lt_dtype_name(like->dtype));
  if (like && lt_check_same_device(op, like, t) < 0) return -1;
  return 0;
}

static int check_opts(const char *op, const lt_conv_opts *o, bool transposed) {
  if (o->stride[0] < 1 || o->stride[1] < 1)
    LT_FAIL(-1, "%s: stride must be positive, got %lldx%lld", op, LL(o->stride[0]), LL(o->stride[1]));
  if (o->padding[0] < 0 || o->padding[1] < 0)
    LT_FAIL(-1, "%s: padding must be non-negative, got %lldx%lld", op, LL(o->padding[0]), LL(o->padding[1]));
  if (o->dilation[0] < 1 || o->dilation[1] < 1)
    LT_FAIL(-1, "%s: dilation must be positive, got %lldx%lld", op, LL(o->dilation[0]), LL(o->dilation[1]));
  if (o->groups < 1) LT_FAIL(-1, "%s: groups must be positive, got %lld", op, LL(o->groups));
  if (transposed)
    for (int i = 0; i < 2; i++)
      if (o->output_padding[i] < 0 || o->output_padding[i] >= o->stride[i])
        LT_FAIL(-1, "%s: output padding must be at least 0 and smaller than the stride, got "
                "%lldx%lld with stride %lldx%lld", op, LL(o->output_padding[0]),
                LL(o->output_padding[1]), LL(o->stride[0]), LL(o->stride[1]));
  /* keep every product of sizes far from overflow */
  for (int i = 0; i < 2; i++)
    if (o->stride[i] > INT32_MAX || o->padding[i] > INT32_MAX || o->dilation[i] > INT32_MAX ||
        o->output_padding[i] > INT32_MAX)
      LT_FAIL(-1, "%s: stride, padding or dilation too large", op);
  return 0;
}

static void set_opts(geom *g, const lt_conv_opts *o) {
  g->sH = o->stride[0]; g->sW = o->stride[1];
  g->pH = o->padding[0]; g->pW = o->padding[1];
  g->dH = o->dilation[0]; g->dW = o->dilation[1];
  g->G = o->groups;
}

/* Ho and Wo from H, W; an error when the dilated kernel exceeds the padded input */
static int out_size(const char *op, geom *g) {
  int64_t eh = g->H + 2 * g->pH - g->dH * (g->kH - 1) - 1;
  int64_t ew = g->W + 2 * g->pW - g->dW * (g->kW - 1) - 1;
  if (eh < 0 || ew < 0)
    LT_FAIL(-1, "%s: the kernel (%lldx%lld, dilation %lldx%lld) is larger than the padded input "
            "(%lldx%lld with padding %lldx%lld)", op, LL(g->kH), LL(g->kW), LL(g->dH), LL(g->dW),
            LL(g->H), LL(g->W), LL(g->pH), LL(g->pW));
  g->Ho = eh / g->sH + 1;
  g->Wo = ew / g->sW + 1;
  return 0;
}

/* BLAS takes int dimensions; buffers must be addressable */
static int check_limits(const char *op, const geom *g) {
  double ckk = (double)g->C * g->kH * g->kW, howo = (double)g->Ho * g->Wo;
  if (ckk > INT_MAX || howo > INT_MAX || (double)g->H * g->W > INT_MAX || (double)g->K > INT_MAX ||
      ckk * howo > 1e15)
    LT_FAIL(-1, "%s: sizes too large (unfolded input of %.0f x %.0f)", op, ckk, howo);
  return 0;
}

static int check_bias(const char *op, const lt_tensor *bias, int64_t n, const lt_tensor *input) {
  if (!bias) return 0;
  if (check_tensor(op, "bias", bias, input) < 0) return -1;
  if (bias->ndim != 1 || bias->size[0] != n) {
    char b[128];
    LT_FAIL(-1, "%s: bias must be a 1-D tensor of size %lld (one per output plane), got size %s",
            op, LL(n), SHAPE(bias, b));
  }
  return 0;
}

static int check_weight4(const char *op, const lt_tensor *w, const char *layout) {
  if (w->ndim != 4) {
    char b[128];
    LT_FAIL(-1, "%s: weight must be a 4-D tensor (%s), got size %s", op, layout, SHAPE(w, b));
  }
  return 0;
}

/* conv2d: x 4-D, weight; fills g */
static int conv_geom(const char *op, const lt_tensor *x, const lt_tensor *w, const lt_tensor *bias,
                     const lt_conv_opts *o, geom *g) {
  char b1[128], b2[128];
  if (check_tensor(op, "input", x, NULL) < 0 || check_tensor(op, "weight", w, x) < 0) return -1;
  if (check_weight4(op, w, "nOutputPlane x nInputPlane/groups x kH x kW") < 0) return -1;
  if (check_opts(op, o, false) < 0) return -1;
  set_opts(g, o);
  int o0 = x->ndim - 3;   /* a 3-D x is one sample */
  g->N = o0 ? x->size[0] : 1; g->C = x->size[o0]; g->H = x->size[o0 + 1]; g->W = x->size[o0 + 2];
  g->K = w->size[0]; g->kH = w->size[2]; g->kW = w->size[3];
  if (g->K % g->G)
    LT_FAIL(-1, "%s: groups (%lld) must divide the number of output planes (weight of size %s)", op,
            LL(g->G), SHAPE(w, b1));
  if (g->C % g->G)
    LT_FAIL(-1, "%s: groups (%lld) must divide the number of input planes (input of size %s)", op,
            LL(g->G), SHAPE(x, b1));
  if (w->size[1] * g->G != g->C)
    LT_FAIL(-1, "%s: input of size %s has %lld planes, but weight of size %s expects %lld "
            "(size 2 of the weight x groups %lld)", op, SHAPE(x, b1), LL(g->C), SHAPE(w, b2),
            LL(w->size[1] * g->G), LL(g->G));
  if (g->kH < 1 || g->kW < 1) LT_FAIL(-1, "%s: empty kernel (weight of size %s)", op, SHAPE(w, b1));
  if (out_size(op, g) < 0 || check_limits(op, g) < 0) return -1;
  return check_bias(op, bias, g->K, x);
}

/* conv_transpose2d: y (its 4-D input), weight; fills g (the convolution it transposes) */
static int trans_geom(const char *op, const lt_tensor *y, const lt_tensor *w, const lt_tensor *bias,
                      const lt_conv_opts *o, geom *g) {
  char b1[128], b2[128];
  if (check_tensor(op, "input", y, NULL) < 0 || check_tensor(op, "weight", w, y) < 0) return -1;
  if (check_weight4(op, w, "nInputPlane x nOutputPlane/groups x kH x kW") < 0) return -1;
  if (check_opts(op, o, true) < 0) return -1;
  set_opts(g, o);
  int o0 = y->ndim - 3;   /* a 3-D y is one sample */
  g->N = o0 ? y->size[0] : 1; g->K = y->size[o0]; g->Ho = y->size[o0 + 1]; g->Wo = y->size[o0 + 2];
  g->kH = w->size[2]; g->kW = w->size[3];
  if (g->K % g->G)
    LT_FAIL(-1, "%s: groups (%lld) must divide the number of input planes (input of size %s)", op,
            LL(g->G), SHAPE(y, b1));
  if (w->size[0] != g->K)
    LT_FAIL(-1, "%s: input of size %s has %lld planes, but weight of size %s expects %lld "
            "(its size 1)", op, SHAPE(y, b1), LL(g->K), SHAPE(w, b2), LL(w->size[0]));
  if (g->kH < 1 || g->kW < 1) LT_FAIL(-1, "%s: empty kernel (weight of size %s)", op, SHAPE(w, b1));
  g->C = w->size[1] * g->G;
  if (g->Ho < 1 || g->Wo < 1)
    LT_FAIL(-1, "%s: input of size %s has an empty plane", op, SHAPE(y, b1));
  g->H = (g->Ho - 1) * g->sH - 2 * g->pH + g->dH * (g->kH - 1) + 1 + o->output_padding[0];
  g->W = (g->Wo - 1) * g->sW - 2 * g->pW + g->dW * (g->kW - 1) + 1 + o->output_padding[1];
  if (g->H < 1 || g->W < 1)
    LT_FAIL(-1, "%s: the output would be %lldx%lld (input %lldx%lld, kernel %lldx%lld, stride "
            "%lldx%lld, padding %lldx%lld, dilation %lldx%lld): the padding is too large", op,
            LL(g->H), LL(g->W), LL(g->Ho), LL(g->Wo), LL(g->kH), LL(g->kW), LL(g->sH), LL(g->sW),
            LL(g->pH), LL(g->pW), LL(g->dH), LL(g->dW));
  if (check_limits(op, g) < 0) return -1;
  return check_bias(op, bias, g->C, y);
}

/* conv2d_weight: x and the gradient of y */
static int wgrad_geom(const char *op, const lt_tensor *x, const lt_tensor *gy, int64_t kH, int64_t kW,
                      const lt_conv_opts *o, geom *g) {
  char b1[128], b2[128];
  if (check_tensor(op, "input", x, NULL) < 0 || check_tensor(op, "gradOutput", gy, x) < 0) return -1;
  if (x->ndim != 4 || gy->ndim != 4)
    LT_FAIL(-1, "%s: input and gradOutput must be 4-D tensors, got sizes %s and %s", op,
            SHAPE(x, b1), SHAPE(gy, b2));
  if (check_opts(op, o, false) < 0) return -1;
  set_opts(g, o);
  g->N = x->size[0]; g->C = x->size[1]; g->H = x->size[2]; g->W = x->size[3];
  g->K = gy->size[1]; g->kH = kH; g->kW = kW;
  if (kH < 1 || kW < 1 || kH > INT32_MAX || kW > INT32_MAX)
    LT_FAIL(-1, "%s: bad kernel size %lldx%lld", op, LL(kH), LL(kW));
  if (g->C % g->G || g->K % g->G)
    LT_FAIL(-1, "%s: groups (%lld) must divide the planes of input (%s) and gradOutput (%s)", op,
            LL(g->G), SHAPE(x, b1), SHAPE(gy, b2));
  if (out_size(op, g) < 0) return -1;
  if (gy->size[0] != g->N || gy->size[2] != g->Ho || gy->size[3] != g->Wo)
    LT_FAIL(-1, "%s: gradOutput of size %s does not match the convolution's output %lldx%lldx%lldx%lld",
            op, SHAPE(gy, b1), LL(g->N), LL(g->K), LL(g->Ho), LL(g->Wo));
  return check_limits(op, g);
}

static const lt_conv_opts *opts_or_default(const lt_conv_opts *o, lt_conv_opts *def) {
  if (o) return o;
  *def = lt_conv_opts_default();
  return def;
}

/* ---- autograd ---- */

static void put_opts(lt_node *n, const lt_conv_opts *o) {
  n->p[0] = o->stride[0]; n->p[1] = o->stride[1];
  n->p[2] = o->padding[0]; n->p[3] = o->padding[1];
  n->p[4] = o->dilation[0]; n->p[5] = o->dilation[1];
  n->p[6] = o->groups;
  n->d[0] = (double)o->output_padding[0]; n->d[1] = (double)o->output_padding[1];
}

static lt_conv_opts get_opts(const lt_node *n) {
  lt_conv_opts o = {{n->p[0], n->p[1]}, {n->p[2], n->p[3]}, {n->p[4], n->p[5]},
                    {(int64_t)n->d[0], (int64_t)n->d[1]}, n->p[6]};
  return o;
}

/* the output padding that makes conv_transpose2d of a (Ho x Wo) gradient come back to
 * the convolution's input size (xs: its H, W; ks: kH, kW; ys: Ho, Wo) */
static void back_padding(lt_conv_opts *o, const int64_t *xs, const int64_t *ks, const int64_t *ys) {
  for (int i = 0; i < 2; i++)
    o->output_padding[i] = xs[i] + 2 * o->padding[i] - o->dilation[i] * (ks[i] - 1) - 1 -
                           (ys[i] - 1) * o->stride[i];
}

/* the bias's gradient: g summed over dims 0, 2, 3 */
static lt_tensor *bias_grad(const lt_tensor *g) {
  if (g->device.type != LT_CPU && !lt_grad_on && (g->dtype == LT_FLOAT32 || g->dtype == LT_FLOAT64)) {
    /* on the device, nothing to record: one block per channel (tensor/cuda/spatial.cu) */
    const lt_backend *be = lt_backend_for(g->device);
    if (!be) return NULL;
    if (be->channel_sum) {
      lt_tensor *gc = lt_contiguous(g);
      lt_tensor *r = gc ? lt_empty(1, &g->size[1], g->dtype, g->device) : NULL;
      int rc = r ? be->channel_sum(r, gc) : -1;
      lt_release(gc);
      if (rc < 0) { lt_release(r); return NULL; }
      return r;
    }
  }
  if (g->device.type == LT_CPU && !lt_grad_on && (g->dtype == LT_FLOAT32 || g->dtype == LT_FLOAT64)) {
    /* on the CPU, nothing to record: each channel's planes summed in double in one pass */
    lt_tensor *gc = lt_contiguous(g);
    lt_tensor *r = gc ? lt_empty(1, &g->size[1], g->dtype, g->device) : NULL;
    if (!r) { lt_release(gc); return NULL; }
    int64_t N = g->size[0], K = g->size[1], HW = g->size[2] * g->size[3];
    bool f32 = g->dtype == LT_FLOAT32;
    const char *base = lt_data(gc);
    char *out = lt_data(r);
#pragma omp parallel for if (N * K * HW > LT_PARALLEL_GRAIN && K > 1) schedule(static)
    for (int64_t k = 0; k < K; k++) {
      double acc[8] = {0};   /* eight running sums: no chain of dependent additions */
      for (int64_t n = 0; n < N; n++) {
        int64_t at = (n * K + k) * HW, i = 0;
        if (f32) {
          const float *p = (const float *)base + at;
          for (; i + 8 <= HW; i += 8)
            for (int j = 0; j < 8; j++) acc[j] += p[i + j];
          for (; i < HW; i++) acc[i % 8] += p[i];
        } else {
          const double *p = (const double *)base + at;
          for (; i + 8 <= HW; i += 8)
            for (int j = 0; j < 8; j++) acc[j] += p[i + j];
          for (; i < HW; i++) acc[i % 8] += p[i];
        }
      }
      double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
      if (f32) ((float *)out)[k] = (float)s;
      else ((double *)out)[k] = s;
    }
    lt_release(gc);
    return r;
  }
  lt_tensor *a = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, g, 3, false, 0);
  lt_tensor *b = a ? lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, a, 2, false, 0) : NULL;
  lt_release(a);
  lt_tensor *c = b ? lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, b, 0, false, 0) : NULL;
  lt_release(b);
  return c;
}

/* inputs 0 x, 1 weight, 2 bias; saved 0 x (for dW), 1 weight (for dx) */
static int conv2d_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_conv_opts o = get_opts(n);
  const lt_node_input *ix = &n->in[0], *iw = &n->in[1];
  if (ix->fn) {
    const lt_tensor *w = lt_node_saved(n, 1);
    if (!w) return -1;
    back_padding(&o, ix->size + 2, iw->size + 2, g->size + 2);
    if (!(grads[0] = lt_conv_transpose2d(g, w, NULL, &o))) return -1;
  }
  if (iw->fn) {
    const lt_tensor *x = lt_node_saved(n, 0);
    if (!x || !(grads[1] = lt_conv2d_weight(x, g, iw->size[2], iw->size[3], &o))) return -1;
  }
  if (n->in[2].fn && !(grads[2] = bias_grad(g))) return -1;
  return 0;
}

/* inputs 0 y (the transposed conv's input), 1 weight, 2 bias; saved 0 y, 1 weight */
static int trans_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_conv_opts o = get_opts(n);
  o.output_padding[0] = o.output_padding[1] = 0;
  const lt_node_input *iy = &n->in[0], *iw = &n->in[1];
  if (iy->fn) {
    const lt_tensor *w = lt_node_saved(n, 1);
    if (!w || !(grads[0] = lt_conv2d(g, w, NULL, &o))) return -1;
  }
  if (iw->fn) {
    const lt_tensor *y = lt_node_saved(n, 0);
    if (!y || !(grads[1] = lt_conv2d_weight(g, y, iw->size[2], iw->size[3], &o))) return -1;
  }
  if (n->in[2].fn && !(grads[2] = bias_grad(g))) return -1;
  return 0;
}

/* inputs 0 x, 1 gy; saved 0 x (for dgy), 1 gy (for dx); g: the weight-shaped gradient */
static int wgrad_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_conv_opts o = get_opts(n);
  const lt_node_input *ix = &n->in[0], *igy = &n->in[1];
  if (ix->fn) {
    const lt_tensor *gy = lt_node_saved(n, 1);
    if (!gy) return -1;
    back_padding(&o, ix->size + 2, g->size + 2, igy->size + 2);
    if (!(grads[0] = lt_conv_transpose2d(gy, g, NULL, &o))) return -1;
    o.output_padding[0] = o.output_padding[1] = 0;
  }
  if (igy->fn) {
    const lt_tensor *x = lt_node_saved(n, 0);
    if (!x || !(grads[1] = lt_conv2d(x, g, NULL, &o))) return -1;
  }
  return 0;
}

/* r computed from ins (with grad paused) gets a node; save[i]: slot i keeps ins[i] */
static lt_tensor *record(const char *name, lt_backward_fn bw, int nin, const lt_tensor *const *ins,
                         const lt_conv_opts *o, lt_tensor *r, bool save0, bool save1) {
  if (!r) return NULL;
  lt_node *n = lt_node_new(name, bw, nin, ins);
  if (!n) { lt_release(r); return NULL; }
  put_opts(n, o);
  if ((save0 && lt_node_save(n, 0, ins[0], false) < 0) || (save1 && lt_node_save(n, 1, ins[1], false) < 0)) {
    lt_node_release(n);
    lt_release(r);
    return NULL;
  }
  return lt_node_attach(n, r);
}

#define RECORDING(a, b, c) (lt_grad_on && (LT_RG(a) || LT_RG(b) || LT_RG(c)))

/* a 3-D input is one sample: run f on it as a batch of one, and drop the batch dim */
typedef lt_tensor *(*conv_fn)(const lt_tensor *, const lt_tensor *, const lt_tensor *, const lt_conv_opts *);
static lt_tensor *one_sample(conv_fn f, const lt_tensor *x, const lt_tensor *w, const lt_tensor *b,
                             const lt_conv_opts *o) {
  lt_tensor *x4 = lt_unsqueeze(x, 0);
  lt_tensor *r4 = x4 ? f(x4, w, b, o) : NULL;
  lt_release(x4);
  lt_tensor *r = r4 ? lt_squeeze_dim(r4, 0) : NULL;
  lt_release(r4);
  return r;
}

static int check_input_dims(const char *op, const lt_tensor *x) {
  if (x->ndim != 3 && x->ndim != 4) {
    char b[128];
    LT_FAIL(-1, "%s: input must be a 3-D (nInputPlane x H x W) or 4-D (batch x nInputPlane x H x W) "
            "tensor, got size %s", op, SHAPE(x, b));
  }
  return 0;
}

/* ---- entry points ---- */

lt_tensor *lt_conv2d(const lt_tensor *input, const lt_tensor *weight, const lt_tensor *bias,
                     const lt_conv_opts *opts) {
  const char *op = "conv2d";
  lt_conv_opts def;
  opts = opts_or_default(opts, &def);
  if (check_input_dims(op, input) < 0) return NULL;
  geom g;
  if (conv_geom(op, input, weight, bias, opts, &g) < 0) return NULL;
  if (input->ndim == 3) return one_sample(lt_conv2d, input, weight, bias, opts);
  if (!RECORDING(input, weight, bias)) return run_kernel(K_FWD, op, input, weight, bias, &g);
  bool p = lt_grad_pause();
  lt_tensor *r = run_kernel(K_FWD, op, input, weight, bias, &g);
  lt_grad_resume(p);
  return record("Conv2dBackward", conv2d_backward, 3, (const lt_tensor *[]){input, weight, bias},
                opts, r, LT_RG(weight), input->requires_grad);
}

lt_tensor *lt_conv_transpose2d(const lt_tensor *input, const lt_tensor *weight, const lt_tensor *bias,
                               const lt_conv_opts *opts) {
  const char *op = "convTranspose2d";
  lt_conv_opts def;
  opts = opts_or_default(opts, &def);
  if (check_input_dims(op, input) < 0) return NULL;
  geom g;
  if (trans_geom(op, input, weight, bias, opts, &g) < 0) return NULL;
  if (input->ndim == 3) return one_sample(lt_conv_transpose2d, input, weight, bias, opts);
  if (!RECORDING(input, weight, bias)) return run_kernel(K_TRANS, op, input, weight, bias, &g);
  bool p = lt_grad_pause();
  lt_tensor *r = run_kernel(K_TRANS, op, input, weight, bias, &g);
  lt_grad_resume(p);
  return record("ConvTranspose2dBackward", trans_backward, 3,
                (const lt_tensor *[]){input, weight, bias}, opts, r, LT_RG(weight),
                input->requires_grad);
}

lt_tensor *lt_conv2d_weight(const lt_tensor *input, const lt_tensor *grad_output, int64_t kH,
                            int64_t kW, const lt_conv_opts *opts) {
  const char *op = "conv2dWeight";
  lt_conv_opts def;
  opts = opts_or_default(opts, &def);
  geom g;
  if (wgrad_geom(op, input, grad_output, kH, kW, opts, &g) < 0) return NULL;
  if (!(lt_grad_on && (input->requires_grad || grad_output->requires_grad)))
    return run_kernel(K_WGRAD, op, input, grad_output, NULL, &g);
  bool p = lt_grad_pause();
  lt_tensor *r = run_kernel(K_WGRAD, op, input, grad_output, NULL, &g);
  lt_grad_resume(p);
  return record("Conv2dWeightBackward", wgrad_backward, 2,
                (const lt_tensor *[]){input, grad_output}, opts, r, grad_output->requires_grad,
                input->requires_grad);
}
