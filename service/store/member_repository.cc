#include "service/store/member_repository.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/ids.h"
#include "base/status_macros.h"
#include "service/store/keys.h"
#include "service/store/record_codec.h"
#include "service/store/redis_error.h"
#include "service/store/script.h"

namespace peermatch::store {
namespace {

// How often a write may re-declare keys because the stored block sets named
// members it had not declared (docs/key-schema.md, "declared-key
// handshake"). Declarations accumulate, so every retry declares at least one
// more member than the last and the loop ends within the pool's size; this
// cap only bounds the pathological case of a huge, constantly churning set.
constexpr int kMaxHandshakes = 64;

// Members per upsert script call. One call per member made Redis pay the
// script call's fixed cost for every member (BENCHMARKS.md, "member API");
// 100 per call amortizes it while a call holds Redis for about a
// millisecond, not the tens a 1,000-member call would.
constexpr size_t kScriptMembers = 100;

// The member hash stores the blocked list as field `bl`: the ids, sorted and
// joined by ',' (member ids cannot contain ','). One HMGET therefore reads a
// whole member atomically, without a script; the reverse index rblk:<id> is
// a SET because erasure needs its membership operations server-side.

// Upsert of up to kScriptMembers members in one script call: each member is
// checked and written on its own (all its checks before its first write, so
// an error or handshake answer for one member means nothing of that member
// was written), one change event per member, as separate per-member calls
// would (R-STORE); the call saves Redis the per-call script overhead.
//   KEYS[1] ids  KEYS[2] feed, then per member j: m:<id_j>, and rblk:<x> for
//   each of its n_j new blocked ids and d_j further declared ids
//   ARGV[1] now (Unix ms)  ARGV[2] feed MAXLEN  ARGV[3] members, then per
//   member: id, payload, expected version ('' = any), mentor capacity, role
//   bits, n, d, the n new blocked ids (sorted), the d declared ids
// Returns one reply per member: {1, version, created}; {0, {stored blocked
// ids}} when the stored list names an id whose rblk key was not declared;
// {-1, error} for a version mismatch.
const Script& UpsertScript() {
  static const Script* const kScript = new Script(R"lua(
local count = tonumber(ARGV[3])
local a, k = 4, 3
for j = 1, count do
  local n, d = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
  if n == nil or d == nil then break end
  a = a + 7 + n + d
  k = k + 1 + n + d
end
if #KEYS ~= k - 1 or #ARGV ~= a - 1 then
  return redis.error_reply('ERR upsert: KEYS and ARGV disagree')
end
local function one(mkey, id, payload, expected, cap, roles, n, b0, rblk)
  local h = redis.call('HMGET', mkey, 'v', 'bl')
  local v = 0
  if h[1] then v = tonumber(h[1]) end
  if expected ~= '' and tonumber(expected) ~= v then
    return {-1, 'PM_ABORTED version mismatch: expected ' .. expected ..
                ', stored ' .. v}
  end
  local old = {}
  if h[2] then
    for x in string.gmatch(h[2], '[^,]+') do old[#old + 1] = x end
  end
  for _, x in ipairs(old) do
    if not rblk[x] then return {0, old} end
  end
  local had = {}
  for _, x in ipairs(old) do had[x] = true end
  local keep = {}
  for i = b0, b0 + n - 1 do
    keep[ARGV[i]] = true
    if not had[ARGV[i]] then redis.call('SADD', rblk[ARGV[i]], id) end
  end
  for _, x in ipairs(old) do
    if not keep[x] then redis.call('SREM', rblk[x], id) end
  end
  v = v + 1
  redis.call('HSET', mkey, 'p', payload, 'v', v, 't', ARGV[1], 'bl',
             table.concat(ARGV, ',', b0, b0 + n - 1), 'cap', cap, 'r', roles)
  if not h[1] then redis.call('ZADD', KEYS[1], 0, id) end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*',
             'kind', 'member', 'op', 'upsert', 'id', id, 'v', v)
  if h[1] then return {1, v, 0} end
  return {1, v, 1}
end
local out = {}
a, k = 4, 3
for j = 1, count do
  local n, d = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
  local b0 = a + 7
  local rblk = {}
  for i = 0, n + d - 1 do rblk[ARGV[b0 + i]] = KEYS[k + 1 + i] end
  out[j] = one(KEYS[k], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3],
               ARGV[a + 4], n, b0, rblk)
  a = b0 + n + d
  k = k + 1 + n + d
end
return out
)lua");
  return *kScript;
}

// Delete with erasure, matches included (SPEC §9). The match keys are
// MatchRepository's (keys.h, docs/key-schema.md).
//   KEYS[1] m:<id>  KEYS[2] ids  KEYS[3] rblk:<id>  KEYS[4] feed
//   KEYS[5] audit  KEYS[6] by-member:<id>  KEYS[7] excluded  KEYS[8] active
//   KEYS[9] proposed
//   KEYS[9+j] m:<x_j> for declared blockers j=1..nx
//   KEYS[9+nx+k] rblk:<y_k> for declared blocked ids k=1..ny
//   KEYS[9+nx+ny+3i-2 .. 9+nx+ny+3i] match:<mid_i>, live-mentee:<e_i>,
//   live-mentor:<m_i> for declared matches i=1..nm
//   ARGV[1] id  ARGV[2] expected version ('' = any)  ARGV[3] now (Unix ms)
//   ARGV[4] feed MAXLEN  ARGV[5] audit MAXLEN  ARGV[6] actor ('' = no audit)
//   ARGV[7] nx  ARGV[8] ny  ARGV[9] nm  then x_j, y_k, and (mid_i, e_i, m_i)
// Returns {1, deleted version, erased block entries, matches ended} or, when
// a stored list names an undeclared member or match (or a declared match
// names other members than declared), {0, {blockers}, {blocked}} without
// writing.
const Script& DeleteScript() {
  static const Script* const kScript = new Script(R"lua(
local nx, ny, nm = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
if #KEYS ~= 9 + nx + ny + 3 * nm or #ARGV ~= 9 + nx + ny + 3 * nm then
  return redis.error_reply('ERR delete: KEYS and ARGV disagree')
end
local id = ARGV[1]
local h = redis.call('HMGET', KEYS[1], 'v', 'bl')
if not h[1] then
  return redis.error_reply('PM_NOT_FOUND member not found')
end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= tonumber(h[1]) then
  return redis.error_reply('PM_ABORTED version mismatch: expected ' ..
                           ARGV[2] .. ', stored ' .. h[1])
end
local member_key = {}
for j = 1, nx do member_key[ARGV[9 + j]] = KEYS[9 + j] end
local rblk = {}
for k = 1, ny do rblk[ARGV[9 + nx + k]] = KEYS[9 + nx + k] end
local dm = {}
for i = 1, nm do
  local a, k = 9 + nx + ny + 3 * (i - 1), 9 + nx + ny + 3 * (i - 1)
  dm[ARGV[a + 1]] = {key = KEYS[k + 1], kle = KEYS[k + 2], klm = KEYS[k + 3],
                     e = ARGV[a + 2], m = ARGV[a + 3]}
end
local blockers = redis.call('SMEMBERS', KEYS[3])
local blocked = {}
if h[2] then
  for y in string.gmatch(h[2], '[^,]+') do blocked[#blocked + 1] = y end
end
local stale = false
for _, x in ipairs(blockers) do
  if x ~= id and not member_key[x] then stale = true end
end
for _, y in ipairs(blocked) do
  if y ~= id and not rblk[y] then stale = true end
end
local mids = redis.call('ZRANGE', KEYS[6], 0, -1)
local recs = {}
for _, mid in ipairs(mids) do
  local d = dm[mid]
  if not d then
    stale = true
  else
    local r = redis.call('HMGET', d.key, 'e', 'm', 's', 'ex')
    if r[3] then
      if r[1] ~= d.e or r[2] ~= d.m then stale = true end
      recs[#recs + 1] = {mid, d, r}
    end
  end
end
if stale then return {0, blockers, blocked} end
local now = ARGV[3]
local erased = 0
for _, x in ipairs(blockers) do
  local xl = nil
  if x ~= id then xl = redis.call('HGET', member_key[x], 'bl') end
  if xl then
    local rest = {}
    for y in string.gmatch(xl, '[^,]+') do
      if y ~= id then rest[#rest + 1] = y end
    end
    erased = erased + 1
    local xv = redis.call('HINCRBY', member_key[x], 'v', 1)
    redis.call('HSET', member_key[x], 't', now, 'bl', table.concat(rest, ','))
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*',
               'kind', 'member', 'op', 'upsert', 'id', x, 'v', xv)
  end
end
for _, y in ipairs(blocked) do
  if y ~= id then redis.call('SREM', rblk[y], id) end
end
-- Matches: live ones end (capacity and the mentee's slot freed); every
-- record loses the id and any free text (a decline reason may be the
-- member's own words); pairs excluded through these records are dropped.
local ended = 0
for _, rec in ipairs(recs) do
  local mid, d, r = rec[1], rec[2], rec[3]
  local v = redis.call('HINCRBY', d.key, 'v', 1)
  if r[3] == '1' or r[3] == '2' then
    redis.call('ZREM', KEYS[9], mid)
    redis.call('SREM', KEYS[8], mid)
    if redis.call('GET', d.kle) == mid then redis.call('DEL', d.kle) end
    redis.call('SREM', d.klm, mid)
    redis.call('HSET', d.key, 's', 4, 'er', 'member_deleted')
    redis.call('HDEL', d.key, 'xt')
    ended = ended + 1
  else
    if r[3] == '3' or r[4] == '1' then
      redis.call('HDEL', KEYS[7], r[1] .. '|' .. r[2])
    end
    redis.call('HSET', d.key, 'er', '')
  end
  redis.call('HSET', d.key, 'ut', now)
  redis.call('HDEL', d.key, 'or')  -- free text about the pair
  if r[1] == id then redis.call('HSET', d.key, 'e', '') end
  if r[2] == id then redis.call('HSET', d.key, 'm', '') end
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*',
             'kind', 'match', 'op', 'erased', 'id', mid, 'v', v)
end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[6])
redis.call('ZREM', KEYS[2], id)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*',
           'kind', 'member', 'op', 'delete', 'id', id, 'v', h[1])
if ARGV[6] ~= '' then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*',
             'action', 'member.delete', 'actor', ARGV[6], 'id', id,
             'matches_ended', ended, 't', now)
end
return {1, tonumber(h[1]), erased, ended}
)lua");
  return *kScript;
}

absl::Status CheckMemberId(absl::string_view id, absl::string_view field) {
  return base::ValidateMemberId(id, field);
}

absl::Status CheckExpectedVersion(const std::optional<int64_t>& v) {
  if (v.has_value() && *v < 0) {
    return absl::InvalidArgumentError("expected_version: must be >= 0");
  }
  return absl::OkStatus();
}

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// A validated write plus what the handshake has learned.
struct PreparedWrite {
  const MemberWrite* write = nullptr;
  std::string payload;                // the profile, encoded
  std::vector<std::string> blocked;   // sorted, unique
  std::vector<std::string> declared;  // further rblk keys to declare
  int handshakes = 0;
};

absl::StatusOr<PreparedWrite> Prepare(const MemberWrite& w,
                                      size_t max_payload_bytes) {
  const matcher::MemberProfile& m = w.profile;
  RETURN_IF_ERROR(CheckMemberId(m.id, "id"));
  RETURN_IF_ERROR(CheckExpectedVersion(w.expected_version));
  if (m.mentor_capacity < 0 ||
      m.mentor_capacity > MemberRepository::kMaxMentorCapacity) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mentor_capacity: must be 0..", MemberRepository::kMaxMentorCapacity));
  }
  if ((m.roles & ~kRoleBitsAll) != 0) {
    return absl::InvalidArgumentError(
        "roles: only the bits of roles 1-4 may be set");
  }
  PreparedWrite p;
  p.write = &w;
  p.payload = EncodeMember(m);
  if (p.payload.size() > max_payload_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload: larger than ", max_payload_bytes, " bytes"));
  }
  p.blocked = m.blocked;
  SortUnique(p.blocked);
  if (p.blocked.size() > static_cast<size_t>(MemberRepository::kMaxBlocked)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "blocked: more than ", MemberRepository::kMaxBlocked, " ids"));
  }
  for (size_t i = 0; i < m.blocked.size(); ++i) {
    RETURN_IF_ERROR(
        CheckMemberId(m.blocked[i], absl::StrCat("blocked[", i, "]")));
    if (m.blocked[i] == m.id) {
      return absl::InvalidArgumentError(
          absl::StrCat("blocked[", i, "]: a member cannot block itself"));
    }
  }
  return p;
}

