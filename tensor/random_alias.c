/* random_alias.c: Walker's alias method for sampling a fixed discrete distribution many
 * times (Torch7's multinomialAliasSetup / multinomialAlias). Setup is O(K); each draw is
 * O(1): pick a cell k uniformly, keep k with probability q[k], else take its alias J[k].
 *
 * Draw i of a fill uses Philox block offset + i (see philox.h): lanes 0,1 as a 64-bit
 * number pick the cell (x % K), lanes 2,3 give the uniform compared with q[k]. So the
 * samples depend only on (seed, offset, i), whatever the thread count. On other devices
 * the setup runs on a CPU copy and the draws are rebuilt from engine ops with the same
 * numbers (gpu_signal.c). */
#include "internal.h"
#include "philox.h"
#include "gpu_signal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

int lt_multinomial_alias_setup(const lt_tensor *probs, lt_tensor **J_out, lt_tensor **q_out) {
  *J_out = *q_out = NULL;
  if (probs->ndim != 1) {
    char b[128];
    LT_FAIL(-1, "multinomialAliasSetup: expects a 1-D tensor of probabilities, got size %s",
            lt_shape_str(probs, b, sizeof b));
  }
  if (probs->device.type != LT_CPU) {
    /* sequential work: on a CPU copy, J and q moved to probs's device */
    lt_tensor *ph = lt_to_device(probs, lt_cpu()), *Jh = NULL, *qh = NULL;
    int rc = ph ? lt_multinomial_alias_setup(ph, &Jh, &qh) : -1;
    lt_release(ph);
    if (rc == 0) {
      *J_out = lt_to_device(Jh, probs->device);
      *q_out = *J_out ? lt_to_device(qh, probs->device) : NULL;
    }
    lt_release(Jh);
    lt_release(qh);
    if (rc == 0 && !*q_out) { lt_release(*J_out); *J_out = NULL; rc = -1; }
    return rc;
  }
  if (!lt_dtype_is_float(probs->dtype))
    LT_FAIL(-1, "multinomialAliasSetup: expects a floating point tensor of probabilities, got %sTensor",
            lt_dtype_name(probs->dtype));
  int64_t K = probs->size[0];
  if (K == 0) LT_FAIL(-1, "multinomialAliasSetup: no categories (the probabilities tensor is empty)");
  lt_tensor *pd = lt_to_dtype(probs, LT_FLOAT64);
  lt_tensor *pc = pd ? lt_contiguous(pd) : NULL;
  lt_release(pd);
  if (!pc) return -1;
  const double *p = (const double *)lt_data(pc);
  double sum = 0;
  for (int64_t k = 0; k < K; k++) {
    if (!(p[k] >= 0) || !isfinite(p[k])) {
      double bad = p[k];
      lt_release(pc);
      LT_FAIL(-1, "multinomialAliasSetup: probabilities must be finite and non-negative, got %g at %lld",
              bad, (long long)k + 1);
    }
    sum += p[k];
  }
  if (!(sum > 0) || !isfinite(sum)) {
    lt_release(pc);
    LT_FAIL(-1, "multinomialAliasSetup: the probabilities sum to %g (they must have a positive, finite sum)", sum);
  }
  lt_tensor *J = lt_empty(1, &K, LT_INT64, lt_cpu());
  lt_tensor *qd = lt_empty(1, &K, LT_FLOAT64, lt_cpu());
  int64_t *stack = malloc(sizeof(int64_t) * (size_t)K);   /* small ones from the front, large from the back */
  if (!J || !qd || !stack) {
    lt_release(J); lt_release(qd); lt_release(pc); free(stack);
    LT_FAIL(-1, "multinomialAliasSetup: out of memory");
  }
  int64_t *j = (int64_t *)lt_data(J);
  double *q = (double *)lt_data(qd);
  int64_t ns = 0, nl = 0;   /* stack[0..ns) small (q < 1), stack[K-nl..K) large */
  for (int64_t k = 0; k < K; k++) {
    q[k] = p[k] / sum * (double)K;   /* normalized: the weights need not sum to 1 */
    j[k] = k;                        /* no alias yet: a cell keeps itself */
    if (q[k] < 1) stack[ns++] = k;
    else stack[K - 1 - nl++] = k;
  }
  lt_release(pc);
  /* Vose: pair a small cell with a large one, which gives the small cell's missing mass */
  while (ns > 0 && nl > 0) {
    int64_t s = stack[--ns];
    int64_t l = stack[K - nl];
    j[s] = l;
    q[l] = (q[l] + q[s]) - 1.0;
    if (q[l] < 1) { nl--; stack[ns++] = l; }
  }
  /* what is left holds (up to rounding) exactly one cell's mass: keep it whole */
  while (ns > 0) { int64_t s = stack[--ns]; q[s] = 1; j[s] = s; }
  while (nl > 0) { int64_t l = stack[K - nl--]; q[l] = 1; j[l] = l; }
  free(stack);
  *J_out = J;
  if (probs->dtype == LT_FLOAT64) *q_out = qd;
  else {
    *q_out = lt_to_dtype(qd, probs->dtype);   /* Torch7: q has the probabilities' type */
    lt_release(qd);
    if (!*q_out) { lt_release(J); *J_out = NULL; return -1; }
  }
  return 0;
}

