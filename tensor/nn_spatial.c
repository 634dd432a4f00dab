/* nn_spatial.c: the nn engine ops of pooling, batch normalization, dropout, embedding,
 * zero padding and nearest up-sampling, with their autograd recording.
 *
 * Layout: the pooling, padding and up-sampling ops work on the last two dims of an
 * (N, C, H, W) or (C, H, W) input (any leading dims: they are planes). Batch norm takes
 * (N, C, ...): dim 1 is the channel, the others are averaged over.
 *
 * Gradients:
 *  - max_pool2d: the output's gradient is scattered to the argmax (lt_scatter_add, a
 *    recorded engine op, so second derivatives work; with no graph to record, one direct
 *    loop on the CPU or a kernel on CUDA).
 *  - avg_pool2d: its gradient is lt_avg_pool2d_backward, a recorded linear op whose own
 *    backward is avg_pool2d again (the two are each other's adjoints).
 *  - pad2d: the gradient is pad2d of the gradient with the pads negated (crop <-> pad).
 *  - upsample_nearest2d, dropout, embedding: made of recorded engine ops (expand/reshape,
 *    mul by the mask, index_select/view), so autograd needs nothing more here.
 *  - batch_norm: a fast kernel for the plain backward; under createGraph the same formula
 *    is written with engine ops (mean and variance recomputed from the recorded input), so
 *    second derivatives are right.
 * Half-precision inputs (float16, bfloat16) compute through float32. */
#include "autograd.h"
#include <math.h>

#define F32 LT_FLOAT32
#define F64 LT_FLOAT64

static int check_float(const char *op, const lt_tensor *t, const char *what) {
  if (t->dtype != F32 && t->dtype != F64)
    LT_FAIL(-1, "%s: %s must be a FloatTensor or DoubleTensor (got a %sTensor)", op, what,
            lt_dtype_name(t->dtype));
  return 0;
}

/* half-precision inputs compute in float32: the input converted (a recorded conversion),
 * the op run, the result converted back */
static lt_tensor *to_f32(const lt_tensor *t) { return lt_to_dtype(t, F32); }
static lt_tensor *back_to(lt_tensor *r, lt_dtype dt) {
  if (!r) return NULL;
  lt_tensor *h = lt_to_dtype(r, dt);
  lt_release(r);
  return h;
}

/* ====================================================================================
 * 2-D pooling
 * ==================================================================================== */

typedef struct {
  int kW, kH, dW, dH, padW, padH;
  bool ceil_mode, count_include_pad;
  int64_t P, H, W, oH, oW;   /* planes, input and output sizes */
} pool_geom;


static int pool_setup(const char *op, const lt_tensor *in, pool_geom *g) {
  if (check_float(op, in, "input") < 0) return -1;
  if (in->ndim != 3 && in->ndim != 4) {
    char b[128];
    LT_FAIL(-1, "%s: expected a 3-D (C x H x W) or 4-D (N x C x H x W) input, got size %s", op,
            lt_shape_str(in, b, sizeof b));
  }
  if (g->kW < 1 || g->kH < 1) LT_FAIL(-1, "%s: kernel size must be positive, got %dx%d", op, g->kW, g->kH);
  if (g->dW < 1 || g->dH < 1) LT_FAIL(-1, "%s: stride must be positive, got %d,%d", op, g->dW, g->dH);
  if (g->padW < 0 || g->padH < 0) LT_FAIL(-1, "%s: padding must be non-negative, got %d,%d", op, g->padW, g->padH);
  if (g->padW > g->kW / 2 || g->padH > g->kH / 2)
    LT_FAIL(-1, "%s: padding (%d,%d) must be at most half the kernel size (%dx%d)", op, g->padW,
            g->padH, g->kW, g->kH);
  int d = in->ndim;
  g->H = in->size[d - 2];
  g->W = in->size[d - 1];
  g->P = 1;
  for (int i = 0; i < d - 2; i++) g->P *= in->size[i];
  if (g->H + 2 * (int64_t)g->padH < g->kH || g->W + 2 * (int64_t)g->padW < g->kW) {
    char b[128];
    LT_FAIL(-1, "%s: input of size %s is smaller than the kernel (%dx%d, padding %d,%d)", op,
            lt_shape_str(in, b, sizeof b), g->kW, g->kH, g->padW, g->padH);
  }
  g->oH = lt_pool_out_size(g->H, g->kH, g->dH, g->padH, g->ceil_mode);
  g->oW = lt_pool_out_size(g->W, g->kW, g->dW, g->padW, g->ceil_mode);
  return 0;
}

/* the geometry as the CUDA backend takes it (internal.h) */
static void pool_geom_array(const pool_geom *g, int64_t *v) {
  v[0] = g->kW; v[1] = g->kH; v[2] = g->dW; v[3] = g->dH; v[4] = g->padW; v[5] = g->padH;
  v[6] = g->P; v[7] = g->H; v[8] = g->W; v[9] = g->oH; v[10] = g->oW;
}
/* the backend of a non-CPU tensor, with the entry checked: NULL with the error set */
#define DEV_BACKEND(op, t, entry)                                                         \
  ({ const lt_backend *be_ = lt_backend_for((t)->device);                                 \
     if (be_ && !be_->entry) {                                                            \
       lt_seterr("%s: not available on %s", op, lt_devname((t)->device));               \
       be_ = NULL;                                                                        \
     }                                                                                    \
     be_; })

static void out_size(const lt_tensor *in, const pool_geom *g, int64_t *size) {
  memcpy(size, in->size, sizeof(int64_t) * in->ndim);
  size[in->ndim - 2] = g->oH;
  size[in->ndim - 1] = g->oW;
}

/* the maximum of each window (NaN wins, Torch7's rule) and its flat position. Windows
 * wholly inside the row run with the kernel offsets outermost and the output columns
 * innermost (branch-free selects the compiler vectorizes; the order of the offsets keeps
 * the first maximum); the windows at the borders are clipped one by one. */
#define MAXPOOL_KERNEL(T, NAME)                                                           \
  static void NAME(const pool_geom *g, const T *x, T *y, int64_t *ix) {                   \
    const int64_t P = g->P, H = g->H, W = g->W, oH = g->oH, oW = g->oW;                   \
    const int64_t kH = g->kH, kW = g->kW, dH = g->dH, dW = g->dW, pH = g->padH, pW = g->padW; \
    int64_t owA = LT_MIN((pW + dW - 1) / dW, oW);                                         \
    int64_t owB = W + pW - kW >= 0 ? LT_MIN((W + pW - kW) / dW + 1, oW) : 0;              \
    if (owB < owA) owB = owA;                                                             \
    int64_t work = P * oH * oW * kH * kW;                                                 \
    _Pragma("omp parallel for if (work > LT_PARALLEL_GRAIN)")                            \
    for (int64_t p = 0; p < P; p++) {                                                     \
      const T *xp = x + p * H * W;                                                        \
      for (int64_t oh = 0; oh < oH; oh++) {                                               \
        T *yp = y + (p * oH + oh) * oW;                                                   \
        int64_t *ip = ix + (p * oH + oh) * oW;                                            \
        int64_t h0 = oh * dH - pH, h1 = LT_MIN(h0 + kH, H);                               \
        h0 = LT_MAX(h0, 0);                                                               \
        for (int64_t ow = 0; ow < oW; ow++) {                                             \
          if (ow == owA) ow = owB;                                                        \
          if (ow >= oW) break;                                                            \
          int64_t w0 = ow * dW - pW, w1 = LT_MIN(w0 + kW, W);                             \
          w0 = LT_MAX(w0, 0);                                                             \
          T best = -INFINITY;                                                             \
          int64_t bi = h0 * W + w0;                                                       \
          for (int64_t h = h0; h < h1; h++)                                               \
            for (int64_t w = w0; w < w1; w++) {                                           \
              T v = xp[h * W + w];                                                        \
              bool take = (v > best) | (v != v);                                          \
              best = take ? v : best;                                                     \
              bi = take ? h * W + w : bi;                                                 \
            }                                                                             \
          yp[ow] = best;                                                                  \
          ip[ow] = bi;                                                                    \
        }                                                                                 \
        if (owB > owA) {                                                                  \
          for (int64_t ow = owA; ow < owB; ow++) { yp[ow] = -INFINITY; ip[ow] = h0 * W + ow * dW - pW; } \
          for (int64_t h = h0; h < h1; h++)                                               \
            for (int64_t kw = 0; kw < kW; kw++) {                                         \
              int64_t base = h * W - pW + kw;                                             \
              const T *row = xp + base;                                                   \
              for (int64_t ow = owA; ow < owB; ow++) {                                    \
                T v = row[ow * dW], b = yp[ow];                                           \
                bool take = (v > b) | (v != v);                                           \
                yp[ow] = take ? v : b;                                                    \
                ip[ow] = take ? base + ow * dW : ip[ow];                                  \
              }                                                                           \
            }                                                                             \
        }                                                                                 \
      }                                                                                   \
    }                                                                                     \
  }
