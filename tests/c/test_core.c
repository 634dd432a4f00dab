#include "harness.h"
#include "scalar_math.h"
#include <string.h>

static lt_tensor *from(int n, const double *v, lt_dtype dt) {
  int64_t sz = n;
  lt_tensor *t = lt_empty(1, &sz, dt, lt_cpu());
  for (int64_t i = 0; i < n; i++) lt_put(t, &i, v[i]);
  return t;
}

TEST(core_views_share_storage) {
  int64_t sz[2] = {3, 4};
  lt_tensor *t = lt_zeros(2, sz, LT_FLOAT32, lt_cpu());
  lt_tensor *tr = lt_transpose(t, 0, 1);
  CHECK(tr->size[0] == 4 && tr->size[1] == 3 && tr->stride[0] == 1 && tr->stride[1] == 4);
  CHECK(!lt_is_contiguous(tr));
  int64_t idx[2] = {2, 1};
  lt_put(tr, idx, 7);
  int64_t idx2[2] = {1, 2};
  CHECK(lt_get(t, idx2) == 7);
  lt_tensor *n = lt_narrow(t, 1, 1, 2);
  CHECK(n->size[1] == 2 && n->offset == 1);
  CHECK_ERR(lt_narrow(t, 1, 3, 2) != NULL, "out of bounds");
  CHECK_ERR(lt_select(t, 2, 0) != NULL, "dimension 3 out of range");
  int64_t v[1] = {-1};
  lt_tensor *flat = lt_view(t, 1, v);
  CHECK(flat && flat->size[0] == 12);
  CHECK_ERR(lt_view(tr, 1, v) != NULL, "reshape");
  lt_tensor *r = lt_reshape(tr, 1, v);
  CHECK(r && r->size[0] == 12 && r->storage != t->storage);
  lt_release(r); lt_release(flat); lt_release(n); lt_release(tr); lt_release(t);
}

TEST(core_binary_broadcast_and_types) {
  double av[3] = {1, 2, 3}, bv[2] = {10, 20};
  lt_tensor *a = from(3, av, LT_FLOAT64);
  lt_tensor *b0 = from(2, bv, LT_FLOAT64);
  int64_t s2[2] = {2, 1};
  lt_tensor *b = lt_view(b0, 2, s2);            /* 2x1 */
  lt_tensor *c = lt_binary(LT_ADD, NULL, a, b, 1); /* 2x3 */
  CHECK(c && c->ndim == 2 && c->size[0] == 2 && c->size[1] == 3);
  int64_t i[2] = {1, 2};
  CHECK(lt_get(c, i) == 23);
  lt_tensor *d = lt_binary(LT_SUB, NULL, a, a, 2);   /* a - 2a */
  int64_t j = 1;
  CHECK(lt_get(d, &j) == -2);
  /* integer division by zero does not trap */
  double iv[2] = {7, -7}, zv[2] = {0, 2};
  lt_tensor *x = from(2, iv, LT_INT32), *z = from(2, zv, LT_INT32);
  lt_tensor *q = lt_binary(LT_DIV, NULL, x, z, 1);
  int64_t k0 = 0, k1 = 1;
  CHECK(lt_get(q, &k0) == 0 && lt_get(q, &k1) == -3);
  lt_tensor *m = lt_binary(LT_REMAINDER, NULL, x, z, 1);
  CHECK(lt_get(m, &k1) == 1);
  lt_tensor *g = lt_binary_scalar(LT_GT, NULL, a, 1.5, false);
  CHECK(g->dtype == LT_UINT8 && lt_get(g, &k0) == 0 && lt_get(g, &k1) == 1);
  CHECK_ERR(lt_binary(LT_ADD, NULL, a, b0, 1) != NULL, "do not broadcast");
  lt_release(a); lt_release(b0); lt_release(b); lt_release(c); lt_release(d);
  lt_release(x); lt_release(z); lt_release(q); lt_release(m); lt_release(g);
}

