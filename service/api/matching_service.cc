#include "service/api/matching_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "matcher/recommend.h"
#include "matcher/time.h"
#include "service/api/settings_codec.h"
#include "service/api/validation.h"
#include "base/status_macros.h"

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

absl::Status CheckWeekMatches(const google::protobuf::Timestamp& t, bool has,
                              const matcher::CompiledPool& pool) {
  if (!has) return absl::OkStatus();
  matcher::ReferenceWeek week =
      matcher::ReferenceWeekContaining(absl::FromUnixSeconds(t.seconds()));
  if (week.start != pool.week().start) {
    return absl::FailedPreconditionError(
        "reference_time: real-time calls answer for the current reference "
        "week; use a batch run or `peermatch plan` for another week");
  }
  return absl::OkStatus();
}

absl::StatusOr<matcher::MemberIndex> FindMember(const matcher::CompiledPool& p,
                                                const std::string& id,
                                                const char* what) {
  std::optional<matcher::MemberIndex> i = p.Find(id);
  if (!i.has_value()) {
    return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
  }
  return *i;
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

  return snapshots_->Read(
      req.pool(), deadline,
      [&](const snapshot::PoolView& view) -> absl::Status {
        const matcher::CompiledPool& pool = view.pool();
        RETURN_IF_ERROR(CheckWeekMatches(req.reference_time(),
                                         req.has_reference_time(), pool));
        ASSIGN_OR_RETURN(matcher::MemberIndex e,
                         FindMember(pool, req.mentee_id(), "mentee"));
        matcher::RecommendRequest r;
        r.mentee = e;
        r.k = req.k() == 0 ? 10 : req.k();
        for (const std::string& id : req.exclude_ids()) {
          if (auto i = pool.Find(id)) r.exclude.push_back(*i);
        }
        std::optional<matcher::Scorer> override_scorer;
        if (req.has_mentee_weights() || req.has_min_score()) {
          matcher::PoolSettings s = view.settings();
          FieldErrors werrors;
          MergeWeights(req.mentee_weights(), "mentee_weights",
                       &s.mentee_weights, &werrors);
          RETURN_IF_ERROR(werrors.ToStatus());
          if (req.has_min_score()) s.min_score = req.min_score();
          ASSIGN_OR_RETURN(matcher::Scorer sc,
                           matcher::Scorer::Create(pool, s));
          override_scorer.emplace(std::move(sc));
          r.scorer = &*override_scorer;
        }
        ASSIGN_OR_RETURN(
            matcher::RecommendResult result,
            matcher::RecommendMentors(view.free_mentor_index(), r));
        for (const matcher::Recommendation& rec : result.mentors) {
          v1::Recommendation* out = resp->add_recommendations();
          out->set_mentor_id(pool.id(rec.mentor));
          out->set_score(rec.mentee_micros / 1e6);
          out->set_free_capacity(view.free_capacity(rec.mentor));
          ExplanationToProto(rec.explanation, req.mentee_id(),
                             pool.id(rec.mentor), pool.week().start,
                             out->mutable_explanation());
        }
        resp->set_snapshot_version(static_cast<int64_t>(view.position().ms));
        return absl::OkStatus();
      });
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
  return snapshots_->Read(
      req.pool(), deadline,
      [&](const snapshot::PoolView& view) -> absl::Status {
        const matcher::CompiledPool& pool = view.pool();
        RETURN_IF_ERROR(CheckWeekMatches(req.reference_time(),
                                         req.has_reference_time(), pool));
        ASSIGN_OR_RETURN(matcher::MemberIndex e,
                         FindMember(pool, req.mentee_id(), "mentee"));
        ASSIGN_OR_RETURN(matcher::MemberIndex m,
                         FindMember(pool, req.mentor_id(), "mentor"));
        const matcher::Scorer* scorer = &view.scorer();
        std::optional<matcher::Scorer> override_scorer;
        if (req.has_mentee_weights() || req.has_mentor_weights()) {
          matcher::PoolSettings s = view.settings();
          FieldErrors werrors;
          MergeWeights(req.mentee_weights(), "mentee_weights",
                       &s.mentee_weights, &werrors);
          MergeWeights(req.mentor_weights(), "mentor_weights",
                       &s.mentor_weights, &werrors);
          RETURN_IF_ERROR(werrors.ToStatus());
          ASSIGN_OR_RETURN(matcher::Scorer sc,
                           matcher::Scorer::Create(pool, s));
          override_scorer.emplace(std::move(sc));
          scorer = &*override_scorer;
        }
        ExplanationToProto(scorer->Explain(e, m), req.mentee_id(),
                           req.mentor_id(), pool.week().start,
                           resp->mutable_explanation());
        return absl::OkStatus();
      });
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
