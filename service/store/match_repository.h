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
#include "service/store/stores.h"

namespace peermatch::store {

// Numbers as peermatch.v1.MatchState.
struct MatchRepositoryOptions {
  int64_t feed_max_len = 100000;
  int64_t audit_max_len = 10000;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class MatchRepository final : public MatchStore {
 public:
  static constexpr int kMaxProposals = 100000;
  static constexpr int kMaxIds = 10000;

  explicit MatchRepository(RedisClient* client,
                           MatchRepositoryOptions options = {})
      : client_(client), options_(std::move(options)) {}

  absl::StatusOr<CommitResult> CommitProposals(absl::string_view pool,
                                               const CommitSpec& spec,
                                               absl::Time deadline) override;

  // Publishes the listed PROPOSED matches (all of the pool's when `ids` is
  // empty) at once: a listed match that is not PROPOSED is
  // FAILED_PRECONDITION and nothing is published. Returns how many.
  absl::StatusOr<int> Publish(absl::string_view pool,
                              const std::vector<std::string>& ids,
                              const std::string& actor,
                              absl::Time deadline) override;
  // Discards the listed PROPOSED matches (all when empty), each atomically.
  absl::StatusOr<int> Discard(absl::string_view pool,
                              const std::vector<std::string>& ids,
                              const std::string& actor,
                              absl::Time deadline) override;

  // One transition of one match; returns the match afterwards (a discarded
  // match is returned as it was).
  absl::StatusOr<MatchRecord> Transition(absl::string_view pool,
                                         absl::string_view match_id,
                                         const TransitionSpec& spec,
                                         absl::Time deadline) override;

  // An ACTIVE match made by a coordinator. Without `override`: the pair must
  // not be excluded and the mentor must have free capacity. The mentee must
  // not have a live match in any case (ALREADY_EXISTS).
  absl::StatusOr<MatchRecord> CreateManual(
      absl::string_view pool, const Proposal& pair,
      const MentorCapacity& mentor, bool override, const std::string& reason,
      const std::string& actor, absl::Time deadline) override;

  // Expires up to `limit` PROPOSED matches whose expiry has passed; returns
  // how many.
  absl::StatusOr<int> ExpireDue(absl::string_view pool, int limit,
                                absl::Time deadline) override;

  // Ends every live match of `member` (reason "member_deleted", capacity
  // freed), removes the member's id from every match record and removes
  // every excluded pair naming them (SPEC §9 erasure). Returns the number of
  // matches ended.
  absl::StatusOr<int> EraseMember(absl::string_view pool,
                                  absl::string_view member,
                                  absl::Time deadline);

  absl::StatusOr<MatchRecord> Get(absl::string_view pool,
                                  absl::string_view match_id,
                                  absl::Time deadline) override;
  // The number of PROPOSED and of ACTIVE matches (one pipeline, ZCARD and
  // SCARD of the live indexes).
  absl::StatusOr<LiveCounts> CountLive(absl::string_view pool,
                                       absl::Time deadline) override;

  // Newest first; `member` "" for all; `states` empty for all. States are
  // filtered before paging, so a page is full unless the listing ended or
  // 10,000 ids were scanned for it (internal/paging.h); next_offset 0 at
  // the end.
  absl::StatusOr<MatchPage> List(absl::string_view pool,
                                 absl::string_view member,
                                 const std::vector<MatchState>& states,
                                 int page_size, int64_t offset,
                                 absl::Time deadline) override;

  // Live matches and excluded pairs, for snapshots.
  absl::StatusOr<MatchStateLoad> LoadState(absl::string_view pool,
                                           absl::Time deadline) override;

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
