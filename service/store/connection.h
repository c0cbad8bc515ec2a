// One blocking connection to one Redis node, owning its hiredis context.
//
//   ConnectionOptions options;
//   options.endpoint = {"127.0.0.1", 6379};
//   options.password = "secret";
//   ASSIGN_OR_RETURN(Connection conn, Connection::Open(options, deadline));
//   ASSIGN_OR_RETURN(Reply pong, conn.Run(Command({"PING"}), deadline));
//
//   // A pipeline: N appends, then N reads, in one round trip.
//   std::vector<Command> cmds = {Command({"GET", "a"}), Command({"GET", "b"})};
//   ASSIGN_OR_RETURN(std::vector<Reply> replies,
//                    conn.RunPipeline(cmds, deadline));
//
// Timeouts: every call carries the caller's deadline. The socket timeout of
// each read and write is min(command_timeout + extra_timeout, time left until
// the deadline); a call whose deadline has already passed returns
// DEADLINE_EXCEEDED without sending anything. `extra_timeout` is for commands
// that block on the server on purpose (XREAD BLOCK).
//
// Errors: socket failures (refused, reset, EOF, timeout, protocol error)
// return a status by `ToStatus` (redis_error.h) and mark the connection
// broken: its state is unknown (a late reply could still arrive), so it must
// be dropped, never reused. Error *replies* are not failures at this level:
// they come back as a `Reply` with `is_error()`, for the caller to map (the
// cluster router needs to read MOVED/ASK, the script layer NOSCRIPT).
//
// Connections are movable, never copyable, and not thread-safe: one thread
// uses a connection at a time (the pool hands each to one caller).
#ifndef PEERMATCH_SERVICE_STORE_CONNECTION_H_
#define PEERMATCH_SERVICE_STORE_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/store/command.h"
#include "service/store/redis_url.h"
#include "service/store/reply.h"

struct redisContext;  // hiredis

namespace peermatch::store {

struct ConnectionOptions {
  RedisEndpoint endpoint;
  // AUTH: `password` alone (requirepass) or `user` + `password` (ACL).
  std::string user;
  std::string password;
  int db = 0;  // SELECTed after connecting when non-zero
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Seconds(1);
  bool keepalive = true;  // SO_KEEPALIVE with hiredis's 15 s interval
};

class Connection {
 public:
  // Connects within min(connect_timeout, deadline - now), enables TCP
  // keepalive, then AUTHs and SELECTs as configured. Errors:
  //   DEADLINE_EXCEEDED  the deadline had passed, or passed while connecting;
  //   UNAVAILABLE        refused, timed out, unreachable; or AUTH/SELECT
  //                      rejected ("redis auth failed: ...").
  static absl::StatusOr<Connection> Open(const ConnectionOptions& options,
                                         absl::Time deadline);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Sends `command` and reads its reply (which may be an error reply).
  // Fails (and breaks the connection) on socket errors and timeouts; see the
  // header comment. Requires !broken().
  absl::StatusOr<Reply> Run(
      const Command& command, absl::Time deadline,
      absl::Duration extra_timeout = absl::ZeroDuration());

  // Appends every command, then reads one reply per command, in order.
  // Returns exactly `commands.size()` replies, or a status if any read fails
  // (then some commands may have run; the connection is broken). Requires
  // !broken() and a non-empty `commands`.
  absl::StatusOr<std::vector<Reply>> RunPipeline(
      absl::Span<const Command> commands, absl::Time deadline,
      absl::Duration extra_timeout = absl::ZeroDuration());

  // True after any socket-level failure; the connection must be dropped.
  bool broken() const { return broken_; }

  // For idle connections: false if the peer has closed the socket (or sent
  // unsolicited bytes), detected without blocking. Marks it broken then.
  bool CheckIdleHealthy();

  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };

  Connection(redisContext* ctx, const ConnectionOptions& options);

  // Open and RunPipeline without the metrics (SPEC §10) they record.
  static absl::StatusOr<Connection> OpenImpl(const ConnectionOptions& options,
                                             absl::Time deadline);
  absl::StatusOr<std::vector<Reply>> RunPipelineImpl(
      absl::Span<const Command> commands, absl::Time deadline,
      absl::Duration extra_timeout);

  // Sets the socket timeout for the next read/write; DEADLINE_EXCEEDED when
  // no time is left (nothing is sent then).
  absl::Status ArmTimeout(absl::Time deadline, absl::Duration extra_timeout);
  // Marks the connection broken and maps the context's error.
  absl::Status Fail(int saved_errno, absl::Time deadline);

  std::unique_ptr<redisContext, ContextDeleter> ctx_;
  RedisEndpoint endpoint_;
  absl::Duration command_timeout_;
  absl::Duration armed_timeout_ = absl::InfiniteDuration();
  bool broken_ = false;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_CONNECTION_H_
