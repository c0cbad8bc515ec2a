// Hand-worked examples for matcher/groups (R-GROUPS, R-REGROUP, R-JOIN).
#include "matcher/groups.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/compiled_pool.h"
#include "matcher/time.h"
#include "tests/matcher_groups/groups_test_util.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::SimpleMember;

// Slot index of a day (1..7) and minute of day.
int Slot(int day, int minute) { return ((day - 1) * 1440 + minute) / 15; }

SlotSet Evenings() {
  SlotSet s;
  s.SetRange(Slot(1, 18 * 60), Slot(1, 21 * 60));  // Monday 18-21 UTC
  return s;
}

// A pool of members and their slots, kept in parallel.
struct Pool {
  std::vector<MemberProfile> members;
  std::vector<SlotSet> slots;

  MemberProfile& Add(const std::string& id, int stage = 3,
                     SlotSet s = Evenings()) {
    members.push_back(SimpleMember(id, stage));
    slots.push_back(s);
    return members.back();
  }
  std::vector<GroupMemberView> Views() const {
    std::vector<GroupMemberView> v;
    for (size_t i = 0; i < members.size(); ++i) {
      v.push_back({&members[i], &slots[i]});
    }
    return v;
  }
};

// --- Meeting slot (SPEC §3.1) ----------------------------------------------

TEST(FindMeetingSlotTest, EarliestQualifyingRunStartWins) {
  SlotSet common;
  common.SetRange(Slot(2, 600), Slot(2, 660));    // Tuesday 10:00-11:00: short
  common.SetRange(Slot(3, 600), Slot(3, 720));    // Wednesday 10:00-12:00
  common.SetRange(Slot(1, 1200), Slot(1, 1320));  // Monday 20:00-22:00
  MeetingSlot slot;
  ASSERT_TRUE(FindMeetingSlot(common, 90, &slot));
  EXPECT_EQ(slot.day, 1);
  EXPECT_EQ(slot.start_minute, 1200);
  EXPECT_EQ(slot.end_minute, 1290);
  EXPECT_EQ(slot.start_slot, 80);
}

TEST(FindMeetingSlotTest, ShortRunsDoNotQualify) {
  SlotSet common;
  common.SetRange(Slot(1, 0), Slot(1, 75));     // 75 minutes
  common.SetRange(Slot(4, 300), Slot(4, 390));  // exactly 90 minutes
  MeetingSlot slot;
  ASSERT_TRUE(FindMeetingSlot(common, 90, &slot));
  EXPECT_EQ(slot.day, 4);
  EXPECT_EQ(slot.start_minute, 300);
  EXPECT_EQ(slot.end_minute, 390);
}

TEST(FindMeetingSlotTest, RunWrappingPastSundayStartsOnSunday) {
  // Sunday 23:00 to Monday 01:00 is one run of 2 hours; its start is the
  // Sunday slot, even though Monday 00:00 (slot 0) is shared too.
  SlotSet common;
  common.SetCyclic(Slot(7, 23 * 60), 8);
  MeetingSlot slot;
  ASSERT_TRUE(FindMeetingSlot(common, 90, &slot));
  EXPECT_EQ(slot.start_slot, 668);
  EXPECT_EQ(slot.day, 7);
  EXPECT_EQ(slot.start_minute, 1380);
  EXPECT_EQ(slot.end_minute, 1470);  // past midnight UTC
}

TEST(FindMeetingSlotTest, LaterRunStartBeatsWrappingRun) {
  // The wrapping run starts at slot 668; a Tuesday run starts earlier in
  // [0, 10080), so it wins even though the wrapping run covers slot 0.
  SlotSet common;
  common.SetCyclic(Slot(7, 23 * 60), 8);
  common.SetRange(Slot(2, 600), Slot(2, 720));
  MeetingSlot slot;
  ASSERT_TRUE(FindMeetingSlot(common, 90, &slot));
  EXPECT_EQ(slot.day, 2);
  EXPECT_EQ(slot.start_minute, 600);
}

TEST(FindMeetingSlotTest, AllSharedWeekStartsAtZero) {
  SlotSet common;
  common.SetRange(0, kSlotsPerWeek);
  MeetingSlot slot;
  ASSERT_TRUE(FindMeetingSlot(common, 90, &slot));
  EXPECT_EQ(slot, (MeetingSlot{0, 1, 0, 90}));
  ASSERT_TRUE(FindMeetingSlot(common, 10080, &slot));
  EXPECT_EQ(slot.end_minute, 10080);
}

