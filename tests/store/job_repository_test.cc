// JobRepository against real Redis, standalone and Cluster (R-JOBS, R-STORE,
// R-TEST): records, idempotency under concurrency, queue order, paging,
// cancel transitions, and the lease: acquire, renew, expiry, takeover,
// monotonic fencing tokens, stale tokens refused, max attempts, give-back.
// Lease state is inspected and expired through the harness (hiredis), not
// through the code under test.
#include "service/store/job_repository.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/keys.h"
#include "tests/store/store_fixture.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::peermatch::testing::TestReply;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPool[] = "jobs-1";
const absl::Time kNow = absl::FromUnixMillis(1700000000123);
const absl::Time kRef = absl::FromUnixMillis(1699920000000);

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

JobOutcome Outcome(JobState state, std::string result = "") {
  JobOutcome o;
  o.state = state;
  o.result = std::move(result);
  return o;
}

AcquireOptions Ttl(absl::Duration ttl) {
  AcquireOptions o;
  o.ttl = ttl;
  return o;
}

NewJob Spec(std::string key = "", int kind = 1) {
  NewJob j;
  j.kind = kind;
  j.idempotency_key = std::move(key);
  j.reference_time = kRef;
  j.options = std::string("\x0a\x02opts\x00", 7);
  j.actor = "coord-a";
  return j;
}

class JobRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = std::make_unique<JobRepository>(client_.get(), Options());
  }
  static JobRepositoryOptions Options() {
    JobRepositoryOptions o;
    o.clock = [] { return kNow; };
    return o;
  }

  std::string Create(std::string key = "") {
    absl::StatusOr<CreateResult> c = repo_->Create(kPool, Spec(key), Soon());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? c->job.id : "";
  }
  Lease MustAcquire(absl::string_view owner, AcquireOptions options = {}) {
    absl::StatusOr<AcquireResult> a =
        repo_->Acquire(kPool, owner, options, Soon());
    EXPECT_TRUE(a.ok()) << a.status();
    if (!a.ok()) return Lease();
    EXPECT_EQ(a->outcome, AcquireResult::Outcome::kAcquired);
    return a->lease;
  }
  TestReply Run(absl::string_view key, const std::vector<std::string>& args) {
    absl::StatusOr<TestReply> r = Inspect(key, args);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : TestReply();
  }
  std::map<std::string, std::string> Hash(const std::string& key) {
    TestReply r = Run(key, {"HGETALL", key});
    std::map<std::string, std::string> out;
    for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
      out[r.elements[i].str] = r.elements[i + 1].str;
    }
    return out;
  }
  std::vector<std::string> Queue() {
    const std::string q = keys::JobQueue(kPool);
    return Run(q, {"LRANGE", q, "0", "-1"}).Strings();
  }
  std::set<std::string> JobPools() {
    const std::string k = keys::JobPools();
    std::vector<std::string> v = Run(k, {"SMEMBERS", k}).Strings();
    return std::set<std::string>(v.begin(), v.end());
  }
  // Expires the pool's lease as a crashed holder's lease would: its exp in
  // the past, everything else kept.
  void ExpireLease() {
    const std::string k = keys::JobLease(kPool);
    ASSERT_EQ(Run(k, {"HSET", k, "exp", "1"}).type, TestReply::Type::kInteger);
  }
  std::vector<std::map<std::string, std::string>> Audit() {
    const std::string a = keys::Audit(kPool);
    TestReply r = Run(a, {"XRANGE", a, "-", "+"});
    std::vector<std::map<std::string, std::string>> out;
    for (const TestReply& e : r.elements) {
      std::map<std::string, std::string> fields;
      const auto& kv = e.elements[1].elements;
      for (size_t i = 0; i + 1 < kv.size(); i += 2) {
        fields[kv[i].str] = kv[i + 1].str;
      }
      out.push_back(fields);
    }
    return out;
  }

  std::unique_ptr<JobRepository> repo_;
};

