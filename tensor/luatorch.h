/* luatorch.h: the public API of the luatorch tensor engine.
 *
 * Plain C11; knows nothing of Lua. Every function that can fail returns NULL (for
 * pointers) or a negative number (for ints) and leaves a message naming the op and
 * the offending shapes/dtypes/devices in lt_errmsg(). Nothing a caller passes makes the
 * engine abort.
 *
 * Ownership: a function returning lt_tensor* / lt_storage* hands the caller one
 * reference; give it back with lt_release / lt_storage_release. Arguments are borrowed.
 * Dimensions and indices are 0-based here; the Lua bindings translate from 1-based.
 * An "out" argument may be NULL (a new tensor is returned) or a tensor that is resized
 * to the result's shape and written (its reference is returned, retained once more).
 */
#ifndef LUATORCH_H
#define LUATORCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LT_MAXDIM 16

/* X(ENUM, ctype, Torch7 name prefix, element size) */
#define LT_DTYPES(X)                         \
  X(FLOAT32,  float,    "Float",    4)       \
  X(FLOAT64,  double,   "Double",   8)       \
  X(INT64,    int64_t,  "Long",     8)       \
  X(INT32,    int32_t,  "Int",      4)       \
  X(INT16,    int16_t,  "Short",    2)       \
  X(INT8,     int8_t,   "Char",     1)       \
  X(UINT8,    uint8_t,  "Byte",     1)       \
  X(BOOL,     uint8_t,  "Bool",     1)       \
  X(FLOAT16,  uint16_t, "Half",     2)       \
  X(BFLOAT16, uint16_t, "BFloat16", 2)

typedef enum {
#define LT_X(E, T, N, S) LT_##E,
  LT_DTYPES(LT_X)
#undef LT_X
  LT_NDTYPES
} lt_dtype;

const char *lt_dtype_name(lt_dtype t);     /* "Float", "Double", ... */
size_t lt_dtype_size(lt_dtype t);
bool lt_dtype_is_float(lt_dtype t);        /* float32/64/16, bfloat16 */
lt_dtype lt_promote(lt_dtype a, lt_dtype b);
static inline bool lt_is_half(lt_dtype t) { return t == LT_FLOAT16 || t == LT_BFLOAT16; }
/* one element of dtype t at p, as double / int64 (saturating from floats) / stored from double */
double lt_load(lt_dtype t, const void *p);
int64_t lt_load_int(lt_dtype t, const void *p);
void lt_store(lt_dtype t, void *p, double v);

typedef enum { LT_CPU = 0, LT_CUDA = 1, LT_NDEVTYPES } lt_devtype;
typedef struct { int8_t type; int8_t index; } lt_device;
static inline lt_device lt_cpu(void) { lt_device d = {LT_CPU, 0}; return d; }
static inline bool lt_same_device(lt_device a, lt_device b) { return a.type == b.type && a.index == b.index; }

/* ---- errors ---- */
const char *lt_errmsg(void);
void lt_seterr(const char *fmt, ...);

/* ---- storage: a refcounted buffer on one device ---- */
typedef struct lt_storage {
  int refcount;
  lt_dtype dtype;
  lt_device device;
  bool owned;              /* data freed with the storage */
  bool small;              /* data lives inline after the header (engine-internal) */
  bool inline_block;       /* header is part of a small block whose data moved out */
  void *data;
  int64_t size;            /* elements */
  int64_t capacity;        /* elements allocated (>= size: shrinking keeps the memory) */
  uint32_t version;        /* bumped by in-place writes (autograd checks it) */
  struct lt_storage *base; /* a view (lt_storage_view): the storage whose buffer it shares, held */
  int32_t views;           /* views into this storage: while any lives, it cannot move its buffer */
} lt_storage;

lt_storage *lt_storage_new(lt_dtype dtype, int64_t size, lt_device dev);
lt_storage *lt_storage_wrap(lt_dtype dtype, void *data, int64_t size, lt_device dev); /* not owned */
void lt_storage_retain(lt_storage *s);
void lt_storage_release(lt_storage *s);
int lt_storage_resize(lt_storage *s, int64_t size);   /* keeps the prefix */
/* A storage of `size` elements sharing base's elements from `offset` (0-based; Torch7's
 * torch.FloatStorage(s, offset, size)); it holds base, and base cannot grow past its
 * capacity while the view lives (storage_view.c). */
lt_storage *lt_storage_view(lt_storage *base, int64_t offset, int64_t size);
/* Bytes of tensor data currently held by CPU storages (for the Lua GC's accounting). */
int64_t lt_mem_live_bytes(void);
void lt_mem_trim(void);   /* empty the free-buffer cache, return free heap pages to the system */
/* The CPU allocator's counters (torch.memoryStats): bytes in live buffers and their
 * high-water mark, bytes cached for reuse and the cache's cap, system allocations and
 * frees, requests served from the cache. Buffers of 256 bytes or less (kept with their
 * storage header) are not counted. With reset_peak, the peak restarts from the bytes
 * allocated once st is filled. */
typedef struct {
  int64_t allocated, peak, cached, cache_limit, mallocs, frees, cache_hits;
} lt_cpu_mem_stats;
void lt_mem_stats(lt_cpu_mem_stats *st, bool reset_peak);
/* Cap on the bytes the cache keeps (1 GiB at start; 0 turns caching off); evicts down to
 * it. A negative value only reads it. Returns the previous cap. */
int64_t lt_mem_set_cache_limit(int64_t bytes);

/* ---- tensor: a strided view of a storage ---- */
struct lt_node;
typedef struct lt_tensor {
  int refcount;
  lt_dtype dtype;
  lt_device device;
  int ndim;
  lt_storage *storage;     /* NULL only for a tensor with no elements and no storage */
  int64_t offset;          /* elements */
  int64_t size[LT_MAXDIM];
  int64_t stride[LT_MAXDIM];
  /* autograd (filled in by the autograd layer) */
  bool requires_grad;      /* a leaf asked for gradients, or the result of a recorded op */
  bool is_view;            /* made by a view op (shares its storage with another tensor) */
  struct lt_tensor *grad;  /* leaves: the accumulated gradient */
  struct lt_node *grad_fn; /* results of recorded ops: the node that made them */
  struct lt_node *grad_acc;/* leaves: their accumulator node while a graph uses it (weak) */
  struct lt_hook *hooks;   /* leaves: gradient hooks */
  void *user;              /* for the embedder (the Lua bindings keep nothing here) */
} lt_tensor;

