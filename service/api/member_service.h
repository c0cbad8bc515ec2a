// MemberService (R-MEMBER, R-STORE): the logic, and its gRPC adapter.
//
//   store::MemberRepository repo(&redis);
//   MemberLogic logic(&repo);                 // plain GoogleTest-able
//   MemberServiceImpl service(&runner, &logic);
//   builder.RegisterService(&service);
//
// MemberLogic validates and normalizes every field (validation.h), converts
// to the store's records (member_codec.h), calls the repository and converts
// back; it knows nothing of gRPC. MemberServiceImpl only moves calls onto the
// executor (unary.h) and back.
#ifndef PEERMATCH_SERVICE_API_MEMBER_SERVICE_H_
#define PEERMATCH_SERVICE_API_MEMBER_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "peermatch/v1/member_service.grpc.pb.h"
#include "service/api/unary.h"
#include "service/store/member_repository.h"

namespace peermatch::api {

class MemberLogic {
 public:
  // Called after every successful write, so the replica's snapshot sees its
  // own writes at once: (pool, id, the stored member with its new version,
  // or null after a delete). May be empty.
  using WriteHook = std::function<void(const std::string&, const std::string&,
                                       const v1::Member*)>;

  // Takes a deleted member out of their group (repair or dissolve) and
  // returns the number of groups changed. May be empty.
  using GroupEraser = std::function<absl::StatusOr<int>(
      const std::string& pool, const std::string& id, absl::Time deadline)>;

  MemberLogic(store::MemberRepository* repo, WriteHook on_write = {},
              GroupEraser erase_groups = {})
      : repo_(repo),
        on_write_(std::move(on_write)),
        erase_groups_(std::move(erase_groups)) {}

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
  store::MemberRepository* repo_;
  WriteHook on_write_;
  GroupEraser erase_groups_;
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