// One script call for `batch` (indices into `prepared`).
Command UpsertCall(absl::string_view pool,
                   const std::vector<PreparedWrite>& prepared,
                   absl::Span<const size_t> batch, int64_t now_ms,
                   int64_t feed_max_len) {
  size_t num_keys = 2, num_args = 3;
  for (size_t i : batch) {
    const size_t declared =
        prepared[i].blocked.size() + prepared[i].declared.size();
    num_keys += 1 + declared;
    num_args += 7 + declared;
  }
  Command c = UpsertScript().Begin(static_cast<int>(num_keys));
  c.Reserve(3 + num_keys + num_args);
  c.Add(keys::MemberIds(pool)).Add(keys::Feed(pool));
  for (size_t i : batch) {
    const PreparedWrite& p = prepared[i];
    c.Add(keys::Member(pool, p.write->profile.id));
    for (const std::string& y : p.blocked) c.Add(keys::BlockedBy(pool, y));
    for (const std::string& y : p.declared) c.Add(keys::BlockedBy(pool, y));
  }
  c.AddInt(now_ms)
      .AddInt(feed_max_len)
      .AddInt(static_cast<int64_t>(batch.size()));
  for (size_t i : batch) {
    const PreparedWrite& p = prepared[i];
    const MemberWrite& w = *p.write;
    c.Add(w.profile.id).Add(p.payload);
    if (w.expected_version.has_value()) {
      c.AddInt(*w.expected_version);
    } else {
      c.Add("");
    }
    c.AddInt(w.profile.mentor_capacity)
        .AddInt(w.profile.roles)
        .AddInt(static_cast<int64_t>(p.blocked.size()))
        .AddInt(static_cast<int64_t>(p.declared.size()));
    c.AddAll(p.blocked);
    c.AddAll(p.declared);
  }
  return c;
}

