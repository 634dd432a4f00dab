/* grad_pointwise.c: recording and backward formulas of the pointwise ops (binary,
 * tensor-scalar, unary, clamp, addcmul/addcdiv/lerp/where) and of copies and type
 * conversions. Formulas use engine ops so that createGraph records them too. */
#include "autograd.h"
#include <math.h>

/* small helpers: new references, NULL on error (an error set) */
/* small helpers: new references, NULL on error (an error set). They pass a NULL operand
 * through as NULL (an earlier step failed, its error set), so formulas chain them. */
static lt_tensor *mul(const lt_tensor *a, const lt_tensor *b) { return a && b ? lt_binary(LT_MUL, NULL, a, b, 1) : NULL; }
static lt_tensor *divt(const lt_tensor *a, const lt_tensor *b) { return a && b ? lt_binary(LT_DIV, NULL, a, b, 1) : NULL; }
static lt_tensor *muls(const lt_tensor *a, double s) { return a ? lt_binary_scalar(LT_MUL, NULL, a, s, false) : NULL; }
static lt_tensor *divs(const lt_tensor *a, double s) { return a ? lt_binary_scalar(LT_DIV, NULL, a, s, false) : NULL; }
static lt_tensor *adds(const lt_tensor *a, double s) { return a ? lt_binary_scalar(LT_ADD, NULL, a, s, false) : NULL; }
static lt_tensor *rsubs(double s, const lt_tensor *a) { return a ? lt_binary_scalar(LT_SUB, NULL, a, s, true) : NULL; }
static lt_tensor *pows(const lt_tensor *a, double s) { return a ? lt_binary_scalar(LT_POW, NULL, a, s, false) : NULL; }
static lt_tensor *un(lt_unary_op op, const lt_tensor *a) { return a ? lt_unary(op, NULL, a) : NULL; }
static lt_tensor *neg(const lt_tensor *a) { return un(LT_NEG, a); }
static lt_tensor *retained(const lt_tensor *a) { lt_retain((lt_tensor *)a); return (lt_tensor *)a; }
/* a comparison's 0/1 result (uint8) as a tensor of dtype dt */
static lt_tensor *as_dtype(const lt_tensor *m, lt_dtype dt) { return m ? lt_to_dtype(m, dt) : NULL; }

