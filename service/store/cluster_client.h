// Redis Cluster routing behind the RedisClient interface (SPEC §6):
//
//   ClusterClient redis({{"10.0.0.1", 7000}, {"10.0.0.2", 7000}},
//   pool_options); ASSIGN_OR_RETURN(Reply r, redis.Run(keys::Member("p", "a"),
//   cmd, deadline));
//
// How it routes:
//   - The slot map comes from CLUSTER SLOTS, asked of any known node (the
//     nodes of the current map first, then the seeds). It is loaded on first
//     use and refreshed when it is stale: after a MOVED, or after a node
//     could not be reached (at most every 100 ms, so a dead node does not
//     turn every call into a refresh).
//   - A call goes to the master that owns KeySlot(routing_key), through a
//     bounded ConnectionPool per master (connection_pool.h: backoff, idle
//     checks, deadlines).
//   - MOVED <slot> <host:port>: the slot is re-pointed at once, the map is
//     marked stale, and the redirected commands are re-sent there.
//   - ASK <slot> <host:port>: the commands are re-sent to that node, each
//     preceded by ASKING, without touching the map (the slot is migrating).
//   - TRYAGAIN (multi-key command during a migration): re-sent after a short
//     pause.
//   Only the commands answered with a redirection are re-sent — they did not
//   run — and at most 5 times; after that the redirection reply is returned
//   (it maps to UNAVAILABLE).
//   - If no connection to the owner can be had (the command was not sent),
//     the map is refreshed and the call retried once; if the connection
//     breaks after sending, the outcome is unknown, so the call fails with
//     UNAVAILABLE and the map is refreshed on the next call.
//
// Because every key of a pool carries `{pool}`, all of a pool's commands go
// to one node; `pm:pools` routes by its own slot.
//
// Thread-safe. Pools of nodes that left the cluster are kept (idle) until the
// client is destroyed.
#ifndef PEERMATCH_SERVICE_STORE_CLUSTER_CLIENT_H_
#define PEERMATCH_SERVICE_STORE_CLUSTER_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/store/connection_pool.h"
#include "service/store/redis_client.h"
#include "service/store/redis_url.h"

namespace peermatch::store {

class ClusterClient final : public RedisClient {
 public:
  struct Stats {
    int64_t moved = 0;      // MOVED replies followed
    int64_t ask = 0;        // ASK replies followed
    int64_t tryagain = 0;   // TRYAGAIN replies retried
    int64_t refreshes = 0;  // successful slot-map loads
    int nodes = 0;          // pools created
  };

  // `node_options` is the template for every node's pool; its endpoint is
  // replaced per node. No I/O happens here.
  ClusterClient(std::vector<RedisEndpoint> seeds, PoolOptions node_options);
  ~ClusterClient() override;

  using RedisClient::Pipeline;
  absl::StatusOr<std::vector<Reply>> Pipeline(
      absl::string_view routing_key, absl::Span<const Command> commands,
      const CallOptions& options) override;

  // OK when the slot map covers all 16384 slots and every master in it
  // answers PING.
  absl::Status Ping(absl::Time deadline) override;

  // Loads the slot map now. UNAVAILABLE when no known node answers.
  absl::Status RefreshSlots(absl::Time deadline);

  // The master currently believed to own `slot`, if known.
  std::optional<RedisEndpoint> OwnerOf(int slot) const;

  Stats GetStats() const;

 private:
  struct Node {
    RedisEndpoint endpoint;
    std::unique_ptr<ConnectionPool> pool;
  };

  // The node for `endpoint`, creating its pool on first use.
  Node* NodeFor(const RedisEndpoint& endpoint);
  // The owner of `slot`, loading the map when it is unknown or stale.
  absl::StatusOr<Node*> OwnerOrRefresh(int slot, absl::Time deadline);
  // `force` ignores the 100 ms rate limit.
  absl::Status Refresh(absl::Time deadline, bool force);
  void MarkStale();

  const std::vector<RedisEndpoint> seeds_;
  const PoolOptions node_options_;

  // std locks, not absl: Debian's abseil has no TSan annotations (see
  // connection_pool.h). mu_ guards the four members below it.
  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<Node>> nodes_;
  absl::flat_hash_map<std::string, Node*> by_endpoint_;
  std::vector<Node*> slots_;  // kClusterSlots entries
  bool stale_ = true;

  std::mutex refresh_mu_;  // one refresh at a time; guards last_refresh_
  absl::Time last_refresh_ = absl::InfinitePast();

  std::atomic<int64_t> moved_{0};
  std::atomic<int64_t> ask_{0};
  std::atomic<int64_t> tryagain_{0};
  std::atomic<int64_t> refreshes_{0};
};

// Parses "<slot> <host:port>" out of a MOVED or ASK error reply; an empty
// host (a node that does not know its own address) becomes `fallback_host`.
// INTERNAL when malformed.
absl::StatusOr<std::pair<int, RedisEndpoint>> ParseRedirect(
    absl::string_view error_reply, absl::string_view fallback_host);

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_CLUSTER_CLIENT_H_
