/* grad_shape.c: recording and backward formulas of the views (view, reshape, narrow,
 * select, transpose, permute, expand, squeeze, unsqueeze, unfold), of indexing (index,
 * gather, scatter, the index and mask writes, maskedSelect), of joining and splitting
 * (cat, stack, repeat, flip, roll; split and chunk are narrows) and of index assignment
 * (t[...] = v into a tensor in the graph, PyTorch's CopySlices).
 *
 * Every formula uses engine ops, so createGraph records them too. The gradient of a
 * narrow/select/unfold is the output's gradient placed into zeros of the input's shape
 * ("embed"): a node of its own whose backward is the view again. */
#include "autograd.h"
#include <stdio.h>

/* ---- small helpers (new references; NULL with an error set) ---- */

static lt_tensor *reshape_in(const lt_tensor *g, const lt_node_input *in) {
  return lt_reshape(g, in->ndim, in->size);
}

static lt_tensor *retained(const lt_tensor *g) {
  lt_retain((lt_tensor *)g);
  return (lt_tensor *)g;
}

/* g * keep, keep a constant */
static lt_tensor *mul_const(const lt_tensor *g, const lt_tensor *keep) {
  return lt_binary(LT_MUL, NULL, g, keep, 1);
}

static int64_t prod(const int64_t *s, int b, int e) {
  int64_t p = 1;
  for (int i = b; i < e; i++) p *= s[i];
  return p;
}

/* ---- the views that gradients are placed into: narrow, select, unfold ---- */

enum { EMB_NARROW, EMB_SELECT, EMB_UNFOLD };
/* p[0] kind, p[1] dim, then narrow: start, len; select: index; unfold: size, step */

static lt_tensor *apply_view(const int64_t *p, const lt_tensor *t) {
  switch (p[0]) {
  case EMB_NARROW: return lt_narrow(t, (int)p[1], p[2], p[3]);
  case EMB_SELECT: return lt_select(t, (int)p[1], p[2]);
  default: return lt_unfold(t, (int)p[1], p[2], p[3]);
  }
}

static const char *embed_name(int kind) {
  switch (kind) {
  case EMB_NARROW: return "NarrowBackwardBackward";
  case EMB_SELECT: return "SelectBackwardBackward";
  default: return "UnfoldBackwardBackward";
  }
}

/* z (zeros) += g placed through the view p (grad mode paused) */
static int embed_into(const int64_t *p, lt_tensor *z, const lt_tensor *g) {
  if (p[0] != EMB_UNFOLD) {
    lt_tensor *v = apply_view(p, z);
    int rc = v ? lt_copy(v, g) : -1;
    lt_release(v);
    return rc;
  }
  int dim = (int)p[1];
  int64_t size = p[2], step = p[3];
  if (z->ndim == 0) return size == 1 ? lt_copy(z, g) : 0;
  /* windows overlap when step < size: element k of every window is one strided view of
   * z (distinct positions), added to in turn */
  int64_t nwin = g->size[dim];
  for (int64_t k = 0; k < size; k++) {
    lt_tensor *gk = lt_select(g, g->ndim - 1, k);
    lt_tensor *zn = gk ? lt_narrow(z, dim, k, (nwin - 1) * step + 1) : NULL;
    lt_tensor *zu = zn ? lt_unfold(zn, dim, 1, step) : NULL;
    lt_tensor *zv = zu ? lt_select(zu, zu->ndim - 1, 0) : NULL;
    lt_tensor *r = zv ? lt_binary(LT_ADD, zv, zv, gk, 1) : NULL;
    lt_release(gk); lt_release(zn); lt_release(zu); lt_release(zv);
    if (!r) return -1;
    lt_release(r);
  }
  return 0;
}

static int embed_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (n->in[0].fn && !(grads[0] = apply_view(n->p, g))) return -1;
  return 0;
}

/* zeros of shape (ndim, size) with g placed through the view p; recorded (its backward
 * is the view) when g requires grad */