MAXPOOL_KERNEL(float, maxpool_f)
MAXPOOL_KERNEL(double, maxpool_d)

/* The common 2x2 stride-2 unpadded pooling with no clipped window: each output reads its
 * four inputs directly, in the general kernel's order (row by row, NaN wins, ties keep the
 * first), about a quarter of the general kernel's instructions. */
static bool maxpool_is_2x2(const pool_geom *g) {
  return g->kH == 2 && g->kW == 2 && g->dH == 2 && g->dW == 2 && g->padH == 0 && g->padW == 0 &&
         2 * g->oH <= g->H && 2 * g->oW <= g->W;
}
#define MAXPOOL2_KERNEL(T, NAME)                                                          \
  static void NAME(const pool_geom *g, const T *x, T *y, int64_t *ix) {                   \
    const int64_t P = g->P, H = g->H, W = g->W, oH = g->oH, oW = g->oW;                   \
    _Pragma("omp parallel for if (P * oH * oW * 4 > LT_PARALLEL_GRAIN)")                 \
    for (int64_t p = 0; p < P; p++)                                                       \
      for (int64_t oh = 0; oh < oH; oh++) {                                               \
        const T *r0 = x + p * H * W + 2 * oh * W, *r1 = r0 + W;                           \
        T *yp = y + (p * oH + oh) * oW;                                                   \
        int64_t *ip = ix + (p * oH + oh) * oW, i0 = 2 * oh * W;                           \
        for (int64_t ow = 0; ow < oW; ow++) {                                             \
          T v[4] = {r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]};              \
          int64_t at[4] = {i0 + 2 * ow, i0 + 2 * ow + 1, i0 + W + 2 * ow, i0 + W + 2 * ow + 1}; \
          T best = v[0];                                                                  \
          int64_t bi = at[0];                                                             \
          for (int j = 1; j < 4; j++) {                                                   \
            bool take = (v[j] > best) | (v[j] != v[j]);                                   \
            best = take ? v[j] : best;                                                    \
            bi = take ? at[j] : bi;                                                       \
          }                                                                               \
          yp[ow] = best;                                                                  \
          ip[ow] = bi;                                                                    \
        }                                                                                 \
      }                                                                                   \
  }
MAXPOOL2_KERNEL(float, maxpool2_f)
MAXPOOL2_KERNEL(double, maxpool2_d)

/* the window of output (oh, ow): clipped bounds and the divisor */
#define AVG_WINDOW                                                                        \
  int64_t h0, h1, w0, w1;                                                                 \
  int64_t pool = lt_avg_pool_window(oh, g->H, g->kH, g->dH, g->padH, &h0, &h1) *          \
                 lt_avg_pool_window(ow, g->W, g->kW, g->dW, g->padW, &w0, &w1);           \
  int64_t div = g->count_include_pad ? pool : (h1 - h0) * (w1 - w0);                      \
  if (div <= 0) div = 1;

#define AVGPOOL_KERNEL(T, NAME)                                                           \
  static void NAME(const pool_geom *g, const T *x, T *y) {                                \
    int64_t work = g->P * g->oH * g->oW * g->kH * g->kW;                                  \
    _Pragma("omp parallel for if (work > LT_PARALLEL_GRAIN)")                            \
    for (int64_t p = 0; p < g->P; p++) {                                                  \
      const T *xp = x + p * g->H * g->W;                                                  \
      T *yp = y + p * g->oH * g->oW;                                                      \
      for (int64_t oh = 0; oh < g->oH; oh++)                                              \
        for (int64_t ow = 0; ow < g->oW; ow++) {                                          \
          AVG_WINDOW                                                                      \
          double s = 0;                                                                   \
          for (int64_t h = h0; h < h1; h++)                                               \
            for (int64_t w = w0; w < w1; w++) s += xp[h * g->W + w];                      \
          yp[oh * g->oW + ow] = (T)(s / (double)div);                                     \
        }                                                                                 \
    }                                                                                     \
  }
AVGPOOL_KERNEL(float, avgpool_f)
AVGPOOL_KERNEL(double, avgpool_d)

/* gi (zeroed) += the spread of go over each window */
#define AVGPOOL_BW_KERNEL(T, NAME)                                                        \
  static void NAME(const pool_geom *g, const T *go, T *gi) {                              \
    int64_t work = g->P * g->oH * g->oW * g->kH * g->kW;                                  \
    _Pragma("omp parallel for if (work > LT_PARALLEL_GRAIN)")                            \
    for (int64_t p = 0; p < g->P; p++) {                                                  \
      const T *gp = go + p * g->oH * g->oW;                                               \
      T *ip = gi + p * g->H * g->W;                                                       \
      for (int64_t oh = 0; oh < g->oH; oh++)                                              \
        for (int64_t ow = 0; ow < g->oW; ow++) {                                          \
          AVG_WINDOW                                                                      \
          T v = (T)(gp[oh * g->oW + ow] / (double)div);                                   \
          for (int64_t h = h0; h < h1; h++)                                               \
            for (int64_t w = w0; w < w1; w++) ip[h * g->W + w] += v;                      \
        }                                                                                 \
    }                                                                                     \
  }
AVGPOOL_BW_KERNEL(float, avgpool_bw_f)
AVGPOOL_BW_KERNEL(double, avgpool_bw_d)

static lt_tensor *max_pool_impl(const lt_tensor *input, pool_geom *g, lt_tensor **indices) {
  const char *op = "maxPool2d";
  if (pool_setup(op, input, g) < 0) return NULL;
  int64_t size[4];
  out_size(input, g, size);
  lt_tensor *xc = lt_contiguous(input);
  if (!xc) return NULL;
  lt_tensor *y = lt_empty(input->ndim, size, input->dtype, input->device);
  lt_tensor *ix = lt_empty(input->ndim, size, LT_INT64, input->device);
  if (!y || !ix) { lt_release(xc); lt_release(y); lt_release(ix); return NULL; }
  if (input->device.type != LT_CPU) {
    const lt_backend *be = DEV_BACKEND(op, input, max_pool2d);
    int64_t gv[11];
    pool_geom_array(g, gv);
    if (!be || be->max_pool2d(gv, y, ix, xc) < 0) {
      lt_release(xc); lt_release(y); lt_release(ix); return NULL;
    }
  } else if (maxpool_is_2x2(g)) {
    if (input->dtype == F32) maxpool2_f(g, lt_data(xc), lt_data(y), lt_data(ix));
    else maxpool2_d(g, lt_data(xc), lt_data(y), lt_data(ix));
  } else if (input->dtype == F32) maxpool_f(g, lt_data(xc), lt_data(y), lt_data(ix));
  else maxpool_d(g, lt_data(xc), lt_data(y), lt_data(ix));
  lt_release(xc);
  if (indices) *indices = ix;
  else lt_release(ix);
  return y;
}