TEST_P(JobRepositoryTest, CreateQueuesTheJobAndRecordsEveryField) {
  ASSERT_OK_AND_ASSIGN(CreateResult c,
                       repo_->Create(kPool, Spec("nightly-1"), Soon()));
  EXPECT_FALSE(c.existing);
  EXPECT_EQ(c.job.id, "j1");
  EXPECT_EQ(c.job.state, JobState::kQueued);
  EXPECT_EQ(c.job.phase, "queued");
  EXPECT_EQ(c.job.kind, 1);
  EXPECT_EQ(c.job.version, 1);
  EXPECT_EQ(c.job.attempt, 0);
  EXPECT_EQ(c.job.reference_time, kRef);
  EXPECT_EQ(c.job.create_time, kNow);
  EXPECT_EQ(c.job.options, Spec().options);
  EXPECT_EQ(c.job.actor, "coord-a");
  EXPECT_EQ(c.job.idempotency_key, "nightly-1");
  EXPECT_FALSE(c.job.start_time.has_value());

  ASSERT_OK_AND_ASSIGN(JobRecord got, repo_->Get(kPool, "j1", Soon()));
  EXPECT_EQ(got.options, Spec().options);
  EXPECT_EQ(got.version, 1);
  EXPECT_THAT(Queue(), ElementsAre("j1"));
  EXPECT_EQ(JobPools(), std::set<std::string>{kPool});
  const auto audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].at("action"), "job.start");
  EXPECT_EQ(audit[0].at("actor"), "coord-a");
  EXPECT_EQ(audit[0].at("job"), "j1");
  // Every key the job wrote is in the pool's slot.
  for (const std::string& k : ScanAll("pm:{jobs-1}:*")) {
    EXPECT_THAT(k, HasSubstr("{jobs-1}"));
  }
}

TEST_P(JobRepositoryTest, SameIdempotencyKeyReturnsTheSameJob) {
  const std::string first = Create("k-1");
  ASSERT_OK_AND_ASSIGN(CreateResult again,
                       repo_->Create(kPool, Spec("k-1", /*kind=*/2), Soon()));
  EXPECT_TRUE(again.existing);
  EXPECT_EQ(again.job.id, first);
  EXPECT_EQ(again.job.kind, 1);  // the original request's
  const std::string other = Create("k-2");
  EXPECT_NE(other, first);
  const std::string none1 = Create();
  const std::string none2 = Create();
  EXPECT_NE(none1, none2);
  EXPECT_THAT(Queue(), ElementsAre(first, other, none1, none2));
}

TEST_P(JobRepositoryTest, ConcurrentStartsWithOneKeyCreateOneJob) {
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<CreateResult>> results(
      kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &results] {
      results[t] = repo_->Create(kPool, Spec("same-key"), Soon());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    ASSERT_THAT(r, IsOk());
    ids.insert(r->job.id);
    created += r->existing ? 0 : 1;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(created, 1);
  const std::string index = keys::JobIndex(kPool);
  EXPECT_EQ(Run(index, {"ZCARD", index}).integer, 1);
  EXPECT_EQ(Queue().size(), 1u);
}

TEST_P(JobRepositoryTest, ListPagesNewestFirstWithoutResults) {
  std::vector<std::string> created;
  for (int i = 0; i < 7; ++i) created.push_back(Create());
  // The first job finishes with a result; List leaves results out.
  Lease lease = MustAcquire("w");
  ASSERT_THAT(repo_->Finish(lease, Outcome(JobState::kSucceeded, "R"), Soon()),
              IsOk());
  std::vector<std::string> listed;
  int64_t before = 0;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(JobPage page, repo_->List(kPool, 3, before, Soon()));
    for (const JobRecord& j : page.jobs) {
      listed.push_back(j.id);
      EXPECT_TRUE(j.result.empty());
      EXPECT_GT(j.version, 0);
    }
    before = page.next_before_seq;
    ++pages;
  } while (before != 0 && pages < 10);
  EXPECT_EQ(pages, 3);
  std::vector<std::string> newest_first(created.rbegin(), created.rend());
  EXPECT_EQ(listed, newest_first);
  ASSERT_OK_AND_ASSIGN(JobRecord first, repo_->Get(kPool, created[0], Soon()));
  EXPECT_EQ(first.result, "R");
}

