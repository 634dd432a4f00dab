/* nn_act.c: the activations (relu, threshold, leaky relu, elu, gelu, silu, softplus,
 * hardtanh, prelu), softmax and log-softmax, and the losses of nn (nll, cross-entropy, mse,
 * l1, smooth l1, bce, bce with logits, kl-div): fused CPU kernels, each recorded for
 * autograd.
 *
 * Backward formulas are engine ops, or recorded ops of this file whose own backward is
 * again engine ops, so createGraph works through all of them:
 *  - an activation's gradient g f'(x) is lt_activation_grad (one fused pass), recorded
 *    with inputs g and x; its backward is lt_activation_grad of order k and k + 1. gelu,
 *    silu and softplus go up to the third derivative (a fourth is a clear error), elu to
 *    any order; the piecewise-linear ones have zero derivatives from the second on.
 *  - softmax's backward is one fused kernel when no graph is being made (the usual
 *    backward), else the same formula in engine ops.
 *  - nll's gradient (a scatter of the scaled output gradient) is a recorded op whose
 *    backward is nll again (the two are adjoint), so every order works.
 *  - cross-entropy is one pass per row (logsumexp, the loss, the softmax kept for the
 *    backward); its usual backward is one fused pass (softmax - one-hot, scaled); under
 *    createGraph it is log-softmax + nll again, recorded.
 *  - mse, bce and bce-with-logits: fused forward, backward in engine ops; l1, smooth l1 and
 *    kl-div are compositions of recorded engine ops.
 *
 * Shapes: the activations are elementwise (any shape); softmax works over one dim of any
 * shape (as (outer, n, inner)); nll and cross-entropy take N x C or C inputs.
 *
 * CUDA tensors: the same entry points, checks and autograd records; the fused kernels are
 * the backend's (tensor/cuda/act.cu, the "act" entries of internal.h) with the element math
 * of scalar_math.h (lt_act_eval, lt_el_loss). Class targets stay on the device (int64); they
 * are range-checked on a CPU copy. Reduced losses are 0-dim tensors on the device. */
#include "autograd.h"
#include <math.h>

static const char *act_names[LT_NACT] = {
  "threshold", "relu", "leakyRelu", "elu", "gelu", "silu", "softplus", "hardtanh"};
static const char *act_nodes[LT_NACT] = {
  "ThresholdBackward", "ReluBackward", "LeakyReluBackward", "EluBackward", "GeluBackward",
  "SiluBackward", "SoftplusBackward", "HardtanhBackward"};
const char *lt_act_name(lt_act_op op) { return (unsigned)op < LT_NACT ? act_names[op] : "?"; }

/* ---- helpers ---- */

/* temporaries of a formula (autograd.h's lt_tmps), under short names */
typedef lt_tmps tmps;
#define keep lt_keep
#define tmps_free lt_tmps_free
#define result lt_tmps_result
#define bin lt_tmp_bin
#define bins lt_tmp_bins
#define una lt_tmp_una
static lt_tensor *rsubs(tmps *s, double v, const lt_tensor *a) {   /* v - a */
  return a ? keep(s, lt_binary_scalar(LT_SUB, NULL, a, v, true)) : NULL;
}
static lt_tensor *mask(tmps *s, lt_binary_op cmp, const lt_tensor *a, double v, lt_dtype dt) {
  lt_tensor *m = bins(s, cmp, a, v);
  return m ? keep(s, lt_to_dtype(m, dt)) : NULL;
}
static lt_tensor *sumdim(tmps *s, const lt_tensor *a, int dim) {
  return a ? keep(s, lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, a, dim, true, 0)) : NULL;
}

/* the checks every entry point makes of a floating-point input */
static int check_float(const char *op, const lt_tensor *t, const char *what) {
  if (!lt_dtype_is_float(t->dtype))
    LT_FAIL(-1, "%s: %s must be a floating-point tensor (FloatTensor or DoubleTensor), got %sTensor",
            op, what, lt_dtype_name(t->dtype));
  return 0;
}

/* the backend of a CUDA tensor (NULL with the error set); CPU tensors run this file's loops */
static const lt_backend *cuda_be(const lt_tensor *t) { return lt_backend_for(t->device); }
static bool on_cuda(const lt_tensor *t) { return t->device.type != LT_CPU; }

/* t as a contiguous tensor of dtype dt (a new reference; t itself when it is one) */
static lt_tensor *contig_as(const lt_tensor *t, lt_dtype dt) {
  if (t->dtype != dt) {
    lt_tensor *c = lt_to_dtype(t, dt);
    if (!c || lt_is_contiguous(c)) return c;
    lt_tensor *r = lt_contiguous(c);
    lt_release(c);
    return r;
  }
  return lt_contiguous(t);
}

/* runs fn over same-shape operands: flat when all are contiguous, else the iterator */
static void run_loop(lt_loop_fn fn, int nop, const lt_tensor *const *ops, void *ctx) {
  bool flat = true;
  for (int k = 0; k < nop && flat; k++) flat = lt_is_contiguous(ops[k]);
  int64_t n = lt_numel(ops[0]);
  if (n == 0) return;
  if (flat) {
    char *d[LT_ITER_MAXOP];
    int64_t s[LT_ITER_MAXOP];
    for (int k = 0; k < nop; k++) { d[k] = (char *)lt_data(ops[k]); s[k] = (int64_t)lt_dtype_size(ops[k]->dtype); }
    if (n < LT_PARALLEL_GRAIN || lt_threads() == 1) { fn(d, s, n, ctx); return; }
    /* contiguous and large: split the flat range */
    int64_t chunk = (n + lt_threads() - 1) / lt_threads();
    #pragma omp parallel for
    for (int64_t start = 0; start < n; start += chunk) {
      char *dd[LT_ITER_MAXOP];
      for (int k = 0; k < nop; k++) dd[k] = d[k] + start * s[k];
      fn(dd, s, LT_MIN(chunk, n - start), ctx);
    }
    return;
  }
  lt_iter it;
  lt_iter_init(&it, nop, ops);
  lt_iter_run(&it, fn, ctx, LT_PARALLEL_GRAIN);
}

static lt_tensor *retained(const lt_tensor *t) { lt_retain((lt_tensor *)t); return (lt_tensor *)t; }

/* ======================================================================================
 * activations
 * ====================================================================================== */

typedef struct { int op, k; double p0, p1; bool has_g; } act_ctx;

/* one loop per (op, order) so that the switch in lt_act_eval folds away */
#define ACT_RUN(T, OP, K)                                                                    \
  do {                                                                                       \
    if (c->has_g) {                                                                          \
      if (so == 1 && sg == 1 && sx == 1)                                                     \
        for (int64_t i = 0; i < n; i++) o[i] = (T)((double)g[i] * lt_act_eval(OP, K, (double)x[i], p0, p1)); \
      else                                                                                   \
        for (int64_t i = 0; i < n; i++)                                                      \
          o[i * so] = (T)((double)g[i * sg] * lt_act_eval(OP, K, (double)x[i * sx], p0, p1)); \
    } else {                                                                                 \
      if (so == 1 && sx == 1)                                                                \
        for (int64_t i = 0; i < n; i++) o[i] = (T)lt_act_eval(OP, K, (double)x[i], p0, p1); \
      else                                                                                   \
        for (int64_t i = 0; i < n; i++) o[i * so] = (T)lt_act_eval(OP, K, (double)x[i * sx], p0, p1); \
    }                                                                                        \
  } while (0)
#define ACT_CASE(T, OP)                                 \
  case OP:                                              \
    if (c->k == 0) ACT_RUN(T, OP, 0);                   \
    else if (c->k == 1) ACT_RUN(T, OP, 1);              \
    else ACT_RUN(T, OP, c->k);                          \
    break;
/* operands: out, x (and g before x when has_g) */
#define ACT_LOOP(T, NAME)                                                                    \
  static void NAME(char **d, const int64_t *st, int64_t n, void *vc) {                       \
    const act_ctx *c = vc;                                                                   \
    double p0 = c->p0, p1 = c->p1;                                                           \
    T *o = (T *)d[0];                                                                        \
    const T *g = c->has_g ? (const T *)d[1] : NULL;                                          \
    const T *x = (const T *)d[c->has_g ? 2 : 1];                                             \
    int64_t so = st[0] / (int64_t)sizeof(T), sg = c->has_g ? st[1] / (int64_t)sizeof(T) : 0; \
    int64_t sx = st[c->has_g ? 2 : 1] / (int64_t)sizeof(T);                                  \
    switch (c->op) {                                                                         \
      ACT_CASE(T, LT_ACT_THRESHOLD) ACT_CASE(T, LT_ACT_RELU) ACT_CASE(T, LT_ACT_LEAKY_RELU)  \
      ACT_CASE(T, LT_ACT_ELU) ACT_CASE(T, LT_ACT_GELU) ACT_CASE(T, LT_ACT_SILU)              \
      ACT_CASE(T, LT_ACT_SOFTPLUS) ACT_CASE(T, LT_ACT_HARDTANH)                              \
    }                                                                                        \
  }
