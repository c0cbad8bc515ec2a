// Redis store throughput (R-PERF "bulk import into Redis", "cold load of a
// 100,000-member pool", Get/Upsert, and the all-at-once commit of a batch
// run's 20,000 proposals), against a real local redis-server.
//
//   ninja -C build bench/store/store_bench
//   build/bench/store/store_bench                    # starts its own
//   redis-server PEERMATCH_BENCH_REDIS=redis://127.0.0.1:6379
//   build/bench/store/store_bench
//
// Payloads are 256 random bytes (a serialized profile is about that size) and
// every member blocks 0-2 others; the data are generated from a fixed seed.
// The server runs without persistence, like the test harness.
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench/generator/cohort.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "service/store/match_repository.h"
#include "service/store/member_repository.h"
#include "service/store/redis_client.h"
#include "tests/support/redis_server.h"

namespace peermatch::store {
namespace {

constexpr uint32_t kSeed = 20240601;

struct Env {
  std::unique_ptr<testing::RedisServer> server;  // when we started one
  std::unique_ptr<RedisClient> client;
};

Env MakeEnv() {
  Env e;
  std::string url;
  if (const char* u = std::getenv("PEERMATCH_BENCH_REDIS"); u && *u) {
    url = u;
  } else {
    absl::StatusOr<std::unique_ptr<testing::RedisServer>> s =
        testing::RedisServer::Start();
    if (!s.ok()) {
      fprintf(stderr, "cannot start redis-server: %s\n",
              s.status().ToString().c_str());
      std::abort();
    }
    e.server = *std::move(s);
    url = e.server->url();
  }
  RedisClientOptions options;
  options.command_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<RedisClient>> c = NewRedisClient(url, options);
  if (!c.ok()) std::abort();
  e.client = *std::move(c);
  return e;
}

// A static with a destructor, so the server we started is stopped and its
// directory removed at exit.
Env& GetEnv() {
  static Env env = MakeEnv();
  return env;
}

absl::Time Deadline() { return absl::Now() + absl::Seconds(60); }

std::vector<MemberWrite> MakeWrites(std::mt19937& rng, int first, int n,
                                    int id_space) {
  std::vector<MemberWrite> out;
  out.reserve(n);
  // Profiles from the seeded cohort generator (a realistic payload size),
  // with our own ids and block lists.
  bench::CohortOptions options;
  options.seed = rng();
  options.mentees = n - n / 4;
  options.mentors = n / 4;
  std::vector<matcher::MemberProfile> cohort = bench::GenerateCohort(options);
  for (int i = first; i < first + n; ++i) {
    MemberWrite w;
    w.profile = std::move(cohort[i - first]);
    w.profile.id = absl::StrCat("member-", i);
    w.profile.blocked.clear();
    for (int b = rng() % 3; b > 0; --b) {
      const int other = static_cast<int>(rng() % id_space);
      if (other != i) {
        w.profile.blocked.push_back(absl::StrCat("member-", other));
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}

// 1000-member batches of new members: members/s.
void BM_BatchUpsert1000(benchmark::State& state) {
  Env& env = GetEnv();
  MemberRepository repo(env.client.get());
  std::mt19937 rng(kSeed);
  int next = 0;
  const std::string pool = "bench-batch";
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<MemberWrite> batch = MakeWrites(rng, next, 1000, next + 1000);
    next += 1000;
    state.ResumeTiming();
    auto results = repo.BatchUpsert(pool, batch, Deadline());
    if (!results.ok()) state.SkipWithError(results.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_BatchUpsert1000)->Unit(benchmark::kMillisecond)->UseRealTime();

// Single upserts (replacing existing members), one call at a time per
// thread: calls/s.
void BM_Upsert(benchmark::State& state) {
  Env& env = GetEnv();
  MemberRepository repo(env.client.get());
  std::mt19937 rng(kSeed + state.thread_index());
  const std::string pool = "bench-single";
  std::vector<MemberWrite> writes = MakeWrites(rng, 0, 10000, 10000);
  size_t i = state.thread_index();
  for (auto _ : state) {
    auto r = repo.Upsert(pool, writes[i % writes.size()], Deadline());
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    i += state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Upsert)->Threads(1)->Threads(4)->UseRealTime();

// Single Gets of existing members: calls/s.
void BM_Get(benchmark::State& state) {
  Env& env = GetEnv();
  MemberRepository repo(env.client.get());
  const std::string pool = "bench-get";
  if (state.thread_index() == 0) {
    std::mt19937 rng(kSeed);
    for (int first = 0; first < 10000; first += 1000) {
      auto batch = MakeWrites(rng, first, 1000, 10000);
      if (!repo.BatchUpsert(pool, batch, Deadline()).ok()) std::abort();
    }
  }
  size_t i = state.thread_index();
  for (auto _ : state) {
    auto r = repo.Get(pool, absl::StrCat("member-", i % 10000), Deadline());
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    i += 7 * state.threads();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Get)->Threads(1)->Threads(4)->UseRealTime();

// Cold load of a 100,000-member pool (R-PERF target <= 2 s).
void BM_LoadAll100k(benchmark::State& state) {
  Env& env = GetEnv();
  MemberRepository repo(env.client.get());
  const std::string pool = "bench-load";
  std::mt19937 rng(kSeed);
  for (int first = 0; first < 100000; first += 1000) {
    auto batch = MakeWrites(rng, first, 1000, 100000);
    if (!repo.BatchUpsert(pool, batch, Deadline()).ok()) std::abort();
  }
  for (auto _ : state) {
    auto load = repo.LoadAll(pool, Deadline());
    if (!load.ok() || load->members.size() != 100000) {
      state.SkipWithError("load failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * 100000);
}
BENCHMARK(BM_LoadAll100k)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(5);

// Total microseconds Redis spent in EVALSHA and EVAL (INFO commandstats).
int64_t ScriptMicros(RedisClient& client) {
  auto r = client.Run("", Command({"INFO", "commandstats"}), Deadline());
  if (!r.ok()) std::abort();
  int64_t total = 0;
  for (absl::string_view line : absl::StrSplit(r->str(), "\r\n")) {
    if (!absl::StartsWith(line, "cmdstat_evalsha:") &&
        !absl::StartsWith(line, "cmdstat_eval:")) {
      continue;
    }
    for (absl::string_view kv :
         absl::StrSplit(line.substr(line.find(':') + 1), ',')) {
      int64_t v = 0;
      if (absl::ConsumePrefix(&kv, "usec=") && absl::SimpleAtoi(kv, &v)) {
        total += v;
      }
    }
  }
  return total;
}

// CommitProposals of a 20,000 x 5,000 batch run (R-STABLE sizes, capacity 4,
// so every mentor gets exactly 4): one Lua script that checks and writes
// everything. Iteration k maps mentee i to mentor (i + k) % 5000, so from the
// second iteration on each commit also discards the previous 20,000
// proposals (a default run), none of which is identical to a new one.
void BM_CommitProposals20k(benchmark::State& state) {
  constexpr int kMentees = 20000;
  constexpr int kMentors = 5000;
  Env& env = GetEnv();
  MemberRepository members(env.client.get());
  MatchRepository matches(env.client.get());
  const std::string pool = "bench-commit";
  std::vector<MentorCapacity> mentors;
  for (int first = 0; first < kMentees + kMentors; first += 1000) {
    std::vector<MemberWrite> batch;
    for (int i = first; i < first + 1000; ++i) {
      MemberWrite w;
      w.profile.id =
          i < kMentees ? absl::StrCat("e", i) : absl::StrCat("m", i - kMentees);
      w.profile.mentor_capacity = i < kMentees ? 0 : 4;
      w.profile.roles = i < kMentees ? kRoleBitMentee : kRoleBitMentor;
      batch.push_back(std::move(w));
    }
    auto r = members.BatchUpsert(pool, batch, Deadline());
    if (!r.ok()) std::abort();
    for (size_t j = 0; j < batch.size(); ++j) {
      if (!(*r)[j].ok()) std::abort();
      if (first + static_cast<int>(j) >= kMentees) {
        mentors.push_back({batch[j].profile.id, (*r)[j]->version, 4});
      }
    }
  }
  const int64_t script_usec_before = ScriptMicros(*env.client);
  int k = 0;
  for (auto _ : state) {
    state.PauseTiming();
    CommitSpec spec;
    spec.discard_previous = true;
    spec.mentors = mentors;
    spec.actor = "bench";
    spec.proposals.reserve(kMentees);
    for (int i = 0; i < kMentees; ++i) {
      spec.proposals.push_back({absl::StrCat("e", i),
                                absl::StrCat("m", (i + k) % kMentors), 500000,
                                500000});
    }
    ++k;
    state.ResumeTiming();
    auto r = matches.CommitProposals(pool, spec, Deadline());
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    if (r->created.size() != static_cast<size_t>(kMentees)) {
      state.SkipWithError("not every proposal was created");
      break;
    }
    state.counters["discarded"] = r->discarded;
  }
  state.SetItemsProcessed(state.iterations() * kMentees);
  // Time inside Redis (EVALSHA and EVAL), per commit: the part during which
  // the server runs nothing else.
  state.counters["redis_ms_per_commit"] =
      static_cast<double>(ScriptMicros(*env.client) - script_usec_before) /
      1000.0 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_CommitProposals20k)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(4);

}  // namespace
}  // namespace peermatch::store

BENCHMARK_MAIN();
