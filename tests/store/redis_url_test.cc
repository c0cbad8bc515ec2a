#include "service/store/redis_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

RedisEndpoint Ep(std::string host, int port) { return {std::move(host), port}; }

TEST(RedisUrlTest, ParsesHostAndPort) {
  ASSERT_OK_AND_ASSIGN(RedisUrl u, ParseRedisUrl("redis://redis-0:7000"));
  EXPECT_THAT(u.seeds, ElementsAre(Ep("redis-0", 7000)));
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.db, 0);
}

TEST(RedisUrlTest, PortDefaultsTo6379) {
  ASSERT_OK_AND_ASSIGN(RedisUrl u, ParseRedisUrl("redis://localhost"));
  EXPECT_THAT(u.seeds, ElementsAre(Ep("localhost", 6379)));
}

TEST(RedisUrlTest, PortRange) {
  EXPECT_TRUE(ParseRedisUrl("redis://h:1").ok());
  EXPECT_TRUE(ParseRedisUrl("redis://h:65535").ok());
  EXPECT_THAT(ParseRedisUrl("redis://h:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
  EXPECT_THAT(ParseRedisUrl("redis://h:65536"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:12a"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:+12"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:-1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RedisUrlTest, PasswordOnly) {
  ASSERT_OK_AND_ASSIGN(RedisUrl u, ParseRedisUrl("redis://:s3cret@h:1"));
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "s3cret");
}

TEST(RedisUrlTest, AclUserAndPassword) {
  ASSERT_OK_AND_ASSIGN(RedisUrl u, ParseRedisUrl("redis://app:pw@h:1"));
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "pw");
}

TEST(RedisUrlTest, PercentDecodesCredentials) {
  ASSERT_OK_AND_ASSIGN(RedisUrl u,
                       ParseRedisUrl("redis://a%3Ab:p%40ss%2F%2c%25@h:1"));
  EXPECT_EQ(u.user, "a:b");
  EXPECT_EQ(u.password, "p@ss/,%");
}

TEST(RedisUrlTest, RejectsBadPercentEscapes) {
  EXPECT_THAT(
      ParseRedisUrl("redis://:p%4@h:1"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("password")));
  EXPECT_THAT(ParseRedisUrl("redis://:p%zz@h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://u%:p@h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("user")));
}

TEST(RedisUrlTest, RejectsAmbiguousOrBrokenUserinfo) {
  EXPECT_THAT(ParseRedisUrl("redis://justone@h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://u:@h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://u:p@w@h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("%40")));
}

TEST(RedisUrlTest, ErrorsNeverEchoThePassword) {
  absl::StatusOr<RedisUrl> u = ParseRedisUrl("redis://:topsecret%zz@h:1");
  ASSERT_FALSE(u.ok());
  EXPECT_THAT(std::string(u.status().message()), Not(HasSubstr("topsecret")));
}

TEST(RedisUrlTest, Database) {
  ASSERT_OK_AND_ASSIGN(RedisUrl u, ParseRedisUrl("redis://h:1/15"));
  EXPECT_EQ(u.db, 15);
  ASSERT_OK_AND_ASSIGN(u, ParseRedisUrl("redis://h:1/"));
  EXPECT_EQ(u.db, 0);
  ASSERT_OK_AND_ASSIGN(u, ParseRedisUrl("redis://h/2147483647"));
  EXPECT_EQ(u.db, 2147483647);
  EXPECT_THAT(ParseRedisUrl("redis://h:1/2147483648"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db")));
  EXPECT_THAT(ParseRedisUrl("redis://h:1/x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:1/-1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:1/1/2"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RedisUrlTest, Ipv6) {
  ASSERT_OK_AND_ASSIGN(RedisUrl u, ParseRedisUrl("redis://[::1]:7000"));
  EXPECT_THAT(u.seeds, ElementsAre(Ep("::1", 7000)));
  EXPECT_EQ(u.seeds[0].ToString(), "[::1]:7000");
  EXPECT_THAT(ParseRedisUrl("redis://[::1:7000"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://[]:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://[zz]:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://[::1]x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RedisUrlTest, SchemeIsRequiredAndOnlyRedis) {
  EXPECT_THAT(ParseRedisUrl("h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("http://h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("rediss://h:1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TLS")));
  EXPECT_THAT(ParseRedisUrl(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RedisUrlTest, RejectsGarbageHosts) {
  EXPECT_THAT(ParseRedisUrl("redis://"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h st:1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:1?timeout=3"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://h:1#x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(ParseRedisUrl("redis://redis_0.svc-1.local:1").ok());
}

TEST(RedisUrlTest, SeveralSeeds) {
  ASSERT_OK_AND_ASSIGN(
      RedisUrl u,
      ParseRedisUrl("redis://:pw@10.0.0.1:7000, 10.0.0.2:7001,redis://b:7002"));
  EXPECT_THAT(u.seeds, ElementsAre(Ep("10.0.0.1", 7000), Ep("10.0.0.2", 7001),
                                   Ep("b", 7002)));
  EXPECT_EQ(u.password, "pw");
}

TEST(RedisUrlTest, SeedsMustAgreeOnCredentialsAndDb) {
  EXPECT_TRUE(ParseRedisUrl("redis://:pw@a:1,redis://:pw@b:2").ok());
  EXPECT_THAT(
      ParseRedisUrl("redis://:pw@a:1,redis://:other@b:2"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("credentials")));
  EXPECT_TRUE(ParseRedisUrl("redis://a:1/3,b:2/3").ok());
  EXPECT_THAT(ParseRedisUrl("redis://a:1/3,b:2/4"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db")));
}

TEST(RedisUrlTest, RejectsEmptySeeds) {
  EXPECT_THAT(ParseRedisUrl("redis://a:1,"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://a:1,,b:2"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRedisUrl("redis://a:1,http://b:2"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace peermatch::store
