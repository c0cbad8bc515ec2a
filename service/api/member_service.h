// MemberService (R-MEMBER, R-STORE): the logic, and its gRPC adapter.
//
//   core::Members members(&repo, &snapshots, &groups);
//   MemberLogic logic(&members);
//   MemberServiceImpl service(&runner, &logic);
//   builder.RegisterService(&service);
//
// MemberLogic validates and normalizes every field (validation.h), converts
// to the domain's records (member_codec.h), calls core::Members and converts
// back. MemberServiceImpl only moves calls onto the executor (unary.h).
#ifndef PEERMATCH_SERVICE_API_MEMBER_SERVICE_H_
#define PEERMATCH_SERVICE_API_MEMBER_SERVICE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "peermatch/v1/member_service.grpc.pb.h"
#include "service/api/unary.h"
#include "service/core/members.h"

namespace peermatch::api {

class MemberLogic {
 public:
  explicit MemberLogic(core::Members* members) : members_(members) {}

  absl::Status Upsert(const v1::UpsertMemberRequest& req, absl::Time deadline,
                      v1::UpsertMemberResponse* resp);
  absl::Status BatchUpsert(const v1::BatchUpsertMembersRequest& req,
                           absl::Time deadline,
                           v1::BatchUpsertMembersResponse* resp);
  absl::Status Get(const v1::GetMemberRequest& req, absl::Time deadline,
                   v1::GetMemberResponse* resp);
  absl::Status List(const v1::ListMembersRequest& req, absl::Time deadline,
                    v1::ListMembersResponse* resp);
  absl::Status Delete(const v1::DeleteMemberRequest& req,
                      const std::string& actor, absl::Time deadline,
                      v1::DeleteMemberResponse* resp);

 private:
  core::Members* members_;
};

class MemberServiceImpl final : public v1::MemberService::CallbackService {
 public:
  MemberServiceImpl(RpcRunner* runner, MemberLogic* logic)
      : runner_(runner), logic_(logic) {}

  grpc::ServerUnaryReactor* UpsertMember(
      grpc::CallbackServerContext* ctx, const v1::UpsertMemberRequest* req,
      v1::UpsertMemberResponse* resp) override;
  grpc::ServerUnaryReactor* BatchUpsertMembers(
      grpc::CallbackServerContext* ctx,
      const v1::BatchUpsertMembersRequest* req,
      v1::BatchUpsertMembersResponse* resp) override;
  grpc::ServerUnaryReactor* GetMember(grpc::CallbackServerContext* ctx,
                                      const v1::GetMemberRequest* req,
                                      v1::GetMemberResponse* resp) override;
  grpc::ServerUnaryReactor* ListMembers(grpc::CallbackServerContext* ctx,
                                        const v1::ListMembersRequest* req,
                                        v1::ListMembersResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteMember(
      grpc::CallbackServerContext* ctx, const v1::DeleteMemberRequest* req,
      v1::DeleteMemberResponse* resp) override;

 private:
  RpcRunner* runner_;
  MemberLogic* logic_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_MEMBER_SERVICE_H_
