/* linalg_cross.c: the cross product along a dim of size 3 (the products are in linalg.c,
 * dot/trace/diag/tril/triu in linalg_diag.c; the checks they share in linalg_common.h). */
#include "linalg_common.h"
#include "autograd.h"
#include <string.h>

/* ---- cross product along a dim of size 3 ---- */

typedef struct { int64_t so, sa, sb; } cross_ctx;   /* byte strides along the dim */
#define CROSS_LOOP(NAME, T)                                                                  \
  static void cross_##NAME(char **d, const int64_t *st, int64_t n, void *ctx_) {             \
    const cross_ctx *c = ctx_;                                                               \
    for (int64_t i = 0; i < n; i++) {                                                        \
      char *o = d[0] + i * st[0];                                                            \
      const char *a = d[1] + i * st[1], *b = d[2] + i * st[2];                               \
      T a0 = *(const T *)a, a1 = *(const T *)(a + c->sa), a2 = *(const T *)(a + 2 * c->sa);   \
      T b0 = *(const T *)b, b1 = *(const T *)(b + c->sb), b2 = *(const T *)(b + 2 * c->sb);   \
      *(T *)o = (T)(a1 * b2 - a2 * b1);                                                      \
      *(T *)(o + c->so) = (T)(a2 * b0 - a0 * b2);                                            \
      *(T *)(o + 2 * c->so) = (T)(a0 * b1 - a1 * b0);                                        \
    }                                                                                        \
  }
CROSS_LOOP(f32, float)
CROSS_LOOP(f64, double)
CROSS_LOOP(i64, int64_t)
CROSS_LOOP(i32, int32_t)
CROSS_LOOP(i16, int16_t)
CROSS_LOOP(i8, int8_t)
CROSS_LOOP(u8, uint8_t)

/* a stack view of t without dim (its index 0) */
static void drop_dim(const lt_tensor *t, int dim, lt_tensor *v) {
  lt_view_init(v, t);
  for (int i = dim; i < t->ndim - 1; i++) { v->size[i] = t->size[i + 1]; v->stride[i] = t->stride[i + 1]; }
  v->ndim = t->ndim - 1;
}

/* cross on a device, from pointwise ops: o[c] = a[c+1] b[c+2] - a[c+2] b[c+1], where o2,
 * a2, b2 are the views at index 0 of the dim and so, sa, sb its strides */
static int cross_device(const lt_tensor *o2, const lt_tensor *a2, const lt_tensor *b2, int64_t so, int64_t sa,
                        int64_t sb) {
  int rc = 0;
  for (int c = 0; c < 3 && rc == 0; c++) {
    int j = (c + 1) % 3, k = (c + 2) % 3;
    lt_tensor oc, aj, ak, bj, bk;
    lt_view_init(&oc, o2); oc.offset += c * so;
    lt_view_init(&aj, a2); aj.offset += j * sa;
    lt_view_init(&ak, a2); ak.offset += k * sa;
    lt_view_init(&bj, b2); bj.offset += j * sb;
    lt_view_init(&bk, b2); bk.offset += k * sb;
    lt_tensor *t1 = lt_binary(LT_MUL, NULL, &aj, &bk, 1);
    lt_tensor *t2 = t1 ? lt_binary(LT_MUL, NULL, &ak, &bj, 1) : NULL;
    lt_tensor *d = t2 ? lt_binary(LT_SUB, NULL, t1, t2, 1) : NULL;
    rc = d ? dcopy(&oc, d) : -1;
    lt_release(t1); lt_release(t2); lt_release(d);
  }
  return rc;
}

lt_tensor *lt_cross(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, int dim) {
  if (LT_AG_OUT(out, a->requires_grad || b->requires_grad)) return lt_ag_cross(out, a, b, dim);
  const char *op = "cross";
  char b1[128];
  if (check_same_type(op, "a", a, "b", b) < 0) return NULL;
  int64_t size[LT_MAXDIM];
  int nd;
  if (lt_same_size(a, b)) { nd = a->ndim; memcpy(size, a->size, sizeof(int64_t) * nd); }
  else if ((nd = lt_broadcast_shape(op, a, b, size)) < 0) return NULL;
  lt_tensor shape;
  memset(&shape, 0, sizeof shape);
  shape.ndim = nd;
  memcpy(shape.size, size, sizeof(int64_t) * nd);
  if (dim < 0) {
    for (int i = 0; i < nd && dim < 0; i++) if (size[i] == 3) dim = i;
    if (dim < 0) LT_FAIL(NULL, "%s: no dimension of size 3 in a tensor of size %s", op, SHAPE(&shape, b1));
  } else {
    if (lt_check_dim(op, &shape, dim) < 0) return NULL;
    if (size[dim] != 3)
      LT_FAIL(NULL, "%s: dimension %d has size %lld, expected 3 (tensor of size %s)", op, dim + 1,
              (long long)size[dim], SHAPE(&shape, b1));
  }
  lt_dtype dt = a->dtype;
  if (dt == LT_BOOL) LT_FAIL(NULL, "%s: not defined for BoolTensor", op);
  if (check_out(op, out, dt, a) < 0) return NULL;
  bool fits = out && out->ndim == nd && !memcmp(out->size, size, sizeof(int64_t) * nd);
  bool alias = (shares(out, a) && !(fits && same_view(out, a))) || (shares(out, b) && !(fits && same_view(out, b)));
  if (lt_is_half(dt) || alias) {
    lt_dtype ct = compute_type(dt);
    lt_tensor *ac = lt_to_dtype(a, ct), *bc = ac ? lt_to_dtype(b, ct) : NULL;
    lt_tensor *r = bc ? lt_cross(NULL, ac, bc, dim) : NULL;
    lt_release(ac); lt_release(bc);
    return lt_deliver(out, r, dt);
  }
  lt_tensor *o = lt_prepare_out(op, out, nd, size, dt, a->device);
  if (!o) return NULL;
  lt_tensor av, bv, o2, a2, b2;
  lt_broadcast_view(a, nd, size, &av);
  lt_broadcast_view(b, nd, size, &bv);
  drop_dim(o, dim, &o2);
  drop_dim(&av, dim, &a2);
  drop_dim(&bv, dim, &b2);
  if (o->device.type != LT_CPU) {
    if (cross_device(&o2, &a2, &b2, o->stride[dim], av.stride[dim], bv.stride[dim]) < 0) { lt_release(o); return NULL; }
    lt_bump_version(o);
    return o;
  }
  int64_t es = (int64_t)lt_dtype_size(dt);
  cross_ctx ctx = {o->stride[dim] * es, av.stride[dim] * es, bv.stride[dim] * es};
  lt_loop_fn fn;
  switch (dt) {
  case LT_FLOAT32: fn = cross_f32; break;
  case LT_FLOAT64: fn = cross_f64; break;
  case LT_INT64: fn = cross_i64; break;
  case LT_INT32: fn = cross_i32; break;
  case LT_INT16: fn = cross_i16; break;
  case LT_INT8: fn = cross_i8; break;
  default: fn = cross_u8; break;
  }
  const lt_tensor *ops[3] = {&o2, &a2, &b2};
  lt_iter it;
  lt_iter_init(&it, 3, ops);
  lt_iter_run(&it, fn, &ctx, LT_PARALLEL_GRAIN / 4);
  lt_bump_version(o);
  return o;
}