ACT_LOOP(float, act_loop_f32)
ACT_LOOP(double, act_loop_f64)

/* the highest derivative order implemented (1: piecewise linear, every further one is 0) */
static int act_max_order(lt_act_op op) {
  switch (op) {
  case LT_ACT_ELU: return 1 << 30;
  case LT_ACT_GELU: case LT_ACT_SILU: case LT_ACT_SOFTPLUS: return 3;
  default: return 1;
  }
}

static int act_check_params(lt_act_op op, double p0, double p1) {
  const char *name = act_names[op];
  if (op == LT_ACT_SOFTPLUS && !(p0 != 0)) LT_FAIL(-1, "%s: beta must not be 0", name);
  if (op == LT_ACT_HARDTANH && !(p0 <= p1))
    LT_FAIL(-1, "%s: min (%g) must not be greater than max (%g)", name, p0, p1);
  return 0;
}

static lt_tensor *ag_activation(lt_act_op op, lt_tensor *out, const lt_tensor *x, double p0, double p1);
static lt_tensor *ag_activation_grad(lt_act_op op, int k, const lt_tensor *g, const lt_tensor *x,
                                     double p0, double p1);

/* the kernel: out (prepared, x's dtype) = [g *] f^(k)(x) */
static int act_compute(lt_act_op op, int k, lt_tensor *o, const lt_tensor *g, const lt_tensor *x,
                       double p0, double p1) {
  if (on_cuda(o)) {
    const lt_backend *be = cuda_be(o);
    if (!be || be->act((int)op, k, o, g, x, p0, p1) < 0) return -1;
    lt_bump_version(o);
    return 0;
  }
  act_ctx c = {op, k, p0, p1, g != NULL};
  lt_loop_fn fn = x->dtype == LT_FLOAT64 ? act_loop_f64 : act_loop_f32;
  if (g) run_loop(fn, 3, (const lt_tensor *[]){o, g, x}, &c);
  else run_loop(fn, 2, (const lt_tensor *[]){o, x}, &c);
  lt_bump_version(o);
  return 0;
}

lt_tensor *lt_activation(lt_act_op op, lt_tensor *out, const lt_tensor *x, double p0, double p1) {
  if ((unsigned)op >= LT_NACT) LT_FAIL(NULL, "activation: unknown op %d", (int)op);
  const char *name = act_names[op];
  if (check_float(name, x, "the input") < 0 || act_check_params(op, p0, p1) < 0) return NULL;
  if (out && (lt_check_same_device(name, x, out) < 0)) return NULL;
  if (LT_AG_OUT(out, x->requires_grad)) return ag_activation(op, out, x, p0, p1);
  if (!x->storage) {
    if (out) { lt_retain(out); return out; }
    return lt_new_empty(x->dtype, x->device);
  }
  /* (half types: the CPU computes through float32; the device kernel loads and stores them
   * directly, with the same double -> float -> half rounding) */
  if ((lt_is_half(x->dtype) && !on_cuda(x)) || (out && out->dtype != x->dtype)) {
    lt_tensor *xf = lt_is_half(x->dtype) ? lt_to_dtype(x, LT_FLOAT32) : retained(x);
    lt_tensor *r = xf ? lt_activation(op, NULL, xf, p0, p1) : NULL;
    lt_release(xf);
    return lt_deliver(out, r, out ? out->dtype : x->dtype);
  }
  lt_tensor *o = lt_prepare_out(name, out, x->ndim, x->size, x->dtype, x->device);
  if (!o) return NULL;
  if (act_compute(op, 0, o, NULL, x, p0, p1) < 0) { lt_release(o); return NULL; }
  return o;
}

lt_tensor *lt_activation_grad(lt_act_op op, int k, const lt_tensor *g, const lt_tensor *x,
                              double p0, double p1) {
  if ((unsigned)op >= LT_NACT) LT_FAIL(NULL, "activation: unknown op %d", (int)op);
  const char *name = act_names[op];
  if (k < 1) LT_FAIL(NULL, "%s: derivative order %d (expected 1 or more)", name, k);
  if (k > act_max_order(op) && act_max_order(op) >= 2)
    LT_FAIL(NULL, "%s: derivatives of order above %d are not implemented", name, act_max_order(op));
  if (check_float(name, x, "the input") < 0 || act_check_params(op, p0, p1) < 0) return NULL;
  if (g && (check_float(name, g, "the gradient") < 0 || lt_check_same_device(name, x, g) < 0)) return NULL;
  if (g && lt_numel(g) != lt_numel(x)) {
    char b1[64], b2[64];
    LT_FAIL(NULL, "%s: gradient of size %s for an input of size %s", name,
            lt_shape_str(g, b1, sizeof b1), lt_shape_str(x, b2, sizeof b2));
  }
  if (lt_grad_on && (x->requires_grad || LT_RG(g))) return ag_activation_grad(op, k, g, x, p0, p1);
  if (k > act_max_order(op)) return lt_zeros(x->ndim, x->size, x->dtype, x->device);
  if (!x->storage) return lt_new_empty(x->dtype, x->device);
  lt_dtype dt = lt_is_half(x->dtype) && !on_cuda(x) ? LT_FLOAT32 : x->dtype;
  lt_tensor *xx = x->dtype == dt ? retained(x) : lt_to_dtype(x, dt);
  lt_tensor *gg = NULL;
  /* g is read as the CPU reads it: in dt, or for a half x on a device, in any type that
   * converts exactly to float32 (float64 is rounded to float32 first, as on the CPU) */
  lt_dtype gdt = dt;
  if (g && lt_is_half(dt)) gdt = g->dtype == LT_FLOAT64 ? LT_FLOAT32 : g->dtype;
  if (xx && g) {
    if (g->dtype == gdt && lt_same_size(g, x)) gg = retained(g);
    else {
      lt_tensor *gc = g->dtype == gdt ? retained(g) : lt_to_dtype(g, gdt);
      gg = gc ? lt_reshape(gc, x->ndim, x->size) : NULL;
      lt_release(gc);
    }
  }
  lt_tensor *o = xx && (!g || gg) ? lt_empty(x->ndim, x->size, dt, x->device) : NULL;
  if (o && act_compute(op, k, o, gg, xx, p0, p1) < 0) { lt_release(o); o = NULL; }
  lt_release(xx);
  lt_release(gg);
  if (o && o->dtype != x->dtype) {
    lt_tensor *r = lt_to_dtype(o, x->dtype);
    lt_release(o);
    o = r;
  }
  return o;
}

/* activation: one input x (saved); grad = lt_activation_grad(op, 1, g, x) */
static int act_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  const lt_tensor *x = lt_node_saved(n, 0);
  if (!x) return -1;
  grads[0] = lt_activation_grad((lt_act_op)n->p[0], 1, g, x, n->d[0], n->d[1]);
  return grads[0] ? 0 : -1;
}

static lt_tensor *ag_activation(lt_act_op op, lt_tensor *out, const lt_tensor *x, double p0, double p1) {
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, act_names[op], out, 1, &x);
  if (mode < 0) return NULL;
  lt_tensor *r = lt_activation(op, c.target, c.in[0], p0, p1);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(act_nodes[op], act_backward, 1, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = op;
  n->d[0] = p0;
  n->d[1] = p1;
  if (n->in[0].fn && lt_node_save(n, 0, c.in[0], false) < 0) {
    lt_node_release(n);
    lt_release(r);
    return lt_ag_plain(&c, NULL);
  }
  return lt_ag_finish(&c, r, n);
}

/* out = g f^(k)(x): d/dg = gg f^(k)(x), d/dx = gg g f^(k+1)(x) */
static int act_grad_backward(lt_node *n, const lt_tensor *gg, lt_tensor **grads) {
  lt_act_op op = (lt_act_op)n->p[0];
  int k = (int)n->p[1];
  bool has_g = n->p[2] != 0;
  double p0 = n->d[0], p1 = n->d[1];
  int xi = 1;
  const lt_tensor *g = NULL, *x = lt_node_saved(n, 1);
  if (!x) return -1;
  if (has_g && n->in[xi].fn && !(g = lt_node_saved(n, 0))) return -1;
  if (has_g && n->in[0].fn) {
    if (!(grads[0] = lt_activation_grad(op, k, gg, x, p0, p1))) return -1;
  }
  if (n->in[xi].fn && k + 1 > act_max_order(op) && act_max_order(op) >= 2)
    LT_FAIL(-1, "%s: derivatives of order above %d are not implemented", act_names[op], act_max_order(op));
  if (n->in[xi].fn && k + 1 <= act_max_order(op)) {
    tmps s = {0};
    lt_tensor *h = g ? bin(&s, LT_MUL, gg, g) : keep(&s, retained(gg));
    lt_tensor *r = h ? lt_activation_grad(op, k + 1, h, x, p0, p1) : NULL;
    tmps_free(&s);
    if (!r) return -1;
    grads[xi] = r;
  }
  return 0;
}

