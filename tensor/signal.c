/* signal.c: Torch7's signal functions of maths.md: conv2/xcorr2/conv3/xcorr3 (2-D and
 * 3-D convolution and cross-correlation, 'V'alid and 'F'ull), renorm (sub-tensors with a
 * p-norm above maxnorm scaled down to it) and bhistc (histc of each row).
 *
 * Convolution. With K the kernel size along a dim (Torch7's THTensorConv.c):
 *   valid xcorr  r[y] = sum_j x[y + j] k[j]               size n - K + 1
 *   valid conv   r[y] = sum_j x[y + j] k[K - 1 - j]       (the kernel flipped)
 *   full conv    r[y] = sum_j x[y - j] k[j]               size n + K - 1 (x zero outside)
 *   full xcorr   r[y] = sum_j x[y - j] k[K - 1 - j]
 * Each is a valid cross-correlation of x zero-padded by K - 1 on both sides (full) or
 * not (valid) with the kernel flipped (conv) or not (xcorr): padding and flipping are done
 * once on copies, and one kernel computes all four. Its inner loop adds a kernel weight
 * times a run of an input row to a run of an output row, which vectorizes; output rows
 * are split across threads (each row written by one thread, so no atomics).
 *
 * Other devices (gpu_signal.c): conv2/xcorr2 of float types as one conv2d, conv3/xcorr3
 * and integer types through this kernel on CPU copies, the result moved back; renorm is
 * engine ops everywhere; bhistc a round trip through its CPU loop. */
#include "internal.h"
#include "autograd.h"
#include "gpu_signal.h"
#include <math.h>
#include <stdio.h>

/* ---- convolution ---- */

/* the tensors a and b (named an and bn in the message) on one device */
static int signal_devices(const char *op, const char *an, const lt_tensor *a, const char *bn, const lt_tensor *b) {
  if (lt_same_device(a->device, b->device)) return 0;
  LT_FAIL(-1, "%s: %s and %s must be on the same device (%s is on %s, %s on %s)", op, an, bn, an,
          lt_devname(a->device), bn, lt_devname(b->device));
}

/* the three shape forms of Torch7 (conv2Dmul / conv2Dcmul / conv2Dmv and conv3D...), and
 * FORM_MVT: FORM_MV with the roles of image and kernel swapped (input plane q*P + c, kernel
 * plane c), for the full mode with a kernel larger than the image */
enum { FORM_SINGLE, FORM_CMUL, FORM_MV, FORM_MVT };

typedef struct {
  int form;
  int64_t P;              /* input planes (1 for FORM_SINGLE) */
  int64_t Q;              /* output planes */
  int64_t is[3];          /* input spatial sizes after padding (depth 1 for 2-D) */
  int64_t ks[3];          /* kernel spatial sizes */
  int64_t os[3];          /* output spatial sizes */
} conv_geom;

/* one output row (plane q, depth z, row y) of the valid cross-correlation, added to orow */
#define DEF_XCORR_ROW(NAME, T)                                                               \
  static void NAME(T *restrict orow, const T *restrict x, const T *restrict k,               \
                   const conv_geom *g, int64_t q, int64_t z, int64_t y) {                    \
    const int64_t ir = g->is[1], ic = g->is[2], kt = g->ks[0], kr = g->ks[1], kc = g->ks[2];  \
    const int64_t oc = g->os[2];                                                             \
    const int64_t xplane = g->is[0] * ir * ic, kplane = kt * kr * kc;                        \
    const int f = g->form;                                                                   \
    int64_t n = f == FORM_MV || f == FORM_MVT ? g->P : 1;                                    \
    for (int64_t c = 0; c < n; c++) {                                                        \
      int64_t ip = f == FORM_SINGLE ? 0 : f == FORM_CMUL ? q : f == FORM_MV ? c : q * g->P + c; \
      int64_t kp = f == FORM_SINGLE ? 0 : f == FORM_CMUL ? q : f == FORM_MV ? q * g->P + c : c; \
      for (int64_t kz = 0; kz < kt; kz++)                                                    \
        for (int64_t ky = 0; ky < kr; ky++) {                                                \
          const T *xrow = x + ip * xplane + ((z + kz) * ir + (y + ky)) * ic;                 \
          const T *krow = k + kp * kplane + (kz * kr + ky) * kc;                             \
          for (int64_t kx = 0; kx < kc; kx++) {                                              \
            const T w = krow[kx];                                                            \
            const T *xs = xrow + kx;                                                         \
            for (int64_t xx = 0; xx < oc; xx++) orow[xx] += w * xs[xx];                      \
          }                                                                                  \
        }                                                                                    \
    }                                                                                        \
  }
