#!/usr/bin/env bash
# One command: installs the dependencies, builds peermatch, starts a local
# redis-server (data under ./var/redis, loopback only) and peermatchd, and
# loads a small demo pool so you can call the service right away.
#
#   scripts/quickstart.sh          # start (idempotent: restarts what runs)
#   scripts/quickstart.sh stop     # stop both
#
# Ports: gRPC 127.0.0.1:50051, metrics http://127.0.0.1:9464/metrics,
# Redis 127.0.0.1:6390. Logs: ./var/log/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR=$ROOT/var
BUILD=${PEERMATCH_BUILD_DIR:-build}
REDIS_PORT=${PEERMATCH_DEMO_REDIS_PORT:-6390}
LISTEN=${PEERMATCH_DEMO_LISTEN:-127.0.0.1:50051}
METRICS=${PEERMATCH_DEMO_METRICS:-127.0.0.1:9464}

stop() {
  for name in peermatchd redis; do
    if [ -f "$VAR/$name.pid" ]; then
      pid=$(cat "$VAR/$name.pid")
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
      rm -f "$VAR/$name.pid"
    fi
  done
}

if [ "${1:-}" = "stop" ]; then
  stop
  echo "stopped"
  exit 0
fi

scripts/install-deps.sh
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)" --target peermatchd peermatch e2e_python_stubs

stop
mkdir -p "$VAR/redis" "$VAR/log"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$VAR/redis" \
  --appendonly yes --daemonize yes --pidfile "$VAR/redis.pid" \
  --logfile "$VAR/log/redis.log"
for _ in $(seq 1 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

nohup "$BUILD/service/peermatchd" --listen "$LISTEN" \
  --redis "redis://127.0.0.1:$REDIS_PORT" --metrics-listen "$METRICS" \
  >>"$VAR/log/peermatchd.log" 2>&1 &
echo $! >"$VAR/peermatchd.pid"

CLI="$BUILD/cli/peermatch"
for _ in $(seq 1 100); do
  "$CLI" --target "$LISTEN" health >/dev/null 2>&1 && break
  sleep 0.1
done
"$CLI" --target "$LISTEN" health

scripts/demo.sh "$CLI" "$LISTEN"

cat <<MSG

peermatch is running.
  gRPC      $LISTEN   (reflection on; e.g. $CLI --target $LISTEN members list --pool demo)
  metrics   http://$METRICS/metrics
  logs      $VAR/log/
  stop      scripts/quickstart.sh stop
MSG
