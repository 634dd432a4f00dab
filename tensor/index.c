/* index.c: indexing along a dimension (index/indexCopy/indexAdd/indexFill), gather and
 * scatter, masks (maskedFill/maskedSelect/maskedCopy) and nonzero.
 *
 * Indices are INT64 tensors of 0-based positions; every one is checked against the size
 * of its dimension before anything is written, and a bad one is reported 1-based, as the
 * user typed it. Moves go by element size (any dtype); only the add ops do arithmetic
 * (half types add through float32). Ops are named in messages by their Torch7 names. */
#include "internal.h"
#include "autograd.h"
#include <stdio.h>

/* ---- shared checks ---- */

/* t: the indexed tensor. A CPU tensor takes CPU indices; a GPU tensor's indices are moved
 * to its device when they are on the CPU (operand_on). */
static int check_indices(const char *op, const lt_tensor *index, const lt_tensor *t) {
  if (t->device.type == LT_CPU && lt_check_same_device(op, t, index) < 0) return -1;
  if (index->dtype != LT_INT64)
    LT_FAIL(-1, "%s: indices must be a LongTensor, got %sTensor", op, lt_dtype_name(index->dtype));
  return 0;
}

static int bad_index(const char *op, int64_t v, int dim, int64_t size) {
  LT_FAIL(-1, "%s: index %lld out of range for dimension %d of size %lld", op, (long long)v + 1,
          dim + 1, (long long)size);
}

/* a and b may share memory: one storage, or a storage view (or wrapped buffer) whose
 * memory may be the other's (counted as sharing: the result is computed apart) */
static bool shares_storage(const lt_tensor *a, const lt_tensor *b) { return lt_storages_may_share(a, b); }

/* ---- GPU operands ----
 * On a GPU the engine checks and shapes as on the CPU and the backend's kernels
 * (tensor/cuda/index.cu) do the moves. Indices are checked on the device before anything
 * is written, so a bad one leaves the tensors untouched, as on the CPU. */
static bool on_gpu(const lt_tensor *t) { return t->device.type != LT_CPU; }

/* An index or mask x on t's device (a new reference): a CPU one (a Lua table of indices
 * arrives as one) is copied over; one on another GPU is an error. */
static lt_tensor *operand_on(const char *op, const lt_tensor *x, const lt_tensor *t) {
  if (x->device.type == LT_CPU && on_gpu(t)) return lt_to_device(x, t->device);
  if (lt_check_same_device(op, t, x) < 0) return NULL;
  lt_retain((lt_tensor *)x);
  return (lt_tensor *)x;
}

/* every entry of a GPU index in [0, size); the first bad one reported as on the CPU */
static int gpu_check_indices(const char *op, const lt_backend *be, const lt_tensor *ix, int dim, int64_t size) {
  int64_t bad = 0;
  int rc = be->index_bounds(ix, size, &bad);
  if (rc < 0) return -1;
  if (rc > 0) return bad_index(op, bad, dim, size);
  return 0;
}

/* the vector index ix seen with the iteration's shape: its entries along dim, repeated
 * (stride 0) along the other dims */
static lt_tensor *iter_index(lt_tensor *v, const lt_tensor *ix, int ndim, const int64_t *size, int dim) {
  lt_view_init(v, ix);
  v->ndim = ndim;
  for (int d = 0; d < ndim; d++) { v->size[d] = size[d]; v->stride[d] = 0; }
  v->stride[dim] = ix->ndim ? ix->stride[0] : 0;
  return v;
}

/* The entries of a vector (or 0-dim) index as a contiguous array, checked against
 * [0, size). *owned receives a buffer to free (NULL when the index's own data is used). */
static const int64_t *index_list(const char *op, const lt_tensor *index, int dim, int64_t size,
                                 bool force_copy, int64_t *n, int64_t **owned) {
  *owned = NULL;
  if (index->ndim > 1) {
    char b[128];
    LT_FAIL(NULL, "%s: indices must be a vector (1-D LongTensor), got size %s", op,
            lt_shape_str(index, b, sizeof b));
  }
  int64_t cnt = lt_numel(index), st = index->ndim ? index->stride[0] : 1;
  const int64_t *p = (const int64_t *)lt_data(index);
  *n = cnt;
  if (cnt == 0) {
    static const int64_t none[1] = {0};
    return none;
  }
  if (st != 1 || force_copy) {
    int64_t *buf = malloc((size_t)cnt * sizeof(int64_t));
    if (!buf) LT_FAIL(NULL, "%s: out of memory", op);
    for (int64_t i = 0; i < cnt; i++) buf[i] = p[i * st];
    *owned = buf;
    p = buf;
  }
  for (int64_t i = 0; i < cnt; i++)
    if (p[i] < 0 || p[i] >= size) {
      free(*owned);
      *owned = NULL;
      bad_index(op, p[i], dim, size);
      return NULL;
    }
  return p;
}

/* ---- tensors seen as (outer, dim, inner) ---- */

typedef struct {
  int64_t outer, n, inner;     /* sizes */
  int64_t so, sd, si;          /* element strides */
} view3;

/* dims [b, e) as one dim with a uniform stride, when their layout allows */
static bool coalesce(const lt_tensor *t, int b, int e, int64_t *size, int64_t *stride) {
  int64_t sz = 1, st = 1;
  bool any = false;
  for (int d = e - 1; d >= b; d--) {
    if (t->size[d] == 0) { *size = 0; *stride = 1; return true; }
    if (t->size[d] == 1) continue;
    if (!any) { sz = t->size[d]; st = t->stride[d]; any = true; continue; }
    if (t->stride[d] != st * sz) {
      /* maybe a later zero-size dim makes it empty anyway */
      for (int k = d - 1; k >= b; k--) if (t->size[k] == 0) { *size = 0; *stride = 1; return true; }
      return false;
    }
    sz *= t->size[d];
  }
  *size = sz;
  *stride = st;
  return true;
}

static bool as_view3(const lt_tensor *t, int dim, view3 *v) {
  v->n = t->size[dim];
  v->sd = t->stride[dim];
  return coalesce(t, 0, dim, &v->outer, &v->so) && coalesce(t, dim + 1, t->ndim, &v->inner, &v->si);
}

/* ---- row kernels: m elements, byte strides ---- */
typedef void (*row_fn)(char *d, int64_t ds, const char *s, int64_t ss, int64_t m, const void *ctx);

#define DEF_ROW_MOVE(N, T)                                                                     \
  static void move_row_##N(char *d, int64_t ds, const char *s, int64_t ss, int64_t m, const void *c) { \
    (void)c;                                                                                   \
    if (ds == N && ss == N) { memcpy(d, s, (size_t)m * N); return; }                           \
    for (int64_t i = 0; i < m; i++) *(T *)(d + i * ds) = *(const T *)(s + i * ss);             \
  }                                                                                            \
  static void fill_row_##N(char *d, int64_t ds, const char *s, int64_t ss, int64_t m, const void *c) { \
    (void)s; (void)ss;                                                                         \
    T v;                                                                                       \
    memcpy(&v, c, N);                                                                          \
    for (int64_t i = 0; i < m; i++) *(T *)(d + i * ds) = v;                                    \
  }
DEF_ROW_MOVE(1, uint8_t)
DEF_ROW_MOVE(2, uint16_t)
DEF_ROW_MOVE(4, uint32_t)
DEF_ROW_MOVE(8, uint64_t)

