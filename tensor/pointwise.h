/* pointwise.h: the loop tables shared by pointwise.c and its kernels file. */
#ifndef LT_POINTWISE_H
#define LT_POINTWISE_H
#include "internal.h"
/* NULL where the op does not exist for the dtype (bit ops on floats; half types) */
extern lt_loop_fn lt_unary_loops[LT_NUNARY][LT_NDTYPES];
/* ctx points to a double alpha; comparison loops write uint8 */
extern lt_loop_fn lt_binary_loops[LT_NBINARY][LT_NDTYPES];
#endif
