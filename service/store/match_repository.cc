#include "service/store/match_repository.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/ids.h"
#include "base/status_macros.h"
#include "service/store/internal/paging.h"
#include "service/store/keys.h"
#include "service/store/redis_error.h"
#include "service/store/script.h"

namespace peermatch::store {
namespace {

// How often a call re-reads and retries when the script says the state it
// was based on changed under it (ABORTED "... changed").
constexpr int kMaxRetries = 8;

absl::Status CheckMember(absl::string_view id, absl::string_view field) {
  return base::ValidateMemberId(id, field);
}

absl::Status CheckMatchId(absl::string_view id) {
  // Ids are ours ("x<n>"), but they come back from callers.
  if (!id.empty() && id.size() <= 32 && id[0] == 'x' &&
      std::all_of(id.begin() + 1, id.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::OkStatus();
  }
  return absl::NotFoundError("match not found");
}

bool Changed(const absl::Status& s) {
  return absl::IsAborted(s) && absl::StrContains(s.message(), "changed");
}

TransitionSpec Op(const char* op, const std::string& actor) {
  TransitionSpec spec;
  spec.op = op;
  spec.actor = actor;
  return spec;
}

std::string Ms(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

// Writes shared by the scripts, as Lua source prepended to each.
constexpr char kLuaCommon[] = R"lua(
local STATE = {'proposed', 'active', 'declined', 'ended', 'expired'}
local function feed(key, maxlen, op, id, v)
  redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*',
             'kind', 'match', 'op', op, 'id', id, 'v', v)
end
)lua";

// CommitProposals. Layout:
//   KEYS[1] proposed  [2] active  [3] excluded  [4] idx  [5] feed  [6] audit
//   [7] lease; then 5 per old proposal (match, live-mentee, live-mentor,
//   by-member e, by-member m), 5 per new one (same kinds), 1 per mentor
//   (member hash), 1 per mentee (member hash).
//   ARGV[1] now  [2] feed maxlen  [3] audit maxlen  [4] actor  [5] job
//   [6] fencing token, '-' (refuse while a job holds the lease) or ''
//   [7] discard 0/1  [8] auto publish 0/1
//   [9] expiry ms  [10] n_old  [11] n_new  [12] n_mentors  [13] n_mentees;
//   then 3 per old (id, e, m), 5 per new (id, e, m, se, sm), 3 per mentor
//   (id, version, capacity), 1 per mentee (id).
// Returns {created, discarded, {kept flag per new proposal}}.
const Script& CommitScript() {
  static const Script* const kScript =
      new Script(absl::StrCat(kLuaCommon, R"lua(
local now = ARGV[1]
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local l = redis.call('HMGET', KEYS[7], 'token', 'exp')
local leased = l[2] and tonumber(l[2]) > ms
if ARGV[6] == '-' then
  if leased then
    return redis.error_reply('PM_ABORTED a batch job holds the pool lease; retry when it ends')
  end
elseif ARGV[6] ~= '' then
  if l[1] ~= ARGV[6] or not leased then
    return redis.error_reply('PM_ABORTED stale lease')
  end
end
local discard = ARGV[7] == '1'
local auto = ARGV[8] == '1'
local n_old, n_new = tonumber(ARGV[10]), tonumber(ARGV[11])
local n_mentors, n_mentees = tonumber(ARGV[12]), tonumber(ARGV[13])
local a, k = 13, 7
local old, oldpair = {}, {}
for i = 1, n_old do
  local o = {id = ARGV[a + 1], e = ARGV[a + 2], m = ARGV[a + 3],
             km = KEYS[k + 1], kle = KEYS[k + 2], klm = KEYS[k + 3],
             kbe = KEYS[k + 4], kbm = KEYS[k + 5]}
  a = a + 3
  k = k + 5
  old[#old + 1] = o
  oldpair[o.e .. '|' .. o.m] = o
end
local new = {}
for j = 1, n_new do
  new[#new + 1] = {id = ARGV[a + 1], e = ARGV[a + 2], m = ARGV[a + 3],
                   se = ARGV[a + 4], sm = ARGV[a + 5], km = KEYS[k + 1],
                   kle = KEYS[k + 2], klm = KEYS[k + 3], kbe = KEYS[k + 4],
                   kbm = KEYS[k + 5]}
  a = a + 5
  k = k + 5
end
local cap = {}
for i = 1, n_mentors do
  local v = redis.call('HGET', KEYS[k + 1], 'v')
  if not v or v ~= ARGV[a + 2] then
    return redis.error_reply('PM_ABORTED mentor changed: ' .. ARGV[a + 1])
  end
  cap[ARGV[a + 1]] = tonumber(ARGV[a + 3])
  a = a + 3
  k = k + 1
end
for i = 1, n_mentees do
  if redis.call('EXISTS', KEYS[k + 1]) == 0 then
    return redis.error_reply('PM_FAILED_PRECONDITION member no longer exists: ' .. ARGV[a + 1])
  end
  a = a + 1
  k = k + 1
end
if discard then
  if redis.call('ZCARD', KEYS[1]) ~= n_old then
    return redis.error_reply('PM_ABORTED proposals changed')
  end
  for _, o in ipairs(old) do
    if not redis.call('ZSCORE', KEYS[1], o.id) then
      return redis.error_reply('PM_ABORTED proposals changed')
    end
  end
elseif n_old ~= 0 then
  return redis.error_reply('PM_INVALID_ARGUMENT old proposals without discard')
end
local kept, seen = {}, {}
for _, x in ipairs(new) do
  if seen[x.e] then
    return redis.error_reply('PM_INVALID_ARGUMENT mentee proposed twice: ' .. x.e)
  end
  seen[x.e] = true
  local o = oldpair[x.e .. '|' .. x.m]
  if o then
    kept[o.id] = true
    x.kept = true
  end
end
local gone, freed, ngone = {}, {}, 0
for _, o in ipairs(old) do
  if not kept[o.id] then
    gone[o.id] = true
    ngone = ngone + 1
    freed[o.m] = (freed[o.m] or 0) + 1
  end
end
local add, lmkey = {}, {}
for _, x in ipairs(new) do
  if not x.kept then
    if redis.call('HEXISTS', KEYS[3], x.e .. '|' .. x.m) == 1 then
      return redis.error_reply('PM_FAILED_PRECONDITION pair is excluded: ' .. x.e .. ' ' .. x.m)
    end
    local live = redis.call('GET', x.kle)
    if live and not gone[live] then
      return redis.error_reply('PM_FAILED_PRECONDITION mentee already has a live match: ' .. x.e)
    end
    if not cap[x.m] then
      return redis.error_reply('PM_INVALID_ARGUMENT no capacity given for mentor ' .. x.m)
    end
    add[x.m] = (add[x.m] or 0) + 1
    lmkey[x.m] = x.klm
  end
end
for m, n in pairs(add) do
  if redis.call('SCARD', lmkey[m]) - (freed[m] or 0) + n > cap[m] then
    return redis.error_reply('PM_FAILED_PRECONDITION mentor has no free capacity: ' .. m)
  end
end
for _, o in ipairs(old) do
  if gone[o.id] then
    redis.call('DEL', o.km)
    redis.call('ZREM', KEYS[1], o.id)
    redis.call('ZREM', KEYS[4], o.id)
    if redis.call('GET', o.kle) == o.id then redis.call('DEL', o.kle) end
    redis.call('SREM', o.klm, o.id)
    redis.call('ZREM', o.kbe, o.id)
    redis.call('ZREM', o.kbm, o.id)
    feed(KEYS[5], ARGV[2], 'discarded', o.id, 0)
  end
end
local state = 1
if auto then state = 2 end
local created = 0
local flags = {}
for i, x in ipairs(new) do
  if x.kept then
    flags[i] = 1
  else
    flags[i] = 0
    redis.call('HSET', x.km, 'e', x.e, 'm', x.m, 's', state, 'se', x.se,
               'sm', x.sm, 'o', 'batch', 'j', ARGV[5], 'ov', 0, 'ex', 0,
               'v', 1, 'ct', now, 'ut', now)
    redis.call('ZADD', KEYS[4], now, x.id)
    if auto then
      redis.call('SADD', KEYS[2], x.id)
    else
      redis.call('HSET', x.km, 'xt', ARGV[9])
      redis.call('ZADD', KEYS[1], ARGV[9], x.id)
    end
    redis.call('SET', x.kle, x.id)
    redis.call('SADD', x.klm, x.id)
    redis.call('ZADD', x.kbe, now, x.id)
    redis.call('ZADD', x.kbm, now, x.id)
    feed(KEYS[5], ARGV[2], STATE[state], x.id, 1)
    created = created + 1
  end
end
if ARGV[4] ~= '' then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[3], '*', 'action',
             'matching.commit', 'actor', ARGV[4], 'job', ARGV[5], 'created',
             created, 'discarded', ngone, 't', now)
end
return {created, ngone, flags}
)lua"));
  return *kScript;
}

// One transition of one match.
//   KEYS[1] match  [2] proposed  [3] active  [4] excluded  [5] live-mentee e
//   [6] live-mentor m  [7] feed  [8] audit  [9] idx  [10] by-member e
//   [11] by-member m
//   ARGV[1] op  [2] now  [3] feed maxlen  [4] audit maxlen  [5] actor  [6] e
//   [7] m  [8] member  [9] reason  [10] exclude 0/1  [11] match id
// Returns the new version (0 for a discard).
const Script& TransitionScript() {
  static const Script* const kScript =
      new Script(absl::StrCat(kLuaCommon, R"lua(
local h = redis.call('HMGET', KEYS[1], 'e', 'm', 's', 'xt')
if not h[3] then return redis.error_reply('PM_NOT_FOUND match not found') end
if h[1] ~= ARGV[6] or h[2] ~= ARGV[7] then
  return redis.error_reply('PM_ABORTED match changed')
end
local s = tonumber(h[3])
local op, now, id = ARGV[1], ARGV[2], ARGV[11]
local NAMES = {'PROPOSED', 'ACTIVE', 'DECLINED', 'ENDED', 'EXPIRED'}
local function bad(why)
  return redis.error_reply('PM_FAILED_PRECONDITION ' .. why .. ' (the match is ' .. NAMES[s] .. ')')
end
local function free()
  redis.call('ZREM', KEYS[2], id)
  redis.call('SREM', KEYS[3], id)
  if redis.call('GET', KEYS[5]) == id then redis.call('DEL', KEYS[5]) end
  redis.call('SREM', KEYS[6], id)
end
local function audit()
  if ARGV[5] ~= '' then
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[4], '*', 'action',
               'match.' .. op, 'actor', ARGV[5], 'id', id, 't', now)
  end
end
local member_ok = ARGV[8] ~= '' and (ARGV[8] == h[1] or ARGV[8] == h[2])
if (op == 'accept' or op == 'decline') and not member_ok then
  return redis.error_reply('PM_INVALID_ARGUMENT member_id: not the mentee or the mentor of this match')
end
local new_s = s
if op == 'publish' then
  if s ~= 1 then return bad('only a PROPOSED match can be published') end
  new_s = 2
elseif op == 'discard' then
  if s ~= 1 then return bad('only a PROPOSED match can be discarded') end
elseif op == 'accept' then
  if s ~= 2 then return bad('only an ACTIVE match can be accepted') end
elseif op == 'decline' then
  if s ~= 1 and s ~= 2 then
    return bad('only a PROPOSED or ACTIVE match can be declined')
  end
  new_s = 3
elseif op == 'end' then
  if s ~= 2 then return bad('only an ACTIVE match can be ended') end
  new_s = 4
elseif op == 'expire' then
  if s ~= 1 then return bad('only a PROPOSED match can expire') end
  if not h[4] or tonumber(h[4]) > tonumber(now) then
    return bad('the proposal is not due to expire')
  end
  new_s = 5
else
  return redis.error_reply('PM_INVALID_ARGUMENT unknown transition')
end
if op == 'discard' then
  free()
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[9], id)
  redis.call('ZREM', KEYS[10], id)
  redis.call('ZREM', KEYS[11], id)
  feed(KEYS[7], ARGV[3], 'discarded', id, 0)
  audit()
  return 0
end
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 's', new_s, 'ut', now)
local pair = h[1] .. '|' .. h[2]
if op == 'publish' then
  redis.call('ZREM', KEYS[2], id)
  redis.call('SADD', KEYS[3], id)
  redis.call('HDEL', KEYS[1], 'xt')
elseif op == 'accept' then
  if ARGV[8] == h[1] then
    redis.call('HSET', KEYS[1], 'ae', 1)
  else
    redis.call('HSET', KEYS[1], 'am', 1)
  end
elseif op == 'decline' then
  free()
  redis.call('HDEL', KEYS[1], 'xt')
  redis.call('HSET', KEYS[4], pair, 1)
  redis.call('HSET', KEYS[1], 'er', ARGV[9], 'ex', 1)
elseif op == 'end' then
  free()
  redis.call('HSET', KEYS[1], 'er', ARGV[9])
  if ARGV[10] == '1' then
    redis.call('HSET', KEYS[1], 'ex', 1)
    redis.call('HSET', KEYS[4], pair, 2)
  end
elseif op == 'expire' then
  free()
  redis.call('HDEL', KEYS[1], 'xt')
end
feed(KEYS[7], ARGV[3], STATE[new_s], id, v)
audit()
return v
)lua"));
  return *kScript;
}

// Publish several PROPOSED matches at once, all or nothing.
//   KEYS[1] proposed  [2] active  [3] feed  [4] audit  [4+i] match i
//   ARGV[1] now  [2] feed maxlen  [3] audit maxlen  [4] actor  [4+i] id i
const Script& PublishScript() {
  static const Script* const kScript =
      new Script(absl::StrCat(kLuaCommon, R"lua(
local n = #ARGV - 4
for i = 1, n do
  local s = redis.call('HGET', KEYS[4 + i], 's')
  if not s then
    return redis.error_reply('PM_NOT_FOUND match not found: ' .. ARGV[4 + i])
  end
  if s ~= '1' then
    return redis.error_reply('PM_FAILED_PRECONDITION match ' .. ARGV[4 + i] .. ' is not PROPOSED')
  end
end
for i = 1, n do
  local id = ARGV[4 + i]
  local v = redis.call('HINCRBY', KEYS[4 + i], 'v', 1)
  redis.call('HSET', KEYS[4 + i], 's', 2, 'ut', ARGV[1])
  redis.call('HDEL', KEYS[4 + i], 'xt')
  redis.call('ZREM', KEYS[1], id)
  redis.call('SADD', KEYS[2], id)
  feed(KEYS[3], ARGV[2], 'active', id, v)
end
if ARGV[4] ~= '' and n > 0 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'action',
             'matches.publish', 'actor', ARGV[4], 'count', n, 't', ARGV[1])
end
return n
)lua"));
  return *kScript;
}

// A manual ACTIVE match.
//   KEYS[1] member e  [2] member m  [3] live-mentee e  [4] live-mentor m
//   [5] excluded  [6] match (new id)  [7] active  [8] idx  [9] by-member e
//   [10] by-member m  [11] feed  [12] audit
//   ARGV[1] e  [2] m  [3] new id  [4] se  [5] sm  [6] override 0/1
//   [7] mentor version  [8] mentor capacity  [9] now  [10] feed maxlen
//   [11] audit maxlen  [12] actor  [13] reason
const Script& ManualScript() {
  static const Script* const kScript =
      new Script(absl::StrCat(kLuaCommon, R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('PM_NOT_FOUND mentee not found')
end
local mv = redis.call('HGET', KEYS[2], 'v')
if not mv then return redis.error_reply('PM_NOT_FOUND mentor not found') end
if mv ~= ARGV[7] then return redis.error_reply('PM_ABORTED mentor changed') end
if redis.call('EXISTS', KEYS[3]) == 1 then
  return redis.error_reply('PM_ALREADY_EXISTS the mentee already has a live match')
end
local override = ARGV[6] == '1'
if not override then
  if redis.call('HEXISTS', KEYS[5], ARGV[1] .. '|' .. ARGV[2]) == 1 then
    return redis.error_reply('PM_FAILED_PRECONDITION the pair was declined or ended with exclude')
  end
  if redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[8]) then
    return redis.error_reply('PM_FAILED_PRECONDITION the mentor has no free capacity')
  end
end
local now, id = ARGV[9], ARGV[3]
redis.call('HSET', KEYS[6], 'e', ARGV[1], 'm', ARGV[2], 's', 2, 'se', ARGV[4],
           'sm', ARGV[5], 'o', 'manual', 'j', '', 'ov', ARGV[6], 'ex', 0,
           'er', '', 'v', 1, 'ct', now, 'ut', now)
-- The coordinator's reason for an override: on the record (GetMatch), not in
-- the audit stream, whose values are ids and codes only.
if override then redis.call('HSET', KEYS[6], 'or', ARGV[13]) end
redis.call('SADD', KEYS[7], id)
redis.call('ZADD', KEYS[8], now, id)
redis.call('SET', KEYS[3], id)
redis.call('SADD', KEYS[4], id)
redis.call('ZADD', KEYS[9], now, id)
redis.call('ZADD', KEYS[10], now, id)
feed(KEYS[11], ARGV[10], 'active', id, 1)
local action = 'match.manual'
if override then action = 'match.override' end
redis.call('XADD', KEYS[12], 'MAXLEN', '~', ARGV[11], '*', 'action', action,
           'actor', ARGV[12], 'id', id, 'mentee', ARGV[1], 'mentor', ARGV[2],
           't', now)
return 1
)lua"));
  return *kScript;
}

// Erasure of a member from the match records.
//   KEYS[1] by-member x  [2] excluded  [3] active  [4] proposed  [5] feed
//   then 3 per match (match, live-mentee e, live-mentor m)
//   ARGV[1] x  [2] now  [3] feed maxlen  [4] n; then 3 per match (id, e, m)
// Returns the number of live matches ended.
const Script& EraseScript() {
  static const Script* const kScript =
      new Script(absl::StrCat(kLuaCommon, R"lua(
local x, now, n = ARGV[1], ARGV[2], tonumber(ARGV[4])
if redis.call('ZCARD', KEYS[1]) ~= n then
  return redis.error_reply('PM_ABORTED matches changed')
end
for i = 1, n do
  local id = ARGV[4 + 3 * (i - 1) + 1]
  if not redis.call('ZSCORE', KEYS[1], id) then
    return redis.error_reply('PM_ABORTED matches changed')
  end
  local h = redis.call('HMGET', KEYS[5 + 3 * (i - 1) + 1], 'e', 'm')
  if h[1] and (h[1] ~= ARGV[4 + 3 * (i - 1) + 2] or h[2] ~= ARGV[4 + 3 * (i - 1) + 3]) then
    return redis.error_reply('PM_ABORTED matches changed')
  end
end
local ended = 0
for i = 1, n do
  local id = ARGV[4 + 3 * (i - 1) + 1]
  local km = KEYS[5 + 3 * (i - 1) + 1]
  local kle = KEYS[5 + 3 * (i - 1) + 2]
  local klm = KEYS[5 + 3 * (i - 1) + 3]
  local h = redis.call('HMGET', km, 'e', 'm', 's')
  if h[3] then
    local s = tonumber(h[3])
    local v = redis.call('HINCRBY', km, 'v', 1)
    if s == 1 or s == 2 then
      redis.call('ZREM', KEYS[4], id)
      redis.call('SREM', KEYS[3], id)
      if redis.call('GET', kle) == id then redis.call('DEL', kle) end
      redis.call('SREM', klm, id)
      redis.call('HSET', km, 's', 4, 'er', 'member_deleted', 'ut', now)
      redis.call('HDEL', km, 'xt')
      ended = ended + 1
    end
    redis.call('HDEL', km, 'or')  -- free text about the pair
    if h[1] == x then redis.call('HSET', km, 'e', '') end
    if h[2] == x then redis.call('HSET', km, 'm', '') end
    feed(KEYS[5], ARGV[3], 'erased', id, v)
  end
end
redis.call('DEL', KEYS[1])
for _, pair in ipairs(redis.call('HKEYS', KEYS[2])) do
  local bar = string.find(pair, '|', 1, true)
  if bar and (string.sub(pair, 1, bar - 1) == x or string.sub(pair, bar + 1) == x) then
    redis.call('HDEL', KEYS[2], pair)
  end
end
return ended
)lua"));
  return *kScript;
}

absl::StatusOr<MatchRecord> ParseMatch(absl::string_view id,
                                       const ReplyView& r) {
  // HMGET order: e m s se sm o j ov er ex ae am v ct ut xt or
  if (!r.is_array() || r.size() != 17) {
    return absl::InternalError("match: unexpected HMGET reply");
  }
  if (r[2].is_nil()) return absl::NotFoundError("match not found");
  MatchRecord m;
  m.id = std::string(id);
  m.mentee = std::string(r[0].str());
  m.mentor = std::string(r[1].str());
  auto num = [&](size_t i) -> int64_t {
    int64_t v = 0;
    if (!r[i].is_nil()) (void)absl::SimpleAtoi(r[i].str(), &v);
    return v;
  };
  m.state = static_cast<MatchState>(num(2));
  m.mentee_micros = static_cast<int32_t>(num(3));
  m.mentor_micros = static_cast<int32_t>(num(4));
  m.origin = std::string(r[5].str());
  m.job_id = std::string(r[6].str());
  m.override = num(7) != 0;
  m.end_reason = std::string(r[8].str());
  m.excluded = num(9) != 0;
  m.accepted_by_mentee = num(10) != 0;
  m.accepted_by_mentor = num(11) != 0;
  m.version = num(12);
  m.create_time = absl::FromUnixMillis(num(13));
  m.update_time = absl::FromUnixMillis(num(14));
  if (!r[15].is_nil()) m.expire_time = absl::FromUnixMillis(num(15));
  m.override_reason = std::string(r[16].str());
  return m;
}

Command MatchHmget(absl::string_view pool, absl::string_view id) {
  Command c({"HMGET", keys::Match(pool, id)});
  for (const char* f : {"e", "m", "s", "se", "sm", "o", "j", "ov", "er", "ex",
                        "ae", "am", "v", "ct", "ut", "xt", "or"}) {
    c.Add(f);
  }
  return c;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MatchRepository::AllocateIds(
    absl::string_view pool, int n, absl::Time deadline) {
  std::vector<std::string> ids;
  if (n == 0) return ids;
  std::string key = keys::MatchSeq(pool);
  ASSIGN_OR_RETURN(
      Reply r, client_->Run(key, Command({"INCRBY", key}).AddInt(n), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(int64_t last, r.ToInt64());
  ids.reserve(n);
  for (int64_t i = last - n + 1; i <= last; ++i)
    ids.push_back(absl::StrCat("x", i));
  return ids;
}

absl::StatusOr<std::vector<MatchRecord>> MatchRepository::GetMany(
    absl::string_view pool, const std::vector<std::string>& ids,
    absl::Time deadline) {
  std::vector<MatchRecord> out;
  if (ids.empty()) return out;
  std::vector<Command> cmds;
  cmds.reserve(ids.size());
  for (const std::string& id : ids) cmds.push_back(MatchHmget(pool, id));
  std::string route = keys::MatchIndex(pool);
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client_->Pipeline(route, cmds, deadline));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (replies[i].is_error()) return ErrorReplyToStatus(replies[i].str());
    absl::StatusOr<MatchRecord> m = ParseMatch(ids[i], replies[i]);
    if (absl::IsNotFound(m.status())) continue;  // removed meanwhile
    if (!m.ok()) return m.status();
    out.push_back(*std::move(m));
  }
  return out;
}

absl::StatusOr<MatchRecord> MatchRepository::Get(absl::string_view pool,
                                                 absl::string_view match_id,
                                                 absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckMatchId(match_id));
  std::string key = keys::Match(pool, match_id);
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(key, MatchHmget(pool, match_id), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  return ParseMatch(match_id, r);
}

absl::StatusOr<CommitResult> MatchRepository::CommitProposals(
    absl::string_view pool, const CommitSpec& spec, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (spec.proposals.size() > static_cast<size_t>(kMaxProposals)) {
    return absl::InvalidArgumentError("too many proposals in one commit");
  }
  absl::flat_hash_set<std::string> mentor_ids, mentee_ids;
  for (const Proposal& p : spec.proposals) {
    RETURN_IF_ERROR(CheckMember(p.mentee, "mentee"));
    RETURN_IF_ERROR(CheckMember(p.mentor, "mentor"));
    mentor_ids.insert(p.mentor);
    mentee_ids.insert(p.mentee);
  }
  for (const MentorCapacity& m : spec.mentors) {
    RETURN_IF_ERROR(CheckMember(m.mentor, "mentor"));
  }
  const std::string route = keys::ProposedMatches(pool);
  for (int attempt = 0;; ++attempt) {
    // The current proposals, which a default run replaces.
    std::vector<MatchRecord> old;
    if (spec.discard_previous) {
      ASSIGN_OR_RETURN(
          Reply r,
          client_->Run(route, Command({"ZRANGE", route, "0", "-1"}), deadline));
      if (r.is_error()) return ErrorReplyToStatus(r.str());
      ASSIGN_OR_RETURN(std::vector<std::string> ids, r.ToStrings());
      ASSIGN_OR_RETURN(old, GetMany(pool, ids, deadline));
      if (old.size() != ids.size()) continue;  // changed meanwhile
    }
    ASSIGN_OR_RETURN(
        std::vector<std::string> new_ids,
        AllocateIds(pool, static_cast<int>(spec.proposals.size()), deadline));
    const absl::Time now = options_.clock();
    std::vector<std::string> k = {route,
                                  keys::ActiveMatches(pool),
                                  keys::ExcludedPairs(pool),
                                  keys::MatchIndex(pool),
                                  keys::Feed(pool),
                                  keys::Audit(pool),
                                  keys::JobLease(pool)};
    std::vector<std::string> a = {Ms(now),
                                  absl::StrCat(options_.feed_max_len),
                                  absl::StrCat(options_.audit_max_len),
                                  spec.actor,
                                  spec.job_id,
                                  spec.fencing_token
                                      ? absl::StrCat(*spec.fencing_token)
                                  : spec.refuse_if_leased ? "-"
                                                          : "",
                                  spec.discard_previous ? "1" : "0",
                                  spec.auto_publish ? "1" : "0",
                                  Ms(now + spec.proposal_ttl),
                                  absl::StrCat(old.size()),
                                  absl::StrCat(spec.proposals.size()),
                                  absl::StrCat(spec.mentors.size()),
                                  absl::StrCat(mentee_ids.size())};
    for (const MatchRecord& o : old) {
      for (std::string key :
           {keys::Match(pool, o.id), keys::MenteeLive(pool, o.mentee),
            keys::MentorLive(pool, o.mentor),
            keys::MemberMatches(pool, o.mentee),
            keys::MemberMatches(pool, o.mentor)}) {
        k.push_back(std::move(key));
      }
      a.insert(a.end(), {o.id, o.mentee, o.mentor});
    }
    for (size_t i = 0; i < spec.proposals.size(); ++i) {
      const Proposal& p = spec.proposals[i];
      for (std::string key :
           {keys::Match(pool, new_ids[i]), keys::MenteeLive(pool, p.mentee),
            keys::MentorLive(pool, p.mentor),
            keys::MemberMatches(pool, p.mentee),
            keys::MemberMatches(pool, p.mentor)}) {
        k.push_back(std::move(key));
      }
      a.insert(a.end(),
               {new_ids[i], p.mentee, p.mentor, absl::StrCat(p.mentee_micros),
                absl::StrCat(p.mentor_micros)});
    }
    for (const MentorCapacity& m : spec.mentors) {
      k.push_back(keys::Member(pool, m.mentor));
      a.insert(a.end(),
               {m.mentor, absl::StrCat(m.version), absl::StrCat(m.capacity)});
    }
    for (const std::string& e : mentee_ids) {
      k.push_back(keys::Member(pool, e));
      a.push_back(e);
    }
    absl::StatusOr<Reply> r = CommitScript().Run(
        *client_, route, CommitScript().Call(k, a), deadline);
    if (!r.ok()) {
      if (Changed(r.status()) && attempt < kMaxRetries &&
          absl::StrContains(r.status().message(), "proposals")) {
        continue;
      }
      return r.status();
    }
    if (!r->is_array() || r->size() != 3) {
      return absl::InternalError("commit: unexpected reply");
    }
    CommitResult out;
    out.auto_published = spec.auto_publish;
    ASSIGN_OR_RETURN(int64_t created, (*r)[0].ToInt64());
    ASSIGN_OR_RETURN(int64_t discarded, (*r)[1].ToInt64());
    out.discarded = static_cast<int>(discarded);
    ReplyView flags = (*r)[2];
    absl::flat_hash_map<std::string, std::string> old_id;  // "e|m" -> id
    for (const MatchRecord& o : old) {
      old_id[absl::StrCat(o.mentee, "|", o.mentor)] = o.id;
    }
    for (size_t i = 0; i < spec.proposals.size() && i < flags.size(); ++i) {
      if (flags[i].integer() == 1) {
        ++out.kept;
        out.ids.push_back(old_id[absl::StrCat(spec.proposals[i].mentee, "|",
                                              spec.proposals[i].mentor)]);
      } else {
        out.created.push_back(new_ids[i]);
        out.ids.push_back(new_ids[i]);
      }
    }
    if (static_cast<int64_t>(out.created.size()) != created) {
      return absl::InternalError("commit: created count disagrees");
    }
    return out;
  }
}

absl::StatusOr<MatchRecord> MatchRepository::Transition(
    absl::string_view pool, absl::string_view match_id,
    const TransitionSpec& spec, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(MatchRecord m, Get(pool, match_id, deadline));
    const std::string key = keys::Match(pool, match_id);
    std::vector<std::string> k = {key,
                                  keys::ProposedMatches(pool),
                                  keys::ActiveMatches(pool),
                                  keys::ExcludedPairs(pool),
                                  keys::MenteeLive(pool, m.mentee),
                                  keys::MentorLive(pool, m.mentor),
                                  keys::Feed(pool),
                                  keys::Audit(pool),
                                  keys::MatchIndex(pool),
                                  keys::MemberMatches(pool, m.mentee),
                                  keys::MemberMatches(pool, m.mentor)};
    std::vector<std::string> a = {spec.op,
                                  Ms(options_.clock()),
                                  absl::StrCat(options_.feed_max_len),
                                  absl::StrCat(options_.audit_max_len),
                                  spec.actor,
                                  m.mentee,
                                  m.mentor,
                                  spec.member,
                                  spec.reason,
                                  spec.exclude ? "1" : "0",
                                  std::string(match_id)};
    absl::StatusOr<Reply> r = TransitionScript().Run(
        *client_, key, TransitionScript().Call(k, a), deadline);
    if (!r.ok()) {
      if (Changed(r.status()) && attempt < kMaxRetries) continue;
      return r.status();
    }
    if (spec.op == "discard") return m;
    return Get(pool, match_id, deadline);
  }
}

absl::StatusOr<int> MatchRepository::Publish(
    absl::string_view pool, const std::vector<std::string>& ids,
    const std::string& actor, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (ids.size() > static_cast<size_t>(kMaxIds)) {
    return absl::InvalidArgumentError("match_ids: at most 10000");
  }
  std::vector<std::string> list = ids;
  const std::string route = keys::ProposedMatches(pool);
  if (list.empty()) {
    ASSIGN_OR_RETURN(
        Reply r,
        client_->Run(route, Command({"ZRANGE", route, "0", "-1"}), deadline));
    if (r.is_error()) return ErrorReplyToStatus(r.str());
    ASSIGN_OR_RETURN(list, r.ToStrings());
    if (list.empty()) return 0;
  }
  std::vector<std::string> k = {route, keys::ActiveMatches(pool),
                                keys::Feed(pool), keys::Audit(pool)};
  std::vector<std::string> a = {Ms(options_.clock()),
                                absl::StrCat(options_.feed_max_len),
                                absl::StrCat(options_.audit_max_len), actor};
  for (const std::string& id : list) {
    RETURN_IF_ERROR(CheckMatchId(id));
    k.push_back(keys::Match(pool, id));
    a.push_back(id);
  }
  ASSIGN_OR_RETURN(
      Reply r, PublishScript().Run(*client_, route, PublishScript().Call(k, a),
                                   deadline));
  ASSIGN_OR_RETURN(int64_t n, r.ToInt64());
  return static_cast<int>(n);
}

absl::StatusOr<int> MatchRepository::Discard(
    absl::string_view pool, const std::vector<std::string>& ids,
    const std::string& actor, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (ids.size() > static_cast<size_t>(kMaxIds)) {
    return absl::InvalidArgumentError("match_ids: at most 10000");
  }
  std::vector<std::string> list = ids;
  if (list.empty()) {
    const std::string route = keys::ProposedMatches(pool);
    ASSIGN_OR_RETURN(
        Reply r,
        client_->Run(route, Command({"ZRANGE", route, "0", "-1"}), deadline));
    if (r.is_error()) return ErrorReplyToStatus(r.str());
    ASSIGN_OR_RETURN(list, r.ToStrings());
  } else {
    // A listed match that is not PROPOSED fails the call before any change.
    ASSIGN_OR_RETURN(std::vector<MatchRecord> found,
                     GetMany(pool, list, deadline));
    if (found.size() != list.size()) {
      return absl::NotFoundError("a listed match was not found");
    }
    for (const MatchRecord& m : found) {
      if (m.state != MatchState::kProposed) {
        return absl::FailedPreconditionError(
            absl::StrCat("match ", m.id, " is not PROPOSED"));
      }
    }
  }
  int n = 0;
  for (const std::string& id : list) {
    absl::StatusOr<MatchRecord> r =
        Transition(pool, id, Op("discard", actor), deadline);
    if (r.ok()) {
      ++n;
    } else if (!absl::IsNotFound(r.status()) &&
               !absl::IsFailedPrecondition(r.status())) {
      return r.status();
    }
  }
  return n;
}

absl::StatusOr<MatchRecord> MatchRepository::CreateManual(
    absl::string_view pool, const Proposal& pair, const MentorCapacity& mentor,
    bool override, const std::string& reason, const std::string& actor,
    absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckMember(pair.mentee, "mentee_id"));
  RETURN_IF_ERROR(CheckMember(pair.mentor, "mentor_id"));
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   AllocateIds(pool, 1, deadline));
  const std::string& id = ids[0];
  std::vector<std::string> k = {keys::Member(pool, pair.mentee),
                                keys::Member(pool, pair.mentor),
                                keys::MenteeLive(pool, pair.mentee),
                                keys::MentorLive(pool, pair.mentor),
                                keys::ExcludedPairs(pool),
                                keys::Match(pool, id),
                                keys::ActiveMatches(pool),
                                keys::MatchIndex(pool),
                                keys::MemberMatches(pool, pair.mentee),
                                keys::MemberMatches(pool, pair.mentor),
                                keys::Feed(pool),
                                keys::Audit(pool)};
  std::vector<std::string> a = {pair.mentee,
                                pair.mentor,
                                id,
                                absl::StrCat(pair.mentee_micros),
                                absl::StrCat(pair.mentor_micros),
                                override ? "1" : "0",
                                absl::StrCat(mentor.version),
                                absl::StrCat(mentor.capacity),
                                Ms(options_.clock()),
                                absl::StrCat(options_.feed_max_len),
                                absl::StrCat(options_.audit_max_len),
                                actor.empty() ? "unauthenticated" : actor,
                                reason};
  ASSIGN_OR_RETURN(
      Reply r,
      ManualScript().Run(*client_, k[0], ManualScript().Call(k, a), deadline));
  (void)r;
  return Get(pool, id, deadline);
}

