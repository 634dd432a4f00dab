#!/bin/sh
# make bench: luatorch's speed on the foundation workloads, with reference points
# measured in the same run (OpenBLAS called directly, memcpy bandwidth) and PyTorch's
# figures when a `python3 -c 'import torch'` works here. Not a test.
BUILD=${1:-build}
cd "$(dirname "$0")/.."
echo "== luatorch tensor ops =="
"$BUILD/bin/th" bench/ops.lua
if [ -x "$BUILD/bench/stream" ]; then
  echo "== the same memory traffic in plain C (the bandwidth reference) =="
  "$BUILD/bench/stream"
fi
if [ -x "$BUILD/bench/sgemm" ]; then
  echo "== sgemm n=1024: lt_mm vs cblas_sgemm =="
  "$BUILD/bench/sgemm"
fi
if python3 -c 'import torch' 2>/dev/null; then
  echo "== PyTorch, same workloads =="
  python3 bench/ops_torch.py
else
  echo "(PyTorch is not installed here: no side-by-side figures)"
fi
