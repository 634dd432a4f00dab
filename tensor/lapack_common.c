/* lapack_common.c: what the engine's LAPACK files (lapack.c, lapack_det.c,
 * lapack_decomp.c) share, declared in lapack.h: argument checks, column-major copies and
 * results, LAPACK workspace allocation, and batches of matrices. */
#include "lapack.h"
#include "internal.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- checks and column-major helpers ---- */

int lt_lapack_same_device(const lt_tensor *a, const lt_tensor *b, const char *fn,
                          const char *na, const char *nb) {
  if (a->device.type != b->device.type || a->device.index != b->device.index)
    LT_FAIL(-1, "%s: %s is on %s and %s is on %s, expected one device", fn, na,
            lt_devname(a->device), nb, lt_devname(b->device));
  return 0;
}

int lt_lapack_check_type(const lt_tensor *a, const char *fn, const char *arg) {
  if (a->dtype != LT_FLOAT32 && a->dtype != LT_FLOAT64)
    LT_FAIL(-1, "%s: %s must be a %s or %s, got %sTensor", fn, arg,
            a->device.type == LT_CPU ? "FloatTensor" : "CudaTensor",
            a->device.type == LT_CPU ? "DoubleTensor" : "CudaDoubleTensor", lt_dtype_name(a->dtype));
  /* the matrix dims (the last two; a vector's one) go to LAPACK as INTEGERs; the batch
   * dims before them are a loop over matrices, held to the same bound (a batch of 2^40
   * expanded matrices would run for days) */
  int nb = a->ndim > 2 ? a->ndim - 2 : 0;
  for (int i = nb; i < a->ndim; i++)
    if (a->size[i] > INT_MAX / 2)
      LT_FAIL(-1, "%s: %s has a dimension of size %lld, above what LAPACK takes (at most %d)", fn,
              arg, (long long)a->size[i], INT_MAX / 2);
  int64_t count = 1;
  for (int i = 0; i < nb; i++) {
    if (a->size[i] > INT_MAX / 2)
      LT_FAIL(-1, "%s: %s has a batch dimension (dim %d) of size %lld, above what a batch of "
              "LAPACK calls takes (at most %d matrices)", fn, arg, i + 1, (long long)a->size[i], INT_MAX / 2);
    count *= a->size[i];
    if (count > INT_MAX / 2) {
      char b[64];
      LT_FAIL(-1, "%s: %s of size %s is a batch of more than %d matrices, above what a batch of "
              "LAPACK calls takes", fn, arg, lt_shape_str(a, b, sizeof b), INT_MAX / 2);
    }
  }
  return 0;
}

int lt_lapack_check(const lt_tensor *a, const char *fn, const char *arg, bool square) {
  char b[64];
  if (lt_lapack_check_type(a, fn, arg) < 0) return -1;
  if (a->ndim != 2)
    LT_FAIL(-1, "%s: %s must be a 2-D matrix, got a tensor of size %s", fn, arg, lt_shape_str(a, b, sizeof b));
  if (square && a->size[0] != a->size[1])
    LT_FAIL(-1, "%s: %s must be a square matrix, got size %s", fn, arg, lt_shape_str(a, b, sizeof b));
  return 0;
}

int lt_lapack_check_rhs(const lt_tensor *b, const char *fn, const char *arg) {
  char s[64];
  if (lt_lapack_check_type(b, fn, arg) < 0) return -1;
  if (b->ndim != 1 && b->ndim != 2)
    LT_FAIL(-1, "%s: %s must be a vector or a 2-D matrix, got a tensor of size %s", fn, arg,
            lt_shape_str(b, s, sizeof s));
  return 0;
}

bool lt_lapack_is_colmajor(const lt_tensor *t) {
  return t->ndim == 2 && (t->size[1] <= 1 || t->stride[1] == LT_MAX(t->size[0], 1)) &&
         (t->size[0] <= 1 || t->stride[0] == 1);
}