/* temporaries of a formula, released together: K(&p, expr) keeps expr's result */
typedef struct { lt_tensor *t[12]; int n; } pool;
static lt_tensor *K(pool *p, lt_tensor *t) {
  if (t) p->t[p->n++] = t;
  return t;
}
static void drain(pool *p) {
  for (int i = 0; i < p->n; i++) lt_release(p->t[i]);
  p->n = 0;
}

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
      /* a == 0 with b >= 0: the limit is 0, not NaN. a^b log(a + m) with m = 1 there (a
       * mask, not lt_where, so that it runs on any device) */
      pool P = {0};
      lt_tensor *z = K(&P, as_dtype(K(&P, lt_binary_scalar(LT_EQ, NULL, a, 0, false)), a->dtype));
      lt_tensor *nn = K(&P, as_dtype(K(&P, lt_binary_scalar(LT_GE, NULL, b, 0, false)), a->dtype));
      lt_tensor *m = K(&P, mul(z, nn));
      lt_tensor *la = K(&P, un(LT_LOG, K(&P, m ? lt_binary(LT_ADD, NULL, a, m, 1) : NULL)));
      gb = mul(g, K(&P, mul(K(&P, lt_binary(LT_POW, NULL, a, b, 1)), la)));
      drain(&P);
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
  case LT_LSHIFT:
  case LT_RSHIFT: {  /* float shifts are a 2^b (a 2^-b, Torch7's definition): d/da = 2^(+-b),
                      * d/db = +-ln2 a 2^(+-b) */
    pool P = {0};
    lt_tensor *bf = K(&P, as_dtype(b, g->dtype));
    if (op == LT_RSHIFT) bf = K(&P, neg(bf));
    lt_tensor *e = K(&P, un(LT_EXP2, bf));
    if (need_a) ga = mul(g, e);
    if (need_b) gb = muls(K(&P, mul(g, K(&P, mul(a, e)))), op == LT_LSHIFT ? M_LN2 : -M_LN2);
    drain(&P);
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
  case LT_LSHIFT: return "LshiftBackward";   /* float tensors: a 2^b (integer ones do not record) */
  case LT_RSHIFT: return "RshiftBackward";
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

/* compute without recording (ops that are not differentiable, or nothing to record) */
#define PAUSED(T, expr) do { bool p_ = lt_grad_pause(); T r_ = (expr); lt_grad_resume(p_); return r_; } while (0)

/* ---- tensor-scalar ops: out = a op s, or s op a when reversed ---- */

static int scalar_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  lt_binary_op op = (lt_binary_op)n->p[0];
  bool rev = n->p[1] != 0;
  double s = n->d[0];
  const lt_tensor *a = NULL, *y = NULL;   /* the saved input, or output */
  if (n->nsaved > 0 && n->saved[0] && !(a = lt_node_saved(n, 0))) return -1;
  if (n->nsaved > 1 && n->saved[1] && !(y = lt_node_saved(n, 1))) return -1;
  pool p = {0};
  lt_tensor *r = NULL;
  switch (op) {
  case LT_ADD: r = retained(g); break;
  case LT_SUB: r = rev ? neg(g) : retained(g); break;
  case LT_MUL: r = muls(g, s); break;
  case LT_DIV:  /* a / s: g / s; s / a: -g s / a^2 */
    r = rev ? muls(K(&p, divt(K(&p, divt(g, a)), a)), -s) : divs(g, s);
    break;
  case LT_POW:
    if (!rev) {  /* a^s: g s a^(s-1) */
      if (s == 0) r = lt_ag_zeros_input(&n->in[0]);
      else if (s == 1) r = retained(g);
      else if (s == 2) r = mul(g, K(&p, muls(a, 2)));
      else r = mul(g, K(&p, muls(K(&p, pows(a, s - 1)), s)));
    } else {     /* s^a: g s^a log s; with s == 0 the limit 0 where a >= 0 */
      if (s != 0) r = mul(g, K(&p, muls(y, log(s))));
      else {  /* 0 where a >= 0, -inf where a < 0: log(1 - (a < 0)) (any device) */
        lt_tensor *neg_a = K(&p, as_dtype(K(&p, lt_binary_scalar(LT_LT, NULL, a, 0, false)), g->dtype));
        r = mul(g, K(&p, un(LT_LOG, K(&p, rsubs(1, neg_a)))));
      }
    }
    break;
  case LT_FMOD:
  case LT_REMAINDER:  /* a - q s: 1; s - q a: -q with q = trunc/floor(s / a) */
    if (!rev) r = retained(g);
    else {
      lt_tensor *q = K(&p, lt_binary_scalar(LT_DIV, NULL, a, s, true));
      r = neg(K(&p, mul(g, K(&p, un(op == LT_FMOD ? LT_TRUNC : LT_FLOOR, q)))));
    }
    break;
  case LT_ATAN2: {  /* atan2(a, s): s / (a^2 + s^2); atan2(s, a): -s / (a^2 + s^2) */
    lt_tensor *den = K(&p, adds(K(&p, un(LT_SQUARE, a)), s * s));
    r = muls(K(&p, divt(g, den)), rev ? -s : s);
    break;
  }
  case LT_MAX:
  case LT_MIN: {  /* to a where it wins; half of it at ties (as max/min of two tensors) */
    lt_tensor *win = K(&p, as_dtype(K(&p, lt_binary_scalar(op == LT_MAX ? LT_GT : LT_LT, NULL, a, s, false)), g->dtype));
    lt_tensor *tie = K(&p, as_dtype(K(&p, lt_binary_scalar(LT_EQ, NULL, a, s, false)), g->dtype));
    r = mul(g, win && tie ? K(&p, lt_binary(LT_ADD, NULL, win, tie, 0.5)) : NULL);
    break;
  }
  default:
    return 0;
  }
  drain(&p);
  if (!r) return -1;
  return (grads[0] = to_input(n, 0, r)) ? 0 : -1;
}

