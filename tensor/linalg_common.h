/* linalg_common.h: what the linear algebra files share (linalg.c: the matrix and vector
 * products; linalg_diag.c: dot, trace, diag, tril/triu; linalg_cross.c: cross): the
 * compute types, copies and fills on a tensor's own device, and the argument checks. */
#ifndef LT_LINALG_COMMON_H
#define LT_LINALG_COMMON_H

#include "internal.h"

#define SHAPE(t, buf) lt_shape_str((t), (buf), sizeof(buf))

static inline bool blas_type(lt_dtype dt) { return dt == LT_FLOAT32 || dt == LT_FLOAT64; }

/* the dtype a product is computed in */
static inline lt_dtype compute_type(lt_dtype dt) {
  if (lt_is_half(dt)) return LT_FLOAT32;
  if (dt == LT_BOOL) return LT_INT64;
  return dt;
}

/* copy (same shapes) and fill on the tensors' own device, outside autograd; on the CPU
 * the CPU kernels directly */
static inline int dcopy(lt_tensor *dst, const lt_tensor *src) {
  if (dst->device.type == LT_CPU) return lt_cpu_copy(dst, src);
  const lt_backend *be = lt_backend_for(dst->device);
  return be ? be->copy(dst, src) : -1;
}
static inline int dfill(lt_tensor *t, double v) {
  if (t->device.type == LT_CPU) return lt_cpu_fill(t, v);
  const lt_backend *be = lt_backend_for(t->device);
  return be ? be->fill(t, v) : -1;
}

static inline bool same_view(const lt_tensor *a, const lt_tensor *b) {
  if (a == b) return true;
  if (a->storage != b->storage || a->offset != b->offset || a->ndim != b->ndim || a->dtype != b->dtype)
    return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->size[i] != b->size[i] || (a->size[i] > 1 && a->stride[i] != b->stride[i])) return false;
  return true;
}

/* out and t may share a buffer (conservative: out's span before its resize does not tell
 * where the result will lie, so a storage view counts as sharing and the result is
 * computed apart and copied in) */
static inline bool shares(const lt_tensor *out, const lt_tensor *t) {
  return out && t && lt_storages_may_share(out, t);
}

static inline int check_out(const char *op, const lt_tensor *out, lt_dtype dt, const lt_tensor *like) {
  if (!out) return 0;
  if (out->dtype != dt)
    LT_FAIL(-1, "%s: result tensor is %sTensor, expected %sTensor", op, lt_dtype_name(out->dtype), lt_dtype_name(dt));
  return lt_check_same_device(op, like, out);
}

static inline int check_same_type(const char *op, const char *n1, const lt_tensor *a, const char *n2, const lt_tensor *b) {
  if (lt_check_same_device(op, a, b) < 0) return -1;
  if (a->dtype != b->dtype)
    LT_FAIL(-1, "%s: expected tensors of the same type, %s is %sTensor, %s is %sTensor", op, n1,
            lt_dtype_name(a->dtype), n2, lt_dtype_name(b->dtype));
  return 0;
}

static inline int need_dims(const char *op, const char *name, const lt_tensor *t, int nd, const char *what) {
  if (t->ndim != nd) {
    char b[128];
    LT_FAIL(-1, "%s: %s must be a %d-D tensor (%s), got size %s", op, name, nd, what, SHAPE(t, b));
  }
  return 0;
}

#endif
