// PoolSnapshots: each replica's compiled, in-memory copy of every active pool
// (SPEC §6 R-STORE, R-RECOMMEND), rebuilt from Redis and kept fresh from the
// pool's change stream.
//
//   PoolSnapshots snapshots(sources, options);
//   snapshots.Start();                              // the feed tailer
//   RETURN_IF_ERROR(snapshots.Read("pool-1", deadline,
//       [&](const PoolView& view) -> absl::Status {
//         // view.pool, view.settings, view.FreeMentorIndex() ... (shared lock)
//         return absl::OkStatus();
//       }));
//   snapshots.ApplyMember("pool-1", id, version,        // own write, at once
//                         [&] { return profile; });
//
// Lifecycle of a pool's snapshot:
//   - cold load on first use: the feed position is read first, then every
//     member (pipelined, MemberRepository::LoadAll), then compiled; callers
//     that arrive meanwhile wait for the same load;
//   - the tailer polls each loaded pool's stream every `poll_interval` and
//     applies member events newer than the version it holds (fetching the
//     changed members); a gap in the stream (trimmed or lost) reloads the
//     pool in full. Another replica's write is therefore visible within about
//     poll_interval + one round trip (SPEC: 1 s);
//   - a replica's own writes are applied synchronously by the write path
//     (ApplyMember / RemoveMember) before the RPC returns;
//   - the reference week follows the clock: when a new ISO week starts, the
//     availability slots are recompiled;
//   - pools not read for `idle_evict` are dropped from memory.
// Nothing here is state that cannot be rebuilt from Redis.
//
// Staleness is exported as `peermatch_snapshot_staleness_seconds{pool}`: the
// time since the tailer last confirmed the snapshot up to date.
//
// Thread-safe. Read() holds the pool's lock in shared mode while `fn` runs;
// keep `fn` short (long batch runs should take a Copy()).
#ifndef PEERMATCH_SERVICE_SNAPSHOT_POOL_SNAPSHOTS_H_
#define PEERMATCH_SERVICE_SNAPSHOT_POOL_SNAPSHOTS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "matcher/candidate_index.h"
#include "matcher/compiled_pool.h"
#include "matcher/profile.h"
#include "matcher/scoring.h"
#include "matcher/time.h"
#include "service/store/change_feed.h"
#include "service/store/stores.h"

namespace peermatch::snapshot {

// Where snapshots come from: the store's interfaces (stores.h), so the
// snapshot needs no conversion code from its callers.
struct Sources {
  store::MemberStore* members = nullptr;
  store::ChangeFeed* feed = nullptr;
  // The pool's settings; may be null: defaults, and a pool exists only
  // through its members.
  store::SettingsStore* settings = nullptr;
  // The pool's live matches and excluded pairs; may be null: no matches.
  store::MatchStore* matches = nullptr;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

struct Options {
  absl::Duration poll_interval = absl::Milliseconds(100);
  absl::Duration idle_evict = absl::Minutes(15);
  absl::Duration load_timeout = absl::Seconds(30);
  int feed_batch = 1000;
};

// What a reader sees of one pool, under a shared lock.
class PoolView {
 public:
  const matcher::CompiledPool& pool() const { return *pool_; }
  const matcher::PoolSettings& settings() const { return *settings_; }
  const matcher::Scorer& scorer() const { return *scorer_; }
  // Mentors with free capacity (capacity > live matches), indexed for
  // top-k queries, shared by readers. Built over the whole pool only after a
  // load, a settings change or a new week (or once many mentors changed);
  // a member or match write leaves it in place and lists the mentors it
  // touched: pass index_hidden() and index_extra() with every query
  // (matcher::RecommendRequest::hidden / extra), which makes the answer
  // that of an index built over the pool as it is now.
  const matcher::CandidateIndex& free_mentor_index() const { return *index_; }
  const std::vector<matcher::MemberIndex>& index_hidden() const {
    return *hidden_;
  }
  const std::vector<matcher::MemberIndex>& index_extra() const {
    return *extra_;
  }
  // Live (PROPOSED or ACTIVE) matches of a mentor; 0 until match state is
  // loaded.
  int mentor_load(matcher::MemberIndex m) const;
  int free_capacity(matcher::MemberIndex m) const;
  // Whether a mentee has a live (PROPOSED or ACTIVE) match.
  bool mentee_live(matcher::MemberIndex e) const;
  // ACTIVE matches of a mentor (PROPOSED ones not counted).
  int mentor_active_load(matcher::MemberIndex m) const;
  // Whether a mentee's live match is ACTIVE.
  bool mentee_active(matcher::MemberIndex e) const;
  // The stored version of the member the snapshot holds.
  int64_t member_version(matcher::MemberIndex i) const;
  // The change-stream position this view reflects (as "<ms>-<seq>").
  const store::StreamId& position() const { return *position_; }

