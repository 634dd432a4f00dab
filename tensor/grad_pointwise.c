/* grad_pointwise.c: recording and backward formulas of the pointwise ops (binary,
 * tensor-scalar, unary, clamp, addcmul/addcdiv/lerp/where) and of copies and type
 * conversions. Formulas use engine ops so that createGraph records them too. */
#include "autograd.h"
#include <math.h>

/* small helpers: new references, NULL on error (an error set) */
static lt_tensor *mul(const lt_tensor *a, const lt_tensor *b) { return lt_binary(LT_MUL, NULL, a, b, 1); }
static lt_tensor *divt(const lt_tensor *a, const lt_tensor *b) { return lt_binary(LT_DIV, NULL, a, b, 1); }
static lt_tensor *muls(const lt_tensor *a, double s) { return lt_binary_scalar(LT_MUL, NULL, a, s, false); }
static lt_tensor *neg(const lt_tensor *a) { return lt_unary(LT_NEG, NULL, a); }

/* g reduced to input i's shape, taking g's reference */
static lt_tensor *to_input(lt_node *n, int i, lt_tensor *g) {
  if (!g) return NULL;
  lt_tensor *r = lt_ag_sum_to(g, &n->in[i]);
  lt_release(g);
  return r;
}

/* ---- binary ops: out = a op (alpha * b) ---- */

static int binary_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_binary_op op = (lt_binary_op)n->p[0];
  double alpha = n->d[0];
  bool need_a = n->in[0].fn != NULL, need_b = n->in[1].fn != NULL;
  const lt_tensor *a = NULL, *b = NULL;
  if (n->nsaved > 0 && n->saved[0] && !(a = lt_node_saved(n, 0))) return -1;
  if (n->nsaved > 1 && n->saved[1] && !(b = lt_node_saved(n, 1))) return -1;
  lt_tensor *ga = NULL, *gb = NULL;
  switch (op) {
  case LT_ADD:
  case LT_SUB:
    if (need_a) { lt_retain((lt_tensor *)g); ga = (lt_tensor *)g; }
    if (need_b) gb = muls(g, op == LT_ADD ? alpha : -alpha);
    break;
  case LT_MUL:
    if (need_a) ga = mul(g, b);
    if (need_b) gb = mul(g, a);
    break;
  case LT_DIV:
    if (need_a) ga = divt(g, b);
    if (need_b) {  /* -g * a / b^2 */
      lt_tensor *t1 = divt(g, b), *t2 = t1 ? mul(t1, a) : NULL, *t3 = t2 ? divt(t2, b) : NULL;
      gb = t3 ? neg(t3) : NULL;
      lt_release(t1); lt_release(t2); lt_release(t3);
      if (!gb) return -1;
    }
    break;
  case LT_POW: {  /* d/da = b a^(b-1), d/db = a^b log a (0 where a == 0 and b >= 0) */
    if (need_a) {
      lt_tensor *bm1 = lt_binary_scalar(LT_SUB, NULL, b, 1, false);
      lt_tensor *p = bm1 ? lt_binary(LT_POW, NULL, a, bm1, 1) : NULL;
      lt_tensor *q = p ? mul(p, b) : NULL;
      ga = q ? mul(g, q) : NULL;
      lt_release(bm1); lt_release(p); lt_release(q);
      if (!ga) return -1;
    }
    if (need_b) {
      lt_tensor *p = lt_binary(LT_POW, NULL, a, b, 1);
      lt_tensor *la = lt_unary(LT_LOG, NULL, a);
      lt_tensor *q = p && la ? mul(p, la) : NULL;
      /* a == 0 with b >= 0: the limit is 0, not NaN */
      lt_tensor *z = lt_binary_scalar(LT_EQ, NULL, a, 0, false);
      lt_tensor *q2 = NULL;
      if (q && z) {
        lt_tensor *zero = lt_zeros(0, NULL, q->dtype, q->device);
        q2 = zero ? lt_where(NULL, z, zero, q) : NULL;
        lt_release(zero);
      }
      gb = q2 ? mul(g, q2) : NULL;
      lt_release(p); lt_release(la); lt_release(q); lt_release(z); lt_release(q2);
      if (!gb) return -1;
    }
    break;
  }
  case LT_ATAN2: {  /* atan2(a, b): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2) */
    lt_tensor *a2 = mul(a, a), *b2 = mul(b, b), *den = a2 && b2 ? lt_binary(LT_ADD, NULL, a2, b2, 1) : NULL;
    lt_tensor *gd = den ? divt(g, den) : NULL;
    lt_release(a2); lt_release(b2); lt_release(den);
    if (!gd) return -1;
    if (need_a) ga = mul(gd, b);
    if (need_b) { lt_tensor *t = mul(gd, a); gb = t ? neg(t) : NULL; lt_release(t); }
    lt_release(gd);
    break;
  }
  case LT_MAX:
  case LT_MIN: {  /* the gradient goes to the chosen operand; ties split it in half */
    lt_tensor *win = lt_binary(op == LT_MAX ? LT_GT : LT_LT, NULL, a, b, 1);
    lt_tensor *tie = lt_binary(LT_EQ, NULL, a, b, 1);
    lt_tensor *wf = win ? lt_to_dtype(win, g->dtype) : NULL, *tf = tie ? lt_to_dtype(tie, g->dtype) : NULL;
    lt_tensor *half = tf ? muls(tf, 0.5) : NULL;
    lt_tensor *wa = wf && half ? lt_binary(LT_ADD, NULL, wf, half, 1) : NULL;
    lt_release(win); lt_release(tie); lt_release(wf); lt_release(tf);
    if (!wa) { lt_release(half); return -1; }
    if (need_a) ga = mul(g, wa);
    if (need_b) {  /* 1 - wa */
      lt_tensor *wb = lt_binary_scalar(LT_SUB, NULL, wa, 1, true);
      gb = wb ? mul(g, wb) : NULL;
      lt_release(wb);
    }
    lt_release(wa); lt_release(half);
    break;
  }
  case LT_FMOD:
  case LT_REMAINDER: {  /* a - trunc/floor(a / b) * b: d/da = 1, d/db = -trunc/floor(a / b) */
    if (need_a) { lt_retain((lt_tensor *)g); ga = (lt_tensor *)g; }
    if (need_b) {
      lt_tensor *q = divt(a, b), *f = q ? lt_unary(op == LT_FMOD ? LT_TRUNC : LT_FLOOR, NULL, q) : NULL;
      lt_tensor *t = f ? mul(g, f) : NULL;
      gb = t ? neg(t) : NULL;
      lt_release(q); lt_release(f); lt_release(t);
      if (!gb) return -1;
    }
    break;
  }
  default:
    return 0;
  }
  if ((need_a && !ga) || (need_b && !gb)) { lt_release(ga); lt_release(gb); return -1; }
  if (need_a && !(grads[0] = to_input(n, 0, ga))) { lt_release(gb); return -1; }
  if (need_b && !(grads[1] = to_input(n, 1, gb))) return -1;
  return 0;
}

