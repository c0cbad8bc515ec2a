#!/usr/bin/env bash
# Loads the demo pool into a running peermatchd and walks through it with the
# CLI: import a generated cohort, run batch stable matching, publish, form
# support groups, and ask for recommendations.
# Usage: scripts/demo.sh CLI TARGET
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=$1
TARGET=$2
pm() { "$CLI" --target "$TARGET" "$@"; }
mkdir -p var
scripts/gen_demo.py --count 60 --seed 7 >var/demo-members.jsonl
echo "== importing 60 demo members into pool 'demo'"
pm members import --pool demo var/demo-members.jsonl
echo "== a few of them"
pm members list --pool demo --page-size 5 2>/dev/null
echo "== batch stable matching (proposals, then published)"
pm match run --pool demo | tail -n 8
pm match publish --pool demo
echo "== support groups (formed, then published)"
pm groups form --pool demo
pm groups publish --pool demo
echo "== recommendations for demo-001 and why"
pm recommend --pool demo --mentee demo-001 --k 3 || true
echo "== pool statistics"
pm stats --pool demo
