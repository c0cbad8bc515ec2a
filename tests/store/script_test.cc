// Script against a real redis-server: EVALSHA, NOSCRIPT reload (R-STORE).
#include "service/store/script.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/redis_client.h"
#include "service/store/redis_error.h"
#include "tests/support/redis_server.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::RedisServer;
using ::peermatch::testing::StatusIs;
using ::peermatch::testing::TestReply;

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

// INCRs KEYS[1] unless ARGV[1] is "fail".
const Script& IncrScript() {
  static const Script* const kScript = new Script(R"lua(
    if ARGV[1] == 'fail' then
      return redis.error_reply('PM_ABORTED asked to fail')
    end
    return redis.call('INCR', KEYS[1])
  )lua");
  return *kScript;
}

class ScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_, RedisServer::Start());
    ASSERT_OK_AND_ASSIGN(client_, NewRedisClient(server_->url(), {}));
  }
  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<RedisClient> client_;
};

TEST_F(ScriptTest, Sha1MatchesScriptLoad) {
  ASSERT_OK_AND_ASSIGN(
      TestReply sha,
      server_->Command({"SCRIPT", "LOAD", IncrScript().source()}));
  EXPECT_EQ(sha.str, IncrScript().sha1());
}

TEST_F(ScriptTest, FirstCallLoadsTheScriptAndLaterCallsUseEvalsha) {
  ASSERT_OK_AND_ASSIGN(
      TestReply exists,
      server_->Command({"SCRIPT", "EXISTS", IncrScript().sha1()}));
  ASSERT_EQ(exists.elements[0].integer, 0);
  Command call = IncrScript().Call({"n"}, {"ok"});
  EXPECT_EQ(call.args()[0], "EVALSHA");
  ASSERT_OK_AND_ASSIGN(Reply r, IncrScript().Run(*client_, "n", call, Soon()));
  EXPECT_EQ(r.integer(), 1);
  ASSERT_OK_AND_ASSIGN(
      exists, server_->Command({"SCRIPT", "EXISTS", IncrScript().sha1()}));
  EXPECT_EQ(exists.elements[0].integer, 1);
  ASSERT_OK_AND_ASSIGN(r, IncrScript().Run(*client_, "n", call, Soon()));
  EXPECT_EQ(r.integer(), 2);
}

TEST_F(ScriptTest, ScriptFlushIsHandledTransparently) {
  Command call = IncrScript().Call({"n"}, {"ok"});
  ASSERT_THAT(IncrScript().Run(*client_, "n", call, Soon()), IsOk());
  ASSERT_THAT(server_->Command({"SCRIPT", "FLUSH"}), IsOk());
  ASSERT_OK_AND_ASSIGN(Reply r, IncrScript().Run(*client_, "n", call, Soon()));
  EXPECT_EQ(r.integer(), 2);  // ran exactly once more
}

TEST_F(ScriptTest, PipelineAfterFlushRunsEveryCallExactlyOnceInOrder) {
  ASSERT_THAT(server_->Command({"SCRIPT", "FLUSH"}), IsOk());
  std::vector<Command> calls;
  for (int i = 0; i < 200; ++i) {
    calls.push_back(IncrScript().Call({"n"}, {i == 7 ? "fail" : "ok"}));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Reply> replies,
                       IncrScript().RunPipeline(*client_, "n", calls, Soon()));
  ASSERT_EQ(replies.size(), 200u);
  int64_t expected = 0;
  for (int i = 0; i < 200; ++i) {
    if (i == 7) {
      ASSERT_TRUE(replies[i].is_error());
      EXPECT_THAT(ErrorReplyToStatus(replies[i].str()),
                  StatusIs(absl::StatusCode::kAborted, "asked to fail"));
      continue;
    }
    ASSERT_FALSE(replies[i].is_error()) << i << " " << replies[i].Describe();
    // Every successful call's result is above the previous one: each ran
    // once, none was lost or duplicated.
    EXPECT_GT(replies[i].integer(), expected) << i;
    expected = replies[i].integer();
  }
  ASSERT_OK_AND_ASSIGN(TestReply n, server_->Command({"GET", "n"}));
  EXPECT_EQ(n.str, "199");
}

TEST_F(ScriptTest, ScriptErrorsBecomeTheirStatusCodes) {
  EXPECT_THAT(IncrScript().Run(*client_, "n",
                               IncrScript().Call({"n"}, {"fail"}), Soon()),
              StatusIs(absl::StatusCode::kAborted, "asked to fail"));
  ASSERT_OK_AND_ASSIGN(TestReply n, server_->Command({"EXISTS", "n"}));
  EXPECT_EQ(n.integer, 0);
}

}  // namespace
}  // namespace peermatch::store
