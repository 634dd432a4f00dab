/* autograd.c: graph nodes, saved tensors, the out/in-place policy, and the backward
 * engine (reverse topological order, gradient accumulation, retain/create graph, hooks,
 * torch.grad, custom functions). The backward formulas live in grad_*.c. */
#include "autograd.h"
#include <stdio.h>

bool lt_grad_on = true;
static uint64_t node_seq;
static int64_t live_nodes;   /* for tests: graphs are freed when unreachable */

int64_t lt_autograd_live_nodes(void) { return live_nodes; }

bool lt_grad_enabled(void) { return lt_grad_on; }
bool lt_set_grad_enabled(bool on) { bool p = lt_grad_on; lt_grad_on = on; return p; }

bool lt_is_float_dtype(lt_dtype dt) {
  return dt == LT_FLOAT32 || dt == LT_FLOAT64 || dt == LT_FLOAT16 || dt == LT_BFLOAT16;
}

static int64_t numel_of(int ndim, const int64_t *size) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  return n;
}

/* ---- nodes ---- */

static void hooks_free(lt_hook *h) {
  while (h) {
    lt_hook *next = h->next;
    if (h->free_ud) h->free_ud(h->ud);
    free(h);
    h = next;
  }
}

static void node_free_saved(lt_node *n) {
  for (int i = 0; i < LT_NODE_MAXSAVED; i++) {
    lt_release(n->saved[i]);
    n->saved[i] = NULL;
    lt_release(n->unpacked[i]);
    n->unpacked[i] = NULL;
  }
  if (n->saved_list)
    for (int i = 0; i < n->nsaved_list; i++) lt_release(n->saved_list[i]);
  free(n->saved_list);
  n->saved_list = NULL;   /* nsaved and nsaved_list stay: they say what was saved */
}

/* nodes of up to two inputs (most of them) come from a free list */
#define SMALL_NODE (sizeof(lt_node) + 2 * sizeof(lt_node_input))
#define NODE_CACHE 1024
static void *node_cache[NODE_CACHE];
static int node_cached;

static void node_free(lt_node *x) {
  if (x->ninputs <= 2 && node_cached < NODE_CACHE) node_cache[node_cached++] = x;
  else free(x);
}

void lt_node_retain(lt_node *n) { if (n) n->refcount++; }

/* Releasing a long chain (an RNN unrolled 10,000 steps) must not recurse that deep: the
 * nodes whose count reaches zero go on a work list. */
void lt_node_release(lt_node *n) {
  if (!n || --n->refcount > 0) return;
  lt_node *stack_small[64];
  lt_node **stack = stack_small;
  int cap = 64, top = 0;
  stack[top++] = n;
  while (top) {
    lt_node *x = stack[--top];
    node_free_saved(x);
    hooks_free(x->hooks);
    if (x->ctx_free) x->ctx_free(x->ctx);
    lt_release(x->buf);
    for (int i = 0; i < x->ninputs; i++) {
      lt_node *c = x->in[i].fn;
      if (c && --c->refcount == 0) {
        if (top == cap) {
          lt_node **ns = malloc(sizeof(lt_node *) * cap * 2);
          if (!ns) { c->refcount = 1; continue; }  /* out of memory: leak rather than crash */
          memcpy(ns, stack, sizeof(lt_node *) * top);
          if (stack != stack_small) free(stack);
          stack = ns;
          cap *= 2;
        }
        stack[top++] = c;
      }
    }
    node_free(x);
    live_nodes--;
  }
  if (stack != stack_small) free(stack);
}

void lt_autograd_free(lt_tensor *t) {
  lt_node *n = t->grad_fn;
  t->grad_fn = NULL;
  lt_node_release(n);
  lt_node *acc = t->grad_acc;
  if (acc) {   /* the leaf is gone: graphs still holding its accumulator drop its gradient */
    t->grad_acc = NULL;
    acc->leaf = NULL;
    lt_node_release(acc);
  }
  hooks_free(t->hooks);
  t->hooks = NULL;
}

static lt_node *node_alloc(const char *name, lt_backward_fn bw, int n) {
  lt_node *x;
  size_t bytes = sizeof(lt_node) + sizeof(lt_node_input) * (size_t)n;
  if (n <= 2 && node_cached) {
    x = node_cache[--node_cached];
    memset(x, 0, bytes);
  } else x = n <= 2 ? calloc(1, SMALL_NODE) : calloc(1, bytes);
  if (!x) LT_FAIL(NULL, "%s: out of memory (autograd node)", name);
  x->refcount = 1;
  x->name = name;
  x->backward = bw;
  x->seq = ++node_seq;
  x->ninputs = n;
  live_nodes++;
  return x;
}

/* the node a gradient for t goes to: its grad_fn, or its leaf accumulator (made on the
 * leaf's first use and kept by the leaf). New reference, or NULL when t needs none. */
