// Connection and ConnectionPool against a real redis-server (R-STORE, R-TEST).
#include "service/store/connection.h"

#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/common/metrics.h"
#include "service/store/connection_pool.h"
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
using ::testing::HasSubstr;

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

ConnectionOptions OptionsFor(const RedisServer& server) {
  ConnectionOptions o;
  o.endpoint = {server.host(), server.port()};
  return o;
}

TEST(ConnectionTest, RunsCommandsAndPipelines) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ASSERT_OK_AND_ASSIGN(Connection conn,
                       Connection::Open(OptionsFor(*server), Soon()));
  ASSERT_OK_AND_ASSIGN(Reply set, conn.Run(Command({"SET", "k", "v"}), Soon()));
  EXPECT_EQ(set.str(), "OK");

  std::vector<Command> cmds;
  for (int i = 0; i < 100; ++i) cmds.push_back(Command({"INCR", "n"}));
  cmds.push_back(Command({"LPUSH", "k", "x"}));  // WRONGTYPE error reply
  cmds.push_back(Command({"GET", "missing"}));
  ASSERT_OK_AND_ASSIGN(std::vector<Reply> replies,
                       conn.RunPipeline(cmds, Soon()));
  ASSERT_EQ(replies.size(), 102u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(replies[i].integer(), i + 1);
  EXPECT_TRUE(replies[100].is_error());
  EXPECT_THAT(std::string(replies[100].str()), HasSubstr("WRONGTYPE"));
  EXPECT_TRUE(replies[101].is_nil());
  EXPECT_FALSE(conn.broken());
}

