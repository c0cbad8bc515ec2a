// Conversion between the API's `Member` and the store's records, whose
// storage format the store owns (service/store/record_codec.h).
//
//   store::MemberWrite w = ToMemberWrite(normalized_member, expected_version);
//   v1::Member m = FromMemberRecord(record);
#ifndef PEERMATCH_SERVICE_API_MEMBER_CODEC_H_
#define PEERMATCH_SERVICE_API_MEMBER_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/profile.h"
#include "peermatch/v1/member.pb.h"
#include "service/store/member_types.h"

namespace peermatch::api {

store::MemberWrite ToMemberWrite(const v1::Member& member,
                                 std::optional<int64_t> expected_version);

v1::Member FromMemberRecord(const store::MemberRecord& record);

// The matcher's view of a validated member, and back (the generator's
// cohorts become API members this way).
matcher::MemberProfile ToProfile(const v1::Member& member);
v1::Member FromProfile(const matcher::MemberProfile& profile);

// Opaque page tokens bound to one pool: INVALID_ARGUMENT for a token that
// was not made by EncodePageToken for `pool`.
std::string EncodePageToken(absl::string_view pool, absl::string_view after);
absl::StatusOr<std::string> DecodePageToken(absl::string_view pool,
                                            absl::string_view token);

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_MEMBER_CODEC_H_