static lt_node *edge_of(const lt_tensor *tc) {
  lt_tensor *t = (lt_tensor *)tc;
  if (!t || !t->requires_grad) return NULL;
  if (t->grad_fn) { lt_node_retain(t->grad_fn); return t->grad_fn; }
  if (!t->grad_acc) {
    lt_node *a = node_alloc("AccumulateGrad", NULL, 0);
    if (!a) return NULL;
    a->is_acc = true;
    a->leaf = t;
    t->grad_acc = a;   /* the leaf's reference */
  }
  lt_node_retain(t->grad_acc);
  return t->grad_acc;
}

/* t is a leaf that requires grad, or a chain of views of one */
static bool leafish(const lt_tensor *t) {
  if (!t->requires_grad) return false;
  lt_node *n = t->grad_fn;
  while (n && n->view_op && n->ninputs > 0) n = n->in[0].fn;
  return !n || n->is_acc;
}

lt_node *lt_node_new(const char *name, lt_backward_fn bw, int n, const lt_tensor *const *ins) {
  lt_node *x = node_alloc(name, bw, n);
  if (!x) return NULL;
  if (n > 0 && ins[0] && ins[0]->storage) x->base_version = lt_storage_version(ins[0]->storage);
  for (int i = 0; i < n; i++) {
    const lt_tensor *t = ins[i];
    if (!t) continue;
    lt_node *tf = t->grad_fn;
    if (tf && tf->view_op && t->storage && lt_storage_version(t->storage) != tf->base_version && !leafish(t)) {
      lt_node_release(x);
      LT_FAIL(NULL, "%s: input %d is a view (%s) of a tensor that was modified in place after "
              "the view was taken; take the view again", name, i + 1, tf->name);
    }
    lt_node_input *in = &x->in[i];
    in->dtype = t->dtype;
    in->device = t->device;
    in->ndim = t->ndim;
    memcpy(in->size, t->size, sizeof(int64_t) * t->ndim);
    if (t->requires_grad && !(in->fn = edge_of(t))) { lt_node_release(x); return NULL; }
  }
  if (lt_anomaly_on) {
    int bad = lt_anomaly_inputs(n, ins);
    x->anomaly_input = (int8_t)(bad > 127 ? 127 : bad);
  }
  return x;
}

int lt_node_save(lt_node *n, int i, const lt_tensor *t, bool output) {
  lt_tensor *a = lt_alias(t);
  if (!a) return -1;
  a->is_view = t->is_view;
  if (!output && t->requires_grad) {
    a->requires_grad = true;
    if (!(a->grad_fn = edge_of(t))) { lt_release(a); return -1; }
  }
  lt_release(n->saved[i]);
  n->saved[i] = a;
  n->saved_output[i] = output;
  n->saved_version[i] = lt_storage_version(t->storage);
  if (i >= n->nsaved) n->nsaved = i + 1;
  return 0;
}

int lt_node_save_cross(lt_node *n, const lt_tensor *a, const lt_tensor *b) {
  if (n->in[1].fn && lt_node_save(n, 0, a, false) < 0) return -1;
  if (n->in[0].fn && lt_node_save(n, 1, b, false) < 0) return -1;
  return 0;
}

const lt_tensor *lt_node_saved(lt_node *n, int i) {
  if (n->released)
    LT_FAIL(NULL, "backward: %s's saved tensors were freed by an earlier backward; pass "
            "{retainGraph=true} to the first backward to go through the graph again", n->name);
  lt_tensor *s = n->saved[i];
  if (!s) LT_FAIL(NULL, "backward: %s has no saved tensor %d", n->name, i + 1);
  uint32_t v = lt_storage_version(s->storage);
  if (v != n->saved_version[i])
    LT_FAIL(NULL, "backward: a tensor that %s needs was modified by an in-place operation "
            "after it was used (its version is %u, expected %u); use an out-of-place op or "
            "clone() it first", n->name, v, n->saved_version[i]);
  if (n->saved_output[i] && lt_grad_on) {
    /* createGraph: the output, rejoined to this node so that its own gradient flows */
    if (!n->unpacked[i]) {
      lt_tensor *u = lt_alias(s);
      if (!u) return NULL;
      u->requires_grad = true;
      u->grad_fn = n;
      lt_node_retain(n);
      n->unpacked[i] = u;
    }
    return n->unpacked[i];
  }
  return s;
}

