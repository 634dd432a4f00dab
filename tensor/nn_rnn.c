/* nn_rnn.c: fused LSTM and GRU cells (PyTorch's gate orders and formulas), recorded for
 * autograd as one node each.
 *
 *   lt_lstm_cell: gates = x W_ih^T + b_ih + h W_hh^T + b_hh (B x 4H: i, f, g, o),
 *                 c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c');
 *                 the result is one B x 2H tensor [h', c'] (the bindings hand out its two
 *                 halves as recorded narrow views).
 *   lt_gru_cell:  r, z = sigmoid(W_i. x + b_i. + W_h. h + b_h.),
 *                 n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.
 *
 * The matrix products go through OpenBLAS (the engine's mm/addmm, run with grad mode
 * paused); the element math is one fused pass (tensor/scalar_math.h, shared with the CUDA
 * kernels of tensor/cuda/act.cu, which run it for device tensors) that also stores what
 * backward needs. Backward is a fused pass for the gates' gradients plus matrix products
 * for x, h and the weights (on a device the bias gradients are one more: ones(1, B) @ d).
 *
 * W_ih may be NULL: x is then the input part of the pre-activations already (B x 4H or
 * B x 3H, e.g. x W_ih^T + b_ih computed for a whole sequence with one product), and its
 * gradient is the pre-activations' gradient.
 *
 * The fused backward is not itself recorded: second derivatives (createGraph) through a
 * cell are a clear error. */
/* floating-point operations are not expected to trap (no FP exceptions are enabled), so the
 * compiler may compute both sides of a select: this lets it vectorize the gate loops (the
 * clamps in lt_rnn_expf) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "autograd.h"

#define SHAPE(t, b) lt_shape_str((t), (b), sizeof(b))

/* ---- argument checks ---- */

static int check_operand(const char *op, const char *name, const lt_tensor *t, const lt_tensor *x) {
  if (lt_check_same_device(op, x, t) < 0) return -1;
  if (t->dtype != x->dtype)
    LT_FAIL(-1, "%s: %s is a %sTensor but x is a %sTensor (all operands must have one type)", op,
            name, lt_dtype_name(t->dtype), lt_dtype_name(x->dtype));
  return 0;
}

static int check_shape(const char *op, const char *name, const lt_tensor *t, int ndim, int64_t s0,
                       int64_t s1) {
  char b[128];
  if (t->ndim != ndim || t->size[0] != s0 || (ndim == 2 && t->size[1] != s1)) {
    if (ndim == 2)
      LT_FAIL(-1, "%s: %s should be %lld x %lld, got %s", op, name, (long long)s0, (long long)s1, SHAPE(t, b));
    LT_FAIL(-1, "%s: %s should be a vector of %lld elements, got %s", op, name, (long long)s0, SHAPE(t, b));
  }
  return 0;
}

/* The common checks of both cells. G: the number of gates (4 or 3). On success *B, *H. */
static int check_cell(const char *op, int G, const lt_tensor *x, const lt_tensor *h,
                      const lt_tensor *c, const lt_tensor *wih, const lt_tensor *whh,
                      const lt_tensor *bih, const lt_tensor *bhh, int64_t *B, int64_t *H) {
  char b1[128], b2[128];
  if (x->dtype != LT_FLOAT32 && x->dtype != LT_FLOAT64)
    LT_FAIL(-1, "%s: expected FloatTensor or DoubleTensor operands, got a %sTensor", op, lt_dtype_name(x->dtype));
  if (check_operand(op, "h", h, x) < 0 || (c && check_operand(op, "c", c, x) < 0) ||
      (wih && check_operand(op, "wIh", wih, x) < 0) || check_operand(op, "wHh", whh, x) < 0 ||
      (bih && check_operand(op, "bIh", bih, x) < 0) || (bhh && check_operand(op, "bHh", bhh, x) < 0))
    return -1;
  if (x->ndim != 2) LT_FAIL(-1, "%s: x should be batch x features (2-D) or features (1-D), got %s", op, SHAPE(x, b1));
  if (h->ndim != 2 || h->size[0] != x->size[0])
    LT_FAIL(-1, "%s: h should be %lld x hidden (x is %s), got %s", op, (long long)x->size[0],
            SHAPE(x, b1), SHAPE(h, b2));
  int64_t hs = h->size[1];
  if (hs == 0) LT_FAIL(-1, "%s: the hidden size is 0", op);
  if (c && check_shape(op, "c", c, 2, x->size[0], hs) < 0) return -1;
  if (check_shape(op, "wHh", whh, 2, G * hs, hs) < 0) return -1;
  if (wih) {
    if (check_shape(op, "wIh", wih, 2, G * hs, x->size[1]) < 0) return -1;
  } else if (x->size[1] != G * hs)
    LT_FAIL(-1, "%s: without wIh, x should hold the input part of the gates, %lld x %lld, got %s",
            op, (long long)x->size[0], (long long)(G * hs), SHAPE(x, b1));
  if (bih && check_shape(op, "bIh", bih, 1, G * hs, 0) < 0) return -1;
  if (bhh && check_shape(op, "bHh", bhh, 1, G * hs, 0) < 0) return -1;
  *B = x->size[0];
  *H = hs;
  return 0;
}

