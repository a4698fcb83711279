#!/usr/bin/env bash
# bench/watchers.sh: blocking-read fan-out on one Skiff node (issue #14): what N idle watchers
# cost in heap and threads, and how soon after a write they all wake.
#
#   bench/watchers.sh                       # 10,000 watchers, 3 rounds
#   bench/watchers.sh --watchers 1000 --rounds 1
#
# Starts one node (bootstrap, fsync on, the launcher's defaults with -Xmx1g). bench/watchers.py
# opens N connections, each a parked blocking read of one key (GET /v1/kv/K?index=I&wait=10m,
# API.md section 8); with all of them parked this script measures the node's heap after a full
# GC (jcmd GC.run, then GC.heap_info) and its live threads, against the same measurement before
# they opened. Then, each round, one write of the key; the wake-up time of a watcher is from
# the moment the write was sent to its answer's arrival (the write's own commit included).
#
# Output: a summary on stdout and bench/results/<timestamp>-watchers.json. Stops only the
# process it started; deletes only its own temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
watchers=10000
rounds=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --watchers) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "watchers.sh: --watchers needs a positive number" >&2; exit 2; }
      watchers=$2; shift 2 ;;
    --rounds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "watchers.sh: --rounds needs a positive number" >&2; exit 2; }
      rounds=$2; shift 2 ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    *) echo "watchers.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
need=$((watchers + 200))
if (($(ulimit -n) < need)); then
  ulimit -n "$need" 2>/dev/null || { echo "watchers.sh: needs $need open files (ulimit -n is $(ulimit -n))" >&2; exit 1; }
fi
export JAVA_HOME=${JAVA_HOME:-$("$root/bin/java-home")}
"$root/bin/skiff" --version >/dev/null # builds the distribution if needed
dist=$(ls -d "$root"/dist/target/skiff-*/ | head -n1)
tmp=$(mktemp -d)
pid=""
cleanup() { [[ -z $pid ]] || kill -9 "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
log() { echo "[$(date -u +%T)] $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

api=$(free_port)
raft=$(free_port)
JAVA_OPTS=-Xmx1g "$dist/bin/skiff" node --id w1 --api-addr "127.0.0.1:$api" --raft-addr "127.0.0.1:$raft" \
  --data-dir "$tmp/w1" --bootstrap >"$tmp/w1.log" 2>&1 &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$api/readyz"; do
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/w1.log" >&2; exit 1; }
  sleep 0.3
done

measure() { # -> "heap_used_bytes live_threads", after a full GC
  "$JAVA_HOME/bin/jcmd" "$pid" GC.run >/dev/null
  local heap threads
  heap=$("$JAVA_HOME/bin/jcmd" "$pid" GC.heap_info | sed -n 's/.* used \([0-9]*\)K.*/\1/p' | head -n1)
  threads=$(curl -fs "http://127.0.0.1:$api/metrics" | sed -n 's/^jvm_threads_live_threads \([0-9.]*\).*/\1/p' | cut -d. -f1)
  echo "$((heap * 1024)) $threads"
}

read -r heap0 threads0 < <(measure)
log "node up (pid $pid); heap after GC $((heap0 / 1048576)) MiB, $threads0 live threads; opening $watchers watchers"
coproc PY { python3 "$here/watchers.py" 127.0.0.1 "$api" "$watchers" "$rounds"; }
read -r line <&"${PY[0]}"
[[ $line == parked ]] || { echo "watchers.sh: watchers.py said: $line" >&2; exit 1; }
read -r heap1 threads1 < <(measure)
log "all $watchers parked; heap after GC $((heap1 / 1048576)) MiB, $threads1 live threads; writing $rounds times"
echo go >&"${PY[1]}"
read -r result <&"${PY[0]}"
wait "$PY_PID" 2>/dev/null || true

ts=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$here/results"
out="$here/results/$ts-watchers.json"
python3 - "$result" "$heap0" "$heap1" "$threads0" "$threads1" "$(cut -d' ' -f1-3 /proc/loadavg)" "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
heap0, heap1, t0, t1 = (int(x) for x in sys.argv[2:6])
r.update({"heap_before_bytes": heap0, "heap_parked_bytes": heap1,
          "heap_per_watcher_bytes": round((heap1 - heap0) / r["watchers"]),
          "threads_before": t0, "threads_parked": t1, "load_average_end": sys.argv[6]})
json.dump(r, open(sys.argv[7], "w"), indent=2)
print("watchers %d: heap %.1f -> %.1f MiB after GC (%d B per watcher), live threads %d -> %d" % (
    r["watchers"], heap0 / 1048576, heap1 / 1048576, r["heap_per_watcher_bytes"], t0, t1))
for i, rd in enumerate(r["rounds"], 1):
    print("round %d: write acknowledged in %.1f ms; watchers woke p50 %.1f / p99 %.1f / max %.1f ms after it was sent"
          % (i, rd["put_ms"], rd["wake_ms"]["p50"], rd["wake_ms"]["p99"], rd["wake_ms"]["max"]))
print("all rounds: wake-up p50 %.1f / p99 %.1f / max %.1f ms; load average at the end %s" % (
    r["wake_ms"]["p50"], r["wake_ms"]["p99"], r["wake_ms"]["max"], sys.argv[6]))
print("results: " + sys.argv[7])
PY
