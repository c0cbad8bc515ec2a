#include "matcher/scoring.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "matcher/internal/fraction.h"

namespace peermatch::matcher {

std::string ConstraintName(Constraint c) {
  static constexpr const char* kNames[] = {"",
                                           "CONSTRAINT_SAME_MEMBER",
                                           "CONSTRAINT_NOT_MENTEE",
                                           "CONSTRAINT_NOT_MENTOR",
                                           "CONSTRAINT_SAFETY_HOLD",
                                           "CONSTRAINT_NOT_SCREENED",
                                           "CONSTRAINT_BLOCKED",
                                           "CONSTRAINT_DECLINED",
                                           "CONSTRAINT_EXCLUDED",
                                           "CONSTRAINT_NO_SHARED_LANGUAGE",
                                           "CONSTRAINT_NO_SHARED_MODALITY",
                                           "CONSTRAINT_MENTOR_STAGE",
                                           "CONSTRAINT_STAGE_GAP",
                                           "CONSTRAINT_AVAILABILITY_OVERLAP"};
  const size_t i = static_cast<size_t>(c);
  return i > 0 && i < std::size(kNames) ? kNames[i] : absl::StrCat(i);
}
namespace {

// The SPEC's component formulas on plain integers; the kernel's tables are
// filled from these, and Explain calls them directly.
double StageComponent(int gap, int ideal_gap) {
  return std::max(0.0, 1.0 - std::abs(gap - ideal_gap) / 4.0);
}

double AvailabilityComponent(int overlap_minutes, int target_minutes) {
  return std::min(1.0, overlap_minutes / static_cast<double>(target_minutes));
}

absl::Status CheckRange(absl::string_view field, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": need ", lo, "..", hi, ", got ", value));
  }
  return absl::OkStatus();
}

// Ids of a member's tags of one kind: the bits, then the side list.
std::vector<uint32_t> TagIds(const uint64_t (&bits)[kTagWords],
                             const std::vector<uint32_t>& rare) {
  std::vector<uint32_t> ids;
  for (int w = 0; w < kTagWords; ++w) {
    for (uint64_t b = bits[w]; b != 0; b &= b - 1) {
      ids.push_back(static_cast<uint32_t>(w * 64 + __builtin_ctzll(b)));
    }
  }
  ids.insert(ids.end(), rare.begin(), rare.end());
  return ids;
}

using internal::Fraction;

}  // namespace

std::array<double, kNumComponents> WeightArray(const ScoreWeights& w) {
  return {w.triggers,     w.interests, w.stage,
          w.availability, w.modality,  w.language};
}

absl::Status ValidateWeights(const ScoreWeights& weights) {
  bool any_positive = false;
  for (double w : WeightArray(weights)) {
    if (!std::isfinite(w) || w < 0) {
      return absl::InvalidArgumentError(
          "weights: every weight must be finite and >= 0");
    }
    any_positive |= w > 0;
  }
  if (!any_positive) {
    return absl::InvalidArgumentError("weights: at least one must be > 0");
  }
  return absl::OkStatus();
}

absl::Status ValidateScoringSettings(const PoolSettings& s) {
  if (absl::Status st = ValidateWeights(s.mentee_weights); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("mentee_", st.message()));
  }
  if (absl::Status st = ValidateWeights(s.mentor_weights); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("mentor_", st.message()));
  }
  for (absl::Status st :
       {CheckRange("mentor_min_stage", s.mentor_min_stage, 1, 5),
        CheckRange("min_stage_gap", s.min_stage_gap, -4, 4),
        CheckRange("ideal_stage_gap", s.ideal_stage_gap, -4, 4),
        CheckRange("min_overlap_minutes", s.min_overlap_minutes, 0,
                   kMinutesPerWeek),
        CheckRange("target_overlap_minutes", s.target_overlap_minutes, 15,
                   kMinutesPerWeek)}) {
    if (!st.ok()) return st;
  }
  if (!(s.min_score >= 0 && s.min_score <= 1)) {
    return absl::InvalidArgumentError("min_score: need 0..1");
  }
  return absl::OkStatus();
}

