// MatchRepository against real Redis, standalone and Cluster (R-MATCHREC,
// R-LIFECYCLE, R-STABLE commit, R-JOBS fencing, R-SEC erasure, R-TEST).
#include "service/store/match_repository.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/keys.h"
#include "service/store/member_repository.h"
#include "tests/store/store_fixture.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::peermatch::testing::TestReply;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kPool[] = "mpool";

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

class MatchRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    members_ = std::make_unique<MemberRepository>(client_.get());
    MatchRepositoryOptions o;
    o.clock = [this] { return absl::FromUnixMillis(now_ms_.load()); };
    matches_ = std::make_unique<MatchRepository>(client_.get(), o);
  }

  // Stores a member and returns its version.
  int64_t AddMember(const std::string& id) {
    auto r = members_->Upsert(kPool, TestMember(id), Soon());
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->version : -1;
  }
  MentorCapacity Mentor(const std::string& id, int capacity) {
    auto m = members_->Get(kPool, id, Soon());
    EXPECT_THAT(m, IsOk());
    return {id, m.ok() ? m->version : 0, capacity};
  }
  int64_t Int(absl::string_view key, const std::vector<std::string>& args) {
    absl::StatusOr<TestReply> r = Inspect(key, args);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer : -1;
  }
  int64_t MentorLoad(const std::string& m) {
    std::string key = keys::MentorLive(kPool, m);
    return Int(key, {"SCARD", key});
  }
  int64_t ProposedCount() {
    std::string key = keys::ProposedMatches(kPool);
    return Int(key, {"ZCARD", key});
  }
  CommitSpec Spec(std::vector<Proposal> proposals,
                  std::vector<MentorCapacity> mentors) {
    CommitSpec s;
    s.proposals = std::move(proposals);
    s.mentors = std::move(mentors);
    s.actor = "coord";
    return s;
  }

  std::atomic<int64_t> now_ms_{1700000000000};
  std::unique_ptr<MemberRepository> members_;
  std::unique_ptr<MatchRepository> matches_;
};

TEST_P(MatchRepositoryTest, CommitCreatesProposalsAndLoadStateSeesThem) {
  for (const char* id : {"e1", "e2", "e3", "m1", "m2"}) AddMember(id);
  auto r = matches_->CommitProposals(kPool,
                                     Spec({{"e1", "m1", 900000, 800000},
                                           {"e2", "m1", 700000, 600000},
                                           {"e3", "m2", 500000, 400000}},
                                          {Mentor("m1", 2), Mentor("m2", 1)}),
                                     Soon());
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(r->created, SizeIs(3));
  EXPECT_EQ(r->discarded, 0);
  EXPECT_EQ(MentorLoad("m1"), 2);
  EXPECT_EQ(ProposedCount(), 3);
  ASSERT_OK_AND_ASSIGN(MatchRecord m,
                       matches_->Get(kPool, r->created[0], Soon()));
  EXPECT_EQ(m.mentee, "e1");
  EXPECT_EQ(m.mentor, "m1");
  EXPECT_EQ(m.state, MatchState::kProposed);
  EXPECT_EQ(m.mentee_micros, 900000);
  EXPECT_EQ(m.origin, "batch");
  ASSERT_TRUE(m.expire_time.has_value());
  ASSERT_OK_AND_ASSIGN(MatchStateLoad state,
                       matches_->LoadState(kPool, Soon()));
  EXPECT_THAT(state.live, SizeIs(3));
  EXPECT_THAT(state.excluded, IsEmpty());
}