static lt_tensor *avg_pool_impl(const lt_tensor *input, pool_geom *g) {
  const char *op = "avgPool2d";
  if (pool_setup(op, input, g) < 0) return NULL;
  int64_t size[4];
  out_size(input, g, size);
  lt_tensor *xc = lt_contiguous(input);
  if (!xc) return NULL;
  lt_tensor *y = lt_empty(input->ndim, size, input->dtype, input->device);
  if (!y) { lt_release(xc); return NULL; }
  if (input->device.type != LT_CPU) {
    const lt_backend *be = DEV_BACKEND(op, input, avg_pool2d);
    int64_t gv[11];
    pool_geom_array(g, gv);
    if (!be || be->avg_pool2d(gv, g->count_include_pad, y, xc) < 0) {
      lt_release(xc); lt_release(y); return NULL;
    }
  } else if (input->dtype == F32) avgpool_f(g, lt_data(xc), lt_data(y));
  else avgpool_d(g, lt_data(xc), lt_data(y));
  lt_release(xc);
  return y;
}

static pool_geom geom_of(int kW, int kH, int dW, int dH, int padW, int padH, bool ceil_mode,
                         bool count_include_pad) {
  pool_geom g = {.kW = kW, .kH = kH, .dW = dW, .dH = dH, .padW = padW, .padH = padH,
                 .ceil_mode = ceil_mode, .count_include_pad = count_include_pad};
  return g;
}
static void geom_save(lt_node *n, const pool_geom *g) {
  n->p[0] = g->kW; n->p[1] = g->kH; n->p[2] = g->dW; n->p[3] = g->dH;
  n->p[4] = g->padW; n->p[5] = g->padH; n->p[6] = g->ceil_mode; n->p[7] = g->count_include_pad;
}
static pool_geom geom_load(const lt_node *n) {
  return geom_of((int)n->p[0], (int)n->p[1], (int)n->p[2], (int)n->p[3], (int)n->p[4],
                 (int)n->p[5], n->p[6] != 0, n->p[7] != 0);
}

/* gi (P planes of HW, zeroed) += g (P planes of oHW) at the flat positions ix: planes over
 * threads, each plane's outputs in order. The positions are the forward pass's own (the
 * binding hands callers a 1-based copy); each is still checked, as the C API's callers
 * could pass anything. */
#define MAXPOOL_SCATTER(T)                                                                \
  do {                                                                                    \
    T *o = lt_data(gi);                                                                   \
    const T *gp = lt_data(g);                                                             \
    _Pragma("omp parallel for if (P * oHW > LT_PARALLEL_GRAIN) reduction(|: bad)")       \
    for (int64_t p = 0; p < P; p++)                                                       \
      for (int64_t i = 0; i < oHW; i++) {                                                 \
        int64_t at = ip[p * oHW + i];                                                     \
        if ((uint64_t)at >= (uint64_t)HW) { bad = true; continue; }                      \
        o[p * HW + at] += gp[p * oHW + i];                                                \
      }                                                                                   \
  } while (0)
static int maxpool_scatter(lt_tensor *gi, const lt_tensor *g, const lt_tensor *ix, int64_t P,
                           int64_t HW, int64_t oHW) {
  const int64_t *ip = lt_data(ix);
  bool bad = false;
  if (g->dtype == F32) MAXPOOL_SCATTER(float);
  else MAXPOOL_SCATTER(double);
  if (bad) LT_FAIL(-1, "maxPool2d backward: the saved indices were changed (a position outside its plane)");
  return 0;
}

/* ---- max pooling: backward scatters g to the argmax (recorded scatter_add) ---- */
static int max_pool_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const lt_tensor *ix = lt_node_saved(n, 0);
  if (!ix) return -1;
  const lt_node_input *in = &n->in[0];
  int d = in->ndim;
  int64_t P = 1;
  for (int i = 0; i < d - 2; i++) P *= in->size[i];
  int64_t zs[2] = {P, in->size[d - 2] * in->size[d - 1]};
  int64_t gs[2] = {P, g->size[d - 2] * g->size[d - 1]};
  if (g->device.type != LT_CPU && !lt_grad_on && (g->dtype == F32 || g->dtype == F64)) {
    /* CUDA, no graph to record: each input position sums the gradients of the windows
     * whose argmax it is, in the CPU's order (tensor/cuda/spatial.cu) */
    const lt_backend *be = DEV_BACKEND("maxPool2d backward", g, max_pool2d_backward);
    if (!be) return -1;
    pool_geom geo = geom_load(n);
    geo.P = P; geo.H = in->size[d - 2]; geo.W = in->size[d - 1];
    geo.oH = g->size[d - 2]; geo.oW = g->size[d - 1];
    int64_t gv[11];
    pool_geom_array(&geo, gv);
    lt_tensor *gc = lt_contiguous(g), *ic = lt_contiguous(ix);
    lt_tensor *gi = gc && ic ? lt_zeros(d, in->size, g->dtype, g->device) : NULL;
    int rc = gi ? be->max_pool2d_backward(gv, gi, gc, ic) : -1;
    lt_release(gc);
    lt_release(ic);
    if (rc < 0) { lt_release(gi); return -1; }
    grads[0] = gi;
    return 0;
  }
  if (g->device.type == LT_CPU && !lt_grad_on && (g->dtype == F32 || g->dtype == F64)) {
    /* CPU, no graph to record: the scatter-add below as one direct loop, in its order */
    lt_tensor *gc = lt_contiguous(g), *ic = lt_contiguous(ix);
    lt_tensor *gi = gc && ic ? lt_zeros(d, in->size, g->dtype, g->device) : NULL;
    int rc = gi ? maxpool_scatter(gi, gc, ic, P, zs[1], gs[1]) : -1;
    lt_release(gc);
    lt_release(ic);
    if (rc < 0) { lt_release(gi); return -1; }
    grads[0] = gi;
    return 0;
  }
  lt_tensor *z = lt_zeros(2, zs, g->dtype, g->device);
  lt_tensor *g2 = lt_reshape(g, 2, gs);
  lt_tensor *i2 = lt_reshape(ix, 2, gs);
  int rc = (z && g2 && i2) ? lt_scatter_add(z, 1, i2, g2) : -1;
  lt_release(g2);
  lt_release(i2);
  if (rc < 0) { lt_release(z); return -1; }
  grads[0] = lt_reshape(z, d, in->size);
  lt_release(z);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_max_pool2d(const lt_tensor *input, int kW, int kH, int dW, int dH, int padW,
                         int padH, bool ceil_mode, lt_tensor **indices) {
  if (lt_is_half(input->dtype)) {
    lt_tensor *f = to_f32(input);
    if (!f) return NULL;
    lt_tensor *r = lt_max_pool2d(f, kW, kH, dW, dH, padW, padH, ceil_mode, indices);
    lt_release(f);
    return back_to(r, input->dtype);
  }
  pool_geom g = geom_of(kW, kH, dW, dH, padW, padH, ceil_mode, true);
  if (!LT_AG1(input)) return max_pool_impl(input, &g, indices);
  bool pz = lt_grad_pause();
  lt_tensor *ix = NULL;
  lt_tensor *y = max_pool_impl(input, &g, &ix);
  lt_grad_resume(pz);
  if (!y) return NULL;
  lt_node *n = lt_node_new("MaxPool2DBackward", max_pool_backward, 1, &input);
  if (!n || lt_node_save(n, 0, ix, false) < 0) {
    lt_node_release(n); lt_release(y); lt_release(ix); return NULL;
  }
  geom_save(n, &g);
  y = lt_node_attach(n, y);
  if (!y) { lt_release(ix); return NULL; }   /* anomaly mode found NaN/Inf */
  if (indices) *indices = ix;
  else lt_release(ix);
  return y;
}