TEST_P(JobRepositoryTest, AcquireRunsTheQueueInOrderUnderOneLease) {
  const std::string a = Create();
  const std::string b = Create();
  ASSERT_OK_AND_ASSIGN(AcquireResult first,
                       repo_->Acquire(kPool, "replica-1", {}, Soon()));
  ASSERT_EQ(first.outcome, AcquireResult::Outcome::kAcquired);
  EXPECT_EQ(first.job.id, a);
  EXPECT_EQ(first.job.state, JobState::kRunning);
  EXPECT_EQ(first.job.attempt, 1);
  EXPECT_EQ(first.job.owner, "replica-1");
  EXPECT_EQ(first.job.start_time, kNow);
  EXPECT_FALSE(first.takeover);
  const auto lease = Hash(keys::JobLease(kPool));
  EXPECT_EQ(lease.at("token"), absl::StrCat(first.lease.token));
  EXPECT_EQ(lease.at("owner"), "replica-1");
  EXPECT_EQ(lease.at("job"), a);
  EXPECT_EQ(lease.at("exp"),
            absl::StrCat(absl::ToUnixMillis(first.lease.expires)));

  // One batch per pool: a second replica finds the lease held.
  ASSERT_OK_AND_ASSIGN(AcquireResult second,
                       repo_->Acquire(kPool, "replica-2", {}, Soon()));
  EXPECT_EQ(second.outcome, AcquireResult::Outcome::kHeld);
  EXPECT_THAT(Queue(), ElementsAre(b));

  ASSERT_THAT(repo_->Finish(first.lease, Outcome(JobState::kSucceeded), Soon()),
              IsOk());
  EXPECT_TRUE(Hash(keys::JobLease(kPool)).empty());
  ASSERT_OK_AND_ASSIGN(AcquireResult third,
                       repo_->Acquire(kPool, "replica-2", {}, Soon()));
  ASSERT_EQ(third.outcome, AcquireResult::Outcome::kAcquired);
  EXPECT_EQ(third.job.id, b);
  EXPECT_GT(third.lease.token, first.lease.token);
  ASSERT_THAT(repo_->Finish(third.lease, Outcome(JobState::kSucceeded), Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(AcquireResult idle,
                       repo_->Acquire(kPool, "replica-2", {}, Soon()));
  EXPECT_EQ(idle.outcome, AcquireResult::Outcome::kIdle);
}

TEST_P(JobRepositoryTest, FencingTokensOnlyGrow) {
  int64_t last = 0;
  for (int i = 0; i < 6; ++i) {
    Create();
    Lease lease = MustAcquire(absl::StrCat("r", i));
    EXPECT_GT(lease.token, last);
    last = lease.token;
    if (i % 2 == 0) {
      ASSERT_THAT(repo_->Finish(lease, Outcome(JobState::kSucceeded), Soon()),
                  IsOk());
    } else {
      // A takeover also gets a new, larger token.
      ExpireLease();
      Lease taken = MustAcquire("other");
      EXPECT_EQ(taken.job_id, lease.job_id);
      EXPECT_GT(taken.token, last);
      last = taken.token;
      ASSERT_THAT(repo_->Finish(taken, Outcome(JobState::kSucceeded), Soon()),
                  IsOk());
    }
  }
  const std::string fence = keys::JobFence(kPool);
  EXPECT_EQ(Run(fence, {"GET", fence}).str, absl::StrCat(last));
}

TEST_P(JobRepositoryTest, RenewExtendsAndProgressIsRecorded) {
  const std::string id = Create();
  Lease lease = MustAcquire("w", Ttl(absl::Seconds(5)));
  ASSERT_OK_AND_ASSIGN(RenewResult r,
                       repo_->Renew(lease, absl::Seconds(60), Soon()));
  EXPECT_FALSE(r.cancel_requested);
  // The new expiry is about a minute past the old one's base (Redis clock).
  EXPECT_GT(r.expires, lease.expires + absl::Seconds(50));
  EXPECT_EQ(Hash(keys::JobLease(kPool)).at("exp"),
            absl::StrCat(absl::ToUnixMillis(r.expires)));
  ASSERT_OK_AND_ASSIGN(JobRecord before, repo_->Get(kPool, id, Soon()));
  ASSERT_OK_AND_ASSIGN(bool cancel,
                       repo_->ReportProgress(lease, "scoring", 42.5, Soon()));
  EXPECT_FALSE(cancel);
  ASSERT_OK_AND_ASSIGN(JobRecord after, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(after.phase, "scoring");
  EXPECT_DOUBLE_EQ(after.progress_percent, 42.5);
  EXPECT_EQ(after.version, before.version + 1);
  ASSERT_OK_AND_ASSIGN(int64_t v, repo_->GetVersion(kPool, id, Soon()));
  EXPECT_EQ(v, after.version);
}

TEST_P(JobRepositoryTest, StaleTokenIsRefusedForEveryFencedWrite) {
  const std::string id = Create();
  Lease lease = MustAcquire("w");
  ExpireLease();
  EXPECT_THAT(repo_->Renew(lease, absl::Seconds(10), Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("stale lease")));
  EXPECT_THAT(repo_->ReportProgress(lease, "scoring", 10, Soon()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(repo_->EnterCommit(lease, Soon()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(repo_->Finish(lease, Outcome(JobState::kSucceeded), Soon()),
              StatusIs(absl::StatusCode::kAborted));
  // A wrong token on a valid lease is refused too.
  Lease taken = MustAcquire("w2");
  Lease wrong = taken;
  wrong.token = lease.token;
  EXPECT_THAT(repo_->Finish(wrong, Outcome(JobState::kSucceeded), Soon()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(repo_->GiveBack(wrong, Soon()),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(j.state, JobState::kRunning);
  EXPECT_EQ(j.owner, "w2");
  EXPECT_EQ(j.phase, "starting");  // the stale progress write did nothing
}

TEST_P(JobRepositoryTest, ExpiredLeaseIsTakenOverWithTheNextAttempt) {
  const std::string id = Create();
  Lease old_lease = MustAcquire("dead-replica");
  ExpireLease();
  ASSERT_OK_AND_ASSIGN(AcquireResult a,
                       repo_->Acquire(kPool, "replica-2", {}, Soon()));
  ASSERT_EQ(a.outcome, AcquireResult::Outcome::kAcquired);
  EXPECT_TRUE(a.takeover);
  EXPECT_EQ(a.job.id, id);
  EXPECT_EQ(a.job.attempt, 2);
  EXPECT_EQ(a.job.owner, "replica-2");
  EXPECT_GT(a.lease.token, old_lease.token);
  EXPECT_THAT(
      repo_->Finish(old_lease, Outcome(JobState::kSucceeded, "old"), Soon()),
      StatusIs(absl::StatusCode::kAborted));
  ASSERT_THAT(
      repo_->Finish(a.lease, Outcome(JobState::kSucceeded, "new"), Soon()),
      IsOk());
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(j.state, JobState::kSucceeded);
  EXPECT_EQ(j.result, "new");
  EXPECT_EQ(j.end_time, kNow);
  EXPECT_EQ(j.phase, "done");
  EXPECT_DOUBLE_EQ(j.progress_percent, 100);
}

TEST_P(JobRepositoryTest, LeaseExpiresByRedisTime) {
  const std::string id = Create();
  Lease lease = MustAcquire("w", Ttl(absl::Milliseconds(100)));
  // Real expiry: no timing assertion, the wait only has to be long enough.
  absl::SleepFor(absl::Milliseconds(400));
  ASSERT_OK_AND_ASSIGN(AcquireResult a,
                       repo_->Acquire(kPool, "w2", {}, Soon()));
  ASSERT_EQ(a.outcome, AcquireResult::Outcome::kAcquired);
  EXPECT_TRUE(a.takeover);
  EXPECT_EQ(a.job.id, id);
  EXPECT_THAT(repo_->Renew(lease, absl::Seconds(10), Soon()),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_P(JobRepositoryTest, MaxAttemptsMarksTheJobFailed) {
  const std::string id = Create();
  const std::string next = Create();
  const AcquireOptions options{.ttl = absl::Seconds(10), .max_attempts = 2};
  Lease l1 = MustAcquire("a", options);
  ExpireLease();
  Lease l2 = MustAcquire("b", options);
  EXPECT_EQ(l2.job_id, id);
  ExpireLease();
  ASSERT_OK_AND_ASSIGN(AcquireResult a,
                       repo_->Acquire(kPool, "c", options, Soon()));
  EXPECT_THAT(a.ended, ElementsAre(id));
  // The pool moves on to the next job.
  ASSERT_EQ(a.outcome, AcquireResult::Outcome::kAcquired);
  EXPECT_EQ(a.job.id, next);
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(j.state, JobState::kFailed);
  EXPECT_THAT(j.error, HasSubstr("lease lost 2 times"));
  EXPECT_EQ(j.end_time, kNow);
  EXPECT_TRUE(j.owner.empty());
  EXPECT_THAT(repo_->Finish(l1, Outcome(JobState::kSucceeded), Soon()),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_P(JobRepositoryTest, CancelQueuedJobEndsItAtOnce) {
  const std::string a = Create();
  const std::string b = Create();
  ASSERT_OK_AND_ASSIGN(JobRecord c, repo_->Cancel(kPool, a, "coord-b", Soon()));
  EXPECT_EQ(c.state, JobState::kCancelled);
  EXPECT_EQ(c.end_time, kNow);
  EXPECT_EQ(c.version, 2);
  EXPECT_THAT(Queue(), ElementsAre(b));
  EXPECT_THAT(repo_->Cancel(kPool, a, "coord-b", Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const auto audit = Audit();
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[2].at("action"), "job.cancel");
  EXPECT_EQ(audit[2].at("actor"), "coord-b");
  EXPECT_EQ(audit[2].at("job"), a);
  Lease lease = MustAcquire("w");
  EXPECT_EQ(lease.job_id, b);
}

TEST_P(JobRepositoryTest, CancelRunningJobIsSeenByTheHolder) {
  const std::string id = Create();
  Lease lease = MustAcquire("w");
  ASSERT_OK_AND_ASSIGN(JobRecord c, repo_->Cancel(kPool, id, "coord", Soon()));
  EXPECT_EQ(c.state, JobState::kRunning);
  EXPECT_TRUE(c.cancel_requested);
  // Idempotent while it is still running.
  ASSERT_OK_AND_ASSIGN(JobRecord again,
                       repo_->Cancel(kPool, id, "coord", Soon()));
  EXPECT_EQ(again.version, c.version);
  ASSERT_OK_AND_ASSIGN(RenewResult r,
                       repo_->Renew(lease, absl::Seconds(10), Soon()));
  EXPECT_TRUE(r.cancel_requested);
  ASSERT_OK_AND_ASSIGN(bool cancel,
                       repo_->ReportProgress(lease, "matching", 50, Soon()));
  EXPECT_TRUE(cancel);
  EXPECT_THAT(repo_->EnterCommit(lease, Soon()),
              StatusIs(absl::StatusCode::kCancelled));
  ASSERT_OK_AND_ASSIGN(JobRecord still, repo_->Get(kPool, id, Soon()));
  EXPECT_FALSE(still.committing);
  ASSERT_THAT(repo_->Finish(lease, Outcome(JobState::kCancelled), Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(JobRecord done, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(done.state, JobState::kCancelled);
  EXPECT_THAT(repo_->Cancel(kPool, id, "coord", Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(JobRepositoryTest, CancelIsRefusedOnceTheJobCommits) {
  const std::string id = Create();
  Lease lease = MustAcquire("w");
  ASSERT_THAT(repo_->EnterCommit(lease, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, id, Soon()));
  EXPECT_TRUE(j.committing);
  EXPECT_EQ(j.phase, "committing");
  EXPECT_THAT(
      repo_->Cancel(kPool, id, "coord", Soon()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("committing")));
  ASSERT_THAT(repo_->Finish(lease, Outcome(JobState::kSucceeded), Soon()),
              IsOk());
}

TEST_P(JobRepositoryTest, OrphanWithCancelRequestedEndsCancelled) {
  const std::string id = Create();
  MustAcquire("dead");
  ASSERT_THAT(repo_->Cancel(kPool, id, "coord", Soon()), IsOk());
  ExpireLease();
  ASSERT_OK_AND_ASSIGN(AcquireResult a,
                       repo_->Acquire(kPool, "w2", {}, Soon()));
  EXPECT_EQ(a.outcome, AcquireResult::Outcome::kIdle);
  EXPECT_THAT(a.ended, ElementsAre(id));
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(j.state, JobState::kCancelled);
}

TEST_P(JobRepositoryTest, GiveBackRequeuesAtTheHeadWithoutCountingTheAttempt) {
  const std::string a = Create();
  const std::string b = Create();
  Lease lease = MustAcquire("leaving");
  ASSERT_THAT(repo_->GiveBack(lease, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, a, Soon()));
  EXPECT_EQ(j.state, JobState::kQueued);
  EXPECT_EQ(j.attempt, 0);
  EXPECT_TRUE(j.owner.empty());
  EXPECT_THAT(Queue(), ElementsAre(a, b));
  EXPECT_TRUE(Hash(keys::JobLease(kPool)).empty());
  EXPECT_THAT(repo_->GiveBack(lease, Soon()),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(AcquireResult again,
                       repo_->Acquire(kPool, "staying", {}, Soon()));
  EXPECT_EQ(again.job.id, a);
  EXPECT_EQ(again.job.attempt, 1);
  EXPECT_FALSE(again.takeover);
}

TEST_P(JobRepositoryTest, NoGiveBackOrImposedEndOnceCommitting) {
  const std::string id = Create();
  Lease lease = MustAcquire("w");
  ASSERT_THAT(repo_->EnterCommit(lease, Soon()), IsOk());
  EXPECT_THAT(repo_->GiveBack(lease, Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  JobOutcome imposed = Outcome(JobState::kFailed);
  imposed.unless_committing = true;
  EXPECT_THAT(repo_->Finish(lease, imposed, Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(j.state, JobState::kRunning);
  EXPECT_THAT(Queue(), IsEmpty());
  // The run itself still ends it.
  ASSERT_THAT(repo_->Finish(lease, Outcome(JobState::kSucceeded, "R"), Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(j, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(j.state, JobState::kSucceeded);
  EXPECT_FALSE(j.committing);
}

TEST_P(JobRepositoryTest, GiveBackAfterCancelRequestCancels) {
  const std::string id = Create();
  Lease lease = MustAcquire("leaving");
  ASSERT_THAT(repo_->Cancel(kPool, id, "coord", Soon()), IsOk());
  ASSERT_THAT(repo_->GiveBack(lease, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(JobRecord j, repo_->Get(kPool, id, Soon()));
  EXPECT_EQ(j.state, JobState::kCancelled);
  EXPECT_THAT(Queue(), IsEmpty());
}

TEST_P(JobRepositoryTest, MarkIdleNeverDropsAPoolWithWork) {
  const std::string id = Create();
  ASSERT_OK_AND_ASSIGN(bool removed, repo_->MarkIdle(kPool, Soon()));
  EXPECT_FALSE(removed);
  EXPECT_EQ(JobPools(), std::set<std::string>{kPool});
  Lease lease = MustAcquire("w");
  // Running (the lease exists), queue empty: still has work.
  ASSERT_OK_AND_ASSIGN(removed, repo_->MarkIdle(kPool, Soon()));
  EXPECT_FALSE(removed);
  ASSERT_THAT(repo_->Finish(lease, Outcome(JobState::kSucceeded), Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(removed, repo_->MarkIdle(kPool, Soon()));
  EXPECT_TRUE(removed);
  EXPECT_THAT(JobPools(), IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> pools,
                       repo_->ActivePools(Soon()));
  EXPECT_THAT(pools, IsEmpty());
  Create();
  ASSERT_OK_AND_ASSIGN(pools, repo_->ActivePools(Soon()));
  EXPECT_THAT(pools, ElementsAre(kPool));
}

TEST_P(JobRepositoryTest, RetentionDeletesTheOldestFinishedJobs) {
  JobRepositoryOptions o = Options();
  o.max_retained_jobs = 3;
  JobRepository repo(client_.get(), o);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(
        CreateResult c, repo.Create(kPool, Spec(absl::StrCat("k", i)), Soon()));
    ids.push_back(c.job.id);
  }
  // j1 finished, j2 still QUEUED, j3 finished.
  ASSERT_THAT(repo.Cancel(kPool, ids[0], "c", Soon()), IsOk());
  ASSERT_THAT(repo.Cancel(kPool, ids[2], "c", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(CreateResult d, repo.Create(kPool, Spec("k3"), Soon()));
  ASSERT_OK_AND_ASSIGN(CreateResult e, repo.Create(kPool, Spec("k4"), Soon()));
  EXPECT_THAT(repo.Get(kPool, ids[0], Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(repo.Get(kPool, ids[1], Soon()), IsOk());  // live: kept
  EXPECT_THAT(repo.Get(kPool, ids[2], Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  // The deleted jobs' idempotency keys are free again.
  ASSERT_OK_AND_ASSIGN(CreateResult reuse,
                       repo.Create(kPool, Spec("k0"), Soon()));
  EXPECT_FALSE(reuse.existing);
  ASSERT_OK_AND_ASSIGN(CreateResult kept,
                       repo.Create(kPool, Spec("k1"), Soon()));
  EXPECT_TRUE(kept.existing);
  EXPECT_EQ(kept.job.id, ids[1]);
  (void)d;
  (void)e;
}

TEST_P(JobRepositoryTest, BadInputIsInvalidArgumentAndUnknownJobsNotFound) {
  EXPECT_THAT(repo_->Create("Bad_Pool", Spec(), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->Create(kPool, Spec("has space"), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->Create(kPool, Spec(std::string(129, 'k')), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->Create(kPool, Spec("", /*kind=*/0), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* bad : {"", "j", "j0", "x1", "j1a", "j-1", "j01"}) {
    EXPECT_THAT(repo_->Get(kPool, bad, Soon()),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(repo_->Get(kPool, "j99", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(repo_->GetVersion(kPool, "j99", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(repo_->Cancel(kPool, "j99", "c", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(repo_->List(kPool, 0, 0, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->List(kPool, JobRepository::kMaxPageSize + 1, 0, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Create();
  Lease lease = MustAcquire("w");
  EXPECT_THAT(repo_->ReportProgress(lease, "Scoring!", 1, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->ReportProgress(lease, "scoring", 100.5, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->Finish(lease, Outcome(JobState::kRunning), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->Acquire(kPool, "", {}, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Backends, JobRepositoryTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);

TEST(JobIdTest, Validation) {
  EXPECT_TRUE(IsValidJobId("j1"));
  EXPECT_TRUE(IsValidJobId("j1234567890"));
  EXPECT_FALSE(IsValidJobId("j"));
  EXPECT_FALSE(IsValidJobId("j0"));
  EXPECT_FALSE(IsValidJobId("J1"));
  EXPECT_FALSE(IsValidJobId("j" + std::string(20, '1')));
  EXPECT_TRUE(IsValidIdempotencyKey("nightly-2026.11:26_a"));
  EXPECT_FALSE(IsValidIdempotencyKey(""));
  EXPECT_FALSE(IsValidIdempotencyKey("a@b"));
  EXPECT_TRUE(IsValidIdempotencyKey(std::string(128, 'a')));
  EXPECT_FALSE(IsValidIdempotencyKey(std::string(129, 'a')));
}

}  // namespace
}  // namespace peermatch::store
