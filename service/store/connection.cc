#include "service/store/connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/metrics.h"
#include "base/status_macros.h"
#include "service/store/redis_error.h"

namespace peermatch::store {
namespace {

timeval SocketTimeval(absl::Duration d) {
  const absl::Duration floor = absl::Milliseconds(1);
  return absl::ToTimeval(std::max(d, floor));
}

absl::Status WithEndpoint(const absl::Status& s, const RedisEndpoint& ep) {
  return absl::Status(s.code(),
                      absl::StrCat(s.message(), " [", ep.ToString(), "]"));
}

// SPEC §10: Redis latency and errors. Latency is per round trip (one
// command, or one whole pipeline); errors are socket-level failures and
// timeouts by status code, for connects and round trips. Error replies are
// answers, not failures (version mismatches, MOVED), so they are not counted.
Histogram* RoundTripSeconds(size_t commands) {
  static Histogram* const kCommand = MetricsRegistry::Default().GetHistogram(
      "peermatch_redis_seconds",
      "Redis round-trip latency in the client, one command or one pipeline",
      {{"op", "command"}});
  static Histogram* const kPipeline = MetricsRegistry::Default().GetHistogram(
      "peermatch_redis_seconds",
      "Redis round-trip latency in the client, one command or one pipeline",
      {{"op", "pipeline"}});
  return commands == 1 ? kCommand : kPipeline;
}

void CountFailure(absl::string_view op, const absl::Status& s) {
  MetricsRegistry::Default()
      .GetCounter("peermatch_redis_errors_total",
                  "Redis connects and round trips that failed (socket "
                  "errors, timeouts), by operation and status code",
                  {{"op", std::string(op)},
                   {"code", absl::StatusCodeToString(s.code())}})
      ->Increment();
}

// Builds the argv arrays hiredis wants, without copying the bytes.
struct Argv {
  explicit Argv(const Command& c) {
    ptrs.reserve(c.size());
    lens.reserve(c.size());
    for (const std::string& a : c.args()) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
};

}  // namespace

void Connection::ContextDeleter::operator()(redisContext* c) const {
  redisFree(c);
}

Connection::Connection(redisContext* ctx, const ConnectionOptions& options)
    : ctx_(ctx),
      endpoint_(options.endpoint),
      command_timeout_(options.command_timeout) {}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

absl::StatusOr<Connection> Connection::Open(const ConnectionOptions& options,
                                            absl::Time deadline) {
  absl::StatusOr<Connection> conn = OpenImpl(options, deadline);
  if (!conn.ok()) CountFailure("connect", conn.status());
  return conn;
}

absl::StatusOr<Connection> Connection::OpenImpl(
    const ConnectionOptions& options, absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(
        absl::StrCat("redis: deadline exceeded before connecting [",
                     options.endpoint.ToString(), "]"));
  }
  const absl::Duration connect_timeout =
      std::min(options.connect_timeout, left);
  redisContext* raw = redisConnectWithTimeout(options.endpoint.host.c_str(),
                                              options.endpoint.port,
                                              SocketTimeval(connect_timeout));
  const int saved_errno = errno;
  if (raw == nullptr) {
    return absl::ResourceExhaustedError("redis client out of memory");
  }
  Connection conn(raw, options);
  if (raw->err != 0) {
    RedisError e = ClassifyContextError(raw->err, saved_errno, raw->errstr);
    absl::Status s = ToStatus(e, absl::Now() >= deadline);
    return WithEndpoint(s, options.endpoint);
  }
  if (options.keepalive && redisEnableKeepAlive(raw) != REDIS_OK) {
    return conn.Fail(errno, deadline);
  }
  if (!options.password.empty()) {
    Command auth({"AUTH"});
    if (!options.user.empty()) auth.Add(options.user);
    auth.Add(options.password);
    ASSIGN_OR_RETURN(Reply r, conn.Run(auth, deadline));
    if (r.is_error()) {
      // Always reported as an auth failure, whatever the server's wording.
      absl::Status s = ErrorReplyToStatus(r.str());
      if (!absl::StrContains(s.message(), "auth failed")) {
        s = absl::UnavailableError(
            absl::StrCat("redis auth failed: ", r.str()));
      }
      return WithEndpoint(s, options.endpoint);
    }
  }
  if (options.db != 0) {
    ASSIGN_OR_RETURN(
        Reply r, conn.Run(Command({"SELECT"}).AddInt(options.db), deadline));
    if (r.is_error()) {
      return WithEndpoint(
          absl::UnavailableError(
              absl::StrCat("redis: SELECT ", options.db, " failed: ", r.str())),
          options.endpoint);
    }
  }
  return conn;
}

absl::Status Connection::ArmTimeout(absl::Time deadline,
                                    absl::Duration extra_timeout) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(
        absl::StrCat("redis: deadline exceeded [", endpoint_.ToString(), "]"));
  }
  // Whole milliseconds, so that a steady configuration is set once.
  absl::Duration want = std::min(command_timeout_ + extra_timeout, left);
  want =
      std::max(absl::Floor(want, absl::Milliseconds(1)), absl::Milliseconds(1));
  if (want != armed_timeout_) {
    if (redisSetTimeout(ctx_.get(), SocketTimeval(want)) != REDIS_OK) {
      return Fail(errno, deadline);
    }
    armed_timeout_ = want;
  }
  return absl::OkStatus();
}

