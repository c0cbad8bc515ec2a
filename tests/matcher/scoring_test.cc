// R-SCORE: hard constraints, components, pinned arithmetic, explanations.
// Hand examples are computed in the comments; random pairs are checked
// against an independent reference implementation (reference_scorer.cc).
#include "matcher/scoring.h"

#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/time.h"
#include "tests/matcher/random_pool.h"
#include "tests/matcher/reference_scorer.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using ::peermatch::testing::StatusIs;
using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const ReferenceWeek kWeek = ReferenceWeekContaining(
    absl::FromCivil(absl::CivilDay(2026, 3, 11), absl::UTCTimeZone()));

MemberProfile Mentee(std::string id) {
  MemberProfile p;
  p.id = std::move(id);
  p.roles = RoleBit(Role::kMentee);
  p.recovery_stage = 2;
  p.availability = {{1, 18 * 60, 21 * 60}};
  p.languages = {"en"};
  p.modalities = {Modality::kText};
  p.screened = true;
  return p;
}

MemberProfile Mentor(std::string id) {
  MemberProfile p = Mentee(std::move(id));
  p.roles = RoleBit(Role::kMentor);
  p.recovery_stage = 4;
  p.mentor_capacity = 2;
  return p;
}

// A pool of exactly {e, m} (indices found by id) and a scorer over it.
struct Pair {
  explicit Pair(const MemberProfile& e, const MemberProfile& m,
                PoolSettings settings = {},
                std::vector<ExcludedPair> exclusions = {}) {
    std::vector<MemberProfile> members = {e, m};
    pool.emplace(*CompiledPool::Compile(members, exclusions, kWeek, &zones));
    scorer.emplace(*Scorer::Create(*pool, settings));
    ie = *pool->Find(e.id);
    im = *pool->Find(m.id);
  }
  bool Score(PairScores* s) const { return scorer->Score(ie, im, s); }
  PairExplanation Explain() const { return scorer->Explain(ie, im); }

  TimeZoneCache zones;
  std::optional<CompiledPool> pool;
  std::optional<Scorer> scorer;
  MemberIndex ie = 0, im = 0;
};

TEST(ScoringTest, HandExampleWithEveryComponent) {
  MemberProfile e = Mentee("e");
  e.triggers = {"a", "b", "c", "d"};
  e.interests = {"x", "y"};
  e.modalities = {Modality::kVideo, Modality::kText};
  e.languages = {"de-DE", "en"};
  MemberProfile m = Mentor("m");
  m.triggers = {"b", "c", "z"};
  m.interests = {"v", "w", "y"};
  m.availability = {{1, 19 * 60, 23 * 60}};
  m.languages = {"en-GB"};
  Pair p(e, m);
  // triggers 2/4; interests {y}/{v,w,x,y} = 1/4; stage gap 2 = ideal -> 1;
  // overlap 19:00-21:00 = 120 min / 180; modality VIDEO not shared -> 0.5;
  // language "de" not the mentor's -> 0.5.
  // Mentee view: .35*.5 + .2*.25 + .15*1 + .15*(2/3) + .1*.5 + .05*.5 = .55
  // Mentor view: .3*.5 + .3*.25 + .2*1 + .2*(2/3) = .558333...
  PairScores s;
  ASSERT_TRUE(p.Score(&s));
  EXPECT_EQ(s.mentee_micros, 550000);
  EXPECT_EQ(s.mentor_micros, 558333);
  PairExplanation x = p.Explain();
  EXPECT_TRUE(x.acceptable);
  EXPECT_THAT(x.failed_constraints, IsEmpty());
  EXPECT_EQ(x.overlap_minutes, 120);
  EXPECT_THAT(x.shared_triggers, ElementsAre("b", "c"));
  EXPECT_THAT(x.shared_interests, ElementsAre("y"));
  EXPECT_THAT(x.shared_languages, ElementsAre("en"));
  EXPECT_THAT(x.shared_modalities, ElementsAre(Modality::kText));
  const double expected[] = {0.5, 0.25, 1.0, 120.0 / 180.0, 0.5, 0.5};
  double total = 0;
  for (int k = 0; k < kNumComponents; ++k) {
    EXPECT_EQ(x.mentee_view.components[k].name, kComponentNames[k]);
    EXPECT_THAT(x.mentee_view.components[k].value, DoubleEq(expected[k]));
    total += x.mentee_view.components[k].contribution;
  }
  EXPECT_NEAR(total, 0.55, 1e-12);
  EXPECT_EQ(x.mentee_view.score_micros, 550000);
  EXPECT_EQ(x.mentor_view.score_micros, 558333);
  EXPECT_DOUBLE_EQ(x.mentor_view.components[4].weight, 0.0);
  EXPECT_DOUBLE_EQ(x.mentor_view.components[4].contribution, 0.0);
  EXPECT_DOUBLE_EQ(x.mentor_view.score(), 0.558333);
}