static lt_tensor *embed(const int64_t *p, const lt_tensor *g, int ndim, const int64_t *size) {
  bool prev = lt_grad_pause();
  lt_tensor *z = lt_zeros(ndim, size, g->dtype, g->device);
  int rc = z ? embed_into(p, z, g) : -1;
  lt_grad_resume(prev);
  if (rc < 0) { lt_release(z); return NULL; }
  if (lt_grad_on && g->requires_grad) {
    lt_node *n = lt_node_new(embed_name((int)p[0]), embed_backward, 1, &g);
    if (!n) { lt_release(z); return NULL; }
    memcpy(n->p, p, sizeof(int64_t) * 4);
    z = lt_node_attach(n, z);
  }
  return z;
}

/* g padded with zeros at the end of each dim up to size (gather's gradient for a source
 * larger than the index) */
static lt_tensor *pad_to(lt_tensor *g, int ndim, const int64_t *size) {
  for (int d = 0; g && d < ndim && d < g->ndim; d++) {
    if (g->size[d] == size[d]) continue;
    int64_t s[LT_MAXDIM];
    memcpy(s, g->size, sizeof(int64_t) * g->ndim);
    s[d] = size[d];
    int64_t p[4] = {EMB_NARROW, d, 0, g->size[d]};
    lt_tensor *e = embed(p, g, g->ndim, s);
    lt_release(g);
    g = e;
  }
  return g;
}

/* ---- views ---- */

/* attach a one-input node to r, a view (or a copy, for reshape) of t; takes r */
static lt_tensor *record1(const char *name, lt_backward_fn bw, const lt_tensor *t, lt_tensor *r,
                          const int64_t *p, int np) {
  if (!r) return NULL;
  lt_node *n = lt_node_new(name, bw, 1, &t);
  if (!n) { lt_release(r); return NULL; }
  for (int i = 0; i < np; i++) n->p[i] = p[i];
  n->view_op = r->storage && r->storage == t->storage;
  return lt_node_attach(n, r);
}

static int reshape_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (lt_numel(g) == 0) return 0;
  return (grads[0] = reshape_in(g, &n->in[0])) ? 0 : -1;
}

static int narrow_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  /* narrow, select and unfold keep their embed parameters in p */
  return (grads[0] = embed(n->p, g, n->in[0].ndim, n->in[0].size)) ? 0 : -1;
}

static int transpose_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  return (grads[0] = lt_transpose(g, (int)n->p[0], (int)n->p[1])) ? 0 : -1;
}

/* the permutation packed 4 bits a dim in p[0] (LT_MAXDIM is 16) */
static int permute_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  int inv[LT_MAXDIM];
  uint64_t packed = (uint64_t)n->p[0];
  for (int i = 0; i < g->ndim; i++) inv[(packed >> (4 * i)) & 15] = i;
  return (grads[0] = lt_permute(g, inv)) ? 0 : -1;
}

static int expand_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  return (grads[0] = lt_ag_sum_to(g, &n->in[0])) ? 0 : -1;
}

#define PAUSED(expr) ({ bool p_ = lt_grad_pause(); lt_tensor *r_ = (expr); lt_grad_resume(p_); r_; })

lt_tensor *lt_ag_view(const lt_tensor *t, int ndim, const int64_t *size) {
  return record1("ViewBackward", reshape_backward, t, PAUSED(lt_view(t, ndim, size)), NULL, 0);
}

lt_tensor *lt_ag_reshape(const lt_tensor *t, int ndim, const int64_t *size) {
  return record1("ReshapeBackward", reshape_backward, t, PAUSED(lt_reshape(t, ndim, size)), NULL, 0);
}

lt_tensor *lt_ag_narrow(const lt_tensor *t, int dim, int64_t start, int64_t len) {
  int64_t p[4] = {EMB_NARROW, dim, start, len};
  return record1("NarrowBackward", narrow_backward, t, PAUSED(lt_narrow(t, dim, start, len)), p, 4);
}

