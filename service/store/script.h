// Lua scripts run with EVALSHA, reloaded transparently on NOSCRIPT.
//
//   // Once, e.g. as a function-local static:
//   static const Script* const kIncrIfEqual = new Script(R"lua(
//     if redis.call('GET', KEYS[1]) ~= ARGV[1] then
//       return redis.error_reply('PM_ABORTED value changed')
//     end
//     return redis.call('INCR', KEYS[1])
//   )lua");
//
//   Command call = kIncrIfEqual->Call({key}, {"41"});
//   ASSIGN_OR_RETURN(Reply r, kIncrIfEqual->Run(client, key, call, deadline));
//
// The SHA-1 is computed once, at construction. Calls are sent as EVALSHA; a
// NOSCRIPT reply (a restarted or failed-over Redis, SCRIPT FLUSH, or a
// cluster node that never saw the script) is retried once with EVAL and the
// full source, which also caches the script on whichever node runs it, so
// MOVED/ASK redirections during the retry are still safe.
//
// Scripts must declare every key they touch in KEYS[] (Redis Cluster), take
// no clock (callers pass times as ARGV), and check everything before their
// first write, so that an error reply means nothing was written. Errors they
// raise as `redis.error_reply('PM_<CODE> message')` map to <CODE>
// (redis_error.h).
//
// Script objects are immutable and thread-safe.
#ifndef PEERMATCH_SERVICE_STORE_SCRIPT_H_
#define PEERMATCH_SERVICE_STORE_SCRIPT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/store/command.h"
#include "service/store/redis_client.h"
#include "service/store/reply.h"

namespace peermatch::store {

class Script {
 public:
  explicit Script(std::string source);
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  const std::string& source() const { return source_; }
  // Lowercase hex SHA-1 of the source, as SCRIPT LOAD returns it.
  const std::string& sha1() const { return sha1_; }

  // "EVALSHA <sha1> <num_keys>": append the keys, then the arguments.
  Command Begin(int num_keys) const;
  // "EVALSHA <sha1> <#keys> keys... args...".
  Command Call(absl::Span<const std::string> keys,
               absl::Span<const std::string> args) const;

  // Runs `call` (from Begin/Call) on the node owning `routing_key`, retrying
  // once with EVAL on NOSCRIPT. An error reply becomes a status by
  // ErrorReplyToStatus; transport errors are as in RedisClient.
  absl::StatusOr<Reply> Run(RedisClient& client, absl::string_view routing_key,
                            const Command& call, absl::Time deadline) const;

  // Runs `calls` (each from Begin/Call of this script) pipelined; those
  // answered NOSCRIPT are retried once, pipelined, with EVAL. Returns one
  // reply per call; error replies stay replies, so items fail independently.
  absl::StatusOr<std::vector<Reply>> RunPipeline(
      RedisClient& client, absl::string_view routing_key,
      absl::Span<const Command> calls, absl::Time deadline) const;

 private:
  // `call` with EVALSHA <sha1> replaced by EVAL <source>.
  Command AsEval(const Command& call) const;

  const std::string source_;
  const std::string sha1_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_SCRIPT_H_
