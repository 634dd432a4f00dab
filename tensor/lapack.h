/* lapack.h: private to the engine's LAPACK files (tensor/lapack.c, lapack_det.c, lapack_decomp.c,
 * lapack_common.c, lapack_run.c).
 *
 * OpenBLAS exports the Fortran LAPACK routines; we declare the ones we call here instead
 * of depending on lapacke.h. Fortran ABI: every argument by pointer, integers are 32-bit
 * (OpenBLAS built without INTERFACE64, its blasint is int), matrices are column-major.
 * gfortran appends one hidden length argument (size_t) per CHARACTER argument after
 * the others: we declare them (lt_flen) and pass 1, so the call is right whether the
 * routine was compiled from Fortran or is one of OpenBLAS's C replacements (which ignore
 * the extras).
 *
 * Column-major storage in our terms: an m x n Fortran matrix with leading dimension m is
 * the 2-D tensor of size {m, n} and strides {1, m}. The helpers below make such copies
 * and hand results back in that layout (as Torch7 does for its LAPACK results).
 */
#ifndef LT_LAPACK_H
#define LT_LAPACK_H

#include <stddef.h>
#include "luatorch.h"
#include "lapack_call.h"

typedef int lt_fint;        /* Fortran INTEGER */
typedef size_t lt_flen;     /* hidden CHARACTER length (pass 1) */

#define LT_LAPACK_PROTOS(P, T)                                                             \
  void P##gesv_(const lt_fint *n, const lt_fint *nrhs, T *a, const lt_fint *lda,           \
                lt_fint *ipiv, T *b, const lt_fint *ldb, lt_fint *info);                   \
  void P##getrf_(const lt_fint *m, const lt_fint *n, T *a, const lt_fint *lda,             \
                 lt_fint *ipiv, lt_fint *info);                                            \
  void P##getri_(const lt_fint *n, T *a, const lt_fint *lda, const lt_fint *ipiv,          \
                 T *work, const lt_fint *lwork, lt_fint *info);                            \
  void P##getrs_(const char *trans, const lt_fint *n, const lt_fint *nrhs, const T *a,     \
                 const lt_fint *lda, const lt_fint *ipiv, T *b, const lt_fint *ldb,        \
                 lt_fint *info, lt_flen trans_len);                                        \
  void P##trtrs_(const char *uplo, const char *trans, const char *diag, const lt_fint *n,  \
                 const lt_fint *nrhs, const T *a, const lt_fint *lda, T *b,                \
                 const lt_fint *ldb, lt_fint *info, lt_flen uplo_len, lt_flen trans_len,   \
                 lt_flen diag_len);                                                        \
  void P##gels_(const char *trans, const lt_fint *m, const lt_fint *n,                     \
                const lt_fint *nrhs, T *a, const lt_fint *lda, T *b, const lt_fint *ldb,   \
                T *work, const lt_fint *lwork, lt_fint *info, lt_flen trans_len);          \
  void P##potrf_(const char *uplo, const lt_fint *n, T *a, const lt_fint *lda,             \
                 lt_fint *info, lt_flen uplo_len);                                         \
  void P##potrs_(const char *uplo, const lt_fint *n, const lt_fint *nrhs, const T *a,      \
                 const lt_fint *lda, T *b, const lt_fint *ldb, lt_fint *info,              \
                 lt_flen uplo_len);                                                        \
  void P##potri_(const char *uplo, const lt_fint *n, T *a, const lt_fint *lda,             \
                 lt_fint *info, lt_flen uplo_len);                                         \
  void P##pstrf_(const char *uplo, const lt_fint *n, T *a, const lt_fint *lda,             \
                 lt_fint *piv, lt_fint *rank, const T *tol, T *work, lt_fint *info,        \
                 lt_flen uplo_len);                                                        \
  void P##syevd_(const char *jobz, const char *uplo, const lt_fint *n, T *a,               \
                 const lt_fint *lda, T *w, T *work, const lt_fint *lwork, lt_fint *iwork,  \
                 const lt_fint *liwork, lt_fint *info, lt_flen jobz_len,                   \
                 lt_flen uplo_len);                                                        \
  void P##geev_(const char *jobvl, const char *jobvr, const lt_fint *n, T *a,              \
                const lt_fint *lda, T *wr, T *wi, T *vl, const lt_fint *ldvl, T *vr,       \
                const lt_fint *ldvr, T *work, const lt_fint *lwork, lt_fint *info,         \
                lt_flen jobvl_len, lt_flen jobvr_len);                                     \
  void P##gesdd_(const char *jobz, const lt_fint *m, const lt_fint *n, T *a,               \
                 const lt_fint *lda, T *s, T *u, const lt_fint *ldu, T *vt,                \
                 const lt_fint *ldvt, T *work, const lt_fint *lwork, lt_fint *iwork,       \
                 lt_fint *info, lt_flen jobz_len);                                         \
  void P##gesvd_(const char *jobu, const char *jobvt, const lt_fint *m, const lt_fint *n,  \
                 T *a, const lt_fint *lda, T *s, T *u, const lt_fint *ldu, T *vt,          \
                 const lt_fint *ldvt, T *work, const lt_fint *lwork, lt_fint *info,        \
                 lt_flen jobu_len, lt_flen jobvt_len);                                     \
  void P##geqrf_(const lt_fint *m, const lt_fint *n, T *a, const lt_fint *lda, T *tau,     \
                 T *work, const lt_fint *lwork, lt_fint *info);                            \
  void P##orgqr_(const lt_fint *m, const lt_fint *n, const lt_fint *k, T *a,               \
                 const lt_fint *lda, const T *tau, T *work, const lt_fint *lwork,          \
                 lt_fint *info);                                                           \
  void P##ormqr_(const char *side, const char *trans, const lt_fint *m, const lt_fint *n,  \
                 const lt_fint *k, const T *a, const lt_fint *lda, const T *tau, T *c,     \
                 const lt_fint *ldc, T *work, const lt_fint *lwork, lt_fint *info,         \
                 lt_flen side_len, lt_flen trans_len);

