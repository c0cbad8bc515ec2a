// The group diff (R-REGROUP): turns a regrouping result into the one change
// set the store applies atomically — which live groups continue (updated
// only when their members or details changed), which are new, which are
// dissolved (ACTIVE, with the reason) or dropped (PROPOSED) — and, once
// applied, the run's report with the new groups' final ids.
//
//   GroupDiff diff = DiffGroups(result, live.groups, details_of, auto_pub);
//   diff.changes.actor = call.actor;
//   ASSIGN_OR_RETURN(std::vector<std::string> ids,
//                    store.Apply(pool, diff.changes, deadline));
//   GroupingReport report = ReportOf(result, diff, ids);
//
// Pure functions of their inputs: no store, no clock.
#ifndef PEERMATCH_SERVICE_CORE_GROUP_DIFF_H_
#define PEERMATCH_SERVICE_CORE_GROUP_DIFF_H_

#include <functional>
#include <string>
#include <vector>

#include "matcher/groups.h"
#include "service/core/types.h"
#include "service/store/group_types.h"

namespace peermatch::core {

struct GroupDiff {
  store::GroupChangeSet changes;  // ops and expected_live; the caller adds
                                  // actor, job and fencing
  // For each kCreate op, in order, the index of its plan in the result.
  std::vector<int> created_index;
};

// `details(plan)` describes a plan for the store (slot, local times, fits).
GroupDiff DiffGroups(
    const matcher::GroupingResult& result,
    const std::vector<store::GroupRecord>& live,
    const std::function<store::GroupDetails(const matcher::GroupPlan&)>&
        details,
    bool auto_publish);

// The report of an applied diff: `created_ids` are the ids the store gave
// the diff's kCreate ops, in order.
GroupingReport ReportOf(const matcher::GroupingResult& result,
                        const GroupDiff& diff,
                        const std::vector<std::string>& created_ids);

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_GROUP_DIFF_H_
