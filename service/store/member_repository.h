// Member profiles in Redis (SPEC §2, §6, §8, §9; R-MEMBER, R-STORE):
//
//   MemberRepository members(&client);
//   MemberWrite w{.profile = validated_profile,  // id "alice", blocked {"bob"}
//                 .expected_version = std::nullopt};
//   ASSIGN_OR_RETURN(UpsertResult r, members.Upsert("pool-1", w, deadline));
//   ASSIGN_OR_RETURN(MemberRecord m, members.Get("pool-1", "alice", deadline));
//   ASSIGN_OR_RETURN(MemberPage page,
//                    members.List("pool-1", 100, /*after_id=*/"", deadline));
//   ASSIGN_OR_RETURN(DeleteResult d,
//                    members.Delete("pool-1", "alice", {}, deadline));
//
// A member is a matcher::MemberProfile. The store owns its layout: the
// profile (without id and blocked list) is encoded by record_codec.h into
// the hash field `p`; the ids it blocks are a field of their own because
// erasure needs them server-side; mentor capacity and role bits are plain
// fields the match scripts read. Records written by earlier versions (a
// serialized peermatch.v1.Member in `p`) are read too. Key layout and
// scripts: docs/key-schema.md; the format: docs/storage-format.md.
//
// Guarantees:
//   - Every write is one Lua script: the member hash (payload, version, time
//     and blocked list), the id index, the reverse block index, and the
//     change-feed event change together or not at all. Reads are single
//     HMGETs of that hash, so a reader never sees half of a write.
//   - Optimistic concurrency: `expected_version` absent = unconditional; 0 =
//     the member must not exist; N = the stored version must be N. A mismatch
//     is ABORTED and writes nothing. Every successful write increments the
//     version by one (a re-created member starts again at 1).
//   - Delete erases every trace (SPEC §9): the hash (with its blocked list),
//     the index entry, its reverse-index set, its entries in the reverse
//     index of the members it blocked, and every other member's block entry
//     about it (those members get a version bump and an event). In the same
//     script it erases the member from the match records (match_repository.h
//     keys): every live (PROPOSED or ACTIVE) match of theirs becomes ENDED
//     with end reason "member_deleted", freeing the mentor's capacity and
//     the mentee's live slot; every record of theirs, live or not, gets their
//     id blanked (""), its free-text end reason cleared (except
//     "member_deleted"), a version bump and an `op erased` event; every
//     excluded pair recorded through those matches (DECLINED, or ENDED with
//     exclude) is removed; their by-member match index is deleted. After it,
//     no key, hash field or value, or set/zset member names the id; only the
//     feed and audit streams hold it, as a bare id.
//   - Feed events hold ids, versions and ops only.
//   - All keys touched by a script are in KEYS[] and share the `{pool}` tag,
//     so every call is legal on Redis Cluster and goes to one node.
//
// Bounds (SPEC §9): batches <= 1000 writes, pages <= 1000, blocked lists <=
// 256 ids, payloads <= options.max_payload_bytes, mentor_capacity 0..20,
// role_bits within kRoleBitsAll; ids as SPEC §2. Outside them:
// INVALID_ARGUMENT naming the field.
//
// Errors common to all calls: INVALID_ARGUMENT (bounds, ids), UNAVAILABLE
// (Redis down or in reconnect backoff, timeouts), DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED (Redis OOM, pool exhausted), INTERNAL (unexpected
// replies). On UNAVAILABLE/DEADLINE_EXCEEDED a write may or may not have
// happened (each single write is atomic either way).
//
// Thread-safe; calls block. Never logs.
#ifndef PEERMATCH_SERVICE_STORE_MEMBER_REPOSITORY_H_
#define PEERMATCH_SERVICE_STORE_MEMBER_REPOSITORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/limits.h"
#include "matcher/profile.h"
#include "service/store/change_feed.h"
#include "service/store/pool_registry.h"
#include "service/store/redis_client.h"
#include "service/store/stores.h"

namespace peermatch::store {

struct MemberRepositoryOptions {
  int64_t feed_max_len = 100000;  // XADD MAXLEN ~ for the change feed
  int64_t audit_max_len = 10000;  // XADD MAXLEN ~ for the audit stream
  size_t max_payload_bytes = 64 * 1024;
  int load_ids_per_round = 10000;  // LoadAll: ids per ZRANGE
  // Update times come from here, never from a clock inside Lua.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class MemberRepository final : public MemberStore {
 public:
  // SPEC limits (base/limits.h).
  static constexpr int kMaxBatch = base::kMaxBatchSize;
  static constexpr int kMaxPageSize = base::kMaxPageSize;
  static constexpr int kMaxBlocked = base::kMaxBlocked;
  static constexpr int32_t kMaxMentorCapacity = base::kMaxMentorCapacity;

  explicit MemberRepository(RedisClient* client,
                            MemberRepositoryOptions options = {});

  // Creates or replaces one member. Errors: ABORTED (expected_version
  // mismatch, or the blocked set changed concurrently too often), plus the
  // common ones.
  absl::StatusOr<UpsertResult> Upsert(absl::string_view pool,
                                      const MemberWrite& write,
                                      absl::Time deadline) override;

  // Up to kMaxBatch writes, pipelined; each gets its own result, in order
  // (validation errors included), and one failing item does not affect the
  // others. Writes to the same id apply in order. The outer status fails only
  // for a bad pool id, an oversized batch, or a transport failure (then some
  // items may have been applied).
  absl::StatusOr<std::vector<absl::StatusOr<UpsertResult>>> BatchUpsert(
      absl::string_view pool, absl::Span<const MemberWrite> writes,
      absl::Time deadline) override;

  // NOT_FOUND when absent.
  absl::StatusOr<MemberRecord> Get(absl::string_view pool, absl::string_view id,
                                   absl::Time deadline) override;

  // Up to `page_size` (1..kMaxPageSize) members with ids > `after_id` ("" =
  // from the start), in id order, plus the pool's member count. A member
  // deleted between the id scan and the read is skipped, so a page may be
  // shorter than page_size without being the last.
  absl::StatusOr<MemberPage> List(absl::string_view pool, int page_size,
                                  absl::string_view after_id,
                                  absl::Time deadline) override;

  // Deletes and erases `id` (see above), ending their live matches. NOT_FOUND
  // when absent; ABORTED on an expected_version mismatch, or when block
  // lists or the member's matches kept changing under the handshake (64
  // rounds). The audit entry (with an actor) is {action member.delete,
  // actor, id, matches_ended, t}.
  absl::StatusOr<DeleteResult> Delete(absl::string_view pool,
                                      absl::string_view id,
                                      const DeleteOptions& options,
                                      absl::Time deadline) override;

  // The whole pool, for snapshot cold loads: the feed position first, then
  // rounds of ZRANGE BYLEX (load_ids_per_round ids) each followed by one
  // pipeline of HMGETs.
  absl::StatusOr<PoolLoad> LoadAll(absl::string_view pool,
                                   absl::Time deadline) override;

  absl::StatusOr<bool> PoolExists(absl::string_view pool,
                                  absl::Time deadline) override {
    return registry_.Exists(pool, deadline);
  }
  absl::StatusOr<std::vector<std::string>> ListPools(
      absl::Time deadline) override {
    return registry_.List(deadline);
  }

  PoolRegistry& registry() { return registry_; }

 private:
  RedisClient* client_;
  MemberRepositoryOptions options_;
  PoolRegistry registry_;
  ChangeFeed feed_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_MEMBER_REPOSITORY_H_
