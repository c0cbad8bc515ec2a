// The one abstraction repositories talk to: "run these commands on the node
// that owns this key", for standalone Redis and Redis Cluster alike.
//
//   RedisClientOptions options;
//   options.mode = RedisMode::kCluster;          // --redis-mode
//   ASSIGN_OR_RETURN(std::unique_ptr<RedisClient> redis,
//                    NewRedisClient("redis://:pw@10.0.0.1:7000,10.0.0.2:7000",
//                                   options));
//   const std::string key = keys::Member("pool-1", "alice");
//   ASSIGN_OR_RETURN(Reply r, redis->Run(key, Command({"HGET", key, "v"}),
//                                        deadline));
//
// Routing: `routing_key` picks the node (its cluster slot); every command of
// one call must hash to that slot, which the `{pool}` hash tag guarantees for
// one pool's keys (keys.h). Standalone ignores it.
//
// Results: transport failures are statuses (see redis_error.h; UNAVAILABLE
// when the node is down or in reconnect backoff, DEADLINE_EXCEEDED when the
// caller's deadline passed). Error replies come back as `Reply`s with
// `is_error()`, one per command, so a pipeline's items fail independently;
// map them with `ErrorReplyToStatus`. The cluster implementation follows
// MOVED and ASK itself, so those never reach the caller unless the
// redirections do not settle.
//
// Implementations are thread-safe; calls block the calling thread.
#ifndef PEERMATCH_SERVICE_STORE_REDIS_CLIENT_H_
#define PEERMATCH_SERVICE_STORE_REDIS_CLIENT_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/store/backoff.h"
#include "service/store/command.h"
#include "service/store/connection_pool.h"
#include "service/store/reply.h"

namespace peermatch::store {

enum class RedisMode { kStandalone, kCluster };

// "standalone" or "cluster" (the `--redis-mode` values); INVALID_ARGUMENT
// otherwise.
absl::StatusOr<RedisMode> ParseRedisMode(absl::string_view mode);

struct CallOptions {
  absl::Time deadline = absl::InfiniteFuture();
  // Added to the command timeout, for commands that block on purpose
  // (XREAD BLOCK <ms>).
  absl::Duration extra_timeout = absl::ZeroDuration();
};

class RedisClient {
 public:
  virtual ~RedisClient() = default;

  // Runs `commands` pipelined on the node owning `routing_key`'s slot and
  // returns one reply per command. A status means the outcome of some
  // commands is unknown (they may have run). Requires non-empty `commands`.
  virtual absl::StatusOr<std::vector<Reply>> Pipeline(
      absl::string_view routing_key, absl::Span<const Command> commands,
      const CallOptions& options) = 0;

  // OK when every node the client routes to answers PING. For health checks
  // (NOT_SERVING while this fails, SPEC §6).
  virtual absl::Status Ping(absl::Time deadline) = 0;

  // One command; an error reply is returned as a Reply.
  absl::StatusOr<Reply> Run(absl::string_view routing_key,
                            const Command& command, const CallOptions& options);
  absl::StatusOr<Reply> Run(absl::string_view routing_key,
                            const Command& command, absl::Time deadline) {
    return Run(routing_key, command, CallOptions{deadline});
  }
  absl::StatusOr<std::vector<Reply>> Pipeline(
      absl::string_view routing_key, absl::Span<const Command> commands,
      absl::Time deadline) {
    return Pipeline(routing_key, commands, CallOptions{deadline});
  }
};

struct RedisClientOptions {
  RedisMode mode = RedisMode::kStandalone;
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Seconds(1);
  int pool_size = 16;  // per node
  absl::Duration acquire_timeout = absl::Seconds(1);
  BackoffOptions backoff;
};

// Creates the client for `url` (redis_url.h) in `options.mode`. Does not
// connect: connections open on first use, so a service can start while Redis
// is still down (and report NOT_SERVING). INVALID_ARGUMENT for a bad URL,
// several seeds in standalone mode, or a non-zero db in cluster mode.
absl::StatusOr<std::unique_ptr<RedisClient>> NewRedisClient(
    absl::string_view url, const RedisClientOptions& options);

// Standalone Redis: one pool to one node.
class StandaloneClient final : public RedisClient {
 public:
  explicit StandaloneClient(PoolOptions options) : pool_(std::move(options)) {}

  using RedisClient::Pipeline;
  absl::StatusOr<std::vector<Reply>> Pipeline(
      absl::string_view routing_key, absl::Span<const Command> commands,
      const CallOptions& options) override;
  absl::Status Ping(absl::Time deadline) override;

  ConnectionPool& pool() { return pool_; }

 private:
  ConnectionPool pool_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_REDIS_CLIENT_H_
