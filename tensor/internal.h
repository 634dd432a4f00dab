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

/* The engine's recycling (tensor and storage headers on free lists, small buffers inline
 * with their header, a cache of large freed buffers) hides use-after-free and overflows
 * from AddressSanitizer and valgrind. Under ASan, or with -DLT_NO_POOLS (make
 * check-valgrind), it is off: every block is malloc'ed at its exact size and freed. */
#if defined(__SANITIZE_ADDRESS__) || defined(LT_NO_POOLS)
#define LT_POOLS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LT_POOLS 0
#endif
#endif
#ifndef LT_POOLS
#define LT_POOLS 1
#endif

/* A hot loop outside the pointwise tables built twice, for AVX2 and for the base target
 * (x86-64-v2), and chosen at load time (GCC's target_clones). Only for code whose results
 * do not depend on the vector width: no reductions the compiler may reorder. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LT_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LT_AVX2_CLONES
#endif

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
const char *lt_devname(lt_device d);   /* "cpu", "cuda:0" (valid for the next three calls too) */

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
/* scalar_exact.c: a whole double s with an integer tensor that the plain scalar path
 * (the value stored in the tensor's type) would get wrong: outside the type's range */
bool lt_scalar_needs_exact(lt_binary_op op, lt_dtype t, double s);
lt_tensor *lt_binary_scalar_whole(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s,
                                  bool reversed);
/* Torch7's histogram range rule (histc.c), for histc and bhistc: lo == hi takes the n
 * doubles x's non-NaN range, an empty range is widened by 1; -1 (naming fn) if not finite. */
int lt_histc_range(const char *fn, const double *x, int64_t n, double *lo, double *hi);
/* The storage that owns s's elements: a storage view's base (views always point at the
 * root, so one step is enough), else s itself. Autograd's version counter lives there, so
 * a write through any view of a buffer is seen by every tensor on that buffer. */
