/* gpu_signal.c: the signal functions (signal.c) and alias sampling (random_alias.c) on
 * tensors of any device. Everything here is engine ops that every backend runs (conv2d,
 * flip, views, pointwise ops, reductions, index_select, the random fills, copies between
 * devices), so no kernel of its own: what a GPU runs is this code, and the CPU tests call
 * the same functions on CPU tensors (tests/c/test_gpu_signal.c, and renorm on every
 * device).
 *   conv2/xcorr2, float types: one conv2d (below), recorded by conv2d's own autograd.
 *   conv3/xcorr3, integer types, bhistc: computed on CPU copies by the CPU code, the
 *     result moved back to the input's device (a round trip: correct, not fast).
 *   renorm: norms and factors from reductions and pointwise ops, on every device.
 *   multinomialAlias: the CPU's draws rebuilt from two random fills and index_select. */
#include "internal.h"
#include "autograd.h"
#include "gpu_signal.h"
#include <math.h>

/* ---- conv2/xcorr2 as conv2d ----
 * Torch7's three forms as conv2d's (C x H x W input, K x C/G x kh x kw weight):
 *   x (H, W) with k (kh, kw):          1 x H x W with 1 x 1 x kh x kw
 *   x (P, H, W) with k (P, kh, kw):    x with P x 1 x kh x kw, groups P (plane by plane)
 *   x (P, H, W) with k (Q, P, kh, kw): x with k (the standard convolution)
 * conv2d is a valid cross-correlation: conv flips the kernel's last two dims, and 'F'
 * pads by kernel size - 1 on each side (x zero outside), as signal.c's own kernel does. */
lt_tensor *lt_conv2_via_conv2d(const lt_tensor *x, const lt_tensor *k, bool full, bool flip) {
  int64_t H = x->size[x->ndim - 2], W = x->size[x->ndim - 1];
  int64_t kh = k->size[k->ndim - 2], kw = k->size[k->ndim - 1];
  int64_t osize[3] = {x->ndim == 2 ? 1 : k->ndim == 3 ? x->size[0] : k->size[0],
                      full ? H + kh - 1 : H - kh + 1, full ? W + kw - 1 : W - kw + 1};
  int ondim = x->ndim == 2 ? 2 : 3;
  const int64_t *os = ondim == 2 ? osize + 1 : osize;
  /* nothing to sum (no planes, an empty image in 'F' mode): zeros, which conv2d's checks
   * (groups 0, a kernel larger than an empty padded input) would refuse */
  if (lt_numel(x) == 0 || lt_numel(k) == 0) return lt_zeros(ondim, os, x->dtype, x->device);
  lt_tmps s = {{0}, 0};
  lt_conv_opts o = lt_conv_opts_default();
  const lt_tensor *in = x, *w = k;
  if (x->ndim == 2) {
    in = lt_keep(&s, lt_unsqueeze(x, 0));
    lt_tensor *k3 = lt_keep(&s, lt_unsqueeze(k, 0));
    w = k3 ? lt_keep(&s, lt_unsqueeze(k3, 0)) : NULL;
  } else if (k->ndim == 3) {
    w = lt_keep(&s, lt_unsqueeze(k, 1));
    o.groups = x->size[0];
  }
  if (w && flip) {
    int dims[2] = {2, 3};
    w = lt_keep(&s, lt_flip(w, 2, dims));
  }
  if (full) {
    o.padding[0] = kh - 1;
    o.padding[1] = kw - 1;
  }
  lt_tensor *y = in && w ? lt_keep(&s, lt_conv2d(in, w, NULL, &o)) : NULL;   /* Q x Ho x Wo */
  lt_tensor *r = y ? lt_keep(&s, lt_reshape(y, ondim, os)) : NULL;
  return lt_tmps_result(&s, r);
}

lt_tensor *lt_signal_conv_device(const lt_tensor *x, const lt_tensor *k, int nd, bool full, bool flip,
                                 lt_dtype dt) {
  lt_tensor *r = NULL;
  if (nd == 2 && lt_dtype_is_float(dt)) {
    /* the CPU's compute types: double, else float32 (the half types through it) */
    lt_dtype ct = dt == LT_FLOAT64 ? LT_FLOAT64 : LT_FLOAT32;
    lt_tensor *xc = lt_to_dtype(x, ct), *kc = xc ? lt_to_dtype(k, ct) : NULL;
    if (kc) r = lt_conv2_via_conv2d(xc, kc, full, flip);
    lt_release(xc);
    lt_release(kc);
    return r;
  }
  /* 3-D and integer types: a round trip through the CPU's kernel (integer results wrap
   * there as Torch7's do), the result put back on x's device; never recorded here (the
   * caller's node, signal.c, has the gradients) */
  bool paused = lt_grad_pause();
  lt_tensor *xh = lt_to_device(x, lt_cpu()), *kh = xh ? lt_to_device(k, lt_cpu()) : NULL;
  lt_tensor *rh = kh ? lt_convolve(NULL, xh, kh, nd, full, flip) : NULL;
  if (rh) r = lt_to_device(rh, x->device);
  lt_release(xh);
  lt_release(kh);
  lt_release(rh);
  lt_grad_resume(paused);
  return r;
}

