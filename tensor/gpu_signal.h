/* gpu_signal.h: the device-generic paths of the signal functions (gpu_signal.c), used by
 * signal.c and random_alias.c for tensors on any device, and called directly on CPU
 * tensors by tests/c/test_gpu_signal.c, so that the code a GPU runs is exercised here. */
#ifndef LT_GPU_SIGNAL_H
#define LT_GPU_SIGNAL_H

#include "luatorch.h"

/* conv2/xcorr2 (Torch7's three shape forms, checked by the caller) as one lt_conv2d:
 * x and k floating point, of one dtype and device. Recorded by autograd when grad mode is
 * on (through conv2d, flip and views). */
lt_tensor *lt_conv2_via_conv2d(const lt_tensor *x, const lt_tensor *k, bool full, bool flip);
/* conv2/xcorr2/conv3/xcorr3 of x and k (checked, one device, not the CPU) in dtype dt:
 * float 2-D through lt_conv2_via_conv2d (recorded by conv2d's autograd when grad mode is
 * on), the rest (3-D, integer types) computed on CPU copies and moved back to x's device
 * (never recorded: signal.c's node records those). The result may be of a wider float
 * type than dt (the caller converts). */
lt_tensor *lt_signal_conv_device(const lt_tensor *x, const lt_tensor *k, int nd, bool full, bool flip,
                                 lt_dtype dt);
/* x (floating, >= 2-D, any device) times the factor of each sub-tensor along dim: 1, or
 * maxnorm / (norm + 1e-7) where its p-norm is above maxnorm. Engine ops only, recorded
 * when grad mode is on; the result is float64 (the caller converts). */
lt_tensor *lt_renorm_scaled(const lt_tensor *x, double p, int dim, double maxnorm);
/* bhistc of a device tensor: on a CPU copy, the counts moved back to x's device */
lt_tensor *lt_bhistc_device(lt_tensor *out, const lt_tensor *x, int64_t bins, double lo, double hi);
/* multinomialAlias's draws (J, q, jbase as lt_multinomial_alias_draw_base, shapes
 * checked by the caller) with engine ops on any device: the same numbers as the CPU's
 * loop for the same generator state (Philox block offset + i per draw). Moves g on by
 * the number of draws when it succeeds. */
int lt_alias_draw_generic(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q,
                          int64_t jbase);
/* the same, made `chunk` draws at a time (lt_alias_draw_generic: 2^22, bounding its
 * temporaries, about 100 bytes a draw) */
int lt_alias_draw_chunked(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q,
                          int64_t jbase, int64_t chunk);

#endif