// Interprets an upsert reply: a result, or nullopt after recording in `p`
// which further keys to declare.
absl::StatusOr<std::optional<UpsertResult>> ParseUpsert(const ReplyView& r,
                                                        PreparedWrite& p) {
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  if (!r.is_array() || r.size() < 2 || !r[0].is_integer()) {
    return absl::InternalError("upsert: unexpected reply " + r.Describe());
  }
  if (r[0].integer() == -1) return ErrorReplyToStatus(r[1].str());
  if (r[0].integer() == 1) {
    UpsertResult out;
    ASSIGN_OR_RETURN(out.version, r[1].ToInt64());
    ASSIGN_OR_RETURN(int64_t created, r[2].ToInt64());
    out.created = created == 1;
    return std::optional<UpsertResult>(out);
  }
  // Declare what was found on top of what was declared before: declaring
  // more than needed is harmless, and a set that other writers keep changing
  // converges instead of chasing each change.
  ASSIGN_OR_RETURN(std::vector<std::string> stored, r[1].ToStrings());
  for (std::string& x : stored) {
    if (!std::binary_search(p.blocked.begin(), p.blocked.end(), x)) {
      p.declared.push_back(std::move(x));
    }
  }
  SortUnique(p.declared);
  ++p.handshakes;
  return std::optional<UpsertResult>();
}

