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
  std::vector<MemberIndex> skip;  // exclude + hidden + extra, for the index
  const std::vector<MemberIndex>* index_exclude = &exclude;
  if (!request.hidden.empty() || !request.extra.empty()) {
    skip = exclude;
    skip.insert(skip.end(), request.hidden.begin(), request.hidden.end());
    skip.insert(skip.end(), request.extra.begin(), request.extra.end());
    std::sort(skip.begin(), skip.end());
    skip.erase(std::unique(skip.begin(), skip.end()), skip.end());
    index_exclude = &skip;
  }
  CandidateIndex::Scratch local;
  std::vector<Candidate> best;
  index.TopK(scorer, request.mentee, request.k, *index_exclude,
             scratch ? scratch : &local, &best);
  if (!request.extra.empty()) {
    // The extra mentors as the index would treat them: eligible mentors
    // only, acceptable pairs only, then the same order (score, then id).
    std::vector<MemberIndex> extra = request.extra;
    std::sort(extra.begin(), extra.end());
    extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
    const int32_t min_micros = scorer.min_score_micros();
    for (MemberIndex m : extra) {
      if (m >= pool.index_capacity() || !pool.live(m) ||
          !scorer.EligibleMentor(m) ||
          std::binary_search(exclude.begin(), exclude.end(), m)) {
        continue;
      }
      PairScores s;
      if (scorer.Score(request.mentee, m, &s) &&
          s.mentee_micros >= min_micros && s.mentor_micros >= min_micros) {
        best.push_back({m, s.mentee_micros, s.mentor_micros});
      }
    }
    std::sort(best.begin(), best.end(),
              [&](const Candidate& a, const Candidate& b) {
                return index.BetterForMentee(a, b);
              });
    if (static_cast<int>(best.size()) > request.k) best.resize(request.k);
  }
  result.mentors.reserve(best.size());
  for (const Candidate& c : best) {
    result.mentors.push_back({c.mentor, c.mentee_micros, c.mentor_micros,
                              scorer.Explain(request.mentee, c.mentor)});
  }
  return result;
}

}  // namespace peermatch::matcher
