/* tensor.c: tensor headers, creation, metadata changes and views. */
#include "internal.h"
#include "autograd.h"
#include <stdio.h>

#define FREELIST_MAX 16384
static _Thread_local lt_tensor *tfree[FREELIST_MAX];
static _Thread_local int ntfree;

lt_tensor *lt_tensor_alloc(void) {
  lt_tensor *t = LT_POOLS && ntfree ? tfree[--ntfree] : malloc(sizeof(lt_tensor));
  if (!t) LT_FAIL(NULL, "out of memory (tensor header)");
  t->refcount = 1;
  t->ndim = 0;
  t->storage = NULL;
  t->offset = 0;
  t->requires_grad = false;
  t->is_view = false;
  t->grad = NULL;
  t->grad_fn = NULL;
  t->grad_acc = NULL;
  t->hooks = NULL;
  t->user = NULL;
  t->device = lt_cpu();
  t->dtype = LT_FLOAT32;
  return t;
}

void lt_view_init(lt_tensor *v, const lt_tensor *t) {
  memcpy(v, t, sizeof *v);
  v->refcount = 0;
  v->grad = NULL;
  v->grad_fn = NULL;
  v->grad_acc = NULL;
  v->hooks = NULL;
  v->requires_grad = false;
}

void lt_retain(lt_tensor *t) { if (t) t->refcount++; }

void lt_release(lt_tensor *t) {
  if (!t || --t->refcount > 0) return;
  if (t->grad) lt_release(t->grad);
  if (t->grad_fn || t->hooks || t->grad_acc) lt_autograd_free(t);
  lt_storage_release(t->storage);
  if (LT_POOLS && ntfree < FREELIST_MAX) tfree[ntfree++] = t;
  else free(t);
}

void lt_contiguous_strides(int ndim, const int64_t *size, int64_t *stride) {
  int64_t s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    stride[i] = s;
    s *= size[i] > 0 ? size[i] : 1;
  }
}

static int64_t shape_numel(const char *op, int ndim, const int64_t *size) {
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (size[i] < 0) LT_FAIL(-1, "%s: invalid size %lld at dimension %d", op, (long long)size[i], i + 1);
    if (size[i] && n > INT64_MAX / 4 / size[i]) LT_FAIL(-1, "%s: tensor too large", op);
    n *= size[i];
  }
  return n;
}

lt_tensor *lt_empty(int ndim, const int64_t *size, lt_dtype dtype, lt_device dev) {
  if (ndim < 0 || ndim > LT_MAXDIM) LT_FAIL(NULL, "tensor: %d dimensions (at most %d)", ndim, LT_MAXDIM);
  int64_t n = shape_numel("tensor", ndim, size);
  if (n < 0) return NULL;
  lt_storage *s = lt_storage_new(dtype, n, dev);
  if (!s) return NULL;
  lt_tensor *t = lt_tensor_alloc();
  if (!t) { lt_storage_release(s); return NULL; }
  t->dtype = dtype;
  t->device = dev;
  t->storage = s;
  t->ndim = ndim;
  if (ndim) memcpy(t->size, size, sizeof(int64_t) * ndim);
  lt_contiguous_strides(ndim, size, t->stride);
  return t;
}

lt_tensor *lt_new_empty(lt_dtype dtype, lt_device dev) {
  lt_tensor *t = lt_tensor_alloc();
  if (t) { t->dtype = dtype; t->device = dev; }
  return t;
}

/* Torch7's empty tensor (no storage) stays empty; anything else gets fresh memory */
lt_tensor *lt_empty_like(const lt_tensor *t) {
  if (!t->storage) return lt_new_empty(t->dtype, t->device);
  return lt_empty(t->ndim, t->size, t->dtype, t->device);
}

lt_tensor *lt_zeros(int ndim, const int64_t *size, lt_dtype dtype, lt_device dev) {
  lt_tensor *t = lt_empty(ndim, size, dtype, dev);
  if (t && lt_fill(t, 0) < 0) { lt_release(t); return NULL; }
  return t;
}

