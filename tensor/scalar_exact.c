/* scalar_exact.c: whole-number scalars with integer tensors, exactly.
 *
 * The engine's scalar arguments are doubles: exact for integers up to 2^53, and
 * lt_store saturates a value outside the tensor's type. That is wrong for int64 values
 * beyond 2^53 (nanosecond timestamps, hashes: LongTensor{2^60+1}:eq(2^60+1) was 0) and
 * for comparisons with a value the type cannot hold (IntTensor{2^31-1}:eq(2^32) was 1).
 * Here an integer tensor (int8 .. int64, uint8) and a whole scalar get, per op:
 *   comparisons            exact (a value outside the type compares the same way with
 *                          every element);
 *   cmax, cmin             the value saturated into the type (clamp's bounds: exact);
 *   add, sub, mul, bit ops the value's low bits in the type (arithmetic modulo 2^k);
 *   div, fmod, remainder,  the exact result on int64 values (wrapping in int64, as the
 *   pow, shifts            kernels do), taken as its low bits in the type.
 * In-range values up to 2^53 take the ordinary scalar path; the others a 0-dim tensor
 * operand (or an int64 computation), on the tensor's device. */
#include "internal.h"
#include <math.h>

#define TWO63 9223372036854775808.0

/* a whole scalar: its value in int64 when side == 0; else a double beyond int64 on that
 * side (+1 above, -1 below; infinities too) whose low 64 bits are bits; num, the number
 * as given (for messages) */
typedef struct { int64_t bits; int side; double num; } wide;

static bool int_type(lt_dtype t) {
  return t == LT_INT64 || t == LT_INT32 || t == LT_INT16 || t == LT_INT8 || t == LT_UINT8;
}
static bool is_cmp(lt_binary_op op) { return op >= LT_EQ && op <= LT_GE; }
/* the types this file serves for op: the integer types; a BoolTensor (0 and 1) for the
 * comparisons (BoolTensor{true}:eq(2) is 0) */
static bool served(lt_binary_op op, lt_dtype t) { return int_type(t) || (t == LT_BOOL && is_cmp(op)); }

static void type_range(lt_dtype t, int64_t *lo, int64_t *hi) {
  switch (t) {
  case LT_INT32: *lo = INT32_MIN; *hi = INT32_MAX; break;
  case LT_INT16: *lo = INT16_MIN; *hi = INT16_MAX; break;
  case LT_INT8: *lo = INT8_MIN; *hi = INT8_MAX; break;
  case LT_UINT8: *lo = 0; *hi = UINT8_MAX; break;
  case LT_BOOL: *lo = 0; *hi = 1; break;
  default: *lo = INT64_MIN; *hi = INT64_MAX; break;
  }
}

/* v's low bits in t's type, as an int64 holding that type's value */
static int64_t low_bits(lt_dtype t, int64_t v) {
  switch (t) {
  case LT_INT32: return (int32_t)(uint32_t)v;
  case LT_INT16: return (int16_t)(uint16_t)v;
  case LT_INT8: return (int8_t)(uint8_t)v;
  case LT_UINT8: return (uint8_t)v;
  default: return v;
  }
}

/* the ordinary scalar path is exact for v */
static bool plain_ok(lt_dtype t, int64_t v) {
  int64_t lo, hi;
  type_range(t, &lo, &hi);
  return v >= lo && v <= hi && v >= -((int64_t)1 << 53) && v <= (int64_t)1 << 53;
}

/* a 0-dim tensor of type t holding v (a value of t) on dev */
static lt_tensor *scalar_of(lt_dtype t, int64_t v, lt_device dev) {
  lt_tensor *s = lt_scalar_tensor(0, t, lt_cpu());
  if (!s) return NULL;
  switch (t) {
  case LT_INT64: *(int64_t *)lt_data(s) = v; break;
  case LT_INT32: *(int32_t *)lt_data(s) = (int32_t)v; break;
  case LT_INT16: *(int16_t *)lt_data(s) = (int16_t)v; break;
  case LT_INT8: *(int8_t *)lt_data(s) = (int8_t)v; break;
  default: *(uint8_t *)lt_data(s) = (uint8_t)v; break;
  }
  if (dev.type == LT_CPU) return s;
  lt_tensor *d = lt_to_device(s, dev);
  lt_release(s);
  return d;
}

/* a op v in a's type: the plain path when it is exact, else a 0-dim operand of type t
 * (a's type, or int64 when v does not fit a's type: then computed in int64 and taken
 * as its low bits in a's type) */
