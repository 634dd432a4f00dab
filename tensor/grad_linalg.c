/* grad_linalg.c: recording and backward formulas of the linear algebra ops (tensor/
 * linalg.c): the products (addmm, mm, addmv, mv, addr, ger, baddbmm, bmm, addbmm,
 * matmul), dot and trace as 0-dim tensors, diag, tril/triu, cross.
 *
 * Formulas are products themselves (the gradient of A @ B is g @ B^T and A^T @ g), made
 * with the same engine functions, so createGraph records them and higher derivatives
 * work; they run on whatever device the operands live on (cuBLAS for CUDA tensors). */
#include "autograd.h"

/* small helpers: new references, NULL on error (an error set) */
static lt_tensor *muls(const lt_tensor *a, double s) { return lt_binary_scalar(LT_MUL, NULL, a, s, false); }
static lt_tensor *mul(const lt_tensor *a, const lt_tensor *b) { return lt_binary(LT_MUL, NULL, a, b, 1); }
static lt_tensor *tr(const lt_tensor *t) { return lt_transpose(t, t->ndim - 2, t->ndim - 1); }

/* g reduced to input i's shape, taking g's reference */
static lt_tensor *to_input(lt_node *n, int i, lt_tensor *g) {
  if (!g) return NULL;
  lt_tensor *r = lt_ag_sum_to(g, &n->in[i]);
  lt_release(g);
  return r;
}

/* the k-th diagonal of the 2-D t, made into a 1-D view in v (an alias of t) */
static void diag_view(const lt_tensor *t, int64_t k, lt_tensor *v) {
  int64_t r = t->size[0], c = t->size[1], len;
  if (k >= 0) { len = LT_MIN(r, c - k); if (len > 0) v->offset += k * t->stride[1]; }
  else { len = LT_MIN(r + k, c); if (len > 0) v->offset -= k * t->stride[0]; }
  v->ndim = 1;
  v->size[0] = LT_MAX(len, 0);
  v->stride[0] = t->stride[0] + t->stride[1];
}

/* ---- products: out = beta*M + alpha * (A . B) ---- */

typedef struct {
  const char *op, *name;
} prod_info;
static const prod_info prods[] = {
  [LT_AG_ADDMM] = {"addmm", "AddmmBackward"},     [LT_AG_MM] = {"mm", "MmBackward"},
  [LT_AG_BADDBMM] = {"baddbmm", "BaddbmmBackward"}, [LT_AG_BMM] = {"bmm", "BmmBackward"},
  [LT_AG_ADDBMM] = {"addbmm", "AddbmmBackward"},   [LT_AG_ADDMV] = {"addmv", "AddmvBackward"},
  [LT_AG_MV] = {"mv", "MvBackward"},               [LT_AG_ADDR] = {"addr", "AddrBackward"},
  [LT_AG_GER] = {"ger", "GerBackward"},
};

static lt_tensor *run_product(lt_ag_prod kind, lt_tensor *out, double beta, const lt_tensor *M,
                              double alpha, const lt_tensor *A, const lt_tensor *B) {
  switch (kind) {
  case LT_AG_ADDMM: return lt_addmm(out, beta, M, alpha, A, B);
  case LT_AG_MM: return lt_mm(out, A, B);
  case LT_AG_BADDBMM: return lt_baddbmm(out, beta, M, alpha, A, B);
  case LT_AG_BMM: return lt_bmm(out, A, B);
  case LT_AG_ADDBMM: return lt_addbmm(out, beta, M, alpha, A, B);
  case LT_AG_ADDMV: return lt_addmv(out, beta, M, alpha, A, B);
  case LT_AG_MV: return lt_mv(out, A, B);
  case LT_AG_ADDR: return lt_addr(out, beta, M, alpha, A, B);
  case LT_AG_GER: return lt_ger(out, A, B);
  }
  LT_FAIL(NULL, "product: unknown kind %d", (int)kind);
}

