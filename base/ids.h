// The id rules of SPEC §2 (R-POOL, R-MEMBER), stated once for every layer:
// the matcher, the store, the core use cases, the API and the CLI all call
// these, so no two of them can disagree on what an id is.
//
//   RETURN_IF_ERROR(base::ValidatePoolId(pool));              // "pool: ..."
//   RETURN_IF_ERROR(base::ValidateMemberId(id, "mentee_id"));
//   if (!base::IsValidMemberId(id)) errors.Add("id", base::MemberIdRule());
//
// The error texts name the field and the rule, never the offending value,
// so they are safe to log and to return.
#ifndef PEERMATCH_BASE_IDS_H_
#define PEERMATCH_BASE_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "base/limits.h"

namespace peermatch::base {

// Pool ids: 1-63 characters of [a-z0-9-].
bool IsValidPoolId(absl::string_view pool);
// Member ids: 1-128 characters of [A-Za-z0-9._:@-]. They can contain neither
// ',' nor '|' nor '{', which the Redis layout relies on (docs/key-schema.md).
bool IsValidMemberId(absl::string_view id);

// "must be 1-63 characters of [a-z0-9-]" and the member-id counterpart.
std::string PoolIdRule();
std::string MemberIdRule();

// OK, or INVALID_ARGUMENT "<field>: <rule>".
absl::Status ValidatePoolId(absl::string_view pool,
                            absl::string_view field = "pool");
absl::Status ValidateMemberId(absl::string_view id, absl::string_view field);

}  // namespace peermatch::base

#endif  // PEERMATCH_BASE_IDS_H_
