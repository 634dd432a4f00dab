/* autograd.h: the autograd layer's internal interface, for autograd.c and the backward
 * formulas (grad_*.c). See CONTRIBUTING.md, "Autograd", for how an op is recorded.
 *
 * Every differentiable engine op begins with a one-line check,
 *     if (LT_AG2(a, b)) return lt_ag_xxx(...);
 * that sends it, when grad mode is on and an input requires grad, to its wrapper in a
 * grad_*.c file. The wrapper runs the op itself with grad mode paused (so nothing inside
 * records), then builds a node: the backward function, the tensors it saved, the op's
 * parameters, and one edge per input (the input's grad_fn, or the accumulator of a leaf).
 *
 * Nodes have one output. Backward functions receive the gradient of that output and
 * write one gradient per input (NULL: zero, or the input needs none). They compute with
 * engine ops, so with createGraph (grad mode on during backward) they are recorded too
 * and higher derivatives work. */
#ifndef LT_AUTOGRAD_H
#define LT_AUTOGRAD_H
#include "internal.h"

extern bool lt_grad_on;   /* grad mode (torch.setGradEnabled) */
extern bool lt_anomaly_on;   /* anomaly mode (torch.setDetectAnomaly): numerics.c checks */

#define LT_AG1(a) (lt_grad_on && (a)->requires_grad)
#define LT_AG2(a, b) (lt_grad_on && ((a)->requires_grad || (b)->requires_grad))
#define LT_AG3(a, b, c) (lt_grad_on && ((a)->requires_grad || (b)->requires_grad || (c)->requires_grad))
/* an optional tensor argument */
#define LT_RG(t) ((t) && (t)->requires_grad)
/* the usual check of an op with an out tensor: an input requires grad, or out has a
 * history (that the write must replace) */
#define LT_AG_OUT(out, cond) (lt_grad_on && ((cond) || LT_RG(out)))

#define LT_NODE_MAXSAVED 4
#define LT_NODE_NPARAM 8

typedef struct lt_node lt_node;
/* grad: the gradient of the node's output (never NULL). grads[i]: one new reference per
 * input, or NULL. Return -1 with an error set on failure. */
typedef int (*lt_backward_fn)(lt_node *n, const lt_tensor *grad, lt_tensor **grads);

typedef struct lt_hook {
  lt_grad_hook fn;
  void *ud;
  void (*free_ud)(void *);
  struct lt_hook *next;
} lt_hook;

typedef struct {
  lt_node *fn;                 /* where this input's gradient goes (retained), or NULL */
  lt_dtype dtype;
  lt_device device;
  int ndim;
  int64_t size[LT_MAXDIM];
} lt_node_input;

struct lt_node {
  int refcount;
  const char *name;            /* "MulBackward" */
  lt_backward_fn backward;
  uint64_t seq;                /* creation order */
  bool view_op;                /* the output is a view of input 0 */
  uint32_t base_version;       /* input 0's storage version when recorded (stale views) */
  bool released;               /* saved tensors freed after a backward without retainGraph */
  bool is_acc;                 /* an accumulator node (the gradient sink of a leaf) */
  int8_t anomaly_input;        /* anomaly mode: 1 + the first input without history that
                                * held NaN/Inf when recorded, or 0 */
  lt_tensor *leaf;             /* accumulator nodes: the leaf (not retained: the leaf owns its
                                * accumulator and clears this when it is freed); else NULL */
  lt_hook *hooks;              /* hooks on the output's gradient (non-leaf tensors) */
  /* saved tensors: aliases made by lt_node_save (output ones carry no history) */
  int nsaved;
  lt_tensor *saved[LT_NODE_MAXSAVED];
  uint32_t saved_version[LT_NODE_MAXSAVED];
  bool saved_output[LT_NODE_MAXSAVED];
  lt_tensor *unpacked[LT_NODE_MAXSAVED]; /* output aliases rejoined to this node (createGraph) */
  lt_tensor **saved_list;      /* extra saved tensors (cat: none; index ops: the index) */
  int nsaved_list;
  /* the op's parameters */
  int64_t p[LT_NODE_NPARAM];
  double d[LT_NODE_NPARAM];
  void *ctx;                   /* free-form, freed with ctx_free */
  void (*ctx_free)(void *);
  /* output metadata */
  lt_dtype out_dtype;
  int out_ndim;
  int64_t out_size[LT_MAXDIM];
  /* backward-time state */
  uint64_t mark;
  int deps;
  lt_tensor *buf;
  int ninputs;
  lt_node_input in[];
};

