// Matches through the API (R-STABLE, R-LIFECYCLE, R-MATCHREC): validates
// each request against the SPEC's limits, converts it, and calls the use
// case in core::Matches, which owns the rules and the snapshot notification.
//
//   MatchLogic logic(&core_matches);
//   RETURN_IF_ERROR(logic.RunMatching(request, call, &response));
//
// The gRPC adapters (MatchingServiceImpl, CoordinationServiceImpl) call
// these methods from the executor.
#ifndef PEERMATCH_SERVICE_API_MATCH_LOGIC_H_
#define PEERMATCH_SERVICE_API_MATCH_LOGIC_H_

#include "absl/status/status.h"
#include "peermatch/v1/coordination_service.pb.h"
#include "peermatch/v1/matching_service.pb.h"
#include "service/api/unary.h"
#include "service/core/matches.h"

namespace peermatch::api {

class MatchLogic {
 public:
  explicit MatchLogic(core::Matches* matches) : matches_(matches) {}

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

 private:
  core::Matches* matches_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_MATCH_LOGIC_H_