// The member from `HMGET m:<id> p v t bl`, or nullopt when it does not
// exist. DATA_LOSS when its payload cannot be decoded.
absl::StatusOr<std::optional<MemberRecord>> ParseRecord(absl::string_view id,
                                                        const ReplyView& r) {
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  if (!r.is_array() || r.size() != 4) {
    return absl::InternalError("read: unexpected reply " + r.Describe());
  }
  if (r[1].is_nil()) return std::optional<MemberRecord>();
  MemberRecord m;
  m.profile.id = std::string(id);
  ASSIGN_OR_RETURN(m.version, r[1].ToInt64());
  ASSIGN_OR_RETURN(int64_t ms, r[2].ToInt64());
  m.update_time = absl::FromUnixMillis(ms);
  m.profile.blocked = absl::StrSplit(r[3].str(), ',', absl::SkipEmpty());
  std::sort(m.profile.blocked.begin(), m.profile.blocked.end());
  absl::Status decoded = DecodeMember(r[0].str(), &m.profile);
  if (!decoded.ok()) {
    return absl::DataLossError(
        absl::StrCat("member ", id, ": ", decoded.message()));
  }
  return std::optional<MemberRecord>(std::move(m));
}

// The records of `ids` that exist, in the order of `ids`: one pipeline of
// HMGETs (each atomic, so no half-written member is ever seen).
absl::StatusOr<std::vector<MemberRecord>> ReadMany(
    RedisClient& client, absl::string_view pool,
    absl::Span<const std::string> ids, absl::Time deadline) {
  std::vector<MemberRecord> out;
  if (ids.empty()) return out;
  std::vector<Command> reads;
  reads.reserve(ids.size());
  for (const std::string& id : ids) {
    reads.push_back(
        Command({"HMGET", keys::Member(pool, id), "p", "v", "t", "bl"}));
  }
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client.Pipeline(keys::MemberIds(pool), reads, deadline));
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSIGN_OR_RETURN(std::optional<MemberRecord> m,
                     ParseRecord(ids[i], replies[i]));
    if (m.has_value()) out.push_back(*std::move(m));  // else deleted meanwhile
  }
  return out;
}