/* alpha * (A @ B) for 2-D or 3-D (batched) operands */
static lt_tensor *scaled_mm(double alpha, const lt_tensor *A, const lt_tensor *B) {
  if (A->ndim == 3) return alpha == 1 ? lt_bmm(NULL, A, B) : lt_baddbmm(NULL, 0, NULL, alpha, A, B);
  return alpha == 1 ? lt_mm(NULL, A, B) : lt_addmm(NULL, 0, NULL, alpha, A, B);
}
/* alpha * (A @ x) */
static lt_tensor *scaled_mv(double alpha, const lt_tensor *A, const lt_tensor *x) {
  return alpha == 1 ? lt_mv(NULL, A, x) : lt_addmv(NULL, 0, NULL, alpha, A, x);
}
/* alpha * x y^T */
static lt_tensor *scaled_ger(double alpha, const lt_tensor *x, const lt_tensor *y) {
  return alpha == 1 ? lt_ger(NULL, x, y) : lt_addr(NULL, 0, NULL, alpha, x, y);
}

/* alpha * f(X^T, Y) (t_first) or alpha * f(X, Y^T) */
static lt_tensor *mm_t(double alpha, const lt_tensor *X, bool t_first, const lt_tensor *Y) {
  lt_tensor *t = tr(t_first ? X : Y);
  if (!t) return NULL;
  lt_tensor *r = t_first ? scaled_mm(alpha, t, Y) : scaled_mm(alpha, X, t);
  lt_release(t);
  return r;
}

/* inputs: 0 M (NULL when beta == 0 or absent), 1 A (or x), 2 B (or x, y); saved: 0 A, 1 B */
static int product_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_ag_prod kind = (lt_ag_prod)n->p[0];
  double beta = n->d[0], alpha = n->d[1];
  bool needM = n->in[0].fn != NULL, needA = n->in[1].fn != NULL, needB = n->in[2].fn != NULL;
  const lt_tensor *A = NULL, *B = NULL;
  if (needB && !(A = lt_node_saved(n, 0))) return -1;
  if (needA && !(B = lt_node_saved(n, 1))) return -1;
  if (needM) {
    lt_tensor *gm;
    if (beta == 1) { lt_retain((lt_tensor *)g); gm = (lt_tensor *)g; }
    else gm = muls(g, beta);
    if (!(grads[0] = to_input(n, 0, gm))) return -1;
  }
  lt_tensor *ga = NULL, *gb = NULL;
  switch (kind) {
  case LT_AG_ADDMM: case LT_AG_MM: case LT_AG_BADDBMM: case LT_AG_BMM:
    /* dA = alpha g B^T, dB = alpha A^T g (batched: per matrix) */
    if (needA && !(ga = mm_t(alpha, g, false, B))) return -1;
    if (needB && !(gb = mm_t(alpha, A, true, g))) { lt_release(ga); return -1; }
    break;
  case LT_AG_ADDBMM: {
    /* out = beta M + alpha sum_b A[b] B[b]: every A[b] B[b] sees g */
    int64_t es[3] = {n->in[1].size[0], g->size[0], g->size[1]};
    lt_tensor *ge = lt_expand(g, 3, es);
    if (!ge) return -1;
    if (needA) ga = mm_t(alpha, ge, false, B);
    if (needB && (!needA || ga)) gb = mm_t(alpha, A, true, ge);
    lt_release(ge);
    if ((needA && !ga) || (needB && !gb)) { lt_release(ga); lt_release(gb); return -1; }
    break;
  }
  case LT_AG_ADDMV: case LT_AG_MV: {
    /* out = beta v + alpha A x: dA = alpha g x^T, dx = alpha A^T g */
    if (needA && !(ga = scaled_ger(alpha, g, B))) return -1;
    if (needB) {
      lt_tensor *At = lt_transpose(A, 0, 1);
      gb = At ? scaled_mv(alpha, At, g) : NULL;
      lt_release(At);
      if (!gb) { lt_release(ga); return -1; }
    }
    break;
  }
  case LT_AG_ADDR: case LT_AG_GER: {
    /* out = beta M + alpha x y^T: dx = alpha g y, dy = alpha g^T x */
    if (needA && !(ga = scaled_mv(alpha, g, B))) return -1;
    if (needB) {
      lt_tensor *gt = lt_transpose(g, 0, 1);
      gb = gt ? scaled_mv(alpha, gt, A) : NULL;
      lt_release(gt);
      if (!gb) { lt_release(ga); return -1; }
    }
    break;
  }
  }
  if (needA && !(grads[1] = to_input(n, 1, ga))) { lt_release(gb); return -1; }
  if (needB && !(grads[2] = to_input(n, 2, gb))) return -1;
  return 0;
}

