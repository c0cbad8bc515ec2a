#include "base/ids.h"
#include "service/store/audit_log.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/store/keys.h"
#include "service/store/redis_error.h"

namespace peermatch::store {
namespace {

bool AllOf(absl::string_view s, absl::string_view extra, bool upper) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (upper && c >= 'A' && c <= 'Z') ||
           extra.find(c) != absl::string_view::npos;
  });
}

absl::Status CheckEntry(
    absl::string_view action, absl::string_view actor,
    absl::Span<const std::pair<std::string, std::string>> fields) {
  if (action.empty() || action.size() > 64 || !AllOf(action, "._-", false)) {
    return absl::InvalidArgumentError(
        "action: must be 1-64 characters of [a-z0-9._-]");
  }
  if (!base::IsValidMemberId(actor)) {
    return absl::InvalidArgumentError(
        "actor: must be 1-128 characters of [A-Za-z0-9._:@-]");
  }
  if (fields.size() > static_cast<size_t>(AuditLog::kMaxFields)) {
    return absl::InvalidArgumentError(
        absl::StrCat("fields: more than ", AuditLog::kMaxFields));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& [name, value] = fields[i];
    if (name.empty() || name.size() > 32 || !AllOf(name, "_", false) ||
        name == "action" || name == "actor" || name == "t") {
      return absl::InvalidArgumentError(absl::StrCat(
          "fields[", i,
          "]: name must be 1-32 characters of [a-z0-9_], not action, actor "
          "or t"));
    }
    if (value.size() > AuditLog::kMaxValueBytes ||
        !AllOf(value, "._:@,|-", true)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fields[", i,
          "]: value must be ids, counts or codes: at most 1024 characters of "
          "[A-Za-z0-9._:@,|-]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AuditEntry> ParseEntry(const ReplyView& e) {
  if (e.size() != 2 || !e[1].is_array()) {
    return absl::InternalError("audit: malformed stream entry");
  }
  AuditEntry out;
  ASSIGN_OR_RETURN(out.id, StreamId::Parse(e[0].str()));
  const ReplyView kv = e[1];
  bool has_action = false, has_actor = false, has_time = false;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    const absl::string_view name = kv[i].str();
    const absl::string_view value = kv[i + 1].str();
    if (name == "action") {
      out.action = std::string(value);
      has_action = true;
    } else if (name == "actor") {
      out.actor = std::string(value);
      has_actor = true;
    } else if (name == "t") {
      int64_t ms = 0;
      has_time = absl::SimpleAtoi(value, &ms);
      out.time = absl::FromUnixMillis(ms);
    } else {
      out.fields.emplace_back(std::string(name), std::string(value));
    }
  }
  if (!has_action || !has_actor || !has_time) {
    return absl::InternalError(absl::StrCat("audit: entry ", out.id.ToString(),
                                            " lacks action, actor or t"));
  }
  return out;
}

}  // namespace

AuditLog::AuditLog(RedisClient* client, AuditLogOptions options)
    : client_(client), options_(std::move(options)) {}

absl::StatusOr<StreamId> AuditLog::Append(
    absl::string_view pool, absl::string_view action, absl::string_view actor,
    absl::Span<const std::pair<std::string, std::string>> fields,
    absl::Time deadline) {
  if (!base::IsValidPoolId(pool)) {
    return absl::InvalidArgumentError(
        "pool: must be 1-63 characters of [a-z0-9-]");
  }
  RETURN_IF_ERROR(CheckEntry(action, actor, fields));
  const std::string key = keys::Audit(pool);
  Command c({"XADD", key, "MAXLEN", "~"});
  c.Reserve(11 + 2 * fields.size());
  c.AddInt(options_.max_len).Add("*");
  c.Add("action").Add(action).Add("actor").Add(actor);
  c.Add("t").AddInt(absl::ToUnixMillis(options_.clock()));
  for (const auto& [name, value] : fields) c.Add(name).Add(value);
  ASSIGN_OR_RETURN(Reply r, client_->Run(key, c, deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  return StreamId::Parse(r.str());
}

absl::StatusOr<std::vector<AuditEntry>> AuditLog::Read(absl::string_view pool,
                                                       int count,
                                                       absl::Time deadline) {
  if (!base::IsValidPoolId(pool)) {
    return absl::InvalidArgumentError(
        "pool: must be 1-63 characters of [a-z0-9-]");
  }
  if (count < 1 || count > kMaxReadCount) {
    return absl::InvalidArgumentError(
        absl::StrCat("count: must be 1..", kMaxReadCount));
  }
  const std::string key = keys::Audit(pool);
  Command c({"XREVRANGE", key, "+", "-", "COUNT"});
  c.AddInt(count);
  ASSIGN_OR_RETURN(Reply r, client_->Run(key, c, deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  std::vector<AuditEntry> out;
  out.reserve(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    ASSIGN_OR_RETURN(AuditEntry e, ParseEntry(r[i]));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace peermatch::store