/* a @ w^T into a new tensor (w: rows x cols, a: B x cols); plus beta * m when m given */
static lt_tensor *mm_wt(const lt_tensor *m, const lt_tensor *a, const lt_tensor *w) {
  lt_tensor *wt = lt_transpose(w, 0, 1);
  if (!wt) return NULL;
  lt_tensor *r = m ? lt_addmm(NULL, 1, m, 1, a, wt) : lt_mm(NULL, a, wt);
  lt_release(wt);
  return r;
}

/* buf (B x G, our own contiguous buffer) += b broadcast over the rows; 0 or -1 */
static int add_bias(lt_tensor *buf, const lt_tensor *b) {
  if (!b) return 0;
  lt_tensor *r = lt_binary(LT_ADD, buf, buf, b, 1);
  lt_release(r);
  return r ? 0 : -1;
}

/* t (2-D) itself when its rows are contiguous (column stride 1), else a contiguous copy;
 * new reference */
static lt_tensor *unit_rows(const lt_tensor *t) {
  if (t->size[1] <= 1 || t->stride[1] == 1) { lt_retain((lt_tensor *)t); return (lt_tensor *)t; }
  return lt_clone(t);
}

/* ---- LSTM ---- */

/* pre: B x 4H contiguous pre-activations (biases included); c: rows of H with row stride
 * cs; out: B x 2H contiguous [h', c']; buf (NULL when nothing records): B x 5H contiguous
 * [i, f, g, o, tanh(c')] */
#define LSTM_FWD(T, S)                                                                          \
  static void lstm_fwd_##S(int64_t B, int64_t H, const T *pre, const T *c, int64_t cs, T *out,  \
                           T *buf) {                                                            \
    _Pragma("omp parallel for if (B * H >= LT_PARALLEL_GRAIN && B > 1)")                   \
    for (int64_t b = 0; b < B; b++) {                                                           \
      const T *p = pre + b * 4 * H, *cb = c + b * cs;                                           \
      T *o = out + b * 2 * H;                                                                   \
      if (buf) {                                                                                \
        T *s = buf + b * 5 * H;                                                                 \
        _Pragma("omp simd")                                                                     \
        for (int64_t j = 0; j < H; j++) {                                                       \
          T i, f, g, og, c1, tc1, h1;                                                           \
          lt_lstm_fwd_##S(p[j], p[H + j], p[2 * H + j], p[3 * H + j], cb[j], &i, &f, &g, &og,   \
                          &c1, &tc1, &h1);                                                      \
          o[j] = h1; o[H + j] = c1;                                                             \
          s[j] = i; s[H + j] = f; s[2 * H + j] = g; s[3 * H + j] = og; s[4 * H + j] = tc1;      \
        }                                                                                       \
      } else {                                                                                  \
        _Pragma("omp simd")                                                                     \
        for (int64_t j = 0; j < H; j++) {                                                       \
          T i, f, g, og, c1, tc1, h1;                                                           \
          lt_lstm_fwd_##S(p[j], p[H + j], p[2 * H + j], p[3 * H + j], cb[j], &i, &f, &g, &og,   \
                          &c1, &tc1, &h1);                                                      \
          o[j] = h1; o[H + j] = c1;                                                             \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  }
LSTM_FWD(float, f)
LSTM_FWD(double, d)

/* g: B x 2H contiguous (gradients of h', c'); buf as above; c the old cell (row stride cs);
 * dgates: B x 4H, dc: B x H (contiguous) */
#define LSTM_BWD(T, S)                                                                          \
  static void lstm_bwd_##S(int64_t B, int64_t H, const T *g, const T *buf, const T *c,          \
                           int64_t cs, T *dgates, T *dc) {                                      \
    _Pragma("omp parallel for if (B * H >= LT_PARALLEL_GRAIN && B > 1)")                    \
    for (int64_t b = 0; b < B; b++) {                                                           \
      const T *gg = g + b * 2 * H, *s = buf + b * 5 * H, *cb = c + b * cs;                      \
      T *d = dgates + b * 4 * H, *dcb = dc + b * H;                                             \
      _Pragma("omp simd")                                                                       \
      for (int64_t j = 0; j < H; j++)                                                           \
        lt_lstm_bwd_##S(s[j], s[H + j], s[2 * H + j], s[3 * H + j], s[4 * H + j], cb[j], gg[j], \
                        gg[H + j], &d[j], &d[H + j], &d[2 * H + j], &d[3 * H + j], &dcb[j]);    \
    }                                                                                           \
  }
