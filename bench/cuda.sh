#!/bin/sh
# bench/cuda.sh [BUILD]: the GPU benchmark, luatorch and PyTorch side by side (one run,
# same card). Prints: workload, luatorch time, PyTorch time, ratio (PyTorch time / ours:
# above 1 means luatorch is faster), and each one's rate.
BUILD=${1:-build}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
"$BUILD/bin/th" bench/cuda.lua > "$tmp/lt" 2>&1 || { cat "$tmp/lt"; exit 1; }
if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  python3 bench/cuda_torch.py > "$tmp/pt" 2>&1 || cat "$tmp/pt"
fi
grep '^ROW' "$tmp/lt" > "$tmp/lt.rows"
printf '| %s | %s | %s | %s | %s | %s |\n' workload luatorch PyTorch 'ratio (PyTorch/ours)' 'luatorch rate' 'PyTorch rate'
printf '| --- | --- | --- | --- | --- | --- |\n'
while IFS='	' read -r _ name secs rate; do
  p=$(grep -F "ROW	$name	" "$tmp/pt" 2>/dev/null | head -n 1)
  psecs=$(echo "$p" | cut -f3); prate=$(echo "$p" | cut -f4)
  if [ "$secs" = ERR ]; then printf '| %s | error: %s | - | - | - | - |\n' "$name" "$rate"; continue; fi
  awk -v n="$name" -v s="$secs" -v p="$psecs" -v r="$rate" -v pr="$prate" 'BEGIN {
    us = s * 1e6; if (p != "") { pu = p * 1e6; ratio = sprintf("%.2f", p / s) } else { pu = -1; ratio = "-" }
    printf("| %s | %.1f us | %s | %s | %s | %s |\n", n, us, pu < 0 ? "-" : sprintf("%.1f us", pu), ratio, r, pr) }'
done < "$tmp/lt.rows"
grep -v '^ROW' "$tmp/lt" | grep -iv '^$' | grep -i 'error\|fail' || true
rm -rf "$tmp"