lt_tensor *lt_empty(int ndim, const int64_t *size, lt_dtype dtype, lt_device dev);
lt_tensor *lt_empty_like(const lt_tensor *t);
lt_tensor *lt_new_empty(lt_dtype dtype, lt_device dev);   /* no storage, no dims, 0 elements */
lt_tensor *lt_zeros(int ndim, const int64_t *size, lt_dtype dtype, lt_device dev);
lt_tensor *lt_scalar_tensor(double v, lt_dtype dtype, lt_device dev); /* 0-dim */
/* A view of s: size/stride arrays of ndim entries; stride NULL means contiguous. */
lt_tensor *lt_from_storage(lt_storage *s, int64_t offset, int ndim, const int64_t *size,
                           const int64_t *stride);
void lt_retain(lt_tensor *t);
void lt_release(lt_tensor *t);

int64_t lt_numel(const lt_tensor *t);
bool lt_is_contiguous(const lt_tensor *t);
bool lt_same_size(const lt_tensor *a, const lt_tensor *b);
static inline void *lt_data(const lt_tensor *t) {
  return t->storage ? (char *)t->storage->data + t->offset * (int64_t)lt_dtype_size(t->dtype) : NULL;
}
void lt_contiguous_strides(int ndim, const int64_t *size, int64_t *stride);
/* Format "2x3x4" (or "[]" for 0-dim) into buf. */
const char *lt_shape_str(const lt_tensor *t, char *buf, size_t n);

/* In place changes of the tensor's own metadata (Torch7 resize/set semantics). */
int lt_resize(lt_tensor *t, int ndim, const int64_t *size);   /* contiguous strides; grows storage */
int lt_resize_as(lt_tensor *t, const lt_tensor *like);
int lt_set(lt_tensor *t, lt_storage *s, int64_t offset, int ndim, const int64_t *size,
           const int64_t *stride);
int lt_set_tensor(lt_tensor *t, const lt_tensor *src);

/* ---- views (no copy) ---- */
lt_tensor *lt_alias(const lt_tensor *t);                  /* same view, new header */
lt_tensor *lt_view(const lt_tensor *t, int ndim, const int64_t *size); /* one size may be -1 */
lt_tensor *lt_reshape(const lt_tensor *t, int ndim, const int64_t *size); /* copies if needed */
lt_tensor *lt_narrow(const lt_tensor *t, int dim, int64_t start, int64_t len);
lt_tensor *lt_select(const lt_tensor *t, int dim, int64_t index);
lt_tensor *lt_transpose(const lt_tensor *t, int d1, int d2);
lt_tensor *lt_permute(const lt_tensor *t, const int *perm);  /* perm has t->ndim entries */
lt_tensor *lt_expand(const lt_tensor *t, int ndim, const int64_t *size); /* -1 keeps */
lt_tensor *lt_squeeze(const lt_tensor *t);
lt_tensor *lt_squeeze_dim(const lt_tensor *t, int dim);
lt_tensor *lt_unsqueeze(const lt_tensor *t, int dim);
lt_tensor *lt_unfold(const lt_tensor *t, int dim, int64_t size, int64_t step);
lt_tensor *lt_contiguous(const lt_tensor *t);             /* t itself (retained) when already contiguous */
lt_tensor *lt_clone(const lt_tensor *t);

/* ---- copy, fill, conversion ---- */
int lt_copy(lt_tensor *dst, const lt_tensor *src);        /* any dtype/device; same numel */
lt_tensor *lt_to_dtype(const lt_tensor *t, lt_dtype dtype); /* t itself (retained) if same */
lt_tensor *lt_to_device(const lt_tensor *t, lt_device dev);
int lt_fill(lt_tensor *t, double v);
double lt_get(const lt_tensor *t, const int64_t *index);  /* element as double */
int64_t lt_get_int(const lt_tensor *t, const int64_t *index);
int lt_put(lt_tensor *t, const int64_t *index, double v);

/* ---- pointwise (broadcasting) ---- */
typedef enum {
  LT_NEG, LT_ABS, LT_SIGN, LT_EXP, LT_LOG, LT_LOG1P, LT_EXPM1, LT_SQRT, LT_RSQRT,
  LT_SIN, LT_COS, LT_TAN, LT_ASIN, LT_ACOS, LT_ATAN, LT_SINH, LT_COSH, LT_TANH,
  LT_SIGMOID, LT_FLOOR, LT_CEIL, LT_ROUND, LT_TRUNC, LT_FRAC, LT_CINV, LT_LOG2, LT_LOG10,
  LT_EXP2, LT_SQUARE, LT_NOT,
  LT_NUNARY
} lt_unary_op;

typedef enum {
  LT_ADD, LT_SUB, LT_MUL, LT_DIV, LT_POW, LT_FMOD, LT_REMAINDER, LT_ATAN2, LT_MAX, LT_MIN,
  LT_BITAND, LT_BITOR, LT_BITXOR, LT_LSHIFT, LT_RSHIFT,
  LT_EQ, LT_NE, LT_LT, LT_LE, LT_GT, LT_GE,              /* comparisons: BOOL result */
  LT_LOGICAL_AND, LT_LOGICAL_OR,
  LT_NBINARY
} lt_binary_op;

const char *lt_unary_name(lt_unary_op op);
const char *lt_binary_name(lt_binary_op op);

lt_tensor *lt_unary(lt_unary_op op, lt_tensor *out, const lt_tensor *a);
/* out = a op (alpha * b); alpha applies to ADD/SUB only (Torch7's add(value, t2)). */
lt_tensor *lt_binary(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b,
                     double alpha);
