#include "base/ids.h"
#include "service/store/job_repository.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/store/keys.h"
#include "service/store/redis_error.h"
#include "service/store/script.h"

namespace peermatch::store {
namespace {

// Acquire declares the job keys it expects (the orphan of an expired lease
// and the queue head); when the stored ones differ it writes nothing and
// asks for them. Each round reads the current ones, so only a pool whose
// queue changes between every read and its script needs many rounds.
constexpr int kMaxAcquireRounds = 16;

// Shared by the scripts that take a lease or check one. Redis's clock is
// the lease clock (job_repository.h).
constexpr char kLuaPrelude[] = R"lua(
local function redis_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Redis-now when `lease_key` holds `token` for `job` and has not expired,
-- else nil.
local function fenced(lease_key, token, job)
  local l = redis.call('HMGET', lease_key, 'token', 'job', 'exp')
  local now = redis_now_ms()
  if l[1] ~= token or l[2] ~= job or tonumber(l[3] or '0') <= now then
    return nil
  end
  return now
end
)lua";

const Script& MakeScript(const char* body) {
  return *new Script(absl::StrCat(kLuaPrelude, body));
}

// A lease holder's script (RunFenced): refused unless the lease is valid
// for the token; `now` is Redis-now for the body.
const Script& MakeFencedScript(const char* body) {
  return *new Script(absl::StrCat(kLuaPrelude, R"lua(
local now = fenced(KEYS[1], ARGV[1], ARGV[2])
if not now then return redis.error_reply('PM_ABORTED stale lease') end
)lua",
                                  body));
}

// KEYS[1] job  KEYS[2] index  KEYS[3] idempotency  KEYS[4] queue
// KEYS[5] audit
// ARGV[1] id  ARGV[2] n  ARGV[3] kind  ARGV[4] idempotency key ('' = none)
// ARGV[5] reference ms  ARGV[6] options  ARGV[7] actor  ARGV[8] now ms
// ARGV[9] audit MAXLEN
// Returns {0, existing id} or {1, id, index size, HGETALL job}.
const Script& CreateScript() {
  static const Script& kScript = MakeScript(R"lua(
if ARGV[4] ~= '' then
  local existing = redis.call('HGET', KEYS[3], ARGV[4])
  if existing then return {0, existing} end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('ERR job id already in use')
end
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'k', ARGV[3], 's', 1,
           'ph', 'queued', 'pr', '0', 'ik', ARGV[4], 'rt', ARGV[5],
           'o', ARGV[6], 'ac', ARGV[7], 'ct', ARGV[8], 'at', 0, 'cx', 0,
           'cm', 0, 'v', 1)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[4], ARGV[1]) end
redis.call('RPUSH', KEYS[4], ARGV[1])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[9], '*', 'action',
           'job.start', 'actor', ARGV[7], 'job', ARGV[1], 'kind', ARGV[3],
           't', ARGV[8])
return {1, ARGV[1], redis.call('ZCARD', KEYS[2]),
        redis.call('HGETALL', KEYS[1])}
)lua");
  return kScript;
}

// Deletes up to ARGV[1] finished jobs (and their idempotency entries) of the
// listed ones, oldest first; skips live ones.
// KEYS[1] index  KEYS[2] idempotency  KEYS[1+i] job of ARGV[i] (i >= 2)
const Script& TrimScript() {
  static const Script& kScript = MakeScript(R"lua(
local limit = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  if removed >= limit then break end
  local h = redis.call('HMGET', KEYS[1 + i], 's', 'ik')
  local s = tonumber(h[1] or '0')
  if s == 0 or s >= 3 then
    redis.call('DEL', KEYS[1 + i])
    redis.call('ZREM', KEYS[1], ARGV[i])
    if h[2] and h[2] ~= '' and redis.call('HGET', KEYS[2], h[2]) == ARGV[i]
    then
      redis.call('HDEL', KEYS[2], h[2])
    end
    removed = removed + 1
  end
end
return removed
)lua");
  return kScript;
}

