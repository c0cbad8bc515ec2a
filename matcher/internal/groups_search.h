// Internal: the search behind FormGroups and Regroup (see matcher/groups.h
// for the problem, the algorithm and its promises).
//
//   SearchOptions opts = ...;
//   SearchOutput out = SearchGroups(pool, eligible, kept, opts);
//   for (const SearchGroup& g : out.groups) { /* g.members, g.home */ }
#ifndef PEERMATCH_MATCHER_INTERNAL_GROUPS_SEARCH_H_
#define PEERMATCH_MATCHER_INTERNAL_GROUPS_SEARCH_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "matcher/internal/groups_pool.h"

namespace peermatch::matcher::groups_internal {

struct SearchOptions {
  // false: members of kept groups never move and kept groups keep their
  // meeting slot; true: anyone may move at `churn_weight` per member who
  // leaves their kept group.
  bool full = false;
  double churn_weight = 0;
  int64_t max_evaluations = 0;
  std::function<bool()> should_stop;
  int exact_component_limit = 0;
  int candidate_neighbors = 24;
};

struct SearchGroup {
  std::vector<int> members;  // sorted
  int home = -1;             // index into `kept`, or -1 for a new group
};

struct SearchOutput {
  std::vector<SearchGroup> groups;
  double upper_bound = 0;
  int placeable = 0;
  int64_t evaluations = 0;
  bool budget_exhausted = false;  // max_evaluations reached
  bool stopped_early = false;     // should_stop fired
};

// Groups the `eligible` members of `pool` (sorted, every one eligible).
// `kept` are valid groups of eligible members that the result starts from;
// every kept group appears in the output with its `home` index (it may have
// gained members, and in full mode lost or exchanged some).
SearchOutput SearchGroups(const GroupPool& pool,
                          const std::vector<int>& eligible,
                          const std::vector<std::vector<int>>& kept,
                          const SearchOptions& options);

}  // namespace peermatch::matcher::groups_internal

#endif  // PEERMATCH_MATCHER_INTERNAL_GROUPS_SEARCH_H_
