#include "service/api/match_logic.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "peermatch/v1/match.pb.h"
#include "service/api/conversions.h"
#include "service/api/core_codec.h"
#include "service/api/validation.h"

namespace peermatch::api {
namespace {

constexpr int kMaxReason = 256;
constexpr int kMaxIds = 10000;

void CheckTimestamp(const google::protobuf::Timestamp& t, bool has,
                    const std::string& field, FieldErrors* errors) {
  if (has && !IsValidTimestamp(t)) {
    errors->Add(field, "must be a valid timestamp");
  }
}

void CheckReason(const std::string& reason, bool required,
                 const std::string& field, FieldErrors* errors) {
  if (reason.size() > static_cast<size_t>(kMaxReason)) {
    errors->Add(field, absl::StrCat("at most ", kMaxReason, " bytes"));
  } else if (required && reason.empty()) {
    errors->Add(field, "is required");
  }
}

void CheckMatchIds(const google::protobuf::RepeatedPtrField<std::string>& ids,
                   FieldErrors* errors) {
  if (ids.size() > kMaxIds) {
    errors->Add("match_ids", absl::StrCat("at most ", kMaxIds));
    return;
  }
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i].empty() || ids[i].size() > 32) {
      errors->Add(absl::StrCat("match_ids[", i, "]"), "is not a match id");
    }
  }
}

}  // namespace

absl::Status MatchLogic::RunMatching(const v1::RunMatchingRequest& req,
                                     const CallInfo& call,
                                     v1::RunMatchingResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  const v1::MatchingOptions& o = req.options();
  if (o.max_candidates() < 0 || o.max_candidates() > 1000) {
    errors.Add("options.max_candidates", "must be 0 (complete lists) to 1000");
  }
  if (!v1::ProposingSide_IsValid(o.proposing_side())) {
    errors.Add("options.proposing_side", "is not a known side");
  }
  CheckTimestamp(o.reference_time(), o.has_reference_time(),
                 "options.reference_time", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  const absl::Time ref =
      o.has_reference_time() ? FromTimestamp(o.reference_time()) : absl::Now();
  ASSIGN_OR_RETURN(
      core::MatchingRun run,
      matches_->RunMatching(req.pool(), MatchingOptionsFromProto(o), ref,
                            call.core()));
  for (const core::ProposedMatch& p : run.proposed) {
    v1::Match* m = resp->add_proposed();
    m->set_id(p.id);
    m->set_pool(req.pool());
    m->set_mentee_id(p.pair.mentee);
    m->set_mentor_id(p.pair.mentor);
    m->set_state(static_cast<v1::MatchState>(p.state));
    m->set_mentee_score(p.pair.mentee_micros / 1e6);
    m->set_mentor_score(p.pair.mentor_micros / 1e6);
    m->set_origin("batch");
  }
  *resp->mutable_report() = MatchingReportToProto(run.report);
  return absl::OkStatus();
}

absl::Status MatchLogic::Publish(const v1::PublishMatchesRequest& req,
                                 const CallInfo& call,
                                 v1::PublishMatchesResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMatchIds(req.match_ids(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  std::vector<std::string> ids(req.match_ids().begin(), req.match_ids().end());
  ASSIGN_OR_RETURN(int n, matches_->Publish(req.pool(), ids, call.core()));
  resp->set_published(n);
  return absl::OkStatus();
}

absl::Status MatchLogic::Discard(const v1::DiscardProposalsRequest& req,
                                 const CallInfo& call,
                                 v1::DiscardProposalsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMatchIds(req.match_ids(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  std::vector<std::string> ids(req.match_ids().begin(), req.match_ids().end());
  ASSIGN_OR_RETURN(int n, matches_->Discard(req.pool(), ids, call.core()));
  resp->set_discarded(n);
  return absl::OkStatus();
}

absl::Status MatchLogic::CreateManual(const v1::CreateManualMatchRequest& req,
                                      const CallInfo& call,
                                      v1::CreateManualMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.mentee_id(), "mentee_id", &errors);
  CheckMemberId(req.mentor_id(), "mentor_id", &errors);
  CheckReason(req.reason(), req.override(), "reason", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(
      store::MatchRecord made,
      matches_->CreateManual(req.pool(), req.mentee_id(), req.mentor_id(),
                             req.override(), req.reason(), call.core()));
  *resp->mutable_match() = MatchToProto(made, req.pool());
  return absl::OkStatus();
}

absl::Status MatchLogic::Respond(const v1::RespondToMatchRequest& req,
                                 const CallInfo& call,
                                 v1::RespondToMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.member_id(), "member_id", &errors);
  if (req.match_id().empty()) errors.Add("match_id", "is required");
  CheckReason(req.reason(), false, "reason", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(
      store::MatchRecord m,
      matches_->Respond(req.pool(), req.match_id(), req.member_id(),
                        req.accept(), req.reason(), call.core()));
  *resp->mutable_match() = MatchToProto(m, req.pool());
  return absl::OkStatus();
}

absl::Status MatchLogic::End(const v1::EndMatchRequest& req,
                             const CallInfo& call, v1::EndMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.match_id().empty()) errors.Add("match_id", "is required");
  CheckReason(req.reason(), true, "reason", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::MatchRecord m,
                   matches_->End(req.pool(), req.match_id(), req.reason(),
                                 req.exclude(), call.core()));
  *resp->mutable_match() = MatchToProto(m, req.pool());
  return absl::OkStatus();
}

absl::Status MatchLogic::Get(const v1::GetMatchRequest& req,
                             const CallInfo& call, v1::GetMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.match_id().empty()) errors.Add("match_id", "is required");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::MatchRecord m,
                   matches_->Get(req.pool(), req.match_id(), call.deadline));
  *resp->mutable_match() = MatchToProto(m, req.pool());
  return absl::OkStatus();
}

absl::Status MatchLogic::List(const v1::ListMatchesRequest& req,
                              const CallInfo& call,
                              v1::ListMatchesResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (!req.member_id().empty())
    CheckMemberId(req.member_id(), "member_id", &errors);
  CheckPageSize(req.page_size(), "page_size", &errors);
  std::vector<store::MatchState> states;
  for (int i = 0; i < req.states_size(); ++i) {
    int s = req.states(i);
    if (s < v1::MATCH_STATE_PROPOSED || s > v1::MATCH_STATE_EXPIRED) {
      errors.Add(absl::StrCat("states[", i, "]"), "is not a match state");
    } else {
      states.push_back(static_cast<store::MatchState>(s));
    }
  }
  int64_t offset = 0;
  if (!DecodeOffsetToken(req.pool(), req.page_token(), &offset)) {
    errors.Add("page_token",
               "is not a token from a previous response for this pool");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  int size = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
  ASSIGN_OR_RETURN(store::MatchPage page,
                   matches_->List(req.pool(), req.member_id(), states, size,
                                  offset, call.deadline));
  for (const store::MatchRecord& m : page.matches) {
    *resp->add_matches() = MatchToProto(m, req.pool());
  }
  if (page.next_offset > 0) {
    resp->set_next_page_token(EncodeOffsetToken(req.pool(), page.next_offset));
  }
  return absl::OkStatus();
}

}  // namespace peermatch::api
