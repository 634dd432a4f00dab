/* pointwise.c: entry points of the elementwise ops: checks, dtype promotion,
 * broadcasting, the result tensor, then the backend's kernel. */
#include "pointwise.h"
#include "autograd.h"
#include <math.h>

static const char *unary_names[LT_NUNARY] = {
  "neg", "abs", "sign", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan",
  "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "floor", "ceil", "round", "trunc",
  "frac", "cinv", "log2", "log10", "exp2", "square", "logicalNot"};
static const char *binary_names[LT_NBINARY] = {
  "add", "sub", "mul", "div", "pow", "fmod", "remainder", "atan2", "cmax", "cmin", "bitand",
  "bitor", "bitxor", "lshift", "rshift", "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr"};
const char *lt_unary_name(lt_unary_op op) { return (unsigned)op < LT_NUNARY ? unary_names[op] : "?"; }
const char *lt_binary_name(lt_binary_op op) { return (unsigned)op < LT_NBINARY ? binary_names[op] : "?"; }

static inline bool is_compare(lt_binary_op op) { return op >= LT_EQ && op <= LT_GE; }

/* run a loop over same-shape operands: flat when all contiguous, else the iterator */
static void run_loop(lt_loop_fn fn, int nop, const lt_tensor *const *ops, void *ctx) {
  bool flat = true;
  for (int k = 0; k < nop && flat; k++) flat = lt_is_contiguous(ops[k]);
  int64_t n = lt_numel(ops[0]);
  if (flat && (n < LT_PARALLEL_GRAIN || lt_threads() == 1)) {
    char *d[LT_ITER_MAXOP];
    int64_t s[LT_ITER_MAXOP];
    for (int k = 0; k < nop; k++) { d[k] = (char *)lt_data(ops[k]); s[k] = (int64_t)lt_dtype_size(ops[k]->dtype); }
    if (n) fn(d, s, n, ctx);
    return;
  }
  lt_iter it;
  lt_iter_init(&it, nop, ops);
  lt_iter_run(&it, fn, ctx, LT_PARALLEL_GRAIN);
}

int lt_cpu_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a) {
  lt_loop_fn fn = lt_unary_loops[op][a->dtype];
  if (!fn) LT_FAIL(-1, "%s: not defined for %sTensor", unary_names[op], lt_dtype_name(a->dtype));
  const lt_tensor *ops[2] = {out, a};
  int64_t numel = lt_numel(out);   /* the vector loops stream results bigger than the cache */
  run_loop(fn, 2, ops, &numel);
  return 0;
}

int lt_cpu_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha) {
  lt_loop_fn fn = lt_binary_loops[op][a->dtype];
  if (!fn) LT_FAIL(-1, "%s: not defined for %sTensor", binary_names[op], lt_dtype_name(a->dtype));
  const lt_tensor *ops[3] = {out, a, b};
  run_loop(fn, 3, ops, &alpha);
  return 0;
}

int lt_cpu_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed) {
  lt_loop_fn fn = lt_binary_loops[op][a->dtype];
  if (!fn) LT_FAIL(-1, "%s: not defined for %sTensor", binary_names[op], lt_dtype_name(a->dtype));
  union { double d; int64_t i; float f; char c[8]; } buf;
  lt_store(a->dtype, buf.c, s);
  lt_tensor sv;
  lt_view_init(&sv, a);
  sv.storage = NULL;
  /* a stride-0 view of the scalar, shaped like a */
  for (int i = 0; i < a->ndim; i++) sv.stride[i] = 0;
  lt_storage st = {.refcount = 1, .dtype = a->dtype, .device = a->device, .data = buf.c, .size = 1};
  sv.storage = &st;
  sv.offset = 0;
  double alpha = 1;
  if (lt_is_contiguous(a) && lt_is_contiguous(out) && lt_numel(a) < LT_PARALLEL_GRAIN) {
    char *d[3] = {(char *)lt_data(out), reversed ? buf.c : (char *)lt_data(a), reversed ? (char *)lt_data(a) : buf.c};
    int64_t es = (int64_t)lt_dtype_size(a->dtype);
    int64_t str[3] = {(int64_t)lt_dtype_size(out->dtype), reversed ? 0 : es, reversed ? es : 0};
    int64_t n = lt_numel(a);
    if (n) fn(d, str, n, &alpha);
    return 0;
  }
  const lt_tensor *ops[3] = {out, reversed ? &sv : a, reversed ? a : &sv};
  lt_iter it;
  lt_iter_init(&it, 3, ops);
  lt_iter_run(&it, fn, &alpha, LT_PARALLEL_GRAIN);
  return 0;
}