static lt_tensor *ag_activation_grad(lt_act_op op, int k, const lt_tensor *g, const lt_tensor *x,
                                     double p0, double p1) {
  static const char *names[LT_NACT] = {
    "ThresholdBackwardBackward", "ReluBackwardBackward", "LeakyReluBackwardBackward",
    "EluBackwardBackward", "GeluBackwardBackward", "SiluBackwardBackward",
    "SoftplusBackwardBackward", "HardtanhBackwardBackward"};
  bool p = lt_grad_pause();
  lt_tensor *r = lt_activation_grad(op, k, g, x, p0, p1);
  lt_grad_resume(p);
  if (!r) return NULL;
  const lt_tensor *ins[2] = {g, x};
  lt_node *n = g ? lt_node_new(names[op], act_grad_backward, 2, ins)
                 : lt_node_new(names[op], act_grad_backward, 2, (const lt_tensor *[]){NULL, x});
  if (!n) { lt_release(r); return NULL; }
  n->p[0] = op;
  n->p[1] = k;
  n->p[2] = g != NULL;
  n->d[0] = p0;
  n->d[1] = p1;
  bool need_x = n->in[1].fn != NULL;
  if (lt_node_save(n, 1, x, false) < 0 || (g && need_x && lt_node_save(n, 0, g, false) < 0)) {
    lt_node_release(n);
    lt_release(r);
    return NULL;
  }
  return lt_node_attach(n, r);
}

/* ---- PReLU ---- */

/* the channel count and layout of x for a weight of nw elements: (bs, C, ks) */
static int prelu_layout(const lt_tensor *x, int64_t nw, int64_t *bs, int64_t *ch, int64_t *ks) {
  int64_t n = lt_numel(x);
  if (nw == 1) { *bs = 1; *ch = 1; *ks = n; return 0; }
  if (x->ndim == 0) LT_FAIL(-1, "prelu: a 0-dim input with %lld weights (expected 1)", (long long)nw);
  int cd = x->ndim > 1 ? 1 : 0;
  if (x->size[cd] != nw)
    LT_FAIL(-1, "prelu: wrong number of input planes: expected %lld (the weight's size) but got %lld in dimension %d",
            (long long)nw, (long long)x->size[cd], cd + 1);
  *bs = cd ? x->size[0] : 1;
  *ch = nw;
  *ks = 1;
  for (int d = 2; d < x->ndim; d++) *ks *= x->size[d];
  return 0;
}

#define PRELU_LOOP(T)                                                                 \
  do {                                                                                \
    const T *xp = lt_data(xc), *wp = lt_data(wc);                                     \
    T *op = lt_data(o);                                                               \
    _Pragma("omp parallel for collapse(2) if(lt_numel(xc) >= LT_PARALLEL_GRAIN)")      \
    for (int64_t b = 0; b < bs; b++)                                                  \
      for (int64_t ci = 0; ci < ch; ci++) {                                           \
        T w = wp[ci];                                                                 \
        int64_t base = (b * ch + ci) * ks;                                            \
        for (int64_t i = 0; i < ks; i++) {                                            \
          T v = xp[base + i];                                                         \
          op[base + i] = v > 0 ? v : w * v;                                           \
        }                                                                             \
      }                                                                               \
  } while (0)

static int prelu_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const lt_tensor *x = lt_node_saved(n, 0), *w = lt_node_saved(n, 1);
  if (!x || !w) return -1;
  tmps s = {0};
  /* w viewed to broadcast against x: (C) at x's channel dim, 1 elsewhere */
  int64_t shape[LT_MAXDIM];
  int nd = x->ndim;
  for (int d = 0; d < nd; d++) shape[d] = 1;
  if (lt_numel(w) > 1) shape[nd > 1 ? 1 : 0] = lt_numel(w);
  lt_tensor *pos = mask(&s, LT_GT, x, 0, g->dtype);
  lt_tensor *neg = rsubs(&s, 1, pos);
  lt_tensor *gx = NULL, *gw = NULL;
  if (n->in[0].fn) {   /* g (pos + neg w) */
    lt_tensor *wb = keep(&s, lt_reshape(w, nd, shape));
    gx = bin(&s, LT_MUL, g, bin(&s, LT_ADD, pos, bin(&s, LT_MUL, neg, wb)));
  }
  if (n->in[1].fn) {   /* the sum of g x over the negative inputs, per channel */
    lt_tensor *t = bin(&s, LT_MUL, bin(&s, LT_MUL, g, x), neg);
    lt_tensor *sw = t ? keep(&s, lt_ag_sum_to_size(t, nd, shape)) : NULL;
    gw = sw ? keep(&s, lt_reshape(sw, n->in[1].ndim, n->in[1].size)) : NULL;
  }
  if ((n->in[0].fn && !gx) || (n->in[1].fn && !gw)) { tmps_free(&s); return -1; }
  if (gx && !(grads[0] = lt_ag_match_input(retained(gx), &n->in[0]))) { tmps_free(&s); return -1; }
  if (gw && !(grads[1] = lt_ag_match_input(retained(gw), &n->in[1]))) { tmps_free(&s); return -1; }
  tmps_free(&s);
  return 0;
}

lt_tensor *lt_prelu(const lt_tensor *x, const lt_tensor *w) {
  if (check_float("prelu", x, "the input") < 0 || check_float("prelu", w, "the weight") < 0 ||
      lt_check_same_device("prelu", x, w) < 0)
    return NULL;
  int64_t bs, ch, ks, nw = lt_numel(w);
  if (nw == 0) LT_FAIL(NULL, "prelu: the weight is empty");
  if (prelu_layout(x, nw, &bs, &ch, &ks) < 0) return NULL;
  if (lt_grad_on && (x->requires_grad || w->requires_grad)) {
    bool p = lt_grad_pause();
    lt_tensor *r = lt_prelu(x, w);
    lt_grad_resume(p);
    if (!r) return NULL;
    lt_node *n = lt_node_new("PreluBackward", prelu_backward, 2, (const lt_tensor *[]){x, w});
    if (!n) { lt_release(r); return NULL; }
    if (lt_node_save(n, 0, x, false) < 0 || lt_node_save(n, 1, w, false) < 0) {
      lt_node_release(n);
      lt_release(r);
      return NULL;
    }
    return lt_node_attach(n, r);
  }
  if (!x->storage) return lt_new_empty(x->dtype, x->device);
  lt_dtype dt = x->dtype == LT_FLOAT64 ? LT_FLOAT64 : LT_FLOAT32;
  lt_tensor *xc = contig_as(x, dt), *wc = xc ? contig_as(w, dt) : NULL;
  lt_tensor *o = wc ? lt_empty(x->ndim, x->size, dt, x->device) : NULL;
  if (o && on_cuda(o)) {
    const lt_backend *be = cuda_be(o);
    if (!be || be->prelu(o, xc, wc, bs, ch, ks) < 0) { lt_release(o); o = NULL; }
  } else if (o) {
    if (dt == LT_FLOAT64) PRELU_LOOP(double);
    else PRELU_LOOP(float);
  }
  lt_release(xc);
  lt_release(wc);
  if (o && dt != x->dtype) {
    lt_tensor *r = lt_to_dtype(o, x->dtype);
    lt_release(o);
    o = r;
  }
  return o;
}

/* ======================================================================================
 * softmax and log-softmax
 * ====================================================================================== */

static void outer_inner(const lt_tensor *t, int dim, int64_t *outer, int64_t *n, int64_t *inner) {
  *outer = 1;
  *inner = 1;
  *n = t->ndim ? t->size[dim] : 1;
  for (int d = 0; d < dim; d++) *outer *= t->size[d];
  for (int d = dim + 1; d < t->ndim; d++) *inner *= t->size[d];
}

/* one line of n elements at stride st: y = softmax(x) or log_softmax(x) (y NULL: nothing
 * written); returns log(sum(exp(x))). Sums are accumulated in double. */
#define SOFTMAX_LINE(T, EXP)                                                          \
  static double softmax_line_##T(const T *x, T *y, int64_t n, int64_t st, bool lg) {  \
    T mx = -INFINITY;                                                                 \
    if (st == 1) {                                                                    \
      _Pragma("omp simd reduction(max:mx)")                                           \
      for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;                     \
    } else                                                                            \
      for (int64_t i = 0; i < n; i++) mx = x[i * st] > mx ? x[i * st] : mx;           \
    if (isinf(mx) && mx < 0) mx = 0;   /* every element -inf (NaN: exp gives NaN) */ \
    double sum = 0;                                                                   \
    if (lg || !y) {                                                                   \
      for (int64_t i = 0; i < n; i++) sum += EXP(x[i * st] - mx);                     \
      double lse = log(sum) + mx;                                                     \
      if (y) {                                                                        \
        T tl = (T)lse;                                                                \
        for (int64_t i = 0; i < n; i++) y[i * st] = x[i * st] - tl;                   \
      }                                                                               \
      return lse;                                                                     \
    }                                                                                 \
    for (int64_t i = 0; i < n; i++) { T e = EXP(x[i * st] - mx); y[i * st] = e; sum += e; } \
    T inv = (T)(1.0 / sum);                                                           \
    for (int64_t i = 0; i < n; i++) y[i * st] *= inv;                                 \
    return log(sum) + mx;                                                             \
  }
SOFTMAX_LINE(float, expf)
SOFTMAX_LINE(double, exp)

