#!/usr/bin/env bash
# bench/compare.sh: Skiff against etcd, side by side, on this machine, in one run.
#
#   bench/compare.sh                 # the full table (14 rows x 2 systems x 15 s, about 10 minutes)
#   bench/compare.sh --quick         # smoke test: 3 s per row
#   bench/compare.sh --failover      # the table, then 10 leader kill -9 trials per system
#   bench/compare.sh --rows write64 --only skiff --jfr   # profile Skiff under one row
#
# Options:
#   --duration SEC     seconds per row and system (default 15; --quick: 3)
#   --warmup SEC       unrecorded load on both before the table, through all three nodes, half
#                      writes, half the mix (default 20; --quick: 3)
#   --rows LIST        comma-separated subset of: first30,write1,write16,write64,write256,consistent64,
#                      stale64,mix64 (all via the leader), write64-f,consistent64-f,mix64-f (via a
#                      follower), write64-all,consistent64-all,mix64-all (through all three nodes)
#                      ("none" with --failover runs the failover trials only); not in the default
#                      set: txn1,txn8,txn64 (transactions of 1, 8, 64 puts of new keys via the
#                      leader, one Raft entry each; the table counts transactions per second)
#   --only SYSTEM      skiff or etcd: start and measure one system (no ratios)
#   --failover         after the rows: 10 trials per system of kill -9 on the leader, then the time
#                      to the first successful write through the survivors (median and max)
#   --trials N         failover trials per system (default 10)
#   --jfr              record a JFR profile on every Skiff node (bench/results/<ts>-<node>.jfr)
#   --cpu              during each row, sample every CPU with Linux perf (999 Hz, no call stacks; the
#                      middle of the row) and print where the machine's time went: by process (each
#                      node, wrk, the rest) and by thread group (raft loop, raft transport, API I/O,
#                      JIT, GC, ...), with the kernel's part (bench/cpu_share.py); needs perf
#   --keep             keep the temporary directory (data and logs) for inspection
#   --tls              TLS on both systems: skiff tls init writes one CA and certificates; Skiff
#                      with --tls-* (mutual TLS between nodes, HTTPS API), etcd with
#                      --cert-file/--key-file (HTTPS clients) and --peer-* with peer client-cert auth
#
# What it does: installs etcd-server, etcd-client and wrk with apt-get if they are missing; builds
# Skiff (bin/skiff builds the distribution when it is missing or stale); starts a 3-node Skiff
# cluster and a 3-node etcd cluster on 127.0.0.1, on ports it checks are free, with their data
# in a temporary directory (fsync on for both: etcd's default, and Skiff always syncs); preloads
# 1,000 keys into each; warms both up; then runs every row against Skiff and etcd one after the
# other (the two take turns, Skiff's row then etcd's), with the same wrk and the same Lua script
# (bench/wrk/kv.lua: 100-byte values, every write a new key). Three routing paths, the same for
# both systems: rows without a suffix go to the leader (found through /v1/status and `etcdctl
# endpoint status`), "-f" rows to one follower, "-all" rows through all three nodes at once (one
# wrk per node, the connections split evenly, results summed: what a load balancer does). The
# first30 row starts each cluster and measures writes at 64 connections to its leader for the
# first 30 s after it is ready (no preload, no warm-up), before anything else.
#
# Output: the table on stdout; bench/results/<timestamp>.json and .svg (latency against
# throughput). Traffic goes only to 127.0.0.1. It stops only the processes it started (on any
# exit) and deletes nothing outside its own temporary directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

