/* nn_loss.c: the losses of nn (nll, cross-entropy, mse, l1, smooth l1, bce, bce with
 * logits, kl-div): fused CPU kernels, each recorded for autograd; the activations and
 * softmax are nn_act.c's.
 *  - nll's gradient (a scatter of the scaled output gradient) is a recorded op whose
 *    backward is nll again (the two are adjoint), so every order works.
 *  - cross-entropy is one pass per row (logsumexp, the loss, the softmax kept for the
 *    backward); its usual backward is one fused pass (softmax - one-hot, scaled); under
 *    createGraph it is log-softmax + nll again, recorded.
 *  - mse, bce and bce-with-logits: fused forward, backward in engine ops; l1, smooth l1 and
 *    kl-div are compositions of recorded engine ops.
 * nll and cross-entropy take N x C or C inputs. On CUDA tensors the fused kernels are the
 * backend's (tensor/cuda/act.cu) with the element math of scalar_math.h (lt_el_loss);
 * class targets stay on the device (int64) and are range-checked on a CPU copy; reduced
 * losses are 0-dim tensors on the device. */
#include "nn_util.h"

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
        double mx, ls = softmax_parts_##T(xp + i * C, pp ? pp + i * C : NULL, C, 1, false, &mx); \
        /* (x_t - max) - log(sum): x_t - logsumexp would lose x_t's size in digits */    \
        li[i] = w[i] == 0 ? 0 : -w[i] * (((double)xp[i * C + tp[i]] - mx) - ls);          \
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