lt_tensor *lt_ag_select(const lt_tensor *t, int dim, int64_t index) {
  int64_t p[4] = {EMB_SELECT, dim, index, 0};
  return record1("SelectBackward", narrow_backward, t, PAUSED(lt_select(t, dim, index)), p, 4);
}

lt_tensor *lt_ag_unfold(const lt_tensor *t, int dim, int64_t size, int64_t step) {
  int64_t p[4] = {EMB_UNFOLD, dim, size, step};
  return record1("UnfoldBackward", narrow_backward, t, PAUSED(lt_unfold(t, dim, size, step)), p, 4);
}

lt_tensor *lt_ag_transpose(const lt_tensor *t, int d1, int d2) {
  int64_t p[2] = {d1, d2};
  return record1("TransposeBackward", transpose_backward, t, PAUSED(lt_transpose(t, d1, d2)), p, 2);
}

lt_tensor *lt_ag_permute(const lt_tensor *t, const int *perm) {
  lt_tensor *r = PAUSED(lt_permute(t, perm));
  if (!r) return NULL;
  uint64_t packed = 0;
  for (int i = 0; i < t->ndim; i++) packed |= (uint64_t)perm[i] << (4 * i);
  int64_t p[1] = {(int64_t)packed};
  return record1("PermuteBackward", permute_backward, t, r, p, 1);
}

lt_tensor *lt_ag_expand(const lt_tensor *t, int ndim, const int64_t *size) {
  return record1("ExpandBackward", expand_backward, t, PAUSED(lt_expand(t, ndim, size)), NULL, 0);
}

lt_tensor *lt_ag_squeeze(const lt_tensor *t, bool all, int dim) {
  lt_tensor *r = PAUSED(all ? lt_squeeze(t) : lt_squeeze_dim(t, dim));
  return record1("SqueezeBackward", reshape_backward, t, r, NULL, 0);
}

lt_tensor *lt_ag_unsqueeze(const lt_tensor *t, int dim) {
  return record1("UnsqueezeBackward", reshape_backward, t, PAUSED(lt_unsqueeze(t, dim)), NULL, 0);
}

/* ---- joining: cat, stack (many inputs, an optional out tensor) ---- */

/* The out policy for ops with any number of inputs: lt_ag_begin sees one input that
 * requires grad apart from out's memory (that is all its choice depends on). Inputs that
 * share out's memory need no clone: cat and stack build apart from them. */
static int multi_begin(lt_ag_ctx *c, const char *op, lt_tensor *out, const lt_tensor *const *ts, int n) {
  const lt_tensor *sel = NULL;
  for (int i = 0; out && i < n && !sel; i++)
    if (ts[i]->requires_grad && !(ts[i]->storage && ts[i]->storage == out->storage)) sel = ts[i];
  return lt_ag_begin(c, op, out, sel ? 1 : 0, &sel);
}

typedef struct {
  int n;
  int64_t len[];   /* cat: each input's extent along dim, -1 for inputs cat skips */
} cat_ctx;

static int cat_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const cat_ctx *cx = n->ctx;
  int dim = (int)n->p[0];
  int64_t off = 0;
  for (int i = 0; i < n->ninputs; i++) {
    int64_t len = cx->len[i];
    if (len < 0) continue;
    if (n->in[i].fn && len > 0) {
      lt_tensor *v = lt_narrow(g, dim, off, len);
      grads[i] = v ? reshape_in(v, &n->in[i]) : NULL;
      lt_release(v);
      if (!grads[i]) return -1;
    }
    off += len;
  }
  return 0;
}

static bool any_null(const lt_tensor *const *ts, int n) {
  if (n <= 0 || !ts) return true;
  for (int i = 0; i < n; i++) if (!ts[i]) return true;
  return false;
}

