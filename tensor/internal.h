/* internal.h: what the engine's files share and the public header does not show. */
#ifndef LT_INTERNAL_H
#define LT_INTERNAL_H

#include "luatorch.h"
#include "scalar_math.h"
#include <stdlib.h>
#include <string.h>

#define LT_UNUSED(x) ((void)(x))
#define LT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LT_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Work above this many elements is split across OpenMP threads. */
#define LT_PARALLEL_GRAIN 32768

/* Types the CPU kernels compute in directly (half types go through float32). */
#define LT_ARITH_TYPES(X) \
  X(FLOAT32, float)       \
  X(FLOAT64, double)      \
  X(INT64, int64_t)       \
  X(INT32, int32_t)       \
  X(INT16, int16_t)       \
  X(INT8, int8_t)         \
  X(UINT8, uint8_t)       \
  X(BOOL, uint8_t)


/* ---- errors: set the message and return the failure value ---- */
#define LT_FAIL(ret, ...) do { lt_seterr(__VA_ARGS__); return ret; } while (0)
const char *lt_devname(lt_device d);   /* "cpu", "cuda:0" */

/* ---- checks shared by entry points ---- */
int lt_check_dim(const char *op, const lt_tensor *t, int dim);  /* 0 ok, -1 error */
int lt_check_same_device(const char *op, const lt_tensor *a, const lt_tensor *b);
int lt_check_cpu(const char *op, const lt_tensor *t);
/* Resize out to (ndim, size) or make a new tensor; returns a new reference. */
lt_tensor *lt_prepare_out(const char *op, lt_tensor *out, int ndim, const int64_t *size,
                          lt_dtype dtype, lt_device dev);
/* r, a fresh result computed in some dtype (maybe a wider or narrower one than wanted):
 * written into out (resized) when out is given, else returned converted to dtype.
 * Takes r's reference; r may be NULL (an error already set). */
lt_tensor *lt_deliver(lt_tensor *out, lt_tensor *r, lt_dtype dtype);
/* Mark a tensor's storage as written (autograd's version counter). */
static inline void lt_bump_version(lt_tensor *t) { if (t->storage) t->storage->version++; }

/* ---- the strided iterator (CPU) ----
 * Operands have the same shape (inputs already expanded). Dims are coalesced and the
 * innermost dim is run by a typed loop: fn(data, strides, n, ctx) with data[i] the
 * address of operand i's first element of the run and strides[i] its byte stride. */
#define LT_ITER_MAXOP 5
typedef void (*lt_loop_fn)(char **data, const int64_t *strides, int64_t n, void *ctx);
typedef struct {
  int nop, ndim;
  int64_t numel;
  int64_t size[LT_MAXDIM];                  /* ndim-1 is the innermost */
  int64_t stride[LT_ITER_MAXOP][LT_MAXDIM]; /* bytes */
  char *data[LT_ITER_MAXOP];
} lt_iter;
void lt_iter_init(lt_iter *it, int nop, const lt_tensor *const *ops);
/* Runs fn over every element; in parallel when numel >= grain (grain <= 0: never). */
void lt_iter_run(const lt_iter *it, lt_loop_fn fn, void *ctx, int64_t grain);
/* A view of t expanded to (ndim, size) with stride 0 on broadcast dims, as a struct. */
void lt_broadcast_view(const lt_tensor *t, int ndim, const int64_t *size, lt_tensor *view);


/* ---- CPU memory ---- */
void *lt_cpu_alloc(size_t nbytes);
void lt_cpu_free(void *p, size_t nbytes);

/* ---- the backend table ----
 * Kernels receive operands of identical shape, dtype checked and out allocated by the
 * entry point; they only compute. The CPU backend is built in; CUDA is dlopen'ed. */
typedef struct lt_backend {
  const char *name;
  void *(*alloc)(size_t nbytes, int device);
  void (*free)(void *p, size_t nbytes, int device);
  /* raw bytes between devices; one side may be the CPU */
  int (*memcpy)(void *dst, lt_device dd, const void *src, lt_device sd, size_t n);
  /* dst and src same shape; any dtypes, both on this backend's device */
  int (*copy)(lt_tensor *dst, const lt_tensor *src);
  int (*fill)(lt_tensor *t, double v);
  int (*unary)(lt_unary_op op, lt_tensor *out, const lt_tensor *a);
  int (*binary)(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha);
  int (*binary_scalar)(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed);
  int (*device_count)(void);
  /* Matrix products, row-major as cblas: C[b] = alpha * op(A[b]) op(B[b]) + beta * C[b] for
   * b < nb. ta/tb/tc are linalg.c's layouts ('N': rows contiguous with leading dimension ld,
   * 'T': columns contiguous). sa/sb/sc are batch strides in elements (0: one matrix for all
   * batches); reduce: C is one matrix accumulating every batch. float32/float64 only; NULL on
   * the CPU backend (linalg.c calls OpenBLAS itself). */
  int (*gemm)(lt_dtype dt, int device, char tc, char ta, char tb, int64_t m, int64_t n, int64_t k,
              double alpha, const void *a, int64_t lda, int64_t sa, const void *b, int64_t ldb,
              int64_t sb, double beta, void *c, int64_t ldc, int64_t sc, int64_t nb, bool reduce);
  int (*synchronize)(int device);   /* wait for the device's queued work; NULL on the CPU */

  /* ---- entries by family, filled by the CUDA backend (tensor/cuda/<family>.cu) and NULL
   * on the CPU backend, whose kernels the engine calls directly. Each takes operands the
   * engine has checked and allocated on the device, and returns 0 or -1 with the error set. */
  /* -- reduce (tensor/cuda/reduce.cu) -- */
  /* -- end reduce -- */
  /* -- index (tensor/cuda/index.cu) -- */
  /* -- end index -- */
  /* -- random (tensor/cuda/random.cu) -- */
  /* -- end random -- */
  /* -- spatial (tensor/cuda/spatial.cu) -- */
  /* -- end spatial -- */
  /* -- act (tensor/cuda/act.cu) -- */
  /* -- end act -- */
  /* -- core (tensor/cuda/backend.cu) -- */
  /* -- end core -- */
} lt_backend;

extern const lt_backend lt_cpu_backend;
const lt_backend *lt_backend_for(lt_device d);  /* NULL with an error when unavailable */

/* CPU kernels (pointwise.c), also called directly on hot paths */
int lt_cpu_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a);
int lt_cpu_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double alpha);
int lt_cpu_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s, bool reversed);
int lt_cpu_copy(lt_tensor *dst, const lt_tensor *src);
int lt_cpu_fill(lt_tensor *t, double v);

/* tensor headers come from a free list; a struct on the stack can be used as a
 * temporary view with lt_view_init (refcount 0: never released) */
lt_tensor *lt_tensor_alloc(void);
void lt_autograd_free(lt_tensor *t);   /* autograd.c: drops grad_fn and hooks */
void lt_view_init(lt_tensor *v, const lt_tensor *t);

/* threads */
int lt_threads(void);

#endif
