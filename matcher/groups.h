// Support-group formation, regrouping and joining (SPEC §5: R-GROUPS,
// R-REGROUP, R-GROUPQ, R-JOIN).
//
//   std::vector<MemberProfile> members = ...;  // validated profiles
//   std::vector<SlotSet> slots = ...;          // each member's UTC week
//   PoolSettings settings;                     // SPEC defaults
//   absl::StatusOr<GroupingResult> r = FormGroups(members, slots, settings);
//   if (!r.ok()) return r.status();            // only for malformed input
//   for (const GroupPlan& g : r->groups) {
//     // g.member_ids, g.facilitator, g.slot.day, g.slot.start_minute, ...
//   }
//   for (const UnplacedMember& u : r->unplaced) { /* u.id, u.reason */ }
//
// Regrouping keeps existing ACTIVE groups that are still valid:
//
//   std::vector<ExistingGroup> existing = {{"g-1", ExistingGroupState::kActive,
//                                           {"a", "b", "c", "d"}}};
//   absl::StatusOr<GroupingResult> r =
//       Regroup(members, slots, existing, settings, GroupingOptions{});
//   for (const ChurnEntry& c : r->churn) { /* who moved, from, to, why */ }
//
// Validating one group on its own, e.g. one read back from storage:
//
//   GroupCheck c = CheckGroup(views, settings);
//   if (!c.ok()) Dissolve(GroupViolationName(c.violation));
//
// The problem (SPEC §5). Eligible members (role GROUP_MEMBER or FACILITATOR,
// no safety_hold, screened when the pool requires it) are split into groups
// that satisfy every hard constraint:
//   * min_size <= size <= max_size;
//   * a shared language (lowercased primary subtag) and a shared modality
//     (IN_PERSON counts only when every member has the same non-empty region);
//   * no blocked pair inside, in either direction; no safety_hold;
//   * with require_facilitator, some member qualifies to facilitate
//     (FACILITATOR role or stage >= facilitator_min_stage);
//   * among all members except the designated facilitator, highest stage -
//     lowest stage <= max_stage_spread;
//   * a common cyclic run of >= session_minutes / 15 shared slots.
// Solutions are compared by (1) more members placed, (2) higher total fit,
// (3) smaller sum |size - target_size|, (4) the lexicographically smaller
// sorted list of sorted groups. Affinity a(i, j) = wt * Jaccard(triggers) +
// wi * Jaccard(interests) + ws * (1 - |stage_i - stage_j| / 4); the Jaccard
// index of two empty sets is 0 (as for the mentor `interests` component,
// SPEC §3: sharing nothing is not evidence of affinity). A member's fit is
// their mean affinity to their group-mates; total fit is the sum of fits.
//
// The algorithm. The pool is compiled into dense indices sorted by member id
// (so the input order never matters). A pairwise pass over all eligible pairs
// applies the pairwise *necessary* conditions (shared language and modality,
// a common feasible meeting start, not blocked, stage spread unless one of
// the two could be the designated facilitator), builds the connected
// components of that "may share a group" graph, and keeps each member's
// `candidate_neighbors` most affine compatible partners. Then, per component:
//   * components of at most `exact_component_limit` members are solved
//     exactly: every feasible group is enumerated and a dynamic program over
//     subsets picks the optimum under criteria (1)-(4);
//   * larger components use a greedy construction (seed each group with the
//     least-connected facilitator, grow it with the most affine feasible
//     candidate up to target_size, sparing further facilitators, who are the
//     scarce seeds of other groups), placement repair (insert into free
//     seats, best gain first; form new groups around unplaced members,
//     taking members from groups that stay valid; eject one member to make
//     room), then local search on the fit: per member, best improvement
//     among moves to a candidate neighbour's group, swaps with its members
//     (those with a candidate neighbour in the member's own group), and, for
//     an unplaced member, taking a placed member's seat; passes repeat until
//     one improves nothing or the evaluation budget is spent.
// Why: the constraints are all cheap to re-check on one group (<= max_size
// members), so keeping every group feasible after every step is simpler and
// safer than penalties; the candidate lists keep each step local, and most of
// the objective (placement) is settled by the construction, which puts the
// scarcest members (facilitators, least-connected members) first.
//
// Invariants: every group held by the search satisfies every hard
// constraint after every step, so stopping early still returns a valid
// result. In default regrouping, members of kept groups never move, and a
// kept group accepts a newcomer only when its meeting slot stays the same.
//
// Complexity: O(n^2) cheap pair tests (a packed 24-byte key, then an 11-word
// AND) for the candidate pass, O(n * K * max_size^2) per local-search pass
// (K = candidate neighbours), O(2^m * groups) for an exactly solved component
// of m members. 10,000 members take about 3 s on one core of the 2-core
// development machine, 20,000 about 8 s (BENCHMARKS.md, "Groups").
//
// Determinism: members are sorted by id before anything else, ties are broken
// by id, iteration orders are fixed, fits closer than 1e-9 count as equal
// (so that summation order cannot flip a decision), and the search effort is
// an evaluation count, not a time. The same members, slots, settings and
// options give the same result whatever order the input came in. The only
// exception is `GroupingOptions::should_stop`: when it fires, the result is
// valid but depends on when it fired (`stopped_early` says so).
//
// No clock, no threads, no I/O, no logging: this library never sees more of a
// member than the caller hands it.
#ifndef PEERMATCH_MATCHER_GROUPS_H_
#define PEERMATCH_MATCHER_GROUPS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "matcher/profile.h"
#include "matcher/slot_set.h"

