#include "service/store/redis_error.h"

#include <hiredis/hiredis.h>

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RedisErrorTest, ClassifiesSocketErrors) {
  EXPECT_EQ(
      ClassifyContextError(REDIS_ERR_IO, ECONNREFUSED, "Connection refused")
          .kind,
      RedisErrorKind::kConnectionRefused);
  EXPECT_EQ(
      ClassifyContextError(REDIS_ERR_IO, ECONNRESET, "Connection reset by peer")
          .kind,
      RedisErrorKind::kConnectionReset);
  EXPECT_EQ(ClassifyContextError(REDIS_ERR_IO, EPIPE, "Broken pipe").kind,
            RedisErrorKind::kConnectionReset);
  EXPECT_EQ(ClassifyContextError(REDIS_ERR_IO, EAGAIN,
                                 "Resource temporarily unavailable")
                .kind,
            RedisErrorKind::kTimeout);
  EXPECT_EQ(
      ClassifyContextError(REDIS_ERR_IO, ETIMEDOUT, "Connection timed out")
          .kind,
      RedisErrorKind::kTimeout);
  // errno clobbered: the text still tells.
  EXPECT_EQ(
      ClassifyContextError(REDIS_ERR_IO, 0, "Resource temporarily unavailable")
          .kind,
      RedisErrorKind::kTimeout);
  EXPECT_EQ(
      ClassifyContextError(REDIS_ERR_IO, EBADF, "Bad file descriptor").kind,
      RedisErrorKind::kIo);
  EXPECT_EQ(
      ClassifyContextError(REDIS_ERR_EOF, 0, "Server closed the connection")
          .kind,
      RedisErrorKind::kEof);
  EXPECT_EQ(ClassifyContextError(REDIS_ERR_PROTOCOL, 0, "Protocol error").kind,
            RedisErrorKind::kProtocol);
  EXPECT_EQ(ClassifyContextError(REDIS_ERR_OOM, 0, "Out of memory").kind,
            RedisErrorKind::kClientOutOfMemory);
  EXPECT_EQ(
      ClassifyContextError(REDIS_ERR_OTHER, 0, "Name or service not known")
          .kind,
      RedisErrorKind::kOther);
}

TEST(RedisErrorTest, SocketErrorsAreUnavailable) {
  for (RedisErrorKind kind :
       {RedisErrorKind::kConnectionRefused, RedisErrorKind::kConnectionReset,
        RedisErrorKind::kEof, RedisErrorKind::kIo, RedisErrorKind::kProtocol,
        RedisErrorKind::kOther}) {
    EXPECT_THAT(ToStatus({kind, "x"}, false),
                StatusIs(absl::StatusCode::kUnavailable));
    // Only timeouts care about the caller's deadline.
    EXPECT_THAT(ToStatus({kind, "x"}, true),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_THAT(ToStatus({RedisErrorKind::kClientOutOfMemory, "x"}, false),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RedisErrorTest, TimeoutIsUnavailableUntilTheCallersDeadlinePassed) {
  EXPECT_THAT(ToStatus({RedisErrorKind::kTimeout, "x"}, false),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
  EXPECT_THAT(ToStatus({RedisErrorKind::kTimeout, "x"}, true),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(RedisErrorTest, ServerStateRepliesAreUnavailable) {
  for (const char* reply :
       {"LOADING Redis is loading the dataset in memory",
        "READONLY You can't write against a read only replica.",
        "MASTERDOWN Link with MASTER is down",
        "CLUSTERDOWN The cluster is down",
        "TRYAGAIN Multiple keys request during rehashing of slot",
        "BUSY Redis is busy running a script.", "MOVED 3999 127.0.0.1:6381",
        "ASK 3999 127.0.0.1:6381"}) {
    EXPECT_THAT(ErrorReplyToStatus(reply),
                StatusIs(absl::StatusCode::kUnavailable))
        << reply;
  }
}

TEST(RedisErrorTest, OomIsResourceExhausted) {
  EXPECT_THAT(ErrorReplyToStatus(
                  "OOM command not allowed when used memory > 'maxmemory'."),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(RedisErrorTest, AuthFailuresAreUnavailableWithAClearMessage) {
  for (const char* reply :
       {"WRONGPASS invalid username-password pair or user is disabled.",
        "NOAUTH Authentication required.",
        "NOPERM this user has no permissions to run the 'get' command",
        "ERR AUTH <password> called without any password configured for the "
        "default user.",
        "ERR invalid password"}) {
    EXPECT_THAT(ErrorReplyToStatus(reply),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr("redis auth failed")))
        << reply;
  }
}

TEST(RedisErrorTest, ScriptCodesMapToTheirStatusCodes) {
  EXPECT_THAT(ErrorReplyToStatus("PM_ABORTED version mismatch"),
              StatusIs(absl::StatusCode::kAborted, "version mismatch"));
  EXPECT_THAT(ErrorReplyToStatus("PM_NOT_FOUND member"),
              StatusIs(absl::StatusCode::kNotFound, "member"));
  EXPECT_THAT(ErrorReplyToStatus("PM_FAILED_PRECONDITION bad state"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "bad state"));
  EXPECT_THAT(ErrorReplyToStatus("PM_ALREADY_EXISTS x"),
              StatusIs(absl::StatusCode::kAlreadyExists, "x"));
  EXPECT_THAT(ErrorReplyToStatus("PM_INVALID_ARGUMENT y"),
              StatusIs(absl::StatusCode::kInvalidArgument, "y"));
  EXPECT_THAT(ErrorReplyToStatus("PM_RESOURCE_EXHAUSTED z"),
              StatusIs(absl::StatusCode::kResourceExhausted, "z"));
  EXPECT_THAT(ErrorReplyToStatus("PM_OUT_OF_RANGE w"),
              StatusIs(absl::StatusCode::kOutOfRange, "w"));
  EXPECT_THAT(ErrorReplyToStatus("PM_ABORTED"),
              StatusIs(absl::StatusCode::kAborted));
  // Unknown PM_ codes and prefixes that only start like ours are INTERNAL.
  EXPECT_THAT(ErrorReplyToStatus("PM_WHATEVER x"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ErrorReplyToStatus("PM_ABORTEDX x"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(RedisErrorTest, EverythingElseIsInternal) {
  EXPECT_THAT(ErrorReplyToStatus("ERR unknown command 'FOO'"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ErrorReplyToStatus("WRONGTYPE Operation against a key holding "
                                 "the wrong kind of value"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ErrorReplyToStatus("NOSCRIPT No matching script."),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(ErrorReplyToStatus(""), StatusIs(absl::StatusCode::kInternal));
}

TEST(RedisErrorTest, ErrorReplyPrefix) {
  EXPECT_EQ(ErrorReplyPrefix("MOVED 1 h:2"), "MOVED");
  EXPECT_EQ(ErrorReplyPrefix("NOSCRIPT"), "NOSCRIPT");
  EXPECT_EQ(ErrorReplyPrefix(""), "");
}

}  // namespace
}  // namespace peermatch::store