duration=15
warmup=20
# The rows an acceptance line compares run back to back: each workload via the leader, then via a
# follower, then through all nodes. The machine's speed drifts by 10-20 % over minutes (etcd's own
# follower/leader ratio moved between 0.83 and 1.07 across six runs when the follower rows ran
# minutes after the leader rows), so rows measured far apart compare the drift as much as the paths.
rows_default="first30,write1,write16,write64,write64-f,write64-all,write256,consistent64,consistent64-f,consistent64-all,stale64,mix64,mix64-f,mix64-all"
rows_extra="txn1,txn8,txn64"
rows=$rows_default
only=""
failover=0
trials=10
jfr=0
cpu=0
keep=0
quick=0
duration_set=0
warmup_set=0
nkeys=1000
tls=0
scheme=http

die() { echo "compare.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --duration) [[ ${2:-} =~ ^[0-9]+$ && $2 -ge 1 && $2 -le 120 ]] || die "--duration needs seconds in 1..120"; duration=$2; duration_set=1; shift ;;
    --warmup) [[ ${2:-} =~ ^[0-9]+$ && $2 -le 120 ]] || die "--warmup needs seconds in 0..120"; warmup=$2; warmup_set=1; shift ;;
    --rows) [[ -n ${2:-} ]] || die "--rows needs a list, e.g. write64,consistent64"; rows=$2; shift ;;
    --only) [[ ${2:-} == skiff || ${2:-} == etcd ]] || die "--only takes skiff or etcd"; only=$2; shift ;;
    --failover) failover=1 ;;
    --trials) [[ ${2:-} =~ ^[0-9]+$ && $2 -ge 1 && $2 -le 50 ]] || die "--trials needs 1..50"; trials=$2; shift ;;
    --jfr) jfr=1 ;;
    --cpu) cpu=1 ;;
    --tls) tls=1; scheme=https ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done
if [[ $quick == 1 ]]; then
  [[ $duration_set == 1 ]] || duration=3
  [[ $warmup_set == 1 ]] || warmup=3
fi
if [[ $rows == none ]]; then
  rows=""
  [[ $failover == 1 ]] || die "--rows none only makes sense with --failover"
fi
IFS=, read -r -a row_list <<< "$rows"
for r in "${row_list[@]}"; do
  [[ ",$rows_default,$rows_extra," == *",$r,"* ]] || die "unknown row '$r'; rows are $rows_default,$rows_extra"
done
if [[ $cpu == 1 ]]; then
  command -v perf >/dev/null || die "--cpu needs Linux perf (Debian: apt-get install linux-perf)"
  perf record -q -a -o /dev/null -- true >/dev/null 2>&1 \
    || die "--cpu: perf cannot sample the whole system here (run as root, or lower /proc/sys/kernel/perf_event_paranoid)"
fi
systems=(skiff etcd)
[[ -z $only ]] || systems=("$only")
has() { [[ " ${systems[*]} " == *" $1 "* ]]; }

