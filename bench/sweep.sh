#!/bin/sh
# bench/sweep.sh [BUILD]: bench/sweep.lua and bench/sweep_torch.py (when PyTorch is
# installed: scripts/deps.sh bench) side by side: our time, PyTorch's, the ratio.
cd "$(dirname "$0")/.."
B=${1:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$B/bin/th" bench/sweep.lua > "$tmp/ours" || exit 1
/usr/bin/python3 bench/sweep_torch.py > "$tmp/pt" 2>/dev/null || : > "$tmp/pt"
awk -F'\t' 'FNR == NR { if ($1 == "ROW") pt[$2] = $3; next }
  $1 == "ROW" { p = pt[$2];
    if (p > 0) printf "%-36s %10.1f us %10.1f us %6.2f\n", $2, $3 * 1e6, p * 1e6, $3 / p;
    else printf "%-36s %10.1f us\n", $2, $3 * 1e6 }' "$tmp/pt" "$tmp/ours"