/* ---- entry points ---- */

/* ---- result tensors and memory overlap ----
 * A caller's out tensor is written element by element while the inputs are read. That is
 * right when out is apart from every input, or is one of them exactly (in place: element i
 * is read before it is written). Any other sharing (a shifted, transposed or broadcast view
 * of an input) would read elements already overwritten, so the op then computes into a
 * new tensor and copies that into out: the result is as if the inputs were read first.
 * An out with a stride-0 dim (from expand) holds several elements at one address and is
 * refused. */

/* the name of a caller's out in errors: self for the in-place (method) form */
static const char *out_what(const lt_tensor *out, const lt_tensor *a, const lt_tensor *b) {
  return out == a || out == b ? "self" : "res";
}

/* out (resized) shares memory with in other than as in itself */
static bool clashes(const lt_tensor *o, const lt_tensor *in) {
  if (o == in) return false;   /* in place: the common case, decided without the spans */
  return in && lt_may_overlap(o, in) && !lt_same_layout(o, in);
}

/* the tensor to compute into: a new one when out is NULL; else out resized, or a new
 * temporary when out clashes with one of the inputs a, b, c (NULL: none) */
/* out can be written as it is: of the result's type, device and shape, contiguous (so no
 * stride 0), and each input out itself or on another buffer it owns (the common in-place
 * and result-tensor cases, decided without resizing or comparing spans) */
static bool out_ready(const lt_tensor *out, int nd, const int64_t *size, lt_dtype dt, lt_device dev,
                      const lt_tensor *const *ins) {
  if (out->dtype != dt || out->ndim != nd || !out->storage || !out->storage->owned ||
      !lt_same_device(out->device, dev) || memcmp(out->size, size, sizeof(int64_t) * (size_t)nd) ||
      !lt_is_contiguous(out))
    return false;
  for (int i = 0; i < 3; i++) {
    const lt_tensor *in = ins[i];
    if (in && in != out && (!in->storage || in->storage == out->storage || !in->storage->owned))
      return false;
  }
  return true;
}

static lt_tensor *target_out(const char *name, lt_tensor *out, int nd, const int64_t *size,
                             lt_dtype dt, lt_device dev, const lt_tensor *a, const lt_tensor *b,
                             const lt_tensor *c) {
  if (out && out_ready(out, nd, size, dt, dev, (const lt_tensor *[]){a, b, c})) {
    lt_retain(out);
    return out;
  }
  /* an out already of the result's shape keeps its strides: one with a stride 0 is
   * refused here, naming it as the caller passed it (self or res) */
  if (out && lt_internal_overlap(out) && out->ndim == nd &&
      !memcmp(out->size, size, sizeof(int64_t) * (size_t)nd) &&
      lt_check_writable(name, out_what(out, a, b), out) < 0)
    return NULL;
  lt_tensor *o = lt_prepare_out(name, out, nd, size, dt, dev);
  if (!o || !out || !(clashes(o, a) || clashes(o, b) || clashes(o, c))) return o;
  lt_release(o);
  return lt_empty(nd, size, dt, dev);
}

/* o computed (from target_out): the result, out itself when given (o copied into it when
 * o was a temporary); takes o's reference */
