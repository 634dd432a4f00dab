#!/bin/sh
# The distributed tests: sh tests/dist/run.sh [BUILD_DIR]   (a part of tests/run.sh)
# Runs tests/dist/collectives.lua and dp_train.lua under mpirun with 2 and 3 ranks (a check
# passes when every rank printed "ok" for it) and tests/dist/peer_dies.lua (a job whose peer dies or
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
pass=0 fail=0 skipped=0

# ranks NP SCRIPT [ARGS]: runs tests/dist/SCRIPT.lua on NP ranks; a check passes when
# all NP ranks printed "ok NAME", and the job must end with every rank's "done rank"
ranks() {
  np=$1; file=$2; shift 2
  label="$file${1:+ $1}"
  out=$tmp/$file.$*.$np.out
  timeout "$TIMEOUT" mpirun $ROOTFLAG --oversubscribe -np "$np" "$TH" "tests/dist/$file.lua" "$@" >"$out" 2>&1
  rc=$?
  grep '^not ok' "$out"
  counts=$(awk -v np="$np" '/^ok /{ok[substr($0,4)]++} /^not ok /{n=substr($0,8); sub(/: rank [0-9]+: .*/, "", n); bad[n]=1}
    END { p=0; f=0; for (k in ok) if (ok[k]==np && !(k in bad)) p++; else f++; for (k in bad) if (!(k in ok)) f++; print p, f }' "$out")
  p=${counts% *}; f=${counts#* }
  [ $((p + f)) -eq 0 ] && { echo "FAIL dist: $label -np $np ran no checks"; f=1; }
  done_ranks=$(grep -c '^done rank' "$out")
  if [ "$rc" -ne 0 ] || [ "$done_ranks" -ne "$np" ]; then
    echo "FAIL dist: $label: mpirun -np $np exited with status $rc ($done_ranks of $np ranks finished$( [ $rc -eq 124 ] && echo ', timed out'))"
    tail -n 30 "$out" | grep -v '^ok '
    f=$((f + 1))
  fi
  echo "dist $label -np $np: $p passed, $f failed"
  pass=$((pass + p)); fail=$((fail + f))
}

# fmnist LABEL NP CHECK [ARGS]: examples/fashion_mnist.lua -distributed on NP ranks for one
# short epoch (ARGS: more of its options); passes when the job ends with status 0, a test
# accuracy above 0.3, and the shell command CHECK ('' for none) succeeds on its output $out
fmnist() {
  label=$1; np=$2; extra=$3; shift 3
  out=$tmp/fmnist.$np.out
  timeout "$TIMEOUT" mpirun $ROOTFLAG --oversubscribe -np "$np" "$TH" examples/fashion_mnist.lua -distributed \
    -epochs 1 -n 1024 -noterm -plot '' "$@" >"$out" 2>&1
  rc=$?
  acc=$(sed -n 's/^epoch 1: loss [0-9.]*, test accuracy \([0-9.]*\),.*/\1/p' "$out")
  if [ "$rc" -eq 0 ] && [ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a > 0.3) }' && eval "${extra:-true}"; then
    echo "ok $label (test accuracy $acc)"; pass=$((pass + 1))
  else
    echo "not ok $label: status $rc, accuracy '$acc'"
    grep -av '^ *\[' "$out" | tail -n 20 | sed 's/^/#   /'; fail=$((fail + 1))
  fi
}

# the collectives, then the data-parallel helpers and training (dp_train.lua)
for np in 2 3; do ranks $np collectives; done
for np in 2 3; do ranks $np dp_train; done

# the Fashion-MNIST example, data-parallel on 2 ranks (one short epoch): only rank 0
# prints and saves, the test accuracy is the sum of both ranks' counts
if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  fmnist 'fashion_mnist.lua -distributed on 2 ranks' 2 \
    'grep -q "^data-parallel over 2 processes: 64 images per step each, 128 in all" "$out" &&
     [ "$(grep -c "^epoch 1: loss" "$out")" -eq 1 ] && [ -s "$tmp/fmnist.t7" ]' -save "$tmp/fmnist.t7"
else
  echo "skip fashion_mnist.lua -distributed: the dataset-fashion-mnist package is not installed"
  skipped=$((skipped + 1))
fi

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

# two hosts: each rank in its own network namespace, messages over a veth pair and TCP
# (tests/dist/netns.sh; its own sandbox and time limit; a skip adds nothing)
sh tests/dist/netns.sh "$BUILD" >"$tmp/netns.out" 2>&1
cat "$tmp/netns.out"
counts=$(sed -n 's/^netns: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$tmp/netns.out")
grep -q '^netns: .*, [0-9]* skipped' "$tmp/netns.out" && skipped=$((skipped + 1))
if [ -n "$counts" ]; then pass=$((pass + ${counts% *})); fail=$((fail + ${counts#* }))
else echo "FAIL dist: tests/dist/netns.sh ended without its summary"; fail=$((fail + 1)); fi

# the NCCL backend (tests/dist/nccl.lua): without a GPU, init's clear error (1 rank); with
# GPUs, every collective on CUDA tensors (1 rank, 2 where there are 2 GPUs) and backend
# 'mpi' refusing CUDA tensors. NCCL_DEBUG=WARN: NCCL's own reason when it fails.
if [ -f "$BUILD/lib/lua/5.4/distributed/nccl.so" ]; then
  ngpu=$("$TH" -e 'print(torch.cuda.deviceCount())' 2>/dev/null | tail -n 1)
  case $ngpu in ''|*[!0-9]*) ngpu=0 ;; esac
  jobs=nccl:1
  [ "$ngpu" -ge 1 ] && jobs="$jobs mpi:1"
  [ "$ngpu" -ge 2 ] && jobs="$jobs nccl:2"
  [ "$ngpu" -eq 0 ] && echo "dist nccl: no CUDA device: only init's error is checked (the collectives need a GPU)"
  export NCCL_DEBUG=${NCCL_DEBUG:-WARN}
  for job in $jobs; do ranks "${job#*:}" nccl "${job%:*}"; done
  # the example on one GPU, data-parallel through NCCL (one short epoch)
  if [ "$ngpu" -ge 1 ] && [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    fmnist 'fashion_mnist.lua -distributed -cuda on 1 rank' 1 '' -cuda -save ''
  fi
else
  echo "skip dist nccl: $BUILD/lib/lua/5.4/distributed/nccl.so not built (it needs mpicc, nvcc and NCCL's nccl.h and libnccl)"
  skipped=$((skipped + 1))
fi

echo "dist: $pass passed, $fail failed$( [ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$fail" -eq 0 ]