/* out = a op s (or s op a when reversed), in a's dtype (Torch7). */
lt_tensor *lt_binary_scalar(lt_binary_op op, lt_tensor *out, const lt_tensor *a, double s,
                            bool reversed);
/* comparisons write into out of dtype BOOL or UINT8 (Torch7 ByteTensor) when given */
/* A whole number with an integer tensor is exact: comparisons exact (beyond the type's
 * range too), cmax/cmin saturate it into the type, other arithmetic takes the exact result's
 * low bits in the type (scalar_exact.c). These take an int64 exactly (beyond 2^53); the
 * double forms above apply the same rules to whole doubles. */
lt_tensor *lt_binary_scalar_int(lt_binary_op op, lt_tensor *out, const lt_tensor *a, int64_t s,
                                bool reversed);
lt_tensor *lt_clamp_int(lt_tensor *out, const lt_tensor *a, const int64_t *lo, const int64_t *hi); /* NULL = no bound */
/* a op alpha*b (ADD, SUB), a + v*b*c, a + v*b/c with an int64 multiplier, exact for integer
 * results beyond 2^53 */
lt_tensor *lt_binary_alpha_int(lt_binary_op op, lt_tensor *out, const lt_tensor *a, const lt_tensor *b,
                               int64_t alpha);
lt_tensor *lt_addcmul_int(lt_tensor *out, const lt_tensor *a, int64_t v, const lt_tensor *b, const lt_tensor *c);
lt_tensor *lt_addcdiv_int(lt_tensor *out, const lt_tensor *a, int64_t v, const lt_tensor *b, const lt_tensor *c);
lt_tensor *lt_clamp(lt_tensor *out, const lt_tensor *a, double lo, double hi); /* NAN = no bound */
lt_tensor *lt_addcmul(lt_tensor *out, const lt_tensor *a, double v, const lt_tensor *b, const lt_tensor *c);
lt_tensor *lt_addcdiv(lt_tensor *out, const lt_tensor *a, double v, const lt_tensor *b, const lt_tensor *c);
lt_tensor *lt_lerp(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, double w);
lt_tensor *lt_where(lt_tensor *out, const lt_tensor *cond, const lt_tensor *a, const lt_tensor *b);
/* Broadcast shape of a and b into size (returns ndim, or -1 with an error naming op). */
int lt_broadcast_shape(const char *op, const lt_tensor *a, const lt_tensor *b, int64_t *size);

/* ---- random (Philox 4x32-10; the same stream on every device) ---- */
typedef struct lt_generator {
  uint64_t seed;
  uint64_t offset;          /* 128-bit blocks consumed */
  double next_normal;       /* cached Box-Muller value */
  bool has_next_normal;
} lt_generator;
lt_generator *lt_default_generator(void);
void lt_generator_seed(lt_generator *g, uint64_t seed);
uint64_t lt_generator_random_seed(lt_generator *g);       /* seeds from the clock/urandom */
/* g may be NULL (the default generator). */
int lt_uniform(lt_tensor *t, lt_generator *g, double a, double b);
int lt_normal(lt_tensor *t, lt_generator *g, double mean, double std);
int lt_bernoulli(lt_tensor *t, lt_generator *g, double p);
int lt_bernoulli_tensor(lt_tensor *t, lt_generator *g, const lt_tensor *p);
int lt_exponential(lt_tensor *t, lt_generator *g, double lambda);
int lt_geometric(lt_tensor *t, lt_generator *g, double p);
int lt_cauchy(lt_tensor *t, lt_generator *g, double median, double sigma);
int lt_log_normal(lt_tensor *t, lt_generator *g, double mean, double std);
int lt_random_int(lt_tensor *t, lt_generator *g, int64_t lo, int64_t hi); /* [lo, hi] inclusive */
lt_tensor *lt_randperm(lt_generator *g, int64_t n, lt_dtype dtype);       /* 0-based */
/* rows of p (1-D or 2-D) are unnormalized weights; result INT64, 0-based indices */
lt_tensor *lt_multinomial(lt_generator *g, const lt_tensor *p, int64_t n, bool replacement);
double lt_random_uniform01(lt_generator *g);              /* one number, for Lua helpers */
double lt_random_normal(lt_generator *g);                 /* one N(0,1) (Box-Muller, pairs cached) */
uint64_t lt_random_u64(lt_generator *g);
/* Walker's alias method (random_alias.c): J (INT64, 0-based aliases) and q (keep
 * probabilities, probs's dtype) for the 1-D weights probs; then fill out (any shape and
 * dtype) with 0-based category indices drawn from g (NULL: the default generator). Any
 * device (out, J and q on one): the same draws everywhere for the same generator state. */
int lt_multinomial_alias_setup(const lt_tensor *probs, lt_tensor **J, lt_tensor **q);
int lt_multinomial_alias_draw(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q);
/* the same with J's aliases and the samples counted from jbase (Torch7's 1-based J: 1) */
int lt_multinomial_alias_draw_base(lt_tensor *out, lt_generator *g, const lt_tensor *J, const lt_tensor *q,
                                   int64_t jbase);

/* ---- creation ranges ---- */
lt_tensor *lt_range(double a, double b, double step, lt_dtype dtype);   /* inclusive (Torch7) */
lt_tensor *lt_arange(double a, double b, double step, lt_dtype dtype);  /* exclusive */
lt_tensor *lt_linspace(double a, double b, int64_t n, lt_dtype dtype);
lt_tensor *lt_logspace(double a, double b, int64_t n, double base, lt_dtype dtype);
lt_tensor *lt_eye(int64_t n, int64_t m, lt_dtype dtype);

/* ---- reductions ---- */
typedef enum {
  LT_RSUM, LT_RMEAN, LT_RPROD, LT_RMAX, LT_RMIN, LT_RSTD, LT_RVAR, LT_RNORM,
  LT_RALL, LT_RANY, LT_RLOGSUMEXP, LT_RMEDIAN, LT_RKTHVALUE, LT_RMODE, LT_RARGMAX, LT_RARGMIN,
  LT_NREDUCE
} lt_reduce_op;
/* Over all elements, as a double (max/min/median of an empty tensor is an error).
 * param: p for NORM; unbiased flag (nonzero) for STD/VAR; k (1-based) for KTHVALUE. */
