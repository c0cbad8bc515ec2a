// Groups through the service (R-GROUPS, R-REGROUP, R-JOIN, R-GROUPREC):
// forming and regrouping a pool (synchronously for small pools, and as the
// GROUPS job), publishing, ranking the groups a member could join, reading
// groups, and repairing or dissolving a group when a member is erased.
//
//   GroupLogic groups(&members, &group_repo, &settings);
//   ASSIGN_OR_RETURN(GroupRun run, groups.PlanAndCommit(pool, options, ref,
//                                                       actor, "", {}, dl,
//                                                       {}));
//
// Formation runs matcher::Regroup on every member of the pool, loaded from
// Redis (pipelined) and placed in the run's reference week: valid ACTIVE
// groups keep their members and slot and fill free seats first; invalid ones
// are dissolved with the reason; PROPOSED groups are replaced; new groups are
// PROPOSED (ACTIVE with the pool's auto_publish). The commit is one
// GroupRepository::Apply, checked against the live groups the plan read.
#ifndef PEERMATCH_SERVICE_API_GROUP_LOGIC_H_
#define PEERMATCH_SERVICE_API_GROUP_LOGIC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "peermatch/v1/coordination_service.pb.h"
#include "peermatch/v1/group_service.grpc.pb.h"
#include "service/api/batch_runner.h"
#include "service/api/unary.h"
#include "service/store/group_repository.h"
#include "service/store/member_repository.h"
#include "service/store/settings_repository.h"

namespace peermatch::api {

struct GroupRun {
  v1::GroupingReport report;
  std::vector<v1::Group> groups;  // the pool's live groups after the run
};

class GroupLogic {
 public:
  GroupLogic(store::MemberRepository* members, store::GroupRepository* groups,
             store::SettingsRepository* settings, int64_t sync_max_members)
      : members_(members),
        groups_(groups),
        settings_(settings),
        sync_max_members_(sync_max_members) {}

  absl::StatusOr<GroupRun> PlanAndCommit(
      const std::string& pool, const v1::GroupingOptions& options,
      absl::Time reference_time, const std::string& actor,
      const std::string& job_id, std::optional<int64_t> fencing_token,
      absl::Time deadline, const ProgressFn& progress,
      const std::function<absl::Status()>& before_commit = {});

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

  // Erasure (SPEC §9): takes `member` out of their live group, which is
  // kept (re-described) when still valid and dissolved otherwise. Returns
  // the number of groups changed (0 or 1).
  absl::StatusOr<int> RemoveMember(const std::string& pool,
                                   const std::string& member,
                                   absl::Time deadline);

 private:
  store::MemberRepository* members_;
  store::GroupRepository* groups_;
  store::SettingsRepository* settings_;
  int64_t sync_max_members_;
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