/* ---- average pooling and its gradient, each the other's adjoint ---- */
static lt_tensor *avg_pool_bw_impl(const lt_tensor *grad, int ndim, const int64_t *isize,
                                   pool_geom *g) {
  const char *op = "avgPool2dBackward";
  lt_tensor like = {0};   /* the input's shape, for the geometry */
  like.ndim = ndim;
  like.dtype = grad->dtype;
  like.device = grad->device;
  memcpy(like.size, isize, sizeof(int64_t) * ndim);
  if (pool_setup(op, &like, g) < 0) return NULL;
  if (grad->ndim != ndim || grad->size[ndim - 2] != g->oH || grad->size[ndim - 1] != g->oW) {
    char b[128];
    LT_FAIL(NULL, "%s: gradient of size %s does not match the pooling output (%lldx%lld)", op,
            lt_shape_str(grad, b, sizeof b), (long long)g->oH, (long long)g->oW);
  }
  lt_tensor *gc = lt_contiguous(grad);
  if (!gc) return NULL;
  if (grad->device.type != LT_CPU) {   /* every element written: no zeroing */
    const lt_backend *be = DEV_BACKEND(op, grad, avg_pool2d_backward);
    lt_tensor *r = be ? lt_empty(ndim, isize, grad->dtype, grad->device) : NULL;
    int64_t gv[11];
    pool_geom_array(g, gv);
    if (r && be->avg_pool2d_backward(gv, g->count_include_pad, r, gc) < 0) { lt_release(r); r = NULL; }
    lt_release(gc);
    return r;
  }
  lt_tensor *gi = lt_zeros(ndim, isize, grad->dtype, grad->device);
  if (!gi) { lt_release(gc); return NULL; }
  if (grad->dtype == F32) avgpool_bw_f(g, lt_data(gc), lt_data(gi));
  else avgpool_bw_d(g, lt_data(gc), lt_data(gi));
  lt_release(gc);
  return gi;
}

static int avg_pool_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  pool_geom geo = geom_load(n);
  grads[0] = lt_avg_pool2d_backward(g, n->in[0].ndim, n->in[0].size, geo.kW, geo.kH, geo.dW,
                                    geo.dH, geo.padW, geo.padH, geo.ceil_mode,
                                    geo.count_include_pad);
  return grads[0] ? 0 : -1;
}

static int avg_pool_bw_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  pool_geom geo = geom_load(n);
  grads[0] = lt_avg_pool2d(g, geo.kW, geo.kH, geo.dW, geo.dH, geo.padW, geo.padH,
                           geo.ceil_mode, geo.count_include_pad);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_avg_pool2d(const lt_tensor *input, int kW, int kH, int dW, int dH, int padW,
                         int padH, bool ceil_mode, bool count_include_pad) {
  if (lt_is_half(input->dtype)) {
    lt_tensor *f = to_f32(input);
    if (!f) return NULL;
    lt_tensor *r = lt_avg_pool2d(f, kW, kH, dW, dH, padW, padH, ceil_mode, count_include_pad);
    lt_release(f);
    return back_to(r, input->dtype);
  }
  pool_geom g = geom_of(kW, kH, dW, dH, padW, padH, ceil_mode, count_include_pad);
  if (!LT_AG1(input)) return avg_pool_impl(input, &g);
  bool pz = lt_grad_pause();
  lt_tensor *y = avg_pool_impl(input, &g);
  lt_grad_resume(pz);
  if (!y) return NULL;
  lt_node *n = lt_node_new("AvgPool2DBackward", avg_pool_backward, 1, &input);
  if (!n) { lt_release(y); return NULL; }
  geom_save(n, &g);
  return lt_node_attach(n, y);
}

lt_tensor *lt_avg_pool2d_backward(const lt_tensor *grad, int ndim, const int64_t *isize, int kW,
                                  int kH, int dW, int dH, int padW, int padH, bool ceil_mode,
                                  bool count_include_pad) {
  pool_geom g = geom_of(kW, kH, dW, dH, padW, padH, ceil_mode, count_include_pad);
  if (ndim != 3 && ndim != 4)
    LT_FAIL(NULL, "avgPool2dBackward: the input must be 3-D or 4-D, got %d-D", ndim);
  if (lt_is_half(grad->dtype)) {
    lt_tensor *f = to_f32(grad);
    if (!f) return NULL;
    lt_tensor *r = lt_avg_pool2d_backward(f, ndim, isize, kW, kH, dW, dH, padW, padH, ceil_mode,
                                          count_include_pad);
    lt_release(f);
    return back_to(r, grad->dtype);
  }
  if (!LT_AG1(grad)) return avg_pool_bw_impl(grad, ndim, isize, &g);
  bool pz = lt_grad_pause();
  lt_tensor *r = avg_pool_bw_impl(grad, ndim, isize, &g);
  lt_grad_resume(pz);
  if (!r) return NULL;
  lt_node *n = lt_node_new("AvgPool2DBackwardBackward", avg_pool_bw_backward, 1, &grad);
  if (!n) { lt_release(r); return NULL; }
  geom_save(n, &g);
  return lt_node_attach(n, r);
}

/* ====================================================================================
 * nearest up-sampling: expand + reshape (recorded engine ops)
 * ==================================================================================== */
lt_tensor *lt_upsample_nearest2d(const lt_tensor *input, int scale) {
  const char *op = "upsampleNearest2d";
  if (input->ndim != 3 && input->ndim != 4) {
    char b[128];
    LT_FAIL(NULL, "%s: expected a 3-D (C x H x W) or 4-D (N x C x H x W) input, got size %s", op,
            lt_shape_str(input, b, sizeof b));
  }
  if (scale < 1) LT_FAIL(NULL, "%s: scale must be a positive integer, got %d", op, scale);
  int d = input->ndim;
  int64_t vs[6], es[6], os[4];
  for (int i = 0; i < d - 2; i++) vs[i] = es[i] = os[i] = input->size[i];
  int64_t H = input->size[d - 2], W = input->size[d - 1];
  vs[d - 2] = H; vs[d - 1] = 1; vs[d] = W; vs[d + 1] = 1;
  es[d - 2] = H; es[d - 1] = scale; es[d] = W; es[d + 1] = scale;
  os[d - 2] = H * scale; os[d - 1] = W * scale;
  lt_tensor *v = lt_reshape(input, d + 2, vs);
  if (!v) return NULL;
  lt_tensor *e = lt_expand(v, d + 2, es);
  lt_release(v);
  if (!e) return NULL;
  lt_tensor *r = lt_reshape(e, d, os);
  lt_release(e);
  return r;
}

/* ====================================================================================
 * constant padding of the last two dims (negative pads crop)
 * ==================================================================================== */
static lt_tensor *pad2d_impl(const lt_tensor *input, const int64_t *pad, double value) {
  const char *op = "pad2d";
  if (input->ndim < 2) LT_FAIL(NULL, "%s: expected an input of at least 2 dims, got %d", op, input->ndim);
  int d = input->ndim;
  int64_t H = input->size[d - 2], W = input->size[d - 1];
  int64_t oH = H + pad[2] + pad[3], oW = W + pad[0] + pad[1];
  if (oH < 1 || oW < 1) {
    char b[128];
    LT_FAIL(NULL, "%s: padding (%lld,%lld,%lld,%lld) leaves nothing of an input of size %s", op,
            (long long)pad[0], (long long)pad[1], (long long)pad[2], (long long)pad[3],
            lt_shape_str(input, b, sizeof b));
  }
  int64_t size[LT_MAXDIM];
  memcpy(size, input->size, sizeof(int64_t) * d);
  size[d - 2] = oH;
  size[d - 1] = oW;
  lt_tensor *out = lt_empty(d, size, input->dtype, input->device);
  if (!out) return NULL;
  if (lt_fill(out, value) < 0) { lt_release(out); return NULL; }
  /* the part of the input that survives, and where it goes */
  int64_t hs = LT_MAX(0, -pad[2]), ws = LT_MAX(0, -pad[0]);
  int64_t hl = H - hs - LT_MAX(0, -pad[3]), wl = W - ws - LT_MAX(0, -pad[1]);
  if (hl <= 0 || wl <= 0) return out;
  lt_tensor *a = lt_narrow(input, d - 2, hs, hl);
  lt_tensor *iv = a ? lt_narrow(a, d - 1, ws, wl) : NULL;
  lt_tensor *b = lt_narrow(out, d - 2, LT_MAX(0, pad[2]), hl);
  lt_tensor *ov = b ? lt_narrow(b, d - 1, LT_MAX(0, pad[0]), wl) : NULL;
  int rc = iv && ov ? lt_copy(ov, iv) : -1;
  lt_release(a); lt_release(iv); lt_release(b); lt_release(ov);
  if (rc < 0) { lt_release(out); return NULL; }
  return out;
}

