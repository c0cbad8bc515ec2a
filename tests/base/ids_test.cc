// The SPEC §2 id rules (R-POOL, R-MEMBER), stated once in base/ids.h.
#include "base/ids.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::base {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;

TEST(IdsTest, PoolIdLimits) {
  EXPECT_TRUE(IsValidPoolId("a"));
  EXPECT_TRUE(IsValidPoolId("pool-1"));
  EXPECT_TRUE(IsValidPoolId("prog-2026"));
  EXPECT_TRUE(IsValidPoolId(std::string(63, 'a')));
  EXPECT_FALSE(IsValidPoolId(std::string(64, 'a')));
  EXPECT_FALSE(IsValidPoolId(""));
  EXPECT_FALSE(IsValidPoolId("Pool"));
  EXPECT_FALSE(IsValidPoolId("a_b"));
  EXPECT_FALSE(IsValidPoolId("a{b}"));
  EXPECT_FALSE(IsValidPoolId("a:b"));
  EXPECT_FALSE(IsValidPoolId("a b"));
}

TEST(IdsTest, MemberIdLimits) {
  EXPECT_TRUE(IsValidMemberId("x"));
  EXPECT_TRUE(IsValidMemberId("A.b_c:d@e-9"));
  EXPECT_TRUE(IsValidMemberId(std::string(128, 'Z')));
  EXPECT_FALSE(IsValidMemberId(std::string(129, 'Z')));
  EXPECT_FALSE(IsValidMemberId(""));
  EXPECT_FALSE(IsValidMemberId("a b"));
  EXPECT_FALSE(IsValidMemberId("a*"));
  EXPECT_FALSE(IsValidMemberId("a/b"));
  EXPECT_FALSE(IsValidMemberId("a{b"));
  EXPECT_FALSE(IsValidMemberId("a,b"));
  EXPECT_FALSE(IsValidMemberId("a|b"));
  EXPECT_FALSE(IsValidMemberId(std::string("a\0b", 3)));
}

TEST(IdsTest, ErrorsNameTheFieldAndTheRuleNotTheValue) {
  EXPECT_THAT(ValidatePoolId("ok-pool"), IsOk());
  absl::Status s = ValidatePoolId("Secret Value");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(), "pool: must be 1-63 characters of [a-z0-9-]");
  s = ValidateMemberId("bad id!", "mentee_id");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.message(),
            "mentee_id: must be 1-128 characters of [A-Za-z0-9._:@-]");
  EXPECT_THAT(ValidateMemberId("m-1", "id"), IsOk());
}

}  // namespace
}  // namespace peermatch::base
