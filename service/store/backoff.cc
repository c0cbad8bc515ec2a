#include "service/store/backoff.h"

#include <algorithm>

namespace peermatch::store {

absl::Duration BackoffDelay(const BackoffOptions& options, int failures,
                            double unit_random) {
  if (failures <= 0) return absl::ZeroDuration();
  absl::Duration base = options.initial;
  for (int i = 1; i < failures && base < options.max; ++i) {
    base = base * options.multiplier;
  }
  base = std::min(base, options.max);
  const double jitter = std::clamp(options.jitter, 0.0, 1.0);
  const double u = std::clamp(unit_random, 0.0, 1.0);
  return base * ((1.0 - jitter) + jitter * u);
}

}  // namespace peermatch::store
