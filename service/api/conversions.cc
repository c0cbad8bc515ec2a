#include "service/api/conversions.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/api/member_codec.h"

namespace peermatch::api {

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  int64_t ms = absl::ToUnixMillis(t);
  int64_t secs = ms / 1000;
  int64_t rest = ms % 1000;
  if (rest < 0) {
    --secs;
    rest += 1000;
  }
  out->set_seconds(secs);
  out->set_nanos(static_cast<int32_t>(rest) * 1000000);
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

bool IsValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= 0 && t.seconds() <= 253402300799 && t.nanos() >= 0 &&
         t.nanos() <= 999999999;
}

std::string EncodeOffsetToken(absl::string_view pool, int64_t offset) {
  return EncodePageToken(pool, absl::StrCat(offset));
}

bool DecodeOffsetToken(absl::string_view pool, absl::string_view token,
                       int64_t* offset) {
  *offset = 0;
  if (token.empty()) return true;
  absl::StatusOr<std::string> decoded = DecodePageToken(pool, token);
  return decoded.ok() && absl::SimpleAtoi(*decoded, offset) && *offset >= 0;
}

}  // namespace peermatch::api
