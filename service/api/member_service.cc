#include "service/api/member_service.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "service/api/conversions.h"
#include "service/api/member_codec.h"
#include "service/api/validation.h"

namespace peermatch::api {
namespace {

std::optional<int64_t> ExpectedVersion(const v1::UpsertMemberRequest& req) {
  if (!req.has_expected_version()) return std::nullopt;
  return req.expected_version();
}

void CheckExpectedVersion(bool has, int64_t v, const std::string& field,
                          FieldErrors* errors) {
  if (has && v < 0) errors->Add(field, "must be >= 0 (0: must not exist)");
}

}  // namespace

absl::Status MemberLogic::Upsert(const v1::UpsertMemberRequest& req,
                                 absl::Time deadline,
                                 v1::UpsertMemberResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  v1::Member member = req.member();
  NormalizeMember(&member, "member", &errors);
  CheckExpectedVersion(req.has_expected_version(), req.expected_version(),
                       "expected_version", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(
      core::UpsertedMember r,
      members_->Upsert(req.pool(), ToMemberWrite(member, ExpectedVersion(req)),
                       deadline));
  member.set_version(r.member.version);
  SetTimestamp(r.member.update_time, member.mutable_update_time());
  *resp->mutable_member() = std::move(member);
  resp->set_created(r.created);
  return absl::OkStatus();
}

absl::Status MemberLogic::BatchUpsert(const v1::BatchUpsertMembersRequest& req,
                                      absl::Time deadline,
                                      v1::BatchUpsertMembersResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.requests_size() < 1 || req.requests_size() > kMaxBatchSize) {
    errors.Add("requests",
               absl::StrCat("must hold 1-", kMaxBatchSize, " members"));
  }
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < req.requests_size(); ++i) {
    const auto& item = req.requests(i);
    if (!item.pool().empty() && item.pool() != req.pool()) {
      errors.Add(absl::StrCat("requests[", i, "].pool"),
                 "must be empty or equal to the batch's pool");
    }
    if (!ids.insert(item.member().id()).second) {
      errors.Add(absl::StrCat("requests[", i, "].member.id"),
                 "appears more than once in the batch");
    }
  }
  RETURN_IF_ERROR(errors.ToStatus());

  // Validate each member on its own; only valid ones go to Redis.
  std::vector<store::MemberWrite> writes;
  std::vector<int> write_index;  // position in the request of writes[k]
  resp->mutable_results()->Reserve(req.requests_size());
  for (int i = 0; i < req.requests_size(); ++i) {
    const auto& item = req.requests(i);
    v1::UpsertResult* result = resp->add_results();
    result->set_id(item.member().id());
    FieldErrors item_errors;
    v1::Member member = item.member();
    std::string prefix = absl::StrCat("requests[", i, "]");
    NormalizeMember(&member, prefix + ".member", &item_errors);
    CheckExpectedVersion(item.has_expected_version(), item.expected_version(),
                         prefix + ".expected_version", &item_errors);
    if (!item_errors.empty()) {
      absl::Status s = item_errors.ToStatus();
      result->set_code(static_cast<int>(s.code()));
      result->set_message(std::string(s.message()));
      continue;
    }
    writes.push_back(ToMemberWrite(member, ExpectedVersion(item)));
    write_index.push_back(i);
  }
  if (!writes.empty()) {
    ASSIGN_OR_RETURN(auto outcomes,
                     members_->BatchUpsert(req.pool(), writes, deadline));
    for (size_t k = 0; k < outcomes.size(); ++k) {
      v1::UpsertResult* result = resp->mutable_results(write_index[k]);
      if (outcomes[k].ok()) {
        result->set_version(outcomes[k]->version);
        result->set_created(outcomes[k]->created);
      } else {
        result->set_code(static_cast<int>(outcomes[k].status().code()));
        result->set_message(std::string(outcomes[k].status().message()));
      }
    }
  }
  int failed = 0;
  for (const auto& r : resp->results()) failed += r.code() != 0;
  resp->set_failed(failed);
  resp->set_succeeded(req.requests_size() - failed);
  return absl::OkStatus();
}

