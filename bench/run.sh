#!/bin/sh
# bench/run.sh [BUILD]: `make bench` — issue 8's workloads in luatorch (bench/side.lua)
# and in PyTorch (bench/side_torch.py, Debian's python3-torch) in one invocation,
# interleaved round by round, same thread count, medians over rounds; the ceilings
# (cblas_sgemm called directly, a plain C OpenMP loop) measured in the same run; start-up
# and peak RSS. Prints the table (bench/table.lua) and writes it into bench/RESULTS.md.
# BENCH_QUICK=1 (make bench-quick): one short round, the table printed, RESULTS.md untouched.
BUILD=${1:-build}
cd "$(dirname "$0")/.."
TH=$BUILD/bin/th
threads=${THREADS:-$(nproc)}
export THREADS=$threads OMP_NUM_THREADS=$threads
rounds=${ROUNDS:-3}
[ "$BENCH_QUICK" = 1 ] && rounds=1
PY=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import torch' 2>/dev/null; then PY=$p; break; fi
done
[ -z "$PY" ] && echo "(PyTorch is not installed: run scripts/deps.sh bench; luatorch's figures alone)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
  echo ", $(nproc) cores, $threads threads, $(date -u +%Y-%m-%d);"
  [ -n "$PY" ] && echo " PyTorch $("$PY" -c 'import torch; print(torch.__version__)')"; } | tr -d '\n' > "$tmp/machine"
for r in $(seq 1 "$rounds"); do
  echo "round $r of $rounds: luatorch" >&2
  "$TH" bench/side.lua > "$tmp/lt.$r" || { cat "$tmp/lt.$r"; exit 1; }
  if [ -n "$PY" ]; then
    echo "round $r of $rounds: PyTorch" >&2
    "$PY" bench/side_torch.py > "$tmp/pt.$r" 2>&1 || cat "$tmp/pt.$r" >&2
  fi
done
# the ceilings
[ -x "$BUILD/bench/stream" ] && "$BUILD/bench/stream" | grep '^ROW' >> "$tmp/ceil"
if [ -x "$BUILD/bench/sgemm" ]; then
  for n in 64 256 1024 2048; do
    reps=15; [ "$n" -ge 1024 ] && reps=5
    "$BUILD/bench/sgemm" "$n" "$reps" | grep '^ROW' >> "$tmp/ceil"
  done
  "$BUILD/bench/sgemm" mlp1 | grep '^ROW' >> "$tmp/ceil"
fi
# start-up (best of several) and the peak RSS of 200 MLP training steps
secs() { s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
for i in 1 2 3 4 5; do
  printf 'ROW\tstartup th\t%s\n' "$(secs "$TH" -e '')" >> "$tmp/extra"
  [ -n "$PY" ] && printf 'ROW\tstartup python\t%s\n' "$(secs "$PY" -c 'import torch')" >> "$tmp/extra"
done
if [ -x /usr/bin/time ]; then
  printf 'ROW\trss th\t%s\n' "$(/usr/bin/time -f %M "$TH" bench/rss_mlp.lua 2>&1 >/dev/null | tail -n 1)" >> "$tmp/extra"
  [ -n "$PY" ] && printf 'ROW\trss python\t%s\n' "$(/usr/bin/time -f %M "$PY" bench/rss_mlp.py 2>&1 >/dev/null | tail -n 1)" >> "$tmp/extra"
fi
if [ "$BENCH_QUICK" = 1 ]; then "$TH" bench/table.lua "$tmp"
else "$TH" bench/table.lua "$tmp" bench/RESULTS.md; echo "(written into bench/RESULTS.md)"; fi