lt_tensor *lt_ag_cat(lt_tensor *out, const lt_tensor *const *ts, int n, int dim) {
  if (any_null(ts, n) || dim < 0 || (out && !lt_is_float_dtype(out->dtype)))
    return PAUSED(lt_cat(out, ts, n, dim));   /* errors, or nothing to differentiate */
  lt_ag_ctx c;
  int mode = multi_begin(&c, "cat", out, ts, n);
  if (mode < 0) return NULL;
  if (mode == LT_AG_PLAIN) return lt_ag_plain(&c, lt_cat(c.target, ts, n, dim));
  /* the node first: out may be one of the inputs, and cat resizes it */
  cat_ctx *cx = malloc(sizeof(cat_ctx) + sizeof(int64_t) * (size_t)n);
  lt_node *node = cx ? lt_node_new("CatBackward", cat_backward, n, ts) : NULL;
  if (!node) {
    free(cx);
    if (!cx) lt_seterr("cat: out of memory");
    return lt_ag_plain(&c, NULL);
  }
  cx->n = n;
  for (int i = 0; i < n; i++) {
    const lt_tensor *t = ts[i];
    cx->len[i] = lt_numel(t) == 0 && t->ndim <= 1 ? -1 : dim < t->ndim ? t->size[dim] : 1;
  }
  node->ctx = cx;
  node->ctx_free = free;
  node->p[0] = dim;
  return lt_ag_finish(&c, lt_cat(c.target, ts, n, dim), node);
}

static int stack_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (lt_numel(g) == 0) return 0;
  int dim = (int)n->p[0];
  for (int i = 0; i < n->ninputs; i++)
    if (n->in[i].fn && !(grads[i] = lt_select(g, dim, i))) return -1;
  return 0;
}

lt_tensor *lt_ag_stack(lt_tensor *out, const lt_tensor *const *ts, int n, int dim) {
  if (any_null(ts, n) || (out && !lt_is_float_dtype(out->dtype))) return PAUSED(lt_stack(out, ts, n, dim));
  lt_ag_ctx c;
  int mode = multi_begin(&c, "stack", out, ts, n);
  if (mode < 0) return NULL;
  if (mode == LT_AG_PLAIN) return lt_ag_plain(&c, lt_stack(c.target, ts, n, dim));
  lt_node *node = lt_node_new("StackBackward", stack_backward, n, ts);
  if (!node) return lt_ag_plain(&c, NULL);
  node->p[0] = dim;
  return lt_ag_finish(&c, lt_stack(c.target, ts, n, dim), node);
}

/* ---- repeat, flip, roll ---- */

typedef struct {
  int n;
  int64_t reps[LT_MAXDIM];
} repeat_ctx;

/* the sum over the copies, one dim at a time, through a (before, reps, size, after) view */
static int repeat_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const repeat_ctx *rx = n->ctx;
  const lt_node_input *in = &n->in[0];
  int nd = rx->n, lead = nd - in->ndim;
  if (lt_numel(g) == 0 && prod(in->size, 0, in->ndim) == 0) return 0;
  int64_t cur[LT_MAXDIM];
  memcpy(cur, g->size, sizeof(int64_t) * nd);
  lt_tensor *r = retained(g);
  for (int d = 0; d < nd && r; d++) {
    if (rx->reps[d] == 1) continue;
    int64_t psize = d < lead ? 1 : in->size[d - lead];
    int64_t s4[4] = {prod(cur, 0, d), rx->reps[d], psize, prod(cur, d + 1, nd)};
    lt_tensor *v = lt_reshape(r, 4, s4);
    lt_tensor *s = v ? lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, v, 1, false, 0) : NULL;
    lt_release(v);
    lt_release(r);
    cur[d] = psize;
    r = s ? lt_reshape(s, nd, cur) : NULL;
    lt_release(s);
  }
  if (!r) return -1;
  grads[0] = reshape_in(r, in);
  lt_release(r);
  return grads[0] ? 0 : -1;
}