log() { printf '[compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ------------------------------------------------------------------ prerequisites

need_pkgs=()
if has etcd; then
  command -v etcd >/dev/null || need_pkgs+=(etcd-server)
  command -v etcdctl >/dev/null || need_pkgs+=(etcd-client)
fi
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v curl >/dev/null || need_pkgs+=(curl)
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  log "installing ${need_pkgs[*]} (apt-get)"
  sudo_cmd=()
  [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  if ! { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_pkgs[@]}"; } >&2; then
    echo "compare.sh: could not install ${need_pkgs[*]} with apt-get; install them yourself (Debian/Ubuntu: apt-get install etcd-server etcd-client wrk curl) and run again" >&2
    exit 1
  fi
fi
command -v python3 >/dev/null || { echo "compare.sh: python3 is needed (report and failover probe)" >&2; exit 1; }

log "building Skiff if needed (bin/skiff)"
"$root/bin/skiff" --version >/dev/null
dist=$(ls -d "$root"/dist/target/skiff-*/ | head -n1)
dist=${dist%/}

# ------------------------------------------------------------------ temp dir, processes, cleanup

tmp=$(mktemp -d "${TMPDIR:-/tmp}/skiff-compare.XXXXXX")
skiff_tls=()
etcd_client_tls=()
etcd_peer_tls=()
if [[ $tls == 1 ]]; then
  # One development CA for both systems; curl and etcdctl trust it through their environment
  # variables, wrk does not verify certificates (it still pays for the handshake and the encryption).
  "$dist/bin/skiff" tls init "$tmp/tls" --nodes n1,n2,n3,e1,e2,e3 >/dev/null
  export CURL_CA_BUNDLE="$tmp/tls/ca.pem" ETCDCTL_CACERT="$tmp/tls/ca.pem"
fi
pids=()
cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [[ $keep == 1 ]]; then
    log "kept $tmp (data and logs)"
  else
    rm -rf -- "$tmp"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/logs"

# Twelve consecutive free ports from a random base: three each for Skiff's API and raft ports,
# etcd's client and peer ports.
ports=$(python3 - <<'EOF'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 32000)
    ok = True
    for p in range(base, base + 12):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            ok = False
        finally:
            s.close()
        if not ok:
            break
    if ok:
        print(base)
        break
EOF
)
[[ -n $ports ]] || { echo "compare.sh: found no 12 consecutive free ports on 127.0.0.1" >&2; exit 1; }
api_port() { echo $((ports + $1 - 1)); }
raft_port() { echo $((ports + 3 + $1 - 1)); }
etcd_client_port() { echo $((ports + 6 + $1 - 1)); }
etcd_peer_port() { echo $((ports + 9 + $1 - 1)); }
log "ports $ports..$((ports + 11)); temporary directory $tmp"

# ------------------------------------------------------------------ Skiff

declare -A skiff_pid etcd_pid
skiff_java_opts=${SKIFF_JAVA_OPTS:-}
ts=$(date -u +%Y%m%dT%H%M%SZ)
results_dir="$here/results"
mkdir -p "$results_dir"

start_skiff() { # node number 1..3; same flags on a restart (state makes --bootstrap/--join no-ops)
  local i=$1 opts=$skiff_java_opts
  local role=(--bootstrap)
  [[ $i == 1 ]] || role=(--join "$scheme://127.0.0.1:$(api_port 1)")
  if [[ $jfr == 1 ]]; then
    opts="$opts -XX:StartFlightRecording=filename=$results_dir/$ts-n$i.jfr,settings=profile,dumponexit=true"
  fi
  if [[ $tls == 1 ]]; then
    skiff_tls=(--tls-cert-file "$tmp/tls/n$i.pem" --tls-key-file "$tmp/tls/n$i-key.pem" --tls-ca-file "$tmp/tls/ca.pem")
  fi
  JAVA_OPTS=$opts "$dist/bin/skiff" node --id "n$i" --api-addr "127.0.0.1:$(api_port "$i")" \
    --raft-addr "127.0.0.1:$(raft_port "$i")" --data-dir "$tmp/skiff/n$i" "${role[@]}" "${skiff_tls[@]}" \
    >>"$tmp/logs/skiff-n$i.log" 2>&1 &
  skiff_pid[$i]=$!
  pids+=($!)
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

wait_for() { # seconds description command...
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "compare.sh: timed out after ${limit}s waiting for $what; logs in $tmp/logs (kept)" >&2
      keep=1
      exit 1
    fi
    sleep 0.2
  done
}

skiff_members() { # prints how many members node 1 sees
  curl -fsS --max-time 2 "$scheme://127.0.0.1:$(api_port 1)/v1/status" 2>/dev/null \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["latest_configuration"]))' 2>/dev/null || echo 0
}
skiff_has_three() { [[ $(skiff_members) == 3 ]]; }
skiff_all_ready() { for i in 1 2 3; do http_ok "$scheme://127.0.0.1:$(api_port "$i")/readyz" || return 1; done; }

