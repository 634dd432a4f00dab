/* gather.c: gather, scatter, scatterAdd and scatter of a value (indexing along a
 * dimension is in index.c, masks in mask.c; the checks they share in index_common.h).
 * Indices are INT64 tensors of 0-based positions (or counted from a base: the *_based entry
 * points, which the Lua bindings call with their 1-based indices as they are), all checked
 * before anything is written; a bad one is reported 1-based. Ops are named in messages by
 * their Torch7 names. */
#include "index_common.h"
#include "autograd.h"

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
  int64_t base;              /* an index entry less base is the position */
  uint64_t limit;            /* T's size along dim */
} gs_block;

/* The inner block: BODY runs with te (T's element) and oe (O's), after CHECK(r) on the
 * index entry r (its position along dim is r - base). N: the element size; ON: O's (0 for
 * a fill, which has no O). When the index and O run contiguously along y, and T too or y
 * is dim, plain indexed loops (no stride products per element, and T's row start moved
 * back by base rows once, so that no subtraction runs per element); else the general
 * strided loop. */
#define GS_LOOP(N, ON, CHECK, BODY)                                                            \
  if (B->iy == 8 && B->oy == (ON) && (B->ty == 0 || B->ty == (N))) {                           \
    for (int64_t x = x0; x < x1; x++) {                                                        \
      const int64_t *iv = (const int64_t *)(pi + x * B->ix);                                   \
      uintptr_t tb = (uintptr_t)(pt + x * B->tx) - (uintptr_t)(B->base * B->tdim);             \
      char *op = po + x * B->ox;                                                               \
      if (B->ty == 0)                                                                          \
        for (int64_t y = y0; y < y1; y++) {                                                    \
          int64_t r = iv[y];                                                                   \
          CHECK(r);                                                                            \
          char *te = (char *)(tb + (uintptr_t)(r * B->tdim)), *oe = op + y * (ON);             \
          BODY;                                                                                \
        }                                                                                      \
      else                                                                                     \
        for (int64_t y = y0; y < y1; y++) {                                                    \
          int64_t r = iv[y];                                                                   \
          CHECK(r);                                                                            \
          char *te = (char *)(tb + (uintptr_t)(y * (N) + r * B->tdim)), *oe = op + y * (ON);   \
          BODY;                                                                                \
        }                                                                                      \
    }                                                                                          \
  } else                                                                                       \
    for (int64_t x = x0; x < x1; x++) {                                                        \
      const char *ip = pi + x * B->ix;                                                         \
      char *tp = pt + x * B->tx, *op = po + x * B->ox;                                         \
      for (int64_t y = y0; y < y1; y++) {                                                      \
        int64_t r = *(const int64_t *)(ip + y * B->iy);                                        \
        CHECK(r);                                                                              \
        char *te = tp + y * B->ty + (r - B->base) * B->tdim, *oe = op + y * B->oy;             \
        BODY;                                                                                  \
      }                                                                                        \
    }
/* A gather into a new result checks each index as it reads it (a predictable branch: this
 * costs less than a pass over the index before); the other kernels run on indices checked
 * before. */
#define GS_CHECK(r) if ((uint64_t)(r) - (uint64_t)B->base >= B->limit) return 1
#define GS_NO_CHECK(r) ((void)0)
/* returns nonzero when it met an index outside [0, limit) (gather, which checks each
 * index before it reads; the writes run on indices checked before) */
typedef int (*gs_fn)(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,
                     int64_t x1, int64_t y0, int64_t y1, const void *ctx);
#define DEF_GS_MOVE(N, T)                                                                      \
  static int gather_##N(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,     \
                        int64_t x1, int64_t y0, int64_t y1, const void *c) {                   \
    (void)c;                                                                                   \
    GS_LOOP(N, N, GS_CHECK, *(T *)oe = *(const T *)te)                                         \
    return 0;                                                                                  \
  }                                                                                            \
  static int gather_prechecked_##N(const gs_block *B, char *pt, const char *pi, char *po,      \
                                   int64_t x0, int64_t x1, int64_t y0, int64_t y1,             \
                                   const void *c) {                                            \
    (void)c;                                                                                   \
    GS_LOOP(N, N, GS_NO_CHECK, *(T *)oe = *(const T *)te)                                      \
    return 0;                                                                                  \
  }                                                                                            \
  static int scatter_##N(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,    \
                         int64_t x1, int64_t y0, int64_t y1, const void *c) {                  \
    (void)c;                                                                                   \
    GS_LOOP(N, N, GS_NO_CHECK, *(T *)te = *(const T *)oe)                                      \
    return 0;                                                                                  \
  }                                                                                            \
  static int sfill_##N(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,      \
                       int64_t x1, int64_t y0, int64_t y1, const void *c) {                    \
    T fv;                                                                                      \
    memcpy(&fv, c, N);                                                                         \
    GS_LOOP(N, 0, GS_NO_CHECK, (void)oe; *(T *)te = fv)                                        \
    return 0;                                                                                  \
  }
