#include "service/store/redis_client.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/store/cluster_client.h"
#include "service/store/redis_url.h"

namespace peermatch::store {

absl::StatusOr<RedisMode> ParseRedisMode(absl::string_view mode) {
  if (mode == "standalone") return RedisMode::kStandalone;
  if (mode == "cluster") return RedisMode::kCluster;
  return absl::InvalidArgumentError(
      "redis mode must be 'standalone' or 'cluster'");
}

absl::StatusOr<Reply> RedisClient::Run(absl::string_view routing_key,
                                       const Command& command,
                                       const CallOptions& options) {
  ASSIGN_OR_RETURN(
      std::vector<Reply> replies,
      Pipeline(routing_key, absl::MakeConstSpan(&command, 1), options));
  return std::move(replies[0]);
}

absl::StatusOr<std::vector<Reply>> StandaloneClient::Pipeline(
    absl::string_view /*routing_key*/, absl::Span<const Command> commands,
    const CallOptions& options) {
  return pool_.RunPipeline(commands, options.deadline, options.extra_timeout);
}

absl::Status StandaloneClient::Ping(absl::Time deadline) {
  return pool_.Ping(deadline);
}

absl::StatusOr<std::unique_ptr<RedisClient>> NewRedisClient(
    absl::string_view url, const RedisClientOptions& options) {
  ASSIGN_OR_RETURN(RedisUrl parsed, ParseRedisUrl(url));
  PoolOptions pool;
  pool.connection.user = parsed.user;
  pool.connection.password = parsed.password;
  pool.connection.db = parsed.db;
  pool.connection.connect_timeout = options.connect_timeout;
  pool.connection.command_timeout = options.command_timeout;
  pool.max_connections = options.pool_size;
  pool.acquire_timeout = options.acquire_timeout;
  pool.backoff = options.backoff;
  if (options.mode == RedisMode::kStandalone) {
    if (parsed.seeds.size() != 1) {
      return absl::InvalidArgumentError(
          "redis url: standalone mode takes exactly one host");
    }
    pool.connection.endpoint = parsed.seeds[0];
    return std::make_unique<StandaloneClient>(std::move(pool));
  }
  if (parsed.db != 0) {
    return absl::InvalidArgumentError("redis url: Redis Cluster has only db 0");
  }
  return std::make_unique<ClusterClient>(std::move(parsed.seeds),
                                         std::move(pool));
}

}  // namespace peermatch::store
