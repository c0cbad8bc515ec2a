// Real-time mentor recommendations and pair explanations (R-RECOMMEND,
// R-EXPLAIN), answered from the replica's snapshot: the pool's compiled
// members, its scorer and the index of mentors with free capacity.
//
//   core::Recommender rec(&snapshots);
//   core::RecommendQuery q{.mentee = "e-42", .k = 10};
//   ASSIGN_OR_RETURN(core::Recommendations r, rec.Recommend(pool, q, dl));
//
// Per-call weight overrides come as a SettingsPatch on a copy of the pool's
// matcher settings (the API layer merges and validates the request's
// weights); with one, a scorer is built for the call.
#ifndef PEERMATCH_SERVICE_CORE_RECOMMEND_H_
#define PEERMATCH_SERVICE_CORE_RECOMMEND_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "matcher/profile.h"
#include "matcher/scoring.h"
#include "service/snapshot/pool_snapshots.h"

namespace peermatch::core {

// Changes a copy of the pool's matcher settings for one call.
using MatcherPatch = std::function<absl::Status(matcher::PoolSettings*)>;

struct RecommendQuery {
  std::string mentee;
  int k = 10;                        // 1..kMaxRecommendations
  std::vector<std::string> exclude;  // ids; unknown ones are ignored
  // When set, must fall in the snapshot's reference week
  // (FAILED_PRECONDITION otherwise: real-time calls answer for this week).
  std::optional<absl::Time> reference_time;
  MatcherPatch adjust;  // may be empty
};

struct Recommendation {
  std::string mentor_id;
  int32_t mentee_micros = 0;
  int free_capacity = 0;
  matcher::PairExplanation explanation;
};

struct Recommendations {
  std::vector<Recommendation> mentors;  // best first
  absl::Time week_start;                // the explanations' reference week
  int64_t snapshot_version = 0;         // the change-stream ms it reflects
};

struct Explanation {
  matcher::PairExplanation explanation;
  absl::Time week_start;
};

class Recommender {
 public:
  explicit Recommender(snapshot::PoolSnapshots* snapshots)
      : snapshots_(snapshots) {}

  // NOT_FOUND for an unknown pool or mentee.
  absl::StatusOr<Recommendations> Recommend(const std::string& pool,
                                            const RecommendQuery& query,
                                            absl::Time deadline);
  // NOT_FOUND for an unknown pool, mentee or mentor.
  absl::StatusOr<Explanation> Explain(const std::string& pool,
                                      const std::string& mentee,
                                      const std::string& mentor,
                                      std::optional<absl::Time> reference_time,
                                      const MatcherPatch& adjust,
                                      absl::Time deadline);

 private:
  snapshot::PoolSnapshots* snapshots_;
};

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_RECOMMEND_H_
