/* nn_act.c: the activations (relu, threshold, leaky relu, elu, gelu, silu, softplus,
 * hardtanh, prelu), softmax and log-softmax: fused CPU kernels, each recorded for
 * autograd (the losses are nn_loss.c's; the helpers both use, nn_util.h).
 *
 * Backward formulas are engine ops, or recorded ops of this file whose own backward is
 * again engine ops, so createGraph works through all of them:
 *  - an activation's gradient g f'(x) is lt_activation_grad (one fused pass), recorded
 *    with inputs g and x; its backward is lt_activation_grad of order k and k + 1. gelu,
 *    silu and softplus go up to the third derivative (a fourth is a clear error), elu to
 *    any order; the piecewise-linear ones have zero derivatives from the second on.
 *  - softmax's backward is one fused kernel when no graph is being made (the usual
 *    backward), else the same formula in engine ops.
 *
 * Shapes: the activations are elementwise (any shape); softmax works over one dim of any
 * shape (as (outer, n, inner)).
 *
 * CUDA tensors: the same entry points, checks and autograd records; the fused kernels are
 * the backend's (tensor/cuda/act.cu, the "act" entries of internal.h) with the element math
 * of scalar_math.h (lt_act_eval). */
#include "nn_util.h"

static const char *act_names[LT_NACT] = {
  "threshold", "relu", "leakyRelu", "elu", "gelu", "silu", "softplus", "hardtanh"};
static const char *act_nodes[LT_NACT] = {
  "ThresholdBackward", "ReluBackward", "LeakyReluBackward", "EluBackward", "GeluBackward",
  "SiluBackward", "SoftplusBackward", "HardtanhBackward"};
const char *lt_act_name(lt_act_op op) { return (unsigned)op < LT_NACT ? act_names[op] : "?"; }

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

/* float32 ReLU (k = 0, no g) and g times its first derivative (k = 1 with g) in float
 * arithmetic (vectorized; the general loop goes through double): the same values, since x
 * or g is only ever kept, zeroed or multiplied by exactly 1 or 0. The derivative alone
 * (no g) stays on the general loop. */
static void relu_loop_f32(char **d, const int64_t *st, int64_t n, void *vc) {
  const act_ctx *c = vc;
  float *o = (float *)d[0];
  if (c->has_g) {
    const float *g = (const float *)d[1], *x = (const float *)d[2];
    int64_t so = st[0] / 4, sg = st[1] / 4, sx = st[2] / 4;
    if (so == 1 && sg == 1 && sx == 1)
      for (int64_t i = 0; i < n; i++) {
        float m = x[i] > 0 ? 1.0f : 0.0f;   /* (this form vectorizes) */
        o[i] = g[i] * m;
      }
    else
      for (int64_t i = 0; i < n; i++) {
        float m = x[i * sx] > 0 ? 1.0f : 0.0f;
        o[i * so] = g[i * sg] * m;
      }
  } else {
    const float *x = (const float *)d[1];
    int64_t so = st[0] / 4, sx = st[1] / 4;
    if (so == 1 && sx == 1)
      for (int64_t i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : 0.0f;
    else
      for (int64_t i = 0; i < n; i++) o[i * so] = x[i * sx] > 0 ? x[i * sx] : 0.0f;
  }
}

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
  lt_loop_fn fn = x->dtype == LT_FLOAT64 ? act_loop_f64
                  : op == LT_ACT_RELU && ((k == 0 && !g) || (k == 1 && g)) ? relu_loop_f32
                  : act_loop_f32;
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

/* float log-softmax lines along a contiguous dim: the sum with eight partial sums and the
 * exps by the vector exp (lt_expsum_f32), where the line above makes a dependent addition
 * chain and a scalar expf per element; others go there */
static void softmax_bw_line_f32(const float *g, const float *y, float *r, int64_t n, int64_t st, bool lg) {
  if (!lg || st != 1) { softmax_bw_line_float(g, y, r, n, st, lg); return; }
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) p[k] += g[i + k];
  for (; i < n; i++) p[0] += g[i];
  float ts = (float)(((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7])));
  lt_expsum_f32(y, 0.0f, r, n);   /* r = exp(y) */
  for (i = 0; i < n; i++) r[i] = g[i] - r[i] * ts;
}

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
      OVER_LINES(float, softmax_bw_line_f32(gp + off, yp + off, rp + off, n, inner, lg));
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