/* ---- recording ---- */
/* A new node for inputs ins[0..n-1] (entries may be NULL or not require grad). */
lt_node *lt_node_new(const char *name, lt_backward_fn bw, int n, const lt_tensor *const *ins);
void lt_node_retain(lt_node *n);
void lt_node_release(lt_node *n);
/* Save t for backward in slot i (0..LT_NODE_MAXSAVED-1). output: t is the op's result
 * (saved without its history, so no cycle; rejoined on unpacking under createGraph). */
int lt_node_save(lt_node *n, int i, const lt_tensor *t, bool output);
/* For a product of two inputs: input 0 in slot 0 when input 1 needs a gradient, input 1
 * in slot 1 when input 0 does (each one's gradient needs the other). */
int lt_node_save_cross(lt_node *n, const lt_tensor *a, const lt_tensor *b);
/* The saved tensor of slot i, checked against in-place changes since it was saved
 * (borrowed; valid during the backward call). */
const lt_tensor *lt_node_saved(lt_node *n, int i);

/* The out/in-place policy of a recorded op (see CONTRIBUTING.md):
 *   LT_AG_RECORD: compute into ctx.out (NULL: a fresh result) with ctx.in (inputs that
 *                 alias out were replaced by clones), then call lt_ag_finish;
 *   LT_AG_PLAIN:  out is a leaf (or a view of one) updated with no gradient-requiring
 *                 operand: compute as usual, nothing recorded;
 *   -1:           an error (set). */
enum { LT_AG_PLAIN = 0, LT_AG_RECORD = 1 };
#define LT_AG_MAXIN 8
typedef struct {
  const char *op;
  lt_tensor *out;              /* the user's out tensor, or NULL */
  lt_tensor *target;           /* where the op should write: out, or NULL for a fresh result */
  const lt_tensor *in[LT_AG_MAXIN];
  lt_tensor *clones[LT_AG_MAXIN];
  int n;
  bool prev;
} lt_ag_ctx;
int lt_ag_begin(lt_ag_ctx *c, const char *op, lt_tensor *out, int n, const lt_tensor *const *ins);
/* r: the op's result (NULL on failure). Attaches node (taking its reference; NULL when
 * nothing is to be recorded) to r, moves r into out when they differ, resumes grad mode
 * and frees the clones. Returns the result (new reference) or NULL. */
lt_tensor *lt_ag_finish(lt_ag_ctx *c, lt_tensor *r, lt_node *node);
/* For LT_AG_PLAIN: resume grad mode (r passes through). */
lt_tensor *lt_ag_plain(lt_ag_ctx *c, lt_tensor *r);
/* The simple case: attach node to the fresh result r (takes node's reference). */
lt_tensor *lt_node_attach(lt_node *node, lt_tensor *r);

/* anomaly mode (numerics.c; called only when lt_anomaly_on): the inputs of a new node
 * (1 + the first one without history holding NaN/Inf, or 0), the output of a recorded op,
 * and a node's backward run and its gradients checked; -1 with "anomaly: ..." set on the
 * first bad one */
int lt_anomaly_inputs(int n, const lt_tensor *const *ins);
int lt_anomaly_forward(const lt_node *n, const lt_tensor *r);
int lt_anomaly_run_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads);

/* pause/resume grad mode around an op's own computation */
static inline bool lt_grad_pause(void) { bool p = lt_grad_on; lt_grad_on = false; return p; }
static inline void lt_grad_resume(bool p) { lt_grad_on = p; }

/* ---- helpers for backward formulas (all recorded under createGraph) ---- */
/* g summed down to the shape of input i (undoing broadcasting); new reference */
lt_tensor *lt_ag_sum_to(const lt_tensor *g, const lt_node_input *in);
lt_tensor *lt_ag_sum_to_size(const lt_tensor *g, int ndim, const int64_t *size);
/* zeros/ones shaped like input i or the output */
lt_tensor *lt_ag_zeros_input(const lt_node_input *in);
/* gradient tensors that differ in dtype/device from the input are converted */
lt_tensor *lt_ag_match_input(lt_tensor *g, const lt_node_input *in);

bool lt_is_float_dtype(lt_dtype dt);

/* ---- temporaries of a formula, released together (grad_reduce.c, nn_act.c) ----
 * A NULL argument (an earlier failure, error set) makes every helper return NULL, so a
 * formula is written straight through and checked once at the end. */