lt_tensor *lt_scalar_tensor(double v, lt_dtype dtype, lt_device dev) {
  lt_tensor *t = lt_empty(0, NULL, dtype, dev);
  if (t && lt_fill(t, v) < 0) { lt_release(t); return NULL; }
  return t;
}

static int check_view_bounds(const char *op, lt_storage *s, int64_t offset, int ndim,
                             const int64_t *size, const int64_t *stride) {
  if (offset < 0) LT_FAIL(-1, "%s: negative storage offset", op);
  if (shape_numel(op, ndim, size) < 0) return -1;
  int64_t lo = offset, hi = offset;
  for (int i = 0; i < ndim; i++) {
    if (size[i] == 0) return 0;
    int64_t ext;
    if (__builtin_mul_overflow(size[i] - 1, stride[i], &ext) ||
        (ext < 0 ? __builtin_add_overflow(lo, ext, &lo) : __builtin_add_overflow(hi, ext, &hi)))
      LT_FAIL(-1, "%s: sizes and strides reach outside any storage (overflow at dimension %d)", op, i + 1);
  }
  int64_t ssz = s ? s->size : 0;
  if (lo < 0 || hi >= ssz)
    LT_FAIL(-1, "%s: view (offset %lld) reaches outside its storage of %lld elements", op,
            (long long)offset, (long long)ssz);
  return 0;
}

lt_tensor *lt_from_storage(lt_storage *s, int64_t offset, int ndim, const int64_t *size,
                           const int64_t *stride) {
  if (ndim < 0 || ndim > LT_MAXDIM) LT_FAIL(NULL, "tensor: %d dimensions (at most %d)", ndim, LT_MAXDIM);
  int64_t st[LT_MAXDIM];
  if (!stride) { lt_contiguous_strides(ndim, size, st); stride = st; }
  if (check_view_bounds("tensor", s, offset, ndim, size, stride) < 0) return NULL;
  lt_tensor *t = lt_tensor_alloc();
  if (!t) return NULL;
  t->dtype = s->dtype;
  t->device = s->device;
  t->storage = s;
  lt_storage_retain(s);
  t->offset = offset;
  t->ndim = ndim;
  memcpy(t->size, size, sizeof(int64_t) * ndim);
  memcpy(t->stride, stride, sizeof(int64_t) * ndim);
  return t;
}

int64_t lt_numel(const lt_tensor *t) {
  /* Torch7's empty tensor: no dimensions, no storage, no elements. Any other tensor
   * without a storage has a size of 0 somewhere (the views below refuse anything else),
   * so the product of its sizes is its true element count. */
  if (!t->storage && t->ndim == 0) return 0;
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->size[i];
  return n;
}

bool lt_is_contiguous(const lt_tensor *t) {
  int64_t s = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->size[i] == 1) continue;
    if (t->size[i] == 0) return true;
    if (t->stride[i] != s) return false;
    s *= t->size[i];
  }
  return true;
}

/* the bytes [*lo, *hi) t's elements span (*lo == *hi: none) */
static void byte_span(const lt_tensor *t, uintptr_t *lo, uintptr_t *hi) {
  *lo = *hi = 0;
  if (!t->storage || !t->storage->data || lt_numel(t) == 0) return;
  int64_t es = (int64_t)lt_dtype_size(t->dtype), first = 0, last = 0;
  for (int d = 0; d < t->ndim; d++) {
    int64_t ext = (t->size[d] - 1) * t->stride[d];
    if (ext < 0) first += ext; else last += ext;
  }
  uintptr_t base = (uintptr_t)t->storage->data + (uintptr_t)(t->offset * es);
  *lo = base + (uintptr_t)(first * es);
  *hi = base + (uintptr_t)((last + 1) * es);
}

