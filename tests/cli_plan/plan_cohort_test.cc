// `peermatch plan` on generated cohorts of a few hundred members, checked
// against the input by code that shares nothing with the command's path
// (SPEC §8 R-OFFLINE, R-STABLE, R-GROUPS, R-TEST):
//   - scores: the plain second implementation of SPEC §3 in
//     tests/matcher/reference_scorer.cc (std::set of strings, slot by slot),
//     fed with UTC slots placed by this directory's own SPEC §3.1 code
//     (plan_test_util.cc, abseil time zones only);
//   - stability: every eligible mentee-mentor pair is scored both ways; a
//     pair is acceptable when it passes every hard constraint and both
//     scores, as reported (millionths / 1e6), reach min_score; then no
//     acceptable unmatched pair may block (each side prefers the other by
//     score, ties to the lower id, or has a free seat);
//   - groups: every hard constraint of SPEC §5 re-checked from the input,
//     the designated facilitator and the meeting slot recomputed from their
//     definitions;
//   - the lists: every MENTEE and every group-role member accounted for
//     exactly once, with the reason the input implies; the SPEC's orders.
// Plus determinism: shuffled member lines give byte-identical output.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "bench/generator/cohort.h"
#include "cli/plan.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "matcher/profile.h"
#include "matcher/slot_set.h"
#include "service/api/member_codec.h"
#include "tests/cli_plan/plan_test_util.h"
#include "tests/matcher/reference_scorer.h"

namespace peermatch::cli::testing {
namespace {

using matcher::HasRole;
using matcher::MemberProfile;
using matcher::Modality;
using matcher::PoolSettings;
using matcher::Role;
using matcher::SlotSet;

struct CohortCase {
  const char* name;
  uint64_t seed;
  int mentees;
  int mentors;
  int group_members;
  // Passed with --settings unless empty; `settings` must say the same.
  const char* settings_json;
  PoolSettings settings;
  const char* reference_time;
};

void PrintTo(const CohortCase& c, std::ostream* os) {
  *os << c.name << " (cohort seed " << c.seed << ")";
}

std::vector<MemberProfile> Cohort(const CohortCase& c) {
  bench::CohortOptions options;
  options.seed = c.seed;
  options.mentees = c.mentees;
  options.mentors = c.mentors;
  options.group_members = c.group_members;
  return bench::GenerateCohort(options);
}

std::vector<std::string> JsonLines(const std::vector<MemberProfile>& cohort) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::vector<std::string> lines;
  for (const MemberProfile& p : cohort) {
    std::string line;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(api::FromProfile(p),
                                                            &line, print)
                    .ok());
    lines.push_back(std::move(line));
  }
  return lines;
}

CommandResult PlanLines(const std::string& dir, const CohortCase& c,
                        const std::vector<std::string>& lines) {
  std::vector<std::string> args = {
      "--members",
      WriteFile(dir, "cohort.jsonl",
                absl::StrCat(absl::StrJoin(lines, "\n"), "\n")),
      "--reference-time", c.reference_time};
  if (*c.settings_json != '\0') {
    args.push_back("--settings");
    args.push_back(WriteFile(dir, "settings.json", c.settings_json));
  }
  return RunPlan(dir, args);
}

bool Eligible(const MemberProfile& p, const PoolSettings& s) {
  return !p.safety_hold && (!s.require_screening || p.screened);
}

std::string IneligibleReason(const MemberProfile& p) {
  return p.safety_hold ? "safety_hold" : "not_screened";
}

