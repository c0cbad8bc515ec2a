// Property tests for matcher/groups on seeded random instances (R-GROUPS,
// R-GROUPQ, R-REGROUP, R-TEST). Every failure message names its seed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "matcher/groups.h"
#include "tests/matcher_groups/groups_test_util.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using testing::Instance;
using testing::InstanceShape;
using testing::OracleAudit;
using testing::OracleOptimize;
using testing::RandomInstance;

GroupingResult MustForm(const Instance& inst, const GroupingOptions& o = {}) {
  absl::StatusOr<GroupingResult> r =
      FormGroups(inst.members, inst.slots, inst.settings, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : GroupingResult{};
}

// The groups of `r` as stored ACTIVE groups "g0", "g1", ...
std::vector<ExistingGroup> AsActiveGroups(const GroupingResult& r) {
  std::vector<ExistingGroup> out;
  for (size_t g = 0; g < r.groups.size(); ++g) {
    out.push_back({"g" + std::to_string(g), ExistingGroupState::kActive,
                   r.groups[g].member_ids});
  }
  return out;
}

// A canonical text of everything a result says, for equality checks.
std::string Render(const GroupingResult& r) {
  std::string out;
  for (const GroupPlan& g : r.groups) {
    out += g.id + "[" + absl::StrJoin(g.member_ids, ",") +
           "] f=" + g.facilitator + " s=" + std::to_string(g.slot.start_slot) +
           " " + g.language + " " +
           std::to_string(static_cast<int>(g.modality)) + g.region + " fits=";
    for (double f : g.fits) out += std::to_string(f) + ",";
    out += "\n";
  }
  for (const UnplacedMember& u : r.unplaced) {
    out += u.id + ":" + std::string(UnplacedReasonName(u.reason)) + "\n";
  }
  for (const ChurnEntry& c : r.churn) {
    out += c.member_id + " " + c.from_group_id + "->" +
           std::to_string(c.to_group) + " " +
           ChurnReasonString(c.reason, c.detail) + "\n";
  }
  char totals[128];
  std::snprintf(totals, sizeof totals, "%d %.17g %d %.17g", r.placed,
                r.total_fit, r.size_deviation, r.upper_bound);
  return out + totals;
}

TEST(GroupFormationPropertyTest, HardConstraintsHoldOnRandomInstances) {
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    InstanceShape shape;
    shape.members = 4 + static_cast<int>(seed % 37);
    const Instance inst = RandomInstance(seed, shape);
    const GroupingResult r = MustForm(inst);
    const std::vector<std::string> errors = OracleAudit(inst, r);
    ASSERT_TRUE(errors.empty())
        << "seed " << seed << ": " << absl::StrJoin(errors, "; ");
  }
}

TEST(GroupFormationPropertyTest,
     HardConstraintsHoldOnLargerHeuristicInstances) {
  GroupingOptions heuristic;
  heuristic.exact_component_limit = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    InstanceShape shape;
    shape.members = 60 + static_cast<int>(seed % 5) * 40;
    shape.languages = 2;
    shape.random_settings = seed % 3 != 0;
    const Instance inst = RandomInstance(seed * 7919, shape);
    const GroupingResult r = MustForm(inst, heuristic);
    const std::vector<std::string> errors = OracleAudit(inst, r);
    ASSERT_TRUE(errors.empty())
        << "seed " << seed * 7919 << ": " << absl::StrJoin(errors, "; ");
  }
}

// The affinity has three code paths by tag vocabulary size (POPCNT up to 128
// tags, bit tests up to 1024, a merge beyond); the oracle checks every fit.
TEST(GroupFormationPropertyTest, FitsAreExactForEveryVocabularySize) {
  for (int tags : {100, 300, 2000}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      InstanceShape shape;
      shape.members = 40;
      shape.languages = 2;
      shape.tags = tags;
      shape.tag_probability = 6.0 / tags;
      const Instance inst = RandomInstance(seed * 911 + tags, shape);
      GroupingOptions o;
      o.exact_component_limit = 0;
      const GroupingResult r = MustForm(inst, o);
      const std::vector<std::string> errors = OracleAudit(inst, r);
      ASSERT_TRUE(errors.empty()) << "seed " << seed * 911 + tags << ": "
                                  << absl::StrJoin(errors, "; ");
    }
  }
}

