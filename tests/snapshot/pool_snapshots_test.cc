// PoolSnapshots against a real redis-server (issue 11, SPEC §6 R-STORE,
// R-RECOMMEND): the cold load reads members, settings and match state
// through the store interfaces; another replica's writes arrive through the
// change feed; the replica's own writes apply at once and never go back to
// an older version; match state reloads when invalidated; Copy compiles for
// another week while readers keep the current one.
#include "service/snapshot/pool_snapshots.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/time.h"
#include "service/common/metrics.h"
#include "service/core/matches.h"
#include "service/store/change_feed.h"
#include "service/store/match_repository.h"
#include "service/store/member_repository.h"
#include "service/store/settings_repository.h"
#include "tests/store/store_fixture.h"
#include "tests/support/status_matchers.h"

namespace peermatch::snapshot {
namespace {

using ::peermatch::testing::StatusIs;
using store::Backend;

constexpr char kPool[] = "snap";

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

matcher::MemberProfile Person(const std::string& id, matcher::Role role,
                              int stage, int capacity = 0) {
  matcher::MemberProfile p;
  p.id = id;
  p.roles = matcher::RoleBit(role);
  p.recovery_stage = stage;
  p.mentor_capacity = capacity;
  p.availability = {{1, 0, 1440}};
  p.languages = {"en"};
  p.modalities = {matcher::Modality::kText};
  return p;
}

class PoolSnapshotsTest : public store::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    members_ = std::make_unique<store::MemberRepository>(client_.get());
    settings_ = std::make_unique<store::SettingsRepository>(client_.get());
    matches_ = std::make_unique<store::MatchRepository>(client_.get());
    feed_ = std::make_unique<store::ChangeFeed>(client_.get());
  }
  std::unique_ptr<PoolSnapshots> Make() {
    Sources s;
    s.members = members_.get();
    s.feed = feed_.get();
    s.settings = settings_.get();
    s.matches = matches_.get();
    Options o;
    o.poll_interval = absl::Milliseconds(20);
    return std::make_unique<PoolSnapshots>(s, o);
  }
  int64_t Put(const matcher::MemberProfile& p) {
    auto r = members_->Upsert(kPool, {p, std::nullopt}, Soon());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->version : -1;
  }
  // Reads until `pred` holds or 20 s pass (the tailer polls every 20 ms);
  // returns whether it held. Not a timing assertion: only a bound on waiting.
  bool Eventually(PoolSnapshots& s,
                  const std::function<bool(const PoolView&)>& pred) {
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (absl::Now() < give_up) {
      bool held = false;
      absl::Status st = s.Read(kPool, Soon(), [&](const PoolView& v) {
        held = pred(v);
        return absl::OkStatus();
      });
      if (st.ok() && held) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::unique_ptr<store::MemberRepository> members_;
  std::unique_ptr<store::SettingsRepository> settings_;
  std::unique_ptr<store::MatchRepository> matches_;
  std::unique_ptr<store::ChangeFeed> feed_;
};

TEST_P(PoolSnapshotsTest, ColdLoadReadsMembersSettingsAndMatchState) {
  Put(Person("e1", matcher::Role::kMentee, 2));
  const int64_t mv = Put(Person("m1", matcher::Role::kMentor, 4, 2));
  store::PoolConfig config;
  config.matcher.min_score = 0.25;
  ASSERT_TRUE(settings_->Put(kPool, config, 0, "coord", Soon()).ok());
  store::CommitSpec spec;
  spec.proposals = {{"e1", "m1", 1, 1}};
  spec.mentors = {{"m1", mv, 2}};
  ASSERT_TRUE(matches_->CommitProposals(kPool, spec, Soon()).ok());
  ASSERT_OK_AND_ASSIGN(store::StreamId position,
                       feed_->Position(kPool, Soon()));

  auto snapshots = Make();
  ASSERT_TRUE(snapshots
                  ->Read(kPool, Soon(),
                         [&](const PoolView& v) {
                           EXPECT_EQ(v.pool().size(), 2u);
                           EXPECT_EQ(v.settings().min_score, 0.25);
                           auto m1 = v.pool().Find("m1");
                           auto e1 = v.pool().Find("e1");
                           EXPECT_TRUE(m1 && e1);
                           if (!m1 || !e1) return absl::OkStatus();
                           EXPECT_EQ(v.mentor_load(*m1), 1);
                           EXPECT_EQ(v.free_capacity(*m1), 1);
                           EXPECT_EQ(v.mentor_active_load(*m1), 0);
                           EXPECT_TRUE(v.mentee_live(*e1));
                           EXPECT_FALSE(v.mentee_active(*e1));
                           EXPECT_EQ(v.member_version(*m1), mv);
                           EXPECT_EQ(v.position().ms, position.ms);
                           return absl::OkStatus();
                         })
                  .ok());
  EXPECT_EQ(snapshots->loaded_pools(), 1u);
  EXPECT_GT(snapshots->MemoryBytes(kPool), 0u);
}

TEST_P(PoolSnapshotsTest, UnknownPoolsAreNotFoundAndSettingsAloneMakeAPool) {
  auto snapshots = Make();
  EXPECT_THAT(snapshots->Read(kPool, Soon(),
                              [](const PoolView&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_TRUE(settings_->Put(kPool, {}, 0, "coord", Soon()).ok());
  size_t size = 99;
  EXPECT_TRUE(snapshots
                  ->Read(kPool, Soon(),
                         [&](const PoolView& v) {
                           size = v.pool().size();
                           return absl::OkStatus();
                         })
                  .ok());
  EXPECT_EQ(size, 0u);
}

TEST_P(PoolSnapshotsTest, AnotherReplicasWritesArriveThroughTheFeed) {
  Put(Person("e1", matcher::Role::kMentee, 2));
  auto snapshots = Make();
  snapshots->Start();
  ASSERT_TRUE(Eventually(
      *snapshots, [](const PoolView& v) { return v.pool().size() == 1; }));
  Put(Person("e2", matcher::Role::kMentee, 3));  // not through the snapshot
  EXPECT_TRUE(Eventually(*snapshots, [](const PoolView& v) {
    return v.pool().Find("e2").has_value();
  }));
  ASSERT_TRUE(members_->Delete(kPool, "e1", {}, Soon()).ok());
  EXPECT_TRUE(Eventually(*snapshots, [](const PoolView& v) {
    return !v.pool().Find("e1").has_value() && v.pool().size() == 1;
  }));
  snapshots->Stop();
}

TEST_P(PoolSnapshotsTest, OwnWritesApplyAtOnceAndNeverGoBack) {
  Put(Person("e1", matcher::Role::kMentee, 2));
  auto snapshots = Make();  // no tailer: only what the test applies
  auto stage_of = [&](const std::string& id) {
    int stage = -1;
    EXPECT_TRUE(snapshots
                    ->Read(kPool, Soon(),
                           [&](const PoolView& v) {
                             auto i = v.pool().Find(id);
                             if (i) stage = v.pool().core(*i).stage;
                             return absl::OkStatus();
                           })
                    .ok());
    return stage;
  };
  ASSERT_EQ(stage_of("e1"), 2);
  snapshots->ApplyMember(
      kPool, "e1", 5, [] { return Person("e1", matcher::Role::kMentee, 3); });
  EXPECT_EQ(stage_of("e1"), 3);
  bool converted = false;
  snapshots->ApplyMember(kPool, "e1", 4, [&] {
    converted = true;
    return Person("e1", matcher::Role::kMentee, 1);
  });
  EXPECT_EQ(stage_of("e1"), 3);  // version 4 is older than the 5 it holds
  EXPECT_FALSE(converted);       // and was not even converted
  snapshots->RemoveMember(kPool, "e1");
  EXPECT_EQ(stage_of("e1"), -1);
  // Writes to a pool this replica does not hold cost nothing.
  snapshots->ApplyMember("other", "x", 1, [&] {
    converted = true;
    return Person("x", matcher::Role::kMentee, 1);
  });
  EXPECT_FALSE(converted);
}

TEST_P(PoolSnapshotsTest, MatchStateReloadsWhenInvalidated) {
  Put(Person("e1", matcher::Role::kMentee, 2));
  const int64_t mv = Put(Person("m1", matcher::Role::kMentor, 4, 1));
  auto snapshots = Make();
  auto load = [&] {
    int n = -1;
    EXPECT_TRUE(snapshots
                    ->Read(kPool, Soon(),
                           [&](const PoolView& v) {
                             n = v.mentor_load(*v.pool().Find("m1"));
                             return absl::OkStatus();
                           })
                    .ok());
    return n;
  };
  ASSERT_EQ(load(), 0);
  store::CommitSpec spec;
  spec.proposals = {{"e1", "m1", 1, 1}};
  spec.mentors = {{"m1", mv, 1}};
  ASSERT_TRUE(matches_->CommitProposals(kPool, spec, Soon()).ok());
  snapshots->InvalidateMatches(kPool);
  EXPECT_EQ(load(), 1);
}

TEST_P(PoolSnapshotsTest, CopiesCompileForTheirWeekAndReadersKeepTheirs) {
  Put(Person("e1", matcher::Role::kMentee, 2));
  auto snapshots = Make();
  const matcher::ReferenceWeek other =
      matcher::ReferenceWeekContaining(absl::FromUnixSeconds(1700000000));
  ASSERT_OK_AND_ASSIGN(PoolSnapshots::PoolCopy copy,
                       snapshots->Copy(kPool, other, Soon()));
  ASSERT_TRUE(copy.pool.has_value());
  EXPECT_EQ(copy.pool->week().start, other.start);
  EXPECT_EQ(copy.versions.at("e1"), 1);
  const absl::Time now_week =
      matcher::ReferenceWeekContaining(absl::Now()).start;
  EXPECT_TRUE(snapshots
                  ->Read(kPool, Soon(),
                         [&](const PoolView& v) {
                           EXPECT_EQ(v.pool().week().start, now_week);
                           return absl::OkStatus();
                         })
                  .ok());
}

// Issue 11: the replica's own match write is applied in place and its
// change event, once the tailer reaches it, is skipped: the pool's match
// state is not read again. Another replica's match write still reloads it.
TEST_P(PoolSnapshotsTest, OwnMatchWritesAreNotReloadedFromTheFeed) {
  Put(Person("e1", matcher::Role::kMentee, 2));
  Put(Person("e2", matcher::Role::kMentee, 2));
  Put(Person("m1", matcher::Role::kMentor, 4, 2));
  auto snapshots = Make();
  snapshots->Start();
  core::Matches matches(matches_.get(), members_.get(), settings_.get(),
                        snapshots.get());
  Counter* reloads = MetricsRegistry::Default().GetCounter(
      "peermatch_snapshot_match_loads_total",
      "reads of a pool's whole match state into its snapshot",
      {{"pool", kPool}});
  auto load_is = [&](int n) {
    return [n](const PoolView& v) {
      return v.mentor_load(*v.pool().Find("m1")) == n;
    };
  };
  // Caught up with the feed as it is now.
  auto caught_up = [&](const PoolView& v) {
    absl::StatusOr<store::StreamId> at = feed_->Position(kPool, Soon());
    return at.ok() && v.position() >= *at;
  };
  ASSERT_TRUE(Eventually(*snapshots, load_is(0)));
  const double before = reloads->value();
  ASSERT_TRUE(
      matches.CreateManual(kPool, "e1", "m1", false, "", {"coord", Soon()})
          .ok());
  ASSERT_TRUE(Eventually(*snapshots, caught_up));
  EXPECT_TRUE(Eventually(*snapshots, load_is(1)));
  EXPECT_EQ(reloads->value(), before);

  // Another replica (the repository directly): the event reloads the state.
  store::Proposal pair{"e2", "m1", 1, 1};
  ASSERT_OK_AND_ASSIGN(store::MemberRecord m1,
                       members_->Get(kPool, "m1", Soon()));
  ASSERT_TRUE(matches_
                  ->CreateManual(kPool, pair, {"m1", m1.version, 2}, false, "",
                                 "other", Soon())
                  .ok());
  EXPECT_TRUE(Eventually(*snapshots, load_is(2)));
  EXPECT_GT(reloads->value(), before);
  snapshots->Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, PoolSnapshotsTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         store::BackendName);

}  // namespace
}  // namespace peermatch::snapshot
