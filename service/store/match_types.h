// The match records of the store (R-MATCHREC, R-LIFECYCLE): what
// MatchStore (stores.h) and MatchRepository take and return. Contracts:
// match_repository.h.
#ifndef PEERMATCH_SERVICE_STORE_MATCH_TYPES_H_
#define PEERMATCH_SERVICE_STORE_MATCH_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "matcher/compiled_pool.h"

namespace peermatch::store {

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
  // Stored as 1 (declined) or 2 (ended with exclude), the matcher's numbers.
  matcher::PairExclusion kind = matcher::PairExclusion::kDeclined;
};

struct MatchStateLoad {
  std::vector<LiveMatchRow> live;
  std::vector<ExcludedPairRow> excluded;
};

// The number of PROPOSED and of ACTIVE matches of a pool.
struct LiveCounts {
  int64_t proposed = 0;
  int64_t active = 0;
};

struct MatchPage {
  std::vector<MatchRecord> matches;  // newest first
  int64_t next_offset = 0;           // 0 on the last page
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_MATCH_TYPES_H_
