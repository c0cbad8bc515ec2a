#include "tests/support/redis_server.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace peermatch::testing {
namespace {

// Finds `name` via $env_override, then PATH, then /usr/bin.
absl::StatusOr<std::string> FindBinary(const char* env_override,
                                       const std::string& name) {
  if (const char* p = std::getenv(env_override); p != nullptr && *p != '\0') {
    if (access(p, X_OK) == 0) return std::string(p);
    return absl::NotFoundError(
        absl::StrCat(env_override, "=", p, " is not an executable"));
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':')) {
      if (dir.empty()) continue;
      std::string candidate = absl::StrCat(dir, "/", name);
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  std::string fallback = "/usr/bin/" + name;
  if (access(fallback.c_str(), X_OK) == 0) return fallback;
  return absl::NotFoundError(absl::StrCat(
      name,
      " not found (PATH, /usr/bin); install redis-server (apt-get "
      "install redis-server). Integration tests never skip (R-TEST)."));
}

bool PortBindable(int port) {
  if (port <= 0 || port > 65535) return false;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok =
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A free loopback port; for cluster nodes port + 10000 (the bus) must be
// free as well. Randomized, so parallel test processes rarely collide; a
// collision that still happens makes redis-server exit, and Start retries.
int PickPort(bool need_bus_port) {
  static std::mt19937 rng(
      static_cast<unsigned>(getpid()) * 7919u +
      static_cast<unsigned>(absl::ToUnixNanos(absl::Now())));
  std::uniform_int_distribution<int> dist(20000, 29999);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = dist(rng);
    if (PortBindable(port) && (!need_bus_port || PortBindable(port + 10000))) {
      return port;
    }
  }
  return -1;
}

TestReply Convert(const redisReply* r) {
  TestReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = TestReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = TestReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = TestReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = TestReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = TestReply::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) {
        out.elements.push_back(Convert(r->element[i]));
      }
      break;
    default:
      out.type = TestReply::Type::kNil;
  }
  return out;
}

using ContextPtr = std::unique_ptr<redisContext, void (*)(redisContext*)>;

absl::StatusOr<TestReply> RunCommand(redisContext* c,
                                     const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(c, static_cast<int>(args.size()), argv.data(),
                               lens.data());
  if (raw == nullptr) {
    return absl::UnavailableError(absl::StrCat("harness: ", c->errstr));
  }
  TestReply out = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return out;
}

absl::StatusOr<ContextPtr> Connect(const std::string& host, int port,
                                   absl::Duration timeout) {
  ContextPtr c(
      redisConnectWithTimeout(host.c_str(), port, absl::ToTimeval(timeout)),
      &redisFree);
  if (c == nullptr) return absl::ResourceExhaustedError("harness: oom");
  if (c->err != 0) {
    return absl::UnavailableError(absl::StrCat("harness: ", c->errstr));
  }
  redisSetTimeout(c.get(), absl::ToTimeval(absl::Seconds(10)));
  return c;
}

