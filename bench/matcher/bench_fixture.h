// Shared set-up of the matcher benchmarks: the generator's cohort compiled
// for a fixed reference week, and a ParallelFor on std::threads standing in
// for the caller's executor.
#ifndef PEERMATCH_BENCH_MATCHER_BENCH_FIXTURE_H_
#define PEERMATCH_BENCH_MATCHER_BENCH_FIXTURE_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "absl/time/civil_time.h"
#include "bench/generator/cohort.h"
#include "matcher/compiled_pool.h"
#include "matcher/parallel.h"
#include "matcher/scoring.h"
#include "matcher/time.h"

namespace peermatch::matcher::bench_support {

// Every figure in BENCHMARKS.md uses this seed.
inline constexpr uint64_t kSeed = 42;

// The week of Wednesday 2026-03-11: New York already on EDT, Berlin not yet
// on CEST.
inline ReferenceWeek BenchWeek() {
  return ReferenceWeekContaining(
      absl::FromCivil(absl::CivilDay(2026, 3, 11), absl::UTCTimeZone()));
}

inline std::vector<MemberProfile> BenchCohort(int mentees, int mentors) {
  bench::CohortOptions o;
  o.seed = kSeed;
  o.mentees = mentees;
  o.mentors = mentors;
  return bench::GenerateCohort(o);
}

// A compiled cohort with default settings, and its mentees and mentors (with
// their profile capacity) in id order.
struct CompiledCohort {
  CompiledCohort(int mentees, int mentors) {
    const std::vector<MemberProfile> members = BenchCohort(mentees, mentors);
    TimeZoneCache zones;
    pool.emplace(*CompiledPool::Compile(members, {}, BenchWeek(), &zones));
    scorer.emplace(*Scorer::Create(*pool, PoolSettings{}));
    for (MemberIndex i : pool->by_id()) {
      const MemberCore& c = pool->core(i);
      if (c.flags & kFlagMentee) this->mentees.push_back(i);
      if (c.flags & kFlagMentor) this->mentors.emplace_back(i, c.capacity);
    }
  }
  std::optional<CompiledPool> pool;
  std::optional<Scorer> scorer;
  std::vector<MemberIndex> mentees;
  std::vector<std::pair<MemberIndex, int32_t>> mentors;
};

// Runs ranges on `threads` std::threads in interleaved blocks of 64; null
// (the library's sequential path) for 1.
inline ParallelFor Threads(int threads) {
  if (threads <= 1) return nullptr;
  return [threads](int64_t n, const RangeFn& body) {
    const int64_t block = 64;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (int64_t b = t * block; b < n; b += threads * block) {
          body(b, std::min(n, b + block));
        }
      });
    }
    for (auto& th : pool) th.join();
  };
}

}  // namespace peermatch::matcher::bench_support

#endif  // PEERMATCH_BENCH_MATCHER_BENCH_FIXTURE_H_