lt_tensor *lt_ag_repeat(const lt_tensor *a, int n, const int64_t *reps) {
  lt_tensor *r = PAUSED(lt_repeat(a, n, reps));
  if (!r || !a->storage) return r;   /* Torch7's empty tensor repeats to an empty tensor */
  repeat_ctx *rx = malloc(sizeof *rx);
  if (!rx) { lt_release(r); LT_FAIL(NULL, "repeatTensor: out of memory"); }
  rx->n = n;
  memcpy(rx->reps, reps, sizeof(int64_t) * (size_t)n);
  lt_node *node = lt_node_new("RepeatBackward", repeat_backward, 1, &a);
  if (!node) { free(rx); lt_release(r); return NULL; }
  node->ctx = rx;
  node->ctx_free = free;
  return lt_node_attach(node, r);
}

static int flip_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (lt_numel(g) == 0) return 0;
  int dims[LT_MAXDIM], nd = 0;
  for (int d = 0; d < g->ndim; d++) if (n->p[0] & ((int64_t)1 << d)) dims[nd++] = d;
  return (grads[0] = lt_flip(g, nd, dims)) ? 0 : -1;
}

lt_tensor *lt_ag_flip(const lt_tensor *a, int ndims, const int *dims) {
  lt_tensor *r = PAUSED(lt_flip(a, ndims, dims));
  if (!r) return NULL;
  int64_t mask = 0;
  for (int i = 0; i < ndims; i++) mask |= (int64_t)1 << dims[i];
  return record1("FlipBackward", flip_backward, a, r, &mask, 1);
}

static int roll_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (lt_numel(g) == 0) return 0;
  return (grads[0] = lt_roll(g, n->p[0], (int)n->p[1])) ? 0 : -1;
}

lt_tensor *lt_ag_roll(const lt_tensor *a, int64_t shift, int dim) {
  lt_tensor *r = PAUSED(lt_roll(a, shift, dim));
  if (!r) return NULL;
  int64_t len = dim >= 0 && dim < a->ndim ? a->size[dim] : 0;
  int64_t p[2] = {len ? -(shift % len) : 0, dim};   /* rolled back */
  return record1("RollBackward", roll_backward, a, r, p, 2);
}

/* ---- index, gather, maskedSelect (results; the index or mask is saved) ---- */

enum { IX_INDEX, IX_GATHER, IX_MASKED };

typedef struct {
  int ndim;                  /* maskedSelect: the shape the input and mask broadcast to */
  int64_t size[LT_MAXDIM];
} shape_ctx;

static int select_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  const lt_tensor *ix = lt_node_saved(n, 0);
  if (!ix) return -1;
  const lt_node_input *in = &n->in[0];
  int dim = (int)n->p[1];
  const shape_ctx *sx = n->ctx;
  lt_tensor *z = sx ? lt_zeros(sx->ndim, sx->size, in->dtype, in->device) : lt_ag_zeros_input(in);
  if (!z) return -1;
  int rc;
  switch (n->p[0]) {   /* into zeros, recorded under createGraph */
  case IX_INDEX: rc = lt_index_add(z, dim, ix, g); break;
  case IX_GATHER: rc = lt_scatter_add(z, dim, ix, g); break;
  default: rc = lt_masked_copy(z, ix, g); break;
  }
  if (rc < 0) { lt_release(z); return -1; }
  if (sx) {  /* broadcast: summed back to the input's shape */
    grads[0] = lt_ag_sum_to(z, in);
    lt_release(z);
    return grads[0] ? 0 : -1;
  }
  grads[0] = z;
  return 0;
}

static lt_tensor *index_like(int kind, lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *ix) {
  switch (kind) {
  case IX_INDEX: return lt_index_select(out, a, dim, ix);
  case IX_GATHER: return lt_gather(out, a, dim, ix);
  default: return lt_masked_select(out, a, ix);
  }
}