// KEYS[1] job  KEYS[2] queue  KEYS[3] audit
// ARGV[1] id  ARGV[2] actor  ARGV[3] now ms  ARGV[4] audit MAXLEN
// Returns HGETALL job afterwards.
const Script& CancelScript() {
  static const Script& kScript = MakeScript(R"lua(
local h = redis.call('HMGET', KEYS[1], 's', 'cx', 'cm')
if not h[1] then return redis.error_reply('PM_NOT_FOUND job not found') end
local s = tonumber(h[1])
if s == 1 then
  redis.call('LREM', KEYS[2], 0, ARGV[1])
  redis.call('HSET', KEYS[1], 's', 5, 'ph', 'done', 'et', ARGV[3], 'cx', 1)
elseif s == 2 then
  if h[3] == '1' then
    return redis.error_reply('PM_FAILED_PRECONDITION job is committing ' ..
                             'its results and can no longer be cancelled')
  end
  if h[2] == '1' then return redis.call('HGETALL', KEYS[1]) end
  redis.call('HSET', KEYS[1], 'cx', 1)
else
  return redis.error_reply('PM_FAILED_PRECONDITION job has already finished')
end
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'action',
           'job.cancel', 'actor', ARGV[2], 'job', ARGV[1], 't', ARGV[3])
return redis.call('HGETALL', KEYS[1])
)lua");
  return kScript;
}

// KEYS[1] lease  KEYS[2] fence  KEYS[3] queue
// KEYS[4..] the job keys of the declared ids: ARGV[5] first (if not ''),
// then ARGV[6] (if not '' and different)
// ARGV[1] owner  ARGV[2] ttl ms  ARGV[3] max attempts  ARGV[4] now ms
// ARGV[5] declared orphan id  ARGV[6] declared queue head id
// Returns {code, ended ids, token, exp, id, takeover, HGETALL job}:
// code 0 held, 1 acquired, 2 idle, 3 redeclare (nothing written, or only
// complete steps: an orphan ended, a stale queue entry dropped).
const Script& AcquireScript() {
  static const Script& kScript = MakeScript(R"lua(
local key = {}
local ki = 4
if ARGV[5] ~= '' then key[ARGV[5]] = KEYS[ki]; ki = ki + 1 end
if ARGV[6] ~= '' and not key[ARGV[6]] then key[ARGV[6]] = KEYS[ki] end
local rnow = redis_now_ms()
local l = redis.call('HMGET', KEYS[1], 'token', 'job', 'exp')
if l[1] and tonumber(l[3] or '0') > rnow then return {0, {}} end
local orphan = nil
if l[1] and l[2] and l[2] ~= '' then orphan = l[2] end
local head = redis.call('LINDEX', KEYS[3], 0)
if (orphan or '') ~= ARGV[5] or (head or '') ~= ARGV[6] then
  return {3, {}}
end
local now = ARGV[4]
local ended = {}
local function take(id, k, takeover)
  local token = redis.call('INCR', KEYS[2])
  local exp = rnow + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'token', token, 'owner', ARGV[1], 'job', id,
             'exp', exp)
  local at = tonumber(redis.call('HGET', k, 'at') or '0') + 1
  redis.call('HSET', k, 's', 2, 'at', at, 'st', now, 'ow', ARGV[1],
             'ph', 'starting', 'pr', '0', 'cm', 0)
  redis.call('HINCRBY', k, 'v', 1)
  return {1, ended, token, exp, id, takeover, redis.call('HGETALL', k)}
end
if orphan then
  local k = key[orphan]
  local h = redis.call('HMGET', k, 's', 'at', 'cx')
  if h[1] == '2' then
    local at = tonumber(h[2] or '0')
    if h[3] == '1' then
      -- Cancel was accepted, so the holder never entered its commit.
      redis.call('HSET', k, 's', 5, 'ph', 'done', 'et', now, 'ow', '',
                 'cm', 0)
      redis.call('HINCRBY', k, 'v', 1)
      ended[#ended + 1] = orphan
    elseif at >= tonumber(ARGV[3]) then
      redis.call('HSET', k, 's', 4, 'ph', 'done', 'et', now, 'ow', '',
                 'cm', 0, 'er', 'lease lost ' .. at ..
                 ' times: the replicas running it stopped')
      redis.call('HINCRBY', k, 'v', 1)
      ended[#ended + 1] = orphan
    else
      return take(orphan, k, 1)
    end
  end
end
redis.call('DEL', KEYS[1])
if head then
  redis.call('LPOP', KEYS[3])
  if redis.call('HGET', key[head], 's') == '1' then
    return take(head, key[head], 0)
  end
  return {3, ended}
end
return {2, ended}
)lua");
  return kScript;
}

// The fenced scripts (RunFenced): KEYS[1] lease  KEYS[2] job  KEYS[3] queue
// ARGV[1] token  ARGV[2] job id  ARGV[3..] as listed.

// ARGV[3] ttl ms.  Returns {exp, cancel requested}.
const Script& RenewScript() {
  static const Script& kScript = MakeFencedScript(R"lua(
local exp = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'exp', exp)
return {exp, tonumber(redis.call('HGET', KEYS[2], 'cx') or '0')}
)lua");
  return kScript;
}