TEST(FindMeetingSlotTest, NoLongEnoughRun) {
  SlotSet common;
  common.SetRange(10, 15);
  common.SetRange(20, 25);
  MeetingSlot slot;
  EXPECT_FALSE(FindMeetingSlot(common, 90, &slot));
  EXPECT_FALSE(FindMeetingSlot(SlotSet(), 15, &slot));
  EXPECT_TRUE(FindMeetingSlot(common, 75, &slot));
  EXPECT_EQ(slot.start_slot, 10);
}

TEST(FindMeetingSlotTest, AllButOneSlotWrapsAround) {
  // Everything but slot 5: the single run starts at 6 and wraps to 4.
  SlotSet c2;
  c2.SetRange(0, 5);
  c2.SetRange(6, kSlotsPerWeek);
  MeetingSlot slot;
  ASSERT_TRUE(FindMeetingSlot(c2, 90, &slot));
  EXPECT_EQ(slot.start_slot, 6);
}

// --- Eligibility, facilitators, hard constraints ----------------------------

TEST(GroupEligibilityTest, SafetyHoldThenScreeningThenRole) {
  PoolSettings s;
  s.require_screening = true;
  MemberProfile m = SimpleMember("a");
  EXPECT_EQ(GroupEligibilityOf(m, s), GroupEligibility::kEligible);
  m.screened = false;
  EXPECT_EQ(GroupEligibilityOf(m, s), GroupEligibility::kNotScreened);
  m.safety_hold = true;
  EXPECT_EQ(GroupEligibilityOf(m, s), GroupEligibility::kSafetyHold);
  m = SimpleMember("b");
  m.roles = RoleBit(Role::kMentor);
  EXPECT_EQ(GroupEligibilityOf(m, s), GroupEligibility::kNoGroupRole);
  m.roles = RoleBit(Role::kFacilitator);
  EXPECT_EQ(GroupEligibilityOf(m, s), GroupEligibility::kEligible);
}

// Pool statistics count group-eligible members on the compiled snapshot
// (issue 11: one statement of the rule). Both readings must agree on every
// combination of the inputs the rule reads.
TEST(GroupEligibilityTest, CompiledMemberAgreesWithProfile) {
  const Role kRoles[] = {Role::kMentee, Role::kMentor, Role::kGroupMember,
                         Role::kFacilitator};
  std::vector<MemberProfile> profiles;
  for (int roles = 1; roles < 16; ++roles) {
    for (int bits = 0; bits < 4; ++bits) {
      MemberProfile m = SimpleMember("m" + std::to_string(roles) + "-" +
                                     std::to_string(bits));
      m.roles = 0;
      for (int r = 0; r < 4; ++r) {
        if (roles & (1 << r)) m.roles |= RoleBit(kRoles[r]);
      }
      m.safety_hold = bits & 1;
      m.screened = bits & 2;
      profiles.push_back(m);
    }
  }
  TimeZoneCache zones;
  ASSERT_OK_AND_ASSIGN(
      CompiledPool pool,
      CompiledPool::Compile(
          profiles, {},
          ReferenceWeekContaining(absl::FromUnixSeconds(1700000000)), &zones));
  for (bool screening : {false, true}) {
    PoolSettings s;
    s.require_screening = screening;
    for (const MemberProfile& m : profiles) {
      std::optional<MemberIndex> i = pool.Find(m.id);
      ASSERT_TRUE(i.has_value());
      EXPECT_EQ(GroupEligibilityOf(pool.core(*i), s), GroupEligibilityOf(m, s))
          << m.id << " screening=" << screening;
    }
  }
}

TEST(GroupEligibilityTest, QualifiesByRoleOrStage) {
  PoolSettings s;  // facilitator_min_stage 4
  MemberProfile m = SimpleMember("a", 3);
  EXPECT_FALSE(QualifiesToFacilitate(m, s));
  m.recovery_stage = 4;
  EXPECT_TRUE(QualifiesToFacilitate(m, s));
  m.recovery_stage = 1;
  m.roles |= RoleBit(Role::kFacilitator);
  EXPECT_TRUE(QualifiesToFacilitate(m, s));
}

