#include "service/store/cluster_client.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "service/store/key_slot.h"
#include "service/store/redis_error.h"

namespace peermatch::store {
namespace {

constexpr int kMaxAttempts = 6;  // the first send plus 5 redirections
constexpr absl::Duration kMinRefreshInterval = absl::Milliseconds(100);

// Slot ranges of CLUSTER SLOTS: [[start, end, [host, port, id, ...], ...]].
absl::StatusOr<std::vector<std::pair<std::pair<int, int>, RedisEndpoint>>>
ParseSlots(const ReplyView& r, absl::string_view fallback_host) {
  if (!r.is_array()) {
    return absl::InternalError("CLUSTER SLOTS: unexpected " + r.Describe());
  }
  std::vector<std::pair<std::pair<int, int>, RedisEndpoint>> out;
  for (size_t i = 0; i < r.size(); ++i) {
    const ReplyView range = r[i];
    const ReplyView master = range[2];
    if (range.size() < 3 || !range[0].is_integer() || !range[1].is_integer() ||
        master.size() < 2 || !master[1].is_integer()) {
      return absl::InternalError("CLUSTER SLOTS: malformed range");
    }
    const int64_t start = range[0].integer();
    const int64_t end = range[1].integer();
    if (start < 0 || end >= kClusterSlots || start > end) {
      return absl::InternalError("CLUSTER SLOTS: slot out of range");
    }
    RedisEndpoint ep;
    ep.host = std::string(master[0].str());
    ep.port = static_cast<int>(master[1].integer());
    if (ep.host == "?") continue;  // the owner's address is unknown
    if (ep.host.empty()) ep.host = std::string(fallback_host);
    out.push_back({{static_cast<int>(start), static_cast<int>(end)}, ep});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::pair<int, RedisEndpoint>> ParseRedirect(
    absl::string_view error_reply, absl::string_view fallback_host) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(error_reply, ' ', absl::SkipEmpty());
  int slot = -1;
  int port = 0;
  if (parts.size() == 3 && absl::SimpleAtoi(parts[1], &slot) && slot >= 0 &&
      slot < kClusterSlots) {
    // IPv6 hosts come without brackets: the port follows the last ':'.
    const size_t colon = parts[2].rfind(':');
    if (colon != absl::string_view::npos &&
        absl::SimpleAtoi(parts[2].substr(colon + 1), &port) && port > 0 &&
        port <= 65535) {
      RedisEndpoint ep;
      ep.host = std::string(parts[2].substr(0, colon));
      if (ep.host.empty()) ep.host = std::string(fallback_host);
      ep.port = port;
      return std::make_pair(slot, std::move(ep));
    }
  }
  return absl::InternalError(absl::StrCat(
      "redis cluster: malformed redirection: ", error_reply.substr(0, 100)));
}

ClusterClient::ClusterClient(std::vector<RedisEndpoint> seeds,
                             PoolOptions node_options)
    : seeds_(std::move(seeds)),
      node_options_(std::move(node_options)),
      slots_(kClusterSlots, nullptr) {}

ClusterClient::~ClusterClient() = default;

ClusterClient::Node* ClusterClient::NodeFor(const RedisEndpoint& endpoint) {
  const std::string name = endpoint.ToString();
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = by_endpoint_.find(name);
  if (it != by_endpoint_.end()) return it->second;
  PoolOptions options = node_options_;
  options.connection.endpoint = endpoint;
  auto node = std::make_unique<Node>();
  node->endpoint = endpoint;
  node->pool = std::make_unique<ConnectionPool>(std::move(options));
  Node* raw = node.get();
  nodes_.push_back(std::move(node));
  by_endpoint_[name] = raw;
  return raw;
}

void ClusterClient::MarkStale() {
  std::unique_lock<std::shared_mutex> lock(mu_);
  stale_ = true;
}

std::optional<RedisEndpoint> ClusterClient::OwnerOf(int slot) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (slot < 0 || slot >= kClusterSlots || slots_[slot] == nullptr) {
    return std::nullopt;
  }
  return slots_[slot]->endpoint;
}

ClusterClient::Stats ClusterClient::GetStats() const {
  Stats s;
  s.moved = moved_.load();
  s.ask = ask_.load();
  s.tryagain = tryagain_.load();
  s.refreshes = refreshes_.load();
  std::shared_lock<std::shared_mutex> lock(mu_);
  s.nodes = static_cast<int>(nodes_.size());
  return s;
}

absl::Status ClusterClient::RefreshSlots(absl::Time deadline) {
  return Refresh(deadline, /*force=*/true);
}

absl::Status ClusterClient::Refresh(absl::Time deadline, bool force) {
  std::lock_guard<std::mutex> refresh_lock(refresh_mu_);
  std::vector<RedisEndpoint> candidates;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    const bool have_map =
        std::any_of(slots_.begin(), slots_.end(),
                    [](const Node* n) { return n != nullptr; });
    if (!force && have_map &&
        (!stale_ || absl::Now() - last_refresh_ < kMinRefreshInterval)) {
      // Fresh (someone refreshed while we waited for refresh_mu_), or
      // refreshed so recently that the current map has to do.
      return absl::OkStatus();
    }
    for (const Node* n : slots_) {
      if (n != nullptr && std::find(candidates.begin(), candidates.end(),
                                    n->endpoint) == candidates.end()) {
        candidates.push_back(n->endpoint);
      }
    }
  }
  for (const RedisEndpoint& seed : seeds_) {
    if (std::find(candidates.begin(), candidates.end(), seed) ==
        candidates.end()) {
      candidates.push_back(seed);
    }
  }
  absl::Status last = absl::UnavailableError("redis cluster: no seed nodes");
  for (const RedisEndpoint& ep : candidates) {
    Node* node = NodeFor(ep);
    absl::StatusOr<Reply> r =
        node->pool->Run(Command({"CLUSTER", "SLOTS"}), deadline);
    if (!r.ok()) {
      last = r.status();
      if (absl::IsDeadlineExceeded(last)) return last;
      continue;
    }
    if (r->is_error()) {
      last = ErrorReplyToStatus(r->str());
      continue;
    }
    absl::StatusOr<std::vector<std::pair<std::pair<int, int>, RedisEndpoint>>>
        ranges = ParseSlots(*r, ep.host);
    if (!ranges.ok()) {
      last = ranges.status();
      continue;
    }
    std::vector<std::pair<std::pair<int, int>, Node*>> resolved;
    for (const auto& [range, owner] : *ranges) {
      resolved.push_back({range, NodeFor(owner)});
    }
    std::unique_lock<std::shared_mutex> lock(mu_);
    std::fill(slots_.begin(), slots_.end(), nullptr);
    for (const auto& [range, owner] : resolved) {
      for (int s = range.first; s <= range.second; ++s) slots_[s] = owner;
    }
    stale_ = false;
    last_refresh_ = absl::Now();
    refreshes_.fetch_add(1);
    return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat(
      "redis cluster: no node answered CLUSTER SLOTS; last: ", last.message()));
}

absl::StatusOr<ClusterClient::Node*> ClusterClient::OwnerOrRefresh(
    int slot, absl::Time deadline) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (!stale_ && slots_[slot] != nullptr) return slots_[slot];
  }
  absl::Status refreshed = Refresh(deadline, /*force=*/false);
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (slots_[slot] != nullptr) return slots_[slot];
  if (!refreshed.ok()) return refreshed;
  return absl::UnavailableError(
      absl::StrCat("redis cluster: no node serves slot ", slot));
}

