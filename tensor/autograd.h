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
  bool released;               /* saved tensors freed after a backward without retainGraph */
  lt_tensor *leaf;             /* accumulator nodes: the leaf (retained); else NULL */
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

/* ---- the wrappers the engine ops call (one section per grad_*.c file) ---- */
/* grad_pointwise.c */
lt_tensor *lt_ag_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha);
/* end grad_pointwise.c */

/* grad_reduce.c */
/* end grad_reduce.c */

/* grad_linalg.c */
/* end grad_linalg.c */

/* grad_shape.c */
/* end grad_shape.c */

#endif