TEST(CheckGroupTest, ValidGroupIsDescribed) {
  Pool p;
  p.Add("d", 4).triggers = {"phone-calls"};
  p.Add("c", 3).triggers = {"phone-calls"};
  p.Add("b", 3);
  p.Add("a", 2);
  GroupCheck c = CheckGroup(p.Views(), PoolSettings{});
  ASSERT_TRUE(c.ok()) << GroupViolationName(c.violation);
  EXPECT_THAT(c.plan.member_ids, ElementsAre("a", "b", "c", "d"));
  EXPECT_EQ(c.plan.facilitator, "d");
  EXPECT_THAT(c.plan.facilitator_ids, ElementsAre("d"));
  EXPECT_EQ(c.plan.slot, (MeetingSlot{72, 1, 1080, 1170}));
  EXPECT_EQ(c.plan.language, "en");
  EXPECT_EQ(c.plan.modality, Modality::kVideo);
  EXPECT_EQ(c.plan.region, "");
  // Affinities by hand (no interests anywhere, so Jaccard(interests) = 0):
  //   a-b .2*(1-1/4)=.15  a-c .15  a-d .2*(1-2/4)=.1
  //   b-c .2  b-d .15  c-d .4*1 + .2*.75 = .55
  ASSERT_EQ(c.plan.fits.size(), 4u);
  EXPECT_NEAR(c.plan.fits[0], (0.15 + 0.15 + 0.1) / 3, 1e-12);
  EXPECT_NEAR(c.plan.fits[1], (0.15 + 0.2 + 0.15) / 3, 1e-12);
  EXPECT_NEAR(c.plan.fits[2], (0.15 + 0.2 + 0.55) / 3, 1e-12);
  EXPECT_NEAR(c.plan.fits[3], (0.1 + 0.15 + 0.55) / 3, 1e-12);
  EXPECT_NEAR(c.plan.total_fit, 2 * (0.15 + 0.15 + 0.1 + 0.2 + 0.15 + 0.55) / 3,
              1e-12);
}

TEST(CheckGroupTest, EachHardConstraint) {
  PoolSettings s;
  auto base = [] {
    Pool p;
    p.Add("a", 4);
    p.Add("b", 3);
    p.Add("c", 3);
    p.Add("d", 2);
    return p;
  };
  auto violation = [&](const Pool& p) {
    return CheckGroup(p.Views(), s).violation;
  };
  ASSERT_EQ(violation(base()), GroupViolation::kNone);
  {
    Pool p = base();
    p.members.pop_back(), p.slots.pop_back();
    EXPECT_EQ(violation(p), GroupViolation::kBelowMinSize);
  }
  {
    Pool p = base();
    for (int i = 0; i < 5; ++i) p.Add("x" + std::to_string(i), 3);
    EXPECT_EQ(violation(p), GroupViolation::kAboveMaxSize);
  }
  {
    Pool p = base();
    p.members[3].id = "a";
    EXPECT_EQ(violation(p), GroupViolation::kDuplicateMember);
  }
  {
    Pool p = base();
    p.members[2].safety_hold = true;
    EXPECT_EQ(violation(p), GroupViolation::kSafetyHold);
  }
  {
    Pool p = base();
    p.members[2].roles = RoleBit(Role::kMentee);
    EXPECT_EQ(violation(p), GroupViolation::kNoGroupRole);
  }
  {
    PoolSettings screening = s;
    screening.require_screening = true;
    Pool p = base();
    p.members[1].screened = false;
    EXPECT_EQ(CheckGroup(p.Views(), screening).violation,
              GroupViolation::kNotScreened);
  }
  {
    Pool p = base();
    p.members[3].blocked = {"b"};  // one direction is enough
    GroupCheck c = CheckGroup(p.Views(), s);
    EXPECT_EQ(c.violation, GroupViolation::kBlockedPair);
    EXPECT_EQ(c.detail, "b,d");
  }
  {
    Pool p = base();
    p.members[0].blocked = {"nobody-here"};
    EXPECT_EQ(violation(p), GroupViolation::kNone);
  }
  {
    Pool p = base();
    p.members[1].languages = {"de", "fr"};
    EXPECT_EQ(violation(p), GroupViolation::kNoSharedLanguage);
    p.members[1].languages = {"de", "EN-us"};  // primary subtag, lowercased
    EXPECT_EQ(violation(p), GroupViolation::kNone);
  }
  {
    Pool p = base();
    p.members[1].modalities = {Modality::kText};
    EXPECT_EQ(violation(p), GroupViolation::kNoSharedModality);
  }
  {
    Pool p = base();
    for (MemberProfile& m : p.members) {
      m.modalities = {Modality::kInPerson};
      m.region = "north";
    }
    EXPECT_EQ(violation(p), GroupViolation::kNone);
    p.members[2].region = "south";
    EXPECT_EQ(violation(p), GroupViolation::kNoSharedModality);
  }
  {
    Pool p = base();
    p.members[0].recovery_stage = 3;  // nobody qualifies now
    EXPECT_EQ(violation(p), GroupViolation::kNoFacilitator);
    PoolSettings optional = s;
    optional.require_facilitator = false;
    GroupCheck c = CheckGroup(p.Views(), optional);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.plan.facilitator, "");
    EXPECT_TRUE(c.plan.facilitator_ids.empty());
  }
  {
    Pool p = base();
    p.slots[2] = SlotSet();
    p.slots[2].SetRange(Slot(1, 18 * 60), Slot(1, 19 * 60));  // only 60 min
    EXPECT_EQ(violation(p), GroupViolation::kNoCommonSlot);
  }
}