absl::StatusOr<std::vector<Reply>> ClusterClient::Pipeline(
    absl::string_view routing_key, absl::Span<const Command> commands,
    const CallOptions& options) {
  if (commands.empty()) {
    return absl::InvalidArgumentError("redis: empty pipeline");
  }
  const int slot = KeySlot(routing_key);
  std::vector<Reply> results(commands.size());
  std::vector<size_t> pending(commands.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  Node* ask_node = nullptr;
  bool retried_unreachable = false;
  std::vector<Reply> last_redirects;

  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Node* node = ask_node;
    if (node == nullptr) {
      ASSIGN_OR_RETURN(node, OwnerOrRefresh(slot, options.deadline));
    }
    const bool asking = ask_node != nullptr;
    std::vector<Command> resend;
    absl::Span<const Command> to_send = commands;
    if (asking || pending.size() != commands.size()) {
      resend.reserve(pending.size() * (asking ? 2 : 1));
      for (size_t i : pending) {
        if (asking) resend.push_back(Command({"ASKING"}));
        resend.push_back(commands[i]);
      }
      to_send = resend;
    }

    absl::StatusOr<ConnectionPool::Lease> conn =
        node->pool->Acquire(options.deadline);
    if (!conn.ok()) {
      // Nothing was sent: the node may have left; refresh and retry once.
      MarkStale();
      if (!retried_unreachable && !absl::IsDeadlineExceeded(conn.status())) {
        retried_unreachable = true;
        ask_node = nullptr;
        (void)Refresh(options.deadline, /*force=*/false);
        continue;
      }
      return conn.status();
    }
    absl::StatusOr<std::vector<Reply>> replies =
        (*conn)->RunPipeline(to_send, options.deadline, options.extra_timeout);
    if (!replies.ok()) {
      MarkStale();  // sent, outcome unknown: no retry
      return replies.status();
    }

    ask_node = nullptr;
    bool moved = false;
    bool tryagain = false;
    std::vector<size_t> next;
    last_redirects.clear();
    for (size_t j = 0; j < pending.size(); ++j) {
      Reply& r = (*replies)[asking ? 2 * j + 1 : j];
      const size_t i = pending[j];
      if (r.is_error()) {
        const absl::string_view prefix = ErrorReplyPrefix(r.str());
        if (prefix == "MOVED" || prefix == "ASK") {
          ASSIGN_OR_RETURN(auto redirect,
                           ParseRedirect(r.str(), node->endpoint.host));
          Node* target = NodeFor(redirect.second);
          if (prefix == "MOVED") {
            std::unique_lock<std::shared_mutex> lock(mu_);
            slots_[redirect.first] = target;
            stale_ = true;
            moved = true;
          } else {
            ask_node = target;
          }
          next.push_back(i);
          last_redirects.push_back(std::move(r));
          continue;
        }
        if (prefix == "TRYAGAIN") {
          tryagain = true;
          next.push_back(i);
          last_redirects.push_back(std::move(r));
          continue;
        }
      }
      results[i] = std::move(r);
    }
    if (next.empty()) return results;
    if (moved) moved_.fetch_add(1);
    if (ask_node != nullptr) ask_.fetch_add(1);
    if (tryagain) {
      tryagain_.fetch_add(1);
      const absl::Duration pause =
          std::min(absl::Milliseconds(10) * (attempt + 1),
                   options.deadline - absl::Now());
      if (pause > absl::ZeroDuration()) absl::SleepFor(pause);
    }
    pending = std::move(next);
  }
  // Redirections did not settle: hand back the last ones (UNAVAILABLE when
  // mapped).
  for (size_t j = 0; j < pending.size(); ++j) {
    results[pending[j]] = std::move(last_redirects[j]);
  }
  return results;
}

absl::Status ClusterClient::Ping(absl::Time deadline) {
  bool stale = false;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    stale = stale_;
  }
  if (stale) RETURN_IF_ERROR(Refresh(deadline, /*force=*/false));
  std::vector<Node*> masters;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (Node* n : slots_) {
      if (n == nullptr) {
        return absl::UnavailableError(
            "redis cluster: not every slot has a master");
      }
      if (std::find(masters.begin(), masters.end(), n) == masters.end()) {
        masters.push_back(n);
      }
    }
  }
  for (Node* n : masters) {
    absl::Status s = n->pool->Ping(deadline);
    if (!s.ok()) {
      MarkStale();
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace peermatch::store