DEF_XCORR_ROW(xcorr_row_f, float)
DEF_XCORR_ROW(xcorr_row_d, double)
DEF_XCORR_ROW(xcorr_row_l, int64_t)   /* integers: int64 wrapping (-fwrapv), truncated after */

static void run_xcorr(lt_dtype ct, void *o, const void *x, const void *k, const conv_geom *g) {
  const int64_t ot = g->os[0], orr = g->os[1], oc = g->os[2];
  const int64_t items = g->Q * ot * orr;
  const int64_t kvol = g->ks[0] * g->ks[1] * g->ks[2] * (g->form >= FORM_MV ? g->P : 1);
  /* multiply-adds in all: split across threads when there is enough of them */
  const bool par = items > 1 && (double)items * (double)oc * (double)kvol > (double)LT_PARALLEL_GRAIN * 4;
#pragma omp parallel for if (par) schedule(static)
  for (int64_t it = 0; it < items; it++) {
    int64_t q = it / (ot * orr), rem = it % (ot * orr), z = rem / orr, y = rem % orr;
    int64_t off = it * oc;
    switch (ct) {
    case LT_FLOAT32: xcorr_row_f((float *)o + off, x, k, g, q, z, y); break;
    case LT_FLOAT64: xcorr_row_d((double *)o + off, x, k, g, q, z, y); break;
    default: xcorr_row_l((int64_t *)o + off, x, k, g, q, z, y); break;
    }
  }
}

static const char *conv_name(int nd, bool flip) {
  return nd == 2 ? (flip ? "conv2" : "xcorr2") : (flip ? "conv3" : "xcorr3");
}

/* "3x4" for the last n sizes of t */
static const char *sizes_str(char *buf, size_t cap, const lt_tensor *t) {
  size_t used = 0;
  buf[0] = 0;
  for (int d = 0; d < t->ndim && used < cap; d++)
    used += (size_t)snprintf(buf + used, cap - used, d ? "x%lld" : "%lld", (long long)t->size[d]);
  if (t->ndim == 0) snprintf(buf, cap, "0-dim");
  return buf;
}

/* x (contiguous, compute type) copied into zeroed planes padded by pad[d] on both sides
 * of each spatial dim; sizes in g->is are the padded ones */
static lt_tensor *pad_input(const lt_tensor *x, int64_t P, const int64_t *in, const int64_t *pad,
                            const conv_geom *g) {
  int64_t size[4] = {P, g->is[0], g->is[1], g->is[2]};
  lt_tensor *p = lt_zeros(4, size, x->dtype, x->device);
  if (!p) return NULL;
  size_t es = lt_dtype_size(x->dtype);
  /* an empty row: nothing to copy (and an empty x, or an empty p, has no data pointer:
   * memcpy from or to NULL is undefined even for 0 bytes) */
  if (in[2] == 0) return p;
  const char *src = (const char *)lt_data(x);
  char *dst = (char *)lt_data(p);
  for (int64_t pl = 0; pl < P; pl++)
    for (int64_t z = 0; z < in[0]; z++)
      for (int64_t y = 0; y < in[1]; y++) {
        const char *s = src + (((pl * in[0] + z) * in[1] + y) * in[2]) * es;
        char *d = dst + ((((pl * g->is[0]) + z + pad[0]) * g->is[1] + y + pad[1]) * g->is[2] + pad[2]) * es;
        memcpy(d, s, (size_t)in[2] * es);
      }
  return p;
}