static const char *binary_node_name(lt_binary_op op) {
  switch (op) {
  case LT_ADD: return "AddBackward";
  case LT_SUB: return "SubBackward";
  case LT_MUL: return "MulBackward";
  case LT_DIV: return "DivBackward";
  case LT_POW: return "PowBackward";
  case LT_ATAN2: return "Atan2Backward";
  case LT_MAX: return "MaxBackward";
  case LT_MIN: return "MinBackward";
  case LT_FMOD: return "FmodBackward";
  case LT_REMAINDER: return "RemainderBackward";
  default: return NULL;
  }
}

lt_tensor *lt_ag_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha) {
  const char *name = binary_node_name(op);
  if (!name || (out && !lt_is_float_dtype(out->dtype))) {  /* not differentiable: compute only */
    bool p = lt_grad_pause();
    lt_tensor *r = lt_binary(op, out, a, b, alpha);
    lt_grad_resume(p);
    return r;
  }
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, lt_binary_name(op), out, 2, (const lt_tensor *[]){a, b});
  if (mode < 0) return NULL;
  lt_tensor *r = lt_binary(op, c.target, c.in[0], c.in[1], alpha);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(name, binary_backward, 2, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = op;
  n->d[0] = alpha;
  bool ok = true;
  switch (op) {
  case LT_ADD: case LT_SUB: break;
  case LT_MUL: case LT_DIV:  /* a is needed only for b's gradient, b for both */
    if (n->in[1].fn) ok = lt_node_save(n, 0, c.in[0], false) == 0;
    ok = ok && lt_node_save(n, 1, c.in[1], false) == 0;
    break;
  case LT_FMOD: case LT_REMAINDER:
    if (n->in[1].fn) ok = lt_node_save(n, 0, c.in[0], false) == 0 && lt_node_save(n, 1, c.in[1], false) == 0;
    break;
  default:
    ok = lt_node_save(n, 0, c.in[0], false) == 0 && lt_node_save(n, 1, c.in[1], false) == 0;
  }
  if (!ok) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}