/* backward of one line from the output y: softmax: y (g - sum g y); log: g - exp(y) sum g */
#define SOFTMAX_BW_LINE(T, EXP)                                                       \
  static void softmax_bw_line_##T(const T *g, const T *y, T *r, int64_t n, int64_t st, bool lg) { \
    double s = 0;                                                                     \
    if (lg) {                                                                         \
      for (int64_t i = 0; i < n; i++) s += g[i * st];                                 \
      T ts = (T)s;                                                                    \
      for (int64_t i = 0; i < n; i++) r[i * st] = g[i * st] - EXP(y[i * st]) * ts;    \
    } else {                                                                          \
      for (int64_t i = 0; i < n; i++) s += (double)g[i * st] * y[i * st];             \
      T ts = (T)s;                                                                    \
      for (int64_t i = 0; i < n; i++) r[i * st] = y[i * st] * (g[i * st] - ts);       \
    }                                                                                 \
  }
SOFTMAX_BW_LINE(float, expf)
SOFTMAX_BW_LINE(double, exp)

/* run LINE over every line of the (outer, n, inner) layout; contiguous operands */
#define OVER_LINES(T, CALL)                                                           \
  do {                                                                                \
    int64_t lines = outer * inner;                                                    \
    _Pragma("omp parallel for if(lines * n >= LT_PARALLEL_GRAIN && lines > 1)")        \
    for (int64_t l = 0; l < lines; l++) {                                             \
      int64_t o_ = l / inner, i_ = l % inner, off = o_ * n * inner + i_;              \
      CALL;                                                                           \
    }                                                                                 \
  } while (0)

static lt_tensor *softmax_compute(const lt_tensor *x, int dim, bool lg) {
  lt_dtype dt = x->dtype == LT_FLOAT64 ? LT_FLOAT64 : LT_FLOAT32;
  lt_tensor *xc = contig_as(x, dt);
  if (!xc) return NULL;
  lt_tensor *o = lt_empty(x->ndim, x->size, dt, x->device);
  if (o && on_cuda(o)) {
    int64_t outer, n, inner;
    outer_inner(x, dim, &outer, &n, &inner);
    const lt_backend *be = cuda_be(o);
    if (!be || be->softmax(o, xc, outer, n, inner, lg, NULL) < 0) { lt_release(o); o = NULL; }
  } else if (o) {
    int64_t outer, n, inner;
    outer_inner(x, dim, &outer, &n, &inner);
    if (dt == LT_FLOAT64) {
      const double *xp = lt_data(xc);
      double *yp = lt_data(o);
      OVER_LINES(double, softmax_line_double(xp + off, yp + off, n, inner, lg));
    } else {
      const float *xp = lt_data(xc);
      float *yp = lt_data(o);
      OVER_LINES(float, softmax_line_float(xp + off, yp + off, n, inner, lg));
    }
  }
  lt_release(xc);
  if (o && o->dtype != x->dtype) {
    lt_tensor *r = lt_to_dtype(o, x->dtype);
    lt_release(o);
    o = r;
  }
  return o;
}

static lt_tensor *softmax_bw_compute(const lt_tensor *g, const lt_tensor *y, int dim, bool lg) {
  lt_dtype dt = y->dtype == LT_FLOAT64 ? LT_FLOAT64 : LT_FLOAT32;
  lt_tensor *yc = contig_as(y, dt), *gc = yc ? contig_as(g, dt) : NULL;
  lt_tensor *o = gc ? lt_empty(y->ndim, y->size, dt, y->device) : NULL;
  if (o && on_cuda(o)) {
    int64_t outer, n, inner;
    outer_inner(y, dim, &outer, &n, &inner);
    const lt_backend *be = cuda_be(o);
    if (!be || be->softmax_backward(o, gc, yc, outer, n, inner, lg) < 0) { lt_release(o); o = NULL; }
  } else if (o) {
    int64_t outer, n, inner;
    outer_inner(y, dim, &outer, &n, &inner);
    if (dt == LT_FLOAT64) {
      const double *gp = lt_data(gc), *yp = lt_data(yc);
      double *rp = lt_data(o);
      OVER_LINES(double, softmax_bw_line_double(gp + off, yp + off, rp + off, n, inner, lg));
    } else {
      const float *gp = lt_data(gc), *yp = lt_data(yc);
      float *rp = lt_data(o);
      OVER_LINES(float, softmax_bw_line_float(gp + off, yp + off, rp + off, n, inner, lg));
    }
  }
  lt_release(yc);
  lt_release(gc);
  if (o && o->dtype != y->dtype) {
    lt_tensor *r = lt_to_dtype(o, y->dtype);
    lt_release(o);
    o = r;
  }
  return o;
}

static int softmax_check(const char *name, const lt_tensor *x, int dim) {
  if (check_float(name, x, "the input") < 0) return -1;
  if (x->ndim == 0 ? dim != 0 && dim != -1 : lt_check_dim(name, x, dim) < 0) {
    if (x->ndim == 0) LT_FAIL(-1, "%s: dimension %d out of range (the tensor has no dimensions)", name, dim + 1);
    return -1;
  }
  return 0;
}

lt_tensor *lt_softmax_backward(const lt_tensor *g, const lt_tensor *y, int dim, bool lg) {
  const char *name = lg ? "logSoftmax" : "softmax";
  if (softmax_check(name, y, dim) < 0 || check_float(name, g, "the gradient") < 0 ||
      lt_check_same_device(name, y, g) < 0)
    return NULL;
  if (lt_numel(g) != lt_numel(y)) LT_FAIL(NULL, "%s: gradient and output sizes differ", name);
  if (!y->storage) return lt_new_empty(y->dtype, y->device);
  if (y->ndim == 0) dim = 0;
  if (lt_grad_on && (g->requires_grad || y->requires_grad)) {
    /* the formula in engine ops, recorded */
    tmps s = {0};
    if (y->ndim == 0) {   /* one element: softmax is constant 1, log-softmax 0 */
      return result(&s, bins(&s, LT_MUL, g, 0));
    }
    lt_tensor *r;
    if (lg) r = bin(&s, LT_SUB, g, bin(&s, LT_MUL, una(&s, LT_EXP, y), sumdim(&s, g, dim)));
    else r = bin(&s, LT_MUL, y, bin(&s, LT_SUB, g, sumdim(&s, bin(&s, LT_MUL, g, y), dim)));
    return result(&s, r);
  }
  if (y->ndim == 0) return lt_zeros(0, NULL, y->dtype, y->device);
  return softmax_bw_compute(g, y, dim, lg);
}

static int softmax_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  const lt_tensor *y = lt_node_saved(n, 0);
  if (!y) return -1;
  grads[0] = lt_softmax_backward(g, y, (int)n->p[0], n->p[1] != 0);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_softmax(lt_tensor *out, const lt_tensor *x, int dim, bool lg) {
  const char *name = lg ? "logSoftmax" : "softmax";
  if (softmax_check(name, x, dim) < 0 || (out && lt_check_same_device(name, x, out) < 0)) return NULL;
  if (x->ndim == 0) dim = 0;
  if (LT_AG_OUT(out, x->requires_grad)) {
    lt_ag_ctx c;
    int mode = lt_ag_begin(&c, name, out, 1, &x);
    if (mode < 0) return NULL;
    lt_tensor *r = lt_softmax(c.target, c.in[0], dim, lg);
    if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
    lt_node *n = lt_node_new(lg ? "LogSoftmaxBackward" : "SoftmaxBackward", softmax_backward, 1, c.in);
    if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
    n->p[0] = dim;
    n->p[1] = lg;
    if (lt_node_save(n, 0, r, true) < 0) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
    return lt_ag_finish(&c, r, n);
  }
  if (!x->storage) {
    if (out) { lt_retain(out); return out; }
    return lt_new_empty(x->dtype, x->device);
  }
  lt_tensor *r = softmax_compute(x, dim, lg);
  if (!out || !r) return r;
  return lt_deliver(out, r, out->dtype);
}

/* ======================================================================================
 * losses
 * ====================================================================================== */

static lt_tensor *reduce_loss(lt_tensor *l, lt_loss_reduction red) {   /* takes l */
  if (!l || red == LT_LOSS_NONE) return l;
  lt_tensor *r = lt_reduce_all_tensor(red == LT_LOSS_MEAN ? LT_RMEAN : LT_RSUM, l, 0);
  lt_release(l);
  return r;
}

static int check_reduction(const char *op, lt_loss_reduction red) {
  if ((unsigned)red > LT_LOSS_SUM) LT_FAIL(-1, "%s: unknown reduction %d", op, (int)red);
  return 0;
}

/* ---- nll and cross-entropy ---- */

typedef struct {
  int64_t N, C;
  bool batch;              /* N x C input (else C) */
} nll_shape;

