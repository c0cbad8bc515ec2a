// JobWorker against a real redis-server (R-JOBS, R-TEST): lifecycle,
// cancel, runner errors, stolen and lost leases, takeover, max attempts,
// give-back at shutdown, the run deadline, and one batch per pool.
//
// The runners here are test runners (this unit is the worker, not a batch
// computation). Their "commit" is a fenced Lua write built like the real
// one (match_repository.h): it appends "<job>:<token>" to a list only while
// the pool's lease holds the token and has not expired, so the tests can
// count commits. A replica that stops heartbeating is simulated by a
// RedisClient decorator that cuts that worker's connection (a partition).
#include "service/jobs/job_worker.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/job_repository.h"
#include "service/store/keys.h"
#include "service/store/redis_client.h"
#include "service/store/script.h"
#include "tests/support/redis_server.h"
#include "tests/support/status_matchers.h"

namespace peermatch::jobs {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using store::JobRecord;
using store::JobState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPool[] = "pool-w";
constexpr int kKind = 1;

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

// Fails the test (without hanging it) when `done` does not become true in
// `timeout`. A bound on waiting, not a timing assertion.
bool WaitFor(const std::function<bool()>& done,
             absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

// A one-shot signal on std primitives, which the ThreadSanitizer build can
// see through (Debian's abseil is not instrumented).
class Gate {
 public:
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool HasBeenNotified() {
    std::lock_guard<std::mutex> lock(mu_);
    return open_;
  }
  void WaitForNotification() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  bool WaitForNotificationWithTimeout(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(d),
                        [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A replica's connection that the test can cut.
class PartitionableClient final : public store::RedisClient {
 public:
  explicit PartitionableClient(std::unique_ptr<store::RedisClient> inner)
      : inner_(std::move(inner)) {}
  void Cut(bool cut) { cut_ = cut; }

  using RedisClient::Pipeline;
  absl::StatusOr<std::vector<store::Reply>> Pipeline(
      absl::string_view routing_key, absl::Span<const store::Command> commands,
      const store::CallOptions& options) override {
    if (cut_) return absl::UnavailableError("partitioned by the test");
    return inner_->Pipeline(routing_key, commands, options);
  }
  absl::Status Ping(absl::Time deadline) override {
    if (cut_) return absl::UnavailableError("partitioned by the test");
    return inner_->Ping(deadline);
  }

 private:
  std::unique_ptr<store::RedisClient> inner_;
  std::atomic<bool> cut_{false};
};

// The fenced test commit: KEYS[1] lease  KEYS[2] commit list
// ARGV[1] token  ARGV[2] job id.
const store::Script& CommitScript() {
  static const store::Script* const kScript = new store::Script(R"lua(
local l = redis.call('HMGET', KEYS[1], 'token', 'job', 'exp')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if l[1] ~= ARGV[1] or l[2] ~= ARGV[2] or tonumber(l[3] or '0') <= now then
  return redis.error_reply('PM_ABORTED stale lease')
end
redis.call('RPUSH', KEYS[2], ARGV[2] .. ':' .. ARGV[1])
return 1
)lua");
  return *kScript;
}

std::string CommitsKey(absl::string_view pool) {
  return absl::StrCat(store::keys::PoolPrefix(pool), "test-commits");
}

// A runner whose body is a test lambda.
class FnRunner final : public JobRunner {
 public:
  explicit FnRunner(std::function<absl::StatusOr<std::string>(JobContext&)> fn)
      : fn_(std::move(fn)) {}
  absl::StatusOr<std::string> Run(JobContext& ctx) override { return fn_(ctx); }

 private:
  std::function<absl::StatusOr<std::string>(JobContext&)> fn_;
};

class JobWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(redis_, testing::RedisServer::Start());
    ASSERT_OK_AND_ASSIGN(client_, store::NewRedisClient(redis_->url(), {}));
    repo_ = std::make_unique<store::JobRepository>(client_.get());
  }
  void TearDown() override {
    // Workers first: their runners may wait on gates the test owns.
    for (auto& g : gates_) {
      if (!g->HasBeenNotified()) g->Notify();
    }
    for (auto& w : workers_) w->Shutdown();
  }

  static JobWorkerOptions Options(std::string owner) {
    JobWorkerOptions o;
    o.owner = std::move(owner);
    o.lease_ttl = absl::Milliseconds(1500);
    o.poll_interval = absl::Milliseconds(50);
    o.store_timeout = absl::Seconds(1);
    o.shutdown_wait = absl::Milliseconds(300);
    o.progress_interval = absl::ZeroDuration();
    return o;
  }

  // A worker on its own client (own connections, like another replica);
  // `partition` receives the client when the test wants to cut it.
  JobWorker* AddWorker(JobWorkerOptions options,
                       std::shared_ptr<JobRunner> runner,
                       PartitionableClient** partition = nullptr) {
    auto inner = store::NewRedisClient(redis_->url(), {});
    EXPECT_TRUE(inner.ok()) << inner.status();
    auto client = std::make_unique<PartitionableClient>(*std::move(inner));
    if (partition != nullptr) *partition = client.get();
    auto repo = std::make_unique<store::JobRepository>(client.get());
    auto worker = std::make_unique<JobWorker>(repo.get(), std::move(options));
    worker->RegisterRunner(kKind, std::move(runner));
    worker->Start();
    clients_.push_back(std::move(client));
    repos_.push_back(std::move(repo));
    workers_.push_back(std::move(worker));
    return workers_.back().get();
  }

  Gate* NewGate() {
    gates_.push_back(std::make_unique<Gate>());
    return gates_.back().get();
  }

  std::string Create(absl::string_view pool = kPool, int kind = kKind) {
    store::NewJob j;
    j.kind = kind;
    j.reference_time = absl::FromUnixSeconds(1700000000);
    j.options = "opts";
    j.actor = "tester";
    absl::StatusOr<store::CreateResult> c = repo_->Create(pool, j, Soon());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? c->job.id : "";
  }

  JobRecord Get(const std::string& id, absl::string_view pool = kPool) {
    absl::StatusOr<JobRecord> j = repo_->Get(pool, id, Soon());
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? *j : JobRecord();
  }

  bool WaitForState(const std::string& id, JobState state,
                    absl::string_view pool = kPool) {
    bool ok = WaitFor([&] {
      absl::StatusOr<JobRecord> j = repo_->Get(pool, id, Soon());
      return j.ok() && j->state == state;
    });
    EXPECT_TRUE(ok) << id << " never reached state " << static_cast<int>(state)
                    << "; it is " << static_cast<int>(Get(id, pool).state);
    return ok;
  }

  // The commits recorded by the fenced test commit, "<job>:<token>".
  std::vector<std::string> Commits(absl::string_view pool = kPool) {
    absl::StatusOr<testing::TestReply> r =
        redis_->Command({"LRANGE", CommitsKey(pool), "0", "-1"});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->Strings() : std::vector<std::string>();
  }

  // Expires the pool's lease in Redis, as if its holder had stopped
  // renewing long ago.
  void ExpireLease(absl::string_view pool = kPool) {
    ASSERT_THAT(
        redis_->Command({"HSET", store::keys::JobLease(pool), "exp", "1"}),
        IsOk());
  }

  std::unique_ptr<testing::RedisServer> redis_;
  std::unique_ptr<store::RedisClient> client_;
  std::unique_ptr<store::JobRepository> repo_;
  std::vector<std::unique_ptr<PartitionableClient>> clients_;
  std::vector<std::unique_ptr<store::JobRepository>> repos_;
  std::vector<std::unique_ptr<JobWorker>> workers_;
  std::vector<std::unique_ptr<Gate>> gates_;
};

// The fenced commit a test runner makes with its context's token.
absl::Status Commit(store::RedisClient& client, const JobContext& ctx) {
  const std::string lease = store::keys::JobLease(ctx.pool());
  const std::vector<std::string> k = {lease, CommitsKey(ctx.pool())};
  const std::vector<std::string> a = {absl::StrCat(ctx.fencing_token()),
                                      ctx.job_id()};
  return CommitScript()
      .Run(client, lease, CommitScript().Call(k, a), Soon())
      .status();
}

// Reports a phase, waits for the gate (or a stop request), then enters the
// commit and commits.
std::shared_ptr<JobRunner> GatedCommitRunner(store::RedisClient* client,
                                             Gate* gate,
                                             std::atomic<int>* started) {
  return std::make_shared<FnRunner>(
      [client, gate, started](JobContext& ctx) -> absl::StatusOr<std::string> {
        if (started != nullptr) ++*started;
        absl::Status p = ctx.ReportProgress("scoring", 40);
        if (!p.ok()) return p;
        while (!gate->HasBeenNotified() && !ctx.Cancelled()) {
          gate->WaitForNotificationWithTimeout(absl::Milliseconds(20));
        }
        if (ctx.Cancelled()) return absl::CancelledError("stopped");
        absl::Status s = ctx.EnterCommit();
        if (!s.ok()) return s;
        s = Commit(*client, ctx);
        if (!s.ok()) return s;
        return absl::StrCat("result of ", ctx.job_id());
      });
}

TEST_F(JobWorkerTest, JobRunsFromQueuedToSucceeded) {
  Gate* gate = NewGate();
  std::atomic<int> started{0};
  AddWorker(Options("replica-a"),
            GatedCommitRunner(client_.get(), gate, &started));
  const std::string id = Create();
  ASSERT_TRUE(WaitFor([&] {
    JobRecord j = Get(id);
    return j.state == JobState::kRunning && j.phase == "scoring";
  }));
  JobRecord running = Get(id);
  EXPECT_EQ(running.owner, "replica-a");
  EXPECT_EQ(running.attempt, 1);
  EXPECT_DOUBLE_EQ(running.progress_percent, 40);
  EXPECT_THAT(Commits(), IsEmpty());
  gate->Notify();
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  JobRecord done = Get(id);
  EXPECT_EQ(done.result, "result of " + id);
  EXPECT_EQ(done.phase, "done");
  EXPECT_TRUE(done.owner.empty());
  EXPECT_TRUE(done.end_time.has_value());
  EXPECT_EQ(started, 1);
  ASSERT_EQ(Commits().size(), 1u);
  EXPECT_THAT(Commits()[0], HasSubstr(id + ":"));
  // The lease is gone and the idle worker takes the pool off the work set.
  EXPECT_TRUE(WaitFor([&] {
    auto pools = repo_->ActivePools(Soon());
    return pools.ok() && pools->empty();
  }));
  EXPECT_THAT(redis_->Command({"EXISTS", store::keys::JobLease(kPool)}),
              IsOk());
  EXPECT_EQ(redis_->Command({"EXISTS", store::keys::JobLease(kPool)})->integer,
            0);
}

TEST_F(JobWorkerTest, CancelMidRunCommitsNothing) {
  Gate* gate = NewGate();
  AddWorker(Options("replica-a"),
            GatedCommitRunner(client_.get(), gate, nullptr));
  const std::string id = Create();
  ASSERT_TRUE(WaitFor([&] { return Get(id).phase == "scoring"; }));
  ASSERT_OK_AND_ASSIGN(JobRecord c, repo_->Cancel(kPool, id, "coord", Soon()));
  EXPECT_EQ(c.state, JobState::kRunning);
  EXPECT_TRUE(c.cancel_requested);
  ASSERT_TRUE(WaitForState(id, JobState::kCancelled));
  gate->Notify();
  EXPECT_THAT(Commits(), IsEmpty());
  EXPECT_TRUE(Get(id).error.empty());
}

TEST_F(JobWorkerTest, CancelRacingTheCommitNeverLeavesACancelledJobCommitted) {
  // The runner enters its commit at once; the cancel comes as early as the
  // test can send it. Either the cancel wins (CANCELLED, nothing committed)
  // or the commit does (cancel refused, SUCCEEDED, one commit).
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    const std::string pool = absl::StrCat("race-", round);
    JobWorker* w =
        AddWorker(Options(absl::StrCat("r", round)),
                  std::make_shared<FnRunner>(
                      [this](JobContext& ctx) -> absl::StatusOr<std::string> {
                        absl::Status s = ctx.EnterCommit();
                        if (!s.ok()) return s;
                        s = Commit(*client_, ctx);
                        if (!s.ok()) return s;
                        return std::string("ok");
                      }));
    const std::string id = Create(pool);
    ASSERT_TRUE(WaitFor([&] {
      absl::StatusOr<JobRecord> j = repo_->Get(pool, id, Soon());
      return j.ok() && j->state != JobState::kQueued;
    }));
    absl::StatusOr<JobRecord> cancel = repo_->Cancel(pool, id, "c", Soon());
    bool done = WaitFor([&] {
      absl::StatusOr<JobRecord> j = repo_->Get(pool, id, Soon());
      return j.ok() && store::IsTerminal(j->state);
    });
    ASSERT_TRUE(done);
    JobRecord j = Get(id, pool);
    if (j.state == JobState::kCancelled) {
      EXPECT_THAT(cancel, IsOk());
      EXPECT_THAT(Commits(pool), IsEmpty());
    } else {
      EXPECT_EQ(j.state, JobState::kSucceeded);
      EXPECT_EQ(Commits(pool).size(), 1u);
    }
    w->Shutdown();
  }
}

TEST_F(JobWorkerTest, RunnerErrorFailsTheJobWithCodeAndMessage) {
  AddWorker(Options("replica-a"),
            std::make_shared<FnRunner>(
                [](JobContext&) -> absl::StatusOr<std::string> {
                  return absl::FailedPreconditionError("pool has 0 mentors");
                }));
  const std::string id = Create();
  ASSERT_TRUE(WaitForState(id, JobState::kFailed));
  EXPECT_EQ(Get(id).error, "FAILED_PRECONDITION: pool has 0 mentors");
  EXPECT_TRUE(Get(id).result.empty());
}

TEST_F(JobWorkerTest, JobOfAKindWithoutRunnerFails) {
  AddWorker(Options("replica-a"),
            GatedCommitRunner(client_.get(), NewGate(), nullptr));
  const std::string id = Create(kPool, /*kind=*/7);
  ASSERT_TRUE(WaitForState(id, JobState::kFailed));
  EXPECT_THAT(Get(id).error, HasSubstr("no runner for kind 7"));
}

TEST_F(JobWorkerTest, ContextCarriesTheJob) {
  struct Seen {
    std::string pool, job, options, actor;
    int kind = 0, attempt = 0;
    int64_t token = 0;
    absl::Time reference;
  };
  auto seen = std::make_shared<Seen>();
  Gate* filled = NewGate();
  AddWorker(Options("replica-a"),
            std::make_shared<FnRunner>(
                [seen, filled](JobContext& ctx) -> absl::StatusOr<std::string> {
                  seen->pool = ctx.pool();
                  seen->job = ctx.job_id();
                  seen->options = ctx.options();
                  seen->actor = ctx.actor();
                  seen->kind = ctx.kind();
                  seen->attempt = ctx.attempt();
                  seen->token = ctx.fencing_token();
                  seen->reference = ctx.reference_time();
                  filled->Notify();
                  return std::string();
                }));
  const std::string id = Create();
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  filled->WaitForNotification();
  EXPECT_EQ(seen->pool, kPool);
  EXPECT_EQ(seen->job, id);
  EXPECT_EQ(seen->options, "opts");
  EXPECT_EQ(seen->actor, "tester");
  EXPECT_EQ(seen->kind, kKind);
  EXPECT_EQ(seen->attempt, 1);
  EXPECT_GT(seen->token, 0);
  EXPECT_EQ(seen->reference, absl::FromUnixSeconds(1700000000));
}

TEST_F(JobWorkerTest, WorkerWhoseLeaseWasStolenCannotCommitOrFinish) {
  Gate* gate = NewGate();
  auto commit_status = std::make_shared<absl::Status>();
  auto finished = std::make_shared<Gate>();
  // Commits straight away when released, without EnterCommit, so the
  // refusal comes from the fenced commit itself.
  AddWorker(Options("replica-a"),
            std::make_shared<FnRunner>(
                [this, gate, commit_status,
                 finished](JobContext& ctx) -> absl::StatusOr<std::string> {
                  gate->WaitForNotification();
                  *commit_status = Commit(*client_, ctx);
                  finished->Notify();
                  return std::string("stale result");
                }));
  const std::string id = Create();
  ASSERT_TRUE(WaitForState(id, JobState::kRunning));
  ExpireLease();
  ASSERT_OK_AND_ASSIGN(
      store::AcquireResult thief,
      repo_->Acquire(kPool, "thief",
                     {.ttl = absl::Seconds(60), .max_attempts = 3}, Soon()));
  ASSERT_EQ(thief.outcome, store::AcquireResult::Outcome::kAcquired);
  EXPECT_TRUE(thief.takeover);
  gate->Notify();
  finished->WaitForNotification();
  EXPECT_THAT(*commit_status, StatusIs(absl::StatusCode::kAborted));
  // replica-a's Finish(SUCCEEDED) was refused: the thief still owns it.
  absl::SleepFor(absl::Milliseconds(300));
  JobRecord j = Get(id);
  EXPECT_EQ(j.state, JobState::kRunning);
  EXPECT_EQ(j.owner, "thief");
  EXPECT_EQ(j.attempt, 2);
  EXPECT_TRUE(j.result.empty());
  EXPECT_THAT(Commits(), IsEmpty());
}

TEST_F(JobWorkerTest, AnotherWorkerTakesOverWhenTheHolderStopsHeartbeating) {
  Gate* gate_a = NewGate();
  std::atomic<int> started_a{0};
  PartitionableClient* link_a = nullptr;
  AddWorker(Options("replica-a"),
            GatedCommitRunner(client_.get(), gate_a, &started_a), &link_a);
  const std::string id = Create();
  ASSERT_TRUE(WaitFor([&] { return Get(id).phase == "scoring"; }));
  const int64_t token_a = std::stoll(
      redis_->Command({"HGET", store::keys::JobLease(kPool), "token"})->str);
  link_a->Cut(true);  // replica-a can no longer reach Redis
  Gate* gate_b = NewGate();
  gate_b->Notify();
  AddWorker(Options("replica-b"),
            GatedCommitRunner(client_.get(), gate_b, nullptr));
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  JobRecord j = Get(id);
  EXPECT_EQ(j.attempt, 2);
  const std::vector<std::string> commits = Commits();
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_NE(commits[0], absl::StrCat(id, ":", token_a));
  // replica-a comes back and finishes its run: nothing more is committed.
  link_a->Cut(false);
  gate_a->Notify();
  workers_[0]->Shutdown();
  EXPECT_EQ(Commits().size(), 1u);
  EXPECT_EQ(Get(id).state, JobState::kSucceeded);
  EXPECT_EQ(started_a, 1);
}

TEST_F(JobWorkerTest, MaxAttemptsMarksAJobFailedInsteadOfRunningForever) {
  JobWorkerOptions o = Options("");
  o.max_attempts = 2;
  o.lease_ttl = absl::Milliseconds(1000);
  std::atomic<int> started{0};
  PartitionableClient* link_a = nullptr;
  PartitionableClient* link_b = nullptr;
  o.owner = "replica-a";
  AddWorker(o, GatedCommitRunner(client_.get(), NewGate(), &started), &link_a);
  const std::string id = Create();
  ASSERT_TRUE(WaitFor([&] { return Get(id).owner == "replica-a"; }));
  link_a->Cut(true);
  o.owner = "replica-b";
  AddWorker(o, GatedCommitRunner(client_.get(), NewGate(), &started), &link_b);
  ASSERT_TRUE(WaitFor([&] { return Get(id).owner == "replica-b"; }));
  EXPECT_EQ(Get(id).attempt, 2);
  link_b->Cut(true);
  o.owner = "replica-c";
  AddWorker(o, GatedCommitRunner(client_.get(), NewGate(), &started));
  ASSERT_TRUE(WaitForState(id, JobState::kFailed));
  EXPECT_THAT(Get(id).error, HasSubstr("lease lost 2 times"));
  EXPECT_EQ(started, 2);  // replica-c never ran it
  EXPECT_THAT(Commits(), IsEmpty());
  link_a->Cut(false);
  link_b->Cut(false);
}

TEST_F(JobWorkerTest, ShutdownGivesTheJobBackToAnotherWorker) {
  std::atomic<int> started{0};
  JobWorker* a =
      AddWorker(Options("replica-a"),
                GatedCommitRunner(client_.get(), NewGate(), &started));
  const std::string id = Create();
  ASSERT_TRUE(WaitFor([&] { return Get(id).phase == "scoring"; }));
  a->Shutdown();  // the runner sees Cancelled() and stops
  JobRecord back = Get(id);
  EXPECT_EQ(back.state, JobState::kQueued);
  EXPECT_EQ(back.attempt, 0);  // a give-back is not a lost lease
  Gate* go = NewGate();
  go->Notify();
  AddWorker(Options("replica-b"),
            GatedCommitRunner(client_.get(), go, &started));
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  EXPECT_EQ(Get(id).attempt, 1);
  EXPECT_EQ(started, 2);
  EXPECT_EQ(Commits().size(), 1u);
}

TEST_F(JobWorkerTest, ShutdownGivesBackEvenWhenTheRunnerIgnoresIt) {
  Gate* release = NewGate();
  auto commit_status = std::make_shared<absl::Status>();
  JobWorker* a = AddWorker(
      Options("replica-a"),
      std::make_shared<FnRunner>([this, release, commit_status](JobContext& ctx)
                                     -> absl::StatusOr<std::string> {
        release->WaitForNotification();  // never looks at Cancelled()
        *commit_status = Commit(*client_, ctx);
        return std::string("late");
      }));
  const std::string id = Create();
  ASSERT_TRUE(WaitForState(id, JobState::kRunning));
  // Shutdown blocks until the runner returns; release it only once another
  // replica has finished the job.
  std::thread stopper([a] { a->Shutdown(); });
  ASSERT_TRUE(WaitForState(id, JobState::kQueued));
  Gate* go = NewGate();
  go->Notify();
  AddWorker(Options("replica-b"),
            GatedCommitRunner(client_.get(), go, nullptr));
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  release->Notify();
  stopper.join();
  EXPECT_THAT(*commit_status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Commits().size(), 1u);
  EXPECT_EQ(Get(id).result, "result of " + id);
}

TEST_F(JobWorkerTest, DrainingWorkerTakesNoNewJob) {
  JobWorker* a =
      AddWorker(Options("replica-a"),
                GatedCommitRunner(client_.get(), NewGate(), nullptr));
  a->StopTakingJobs();
  const std::string id = Create();
  // Several poll intervals pass; the job is still waiting.
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(Get(id).state, JobState::kQueued);
  Gate* go = NewGate();
  go->Notify();
  AddWorker(Options("replica-b"),
            GatedCommitRunner(client_.get(), go, nullptr));
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  EXPECT_EQ(Get(id).result, "result of " + id);
}

TEST_F(JobWorkerTest, RunPastItsDeadlineFailsAndCannotCommit) {
  JobWorkerOptions o = Options("replica-a");
  o.max_run_time = absl::Milliseconds(300);
  Gate* release = NewGate();
  auto commit_status = std::make_shared<absl::Status>();
  auto finished = std::make_shared<Gate>();
  AddWorker(o, std::make_shared<FnRunner>(
                   [this, release, commit_status,
                    finished](JobContext& ctx) -> absl::StatusOr<std::string> {
                     release->WaitForNotification();
                     *commit_status = Commit(*client_, ctx);
                     finished->Notify();
                     return std::string("late");
                   }));
  const std::string id = Create();
  ASSERT_TRUE(WaitForState(id, JobState::kFailed));
  EXPECT_THAT(Get(id).error, HasSubstr("DEADLINE_EXCEEDED"));
  release->Notify();
  finished->WaitForNotification();
  EXPECT_THAT(*commit_status, StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(Commits(), IsEmpty());
  EXPECT_EQ(Get(id).state, JobState::kFailed);
}

TEST_F(JobWorkerTest, AtMostOneRunPerPoolAcrossWorkers) {
  // Three workers, two pools, three jobs each: runs of one pool never
  // overlap; all six jobs end SUCCEEDED.
  struct Load {
    std::atomic<int> running{0};
    std::atomic<int> max_running{0};
  };
  auto loads = std::make_shared<std::map<std::string, Load>>();
  (*loads)["pool-x"];
  (*loads)["pool-y"];
  auto runner = std::make_shared<FnRunner>(
      [loads](JobContext& ctx) -> absl::StatusOr<std::string> {
        Load& l = loads->at(ctx.pool());
        const int now = ++l.running;
        int seen = l.max_running;
        while (now > seen && !l.max_running.compare_exchange_weak(seen, now)) {
        }
        absl::SleepFor(absl::Milliseconds(50));
        --l.running;
        return std::string();
      });
  for (int i = 0; i < 3; ++i) AddWorker(Options(absl::StrCat("r", i)), runner);
  std::vector<std::pair<std::string, std::string>> jobs;
  for (int i = 0; i < 3; ++i) {
    for (const char* pool : {"pool-x", "pool-y"}) {
      jobs.emplace_back(pool, Create(pool));
    }
  }
  for (const auto& [pool, id] : jobs) {
    ASSERT_TRUE(WaitForState(id, JobState::kSucceeded, pool));
  }
  EXPECT_EQ(loads->at("pool-x").max_running, 1);
  EXPECT_EQ(loads->at("pool-y").max_running, 1);
}

}  // namespace
}  // namespace peermatch::jobs