static inline lt_storage *lt_storage_root(lt_storage *s) { return s->base ? s->base : s; }
static inline uint32_t lt_storage_version(const lt_storage *s) {
  return s ? (s->base ? s->base->version : s->version) : 0;
}
/* Mark a tensor's storage as written (autograd's version counter). */
static inline void lt_bump_version(lt_tensor *t) { if (t->storage) lt_storage_root(t->storage)->version++; }

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
struct lt_lapack_call;   /* lapack_call.h */
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
  /* op over all elements of a (not empty): the value as reduce.c computes it (rd) and its
   * int64 (ri: integer results, indices, all/any as 0/1). 1: not done here (the engine
   * computes it on the CPU). */
  int (*reduce_all)(lt_reduce_op op, const lt_tensor *a, double param, double *rd, int64_t *ri);
  /* op over dim of a into vals (contiguous, the result dtype) and idx (contiguous int64
   * indices, or NULL); 1: not done here */
  int (*reduce_dim)(lt_reduce_op op, lt_tensor *vals, lt_tensor *idx, const lt_tensor *a,
                    int dim, double param);
  /* cumulative sum/product along dim into out (contiguous, a's shape) */
  int (*cumulative)(bool prod, lt_tensor *out, const lt_tensor *a, int dim);
  /* *result: a and b (same shape, any dtypes) hold equal values */
  int (*equal)(const lt_tensor *a, const lt_tensor *b, bool *result);
  /* -- end reduce -- */
  /* -- index (tensor/cuda/index.cu) -- */
  /* The first entry (row-major) of an INT64 index (any shape and strides) outside
   * [0, size): 1 with its value in *bad; 0 when all are in range. */
  int (*index_bounds)(const lt_tensor *index, int64_t size, int64_t *bad);
  /* Over the index's shape p (index_select/Copy/Add/Fill pass the vector index viewed with
   * the iteration's shape, stride 0 off dim), with q = p but q[dim] = index[p]:
   * kind 0 gather o[p] = t[q]; 1 scatter t[q] = o[p]; 2 add t[q] += o[p] (not the half
   * types: the engine adds those in float32); 3 fill t[q] = v (o NULL). t and o have the
   * same dtype; indices were checked (out-of-range ones are skipped, never written). */
  int (*gather_scatter)(int kind, lt_tensor *t, const lt_tensor *index, const lt_tensor *o,
                        int dim, double v);
  /* t[i] = v where mask[i] != 0 (mask: a uint8/bool view of t's shape) */
  int (*mask_fill)(lt_tensor *t, const lt_tensor *mask, double v);
  /* how many elements of t (any dtype) are nonzero (NaN counts) */
  int (*count_nonzero)(const lt_tensor *t, int64_t *count);
  /* With k the rank of the selected i (mask[i] != 0) in row-major order of mask's shape:
   * kind 0 maskedCopy t[i] = o[k] (o contiguous, t's dtype); 1 maskedSelect o[k] = t[i]
   * (o contiguous); 2 nonzero: row k of o (contiguous INT64, count x ndim) gets i's
   * subscripts (0-based); t NULL and mask any dtype. */
  int (*mask_scan)(int kind, lt_tensor *t, const lt_tensor *mask, lt_tensor *o);
  /* sort along dim (stable; keys as sort.c: NaN last ascending, first descending) and keep
   * the first k of each row: values (a's dtype) and 0-based positions (INT64) */
  int (*sort)(const lt_tensor *a, int dim, int64_t k, bool desc, lt_tensor *values,
              lt_tensor *indices);
  /* -- end index -- */
  /* -- random (tensor/cuda/random.cu) -- */
  /* Fills every element of t (any layout and dtype; element i in row-major order) by the
   * rule of philox.h; spec is an lt_rng_spec (philox.h). For LT_RK_BERNOULLI_T spec->p
   * holds numel(t) contiguous float64 probabilities on t's device, checked here to lie in
   * [0, 1] (random.c's message). op names the op in errors. */
  int (*random_fill)(const char *op, lt_tensor *t, const void *spec);
  /* multinomial (random.c's algorithm and draws, from seed and block base) of the weights
   * w (contiguous float64, rows x K, rows >= 1) into out (contiguous int64, rows x n,
   * 0-based); checks the weights with random.c's messages first */
  int (*multinomial)(lt_tensor *out, const lt_tensor *w, int64_t rows, int64_t K, int64_t n,
                     bool replacement, uint64_t seed, uint64_t base);
  /* histc: the smallest and largest non-NaN values of a (+inf and -inf when none), and the
   * counts of a's values in [lo, hi] into count (contiguous int64 of `bins` elements, the
   * bin rule of histc.c) */
  int (*histc_range)(const lt_tensor *a, double *lo, double *hi);
  int (*histc)(lt_tensor *count, const lt_tensor *a, double lo, double hi);
  /* out = cond (uint8/bool, nonzero) ? a : b elementwise; all four of out's shape (the
   * engine passes broadcast views) */
  int (*where)(lt_tensor *out, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b);
  /* -- end random -- */
  /* -- spatial (tensor/cuda/spatial.cu) -- */
  /* Convolutions (nn_conv.c), float32/float64, every operand contiguous. geom: N C H W K Ho
   * Wo kH kW sH sW pH pW dH dW G of the convolution x (N C H W) -> y (N K Ho Wo). kind 0:
   * out = y from a = x, b = weight (K C/G kH kW), bias (K) or NULL; 1: out = x from a = y,
   * b = weight, bias (C) or NULL (the transposed convolution); 2: out = the weight's
   * gradient from a = x, b = y's gradient (bias NULL). */
  int (*conv2d)(int kind, const int64_t *geom, lt_tensor *out, const lt_tensor *a,
                const lt_tensor *b, const lt_tensor *bias);
  /* 2-D pooling over planes, float32/float64, contiguous. geom: kW kH dW dH padW padH P H W
   * oH oW. max: y and ix (int64, flat position in the plane) of x; max_bw: gi (zeroed, P H W)
   * += go at ix; avg: y of x; avg_bw: gi (P H W, overwritten) from go. */
  int (*max_pool2d)(const int64_t *geom, lt_tensor *y, lt_tensor *ix, const lt_tensor *x);
  int (*max_pool2d_backward)(const int64_t *geom, lt_tensor *gi, const lt_tensor *go,
                             const lt_tensor *ix);
  int (*avg_pool2d)(const int64_t *geom, bool count_include_pad, lt_tensor *y, const lt_tensor *x);
  int (*avg_pool2d_backward)(const int64_t *geom, bool count_include_pad, lt_tensor *gi,
                             const lt_tensor *go);
  /* batch norm over x (N, C, ...) contiguous float32/float64, y like x. rm, rv, w, b: C
   * elements each (any float dtype and strides) or NULL; training updates rm/rv in place;
   * save_mean/save_invstd (C, x's dtype, may be NULL) receive the statistics used. */
  int (*batch_norm)(lt_tensor *y, lt_tensor *save_mean, lt_tensor *save_invstd, const lt_tensor *x,
                    lt_tensor *rm, lt_tensor *rv, const lt_tensor *w, const lt_tensor *b,
                    bool training, double momentum, double eps);
  /* its backward: g like x (contiguous); dx (like x), dw, db (C elements) each or NULL */
  int (*batch_norm_backward)(lt_tensor *dx, lt_tensor *dw, lt_tensor *db, const lt_tensor *x,
                             const lt_tensor *g, const lt_tensor *w, const lt_tensor *mean,
                             const lt_tensor *invstd, bool training);
  /* out (C elements, g's dtype, any strides) = g (N, C, ...) contiguous float32/float64
   * summed over every dim but 1 (conv2d's bias gradient) */
  int (*channel_sum)(lt_tensor *out, const lt_tensor *g);
  /* embedding's indices (INT64, any strides) checked against [0, rows): 1 with the first
   * bad one (in order) in *bad, 0 when all are in range, -1 on error */
  int (*embedding_check)(const lt_tensor *ix, int64_t rows, int64_t *bad);
  /* -- end spatial -- */
  /* -- act (tensor/cuda/act.cu) -- */
  /* out = [g *] lt_act_eval(op, k, x, p0, p1) (g NULL: none); same shapes, any strides and
   * float dtypes (math in double, as the CPU) */
  int (*act)(int op, int k, lt_tensor *out, const lt_tensor *g, const lt_tensor *x, double p0, double p1);
  /* out = x > 0 ? x : w[c] x; x, w, out contiguous, one dtype (float32/float64), x as (bs, ch, ks) */
  int (*prelu)(lt_tensor *out, const lt_tensor *x, const lt_tensor *w, int64_t bs, int64_t ch, int64_t ks);
  /* softmax (lg: log-softmax) of contiguous x (float32/float64) as (outer, n, inner) along n
   * into y (contiguous, x's dtype; may be NULL); lse (NULL or 2*outer*inner doubles, device):
   * each line's max (at 2l) and log(sum(exp(x - max))) (at 2l+1), logsumexp their sum */
  int (*softmax)(lt_tensor *y, const lt_tensor *x, int64_t outer, int64_t n, int64_t inner, bool lg,
                 double *lse);
  /* its backward from the output y and gradient g (both contiguous, y's dtype) into r */
  int (*softmax_backward)(lt_tensor *r, const lt_tensor *g, const lt_tensor *y, int64_t outer, int64_t n,
                          int64_t inner, bool lg);
  /* nll: lp N x C (or C, strided, any float dtype), t: N int64 (contiguous, checked), w: C
   * doubles or NULL; out: N elements (none) or 0-dim (sum / weighted mean) */
  int (*nll)(lt_tensor *out, const lt_tensor *lp, const int64_t *t, const double *w, int64_t ignore,
             int red, int64_t N, int64_t C);
  /* nll's gradient into r (N x C contiguous zeros, any float dtype): g N doubles (none) or 1 */
  int (*nll_grad)(lt_tensor *r, const double *g, const int64_t *t, const double *w, int64_t ignore, int red,
                  int64_t N, int64_t C);
  /* cross-entropy of x (N x C contiguous, float32/float64): out as nll's; prob (NULL or N x C
   * contiguous): the softmax */
  int (*cross_entropy)(lt_tensor *out, lt_tensor *prob, const lt_tensor *x, const int64_t *t, const double *w,
                       int64_t ignore, int red, int64_t N, int64_t C);
  /* its backward into r (N x C contiguous, prob's dtype) from the softmax prob and g as nll_grad's */
  int (*cross_entropy_backward)(lt_tensor *r, const lt_tensor *prob, const double *g, const int64_t *t,
                                const double *w, int64_t ignore, int red, int64_t N, int64_t C);
  /* elementwise losses (kind: lt_el_loss of scalar_math.h) of n contiguous doubles a, b[, w][, pw]:
   * out n doubles (none) or 0-dim (sum, mean) in its dtype */
  int (*el_loss)(int kind, lt_tensor *out, const double *a, const double *b, const double *w, const double *pw,
                 int red, int64_t n, int dev);
  /* the first of n doubles a outside [0, 1] (or NaN): *idx (-1: none) and its value */
  int (*first_not_prob)(const double *a, int64_t n, int dev, int64_t *idx, double *val);
  /* the cells' element math (nn_rnn.c's lstm_fwd/bwd, gru_fwd/bwd, same arguments), dt
   * float32/float64, device pointers */
  int (*lstm_fwd)(int dt, int dev, int64_t B, int64_t H, const void *pre, const void *c, int64_t cs, void *out,
                  void *buf);
  int (*lstm_bwd)(int dt, int dev, int64_t B, int64_t H, const void *g, const void *buf, const void *c,
                  int64_t cs, void *dgates, void *dc);
  int (*gru_fwd)(int dt, int dev, int64_t B, int64_t H, const void *gi, int64_t gis, const void *gh,
                 const void *h, int64_t hs, void *out, void *buf);
  int (*gru_bwd)(int dt, int dev, int64_t B, int64_t H, const void *g, const void *buf, const void *h,
                 int64_t hs, void *dgi, void *dgh, void *dh);
  /* -- end act -- */
  /* -- core (tensor/cuda/backend.cu) -- */
  /* the caching allocator's statistics (reset_peak: the peak restarts from now), and
   * returning its cached blocks to the driver (device -1: all devices) */
  int (*mem_stats)(int device, lt_cuda_mem_stats *st, bool reset_peak);
  int (*empty_cache)(int device);
  int (*mem_info)(int device, int64_t *free_bytes, int64_t *total_bytes);
  int (*device_props)(int device, lt_cuda_props *p);
  void (*set_tf32)(bool on);
  /* sum over i of a[i] * b[i] (b NULL: of a[i]) over same-shape strided views: float
   * dtypes accumulate in double (*fres), integer ones in wrapping int64 (*ires) */
  int (*dot)(const lt_tensor *a, const lt_tensor *b, double *fres, int64_t *ires);
  /* zero each matrix (last two dims) of t outside its triangle: lower keeps j <= i + k,
   * upper keeps j >= i + k */
  int (*tri_zero)(lt_tensor *t, int64_t k, bool lower);
  /* -- end core -- */
  /* -- solver (tensor/cuda/solver.cu) -- */
  /* one LAPACK routine on column-major device operands (lapack_call.h): 0 done (info
   * set), 1 not done here (cuSOLVER missing, or a routine it lacks: the engine runs it on
   * host copies), -1 error */
  int (*lapack)(struct lt_lapack_call *c);
  /* 1: `lapack` runs on cuSOLVER on this device; 0: it does not (why: the reason), -1 error */
  int (*solver_status)(int device, char *why, size_t n);
  /* -- end solver -- */
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

