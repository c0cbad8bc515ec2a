// R-STABLE / R-TEST: deferred acceptance on rank lists. Properties on
// thousands of seeded random instances (no blocking pair by the independent
// verifier, capacities, acceptability), optimality of each side against a
// brute-force enumeration of all stable matchings, and invariance under
// relabelling.
#include "matcher/stable_matching.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/verifier.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;

using Lists = std::vector<std::vector<int32_t>>;

struct Instance {
  Lists mentee_lists;
  Lists mentor_lists;
  std::vector<int32_t> capacity;
  RankLists Build() const {
    return RankLists::FromVectors(mentee_lists, mentor_lists, capacity);
  }
};

// Random lists: each side lists a random subset of the other in random
// order; the two sides need not agree (only mutual entries are acceptable).
Instance RandomInstance(std::mt19937_64& rng, int mentees, int mentors,
                        int max_capacity, double density,
                        int min_capacity = 0) {
  Instance in;
  std::bernoulli_distribution keep(density);
  auto random_list = [&](int n) {
    std::vector<int32_t> list;
    for (int i = 0; i < n; ++i) {
      if (keep(rng)) list.push_back(i);
    }
    std::shuffle(list.begin(), list.end(), rng);
    return list;
  };
  for (int e = 0; e < mentees; ++e)
    in.mentee_lists.push_back(random_list(mentors));
  for (int m = 0; m < mentors; ++m) {
    in.mentor_lists.push_back(random_list(mentees));
    in.capacity.push_back(
        std::uniform_int_distribution<int>(min_capacity, max_capacity)(rng));
  }
  return in;
}

