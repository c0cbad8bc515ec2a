#include "matcher/groups.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "matcher/compiled_pool.h"
#include "matcher/internal/groups_pool.h"
#include "matcher/internal/groups_search.h"

namespace peermatch::matcher {
namespace {

using groups_internal::CheckMode;
using groups_internal::GroupPool;

absl::string_view EligibilityName(GroupEligibility e) {
  switch (e) {
    case GroupEligibility::kEligible:
      return "";
    case GroupEligibility::kNoGroupRole:
      return "no_group_role";
    case GroupEligibility::kSafetyHold:
      return "safety_hold";
    case GroupEligibility::kNotScreened:
      return "not_screened";
  }
  return "";
}

bool HasGroupRole(const MemberProfile& m) {
  return HasRole(m.roles, Role::kGroupMember) ||
         HasRole(m.roles, Role::kFacilitator);
}

std::vector<GroupMemberView> SortedViews(
    absl::Span<const GroupMemberView> views) {
  std::vector<GroupMemberView> sorted(views.begin(), views.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const GroupMemberView& a, const GroupMemberView& b) {
                     return a.profile->id < b.profile->id;
                   });
  return sorted;
}

double TagJaccard(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  std::vector<std::string> common;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(),
                        std::back_inserter(common));
  const size_t uni = a.size() + b.size() - common.size();
  return uni == 0 ? 0.0 : static_cast<double>(common.size()) / uni;
}

absl::Status ValidateOptions(const GroupingOptions& o) {
  if (o.max_evaluations < 0) {
    return absl::InvalidArgumentError("max_evaluations must be >= 0");
  }
  if (o.exact_component_limit < 0 || o.exact_component_limit > 16) {
    return absl::InvalidArgumentError(
        "exact_component_limit must be in [0, 16]");
  }
  if (o.candidate_neighbors < 8 || o.candidate_neighbors > 256) {
    return absl::InvalidArgumentError(
        "candidate_neighbors must be in [8, 256]");
  }
  return absl::OkStatus();
}

}  // namespace

GroupEligibility GroupEligibilityOf(const MemberProfile& member,
                                    const PoolSettings& settings) {
  if (member.safety_hold) return GroupEligibility::kSafetyHold;
  if (settings.require_screening && !member.screened) {
    return GroupEligibility::kNotScreened;
  }
  if (!HasGroupRole(member)) return GroupEligibility::kNoGroupRole;
  return GroupEligibility::kEligible;
}

GroupEligibility GroupEligibilityOf(const MemberCore& member,
                                    const PoolSettings& settings) {
  if (member.flags & kFlagSafetyHold) return GroupEligibility::kSafetyHold;
  if (settings.require_screening && !(member.flags & kFlagScreened)) {
    return GroupEligibility::kNotScreened;
  }
  if (!(member.flags & (kFlagGroupMember | kFlagFacilitator))) {
    return GroupEligibility::kNoGroupRole;
  }
  return GroupEligibility::kEligible;
}

bool QualifiesToFacilitate(const MemberProfile& member,
                           const PoolSettings& settings) {
  return HasRole(member.roles, Role::kFacilitator) ||
         member.recovery_stage >= settings.facilitator_min_stage;
}

absl::string_view GroupViolationName(GroupViolation v) {
  switch (v) {
    case GroupViolation::kNone:
      return "";
    case GroupViolation::kDuplicateMember:
      return "duplicate_member";
    case GroupViolation::kSafetyHold:
      return "safety_hold";
    case GroupViolation::kNotScreened:
      return "not_screened";
    case GroupViolation::kNoGroupRole:
      return "no_group_role";
    case GroupViolation::kBelowMinSize:
      return "below_min_size";
    case GroupViolation::kAboveMaxSize:
      return "above_max_size";
    case GroupViolation::kNoCommonSlot:
      return "no_common_slot";
    case GroupViolation::kBlockedPair:
      return "blocked_pair";
    case GroupViolation::kNoSharedLanguage:
      return "no_shared_language";
    case GroupViolation::kNoSharedModality:
      return "no_shared_modality";
    case GroupViolation::kNoFacilitator:
      return "no_facilitator";
    case GroupViolation::kStageSpread:
      return "stage_spread";
  }
  return "";
}

