/* test_numerics.c: lt_nonfinite and the NaN/Inf masks on every float type, strided and
 * large (threaded) inputs; anomaly mode failing a recorded op and a backward with the op's
 * name, and leaving unrecorded ops alone. */
#include "harness.h"
#include <string.h>

static lt_tensor *vec(int n, const double *v, lt_dtype dt) {
  int64_t sz = n;
  lt_tensor *t = lt_empty(1, &sz, dt, lt_cpu());
  for (int64_t i = 0; i < n; i++) lt_put(t, &i, v[i]);
  return t;
}

TEST(nonfinite_scan) {
  const double v[] = {1, NAN, INFINITY, -2};
  lt_dtype dts[] = {LT_FLOAT32, LT_FLOAT64, LT_FLOAT16, LT_BFLOAT16};
  for (int k = 0; k < 4; k++) {
    lt_tensor *t = TMP(vec(4, v, dts[k]));
    CHECK(lt_nonfinite(t) == (LT_HAS_NAN | LT_HAS_INF));
    lt_tensor *a = TMP(lt_narrow(t, 0, 2, 2));   /* inf, -2 */
    CHECK(lt_nonfinite(a) == LT_HAS_INF);
    lt_tensor *b = TMP(lt_narrow(t, 0, 3, 1));
    CHECK(lt_nonfinite(b) == 0);
    lt_tensor *m = TMP(lt_isnan(NULL, t));
    CHECK(m && m->dtype == LT_UINT8);
    int64_t i1 = 1, i2 = 2;
    CHECK(lt_get(m, &i1) == 1 && lt_get(m, &i2) == 0);
    lt_tensor *f = TMP(lt_isfinite(NULL, t));
    CHECK(lt_get(f, &i1) == 0 && lt_get(f, &i2) == 0);
    int64_t i3 = 3;
    CHECK(lt_get(f, &i3) == 1);
  }
  lt_tensor *l = TMP(vec(4, (const double[]){1, 2, 3, 4}, LT_INT64));
  CHECK(lt_nonfinite(l) == 0);
  /* large and strided (every other element): the threaded scan */
  int64_t sz = 100000;
  lt_tensor *big = TMP(lt_zeros(1, &sz, LT_FLOAT64, lt_cpu()));
  int64_t last = sz - 2;
  lt_put(big, &last, NAN);
  lt_tensor *even = TMP(lt_unfold(big, 0, 1, 2));
  CHECK(lt_nonfinite(even) == LT_HAS_NAN);
  lt_tensor *odd = TMP(lt_narrow(big, 0, 1, sz - 1));
  lt_tensor *odd2 = TMP(lt_unfold(odd, 0, 1, 2));
  CHECK(lt_nonfinite(odd2) == 0);
}

TEST(anomaly_mode) {
  CHECK(!lt_anomaly_enabled());
  lt_tensor *x = TMP(vec(2, (const double[]){-1, 4}, LT_FLOAT64));
  lt_set_requires_grad(x, true);
  lt_set_detect_anomaly(true, true);
  CHECK_ERR(lt_unary(LT_LOG, NULL, x) != NULL, "anomaly: log produced NaN in forward");
  lt_tensor *y = TMP(vec(2, (const double[]){0, 4}, LT_FLOAT64));
  lt_set_requires_grad(y, true);
  lt_tensor *s = TMP(lt_unary(LT_SQRT, NULL, y));
  lt_tensor *tot = s ? TMP(lt_reduce_all_tensor(LT_RSUM, s, 0)) : NULL;
  CHECK(tot != NULL);
  if (tot) CHECK_ERR(lt_backward(1, &tot, NULL, false, false) == 0, "the backward of sqrt (SqrtBackward) produced Inf");
  /* an op that records nothing is not checked */
  lt_tensor *c = TMP(vec(1, (const double[]){-1}, LT_FLOAT64));
  CHECK(TMP(lt_unary(LT_LOG, NULL, c)) != NULL);
  CHECK(lt_set_detect_anomaly(false, true));
  lt_tensor *l = TMP(lt_unary(LT_LOG, NULL, x));
  CHECK(l && lt_nonfinite(l) == LT_HAS_NAN);
}