// Stopping early, by budget or by the caller, still gives a valid result.
TEST(GroupFormationPropertyTest, StoppingEarlyKeepsEveryConstraint) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    InstanceShape shape;
    shape.members = 150;
    shape.languages = 2;
    const Instance inst = RandomInstance(seed * 4099, shape);
    GroupingOptions none;
    none.max_evaluations = 0;
    none.exact_component_limit = 0;
    const GroupingResult r0 = MustForm(inst, none);
    EXPECT_EQ(r0.evaluations, 0);
    EXPECT_TRUE(r0.budget_exhausted);
    ASSERT_TRUE(OracleAudit(inst, r0).empty()) << "seed " << seed * 4099;

    int polls = 0;
    GroupingOptions interrupted;
    interrupted.exact_component_limit = 0;
    interrupted.should_stop = [&polls] { return ++polls >= 2; };
    const GroupingResult r1 = MustForm(inst, interrupted);
    ASSERT_TRUE(OracleAudit(inst, r1).empty()) << "seed " << seed * 4099;
    GroupingOptions unlimited;
    unlimited.exact_component_limit = 0;
    const GroupingResult r2 = MustForm(inst, unlimited);
    if (r2.evaluations > 2048) {
      EXPECT_TRUE(r1.stopped_early) << "seed " << seed * 4099;
      EXPECT_LT(r1.evaluations, r2.evaluations) << "seed " << seed * 4099;
    }
    EXPECT_FALSE(r2.stopped_early);
  }
}

// R-GROUPQ: on instances small enough for exhaustive search, placement
// equals the optimum's and total fit is within 5% of it. The default options
// solve such components exactly, so criteria (3) and (4) must agree too.
TEST(GroupFormationPropertyTest, MatchesExhaustiveOptimumOnSmallInstances) {
  int nontrivial = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    InstanceShape shape;
    shape.members = 4 + static_cast<int>(seed % 7);  // 4..10
    shape.languages = 2;
    shape.safety_hold = 0.02;
    const Instance inst = RandomInstance(seed * 104729, shape);
    const testing::OracleOptimum opt = OracleOptimize(inst);
    const GroupingResult r = MustForm(inst);
    ASSERT_EQ(r.placed, opt.placed) << "seed " << seed * 104729;
    ASSERT_GE(r.total_fit, 0.95 * opt.total_fit - 1e-9)
        << "seed " << seed * 104729;
    std::vector<std::vector<std::string>> groups;
    for (const GroupPlan& g : r.groups) groups.push_back(g.member_ids);
    EXPECT_EQ(groups, opt.groups) << "seed " << seed * 104729;
    EXPECT_EQ(r.size_deviation, opt.deviation) << "seed " << seed * 104729;
    if (opt.placed > 0) ++nontrivial;
  }
  // The generator must produce instances where grouping is possible at all.
  EXPECT_GE(nontrivial, 150);
}

// The heuristic alone (no exact solver) on the same kind of instances.
TEST(GroupFormationPropertyTest, HeuristicIsNearOptimalOnSmallInstances) {
  GroupingOptions heuristic;
  heuristic.exact_component_limit = 0;
  int instances = 0, same_placed = 0;
  double ratio_sum = 0, worst_ratio = 1;
  uint64_t worst_seed = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    InstanceShape shape;
    shape.members = 4 + static_cast<int>(seed % 7);
    shape.languages = 2;
    shape.safety_hold = 0.02;
    const Instance inst = RandomInstance(seed * 104729, shape);
    const testing::OracleOptimum opt = OracleOptimize(inst);
    if (opt.placed == 0) continue;
    const GroupingResult r = MustForm(inst, heuristic);
    ASSERT_TRUE(OracleAudit(inst, r).empty()) << "seed " << seed * 104729;
    ASSERT_LE(r.placed, opt.placed) << "seed " << seed * 104729;
    ++instances;
    if (r.placed == opt.placed) {
      ++same_placed;
      const double ratio = opt.total_fit > 0 ? r.total_fit / opt.total_fit : 1;
      ratio_sum += ratio;
      if (ratio < worst_ratio) worst_ratio = ratio, worst_seed = seed * 104729;
    }
  }
  const double placed_share = static_cast<double>(same_placed) / instances;
  const double mean_ratio = ratio_sum / same_placed;
  std::printf(
      "heuristic: %d instances, optimal placement in %.1f%%, mean fit "
      "ratio %.4f, worst %.4f (seed %llu)\n",
      instances, 100 * placed_share, mean_ratio, worst_ratio,
      static_cast<unsigned long long>(worst_seed));
  EXPECT_GE(placed_share, 0.95);
  EXPECT_GE(mean_ratio, 0.97);
}

TEST(GroupFormationPropertyTest, SameResultForEveryInputOrder) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    InstanceShape shape;
    shape.members = 20 + static_cast<int>(seed % 4) * 30;
    shape.languages = 2;
    const Instance inst = RandomInstance(seed * 31337, shape);
    GroupingOptions o;
    o.exact_component_limit = seed % 2 == 0 ? 12 : 0;
    const std::string want = Render(MustForm(inst, o));
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 4; ++round) {
      std::vector<int> perm(inst.members.size());
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      Instance shuffled;
      shuffled.settings = inst.settings;
      for (int p : perm) {
        shuffled.members.push_back(inst.members[p]);
        shuffled.slots.push_back(inst.slots[p]);
      }
      ASSERT_EQ(Render(MustForm(shuffled, o)), want)
          << "seed " << seed * 31337 << " round " << round;
    }
  }
}

