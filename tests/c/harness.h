/* harness.h: the engine's C unit tests. Each test file defines TEST(name) { ... };
 * main.c runs them all and prints "N passed, N failed". */
#ifndef LT_HARNESS_H
#define LT_HARNESS_H
#include "luatorch.h"
#include <math.h>
#include <stdio.h>

typedef void (*lt_test_fn)(void);
void lt_test_register(const char *name, lt_test_fn fn);
extern int lt_test_failures;   /* checks failed in the running test */
/* TMP(t): t (a new reference made inline, as an argument) is released when the running
 * test ends, so that the tests themselves leak nothing (make check-asan, check-valgrind) */
lt_tensor *lt_test_temp(lt_tensor *t);
#define TMP(t) lt_test_temp(t)

#define TEST(name)                                                                  \
  static void name(void);                                                           \
  __attribute__((constructor)) static void reg_##name(void) { lt_test_register(#name, name); } \
  static void name(void)

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);      \
      lt_test_failures++;                                                           \
    }                                                                               \
  } while (0)
#define CHECK_NEAR(a, b, tol)                                                       \
  do {                                                                              \
    double _a = (a), _b = (b);                                                      \
    if (!(fabs(_a - _b) <= (tol))) {                                                \
      fprintf(stderr, "  %s:%d: %s = %.10g, expected %.10g\n", __FILE__, __LINE__, #a, _a, _b); \
      lt_test_failures++;                                                           \
    }                                                                               \
  } while (0)
/* an engine call that must fail with a message containing `part` */
#define CHECK_ERR(expr, part)                                                       \
  do {                                                                              \
    lt_seterr("%s", "");                                                            \
    int _ok = (expr);                                                               \
    if (_ok || !strstr(lt_errmsg(), part)) {                                        \
      fprintf(stderr, "  %s:%d: expected failure with '%s', got %s (%s)\n", __FILE__, __LINE__, \
              part, _ok ? "success" : "failure", lt_errmsg());                      \
      lt_test_failures++;                                                           \
    }                                                                               \
  } while (0)
#endif