namespace peermatch::matcher {

// A member and their weekly availability, borrowed from the caller; both
// pointers must stay valid for the duration of the call.
struct GroupMemberView {
  const MemberProfile* profile = nullptr;
  const SlotSet* slots = nullptr;
};

// Whether a member may be grouped at all (SPEC §5 "Eligible").
enum class GroupEligibility : uint8_t {
  kEligible,
  kNoGroupRole,  // neither GROUP_MEMBER nor FACILITATOR
  kSafetyHold,
  kNotScreened,  // the pool requires screening
};

// safety_hold wins over the other reasons, then not_screened, then the role.
GroupEligibility GroupEligibilityOf(const MemberProfile& member,
                                    const PoolSettings& settings);

struct MemberCore;  // matcher/compiled_pool.h

// The same rule on a compiled member (CompiledPool::core), for statistics
// over a snapshot; agrees with GroupEligibilityOf on the member's profile.
GroupEligibility GroupEligibilityOf(const MemberCore& member,
                                    const PoolSettings& settings);

// FACILITATOR role or recovery_stage >= facilitator_min_stage.
bool QualifiesToFacilitate(const MemberProfile& member,
                           const PoolSettings& settings);

// Why a set of members is not a valid group, in the order the checks run:
// the first failing one is reported.
enum class GroupViolation : uint8_t {
  kNone,
  kDuplicateMember,
  kSafetyHold,
  kNotScreened,
  kNoGroupRole,
  kBelowMinSize,
  kAboveMaxSize,
  kNoCommonSlot,
  kBlockedPair,
  kNoSharedLanguage,
  kNoSharedModality,
  kNoFacilitator,
  kStageSpread,
};

// "duplicate_member", "safety_hold", "not_screened", "no_group_role",
// "below_min_size", "above_max_size", "no_common_slot", "blocked_pair",
// "no_shared_language", "no_shared_modality", "no_facilitator",
// "stage_spread"; "" for kNone.
absl::string_view GroupViolationName(GroupViolation v);

// A weekly meeting slot in UTC. `start_slot` is the 15-minute slot index in
// [0, 672); `day` is 1 (Monday) .. 7; `end_minute` = start_minute +
// session_minutes and may exceed 1440.
struct MeetingSlot {
  int start_slot = 0;
  int day = 1;
  int start_minute = 0;
  int end_minute = 0;

