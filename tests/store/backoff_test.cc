#include "service/store/backoff.h"

#include "gtest/gtest.h"

namespace peermatch::store {
namespace {

TEST(BackoffTest, DoublesFromInitialToTheCap) {
  BackoffOptions o;  // 50 ms, x2, 2 s cap
  o.jitter = 0;
  EXPECT_EQ(BackoffDelay(o, 0, 0.5), absl::ZeroDuration());
  EXPECT_EQ(BackoffDelay(o, 1, 0.5), absl::Milliseconds(50));
  EXPECT_EQ(BackoffDelay(o, 2, 0.5), absl::Milliseconds(100));
  EXPECT_EQ(BackoffDelay(o, 3, 0.5), absl::Milliseconds(200));
  EXPECT_EQ(BackoffDelay(o, 6, 0.5), absl::Milliseconds(1600));
  EXPECT_EQ(BackoffDelay(o, 7, 0.5), absl::Seconds(2));
  EXPECT_EQ(BackoffDelay(o, 1000, 0.5), absl::Seconds(2));
}

TEST(BackoffTest, JitterSpansTheConfiguredFraction) {
  BackoffOptions o;  // jitter 0.5
  EXPECT_EQ(BackoffDelay(o, 3, 0.0), absl::Milliseconds(100));
  EXPECT_EQ(BackoffDelay(o, 3, 0.5), absl::Milliseconds(150));
  EXPECT_EQ(BackoffDelay(o, 3, 1.0), absl::Milliseconds(200));
  EXPECT_EQ(BackoffDelay(o, 100, 1.0), absl::Seconds(2));
  EXPECT_EQ(BackoffDelay(o, 100, 0.0), absl::Seconds(1));
}

}  // namespace
}  // namespace peermatch::store
