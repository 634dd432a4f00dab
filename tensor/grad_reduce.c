/* grad_reduce.c: recording and backward formulas of the reductions (sum, mean, prod, max,
 * min, std, var, norm, logsumexp, median, kthvalue, mode; over all elements as 0-dim
 * tensors, or over one dimension with or without keepdim), of cumsum and cumprod, and of
 * the values of sort and topk. Formulas use engine ops so that createGraph records them
 * too; index outputs (INT64) never carry history.
 *
 * Node parameters: p[0] the op, p[1] the reduced dim (-1: all elements), p[2] keepdim,
 * p[3] a whole max/min gave NaN; d[0] the op's parameter (norm's p, the unbiased flag,
 * kthvalue's k), d[1] the count of reduced elements, d[2] a whole max/min's value.
 *
 * Choices:
 * - max/min over all elements split the gradient evenly among the elements equal to the
 *   result (PyTorch's amax); over a dim, with indices, it goes to the index (as do median,
 *   kthvalue, mode, sort and topk): a scatter_add into zeros.
 * - prod is exact with zeros: a line without zeros uses out / x; with zeros, each element
 *   gets the product of the others, written so that second derivatives are right too.
 * - cumprod likewise: in a line whose first zero is at k, positions before k use the
 *   usual formula, k gets sum_{j>=k} g_j prod_{m<=j, m!=k} x_m, later positions 0. The
 *   first derivative is exact; second derivatives are exact for inputs without zeros
 *   (with zeros, those of the later positions with respect to x_k are missing).
 * - std and the 2-norm give a 0 subgradient where the result is 0; a p-norm with p < 1
 *   gives 0 at x == 0; norm p=0 has a zero gradient.
 * - The reverse cumsum that cumsum's backward needs is a recorded op of this file (its
 *   own backward is a cumsum), so second derivatives do not depend on flip. */
#include "autograd.h"
#include <math.h>

/* ---- temporaries of a formula (autograd.h's lt_tmps), under short names ---- */
typedef lt_tmps tmps;
#define keep lt_keep
#define tmps_free lt_tmps_free
#define result lt_tmps_result
#define bin lt_tmp_bin
#define bins lt_tmp_bins
#define una lt_tmp_una
static lt_tensor *todt(tmps *s, const lt_tensor *a, lt_dtype dt) {
  return a ? keep(s, lt_to_dtype(a, dt)) : NULL;
}
/* masks are selected by arithmetic (m a + (1 - m) b with m a 0/1 tensor of the gradient's
 * type), which records like any product and works for 0-dim operands */
static lt_tensor *maskf(tmps *s, const lt_tensor *cond, lt_dtype dt) { return todt(s, cond, dt); }
static lt_tensor *one_minus(tmps *s, const lt_tensor *m) {
  return m ? keep(s, lt_binary_scalar(LT_SUB, NULL, m, 1, true)) : NULL;
}
/* m a + (1 - m) b; a or b NULL stands for 0 */
static lt_tensor *blend(tmps *s, const lt_tensor *m, const lt_tensor *a, const lt_tensor *b) {
  lt_tensor *ta = a ? bin(s, LT_MUL, m, a) : NULL, *tb = b ? bin(s, LT_MUL, one_minus(s, m), b) : NULL;
  if (!a) return tb;
  if (!b) return ta;
  return bin(s, LT_ADD, ta, tb);
}
/* t with the value 1 where the mask m holds (t finite there) */
static lt_tensor *set_one(tmps *s, const lt_tensor *m, const lt_tensor *t) {
  return bin(s, LT_ADD, bin(s, LT_MUL, t, one_minus(s, m)), m);
}
/* num / den, 0 where den is 0 (the subgradient convention of std and the norms) */
static lt_tensor *safe_div(tmps *s, const lt_tensor *num, const lt_tensor *den) {
  lt_tensor *z = den ? maskf(s, bins(s, LT_EQ, den, 0), den->dtype) : NULL;
  return bin(s, LT_MUL, bin(s, LT_DIV, num, bin(s, LT_ADD, den, z)), one_minus(s, z));
}

