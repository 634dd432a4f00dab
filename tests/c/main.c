#include "harness.h"
#include <stdlib.h>
#include <string.h>

int lt_test_failures;
static struct { const char *name; lt_test_fn fn; } tests[1024];
static int ntests;
void lt_test_register(const char *name, lt_test_fn fn) {
  if (ntests < 1024) { tests[ntests].name = name; tests[ntests].fn = fn; ntests++; }
}

static lt_tensor *temps[256];
static int ntemps;
lt_tensor *lt_test_temp(lt_tensor *t) {
  if (ntemps < 256) temps[ntemps++] = t;
  else { fprintf(stderr, "  lt_test_temp: more than 256 temporaries in one test\n"); lt_test_failures++; }
  return t;
}

int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  for (int i = 0; i < ntests; i++) {
    if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
    lt_test_failures = 0;
    tests[i].fn();
    while (ntemps > 0) lt_release(temps[--ntemps]);
    if (lt_test_failures) { failed++; printf("FAIL c/%s\n", tests[i].name); }
    else passed++;
  }
  printf("c: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