TEST_P(MatchRepositoryTest, CommitIsAllOrNothing) {
  for (const char* id : {"e1", "e2", "m1"}) AddMember(id);
  // Over capacity: two proposals for a mentor of capacity 1.
  auto r = matches_->CommitProposals(
      kPool, Spec({{"e1", "m1", 1, 1}, {"e2", "m1", 1, 1}}, {Mentor("m1", 1)}),
      Soon());
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("capacity")));
  EXPECT_EQ(ProposedCount(), 0);
  EXPECT_EQ(MentorLoad("m1"), 0);
  EXPECT_THAT(ScanAll(absl::StrCat("pm:{", kPool, "}:match:*")), IsEmpty());
  // A stale mentor version (its capacity may have changed) is ABORTED.
  MentorCapacity stale = Mentor("m1", 2);
  AddMember("m1");  // version 2 now
  EXPECT_THAT(
      matches_->CommitProposals(kPool, Spec({{"e1", "m1", 1, 1}}, {stale}),
                                Soon()),
      StatusIs(absl::StatusCode::kAborted, HasSubstr("mentor changed")));
  // A deleted mentee.
  EXPECT_THAT(
      matches_->CommitProposals(
          kPool, Spec({{"gone", "m1", 1, 1}}, {Mentor("m1", 2)}), Soon()),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ProposedCount(), 0);
}