  friend bool operator==(const MeetingSlot&, const MeetingSlot&) = default;
};

// The meeting slot of a group whose members share `common` (SPEC §3.1): the
// first session_minutes of the run of >= session_minutes / 15 shared slots
// whose start is earliest in the week. A run starts at a shared slot whose
// cyclic predecessor is not shared; when all 672 slots are shared the slot
// starts at 0. Returns false when no run is long enough.
// Requires session_minutes to be a positive multiple of 15.
bool FindMeetingSlot(const SlotSet& common, int session_minutes,
                     MeetingSlot* slot);

// A valid group with everything the API reports about it.
struct GroupPlan {
  // The existing group this continues (Regroup), or empty for a new group.
  std::string id;
  std::vector<std::string> member_ids;  // sorted (byte-wise)
  // The designated facilitator: among the members who qualify, FACILITATOR
  // role first, then the highest stage, then the lowest id. Empty when no
  // member qualifies (only possible without require_facilitator).
  std::string facilitator;
  std::vector<std::string> facilitator_ids;  // all who qualify, sorted
  MeetingSlot slot;
  // The shared primary subtag with the smallest sum of the members'
  // preference positions; ties go to the byte-wise smaller subtag.
  std::string language;
  // The shared modality with the smallest sum of preference positions; ties
  // go to the lower enum number (TEXT, VIDEO, IN_PERSON).
  Modality modality = Modality::kText;
  std::string region;        // the common region when modality is IN_PERSON
  std::vector<double> fits;  // parallel to member_ids
  double total_fit = 0;      // sum of fits
};

struct GroupCheck {
  GroupViolation violation = GroupViolation::kNone;
  // Member ids concerned, comma-separated (e.g. the blocked pair); never any
  // profile content.
  std::string detail;
  GroupPlan plan;  // filled only when ok(); plan.id is empty