lt_tensor *lt_ag_product(lt_ag_prod kind, lt_tensor *out, double beta, const lt_tensor *M,
                         double alpha, const lt_tensor *A, const lt_tensor *B) {
  const prod_info *pi = &prods[kind];
  if (out && !lt_is_float_dtype(out->dtype)) {  /* not differentiable: compute only */
    bool p = lt_grad_pause();
    lt_tensor *r = run_product(kind, out, beta, M, alpha, A, B);
    lt_grad_resume(p);
    return r;
  }
  /* with beta == 0, M is ignored (not read): it gets no gradient */
  bool hasM = M && beta != 0;
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, pi->op, out, 3, (const lt_tensor *[]){hasM ? M : NULL, A, B});
  if (mode < 0) return NULL;
  lt_tensor *r = run_product(kind, c.target, beta, hasM ? c.in[0] : M, alpha, c.in[1], c.in[2]);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(pi->name, product_backward, 3, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = kind;
  n->d[0] = beta;
  n->d[1] = alpha;
  bool ok = true;
  if (n->in[2].fn) ok = lt_node_save(n, 0, c.in[1], false) == 0;   /* A, for B's gradient */
  if (ok && n->in[1].fn) ok = lt_node_save(n, 1, c.in[2], false) == 0;   /* B, for A's */
  if (!ok) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

/* ---- matmul (PyTorch's rules) ----
 * With A' = A as (..., m, k) (a 1-D A as 1 x k) and B' = B as (..., k, n) (a 1-D B as
 * k x 1), the result is A' @ B' with batch dims broadcast and the added 1s removed. Then
 * dA' = g' @ B'^T and dB' = A'^T @ g' (g' the gradient with the 1s put back), both matmuls
 * again (recorded), summed down to the inputs' shapes (the broadcast batch dims). */
static int matmul_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const lt_node_input *ia = &n->in[0], *ib = &n->in[1];
  bool needA = ia->fn != NULL, needB = ib->fn != NULL;
  const lt_tensor *A = NULL, *B = NULL;
  if (needB && !(A = lt_node_saved(n, 0))) return -1;
  if (needA && !(B = lt_node_saved(n, 1))) return -1;
  int na = ia->ndim, nb = ib->ndim;
  if (na == 1 && nb == 1) {   /* a dot product: g is 0-dim */
    if (needA && !(grads[0] = mul(g, B))) return -1;
    if (needB && !(grads[1] = mul(g, A))) return -1;
    return 0;
  }
  int64_t k = ia->size[na - 1];
  /* g' = g with the removed 1s put back: (batch..., m or 1, n or 1) */
  int nbatch = g->ndim - (na >= 2) - (nb >= 2);
  int64_t gs[LT_MAXDIM];
  memcpy(gs, g->size, sizeof(int64_t) * nbatch);
  gs[nbatch] = na >= 2 ? g->size[nbatch] : 1;
  gs[nbatch + 1] = nb >= 2 ? g->size[g->ndim - 1] : 1;
  lt_tensor *g2 = lt_reshape(g, nbatch + 2, gs);
  if (!g2) return -1;
  int rc = -1;
  if (needA) {
    int64_t s[2] = {1, k};
    lt_tensor *Bt = nb == 1 ? lt_reshape(B, 2, s) : tr(B);
    lt_tensor *p = Bt ? lt_matmul(NULL, g2, Bt) : NULL;   /* (batch..., m or 1, k) */
    lt_release(Bt);
    /* sum_to drops the batch dims (and the 1 of a 1-D A) */
    if (!(grads[0] = to_input(n, 0, p))) goto done;
  }
  if (needB) {
    int64_t s[2] = {k, 1};
    lt_tensor *At = na == 1 ? lt_reshape(A, 2, s) : tr(A);
    lt_tensor *p = At ? lt_matmul(NULL, At, g2) : NULL;   /* (batch..., k, n or 1) */
    lt_release(At);
    if (p && nb == 1) {   /* drop the trailing 1 before summing the batch dims away */
      lt_tensor *q = lt_squeeze_dim(p, p->ndim - 1);
      lt_release(p);
      p = q;
    }
    if (!(grads[1] = to_input(n, 1, p))) goto done;
  }
  rc = 0;
done:
  lt_release(g2);
  return rc;
}

