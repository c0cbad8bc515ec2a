#!/usr/bin/env bash
# Loads the demo pool into a running peermatchd and shows it.
# Usage: scripts/demo.sh CLI TARGET
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=$1
TARGET=$2
mkdir -p var
scripts/gen_demo.py --count 60 --seed 7 >var/demo-members.jsonl
echo "== importing 60 demo members into pool 'demo'"
"$CLI" --target "$TARGET" members import --pool demo var/demo-members.jsonl
echo "== a few of them"
"$CLI" --target "$TARGET" members list --pool demo --page-size 5 2>/dev/null
