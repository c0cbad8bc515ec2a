// R-PERF / R-OFFLINE: the stable-matching core on the `peermatch solve`
// benchmark instance (10,000 mentees x 500 mentors, 10-long lists, capacity
// 20, seed 1), the very instance bench/matcher/solve_process.sh feeds to the
// binary as JSON. Measures what `solve` does after parsing: rank lists,
// deferred acceptance and verification.
//
//   matcher_solve_bench
#include <cstdint>

#include "bench/generator/solve_instance.h"
#include "benchmark/benchmark.h"
#include "matcher/stable_matching.h"
#include "matcher/verifier.h"

namespace peermatch::matcher {
namespace {

void BM_Solve10kx500(benchmark::State& state) {
  static const bench::SolveInstanceLists* instance =
      new bench::SolveInstanceLists(
          bench::GenerateSolveInstance(bench::SolveInstanceOptions{}));
  int64_t blocking = 0, matched = 0;
  for (auto _ : state) {
    const RankLists lists = RankLists::FromVectors(
        instance->mentee_lists, instance->mentor_lists, instance->capacity);
    const StableMatching m =
        *SolveStableMatching(lists, static_cast<ProposingSide>(state.range(0)));
    blocking = VerifyStableMatching(lists, m.mentor_of).blocking_pairs;
    matched = m.stats.matched;
  }
  state.counters["matched"] = static_cast<double>(matched);
  state.counters["blocking_pairs"] = static_cast<double>(blocking);
}
BENCHMARK(BM_Solve10kx500)
    ->ArgName("side")
    ->Arg(static_cast<int>(ProposingSide::kMentee))
    ->Arg(static_cast<int>(ProposingSide::kMentor))
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace peermatch::matcher

BENCHMARK_MAIN();
