// The one mapping from Redis failures to absl::Status codes.
//
// Socket-level failures are first classified into a `RedisErrorKind` (the
// typed error of redis-plus-plus), then `ToStatus` maps kinds and error
// replies to codes:
//
//   RedisError e = ClassifyContextError(ctx->err, saved_errno, ctx->errstr);
//   return ToStatus(e, /*caller_deadline_passed=*/absl::Now() >= deadline);
//
//   if (reply.is_error()) return ErrorReplyToStatus(reply.str());
//
// | failure                                           | code               |
// |---------------------------------------------------|--------------------|
// | refused, reset, EOF, I/O, protocol, other socket  | UNAVAILABLE        |
// | command or connect timeout                        | UNAVAILABLE ("timed
// out"), or DEADLINE_EXCEEDED once the caller's deadline has passed | |
// client-side out of memory                         | RESOURCE_EXHAUSTED | |
// reply OOM                                         | RESOURCE_EXHAUSTED | |
// reply LOADING READONLY MASTERDOWN CLUSTERDOWN TRYAGAIN BUSY MOVED ASK |
// UNAVAILABLE | | reply WRONGPASS NOAUTH NOPERM, AUTH-related ERR   |
// UNAVAILABLE, "redis auth failed: ..." (server misconfiguration, not the
// caller's fault) | | reply `PM_<CODE> msg` raised by our Lua scripts   |
// <CODE> (ABORTED, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS,
// INVALID_ARGUMENT, RESOURCE_EXHAUSTED, OUT_OF_RANGE), message `msg` | | reply
// NOSCRIPT (normally handled by Script)       | INTERNAL           | | anything
// else                                     | INTERNAL           |
//
// All functions are pure and thread-safe.
#ifndef PEERMATCH_SERVICE_STORE_REDIS_ERROR_H_
#define PEERMATCH_SERVICE_STORE_REDIS_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace peermatch::store {

enum class RedisErrorKind {
  kConnectionRefused,
  kConnectionReset,  // ECONNRESET, EPIPE
  kEof,              // the server closed the connection
  kTimeout,          // connect or command timeout (EAGAIN, ETIMEDOUT)
  kIo,               // any other socket error
  kProtocol,         // unparsable reply
  kClientOutOfMemory,
  kOther,  // e.g. name resolution
  kReply,  // an error reply; `message` is its text
};

struct RedisError {
  RedisErrorKind kind = RedisErrorKind::kOther;
  // hiredis's errstr, or the error reply's text; may get a context suffix
  // such as the endpoint. Never contains payloads.
  std::string message;
};

// Classifies a hiredis context error: `err` is `redisContext::err`
// (REDIS_ERR_IO, REDIS_ERR_EOF, ...), `saved_errno` the errno captured right
// after the failing hiredis call, `errstr` `redisContext::errstr`.
RedisError ClassifyContextError(int err, int saved_errno,
                                absl::string_view errstr);

// Maps `error` to a status as in the table above. `caller_deadline_passed`
// turns a timeout into DEADLINE_EXCEEDED.
absl::Status ToStatus(const RedisError& error, bool caller_deadline_passed);

// Shorthand for `ToStatus({RedisErrorKind::kReply, message}, false)`.
absl::Status ErrorReplyToStatus(absl::string_view message);

// The first word of an error reply ("MOVED", "NOSCRIPT", "PM_ABORTED").
absl::string_view ErrorReplyPrefix(absl::string_view message);

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_REDIS_ERROR_H_