/* a contiguous copy of k with each kernel plane's elements in reverse order: flipping
 * every spatial dim of a row-major block is reversing it */
static lt_tensor *flip_planes(const lt_tensor *k, int64_t nplanes, int64_t plane) {
  lt_tensor *f = lt_empty(k->ndim, k->size, k->dtype, k->device);
  if (!f) return NULL;
  size_t es = lt_dtype_size(k->dtype);
  const char *src = (const char *)lt_data(k);
  char *dst = (char *)lt_data(f);
  for (int64_t p = 0; p < nplanes; p++)
    for (int64_t i = 0; i < plane; i++)
      memcpy(dst + (p * plane + plane - 1 - i) * es, src + (p * plane + i) * es, es);
  return f;
}

/* a result tensor out that already has the result's shape (ndim, size) keeps its strides
 * and is written in place: one whose elements share memory (stride 0, from expand) cannot
 * take the values. One of another shape is resized (contiguous): fine. */
static int check_result(const char *op, const lt_tensor *out, int ndim, const int64_t *size) {
  if (!out || out->ndim != ndim) return 0;
  for (int d = 0; d < ndim; d++)
    if (out->size[d] != size[d]) return 0;
  return lt_check_writable(op, "res", out);
}

/* the compute-type result r (int64 for the integer types) stored as dt, wrapping as
 * Torch7's integer arithmetic does (lt_copy would saturate int64 -> int32) */
static lt_tensor *narrow_ints(lt_tensor *r, lt_dtype dt) {
  lt_tensor *n = lt_empty(r->ndim, r->size, dt, r->device);
  if (!n) return NULL;
  const int64_t *s = (const int64_t *)lt_data(r);
  int64_t cnt = lt_numel(r);
  void *d = lt_data(n);
  switch (dt) {
  case LT_INT32: for (int64_t i = 0; i < cnt; i++) ((int32_t *)d)[i] = (int32_t)(uint32_t)(uint64_t)s[i]; break;
  case LT_INT16: for (int64_t i = 0; i < cnt; i++) ((int16_t *)d)[i] = (int16_t)(uint16_t)(uint64_t)s[i]; break;
  case LT_INT8: for (int64_t i = 0; i < cnt; i++) ((int8_t *)d)[i] = (int8_t)(uint8_t)(uint64_t)s[i]; break;
  case LT_UINT8: for (int64_t i = 0; i < cnt; i++) ((uint8_t *)d)[i] = (uint8_t)(uint64_t)s[i]; break;
  default: break;
  }
  return n;
}