std::string Primary(const std::string& tag) {
  std::string out;
  for (char ch : tag) {
    if (ch == '-') break;
    out.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  return out;
}

bool HasModality(const MemberProfile& p, Modality m) {
  return std::find(p.modalities.begin(), p.modalities.end(), m) !=
         p.modalities.end();
}

bool Blocks(const MemberProfile& a, const MemberProfile& b) {
  return std::find(a.blocked.begin(), a.blocked.end(), b.id) != a.blocked.end();
}

// The earliest start slot of a cyclic run of >= `need` shared slots (SPEC
// §3.1 "Group meeting times"), or -1.
int EarliestRunStart(const SlotSet& common, int need) {
  if (common.Count() == matcher::kSlotsPerWeek) return 0;
  for (int s = 0; s < matcher::kSlotsPerWeek; ++s) {
    const int before =
        (s + matcher::kSlotsPerWeek - 1) % matcher::kSlotsPerWeek;
    if (!common.Test(s) || common.Test(before)) continue;
    int length = 0;
    while (length < matcher::kSlotsPerWeek &&
           common.Test((s + length) % matcher::kSlotsPerWeek)) {
      ++length;
    }
    if (length >= need) return s;
  }
  return -1;
}

// id -> reason of a list that must be sorted by id without repeats.
std::map<std::string, std::string> ReasonsById(
    const google::protobuf::RepeatedPtrField<PlanReport::Excluded>& list) {
  std::map<std::string, std::string> reasons;
  std::string previous;
  for (const PlanReport::Excluded& u : list) {
    EXPECT_LT(previous, u.id()) << "not sorted by id";
    previous = u.id();
    EXPECT_TRUE(reasons.emplace(u.id(), u.reason()).second) << u.id();
  }
  return reasons;
}

class PlanCohortTest : public ::testing::TestWithParam<CohortCase> {};

TEST_P(PlanCohortTest, MatchingIsStableAndGroupsHoldEveryConstraint) {
  const CohortCase& c = GetParam();
  SCOPED_TRACE(absl::StrCat("cohort seed ", c.seed));
  const PoolSettings& s = c.settings;
  const std::vector<MemberProfile> cohort = Cohort(c);
  const std::string dir = MakeTempDir();
  const CommandResult run = PlanLines(dir, c, JsonLines(cohort));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  PlanReport report;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(run.out, &report).ok())
      << run.out.substr(0, 200);

  absl::Time reference_time;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, c.reference_time,
                              &reference_time, &error));
  std::map<std::string, const MemberProfile*> by_id;
  std::map<std::string, SlotSet> slots;
  for (const MemberProfile& p : cohort) {
    by_id[p.id] = &p;
    slots[p.id] = ReferenceSlots(p, reference_time);
  }

  // --- Mentor matching --------------------------------------------------
  std::vector<const MemberProfile*> mentees, mentors;  // eligible, id order
  for (const auto& [id, p] : by_id) {
    if (HasRole(p->roles, Role::kMentee) && Eligible(*p, s)) {
      mentees.push_back(p);
    }
    if (HasRole(p->roles, Role::kMentor) && Eligible(*p, s) &&
        p->mentor_capacity > 0) {
      mentors.push_back(p);
    }
  }
  std::map<std::string, int> mentee_index, mentor_index;
  for (size_t i = 0; i < mentees.size(); ++i) mentee_index[mentees[i]->id] = i;
  for (size_t j = 0; j < mentors.size(); ++j) mentor_index[mentors[j]->id] = j;
  struct Pair {
    bool acceptable = false;
    long long mentee_micros = 0;
    long long mentor_micros = 0;
  };
  std::vector<std::vector<Pair>> pairs(mentees.size(),
                                       std::vector<Pair>(mentors.size()));
  std::vector<int> acceptable_count(mentees.size(), 0);
  for (size_t i = 0; i < mentees.size(); ++i) {
    for (size_t j = 0; j < mentors.size(); ++j) {
      const MemberProfile& e = *mentees[i];
      const MemberProfile& m = *mentors[j];
      matcher::testing::ReferenceScore r = matcher::testing::ReferenceScorePair(
          e, m, slots[e.id], slots[m.id], s, {});
      Pair& pair = pairs[i][j];
      pair.mentee_micros = r.mentee_micros;
      pair.mentor_micros = r.mentor_micros;
      pair.acceptable = r.failed.empty() &&
                        r.mentee_micros / 1e6 >= s.min_score &&
                        r.mentor_micros / 1e6 >= s.min_score;
      acceptable_count[i] += pair.acceptable;
    }
  }

  std::vector<int> partner(mentees.size(), -1);
  std::vector<std::vector<int>> assigned(mentors.size());
  std::set<std::string> seen_mentees;
  std::string previous;
  for (const PlanReport::Match& match : report.matches()) {
    SCOPED_TRACE(absl::StrCat(match.mentee(), " - ", match.mentor()));
    EXPECT_LT(previous, match.mentee()) << "matches not sorted by mentee";
    previous = match.mentee();
    EXPECT_TRUE(seen_mentees.insert(match.mentee()).second);
    ASSERT_EQ(mentee_index.count(match.mentee()), 1u)
        << "not an eligible mentee";
    ASSERT_EQ(mentor_index.count(match.mentor()), 1u)
        << "not an eligible mentor";
    const int i = mentee_index[match.mentee()];
    const int j = mentor_index[match.mentor()];
    EXPECT_TRUE(pairs[i][j].acceptable);
    // Shortest round-trip printing: the parsed double is the very quotient.
    EXPECT_EQ(match.mentee_score(), pairs[i][j].mentee_micros / 1e6);
    EXPECT_EQ(match.mentor_score(), pairs[i][j].mentor_micros / 1e6);
    partner[i] = j;
    assigned[j].push_back(i);
  }
  for (size_t j = 0; j < mentors.size(); ++j) {
    EXPECT_LE(static_cast<int>(assigned[j].size()), mentors[j]->mentor_capacity)
        << mentors[j]->id;
  }

  auto mentee_prefers = [&](int i, int j, int k) {  // i prefers j to k
    const long long a = pairs[i][j].mentee_micros;
    const long long b = pairs[i][k].mentee_micros;
    return a > b || (a == b && mentors[j]->id < mentors[k]->id);
  };
  auto mentor_prefers = [&](int j, int i, int k) {  // j prefers i to k
    const long long a = pairs[i][j].mentor_micros;
    const long long b = pairs[k][j].mentor_micros;
    return a > b || (a == b && mentees[i]->id < mentees[k]->id);
  };
  int blocking = 0;
  for (size_t i = 0; i < mentees.size(); ++i) {
    for (size_t j = 0; j < mentors.size(); ++j) {
      if (!pairs[i][j].acceptable || partner[i] == static_cast<int>(j)) {
        continue;
      }
      if (partner[i] >= 0 && !mentee_prefers(i, j, partner[i])) continue;
      bool mentor_would =
          static_cast<int>(assigned[j].size()) < mentors[j]->mentor_capacity;
      for (int k : assigned[j]) mentor_would |= mentor_prefers(j, i, k);
      if (mentor_would) {
        ++blocking;
        ADD_FAILURE() << "blocking pair " << mentees[i]->id << " - "
                      << mentors[j]->id;
      }
    }
  }
  EXPECT_EQ(blocking, 0);
  EXPECT_EQ(report.blocking_pairs(), 0);

  // Every MENTEE is matched or listed once, with the reason the input gives.
  std::map<std::string, std::string> unmatched =
      ReasonsById(report.unmatched_mentees());
  int outcompeted = 0;
  for (const auto& [id, p] : by_id) {
    if (!HasRole(p->roles, Role::kMentee)) {
      EXPECT_EQ(unmatched.count(id), 0u) << id << " is no mentee";
      continue;
    }
    if (seen_mentees.count(id) > 0) {
      EXPECT_EQ(unmatched.count(id), 0u) << id << " matched and unmatched";
      continue;
    }
    ASSERT_EQ(unmatched.count(id), 1u) << id << " missing";
    std::string want;
    if (!Eligible(*p, s)) {
      want = IneligibleReason(*p);
    } else {
      want = acceptable_count[mentee_index[id]] > 0 ? "outcompeted"
                                                    : "no_acceptable_mentor";
    }
    EXPECT_EQ(unmatched[id], want) << id;
    outcompeted += want == "outcompeted";
  }
  // Not vacuous: the cohort exercises the interesting cases.
  EXPECT_GT(report.matches_size(), static_cast<int>(mentees.size()) / 4);
  EXPECT_GT(outcompeted + static_cast<int>(unmatched.size()), 0);

  // --- Groups -----------------------------------------------------------
  auto qualifies = [&](const MemberProfile& p) {
    return HasRole(p.roles, Role::kFacilitator) ||
           p.recovery_stage >= s.facilitator_min_stage;
  };
  std::set<std::string> placed;
  previous.clear();
  for (const PlanReport::Group& g : report.groups()) {
    SCOPED_TRACE(absl::StrJoin(g.members(), ","));
    ASSERT_GT(g.members_size(), 0);
    EXPECT_LT(previous, g.members(0)) << "groups not sorted by first member";
    previous = g.members(0);
    EXPECT_GE(g.members_size(), s.min_size);
    EXPECT_LE(g.members_size(), s.max_size);
    std::vector<const MemberProfile*> members;
    for (int k = 0; k < g.members_size(); ++k) {
      if (k > 0) {
        EXPECT_LT(g.members(k - 1), g.members(k)) << "not sorted";
      }
      ASSERT_EQ(by_id.count(g.members(k)), 1u);
      EXPECT_TRUE(placed.insert(g.members(k)).second) << "in two groups";
      const MemberProfile* p = by_id[g.members(k)];
      EXPECT_TRUE(HasRole(p->roles, Role::kGroupMember) ||
                  HasRole(p->roles, Role::kFacilitator));
      EXPECT_TRUE(Eligible(*p, s)) << p->id;
      members.push_back(p);
    }
    // A shared language (primary subtag) and modality.
    std::set<std::string> languages;
    for (const std::string& l : members[0]->languages)
      languages.insert(Primary(l));
    for (const MemberProfile* p : members) {
      std::set<std::string> mine;
      for (const std::string& l : p->languages) mine.insert(Primary(l));
      std::set<std::string> both;
      std::set_intersection(languages.begin(), languages.end(), mine.begin(),
                            mine.end(), std::inserter(both, both.end()));
      languages = both;
    }
    EXPECT_FALSE(languages.empty()) << "no shared language";
    bool shared_modality = false;
    for (Modality m :
         {Modality::kText, Modality::kVideo, Modality::kInPerson}) {
      bool all = true;
      for (const MemberProfile* p : members) {
        all &= HasModality(*p, m) &&
               (m != Modality::kInPerson ||
                (!p->region.empty() && p->region == members[0]->region));
      }
      shared_modality |= all;
    }
    EXPECT_TRUE(shared_modality) << "no shared modality";
    for (const MemberProfile* a : members) {
      for (const MemberProfile* b : members) {
        EXPECT_FALSE(Blocks(*a, *b)) << a->id << " blocks " << b->id;
      }
    }
    // The designated facilitator: FACILITATOR role, then stage, then id.
    const MemberProfile* designated = nullptr;
    for (const MemberProfile* p : members) {
      if (!qualifies(*p)) continue;
      auto key = [](const MemberProfile* q) {
        return std::make_tuple(!HasRole(q->roles, Role::kFacilitator),
                               -q->recovery_stage, q->id);
      };
      if (designated == nullptr || key(p) < key(designated)) designated = p;
    }
    if (designated == nullptr) {
      EXPECT_FALSE(s.require_facilitator) << "no member qualifies";
      EXPECT_FALSE(g.has_facilitator());
    } else {
      EXPECT_EQ(g.facilitator(), designated->id);
    }
    int lowest = 5, highest = 1;
    for (const MemberProfile* p : members) {
      if (p == designated) continue;
      lowest = std::min(lowest, p->recovery_stage);
      highest = std::max(highest, p->recovery_stage);
    }
    if (lowest <= highest) {
      EXPECT_LE(highest - lowest, s.max_stage_spread);
    }
    // The meeting slot: the earliest qualifying run of the common time.
    SlotSet common = slots[members[0]->id];
    for (const MemberProfile* p : members) common &= slots[p->id];
    const int start =
        EarliestRunStart(common, s.session_minutes / matcher::kSlotMinutes);
    ASSERT_GE(start, 0) << "no common window of session_minutes";
    const int minute = start * matcher::kSlotMinutes;
    EXPECT_EQ(g.slot().day(), minute / 1440 + 1);
    EXPECT_EQ(g.slot().start_minute(), minute % 1440);
    EXPECT_EQ(g.slot().end_minute(), minute % 1440 + s.session_minutes);
  }
  EXPECT_GT(report.groups_size(), 0);

  std::map<std::string, std::string> unplaced = ReasonsById(report.unplaced());
  for (const auto& [id, p] : by_id) {
    const bool group_role = HasRole(p->roles, Role::kGroupMember) ||
                            HasRole(p->roles, Role::kFacilitator);
    if (!group_role || placed.count(id) > 0) {
      EXPECT_EQ(unplaced.count(id), 0u) << id;
      continue;
    }
    ASSERT_EQ(unplaced.count(id), 1u) << id << " missing";
    EXPECT_EQ(unplaced[id],
              Eligible(*p, s) ? "no_feasible_group" : IneligibleReason(*p))
        << id;
  }
}