lt_tensor *lt_node_attach(lt_node *node, lt_tensor *r) {
  if (!r) { lt_node_release(node); return NULL; }
  if (!node) return r;
  bool any = false;
  for (int i = 0; i < node->ninputs; i++) if (node->in[i].fn) any = true;
  if (!any || !lt_is_float_dtype(r->dtype)) {
    /* nothing to differentiate: r (maybe an out tensor that had a history) becomes plain */
    lt_node_release(node);
    if (r->grad_fn && !lt_is_leaf(r)) { lt_node_release(r->grad_fn); r->grad_fn = NULL; r->requires_grad = false; }
    return r;
  }
  node->out_dtype = r->dtype;
  node->out_ndim = r->ndim;
  memcpy(node->out_size, r->size, sizeof(int64_t) * r->ndim);
  lt_node_release(r->grad_fn);
  r->grad_fn = node;
  r->requires_grad = true;
  /* anomaly mode: a recorded op whose output holds NaN/Inf fails here (r released) */
  if (lt_anomaly_on && lt_anomaly_forward(node, r) < 0) { lt_release(r); return NULL; }
  return r;
}

/* ---- the out/in-place policy ---- */

/* nn's forward sets this while it records: an in-place write into a leaf that requires
 * grad (a parameter, or the input forward made a leaf) is then an error, not a value
 * update (lt_ag_begin) */
static bool refuse_leaf_writes = false;
bool lt_set_refuse_leaf_writes(bool on) { bool p = refuse_leaf_writes; refuse_leaf_writes = on; return p; }

static bool shares(const lt_tensor *a, const lt_tensor *b) {
  return a && b && a->storage && a->storage == b->storage;
}

int lt_ag_begin(lt_ag_ctx *c, const char *op, lt_tensor *out, int n, const lt_tensor *const *ins) {
  c->op = op;
  c->out = out;
  c->target = out;
  c->n = n;
  for (int i = 0; i < n; i++) { c->in[i] = ins[i]; c->clones[i] = NULL; }
  c->prev = lt_grad_pause();
  if (!out) return LT_AG_RECORD;
  bool others = false;
  for (int i = 0; i < n; i++)
    if (ins[i] && ins[i]->requires_grad && !shares(ins[i], out)) others = true;
  if (leafish(out)) {
    if (refuse_leaf_writes) {
      lt_grad_resume(c->prev);
      LT_FAIL(-1, "%s: in-place operation on a leaf tensor that requires grad (a module's "
              "parameter, or its input) inside a module's forward while grad mode is on: it "
              "would not be recorded; compute into a new tensor (out-of-place form), or "
              "update parameters outside forward or under torch.noGrad", op);
    }
    if (others) {
      lt_grad_resume(c->prev);
      LT_FAIL(-1, "%s: the result would be written into a leaf tensor that requires grad "
              "(or a view of one); write into a new tensor, or run the update under torch.noGrad", op);
    }
    return LT_AG_PLAIN;   /* an update of a leaf's value (an optimizer step): not recorded */
  }
  if (out->is_view) {
    /* the tensor it views would not see the write in its history */
    lt_grad_resume(c->prev);
    LT_FAIL(-1, "%s: cannot record a write into a view (its base tensor's history would not "
            "follow the write); use the out-of-place form, or write into a clone()", op);
  }
  /* inputs that alias out are read from a clone (which keeps their history), and the
   * result is computed fresh and then copied into out */
  for (int i = 0; i < n; i++) {
    if (!shares(ins[i], out)) continue;
    lt_grad_resume(c->prev);
    lt_tensor *cl = lt_clone(ins[i]);
    c->prev = lt_grad_pause();
    if (!cl) { lt_grad_resume(c->prev); for (int j = 0; j < i; j++) lt_release(c->clones[j]); return -1; }
    c->clones[i] = cl;
    c->in[i] = cl;
    c->target = NULL;
  }
  return LT_AG_RECORD;
}

static void ctx_end(lt_ag_ctx *c) {
  lt_grad_resume(c->prev);
  for (int i = 0; i < c->n; i++) { lt_release(c->clones[i]); c->clones[i] = NULL; }
}

lt_tensor *lt_ag_plain(lt_ag_ctx *c, lt_tensor *r) {
  ctx_end(c);
  return r;
}

lt_tensor *lt_ag_finish(lt_ag_ctx *c, lt_tensor *r, lt_node *node) {
  if (!r) { lt_node_release(node); ctx_end(c); return NULL; }
  r = lt_node_attach(node, r);
  if (!r) { ctx_end(c); return NULL; }   /* anomaly mode found NaN/Inf */
  if (c->out && r != c->out) {
    /* computed apart (out aliased an input): move the values and the history into out */
    int rc = lt_resize_as(c->out, r) < 0 ? -1 : lt_copy(c->out, r);
    if (rc == 0) {
      lt_node_release(c->out->grad_fn);
      c->out->grad_fn = r->grad_fn;
      lt_node_retain(r->grad_fn);
      c->out->requires_grad = r->requires_grad;
    }
    lt_release(r);
    ctx_end(c);
    if (rc < 0) return NULL;
    lt_retain(c->out);
    return c->out;
  }
  ctx_end(c);
  return r;
}