static lt_tensor *finish_out(lt_tensor *out, lt_tensor *o) {
  if (!out || o == out) { lt_bump_version(o); return o; }
  int rc = lt_copy(out, o);   /* bumps out's version */
  lt_release(o);
  if (rc < 0) return NULL;
  lt_retain(out);
  return out;
}

/* Torch7's empty tensor (no storage, no dims) in, empty out */
static lt_tensor *empty_result(lt_tensor *out, lt_dtype dt, lt_device dev) {
  if (out) { lt_retain(out); return out; }
  return lt_new_empty(dt, dev);
}

lt_tensor *lt_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a) {
  if ((unsigned)op >= LT_NUNARY) LT_FAIL(NULL, "unary: unknown op %d", (int)op);
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_unary(op, out, a);
  if (!a->storage) return empty_result(out, a->dtype, a->device);
  if (lt_is_half(a->dtype)) {
    lt_tensor *af = lt_to_dtype(a, LT_FLOAT32);
    if (!af) return NULL;
    lt_tensor *r = lt_unary(op, NULL, af);
    lt_release(af);
    return lt_deliver(out, r, a->dtype);
  }
  if (out && out != a && out->dtype != a->dtype) {
    lt_tensor *r = lt_unary(op, NULL, a);
    return lt_deliver(out, r, out->dtype);
  }
  const lt_backend *be = lt_backend_for(a->device);
  if (!be) return NULL;
  lt_tensor *o = target_out(unary_names[op], out, a->ndim, a->size, a->dtype, a->device, a, NULL, NULL);
  if (!o) return NULL;
  if (be->unary(op, o, a) < 0) { lt_release(o); return NULL; }
  return finish_out(out, o);
}

/* For the small-op fast path: 1 when t is contiguous with other's shape, 0 when t is one
 * value broadcast over other (one element and no more dims, or an expanded scalar), -1
 * otherwise. */
static int small_stride(const lt_tensor *t, const lt_tensor *other) {
  if (lt_same_size(t, other)) {
    if (lt_is_contiguous(t)) return 1;
    for (int i = 0; i < t->ndim; i++) if (t->stride[i] != 0 && t->size[i] != 1) return -1;
    return 0;
  }
  if (t->ndim <= other->ndim && lt_numel(t) == 1) return 0;
  return -1;
}
/* out can take the fast path's result in place: contiguous, of the result's shape and
 * type, and each operand either out itself or apart from it (a storage view can share
 * another storage's memory, so not only the storages decide) */
static bool fast_out(const lt_tensor *out, const lt_tensor *shape, lt_dtype dt, const lt_tensor *a, const lt_tensor *b) {
  if (out->dtype != dt || !out->storage || !lt_same_size(out, shape) || !lt_is_contiguous(out)) return false;
  return (out == a || !lt_may_overlap(out, a)) && (out == b || !lt_may_overlap(out, b));
}

