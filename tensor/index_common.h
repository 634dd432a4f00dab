/* index_common.h: what the indexing files share (index.c: index/indexCopy/indexAdd/
 * indexFill; gather.c: gather/scatter; mask.c: masks and nonzero): the index and bounds
 * checks, the storage-sharing test, the GPU operand helpers and the add ops. */
#ifndef LT_INDEX_COMMON_H
#define LT_INDEX_COMMON_H

#include "internal.h"

/* ---- shared checks ---- */

/* t: the indexed tensor. A CPU tensor takes CPU indices; a GPU tensor's indices are moved
 * to its device when they are on the CPU (operand_on). */
static inline int check_indices(const char *op, const lt_tensor *index, const lt_tensor *t) {
  if (t->device.type == LT_CPU && lt_check_same_device(op, t, index) < 0) return -1;
  if (index->dtype != LT_INT64)
    LT_FAIL(-1, "%s: indices must be a LongTensor, got %sTensor", op, lt_dtype_name(index->dtype));
  return 0;
}

/* v: the 0-based position (an index counted from base b is v = raw - b, wrapping) */
static inline int bad_index(const char *op, int64_t v, int dim, int64_t size) {
  LT_FAIL(-1, "%s: index %lld out of range for dimension %d of size %lld", op, (long long)v + 1,
          dim + 1, (long long)size);
}

/* The position of the first of p[b..e) whose p[i] - base is outside [0, size), or e.
 * Indices may count from a base (the Lua bindings pass their 1-based ones as they are, base
 * 1, instead of copying them to 0-based ones). Blocks are tested without branches (this
 * vectorizes; a negative position is a huge unsigned one). */
static inline int64_t first_bad_in(const int64_t *p, int64_t b, int64_t e, int64_t size, int64_t base) {
  if (size <= 0) return b;
  /* p - base >= size, unsigned, as one add and one signed compare: flipping the sign bit
   * (adding 2^63) maps the unsigned order onto the signed one */
  const uint64_t flip = (uint64_t)1 << 63, off = flip - (uint64_t)base;
  const int64_t last = (int64_t)(((uint64_t)size - 1) ^ flip);
  for (; b < e; b += 4096) {
    int64_t be = LT_MIN(e, b + 4096);
    uint64_t bad = 0;
    for (int64_t i = b; i < be; i++) bad |= (int64_t)((uint64_t)p[i] + off) > last;
    if (!bad) continue;
    for (int64_t i = b; i < be; i++)
      if ((uint64_t)p[i] - (uint64_t)base >= (uint64_t)size) return i;
  }
  return e;
}

/* first_bad_in over p[0..n), split across threads when large */
static inline int64_t first_bad_index(const int64_t *p, int64_t n, int64_t size, int64_t base) {
  int nt = n >= LT_PARALLEL_GRAIN ? lt_threads() : 1;
  if (nt <= 1) return first_bad_in(p, 0, n, size, base);
  int64_t first = n;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(min : first)
  for (int t = 0; t < nt; t++) {
    int64_t b = n * t / nt, e = n * (t + 1) / nt, f = first_bad_in(p, b, e, size, base);
    if (f < e && f < first) first = f;
  }
  return first;
}

/* index, counted from base, as a new 0-based one (for the paths that take only those:
 * autograd, GPUs) */
static inline lt_tensor *zero_based(const lt_tensor *index, int64_t base) {
  return lt_binary_scalar(LT_SUB, NULL, index, (double)base, false);
}

/* a and b may share memory: one storage, or a storage view (or wrapped buffer) whose
 * memory may be the other's (counted as sharing: the result is computed apart) */
static inline bool shares_storage(const lt_tensor *a, const lt_tensor *b) { return lt_storages_may_share(a, b); }

/* ---- GPU operands ----
 * On a GPU the engine checks and shapes as on the CPU and the backend's kernels
 * (tensor/cuda/index.cu) do the moves. Indices are checked on the device before anything
 * is written, so a bad one leaves the tensors untouched, as on the CPU. */
static inline bool on_gpu(const lt_tensor *t) { return t->device.type != LT_CPU; }

/* An index or mask x on t's device (a new reference): a CPU one (a Lua table of indices
 * arrives as one) is copied over; one on another GPU is an error. */
static inline lt_tensor *operand_on(const char *op, const lt_tensor *x, const lt_tensor *t) {
  if (x->device.type == LT_CPU && on_gpu(t)) return lt_to_device(x, t->device);
  if (lt_check_same_device(op, t, x) < 0) return NULL;
  lt_retain((lt_tensor *)x);
  return (lt_tensor *)x;
}

/* every entry of a GPU index in [0, size); the first bad one reported as on the CPU */
static inline int gpu_check_indices(const char *op, const lt_backend *be, const lt_tensor *ix, int dim, int64_t size) {
  int64_t bad = 0;
  int rc = be->index_bounds(ix, size, &bad);
  if (rc < 0) return -1;
  if (rc > 0) return bad_index(op, bad, dim, size);
  return 0;
}

/* the indices of a write into t on a GPU: on t's device, checked against t's size along
 * dim, and copied first when they share t's memory (the write must see them as they were) */
static inline lt_tensor *gpu_write_index(const char *op, const lt_backend *be, const lt_tensor *index, lt_tensor *t, int dim) {
  lt_tensor *ix = operand_on(op, index, t);
  if (!ix) return NULL;
  if (shares_storage(ix, t)) {
    lt_tensor *c = lt_clone(ix);
    lt_release(ix);
    if (!(ix = c)) return NULL;
  }
  if (gpu_check_indices(op, be, ix, dim, t->size[dim]) < 0) { lt_release(ix); return NULL; }
  return ix;
}

/* d += s; bool adds as logical or (the add ops of index.c and gather.c) */
#define ADD_OP(T, a, b) ((T)((a) + (b)))
#define ADD_OP_BOOL(T, a, b) ((T)(((a) | (b)) != 0))

#endif