absl::StatusOr<int> MatchRepository::ExpireDue(absl::string_view pool,
                                               int limit, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  const std::string route = keys::ProposedMatches(pool);
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(route,
                                Command({"ZRANGEBYSCORE", route, "-inf",
                                         Ms(options_.clock()), "LIMIT", "0"})
                                    .AddInt(limit),
                                deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(std::vector<std::string> due, r.ToStrings());
  int n = 0;
  for (const std::string& id : due) {
    absl::StatusOr<MatchRecord> m =
        Transition(pool, id, Op("expire", "system:expiry"), deadline);
    if (m.ok()) {
      ++n;
    } else if (!absl::IsNotFound(m.status()) &&
               !absl::IsFailedPrecondition(m.status())) {
      return m.status();
    }
  }
  return n;
}

absl::StatusOr<int> MatchRepository::EraseMember(absl::string_view pool,
                                                 absl::string_view member,
                                                 absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckMember(member, "id"));
  const std::string by_member = keys::MemberMatches(pool, member);
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(
        Reply r,
        client_->Run(by_member, Command({"ZRANGE", by_member, "0", "-1"}),
                     deadline));
    if (r.is_error()) return ErrorReplyToStatus(r.str());
    ASSIGN_OR_RETURN(std::vector<std::string> ids, r.ToStrings());
    ASSIGN_OR_RETURN(std::vector<MatchRecord> matches,
                     GetMany(pool, ids, deadline));
    absl::flat_hash_map<std::string, const MatchRecord*> by_id;
    for (const MatchRecord& m : matches) by_id[m.id] = &m;
    std::vector<std::string> k = {
        by_member, keys::ExcludedPairs(pool), keys::ActiveMatches(pool),
        keys::ProposedMatches(pool), keys::Feed(pool)};
    std::vector<std::string> a = {std::string(member), Ms(options_.clock()),
                                  absl::StrCat(options_.feed_max_len),
                                  absl::StrCat(ids.size())};
    for (const std::string& id : ids) {
      auto it = by_id.find(id);
      std::string e = it == by_id.end() ? "" : it->second->mentee;
      std::string m = it == by_id.end() ? "" : it->second->mentor;
      k.push_back(keys::Match(pool, id));
      k.push_back(keys::MenteeLive(pool, e));
      k.push_back(keys::MentorLive(pool, m));
      a.insert(a.end(), {id, e, m});
    }
    absl::StatusOr<Reply> out = EraseScript().Run(
        *client_, by_member, EraseScript().Call(k, a), deadline);
    if (!out.ok()) {
      if (Changed(out.status()) && attempt < kMaxRetries) continue;
      return out.status();
    }
    ASSIGN_OR_RETURN(int64_t ended, out->ToInt64());
    return static_cast<int>(ended);
  }
}

