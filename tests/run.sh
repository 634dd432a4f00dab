#!/bin/sh
# The whole test suite: sh tests/run.sh [BUILD_DIR]   (default: build)
# Runs the C engine tests, the Lua tests and, when present, the th/REPL tests. Each part
# ends its output with "<part>: N passed, N failed[, N skipped]"; this script adds them up
# and ends with "N passed, N failed[, N skipped]". A part that crashes or exits without
# its count line counts as one failure. Exit status 1 when anything failed.
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
cd "$root" || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luatorch_tests.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

pass=0 fail=0 skip=0 crashed=""

# part NAME COMMAND...: runs the command, its output streamed and kept, then adds its counts
part() {
  name=$1; shift
  out=$tmp/$name.out
  { "$@" 2>&1; echo $? > "$tmp/$name.rc"; } | tee "$out"
  rc=$(cat "$tmp/$name.rc")
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?\$" "$out" | tail -n 1)
  if [ -z "$line" ]; then
    echo "FAIL $name: the part crashed or ended without its summary (exit status $rc)"
    fail=$((fail + 1)); crashed="$crashed $name"
    return
  fi
  p=$(echo "$line" | sed -E 's/^[^:]*: ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[^:]*: [0-9]+ passed, ([0-9]+) failed.*/\1/')
  s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped$/\1/p')
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $name: exit status $rc after reporting no failures"
    fail=$((fail + 1)); crashed="$crashed $name"
  fi
}

# the Lua interpreter: th, or plain lua5.4 with the build's module paths
if [ -x "$BUILD/bin/th" ]; then
  set -- "$BUILD/bin/th"
else
  set -- lua5.4 -e "package.path='$BUILD/share/lua/5.4/?.lua;$BUILD/share/lua/5.4/?/init.lua;'..package.path package.cpath='$BUILD/lib/lua/5.4/?.so;'..package.cpath"
fi

if [ -x "$BUILD/tests/test_engine" ]; then
  part c "$BUILD/tests/test_engine"
else
  echo "FAIL c: $BUILD/tests/test_engine not built (make $BUILD/tests/test_engine)"
  fail=$((fail + 1)); crashed="$crashed c"
fi
part lua "$@" tests/run.lua
# distributed collectives under mpirun, 2 and 3 ranks (skips where MPI is missing)
part dist sh tests/dist/run.sh "$BUILD"
# the API fuzzer, one bounded round (about a minute) with a fixed seed: crashes, hangs and
# sanitizer reports from random calls (tests/fuzz/run.lua; `make fuzz` runs longer)
if [ -x "$BUILD/bin/th" ]; then
  part fuzz "$BUILD/bin/th" tests/fuzz/run.lua --th "$BUILD/bin/th" --seed "${API_FUZZ_SEED:-1}" --seconds "${API_FUZZ_SECONDS:-50}"
fi
if [ -f tests/repl_test.sh ]; then
  part repl sh tests/repl_test.sh "$BUILD"
fi
if [ -f tests/install_test.sh ]; then
  part install sh tests/install_test.sh "$BUILD"
fi

[ -n "$crashed" ] && echo "parts that crashed or misreported:$crashed"
if [ "$skip" -gt 0 ]; then
  echo "$pass passed, $fail failed, $skip skipped"
else
  echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
