#!/bin/sh
# scripts/device_check.sh: the checks run on a lent GPU machine (see CONTRIBUTING.md,
# "GPU work"). The build is made here and carried with the libraries it links
# (.devlibs), since the GPU machine has no package registry. Writes logs under $OUT.
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/.devlibs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! ls /usr/local/cuda/lib64/libcublas.so.13 >/dev/null 2>&1; then
  d=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)
  [ -n "$d" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"
fi
echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv,noheader; nproc
ldd build/lib/libluatorch_cuda.so | grep -E 'not found|cublas'
ldd build/bin/th build/lib/lua/5.4/torch/core.so | grep 'not found'
build/bin/th -e 'print("cudaAvailable", torch.cudaAvailable()); print("devices", torch.cudaDeviceCount())'
build/bin/th -e 'local p = torch.cuda.getDeviceProperties(1); print(p.name, p.totalGlobalMem, p.major .. "." .. p.minor)
  local x = torch.randn(1000, 1000):cuda(); local y = x * x; torch.cuda.synchronize()
  for k, v in pairs(torch.cuda.memoryStats()) do io.write(k, "=", v, " ") end; print()'
echo "== CUDA tests"
build/bin/th tests/run.lua test_cuda 2>&1 | tee "$OUT/test_cuda.log"
# SANITIZE=1: the CUDA tests again under compute-sanitizer's memcheck (slow)
if [ -n "$SANITIZE" ] && command -v compute-sanitizer >/dev/null 2>&1; then
  echo "== CUDA tests under compute-sanitizer"
  compute-sanitizer --tool memcheck --print-limit 20 build/bin/th tests/run.lua test_cuda 2>&1 | tail -n 40 | tee "$OUT/sanitizer.log"
fi
echo "== C engine tests (16 cores)"
build/tests/test_engine 2>&1 | tail -n 3
echo "== Lua tests (all)"
build/bin/th tests/run.lua 2>&1 | grep -E 'FAIL|^lua:' | tee "$OUT/test_lua.log"
echo "== GPU benchmark"
timeout 200 sh bench/cuda.sh 2>&1 | tee "$OUT/cuda_bench.md"