static int pad2d_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  grads[0] = lt_pad2d(g, -n->p[0], -n->p[1], -n->p[2], -n->p[3], 0);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_pad2d(const lt_tensor *input, int64_t left, int64_t right, int64_t top,
                    int64_t bottom, double value) {
  int64_t pad[4] = {left, right, top, bottom};
  if (!LT_AG1(input)) return pad2d_impl(input, pad, value);
  bool pz = lt_grad_pause();
  lt_tensor *r = pad2d_impl(input, pad, value);
  lt_grad_resume(pz);
  if (!r) return NULL;
  lt_node *n = lt_node_new("Pad2DBackward", pad2d_backward, 1, &input);
  if (!n) { lt_release(r); return NULL; }
  for (int i = 0; i < 4; i++) n->p[i] = pad[i];
  return lt_node_attach(n, r);
}

/* ====================================================================================
 * batch normalization
 * ==================================================================================== */

typedef struct {
  int64_t N, C, S, M;   /* batch, channels, spatial size, N*S */
} bn_geom;

/* per channel c of x (N, C, S) contiguous: mean and biased variance in double */
#define BN_STATS_KERNEL(T, NAME)                                                          \
  static void NAME(const bn_geom *b, const T *x, double *mean, double *var) {             \
    _Pragma("omp parallel for if (b->N * b->C * b->S > LT_PARALLEL_GRAIN)")              \
    for (int64_t c = 0; c < b->C; c++) {                                                  \
      double s = 0;                                                                       \
      for (int64_t n = 0; n < b->N; n++) {                                                \
        const T *xp = x + (n * b->C + c) * b->S;                                          \
        for (int64_t i = 0; i < b->S; i++) s += xp[i];                                    \
      }                                                                                   \
      double m = s / (double)b->M, q = 0;                                                 \
      for (int64_t n = 0; n < b->N; n++) {                                                \
        const T *xp = x + (n * b->C + c) * b->S;                                          \
        for (int64_t i = 0; i < b->S; i++) { double dv = xp[i] - m; q += dv * dv; }       \
      }                                                                                   \
      mean[c] = m;                                                                        \
      var[c] = q / (double)b->M;                                                          \
    }                                                                                     \
  }
BN_STATS_KERNEL(float, bn_stats_f)
BN_STATS_KERNEL(double, bn_stats_d)

/* y = x * scale[c] + shift[c] */
#define BN_APPLY_KERNEL(T, NAME)                                                          \
  static void NAME(const bn_geom *b, const T *x, T *y, const double *scale, const double *shift) { \
    int64_t rows = b->N * b->C;                                                           \
    _Pragma("omp parallel for if (rows * b->S > LT_PARALLEL_GRAIN)")                     \
    for (int64_t r = 0; r < rows; r++) {                                                  \
      int64_t c = r % b->C;                                                               \
      T sc = (T)scale[c], sh = (T)shift[c];                                               \
      const T *xp = x + r * b->S;                                                         \
      T *yp = y + r * b->S;                                                               \
      for (int64_t i = 0; i < b->S; i++) yp[i] = xp[i] * sc + sh;                         \
    }                                                                                     \
  }
BN_APPLY_KERNEL(float, bn_apply_f)
BN_APPLY_KERNEL(double, bn_apply_d)

/* sums per channel: sg = sum g, sgx = sum g * (x - mean) * invstd */
#define BN_BWSUM_KERNEL(T, NAME)                                                          \
  static void NAME(const bn_geom *b, const T *x, const T *g, const double *mean,          \
                   const double *invstd, double *sg, double *sgx) {                       \
    _Pragma("omp parallel for if (b->N * b->C * b->S > LT_PARALLEL_GRAIN)")              \
    for (int64_t c = 0; c < b->C; c++) {                                                  \
      double s1 = 0, s2 = 0, m = mean[c];                                                 \
      for (int64_t n = 0; n < b->N; n++) {                                                \
        const T *xp = x + (n * b->C + c) * b->S, *gp = g + (n * b->C + c) * b->S;         \
        for (int64_t i = 0; i < b->S; i++) { s1 += gp[i]; s2 += gp[i] * (xp[i] - m); }    \
      }                                                                                   \
      sg[c] = s1;                                                                         \
      sgx[c] = s2 * invstd[c];                                                            \
    }                                                                                     \
  }
BN_BWSUM_KERNEL(float, bn_bwsum_f)
BN_BWSUM_KERNEL(double, bn_bwsum_d)

/* dx = k[c] * (g - a[c] - (x - mean[c]) * q[c]) */
#define BN_BWDX_KERNEL(T, NAME)                                                           \
  static void NAME(const bn_geom *b, const T *x, const T *g, T *dx, const double *k,      \
                   const double *a, const double *mean, const double *q) {               \
    int64_t rows = b->N * b->C;                                                           \
    _Pragma("omp parallel for if (rows * b->S > LT_PARALLEL_GRAIN)")                     \
    for (int64_t r = 0; r < rows; r++) {                                                  \
      int64_t c = r % b->C;                                                               \
      double kc = k[c], ac = a[c], mc = mean[c], qc = q[c];                               \
      const T *xp = x + r * b->S, *gp = g + r * b->S;                                     \
      T *dp = dx + r * b->S;                                                              \
      for (int64_t i = 0; i < b->S; i++)                                                  \
        dp[i] = (T)(kc * (gp[i] - ac - (xp[i] - mc) * qc));                               \
    }                                                                                     \
  }
BN_BWDX_KERNEL(float, bn_bwdx_f)
BN_BWDX_KERNEL(double, bn_bwdx_d)

/* a per-channel parameter or buffer: numel C, on x's device, floating */
static int bn_check_vec(const char *op, const lt_tensor *x, const lt_tensor *t, int64_t C, const char *what) {
  if (!t) return 0;
  if (lt_check_same_device(op, x, t) < 0) return -1;
  if (!lt_dtype_is_float(t->dtype))
    LT_FAIL(-1, "%s: %s must be a floating-point tensor (got a %sTensor)", op, what, lt_dtype_name(t->dtype));
  if (lt_numel(t) != C) {
    char b[128];
    LT_FAIL(-1, "%s: %s has size %s, expected %lld elements (one per channel)", op, what,
            lt_shape_str(t, b, sizeof b), (long long)C);
  }
  return 0;
}
/* t's elements as doubles (t contiguous or not) into v[C]; NULL t gives def */
static int bn_read(const lt_tensor *t, double *v, int64_t C, double def) {
  if (!t) { for (int64_t i = 0; i < C; i++) v[i] = def; return 0; }
  lt_tensor *d = lt_to_dtype(t, F64);
  lt_tensor *c = d ? lt_contiguous(d) : NULL;
  lt_release(d);
  if (!c) return -1;
  if (C > 0) memcpy(v, lt_data(c), sizeof(double) * C);   /* zero channels: no data pointer */
  lt_release(c);
  return 0;
}
/* a new C-element tensor of dtype dt from v, shaped (ndim, size) */
static lt_tensor *bn_tensor(const double *v, int64_t C, lt_dtype dt, int ndim, const int64_t *size) {
  lt_tensor *t = lt_empty(ndim, size, dt, lt_cpu());
  if (!t) return NULL;
  if (dt == F64 && C > 0) memcpy(lt_data(t), v, sizeof(double) * C);
  else for (int64_t i = 0; i < C; i++) lt_store(dt, (char *)lt_data(t) + i * lt_dtype_size(dt), v[i]);
  return t;
}
/* running = (1 - m) * running + m * v, in place (not recorded: a buffer update) */
static void bn_update(lt_tensor *r, const double *v, int64_t C, double m) {
  size_t es = lt_dtype_size(r->dtype);
  for (int64_t i = 0; i < C; i++) {
    int64_t off = 0, rem = i;
    for (int k = r->ndim - 1; k >= 0; k--) { off += (rem % r->size[k]) * r->stride[k]; rem /= r->size[k]; }
    char *p = (char *)r->storage->data + (r->offset + off) * (int64_t)es;
    lt_store(r->dtype, p, (1 - m) * lt_load(r->dtype, p) + m * v[i]);
  }
  lt_bump_version(r);
}

