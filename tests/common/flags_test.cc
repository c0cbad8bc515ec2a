#include "service/common/flags.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;

FlagSet MakeFlags() {
  FlagSet f("prog");
  f.Define("listen", "0.0.0.0:50051", "address");
  f.Define("redis-mode", "standalone", "mode");
  f.Define("worker-threads", "8", "threads");
  return f;
}

TEST(FlagSetTest, EnvironmentNameFollowsSpec) {
  EXPECT_EQ(FlagSet::EnvName("metrics-listen"), "PEERMATCH_METRICS_LISTEN");
  EXPECT_EQ(FlagSet::EnvName("listen"), "PEERMATCH_LISTEN");
}

TEST(FlagSetTest, CommandLineBeatsEnvironmentBeatsDefault) {
  std::map<std::string, std::string> env = {
      {"PEERMATCH_LISTEN", "127.0.0.1:1"}, {"PEERMATCH_REDIS_MODE", "cluster"}};
  auto lookup = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  FlagSet f = MakeFlags();
  const char* argv[] = {"prog", "--listen=127.0.0.1:2"};
  ASSERT_THAT(f.Parse(2, argv, lookup), IsOk());
  EXPECT_EQ(f.Get("listen"), "127.0.0.1:2");
  EXPECT_EQ(f.Get("redis-mode"), "cluster");
  EXPECT_EQ(f.Get("worker-threads"), "8");
}

TEST(FlagSetTest, AcceptsSeparateValueAndRejectsUnknownFlags) {
  FlagSet f = MakeFlags();
  const char* ok[] = {"prog", "--worker-threads", "4"};
  ASSERT_THAT(f.Parse(3, ok, nullptr), IsOk());
  EXPECT_EQ(*f.GetInt("worker-threads", 1, 64), 4);

  FlagSet g = MakeFlags();
  const char* bad[] = {"prog", "--lisen=x"};
  EXPECT_THAT(g.Parse(2, bad, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("--lisen")));
  FlagSet h = MakeFlags();
  const char* missing[] = {"prog", "--listen"};
  EXPECT_THAT(h.Parse(2, missing, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FlagSetTest, IntegerRangesAreChecked) {
  FlagSet f = MakeFlags();
  const char* argv[] = {"prog", "--worker-threads=0"};
  ASSERT_THAT(f.Parse(2, argv, nullptr), IsOk());
  EXPECT_THAT(f.GetInt("worker-threads", 1, 64),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(f.GetInt("worker-threads", 0, 64), IsOk());
}

}  // namespace
}  // namespace peermatch
