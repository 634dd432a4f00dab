#!/bin/sh
# The two-host test: sh tests/dist/netns.sh [BUILD_DIR]   (a part of tests/dist/run.sh)
# Runs a 2-rank job (tests/dist/netns_job.lua) with each rank on its own "host": a
# network namespace with its own hostname, the two joined only by a veth pair
# (10.231.7.1/24 and 10.231.7.2/24), so every message crosses a network interface:
# OpenMPI over TCP only (btl self,tcp: no shared memory between the hosts), interfaces
# limited to that subnet. mpirun runs in host A with a hostfile naming both addresses;
# its "remote shell" (plm_rsh_agent) is a small script that starts the daemon in host B,
# the way ssh would on a real cluster. The veth's byte counters, read before and after,
# must have grown by at least the job's payload each way.
#
# Everything lives in a private sandbox (unshare: network, mount, pid and uts
# namespaces; /run/netns is a tmpfs inside it), so the namespaces, the veth pair, their
# mounts and every process of the job die with it, also when the test fails or times out;
# the host's network, hostname and /run/netns are never touched. Needs root, unshare
# (util-linux) and ip (iproute2); skips with a printed reason where these or the
# namespaces are missing or refused. Ends with "netns: N passed, N failed[, N skipped]".
root=$(cd "$(dirname "$0")/../.." && pwd)
SUB=10.231.7              # the test subnet: private to the sandbox
NSA=luatorch-hostA NSB=luatorch-hostB
IFA=lt-vethA IFB=lt-vethB
LIMIT=18                  # seconds for the whole sandbox (the job alone gets 12)

# ---- inside the sandbox: sh netns.sh --inside BUILD TMP ----
if [ "${1:-}" = --inside ]; then
  BUILD=$2 tmp=$3
  skip() { echo "skip netns: $*"; exit 0; }
  # /run/netns on a tmpfs of our own mount namespace: `ip netns add` creates its files
  # there, so nothing is left in the host's /run/netns
  mkdir -p /run/netns && mount -t tmpfs -o size=64k,mode=755 luatorch-netns /run/netns \
    || skip "cannot mount a tmpfs on /run/netns in the sandbox"
  for ns in $NSA $NSB; do
    err=$(ip netns add "$ns" 2>&1) || skip "ip netns add refused: $err"
  done
  err=$(ip link add $IFA netns $NSA type veth peer name $IFB netns $NSB 2>&1) \
    || skip "cannot make a veth pair: $err"
  ip -n $NSA link set lo up && ip -n $NSB link set lo up &&
  ip -n $NSA addr add $SUB.1/24 dev $IFA && ip -n $NSB addr add $SUB.2/24 dev $IFB &&
  ip -n $NSA link set $IFA up && ip -n $NSB link set $IFB up \
    || { echo "not ok netns setup: cannot configure the veth pair"; exit 0; }

  # the remote shell: `agent HOST COMMAND...` runs COMMAND (a shell command line, as ssh
  # would pass it) in host B's namespace with host B's hostname
  cat >"$tmp/agent" <<EOF