lt_tensor *lt_lapack_colmajor_empty(lt_dtype dt, lt_device dev, int64_t rows, int64_t cols) {
  int64_t s[2] = {cols, rows};
  lt_tensor *r = lt_empty(2, s, dt, dev);
  if (!r) return NULL;
  /* the transposed view in place: sizes {rows, cols}, strides {1, rows} */
  r->size[0] = rows;
  r->size[1] = cols;
  r->stride[0] = 1;
  r->stride[1] = LT_MAX(rows, 1);
  return r;
}

/* a 1-D vector as an n x 1 matrix (a new header on the same data) */
static lt_tensor *as_matrix(const lt_tensor *a) {
  lt_tensor *v = lt_alias(a);
  if (!v || a->ndim == 2) return v;
  v->ndim = 2;
  v->size[1] = 1;
  v->stride[1] = 1;
  return v;
}

lt_tensor *lt_lapack_colmajor(const lt_tensor *a, lt_dtype dt, int64_t rows, int64_t cols) {
  lt_tensor *m = as_matrix(a);
  if (!m) return NULL;
  lt_tensor *r = lt_lapack_colmajor_empty(dt, a->device, rows, cols);
  int rc = r ? 0 : -1;
  if (rc == 0 && (rows > m->size[0] || cols > m->size[1])) rc = lt_fill(r, 0);
  if (rc == 0 && lt_numel(m) > 0) {
    lt_tensor *part = lt_alias(r);
    if (!part) rc = -1;
    else {
      part->size[0] = m->size[0];
      part->size[1] = m->size[1];
      rc = lt_copy(part, m);
      lt_release(part);
    }
  }
  lt_release(m);
  if (rc < 0) { lt_release(r); return NULL; }
  return r;
}

/* out (not res) made ready to receive res: of res's type and device, resized unless it
 * has res's shape (column-major for a matrix, as Torch7's results), and writable: a
 * result of res's shape is written in place, so one whose elements share memory (a
 * stride of 0, from expand) would come out garbage */
static int result_prepare(lt_tensor *out, const lt_tensor *res, const char *fn, const char *arg) {
  if (out->dtype != res->dtype)
    LT_FAIL(-1, "%s: result tensor %s is %sTensor, expected %sTensor", fn, arg,
            lt_dtype_name(out->dtype), lt_dtype_name(res->dtype));
  if (out->device.type != res->device.type || out->device.index != res->device.index)
    LT_FAIL(-1, "%s: result tensor %s is on %s, expected a tensor on %s", fn, arg,
            lt_devname(out->device), lt_devname(res->device));
  if (!lt_same_size(out, res) || !out->storage) {
    /* Torch7: the result comes back column-major (strides {1, rows}) */
    if (res->ndim == 2) {
      int64_t s[2] = {res->size[1], res->size[0]};
      if (lt_resize(out, 2, s) < 0) return -1;
      int64_t size[2] = {res->size[0], res->size[1]}, stride[2] = {1, LT_MAX(res->size[0], 1)};
      if (out->storage && lt_set(out, out->storage, out->offset, 2, size, stride) < 0) return -1;
    } else if (lt_resize_as(out, res) < 0) return -1;
  }
  return lt_check_writable(fn, arg, out);
}

lt_tensor *lt_lapack_result(lt_tensor *out, lt_tensor *res, const char *fn, const char *arg) {
  if (!res) return NULL;
  if (!out || out == res) { lt_retain(res); return res; }
  if (result_prepare(out, res, fn, arg) < 0) return NULL;
  if (lt_numel(res) > 0 && lt_copy(out, res) < 0) return NULL;
  lt_retain(out);
  return out;
}

int lt_lapack_distinct(int n, lt_tensor *const *outs, const char *fn, const char *const *names) {
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (outs[i] && outs[j] && (outs[i] == outs[j] || lt_may_overlap(outs[i], outs[j])))
        LT_FAIL(-1, "%s: %s and %s must be different tensors (they share memory)", fn, names[i], names[j]);
  return 0;
}