// ARGV[3] phase  ARGV[4] percent.  Returns cancel requested (0/1).
const Script& ProgressScript() {
  static const Script& kScript = MakeFencedScript(R"lua(
redis.call('HSET', KEYS[2], 'ph', ARGV[3], 'pr', ARGV[4])
redis.call('HINCRBY', KEYS[2], 'v', 1)
return tonumber(redis.call('HGET', KEYS[2], 'cx') or '0')
)lua");
  return kScript;
}

// Returns 1 (committing) or 0 (cancel requested; nothing written).
const Script& EnterCommitScript() {
  static const Script& kScript = MakeFencedScript(R"lua(
if redis.call('HGET', KEYS[2], 'cx') == '1' then return 0 end
redis.call('HSET', KEYS[2], 'cm', 1, 'ph', 'committing')
redis.call('HINCRBY', KEYS[2], 'v', 1)
return 1
)lua");
  return kScript;
}

// ARGV[3] state  ARGV[4] result  ARGV[5] error  ARGV[6] now ms
// ARGV[7] '1': refuse when the job is committing
const Script& FinishScript() {
  static const Script& kScript = MakeFencedScript(R"lua(
if ARGV[7] == '1' and redis.call('HGET', KEYS[2], 'cm') == '1' then
  return redis.error_reply('PM_FAILED_PRECONDITION job is committing')
end
local s = ARGV[3]
redis.call('HSET', KEYS[2], 's', s, 'ph', 'done', 'et', ARGV[6], 'ow', '',
           'cm', 0)
if s == '3' then redis.call('HSET', KEYS[2], 'pr', '100', 'r', ARGV[4]) end
if s == '4' then redis.call('HSET', KEYS[2], 'er', ARGV[5]) end
redis.call('HINCRBY', KEYS[2], 'v', 1)
redis.call('DEL', KEYS[1])
return 1
)lua");
  return kScript;
}

// ARGV[3] now ms.  Allowed after expiry while the token still holds.
const Script& GiveBackScript() {
  static const Script& kScript = MakeScript(R"lua(
local l = redis.call('HMGET', KEYS[1], 'token', 'job')
if l[1] ~= ARGV[1] or l[2] ~= ARGV[2] then
  return redis.error_reply('PM_ABORTED stale lease')
end
local h = redis.call('HMGET', KEYS[2], 's', 'at', 'cx', 'cm')
if h[1] == '2' and h[4] == '1' then
  return redis.error_reply('PM_FAILED_PRECONDITION job is committing')
end
if h[1] == '2' then
  if h[3] == '1' then
    redis.call('HSET', KEYS[2], 's', 5, 'ph', 'done', 'et', ARGV[3],
               'ow', '', 'cm', 0)
  else
    local at = math.max(0, tonumber(h[2] or '1') - 1)
    redis.call('HSET', KEYS[2], 's', 1, 'ph', 'queued', 'pr', '0',
               'ow', '', 'cm', 0, 'at', at)
    redis.call('LPUSH', KEYS[3], ARGV[2])
  end
  redis.call('HINCRBY', KEYS[2], 'v', 1)
end
redis.call('DEL', KEYS[1])
return 1
)lua");
  return kScript;
}