absl::string_view UnplacedReasonName(UnplacedReason r) {
  switch (r) {
    case UnplacedReason::kSafetyHold:
      return "safety_hold";
    case UnplacedReason::kNotScreened:
      return "not_screened";
    case UnplacedReason::kNoFeasibleGroup:
      return "no_feasible_group";
  }
  return "";
}

std::string ChurnReasonString(ChurnReason reason, absl::string_view detail) {
  switch (reason) {
    case ChurnReason::kNewMember:
      return "new_member";
    case ChurnReason::kGroupDissolved:
      return absl::StrCat("group_dissolved:", detail);
    case ChurnReason::kFullRegroup:
      return "full_regroup";
    case ChurnReason::kNoLongerEligible:
      return absl::StrCat("no_longer_eligible:", detail);
  }
  return "";
}

bool FindMeetingSlot(const SlotSet& common, int session_minutes,
                     MeetingSlot* slot) {
  const int start =
      groups_internal::MeetingStartSlot(common, session_minutes / kSlotMinutes);
  if (start < 0) return false;
  const int minute = start * kSlotMinutes;
  slot->start_slot = start;
  slot->day = minute / 1440 + 1;
  slot->start_minute = minute % 1440;
  slot->end_minute = slot->start_minute + session_minutes;
  return true;
}

double GroupAffinity(const MemberProfile& a, const MemberProfile& b,
                     const AffinityWeights& weights) {
  return groups_internal::CombineAffinity(
      weights, TagJaccard(a.triggers, b.triggers),
      TagJaccard(a.interests, b.interests),
      std::abs(a.recovery_stage - b.recovery_stage));
}

absl::Status ValidateGroupSettings(const PoolSettings& s) {
  if (s.min_size < 2 || s.min_size > 50) {
    return absl::InvalidArgumentError("min_size must be in [2, 50]");
  }
  if (s.max_size < s.min_size || s.max_size > 50) {
    return absl::InvalidArgumentError("max_size must be in [min_size, 50]");
  }
  if (s.target_size < s.min_size || s.target_size > s.max_size) {
    return absl::InvalidArgumentError(
        "target_size must be in [min_size, max_size]");
  }
  if (s.facilitator_min_stage < 1 || s.facilitator_min_stage > 5) {
    return absl::InvalidArgumentError(
        "facilitator_min_stage must be in [1, 5]");
  }
  if (s.max_stage_spread < 0) {
    return absl::InvalidArgumentError("max_stage_spread must be >= 0");
  }
  if (s.session_minutes < kSlotMinutes || s.session_minutes > kMinutesPerWeek ||
      s.session_minutes % kSlotMinutes != 0) {
    return absl::InvalidArgumentError(
        "session_minutes must be a multiple of 15 in [15, 10080]");
  }
  const std::pair<const char*, double> weights[] = {
      {"affinity_weights.triggers", s.affinity_weights.triggers},
      {"affinity_weights.interests", s.affinity_weights.interests},
      {"affinity_weights.stage", s.affinity_weights.stage},
      {"churn_weight", s.churn_weight}};
  for (const auto& [name, w] : weights) {
    if (!std::isfinite(w) || w < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be finite and >= 0"));
    }
  }
  return absl::OkStatus();
}

GroupCheck CheckGroup(absl::Span<const GroupMemberView> members,
                      const PoolSettings& settings) {
  GroupCheck check;
  const std::vector<GroupMemberView> sorted = SortedViews(members);
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].profile->id == sorted[i - 1].profile->id) {
      check.violation = GroupViolation::kDuplicateMember;
      check.detail = sorted[i].profile->id;
      return check;
    }
  }
  const GroupPool pool(sorted, settings);
  std::vector<int> all(sorted.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<int> blame;
  check.violation = pool.Check(all, CheckMode::kComplete, nullptr, &blame);
  if (!check.ok()) {
    std::vector<std::string> ids;
    for (int b : blame) ids.push_back(pool.id(b));
    check.detail = absl::StrJoin(ids, ",");
    return check;
  }
  check.plan = pool.Describe(all);
  return check;
}

absl::StatusOr<GroupingResult> FormGroups(
    absl::Span<const MemberProfile> members, absl::Span<const SlotSet> slots,
    const PoolSettings& settings, const GroupingOptions& options) {
  GroupingOptions o = options;
  o.full = false;
  return Regroup(members, slots, {}, settings, o);
}