int lt_reduce_all(lt_reduce_op op, const lt_tensor *a, double param, double *result);
/* The same, exact for integer results: *is_int is true (and *result set) for
 * sum/prod/max/min/median/kthvalue/mode of integer tensors and for argmax/argmin. */
int lt_reduce_all_int(lt_reduce_op op, const lt_tensor *a, double param, int64_t *result,
                      bool *is_int);
/* Over one dimension; the result keeps dim with size 1 when keepdim (Torch7).
 * indices (may be NULL) receives 0-based INT64 positions for MAX/MIN/MEDIAN/KTHVALUE/MODE. */
lt_tensor *lt_reduce_dim(lt_reduce_op op, lt_tensor *out, lt_tensor *indices_out,
                         lt_tensor **indices, const lt_tensor *a, int dim, bool keepdim,
                         double param);
lt_tensor *lt_cumsum(lt_tensor *out, const lt_tensor *a, int dim);
lt_tensor *lt_cumprod(lt_tensor *out, const lt_tensor *a, int dim);
int lt_equal(const lt_tensor *a, const lt_tensor *b, bool *result);  /* same size and values */
/* histogram in `bins` equal bins over [lo, hi] (lo == hi: the data's range, as Torch7); 1-D result */
lt_tensor *lt_histc(lt_tensor *out, const lt_tensor *a, int64_t bins, double lo, double hi);

/* ---- linear algebra (OpenBLAS) ---- */
/* out = beta*M + alpha*(A @ B) etc., Torch7 argument order. M may be NULL (beta ignored). */
lt_tensor *lt_addmm(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                    const lt_tensor *A, const lt_tensor *B);
lt_tensor *lt_addmv(lt_tensor *out, double beta, const lt_tensor *v, double alpha,
                    const lt_tensor *A, const lt_tensor *x);
lt_tensor *lt_addr(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                   const lt_tensor *x, const lt_tensor *y);
lt_tensor *lt_baddbmm(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                      const lt_tensor *A, const lt_tensor *B);
lt_tensor *lt_addbmm(lt_tensor *out, double beta, const lt_tensor *M, double alpha,
                     const lt_tensor *A, const lt_tensor *B);
lt_tensor *lt_mm(lt_tensor *out, const lt_tensor *A, const lt_tensor *B);
lt_tensor *lt_mv(lt_tensor *out, const lt_tensor *A, const lt_tensor *x);
lt_tensor *lt_bmm(lt_tensor *out, const lt_tensor *A, const lt_tensor *B);
lt_tensor *lt_ger(lt_tensor *out, const lt_tensor *x, const lt_tensor *y);
lt_tensor *lt_matmul(lt_tensor *out, const lt_tensor *A, const lt_tensor *B); /* PyTorch rules */
int lt_dot(const lt_tensor *a, const lt_tensor *b, double *result);
int lt_trace(const lt_tensor *a, double *result);
/* integer tensors: the exact int64 sum (the double forms round beyond 2^53) */
int lt_dot_int(const lt_tensor *a, const lt_tensor *b, int64_t *result);
int lt_trace_int(const lt_tensor *a, int64_t *result);
lt_tensor *lt_diag(lt_tensor *out, const lt_tensor *a, int64_t k);
lt_tensor *lt_tril(lt_tensor *out, const lt_tensor *a, int64_t k);
lt_tensor *lt_triu(lt_tensor *out, const lt_tensor *a, int64_t k);
lt_tensor *lt_cross(lt_tensor *out, const lt_tensor *a, const lt_tensor *b, int dim); /* dim<0: first of size 3 */

/* ---- linear systems and factorizations through LAPACK (tensor/lapack.c) ----
 * FLOAT32/FLOAT64 2-D matrices on the CPU or a CUDA device (operands on one device; results
 * on it; a right-hand side B may be a vector). Results are
 * column-major (strides {1, rows}), as Torch7's; a result tensor (rb, ra, out ...) of the
 * result's shape is written in place, another is made column-major of that shape. The
 * two-result functions return new references in *x and the second pointer. uplo 'U'/'L',
 * trans 'N'/'T', diag 'N'/'U' as LAPACK's. Recorded by autograd: gesv/solve (X, w.r.t. A
 * and B), inverse, potrf/cholesky, det, logdet, slogdet (log|det|). Those also take
 * batches (*, n, n) (solve's B: (*, n, k)), with row-major results of the batch's shape
 * (the determinants: one value per matrix). */
int lt_gesv(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
            lt_tensor **x, lt_tensor **lu);                  /* A X = B, LU of A */
int lt_solve_lu(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
                lt_tensor **x, lt_tensor **lu);              /* gesv named torch.solve */
lt_tensor *lt_solve(lt_tensor *out, const lt_tensor *b, const lt_tensor *a);   /* X only */
int lt_trtrs(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a, char uplo,
             char trans, char diag, lt_tensor **x, lt_tensor **acopy);
/* least squares (rows >= cols) or least norm: x has max(m, n) rows (the first n the
 * solution, the rest the residual's components); qr: LAPACK's factorization of A */
int lt_gels(lt_tensor *rb, lt_tensor *ra, const lt_tensor *b, const lt_tensor *a,
            lt_tensor **x, lt_tensor **qr);
lt_tensor *lt_inverse(lt_tensor *out, const lt_tensor *a);
lt_tensor *lt_potrf(lt_tensor *out, const lt_tensor *a, char uplo);
lt_tensor *lt_potrs(lt_tensor *out, const lt_tensor *b, const lt_tensor *chol, char uplo);
lt_tensor *lt_potri(lt_tensor *out, const lt_tensor *chol, char uplo);
/* pivoted Cholesky (tol < 0: LAPACK's default); piv: INT32 on a's device, 1-based (LAPACK's) */
int lt_pstrf(lt_tensor *rout, lt_tensor *pivout, const lt_tensor *a, char uplo, double tol,
             lt_tensor **r, lt_tensor **piv);
