#include "service/common/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/common/http_server.h"

namespace peermatch {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, RendersPrometheusTextFormat) {
  MetricsRegistry r;
  r.GetCounter("pm_calls_total", "calls", {{"method", "Get"}})->Increment(2);
  r.GetCounter("pm_calls_total", "calls", {{"method", "Get"}})->Increment();
  r.GetGauge("pm_up", "up")->Set(1);
  Histogram* h = r.GetHistogram("pm_seconds", "lat", {{"m", "x"}}, {0.1, 1});
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(7);
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE pm_calls_total counter\n"
                              "pm_calls_total{method=\"Get\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pm_up 1\n"));
  EXPECT_THAT(text, HasSubstr("pm_seconds_bucket{m=\"x\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("pm_seconds_bucket{m=\"x\",le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("pm_seconds_bucket{m=\"x\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pm_seconds_count{m=\"x\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("pm_seconds_sum{m=\"x\"} 7.5"));
}

std::string HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\n\r\n";
  ::send(fd, req.data(), req.size(), 0);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, n);
  ::close(fd);
  return out;
}

TEST(HttpServerTest, ServesRegisteredPathsOnly) {
  HttpServer http;
  http.Handle("/metrics", [] { return std::string("pm_up 1\n"); });
  ASSERT_TRUE(http.Start("127.0.0.1:0").ok());
  ASSERT_GT(http.port(), 0);
  std::string ok = HttpGet(http.port(), "/metrics");
  EXPECT_THAT(ok, HasSubstr("HTTP/1.0 200 OK"));
  EXPECT_THAT(ok, HasSubstr("\r\n\r\npm_up 1\n"));
  EXPECT_THAT(HttpGet(http.port(), "/nope"), HasSubstr("404"));
  http.Stop();
}

// SPEC §9: a client that trickles its request forever cannot hold the
// endpoint: the server drops it, and the next client is served.
TEST(HttpServerTest, TricklingClientIsDroppedAndOthersAreServed) {
  HttpServer http;
  http.Handle("/metrics", [] { return std::string("pm_up 1\n"); });
  ASSERT_TRUE(http.Start("127.0.0.1:0").ok());
  int slow = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(http.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(slow, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  std::atomic<bool> dropped{false};
  std::thread trickle([&] {
    // One byte every 100 ms, never the end of the headers; gives up after
    // 60 s so that a server that never drops it fails the test.
    for (int i = 0; i < 600 && !dropped; ++i) {
      if (::send(slow, "G", 1, MSG_NOSIGNAL) != 1) dropped = true;
      char c;
      if (::recv(slow, &c, 1, MSG_DONTWAIT) == 0) dropped = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::string ok = HttpGet(http.port(), "/metrics");
  trickle.join();
  ::close(slow);
  EXPECT_TRUE(dropped);
  EXPECT_THAT(ok, HasSubstr("HTTP/1.0 200 OK"));
  http.Stop();
}

TEST(HttpServerTest, SplitsHostPort) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(SplitHostPort("0.0.0.0:9464", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9464);
  ASSERT_TRUE(SplitHostPort("[::1]:80", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(SplitHostPort("nohost", &host, &port));
  EXPECT_FALSE(SplitHostPort("h:99999", &host, &port));
}

}  // namespace
}  // namespace peermatch