/* ---- names ---- */

static const char *op_names[LT_NREDUCE] = {
  "sum", "mean", "prod", "max", "min", "std", "var", "norm", "all", "any", "logsumexp",
  "median", "kthvalue", "mode", "argmax", "argmin"};
static const char *node_names[LT_NREDUCE] = {
  "SumBackward", "MeanBackward", "ProdBackward", "MaxBackward", "MinBackward", "StdBackward",
  "VarBackward", "NormBackward", NULL, NULL, "LogsumexpBackward", "MedianBackward",
  "KthvalueBackward", "ModeBackward", NULL, NULL};

static bool differentiable(lt_reduce_op op) {
  return (unsigned)op < LT_NREDUCE && node_names[op] != NULL;
}
/* ops whose per-dim gradient goes to the index they report */
static bool indexed(lt_reduce_op op) {
  return op == LT_RMAX || op == LT_RMIN || op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE;
}

/* ---- reverse cumsum (a recorded op: cumsum's backward) ---- */

static int rcumsum_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  grads[0] = lt_cumsum(NULL, g, (int)n->p[1]);
  return grads[0] ? 0 : -1;
}

/* r_i = sum_{j >= i} g_j along dim: flip, cumsum, flip */
static lt_tensor *rcumsum(const lt_tensor *g, int dim) {
  bool rec = LT_AG1(g);
  bool p = lt_grad_pause();
  lt_tensor *f = lt_flip(g, 1, &dim);
  lt_tensor *c = f ? lt_cumsum(NULL, f, dim) : NULL;
  lt_tensor *r = c ? lt_flip(c, 1, &dim) : NULL;
  lt_release(f);
  lt_release(c);
  lt_node *node = NULL;
  if (r && rec) {
    node = lt_node_new("ReverseCumsumBackward", rcumsum_backward, 1, &g);
    if (!node) { lt_release(r); r = NULL; }
    else node->p[1] = dim;
  }
  lt_grad_resume(p);
  return rec ? lt_node_attach(node, r) : r;
}
static lt_tensor *rcum(tmps *s, const lt_tensor *g, int dim) {
  return g ? keep(s, rcumsum(g, dim)) : NULL;
}

/* ---- reductions: backward ---- */

/* t (reduced shape) with the reduced dim put back as size 1 when it was dropped; 0-dim
 * results of whole reductions broadcast as they are */
static lt_tensor *up(lt_node *n, tmps *s, const lt_tensor *t) {
  if (!t) return NULL;
  if (n->p[1] < 0 || n->p[2]) return (lt_tensor *)t;
  return keep(s, lt_unsqueeze(t, (int)n->p[1]));
}

/* the same reduction's shape for t (keepdim, or 0-dim for whole reductions) */
static lt_tensor *red(lt_node *n, tmps *s, lt_reduce_op op, const lt_tensor *t, double param) {
  if (!t) return NULL;
  if (n->p[1] < 0) return keep(s, lt_reduce_all_tensor(op, t, param));
  return keep(s, lt_reduce_dim(op, NULL, NULL, NULL, t, (int)n->p[1], true, param));
}

static lt_tensor *expand_in(lt_node *n, tmps *s, const lt_tensor *t) {
  return t ? keep(s, lt_expand(t, n->in[0].ndim, n->in[0].size)) : NULL;
}

/* whether t has an element equal to 0 (computed without recording) */
static int has_zero(tmps *s, const lt_tensor *t, lt_tensor **zmask) {
  *zmask = bins(s, LT_EQ, t, 0);
  if (!*zmask) return -1;
  double any;
  if (lt_reduce_all(LT_RANY, *zmask, 0, &any) < 0) return -1;
  return any != 0;
}

