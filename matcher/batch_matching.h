// Batch stable matching of a pool (R-STABLE): builds both sides' rank lists
// from a CompiledPool, runs deferred acceptance (stable_matching.h), verifies
// the result independently (verifier.h) and reports.
//
//   absl::StatusOr<Scorer> scorer = Scorer::Create(pool, settings);
//   BatchInput input;
//   input.mentees = mentees_without_live_match;         // pool indices
//   input.mentors = {{m1, free_capacity_1}, ...};       // free capacity > 0
//   BatchOptions options;                               // mentee-proposing
//   options.max_candidates = 100;                       // 0: complete lists
//   absl::StatusOr<BatchResult> result = RunBatchMatching(*scorer, input,
//                                                         options);
//
// Lists (SPEC §4):
//   - acceptable pairs pass every hard constraint and score >= min_score in
//     both views;
//   - each mentee ranks its acceptable mentors by mentee-view score, ties to
//     the lower id; with max_candidates > 0 only its top entries are kept;
//   - each mentor ranks exactly the mentees that listed it, by mentor-view
//     score, ties to the lower id, whichever side proposes.
// The result is stable with respect to these lists, which the verifier
// checks (blocking_pairs must be 0).
//
// What the caller decides (the service knows the match records): which
// mentees take part (eligible ones without a live match; a default run
// discards earlier PROPOSED matches first, an incremental one keeps them) and
// each mentor's free capacity = max(0, capacity - ACTIVE - PROPOSED), where
// pinned ACTIVE pairs have already taken their capacity.
//
// Unmatched reasons: `safety_hold` and `not_screened` for mentees that are
// not eligible (hold first); `no_acceptable_mentor` when the mentee's list is
// empty (no mentor with free capacity is acceptable); `outcompeted` when it
// had acceptable mentors but all were full with mentees they preferred.
//
// Complexity: list building is the pruned scan of CandidateIndex for each
// mentee (parallel over mentees when options.parallel_for is set), then
// O(L log L) sorting of the lists (L = total entries), O(L) matching and
// O(L) verification. Deterministic: the result depends only on the pool,
// settings and input sets, never on input order or on how the work was
// split across threads.
#ifndef PEERMATCH_MATCHER_BATCH_MATCHING_H_
#define PEERMATCH_MATCHER_BATCH_MATCHING_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "matcher/compiled_pool.h"
#include "matcher/parallel.h"
#include "matcher/scoring.h"
#include "matcher/stable_matching.h"
#include "matcher/verifier.h"

namespace peermatch::matcher {

// Numbers mirror peermatch.v1.UnmatchedReason.
enum class UnmatchedReason : uint8_t {
  kSafetyHold = 1,
  kNotScreened = 2,
  kNoAcceptableMentor = 3,
  kOutcompeted = 4,
};

// "safety_hold", "not_screened", "no_acceptable_mentor", "outcompeted".
absl::string_view UnmatchedReasonName(UnmatchedReason reason);

struct BatchInput {
  std::vector<MemberIndex> mentees;  // pool indices to match
  // Pool indices with their free capacity; entries with capacity <= 0 and
  // mentors that are not eligible take no part.
  std::vector<std::pair<MemberIndex, int32_t>> mentors;
};

struct BatchOptions {
  ProposingSide proposing_side = ProposingSide::kMentee;
  // 0: complete lists; otherwise each mentee keeps its top entries.
  int32_t max_candidates = 0;
  // Optional threads for list building.
  ParallelFor parallel_for;
};

struct MatchedPair {
  MemberIndex mentee = 0;
  MemberIndex mentor = 0;
  int32_t mentee_micros = 0;
  int32_t mentor_micros = 0;
  int32_t mentee_rank = 0;  // 1-based position of the mentor in e's list
  int32_t mentor_rank = 0;  // 1-based position of the mentee in m's list
};

struct UnmatchedMentee {
  MemberIndex mentee = 0;
  UnmatchedReason reason = UnmatchedReason::kNoAcceptableMentor;
};

struct MentorFill {
  MemberIndex mentor = 0;
  int32_t capacity = 0;  // free capacity the run could fill
  int32_t assigned = 0;
};

struct BatchResult {
  std::vector<MatchedPair> matches;        // by mentee id order
  std::vector<UnmatchedMentee> unmatched;  // by mentee id order
  std::vector<MentorFill> mentor_fill;     // by mentor id order
  RankStats stats;
  VerificationReport verification;      // blocking_pairs must be 0
  int64_t preference_list_entries = 0;  // both sides
};

// INVALID_ARGUMENT when an index is not a live member, an index repeats, or
// max_candidates is negative.
absl::StatusOr<BatchResult> RunBatchMatching(const Scorer& scorer,
                                             const BatchInput& input,
                                             const BatchOptions& options);

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_BATCH_MATCHING_H_