bool lt_may_overlap(const lt_tensor *a, const lt_tensor *b) {
  /* the cheap test first, so ordinary ops pay nothing: two storages that own their
   * buffers never share memory; else the memory spans decide */
  if (!a || !b || !lt_storages_may_share(a, b) || a->device.type != b->device.type ||
      a->device.index != b->device.index)
    return false;
  uintptr_t alo, ahi, blo, bhi;
  byte_span(a, &alo, &ahi);
  byte_span(b, &blo, &bhi);
  return alo < ahi && blo < bhi && alo < bhi && blo < ahi;
}

bool lt_same_layout(const lt_tensor *a, const lt_tensor *b) {
  if (a->ndim != b->ndim || a->dtype != b->dtype || !a->storage || !b->storage) return false;
  uintptr_t alo, ahi, blo, bhi;
  byte_span(a, &alo, &ahi);
  byte_span(b, &blo, &bhi);
  if (alo != blo || ahi != bhi || a->device.type != b->device.type || a->device.index != b->device.index)
    return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->size[d] != b->size[d] || (a->size[d] > 1 && a->stride[d] != b->stride[d])) return false;
  return true;
}

bool lt_internal_overlap(const lt_tensor *t) {
  for (int d = 0; d < t->ndim; d++)
    if (t->size[d] > 1 && t->stride[d] == 0) return true;
  return false;
}

int lt_check_writable(const char *fn, const char *what, const lt_tensor *t) {
  if (t && lt_internal_overlap(t))
    LT_FAIL(-1, "%s: the result tensor %s has elements that share memory (a stride of 0, as from "
            "expand): it cannot be written; pass a contiguous tensor (or :clone() it)", fn, what);
  return 0;
}

bool lt_same_size(const lt_tensor *a, const lt_tensor *b) {
  if (a->ndim != b->ndim) return false;
  for (int i = 0; i < a->ndim; i++)
    if (a->size[i] != b->size[i]) return false;
  return true;
}

const char *lt_shape_str(const lt_tensor *t, char *buf, size_t n) {
  if (t->ndim == 0) { snprintf(buf, n, "[]"); return buf; }
  size_t k = 0;
  buf[0] = 0;
  for (int i = 0; i < t->ndim && k < n; i++)
    k += snprintf(buf + k, n - k, i ? "x%lld" : "%lld", (long long)t->size[i]);
  return buf;
}

int lt_check_dim(const char *op, const lt_tensor *t, int dim) {
  if (dim < 0 || dim >= t->ndim) {
    if (t->ndim == 0) LT_FAIL(-1, "%s: dimension %d out of range (the tensor has no dimensions)", op, dim + 1);
    LT_FAIL(-1, "%s: dimension %d out of range (expected 1 to %d)", op, dim + 1, t->ndim);
  }
  return 0;
}

int lt_check_same_device(const char *op, const lt_tensor *a, const lt_tensor *b) {
  if (!lt_same_device(a->device, b->device))
    LT_FAIL(-1, "%s: tensors on different devices (%s and %s)", op, lt_devname(a->device),
            lt_devname(b->device));
  return 0;
}

int lt_check_cpu(const char *op, const lt_tensor *t) {
  if (t->device.type != LT_CPU)
    LT_FAIL(-1, "%s: not available for %s tensors yet (copy to the CPU with :float())", op, lt_devname(t->device));
  return 0;
}

/* ---- metadata changes in place ---- */
int lt_resize(lt_tensor *t, int ndim, const int64_t *size) {
  if (ndim < 0 || ndim > LT_MAXDIM) LT_FAIL(-1, "resize: %d dimensions (at most %d)", ndim, LT_MAXDIM);
  int64_t n = shape_numel("resize", ndim, size);
  if (n < 0) return -1;
  if (ndim == t->ndim && !memcmp(size, t->size, sizeof(int64_t) * ndim) && (n == 0 || t->storage)) {
    return 0;   /* same shape: keep strides (Torch7) */
  }
  if (!t->storage) {
    t->storage = lt_storage_new(t->dtype, n, t->device);
    if (!t->storage) return -1;
    t->offset = 0;
  } else if (t->offset + n > t->storage->size) {
    if (lt_storage_resize(t->storage, t->offset + n) < 0) return -1;
  }
  t->ndim = ndim;
  memcpy(t->size, size, sizeof(int64_t) * ndim);
  lt_contiguous_strides(ndim, size, t->stride);
  return 0;
}