PoolSettings CustomSettings() {
  PoolSettings s;
  s.require_screening = true;
  s.min_score = 0.45;
  s.mentor_min_stage = 3;
  s.min_overlap_minutes = 30;
  s.mentee_weights.triggers = 0.5;
  s.mentee_weights.language = 0;
  s.min_size = 3;
  s.max_size = 5;
  s.target_size = 4;
  s.session_minutes = 60;
  s.max_stage_spread = 1;
  s.facilitator_min_stage = 5;
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Cohorts, PlanCohortTest,
    ::testing::Values(CohortCase{"Defaults", 11, 200, 60, 120, "",
                                 PoolSettings{}, "2025-03-05T12:00:00Z"},
                      // The week of 27 October 2025: Europe is back on standard
                      // time, the US not yet, Sydney on daylight time.
                      CohortCase{
                          "Custom", 12, 180, 50, 140,
                          R"({"require_screening": true, "min_score": 0.45,
                       "mentor_min_stage": 3, "min_overlap_minutes": 30,
                       "mentee_weights": {"triggers": 0.5, "language": 0},
                       "min_size": 3, "max_size": 5, "target_size": 4,
                       "session_minutes": 60, "max_stage_spread": 1,
                       "facilitator_min_stage": 5})",
                          CustomSettings(), "2025-10-29T12:00:00Z"}),
    [](const ::testing::TestParamInfo<CohortCase>& info) {
      return std::string(info.param.name);
    });

TEST(PlanDeterminismTest, ShuffledMemberLinesGiveIdenticalOutput) {
  const CohortCase c{
      "Shuffle", 13, 150, 40, 100, "", PoolSettings{}, "2025-06-04T12:00:00Z"};
  const std::vector<std::string> lines = JsonLines(Cohort(c));
  const std::string dir = MakeTempDir();
  const CommandResult first = PlanLines(dir, c, lines);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("shuffle seed ", seed));
    std::vector<std::string> shuffled = lines;
    std::mt19937_64 rng(seed);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    shuffled.insert(shuffled.begin() + shuffled.size() / 2, "");  // blank
    const CommandResult again = PlanLines(dir, c, shuffled);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(again.out == first.out) << "output differs";
  }
  std::vector<std::string> reversed(lines.rbegin(), lines.rend());
  EXPECT_TRUE(PlanLines(dir, c, reversed).out == first.out);
}

}  // namespace
}  // namespace peermatch::cli::testing
