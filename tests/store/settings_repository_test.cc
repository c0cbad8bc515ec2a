// SettingsRepository against real Redis, standalone and Cluster (R-POOL,
// R-STORE versions and change events, R-SEC audit, R-TEST).
#include "service/store/settings_repository.h"
#include "service/store/record_codec.h"

#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/change_feed.h"
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

constexpr char kPool[] = "settings-pool";
const absl::Time kNow = absl::FromUnixMillis(1700000000789);

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

// Settings told apart by `marker` (kept as the proposal TTL, any value in
// 1..31536000 is valid).
PoolConfig Cfg(int64_t marker) {
  PoolConfig c;
  c.service.proposal_ttl_seconds = marker;
  return c;
}
int64_t Marker(const std::optional<SettingsRecord>& r) {
  return r.has_value() ? r->config.service.proposal_ttl_seconds : -1;
}

class SettingsRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = std::make_unique<SettingsRepository>(client_.get(), Options());
  }
  static SettingsRepositoryOptions Options() {
    SettingsRepositoryOptions o;
    o.clock = [] { return kNow; };
    return o;
  }
  // A stream's entries as flat field/value lists, read through the harness.
  std::vector<std::vector<std::string>> Entries(const std::string& key) {
    absl::StatusOr<TestReply> r = Inspect(key, {"XRANGE", key, "-", "+"});
    EXPECT_THAT(r, IsOk());
    std::vector<std::vector<std::string>> out;
    if (!r.ok()) return out;
    for (const TestReply& e : r->elements) {
      out.push_back(e.elements[1].Strings());
    }
    return out;
  }
  std::map<std::string, std::string> Hash() {
    const std::string key = keys::Settings(kPool);
    absl::StatusOr<TestReply> r = Inspect(key, {"HGETALL", key});
    EXPECT_THAT(r, IsOk());
    std::map<std::string, std::string> out;
    if (!r.ok()) return out;
    for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
      out[r->elements[i].str] = r->elements[i + 1].str;
    }
    return out;
  }

  std::unique_ptr<SettingsRepository> repo_;
};

TEST_P(SettingsRepositoryTest, NeverWrittenReadsAsDefaults) {
  ASSERT_OK_AND_ASSIGN(std::optional<SettingsRecord> none,
                       repo_->Get(kPool, Soon()));
  EXPECT_FALSE(none.has_value());
  EXPECT_THAT(ScanAll(keys::PoolPrefix(kPool) + "*"), IsEmpty());
}

TEST_P(SettingsRepositoryTest, VersionsCountWritesFromOne) {
  PoolConfig first = Cfg(11);
  first.matcher.mentee_weights.triggers = 0.125;
  first.matcher.session_minutes = 60;
  first.service.auto_publish = true;
  ASSERT_OK_AND_ASSIGN(int64_t v1, repo_->Put(kPool, first, std::nullopt,
                                              "coordinator-1", Soon()));
  EXPECT_EQ(v1, 1);
  ASSERT_OK_AND_ASSIGN(std::optional<SettingsRecord> got,
                       repo_->Get(kPool, Soon()));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(Marker(got), 11);
  EXPECT_EQ(got->config.matcher.mentee_weights.triggers, 0.125);
  EXPECT_EQ(got->config.matcher.session_minutes, 60);
  EXPECT_TRUE(got->config.service.auto_publish);
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->update_time, kNow);
  // Independently: the hash holds exactly payload, version and time.
  EXPECT_EQ(Hash(), (std::map<std::string, std::string>{
                        {"p", EncodePoolConfig(first)},
                        {"v", "1"},
                        {"t", "1700000000789"}}));

  // expected_version: 1 matches, then unconditional, then 0 once written.
  ASSERT_OK_AND_ASSIGN(int64_t v2,
                       repo_->Put(kPool, Cfg(2), 1, "coordinator-1", Soon()));
  EXPECT_EQ(v2, 2);
  ASSERT_OK_AND_ASSIGN(int64_t v3, repo_->Put(kPool, Cfg(3), std::nullopt,
                                              "coordinator-1", Soon()));
  EXPECT_EQ(v3, 3);
  ASSERT_OK_AND_ASSIGN(got, repo_->Get(kPool, Soon()));
  EXPECT_EQ(Marker(got), 3);
  EXPECT_EQ(got->version, 3);
  // The pool is registered, as for members.
  absl::StatusOr<TestReply> pools =
      Inspect(keys::Pools(), {"SMEMBERS", keys::Pools()});
  ASSERT_THAT(pools, IsOk());
  EXPECT_THAT(pools->Strings(), ElementsAre(kPool));
}

TEST_P(SettingsRepositoryTest, ZeroMeansNeverWritten) {
  ASSERT_OK_AND_ASSIGN(int64_t v,
                       repo_->Put(kPool, Cfg(1), 0, "coordinator-1", Soon()));
  EXPECT_EQ(v, 1);
  EXPECT_THAT(repo_->Put(kPool, Cfg(2), 0, "coordinator-1", Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("version")));
}

