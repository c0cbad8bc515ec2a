// peermatchd's configuration: the SPEC §10 flags and their PEERMATCH_*
// environment equivalents, plus timeouts, limits and worker threads.
//
//   FlagSet flags("peermatchd");
//   DefineServerFlags(&flags);
//   RETURN_IF_ERROR(flags.Parse(argc, argv, getenv));
//   ASSIGN_OR_RETURN(ServerConfig config, ServerConfigFromFlags(flags));
#ifndef PEERMATCH_SERVICE_API_SERVER_CONFIG_H_
#define PEERMATCH_SERVICE_API_SERVER_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/common/flags.h"
#include "service/common/logging.h"

namespace peermatch::api {

struct ServerConfig {
  std::string listen = "0.0.0.0:50051";
  std::string redis = "redis://127.0.0.1:6379";
  std::string redis_mode = "standalone";         // or "cluster"
  std::string metrics_listen = "0.0.0.0:9464";   // empty: off
  std::string tls_cert, tls_key, tls_client_ca;  // file paths
  std::string token_file;
  LogLevel log_level = LogLevel::kInfo;

  int worker_threads = 16;
  int64_t max_queue = 10000;
  int redis_pool_size = 16;
  absl::Duration redis_connect_timeout = absl::Milliseconds(500);
  absl::Duration redis_command_timeout = absl::Seconds(2);
  absl::Duration max_call = absl::Seconds(30);
  absl::Duration grace_period = absl::Seconds(10);
  absl::Duration health_interval = absl::Seconds(1);
  int64_t max_message_bytes = 48 << 20;
  int64_t feed_max_len = 100000;
  int64_t sync_max_members = 50000;
  int64_t expiry_interval_s = 30;
  // Pool snapshots (service/snapshot): change-stream poll (SPEC: another
  // replica's write visible within 1 s), idle eviction, cold-load timeout.
  int64_t snapshot_poll_ms = 100;
  int64_t snapshot_idle_evict_s = 900;
  int64_t snapshot_load_timeout_ms = 30000;
  int64_t token_reload_s = 10;
};

void DefineServerFlags(FlagSet* flags);

// INVALID_ARGUMENT naming the flag when a value is out of range.
absl::StatusOr<ServerConfig> ServerConfigFromFlags(const FlagSet& flags);

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_SERVER_CONFIG_H_