TEST(ScoringTest, TriggersComponent) {
  MemberProfile e = Mentee("e"), m = Mentor("m");
  // Only triggers weigh: score = the component.
  PoolSettings s;
  s.mentee_weights = {1, 0, 0, 0, 0, 0};
  e.triggers = {"a", "b", "c"};
  m.triggers = {"a", "c", "d", "e"};  // 2 of e's 3: 0.666667
  PairScores out;
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 666667);
  e.triggers = {};  // empty T_e: 0, whatever the mentor has
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 0);
  e.triggers = {"d"};  // not symmetric: |T_e ∩ T_m| / |T_e| = 1
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 1000000);
}

TEST(ScoringTest, InterestsComponentIsJaccard) {
  MemberProfile e = Mentee("e"), m = Mentor("m");
  PoolSettings s;
  s.mentee_weights = {0, 1, 0, 0, 0, 0};
  PairScores out;
  ASSERT_TRUE(Pair(e, m, s).Score(&out));  // both empty: 0
  EXPECT_EQ(out.mentee_micros, 0);
  e.interests = {"a", "b", "c"};
  m.interests = {"b", "c", "d", "e", "f"};  // 2 / 6
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 333333);
  m.interests = {};  // 0 / 3
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 0);
}

TEST(ScoringTest, StageComponent) {
  PoolSettings s;
  s.mentee_weights = {0, 0, 1, 0, 0, 0};
  s.mentor_min_stage = 1;
  s.min_stage_gap = -4;
  // max(0, 1 - |gap - 2| / 4) for gap = stage(m) - stage(e).
  const struct {
    int e, m, micros;
  } cases[] = {{2, 4, 1000000}, {1, 4, 750000}, {1, 5, 500000}, {3, 4, 750000},
               {4, 4, 500000},  {5, 4, 250000}, {5, 1, 0}};
  for (const auto& c : cases) {
    MemberProfile e = Mentee("e"), m = Mentor("m");
    e.recovery_stage = c.e;
    m.recovery_stage = c.m;
    PairScores out;
    ASSERT_TRUE(Pair(e, m, s).Score(&out));
    EXPECT_EQ(out.mentee_micros, c.micros) << c.e << " " << c.m;
  }
  s.ideal_stage_gap = 1;  // gap 3 -> 1 - 2/4
  MemberProfile e = Mentee("e"), m = Mentor("m");
  e.recovery_stage = 2;
  m.recovery_stage = 5;
  PairScores out;
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 500000);
}

TEST(ScoringTest, AvailabilityComponent) {
  PoolSettings s;
  s.mentee_weights = {0, 0, 0, 1, 0, 0};
  MemberProfile e = Mentee("e"), m = Mentor("m");
  e.availability = {{2, 600, 900}};   // Tuesday 10:00-15:00 UTC
  m.availability = {{2, 700, 1000}};  // 11:40-16:40 -> 11:45 after rounding
  // Overlap 11:45-15:00 = 195 min >= target 180 -> capped at 1.
  PairScores out;
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 1000000);
  EXPECT_EQ(Pair(e, m, s).Explain().overlap_minutes, 195);
  s.target_overlap_minutes = 600;  // 195 / 600 = 0.325
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 325000);
}