LSTM_BWD(float, f)
LSTM_BWD(double, d)

/* Extra saved tensors (the weights) beyond the node's four slots: aliases in saved_list,
 * with their storage versions in p[k], checked like lt_node_saved does. */
static int save_extra(lt_node *n, int k, const lt_tensor *t) {
  if (!n->saved_list) {
    if (!(n->saved_list = calloc(2, sizeof(lt_tensor *)))) LT_FAIL(-1, "%s: out of memory", n->name);
    n->nsaved_list = 2;
  }
  if (!t) return 0;
  if (!(n->saved_list[k] = lt_alias(t))) return -1;
  n->p[k] = t->storage ? lt_storage_version(t->storage) : 0;
  return 0;
}

static const lt_tensor *saved_extra(lt_node *n, int k) {
  const lt_tensor *s = n->saved_list ? n->saved_list[k] : NULL;
  if (!s) LT_FAIL(NULL, "backward: %s has no saved weight %d", n->name, k + 1);
  if ((int64_t)(s->storage ? lt_storage_version(s->storage) : 0) != n->p[k])
    LT_FAIL(NULL, "backward: a weight that %s needs was modified by an in-place operation after "
            "it was used (an optimizer step between forward and backward?); run forward again", n->name);
  return s;
}

static int no_create_graph(lt_node *n) {
  if (lt_grad_on)
    LT_FAIL(-1, "backward: %s is a fused kernel whose backward is not differentiable again; "
            "createGraph (second derivatives) through it is not supported", n->name);
  return 0;
}

/* gradient of the 1-D bias: the batch sum of d */
static lt_tensor *bias_grad(const lt_tensor *d) {
  if (d->device.type == LT_CPU) return lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, d, 0, false, 0);
  /* on a device: ones(1, B) @ d (one gemm), viewed as a vector */
  int64_t os[2] = {1, d->size[0]};
  lt_tensor *ones = lt_empty(2, os, d->dtype, d->device);
  if (ones && lt_fill(ones, 1) < 0) { lt_release(ones); ones = NULL; }
  lt_tensor *s = ones ? lt_mm(NULL, ones, d) : NULL;
  lt_release(ones);
  lt_tensor *r = s ? lt_reshape(s, 1, &d->size[1]) : NULL;
  lt_release(s);
  return r;
}

/* the element math on a device (NULL backend: the CPU loops) */
static const lt_backend *dev_be(const lt_tensor *t, bool *err) {
  *err = false;
  if (t->device.type == LT_CPU) return NULL;
  const lt_backend *be = lt_backend_for(t->device);
  if (!be) *err = true;
  return be;
}

/* d @ w (B x G . G x K), or d^T @ a (G x B . B x K) */
static lt_tensor *mm_dt(const lt_tensor *d, const lt_tensor *a) {
  lt_tensor *dt = lt_transpose(d, 0, 1);
  if (!dt) return NULL;
  lt_tensor *r = lt_mm(NULL, dt, a);
  lt_release(dt);
  return r;
}

/* inputs: 0 x, 1 h, 2 c, 3 wih, 4 whh, 5 bih, 6 bhh. saved: 0 buf, 1 c, 2 x, 3 h; extra
 * 0 wih, 1 whh. */
