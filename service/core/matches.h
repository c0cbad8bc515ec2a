// Mentor matches as use cases (R-STABLE, R-LIFECYCLE, R-MATCHREC): batch
// stable matching planned on the replica's snapshot and committed at once,
// publishing and discarding, manual matches, members' answers, ending,
// reading — on the store's MatchStore, with the replica's snapshot told of
// every write before the call returns (SPEC §6: a replica sees its own
// writes at once).
//
//   core::Matches matches(&match_store, &member_store, &settings_store,
//                         &snapshots, {.sync_max_members = 50000});
//   ASSIGN_OR_RETURN(core::MatchingRun run,
//                    matches.RunMatching(pool, options, ref_time, call));
//   ASSIGN_OR_RETURN(store::MatchRecord m,
//                    matches.Respond(pool, match_id, member, false, "", call));
//
// Inputs are validated by the caller (the API layer) against the SPEC's
// limits; these methods check the state (NOT_FOUND for an unknown pool or
// member, FAILED_PRECONDITION for a pool too large for a synchronous run or
// a pair that fails the hard constraints, ABORTED when a concurrent change
// kept winning) and propagate the store's errors.
//
// Batch inputs (SPEC §4): a default run discards the pool's earlier PROPOSED
// matches, so it takes every eligible mentee without an ACTIVE match and
// gives each mentor capacity - ACTIVE; an incremental run keeps PROPOSED
// matches, takes only mentees without a live match and gives capacity -
// ACTIVE - PROPOSED. The plan works on a private copy of the snapshot
// compiled for the run's reference week, so it holds no lock while it
// computes; the commit checks every mentor's version and capacity, and a
// plan that raced a change is made again (up to 4 times).
#ifndef PEERMATCH_SERVICE_CORE_MATCHES_H_
#define PEERMATCH_SERVICE_CORE_MATCHES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "matcher/parallel.h"
#include "service/core/types.h"
#include "service/snapshot/pool_snapshots.h"
#include "service/store/stores.h"

namespace peermatch::core {

// Plans a batch run from the pool's snapshot (no write). INVALID_ARGUMENT
// for max_candidates outside 0-1000; NOT_FOUND for an unknown pool.
absl::StatusOr<MatchingPlan> PlanMatching(
    snapshot::PoolSnapshots* snapshots, const std::string& pool,
    const MatchingOptions& options, absl::Time reference_time,
    absl::Time deadline, const ProgressFn& progress,
    matcher::ParallelFor parallel_for = {});

struct MatchesOptions {
  // Largest pool a synchronous RunMatching accepts (--sync-max-members).
  int64_t sync_max_members = 50000;
};

class Matches {
 public:
  Matches(store::MatchStore* matches, store::MemberStore* members,
          store::SettingsStore* settings, snapshot::PoolSnapshots* snapshots,
          MatchesOptions options = {})
      : matches_(matches),
        members_(members),
        settings_(settings),
        snapshots_(snapshots),
        options_(options) {}

  // Plans and commits a batch run: shared by RunMatching and
  // MENTOR_MATCHING jobs, which pass their job id and fencing token;
  // `before_commit` runs right before the (first) commit and may refuse it.
  absl::StatusOr<std::pair<MatchingPlan, store::CommitResult>> PlanAndCommit(
      const std::string& pool, const MatchingOptions& options,
      absl::Time reference_time, const Call& call, const std::string& job_id,
      std::optional<int64_t> fencing_token, const ProgressFn& progress,
      const std::function<absl::Status()>& before_commit = {});

  // A synchronous batch run (RunMatching). FAILED_PRECONDITION for a pool
  // above sync_max_members.
  absl::StatusOr<MatchingRun> RunMatching(const std::string& pool,
                                          const MatchingOptions& options,
                                          absl::Time reference_time,
                                          const Call& call);

  // The listed PROPOSED matches, or all of the pool's when `ids` is empty.
  absl::StatusOr<int> Publish(const std::string& pool,
                              const std::vector<std::string>& ids,
                              const Call& call);
  absl::StatusOr<int> Discard(const std::string& pool,
                              const std::vector<std::string>& ids,
                              const Call& call);

  // A coordinator's ACTIVE match; `override` (with a reason) skips the hard
  // constraints and is audited.
  absl::StatusOr<store::MatchRecord> CreateManual(const std::string& pool,
                                                  const std::string& mentee,
                                                  const std::string& mentor,
                                                  bool override,
                                                  const std::string& reason,
                                                  const Call& call);

  absl::StatusOr<store::MatchRecord> Respond(const std::string& pool,
                                             const std::string& match_id,
                                             const std::string& member,
                                             bool accept,
                                             const std::string& reason,
                                             const Call& call);
  absl::StatusOr<store::MatchRecord> End(const std::string& pool,
                                         const std::string& match_id,
                                         const std::string& reason,
                                         bool exclude, const Call& call);

  absl::StatusOr<store::MatchRecord> Get(const std::string& pool,
                                         const std::string& match_id,
                                         absl::Time deadline);
  // Newest first; `member` "" for all; `states` empty for all. Pages are
  // full unless they are the last (states are filtered before paging).
  absl::StatusOr<store::MatchPage> List(
      const std::string& pool, const std::string& member,
      const std::vector<store::MatchState>& states, int page_size,
      int64_t offset, absl::Time deadline);

  // Expires PROPOSED matches past their TTL in every pool (SPEC §4); returns
  // how many. Used by ExpirySweeper.
  absl::StatusOr<int> ExpireDue(absl::Time deadline);

 private:
  store::MatchStore* matches_;
  store::MemberStore* members_;
  store::SettingsStore* settings_;
  snapshot::PoolSnapshots* snapshots_;
  MatchesOptions options_;
};

// Calls Matches::ExpireDue every `interval` on its own thread until
// destroyed.
class ExpirySweeper {
 public:
  ExpirySweeper(Matches* matches, absl::Duration interval);
  ~ExpirySweeper();

 private:
  void Loop();
  Matches* matches_;
  absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_MATCHES_H_