static row_fn move_row_for(size_t es) {
  return es == 1 ? move_row_1 : es == 2 ? move_row_2 : es == 4 ? move_row_4 : move_row_8;
}
static row_fn fill_row_for(size_t es) {
  return es == 1 ? fill_row_1 : es == 2 ? fill_row_2 : es == 4 ? fill_row_4 : fill_row_8;
}

/* d += s; bool adds as logical or */
#define ADD_OP(T, a, b) ((T)((a) + (b)))
#define ADD_OP_BOOL(T, a, b) ((T)(((a) | (b)) != 0))
#define DEF_ROW_ADD(E, T, OP)                                                                  \
  static void add_row_##E(char *d, int64_t ds, const char *s, int64_t ss, int64_t m, const void *c) { \
    (void)c;                                                                                   \
    if (ds == sizeof(T) && ss == sizeof(T)) {                                                  \
      T *o = (T *)d;                                                                           \
      const T *a = (const T *)s;                                                               \
      for (int64_t i = 0; i < m; i++) o[i] = OP(T, o[i], a[i]);                                \
      return;                                                                                  \
    }                                                                                          \
    for (int64_t i = 0; i < m; i++) {                                                          \
      T *o = (T *)(d + i * ds);                                                                \
      *o = OP(T, *o, *(const T *)(s + i * ss));                                                \
    }                                                                                          \
  }
DEF_ROW_ADD(FLOAT32, float, ADD_OP)
DEF_ROW_ADD(FLOAT64, double, ADD_OP)
DEF_ROW_ADD(INT64, int64_t, ADD_OP)
DEF_ROW_ADD(INT32, int32_t, ADD_OP)
DEF_ROW_ADD(INT16, int16_t, ADD_OP)
DEF_ROW_ADD(INT8, int8_t, ADD_OP)
DEF_ROW_ADD(UINT8, uint8_t, ADD_OP)
DEF_ROW_ADD(BOOL, uint8_t, ADD_OP_BOOL)

static row_fn add_row_for(lt_dtype t) {
  switch (t) {
  case LT_FLOAT32: return add_row_FLOAT32;
  case LT_FLOAT64: return add_row_FLOAT64;
  case LT_INT64: return add_row_INT64;
  case LT_INT32: return add_row_INT32;
  case LT_INT16: return add_row_INT16;
  case LT_INT8: return add_row_INT8;
  case LT_UINT8: return add_row_UINT8;
  case LT_BOOL: return add_row_BOOL;
  default: return NULL;
  }
}

/* ---- index / indexCopy / indexAdd / indexFill ----
 * For every outer position o and every j < n, one row of `inner` elements:
 *   select:       dst[o, j, :]      = src[o, idx[j], :]
 *   copy/add/fill dst[o, idx[j], :] (=, +=) src[o, j, :]  (or the fill value)
 * Threads split (o, inner range); j runs in order inside each, so repeated indices
 * behave as in a sequential loop (the last copy wins, adds accumulate). */
typedef struct {
  row_fn fn;
  size_t es;
  char *dst;
  view3 dv;
  const char *src;
  view3 sv;
  bool dst_indexed;
  const int64_t *idx;
  int64_t n;
  const void *ctx;
} ix_job;

static void ix_task(const ix_job *J, int64_t o, int64_t j0, int64_t j1, int64_t i0, int64_t i1) {
  int64_t es = (int64_t)J->es;
  for (int64_t j = j0; j < j1; j++) {
    int64_t dj = J->dst_indexed ? J->idx[j] : j, sj = J->dst_indexed ? j : J->idx[j];
    char *d = J->dst + (o * J->dv.so + dj * J->dv.sd + i0 * J->dv.si) * es;
    const char *s = J->src ? J->src + (o * J->sv.so + sj * J->sv.sd + i0 * J->sv.si) * es : NULL;
    J->fn(d, J->dv.si * es, s, J->sv.si * es, i1 - i0, J->ctx);
  }
}

/* Threads split the outer positions, then either the index list (select: every j writes
 * its own slice) or, for the writes into t where indices may repeat, the inner range
 * when it is long enough not to share cache lines; j stays in order within a task. */
static void ix_run(const ix_job *J) {
  int64_t outer = J->dv.outer, inner = J->dv.inner, n = J->n;
  if (outer == 0 || inner == 0 || n == 0) return;
  int nt = lt_threads();
  int64_t work = outer * inner * n;
  int64_t per = outer >= nt ? 1 : (nt + outer - 1) / outer * 4;   /* chunks per outer */
  int64_t nj = 1, ni = 1;
  if (!J->dst_indexed) nj = LT_MIN(n, per);
  else if (inner >= 256) ni = LT_MIN(inner / 64, per);
  int64_t tasks = outer * nj * ni;
  if (nt <= 1 || work < LT_PARALLEL_GRAIN || tasks < 2) {
    for (int64_t o = 0; o < outer; o++) ix_task(J, o, 0, n, 0, inner);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t o = t / (nj * ni), c = t % (nj * ni), cj = c / ni, ci = c % ni;
    ix_task(J, o, n * cj / nj, n * (cj + 1) / nj, inner * ci / ni, inner * (ci + 1) / ni);
  }
}

static lt_tensor *gpu_index_select(const char *op, lt_tensor *out, const lt_tensor *a, int dim,
                                   const lt_tensor *index) {
  if (index->ndim > 1) {
    char b[128];
    LT_FAIL(NULL, "%s: indices must be a vector (1-D LongTensor), got size %s", op,
            lt_shape_str(index, b, sizeof b));
  }
  const lt_backend *be = lt_backend_for(a->device);
  lt_tensor *ix = be ? operand_on(op, index, a) : NULL, *o = NULL;
  if (!ix || gpu_check_indices(op, be, ix, dim, a->size[dim]) < 0) goto done;
  int64_t size[LT_MAXDIM];
  memcpy(size, a->size, sizeof(int64_t) * a->ndim);
  size[dim] = lt_numel(ix);
  o = lt_prepare_out(op, out, a->ndim, size, a->dtype, a->device);
  if (!o) goto done;
  lt_tensor iv;
  if (lt_numel(o) && be->gather_scatter(0, (lt_tensor *)a, iter_index(&iv, ix, a->ndim, size, dim), o, dim, 0) < 0) {
    lt_release(o);
    o = NULL;
    goto done;
  }
  lt_bump_version(o);
done:
  lt_release(ix);
  return o;
}

lt_tensor *lt_index_select(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_index_select(out, a, dim, index);
  const char *op = "index";
  if (check_indices(op, index, a) < 0 || lt_check_dim(op, a, dim) < 0)
    return NULL;
  if (out && (shares_storage(out, a) || shares_storage(out, index))) {
    lt_tensor *r = lt_index_select(NULL, a, dim, index);
    if (!r) return NULL;
    lt_tensor *o = lt_prepare_out(op, out, r->ndim, r->size, a->dtype, a->device);
    if (o && lt_copy(o, r) < 0) { lt_release(o); o = NULL; }
    lt_release(r);
    return o;
  }
  if (on_gpu(a)) return gpu_index_select(op, out, a, dim, index);
  int64_t n, *owned;
  const int64_t *idx = index_list(op, index, dim, a->size[dim], false, &n, &owned);
  if (!idx) return NULL;
  int64_t size[LT_MAXDIM];
  memcpy(size, a->size, sizeof(int64_t) * a->ndim);
  size[dim] = n;
  lt_tensor *o = lt_prepare_out(op, out, a->ndim, size, a->dtype, a->device);
  lt_tensor *ac = NULL, *oc = NULL;
  if (!o) goto done;
  ix_job J = {.fn = move_row_for(lt_dtype_size(a->dtype)), .es = lt_dtype_size(a->dtype),
              .dst_indexed = false, .idx = idx, .n = n};
  const lt_tensor *A = a;
  if (!as_view3(A, dim, &J.sv)) {
    if (!(ac = lt_contiguous(a))) goto fail;
    A = ac;
    as_view3(A, dim, &J.sv);
  }
  lt_tensor *O = o;
  if (!as_view3(O, dim, &J.dv)) {
    if (!(oc = lt_empty(o->ndim, o->size, o->dtype, o->device))) goto fail;
    O = oc;
    as_view3(O, dim, &J.dv);
  }
  J.src = lt_data(A);
  J.dst = lt_data(O);
  ix_run(&J);
  if (oc && lt_copy(o, oc) < 0) goto fail;
  lt_bump_version(o);
  goto done;
fail:
  lt_release(o);
  o = NULL;
done:
  lt_release(ac);
  lt_release(oc);
  free(owned);
  return o;
}