absl::StatusOr<GroupingResult> Regroup(absl::Span<const MemberProfile> members,
                                       absl::Span<const SlotSet> slots,
                                       absl::Span<const ExistingGroup> existing,
                                       const PoolSettings& settings,
                                       const GroupingOptions& options) {
  if (absl::Status s = ValidateGroupSettings(settings); !s.ok()) return s;
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (members.size() != slots.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("members (", members.size(), ") and slots (", slots.size(),
                     ") differ in size"));
  }
  const int n = static_cast<int>(members.size());
  std::vector<GroupMemberView> views(n);
  for (int i = 0; i < n; ++i) {
    if (members[i].id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("members[", i, "].id is empty"));
    }
    views[i] = {&members[i], &slots[i]};
  }
  views = SortedViews(views);
  absl::flat_hash_map<absl::string_view, int> index;
  for (int i = 0; i < n; ++i) {
    if (i > 0 && views[i].profile->id == views[i - 1].profile->id) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate member id ", views[i].profile->id));
    }
    index.emplace(views[i].profile->id, i);
  }
  const GroupPool pool(views, settings);

  // Existing groups: PROPOSED ones are discarded; each ACTIVE one is kept if
  // its remaining eligible members still form a valid group.
  std::vector<const ExistingGroup*> active;
  {
    absl::flat_hash_map<absl::string_view, int> seen_ids;
    for (const ExistingGroup& g : existing) {
      if (g.id.empty()) {
        return absl::InvalidArgumentError("an existing group has an empty id");
      }
      if (!seen_ids.emplace(g.id, 0).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("duplicate group id ", g.id));
      }
      if (g.state == ExistingGroupState::kActive) active.push_back(&g);
    }
    std::sort(active.begin(), active.end(),
              [](const ExistingGroup* a, const ExistingGroup* b) {
                return a->id < b->id;
              });
  }
  std::vector<const std::string*> before(n, nullptr);
  std::vector<std::vector<int>> kept;
  std::vector<const std::string*> kept_ids;
  absl::flat_hash_map<absl::string_view, std::string> dissolved_why;
  GroupingResult result;
  for (const ExistingGroup* g : active) {
    std::vector<int> remaining;
    for (const std::string& id : g->member_ids) {
      auto it = index.find(id);
      if (it == index.end()) continue;  // no longer in the pool
      const int m = it->second;
      if (before[m] != nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "member ", id, " is in groups ", *before[m], " and ", g->id));
      }
      before[m] = &g->id;
      if (pool.eligibility(m) == GroupEligibility::kEligible) {
        remaining.push_back(m);
      }
    }
    std::vector<int> blame;
    const GroupViolation v =
        pool.Check(remaining, CheckMode::kComplete, nullptr, &blame);
    if (v == GroupViolation::kNone) {
      std::sort(remaining.begin(), remaining.end());
      kept.push_back(std::move(remaining));
      kept_ids.push_back(&g->id);
    } else {
      std::vector<std::string> ids;
      for (int b : blame) ids.push_back(pool.id(b));
      result.dissolved.push_back({g->id, v, absl::StrJoin(ids, ",")});
      dissolved_why[g->id] = std::string(GroupViolationName(v));
    }
  }

  std::vector<int> eligible;
  for (int i = 0; i < n; ++i) {
    if (pool.eligibility(i) == GroupEligibility::kEligible)
      eligible.push_back(i);
  }
  groups_internal::SearchOptions search_options;
  search_options.full = options.full;
  search_options.churn_weight = settings.churn_weight;
  search_options.max_evaluations = options.max_evaluations;
  search_options.should_stop = options.should_stop;
  search_options.exact_component_limit = options.exact_component_limit;
  search_options.candidate_neighbors = options.candidate_neighbors;
  groups_internal::SearchOutput out =
      groups_internal::SearchGroups(pool, eligible, kept, search_options);

  std::sort(
      out.groups.begin(), out.groups.end(),
      [](const auto& a, const auto& b) { return a.members[0] < b.members[0]; });
  std::vector<int> group_of(n, -1);
  for (size_t g = 0; g < out.groups.size(); ++g) {
    GroupPlan plan = pool.Describe(out.groups[g].members);
    if (out.groups[g].home >= 0) {
      plan.id = *kept_ids[out.groups[g].home];
      ++result.groups_kept;
    }
    for (int m : out.groups[g].members) group_of[m] = static_cast<int>(g);
    result.placed += static_cast<int>(plan.member_ids.size());
    result.total_fit += plan.total_fit;
    result.size_deviation += std::abs(static_cast<int>(plan.member_ids.size()) -
                                      settings.target_size);
    result.groups.push_back(std::move(plan));
  }
  result.upper_bound = out.upper_bound;
  result.placeable_upper_bound = out.placeable;
  result.evaluations = out.evaluations;
  result.budget_exhausted = out.budget_exhausted;
  result.stopped_early = out.stopped_early;

  for (int i = 0; i < n; ++i) {
    const MemberProfile& p = *views[i].profile;
    const GroupEligibility e = pool.eligibility(i);
    const int to = group_of[i];
    if (to < 0 && HasGroupRole(p)) {
      UnplacedReason r = UnplacedReason::kNoFeasibleGroup;
      if (e == GroupEligibility::kSafetyHold) r = UnplacedReason::kSafetyHold;
      if (e == GroupEligibility::kNotScreened) r = UnplacedReason::kNotScreened;
      result.unplaced.push_back({p.id, r});
    }
    const std::string from = before[i] != nullptr ? *before[i] : "";
    const std::string& to_id = to >= 0 ? result.groups[to].id : "";
    if ((from.empty() && to < 0) || (!from.empty() && from == to_id)) continue;
    ChurnEntry c{p.id, from, to, ChurnReason::kNewMember, ""};
    if (!from.empty()) {
      if (e != GroupEligibility::kEligible) {
        c.reason = ChurnReason::kNoLongerEligible;
        c.detail = std::string(EligibilityName(e));
      } else if (auto it = dissolved_why.find(from);
                 it != dissolved_why.end()) {
        c.reason = ChurnReason::kGroupDissolved;
        c.detail = it->second;
      } else {
        c.reason = ChurnReason::kFullRegroup;
      }
    }
    result.churn.push_back(std::move(c));
  }
  return result;
}