TEST(core_half_roundtrip) {
  float vals[6] = {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 3.14159f};
  for (int i = 0; i < 6; i++) {
    float h = lt_half_to_float(lt_float_to_half(vals[i]));
    float bf = lt_bf16_to_float(lt_float_to_bf16(vals[i]));
    CHECK_NEAR(bf, vals[i], fabs(vals[i]) * 1e-2);
    CHECK_NEAR(h, vals[i], fabs(vals[i]) * 1e-3);
  }
}

/* lt_devname: the names of several devices can be used in one message */
const char *lt_devname(lt_device d);   /* internal.h */
TEST(core_devname_several_in_one_message) {
  char msg[64];
  lt_device c0 = {LT_CUDA, 0}, c1 = {LT_CUDA, 1}, c2 = {LT_CUDA, 12}, cpu = {LT_CPU, 0};
  snprintf(msg, sizeof msg, "%s %s %s %s", lt_devname(c0), lt_devname(c1), lt_devname(cpu), lt_devname(c2));
  CHECK(strcmp(msg, "cuda:0 cuda:1 cpu cuda:12") == 0);
}

/* whole scalars with integer tensors are exact (scalar_exact.c): int64 beyond 2^53,
 * comparisons with values outside the type, fills */
TEST(core_integer_scalars_exact) {
  const int64_t B = (int64_t)1 << 60;
  int64_t two = 2, k0 = 0, k1 = 1;
  lt_tensor *a = TMP(lt_empty(1, &two, LT_INT64, lt_cpu()));
  CHECK(lt_fill_int(a, B + 1) == 0 && lt_get_int(a, &k0) == B + 1 && lt_get_int(a, &k1) == B + 1);
  lt_tensor *e = TMP(lt_binary_scalar_int(LT_EQ, NULL, a, B + 1, false));
  lt_tensor *n = TMP(lt_binary_scalar_int(LT_EQ, NULL, a, B, false));
  CHECK(e && n && lt_get(e, &k0) == 1 && lt_get(n, &k0) == 0);   /* as doubles both are 2^60 */
  lt_tensor *d = TMP(lt_binary_scalar_int(LT_SUB, NULL, a, B, false));
  CHECK(d && lt_get_int(d, &k0) == 1);
  lt_tensor *q = TMP(lt_binary_scalar_int(LT_DIV, NULL, a, B + 1, false));
  CHECK(q && lt_get_int(q, &k0) == 1);
  /* int32: 2^31 - 1 is not 2^32 (stored into int32, 2^32 saturated to 2^31 - 1) */
  lt_tensor *i = TMP(lt_empty(1, &two, LT_INT32, lt_cpu()));
  CHECK(lt_fill(i, 2147483647.0) == 0);
  lt_tensor *c1 = TMP(lt_binary_scalar(LT_EQ, NULL, i, 4294967296.0, false));
  lt_tensor *c2 = TMP(lt_binary_scalar_int(LT_LT, NULL, i, (int64_t)1 << 32, false));
  lt_tensor *c3 = TMP(lt_binary_scalar_int(LT_GT, NULL, i, (int64_t)1 << 32, true));   /* 2^32 > i */
  CHECK(c1 && lt_get(c1, &k0) == 0 && c2 && lt_get(c2, &k0) == 1 && c3 && lt_get(c3, &k0) == 1);
  /* fmod by a divisor outside int32: exact (7), not by its low bits (0) */
  CHECK(lt_fill(i, 7) == 0);
  lt_tensor *f = TMP(lt_binary_scalar_int(LT_FMOD, NULL, i, (int64_t)1 << 40, false));
  CHECK(f && f->dtype == LT_INT32 && lt_get_int(f, &k0) == 7);
  /* cmax saturates into the type */
  lt_tensor *m = TMP(lt_binary_scalar_int(LT_MAX, NULL, i, (int64_t)1 << 40, false));
  CHECK(m && lt_get_int(m, &k0) == 2147483647);
  CHECK_ERR(lt_binary_scalar(LT_DIV, NULL, i, 1e300, false) != NULL, "beyond the int64 range");
}
