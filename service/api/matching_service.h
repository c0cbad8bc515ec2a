// MatchingService (R-RECOMMEND, R-SCORE; lifecycle RPCs follow): real-time
// answers from the replica's pool snapshot, never from a Redis scan.
//
//   MatchingLogic logic(&recommender);   // core::Recommender
//   MatchingServiceImpl service(&runner, &logic);
#ifndef PEERMATCH_SERVICE_API_MATCHING_SERVICE_H_
#define PEERMATCH_SERVICE_API_MATCHING_SERVICE_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "matcher/scoring.h"
#include "peermatch/v1/match.pb.h"
#include "peermatch/v1/matching_service.grpc.pb.h"
#include "service/api/match_logic.h"
#include "service/api/unary.h"
#include "service/core/recommend.h"

namespace peermatch::api {

// Fills the API's explanation from the matcher's.
void ExplanationToProto(const matcher::PairExplanation& in,
                        const std::string& mentee_id,
                        const std::string& mentor_id, absl::Time week_start,
                        v1::PairExplanation* out);

class MatchingLogic {
 public:
  explicit MatchingLogic(core::Recommender* recommender)
      : recommender_(recommender) {}

  absl::Status Recommend(const v1::RecommendMentorsRequest& req,
                         absl::Time deadline,
                         v1::RecommendMentorsResponse* resp);
  absl::Status Explain(const v1::ExplainPairRequest& req, absl::Time deadline,
                       v1::ExplainPairResponse* resp);

 private:
  core::Recommender* recommender_;
};

class MatchingServiceImpl final : public v1::MatchingService::CallbackService {
 public:
  MatchingServiceImpl(RpcRunner* runner, MatchingLogic* logic,
                      MatchLogic* matches)
      : runner_(runner), logic_(logic), matches_(matches) {}

  grpc::ServerUnaryReactor* RecommendMentors(
      grpc::CallbackServerContext* ctx, const v1::RecommendMentorsRequest* req,
      v1::RecommendMentorsResponse* resp) override;
  grpc::ServerUnaryReactor* ExplainPair(grpc::CallbackServerContext* ctx,
                                        const v1::ExplainPairRequest* req,
                                        v1::ExplainPairResponse* resp) override;
  grpc::ServerUnaryReactor* RespondToMatch(
      grpc::CallbackServerContext* ctx, const v1::RespondToMatchRequest* req,
      v1::RespondToMatchResponse* resp) override;
  grpc::ServerUnaryReactor* EndMatch(grpc::CallbackServerContext* ctx,
                                     const v1::EndMatchRequest* req,
                                     v1::EndMatchResponse* resp) override;
  grpc::ServerUnaryReactor* GetMatch(grpc::CallbackServerContext* ctx,
                                     const v1::GetMatchRequest* req,
                                     v1::GetMatchResponse* resp) override;
  grpc::ServerUnaryReactor* ListMatches(grpc::CallbackServerContext* ctx,
                                        const v1::ListMatchesRequest* req,
                                        v1::ListMatchesResponse* resp) override;

 private:
  RpcRunner* runner_;
  MatchingLogic* logic_;
  MatchLogic* matches_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_MATCHING_SERVICE_H_
