#!/usr/bin/env bash
# Batch runs through the API end to end (R-PERF, R-STABLE, R-GROUPS, R-JOBS):
# imports MENTEES mentees, MENTORS mentors and GROUP_MEMBERS group members
# (generator seed 1) into a fresh pool `bench`, then times one batch run as
# the client sees it:
#   sync             one synchronous RunMatching — snapshot copy, scoring,
#                    deferred acceptance, verification and the atomic commit
#                    of every proposal;
#   MENTOR_MATCHING, GROUPS, BOTH
#                    one batch job of that kind (StartJob, then GetJob every
#                    20 ms until it ends): lease, the same plan-and-commit
#                    paths, the fenced commit and the job record.
# Import is not timed. Peak RSS of peermatchd is read from /proc.
# Usage: bench/service/run_batch_bench.sh [BUILD_DIR] [MENTEES] [MENTORS]
#                                         [GROUP_MEMBERS] [RUN]
set -euo pipefail
BUILD=${1:-build}
NE=${2:-20000}
NM=${3:-5000}
NG=${4:-0}
RUN=${5:-sync}
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
"$LG" --target "127.0.0.1:$GP" --mode import --concurrency 4 --seed 1 \
  --mentees "$NE" --mentors "$NM" --group-members "$NG"
if [[ $RUN == sync ]]; then
  "$LG" --target "127.0.0.1:$GP" --mode batch --pool bench
else
  "$LG" --target "127.0.0.1:$GP" --mode job --pool bench --kind "$RUN"
fi
grep VmHWM /proc/$PID/status
