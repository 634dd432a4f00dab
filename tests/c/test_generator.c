/* test_generator.c: generators of their own (independent streams), the alias method
 * (random_alias.c) and storage views (storage_view.c). */
#include "harness.h"
#include <string.h>

TEST(generator_own_stream) {
  lt_generator g1, g2;
  memset(&g1, 0, sizeof g1);
  memset(&g2, 0, sizeof g2);
  lt_generator_seed(&g1, 77);
  lt_generator_seed(&g2, 77);
  int64_t n = 9;
  lt_tensor *a = TMP(lt_empty(1, &n, LT_FLOAT64, lt_cpu()));
  lt_tensor *b = TMP(lt_empty(1, &n, LT_FLOAT64, lt_cpu()));
  CHECK(lt_uniform(a, &g1, 0, 1) == 0);
  lt_uniform(b, NULL, 0, 1);                 /* the default generator: no effect on g2 */
  CHECK(lt_uniform(b, &g2, 0, 1) == 0);
  CHECK(memcmp(lt_data(a), lt_data(b), sizeof(double) * 9) == 0);
  CHECK(g1.offset == 5 && g2.offset == 5);   /* ceil(9/2) blocks of wide draws */
}

TEST(alias_setup_and_draw) {
  int64_t K = 4;
  lt_tensor *p = TMP(lt_empty(1, &K, LT_FLOAT64, lt_cpu()));
  double *pv = lt_data(p);
  pv[0] = 1; pv[1] = 2; pv[2] = 3; pv[3] = 4;   /* unnormalized: 0.1 .. 0.4 */
  lt_tensor *J, *q;
  CHECK(lt_multinomial_alias_setup(p, &J, &q) == 0);
  TMP(J);
  TMP(q);
  const int64_t *j = lt_data(J);
  const double *qv = lt_data(q);
  /* hand-computed: K*p = .4 .8 1.2 1.6 */
  CHECK(j[0] == 3 && j[1] == 3 && j[2] == 2 && j[3] == 2);
  CHECK_NEAR(qv[0], 0.4, 1e-12);
  CHECK_NEAR(qv[1], 0.8, 1e-12);
  CHECK_NEAR(qv[2], 1.0, 1e-12);
  CHECK_NEAR(qv[3], 0.8, 1e-12);
  lt_generator g;
  memset(&g, 0, sizeof g);
  lt_generator_seed(&g, 3);
  int64_t n = 40000;
  lt_tensor *out = TMP(lt_empty(1, &n, LT_INT64, lt_cpu()));
  CHECK(lt_multinomial_alias_draw(out, &g, J, q) == 0);
  CHECK(g.offset == (uint64_t)n);
  int64_t c[4] = {0};
  const int64_t *o = lt_data(out);
  for (int64_t i = 0; i < n; i++) {
    CHECK(o[i] >= 0 && o[i] < 4);
    if (o[i] >= 0 && o[i] < 4) c[o[i]]++;
  }
  for (int k = 0; k < 4; k++) {   /* fixed seed; 6 standard deviations */
    double pk = (k + 1) / 10.0, sd = sqrt(n * pk * (1 - pk));
    CHECK(fabs(c[k] - n * pk) <= 6 * sd);
  }
  pv[1] = -1;
  CHECK_ERR(lt_multinomial_alias_setup(p, &J, &q) == 0, "non-negative");
}

TEST(storage_view) {
  lt_storage *s = lt_storage_new(LT_FLOAT32, 1000, lt_cpu());
  float *d = s->data;
  for (int i = 0; i < 1000; i++) d[i] = (float)i;
  lt_storage *v = lt_storage_view(s, 10, 5);
  CHECK(v && v->size == 5 && ((float *)v->data)[0] == 10.0f);
  CHECK(s->views == 1 && s->refcount == 2);
  CHECK_ERR(lt_storage_resize(s, 100000) == 0, "storage views");
  CHECK(lt_storage_resize(s, 20) == 0);      /* shrinking keeps the buffer */
  CHECK_ERR(lt_storage_resize(v, 6) == 0, "own its memory");
  CHECK_ERR(lt_storage_view(s, 18, 5) != NULL, "do not fit");
  lt_storage_release(s);                      /* the view holds it */
  CHECK(((float *)v->data)[4] == 14.0f);
  lt_storage_release(v);                      /* frees both */
}