absl::Status CheckJobId(absl::string_view id) {
  if (IsValidJobId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError("job_id: not a job id of this service");
}

absl::Status CheckLease(const Lease& lease) {
  RETURN_IF_ERROR(base::ValidatePoolId(lease.pool));
  RETURN_IF_ERROR(CheckJobId(lease.job_id));
  if (lease.token <= 0) return absl::InvalidArgumentError("lease: no token");
  return absl::OkStatus();
}

int64_t ClampTtlMs(absl::Duration ttl) {
  return std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl));
}

using FieldValues =
    std::vector<std::pair<absl::string_view, absl::string_view>>;

// A job from its hash's fields. NOT_FOUND when there are none.
absl::StatusOr<JobRecord> ParseJobFields(absl::string_view id,
                                         const FieldValues& fields) {
  if (fields.empty()) return absl::NotFoundError("job not found");
  JobRecord j;
  j.id = std::string(id);
  bool ok = true;
  auto to_int = [&ok](absl::string_view s, auto* out) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(s, &v)) ok = false;
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(v);
  };
  auto to_time = [&ok](absl::string_view s) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(s, &ms)) ok = false;
    return absl::FromUnixMillis(ms);
  };
  for (const auto& [f, v] : fields) {
    if (f == "n") {
      to_int(v, &j.seq);
    } else if (f == "k") {
      to_int(v, &j.kind);
    } else if (f == "s") {
      int s = 0;
      to_int(v, &s);
      if (s < 1 || s > 5) ok = false;
      j.state = static_cast<JobState>(s);
    } else if (f == "ph") {
      j.phase = std::string(v);
    } else if (f == "pr") {
      if (!absl::SimpleAtod(v, &j.progress_percent)) ok = false;
    } else if (f == "ik") {
      j.idempotency_key = std::string(v);
    } else if (f == "rt") {
      j.reference_time = to_time(v);
    } else if (f == "o") {
      j.options = std::string(v);
    } else if (f == "r") {
      j.result = std::string(v);
    } else if (f == "er") {
      j.error = std::string(v);
    } else if (f == "ct") {
      j.create_time = to_time(v);
    } else if (f == "st") {
      j.start_time = to_time(v);
    } else if (f == "et") {
      j.end_time = to_time(v);
    } else if (f == "at") {
      to_int(v, &j.attempt);
    } else if (f == "ac") {
      j.actor = std::string(v);
    } else if (f == "ow") {
      j.owner = std::string(v);
    } else if (f == "cx") {
      j.cancel_requested = v == "1";
    } else if (f == "cm") {
      j.committing = v == "1";
    } else if (f == "v") {
      to_int(v, &j.version);
    }
  }
  if (!ok || j.version <= 0) {
    return absl::InternalError("job: malformed record");
  }
  return j;
}

// A job from HGETALL (a flat field/value array). NOT_FOUND when empty.
absl::StatusOr<JobRecord> ParseJob(absl::string_view id, const ReplyView& r) {
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  if (!r.is_array()) {
    return absl::InternalError("job: unexpected reply " + r.Describe());
  }
  FieldValues fields;
  fields.reserve(r.size() / 2);
  for (size_t i = 0; i + 1 < r.size(); i += 2) {
    fields.emplace_back(r[i].str(), r[i + 1].str());
  }
  return ParseJobFields(id, fields);
}

// "j<n>" -> n.
int64_t SeqOf(absl::string_view id) {
  int64_t n = 0;
  if (id.size() > 1) (void)absl::SimpleAtoi(id.substr(1), &n);
  return n;
}

bool IsValidPhase(absl::string_view phase) {
  return !phase.empty() && phase.size() <= JobRepository::kMaxPhaseBytes &&
         std::all_of(phase.begin(), phase.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || c == '_' || c == '-';
         });
}

}  // namespace

bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

bool IsValidJobId(absl::string_view id) {
  if (id.size() < 2 || id.size() > 20 || id[0] != 'j' || id[1] == '0') {
    return false;
  }
  return std::all_of(id.begin() + 1, id.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool IsValidIdempotencyKey(absl::string_view key) {
  return !key.empty() && key.size() <= 128 &&
         std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
                  c == '-';
         });
}

