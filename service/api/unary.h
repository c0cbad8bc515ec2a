// Runs unary RPC handlers on the service's executor (STYLE.md: blocking Redis
// work never runs on gRPC threads) and finishes them with ToGrpcStatus.
//
//   grpc::ServerUnaryReactor* MemberServiceImpl::GetMember(
//       grpc::CallbackServerContext* ctx, const v1::GetMemberRequest* req,
//       v1::GetMemberResponse* resp) {
//     return runner_->Run(ctx, "GetMember", [logic = logic_, req, resp](const
//     CallInfo& call) {
//       return logic->GetMember(*req, call.deadline, resp);
//     });
//   }
//
// When token authentication is configured, every call is authorized first
// (R-SEC): the bearer token from the `authorization` metadata, the service,
// and the request's `pool` field; a failure finishes the call with
// UNAUTHENTICATED or PERMISSION_DENIED before any work, and the token's name
// becomes `CallInfo::actor` for the audit stream.
//
// The handler's deadline is the client's, capped at `max_call` (SPEC §8:
// "the server caps how long it will work on a call"). A call whose deadline
// has passed before it starts gets DEADLINE_EXCEEDED without running; a full
// executor queue gets RESOURCE_EXHAUSTED. Every call is counted and timed in
// `peermatch_rpc_total{method,code}` and `peermatch_rpc_seconds{method}`;
// failures that are the server's side (UNAVAILABLE, INTERNAL,
// DEADLINE_EXCEEDED) are logged with method, code, duration and request id —
// never with request content.
#ifndef PEERMATCH_SERVICE_API_UNARY_H_
#define PEERMATCH_SERVICE_API_UNARY_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "service/auth/token_auth.h"
#include "service/common/executor.h"
#include "service/core/types.h"

namespace peermatch::api {

struct CallInfo {
  absl::Time deadline;
  std::string request_id;  // from the x-request-id metadata, may be empty
  // Who is calling, for the audit stream: a token's name once tokens are
  // configured (R-SEC), else "unauthenticated".
  std::string actor = "unauthenticated";
  grpc::CallbackServerContext* context = nullptr;

  // Who and until when, as the core use cases take it.
  core::Call core() const { return {actor, deadline}; }
};

class RpcRunner {
 public:
  // `auth` may be null: authentication off.
  RpcRunner(Executor* executor, absl::Duration max_call,
            const auth::TokenAuth* auth = nullptr)
      : executor_(executor), max_call_(max_call), auth_(auth) {}

  grpc::ServerUnaryReactor* Run(
      grpc::CallbackServerContext* ctx, const std::string& service,
      const char* method, const google::protobuf::Message& request,
      std::function<absl::Status(const CallInfo&)> handler);

  // Deadline, request id and authorization of a call, for handlers that are
  // not unary (server streams). UNAUTHENTICATED / PERMISSION_DENIED as Run.
  absl::StatusOr<CallInfo> Begin(
      grpc::CallbackServerContext* ctx, const std::string& service,
      const google::protobuf::Message& request) const;

  Executor* executor() const { return executor_; }

  // The effective deadline of a call starting now.
  absl::Time Deadline(const grpc::CallbackServerContext* ctx) const;

  // Records the outcome of a call in metrics and, for server-side failures,
  // the log. Used by Run and by streaming handlers.
  static void Record(const char* method, const absl::Status& status,
                     absl::Duration elapsed, const std::string& request_id);

 private:
  Executor* executor_;
  absl::Duration max_call_;
  const auth::TokenAuth* auth_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_UNARY_H_
