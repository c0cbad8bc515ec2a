// The domain types of the core use cases (service/core): what batch runs
// take and report, in plain C++. The API layer converts them to and from
// peermatch.v1 messages (service/api/conversions.h); nothing here knows
// protobuf or gRPC.
//
//   core::MatchingOptions o{.proposing_side = matcher::ProposingSide::kMentee};
//   ASSIGN_OR_RETURN(core::MatchingRun run, matches.Run(pool, o, ref, call));
//   for (const core::ProposedMatch& p : run.proposed) { ... }
//   use(run.report.blocking_pairs);
#ifndef PEERMATCH_SERVICE_CORE_TYPES_H_
#define PEERMATCH_SERVICE_CORE_TYPES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "matcher/batch_matching.h"
#include "matcher/groups.h"
#include "service/store/match_types.h"

namespace peermatch::core {

// Who asks, for the audit stream, and until when (SPEC §8: the server caps
// how long it works on a call).
struct Call {
  std::string actor;
  absl::Time deadline;
};

// (phase, percent 0-100) of a long run; may be empty.
using ProgressFn = std::function<void(const std::string&, double)>;

// ---- mentor matching (R-STABLE) ---------------------------------------------

struct MatchingOptions {
  matcher::ProposingSide proposing_side = matcher::ProposingSide::kMentee;
  int max_candidates = 0;  // 0: complete lists; else 1-1000
  bool incremental = false;
};

struct UnmatchedMentee {
  std::string id;
  matcher::UnmatchedReason reason = matcher::UnmatchedReason::kOutcompeted;
};

struct MentorFill {
  std::string mentor_id;
  int capacity = 0;  // the free capacity the run could fill
  int assigned = 0;
};

// The verification and statistics of a batch run (SPEC §4).
struct MatchingReport {
  int64_t blocking_pairs = 0;
  int matched = 0;
  int unmatched = 0;
  std::vector<UnmatchedMentee> unmatched_mentees;
  double mean_mentee_rank = 0;
  int worst_mentee_rank = 0;
  double mean_mentor_rank = 0;
  int worst_mentor_rank = 0;
  std::vector<MentorFill> mentor_fill;
  int proposals_discarded = 0;
  int proposals_created = 0;
  int64_t preference_list_entries = 0;
};

// A pair the plan proposes, with both views' scores: what the store commits.
using PlannedMatch = store::Proposal;

struct MatchingPlan {
  std::vector<PlannedMatch> proposals;  // by mentee id
  // Every mentor in `proposals` with its capacity and the member version the
  // capacity was read from (the commit checks it).
  std::vector<store::MentorCapacity> mentors;
  MatchingReport report;
  bool incremental = false;
};

// A proposal as a synchronous run returns it.
struct ProposedMatch {
  std::string id;
  PlannedMatch pair;
  store::MatchState state = store::MatchState::kProposed;
};

struct MatchingRun {
  std::vector<ProposedMatch> proposed;
  MatchingReport report;
};

// ---- groups (R-GROUPS, R-REGROUP) -------------------------------------------

struct GroupingOptions {
  bool full = false;
  int time_budget_ms = 0;  // 0: no time limit (deterministic); else 1-60000
};

struct ChurnEntry {
  std::string member_id;
  std::string from_group_id;
  std::string to_group_id;
  std::string reason;
};

struct GroupingReport {
  int groups = 0;
  int placed = 0;
  std::vector<matcher::UnplacedMember> unplaced;
  double total_fit = 0;
  double upper_bound = 0;
  int size_deviation = 0;
  std::vector<ChurnEntry> churn;
  int groups_kept = 0;
  int groups_dissolved = 0;
  bool search_cut_by_time = false;
};

// ---- pools (R-API statistics) -----------------------------------------------

struct PoolStats {
  int64_t members = 0;
  int64_t by_role[5] = {};   // by role number 1-4
  int64_t by_stage[6] = {};  // by stage 1-5
  int64_t safety_hold = 0;
  int64_t mentees_eligible = 0;
  int64_t mentees_matched = 0;
  double matched_fraction = 0;
  int64_t mentor_capacity = 0;
  int64_t mentor_load = 0;
  double mentor_utilisation = 0;
  store::LiveCounts matches;
  int64_t groups_active = 0;
  int64_t groups_proposed = 0;
  int64_t group_members_placed = 0;
  int64_t group_members_unplaced = 0;
  int64_t snapshot_version = 0;
};

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_TYPES_H_
