/* mpi_allreduce.c: the reference for distributed.allReduce in `make bench-dist`:
 * MPI_Allreduce(MPI_IN_PLACE, float buffer, sum) called directly, over the sizes of
 * bench/dist_allreduce.lua, measured the same way: the buffer written once (no page
 * faults in the timed calls), warm-up calls, then REPS calls, each between barriers and
 * timed on its own; rank 0 prints, per size, the median and the minimum. Not a test.
 *   mpirun -np 2 mpi_allreduce [MB ...]      (default 1 4 16 64 256)
 * (MB may be a fraction: 0.004 is 4 KiB.)
 * Output lines: ROW <tab> mpi <tab> MB <tab> median seconds <tab> min seconds */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

/* the number of timed calls for a message of mb MB: fewer for the large ones (about 2 GB
 * moved per size, at most 200), at least 7 so the median means something; mirrored in dist_allreduce.lua */
static int reps_for(double mb) {
  int r = (int)(2048 / mb);
  return r < 7 ? 7 : r > 200 ? 200 : r;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  static const double deflt[] = {1, 4, 16, 64, 256};
  int nsizes = argc > 1 ? argc - 1 : 5;
  for (int s = 0; s < nsizes; s++) {
    double mb = argc > 1 ? atof(argv[s + 1]) : deflt[s];
    if (!(mb > 0) || mb > 2048) {
      if (rank == 0) fprintf(stderr, "mpi_allreduce: bad size '%s' (MB in (0, 2048] expected)\n", argv[s + 1]);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int n = (int)(mb * 1024 * 1024 / sizeof(float));
    float *buf = malloc((size_t)n * sizeof(float));
    int reps = reps_for(mb);
    double *t = malloc((size_t)reps * sizeof(double));
    if (!buf || !t) MPI_Abort(MPI_COMM_WORLD, 1);
    for (int i = 0; i < n; i++) buf[i] = 1.0f / (float)(1 + rank);
    for (int w = 0; w < 2; w++) MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    for (int r = 0; r < reps; r++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      t[r] = MPI_Wtime() - t0;
    }
    /* every rank's time counts: the call is over when the slowest rank returns */
    MPI_Allreduce(MPI_IN_PLACE, t, reps, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    qsort(t, (size_t)reps, sizeof(double), cmp);
    if (rank == 0) printf("ROW\tmpi\t%g\t%.9g\t%.9g\n", mb, t[reps / 2], t[0]);
    fflush(stdout);
    free(t);
    free(buf);
  }
  MPI_Finalize();
  return 0;
}
