// The group diff and core::Groups on fake stores (issue 11, R-REGROUP,
// R-GROUPREC): which live groups a regrouping keeps, updates, dissolves or
// drops, the report's final ids, and all-or-nothing publishing.
#include "service/core/groups.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/core/group_diff.h"
#include "tests/core/core_test_util.h"
#include "tests/support/status_matchers.h"

namespace peermatch::core {
namespace {

using ::peermatch::testing::CoreTest;
using ::peermatch::testing::kPool;
using ::peermatch::testing::Person;
using ::peermatch::testing::Soon;
using ::peermatch::testing::StatusIs;
using ::testing::SizeIs;

store::GroupRecord Live(const std::string& id, store::GroupState state,
                        std::vector<std::string> members, int64_t version) {
  store::GroupRecord g;
  g.id = id;
  g.state = state;
  g.members = std::move(members);
  g.version = version;
  g.details.language = "en";
  return g;
}

matcher::GroupPlan Plan(const std::string& id,
                        std::vector<std::string> members) {
  matcher::GroupPlan p;
  p.id = id;
  p.member_ids = std::move(members);
  return p;
}

// Details as the diff's caller would compute them; here only the language.
store::GroupDetails EnDetails(const matcher::GroupPlan&) {
  store::GroupDetails d;
  d.language = "en";
  return d;
}

TEST(GroupDiffTest, KeepsUpdatesDissolvesDropsAndCreates) {
  const std::vector<store::GroupRecord> live = {
      Live("A", store::GroupState::kActive, {"a1", "a2"}, 4),    // unchanged
      Live("B", store::GroupState::kActive, {"b1", "b2"}, 2),    // grows
      Live("C", store::GroupState::kActive, {"c1", "c2"}, 7),    // invalid
      Live("D", store::GroupState::kProposed, {"d1", "d2"}, 1),  // replaced
  };
  matcher::GroupingResult result;
  result.groups = {Plan("A", {"a1", "a2"}), Plan("B", {"b1", "b2", "b3"}),
                   Plan("", {"c1", "d1"})};
  result.dissolved = {{"C", matcher::GroupViolation::kSafetyHold, ""}};
  GroupDiff diff = DiffGroups(result, live, EnDetails, /*auto_publish=*/false);

  EXPECT_EQ(diff.changes.expected_live,
            (std::vector<std::string>{"A", "B", "C", "D"}));
  ASSERT_THAT(diff.changes.ops, SizeIs(4));  // nothing for A
  const store::GroupOp& update = diff.changes.ops[0];
  EXPECT_EQ(update.kind, store::GroupOp::Kind::kUpdate);
  EXPECT_EQ(update.id, "B");
  EXPECT_EQ(update.expected_version, 2);
  EXPECT_EQ(update.state, store::GroupState::kActive);
  EXPECT_EQ(update.members, (std::vector<std::string>{"b1", "b2", "b3"}));
  const store::GroupOp& create = diff.changes.ops[1];
  EXPECT_EQ(create.kind, store::GroupOp::Kind::kCreate);
  EXPECT_EQ(create.state, store::GroupState::kProposed);
  EXPECT_EQ(create.members, (std::vector<std::string>{"c1", "d1"}));
  const store::GroupOp& dissolve = diff.changes.ops[2];
  EXPECT_EQ(dissolve.kind, store::GroupOp::Kind::kDissolve);
  EXPECT_EQ(dissolve.id, "C");
  EXPECT_EQ(dissolve.expected_version, 7);
  EXPECT_EQ(dissolve.reason, "safety_hold");
  const store::GroupOp& drop = diff.changes.ops[3];
  EXPECT_EQ(drop.kind, store::GroupOp::Kind::kDelete);
  EXPECT_EQ(drop.id, "D");
  EXPECT_EQ(diff.created_index, std::vector<int>{2});

  // A group whose details change is updated even with the same members;
  // auto_publish creates ACTIVE groups; an ACTIVE group no plan continues
  // and nothing dissolved is reported as "regroup".
  GroupDiff again = DiffGroups(
      result, live,
      [](const matcher::GroupPlan&) {
        store::GroupDetails d;
        d.language = "fr";
        return d;
      },
      /*auto_publish=*/true);
  ASSERT_THAT(again.changes.ops, SizeIs(5));
  EXPECT_EQ(again.changes.ops[0].id, "A");
  EXPECT_EQ(again.changes.ops[0].kind, store::GroupOp::Kind::kUpdate);
  EXPECT_EQ(again.changes.ops[2].state, store::GroupState::kActive);
  result.dissolved.clear();
  GroupDiff plain = DiffGroups(result, live, EnDetails, false);
  EXPECT_EQ(plain.changes.ops[2].reason, "regroup");
}

TEST(GroupDiffTest, TheReportNamesTheGroupsByTheirFinalIds) {
  matcher::GroupingResult result;
  result.groups = {Plan("A", {"a1"}), Plan("", {"n1"}), Plan("", {"n2"})};
  result.placed = 3;
  result.churn = {
      {"n1", "", 1, matcher::ChurnReason::kNewMember, ""},
      {"n2", "A", 2, matcher::ChurnReason::kFullRegroup, ""},
      {"x", "A", -1, matcher::ChurnReason::kNoLongerEligible, "safety_hold"}};
  GroupDiff diff = DiffGroups(result, {}, EnDetails, false);
  ASSERT_EQ(diff.created_index, (std::vector<int>{0, 1, 2}));
  // With no live groups, "A" is created too; the store names all three.
  GroupingReport r = ReportOf(result, diff, {"g1", "g2", "g3"});
  EXPECT_EQ(r.groups, 3);
  EXPECT_EQ(r.placed, 3);
  ASSERT_THAT(r.churn, SizeIs(3));
  EXPECT_EQ(r.churn[0].to_group_id, "g2");
  EXPECT_EQ(r.churn[1].to_group_id, "g3");
  EXPECT_EQ(r.churn[1].from_group_id, "A");
  EXPECT_EQ(r.churn[2].to_group_id, "");
  EXPECT_EQ(r.churn[2].reason, "no_longer_eligible:safety_hold");
}

class GroupsTest : public CoreTest {
 protected:
  GroupsTest() : core_(&members_, &groups_, &settings_) {
    Store(Person("a", matcher::Role::kGroupMember, 3));
    groups_.pools[kPool]["P1"] =
        Live("P1", store::GroupState::kProposed, {"a"}, 1);
    groups_.pools[kPool]["P2"] =
        Live("P2", store::GroupState::kProposed, {"b"}, 1);
    groups_.pools[kPool]["A1"] =
        Live("A1", store::GroupState::kActive, {"c"}, 5);
  }
  Groups core_;
};

TEST_F(GroupsTest, PublishingIsAllOrNothing) {
  EXPECT_THAT(core_.Publish(kPool, {"P1", "A1"}, {"coord", Soon()}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(core_.Publish(kPool, {"P1", "nope"}, {"coord", Soon()}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(groups_.applied.empty());
  ASSERT_OK_AND_ASSIGN(int n, core_.Publish(kPool, {}, {"coord", Soon()}));
  EXPECT_EQ(n, 2);  // every PROPOSED one
  ASSERT_THAT(groups_.applied, SizeIs(1));
  for (const store::GroupOp& op : groups_.applied[0].ops) {
    EXPECT_EQ(op.kind, store::GroupOp::Kind::kUpdate);
    EXPECT_EQ(op.state, store::GroupState::kActive);
    EXPECT_EQ(op.expected_version, 1);
  }
  EXPECT_THAT(core_.Publish("p404", {}, {"coord", Soon()}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(GroupsTest, AMembersGroupIsListedAlone) {
  Store(Person("c", matcher::Role::kGroupMember, 3));
  ASSERT_OK_AND_ASSIGN(store::GroupPage page,
                       core_.List(kPool, "c", {}, 10, 0, Soon()));
  ASSERT_THAT(page.groups, SizeIs(1));
  EXPECT_EQ(page.groups[0].id, "A1");
  ASSERT_OK_AND_ASSIGN(
      store::GroupPage none,
      core_.List(kPool, "c", {store::GroupState::kProposed}, 10, 0, Soon()));
  EXPECT_TRUE(none.groups.empty());
}

TEST_F(GroupsTest, BadOptionsAndLargePoolsAreRefusedBeforeAnyWrite) {
  GroupingOptions o;
  o.time_budget_ms = 60001;
  EXPECT_THAT(core_.PlanAndCommit(kPool, o, absl::Now(), {"coord", Soon()}, "",
                                  std::nullopt, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Groups small(&members_, &groups_, &settings_, {.sync_max_members = 0});
  EXPECT_THAT(small.FormGroups(kPool, {}, absl::Now(), {"coord", Soon()}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(groups_.applied.empty());
}

}  // namespace
}  // namespace peermatch::core