/* ---- helpers for formulas ---- */

lt_tensor *lt_ag_sum_to_size(const lt_tensor *g, int ndim, const int64_t *size) {
  if (g->ndim == ndim && !memcmp(g->size, size, sizeof(int64_t) * ndim)) {
    lt_retain((lt_tensor *)g);
    return (lt_tensor *)g;
  }
  int lead = g->ndim - ndim;
  bool broadcastable = lead >= 0;
  for (int j = 0; broadcastable && j < ndim; j++)
    broadcastable = size[j] == 1 || size[j] == g->size[j + lead];
  if (!broadcastable) {
    /* Torch7's rule: operands of equal element counts combine whatever their shapes */
    return lt_reshape(g, ndim, size);
  }
  lt_tensor *r = (lt_tensor *)g;
  lt_retain(r);
  /* sum the leading dims away, then the dims that were 1 */
  for (int i = 0; i < g->ndim; i++) {
    int j = i - lead;   /* matching dim of the target */
    bool sum = j < 0 || (size[j] == 1 && g->size[i] != 1);
    if (!sum) continue;
    lt_tensor *s = lt_reduce_dim(LT_RSUM, NULL, NULL, NULL, r, i, true, 0);
    lt_release(r);
    if (!(r = s)) return NULL;
  }
  lt_tensor *v = lt_reshape(r, ndim, size);
  lt_release(r);
  return v;
}

lt_tensor *lt_ag_sum_to(const lt_tensor *g, const lt_node_input *in) {
  return lt_ag_sum_to_size(g, in->ndim, in->size);
}

lt_tensor *lt_ag_zeros_input(const lt_node_input *in) {
  return lt_zeros(in->ndim, in->size, in->dtype, in->device);
}

lt_tensor *lt_ag_match_input(lt_tensor *g, const lt_node_input *in) {
  if (!g) return NULL;
  if (g->dtype == in->dtype && lt_same_device(g->device, in->device)) return g;
  lt_tensor *r = lt_same_device(g->device, in->device) ? lt_to_dtype(g, in->dtype) : lt_to_device(g, in->device);
  lt_release(g);
  if (r && r->dtype != in->dtype) {
    lt_tensor *r2 = lt_to_dtype(r, in->dtype);
    lt_release(r);
    r = r2;
  }
  return r;
}

/* ---- tensor-level API ---- */

int lt_set_requires_grad(lt_tensor *t, bool on) {
  if (t->grad_fn) {
    if (on) return 0;
    LT_FAIL(-1, "setRequiresGrad: only leaf tensors can stop requiring grad (this one is the "
            "result of %s); use detach()", t->grad_fn->name);
  }
  if (on && !lt_is_float_dtype(t->dtype))
    LT_FAIL(-1, "setRequiresGrad: only floating-point tensors can require gradients (this is a %sTensor)",
            lt_dtype_name(t->dtype));
  t->requires_grad = on;
  return 0;
}

bool lt_is_leaf(const lt_tensor *t) { return !t->grad_fn || t->grad_fn->is_acc; }

/* Whether t's values can be overwritten now without changing a gradient that a recorded
 * op will compute: grad mode is off, t needs no gradient, or t is not a view and no
 * recorded op has used it yet (a leaf whose accumulator no graph holds; a non-leaf whose
 * node only t holds, and whose op did not save its own output: tanh, sigmoid, exp ...).
 * Conservative: an op that used t without saving it (an add) also counts as a use. */
bool lt_ag_can_overwrite(const lt_tensor *t) {
  if (!lt_grad_on || !t->requires_grad) return true;
  if (t->is_view) return false;
  if (!t->grad_fn) return !t->grad_acc || t->grad_acc->refcount == 1;
  const lt_node *n = t->grad_fn;
  if (n->is_acc || n->refcount != 1) return false;
  for (int i = 0; i < n->nsaved; i++) {
    const lt_tensor *s = n->saved[i];
    if (s && s->storage && t->storage && lt_storage_root(s->storage) == lt_storage_root(t->storage))
      return false;
  }
  return true;
}

const char *lt_grad_fn_name(const lt_tensor *t) {
  return t->grad_fn && !t->grad_fn->is_acc ? t->grad_fn->name : NULL;
}

lt_tensor *lt_detach(const lt_tensor *t) {
  lt_tensor *d = lt_alias(t);
  if (d) d->is_view = t->is_view;
  return d;
}

int lt_register_hook(lt_tensor *t, lt_grad_hook fn, void *ud, void (*free_ud)(void *)) {
  if (!t->requires_grad)
    LT_FAIL(-1, "registerHook: the tensor does not require grad (setRequiresGrad() it first)");
  lt_hook *h = malloc(sizeof *h);
  if (!h) LT_FAIL(-1, "registerHook: out of memory");
  h->fn = fn;
  h->ud = ud;
  h->free_ud = free_ud;
  h->next = NULL;
  lt_hook **list = t->grad_fn && !t->grad_fn->is_acc ? &t->grad_fn->hooks : &t->hooks;
  while (*list) list = &(*list)->next;
  *list = h;
  return 0;
}