static int lstm_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (no_create_graph(n) < 0) return -1;
  bool need[7];
  for (int i = 0; i < 7; i++) need[i] = n->in[i].fn != NULL;
  int64_t B = n->in[1].size[0], H = n->in[1].size[1];
  const lt_tensor *buf = lt_node_saved(n, 0), *c = lt_node_saved(n, 1);
  if (!buf || !c) return -1;
  const lt_tensor *x = NULL, *h = NULL, *wih = NULL, *whh = NULL;
  if (need[3] && !(x = lt_node_saved(n, 2))) return -1;
  if (need[4] && !(h = lt_node_saved(n, 3))) return -1;
  if (need[0] && n->p[2] && !(wih = saved_extra(n, 0))) return -1;
  if (need[1] && !(whh = saved_extra(n, 1))) return -1;
  lt_tensor *gc = lt_contiguous(g), *cu = gc ? unit_rows(c) : NULL;
  int64_t ds[2] = {B, 4 * H}, cs[2] = {B, H};
  lt_tensor *dg = cu ? lt_empty(2, ds, g->dtype, g->device) : NULL;
  lt_tensor *dc = dg ? lt_empty(2, cs, g->dtype, g->device) : NULL;
  if (!dc) { lt_release(gc); lt_release(cu); lt_release(dg); return -1; }
  bool err;
  const lt_backend *be = dev_be(g, &err);
  int rc = -1;
  if (be) {
    if (be->lstm_bwd(g->dtype, g->device.index, B, H, lt_data(gc), lt_data(buf), lt_data(cu), cu->stride[0],
                     lt_data(dg), lt_data(dc)) < 0)
      err = true;
  } else if (err) {
  } else if (g->dtype == LT_FLOAT32)
    lstm_bwd_f(B, H, lt_data(gc), lt_data(buf), lt_data(cu), cu->stride[0], lt_data(dg), lt_data(dc));
  else lstm_bwd_d(B, H, lt_data(gc), lt_data(buf), lt_data(cu), cu->stride[0], lt_data(dg), lt_data(dc));
  lt_release(gc);
  lt_release(cu);
  if (err) goto done;
  if (need[0]) {
    if (wih) { if (!(grads[0] = lt_mm(NULL, dg, wih))) goto done; }
    else { lt_retain(dg); grads[0] = dg; }
  }
  if (need[1] && !(grads[1] = lt_mm(NULL, dg, whh))) goto done;
  if (need[2]) { lt_retain(dc); grads[2] = dc; }
  if (need[3] && !(grads[3] = mm_dt(dg, x))) goto done;
  if (need[4] && !(grads[4] = mm_dt(dg, h))) goto done;
  if (need[5] || need[6]) {
    lt_tensor *db = bias_grad(dg);
    if (!db) goto done;
    if (need[5]) { lt_retain(db); grads[5] = db; }
    if (need[6]) { lt_retain(db); grads[6] = db; }
    lt_release(db);
  }
  rc = 0;
done:
  lt_release(dg);
  lt_release(dc);
  return rc;
}

static lt_tensor *lstm2d(const lt_tensor *x, const lt_tensor *h, const lt_tensor *c,
                         const lt_tensor *wih, const lt_tensor *whh, const lt_tensor *bih,
                         const lt_tensor *bhh) {
  const char *op = "lstmCell";
  int64_t B, H;
  if (check_cell(op, 4, x, h, c, wih, whh, bih, bhh, &B, &H) < 0) return NULL;
  const lt_tensor *ins[7] = {x, h, c, wih, whh, bih, bhh};
  bool rec = lt_grad_on && lt_ag_any(ins, 7);
  bool p = lt_grad_pause();
  /* pre = x W_ih^T + h W_hh^T (the second product accumulated in place), or x + h W_hh^T */
  lt_tensor *pre = wih ? mm_wt(NULL, x, wih) : mm_wt(x, h, whh);
  if (pre && wih) {
    lt_tensor *whht = lt_transpose(whh, 0, 1);
    lt_tensor *r = whht ? lt_addmm(pre, 1, pre, 1, h, whht) : NULL;
    lt_release(whht);
    lt_release(r);
    if (!r) { lt_release(pre); pre = NULL; }
  }
  if (pre && (add_bias(pre, bih) < 0 || add_bias(pre, bhh) < 0)) { lt_release(pre); pre = NULL; }
  lt_tensor *cu = pre ? unit_rows(c) : NULL;
  int64_t os[2] = {B, 2 * H}, bs[2] = {B, 5 * H};
  lt_tensor *out = cu ? lt_empty(2, os, x->dtype, x->device) : NULL;
  lt_tensor *buf = out && rec ? lt_empty(2, bs, x->dtype, x->device) : NULL;
  lt_grad_resume(p);
  if (!out || (rec && !buf)) { lt_release(pre); lt_release(cu); lt_release(out); return NULL; }
  bool err;
  const lt_backend *be = dev_be(x, &err);
  if (be) {
    if (be->lstm_fwd(x->dtype, x->device.index, B, H, lt_data(pre), lt_data(cu), cu->stride[0], lt_data(out),
                     buf ? lt_data(buf) : NULL) < 0)
      err = true;
  } else if (err) {
  } else if (x->dtype == LT_FLOAT32)
    lstm_fwd_f(B, H, lt_data(pre), lt_data(cu), cu->stride[0], lt_data(out), buf ? lt_data(buf) : NULL);
  else lstm_fwd_d(B, H, lt_data(pre), lt_data(cu), cu->stride[0], lt_data(out), buf ? lt_data(buf) : NULL);
  lt_release(pre);
  lt_release(cu);
  if (err) { lt_release(buf); lt_release(out); return NULL; }
  if (!rec) return out;
  lt_node *n = lt_node_new("LstmCellBackward", lstm_backward, 7, ins);
  bool ok = n != NULL;
  if (ok) {
    n->p[2] = wih != NULL;
    ok = lt_node_save(n, 0, buf, false) == 0 && lt_node_save(n, 1, c, false) == 0 &&
         (!n->in[3].fn || lt_node_save(n, 2, x, false) == 0) &&
         (!n->in[4].fn || lt_node_save(n, 3, h, false) == 0) && save_extra(n, 0, NULL) == 0 &&
         (!n->in[0].fn || save_extra(n, 0, wih) == 0) && (!n->in[1].fn || save_extra(n, 1, whh) == 0);
  }
  lt_release(buf);
  if (!ok) { lt_node_release(n); lt_release(out); return NULL; }
  return lt_node_attach(n, out);
}