lt_tensor *lt_cholesky(lt_tensor *out, const lt_tensor *a, bool upper);  /* PyTorch: lower */
/* 0-dim tensors of a's dtype (a batch: its shape); slogdet's sign is -1, 0 or 1 */
lt_tensor *lt_det(const lt_tensor *a);
lt_tensor *lt_logdet(const lt_tensor *a);
int lt_slogdet(const lt_tensor *a, lt_tensor **sign, lt_tensor **logabsdet);

/* ---- decompositions through LAPACK (tensor/lapack_decomp.c) ----
 * The same conventions as above (result tensors re, rv ... may be NULL). Recorded by
 * autograd: svd and symeig (PyTorch's formulas), pinverse (made of recorded ops); the
 * others fail at backward. */
/* eigenvalues e (ascending) and, when vectors, eigenvectors V (columns) of the symmetric
 * a, read from its upper (upper) or lower triangle; *v is NULL without vectors */
int lt_symeig(lt_tensor *re, lt_tensor *rv, const lt_tensor *a, bool vectors, bool upper,
              lt_tensor **e, lt_tensor **v);
/* e: n x 2 (real, imaginary parts); V (when vectors): the right eigenvectors, a complex
 * pair in two columns (real part, imaginary part) as LAPACK's geev gives them */
int lt_eig(lt_tensor *re, lt_tensor *rv, const lt_tensor *a, bool vectors, lt_tensor **e,
           lt_tensor **v);
/* a = U diag(S) V^T, k = min(m, n); some: U m x k, V n x k; else U m x m, V n x n */
int lt_svd(lt_tensor *ru, lt_tensor *rs, lt_tensor *rv, const lt_tensor *a, bool some,
           lt_tensor **u, lt_tensor **s, lt_tensor **v);
int lt_qr(lt_tensor *rq, lt_tensor *rr, const lt_tensor *a, lt_tensor **q, lt_tensor **r); /* Q m x k, R k x n */
int lt_geqrf(lt_tensor *rm, lt_tensor *rtau, const lt_tensor *a, lt_tensor **m, lt_tensor **tau);
lt_tensor *lt_orgqr(lt_tensor *out, const lt_tensor *a, const lt_tensor *tau);  /* a's size: Q's min(m, n) columns first (a wide a keeps its columns past m, as Torch7) */
/* Q c, Q^T c (left) or c Q, c Q^T, Q from geqrf's (a, tau) */
lt_tensor *lt_ormqr(lt_tensor *out, const lt_tensor *a, const lt_tensor *tau, const lt_tensor *c,
                    bool left, bool transpose);
lt_tensor *lt_pinverse(lt_tensor *out, const lt_tensor *a, double rcond);

/* ---- indexing (indices are INT64 tensors holding 0-based positions) ---- */
lt_tensor *lt_index_select(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index);
int lt_index_copy(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src);
int lt_index_add(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src);
int lt_index_fill(lt_tensor *t, int dim, const lt_tensor *index, double v);
lt_tensor *lt_gather(lt_tensor *out, const lt_tensor *a, int dim, const lt_tensor *index);
int lt_scatter(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src);
int lt_scatter_add(lt_tensor *t, int dim, const lt_tensor *index, const lt_tensor *src);
int lt_scatter_fill(lt_tensor *t, int dim, const lt_tensor *index, double v);
/* masks are BOOL or UINT8 tensors, broadcastable to t */
int lt_masked_fill(lt_tensor *t, const lt_tensor *mask, double v);
/* the fills with an int64 value, exact beyond 2^53 in an INT64 tensor */
int lt_fill_int(lt_tensor *t, int64_t v);
int lt_masked_fill_int(lt_tensor *t, const lt_tensor *mask, int64_t v);
int lt_index_fill_int(lt_tensor *t, int dim, const lt_tensor *index, int64_t v);
int lt_scatter_fill_int(lt_tensor *t, int dim, const lt_tensor *index, int64_t v);
lt_tensor *lt_masked_select(lt_tensor *out, const lt_tensor *a, const lt_tensor *mask);
int lt_masked_copy(lt_tensor *t, const lt_tensor *mask, const lt_tensor *src);
lt_tensor *lt_nonzero(lt_tensor *out, const lt_tensor *a);   /* n x ndim INT64, 0-based */

/* ---- sorting ---- */
/* values and indices (0-based INT64); dim < 0 is the last dim */
int lt_sort(const lt_tensor *a, int dim, bool descending, lt_tensor **values, lt_tensor **indices);
int lt_topk(const lt_tensor *a, int64_t k, int dim, bool largest, bool sorted,
            lt_tensor **values, lt_tensor **indices);

/* ---- joining and splitting ---- */
lt_tensor *lt_cat(lt_tensor *out, const lt_tensor *const *ts, int n, int dim);
lt_tensor *lt_stack(lt_tensor *out, const lt_tensor *const *ts, int n, int dim);
/* split into pieces of `size` along dim; returns the count, pieces in *parts (malloc'd array) */
int lt_split(const lt_tensor *a, int64_t size, int dim, lt_tensor ***parts);
int lt_chunk(const lt_tensor *a, int64_t n, int dim, lt_tensor ***parts);
lt_tensor *lt_repeat(const lt_tensor *a, int n, const int64_t *reps);
lt_tensor *lt_flip(const lt_tensor *a, int ndims, const int *dims);
lt_tensor *lt_roll(const lt_tensor *a, int64_t shift, int dim);

/* ---- signal (signal.c): Torch7's conv2/xcorr2/conv3/xcorr3, renorm, bhistc ---- */
/* nd (2 or 3) spatial dims; full: 'F' mode (size n + K - 1), else 'V' (n - K + 1); flip:
 * convolution (the kernel flipped), else cross-correlation. Shapes (Torch7): x nd-D with
 * k nd-D; x (p, ...) with k (p, ...) (plane i with kernel i); x (p, ...) with k (q, p, ...)
 * (output plane j sums x[i] with k[j][i]). Integer types wrap as Torch7's. Any device
 * (x, k and out on one); recorded for autograd (float types). */
