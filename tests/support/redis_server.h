// Real redis-server processes for integration tests (SPEC §12, R-TEST):
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> redis,
//                        RedisServer::Start());
//   auto client = NewRedisClient(redis->url(), {});
//   ASSERT_OK_AND_ASSIGN(TestReply keys, redis->Command({"KEYS", "*"}));
//   ASSERT_THAT(redis->Stop(), IsOk());     // SIGTERM: an outage
//   ASSERT_THAT(redis->Restart(), IsOk());  // back, same port
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisCluster> cluster,
//                        RedisCluster::Start());  // 3 masters, no replicas
//   NewRedisClient(cluster->url(), {.mode = RedisMode::kCluster});
//
// Each server listens on a free loopback port (and, for cluster nodes, port +
// 10000 for the cluster bus), runs in its own temporary directory with its own
// redis.conf and log, without persistence unless asked, and is killed and its
// directory removed by the destructor. Children also get SIGKILL if the test
// process dies (PR_SET_PDEATHSIG), so no server outlives its test.
//
// The binaries come from $PEERMATCH_REDIS_SERVER / $PEERMATCH_REDIS_CLI when
// set, else from PATH, else /usr/bin. A missing binary is an error, so tests
// that ASSERT on Start() fail rather than skip.
//
// This harness talks to Redis through hiredis directly (not through the code
// under test), so its inspections are independent evidence.
//
// Not thread-safe: use a RedisServer from one thread at a time.
#ifndef PEERMATCH_TESTS_SUPPORT_REDIS_SERVER_H_
#define PEERMATCH_TESTS_SUPPORT_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace peermatch::testing {

// A reply as a plain value tree, for assertions.
struct TestReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // string, status and error replies
  long long integer = 0;
  std::vector<TestReply> elements;

  bool is_error() const { return type == Type::kError; }
  // The elements' `str`s (for arrays of strings).
  std::vector<std::string> Strings() const;
  // For failure messages.
  std::string DebugString() const;
};

class RedisServer {
 public:
  struct Options {
    // requirepass for the default user.
    std::string password;
    // An ACL user with every permission (`on >password ~* &* +@all`).
    std::string acl_user;
    std::string acl_password;
    bool cluster_enabled = false;
    // appendonly yes (data survives Stop/Restart); off by default.
    bool persistence = false;
    // Further redis.conf lines, e.g. "maxmemory 1mb".
    std::vector<std::string> extra_config;
    // An RDB file copied into the server's directory as its dump.rdb before
    // the first start, so the server starts with that data.
    std::string rdb_file;
  };

  // Starts a server and waits (up to 10 s) until it answers PING.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start() {
    return Start(Options());
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  // Kills the server (SIGKILL) and removes its directory.
  ~RedisServer();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // "127.0.0.1:<port>".
  std::string endpoint() const;
  // "redis://127.0.0.1:<port>", with ":<password>@" when a password is set.
  std::string url() const;
  const std::string& dir() const { return dir_; }
  bool running() const { return pid_ > 0; }

  // SIGTERM and wait for exit (SIGKILL after 10 s).
  absl::Status Stop();
  // SIGKILL and wait for exit.
  absl::Status Kill();
  // SIGSTOP / SIGCONT: the process hangs without closing its sockets.
  absl::Status Pause();
  absl::Status Resume();
  // Starts again on the same port, directory and configuration.
  absl::Status Restart();

  // Runs one command on a fresh connection, authenticated as the ACL user if
  // configured, else with the default user's password.
  absl::StatusOr<TestReply> Command(const std::vector<std::string>& args);

 private:
  RedisServer(Options options, std::string dir, int port);
  absl::Status Spawn();
  absl::Status WaitReady(absl::Duration timeout);
  absl::Status WaitExit(int signal);
  std::string LogTail() const;

  Options options_;
  std::string host_ = "127.0.0.1";
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A Redis Cluster of `masters` masters without replicas, created with
// `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`;
// Start() returns once every node reports cluster_state:ok and agrees on the
// owner of all 16384 slots.
class RedisCluster {
 public:
  static absl::StatusOr<std::unique_ptr<RedisCluster>> Start(int masters = 3);

  // "redis://127.0.0.1:<p1>,127.0.0.1:<p2>,..." (all nodes as seeds).
  std::string url() const;
  int size() const { return static_cast<int>(nodes_.size()); }
  RedisServer& node(int i) { return *nodes_[i]; }

  // The index of the node serving `slot`, per node 0's CLUSTER SLOTS.
  absl::StatusOr<int> NodeForSlot(int slot);
  // CLUSTER MYID of node `i`.
  absl::StatusOr<std::string> NodeId(int i);
  // Runs `args` on the node serving `slot`.
  absl::StatusOr<TestReply> CommandForSlot(
      int slot, const std::vector<std::string>& args);
  // Waits until every node reports cluster_state:ok and all nodes agree on
  // every slot's owner.
  absl::Status WaitConsistent(absl::Duration timeout);

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

}  // namespace peermatch::testing

#endif  // PEERMATCH_TESTS_SUPPORT_REDIS_SERVER_H_
