#include "service/store/script.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "base/status_macros.h"
#include "service/store/internal/sha1.h"
#include "service/store/redis_error.h"

namespace peermatch::store {
namespace {

bool IsNoScript(const ReplyView& r) {
  return r.is_error() && ErrorReplyPrefix(r.str()) == "NOSCRIPT";
}

}  // namespace

Script::Script(std::string source)
    : source_(std::move(source)), sha1_(internal::Sha1Hex(source_)) {}

Command Script::Begin(int num_keys) const {
  Command c({"EVALSHA", sha1_});
  c.AddInt(num_keys);
  return c;
}

Command Script::Call(absl::Span<const std::string> keys,
                     absl::Span<const std::string> args) const {
  Command c = Begin(static_cast<int>(keys.size()));
  c.Reserve(3 + keys.size() + args.size());
  c.AddAll(keys);
  c.AddAll(args);
  return c;
}

Command Script::AsEval(const Command& call) const {
  Command eval({"EVAL", source_});
  eval.Reserve(call.size());
  for (size_t i = 2; i < call.size(); ++i) eval.Add(call.args()[i]);
  return eval;
}

absl::StatusOr<std::vector<Reply>> Script::RunPipeline(
    RedisClient& client, absl::string_view routing_key,
    absl::Span<const Command> calls, absl::Time deadline) const {
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client.Pipeline(routing_key, calls, deadline));
  // Round 1 re-sends the first NOSCRIPT item as EVAL, which caches the script
  // on that node, and the rest as EVALSHA behind it (same slot, same node,
  // executed in order), so a 1000-call batch does not resend the source 1000
  // times. Round 2 sends whatever is still NOSCRIPT as EVAL.
  for (int round = 1; round <= 2; ++round) {
    std::vector<size_t> missing;
    for (size_t i = 0; i < replies.size(); ++i) {
      if (IsNoScript(replies[i])) missing.push_back(i);
    }
    if (missing.empty()) break;
    std::vector<Command> retry;
    retry.reserve(missing.size());
    for (size_t j = 0; j < missing.size(); ++j) {
      const Command& call = calls[missing[j]];
      retry.push_back(round == 2 || j == 0 ? AsEval(call) : call);
    }
    ASSIGN_OR_RETURN(std::vector<Reply> retried,
                     client.Pipeline(routing_key, retry, deadline));
    for (size_t j = 0; j < missing.size(); ++j) {
      replies[missing[j]] = std::move(retried[j]);
    }
  }
  return replies;
}

absl::StatusOr<Reply> Script::Run(RedisClient& client,
                                  absl::string_view routing_key,
                                  const Command& call,
                                  absl::Time deadline) const {
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   RunPipeline(client, routing_key,
                               absl::MakeConstSpan(&call, 1), deadline));
  if (replies[0].is_error()) return ErrorReplyToStatus(replies[0].str());
  return std::move(replies[0]);
}

}  // namespace peermatch::store