static int bn_geometry(const char *op, const lt_tensor *x, bn_geom *b) {
  if (check_float(op, x, "input") < 0) return -1;
  if (x->ndim < 2) {
    char s[128];
    LT_FAIL(-1, "%s: expected an input of size N x C (or N x C x ...), got %s", op, lt_shape_str(x, s, sizeof s));
  }
  b->N = x->size[0];
  b->C = x->size[1];
  b->S = 1;
  for (int i = 2; i < x->ndim; i++) b->S *= x->size[i];
  b->M = b->N * b->S;
  return 0;
}

/* the arguments of batch_norm checked; b filled */
static int bn_check_args(const char *op, const lt_tensor *x, lt_tensor *rm, lt_tensor *rv,
                         const lt_tensor *w, const lt_tensor *bias, bool training, double eps,
                         bn_geom *b) {
  if (bn_geometry(op, x, b) < 0) return -1;
  if (bn_check_vec(op, x, rm, b->C, "running_mean") < 0 ||
      bn_check_vec(op, x, rv, b->C, "running_var") < 0 || bn_check_vec(op, x, w, b->C, "weight") < 0 ||
      bn_check_vec(op, x, bias, b->C, "bias") < 0)
    return -1;
  if ((rm == NULL) != (rv == NULL))
    LT_FAIL(-1, "%s: give both running_mean and running_var, or neither", op);
  if (!training && !rm)
    LT_FAIL(-1, "%s: evaluation mode needs running_mean and running_var", op);
  if (!(eps >= 0)) LT_FAIL(-1, "%s: eps must be non-negative, got %g", op, eps);
  if (training && b->M < 2) {
    char s[128];
    LT_FAIL(-1, "%s: training needs more than one value per channel, got an input of size %s",
            op, lt_shape_str(x, s, sizeof s));
  }
  if (training && rm && ((rm->requires_grad && lt_grad_on) || (rv->requires_grad && lt_grad_on)))
    LT_FAIL(-1, "%s: running_mean and running_var are buffers and must not require grad", op);
  return 0;
}

/* the CUDA path: statistics, buffer updates and the normalization on the device
 * (tensor/cuda/spatial.cu); ms/is (C, x's dtype, on the device, or NULL) receive the mean
 * and invstd used */
static lt_tensor *bn_impl_dev(const lt_tensor *x, lt_tensor *rm, lt_tensor *rv, const lt_tensor *w,
                              const lt_tensor *bias, bool training, double momentum, double eps,
                              lt_tensor *ms, lt_tensor *is) {
  const char *op = "batchNorm";
  bn_geom b;
  if (bn_check_args(op, x, rm, rv, w, bias, training, eps, &b) < 0) return NULL;
  const lt_backend *be = DEV_BACKEND(op, x, batch_norm);
  if (!be) return NULL;
  lt_tensor *xc = lt_contiguous(x);
  lt_tensor *y = xc ? lt_empty(x->ndim, x->size, x->dtype, x->device) : NULL;
  if (y && be->batch_norm(y, ms, is, xc, rm, rv, w, bias, training, momentum, eps) < 0) {
    lt_release(y);
    y = NULL;
  }
  lt_release(xc);
  if (y && training && rm) { lt_bump_version(rm); lt_bump_version(rv); }
  return y;
}

/* computes y; mean_out/invstd_out (C doubles) receive the statistics used */
static lt_tensor *bn_impl(const lt_tensor *x, lt_tensor *rm, lt_tensor *rv, const lt_tensor *w,
                          const lt_tensor *bias, bool training, double momentum, double eps,
                          double *mean, double *invstd) {
  const char *op = "batchNorm";
  bn_geom b;
  if (bn_check_args(op, x, rm, rv, w, bias, training, eps, &b) < 0) return NULL;
  int64_t C = b.C;
  double *buf = malloc(sizeof(double) * 4 * (size_t)(C ? C : 1));
  if (!buf) LT_FAIL(NULL, "%s: out of memory", op);
  double *var = buf, *wv = buf + C, *bv = buf + 2 * C, *shift = buf + 3 * C;
  lt_tensor *xc = NULL, *y = NULL;
  if (bn_read(w, wv, C, 1) < 0 || bn_read(bias, bv, C, 0) < 0) goto done;
  if (!(xc = lt_contiguous(x))) goto done;
  if (training) {
    if (x->dtype == F32) bn_stats_f(&b, lt_data(xc), mean, var);
    else bn_stats_d(&b, lt_data(xc), mean, var);
    if (rm) {
      bn_update(rm, mean, C, momentum);
      double corr = (double)b.M / (double)(b.M - 1);
      for (int64_t c = 0; c < C; c++) shift[c] = var[c] * corr;
      bn_update(rv, shift, C, momentum);
    }
  } else {
    if (bn_read(rm, mean, C, 0) < 0 || bn_read(rv, var, C, 1) < 0) goto done;
  }
  for (int64_t c = 0; c < C; c++) {
    invstd[c] = lt_bn_invstd(var[c], eps);
    var[c] = invstd[c] * wv[c];                 /* the scale */
    shift[c] = bv[c] - mean[c] * var[c];
  }
  if (!(y = lt_empty(x->ndim, x->size, x->dtype, x->device))) goto done;
  if (x->dtype == F32) bn_apply_f(&b, lt_data(xc), lt_data(y), var, shift);
  else bn_apply_d(&b, lt_data(xc), lt_data(y), var, shift);
done:
  lt_release(xc);
  free(buf);
  return y;
}

/* ---- batch norm backward ----
 * inputs: 0 x, 1 weight, 2 bias; saved: 0 x, 1 weight, 2 mean (C), 3 invstd (C);
 * p[0]: training; d[0]: eps.
 * training: xhat = (x - mean) * invstd, dy = g * w,
 *   dx = invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), dw = sum(g * xhat), db = sum(g)
 * evaluation: dx = g * w * invstd (mean and invstd are constants). */

/* t (C elements) viewed as (1, C, 1) */
static lt_tensor *chan3(const lt_tensor *t, int64_t C) {
  int64_t s[3] = {1, C, 1};
  return lt_reshape(t, 3, s);
}
/* sum of t (N, C, S) over dims 0 and 2, keeping (1, C, 1) */
static lt_tensor *chan_sum(const lt_tensor *t) {
  lt_tensor *a = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, t, 2, true, 0);
  if (!a) return NULL;
  lt_tensor *r = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, a, 0, true, 0);
  lt_release(a);
  return r;
}
static lt_tensor *bin(lt_binary_op op, const lt_tensor *a, const lt_tensor *b) {
  return a && b ? lt_binary(op, NULL, a, b, 1) : NULL;
}
static lt_tensor *scal(lt_binary_op op, const lt_tensor *a, double s) {
  return a ? lt_binary_scalar(op, NULL, a, s, false) : NULL;
}

/* temporaries of a formula, released together at the end */
static lt_tensor *keep(lt_tensor **T, int *k, lt_tensor *e) {
  T[(*k)++] = e;
  return e;
}