absl::StatusOr<CreateResult> JobRepository::Create(absl::string_view pool,
                                                   const NewJob& job,
                                                   absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (job.kind <= 0) return absl::InvalidArgumentError("kind: must be > 0");
  if (!job.idempotency_key.empty() &&
      !IsValidIdempotencyKey(job.idempotency_key)) {
    return absl::InvalidArgumentError(
        "idempotency_key: must be 1-128 characters of [A-Za-z0-9._:-]");
  }
  if (job.options.size() > kMaxOptionsBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("options: larger than ", kMaxOptionsBytes, " bytes"));
  }
  if (job.actor.size() > 128) {
    return absl::InvalidArgumentError("actor: longer than 128 characters");
  }
  const std::string seq_key = keys::JobSeq(pool);
  // An idempotent retry can lose a race with retention (the job it names is
  // deleted between the script and the read); the key is then free again,
  // so the next round creates the job.
  for (int round = 0; round < 3; ++round) {
    ASSIGN_OR_RETURN(
        Reply n_reply,
        client_->Run(seq_key, Command({"INCR", seq_key}), deadline));
    if (n_reply.is_error()) return ErrorReplyToStatus(n_reply.str());
    const int64_t n = n_reply.integer();
    const std::string id = absl::StrCat("j", n);
    const std::vector<std::string> k = {
        keys::Job(pool, id), keys::JobIndex(pool), keys::JobIdempotency(pool),
        keys::JobQueue(pool), keys::Audit(pool)};
    const std::vector<std::string> a = {
        id,
        absl::StrCat(n),
        absl::StrCat(job.kind),
        job.idempotency_key,
        absl::StrCat(absl::ToUnixMillis(job.reference_time)),
        job.options,
        job.actor,
        absl::StrCat(NowMs()),
        absl::StrCat(options_.audit_max_len)};
    ASSIGN_OR_RETURN(Reply r,
                     CreateScript().Run(*client_, seq_key,
                                        CreateScript().Call(k, a), deadline));
    if (!r.is_array() || r.size() < 2 || !r[0].is_integer()) {
      return absl::InternalError("create job: unexpected reply " +
                                 r.Describe());
    }
    CreateResult out;
    if (r[0].integer() == 1) {
      ASSIGN_OR_RETURN(out.job, ParseJob(id, r[3]));
      // Added after the job exists: see MarkIdle.
      RETURN_IF_ERROR(AddActivePool(pool, deadline));
      RETURN_IF_ERROR(TrimRetained(pool, r[2].integer(), deadline));
      return out;
    }
    const std::string existing(r[1].str());
    absl::StatusOr<JobRecord> got = Get(pool, existing, deadline);
    if (absl::IsNotFound(got.status())) continue;
    if (!got.ok()) return got.status();
    out.job = *std::move(got);
    out.existing = true;
    if (!IsTerminal(out.job.state)) {
      // The original call may have failed between its script and its SADD.
      RETURN_IF_ERROR(AddActivePool(pool, deadline));
    }
    return out;
  }
  return absl::AbortedError("idempotency key raced with retention; retry");
}

absl::Status JobRepository::TrimRetained(absl::string_view pool,
                                         int64_t index_size,
                                         absl::Time deadline) {
  const int64_t excess = index_size - options_.max_retained_jobs;
  if (excess <= 0) return absl::OkStatus();
  // Each create removes at most a few, looking a little past the excess so
  // that live (QUEUED/RUNNING) jobs among the oldest do not stop the trim.
  const int64_t limit = std::min<int64_t>(excess, 16);
  const std::string index = keys::JobIndex(pool);
  Command range({"ZRANGE", index, "0"});
  range.AddInt(std::min<int64_t>(excess + 16, 64) - 1);
  ASSIGN_OR_RETURN(Reply r, client_->Run(index, range, deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(std::vector<std::string> ids, r.ToStrings());
  if (ids.empty()) return absl::OkStatus();
  std::vector<std::string> k = {index, keys::JobIdempotency(pool)};
  std::vector<std::string> a = {absl::StrCat(limit)};
  for (std::string& id : ids) {
    k.push_back(keys::Job(pool, id));
    a.push_back(std::move(id));
  }
  return TrimScript()
      .Run(*client_, index, TrimScript().Call(k, a), deadline)
      .status();
}

absl::StatusOr<JobRecord> JobRepository::Get(absl::string_view pool,
                                             absl::string_view job_id,
                                             absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckJobId(job_id));
  const std::string key = keys::Job(pool, job_id);
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(key, Command({"HGETALL", key}), deadline));
  return ParseJob(job_id, r);
}

