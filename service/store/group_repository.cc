#include "service/store/group_repository.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/ids.h"
#include "base/status_macros.h"
#include "service/store/internal/paging.h"
#include "service/store/keys.h"
#include "service/store/record_codec.h"
#include "service/store/redis_error.h"
#include "service/store/script.h"

namespace peermatch::store {
namespace {

absl::Status CheckGroupId(absl::string_view id) {
  if (!id.empty() && id.size() <= 32 && id[0] == 'g' &&
      std::all_of(id.begin() + 1, id.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::OkStatus();
  }
  return absl::NotFoundError("group not found");
}

std::string Ms(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

const char* KindName(GroupOp::Kind k) {
  switch (k) {
    case GroupOp::Kind::kCreate:
      return "create";
    case GroupOp::Kind::kUpdate:
      return "update";
    case GroupOp::Kind::kDissolve:
      return "dissolve";
    case GroupOp::Kind::kDelete:
      return "delete";
  }
  return "";
}

// KEYS[1] live  [2] idx  [3] feed  [4] audit  [5] lease; one per op (the
// group); one per member mapping (member-group).
// ARGV[1] now  [2] feed maxlen  [3] audit maxlen  [4] actor  [5] job
// [6] token, '-' (refuse while a job holds the lease) or ''  [7] check live [8]
// n_live  [9] n_ops  [10] n_map; live ids; 7 per op (kind, id, expected v,
// state, members, payload, reason); 2 per mapping (member, group id or '').
const Script& ApplyScript() {
  static const Script* const kScript = new Script(R"lua(
local now = ARGV[1]
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local l = redis.call('HMGET', KEYS[5], 'token', 'exp')
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
local n_live, n_ops, n_map = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local a = 10
if ARGV[7] == '1' then
  if redis.call('SCARD', KEYS[1]) ~= n_live then
    return redis.error_reply('PM_ABORTED groups changed')
  end
  for i = 1, n_live do
    if redis.call('SISMEMBER', KEYS[1], ARGV[a + i]) == 0 then
      return redis.error_reply('PM_ABORTED groups changed')
    end
  end
end
a = a + n_live
local ops = {}
for i = 1, n_ops do
  local o = {kind = ARGV[a + 1], id = ARGV[a + 2], v = ARGV[a + 3],
             s = ARGV[a + 4], mem = ARGV[a + 5], p = ARGV[a + 6],
             r = ARGV[a + 7], key = KEYS[5 + i]}
  a = a + 7
  if o.kind ~= 'create' then
    local h = redis.call('HMGET', o.key, 'v', 's')
    if not h[1] or h[1] ~= o.v or (h[2] ~= '1' and h[2] ~= '2') then
      return redis.error_reply('PM_ABORTED group changed: ' .. o.id)
    end
  end
  ops[#ops + 1] = o
end
local function feed(op, id, v)
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'kind', 'group',
             'op', op, 'id', id, 'v', v)
end
for _, o in ipairs(ops) do
  if o.kind == 'create' then
    redis.call('HSET', o.key, 's', o.s, 'mem', o.mem, 'p', o.p, 'v', 1,
               'ct', now, 'ut', now, 'j', ARGV[5], 'dr', '')
    redis.call('SADD', KEYS[1], o.id)
    redis.call('ZADD', KEYS[2], now, o.id)
    feed('created', o.id, 1)
  elseif o.kind == 'update' then
    local v = redis.call('HINCRBY', o.key, 'v', 1)
    redis.call('HSET', o.key, 's', o.s, 'mem', o.mem, 'p', o.p, 'ut', now)
    feed('updated', o.id, v)
  elseif o.kind == 'dissolve' then
    local v = redis.call('HINCRBY', o.key, 'v', 1)
    redis.call('HSET', o.key, 's', 3, 'mem', o.mem, 'dr', o.r, 'ut', now)
    redis.call('SREM', KEYS[1], o.id)
    feed('dissolved', o.id, v)
  elseif o.kind == 'delete' then
    redis.call('DEL', o.key)
    redis.call('SREM', KEYS[1], o.id)
    redis.call('ZREM', KEYS[2], o.id)
    feed('deleted', o.id, 0)
  else
    return redis.error_reply('PM_INVALID_ARGUMENT unknown group op')
  end
end
local k = 5 + n_ops
for i = 1, n_map do
  local gid = ARGV[a + 2]
  if gid == '' then
    redis.call('DEL', KEYS[k + i])
  else
    redis.call('SET', KEYS[k + i], gid)
  end
  a = a + 2
end
if ARGV[4] ~= '' and n_ops > 0 then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'action',
             'groups.apply', 'actor', ARGV[4], 'job', ARGV[5], 'ops', n_ops,
             't', now)
end
return n_ops
)lua");
  return *kScript;
}

Command GroupHmget(absl::string_view pool, absl::string_view id) {
  return Command({"HMGET", keys::Group(pool, id), "s", "mem", "p", "dr", "j",
                  "v", "ct", "ut"});
}

absl::StatusOr<GroupRecord> ParseGroup(absl::string_view id,
                                       const ReplyView& r) {
  if (!r.is_array() || r.size() != 8) {
    return absl::InternalError("group: unexpected HMGET reply");
  }
  if (r[0].is_nil()) return absl::NotFoundError("group not found");
  auto num = [&](size_t i) -> int64_t {
    int64_t v = 0;
    if (!r[i].is_nil()) (void)absl::SimpleAtoi(r[i].str(), &v);
    return v;
  };
  GroupRecord g;
  g.id = std::string(id);
  g.state = static_cast<GroupState>(num(0));
  g.members = absl::StrSplit(r[1].str(), ',', absl::SkipEmpty());
  absl::StatusOr<GroupDetails> details = DecodeGroupDetails(r[2].str());
  if (!details.ok()) {
    return absl::DataLossError(
        absl::StrCat("group ", id, ": ", details.status().message()));
  }
  g.details = *std::move(details);
  g.dissolve_reason = std::string(r[3].str());
  g.job_id = std::string(r[4].str());
  g.version = num(5);
  g.create_time = absl::FromUnixMillis(num(6));
  g.update_time = absl::FromUnixMillis(num(7));
  return g;
}

}  // namespace

std::vector<std::string> GroupSnapshot::ids() const {
  std::vector<std::string> out;
  out.reserve(groups.size());
  for (const GroupRecord& g : groups) out.push_back(g.id);
  return out;
}

absl::StatusOr<std::vector<GroupRecord>> GroupRepository::GetMany(
    absl::string_view pool, const std::vector<std::string>& ids,
    absl::Time deadline) {
  std::vector<GroupRecord> out;
  if (ids.empty()) return out;
  std::vector<Command> cmds;
  for (const std::string& id : ids) cmds.push_back(GroupHmget(pool, id));
  ASSIGN_OR_RETURN(std::vector<Reply> rs,
                   client_->Pipeline(keys::GroupIndex(pool), cmds, deadline));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (rs[i].is_error()) return ErrorReplyToStatus(rs[i].str());
    absl::StatusOr<GroupRecord> g = ParseGroup(ids[i], rs[i]);
    if (absl::IsNotFound(g.status())) continue;
    if (!g.ok()) return g.status();
    out.push_back(*std::move(g));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> GroupRepository::Apply(
    absl::string_view pool, const GroupChangeSet& changes,
    absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  int creates = 0;
  for (const GroupOp& op : changes.ops) {
    if (op.kind == GroupOp::Kind::kCreate) {
      ++creates;
    } else {
      RETURN_IF_ERROR(CheckGroupId(op.id));
    }
    for (const std::string& m : op.members) {
      if (!base::IsValidMemberId(m)) {
        return absl::InvalidArgumentError("group member: not a member id");
      }
    }
  }
  std::vector<std::string> new_ids;
  if (creates > 0) {
    std::string seq = keys::GroupSeq(pool);
    ASSIGN_OR_RETURN(
        Reply r,
        client_->Run(seq, Command({"INCRBY", seq}).AddInt(creates), deadline));
    if (r.is_error()) return ErrorReplyToStatus(r.str());
    ASSIGN_OR_RETURN(int64_t last, r.ToInt64());
    for (int64_t i = last - creates + 1; i <= last; ++i) {
      new_ids.push_back(absl::StrCat("g", i));
    }
  }
  // Final live group of every member the ops touch: the last op naming the
  // member wins; members only in dissolved/deleted groups are released.
  absl::flat_hash_map<std::string, std::string> mapping;
  std::vector<std::string> mapping_order;
  auto map = [&](const std::string& member, const std::string& gid) {
    auto [it, inserted] = mapping.try_emplace(member, gid);
    if (inserted) {
      mapping_order.push_back(member);
    } else if (!gid.empty()) {
      it->second = gid;
    }
  };
  std::vector<std::string> op_ids;
  size_t next_new = 0;
  for (const GroupOp& op : changes.ops) {
    std::string id =
        op.kind == GroupOp::Kind::kCreate ? new_ids[next_new++] : op.id;
    op_ids.push_back(id);
  }
  // Releases first, so a member moving between groups ends up mapped.
  for (const std::string& m : changes.release) map(m, "");
  for (size_t i = 0; i < changes.ops.size(); ++i) {
    const GroupOp& op = changes.ops[i];
    if (op.kind == GroupOp::Kind::kDissolve ||
        op.kind == GroupOp::Kind::kDelete) {
      for (const std::string& m : op.members) map(m, "");
    }
  }
  for (size_t i = 0; i < changes.ops.size(); ++i) {
    const GroupOp& op = changes.ops[i];
    if (op.kind == GroupOp::Kind::kCreate ||
        op.kind == GroupOp::Kind::kUpdate) {
      for (const std::string& m : op.members) map(m, op_ids[i]);
    }
  }
  const std::string live = keys::LiveGroups(pool);
  std::vector<std::string> k = {live, keys::GroupIndex(pool), keys::Feed(pool),
                                keys::Audit(pool), keys::JobLease(pool)};
  const std::vector<std::string> expected =
      changes.expected_live.value_or(std::vector<std::string>{});
  std::vector<std::string> a = {Ms(options_.clock()),
                                absl::StrCat(options_.feed_max_len),
                                absl::StrCat(options_.audit_max_len),
                                changes.actor,
                                changes.job_id,
                                changes.fencing_token
                                    ? absl::StrCat(*changes.fencing_token)
                                : changes.refuse_if_leased ? "-"
                                                           : "",
                                changes.expected_live ? "1" : "0",
                                absl::StrCat(expected.size()),
                                absl::StrCat(changes.ops.size()),
                                absl::StrCat(mapping_order.size())};
  a.insert(a.end(), expected.begin(), expected.end());
  for (size_t i = 0; i < changes.ops.size(); ++i) {
    const GroupOp& op = changes.ops[i];
    k.push_back(keys::Group(pool, op_ids[i]));
    std::vector<std::string> members = op.members;
    std::sort(members.begin(), members.end());
    a.insert(
        a.end(),
        {KindName(op.kind), op_ids[i], absl::StrCat(op.expected_version),
         absl::StrCat(static_cast<int>(op.state)), absl::StrJoin(members, ","),
         op.kind == GroupOp::Kind::kCreate || op.kind == GroupOp::Kind::kUpdate
             ? EncodeGroupDetails(op.details)
             : std::string(),
         op.reason});
  }
  for (const std::string& m : mapping_order) {
    k.push_back(keys::MemberGroup(pool, m));
    a.insert(a.end(), {m, mapping[m]});
  }
  ASSIGN_OR_RETURN(
      Reply r,
      ApplyScript().Run(*client_, live, ApplyScript().Call(k, a), deadline));
  (void)r;
  return new_ids;
}

absl::StatusOr<GroupSnapshot> GroupRepository::LoadLive(absl::string_view pool,
                                                        absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  const std::string live = keys::LiveGroups(pool);
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(live, Command({"SMEMBERS", live}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(std::vector<std::string> ids, r.ToStrings());
  std::sort(ids.begin(), ids.end());
  GroupSnapshot out;
  ASSIGN_OR_RETURN(out.groups, GetMany(pool, ids, deadline));
  return out;
}

absl::StatusOr<GroupRecord> GroupRepository::Get(absl::string_view pool,
                                                 absl::string_view group_id,
                                                 absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckGroupId(group_id));
  ASSIGN_OR_RETURN(Reply r, client_->Run(keys::Group(pool, group_id),
                                         GroupHmget(pool, group_id), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  return ParseGroup(group_id, r);
}

absl::StatusOr<std::optional<std::string>> GroupRepository::GroupOf(
    absl::string_view pool, absl::string_view member, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  std::string key = keys::MemberGroup(pool, member);
  ASSIGN_OR_RETURN(Reply r, client_->Run(key, Command({"GET", key}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  if (r.is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(r.str()));
}

absl::StatusOr<GroupPage> GroupRepository::List(
    absl::string_view pool, const std::vector<GroupState>& states,
    int page_size, int64_t offset, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (page_size < 1 || page_size > 1000 || offset < 0) {
    return absl::InvalidArgumentError("page_size: must be 1-1000");
  }
  ASSIGN_OR_RETURN(
      auto filtered,
      internal::ReadFilteredPage<GroupRecord>(
          *client_, keys::GroupIndex(pool), offset, page_size, deadline,
          [&](const std::vector<std::string>& ids) {
            return GetMany(pool, ids, deadline);
          },
          [&states](const GroupRecord& g) {
            return states.empty() || std::find(states.begin(), states.end(),
                                               g.state) != states.end();
          },
          [](const GroupRecord& g) { return g.id; }));
  GroupPage page;
  page.groups = std::move(filtered.records);
  page.next_offset = filtered.next_offset;
  return page;
}

}  // namespace peermatch::store