lt_tensor *lt_ag_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed) {
  if ((op == LT_LSHIFT || op == LT_RSHIFT) && lt_is_float_dtype(a->dtype) && a->storage &&
      (!out || lt_is_float_dtype(out->dtype))) {
    /* float shifts are products with powers of 2 (Torch7): recorded as those */
    if (!reversed) return lt_ag_binary_scalar(op == LT_LSHIFT ? LT_MUL : LT_DIV, out, a, exp2(s), false);
    lt_tensor *na = op == LT_RSHIFT ? neg(a) : retained(a);   /* s 2^a, s 2^-a */
    lt_tensor *e = un(LT_EXP2, na);
    lt_release(na);
    lt_tensor *r = e ? lt_binary_scalar(LT_MUL, out, e, s, false) : NULL;
    lt_release(e);
    return r;
  }
  const char *name = binary_node_name(op);
  if (!name || !a->storage || (out && !lt_is_float_dtype(out->dtype)))
    PAUSED(lt_tensor *, lt_binary_scalar(op, out, a, s, reversed));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, lt_binary_name(op), out, 1, &a);
  if (mode < 0) return NULL;
  lt_tensor *r = lt_binary_scalar(op, c.target, c.in[0], s, reversed);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(name, scalar_backward, 1, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = op;
  n->p[1] = reversed;
  n->d[0] = s;
  bool ok = true, need = n->in[0].fn != NULL;
  switch (op) {
  case LT_ADD: case LT_SUB: case LT_MUL: break;
  case LT_DIV: case LT_FMOD: case LT_REMAINDER:
    if (reversed && need) ok = lt_node_save(n, 0, c.in[0], false) == 0;
    break;
  case LT_POW:
    if (need && !reversed && s != 0 && s != 1) ok = lt_node_save(n, 0, c.in[0], false) == 0;
    if (need && reversed)  /* s^a: the output; 0^a: the input */
      ok = s != 0 ? lt_node_save(n, 1, r, true) == 0 : lt_node_save(n, 0, c.in[0], false) == 0;
    break;
  default:
    if (need) ok = lt_node_save(n, 0, c.in[0], false) == 0;
  }
  if (!ok) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

/* ---- unary ops ---- */

static const char *unary_node_name(lt_unary_op op) {
  static const char *names[LT_NUNARY] = {
    [LT_NEG] = "NegBackward", [LT_ABS] = "AbsBackward", [LT_SIGN] = "SignBackward",
    [LT_EXP] = "ExpBackward", [LT_LOG] = "LogBackward", [LT_LOG1P] = "Log1pBackward",
    [LT_EXPM1] = "Expm1Backward", [LT_SQRT] = "SqrtBackward", [LT_RSQRT] = "RsqrtBackward",
    [LT_SIN] = "SinBackward", [LT_COS] = "CosBackward", [LT_TAN] = "TanBackward",
    [LT_ASIN] = "AsinBackward", [LT_ACOS] = "AcosBackward", [LT_ATAN] = "AtanBackward",
    [LT_SINH] = "SinhBackward", [LT_COSH] = "CoshBackward", [LT_TANH] = "TanhBackward",
    [LT_SIGMOID] = "SigmoidBackward", [LT_FLOOR] = "FloorBackward", [LT_CEIL] = "CeilBackward",
    [LT_ROUND] = "RoundBackward", [LT_TRUNC] = "TruncBackward", [LT_FRAC] = "FracBackward",
    [LT_CINV] = "ReciprocalBackward", [LT_LOG2] = "Log2Backward", [LT_LOG10] = "Log10Backward",
    [LT_EXP2] = "Exp2Backward", [LT_SQUARE] = "SquareBackward"};
  return (unsigned)op < LT_NUNARY ? names[op] : NULL;
}

/* what backward needs: 0 nothing, 1 the input, 2 the output */
static int unary_saves(lt_unary_op op) {
  switch (op) {
  case LT_NEG: case LT_SIGN: case LT_FLOOR: case LT_CEIL: case LT_ROUND: case LT_TRUNC: case LT_FRAC:
    return 0;
  case LT_EXP: case LT_EXPM1: case LT_SQRT: case LT_RSQRT: case LT_TAN: case LT_TANH:
  case LT_SIGMOID: case LT_CINV: case LT_EXP2:
    return 2;
  default:
    return 1;
  }
}

static int unary_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  lt_unary_op op = (lt_unary_op)n->p[0];
  const lt_tensor *x = NULL;   /* the input, or the output (unary_saves) */
  if (n->nsaved > 0 && !(x = lt_node_saved(n, 0))) return -1;
  pool p = {0};
  lt_tensor *r = NULL;
  switch (op) {
  case LT_NEG: r = neg(g); break;
  case LT_ABS: r = mul(g, K(&p, un(LT_SIGN, x))); break;   /* 0 at 0 */
  case LT_SIGN: case LT_FLOOR: case LT_CEIL: case LT_ROUND: case LT_TRUNC:
    r = lt_ag_zeros_input(&n->in[0]);
    break;
  case LT_FRAC: r = retained(g); break;
  case LT_EXP: r = mul(g, x); break;                                   /* y */
  case LT_EXPM1: r = mul(g, K(&p, adds(x, 1))); break;                 /* y + 1 */
  case LT_EXP2: r = mul(g, K(&p, muls(x, M_LN2))); break;              /* y ln 2 */
  case LT_LOG: r = divt(g, x); break;
  case LT_LOG1P: r = divt(g, K(&p, adds(x, 1))); break;
  case LT_LOG2: r = divt(g, K(&p, muls(x, M_LN2))); break;
  case LT_LOG10: r = divt(g, K(&p, muls(x, M_LN10))); break;
  case LT_SQRT: r = divt(K(&p, muls(g, 0.5)), x); break;               /* 1 / (2 y) */
  case LT_RSQRT: r = mul(g, K(&p, muls(K(&p, pows(x, 3)), -0.5))); break;  /* -y^3 / 2 */
  case LT_CINV: r = neg(K(&p, mul(g, K(&p, un(LT_SQUARE, x))))); break;    /* -y^2 */
  case LT_SQUARE: r = mul(g, K(&p, muls(x, 2))); break;
  case LT_SIN: r = mul(g, K(&p, un(LT_COS, x))); break;
  case LT_COS: r = neg(K(&p, mul(g, K(&p, un(LT_SIN, x))))); break;
  case LT_TAN: r = mul(g, K(&p, adds(K(&p, un(LT_SQUARE, x)), 1))); break;  /* 1 + y^2 */
  case LT_ASIN:
  case LT_ACOS: {  /* +-1 / sqrt(1 - x^2) */
    lt_tensor *d = K(&p, un(LT_RSQRT, K(&p, rsubs(1, K(&p, un(LT_SQUARE, x))))));
    r = op == LT_ASIN ? mul(g, d) : neg(K(&p, mul(g, d)));
    break;
  }
  case LT_ATAN: r = divt(g, K(&p, adds(K(&p, un(LT_SQUARE, x)), 1))); break;
  case LT_SINH: r = mul(g, K(&p, un(LT_COSH, x))); break;
  case LT_COSH: r = mul(g, K(&p, un(LT_SINH, x))); break;
  case LT_TANH: r = mul(g, K(&p, rsubs(1, K(&p, un(LT_SQUARE, x))))); break;        /* 1 - y^2 */
  case LT_SIGMOID: r = mul(g, K(&p, mul(x, K(&p, rsubs(1, x))))); break;           /* y (1 - y) */
  default:
    return 0;
  }
  drain(&p);
  if (!r) return -1;
  grads[0] = r;
  return 0;
}