int lt_lapack_results(int n, lt_tensor *const *outs, lt_tensor *const *res, const char *fn,
                      const char *const *names, lt_tensor **got) {
  for (int i = 0; i < n; i++) got[i] = NULL;
  for (int i = 0; i < n; i++)
    if (!res[i]) return -1;
  /* nothing is written before every result tensor is known to be fit: two that overlap
   * would each get the other's values written over theirs */
  if (lt_lapack_distinct(n, outs, fn, names) < 0) return -1;
  for (int i = 0; i < n; i++)
    if (outs[i] && outs[i] != res[i] && result_prepare(outs[i], res[i], fn, names[i]) < 0) return -1;
  /* again: resizing one may have grown a storage it shares with another */
  if (lt_lapack_distinct(n, outs, fn, names) < 0) return -1;
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    if (outs[i] && outs[i] != res[i] && lt_numel(res[i]) > 0 && lt_copy(outs[i], res[i]) < 0) rc = -1;
    else { got[i] = outs[i] ? outs[i] : res[i]; lt_retain(got[i]); }
  }
  if (rc < 0)
    for (int i = 0; i < n; i++) { lt_release(got[i]); got[i] = NULL; }
  return rc;
}

void *lt_lapack_workspace(lt_dtype dt, const void *q, int64_t least, lt_fint *lwork) {
  double v;
  if (dt == LT_FLOAT32) { float f; memcpy(&f, q, sizeof f); v = f; }
  else memcpy(&v, q, sizeof v);
  /* a float32 answer rounds large sizes down: a little more */
  int64_t w = (int64_t)ceil((v >= 1 ? v : 1) * (1 + 1e-6)) + 1;
  w = LT_MIN(LT_MAX(w, least), (int64_t)INT_MAX);
  *lwork = (lt_fint)w;
  return malloc((size_t)w * lt_dtype_size(dt));
}

/* ---- batches (PyTorch's): a (*, r, c) tensor is its matrices one by one ---- */

int64_t lt_lapack_batch_count(const lt_tensor *t) {
  int64_t nb = 1;
  for (int i = 0; i < t->ndim - 2; i++) nb *= t->size[i];
  return nb;
}

/* the i-th matrix (row-major order of the batch) of the (*, r, c) tensor t: a 2-D view */
lt_tensor *lt_lapack_batch_mat(const lt_tensor *t, int64_t i) {
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  for (int d = t->ndim - 3; d >= 0; d--) {
    v->offset += (i % t->size[d]) * t->stride[d];
    i /= t->size[d];
  }
  v->ndim = 2;
  v->size[0] = t->size[t->ndim - 2];
  v->size[1] = t->size[t->ndim - 1];
  v->stride[0] = t->stride[t->ndim - 2];
  v->stride[1] = t->stride[t->ndim - 1];
  return v;
}

/* a batch of square float/double matrices (at least 3 dims) */
int lt_lapack_check_batch(const lt_tensor *a, const char *fn, const char *arg) {
  char b[64];
  if (lt_lapack_check_type(a, fn, arg) < 0) return -1;
  if (a->size[a->ndim - 1] != a->size[a->ndim - 2])
    LT_FAIL(-1, "%s: %s must be a batch of square matrices, got size %s", fn, arg, lt_shape_str(a, b, sizeof b));
  return 0;
}

/* the error of matrix i of a batch: the message gets the batch element appended */
void lt_lapack_batch_error(const lt_tensor *t, int64_t i) {
  char msg[512], idx[128] = "";
  size_t k = 0;
  snprintf(msg, sizeof msg, "%s", lt_errmsg());
  int64_t rest = i, pos[LT_MAXDIM];
  for (int d = t->ndim - 3; d >= 0; d--) { pos[d] = rest % t->size[d]; rest /= t->size[d]; }
  for (int d = 0; d < t->ndim - 2 && k + 24 < sizeof idx; d++)
    k += (size_t)snprintf(idx + k, sizeof idx - k, d ? ",%lld" : "%lld", (long long)pos[d] + 1);
  lt_seterr("%s in matrix [%s] of the batch", msg, idx);
}
