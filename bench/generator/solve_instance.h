// A `peermatch solve` rank-list instance (R-OFFLINE) as JSON, for the
// solve benchmark: residency-style lists where mentee popularity of mentors
// is skewed, so that popular mentors are oversubscribed.
//
//   SolveInstanceOptions o;   // 10,000 mentees x 500 mentors, 10-long lists
//   std::string json = GenerateSolveInstanceJson(o);
#ifndef PEERMATCH_BENCH_GENERATOR_SOLVE_INSTANCE_H_
#define PEERMATCH_BENCH_GENERATOR_SOLVE_INSTANCE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace peermatch::bench {

struct SolveInstanceOptions {
  uint64_t seed = 1;
  int mentees = 10000;
  int mentors = 500;
  int list_length = 10;  // each mentee ranks this many distinct mentors
  int capacity = 20;     // every mentor's capacity
};

// The instance as rank lists of dense indices (mentee e is "e%05d", mentor
// m is "m%04d"): each mentee ranks list_length distinct mentors drawn by
// popularity; each mentor ranks exactly the mentees that ranked it, in a
// random order. Deterministic for the options.
struct SolveInstanceLists {
  std::vector<std::vector<int32_t>> mentee_lists;
  std::vector<std::vector<int32_t>> mentor_lists;
  std::vector<int32_t> capacity;
};
SolveInstanceLists GenerateSolveInstance(const SolveInstanceOptions& options);

// The same instance as `peermatch solve` JSON.
std::string GenerateSolveInstanceJson(const SolveInstanceOptions& options);

}  // namespace peermatch::bench

#endif  // PEERMATCH_BENCH_GENERATOR_SOLVE_INSTANCE_H_
