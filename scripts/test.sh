#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test (R-TEST):
#   1. Release build (GCC): unit, property, integration tests against real
#      redis-server processes and a 3-master Redis Cluster that the harness
#      starts itself, CLI black-box tests, Kubernetes manifest checks, and
#      end-to-end tests of the real peermatchd driven from /usr/bin/python3;
#   2. clang with AddressSanitizer + UndefinedBehaviorSanitizer: every test
#      except the end-to-end and manifest ones, plus short fixed-seed
#      libFuzzer passes;
#   3. clang with ThreadSanitizer: the Redis layer's concurrency tests.
# Usage: scripts/test.sh   (from any directory; as root on a fresh Debian 12)
# PEERMATCH_TEST_STAGES=release limits the run to stage 1 (quicker local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
STAGES=${PEERMATCH_TEST_STAGES:-release,asan,tsan}
JOBS=$(nproc)

if [[ $STAGES == *release* ]]; then
  echo "== stage 1: Release build and every test"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --parallel "$JOBS"
  ctest --test-dir build --output-on-failure --no-tests=error -j "$JOBS"
fi

if [[ $STAGES == *asan* ]]; then
  echo "== stage 2: AddressSanitizer + UndefinedBehaviorSanitizer, fuzzing"
  CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEERMATCH_SANITIZE=address,undefined \
    -DPEERMATCH_FUZZ=ON -DPEERMATCH_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan --parallel "$JOBS"
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure --no-tests=error \
    -j "$JOBS" -E '^(e2e_|k8s_)'
fi

if [[ $STAGES == *tsan* ]]; then
  echo "== stage 3: ThreadSanitizer on the Redis layer"
  CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEERMATCH_SANITIZE=thread \
    -DPEERMATCH_BUILD_BENCH=OFF >/dev/null
  cmake --build build-tsan --parallel "$JOBS" --target store_unit_test \
    store_connection_test store_repository_test store_cluster_test
  TSAN_OPTIONS=halt_on_error=1 \
    ctest --test-dir build-tsan --output-on-failure --no-tests=error \
    -j "$JOBS" -R '^(Connection|ConnectionPool|RedisClient|MemberRepository|ClusterClient|Backoff)'
fi
echo "== all test stages passed: $STAGES"