DEF_GS_MOVE(1, uint8_t)
DEF_GS_MOVE(2, uint16_t)
DEF_GS_MOVE(4, uint32_t)
DEF_GS_MOVE(8, uint64_t)

#define DEF_GS_ADD(E, T, OP)                                                                   \
  static int sadd_##E(const gs_block *B, char *pt, const char *pi, char *po, int64_t x0,       \
                      int64_t x1, int64_t y0, int64_t y1, const void *c) {                     \
    (void)c;                                                                                   \
    GS_LOOP((int64_t)sizeof(T), (int64_t)sizeof(T), GS_NO_CHECK,                               \
            *(T *)te = OP(T, *(T *)te, *(const T *)oe))                                        \
    return 0;                                                                                  \
  }
DEF_GS_ADD(FLOAT32, float, ADD_OP)
DEF_GS_ADD(FLOAT64, double, ADD_OP)
DEF_GS_ADD(INT64, int64_t, ADD_OP)
DEF_GS_ADD(INT32, int32_t, ADD_OP)
DEF_GS_ADD(INT16, int16_t, ADD_OP)
DEF_GS_ADD(INT8, int8_t, ADD_OP)
DEF_GS_ADD(UINT8, uint8_t, ADD_OP)
DEF_GS_ADD(BOOL, uint8_t, ADD_OP_BOOL)

