#include "bench/generator/solve_instance.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace peermatch::bench {

SolveInstanceLists GenerateSolveInstance(const SolveInstanceOptions& o) {
  std::mt19937_64 rng(o.seed);
  auto unit = [&rng]() { return static_cast<double>(rng() >> 11) * 0x1p-53; };
  // Mentor popularity ~ 1 / (k + 1)^0.6: the favourites are oversubscribed.
  std::vector<double> cdf(o.mentors);
  double total = 0;
  for (int k = 0; k < o.mentors; ++k) {
    total += 1.0 / std::pow(k + 1, 0.6);
    cdf[k] = total;
  }
  const int length = std::min(o.list_length, o.mentors);
  SolveInstanceLists lists;
  lists.mentee_lists.resize(o.mentees);
  lists.mentor_lists.resize(o.mentors);
  lists.capacity.assign(o.mentors, o.capacity);
  auto& mentee_lists = lists.mentee_lists;
  auto& mentor_lists = lists.mentor_lists;
  for (int e = 0; e < o.mentees; ++e) {
    std::vector<int32_t>& list = mentee_lists[e];
    while (static_cast<int>(list.size()) < length) {
      const int m = static_cast<int>(
          std::upper_bound(cdf.begin(), cdf.end() - 1, unit() * total) -
          cdf.begin());
      if (std::find(list.begin(), list.end(), m) == list.end()) {
        list.push_back(m);
        mentor_lists[m].push_back(e);
      }
    }
  }
  for (auto& list : mentor_lists) {
    for (size_t i = list.size(); i > 1; --i) {
      std::swap(list[i - 1], list[static_cast<size_t>(unit() * i)]);
    }
  }
  return lists;
}

std::string GenerateSolveInstanceJson(const SolveInstanceOptions& o) {
  const SolveInstanceLists lists = GenerateSolveInstance(o);
  const auto& mentee_lists = lists.mentee_lists;
  const auto& mentor_lists = lists.mentor_lists;
  std::string out = "{\"optimal\": \"mentee\",\n \"mentees\": [";
  for (int e = 0; e < o.mentees; ++e) {
    absl::StrAppendFormat(&out, "%s\n  {\"id\": \"e%05d\", \"ranking\": [",
                          e ? "," : "", e);
    for (size_t k = 0; k < mentee_lists[e].size(); ++k) {
      absl::StrAppendFormat(&out, "%s\"m%04d\"", k ? ", " : "",
                            mentee_lists[e][k]);
    }
    out += "]}";
  }
  out += "],\n \"mentors\": [";
  for (int m = 0; m < o.mentors; ++m) {
    absl::StrAppendFormat(&out,
                          "%s\n  {\"id\": \"m%04d\", \"capacity\": %d, "
                          "\"ranking\": [",
                          m ? "," : "", m, o.capacity);
    for (size_t k = 0; k < mentor_lists[m].size(); ++k) {
      absl::StrAppendFormat(&out, "%s\"e%05d\"", k ? ", " : "",
                            mentor_lists[m][k]);
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

}  // namespace peermatch::bench
