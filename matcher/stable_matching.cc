#include "matcher/stable_matching.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace peermatch::matcher {
namespace {

absl::Status ValidateSide(absl::string_view side, int32_t n,
                          const std::vector<int64_t>& offsets,
                          const std::vector<int32_t>& entries,
                          int32_t other_n) {
  if (n < 0 || offsets.size() != static_cast<size_t>(n) + 1 ||
      offsets[0] != 0 || offsets[n] != static_cast<int64_t>(entries.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(side, " lists: offsets do not match the entries"));
  }
  // seen[x] == i + 1 when list i already holds x.
  std::vector<int32_t> seen(other_n, 0);
  for (int32_t i = 0; i < n; ++i) {
    if (offsets[i] > offsets[i + 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat(side, " lists: offsets decrease at ", i));
    }
    for (int64_t j = offsets[i]; j < offsets[i + 1]; ++j) {
      const int32_t x = entries[j];
      if (x < 0 || x >= other_n) {
        return absl::InvalidArgumentError(
            absl::StrCat(side, " list ", i, ": entry ", x, " out of range"));
      }
      if (seen[x] == i + 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(side, " list ", i, ": entry ", x, " repeated"));
      }
      seen[x] = i + 1;
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(const RankLists& l) {
  if (l.num_mentees < 0 || l.num_mentors < 0 ||
      l.capacity.size() != static_cast<size_t>(l.num_mentors)) {
    return absl::InvalidArgumentError("capacity: one per mentor");
  }
  for (int32_t m = 0; m < l.num_mentors; ++m) {
    if (l.capacity[m] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("capacity of mentor ", m, ": negative"));
    }
  }
  if (absl::Status s = ValidateSide("mentee", l.num_mentees, l.mentee_offsets,
                                    l.mentee_entries, l.num_mentors);
      !s.ok()) {
    return s;
  }
  return ValidateSide("mentor", l.num_mentors, l.mentor_offsets,
                      l.mentor_entries, l.num_mentees);
}

// For every entry (a, b) of side A's lists: the position of a in b's list,
// or -1 when b does not list a. O(|A entries| + |B entries| + |A| + |B|):
// B's lists are transposed by a counting sort, then each a marks its
// (b, position) pairs in a scratch row indexed by b.
std::vector<int32_t> CrossRanks(int32_t num_a,
                                const std::vector<int64_t>& a_offsets,
                                const std::vector<int32_t>& a_entries,
                                int32_t num_b,
                                const std::vector<int64_t>& b_offsets,
                                const std::vector<int32_t>& b_entries) {
  std::vector<int64_t> t_offsets(static_cast<size_t>(num_a) + 1, 0);
  for (int32_t a : b_entries) ++t_offsets[a + 1];
  for (int32_t a = 0; a < num_a; ++a) t_offsets[a + 1] += t_offsets[a];
  std::vector<int32_t> t_b(b_entries.size()), t_rank(b_entries.size());
  {
    std::vector<int64_t> fill(t_offsets.begin(), t_offsets.end() - 1);
    for (int32_t b = 0; b < num_b; ++b) {
      for (int64_t j = b_offsets[b]; j < b_offsets[b + 1]; ++j) {
        const int64_t pos = fill[b_entries[j]]++;
        t_b[pos] = b;
        t_rank[pos] = static_cast<int32_t>(j - b_offsets[b]);
      }
    }
  }
  std::vector<int32_t> scratch(num_b, -1);
  std::vector<int32_t> out(a_entries.size());
  for (int32_t a = 0; a < num_a; ++a) {
    for (int64_t k = t_offsets[a]; k < t_offsets[a + 1]; ++k) {
      scratch[t_b[k]] = t_rank[k];
    }
    for (int64_t j = a_offsets[a]; j < a_offsets[a + 1]; ++j) {
      out[j] = scratch[a_entries[j]];
    }
    for (int64_t k = t_offsets[a]; k < t_offsets[a + 1]; ++k) {
      scratch[t_b[k]] = -1;
    }
  }
  return out;
}

void MenteeProposing(const RankLists& l, StableMatching& r) {
  const std::vector<int32_t> rank_by_mentor =
      CrossRanks(l.num_mentees, l.mentee_offsets, l.mentee_entries,
                 l.num_mentors, l.mentor_offsets, l.mentor_entries);
  std::vector<uint8_t> held(l.mentor_entries.size(), 0);  // by list position
  std::vector<int32_t> worst(l.num_mentors, -1);
  std::vector<int64_t> next(l.mentee_offsets.begin(),
                            l.mentee_offsets.end() - 1);
  std::vector<int32_t> free;
  free.reserve(l.num_mentees);
  for (int32_t e = l.num_mentees - 1; e >= 0; --e) free.push_back(e);
  while (!free.empty()) {
    const int32_t e = free.back();
    free.pop_back();
    const int64_t end = l.mentee_offsets[e + 1];
    while (next[e] < end) {
      const int64_t j = next[e]++;
      const int32_t m = l.mentee_entries[j];
      const int32_t rank = rank_by_mentor[j];
      if (rank < 0 || l.capacity[m] == 0) continue;
      uint8_t* m_held = held.data() + l.mentor_offsets[m];
      if (r.assigned[m] < l.capacity[m]) {
        m_held[rank] = 1;
        ++r.assigned[m];
        worst[m] = std::max(worst[m], rank);
        r.mentor_of[e] = m;
        break;
      }
      if (rank < worst[m]) {
        const int32_t victim = l.mentor_entries[l.mentor_offsets[m] + worst[m]];
        m_held[worst[m]] = 0;
        m_held[rank] = 1;
        r.mentor_of[victim] = -1;
        free.push_back(victim);
        r.mentor_of[e] = m;
        int32_t w = worst[m];
        while (!m_held[w]) --w;  // stops at `rank` at the latest
        worst[m] = w;
        break;
      }
    }
  }
  for (int32_t e = 0; e < l.num_mentees; ++e) {
    for (int64_t j = l.mentee_offsets[e]; j < l.mentee_offsets[e + 1]; ++j) {
      if (rank_by_mentor[j] >= 0 && l.capacity[l.mentee_entries[j]] > 0) {
        r.had_acceptable[e] = true;
        break;
      }
    }
    if (r.mentor_of[e] < 0) continue;
    const int64_t j = next[e] - 1;  // the accepted proposal
    r.mentee_rank[e] = static_cast<int32_t>(j - l.mentee_offsets[e]) + 1;
    r.mentor_rank[e] = rank_by_mentor[j] + 1;
  }
}

void MentorProposing(const RankLists& l, StableMatching& r) {
  const std::vector<int32_t> rank_by_mentee =
      CrossRanks(l.num_mentors, l.mentor_offsets, l.mentor_entries,
                 l.num_mentees, l.mentee_offsets, l.mentee_entries);
  std::vector<int32_t> held_rank(l.num_mentees, -1);  // e's rank of partner
  std::vector<int64_t> next(l.mentor_offsets.begin(),
                            l.mentor_offsets.end() - 1);
  std::vector<int32_t> active;
  for (int32_t m = l.num_mentors - 1; m >= 0; --m) active.push_back(m);
  while (!active.empty()) {
    const int32_t m = active.back();
    active.pop_back();
    const int64_t end = l.mentor_offsets[m + 1];
    while (r.assigned[m] < l.capacity[m] && next[m] < end) {
      const int64_t j = next[m]++;
      const int32_t e = l.mentor_entries[j];
      const int32_t rank = rank_by_mentee[j];
      if (rank < 0) continue;
      const int32_t old = r.mentor_of[e];
      if (old >= 0 && held_rank[e] < rank) continue;  // e keeps its partner
      if (old >= 0) {
        --r.assigned[old];
        active.push_back(old);
      }
      r.mentor_of[e] = m;
      held_rank[e] = rank;
      r.mentor_rank[e] = static_cast<int32_t>(j - l.mentor_offsets[m]) + 1;
      ++r.assigned[m];
    }
  }
  for (int32_t m = 0; m < l.num_mentors; ++m) {
    if (l.capacity[m] == 0) continue;
    for (int64_t j = l.mentor_offsets[m]; j < l.mentor_offsets[m + 1]; ++j) {
      if (rank_by_mentee[j] >= 0) r.had_acceptable[l.mentor_entries[j]] = true;
    }
  }
  for (int32_t e = 0; e < l.num_mentees; ++e) {
    if (r.mentor_of[e] >= 0) r.mentee_rank[e] = held_rank[e] + 1;
  }
}

}  // namespace

RankLists RankLists::FromVectors(
    const std::vector<std::vector<int32_t>>& mentee_lists,
    const std::vector<std::vector<int32_t>>& mentor_lists,
    std::vector<int32_t> capacity) {
  RankLists l;
  l.num_mentees = static_cast<int32_t>(mentee_lists.size());
  l.num_mentors = static_cast<int32_t>(mentor_lists.size());
  auto flatten = [](const std::vector<std::vector<int32_t>>& lists,
                    std::vector<int64_t>& offsets,
                    std::vector<int32_t>& entries) {
    offsets.assign(1, 0);
    for (const auto& list : lists) {
      entries.insert(entries.end(), list.begin(), list.end());
      offsets.push_back(static_cast<int64_t>(entries.size()));
    }
  };
  flatten(mentee_lists, l.mentee_offsets, l.mentee_entries);
  flatten(mentor_lists, l.mentor_offsets, l.mentor_entries);
  l.capacity = std::move(capacity);
  return l;
}

absl::StatusOr<StableMatching> SolveStableMatching(const RankLists& lists,
                                                   ProposingSide side) {
  if (absl::Status s = Validate(lists); !s.ok()) return s;
  StableMatching r;
  r.mentor_of.assign(lists.num_mentees, -1);
  r.mentee_rank.assign(lists.num_mentees, 0);
  r.mentor_rank.assign(lists.num_mentees, 0);
  r.assigned.assign(lists.num_mentors, 0);
  r.had_acceptable.assign(lists.num_mentees, false);
  if (side == ProposingSide::kMentor) {
    MentorProposing(lists, r);
  } else {
    MenteeProposing(lists, r);
  }
  RankStats& s = r.stats;
  int64_t sum_mentee = 0, sum_mentor = 0;
  for (int32_t e = 0; e < lists.num_mentees; ++e) {
    if (r.mentor_of[e] < 0) continue;
    ++s.matched;
    sum_mentee += r.mentee_rank[e];
    sum_mentor += r.mentor_rank[e];
    s.worst_mentee_rank = std::max(s.worst_mentee_rank, r.mentee_rank[e]);
    s.worst_mentor_rank = std::max(s.worst_mentor_rank, r.mentor_rank[e]);
  }
  if (s.matched > 0) {
    s.mean_mentee_rank = static_cast<double>(sum_mentee) / s.matched;
    s.mean_mentor_rank = static_cast<double>(sum_mentor) / s.matched;
  }
  return r;
}

}  // namespace peermatch::matcher