int lt_resize_as(lt_tensor *t, const lt_tensor *like) { return lt_resize(t, like->ndim, like->size); }

int lt_set(lt_tensor *t, lt_storage *s, int64_t offset, int ndim, const int64_t *size,
           const int64_t *stride) {
  if (ndim < 0 || ndim > LT_MAXDIM) LT_FAIL(-1, "set: %d dimensions (at most %d)", ndim, LT_MAXDIM);
  if (s && s->dtype != t->dtype) LT_FAIL(-1, "set: storage of %s into a %s tensor", lt_dtype_name(s->dtype), lt_dtype_name(t->dtype));
  int64_t st[LT_MAXDIM];
  if (!stride) { lt_contiguous_strides(ndim, size, st); stride = st; }
  if (check_view_bounds("set", s, offset, ndim, size, stride) < 0) return -1;
  lt_storage_retain(s);
  lt_storage_release(t->storage);
  t->storage = s;
  if (s) t->device = s->device;
  t->offset = offset;
  t->ndim = ndim;
  memcpy(t->size, size, sizeof(int64_t) * ndim);
  memcpy(t->stride, stride, sizeof(int64_t) * ndim);
  return 0;
}

int lt_set_tensor(lt_tensor *t, const lt_tensor *src) {
  if (t == src) return 0;
  if (src->dtype != t->dtype) LT_FAIL(-1, "set: a %s tensor into a %s tensor", lt_dtype_name(src->dtype), lt_dtype_name(t->dtype));
  lt_storage_retain(src->storage);
  lt_storage_release(t->storage);
  t->storage = src->storage;
  t->device = src->device;
  t->offset = src->offset;
  t->ndim = src->ndim;
  memcpy(t->size, src->size, sizeof(int64_t) * src->ndim);
  memcpy(t->stride, src->stride, sizeof(int64_t) * src->ndim);
  return 0;
}

/* ---- views ---- */
/* A view of a tensor without storage must have no elements (else kernels would walk its
 * sizes from a NULL pointer): v is released and NULL returned when it has some. */
static lt_tensor *check_storageless(const char *op, lt_tensor *v) {
  if (!v || v->storage) return v;
  int64_t n = 1;
  for (int i = 0; i < v->ndim; i++) n *= v->size[i];
  if (v->ndim == 0 || n == 0) return v;
  char b[128];
  lt_shape_str(v, b, sizeof b);
  lt_release(v);
  LT_FAIL(NULL, "%s: the tensor is empty (no elements, no storage): a view of size %s would "
          "hold elements it does not have (expected a size with a 0 in it)", op, b);
}

lt_tensor *lt_alias(const lt_tensor *t) {
  lt_tensor *v = lt_tensor_alloc();
  if (!v) return NULL;
  v->dtype = t->dtype;
  v->device = t->device;
  v->storage = t->storage;
  lt_storage_retain(t->storage);
  v->offset = t->offset;
  v->ndim = t->ndim;
  v->is_view = true;
  memcpy(v->size, t->size, sizeof(int64_t) * t->ndim);
  memcpy(v->stride, t->stride, sizeof(int64_t) * t->ndim);
  return v;
}