absl::Status MemberLogic::Get(const v1::GetMemberRequest& req,
                              absl::Time deadline,
                              v1::GetMemberResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.id(), "id", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::MemberRecord r,
                   members_->Get(req.pool(), req.id(), deadline));
  *resp->mutable_member() = FromMemberRecord(r);
  return absl::OkStatus();
}

absl::Status MemberLogic::List(const v1::ListMembersRequest& req,
                               absl::Time deadline,
                               v1::ListMembersResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckPageSize(req.page_size(), "page_size", &errors);
  std::string after;
  if (req.page_token().size() > static_cast<size_t>(kMaxPageTokenLength)) {
    errors.Add("page_token", "is longer than any token this server makes");
  } else if (!req.page_token().empty()) {
    absl::StatusOr<std::string> decoded =
        DecodePageToken(req.pool(), req.page_token());
    if (decoded.ok()) {
      after = *std::move(decoded);
    } else {
      errors.Add("page_token",
                 "is not a token from a previous response for this pool");
    }
  }
  RETURN_IF_ERROR(errors.ToStatus());
  int size = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
  ASSIGN_OR_RETURN(store::MemberPage page,
                   members_->List(req.pool(), size, after, deadline));
  for (const store::MemberRecord& r : page.members) {
    *resp->add_members() = FromMemberRecord(r);
  }
  if (!page.next_after_id.empty()) {
    resp->set_next_page_token(EncodePageToken(req.pool(), page.next_after_id));
  }
  resp->set_total_size(page.total_count);
  return absl::OkStatus();
}

absl::Status MemberLogic::Delete(const v1::DeleteMemberRequest& req,
                                 const std::string& actor, absl::Time deadline,
                                 v1::DeleteMemberResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.id(), "id", &errors);
  if (req.has_expected_version() && req.expected_version() < 1) {
    errors.Add("expected_version", "must be >= 1");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  std::optional<int64_t> expected;
  if (req.has_expected_version()) expected = req.expected_version();
  ASSIGN_OR_RETURN(
      core::Erasure r,
      members_->Delete(req.pool(), req.id(), expected, {actor, deadline}));
  resp->set_matches_ended(static_cast<int32_t>(r.matches_ended));
  resp->set_groups_changed(r.groups_changed);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* MemberServiceImpl::UpsertMember(
    grpc::CallbackServerContext* ctx, const v1::UpsertMemberRequest* req,
    v1::UpsertMemberResponse* resp) {
  return runner_->Run(ctx, v1::MemberService::service_full_name(),
                      "UpsertMember", *req,
                      [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->Upsert(*req, call.deadline, resp);
                      });
}

grpc::ServerUnaryReactor* MemberServiceImpl::BatchUpsertMembers(
    grpc::CallbackServerContext* ctx, const v1::BatchUpsertMembersRequest* req,
    v1::BatchUpsertMembersResponse* resp) {
  return runner_->Run(ctx, v1::MemberService::service_full_name(),
                      "BatchUpsertMembers", *req,
                      [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->BatchUpsert(*req, call.deadline, resp);
                      });
}

grpc::ServerUnaryReactor* MemberServiceImpl::GetMember(
    grpc::CallbackServerContext* ctx, const v1::GetMemberRequest* req,
    v1::GetMemberResponse* resp) {
  return runner_->Run(ctx, v1::MemberService::service_full_name(), "GetMember",
                      *req, [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->Get(*req, call.deadline, resp);
                      });
}

grpc::ServerUnaryReactor* MemberServiceImpl::ListMembers(
    grpc::CallbackServerContext* ctx, const v1::ListMembersRequest* req,
    v1::ListMembersResponse* resp) {
  return runner_->Run(ctx, v1::MemberService::service_full_name(),
                      "ListMembers", *req,
                      [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->List(*req, call.deadline, resp);
                      });
}

grpc::ServerUnaryReactor* MemberServiceImpl::DeleteMember(
    grpc::CallbackServerContext* ctx, const v1::DeleteMemberRequest* req,
    v1::DeleteMemberResponse* resp) {
  return runner_->Run(
      ctx, v1::MemberService::service_full_name(), "DeleteMember", *req,
      [logic = logic_, req, resp](const CallInfo& call) {
        return logic->Delete(*req, call.actor, call.deadline, resp);
      });
}

}  // namespace peermatch::api
