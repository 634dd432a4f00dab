#include "harness.h"
#include <stdlib.h>
#include <string.h>

int lt_test_failures;
static struct { const char *name; lt_test_fn fn; } tests[1024];
static int ntests;
void lt_test_register(const char *name, lt_test_fn fn) {
  if (ntests < 1024) { tests[ntests].name = name; tests[ntests].fn = fn; ntests++; }
}

int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  for (int i = 0; i < ntests; i++) {
    if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
    lt_test_failures = 0;
    tests[i].fn();
    if (lt_test_failures) { failed++; printf("FAIL c/%s\n", tests[i].name); }
    else passed++;
  }
  printf("c: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