static lt_tensor *apply(lt_binary_op op, lt_tensor *out, const lt_tensor *a, int64_t v, bool reversed) {
  if (plain_ok(a->dtype, v)) return lt_binary_scalar(op, out, a, (double)v, reversed);
  int64_t lo, hi;
  type_range(a->dtype, &lo, &hi);
  bool fits = v >= lo && v <= hi;
  lt_tensor *a64 = fits ? (lt_retain((lt_tensor *)a), (lt_tensor *)a) : lt_to_dtype(a, LT_INT64);
  lt_tensor *s = a64 ? scalar_of(a64->dtype, v, a->device) : NULL;
  lt_tensor *r = NULL;
  if (s) {
    bool cmp = op >= LT_EQ && op <= LT_GE;
    if (fits) r = lt_binary(op, out, reversed ? s : a64, reversed ? a64 : s, 1);
    else {
      /* computed in int64, then its low bits in a's type (int64 -> narrower wraps), and
       * only then into out, whatever out's type */
      lt_tensor *r64 = lt_binary(op, NULL, reversed ? s : a64, reversed ? a64 : s, 1);
      r = r64 ? lt_to_dtype(r64, cmp ? LT_UINT8 : a->dtype) : NULL;
      lt_release(r64);
      r = lt_deliver(out, r, cmp ? LT_UINT8 : a->dtype);
    }
  }
  lt_release(s);
  lt_release(a64);
  return r;
}

/* a comparison whose answer is the same for every element: v lies beyond a's type on
 * side (+1 above, -1 below) */
static lt_tensor *compare_beyond(lt_binary_op op, lt_tensor *out, const lt_tensor *a, int side, bool reversed) {
  if (reversed) {   /* v op a is a op' v */
    if (op == LT_LT) op = LT_GT; else if (op == LT_GT) op = LT_LT;
    else if (op == LT_LE) op = LT_GE; else if (op == LT_GE) op = LT_LE;
  }
  bool val = op == LT_NE || ((op == LT_LT || op == LT_LE) && side > 0) ||
             ((op == LT_GT || op == LT_GE) && side < 0);
  lt_tensor *r = lt_empty(a->ndim, a->size, LT_UINT8, a->device);
  if (r && lt_fill(r, val) < 0) { lt_release(r); r = NULL; }
  return lt_deliver(out, r, LT_UINT8);
}

static lt_tensor *binary_wide(lt_binary_op op, lt_tensor *out, const lt_tensor *a, wide s, bool reversed) {
  const char *name = lt_binary_name(op);
  /* a result that cannot hold one (stride 0, from expand) is refused up front, naming the
   * op (the steps below would name theirs) */
  if (out && lt_same_size(out, a) && lt_check_writable(name, out == a ? "self" : "res", out) < 0) return NULL;
  int64_t lo, hi;
  type_range(a->dtype, &lo, &hi);
  switch (op) {
  case LT_EQ: case LT_NE: case LT_LT: case LT_LE: case LT_GT: case LT_GE: {
    int side = s.side ? s.side : s.bits > hi ? 1 : s.bits < lo ? -1 : 0;
    return side ? compare_beyond(op, out, a, side, reversed) : apply(op, out, a, s.bits, reversed);
  }
  case LT_MAX: case LT_MIN: {
    int64_t v = s.side > 0 ? hi : s.side < 0 ? lo : LT_MAX(lo, LT_MIN(hi, s.bits));
    return apply(op, out, a, v, reversed);
  }
  case LT_ADD: case LT_SUB: case LT_MUL: case LT_BITAND: case LT_BITOR: case LT_BITXOR:
    return apply(op, out, a, low_bits(a->dtype, s.bits), reversed);
  case LT_POW:
    /* an exponent beyond int64 is even (doubles past 2^53 are): x^(2^62) gives what it
     * gives modulo 2^64 (1 for odd x, 0 for even), 1/x^2 what a negative one gives */
    if (s.side && !reversed) return apply(op, out, a, s.side > 0 ? (int64_t)1 << 62 : -2, false);
    return apply(op, out, a, s.bits, reversed);
  case LT_LSHIFT: case LT_RSHIFT:
    if (s.side && !reversed) return apply(op, out, a, 64, false);   /* a count past the width */
    /* a number beyond int64 shifted left keeps its low bits' low bits; shifted right, the
     * bits above 2^64 would come down: refused, as div */
    if (s.side && op == LT_RSHIFT) goto beyond;
    return apply(op, out, a, s.bits, reversed);
  case LT_DIV: case LT_FMOD: case LT_REMAINDER:
    if (s.side) goto beyond;
    return apply(op, out, a, s.bits, reversed);
  default:   /* atan2 and the logical ops take the double path (lt_scalar_needs_exact) */
    return lt_binary_scalar(op, out, a, (double)s.bits, reversed);
  }
beyond:
  LT_FAIL(NULL, "%s: the number %g is beyond the int64 range (an integer %sTensor's operand "
          "must lie within -2^63 .. 2^63-1)", name, s.num, lt_dtype_name(a->dtype));
}