typedef enum { IW_COPY, IW_ADD, IW_FILL } iw_kind;

/* the indices of a write into t on a GPU: on t's device, checked against t's size along
 * dim, and copied first when they share t's memory (the write must see them as they were) */
static lt_tensor *gpu_write_index(const char *op, const lt_backend *be, const lt_tensor *index, lt_tensor *t, int dim) {
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

/* t (not a half type for the add) on a GPU; shapes checked */
static int gpu_index_write(const char *op, iw_kind kind, lt_tensor *t, int dim, const lt_tensor *index,
                           const lt_tensor *src, double v) {
  const lt_backend *be = lt_backend_for(t->device);
  lt_tensor *ix = be ? gpu_write_index(op, be, index, t, dim) : NULL, *sc = NULL;
  int rc = -1;
  if (!ix) return -1;
  if (src) {   /* in t's dtype, apart from t's memory */
    if (src->dtype != t->dtype) sc = lt_to_dtype(src, t->dtype);
    else if (shares_storage(src, t)) sc = lt_clone(src);
    else { sc = (lt_tensor *)src; lt_retain(sc); }
    if (!sc) goto done;
  }
  int64_t size[LT_MAXDIM];
  memcpy(size, t->size, sizeof(int64_t) * t->ndim);
  size[dim] = lt_numel(ix);
  rc = 0;
  if (size[dim] && lt_numel(t)) {
    lt_tensor iv;
    int k = kind == IW_COPY ? 1 : kind == IW_ADD ? 2 : 3;   /* the backend's scatter/add/fill */
    rc = be->gather_scatter(k, t, iter_index(&iv, ix, t->ndim, size, dim), sc, dim, v);
  }
  if (rc == 0) lt_bump_version(t);
done:
  lt_release(sc);
  lt_release(ix);
  return rc;
}

/* indexCopy / indexAdd / indexFill: t[.., idx[j], ..] (=, +=) src[.., j, ..] or v */
static int index_write(const char *op, iw_kind kind, lt_tensor *t, int dim, const lt_tensor *index,
                       const lt_tensor *src, double v) {
  if (check_indices(op, index, t) < 0 || lt_check_dim(op, t, dim) < 0) return -1;
  if (src && lt_check_same_device(op, t, src) < 0) return -1;
  if (index->ndim > 1) {
    char b[128];
    LT_FAIL(-1, "%s: indices must be a vector (1-D LongTensor), got size %s", op,
            lt_shape_str(index, b, sizeof b));
  }
  int64_t n = lt_numel(index);
  if (src) {
    bool ok = src->ndim == t->ndim && src->size[dim] == n;
    for (int d = 0; ok && d < t->ndim; d++) ok = d == dim || src->size[d] == t->size[d];
    if (!ok) {
      char b1[128], b2[128];
      LT_FAIL(-1, "%s: source of size %s does not match the destination of size %s with %lld "
              "indices along dimension %d", op, lt_shape_str(src, b1, sizeof b1),
              lt_shape_str(t, b2, sizeof b2), (long long)n, dim + 1);
    }
  }
  if (kind == IW_ADD && lt_is_half(t->dtype)) {
    /* no half arithmetic: add in float32, then store back */
    lt_tensor *tf = lt_to_dtype(t, LT_FLOAT32);
    int rc = tf ? index_write(op, kind, tf, dim, index, src, v) : -1;
    if (rc == 0) rc = lt_copy(t, tf);
    lt_release(tf);
    return rc;
  }
  if (on_gpu(t)) return gpu_index_write(op, kind, t, dim, index, src, v);
  int64_t *owned;
  const int64_t *idx = index_list(op, index, dim, t->size[dim], shares_storage(index, t), &n, &owned);
  if (!idx) return -1;
  int rc = -1;
  lt_tensor *sc = NULL, *tc = NULL;
  size_t es = lt_dtype_size(t->dtype);
  union { char c[8]; uint64_t u; } val = {{0}};
  ix_job J = {.es = es, .dst_indexed = true, .idx = idx, .n = n};
  if (kind == IW_FILL) {
    lt_store(t->dtype, val.c, v);
    J.fn = fill_row_for(es);
    J.ctx = val.c;
  } else {
    J.fn = kind == IW_ADD ? add_row_for(t->dtype) : move_row_for(es);
    /* the source in t's dtype, apart from t's memory, in a (outer, dim, inner) layout */
    if (src->dtype != t->dtype) sc = lt_to_dtype(src, t->dtype);
    else if (shares_storage(src, t)) sc = lt_clone(src);
    else { sc = (lt_tensor *)src; lt_retain(sc); }
    if (!sc) goto done;
    if (!as_view3(sc, dim, &J.sv)) {
      lt_tensor *c = lt_clone(sc);
      lt_release(sc);
      if (!(sc = c)) goto done;
      as_view3(sc, dim, &J.sv);
    }
    J.src = lt_data(sc);
  }
  lt_tensor *T = t;
  if (!as_view3(T, dim, &J.dv)) {
    if (!(tc = lt_clone(t))) goto done;
    T = tc;
    as_view3(T, dim, &J.dv);
  }
  J.dst = lt_data(T);
  ix_run(&J);
  rc = tc ? lt_copy(t, tc) : 0;
  lt_bump_version(t);
done:
  lt_release(sc);
  lt_release(tc);
  free(owned);
  return rc;
}

int lt_index_copy(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_INDEX_COPY, t, dim, index, src, 0);
  return index_write("indexCopy", IW_COPY, t, dim, index, src, 0);
}
int lt_index_add(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_INDEX_ADD, t, dim, index, src, 0);
  return index_write("indexAdd", IW_ADD, t, dim, index, src, 0);
}
int lt_index_fill(lt_tensor *t, int dim, const lt_tensor *index, double v) {
  if (LT_AG1(t)) return lt_ag_write(LT_AGW_INDEX_FILL, t, dim, index, NULL, v);
  return index_write("indexFill", IW_FILL, t, dim, index, NULL, v);
}

/* ---- gather / scatter ----
 * The iteration space is the index's shape. With T the indexed tensor (gather's source,
 * scatter's destination) and O the other one (gather's result, scatter's source):
 *   gather:  O[p] = T[p with p[dim] = index[p]]      scatter: T[...] (=, +=) O[p] or v
 * Two axes run in the inner block: dim and L, the last other dim, in memory order. The
 * other dims ("rows") and chunks of L are split across threads; two tasks never touch the
 * same element of T (they differ in a dim other than `dim`), so scatterAdd is race-free. */
typedef enum { GS_GATHER, GS_SCATTER, GS_ADD, GS_FILL } gs_kind;

