#include "service/core/group_diff.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace peermatch::core {

GroupDiff DiffGroups(
    const matcher::GroupingResult& result,
    const std::vector<store::GroupRecord>& live,
    const std::function<store::GroupDetails(const matcher::GroupPlan&)>&
        details,
    bool auto_publish) {
  GroupDiff diff;
  store::GroupChangeSet& changes = diff.changes;
  std::vector<std::string> live_ids;
  absl::flat_hash_map<std::string, const store::GroupRecord*> by_id;
  for (const store::GroupRecord& g : live) {
    live_ids.push_back(g.id);
    by_id[g.id] = &g;
  }
  changes.expected_live = std::move(live_ids);
  absl::flat_hash_set<std::string> continued;
  for (size_t i = 0; i < result.groups.size(); ++i) {
    const matcher::GroupPlan& plan = result.groups[i];
    store::GroupDetails d = details(plan);
    auto old = plan.id.empty() ? by_id.end() : by_id.find(plan.id);
    if (old != by_id.end()) {
      continued.insert(plan.id);
      const store::GroupRecord& g = *old->second;
      if (g.members == plan.member_ids && g.details == d) continue;
      store::GroupOp op;
      op.kind = store::GroupOp::Kind::kUpdate;
      op.id = plan.id;
      op.expected_version = g.version;
      op.state = g.state;
      op.members = plan.member_ids;
      op.details = std::move(d);
      changes.ops.push_back(std::move(op));
    } else {
      store::GroupOp op;
      op.kind = store::GroupOp::Kind::kCreate;
      op.state = auto_publish ? store::GroupState::kActive
                              : store::GroupState::kProposed;
      op.members = plan.member_ids;
      op.details = std::move(d);
      diff.created_index.push_back(static_cast<int>(i));
      changes.ops.push_back(std::move(op));
    }
  }
  absl::flat_hash_map<std::string, std::string> dissolved_reason;
  for (const matcher::DissolvedGroup& d : result.dissolved) {
    dissolved_reason[d.id] =
        std::string(matcher::GroupViolationName(d.violation));
  }
  for (const store::GroupRecord& g : live) {
    if (continued.contains(g.id)) continue;
    store::GroupOp op;
    op.id = g.id;
    op.expected_version = g.version;
    op.members = g.members;
    if (g.state == store::GroupState::kProposed) {
      op.kind = store::GroupOp::Kind::kDelete;
    } else {
      op.kind = store::GroupOp::Kind::kDissolve;
      auto it = dissolved_reason.find(g.id);
      op.reason = it == dissolved_reason.end() ? "regroup" : it->second;
    }
    changes.ops.push_back(std::move(op));
  }
  return diff;
}

GroupingReport ReportOf(const matcher::GroupingResult& result,
                        const GroupDiff& diff,
                        const std::vector<std::string>& created_ids) {
  std::vector<std::string> final_id(result.groups.size());
  for (size_t i = 0; i < result.groups.size(); ++i) {
    final_id[i] = result.groups[i].id;
  }
  for (size_t j = 0; j < diff.created_index.size() && j < created_ids.size();
       ++j) {
    final_id[diff.created_index[j]] = created_ids[j];
  }
  GroupingReport r;
  r.groups = static_cast<int>(result.groups.size());
  r.placed = result.placed;
  r.unplaced = result.unplaced;
  r.total_fit = result.total_fit;
  r.upper_bound = result.upper_bound;
  r.size_deviation = result.size_deviation;
  for (const matcher::ChurnEntry& c : result.churn) {
    ChurnEntry out;
    out.member_id = c.member_id;
    out.from_group_id = c.from_group_id;
    if (c.to_group >= 0 && c.to_group < static_cast<int>(final_id.size())) {
      out.to_group_id = final_id[c.to_group];
    }
    out.reason = matcher::ChurnReasonString(c.reason, c.detail);
    r.churn.push_back(std::move(out));
  }
  r.groups_kept = result.groups_kept;
  r.groups_dissolved = static_cast<int>(result.dissolved.size());
  r.search_cut_by_time = result.stopped_early;
  return r;
}

}  // namespace peermatch::core