 private:
  friend class PoolSnapshots;
  const matcher::CompiledPool* pool_ = nullptr;
  const matcher::PoolSettings* settings_ = nullptr;
  const matcher::Scorer* scorer_ = nullptr;
  const matcher::CandidateIndex* index_ = nullptr;
  const std::vector<matcher::MemberIndex>* hidden_ = nullptr;
  const std::vector<matcher::MemberIndex>* extra_ = nullptr;
  const absl::flat_hash_map<std::string, int>* loads_ = nullptr;
  const absl::flat_hash_map<std::string, int>* active_loads_ = nullptr;
  const absl::flat_hash_map<std::string, bool>* live_mentees_ = nullptr;
  const absl::flat_hash_map<std::string, int64_t>* versions_ = nullptr;
  const store::StreamId* position_ = nullptr;
};

class PoolSnapshots {
 public:
  PoolSnapshots(Sources sources, Options options);
  ~PoolSnapshots();  // Stop()

  void Start();
  void Stop();

  // Runs `fn` on the pool's snapshot (loading it first if needed). NOT_FOUND
  // when the pool has neither members nor settings; UNAVAILABLE /
  // DEADLINE_EXCEEDED when the load cannot reach Redis. Returns fn's status.
  absl::Status Read(const std::string& pool, absl::Time deadline,
                    absl::FunctionRef<absl::Status(const PoolView&)> fn);

  // Applies a replica's own write at once (no-op when the pool is not
  // loaded or already holds a newer version). `profile` is called only when
  // the write applies, so writes to pools this replica does not hold cost
  // no conversion.
  void ApplyMember(const std::string& pool, const std::string& id,
                   int64_t version,
                   absl::FunctionRef<matcher::MemberProfile()> profile);
  void RemoveMember(const std::string& pool, const std::string& id);
  // Re-reads the pool's settings at once (after a settings write).
  void InvalidateSettings(const std::string& pool);
  // Re-reads the pool's match state before the next read (after a match
  // write by this replica whose effect the caller cannot describe, e.g. a
  // batch commit).
  void InvalidateMatches(const std::string& pool);

  // A replica's own write of one match, applied in place: the mentor's
  // load, the mentee's live match and, for a declined pair or one ended with
  // exclude, the exclusion; the pool's match state is not reloaded, and the
  // tailer skips this match's events up to `version`. When the snapshot
  // cannot tell the change's starting point (its match state is stale, or
  // disagrees with the change), it falls back to InvalidateMatches.
  struct MatchChange {
    std::string match_id;
    int64_t version = 0;
    std::string mentee;
    std::string mentor;
    store::MatchState state = store::MatchState::kProposed;  // after
    bool excluded = false;  // ENDED with exclude (DECLINED always is)
    bool created = false;   // a new match (else a transition of a live one)
  };
  void ApplyMatch(const std::string& pool, const MatchChange& change);

  // A private copy of a pool's snapshot for long computations (batch runs),
  // taken under the shared lock; the copy is compiled for `week`.
  struct PoolCopy {
    std::optional<matcher::CompiledPool> pool;
    matcher::PoolSettings settings;
    absl::flat_hash_map<std::string, int> live_loads;     // mentor -> live
    absl::flat_hash_map<std::string, int> active_loads;   // mentor -> ACTIVE
    absl::flat_hash_map<std::string, bool> live_mentees;  // mentee -> ACTIVE?
    absl::flat_hash_map<std::string, int64_t> versions;   // member versions
    store::StreamId position;
  };
  absl::StatusOr<PoolCopy> Copy(const std::string& pool,
                                const matcher::ReferenceWeek& week,
                                absl::Time deadline);

  // Drops every snapshot (tests, and after Redis loses its data).
  void Clear();

  // Number of loaded pools and their total members (for metrics and tests).
  size_t loaded_pools() const;

  // Bytes of the pool's compiled snapshot (R-PERF memory per member); 0 when
  // not loaded.
  size_t MemoryBytes(const std::string& pool) const;

 private:
  struct Entry;
  absl::StatusOr<std::shared_ptr<Entry>> Acquire(const std::string& pool,
                                                 absl::Time deadline);
  absl::Status Load(Entry* entry, absl::Time deadline);
  absl::Status Refresh(Entry* entry, absl::Time deadline);
  absl::Status LoadMatches(Entry* entry, absl::Time deadline);
  absl::Status CatchUp(Entry* entry, absl::Time deadline);
  void EnsureWeek(Entry* entry);
  // The pool's entry if this replica holds it (loaded or loading), else null.
  std::shared_ptr<Entry> Held(const std::string& pool);
  void TailLoop();
  // Under entry->mu exclusive: apply a member (newer than held) or remove
  // one, noting the mentors the index must stop trusting.
  static void UpsertMember(Entry* entry, const matcher::MemberProfile& p,
                           int64_t version);
  static bool RemoveMemberLocked(Entry* entry, const std::string& id);
  // Under entry->mu shared and entry->cache_mu: brings the scorer, the index
  // and its hidden/extra lists up to entry->generation.
  static absl::Status RefreshCache(Entry* entry);

  Sources sources_;
  Options options_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  absl::Notification stopped_;
  std::thread tailer_;
};

}  // namespace peermatch::snapshot

#endif  // PEERMATCH_SERVICE_SNAPSHOT_POOL_SNAPSHOTS_H_
