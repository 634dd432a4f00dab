/* numerics.c: finding NaN and Inf (isnan, isinf, isfinite, lt_nonfinite) and autograd's
 * anomaly mode, which checks every recorded op's output and every gradient a backward
 * function computes, and names the op that made the first NaN/Inf.
 *
 * The masks are compositions of comparisons (a != a is NaN; |a| == inf; a - a == 0 is
 * finite), so they run on every device and dtype. lt_nonfinite scans CPU tensors in place
 * (one vectorizable pass: x * 0 is NaN exactly when x is NaN or Inf, then a second pass
 * only when something was found) and composes on other devices. Anomaly mode costs one
 * branch per recorded op when off. */
#include "autograd.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

bool lt_anomaly_on = false;
static bool anomaly_inf = true;   /* Inf counts as an anomaly too (else NaN alone) */

bool lt_set_detect_anomaly(bool on, bool check_inf) {
  bool prev = lt_anomaly_on;
  lt_anomaly_on = on;
  anomaly_inf = check_inf;
  return prev;
}
bool lt_anomaly_enabled(void) { return lt_anomaly_on; }
bool lt_anomaly_checks_inf(void) { return anomaly_inf; }

/* ---- masks ---- */

/* runs a composition with grad mode paused (the masks are never recorded) */
static lt_tensor *mask_op(int kind, lt_tensor *out, const lt_tensor *a) {
  static const char *names[] = {"isnan", "isinf", "isfinite"};
  if (!a) LT_FAIL(NULL, "%s: expected a tensor", names[kind]);
  bool p = lt_grad_pause();
  lt_tensor *r;
  if (!lt_dtype_is_float(a->dtype)) {
    /* integers and bools: never NaN or Inf (a != a is all false, a == a all true) */
    r = lt_binary(kind == 2 ? LT_EQ : LT_NE, out, a, a, 1);
  } else if (kind == 0) {
    r = lt_binary(LT_NE, out, a, a, 1);
  } else if (kind == 1) {
    lt_tensor *m = lt_unary(LT_ABS, NULL, a);
    r = m ? lt_binary_scalar(LT_EQ, out, m, INFINITY, false) : NULL;
    lt_release(m);
  } else {
    lt_tensor *d = lt_binary(LT_SUB, NULL, a, a, 1);
    r = d ? lt_binary_scalar(LT_EQ, out, d, 0, false) : NULL;
    lt_release(d);
  }
  lt_grad_resume(p);
  return r;
}
lt_tensor *lt_isnan(lt_tensor *out, const lt_tensor *a) { return mask_op(0, out, a); }
lt_tensor *lt_isinf(lt_tensor *out, const lt_tensor *a) { return mask_op(1, out, a); }
lt_tensor *lt_isfinite(lt_tensor *out, const lt_tensor *a) { return mask_op(2, out, a); }

/* ---- scanning ---- */

typedef struct { int flags; } scan_ctx;

#define SCAN_FLOAT(NAME, T)                                                             \
  static void NAME(char **d, const int64_t *st, int64_t n, void *vc) {                   \
    const char *p = d[0];                                                                \
    int64_t s = st[0];                                                                   \
    T acc = 0;                                                                           \
    if (s == (int64_t)sizeof(T)) {                                                       \
      const T *x = (const T *)p;                                                         \
      _Pragma("omp simd reduction(+:acc)")                                               \
      for (int64_t i = 0; i < n; i++) acc += x[i] * (T)0;                                \
    } else                                                                               \
      for (int64_t i = 0; i < n; i++) acc += *(const T *)(p + i * s) * (T)0;             \
    if (acc == acc) return;   /* all finite */                                           \
    int f = 0;                                                                           \
    for (int64_t i = 0; i < n && f != (LT_HAS_NAN | LT_HAS_INF); i++) {                 \
      T v = *(const T *)(p + i * s);                                                     \
      if (v != v) f |= LT_HAS_NAN;                                                       \
      else if (v - v != 0) f |= LT_HAS_INF;                                              \
    }                                                                                    \
    _Pragma("omp atomic")                                                                \
    ((scan_ctx *)vc)->flags |= f;                                                        \
  }
SCAN_FLOAT(scan_float, float)
SCAN_FLOAT(scan_double, double)

/* float16 / bfloat16: exponent bits all ones is Inf (mantissa 0) or NaN */
#define SCAN_HALF(NAME, EXPMASK, MANTMASK)                                               \
  static void NAME(char **d, const int64_t *st, int64_t n, void *vc) {                   \
    int f = 0;                                                                           \
    for (int64_t i = 0; i < n; i++) {                                                    \
      uint16_t h = *(const uint16_t *)(d[0] + i * st[0]);                                \
      if ((h & EXPMASK) == EXPMASK) f |= (h & MANTMASK) ? LT_HAS_NAN : LT_HAS_INF;       \
    }                                                                                    \
    if (f) {                                                                             \
      _Pragma("omp atomic")                                                              \
      ((scan_ctx *)vc)->flags |= f;                                                      \
    }                                                                                    \
  }
