// Support groups in Redis (SPEC §2 R-GROUPREC, §5, §7, §9):
//
//   GroupRepository groups(&client);
//   ASSIGN_OR_RETURN(GroupSnapshot live, groups.LoadLive("pool-1", deadline));
//   GroupChangeSet changes;                 // computed by the service
//   changes.expected_live = live.ids();     // what the plan was based on
//   GroupOp op;                             // a kCreate with its details
//   op.members = {"a", "b", "c", "d"};
//   changes.ops.push_back(std::move(op));
//   ASSIGN_OR_RETURN(std::vector<std::string> ids,
//                    groups.Apply("pool-1", changes, deadline));
//
// A group is its state, its sorted member ids and its GroupDetails (slot,
// facilitator, language, fits...), which the store encodes in its own record
// format (record_codec.h).
// Apply is ONE Lua script: it checks that the pool's live (PROPOSED or
// ACTIVE) groups are exactly `expected_live` and that every group it changes
// still has the version the caller read (ABORTED otherwise: re-read and
// plan again), checks a job's fencing token when given (keys::JobLease),
// then applies every op, keeps each member's live-group index, appends change
// events (`kind group op <op> id <group id> v <n>`: ids only) and an audit
// entry — all or nothing. Each member is in at most one live group.
//
// Thread-safe; calls block. Errors as MatchRepository.
#ifndef PEERMATCH_SERVICE_STORE_GROUP_REPOSITORY_H_
#define PEERMATCH_SERVICE_STORE_GROUP_REPOSITORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/store/record_codec.h"
#include "service/store/redis_client.h"
#include "service/store/stores.h"

namespace peermatch::store {

struct GroupRepositoryOptions {
  int64_t feed_max_len = 100000;
  int64_t audit_max_len = 10000;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class GroupRepository final : public GroupStore {
 public:
  explicit GroupRepository(RedisClient* client,
                           GroupRepositoryOptions options = {})
      : client_(client), options_(std::move(options)) {}

  // Applies `changes`; returns the ids of the created groups, in op order.
  absl::StatusOr<std::vector<std::string>> Apply(absl::string_view pool,
                                                 const GroupChangeSet& changes,
                                                 absl::Time deadline) override;

  absl::StatusOr<GroupSnapshot> LoadLive(absl::string_view pool,
                                         absl::Time deadline) override;
  absl::StatusOr<GroupRecord> Get(absl::string_view pool,
                                  absl::string_view group_id,
                                  absl::Time deadline) override;
  // The live group of a member; nullopt when none.
  absl::StatusOr<std::optional<std::string>> GroupOf(
      absl::string_view pool, absl::string_view member,
      absl::Time deadline) override;
  // Newest first, optionally only some states; pages as MatchRepository's
  // List (full unless the listing ended or the scan bound was hit).
  absl::StatusOr<GroupPage> List(absl::string_view pool,
                                 const std::vector<GroupState>& states,
                                 int page_size, int64_t offset,
                                 absl::Time deadline) override;

 private:
  absl::StatusOr<std::vector<GroupRecord>> GetMany(
      absl::string_view pool, const std::vector<std::string>& ids,
      absl::Time deadline);

  RedisClient* client_;
  GroupRepositoryOptions options_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_GROUP_REPOSITORY_H_
