#!/bin/sh
# Installs the Debian packages luatorch builds and tests with. Idempotent: when
# everything is present it only runs dpkg-query and exits.
#   sh scripts/deps.sh          what make, make test and make demo need
#   sh scripts/deps.sh bench    that and what make bench needs (PyTorch, bc, time)
#   sh scripts/deps.sh check    that and what make check-asan/check-valgrind need (valgrind;
#                               the sanitizer runtimes come with gcc)
#   sh scripts/deps.sh fuzz     that and what make fuzz-files needs (clang, libFuzzer, libomp)
set -e
PKGS="build-essential pkg-config lua5.4 liblua5.4-dev libreadline-dev libopenblas-openmp-dev
libopenblas0-openmp zlib1g-dev gnuplot-nox dataset-fashion-mnist tmux openmpi-bin libopenmpi-dev
iproute2 util-linux"
[ "$1" = bench ] && PKGS="$PKGS python3-torch bc time"
[ "$1" = check ] && PKGS="$PKGS valgrind"
[ "$1" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev libomp-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
