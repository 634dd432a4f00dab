/* histc.c: histograms of a tensor's values (Torch7's histc). */
#include "internal.h"
#include <math.h>

/* Torch7's rule for a histogram's range [*lo, *hi] over the n doubles x: lo == hi (any
 * value, not only the default 0, 0) takes the range of x's non-NaN values (0 when there
 * are only NaNs), and a range still empty is widened by 1 on each side. n 0: only the
 * widening (a device's range already found). Fails, naming fn, when the range is not
 * finite. Used by histc and bhistc (signal.c). */
int lt_histc_range(const char *fn, const double *x, int64_t n, double *lo, double *hi) {
  if (*lo == *hi && n > 0) {
    double l = INFINITY, h = -INFINITY;
    for (int64_t i = 0; i < n; i++)
      if (x[i] == x[i]) { if (x[i] < l) l = x[i]; if (x[i] > h) h = x[i]; }
    if (l > h) l = h = 0;               /* only NaNs */
    *lo = l;
    *hi = h;
  }
  if (*lo == *hi) { *lo -= 1; *hi += 1; }
  if (!isfinite(*lo) || !isfinite(*hi) || !isfinite(*hi - *lo))
    LT_FAIL(-1, "%s: the range [%g, %g] is not finite (or too wide)", fn, *lo, *hi);
  return 0;
}

/* the same on a device: range and counts by the backend (tensor/cuda/random.cu), the
 * result on a's device */
static lt_tensor *histc_dev(lt_tensor *out, const lt_tensor *a, int64_t bins, double lo, double hi) {
  const lt_backend *be = lt_backend_for(a->device);
  if (!be) return NULL;
  if (!be->histc || !be->histc_range) LT_FAIL(NULL, "histc: not available for %s tensors", lt_devname(a->device));
  if (lo == hi && lt_numel(a) > 0) {        /* Torch7's rule: see lt_histc */
    if (be->histc_range(a, &lo, &hi) < 0) return NULL;
    if (lo > hi) lo = hi = 0;           /* only NaNs */
  }
  if (lt_histc_range("histc", NULL, 0, &lo, &hi) < 0) return NULL;
  lt_tensor *count = lt_empty(1, &bins, LT_INT64, a->device);
  if (!count) return NULL;
  if (be->histc(count, a, lo, hi) < 0) { lt_release(count); return NULL; }
  lt_dtype rt = lt_is_half(a->dtype) || a->dtype == LT_BOOL ? LT_FLOAT32 : a->dtype;
  lt_tensor *o = lt_prepare_out("histc", out, 1, &bins, out ? out->dtype : rt, a->device);
  if (o && lt_copy(o, count) < 0) { lt_release(o); o = NULL; }
  lt_release(count);
  return o;
}

/* counts of a's elements in `bins` equal bins over [lo, hi]. As Torch7's C code, any
 * lo == hi (not only the default 0, 0) takes the data's range (its non-NaN values), and a
 * range still empty (all values equal, only NaNs, no values) is widened by 1 on each side.
 * Values outside the range and NaNs are not counted; hi falls in the last bin. */
lt_tensor *lt_histc(lt_tensor *out, const lt_tensor *a, int64_t bins, double lo, double hi) {
  if (bins <= 0) LT_FAIL(NULL, "histc: bins must be positive (got %lld)", (long long)bins);
  if (lo > hi) LT_FAIL(NULL, "histc: min %g is larger than max %g", lo, hi);
  if (a->device.type != LT_CPU) return histc_dev(out, a, bins, lo, hi);
  lt_tensor *c = lt_to_dtype(a, LT_FLOAT64);
  lt_tensor *cc = c ? lt_contiguous(c) : NULL;
  lt_release(c);
  if (!cc) return NULL;
  const double *x = (const double *)lt_data(cc);
  int64_t n = lt_numel(cc);
  if (lt_histc_range("histc", x, n, &lo, &hi) < 0) { lt_release(cc); return NULL; }
  double *count = calloc((size_t)bins, sizeof(double));
  if (!count) { lt_release(cc); LT_FAIL(NULL, "histc: out of memory for %lld bins", (long long)bins); }
  double scale = (double)bins / (hi - lo);
  for (int64_t i = 0; i < n; i++) {
    double v = x[i];
    if (!(v >= lo && v <= hi)) continue;
    int64_t b = (int64_t)((v - lo) * scale);
    if (b >= bins) b = bins - 1;
    count[b] += 1;
  }
  lt_release(cc);
  lt_dtype rt = lt_is_half(a->dtype) || a->dtype == LT_BOOL ? LT_FLOAT32 : a->dtype;
  lt_tensor *o = lt_prepare_out("histc", out, 1, &bins, out ? out->dtype : rt, lt_cpu());
  if (o)
    for (int64_t b = 0; b < bins; b++) lt_put(o, &b, count[b]);
  free(count);
  return o;
}