bool lt_scalar_needs_exact(lt_binary_op op, lt_dtype t, double s) {
  if (!served(op, t) || op == LT_ATAN2 || op == LT_LOGICAL_AND || op == LT_LOGICAL_OR) return false;
  if (isinf(s)) return is_cmp(op);   /* (stored in the type an infinity would saturate) */
  if (s != floor(s)) return false;   /* (NaN too) */
  int64_t lo, hi;
  type_range(t, &lo, &hi);
  return !(s >= (double)lo && s <= (double)hi) || (t == LT_INT64 && s >= TWO63);
}

lt_tensor *lt_binary_scalar_whole(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed) {
  wide w = {0, 0, s};
  if (s >= -TWO63 && s < TWO63) w.bits = (int64_t)s;
  else if (isinf(s)) w.side = s > 0 ? 1 : -1;
  else {
    /* the low 64 bits, exactly (fmod of doubles is exact) */
    double m = fmod(s, 18446744073709551616.0);
    if (m < 0) m += 18446744073709551616.0;
    w.bits = (int64_t)(m >= TWO63 ? (uint64_t)(m - TWO63) + (1ull << 63) : (uint64_t)m);
    w.side = s > 0 ? 1 : -1;
  }
  return binary_wide(op, out, a, w, reversed);
}

lt_tensor *lt_binary_scalar_int(lt_binary_op op, lt_tensor *out, const lt_tensor *a, int64_t s, bool reversed) {
  if (!served(op, a->dtype) || !a->storage || op == LT_ATAN2 || op == LT_LOGICAL_AND || op == LT_LOGICAL_OR || plain_ok(a->dtype, s))
    return lt_binary_scalar(op, out, a, (double)s, reversed);
  if ((unsigned)op >= LT_NBINARY) LT_FAIL(NULL, "binary: unknown op %d", (int)op);
  return binary_wide(op, out, a, (wide){s, 0, (double)s}, reversed);
}

/* ---- a whole number multiplying a tensor operand: add(value, u), addcmul, addcdiv ----
 * The engine takes the value as a double; beyond 2^53 an integer result needs the product
 * formed exactly (its low bits in the result type), then added. */
lt_tensor *lt_binary_alpha_int(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b,
                               int64_t alpha) {
  lt_dtype rt = lt_promote(a->dtype, b->dtype);
  if (!int_type(rt) || plain_ok(LT_INT64, alpha) || !a->storage || !b->storage || (op != LT_ADD && op != LT_SUB))
    return lt_binary(op, out, a, b, (double)alpha);
  lt_tensor *b2 = lt_to_dtype(b, rt);
  lt_tensor *p = b2 ? lt_binary_scalar_int(LT_MUL, NULL, b2, alpha, false) : NULL;
  lt_tensor *r = p ? lt_binary(op, out, a, p, 1) : NULL;
  lt_release(p);
  lt_release(b2);
  return r;
}

static lt_tensor *addc_int(bool mul, lt_tensor *out, const lt_tensor *a, int64_t v, const lt_tensor *b,
                           const lt_tensor *c) {
  lt_dtype rt = lt_promote(a->dtype, lt_promote(b->dtype, c->dtype));
  if (!int_type(rt) || plain_ok(LT_INT64, v) || !a->storage || !b->storage || !c->storage)
    return mul ? lt_addcmul(out, a, (double)v, b, c) : lt_addcdiv(out, a, (double)v, b, c);
  const char *name = mul ? "addcmul" : "addcdiv";
  if (out && lt_same_size(out, a) && lt_check_writable(name, out == a ? "self" : "res", out) < 0) return NULL;
  lt_tensor *p = lt_binary(mul ? LT_MUL : LT_DIV, NULL, b, c, 1);
  lt_tensor *q = p ? lt_binary_alpha_int(LT_ADD, out, a, p, v) : NULL;
  lt_release(p);
  if (!q) lt_seterr("%s: %s", name, lt_errmsg());
  return q;
}
lt_tensor *lt_addcmul_int(lt_tensor *out, const lt_tensor *a, int64_t v, const lt_tensor *b, const lt_tensor *c) {
  return addc_int(true, out, a, v, b, c);
}
lt_tensor *lt_addcdiv_int(lt_tensor *out, const lt_tensor *a, int64_t v, const lt_tensor *b, const lt_tensor *c) {
  return addc_int(false, out, a, v, b, c);
}

