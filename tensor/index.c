/* index.c: indexing along a dimension (index/indexCopy/indexAdd/indexFill). gather and
 * scatter are in gather.c, masks and nonzero in mask.c; the checks they share are in
 * index_common.h.
 *
 * Indices are INT64 tensors of 0-based positions (or counted from a base: the *_based
 * entry points, which the Lua bindings call with their 1-based indices as they are); every
 * one is checked against the size of its dimension before anything is written, and a bad
 * one is reported 1-based, as the user typed it. Moves go by element size (any dtype);
 * only the add ops do arithmetic (half types add through float32). Ops are named in
 * messages by their Torch7 names. */
#include "index_common.h"
#include "autograd.h"
#include <stdio.h>

/* ---- index lists ---- */

/* the vector index ix seen with the iteration's shape: its entries along dim, repeated
 * (stride 0) along the other dims */
static lt_tensor *iter_index(lt_tensor *v, const lt_tensor *ix, int ndim, const int64_t *size, int dim) {
  lt_view_init(v, ix);
  v->ndim = ndim;
  for (int d = 0; d < ndim; d++) { v->size[d] = size[d]; v->stride[d] = 0; }
  v->stride[dim] = ix->ndim ? ix->stride[0] : 0;
  return v;
}

/* The entries of a vector (or 0-dim) index counted from base as a contiguous array,
 * checked against [0, size) unless check is false (the caller's kernel checks as it goes).
 * A copy (of a strided index, or force_copy) is made 0-based; *lbase receives the base of
 * the entries returned. *owned receives a buffer to free (NULL when the index's own data
 * is used). */