/* the computation itself (grad mode paused by the caller when recording) */
static lt_tensor *conv_compute(lt_tensor *out, const lt_tensor *x, const lt_tensor *k, int nd, bool full,
                               bool flip) {
  const char *op = conv_name(nd, flip);
  if (signal_devices(op, "x", x, "k", k) < 0 || (out && signal_devices(op, "x", x, "res", out) < 0)) return NULL;
  lt_dtype dt = lt_promote(x->dtype, k->dtype);
  if (dt == LT_BOOL) LT_FAIL(NULL, "%s: BoolTensor inputs are not supported (convert with :byte() or :float())", op);
  if (out && out->dtype != dt)
    LT_FAIL(NULL, "%s: result tensor is %sTensor, expected %sTensor", op, lt_dtype_name(out->dtype), lt_dtype_name(dt));
  char b1[128], b2[128];
  conv_geom g;
  memset(&g, 0, sizeof g);
  if (x->ndim == nd && k->ndim == nd) { g.form = FORM_SINGLE; g.P = 1; g.Q = 1; }
  else if (x->ndim == nd + 1 && k->ndim == nd + 1) {
    g.form = FORM_CMUL; g.P = x->size[0]; g.Q = x->size[0];
    if (k->size[0] != x->size[0])
      LT_FAIL(NULL, "%s: a %d-D input and a %d-D kernel need as many kernels as input planes (input %s, kernel %s)",
              op, x->ndim, k->ndim, sizes_str(b1, sizeof b1, x), sizes_str(b2, sizeof b2, k));
  } else if (x->ndim == nd + 1 && k->ndim == nd + 2) {
    g.form = FORM_MV; g.P = x->size[0]; g.Q = k->size[0];
    if (k->size[1] != x->size[0])
      LT_FAIL(NULL, "%s: the kernel's second size must be the number of input planes (input %s, kernel %s)",
              op, sizes_str(b1, sizeof b1, x), sizes_str(b2, sizeof b2, k));
  } else
    LT_FAIL(NULL, "%s: expected a %d-D input with a %d-D kernel, a %d-D input with a %d-D kernel, or a %d-D "
            "input with a %d-D kernel (got a %d-D input and a %d-D kernel)",
            op, nd, nd, nd + 1, nd + 1, nd + 1, nd + 2, x->ndim, k->ndim);
  /* spatial sizes, as 3-D (depth 1 for 2-D) */
  int64_t in[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
  for (int d = 0; d < nd; d++) {
    in[3 - nd + d] = x->size[x->ndim - nd + d];
    g.ks[3 - nd + d] = k->size[k->ndim - nd + d];
  }
  if (nd == 2) g.ks[0] = 1;
  for (int d = 0; d < 3; d++) {
    if (g.ks[d] == 0)
      LT_FAIL(NULL, "%s: the kernel is empty (kernel %s)", op, sizes_str(b2, sizeof b2, k));
    if (!full && in[d] < g.ks[d])
      LT_FAIL(NULL, "%s: the input (%s) is smaller than the kernel (%s) in 'V' (valid) mode", op,
              sizes_str(b1, sizeof b1, x), sizes_str(b2, sizeof b2, k));
    pad[d] = full ? g.ks[d] - 1 : 0;
    g.is[d] = in[d] + 2 * pad[d];
    g.os[d] = g.is[d] - g.ks[d] + 1;
  }
  /* The full convolution commutes: with a kernel larger than the image, the image becomes
   * the kernel (flipped) and the kernel the padded image (flipped unless conv flips it
   * already), so the work is the output's size times the smaller volume (Torch7's scatter
   * loop had the image's size times the kernel's). */
  int64_t in_vol = in[0] * in[1] * in[2], k_vol = g.ks[0] * g.ks[1] * g.ks[2];
  int64_t xplanes = g.form == FORM_SINGLE ? 1 : g.P;
  int64_t kplanes = g.form == FORM_SINGLE ? 1 : g.form == FORM_CMUL ? g.P : g.Q * g.P;
  bool swap = full && k_vol > in_vol && in_vol > 0;
  conv_geom sg = g;
  int64_t spad[3] = {0, 0, 0};
  if (swap) {
    for (int d = 0; d < 3; d++) {
      spad[d] = in[d] - 1;
      sg.ks[d] = in[d];
      sg.is[d] = g.ks[d] + 2 * spad[d];
    }
    if (g.form == FORM_MV) sg.form = FORM_MVT;
  }
  /* the padded input and the result must be allocatable: fail here, naming the op */
  const conv_geom *ug = swap ? &sg : &g;
  double padded = (double)(swap ? kplanes : xplanes) * ug->is[0] * ug->is[1] * ug->is[2];
  double outn = (double)g.Q * g.os[0] * g.os[1] * g.os[2];
  if (padded > 0x1p60 || outn > 0x1p60)
    LT_FAIL(NULL, "%s: the result of input %s and kernel %s is too large", op, sizes_str(b1, sizeof b1, x),
            sizes_str(b2, sizeof b2, k));
  int ondim = (g.form == FORM_SINGLE ? 0 : 1) + nd;
  int64_t osize[4];
  if (g.form != FORM_SINGLE) osize[0] = g.Q;
  for (int d = 0; d < nd; d++) osize[ondim - nd + d] = g.os[3 - nd + d];
  if (check_result(op, out, ondim, osize) < 0) return NULL;
  /* other devices: through conv2d or a round trip (gpu_signal.c) */
  if (x->device.type != LT_CPU) return lt_deliver(out, lt_signal_conv_device(x, k, nd, full, flip, dt), dt);

  lt_dtype ct = dt == LT_FLOAT64 ? LT_FLOAT64 : lt_dtype_is_float(dt) ? LT_FLOAT32 : LT_INT64;
  lt_tensor *xc = NULL, *kc = NULL, *xp = NULL, *kf = NULL, *r = NULL;
  lt_tensor *t = lt_to_dtype(x, ct);
  if (t) { xc = lt_contiguous(t); lt_release(t); }
  t = lt_to_dtype(k, ct);
  if (t) { kc = lt_contiguous(t); lt_release(t); }
  if (!xc || !kc) goto fail;
  if (swap) {
    lt_tensor *kin = flip ? (lt_retain(kc), kc) : flip_planes(kc, kplanes, k_vol);
    xp = kin ? pad_input(kin, kplanes, g.ks, spad, &sg) : NULL;
    lt_release(kin);
    kf = flip_planes(xc, xplanes, in_vol);
    g = sg;
  } else {
    xp = full ? pad_input(xc, xplanes, in, pad, &g) : (lt_retain(xc), xc);
    kf = flip ? flip_planes(kc, kplanes, k_vol) : (lt_retain(kc), kc);
  }
  if (!xp || !kf) goto fail;
  r = lt_zeros(ondim, osize, ct, lt_cpu());
  if (!r) goto fail;
  if (lt_numel(r) > 0) run_xcorr(ct, lt_data(r), lt_data(xp), lt_data(kf), &g);
  lt_release(xc); lt_release(kc); lt_release(xp); lt_release(kf);
  if (ct != dt) {
    lt_tensor *c = ct == LT_INT64 ? narrow_ints(r, dt) : lt_to_dtype(r, dt);
    lt_release(r);
    if (!c) return NULL;
    r = c;
  }
  return lt_deliver(out, r, dt);
fail:
  lt_release(xc); lt_release(kc); lt_release(xp); lt_release(kf);
  return NULL;
}

/* ---- the gradients ----
 * In one dimension, with g the output's gradient (the forms below apply per plane):
 *   valid xcorr y[o] = sum_j x[o+j] k[j]:      dx = conv F (g, k)    dk = xcorr V (x, g)
 *   valid conv  y[o] = sum_j x[o+j] k[K-1-j]:  dx = xcorr F (g, k)   dk = flip(xcorr V (x, g))
 *   full conv   y[o] = sum_j x[o-j] k[j]:      dx = xcorr V (g, k)   dk = xcorr V (g, x)
 *   full xcorr  y[o] = sum_j x[o-j] k[K-1-j]:  dx = conv V (g, k)    dk = flip(xcorr V (g, x))
 * so dx has the other mode and the other kind. For the (q, p, ...) kernel form, dx is the
 * same form with the kernel's first two dims swapped, and dk[q][p] pairs x[p] with g[q]
 * (both expanded to (q, p, ...) and run as the plane-by-plane form). All of it is engine
 * ops, so createGraph records it and second derivatives work. */
static int conv_backward(lt_node *n, const lt_tensor *g, lt_tensor **grads) {
  int nd = (int)n->p[0];
  bool full = n->p[1], flip = n->p[2];
  bool want_x = n->in[0].fn != NULL, want_k = n->in[1].fn != NULL;
  const lt_tensor *x = want_k ? lt_node_saved(n, 0) : NULL;
  const lt_tensor *k = want_x ? lt_node_saved(n, 1) : NULL;
  if ((want_k && !x) || (want_x && !k)) return -1;
  int form = n->in[0].ndim == nd ? FORM_SINGLE : n->in[1].ndim == nd + 1 ? FORM_CMUL : FORM_MV;
  /* nothing to convolve (no planes, or an empty image in 'F' mode): zero gradients */
  bool empty = lt_numel(g) == 0;
  for (int i = 0; i < 2; i++) {
    int64_t cnt = 1;
    for (int d = 0; d < n->in[i].ndim; d++) cnt *= n->in[i].size[d];
    if (cnt == 0) empty = true;
  }
  if (empty) {
    if (want_x && !(grads[0] = lt_ag_zeros_input(&n->in[0]))) return -1;
    if (want_k && !(grads[1] = lt_ag_zeros_input(&n->in[1]))) {
      lt_release(grads[0]);
      grads[0] = NULL;
      return -1;
    }
    return 0;
  }
  lt_tmps s = {{0}, 0};
  if (want_x) {
    const lt_tensor *kk = form == FORM_MV ? lt_keep(&s, lt_transpose(k, 0, 1)) : k;
    lt_tensor *dx = kk ? lt_convolve(NULL, g, kk, nd, !full, !flip) : NULL;
    if (!dx) { lt_tmps_free(&s); return -1; }
    grads[0] = dx;
  }
  if (want_k) {
    const lt_tensor *a = x, *b = g;          /* dk's base: xcorr V (x, g) or (g, x) */
    if (form == FORM_MV) {
      int64_t Q = g->size[0], P = x->size[0], sz[LT_MAXDIM];
      sz[0] = Q; sz[1] = P;
      for (int d = 0; d < nd; d++) sz[2 + d] = x->size[1 + d];
      lt_tensor *xu = lt_keep(&s, lt_unsqueeze(x, 0));
      lt_tensor *xe = xu ? lt_keep(&s, lt_expand(xu, nd + 2, sz)) : NULL;
      for (int d = 0; d < nd; d++) sz[2 + d] = g->size[1 + d];
      lt_tensor *gu = lt_keep(&s, lt_unsqueeze(g, 1));
      lt_tensor *ge = gu ? lt_keep(&s, lt_expand(gu, nd + 2, sz)) : NULL;
      int64_t flat[LT_MAXDIM];
      flat[0] = Q * P;
      for (int d = 0; d < nd; d++) flat[1 + d] = x->size[1 + d];
      a = xe ? lt_keep(&s, lt_reshape(xe, nd + 1, flat)) : NULL;
      for (int d = 0; d < nd; d++) flat[1 + d] = g->size[1 + d];
      b = ge ? lt_keep(&s, lt_reshape(ge, nd + 1, flat)) : NULL;
    }
    if (full) { const lt_tensor *t = a; a = b; b = t; }
    lt_tensor *dk = a && b ? lt_keep(&s, lt_convolve(NULL, a, b, nd, false, false)) : NULL;
    if (dk && flip != full) {   /* valid conv and full xcorr: the table above */
      int dims[3];
      for (int d = 0; d < nd; d++) dims[d] = dk->ndim - nd + d;
      dk = lt_keep(&s, lt_flip(dk, nd, dims));
    }
    if (dk && form == FORM_MV) dk = lt_keep(&s, lt_reshape(dk, n->in[1].ndim, n->in[1].size));
    if (!dk) { lt_tmps_free(&s); lt_release(grads[0]); grads[0] = NULL; return -1; }
    grads[1] = lt_tmps_result(&s, dk);
    return 0;
  }
  lt_tmps_free(&s);
  return 0;
}

static lt_tensor *conv_record(lt_tensor *out, const lt_tensor *x, const lt_tensor *k, int nd, bool full,
                              bool flip) {
  lt_ag_ctx c;
  const char *op = conv_name(nd, flip);
  int mode = lt_ag_begin(&c, op, out, 2, (const lt_tensor *[]){x, k});
  if (mode < 0) return NULL;
  lt_tensor *r = conv_compute(c.target, c.in[0], c.in[1], nd, full, flip);
  if (mode == LT_AG_PLAIN || !r) return lt_ag_plain(&c, r);
  static const char *const names[2][2] = {{"Xcorr2Backward", "Conv2Backward"}, {"Xcorr3Backward", "Conv3Backward"}};
  lt_node *n = lt_node_new(names[nd - 2][flip], conv_backward, 2, c.in);
  int rc = n ? 0 : -1;
  if (n) {
    n->p[0] = nd;
    n->p[1] = full;
    n->p[2] = flip;
    rc = lt_node_save_cross(n, c.in[0], c.in[1]);
  }
  if (rc < 0) { lt_node_release(n); lt_release(r); return lt_ag_plain(&c, NULL); }
  return lt_ag_finish(&c, r, n);
}

lt_tensor *lt_convolve(lt_tensor *out, const lt_tensor *x, const lt_tensor *k, int nd, bool full,
                       bool flip) {
  if (nd != 2 && nd != 3) LT_FAIL(NULL, "convolve: %d spatial dims (2 or 3 expected)", nd);
  if (LT_AG_OUT(out, x->requires_grad || k->requires_grad)) {
    lt_dtype dt = lt_promote(x->dtype, k->dtype);
    if (lt_is_float_dtype(dt) && (!out || lt_is_float_dtype(out->dtype))) {
      if (nd == 2 && x->device.type != LT_CPU && lt_numel(x) > 0 && lt_numel(k) > 0) {
        /* on a device, conv2/xcorr2 record through conv2d's own autograd (its efficient
         * gradients; gpu_signal.c); an input that is also the result is read from a clone.
         * Empty inputs (zeros, no conv2d to record) take the node below. */
        lt_tensor *xc = out == x ? lt_clone(x) : NULL, *kc = out == k ? lt_clone(k) : NULL;
        lt_tensor *r = (out == x && !xc) || (out == k && !kc) ? NULL
                       : conv_compute(out, xc ? xc : x, kc ? kc : k, nd, full, flip);
        lt_release(xc);
        lt_release(kc);
        return r;
      }
      return conv_record(out, x, k, nd, full, flip);
    }
  }
  return conv_compute(out, x, k, nd, full, flip);
}

/* ---- renorm ----
 * Norms and factors from engine ops on any device (lt_renorm_scaled, gpu_signal.c): the
 * same code on the CPU and on a GPU, recorded by autograd like any composite op. */
lt_tensor *lt_renorm(lt_tensor *out, const lt_tensor *x, double p, int dim, double maxnorm) {
  if (out && signal_devices("renorm", "x", x, "res", out) < 0) return NULL;
  if (!lt_dtype_is_float(x->dtype))
    LT_FAIL(NULL, "renorm: expected a floating point tensor, got %sTensor (convert with :double())", lt_dtype_name(x->dtype));
  /* as Torch7 and PyTorch: a 1-D tensor's sub-tensors would be single numbers */
  if (x->ndim < 2)
    LT_FAIL(NULL, "renorm: need at least 2 dimensions (sub-tensors are taken along one), got a %d-D tensor", x->ndim);
  if (lt_check_dim("renorm", x, dim) < 0) return NULL;
  if (!(p > 0)) LT_FAIL(NULL, "renorm: p must be positive (got %g)", p);
  if (!(maxnorm >= 0)) LT_FAIL(NULL, "renorm: maxnorm must be non-negative (got %g)", maxnorm);
  if (out && out->dtype != x->dtype)
    LT_FAIL(NULL, "renorm: result tensor is %sTensor, expected %sTensor", lt_dtype_name(out->dtype), lt_dtype_name(x->dtype));
  if (check_result("renorm", out, x->ndim, x->size) < 0) return NULL;
  /* x:renorm(...) on a leaf that requires grad is a weight constraint (an update of the
   * leaf's value, like an optimizer step): computed without recording. Otherwise an input
   * that requires grad is recorded; one that is also the result is read from a clone. */
  bool update = out == x && lt_is_leaf(x) && x->requires_grad;
  bool paused = false;
  if (update) paused = lt_grad_pause();
  lt_tensor *xcl = NULL;
  if (!update && out == x && LT_AG1(x) && !(xcl = lt_clone(x))) return NULL;
  lt_tensor *r = lt_renorm_scaled(xcl ? xcl : x, p, dim, maxnorm);
  lt_release(xcl);
  if (update) lt_grad_resume(paused);
  return lt_deliver(out, r, x->dtype);
}

/* ---- bhistc ---- */

/* counts of each row's values in `bins` equal bins over [lo, hi], the rule of histc
 * (histc.c) and Torch7: any lo == hi takes the range of the whole tensor (one range for
 * every row, so rows are comparable), a range still empty is widened by 1 on each side,
 * values outside it and NaNs are not counted, hi falls in the last bin */
lt_tensor *lt_bhistc(lt_tensor *out, const lt_tensor *x, int64_t bins, double lo, double hi) {
  if (out && signal_devices("bhistc", "x", x, "res", out) < 0) return NULL;
  if (x->ndim != 2)
    LT_FAIL(NULL, "bhistc: expected a 2-D tensor (one histogram per row), got a %d-D tensor", x->ndim);
  if (bins <= 0) LT_FAIL(NULL, "bhistc: bins must be positive (got %lld)", (long long)bins);
  if (lo > hi) LT_FAIL(NULL, "bhistc: min %g is larger than max %g", lo, hi);
  int64_t rows = x->size[0], cols = x->size[1];
  if (rows > 0 && bins > INT64_MAX / 8 / rows)
    LT_FAIL(NULL, "bhistc: %lld rows of %lld bins is too large", (long long)rows, (long long)bins);
  if (check_result("bhistc", out, 2, (int64_t[]){rows, bins}) < 0) return NULL;
  /* other devices: a round trip through this loop (gpu_signal.c) */
  if (x->device.type != LT_CPU) return lt_bhistc_device(out, x, bins, lo, hi);
  lt_tensor *c = lt_to_dtype(x, LT_FLOAT64);
  lt_tensor *cc = c ? lt_contiguous(c) : NULL;
  lt_release(c);
  if (!cc) return NULL;
  const double *v = (const double *)lt_data(cc);
  int64_t n = rows * cols;
  if (lt_histc_range("bhistc", v, n, &lo, &hi) < 0) { lt_release(cc); return NULL; }
  int64_t size[2] = {rows, bins};
  lt_tensor *cnt = lt_zeros(2, size, LT_INT64, lt_cpu());
  if (!cnt) { lt_release(cc); return NULL; }
  int64_t *h = (int64_t *)lt_data(cnt);
  double scale = (double)bins / (hi - lo);
#pragma omp parallel for if (n > LT_PARALLEL_GRAIN && rows > 1) schedule(static)
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) {
      double a = v[i * cols + j];
      if (!(a >= lo && a <= hi)) continue;
      int64_t b = (int64_t)((a - lo) * scale);
      if (b >= bins) b = bins - 1;
      h[i * bins + b]++;
    }
  lt_release(cc);
  lt_dtype rt = lt_is_half(x->dtype) || x->dtype == LT_BOOL ? LT_FLOAT32 : x->dtype;
  return lt_deliver(out, cnt, rt);
}