static lt_tensor *record_index(int kind, lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *ix) {
  static const char *ops[] = {"index", "gather", "maskedSelect"};
  static const char *names[] = {"IndexSelectBackward", "GatherBackward", "MaskedSelectBackward"};
  if (out && !lt_is_float_dtype(out->dtype)) return PAUSED(index_like(kind, out, a, dim, ix));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, ops[kind], out, 1, &a);
  if (mode < 0) return NULL;
  lt_tensor *r = index_like(kind, c.target, c.in[0], dim, ix);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(names[kind], select_backward, 1, c.in);
  if (!n || lt_node_save(n, 0, ix, false) < 0) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = kind;
  n->p[1] = dim;
  if (kind == IX_MASKED && lt_numel(ix) != lt_numel(c.in[0])) {
    /* the input and the mask broadcast together */
    shape_ctx *sx = malloc(sizeof *sx);
    int nd = sx ? lt_broadcast_shape(ops[kind], c.in[0], ix, sx->size) : -1;
    if (nd < 0) {
      free(sx);
      if (!sx) lt_seterr("maskedSelect: out of memory");
      lt_node_release(n); lt_release(r);
      return lt_ag_plain(&c, NULL);
    }
    sx->ndim = nd;
    n->ctx = sx;
    n->ctx_free = free;
  }
  return lt_ag_finish(&c, r, n);
}

lt_tensor *lt_ag_index_select(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index) {
  return record_index(IX_INDEX, out, a, dim, index);
}
lt_tensor *lt_ag_gather(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index) {
  return record_index(IX_GATHER, out, a, dim, index);
}
lt_tensor *lt_ag_masked_select(lt_tensor *out, const lt_tensor *a, const lt_tensor *mask) {
  return record_index(IX_MASKED, out, a, 0, mask);
}

/* ---- in-place writes into t: indexCopy/Add/Fill, scatter(Add/Fill), maskedFill/Copy ----
 * Node inputs: t (its history before the write) and src. The destination's gradient is g
 * where the write did not overwrite (g itself for the adds); src's gradient is g read at
 * the written positions. */

static int write_op(int kind, lt_tensor *t, int dim, const lt_tensor *ix, const lt_tensor *src, double v) {
  switch (kind) {
  case LT_AGW_INDEX_COPY: return lt_index_copy(t, dim, ix, src);
  case LT_AGW_INDEX_ADD: return lt_index_add(t, dim, ix, src);
  case LT_AGW_INDEX_FILL: return lt_index_fill(t, dim, ix, v);
  case LT_AGW_SCATTER: return lt_scatter(t, dim, ix, src);
  case LT_AGW_SCATTER_ADD: return lt_scatter_add(t, dim, ix, src);
  case LT_AGW_SCATTER_FILL: return lt_scatter_fill(t, dim, ix, v);
  case LT_AGW_MASKED_FILL: return lt_masked_fill(t, ix, v);
  default: return lt_masked_copy(t, ix, src);
  }
}

static const struct { const char *op, *name; } write_names[] = {
  [LT_AGW_INDEX_COPY] = {"indexCopy", "IndexCopyBackward"},
  [LT_AGW_INDEX_ADD] = {"indexAdd", "IndexAddBackward"},
  [LT_AGW_INDEX_FILL] = {"indexFill", "IndexFillBackward"},
  [LT_AGW_SCATTER] = {"scatter", "ScatterBackward"},
  [LT_AGW_SCATTER_ADD] = {"scatterAdd", "ScatterAddBackward"},
  [LT_AGW_SCATTER_FILL] = {"scatter", "ScatterFillBackward"},
  [LT_AGW_MASKED_FILL] = {"maskedFill", "MaskedFillBackward"},
  [LT_AGW_MASKED_COPY] = {"maskedCopy", "MaskedCopyBackward"},
};

