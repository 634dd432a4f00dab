/* pointwise.h: the loop tables shared by pointwise.c and its kernels file. */
#ifndef LT_POINTWISE_H
#define LT_POINTWISE_H
#include "internal.h"
/* NULL where the op does not exist for the dtype (bit ops on floats; half types) */
extern lt_loop_fn lt_unary_loops[LT_NUNARY][LT_NDTYPES];
/* ctx points to a double alpha; comparison loops write uint8 */
extern lt_loop_fn lt_binary_loops[LT_NBINARY][LT_NDTYPES];
/* clamp(x, lo, hi) in one pass; ctx holds lo at byte 0 and hi at byte 8 in the element
 * type (NULL for bool and the half types) */
extern lt_loop_fn lt_clamp_loops[LT_NDTYPES];
/* the sum, in double, of exp(x[i] - c) over n contiguous floats (y, when not NULL, gets
 * the exps): the exps by the table's float exp loop (the vector one where the processor
 * has it), in chunks, summed with eight partial sums. For softmax and logsumexp. */
double lt_expsum_f32(const float *x, float c, float *y, int64_t n);
#endif
