// Pools as use cases (R-API settings and statistics): reading and updating
// a pool's settings, and its statistics from the replica's snapshot plus the
// store's live match and group counts.
//
//   core::Pools pools(&settings_store, &match_store, &group_store,
//                     &snapshots);
//   ASSIGN_OR_RETURN(core::VersionedSettings s, pools.GetSettings(pool, dl));
//   ASSIGN_OR_RETURN(core::VersionedSettings u, pools.UpdateSettings(
//       pool, expected_version, [&](store::PoolConfig* c) {
//         return ApplyPatch(patch, c);   // the API's merge and validation
//       }, call));
//   ASSIGN_OR_RETURN(core::PoolStats st, pools.Stats(pool, deadline));
#ifndef PEERMATCH_SERVICE_CORE_POOLS_H_
#define PEERMATCH_SERVICE_CORE_POOLS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/core/types.h"
#include "service/snapshot/pool_snapshots.h"
#include "service/store/stores.h"

namespace peermatch::core {

struct VersionedSettings {
  store::PoolConfig config;
  int64_t version = 0;  // 0: never written (defaults)
};

// The stored settings, or the defaults (version 0) when none were written:
// the one read of a pool's settings for every use case.
absl::StatusOr<VersionedSettings> LoadSettings(store::SettingsStore* settings,
                                               const std::string& pool,
                                               absl::Time deadline);

// Changes the settings in place; returns INVALID_ARGUMENT (naming fields)
// to refuse the change.
using SettingsPatch = std::function<absl::Status(store::PoolConfig*)>;

class Pools {
 public:
  Pools(store::SettingsStore* settings, store::MatchStore* matches,
        store::GroupStore* groups, snapshot::PoolSnapshots* snapshots)
      : settings_(settings),
        matches_(matches),
        groups_(groups),
        snapshots_(snapshots) {}

  // The stored settings, or the defaults (version 0) for a pool that has
  // members but no settings; NOT_FOUND for a pool with neither.
  absl::StatusOr<VersionedSettings> GetSettings(const std::string& pool,
                                                absl::Time deadline);

  // Read, patch, write with the version read: a concurrent update between
  // the read and the write is ABORTED rather than lost, and so is an
  // `expected_version` that differs from the stored one.
  absl::StatusOr<VersionedSettings> UpdateSettings(
      const std::string& pool, std::optional<int64_t> expected_version,
      const SettingsPatch& patch, const Call& call);

  absl::StatusOr<PoolStats> Stats(const std::string& pool, absl::Time deadline);

 private:
  store::SettingsStore* settings_;
  store::MatchStore* matches_;
  store::GroupStore* groups_;
  snapshot::PoolSnapshots* snapshots_;
};

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_POOLS_H_