/* ---- custom functions ---- */

typedef struct {
  lt_custom_backward fn;
  void *ud;
  void (*free_ud)(void *);
} custom_ctx;

static void custom_free(void *p) {
  custom_ctx *c = p;
  if (c->free_ud) c->free_ud(c->ud);
  free(c);
}

static int custom_backward(lt_node *n, const lt_tensor *grad, lt_tensor **grads) {
  custom_ctx *c = n->ctx;
  if (c->fn(c->ud, grad, n->ninputs, grads) < 0) return -1;
  for (int i = 0; i < n->ninputs; i++) {
    if (!grads[i]) continue;
    char b1[64], b2[64];
    lt_tensor shape;
    memset(&shape, 0, sizeof shape);
    shape.ndim = n->in[i].ndim;
    memcpy(shape.size, n->in[i].size, sizeof(int64_t) * shape.ndim);
    if (lt_numel(grads[i]) != numel_of(shape.ndim, shape.size))
      LT_FAIL(-1, "%s: backward returned a gradient of size %s for input %d of size %s", n->name,
              lt_shape_str(grads[i], b1, sizeof b1), i + 1, lt_shape_str(&shape, b2, sizeof b2));
    if (grads[i]->ndim != shape.ndim || memcmp(grads[i]->size, shape.size, sizeof(int64_t) * shape.ndim)) {
      lt_tensor *v = lt_reshape(grads[i], shape.ndim, shape.size);
      lt_release(grads[i]);
      if (!(grads[i] = v)) return -1;
    }
    if (!(grads[i] = lt_ag_match_input(grads[i], &n->in[i]))) return -1;
  }
  return 0;
}

int lt_custom_record(lt_tensor *out, const char *name, int n, const lt_tensor *const *inputs,
                     lt_custom_backward fn, void *ud, void (*free_ud)(void *)) {
  bool any = false;
  for (int i = 0; i < n; i++) if (inputs[i] && inputs[i]->requires_grad) any = true;
  if (!any || !lt_grad_on) { if (free_ud) free_ud(ud); return 0; }
  custom_ctx *c = malloc(sizeof *c);
  if (!c) { if (free_ud) free_ud(ud); LT_FAIL(-1, "%s: out of memory", name); }
  c->fn = fn;
  c->ud = ud;
  c->free_ud = free_ud;
  lt_node *node = lt_node_new(name, custom_backward, n, inputs);
  if (!node) { custom_free(c); return -1; }
  node->ctx = c;
  node->ctx_free = custom_free;
  if (!lt_is_float_dtype(out->dtype)) {
    lt_node_release(node);
    LT_FAIL(-1, "%s: the output of a function with gradients must be a floating-point tensor", name);
  }
  lt_retain(out);   /* the reference lt_node_attach takes (and drops when anomaly mode fails it) */
  if (!lt_node_attach(node, out)) return -1;
  lt_release(out);
  return 0;
}

/* ---- the backward engine ---- */

static uint64_t mark_epoch;

/* a growable list of nodes, inline while small (no allocation for small graphs) */
#define VEC_INLINE 32
typedef struct {
  lt_node **v;
  int n, cap;
  lt_node *inl[VEC_INLINE];
} node_vec;
static void vec_init(node_vec *s) { s->v = s->inl; s->n = 0; s->cap = VEC_INLINE; }
static void vec_free(node_vec *s) { if (s->v != s->inl) free(s->v); }
static int vec_push(node_vec *s, lt_node *x) {
  if (s->n == s->cap) {
    int cap = s->cap * 2;
    lt_node **nv = s->v == s->inl ? malloc(sizeof(lt_node *) * cap) : realloc(s->v, sizeof(lt_node *) * cap);
    if (!nv) LT_FAIL(-1, "backward: out of memory");
    if (s->v == s->inl) memcpy(nv, s->inl, sizeof s->inl);
    s->v = nv;
    s->cap = cap;
  }
  s->v[s->n++] = x;
  return 0;
}

/* buf += g (taking g's reference) */
static int accumulate_buf(lt_tensor **buf, lt_tensor *g) {
  if (!*buf) { *buf = g; return 0; }
  lt_tensor *s = lt_binary(LT_ADD, NULL, *buf, g, 1);
  lt_release(g);
  if (!s) return -1;
  lt_release(*buf);
  *buf = s;
  return 0;
}

