/* shape.c: joining and splitting: cat, stack, split, chunk, repeat, flip, roll.
 * Results are built by strided copies between views (lt_cpu_copy does dtype conversion,
 * contiguous runs and threading; on a GPU the backend's copy does the same). */
#include "internal.h"
#include "autograd.h"
#include <stdio.h>

/* a header-only view (refcount 0, never released) of t's region [start, start+len) along dim */
static void narrow_view(lt_tensor *v, const lt_tensor *t, int dim, int64_t start, int64_t len) {
  lt_view_init(v, t);
  if (len > 0) v->offset += start * t->stride[dim];
  v->size[dim] = len;
}

/* Torch7's empty tensors (no dimensions, or one of size 0) are left out of cat */
static bool cat_skips(const lt_tensor *t) { return lt_numel(t) == 0 && t->ndim <= 1; }

static bool shares_storage(const lt_tensor *a, const lt_tensor *b) {
  return a->storage && a->storage == b->storage;
}

/* dst = src (same shape, same device, any dtypes and strides) */
static int view_copy(lt_tensor *dst, const lt_tensor *src) {
  if (dst->device.type == LT_CPU) return lt_cpu_copy(dst, src);
  const lt_backend *be = lt_backend_for(dst->device);
  return be ? be->copy(dst, src) : -1;
}

/* ---- cat ----
 * Torch7's rule: the result has max(dim+1, inputs' ndim) dimensions; an input's missing
 * trailing dimensions count as size 1 (so two vectors catted along dimension 2 make an
 * n x 2 matrix). All sizes but dim's must agree. */
lt_tensor *lt_cat(lt_tensor *out, const lt_tensor *const *ts, int n, int dim) {
  if (LT_AG_OUT(out, lt_ag_any(ts, n))) return lt_ag_cat(out, ts, n, dim);
  if (n <= 0 || !ts) LT_FAIL(NULL, "cat: expects at least one tensor");
  if (dim < 0) LT_FAIL(NULL, "cat: dimension %d out of range", dim + 1);
  const lt_tensor *first = NULL;
  int nd = dim + 1;
  lt_dtype dt = ts[0]->dtype;
  for (int i = 0; i < n; i++) {
    if (!ts[i]) LT_FAIL(NULL, "cat: tensor %d is missing", i + 1);
    if (i && lt_check_same_device("cat", ts[0], ts[i]) < 0) return NULL;
    dt = lt_promote(dt, ts[i]->dtype);
    if (cat_skips(ts[i])) continue;
    if (!first) first = ts[i];
    nd = LT_MAX(nd, ts[i]->ndim);
  }
  if (nd > LT_MAXDIM) LT_FAIL(NULL, "cat: dimension %d out of range (at most %d dimensions)", dim + 1, LT_MAXDIM);
  if (out) {
    if (lt_check_same_device("cat", ts[0], out) < 0) return NULL;
    dt = out->dtype;
  }
  int64_t size[LT_MAXDIM];
  if (!first) {   /* only empty tensors: an empty result */
    int64_t z = 0;
    return lt_prepare_out("cat", out, 1, &z, dt, ts[0]->device);
  }
  for (int d = 0; d < nd; d++) size[d] = d < first->ndim ? first->size[d] : 1;
  size[dim] = 0;
  for (int i = 0; i < n; i++) {
    const lt_tensor *t = ts[i];
    if (cat_skips(t)) continue;
    for (int d = 0; d < nd; d++) {
      int64_t s = d < t->ndim ? t->size[d] : 1;
      if (d == dim) { size[d] += s; continue; }
      if (s != size[d]) {
        char b1[128], b2[128];
        LT_FAIL(NULL, "cat: sizes %s and %s do not match at dimension %d (concatenating along dimension %d)",
                lt_shape_str(first, b1, sizeof b1), lt_shape_str(t, b2, sizeof b2), d + 1, dim + 1);
      }
    }
  }
  /* writing into an input's storage would clobber it: build apart, then copy. out itself
   * as an input counts even without a storage: resizing it would turn an input skipped as
   * empty above into one with elements (and the writes would run past the result) */
  if (out) {
    for (int i = 0; i < n; i++)
      if (ts[i] == out || shares_storage(out, ts[i])) {
        lt_tensor *r = lt_cat(NULL, ts, n, dim);
        if (!r) return NULL;
        lt_tensor *o = lt_prepare_out("cat", out, nd, size, dt, out->device);
        int rc = o ? lt_copy(o, r) : -1;
        lt_release(r);
        if (rc < 0) { lt_release(o); return NULL; }
        return o;
      }
  }
  lt_tensor *o = lt_prepare_out("cat", out, nd, size, dt, first->device);
  if (!o) return NULL;
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    const lt_tensor *t = ts[i];
    if (cat_skips(t)) continue;
    lt_tensor src, dst;
    lt_view_init(&src, t);
    for (int d = t->ndim; d < nd; d++) { src.size[d] = 1; src.stride[d] = 0; }
    src.ndim = nd;
    int64_t len = src.size[dim];
    narrow_view(&dst, o, dim, off, len);
    off += len;
    if (len == 0 || lt_numel(&dst) == 0) continue;
    if (view_copy(&dst, &src) < 0) { lt_release(o); return NULL; }
  }
  lt_bump_version(o);
  return o;
}

