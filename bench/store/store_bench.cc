// Redis store throughput (R-PERF "bulk import into Redis", "cold load of a
// 100,000-member pool", Get/Upsert), against a real local redis-server.
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

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
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
  for (int i = first; i < first + n; ++i) {
    MemberWrite w;
    w.id = absl::StrCat("member-", i);
    w.payload.resize(256);
    for (char& c : w.payload) c = static_cast<char>(rng());
    for (int b = rng() % 3; b > 0; --b) {
      const int other = static_cast<int>(rng() % id_space);
      if (other != i) w.blocked.push_back(absl::StrCat("member-", other));
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

}  // namespace
}  // namespace peermatch::store

BENCHMARK_MAIN();
