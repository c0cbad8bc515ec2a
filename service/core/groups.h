// Support groups as use cases (R-GROUPS, R-REGROUP, R-JOIN, R-GROUPREC):
// forming and regrouping a pool (synchronously for small pools, and as the
// GROUPS job), publishing, ranking the groups a member could join, reading
// groups, and repairing or dissolving a group when a member is erased — on
// the store's MemberStore, GroupStore and SettingsStore.
//
//   core::Groups groups(&members, &group_store, &settings,
//                       {.sync_max_members = 50000});
//   ASSIGN_OR_RETURN(core::GroupRun run,
//                    groups.FormGroups(pool, options, ref_time, call));
//
// Formation runs matcher::Regroup on every member of the pool, loaded from
// the store and placed in the run's reference week: valid ACTIVE groups keep
// their members and slot and fill free seats first; invalid ones are
// dissolved with the reason; PROPOSED groups are replaced; new groups are
// PROPOSED (ACTIVE with the pool's auto_publish). The commit is one
// GroupStore::Apply of the diff (group_diff.h), checked against the live
// groups the plan read; a plan that raced a change is made again (up to 4
// times).
#ifndef PEERMATCH_SERVICE_CORE_GROUPS_H_
#define PEERMATCH_SERVICE_CORE_GROUPS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/core/types.h"
#include "service/store/stores.h"

namespace peermatch::core {

struct GroupRun {
  GroupingReport report;
  std::vector<store::GroupRecord> groups;  // the pool's live groups after
};

struct RankedGroup {
  store::GroupRecord group;
  double fit = 0;
  int free_seats = 0;
};

struct GroupsOptions {
  // Largest pool a synchronous FormGroups accepts (--sync-max-members).
  int64_t sync_max_members = 50000;
};

class Groups {
 public:
  Groups(store::MemberStore* members, store::GroupStore* groups,
         store::SettingsStore* settings, GroupsOptions options = {})
      : members_(members),
        groups_(groups),
        settings_(settings),
        options_(options) {}

  // Shared by FormGroups and GROUPS jobs (their job id and fencing token);
  // `before_commit` runs right before each commit and may refuse it.
  // INVALID_ARGUMENT for time_budget_ms outside 0-60000.
  absl::StatusOr<GroupRun> PlanAndCommit(
      const std::string& pool, const GroupingOptions& options,
      absl::Time reference_time, const Call& call, const std::string& job_id,
      std::optional<int64_t> fencing_token, const ProgressFn& progress,
      const std::function<absl::Status()>& before_commit = {});

  // A synchronous run: FAILED_PRECONDITION above sync_max_members.
  absl::StatusOr<GroupRun> FormGroups(const std::string& pool,
                                      const GroupingOptions& options,
                                      absl::Time reference_time,
                                      const Call& call);

  // PROPOSED -> ACTIVE for the listed groups, or all PROPOSED ones when
  // `ids` is empty. NOT_FOUND for a group that is not live,
  // FAILED_PRECONDITION for one that is not PROPOSED; all or nothing.
  absl::StatusOr<int> Publish(const std::string& pool,
                              const std::vector<std::string>& ids,
                              const Call& call);

  // The ACTIVE groups `member` could join, best first (at most k, 1-50).
  absl::StatusOr<std::vector<RankedGroup>> Rank(const std::string& pool,
                                                const std::string& member,
                                                int k,
                                                absl::Time reference_time,
                                                absl::Time deadline);

  absl::StatusOr<store::GroupRecord> Get(const std::string& pool,
                                         const std::string& group_id,
                                         absl::Time deadline);
  // `member` non-empty: that member's live group, if in `states` (a member
  // is in at most one live group; one page). Else newest first, full pages.
  absl::StatusOr<store::GroupPage> List(
      const std::string& pool, const std::string& member,
      const std::vector<store::GroupState>& states, int page_size,
      int64_t offset, absl::Time deadline);

  // Erasure (SPEC §9): takes `member` out of their live group, which is
  // kept (re-described) when still valid and dissolved otherwise. Returns
  // the number of groups changed (0 or 1).
  absl::StatusOr<int> RemoveMember(const std::string& pool,
                                   const std::string& member,
                                   absl::Time deadline);

 private:
  store::MemberStore* members_;
  store::GroupStore* groups_;
  store::SettingsStore* settings_;
  GroupsOptions options_;
};

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_GROUPS_H_
