// Small conversions the API layer repeats: protobuf Timestamps and the
// opaque offset page tokens of the list RPCs.
//
//   SetTimestamp(record.update_time, out.mutable_update_time());
//   absl::Time t = FromTimestamp(req.reference_time());
//   int64_t offset = 0;
//   if (!DecodeOffsetToken(pool, req.page_token(), &offset)) { ... }
#ifndef PEERMATCH_SERVICE_API_CONVERSIONS_H_
#define PEERMATCH_SERVICE_API_CONVERSIONS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace peermatch::api {

// Millisecond precision, as the store keeps times.
void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& t);
// Seconds in [0, 253402300799] (years 1970-9999) and nanos in range.
bool IsValidTimestamp(const google::protobuf::Timestamp& t);

// Page tokens that carry an offset, bound to their pool (see
// EncodePageToken). An empty token is offset 0.
std::string EncodeOffsetToken(absl::string_view pool, int64_t offset);
bool DecodeOffsetToken(absl::string_view pool, absl::string_view token,
                       int64_t* offset);

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_CONVERSIONS_H_
