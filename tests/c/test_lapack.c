/* test_lapack.c: the LAPACK entry points of tensor/lapack.c from C: hand-computed
 * solutions, inverses, factors and determinants; the column-major results; the errors;
 * det's gradient against central differences in float64. */
#include "harness.h"
#include <string.h>

static lt_tensor *mat2(const double *v, int64_t r, int64_t c, lt_dtype dt) {
  int64_t sz[2] = {r, c};
  lt_tensor *t = lt_empty(2, sz, dt, lt_cpu());
  for (int64_t i = 0; i < r; i++)
    for (int64_t j = 0; j < c; j++) { int64_t ix[2] = {i, j}; lt_put(t, ix, v[i * c + j]); }
  return t;
}
static double at(const lt_tensor *t, int64_t i, int64_t j) { int64_t ix[2] = {i, j}; return lt_get(t, ix); }

TEST(lapack_gesv_by_hand) {
  /* 2x + y = 5, x + 3y = 10: x = 1, y = 3 */
  static const double A[] = {2, 1, 1, 3}, B[] = {5, 10};
  for (int k = 0; k < 2; k++) {
    lt_dtype dt = k ? LT_FLOAT32 : LT_FLOAT64;
    lt_tensor *a = TMP(mat2(A, 2, 2, dt)), *b = TMP(mat2(B, 2, 1, dt)), *x, *lu;
    CHECK(lt_gesv(NULL, NULL, b, a, &x, &lu) == 0);
    CHECK_NEAR(at(x, 0, 0), 1, 1e-6);
    CHECK_NEAR(at(x, 1, 0), 3, 1e-6);
    CHECK(lu->stride[0] == 1 && lu->stride[1] == 2);   /* column-major, as Torch7 */
    CHECK_NEAR(fabs(at(lu, 0, 0) * at(lu, 1, 1)), 5, 1e-6);   /* |det| from U */
    lt_release(x);
    lt_release(lu);
  }
}

TEST(lapack_inverse_det_potrf) {
  static const double A[] = {4, 7, 2, 6}, S[] = {4, 2, 2, 3};
  lt_tensor *a = TMP(mat2(A, 2, 2, LT_FLOAT64)), *s = TMP(mat2(S, 2, 2, LT_FLOAT64));
  lt_tensor *y = TMP(lt_inverse(NULL, a));
  CHECK(y != NULL);
  CHECK_NEAR(at(y, 0, 0), 0.6, 1e-15);
  CHECK_NEAR(at(y, 0, 1), -0.7, 1e-15);
  CHECK_NEAR(at(y, 1, 0), -0.2, 1e-15);
  CHECK_NEAR(at(y, 1, 1), 0.4, 1e-15);
  lt_tensor *d = TMP(lt_det(a));
  CHECK(d && d->ndim == 0);
  CHECK_NEAR(lt_get(d, NULL), 10, 1e-13);
  lt_tensor *sg, *la;
  CHECK(lt_slogdet(a, &sg, &la) == 0);
  CHECK_NEAR(lt_get(sg, NULL), 1, 0);
  CHECK_NEAR(lt_get(la, NULL), log(10), 1e-14);
  lt_release(sg);
  lt_release(la);
  /* S = U^T U with U = [[2, 1], [0, sqrt(2)]] */
  lt_tensor *u = TMP(lt_potrf(NULL, s, 'U')), *l = TMP(lt_cholesky(NULL, s, false));
  CHECK_NEAR(at(u, 0, 0), 2, 1e-15);
  CHECK_NEAR(at(u, 0, 1), 1, 1e-15);
  CHECK_NEAR(at(u, 1, 0), 0, 0);
  CHECK_NEAR(at(u, 1, 1), sqrt(2), 1e-15);
  CHECK_NEAR(at(l, 1, 0), 1, 1e-15);
  CHECK_NEAR(at(l, 0, 1), 0, 0);
}

TEST(lapack_errors) {
  static const double Z[] = {1, 2, 2, 4}, N[] = {1, 2, 2, 1};
  lt_tensor *z = TMP(mat2(Z, 2, 2, LT_FLOAT64)), *n = TMP(mat2(N, 2, 2, LT_FLOAT64));
  lt_tensor *li = TMP(mat2(Z, 2, 2, LT_INT64)), *x, *lu;
  CHECK_ERR(lt_inverse(NULL, z) != NULL, "torch.inverse: the matrix is singular (U(2,2) is zero)");
  CHECK_ERR(lt_gesv(NULL, NULL, z, z, &x, &lu) == 0, "torch.gesv: the matrix A is singular");
  CHECK_ERR(lt_potrf(NULL, n, 'U') != NULL, "not positive definite");
  CHECK_ERR(lt_potrf(NULL, n, 'Q') != NULL, "uplo must be one of");
  CHECK_ERR(lt_det(li) != NULL, "torch.det: A must be a FloatTensor or DoubleTensor, got LongTensor");
  CHECK_NEAR(lt_get(TMP(lt_det(z)), NULL), 0, 0);   /* singular: exactly 0 */
}

/* d det(A) / dA by backward against central differences, in float64 */
TEST(lapack_det_gradient) {
  static const double A[] = {1.5, -0.3, 0.2, 0.7, 2.1, -0.4, -0.6, 0.5, 1.2};
  lt_tensor *a = TMP(mat2(A, 3, 3, LT_FLOAT64));
  lt_set_requires_grad(a, true);
  lt_tensor *d = lt_det(a);
  CHECK(d && lt_backward(1, &d, NULL, false, false) == 0);
  lt_release(d);
  lt_tensor *b = TMP(mat2(A, 3, 3, LT_FLOAT64));
  for (int64_t i = 0; i < 3; i++)
    for (int64_t j = 0; j < 3; j++) {
      int64_t ix[2] = {i, j};
      double v = lt_get(b, ix), h = 1e-6;
      lt_put(b, ix, v + h);
      double p = lt_get(TMP(lt_det(b)), NULL);
      lt_put(b, ix, v - h);
      double m = lt_get(TMP(lt_det(b)), NULL);
      lt_put(b, ix, v);
      CHECK_NEAR(lt_get(a->grad, ix), (p - m) / (2 * h), 1e-8);
    }
}