lt_tensor *lt_ag_matmul(lt_tensor *out, const lt_tensor *A, const lt_tensor *B) {
  if (out && !lt_is_float_dtype(out->dtype)) {
    bool p = lt_grad_pause();
    lt_tensor *r = lt_matmul(out, A, B);
    lt_grad_resume(p);
    return r;
  }
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "matmul", out, 2, (const lt_tensor *[]){A, B});
  if (mode < 0) return NULL;
  lt_tensor *r = lt_matmul(c.target, c.in[0], c.in[1]);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new("MatmulBackward", matmul_backward, 2, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  if (lt_node_save_cross(n, c.in[0], c.in[1]) < 0) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

/* ---- dot, trace: 0-dim results ---- */

/* dot(a, b) = sum(a .* b) over the elements in order (the shapes may differ, the element
 * counts match): da = g b, db = g a, each in the other's shape */
static int dot_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  bool needA = n->in[0].fn != NULL, needB = n->in[1].fn != NULL;
  const lt_tensor *a = NULL, *b = NULL;
  if (needB && !(a = lt_node_saved(n, 0))) return -1;
  if (needA && !(b = lt_node_saved(n, 1))) return -1;
  if (needA && !(grads[0] = to_input(n, 0, mul(g, b)))) return -1;
  if (needB && !(grads[1] = to_input(n, 1, mul(g, a)))) return -1;
  return 0;
}

static lt_tensor *dot_value(const lt_tensor *a, const lt_tensor *b) {
  double v;
  if (lt_dot(a, b, &v) < 0) return NULL;
  return lt_scalar_tensor(v, a->dtype, a->device);
}