/* 1-D operands (one sample) go through the 2-D form as 1 x n (recorded views) */
static lt_tensor *unsq(const lt_tensor *t) { return t ? lt_unsqueeze(t, 0) : NULL; }

lt_tensor *lt_lstm_cell(const lt_tensor *x, const lt_tensor *h, const lt_tensor *c,
                        const lt_tensor *wih, const lt_tensor *whh, const lt_tensor *bih,
                        const lt_tensor *bhh) {
  if (!x || !h || !c || !whh) LT_FAIL(NULL, "lstmCell: x, h, c and wHh are required");
  if (x->ndim != 1) return lstm2d(x, h, c, wih, whh, bih, bhh);
  char b1[128], b2[128];
  if (h->ndim != 1 || c->ndim != 1)
    LT_FAIL(NULL, "lstmCell: with a 1-D x (one sample), h and c should be 1-D too, got %s and %s",
            SHAPE(h, b1), SHAPE(c, b2));
  lt_tensor *x2 = unsq(x), *h2 = unsq(h), *c2 = unsq(c), *r = NULL;
  if (x2 && h2 && c2) r = lstm2d(x2, h2, c2, wih, whh, bih, bhh);
  lt_release(x2); lt_release(h2); lt_release(c2);
  if (!r) return NULL;
  lt_tensor *v = lt_squeeze_dim(r, 0);
  lt_release(r);
  return v;
}

/* ---- GRU ---- */

/* gi: rows of 3H (row stride gis; x W_ih^T + b_ih), gh: B x 3H contiguous (h W_hh^T +
 * b_hh), h: rows of H (row stride hs); out: B x H; buf (or NULL): B x 4H [r, z, n, hn] */
#define GRU_FWD(T, S)                                                                           \
  static void gru_fwd_##S(int64_t B, int64_t H, const T *gi, int64_t gis, const T *gh,          \
                          const T *h, int64_t hs, T *out, T *buf) {                             \
    _Pragma("omp parallel for if (B * H >= LT_PARALLEL_GRAIN && B > 1)")                   \
    for (int64_t b = 0; b < B; b++) {                                                           \
      const T *pi = gi + b * gis, *pg = gh + b * 3 * H, *hb = h + b * hs;                       \
      T *o = out + b * H;                                                                       \
      if (buf) {                                                                                \
        T *s = buf + b * 4 * H;                                                                 \
        _Pragma("omp simd")                                                                     \
        for (int64_t j = 0; j < H; j++) {                                                       \
          T r, z, nn, h1;                                                                       \
          lt_gru_fwd_##S(pi[j], pi[H + j], pi[2 * H + j], pg[j], pg[H + j], pg[2 * H + j],      \
                         hb[j], &r, &z, &nn, &h1);                                              \
          o[j] = h1;                                                                            \
          s[j] = r; s[H + j] = z; s[2 * H + j] = nn; s[3 * H + j] = pg[2 * H + j];              \
        }                                                                                       \
      } else {                                                                                  \
        _Pragma("omp simd")                                                                     \
        for (int64_t j = 0; j < H; j++) {                                                       \
          T r, z, nn, h1;                                                                       \
          lt_gru_fwd_##S(pi[j], pi[H + j], pi[2 * H + j], pg[j], pg[H + j], pg[2 * H + j],      \
                         hb[j], &r, &z, &nn, &h1);                                              \
          o[j] = h1;                                                                            \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  }
GRU_FWD(float, f)
GRU_FWD(double, d)

/* g: B x H contiguous; h: rows of H (row stride hs); dgi, dgh: B x 3H; dh: B x H (the
 * direct part) */
#define GRU_BWD(T, S)                                                                           \
  static void gru_bwd_##S(int64_t B, int64_t H, const T *g, const T *buf, const T *h,           \
                          int64_t hs, T *dgi, T *dgh, T *dh) {                                  \
    _Pragma("omp parallel for if (B * H >= LT_PARALLEL_GRAIN && B > 1)")                    \
    for (int64_t b = 0; b < B; b++) {                                                           \
      const T *s = buf + b * 4 * H, *gg = g + b * H, *hb = h + b * hs;                          \
      T *di = dgi + b * 3 * H, *dhh = dgh + b * 3 * H, *dd = dh + b * H;                        \
      _Pragma("omp simd")                                                                       \
      for (int64_t j = 0; j < H; j++) {                                                         \
        T dr, dz, dn, dhn;                                                                      \
        lt_gru_bwd_##S(s[j], s[H + j], s[2 * H + j], s[3 * H + j], hb[j], gg[j], &dr, &dz,      \
                       &dn, &dhn, &dd[j]);                                                      \
        di[j] = dr; dhh[j] = dr;                                                                \
        di[H + j] = dz; dhh[H + j] = dz;                                                        \
        di[2 * H + j] = dn;                                                                     \
        dhh[2 * H + j] = dhn;                                                                   \
      }                                                                                         \
    }                                                                                           \
  }
