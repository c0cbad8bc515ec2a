// A bounded pool of connections to one Redis node, with reconnect backoff.
//
//   PoolOptions options;
//   options.connection.endpoint = {"127.0.0.1", 6379};
//   options.max_connections = 16;
//   ConnectionPool pool(options);
//
//   ASSIGN_OR_RETURN(Reply r, pool.Run(Command({"GET", key}), deadline));
//
//   {  // Several calls on one connection:
//     ASSIGN_OR_RETURN(ConnectionPool::Lease conn, pool.Acquire(deadline));
//     ASSIGN_OR_RETURN(Reply a, conn->Run(cmd_a, deadline));
//   }  // returned to the pool here (dropped if it broke)
//
// Semantics:
//   - Connections are opened lazily, up to `max_connections`, and reused
//     LIFO. Idle connections are checked (non-blocking poll) when taken, so a
//     connection the server closed (restart, idle timeout) is dropped instead
//     of failing the caller's command.
//   - A connection that fails at the socket level is dropped when released.
//   - Connect failures start an exponential backoff with jitter (backoff.h,
//     50 ms doubling to 2 s by default). Until the next attempt is due, and
//     while one attempt is in flight, Acquire fails fast with UNAVAILABLE
//     instead of hanging; the first success resets the backoff. No thread is
//     started: the next caller after the delay makes the attempt.
//   - When all `max_connections` are busy, Acquire waits for one to be
//     released, up to min(deadline, now + acquire_timeout). If the caller's
//     deadline is what ran out, the result is DEADLINE_EXCEEDED; if the
//     pool's `acquire_timeout` ran out first, it is RESOURCE_EXHAUSTED (the
//     pool is too small for the load: a limit was hit, SPEC §8).
//
// Thread-safe. Every Lease must be destroyed before the pool.
#ifndef PEERMATCH_SERVICE_STORE_CONNECTION_POOL_H_
#define PEERMATCH_SERVICE_STORE_CONNECTION_POOL_H_

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/store/backoff.h"
#include "service/store/command.h"
#include "service/store/connection.h"
#include "service/store/reply.h"

namespace peermatch::store {

struct PoolOptions {
  ConnectionOptions connection;
  int max_connections = 16;
  absl::Duration acquire_timeout = absl::Seconds(1);
  BackoffOptions backoff;
};

class ConnectionPool {
 public:
  // Exclusive use of one pooled connection; returns it on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), conn_(std::move(other.conn_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection* operator->() { return &*conn_; }
    Connection& operator*() { return *conn_; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, Connection conn)
        : pool_(pool), conn_(std::move(conn)) {}
    ConnectionPool* pool_;
    std::optional<Connection> conn_;
  };

  struct Stats {
    int open = 0;  // connections alive or being opened
    int idle = 0;
    int consecutive_failures = 0;
    bool in_backoff = false;
  };

  explicit ConnectionPool(PoolOptions options);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool();

  // A healthy connection, per the semantics above. Errors: UNAVAILABLE
  // (connect failed, or in backoff), DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED
  // (pool exhausted for acquire_timeout).
  absl::StatusOr<Lease> Acquire(absl::Time deadline);

  // Acquire + Connection::RunPipeline / Run. Error replies are returned as
  // replies; see connection.h.
  absl::StatusOr<std::vector<Reply>> RunPipeline(
      absl::Span<const Command> commands, absl::Time deadline,
      absl::Duration extra_timeout = absl::ZeroDuration());
  absl::StatusOr<Reply> Run(
      const Command& command, absl::Time deadline,
      absl::Duration extra_timeout = absl::ZeroDuration());

  // PING; OK only on PONG. For health checks.
  absl::Status Ping(absl::Time deadline);

  Stats GetStats() const;
  const RedisEndpoint& endpoint() const { return options_.connection.endpoint; }

 private:
  void Release(Connection conn);

  const PoolOptions options_;
  // std::mutex rather than absl::Mutex: Debian's abseil is not built with
  // ThreadSanitizer annotations, so only pthread-based locks let the TSan
  // build check this class.
  mutable std::mutex mu_;
  std::condition_variable released_;
  // All guarded by mu_.
  std::vector<Connection> idle_;
  int open_ = 0;
  int failures_ = 0;
  bool connecting_ = false;
  absl::Time next_attempt_ = absl::InfinitePast();
  std::string last_error_;
  absl::BitGen rng_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_CONNECTION_POOL_H_