typedef struct {
  int64_t nx, ny;            /* inner block sizes */
  int64_t tx, ty, ix, iy, ox, oy;  /* byte strides along x and y (T's is 0 on dim) */
  int64_t tdim;              /* T's byte stride along dim */
} gs_block;

#define GS_LOOP(BODY)                                                                          \
  for (int64_t x = x0; x < x1; x++) {                                                          \
    const char *ip = pi + x * B->ix;                                                           \
    char *tp = pt + x * B->tx, *op = po + x * B->ox;                                           \
    for (int64_t y = y0; y < y1; y++) {                                                        \
      int64_t v = *(const int64_t *)(ip + y * B->iy);                                          \
      char *te = tp + y * B->ty + v * B->tdim, *oe = op + y * B->oy;                           \
      BODY;                                                                                    \
    }                                                                                          \
  }
typedef void (*gs_fn)(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,
                      int64_t x1, int64_t y0, int64_t y1, const void *ctx);
#define DEF_GS_MOVE(N, T)                                                                      \
  static void gather_##N(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,    \
                         int64_t x1, int64_t y0, int64_t y1, const void *c) {                  \
    (void)c;                                                                                   \
    if (B->iy == 8 && B->oy == N && (B->ty == 0 || B->ty == N)) {                              \
      /* index and result contiguous along y, the source along y too or y is dim: plain     \
       * indexed loops (no stride products per element) */                                   \
      for (int64_t x = x0; x < x1; x++) {                                                      \
        const int64_t *iv = (const int64_t *)(pi + x * B->ix);                                 \
        const char *tp = pt + x * B->tx;                                                       \
        T *o = (T *)(po + x * B->ox);                                                          \
        if (B->ty == 0)                                                                        \
          for (int64_t y = y0; y < y1; y++) o[y] = *(const T *)(tp + iv[y] * B->tdim);          \
        else                                                                                   \
          for (int64_t y = y0; y < y1; y++) o[y] = ((const T *)(tp + iv[y] * B->tdim))[y];      \
      }                                                                                        \
      return;                                                                                  \
    }                                                                                          \
    GS_LOOP(*(T *)oe = *(const T *)te)                                                         \
  }                                                                                            \
  static void scatter_##N(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,   \
                          int64_t x1, int64_t y0, int64_t y1, const void *c) {                 \
    (void)c;                                                                                   \
    GS_LOOP(*(T *)te = *(const T *)oe)                                                         \
  }                                                                                            \
  static void sfill_##N(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,     \
                        int64_t x1, int64_t y0, int64_t y1, const void *c) {                   \
    T fv;                                                                                      \
    memcpy(&fv, c, N);                                                                         \
    GS_LOOP((void)oe; *(T *)te = fv)                                                           \
  }
DEF_GS_MOVE(1, uint8_t)
DEF_GS_MOVE(2, uint16_t)
DEF_GS_MOVE(4, uint32_t)
DEF_GS_MOVE(8, uint64_t)

#define DEF_GS_ADD(E, T, OP)                                                                   \
  static void sadd_##E(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,      \
                       int64_t x1, int64_t y0, int64_t y1, const void *c) {                    \
    (void)c;                                                                                   \
    GS_LOOP(*(T *)te = OP(T, *(T *)te, *(const T *)oe))                                        \
  }
DEF_GS_ADD(FLOAT32, float, ADD_OP)
DEF_GS_ADD(FLOAT64, double, ADD_OP)
DEF_GS_ADD(INT64, int64_t, ADD_OP)
DEF_GS_ADD(INT32, int32_t, ADD_OP)
DEF_GS_ADD(INT16, int16_t, ADD_OP)
DEF_GS_ADD(INT8, int8_t, ADD_OP)
DEF_GS_ADD(UINT8, uint8_t, ADD_OP)
DEF_GS_ADD(BOOL, uint8_t, ADD_OP_BOOL)

static gs_fn gs_fn_for(gs_kind k, lt_dtype dt) {
  size_t es = lt_dtype_size(dt);
  switch (k) {
  case GS_GATHER: return es == 1 ? gather_1 : es == 2 ? gather_2 : es == 4 ? gather_4 : gather_8;
  case GS_SCATTER: return es == 1 ? scatter_1 : es == 2 ? scatter_2 : es == 4 ? scatter_4 : scatter_8;
  case GS_FILL: return es == 1 ? sfill_1 : es == 2 ? sfill_2 : es == 4 ? sfill_4 : sfill_8;
  default:
    switch (dt) {
    case LT_FLOAT32: return sadd_FLOAT32;
    case LT_FLOAT64: return sadd_FLOAT64;
    case LT_INT64: return sadd_INT64;
    case LT_INT32: return sadd_INT32;
    case LT_INT16: return sadd_INT16;
    case LT_INT8: return sadd_INT8;
    case LT_UINT8: return sadd_UINT8;
    case LT_BOOL: return sadd_BOOL;
    default: return NULL;
    }
  }
}

/* Every entry of index (any strides) in [0, size); the first bad one is reported. */
static int check_all_indices(const char *op, const lt_tensor *index, int dim, int64_t size) {
  int64_t n = lt_numel(index);
  if (n == 0) return 0;
  const int64_t *p = (const int64_t *)lt_data(index);
  if (lt_is_contiguous(index)) {
    /* blocks tested without branches (vectorizes; a negative index is a huge unsigned
     * one), split across threads when large; the first bad index is the one reported */
    int nt = n >= LT_PARALLEL_GRAIN ? lt_threads() : 1;
    int64_t first = n;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(min : first) if (nt > 1)
    for (int t = 0; t < nt; t++) {
      int64_t e = n * (t + 1) / nt;
      for (int64_t b = n * t / nt; b < e; b += 4096) {
        int64_t be = LT_MIN(e, b + 4096);
        uint64_t bad = 0;
        for (int64_t i = b; i < be; i++) bad |= (uint64_t)p[i] >= (uint64_t)size;
        if (!bad) continue;
        for (int64_t i = b; i < be; i++)
          if ((uint64_t)p[i] >= (uint64_t)size) { if (i < first) first = i; break; }
        break;
      }
    }
    return first < n ? bad_index(op, p[first], dim, size) : 0;
  }
  int nd = index->ndim;
  int64_t ctr[LT_MAXDIM] = {0}, off = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = p[off];
    if (v < 0 || v >= size) return bad_index(op, v, dim, size);
    for (int d = nd - 1; d >= 0; d--) {
      off += index->stride[d];
      if (++ctr[d] < index->size[d]) break;
      off -= ctr[d] * index->stride[d];
      ctr[d] = 0;
    }
  }
  return 0;
}

