#include "service/api/matching_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "matcher/recommend.h"
#include "service/api/conversions.h"
#include "service/api/settings_codec.h"
#include "service/api/validation.h"

namespace peermatch::api {
namespace {

constexpr int kMaxExcludeIds = 256;

void ViewToProto(const matcher::ViewScore& in, v1::ViewScore* out) {
  out->set_score_micros(in.score_micros);
  out->set_score(in.score());
  for (const matcher::ComponentScore& c : in.components) {
    v1::ScoreComponent* pc = out->add_components();
    pc->set_name(std::string(c.name));
    pc->set_value(c.value);
    pc->set_weight(c.weight);
    pc->set_contribution(c.contribution);
  }
}

// A request's reference week must be the snapshot's: the snapshot holds
// availability compiled for the current week.
void CheckReferenceTime(const google::protobuf::Timestamp& t, bool has,
                        FieldErrors* errors) {
  if (!has) return;
  if (t.seconds() < 0 || t.seconds() > 253402300799 || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    errors->Add("reference_time", "must be a valid timestamp");
  }
}

std::optional<absl::Time> ReferenceTime(const google::protobuf::Timestamp& t,
                                        bool has) {
  if (!has) return std::nullopt;
  return FromTimestamp(t);
}

}  // namespace

void ExplanationToProto(const matcher::PairExplanation& in,
                        const std::string& mentee_id,
                        const std::string& mentor_id, absl::Time week_start,
                        v1::PairExplanation* out) {
  out->set_mentee_id(mentee_id);
  out->set_mentor_id(mentor_id);
  out->set_acceptable(in.acceptable);
  for (matcher::Constraint c : in.failed_constraints) {
    out->add_failed_constraints(static_cast<v1::Constraint>(c));
  }
  ViewToProto(in.mentee_view, out->mutable_mentee_view());
  ViewToProto(in.mentor_view, out->mutable_mentor_view());
  out->set_overlap_minutes(in.overlap_minutes);
  for (const auto& t : in.shared_triggers) out->add_shared_triggers(t);
  for (const auto& t : in.shared_interests) out->add_shared_interests(t);
  for (const auto& l : in.shared_languages) out->add_shared_languages(l);
  for (matcher::Modality m : in.shared_modalities) {
    out->add_shared_modalities(static_cast<v1::Modality>(m));
  }
  out->mutable_reference_week_start()->set_seconds(
      absl::ToUnixSeconds(week_start));
}

absl::Status MatchingLogic::Recommend(const v1::RecommendMentorsRequest& req,
                                      absl::Time deadline,
                                      v1::RecommendMentorsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.mentee_id(), "mentee_id", &errors);
  if (req.k() < 0 || req.k() > matcher::kMaxRecommendations) {
    errors.Add("k", absl::StrCat("must be 0 (default 10) to ",
                                 matcher::kMaxRecommendations));
  }
  if (req.exclude_ids_size() > kMaxExcludeIds) {
    errors.Add("exclude_ids", absl::StrCat("at most ", kMaxExcludeIds));
  }
  for (int i = 0; i < std::min(req.exclude_ids_size(), kMaxExcludeIds); ++i) {
    CheckMemberId(req.exclude_ids(i), absl::StrCat("exclude_ids[", i, "]"),
                  &errors);
  }
  if (req.has_min_score() && !(req.min_score() >= 0 && req.min_score() <= 1)) {
    errors.Add("min_score", "must be 0 to 1");
  }
  CheckReferenceTime(req.reference_time(), req.has_reference_time(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());

  core::RecommendQuery q;
  q.mentee = req.mentee_id();
  q.k = req.k() == 0 ? 10 : req.k();
  q.exclude.assign(req.exclude_ids().begin(), req.exclude_ids().end());
  q.reference_time =
      ReferenceTime(req.reference_time(), req.has_reference_time());
  if (req.has_mentee_weights() || req.has_min_score()) {
    q.adjust = [&req](matcher::PoolSettings* s) {
      FieldErrors werrors;
      MergeWeights(req.mentee_weights(), "mentee_weights", &s->mentee_weights,
                   &werrors);
      if (req.has_min_score()) s->min_score = req.min_score();
      return werrors.ToStatus();
    };
  }
  ASSIGN_OR_RETURN(core::Recommendations result,
                   recommender_->Recommend(req.pool(), q, deadline));
  for (const core::Recommendation& rec : result.mentors) {
    v1::Recommendation* out = resp->add_recommendations();
    out->set_mentor_id(rec.mentor_id);
    out->set_score(rec.mentee_micros / 1e6);
    out->set_free_capacity(rec.free_capacity);
    ExplanationToProto(rec.explanation, req.mentee_id(), rec.mentor_id,
                       result.week_start, out->mutable_explanation());
  }
  resp->set_snapshot_version(result.snapshot_version);
  return absl::OkStatus();
}

absl::Status MatchingLogic::Explain(const v1::ExplainPairRequest& req,
                                    absl::Time deadline,
                                    v1::ExplainPairResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.mentee_id(), "mentee_id", &errors);
  CheckMemberId(req.mentor_id(), "mentor_id", &errors);
  CheckReferenceTime(req.reference_time(), req.has_reference_time(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  core::MatcherPatch adjust;
  if (req.has_mentee_weights() || req.has_mentor_weights()) {
    adjust = [&req](matcher::PoolSettings* s) {
      FieldErrors werrors;
      MergeWeights(req.mentee_weights(), "mentee_weights", &s->mentee_weights,
                   &werrors);
      MergeWeights(req.mentor_weights(), "mentor_weights", &s->mentor_weights,
                   &werrors);
      return werrors.ToStatus();
    };
  }
  ASSIGN_OR_RETURN(
      core::Explanation ex,
      recommender_->Explain(
          req.pool(), req.mentee_id(), req.mentor_id(),
          ReferenceTime(req.reference_time(), req.has_reference_time()), adjust,
          deadline));
  ExplanationToProto(ex.explanation, req.mentee_id(), req.mentor_id(),
                     ex.week_start, resp->mutable_explanation());
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* MatchingServiceImpl::RecommendMentors(
    grpc::CallbackServerContext* ctx, const v1::RecommendMentorsRequest* req,
    v1::RecommendMentorsResponse* resp) {
  return runner_->Run(ctx, v1::MatchingService::service_full_name(),
                      "RecommendMentors", *req,
                      [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->Recommend(*req, call.deadline, resp);
                      });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::ExplainPair(
    grpc::CallbackServerContext* ctx, const v1::ExplainPairRequest* req,
    v1::ExplainPairResponse* resp) {
  return runner_->Run(ctx, v1::MatchingService::service_full_name(),
                      "ExplainPair", *req,
                      [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->Explain(*req, call.deadline, resp);
                      });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::RespondToMatch(
    grpc::CallbackServerContext* ctx, const v1::RespondToMatchRequest* req,
    v1::RespondToMatchResponse* resp) {
  return runner_->Run(ctx, v1::MatchingService::service_full_name(),
                      "RespondToMatch", *req,
                      [m = matches_, req, resp](const CallInfo& call) {
                        return m->Respond(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::EndMatch(
    grpc::CallbackServerContext* ctx, const v1::EndMatchRequest* req,
    v1::EndMatchResponse* resp) {
  return runner_->Run(ctx, v1::MatchingService::service_full_name(), "EndMatch",
                      *req, [m = matches_, req, resp](const CallInfo& call) {
                        return m->End(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::GetMatch(
    grpc::CallbackServerContext* ctx, const v1::GetMatchRequest* req,
    v1::GetMatchResponse* resp) {
  return runner_->Run(ctx, v1::MatchingService::service_full_name(), "GetMatch",
                      *req, [m = matches_, req, resp](const CallInfo& call) {
                        return m->Get(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::ListMatches(
    grpc::CallbackServerContext* ctx, const v1::ListMatchesRequest* req,
    v1::ListMatchesResponse* resp) {
  return runner_->Run(ctx, v1::MatchingService::service_full_name(),
                      "ListMatches", *req,
                      [m = matches_, req, resp](const CallInfo& call) {
                        return m->List(*req, call, resp);
                      });
}

}  // namespace peermatch::api
