#include "service/api/unary.h"

#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "service/api/status.h"
#include "service/common/logging.h"
#include "service/common/metrics.h"

namespace peermatch::api {
namespace {

std::string RequestId(const grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("x-request-id");
  if (it == md.end()) return "";
  // Bounded and printable: request ids go to logs.
  std::string id(it->second.data(), std::min<size_t>(it->second.size(), 64));
  for (char& c : id) {
    if (c < 0x21 || c > 0x7e) c = '_';
  }
  return id;
}

}  // namespace

absl::Time RpcRunner::Deadline(const grpc::CallbackServerContext* ctx) const {
  absl::Time cap = absl::Now() + max_call_;
  auto client = ctx->deadline();
  if (client == std::chrono::system_clock::time_point::max()) return cap;
  return std::min(cap, absl::FromChrono(client));
}

void RpcRunner::Record(const char* method, const absl::Status& status,
                       absl::Duration elapsed, const std::string& request_id) {
  MetricsRegistry& m = MetricsRegistry::Default();
  std::string code = absl::StatusCodeToString(status.code());
  m.GetCounter("peermatch_rpc_total", "RPCs handled, by method and code",
               {{"method", method}, {"code", code}})
      ->Increment();
  m.GetHistogram("peermatch_rpc_seconds", "RPC latency in the server",
                 {{"method", method}})
      ->Observe(absl::ToDoubleSeconds(elapsed));
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      LOG_WARN("rpc failed", {{"method", method},
                              {"code", code},
                              {"duration", elapsed},
                              {"request_id", request_id}});
      break;
    default:
      LOG_DEBUG("rpc", {{"method", method},
                        {"code", code},
                        {"duration", elapsed},
                        {"request_id", request_id}});
  }
}

absl::StatusOr<CallInfo> RpcRunner::Begin(
    grpc::CallbackServerContext* ctx, const std::string& service,
    const google::protobuf::Message& request) const {
  CallInfo call;
  call.deadline = Deadline(ctx);
  call.request_id = RequestId(ctx);
  call.context = ctx;
  if (auth_ != nullptr) {
    std::string bearer;
    auto it = ctx->client_metadata().find("authorization");
    if (it != ctx->client_metadata().end()) {
      absl::string_view v(it->second.data(), it->second.size());
      if (v.size() > 7 && absl::EqualsIgnoreCase(v.substr(0, 7), "bearer ")) {
        bearer = std::string(absl::StripAsciiWhitespace(v.substr(7)));
      }
    }
    std::string pool;
    const google::protobuf::FieldDescriptor* f =
        request.GetDescriptor()->FindFieldByName("pool");
    if (f != nullptr &&
        f->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !f->is_repeated()) {
      pool = request.GetReflection()->GetString(request, f);
    }
    absl::StatusOr<auth::Principal> who =
        auth_->Authorize(bearer, service, pool);
    if (!who.ok()) return who.status();
    call.actor = who->name;
  }
  return call;
}

grpc::ServerUnaryReactor* RpcRunner::Run(
    grpc::CallbackServerContext* ctx, const std::string& service,
    const char* method, const google::protobuf::Message& request,
    std::function<absl::Status(const CallInfo&)> handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::Time start = absl::Now();
  absl::StatusOr<CallInfo> begun = Begin(ctx, service, request);
  if (!begun.ok()) {
    Record(method, begun.status(), absl::ZeroDuration(), RequestId(ctx));
    reactor->Finish(ToGrpcStatus(begun.status()));
    return reactor;
  }
  CallInfo call = *std::move(begun);
  if (call.deadline <= start) {
    absl::Status s =
        absl::DeadlineExceededError("deadline passed before start");
    Record(method, s, absl::ZeroDuration(), call.request_id);
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  auto task = [reactor, method, start, call = std::move(call),
               handler = std::move(handler)]() {
    absl::Status s =
        absl::Now() >= call.deadline
            ? absl::DeadlineExceededError("deadline passed while queued")
            : handler(call);
    Record(method, s, absl::Now() - start, call.request_id);
    reactor->Finish(ToGrpcStatus(s));
  };
  if (!executor_->TrySchedule(std::move(task))) {
    absl::Status s = absl::ResourceExhaustedError(
        "server is at its queue limit; retry with backoff");
    Record(method, s, absl::Now() - start, RequestId(ctx));
    reactor->Finish(ToGrpcStatus(s));
  }
  return reactor;
}

}  // namespace peermatch::api