/* J's entries as int64 and q's as double, read in place with their stride (no copy) when J
 * is INT64 and q float32/64, the types multinomialAliasSetup makes; other types are
 * converted first. */
typedef struct {
  const int64_t *j;
  const float *qf;
  const double *qd;
  int64_t js, qs;           /* strides, elements */
  lt_tensor *jown, *qown;   /* the converted copies, when one was needed */
} alias_view;

static int alias_view_open(alias_view *v, const lt_tensor *J, const lt_tensor *q) {
  memset(v, 0, sizeof *v);
  const lt_tensor *jt = J, *qt = q;
  if (J->dtype != LT_INT64) jt = v->jown = lt_to_dtype(J, LT_INT64);
  if (q->dtype != LT_FLOAT32 && q->dtype != LT_FLOAT64) qt = v->qown = lt_to_dtype(q, LT_FLOAT64);
  if (!jt || !qt) { lt_release(v->jown); lt_release(v->qown); return -1; }
  v->j = (const int64_t *)lt_data(jt);
  v->js = jt->stride[0];
  if (qt->dtype == LT_FLOAT32) v->qf = (const float *)lt_data(qt);
  else v->qd = (const double *)lt_data(qt);
  v->qs = qt->stride[0];
  return 0;
}

/* whether a's and b's buffers share any byte (views and wrapped memory included) */
static bool buffers_overlap(const lt_tensor *a, const lt_tensor *b) {
  if (!a->storage || !b->storage) return false;
  const char *a0 = (const char *)a->storage->data, *b0 = (const char *)b->storage->data;
  const char *a1 = a0 + a->storage->size * (int64_t)lt_dtype_size(a->dtype);
  const char *b1 = b0 + b->storage->size * (int64_t)lt_dtype_size(b->dtype);
  return a0 < b1 && b0 < a1;
}

/* Each draw is O(1) and reads only the cell it picks, so the whole call is O(n) whatever
 * K: J and q are used in place, and only the entries drawn are checked (a draw that meets
 * a bad one makes the call an error, out's contents then undefined). Aliases in J count from jbase, and so do the
 * samples written (the Lua binding passes Torch7's 1-based J with jbase 1). */