TEST(CheckGroupTest, StageSpreadExemptsOnlyTheDesignatedFacilitator) {
  PoolSettings s;  // spread 2
  Pool p;
  p.Add("a", 5);
  p.Add("b", 1);
  p.Add("c", 2);
  p.Add("d", 3);
  EXPECT_TRUE(CheckGroup(p.Views(), s).ok());  // a exempt; others 1..3
  p.members[3].recovery_stage = 4;  // d qualifies but is not designated
  GroupCheck c = CheckGroup(p.Views(), s);
  EXPECT_EQ(c.violation, GroupViolation::kStageSpread);
  EXPECT_EQ(c.detail, "b,d");
}

TEST(CheckGroupTest, DesignatedFacilitatorRule) {
  PoolSettings s;
  s.max_stage_spread = 4;
  Pool p;
  p.Add("e", 5);
  p.Add("z", 3).roles |= RoleBit(Role::kFacilitator);
  p.Add("y", 3).roles = RoleBit(Role::kFacilitator);
  p.Add("a", 4);
  GroupCheck c = CheckGroup(p.Views(), s);
  ASSERT_TRUE(c.ok());
  // The FACILITATOR role beats a higher stage; equal stage: lower id.
  EXPECT_EQ(c.plan.facilitator, "y");
  EXPECT_THAT(c.plan.facilitator_ids, ElementsAre("a", "e", "y", "z"));
  p.members[1].recovery_stage = 4;  // z now has the higher stage
  EXPECT_EQ(CheckGroup(p.Views(), s).plan.facilitator, "z");
  p.members[1].roles = RoleBit(Role::kGroupMember);
  p.members[2].roles = RoleBit(Role::kGroupMember);
  // Without the role: highest stage (e: 5), then lowest id among equals.
  EXPECT_EQ(CheckGroup(p.Views(), s).plan.facilitator, "e");
  p.members[0].recovery_stage = 4;
  EXPECT_EQ(CheckGroup(p.Views(), s).plan.facilitator, "a");
}

TEST(CheckGroupTest, LanguageAndModalityFollowPreferences) {
  Pool p;
  for (const char* id : {"a", "b", "c", "d"}) p.Add(id, 4);
  for (MemberProfile& m : p.members) {
    m.languages = {"de-AT", "en"};
    m.modalities = {Modality::kInPerson, Modality::kText, Modality::kVideo};
    m.region = "vienna";
  }
  p.members[0].languages = {"en-GB", "de"};  // en: 0+1+1+1 = 3; de: 1+0+0+0
  GroupCheck c = CheckGroup(p.Views(), PoolSettings{});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.plan.language, "de");
  EXPECT_EQ(c.plan.modality, Modality::kInPerson);
  EXPECT_EQ(c.plan.region, "vienna");
  p.members[1].region = "graz";  // IN_PERSON no longer shared
  c = CheckGroup(p.Views(), PoolSettings{});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.plan.modality, Modality::kText);
  EXPECT_EQ(c.plan.region, "");
  // A tie in preference cost goes to the lower enum number.
  for (MemberProfile& m : p.members) m.modalities = {Modality::kVideo};
  p.members[0].modalities = {Modality::kText, Modality::kVideo};
  p.members[1].modalities = {Modality::kVideo, Modality::kText};
  c = CheckGroup(p.Views(), PoolSettings{});
  EXPECT_EQ(c.plan.modality, Modality::kVideo);  // only VIDEO is shared
}