static lt_tensor *run_hooks(lt_hook *h, lt_tensor *g) {
  for (; h; h = h->next) {
    int err = 0;
    lt_tensor *r = h->fn(h->ud, g, &err);
    if (err) { lt_release(g); return NULL; }
    if (r) {
      if (lt_numel(r) != lt_numel(g)) {
        char b1[64], b2[64];
        lt_seterr("backward: a hook returned a gradient of size %s for a tensor of size %s",
                  lt_shape_str(r, b1, sizeof b1), lt_shape_str(g, b2, sizeof b2));
        lt_release(r);
        lt_release(g);
        return NULL;
      }
      lt_release(g);
      g = r;
    }
  }
  return g;
}

/* leaf.grad += g: in place when a gradient tensor exists (views of it stay valid) */
static int accumulate_leaf(lt_tensor *leaf, lt_tensor *g) {
  if (lt_numel(g) != lt_numel(leaf)) {   /* the leaf was resized (or set) after it was used */
    char b1[128], b2[128];
    lt_seterr("backward: the gradient of a leaf has size %s but the leaf now has size %s (it was "
              "resized or set after it was used, an in-place change); use a new tensor instead",
              lt_shape_str(g, b1, sizeof b1), lt_shape_str(leaf, b2, sizeof b2));
    lt_release(g);
    return -1;
  }
  if (!lt_same_size(g, leaf) || g->dtype != leaf->dtype) {
    lt_tensor *fixed = lt_same_size(g, leaf) ? g : lt_reshape(g, leaf->ndim, leaf->size);
    if (fixed != g) lt_release(g);
    if (!fixed) return -1;
    lt_node_input in = {.dtype = leaf->dtype, .device = leaf->device};
    if (!(g = lt_ag_match_input(fixed, &in))) return -1;
  }
  if (!leaf->grad) {
    /* the first gradient: kept as it is when it is a fresh, unshared, contiguous tensor
     * (without history, unless createGraph asks for one); else copied (the copy records
     * under createGraph, so the gradient keeps its graph) */
    if ((lt_grad_on || !g->grad_fn) && g->refcount == 1 && !g->is_view && lt_is_contiguous(g) &&
        g->storage && g->storage->refcount == 1) {
      leaf->grad = g;
      return 0;
    }
    leaf->grad = lt_clone(g);
    lt_release(g);
    return leaf->grad ? 0 : -1;
  }
  int rc;
  if (lt_grad_on && (g->requires_grad || leaf->grad->requires_grad)) {
    /* createGraph: a new gradient tensor that records the sum */
    lt_tensor *s = lt_binary(LT_ADD, NULL, leaf->grad, g, 1);
    rc = s ? 0 : -1;
    if (s) { lt_release(leaf->grad); leaf->grad = s; }
  } else {
    bool p = lt_grad_pause();
    rc = lt_binary(LT_ADD, leaf->grad, leaf->grad, g, 1) ? 0 : -1;
    if (rc == 0) lt_release(leaf->grad);   /* the extra reference the op returned */
    lt_grad_resume(p);
  }
  lt_release(g);
  return rc;
}

static bool is_target(const lt_node *x, lt_node *const *targets, int ni) {
  for (int t = 0; t < ni; t++) if (targets[t] == x) return true;
  return false;
}

/* a formula's gradient for input k: the input's shape, dtype and device */
static int check_grad(lt_node *x, int k, lt_tensor **g) {
  lt_node_input *in = &x->in[k];
  lt_tensor *t = *g;
  if (t->ndim != in->ndim || memcmp(t->size, in->size, sizeof(int64_t) * in->ndim)) {
    char b1[64], b2[64];
    lt_tensor shape;
    memset(&shape, 0, sizeof shape);
    shape.ndim = in->ndim;
    memcpy(shape.size, in->size, sizeof(int64_t) * in->ndim);
    if (lt_numel(t) != numel_of(shape.ndim, shape.size))
      LT_FAIL(-1, "backward: %s produced a gradient of size %s for input %d of size %s (a bug)",
              x->name, lt_shape_str(t, b1, sizeof b1), k + 1, lt_shape_str(&shape, b2, sizeof b2));
    lt_tensor *v = lt_reshape(t, in->ndim, in->size);
    lt_release(t);
    if (!(*g = v)) return -1;
  }
  if ((*g)->dtype != in->dtype || !lt_same_device((*g)->device, in->device)) {
    lt_retain(*g);
    lt_tensor *m = lt_ag_match_input(*g, in);
    lt_release(*g);
    *g = m;
    if (!m) return -1;
  }
  return 0;
}

