#include "matcher/verifier.h"

#include <cstdint>
#include <vector>

namespace peermatch::matcher {

VerificationReport VerifyStableMatching(const RankLists& lists,
                                        absl::Span<const int32_t> mentor_of) {
  VerificationReport report;
  const int32_t num_mentees = lists.num_mentees;
  const int32_t num_mentors = lists.num_mentors;

  // Where each mentee's partner sits in its own list; the list's length when
  // unmatched (everything it lists is then preferred).
  std::vector<int64_t> partner_position(num_mentees);
  for (int32_t e = 0; e < num_mentees; ++e) {
    const auto list = lists.MenteeList(e);
    int64_t p = static_cast<int64_t>(list.size());
    if (mentor_of[e] >= 0) {
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i] == mentor_of[e]) p = static_cast<int64_t>(i);
      }
      if (p == static_cast<int64_t>(list.size()) ||
          mentor_of[e] >= num_mentors) {
        ++report.unacceptable_pairs;  // e does not list its partner
      }
    }
    partner_position[e] = p;
  }

  // Each mentor's load and the rank of its least preferred mentee, from its
  // own list.
  std::vector<int32_t> load(num_mentors, 0);
  for (int32_t e = 0; e < num_mentees; ++e) {
    if (mentor_of[e] >= 0 && mentor_of[e] < num_mentors) ++load[mentor_of[e]];
  }
  std::vector<int64_t> worst(num_mentors, -1);
  for (int32_t m = 0; m < num_mentors; ++m) {
    const auto list = lists.MentorList(m);
    int32_t found = 0;
    for (size_t r = 0; r < list.size(); ++r) {
      if (mentor_of[list[r]] == m) {
        worst[m] = static_cast<int64_t>(r);
        ++found;
      }
    }
    report.unacceptable_pairs += load[m] - found;  // m does not list them
    if (load[m] > lists.capacity[m]) ++report.capacity_violations;
  }

  // "e would switch to m", grouped by m (counting sort).
  std::vector<int64_t> start(static_cast<size_t>(num_mentors) + 1, 0);
  for (int32_t e = 0; e < num_mentees; ++e) {
    const auto list = lists.MenteeList(e);
    for (int64_t i = 0; i < partner_position[e]; ++i) ++start[list[i] + 1];
  }
  for (int32_t m = 0; m < num_mentors; ++m) start[m + 1] += start[m];
  std::vector<int32_t> would_switch(start[num_mentors]);
  {
    std::vector<int64_t> next(start.begin(), start.end() - 1);
    for (int32_t e = 0; e < num_mentees; ++e) {
      const auto list = lists.MenteeList(e);
      for (int64_t i = 0; i < partner_position[e]; ++i) {
        would_switch[next[list[i]]++] = e;
      }
    }
  }

  // For each mentor, mark whom it would take and count the pairs that meet.
  std::vector<uint8_t> would_take(num_mentees, 0);
  for (int32_t m = 0; m < num_mentors; ++m) {
    const auto list = lists.MentorList(m);
    const int64_t cut = load[m] < lists.capacity[m]
                            ? static_cast<int64_t>(list.size())
                            : worst[m];  // strictly above the worst
    for (int64_t r = 0; r < cut; ++r) would_take[list[r]] = 1;
    for (int64_t k = start[m]; k < start[m + 1]; ++k) {
      report.blocking_pairs += would_take[would_switch[k]];
    }
    for (int64_t r = 0; r < cut; ++r) would_take[list[r]] = 0;
  }
  return report;
}

}  // namespace peermatch::matcher
