#include "base/ids.h"
#include "service/store/pool_registry.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/status_macros.h"
#include "service/store/keys.h"
#include "service/store/redis_error.h"

namespace peermatch::store {

absl::Status PoolRegistry::Register(absl::string_view pool,
                                    absl::Time deadline) {
  if (!base::IsValidPoolId(pool)) {
    return absl::InvalidArgumentError("invalid pool id");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (registered_.contains(pool)) return absl::OkStatus();
  }
  const std::string key = keys::Pools();
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(key, Command({"SADD", key, pool}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  std::lock_guard<std::mutex> lock(mu_);
  registered_.insert(std::string(pool));
  return absl::OkStatus();
}

absl::StatusOr<bool> PoolRegistry::Exists(absl::string_view pool,
                                          absl::Time deadline) {
  if (!base::IsValidPoolId(pool)) {
    return absl::InvalidArgumentError("invalid pool id");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (registered_.contains(pool)) return true;
  }
  const std::string key = keys::Pools();
  ASSIGN_OR_RETURN(
      Reply r, client_->Run(key, Command({"SISMEMBER", key, pool}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  bool known = r.integer() == 1;
  if (!known) {
    const std::string settings = keys::Settings(pool);
    ASSIGN_OR_RETURN(
        Reply s,
        client_->Run(settings, Command({"EXISTS", settings}), deadline));
    if (s.is_error()) return ErrorReplyToStatus(s.str());
    known = s.integer() == 1;
  }
  if (known) {
    std::lock_guard<std::mutex> lock(mu_);
    registered_.insert(std::string(pool));
  }
  return known;
}

absl::StatusOr<std::vector<std::string>> PoolRegistry::List(
    absl::Time deadline) {
  const std::string key = keys::Pools();
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(key, Command({"SMEMBERS", key}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(std::vector<std::string> pools, r.ToStrings());
  std::sort(pools.begin(), pools.end());
  return pools;
}

}  // namespace peermatch::store
