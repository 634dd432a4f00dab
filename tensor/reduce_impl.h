/* reduce_impl.h: what the reduction files (reduce.c, reduce_select.c, reduce_cum.c) share.
 *
 * A reduction over one dimension sees its input as a set of "lines": the reduced dim
 * (length n, element stride sd) for every position of the kept dims. The kept dims are
 * listed in order with size-1 dims dropped and neighbours merged where memory allows
 * (coalesced), so a contiguous tensor reduced over its last dim has one kept dim. The
 * output (and any per-output scratch) is contiguous over the kept dims: output position m
 * is the row-major rank of the kept-dims index.
 *
 * Values are computed in one of two domains: double for floating types (float32 sums are
 * accumulated in double; half types are converted on load) and int64 for integer and
 * bool types, so int64 data stays exact. */
#ifndef LT_REDUCE_IMPL_H
#define LT_REDUCE_IMPL_H

#include "internal.h"
#include "reduce_kinds.h"

#define RBLK 256   /* elements per loaded chunk / column block */

typedef struct {
  int K;                                   /* kept dims after coalescing */
  int64_t size[LT_MAXDIM];                 /* their sizes */
  int64_t istr[LT_MAXDIM];                 /* input element strides */
  int64_t ostr[LT_MAXDIM];                 /* output element strides (cumulative ops) */
  int64_t M;                               /* positions of the kept dims (outputs) */
  int64_t n, sd, osd;                      /* reduced dim: length, input/output stride */
} lt_rlayout;

/* Lines of `a` along dim. ostride: the output's element strides per dim of `a` (NULL:
 * contiguous over the kept dims, the reduced dim dropped). */
void lt_rlayout_init(lt_rlayout *L, const lt_tensor *a, int dim, const int64_t *ostride);

/* an odometer over the first K kept dims: offsets of position m in input and output */
typedef struct {
  int64_t idx[LT_MAXDIM];
  int64_t ioff, ooff;
} lt_rpos;
void lt_rpos_seek(const lt_rlayout *L, int K, int64_t m, lt_rpos *p);
static inline void lt_rpos_next(const lt_rlayout *L, int K, lt_rpos *p) {
  for (int d = K - 1; d >= 0; d--) {
    p->ioff += L->istr[d];
    p->ooff += L->ostr[d];
    if (++p->idx[d] < L->size[d]) return;
    p->ioff -= L->size[d] * L->istr[d];
    p->ooff -= L->size[d] * L->ostr[d];
    p->idx[d] = 0;
  }
}

/* The dtype's domain: true for double, false for int64. */
static inline bool lt_rdom_float(lt_dtype t) { return lt_dtype_is_float(t); }

/* n elements at p (element stride s) of dtype dt into a double / int64 buffer */
void lt_rload_d(lt_dtype dt, const char *p, int64_t s, int64_t n, double *out);
void lt_rload_i(lt_dtype dt, const char *p, int64_t s, int64_t n, int64_t *out);
/* n values into elements at p (element stride s) of dtype dt */
void lt_rstore_d(lt_dtype dt, char *p, int64_t s, int64_t n, const double *v);
void lt_rstore_i(lt_dtype dt, char *p, int64_t s, int64_t n, const int64_t *v);

/* ---- passes (reduce_pass.c) ---- */
/* kinds of pass: reduce_kinds.h */
static inline bool lt_radditive(int kind) { return kind <= K_EXPSUM; }

/* the state of one line (or part of one) */
typedef struct {
  double v, comp;      /* double domain: value and its compensation (additive kinds) */
  int64_t i, idx;      /* int64 domain value; index of max/min within the line */
} lt_rstate;
void lt_rstate_init(int kind, bool fl, int64_t start, lt_rstate *s);
/* merge b (the later part of a line) into a */
void lt_rstate_merge(int kind, bool fl, lt_rstate *a, const lt_rstate *b);

/* per output: a double (floating domain) or int64 */
typedef union { double d; int64_t i; } lt_rval;

typedef struct {
  const lt_rlayout *L;
  const char *data;       /* the input's first element */
  lt_dtype dt;
  int64_t es;             /* element size */
  bool fl;                /* double domain */
  int kind;
  double p;               /* norm's p */
  const double *c;        /* per output: the centre of K_SQDEV / K_EXPSUM */
  lt_rval *val;           /* per output results */
  int64_t *idx;           /* per output indices (max/min), may be NULL */
  bool fexp;              /* K_EXPSUM of contiguous float32 lines: the exps in float (vector
                           * exp); set where the result is float32 anyway */
} lt_rpass;
/* store a line's final state as output m */
void lt_rpass_put(const lt_rpass *P, int64_t m, const lt_rstate *st);
/* run the pass over every line of P->L (threaded when large) */
void lt_rpass_run(const lt_rpass *P);

/* selection ops (reduce_select.c): per line, value and 0-based index */
typedef enum { LT_SEL_MEDIAN, LT_SEL_KTH, LT_SEL_MODE } lt_sel_kind;
/* over the lines of L; values into vals (M entries of dtype dt, contiguous), indices
 * into idx (M int64, may be NULL). k is 0-based for LT_SEL_KTH. */
int lt_select_lines(const lt_rlayout *L, const char *data, lt_dtype dt, lt_sel_kind kind,
                    int64_t k, char *vals, int64_t *idx);

/* result tensors (reduce.c): check a caller's out tensor; the tensor to compute into (out
 * itself when contiguous after the resize and not sharing the input's memory, else a new
 * one: *direct says which); then out filled from it when it was not written directly */
int lt_rcheck_result(const char *name, const char *what, const lt_tensor *out, lt_dtype dt,
                     const lt_tensor *a);
lt_tensor *lt_rtarget(const char *name, lt_tensor *out, const lt_tensor *a, int nd,
                      const int64_t *size, lt_dtype dt, bool *direct);
lt_tensor *lt_rdeliver(const char *name, lt_tensor *out, lt_tensor *t, bool direct);

#endif