lt_tensor *lt_convolve(lt_tensor *out, const lt_tensor *x, const lt_tensor *k, int nd, bool full,
                       bool flip);
/* each sub-tensor x.select(dim, i) with p-norm above maxnorm scaled by maxnorm/(norm+1e-7);
 * any device; recorded for autograd (not x:renorm in place on a leaf: a weight update) */
lt_tensor *lt_renorm(lt_tensor *out, const lt_tensor *x, double p, int dim, double maxnorm);
/* histc of each row of a 2-D x: rows x bins (histc's range and bin rules) */
lt_tensor *lt_bhistc(lt_tensor *out, const lt_tensor *x, int64_t bins, double lo, double hi);

/* ---- autograd (autograd.c; formulas in grad_*.c) ----
 * Ops record a graph when grad mode is on and an input requires grad. */
bool lt_grad_enabled(void);
bool lt_set_grad_enabled(bool on);                    /* returns the previous mode */
int lt_set_requires_grad(lt_tensor *t, bool on);      /* leaves of a floating type */
bool lt_is_leaf(const lt_tensor *t);
lt_tensor *lt_detach(const lt_tensor *t);             /* same data, no history */
const char *lt_grad_fn_name(const lt_tensor *t);      /* NULL for leaves */
/* whether t's values can be overwritten now without changing a gradient a recorded op
 * will compute (grad mode off, t needs no gradient, or t is not a view and no recorded op
 * used it yet); nn's in-place flags ask it */
bool lt_ag_can_overwrite(const lt_tensor *t);
/* nn's forward: while on, an in-place write into a leaf that requires grad (under grad
 * mode) is an error rather than an unrecorded value update; returns the previous setting */
bool lt_set_refuse_leaf_writes(bool on);
/* Backward from outputs[0..n-1]; grad_outputs[i] may be NULL for one-element outputs.
 * Gradients accumulate into the leaves' grad. */
int lt_backward(int n, lt_tensor *const *outputs, lt_tensor *const *grad_outputs,
                bool retain_graph, bool create_graph);
/* The same, returning the gradients of inputs[0..ni-1] in grads (new references; zeros
 * for an input the outputs do not depend on) without touching any grad field. */
int lt_grad(int n, lt_tensor *const *outputs, lt_tensor *const *grad_outputs, int ni,
            lt_tensor *const *inputs, lt_tensor **grads, bool retain_graph, bool create_graph);
/* The same with the graph cut at the inputs: each input's gradient counts only the paths
 * from the outputs that do not pass through another input, and nothing below the inputs
 * runs (nn's Module:backward: the gradients of one module's own computation). With
 * accumulate, the leaves reached that are not among the inputs add their gradients into
 * their grad, as lt_backward does. */
int lt_grad_between(int n, lt_tensor *const *outputs, lt_tensor *const *grad_outputs, int ni,
                    lt_tensor *const *inputs, lt_tensor **grads, bool retain_graph, bool create_graph,
                    bool accumulate);
/* A hook sees the gradient of t during backward; it returns NULL to keep it, or a new
 * reference to use instead; *err = 1 (with an error set) aborts the backward. */
typedef lt_tensor *(*lt_grad_hook)(void *ud, const lt_tensor *grad, int *err);
int lt_register_hook(lt_tensor *t, lt_grad_hook fn, void *ud, void (*free_ud)(void *));
/* Custom ops: out (already computed from inputs) is given a node whose backward calls fn
 * with the output's gradient; fn fills grads[0..n-1] (new references or NULL). */
typedef int (*lt_custom_backward)(void *ud, const lt_tensor *grad, int n, lt_tensor **grads);
int lt_custom_record(lt_tensor *out, const char *name, int n, const lt_tensor *const *inputs,
                     lt_custom_backward fn, void *ud, void (*free_ud)(void *));
/* whole-tensor reductions as 0-dim tensors (recorded: the form autograd uses) */
lt_tensor *lt_reduce_all_tensor(lt_reduce_op op, const lt_tensor *a, double param);
lt_tensor *lt_dot_tensor(const lt_tensor *a, const lt_tensor *b);
lt_tensor *lt_trace_tensor(const lt_tensor *a);
int64_t lt_autograd_live_nodes(void);   /* graph nodes alive (for tests of memory) */

/* ---- non-finite values and anomaly mode (numerics.c) ---- */
/* Masks (uint8, or out's dtype such as bool) of the NaN, +-Inf and finite elements; any
 * dtype and device (integer tensors hold no NaN or Inf). Never recorded. */
lt_tensor *lt_isnan(lt_tensor *out, const lt_tensor *a);
lt_tensor *lt_isinf(lt_tensor *out, const lt_tensor *a);
lt_tensor *lt_isfinite(lt_tensor *out, const lt_tensor *a);
/* What t holds: LT_HAS_NAN | LT_HAS_INF bits (0: all finite), or -1 with an error set. */
enum { LT_HAS_NAN = 1, LT_HAS_INF = 2 };
int lt_nonfinite(const lt_tensor *t);
/* Anomaly mode (off by default): every recorded op's output and every gradient a node's
 * backward computes is checked; the first NaN (or Inf, with check_inf) fails the op with
 * "anomaly: OP produced NaN in forward" or "anomaly: the backward of OP ...". Returns the
 * previous mode. */
bool lt_set_detect_anomaly(bool on, bool check_inf);
bool lt_anomaly_enabled(void);
bool lt_anomaly_checks_inf(void);

/* ---- nn ops (tensor/nn_*.c; recorded for autograd; one section per file) ---- */
/* nn_conv.c */
/* 2-D convolutions (CPU: im2col + OpenBLAS gemm; float32/float64, half types through
 * float32). Sizes are {height, width}. NULL opts: stride 1, padding 0, dilation 1,
 * output_padding 0, groups 1 (lt_conv_opts_default gives the same to start from). */
typedef struct {
  int64_t stride[2], padding[2], dilation[2], output_padding[2];
  int64_t groups;
} lt_conv_opts;
lt_conv_opts lt_conv_opts_default(void);
/* input N x C x H x W (or C x H x W: the result has no batch dim), weight
 * Cout x C/groups x kH x kW, bias Cout or NULL; output_padding is ignored */