TEST(GroupAffinityTest, HandExample) {
  MemberProfile a = SimpleMember("a", 2), b = SimpleMember("b", 4);
  a.triggers = {"x", "y"};
  b.triggers = {"y", "z"};
  // Jaccard(triggers) = 1/3; both interests empty: 0; stage 1 - 2/4.
  EXPECT_NEAR(GroupAffinity(a, b, AffinityWeights{}), 0.4 / 3 + 0.2 * 0.5,
              1e-15);
  a.interests = {"hiking"};
  b.interests = {"hiking"};
  EXPECT_NEAR(GroupAffinity(a, b, AffinityWeights{}), 0.4 / 3 + 0.4 + 0.2 * 0.5,
              1e-15);
  EXPECT_NEAR(GroupAffinity(a, b, AffinityWeights{0, 0, 1}), 0.5, 1e-15);
}

TEST(ValidateGroupSettingsTest, RejectsOutOfRange) {
  EXPECT_THAT(ValidateGroupSettings(PoolSettings{}), IsOk());
  auto bad = [](auto mutate) {
    PoolSettings s;
    mutate(s);
    return ValidateGroupSettings(s);
  };
  EXPECT_THAT(
      bad([](PoolSettings& s) { s.min_size = 1; }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min_size")));
  EXPECT_THAT(
      bad([](PoolSettings& s) { s.max_size = 3; }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_size")));
  EXPECT_THAT(bad([](PoolSettings& s) { s.target_size = 9; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad([](PoolSettings& s) { s.session_minutes = 100; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("session_minutes")));
  EXPECT_THAT(bad([](PoolSettings& s) { s.affinity_weights.stage = -1; }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("affinity_weights.stage")));
  EXPECT_THAT(bad([](PoolSettings& s) { s.facilitator_min_stage = 6; }),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- Formation ---------------------------------------------------------------

TEST(FormGroupsTest, RejectsMalformedInput) {
  Pool p;
  p.Add("a");
  p.Add("a");
  EXPECT_THAT(
      FormGroups(p.members, p.slots, PoolSettings{}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  p.members[1].id = "";
  EXPECT_THAT(FormGroups(p.members, p.slots, PoolSettings{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  p.members[1].id = "b";
  p.slots.pop_back();
  EXPECT_THAT(FormGroups(p.members, p.slots, PoolSettings{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  p.slots.push_back(SlotSet());
  GroupingOptions o;
  o.exact_component_limit = 17;
  EXPECT_THAT(FormGroups(p.members, p.slots, PoolSettings{}, o),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FormGroupsTest, UnplacedReasons) {
  PoolSettings s;
  s.require_screening = true;
  Pool p;
  for (int i = 0; i < 5; ++i) p.Add("g" + std::to_string(i), i == 0 ? 5 : 3);
  p.Add("held", 3).safety_hold = true;
  p.Add("unscreened", 3).screened = false;
  MemberProfile& both = p.Add("both", 3);
  both.safety_hold = true;
  both.screened = false;
  p.Add("mentee", 3).roles = RoleBit(Role::kMentee);  // not listed at all
  p.Add("alone", 3).languages = {"fi"};
  ASSERT_OK_AND_ASSIGN(GroupingResult r, FormGroups(p.members, p.slots, s));
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_THAT(r.groups[0].member_ids,
              ElementsAre("g0", "g1", "g2", "g3", "g4"));
  std::vector<std::string> unplaced;
  for (const UnplacedMember& u : r.unplaced) {
    unplaced.push_back(u.id + ":" + std::string(UnplacedReasonName(u.reason)));
  }
  EXPECT_THAT(unplaced,
              ElementsAre("alone:no_feasible_group", "both:safety_hold",
                          "held:safety_hold", "unscreened:not_screened"));
  EXPECT_EQ(r.placed, 5);
  EXPECT_EQ(r.size_deviation, 1);
}

TEST(FormGroupsTest, SplitsIntoTwoGroupsWhenOneCannotHoldEveryone) {
  // 10 members, max_size 8: the optimum is two groups of 5 sharing tags.
  PoolSettings s;
  Pool p;
  for (int i = 0; i < 10; ++i) {
    MemberProfile& m = p.Add("m" + std::to_string(i), i % 5 == 0 ? 4 : 3);
    m.triggers = {i < 5 ? "crowds" : "phone-calls"};
  }
  ASSERT_OK_AND_ASSIGN(GroupingResult r, FormGroups(p.members, p.slots, s));
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_THAT(r.groups[0].member_ids,
              ElementsAre("m0", "m1", "m2", "m3", "m4"));
  EXPECT_THAT(r.groups[1].member_ids,
              ElementsAre("m5", "m6", "m7", "m8", "m9"));
  EXPECT_TRUE(r.unplaced.empty());
}

// --- Regrouping (R-REGROUP)
// ----------------------------------------------------

struct RegroupFixture {
  Pool p;
  PoolSettings s;
  std::vector<ExistingGroup> existing;

  RegroupFixture() {
    for (int i = 0; i < 12; ++i) {
      MemberProfile& m =
          p.Add("m" + std::to_string(10 + i), i % 6 == 0 ? 4 : 3);
      m.triggers = {i < 6 ? "crowds" : "phone-calls"};
    }
    existing = {
        {"g-a",
         ExistingGroupState::kActive,
         {"m10", "m11", "m12", "m13", "m14", "m15"}},
        {"g-b",
         ExistingGroupState::kActive,
         {"m16", "m17", "m18", "m19", "m20", "m21"}},
    };
  }
};

TEST(RegroupTest, UnchangedPoolMovesNobody) {
  RegroupFixture f;
  ASSERT_OK_AND_ASSIGN(GroupingResult r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s));
  EXPECT_TRUE(r.churn.empty());
  EXPECT_EQ(r.groups_kept, 2);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].id, "g-a");
  EXPECT_EQ(r.groups[1].id, "g-b");
  EXPECT_EQ(r.groups[0].member_ids, f.existing[0].member_ids);
  EXPECT_EQ(r.groups[1].member_ids, f.existing[1].member_ids);
}

TEST(RegroupTest, NewMembersFillFreeSeatsAndKeptGroupsKeepTheirMembers) {
  RegroupFixture f;
  f.p.Add("n1", 3).triggers = {"crowds"};
  f.p.Add("n2", 3).triggers = {"phone-calls"};
  // n3 is not free at the groups' meeting time: it cannot join a kept group
  // without moving the meeting, and alone it cannot form a group.
  SlotSet other;
  other.SetRange(Slot(1, 19 * 60), Slot(1, 22 * 60));
  f.p.Add("n3", 3, other);
  ASSERT_OK_AND_ASSIGN(GroupingResult r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s));
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_THAT(r.groups[0].member_ids,
              ElementsAre("m10", "m11", "m12", "m13", "m14", "m15", "n1"));
  EXPECT_THAT(r.groups[1].member_ids,
              ElementsAre("m16", "m17", "m18", "m19", "m20", "m21", "n2"));
  EXPECT_EQ(r.groups[0].slot.start_minute, 18 * 60);
  ASSERT_EQ(r.churn.size(), 2u);
  EXPECT_EQ(r.churn[0].member_id, "n1");
  EXPECT_EQ(r.churn[0].from_group_id, "");
  EXPECT_EQ(r.churn[0].to_group, 0);
  EXPECT_EQ(r.churn[0].reason, ChurnReason::kNewMember);
  ASSERT_EQ(r.unplaced.size(), 1u);
  EXPECT_EQ(r.unplaced[0].id, "n3");
}

TEST(RegroupTest, GroupBelowMinSizeIsDissolvedAndItsMembersPlacedAgain) {
  RegroupFixture f;
  // g-b loses three members (deleted from the pool): 3 < min_size 4.
  for (int k = 0; k < 3; ++k) f.p.members.pop_back(), f.p.slots.pop_back();
  ASSERT_OK_AND_ASSIGN(GroupingResult r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s));
  ASSERT_EQ(r.dissolved.size(), 1u);
  EXPECT_EQ(r.dissolved[0].id, "g-b");
  EXPECT_EQ(r.dissolved[0].violation, GroupViolation::kBelowMinSize);
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].id, "g-a");
  // Two of them fill g-a up to max_size 8; the kept members stay.
  EXPECT_EQ(r.groups[0].member_ids.size(), 8u);
  std::vector<std::string> moved;
  for (const ChurnEntry& c : r.churn) {
    EXPECT_EQ(c.from_group_id, "g-b");
    EXPECT_EQ(ChurnReasonString(c.reason, c.detail),
              "group_dissolved:below_min_size");
    moved.push_back(c.member_id + "->" + std::to_string(c.to_group));
  }
  // m17 and m18 add more fit than m16 (stage 3 like most of g-a, and they
  // share a trigger with each other): (.15 + 5 * .2) vs (.2 + 5 * .15).
  EXPECT_THAT(moved, ElementsAre("m16->-1", "m17->0", "m18->0"));
  for (const std::string& id : f.existing[0].member_ids) {
    EXPECT_THAT(r.groups[0].member_ids, ::testing::Contains(id));
  }
}

TEST(RegroupTest, InvalidatedGroupsAreDissolvedWithTheReason) {
  RegroupFixture f;
  f.p.members[7].blocked = {"m19"};   // m17 blocks m19, both in g-b
  f.p.members[1].safety_hold = true;  // m11 leaves g-a, which stays valid
  ASSERT_OK_AND_ASSIGN(GroupingResult r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s));
  ASSERT_EQ(r.dissolved.size(), 1u);
  EXPECT_EQ(r.dissolved[0].violation, GroupViolation::kBlockedPair);
  EXPECT_EQ(r.dissolved[0].detail, "m17,m19");
  ASSERT_FALSE(r.churn.empty());
  EXPECT_EQ(r.churn[0].member_id, "m11");
  EXPECT_EQ(ChurnReasonString(r.churn[0].reason, r.churn[0].detail),
            "no_longer_eligible:safety_hold");
  EXPECT_EQ(r.churn[0].to_group, -1);
  bool kept_a = false;
  for (const GroupPlan& g : r.groups) {
    if (g.id == "g-a") {
      kept_a = true;
      EXPECT_THAT(g.member_ids, ::testing::Not(::testing::Contains("m11")));
    }
    // m17 and m19 never end up together.
    const bool has17 =
        std::count(g.member_ids.begin(), g.member_ids.end(), "m17");
    const bool has19 =
        std::count(g.member_ids.begin(), g.member_ids.end(), "m19");
    EXPECT_FALSE(has17 && has19);
  }
  EXPECT_TRUE(kept_a);
}

TEST(RegroupTest, LosingTheCommonSlotDissolves) {
  RegroupFixture f;
  f.p.slots[2] = SlotSet();
  f.p.slots[2].SetRange(Slot(3, 600), Slot(3, 700));
  ASSERT_OK_AND_ASSIGN(GroupingResult r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s));
  ASSERT_EQ(r.dissolved.size(), 1u);
  EXPECT_EQ(r.dissolved[0].id, "g-a");
  EXPECT_EQ(r.dissolved[0].violation, GroupViolation::kNoCommonSlot);
}

TEST(RegroupTest, ProposedGroupsAreDiscarded) {
  RegroupFixture f;
  f.existing[1].state = ExistingGroupState::kProposed;
  ASSERT_OK_AND_ASSIGN(GroupingResult r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s));
  EXPECT_EQ(r.groups_kept, 1);
  EXPECT_TRUE(r.dissolved.empty());
  for (const ChurnEntry& c : r.churn) {
    EXPECT_EQ(c.from_group_id, "");
    EXPECT_EQ(c.reason, ChurnReason::kNewMember);
  }
}

TEST(RegroupTest, RejectsInconsistentGroups) {
  RegroupFixture f;
  f.existing[1].member_ids.push_back("m10");
  EXPECT_THAT(Regroup(f.p.members, f.p.slots, f.existing, f.s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("m10")));
  f = RegroupFixture();
  f.existing[1].id = "g-a";
  EXPECT_THAT(Regroup(f.p.members, f.p.slots, f.existing, f.s),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RegroupTest, FullRegroupMovesMembersOnlyWhenWorthTheChurn) {
  // The existing groups mix the two tag clusters; regrouping by tag raises
  // the fit of each of the 12 members by far more than 0.1.
  RegroupFixture f;
  f.existing = {
      {"g-a",
       ExistingGroupState::kActive,
       {"m10", "m11", "m12", "m19", "m20", "m21"}},
      {"g-b",
       ExistingGroupState::kActive,
       {"m13", "m14", "m15", "m16", "m17", "m18"}},
  };
  GroupingOptions full;
  full.full = true;
  ASSERT_OK_AND_ASSIGN(GroupingResult r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s, full));
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_THAT(r.groups[0].member_ids,
              ElementsAre("m10", "m11", "m12", "m13", "m14", "m15"));
  EXPECT_EQ(r.churn.size(), 6u);
  for (const ChurnEntry& c : r.churn) {
    EXPECT_EQ(c.reason, ChurnReason::kFullRegroup);
  }
  // With a prohibitive churn weight nobody moves.
  f.s.churn_weight = 10;
  ASSERT_OK_AND_ASSIGN(r,
                       Regroup(f.p.members, f.p.slots, f.existing, f.s, full));
  EXPECT_TRUE(r.churn.empty());
  // And the default mode never moves kept members.
  f.s.churn_weight = 0;
  ASSERT_OK_AND_ASSIGN(r, Regroup(f.p.members, f.p.slots, f.existing, f.s));
  EXPECT_TRUE(r.churn.empty());
}

// --- Joining (R-JOIN)
// ------------------------------------------------------------

TEST(RankGroupsForMemberTest, HandExample) {
  Pool p;
  // Group "close": shares the joiner's trigger; "far": stage-2 members;
  // "full": 8 members; "blocks": a member blocks the joiner; "moved": plain.
  for (int i = 0; i < 4; ++i)
    p.Add("c" + std::to_string(i), i == 0 ? 4 : 3).triggers = {"crowds"};
  for (int i = 0; i < 4; ++i) p.Add("f" + std::to_string(i), i == 0 ? 4 : 2);
  for (int i = 0; i < 8; ++i) p.Add("u" + std::to_string(i), i == 0 ? 4 : 3);
  for (int i = 0; i < 4; ++i) p.Add("b" + std::to_string(i), i == 0 ? 4 : 3);
  p.members.back().blocked = {"joiner"};
  for (int i = 0; i < 4; ++i) p.Add("l" + std::to_string(i), i == 0 ? 4 : 3);
  p.Add("joiner", 3).triggers = {"crowds"};
  std::vector<CandidateGroup> groups(5);
  const char* names[] = {"close", "far", "full", "blocks", "moved"};
  const int starts[] = {0, 4, 8, 16, 20};
  const int sizes[] = {4, 4, 8, 4, 4};
  const std::vector<GroupMemberView> views = p.Views();
  for (int g = 0; g < 5; ++g) {
    groups[g].id = names[g];
    for (int i = 0; i < sizes[g]; ++i)
      groups[g].members.push_back(views[starts[g] + i]);
  }
  ASSERT_OK_AND_ASSIGN(
      std::vector<JoinCandidate> r,
      RankGroupsForMember(views.back(), groups, PoolSettings{}, 10));
  // close: crowds with everyone: .4*1 + .2*(1 - 1/4 or 0) -> (.6 + 3*.6)... by
  // hand: c0 stage 4: .4 + .15 = .55; c1..c3 stage 3: .4 + .2 = .6.
  // far: f0 stage 4: .15; f1..f3 stage 2: .15. moved: l0 .15, l1..l3 .2.
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].group_id, "close");
  EXPECT_NEAR(r[0].fit, (0.55 + 3 * 0.6) / 4, 1e-12);
  EXPECT_EQ(r[0].free_seats, 4);
  EXPECT_EQ(r[1].group_id, "moved");
  EXPECT_NEAR(r[1].fit, (0.15 + 3 * 0.2) / 4, 1e-12);
  EXPECT_EQ(r[2].group_id, "far");
  EXPECT_NEAR(r[2].fit, 0.15, 1e-12);

  // Let "moved" also meet on Tuesday evenings and the joiner be free only
  // then: the joined group would be valid, but its meeting would move from
  // Monday to Tuesday, so "moved" is not offered.
  SlotSet tuesday;
  tuesday.SetRange(Slot(2, 18 * 60), Slot(2, 21 * 60));
  for (int i = 0; i < 4; ++i) p.slots[20 + i] |= tuesday;
  p.slots.back() = tuesday;
  std::vector<GroupMemberView> joined = groups[4].members;
  joined.push_back(views.back());
  GroupCheck c = CheckGroup(joined, PoolSettings{});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.plan.slot.day, 2);
  ASSERT_OK_AND_ASSIGN(
      r, RankGroupsForMember(views.back(), groups, PoolSettings{}, 0));
  EXPECT_TRUE(r.empty());
  p.slots.back() = Evenings();
  ASSERT_OK_AND_ASSIGN(
      r, RankGroupsForMember(views.back(), groups, PoolSettings{}, 1));
  EXPECT_EQ(r.size(), 1u);

  p.members.back().safety_hold = true;
  ASSERT_OK_AND_ASSIGN(
      r, RankGroupsForMember(views.back(), groups, PoolSettings{}, 10));
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace peermatch::matcher
