// core::Pools on fake stores (issue 11, R-API settings and statistics):
// settings updates are read-patch-write with versions and reach the
// snapshot at once; statistics are checked against a hand count.
#include "service/core/pools.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/core_test_util.h"
#include "tests/support/status_matchers.h"

namespace peermatch::core {
namespace {

using ::peermatch::testing::CoreTest;
using ::peermatch::testing::kPool;
using ::peermatch::testing::Mentee;
using ::peermatch::testing::Mentor;
using ::peermatch::testing::Person;
using ::peermatch::testing::Soon;
using ::peermatch::testing::StatusIs;
using ::testing::HasSubstr;

class PoolsTest : public CoreTest {
 protected:
  PoolsTest() : core_(&settings_, &matches_, &groups_, snapshots_.get()) {}
  double SnapshotMinScore() {
    double min_score = -1;
    EXPECT_TRUE(snapshots_
                    ->Read(kPool, Soon(),
                           [&](const snapshot::PoolView& v) {
                             min_score = v.settings().min_score;
                             return absl::OkStatus();
                           })
                    .ok());
    return min_score;
  }
  Pools core_;
};

TEST_F(PoolsTest, SettingsAreVersionedAndReachTheSnapshotAtOnce) {
  Store(Mentee("e1"));
  ASSERT_OK_AND_ASSIGN(VersionedSettings d, core_.GetSettings(kPool, Soon()));
  EXPECT_EQ(d.version, 0);  // defaults
  EXPECT_EQ(SnapshotMinScore(), 0);

  auto set_min_score = [](double v) {
    return [v](store::PoolConfig* c) {
      c->matcher.min_score = v;
      return absl::OkStatus();
    };
  };
  EXPECT_THAT(
      core_.UpdateSettings(kPool, 3, set_min_score(0.5), {"coord", Soon()}),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("expected 3")));
  EXPECT_THAT(core_.UpdateSettings(kPool, std::nullopt,
                                   [](store::PoolConfig*) {
                                     return absl::InvalidArgumentError(
                                         "settings.min_score");
                                   },
                                   {"coord", Soon()}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(settings_.puts, 0);

  ASSERT_OK_AND_ASSIGN(
      VersionedSettings u,
      core_.UpdateSettings(kPool, 0, set_min_score(0.5), {"coord", Soon()}));
  EXPECT_EQ(u.version, 1);
  EXPECT_EQ(u.config.matcher.min_score, 0.5);
  EXPECT_EQ(SnapshotMinScore(), 0.5);
  EXPECT_THAT(core_.GetSettings("p404", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PoolsTest, StatisticsMatchAHandCount) {
  Store(Mentee("e1"));
  matcher::MemberProfile held = Mentee("e2");
  held.safety_hold = true;
  Store(held);
  Store(Mentor("m1", 2));
  Store(Mentor("m2", 3, /*stage=*/5));
  Store(Person("g1", matcher::Role::kGroupMember, 3));
  Store(Person("f1", matcher::Role::kFacilitator, 5));
  matcher::MemberProfile held_member =
      Person("g2", matcher::Role::kGroupMember, 3);
  held_member.safety_hold = true;
  Store(held_member);
  store::MatchRecord m;
  m.id = "x1";
  m.mentee = "e1";
  m.mentor = "m1";
  m.state = store::MatchState::kActive;
  matches_.pools[kPool][m.id] = m;
  m.id = "x2";
  m.mentee = "e9";
  m.state = store::MatchState::kProposed;
  matches_.pools[kPool][m.id] = m;
  store::GroupRecord g;
  g.id = "G";
  g.state = store::GroupState::kProposed;
  g.members = {"g1"};
  groups_.pools[kPool][g.id] = g;

  ASSERT_OK_AND_ASSIGN(PoolStats st, core_.Stats(kPool, Soon()));
  EXPECT_EQ(st.members, 7);
  EXPECT_EQ(st.by_role[1], 2);  // mentees
  EXPECT_EQ(st.by_role[2], 2);  // mentors
  EXPECT_EQ(st.by_role[3], 2);  // group members
  EXPECT_EQ(st.by_role[4], 1);  // facilitators
  EXPECT_EQ(st.by_stage[2], 2);
  EXPECT_EQ(st.by_stage[3], 2);
  EXPECT_EQ(st.by_stage[4], 1);
  EXPECT_EQ(st.by_stage[5], 2);
  EXPECT_EQ(st.safety_hold, 2);
  EXPECT_EQ(st.mentees_eligible, 1);  // e2 is on hold
  EXPECT_EQ(st.mentees_matched, 1);
  EXPECT_EQ(st.matched_fraction, 1.0);
  EXPECT_EQ(st.mentor_capacity, 5);
  EXPECT_EQ(st.mentor_load, 2);  // m1: one ACTIVE, one PROPOSED
  EXPECT_DOUBLE_EQ(st.mentor_utilisation, 0.4);
  EXPECT_EQ(st.matches.active, 1);
  EXPECT_EQ(st.matches.proposed, 1);
  EXPECT_EQ(st.groups_active, 0);
  EXPECT_EQ(st.groups_proposed, 1);
  // Group-eligible: g1 and f1 (g2 is on hold); g1 is placed.
  EXPECT_EQ(st.group_members_placed, 1);
  EXPECT_EQ(st.group_members_unplaced, 1);
}

}  // namespace
}  // namespace peermatch::core
