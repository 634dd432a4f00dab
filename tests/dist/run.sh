#!/bin/sh
# The distributed tests: sh tests/dist/run.sh [BUILD_DIR]   (a part of tests/run.sh)
# Runs tests/dist/collectives.lua under mpirun with 2 and 3 ranks (a check passes when
# every rank printed "ok" for it) and tests/dist/peer_dies.lua (a job whose peer dies or
# hangs must end, not hang). Ends with "dist: N passed, N failed[, N skipped]"; skips
# with a printed reason where mpirun or distributed/core.so is missing.
#
# mpirun's options: --oversubscribe (more ranks than cores: this machine may have 2),
# --allow-run-as-root (containers run tests as root; OpenMPI refuses root without it);
# MCA settings: shared memory only (btl self,vader: no TCP interfaces probed, no network
# needed), and vader's single-copy mechanism off (CMA's process_vm_readv is refused where
# ptrace is restricted, e.g. in some sandboxes; copies through the shared segment work
# everywhere). TIMEOUT bounds each job, so a hang fails rather than blocks the suite.
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
cd "$root" || exit 1
TIMEOUT=${DIST_TIMEOUT:-60}

if ! command -v mpirun >/dev/null 2>&1; then
  echo "skip dist: mpirun not found (sh scripts/deps.sh installs openmpi-bin and libopenmpi-dev)"
  echo "dist: 0 passed, 0 failed, 1 skipped"; exit 0
fi
if [ ! -f "$BUILD/lib/lua/5.4/distributed/core.so" ]; then
  echo "skip dist: $BUILD/lib/lua/5.4/distributed/core.so not built (no mpicc when it was built)"
  echo "dist: 0 passed, 0 failed, 1 skipped"; exit 0
fi
if [ -x "$BUILD/bin/th" ]; then TH=$BUILD/bin/th
else echo "FAIL dist: $BUILD/bin/th not built"; echo "dist: 0 passed, 1 failed"; exit 1; fi

export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
# Under make check-asan: no leak report from the ranks. OpenMPI unloads its components
# (dlclose) in MPI_Finalize, so what they keep at exit is reported from "<unknown
# module>" and cannot be told apart from ours or suppressed by library; ASan's and
# UBSan's other checks stay on in the ranks, and our leaks are caught by the rest of the
# suite (the module's own paths also run in test_distributed.lua without MPI).
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
[ "$(id -u)" -eq 0 ] && ROOTFLAG=--allow-run-as-root
tmp=$(mktemp -d "${TMPDIR:-/tmp}/luatorch_dist.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

for np in 2 3; do
  out=$tmp/np$np.out
  timeout "$TIMEOUT" mpirun $ROOTFLAG --oversubscribe -np $np "$TH" tests/dist/collectives.lua >"$out" 2>&1
  rc=$?
  grep '^not ok' "$out"
  # per check: passed when all np ranks said ok
  counts=$(awk -v np=$np '/^ok /{ok[substr($0,4)]++} /^not ok /{n=substr($0,8); sub(/: rank [0-9]+: .*/, "", n); bad[n]=1}
    END { p=0; f=0; for (k in ok) if (ok[k]==np && !(k in bad)) p++; else f++; for (k in bad) if (!(k in ok)) f++; print p, f }' "$out")
  p=${counts% *}; f=${counts#* }
  done_ranks=$(grep -c '^done rank' "$out")
  if [ "$rc" -ne 0 ] || [ "$done_ranks" -ne $np ]; then
    echo "FAIL dist: mpirun -np $np exited with status $rc ($done_ranks of $np ranks finished$( [ $rc -eq 124 ] && echo ', timed out'))"
    tail -n 30 "$out" | grep -v '^ok '
    f=$((f + 1))
  fi
  echo "dist -np $np: $p passed, $f failed"
  pass=$((pass + p)); fail=$((fail + f))
done

# a peer that dies or hangs: the job ends in seconds with a failure status, and in the
# hang case rank 0's watchdog reports the timeout
for mode in die hang; do
  out=$tmp/$mode.out
  start=$(date +%s)
  timeout 30 mpirun $ROOTFLAG --oversubscribe -np 2 "$TH" tests/dist/peer_dies.lua $mode >"$out" 2>&1
  rc=$?; took=$(( $(date +%s) - start ))
  ok=1
  [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] && ok=0
  [ "$mode" = hang ] && ! grep -q '^distributed.allReduce: timed out after 2 s on rank 0 of 2 waiting for the other ranks' "$out" && ok=0
  if [ $ok -eq 1 ]; then
    echo "ok peer $mode: the job ended in ${took}s with status $rc"; pass=$((pass + 1))
  else
    echo "not ok peer $mode: status $rc after ${took}s"; sed 's/^/#   /' "$out" | head -20; fail=$((fail + 1))
  fi
done

echo "dist: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
