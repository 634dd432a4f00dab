#!/bin/sh
# tests/fuzz/run_files.sh BUILD SECONDS TIMEOUT READER...: runs each file-reader fuzz harness
# (BUILD/fuzz_<reader>, made by `make fuzz-files`) for SECONDS from its seed corpus and
# its stored regressions. New inputs go to BUILD/corpus/<reader> (the seeds in the tree
# are only read); a finding is written to BUILD/findings/ and fails the run, with the
# command that reproduces it. FUZZ_ARGS adds libFuzzer options (-seed=N, -jobs=N ...).
build=$1 seconds=$2 timeout=$3
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
failed=""
mkdir -p "$build/findings"
# one thread: the readers are serial, and the machine may be shared
export OMP_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for r in "$@"; do
  bin="$build/fuzz_$r"
  mkdir -p "$build/corpus/$r" "$build/findings/$r"
  rm -f "$build/findings/$r"/*   # what an earlier run found is not this run's finding
  dirs="$build/corpus/$r $root/tests/fuzz/corpus/$r"
  [ -d "$root/tests/fuzz/regressions/$r" ] && dirs="$dirs $root/tests/fuzz/regressions/$r"
  dict=""
  [ -f "$root/tests/fuzz/dict/$r.dict" ] && dict="-dict=$root/tests/fuzz/dict/$r.dict"
  echo "fuzz-files: $r for ${seconds}s"
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/findings/$r/" $dict $FUZZ_ARGS $dirs \
    > "$build/findings/$r.log" 2>&1
  rc=$?
  tail -n 12 "$build/findings/$r.log" | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' | tr '\n' ' '
  echo
  if [ $rc -ne 0 ]; then
    grep -E -A40 'ERROR|==[0-9]+==|fuzz: |runtime error|Timeout|out-of-memory' "$build/findings/$r.log" | head -n 60
    for a in "$build/findings/$r"/*; do
      [ -f "$a" ] || continue
      echo "fuzz-files: $r: finding $a; reproduce with:"
      echo "  OMP_NUM_THREADS=1 $bin -timeout=$timeout -rss_limit_mb=2048 -malloc_limit_mb=512 $a"
    done
    echo "fuzz-files: $r FAILED (exit $rc; whole log in $build/findings/$r.log)"
    failed="$failed $r"
  fi
done
if [ -n "$failed" ]; then echo "fuzz-files: findings in:$failed"; exit 1; fi
echo "fuzz-files: no findings ($*)"
