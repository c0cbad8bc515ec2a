// Matches in Redis (SPEC §2 R-MATCHREC, §4 R-STABLE/R-LIFECYCLE, §6, §9):
//
//   MatchRepository matches(&client);
//   CommitSpec spec;                      // a batch run's proposals
//   spec.discard_previous = true;
//   spec.proposals = {{"e1", "m1", 812000, 640000}};
//   spec.mentors = {{"m1", /*version=*/7, /*capacity=*/2}};
//   ASSIGN_OR_RETURN(CommitResult r, matches.CommitProposals("pool-1", spec,
//                                                            deadline));
//   ASSIGN_OR_RETURN(int n, matches.Publish("pool-1", {}, "coord", deadline));
//   TransitionSpec decline;
//   decline.op = "decline";
//   decline.member = "e1";
//   ASSIGN_OR_RETURN(MatchRecord m,
//                    matches.Transition("pool-1", id, decline, deadline));
//
// Every write is ONE Lua script that checks the current state before its
// first write and then changes the match, its indexes, the mentor's load and
// the mentee's live slot together, appends change events (`kind match op
// <state> id <match id> v <n>`: ids only) and, with an actor, an audit entry.
// Invariant: a mentor's live (PROPOSED + ACTIVE) matches never exceed its
// capacity, except matches created with `override` (audited as such).
//
// Capacity lives in the member's opaque profile, which Lua cannot read, so a
// caller passes each mentor's capacity together with the member version it
// read it from; the script refuses (ABORTED, "mentor changed") when the
// stored version differs, and the caller re-reads and retries. The capacity
// used is therefore always the current one.
//
// Errors: NOT_FOUND (match or member), FAILED_PRECONDITION (the state does
// not allow the transition, mentor full, pair excluded), ALREADY_EXISTS (the
// mentee already has a live match), ABORTED (stale lease token, a member or
// the proposal set changed under the call: retry), INVALID_ARGUMENT, plus
// RedisClient's UNAVAILABLE / DEADLINE_EXCEEDED. Thread-safe; calls block.
#ifndef PEERMATCH_SERVICE_STORE_MATCH_REPOSITORY_H_
#define PEERMATCH_SERVICE_STORE_MATCH_REPOSITORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/store/redis_client.h"

