// ParallelFor: how a caller lends threads to the matcher. The library starts
// no threads of its own (STYLE.md); work that splits into independent ranges
// takes an optional ParallelFor and runs sequentially without one.
//
//   // Two workers from an executor the caller owns:
//   ParallelFor pf = [&pool](int64_t n, const RangeFn& body) {
//     pool.RunInChunks(n, body);   // body(begin, end) on disjoint ranges
//   };
//   options.parallel_for = pf;
#ifndef PEERMATCH_MATCHER_PARALLEL_H_
#define PEERMATCH_MATCHER_PARALLEL_H_

#include <cstdint>
#include <functional>

namespace peermatch::matcher {

// Processes [begin, end).
using RangeFn = std::function<void(int64_t begin, int64_t end)>;

// Calls body on disjoint ranges that together cover [0, n), possibly
// concurrently, and returns when every call has returned. Results never
// depend on how [0, n) is split: bodies write only to their own indices.
using ParallelFor = std::function<void(int64_t n, const RangeFn& body)>;

// Runs body(0, n) on the calling thread when `pf` is empty, else pf(n, body).
inline void RunParallel(const ParallelFor& pf, int64_t n, const RangeFn& body) {
  if (n <= 0) return;
  if (pf) {
    pf(n, body);
  } else {
    body(0, n);
  }
}

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_PARALLEL_H_