int32_t MinScoreMicros(double min_score) {
  if (!(min_score > 0)) return 0;
  if (min_score > 1) return 1000001;
  int64_t k = static_cast<int64_t>(std::ceil(min_score * 1e6));
  while (k > 0 && (k - 1) / 1e6 >= min_score) --k;
  while (k / 1e6 < min_score) ++k;
  return static_cast<int32_t>(k);
}

Scorer::View Scorer::MakeView(const ScoreWeights& w) {
  View v;
  v.all = WeightArray(w);
  for (double weight : v.all) {
    if (weight != 0) v.den += weight;
  }
  return v;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline double Scorer::Numerator(
    const View& v, const std::array<double, kNumComponents>& c) {
  // All six terms in order. A zero weight adds 0 * c = +0.0 (c is finite and
  // >= 0), which leaves num bit for bit unchanged, so this is exactly the
  // SPEC's "skipping zero weights", without a data-dependent loop.
  double num = 0.0;
  num += v.all[0] * c[0];
  num += v.all[1] * c[1];
  num += v.all[2] * c[2];
  num += v.all[3] * c[3];
  num += v.all[4] * c[4];
  num += v.all[5] * c[5];
  return num;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline int32_t Scorer::Micros(const View& v,
                                                           double numerator) {
  // floor(x) for x = num / den * 1e6 + 0.5 >= 0.5 (num >= 0, den > 0) is
  // exactly the truncating conversion, which needs no libm call.
  return static_cast<int32_t>(numerator / v.den * 1e6 + 0.5);
}

int32_t Scorer::MenteeMicros(double numerator) const {
  return Micros(mentee_, numerator);
}

int32_t ScoreMicros(const std::array<double, kNumComponents>& components,
                    const ScoreWeights& weights) {
  return Scorer::Finish(Scorer::MakeView(weights), components);
}

absl::StatusOr<Scorer> Scorer::Create(const CompiledPool& pool,
                                      const PoolSettings& settings) {
  if (absl::Status st = ValidateScoringSettings(settings); !st.ok()) return st;
  Scorer s;
  s.pool_ = &pool;
  s.settings_ = settings;
  s.mentee_ = MakeView(settings.mentee_weights);
  s.mentor_ = MakeView(settings.mentor_weights);
  const uint16_t screened = settings.require_screening ? kFlagScreened : 0;
  s.mentee_mask_ = kFlagLive | kFlagMentee | kFlagSafetyHold | screened;
  s.mentee_want_ = kFlagLive | kFlagMentee | screened;
  s.mentor_mask_ = kFlagLive | kFlagMentor | kFlagSafetyHold | screened;
  s.mentor_want_ = kFlagLive | kFlagMentor | screened;
  s.min_overlap_slots_ =
      (settings.min_overlap_minutes + kSlotMinutes - 1) / kSlotMinutes;
  s.min_score_micros_ = MinScoreMicros(settings.min_score);
  for (int gap = -4; gap <= 4; ++gap) {
    s.stage_table_[gap + 4] = StageComponent(gap, settings.ideal_stage_gap);
  }
  for (int slots = 0; slots <= kSlotsPerWeek; ++slots) {
    s.availability_table_[slots] = AvailabilityComponent(
        slots * kSlotMinutes, settings.target_overlap_minutes);
  }
  return s;
}

int Scorer::SharedRare(const std::vector<uint32_t>& a,
                       const std::vector<uint32_t>& b) {
  int n = 0;
  auto i = a.begin(), j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++n;
      ++i;
      ++j;
    }
  }
  return n;
}