lt_tensor *lt_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha) {
  if ((unsigned)op >= LT_NBINARY) LT_FAIL(NULL, "binary: unknown op %d", (int)op);
  if (LT_AG_OUT(out, a->requires_grad || b->requires_grad)) return lt_ag_binary(op, out, a, b, alpha);
  /* the small common case first (a + b at the REPL, in small models, and the gradient
   * arithmetic of backward): same type, on the CPU, each operand contiguous or a single
   * broadcast value, a new result or a contiguous out: straight to the typed loop */
  if (a->dtype == b->dtype && a->device.type == LT_CPU && b->device.type == LT_CPU && a->storage && b->storage) {
    int64_t sa = 1, sb = 1;
    if (!(lt_same_size(a, b) && lt_is_contiguous(a) && lt_is_contiguous(b))) {  /* the commonest case first */
      sa = small_stride(a, b);
      sb = small_stride(b, a);
    }
    const lt_tensor *shape = sa == 0 && sb != 0 ? b : a;
    bool cmp = is_compare(op);
    lt_loop_fn fn = lt_binary_loops[op][a->dtype];
    if (sa >= 0 && sb >= 0 && fn && (!out || fast_out(out, shape, cmp ? LT_UINT8 : a->dtype, a, b))) {
      int64_t n = lt_numel(shape);
      if (n < LT_PARALLEL_GRAIN) {
        lt_tensor *o = out;
        if (o) lt_retain(o);
        else if (!(o = lt_empty(shape->ndim, shape->size, cmp ? LT_UINT8 : a->dtype, a->device))) return NULL;
        char *d[3] = {(char *)lt_data(o), (char *)lt_data(a), (char *)lt_data(b)};
        int64_t es = (int64_t)lt_dtype_size(a->dtype), st[3] = {cmp ? 1 : es, sa ? es : 0, sb ? es : 0};
        if (n) fn(d, st, n, &alpha);
        if (out) lt_bump_version(o);
        return o;
      }
    }
  }
  const char *name = binary_names[op];
  if (lt_check_same_device(name, a, b) < 0) return NULL;
  bool cmp = is_compare(op);
  if (!a->storage || !b->storage) {
    /* an empty tensor combines only with another without elements (Torch7: "inconsistent
     * tensor size"; PyTorch does not broadcast (0,) with (3,)), never as a no-op */
    if (lt_numel(a) == 0 && lt_numel(b) == 0)
      return empty_result(out, cmp ? LT_UINT8 : lt_promote(a->dtype, b->dtype), a->device);
    char b1[128], b2[128];
    const lt_tensor *e = a->storage ? b : a, *f = a->storage ? a : b;
    LT_FAIL(NULL, "%s: an empty tensor (%s%s, no elements) cannot be combined with a tensor of "
            "size %s (inconsistent tensor size; expected both empty)", name, e->ndim ? "size " : "no dimensions",
            e->ndim ? lt_shape_str(e, b1, sizeof b1) : "", lt_shape_str(f, b2, sizeof b2));
  }
  /* the dtype to compute in: the promoted one, or out's for an arithmetic op writing into out */
  lt_dtype ct = lt_promote(a->dtype, b->dtype);
  if (out && !cmp) ct = out->dtype;
  lt_dtype rt = cmp ? (out ? out->dtype : LT_UINT8) : ct;
  if (cmp && rt != LT_UINT8 && rt != LT_BOOL) {
    /* Torch7's ltTensorT: 0/1 written into a result of any type */
    lt_tensor *r = lt_binary(op, NULL, a, b, alpha);
    return lt_deliver(out, r, rt);
  }
  if (lt_is_half(ct) && op >= LT_BITAND && op <= LT_BITXOR)   /* named before half -> float */
    LT_FAIL(NULL, "%s: not defined for %sTensor (integer types only)", name, lt_dtype_name(ct));
  if (lt_is_half(ct)) {
    lt_tensor *af = lt_to_dtype(a, LT_FLOAT32), *bf = af ? lt_to_dtype(b, LT_FLOAT32) : NULL;
    lt_tensor *r = bf ? lt_binary(op, NULL, af, bf, alpha) : NULL;
    lt_release(af); lt_release(bf);
    return lt_deliver(out, r, rt);
  }
  if (lt_dtype_is_float(ct) && op >= LT_BITAND && op <= LT_BITXOR)
    LT_FAIL(NULL, "%s: not defined for %sTensor (integer types only)", name, lt_dtype_name(ct));
  int64_t size[LT_MAXDIM];
  int nd;
  if (a->ndim == b->ndim && lt_same_size(a, b)) { nd = a->ndim; memcpy(size, a->size, sizeof(int64_t) * nd); }
  else if ((nd = lt_broadcast_shape(name, a, b, size)) < 0) {
    /* Torch7: operands with the same number of elements combine whatever their sizes,
     * b read in a's shape; used only where broadcasting does not apply */
    if (lt_numel(a) != lt_numel(b)) return NULL;
    lt_tensor *bv = lt_reshape(b, a->ndim, a->size);
    if (!bv) return NULL;
    lt_tensor *r = lt_binary(op, out, a, bv, alpha);
    lt_release(bv);
    return r;
  }
  if (out && (out == a || out == b)) {
    /* in place: the result must have out's shape */
    if (out->ndim != nd || memcmp(out->size, size, sizeof(int64_t) * nd)) {
      char b1[128], b2[128];
      LT_FAIL(NULL, "%s: in-place result of size %s cannot hold the broadcast of %s", name,
              lt_shape_str(out, b1, sizeof b1), lt_shape_str(out == a ? b : a, b2, sizeof b2));
    }
  }
  const lt_backend *be = lt_backend_for(a->device);
  if (!be) return NULL;
  lt_tensor *ac = NULL, *bc = NULL;
  if (a->dtype != ct && !(ac = lt_to_dtype(a, ct))) return NULL;
  if (b->dtype != ct && !(bc = lt_to_dtype(b, ct))) { lt_release(ac); return NULL; }
  const lt_tensor *A = ac ? ac : a, *B = bc ? bc : b;
  /* A and B as converted: a converted copy never clashes with out */
  lt_tensor *o = target_out(name, out, nd, size, rt, a->device, A, B, NULL);
  int rc = -1;
  if (o) {
    lt_tensor va, vb;
    if (A->ndim != nd || !lt_same_size(A, o)) { lt_broadcast_view(A, nd, size, &va); A = &va; }
    if (B->ndim != nd || !lt_same_size(B, o)) { lt_broadcast_view(B, nd, size, &vb); B = &vb; }
    rc = be->binary(op, o, A, B, alpha);
  }
  lt_release(ac);
  lt_release(bc);
  if (rc < 0) { lt_release(o); return NULL; }
  return finish_out(out, o);
}