/* ---- renorm ----
 * Per sub-tensor (a row of x with dim moved first, flattened): m its largest magnitude,
 * norm = m * ||row / m||_p (the scaling keeps large values from overflowing and small
 * ones from underflowing in the sum of powers), with m replaced by 1 where it is 0,
 * infinite or NaN (a zero row has norm 0, a row holding Inf or NaN its own norm: Inf or
 * NaN). The scale is a constant for autograd: the norm is homogeneous of degree 1, so
 * its gradient is the same with or without it. A NaN norm is not above maxnorm: its
 * sub-tensor is left as it is. */
lt_tensor *lt_renorm_scaled(const lt_tensor *x, double p, int dim, double maxnorm) {
  int64_t rows = x->size[dim], n = lt_numel(x), cols = rows ? n / rows : 0;
  if (n == 0) return lt_clone(x);
  lt_tmps s = {{0}, 0};
  int64_t s2[2] = {rows, cols}, s1[2] = {rows, 1};
  lt_tensor *xt = lt_keep(&s, lt_transpose(x, 0, dim));
  lt_tensor *xd = xt ? lt_keep(&s, lt_to_dtype(xt, LT_FLOAT64)) : NULL;
  lt_tensor *v = xd ? lt_keep(&s, lt_reshape(xd, 2, s2)) : NULL;
  bool paused = lt_grad_pause();
  lt_tensor *m = v ? lt_keep(&s, lt_reduce_dim(LT_RNORM, NULL, NULL, NULL, v, 1, true, INFINITY)) : NULL;
  lt_tensor *pos = lt_tmp_bins(&s, LT_GT, m, 0);
  lt_tensor *fin = lt_tmp_bins(&s, LT_LT, m, INFINITY);
  lt_tensor *usable = lt_tmp_bin(&s, LT_LOGICAL_AND, pos, fin);
  lt_tensor *one = lt_keep(&s, lt_empty(2, s1, LT_FLOAT64, x->device));
  if (one && lt_fill(one, 1) < 0) one = NULL;
  lt_tensor *scale = usable && one ? lt_keep(&s, lt_where(NULL, usable, m, one)) : NULL;
  lt_grad_resume(paused);
  lt_tensor *u = lt_tmp_bin(&s, LT_DIV, v, scale);
  lt_tensor *nu = u ? lt_keep(&s, lt_reduce_dim(LT_RNORM, NULL, NULL, NULL, u, 1, true, p)) : NULL;
  lt_tensor *norm = lt_tmp_bin(&s, LT_MUL, nu, scale);
  /* the factor: maxnorm / (norm + 1e-7) (Torch7's epsilon) above maxnorm, else 1 */
  paused = lt_grad_pause();
  lt_tensor *above = lt_tmp_bins(&s, LT_GT, norm, maxnorm);
  lt_grad_resume(paused);
  lt_tensor *den = lt_tmp_bins(&s, LT_ADD, norm, 1e-7);
  lt_tensor *shrink = den ? lt_keep(&s, lt_binary_scalar(LT_DIV, NULL, den, maxnorm, true)) : NULL;
  lt_tensor *fac = above && shrink && one ? lt_keep(&s, lt_where(NULL, above, shrink, one)) : NULL;
  int64_t fsize[LT_MAXDIM];
  for (int d = 0; d < x->ndim; d++) fsize[d] = d == dim ? rows : 1;
  lt_tensor *f = fac ? lt_keep(&s, lt_reshape(fac, x->ndim, fsize)) : NULL;
  lt_tensor *r = lt_tmp_bin(&s, LT_MUL, x, f);
  return lt_tmps_result(&s, r);
}

/* ---- bhistc: a round trip through the CPU's loop ---- */
lt_tensor *lt_bhistc_device(lt_tensor *out, const lt_tensor *x, int64_t bins, double lo, double hi) {
  lt_tensor *xh = lt_to_device(x, lt_cpu());
  lt_tensor *rh = xh ? lt_bhistc(NULL, xh, bins, lo, hi) : NULL;
  lt_release(xh);
  lt_tensor *r = rh ? lt_to_device(rh, x->device) : NULL;
  lt_release(rh);
  if (!r) return NULL;
  return lt_deliver(out, r, r->dtype);
}

/* ---- alias draws ----
 * Draw i of the CPU's loop (random_alias.c) reads Philox block offset + i: lanes 0,1 as
 * a 64-bit number x pick the cell x % K, lanes 2,3 make the uniform. The wide fills read
 * the same block for their elements 2i and 2i + 1: random over all 2^64 values gives
 * element 2i = x - 2^63 (as a signed number), so x % K = ((e mod K) + (2^63 mod K)) mod
 * K with floor modulo (exact in int64); uniform on [0, 1) gives element 2i + 1 = the same
 * uniform. Both fills start at the generator's offset; the call then moves it by n, as
 * the loop does. */