static int nll_check(const char *op, const lt_tensor *in, const lt_tensor *target, const lt_tensor *weight,
                     int64_t ignore, nll_shape *sh) {
  if (check_float(op, in, "the input") < 0 || lt_check_same_device(op, in, target) < 0) return -1;
  char b1[64], b2[64];
  if (in->ndim != 1 && in->ndim != 2)
    LT_FAIL(-1, "%s: the input must be 1-D (C) or 2-D (N x C), got size %s", op, lt_shape_str(in, b1, sizeof b1));
  if (target->dtype != LT_INT64) LT_FAIL(-1, "%s: the target must be a LongTensor of class indices, got %sTensor", op, lt_dtype_name(target->dtype));
  sh->batch = in->ndim == 2;
  sh->N = sh->batch ? in->size[0] : 1;
  sh->C = in->size[in->ndim - 1];
  if (lt_numel(target) != sh->N || target->ndim > 1)
    LT_FAIL(-1, "%s: the target (size %s) must have one class index per sample (%lld) for an input of size %s",
            op, lt_shape_str(target, b2, sizeof b2), (long long)sh->N, lt_shape_str(in, b1, sizeof b1));
  if (weight) {
    if (lt_check_same_device(op, in, weight) < 0) return -1;
    if (lt_numel(weight) != sh->C)
      LT_FAIL(-1, "%s: the weights have %lld elements, expected one per class (%lld)", op,
              (long long)lt_numel(weight), (long long)sh->C);
  }
  /* every target a class or the ignored index (device targets: checked on a CPU copy) */
  lt_tensor *tc = on_cuda(target) ? lt_to_device(target, lt_cpu()) : lt_contiguous(target);
  if (!tc) return -1;
  const int64_t *tp = lt_data(tc);
  for (int64_t i = 0; i < sh->N; i++) {
    if (tp[i] == ignore) continue;
    if (tp[i] < 0 || tp[i] >= sh->C) {
      int64_t v = tp[i];
      lt_release(tc);
      LT_FAIL(-1, "%s: target %lld (0-based) out of range: the input has %lld classes", op, (long long)v, (long long)sh->C);
    }
  }
  lt_release(tc);
  return 0;
}

/* the per-sample weights w[t_i] (0 for ignored) as doubles, and their sum */
static double *nll_weights(const lt_tensor *target, const lt_tensor *weight, int64_t ignore, int64_t N,
                           double *total) {
  double *w = malloc(sizeof(double) * (size_t)(N ? N : 1));
  if (!w) LT_FAIL(NULL, "nllLoss: out of memory");
  lt_tensor *tc = lt_contiguous(target);
  lt_tensor *wc = weight ? contig_as(weight, LT_FLOAT64) : NULL;
  if (!tc || (weight && !wc)) { free(w); lt_release(tc); lt_release(wc); return NULL; }
  const int64_t *tp = lt_data(tc);
  const double *wp = wc ? lt_data(wc) : NULL;
  double tot = 0;
  for (int64_t i = 0; i < N; i++) {
    w[i] = tp[i] == ignore ? 0.0 : wp ? wp[tp[i]] : 1.0;
    tot += w[i];
  }
  lt_release(tc);
  lt_release(wc);
  *total = tot;
  return w;
}

/* out = -w_i lp[i, t_i] (none), or its sum (/ total for mean); only the N elements at the
 * targets are read */
/* the device forms: the targets (contiguous int64) and weights (contiguous float64) as
 * the kernels take them */
typedef struct { lt_tensor *t, *w, *g; } dev_ops;
static int dev_ops_get(dev_ops *d, const lt_tensor *target, const lt_tensor *weight, const lt_tensor *g) {
  d->t = lt_contiguous(target);
  d->w = d->t && weight ? contig_as(weight, LT_FLOAT64) : NULL;
  d->g = d->t && (!weight || d->w) && g ? contig_as(g, LT_FLOAT64) : NULL;
  if (!d->t || (weight && !d->w) || (g && !d->g)) {
    lt_release(d->t); lt_release(d->w); lt_release(d->g);
    return -1;
  }
  return 0;
}
static void dev_ops_free(dev_ops *d) { lt_release(d->t); lt_release(d->w); lt_release(d->g); }
#define DEV_T(d) ((const int64_t *)lt_data((d)->t))
#define DEV_W(d) ((d)->w ? (const double *)lt_data((d)->w) : NULL)
#define DEV_G(d) ((const double *)lt_data((d)->g))

/* the loss's result: N elements (none) or a 0-dim tensor, in dt on x's device */
static lt_tensor *loss_out(lt_loss_reduction red, const nll_shape *sh, lt_dtype dt, lt_device dev) {
  if (red == LT_LOSS_NONE) return lt_empty(sh->batch ? 1 : 0, &sh->N, dt, dev);
  return lt_empty(0, NULL, dt, dev);
}

static lt_tensor *nll_compute_cuda(const lt_tensor *lp, const lt_tensor *target, const lt_tensor *weight,
                                   int64_t ignore, lt_loss_reduction red, const nll_shape *sh) {
  const lt_backend *be = cuda_be(lp);
  dev_ops d;
  if (!be || dev_ops_get(&d, target, weight, NULL) < 0) return NULL;
  lt_tensor *o = loss_out(red, sh, lp->dtype, lp->device);
  if (o && be->nll(o, lp, DEV_T(&d), DEV_W(&d), ignore, (int)red, sh->N, sh->C) < 0) { lt_release(o); o = NULL; }
  dev_ops_free(&d);
  return o;
}

static lt_tensor *nll_compute(const lt_tensor *lp, const lt_tensor *target, const lt_tensor *weight,
                              int64_t ignore, lt_loss_reduction red, const nll_shape *sh) {
  if (on_cuda(lp)) return nll_compute_cuda(lp, target, weight, ignore, red, sh);
  double total;
  double *w = nll_weights(target, weight, ignore, sh->N, &total);
  if (!w) return NULL;
  lt_tensor *tc = lt_contiguous(target);
  lt_tensor *o = NULL;
  if (tc) {
    const int64_t *tp = lt_data(tc);
    const char *base = lt_data(lp);
    size_t es = lt_dtype_size(lp->dtype);
    int64_t s0 = sh->batch ? lp->stride[0] : 0, s1 = lp->stride[lp->ndim - 1];
    double acc = 0;
    if (red == LT_LOSS_NONE) o = lt_empty(sh->batch ? 1 : 0, &sh->N, lp->dtype, lp->device);
    for (int64_t i = 0; i < sh->N && (o || red != LT_LOSS_NONE); i++) {
      double v = w[i] == 0 ? 0 : -w[i] * lt_load(lp->dtype, base + (i * s0 + tp[i] * s1) * (int64_t)es);
      if (o) lt_store(lp->dtype, (char *)lt_data(o) + i * es, v);
      else acc += v;
    }
    if (red != LT_LOSS_NONE) {
      if (red == LT_LOSS_MEAN) acc = total != 0 ? acc / total : 0;
      o = lt_scalar_tensor(acc, lp->dtype, lp->device);
    }
  }
  lt_release(tc);
  free(w);
  return o;
}

/* the gradient of nll with respect to its input, from the output gradient g:
 * r[i, t_i] = -w_i g_i (none), -w_i g (sum), -w_i g / total (mean); zeros elsewhere */
typedef struct {
  lt_tensor *target, *weight;
  int64_t ignore;
  int red;
  nll_shape sh;
  lt_dtype dt;
} nll_info;

static void nll_info_free(void *p) {
  nll_info *f = p;
  if (!f) return;
  lt_release(f->target);
  lt_release(f->weight);
  free(f);
}
static nll_info *nll_info_new(const lt_tensor *target, const lt_tensor *weight, int64_t ignore, int red,
                              const nll_shape *sh, lt_dtype dt) {
  nll_info *f = calloc(1, sizeof *f);
  if (!f) LT_FAIL(NULL, "nllLoss: out of memory");
  bool p = lt_grad_pause();
  f->target = lt_clone(target);   /* kept apart from the user's tensors */
  f->weight = weight ? lt_clone(weight) : NULL;
  lt_grad_resume(p);
  if (!f->target || (weight && !f->weight)) { nll_info_free(f); return NULL; }
  if (f->weight) f->weight->requires_grad = false;
  f->ignore = ignore;
  f->red = red;
  f->sh = *sh;
  f->dt = dt;
  return f;
}

static lt_tensor *nll_grad(const lt_tensor *g, const nll_info *f);

static int nll_grad_backward(lt_node *n, const lt_tensor *gg, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  const nll_info *f = n->ctx;
  grads[0] = lt_nll_loss(gg, f->target, f->weight, f->ignore, (lt_loss_reduction)f->red);
  return grads[0] ? 0 : -1;
}