/* ---- fills: an int64 value beyond 2^53 ----
 * Marked positions are set to 0, marked again with 1 in an int64 indicator, and
 * indicator * v is added: each step exact, and each reuses the fill's own checks. */
typedef int (*mark_fn)(lt_tensor *t, const void *ctx, double v);

typedef struct { const char *name; int dim; const lt_tensor *index, *mask; } fill_ctx;

static int fill_exact(lt_tensor *t, int64_t v, mark_fn mark, const fill_ctx *ctx) {
  if (t->dtype != LT_INT64 || plain_ok(LT_INT64, v) || !t->storage) return mark(t, ctx, (double)v);
  if (lt_internal_overlap(t)) {
    /* several elements at one address (stride 0, from expand): a fill gives them all the
     * value, so fill the view with one element per address; the other fills are refused
     * before anything is written */
    if (!ctx->mask && !ctx->index) {
      lt_tensor *d = lt_alias(t);
      if (!d) return -1;
      for (int i = 0; i < d->ndim; i++)
        if (d->stride[i] == 0) d->size[i] = 1;
      int rc = lt_internal_overlap(d) ? 1 : fill_exact(d, v, mark, ctx);
      lt_release(d);
      if (rc <= 0) return rc;
    }
    if (lt_check_writable(ctx->name, "self", t) < 0) return -1;
  }
  if (mark(t, ctx, 0) < 0) return -1;
  lt_tensor *ind = lt_zeros(t->ndim, t->size, LT_INT64, t->device);
  lt_tensor *s = ind ? scalar_of(LT_INT64, v, t->device) : NULL;
  int rc = -1;
  if (s && mark(ind, ctx, 1) == 0) {
    lt_tensor *p = lt_binary(LT_MUL, ind, ind, s, 1);
    lt_release(p);
    lt_tensor *q = p ? lt_binary(LT_ADD, t, t, ind, 1) : NULL;
    rc = q ? 0 : -1;
    lt_release(q);
  }
  lt_release(s);
  lt_release(ind);
  return rc;
}

static int mark_all(lt_tensor *t, const void *c, double v) { (void)c; return lt_fill(t, v); }
static int mark_masked(lt_tensor *t, const void *c, double v) {
  return lt_masked_fill(t, ((const fill_ctx *)c)->mask, v);
}
static int mark_index(lt_tensor *t, const void *c, double v) {
  const fill_ctx *f = c;
  return lt_index_fill(t, f->dim, f->index, v);
}
static int mark_scatter(lt_tensor *t, const void *c, double v) {
  const fill_ctx *f = c;
  return lt_scatter_fill(t, f->dim, f->index, v);
}

lt_tensor *lt_clamp_int(lt_tensor *out, const lt_tensor *a, const int64_t *lo, const int64_t *hi) {
  if (lo && hi && *lo > *hi)
    LT_FAIL(NULL, "clamp: min %lld is larger than max %lld", (long long)*lo, (long long)*hi);
  if (!int_type(a->dtype) || ((!lo || plain_ok(a->dtype, *lo)) && (!hi || plain_ok(a->dtype, *hi))))
    return lt_clamp(out, a, lo ? (double)*lo : NAN, hi ? (double)*hi : NAN);
  lt_tensor *r;
  if (lo) r = lt_binary_scalar_int(LT_MAX, out, a, *lo, false);
  else r = out ? (lt_resize_as(out, a) < 0 || lt_copy(out, a) < 0 ? NULL : (lt_retain(out), out)) : lt_clone(a);
  if (r && hi) {
    lt_tensor *r2 = lt_binary_scalar_int(LT_MIN, r, r, *hi, false);
    lt_release(r);
    r = r2;
  }
  return r;
}

int lt_fill_int(lt_tensor *t, int64_t v) { return fill_exact(t, v, mark_all, &(fill_ctx){"fill", 0, NULL, NULL}); }
int lt_masked_fill_int(lt_tensor *t, const lt_tensor *mask, int64_t v) {
  return fill_exact(t, v, mark_masked, &(fill_ctx){"maskedFill", 0, NULL, mask});
}
int lt_index_fill_int(lt_tensor *t, int dim, const lt_tensor *index, int64_t v) {
  return fill_exact(t, v, mark_index, &(fill_ctx){"indexFill", dim, index, NULL});
}
int lt_scatter_fill_int(lt_tensor *t, int dim, const lt_tensor *index, int64_t v) {
  return fill_exact(t, v, mark_scatter, &(fill_ctx){"scatter", dim, index, NULL});
}
