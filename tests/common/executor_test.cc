#include "service/common/executor.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace peermatch {
namespace {

TEST(ExecutorTest, RunsEveryQueuedTaskBeforeShutdownReturns) {
  std::atomic<int> done{0};
  Executor executor("test", 3, 1000);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(executor.TrySchedule([&] { done.fetch_add(1); }));
  }
  executor.Shutdown();
  EXPECT_EQ(done.load(), 500);
  EXPECT_FALSE(executor.TrySchedule([] {}));
}

TEST(ExecutorTest, RefusesWhenQueueIsFull) {
  Executor executor("test", 1, 2);
  absl::Notification release, started;
  ASSERT_TRUE(executor.TrySchedule([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();  // the worker is busy; the queue is empty
  EXPECT_TRUE(executor.TrySchedule([] {}));
  EXPECT_TRUE(executor.TrySchedule([] {}));
  EXPECT_FALSE(executor.TrySchedule([] {}));
  EXPECT_EQ(executor.queued(), 2u);
  release.Notify();
  executor.Shutdown();
  EXPECT_EQ(executor.queued(), 0u);
}

}  // namespace
}  // namespace peermatch
