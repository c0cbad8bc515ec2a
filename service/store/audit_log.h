// The pool's audit stream `pm:{<pool>}:audit` (SPEC §9 "Audit"): who did
// what to the pool, and when.
//
//   AuditLog audit(&client);
//   ASSIGN_OR_RETURN(StreamId id,
//                    audit.Append("pool-1", "job.start", "coordinator-7",
//                                 {{"job", "j12"}, {"kind", "1"}}, deadline));
//   ASSIGN_OR_RETURN(std::vector<AuditEntry> latest,
//                    audit.Read("pool-1", 50, deadline));  // newest first
//
// Every entry is {action, actor, t (Unix ms), further fields...}. The
// repositories' Lua scripts append their own entries in the same shape inside
// the script that makes the change (member.delete, settings.update,
// match.*, matching.commit, ...), so those are atomic with it; Append is for
// actions whose effect is not one store script (a job start, a cancel, an
// authorization-relevant event). Retention is bounded: every append trims
// the stream with `XADD MAXLEN ~ max_len` (default 10,000, the same bound
// the repositories use), so the oldest entries go first.
//
// Content contract: the audit stream may hold ids (pool, member, match and
// job ids), counts, codes and times ONLY, never profile content (triggers,
// interests, stage, availability), free text (reasons) or secrets (SPEC §9).
// The caller must not pass such data; Append enforces what it can: field
// names are [a-z0-9_] (1-32 characters, not `action`, `actor` or `t`), and
// values are 0-1024 characters of [A-Za-z0-9._:@,|-] — ids, numbers,
// comma-joined id lists and `a|b` pairs fit, sentences do not.
//
// Errors: INVALID_ARGUMENT (pool id; action not 1-64 characters of
// [a-z0-9._-]; actor not 1-128 characters of [A-Za-z0-9._:@-]; a field
// outside the contract; more than 32 fields; count outside 1..10000),
// UNAVAILABLE / DEADLINE_EXCEEDED as RedisClient; INTERNAL for stream
// entries without action, actor or t.
//
// Thread-safe; calls block. Never logs.
#ifndef PEERMATCH_SERVICE_STORE_AUDIT_LOG_H_
#define PEERMATCH_SERVICE_STORE_AUDIT_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/store/change_feed.h"
#include "service/store/redis_client.h"

namespace peermatch::store {

struct AuditEntry {
  StreamId id;
  std::string action;
  std::string actor;
  absl::Time time;  // field t, millisecond precision
  // Every other field, in stream order.
  std::vector<std::pair<std::string, std::string>> fields;
};

struct AuditLogOptions {
  int64_t max_len = 10000;  // XADD MAXLEN ~
  // Entry times come from here (field t), never from a clock inside Redis.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class AuditLog {
 public:
  static constexpr int kMaxFields = 32;
  static constexpr size_t kMaxValueBytes = 1024;
  static constexpr int kMaxReadCount = 10000;

  explicit AuditLog(RedisClient* client, AuditLogOptions options = {});

  // Appends {action, actor, t = clock(), fields...} and trims the stream.
  // Returns the entry's stream id. Writes nothing when validation fails.
  absl::StatusOr<StreamId> Append(
      absl::string_view pool, absl::string_view action, absl::string_view actor,
      absl::Span<const std::pair<std::string, std::string>> fields,
      absl::Time deadline);

  // Up to `count` (1..kMaxReadCount) entries, newest first; empty when the
  // pool has no audit stream.
  absl::StatusOr<std::vector<AuditEntry>> Read(absl::string_view pool,
                                               int count, absl::Time deadline);

 private:
  RedisClient* client_;
  AuditLogOptions options_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_AUDIT_LOG_H_