namespace {

// The modality mask e and m share, IN_PERSON only within one region.
inline uint8_t SharedModalities(const MemberCore& ce, const MemberCore& cm) {
  const bool same_region = ce.region == cm.region && ce.region != kNoRegion;
  return ce.modalities & cm.modalities &
         (same_region ? 7 : (kModalityBitText | kModalityBitVideo));
}

}  // namespace

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void Scorer::OtherComponents(
    MemberIndex e, const MemberCore& ce, MemberIndex m, const MemberCore& cm,
    uint8_t shared_modalities, std::array<double, kNumComponents>& c) const {
  int trig = 0, inter = 0;
  for (int w = 0; w < kTagWords; ++w) {
    trig += __builtin_popcountll(ce.triggers[w] & cm.triggers[w]);
    inter += __builtin_popcountll(ce.interests[w] & cm.interests[w]);
  }
  if ((ce.flags & cm.flags) & kFlagRareTriggers) {
    trig += SharedRare(pool_->rare_triggers(e), pool_->rare_triggers(m));
  }
  if ((ce.flags & cm.flags) & kFlagRareInterests) {
    inter += SharedRare(pool_->rare_interests(e), pool_->rare_interests(m));
  }
  c[0] = Fraction(trig, ce.num_triggers);
  c[1] = Fraction(inter, int{ce.num_interests} + int{cm.num_interests} - inter);
  c[2] = stage_table_[int{cm.stage} - int{ce.stage} + 4];
  c[4] = (shared_modalities & ce.first_modality) ? 1.0 : 0.5;
  const uint32_t l = ce.first_language;
  const bool first_language_shared = l < kBitLanguages
                                         ? ((cm.languages >> l) & 1) != 0
                                         : pool_->HasLanguage(m, l);
  c[5] = first_language_shared ? 1.0 : 0.5;
}

bool Scorer::ScoreCores(MemberIndex e, const MemberCore& ce, MemberIndex m,
                        const MemberCore& cm, PairScores* out) const {
  if (e == m) return false;
  if ((ce.flags & mentee_mask_) != mentee_want_) return false;
  if ((cm.flags & mentor_mask_) != mentor_want_) return false;
  const int gap = int{cm.stage} - int{ce.stage};
  if (cm.stage < settings_.mentor_min_stage || gap < settings_.min_stage_gap) {
    return false;
  }
  // Languages, by primary subtag.
  if ((ce.languages & cm.languages) == 0 &&
      (!((ce.flags & cm.flags) & kFlagRareLanguages) ||
       SharedRare(pool_->rare_languages(e), pool_->rare_languages(m)) == 0)) {
    return false;
  }
  const uint8_t shared_mod = SharedModalities(ce, cm);
  if (shared_mod == 0) return false;
  const int slots = ce.slots.IntersectCount(cm.slots);
  if (slots < min_overlap_slots_) return false;
  if (((ce.flags | cm.flags) & kFlagAvoid) && pool_->Avoids(e, m)) {
    return false;
  }
  std::array<double, kNumComponents> c;
  OtherComponents(e, ce, m, cm, shared_mod, c);
  c[3] = availability_table_[slots];
  out->mentee_micros = Finish(mentee_, c);
  out->mentor_micros = Finish(mentor_, c);
  return true;
}

ViewScore Scorer::MakeViewScore(
    const ScoreWeights& w, const std::array<double, kNumComponents>& c) const {
  const View v = MakeView(w);
  const std::array<double, kNumComponents> weights = WeightArray(w);
  ViewScore out;
  out.score_micros = Finish(v, c);
  for (int k = 0; k < kNumComponents; ++k) {
    out.components[k] = ComponentScore{kComponentNames[k], c[k], weights[k],
                                       weights[k] * c[k] / v.den};
  }
  return out;
}

