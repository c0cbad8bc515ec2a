#include "service/api/group_logic.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "service/api/conversions.h"
#include "service/api/core_codec.h"
#include "service/api/validation.h"

namespace peermatch::api {

absl::Status GroupLogic::FormGroups(const v1::FormGroupsRequest& req,
                                    const CallInfo& call,
                                    v1::FormGroupsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  const v1::GroupingOptions& o = req.options();
  if (o.time_budget_ms() < 0 || o.time_budget_ms() > 60000) {
    errors.Add("options.time_budget_ms", "must be 0 (no time limit) to 60000");
  }
  if (o.has_reference_time() && (o.reference_time().seconds() < 0 ||
                                 o.reference_time().seconds() > 253402300799)) {
    errors.Add("options.reference_time", "must be a valid timestamp");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  const absl::Time ref =
      o.has_reference_time()
          ? absl::FromUnixSeconds(o.reference_time().seconds())
          : absl::Now();
  ASSIGN_OR_RETURN(core::GroupRun run,
                   groups_->FormGroups(req.pool(), GroupingOptionsFromProto(o),
                                       ref, call.core()));
  for (const store::GroupRecord& g : run.groups) {
    *resp->add_groups() = GroupToProto(g, req.pool());
  }
  *resp->mutable_report() = GroupingReportToProto(run.report);
  return absl::OkStatus();
}

absl::Status GroupLogic::Publish(const v1::PublishGroupsRequest& req,
                                 const CallInfo& call,
                                 v1::PublishGroupsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.group_ids_size() > 10000) errors.Add("group_ids", "at most 10000");
  RETURN_IF_ERROR(errors.ToStatus());
  std::vector<std::string> ids(req.group_ids().begin(), req.group_ids().end());
  ASSIGN_OR_RETURN(int n, groups_->Publish(req.pool(), ids, call.core()));
  resp->set_published(n);
  return absl::OkStatus();
}

absl::Status GroupLogic::Rank(const v1::RankGroupsForMemberRequest& req,
                              const CallInfo& call,
                              v1::RankGroupsForMemberResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.member_id(), "member_id", &errors);
  if (req.k() < 0 || req.k() > 50)
    errors.Add("k", "must be 0 (default 10) to 50");
  RETURN_IF_ERROR(errors.ToStatus());
  absl::Time ref = req.has_reference_time()
                       ? absl::FromUnixSeconds(req.reference_time().seconds())
                       : absl::Now();
  ASSIGN_OR_RETURN(
      std::vector<core::RankedGroup> ranked,
      groups_->Rank(req.pool(), req.member_id(), req.k() == 0 ? 10 : req.k(),
                    ref, call.deadline));
  for (const core::RankedGroup& j : ranked) {
    v1::GroupCandidate* out = resp->add_candidates();
    *out->mutable_group() = GroupToProto(j.group, req.pool());
    out->set_fit(j.fit);
    out->set_free_seats(j.free_seats);
  }
  return absl::OkStatus();
}

absl::Status GroupLogic::Get(const v1::GetGroupRequest& req,
                             const CallInfo& call, v1::GetGroupResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.group_id().empty()) errors.Add("group_id", "is required");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::GroupRecord g,
                   groups_->Get(req.pool(), req.group_id(), call.deadline));
  *resp->mutable_group() = GroupToProto(g, req.pool());
  return absl::OkStatus();
}

absl::Status GroupLogic::List(const v1::ListGroupsRequest& req,
                              const CallInfo& call,
                              v1::ListGroupsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (!req.member_id().empty())
    CheckMemberId(req.member_id(), "member_id", &errors);
  CheckPageSize(req.page_size(), "page_size", &errors);
  std::vector<store::GroupState> states;
  for (int i = 0; i < req.states_size(); ++i) {
    int s = req.states(i);
    if (s < v1::GROUP_STATE_PROPOSED || s > v1::GROUP_STATE_DISSOLVED) {
      errors.Add(absl::StrCat("states[", i, "]"), "is not a group state");
    } else {
      states.push_back(static_cast<store::GroupState>(s));
    }
  }
  int64_t offset = 0;
  if (!DecodeOffsetToken(req.pool(), req.page_token(), &offset)) {
    errors.Add("page_token",
               "is not a token from a previous response for this pool");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  const int size = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
  ASSIGN_OR_RETURN(store::GroupPage page,
                   groups_->List(req.pool(), req.member_id(), states, size,
                                 offset, call.deadline));
  for (const store::GroupRecord& g : page.groups) {
    *resp->add_groups() = GroupToProto(g, req.pool());
  }
  if (page.next_offset > 0) {
    resp->set_next_page_token(EncodeOffsetToken(req.pool(), page.next_offset));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* GroupServiceImpl::RankGroupsForMember(
    grpc::CallbackServerContext* ctx, const v1::RankGroupsForMemberRequest* req,
    v1::RankGroupsForMemberResponse* resp) {
  return runner_->Run(ctx, v1::GroupService::service_full_name(),
                      "RankGroupsForMember", *req,
                      [l = logic_, req, resp](const CallInfo& call) {
                        return l->Rank(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* GroupServiceImpl::GetGroup(
    grpc::CallbackServerContext* ctx, const v1::GetGroupRequest* req,
    v1::GetGroupResponse* resp) {
  return runner_->Run(ctx, v1::GroupService::service_full_name(), "GetGroup",
                      *req, [l = logic_, req, resp](const CallInfo& call) {
                        return l->Get(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* GroupServiceImpl::ListGroups(
    grpc::CallbackServerContext* ctx, const v1::ListGroupsRequest* req,
    v1::ListGroupsResponse* resp) {
  return runner_->Run(ctx, v1::GroupService::service_full_name(), "ListGroups",
                      *req, [l = logic_, req, resp](const CallInfo& call) {
                        return l->List(*req, call, resp);
                      });
}

}  // namespace peermatch::api