// Forks and execs `argv` with stdout and stderr appended to `log_path`. The
// child gets SIGKILL when the test process dies. Returns the child's pid.
absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const std::string& log_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("harness: fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Runs `argv` to completion; an error carrying its output unless it exits 0.
absl::Status RunProcess(const std::vector<std::string>& argv,
                        const std::string& log_path) {
  absl::StatusOr<pid_t> pid = SpawnProcess(argv, log_path);
  if (!pid.ok()) return pid.status();
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream in(log_path);
    std::stringstream ss;
    ss << in.rdbuf();
    return absl::InternalError(
        absl::StrCat("harness: ", argv[0], " failed: ", ss.str()));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> TestReply::Strings() const {
  std::vector<std::string> out;
  for (const TestReply& e : elements) out.push_back(e.str);
  return out;
}

std::string TestReply::DebugString() const {
  switch (type) {
    case Type::kNil:
      return "(nil)";
    case Type::kString:
      return absl::StrCat("\"", str, "\"");
    case Type::kStatus:
      return str;
    case Type::kError:
      return absl::StrCat("(error) ", str);
    case Type::kInteger:
      return absl::StrCat("(integer) ", integer);
    case Type::kArray: {
      std::vector<std::string> parts;
      for (const TestReply& e : elements) parts.push_back(e.DebugString());
      return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
    }
  }
  return "?";
}

RedisServer::RedisServer(Options options, std::string dir, int port)
    : options_(std::move(options)), dir_(std::move(dir)), port_(port) {}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::endpoint() const {
  return absl::StrCat(host_, ":", port_);
}

std::string RedisServer::url() const {
  if (!options_.password.empty()) {
    return absl::StrCat("redis://:", options_.password, "@", endpoint());
  }
  return absl::StrCat("redis://", endpoint());
}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    Options options) {
  absl::StatusOr<std::string> binary =
      FindBinary("PEERMATCH_REDIS_SERVER", "redis-server");
  if (!binary.ok()) return binary.status();
  absl::Status last = absl::UnknownError("no attempt");
  for (int attempt = 0; attempt < 5; ++attempt) {
    char tmpl[] = "/tmp/peermatch-redis-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      return absl::InternalError("harness: mkdtemp failed");
    }
    const int port = PickPort(options.cluster_enabled);
    if (port < 0) return absl::InternalError("harness: no free port");
    std::unique_ptr<RedisServer> server(
        new RedisServer(options, std::string(tmpl), port));
    std::ofstream conf(server->dir_ + "/redis.conf");
    conf << "port " << port << "\n"
         << "bind 127.0.0.1\n"
         << "protected-mode no\n"
         << "daemonize no\n"
         << "dir " << server->dir_ << "\n"
         << "logfile " << server->dir_ << "/redis.log\n"
         << "save \"\"\n"
         << "appendonly " << (options.persistence ? "yes" : "no") << "\n";
    if (!options.password.empty()) {
      conf << "requirepass " << options.password << "\n";
    }
    if (!options.acl_user.empty()) {
      conf << "user " << options.acl_user << " on >" << options.acl_password
           << " ~* &* +@all\n";
    }
    if (options.cluster_enabled) {
      conf << "cluster-enabled yes\n"
           << "cluster-config-file " << server->dir_ << "/nodes.conf\n"
           << "cluster-node-timeout 5000\n";
    }
    for (const std::string& line : options.extra_config) conf << line << "\n";
    conf.close();
    if (!options.rdb_file.empty()) {
      std::error_code ec;
      std::filesystem::copy_file(options.rdb_file, server->dir_ + "/dump.rdb",
                                 ec);
      if (ec) {
        return absl::InternalError(absl::StrCat(
            "harness: cannot copy ", options.rdb_file, ": ", ec.message()));
      }
    }
    server->options_ = options;
    last = server->Spawn();
    if (last.ok()) last = server->WaitReady(absl::Seconds(10));
    if (last.ok()) return server;
  }
  return last;
}

absl::Status RedisServer::Spawn() {
  absl::StatusOr<std::string> binary =
      FindBinary("PEERMATCH_REDIS_SERVER", "redis-server");
  if (!binary.ok()) return binary.status();
  absl::StatusOr<pid_t> pid =
      SpawnProcess({*binary, dir_ + "/redis.conf"}, dir_ + "/stdout.log");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  return absl::OkStatus();
}

std::string RedisServer::LogTail() const {
  std::string text;
  for (const char* name : {"/redis.log", "/stdout.log"}) {
    std::ifstream in(dir_ + name);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    if (s.size() > 2000) s = s.substr(s.size() - 2000);
    absl::StrAppend(&text, name, ": ", s, "\n");
  }
  return text;
}

absl::Status RedisServer::WaitReady(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last_error;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat(
          "harness: redis-server exited during startup:\n", LogTail()));
    }
    absl::StatusOr<TestReply> pong = Command({"PING"});
    if (pong.ok() && pong->str == "PONG") return absl::OkStatus();
    last_error = pong.ok() ? pong->DebugString() : pong.status().ToString();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "harness: redis-server not ready: ", last_error, "\n", LogTail()));
}