/* draws [i0, i0 + m) of the call into dst (a contiguous INT64 vector of m), reading the
 * generator's blocks from base + i0 */
static int alias_chunk(lt_tensor *dst, const lt_generator *g, uint64_t i0, const lt_tensor *J64,
                       const lt_tensor *q, int64_t K, int64_t jbase) {
  int64_t m = dst->size[0];
  lt_tmps s = {{0}, 0};
  int rc = -1;
  int64_t two[2] = {m, 2};
  lt_generator gbits = *g, guni = *g;
  gbits.offset += i0;
  guni.offset += i0;
  lt_tensor *bits = lt_keep(&s, lt_empty(2, two, LT_INT64, dst->device));
  lt_tensor *uni = lt_keep(&s, lt_empty(2, two, LT_FLOAT64, dst->device));
  if (!bits || !uni || lt_random_int(bits, &gbits, INT64_MIN, INT64_MAX) < 0 || lt_uniform(uni, &guni, 0, 1) < 0)
    goto done;
  uint64_t c = (1ull << 63) % (uint64_t)K;
  lt_tensor *e = lt_keep(&s, lt_select(bits, 1, 0));
  lt_tensor *k = lt_tmp_bins(&s, LT_REMAINDER, e, (double)K);
  if (c) k = lt_tmp_bins(&s, LT_REMAINDER, lt_tmp_bins(&s, LT_ADD, k, (double)c), (double)K);
  lt_tensor *u = lt_keep(&s, lt_select(uni, 1, 1));
  lt_tensor *jk = k ? lt_keep(&s, lt_index_select(NULL, J64, 0, k)) : NULL;
  lt_tensor *qk = k ? lt_keep(&s, lt_index_select(NULL, q, 0, k)) : NULL;
  /* only the cells drawn are checked, as on the CPU: aliases in [jbase, jbase + K - 1],
   * keep probabilities in [0, 1] (NaN fails both comparisons) */
  lt_tensor *qok = lt_tmp_bin(&s, LT_LOGICAL_AND, lt_tmp_bins(&s, LT_GE, qk, 0), lt_tmp_bins(&s, LT_LE, qk, 1));
  int64_t jmin = 0, jmax = 0;
  double qall = 0;
  bool is_int;
  if (!u || !jk || !qok || lt_reduce_all_int(LT_RMIN, jk, 0, &jmin, &is_int) < 0 ||
      lt_reduce_all_int(LT_RMAX, jk, 0, &jmax, &is_int) < 0 || lt_reduce_all(LT_RALL, qok, 0, &qall) < 0)
    goto done;
  if (jmin < jbase || jmax > jbase + K - 1 || qall == 0) {
    lt_seterr("multinomialAlias: J and q are not a setup of %lld categories (J must be in [%lld, %lld], q in [0, 1])",
              (long long)K, (long long)jbase, (long long)(jbase + K - 1));
    goto done;
  }
  lt_tensor *keep = lt_tmp_bin(&s, LT_LT, u, qk);   /* u < q[k]: keep the cell */
  lt_tensor *kb = lt_tmp_bins(&s, LT_ADD, k, (double)jbase);
  lt_tensor *w = keep && kb ? lt_where(dst, keep, kb, jk) : NULL;   /* a new reference to dst */
  if (!w) goto done;
  lt_release(w);
  rc = 0;
done:
  lt_tmps_free(&s);
  return rc;
}

int lt_alias_draw_generic(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q,
                          int64_t jbase) {
  return lt_alias_draw_chunked(out, g, J, q, jbase, (int64_t)1 << 22);
}

int lt_alias_draw_chunked(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q,
                          int64_t jbase, int64_t chunk) {
  int64_t K = J->size[0], n = lt_numel(out);
  if (n == 0) return 0;
  if (chunk < 1) chunk = 1;
  if (!g) g = lt_default_generator();
  int rc = -1;
  bool paused = lt_grad_pause();   /* q may require grad: the draws are not differentiable */
  lt_tensor *J64 = J->dtype == LT_INT64 ? (lt_retain((lt_tensor *)J), (lt_tensor *)J) : lt_to_dtype(J, LT_INT64);
  lt_tensor *all = J64 ? lt_empty(1, &n, LT_INT64, out->device) : NULL;
  for (int64_t i0 = 0; all && i0 < n; i0 += chunk) {
    lt_tensor *part = lt_narrow(all, 0, i0, LT_MIN(chunk, n - i0));
    int r = part ? alias_chunk(part, g, (uint64_t)i0, J64, q, K, jbase) : -1;
    lt_release(part);
    if (r < 0) goto done;
  }
  lt_tensor *shaped = all ? lt_reshape(all, out->ndim, out->size) : NULL;
  int c = shaped ? lt_copy(out, shaped) : -1;
  lt_release(shaped);
  if (c < 0) goto done;
  g->offset += (uint64_t)n;   /* only a successful call moves the generator on */
  rc = 0;
done:
  lt_release(all);
  lt_release(J64);
  lt_grad_resume(paused);
  return rc;
}
