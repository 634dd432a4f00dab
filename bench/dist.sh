#!/bin/sh
# bench/dist.sh [BUILD]: `make bench-dist` — distributed.allReduce against MPI_Allreduce
# called directly for 1-256 MB between 2 ranks, twice: in the same job on the same tensor,
# call for call (bench/dist_ref.c, BUILD/bench/dist_ref.so), and as a program of its own
# (bench/mpi_allreduce.c, BUILD/bench/mpi_allreduce); and the data-parallel training
# step (bench/dist_step.lua) with 1 process and with 2 ranks. ROUNDS rounds (default 5),
# the jobs interleaved (their order alternating), all under the same mpirun and MCA
# settings; medians over rounds.
# Prints the tables (bench/dist_table.lua) and writes them into bench/RESULTS.md (a block
# of their own: `make bench` keeps it). BENCH_QUICK=1: one round, RESULTS.md untouched.
# Environment: ROUNDS, BATCH (per process, default 64), SIZES (MB, default 1 4 16 64 256),
# NP (default 2); OMPI_MCA_* settings already set are kept.
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
TH=$BUILD/bin/th
REF=$BUILD/bench/mpi_allreduce
export DIST_REF=$BUILD/bench/dist_ref.so
rounds=${ROUNDS:-5}
[ "$BENCH_QUICK" = 1 ] && rounds=1
batch=${BATCH:-64}
np=${NP:-2}
sizes=${SIZES:-1 4 16 64 256}
if ! command -v mpirun >/dev/null 2>&1 || [ ! -f "$BUILD/lib/lua/5.4/distributed/core.so" ] || [ ! -x "$REF" ] || [ ! -f "$DIST_REF" ]; then
  echo "bench-dist: needs mpirun, $BUILD/lib/lua/5.4/distributed/core.so, $REF and $DIST_REF (make BUILD=$BUILD bench-dist)" >&2
  exit 1
fi
# as tests/dist/run.sh: shared memory only, vader's single-copy (CMA) off where not set
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
export OMP_NUM_THREADS=1
[ "$(id -u)" -eq 0 ] && ROOTFLAG=--allow-run-as-root
MPIRUN="mpirun $ROOTFLAG --oversubscribe -np $np"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/luatorch_benchdist.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
{ grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
  echo ", $(getconf _NPROCESSORS_ONLN) cores, $np ranks, $(mpirun --version 2>/dev/null | head -n 1),"
  echo " btl $OMPI_MCA_btl, single copy $OMPI_MCA_btl_vader_single_copy_mechanism, $(date -u +%Y-%m-%d)."; } | tr -d '\n' > "$tmp/machine"
echo "BATCH $batch" > "$tmp/rows"

# one job: its ROW lines kept; a failure ends the benchmark with the job's output
job() {
  timeout 600 "$@" > "$tmp/out" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then echo "bench-dist: failed ($rc): $*" >&2; cat "$tmp/out" >&2; exit 1; fi
  grep '^ROW' "$tmp/out" >> "$tmp/rows"
}
for r in $(seq 1 "$rounds"); do
  echo "round $r of $rounds: allReduce" >&2
  if [ $((r % 2)) -eq 1 ]; then
    job $MPIRUN "$REF" $sizes
    job $MPIRUN -x DIST_REF "$TH" bench/dist_allreduce.lua paired $sizes
  else
    job $MPIRUN -x DIST_REF "$TH" bench/dist_allreduce.lua paired $sizes
    job $MPIRUN "$REF" $sizes
  fi
  echo "round $r of $rounds: data-parallel step" >&2
  for net in cnn mlp; do
    job "$TH" bench/dist_step.lua $net "$batch"
    job $MPIRUN "$TH" bench/dist_step.lua $net "$batch" reduce
    job $MPIRUN "$TH" bench/dist_step.lua $net "$batch" noreduce
  done
done
if [ "$BENCH_QUICK" = 1 ]; then "$TH" bench/dist_table.lua "$tmp"
else "$TH" bench/dist_table.lua "$tmp" bench/RESULTS.md && echo "(written into bench/RESULTS.md)"; fi