skiff_leader_api() { # host:port of the leader's API, asked of every node in turn
  local i
  for i in 1 2 3; do
    curl -fsS --max-time 2 "$scheme://127.0.0.1:$(api_port "$i")/v1/status" 2>/dev/null \
      | python3 -c 'import json,sys; s=json.load(sys.stdin); l=s.get("leader") or {}; a=l.get("apiAddress"); print(a) if a else sys.exit(1)' 2>/dev/null \
      && return 0
  done
  return 1
}

start_skiff_cluster() {
  log "starting Skiff (3 nodes, $dist)"
  start_skiff 1
  wait_for 60 "Skiff n1 to be ready" http_ok "$scheme://127.0.0.1:$(api_port 1)/readyz"
  start_skiff 2
  start_skiff 3
  wait_for 90 "Skiff n2 and n3 to join" skiff_has_three
  wait_for 60 "every Skiff node to be ready" skiff_all_ready
}

# ------------------------------------------------------------------ etcd

etcd_initial_cluster() {
  local i out=""
  for i in 1 2 3; do out+="${out:+,}e$i=$scheme://127.0.0.1:$(etcd_peer_port "$i")"; done
  echo "$out"
}
etcd_endpoints() {
  local i out=""
  for i in 1 2 3; do out+="${out:+,}$scheme://127.0.0.1:$(etcd_client_port "$i")"; done
  echo "$out"
}

start_etcd() { # member number 1..3; a restart reuses the data dir (initial-cluster flags are then ignored)
  local i=$1
  if [[ $tls == 1 ]]; then
    etcd_client_tls=(--cert-file "$tmp/tls/e$i.pem" --key-file "$tmp/tls/e$i-key.pem")
    etcd_peer_tls=(--peer-cert-file "$tmp/tls/e$i.pem" --peer-key-file "$tmp/tls/e$i-key.pem"
      --peer-trusted-ca-file "$tmp/tls/ca.pem" --peer-client-cert-auth)
  fi
  etcd --name "e$i" --data-dir "$tmp/etcd/e$i" "${etcd_client_tls[@]}" "${etcd_peer_tls[@]}" \
    --listen-client-urls "$scheme://127.0.0.1:$(etcd_client_port "$i")" \
    --advertise-client-urls "$scheme://127.0.0.1:$(etcd_client_port "$i")" \
    --listen-peer-urls "$scheme://127.0.0.1:$(etcd_peer_port "$i")" \
    --initial-advertise-peer-urls "$scheme://127.0.0.1:$(etcd_peer_port "$i")" \
    --initial-cluster "$(etcd_initial_cluster)" --initial-cluster-token skiff-compare \
    --initial-cluster-state new --logger zap --log-level warn \
    >>"$tmp/logs/etcd-e$i.log" 2>&1 &
  etcd_pid[$i]=$!
  pids+=($!)
}

etcd_all_healthy() { for i in 1 2 3; do curl -fsS --max-time 2 "$scheme://127.0.0.1:$(etcd_client_port "$i")/health" 2>/dev/null | grep -q '"true"' || return 1; done; }

etcd_leader_client() { # host:port of the leader's client URL
  etcdctl --endpoints "$(etcd_endpoints)" --command-timeout=3s endpoint status -w json 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    s = e["Status"]
    if s["header"]["member_id"] == s["leader"]:
        print(e["Endpoint"].split("://", 1)[-1])
        sys.exit(0)
sys.exit(1)'
}

etcd_member_of() { # client host:port -> member number
  local i
  for i in 1 2 3; do [[ $1 == "127.0.0.1:$(etcd_client_port "$i")" ]] && { echo "$i"; return; }; done
  return 1
}
skiff_node_of() {
  local i
  for i in 1 2 3; do [[ $1 == "127.0.0.1:$(api_port "$i")" ]] && { echo "$i"; return; }; done
  return 1
}

start_etcd_cluster() {
  log "starting etcd (3 members, $(etcd --version | head -n1))"
  local i
  for i in 1 2 3; do start_etcd "$i"; done
  wait_for 60 "every etcd member to be healthy" etcd_all_healthy
}

