// Request validation against the SPEC §2 / §8 limits (R-MEMBER, R-POOL,
// R-SEC "every input is bounded").
//
//   FieldErrors errors;
//   CheckPoolId(req.pool(), "pool", &errors);
//   v1::Member member = req.member();
//   NormalizeMember(&member, "member", &errors);
//   RETURN_IF_ERROR(errors.ToStatus());   // INVALID_ARGUMENT + BadRequest
//
// Every check appends a violation naming the field path (e.g.
// "member.availability[2].end_minute") and the rule; descriptions never echo
// the offending value, so they are safe to log. Nothing is silently
// truncated: a value outside a limit is an error, not clipped.
#ifndef PEERMATCH_SERVICE_API_VALIDATION_H_
#define PEERMATCH_SERVICE_API_VALIDATION_H_

#include <string>

#include "absl/strings/string_view.h"
#include "base/ids.h"
#include "base/limits.h"
#include "peermatch/v1/member.pb.h"
#include "service/api/status.h"

namespace peermatch::api {

// The limits are base/limits.h's, the one statement of each.
using base::kDefaultPageSize;
using base::kMaxBatchSize;
using base::kMaxBlocked;
using base::kMaxLanguages;
using base::kMaxLanguageTagLength;
using base::kMaxMemberIdLength;
using base::kMaxMentorCapacity;
using base::kMaxPageSize;
using base::kMaxPageTokenLength;
using base::kMaxPoolIdLength;
using base::kMaxRegionLength;
using base::kMaxTagLength;
using base::kMaxTags;
using base::kMaxTimeZoneLength;
using base::kMaxWindows;

// base::IsValidPoolId, as a field violation.
void CheckPoolId(absl::string_view pool, absl::string_view field,
                 FieldErrors* errors);

// base::IsValidMemberId, as a field violation.
void CheckMemberId(absl::string_view id, absl::string_view field,
                   FieldErrors* errors);

// IANA zone name rules of SPEC §2, including that it loads from the system's
// time-zone database (cached per process).
void CheckTimeZone(absl::string_view tz, absl::string_view field,
                   FieldErrors* errors);

// Validates `member` and normalizes it in place: tags lowercased, trimmed and
// deduplicated (first occurrence kept); duplicate roles, modalities, language
// tags (case-insensitively) and blocked ids dropped; region trimmed;
// `version` and `update_time` cleared (output-only). `prefix` is the field
// path of the member in the request ("member", "requests[3].member").
void NormalizeMember(v1::Member* member, absl::string_view prefix,
                     FieldErrors* errors);

// Lower-cased primary subtag of a BCP-47 tag ("en-GB" -> "en").
std::string PrimaryLanguageSubtag(absl::string_view tag);

// 0 means the default; otherwise 1..kMaxPageSize.
void CheckPageSize(int page_size, absl::string_view field, FieldErrors* errors);

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_VALIDATION_H_