SCAN_HALF(scan_half, 0x7c00, 0x03ff)
SCAN_HALF(scan_bf16, 0x7f80, 0x007f)

/* a device tensor: the masks, reduced (any) */
static int nonfinite_composed(const lt_tensor *t) {
  int flags = 0;
  for (int k = 0; k < 2; k++) {
    lt_tensor *m = k == 0 ? lt_isnan(NULL, t) : lt_isinf(NULL, t);
    double any = 0;
    int rc = m ? lt_reduce_all(LT_RANY, m, 0, &any) : -1;
    lt_release(m);
    if (rc < 0) return -1;
    if (any != 0) flags |= k == 0 ? LT_HAS_NAN : LT_HAS_INF;
  }
  return flags;
}

int lt_nonfinite(const lt_tensor *t) {
  if (!t) LT_FAIL(-1, "hasNaN: expected a tensor");
  if (!lt_dtype_is_float(t->dtype) || !t->storage || lt_numel(t) == 0) return 0;
  if (t->device.type != LT_CPU) {
    bool p = lt_grad_pause();
    int r = nonfinite_composed(t);
    lt_grad_resume(p);
    return r;
  }
  lt_loop_fn fn = t->dtype == LT_FLOAT32 ? scan_float : t->dtype == LT_FLOAT64 ? scan_double
                : t->dtype == LT_FLOAT16 ? scan_half : scan_bf16;
  scan_ctx c = {0};
  lt_iter it;
  lt_iter_init(&it, 1, &t);
  lt_iter_run(&it, fn, &c, LT_PARALLEL_GRAIN);
  return c.flags;
}

/* ---- anomaly mode ---- */

/* the op's name from its node's: "LogSoftmaxBackward" -> "logSoftmax" */
static const char *op_name(const lt_node *n, char *buf, size_t cap) {
  const char *name = n->name ? n->name : "an op";
  size_t len = strlen(name), suf = strlen("Backward");
  if (len > suf && !strcmp(name + len - suf, "Backward") && len - suf < cap) {
    memcpy(buf, name, len - suf);
    buf[len - suf] = 0;
    if (buf[0] >= 'A' && buf[0] <= 'Z') buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
  }
  return name;
}

/* the flags that count as an anomaly: NaN, and Inf unless only NaN is checked */
static int bad_flags(const lt_tensor *t) {
  if (!t || !lt_dtype_is_float(t->dtype)) return 0;
  bool p = lt_grad_pause();
  int f = lt_nonfinite(t);
  lt_grad_resume(p);
  if (f < 0) return -1;
  return anomaly_inf ? f : f & LT_HAS_NAN;
}

static const char *what(int f) { return f & LT_HAS_NAN ? "NaN" : "Inf"; }

/* the node being backwarded (its formula's own ops then say so), or NULL in forward */
static const lt_node *in_backward;

static void context(char *buf, size_t cap) {
  buf[0] = 0;
  if (in_backward) {
    char nb[96];
    snprintf(buf, cap, " (while computing the backward of %s)", op_name(in_backward, nb, sizeof nb));
  }
}

int lt_anomaly_inputs(int n, const lt_tensor *const *ins) {
  for (int i = 0; i < n; i++) {
    const lt_tensor *t = ins[i];
    /* an input made by a recorded op was checked when it was made */
    if (!t || (t->grad_fn && !t->grad_fn->is_acc)) continue;
    int f = bad_flags(t);
    if (f > 0) return i + 1;   /* (a failed scan only loses the annotation) */
  }
  return 0;
}

int lt_anomaly_forward(const lt_node *n, const lt_tensor *r) {
  int f = bad_flags(r);
  if (f <= 0) return f;
  char nb[96], ctx[160], from[160] = "";
  context(ctx, sizeof ctx);
  if (n->anomaly_input)
    snprintf(from, sizeof from, " (its argument %d, which has no recorded history, already held NaN or Inf)",
             n->anomaly_input);
  LT_FAIL(-1, "anomaly: %s produced %s in %s%s%s", op_name(n, nb, sizeof nb), what(f),
          in_backward ? "a backward formula" : "forward", ctx, from);
}

int lt_anomaly_run_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  if (!n->backward) return 0;
  const lt_node *prev = in_backward;
  in_backward = n;
  int rc = n->backward(n, g, grads);
  in_backward = prev;
  if (rc < 0) return -1;
  for (int k = 0; k < n->ninputs; k++) {
    int f = bad_flags(grads[k]);
    if (f < 0) return -1;
    if (!f) continue;
    char nb[96];
    /* was it already in the incoming gradient? then an earlier node (or gradOutput) made it */
    int fg = bad_flags(g);
    LT_FAIL(-1, "anomaly: the backward of %s (%s) produced %s in its gradient for argument %d%s",
            op_name(n, nb, sizeof nb), n->name, what(f), k + 1,
            fg > 0 ? " (the gradient it received already held NaN or Inf)" : "");
  }
  return 0;
}