/* the formula with engine ops (createGraph: recorded, so second derivatives work) */
static int bn_backward_graph(lt_node *n, const lt_tensor *g, lt_tensor **grads, bool training,
                             double eps) {
  const lt_node_input *ix = &n->in[0];
  int64_t N = ix->size[0], C = ix->size[1], M = 1;
  for (int i = 0; i < ix->ndim; i++) if (i != 1) M *= ix->size[i];
  int64_t s3[3] = {N, C, M / (N ? N : 1)};
  bool need_x = n->in[0].fn != NULL, need_w = n->in[1].fn != NULL, need_b = n->in[2].fn != NULL;
  const lt_tensor *x = lt_node_saved(n, 0);
  const lt_tensor *w = n->nsaved > 1 && n->saved[1] ? lt_node_saved(n, 1) : NULL;
  if (!x) return -1;
  lt_tensor *T[40] = {0};
  int k = 0, rc = -1;
#define KEEP(e) keep(T, &k, (e))
  lt_tensor *x3 = KEEP(lt_reshape(x, 3, s3));
  lt_tensor *g3 = KEEP(lt_reshape(g, 3, s3));
  if (!x3 || !g3) goto done;
  lt_tensor *mean, *invstd;
  if (training) {
    mean = KEEP(scal(LT_DIV, KEEP(chan_sum(x3)), (double)M));
    lt_tensor *xc = KEEP(bin(LT_SUB, x3, mean));
    lt_tensor *var = KEEP(scal(LT_DIV, KEEP(chan_sum(KEEP(bin(LT_MUL, xc, xc)))), (double)M));
    invstd = KEEP(var ? lt_unary(LT_RSQRT, NULL, KEEP(scal(LT_ADD, var, eps))) : NULL);
  } else {
    const lt_tensor *ms = lt_node_saved(n, 2), *is = lt_node_saved(n, 3);
    if (!ms || !is) goto done;
    mean = KEEP(chan3(ms, C));
    invstd = KEEP(chan3(is, C));
  }
  if (!mean || !invstd) goto done;
  lt_tensor *xhat = KEEP(bin(LT_MUL, KEEP(bin(LT_SUB, x3, mean)), invstd));
  if (!xhat) goto done;
  if (need_w) {
    lt_tensor *s = chan_sum(KEEP(bin(LT_MUL, g3, xhat)));
    if (!s) goto done;
    grads[1] = lt_ag_match_input(lt_reshape(s, n->in[1].ndim, n->in[1].size), &n->in[1]);
    lt_release(s);
    if (!grads[1]) goto done;
  }
  if (need_b) {
    lt_tensor *s = chan_sum(g3);
    if (!s) goto done;
    grads[2] = lt_ag_match_input(lt_reshape(s, n->in[2].ndim, n->in[2].size), &n->in[2]);
    lt_release(s);
    if (!grads[2]) goto done;
  }
  if (need_x) {
    lt_tensor *dy = w ? KEEP(bin(LT_MUL, g3, KEEP(chan3(w, C)))) : g3;
    if (!dy) goto done;
    lt_tensor *dx3;
    if (training) {
      lt_tensor *a = KEEP(scal(LT_DIV, KEEP(chan_sum(dy)), (double)M));
      lt_tensor *q = KEEP(scal(LT_DIV, KEEP(chan_sum(KEEP(bin(LT_MUL, dy, xhat)))), (double)M));
      lt_tensor *t1 = KEEP(bin(LT_SUB, KEEP(bin(LT_SUB, dy, a)), KEEP(bin(LT_MUL, xhat, q))));
      dx3 = KEEP(bin(LT_MUL, t1, invstd));
    } else dx3 = KEEP(bin(LT_MUL, dy, invstd));
    if (!dx3) goto done;
    if (!(grads[0] = lt_ag_match_input(lt_reshape(dx3, ix->ndim, ix->size), ix))) goto done;
  }
  rc = 0;
#undef KEEP
done:
  for (int i = 0; i < k; i++) lt_release(T[i]);
  return rc;
}

/* the fast kernel on the device (tensor/cuda/spatial.cu) */
static int bn_backward_dev(lt_node *n, const lt_tensor *g, lt_tensor **grads, bool training,
                           const lt_tensor *x, const lt_tensor *w, const lt_tensor *ms,
                           const lt_tensor *is) {
  const char *op = "batchNorm backward";
  bool need_x = n->in[0].fn != NULL, need_w = n->in[1].fn != NULL, need_b = n->in[2].fn != NULL;
  const lt_backend *be = DEV_BACKEND(op, x, batch_norm_backward);
  if (!be) return -1;
  lt_tensor *xc = lt_contiguous(x), *gc = xc ? lt_contiguous(g) : NULL;
  lt_tensor *dx = NULL, *dw = NULL, *db = NULL;
  int rc = -1;
  if (!gc) goto done;
  if (need_x && !(dx = lt_empty(x->ndim, x->size, x->dtype, x->device))) goto done;
  if (need_w && !(dw = lt_empty(n->in[1].ndim, n->in[1].size, n->in[1].dtype, x->device))) goto done;
  if (need_b && !(db = lt_empty(n->in[2].ndim, n->in[2].size, n->in[2].dtype, x->device))) goto done;
  if (be->batch_norm_backward(dx, dw, db, xc, gc, w, ms, is, training) < 0) goto done;
  grads[0] = dx; grads[1] = dw; grads[2] = db;
  dx = dw = db = NULL;
  rc = 0;
done:
  lt_release(xc); lt_release(gc); lt_release(dx); lt_release(dw); lt_release(db);
  return rc;
}

/* the fast kernel (plain backward) */
static int bn_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  bool training = n->p[0] != 0;
  if (lt_grad_on) return bn_backward_graph(n, g, grads, training, n->d[0]);
  bool need_x = n->in[0].fn != NULL, need_w = n->in[1].fn != NULL, need_b = n->in[2].fn != NULL;
  const lt_tensor *x = lt_node_saved(n, 0);
  const lt_tensor *w = n->nsaved > 1 && n->saved[1] ? lt_node_saved(n, 1) : NULL;
  const lt_tensor *ms = lt_node_saved(n, 2), *is = lt_node_saved(n, 3);
  if (!x || !ms || !is || (n->saved[1] && !w)) return -1;
  if (g->dtype != x->dtype || !lt_same_device(g->device, x->device))
    return bn_backward_graph(n, g, grads, training, n->d[0]);
  bn_geom b;
  if (bn_geometry("batchNorm backward", x, &b) < 0) return -1;
  if (x->device.type != LT_CPU) return bn_backward_dev(n, g, grads, training, x, w, ms, is);
  int64_t C = b.C;
  double *buf = malloc(sizeof(double) * 7 * (size_t)(C ? C : 1));
  if (!buf) LT_FAIL(-1, "batchNorm backward: out of memory");
  double *mean = buf, *invstd = buf + C, *wv = buf + 2 * C, *sg = buf + 3 * C, *sgx = buf + 4 * C;
  double *kk = buf + 5 * C, *q = buf + 6 * C;
  int rc = -1;
  lt_tensor *xc = NULL, *gc = NULL, *dx = NULL;
  if (bn_read(ms, mean, C, 0) < 0 || bn_read(is, invstd, C, 1) < 0 || bn_read(w, wv, C, 1) < 0) goto done;
  if (!(xc = lt_contiguous(x)) || !(gc = lt_contiguous(g))) goto done;
  if (x->dtype == F32) bn_bwsum_f(&b, lt_data(xc), lt_data(gc), mean, invstd, sg, sgx);
  else bn_bwsum_d(&b, lt_data(xc), lt_data(gc), mean, invstd, sg, sgx);
  if (need_w && !(grads[1] = bn_tensor(sgx, C, n->in[1].dtype, n->in[1].ndim, n->in[1].size))) goto done;
  if (need_b && !(grads[2] = bn_tensor(sg, C, n->in[2].dtype, n->in[2].ndim, n->in[2].size))) goto done;
  if (need_x) {
    for (int64_t c = 0; c < C; c++) {
      kk[c] = wv[c] * invstd[c];
      if (training) {
        /* g - mean(g) - (x - mean) * invstd * mean(g * xhat) * invstd */
        sg[c] /= (double)b.M;
        q[c] = sgx[c] / (double)b.M * invstd[c];
      } else sg[c] = q[c] = 0;
    }
    if (!(dx = lt_empty(x->ndim, x->size, x->dtype, x->device))) goto done;
    if (x->dtype == F32) bn_bwdx_f(&b, lt_data(xc), lt_data(gc), lt_data(dx), kk, sg, mean, q);
    else bn_bwdx_d(&b, lt_data(xc), lt_data(gc), lt_data(dx), kk, sg, mean, q);
    grads[0] = dx;
    dx = NULL;
  }
  rc = 0;