TEST(ScoringTest, ModalityAndLanguageComponents) {
  PoolSettings s;
  s.mentee_weights = {0, 0, 0, 0, 1, 1};
  MemberProfile e = Mentee("e"), m = Mentor("m");
  e.modalities = {Modality::kInPerson, Modality::kText};
  e.region = "north";
  m.modalities = {Modality::kText, Modality::kInPerson};
  m.region = "north";
  e.languages = {"fr-CA", "en"};
  m.languages = {"EN", "FR"};
  // IN_PERSON shared in one region -> 1; "fr" among the mentor's -> 1.
  PairScores out;
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 1000000);
  // Another region: IN_PERSON does not count; TEXT keeps the pair -> 0.5.
  m.region = "south";
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 750000);
  EXPECT_THAT(Pair(e, m, s).Explain().shared_modalities,
              ElementsAre(Modality::kText));
  // First language not the mentor's -> 0.5 as well.
  m.languages = {"en"};
  ASSERT_TRUE(Pair(e, m, s).Score(&out));
  EXPECT_EQ(out.mentee_micros, 500000);
}

TEST(ScoringTest, EachHardConstraintIsReported) {
  struct Case {
    const char* name;
    void (*mutate)(MemberProfile& e, MemberProfile& m, PoolSettings& s);
    Constraint expected;
  };
  const Case cases[] = {
      {"not mentee",
       [](MemberProfile& e, MemberProfile&, PoolSettings&) {
         e.roles = RoleBit(Role::kGroupMember);
       },
       Constraint::kNotMentee},
      {"not mentor",
       [](MemberProfile&, MemberProfile& m, PoolSettings&) {
         m.roles = RoleBit(Role::kMentee);
       },
       Constraint::kNotMentor},
      {"safety hold",
       [](MemberProfile&, MemberProfile& m, PoolSettings&) {
         m.safety_hold = true;
       },
       Constraint::kSafetyHold},
      {"not screened",
       [](MemberProfile& e, MemberProfile&, PoolSettings& s) {
         e.screened = false;
         s.require_screening = true;
       },
       Constraint::kNotScreened},
      {"blocked by mentor",
       [](MemberProfile&, MemberProfile& m, PoolSettings&) {
         m.blocked = {"e"};
       },
       Constraint::kBlocked},
      {"no language",
       [](MemberProfile&, MemberProfile& m, PoolSettings&) {
         m.languages = {"de"};
       },
       Constraint::kNoSharedLanguage},
      {"no modality",
       [](MemberProfile&, MemberProfile& m, PoolSettings&) {
         m.modalities = {Modality::kVideo};
       },
       Constraint::kNoSharedModality},
      {"in person, other region",
       [](MemberProfile& e, MemberProfile& m, PoolSettings&) {
         e.modalities = m.modalities = {Modality::kInPerson};
         e.region = "north";
         m.region = "south";
       },
       Constraint::kNoSharedModality},
      {"mentor stage",
       [](MemberProfile& e, MemberProfile& m, PoolSettings&) {
         e.recovery_stage = 1;
         m.recovery_stage = 3;
       },
       Constraint::kMentorStage},
      {"stage gap",
       [](MemberProfile& e, MemberProfile&, PoolSettings&) {
         e.recovery_stage = 4;
       },
       Constraint::kStageGap},
      {"overlap",
       [](MemberProfile&, MemberProfile& m, PoolSettings&) {
         m.availability = {{1, 20 * 60 + 15, 23 * 60}};  // 45 min < 60
       },
       Constraint::kAvailabilityOverlap},
  };
  for (const Case& c : cases) {
    MemberProfile e = Mentee("e"), m = Mentor("m");
    PoolSettings s;
    c.mutate(e, m, s);
    Pair p(e, m, s);
    PairScores out;
    EXPECT_FALSE(p.Score(&out)) << c.name;
    EXPECT_THAT(p.Explain().failed_constraints, ElementsAre(c.expected))
        << c.name;
    EXPECT_FALSE(p.Explain().acceptable);
  }
  // Exclusions from the caller's records.
  MemberProfile e = Mentee("e"), m = Mentor("m");
  PairScores out;
  Pair declined(e, m, {}, {{"m", "e", PairExclusion::kDeclined}});
  EXPECT_FALSE(declined.Score(&out));
  EXPECT_THAT(declined.Explain().failed_constraints,
              ElementsAre(Constraint::kDeclined));
  Pair ended(e, m, {}, {{"e", "m", PairExclusion::kEnded}});
  EXPECT_FALSE(ended.Score(&out));
  EXPECT_THAT(ended.Explain().failed_constraints,
              ElementsAre(Constraint::kExcluded));
  // The same member on both sides.
  TimeZoneCache zones;
  MemberProfile both = Mentor("b");
  both.roles |= RoleBit(Role::kMentee);
  std::vector<MemberProfile> one = {both};
  auto pool = CompiledPool::Compile(one, {}, kWeek, &zones);
  auto scorer = Scorer::Create(*pool, {});
  EXPECT_FALSE(scorer->Score(0, 0, &out));
  EXPECT_THAT(scorer->Explain(0, 0).failed_constraints,
              ElementsAre(Constraint::kSameMember, Constraint::kStageGap));
}

