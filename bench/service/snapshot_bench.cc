// R-PERF, issue 11: RecommendMentors right after a write, on a replica's
// snapshot of a 100,000-member pool (generator seed 1: 70,000 mentees,
// 20,000 mentors, 10,000 group members), through core::Recommender — the
// code path of the RPC without gRPC and Redis.
//
//   snapshot_bench
//
// - BM_RecommendIdle: no write between calls (the steady state).
// - BM_RecommendAfterMentorWrite: each call right after the replica's own
//   upsert of a mentor (core::Members::Upsert): the snapshot applies it in
//   place and the index keeps serving, with the mentor scored directly.
// - BM_RecommendAfterFullRebuild: each call right after a settings change,
//   which rebuilds the scorer and the index over the pool — what every
//   member write cost before issue 11.
// - BM_ReferenceScoringKernel: the scoring kernel on the same pool (pairs
//   per second), the machine's reference figure in the same run.
// The store is an in-memory fake (tests/core/fake_stores.h), so the figures
// are the snapshot's and the matcher's alone.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/generator/cohort.h"
#include "benchmark/benchmark.h"
#include "service/core/members.h"
#include "service/core/recommend.h"
#include "service/snapshot/pool_snapshots.h"
#include "tests/core/fake_stores.h"

namespace peermatch {
namespace {

constexpr char kPool[] = "bench";

struct Fixture {
  Fixture() {
    bench::CohortOptions o;
    o.seed = 1;
    o.mentees = 70000;
    o.mentors = 20000;
    o.group_members = 10000;
    profiles = bench::GenerateCohort(o);
    const absl::Time deadline = absl::Now() + absl::Minutes(5);
    for (const matcher::MemberProfile& p : profiles) {
      (void)members.Upsert(kPool, {p, std::nullopt}, deadline);
      if (p.mentor_capacity > 0 &&
          p.roles & matcher::RoleBit(matcher::Role::kMentor)) {
        mentors.push_back(p);
      } else if (p.roles & matcher::RoleBit(matcher::Role::kMentee)) {
        mentees.push_back(p.id);
      }
    }
    snapshot::Sources s;
    s.members = &members;
    s.settings = &settings;
    s.matches = &matches;
    snapshots =
        std::make_unique<snapshot::PoolSnapshots>(s, snapshot::Options{});
    recommender = std::make_unique<core::Recommender>(snapshots.get());
    members_core =
        std::make_unique<core::Members>(&members, snapshots.get(), nullptr);
  }
  absl::Status Recommend(size_t i) {
    core::RecommendQuery q;
    q.mentee = mentees[i % mentees.size()];
    q.k = 10;
    return recommender->Recommend(kPool, q, absl::Now() + absl::Seconds(30))
        .status();
  }

  std::vector<matcher::MemberProfile> profiles;
  std::vector<matcher::MemberProfile> mentors;
  std::vector<std::string> mentees;
  testing::FakeMemberStore members;
  testing::FakeSettingsStore settings;
  testing::FakeMatchStore matches;
  std::unique_ptr<snapshot::PoolSnapshots> snapshots;
  std::unique_ptr<core::Recommender> recommender;
  std::unique_ptr<core::Members> members_core;
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_RecommendIdle(benchmark::State& state) {
  Fixture& f = F();
  size_t i = 0;
  for (auto _ : state) {
    if (!f.Recommend(i++).ok()) state.SkipWithError("recommend failed");
  }
}
BENCHMARK(BM_RecommendIdle)->Unit(benchmark::kMicrosecond);

void BM_RecommendAfterMentorWrite(benchmark::State& state) {
  Fixture& f = F();
  size_t i = 0;
  const absl::Time deadline = absl::Now() + absl::Minutes(10);
  for (auto _ : state) {
    matcher::MemberProfile p = f.mentors[(i * 7919) % f.mentors.size()];
    p.recovery_stage = p.recovery_stage == 5 ? 4 : 5;  // a real change
    if (!f.members_core->Upsert(kPool, {p, std::nullopt}, deadline).ok() ||
        !f.Recommend(i++).ok()) {
      state.SkipWithError("write or recommend failed");
    }
  }
}
BENCHMARK(BM_RecommendAfterMentorWrite)->Unit(benchmark::kMicrosecond);

void BM_RecommendAfterFullRebuild(benchmark::State& state) {
  Fixture& f = F();
  size_t i = 0;
  for (auto _ : state) {
    f.snapshots->InvalidateSettings(kPool);
    if (!f.Recommend(i++).ok()) state.SkipWithError("recommend failed");
  }
}
BENCHMARK(BM_RecommendAfterFullRebuild)->Unit(benchmark::kMillisecond);

void BM_ReferenceScoringKernel(benchmark::State& state) {
  Fixture& f = F();
  int64_t pairs = 0;
  for (auto _ : state) {
    (void)f.snapshots->Read(
        kPool, absl::Now() + absl::Seconds(30),
        [&](const snapshot::PoolView& v) {
          const matcher::CompiledPool& p = v.pool();
          const std::vector<matcher::MemberIndex>& ids = p.by_id();
          for (size_t e = 0; e < 2000; ++e) {
            for (size_t m = 0; m < 2000; ++m) {
              matcher::PairScores s;
              benchmark::DoNotOptimize(v.scorer().Score(
                  ids[e * 37 % ids.size()], ids[m * 41 % ids.size()], &s));
            }
          }
          return absl::OkStatus();
        });
    pairs += 2000 * 2000;
  }
  state.counters["pairs"] = benchmark::Counter(static_cast<double>(pairs),
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReferenceScoringKernel)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace peermatch

BENCHMARK_MAIN();