static const int64_t *index_list(const char *op, const lt_tensor *index, int dim, int64_t size,
                                 bool force_copy, int64_t base, bool check, int64_t *lbase,
                                 int64_t *n, int64_t **owned) {
  *owned = NULL;
  *lbase = base;
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
    for (int64_t i = 0; i < cnt; i++) buf[i] = p[i * st] - base;
    *owned = buf;
    p = buf;
    *lbase = 0;
  }
  int64_t first = check ? first_bad_index(p, cnt, size, *lbase) : cnt;
  if (first < cnt) {
    int64_t v = p[first] - *lbase;
    free(*owned);
    *owned = NULL;
    bad_index(op, v, dim, size);
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

/* d += s (ADD_OP, ADD_OP_BOOL: index_common.h) */
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
 * (idx[j] less the list's base.) Threads split (o, inner range); j runs in order inside
 * each, so repeated indices behave as in a sequential loop (the last copy wins, adds
 * accumulate). */
typedef struct ix_job ix_job;
/* one task: rows j0..j1 of outer position o, elements i0..i1; true when it met an index
 * outside [0, limit) (select only: it checks as it goes; the writes get checked lists) */
typedef bool (*ix_task_fn)(const ix_job *J, int64_t o, int64_t j0, int64_t j1, int64_t i0, int64_t i1);
struct ix_job {
  ix_task_fn task;
  row_fn fn;                   /* the writes' row kernel */
  size_t es;
  char *dst;
  view3 dv;
  const char *src;
  view3 sv;
  bool dst_indexed;
  const int64_t *idx;
  int64_t n, base;             /* idx[j] - base is the position */
  uint64_t limit;              /* the indexed dim's size */
  const void *ctx;
};

static bool write_task(const ix_job *J, int64_t o, int64_t j0, int64_t j1, int64_t i0, int64_t i1) {
  int64_t es = (int64_t)J->es;
  for (int64_t j = j0; j < j1; j++) {
    int64_t dj = J->idx[j] - J->base;
    char *d = J->dst + (o * J->dv.so + dj * J->dv.sd + i0 * J->dv.si) * es;
    const char *s = J->src ? J->src + (o * J->sv.so + j * J->sv.sd + i0 * J->sv.si) * es : NULL;
    J->fn(d, J->dv.si * es, s, J->sv.si * es, i1 - i0, J->ctx);
  }
  return false;
}

/* index's rows, typed by element size: the row copy is chosen once per task, not per row.
 * A row of one element is one typed move; a contiguous row of up to 64 bytes is two
 * fixed-size moves that may overlap in the middle (no memcpy call per row: that call was
 * most of the time for short rows); longer ones memcpy; strided ones a typed loop.
 * Every index is checked as it is read (unsigned: a negative one is huge). */
#define SELECT_LOOP(COPY)                                                                      \
  for (int64_t j = j0; j < j1; j++) {                                                          \
    uint64_t v = (uint64_t)idx[j] - base;                                                      \
    if (v >= lim) return true;                                                                 \
    char *d = d0 + j * dsd;                                                                    \
    const char *s = s0 + (int64_t)v * ssd;                                                     \
    COPY;                                                                                      \
  }                                                                                            \
  return false
#define COPY2(W) do { memcpy(d, s, W); memcpy(d + nb - (W), s + nb - (W), W); } while (0)
#define DEF_SELECT(N, T)                                                                       \
  static bool select_task_##N(const ix_job *J, int64_t o, int64_t j0, int64_t j1, int64_t i0,  \
                              int64_t i1) {                                                    \
    const int64_t *idx = J->idx;                                                               \
    const uint64_t base = (uint64_t)J->base, lim = J->limit;                                   \
    const int64_t dsd = J->dv.sd * N, ssd = J->sv.sd * N, m = i1 - i0;                         \
    const int64_t dsi = J->dv.si * N, ssi = J->sv.si * N;                                      \
    char *d0 = J->dst + (o * J->dv.so + i0 * J->dv.si) * N;                                    \
    const char *s0 = J->src + (o * J->sv.so + i0 * J->sv.si) * N;                              \
    if (m == 1) { SELECT_LOOP(*(T *)d = *(const T *)s); }                                      \
    if (dsi == N && ssi == N) {                                                                \
      const size_t nb = (size_t)m * N;                                                         \
      if (nb < 4) { SELECT_LOOP(COPY2(2)); }                                                   \
      if (nb <= 8) { SELECT_LOOP(COPY2(4)); }                                                  \
      if (nb <= 16) { SELECT_LOOP(COPY2(8)); }                                                 \
      if (nb <= 32) { SELECT_LOOP(COPY2(16)); }                                                \
      if (nb <= 64) { SELECT_LOOP(COPY2(32)); }                                                \
      SELECT_LOOP(memcpy(d, s, nb));                                                           \
    }                                                                                          \
    SELECT_LOOP(for (int64_t i = 0; i < m; i++) *(T *)(d + i * dsi) = *(const T *)(s + i * ssi)); \
  }
DEF_SELECT(1, uint8_t)
DEF_SELECT(2, uint16_t)
DEF_SELECT(4, uint32_t)
DEF_SELECT(8, uint64_t)
#undef DEF_SELECT
#undef COPY2
#undef SELECT_LOOP

static ix_task_fn select_task_for(size_t es) {
  return es == 1 ? select_task_1 : es == 2 ? select_task_2 : es == 4 ? select_task_4 : select_task_8;
}

/* Threads split the outer positions, then either the index list (select: every j writes
 * its own slice) or, for the writes into t where indices may repeat, the inner range
 * when it is long enough not to share cache lines; j stays in order within a task.
 * True when a task met a bad index. */
static bool ix_run(const ix_job *J) {
  int64_t outer = J->dv.outer, inner = J->dv.inner, n = J->n;
  if (outer == 0 || inner == 0 || n == 0) return false;
  int nt = lt_threads();
  int64_t work = outer * inner * n;
  int64_t per = outer >= nt ? 1 : (nt + outer - 1) / outer * 4;   /* chunks per outer */
  int64_t nj = 1, ni = 1;
  if (!J->dst_indexed) nj = LT_MIN(n, per);
  else if (inner >= 256) ni = LT_MIN(inner / 64, per);
  int64_t tasks = outer * nj * ni;
  if (nt <= 1 || work < LT_PARALLEL_GRAIN || tasks < 2) {
    for (int64_t o = 0; o < outer; o++)
      if (J->task(J, o, 0, n, 0, inner)) return true;
    return false;
  }
  int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad)
  for (int64_t t = 0; t < tasks; t++) {
    int64_t o = t / (nj * ni), c = t % (nj * ni), cj = c / ni, ci = c % ni;
    bad |= J->task(J, o, n * cj / nj, n * (cj + 1) / nj, inner * ci / ni, inner * (ci + 1) / ni);
  }
  return bad != 0;
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

/* index_select on the CPU (or, base 0 only, a GPU): indices counted from base */
static lt_tensor *index_select(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index,
                               int64_t base) {
  const char *op = "index";
  if (check_indices(op, index, a) < 0 || lt_check_dim(op, a, dim) < 0)
    return NULL;
  if (out && (shares_storage(out, a) || shares_storage(out, index))) {
    lt_tensor *r = index_select(NULL, a, dim, index, base);
    if (!r) return NULL;
    lt_tensor *o = lt_prepare_out(op, out, r->ndim, r->size, a->dtype, a->device);
    if (o && lt_copy(o, r) < 0) { lt_release(o); o = NULL; }
    lt_release(r);
    return o;
  }
  if (on_gpu(a)) return gpu_index_select(op, out, a, dim, index);
  /* Into a new result the kernel checks the indices as it copies (one pass over them, not
   * two), and a bad one discards the result; a caller's `out` is checked first, so that a
   * bad index leaves it untouched. */
  bool fused = out == NULL;
  int64_t n, *owned, lbase;
  const int64_t *idx = index_list(op, index, dim, a->size[dim], false, base, !fused, &lbase, &n, &owned);
  if (!idx) return NULL;
  int64_t size[LT_MAXDIM];
  memcpy(size, a->size, sizeof(int64_t) * a->ndim);
  size[dim] = n;
  lt_tensor *o = lt_prepare_out(op, out, a->ndim, size, a->dtype, a->device);
  lt_tensor *ac = NULL, *oc = NULL;
  if (!o) goto done;
  ix_job J = {.task = select_task_for(lt_dtype_size(a->dtype)), .es = lt_dtype_size(a->dtype),
              .dst_indexed = false, .idx = idx, .n = n, .base = lbase, .limit = (uint64_t)a->size[dim]};
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
  if (ix_run(&J)) {   /* a bad index: the first one is the one reported */
    int64_t first = first_bad_index(idx, n, a->size[dim], lbase);
    if (first < n) bad_index(op, idx[first] - lbase, dim, a->size[dim]);
    else lt_seterr("%s: index out of range", op);
    goto fail;
  }
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

lt_tensor *lt_index_select(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_index_select(out, a, dim, index);
  return index_select(out, a, dim, index, 0);
}

lt_tensor *lt_index_select_based(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index,
                                 int64_t base) {
  if (base && (LT_AG_OUT(out, a->requires_grad) || on_gpu(a) || on_gpu(index))) {
    /* autograd keeps the index and GPU kernels take 0-based ones: a 0-based copy */
    lt_tensor *z = zero_based(index, base);
    lt_tensor *r = z ? lt_index_select(out, a, dim, z) : NULL;
    lt_release(z);
    return r;
  }
  return base ? index_select(out, a, dim, index, base) : lt_index_select(out, a, dim, index);
}

typedef enum { IW_COPY, IW_ADD, IW_FILL } iw_kind;

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

/* indexCopy / indexAdd / indexFill: t[.., idx[j], ..] (=, +=) src[.., j, ..] or v, the
 * indices counted from base (a GPU's: base 0 only) */
static int index_write(const char *op, iw_kind kind, lt_tensor *t, int dim, const lt_tensor *index,
                       const lt_tensor *src, double v, int64_t base) {
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
    int rc = tf ? index_write(op, kind, tf, dim, index, src, v, base) : -1;
    if (rc == 0) rc = lt_copy(t, tf);
    lt_release(tf);
    return rc;
  }
  if (on_gpu(t)) return gpu_index_write(op, kind, t, dim, index, src, v);
  int64_t *owned, lbase;
  const int64_t *idx = index_list(op, index, dim, t->size[dim], shares_storage(index, t), base, true,
                                  &lbase, &n, &owned);
  if (!idx) return -1;
  int rc = -1;
  lt_tensor *sc = NULL, *tc = NULL;
  size_t es = lt_dtype_size(t->dtype);
  union { char c[8]; uint64_t u; } val = {{0}};
  ix_job J = {.task = write_task, .es = es, .dst_indexed = true, .idx = idx, .n = n, .base = lbase,
              .limit = (uint64_t)t->size[dim]};
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
  return index_write("indexCopy", IW_COPY, t, dim, index, src, 0, 0);
}
int lt_index_add(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_INDEX_ADD, t, dim, index, src, 0);
  return index_write("indexAdd", IW_ADD, t, dim, index, src, 0, 0);
}
int lt_index_fill(lt_tensor *t, int dim, const lt_tensor *index, double v) {
  if (LT_AG1(t)) return lt_ag_write(LT_AGW_INDEX_FILL, t, dim, index, NULL, v);
  return index_write("indexFill", IW_FILL, t, dim, index, NULL, v, 0);
}

/* indexCopy / indexAdd with indices counted from base; autograd and GPUs take a 0-based
 * copy (see lt_index_select_based) */
static int index_write_based(iw_kind kind, lt_tensor *t, int dim, const lt_tensor *index,
                             const lt_tensor *src, int64_t base) {
  int (*op0)(lt_tensor *, int, const lt_tensor *, const lt_tensor *) =
      kind == IW_ADD ? lt_index_add : lt_index_copy;
  if (!base) return op0(t, dim, index, src);
  if (LT_AG_OUT(t, LT_RG(src)) || on_gpu(t) || on_gpu(index)) {
    lt_tensor *z = zero_based(index, base);
    int rc = z ? op0(t, dim, z, src) : -1;
    lt_release(z);
    return rc;
  }
  return index_write(kind == IW_ADD ? "indexAdd" : "indexCopy", kind, t, dim, index, src, 0, base);
}
int lt_index_copy_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base) {
  return index_write_based(IW_COPY, t, dim, index, src, base);
}
int lt_index_add_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base) {
  return index_write_based(IW_ADD, t, dim, index, src, base);
}