absl::StatusOr<int64_t> JobRepository::GetVersion(absl::string_view pool,
                                                  absl::string_view job_id,
                                                  absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckJobId(job_id));
  const std::string key = keys::Job(pool, job_id);
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(key, Command({"HGET", key, "v"}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  if (r.is_nil()) return absl::NotFoundError("job not found");
  return r.ToInt64();
}

absl::StatusOr<JobPage> JobRepository::List(absl::string_view pool,
                                            int page_size, int64_t before_seq,
                                            absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be 1..", kMaxPageSize));
  }
  if (before_seq < 0) {
    return absl::InvalidArgumentError("before_seq: must be >= 0");
  }
  const std::string index = keys::JobIndex(pool);
  Command range(
      {"ZRANGE", index,
       before_seq == 0 ? std::string("+inf") : absl::StrCat("(", before_seq),
       "-inf", "BYSCORE", "REV", "LIMIT", "0"});
  range.AddInt(page_size);
  ASSIGN_OR_RETURN(Reply r, client_->Run(index, range, deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(std::vector<std::string> ids, r.ToStrings());
  JobPage page;
  if (ids.empty()) return page;
  // Everything but the result payload, which can be large.
  static constexpr const char* kFields[] = {"n",  "k",  "s",  "ph", "pr", "ik",
                                            "rt", "o",  "er", "ct", "st", "et",
                                            "at", "ac", "ow", "cx", "cm", "v"};
  std::vector<Command> reads;
  reads.reserve(ids.size());
  for (const std::string& id : ids) {
    Command c({"HMGET", keys::Job(pool, id)});
    for (const char* f : kFields) c.Add(f);
    reads.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(std::vector<Reply> replies,
                   client_->Pipeline(index, reads, deadline));
  for (size_t i = 0; i < ids.size(); ++i) {
    const Reply& h = replies[i];
    if (h.is_error()) return ErrorReplyToStatus(h.str());
    if (!h.is_array() || h[0].is_nil()) continue;  // deleted meanwhile
    FieldValues fields;
    for (size_t f = 0; f < std::size(kFields); ++f) {
      if (!h[f].is_nil()) fields.emplace_back(kFields[f], h[f].str());
    }
    ASSIGN_OR_RETURN(JobRecord j, ParseJobFields(ids[i], fields));
    page.jobs.push_back(std::move(j));
  }
  if (ids.size() == static_cast<size_t>(page_size)) {
    page.next_before_seq = SeqOf(ids.back());
  }
  return page;
}

absl::StatusOr<JobRecord> JobRepository::Cancel(absl::string_view pool,
                                                absl::string_view job_id,
                                                absl::string_view actor,
                                                absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  RETURN_IF_ERROR(CheckJobId(job_id));
  if (actor.size() > 128) {
    return absl::InvalidArgumentError("actor: longer than 128 characters");
  }
  const std::string key = keys::Job(pool, job_id);
  const std::vector<std::string> k = {key, keys::JobQueue(pool),
                                      keys::Audit(pool)};
  const std::vector<std::string> a = {std::string(job_id), std::string(actor),
                                      absl::StrCat(NowMs()),
                                      absl::StrCat(options_.audit_max_len)};
  ASSIGN_OR_RETURN(
      Reply r,
      CancelScript().Run(*client_, key, CancelScript().Call(k, a), deadline));
  return ParseJob(job_id, r);
}

absl::StatusOr<AcquireResult> JobRepository::Acquire(
    absl::string_view pool, absl::string_view owner,
    const AcquireOptions& options, absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  if (owner.empty() || owner.size() > 128) {
    return absl::InvalidArgumentError("owner: must be 1-128 characters");
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("max_attempts: must be >= 1");
  }
  const std::string lease_key = keys::JobLease(pool);
  const std::string queue_key = keys::JobQueue(pool);
  AcquireResult out;
  for (int round = 0; round < kMaxAcquireRounds; ++round) {
    const std::vector<Command> peek = {
        Command({"HMGET", lease_key, "token", "job"}),
        Command({"LINDEX", queue_key, "0"})};
    ASSIGN_OR_RETURN(std::vector<Reply> seen,
                     client_->Pipeline(lease_key, peek, deadline));
    for (const Reply& s : seen) {
      if (s.is_error()) return ErrorReplyToStatus(s.str());
    }
    std::string orphan;
    if (!seen[0][0].is_nil()) orphan = std::string(seen[0][1].str());
    const std::string head(seen[1].str());
    if ((!orphan.empty() && !IsValidJobId(orphan)) ||
        (!head.empty() && !IsValidJobId(head))) {
      return absl::InternalError("acquire: malformed job id in lease/queue");
    }
    std::vector<std::string> k = {lease_key, keys::JobFence(pool), queue_key};
    if (!orphan.empty()) k.push_back(keys::Job(pool, orphan));
    if (!head.empty() && head != orphan) k.push_back(keys::Job(pool, head));
    const std::vector<std::string> a = {std::string(owner),
                                        absl::StrCat(ClampTtlMs(options.ttl)),
                                        absl::StrCat(options.max_attempts),
                                        absl::StrCat(NowMs()),
                                        orphan,
                                        head};
    ASSIGN_OR_RETURN(Reply r,
                     AcquireScript().Run(*client_, lease_key,
                                         AcquireScript().Call(k, a), deadline));
    if (!r.is_array() || r.size() < 2 || !r[0].is_integer()) {
      return absl::InternalError("acquire: unexpected reply " + r.Describe());
    }
    ASSIGN_OR_RETURN(std::vector<std::string> ended, r[1].ToStrings());
    for (std::string& id : ended) out.ended.push_back(std::move(id));
    switch (r[0].integer()) {
      case 0:
        out.outcome = AcquireResult::Outcome::kHeld;
        return out;
      case 2:
        out.outcome = AcquireResult::Outcome::kIdle;
        return out;
      case 3:
        continue;
      case 1:
        break;
      default:
        return absl::InternalError("acquire: unexpected code");
    }
    out.outcome = AcquireResult::Outcome::kAcquired;
    ASSIGN_OR_RETURN(out.lease.token, r[2].ToInt64());
    ASSIGN_OR_RETURN(int64_t exp, r[3].ToInt64());
    out.lease.expires = absl::FromUnixMillis(exp);
    out.lease.pool = std::string(pool);
    out.lease.job_id = std::string(r[4].str());
    out.lease.owner = std::string(owner);
    out.takeover = r[5].integer() == 1;
    ASSIGN_OR_RETURN(out.job, ParseJob(out.lease.job_id, r[6]));
    return out;
  }
  return absl::AbortedError("acquire: the queue kept changing; retry");
}

absl::StatusOr<RenewResult> JobRepository::Renew(const Lease& lease,
                                                 absl::Duration ttl,
                                                 absl::Time deadline) {
  ASSIGN_OR_RETURN(
      Reply r, RunFenced(RenewScript(), lease, {absl::StrCat(ClampTtlMs(ttl))},
                         deadline));
  if (!r.is_array() || r.size() != 2) {
    return absl::InternalError("renew: unexpected reply " + r.Describe());
  }
  RenewResult out;
  ASSIGN_OR_RETURN(int64_t exp, r[0].ToInt64());
  out.expires = absl::FromUnixMillis(exp);
  out.cancel_requested = r[1].integer() == 1;
  return out;
}

absl::StatusOr<bool> JobRepository::ReportProgress(const Lease& lease,
                                                   absl::string_view phase,
                                                   double percent,
                                                   absl::Time deadline) {
  if (!IsValidPhase(phase)) {
    return absl::InvalidArgumentError(
        "phase: must be 1-32 characters of [a-z_-]");
  }
  if (!std::isfinite(percent) || percent < 0 || percent > 100) {
    return absl::InvalidArgumentError("percent: must be 0-100");
  }
  ASSIGN_OR_RETURN(
      Reply r,
      RunFenced(ProgressScript(), lease,
                {std::string(phase), absl::StrCat(percent)}, deadline));
  return r.integer() == 1;
}

absl::Status JobRepository::EnterCommit(const Lease& lease,
                                        absl::Time deadline) {
  ASSIGN_OR_RETURN(Reply r,
                   RunFenced(EnterCommitScript(), lease, {}, deadline));
  if (r.integer() != 1) {
    return absl::CancelledError("job cancel was requested");
  }
  return absl::OkStatus();
}

absl::Status JobRepository::Finish(const Lease& lease,
                                   const JobOutcome& outcome,
                                   absl::Time deadline) {
  if (!IsTerminal(outcome.state)) {
    return absl::InvalidArgumentError(
        "state: must be SUCCEEDED, FAILED or CANCELLED");
  }
  if (outcome.result.size() > kMaxResultBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("result: larger than ", kMaxResultBytes, " bytes"));
  }
  return RunFenced(
             FinishScript(), lease,
             {absl::StrCat(static_cast<int>(outcome.state)), outcome.result,
              outcome.error.substr(0, kMaxErrorBytes), absl::StrCat(NowMs()),
              outcome.unless_committing ? "1" : "0"},
             deadline)
      .status();
}

absl::Status JobRepository::GiveBack(const Lease& lease, absl::Time deadline) {
  return RunFenced(GiveBackScript(), lease, {absl::StrCat(NowMs())}, deadline)
      .status();
}

absl::StatusOr<Reply> JobRepository::RunFenced(const Script& script,
                                               const Lease& lease,
                                               std::vector<std::string> args,
                                               absl::Time deadline) {
  RETURN_IF_ERROR(CheckLease(lease));
  const std::string lease_key = keys::JobLease(lease.pool);
  const std::vector<std::string> k = {lease_key,
                                      keys::Job(lease.pool, lease.job_id),
                                      keys::JobQueue(lease.pool)};
  args.insert(args.begin(), {absl::StrCat(lease.token), lease.job_id});
  return script.Run(*client_, lease_key, script.Call(k, args), deadline);
}

absl::StatusOr<std::vector<std::string>> JobRepository::ActivePools(
    absl::Time deadline) {
  const std::string key = keys::JobPools();
  ASSIGN_OR_RETURN(Reply r,
                   client_->Run(key, Command({"SMEMBERS", key}), deadline));
  if (r.is_error()) return ErrorReplyToStatus(r.str());
  ASSIGN_OR_RETURN(std::vector<std::string> pools, r.ToStrings());
  // Only valid ids reach the callers' key builders.
  pools.erase(std::remove_if(
                  pools.begin(), pools.end(),
                  [](const std::string& p) { return !base::IsValidPoolId(p); }),
              pools.end());
  return pools;
}

absl::StatusOr<bool> JobRepository::MarkIdle(absl::string_view pool,
                                             absl::Time deadline) {
  RETURN_IF_ERROR(base::ValidatePoolId(pool));
  const std::string pools = keys::JobPools();
  ASSIGN_OR_RETURN(
      Reply removed,
      client_->Run(pools, Command({"SREM", pools, std::string(pool)}),
                   deadline));
  if (removed.is_error()) return ErrorReplyToStatus(removed.str());
  // Create adds the pool after its job exists, so either this check sees
  // the job or that SADD comes after the SREM above.
  const std::string lease_key = keys::JobLease(pool);
  const std::vector<Command> check = {Command({"EXISTS", lease_key}),
                                      Command({"LLEN", keys::JobQueue(pool)})};
  ASSIGN_OR_RETURN(std::vector<Reply> seen,
                   client_->Pipeline(lease_key, check, deadline));
  for (const Reply& s : seen) {
    if (s.is_error()) return ErrorReplyToStatus(s.str());
  }
  if (seen[0].integer() == 0 && seen[1].integer() == 0) return true;
  RETURN_IF_ERROR(AddActivePool(pool, deadline));
  return false;
}

absl::Status JobRepository::AddActivePool(absl::string_view pool,
                                          absl::Time deadline) {
  const std::string pools = keys::JobPools();
  ASSIGN_OR_RETURN(
      Reply added,
      client_->Run(pools, Command({"SADD", pools, std::string(pool)}),
                   deadline));
  if (added.is_error()) return ErrorReplyToStatus(added.str());
  return absl::OkStatus();
}

}  // namespace peermatch::store