/* T: indexed tensor; I: index; O: other operand (NULL for fill); all shapes checked. */
static void gs_run(gs_kind kind, lt_tensor *T, const lt_tensor *I, lt_tensor *O, int dim,
                   const void *ctx) {
  int nd = I->ndim;
  int64_t ts = (int64_t)lt_dtype_size(T->dtype), os = O ? (int64_t)lt_dtype_size(O->dtype) : 0;
  if (lt_numel(I) == 0) return;
  int L = -1;
  for (int d = nd - 1; d >= 0; d--) if (d != dim) { L = d; break; }
  int X = L < 0 ? -1 : (dim > L ? L : dim), Y = L < 0 ? dim : (dim > L ? dim : L);
  gs_block B = {0};
#define AXIS_STRIDES(ax, n, t, i, o)                                                           \
  if ((ax) >= 0) {                                                                             \
    n = I->size[ax];                                                                           \
    t = (ax) == dim ? 0 : T->stride[ax] * ts;                                                  \
    i = I->stride[ax] * 8;                                                                     \
    o = O ? O->stride[ax] * os : 0;                                                            \
  } else n = 1;
  AXIS_STRIDES(X, B.nx, B.tx, B.ix, B.ox)
  AXIS_STRIDES(Y, B.ny, B.ty, B.iy, B.oy)
#undef AXIS_STRIDES
  B.tdim = T->stride[dim] * ts;
  /* rows: the other dims */
  int rd[LT_MAXDIM], nr = 0;
  int64_t rows = 1;
  for (int d = 0; d < nd; d++)
    if (d != dim && d != L) { rd[nr++] = d; rows *= I->size[d]; }
  /* the axis split into chunks: L (or dim for a 1-D gather) */
  int C = L >= 0 ? L : (kind == GS_GATHER ? dim : -1);
  bool cx = C >= 0 && C == X;                  /* the chunked axis is x (else y, or none) */
  int64_t clen = C >= 0 ? I->size[C] : 1;
  int nt = lt_threads();
  int64_t work = lt_numel(I);
  int64_t nch = 1;
  if (nt > 1 && work >= LT_PARALLEL_GRAIN && rows < nt && C >= 0)
    nch = LT_MIN(clen, (nt + rows - 1) / rows * 4);
  int64_t tasks = rows * nch;
  gs_fn fn = gs_fn_for(kind, T->dtype);
  char *pt0 = (char *)lt_data(T), *po0 = O ? (char *)lt_data(O) : pt0;   /* fill: unused */
  const char *pi0 = (const char *)lt_data(I);
#pragma omp parallel for schedule(static) if (nt > 1 && work >= LT_PARALLEL_GRAIN && tasks > 1)
  for (int64_t task = 0; task < tasks; task++) {
    int64_t r = task / nch, c = task % nch;
    int64_t offt = 0, offi = 0, offo = 0;
    for (int k = nr - 1; k >= 0; k--) {
      int d = rd[k];
      int64_t q = r % I->size[d];
      r /= I->size[d];
      offt += q * T->stride[d] * ts;
      offi += q * I->stride[d] * 8;
      if (O) offo += q * O->stride[d] * os;
    }
    int64_t c0 = clen * c / nch, c1 = clen * (c + 1) / nch;
    int64_t x0 = 0, x1 = B.nx, y0 = 0, y1 = B.ny;
    if (C >= 0) {
      if (cx) { x0 = c0; x1 = c1; } else { y0 = c0; y1 = c1; }
    }
    fn(&B, pt0 + offt, pi0 + offi, po0 + offo, x0, x1, y0, y1, ctx);
  }
}

/* index has t's number of dims and fits inside `within` (and t, except along dim) */
static int check_gs_shapes(const char *op, const lt_tensor *t, int dim, const lt_tensor *index,
                           const lt_tensor *within) {
  if (lt_check_dim(op, t, dim) < 0) return -1;
  char b1[128], b2[128];
  if (index->ndim != t->ndim)
    LT_FAIL(-1, "%s: index of size %s must have as many dimensions as the tensor of size %s", op,
            lt_shape_str(index, b1, sizeof b1), lt_shape_str(t, b2, sizeof b2));
  for (int d = 0; d < t->ndim; d++) {
    if (d != dim && index->size[d] > t->size[d])
      LT_FAIL(-1, "%s: index of size %s is larger than the tensor of size %s at dimension %d", op,
              lt_shape_str(index, b1, sizeof b1), lt_shape_str(t, b2, sizeof b2), d + 1);
    if (within && index->size[d] > within->size[d])
      LT_FAIL(-1, "%s: index of size %s is larger than the source of size %s at dimension %d", op,
              lt_shape_str(index, b1, sizeof b1), lt_shape_str(within, b2, sizeof b2), d + 1);
  }
  if (within && within->ndim != t->ndim)
    LT_FAIL(-1, "%s: source of size %s must have as many dimensions as the tensor of size %s", op,
            lt_shape_str(within, b1, sizeof b1), lt_shape_str(t, b2, sizeof b2));
  return 0;
}

static lt_tensor *gpu_gather(const char *op, lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index) {
  const lt_backend *be = lt_backend_for(a->device);
  lt_tensor *ix = be ? operand_on(op, index, a) : NULL, *o = NULL;
  if (!ix || gpu_check_indices(op, be, ix, dim, a->size[dim]) < 0) goto done;
  if (out && (shares_storage(out, a) || shares_storage(out, ix))) {
    lt_tensor *r = gpu_gather(op, NULL, a, dim, ix);
    if (!r) goto done;
    o = lt_prepare_out(op, out, r->ndim, r->size, a->dtype, a->device);
    if (o && lt_copy(o, r) < 0) { lt_release(o); o = NULL; }
    lt_release(r);
    goto done;
  }
  o = lt_prepare_out(op, out, ix->ndim, ix->size, a->dtype, a->device);
  if (!o) goto done;
  if (be->gather_scatter(0, (lt_tensor *)a, ix, o, dim, 0) < 0) { lt_release(o); o = NULL; goto done; }
  lt_bump_version(o);
done:
  lt_release(ix);
  return o;
}

lt_tensor *lt_gather(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_gather(out, a, dim, index);
  const char *op = "gather";
  if (check_indices(op, index, a) < 0) return NULL;
  if (check_gs_shapes(op, a, dim, index, NULL) < 0) return NULL;
  if (on_gpu(a)) return gpu_gather(op, out, a, dim, index);
  if (check_all_indices(op, index, dim, a->size[dim]) < 0) return NULL;
  if (out && (shares_storage(out, a) || shares_storage(out, index))) {
    lt_tensor *r = lt_gather(NULL, a, dim, index);
    if (!r) return NULL;
    lt_tensor *o = lt_prepare_out(op, out, r->ndim, r->size, a->dtype, a->device);
    if (o && lt_copy(o, r) < 0) { lt_release(o); o = NULL; }
    lt_release(r);
    return o;
  }
  lt_tensor *o = lt_prepare_out(op, out, index->ndim, index->size, a->dtype, a->device);
  if (!o) return NULL;
  gs_run(GS_GATHER, (lt_tensor *)a, index, o, dim, NULL);
  lt_bump_version(o);
  return o;
}

/* scatter, scatterAdd, scatter of a value into t on a GPU; shapes checked */
static int gpu_scatter(const char *op, gs_kind kind, lt_tensor *t, int dim, const lt_tensor *index,
                       const lt_tensor *src, double v) {
  const lt_backend *be = lt_backend_for(t->device);
  lt_tensor *ix = be ? gpu_write_index(op, be, index, t, dim) : NULL, *sc = NULL;
  int rc = -1;
  if (!ix) return -1;
  if (kind == GS_ADD && lt_is_half(t->dtype)) {   /* added in float32, as on the CPU */
    lt_tensor *tf = lt_to_dtype(t, LT_FLOAT32);
    rc = tf ? gpu_scatter(op, kind, tf, dim, ix, src, v) : -1;
    if (rc == 0) rc = lt_copy(t, tf);
    lt_release(tf);
    if (rc == 0) lt_bump_version(t);
    goto done;
  }
  if (src) {   /* in t's dtype, apart from t's memory */
    if (src->dtype != t->dtype) sc = lt_to_dtype(src, t->dtype);
    else if (shares_storage(src, t)) sc = lt_clone(src);
    else { sc = (lt_tensor *)src; lt_retain(sc); }
    if (!sc) goto done;
  }
  rc = lt_numel(ix) ? be->gather_scatter((int)kind, t, ix, sc, dim, v) : 0;
  if (rc == 0) lt_bump_version(t);
done:
  lt_release(sc);
  lt_release(ix);
  return rc;
}