// Up to `limit` ids > `after` ("" = from the start) in byte order, and the
// pool's member count.
absl::StatusOr<std::pair<std::vector<std::string>, int64_t>> ScanIds(
    RedisClient& client, absl::string_view pool, absl::string_view after,
    int limit, absl::Time deadline) {
  const std::string ids_key = keys::MemberIds(pool);
  Command range({"ZRANGE", ids_key,
                 after.empty() ? std::string("-") : absl::StrCat("(", after),
                 "+", "BYLEX", "LIMIT", "0"});
  range.AddInt(limit);
  const std::vector<Command> cmds = {std::move(range),
                                     Command({"ZCARD", ids_key})};
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client.Pipeline(ids_key, cmds, deadline));
  for (const Reply& r : replies) {
    if (r.is_error()) return ErrorReplyToStatus(r.str());
  }
  ASSIGN_OR_RETURN(std::vector<std::string> ids, replies[0].ToStrings());
  return std::make_pair(std::move(ids), replies[1].integer());
}

}  // namespace

MemberRepository::MemberRepository(RedisClient* client,
                                   MemberRepositoryOptions options)
    : client_(client),
      options_(std::move(options)),
      registry_(client),
      feed_(client) {}

absl::StatusOr<UpsertResult> MemberRepository::Upsert(absl::string_view pool,
                                                      const MemberWrite& write,
                                                      absl::Time deadline) {
  ASSIGN_OR_RETURN(std::vector<absl::StatusOr<UpsertResult>> results,
                   BatchUpsert(pool, absl::MakeConstSpan(&write, 1), deadline));
  return std::move(results[0]);
}