# ------------------------------------------------------------------ load

raw="$tmp/raw.tsv"
: >"$raw"

# run_wrk system target connections mode readmode prefix duration -> prints the WRKRESULT line
run_wrk() {
  local system=$1 target=$2 conns=$3 mode=$4 readmode=$5 prefix=$6 secs=$7
  local threads=2
  if ((conns < 2)) || [[ $mode == preload ]]; then threads=1; fi
  local out
  out=$(wrk -t "$threads" -c "$conns" -d "${secs}s" --timeout 10s -s "$here/wrk/kv.lua" "$scheme://$target" \
    -- "$system" "$mode" "$readmode" "$prefix" "$nkeys" 2>&1) || { echo "compare.sh: wrk failed: $out" >&2; exit 1; }
  grep '^WRKRESULT' <<<"$out" || { echo "compare.sh: wrk printed no result: $out" >&2; exit 1; }
}

target_of() {
  case $1 in
    skiff) skiff_leader_api ;;
    etcd) etcd_leader_client ;;
  esac
}

has_leader() { target_of "$1" >/dev/null; }

row_spec() { # row -> "connections mode readmode path" (path: leader, follower or all)
  local base=${1%-f} path=leader
  if [[ $1 == *-f ]]; then path=follower; elif [[ $1 == *-all ]]; then base=${1%-all}; path=all; fi
  case $base in
    first30) echo "64 write consistent leader" ;;
    write1) echo "1 write consistent $path" ;;
    write16) echo "16 write consistent $path" ;;
    write64) echo "64 write consistent $path" ;;
    write256) echo "256 write consistent $path" ;;
    consistent64) echo "64 read consistent $path" ;;
    stale64) echo "64 read stale $path" ;;
    mix64) echo "64 mix consistent $path" ;;
    txn1) echo "64 txn1 consistent $path" ;;
    txn8) echo "64 txn8 consistent $path" ;;
    txn64) echo "64 txn64 consistent $path" ;;
  esac
}

node_targets() { # system -> the client host:port of every node, one a line
  local i
  for i in 1 2 3; do
    case $1 in
      skiff) echo "127.0.0.1:$(api_port "$i")" ;;
      etcd) echo "127.0.0.1:$(etcd_client_port "$i")" ;;
    esac
  done
}

follower_of() { # system -> the client host:port of one follower (the first node that is not the leader)
  local leader t
  leader=$(target_of "$1") || return 1
  for t in $(node_targets "$1"); do [[ $t == "$leader" ]] || { echo "$t"; return 0; }; done
  return 1
}

# run_wrk_all system connections mode readmode prefix duration -> one WRKRESULT line for all three
# nodes together: one wrk (one thread) per node at the same time, the connections split evenly.
# Requests and errors are summed; the mean and p50 are weighted by each wrk's requests; p90, p99,
# p99.9 and max are the largest of the three (an upper bound: wrk's histograms cannot be merged).
run_wrk_all() {
  local system=$1 conns=$2 mode=$3 readmode=$4 prefix=$5 secs=$6
  local i=0 t c wpids=() outs=()
  for t in $(node_targets "$system"); do
    c=$((conns / 3 + (i < conns % 3 ? 1 : 0)))
    outs+=("$tmp/wrk-all-$i.out")
    wrk -t 1 -c "$c" -d "${secs}s" --timeout 10s -s "$here/wrk/kv.lua" "$scheme://$t" \
      -- "$system" "$mode" "$readmode" "$prefix-n$i" "$nkeys" >"$tmp/wrk-all-$i.out" 2>&1 &
    wpids+=($!)
    i=$((i + 1))
  done
  for p in "${wpids[@]}"; do wait "$p" || { echo "compare.sh: wrk failed: $(cat "${outs[@]}")" >&2; exit 1; }; done
  python3 - "${outs[@]}" <<'PYEOF'
import sys
rs = []
for path in sys.argv[1:]:
    line = next((l for l in open(path) if l.startswith("WRKRESULT")), None)
    if line is None:
        sys.exit("compare.sh: wrk printed no result: " + open(path).read())
    rs.append({k: float(v) for k, v in (x.split("=", 1) for x in line.split()[1:])})
n = sum(r["requests"] for r in rs) or 1
out = {"requests": sum(r["requests"] for r in rs), "duration_us": max(r["duration_us"] for r in rs)}
for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"):
    out[k] = sum(r[k] for r in rs)
out["mean_us"] = sum(r["mean_us"] * r["requests"] for r in rs) / n
out["p50_us"] = sum(r["p50_us"] * r["requests"] for r in rs) / n
for k in ("p90_us", "p99_us", "p999_us", "max_us"):
    out[k] = max(r[k] for r in rs)
print("WRKRESULT " + " ".join("%s=%s" % (k, ("%.1f" % v) if k == "mean_us" else "%d" % v) for k, v in out.items()))
PYEOF
}