static int scatter_common(const char *op, gs_kind kind, lt_tensor *t, int dim,
                          const lt_tensor *index, const lt_tensor *src, double v) {
  if (check_indices(op, index, t) < 0) return -1;
  if (src && lt_check_same_device(op, t, src) < 0) return -1;
  if (check_gs_shapes(op, t, dim, index, src) < 0) return -1;
  if (on_gpu(t)) return gpu_scatter(op, kind, t, dim, index, src, v);
  if (check_all_indices(op, index, dim, t->size[dim]) < 0) return -1;
  if (kind == GS_ADD && lt_is_half(t->dtype)) {
    lt_tensor *tf = lt_to_dtype(t, LT_FLOAT32);
    int rc = tf ? scatter_common(op, kind, tf, dim, index, src, v) : -1;
    if (rc == 0) rc = lt_copy(t, tf);
    lt_release(tf);
    return rc;
  }
  lt_tensor *sc = NULL, *ic = NULL;
  if (src) {
    if (src->dtype != t->dtype) sc = lt_to_dtype(src, t->dtype);
    else if (shares_storage(src, t)) sc = lt_clone(src);
    else { sc = (lt_tensor *)src; lt_retain(sc); }
    if (!sc) return -1;
  }
  if (shares_storage(index, t)) {
    if (!(ic = lt_clone(index))) { lt_release(sc); return -1; }
  }
  union { char c[8]; uint64_t u; } val = {{0}};
  lt_store(t->dtype, val.c, v);
  gs_run(kind, t, ic ? ic : index, sc, dim, val.c);
  lt_bump_version(t);
  lt_release(sc);
  lt_release(ic);
  return 0;
}

int lt_scatter(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_SCATTER, t, dim, index, src, 0);
  return scatter_common("scatter", GS_SCATTER, t, dim, index, src, 0);
}
int lt_scatter_add(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_SCATTER_ADD, t, dim, index, src, 0);
  return scatter_common("scatterAdd", GS_ADD, t, dim, index, src, 0);
}
int lt_scatter_fill(lt_tensor *t, int dim, const lt_tensor *index, double v) {
  if (LT_AG1(t)) return lt_ag_write(LT_AGW_SCATTER_FILL, t, dim, index, NULL, v);
  return scatter_common("scatter", GS_FILL, t, dim, index, NULL, v);
}

/* ---- masks ---- */

/* t: the masked tensor; a GPU tensor's CPU mask is moved to its device (operand_on) */
static int check_mask(const char *op, const lt_tensor *mask, const lt_tensor *t) {
  if (t->device.type == LT_CPU && lt_check_same_device(op, t, mask) < 0) return -1;
  if (mask->dtype != LT_UINT8 && mask->dtype != LT_BOOL)
    LT_FAIL(-1, "%s: mask must be a ByteTensor or BoolTensor, got %sTensor", op,
            lt_dtype_name(mask->dtype));
  return 0;
}

static bool broadcasts_to(const lt_tensor *m, int ndim, const int64_t *size) {
  if (m->ndim > ndim || !m->storage) return false;   /* the empty tensor is no scalar */
  for (int i = 0; i < m->ndim; i++) {
    int64_t s = m->size[m->ndim - 1 - i], t = size[ndim - 1 - i];
    if (s != t && s != 1) return false;
  }
  return true;
}

/* The mask seen with shape (ndim, size): its own shape broadcast, or else (same number of
 * elements, Torch7) its elements in row-major order. *hold gets a tensor to release. */
static int mask_view(const char *op, const lt_tensor *mask, int ndim, const int64_t *size,
                     const lt_tensor *t, lt_tensor *view, lt_tensor **hold) {
  *hold = NULL;
  if (!mask->storage && !t->storage) {   /* empty mask, empty tensor: nothing to do */
    lt_broadcast_view(mask, ndim, size, view);
    return 0;
  }
  if (broadcasts_to(mask, ndim, size)) {
    lt_broadcast_view(mask, ndim, size, view);
    return 0;
  }
  int64_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  if (lt_numel(mask) != n) {
    char b1[128], b2[128];
    LT_FAIL(-1, "%s: mask of size %s does not match the tensor of size %s (it needs the same "
            "number of elements or a shape that broadcasts)", op,
            lt_shape_str(mask, b1, sizeof b1), lt_shape_str(t, b2, sizeof b2));
  }
  if (!(*hold = lt_contiguous(mask))) return -1;
  lt_view_init(view, *hold);
  view->ndim = ndim;
  memcpy(view->size, size, sizeof(int64_t) * ndim);
  lt_contiguous_strides(ndim, size, view->stride);
  return 0;
}

#define DEF_MASK_FILL(N, T)                                                                    \
  static void mfill_##N(char **d, const int64_t *s, int64_t n, void *ctx) {                    \
    T v;                                                                                       \
    memcpy(&v, ctx, N);                                                                        \
    for (int64_t i = 0; i < n; i++)                                                            \
      if (*(const uint8_t *)(d[1] + i * s[1])) *(T *)(d[0] + i * s[0]) = v;                    \
  }
DEF_MASK_FILL(1, uint8_t)
DEF_MASK_FILL(2, uint16_t)
DEF_MASK_FILL(4, uint32_t)
DEF_MASK_FILL(8, uint64_t)

/* ---- masks on a GPU: counts and moves by the backend ---- */
static int gpu_masked_fill(const char *op, lt_tensor *t, const lt_tensor *mask, double v) {
  const lt_backend *be = lt_backend_for(t->device);
  lt_tensor *m = be ? operand_on(op, mask, t) : NULL, mv, *hold = NULL;
  int rc = -1;
  if (!m) return -1;
  if (mask_view(op, m, t->ndim, t->size, t, &mv, &hold) < 0) goto done;
  rc = lt_numel(t) ? be->mask_fill(t, &mv, v) : 0;
  if (rc == 0) lt_bump_version(t);
done:
  lt_release(hold);
  lt_release(m);
  return rc;
}

static int gpu_masked_copy(const char *op, lt_tensor *t, const lt_tensor *mask, const lt_tensor *src) {
  const lt_backend *be = lt_backend_for(t->device);
  lt_tensor *m = be ? operand_on(op, mask, t) : NULL, mv, *hold = NULL, *sc = NULL;
  int rc = -1;
  int64_t cnt = 0;
  if (!m) return -1;
  if (mask_view(op, m, t->ndim, t->size, t, &mv, &hold) < 0) goto done;
  if (lt_numel(&mv) && be->count_nonzero(&mv, &cnt) < 0) goto done;
  if (lt_numel(src) < cnt) {
    lt_seterr("%s: the source has %lld elements but the mask selects %lld", op,
              (long long)lt_numel(src), (long long)cnt);
    goto done;
  }
  /* the source in t's dtype, contiguous, apart from t's memory */
  if (src->dtype != t->dtype) {
    lt_tensor *c = lt_to_dtype(src, t->dtype);
    sc = c ? lt_contiguous(c) : NULL;
    lt_release(c);
  } else sc = shares_storage(src, t) ? lt_clone(src) : lt_contiguous(src);
  if (!sc) goto done;
  rc = cnt ? be->mask_scan(0, t, &mv, sc) : 0;
  if (rc == 0) lt_bump_version(t);
done:
  lt_release(sc);
  lt_release(hold);
  lt_release(m);
  return rc;
}

