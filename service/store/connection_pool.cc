#include "service/store/connection_pool.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/store/redis_error.h"

namespace peermatch::store {

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_.has_value()) pool_->Release(std::move(*conn_));
}

ConnectionPool::ConnectionPool(PoolOptions options)
    : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() = default;

void ConnectionPool::Release(Connection conn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (conn.broken()) {
      --open_;
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  released_.notify_one();
}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(
    absl::Time deadline) {
  const absl::Time wait_until =
      std::min(deadline, absl::Now() + options_.acquire_timeout);
  const int max_connections = std::max(1, options_.max_connections);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("redis: deadline exceeded waiting for a connection [",
                       endpoint().ToString(), "]"));
    }
    while (!idle_.empty()) {
      Connection conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn.CheckIdleHealthy()) return Lease(this, std::move(conn));
      --open_;
    }
    if (open_ < max_connections) {
      if (failures_ > 0 && (connecting_ || now < next_attempt_)) {
        return absl::UnavailableError(absl::StrCat(
            "redis unavailable, reconnecting with backoff (", failures_,
            " failed attempts; last: ", last_error_, ")"));
      }
      ++open_;
      connecting_ = true;
      lock.unlock();
      absl::StatusOr<Connection> conn =
          Connection::Open(options_.connection, deadline);
      lock.lock();
      connecting_ = false;
      if (!conn.ok()) {
        --open_;
        // A caller's short deadline says nothing about the server.
        if (conn.status().code() != absl::StatusCode::kDeadlineExceeded) {
          ++failures_;
          next_attempt_ =
              absl::Now() + BackoffDelay(options_.backoff, failures_,
                                         absl::Uniform(rng_, 0.0, 1.0));
          last_error_ = std::string(conn.status().message());
        }
        released_.notify_all();
        return conn.status();
      }
      failures_ = 0;
      next_attempt_ = absl::InfinitePast();
      return Lease(this, *std::move(conn));
    }
    if (released_.wait_until(lock, absl::ToChronoTime(wait_until)) ==
            std::cv_status::timeout &&
        absl::Now() >= wait_until) {
      if (absl::Now() >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("redis: deadline exceeded waiting for a connection [",
                         endpoint().ToString(), "]"));
      }
      return absl::ResourceExhaustedError(
          absl::StrCat("redis connection pool exhausted: ", max_connections,
                       " connections busy for ",
                       absl::FormatDuration(options_.acquire_timeout), " [",
                       endpoint().ToString(), "]"));
    }
  }
}

absl::StatusOr<std::vector<Reply>> ConnectionPool::RunPipeline(
    absl::Span<const Command> commands, absl::Time deadline,
    absl::Duration extra_timeout) {
  ASSIGN_OR_RETURN(Lease conn, Acquire(deadline));
  return conn->RunPipeline(commands, deadline, extra_timeout);
}

absl::StatusOr<Reply> ConnectionPool::Run(const Command& command,
                                          absl::Time deadline,
                                          absl::Duration extra_timeout) {
  ASSIGN_OR_RETURN(Lease conn, Acquire(deadline));
  return conn->Run(command, deadline, extra_timeout);
}

absl::Status ConnectionPool::Ping(absl::Time deadline) {
  ASSIGN_OR_RETURN(Reply r, Run(Command({"PING"}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  if (r.str() != "PONG") {
    return absl::UnavailableError(
        absl::StrCat("redis: unexpected PING reply ", r.Describe()));
  }
  return absl::OkStatus();
}

ConnectionPool::Stats ConnectionPool::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s;
  s.open = open_;
  s.idle = static_cast<int>(idle_.size());
  s.consecutive_failures = failures_;
  s.in_backoff = failures_ > 0 && absl::Now() < next_attempt_;
  return s;
}

}  // namespace peermatch::store
