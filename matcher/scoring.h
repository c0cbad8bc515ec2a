// Compatibility of a mentee and a mentor (SPEC §3, R-SCORE): the hard
// constraints, the six components, the two views' scores with the pinned
// arithmetic, and the explanation.
//
//   absl::StatusOr<Scorer> scorer = Scorer::Create(pool, settings);
//   PairScores s;
//   if (scorer->Score(e, m, &s)) {          // fast: no explanation
//     use(s.mentee_micros, s.mentor_micros);
//   }
//   PairExplanation why = scorer->Explain(e, m);  // slow, complete
//
// The arithmetic is pinned (SPEC §3): components in IEEE double; for each
// view, starting from 0.0 and in the order triggers, interests, stage,
// availability, modality, language, skipping zero weights, `num += w * c`
// (this library is compiled with -ffp-contract=off, so never a fused
// multiply-add) and `den += w`; score = floor(num / den * 1e6 + 0.5)
// millionths. Scores are compared as these integers.
//
// Score() is the hot kernel (R-PERF: >= 20 M pairs/s on one core): it works
// on the CompiledPool's bitsets and masks and stops at the first failed hard
// constraint. Explain() computes the same values a second, plainer way (tag
// by tag through the pool's accessors) and reports every failed constraint;
// tests check that the two agree.
#ifndef PEERMATCH_MATCHER_SCORING_H_
#define PEERMATCH_MATCHER_SCORING_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/compiled_pool.h"
#include "matcher/profile.h"

namespace peermatch::matcher {

// A failed hard constraint. Numbers mirror peermatch.v1.Constraint.
enum class Constraint : uint8_t {
  kSameMember = 1,
  kNotMentee = 2,
  kNotMentor = 3,
  kSafetyHold = 4,
  kNotScreened = 5,
  kBlocked = 6,
  kDeclined = 7,
  kExcluded = 8,
  kNoSharedLanguage = 9,
  kNoSharedModality = 10,
  kMentorStage = 11,
  kStageGap = 12,
  kAvailabilityOverlap = 13,
};

// The constraint's name in the API ("CONSTRAINT_SAME_MEMBER", ...), for
// messages; tests/api checks it against peermatch.v1.Constraint. The number
// as text for a value outside the enum.
std::string ConstraintName(Constraint c);

// The components in the SPEC's (and the summation's) order.
inline constexpr int kNumComponents = 6;
inline constexpr std::array<absl::string_view, kNumComponents> kComponentNames =
    {"triggers", "interests", "stage", "availability", "modality", "language"};

// Weights of one view in summation order.
std::array<double, kNumComponents> WeightArray(const ScoreWeights& w);

// The pinned arithmetic of SPEC §3 on explicit component values. Requires
// valid weights (ValidateWeights).
int32_t ScoreMicros(const std::array<double, kNumComponents>& components,
                    const ScoreWeights& weights);

// OK when every weight is finite and >= 0 and at least one is > 0.
absl::Status ValidateWeights(const ScoreWeights& weights);

// OK when every setting scoring reads is in range (settings.proto): both
// views' weights, mentor_min_stage 1..5, min/ideal_stage_gap -4..4,
// min_overlap_minutes 0..10080, target_overlap_minutes 15..10080, min_score
// in [0, 1]. INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateScoringSettings(const PoolSettings& settings);

// The smallest score in millionths that is >= `min_score` when reported as
// millionths / 1e6 (SPEC §3 compares the rounded values).
int32_t MinScoreMicros(double min_score);

// Both views' scores of an acceptable pair, in millionths.
struct PairScores {
  int32_t mentee_micros = 0;
  int32_t mentor_micros = 0;
};

struct ComponentScore {
  absl::string_view name;
  double value = 0;         // c_k in [0, 1]
  double weight = 0;        // w_k
  double contribution = 0;  // w_k * c_k / sum of weights
};

struct ViewScore {
  int32_t score_micros = 0;
  double score() const { return score_micros / 1e6; }
  std::array<ComponentScore, kNumComponents> components;
};

// Everything about one pair (SPEC §3 "Explanation"). The views are filled in
// even when the pair is not acceptable.
struct PairExplanation {
  bool acceptable = false;
  std::vector<Constraint> failed_constraints;  // ascending, all of them
  ViewScore mentee_view;
  ViewScore mentor_view;
  int overlap_minutes = 0;
  std::vector<std::string> shared_triggers;   // sorted
  std::vector<std::string> shared_interests;  // sorted
  std::vector<std::string> shared_languages;  // primary subtags, e's order
  std::vector<Modality> shared_modalities;    // e's order
};

// Scores pairs of one CompiledPool under one PoolSettings. Cheap to create
// (tables of a few hundred doubles); create one per request when weights are
// overridden. Holds a pointer to the pool, which must outlive it and must not
// change while it is used. Thread-compatible: const methods may run
// concurrently.
class Scorer {
 public:
  // INVALID_ARGUMENT when ValidateScoringSettings fails.
  static absl::StatusOr<Scorer> Create(const CompiledPool& pool,
                                       const PoolSettings& settings);