TEST(ScoringTest, ExplanationListsEveryFailedConstraint) {
  MemberProfile e = Mentee("e"), m = Mentor("m");
  e.safety_hold = true;
  e.blocked = {"m"};
  m.languages = {"ja"};
  m.recovery_stage = 2;
  m.availability = {};
  Pair p(e, m);
  EXPECT_THAT(
      p.Explain().failed_constraints,
      ElementsAre(Constraint::kSafetyHold, Constraint::kBlocked,
                  Constraint::kNoSharedLanguage, Constraint::kMentorStage,
                  Constraint::kStageGap, Constraint::kAvailabilityOverlap));
  // Views are still computed: stage gap 0 -> 0.5, the rest 0 or 0.5.
  EXPECT_DOUBLE_EQ(p.Explain().mentee_view.components[2].value, 0.5);
}

TEST(ScoringTest, PinnedArithmetic) {
  // 0.1 + 0.2 != 0.3 in binary: the order of the sum is what is pinned.
  ScoreWeights w{0.1, 0.2, 0, 0, 0, 0.7};
  std::array<double, kNumComponents> c = {1, 1, 0, 0, 0, 1};
  // num = ((0 + 0.1) + 0.2) + 0.7 = 1.0000000000000000 (rounded), den alike.
  EXPECT_EQ(ScoreMicros(c, w), 1000000);
  // floor(x * 1e6 + 0.5): exactly half a millionth rounds up.
  ScoreWeights one{1, 0, 0, 0, 0, 0};
  EXPECT_EQ(ScoreMicros({0.0000005, 0, 0, 0, 0, 0}, one), 1);
  EXPECT_EQ(ScoreMicros({0.0000004, 0, 0, 0, 0, 0}, one), 0);
  // Zero weights are skipped entirely (not even 0 * c is added).
  ScoreWeights half{0, 0, 0, 0, 1, 1};
  EXPECT_EQ(ScoreMicros({1, 1, 1, 1, 0.5, 1}, half), 750000);
}

TEST(ScoringTest, MinScoreMicrosIsTheSmallestAcceptedScore) {
  EXPECT_EQ(MinScoreMicros(0), 0);
  EXPECT_EQ(MinScoreMicros(0.5), 500000);
  EXPECT_EQ(MinScoreMicros(0.3), 300000);
  EXPECT_EQ(MinScoreMicros(0.1234561), 123457);
  EXPECT_EQ(MinScoreMicros(1), 1000000);
  for (double x : {0.1, 0.2, 0.3, 0.7, 0.123456, 0.999999, 1e-7}) {
    const int32_t k = MinScoreMicros(x);
    EXPECT_GE(k / 1e6, x);
    EXPECT_LT((k - 1) / 1e6, x);
  }
}