lt_tensor *lt_stack(lt_tensor *out, const lt_tensor *const *ts, int n, int dim) {
  if (LT_AG_OUT(out, lt_ag_any(ts, n))) return lt_ag_stack(out, ts, n, dim);
  if (n <= 0 || !ts) LT_FAIL(NULL, "stack: expects at least one tensor");
  const lt_tensor *t0 = ts[0];
  if (dim < 0 || dim > t0->ndim)
    LT_FAIL(NULL, "stack: dimension %d out of range (expected 1 to %d)", dim + 1, t0->ndim + 1);
  if (t0->ndim >= LT_MAXDIM) LT_FAIL(NULL, "stack: at most %d dimensions", LT_MAXDIM);
  lt_tensor *views = malloc(sizeof(lt_tensor) * (size_t)n);
  const lt_tensor **ptrs = malloc(sizeof(lt_tensor *) * (size_t)n);
  if (!views || !ptrs) { free(views); free(ptrs); LT_FAIL(NULL, "stack: out of memory"); }
  for (int i = 0; i < n; i++) {
    const lt_tensor *t = ts[i];
    if (!t || !lt_same_size(t, t0) || lt_numel(t) != lt_numel(t0)) {
      char b1[128], b2[128];
      free(views); free(ptrs);
      if (!t) LT_FAIL(NULL, "stack: tensor %d is missing", i + 1);
      LT_FAIL(NULL, "stack: expects tensors of the same size, got %s and %s (tensor %d)",
              lt_shape_str(t0, b1, sizeof b1), lt_shape_str(t, b2, sizeof b2), i + 1);
    }
    lt_tensor *v = &views[i];
    lt_view_init(v, t);
    for (int d = t->ndim; d > dim; d--) { v->size[d] = t->size[d - 1]; v->stride[d] = t->stride[d - 1]; }
    v->size[dim] = 1;
    v->stride[dim] = 0;
    v->ndim = t->ndim + 1;
    ptrs[i] = v;
  }
  lt_tensor *r;
  if (lt_numel(t0) == 0 && t0->ndim <= 1) {
    /* empty inputs would be skipped by cat: the result is n x (their shape) */
    int64_t size[LT_MAXDIM];
    int nd = views[0].ndim;
    memcpy(size, views[0].size, sizeof(int64_t) * (size_t)nd);
    size[dim] = n;
    /* torch.Tensor() (no dimensions) stacks as a vector of size 0 (PyTorch's (0,)):
     * n of them give n x 0, never n elements that no input had */
    if (t0->ndim == 0) { size[1] = 0; nd = 2; }
    r = lt_prepare_out("stack", out, nd, size, out ? out->dtype : t0->dtype, t0->device);
  } else {
    r = lt_cat(out, ptrs, n, dim);
    if (!r) lt_seterr("stack: %s", lt_errmsg());
  }
  free(views);
  free(ptrs);
  return r;
}

/* ---- split, chunk ---- */
int lt_split(const lt_tensor *a, int64_t size, int dim, lt_tensor ***parts) {
  *parts = NULL;
  if (lt_check_dim("split", a, dim) < 0) return -1;
  if (size <= 0) LT_FAIL(-1, "split: size must be positive, got %lld", (long long)size);
  int64_t len = a->size[dim];
  int64_t count = (len + size - 1) / size;
  if (count > INT32_MAX) LT_FAIL(-1, "split: too many pieces (%lld)", (long long)count);
  lt_tensor **p = malloc(sizeof(lt_tensor *) * (size_t)(count ? count : 1));
  if (!p) LT_FAIL(-1, "split: out of memory");
  for (int64_t i = 0; i < count; i++) {
    p[i] = lt_narrow(a, dim, i * size, LT_MIN(size, len - i * size));
    if (!p[i]) {
      for (int64_t j = 0; j < i; j++) lt_release(p[j]);
      free(p);
      return -1;
    }
  }
  *parts = p;
  return (int)count;
}

int lt_chunk(const lt_tensor *a, int64_t n, int dim, lt_tensor ***parts) {
  *parts = NULL;
  if (lt_check_dim("chunk", a, dim) < 0) return -1;
  if (n <= 0) LT_FAIL(-1, "chunk: number of chunks must be positive, got %lld", (long long)n);
  int64_t len = a->size[dim];
  int64_t size = len ? (len + n - 1) / n : 1;   /* Torch7: ceil(len / n) */
  return lt_split(a, size, dim, parts);
}

