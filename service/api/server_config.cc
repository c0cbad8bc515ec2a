#include "service/api/server_config.h"

#include "base/status_macros.h"

namespace peermatch::api {

void DefineServerFlags(FlagSet* f) {
  ServerConfig d;
  f->Define("listen", d.listen, "gRPC address host:port");
  f->Define("redis", d.redis,
            "redis://[user:password@]host:port[/db]; comma-separated seed "
            "nodes for a cluster");
  f->Define("redis-mode", d.redis_mode, "standalone or cluster");
  f->Define("metrics-listen", d.metrics_listen,
            "Prometheus HTTP address host:port; empty turns it off");
  f->Define("tls-cert", "", "PEM certificate chain file for the gRPC port");
  f->Define("tls-key", "", "PEM private key file for the gRPC port");
  f->Define("tls-client-ca", "",
            "PEM CA bundle; when set, clients must present a certificate "
            "(mutual TLS)");
  f->Define("token-file", "",
            "bearer-token hashes, roles and pools; when absent "
            "authentication is off");
  f->Define("log-level", "info", "debug, info, warn or error");
  f->Define("worker-threads", std::to_string(d.worker_threads),
            "threads of the executor that runs blocking work (1-256)");
  f->Define("max-queue", std::to_string(d.max_queue),
            "calls waiting for a worker before RESOURCE_EXHAUSTED");
  f->Define("redis-pool-size", std::to_string(d.redis_pool_size),
            "Redis connections per node (1-256)");
  f->Define("redis-connect-timeout-ms", "500", "Redis connect timeout");
  f->Define("redis-command-timeout-ms", "2000", "Redis command timeout");
  f->Define("max-call-ms", "30000",
            "the longest the server works on one call, whatever the client "
            "deadline");
  f->Define("grace-period-ms", "10000",
            "how long SIGTERM waits for in-flight calls");
  f->Define("health-interval-ms", "1000", "how often Redis is pinged");
  f->Define("max-message-bytes", std::to_string(d.max_message_bytes),
            "largest gRPC message accepted or sent");
  f->Define("feed-max-len", std::to_string(d.feed_max_len),
            "approximate length the change stream of a pool is trimmed to");
  f->Define("sync-max-members", std::to_string(d.sync_max_members),
            "largest pool a synchronous batch run accepts");
  f->Define("expiry-interval-s", std::to_string(d.expiry_interval_s),
            "how often PROPOSED matches past the proposal TTL are expired");
  f->Define("snapshot-poll-ms", std::to_string(d.snapshot_poll_ms),
            "how often each pool snapshot tails its change stream");
  f->Define("snapshot-idle-evict-s", std::to_string(d.snapshot_idle_evict_s),
            "a pool snapshot unused this long is dropped from memory");
  f->Define("snapshot-load-timeout-ms",
            std::to_string(d.snapshot_load_timeout_ms),
            "time allowed for a cold load of a pool snapshot");
  f->Define("token-reload-s", std::to_string(d.token_reload_s),
            "how often the token file is checked for changes");
}

absl::StatusOr<ServerConfig> ServerConfigFromFlags(const FlagSet& f) {
  ServerConfig c;
  c.listen = f.Get("listen");
  c.redis = f.Get("redis");
  c.redis_mode = f.Get("redis-mode");
  if (c.redis_mode != "standalone" && c.redis_mode != "cluster") {
    return absl::InvalidArgumentError(
        "flag --redis-mode must be standalone or cluster");
  }
  c.metrics_listen = f.Get("metrics-listen");
  c.tls_cert = f.Get("tls-cert");
  c.tls_key = f.Get("tls-key");
  c.tls_client_ca = f.Get("tls-client-ca");
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "flags --tls-cert and --tls-key must be given together");
  }
  if (!c.tls_client_ca.empty() && c.tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "flag --tls-client-ca needs --tls-cert and --tls-key");
  }
  c.token_file = f.Get("token-file");
  if (!ParseLogLevel(f.Get("log-level"), &c.log_level)) {
    return absl::InvalidArgumentError(
        "flag --log-level must be debug, info, warn or error");
  }
  ASSIGN_OR_RETURN(int64_t threads, f.GetInt("worker-threads", 1, 256));
  c.worker_threads = static_cast<int>(threads);
  ASSIGN_OR_RETURN(c.max_queue, f.GetInt("max-queue", 1, 1000000));
  ASSIGN_OR_RETURN(int64_t pool, f.GetInt("redis-pool-size", 1, 256));
  c.redis_pool_size = static_cast<int>(pool);
  ASSIGN_OR_RETURN(int64_t cto, f.GetInt("redis-connect-timeout-ms", 1, 60000));
  c.redis_connect_timeout = absl::Milliseconds(cto);
  ASSIGN_OR_RETURN(int64_t cmd,
                   f.GetInt("redis-command-timeout-ms", 1, 600000));
  c.redis_command_timeout = absl::Milliseconds(cmd);
  ASSIGN_OR_RETURN(int64_t max_call, f.GetInt("max-call-ms", 1, 3600000));
  c.max_call = absl::Milliseconds(max_call);
  ASSIGN_OR_RETURN(int64_t grace, f.GetInt("grace-period-ms", 0, 600000));
  c.grace_period = absl::Milliseconds(grace);
  ASSIGN_OR_RETURN(int64_t health, f.GetInt("health-interval-ms", 10, 60000));
  c.health_interval = absl::Milliseconds(health);
  ASSIGN_OR_RETURN(c.max_message_bytes,
                   f.GetInt("max-message-bytes", 4096, int64_t{1} << 30));
  ASSIGN_OR_RETURN(c.feed_max_len, f.GetInt("feed-max-len", 1000, 100000000));
  ASSIGN_OR_RETURN(c.sync_max_members,
                   f.GetInt("sync-max-members", 1, 10000000));
  ASSIGN_OR_RETURN(c.expiry_interval_s,
                   f.GetInt("expiry-interval-s", 1, 86400));
  ASSIGN_OR_RETURN(c.snapshot_poll_ms, f.GetInt("snapshot-poll-ms", 10, 10000));
  ASSIGN_OR_RETURN(c.snapshot_idle_evict_s,
                   f.GetInt("snapshot-idle-evict-s", 10, 86400 * 7));
  ASSIGN_OR_RETURN(c.snapshot_load_timeout_ms,
                   f.GetInt("snapshot-load-timeout-ms", 100, 600000));
  ASSIGN_OR_RETURN(c.token_reload_s, f.GetInt("token-reload-s", 1, 3600));
  return c;
}

}  // namespace peermatch::api
