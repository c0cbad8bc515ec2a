// A seeded cohort of group members with their UTC availability, local to the
// group benchmark so that it depends on nothing but the matcher library.
//
//   GroupCohort c = LocalGroupCohort(/*seed=*/42, /*members=*/10000);
//   auto r = FormGroups(c.members, c.slots, PoolSettings{});
//
// Shape: five home regions with UTC offsets -5, 0, +1, +9, +10 and their
// languages (en, en, de + en, ja, en); evening blocks (17-22 local) on two
// to four weekdays and weekend afternoons, as UTC slots; VIDEO 75%, TEXT
// 50%, IN_PERSON 20% (three cities per region); stage mix 20/25/25/18/12%;
// 12% also FACILITATOR; Zipf-like triggers (40 tags, 1-4 each) and
// interests (60 tags, 2-5 each); 1% block someone, 1% safety_hold, 95%
// screened. Ids are shuffled, so id order says nothing about a member.
#ifndef PEERMATCH_BENCH_MATCHER_GROUPS_LOCAL_COHORT_H_
#define PEERMATCH_BENCH_MATCHER_GROUPS_LOCAL_COHORT_H_

#include <cstdint>
#include <vector>

#include "matcher/profile.h"
#include "matcher/slot_set.h"

namespace peermatch::bench {

struct GroupCohort {
  std::vector<matcher::MemberProfile> members;
  std::vector<matcher::SlotSet> slots;  // parallel to members
};

GroupCohort LocalGroupCohort(uint64_t seed, int members);

}  // namespace peermatch::bench

#endif  // PEERMATCH_BENCH_MATCHER_GROUPS_LOCAL_COHORT_H_
