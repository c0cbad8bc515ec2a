#include "base/ids.h"
#include "service/store/settings_repository.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/store/keys.h"
#include "service/store/redis_error.h"
#include "service/store/script.h"

namespace peermatch::store {
namespace {

// KEYS: settings hash, feed, audit.
// ARGV: expected version ('' = any), payload, now ms, feed maxlen, actor,
//       audit maxlen.
const Script& PutScript() {
  static const Script* const kScript = new Script(R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= cur then
  return redis.error_reply('PM_ABORTED settings version is ' .. cur ..
                           ', expected ' .. ARGV[1])
end
local v = cur + 1
redis.call('HSET', KEYS[1], 'p', ARGV[2], 'v', v, 't', ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*',
           'kind', 'settings', 'op', 'upsert', 'id', 'settings', 'v', v)
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*',
             'action', 'settings.update', 'actor', ARGV[5], 'v', v,
             't', ARGV[3])
end
return v
)lua");
  return *kScript;
}

}  // namespace

absl::StatusOr<std::optional<SettingsRecord>> SettingsRepository::Get(
    absl::string_view pool, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  std::string key = keys::Settings(pool);
  ASSIGN_OR_RETURN(
      Reply r,
      client_->Run(key, Command({"HMGET", key, "p", "v", "t"}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  if (!r.is_array() || r.size() != 3) {
    return absl::InternalError("settings: unexpected HMGET reply");
  }
  if (r[0].is_nil()) return std::nullopt;
  SettingsRecord out;
  ASSIGN_OR_RETURN(out.config, DecodePoolConfig(r[0].str()));
  int64_t t = 0;
  if (!absl::SimpleAtoi(r[1].str(), &out.version) ||
      !absl::SimpleAtoi(r[2].str(), &t)) {
    return absl::InternalError("settings: malformed version or time");
  }
  out.update_time = absl::FromUnixMillis(t);
  return out;
}

absl::StatusOr<int64_t> SettingsRepository::Put(
    absl::string_view pool, const PoolConfig& config,
    std::optional<int64_t> expected_version, absl::string_view actor,
    absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  std::string payload = EncodePoolConfig(config);
  if (payload.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError("settings: payload too large");
  }
  RETURN_IF_ERROR(registry_.Register(pool, deadline));
  std::string key = keys::Settings(pool);
  std::vector<std::string> k = {key, keys::Feed(pool), keys::Audit(pool)};
  std::vector<std::string> a = {
      expected_version ? absl::StrCat(*expected_version) : "",
      std::move(payload),
      absl::StrCat(absl::ToUnixMillis(options_.clock())),
      absl::StrCat(options_.feed_max_len),
      std::string(actor),
      absl::StrCat(options_.audit_max_len)};
  ASSIGN_OR_RETURN(Reply r, PutScript().Run(*client_, key,
                                            PutScript().Call(k, a), deadline));
  return r.ToInt64();
}

}  // namespace peermatch::store