#define LT_NTMP 40
typedef struct { lt_tensor *t[LT_NTMP]; int n; } lt_tmps;
/* keeps t (may be NULL) until lt_tmps_free */
static inline lt_tensor *lt_keep(lt_tmps *s, lt_tensor *t) {
  if (!t) return NULL;
  if (s->n == LT_NTMP) { lt_release(t); LT_FAIL(NULL, "backward: too many temporaries (a bug)"); }
  s->t[s->n++] = t;
  return t;
}
static inline void lt_tmps_free(lt_tmps *s) {
  for (int i = 0; i < s->n; i++) lt_release(s->t[i]);
  s->n = 0;
}
/* r (NULL, borrowed or a temporary) as a new reference; the temporaries released */
static inline lt_tensor *lt_tmps_result(lt_tmps *s, lt_tensor *r) {
  if (r) lt_retain(r);
  lt_tmps_free(s);
  return r;
}
static inline lt_tensor *lt_tmp_bin(lt_tmps *s, lt_binary_op op, const lt_tensor *a, const lt_tensor *b) {
  return a && b ? lt_keep(s, lt_binary(op, NULL, a, b, 1)) : NULL;
}
static inline lt_tensor *lt_tmp_bins(lt_tmps *s, lt_binary_op op, const lt_tensor *a, double v) {
  return a ? lt_keep(s, lt_binary_scalar(op, NULL, a, v, false)) : NULL;
}
static inline lt_tensor *lt_tmp_una(lt_tmps *s, lt_unary_op op, const lt_tensor *a) {
  return a ? lt_keep(s, lt_unary(op, NULL, a)) : NULL;
}

/* ---- the wrappers the engine ops call (one section per grad_*.c file) ---- */
/* grad_pointwise.c */
lt_tensor *lt_ag_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha);
lt_tensor *lt_ag_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed);
lt_tensor *lt_ag_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a);
lt_tensor *lt_ag_clamp(lt_tensor *out, const lt_tensor *a, double lo, double hi);
/* addcmul (is_mul) and addcdiv */
lt_tensor *lt_ag_addc(bool is_mul, lt_tensor *out, const lt_tensor *a, double v, const lt_tensor *b, const lt_tensor *c);
lt_tensor *lt_ag_lerp(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double w);
lt_tensor *lt_ag_where(lt_tensor *out, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b);
/* copies and conversions (lt_copy, so clone, contiguous, to_dtype and to_device too) */
int lt_ag_copy(lt_tensor *dst, const lt_tensor *src);
int lt_ag_fill(lt_tensor *t, double v);
/* end grad_pointwise.c */

/* grad_reduce.c */
/* whole-tensor reductions as 0-dim tensors, and reductions over one dimension */
lt_tensor *lt_ag_reduce_all(lt_reduce_op op, const lt_tensor *a, double param);
lt_tensor *lt_ag_reduce_dim(lt_reduce_op op, lt_tensor *out, lt_tensor *indices_out,
                            lt_tensor **indices, const lt_tensor *a, int dim, bool keepdim,
                            double param);
/* cumsum (prod false) and cumprod */
lt_tensor *lt_ag_cum(bool prod, lt_tensor *out, const lt_tensor *a, int dim);
/* sort (topk false: k, largest and sorted unused) and topk */
int lt_ag_sort_topk(bool topk, const lt_tensor *a, int64_t k, int dim, bool desc, bool sorted,
                    lt_tensor **values, lt_tensor **indices);
/* end grad_reduce.c */

/* grad_linalg.c */
/* the products, by the engine function they run */
typedef enum {
  LT_AG_ADDMM, LT_AG_MM, LT_AG_BADDBMM, LT_AG_BMM, LT_AG_ADDBMM,
  LT_AG_ADDMV, LT_AG_MV, LT_AG_ADDR, LT_AG_GER
} lt_ag_prod;
lt_tensor *lt_ag_product(lt_ag_prod kind, lt_tensor *out, double beta, const lt_tensor *M,
                         double alpha, const lt_tensor *A, const lt_tensor *B);
lt_tensor *lt_ag_matmul(lt_tensor *out, const lt_tensor *A, const lt_tensor *B);
lt_tensor *lt_ag_dot(const lt_tensor *a, const lt_tensor *b);
lt_tensor *lt_ag_trace(const lt_tensor *a);
lt_tensor *lt_ag_diag(lt_tensor *out, const lt_tensor *a, int64_t k);
lt_tensor *lt_ag_tri(bool lower, lt_tensor *out, const lt_tensor *a, int64_t k);
lt_tensor *lt_ag_cross(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, int dim);
/* end grad_linalg.c */

