// Pool settings in Redis (R-POOL): the complete PoolConfig, in the store's
// record format (record_codec.h), with a version, per pool.
//
//   SettingsRepository settings(&client);
//   ASSIGN_OR_RETURN(std::optional<SettingsRecord> s,
//                    settings.Get("pool-1", deadline));   // nullopt: defaults
//   ASSIGN_OR_RETURN(int64_t v, settings.Put("pool-1", config,
//                                            /*expected_version=*/3,
//                                            "coordinator:alice", deadline));
//
// Put is one Lua script: version check (ABORTED on mismatch, nothing
// written), the new payload and version, a change event `kind settings op
// upsert id settings v <n>` (no content) and an audit entry
// `action settings.update actor <actor> v <n> t <ms>` — atomically. The pool
// is registered in `pm:pools` first, as for members.
//
// Thread-safe; calls block. Errors: INVALID_ARGUMENT (pool id, payload over
// 64 KiB), ABORTED, UNAVAILABLE, DEADLINE_EXCEEDED.
#ifndef PEERMATCH_SERVICE_STORE_SETTINGS_REPOSITORY_H_
#define PEERMATCH_SERVICE_STORE_SETTINGS_REPOSITORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/store/pool_registry.h"
#include "service/store/record_codec.h"
#include "service/store/redis_client.h"
#include "service/store/stores.h"

namespace peermatch::store {

struct SettingsRepositoryOptions {
  int64_t feed_max_len = 100000;
  int64_t audit_max_len = 10000;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class SettingsRepository final : public SettingsStore {
 public:
  static constexpr size_t kMaxPayloadBytes = 64 * 1024;

  explicit SettingsRepository(RedisClient* client,
                              SettingsRepositoryOptions options = {})
      : client_(client), options_(std::move(options)), registry_(client) {}

  // nullopt when the pool never had settings written.
  absl::StatusOr<std::optional<SettingsRecord>> Get(
      absl::string_view pool, absl::Time deadline) override;

  // Stores `config` as the pool's settings; returns the new version (1 for
  // the first write). `expected_version`: absent = unconditional, 0 = never
  // written, N = the stored version must be N.
  absl::StatusOr<int64_t> Put(absl::string_view pool, const PoolConfig& config,
                              std::optional<int64_t> expected_version,
                              absl::string_view actor,
                              absl::Time deadline) override;

 private:
  RedisClient* client_;
  SettingsRepositoryOptions options_;
  PoolRegistry registry_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_SETTINGS_REPOSITORY_H_