absl::StatusOr<LiveCounts> MatchRepository::CountLive(absl::string_view pool,
                                                      absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  const std::string proposed = keys::ProposedMatches(pool);
  const std::vector<Command> cmds = {
      Command({"ZCARD", proposed}),
      Command({"SCARD", keys::ActiveMatches(pool)})};
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client_->Pipeline(proposed, cmds, deadline));
  for (const Reply& r : replies) {
    if (r.is_error()) return ErrorReplyToStatus(r.str());
  }
  LiveCounts out;
  out.proposed = replies[0].integer();
  out.active = replies[1].integer();
  return out;
}

absl::StatusOr<MatchPage> MatchRepository::List(
    absl::string_view pool, absl::string_view member,
    const std::vector<MatchState>& states, int page_size, int64_t offset,
    absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (!member.empty()) RETURN_IF_ERROR(CheckMember(member, "member_id"));
  if (page_size < 1 || page_size > 1000 || offset < 0) {
    return absl::InvalidArgumentError("page_size: must be 1-1000");
  }
  std::string key = member.empty() ? keys::MatchIndex(pool)
                                   : keys::MemberMatches(pool, member);
  ASSIGN_OR_RETURN(auto filtered,
                   internal::ReadFilteredPage<MatchRecord>(
                       *client_, key, offset, page_size, deadline,
                       [&](const std::vector<std::string>& ids) {
                         return GetMany(pool, ids, deadline);
                       },
                       [&states](const MatchRecord& m) {
                         return states.empty() ||
                                std::find(states.begin(), states.end(),
                                          m.state) != states.end();
                       },
                       [](const MatchRecord& m) { return m.id; }));
  MatchPage page;
  page.matches = std::move(filtered.records);
  page.next_offset = filtered.next_offset;
  return page;
}

