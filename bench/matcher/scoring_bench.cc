// R-PERF: pair scores per second of the scoring kernel on one core (hard
// constraints plus both views' scores), on the generator's cohort.
//
//   matcher_scoring_bench
#include <cstdint>
#include <utility>
#include <vector>

#include "bench/matcher/bench_fixture.h"
#include "benchmark/benchmark.h"

namespace peermatch::matcher {
namespace {

using bench_support::CompiledCohort;

// Every mentee against every mentor, as complete-list building without an
// index would run the kernel. Counter "pairs": pair scores per second.
void BM_ScoreAllPairs(benchmark::State& state) {
  static const CompiledCohort* f = new CompiledCohort(4000, 1000);
  int64_t pairs = 0, acceptable = 0;
  for (auto _ : state) {
    for (MemberIndex e : f->mentees) {
      for (const auto& [m, capacity] : f->mentors) {
        PairScores s;
        if (f->scorer->Score(e, m, &s)) {
          ++acceptable;
          benchmark::DoNotOptimize(s);
        }
      }
    }
    pairs += static_cast<int64_t>(f->mentees.size() * f->mentors.size());
  }
  state.counters["pairs"] = benchmark::Counter(static_cast<double>(pairs),
                                               benchmark::Counter::kIsRate);
  state.counters["acceptable_fraction"] =
      static_cast<double>(acceptable) / static_cast<double>(pairs);
}
BENCHMARK(BM_ScoreAllPairs)->Unit(benchmark::kMillisecond);

// Only pairs that pass every hard constraint, so every call computes every
// component and both views: the full cost of a score.
void BM_ScoreAcceptablePairs(benchmark::State& state) {
  static const CompiledCohort* f = new CompiledCohort(4000, 1000);
  static const auto* good = [] {
    auto* v = new std::vector<std::pair<MemberIndex, MemberIndex>>;
    for (MemberIndex e : f->mentees) {
      for (const auto& [m, capacity] : f->mentors) {
        PairScores s;
        if (f->scorer->Score(e, m, &s)) v->emplace_back(e, m);
      }
    }
    return v;
  }();
  int64_t pairs = 0;
  for (auto _ : state) {
    for (const auto& [e, m] : *good) {
      PairScores s;
      benchmark::DoNotOptimize(f->scorer->Score(e, m, &s));
      benchmark::DoNotOptimize(s);
    }
    pairs += static_cast<int64_t>(good->size());
  }
  state.counters["pairs"] = benchmark::Counter(static_cast<double>(pairs),
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScoreAcceptablePairs)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace peermatch::matcher

BENCHMARK_MAIN();