lt_tensor *lt_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed) {
  if ((unsigned)op >= LT_NBINARY) LT_FAIL(NULL, "binary: unknown op %d", (int)op);
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_binary_scalar(op, out, a, s, reversed);
  const char *name = binary_names[op];
  bool cmp = is_compare(op);
  if (!a->storage) return empty_result(out, cmp ? LT_UINT8 : a->dtype, a->device);
  if (lt_dtype_is_float(a->dtype) && op >= LT_BITAND && op <= LT_BITXOR)   /* before half -> float */
    LT_FAIL(NULL, "%s: not defined for %sTensor (integer types only)", name, lt_dtype_name(a->dtype));
  if (!lt_dtype_is_float(a->dtype) && lt_scalar_needs_exact(op, a->dtype, s))
    return lt_binary_scalar_whole(op, out, a, s, reversed);
  if (lt_is_half(a->dtype) || (cmp && !lt_dtype_is_float(a->dtype) && s != floor(s))) {
    /* compute in float: half storage, or an integer tensor compared with a fraction */
    lt_dtype ft = lt_is_half(a->dtype) ? LT_FLOAT32 : LT_FLOAT64;
    lt_tensor *af = lt_to_dtype(a, ft);
    lt_tensor *r = af ? lt_binary_scalar(op, NULL, af, s, reversed) : NULL;
    lt_release(af);
    return lt_deliver(out, r, cmp ? LT_UINT8 : a->dtype);
  }
  if (lt_dtype_is_float(a->dtype) && op >= LT_BITAND && op <= LT_BITXOR)
    LT_FAIL(NULL, "%s: not defined for %sTensor (integer types only)", name, lt_dtype_name(a->dtype));
  lt_dtype rt = cmp ? (out ? out->dtype : LT_UINT8) : a->dtype;
  if (cmp && rt != LT_UINT8 && rt != LT_BOOL) {
    lt_tensor *r = lt_binary_scalar(op, NULL, a, s, reversed);
    return lt_deliver(out, r, rt);
  }
  if (!cmp && out && out != a && out->dtype != a->dtype) {
    lt_tensor *r = lt_binary_scalar(op, NULL, a, s, reversed);
    return lt_deliver(out, r, out->dtype);
  }
  const lt_backend *be = lt_backend_for(a->device);
  if (!be) return NULL;
  lt_tensor *o = target_out(name, out, a->ndim, a->size, rt, a->device, a, NULL, NULL);
  if (!o) return NULL;
  if (be->binary_scalar(op, o, a, s, reversed) < 0) { lt_release(o); return NULL; }
  return finish_out(out, o);
}