int lt_masked_fill(lt_tensor *t, const lt_tensor *mask, double v) {
  if (LT_AG1(t)) return lt_ag_write(LT_AGW_MASKED_FILL, t, 0, mask, NULL, v);
  const char *op = "maskedFill";
  if (check_mask(op, mask, t) < 0) return -1;
  if (on_gpu(t)) return gpu_masked_fill(op, t, mask, v);
  lt_tensor mv, *hold;
  if (mask_view(op, mask, t->ndim, t->size, t, &mv, &hold) < 0) return -1;
  union { char c[8]; uint64_t u; } val = {{0}};
  lt_store(t->dtype, val.c, v);
  size_t es = lt_dtype_size(t->dtype);
  lt_loop_fn fn = es == 1 ? mfill_1 : es == 2 ? mfill_2 : es == 4 ? mfill_4 : mfill_8;
  if (lt_numel(t)) {
    const lt_tensor *ops[2] = {t, &mv};
    lt_iter it;
    lt_iter_init(&it, 2, ops);
    lt_iter_run(&it, fn, val.c, LT_PARALLEL_GRAIN);
  }
  lt_bump_version(t);
  lt_release(hold);
  return 0;
}

static void count_ones(char **d, const int64_t *s, int64_t n, void *ctx) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; i++) c += *(const uint8_t *)(d[0] + i * s[0]) != 0;
  *(int64_t *)ctx += c;
}

static int64_t mask_count(const lt_tensor *mv) {
  int64_t c = 0;
  if (lt_numel(mv) == 0) return 0;
  const lt_tensor *ops[1] = {mv};
  lt_iter it;
  lt_iter_init(&it, 1, ops);
  lt_iter_run(&it, count_ones, &c, 0);
  return c;
}

/* sequential walks: a pointer into a contiguous buffer advances at every selected element */
typedef struct { char *p; } walk_ctx;
#define DEF_MASK_WALK(N, T)                                                                    \
  static void mcopy_##N(char **d, const int64_t *s, int64_t n, void *ctx) {                    \
    walk_ctx *w = ctx;                                                                         \
    for (int64_t i = 0; i < n; i++)                                                            \
      if (*(const uint8_t *)(d[1] + i * s[1])) {                                               \
        *(T *)(d[0] + i * s[0]) = *(const T *)w->p;                                            \
        w->p += N;                                                                             \
      }                                                                                        \
  }                                                                                            \
  static void mselect_##N(char **d, const int64_t *s, int64_t n, void *ctx) {                  \
    walk_ctx *w = ctx;                                                                         \
    for (int64_t i = 0; i < n; i++)                                                            \
      if (*(const uint8_t *)(d[1] + i * s[1])) {                                               \
        *(T *)w->p = *(const T *)(d[0] + i * s[0]);                                            \
        w->p += N;                                                                             \
      }                                                                                        \
  }
DEF_MASK_WALK(1, uint8_t)
DEF_MASK_WALK(2, uint16_t)
DEF_MASK_WALK(4, uint32_t)
DEF_MASK_WALK(8, uint64_t)

int lt_masked_copy(lt_tensor *t, const lt_tensor *mask, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_MASKED_COPY, t, 0, mask, src, 0);
  const char *op = "maskedCopy";
  if (check_mask(op, mask, t) < 0 || lt_check_same_device(op, t, src) < 0) return -1;
  if (on_gpu(t)) return gpu_masked_copy(op, t, mask, src);
  lt_tensor mv, *hold;
  if (mask_view(op, mask, t->ndim, t->size, t, &mv, &hold) < 0) return -1;
  int64_t cnt = mask_count(&mv);
  int rc = -1;
  lt_tensor *sc = NULL;
  if (lt_numel(src) < cnt) {
    lt_seterr("%s: the source has %lld elements but the mask selects %lld", op,
              (long long)lt_numel(src), (long long)cnt);
    goto done;
  }
  /* the source in t's dtype, contiguous, apart from t's memory */
  if (src->dtype != t->dtype) {
    lt_tensor *c = lt_to_dtype(src, t->dtype);
    sc = c ? lt_contiguous(c) : NULL;
    lt_release(c);
  } else sc = shares_storage(src, t) ? lt_clone(src) : lt_contiguous(src);
  if (!sc) goto done;
  if (cnt) {
    size_t es = lt_dtype_size(t->dtype);
    lt_loop_fn fn = es == 1 ? mcopy_1 : es == 2 ? mcopy_2 : es == 4 ? mcopy_4 : mcopy_8;
    walk_ctx w = {(char *)lt_data(sc)};
    const lt_tensor *ops[2] = {t, &mv};
    lt_iter it;
    lt_iter_init(&it, 2, ops);
    lt_iter_run(&it, fn, &w, 0);
  }
  lt_bump_version(t);
  rc = 0;
done:
  lt_release(sc);
  lt_release(hold);
  return rc;
}

static lt_tensor *gpu_masked_select(const char *op, lt_tensor *out, const lt_tensor *a, const lt_tensor *mask) {
  const lt_backend *be = lt_backend_for(a->device);
  lt_tensor *m = be ? operand_on(op, mask, a) : NULL, av, mv, *hold = NULL, *o = NULL, *oc = NULL;
  if (!m) return NULL;
  /* Torch7: the same number of elements, taken in order; else both broadcast (PyTorch) */
  if (lt_numel(m) == lt_numel(a)) {
    lt_view_init(&av, a);
    if (mask_view(op, m, a->ndim, a->size, a, &mv, &hold) < 0) goto done;
  } else {
    int64_t size[LT_MAXDIM];
    int nd = lt_broadcast_shape(op, a, m, size);
    if (nd < 0) goto done;
    lt_broadcast_view(a, nd, size, &av);
    lt_broadcast_view(m, nd, size, &mv);
  }
  int64_t cnt = 0;
  if (lt_numel(&mv) && be->count_nonzero(&mv, &cnt) < 0) goto done;
  o = lt_prepare_out(op, out, 1, &cnt, a->dtype, a->device);
  if (!o) goto done;
  if (o->stride[0] != 1 && cnt > 1 && !(oc = lt_empty(1, &cnt, a->dtype, a->device))) goto fail;
  if (cnt && be->mask_scan(1, &av, &mv, oc ? oc : o) < 0) goto fail;
  if (oc && lt_copy(o, oc) < 0) goto fail;
  lt_bump_version(o);
  goto done;
fail:
  lt_release(o);
  o = NULL;
done:
  lt_release(oc);
  lt_release(hold);
  lt_release(m);
  return o;
}