/* strides for viewing t as (ndim, size) without copying, or false */
static bool view_strides(const lt_tensor *t, int ndim, const int64_t *size, int64_t *stride) {
  if (lt_is_contiguous(t)) { lt_contiguous_strides(ndim, size, stride); return true; }
  /* general case: match chunks of old dims that are themselves contiguous (PyTorch's rule) */
  int64_t numel = lt_numel(t);
  if (numel == 0) { lt_contiguous_strides(ndim, size, stride); return true; }
  int view_d = ndim - 1;
  int64_t chunk_base_stride = t->ndim ? t->stride[t->ndim - 1] : 1;
  int64_t tensor_numel = 1, view_numel = 1;
  for (int td = t->ndim - 1; td >= 0; td--) {
    tensor_numel *= t->size[td];
    if (td == 0 || (t->size[td - 1] != 1 && t->stride[td - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || size[view_d] == 1)) {
        stride[view_d] = view_numel * chunk_base_stride;
        view_numel *= size[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return false;
      if (td > 0) {
        chunk_base_stride = t->stride[td - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

static int infer_size(const char *op, const lt_tensor *t, int ndim, const int64_t *size, int64_t *out) {
  if (ndim > LT_MAXDIM) LT_FAIL(-1, "%s: %d dimensions (at most %d)", op, ndim, LT_MAXDIM);
  int64_t numel = lt_numel(t), known = 1;
  int infer = -1;
  for (int i = 0; i < ndim; i++) {
    out[i] = size[i];
    if (size[i] == -1) {
      if (infer >= 0) LT_FAIL(-1, "%s: only one size can be -1", op);
      infer = i;
    } else if (size[i] < 0) {
      LT_FAIL(-1, "%s: invalid size %lld", op, (long long)size[i]);
    } else if (__builtin_mul_overflow(known, size[i], &known)) {
      LT_FAIL(-1, "%s: the sizes given hold more elements than a tensor can", op);
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known) {
      char b[128];
      LT_FAIL(-1, "%s: cannot infer size -1 for a tensor of size %s (%lld elements)", op,
              lt_shape_str(t, b, sizeof b), (long long)numel);
    }
    out[infer] = numel / known;
    known *= out[infer];
  }
  if (known != numel) {
    char b[128];
    LT_FAIL(-1, "%s: size of %lld elements given for a tensor of size %s (%lld elements)", op,
            (long long)known, lt_shape_str(t, b, sizeof b), (long long)numel);
  }
  return 0;
}

lt_tensor *lt_view(const lt_tensor *t, int ndim, const int64_t *size) {
  if (LT_AG1(t)) return lt_ag_view(t, ndim, size);
  int64_t sz[LT_MAXDIM], st[LT_MAXDIM];
  if (infer_size("view", t, ndim, size, sz) < 0) return NULL;
  if (!view_strides(t, ndim, sz, st)) {
    char b[128];
    LT_FAIL(NULL, "view: a tensor of size %s with these strides cannot be viewed with the new size; use reshape (or contiguous first)",
            lt_shape_str(t, b, sizeof b));
  }
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  v->ndim = ndim;
  memcpy(v->size, sz, sizeof(int64_t) * ndim);
  memcpy(v->stride, st, sizeof(int64_t) * ndim);
  return v;
}

lt_tensor *lt_reshape(const lt_tensor *t, int ndim, const int64_t *size) {
  if (LT_AG1(t)) return lt_ag_reshape(t, ndim, size);
  int64_t sz[LT_MAXDIM], st[LT_MAXDIM];
  if (infer_size("reshape", t, ndim, size, sz) < 0) return NULL;
  if (view_strides(t, ndim, sz, st)) return lt_view(t, ndim, sz);
  lt_tensor *c = lt_clone(t);
  if (!c) return NULL;
  lt_tensor *v = lt_view(c, ndim, sz);
  lt_release(c);
  return v;
}

lt_tensor *lt_narrow(const lt_tensor *t, int dim, int64_t start, int64_t len) {
  if (LT_AG1(t)) return lt_ag_narrow(t, dim, start, len);
  if (lt_check_dim("narrow", t, dim) < 0) return NULL;
  if (start < 0 || len < 0 || start > t->size[dim] || len > t->size[dim] - start)
    LT_FAIL(NULL, "narrow: range [%lld, %lld] out of bounds for dimension %d of size %lld",
            (long long)start + 1, (long long)(start + len), dim + 1, (long long)t->size[dim]);
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  if (len > 0) v->offset += start * t->stride[dim];
  v->size[dim] = len;
  return v;
}

lt_tensor *lt_select(const lt_tensor *t, int dim, int64_t index) {
  if (LT_AG1(t)) return lt_ag_select(t, dim, index);
  if (lt_check_dim("select", t, dim) < 0) return NULL;
  if (index < 0 || index >= t->size[dim])
    LT_FAIL(NULL, "select: index %lld out of range for dimension %d of size %lld",
            (long long)index + 1, dim + 1, (long long)t->size[dim]);
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  v->offset += index * t->stride[dim];
  for (int i = dim; i < t->ndim - 1; i++) {
    v->size[i] = t->size[i + 1];
    v->stride[i] = t->stride[i + 1];
  }
  v->ndim--;
  return v;
}

lt_tensor *lt_transpose(const lt_tensor *t, int d1, int d2) {
  if (LT_AG1(t)) return lt_ag_transpose(t, d1, d2);
  if (lt_check_dim("transpose", t, d1) < 0 || lt_check_dim("transpose", t, d2) < 0) return NULL;
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  int64_t s = v->size[d1]; v->size[d1] = v->size[d2]; v->size[d2] = s;
  s = v->stride[d1]; v->stride[d1] = v->stride[d2]; v->stride[d2] = s;
  return v;
}

lt_tensor *lt_permute(const lt_tensor *t, const int *perm) {
  if (LT_AG1(t)) return lt_ag_permute(t, perm);
  bool seen[LT_MAXDIM] = {0};
  for (int i = 0; i < t->ndim; i++) {
    if (perm[i] < 0 || perm[i] >= t->ndim || seen[perm[i]])
      LT_FAIL(NULL, "permute: expected a permutation of 1..%d", t->ndim);
    seen[perm[i]] = true;
  }
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  for (int i = 0; i < t->ndim; i++) {
    v->size[i] = t->size[perm[i]];
    v->stride[i] = t->stride[perm[i]];
  }
  return v;
}

lt_tensor *lt_expand(const lt_tensor *t, int ndim, const int64_t *size) {
  if (LT_AG1(t)) return lt_ag_expand(t, ndim, size);
  if (ndim < t->ndim || ndim > LT_MAXDIM) {
    char b[128];
    LT_FAIL(NULL, "expand: cannot expand a tensor of size %s to %d dimensions", lt_shape_str(t, b, sizeof b), ndim);
  }
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  int off = ndim - t->ndim;
  for (int i = ndim - 1; i >= 0; i--) {
    int j = i - off;
    int64_t want = size[i];
    if (j >= 0) {
      if (want == -1) want = t->size[j];
      if (t->size[j] == want) { v->size[i] = want; v->stride[i] = t->stride[j]; continue; }
      if (t->size[j] != 1 || want < 0) {
        char b[128];
        lt_release(v);
        LT_FAIL(NULL, "expand: cannot expand dimension %d of size %lld to %lld (tensor of size %s)",
                j + 1, (long long)t->size[j], (long long)size[i], lt_shape_str(t, b, sizeof b));
      }
    } else if (want < 0) {
      lt_release(v);
      LT_FAIL(NULL, "expand: size -1 is not allowed for a new leading dimension");
    }
    v->size[i] = want;
    v->stride[i] = 0;
  }
  v->ndim = ndim;
  if (shape_numel("expand", ndim, v->size) < 0) { lt_release(v); return NULL; }
  return check_storageless("expand", v);
}

lt_tensor *lt_squeeze(const lt_tensor *t) {
  if (LT_AG1(t)) return lt_ag_squeeze(t, true, 0);
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  int k = 0;
  for (int i = 0; i < t->ndim; i++)
    if (t->size[i] != 1) { v->size[k] = t->size[i]; v->stride[k] = t->stride[i]; k++; }
  v->ndim = k;
  return v;
}

lt_tensor *lt_squeeze_dim(const lt_tensor *t, int dim) {
  if (LT_AG1(t)) return lt_ag_squeeze(t, false, dim);
  if (lt_check_dim("squeeze", t, dim) < 0) return NULL;
  if (t->size[dim] != 1) return lt_alias(t);
  return lt_select(t, dim, 0);
}

lt_tensor *lt_unsqueeze(const lt_tensor *t, int dim) {
  if (LT_AG1(t)) return lt_ag_unsqueeze(t, dim);
  if (dim < 0 || dim > t->ndim) LT_FAIL(NULL, "unsqueeze: dimension %d out of range (expected 1 to %d)", dim + 1, t->ndim + 1);
  if (t->ndim >= LT_MAXDIM) LT_FAIL(NULL, "unsqueeze: at most %d dimensions", LT_MAXDIM);
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  for (int i = t->ndim; i > dim; i--) { v->size[i] = t->size[i - 1]; v->stride[i] = t->stride[i - 1]; }
  v->size[dim] = 1;
  v->stride[dim] = dim < t->ndim ? t->size[dim] * t->stride[dim] : 1;
  v->ndim = t->ndim + 1;
  return check_storageless("unsqueeze", v);
}

lt_tensor *lt_unfold(const lt_tensor *t, int dim, int64_t size, int64_t step) {
  if (LT_AG1(t)) return lt_ag_unfold(t, dim, size, step);
  int64_t dsize = t->ndim ? 0 : 1;
  if (t->ndim) { if (lt_check_dim("unfold", t, dim) < 0) return NULL; dsize = t->size[dim]; }
  if (size < 0 || size > dsize) LT_FAIL(NULL, "unfold: size %lld larger than dimension %d (%lld)", (long long)size, dim + 1, (long long)dsize);
  if (step <= 0) LT_FAIL(NULL, "unfold: step must be positive (got %lld)", (long long)step);
  if (t->ndim >= LT_MAXDIM) LT_FAIL(NULL, "unfold: at most %d dimensions", LT_MAXDIM);
  lt_tensor *v = lt_alias(t);
  if (!v) return NULL;
  if (t->ndim) {
    v->size[dim] = (dsize - size) / step + 1;
    v->stride[dim] = t->stride[dim] * step;
    v->size[t->ndim] = size;
    v->stride[t->ndim] = t->stride[dim];
  } else {
    v->size[0] = size; v->stride[0] = 1;
  }
  v->ndim = t->ndim + 1;
  return check_storageless("unfold", v);
}

lt_tensor *lt_contiguous(const lt_tensor *t) {
  if (lt_is_contiguous(t)) { lt_retain((lt_tensor *)t); return (lt_tensor *)t; }
  return lt_clone(t);
}

lt_tensor *lt_clone(const lt_tensor *t) {
  lt_tensor *c = lt_empty_like(t);
  if (c && lt_copy(c, t) < 0) { lt_release(c); return NULL; }
  return c;
}

lt_tensor *lt_prepare_out(const char *op, lt_tensor *out, int ndim, const int64_t *size,
                          lt_dtype dtype, lt_device dev) {
  if (!out) return lt_empty(ndim, size, dtype, dev);
  if (out->dtype != dtype)
    LT_FAIL(NULL, "%s: result tensor is %sTensor, expected %sTensor", op, lt_dtype_name(out->dtype), lt_dtype_name(dtype));
  if (!lt_same_device(out->device, dev))
    LT_FAIL(NULL, "%s: result tensor is on %s, expected %s", op, lt_devname(out->device), lt_devname(dev));
  if (lt_resize(out, ndim, size) < 0) return NULL;
  /* after the resize: one to another shape makes a tensor contiguous; of the same shape it
   * keeps the strides, and a stride 0 would put several results at one address */
  if (lt_check_writable(op, "res", out) < 0) return NULL;
  lt_retain(out);
  return out;
}

lt_tensor *lt_deliver(lt_tensor *out, lt_tensor *r, lt_dtype dtype) {
  if (!r) return NULL;
  if (out) {
    int rc = lt_resize_as(out, r) < 0 ? -1 : lt_copy(out, r);
    lt_release(r);
    if (rc < 0) return NULL;
    lt_retain(out);
    return out;
  }
  lt_tensor *c = lt_to_dtype(r, dtype);
  lt_release(r);
  return c;
}