static lt_tensor *prod_bw(lt_node *n, tmps *s, const lt_tensor *gu, const lt_tensor *x,
                          const lt_tensor *out) {
  lt_tensor *zb;
  int hz = has_zero(s, x, &zb);
  if (hz < 0) return NULL;
  if (!hz) return bin(s, LT_MUL, gu, bin(s, LT_DIV, up(n, s, out), x));
  /* With p1 the product of a line's nonzero elements and xz the sum of its zero elements
   * (0, but it carries their derivative), the product of the others is:
   *   no zero:   p1 / x_i
   *   one zero:  p1 at the zero; p1 xz / x_i elsewhere
   *   two zeros: p1 times the other zero (xz - x_i) at the zeros; 0 elsewhere
   *   more:      0
   * which has the right value and, for createGraph, the right derivatives. */
  lt_dtype dt = n->in[0].dtype;
  lt_tensor *zf = maskf(s, zb, dt), *nzf = one_minus(s, zf);
  lt_tensor *nz = red(n, s, LT_RSUM, zf, 0);
  lt_tensor *x1 = set_one(s, zf, x);   /* x with its zeros set to 1 (not through x) */
  lt_tensor *p1 = red(n, s, LT_RPROD, x1, 0);
  lt_tensor *xz = red(n, s, LT_RSUM, bin(s, LT_MUL, x, zf), 0);
  lt_tensor *w0 = maskf(s, bins(s, LT_EQ, nz, 0), dt);
  lt_tensor *w1 = maskf(s, bins(s, LT_EQ, nz, 1), dt);
  lt_tensor *w2 = maskf(s, bins(s, LT_EQ, nz, 2), dt);
  lt_tensor *t0 = bin(s, LT_DIV, w0, x1);
  lt_tensor *t1 = bin(s, LT_MUL, w1, bin(s, LT_ADD, zf, bin(s, LT_MUL, nzf, bin(s, LT_DIV, xz, x1))));
  lt_tensor *t2 = bin(s, LT_MUL, bin(s, LT_MUL, w2, zf), bin(s, LT_SUB, xz, x));
  lt_tensor *w = bin(s, LT_ADD, bin(s, LT_ADD, t0, t1), t2);
  return bin(s, LT_MUL, bin(s, LT_MUL, gu, p1), w);
}

/* the gradient split evenly among the positions of mask (per line) */
static lt_tensor *evenly(lt_node *n, tmps *s, const lt_tensor *gu, const lt_tensor *mask) {
  lt_tensor *mf = todt(s, mask, n->in[0].dtype);
  lt_tensor *w = bin(s, LT_DIV, mf, red(n, s, LT_RSUM, mf, 0));
  return bin(s, LT_MUL, w, gu);
}

/* the gradient scattered to the reported indices (per dim) */
static lt_tensor *to_index(lt_node *n, tmps *s, const lt_tensor *gu, const lt_tensor *idx) {
  lt_tensor *iu = up(n, s, idx);
  lt_tensor *z = keep(s, lt_ag_zeros_input(&n->in[0]));
  if (!iu || !z || !gu) return NULL;
  if (lt_scatter_add(z, (int)n->p[1], iu, gu) < 0) return NULL;
  return z;
}

/* the value of a one-element tensor on any device (a copy to the CPU from a device) */
static double host_get(const lt_tensor *t) {
  if (t->device.type == LT_CPU) return lt_get(t, NULL);
  lt_tensor *h = lt_to_device(t, lt_cpu());
  double v = h ? lt_get(h, NULL) : NAN;
  lt_release(h);
  return v;
}
static int64_t host_get_int(const lt_tensor *t) {
  if (t->device.type == LT_CPU) return lt_get_int(t, NULL);
  lt_tensor *h = lt_to_device(t, lt_cpu());
  int64_t v = h ? lt_get_int(h, NULL) : -1;
  lt_release(h);
  return v;
}

