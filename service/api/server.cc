#include "service/api/server.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/common/logging.h"
#include "service/common/metrics.h"

namespace peermatch::api {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerConfig& c) {
  if (c.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions opts(
      c.tls_client_ca.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto key = ReadFile(c.tls_key);
  if (!key.ok()) return key.status();
  auto cert = ReadFile(c.tls_cert);
  if (!cert.ok()) return cert.status();
  pair.private_key = *std::move(key);
  pair.cert_chain = *std::move(cert);
  opts.pem_key_cert_pairs.push_back(std::move(pair));
  if (!c.tls_client_ca.empty()) {
    auto ca = ReadFile(c.tls_client_ca);
    if (!ca.ok()) return ca.status();
    opts.pem_root_certs = *std::move(ca);
  }
  return grpc::SslServerCredentials(opts);
}

}  // namespace

Server::Server(ServerConfig config, ServerDeps deps)
    : config_(std::move(config)), deps_(std::move(deps)) {
  health_names_.push_back("");
  for (const auto& [name, service] : deps_.services) {
    health_names_.push_back(name);
  }
}

Server::~Server() { Shutdown(); }

absl::Status Server::Start() {
  auto creds = Credentials(config_);
  if (!creds.ok()) return creds.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, *creds, &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config_.max_message_bytes));
  for (const auto& [name, service] : deps_.services) {
    builder.RegisterService(service);
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config_.listen));
  }
  if (!config_.metrics_listen.empty()) {
    metrics_http_.Handle("/metrics",
                         [] { return MetricsRegistry::Default().Render(); });
    absl::Status s = metrics_http_.Start(config_.metrics_listen);
    if (!s.ok()) {
      server_->Shutdown(std::chrono::system_clock::now());
      return s;
    }
  }
  SetServing(deps_.ping(absl::Now() + config_.health_interval).ok());
  // Until Shutdown, which sets every name NOT_SERVING.
  server_->GetHealthCheckService()->SetServingStatus(kLivenessHealthName, true);
  monitor_ = std::thread([this] { MonitorHealth(); });
  LOG_INFO("peermatchd serving",
           {{"port", port_},
            {"metrics_port", metrics_http_.port()},
            {"tls", !config_.tls_cert.empty()},
            {"mutual_tls", !config_.tls_client_ca.empty()}});
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  if (stopping_) return;
  static Gauge* gauge = MetricsRegistry::Default().GetGauge(
      "peermatch_serving", "1 while the service reports SERVING");
  gauge->Set(serving ? 1 : 0);
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  for (const std::string& name : health_names_) {
    health->SetServingStatus(name, serving);
  }
}

void Server::MonitorHealth() {
  bool serving = true;
  bool first = true;
  while (
      !stop_monitor_.WaitForNotificationWithTimeout(config_.health_interval)) {
    absl::Status s = deps_.ping(absl::Now() + config_.health_interval);
    if (first || s.ok() != serving) {
      if (s.ok()) {
        LOG_INFO("redis reachable: SERVING");
      } else {
        LOG_WARN("redis unreachable: NOT_SERVING",
                 {{"code", absl::StatusCodeToString(s.code())}});
      }
    }
    first = false;
    serving = s.ok();
    SetServing(serving);
  }
}

void Server::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  LOG_INFO("shutting down: NOT_SERVING, draining calls",
           {{"grace_ms", absl::ToInt64Milliseconds(config_.grace_period)}});
  // 1. NOT_SERVING everywhere, and no later change back.
  stopping_ = true;
  stop_monitor_.Notify();
  if (monitor_.joinable()) monitor_.join();
  server_->GetHealthCheckService()->Shutdown();
  // 2-3. Stop taking calls; finish in-flight ones within the grace period.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + config_.grace_period));
  // 4. Release what other replicas may need (leases).
  if (deps_.on_drained) deps_.on_drained();
  metrics_http_.Stop();
  LOG_INFO("shutdown complete");
}

}  // namespace peermatch::api