static lt_tensor *nll_grad(const lt_tensor *g, const nll_info *f) {
  const nll_shape *sh = &f->sh;
  if (lt_grad_on && g->requires_grad) {
    bool p = lt_grad_pause();
    lt_tensor *r = nll_grad(g, f);
    lt_grad_resume(p);
    if (!r) return NULL;
    lt_node *n = lt_node_new("NllLossBackwardBackward", nll_grad_backward, 1, &g);
    nll_info *c = n ? nll_info_new(f->target, f->weight, f->ignore, f->red, sh, f->dt) : NULL;
    if (!c) { lt_node_release(n); lt_release(r); return NULL; }
    n->ctx = c;
    n->ctx_free = nll_info_free;
    return lt_node_attach(n, r);
  }
  if (lt_check_same_device("nllLoss", g, f->target) < 0) return NULL;
  if (on_cuda(g)) {
    const lt_backend *be = cuda_be(g);
    dev_ops d;
    if (!be || dev_ops_get(&d, f->target, f->weight, g) < 0) return NULL;
    int64_t size[2] = {sh->N, sh->C};
    lt_tensor *r = lt_zeros(sh->batch ? 2 : 1, sh->batch ? size : size + 1, f->dt, g->device);
    if (r && be->nll_grad(r, DEV_G(&d), DEV_T(&d), DEV_W(&d), f->ignore, f->red, sh->N, sh->C) < 0) {
      lt_release(r);
      r = NULL;
    }
    dev_ops_free(&d);
    return r;
  }
  double total;
  double *w = nll_weights(f->target, f->weight, f->ignore, sh->N, &total);
  if (!w) return NULL;
  int64_t size[2] = {sh->N, sh->C};
  lt_tensor *r = lt_zeros(sh->batch ? 2 : 1, sh->batch ? size : size + 1, f->dt, g->device);
  lt_tensor *gc = r ? contig_as(g, LT_FLOAT64) : NULL, *tc = gc ? lt_contiguous(f->target) : NULL;
  if (tc) {
    const double *gp = lt_data(gc);
    const int64_t *tp = lt_data(tc);
    bool per = f->red == LT_LOSS_NONE;
    double scale = f->red == LT_LOSS_MEAN ? (total != 0 ? 1.0 / total : 0.0) : 1.0;
    size_t es = lt_dtype_size(f->dt);
    for (int64_t i = 0; i < sh->N; i++) {
      if (w[i] == 0) continue;
      double v = -w[i] * scale * gp[per ? i : 0];
      lt_store(f->dt, (char *)lt_data(r) + (i * sh->C + tp[i]) * es, v);
    }
  } else {
    lt_release(r);
    r = NULL;
  }
  lt_release(gc);
  lt_release(tc);
  free(w);
  return r;
}

static int nll_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  grads[0] = nll_grad(g, n->ctx);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_nll_loss(const lt_tensor *lp, const lt_tensor *target, const lt_tensor *weight,
                       int64_t ignore, lt_loss_reduction red) {
  nll_shape sh;
  if (check_reduction("nllLoss", red) < 0 || nll_check("nllLoss", lp, target, weight, ignore, &sh) < 0) return NULL;
  lt_tensor *r = nll_compute(lp, target, weight, ignore, red, &sh);
  if (!r || !(lt_grad_on && lp->requires_grad)) return r;
  lt_node *n = lt_node_new("NllLossBackward", nll_backward, 1, &lp);
  nll_info *f = n ? nll_info_new(target, weight, ignore, red, &sh, lp->dtype) : NULL;
  if (!f) { lt_node_release(n); lt_release(r); return NULL; }
  n->ctx = f;
  n->ctx_free = nll_info_free;
  return lt_node_attach(n, r);
}

/* cross-entropy: the node saves x (slot 0, for createGraph) and its softmax (slot 1) */
static int ce_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  const nll_info *f = n->ctx;
  int dim = f->sh.batch ? 1 : 0;
  if (lt_grad_on) {   /* createGraph: log-softmax and nll again, recorded */
    const lt_tensor *x = lt_node_saved(n, 0);
    if (!x) return -1;
    tmps s = {0};
    lt_tensor *lp = keep(&s, lt_softmax(NULL, x, dim, true));
    lt_tensor *z = lp ? keep(&s, nll_grad(g, f)) : NULL;
    lt_tensor *r = z ? lt_softmax_backward(z, lp, dim, true) : NULL;
    tmps_free(&s);
    if (!r) return -1;
    grads[0] = r;
    return 0;
  }
  const lt_tensor *lp = lt_node_saved(n, 1);   /* the probabilities */
  if (!lp) return -1;
  const nll_shape *sh = &f->sh;
  if (on_cuda(lp)) {
    const lt_backend *be = cuda_be(lp);
    dev_ops d;
    if (!be || lt_check_same_device("crossEntropy", lp, g) < 0 || dev_ops_get(&d, f->target, f->weight, g) < 0)
      return -1;
    lt_tensor *r = lt_empty(lp->ndim, lp->size, lp->dtype, lp->device);
    if (r && be->cross_entropy_backward(r, lp, DEV_G(&d), DEV_T(&d), DEV_W(&d), f->ignore, f->red, sh->N,
                                        sh->C) < 0) {
      lt_release(r);
      r = NULL;
    }
    dev_ops_free(&d);
    if (!r) return -1;
    grads[0] = r;
    return 0;
  }
  double total;
  double *w = nll_weights(f->target, f->weight, f->ignore, sh->N, &total);
  if (!w) return -1;
  lt_tensor *gc = contig_as(g, LT_FLOAT64), *tc = gc ? lt_contiguous(f->target) : NULL;
  lt_tensor *r = tc ? lt_empty(lp->ndim, lp->size, lp->dtype, lp->device) : NULL;
  if (r) {
    const double *gp = lt_data(gc);
    const int64_t *tp = lt_data(tc);
    bool per = f->red == LT_LOSS_NONE;
    double scale = f->red == LT_LOSS_MEAN ? (total != 0 ? 1.0 / total : 0.0) : 1.0;
    int64_t N = sh->N, C = sh->C;
#define CE_BW(T)                                                                   \
    do {                                                                           \
      const T *pr = lt_data(lp);                                                   \
      T *o = lt_data(r);                                                           \
      _Pragma("omp parallel for if(N * C >= LT_PARALLEL_GRAIN)")                    \
      for (int64_t i = 0; i < N; i++) {                                            \
        T si = (T)(w[i] * scale * gp[per ? i : 0]);                                \
        for (int64_t c = 0; c < C; c++) o[i * C + c] = si * pr[i * C + c];          \
        if (w[i] != 0) o[i * C + tp[i]] -= si;                                     \
      }                                                                            \
    } while (0)
    if (lp->dtype == LT_FLOAT64) CE_BW(double);
    else CE_BW(float);
#undef CE_BW
  }
  lt_release(gc);
  lt_release(tc);
  free(w);
  if (!r) return -1;
  grads[0] = r;
  return 0;
}

/* the losses -w_i (x[i, t_i] - logsumexp(x[i])), reduced; *prob (when asked) the softmax
 * of x for the backward */
static lt_tensor *ce_compute(const lt_tensor *x, const lt_tensor *target, const lt_tensor *weight,
                             int64_t ignore, lt_loss_reduction red, const nll_shape *sh, lt_tensor **prob) {
  if (on_cuda(x)) {
    const lt_backend *be = cuda_be(x);
    dev_ops d;
    if (!be || dev_ops_get(&d, target, weight, NULL) < 0) return NULL;
    lt_tensor *xc = lt_contiguous(x);
    lt_tensor *pr = xc && prob ? lt_empty(x->ndim, x->size, x->dtype, x->device) : NULL;
    lt_tensor *o = xc && (!prob || pr) ? loss_out(red, sh, x->dtype, x->device) : NULL;
    if (o && be->cross_entropy(o, pr, xc, DEV_T(&d), DEV_W(&d), ignore, (int)red, sh->N, sh->C) < 0) {
      lt_release(o);
      o = NULL;
    }
    lt_release(xc);
    dev_ops_free(&d);
    if (prob && o) *prob = pr;
    else lt_release(pr);
    return o;
  }
  double total;
  double *w = nll_weights(target, weight, ignore, sh->N, &total);
  double *li = w ? malloc(sizeof(double) * (size_t)(sh->N ? sh->N : 1)) : NULL;
  lt_tensor *xc = li ? lt_contiguous(x) : NULL, *tc = xc ? lt_contiguous(target) : NULL;
  lt_tensor *pr = tc && prob ? lt_empty(x->ndim, x->size, x->dtype, x->device) : NULL;
  lt_tensor *o = NULL;
  if (!li && w) lt_seterr("crossEntropy: out of memory");
  if (tc && (!prob || pr)) {
    const int64_t *tp = lt_data(tc);
    int64_t N = sh->N, C = sh->C;
#define CE_FW(T)                                                                        \
    do {                                                                                \
      const T *xp = lt_data(xc);                                                        \
      T *pp = pr ? (T *)lt_data(pr) : NULL;                                             \
      _Pragma("omp parallel for if(N * C >= LT_PARALLEL_GRAIN)")                         \
      for (int64_t i = 0; i < N; i++) {                                                 \
        double lse = softmax_line_##T(xp + i * C, pp ? pp + i * C : NULL, C, 1, false);  \
        li[i] = w[i] == 0 ? 0 : -w[i] * ((double)xp[i * C + tp[i]] - lse);               \
      }                                                                                 \
    } while (0)
    if (x->dtype == LT_FLOAT64) CE_FW(double);
    else CE_FW(float);
#undef CE_FW
    if (red == LT_LOSS_NONE) {
      o = lt_empty(sh->batch ? 1 : 0, &sh->N, x->dtype, x->device);
      for (int64_t i = 0; o && i < N; i++) lt_store(x->dtype, (char *)lt_data(o) + i * lt_dtype_size(x->dtype), li[i]);
    } else {
      double acc = 0;
      for (int64_t i = 0; i < N; i++) acc += li[i];
      if (red == LT_LOSS_MEAN) acc = total != 0 ? acc / total : 0;
      o = lt_scalar_tensor(acc, x->dtype, x->device);
    }
  }
  lt_release(xc);
  lt_release(tc);
  free(w);
  free(li);
  if (prob && o) *prob = pr;
  else lt_release(pr);
  return o;
}

