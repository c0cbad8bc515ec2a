#!/usr/bin/env bash
# Batch stable matching through the API end to end (R-PERF, R-STABLE):
# imports MENTEES mentees and MENTORS mentors (generator seed 1) into a fresh
# pool, then times one synchronous RunMatching — snapshot copy, scoring,
# deferred acceptance, verification and the atomic commit of every proposal
# — as the client sees it. Peak RSS of peermatchd is read from /proc.
# Usage: bench/service/run_batch_bench.sh [BUILD_DIR] [MENTEES] [MENTORS]
set -euo pipefail
BUILD=${1:-build}
NE=${2:-20000}
NM=${3:-5000}
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; sleep 0.5; rm -rf "$TMP"' EXIT
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
RP=$(free_port); GP=$(free_port)
redis-server --port "$RP" --bind 127.0.0.1 --dir "$TMP" --save '' --appendonly no \
  --logfile "$TMP/redis.log" &
for _ in $(seq 1 50); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$BUILD/service/peermatchd" --listen "127.0.0.1:$GP" --redis "redis://127.0.0.1:$RP" \
  --metrics-listen "" --log-level info --max-call-ms 600000 2>"$TMP/peermatchd.log" &
PID=$!
for _ in $(seq 1 100); do "$BUILD/cli/peermatch" --target "127.0.0.1:$GP" health >/dev/null 2>&1 && break; sleep 0.1; done
LG="$BUILD/bench/service/peermatch_loadgen"
"$LG" --target "127.0.0.1:$GP" --mode import --members $((NE + NM)) --mentees "$NE" --mentors "$NM" --concurrency 4 --seed 1
"$LG" --target "127.0.0.1:$GP" --mode batch --pool bench
grep VmHWM /proc/$PID/status
