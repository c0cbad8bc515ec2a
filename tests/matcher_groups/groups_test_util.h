// Test helpers for matcher/groups: a seeded random instance generator and an
// oracle written from SPEC §3.1 and §5 alone, sharing no code with the
// library (plain std::set, naive loops), so that the tests check the library
// against an independent reading of the spec.
#ifndef PEERMATCH_TESTS_MATCHER_GROUPS_GROUPS_TEST_UTIL_H_
#define PEERMATCH_TESTS_MATCHER_GROUPS_GROUPS_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "matcher/groups.h"
#include "matcher/profile.h"
#include "matcher/slot_set.h"

namespace peermatch::matcher::testing {

struct Instance {
  std::vector<MemberProfile> members;
  std::vector<SlotSet> slots;
  PoolSettings settings;
};

struct InstanceShape {
  int members = 10;
  bool random_settings = true;  // else the SPEC defaults
  // Probability knobs.
  double facilitator_role = 0.2;
  double blocked = 0.08;
  double safety_hold = 0.05;
  int languages = 3;             // drawn from en, en-GB, de, fr, es
  int tags = 8;                  // vocabulary of each tag kind
  double tag_probability = 0.3;  // of each tag, per member
};

// Deterministic for a given seed.
Instance RandomInstance(uint64_t seed, const InstanceShape& shape);

// A member with the GROUP_MEMBER role, English, VIDEO, stage 3, and
// availability `slots` (which the caller owns).
MemberProfile SimpleMember(const std::string& id, int stage = 3);

// The oracle's reading of one group.
struct OracleGroup {
  bool valid = false;
  std::string why;         // first failed constraint, for messages
  int meeting_start = -1;  // slot index
  std::string facilitator;
  std::vector<double> fits;  // by sorted member id
  double total_fit = 0;
};

// Checks `ids` (indices into inst.members) as one group.
OracleGroup OracleCheck(const Instance& inst, std::vector<int> ids);

double OracleAffinity(const MemberProfile& a, const MemberProfile& b,
                      const AffinityWeights& w);

// Naive SPEC §3.1 meeting start, or -1.
int OracleMeetingStart(const SlotSet& common, int session_minutes);

struct OracleOptimum {
  int placed = 0;
  double total_fit = 0;
  int deviation = 0;
  std::vector<std::vector<std::string>> groups;  // sorted ids, sorted
};

// Exhaustive search over every assignment of the eligible members to groups
// or to "unplaced"; compares by SPEC §5 criteria (1)-(4).
OracleOptimum OracleOptimize(const Instance& inst);

// Every problem with `result` as an answer for `inst` (empty when none):
// hard constraints of each group, reported slot/facilitator/fits/totals,
// every eligible member placed at most once, unplaced reasons.
std::vector<std::string> OracleAudit(const Instance& inst,
                                     const GroupingResult& result);

}  // namespace peermatch::matcher::testing

#endif  // PEERMATCH_TESTS_MATCHER_GROUPS_GROUPS_TEST_UTIL_H_