lt_tensor *lt_ag_dot(const lt_tensor *a, const lt_tensor *b) {
  lt_ag_ctx c;
  if (lt_ag_begin(&c, "dot", NULL, 2, (const lt_tensor *[]){a, b}) < 0) return NULL;
  lt_tensor *r = dot_value(c.in[0], c.in[1]);
  if (!r) return lt_ag_plain(&c, NULL);
  lt_node *n = lt_node_new("DotBackward", dot_backward, 2, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  if (lt_node_save_cross(n, c.in[0], c.in[1]) < 0) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

/* trace(a) = sum of the main diagonal: da = g I (r x c) */
static int trace_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const lt_node_input *in = &n->in[0];
  bool p = lt_grad_pause();   /* the identity is a constant */
  lt_tensor *E = lt_zeros(in->ndim, in->size, in->dtype, in->device), *d = E ? lt_alias(E) : NULL;
  int rc = -1;
  if (d) { diag_view(E, 0, d); rc = lt_fill(d, 1); }
  lt_release(d);
  lt_grad_resume(p);
  if (rc < 0) { lt_release(E); return -1; }
  grads[0] = mul(g, E);
  lt_release(E);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_ag_trace(const lt_tensor *a) {
  lt_ag_ctx c;
  if (lt_ag_begin(&c, "trace", NULL, 1, &a) < 0) return NULL;
  double v;
  lt_tensor *r = lt_trace(c.in[0], &v) < 0 ? NULL : lt_scalar_tensor(v, a->dtype, a->device);
  if (!r) return lt_ag_plain(&c, NULL);
  lt_node *n = lt_node_new("TraceBackward", trace_backward, 1, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

/* ---- diag ---- */

/* g (1-D) written on the k-th diagonal of an r x c matrix of zeros; recorded (its
 * gradient is the k-th diagonal again), so diag's backward is differentiable too */
static int embed_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  return (grads[0] = lt_diag(NULL, g, n->p[0])) ? 0 : -1;
}

static lt_tensor *diag_embed(const lt_tensor *g, int64_t r, int64_t c, int64_t k) {
  bool rec = lt_grad_on && g->requires_grad;
  bool p = lt_grad_pause();
  int64_t size[2] = {r, c};
  lt_tensor *z = lt_zeros(2, size, g->dtype, g->device), *d = z ? lt_alias(z) : NULL;
  int rc = -1;
  if (d) { diag_view(z, k, d); rc = lt_copy(d, g); }
  lt_release(d);
  lt_grad_resume(p);
  if (rc < 0) { lt_release(z); return NULL; }
  if (!rec) return z;
  lt_node *n = lt_node_new("DiagEmbedBackward", embed_backward, 1, &g);
  if (!n) { lt_release(z); return NULL; }
  n->p[0] = k;
  return lt_node_attach(n, z);
}

/* vector -> matrix: da = the k-th diagonal of g; matrix -> vector: g put back on it */
static int diag_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const lt_node_input *in = &n->in[0];
  int64_t k = n->p[0];
  grads[0] = in->ndim == 1 ? lt_diag(NULL, g, k) : diag_embed(g, in->size[0], in->size[1], k);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_ag_diag(lt_tensor *out, const lt_tensor *a, int64_t k) {
  if (out && !lt_is_float_dtype(out->dtype)) {
    bool p = lt_grad_pause();
    lt_tensor *r = lt_diag(out, a, k);
    lt_grad_resume(p);
    return r;
  }
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "diag", out, 1, &a);
  if (mode < 0) return NULL;
  lt_tensor *r = lt_diag(c.target, c.in[0], k);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new("DiagBackward", diag_backward, 1, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = k;
  return lt_ag_finish(&c, r, n);
}

/* ---- tril, triu: the gradient keeps the same triangle ---- */

static int tri_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  grads[0] = n->p[1] ? lt_tril(NULL, g, n->p[0]) : lt_triu(NULL, g, n->p[0]);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_ag_tri(bool lower, lt_tensor *out, const lt_tensor *a, int64_t k) {
  if (out && !lt_is_float_dtype(out->dtype)) {
    bool p = lt_grad_pause();
    lt_tensor *r = lower ? lt_tril(out, a, k) : lt_triu(out, a, k);
    lt_grad_resume(p);
    return r;
  }
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, lower ? "tril" : "triu", out, 1, &a);
  if (mode < 0) return NULL;
  lt_tensor *r = lower ? lt_tril(c.target, c.in[0], k) : lt_triu(c.target, c.in[0], k);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(lower ? "TrilBackward" : "TriuBackward", tri_backward, 1, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = k;
  n->p[1] = lower;
  return lt_ag_finish(&c, r, n);
}

/* ---- cross: out = a x b along dim; da = b x g, db = g x a ---- */

static int cross_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  int dim = (int)n->p[0];
  bool needA = n->in[0].fn != NULL, needB = n->in[1].fn != NULL;
  const lt_tensor *a = NULL, *b = NULL;
  if (needB && !(a = lt_node_saved(n, 0))) return -1;
  if (needA && !(b = lt_node_saved(n, 1))) return -1;
  if (needA && !(grads[0] = to_input(n, 0, lt_cross(NULL, b, g, dim)))) return -1;
  if (needB && !(grads[1] = to_input(n, 1, lt_cross(NULL, g, a, dim)))) return -1;
  return 0;
}

lt_tensor *lt_ag_cross(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, int dim) {
  if (out && !lt_is_float_dtype(out->dtype)) {
    bool p = lt_grad_pause();
    lt_tensor *r = lt_cross(out, a, b, dim);
    lt_grad_resume(p);
    return r;
  }
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "cross", out, 2, (const lt_tensor *[]){a, b});
  if (mode < 0) return NULL;
  lt_tensor *r = lt_cross(c.target, c.in[0], c.in[1], dim);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  if (dim < 0)   /* the dim cross chose: the first of size 3 in the (broadcast) result */
    for (int i = 0; i < r->ndim && dim < 0; i++) if (r->size[i] == 3) dim = i;
  lt_node *n = lt_node_new("CrossBackward", cross_backward, 2, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = dim;
  if (lt_node_save_cross(n, c.in[0], c.in[1]) < 0) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}