/* the gradient at one position of the flattened input (whole median/kthvalue/mode) */
static lt_tensor *to_flat(lt_node *n, tmps *s, const lt_tensor *g, const lt_tensor *idx) {
  lt_tensor *m = keep(s, lt_ag_zeros_input(&n->in[0]));
  if (!m || !g) return NULL;
  int64_t i = host_get_int(idx);
  if (i < 0 || i >= lt_numel(m))
    LT_FAIL(NULL, "backward: index %lld out of range (a bug)", (long long)i);
  if (m->device.type == LT_CPU)
    lt_store(m->dtype, (char *)lt_data(m) + i * (int64_t)lt_dtype_size(m->dtype), 1);
  else {   /* m is a fresh contiguous tensor: element i as a 0-dim view */
    lt_tensor e;
    lt_view_init(&e, m);
    e.ndim = 0;
    e.offset += i;
    if (lt_fill(&e, 1) < 0) return NULL;
  }
  return bin(s, LT_MUL, m, g);
}

static lt_tensor *std_var_bw(lt_node *n, tmps *s, lt_reduce_op op, const lt_tensor *gu,
                             const lt_tensor *x, const lt_tensor *out) {
  double denom = n->d[1] - (n->d[0] != 0 ? 1 : 0);
  lt_tensor *xc = bin(s, LT_SUB, x, red(n, s, LT_RMEAN, x, 0));
  if (op == LT_RVAR) return bin(s, LT_MUL, bins(s, LT_MUL, xc, 2 / denom), gu);
  /* std: g (x - mean) / (denom std), 0 where std is 0 */
  lt_tensor *t = safe_div(s, gu, up(n, s, out));
  return bin(s, LT_MUL, bins(s, LT_MUL, xc, 1 / denom), t);
}

static lt_tensor *norm_bw(lt_node *n, tmps *s, const lt_tensor *gu, const lt_tensor *x,
                          const lt_tensor *out) {
  double p = n->d[0];
  if (p == 0) return keep(s, lt_ag_zeros_input(&n->in[0]));
  if (p == 1) return bin(s, LT_MUL, una(s, LT_SIGN, x), gu);
  lt_tensor *ou = up(n, s, out);
  if (p == 2) return bin(s, LT_MUL, x, safe_div(s, gu, ou));   /* g x / norm, 0 at norm 0 */
  if (isinf(p)) {  /* sign(x) g at the elements with |x| equal to the norm, split evenly */
    lt_tensor *mask = bin(s, LT_EQ, una(s, LT_ABS, x), ou);
    return bin(s, LT_MUL, una(s, LT_SIGN, x), evenly(n, s, gu, mask));
  }
  /* sign(x) |x|^(p-1) g / norm^(p-1); 0 where the norm is 0, and at x == 0 when p < 1 */
  lt_tensor *ax = una(s, LT_ABS, x);
  if (p < 1 && ax)  /* |x| + 1 at x == 0, where sign(x) is 0: no 0 * inf */
    ax = bin(s, LT_ADD, ax, maskf(s, bins(s, LT_EQ, x, 0), ax->dtype));
  lt_tensor *sx = bin(s, LT_MUL, una(s, LT_SIGN, x), bins(s, LT_POW, ax, p - 1));
  return bin(s, LT_MUL, sx, safe_div(s, gu, bins(s, LT_POW, ou, p - 1)));
}

/* softmax of x over the reduced dim, or over all elements (x's shape); recorded */
static lt_tensor *lse_softmax(lt_node *n, tmps *s, const lt_tensor *x) {
  if (!x) return NULL;
  if (n->p[1] >= 0) return keep(s, lt_softmax(NULL, x, (int)n->p[1], false));
  if (x->ndim <= 1) return keep(s, lt_softmax(NULL, x, 0, false));
  int64_t numel = lt_numel(x);
  lt_tensor *flat = keep(s, lt_reshape(x, 1, &numel));
  lt_tensor *sm = flat ? keep(s, lt_softmax(NULL, flat, 0, false)) : NULL;
  return sm ? keep(s, lt_reshape(sm, x->ndim, x->size)) : NULL;
}

