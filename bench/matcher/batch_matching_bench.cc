// R-PERF: batch stable matching on the generator's cohort, including scoring
// and list building (the pool is compiled beforehand, as a service keeps it
// in its snapshot; compiling is reported separately).
//
//   matcher_batch_matching_bench --benchmark_filter=Complete20kx5k
//   matcher_batch_matching_bench --benchmark_filter=Top100_100kx20k
// The /threads:N argument lends N caller-owned threads through ParallelFor;
// 1 is the library's default single-threaded path.
#include <cstdint>
#include <vector>

#include "bench/matcher/bench_fixture.h"
#include "benchmark/benchmark.h"
#include "matcher/batch_matching.h"

namespace peermatch::matcher {
namespace {

using bench_support::CompiledCohort;

void RunBatch(benchmark::State& state, const CompiledCohort& cohort,
              int max_candidates) {
  BatchInput input;
  input.mentees = cohort.mentees;
  input.mentors = cohort.mentors;
  BatchOptions options;
  options.max_candidates = max_candidates;
  options.parallel_for =
      bench_support::Threads(static_cast<int>(state.range(0)));
  BatchResult result;
  for (auto _ : state) {
    result = *RunBatchMatching(*cohort.scorer, input, options);
  }
  state.counters["mentees"] = static_cast<double>(input.mentees.size());
  state.counters["mentors"] = static_cast<double>(input.mentors.size());
  state.counters["matched"] = result.stats.matched;
  state.counters["blocking_pairs"] =
      static_cast<double>(result.verification.blocking_pairs);
  state.counters["list_entries"] =
      static_cast<double>(result.preference_list_entries);
  state.counters["mean_mentee_rank"] = result.stats.mean_mentee_rank;
  state.counters["pool_bytes_per_member"] =
      static_cast<double>(cohort.pool->MemoryBytes()) / cohort.pool->size();
}

void BM_Complete20kx5k(benchmark::State& state) {
  static const CompiledCohort* cohort = new CompiledCohort(20000, 5000);
  RunBatch(state, *cohort, 0);
}
BENCHMARK(BM_Complete20kx5k)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Top100_100kx20k(benchmark::State& state) {
  static const CompiledCohort* cohort = new CompiledCohort(100000, 20000);
  RunBatch(state, *cohort, 100);
}
BENCHMARK(BM_Top100_100kx20k)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Compiling the 120,000-member cohort (profiles to CompiledPool).
void BM_Compile120k(benchmark::State& state) {
  static const auto* members =
      new std::vector<MemberProfile>(bench_support::BenchCohort(100000, 20000));
  for (auto _ : state) {
    TimeZoneCache zones;
    benchmark::DoNotOptimize(CompiledPool::Compile(
        *members, {}, bench_support::BenchWeek(), &zones));
  }
}
BENCHMARK(BM_Compile120k)->Iterations(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace peermatch::matcher

BENCHMARK_MAIN();