TEST_P(MatchRepositoryTest, RerunKeepsIdenticalProposalsAndReplacesOthers) {
  for (const char* id : {"e1", "e2", "m1", "m2"}) AddMember(id);
  ASSERT_OK_AND_ASSIGN(
      CommitResult first,
      matches_->CommitProposals(kPool,
                                Spec({{"e1", "m1", 1, 1}, {"e2", "m2", 1, 1}},
                                     {Mentor("m1", 1), Mentor("m2", 1)}),
                                Soon()));
  ASSERT_OK_AND_ASSIGN(
      CommitResult same,
      matches_->CommitProposals(kPool,
                                Spec({{"e1", "m1", 1, 1}, {"e2", "m2", 1, 1}},
                                     {Mentor("m1", 1), Mentor("m2", 1)}),
                                Soon()));
  EXPECT_THAT(same.created, IsEmpty());
  EXPECT_EQ(same.kept, 2);
  EXPECT_EQ(same.discarded, 0);
  // Swap partners: both old proposals go, two new ones come; capacity 1
  // each still holds because the discarded ones free their seats first.
  ASSERT_OK_AND_ASSIGN(
      CommitResult swapped,
      matches_->CommitProposals(kPool,
                                Spec({{"e1", "m2", 1, 1}, {"e2", "m1", 1, 1}},
                                     {Mentor("m1", 1), Mentor("m2", 1)}),
                                Soon()));
  EXPECT_THAT(swapped.created, SizeIs(2));
  EXPECT_EQ(swapped.discarded, 2);
  EXPECT_EQ(ProposedCount(), 2);
  EXPECT_THAT(matches_->Get(kPool, first.created[0], Soon()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MatchRepositoryTest, StaleFencingTokenCannotCommit) {
  for (const char* id : {"e1", "m1"}) AddMember(id);
  const std::string lease = keys::JobLease(kPool);
  const std::string far =
      absl::StrCat(absl::ToUnixMillis(absl::Now()) + 600000);
  ASSERT_THAT(Inspect(lease, {"HSET", lease, "token", "5", "owner", "r1", "job",
                              "j1", "exp", far}),
              IsOk());
  CommitSpec spec = Spec({{"e1", "m1", 1, 1}}, {Mentor("m1", 1)});
  // A synchronous run (no token) is refused while a job holds the lease.
  spec.refuse_if_leased = true;
  EXPECT_THAT(matches_->CommitProposals(kPool, spec, Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("lease")));
  spec.refuse_if_leased = false;
  spec.fencing_token = 4;
  EXPECT_THAT(matches_->CommitProposals(kPool, spec, Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("stale lease")));
  EXPECT_EQ(ProposedCount(), 0);
  // The holder of the lease commits; once the lease expired, it cannot.
  spec.fencing_token = 5;
  ASSERT_THAT(Inspect(lease, {"HSET", lease, "exp", "1"}), IsOk());
  EXPECT_THAT(matches_->CommitProposals(kPool, spec, Soon()),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_THAT(Inspect(lease, {"HSET", lease, "exp", far}), IsOk());
  EXPECT_THAT(matches_->CommitProposals(kPool, spec, Soon()), IsOk());
  EXPECT_EQ(ProposedCount(), 1);
}

TEST_P(MatchRepositoryTest, TransitionsCheckTheCurrentState) {
  for (const char* id : {"e1", "e2", "m1"}) AddMember(id);
  ASSERT_OK_AND_ASSIGN(
      CommitResult c,
      matches_->CommitProposals(
          kPool,
          Spec({{"e1", "m1", 1, 1}, {"e2", "m1", 1, 1}}, {Mentor("m1", 2)}),
          Soon()));
  const std::string a = c.created[0], b = c.created[1];
  TransitionSpec end;
  end.op = "end";
  end.reason = "done";
  EXPECT_THAT(matches_->Transition(kPool, a, end, Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(matches_->Publish(kPool, {a}, "coord", Soon()), IsOk());
  EXPECT_THAT(matches_->Publish(kPool, {a, b}, "coord", Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(MatchRecord pb, matches_->Get(kPool, b, Soon()));
  EXPECT_EQ(pb.state, MatchState::kProposed);  // nothing published

  TransitionSpec accept;
  accept.op = "accept";
  accept.member = "nobody";
  EXPECT_THAT(matches_->Transition(kPool, a, accept, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  accept.member = "e1";
  ASSERT_OK_AND_ASSIGN(MatchRecord accepted,
                       matches_->Transition(kPool, a, accept, Soon()));
  EXPECT_TRUE(accepted.accepted_by_mentee);
  EXPECT_EQ(accepted.state, MatchState::kActive);

  // Decline: DECLINED, the pair excluded for good, the mentee freed.
  TransitionSpec decline;
  decline.op = "decline";
  decline.member = "m1";
  ASSERT_OK_AND_ASSIGN(MatchRecord declined,
                       matches_->Transition(kPool, b, decline, Soon()));
  EXPECT_EQ(declined.state, MatchState::kDeclined);
  EXPECT_EQ(MentorLoad("m1"), 1);
  EXPECT_THAT(matches_->Transition(kPool, b, decline, Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      matches_->CommitProposals(
          kPool, Spec({{"e2", "m1", 1, 1}}, {Mentor("m1", 2)}), Soon()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("excluded")));

  end.exclude = true;
  ASSERT_OK_AND_ASSIGN(MatchRecord ended,
                       matches_->Transition(kPool, a, end, Soon()));
  EXPECT_EQ(ended.state, MatchState::kEnded);
  EXPECT_EQ(ended.end_reason, "done");
  EXPECT_EQ(MentorLoad("m1"), 0);
  ASSERT_OK_AND_ASSIGN(MatchStateLoad state,
                       matches_->LoadState(kPool, Soon()));
  EXPECT_THAT(state.live, IsEmpty());
  EXPECT_THAT(state.excluded, SizeIs(2));
  EXPECT_THAT(matches_->Get(kPool, "x999999", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(matches_->Get(kPool, "not-an-id", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MatchRepositoryTest, ExpiredProposalsFreeCapacity) {
  for (const char* id : {"e1", "m1"}) AddMember(id);
  CommitSpec spec = Spec({{"e1", "m1", 1, 1}}, {Mentor("m1", 1)});
  spec.proposal_ttl = absl::Minutes(10);
  ASSERT_OK_AND_ASSIGN(CommitResult c,
                       matches_->CommitProposals(kPool, spec, Soon()));
  ASSERT_OK_AND_ASSIGN(int none, matches_->ExpireDue(kPool, 100, Soon()));
  EXPECT_EQ(none, 0);
  now_ms_ += 11 * 60 * 1000;
  ASSERT_OK_AND_ASSIGN(int expired, matches_->ExpireDue(kPool, 100, Soon()));
  EXPECT_EQ(expired, 1);
  ASSERT_OK_AND_ASSIGN(MatchRecord m,
                       matches_->Get(kPool, c.created[0], Soon()));
  EXPECT_EQ(m.state, MatchState::kExpired);
  EXPECT_EQ(MentorLoad("m1"), 0);
  EXPECT_EQ(ProposedCount(), 0);
  // Audited like every transition (SPEC §4), by the sweeper's actor.
  std::string audit = keys::Audit(kPool);
  absl::StatusOr<TestReply> entries =
      Inspect(audit, {"XRANGE", audit, "-", "+"});
  ASSERT_THAT(entries, IsOk());
  EXPECT_THAT(entries->DebugString(), HasSubstr("match.expire"));
  EXPECT_THAT(entries->DebugString(), HasSubstr("system:expiry"));
}

TEST_P(MatchRepositoryTest, ConcurrentManualMatchesRespectCapacity) {
  AddMember("m1");
  MentorCapacity mentor = Mentor("m1", 2);
  constexpr int kThreads = 50;
  for (int i = 0; i < kThreads; ++i) AddMember(absl::StrCat("e", i));
  std::atomic<int> ok{0}, full{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto client = NewClient();
      if (!client.ok()) {
        ++other;
        return;
      }
      MatchRepository repo(client->get());
      auto r = repo.CreateManual(kPool, {absl::StrCat("e", i), "m1", 1, 1},
                                 mentor, false, "", "coord", Soon());
      if (r.ok()) {
        ++ok;
      } else if (absl::IsFailedPrecondition(r.status())) {
        ++full;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(full.load(), kThreads - 2);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(MentorLoad("m1"), 2);
}

TEST_P(MatchRepositoryTest, ManualMatchRules) {
  for (const char* id : {"e1", "m1"}) AddMember(id);
  MentorCapacity m1 = Mentor("m1", 1);
  EXPECT_THAT(matches_->CreateManual(kPool, {"ghost", "m1", 1, 1}, m1, false,
                                     "", "coord", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(MatchRecord m,
                       matches_->CreateManual(kPool, {"e1", "m1", 1, 1}, m1,
                                              false, "", "coord", Soon()));
  EXPECT_EQ(m.state, MatchState::kActive);
  EXPECT_EQ(m.origin, "manual");
  EXPECT_FALSE(m.override);
  EXPECT_THAT(matches_->CreateManual(kPool, {"e1", "m1", 1, 1}, m1, true, "",
                                     "coord", Soon()),
              StatusIs(absl::StatusCode::kAlreadyExists));
  AddMember("e2");
  EXPECT_THAT(
      matches_->CreateManual(kPool, {"e2", "m1", 1, 1}, m1, false, "", "coord",
                             Soon()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("capacity")));
  ASSERT_OK_AND_ASSIGN(
      MatchRecord over,
      matches_->CreateManual(kPool, {"e2", "m1", 1, 1}, m1, true,
                             "pilot cohort, agreed by both", "coord", Soon()));
  EXPECT_TRUE(over.override);
  EXPECT_EQ(over.override_reason, "pilot cohort, agreed by both");
  EXPECT_EQ(m.override_reason, "");
  EXPECT_EQ(MentorLoad("m1"), 2);
  std::string audit = keys::Audit(kPool);
  absl::StatusOr<TestReply> entries =
      Inspect(audit, {"XRANGE", audit, "-", "+"});
  ASSERT_THAT(entries, IsOk());
  EXPECT_THAT(entries->DebugString(), HasSubstr("match.override"));
  // The free-text reason stays on the record, out of the audit stream.
  EXPECT_THAT(entries->DebugString(), ::testing::Not(HasSubstr("pilot")));
  ASSERT_THAT(matches_->EraseMember(kPool, "e2", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(MatchRecord erased,
                       matches_->Get(kPool, over.id, Soon()));
  EXPECT_EQ(erased.override_reason, "");
}

TEST_P(MatchRepositoryTest, EraseMemberEndsMatchesAndLeavesNoTrace) {
  for (const char* id : {"alice", "bob", "m1", "m2"}) AddMember(id);
  ASSERT_OK_AND_ASSIGN(CommitResult c,
                       matches_->CommitProposals(
                           kPool,
                           Spec({{"alice", "m1", 1, 1}, {"bob", "m2", 1, 1}},
                                {Mentor("m1", 1), Mentor("m2", 1)}),
                           Soon()));
  ASSERT_THAT(matches_->Publish(kPool, {}, "coord", Soon()), IsOk());
  // An earlier declined pair naming alice, to be erased too.
  AddMember("m3");
  TransitionSpec decline;
  decline.op = "decline";
  decline.member = "bob";
  ASSERT_THAT(matches_->Transition(kPool, c.created[1], decline, Soon()),
              IsOk());
  ASSERT_OK_AND_ASSIGN(int ended,
                       matches_->EraseMember(kPool, "alice", Soon()));
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(MentorLoad("m1"), 0);
  ASSERT_OK_AND_ASSIGN(MatchRecord m,
                       matches_->Get(kPool, c.created[0], Soon()));
  EXPECT_EQ(m.state, MatchState::kEnded);
  EXPECT_EQ(m.end_reason, "member_deleted");
  EXPECT_EQ(m.mentee, "");
  EXPECT_EQ(m.mentor, "m1");
  ASSERT_THAT(members_->Delete(kPool, "alice", {}, Soon()), IsOk());
  // No key names alice, and no hash field or set member holds her id
  // (streams may hold bare ids: SPEC §9).
  EXPECT_THAT(ScanAll("*alice*"), IsEmpty());
  for (const std::string& key : ScanAll(absl::StrCat("pm:{", kPool, "}:*"))) {
    absl::StatusOr<TestReply> type = Inspect(key, {"TYPE", key});
    ASSERT_THAT(type, IsOk());
    std::vector<std::string> cmd;
    if (type->str == "hash") cmd = {"HGETALL", key};
    if (type->str == "set") cmd = {"SMEMBERS", key};
    if (type->str == "zset") cmd = {"ZRANGE", key, "0", "-1"};
    if (type->str == "string") cmd = {"GET", key};
    if (cmd.empty()) continue;
    absl::StatusOr<TestReply> v = Inspect(key, cmd);
    ASSERT_THAT(v, IsOk());
    EXPECT_THAT(v->DebugString(), ::testing::Not(HasSubstr("alice"))) << key;
  }
  ASSERT_OK_AND_ASSIGN(MatchStateLoad state,
                       matches_->LoadState(kPool, Soon()));
  EXPECT_THAT(state.live, IsEmpty());
  EXPECT_THAT(state.excluded, SizeIs(1));  // bob|m2 stays
}

// Issue 11: a state filter used to be applied after paging, so a page held
// fewer than page_size matches even with more to come. Now every page but
// the last is full, and paging through returns exactly the filtered list
// (checked against the unfiltered listing, filtered here).
TEST_P(MatchRepositoryTest, FilteredListsReturnFullPages) {
  std::vector<Proposal> proposals;
  AddMember("m1");
  for (int i = 0; i < 40; ++i) {
    const std::string e = absl::StrCat("e", i);
    AddMember(e);
    proposals.push_back({e, "m1", 1, 1});
  }
  ASSERT_OK_AND_ASSIGN(CommitResult c,
                       matches_->CommitProposals(
                           kPool, Spec(proposals, {Mentor("m1", 40)}), Soon()));
  ASSERT_THAT(c.created, SizeIs(40));
  std::vector<std::string> publish;  // every third one becomes ACTIVE
  for (size_t i = 0; i < c.created.size(); i += 3) {
    publish.push_back(c.created[i]);
  }
  ASSERT_THAT(matches_->Publish(kPool, publish, "coord", Soon()), IsOk());

  ASSERT_OK_AND_ASSIGN(MatchPage all,
                       matches_->List(kPool, "", {}, 1000, 0, Soon()));
  ASSERT_THAT(all.matches, SizeIs(40));
  std::vector<std::string> want;
  for (const MatchRecord& m : all.matches) {
    if (m.state == MatchState::kActive) want.push_back(m.id);
  }
  ASSERT_THAT(want, SizeIs(publish.size()));

  std::vector<std::string> got;
  int64_t offset = 0;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(
        MatchPage page,
        matches_->List(kPool, "", {MatchState::kActive}, 4, offset, Soon()));
    if (page.next_offset != 0) {
      EXPECT_THAT(page.matches, SizeIs(4));
    }
    for (const MatchRecord& m : page.matches) got.push_back(m.id);
    offset = page.next_offset;
    ASSERT_LT(++pages, 20);
  } while (offset != 0);
  EXPECT_EQ(got, want);
}

INSTANTIATE_TEST_SUITE_P(Backends, MatchRepositoryTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);

}  // namespace
}  // namespace peermatch::store
