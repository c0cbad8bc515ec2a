// Exponential reconnect backoff with jitter:
//
//   BackoffOptions o;  // 50 ms doubling to a 2 s cap, jittered to [50%, 100%]
//   absl::Duration d = BackoffDelay(o, /*failures=*/3, /*unit_random=*/0.7);
//   // base = 50 ms * 2^(3-1) = 200 ms; d = 200 ms * (0.5 + 0.5 * 0.7) = 170 ms
//
// Pure and thread-safe; the caller supplies the randomness, so tests can pin
// it.
#ifndef PEERMATCH_SERVICE_STORE_BACKOFF_H_
#define PEERMATCH_SERVICE_STORE_BACKOFF_H_

#include "absl/time/time.h"

namespace peermatch::store {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(50);
  absl::Duration max = absl::Seconds(2);
  double multiplier = 2.0;
  // The delay is drawn uniformly from [(1 - jitter) * base, base], so that
  // replicas that lost Redis together do not reconnect in lockstep.
  double jitter = 0.5;
};

// The delay after the `failures`-th consecutive failure (failures >= 1):
// base = min(max, initial * multiplier^(failures - 1)), then jittered with
// `unit_random` in [0, 1). Returns zero for failures <= 0.
absl::Duration BackoffDelay(const BackoffOptions& options, int failures,
                            double unit_random);

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_BACKOFF_H_
