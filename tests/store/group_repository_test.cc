// GroupRepository against real Redis, standalone and Cluster (R-GROUPS,
// R-REGROUP, R-JOBS fencing, R-TEST): one atomic change set, checked
// against the live groups it was planned from, versions and the job lease.
#include "service/store/group_repository.h"

#include <memory>
#include <optional>
#include <string>
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
using ::testing::SizeIs;

constexpr char kPool[] = "gpool";

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

GroupOp Create(std::vector<std::string> members) {
  GroupOp op;
  op.kind = GroupOp::Kind::kCreate;
  op.members = std::move(members);
  op.details.language = "slot";
  return op;
}

class GroupRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    groups_ = std::make_unique<GroupRepository>(client_.get());
  }

  // Creates groups from scratch (planned from "no live groups").
  std::vector<std::string> CreateAll(
      std::vector<std::vector<std::string>> member_sets) {
    GroupChangeSet changes;
    changes.expected_live = std::vector<std::string>{};
    changes.actor = "coord";
    for (auto& m : member_sets) changes.ops.push_back(Create(std::move(m)));
    auto ids = groups_->Apply(kPool, changes, Soon());
    EXPECT_THAT(ids, IsOk());
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  std::optional<std::string> GroupOf(const std::string& member) {
    auto g = groups_->GroupOf(kPool, member, Soon());
    EXPECT_THAT(g, IsOk());
    return g.ok() ? *g : std::nullopt;
  }

  void HoldLease(int64_t token, const std::string& exp_ms) {
    const std::string lease = keys::JobLease(kPool);
    ASSERT_THAT(Inspect(lease, {"HSET", lease, "token", absl::StrCat(token),
                                "owner", "r1", "job", "j1", "exp", exp_ms}),
                IsOk());
  }

  std::unique_ptr<GroupRepository> groups_;
};

TEST_P(GroupRepositoryTest, CreatesIndexesAndReadsBack) {
  std::vector<std::string> ids =
      CreateAll({{"a", "b", "c", "d"}, {"e", "f", "g", "h"}});
  ASSERT_THAT(ids, SizeIs(2));
  EXPECT_NE(ids[0], ids[1]);
  ASSERT_OK_AND_ASSIGN(GroupRecord g, groups_->Get(kPool, ids[0], Soon()));
  EXPECT_EQ(g.state, GroupState::kProposed);
  EXPECT_THAT(g.members, ElementsAre("a", "b", "c", "d"));
  EXPECT_EQ(g.details.language, "slot");
  EXPECT_EQ(GroupOf("f"), ids[1]);
  EXPECT_EQ(GroupOf("zz"), std::nullopt);
  ASSERT_OK_AND_ASSIGN(GroupSnapshot live, groups_->LoadLive(kPool, Soon()));
  EXPECT_THAT(live.ids(), ::testing::UnorderedElementsAreArray(ids));
  EXPECT_THAT(groups_->Get(kPool, "no-such-group", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(GroupRepositoryTest,
       PlannedFromOtherLiveGroupsIsAbortedAndWritesNothing) {
  std::vector<std::string> ids = CreateAll({{"a", "b", "c", "d"}});
  ASSERT_THAT(ids, SizeIs(1));
  // A plan made before that group existed.
  GroupChangeSet stale;
  stale.expected_live = std::vector<std::string>{};
  stale.ops.push_back(Create({"e", "f", "g", "h"}));
  EXPECT_THAT(
      groups_->Apply(kPool, stale, Soon()),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("groups changed")));
  EXPECT_EQ(GroupOf("e"), std::nullopt);
  ASSERT_OK_AND_ASSIGN(GroupSnapshot live, groups_->LoadLive(kPool, Soon()));
  EXPECT_THAT(live.groups, SizeIs(1));
}

TEST_P(GroupRepositoryTest, UpdateChecksTheVersionAndDissolveReleases) {
  std::vector<std::string> ids = CreateAll({{"a", "b", "c", "d", "e"}});
  ASSERT_THAT(ids, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(GroupRecord g, groups_->Get(kPool, ids[0], Soon()));
  // Erasure of "e": the group is kept with the rest; "e" is released.
  GroupChangeSet repair;
  repair.release = {"e"};
  GroupOp update;
  update.kind = GroupOp::Kind::kUpdate;
  update.id = g.id;
  update.expected_version = g.version + 1;  // wrong
  update.state = GroupState::kActive;
  update.members = {"a", "b", "c", "d"};
  update.details.language = "slot";
  repair.ops = {update};
  EXPECT_THAT(groups_->Apply(kPool, repair, Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("group changed")));
  EXPECT_EQ(GroupOf("e"), g.id);  // nothing written
  repair.ops[0].expected_version = g.version;
  ASSERT_THAT(groups_->Apply(kPool, repair, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(GroupRecord kept, groups_->Get(kPool, g.id, Soon()));
  EXPECT_EQ(kept.state, GroupState::kActive);
  EXPECT_THAT(kept.members, ElementsAre("a", "b", "c", "d"));
  EXPECT_GT(kept.version, g.version);
  EXPECT_EQ(GroupOf("e"), std::nullopt);

  GroupChangeSet dissolve;
  GroupOp d;
  d.kind = GroupOp::Kind::kDissolve;
  d.id = g.id;
  d.expected_version = kept.version;
  d.reason = "below_min_size";
  d.members = kept.members;  // their index entries are cleared
  dissolve.ops = {d};
  ASSERT_THAT(groups_->Apply(kPool, dissolve, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(GroupRecord gone, groups_->Get(kPool, g.id, Soon()));
  EXPECT_EQ(gone.state, GroupState::kDissolved);
  EXPECT_EQ(gone.dissolve_reason, "below_min_size");
  for (const char* m : {"a", "b", "c", "d"})
    EXPECT_EQ(GroupOf(m), std::nullopt);
  ASSERT_OK_AND_ASSIGN(GroupSnapshot live, groups_->LoadLive(kPool, Soon()));
  EXPECT_THAT(live.groups, IsEmpty());
}

TEST_P(GroupRepositoryTest, StaleFencingTokenCannotCommit) {
  const std::string far =
      absl::StrCat(absl::ToUnixMillis(absl::Now()) + 600000);
  HoldLease(5, far);
  GroupChangeSet changes;
  changes.expected_live = std::vector<std::string>{};
  changes.ops.push_back(Create({"a", "b", "c", "d"}));
  // A synchronous run (no token) is refused while a job holds the lease.
  changes.refuse_if_leased = true;
  EXPECT_THAT(groups_->Apply(kPool, changes, Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("lease")));
  changes.refuse_if_leased = false;
  // A replica whose lease was taken over (older token) writes nothing.
  changes.fencing_token = 4;
  EXPECT_THAT(groups_->Apply(kPool, changes, Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("stale lease")));
  EXPECT_EQ(GroupOf("a"), std::nullopt);
  // The holder commits; once its lease expired, it cannot.
  changes.fencing_token = 5;
  HoldLease(5, "1");
  EXPECT_THAT(groups_->Apply(kPool, changes, Soon()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(GroupOf("a"), std::nullopt);
  HoldLease(5, far);
  ASSERT_THAT(groups_->Apply(kPool, changes, Soon()), IsOk());
  EXPECT_NE(GroupOf("a"), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupRepositoryTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);

}  // namespace
}  // namespace peermatch::store