lt_tensor *lt_conv2d(const lt_tensor *input, const lt_tensor *weight, const lt_tensor *bias,
                     const lt_conv_opts *opts);
/* the transposed convolution (conv2d's gradient with respect to its input): input
 * N x C x H x W (or 3-D), weight C x Cout/groups x kH x kW, bias Cout or NULL; output
 * H' = (H-1)*stride - 2*padding + dilation*(kH-1) + 1 + output_padding (< stride) */
lt_tensor *lt_conv_transpose2d(const lt_tensor *input, const lt_tensor *weight,
                               const lt_tensor *bias, const lt_conv_opts *opts);
/* conv2d's gradient with respect to its weight: input N x C x H x W, grad_output
 * N x Cout x Ho x Wo (conv2d's output shape); result Cout x C/groups x kH x kW */
lt_tensor *lt_conv2d_weight(const lt_tensor *input, const lt_tensor *grad_output, int64_t kH,
                            int64_t kW, const lt_conv_opts *opts);
/* end nn_conv.c */
/* nn_spatial.c */
/* 2-D pooling over the last two dims of a (C, H, W) or (N, C, H, W) floating input (half
 * types compute through float32);
 * Torch7 argument order (width first). Output sizes as Torch7 (floor or ceil mode; in ceil
 * mode the last window must start inside the left-padded input); padding at most half the
 * kernel. max: *indices (may be NULL) receives INT64 0-based flat positions of the argmax
 * within each H x W plane. avg: count_include_pad divides by the window's size within the
 * padded input (Torch7's default), else by the number of input elements in it. */
lt_tensor *lt_max_pool2d(const lt_tensor *input, int kW, int kH, int dW, int dH, int padW,
                         int padH, bool ceil_mode, lt_tensor **indices);
lt_tensor *lt_avg_pool2d(const lt_tensor *input, int kW, int kH, int dW, int dH, int padW,
                         int padH, bool ceil_mode, bool count_include_pad);
/* the gradient of avg_pool2d for an input of size (ndim, isize), given the output's
 * gradient (a recorded linear op; its own gradient is avg_pool2d) */
lt_tensor *lt_avg_pool2d_backward(const lt_tensor *grad, int ndim, const int64_t *isize, int kW,
                                  int kH, int dW, int dH, int padW, int padH, bool ceil_mode,
                                  bool count_include_pad);
/* nearest-neighbour up-sampling of the last two dims by an integer factor */
lt_tensor *lt_upsample_nearest2d(const lt_tensor *input, int scale);
/* the last two dims padded with value (negative pads crop) */
lt_tensor *lt_pad2d(const lt_tensor *input, int64_t left, int64_t right, int64_t top,
                    int64_t bottom, double value);
/* batch normalization of (N, C, ...) over every dim but 1. training: the batch's mean and
 * biased variance, and (when given) running_mean/running_var updated in place as
 * (1-momentum)*running + momentum*batch (the unbiased variance); evaluation: the running
 * statistics. weight and bias (C elements) may be NULL. */
lt_tensor *lt_batch_norm(const lt_tensor *input, lt_tensor *running_mean, lt_tensor *running_var,
                         const lt_tensor *weight, const lt_tensor *bias, bool training,
                         double momentum, double eps);
/* dropout: input * mask, mask ~ bernoulli(1-p) (scaled by 1/(1-p) when scale), one draw per
 * element or, spatial, one per plane of the last two dims; identity (input itself, retained)
 * when !training or p == 0. inplace writes into input. *mask_out (may be NULL) receives the
 * mask (NULL when none was drawn). gen NULL: the default generator. */
lt_tensor *lt_dropout(lt_tensor *input, lt_generator *gen, double p, bool training, bool spatial,
                      bool inplace, bool scale, lt_tensor **mask_out);
/* rows of weight (n x dim) picked by indices (INT64, 0-based, any shape): indices' shape x dim */
lt_tensor *lt_embedding(const lt_tensor *weight, const lt_tensor *indices);
/* end nn_spatial.c */
/* nn_act.c (activations, softmax) and nn_loss.c (losses) */
/* Activations, elementwise. p0, p1 are the op's parameters: THRESHOLD (threshold, value:
 * x > th ? x : value), LEAKY_RELU (negative slope), ELU (alpha), SOFTPLUS (beta, threshold:
 * x where beta x > threshold), HARDTANH (min, max); the others take none. out may be x
 * itself (in place; see the autograd policy) or NULL. float32/float64 (half types go
 * through float32); CPU. */
typedef enum {
  LT_ACT_THRESHOLD, LT_ACT_RELU, LT_ACT_LEAKY_RELU, LT_ACT_ELU, LT_ACT_GELU, LT_ACT_SILU,
  LT_ACT_SOFTPLUS, LT_ACT_HARDTANH, LT_NACT
} lt_act_op;
const char *lt_act_name(lt_act_op op);   /* "relu", "gelu", ... (the Lua names) */
lt_tensor *lt_activation(lt_act_op op, lt_tensor *out, const lt_tensor *x, double p0, double p1);
/* g * f^(k)(x), the k-th derivative (k = 1..3; ELU any k) times g (g NULL: the derivative
 * alone): the backward of lt_activation, itself recorded (so differentiable again). */
lt_tensor *lt_activation_grad(lt_act_op op, int k, const lt_tensor *g, const lt_tensor *x,
                              double p0, double p1);
/* PReLU (Torch7): x > 0 ? x : w_c x; w has 1 element (shared) or one per channel, the
 * channel being dim 1 (0-based) when x has more than one dim, else dim 0. */
lt_tensor *lt_prelu(const lt_tensor *x, const lt_tensor *w);
/* softmax / log-softmax over dim (0-based), numerically stable (the max subtracted). */
lt_tensor *lt_softmax(lt_tensor *out, const lt_tensor *x, int dim, bool log);
/* their backward from the output y: y (g - sum(g y)), or g - exp(y) sum(g) when log */
lt_tensor *lt_softmax_backward(const lt_tensor *g, const lt_tensor *y, int dim, bool log);

