#!/bin/sh
# scripts/device_pack.sh [BUILD]: pack what a lent GPU machine needs into .devcarry.tar.xz
# (CONTRIBUTING.md, "GPU work"): the build's programs, libraries (the CUDA backend
# included), Lua modules and man pages, and in .devlibs/ the shared libraries they link
# that the GPU image lacks (Lua, readline, OpenBLAS and its runtime). Fashion-MNIST goes
# in .fmnist/ for the example. Both are git-ignored through .git/info/exclude. Then, on
# the GPU: `tar xJf .devcarry.tar.xz && sh scripts/device_run.sh SECONDS`, with carry
# [".devcarry.tar.xz", ".fmnist"].
set -e
BUILD=${1:-build}
cd "$(dirname "$0")/.."
[ -x "$BUILD/bin/th" ] || { echo "device_pack: $BUILD/bin/th is not built (make)" >&2; exit 1; }
[ -f "$BUILD/lib/libluatorch_cuda.so" ] || { echo "device_pack: no $BUILD/lib/libluatorch_cuda.so (nvcc missing?)" >&2; exit 1; }
for p in /.devlibs/ /.devcarry.tar.xz /.fmnist/; do
  grep -qxF "$p" .git/info/exclude 2>/dev/null || echo "$p" >> .git/info/exclude
done
rm -rf .devlibs && mkdir .devlibs
# the libraries th and the engine resolve, by soname, from this machine's copies
ldd "$BUILD/bin/th" "$BUILD/lib/libluatorch.so" | awk '/=> \// {print $3}' | sort -u |
  grep -E '/(liblua5\.4|libreadline|libtinfo|libopenblas|libgfortran|libquadmath|libgomp)[^/]*$' |
  while read -r lib; do cp -L "$lib" .devlibs/; done
ls .devlibs | grep -q libopenblas || { echo "device_pack: OpenBLAS not found by ldd" >&2; exit 1; }
tar cf - "$BUILD/bin" "$BUILD/lib/libluatorch.so" "$BUILD/lib/libluatorch_cuda.so" "$BUILD/lib/lua" \
  "$BUILD/share" .devlibs | xz -T2 -6 > .devcarry.tar.xz
if [ -d /usr/share/datasets/fashion-mnist ] && [ ! -d .fmnist ]; then
  mkdir .fmnist && cp /usr/share/datasets/fashion-mnist/*.gz .fmnist/ 2>/dev/null || true
fi
ls -l .devcarry.tar.xz
du -sh .devlibs .fmnist 2>/dev/null || true
