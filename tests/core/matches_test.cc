// core::Matches on fake stores (issue 11, R-STABLE, R-LIFECYCLE, R-API):
// what a batch run asks of the store, how it reacts to a raced or refused
// commit, the synchronous size limit, the pool's service settings, and the
// snapshot seeing the replica's own match writes.
#include "service/core/matches.h"

#include <set>
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
using ::peermatch::testing::Soon;
using ::peermatch::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kRef = absl::FromUnixSeconds(1700000000);

class MatchesTest : public CoreTest {
 protected:
  void SetUp() override {
    for (const char* e : {"e1", "e2", "e3"}) Store(Mentee(e));
    Store(Mentor("m1", 1));
    Store(Mentor("m2", 1));
  }
  Matches Make(int64_t sync_max = 50000) {
    return Matches(&matches_, &members_, &settings_, snapshots_.get(),
                   {.sync_max_members = sync_max});
  }
  Call Coordinator() { return {"coord", Soon()}; }
  int Load(const std::string& mentor) {
    int load = -1;
    EXPECT_TRUE(snapshots_
                    ->Read(kPool, Soon(),
                           [&](const snapshot::PoolView& v) {
                             load = v.mentor_load(*v.pool().Find(mentor));
                             return absl::OkStatus();
                           })
                    .ok());
    return load;
  }
};

TEST_F(MatchesTest, RunFillsCapacityOnceAndTellsTheSnapshot) {
  Matches matches = Make();
  ASSERT_EQ(Load("m1"), 0);
  ASSERT_OK_AND_ASSIGN(MatchingRun run,
                       matches.RunMatching(kPool, {}, kRef, Coordinator()));
  // Two mentors of capacity 1, three acceptable mentees: two matches, one
  // mentee outcompeted, no blocking pair.
  ASSERT_THAT(run.proposed, SizeIs(2));
  EXPECT_EQ(run.report.matched, 2);
  EXPECT_EQ(run.report.unmatched, 1);
  EXPECT_EQ(run.report.blocking_pairs, 0);
  std::set<std::string> mentors, mentees;
  for (const ProposedMatch& p : run.proposed) {
    mentors.insert(p.pair.mentor);
    mentees.insert(p.pair.mentee);
    EXPECT_EQ(p.state, store::MatchState::kProposed);
  }
  EXPECT_EQ(mentors, (std::set<std::string>{"m1", "m2"}));
  EXPECT_THAT(mentees, SizeIs(2));

  ASSERT_THAT(matches_.commits, SizeIs(1));
  const store::CommitSpec& spec = matches_.commits[0];
  EXPECT_TRUE(spec.discard_previous);
  EXPECT_TRUE(spec.refuse_if_leased);  // a synchronous run yields to jobs
  EXPECT_FALSE(spec.fencing_token.has_value());
  EXPECT_FALSE(spec.auto_publish);
  EXPECT_EQ(spec.actor, "coord");
  ASSERT_THAT(spec.mentors, SizeIs(2));
  for (const store::MentorCapacity& m : spec.mentors) {
    EXPECT_EQ(m.capacity, 1);
    EXPECT_EQ(m.version, 1);  // the version the capacity was read from
  }
  // The replica's own write is visible at its next read.
  EXPECT_EQ(Load("m1"), 1);
  EXPECT_EQ(Load("m2"), 1);
}

TEST_F(MatchesTest, ARacedCommitIsPlannedAgain) {
  Matches matches = Make();
  matches_.fail_next_commit.push_back(
      absl::AbortedError("mentor m1 changed since the plan"));
  ASSERT_OK_AND_ASSIGN(MatchingRun run,
                       matches.RunMatching(kPool, {}, kRef, Coordinator()));
  EXPECT_THAT(run.proposed, SizeIs(2));
  EXPECT_THAT(matches_.commits, SizeIs(2));
}

TEST_F(MatchesTest, AJobLeaseIsNotRetried) {
  Matches matches = Make();
  matches_.fail_next_commit.push_back(
      absl::AbortedError("a job holds the pool's lease"));
  EXPECT_THAT(matches.RunMatching(kPool, {}, kRef, Coordinator()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("lease")));
  EXPECT_THAT(matches_.commits, SizeIs(1));
}

TEST_F(MatchesTest, SynchronousRunsStopAtTheSizeLimit) {
  Matches matches = Make(/*sync_max=*/4);
  EXPECT_THAT(matches.RunMatching(kPool, {}, kRef, Coordinator()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("JOB_KIND_MENTOR_MATCHING")));
  EXPECT_TRUE(matches_.commits.empty());
}

TEST_F(MatchesTest, ThePoolsServiceSettingsShapeTheCommit) {
  store::SettingsRecord s;
  s.config.service.auto_publish = true;
  s.config.service.proposal_ttl_seconds = 3600;
  s.version = 1;
  settings_.pools[kPool] = s;
  Matches matches = Make();
  ASSERT_OK_AND_ASSIGN(MatchingRun run,
                       matches.RunMatching(kPool, {}, kRef, Coordinator()));
  ASSERT_THAT(matches_.commits, SizeIs(1));
  EXPECT_TRUE(matches_.commits[0].auto_publish);
  EXPECT_EQ(matches_.commits[0].proposal_ttl, absl::Hours(1));
  for (const ProposedMatch& p : run.proposed) {
    EXPECT_EQ(p.state, store::MatchState::kActive);
  }
}

