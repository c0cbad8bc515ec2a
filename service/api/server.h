// peermatchd's gRPC server: the services of the v1 API, grpc.health.v1
// (overall and per service), server reflection, TLS, and graceful shutdown.
//
//   ServerConfig config = ...;            // from flags, see server_config.h
//   ServerDeps deps = ...;                // store clients etc., from main.cc
//   Server server(config, deps);
//   RETURN_IF_ERROR(server.Start());
//   ...                                    // SIGTERM
//   server.Shutdown();                     // SPEC §10 shutdown order
//
// Health: a monitor thread pings Redis every `health_interval`; while Redis
// is unreachable every service reports NOT_SERVING, and SERVING again after
// the store reconnects, without a restart (R-STORE). The health name
// `peermatch.liveness` (kLivenessHealthName) is SERVING from start until
// shutdown whatever Redis does: it answers "is this process alive?" for a
// liveness probe, so a Redis outage takes replicas out of the Service
// (readiness) without restarting them.
#ifndef PEERMATCH_SERVICE_API_SERVER_H_
#define PEERMATCH_SERVICE_API_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "service/api/server_config.h"
#include "service/common/executor.h"
#include "service/common/http_server.h"

namespace peermatch::api {

// What the server needs from the layers below; owned by main.cc.
struct ServerDeps {
  // Returns OK when Redis answers before the deadline.
  std::function<absl::Status(absl::Time deadline)> ping;
  // The gRPC services to register, by full name (they must outlive the
  // server). Health is reported for each name.
  std::vector<std::pair<std::string, grpc::Service*>> services;
  // Called during shutdown after calls have drained (release leases, ...).
  std::function<void()> on_drained;
};

inline constexpr char kLivenessHealthName[] = "peermatch.liveness";

class Server {
 public:
  Server(ServerConfig config, ServerDeps deps);
  ~Server();

  // Binds the gRPC and metrics ports and starts serving.
  absl::Status Start();

  // 1. NOT_SERVING, 2. stop taking calls, 3. finish in-flight calls within
  // the grace period, 4. on_drained (leases), 5. stop workers. Idempotent.
  void Shutdown();

  int port() const { return port_; }

  // The names health is reported for: "" plus every registered service.
  const std::vector<std::string>& health_names() const { return health_names_; }

 private:
  void MonitorHealth();
  void SetServing(bool serving);

  ServerConfig config_;
  ServerDeps deps_;
  std::unique_ptr<grpc::Server> server_;
  HttpServer metrics_http_;
  int port_ = 0;
  std::vector<std::string> health_names_;
  std::atomic<bool> stopping_{false};
  absl::Notification stop_monitor_;
  std::thread monitor_;
  bool shut_down_ = false;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_SERVER_H_
