#include "service/store/reply.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ReplyTest, TypedAccessors) {
  ASSERT_OK_AND_ASSIGN(
      Reply r, Reply::FromResp("*5\r\n$3\r\nabc\r\n:42\r\n$-1\r\n+OK\r\n"
                               "*2\r\n$1\r\nx\r\n$0\r\n\r\n"));
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].type(), ReplyView::Type::kString);
  EXPECT_EQ(r[0].str(), "abc");
  EXPECT_EQ(r[1].integer(), 42);
  EXPECT_TRUE(r[2].is_nil());
  EXPECT_TRUE(r[3].is_string());
  EXPECT_EQ(r[3].str(), "OK");
  EXPECT_THAT(*r[4].ToStrings(), ElementsAre("x", ""));
  // Out of range and wrong-type accesses read as nil / empty / zero.
  EXPECT_TRUE(r[9].is_nil());
  EXPECT_TRUE(r[0][0].is_nil());
  EXPECT_EQ(r[1].str(), "");
  EXPECT_EQ(r[0].integer(), 0);
  EXPECT_EQ(r[0].size(), 0u);
  EXPECT_TRUE(Reply().is_nil());
}

TEST(ReplyTest, BinarySafeStrings) {
  ASSERT_OK_AND_ASSIGN(Reply r,
                       Reply::FromResp(std::string("$3\r\na\0b\r\n", 9)));
  EXPECT_EQ(r.str(), std::string("a\0b", 3));
}

TEST(ReplyTest, ToInt64AcceptsIntegersAndDecimalStrings) {
  ASSERT_OK_AND_ASSIGN(
      Reply r, Reply::FromResp("*4\r\n:-7\r\n$2\r\n12\r\n$2\r\n1x\r\n$-1\r\n"));
  EXPECT_EQ(*r[0].ToInt64(), -7);
  EXPECT_EQ(*r[1].ToInt64(), 12);
  EXPECT_THAT(r[2].ToInt64(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(r[3].ToInt64(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(r.ToInt64(), StatusIs(absl::StatusCode::kInternal));
}

TEST(ReplyTest, ToStringsRejectsNonStrings) {
  ASSERT_OK_AND_ASSIGN(Reply r, Reply::FromResp("*2\r\n$1\r\na\r\n:1\r\n"));
  EXPECT_THAT(r.ToStrings(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(r[0].ToStrings(), StatusIs(absl::StatusCode::kInternal));
}

TEST(ReplyTest, ErrorReplies) {
  ASSERT_OK_AND_ASSIGN(Reply r, Reply::FromResp("-MOVED 1 h:2\r\n"));
  EXPECT_TRUE(r.is_error());
  EXPECT_EQ(r.str(), "MOVED 1 h:2");
  EXPECT_THAT(r.Describe(), HasSubstr("MOVED"));
}

TEST(ReplyTest, DescribeNeverShowsStringContent) {
  ASSERT_OK_AND_ASSIGN(Reply r,
                       Reply::FromResp("*1\r\n$14\r\nphone-calls:42\r\n"));
  EXPECT_THAT(r.Describe(), Not(HasSubstr("phone")));
  EXPECT_THAT(r[0].Describe(), Not(HasSubstr("phone")));
  EXPECT_THAT(r[0].Describe(), HasSubstr("14 bytes"));
}

TEST(ReplyTest, FromRespRejectsIncompleteOrExtraInput) {
  EXPECT_THAT(Reply::FromResp("$3\r\nab"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Reply::FromResp(":1\r\n:2\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Reply::FromResp("?what\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ReplyTest, MovesOwnership) {
  ASSERT_OK_AND_ASSIGN(Reply a, Reply::FromResp("$2\r\nhi\r\n"));
  Reply b = std::move(a);
  EXPECT_EQ(b.str(), "hi");
  Reply c;
  c = std::move(b);
  EXPECT_EQ(c.str(), "hi");
}

}  // namespace
}  // namespace peermatch::store