lt_tensor *lt_ag_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a) {
  const char *name = unary_node_name(op);
  if (!name || !a->storage || (out && !lt_is_float_dtype(out->dtype)))
    PAUSED(lt_tensor *, lt_unary(op, out, a));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, lt_unary_name(op), out, 1, &a);
  if (mode < 0) return NULL;
  lt_tensor *r = lt_unary(op, c.target, c.in[0]);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(name, unary_backward, 1, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = op;
  int save = n->in[0].fn ? unary_saves(op) : 0;
  if (save && lt_node_save(n, 0, save == 2 ? r : c.in[0], save == 2) < 0) {
    lt_node_release(n);
    lt_release(r);
    return lt_ag_plain(&c, NULL);
  }
  return lt_ag_finish(&c, r, n);
}

/* ---- clamp: the gradient passes where lo <= x <= hi (bounds included) ---- */

static int clamp_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->in[0].fn) return 0;
  double lo = n->d[0], hi = n->d[1];
  if (isnan(lo) && isnan(hi)) { grads[0] = retained(g); return 0; }
  const lt_tensor *x = lt_node_saved(n, 0);
  if (!x) return -1;
  pool p = {0};
  lt_tensor *m = NULL;
  if (!isnan(lo)) m = K(&p, as_dtype(K(&p, lt_binary_scalar(LT_GE, NULL, x, lo, false)), g->dtype));
  if (!isnan(hi)) {
    lt_tensor *m2 = K(&p, as_dtype(K(&p, lt_binary_scalar(LT_LE, NULL, x, hi, false)), g->dtype));
    m = isnan(lo) ? m2 : K(&p, mul(m, m2));
  }
  lt_tensor *r = mul(g, m);
  drain(&p);
  if (!r) return -1;
  grads[0] = r;
  return 0;
}