PairExplanation Scorer::Explain(MemberIndex e, MemberIndex m) const {
  const CompiledPool& pool = *pool_;
  const MemberCore& ce = pool.core(e);
  const MemberCore& cm = pool.core(m);
  PairExplanation x;

  // Shared tags, tag by tag.
  for (uint32_t t : TagIds(ce.triggers, pool.rare_triggers(e))) {
    if (pool.HasTrigger(m, t)) {
      x.shared_triggers.push_back(pool.trigger_names().Name(t));
    }
  }
  for (uint32_t t : TagIds(ce.interests, pool.rare_interests(e))) {
    if (pool.HasInterest(m, t)) {
      x.shared_interests.push_back(pool.interest_names().Name(t));
    }
  }
  std::sort(x.shared_triggers.begin(), x.shared_triggers.end());
  std::sort(x.shared_interests.begin(), x.shared_interests.end());
  for (uint32_t l : pool.languages(e)) {
    if (pool.HasLanguage(m, l)) {
      x.shared_languages.push_back(pool.language_names().Name(l));
    }
  }
  const std::vector<Modality> mentor_modalities = pool.modalities(m);
  for (Modality mod : pool.modalities(e)) {
    const bool mentor_has =
        std::find(mentor_modalities.begin(), mentor_modalities.end(), mod) !=
        mentor_modalities.end();
    const bool region_ok = mod != Modality::kInPerson ||
                           (ce.region != kNoRegion && ce.region == cm.region);
    if (mentor_has && region_ok) x.shared_modalities.push_back(mod);
  }
  int shared_slots = 0;
  for (int slot = 0; slot < kSlotsPerWeek; ++slot) {
    shared_slots += ce.slots.Test(slot) && cm.slots.Test(slot);
  }
  x.overlap_minutes = shared_slots * kSlotMinutes;

  // Hard constraints, every one of them.
  auto fail = [&x](Constraint c) { x.failed_constraints.push_back(c); };
  if (e == m) fail(Constraint::kSameMember);
  if (!(ce.flags & kFlagMentee)) fail(Constraint::kNotMentee);
  if (!(cm.flags & kFlagMentor)) fail(Constraint::kNotMentor);
  if ((ce.flags | cm.flags) & kFlagSafetyHold) fail(Constraint::kSafetyHold);
  if (settings_.require_screening && !(ce.flags & cm.flags & kFlagScreened)) {
    fail(Constraint::kNotScreened);
  }
  const auto& eb = pool.blocked(e);
  const auto& mb = pool.blocked(m);
  if (std::find(eb.begin(), eb.end(), pool.id(m)) != eb.end() ||
      std::find(mb.begin(), mb.end(), pool.id(e)) != mb.end()) {
    fail(Constraint::kBlocked);
  }
  const uint8_t kinds = pool.ExclusionKinds(pool.id(e), pool.id(m));
  if (kinds & static_cast<uint8_t>(PairExclusion::kDeclined)) {
    fail(Constraint::kDeclined);
  }
  if (kinds & static_cast<uint8_t>(PairExclusion::kEnded)) {
    fail(Constraint::kExcluded);
  }
  if (x.shared_languages.empty()) fail(Constraint::kNoSharedLanguage);
  if (x.shared_modalities.empty()) fail(Constraint::kNoSharedModality);
  const int gap = int{cm.stage} - int{ce.stage};
  if (cm.stage < settings_.mentor_min_stage) fail(Constraint::kMentorStage);
  if (gap < settings_.min_stage_gap) fail(Constraint::kStageGap);
  if (x.overlap_minutes < settings_.min_overlap_minutes) {
    fail(Constraint::kAvailabilityOverlap);
  }
  x.acceptable = x.failed_constraints.empty();

  // Components, from the lists above.
  std::array<double, kNumComponents> c;
  const int num_triggers = ce.num_triggers;
  c[0] = num_triggers == 0
             ? 0.0
             : static_cast<double>(x.shared_triggers.size()) / num_triggers;
  const int uni = ce.num_interests + cm.num_interests -
                  static_cast<int>(x.shared_interests.size());
  c[1] = uni == 0 ? 0.0 : static_cast<double>(x.shared_interests.size()) / uni;
  c[2] = StageComponent(gap, settings_.ideal_stage_gap);
  c[3] = AvailabilityComponent(x.overlap_minutes,
                               settings_.target_overlap_minutes);
  const std::vector<Modality> mentee_modalities = pool.modalities(e);
  c[4] =
      !mentee_modalities.empty() &&
              std::find(x.shared_modalities.begin(), x.shared_modalities.end(),
                        mentee_modalities.front()) != x.shared_modalities.end()
          ? 1.0
          : 0.5;
  const auto mentee_languages = pool.languages(e);
  c[5] = !mentee_languages.empty() && pool.HasLanguage(m, mentee_languages[0])
             ? 1.0
             : 0.5;
  x.mentee_view = MakeViewScore(settings_.mentee_weights, c);
  x.mentor_view = MakeViewScore(settings_.mentor_weights, c);
  return x;
}

}  // namespace peermatch::matcher
