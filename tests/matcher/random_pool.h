// Seeded random profiles and settings for the matcher's property tests.
#ifndef PEERMATCH_TESTS_MATCHER_RANDOM_POOL_H_
#define PEERMATCH_TESTS_MATCHER_RANDOM_POOL_H_

#include <random>
#include <string>
#include <vector>

#include "matcher/compiled_pool.h"
#include "matcher/profile.h"

namespace peermatch::matcher::testing {

struct RandomPoolOptions {
  int members = 40;
  // Probability that a tag comes from a long tail of 400 (exercises the
  // pool's side lists for tags beyond the 256 bits).
  double rare_tag_probability = 0.2;
  // Probability that a language comes from a tail of 100 primary subtags
  // (beyond the 64-bit mask).
  double rare_language_probability = 0.05;
  bool random_settings = true;
};

struct RandomPool {
  std::vector<MemberProfile> members;
  std::vector<ExcludedPair> exclusions;
  PoolSettings settings;
};

RandomPool MakeRandomPool(std::mt19937_64& rng,
                          const RandomPoolOptions& options = {});

}  // namespace peermatch::matcher::testing

#endif  // PEERMATCH_TESTS_MATCHER_RANDOM_POOL_H_