lt_tensor *lt_masked_select(lt_tensor *out, const lt_tensor *a, const lt_tensor *mask) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_masked_select(out, a, mask);
  const char *op = "maskedSelect";
  if (check_mask(op, mask, a) < 0) return NULL;
  if (out && (shares_storage(out, a) || shares_storage(out, mask))) {
    lt_tensor *r = lt_masked_select(NULL, a, mask);
    if (!r) return NULL;
    lt_tensor *o = lt_prepare_out(op, out, 1, r->size, a->dtype, a->device);
    if (o && lt_copy(o, r) < 0) { lt_release(o); o = NULL; }
    lt_release(r);
    return o;
  }
  if (on_gpu(a)) return gpu_masked_select(op, out, a, mask);
  /* Torch7: the same number of elements, taken in order; else both broadcast (PyTorch) */
  lt_tensor av, mv, *hold = NULL;
  int64_t size[LT_MAXDIM];
  int nd;
  if (lt_numel(mask) == lt_numel(a)) {
    lt_view_init(&av, a);
    if (mask_view(op, mask, a->ndim, a->size, a, &mv, &hold) < 0) return NULL;
  } else {
    if ((nd = lt_broadcast_shape(op, a, mask, size)) < 0) return NULL;
    lt_broadcast_view(a, nd, size, &av);
    lt_broadcast_view(mask, nd, size, &mv);
  }
  int64_t cnt = mask_count(&mv);
  lt_tensor *o = lt_prepare_out(op, out, 1, &cnt, a->dtype, a->device);
  lt_tensor *oc = NULL;
  if (!o) goto done;
  if (o->stride[0] != 1 && cnt > 1 && !(oc = lt_empty(1, &cnt, a->dtype, a->device))) {
    lt_release(o);
    o = NULL;
    goto done;
  }
  if (cnt) {
    size_t es = lt_dtype_size(a->dtype);
    lt_loop_fn fn = es == 1 ? mselect_1 : es == 2 ? mselect_2 : es == 4 ? mselect_4 : mselect_8;
    walk_ctx w = {(char *)lt_data(oc ? oc : o)};
    const lt_tensor *ops[2] = {&av, &mv};
    lt_iter it;
    lt_iter_init(&it, 2, ops);
    lt_iter_run(&it, fn, &w, 0);
  }
  if (oc && lt_copy(o, oc) < 0) { lt_release(o); o = NULL; }
  else lt_bump_version(o);
done:
  lt_release(oc);
  lt_release(hold);
  return o;
}

/* ---- nonzero ---- */

/* nonzero tests by dtype: floats compare (NaN is nonzero), halves test the bits */
#define NZ_TYPES(X)                                                                            \
  X(FLOAT32, float, v != 0) X(FLOAT64, double, v != 0) X(INT64, int64_t, v != 0)              \
  X(INT32, int32_t, v != 0) X(INT16, int16_t, v != 0) X(INT8, int8_t, v != 0)                 \
  X(UINT8, uint8_t, v != 0) X(BOOL, uint8_t, v != 0) X(FLOAT16, uint16_t, (v & 0x7fff) != 0)  \
  X(BFLOAT16, uint16_t, (v & 0x7fff) != 0)

#define DEF_NZ(E, T, TEST)                                                                     \
  static int64_t nzcount_##E(const void *p, int64_t n) {                                       \
    const T *a = p;                                                                            \
    int64_t c = 0;                                                                             \
    for (int64_t i = 0; i < n; i++) { T v = a[i]; c += (TEST); }                               \
    return c;                                                                                  \
  }                                                                                            \
  static void nzemit_##E(const void *p, int64_t b, int64_t e, int nd, const int64_t *size,     \
                         int64_t *out) {                                                       \
    const T *a = p;                                                                            \
    int64_t ctr[LT_MAXDIM], r = b;                                                             \
    for (int d = nd - 1; d >= 0; d--) { ctr[d] = r % size[d]; r /= size[d]; }                  \
    for (int64_t i = b; i < e; i++) {                                                          \
      T v = a[i];                                                                              \
      if (TEST) { for (int d = 0; d < nd; d++) out[d] = ctr[d]; out += nd; }                   \
      for (int d = nd - 1; d >= 0; d--) { if (++ctr[d] < size[d]) break; ctr[d] = 0; }         \
    }                                                                                          \
  }
#define DEF_NZ_X(E, T, TEST) DEF_NZ(E, T, TEST)
NZ_TYPES(DEF_NZ_X)

static lt_tensor *gpu_nonzero(const char *op, lt_tensor *out, const lt_tensor *a) {
  const lt_backend *be = lt_backend_for(a->device);
  int64_t total = 0;
  if (!be || (lt_numel(a) && be->count_nonzero(a, &total) < 0)) return NULL;
  int64_t osz[2] = {total, a->ndim};
  lt_tensor *o = lt_prepare_out(op, out, 2, osz, LT_INT64, a->device), *oc = NULL;
  if (!o) return NULL;
  if (!lt_is_contiguous(o) && !(oc = lt_empty(2, osz, LT_INT64, a->device))) goto fail;
  if (total && a->ndim && be->mask_scan(2, NULL, a, oc ? oc : o) < 0) goto fail;
  if (oc && lt_copy(o, oc) < 0) goto fail;
  lt_release(oc);
  lt_bump_version(o);
  return o;
fail:
  lt_release(oc);
  lt_release(o);
  return NULL;
}

lt_tensor *lt_nonzero(lt_tensor *out, const lt_tensor *a) {
  const char *op = "nonzero";
  if (out && shares_storage(out, a)) {
    lt_tensor *r = lt_nonzero(NULL, a);
    if (!r) return NULL;
    lt_tensor *o = lt_prepare_out(op, out, 2, r->size, LT_INT64, a->device);
    if (o && lt_copy(o, r) < 0) { lt_release(o); o = NULL; }
    lt_release(r);
    return o;
  }
  int64_t (*count)(const void *, int64_t) = NULL;
  void (*emit)(const void *, int64_t, int64_t, int, const int64_t *, int64_t *) = NULL;
  switch (a->dtype) {
#define NZ_CASE(E, T, TEST) case LT_##E: count = nzcount_##E; emit = nzemit_##E; break;
    NZ_TYPES(NZ_CASE)
#undef NZ_CASE
  default: LT_FAIL(NULL, "%s: not defined for %sTensor", op, lt_dtype_name(a->dtype));
  }
  if (on_gpu(a)) return gpu_nonzero(op, out, a);
  lt_tensor *ac = lt_contiguous(a);
  if (!ac) return NULL;
  int64_t n = lt_numel(ac), nd = a->ndim;
  const char *p = lt_data(ac);
  size_t es = lt_dtype_size(a->dtype);
  int nt = lt_threads();
  int64_t nch = (nt > 1 && n >= LT_PARALLEL_GRAIN) ? nt : 1;
  int64_t stackcnt[1], *cnt = nch == 1 ? stackcnt : malloc(sizeof(int64_t) * (size_t)(nch + 1));
  lt_tensor *o = NULL, *oc = NULL;
  if (!cnt) { lt_seterr("%s: out of memory", op); goto done; }
  cnt[0] = 0;
  if (nch == 1) cnt[0] = n ? count(p, n) : 0;
  else {
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < nch; c++) {
      int64_t b = n * c / nch, e = n * (c + 1) / nch;
      cnt[c] = count(p + b * es, e - b);
    }
  }
  int64_t total = 0;
  for (int64_t c = 0; c < nch; c++) { int64_t k = cnt[c]; cnt[c] = total; total += k; }
  int64_t osz[2] = {total, nd};
  o = lt_prepare_out(op, out, 2, osz, LT_INT64, a->device);
  if (!o) goto done;
  if (!lt_is_contiguous(o) && !(oc = lt_empty(2, osz, LT_INT64, a->device))) {
    lt_release(o);
    o = NULL;
    goto done;
  }
  int64_t *dst = lt_data(oc ? oc : o);
  if (total && nd) {
    if (nch == 1) emit(p, 0, n, (int)nd, a->size, dst);
    else {
#pragma omp parallel for schedule(static)
      for (int64_t c = 0; c < nch; c++)
        emit(p, n * c / nch, n * (c + 1) / nch, (int)nd, a->size, dst + cnt[c] * nd);
    }
  }
  if (oc && lt_copy(o, oc) < 0) { lt_release(o); o = NULL; }
  else lt_bump_version(o);
done:
  if (cnt != stackcnt) free(cnt);
  lt_release(oc);
  lt_release(ac);
  return o;
}
