// Redis key builders: ONE function per key kind, so the `{pool}` hash tag
// cannot be forgotten (SPEC §6, R-STORE; docs/key-schema.md).
//
//   keys::Member("pool-1", "alice")   // "pm:{pool-1}:m:alice"
//   keys::MemberIds("pool-1")         // "pm:{pool-1}:ids"
//   keys::Pools()                     // "pm:pools" (global, no pool tag)
//
// Every pool key is `pm:{<pool>}:<kind>[:<id>]`. Pool ids are [a-z0-9-]
// (SPEC §2), so the first `{...}` of every pool key is exactly `{<pool>}` and
// Redis Cluster hashes only `<pool>`: all of one pool's keys share one slot,
// which makes multi-key Lua scripts and MULTI/EXEC legal in Cluster. Member
// ids may contain ':' or even '{'/'}' in other systems; they come after the
// tag, so they cannot change the slot, and the kind names are prefix-free,
// so distinct (kind, id) pairs give distinct keys.
//
// To add a kind: add a function here next to its siblings, with a kind name
// that is not a prefix of another's and no existing kind's prefix, document
// it in docs/key-schema.md, and add it to the tests in
// tests/store/keys_test.cc.
//
// Callers must pass valid ids (IsValidPoolId / IsValidMemberId); the
// repositories check them at their boundary. All functions are pure and
// thread-safe.
#ifndef PEERMATCH_SERVICE_STORE_KEYS_H_
#define PEERMATCH_SERVICE_STORE_KEYS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace peermatch::store::keys {

// "pm:{<pool>}:" — the prefix of every key of the pool (for SCAN MATCH).
std::string PoolPrefix(absl::string_view pool);

// HASH: p (opaque payload), v (version), t (update time, Unix ms), bl (the
// ids this member blocks, sorted, joined by ',').
std::string Member(absl::string_view pool, absl::string_view id);
// ZSET of member ids, all with score 0, so ZRANGE BYLEX pages in id order.
std::string MemberIds(absl::string_view pool);
// SET of the ids of members that block `id` (reverse index, for erasure).
std::string BlockedBy(absl::string_view pool, absl::string_view id);
// STREAM of change events (ids, versions and ops only; no profile content).
std::string Feed(absl::string_view pool);
// HASH of the pool's settings.
std::string Settings(absl::string_view pool);
// STREAM of coordinator/admin actions (actor, action, ids, time).
std::string Audit(absl::string_view pool);

// HASH: the pool's batch-job lease (SPEC §7): token (fencing token from
// JobFence), owner (replica id), job (job id), exp (expiry, Unix ms by Redis
// TIME). A fenced write passes its token; the script refuses with
// `PM_ABORTED stale lease` unless the stored token equals it and exp is in
// the future.
std::string JobLease(absl::string_view pool);
// STRING: the counter (INCR) that issues fencing tokens; never reset.
std::string JobFence(absl::string_view pool);

// Batch jobs (R-JOBS; job_repository.h, docs/jobs.md).
// HASH of one job: k (kind), s (state, proto numbers), ph (phase), pr
// (progress percent), ik (idempotency key), rt (reference time), o (options
// payload), r (result payload), er (error), ct, st, et (create, start, end
// time; Unix ms), at (attempt), ac (actor), ow (owner replica), cx (cancel
// requested), cm (committing), n (sequence number), v (version).
std::string Job(absl::string_view pool, absl::string_view job_id);
// STRING counter for job ids ("j<n>").
std::string JobSeq(absl::string_view pool);
// ZSET of every job id by sequence number (ListJobs, newest first).
std::string JobIndex(absl::string_view pool);
// HASH idempotency key -> job id.
std::string JobIdempotency(absl::string_view pool);
// LIST of QUEUED job ids, oldest first.
std::string JobQueue(absl::string_view pool);
// SET of the pools that may have QUEUED or RUNNING jobs, so workers find
// work without scanning. Global like Pools(): its own SADD/SREM, never
// inside a pool's script.
std::string JobPools();

// Matches (R-MATCHREC, R-LIFECYCLE; match_repository.h).
// HASH of one match: e, m (mentee, mentor ids), s (state, proto numbers),
// se, sm (score millionths), o (origin), j (job), ov (override), er (end
// reason), ex (excluded), ae, am (accepted by mentee / mentor), v, ct, ut, xt
// (create, update, expire time in Unix ms).
std::string Match(absl::string_view pool, absl::string_view match_id);
// STRING counter for match ids.
std::string MatchSeq(absl::string_view pool);
// ZSET of every match id by creation time (listing, newest first).
std::string MatchIndex(absl::string_view pool);
// SET of a mentor's live (PROPOSED or ACTIVE) match ids: its load.
std::string MentorLive(absl::string_view pool, absl::string_view mentor);
// STRING: a mentee's live match id.
std::string MenteeLive(absl::string_view pool, absl::string_view mentee);
// ZSET of every match id of a member (either side) by creation time.
std::string MemberMatches(absl::string_view pool, absl::string_view member);
// ZSET of PROPOSED match ids by expiry time.
std::string ProposedMatches(absl::string_view pool);
// SET of ACTIVE match ids.
std::string ActiveMatches(absl::string_view pool);
// HASH "<mentee>|<mentor>" -> 1 (DECLINED) or 2 (ENDED with exclude): pairs
// that are never matched again.
std::string ExcludedPairs(absl::string_view pool);

// Groups (R-GROUPREC; group_repository.h).
// HASH of one group: s (state, proto numbers), mem (sorted member ids joined
// by ','), p (opaque payload), dr (dissolve reason), j (job), v, ct, ut.
std::string Group(absl::string_view pool, absl::string_view group_id);
// STRING counter for group ids ("g<n>").
std::string GroupSeq(absl::string_view pool);
// ZSET of every group id by creation time.
std::string GroupIndex(absl::string_view pool);
// SET of live (PROPOSED or ACTIVE) group ids.
std::string LiveGroups(absl::string_view pool);
// STRING: the live group of a member.
std::string MemberGroup(absl::string_view pool, absl::string_view member);

// SET of all pool ids. Global: not in any pool's slot, so it is written with
// its own (idempotent) SADD, never inside a pool's script.
std::string Pools();

}  // namespace peermatch::store::keys

#endif  // PEERMATCH_SERVICE_STORE_KEYS_H_