static int reduce_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  lt_reduce_op op = (lt_reduce_op)n->p[0];
  const lt_tensor *s0 = NULL, *s1 = NULL;
  if (n->nsaved > 0 && n->saved[0] && !(s0 = lt_node_saved(n, 0))) return -1;
  if (n->nsaved > 1 && n->saved[1] && !(s1 = lt_node_saved(n, 1))) return -1;
  tmps s = {0};
  lt_tensor *gu = up(n, &s, g), *r = NULL;
  switch (op) {
  case LT_RSUM: case LT_RMEAN:
    r = expand_in(n, &s, op == LT_RSUM ? gu : bins(&s, LT_DIV, gu, n->d[1]));
    /* under createGraph the engine keeps a leaf's first gradient as it is, and a later
     * backward adds into it in place: it must not be an expanded view */
    if (lt_grad_on && r) r = keep(&s, lt_contiguous(r));
    break;
  case LT_RPROD: r = prod_bw(n, &s, gu, s0, s1); break;
  case LT_RMAX: case LT_RMIN:
    if (n->p[1] >= 0) { r = to_index(n, &s, gu, s0); break; }
    r = evenly(n, &s, gu, n->p[3] ? bin(&s, LT_NE, s0, s0) : bins(&s, LT_EQ, s0, n->d[2]));
    break;
  case LT_RMEDIAN: case LT_RKTHVALUE: case LT_RMODE:
    r = n->p[1] >= 0 ? to_index(n, &s, gu, s0) : to_flat(n, &s, gu, s0);
    break;
  case LT_RSTD: case LT_RVAR: r = std_var_bw(n, &s, op, gu, s0, s1); break;
  case LT_RNORM: r = norm_bw(n, &s, gu, s0, s1); break;
  case LT_RLOGSUMEXP:  /* g softmax(x): not exp(x - logsumexp), whose rounded logsumexp
                        * (float32 near 1e4: an error of 5e-4) would scale every gradient */
    r = bin(&s, LT_MUL, lse_softmax(n, &s, s0), gu);
    break;
  default:
    tmps_free(&s);
    return 0;
  }
  grads[0] = result(&s, r);
  return grads[0] ? 0 : -1;
}

/* saves what the backward of op needs: the input x and the result r */
static int save_for(lt_node *n, lt_reduce_op op, const lt_tensor *x, const lt_tensor *r) {
  switch (op) {
  case LT_RPROD: case LT_RSTD: case LT_RNORM: case LT_RLOGSUMEXP:
    return lt_node_save(n, 0, x, false) < 0 ? -1 : lt_node_save(n, 1, r, true);
  case LT_RVAR: case LT_RMAX: case LT_RMIN:
    return lt_node_save(n, 0, x, false);
  default:
    return 0;
  }
}

lt_tensor *lt_ag_reduce_all(lt_reduce_op op, const lt_tensor *a, double param) {
  bool p = lt_grad_pause();
  lt_tensor *r = lt_reduce_all_tensor(op, a, param);
  if (!r || !differentiable(op) || !lt_is_float_dtype(r->dtype) || !a->requires_grad) {
    lt_grad_resume(p);
    return r;
  }
  lt_node *n = lt_node_new(node_names[op], reduce_backward, 1, &a);
  int rc = n ? 0 : -1;
  if (n) {
    n->p[0] = op;
    n->p[1] = -1;
    n->d[0] = param;
    n->d[1] = (double)lt_numel(a);
    if (op == LT_RMAX || op == LT_RMIN) {
      n->d[2] = host_get(r);
      n->p[3] = n->d[2] != n->d[2];
    }
    if (op == LT_RMEDIAN || op == LT_RKTHVALUE || op == LT_RMODE) {
      /* the position in the flattened input (the same selection as the value) */
      lt_tensor *c = lt_contiguous(a), *ix = NULL;
      lt_tensor *flat = c ? lt_view(c, 1, (int64_t[]){lt_numel(a)}) : NULL;
      lt_tensor *v = flat ? lt_reduce_dim(op, NULL, NULL, &ix, flat, 0, false, param) : NULL;
      rc = v && ix ? lt_node_save(n, 0, ix, false) : -1;
      lt_release(c); lt_release(flat); lt_release(v); lt_release(ix);
    } else rc = save_for(n, op, a, r);
  }
  lt_grad_resume(p);
  if (rc < 0) { lt_node_release(n); lt_release(r); return NULL; }
  return lt_node_attach(n, r);
}