TEST(ScoringTest, RejectsInvalidSettings) {
  TimeZoneCache zones;
  auto pool = CompiledPool::Compile({}, {}, kWeek, &zones);
  PoolSettings s;
  s.mentee_weights = {0, 0, 0, 0, 0, 0};
  EXPECT_THAT(Scorer::Create(*pool, s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("mentee_weights")));
  s = {};
  s.mentor_weights.stage = -1;
  EXPECT_THAT(Scorer::Create(*pool, s),
              StatusIs(absl::StatusCode::kInvalidArgument));
  s = {};
  s.mentee_weights.language = std::numeric_limits<double>::infinity();
  EXPECT_THAT(Scorer::Create(*pool, s),
              StatusIs(absl::StatusCode::kInvalidArgument));
  s = {};
  s.target_overlap_minutes = 0;
  EXPECT_THAT(Scorer::Create(*pool, s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("target_overlap_minutes")));
  s = {};
  s.min_score = 1.5;
  EXPECT_THAT(Scorer::Create(*pool, s),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Random pools: the kernel, the explanation and the reference implementation
// agree on every pair, to the last digit.
TEST(ScoringTest, KernelExplanationAndReferenceAgreeOnRandomPairs) {
  int acceptable = 0, total = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng(seed);
    testing::RandomPool rp = testing::MakeRandomPool(rng);
    TimeZoneCache zones;
    auto pool = CompiledPool::Compile(rp.members, rp.exclusions, kWeek, &zones);
    ASSERT_TRUE(pool.ok()) << pool.status() << " seed " << seed;
    auto scorer = Scorer::Create(*pool, rp.settings);
    ASSERT_TRUE(scorer.ok()) << scorer.status() << " seed " << seed;
    testing::ReferenceExclusions ex;
    for (const ExcludedPair& p : rp.exclusions) {
      (p.kind == PairExclusion::kDeclined ? ex.declined : ex.ended)
          .insert({p.a, p.b});
    }
    std::vector<SlotSet> slots;
    for (const MemberProfile& p : rp.members) {
      slots.push_back(
          *AvailabilitySlots(p.availability, *zones.Load(p.time_zone), kWeek));
    }
    for (size_t a = 0; a < rp.members.size(); ++a) {
      for (size_t b = 0; b < rp.members.size(); ++b) {
        const MemberProfile& e = rp.members[a];
        const MemberProfile& m = rp.members[b];
        SCOPED_TRACE(
            absl::StrCat("seed ", seed, " mentee ", e.id, " mentor ", m.id));
        const MemberIndex ie = *pool->Find(e.id), im = *pool->Find(m.id);
        testing::ReferenceScore ref = testing::ReferenceScorePair(
            e, m, slots[a], slots[b], rp.settings, ex);
        PairScores fast;
        const bool ok = scorer->Score(ie, im, &fast);
        PairExplanation x = scorer->Explain(ie, im);
        ++total;
        ASSERT_EQ(ok, ref.failed.empty());
        ASSERT_EQ(x.acceptable, ok);
        std::set<int> failed;
        for (Constraint c : x.failed_constraints) {
          failed.insert(static_cast<int>(c));
        }
        ASSERT_EQ(failed, ref.failed);
        ASSERT_EQ(x.overlap_minutes, ref.overlap_minutes);
        for (int k = 0; k < kNumComponents; ++k) {
          ASSERT_EQ(x.mentee_view.components[k].value, ref.components[k])
              << kComponentNames[k];
        }
        ASSERT_EQ(x.mentee_view.score_micros, ref.mentee_micros);
        ASSERT_EQ(x.mentor_view.score_micros, ref.mentor_micros);
        ASSERT_EQ(x.shared_triggers, ref.shared_triggers);
        ASSERT_EQ(x.shared_interests, ref.shared_interests);
        ASSERT_EQ(x.shared_languages, ref.shared_languages);
        std::vector<int> mods;
        for (Modality mod : x.shared_modalities) {
          mods.push_back(static_cast<int>(mod));
        }
        ASSERT_EQ(mods, ref.shared_modalities);
        if (ok) {
          ++acceptable;
          ASSERT_EQ(fast.mentee_micros, ref.mentee_micros);
          ASSERT_EQ(fast.mentor_micros, ref.mentor_micros);
        }
      }
    }
  }
  // The generator must produce enough acceptable pairs to mean something.
  EXPECT_GT(acceptable, total / 40) << acceptable << " of " << total;
  std::cout << acceptable << " of " << total << " pairs acceptable\n";
}

}  // namespace
}  // namespace peermatch::matcher