done:
  lt_release(xc);
  lt_release(gc);
  lt_release(dx);
  free(buf);
  return rc;
}

/* records y's BatchNormBackward node (saved: x, weight, mean ms, invstd is); takes ms and is
 * (either may be NULL after a failed allocation) and y; NULL with the error set */
static lt_tensor *bn_record(const lt_tensor *input, const lt_tensor *weight, const lt_tensor *bias,
                            bool training, double eps, lt_tensor *ms, lt_tensor *is, lt_tensor *y) {
  lt_node *n = (ms && is) ? lt_node_new("BatchNormBackward", bn_backward, 3,
                                        (const lt_tensor *[]){input, weight, bias}) : NULL;
  bool ok = n && lt_node_save(n, 0, input, false) == 0 &&
            (!weight || lt_node_save(n, 1, weight, false) == 0) &&
            lt_node_save(n, 2, ms, false) == 0 && lt_node_save(n, 3, is, false) == 0;
  lt_release(ms);
  lt_release(is);
  if (!ok) { lt_node_release(n); lt_release(y); return NULL; }
  n->p[0] = training;
  n->d[0] = eps;
  return lt_node_attach(n, y);
}

lt_tensor *lt_batch_norm(const lt_tensor *input, lt_tensor *running_mean, lt_tensor *running_var,
                         const lt_tensor *weight, const lt_tensor *bias, bool training,
                         double momentum, double eps) {
  if (lt_is_half(input->dtype)) {
    lt_tensor *f = to_f32(input);
    if (!f) return NULL;
    lt_tensor *r = lt_batch_norm(f, running_mean, running_var, weight, bias, training, momentum, eps);
    lt_release(f);
    return back_to(r, input->dtype);
  }
  if (input->device.type != LT_CPU) {
    bool rec = lt_grad_on && (input->requires_grad || LT_RG(weight) || LT_RG(bias));
    int64_t C = input->ndim >= 2 ? input->size[1] : 0;
    lt_tensor *ms = NULL, *is = NULL;
    if (rec && (!(ms = lt_empty(1, &C, input->dtype, input->device)) ||
                !(is = lt_empty(1, &C, input->dtype, input->device)))) {
      lt_release(ms);
      return NULL;
    }
    bool pz = lt_grad_pause();
    lt_tensor *y = bn_impl_dev(input, running_mean, running_var, weight, bias, training, momentum,
                               eps, ms, is);
    lt_grad_resume(pz);
    if (!y || !rec) { lt_release(ms); lt_release(is); return y; }
    return bn_record(input, weight, bias, training, eps, ms, is, y);
  }
  int64_t C = input->ndim >= 2 ? input->size[1] : 0;
  double *st = malloc(sizeof(double) * 2 * (size_t)(C ? C : 1));
  if (!st) LT_FAIL(NULL, "batchNorm: out of memory");
  bool rec = lt_grad_on && (input->requires_grad || LT_RG(weight) || LT_RG(bias));
  bool pz = lt_grad_pause();
  lt_tensor *y = bn_impl(input, running_mean, running_var, weight, bias, training, momentum, eps,
                         st, st + C);
  lt_grad_resume(pz);
  if (!y || !rec) { free(st); return y; }
  lt_tensor *ms = bn_tensor(st, C, input->dtype, 1, &C);
  lt_tensor *is = bn_tensor(st + C, C, input->dtype, 1, &C);
  free(st);
  return bn_record(input, weight, bias, training, eps, ms, is, y);
}

/* ====================================================================================
 * dropout: out = input * mask, mask = bernoulli(1 - p) (/ (1 - p) when scaled), drawn
 * from the generator's Philox stream; the mul is recorded, so backward uses the same mask
 * ==================================================================================== */
lt_tensor *lt_dropout(lt_tensor *input, lt_generator *gen, double p, bool training, bool spatial,
                      bool inplace, bool scale, lt_tensor **mask_out) {
  const char *op = spatial ? "spatialDropout" : "dropout";
  if (mask_out) *mask_out = NULL;
  if (!(p >= 0 && p <= 1)) LT_FAIL(NULL, "%s: p must be in [0, 1], got %g", op, p);
  if (!lt_dtype_is_float(input->dtype))
    LT_FAIL(NULL, "%s: input must be a floating-point tensor (got a %sTensor)", op, lt_dtype_name(input->dtype));
  if (spatial && input->ndim < 3) {
    char b[128];
    LT_FAIL(NULL, "%s: expected a 3-D (C x H x W) or 4-D (N x C x H x W) input, got size %s", op,
            lt_shape_str(input, b, sizeof b));
  }
  if (!training || p == 0) { lt_retain(input); return input; }
  int64_t ms[LT_MAXDIM];
  memcpy(ms, input->size, sizeof(int64_t) * input->ndim);
  if (spatial) ms[input->ndim - 1] = ms[input->ndim - 2] = 1;
  lt_tensor *mask = lt_empty(input->ndim, ms, input->dtype, input->device);
  if (!mask) return NULL;
  if (lt_bernoulli(mask, gen, 1 - p) < 0) { lt_release(mask); return NULL; }
  if (scale && p < 1) {
    lt_tensor *r = lt_binary_scalar(LT_MUL, mask, mask, 1.0 / (1.0 - p), false);
    if (!r) { lt_release(mask); return NULL; }
    lt_release(r);
  }
  lt_tensor *out = lt_binary(LT_MUL, inplace ? input : NULL, input, mask, 1);
  if (out && mask_out) *mask_out = mask;
  else lt_release(mask);
  return out;
}

/* ====================================================================================
 * embedding: weight rows picked by indices (index_select + view: recorded)
 * ==================================================================================== */
lt_tensor *lt_embedding(const lt_tensor *weight, const lt_tensor *indices) {
  const char *op = "embedding";
  char b[128];
  if (weight->ndim != 2)
    LT_FAIL(NULL, "%s: weight must be 2-D (n x dim), got size %s", op, lt_shape_str(weight, b, sizeof b));
  if (indices->dtype != LT_INT64)
    LT_FAIL(NULL, "%s: indices must be a LongTensor (got a %sTensor)", op, lt_dtype_name(indices->dtype));
  if (lt_check_same_device(op, weight, indices) < 0) return NULL;
  int64_t n = lt_numel(indices), rows = weight->size[0];
  lt_tensor *flat = lt_reshape(indices, 1, &n);
  if (!flat) return NULL;
  if (indices->device.type != LT_CPU) {
    /* on the device: a kernel finds the first bad index, in order */
    const lt_backend *be = DEV_BACKEND(op, indices, embedding_check);
    int64_t bad = 0;
    int rc = be ? be->embedding_check(flat, rows, &bad) : -1;
    if (rc != 0) {
      lt_release(flat);
      if (rc > 0)
        LT_FAIL(NULL, "%s: index %lld out of range (the weight has %lld rows)", op, (long long)bad,
                (long long)rows);
      return NULL;
    }
  } else {
    const int64_t *ix = lt_data(flat);
    for (int64_t i = 0; i < n; i++)
      if (ix[i] < 0 || ix[i] >= rows) {
        long long bad = (long long)ix[i];
        lt_release(flat);
        LT_FAIL(NULL, "%s: index %lld out of range (the weight has %lld rows)", op, bad, (long long)rows);
      }
  }
  lt_tensor *r = lt_index_select(NULL, weight, 0, flat);
  lt_release(flat);
  if (!r) return NULL;
  int64_t size[LT_MAXDIM];
  int d = indices->ndim;
  if (d + 1 > LT_MAXDIM) { lt_release(r); LT_FAIL(NULL, "%s: too many index dims", op); }
  memcpy(size, indices->size, sizeof(int64_t) * d);
  size[d] = weight->size[1];
  lt_tensor *v = lt_view(r, d + 1, size);
  lt_release(r);
  return v;
}