LT_LAPACK_PROTOS(s, float)
LT_LAPACK_PROTOS(d, double)
#undef LT_LAPACK_PROTOS

/* ---- helpers (tensor/lapack_common.c) ----
 * All return NULL / -1 with lt_errmsg() set, naming fn ("torch.gesv") and arg ("a"). */

/* a must be a float or double tensor (on the CPU or a CUDA device) */
int lt_lapack_check_type(const lt_tensor *a, const char *fn, const char *arg);

/* a must be a float or double tensor with 2 dimensions (and square when asked),
 * each size small enough for a Fortran INTEGER. */
int lt_lapack_check(const lt_tensor *a, const char *fn, const char *arg, bool square);
/* a 1-D tensor (a vector b of Ax = b) is accepted by the solvers as an n x 1 matrix. */
int lt_lapack_check_rhs(const lt_tensor *b, const char *fn, const char *arg);

/* True when t is a column-major matrix: 2-D, stride {1, max(size[0],1)}. */
bool lt_lapack_is_colmajor(const lt_tensor *t);

/* A new column-major copy (on a's device) of the 2-D (or 1-D, taken as one column) a in dtype dt,
 * of rows x cols (at least a's sizes; the extra rows and columns are zero).
 * lt_data() of the result is the Fortran array with leading dimension `rows`. */
lt_tensor *lt_lapack_colmajor(const lt_tensor *a, lt_dtype dt, int64_t rows, int64_t cols);

/* An uninitialised column-major rows x cols matrix of dtype dt on device dev. */
lt_tensor *lt_lapack_colmajor_empty(lt_dtype dt, lt_device dev, int64_t rows, int64_t cols);

/* Hand the result res (any layout) back through out: out NULL returns res retained;
 * otherwise out (of res's dtype, on res's device, else an error naming arg) is written: in
 * place when it already has res's shape (then it must be writable: lt_check_writable), else
 * resized, column-major for a matrix (Torch7's results); out is returned retained once more. */
lt_tensor *lt_lapack_result(lt_tensor *out, lt_tensor *res, const char *fn, const char *arg);

/* lt_lapack_result for n results at once: res[i] (not taken) through outs[i] (named
 * names[i]) into got[i]; all or nothing (on an error every got[i] is NULL, and nothing
 * was written): two result tensors that may share memory (lt_lapack_distinct), or one
 * with elements at one address (expand's stride 0), are an error. */
int lt_lapack_results(int n, lt_tensor *const *outs, lt_tensor *const *res, const char *fn,
                      const char *const *names, lt_tensor **got);

/* The n result tensors outs[i] (NULL: not given) pairwise apart: the same tensor twice, or
 * two whose memory may overlap (lt_may_overlap), is an error "fn: names[i] and names[j]
 * must be different tensors (they share memory)". */
int lt_lapack_distinct(int n, lt_tensor *const *outs, const char *fn, const char *const *names);

/* The workspace of a LAPACK routine after its size query (lwork -1): q is where the
 * routine wrote work[0] (a float for float32, a double otherwise). Returns a malloc'd
 * buffer of *lwork elements of dt: the answer with a little slack (a float rounds large
 * sizes down), at least `least` (and 1); NULL when out of memory (no error set). */
void *lt_lapack_workspace(lt_dtype dt, const void *q, int64_t least, lt_fint *lwork);

/* LAPACK's gels 'N' (A m x n, B max(m, n) x k, both column-major, on any device; A and B
 * left as gels leaves them, info as gels's) through geqrf, ormqr and trtrs, which cuSOLVER
 * and cuBLAS have: lt_gels uses it on a device (lapack.c); the tests compare it with gels
 * on the CPU. */
int lt_gels_qr(lt_tensor *A, lt_tensor *B, int32_t *info, const char *fn);

/* ---- batches (PyTorch's): a (*, r, c) tensor is its matrices one by one (lapack_common.c) ---- */
int64_t lt_lapack_batch_count(const lt_tensor *t);
/* the i-th matrix (row-major order of the batch) of t: a 2-D view */
lt_tensor *lt_lapack_batch_mat(const lt_tensor *t, int64_t i);
/* a batch of square float/double matrices (at least 3 dims), else an error naming arg */
int lt_lapack_check_batch(const lt_tensor *a, const char *fn, const char *arg);
/* the error of matrix i of a batch: the batch element is appended to the message */
void lt_lapack_batch_error(const lt_tensor *t, int64_t i);
/* the transpose of the last two dims (of each matrix of a batch) */
static inline lt_tensor *lt_lapack_tr2(const lt_tensor *t) { return lt_transpose(t, t->ndim - 2, t->ndim - 1); }

/* the column-major LU factorization of the square a (lapack.c): the factors, the pivots
 * in *ipiv (malloc'd, host) and getrf's info (> 0: U(info,info) is zero) */
lt_tensor *lt_lapack_lu(const lt_tensor *a, const char *fn, int32_t **ipiv, int32_t *info);

/* a and b (named na, nb) on one device, else an error */
int lt_lapack_same_device(const lt_tensor *a, const lt_tensor *b, const char *fn,
                          const char *na, const char *nb);

#endif
