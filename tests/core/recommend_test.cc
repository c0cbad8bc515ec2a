// core::Recommender on fake stores (issue 11, R-RECOMMEND, SPEC §6): the
// replica's own member and match writes update its snapshot in place — the
// candidate index is not rebuilt over the pool — and every answer still
// equals a brute-force ranking of the pool as it now is.
#include "service/core/recommend.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/common/metrics.h"
#include "service/core/members.h"
#include "service/core/pools.h"
#include "tests/core/core_test_util.h"
#include "tests/support/status_matchers.h"

namespace peermatch::core {
namespace {

using ::peermatch::testing::CoreTest;
using ::peermatch::testing::kPool;
using ::peermatch::testing::Mentee;
using ::peermatch::testing::Mentor;
using ::peermatch::testing::Soon;

class RecommenderTest : public CoreTest {
 protected:
  RecommenderTest()
      : recommender_(snapshots_.get()),
        members_core_(&members_, snapshots_.get(), nullptr) {}

  void SetUp() override {
    for (int i = 0; i < 30; ++i)
      Store(Vary(Mentor(absl::StrCat("m", i), 2), i));
    for (int i = 0; i < 12; ++i) Store(Vary(Mentee(absl::StrCat("e", i)), i));
  }
  // Tags, stages and availability that differ by member, so scores differ.
  static matcher::MemberProfile Vary(matcher::MemberProfile p, int i) {
    const char* kTags[] = {"crowds", "calls", "parties", "work", "school"};
    p.triggers = {kTags[i % 5], kTags[(i / 2) % 5]};
    std::sort(p.triggers.begin(), p.triggers.end());
    p.triggers.erase(std::unique(p.triggers.begin(), p.triggers.end()),
                     p.triggers.end());
    p.interests = {kTags[(i + 1) % 5]};
    if (p.mentor_capacity > 0) p.recovery_stage = 4 + i % 2;
    p.availability = {{1, 60 * (i % 6), 60 * (i % 6) + 240}};
    return p;
  }
  double Builds() {
    return MetricsRegistry::Default()
        .GetCounter("peermatch_snapshot_index_builds_total",
                    "candidate index builds over a whole pool",
                    {{"pool", kPool}})
        ->value();
  }
  // The expected answer, by brute force over the snapshot's pool: every
  // eligible mentor with free capacity whose pair is acceptable, by score,
  // then id.
  std::vector<std::string> BruteForce(const std::string& mentee, int k) {
    std::vector<std::pair<int32_t, std::string>> ranked;
    EXPECT_TRUE(snapshots_
                    ->Read(kPool, Soon(),
                           [&](const snapshot::PoolView& v) {
                             const matcher::CompiledPool& p = v.pool();
                             const matcher::MemberIndex e = *p.Find(mentee);
                             const int32_t min = v.scorer().min_score_micros();
                             for (matcher::MemberIndex m : p.by_id()) {
                               if (!v.scorer().EligibleMentor(m) ||
                                   v.free_capacity(m) <= 0) {
                                 continue;
                               }
                               matcher::PairScores s;
                               if (v.scorer().Score(e, m, &s) &&
                                   s.mentee_micros >= min &&
                                   s.mentor_micros >= min) {
                                 ranked.push_back({-s.mentee_micros, p.id(m)});
                               }
                             }
                             return absl::OkStatus();
                           })
                    .ok());
    std::sort(ranked.begin(), ranked.end());
    std::vector<std::string> out;
    for (size_t i = 0; i < ranked.size() && i < static_cast<size_t>(k); ++i) {
      out.push_back(ranked[i].second);
    }
    return out;
  }
  // Returns every mentor recommended to anyone.
  std::set<std::string> ExpectAllAnswersMatchBruteForce() {
    std::set<std::string> seen;
    for (int i = 0; i < 12; ++i) {
      const std::string e = absl::StrCat("e", i);
      RecommendQuery q;
      q.mentee = e;
      q.k = 7;
      absl::StatusOr<Recommendations> r =
          recommender_.Recommend(kPool, q, Soon());
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) continue;
      std::vector<std::string> got;
      for (const Recommendation& m : r->mentors) got.push_back(m.mentor_id);
      EXPECT_EQ(got, BruteForce(e, 7)) << e;
      seen.insert(got.begin(), got.end());
    }
    return seen;
  }

  Recommender recommender_;
  Members members_core_;
};

TEST_F(RecommenderTest, OwnWritesKeepTheIndexAndMatchABruteForceRanking) {
  ASSERT_TRUE(ExpectAllAnswersMatchBruteForce().contains("m4"));
  const double builds = Builds();
  ASSERT_GE(builds, 1);

  // Member writes: a mentor changes, one fills up (capacity 0), one is new,
  // one is erased (its index is then reused by another new mentor), and a
  // mentee changes.
  auto upsert = [&](matcher::MemberProfile p) {
    ASSERT_TRUE(members_core_.Upsert(kPool, {p, std::nullopt}, Soon()).ok());
  };
  upsert(Vary(Mentor("m3", 2), 17));
  upsert(Vary(Mentor("m4", 0), 4));
  upsert(Vary(Mentor("m99", 1), 9));
  ASSERT_TRUE(members_.Delete(kPool, "m5", {}, Soon()).ok());
  snapshots_->RemoveMember(kPool, "m5");
  upsert(Vary(Mentor("m98", 3), 5));
  upsert(Vary(Mentee("e2"), 7));
  std::set<std::string> seen = ExpectAllAnswersMatchBruteForce();
  EXPECT_FALSE(seen.contains("m4"));  // full now
  EXPECT_FALSE(seen.contains("m5"));  // erased
  EXPECT_TRUE(seen.contains("m99") || seen.contains("m98"));

  // A match write: m6 and m7 become full, as the store reports after the
  // replica invalidates its match state.
  for (const char* mentor : {"m6", "m7"}) {
    for (int j = 0; j < 2; ++j) {
      store::MatchRecord m;
      m.id = absl::StrCat(mentor, "-", j);
      m.mentee = absl::StrCat("x", j);
      m.mentor = mentor;
      m.state = store::MatchState::kActive;
      matches_.pools[kPool][m.id] = m;
    }
  }
  snapshots_->InvalidateMatches(kPool);
  seen = ExpectAllAnswersMatchBruteForce();
  EXPECT_FALSE(seen.contains("m6"));
  EXPECT_FALSE(seen.contains("m7"));
  EXPECT_EQ(Builds(), builds);  // no rebuild over the pool

  // New settings rebuild the scorer and the index.
  Pools pools(&settings_, &matches_, &groups_, snapshots_.get());
  ASSERT_TRUE(pools
                  .UpdateSettings(kPool, std::nullopt,
                                  [](store::PoolConfig* c) {
                                    c->matcher.min_score = 0.2;
                                    return absl::OkStatus();
                                  },
                                  {"coord", Soon()})
                  .ok());
  ExpectAllAnswersMatchBruteForce();
  EXPECT_EQ(Builds(), builds + 1);
}

}  // namespace
}  // namespace peermatch::core
