// Real-time mentor recommendations for one mentee (R-RECOMMEND).
//
//   CandidateIndex index(scorer, mentors_with_free_capacity);  // reusable
//   RecommendRequest request;
//   request.mentee = *pool.Find("e-42");
//   request.k = 10;
//   absl::StatusOr<RecommendResult> r = RecommendMentors(index, request);
//   for (const Recommendation& rec : r->mentors) { ... rec.explanation ... }
//
// Returns the top-k acceptable mentors (hard constraints pass and both views
// score >= min_score, the same acceptability as batch matching) by
// mentee-view score, ties to the lower id, each with its full explanation.
// Only indexed mentors are considered, so the caller indexes the mentors
// with free capacity. Exclusions and overridden weights are per request; a
// different reference week needs a pool compiled for that week (see
// CompiledPool::SetWeek), since availability is part of the pool.
// Cost: one CandidateIndex query, one full score per extra mentor, plus k
// explanations; no allocation beyond the result when the caller reuses a
// Scratch and passes no hidden or extra mentors.
#ifndef PEERMATCH_MATCHER_RECOMMEND_H_
#define PEERMATCH_MATCHER_RECOMMEND_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "base/limits.h"
#include "matcher/batch_matching.h"
#include "matcher/candidate_index.h"
#include "matcher/scoring.h"

namespace peermatch::matcher {

inline constexpr int kMaxRecommendations = base::kMaxRecommendations;

struct RecommendRequest {
  MemberIndex mentee = 0;
  int k = 10;                        // 1..kMaxRecommendations
  std::vector<MemberIndex> exclude;  // pool indices, any order
  // Scores with other weights or min_score (same pool and hard-constraint
  // settings as the index); the index's scorer when null.
  const Scorer* scorer = nullptr;
  // Keeping an index fresh without rebuilding it (the service's snapshots):
  // indexed mentors to ignore (e.g. changed or removed since the index was
  // built; any order), and mentors to consider outside the index, scored
  // directly (e.g. their current state). An extra mentor is never also
  // taken from the index. The result equals RecommendMentors on an index
  // built over (indexed - hidden - extra) + extra.
  std::vector<MemberIndex> hidden;
  std::vector<MemberIndex> extra;
};

struct Recommendation {
  MemberIndex mentor = 0;
  int32_t mentee_micros = 0;
  int32_t mentor_micros = 0;
  PairExplanation explanation;
};

struct RecommendResult {
  // Set when the mentee cannot be matched at all (then `mentors` is empty).
  std::optional<UnmatchedReason> ineligible;
  std::vector<Recommendation> mentors;  // best first
};

// INVALID_ARGUMENT when k is outside 1..50, the mentee index is not a live
// member, or request.scorer is not compatible with the index.
absl::StatusOr<RecommendResult> RecommendMentors(
    const CandidateIndex& index, const RecommendRequest& request,
    CandidateIndex::Scratch* scratch = nullptr);

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_RECOMMEND_H_
