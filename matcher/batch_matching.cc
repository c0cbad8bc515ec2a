#include "matcher/batch_matching.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "matcher/candidate_index.h"

namespace peermatch::matcher {
namespace {

absl::Status CheckIndices(const CompiledPool& pool,
                          const std::vector<MemberIndex>& indices,
                          absl::string_view what) {
  std::vector<bool> seen(pool.index_capacity(), false);
  for (MemberIndex i : indices) {
    if (i >= pool.index_capacity() || !pool.live(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": index ", i, " is not a member"));
    }
    if (seen[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": index ", i, " repeated"));
    }
    seen[i] = true;
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view UnmatchedReasonName(UnmatchedReason reason) {
  switch (reason) {
    case UnmatchedReason::kSafetyHold:
      return "safety_hold";
    case UnmatchedReason::kNotScreened:
      return "not_screened";
    case UnmatchedReason::kNoAcceptableMentor:
      return "no_acceptable_mentor";
    case UnmatchedReason::kOutcompeted:
      return "outcompeted";
  }
  return "unknown";
}

absl::StatusOr<BatchResult> RunBatchMatching(const Scorer& scorer,
                                             const BatchInput& input,
                                             const BatchOptions& options) {
  const CompiledPool& pool = scorer.pool();
  if (options.max_candidates < 0) {
    return absl::InvalidArgumentError("max_candidates: negative");
  }
  std::vector<MemberIndex> mentor_ids;
  for (const auto& [m, capacity] : input.mentors) mentor_ids.push_back(m);
  if (absl::Status s = CheckIndices(pool, input.mentees, "mentees"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckIndices(pool, mentor_ids, "mentors"); !s.ok()) {
    return s;
  }
  auto by_id = [&pool](MemberIndex a, MemberIndex b) {
    return pool.order(a) < pool.order(b);
  };

  // Mentors taking part, in id order; their dense index is the position.
  std::vector<std::pair<MemberIndex, int32_t>> mentors;
  for (const auto& [m, capacity] : input.mentors) {
    if (capacity > 0 && scorer.EligibleMentor(m)) {
      mentors.emplace_back(m, capacity);
    }
  }
  std::sort(mentors.begin(), mentors.end(), [&](const auto& a, const auto& b) {
    return by_id(a.first, b.first);
  });
  std::vector<MemberIndex> mentor_of_position;
  std::vector<int32_t> position_of_mentor(pool.index_capacity(), -1);
  for (const auto& [m, capacity] : mentors) {
    position_of_mentor[m] = static_cast<int32_t>(mentor_of_position.size());
    mentor_of_position.push_back(m);
  }

  // Mentees in id order; the eligible ones get a dense index.
  std::vector<MemberIndex> mentees = input.mentees;
  std::sort(mentees.begin(), mentees.end(), by_id);
  BatchResult result;
  std::vector<MemberIndex> eligible;
  std::vector<UnmatchedMentee> ineligible;
  const bool screening = scorer.settings().require_screening;
  for (MemberIndex e : mentees) {
    const uint16_t flags = pool.core(e).flags;
    if (scorer.EligibleMentee(e)) {
      eligible.push_back(e);
    } else if (flags & kFlagSafetyHold) {
      ineligible.push_back({e, UnmatchedReason::kSafetyHold});
    } else if (screening && !(flags & kFlagScreened)) {
      ineligible.push_back({e, UnmatchedReason::kNotScreened});
    } else {  // not a mentee at all
      ineligible.push_back({e, UnmatchedReason::kNoAcceptableMentor});
    }
  }
  const int32_t num_mentees = static_cast<int32_t>(eligible.size());
  const int32_t num_mentors = static_cast<int32_t>(mentors.size());

  // Mentee lists: acceptable mentors by mentee-view score (ties: id order),
  // truncated to max_candidates.
  const CandidateIndex index(scorer, mentor_of_position);
  std::vector<std::vector<Candidate>> lists(num_mentees);
  RunParallel(
      options.parallel_for, num_mentees, [&](int64_t begin, int64_t end) {
        CandidateIndex::Scratch scratch;
        for (int64_t i = begin; i < end; ++i) {
          std::vector<Candidate>& list = lists[i];
          if (options.max_candidates > 0) {
            index.TopK(eligible[i], options.max_candidates, {}, &scratch,
                       &list);
          } else {
            // Acceptable() returns id order; a stable sort by
            // score keeps it for ties.
            index.Acceptable(eligible[i], &scratch, &list);
            std::stable_sort(list.begin(), list.end(),
                             [](const Candidate& a, const Candidate& b) {
                               return a.mentee_micros > b.mentee_micros;
                             });
          }
          list.shrink_to_fit();
        }
      });

  // Both sides in compressed rows. Each mentor ranks exactly the mentees that
  // listed it, by mentor-view score, ties to the lower id (= dense index).
  RankLists rl;
  rl.num_mentees = num_mentees;
  rl.num_mentors = num_mentors;
  rl.mentee_offsets.assign(num_mentees + 1, 0);
  rl.mentor_offsets.assign(num_mentors + 1, 0);
  for (int32_t e = 0; e < num_mentees; ++e) {
    rl.mentee_offsets[e + 1] = rl.mentee_offsets[e] + lists[e].size();
    for (const Candidate& c : lists[e]) {
      ++rl.mentor_offsets[position_of_mentor[c.mentor] + 1];
    }
  }
  for (int32_t m = 0; m < num_mentors; ++m) {
    rl.mentor_offsets[m + 1] += rl.mentor_offsets[m];
  }
  rl.mentee_entries.resize(rl.mentee_offsets[num_mentees]);
  {
    // Per mentor entry a key that sorts by mentor-view score descending,
    // then mentee (dense index = id order): (1e6 - score) << 32 | mentee.
    std::vector<uint64_t> by_mentor(rl.mentor_offsets[num_mentors]);
    std::vector<int64_t> fill(rl.mentor_offsets.begin(),
                              rl.mentor_offsets.end() - 1);
    for (int32_t e = 0; e < num_mentees; ++e) {
      int64_t j = rl.mentee_offsets[e];
      for (const Candidate& c : lists[e]) {
        const int32_t m = position_of_mentor[c.mentor];
        rl.mentee_entries[j++] = m;
        by_mentor[fill[m]++] =
            (static_cast<uint64_t>(1000000 - c.mentor_micros) << 32) |
            static_cast<uint32_t>(e);
      }
    }
    RunParallel(options.parallel_for, num_mentors,
                [&](int64_t begin, int64_t end) {
                  for (int64_t m = begin; m < end; ++m) {
                    std::sort(by_mentor.begin() + rl.mentor_offsets[m],
                              by_mentor.begin() + rl.mentor_offsets[m + 1]);
                  }
                });
    rl.mentor_entries.resize(by_mentor.size());
    for (size_t j = 0; j < by_mentor.size(); ++j) {
      rl.mentor_entries[j] = static_cast<int32_t>(by_mentor[j] & 0xffffffffu);
    }
  }
  rl.capacity.resize(num_mentors);
  for (int32_t m = 0; m < num_mentors; ++m) rl.capacity[m] = mentors[m].second;
  result.preference_list_entries = rl.total_entries();

  absl::StatusOr<StableMatching> matching =
      SolveStableMatching(rl, options.proposing_side);
  if (!matching.ok()) return matching.status();  // not expected: lists are ours
  result.verification = VerifyStableMatching(rl, matching->mentor_of);
  result.stats = matching->stats;

  // Report, in id order.
  result.unmatched = std::move(ineligible);
  for (int32_t e = 0; e < num_mentees; ++e) {
    const int32_t m = matching->mentor_of[e];
    if (m < 0) {
      result.unmatched.push_back(
          {eligible[e], lists[e].empty() ? UnmatchedReason::kNoAcceptableMentor
                                         : UnmatchedReason::kOutcompeted});
      continue;
    }
    const Candidate& c = lists[e][matching->mentee_rank[e] - 1];
    result.matches.push_back(
        {eligible[e], mentor_of_position[m], c.mentee_micros, c.mentor_micros,
         matching->mentee_rank[e], matching->mentor_rank[e]});
  }
  std::sort(result.unmatched.begin(), result.unmatched.end(),
            [&](const UnmatchedMentee& a, const UnmatchedMentee& b) {
              return by_id(a.mentee, b.mentee);
            });
  for (int32_t m = 0; m < num_mentors; ++m) {
    result.mentor_fill.push_back(
        {mentor_of_position[m], mentors[m].second, matching->assigned[m]});
  }
  return result;
}

}  // namespace peermatch::matcher
