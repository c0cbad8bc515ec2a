// A deliberately plain second implementation of SPEC §3, for tests only:
// std::set of strings, slot by slot, no bit tricks and no shared code with
// matcher/scoring.cc (it uses only the already-tested time placement).
#ifndef PEERMATCH_TESTS_MATCHER_REFERENCE_SCORER_H_
#define PEERMATCH_TESTS_MATCHER_REFERENCE_SCORER_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "matcher/profile.h"
#include "matcher/slot_set.h"

namespace peermatch::matcher::testing {

struct ReferenceScore {
  std::set<int> failed;  // Constraint numbers (proto peermatch.v1.Constraint)
  double components[6] = {};
  long long mentee_micros = 0;
  long long mentor_micros = 0;
  int overlap_minutes = 0;
  std::vector<std::string> shared_triggers;   // sorted
  std::vector<std::string> shared_interests;  // sorted
  std::vector<std::string> shared_languages;  // e's order
  std::vector<int> shared_modalities;         // e's order
};

// Unordered id pairs, as the caller's records give them.
struct ReferenceExclusions {
  std::set<std::pair<std::string, std::string>> declined;
  std::set<std::pair<std::string, std::string>> ended;
};

ReferenceScore ReferenceScorePair(const MemberProfile& e,
                                  const MemberProfile& m,
                                  const SlotSet& e_slots,
                                  const SlotSet& m_slots,
                                  const PoolSettings& settings,
                                  const ReferenceExclusions& exclusions);

// SPEC §3 step 2-3, written out for one view.
long long ReferenceViewMicros(const double components[6],
                              const ScoreWeights& w);

}  // namespace peermatch::matcher::testing

#endif  // PEERMATCH_TESTS_MATCHER_REFERENCE_SCORER_H_