GRU_BWD(float, f)
GRU_BWD(double, d)

/* inputs: 0 x, 1 h, 2 wih, 3 whh, 4 bih, 5 bhh. saved: 0 buf, 1 h, 2 x; extra 0 wih, 1 whh */
static int gru_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (no_create_graph(n) < 0) return -1;
  bool need[6];
  for (int i = 0; i < 6; i++) need[i] = n->in[i].fn != NULL;
  int64_t B = n->in[1].size[0], H = n->in[1].size[1];
  const lt_tensor *buf = lt_node_saved(n, 0), *h = lt_node_saved(n, 1);
  if (!buf || !h) return -1;
  const lt_tensor *x = NULL, *wih = NULL, *whh = NULL;
  if (need[2] && !(x = lt_node_saved(n, 2))) return -1;
  if (need[0] && n->p[2] && !(wih = saved_extra(n, 0))) return -1;
  if (need[1] && !(whh = saved_extra(n, 1))) return -1;
  lt_tensor *gc = lt_contiguous(g), *hu = gc ? unit_rows(h) : NULL;
  int64_t ds[2] = {B, 3 * H}, hs[2] = {B, H};
  lt_tensor *dgi = hu ? lt_empty(2, ds, g->dtype, g->device) : NULL;
  lt_tensor *dgh = dgi ? lt_empty(2, ds, g->dtype, g->device) : NULL;
  lt_tensor *dh = dgh ? lt_empty(2, hs, g->dtype, g->device) : NULL;
  int rc = -1;
  bool err;
  const lt_backend *be = dev_be(g, &err);
  if (!dh || err) goto done;
  if (be) {
    if (be->gru_bwd(g->dtype, g->device.index, B, H, lt_data(gc), lt_data(buf), lt_data(hu), hu->stride[0],
                    lt_data(dgi), lt_data(dgh), lt_data(dh)) < 0)
      goto done;
  } else if (g->dtype == LT_FLOAT32)
    gru_bwd_f(B, H, lt_data(gc), lt_data(buf), lt_data(hu), hu->stride[0], lt_data(dgi), lt_data(dgh), lt_data(dh));
  else gru_bwd_d(B, H, lt_data(gc), lt_data(buf), lt_data(hu), hu->stride[0], lt_data(dgi), lt_data(dgh), lt_data(dh));
  if (need[0]) {
    if (wih) { if (!(grads[0] = lt_mm(NULL, dgi, wih))) goto done; }
    else { lt_retain(dgi); grads[0] = dgi; }
  }
  if (need[1]) {   /* dh = dgh W_hh + the direct part */
    if (!(grads[1] = lt_addmm(NULL, 1, dh, 1, dgh, whh))) goto done;
  }
  if (need[2] && !(grads[2] = mm_dt(dgi, x))) goto done;
  if (need[3] && !(grads[3] = mm_dt(dgh, h))) goto done;
  if (need[4] && !(grads[4] = bias_grad(dgi))) goto done;
  if (need[5] && !(grads[5] = bias_grad(dgh))) goto done;
  rc = 0;
done:
  lt_release(gc);
  lt_release(hu);
  lt_release(dgi);
  lt_release(dgh);
  lt_release(dh);
  return rc;
}