absl::StatusOr<std::vector<absl::StatusOr<UpsertResult>>>
MemberRepository::BatchUpsert(absl::string_view pool,
                              absl::Span<const MemberWrite> writes,
                              absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (writes.size() > static_cast<size_t>(kMaxBatch)) {
    return absl::InvalidArgumentError(
        absl::StrCat("members: more than ", kMaxBatch, " in one batch"));
  }
  std::vector<absl::StatusOr<UpsertResult>> results(
      writes.size(), absl::InternalError("upsert: not run"));
  std::vector<PreparedWrite> prepared(writes.size());
  std::vector<size_t> pending;
  for (size_t i = 0; i < writes.size(); ++i) {
    absl::StatusOr<PreparedWrite> p =
        Prepare(writes[i], options_.max_payload_bytes);
    if (p.ok()) {
      prepared[i] = *std::move(p);
      pending.push_back(i);
    } else {
      results[i] = p.status();
    }
  }
  if (pending.empty()) return results;
  RETURN_IF_ERROR(registry_.Register(pool, deadline));
  const int64_t now_ms = absl::ToUnixMillis(options_.clock());

  // Each round sends, in batch order, the earliest pending write of every
  // id; a later write to the same id waits for the next round, so writes to
  // one id apply in batch order even when an earlier one needs a handshake.
  while (!pending.empty()) {
    std::vector<size_t> round;
    std::vector<size_t> later;
    absl::flat_hash_set<absl::string_view> ids_in_round;
    for (size_t i : pending) {
      if (ids_in_round.insert(writes[i].profile.id).second) {
        round.push_back(i);
      } else {
        later.push_back(i);
      }
    }
    // One script call per kScriptMembers writes, pipelined: fewer calls
    // for Redis to run, while no call holds Redis for long.
    std::vector<Command> calls;
    for (size_t from = 0; from < round.size(); from += kScriptMembers) {
      const size_t len = std::min(kScriptMembers, round.size() - from);
      calls.push_back(UpsertCall(pool, prepared,
                                 absl::MakeConstSpan(round).subspan(from, len),
                                 now_ms, options_.feed_max_len));
    }
    ASSIGN_OR_RETURN(std::vector<Reply> replies,
                     UpsertScript().RunPipeline(*client_, keys::MemberIds(pool),
                                                calls, deadline));
    std::vector<size_t> retry;
    for (size_t j = 0; j < round.size(); ++j) {
      const size_t i = round[j];
      const Reply& call_reply = replies[j / kScriptMembers];
      absl::StatusOr<std::optional<UpsertResult>> r;
      if (call_reply.is_error()) {
        r = ErrorReplyToStatus(call_reply.str());
      } else if (!call_reply.is_array() ||
                 call_reply.size() <= j % kScriptMembers) {
        r = absl::InternalError("upsert: unexpected reply " +
                                call_reply.Describe());
      } else {
        r = ParseUpsert(call_reply[j % kScriptMembers], prepared[i]);
      }
      if (!r.ok()) {
        results[i] = r.status();
      } else if (r->has_value()) {
        results[i] = **r;
        results[i]->update_time = absl::FromUnixMillis(now_ms);
      } else if (prepared[i].handshakes >= kMaxHandshakes) {
        results[i] = absl::AbortedError(
            "blocked list changed concurrently too often; retry");
      } else {
        retry.push_back(i);
      }
    }
    // Keep batch order among what is left.
    pending.clear();
    std::merge(retry.begin(), retry.end(), later.begin(), later.end(),
               std::back_inserter(pending));
  }
  return results;
}

