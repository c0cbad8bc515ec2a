// A minimal HTTP/1.0 server for the Prometheus scrape endpoint
// (`--metrics-listen`). It answers GET requests from a handler table on one
// background thread; anything else gets 404/405. Requests are bounded (8 KiB
// header, 2 s read timeout), so a slow or hostile client cannot hold it.
//
//   HttpServer http;
//   http.Handle("/metrics", [] { return MetricsRegistry::Default().Render();
//   }); RETURN_IF_ERROR(http.Start("0.0.0.0:9464"));
//   ...
//   http.Stop();
#ifndef PEERMATCH_SERVICE_COMMON_HTTP_SERVER_H_
#define PEERMATCH_SERVICE_COMMON_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace peermatch {

class HttpServer {
 public:
  using Handler = std::function<std::string()>;

  HttpServer() = default;
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register before Start().
  void Handle(std::string path, Handler handler);

  // Binds `host:port` (port 0 picks a free one; see port()). UNAVAILABLE when
  // the address cannot be bound; INVALID_ARGUMENT when it does not parse.
  absl::Status Start(const std::string& address);
  void Stop();
  int port() const { return port_; }

 private:
  void Serve();
  void HandleConnection(int fd);

  std::map<std::string, Handler> handlers_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Splits "host:port" ("[::1]:80" too). False when malformed.
bool SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace peermatch

#endif  // PEERMATCH_SERVICE_COMMON_HTTP_SERVER_H_
