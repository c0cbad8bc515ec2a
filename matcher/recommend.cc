#include "matcher/recommend.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"

namespace peermatch::matcher {

absl::StatusOr<RecommendResult> RecommendMentors(
    const CandidateIndex& index, const RecommendRequest& request,
    CandidateIndex::Scratch* scratch) {
  const Scorer& scorer = request.scorer ? *request.scorer : index.scorer();
  const CompiledPool& pool = scorer.pool();
  if (request.k < 1 || request.k > kMaxRecommendations) {
    return absl::InvalidArgumentError("k: need 1..50");
  }
  if (request.mentee >= pool.index_capacity() || !pool.live(request.mentee)) {
    return absl::InvalidArgumentError("mentee: not a member of the pool");
  }
  if (!index.CompatibleScorer(scorer)) {
    return absl::InvalidArgumentError(
        "scorer: differs from the index in pool or hard-constraint settings");
  }
  RecommendResult result;
  const uint16_t flags = pool.core(request.mentee).flags;
  if (flags & kFlagSafetyHold) {
    result.ineligible = UnmatchedReason::kSafetyHold;
    return result;
  }
  if (scorer.settings().require_screening && !(flags & kFlagScreened)) {
    result.ineligible = UnmatchedReason::kNotScreened;
    return result;
  }
  std::vector<MemberIndex> exclude = request.exclude;
  std::sort(exclude.begin(), exclude.end());
  CandidateIndex::Scratch local;
  std::vector<Candidate> best;
  index.TopK(scorer, request.mentee, request.k, exclude,
             scratch ? scratch : &local, &best);
  result.mentors.reserve(best.size());
  for (const Candidate& c : best) {
    result.mentors.push_back({c.mentor, c.mentee_micros, c.mentor_micros,
                              scorer.Explain(request.mentee, c.mentor)});
  }
  return result;
}

}  // namespace peermatch::matcher
