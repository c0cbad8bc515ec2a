#include "service/store/redis_error.h"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace peermatch::store {
namespace {

bool IsAuthError(absl::string_view prefix, absl::string_view message) {
  if (prefix == "WRONGPASS" || prefix == "NOAUTH" || prefix == "NOPERM") {
    return true;
  }
  // Pre-6.0 servers and servers without requirepass answer AUTH with ERR.
  if (prefix != "ERR") return false;
  const std::string lower = absl::AsciiStrToLower(message);
  return absl::StrContains(lower, "password") ||
         absl::StrContains(lower, "auth");
}

struct PmCode {
  absl::string_view prefix;
  absl::StatusCode code;
};

constexpr PmCode kPmCodes[] = {
    {"PM_ABORTED", absl::StatusCode::kAborted},
    {"PM_NOT_FOUND", absl::StatusCode::kNotFound},
    {"PM_FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
    {"PM_ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
    {"PM_INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
    {"PM_RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
    {"PM_OUT_OF_RANGE", absl::StatusCode::kOutOfRange},
};

absl::Status FromReply(absl::string_view message) {
  const absl::string_view prefix = ErrorReplyPrefix(message);
  absl::string_view rest = message.substr(prefix.size());
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  for (const PmCode& pm : kPmCodes) {
    if (prefix == pm.prefix) return absl::Status(pm.code, rest);
  }
  if (prefix == "OOM") {
    return absl::ResourceExhaustedError(absl::StrCat("redis: ", message));
  }
  if (prefix == "LOADING" || prefix == "READONLY" || prefix == "MASTERDOWN" ||
      prefix == "CLUSTERDOWN" || prefix == "TRYAGAIN" || prefix == "BUSY" ||
      prefix == "MOVED" || prefix == "ASK") {
    return absl::UnavailableError(absl::StrCat("redis: ", message));
  }
  if (IsAuthError(prefix, message)) {
    return absl::UnavailableError(absl::StrCat("redis auth failed: ", message));
  }
  return absl::InternalError(absl::StrCat("redis: ", message));
}

}  // namespace

absl::string_view ErrorReplyPrefix(absl::string_view message) {
  return message.substr(0, message.find(' '));
}

RedisError ClassifyContextError(int err, int saved_errno,
                                absl::string_view errstr) {
  RedisError out;
  out.message = std::string(errstr);
  switch (err) {
    case REDIS_ERR_EOF:
      out.kind = RedisErrorKind::kEof;
      break;
    case REDIS_ERR_PROTOCOL:
      out.kind = RedisErrorKind::kProtocol;
      break;
    case REDIS_ERR_OOM:
      out.kind = RedisErrorKind::kClientOutOfMemory;
      break;
    case REDIS_ERR_IO:
      // hiredis derives errstr from errno at the failure; errno may have
      // been clobbered since, so the text is the fallback.
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
          saved_errno == ETIMEDOUT ||
          absl::StrContains(errstr, "temporarily unavailable") ||
          absl::StrContains(errstr, "timed out")) {
        out.kind = RedisErrorKind::kTimeout;
      } else if (saved_errno == ECONNREFUSED ||
                 absl::StrContains(errstr, "refused")) {
        out.kind = RedisErrorKind::kConnectionRefused;
      } else if (saved_errno == ECONNRESET || saved_errno == EPIPE ||
                 absl::StrContains(errstr, "reset by peer") ||
                 absl::StrContains(errstr, "Broken pipe")) {
        out.kind = RedisErrorKind::kConnectionReset;
      } else {
        out.kind = RedisErrorKind::kIo;
      }
      break;
    default:
      // hiredis reports some connect failures (e.g. a refused connect
      // discovered by poll) as REDIS_ERR_OTHER with errno's text.
      if (saved_errno == ECONNREFUSED || absl::StrContains(errstr, "refused")) {
        out.kind = RedisErrorKind::kConnectionRefused;
      } else if (saved_errno == ETIMEDOUT ||
                 absl::StrContains(errstr, "timed out")) {
        out.kind = RedisErrorKind::kTimeout;
      } else {
        out.kind = RedisErrorKind::kOther;
      }
      break;
  }
  return out;
}

absl::Status ToStatus(const RedisError& error, bool caller_deadline_passed) {
  switch (error.kind) {
    case RedisErrorKind::kReply:
      return FromReply(error.message);
    case RedisErrorKind::kTimeout:
      if (caller_deadline_passed) {
        return absl::DeadlineExceededError(
            absl::StrCat("redis: deadline exceeded: ", error.message));
      }
      return absl::UnavailableError(
          absl::StrCat("redis: timed out: ", error.message));
    case RedisErrorKind::kClientOutOfMemory:
      return absl::ResourceExhaustedError(
          absl::StrCat("redis client out of memory: ", error.message));
    case RedisErrorKind::kConnectionRefused:
      return absl::UnavailableError(
          absl::StrCat("redis: connection refused: ", error.message));
    case RedisErrorKind::kConnectionReset:
      return absl::UnavailableError(
          absl::StrCat("redis: connection reset: ", error.message));
    case RedisErrorKind::kEof:
      return absl::UnavailableError(
          absl::StrCat("redis: connection closed: ", error.message));
    case RedisErrorKind::kProtocol:
      return absl::UnavailableError(
          absl::StrCat("redis: protocol error: ", error.message));
    case RedisErrorKind::kIo:
    case RedisErrorKind::kOther:
      return absl::UnavailableError(absl::StrCat("redis: ", error.message));
  }
  return absl::InternalError("redis: unknown error kind");
}

absl::Status ErrorReplyToStatus(absl::string_view message) {
  return ToStatus(RedisError{RedisErrorKind::kReply, std::string(message)},
                  false);
}

}  // namespace peermatch::store