TEST_F(MatchesTest, AnIncrementalRunKeepsProposalsAndTheirCapacity) {
  Matches matches = Make();
  store::MatchRecord kept;
  kept.id = "x100";
  kept.mentee = "e1";
  kept.mentor = "m1";
  kept.state = store::MatchState::kProposed;
  matches_.pools[kPool][kept.id] = kept;
  MatchingOptions o;
  o.incremental = true;
  ASSERT_OK_AND_ASSIGN(MatchingRun run,
                       matches.RunMatching(kPool, o, kRef, Coordinator()));
  ASSERT_THAT(matches_.commits, SizeIs(1));
  EXPECT_FALSE(matches_.commits[0].discard_previous);
  // e1 keeps its proposal; m1 is full; so one new match, e2 or e3 with m2.
  ASSERT_THAT(run.proposed, SizeIs(1));
  EXPECT_EQ(run.proposed[0].pair.mentor, "m2");
  EXPECT_NE(run.proposed[0].pair.mentee, "e1");
}

TEST_F(MatchesTest, ManualMatchesCheckTheHardConstraintsUnlessOverridden) {
  Store(Mentor("m3", 1, /*stage=*/2));  // below mentor_min_stage 4
  Matches matches = Make();
  EXPECT_THAT(matches.CreateManual(kPool, "e1", "m3", false, "", Coordinator()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("CONSTRAINT_MENTOR_STAGE")));
  ASSERT_OK_AND_ASSIGN(
      store::MatchRecord m,
      matches.CreateManual(kPool, "e1", "m3", true, "coordinator knows them",
                           Coordinator()));
  EXPECT_TRUE(m.override);
  EXPECT_EQ(m.state, store::MatchState::kActive);
  EXPECT_EQ(Load("m3"), 1);
  EXPECT_THAT(
      matches.CreateManual(kPool, "nobody", "m1", false, "", Coordinator()),
      StatusIs(absl::StatusCode::kNotFound));
}

// Issue 11: a replica's own manual match, answer or end updates its
// snapshot in place (load, live mentee, exclusion) without reloading the
// pool's match state; a change the snapshot cannot place falls back to a
// reload.
TEST_F(MatchesTest, OwnMatchWritesApplyInPlaceWithoutAReload) {
  Matches matches = Make();
  ASSERT_EQ(Load("m1"), 0);
  const int loads = matches_.load_state_calls;
  ASSERT_OK_AND_ASSIGN(
      store::MatchRecord a,
      matches.CreateManual(kPool, "e1", "m1", false, "", Coordinator()));
  EXPECT_EQ(Load("m1"), 1);
  ASSERT_OK_AND_ASSIGN(
      store::MatchRecord declined,
      matches.Respond(kPool, a.id, "m1", false, "", Coordinator()));
  EXPECT_EQ(declined.state, store::MatchState::kDeclined);
  EXPECT_EQ(Load("m1"), 0);
  // The declined pair is excluded at once: a manual match needs override.
  EXPECT_THAT(matches.CreateManual(kPool, "e1", "m1", false, "", Coordinator()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("CONSTRAINT_DECLINED")));
  ASSERT_OK_AND_ASSIGN(
      store::MatchRecord b,
      matches.CreateManual(kPool, "e2", "m2", false, "", Coordinator()));
  EXPECT_EQ(Load("m2"), 1);
  ASSERT_TRUE(
      matches.End(kPool, b.id, "done", /*exclude=*/true, Coordinator()).ok());
  EXPECT_EQ(Load("m2"), 0);
  EXPECT_THAT(matches.CreateManual(kPool, "e2", "m2", false, "", Coordinator()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("CONSTRAINT_EXCLUDED")));
  EXPECT_EQ(matches_.load_state_calls, loads);  // no reload so far

  // Another replica's match, not yet seen here, ended by this replica: the
  // snapshot cannot place it and reloads.
  store::MatchRecord other;
  other.id = "x900";
  other.mentee = "e3";
  other.mentor = "m1";
  other.state = store::MatchState::kActive;
  other.version = 4;
  matches_.pools[kPool][other.id] = other;
  ASSERT_TRUE(matches.End(kPool, other.id, "done", false, Coordinator()).ok());
  EXPECT_EQ(Load("m1"), 0);
  EXPECT_EQ(matches_.load_state_calls, loads + 1);
}

TEST_F(MatchesTest, UnknownPoolsAreNotFound) {
  Matches matches = Make();
  EXPECT_THAT(matches.List("p404", "", {}, 10, 0, Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(matches.Publish("p404", {}, Coordinator()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(matches.RunMatching("p404", {}, kRef, Coordinator()),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace peermatch::core