absl::StatusOr<MatchStateLoad> MatchRepository::LoadState(
    absl::string_view pool, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  const std::string route = keys::ActiveMatches(pool);
  std::vector<Command> cmds = {
      Command({"SMEMBERS", route}),
      Command({"ZRANGE", keys::ProposedMatches(pool), "0", "-1"}),
      Command({"HGETALL", keys::ExcludedPairs(pool)})};
  ASSIGN_OR_RETURN(std::vector<Reply> rs,
                   client_->Pipeline(route, cmds, deadline));
  for (const Reply& r : rs) {
    if (r.is_error()) return ErrorReplyToStatus(r.str());
  }
  ASSIGN_OR_RETURN(std::vector<std::string> active, rs[0].ToStrings());
  ASSIGN_OR_RETURN(std::vector<std::string> proposed, rs[1].ToStrings());
  ASSIGN_OR_RETURN(std::vector<std::string> excluded, rs[2].ToStrings());
  MatchStateLoad out;
  std::vector<std::string> ids = active;
  ids.insert(ids.end(), proposed.begin(), proposed.end());
  // Read in chunks so one pipeline stays bounded.
  for (size_t i = 0; i < ids.size(); i += 5000) {
    std::vector<std::string> chunk(
        ids.begin() + i, ids.begin() + std::min(ids.size(), i + 5000));
    ASSIGN_OR_RETURN(std::vector<MatchRecord> ms,
                     GetMany(pool, chunk, deadline));
    for (const MatchRecord& m : ms) {
      if (m.state != MatchState::kActive && m.state != MatchState::kProposed) {
        continue;
      }
      out.live.push_back(
          {m.id, m.mentee, m.mentor, m.state == MatchState::kActive});
    }
  }
  for (size_t i = 0; i + 1 < excluded.size(); i += 2) {
    std::vector<std::string> pair = absl::StrSplit(excluded[i], '|');
    if (pair.size() != 2) continue;
    int kind = 1;
    (void)absl::SimpleAtoi(excluded[i + 1], &kind);
    out.excluded.push_back({pair[0], pair[1],
                            kind == 2 ? matcher::PairExclusion::kEnded
                                      : matcher::PairExclusion::kDeclined});
  }
  return out;
}

}  // namespace peermatch::store
