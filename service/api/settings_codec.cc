#include "service/api/settings_codec.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace peermatch::api {
namespace {

std::string Path(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

void CheckRange(int64_t v, int64_t lo, int64_t hi, const std::string& path,
                FieldErrors* errors) {
  if (v < lo || v > hi) {
    errors->Add(path, absl::StrCat("must be ", lo, " to ", hi));
  }
}

bool FiniteNonNegative(double v) { return std::isfinite(v) && v >= 0; }

void CheckWeightSet(std::initializer_list<std::pair<const char*, double>> ws,
                    const std::string& path, FieldErrors* errors) {
  bool any_positive = false;
  for (const auto& [name, w] : ws) {
    if (!FiniteNonNegative(w)) {
      errors->Add(absl::StrCat(path, ".", name), "must be finite and >= 0");
    }
    any_positive |= std::isfinite(w) && w > 0;
  }
  if (!any_positive) errors->Add(path, "at least one weight must be > 0");
}

}  // namespace

void MergeWeights(const v1::Weights& p, absl::string_view prefix,
                  matcher::ScoreWeights* w, FieldErrors* errors) {
  if (p.has_triggers()) w->triggers = p.triggers();
  if (p.has_interests()) w->interests = p.interests();
  if (p.has_stage()) w->stage = p.stage();
  if (p.has_availability()) w->availability = p.availability();
  if (p.has_modality()) w->modality = p.modality();
  if (p.has_language()) w->language = p.language();
  CheckWeightSet({{"triggers", w->triggers},
                  {"interests", w->interests},
                  {"stage", w->stage},
                  {"availability", w->availability},
                  {"modality", w->modality},
                  {"language", w->language}},
                 std::string(prefix), errors);
}

void MergeSettings(const v1::PoolSettings& p, absl::string_view prefix,
                   FullSettings* full, FieldErrors* errors) {
  matcher::PoolSettings& s = full->matcher;
  MergeWeights(p.mentee_weights(), Path(prefix, "mentee_weights"),
               &s.mentee_weights, errors);
  MergeWeights(p.mentor_weights(), Path(prefix, "mentor_weights"),
               &s.mentor_weights, errors);
  if (p.has_mentor_min_stage()) s.mentor_min_stage = p.mentor_min_stage();
  if (p.has_min_stage_gap()) s.min_stage_gap = p.min_stage_gap();
  if (p.has_ideal_stage_gap()) s.ideal_stage_gap = p.ideal_stage_gap();
  if (p.has_min_overlap_minutes()) {
    s.min_overlap_minutes = p.min_overlap_minutes();
  }
  if (p.has_target_overlap_minutes()) {
    s.target_overlap_minutes = p.target_overlap_minutes();
  }
  if (p.has_min_score()) s.min_score = p.min_score();
  if (p.has_require_screening()) s.require_screening = p.require_screening();
  if (p.has_min_size()) s.min_size = p.min_size();
  if (p.has_max_size()) s.max_size = p.max_size();
  if (p.has_target_size()) s.target_size = p.target_size();
  if (p.has_require_facilitator()) {
    s.require_facilitator = p.require_facilitator();
  }
  if (p.has_facilitator_min_stage()) {
    s.facilitator_min_stage = p.facilitator_min_stage();
  }
  if (p.has_max_stage_spread()) s.max_stage_spread = p.max_stage_spread();
  if (p.has_session_minutes()) s.session_minutes = p.session_minutes();
  const v1::AffinityWeights& a = p.affinity_weights();
  if (a.has_triggers()) s.affinity_weights.triggers = a.triggers();
  if (a.has_interests()) s.affinity_weights.interests = a.interests();
  if (a.has_stage()) s.affinity_weights.stage = a.stage();
  if (p.has_churn_weight()) s.churn_weight = p.churn_weight();
  if (p.has_proposal_ttl_seconds()) {
    full->service.proposal_ttl_seconds = p.proposal_ttl_seconds();
  }
  if (p.has_auto_publish()) full->service.auto_publish = p.auto_publish();

  CheckRange(s.mentor_min_stage, 1, 5, Path(prefix, "mentor_min_stage"),
             errors);
  CheckRange(s.min_stage_gap, -4, 4, Path(prefix, "min_stage_gap"), errors);
  CheckRange(s.ideal_stage_gap, -4, 4, Path(prefix, "ideal_stage_gap"), errors);
  CheckRange(s.min_overlap_minutes, 0, 10080,
             Path(prefix, "min_overlap_minutes"), errors);
  CheckRange(s.target_overlap_minutes, 15, 10080,
             Path(prefix, "target_overlap_minutes"), errors);
  if (!std::isfinite(s.min_score) || s.min_score < 0 || s.min_score > 1) {
    errors->Add(Path(prefix, "min_score"), "must be 0 to 1");
  }
  CheckRange(s.min_size, 2, 50, Path(prefix, "min_size"), errors);
  CheckRange(s.max_size, s.min_size, 50, Path(prefix, "max_size"), errors);
  CheckRange(s.target_size, s.min_size, s.max_size, Path(prefix, "target_size"),
             errors);
  CheckRange(s.facilitator_min_stage, 1, 5,
             Path(prefix, "facilitator_min_stage"), errors);
  CheckRange(s.max_stage_spread, 0, 4, Path(prefix, "max_stage_spread"),
             errors);
  CheckRange(s.session_minutes, 15, 1440, Path(prefix, "session_minutes"),
             errors);
  if (s.session_minutes % 15 != 0) {
    errors->Add(Path(prefix, "session_minutes"), "must be a multiple of 15");
  }
  CheckWeightSet({{"triggers", s.affinity_weights.triggers},
                  {"interests", s.affinity_weights.interests},
                  {"stage", s.affinity_weights.stage}},
                 Path(prefix, "affinity_weights"), errors);
  if (!FiniteNonNegative(s.churn_weight)) {
    errors->Add(Path(prefix, "churn_weight"), "must be finite and >= 0");
  }
  CheckRange(full->service.proposal_ttl_seconds, 1, 31536000,
             Path(prefix, "proposal_ttl_seconds"), errors);
}

v1::PoolSettings SettingsToProto(const FullSettings& full) {
  const matcher::PoolSettings& s = full.matcher;
  v1::PoolSettings p;
  auto weights = [](const matcher::ScoreWeights& w, v1::Weights* out) {
    out->set_triggers(w.triggers);
    out->set_interests(w.interests);
    out->set_stage(w.stage);
    out->set_availability(w.availability);
    out->set_modality(w.modality);
    out->set_language(w.language);
  };
  weights(s.mentee_weights, p.mutable_mentee_weights());
  weights(s.mentor_weights, p.mutable_mentor_weights());
  p.set_mentor_min_stage(s.mentor_min_stage);
  p.set_min_stage_gap(s.min_stage_gap);
  p.set_ideal_stage_gap(s.ideal_stage_gap);
  p.set_min_overlap_minutes(s.min_overlap_minutes);
  p.set_target_overlap_minutes(s.target_overlap_minutes);
  p.set_min_score(s.min_score);
  p.set_require_screening(s.require_screening);
  p.set_min_size(s.min_size);
  p.set_max_size(s.max_size);
  p.set_target_size(s.target_size);
  p.set_require_facilitator(s.require_facilitator);
  p.set_facilitator_min_stage(s.facilitator_min_stage);
  p.set_max_stage_spread(s.max_stage_spread);
  p.set_session_minutes(s.session_minutes);
  p.mutable_affinity_weights()->set_triggers(s.affinity_weights.triggers);
  p.mutable_affinity_weights()->set_interests(s.affinity_weights.interests);
  p.mutable_affinity_weights()->set_stage(s.affinity_weights.stage);
  p.set_churn_weight(s.churn_weight);
  p.set_proposal_ttl_seconds(full.service.proposal_ttl_seconds);
  p.set_auto_publish(full.service.auto_publish);
  return p;
}

}  // namespace peermatch::api