#!/bin/sh
shift
exec ip netns exec $NSB unshare --uts sh -c 'hostname $NSB; exec sh -c "\$0"' "\$*"
EOF
  chmod +x "$tmp/agent"
  printf '%s slots=1\n%s slots=1\n' $SUB.1 $SUB.2 >"$tmp/hosts"

  counter() { ip netns exec $NSA cat "/sys/class/net/$IFA/statistics/$1_bytes" || echo 0; }
  tx0=$(counter tx) rx0=$(counter rx)
  # OMPI_MCA_* in the environment, not only mpirun's options: they reach the daemon in
  # host B (started by the agent, a child of mpirun) and the ranks, and they override
  # the shared-memory settings of tests/dist/run.sh
  export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=$SUB.0/24 \
    OMPI_MCA_oob_tcp_if_include=$SUB.0/24 OMPI_MCA_plm_rsh_agent=$tmp/agent \
    TMPDIR=$tmp
  out=$tmp/job.out
  ip netns exec $NSA unshare --uts sh -c 'hostname "$0"; exec "$@"' $NSA \
    timeout -s KILL 12 mpirun --allow-run-as-root --hostfile "$tmp/hosts" -np 2 \
    "$BUILD/bin/th" tests/dist/netns_job.lua $SUB. >"$out" 2>&1
  rc=$?
  tx1=$(counter tx) rx1=$(counter rx)

  sed -n 's/^\(rank [0-9]* of [0-9]* on host .*\)/# \1/p' "$out"
  # per check: passed when both ranks said ok
  awk 'function see(k) { if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
    /^ok / { k = substr($0, 4); see(k); ok[k]++ }
    /^not ok / { k = substr($0, 8); sub(/: rank [0-9]+: .*/, "", k); see(k); if (!(k in bad)) bad[k] = $0 }
    END { for (i = 1; i <= m; i++) { k = order[i]
            if (k in bad) print bad[k]
            else if (ok[k] == 2) print "ok " k
            else print "not ok " k ": only " ok[k] " of 2 ranks said ok" } }' "$out"
  done_ranks=$(grep -c '^done rank' "$out")
  if [ "$rc" -eq 0 ] && [ "$done_ranks" -eq 2 ]; then echo "ok job ends: both ranks finished"
  else
    echo "not ok job ends: mpirun status $rc, $done_ranks of 2 ranks finished$( [ "$rc" -eq 137 ] && echo ', timed out after 12 s')"
    grep -v '^ok \|^rank [0-9]* of\|^done rank' "$out" | head -n 30 | sed 's/^/#   /'
  fi
  # allReduce, a broadcast from each rank and allGather of 4 MiB each: each rank must
  # receive at least 3 x 4 MiB from the other, whatever algorithm MPI picks
  need=$((3 * 4 * 1048576))
  for dir in tx rx; do
    if [ $dir = tx ]; then grew=$((tx1 - tx0)); else grew=$((rx1 - rx0)); fi
    if [ "$grew" -ge "$need" ]; then echo "ok veth $dir: $grew bytes crossed $IFA (payload $need)"
    else echo "not ok veth $dir: $IFA's ${dir}_bytes grew by $grew, less than the payload $need"; fi
  done
  exit 0
fi

# ---- outside: checks, then the sandbox ----
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$root/$BUILD ;; esac
cd "$root" || exit 1
skip() { echo "skip netns: $*"; echo "netns: 0 passed, 0 failed, 1 skipped"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces need root)"
command -v unshare >/dev/null 2>&1 || skip "unshare not found (util-linux)"
command -v ip >/dev/null 2>&1 || skip "ip not found (sh scripts/deps.sh installs iproute2)"
command -v mpirun >/dev/null 2>&1 || skip "mpirun not found (sh scripts/deps.sh installs openmpi-bin)"
[ -f "$BUILD/lib/lua/5.4/distributed/core.so" ] || skip "$BUILD/lib/lua/5.4/distributed/core.so not built"
if [ ! -x "$BUILD/bin/th" ]; then echo "not ok netns: $BUILD/bin/th not built"; echo "netns: 0 passed, 1 failed"; exit 1; fi
UNSHARE="unshare --net --mount --propagation private --uts --pid --fork --kill-child --mount-proc"
err=$($UNSHARE true 2>&1) || skip "unshare refused: $err"

# Under make check-asan: no leak report from the ranks (see tests/dist/run.sh)
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/luatorch_netns.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
# the sandbox's pid 1 is the inner shell: when it ends or is killed (timeout), the
# kernel kills every process left in the sandbox and frees its namespaces
timeout -s KILL $LIMIT $UNSHARE sh "$0" --inside "$BUILD" "$tmp" >"$tmp/inside.out" 2>&1
rc=$?
cat "$tmp/inside.out"
pass=$(grep -c '^ok ' "$tmp/inside.out")
fail=$(grep -c '^not ok ' "$tmp/inside.out")
skipped=$(grep -c '^skip netns' "$tmp/inside.out")
if [ "$rc" -ne 0 ]; then
  echo "not ok netns sandbox: status $rc$( [ "$rc" -eq 137 ] && echo " (killed: the $LIMIT s limit or a signal)")"
  fail=$((fail + 1))
elif [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ] && [ "$skipped" -eq 0 ]; then
  echo "not ok netns: the sandbox reported nothing"; fail=1
fi
echo "netns: $pass passed, $fail failed$( [ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$fail" -eq 0 ]