static lt_tensor *gru2d(const lt_tensor *x, const lt_tensor *h, const lt_tensor *wih,
                        const lt_tensor *whh, const lt_tensor *bih, const lt_tensor *bhh) {
  const char *op = "gruCell";
  int64_t B, H;
  if (check_cell(op, 3, x, h, NULL, wih, whh, bih, bhh, &B, &H) < 0) return NULL;
  const lt_tensor *ins[6] = {x, h, wih, whh, bih, bhh};
  bool rec = lt_grad_on && lt_ag_any(ins, 6);
  bool p = lt_grad_pause();
  /* gi: x W_ih^T + b_ih (ours), or x itself (with b_ih added into a copy) */
  lt_tensor *gi = wih ? mm_wt(NULL, x, wih) : bih ? lt_clone(x) : unit_rows(x);
  if (gi && (wih || bih) && add_bias(gi, bih) < 0) { lt_release(gi); gi = NULL; }
  lt_tensor *gh = gi ? mm_wt(NULL, h, whh) : NULL;
  if (gh && add_bias(gh, bhh) < 0) { lt_release(gh); gh = NULL; }
  lt_tensor *hu = gh ? unit_rows(h) : NULL;
  int64_t os[2] = {B, H}, bs[2] = {B, 4 * H};
  lt_tensor *out = hu ? lt_empty(2, os, x->dtype, x->device) : NULL;
  lt_tensor *buf = out && rec ? lt_empty(2, bs, x->dtype, x->device) : NULL;
  lt_grad_resume(p);
  if (!out || (rec && !buf)) { lt_release(gi); lt_release(gh); lt_release(hu); lt_release(out); return NULL; }
  bool err;
  const lt_backend *be = dev_be(x, &err);
  if (be) {
    if (be->gru_fwd(x->dtype, x->device.index, B, H, lt_data(gi), gi->stride[0], lt_data(gh), lt_data(hu),
                    hu->stride[0], lt_data(out), buf ? lt_data(buf) : NULL) < 0)
      err = true;
  } else if (err) {
  } else if (x->dtype == LT_FLOAT32)
    gru_fwd_f(B, H, lt_data(gi), gi->stride[0], lt_data(gh), lt_data(hu), hu->stride[0], lt_data(out),
              buf ? lt_data(buf) : NULL);
  else
    gru_fwd_d(B, H, lt_data(gi), gi->stride[0], lt_data(gh), lt_data(hu), hu->stride[0], lt_data(out),
              buf ? lt_data(buf) : NULL);
  lt_release(gi);
  lt_release(gh);
  lt_release(hu);
  if (err) { lt_release(buf); lt_release(out); return NULL; }
  if (!rec) return out;
  lt_node *n = lt_node_new("GruCellBackward", gru_backward, 6, ins);
  bool ok = n != NULL;
  if (ok) {
    n->p[2] = wih != NULL;
    ok = lt_node_save(n, 0, buf, false) == 0 && lt_node_save(n, 1, h, false) == 0 &&
         (!n->in[2].fn || lt_node_save(n, 2, x, false) == 0) && save_extra(n, 0, NULL) == 0 &&
         (!n->in[0].fn || save_extra(n, 0, wih) == 0) && (!n->in[1].fn || save_extra(n, 1, whh) == 0);
  }
  lt_release(buf);
  if (!ok) { lt_node_release(n); lt_release(out); return NULL; }
  return lt_node_attach(n, out);
}

lt_tensor *lt_gru_cell(const lt_tensor *x, const lt_tensor *h, const lt_tensor *wih,
                       const lt_tensor *whh, const lt_tensor *bih, const lt_tensor *bhh) {
  if (!x || !h || !whh) LT_FAIL(NULL, "gruCell: x, h and wHh are required");
  if (x->ndim != 1) return gru2d(x, h, wih, whh, bih, bhh);
  char b1[128];
  if (h->ndim != 1)
    LT_FAIL(NULL, "gruCell: with a 1-D x (one sample), h should be 1-D too, got %s", SHAPE(h, b1));
  lt_tensor *x2 = unsq(x), *h2 = unsq(h), *r = NULL;
  if (x2 && h2) r = gru2d(x2, h2, wih, whh, bih, bhh);
  lt_release(x2); lt_release(h2);
  if (!r) return NULL;
  lt_tensor *v = lt_squeeze_dim(r, 0);
  lt_release(r);
  return v;
}

/* ---- unbinding a sequence into its steps ----
 * n select nodes on one tensor would each give backward a gradient of the whole tensor
 * (zeros but for one slice) to add up: O(n^2) work over a sequence. Instead the steps are
 * views recorded against one small token: each step's backward adds its gradient into a
 * buffer shared with the token's node (and gives the token a zero), and the token's
 * node, which runs after every step's (it depends on them all), hands the whole buffer
 * to the source as its gradient. Not differentiable again (createGraph is an error). */

