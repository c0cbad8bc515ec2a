// The global registry of pool ids (`pm:pools`), so operators and jobs can
// enumerate pools without scanning the keyspace:
//
//   PoolRegistry registry(&client);
//   RETURN_IF_ERROR(registry.Register("pool-1", deadline));  // idempotent
//   ASSIGN_OR_RETURN(std::vector<std::string> pools, registry.List(deadline));
//
// `pm:pools` is not in any pool's slot, so registration is its own SADD, made
// before a pool's first write (a registered pool may be empty; a pool with
// data is always registered). Register remembers the pools it has added in
// this process and does not repeat the SADD for them.
//
// Thread-safe.
#ifndef PEERMATCH_SERVICE_STORE_POOL_REGISTRY_H_
#define PEERMATCH_SERVICE_STORE_POOL_REGISTRY_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/store/redis_client.h"

namespace peermatch::store {

class PoolRegistry {
 public:
  explicit PoolRegistry(RedisClient* client) : client_(client) {}

  // Adds `pool` to `pm:pools`. INVALID_ARGUMENT for a bad pool id;
  // UNAVAILABLE / DEADLINE_EXCEEDED as RedisClient.
  absl::Status Register(absl::string_view pool, absl::Time deadline);

  // Whether the pool is known: a member was written to it (registered), or
  // it has stored settings. Positive answers are cached (pools are never
  // unregistered). INVALID_ARGUMENT for a bad pool id.
  absl::StatusOr<bool> Exists(absl::string_view pool, absl::Time deadline);

  // Every registered pool id, sorted.
  absl::StatusOr<std::vector<std::string>> List(absl::Time deadline);

 private:
  RedisClient* client_;
  std::mutex mu_;  // std, not absl: see connection_pool.h
  absl::flat_hash_set<std::string> registered_;  // guarded by mu_
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_POOL_REGISTRY_H_
