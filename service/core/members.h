// Members as use cases (R-MEMBER, R-STORE, R-SEC erasure): upsert, batch
// upsert, read, list and erase, on the store's MemberStore, with the
// replica's snapshot told of every write before the call returns (SPEC §6:
// a replica sees its own writes at once).
//
//   core::Members members(&member_store, &snapshots, &groups);
//   ASSIGN_OR_RETURN(core::UpsertedMember m,
//                    members.Upsert(pool, {.profile = p}, deadline));
//   ASSIGN_OR_RETURN(core::Erasure e, members.Delete(pool, id, {}, call));
//
// Profiles arrive validated and normalized by the caller (the API layer's
// validation.h holds the SPEC's field rules); these methods add what needs
// the stored state: versions, existence, and the erasure order.
#ifndef PEERMATCH_SERVICE_CORE_MEMBERS_H_
#define PEERMATCH_SERVICE_CORE_MEMBERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/core/types.h"
#include "service/snapshot/pool_snapshots.h"
#include "service/store/stores.h"

namespace peermatch::core {

class Groups;

// The stored member after a write: the profile as written, its new version
// and the stored update time.
struct UpsertedMember {
  store::MemberRecord member;
  bool created = false;
};

struct Erasure {
  int64_t matches_ended = 0;
  int groups_changed = 0;
};

class Members {
 public:
  // `groups` repairs or dissolves an erased member's group; may be null
  // (then erasure leaves groups alone: unit tests of this layer only).
  Members(store::MemberStore* members, snapshot::PoolSnapshots* snapshots,
          Groups* groups)
      : members_(members), snapshots_(snapshots), groups_(groups) {}

  absl::StatusOr<UpsertedMember> Upsert(const std::string& pool,
                                        store::MemberWrite write,
                                        absl::Time deadline);
  // One outcome per write, in order; the call fails as a whole only when
  // the store cannot be reached.
  absl::StatusOr<std::vector<absl::StatusOr<store::UpsertResult>>> BatchUpsert(
      const std::string& pool, absl::Span<const store::MemberWrite> writes,
      absl::Time deadline);
  absl::StatusOr<store::MemberRecord> Get(const std::string& pool,
                                          const std::string& id,
                                          absl::Time deadline);
  absl::StatusOr<store::MemberPage> List(const std::string& pool, int page_size,
                                         const std::string& after_id,
                                         absl::Time deadline);

  // Erasure (SPEC §9): the member's group is repaired or dissolved first;
  // then one script removes the profile, its indexes, other members' block
  // entries about them, and ends their matches (blanking their id and
  // dropping their exclusions). Each step is atomic; a failure between them
  // leaves the member in place, so retrying the delete completes it.
  // ABORTED when `expected_version` is set and differs from the stored one.
  absl::StatusOr<Erasure> Delete(const std::string& pool, const std::string& id,
                                 std::optional<int64_t> expected_version,
                                 const Call& call);

 private:
  store::MemberStore* members_;
  snapshot::PoolSnapshots* snapshots_;
  Groups* groups_;
};

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_MEMBERS_H_
