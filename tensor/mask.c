/* mask.c: masks (maskedFill/maskedCopy/maskedSelect) and nonzero (indexing along a
 * dimension is in index.c, gather/scatter in gather.c; the checks they share in
 * index_common.h). A mask is a ByteTensor or BoolTensor; ops are named in messages by
 * their Torch7 names. */
#include "index_common.h"
#include "autograd.h"

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
/* maskedCopy's source: at least cnt elements (else the error), in t's dtype, contiguous,
 * apart from t's memory; NULL on error */
static lt_tensor *masked_source(const char *op, const lt_tensor *t, const lt_tensor *src, int64_t cnt) {
  if (lt_numel(src) < cnt)
    LT_FAIL(NULL, "%s: the source has %lld elements but the mask selects %lld", op,
            (long long)lt_numel(src), (long long)cnt);
  if (src->dtype == t->dtype) return shares_storage(src, t) ? lt_clone(src) : lt_contiguous(src);
  lt_tensor *c = lt_to_dtype(src, t->dtype);
  lt_tensor *sc = c ? lt_contiguous(c) : NULL;
  lt_release(c);
  return sc;
}


static int gpu_masked_copy(const char *op, lt_tensor *t, const lt_tensor *mask, const lt_tensor *src) {
  const lt_backend *be = lt_backend_for(t->device);
  lt_tensor *m = be ? operand_on(op, mask, t) : NULL, mv, *hold = NULL, *sc = NULL;
  int rc = -1;
  int64_t cnt = 0;
  if (!m) return -1;
  if (mask_view(op, m, t->ndim, t->size, t, &mv, &hold) < 0) goto done;
  if (lt_numel(&mv) && be->count_nonzero(&mv, &cnt) < 0) goto done;
  if (!(sc = masked_source(op, t, src, cnt))) goto done;
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
  if (!(sc = masked_source(op, t, src, cnt))) goto done;
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