typedef struct {
  int refcount;
  lt_tensor *G;            /* the gradient being gathered (like the source), or NULL */
  uint64_t pass;           /* the backward pass that made G (the token node's mark) */
} gather_ctx;

static void gather_free(void *p) {
  gather_ctx *g = p;
  if (!g || --g->refcount > 0) return;
  lt_release(g->G);
  free(g);
}

/* the token's node: input 0 the source */
static int unbind_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  LT_UNUSED(g);
  if (no_create_graph(n) < 0) return -1;
  gather_ctx *cx = n->ctx;
  if (cx->G) { grads[0] = cx->G; cx->G = NULL; return 0; }
  return (grads[0] = lt_ag_zeros_input(&n->in[0])) ? 0 : -1;
}

/* a step's node: input 0 the token; p[0] the step; the source's size from p[1..] via ctx */
typedef struct {
  gather_ctx *shared;
  int ndim;
  int64_t size[LT_MAXDIM];
  lt_dtype dtype;
  lt_device device;
} step_ctx;

static void step_free(void *p) {
  step_ctx *s = p;
  if (!s) return;
  gather_free(s->shared);
  free(s);
}

static int step_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (no_create_graph(n) < 0) return -1;
  step_ctx *s = n->ctx;
  gather_ctx *cx = s->shared;
  /* a buffer left by a backward that stopped on an error before the token's node ran is
   * stale: each pass marks the nodes it discovers (the token's node too) with its number */
  lt_node *tn = n->in[0].fn;
  uint64_t pass = tn ? tn->mark & ~(1ull << 62) : 0;
  if (cx->G && cx->pass != pass) { lt_release(cx->G); cx->G = NULL; }
  if (!cx->G) {
    if (!(cx->G = lt_zeros(s->ndim, s->size, s->dtype, s->device))) return -1;
    cx->pass = pass;
  }
  lt_tensor *slot = lt_select(cx->G, 0, n->p[0]);
  lt_tensor *r = slot ? lt_binary(LT_ADD, slot, slot, g, 1) : NULL;
  lt_release(slot);
  if (!r) return -1;
  lt_release(r);
  return (grads[0] = lt_scalar_tensor(0, n->in[0].dtype, n->in[0].device)) ? 0 : -1;
}

int lt_unbind_steps(const lt_tensor *x, lt_tensor **steps) {
  const char *op = "unbindSteps";
  char b[128];
  if (x->ndim < 1) LT_FAIL(-1, "%s: expected a tensor of at least 1 dimension, got %s", op, SHAPE(x, b));
  int64_t n = x->size[0];
  for (int64_t k = 0; k < n; k++) steps[k] = NULL;
  bool rec = lt_grad_on && x->requires_grad && lt_is_float_dtype(x->dtype);
  bool p = lt_grad_pause();
  for (int64_t k = 0; k < n; k++)
    if (!(steps[k] = lt_select(x, 0, k))) goto fail;
  lt_grad_resume(p);
  if (!rec || n == 0) return 0;
  gather_ctx *cx = calloc(1, sizeof *cx);
  if (!cx) { lt_seterr("%s: out of memory", op); goto fail_resumed; }
  cx->refcount = 1;
  lt_node *tn = lt_node_new("UnbindBackward", unbind_backward, 1, &x);
  if (!tn) { gather_free(cx); goto fail_resumed; }
  tn->ctx = cx;
  tn->ctx_free = gather_free;
  lt_tensor *token = lt_node_attach(tn, lt_scalar_tensor(0, x->dtype, x->device));
  if (!token) goto fail_resumed;
  for (int64_t k = 0; k < n; k++) {
    step_ctx *s = calloc(1, sizeof *s);
    lt_node *sn = s ? lt_node_new("UnbindStepBackward", step_backward, 1, (const lt_tensor *const *)&token) : NULL;
    if (!sn) { free(s); lt_release(token); if (!s) lt_seterr("%s: out of memory", op); goto fail_resumed; }
    s->shared = cx;
    cx->refcount++;
    s->ndim = x->ndim;
    memcpy(s->size, x->size, sizeof(int64_t) * x->ndim);
    s->dtype = x->dtype;
    s->device = x->device;
    sn->ctx = s;
    sn->ctx_free = step_free;
    sn->p[0] = k;
    if (!lt_node_attach(sn, steps[k])) {   /* anomaly mode: the step was released */
      steps[k] = NULL;
      lt_release(token);
      goto fail_resumed;
    }
  }
  lt_release(token);
  return 0;
fail:
  lt_grad_resume(p);
fail_resumed:
  for (int64_t k = 0; k < n; k++) { lt_release(steps[k]); steps[k] = NULL; }
  return -1;
}
