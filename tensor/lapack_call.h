/* lapack_call.h: one LAPACK routine on column-major matrices, on any device.
 *
 * The engine's LAPACK files (lapack.c, lapack_decomp.c) describe each routine they need as
 * an lt_lapack_call and hand it to lt_lapack_run (lapack_run.c), which runs it:
 *   - on the CPU through OpenBLAS's Fortran LAPACK (workspace queries included);
 *   - on a CUDA device through the backend's `lapack` entry (tensor/cuda/solver.cu,
 *     cuSOLVER loaded on first use); when that entry answers 1 ("not done here": cuSOLVER
 *     missing on this machine, or a routine it lacks: gels, pstrf, geev), on host copies of
 *     the operands, which are then copied back (a CPU round trip).
 *
 * Operands: t[i] are float32 or float64 tensors of one dtype on one device (pstrf's piv is
 * int32), each either a column-major matrix (2-D, strides {1, max(rows, 1)}, made by
 * lt_lapack_colmajor / lt_lapack_colmajor_empty) or a contiguous 1-D vector. Sizes are
 * read from the tensors: a matrix's rows are its size[0] and its leading dimension
 * max(size[0], 1). ipiv is host memory (int32, 1-based as LAPACK's) on every device.
 * This header is plain C and is included by the CUDA backend too. */
#ifndef LT_LAPACK_CALL_H
#define LT_LAPACK_CALL_H

#include <stdint.h>

struct lt_tensor;

typedef enum {
  /* t0 A (m x n) := its LU factors; ipiv out (min(m, n)) */
  LT_LP_GETRF,
  /* c1 trans 'N'/'T'; t0 the LU factors (n x n), t1 B (n x k) := op(A)^-1 B; ipiv in */
  LT_LP_GETRS,
  /* getrf of t0 A (n x n), then t1 B (n x k) := A^-1 B unless A is singular (info > 0) */
  LT_LP_GESV,
  /* t0 the LU factors (n x n) := A^-1; ipiv in (getrf's) */
  LT_LP_GETRI,
  /* c1 uplo, c2 trans, c3 diag ('N'/'U'); t0 A (n x n) triangular, t1 B (n x k) :=
   * op(A)^-1 B; info > 0: A(info, info) is zero (diag 'N') */
  LT_LP_TRTRS,
  /* c1 trans 'N'; t0 A (m x n, destroyed), t1 B (max(m, n) x k) := the least-squares or
   * minimum-norm solution in its first n rows (and the residuals below when m > n) */
  LT_LP_GELS,
  /* c1 uplo; t0 A (n x n) := its Cholesky factor in that triangle (the other untouched) */
  LT_LP_POTRF,
  /* c1 uplo; t0 the factor (n x n), t1 B (n x k) := A^-1 B */
  LT_LP_POTRS,
  /* c1 uplo; t0 the factor (n x n) := that triangle of A^-1 */
  LT_LP_POTRI,
  /* c1 uplo; t0 A (n x n) := the pivoted factor, t1 piv (int32, n, 1-based) out; tol in,
   * rank out */
  LT_LP_PSTRF,
  /* c1 jobz 'N'/'V', c2 uplo; t0 A (n x n) := the eigenvectors (jobz 'V'); t1 W (n)
   * the eigenvalues, ascending */
  LT_LP_SYEVD,
  /* c1 jobvr 'N'/'V'; t0 A (n x n, destroyed); t1 wr, t2 wi (n each) the eigenvalues' real
   * and imaginary parts; t3 VR (n x n) the right eigenvectors (jobvr 'V'; else NULL) */
  LT_LP_GEEV,
  /* c1 jobz 'N'/'S'/'A'; t0 A (m x n, destroyed); t1 S (min(m, n)); t2 U (m x min(m, n)
   * for 'S', m x m for 'A'); t3 VT (min(m, n) x n for 'S', n x n for 'A'); U and VT NULL
   * for 'N' */
  LT_LP_GESDD,
  /* t0 A (m x n) := R above the diagonal and the reflectors below; t1 tau (min(m, n)) */
  LT_LP_GEQRF,
  /* t0 A (m x n, m >= n) := the first n columns of Q from its first k reflectors (geqrf's
   * output); t1 tau (k); k */
  LT_LP_ORGQR,
  /* c1 side 'L'/'R', c2 trans 'N'/'T'; t0 the reflectors (m x k for 'L', n x k for 'R'),
   * t1 tau (k), t2 C (m x n) := op(Q) C ('L') or C op(Q) ('R'); k */
  LT_LP_ORMQR,
  LT_LP_COUNT
} lt_lp_op;

typedef struct lt_lapack_call {
  lt_lp_op op;
  char c1, c2, c3;          /* the routine's character arguments, as listed above */
  int64_t k;                /* orgqr, ormqr: the number of reflectors */
  struct lt_tensor *t[4];   /* operands, as listed above (unused ones NULL) */
  int32_t *ipiv;            /* getrf, gesv: out; getrs, getri: in (host memory) */
  double tol;               /* pstrf: in */
  int32_t rank;             /* pstrf: out */
  int32_t info;             /* out: LAPACK's info (< 0 an argument it rejected, > 0 the
                             * routine's own meaning: a zero pivot, not positive definite,
                             * no convergence) */
} lt_lapack_call;

/* The routine's name, for messages ("getrf"). */
const char *lt_lapack_name(lt_lp_op op);

/* Runs c (see above): 0 with c->info set (the caller reads info); -1 with lt_errmsg() set
 * when it could not run (out of memory, a device error), naming fn ("torch.gesv"). */
int lt_lapack_run(lt_lapack_call *c, const char *fn);

/* c run on CPU copies of its operands, the ones the routine writes copied back: what
 * lt_lapack_run does on a device whose backend does not run c->op (public for the tests,
 * which check it on CPU operands). */
int lt_lapack_run_copied(lt_lapack_call *c, const char *fn);

#endif
