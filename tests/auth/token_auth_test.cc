#include "service/auth/token_auth.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::auth {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::StatusCode kUnauth = absl::StatusCode::kUnauthenticated;
constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(Sha256Test, KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

std::string File() {
  return "# comment\n"
         "web " +
         Sha256Hex("platform-secret") + " platform pool-a,pool-b\n" +
         "\n"
         "coord\t" +
         Sha256Hex("coord-secret") + "\tcoordinator pool-a # eu\n" + "ops " +
         Sha256Hex("admin-secret") + " admin *\n";
}

TEST(TokenAuthTest, RolesServicesAndPools) {
  ASSERT_OK_AND_ASSIGN(TokenTable table, TokenTable::Parse(File()));
  TokenAuth auth(std::move(table));
  EXPECT_EQ(auth.size(), 3u);

  auto web =
      auth.Authorize("platform-secret", "peermatch.v1.MemberService", "pool-b");
  ASSERT_THAT(web, IsOk());
  EXPECT_EQ(web->name, "web");
  EXPECT_THAT(auth.Authorize("platform-secret", "peermatch.v1.MatchingService",
                             "pool-a"),
              IsOk());
  // Platform tokens may not run coordinator or pool services.
  EXPECT_THAT(auth.Authorize("platform-secret",
                             "peermatch.v1.CoordinationService", "pool-a"),
              StatusIs(kDenied));
  EXPECT_THAT(
      auth.Authorize("platform-secret", "peermatch.v1.PoolService", "pool-a"),
      StatusIs(kDenied));
  // No pool outside the token's list, whatever the role.
  EXPECT_THAT(
      auth.Authorize("platform-secret", "peermatch.v1.MemberService", "pool-c"),
      StatusIs(kDenied));
  EXPECT_THAT(
      auth.Authorize("coord-secret", "peermatch.v1.PoolService", "pool-a"),
      IsOk());
  EXPECT_THAT(
      auth.Authorize("coord-secret", "peermatch.v1.MemberService", "pool-b"),
      StatusIs(kDenied));
  EXPECT_THAT(auth.Authorize("admin-secret", "peermatch.v1.CoordinationService",
                             "anything"),
              IsOk());
}

TEST(TokenAuthTest, MissingAndUnknownTokensAreUnauthenticated) {
  ASSERT_OK_AND_ASSIGN(TokenTable table, TokenTable::Parse(File()));
  TokenAuth auth(std::move(table));
  EXPECT_THAT(auth.Authorize("", "peermatch.v1.MemberService", "pool-a"),
              StatusIs(kUnauth));
  auto wrong =
      auth.Authorize("platform-secreT", "peermatch.v1.MemberService", "pool-a");
  EXPECT_THAT(wrong, StatusIs(kUnauth));
  EXPECT_THAT(std::string(wrong.status().message()),
              Not(HasSubstr("platform-secreT")));
}

TEST(TokenAuthTest, ReplaceSwapsTheTable) {
  ASSERT_OK_AND_ASSIGN(TokenTable table, TokenTable::Parse(File()));
  TokenAuth auth(std::move(table));
  ASSERT_OK_AND_ASSIGN(
      TokenTable next,
      TokenTable::Parse("new " + Sha256Hex("rotated") + " admin *\n"));
  auth.Replace(std::move(next));
  EXPECT_THAT(auth.Authorize("admin-secret", "peermatch.v1.PoolService", "p"),
              StatusIs(kUnauth));
  EXPECT_THAT(auth.Authorize("rotated", "peermatch.v1.PoolService", "p"),
              IsOk());
}

TEST(TokenTableTest, RejectsMalformedFilesNamingTheLine) {
  std::string h = Sha256Hex("x");
  EXPECT_THAT(TokenTable::Parse(""), StatusIs(kInvalid));
  EXPECT_THAT(TokenTable::Parse("# only a comment\n"), StatusIs(kInvalid));
  EXPECT_THAT(TokenTable::Parse("a " + h + " platform\n"),
              StatusIs(kInvalid, HasSubstr("line 1")));
  EXPECT_THAT(TokenTable::Parse("\na " + h.substr(1) + " platform p\n"),
              StatusIs(kInvalid, HasSubstr("line 2")));
  EXPECT_THAT(TokenTable::Parse("a " + h + " root p\n"), StatusIs(kInvalid));
  EXPECT_THAT(TokenTable::Parse("a " + h + " platform *\n"),
              StatusIs(kInvalid, HasSubstr("only admin")));
  EXPECT_THAT(TokenTable::Parse("a " + h + " platform Pool_A\n"),
              StatusIs(kInvalid));
  EXPECT_THAT(TokenTable::Parse("a b" + h + " platform p\n"),
              StatusIs(kInvalid));
  EXPECT_THAT(TokenTable::Parse("a " + h + " platform p\na " + Sha256Hex("y") +
                                " platform p\n"),
              StatusIs(kInvalid, HasSubstr("duplicate name")));
  EXPECT_THAT(
      TokenTable::Parse("a " + h + " platform p\nb " + h + " platform p\n"),
      StatusIs(kInvalid, HasSubstr("duplicate hash")));
}

}  // namespace
}  // namespace peermatch::auth
