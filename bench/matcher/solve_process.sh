#!/usr/bin/env bash
# R-PERF / R-OFFLINE: `peermatch solve` as a whole process on the benchmark
# instance (10,000 mentees x 500 mentors, 10-long lists, capacity 20, seed 1)
# and, for comparison, on an empty instance (process start-up alone).
# Usage: bench/matcher/solve_process.sh BUILD_DIR [RUNS]
# Prints the median and minimum wall time of RUNS runs (default 21) and the
# peak RSS of one run (/usr/bin/time -v, from Debian's `time` package).
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [RUNS]}
runs=${2:-21}
peermatch="$build/cli/peermatch"
gen="$build/bench/generator/peermatch_gen_solve_instance"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$gen" 1 10000 500 10 20 > "$dir/instance.json"
echo '{}' > "$dir/empty.json"
measure() {  # FILE -> "median min" in milliseconds
  local file=$1 t
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$peermatch" solve "$file" > /dev/null
    end=$(date +%s%N)
    echo $(( (end - start) / 1000 ))
  done | sort -n | awk '{a[NR]=$1} END {printf "median %.1f ms, min %.1f ms\n", a[int((NR+1)/2)]/1000, a[1]/1000}'
}
echo "instance: $(wc -c < "$dir/instance.json") bytes"
echo "solve 10k x 500: $(measure "$dir/instance.json")"
echo "solve {} (start-up only): $(measure "$dir/empty.json")"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$peermatch" solve "$dir/instance.json" 2>&1 >/dev/null |
    grep -E "Maximum resident set size"
fi
