/* lapack_run.c: lt_lapack_run (lapack_call.h), one LAPACK routine on any device.
 *
 * CPU: OpenBLAS's Fortran routines (prototypes in lapack.h), with their workspace queries.
 * CUDA: the backend's `lapack` entry (tensor/cuda/solver.cu, cuSOLVER); where it answers
 * 1 (no cuSOLVER on this machine, or a routine cuSOLVER lacks) the routine runs here on
 * host copies of the operands and the ones it writes are copied back. */
#include "lapack.h"
#include "internal.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[LT_LP_COUNT] = {
  [LT_LP_GETRF] = "getrf", [LT_LP_GETRS] = "getrs", [LT_LP_GESV] = "gesv",
  [LT_LP_GETRI] = "getri", [LT_LP_TRTRS] = "trtrs", [LT_LP_GELS] = "gels",
  [LT_LP_POTRF] = "potrf", [LT_LP_POTRS] = "potrs", [LT_LP_POTRI] = "potri",
  [LT_LP_PSTRF] = "pstrf", [LT_LP_SYEVD] = "syevd", [LT_LP_GEEV] = "geev",
  [LT_LP_GESDD] = "gesdd", [LT_LP_GEQRF] = "geqrf", [LT_LP_ORGQR] = "orgqr",
  [LT_LP_ORMQR] = "ormqr",
};

/* the operands each routine writes (bit i: t[i]); the round trip copies those back */
static const unsigned writes[LT_LP_COUNT] = {
  [LT_LP_GETRF] = 1, [LT_LP_GETRS] = 2, [LT_LP_GESV] = 3, [LT_LP_GETRI] = 1,
  [LT_LP_TRTRS] = 2, [LT_LP_GELS] = 3, [LT_LP_POTRF] = 1, [LT_LP_POTRS] = 2,
  [LT_LP_POTRI] = 1, [LT_LP_PSTRF] = 3, [LT_LP_SYEVD] = 3, [LT_LP_GEEV] = 14,
  [LT_LP_GESDD] = 14, [LT_LP_GEQRF] = 3, [LT_LP_ORGQR] = 1, [LT_LP_ORMQR] = 4,
};

const char *lt_lapack_name(lt_lp_op op) {
  return (unsigned)op < LT_LP_COUNT ? names[op] : "?";
}

/* ---- the CPU: OpenBLAS's LAPACK ---- */

static lt_fint rows_of(const lt_tensor *t) { return (lt_fint)t->size[0]; }
static lt_fint cols_of(const lt_tensor *t) { return t->ndim == 2 ? (lt_fint)t->size[1] : 1; }
static lt_fint ld_of(const lt_tensor *t) { return (lt_fint)LT_MAX(t->size[0], 1); }

/* s<name>_ or d<name>_ by the operands' dtype (f: float32) */
#define SD(name, ...) (f ? s##name##_(__VA_ARGS__) : d##name##_(__VA_ARGS__))

/* The routine with its workspace: the size query (lwork -1) answered into q, then the
 * call with a buffer of that size (at least `least`). */
#define WITH_WORK(least, CALL)                                                             \
  do {                                                                                     \
    lwork = -1;                                                                            \
    void *work = q;                                                                        \
    CALL;                                                                                  \
    if (info != 0) break;                                                                  \
    if (!(work = lt_lapack_workspace(dt, q, (least), &lwork))) goto oom;                   \
    CALL;                                                                                  \
    free(work);                                                                            \
  } while (0)