lt_tensor *lt_ag_clamp(lt_tensor *out, const lt_tensor *a, double lo, double hi) {
  if (!a->storage || (out && !lt_is_float_dtype(out->dtype)))
    PAUSED(lt_tensor *, lt_clamp(out, a, lo, hi));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "clamp", out, 1, &a);
  if (mode < 0) return NULL;
  lt_tensor *r = lt_clamp(c.target, c.in[0], lo, hi);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new("ClampBackward", clamp_backward, 1, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->d[0] = lo;
  n->d[1] = hi;
  if (n->in[0].fn && (!isnan(lo) || !isnan(hi)) && lt_node_save(n, 0, c.in[0], false) < 0) {
    lt_node_release(n);
    lt_release(r);
    return lt_ag_plain(&c, NULL);
  }
  return lt_ag_finish(&c, r, n);
}

/* ---- addcmul, addcdiv: out = a + v * b * c, a + v * b / c ---- */

static int addc_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  bool is_mul = n->p[0] != 0;
  double v = n->d[0];
  bool need_a = n->in[0].fn, need_b = n->in[1].fn, need_c = n->in[2].fn;
  const lt_tensor *b = NULL, *c = NULL;
  if (n->nsaved > 1 && n->saved[1] && !(b = lt_node_saved(n, 1))) return -1;
  if (n->nsaved > 2 && n->saved[2] && !(c = lt_node_saved(n, 2))) return -1;
  pool p = {0};
  lt_tensor *ga = NULL, *gb = NULL, *gc = NULL;
  lt_tensor *gv = v == 1 ? NULL : K(&p, muls(g, v));
  const lt_tensor *G = v == 1 ? g : gv;
  if (G) {
    if (is_mul) {
      if (need_b) gb = mul(G, c);
      if (need_c) gc = mul(G, b);
    } else {  /* d/db = v / c, d/dc = -v b / c^2 */
      lt_tensor *gdc = need_b || need_c ? K(&p, divt(G, c)) : NULL;
      if (need_b && gdc) gb = retained(gdc);
      if (need_c) gc = neg(K(&p, divt(K(&p, mul(gdc, b)), c)));
    }
  }
  drain(&p);
  if (need_a) ga = retained(g);
  if ((need_b && !gb) || (need_c && !gc)) { lt_release(ga); lt_release(gb); lt_release(gc); return -1; }
  if (need_a && !(grads[0] = to_input(n, 0, ga))) { lt_release(gb); lt_release(gc); return -1; }
  if (need_b && !(grads[1] = to_input(n, 1, gb))) { lt_release(gc); return -1; }
  if (need_c && !(grads[2] = to_input(n, 2, gc))) return -1;
  return 0;
}

lt_tensor *lt_ag_addc(bool is_mul, lt_tensor *out, const lt_tensor *a, double v, const lt_tensor *b, const lt_tensor *cc) {
  if (out && !lt_is_float_dtype(out->dtype))
    PAUSED(lt_tensor *, is_mul ? lt_addcmul(out, a, v, b, cc) : lt_addcdiv(out, a, v, b, cc));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, is_mul ? "addcmul" : "addcdiv", out, 3, (const lt_tensor *[]){a, b, cc});
  if (mode < 0) return NULL;
  lt_tensor *r = is_mul ? lt_addcmul(c.target, c.in[0], v, c.in[1], c.in[2])
                        : lt_addcdiv(c.target, c.in[0], v, c.in[1], c.in[2]);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new(is_mul ? "AddcmulBackward" : "AddcdivBackward", addc_backward, 3, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->p[0] = is_mul;
  n->d[0] = v;
  bool need_b = n->in[1].fn, need_c = n->in[2].fn, ok = true;
  if (need_c) ok = lt_node_save(n, 1, c.in[1], false) == 0;   /* b */
  if (ok && (is_mul ? need_b : need_b || need_c)) ok = lt_node_save(n, 2, c.in[2], false) == 0;   /* c */
  if (!ok) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

/* ---- lerp: out = a + w (b - a) ---- */

static int lerp_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  double w = n->d[0];
  if (n->in[0].fn && !(grads[0] = to_input(n, 0, muls(g, 1 - w)))) return -1;
  if (n->in[1].fn && !(grads[1] = to_input(n, 1, muls(g, w)))) return -1;
  return 0;
}

lt_tensor *lt_ag_lerp(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double w) {
  if (out && !lt_is_float_dtype(out->dtype)) PAUSED(lt_tensor *, lt_lerp(out, a, b, w));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "lerp", out, 2, (const lt_tensor *[]){a, b});
  if (mode < 0) return NULL;
  lt_tensor *r = lt_lerp(c.target, c.in[0], c.in[1], w);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new("LerpBackward", lerp_backward, 2, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  n->d[0] = w;
  return lt_ag_finish(&c, r, n);
}