TEST(ConnectionTest, RejectedPipelineLeavesNothingBuffered) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ASSERT_OK_AND_ASSIGN(Connection conn,
                       Connection::Open(OptionsFor(*server), Soon()));
  const std::vector<Command> bad = {Command({"INCR", "n"}), Command()};
  EXPECT_THAT(conn.RunPipeline(bad, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The INCR before the empty command was not queued behind the next call.
  ASSERT_OK_AND_ASSIGN(Reply r, conn.Run(Command({"GET", "n"}), Soon()));
  EXPECT_TRUE(r.is_nil());
  ASSERT_OK_AND_ASSIGN(TestReply exists, server->Command({"EXISTS", "n"}));
  EXPECT_EQ(exists.integer, 0);
}

TEST(ConnectionTest, ArgumentsAreBinarySafe) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ASSERT_OK_AND_ASSIGN(Connection conn,
                       Connection::Open(OptionsFor(*server), Soon()));
  const std::string value("a\0b\r\n%s%n*3\r\n$", 15);
  const std::string key("k %s\r\n", 7);
  ASSERT_THAT(conn.Run(Command({"SET", key, value}), Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(TestReply got, server->Command({"GET", key}));
  EXPECT_EQ(got.str, value);
  ASSERT_OK_AND_ASSIGN(TestReply size, server->Command({"DBSIZE"}));
  EXPECT_EQ(size.integer, 1);
}

TEST(ConnectionTest, PassedDeadlineSendsNothing) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ASSERT_OK_AND_ASSIGN(Connection conn,
                       Connection::Open(OptionsFor(*server), Soon()));
  EXPECT_THAT(conn.Run(Command({"INCR", "n"}), absl::Now() - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(conn.broken());
  ASSERT_OK_AND_ASSIGN(TestReply exists, server->Command({"EXISTS", "n"}));
  EXPECT_EQ(exists.integer, 0);
  EXPECT_THAT(Connection::Open(OptionsFor(*server), absl::InfinitePast()),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(ConnectionTest, CommandTimeoutIsUnavailableAndBreaksTheConnection) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionOptions options = OptionsFor(*server);
  options.command_timeout = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(Connection conn, Connection::Open(options, Soon()));
  ASSERT_THAT(server->Pause(), IsOk());  // hangs without closing sockets
  EXPECT_THAT(conn.Run(Command({"PING"}), Soon()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
  EXPECT_TRUE(conn.broken());
  ASSERT_THAT(server->Resume(), IsOk());
}

TEST(ConnectionTest, TimeoutPastTheCallersDeadlineIsDeadlineExceeded) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionOptions options = OptionsFor(*server);
  options.command_timeout = absl::Seconds(30);
  ASSERT_OK_AND_ASSIGN(Connection conn, Connection::Open(options, Soon()));
  ASSERT_THAT(server->Pause(), IsOk());
  // The socket timeout is the time left (100 ms), not the 30 s command
  // timeout, so this returns instead of hanging.
  EXPECT_THAT(
      conn.Run(Command({"PING"}), absl::Now() + absl::Milliseconds(100)),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(conn.broken());
  ASSERT_THAT(server->Resume(), IsOk());
}

// SPEC §10: Redis latency and errors reach /metrics.
uint64_t RoundTrips(const std::string& op) {
  Histogram* h = MetricsRegistry::Default().GetHistogram(
      "peermatch_redis_seconds",
      "Redis round-trip latency in the client, one command or one pipeline",
      {{"op", op}});
  return h->CumulativeCounts().back();
}

double Failures(const std::string& op, const std::string& code) {
  return MetricsRegistry::Default()
      .GetCounter("peermatch_redis_errors_total",
                  "Redis connects and round trips that failed (socket "
                  "errors, timeouts), by operation and status code",
                  {{"op", op}, {"code", code}})
      ->value();
}

TEST(ConnectionTest, RecordsRoundTripLatencyAndFailures) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionOptions options = OptionsFor(*server);
  options.command_timeout = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(Connection conn, Connection::Open(options, Soon()));
  const uint64_t commands = RoundTrips("command");
  const uint64_t pipelines = RoundTrips("pipeline");
  ASSERT_THAT(conn.Run(Command({"PING"}), Soon()).status(), IsOk());
  ASSERT_THAT(
      conn.RunPipeline({Command({"PING"}), Command({"PING"})}, Soon()).status(),
      IsOk());
  EXPECT_EQ(RoundTrips("command"), commands + 1);
  EXPECT_EQ(RoundTrips("pipeline"), pipelines + 1);
  EXPECT_THAT(
      MetricsRegistry::Default().Render(),
      HasSubstr("peermatch_redis_seconds_bucket{op=\"command\",le=\"+Inf\"}"));

  // A timed-out round trip counts once; the refused call on the broken
  // connection after it sent nothing and does not.
  const double timeouts = Failures("command", "UNAVAILABLE");
  ASSERT_THAT(server->Pause(), IsOk());
  EXPECT_THAT(conn.Run(Command({"PING"}), Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(conn.Run(Command({"PING"}), Soon()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Failures("command", "UNAVAILABLE"), timeouts + 1);
  EXPECT_EQ(RoundTrips("command"), commands + 1);
  ASSERT_THAT(server->Resume(), IsOk());

  const double refused = Failures("connect", "UNAVAILABLE");
  ASSERT_THAT(server->Stop(), IsOk());
  EXPECT_THAT(Connection::Open(options, Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Failures("connect", "UNAVAILABLE"), refused + 1);
}

TEST(ConnectionTest, RefusedConnectIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionOptions options = OptionsFor(*server);
  ASSERT_THAT(server->Stop(), IsOk());
  EXPECT_THAT(Connection::Open(options, Soon()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("refused")));
}

TEST(ConnectionTest, AuthWithPassword) {
  RedisServer::Options server_options;
  server_options.password = "s3cret";
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start(server_options));
  ConnectionOptions options = OptionsFor(*server);
  options.password = "s3cret";
  ASSERT_OK_AND_ASSIGN(Connection conn, Connection::Open(options, Soon()));
  ASSERT_OK_AND_ASSIGN(Reply pong, conn.Run(Command({"PING"}), Soon()));
  EXPECT_EQ(pong.str(), "PONG");

  options.password = "wrong";
  EXPECT_THAT(
      Connection::Open(options, Soon()),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis auth failed")));

  // Without credentials the first command is refused with NOAUTH.
  options.password.clear();
  ASSERT_OK_AND_ASSIGN(Connection anon, Connection::Open(options, Soon()));
  ASSERT_OK_AND_ASSIGN(Reply r, anon.Run(Command({"PING"}), Soon()));
  ASSERT_TRUE(r.is_error());
  EXPECT_THAT(
      ErrorReplyToStatus(r.str()),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis auth failed")));
}

TEST(ConnectionTest, AuthWithAclUser) {
  RedisServer::Options server_options;
  server_options.acl_user = "peermatch";
  server_options.acl_password = "pw-1";
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start(server_options));
  ConnectionOptions options = OptionsFor(*server);
  options.user = "peermatch";
  options.password = "pw-1";
  ASSERT_OK_AND_ASSIGN(Connection conn, Connection::Open(options, Soon()));
  ASSERT_OK_AND_ASSIGN(Reply who, conn.Run(Command({"ACL", "WHOAMI"}), Soon()));
  EXPECT_EQ(who.str(), "peermatch");

  options.password = "pw-2";
  EXPECT_THAT(
      Connection::Open(options, Soon()),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis auth failed")));
  options.user = "nobody";
  options.password = "pw-1";
  EXPECT_THAT(
      Connection::Open(options, Soon()),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis auth failed")));
}

TEST(ConnectionTest, SelectsTheDatabase) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionOptions options = OptionsFor(*server);
  options.db = 3;
  ASSERT_OK_AND_ASSIGN(Connection conn, Connection::Open(options, Soon()));
  ASSERT_THAT(conn.Run(Command({"SET", "k", "v"}), Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(TestReply info, server->Command({"INFO", "keyspace"}));
  EXPECT_THAT(info.str, HasSubstr("db3:keys=1"));
  EXPECT_THAT(info.str, ::testing::Not(HasSubstr("db0:")));

  options.db = 99;  // above `databases 16`
  EXPECT_THAT(Connection::Open(options, Soon()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("SELECT")));
}

TEST(ConnectionTest, IdleCheckNoticesAClosedSocket) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ASSERT_OK_AND_ASSIGN(Connection conn,
                       Connection::Open(OptionsFor(*server), Soon()));
  EXPECT_TRUE(conn.CheckIdleHealthy());
  ASSERT_THAT(server->Command({"CLIENT", "KILL", "TYPE", "normal"}), IsOk());
  // The server closes the socket asynchronously; wait for the FIN.
  bool healthy = true;
  for (int i = 0; i < 200 && healthy; ++i) {
    healthy = conn.CheckIdleHealthy();
    if (healthy) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_FALSE(healthy);
  EXPECT_TRUE(conn.broken());
}

PoolOptions PoolFor(const RedisServer& server) {
  PoolOptions o;
  o.connection = OptionsFor(server);
  return o;
}

TEST(ConnectionPoolTest, ReusesOneConnectionForSequentialCalls) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionPool pool(PoolFor(*server));
  for (int i = 0; i < 50; ++i) {
    ASSERT_THAT(pool.Run(Command({"INCR", "n"}), Soon()), IsOk());
  }
  EXPECT_EQ(pool.GetStats().open, 1);
  EXPECT_EQ(pool.GetStats().idle, 1);
  ASSERT_OK_AND_ASSIGN(TestReply n, server->Command({"GET", "n"}));
  EXPECT_EQ(n.str, "50");
}

TEST(ConnectionPoolTest, ExhaustedPoolIsResourceExhaustedOrDeadlineExceeded) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  PoolOptions options = PoolFor(*server);
  options.max_connections = 1;
  options.acquire_timeout = absl::Milliseconds(100);
  ConnectionPool pool(options);
  ASSERT_OK_AND_ASSIGN(ConnectionPool::Lease held, pool.Acquire(Soon()));
  // The pool's own wait limit ran out: RESOURCE_EXHAUSTED.
  EXPECT_THAT(pool.Acquire(Soon()),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("pool exhausted")));
  // The caller's deadline ran out first: DEADLINE_EXCEEDED.
  EXPECT_THAT(pool.Acquire(absl::Now() + absl::Milliseconds(20)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(ConnectionPoolTest, WaiterGetsAReleasedConnection) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  PoolOptions options = PoolFor(*server);
  options.max_connections = 1;
  options.acquire_timeout = absl::Seconds(30);
  ConnectionPool pool(options);
  std::latch waiting(1);
  std::optional<ConnectionPool::Lease> held;
  {
    ASSERT_OK_AND_ASSIGN(ConnectionPool::Lease l, pool.Acquire(Soon()));
    held.emplace(std::move(l));
  }
  std::thread releaser([&] {
    waiting.wait();
    absl::SleepFor(absl::Milliseconds(50));
    held.reset();
  });
  waiting.count_down();
  EXPECT_THAT(pool.Run(Command({"PING"}), Soon()), IsOk());
  releaser.join();
  EXPECT_EQ(pool.GetStats().open, 1);
}

TEST(ConnectionPoolTest, OutageFailsFastWithUnavailableAndRecovers) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  PoolOptions options = PoolFor(*server);
  options.backoff.initial = absl::Milliseconds(200);
  ConnectionPool pool(options);
  ASSERT_THAT(pool.Ping(Soon()), IsOk());

  ASSERT_THAT(server->Stop(), IsOk());
  // With a 30 s deadline, a hang would surface as DEADLINE_EXCEEDED (or a
  // test timeout); UNAVAILABLE shows the call gave up on its own.
  EXPECT_THAT(pool.Run(Command({"PING"}), Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(pool.Run(Command({"PING"}), Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
  // Now in backoff: the next call fails fast without connecting.
  const ConnectionPool::Stats stats = pool.GetStats();
  EXPECT_GE(stats.consecutive_failures, 1);
  EXPECT_EQ(stats.open, 0);
  EXPECT_THAT(pool.Run(Command({"PING"}), Soon()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("backoff")));

  ASSERT_THAT(server->Restart(), IsOk());
  // The same pool reconnects once the backoff delay has passed.
  absl::Status last = absl::UnknownError("not tried");
  for (int i = 0; i < 500 && !last.ok(); ++i) {
    last = pool.Ping(Soon());
    if (!last.ok()) {
      EXPECT_THAT(last, StatusIs(absl::StatusCode::kUnavailable));
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  EXPECT_THAT(last, IsOk());
  EXPECT_EQ(pool.GetStats().consecutive_failures, 0);
}

TEST(ConnectionPoolTest, RestartedServerDoesNotFailTheNextCall) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionPool pool(PoolFor(*server));
  ASSERT_THAT(pool.Ping(Soon()), IsOk());  // leaves one idle connection
  ASSERT_THAT(server->Stop(), IsOk());
  ASSERT_THAT(server->Restart(), IsOk());
  // The idle connection is dead (the server closed it on shutdown); the pool
  // notices before handing it out, so the first call after the restart works.
  ASSERT_OK_AND_ASSIGN(Reply r, pool.Run(Command({"PING"}), Soon()));
  EXPECT_EQ(r.str(), "PONG");
  EXPECT_EQ(pool.GetStats().open, 1);
}

TEST(ConnectionPoolTest, KilledServerMidPipelineIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start());
  ConnectionPool pool(PoolFor(*server));
  ASSERT_OK_AND_ASSIGN(ConnectionPool::Lease conn, pool.Acquire(Soon()));
  ASSERT_THAT(conn->Run(Command({"PING"}), Soon()), IsOk());
  ASSERT_THAT(server->Kill(), IsOk());
  std::vector<Command> cmds(1000, Command({"INCR", "n"}));
  EXPECT_THAT(conn->RunPipeline(cmds, Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(conn->broken());
}

TEST(RedisClientTest, FactoryValidatesModeAndUrl) {
  EXPECT_THAT(ParseRedisMode("cluster"), IsOk());
  EXPECT_THAT(ParseRedisMode("standalone"), IsOk());
  EXPECT_THAT(ParseRedisMode("sentinel"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  RedisClientOptions options;
  EXPECT_THAT(NewRedisClient("redis://a:1,b:2", options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NewRedisClient("nonsense", options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NewRedisClient("redis://a:1", options), IsOk());
}

TEST(RedisClientTest, StandaloneRunsAndPings) {
  RedisServer::Options server_options;
  server_options.password = "pw";
  ASSERT_OK_AND_ASSIGN(auto server, RedisServer::Start(server_options));
  ASSERT_OK_AND_ASSIGN(auto client, NewRedisClient(server->url(), {}));
  EXPECT_THAT(client->Ping(Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(
      Reply r, client->Run("ignored", Command({"SET", "a", "1"}), Soon()));
  EXPECT_EQ(r.str(), "OK");
  ASSERT_THAT(server->Stop(), IsOk());
  EXPECT_THAT(client->Ping(Soon()), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace peermatch::store