absl::StatusOr<MemberRecord> MemberRepository::Get(absl::string_view pool,
                                                   absl::string_view id,
                                                   absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckMemberId(id, "id"));
  const std::string ids[] = {std::string(id)};
  ASSIGN_OR_RETURN(std::vector<MemberRecord> found,
                   ReadMany(*client_, pool, ids, deadline));
  if (found.empty()) return absl::NotFoundError("member not found");
  return std::move(found[0]);
}

absl::StatusOr<MemberPage> MemberRepository::List(absl::string_view pool,
                                                  int page_size,
                                                  absl::string_view after_id,
                                                  absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be 1..", kMaxPageSize));
  }
  if (!after_id.empty()) RETURN_IF_ERROR(CheckMemberId(after_id, "after_id"));
  ASSIGN_OR_RETURN(auto scanned,
                   ScanIds(*client_, pool, after_id, page_size, deadline));
  MemberPage page;
  page.total_count = scanned.second;
  const std::vector<std::string>& ids = scanned.first;
  ASSIGN_OR_RETURN(page.members, ReadMany(*client_, pool, ids, deadline));
  if (ids.size() == static_cast<size_t>(page_size)) {
    page.next_after_id = ids.back();
  }
  return page;
}

namespace {

// The member's matches with the ids each names (the keys the delete script
// must declare): ZRANGE by-member, then one pipeline of HMGET e m. A record
// that vanished meanwhile is declared with empty ids; the script re-checks
// everything.
struct MatchDeclaration {
  std::string id;
  std::string mentee;
  std::string mentor;
};

absl::StatusOr<std::vector<MatchDeclaration>> ReadMatchDeclarations(
    RedisClient& client, absl::string_view pool, absl::string_view member,
    absl::Time deadline) {
  const std::string by_member = keys::MemberMatches(pool, member);
  ASSIGN_OR_RETURN(
      Reply r, client.Run(by_member, Command({"ZRANGE", by_member, "0", "-1"}),
                          deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(std::vector<std::string> ids, r.ToStrings());
  std::vector<MatchDeclaration> out;
  if (ids.empty()) return out;
  std::vector<Command> reads;
  reads.reserve(ids.size());
  for (const std::string& mid : ids) {
    reads.push_back(Command({"HMGET", keys::Match(pool, mid), "e", "m"}));
  }
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client.Pipeline(by_member, reads, deadline));
  out.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (replies[i].is_error()) return ErrorReplyToStatus(replies[i].str());
    out.push_back({std::move(ids[i]), std::string(replies[i][0].str()),
                   std::string(replies[i][1].str())});
  }
  return out;
}

}  // namespace