int lt_multinomial_alias_draw_base(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q,
                                   int64_t jbase) {
  if (!lt_same_device(out->device, J->device) || !lt_same_device(out->device, q->device))
    LT_FAIL(-1, "multinomialAlias: output, J and q must be on the same device (output on %s, J on %s, q on %s)",
            lt_devname(out->device), lt_devname(J->device), lt_devname(q->device));
  if (J->ndim != 1 || q->ndim != 1 || J->size[0] != q->size[0] || J->size[0] == 0) {
    char b1[128], b2[128];
    LT_FAIL(-1, "multinomialAlias: expects J and q of multinomialAliasSetup (two 1-D tensors of one size), got %s and %s",
            lt_shape_str(J, b1, sizeof b1), lt_shape_str(q, b2, sizeof b2));
  }
  if (lt_dtype_is_float(J->dtype) || J->dtype == LT_BOOL)
    LT_FAIL(-1, "multinomialAlias: J must be an integer tensor (a LongTensor), got %sTensor", lt_dtype_name(J->dtype));
  if (lt_dtype_is_float(out->dtype) || out->dtype == LT_BOOL)
    LT_FAIL(-1, "multinomialAlias: the output must be an integer tensor, got %sTensor", lt_dtype_name(out->dtype));
  int64_t K = J->size[0];
  /* the largest sample, K - 1 + jbase, must fit the output's type (a ByteTensor would wrap) */
  int64_t omax = out->dtype == LT_UINT8 ? UINT8_MAX : out->dtype == LT_INT8 ? INT8_MAX :
                 out->dtype == LT_INT16 ? INT16_MAX : out->dtype == LT_INT32 ? INT32_MAX : INT64_MAX;
  if (K - 1 > omax - jbase)
    LT_FAIL(-1, "multinomialAlias: a %sTensor output cannot hold the samples of %lld categories (up to %lld); "
            "use a LongTensor", lt_dtype_name(out->dtype), (long long)K, (long long)(K - 1 + jbase));
  if (lt_check_writable("multinomialAlias", "output", out) < 0) return -1;
  int64_t n = lt_numel(out);
  if (n == 0) return 0;
  /* other devices: the same draws from engine ops (gpu_signal.c) */
  if (out->device.type != LT_CPU) return lt_alias_draw_generic(out, g, J, q, jbase);
  alias_view v;
  if (alias_view_open(&v, J, q) < 0) return -1;
  /* a contiguous INT64 output is written in place; any other (or one sharing memory with
   * J or q, which the draws read) through a temporary */
  bool direct = out->dtype == LT_INT64 && lt_is_contiguous(out) && !buffers_overlap(out, J) &&
                !buffers_overlap(out, q);
  lt_tensor *res = direct ? NULL : lt_empty(1, &n, LT_INT64, lt_cpu());
  if (!direct && !res) { lt_release(v.jown); lt_release(v.qown); return -1; }
  if (!g) g = lt_default_generator();
  uint64_t seed = g->seed, base = g->offset;
  int64_t *o = (int64_t *)lt_data(direct ? out : res);
  const int64_t *jv = v.j;
  const float *qf = v.qf;
  const double *qd = v.qd;
  int64_t js = v.js, qs = v.qs, jlo = jbase, jhi = jbase + K - 1;
  int bad = 0;
  bool par = n >= LT_PARALLEL_GRAIN && lt_threads() > 1;
#pragma omp parallel for if (par) schedule(static) reduction(| : bad)
  for (int64_t i = 0; i < n; i++) {
    lt_u32x4 r = lt_philox_block(seed, base + (uint64_t)i);
    int64_t k = (int64_t)(lt_u32_pair(r.x[0], r.x[1]) % (uint64_t)K);
    double u = lt_u64_to_unit_d(lt_u32_pair(r.x[2], r.x[3]));
    double qk = qd ? qd[k * qs] : (double)qf[k * qs];
    int64_t jk = jv[k * js];
    bad |= !(qk >= 0 && qk <= 1) || jk < jlo || jk > jhi;
    o[i] = u < qk ? k + jbase : jk;
  }
  lt_release(v.jown);
  lt_release(v.qown);
  if (bad) {
    lt_release(res);
    LT_FAIL(-1, "multinomialAlias: J and q are not a setup of %lld categories (J must be in [%lld, %lld], q in [0, 1])",
            (long long)K, (long long)jlo, (long long)jhi);
  }
  g->offset += (uint64_t)n;   /* only a successful call moves the generator on */
  if (direct) {
    lt_bump_version(out);   /* an in-place write, as for the other fills */
    return 0;
  }
  lt_tensor *shaped = lt_reshape(res, out->ndim, out->size);
  lt_release(res);
  if (!shaped) return -1;
  int rc = lt_copy(out, shaped);
  lt_release(shaped);
  return rc;
}

int lt_multinomial_alias_draw(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q) {
  return lt_multinomial_alias_draw_base(out, g, J, q, 0);
}
