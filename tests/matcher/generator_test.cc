// The benchmark cohort generator (bench/generator): deterministic, valid
// profiles with the advertised mix, and the compiled pool's memory per member
// within R-PERF's 1 KiB on it.
#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "bench/generator/cohort.h"
#include "bench/generator/solve_instance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/compiled_pool.h"
#include "matcher/time.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using ::testing::HasSubstr;

const ReferenceWeek kWeek = ReferenceWeekContaining(
    absl::FromCivil(absl::CivilDay(2026, 3, 11), absl::UTCTimeZone()));

bool SameProfile(const MemberProfile& a, const MemberProfile& b) {
  return a.id == b.id && a.roles == b.roles && a.triggers == b.triggers &&
         a.interests == b.interests && a.recovery_stage == b.recovery_stage &&
         a.time_zone == b.time_zone && a.languages == b.languages &&
         a.modalities == b.modalities && a.region == b.region &&
         a.mentor_capacity == b.mentor_capacity && a.blocked == b.blocked &&
         a.safety_hold == b.safety_hold && a.screened == b.screened &&
         a.availability.size() == b.availability.size();
}

TEST(GeneratorTest, DeterministicForASeed) {
  bench::CohortOptions o;
  o.seed = 7;
  o.mentees = 300;
  o.mentors = 80;
  o.group_members = 50;
  const auto a = bench::GenerateCohort(o);
  const auto b = bench::GenerateCohort(o);
  ASSERT_EQ(a.size(), 430u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(SameProfile(a[i], b[i]));
  o.seed = 8;
  const auto c = bench::GenerateCohort(o);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += SameProfile(a[i], c[i]);
  EXPECT_LT(same, 10);
}

TEST(GeneratorTest, ValidProfilesWithTheAdvertisedMix) {
  bench::CohortOptions o;
  o.seed = 42;
  o.mentees = 4000;
  o.mentors = 1000;
  o.group_members = 1000;
  const auto members = bench::GenerateCohort(o);
  std::set<std::string> ids, zones;
  int mentees = 0, mentors = 0, groups = 0, rare = 0;
  std::map<int, int> mentor_stages;
  for (const MemberProfile& p : members) {
    EXPECT_TRUE(ids.insert(p.id).second) << p.id;
    zones.insert(p.time_zone);
    mentees += HasRole(p.roles, Role::kMentee);
    groups += HasRole(p.roles, Role::kGroupMember);
    if (HasRole(p.roles, Role::kMentor)) {
      ++mentors;
      ++mentor_stages[p.recovery_stage];
      EXPECT_GE(p.mentor_capacity, 1);
      EXPECT_LE(p.mentor_capacity, 4);
    }
    EXPECT_LE(p.triggers.size(), 32u);
    EXPECT_LE(p.interests.size(), 32u);
    EXPECT_LE(p.availability.size(), 42u);
    EXPECT_FALSE(p.languages.empty());
    EXPECT_FALSE(p.modalities.empty());
    if (std::find(p.modalities.begin(), p.modalities.end(),
                  Modality::kInPerson) != p.modalities.end()) {
      EXPECT_FALSE(p.region.empty()) << p.id;
    }
    for (const std::string& t : p.triggers) rare += t.rfind("trigger-", 0) == 0;
  }
  EXPECT_EQ(mentees, 4000);
  EXPECT_EQ(mentors, 1000);
  EXPECT_GE(groups, 1000);  // some mentees are group members too
  EXPECT_GT(mentor_stages[4] + mentor_stages[5], 900);
  EXPECT_GT(mentor_stages[3], 0);  // a few below mentor_min_stage
  EXPECT_TRUE(zones.count("Europe/Berlin") && zones.count("America/New_York") &&
              zones.count("Australia/Sydney") && zones.count("Asia/Tokyo") &&
              zones.count("UTC"));
  EXPECT_GT(rare, 0);  // a long tail of tags
  // Every profile compiles (valid windows, zones, stages, capacities).
  TimeZoneCache tz;
  ASSERT_OK_AND_ASSIGN(CompiledPool pool,
                       CompiledPool::Compile(members, {}, kWeek, &tz));
  EXPECT_EQ(pool.size(), members.size());
  EXPECT_GT(pool.trigger_names().size(), kBitTags);  // side lists in use
}

// R-PERF: the in-memory form takes <= 1 KiB per member on average over the
// generator's cohort (the 120,000-member cohort of the large benchmark).
TEST(GeneratorTest, CompiledPoolNeedsAtMostOneKibPerMember) {
  bench::CohortOptions o;
  o.seed = 42;
  o.mentees = 100000;
  o.mentors = 20000;
  const auto members = bench::GenerateCohort(o);
  TimeZoneCache tz;
  ASSERT_OK_AND_ASSIGN(CompiledPool pool,
                       CompiledPool::Compile(members, {}, kWeek, &tz));
  const double per_member =
      static_cast<double>(pool.MemoryBytes()) / pool.size();
  std::cout << "compiled pool: " << per_member << " bytes per member\n";
  EXPECT_LE(per_member, 1024);
}

TEST(GeneratorTest, SolveInstanceShape) {
  bench::SolveInstanceOptions o;
  o.mentees = 3;
  o.mentors = 2;
  o.list_length = 2;
  o.capacity = 1;
  const std::string json = bench::GenerateSolveInstanceJson(o);
  EXPECT_THAT(json, HasSubstr("\"optimal\": \"mentee\""));
  EXPECT_THAT(json, HasSubstr("{\"id\": \"e00002\", \"ranking\": ["));
  EXPECT_THAT(json, HasSubstr("{\"id\": \"m0001\", \"capacity\": 1, "));
  EXPECT_EQ(json, bench::GenerateSolveInstanceJson(o));
}

}  // namespace
}  // namespace peermatch::matcher