/* checked: the indices were checked before (a gather need not check them again) */
static gs_fn gs_fn_for(gs_kind k, lt_dtype dt, bool checked) {
  size_t es = lt_dtype_size(dt);
  switch (k) {
  case GS_GATHER:
    if (checked)
      return es == 1 ? gather_prechecked_1 : es == 2 ? gather_prechecked_2
             : es == 4 ? gather_prechecked_4 : gather_prechecked_8;
    return es == 1 ? gather_1 : es == 2 ? gather_2 : es == 4 ? gather_4 : gather_8;
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

/* Every entry of index (any strides), less base, in [0, size); the first bad one (in
 * row-major order) is reported. */
static int check_all_indices(const char *op, const lt_tensor *index, int dim, int64_t size, int64_t base) {
  int64_t n = lt_numel(index);
  if (n == 0) return 0;
  const int64_t *p = (const int64_t *)lt_data(index);
  if (lt_is_contiguous(index)) {
    int64_t first = first_bad_index(p, n, size, base);
    return first < n ? bad_index(op, p[first] - base, dim, size) : 0;
  }
  int nd = index->ndim;
  int64_t ctr[LT_MAXDIM] = {0}, off = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t v = p[off] - base;
    if ((uint64_t)v >= (uint64_t)size) return bad_index(op, v, dim, size);
    for (int d = nd - 1; d >= 0; d--) {
      off += index->stride[d];
      if (++ctr[d] < index->size[d]) break;
      off -= ctr[d] * index->stride[d];
      ctr[d] = 0;
    }
  }
  return 0;
}

/* T: indexed tensor; I: index, counted from base; O: other operand (NULL for fill); all
 * shapes checked; checked: the indices too (else the gather checks them as it reads).
 * Nonzero when the gather met a bad index. */
static int gs_run(gs_kind kind, lt_tensor *T, const lt_tensor *I, lt_tensor *O, int dim,
                  const void *ctx, int64_t base, bool checked) {
  int nd = I->ndim;
  int64_t ts = (int64_t)lt_dtype_size(T->dtype), os = O ? (int64_t)lt_dtype_size(O->dtype) : 0;
  if (lt_numel(I) == 0) return 0;
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
  B.base = base;
  B.limit = (uint64_t)T->size[dim];
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
  gs_fn fn = gs_fn_for(kind, T->dtype, checked);
  char *pt0 = (char *)lt_data(T), *po0 = O ? (char *)lt_data(O) : pt0;   /* fill: unused */
  const char *pi0 = (const char *)lt_data(I);
  int bad = 0;
  bool par = nt > 1 && work >= LT_PARALLEL_GRAIN && tasks > 1;
#pragma omp parallel for schedule(static) reduction(| : bad) if (par)
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
    bad |= fn(&B, pt0 + offt, pi0 + offi, po0 + offo, x0, x1, y0, y1, ctx);
  }
  return bad;
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

/* gather on the CPU (or, base 0 only, a GPU): indices counted from base */
static lt_tensor *gather(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index, int64_t base) {
  const char *op = "gather";
  if (check_indices(op, index, a) < 0) return NULL;
  if (check_gs_shapes(op, a, dim, index, NULL) < 0) return NULL;
  if (on_gpu(a)) return gpu_gather(op, out, a, dim, index);
  /* Into a new result the kernel checks the indices as it reads them (one pass over them,
   * not two) and a bad one discards the result; a caller's `out` is checked first, so
   * that a bad index leaves it untouched. */
  if (out && check_all_indices(op, index, dim, a->size[dim], base) < 0) return NULL;
  if (out && (shares_storage(out, a) || shares_storage(out, index))) {
    lt_tensor *r = gather(NULL, a, dim, index, base);
    if (!r) return NULL;
    lt_tensor *o = lt_prepare_out(op, out, r->ndim, r->size, a->dtype, a->device);
    if (o && lt_copy(o, r) < 0) { lt_release(o); o = NULL; }
    lt_release(r);
    return o;
  }
  lt_tensor *o = lt_prepare_out(op, out, index->ndim, index->size, a->dtype, a->device);
  if (!o) return NULL;
  if (gs_run(GS_GATHER, (lt_tensor *)a, index, o, dim, NULL, base, out != NULL)) {
    if (check_all_indices(op, index, dim, a->size[dim], base) == 0) lt_seterr("%s: index out of range", op);
    lt_release(o);
    return NULL;
  }
  lt_bump_version(o);
  return o;
}

lt_tensor *lt_gather(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index) {
  if (LT_AG_OUT(out, a->requires_grad)) return lt_ag_gather(out, a, dim, index);
  return gather(out, a, dim, index, 0);
}

lt_tensor *lt_gather_based(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index, int64_t base) {
  if (base && (LT_AG_OUT(out, a->requires_grad) || on_gpu(a) || on_gpu(index))) {
    /* autograd keeps the index and GPU kernels take 0-based ones: a 0-based copy */
    lt_tensor *z = zero_based(index, base);
    lt_tensor *r = z ? lt_gather(out, a, dim, z) : NULL;
    lt_release(z);
    return r;
  }
  return base ? gather(out, a, dim, index, base) : lt_gather(out, a, dim, index);
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

/* scatter, scatterAdd, scatter of a value; indices counted from base (a GPU's: 0 only) */
static int scatter_common(const char *op, gs_kind kind, lt_tensor *t, int dim,
                          const lt_tensor *index, const lt_tensor *src, double v, int64_t base) {
  if (check_indices(op, index, t) < 0) return -1;
  if (src && lt_check_same_device(op, t, src) < 0) return -1;
  if (check_gs_shapes(op, t, dim, index, src) < 0) return -1;
  if (on_gpu(t)) return gpu_scatter(op, kind, t, dim, index, src, v);
  if (check_all_indices(op, index, dim, t->size[dim], base) < 0) return -1;
  if (kind == GS_ADD && lt_is_half(t->dtype)) {
    lt_tensor *tf = lt_to_dtype(t, LT_FLOAT32);
    int rc = tf ? scatter_common(op, kind, tf, dim, index, src, v, base) : -1;
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
  gs_run(kind, t, ic ? ic : index, sc, dim, val.c, base, true);
  lt_bump_version(t);
  lt_release(sc);
  lt_release(ic);
  return 0;
}

int lt_scatter(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_SCATTER, t, dim, index, src, 0);
  return scatter_common("scatter", GS_SCATTER, t, dim, index, src, 0, 0);
}
int lt_scatter_add(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src) {
  if (LT_AG_OUT(t, LT_RG(src))) return lt_ag_write(LT_AGW_SCATTER_ADD, t, dim, index, src, 0);
  return scatter_common("scatterAdd", GS_ADD, t, dim, index, src, 0, 0);
}
int lt_scatter_fill(lt_tensor *t, int dim, const lt_tensor *index, double v) {
  if (LT_AG1(t)) return lt_ag_write(LT_AGW_SCATTER_FILL, t, dim, index, NULL, v);
  return scatter_common("scatter", GS_FILL, t, dim, index, NULL, v, 0);
}

/* scatter / scatterAdd with indices counted from base; autograd and GPUs take a 0-based
 * copy (see lt_gather_based) */
static int scatter_based(gs_kind kind, lt_tensor *t, int dim, const lt_tensor *index,
                         const lt_tensor *src, int64_t base) {
  int (*op0)(lt_tensor *, int, const lt_tensor *, const lt_tensor *) =
      kind == GS_ADD ? lt_scatter_add : lt_scatter;
  if (!base) return op0(t, dim, index, src);
  if (LT_AG_OUT(t, LT_RG(src)) || on_gpu(t) || on_gpu(index)) {
    lt_tensor *z = zero_based(index, base);
    int rc = z ? op0(t, dim, z, src) : -1;
    lt_release(z);
    return rc;
  }
  return scatter_common(kind == GS_ADD ? "scatterAdd" : "scatter", kind, t, dim, index, src, 0, base);
}
int lt_scatter_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base) {
  return scatter_based(GS_SCATTER, t, dim, index, src, base);
}
int lt_scatter_add_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base) {
  return scatter_based(GS_ADD, t, dim, index, src, base);
}