// R-REGROUP: regrouping the result of a formation on the same pool moves
// nobody; after adding members, every kept group keeps its members.
TEST(RegroupPropertyTest, KeptGroupsKeepTheirMembers) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    InstanceShape shape;
    shape.members = 30 + static_cast<int>(seed % 50);
    shape.languages = 2;
    Instance inst = RandomInstance(seed * 65537, shape);
    GroupingOptions o;
    o.exact_component_limit = seed % 2 == 0 ? 12 : 0;
    const GroupingResult first = MustForm(inst, o);
    const std::vector<ExistingGroup> existing = AsActiveGroups(first);
    ASSERT_OK_AND_ASSIGN(
        GroupingResult same,
        Regroup(inst.members, inst.slots, existing, inst.settings, o));
    EXPECT_EQ(same.groups_kept, static_cast<int>(existing.size()))
        << "seed " << seed * 65537;
    for (const ChurnEntry& c : same.churn) {
      ASSERT_EQ(c.from_group_id, "") << "seed " << seed * 65537;
    }

    // Add members with fresh ids.
    InstanceShape more = shape;
    more.members = 15;
    Instance extra = RandomInstance(seed * 65537 + 1, more);
    for (size_t i = 0; i < extra.members.size(); ++i) {
      extra.members[i].id = "new" + std::to_string(i);
      inst.members.push_back(extra.members[i]);
      inst.slots.push_back(extra.slots[i]);
    }
    ASSERT_OK_AND_ASSIGN(GroupingResult r, Regroup(inst.members, inst.slots,
                                                   existing, inst.settings, o));
    const std::vector<std::string> errors = OracleAudit(inst, r);
    ASSERT_TRUE(errors.empty())
        << "seed " << seed * 65537 << ": " << absl::StrJoin(errors, "; ");
    for (const ExistingGroup& e : existing) {
      const auto it =
          std::find_if(r.groups.begin(), r.groups.end(),
                       [&](const GroupPlan& g) { return g.id == e.id; });
      ASSERT_NE(it, r.groups.end()) << "seed " << seed * 65537 << " " << e.id;
      for (const std::string& m : e.member_ids) {
        EXPECT_TRUE(std::count(it->member_ids.begin(), it->member_ids.end(), m))
            << "seed " << seed * 65537 << " " << m << " left " << e.id;
      }
    }
    for (const ChurnEntry& c : r.churn) {
      EXPECT_EQ(c.reason, ChurnReason::kNewMember) << "seed " << seed * 65537;
    }
  }
}

// Full regroups keep every constraint and report every moved member.
TEST(RegroupPropertyTest, FullRegroupReportsEveryMove) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    InstanceShape shape;
    shape.members = 40 + static_cast<int>(seed % 40);
    shape.languages = 2;
    Instance inst = RandomInstance(seed * 257, shape);
    inst.settings.churn_weight = (seed % 4) * 0.05;
    GroupingOptions o;
    o.max_evaluations = 0;  // a deliberately unpolished starting point
    o.exact_component_limit = 0;
    const GroupingResult first = MustForm(inst, o);
    const std::vector<ExistingGroup> existing = AsActiveGroups(first);
    GroupingOptions full;
    full.full = true;
    ASSERT_OK_AND_ASSIGN(
        GroupingResult r,
        Regroup(inst.members, inst.slots, existing, inst.settings, full));
    ASSERT_TRUE(OracleAudit(inst, r).empty()) << "seed " << seed * 257;
    EXPECT_GE(r.placed, first.placed) << "seed " << seed * 257;
    // Members of the existing groups whose group is now another one, or
    // none (a full regroup may also swap an unplaced member in).
    int moved = 0;
    for (const ExistingGroup& e : existing) {
      for (const std::string& m : e.member_ids) {
        std::string now;
        for (const GroupPlan& g : r.groups) {
          if (std::count(g.member_ids.begin(), g.member_ids.end(), m))
            now = g.id;
        }
        if (now != e.id) ++moved;
      }
    }
    int reported = 0;
    for (const ChurnEntry& c : r.churn) {
      if (c.reason == ChurnReason::kFullRegroup) ++reported;
    }
    EXPECT_EQ(reported, moved) << "seed " << seed * 257;
    // Net of churn, a full regroup that places the same members never makes
    // the kept solution worse.
    if (r.placed == first.placed) {
      EXPECT_GE(r.total_fit - inst.settings.churn_weight * moved,
                first.total_fit - 1e-9)
          << "seed " << seed * 257;
    }
  }
}

}  // namespace
}  // namespace peermatch::matcher
