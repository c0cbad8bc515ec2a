// Conversion between the API's `Member` and the store's opaque records.
//
//   store::MemberWrite w = ToMemberWrite(&normalized_member, expected_version);
//   ASSIGN_OR_RETURN(v1::Member m, FromMemberRecord(record));
//
// The payload is the serialized `Member` without the fields the store keeps
// itself (id, blocked, version, update_time), so there is one source of truth
// for each. Decoding a payload that does not parse is DATA_LOSS.
#ifndef PEERMATCH_SERVICE_API_MEMBER_CODEC_H_
#define PEERMATCH_SERVICE_API_MEMBER_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/profile.h"
#include "peermatch/v1/member.pb.h"
#include "service/store/member_repository.h"

namespace peermatch::api {

// `member` is borrowed: the fields the store keeps itself are moved out while
// the body is serialized and put back, so it is unchanged on return (this
// saves a copy of every member on the write path).
store::MemberWrite ToMemberWrite(v1::Member* member,
                                 std::optional<int64_t> expected_version);

absl::StatusOr<v1::Member> FromMemberRecord(const store::MemberRecord& record);

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
