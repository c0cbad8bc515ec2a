#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test: unit, integration
# against real redis-server processes the harness starts itself, and
# end-to-end tests of the real peermatchd driven from /usr/bin/python3.
# Usage: scripts/test.sh   (from any directory; as root on a fresh Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD=${PEERMATCH_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)"
ctest --test-dir "$BUILD" --output-on-failure --no-tests=error -j "$(nproc)" "$@"
