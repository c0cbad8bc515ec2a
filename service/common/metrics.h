// Prometheus metrics (SPEC §10 R-OPS): counters, gauges and histograms with
// label values, rendered in the Prometheus text exposition format.
//
//   MetricsRegistry& m = MetricsRegistry::Default();
//   Counter* calls = m.GetCounter("peermatch_rpc_total", "RPCs handled",
//                                 {{"method", "GetMember"}, {"code", "OK"}});
//   calls->Increment();
//   Histogram* lat = m.GetHistogram("peermatch_rpc_seconds", "RPC latency",
//                                   {{"method", "GetMember"}});
//   lat->Observe(0.0021);
//   std::string text = m.Render();
//
// Label values must be bounded sets (method names, codes, pool ids) — never
// profile content. Get* is thread-safe and returns a pointer that lives as
// long as the registry; hot paths should look a metric up once and keep it.
// Updates are lock-free.
#ifndef PEERMATCH_SERVICE_COMMON_METRICS_H_
#define PEERMATCH_SERVICE_COMMON_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace peermatch {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf; and the sum.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<double> sum_{0.0};
};

// Latency buckets in seconds, 100 us .. 30 s, fine around the 1-10 ms
// targets of R-PERF.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  static MetricsRegistry& Default();

  Counter* GetCounter(const std::string& name, const std::string& help,
                      const Labels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help,
                  const Labels& labels = {});
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const Labels& labels = {},
                          std::vector<double> bounds = LatencyBuckets());

  std::string Render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  // Requires mu_.
  Family* FamilyFor(const std::string& name, const std::string& help,
                    Kind kind);

  // std::mutex rather than absl::Mutex: Debian's abseil is not built with
  // ThreadSanitizer annotations, and the Redis layer, which the TSan stage
  // checks, records metrics.
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_
};

}  // namespace peermatch

#endif  // PEERMATCH_SERVICE_COMMON_METRICS_H_
