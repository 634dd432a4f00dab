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

static inline int bad_index(const char *op, int64_t v, int dim, int64_t size) {
  LT_FAIL(-1, "%s: index %lld out of range for dimension %d of size %lld", op, (long long)v + 1,
          dim + 1, (long long)size);
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