lt_tensor *lt_cross_entropy(const lt_tensor *x, const lt_tensor *target, const lt_tensor *weight,
                            int64_t ignore, lt_loss_reduction red) {
  nll_shape sh;
  if (check_reduction("crossEntropy", red) < 0 || nll_check("crossEntropy", x, target, weight, ignore, &sh) < 0)
    return NULL;
  if (lt_is_half(x->dtype)) {
    lt_tensor *xf = lt_to_dtype(x, LT_FLOAT32);   /* recorded: the gradient converts back */
    lt_tensor *r = xf ? lt_cross_entropy(xf, target, weight, ignore, red) : NULL;
    lt_release(xf);
    lt_tensor *rh = r ? lt_to_dtype(r, x->dtype) : NULL;
    lt_release(r);
    return rh;
  }
  bool rec = lt_grad_on && x->requires_grad;
  lt_tensor *lp = NULL;
  lt_tensor *r = ce_compute(x, target, weight, ignore, red, &sh, rec ? &lp : NULL);
  if (!r || !rec) { lt_release(lp); return r; }
  lt_node *n = lt_node_new("CrossEntropyBackward", ce_backward, 1, &x);
  nll_info *f = n ? nll_info_new(target, weight, ignore, red, &sh, x->dtype) : NULL;
  if (f) { n->ctx = f; n->ctx_free = nll_info_free; }
  if (!f || lt_node_save(n, 0, x, false) < 0 || lt_node_save(n, 1, lp, false) < 0) {
    lt_node_release(n);
    lt_release(lp);
    lt_release(r);
    return NULL;
  }
  lt_release(lp);
  return lt_node_attach(n, r);
}

/* ---- elementwise losses with fused forward kernels ---- */

/* the common checks and the operand layout: b (and the weights) read in a's shape */
static int pair_check(const char *op, const lt_tensor *a, const lt_tensor *b, lt_loss_reduction red) {
  if (check_reduction(op, red) < 0 || check_float(op, a, "the input") < 0 || check_float(op, b, "the target") < 0 ||
      lt_check_same_device(op, a, b) < 0)
    return -1;
  if (lt_numel(a) != lt_numel(b)) {
    char b1[64], b2[64];
    LT_FAIL(-1, "%s: the input (size %s) and the target (size %s) differ in their number of elements", op,
            lt_shape_str(a, b1, sizeof b1), lt_shape_str(b, b2, sizeof b2));
  }
  return 0;
}

/* t in a's shape: itself when the sizes agree, else reshaped (recorded) */
static lt_tensor *as_shape_of(const lt_tensor *t, const lt_tensor *a) {
  if (lt_same_size(t, a)) return retained(t);
  return lt_reshape(t, a->ndim, a->size);
}
/* an optional weight broadcast to a's shape (a view), or NULL (none given) */
static int weight_as(const char *op, const lt_tensor *w, const lt_tensor *a, lt_tensor **out) {
  *out = NULL;
  if (!w) return 0;
  if (check_float(op, w, "the weight") < 0 || lt_check_same_device(op, a, w) < 0) return -1;
  int64_t size[LT_MAXDIM];
  int nd = lt_broadcast_shape(op, a, w, size);
  if (nd < 0) return -1;
  if (nd != a->ndim || memcmp(size, a->size, sizeof(int64_t) * nd)) {
    char b1[64], b2[64];
    LT_FAIL(-1, "%s: the weight (size %s) does not broadcast to the input's size %s", op,
            lt_shape_str(w, b1, sizeof b1), lt_shape_str(a, b2, sizeof b2));
  }
  bool p = lt_grad_pause();   /* weights get no gradient */
  *out = lt_expand(w, a->ndim, a->size);
  lt_grad_resume(p);
  return *out ? 0 : -1;
}

typedef enum { EL_MSE, EL_BCE, EL_BCEL } el_kind;

/* the element math: lt_el_loss of scalar_math.h (kinds 0, 1, 2 as el_kind), shared with
 * the CUDA kernels */
static inline double el_loss(el_kind k, double a, double b, double w, double pw) {
  return lt_el_loss((int)k, a, b, w, pw);
}

/* operands: a, b[, w][, pw][, out] (contiguous float64 copies); returns the sum or fills out */
static double el_run(el_kind k, const double *a, const double *b, const double *w, const double *pw,
                     double *out, int64_t n) {
  double acc = 0;
  #pragma omp parallel for reduction(+:acc) if(n >= LT_PARALLEL_GRAIN)
  for (int64_t i = 0; i < n; i++) {
    double v = el_loss(k, a[i], b[i], w ? w[i] : 1.0, pw ? pw[i] : 1.0);
    if (out) out[i] = v;
    else acc += v;
  }
  return acc;
}

static lt_tensor *el_forward(el_kind k, const lt_tensor *a, const lt_tensor *b, const lt_tensor *w,
                             const lt_tensor *pw, lt_loss_reduction red) {
  lt_tensor *ac = contig_as(a, LT_FLOAT64), *bc = ac ? contig_as(b, LT_FLOAT64) : NULL;
  lt_tensor *wc = bc && w ? contig_as(w, LT_FLOAT64) : NULL, *pc = bc && pw ? contig_as(pw, LT_FLOAT64) : NULL;
  lt_tensor *o = NULL;
  int64_t n = lt_numel(a);
  if (bc && (!w || wc) && (!pw || pc) && on_cuda(a)) {
    const lt_backend *be = cuda_be(a);
    const double *wp = wc ? lt_data(wc) : NULL, *pp = pc ? lt_data(pc) : NULL;
    if (!be) goto done;
    if (k == EL_BCE) {   /* the probabilities must be in [0, 1] */
      int64_t bad;
      double v;
      if (be->first_not_prob(lt_data(ac), n, a->device.index, &bad, &v) < 0) goto done;
      if (bad >= 0) {
        lt_seterr("bceLoss: the input values must be probabilities between 0 and 1 (element %lld is %g)",
                  (long long)bad + 1, v);
        goto done;
      }
    }
    if (red == LT_LOSS_NONE) {
      lt_tensor *od = lt_empty(a->ndim, a->size, LT_FLOAT64, a->device);
      if (od && be->el_loss((int)k, od, lt_data(ac), lt_data(bc), wp, pp, (int)red, n, a->device.index) == 0)
        o = lt_to_dtype(od, a->dtype);
      lt_release(od);
    } else {
      o = lt_empty(0, NULL, a->dtype, a->device);
      if (o && be->el_loss((int)k, o, lt_data(ac), lt_data(bc), wp, pp, (int)red, n, a->device.index) < 0) {
        lt_release(o);
        o = NULL;
      }
    }
  } else if (bc && (!w || wc) && (!pw || pc)) {
    const double *wp = wc ? lt_data(wc) : NULL, *pp = pc ? lt_data(pc) : NULL;
    if (k == EL_BCE) {   /* the probabilities must be in [0, 1] */
      const double *ap = lt_data(ac);
      for (int64_t i = 0; i < n; i++)
        if (!(ap[i] >= 0 && ap[i] <= 1)) {
          lt_seterr("bceLoss: the input values must be probabilities between 0 and 1 (element %lld is %g)",
                    (long long)i + 1, ap[i]);
          goto done;
        }
    }
    if (red == LT_LOSS_NONE) {
      lt_tensor *od = lt_empty(a->ndim, a->size, LT_FLOAT64, a->device);
      if (od) {
        el_run(k, lt_data(ac), lt_data(bc), wp, pp, lt_data(od), n);
        o = lt_to_dtype(od, a->dtype);
        lt_release(od);
      }
    } else {
      double s = el_run(k, lt_data(ac), lt_data(bc), wp, pp, NULL, n);
      if (red == LT_LOSS_MEAN) s = n ? s / (double)n : NAN;
      o = lt_scalar_tensor(s, a->dtype, a->device);
    }
  }
done:
  lt_release(ac);
  lt_release(bc);
  lt_release(wc);
  lt_release(pc);
  return o;
}

/* the output gradient scaled for the reduction: g (none), g (sum), g / n (mean) */
static lt_tensor *scaled_g(tmps *s, const lt_tensor *g, lt_loss_reduction red, int64_t n) {
  if (red == LT_LOSS_MEAN) return bins(s, LT_DIV, g, (double)n);
  return keep(s, retained(g));
}