/* grad_shape.c */
/* views (no out tensor; the result is a view of t, or a copy for reshape) */
lt_tensor *lt_ag_view(const lt_tensor *t, int ndim, const int64_t *size);
lt_tensor *lt_ag_reshape(const lt_tensor *t, int ndim, const int64_t *size);
lt_tensor *lt_ag_narrow(const lt_tensor *t, int dim, int64_t start, int64_t len);
lt_tensor *lt_ag_select(const lt_tensor *t, int dim, int64_t index);
lt_tensor *lt_ag_transpose(const lt_tensor *t, int d1, int d2);
lt_tensor *lt_ag_permute(const lt_tensor *t, const int *perm);
lt_tensor *lt_ag_expand(const lt_tensor *t, int ndim, const int64_t *size);
lt_tensor *lt_ag_squeeze(const lt_tensor *t, bool all, int dim);
lt_tensor *lt_ag_unsqueeze(const lt_tensor *t, int dim);
lt_tensor *lt_ag_unfold(const lt_tensor *t, int dim, int64_t size, int64_t step);
/* joining and reordering */
static inline bool lt_ag_any(const lt_tensor *const *ts, int n) {
  for (int i = 0; ts && i < n; i++) if (ts[i] && ts[i]->requires_grad) return true;
  return false;
}
lt_tensor *lt_ag_cat(lt_tensor *out, const lt_tensor *const *ts, int n, int dim);
lt_tensor *lt_ag_stack(lt_tensor *out, const lt_tensor *const *ts, int n, int dim);
lt_tensor *lt_ag_repeat(const lt_tensor *a, int n, const int64_t *reps);
lt_tensor *lt_ag_flip(const lt_tensor *a, int ndims, const int *dims);
lt_tensor *lt_ag_roll(const lt_tensor *a, int64_t shift, int dim);
/* indexing results (the index or mask is saved for backward) */
lt_tensor *lt_ag_index_select(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index);
lt_tensor *lt_ag_gather(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index);
lt_tensor *lt_ag_masked_select(lt_tensor *out, const lt_tensor *a, const lt_tensor *mask);
/* in-place writes into t (ix: the index or the mask; src NULL for the fills) */
enum {
  LT_AGW_INDEX_COPY, LT_AGW_INDEX_ADD, LT_AGW_INDEX_FILL, LT_AGW_SCATTER, LT_AGW_SCATTER_ADD,
  LT_AGW_SCATTER_FILL, LT_AGW_MASKED_FILL, LT_AGW_MASKED_COPY
};
int lt_ag_write(int kind, lt_tensor *t, int dim, const lt_tensor *ix, const lt_tensor *src, double v);
/* Index assignment t[...] = src (or the value v when src is NULL), the region reached from
 * t by the steps in turn (each a select, or a narrow when `narrow`), under the out policy;
 * recorded (CopySlices) when t or src requires grad. Used by the bindings' __newindex. */
typedef struct {
  bool narrow;
  int dim;
  int64_t start, len;
} lt_ag_step;
int lt_ag_assign(lt_tensor *t, int nsteps, const lt_ag_step *steps, const lt_tensor *src, double v);
/* an element write t[index] = v (lt_put's hook: `if (LT_AG1(t)) return lt_ag_put(t, index, v);`) */
int lt_ag_put(lt_tensor *t, const int64_t *index, double v);
/* end grad_shape.c */

/* nn_conv.c */
/* (conv2d, convTranspose2d and conv2d's weight gradient record themselves: their wrappers
 * are static in tensor/nn_conv.c, each backward made of the three ops again) */
/* end nn_conv.c */

/* nn_act.c */
/* (the activations, softmax and the losses record themselves: their wrappers are static
 * in tensor/nn_act.c; backward formulas are engine ops or this file's recorded ops) */
/* end nn_act.c */

/* nn_spatial.c */
/* (pooling, pad2d and batch norm record themselves: their wrappers are static in
 * tensor/nn_spatial.c; dropout, embedding and up-sampling are recorded engine ops) */
/* end nn_spatial.c */

/* lapack_decomp.c */
/* (svd and symeig record themselves, one node per output, since a node has one output and
 * their formulas are linear in the output gradients; pinverse is made of recorded ops;
 * eig, qr, geqrf, orgqr, ormqr record nodes whose backward is an error) */
/* end lapack_decomp.c */

#endif