/* ---- memory overlap (tensor.c) ----
 * lt_may_overlap: the spans of memory a's and b's elements cover intersect (on one device);
 * conservative: interleaved views that share no element also count. lt_same_layout: the
 * same elements in the same order (an in-place operand). lt_internal_overlap: certainly
 * several elements of t at one address (a dim of size > 1 with stride 0, as from expand).
 * lt_check_writable: fails with an error naming fn and what when t cannot be a result. */
bool lt_may_overlap(const lt_tensor *a, const lt_tensor *b);
/* a's and b's buffers may be one: the same storage, or a storage that owns no buffer (a
 * storage view, a wrapped buffer) on either side; two storages that own their buffers
 * never share memory. The cheap first test of lt_may_overlap, and on its own the
 * conservative test where a result's span before its resize tells nothing. */
static inline bool lt_storages_may_share(const lt_tensor *a, const lt_tensor *b) {
  return a->storage && b->storage &&
         (a->storage == b->storage || !a->storage->owned || !b->storage->owned);
}
bool lt_same_layout(const lt_tensor *a, const lt_tensor *b);
bool lt_internal_overlap(const lt_tensor *t);
int lt_check_writable(const char *fn, const char *what, const lt_tensor *t);

/* ---- indexing with indices counted from a base (tensor/index.c, gather.c) ----
 * The public ops with an INT64 index whose entries less `base` are the 0-based positions:
 * the Lua bindings pass their 1-based indices as they are (base 1), with no 0-based copy.
 * Checks, errors (the bad index named 1-based) and results are the public ops'. Autograd
 * and GPU operands go through a 0-based copy of the index. */
lt_tensor *lt_index_select_based(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index,
                                 int64_t base);
int lt_index_copy_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base);
int lt_index_add_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base);
lt_tensor *lt_gather_based(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index, int64_t base);
int lt_scatter_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base);
int lt_scatter_add_based(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src, int64_t base);

#endif
