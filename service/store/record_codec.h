// The store's own record formats (R-STORE): how a member profile, a group's
// description and a pool's settings are laid out in the `p` field of their
// Redis hashes. The API's proto messages are not the storage format; these
// schemas are, and only this file and record_codec.cc know them.
//
//   std::string p = EncodeMember(profile);          // id and blocked kept apart
//   matcher::MemberProfile back;
//   RETURN_IF_ERROR(DecodeMember(p, &back));        // DATA_LOSS if unreadable
//
//   std::string g = EncodeGroupDetails(details);
//   ASSIGN_OR_RETURN(GroupDetails d, DecodeGroupDetails(g));
//   std::string s = EncodePoolConfig(config);
//   ASSIGN_OR_RETURN(PoolConfig c, DecodePoolConfig(s));
//
// Format (docs/storage-format.md): a 3-byte header — 0x00, the record kind
// ('M' member, 'G' group, 'S' settings), the format version (1) — then the
// fields as tag-length-value (internal/wire.h) under this file's field
// numbers. 0x00 can never start a serialized proto (field number 0 does not
// exist), so a payload without the header is a record written before this
// format (peermatch up to f0bb607: a serialized peermatch.v1 Member, Group
// or PoolSettings), and the decoders read that too, by its proto field
// numbers. Unknown fields of the current version are skipped, so a field
// added later is readable by this code (and ignored). A higher version is
// DATA_LOSS naming the version: written by a newer peermatch.
//
// Encoders always write the current format; a legacy record is rewritten
// the next time it is written (no bulk migration needed).
#ifndef PEERMATCH_SERVICE_STORE_RECORD_CODEC_H_
#define PEERMATCH_SERVICE_STORE_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "matcher/profile.h"

namespace peermatch::store {

// Settings the matcher does not read but the service does.
struct ServiceSettings {
  int64_t proposal_ttl_seconds = 7 * 24 * 3600;  // 1..31536000
  bool auto_publish = false;

  friend bool operator==(const ServiceSettings&,
                         const ServiceSettings&) = default;
};

// A pool's complete settings (SPEC §3-§5 and the service's own).
struct PoolConfig {
  matcher::PoolSettings matcher;
  ServiceSettings service;
};

// A weekly slot (SPEC §3.1): `day` 1..7, minutes since that day's 00:00;
// end_minute may exceed 1440 when the slot runs past midnight.
struct WeeklySlot {
  int day = 1;
  int start_minute = 0;
  int end_minute = 0;
  friend bool operator==(const WeeklySlot&, const WeeklySlot&) = default;
};

struct LocalSlot {
  std::string member_id;
  std::string time_zone;
  WeeklySlot slot;  // in the member's zone
  friend bool operator==(const LocalSlot&, const LocalSlot&) = default;
};

struct MemberFit {
  std::string member_id;
  double fit = 0;
  friend bool operator==(const MemberFit&, const MemberFit&) = default;
};

// What a group record says beyond its state and members (R-GROUPREC).
struct GroupDetails {
  std::string facilitator;                   // designated; "" when none
  std::vector<std::string> facilitator_ids;  // all who qualify, sorted
  WeeklySlot slot_utc;
  std::vector<LocalSlot> local_slots;  // by member id
  std::string language;                // shared primary subtag
  matcher::Modality modality = matcher::Modality::kText;
  std::string region;  // IN_PERSON only
  double total_fit = 0;
  std::vector<MemberFit> fits;  // by member id

  friend bool operator==(const GroupDetails&, const GroupDetails&) = default;
};

// The profile without `id` and `blocked` (the member hash keeps those as
// fields of their own).
std::string EncodeMember(const matcher::MemberProfile& profile);
// Fills every field of `out` but `id` and `blocked`. DATA_LOSS when the
// payload is neither format or is malformed.
absl::Status DecodeMember(absl::string_view payload,
                          matcher::MemberProfile* out);

std::string EncodeGroupDetails(const GroupDetails& details);
absl::StatusOr<GroupDetails> DecodeGroupDetails(absl::string_view payload);

// Decoded settings are merged onto the defaults (a legacy record may lack
// fields) and validated (matcher::ValidateScoringSettings,
// ValidateGroupSettings, the TTL range): DATA_LOSS when they no longer
// validate.
std::string EncodePoolConfig(const PoolConfig& config);
absl::StatusOr<PoolConfig> DecodePoolConfig(absl::string_view payload);

// The format version of a payload: 0 for a legacy (proto) record, else the
// header's version. For tests and the migration notes.
int RecordFormatVersion(absl::string_view payload);

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_RECORD_CODEC_H_
