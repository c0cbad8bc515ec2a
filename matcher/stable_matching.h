// Stable matching with capacities: the hospitals/residents problem on
// explicit rank lists (R-STABLE). This is the core that `peermatch solve`
// runs directly and that batch matching (batch_matching.h) runs on the lists
// it builds from a pool.
//
//   RankLists lists = RankLists::FromVectors(
//       /*mentee_lists=*/{{1, 0}, {0}}, /*mentor_lists=*/{{1, 0}, {0}},
//       /*capacity=*/{1, 1});
//   absl::StatusOr<StableMatching> result =
//       SolveStableMatching(lists, ProposingSide::kMentee);
//   result->mentor_of[0];   // 1: mentee 0's partner, or -1
//
// Problem. Mentees e and mentors m each rank some members of the other side,
// best first, without ties. A pair is acceptable when each lists the other.
// Mentor m takes at most capacity[m] mentees. A matching is stable when no
// acceptable pair (e, m) blocks it: e unmatched or preferring m to its
// partner, while m has a free seat or prefers e to one of its mentees.
//
// Algorithm. Deferred acceptance (Gale & Shapley 1962) with capacities
// (Roth 1984; Roth & Peranson 1999 for the hospital-proposing variant):
//   - kMentee: mentees propose; the result is the mentee-optimal stable
//     matching (every mentee gets its best partner over all stable
//     matchings).
//   - kMentor: mentors propose, each up to its capacity; the result is the
//     mentor-optimal stable matching.
// Invariants (mentee-proposing): a mentee's pointer only moves down its list;
// a mentor, once full, stays full and its worst held rank only improves, so a
// "worst" pointer that moves monotonically finds the next eviction victim.
// Complexity: O(mentees + mentors + total list length) time and memory,
// including the preprocessing that finds mutually acceptable entries (no
// hashing, no per-pair matrix).
// Determinism: the stable matching each side proposes for is unique, so the
// result depends only on the lists, never on the order proposals happen in.
#ifndef PEERMATCH_MATCHER_STABLE_MATCHING_H_
#define PEERMATCH_MATCHER_STABLE_MATCHING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace peermatch::matcher {

enum class ProposingSide : uint8_t { kMentee = 1, kMentor = 2 };

// Both sides' rank lists in compressed rows: the list of mentee e is
// mentee_entries[mentee_offsets[e] .. mentee_offsets[e + 1]), best first.
struct RankLists {
  int32_t num_mentees = 0;
  int32_t num_mentors = 0;
  std::vector<int64_t> mentee_offsets;  // num_mentees + 1 entries
  std::vector<int32_t> mentee_entries;  // mentor indices
  std::vector<int64_t> mentor_offsets;  // num_mentors + 1 entries
  std::vector<int32_t> mentor_entries;  // mentee indices
  std::vector<int32_t> capacity;        // per mentor, >= 0

  static RankLists FromVectors(
      const std::vector<std::vector<int32_t>>& mentee_lists,
      const std::vector<std::vector<int32_t>>& mentor_lists,
      std::vector<int32_t> capacity);

  absl::Span<const int32_t> MenteeList(int32_t e) const {
    return absl::MakeConstSpan(mentee_entries.data() + mentee_offsets[e],
                               mentee_offsets[e + 1] - mentee_offsets[e]);
  }
  absl::Span<const int32_t> MentorList(int32_t m) const {
    return absl::MakeConstSpan(mentor_entries.data() + mentor_offsets[m],
                               mentor_offsets[m + 1] - mentor_offsets[m]);
  }
  int64_t total_entries() const {
    return static_cast<int64_t>(mentee_entries.size() + mentor_entries.size());
  }
};

// Rank statistics of a matching; ranks are 1-based positions in the
// member's own list. Means are over matched pairs (0 when none).
struct RankStats {
  int32_t matched = 0;
  double mean_mentee_rank = 0;  // the mentor's position in the mentee's list
  int32_t worst_mentee_rank = 0;
  double mean_mentor_rank = 0;  // the mentee's position in the mentor's list
  int32_t worst_mentor_rank = 0;
};

struct StableMatching {
  std::vector<int32_t> mentor_of;    // per mentee; -1 when unmatched
  std::vector<int32_t> mentee_rank;  // per mentee; 0 when unmatched
  std::vector<int32_t> mentor_rank;  // per mentee: its rank in the mentor's
                                     // list; 0 when unmatched
  std::vector<int32_t> assigned;     // per mentor
  // Per mentee: whether some mentor with capacity > 0 accepts it (lists it
  // and is listed). An unmatched mentee with one was outcompeted.
  std::vector<bool> had_acceptable;
  RankStats stats;
};

// Solves the instance. INVALID_ARGUMENT (naming the list) when an entry is
// out of range, a list repeats an entry, a capacity is negative, or the
// sizes disagree.
absl::StatusOr<StableMatching> SolveStableMatching(const RankLists& lists,
                                                   ProposingSide side);

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_STABLE_MATCHING_H_
