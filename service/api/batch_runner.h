// Batch stable matching of a pool through the service (R-STABLE): the
// computation shared by the synchronous RunMatching RPC and MENTOR_MATCHING
// jobs. The commit (all PROPOSED matches at once, capacity-checked, fenced
// for jobs) is the match repository's CommitProposals.
//
//   ASSIGN_OR_RETURN(MatchingPlan plan,
//                    PlanMatching(&snapshots, "pool-1", options, ref_time,
//                                 deadline, progress));
//   // plan.proposals -> CommitProposals; plan.report -> the caller
//
// Inputs (SPEC §4): a default run discards the pool's earlier PROPOSED
// matches, so it takes every mentee without an ACTIVE match and gives each
// mentor capacity - ACTIVE; an incremental run keeps PROPOSED matches, takes
// only mentees without a live match and gives capacity - ACTIVE - PROPOSED.
// Pinned (ACTIVE) pairs therefore always take their capacity first. The run
// works on a private copy of the snapshot compiled for the reference week,
// so it holds no lock while it computes.
#ifndef PEERMATCH_SERVICE_API_BATCH_RUNNER_H_
#define PEERMATCH_SERVICE_API_BATCH_RUNNER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "matcher/parallel.h"
#include "peermatch/v1/match.pb.h"
#include "service/snapshot/pool_snapshots.h"
#include "service/store/match_repository.h"

namespace peermatch::api {

struct PlannedMatch {
  std::string mentee;
  std::string mentor;
  int32_t mentee_micros = 0;
  int32_t mentor_micros = 0;
};

struct MatchingPlan {
  std::vector<PlannedMatch> proposals;  // by mentee id
  // Every mentor in `proposals` with its capacity and the member version the
  // capacity was read from (the commit checks it).
  std::vector<store::MentorCapacity> mentors;
  v1::MatchingReport report;
  bool incremental = false;
};

// (phase, percent 0-100); may be empty.
using ProgressFn = std::function<void(const std::string&, double)>;

// INVALID_ARGUMENT for bad options (max_candidates outside 0-1000);
// NOT_FOUND for an unknown pool; store errors while loading.
absl::StatusOr<MatchingPlan> PlanMatching(
    snapshot::PoolSnapshots* snapshots, const std::string& pool,
    const v1::MatchingOptions& options, absl::Time reference_time,
    absl::Time deadline, const ProgressFn& progress,
    matcher::ParallelFor parallel_for = {});

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_BATCH_RUNNER_H_
