// core::Members on fake stores (issue 11, R-MEMBER, R-STORE, R-SEC erasure):
// the replica's own writes reach its snapshot without a reload, the stored
// update time is the one returned, and erasure repairs the member's group
// before it removes the member, so a failure leaves the member in place.
#include "service/core/members.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/core/groups.h"
#include "tests/core/core_test_util.h"
#include "tests/support/status_matchers.h"

namespace peermatch::core {
namespace {

using ::peermatch::testing::CoreTest;
using ::peermatch::testing::kPool;
using ::peermatch::testing::Mentee;
using ::peermatch::testing::Person;
using ::peermatch::testing::Soon;
using ::peermatch::testing::StatusIs;
using ::testing::SizeIs;

class MembersTest : public CoreTest {
 protected:
  MembersTest()
      : groups_core_(&members_, &groups_, &settings_),
        core_(&members_, snapshots_.get(), &groups_core_) {}

  bool InSnapshot(const std::string& id) {
    bool found = false;
    EXPECT_TRUE(snapshots_
                    ->Read(kPool, Soon(),
                           [&](const snapshot::PoolView& v) {
                             found = v.pool().Find(id).has_value();
                             return absl::OkStatus();
                           })
                    .ok());
    return found;
  }
  // A live ACTIVE group of exactly min_size (4) members.
  void GroupOfFour() {
    store::GroupRecord g;
    g.id = "g9";
    g.state = store::GroupState::kActive;
    g.version = 3;
    for (const char* id : {"a", "b", "c", "d"}) {
      Store(Person(id, matcher::Role::kGroupMember, 4));
      g.members.push_back(id);
    }
    groups_.pools[kPool][g.id] = g;
  }

  Groups groups_core_;
  Members core_;
};

TEST_F(MembersTest, OwnWritesReachTheSnapshotWithoutAReload) {
  Store(Mentee("e1"));
  ASSERT_TRUE(InSnapshot("e1"));
  ASSERT_EQ(members_.load_all_calls, 1);
  ASSERT_OK_AND_ASSIGN(
      UpsertedMember m,
      core_.Upsert(kPool, {Mentee("e2"), std::nullopt}, Soon()));
  EXPECT_TRUE(m.created);
  EXPECT_EQ(m.member.version, 1);
  EXPECT_TRUE(InSnapshot("e2"));
  EXPECT_EQ(members_.load_all_calls, 1);
  // The returned update time is the stored one (issue 11: the handler used
  // to stamp its own clock).
  ASSERT_OK_AND_ASSIGN(store::MemberRecord stored,
                       members_.Get(kPool, "e2", Soon()));
  EXPECT_EQ(m.member.update_time, stored.update_time);

  ASSERT_OK_AND_ASSIGN(
      auto outcomes,
      core_.BatchUpsert(kPool,
                        std::vector<store::MemberWrite>{
                            {Mentee("e3"), std::nullopt},
                            {Mentee("e1"), /*expected_version=*/7}},
                        Soon()));
  ASSERT_THAT(outcomes, SizeIs(2));
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_THAT(outcomes[1], StatusIs(absl::StatusCode::kAborted));
  EXPECT_TRUE(InSnapshot("e3"));
  EXPECT_EQ(members_.load_all_calls, 1);
}

TEST_F(MembersTest, ErasureDissolvesAGroupThatFallsBelowMinSize) {
  GroupOfFour();
  ASSERT_TRUE(InSnapshot("a"));
  ASSERT_OK_AND_ASSIGN(
      Erasure e, core_.Delete(kPool, "a", std::nullopt, {"admin", Soon()}));
  EXPECT_EQ(e.groups_changed, 1);
  ASSERT_THAT(groups_.applied, SizeIs(1));
  const store::GroupChangeSet& c = groups_.applied[0];
  EXPECT_EQ(c.release, std::vector<std::string>{"a"});
  ASSERT_THAT(c.ops, SizeIs(1));
  EXPECT_EQ(c.ops[0].kind, store::GroupOp::Kind::kDissolve);
  EXPECT_EQ(c.ops[0].expected_version, 3);
  EXPECT_EQ(c.ops[0].members, (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(c.ops[0].reason, "member_deleted:below_min_size");
  EXPECT_EQ(members_.deletes, 1);
  EXPECT_FALSE(InSnapshot("a"));
}

TEST_F(MembersTest, AFailedGroupRepairLeavesTheMemberInPlace) {
  GroupOfFour();
  groups_.fail_next_apply.push_back(absl::UnavailableError("redis down"));
  EXPECT_THAT(core_.Delete(kPool, "a", std::nullopt, {"admin", Soon()}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(members_.deletes, 0);
  EXPECT_TRUE(members_.Get(kPool, "a", Soon()).ok());
  // Retrying completes the erasure.
  EXPECT_TRUE(core_.Delete(kPool, "a", std::nullopt, {"admin", Soon()}).ok());
  EXPECT_EQ(members_.deletes, 1);
}

TEST_F(MembersTest, ErasureChecksTheExpectedVersionFirst) {
  GroupOfFour();
  EXPECT_THAT(core_.Delete(kPool, "a", 2, {"admin", Soon()}),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_TRUE(groups_.applied.empty());
  EXPECT_EQ(members_.deletes, 0);
  EXPECT_THAT(core_.Delete(kPool, "zz", std::nullopt, {"admin", Soon()}),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace peermatch::core