static int run_backward(int n, lt_tensor *const *outputs, lt_tensor *const *grad_outputs, int ni,
                        lt_tensor *const *inputs, lt_tensor **grads, bool retain, bool create, bool stop,
                        bool accumulate) {
  const char *op = grads ? "grad" : "backward";
  /* roots and their gradients */
  for (int i = 0; i < n; i++) {
    lt_tensor *o = outputs[i];
    if (!o->requires_grad)
      LT_FAIL(-1, "%s: output %d does not require grad and has no gradient function (was it "
              "computed from tensors that require grad, with grad mode on?)", op, i + 1);
    const lt_tensor *go = grad_outputs ? grad_outputs[i] : NULL;
    if (!go && lt_numel(o) != 1) {
      char b[64];
      LT_FAIL(-1, "%s: the gradient can only be created implicitly for a one-element output; "
              "output %d has size %s, so pass its gradient (t:backward(gradOutput))", op, i + 1,
              lt_shape_str(o, b, sizeof b));
    }
    if (go && lt_numel(go) != lt_numel(o)) {
      char b1[64], b2[64];
      LT_FAIL(-1, "%s: gradOutput %d has size %s but the output has size %s", op, i + 1,
              lt_shape_str(go, b1, sizeof b1), lt_shape_str(o, b2, sizeof b2));
    }
  }
  for (int i = 0; i < ni; i++)
    if (!inputs[i]->requires_grad)
      LT_FAIL(-1, "grad: input %d does not require grad", i + 1);

  bool prev = lt_set_grad_enabled(create);
  uint64_t epoch = ++mark_epoch;
  node_vec order, ready, stack;
  vec_init(&order);
  vec_init(&ready);
  vec_init(&stack);
  lt_node *roots_small[4] = {0}, *targets_small[4] = {0};
  lt_node **roots = n <= 4 ? roots_small : calloc((size_t)n, sizeof(lt_node *));
  lt_node **targets = ni <= 4 ? targets_small : calloc((size_t)ni, sizeof(lt_node *));
  int rc = -1;
  if (!roots || (ni && !targets)) { lt_seterr("%s: out of memory", op); goto done; }
  if (grads) for (int i = 0; i < ni; i++) grads[i] = NULL;
  for (int i = 0; i < ni; i++)
    if (!(targets[i] = edge_of(inputs[i]))) goto done;

  /* discover the graph (iteratively: graphs can be very deep) and count dependencies */
  for (int i = 0; i < n; i++) {
    if (!(roots[i] = edge_of(outputs[i]))) goto done;
    lt_node *r = roots[i];
    if (r->mark != epoch) {
      r->mark = epoch;
      r->deps = 0;
      if (vec_push(&order, r) < 0 || vec_push(&stack, r) < 0) goto done;
    }
  }
  while (stack.n) {
    lt_node *x = stack.v[--stack.n];
    if (stop && is_target(x, targets, ni)) continue;   /* the graph is cut at the inputs */
    for (int k = 0; k < x->ninputs; k++) {
      lt_node *c = x->in[k].fn;
      if (!c) continue;
      if (c->mark != epoch) {
        c->mark = epoch;
        c->deps = 0;
        if (vec_push(&order, c) < 0 || vec_push(&stack, c) < 0) goto done;
      }
      c->deps++;
    }
  }
  /* seed the roots' gradients */
  for (int i = 0; i < n; i++) {
    lt_tensor *o = outputs[i];
    lt_tensor *g;
    const lt_tensor *go = grad_outputs ? grad_outputs[i] : NULL;
    if (go) {
      g = go->ndim == o->ndim && !memcmp(go->size, o->size, sizeof(int64_t) * o->ndim)
              ? (lt_retain((lt_tensor *)go), (lt_tensor *)go) : lt_reshape(go, o->ndim, o->size);
      if (g && (g->dtype != o->dtype || !lt_same_device(g->device, o->device))) {
        lt_node_input in = {.dtype = o->dtype, .device = o->device};
        g = lt_ag_match_input(g, &in);
      }
    } else {
      g = lt_empty(o->ndim, o->size, o->dtype, o->device);
      if (g && lt_fill(g, 1) < 0) { lt_release(g); g = NULL; }
    }
    if (!g || accumulate_buf(&roots[i]->buf, g) < 0) goto done;
  }
  for (int i = 0; i < n; i++)
    if (roots[i]->deps == 0 && roots[i]->mark == epoch) {
      roots[i]->mark = epoch + (1ull << 62);  /* queued */
      if (vec_push(&ready, roots[i]) < 0) goto done;
    }

  while (ready.n) {
    /* the most recently created ready node first (PyTorch's order) */
    int best = 0;
    for (int k = 1; k < ready.n; k++) if (ready.v[k]->seq > ready.v[best]->seq) best = k;
    lt_node *x = ready.v[best];
    ready.v[best] = ready.v[--ready.n];
    lt_tensor *g = x->buf;
    x->buf = NULL;
    if (!g) continue;
    if (x->is_acc) {
      if (!x->leaf) { lt_release(g); continue; }   /* the leaf was freed */
      if (!(g = run_hooks(x->leaf->hooks, g))) goto done;
      if (grads && is_target(x, targets, ni)) {
        for (int t = 0; t < ni; t++) if (targets[t] == x) { lt_retain(g); grads[t] = g; }
        lt_release(g);
      } else if (grads && !accumulate) lt_release(g);
      else if (accumulate_leaf(x->leaf, g) < 0) goto done;
      continue;
    }
    if (x->hooks && !(g = run_hooks(x->hooks, g))) goto done;
    for (int t = 0; t < ni; t++) if (targets[t] == x) { lt_retain(g); grads[t] = g; }
    if (stop && is_target(x, targets, ni)) { lt_release(g); continue; }
    lt_tensor *small[8] = {0};
    lt_tensor **gi = x->ninputs <= 8 ? small : calloc((size_t)x->ninputs, sizeof(lt_tensor *));
    if (!gi) { lt_release(g); lt_seterr("%s: out of memory", op); goto done; }
    int brc;
    if (x->released && (x->nsaved || x->nsaved_list)) {
      lt_seterr("backward: %s's saved tensors were freed by an earlier backward; pass "
                "{retainGraph=true} to the first backward to go through the graph again", x->name);
      brc = -1;
    } else if (lt_anomaly_on) brc = lt_anomaly_run_backward(x, g, gi);   /* checks gi */
    else brc = x->backward ? x->backward(x, g, gi) : 0;
    lt_release(g);
    for (int k = 0; k < LT_NODE_MAXSAVED; k++) { lt_release(x->unpacked[k]); x->unpacked[k] = NULL; }
    if (!retain && brc == 0) { node_free_saved(x); x->released = true; }
    if (brc < 0) {
      for (int k = 0; k < x->ninputs; k++) lt_release(gi[k]);
      if (gi != small) free(gi);
      char msg[1024];
      snprintf(msg, sizeof msg, "%s", lt_errmsg());
      if (strstr(msg, x->name)) lt_seterr("%s", msg);
      else lt_seterr("%s (in %s)", msg, x->name);
      goto done;
    }
    for (int k = 0; k < x->ninputs; k++) {
      lt_node *c = x->in[k].fn;
      if (!c) { lt_release(gi[k]); continue; }
      if (gi[k] && check_grad(x, k, &gi[k]) < 0) {
        for (int j = k; j < x->ninputs; j++) lt_release(gi[j]);
        if (gi != small) free(gi);
        goto done;
      }
      if (gi[k] && accumulate_buf(&c->buf, gi[k]) < 0) {
        for (int j = k + 1; j < x->ninputs; j++) lt_release(gi[j]);
        if (gi != small) free(gi);
        goto done;
      }
      if (--c->deps == 0 && vec_push(&ready, c) < 0) {
        if (gi != small) free(gi);
        goto done;
      }
    }
    if (gi != small) free(gi);
  }
  if (grads)
    for (int i = 0; i < ni; i++)
      if (!grads[i] && !(grads[i] = lt_zeros(inputs[i]->ndim, inputs[i]->size, inputs[i]->dtype, inputs[i]->device)))
        goto done;
  rc = 0;
done:
  for (int k = 0; k < order.n; k++) { lt_release(order.v[k]->buf); order.v[k]->buf = NULL; }
  if (rc < 0 && grads)
    for (int i = 0; i < ni; i++) { lt_release(grads[i]); grads[i] = NULL; }
  if (roots) for (int i = 0; i < n; i++) lt_node_release(roots[i]);
  if (targets) for (int i = 0; i < ni; i++) lt_node_release(targets[i]);
  if (roots != roots_small) free(roots);
  if (targets != targets_small) free(targets);
  vec_free(&order);
  vec_free(&ready);
  vec_free(&stack);
  lt_set_grad_enabled(prev);
  return rc;
}

int lt_backward(int n, lt_tensor *const *outputs, lt_tensor *const *grad_outputs, bool retain_graph,
                bool create_graph) {
  return run_backward(n, outputs, grad_outputs, 0, NULL, NULL, retain_graph || create_graph, create_graph, false,
                      true);
}

int lt_grad(int n, lt_tensor *const *outputs, lt_tensor *const *grad_outputs, int ni,
            lt_tensor *const *inputs, lt_tensor **grads, bool retain_graph, bool create_graph) {
  return run_backward(n, outputs, grad_outputs, ni, inputs, grads, retain_graph || create_graph, create_graph, false,
                      false);
}

int lt_grad_between(int n, lt_tensor *const *outputs, lt_tensor *const *grad_outputs, int ni,
                    lt_tensor *const *inputs, lt_tensor **grads, bool retain_graph, bool create_graph,
                    bool accumulate) {
  return run_backward(n, outputs, grad_outputs, ni, inputs, grads, retain_graph || create_graph, create_graph, true,
                      accumulate);
}
