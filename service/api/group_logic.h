// Groups through the API (R-GROUPS, R-REGROUP, R-JOIN, R-GROUPREC):
// validates each request against the SPEC's limits, converts it, and calls
// the use case in core::Groups.
//
//   GroupLogic logic(&core_groups);
//   RETURN_IF_ERROR(logic.FormGroups(request, call, &response));
#ifndef PEERMATCH_SERVICE_API_GROUP_LOGIC_H_
#define PEERMATCH_SERVICE_API_GROUP_LOGIC_H_

#include "absl/status/status.h"
#include "peermatch/v1/coordination_service.pb.h"
#include "peermatch/v1/group_service.grpc.pb.h"
#include "service/api/unary.h"
#include "service/core/groups.h"

namespace peermatch::api {

class GroupLogic {
 public:
  explicit GroupLogic(core::Groups* groups) : groups_(groups) {}

  absl::Status FormGroups(const v1::FormGroupsRequest& req,
                          const CallInfo& call, v1::FormGroupsResponse* resp);
  absl::Status Publish(const v1::PublishGroupsRequest& req,
                       const CallInfo& call, v1::PublishGroupsResponse* resp);
  absl::Status Rank(const v1::RankGroupsForMemberRequest& req,
                    const CallInfo& call,
                    v1::RankGroupsForMemberResponse* resp);
  absl::Status Get(const v1::GetGroupRequest& req, const CallInfo& call,
                   v1::GetGroupResponse* resp);
  absl::Status List(const v1::ListGroupsRequest& req, const CallInfo& call,
                    v1::ListGroupsResponse* resp);

 private:
  core::Groups* groups_;
};

class GroupServiceImpl final : public v1::GroupService::CallbackService {
 public:
  GroupServiceImpl(RpcRunner* runner, GroupLogic* logic)
      : runner_(runner), logic_(logic) {}

  grpc::ServerUnaryReactor* RankGroupsForMember(
      grpc::CallbackServerContext* ctx,
      const v1::RankGroupsForMemberRequest* req,
      v1::RankGroupsForMemberResponse* resp) override;
  grpc::ServerUnaryReactor* GetGroup(grpc::CallbackServerContext* ctx,
                                     const v1::GetGroupRequest* req,
                                     v1::GetGroupResponse* resp) override;
  grpc::ServerUnaryReactor* ListGroups(grpc::CallbackServerContext* ctx,
                                       const v1::ListGroupsRequest* req,
                                       v1::ListGroupsResponse* resp) override;

 private:
  RpcRunner* runner_;
  GroupLogic* logic_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_GROUP_LOGIC_H_