static int cpu_run(lt_lapack_call *c, const char *fn) {
  lt_tensor *t0 = c->t[0], *t1 = c->t[1], *t2 = c->t[2], *t3 = c->t[3];
  lt_dtype dt = t0->dtype;
  bool f = dt == LT_FLOAT32;
  void *A = lt_data(t0);
  lt_fint m = rows_of(t0), n = cols_of(t0), lda = ld_of(t0), info = 0, lwork = -1;
  lt_fint kk = (lt_fint)c->k, one = 1;
  char c1 = c->c1, c2 = c->c2, c3 = c->c3;
  double q[2] = {0, 0};   /* a workspace query's answer (a float for float32) */
  switch (c->op) {
  case LT_LP_GETRF:
    SD(getrf, &m, &n, A, &lda, c->ipiv, &info);
    break;
  case LT_LP_GETRS: {
    lt_fint k = cols_of(t1), ldb = ld_of(t1);
    SD(getrs, &c1, &n, &k, A, &lda, c->ipiv, lt_data(t1), &ldb, &info, 1);
    break;
  }
  case LT_LP_GESV: {
    lt_fint k = cols_of(t1), ldb = ld_of(t1);
    SD(gesv, &n, &k, A, &lda, c->ipiv, lt_data(t1), &ldb, &info);
    break;
  }
  case LT_LP_GETRI:
    WITH_WORK(n, SD(getri, &n, A, &lda, c->ipiv, work, &lwork, &info));
    break;
  case LT_LP_TRTRS: {
    lt_fint k = cols_of(t1), ldb = ld_of(t1);
    SD(trtrs, &c1, &c2, &c3, &n, &k, A, &lda, lt_data(t1), &ldb, &info, 1, 1, 1);
    break;
  }
  case LT_LP_GELS: {
    lt_fint k = cols_of(t1), ldb = ld_of(t1), mn = m < n ? m : n;
    WITH_WORK(mn + (mn > k ? mn : k),
              SD(gels, &c1, &m, &n, &k, A, &lda, lt_data(t1), &ldb, work, &lwork, &info, 1));
    break;
  }
  case LT_LP_POTRF:
    SD(potrf, &c1, &n, A, &lda, &info, 1);
    break;
  case LT_LP_POTRS: {
    lt_fint k = cols_of(t1), ldb = ld_of(t1);
    SD(potrs, &c1, &n, &k, A, &lda, lt_data(t1), &ldb, &info, 1);
    break;
  }
  case LT_LP_POTRI:
    SD(potri, &c1, &n, A, &lda, &info, 1);
    break;
  case LT_LP_PSTRF: {
    void *work = malloc((size_t)(2 * LT_MAX(n, 1)) * lt_dtype_size(dt));
    lt_fint rank = 0;
    if (!work) goto oom;
    if (f) {
      float tol = (float)c->tol;
      spstrf_(&c1, &n, A, &lda, lt_data(t1), &rank, &tol, work, &info, 1);
    } else dpstrf_(&c1, &n, A, &lda, lt_data(t1), &rank, &c->tol, work, &info, 1);
    free(work);
    c->rank = rank;
    break;
  }
  case LT_LP_SYEVD: {
    lt_fint iq = 0, liwork = -1;
    SD(syevd, &c1, &c2, &n, A, &lda, lt_data(t1), (void *)q, &lwork, &iq, &liwork, &info, 1, 1);
    if (info != 0) break;
    liwork = iq > 1 ? iq : 1;
    void *work = lt_lapack_workspace(dt, q, 1, &lwork);
    lt_fint *iwork = malloc(sizeof(lt_fint) * (size_t)liwork);
    if (work && iwork)
      SD(syevd, &c1, &c2, &n, A, &lda, lt_data(t1), work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work);
    free(iwork);
    if (!work || !iwork) goto oom;
    break;
  }
  case LT_LP_GEEV: {
    char jobvl = 'N';
    double vl[2];
    lt_fint ldvr = t3 ? ld_of(t3) : 1;
    void *vr = t3 ? lt_data(t3) : (void *)vl;
    WITH_WORK(1, SD(geev, &jobvl, &c1, &n, A, &lda, lt_data(t1), lt_data(t2), (void *)vl, &one,
                    vr, &ldvr, work, &lwork, &info, 1, 1));
    break;
  }
  case LT_LP_GESDD: {
    lt_fint mn = m < n ? m : n, ldu = t2 ? ld_of(t2) : 1, ldvt = t3 ? ld_of(t3) : 1;
    double du[2], dv[2];
    void *u = t2 ? lt_data(t2) : (void *)du, *vt = t3 ? lt_data(t3) : (void *)dv;
    lt_fint *iwork = malloc(sizeof(lt_fint) * 8 * (size_t)(mn > 0 ? mn : 1));
    if (!iwork) goto oom;
    SD(gesdd, &c1, &m, &n, A, &lda, lt_data(t1), u, &ldu, vt, &ldvt, (void *)q, &lwork, iwork,
       &info, 1);
    bool nomem = false;
    if (info == 0) {
      void *work = lt_lapack_workspace(dt, q, 1, &lwork);
      if (work)
        SD(gesdd, &c1, &m, &n, A, &lda, lt_data(t1), u, &ldu, vt, &ldvt, work, &lwork, iwork,
           &info, 1);
      nomem = !work;
      free(work);
    }
    free(iwork);
    if (nomem) goto oom;
    break;
  }
  case LT_LP_GEQRF:
    WITH_WORK(n, SD(geqrf, &m, &n, A, &lda, lt_data(t1), work, &lwork, &info));
    break;
  case LT_LP_ORGQR:
    WITH_WORK(n, SD(orgqr, &m, &n, &kk, A, &lda, lt_data(t1), work, &lwork, &info));
    break;
  case LT_LP_ORMQR: {
    lt_fint cm = rows_of(t2), cn = cols_of(t2), ldc = ld_of(t2);
    WITH_WORK(c1 == 'L' ? cn : cm,
              SD(ormqr, &c1, &c2, &cm, &cn, &kk, A, &lda, lt_data(t1), lt_data(t2), &ldc, work,
                 &lwork, &info, 1, 1));
    break;
  }
  default:
    LT_FAIL(-1, "%s: unknown LAPACK routine %d (a bug)", fn, (int)c->op);
  }
  c->info = info;
  return 0;
oom:
  LT_FAIL(-1, "%s: out of memory (LAPACK %s's workspace)", fn, names[c->op]);
}

