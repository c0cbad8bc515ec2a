#!/usr/bin/env bash
# Writes legacy.rdb: a Redis dump of pool `legacy` written by peermatch at
# commit f0bb607, whose stored payloads were serialized peermatch.v1 protos
# (member `p`, group `p`, settings `p`). Kept with the JSON the old server
# returned for the same records (expected_*.json), so the store's codec
# (service/store/record_codec.h) is tested against data it did not write.
# Run once, from a build of that commit:
#   BUILD=/path/to/old/build tests/store/testdata/legacy_v0/make_fixture.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:?set BUILD to a build directory of commit f0bb607}
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
RP=16390; GP=50391
redis-server --port $RP --bind 127.0.0.1 --dir "$TMP" --dbfilename legacy.rdb \
  --save "" --appendonly no --daemonize no >/dev/null &
sleep 0.5
"$BUILD/service/peermatchd" --listen 127.0.0.1:$GP --redis redis://127.0.0.1:$RP \
  --metrics-listen "" 2>"$TMP/server.log" &
sleep 1
CLI=("$BUILD/cli/peermatch" --target 127.0.0.1:$GP --output json)
"${CLI[@]}" members import --pool legacy "$HERE/members.jsonl"
"${CLI[@]}" settings update --pool legacy '{"min_score": 0.1, "session_minutes": 60, "max_size": 6,
  "mentee_weights": {"triggers": 0.5}, "mentor_weights": {"modality": 0.25},
  "proposal_ttl_seconds": 3600, "require_facilitator": true, "facilitator_min_stage": 5,
  "affinity_weights": {"interests": 0.5}}' > "$HERE/expected_settings.json"
"${CLI[@]}" call CoordinationService/RunMatching \
  '{"pool":"legacy","options":{"reference_time":"2026-11-30T12:00:00Z"}}' >/dev/null
"${CLI[@]}" match publish --pool legacy >/dev/null
"${CLI[@]}" call CoordinationService/FormGroups \
  '{"pool":"legacy","options":{"reference_time":"2026-11-30T12:00:00Z"}}' >/dev/null
"${CLI[@]}" groups publish --pool legacy >/dev/null
for id in $(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$HERE/members.jsonl"); do
  "${CLI[@]}" members get --pool legacy "$id"
done > "$HERE/expected_members.jsonl"
"${CLI[@]}" groups list --pool legacy > "$HERE/expected_groups.json"
redis-cli -p $RP SAVE >/dev/null
cp "$TMP/legacy.rdb" "$HERE/legacy.rdb"
echo "wrote $HERE/legacy.rdb"
