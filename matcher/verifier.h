// An independent check of a stable matching (R-STABLE "verification"):
// counts blocking pairs and capacity violations of a proposed matching
// against the rank lists.
//
//   VerificationReport report = VerifyStableMatching(lists, mentor_of);
//   if (report.blocking_pairs != 0) ...
//
// Written from the definition, deliberately sharing no code and no data
// structure with the solver (stable_matching.cc). Method: collect every pair
// (e, m) where e lists m above its partner ("e would switch"), grouped by
// mentor with a counting sort; then for each mentor mark the mentees it
// would take (all it lists while it has a free seat, else those it ranks
// above its least preferred mentee) and count the collected pairs that are
// marked. O(mentees + mentors + total list length) time and memory.
#ifndef PEERMATCH_MATCHER_VERIFIER_H_
#define PEERMATCH_MATCHER_VERIFIER_H_

#include <cstdint>

#include "absl/types/span.h"
#include "matcher/stable_matching.h"

namespace peermatch::matcher {

struct VerificationReport {
  // Acceptable pairs (each lists the other) not matched together where the
  // mentee is unmatched or prefers the mentor to its partner, and the mentor
  // has a free seat or prefers the mentee to one of its mentees.
  int64_t blocking_pairs = 0;
  // Mentors holding more mentees than their capacity.
  int64_t capacity_violations = 0;
  // Matched pairs that are not acceptable (a side does not list the other),
  // or that name a mentor out of range.
  int64_t unacceptable_pairs = 0;

  bool ok() const {
    return blocking_pairs == 0 && capacity_violations == 0 &&
           unacceptable_pairs == 0;
  }
};

// `mentor_of[e]` is mentee e's mentor or -1. Requires lists that
// SolveStableMatching accepts and mentor_of.size() == lists.num_mentees.
VerificationReport VerifyStableMatching(const RankLists& lists,
                                        absl::Span<const int32_t> mentor_of);

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_VERIFIER_H_