  // The hot kernel (defined in scoring.cc, so that the pinned arithmetic is
  // always compiled with this library's flags). Returns whether e (as mentee)
  // and m (as mentor) pass every hard constraint; when they do, fills `out`
  // with both views' scores. Does not apply min_score. Requires live indices.
  bool Score(MemberIndex e, MemberIndex m, PairScores* out) const {
    return ScoreCores(e, pool_->core(e), m, pool_->core(m), out);
  }
  // The same on cores the caller holds (e.g. a contiguous copy); `ce` and
  // `cm` must equal pool().core(e) and pool().core(m).
  bool ScoreCores(MemberIndex e, const MemberCore& ce, MemberIndex m,
                  const MemberCore& cm, PairScores* out) const;

  // The mentee-view score of a numerator (a sum of weight * component in
  // the pinned order); monotone, so bounds of numerators bound scores.
  int32_t MenteeMicros(double numerator) const;
  // The mentee view's weights in summation order.
  const std::array<double, kNumComponents>& mentee_weights() const {
    return mentee_.all;
  }

  // Every failed constraint, both views with components, the overlap and the
  // shared tags, languages and modalities. Requires live indices.
  PairExplanation Explain(MemberIndex e, MemberIndex m) const;

  // Whether a member may take part as mentee / mentor at all: the role, no
  // safety_hold, screened if required (SPEC §4 "eligible").
  bool EligibleMentee(MemberIndex e) const {
    return (pool_->core(e).flags & mentee_mask_) == mentee_want_;
  }
  bool EligibleMentor(MemberIndex m) const {
    return (pool_->core(m).flags & mentor_mask_) == mentor_want_;
  }

  const CompiledPool& pool() const { return *pool_; }
  const PoolSettings& settings() const { return settings_; }
  int32_t min_score_micros() const { return min_score_micros_; }

  // The stage component of a pair, exposed for bounds.
  double stage_value(int mentee_stage, int mentor_stage) const {
    return stage_table_[mentor_stage - mentee_stage + 4];
  }

 private:
  // A view's weights in summation order, and their sum.
  struct View {
    std::array<double, kNumComponents> all = {};
    double den = 0;
  };

  friend int32_t ScoreMicros(
      const std::array<double, kNumComponents>& components,
      const ScoreWeights& weights);

  Scorer() = default;
  static View MakeView(const ScoreWeights& w);
  static double Numerator(const View& v,
                          const std::array<double, kNumComponents>& c);
  static int32_t Micros(const View& v, double numerator);
  static int32_t Finish(const View& v,
                        const std::array<double, kNumComponents>& c) {
    return Micros(v, Numerator(v, c));
  }
  ViewScore MakeViewScore(const ScoreWeights& w,
                          const std::array<double, kNumComponents>& c) const;

  static int SharedRare(const std::vector<uint32_t>& a,
                        const std::vector<uint32_t>& b);
  // Every component but availability (c[3]); `shared_modalities` is the
  // pair's shared modality mask (IN_PERSON only within one region).
  void OtherComponents(MemberIndex e, const MemberCore& ce, MemberIndex m,
                       const MemberCore& cm, uint8_t shared_modalities,
                       std::array<double, kNumComponents>& c) const;

  const CompiledPool* pool_ = nullptr;
  PoolSettings settings_;
  View mentee_;
  View mentor_;
  uint16_t mentee_mask_ = 0, mentee_want_ = 0;
  uint16_t mentor_mask_ = 0, mentor_want_ = 0;
  int min_overlap_slots_ = 0;
  int32_t min_score_micros_ = 0;
  double stage_table_[9] = {};                         // by gap + 4
  double availability_table_[kSlotsPerWeek + 1] = {};  // by shared slots
};

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_SCORING_H_
