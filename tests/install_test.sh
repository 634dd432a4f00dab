#!/bin/sh
# make install into a temporary prefix, then use what was installed: th, plain lua5.4
# with the installed module paths, the man pages, and the engine from a C program.
# Prints "ok - ..." / "not ok - ..." lines and ends with "install: N passed, N failed".
BUILD=${1:-build}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # name, command...
  name=$1; shift
  if out=$("$@" 2>&1); then pass=$((pass + 1)); echo "ok - $name"
  else fail=$((fail + 1)); echo "not ok - $name"; echo "$out" | sed 's/^/#   /' | head -20; fi
}
expect() { # name, expected output, command...
  name=$1; want=$2; shift 2
  got=$("$@" 2>&1)
  if [ "$got" = "$want" ]; then pass=$((pass + 1)); echo "ok - $name"
  else fail=$((fail + 1)); echo "not ok - $name"; echo "#   expected: $want"; echo "#   got: $got" | head -20; fi
}
check "make install PREFIX=..." make -s install BUILD="$BUILD" PREFIX="$tmp/usr"
P=$tmp/usr
expect "installed th runs a statement" "3.0" "$P/bin/th" -e "print(torch.Tensor{1,2}:sum())"
cd "$tmp"
expect "installed th finds its modules from another directory" "torch.DoubleTensor" \
  "$P/bin/th" -e "print(torch.DoubleTensor(2):type())"
cd - >/dev/null
# under make check-asan the module is built with AddressSanitizer, whose runtime must be
# loaded first into a program that is not (LT_ASAN_PRELOAD); CC then names the sanitizers too
expect "plain lua5.4 loads the installed torch" "2x3" env LD_PRELOAD="${LT_ASAN_PRELOAD:-}" LUA_PATH="$P/share/lua/5.4/?.lua;$P/share/lua/5.4/?/init.lua;;" \
  LUA_CPATH="$P/lib/lua/5.4/?.so;;" lua5.4 -e "local torch = require 'torch'; local s = torch.zeros(2, 3):size(); print(s[1] .. 'x' .. s[2])"
check "man pages installed" test -s "$P/share/man/man1/th.1" -a -s "$P/share/man/man3/torch.3"
check "man torch renders" sh -c "MANWIDTH=80 man -l '$P/share/man/man3/torch.3' >/dev/null 2>&1 || groff -man -Tutf8 '$P/share/man/man3/torch.3' >/dev/null"
cat > "$tmp/embed.c" <<'C'
#include <luatorch.h>
#include <stdio.h>
int main(void) {
  int64_t n = 3;
  lt_tensor *a = lt_empty(1, &n, LT_FLOAT64, lt_cpu());
  lt_fill(a, 2);
  lt_tensor *b = lt_binary(LT_MUL, NULL, a, a, 1);
  double s;
  lt_reduce_all(LT_RSUM, b, 0, &s);
  printf("%g\n", s);
  lt_release(a); lt_release(b);
  return 0;
}
C
check "a C program compiles against luatorch.h and libluatorch.so" \
  ${CC:-cc} -o "$tmp/embed" "$tmp/embed.c" -I"$P/include" -L"$P/lib" -Wl,-rpath,"$P/lib" -lluatorch
expect "the embedded engine computes" "12" "$tmp/embed"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
