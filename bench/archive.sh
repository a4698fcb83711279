#!/usr/bin/env bash
# bench/archive.sh: what the log archive (--log-archive, issue #15) costs, and how fast a
# point-in-time restore replays it, on this machine, in one run.
#
#   bench/archive.sh                  # 3 rounds x (archive off, archive on) x 15 s of write64
#   bench/archive.sh --duration 5 --rounds 1    # quicker
#
# Two 3-node Skiff clusters run side by side on 127.0.0.1 with identical flags, except that one
# ships its log to S3Proxy (a process of its own, file-system blob store) with
# --log-archive s3://bench/on (default interval 1s). wrk drives write64 (bench/wrk/kv.lua:
# 64 connections, every write a new key, 100-byte values) at each cluster's leader in turn, the
# order alternating round by round, after 10 s of warm-up each. Then every node of the archived
# cluster is killed (kill -9) and a new node restores the latest point from the archive alone
# (no snapshot: every entry is replayed); the restore's own log line gives entries per second.
#
# Output: the table on stdout and bench/results/<timestamp>-archive.json. Stops only the
# processes it started; deletes only its own temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duration=15
rounds=3
warmup=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "archive.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "archive.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
export JAVA_HOME=${JAVA_HOME:-$("$root/bin/java-home")}
"$root/bin/skiff" --version >/dev/null # builds the distribution if needed
dist=$(ls -d "$root"/dist/target/skiff-*/ | head -n1)
s3jar=$(ls "$root"/emulators/target/emulators/s3proxy/*.jar 2>/dev/null | head -n1 || true)
if [[ -z $s3jar ]]; then
  (cd "$root" && mvn -B -q -o -pl emulators package -DskipTests) >/dev/null
  s3jar=$(ls "$root"/emulators/target/emulators/s3proxy/*.jar | head -n1)
fi
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
log() { echo "[$(date -u +%T)] $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

s3port=$(free_port)
mkdir -p "$tmp/s3/blobs" "$tmp/logs"
cat >"$tmp/s3.properties" <<P
s3proxy.endpoint=http://127.0.0.1:$s3port
s3proxy.authorization=none
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem
jclouds.filesystem.basedir=$tmp/s3/blobs
jclouds.identity=test
jclouds.credential=test
P
"$JAVA_HOME/bin/java" -DLOG_LEVEL=warn -jar "$s3jar" --properties "$tmp/s3.properties" >"$tmp/logs/s3proxy.log" 2>&1 &
pids+=($!)
disown $!
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$s3port AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
  AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required SKIFF_S3_PATH_STYLE=true
until curl -s -o /dev/null "http://127.0.0.1:$s3port/"; do sleep 0.5; done
curl -s -X PUT "http://127.0.0.1:$s3port/bench" >/dev/null

declare -A api node_pid
start_cluster() { # name extra-flags...
  local name=$1; shift
  local i first=""
  for i in 1 2 3; do
    local a r role
    a=$(free_port); r=$(free_port)
    api[$name$i]=$a
    if [[ $i == 1 ]]; then role=(--bootstrap); first=$a; else role=(--join "http://127.0.0.1:$first"); fi
    JAVA_OPTS=-Xmx1g "$dist/bin/skiff" node --id "$name$i" --api-addr "127.0.0.1:$a" --raft-addr "127.0.0.1:$r" \
      --data-dir "$tmp/$name/n$i" "${role[@]}" "$@" >>"$tmp/logs/$name$i.log" 2>&1 &
    pids+=($!)
    disown $!
    node_pid[$name$i]=$!
    if [[ $i == 1 ]]; then until curl -fs -o /dev/null "http://127.0.0.1:$a/readyz"; do sleep 0.3; done; fi
  done
  for i in 1 2 3; do until curl -fs -o /dev/null "http://127.0.0.1:${api[$name$i]}/readyz"; do sleep 0.3; done; done
}
leader() { curl -fs "http://127.0.0.1:${api[${1}1]}/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["leader"]["apiAddress"])'; }
write64() { # name prefix seconds -> requests per second
  local out
  out=$(wrk -t 2 -c 64 -d "${3}s" --timeout 10s -s "$here/wrk/kv.lua" "http://$(leader "$1")" -- skiff write consistent "$2" 1000 2>&1)
  python3 -c 'import re,sys; m=re.search(r"requests=(\d+) duration_us=(\d+)", sys.argv[1]); print(round(int(m[1])*1e6/int(m[2])))' "$out"
}

log "starting two 3-node clusters: off (no archive) and on (--log-archive s3://bench/on)"
start_cluster off
start_cluster on --log-archive s3://bench/on
log "warm-up ${warmup}s each"
write64 off warm "$warmup" >/dev/null
write64 on warm "$warmup" >/dev/null
off_all=(); on_all=()
for ((n = 1; n <= rounds; n++)); do
  if ((n % 2)); then order=(off on); else order=(on off); fi
  for s in "${order[@]}"; do
    rps=$(write64 "$s" "r$n" "$duration")
    log "round $n $s: $rps writes/s"
    if [[ $s == off ]]; then off_all+=("$rps"); else on_all+=("$rps"); fi
  done
done
status=$(curl -fs "http://$(leader on)/v1/status")
lag=$(python3 -c 'import json,sys; a=json.loads(sys.argv[1])["log_archive"]; print(a["lag_entries"], a["archived_index"])' "$status")
sleep 3
last=$(curl -fs "http://$(leader on)/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_archive"]["archived_index"])')
log "archive: lag right after the last round ${lag% *} entries; archived index $last; killing the archived cluster"
for i in 1 2 3; do kill -9 "${node_pid[on$i]}"; done
ra=$(free_port); rr=$(free_port)
start=$(date +%s.%N)
JAVA_OPTS=-Xmx1g "$dist/bin/skiff" node --id restored --api-addr "127.0.0.1:$ra" --raft-addr "127.0.0.1:$rr" \
  --data-dir "$tmp/restored" --restore-from s3://bench/on --restore-to-index "$last" >"$tmp/logs/restored.log" 2>&1 &
pids+=($!)
disown $!
until curl -fs -o /dev/null "http://127.0.0.1:$ra/readyz"; do sleep 0.3; done
total=$(python3 -c "import time; print(round(time.time() - $start, 1))")
replay=$(grep -o 'replayedEntries=[0-9]* replayMillis=[0-9]* entriesPerSecond=[0-9]*' "$tmp/logs/restored.log" | head -1)
python3 - "$here/results" "${off_all[*]}" "${on_all[*]}" "$replay" "$total" "$last" "$duration" <<'PY'
import json, os, sys, time, statistics
out, off, on, replay, total, last, duration = sys.argv[1:]
off = [int(x) for x in off.split()]; on = [int(x) for x in on.split()]
r = dict(kv.split("=") for kv in replay.split())
mo, mn = statistics.mean(off), statistics.mean(on)
print(f"write64, {len(off)} rounds x {duration} s, same run, alternating:")
print(f"  archive off: {round(mo)} writes/s  {off}")
print(f"  archive on : {round(mn)} writes/s  {on}")
print(f"  cost: {100 * (mo - mn) / mo:.1f} % of write throughput")
print(f"restore of index {last} from the archive alone: {r['replayedEntries']} entries replayed in {r['replayMillis']} ms "
      f"= {r['entriesPerSecond']} entries/s; node ready {total} s after start (JVM, S3 reads, replay, seeding, election)")
ts = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
json.dump({"write64_off": off, "write64_on": on, "cost_percent": round(100 * (mo - mn) / mo, 2), "duration_s": int(duration),
           "restore": {k: int(v) for k, v in r.items()} | {"index": int(last), "ready_seconds": float(total)},
           "loadavg": os.getloadavg()}, open(os.path.join(out, ts + "-archive.json"), "w"), indent=1)
PY
