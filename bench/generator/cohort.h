// Seeded synthetic cohorts of member profiles for tests and benchmarks.
//
//   CohortOptions options;
//   options.seed = 7;
//   options.mentees = 20000;
//   options.mentors = 5000;
//   std::vector<matcher::MemberProfile> members = GenerateCohort(options);
//
// The cohort imitates a peer-support programme spread over several
// countries:
//   - triggers and interests drawn with Zipf-like popularity (exponent ~1)
//     from vocabularies of a few hundred tags, a handful per member;
//   - a stage mix where mentees are mostly at stages 1-3 and mentors at 4-5
//     (a few below the default mentor_min_stage);
//   - home time zones with different DST rules (Europe/Berlin,
//     America/New_York, Australia/Sydney, Asia/Tokyo, UTC, ...), languages
//     and regions that go with them;
//   - availability as evening blocks and weekend afternoons in local time,
//     some with ragged minutes (18:10) that §3.1 rounds inward;
//   - modalities TEXT/VIDEO/IN_PERSON in varying orders, mentor capacities
//     1-4, a little safety_hold, unscreened members and blocking.
// Deterministic: the same options give the same cohort on every platform
// (own integer-to-range mapping, no std distributions). Ids are shuffled so
// that id order is unrelated to role.
#ifndef PEERMATCH_BENCH_GENERATOR_COHORT_H_
#define PEERMATCH_BENCH_GENERATOR_COHORT_H_

#include <cstdint>
#include <vector>

#include "matcher/profile.h"

namespace peermatch::bench {

struct CohortOptions {
  uint64_t seed = 1;
  int mentees = 1000;
  int mentors = 250;
  int group_members = 0;  // GROUP_MEMBER role; ~10% also FACILITATOR
  int min_capacity = 1;
  int max_capacity = 4;
  double safety_hold_fraction = 0.01;
  double screened_fraction = 0.95;
  double blocking_fraction = 0.01;  // members who block someone
};

std::vector<matcher::MemberProfile> GenerateCohort(
    const CohortOptions& options);

}  // namespace peermatch::bench

#endif  // PEERMATCH_BENCH_GENERATOR_COHORT_H_
