// `peermatch plan`: the offline what-if mode (SPEC §8 R-OFFLINE). Runs what
// a batch run would (stable matching, then group formation) on members read
// from a file, without a server or Redis.
//
//   peermatch plan --members cohort.jsonl [--settings settings.json]
//                  [--reference-time 2025-03-03T12:00:00Z]
//
// Inputs:
//   - --members: JSON Lines, one `peermatch.v1.Member` per line in
//     protobuf's JSON mapping (enums as names or numbers; unknown fields
//     rejected). Blank lines are skipped. Each member is validated and
//     normalized exactly as the server does (api::NormalizeMember).
//   - --settings: one `peermatch.v1.PoolSettings` JSON object; absent fields
//     keep the SPEC defaults, ranges as the server checks them
//     (api::MergeSettings).
//   - --reference-time: RFC 3339 (e.g. 2025-03-03T12:00:00+01:00); default
//     now. It picks the reference week of SPEC §3.1.
//
// What runs: every member with the MENTEE role takes part in mentee-proposing
// deferred acceptance with complete lists (ineligible ones are reported with
// their reason), every mentor with mentor_capacity > 0 offers that capacity
// (there are no existing matches offline); then group formation over the
// members with the GROUP_MEMBER or FACILITATOR role. The matcher library is
// the one the service uses, so the result is the batch run's.
//
// Output (stdout, one line of JSON, schema cli/plan.proto): `matches` by
// mentee id with both views' scores as millionths / 1e6; `unmatched_mentees`
// [{id, reason}] for every MENTEE not matched, by id; `groups` with sorted
// `members`, `facilitator` (absent when none) and the UTC `slot`, by first
// member; `unplaced` [{id, reason}] for every group-role member not placed,
// by id; `blocking_pairs`. The same input gives byte-identical output
// whatever the order of the member lines.
//
// Exit status: 0 success; 2 bad usage or bad input (malformed JSON, an
// unknown field, an invalid member or setting, a duplicate id, a bad
// reference time, an unreadable file) with one line on stderr naming the
// file, line and field path, and nothing on stdout; 1 an internal failure.
// Messages never echo profile content.
#ifndef PEERMATCH_CLI_PLAN_CMD_H_
#define PEERMATCH_CLI_PLAN_CMD_H_

#include <string>
#include <vector>

#include "cli/command.h"

namespace peermatch::cli {

// `options` is unused: plan is offline.
int RunPlan(const GlobalOptions& options, const std::vector<std::string>& args);

}  // namespace peermatch::cli

#endif  // PEERMATCH_CLI_PLAN_CMD_H_