absl::StatusOr<std::vector<JoinCandidate>> RankGroupsForMember(
    GroupMemberView member, absl::Span<const CandidateGroup> groups,
    const PoolSettings& settings, int k) {
  if (absl::Status s = ValidateGroupSettings(settings); !s.ok()) return s;
  if (member.profile == nullptr || member.slots == nullptr) {
    return absl::InvalidArgumentError("member view is null");
  }
  for (const CandidateGroup& g : groups) {
    for (const GroupMemberView& v : g.members) {
      if (v.profile == nullptr || v.slots == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("group ", g.id, " has a null member view"));
      }
    }
  }
  std::vector<JoinCandidate> out;
  if (GroupEligibilityOf(*member.profile, settings) !=
      GroupEligibility::kEligible) {
    return out;
  }
  const std::string& id = member.profile->id;
  for (const CandidateGroup& g : groups) {
    const int size = static_cast<int>(g.members.size());
    if (size >= settings.max_size) continue;
    if (std::any_of(
            g.members.begin(), g.members.end(),
            [&](const GroupMemberView& v) { return v.profile->id == id; })) {
      continue;
    }
    const GroupCheck now = CheckGroup(g.members, settings);
    if (!now.ok()) continue;
    std::vector<GroupMemberView> joined = g.members;
    joined.push_back(member);
    const GroupCheck after = CheckGroup(joined, settings);
    if (!after.ok() || !(after.plan.slot == now.plan.slot)) continue;
    const auto pos = std::find(after.plan.member_ids.begin(),
                               after.plan.member_ids.end(), id) -
                     after.plan.member_ids.begin();
    out.push_back({g.id, after.plan.fits[pos], settings.max_size - size,
                   after.plan.slot});
  }
  std::sort(out.begin(), out.end(),
            [](const JoinCandidate& a, const JoinCandidate& b) {
              if (a.fit != b.fit) return a.fit > b.fit;
              return a.group_id < b.group_id;
            });
  if (k > 0 && static_cast<int>(out.size()) > k) out.resize(k);
  return out;
}

}  // namespace peermatch::matcher