/* ---- a device: the backend, or host copies ---- */

/* a CPU copy of the operand t (on any device), in t's layout (column-major matrix or vector) */
static lt_tensor *host_copy(const lt_tensor *t) {
  lt_tensor *h = t->ndim == 2 ? lt_lapack_colmajor_empty(t->dtype, lt_cpu(), t->size[0], t->size[1])
                              : lt_empty(t->ndim, t->size, t->dtype, lt_cpu());
  if (h && lt_numel(t) > 0 && lt_copy(h, t) < 0) { lt_release(h); return NULL; }
  return h;
}

int lt_lapack_run_copied(lt_lapack_call *c, const char *fn) {
  lt_lapack_call h = *c;
  int rc = 0;
  for (int i = 0; i < 4; i++) h.t[i] = NULL;
  for (int i = 0; i < 4 && rc == 0; i++)
    if (c->t[i] && !(h.t[i] = host_copy(c->t[i]))) rc = -1;
  if (rc == 0) rc = cpu_run(&h, fn);
  if (rc == 0) {
    c->info = h.info;
    c->rank = h.rank;
    for (int i = 0; i < 4 && rc == 0; i++)
      if (c->t[i] && (writes[c->op] >> i & 1) && lt_numel(c->t[i]) > 0) rc = lt_copy(c->t[i], h.t[i]);
  }
  for (int i = 0; i < 4; i++) lt_release(h.t[i]);
  return rc;
}

static bool same_dev(lt_device a, lt_device b) { return a.type == b.type && a.index == b.index; }

int lt_lapack_run(lt_lapack_call *c, const char *fn) {
  c->info = 0;
  c->rank = 0;
  if ((unsigned)c->op >= LT_LP_COUNT || !c->t[0])
    LT_FAIL(-1, "%s: bad LAPACK call (a bug)", fn);
  lt_device dev = c->t[0]->device;
  for (int i = 1; i < 4; i++)
    if (c->t[i] && !same_dev(c->t[i]->device, dev))
      LT_FAIL(-1, "%s: LAPACK %s's operands are on %s and %s (a bug)", fn, names[c->op],
              lt_devname(dev), lt_devname(c->t[i]->device));
  if (dev.type == LT_CPU) return cpu_run(c, fn);
  const lt_backend *be = lt_backend_for(dev);
  if (!be) return -1;
  if (be->lapack) {
    int r = be->lapack(c);
    if (r == 0) return 0;
    if (r < 0) {
      char msg[400];
      snprintf(msg, sizeof msg, "%s", lt_errmsg());
      LT_FAIL(-1, "%s: %s", fn, msg);
    }
  }
  return lt_lapack_run_copied(c, fn);
}
