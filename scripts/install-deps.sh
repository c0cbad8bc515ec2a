#!/usr/bin/env bash
# Installs everything peermatch needs to build, test and run on Debian 12.
# Idempotent; run as root (or with sudo available).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
PKGS=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libhiredis-dev libsimdjson-dev redis-server redis-tools
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-grpcio python3-protobuf
  clang libclang-rt-14-dev nghttp2-client
  tzdata
  python3-yaml
  openssl  # tests/e2e/test_tls.py makes its certificates
)
# tests/k8s: Node.js and npm for the offline schema validator. The machine
# image's Node.js 20 runs it (kubernetes-models asks for >= 22 in its
# metadata, but needs nothing newer than 20); Debian's own nodejs 18 is only
# a fallback for machines without any.
if ! command -v npm >/dev/null 2>&1; then PKGS+=(nodejs npm); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# tests/k8s: the Kubernetes schema validator (the npm package
# kubernetes-models, pinned by tests/k8s/validator/package-lock.json), into
# .cache/k8s-validator, which git ignores. Skipped when already installed at
# the pinned versions. kubectl (its built-in kustomize renders the manifests)
# is not a Debian 12 package: the machine image provides it.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VALIDATOR_SRC=$ROOT/tests/k8s/validator
VALIDATOR_DIR=$ROOT/.cache/k8s-validator
if ! cmp -s "$VALIDATOR_SRC/package-lock.json" "$VALIDATOR_DIR/package-lock.json" \
    || [ ! -f "$VALIDATOR_DIR/node_modules/kubernetes-models/package.json" ]; then
  echo "installing the Kubernetes schema validator into $VALIDATOR_DIR" >&2
  rm -rf "$VALIDATOR_DIR"
  mkdir -p "$VALIDATOR_DIR"
  cp "$VALIDATOR_SRC/package.json" "$VALIDATOR_SRC/package-lock.json" "$VALIDATOR_DIR/"
  (cd "$VALIDATOR_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "warning: kubectl not found; the tests/k8s checks will fail" >&2
fi