/* ---- where: out = cond ? a : b; cond gets no gradient ---- */

static int where_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  bool need_a = n->in[1].fn, need_b = n->in[2].fn;
  if (!need_a && !need_b) return 0;
  const lt_tensor *cond = lt_node_saved(n, 0);
  if (!cond) return -1;
  lt_tensor *zero = lt_zeros(0, NULL, g->dtype, g->device);
  if (!zero) return -1;
  int rc = 0;
  if (need_a && !(grads[1] = to_input(n, 1, lt_where(NULL, cond, g, zero)))) rc = -1;
  if (rc == 0 && need_b && !(grads[2] = to_input(n, 2, lt_where(NULL, cond, zero, g)))) rc = -1;
  lt_release(zero);
  return rc;
}

lt_tensor *lt_ag_where(lt_tensor *out, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b) {
  if (out && !lt_is_float_dtype(out->dtype)) PAUSED(lt_tensor *, lt_where(out, cond, a, b));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "where", out, 3, (const lt_tensor *[]){cond, a, b});
  if (mode < 0) return NULL;
  lt_tensor *r = lt_where(c.target, c.in[0], c.in[1], c.in[2]);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  lt_node *n = lt_node_new("WhereBackward", where_backward, 3, c.in);
  if (!n) { lt_release(r); return lt_ag_plain(&c, NULL); }
  if ((n->in[1].fn || n->in[2].fn) && lt_node_save(n, 0, c.in[0], false) < 0) {
    lt_node_release(n);
    lt_release(r);
    return lt_ag_plain(&c, NULL);
  }
  return lt_ag_finish(&c, r, n);
}

/* ---- copies and conversions: dst = src (any shape of the same size, dtype, device) ---- */

static int copy_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  lt_node_input *in = &n->in[0];
  if (!in->fn) return 0;
  lt_tensor *r;
  if (g->ndim == in->ndim && !memcmp(g->size, in->size, sizeof(int64_t) * in->ndim)) r = retained(g);
  else if (!(r = lt_reshape(g, in->ndim, in->size))) return -1;
  /* back to the source's dtype and device */
  if (!(r = lt_ag_match_input(r, in))) return -1;
  grads[0] = r;
  return 0;
}

int lt_ag_copy(lt_tensor *dst, const lt_tensor *src) {
  if (!lt_is_float_dtype(dst->dtype) || !src->storage) PAUSED(int, lt_copy(dst, src));
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "copy", dst, 1, &src);
  if (mode < 0) return -1;
  lt_tensor *r;
  if (c.target) r = lt_copy(dst, c.in[0]) < 0 ? NULL : retained(dst);
  else {  /* src aliases dst: copy into a fresh tensor, then into dst */
    r = lt_empty(dst->ndim, dst->size, dst->dtype, dst->device);
    if (r && lt_copy(r, c.in[0]) < 0) { lt_release(r); r = NULL; }
  }
  if (mode == LT_AG_PLAIN || !r) {
    lt_ag_plain(&c, r);
    lt_release(r);
    return r ? 0 : -1;
  }
  lt_node *n = lt_node_new("CopyBackward", copy_backward, 1, c.in);
  if (!n) { lt_release(r); lt_ag_plain(&c, NULL); return -1; }
  lt_tensor *res = lt_ag_finish(&c, r, n);
  if (!res) return -1;
  lt_release(res);
  return 0;
}

/* fill: the new values do not depend on the old ones, so a non-leaf's history goes (a
 * leaf that requires grad is simply updated) */
int lt_ag_fill(lt_tensor *t, double v) {
  lt_ag_ctx c;
  int mode = lt_ag_begin(&c, "fill", t, 0, NULL);
  if (mode < 0) return -1;
  int rc = lt_fill(t, v);
  if (mode == LT_AG_PLAIN || rc < 0) { lt_ag_plain(&c, NULL); return rc; }
  /* a node without inputs: attaching it drops t's history */
  lt_node *n = lt_node_new("FillBackward", NULL, 0, NULL);
  if (!n) { lt_ag_plain(&c, NULL); return -1; }
  lt_tensor *res = lt_ag_finish(&c, retained(t), n);
  if (!res) return -1;
  lt_release(res);
  return 0;
}