  bool ok() const { return violation == GroupViolation::kNone; }
};

// Checks every hard constraint on `members` as one group under `settings`
// and, when they hold, describes the group. Blocked ids that name nobody in
// `members` are ignored. Usable on its own, e.g. for stored groups and R-JOIN.
// Requires ValidateGroupSettings(settings).ok() and non-null views.
GroupCheck CheckGroup(absl::Span<const GroupMemberView> members,
                      const PoolSettings& settings);

// The symmetric pair affinity a(i, j) of SPEC §5 with the pool's weights.
double GroupAffinity(const MemberProfile& a, const MemberProfile& b,
                     const AffinityWeights& weights);

// INVALID_ARGUMENT, naming the field, unless: 2 <= min_size <= target_size
// <= max_size <= 50; 1 <= facilitator_min_stage <= 5; max_stage_spread >= 0;
// session_minutes a multiple of 15 in [15, 10080]; affinity weights and
// churn_weight finite and >= 0.
absl::Status ValidateGroupSettings(const PoolSettings& settings);

enum class ExistingGroupState : uint8_t { kProposed, kActive };

// A group as stored before a regroup run.
struct ExistingGroup {
  std::string id;
  ExistingGroupState state = ExistingGroupState::kActive;
  std::vector<std::string> member_ids;
};

enum class UnplacedReason : uint8_t {
  kSafetyHold,
  kNotScreened,
  kNoFeasibleGroup,
};

// "safety_hold", "not_screened", "no_feasible_group" (SPEC §8 R-OFFLINE).
absl::string_view UnplacedReasonName(UnplacedReason r);

struct UnplacedMember {
  std::string id;
  UnplacedReason reason = UnplacedReason::kNoFeasibleGroup;
};

enum class ChurnReason : uint8_t {
  kNewMember,        // was in no ACTIVE group, is placed now
  kGroupDissolved,   // their ACTIVE group was dissolved; detail says why
  kFullRegroup,      // moved by a full regroup
  kNoLongerEligible  // left their group; detail is the eligibility reason
};

// "new_member", "group_dissolved:<detail>", "full_regroup",
// "no_longer_eligible:<detail>".
std::string ChurnReasonString(ChurnReason reason, absl::string_view detail);

// One member whose group changed in a run.
struct ChurnEntry {
  std::string member_id;
  std::string from_group_id;  // the ACTIVE group before; empty if none
  int to_group = -1;          // index into GroupingResult::groups; -1: none
  ChurnReason reason = ChurnReason::kNewMember;
  // GroupViolationName for kGroupDissolved; "safety_hold", "not_screened"
  // or "no_group_role" for kNoLongerEligible; else empty.
  std::string detail;
};

struct DissolvedGroup {
  std::string id;
  GroupViolation violation = GroupViolation::kNone;
  std::string detail;
};

struct GroupingOptions {
  // Regroup only. false: valid ACTIVE groups keep their members and their
  // meeting slot; true: anyone may move, at churn_weight per member whose
  // group changes (the objective's criterion (2) becomes total fit -
  // churn_weight * moved members of still-valid groups). A move may also
  // give a kept member's seat to an unplaced member when that gains more
  // than churn_weight.
  bool full = false;
  // Deterministic effort limit: the local search stops after this many move
  // evaluations (one evaluation = one candidate move or swap scored).
  int64_t max_evaluations = 20'000'000;
  // Optional wall-clock safety cap supplied by the caller, polled every 1024
  // evaluations; returning true stops the search with a valid result.
  std::function<bool()> should_stop;
  // Components of the compatibility graph with at most this many members are
  // solved exactly (0..16; cost grows as 2^m).
  int exact_component_limit = 12;
  // Candidate partners kept per member (8..256).
  int candidate_neighbors = 24;
};

struct GroupingResult {
  std::vector<GroupPlan> groups;  // sorted by first member id
  // Every member with the GROUP_MEMBER or FACILITATOR role who is not
  // placed, sorted by id.
  std::vector<UnplacedMember> unplaced;
  int placed = 0;
  double total_fit = 0;    // sum over groups of GroupPlan::total_fit
  int size_deviation = 0;  // sum over groups of |size - target_size|
  // An upper bound on the total fit of any feasible grouping: each member
  // contributes the mean of their min_size - 1 highest affinities to
  // compatible partners (0 with fewer partners than that).
  double upper_bound = 0;
  // Members with at least min_size - 1 compatible partners: an upper bound
  // on `placed`.
  int placeable_upper_bound = 0;
  std::vector<DissolvedGroup> dissolved;  // sorted by id
  int groups_kept = 0;
  std::vector<ChurnEntry> churn;  // sorted by member id
  int64_t evaluations = 0;
  bool budget_exhausted = false;  // max_evaluations was reached
  bool stopped_early = false;     // should_stop fired
};

// Forms groups from scratch (Regroup with no existing groups).
// `slots[i]` is the availability of `members[i]`. INVALID_ARGUMENT when the
// sizes differ, an id is empty or repeated, or the settings or options are
// invalid. Infeasibility is never an error: unplaced members get reasons.
absl::StatusOr<GroupingResult> FormGroups(
    absl::Span<const MemberProfile> members, absl::Span<const SlotSet> slots,
    const PoolSettings& settings, const GroupingOptions& options = {});

// R-REGROUP. PROPOSED groups are discarded (nobody saw them). Each ACTIVE
// group loses the members who are absent from `members` or no longer
// eligible; it is kept if the rest is still a valid group, else dissolved
// (reported with the violation) and its members are placed again. Free
// members (new, unplaced, from dissolved groups) first fill free seats of kept
// groups, then form new groups. INVALID_ARGUMENT additionally for an empty or
// repeated group id or a member in two ACTIVE groups.
absl::StatusOr<GroupingResult> Regroup(absl::Span<const MemberProfile> members,
                                       absl::Span<const SlotSet> slots,
                                       absl::Span<const ExistingGroup> existing,
                                       const PoolSettings& settings,
                                       const GroupingOptions& options = {});

// An existing group offered to RankGroupsForMember.
struct CandidateGroup {
  std::string id;
  std::vector<GroupMemberView> members;
};

struct JoinCandidate {
  std::string group_id;
  double fit = 0;      // the member's mean affinity to the group's members
  int free_seats = 0;  // before joining
  MeetingSlot slot;    // unchanged by the join
};

// R-JOIN: the groups `member` could join, best fit first (ties: smaller
// group id), at most `k` of them (k <= 0: all). A group qualifies when it is
// valid now, has a free seat, does not contain the member already, stays
// valid with the member added, and keeps its meeting slot (a predictable
// schedule, SPEC §1). An ineligible member gets an empty list.
// INVALID_ARGUMENT for invalid settings or null views.
absl::StatusOr<std::vector<JoinCandidate>> RankGroupsForMember(
    GroupMemberView member, absl::Span<const CandidateGroup> groups,
    const PoolSettings& settings, int k);

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_GROUPS_H_