absl::StatusOr<DeleteResult> MemberRepository::Delete(
    absl::string_view pool, absl::string_view id, const DeleteOptions& options,
    absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckMemberId(id, "id"));
  RETURN_IF_ERROR(CheckExpectedVersion(options.expected_version));
  if (!options.actor.empty())
    RETURN_IF_ERROR(CheckMemberId(options.actor, "actor"));
  const int64_t now_ms = absl::ToUnixMillis(options_.clock());
  std::vector<std::string> blockers;  // declared: members that block `id`
  std::vector<std::string> blocked;   // declared: members `id` blocks
  for (int attempt = 0; attempt <= kMaxHandshakes; ++attempt) {
    // Matches are re-read every round (cheap; deletes are rare), so a
    // record that changed under the last round is declared correctly now.
    ASSIGN_OR_RETURN(std::vector<MatchDeclaration> matches,
                     ReadMatchDeclarations(*client_, pool, id, deadline));
    const int nx = static_cast<int>(blockers.size());
    const int ny = static_cast<int>(blocked.size());
    const int nm = static_cast<int>(matches.size());
    Command c = DeleteScript().Begin(9 + nx + ny + 3 * nm);
    c.Reserve(3 + 2 * (9 + nx + ny + 3 * nm));
    const std::string match_key_placeholder = keys::MemberMatches(pool, id);
    c.Add(keys::Member(pool, id))
        .Add(keys::MemberIds(pool))
        .Add(keys::BlockedBy(pool, id))
        .Add(keys::Feed(pool))
        .Add(keys::Audit(pool))
        .Add(match_key_placeholder)
        .Add(keys::ExcludedPairs(pool))
        .Add(keys::ActiveMatches(pool))
        .Add(keys::ProposedMatches(pool));
    for (const std::string& x : blockers) c.Add(keys::Member(pool, x));
    for (const std::string& y : blocked) c.Add(keys::BlockedBy(pool, y));
    for (const MatchDeclaration& m : matches) {
      // A blanked id (the other member was erased before) names no key; the
      // script only touches the live slots of live matches, which always
      // name both members, so any key of the pool's slot may stand in.
      c.Add(keys::Match(pool, m.id))
          .Add(m.mentee.empty() ? match_key_placeholder
                                : keys::MenteeLive(pool, m.mentee))
          .Add(m.mentor.empty() ? match_key_placeholder
                                : keys::MentorLive(pool, m.mentor));
    }
    c.Add(id);
    if (options.expected_version.has_value()) {
      c.AddInt(*options.expected_version);
    } else {
      c.Add("");
    }
    c.AddInt(now_ms)
        .AddInt(options_.feed_max_len)
        .AddInt(options_.audit_max_len)
        .Add(options.actor)
        .AddInt(nx)
        .AddInt(ny)
        .AddInt(nm);
    c.AddAll(blockers);
    c.AddAll(blocked);
    for (const MatchDeclaration& m : matches) {
      c.Add(m.id).Add(m.mentee).Add(m.mentor);
    }
    ASSIGN_OR_RETURN(
        Reply r,
        DeleteScript().Run(*client_, keys::MemberIds(pool), c, deadline));
    if (!r.is_array() || r.size() < 3 || !r[0].is_integer()) {
      return absl::InternalError("delete: unexpected reply " + r.Describe());
    }
    if (r[0].integer() == 1) {
      DeleteResult out;
      ASSIGN_OR_RETURN(out.version, r[1].ToInt64());
      ASSIGN_OR_RETURN(out.erased_block_entries, r[2].ToInt64());
      ASSIGN_OR_RETURN(out.matches_ended, r[3].ToInt64());
      return out;
    }
    // Accumulate, as in ParseUpsert.
    ASSIGN_OR_RETURN(std::vector<std::string> found_blockers, r[1].ToStrings());
    ASSIGN_OR_RETURN(std::vector<std::string> found_blocked, r[2].ToStrings());
    for (std::string& x : found_blockers) {
      if (x != id) blockers.push_back(std::move(x));
    }
    for (std::string& y : found_blocked) {
      if (y != id) blocked.push_back(std::move(y));
    }
    SortUnique(blockers);
    SortUnique(blocked);
  }
  return absl::AbortedError(
      "block lists or matches changed concurrently too often; retry");
}

absl::StatusOr<PoolLoad> MemberRepository::LoadAll(absl::string_view pool,
                                                   absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  PoolLoad load;
  ASSIGN_OR_RETURN(load.feed_position, feed_.Position(pool, deadline));
  const int per_round = std::max(1, options_.load_ids_per_round);
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(auto scanned,
                     ScanIds(*client_, pool, after, per_round, deadline));
    const std::vector<std::string>& ids = scanned.first;
    if (load.members.empty()) load.members.reserve(scanned.second);
    ASSIGN_OR_RETURN(std::vector<MemberRecord> records,
                     ReadMany(*client_, pool, ids, deadline));
    for (MemberRecord& m : records) load.members.push_back(std::move(m));
    if (ids.size() < static_cast<size_t>(per_round)) break;
    after = ids.back();
  }
  return load;
}

}  // namespace peermatch::store