bool Contains(const std::vector<int32_t>& list, int32_t x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

int RankIn(const std::vector<int32_t>& list, int32_t x) {
  return static_cast<int>(std::find(list.begin(), list.end(), x) -
                          list.begin());
}

// Every stable matching of a tiny instance, by enumerating every assignment
// that respects acceptability and capacities and keeping those the verifier
// passes.
std::vector<std::vector<int32_t>> AllStableMatchings(const Instance& in) {
  const RankLists lists = in.Build();
  const int n = static_cast<int>(in.mentee_lists.size());
  std::vector<std::vector<int32_t>> stable;
  std::vector<int32_t> mentor_of(n, -1);
  std::vector<int32_t> load(in.capacity.size(), 0);
  auto recurse = [&](auto&& self, int e) -> void {
    if (e == n) {
      if (VerifyStableMatching(lists, mentor_of).ok()) {
        stable.push_back(mentor_of);
      }
      return;
    }
    mentor_of[e] = -1;
    self(self, e + 1);
    for (int32_t m : in.mentee_lists[e]) {
      if (!Contains(in.mentor_lists[m], e) || load[m] >= in.capacity[m]) {
        continue;
      }
      mentor_of[e] = m;
      ++load[m];
      self(self, e + 1);
      --load[m];
      mentor_of[e] = -1;
    }
  };
  recurse(recurse, 0);
  return stable;
}

TEST(StableMatchingTest, TextbookInstanceBothSides) {
  // Mentees A, B, C = 0, 1, 2; mentors X, Y, Z = 0, 1, 2; capacity 1.
  // A: X Y Z   B: Y X Z   C: X Y Z
  // X: B A C   Y: A B C   Z: A B C
  // Mentee-proposing: A->X, B->Y, C->X (X keeps A), C->Y (Y keeps B), C->Z.
  // Mentor-proposing: X->B, Y->A, Z->A (A keeps Y), Z->B (B keeps X), Z->C.
  Instance in{{{0, 1, 2}, {1, 0, 2}, {0, 1, 2}},
              {{1, 0, 2}, {0, 1, 2}, {0, 1, 2}},
              {1, 1, 1}};
  ASSERT_OK_AND_ASSIGN(StableMatching e,
                       SolveStableMatching(in.Build(), ProposingSide::kMentee));
  EXPECT_THAT(e.mentor_of, ElementsAre(0, 1, 2));
  EXPECT_THAT(e.mentee_rank, ElementsAre(1, 1, 3));
  EXPECT_THAT(e.mentor_rank, ElementsAre(2, 2, 3));
  EXPECT_EQ(e.stats.matched, 3);
  EXPECT_DOUBLE_EQ(e.stats.mean_mentee_rank, 5.0 / 3);
  EXPECT_EQ(e.stats.worst_mentee_rank, 3);
  ASSERT_OK_AND_ASSIGN(StableMatching m,
                       SolveStableMatching(in.Build(), ProposingSide::kMentor));
  EXPECT_THAT(m.mentor_of, ElementsAre(1, 0, 2));
  EXPECT_THAT(m.mentor_rank, ElementsAre(1, 1, 3));
}

TEST(StableMatchingTest, CapacitiesAndMutualAcceptability) {
  // Mentor 0 (capacity 2) ranks 2, 0, 1; everyone wants mentor 0 first.
  // Mentee 3 lists mentor 1, which does not list it back.
  Instance in{{{0, 1}, {0, 1}, {0}, {1}}, {{2, 0, 1}, {1}}, {2, 1}};
  ASSERT_OK_AND_ASSIGN(StableMatching r,
                       SolveStableMatching(in.Build(), ProposingSide::kMentee));
  EXPECT_THAT(r.mentor_of, ElementsAre(0, 1, 0, -1));
  EXPECT_THAT(r.assigned, ElementsAre(2, 1));
  EXPECT_THAT(r.had_acceptable, ElementsAre(true, true, true, false));
}

TEST(StableMatchingTest, RejectsMalformedLists) {
  Instance bad_entry{{{2}}, {{0}}, {1}};
  EXPECT_THAT(SolveStableMatching(bad_entry.Build(), ProposingSide::kMentee),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Instance repeated{{{0, 0}}, {{0}}, {1}};
  EXPECT_THAT(SolveStableMatching(repeated.Build(), ProposingSide::kMentee),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("repeated")));
  Instance negative{{{0}}, {{0}}, {-1}};
  EXPECT_THAT(SolveStableMatching(negative.Build(), ProposingSide::kMentor),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Instance sizes{{{0}}, {{0}}, {1, 1}};
  EXPECT_THAT(SolveStableMatching(sizes.Build(), ProposingSide::kMentee),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StableMatchingTest, NoBlockingPairOnRandomInstances) {
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    std::mt19937_64 rng(seed);
    const int mentees = std::uniform_int_distribution<int>(0, 40)(rng);
    const int mentors = std::uniform_int_distribution<int>(0, 15)(rng);
    const double density = std::uniform_real_distribution<double>(0, 1)(rng);
    Instance in = RandomInstance(rng, mentees, mentors, 4, density);
    const RankLists lists = in.Build();
    for (ProposingSide side :
         {ProposingSide::kMentee, ProposingSide::kMentor}) {
      auto r = SolveStableMatching(lists, side);
      ASSERT_TRUE(r.ok()) << "seed " << seed;
      VerificationReport v = VerifyStableMatching(lists, r->mentor_of);
      ASSERT_EQ(v.blocking_pairs, 0) << "seed " << seed;
      ASSERT_EQ(v.capacity_violations, 0) << "seed " << seed;
      ASSERT_EQ(v.unacceptable_pairs, 0) << "seed " << seed;
      for (int32_t m = 0; m < mentors; ++m) {
        ASSERT_LE(r->assigned[m], in.capacity[m]) << "seed " << seed;
      }
      for (int32_t e = 0; e < mentees; ++e) {
        const int32_t m = r->mentor_of[e];
        if (m < 0) continue;
        ASSERT_EQ(r->mentee_rank[e], RankIn(in.mentee_lists[e], m) + 1);
        ASSERT_EQ(r->mentor_rank[e], RankIn(in.mentor_lists[m], e) + 1);
      }
    }
  }
}

TEST(StableMatchingTest, EachSideGetsItsOptimumByBruteForce) {
  int instances_with_choice = 0;
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    std::mt19937_64 rng(seed);
    const int mentees = std::uniform_int_distribution<int>(1, 7)(rng);
    const int mentors = std::uniform_int_distribution<int>(1, 4)(rng);
    Instance in = RandomInstance(rng, mentees, mentors, 2, 0.9,
                                 /*min_capacity=*/seed % 4 == 0 ? 0 : 1);
    const std::vector<std::vector<int32_t>> all = AllStableMatchings(in);
    // A stable matching always exists.
    ASSERT_FALSE(all.empty()) << "seed " << seed;
    instances_with_choice += all.size() > 1;
    ASSERT_OK_AND_ASSIGN(
        StableMatching by_mentee,
        SolveStableMatching(in.Build(), ProposingSide::kMentee));
    ASSERT_OK_AND_ASSIGN(
        StableMatching by_mentor,
        SolveStableMatching(in.Build(), ProposingSide::kMentor));
    ASSERT_NE(std::find(all.begin(), all.end(), by_mentee.mentor_of), all.end())
        << "seed " << seed;
    ASSERT_NE(std::find(all.begin(), all.end(), by_mentor.mentor_of), all.end())
        << "seed " << seed;
    // Mentee-optimal: no stable matching gives any mentee a better partner.
    // Mentor-optimal is mentee-pessimal (the lattice of stable matchings):
    // no stable matching gives any mentee a worse one. Unmatched is worst;
    // by the rural hospitals theorem the same mentees are matched in all.
    auto rank = [&](int e, int32_t m) {
      return m < 0 ? 1 << 20 : RankIn(in.mentee_lists[e], m);
    };
    for (const auto& other : all) {
      for (int e = 0; e < mentees; ++e) {
        ASSERT_LE(rank(e, by_mentee.mentor_of[e]), rank(e, other[e]))
            << "seed " << seed << " mentee " << e;
        ASSERT_GE(rank(e, by_mentor.mentor_of[e]), rank(e, other[e]))
            << "seed " << seed << " mentee " << e;
        ASSERT_EQ(by_mentee.mentor_of[e] < 0, other[e] < 0) << "seed " << seed;
      }
    }
  }
  // The check means something only if many instances have several stable
  // matchings.
  EXPECT_GT(instances_with_choice, 50) << instances_with_choice;
}

TEST(StableMatchingTest, SameResultForEveryRelabelling) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed);
    Instance in = RandomInstance(rng, 25, 8, 3, 0.5);
    std::vector<int32_t> pe(25), pm(8);  // old -> new labels
    std::iota(pe.begin(), pe.end(), 0);
    std::iota(pm.begin(), pm.end(), 0);
    std::shuffle(pe.begin(), pe.end(), rng);
    std::shuffle(pm.begin(), pm.end(), rng);
    Instance out;
    out.mentee_lists.resize(25);
    out.mentor_lists.resize(8);
    out.capacity.resize(8);
    for (int e = 0; e < 25; ++e) {
      for (int32_t m : in.mentee_lists[e])
        out.mentee_lists[pe[e]].push_back(pm[m]);
    }
    for (int m = 0; m < 8; ++m) {
      for (int32_t e : in.mentor_lists[m])
        out.mentor_lists[pm[m]].push_back(pe[e]);
      out.capacity[pm[m]] = in.capacity[m];
    }
    for (ProposingSide side :
         {ProposingSide::kMentee, ProposingSide::kMentor}) {
      ASSERT_OK_AND_ASSIGN(StableMatching a,
                           SolveStableMatching(in.Build(), side));
      ASSERT_OK_AND_ASSIGN(StableMatching b,
                           SolveStableMatching(out.Build(), side));
      for (int e = 0; e < 25; ++e) {
        const int32_t m = a.mentor_of[e];
        ASSERT_EQ(b.mentor_of[pe[e]], m < 0 ? -1 : pm[m]) << "seed " << seed;
      }
    }
  }
}

