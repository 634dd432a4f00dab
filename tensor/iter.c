/* iter.c: the strided iterator behind every elementwise kernel and copy. */
#include "internal.h"

void lt_iter_init(lt_iter *it, int nop, const lt_tensor *const *ops) {
  const lt_tensor *t0 = ops[0];
  it->nop = nop;
  it->numel = lt_numel(t0);
  /* drop size-1 dims, keep order (outermost first) */
  int nd = 0;
  for (int d = 0; d < t0->ndim; d++) {
    if (t0->size[d] == 1) continue;
    it->size[nd] = t0->size[d];
    for (int k = 0; k < nop; k++)
      it->stride[k][nd] = ops[k]->stride[d] * (int64_t)lt_dtype_size(ops[k]->dtype);
    nd++;
  }
  /* coalesce: merge d-1 into d when every operand is contiguous across them */
  int w = 0;
  for (int d = 1; d < nd; d++) {
    bool ok = true;
    for (int k = 0; k < nop && ok; k++)
      ok = it->stride[k][w] == it->stride[k][d] * it->size[d];
    if (ok) {
      it->size[w] *= it->size[d];
      for (int k = 0; k < nop; k++) it->stride[k][w] = it->stride[k][d];
    } else {
      w++;
      it->size[w] = it->size[d];
      for (int k = 0; k < nop; k++) it->stride[k][w] = it->stride[k][d];
    }
  }
  it->ndim = nd ? w + 1 : 0;
  if (it->ndim == 0) {                 /* a single element */
    it->ndim = 1;
    it->size[0] = 1;
    for (int k = 0; k < nop; k++) it->stride[k][0] = 0;
  }
  for (int k = 0; k < nop; k++) it->data[k] = (char *)lt_data(ops[k]);
}

/* run elements [begin, end) of the iteration space */
static void iter_range(const lt_iter *it, lt_loop_fn fn, void *ctx, int64_t begin, int64_t end) {
  int nd = it->ndim, nop = it->nop;
  int64_t inner = it->size[nd - 1];
  int64_t idx[LT_MAXDIM];
  char *ptr[LT_ITER_MAXOP];
  int64_t istr[LT_ITER_MAXOP];
  int64_t rem = begin;
  for (int d = nd - 1; d >= 0; d--) { idx[d] = rem % it->size[d]; rem /= it->size[d]; }
  for (int k = 0; k < nop; k++) istr[k] = it->stride[k][nd - 1];
  int64_t pos = begin;
  while (pos < end) {
    for (int k = 0; k < nop; k++) {
      int64_t off = 0;
      for (int d = 0; d < nd; d++) off += idx[d] * it->stride[k][d];
      ptr[k] = it->data[k] + off;
    }
    int64_t n = LT_MIN(inner - idx[nd - 1], end - pos);
    fn(ptr, istr, n, ctx);
    pos += n;
    idx[nd - 1] += n;
    if (idx[nd - 1] < inner) continue;
    idx[nd - 1] = 0;
    for (int d = nd - 2; d >= 0; d--) {
      if (++idx[d] < it->size[d]) break;
      idx[d] = 0;
    }
  }
}

void lt_iter_run(const lt_iter *it, lt_loop_fn fn, void *ctx, int64_t grain) {
  int64_t n = it->numel;
  if (n == 0) return;
  int nt = lt_threads();
  if (grain <= 0 || n < grain || nt <= 1) { iter_range(it, fn, ctx, 0, n); return; }
  int64_t chunks = LT_MIN((int64_t)nt, (n + grain - 1) / grain);
#pragma omp parallel for num_threads((int)chunks) schedule(static)
  for (int64_t c = 0; c < chunks; c++) {
    int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
    iter_range(it, fn, ctx, b, e);
  }
}

void lt_broadcast_view(const lt_tensor *t, int ndim, const int64_t *size, lt_tensor *v) {
  lt_view_init(v, t);
  int off = ndim - t->ndim;
  for (int i = ndim - 1; i >= 0; i--) {
    int j = i - off;
    v->size[i] = size[i];
    v->stride[i] = (j >= 0 && t->size[j] == size[i]) ? t->stride[j] : 0;
  }
  v->ndim = ndim;
}

int lt_broadcast_shape(const char *op, const lt_tensor *a, const lt_tensor *b, int64_t *size) {
  /* Torch7's empty tensor has no dimensions but is not a scalar: it broadcasts with nothing */
  if ((!a->storage && a->ndim == 0) || (!b->storage && b->ndim == 0))
    LT_FAIL(-1, "%s: an empty tensor (no dimensions) cannot be combined with a tensor of other size", op);
  int nd = LT_MAX(a->ndim, b->ndim);
  for (int i = 0; i < nd; i++) {
    int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
    int64_t sa = ia >= 0 ? a->size[ia] : 1, sb = ib >= 0 ? b->size[ib] : 1;
    if (sa == sb || sb == 1) size[i] = sa;
    else if (sa == 1) size[i] = sb;
    else {
      char b1[128], b2[128];
      LT_FAIL(-1, "%s: sizes %s and %s do not broadcast (dimension %d: %lld vs %lld)", op,
              lt_shape_str(a, b1, sizeof b1), lt_shape_str(b, b2, sizeof b2), i + 1,
              (long long)sa, (long long)sb);
    }
  }
  return nd;
}