absl::Status RedisServer::WaitExit(int signal) {
  if (pid_ <= 0) return absl::FailedPreconditionError("harness: not running");
  kill(pid_, signal);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status RedisServer::Stop() { return WaitExit(SIGTERM); }
absl::Status RedisServer::Kill() { return WaitExit(SIGKILL); }

absl::Status RedisServer::Pause() {
  if (pid_ <= 0) return absl::FailedPreconditionError("harness: not running");
  kill(pid_, SIGSTOP);
  return absl::OkStatus();
}

absl::Status RedisServer::Resume() {
  if (pid_ <= 0) return absl::FailedPreconditionError("harness: not running");
  kill(pid_, SIGCONT);
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("harness: still running");
  absl::Status last;
  // The old port can be briefly unavailable; retry a few times.
  for (int attempt = 0; attempt < 50; ++attempt) {
    last = Spawn();
    if (last.ok()) last = WaitReady(absl::Seconds(10));
    if (last.ok()) return last;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return last;
}

absl::StatusOr<TestReply> RedisServer::Command(
    const std::vector<std::string>& args) {
  absl::StatusOr<ContextPtr> c = Connect(host_, port_, absl::Seconds(1));
  if (!c.ok()) return c.status();
  if (!options_.acl_user.empty()) {
    absl::StatusOr<TestReply> r = RunCommand(
        c->get(), {"AUTH", options_.acl_user, options_.acl_password});
    if (!r.ok()) return r.status();
    if (r->is_error()) return absl::UnavailableError(r->str);
  } else if (!options_.password.empty()) {
    absl::StatusOr<TestReply> r =
        RunCommand(c->get(), {"AUTH", options_.password});
    if (!r.ok()) return r.status();
    if (r->is_error()) return absl::UnavailableError(r->str);
  }
  return RunCommand(c->get(), args);
}

// --- RedisCluster ----------------------------------------------------------

absl::StatusOr<std::unique_ptr<RedisCluster>> RedisCluster::Start(int masters) {
  absl::StatusOr<std::string> cli =
      FindBinary("PEERMATCH_REDIS_CLI", "redis-cli");
  if (!cli.ok()) return cli.status();
  std::unique_ptr<RedisCluster> cluster(new RedisCluster());
  RedisServer::Options options;
  options.cluster_enabled = true;
  for (int i = 0; i < masters; ++i) {
    absl::StatusOr<std::unique_ptr<RedisServer>> node =
        RedisServer::Start(options);
    if (!node.ok()) return node.status();
    cluster->nodes_.push_back(*std::move(node));
  }
  std::vector<std::string> argv = {*cli, "--cluster", "create"};
  for (const auto& node : cluster->nodes_) argv.push_back(node->endpoint());
  argv.insert(argv.end(), {"--cluster-replicas", "0", "--cluster-yes"});
  absl::Status created =
      RunProcess(argv, cluster->nodes_[0]->dir() + "/cluster-create.log");
  if (!created.ok()) return created;
  absl::Status consistent = cluster->WaitConsistent(absl::Seconds(30));
  if (!consistent.ok()) return consistent;
  return cluster;
}

std::string RedisCluster::url() const {
  std::vector<std::string> seeds;
  for (const auto& node : nodes_) seeds.push_back(node->endpoint());
  return absl::StrCat("redis://", absl::StrJoin(seeds, ","));
}

absl::StatusOr<std::string> RedisCluster::NodeId(int i) {
  absl::StatusOr<TestReply> r = nodes_[i]->Command({"CLUSTER", "MYID"});
  if (!r.ok()) return r.status();
  return r->str;
}

namespace {

// slot -> "host:port" of its owner, from one node's CLUSTER SLOTS.
absl::StatusOr<std::vector<std::string>> SlotOwners(RedisServer& node) {
  absl::StatusOr<TestReply> r = node.Command({"CLUSTER", "SLOTS"});
  if (!r.ok()) return r.status();
  if (r->type != TestReply::Type::kArray) {
    return absl::InternalError("CLUSTER SLOTS: " + r->DebugString());
  }
  std::vector<std::string> owners(16384);
  for (const TestReply& range : r->elements) {
    if (range.elements.size() < 3) continue;
    const TestReply& master = range.elements[2];
    std::string host = master.elements[0].str;
    if (host.empty()) host = node.host();
    const std::string ep = absl::StrCat(host, ":", master.elements[1].integer);
    for (long long s = range.elements[0].integer;
         s <= range.elements[1].integer; ++s) {
      owners[s] = ep;
    }
  }
  return owners;
}

}  // namespace

absl::StatusOr<int> RedisCluster::NodeForSlot(int slot) {
  absl::StatusOr<std::vector<std::string>> owners = SlotOwners(*nodes_[0]);
  if (!owners.ok()) return owners.status();
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i]->endpoint() == (*owners)[slot]) return i;
  }
  return absl::NotFoundError(absl::StrCat("no node serves slot ", slot));
}

absl::StatusOr<TestReply> RedisCluster::CommandForSlot(
    int slot, const std::vector<std::string>& args) {
  absl::StatusOr<int> i = NodeForSlot(slot);
  if (!i.ok()) return i.status();
  return nodes_[*i]->Command(args);
}

absl::Status RedisCluster::WaitConsistent(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string why;
  while (absl::Now() < deadline) {
    bool ok = true;
    std::vector<std::string> first;
    for (int i = 0; i < size() && ok; ++i) {
      absl::StatusOr<TestReply> info = nodes_[i]->Command({"CLUSTER", "INFO"});
      if (!info.ok() || !absl::StrContains(info->str, "cluster_state:ok")) {
        why = absl::StrCat("node ", i, " not ok");
        ok = false;
        break;
      }
      absl::StatusOr<std::vector<std::string>> owners = SlotOwners(*nodes_[i]);
      if (!owners.ok()) {
        why = owners.status().ToString();
        ok = false;
        break;
      }
      for (const std::string& o : *owners) {
        if (o.empty()) {
          why = absl::StrCat("node ", i, " has an unassigned slot");
          ok = false;
          break;
        }
      }
      if (i == 0) {
        first = *owners;
      } else if (ok && *owners != first) {
        why = absl::StrCat("node ", i, " disagrees on slot owners");
        ok = false;
      }
    }
    if (ok) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError("harness: cluster not consistent: " + why);
}

}  // namespace peermatch::testing
