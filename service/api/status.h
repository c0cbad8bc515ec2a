// Status plumbing between the core (absl::Status) and the wire (grpc::Status).
//
//   FieldErrors errors;
//   if (req.pool().empty()) errors.Add("pool", "is required");
//   if (!errors.empty()) return errors.ToStatus();   // INVALID_ARGUMENT
//   ...
//   reactor->Finish(ToGrpcStatus(status));
//
// absl and gRPC share code numbers (STYLE.md), so ToGrpcStatus is the one
// place a status crosses over; handlers never convert by hand. Payloads
// attached to an absl::Status under a `type.googleapis.com/...` URL travel as
// `google.rpc.Status.details` in the `grpc-status-details-bin` trailer, so a
// client sees `google.rpc.BadRequest` field violations (SPEC §8).
#ifndef PEERMATCH_SERVICE_API_STATUS_H_
#define PEERMATCH_SERVICE_API_STATUS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace peermatch::api {

inline constexpr char kBadRequestTypeUrl[] =
    "type.googleapis.com/google.rpc.BadRequest";

// Collects field violations of one request, in the order found.
class FieldErrors {
 public:
  struct Violation {
    std::string field;        // path, e.g. "member.triggers[3]"
    std::string description;  // names the rule, never echoes the value
  };

  void Add(std::string field, std::string description);
  bool empty() const { return violations_.empty(); }
  const std::vector<Violation>& violations() const { return violations_; }

  // OK when empty; otherwise INVALID_ARGUMENT whose message is
  // "<field>: <description>" of the first violation (plus a count of the
  // others) and whose BadRequest payload lists them all.
  absl::Status ToStatus() const;

 private:
  std::vector<Violation> violations_;
};

// Converts code, message and every type.googleapis.com payload.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_STATUS_H_