lt_tensor *lt_ag_reduce_dim(lt_reduce_op op, lt_tensor *out, lt_tensor *indices_out,
                            lt_tensor **indices, const lt_tensor *a, int dim, bool keepdim,
                            double param) {
  if (!differentiable(op) || !lt_is_float_dtype(a->dtype) || (out && !lt_is_float_dtype(out->dtype))) {
    bool p = lt_grad_pause();   /* not differentiable: compute only */
    lt_tensor *r = lt_reduce_dim(op, out, indices_out, indices, a, dim, keepdim, param);
    lt_grad_resume(p);
    return r;
  }
  if (indices) *indices = NULL;
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, op_names[op], out, 1, (const lt_tensor *[]){a});
  if (mode < 0) return NULL;
  /* the backward of indexed ops needs the indices: its own copy (the caller's may be
   * changed in place, as the Lua bindings make them 1-based) */
  lt_tensor *own = NULL;
  lt_tensor **ip = indices ? indices : indexed(op) && mode == LT_AG_RECORD ? &own : NULL;
  lt_tensor *r = lt_reduce_dim(op, c.target, indices ? indices_out : NULL, ip, c.in[0], dim,
                               keepdim, param);
  if (mode == LT_AG_PLAIN || !r) { lt_release(own); return lt_ag_plain(&c, r); }
  lt_node *n = lt_node_new(node_names[op], reduce_backward, 1, c.in);
  int rc = n ? 0 : -1;
  if (n) {
    n->p[0] = op;
    n->p[1] = dim;
    n->p[2] = keepdim;
    n->d[0] = param;
    n->d[1] = (double)c.in[0]->size[dim];
    if (n->in[0].fn) {
      if (indexed(op)) {
        lt_tensor *ix = own ? own : lt_clone(*indices);
        rc = ix ? lt_node_save(n, 0, ix, false) : -1;
        if (ix != own) lt_release(ix);
      } else rc = save_for(n, op, c.in[0], r);
    }
  }
  lt_release(own);
  if (rc < 0) {
    lt_node_release(n);
    lt_release(r);
    if (indices) { lt_release(*indices); *indices = NULL; }
    return lt_ag_plain(&c, NULL);
  }
  return lt_ag_finish(&c, r, n);
}

/* ---- cumsum, cumprod ---- */

static lt_tensor *cumprod_bw(lt_node *n, tmps *s, const lt_tensor *g, const lt_tensor *x,
                             const lt_tensor *out) {
  int dim = (int)n->p[1];
  lt_tensor *zb;
  int hz = has_zero(s, x, &zb);
  if (hz < 0) return NULL;
  /* no zeros: sum_{j >= i} g_j out_j / x_i */
  if (!hz) return bin(s, LT_DIV, rcum(s, bin(s, LT_MUL, g, out), dim), x);
  /* per line, k the first zero: before k as above (x nonzero there); at k the sum of
   * g_j times the products without x_k (the cumprod of x with x_k set to 1); after k 0 */
  lt_dtype dt = n->in[0].dtype;
  lt_tensor *cz = zb ? keep(s, lt_cumsum(NULL, zb, dim)) : NULL;  /* zeros so far (INT64) */
  lt_tensor *after = maskf(s, bins(s, LT_NE, cz, 0), dt);          /* at or after the first zero */
  lt_tensor *first = maskf(s, bin(s, LT_LOGICAL_AND, zb, bins(s, LT_EQ, cz, 1)), dt);
  lt_tensor *A = bin(s, LT_DIV, rcum(s, bin(s, LT_MUL, g, out), dim), set_one(s, after, x));
  lt_tensor *x2 = set_one(s, first, x);
  lt_tensor *o2 = x2 ? keep(s, lt_cumprod(NULL, x2, dim)) : NULL;
  lt_tensor *B = rcum(s, bin(s, LT_MUL, g, o2), dim);
  return blend(s, after, bin(s, LT_MUL, first, B), A);
}