preload_ok() { # the last preloaded key reads back
  local system=$1 target=$2 key
  key=$(printf 'pre/%06d' $((nkeys - 1)))
  if [[ $system == skiff ]]; then
    http_ok "$scheme://$target/v1/kv/$key"
  else
    curl -fsS --max-time 2 -X POST -d "{\"key\":\"$(printf %s "$key" | base64)\"}" "$scheme://$target/v3/kv/range" | grep -q '"kvs"'
  fi
}

# ------------------------------------------------------------------ run

meta="$tmp/meta.json"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average at start: $load_start ($(nproc) CPUs)"
first30=0
[[ ",$rows," == *",first30,"* ]] && first30=1
declare -A target
for s in "${systems[@]}"; do
  case $s in
    skiff) start_skiff_cluster ;;
    etcd) start_etcd_cluster ;;
  esac
  wait_for 30 "a $s leader" has_leader "$s"
  target[$s]=$(target_of "$s")
  log "$s leader at ${target[$s]}"
  if [[ $first30 == 1 ]]; then
    # The first 30 s of a cluster that has just become ready: nothing preloaded, nothing warmed.
    load=$(cut -d' ' -f1 /proc/loadavg)
    log "first30: $s at ${target[$s]}, 64 connections, 30s right after start (load $load)"
    result=$(run_wrk "$s" "${target[$s]}" 64 write consistent first30 30)
    printf '%s\t%s\t%s\t%s\t%s\n' first30 "$s" 64 "$load" "$result" >>"$raw"
  fi
done