/* Losses. reduction: how the per-element losses are combined; the result is a 0-dim
 * tensor for MEAN and SUM, the per-element (per-sample) losses for NONE. */
typedef enum { LT_LOSS_NONE, LT_LOSS_MEAN, LT_LOSS_SUM } lt_loss_reduction;
/* logp: N x C (or C); target: INT64, N (or one element) 0-based class indices; weight: C
 * elements or NULL; a target equal to ignore_index counts for nothing. MEAN divides by the
 * sum of the weights of the counted targets (0 when there is none). */
lt_tensor *lt_nll_loss(const lt_tensor *logp, const lt_tensor *target, const lt_tensor *weight,
                       int64_t ignore_index, lt_loss_reduction reduction);
/* nll_loss(log_softmax(x)), fused */
lt_tensor *lt_cross_entropy(const lt_tensor *x, const lt_tensor *target, const lt_tensor *weight,
                            int64_t ignore_index, lt_loss_reduction reduction);
/* a and b of the same number of elements (b is read in a's shape) */
lt_tensor *lt_mse_loss(const lt_tensor *a, const lt_tensor *b, lt_loss_reduction reduction);
lt_tensor *lt_l1_loss(const lt_tensor *a, const lt_tensor *b, lt_loss_reduction reduction);
/* 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta 0: L1) */
lt_tensor *lt_smooth_l1_loss(const lt_tensor *a, const lt_tensor *b, lt_loss_reduction reduction,
                             double beta);
/* -w (t log p + (1 - t) log(1 - p)), logs clamped at -100; weight broadcast to p or NULL */
lt_tensor *lt_bce_loss(const lt_tensor *p, const lt_tensor *t, const lt_tensor *weight,
                       lt_loss_reduction reduction);
/* bce of sigmoid(x), stable: w ((1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x))); weight and
 * pos_weight broadcast to x, or NULL */
lt_tensor *lt_bce_with_logits(const lt_tensor *x, const lt_tensor *t, const lt_tensor *weight,
                              const lt_tensor *pos_weight, lt_loss_reduction reduction);
/* Torch7's KLDivCriterion: t (log t - logp) where t > 0, else 0 */
lt_tensor *lt_kl_div(const lt_tensor *logp, const lt_tensor *t, lt_loss_reduction reduction);
/* end nn_act.c */
/* nn_rnn.c */
/* Fused recurrent cells (PyTorch's gate orders), recorded as one node each. x: B x I (or
 * I, one sample, with h and c 1-D too); h, c: B x H; wih: G*H x I, whh: G*H x H, biases
 * G*H (may be NULL), G = 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n). wih may be NULL: x is
 * then the input part of the pre-activations, B x G*H (x W_ih^T + b_ih computed apart).
 * lt_lstm_cell returns one B x 2H tensor [h', c'] (take the halves with lt_narrow);
 * lt_gru_cell returns h', B x H. float32/float64, CPU. Their backward is not differentiable
 * again (createGraph through them is an error). */
lt_tensor *lt_lstm_cell(const lt_tensor *x, const lt_tensor *h, const lt_tensor *c,
                        const lt_tensor *wih, const lt_tensor *whh, const lt_tensor *bih,
                        const lt_tensor *bhh);
lt_tensor *lt_gru_cell(const lt_tensor *x, const lt_tensor *h, const lt_tensor *wih,
                       const lt_tensor *whh, const lt_tensor *bih, const lt_tensor *bhh);
/* x split along dim 0 into x->size[0] views steps[k] = x[k] (new references), recorded as
 * one gather: backward adds the steps' gradients into one tensor for x, instead of one
 * whole-size gradient per step (what n selects would cost). Not differentiable again. */
int lt_unbind_steps(const lt_tensor *x, lt_tensor **steps);
/* end nn_rnn.c */

/* ---- threads ---- */
void lt_set_num_threads(int n);
int lt_get_num_threads(void);
/* The element count from which float32 exp/tanh/sigmoid write their results with streaming
 * stores (by default: results bigger than the L3). n > 0 sets it; returns the previous
 * value (INT64_MAX where there are no vector loops). For tests. */
int64_t lt_set_stream_min(int64_t n);

/* ---- devices ---- */
/* Loads the CUDA backend on first use; returns -1 with a message when unavailable. */
int lt_cuda_available(void);
int lt_cuda_device_count(void);
int lt_cuda_synchronize(int device);   /* 0-based device; -1 on error */
/* The device tensors go to when none is named (:cuda(), torch.CudaTensor(...)), 0-based. */
int lt_cuda_set_device(int device);    /* -1 with a message when it does not exist */
int lt_cuda_get_device(void);
/* the caching allocator of a device, in bytes: in live blocks (allocated), the peak of that,
 * freed blocks kept for reuse (cached), allocated + cached (reserved), cudaMalloc/cudaFree
 * calls and the number of requests the cache served */
typedef struct {
  int64_t allocated, peak, cached, reserved, mallocs, frees, cache_hits;
} lt_cuda_mem_stats;
int lt_cuda_memory_stats(int device, lt_cuda_mem_stats *st, bool reset_peak);
int lt_cuda_empty_cache(int device);   /* device -1: every device */
int lt_cuda_memory_info(int device, int64_t *free_bytes, int64_t *total_bytes);
typedef struct {
  char name[256];
  int64_t total_mem;
  int major, minor, multiprocessors;
} lt_cuda_props;
int lt_cuda_device_properties(int device, lt_cuda_props *p);
/* TF32 tensor-core math for float32 matrix products (off by default: IEEE float32) */
void lt_cuda_set_tf32(bool on);
bool lt_cuda_get_tf32(void);
/* 1: LAPACK on this device runs through cuSOLVER; 0: on host copies (why gets the reason:
 * libcusolver missing, LT_CUSOLVER=none ...); -1: error (no such device ...) */
int lt_cuda_solver_available(int device, char *why, size_t n);

#ifdef __cplusplus
}
#endif
#endif