static int cum_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  tmps s = {0};
  lt_tensor *r;
  if (!n->p[0]) r = rcum(&s, g, (int)n->p[1]);
  else {
    const lt_tensor *x = lt_node_saved(n, 0), *out = x ? lt_node_saved(n, 1) : NULL;
    if (!out) return -1;
    r = cumprod_bw(n, &s, g, x, out);
  }
  grads[0] = result(&s, r);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_ag_cum(bool prod, lt_tensor *out, const lt_tensor *a, int dim) {
  if (!lt_is_float_dtype(a->dtype) || (out && !lt_is_float_dtype(out->dtype))) {
    bool p = lt_grad_pause();
    lt_tensor *r = prod ? lt_cumprod(out, a, dim) : lt_cumsum(out, a, dim);
    lt_grad_resume(p);
    return r;
  }
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, prod ? "cumprod" : "cumsum", out, 1, (const lt_tensor *[]){a});
  if (mode < 0) return NULL;
  lt_tensor *r = prod ? lt_cumprod(c.target, c.in[0], dim) : lt_cumsum(c.target, c.in[0], dim);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(prod ? "CumprodBackward" : "CumsumBackward", cum_backward, 1, c.in);
  int rc = n ? 0 : -1;
  if (n) {
    n->p[0] = prod;
    n->p[1] = dim;
    if (prod && n->in[0].fn)
      rc = lt_node_save(n, 0, c.in[0], false) < 0 ? -1 : lt_node_save(n, 1, r, true);
  }
  if (rc < 0) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

/* ---- sort, topk: the values' gradient goes to the indices ---- */

static int sort_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  const lt_tensor *idx = lt_node_saved(n, 0);
  if (!idx) return -1;
  if (n->in[0].ndim == 0) {  /* one element: its value, or nothing (k == 0) */
    if (lt_numel(g) == 1) { lt_retain((lt_tensor *)g); grads[0] = (lt_tensor *)g; }
    else grads[0] = lt_ag_zeros_input(&n->in[0]);
    return grads[0] ? 0 : -1;
  }
  lt_tensor *z = lt_ag_zeros_input(&n->in[0]);
  if (!z) return -1;
  if (lt_scatter_add(z, (int)n->p[1], idx, g) < 0) { lt_release(z); return -1; }
  grads[0] = z;
  return 0;
}

int lt_ag_sort_topk(bool topk, const lt_tensor *a, int64_t k, int dim, bool desc, bool sorted,
                    lt_tensor **values, lt_tensor **indices) {
  bool p = lt_grad_pause();
  lt_tensor *v = NULL, *ix = NULL;
  int rc = topk ? lt_topk(a, k, dim, desc, sorted, values ? &v : NULL, &ix)
                : lt_sort(a, dim, desc, values ? &v : NULL, &ix);
  lt_grad_resume(p);
  if (indices) *indices = NULL;
  if (values) *values = NULL;
  if (rc < 0) return -1;
  if (v && a->storage && lt_is_float_dtype(v->dtype)) {
    lt_node *n = lt_node_new(topk ? "TopkBackward" : "SortBackward", sort_backward, 1, &a);
    lt_tensor *own = indices ? lt_clone(ix) : ix;
    rc = n && own ? 0 : -1;
    if (rc == 0) {
      n->p[1] = a->ndim == 0 ? 0 : dim < 0 ? a->ndim - 1 : dim;
      rc = lt_node_save(n, 0, own, false);
    }
    if (own != ix) lt_release(own);
    if (rc < 0) { lt_node_release(n); lt_release(v); lt_release(ix); return -1; }
    v = lt_node_attach(n, v);
    if (!v) { lt_release(ix); return -1; }   /* anomaly mode found NaN/Inf */
  }
  if (values) *values = v;
  if (indices) *indices = ix; else lt_release(ix);
  return 0;
}