TEST_P(SettingsRepositoryTest, AbortedWritesNothing) {
  ASSERT_THAT(repo_->Put(kPool, Cfg(1), std::nullopt, "c", Soon()), IsOk());
  const size_t feed = Entries(keys::Feed(kPool)).size();
  const size_t audit = Entries(keys::Audit(kPool)).size();
  const std::map<std::string, std::string> before = Hash();
  for (int64_t wrong : {0, 2, 7}) {
    EXPECT_THAT(repo_->Put(kPool, Cfg(2), wrong, "c", Soon()),
                StatusIs(absl::StatusCode::kAborted))
        << wrong;
  }
  EXPECT_EQ(Hash(), before);
  EXPECT_EQ(Entries(keys::Feed(kPool)).size(), feed);
  EXPECT_EQ(Entries(keys::Audit(kPool)).size(), audit);
  // A version for a pool that never had settings is refused too.
  EXPECT_THAT(repo_->Put("other-pool", Cfg(1), 1, "c", Soon()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(ScanAll(keys::Settings("other-pool")), IsEmpty());
}

TEST_P(SettingsRepositoryTest, WritesAFeedEventAndAnAuditEntryWithoutContent) {
  const PoolConfig secret = Cfg(7654321);
  ASSERT_THAT(repo_->Put(kPool, secret, std::nullopt, "coordinator-1", Soon()),
              IsOk());
  ASSERT_THAT(repo_->Put(kPool, secret, 1, "admin-2", Soon()), IsOk());
  // Without an actor: a change event, no audit entry.
  ASSERT_THAT(repo_->Put(kPool, secret, 2, "", Soon()), IsOk());
  EXPECT_THAT(Entries(keys::Feed(kPool)),
              ElementsAre(ElementsAre("kind", "settings", "op", "upsert", "id",
                                      "settings", "v", "1"),
                          ElementsAre("kind", "settings", "op", "upsert", "id",
                                      "settings", "v", "2"),
                          ElementsAre("kind", "settings", "op", "upsert", "id",
                                      "settings", "v", "3")));
  EXPECT_THAT(
      Entries(keys::Audit(kPool)),
      ElementsAre(ElementsAre("action", "settings.update", "actor",
                              "coordinator-1", "v", "1", "t", "1700000000789"),
                  ElementsAre("action", "settings.update", "actor", "admin-2",
                              "v", "2", "t", "1700000000789")));
  // The feed reader understands the events.
  ChangeFeed feed(client_.get());
  ASSERT_OK_AND_ASSIGN(
      FeedBatch batch,
      feed.Read(kPool, StreamId(), 10, absl::ZeroDuration(), Soon()));
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.events[2].kind, "settings");
  EXPECT_EQ(batch.events[2].version, 3);
}

TEST_P(SettingsRepositoryTest, ConcurrentWritersWithTheSameVersionOneWins) {
  ASSERT_THAT(repo_->Put(kPool, Cfg(1), std::nullopt, "c", Soon()), IsOk());
  constexpr int kWriters = 8;
  for (int round = 0; round < 20; ++round) {
    const int64_t version = round + 1;
    std::latch start(kWriters);
    std::vector<absl::StatusOr<int64_t>> results(kWriters, 0);
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        start.arrive_and_wait();
        results[w] =
            repo_->Put(kPool, Cfg(100 + w), version, "c", Soon());
      });
    }
    for (std::thread& t : threads) t.join();
    int won = -1;
    for (int w = 0; w < kWriters; ++w) {
      if (results[w].ok()) {
        ASSERT_EQ(won, -1) << "two winners in round " << round;
        won = w;
        EXPECT_EQ(*results[w], version + 1);
      } else {
        EXPECT_THAT(results[w], StatusIs(absl::StatusCode::kAborted));
      }
    }
    ASSERT_NE(won, -1) << "no winner in round " << round;
    ASSERT_OK_AND_ASSIGN(std::optional<SettingsRecord> got,
                         repo_->Get(kPool, Soon()));
    EXPECT_EQ(Marker(got), 100 + won);
    EXPECT_EQ(got->version, version + 1);
  }
}

TEST_P(SettingsRepositoryTest, RejectsBadPoolsAndUnreadableRecords) {
  EXPECT_THAT(repo_->Put("Bad_Pool", Cfg(1), std::nullopt, "c", Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool")));
  EXPECT_THAT(repo_->Get("", Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ScanAll(keys::PoolPrefix(kPool) + "*"), IsEmpty());
  // A record no format reads, and one whose values no longer validate, are
  // DATA_LOSS rather than silently defaults.
  const std::string key = keys::Settings(kPool);
  ASSERT_THAT(Inspect(key, {"HSET", key, "p", std::string("\0S\x01\xff", 4),
                            "v", "1", "t", "0"}),
              IsOk());
  EXPECT_THAT(repo_->Get(kPool, Soon()),
              StatusIs(absl::StatusCode::kDataLoss));
  PoolConfig invalid;
  invalid.matcher.min_size = 1;  // below the SPEC's 2
  ASSERT_THAT(Inspect(key, {"HSET", key, "p", EncodePoolConfig(invalid)}),
              IsOk());
  EXPECT_THAT(repo_->Get(kPool, Soon()),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("validate")));
}

INSTANTIATE_TEST_SUITE_P(Backends, SettingsRepositoryTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);

}  // namespace
}  // namespace peermatch::store
