#!/usr/bin/env bash
# Member API benchmarks over loopback gRPC (R-PERF): starts a throwaway
# redis-server and peermatchd on free ports, then runs the load generator:
#   1. bulk import of N members through BatchUpsertMembers (members/s);
#   2. GetMember closed loop (calls/s, p50/p99);
#   3. UpsertMember closed loop (calls/s, p50/p99);
# after Redis' own benchmark on the same server as the reference figure.
# Usage: bench/service/run_member_bench.sh [BUILD_DIR] [MEMBERS] [SECONDS]
set -euo pipefail
BUILD=${1:-build}
N=${2:-100000}
SECS=${3:-10}
CONC=${PEERMATCH_BENCH_CONCURRENCY:-64}
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; sleep 0.5; rm -rf "$TMP"' EXIT
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
RP=$(free_port); GP=$(free_port)
redis-server --port "$RP" --bind 127.0.0.1 --dir "$TMP" --save '' --appendonly no \
  --logfile "$TMP/redis.log" &
for _ in $(seq 1 50); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
# The machine's reference figure, in the same run (machines differ): Redis'
# own benchmark, pipelined SETs against the same throwaway server.
echo "reference: redis-benchmark -P 64 -t set -n 2000000"
redis-benchmark -p "$RP" -P 64 -t set -n 2000000 -q | tr '\r' '\n' | grep -a 'requests per second' | tail -1
redis-cli -p "$RP" flushall >/dev/null
"$BUILD/service/peermatchd" --listen "127.0.0.1:$GP" --redis "redis://127.0.0.1:$RP" \
  --metrics-listen "" --log-level warn 2>"$TMP/peermatchd.log" &
for _ in $(seq 1 100); do "$BUILD/cli/peermatch" --target "127.0.0.1:$GP" health >/dev/null 2>&1 && break; sleep 0.1; done
LG="$BUILD/bench/service/peermatch_loadgen"
"$LG" --target "127.0.0.1:$GP" --mode import --members "$N" --concurrency 4 --seed 1
"$LG" --target "127.0.0.1:$GP" --mode get --members "$N" --concurrency "$CONC" --duration-s "$SECS" --seed 1
"$LG" --target "127.0.0.1:$GP" --mode upsert --members "$N" --concurrency "$CONC" --duration-s "$SECS" --seed 1
