#!/bin/sh
# scripts/device_run.sh [SECONDS]: the GPU checks, run on a lent GPU machine from the
# repository root after unpacking the carried build (see CONTRIBUTING.md, "GPU work").
# Each CUDA test file runs alone (a crash costs one file); scripts/cuda_parity.lua is
# restarted past a function that crashes; then, time allowing, the GPU benchmark and the
# whole Lua suite. Everything stops by SECONDS (default 280) after the start. Logs in $OUT.
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
end=$(( $(date +%s) + ${1:-280} ))
left() { echo $(( end - $(date +%s) )); }
# run LIMIT CMD...: the command, for at most LIMIT seconds and never past the end
run() {
  l=$1; shift
  r=$(left); [ "$r" -lt "$l" ] && l=$r
  [ "$l" -le 2 ] && { echo "=== skipped (out of time): $*"; return 124; }
  timeout "$l" "$@"
}
export LD_LIBRARY_PATH="$PWD/.devlibs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! ls /usr/local/cuda/lib64/libcublas.so.13 >/dev/null 2>&1; then
  d=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
  [ -n "$d" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"
fi
# cuSOLVER (opened by tensor/cuda/solver.cu on first use): the toolkit's, else pip's wheels
# (wherever under site-packages/nvidia they put it, with the libraries it needs: cusparse,
# nvJitLink)
if ! ls /usr/local/cuda/lib64/libcusolver.so.12 >/dev/null 2>&1; then
  for sp in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
    [ -d "$sp/nvidia" ] || continue
    for lib in libcusolver.so.12 'libcusparse.so.1*' 'libnvJitLink.so.1*'; do
      f=$(find "$sp/nvidia" -name "$lib" 2>/dev/null | head -n 1)
      [ -n "$f" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$(dirname "$f")"
    done
  done
fi
{ date; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nproc
  ldd build/lib/libluatorch_cuda.so | grep -E 'not found|cublas'
  python3 -c 'import ctypes; ctypes.CDLL("libcusolver.so.12"); print("libcusolver.so.12 loads")' 2>&1 | tail -n 1
  build/bin/th -e 'print("cudaAvailable", torch.cudaAvailable())'
  build/bin/th -e 'print("solverAvailable", torch.cuda.solverAvailable())'; } > "$OUT/machine.txt" 2>&1
for f in tests/lua/test_cuda*.lua; do
  n=$(basename "$f" .lua)
  echo "=== $n" >> "$OUT/test_cuda.log"
  run 40 build/bin/th tests/run.lua "$n" >> "$OUT/test_cuda.log" 2>&1
  echo "=== $n exit $?" >> "$OUT/test_cuda.log"
done
# the LAPACK tests again with cuSOLVER switched off: every routine through host copies
for n in test_cuda_lapack test_cuda_lapack_decomp; do
  [ -f "tests/lua/$n.lua" ] || continue
  echo "=== $n (LT_CUSOLVER=none)" >> "$OUT/test_cuda.log"
  run 40 env LT_CUSOLVER=none build/bin/th tests/run.lua "$n" >> "$OUT/test_cuda.log" 2>&1
  echo "=== $n (LT_CUSOLVER=none) exit $?" >> "$OUT/test_cuda.log"
done
after=""; i=0
while [ $i -lt 6 ]; do
  run 60 build/bin/th scripts/cuda_parity.lua -progress "$OUT/progress.txt" ${after:+-after "$after"} >> "$OUT/parity.md" 2>&1
  rc=$?; echo "=== parity exit $rc" >> "$OUT/parity.md"
  last=$(tail -n 1 "$OUT/progress.txt" 2>/dev/null); [ "$last" = done ] && break
  [ "$rc" -eq 124 ] && { echo "=== parity timed out at: $last" >> "$OUT/parity.md"; break; }
  echo "=== CRASH at: $last" >> "$OUT/parity.md"
  after=$(echo "$last" | sed 's/(.*//'); i=$((i + 1))
done
rm -f "$OUT/progress.txt"
# the NCCL backend (issue 10): it needs OpenMPI (mpirun) and libnccl.so.2 on this machine;
# pip's nvidia-nccl wheel may have the library. What is missing is written down.
d=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)
[ -n "$d" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"
{ command -v mpirun || echo "no mpirun"
  ldd build/lib/lua/5.4/distributed/nccl.so 2>&1 | grep -E 'not found|nccl|mpi|cudart'; } > "$OUT/nccl_env.txt" 2>&1
if command -v mpirun >/dev/null 2>&1 && ! ldd build/lib/lua/5.4/distributed/nccl.so 2>&1 | grep -q 'not found'; then
  DIST_TIMEOUT=60 run 120 sh tests/dist/run.sh build > "$OUT/dist.log" 2>&1
fi
[ -n "$QUICK" ] && exit 0
run 150 sh bench/cuda.sh > "$OUT/cuda_bench.md" 2>&1
# the Fashion-MNIST example on the GPU, one epoch, when the data was carried (.fmnist/)
if [ -d .fmnist ]; then
  /usr/bin/time -f 'wall %e s' sh -c "timeout $(left) build/bin/th -e \"torch.data.fashionMnistDir='$PWD/.fmnist'\" \
    examples/fashion_mnist.lua -cuda -epochs 1 -noterm -plot '' -save ''" > "$OUT/fmnist.log" 2>&1
fi
# out-of-bounds accesses that did not crash: a few test files under compute-sanitizer
CS=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
if [ -n "$CS" ]; then
  for n in test_cuda_index test_cuda_reduce test_cuda_act test_cuda_spatial; do
    echo "=== $n" >> "$OUT/sanitizer.log"
    run 45 "$CS" --tool memcheck --print-limit 5 build/bin/th tests/run.lua "$n" 2>&1 | tail -n 25 >> "$OUT/sanitizer.log"
  done
fi
run 150 build/bin/th tests/run.lua > "$OUT/test_lua_all.log" 2>&1
exit 0