/* ones of the input's shape, zero where the write landed (a constant) */
static lt_tensor *kept(int kind, const lt_node_input *in, int dim, const lt_tensor *ix) {
  bool p = lt_grad_pause();
  lt_tensor *k = lt_empty(in->ndim, in->size, in->dtype, in->device);
  int rc = k ? lt_fill(k, 1) : -1;
  if (rc == 0) {
    switch (kind) {
    case LT_AGW_INDEX_COPY: case LT_AGW_INDEX_FILL: rc = lt_index_fill(k, dim, ix, 0); break;
    case LT_AGW_SCATTER: case LT_AGW_SCATTER_FILL: rc = lt_scatter_fill(k, dim, ix, 0); break;
    default: rc = lt_masked_fill(k, ix, 0); break;
    }
  }
  lt_grad_resume(p);
  if (rc < 0) { lt_release(k); return NULL; }
  return k;
}

static int write_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  int kind = (int)n->p[0], dim = (int)n->p[1];
  const lt_tensor *ix = lt_node_saved(n, 0);
  if (!ix) return -1;
  if (n->in[0].fn) {
    if (kind == LT_AGW_INDEX_ADD || kind == LT_AGW_SCATTER_ADD) grads[0] = retained(g);
    else {
      lt_tensor *k = kept(kind, &n->in[0], dim, ix);
      grads[0] = k ? mul_const(g, k) : NULL;
      lt_release(k);
    }
    if (!grads[0]) return -1;
  }
  if (n->ninputs < 2 || !n->in[1].fn) return 0;
  const lt_node_input *sin = &n->in[1];
  lt_tensor *gs;
  switch (kind) {
  case LT_AGW_INDEX_COPY: case LT_AGW_INDEX_ADD:
    gs = lt_index_select(NULL, g, dim, ix);
    break;
  case LT_AGW_SCATTER: case LT_AGW_SCATTER_ADD:
    gs = pad_to(lt_gather(NULL, g, dim, ix), sin->ndim, sin->size);
    break;
  default: {  /* maskedCopy: the selected elements came from src's first ones, in order */
    lt_tensor *m = lt_masked_select(NULL, g, ix);
    int64_t total = prod(sin->size, 0, sin->ndim);
    if (m && m->size[0] < total) {
      int64_t p[4] = {EMB_NARROW, 0, 0, m->size[0]};
      lt_tensor *e = embed(p, m, 1, &total);
      lt_release(m);
      m = e;
    }
    gs = m;
  }
  }
  if (!gs) return -1;
  grads[1] = reshape_in(gs, sin);
  lt_release(gs);
  return grads[1] ? 0 : -1;
}

int lt_ag_write(int kind, lt_tensor *t, int dim, const lt_tensor *ix, const lt_tensor *src, double v) {
  if (!lt_is_float_dtype(t->dtype)) {   /* not differentiable: compute only */
    bool p = lt_grad_pause();
    int rc = write_op(kind, t, dim, ix, src, v);
    lt_grad_resume(p);
    return rc;
  }
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, write_names[kind].op, t, src ? 1 : 0, &src);
  if (mode < 0) return -1;
  /* a src that shares t's memory is read from its clone (c.in[0]) */
  const lt_tensor *s = src ? c.in[0] : NULL;
  int rc = write_op(kind, t, dim, ix, s, v);
  if (mode == LT_AG_PLAIN || rc < 0) { lt_ag_plain(&c, NULL); return rc; }
  lt_node *n = lt_node_new(write_names[kind].name, write_backward, src ? 2 : 1, (const lt_tensor *[]){t, s});
  if (!n || lt_node_save(n, 0, ix, false) < 0) { lt_node_release(n); lt_ag_plain(&c, NULL); return -1; }
  n->p[0] = kind;
  n->p[1] = dim;
  lt_retain(t);
  lt_tensor *r = lt_ag_finish(&c, t, n);
  lt_release(r);
  return r ? 0 : -1;
}