if [[ ${#row_list[@]} -gt 0 ]]; then
  for s in "${systems[@]}"; do
    log "$s: preloading $nkeys keys"
    # One thread cycling through the keys; repeated until the last key reads back.
    for attempt in 1 2 3 4 5 6; do
      run_wrk "$s" "${target[$s]}" 16 preload consistent pre 3 >/dev/null
      preload_ok "$s" "${target[$s]}" && break
      [[ $attempt -lt 6 ]] || { echo "compare.sh: $s did not take the preload (see $tmp/logs)" >&2; keep=1; exit 1; }
    done
  done
  if [[ $warmup -gt 0 ]]; then
    for s in "${systems[@]}"; do
      # Through all three nodes, as users' traffic arrives: every path the rows take (forwarded
      # writes, follower reads) is warm before it is measured, not only the leader's.
      log "$s: warming up (${warmup}s through all three nodes at 64 connections, writes then the mix, not recorded)"
      run_wrk_all "$s" 64 write consistent warmup-w $(((warmup + 1) / 2)) >/dev/null
      run_wrk_all "$s" 64 mix consistent warmup-m $((warmup / 2 > 0 ? warmup / 2 : 1)) >/dev/null
    done
  fi
fi

# --cpu: perf samples every CPU for the middle of a row (a second in, until a second before its
# end), then bench/cpu_share.py attributes them to processes (the nodes by PID) and thread groups.
cpu_report="$results_dir/$ts-cpu.txt"
cpu_profile_start() { # row system
  [[ $cpu == 1 ]] || return 0
  local skip=$((duration > 4 ? 1 : 0))
  perf_data="$tmp/perf-$1-$2.data"
  (sleep "$skip"; exec perf record -q -a -F 999 -o "$perf_data" -- sleep $((duration - 2 * skip))) >/dev/null 2>&1 &
  perf_pid=$!
}
cpu_profile_end() { # row system
  [[ $cpu == 1 ]] || return 0
  wait "$perf_pid" || { log "$1: perf failed on $2; no CPU profile for this row"; return 0; }
  local labels=() i role skiff_leader="" etcd_leader=""
  has skiff && skiff_leader=$(skiff_leader_api 2>/dev/null || true)
  has etcd && etcd_leader=$(etcd_leader_client 2>/dev/null || true)
  for i in 1 2 3; do
    if [[ -n ${skiff_pid[$i]:-} ]]; then
      role=""; [[ $skiff_leader != "127.0.0.1:$(api_port "$i")" ]] || role=" (leader)"
      labels+=("${skiff_pid[$i]}=skiff n$i$role")
    fi
    if [[ -n ${etcd_pid[$i]:-} ]]; then
      role=""; [[ $etcd_leader != "127.0.0.1:$(etcd_client_port "$i")" ]] || role=" (leader)"
      labels+=("${etcd_pid[$i]}=etcd e$i$role")
    fi
  done
  perf script -G -F comm,pid,tid,ip,dso -i "$perf_data" 2>/dev/null \
    | python3 "$here/cpu_share.py" "$1 on $2 (CPU time of the whole machine, $(nproc) CPUs = 100 %)" "${labels[@]}" >>"$cpu_report"
  rm -f "$perf_data"
}

n=0
for row in "${row_list[@]}"; do
  [[ $row != first30 ]] || continue
  read -r conns mode readmode path <<<"$(row_spec "$row")"
  # The systems take turns: skiff, etcd, skiff, etcd, ... (the warm-up ends with etcd's), so each
  # row of either system comes right after 15 s of the other's. Until Dec 2026 the first system
  # alternated by row, so some rows followed the same system's previous row and some the other's.
  for s in "${systems[@]}"; do
    target[$s]=$(target_of "$s") || { echo "compare.sh: $s has no leader before row $row (see $tmp/logs)" >&2; keep=1; exit 1; }
    load=$(cut -d' ' -f1 /proc/loadavg)
    cpu_profile_start "$row" "$s"
    case $path in
      leader)
        log "$row: $s leader at ${target[$s]}, $conns connections, ${duration}s (load $load)"
        result=$(run_wrk "$s" "${target[$s]}" "$conns" "$mode" "$readmode" "r$n-$row" "$duration") ;;
      follower)
        t=$(follower_of "$s") || { echo "compare.sh: $s has no follower before row $row" >&2; keep=1; exit 1; }
        log "$row: $s follower at $t, $conns connections, ${duration}s (load $load)"
        result=$(run_wrk "$s" "$t" "$conns" "$mode" "$readmode" "r$n-$row" "$duration") ;;
      all)
        log "$row: $s through all three nodes, $conns connections split evenly, ${duration}s (load $load)"
        result=$(run_wrk_all "$s" "$conns" "$mode" "$readmode" "r$n-$row" "$duration") ;;
    esac
    cpu_profile_end "$row" "$s"
    printf '%s\t%s\t%s\t%s\t%s\n' "$row" "$s" "$conns" "$load" "$result" >>"$raw"
  done
  n=$((n + 1))
done

# ------------------------------------------------------------------ failover

