// The member records of the store (R-MEMBER, R-STORE): what MemberStore
// (stores.h) and MemberRepository take and return. Contracts:
// member_repository.h.
#ifndef PEERMATCH_SERVICE_STORE_MEMBER_TYPES_H_
#define PEERMATCH_SERVICE_STORE_MEMBER_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "matcher/profile.h"
#include "service/store/change_feed.h"

namespace peermatch::store {

// Role bits as in matcher::RoleBit: bit (1 << role number), so MENTEE = 2,
// MENTOR = 4, GROUP_MEMBER = 8, FACILITATOR = 16.
inline constexpr uint32_t kRoleBitMentee = 1u << 1;
inline constexpr uint32_t kRoleBitMentor = 1u << 2;
inline constexpr uint32_t kRoleBitsAll = 0x1E;

struct MemberWrite {
  // A validated, normalized profile (SPEC §2). Its `id` and `blocked` are
  // kept as hash fields of their own (erasure needs the blocked ids
  // server-side), mentor_capacity and roles also as plain fields `cap` and
  // `r` (the match scripts check them atomically); the whole profile but id
  // and blocked is the payload `p`, in the store's record format
  // (record_codec.h).
  matcher::MemberProfile profile;
  std::optional<int64_t> expected_version;
};

struct MemberRecord {
  matcher::MemberProfile profile;  // with id and blocked (sorted)
  int64_t version = 0;
  absl::Time update_time;  // millisecond precision
  const std::string& id() const { return profile.id; }
};

struct UpsertResult {
  int64_t version = 0;
  bool created = false;
  absl::Time update_time;  // as stored (`t`, millisecond precision)
};

struct MemberPage {
  std::vector<MemberRecord> members;  // in id order (byte-wise)
  // Pass as `after_id` for the next page; empty on the last page.
  std::string next_after_id;
  int64_t total_count = 0;  // members in the pool
};

struct PoolLoad {
  std::vector<MemberRecord> members;  // in id order
  // The feed position read before loading: tailing from it replays every
  // change made during or after the load.
  StreamId feed_position;
};

struct DeleteOptions {
  std::optional<int64_t> expected_version;
  // When set, an audit entry {action=member.delete, actor, id, t} is appended
  // to the pool's audit stream in the same script. The actor is a token
  // name or role, never a secret.
  std::string actor;
};

struct DeleteResult {
  int64_t version = 0;  // the version that was deleted
  // Other members' block entries about the deleted id that were erased.
  int64_t erased_block_entries = 0;
  // The member's live (PROPOSED or ACTIVE) matches that were ended.
  int64_t matches_ended = 0;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_MEMBER_TYPES_H_
