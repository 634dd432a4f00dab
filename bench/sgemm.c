/* sgemm.c: lt_mm on float32 against cblas_sgemm called directly (the target: within 5%).
 *
 * Build and run without the Makefile (after `make` has built the engine library):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -fopenmp -Itensor -I/usr/include/x86_64-linux-gnu/openblas-openmp \
 *      bench/sgemm.c build/lib/libluatorch.a -L/usr/lib/x86_64-linux-gnu/openblas-openmp \
 *      -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas -lm -ldl -lpthread \
 *      -o build/bench/sgemm && build/bench/sgemm [n] [reps]
 *
 * Each round times, interleaved: cblas_sgemm into a preallocated C; lt_mm(NULL, A, B)
 * (allocates its result, as `torch.mm(a, b)` does); lt_mm(out, A, B) into a reused out; and
 * lt_mm with a transposed B (no copy: passed to BLAS as Trans). Best and median of the
 * rounds are printed with the ratio to the direct call. `sgemm mlp1` times the batch-1 MLP's
 * three matrix-vector products alone (the floor of that row). */
#include "luatorch.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static lt_tensor *rand_mat(int64_t n) {
  int64_t s[2] = {n, n};
  lt_tensor *t = lt_empty(2, s, LT_FLOAT32, lt_cpu());
  float *p = lt_data(t);
  uint32_t x = 12345;
  for (int64_t i = 0; i < n * n; i++) { x = x * 1664525u + 1013904223u; p[i] = (float)(x >> 8) / 16777216.0f - 0.5f; }
  return t;
}

/* `sgemm mlp1`: the floor of the batch-1 MLP row, its three products alone: cblas_sgemv
 * through the weights of nn.Linear 784->512, 512->256, 256->10 (row-major, as
 * nn.Linear holds them), median of 500 rounds. */
static int mlp1(void) {
  static const int dims[4] = {784, 512, 256, 10};
  float *w[3], *v[4];
  uint32_t x = 12345;
  for (int l = 0; l < 4; l++) v[l] = calloc((size_t)dims[l], sizeof(float));
  for (int l = 0; l < 3; l++) {
    size_t sz = (size_t)dims[l] * dims[l + 1];
    w[l] = malloc(sz * sizeof(float));
    for (size_t i = 0; i < sz; i++) { x = x * 1664525u + 1013904223u; w[l][i] = (float)(x >> 8) / 16777216.0f - 0.5f; }
  }
  for (int i = 0; i < dims[0]; i++) v[0][i] = 0.01f * (float)(i % 7);
  enum { R = 500 };
  static double ts[R];
  for (int r = -20; r < R; r++) {
    double t0 = now();
    for (int l = 0; l < 3; l++)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, dims[l + 1], dims[l], 1.0f, w[l], dims[l], v[l], 1, 0.0f, v[l + 1], 1);
    if (r >= 0) ts[r] = now() - t0;
  }
  qsort(ts, R, sizeof(double), cmp);
  printf("cblas_sgemv x3 (MLP 784-512-256-10, batch 1): best %.2f us, median %.2f us\n", ts[0] * 1e6, ts[R / 2] * 1e6);
  printf("ROW\tcblas_sgemv MLP 784-512-256-10\t%.9g\n", ts[R / 2]);
  for (int l = 0; l < 3; l++) free(w[l]);
  for (int l = 0; l < 4; l++) free(v[l]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "mlp1")) return mlp1();
  int64_t n = argc > 1 ? atoll(argv[1]) : 1024;
  int reps = argc > 2 ? atoi(argv[2]) : 15;
  if (n < 1 || reps < 1 || reps > 1000) { fprintf(stderr, "usage: sgemm [n] [reps]\n"); return 2; }
  lt_tensor *A = rand_mat(n), *B = rand_mat(n), *Bt0 = rand_mat(n);
  lt_tensor *Bt = lt_transpose(Bt0, 0, 1);
  int64_t s[2] = {n, n};
  lt_tensor *out = lt_empty(2, s, LT_FLOAT32, lt_cpu());
  float *C = malloc(sizeof(float) * n * n);
  const float *a = lt_data(A), *b = lt_data(B);
  double *t[4];
  for (int k = 0; k < 4; k++) t[k] = malloc(sizeof(double) * reps);
  for (int warm = 0; warm < 2; warm++) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1, a, (int)n, b, (int)n, 0, C, (int)n);
    lt_tensor *r = lt_mm(NULL, A, B);
    lt_release(r);
  }
  for (int i = 0; i < reps; i++) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1, a, (int)n, b, (int)n, 0, C, (int)n);
    double t1 = now();
    lt_tensor *r = lt_mm(NULL, A, B);
    double t2 = now();
    lt_release(r);
    double t3 = now();
    lt_tensor *r2 = lt_mm(out, A, B);
    double t4 = now();
    lt_release(r2);
    double t5 = now();
    lt_tensor *r3 = lt_mm(NULL, A, Bt);
    double t6 = now();
    lt_release(r3);
    if (!r || !r2 || !r3) { fprintf(stderr, "lt_mm: %s\n", lt_errmsg()); return 1; }
    t[0][i] = t1 - t0; t[1][i] = t2 - t1; t[2][i] = t4 - t3; t[3][i] = t6 - t5;
  }
  const char *names[4] = {"cblas_sgemm (direct)", "lt_mm(NULL, A, B)", "lt_mm(out, A, B)", "lt_mm(NULL, A, B^T view)"};
  double best0 = 0, med0 = 0;
  printf("sgemm n=%lld, %d rounds, %d threads\n", (long long)n, reps, lt_get_num_threads());
  for (int k = 0; k < 4; k++) {
    qsort(t[k], reps, sizeof(double), cmp);
    double best = t[k][0], med = t[k][reps / 2];
    if (k == 0) { best0 = best; med0 = med; printf("ROW\tcblas_sgemm %lld\t%.9g\n", (long long)n, med); }
    printf("  %-26s best %8.3f ms  median %8.3f ms  %7.1f GFLOP/s  ratio best %.3f  median %.3f\n",
           names[k], best * 1e3, med * 1e3, 2.0 * n * n * n / best * 1e-9, best / best0, med / med0);
  }
  for (int k = 0; k < 4; k++) free(t[k]);
  free(C);
  lt_release(A); lt_release(B); lt_release(Bt0); lt_release(Bt); lt_release(out);
  return 0;
}
