// Matches through the service (R-STABLE, R-LIFECYCLE, R-MATCHREC): the
// synchronous batch run, publishing, manual matches, members' answers,
// ending, reading — validation and conversion around MatchRepository, with
// the replica's snapshot told about every write at once.
//
//   MatchLogic logic(&matches, &settings, &snapshots, config.sync_max_members);
//   RETURN_IF_ERROR(logic.RunMatching(request, call, &response));
//
// The gRPC adapters (MatchingServiceImpl, CoordinationServiceImpl) call
// these methods from the executor.
#ifndef PEERMATCH_SERVICE_API_MATCH_LOGIC_H_
#define PEERMATCH_SERVICE_API_MATCH_LOGIC_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "peermatch/v1/coordination_service.pb.h"
#include "peermatch/v1/matching_service.pb.h"
#include "service/api/batch_runner.h"
#include "service/api/unary.h"
#include "service/snapshot/pool_snapshots.h"
#include "service/store/match_repository.h"
#include "service/store/pool_registry.h"
#include "service/store/settings_repository.h"

namespace peermatch::api {

v1::Match MatchToProto(const store::MatchRecord& m, absl::string_view pool);

class MatchLogic {
 public:
  MatchLogic(store::MatchRepository* matches,
             store::SettingsRepository* settings,
             snapshot::PoolSnapshots* snapshots, int64_t sync_max_members,
             store::PoolRegistry* pools = nullptr)
      : pools_(pools),
        matches_(matches),
        settings_(settings),
        snapshots_(snapshots),
        sync_max_members_(sync_max_members) {}

  // Coordinators.
  absl::Status RunMatching(const v1::RunMatchingRequest& req,
                           const CallInfo& call, v1::RunMatchingResponse* resp);
  absl::Status Publish(const v1::PublishMatchesRequest& req,
                       const CallInfo& call, v1::PublishMatchesResponse* resp);
  absl::Status Discard(const v1::DiscardProposalsRequest& req,
                       const CallInfo& call,
                       v1::DiscardProposalsResponse* resp);
  absl::Status CreateManual(const v1::CreateManualMatchRequest& req,
                            const CallInfo& call,
                            v1::CreateManualMatchResponse* resp);

  // Platforms.
  absl::Status Respond(const v1::RespondToMatchRequest& req,
                       const CallInfo& call, v1::RespondToMatchResponse* resp);
  absl::Status End(const v1::EndMatchRequest& req, const CallInfo& call,
                   v1::EndMatchResponse* resp);
  absl::Status Get(const v1::GetMatchRequest& req, const CallInfo& call,
                   v1::GetMatchResponse* resp);
  absl::Status List(const v1::ListMatchesRequest& req, const CallInfo& call,
                    v1::ListMatchesResponse* resp);

  // Plans and commits a batch run; shared by RunMatching and
  // MENTOR_MATCHING jobs (which pass their fencing token and job id).
  // Retries when the snapshot lagged behind a mentor's profile.
  absl::StatusOr<std::pair<MatchingPlan, store::CommitResult>> PlanAndCommit(
      const std::string& pool, const v1::MatchingOptions& options,
      absl::Time reference_time, const std::string& actor,
      const std::string& job_id, std::optional<int64_t> fencing_token,
      absl::Time deadline, const ProgressFn& progress,
      const std::function<absl::Status()>& before_commit = {});

 private:
  store::PoolRegistry* pools_;  // unknown pools are NOT_FOUND; may be null
  store::MatchRepository* matches_;
  store::SettingsRepository* settings_;
  snapshot::PoolSnapshots* snapshots_;
  int64_t sync_max_members_;
};

// Expires PROPOSED matches past the pool's proposal TTL (SPEC §4), for every
// registered pool, every `interval`, on its own thread.
class ExpirySweeper {
 public:
  ExpirySweeper(store::MatchRepository* matches, store::PoolRegistry* registry,
                snapshot::PoolSnapshots* snapshots, absl::Duration interval);
  ~ExpirySweeper();

 private:
  void Loop();
  store::MatchRepository* matches_;
  store::PoolRegistry* registry_;
  snapshot::PoolSnapshots* snapshots_;
  absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_MATCH_LOGIC_H_