namespace peermatch::store {

// Numbers as peermatch.v1.MatchState.
enum class MatchState : int {
  kProposed = 1,
  kActive = 2,
  kDeclined = 3,
  kEnded = 4,
  kExpired = 5,
};

struct MatchRecord {
  std::string id;
  std::string mentee;  // "" once the member was erased
  std::string mentor;  // "" once the member was erased
  MatchState state = MatchState::kProposed;
  int32_t mentee_micros = 0;
  int32_t mentor_micros = 0;
  std::string origin;  // "batch" or "manual"
  std::string job_id;
  bool override = false;
  std::string end_reason;
  std::string override_reason;  // manual overrides; blanked on erasure
  bool excluded = false;
  bool accepted_by_mentee = false;
  bool accepted_by_mentor = false;
  int64_t version = 0;
  absl::Time create_time;
  absl::Time update_time;
  std::optional<absl::Time> expire_time;  // PROPOSED only
};

struct Proposal {
  std::string mentee;
  std::string mentor;
  int32_t mentee_micros = 0;
  int32_t mentor_micros = 0;
};

// A mentor's capacity as of a member version (see the file comment).
struct MentorCapacity {
  std::string mentor;
  int64_t version = 0;
  int capacity = 0;
};

struct CommitSpec {
  // A default run: every PROPOSED match of the pool is replaced. A proposal
  // identical to an existing PROPOSED pair keeps that record (same id, same
  // expiry), so re-running on an unchanged pool changes nothing.
  bool discard_previous = true;
  std::vector<Proposal> proposals;
  // Every mentor named in `proposals`.
  std::vector<MentorCapacity> mentors;
  bool auto_publish = false;  // create ACTIVE matches instead of PROPOSED
  absl::Duration proposal_ttl = absl::Hours(24 * 7);
  std::string actor;
  std::string job_id;
  // A job's fencing token: the commit happens only while keys::JobLease
  // holds this token and has not expired (SPEC §7).
  std::optional<int64_t> fencing_token;
  // Without a token: refuse (ABORTED) while a job holds the pool's lease,
  // so a synchronous run never races a batch job.
  bool refuse_if_leased = false;
};

struct CommitResult {
  std::vector<std::string> created;  // new match ids, in proposal order
  // Per proposal, the id of its match: the new one, or the kept record's.
  std::vector<std::string> ids;
  int kept = 0;       // identical proposals that kept their record
  int discarded = 0;  // earlier proposals removed
  // The new matches were created ACTIVE (CommitSpec::auto_publish); kept
  // records keep their state (PROPOSED).
  bool auto_published = false;
};

struct TransitionSpec {
  // "publish" (PROPOSED -> ACTIVE), "discard" (PROPOSED -> removed),
  // "accept" (ACTIVE, by a member of the match), "decline" (PROPOSED or
  // ACTIVE -> DECLINED, pair excluded), "end" (ACTIVE -> ENDED), "expire"
  // (PROPOSED past its expiry -> EXPIRED).
  std::string op;
  std::string member;    // accept/decline: the mentee or the mentor
  std::string reason;    // decline/end; stored, never logged
  bool exclude = false;  // end: never match the pair again
  std::string actor;     // audit entry when non-empty
};

struct LiveMatchRow {
  std::string id;
  std::string mentee;
  std::string mentor;
  bool active = false;
};

struct ExcludedPairRow {
  std::string mentee;
  std::string mentor;
  int kind = 1;  // 1 declined, 2 ended with exclude
};

struct MatchStateLoad {
  std::vector<LiveMatchRow> live;
  std::vector<ExcludedPairRow> excluded;
};

struct MatchPage {
  std::vector<MatchRecord> matches;  // newest first
  int64_t next_offset = 0;           // 0 on the last page
};

struct MatchRepositoryOptions {
  int64_t feed_max_len = 100000;
  int64_t audit_max_len = 10000;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class MatchRepository {
 public:
  static constexpr int kMaxProposals = 100000;
  static constexpr int kMaxIds = 10000;

  explicit MatchRepository(RedisClient* client,
                           MatchRepositoryOptions options = {})
      : client_(client), options_(std::move(options)) {}

  absl::StatusOr<CommitResult> CommitProposals(absl::string_view pool,
                                               const CommitSpec& spec,
                                               absl::Time deadline);

  // Publishes the listed PROPOSED matches (all of the pool's when `ids` is
  // empty) at once: a listed match that is not PROPOSED is
  // FAILED_PRECONDITION and nothing is published. Returns how many.
  absl::StatusOr<int> Publish(absl::string_view pool,
                              const std::vector<std::string>& ids,
                              const std::string& actor, absl::Time deadline);
  // Discards the listed PROPOSED matches (all when empty), each atomically.
  absl::StatusOr<int> Discard(absl::string_view pool,
                              const std::vector<std::string>& ids,
                              const std::string& actor, absl::Time deadline);

  // One transition of one match; returns the match afterwards (a discarded
  // match is returned as it was).
  absl::StatusOr<MatchRecord> Transition(absl::string_view pool,
                                         absl::string_view match_id,
                                         const TransitionSpec& spec,
                                         absl::Time deadline);

  // An ACTIVE match made by a coordinator. Without `override`: the pair must
  // not be excluded and the mentor must have free capacity. The mentee must
  // not have a live match in any case (ALREADY_EXISTS).
  absl::StatusOr<MatchRecord> CreateManual(
      absl::string_view pool, const Proposal& pair,
      const MentorCapacity& mentor, bool override, const std::string& reason,
      const std::string& actor, absl::Time deadline);

  // Expires up to `limit` PROPOSED matches whose expiry has passed; returns
  // how many.
  absl::StatusOr<int> ExpireDue(absl::string_view pool, int limit,
                                absl::Time deadline);

  // Ends every live match of `member` (reason "member_deleted", capacity
  // freed), removes the member's id from every match record and removes
  // every excluded pair naming them (SPEC §9 erasure). Returns the number of
  // matches ended.
  absl::StatusOr<int> EraseMember(absl::string_view pool,
                                  absl::string_view member,
                                  absl::Time deadline);

  absl::StatusOr<MatchRecord> Get(absl::string_view pool,
                                  absl::string_view match_id,
                                  absl::Time deadline);
  // The number of PROPOSED and of ACTIVE matches (one pipeline, ZCARD and
  // SCARD of the live indexes).
  struct LiveCounts {
    int64_t proposed = 0;
    int64_t active = 0;
  };
  absl::StatusOr<LiveCounts> CountLive(absl::string_view pool,
                                       absl::Time deadline);

  // Newest first; `member` "" for all; `states` empty for all. A page may be
  // shorter than page_size when states are filtered.
  absl::StatusOr<MatchPage> List(absl::string_view pool,
                                 absl::string_view member,
                                 const std::vector<MatchState>& states,
                                 int page_size, int64_t offset,
                                 absl::Time deadline);

  // Live matches and excluded pairs, for snapshots.
  absl::StatusOr<MatchStateLoad> LoadState(absl::string_view pool,
                                           absl::Time deadline);

 private:
  absl::StatusOr<std::vector<std::string>> AllocateIds(absl::string_view pool,
                                                       int n,
                                                       absl::Time deadline);
  absl::StatusOr<std::vector<MatchRecord>> GetMany(
      absl::string_view pool, const std::vector<std::string>& ids,
      absl::Time deadline);

  RedisClient* client_;
  MatchRepositoryOptions options_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_MATCH_REPOSITORY_H_
