/* reduce_kinds.h: the kinds of reduction pass and which ones each reduce op runs, shared
 * by the CPU reductions (reduce.c, reduce_pass.c) and the CUDA ones (cuda/reduce.cu), so
 * that both decide alike: sums of x, |x|, x^2, x != 0, |x|^p, (x-c)^2, exp(x-c); product;
 * max/min (with the first position; NaN wins); max/min of |x|; all/any nonzero. */
#ifndef LT_REDUCE_KINDS_H
#define LT_REDUCE_KINDS_H

#include "luatorch.h"
#include <math.h>

enum {
  K_SUM, K_ABS, K_SQ, K_NZ, K_POW, K_SQDEV, K_EXPSUM,   /* additive */
  K_PROD, K_MAX, K_MIN, K_AMAX, K_AMIN, K_ALL, K_ANY
};

/* norm's pass for the exponent p */
static inline int lt_norm_kind(double p) {
  if (p == 0) return K_NZ;
  if (p == 1) return K_ABS;
  if (p == 2) return K_SQ;
  if (p == INFINITY) return K_AMAX;
  if (p == -INFINITY) return K_AMIN;
  return K_POW;
}
/* the first pass's kind (-1: the op is not a pass, such as median) */
static inline int lt_first_kind(int op, double param) {
  switch (op) {
  case LT_RSUM: case LT_RMEAN: case LT_RSTD: case LT_RVAR: return K_SUM;
  case LT_RPROD: return K_PROD;
  case LT_RMAX: case LT_RARGMAX: case LT_RLOGSUMEXP: return K_MAX;
  case LT_RMIN: case LT_RARGMIN: return K_MIN;
  case LT_RNORM: return lt_norm_kind(param);
  case LT_RALL: return K_ALL;
  case LT_RANY: return K_ANY;
  default: return -1;
  }
}
/* the second pass of the two-pass ops (around the first pass's result), or -1 */
static inline int lt_second_kind(int op) {
  if (op == LT_RSTD || op == LT_RVAR) return K_SQDEV;
  if (op == LT_RLOGSUMEXP) return K_EXPSUM;
  return -1;
}

#endif