absl::Status Connection::Fail(int saved_errno, absl::Time deadline) {
  broken_ = true;
  RedisError e = ClassifyContextError(ctx_->err, saved_errno, ctx_->errstr);
  return WithEndpoint(ToStatus(e, absl::Now() >= deadline), endpoint_);
}

absl::StatusOr<Reply> Connection::Run(const Command& command,
                                      absl::Time deadline,
                                      absl::Duration extra_timeout) {
  ASSIGN_OR_RETURN(
      std::vector<Reply> replies,
      RunPipeline(absl::MakeConstSpan(&command, 1), deadline, extra_timeout));
  return std::move(replies[0]);
}

absl::StatusOr<std::vector<Reply>> Connection::RunPipeline(
    absl::Span<const Command> commands, absl::Time deadline,
    absl::Duration extra_timeout) {
  const absl::Time start = absl::Now();
  const bool was_broken = broken_;
  absl::StatusOr<std::vector<Reply>> replies =
      RunPipelineImpl(commands, deadline, extra_timeout);
  if (replies.ok()) {
    RoundTripSeconds(commands.size())
        ->Observe(absl::ToDoubleSeconds(absl::Now() - start));
  } else if (broken_ && !was_broken) {  // not when nothing was sent
    CountFailure(commands.size() == 1 ? "command" : "pipeline",
                 replies.status());
  }
  return replies;
}

absl::StatusOr<std::vector<Reply>> Connection::RunPipelineImpl(
    absl::Span<const Command> commands, absl::Time deadline,
    absl::Duration extra_timeout) {
  if (broken_) {
    return absl::FailedPreconditionError("redis: connection is broken");
  }
  if (commands.empty()) {
    return absl::InvalidArgumentError("redis: empty pipeline");
  }
  // Validate before appending: a rejected pipeline must leave nothing
  // buffered for the next caller.
  for (const Command& c : commands) {
    if (c.empty()) return absl::InvalidArgumentError("redis: empty command");
  }
  RETURN_IF_ERROR(ArmTimeout(deadline, extra_timeout));
  for (const Command& c : commands) {
    Argv argv(c);
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(c.size()),
                               argv.ptrs.data(),
                               argv.lens.data()) != REDIS_OK) {
      // Only allocation failures; the output buffer is in an unknown state.
      return Fail(errno, deadline);
    }
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    if (i > 0) {
      absl::Status armed = ArmTimeout(deadline, extra_timeout);
      if (!armed.ok()) {
        // Replies are still owed on this socket.
        broken_ = true;
        return armed;
      }
    }
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr) {
      return Fail(errno, deadline);
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

bool Connection::CheckIdleHealthy() {
  if (broken_ || ctx_ == nullptr || ctx_->err != 0 || ctx_->fd < 0) {
    broken_ = true;
    return false;
  }
  pollfd pfd{};
  pfd.fd = ctx_->fd;
  pfd.events = POLLIN;
  const int n = poll(&pfd, 1, 0);
  if (n != 0) {  // readable (EOF or stray bytes), hung up, or poll failed
    broken_ = true;
    return false;
  }
  return true;
}

}  // namespace peermatch::store