/* ---- repeat (Torch7's repeatTensor) ---- */
lt_tensor *lt_repeat(const lt_tensor *a, int n, const int64_t *reps) {
  if (LT_AG1(a)) return lt_ag_repeat(a, n, reps);
  if (n < a->ndim)
    LT_FAIL(NULL, "repeatTensor: %d repeat counts for a tensor of %d dimensions (need at least as many)", n, a->ndim);
  if (n > LT_MAXDIM) LT_FAIL(NULL, "repeatTensor: %d dimensions (at most %d)", n, LT_MAXDIM);
  int64_t psize[LT_MAXDIM], pstride[LT_MAXDIM], size[LT_MAXDIM];
  int lead = n - a->ndim;
  for (int d = 0; d < n; d++) {
    if (reps[d] < 0) LT_FAIL(NULL, "repeatTensor: repeat count %lld at dimension %d is negative", (long long)reps[d], d + 1);
    psize[d] = d < lead ? 1 : a->size[d - lead];
    pstride[d] = d < lead ? 0 : a->stride[d - lead];
    if (psize[d] && reps[d] > INT64_MAX / 4 / psize[d]) LT_FAIL(NULL, "repeatTensor: result too large");
    size[d] = psize[d] * reps[d];
  }
  if (!a->storage) {   /* Torch7's empty tensor repeats to an empty tensor */
    int64_t z = 0;
    return lt_empty(1, &z, a->dtype, a->device);
  }
  lt_tensor *o = lt_empty(n, size, a->dtype, a->device);
  if (!o || lt_numel(o) == 0) return o;
  /* the first copy, then double along each dim from the last: [0,k) -> [k,2k) ... */
  lt_tensor v, src;
  lt_view_init(&v, o);
  memcpy(v.size, psize, sizeof(int64_t) * (size_t)n);
  lt_view_init(&src, a);
  src.ndim = n;
  memcpy(src.size, psize, sizeof(int64_t) * (size_t)n);
  memcpy(src.stride, pstride, sizeof(int64_t) * (size_t)n);
  if (view_copy(&v, &src) < 0) { lt_release(o); return NULL; }
  for (int d = n - 1; d >= 0; d--) {
    int64_t filled = psize[d], total = size[d];
    while (filled < total) {
      int64_t len = LT_MIN(filled, total - filled);
      lt_tensor from, to;
      narrow_view(&from, &v, d, 0, len);
      narrow_view(&to, &v, d, filled, len);
      if (view_copy(&to, &from) < 0) { lt_release(o); return NULL; }
      filled += len;
    }
    v.size[d] = total;
  }
  return o;
}

/* ---- flip, roll ---- */
lt_tensor *lt_flip(const lt_tensor *a, int ndims, const int *dims) {
  if (LT_AG1(a)) return lt_ag_flip(a, ndims, dims);
  if (!a->storage) return lt_new_empty(a->dtype, a->device);
  if (ndims < 0 || (ndims > 0 && !dims)) LT_FAIL(NULL, "flip: bad list of dimensions");
  bool seen[LT_MAXDIM] = {false};
  lt_tensor v;
  lt_view_init(&v, a);
  for (int i = 0; i < ndims; i++) {
    int d = dims[i];
    if (lt_check_dim("flip", a, d) < 0) return NULL;
    if (seen[d]) LT_FAIL(NULL, "flip: dimension %d appears twice", d + 1);
    seen[d] = true;
    if (a->size[d] <= 1) continue;
    v.offset += (a->size[d] - 1) * a->stride[d];   /* walk backwards */
    v.stride[d] = -a->stride[d];
  }
  lt_tensor *o = lt_empty_like(a);
  if (!o || lt_numel(o) == 0) return o;
  if (view_copy(o, &v) < 0) { lt_release(o); return NULL; }
  return o;
}

lt_tensor *lt_roll(const lt_tensor *a, int64_t shift, int dim) {
  if (LT_AG1(a)) return lt_ag_roll(a, shift, dim);
  if (!a->storage) return lt_new_empty(a->dtype, a->device);
  if (lt_check_dim("roll", a, dim) < 0) return NULL;
  lt_tensor *o = lt_empty_like(a);
  int64_t len = a->size[dim];
  if (!o || lt_numel(o) == 0) return o;
  int64_t s = shift % len;
  if (s < 0) s += len;
  /* out[(i + s) % len] = a[i]: a[0, len-s) -> out[s, len), a[len-s, len) -> out[0, s) */
  lt_tensor from, to;
  narrow_view(&from, a, dim, 0, len - s);
  narrow_view(&to, o, dim, s, len - s);
  int rc = view_copy(&to, &from);
  if (rc == 0 && s > 0) {
    narrow_view(&from, a, dim, len - s, s);
    narrow_view(&to, o, dim, 0, s);
    rc = view_copy(&to, &from);
  }
  if (rc < 0) { lt_release(o); return NULL; }
  return o;
}
