#!/usr/bin/env bash
# bench/cli-startup.sh [--runs N] [--endpoint HOST:PORT] LAUNCHER...: how long a client command
# takes from the shell, start-up included (a JVM per command). Runs `kv get` and `kv put` N times
# (default 10) with each launcher, interleaved so that the launchers share the machine's noise,
# and prints the median and minimum wall time and the median CPU time (user+sys) of each.
# Without --endpoint it starts one node from the first launcher on free 127.0.0.1 ports, in a
# temporary directory, and stops it at the end. Example:
#   bench/cli-startup.sh bin/skiff dist/target/skiff-*/bin/skiff
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=10 endpoint=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --endpoint) endpoint=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "cli-startup: give at least one launcher, e.g. bin/skiff" >&2; exit 2; }
for l in "$@"; do [[ -x $l ]] || { echo "cli-startup: $l is not an executable launcher" >&2; exit 2; }; done
command -v python3 >/dev/null || { echo "cli-startup: needs python3" >&2; exit 1; }

tmp=$(mktemp -d)
node_pid=""
cleanup() {
  if [[ -n $node_pid ]]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [[ -z $endpoint ]]; then
  api=$(free_port) raft=$(free_port)
  endpoint=127.0.0.1:$api
  "$1" node --id bench --api-addr "$endpoint" --raft-addr "127.0.0.1:$raft" --data-dir "$tmp/data" --bootstrap \
    >"$tmp/node.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 120); do
    curl -fs "http://$endpoint/readyz" >/dev/null 2>&1 && break
    kill -0 "$node_pid" 2>/dev/null || { echo "cli-startup: the node did not start:" >&2; cat "$tmp/node.log" >&2; exit 1; }
    sleep 0.5
  done
fi
export SKIFF_ENDPOINTS=$endpoint
# One run of each first: builds what bin/skiff builds, and lets the launcher create its
# class-data-sharing archive; neither belongs in the timing.
for l in "$@"; do
  "$l" kv put bench/key value >/dev/null
  "$l" kv get bench/key >/dev/null
done

python3 - "$runs" "$@" <<'EOF'
import os, resource, statistics, subprocess, sys, time
runs, launchers = int(sys.argv[1]), sys.argv[2:]
commands = [("kv get", ["kv", "get", "bench/key"]), ("kv put", ["kv", "put", "bench/key", "value"])]
samples = {(l, name): ([], []) for l in launchers for name, _ in commands}
for _ in range(runs):
    for name, args in commands:
        for l in launchers:
            before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
            done = subprocess.run([l] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
            wall, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                sys.exit(f"cli-startup: {l} {' '.join(args)} exited {done.returncode}: {done.stderr.decode().strip()}")
            samples[(l, name)][0].append(wall)
            samples[(l, name)][1].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
print(f"{runs} runs each, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
print(f"{'launcher':52s} {'command':7s} {'median':>8s} {'min':>8s} {'cpu median':>11s}")
for (l, name), (wall, cpu) in samples.items():
    print(f"{l[-52:]:52s} {name:7s} {statistics.median(wall):7.3f}s {min(wall):7.3f}s {statistics.median(cpu):10.3f}s")
EOF
