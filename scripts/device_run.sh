#!/bin/sh
# run on the GPU machine: unpack the carried build, then the CUDA checks, each logged to $OUT
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/.devlibs"
if ! ls /usr/local/cuda/lib64/libcublas.so.13 >/dev/null 2>&1; then
  d=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
  [ -n "$d" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"
fi
{ date; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; nproc
  ldd build/lib/libluatorch_cuda.so | grep -E 'not found|cublas'
  build/bin/th -e 'print("cudaAvailable", torch.cudaAvailable())'; } > "$OUT/machine.txt" 2>&1
# each CUDA test file alone, so that a crash costs one file
for f in tests/lua/test_cuda*.lua; do
  n=$(basename "$f" .lua)
  echo "=== $n" >> "$OUT/test_cuda.log"
  timeout 120 build/bin/th tests/run.lua "$n" >> "$OUT/test_cuda.log" 2>&1
  echo "=== $n exit $?" >> "$OUT/test_cuda.log"
done
# parity: restarted past a function that crashes
after=""; i=0
while [ $i -lt 6 ]; do
  timeout 120 build/bin/th scripts/cuda_parity.lua -progress "$OUT/progress.txt" ${after:+-after "$after"} >> "$OUT/parity.md" 2>&1
  rc=$?; echo "=== parity exit $rc" >> "$OUT/parity.md"
  last=$(tail -n 1 "$OUT/progress.txt"); [ "$last" = done ] && break
  echo "=== CRASH at: $last" >> "$OUT/parity.md"
  after=$(echo "$last" | sed 's/(.*//'); i=$((i + 1))
done
rm -f "$OUT/progress.txt"
timeout 150 sh bench/cuda.sh > "$OUT/cuda_bench.md" 2>&1
timeout 150 build/bin/th tests/run.lua > "$OUT/test_lua_all.log" 2>&1
