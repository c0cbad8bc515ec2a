#include "service/common/logging.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace peermatch {
namespace {

using ::testing::HasSubstr;

TEST(LoggingTest, RendersOneJsonObjectPerLine) {
  absl::Time t =
      absl::FromUnixMillis(1764172145123);  // 2025-11-26T15:49:05.123Z
  std::string line = RenderLogLine(t, LogLevel::kWarn, "redis \"down\"",
                                   {{"pool", "p1"},
                                    {"count", 3},
                                    {"ok", false},
                                    {"latency", absl::Milliseconds(1.5)}});
  EXPECT_EQ(line,
            "{\"ts\":\"2025-11-26T15:49:05.123Z\",\"level\":\"warn\","
            "\"msg\":\"redis \\\"down\\\"\",\"pool\":\"p1\",\"count\":3,"
            "\"ok\":false,\"latency\":1.500}\n");
}

TEST(LoggingTest, EscapesControlCharactersSoALineStaysOneLine) {
  std::string line = RenderLogLine(absl::UnixEpoch(), LogLevel::kInfo, "a\nb",
                                   {{"id", std::string("x\x01y")}});
  EXPECT_THAT(line, HasSubstr("a\\nb"));
  EXPECT_THAT(line, HasSubstr("x\\u0001y"));
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LoggingTest, ParsesLevels) {
  LogLevel l = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("error", &l));
  EXPECT_EQ(l, LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("verbose", &l));
  EXPECT_EQ(l, LogLevel::kError);
}

}  // namespace
}  // namespace peermatch
