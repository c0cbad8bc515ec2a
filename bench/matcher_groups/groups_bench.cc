// R-PERF / R-GROUPQ: group formation for 10,000 group members, wall time and
// quality (placed vs. the placeable bound, total fit vs. the upper bound).
//
//   matcher_groups_bench --benchmark_filter=FormGroups
//
// Cohorts: the benchmark's own seeded generator (local_cohort.h) and, when it
// is built, the project's shared cohort generator (bench/generator) with its
// availability placed in a fixed reference week by matcher/time.h.
#include <cstdint>
#include <utility>
#include <vector>

#include "bench/matcher_groups/local_cohort.h"
#include "benchmark/benchmark.h"
#include "matcher/groups.h"
#ifdef PEERMATCH_HAVE_COHORT_GENERATOR
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "bench/generator/cohort.h"
#include "matcher/time.h"
#endif

namespace peermatch::matcher {
namespace {

constexpr uint64_t kSeed = 42;

void Report(benchmark::State& state, const bench::GroupCohort& c,
            const GroupingResult& r) {
  int eligible = 0;
  for (const MemberProfile& m : c.members) {
    eligible +=
        GroupEligibilityOf(m, PoolSettings{}) == GroupEligibility::kEligible;
  }
  state.counters["members"] = static_cast<double>(c.members.size());
  state.counters["eligible"] = eligible;
  state.counters["placed"] = r.placed;
  state.counters["placeable_ub"] = r.placeable_upper_bound;
  state.counters["groups"] = static_cast<double>(r.groups.size());
  state.counters["total_fit"] = r.total_fit;
  state.counters["fit_ub"] = r.upper_bound;
  state.counters["fit_per_placed"] = r.placed ? r.total_fit / r.placed : 0;
  state.counters["size_dev"] = r.size_deviation;
  state.counters["evals"] = static_cast<double>(r.evaluations);
  state.counters["budget_hit"] = r.budget_exhausted;
}

void RunFormGroups(benchmark::State& state, const bench::GroupCohort& c,
                   const GroupingOptions& options) {
  GroupingResult last;
  for (auto _ : state) {
    absl::StatusOr<GroupingResult> r =
        FormGroups(c.members, c.slots, PoolSettings{}, options);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    last = *std::move(r);
  }
  Report(state, c, last);
}

// Arg: members. Arg 2 (optional): max_evaluations in millions.
void BM_FormGroups(benchmark::State& state) {
  const bench::GroupCohort c =
      bench::LocalGroupCohort(kSeed, static_cast<int>(state.range(0)));
  GroupingOptions options;
  if (state.range(1) >= 0) options.max_evaluations = state.range(1) * 1'000'000;
  RunFormGroups(state, c, options);
}
BENCHMARK(BM_FormGroups)
    ->Args({1000, -1})
    ->Args({10000, -1})
    ->Args({10000, 0})
    ->Args({20000, -1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

#ifdef PEERMATCH_HAVE_COHORT_GENERATOR
void BM_FormGroupsSharedCohort(benchmark::State& state) {
  bench::CohortOptions o;
  o.seed = kSeed;
  o.mentees = 0;
  o.mentors = 0;
  o.group_members = static_cast<int>(state.range(0));
  bench::GroupCohort c;
  c.members = bench::GenerateCohort(o);
  TimeZoneCache zones;
  const ReferenceWeek week = ReferenceWeekContaining(
      absl::FromCivil(absl::CivilDay(2026, 3, 11), absl::UTCTimeZone()));
  for (const MemberProfile& m : c.members) {
    absl::StatusOr<absl::TimeZone> tz = zones.Load(m.time_zone);
    absl::StatusOr<SlotSet> s =
        tz.ok() ? AvailabilitySlots(m.availability, *tz, week)
                : absl::StatusOr<SlotSet>(tz.status());
    if (!s.ok()) {
      state.SkipWithError(s.status().ToString().c_str());
      return;
    }
    c.slots.push_back(*s);
  }
  RunFormGroups(state, c, GroupingOptions{});
}
BENCHMARK(BM_FormGroupsSharedCohort)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
#endif

}  // namespace
}  // namespace peermatch::matcher

BENCHMARK_MAIN();