TEST(VerifierTest, CountsBlockingPairsAndViolations) {
  // The textbook instance: A-Y, B-X, C-Z is stable; A-Z, B-Y, C-X is not.
  Instance in{{{0, 1, 2}, {1, 0, 2}, {0, 1, 2}},
              {{1, 0, 2}, {0, 1, 2}, {0, 1, 2}},
              {1, 1, 1}};
  const RankLists lists = in.Build();
  EXPECT_TRUE(VerifyStableMatching(lists, {1, 0, 2}).ok());
  // A-Z, B-Y, C-X: A prefers X and X prefers A to C: blocking; A prefers Y
  // and Y prefers A to B: blocking. 2 in all.
  EXPECT_EQ(VerifyStableMatching(lists, {2, 1, 0}).blocking_pairs, 2);
  // Everyone unmatched: each of the 9 acceptable pairs blocks.
  EXPECT_EQ(VerifyStableMatching(lists, {-1, -1, -1}).blocking_pairs, 9);
  // Two mentees on a capacity-1 mentor.
  EXPECT_EQ(VerifyStableMatching(lists, {0, 0, 2}).capacity_violations, 1);
  // A pair the mentor does not list.
  Instance one_sided{{{0}}, {{}}, {1}};
  EXPECT_EQ(VerifyStableMatching(one_sided.Build(), {0}).unacceptable_pairs, 1);
}

}  // namespace
}  // namespace peermatch::matcher