/* node: inputs a, b; saved a (0), b (1), weight (2), pos weight (3) as given (expanded) */
static int el_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  el_kind k = (el_kind)n->p[0];
  lt_loss_reduction red = (lt_loss_reduction)n->p[1];
  int64_t cnt = n->p[2];
  const lt_tensor *a = lt_node_saved(n, 0), *b = lt_node_saved(n, 1);
  const lt_tensor *w = n->saved[2] ? lt_node_saved(n, 2) : NULL, *pw = n->saved[3] ? lt_node_saved(n, 3) : NULL;
  if (!a || !b || (n->saved[2] && !w) || (n->saved[3] && !pw)) return -1;
  tmps s = {0};
  lt_tensor *gs = scaled_g(&s, g, red, cnt);
  lt_tensor *ga = NULL, *gb = NULL;
  switch (k) {
  case EL_MSE: {   /* 2 (a - b) g */
    lt_tensor *d = bins(&s, LT_MUL, bin(&s, LT_MUL, bin(&s, LT_SUB, a, b), gs), 2.0);
    ga = d;
    gb = n->in[1].fn ? una(&s, LT_NEG, d) : NULL;
    break;
  }
  case EL_BCE: {   /* d/dp = w (p - t) / max(p (1 - p), 1e-12); d/dt = w (log(1-p) - log p) */
    if (n->in[0].fn) {
      lt_tensor *den = keep(&s, lt_clamp(NULL, bin(&s, LT_MUL, a, rsubs(&s, 1, a)), 1e-12, NAN));
      ga = bin(&s, LT_MUL, bin(&s, LT_DIV, bin(&s, LT_SUB, a, b), den), gs);
      if (w) ga = bin(&s, LT_MUL, ga, w);
    }
    if (n->in[1].fn) {
      lt_tensor *lp = keep(&s, lt_clamp(NULL, una(&s, LT_LOG, a), -100, NAN));
      lt_tensor *l1p = keep(&s, lt_clamp(NULL, una(&s, LT_LOG1P, una(&s, LT_NEG, a)), -100, NAN));
      gb = bin(&s, LT_MUL, bin(&s, LT_SUB, l1p, lp), gs);
      if (w) gb = bin(&s, LT_MUL, gb, w);
    }
    break;
  }
  case EL_BCEL: {   /* lw = 1 + (pw - 1) t: d/dx = (1 - t) + lw (sigmoid(x) - 1); d/dt = -x + (pw - 1) softplus(-x) */
    lt_tensor *pwm1 = pw ? bins(&s, LT_SUB, pw, 1) : NULL;
    if (n->in[0].fn) {
      lt_tensor *sm1 = bins(&s, LT_SUB, una(&s, LT_SIGMOID, a), 1);
      lt_tensor *term = pw ? bin(&s, LT_MUL, sm1, bins(&s, LT_ADD, bin(&s, LT_MUL, pwm1, b), 1)) : sm1;
      ga = bin(&s, LT_MUL, bin(&s, LT_ADD, rsubs(&s, 1, b), term), gs);
      if (w) ga = bin(&s, LT_MUL, ga, w);
    }
    if (n->in[1].fn) {
      lt_tensor *d = una(&s, LT_NEG, a);
      if (pw) d = bin(&s, LT_ADD, d, bin(&s, LT_MUL, pwm1,
                      keep(&s, lt_activation(LT_ACT_SOFTPLUS, NULL, una(&s, LT_NEG, a), 1, 20))));
      gb = bin(&s, LT_MUL, d, gs);
      if (w) gb = bin(&s, LT_MUL, gb, w);
    }
    break;
  }
  }
  int rc = 0;
  /* (a gradient computed in a wider type than its input goes back to the input's type) */
  if (n->in[0].fn) {
    lt_tensor *r = ga ? lt_ag_match_input(lt_ag_sum_to(ga, &n->in[0]), &n->in[0]) : NULL;
    if (!r) rc = -1;
    grads[0] = r;
  }
  if (rc == 0 && n->in[1].fn) {
    lt_tensor *r = gb ? lt_ag_match_input(lt_ag_sum_to(gb, &n->in[1]), &n->in[1]) : NULL;
    if (!r) rc = -1;
    grads[1] = r;
  }
  tmps_free(&s);
  return rc;
}

static lt_tensor *el_loss_op(const char *op, el_kind k, const lt_tensor *a, const lt_tensor *b0,
                             const lt_tensor *w0, const lt_tensor *pw0, lt_loss_reduction red) {
  if (pair_check(op, a, b0, red) < 0) return NULL;
  lt_tensor *b = as_shape_of(b0, a), *w = NULL, *pw = NULL;
  if (!b || weight_as(op, w0, a, &w) < 0 || weight_as(op, pw0, a, &pw) < 0) {
    lt_release(b); lt_release(w);
    return NULL;
  }
  bool rec = lt_grad_on && (a->requires_grad || b->requires_grad);
  bool p = lt_grad_pause();
  lt_tensor *r = el_forward(k, a, b, w, pw, red);
  lt_grad_resume(p);
  lt_node *n = r && rec ? lt_node_new(k == EL_MSE ? "MseLossBackward" : k == EL_BCE ? "BinaryCrossEntropyBackward"
                                      : "BinaryCrossEntropyWithLogitsBackward", el_backward, 2,
                                      (const lt_tensor *[]){a, b}) : NULL;
  if (n) {
    n->p[0] = k;
    n->p[1] = red;
    n->p[2] = lt_numel(a);
    if (lt_node_save(n, 0, a, false) < 0 || lt_node_save(n, 1, b, false) < 0 ||
        (w && lt_node_save(n, 2, w, false) < 0) || (pw && lt_node_save(n, 3, pw, false) < 0)) {
      lt_node_release(n);
      lt_release(r);
      r = NULL;
      n = NULL;
    }
  } else if (r && rec) {
    lt_release(r);
    r = NULL;
  }
  lt_release(b);
  lt_release(w);
  lt_release(pw);
  return n ? lt_node_attach(n, r) : r;
}

lt_tensor *lt_mse_loss(const lt_tensor *a, const lt_tensor *b, lt_loss_reduction red) {
  return el_loss_op("mseLoss", EL_MSE, a, b, NULL, NULL, red);
}
lt_tensor *lt_bce_loss(const lt_tensor *p, const lt_tensor *t, const lt_tensor *weight, lt_loss_reduction red) {
  return el_loss_op("bceLoss", EL_BCE, p, t, weight, NULL, red);
}
lt_tensor *lt_bce_with_logits(const lt_tensor *x, const lt_tensor *t, const lt_tensor *weight,
                              const lt_tensor *pos_weight, lt_loss_reduction red) {
  return el_loss_op("bceWithLogits", EL_BCEL, x, t, weight, pos_weight, red);
}

/* ---- losses composed of recorded engine ops ---- */

lt_tensor *lt_l1_loss(const lt_tensor *a, const lt_tensor *b0, lt_loss_reduction red) {
  if (pair_check("l1Loss", a, b0, red) < 0) return NULL;
  tmps s = {0};
  lt_tensor *b = keep(&s, as_shape_of(b0, a));
  lt_tensor *l = una(&s, LT_ABS, bin(&s, LT_SUB, a, b));
  return reduce_loss(result(&s, l), red);
}

lt_tensor *lt_smooth_l1_loss(const lt_tensor *a, const lt_tensor *b0, lt_loss_reduction red, double beta) {
  if (pair_check("smoothL1Loss", a, b0, red) < 0) return NULL;
  if (!(beta >= 0)) LT_FAIL(NULL, "smoothL1Loss: beta must be 0 or more, got %g", beta);
  if (beta == 0) return lt_l1_loss(a, b0, red);
  tmps s = {0};
  lt_tensor *b = keep(&s, as_shape_of(b0, a));
  lt_tensor *d = bin(&s, LT_SUB, a, b), *ad = una(&s, LT_ABS, d);
  lt_tensor *quad = bins(&s, LT_MUL, una(&s, LT_SQUARE, d), 0.5 / beta);
  lt_tensor *lin = bins(&s, LT_SUB, ad, 0.5 * beta);
  lt_tensor *m = bins(&s, LT_LT, ad, beta);
  lt_tensor *l = m && quad && lin ? keep(&s, lt_where(NULL, m, quad, lin)) : NULL;
  return reduce_loss(result(&s, l), red);
}

lt_tensor *lt_kl_div(const lt_tensor *lp, const lt_tensor *t0, lt_loss_reduction red) {
  if (pair_check("klDiv", lp, t0, red) < 0) return NULL;
  tmps s = {0};
  lt_tensor *t = keep(&s, as_shape_of(t0, lp));
  /* log t where t > 0 (log 1 = 0 elsewhere, so no NaN reaches the gradient) */
  lt_tensor *pos = bins(&s, LT_GT, t, 0);
  lt_tensor *posf = pos ? keep(&s, lt_to_dtype(pos, t->dtype)) : NULL;
  lt_tensor *logt = una(&s, LT_LOG, bin(&s, LT_ADD, bin(&s, LT_MUL, t, posf), rsubs(&s, 1, posf)));
  lt_tensor *l = bin(&s, LT_MUL, bin(&s, LT_MUL, t, bin(&s, LT_SUB, logt, lp)), posf);
  return reduce_loss(result(&s, l), red);
}