failover_skiff_trial() {
  local t=$1 leader i urls="" ms
  wait_for 60 "every Skiff node to be ready" skiff_all_ready
  leader=$(skiff_leader_api) && i=$(skiff_node_of "$leader") || { echo "compare.sh: no Skiff leader" >&2; exit 1; }
  for j in 1 2 3; do [[ $j == "$i" ]] || urls+="${urls:+,}$scheme://127.0.0.1:$(api_port "$j")"; done
  ms=$(python3 "$here/failover.py" --system skiff --pid "${skiff_pid[$i]}" --urls "$urls" --key "failover/$t") || ms=fail
  wait "${skiff_pid[$i]}" 2>/dev/null || true
  log "failover skiff trial $t: killed n$i (leader), first write after $ms ms"
  printf 'failover\tskiff\t%s\t%s\n' "$t" "$ms" >>"$raw"
  start_skiff "$i"
}

failover_etcd_trial() {
  local t=$1 leader i urls="" ms
  wait_for 60 "every etcd member to be healthy" etcd_all_healthy
  wait_for 30 "an etcd leader" has_leader etcd
  leader=$(etcd_leader_client) && i=$(etcd_member_of "$leader") || { echo "compare.sh: no etcd leader" >&2; exit 1; }
  for j in 1 2 3; do [[ $j == "$i" ]] || urls+="${urls:+,}$scheme://127.0.0.1:$(etcd_client_port "$j")"; done
  ms=$(python3 "$here/failover.py" --system etcd --pid "${etcd_pid[$i]}" --urls "$urls" --key "failover/$t") || ms=fail
  wait "${etcd_pid[$i]}" 2>/dev/null || true
  log "failover etcd trial $t: killed e$i (leader), first write after $ms ms"
  printf 'failover\tetcd\t%s\t%s\n' "$t" "$ms" >>"$raw"
  start_etcd "$i"
}

if [[ $failover == 1 ]]; then
  for t in $(seq 1 "$trials"); do
    if has skiff; then failover_skiff_trial "$t"; fi
    if has etcd; then failover_etcd_trial "$t"; fi
  done
  if has skiff; then wait_for 60 "every Skiff node to be ready" skiff_all_ready; fi
  if has etcd; then wait_for 60 "every etcd member to be healthy" etcd_all_healthy; fi
fi

# ------------------------------------------------------------------ report

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$meta" <<EOF
import json, subprocess, sys
def out(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except Exception:
        return "?"
meta = {
    "timestamp": "$ts",
    "loadavg_start": "$load_start",
    "loadavg_end": "$load_end",
    "cpus": $(nproc),
    "duration_s_per_row": $duration,
    "tls": $( [[ $tls == 1 ]] && echo True || echo False ),
    "warmup_s": $warmup,
    "preloaded_keys": $nkeys,
    "value_bytes": 100,
    "policy": "same wrk, same Lua script (bench/wrk/kv.lua); rows without suffix to each cluster's leader, -f to one follower, -all one wrk per node with the connections split evenly (summed; p90+ the largest of the three)",
    "skiff_commit": out(["git", "-C", "$root", "rev-parse", "--short", "HEAD"]),
    "skiff_java_opts": "$skiff_java_opts",
    "etcd_version": out(["etcd", "--version"]) if "$(has etcd && echo 1)" else None,
    "wrk_version": out(["wrk", "-v"]),
    "kernel": out(["uname", "-r"]),
}
json.dump(meta, open(sys.argv[1], "w"))
EOF
python3 "$here/report.py" "$raw" "$meta" "$results_dir/$ts.json" "$results_dir/$ts.svg"
echo "load average: start $load_start, end $load_end ($(nproc) CPUs)"
echo "results: $results_dir/$ts.json, chart: $results_dir/$ts.svg"
if [[ $cpu == 1 && -f $cpu_report ]]; then echo; cat "$cpu_report"; echo "CPU profiles: $cpu_report"; fi
if [[ $jfr == 1 ]]; then echo "JFR recordings (written when the nodes stop): $results_dir/$ts-n{1,2,3}.jfr"; fi
