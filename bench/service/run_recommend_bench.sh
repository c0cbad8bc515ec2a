#!/usr/bin/env bash
# Real-time recommendation benchmark (R-PERF, R-RECOMMEND): a 100,000-member
# pool, k = 10, over loopback gRPC. Reports the cold snapshot load (from the
# server's log), snapshot memory per member (from /metrics), client-side
# calls/s and latency, and the server-side p99 read from the
# peermatch_rpc_seconds histogram (bucket upper bound).
# Usage: bench/service/run_recommend_bench.sh [BUILD_DIR] [MEMBERS] [SECONDS] [IN_FLIGHT]
set -euo pipefail
BUILD=${1:-build}
N=${2:-100000}
SECS=${3:-10}
CONC=${4:-16}
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; sleep 0.5; rm -rf "$TMP"' EXIT
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
RP=$(free_port); GP=$(free_port); MP=$(free_port)
redis-server --port "$RP" --bind 127.0.0.1 --dir "$TMP" --save '' --appendonly no \
  --logfile "$TMP/redis.log" &
for _ in $(seq 1 50); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$BUILD/service/peermatchd" --listen "127.0.0.1:$GP" --redis "redis://127.0.0.1:$RP" \
  --metrics-listen "127.0.0.1:$MP" --log-level info 2>"$TMP/peermatchd.log" &
for _ in $(seq 1 100); do "$BUILD/cli/peermatch" --target "127.0.0.1:$GP" health >/dev/null 2>&1 && break; sleep 0.1; done
LG="$BUILD/bench/service/peermatch_loadgen"
"$LG" --target "127.0.0.1:$GP" --mode import --members "$N" --concurrency 4 --seed 1
"$LG" --target "127.0.0.1:$GP" --mode recommend --members "$N" --concurrency "$CONC" --duration-s "$SECS" --seed 1
grep '"snapshot loaded"' "$TMP/peermatchd.log" | head -1
sleep 0.5
curl -s "http://127.0.0.1:$MP/metrics" >"$TMP/metrics" 2>/dev/null || \
  /usr/bin/python3 -c "import urllib.request,sys;sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$MP/metrics').read().decode())" >"$TMP/metrics"
/usr/bin/python3 - "$TMP/metrics" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
buckets = []
for le, n in re.findall(r'peermatch_rpc_seconds_bucket\{method="RecommendMentors",le="([^"]+)"\} (\d+)', text):
    buckets.append((float("inf") if le == "+Inf" else float(le), int(n)))
total = buckets[-1][1]
for q in (0.5, 0.99):
    le = next(le for le, n in buckets if n >= q * total)
    print(f"server p{int(q*100)} <= {le*1000:g} ms ({total} calls)")
members = float(re.search(r'peermatch_snapshot_members\{pool="bench"\} (\S+)', text).group(1))
size = float(re.search(r'peermatch_snapshot_bytes\{pool="bench"\} (\S+)', text).group(1))
print(f"snapshot: {members:.0f} members, {size/members:.0f} bytes/member")
PY
