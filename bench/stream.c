/* stream.c: the machine's reference for the 16M-float add and copy in bench/ops.lua: a
 * plain OpenMP loop and memcpy over the same sizes, so `make bench` shows how near the
 * memory bandwidth luatorch's ops run. Not a test. */
#include <omp.h>
#include <stdint.h>
#include <xmmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  size_t n = (size_t)16 << 20;
  float *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
  if (!a || !b || !c) return 1;
#pragma omp parallel for
  for (size_t i = 0; i < n; i++) { a[i] = 1; b[i] = 2; c[i] = 0; }
  double best = 1e9, ts[20];
  for (int r = 0; r < 20; r++) {
    double t = now();
#pragma omp parallel for
    for (size_t i = 0; i < n; i++) c[i] = a[i] + b[i];
    t = now() - t;
    ts[r] = t;
    if (t < best) best = t;
  }
  printf("%-34s %10.3f us   %8.2f GB/s\n", "C loop c = a + b, 16M floats", best * 1e6, 3.0 * n * 4 / best / 1e9);
  /* for bench/table.lua: the median, as its other rows */
  for (int i = 1; i < 20; i++)
    for (int j = i; j > 0 && ts[j - 1] > ts[j]; j--) { double x = ts[j]; ts[j] = ts[j - 1]; ts[j - 1] = x; }
  printf("ROW\tC loop c = a + b, 16M\t%.9g\n", ts[10]);
  best = 1e9;
  for (int r = 0; r < 20; r++) {
    double t = now();
#pragma omp parallel
    {
      size_t id = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
      size_t lo = n * id / nt, hi = n * (id + 1) / nt;
      memcpy(c + lo, a + lo, (hi - lo) * 4);
    }
    t = now() - t;
    if (t < best) best = t;
  }
  printf("%-34s %10.3f us   %8.2f GB/s\n", "memcpy, 16M floats", best * 1e6, 2.0 * n * 4 / best / 1e9);
  /* a copy loop with streaming stores: the least traffic of a one-input op (exp, relu,
   * sigmoid: read 4 bytes, write 4 without reading the line first), the ceiling
   * bench/table.lua shows for those rows */
  for (int r = 0; r < 20; r++) {
    double t = now();
#pragma omp parallel
    {
      size_t id = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
      size_t lo = n * id / nt, hi = n * (id + 1) / nt, i = lo;
      for (; i < hi && (uintptr_t)(c + i) % 16; i++) c[i] = a[i];
      for (; i + 4 <= hi; i += 4) _mm_stream_ps(c + i, _mm_loadu_ps(a + i));
      for (; i < hi; i++) c[i] = a[i];
      _mm_sfence();
    }
    ts[r] = now() - t;
  }
  for (int i = 1; i < 20; i++)
    for (int j = i; j > 0 && ts[j - 1] > ts[j]; j--) { double x = ts[j]; ts[j] = ts[j - 1]; ts[j - 1] = x; }
  printf("%-34s %10.3f us   %8.2f GB/s\n", "copy loop, streaming stores (median)", ts[10] * 1e6, 2.0 * n * 4 / ts[10] / 1e9);
  printf("ROW\tC loop c = a (streaming), 16M\t%.9g\n", ts[10]);
  free(a); free(b); free(c);
  return 0;
}