/* ---- composite ops (built from the primitives; fused kernels can come later) ---- */
lt_tensor *lt_clamp(lt_tensor *out, const lt_tensor *a, double lo, double hi) {
  if (!isnan(lo) && !isnan(hi) && lo > hi) LT_FAIL(NULL, "clamp: min %g is larger than max %g", lo, hi);
  if (out && lt_same_size(out, a) && lt_check_writable("clamp", out_what(out, a, NULL), out) < 0) return NULL;
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_clamp(out, a, lo, hi);
  if (!isnan(lo) && !isnan(hi) && a->storage && a->device.type == LT_CPU && lt_clamp_loops[a->dtype] &&
      (!out || out->dtype == a->dtype)) {
    /* both bounds on the CPU: one pass (the bounds stored in the type as cmax/cmin store
     * them: rounded, saturated) */
    lt_tensor *o = target_out("clamp", out, a->ndim, a->size, a->dtype, a->device, a, NULL, NULL);
    if (!o) return NULL;
    _Alignas(8) char bounds[16];
    lt_store(a->dtype, bounds, lo);
    lt_store(a->dtype, bounds + 8, hi);
    run_loop(lt_clamp_loops[a->dtype], 2, (const lt_tensor *[]){o, a}, bounds);
    return finish_out(out, o);
  }
  lt_tensor *r = NULL;
  if (!isnan(lo)) r = lt_binary_scalar(LT_MAX, out, a, lo, false);
  else r = out ? (lt_resize_as(out, a) < 0 || lt_copy(out, a) < 0 ? NULL : (lt_retain(out), out)) : lt_clone(a);
  if (r && !isnan(hi)) {
    lt_tensor *r2 = lt_binary_scalar(LT_MIN, r, r, hi, false);
    lt_release(r);
    r = r2;
  }
  return r;
}

static lt_tensor *addc(lt_binary_op op, const char *name, lt_tensor *out, const lt_tensor *a,
                       double v, const lt_tensor *b, const lt_tensor *c) {
  lt_tensor *p = lt_binary(op, NULL, b, c, 1);
  if (!p) { lt_seterr("%s: %s", name, lt_errmsg()); return NULL; }
  lt_tensor *r = lt_binary(LT_ADD, out, a, p, v);
  lt_release(p);
  if (!r) lt_seterr("%s: %s", name, lt_errmsg());
  return r;
}
lt_tensor *lt_addcmul(lt_tensor *out, const lt_tensor *a, double v, const lt_tensor *b, const lt_tensor *c) {
  if (out && lt_same_size(out, a) && lt_check_writable("addcmul", out_what(out, a, NULL), out) < 0) return NULL;
  if (LT_AG_OUT(out, a->requires_grad || b->requires_grad || c->requires_grad)) return lt_ag_addc(true, out, a, v, b, c);
  return addc(LT_MUL, "addcmul", out, a, v, b, c);
}
lt_tensor *lt_addcdiv(lt_tensor *out, const lt_tensor *a, double v, const lt_tensor *b, const lt_tensor *c) {
  if (out && lt_same_size(out, a) && lt_check_writable("addcdiv", out_what(out, a, NULL), out) < 0) return NULL;
  if (LT_AG_OUT(out, a->requires_grad || b->requires_grad || c->requires_grad)) return lt_ag_addc(false, out, a, v, b, c);
  return addc(LT_DIV, "addcdiv", out, a, v, b, c);
}