/* ---- index assignment: t[...] = src or a value (PyTorch's CopySlices) ---- */

typedef struct {
  int n;
  lt_ag_step steps[];
} assign_ctx;

/* t seen through the steps (select or narrow, in turn); new reference */
static lt_tensor *region(const lt_tensor *t, int n, const lt_ag_step *steps) {
  lt_tensor *v = retained(t);
  for (int i = 0; i < n && v; i++) {
    const lt_ag_step *s = &steps[i];
    lt_tensor *nv = s->narrow ? lt_narrow(v, s->dim, s->start, s->len) : lt_select(v, s->dim, s->start);
    lt_release(v);
    v = nv;
  }
  return v;
}

static int assign_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  const assign_ctx *ax = n->ctx;
  if (n->in[0].fn) {   /* g, zero in the region */
    bool p = lt_grad_pause();
    lt_tensor *k = lt_empty(n->in[0].ndim, n->in[0].size, n->in[0].dtype, n->in[0].device);
    lt_tensor *kv = k && lt_fill(k, 1) == 0 ? region(k, ax->n, ax->steps) : NULL;
    int rc = kv ? lt_fill(kv, 0) : -1;
    lt_release(kv);
    lt_grad_resume(p);
    grads[0] = rc == 0 ? mul_const(g, k) : NULL;
    lt_release(k);
    if (!grads[0]) return -1;
  }
  if (n->ninputs > 1 && n->in[1].fn) {   /* src: the region of g */
    lt_tensor *v = region(g, ax->n, ax->steps);
    grads[1] = v ? reshape_in(v, &n->in[1]) : NULL;
    lt_release(v);
    if (!grads[1]) return -1;
  }
  return 0;
}

int lt_ag_assign(lt_tensor *t, int nsteps, const lt_ag_step *steps, const lt_tensor *src, double v) {
  const char *op = "index assignment";
  bool record = lt_grad_on && lt_is_float_dtype(t->dtype) && (t->requires_grad || LT_RG(src));
  lt_ag_ctx c;
  int mode = LT_AG_PLAIN;
  if (record) {
    if ((mode = lt_ag_begin(&c, op, t, src ? 1 : 0, &src)) < 0) return -1;
  } else c.prev = lt_grad_pause();
  const lt_tensor *s = src && record ? c.in[0] : src;
  /* the write itself, grad mode paused */
  lt_tensor *dst = region(t, nsteps, steps);
  int rc = !dst ? -1 : s ? lt_copy(dst, s) : lt_fill(dst, v);
  lt_release(dst);
  if (!record) { lt_grad_resume(c.prev); return rc; }
  if (mode == LT_AG_PLAIN || rc < 0) { lt_ag_plain(&c, NULL); return rc; }
  assign_ctx *ax = malloc(sizeof(assign_ctx) + sizeof(lt_ag_step) * (size_t)(nsteps ? nsteps : 1));
  lt_node *n = ax ? lt_node_new("CopySlices", assign_backward, s ? 2 : 1, (const lt_tensor *[]){t, s}) : NULL;
  if (!n) {
    free(ax);
    if (!ax) lt_seterr("%s: out of memory", op);
    lt_ag_plain(&c, NULL);
    return -1;
  }
  ax->n = nsteps;
  if (nsteps) memcpy(ax->steps, steps, sizeof(lt_ag_step) * (size_t)nsteps);
  n->ctx = ax;
  n->ctx_free = free;
  lt_retain(t);
  lt_tensor *r = lt_ag_finish(&c, t, n);
  lt_release(r);
  return r ? 0 : -1;
}

int lt_ag_put(lt_tensor *t, const int64_t *index, double v) {
  lt_ag_step steps[LT_MAXDIM];
  for (int d = 0; d < t->ndim; d++) steps[d] = (lt_ag_step){.narrow = false, .dim = 0, .start = index[d]};
  return lt_ag_assign(t, t->ndim, steps, NULL, v);
}
