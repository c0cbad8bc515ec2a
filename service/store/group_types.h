// The group records of the store (R-GROUPREC): what GroupStore (stores.h)
// and GroupRepository take and return. Contracts: group_repository.h.
#ifndef PEERMATCH_SERVICE_STORE_GROUP_TYPES_H_
#define PEERMATCH_SERVICE_STORE_GROUP_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "service/store/record_codec.h"

namespace peermatch::store {

// Numbers as peermatch.v1.GroupState.
enum class GroupState : int { kProposed = 1, kActive = 2, kDissolved = 3 };

struct GroupRecord {
  std::string id;
  GroupState state = GroupState::kProposed;
  std::vector<std::string> members;  // sorted
  GroupDetails details;
  std::string dissolve_reason;
  std::string job_id;
  int64_t version = 0;
  absl::Time create_time;
  absl::Time update_time;
};

struct GroupOp {
  enum class Kind {
    kCreate,    // a new group (id assigned by Apply)
    kUpdate,    // new members/payload/state for an existing live group
    kDissolve,  // live -> DISSOLVED, members released
    kDelete,    // a PROPOSED group nobody saw: removed
  };
  Kind kind = Kind::kCreate;
  std::string id;                            // not for kCreate
  int64_t expected_version = 0;              // not for kCreate
  GroupState state = GroupState::kProposed;  // kCreate, kUpdate
  // kCreate, kUpdate: the new members. kDissolve, kDelete: the members
  // whose member-group index is cleared: the group's members as read at
  // `expected_version` (which the script checks), minus any in `release`.
  std::vector<std::string> members;
  GroupDetails details;  // kCreate, kUpdate
  std::string reason;    // kDissolve
};

struct GroupChangeSet {
  // The live group ids the change was planned from; nullopt skips the check
  // (single-group repairs).
  std::optional<std::vector<std::string>> expected_live;
  std::vector<GroupOp> ops;
  // Members whose live-group index is cleared unless an op places them
  // (e.g. an erased member taken out of a group that is kept).
  std::vector<std::string> release;
  std::string actor;
  std::string job_id;
  std::optional<int64_t> fencing_token;
  // Without a token: refuse (ABORTED) while a job holds the pool's lease.
  bool refuse_if_leased = false;
};

struct GroupSnapshot {
  std::vector<GroupRecord> groups;  // live ones, by id
  std::vector<std::string> ids() const;
};

struct GroupPage {
  std::vector<GroupRecord> groups;  // newest first
  int64_t next_offset = 0;          // 0 on the last page
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_GROUP_TYPES_H_