lt_tensor *lt_lerp(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double w) {
  if (out && lt_same_size(out, a) && lt_check_writable("lerp", out_what(out, a, NULL), out) < 0) return NULL;
  if (LT_AG_OUT(out, a->requires_grad || b->requires_grad)) return lt_ag_lerp(out, a, b, w);
  /* a + w * (b - a) */
  lt_tensor *d = lt_binary(LT_SUB, NULL, b, a, 1);
  lt_tensor *r = d ? lt_binary(LT_ADD, out, a, d, w) : NULL;
  lt_release(d);
  if (!r) lt_seterr("lerp: %s", lt_errmsg());
  return r;
}

lt_tensor *lt_where(lt_tensor *out, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b) {
  if (LT_AG_OUT(out, a->requires_grad || b->requires_grad)) return lt_ag_where(out, cond, a, b);
  if (cond->dtype != LT_BOOL && cond->dtype != LT_UINT8)
    LT_FAIL(NULL, "where: condition must be a ByteTensor or BoolTensor, got %sTensor", lt_dtype_name(cond->dtype));
  if (lt_check_same_device("where", a, b) < 0 || lt_check_same_device("where", cond, a) < 0) return NULL;
  int64_t s1[LT_MAXDIM], s2[LT_MAXDIM];
  int n1 = lt_broadcast_shape("where", a, b, s1);
  if (n1 < 0) return NULL;
  lt_tensor tmp;   /* a shape-only stand-in for the broadcast of a and b */
  lt_view_init(&tmp, a);
  tmp.ndim = n1;
  memcpy(tmp.size, s1, sizeof(int64_t) * n1);
  int nd = lt_broadcast_shape("where", cond, &tmp, s2);
  if (nd < 0) return NULL;
  lt_dtype ct = lt_promote(a->dtype, b->dtype);
  lt_tensor *o = target_out("where", out, nd, s2, out ? out->dtype : ct, a->device, cond, a, b);
  if (!o) return NULL;
  lt_tensor vc, va, vb;
  lt_broadcast_view(cond, nd, s2, &vc);
  lt_broadcast_view(a, nd, s2, &va);
  lt_broadcast_view(b, nd, s2, &vb);
  if (o->device.type != LT_CPU) {   /* tensor/cuda/random.cu */
    const lt_backend *be = lt_backend_for(o->device);
    int rc = !be ? -1 : be->where ? be->where(o, &vc, &va, &vb) : -2;
    if (rc < 0) {
      lt_release(o);
      if (rc == -2) LT_FAIL(NULL, "where: not available for %s tensors", lt_devname(a->device));
      return NULL;
    }
    return finish_out(out, o);
  }
  /* simple strided walk through the iterator: 4 operands, element by element */
  const lt_tensor *ops[4] = {o, &vc, &va, &vb};
  lt_iter it;
  lt_iter_init(&it, 4, ops);
  int64_t idx[LT_MAXDIM] = {0};
  for (int64_t e = 0; e < it.numel; e++) {
    int64_t off[4] = {0, 0, 0, 0};
    for (int d = 0; d < it.ndim; d++)
      for (int k = 0; k < 4; k++) off[k] += idx[d] * it.stride[k][d];
    bool c = *(uint8_t *)(it.data[1] + off[1]) != 0;
    double v = c ? lt_load(a->dtype, it.data[2] + off[2]) : lt_load(b->dtype, it.data[3] + off[3]);
    lt_store(o->dtype, it.data[0] + off[0], v);
    for (int d = it.ndim - 1; d >= 0; d--) { if (++idx[d] < it.size[d]) break; idx[d] = 0; }
  }
  return finish_out(out, o);
}
