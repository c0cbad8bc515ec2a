#include "matcher/verifier.h"

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace peermatch::matcher {
namespace {

uint64_t Key(int32_t mentee, int32_t mentor) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(mentee)) << 32) |
         static_cast<uint32_t>(mentor);
}

}  // namespace

VerificationReport VerifyStableMatching(const RankLists& lists,
                                        absl::Span<const int32_t> mentor_of) {
  VerificationReport report;
  // How each side ranks each listed partner (0 = best).
  absl::flat_hash_map<uint64_t, int32_t> mentee_rank_of, mentor_rank_of;
  mentee_rank_of.reserve(lists.mentee_entries.size());
  mentor_rank_of.reserve(lists.mentor_entries.size());
  for (int32_t e = 0; e < lists.num_mentees; ++e) {
    auto list = lists.MenteeList(e);
    for (size_t r = 0; r < list.size(); ++r) {
      mentee_rank_of[Key(e, list[r])] = static_cast<int32_t>(r);
    }
  }
  for (int32_t m = 0; m < lists.num_mentors; ++m) {
    auto list = lists.MentorList(m);
    for (size_t r = 0; r < list.size(); ++r) {
      mentor_rank_of[Key(list[r], m)] = static_cast<int32_t>(r);
    }
  }

  // Each mentor's load and its least preferred mentee's rank.
  std::vector<int32_t> load(lists.num_mentors, 0);
  std::vector<int32_t> worst(lists.num_mentors, -1);
  for (int32_t e = 0; e < lists.num_mentees; ++e) {
    const int32_t m = mentor_of[e];
    if (m < 0) continue;
    if (m >= lists.num_mentors) {
      ++report.unacceptable_pairs;
      continue;
    }
    ++load[m];
    auto by_mentee = mentee_rank_of.find(Key(e, m));
    auto by_mentor = mentor_rank_of.find(Key(e, m));
    if (by_mentee == mentee_rank_of.end() ||
        by_mentor == mentor_rank_of.end()) {
      ++report.unacceptable_pairs;
      continue;
    }
    if (by_mentor->second > worst[m]) worst[m] = by_mentor->second;
  }
  for (int32_t m = 0; m < lists.num_mentors; ++m) {
    if (load[m] > lists.capacity[m]) ++report.capacity_violations;
  }

  // Every acceptable pair, from the mentors' side.
  for (int32_t m = 0; m < lists.num_mentors; ++m) {
    auto list = lists.MentorList(m);
    for (size_t r = 0; r < list.size(); ++r) {
      const int32_t e = list[r];
      if (mentor_of[e] == m) continue;
      auto e_rank = mentee_rank_of.find(Key(e, m));
      if (e_rank == mentee_rank_of.end()) continue;  // e does not list m
      bool mentee_wants = mentor_of[e] < 0;
      if (!mentee_wants) {
        auto current = mentee_rank_of.find(Key(e, mentor_of[e]));
        mentee_wants =
            current == mentee_rank_of.end() || e_rank->second < current->second;
      }
      if (!mentee_wants) continue;
      const bool mentor_wants =
          load[m] < lists.capacity[m] ||
          (load[m] > 0 && static_cast<int32_t>(r) < worst[m]);
      if (mentor_wants) ++report.blocking_pairs;
    }
  }
  return report;
}

}  // namespace peermatch::matcher
