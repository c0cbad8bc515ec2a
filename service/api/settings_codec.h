// Pool settings: the API's `PoolSettings` (every field optional) merged onto
// the matcher's `PoolSettings` (every field set), with validation.
//
//   matcher::PoolSettings s;                       // SPEC defaults
//   FieldErrors errors;
//   MergeSettings(request.settings(), "settings", &s, &errors);
//   RETURN_IF_ERROR(errors.ToStatus());
//   v1::PoolSettings shown = SettingsToProto(s);   // every field filled
//
// Ranges (settings.proto): weights finite and >= 0 with at least one > 0 per
// view (checked after merging, so a patch may zero one weight and raise
// another); mentor_min_stage and facilitator_min_stage 1-5; min and ideal
// stage gap -4..4; min_overlap_minutes 0-10080; target_overlap_minutes
// 15-10080; min_score 0-1; min_size 2-50, max_size min_size-50, target_size
// between them; max_stage_spread 0-4; session_minutes 15-1440 and a
// multiple of 15; affinity weights finite, >= 0, one > 0; churn_weight finite
// and >= 0; proposal_ttl_seconds 1-31536000.
#ifndef PEERMATCH_SERVICE_API_SETTINGS_CODEC_H_
#define PEERMATCH_SERVICE_API_SETTINGS_CODEC_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/profile.h"
#include "peermatch/v1/settings.pb.h"
#include "service/api/status.h"
#include "service/store/record_codec.h"

namespace peermatch::api {

// The complete settings of a pool are the store's PoolConfig.
using FullSettings = store::PoolConfig;
using ServiceSettings = store::ServiceSettings;

// Applies every field present in `patch` to `settings`, then validates the
// result; violations name `prefix.<field>`.
void MergeSettings(const v1::PoolSettings& patch, absl::string_view prefix,
                   FullSettings* settings, FieldErrors* errors);

// Merges only a view's weights (per-call overrides of RecommendMentors /
// ExplainPair), validated the same way.
void MergeWeights(const v1::Weights& patch, absl::string_view prefix,
                  matcher::ScoreWeights* weights, FieldErrors* errors);

v1::PoolSettings SettingsToProto(const FullSettings& settings);

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_SETTINGS_CODEC_H_
