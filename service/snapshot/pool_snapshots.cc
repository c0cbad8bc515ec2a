#include "service/snapshot/pool_snapshots.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "matcher/time.h"
#include "service/common/logging.h"
#include "service/common/metrics.h"

namespace peermatch::snapshot {

struct PoolSnapshots::Entry {
  explicit Entry(std::string p) : pool(std::move(p)) {}

  const std::string pool;

  // Serializes (re)loads; `loaded` says whether `compiled` holds the pool.
  absl::Mutex load_mu;
  bool loaded ABSL_GUARDED_BY(load_mu) = false;

  // Shared by readers, exclusive for every change below.
  absl::Mutex mu;
  std::optional<matcher::CompiledPool> compiled;
  matcher::PoolSettings settings;
  bool has_settings = false;
  matcher::TimeZoneCache zones;
  absl::flat_hash_map<std::string, int64_t> versions;
  absl::flat_hash_map<std::string, int> loads;  // mentor id -> live matches
  absl::flat_hash_map<std::string, int> active_loads;   // mentor -> ACTIVE
  absl::flat_hash_map<std::string, bool> live_mentees;  // mentee -> ACTIVE?
  // Excluded pairs applied to `compiled` ("a\x1fb", a < b), to notice when
  // one disappears (erasure), which needs a full reload.
  absl::flat_hash_set<std::string> excluded;
  store::StreamId position;
  uint64_t generation = 1;  // bumped by every change
  // Bumped by changes that need the scorer and index rebuilt over the pool:
  // a (re)load, new settings, a new week. Member and load changes only
  // record the mentors they touch in `changed_mentors`.
  uint64_t rebuild_generation = 1;
  // Mentors (pool indices) whose profile, presence or load changed since the
  // index was built: readers ignore their index entries and score their
  // current state directly (matcher::RecommendRequest hidden/extra). Added
  // to under `mu` exclusive; cleared by the rebuild under `mu` shared and
  // `cache_mu`.
  absl::flat_hash_set<matcher::MemberIndex> changed_mentors;
  // Match id -> the version this replica applied in place (ApplyMatch); the
  // tailer skips the match's events up to it.
  absl::flat_hash_map<std::string, int64_t> own_match_versions;
  std::atomic<bool> settings_stale{false};
  std::atomic<bool> matches_stale{false};

  // Derived from the pool, rebuilt lazily by a reader (holding `mu` shared)
  // when `generation` moved on; see Read().
  absl::Mutex cache_mu;
  uint64_t cache_generation = 0;
  uint64_t cache_rebuild_generation = 0;
  std::vector<matcher::MemberIndex> hidden;  // changed_mentors, sorted
  std::vector<matcher::MemberIndex> extra;   // those with free capacity now
  std::unique_ptr<matcher::Scorer> scorer;
  std::unique_ptr<matcher::CandidateIndex> index;

  std::atomic<int64_t> last_access_ms{0};
  std::atomic<int64_t> last_sync_ms{0};
};

int PoolView::mentor_load(matcher::MemberIndex m) const {
  auto it = loads_->find(pool_->id(m));
  return it == loads_->end() ? 0 : it->second;
}

bool PoolView::mentee_live(matcher::MemberIndex e) const {
  return live_mentees_->contains(pool_->id(e));
}

bool PoolView::mentee_active(matcher::MemberIndex e) const {
  auto it = live_mentees_->find(pool_->id(e));
  return it != live_mentees_->end() && it->second;
}

int64_t PoolView::member_version(matcher::MemberIndex i) const {
  auto it = versions_->find(pool_->id(i));
  return it == versions_->end() ? 0 : it->second;
}

int PoolView::mentor_active_load(matcher::MemberIndex m) const {
  auto it = active_loads_->find(pool_->id(m));
  return it == active_loads_->end() ? 0 : it->second;
}

int PoolView::free_capacity(matcher::MemberIndex m) const {
  return std::max(0, pool_->core(m).capacity - mentor_load(m));
}

PoolSnapshots::PoolSnapshots(Sources sources, Options options)
    : sources_(std::move(sources)), options_(options) {}

PoolSnapshots::~PoolSnapshots() { Stop(); }

void PoolSnapshots::Start() {
  tailer_ = std::thread([this] { TailLoop(); });
}

void PoolSnapshots::Stop() {
  if (stop_.exchange(true)) return;
  stopped_.Notify();
  if (tailer_.joinable()) tailer_.join();
}

absl::StatusOr<std::shared_ptr<PoolSnapshots::Entry>> PoolSnapshots::Acquire(
    const std::string& pool, absl::Time deadline) {
  std::shared_ptr<Entry> entry;
  {
    absl::MutexLock lock(&mu_);
    auto& slot = entries_[pool];
    if (slot == nullptr) slot = std::make_shared<Entry>(pool);
    entry = slot;
  }
  entry->last_access_ms = absl::ToUnixMillis(sources_.clock());
  absl::MutexLock load_lock(&entry->load_mu);
  if (!entry->loaded) {
    absl::Status s = Load(entry.get(), deadline);
    if (!s.ok()) {
      absl::MutexLock lock(&mu_);
      auto it = entries_.find(pool);
      if (it != entries_.end() && it->second == entry) entries_.erase(it);
      return s;
    }
    entry->loaded = true;
  }
  return entry;  // Read/Copy call Refresh, which loads the match state
}

absl::Status PoolSnapshots::Load(Entry* entry, absl::Time deadline) {
  absl::Time start = absl::Now();
  matcher::PoolSettings settings;
  bool has_settings = false;
  if (sources_.settings != nullptr) {
    ASSIGN_OR_RETURN(std::optional<store::SettingsRecord> s,
                     sources_.settings->Get(entry->pool, deadline));
    has_settings = s.has_value();
    if (has_settings) settings = s->config.matcher;
  }
  ASSIGN_OR_RETURN(store::PoolLoad load,
                   sources_.members->LoadAll(entry->pool, deadline));
  if (load.members.empty() && !has_settings) {
    return absl::NotFoundError(
        absl::StrCat("pool ", entry->pool, " has no members and no settings"));
  }
  std::vector<matcher::MemberProfile> profiles;
  profiles.reserve(load.members.size());
  absl::flat_hash_map<std::string, int64_t> versions;
  versions.reserve(load.members.size());
  for (store::MemberRecord& r : load.members) {
    versions[r.id()] = r.version;
    profiles.push_back(std::move(r.profile));
  }
  absl::MutexLock lock(&entry->mu);
  ASSIGN_OR_RETURN(
      matcher::CompiledPool compiled,
      matcher::CompiledPool::Compile(
          profiles, {}, matcher::ReferenceWeekContaining(sources_.clock()),
          &entry->zones));
  entry->compiled.emplace(std::move(compiled));
  entry->settings = settings;
  entry->has_settings = has_settings;
  entry->versions = std::move(versions);
  entry->position = load.feed_position;
  entry->excluded.clear();
  entry->loads.clear();
  entry->active_loads.clear();
  entry->live_mentees.clear();
  entry->own_match_versions.clear();
  entry->matches_stale = true;  // loaded by Refresh, outside this lock
  ++entry->generation;
  ++entry->rebuild_generation;
  entry->last_sync_ms = absl::ToUnixMillis(absl::Now());
  LOG_INFO("snapshot loaded",
           {{"pool", entry->pool},
            {"members", static_cast<int64_t>(profiles.size())},
            {"duration", absl::Now() - start}});
  return absl::OkStatus();
}

void PoolSnapshots::EnsureWeek(Entry* entry) {
  matcher::ReferenceWeek week =
      matcher::ReferenceWeekContaining(sources_.clock());
  {
    absl::ReaderMutexLock lock(&entry->mu);
    if (entry->compiled->week().start == week.start) return;
  }
  absl::MutexLock lock(&entry->mu);
  if (entry->compiled->week().start == week.start) return;
  absl::Status s = entry->compiled->SetWeek(week, &entry->zones);
  if (!s.ok()) {
    LOG_ERROR("snapshot week change failed", {{"pool", entry->pool}});
    return;
  }
  ++entry->generation;
  ++entry->rebuild_generation;
}

absl::Status PoolSnapshots::Read(
    const std::string& pool, absl::Time deadline,
    absl::FunctionRef<absl::Status(const PoolView&)> fn) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Acquire(pool, deadline));
  RETURN_IF_ERROR(Refresh(entry.get(), deadline));
  EnsureWeek(entry.get());
  absl::ReaderMutexLock lock(&entry->mu);
  {
    // While `mu` is held shared the pool cannot change, so a cache built now
    // stays valid until this reader (and every other) lets go.
    absl::MutexLock cache(&entry->cache_mu);
    if (entry->cache_generation != entry->generation) {
      RETURN_IF_ERROR(RefreshCache(entry.get()));
    }
  }
  PoolView view;
  view.pool_ = &*entry->compiled;
  view.settings_ = &entry->settings;
  view.scorer_ = entry->scorer.get();
  view.index_ = entry->index.get();
  view.hidden_ = &entry->hidden;
  view.extra_ = &entry->extra;
  view.loads_ = &entry->loads;
  view.active_loads_ = &entry->active_loads;
  view.live_mentees_ = &entry->live_mentees;
  view.versions_ = &entry->versions;
  view.position_ = &entry->position;
  return fn(view);
}

namespace {

// More changed mentors than this and a rebuild is cheaper than scoring them
// all on every query. A rebuild costs about 0.6 us per indexed mentor, a
// changed mentor about 0.1-0.2 us per query (BENCHMARKS.md, snapshot_bench):
// at 1/64 of the index a rebuild every ~300 writes on a 20,000-mentor pool
// costs ~40 us per write, and no query scores more than ~300 extras.
size_t MaxChangedMentors(size_t indexed) {
  return std::max<size_t>(128, indexed / 64);
}

bool IsMentor(const matcher::CompiledPool& p, matcher::MemberIndex i) {
  return i < p.index_capacity() && p.live(i) &&
         (p.core(i).flags & matcher::kFlagMentor) != 0;
}

}  // namespace

std::shared_ptr<PoolSnapshots::Entry> PoolSnapshots::Held(
    const std::string& pool) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(pool);
  return it == entries_.end() ? nullptr : it->second;
}

void PoolSnapshots::UpsertMember(Entry* entry,
                                 const matcher::MemberProfile& profile,
                                 int64_t version) {
  std::optional<matcher::MemberIndex> before =
      entry->compiled->Find(profile.id);
  const bool was_mentor =
      before.has_value() && IsMentor(*entry->compiled, *before);
  absl::StatusOr<matcher::MemberIndex> i =
      entry->compiled->Upsert(profile, &entry->zones);
  if (!i.ok()) {
    LOG_ERROR("snapshot could not apply a member",
              {{"pool", entry->pool}, {"member", profile.id}});
    return;
  }
  entry->versions[profile.id] = version;
  if (was_mentor || IsMentor(*entry->compiled, *i)) {
    entry->changed_mentors.insert(*i);
  }
  ++entry->generation;
}

bool PoolSnapshots::RemoveMemberLocked(Entry* entry, const std::string& id) {
  if (entry->versions.erase(id) == 0) return false;
  std::optional<matcher::MemberIndex> i = entry->compiled->Find(id);
  // Its index may be reused by the next new member: hide its entry.
  if (i.has_value() && IsMentor(*entry->compiled, *i)) {
    entry->changed_mentors.insert(*i);
  }
  (void)entry->compiled->Remove(id);
  return true;
}

absl::Status PoolSnapshots::RefreshCache(Entry* entry) {
  const matcher::CompiledPool& p = *entry->compiled;
  auto free_now = [&](matcher::MemberIndex m) {
    if (!IsMentor(p, m)) return false;
    auto it = entry->loads.find(p.id(m));
    return p.core(m).capacity > (it == entry->loads.end() ? 0 : it->second);
  };
  const bool rebuild =
      entry->index == nullptr ||
      entry->cache_rebuild_generation != entry->rebuild_generation ||
      entry->changed_mentors.size() >
          MaxChangedMentors(static_cast<size_t>(entry->index->size()));
  if (rebuild) {
    entry->index.reset();
    ASSIGN_OR_RETURN(matcher::Scorer scorer,
                     matcher::Scorer::Create(p, entry->settings));
    entry->scorer = std::make_unique<matcher::Scorer>(std::move(scorer));
    std::vector<matcher::MemberIndex> free_mentors;
    for (matcher::MemberIndex m : p.by_id()) {
      if (free_now(m)) free_mentors.push_back(m);
    }
    entry->index =
        std::make_unique<matcher::CandidateIndex>(*entry->scorer, free_mentors);
    entry->changed_mentors.clear();
    entry->cache_rebuild_generation = entry->rebuild_generation;
    MetricsRegistry::Default()
        .GetCounter("peermatch_snapshot_index_builds_total",
                    "candidate index builds over a whole pool",
                    {{"pool", entry->pool}})
        ->Increment();
  }
  entry->hidden.assign(entry->changed_mentors.begin(),
                       entry->changed_mentors.end());
  std::sort(entry->hidden.begin(), entry->hidden.end());
  entry->extra.clear();
  for (matcher::MemberIndex m : entry->hidden) {
    if (free_now(m)) entry->extra.push_back(m);
  }
  entry->cache_generation = entry->generation;
  return absl::OkStatus();
}

void PoolSnapshots::ApplyMember(
    const std::string& pool, const std::string& id, int64_t version,
    absl::FunctionRef<matcher::MemberProfile()> profile) {
  std::shared_ptr<Entry> entry = Held(pool);
  if (entry == nullptr) return;
  absl::MutexLock load_lock(&entry->load_mu);
  if (!entry->loaded) return;
  absl::MutexLock lock(&entry->mu);
  auto it = entry->versions.find(id);
  if (it != entry->versions.end() && it->second >= version) return;
  UpsertMember(entry.get(), profile(), version);
}

void PoolSnapshots::RemoveMember(const std::string& pool,
                                 const std::string& id) {
  std::shared_ptr<Entry> entry = Held(pool);
  if (entry == nullptr) return;
  absl::MutexLock load_lock(&entry->load_mu);
  if (!entry->loaded) return;
  absl::MutexLock lock(&entry->mu);
  if (RemoveMemberLocked(entry.get(), id)) ++entry->generation;
}

absl::Status PoolSnapshots::Refresh(Entry* entry, absl::Time deadline) {
  if (entry->settings_stale.exchange(false) && sources_.settings != nullptr) {
    absl::StatusOr<std::optional<store::SettingsRecord>> s =
        sources_.settings->Get(entry->pool, deadline);
    if (!s.ok()) {
      entry->settings_stale = true;
      return s.status();
    }
    absl::MutexLock lock(&entry->mu);
    entry->settings =
        s->has_value() ? (*s)->config.matcher : matcher::PoolSettings{};
    entry->has_settings = s->has_value();
    ++entry->generation;
    ++entry->rebuild_generation;
  }
  if (entry->matches_stale.exchange(false)) {
    absl::Status s = LoadMatches(entry, deadline);
    if (!s.ok()) {
      entry->matches_stale = true;
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status PoolSnapshots::LoadMatches(Entry* entry, absl::Time deadline) {
  if (sources_.matches == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(store::MatchStateLoad state,
                   sources_.matches->LoadState(entry->pool, deadline));
  MetricsRegistry::Default()
      .GetCounter("peermatch_snapshot_match_loads_total",
                  "reads of a pool's whole match state into its snapshot",
                  {{"pool", entry->pool}})
      ->Increment();
  absl::flat_hash_map<std::string, int> loads, active_loads;
  absl::flat_hash_map<std::string, bool> mentees;
  for (const store::LiveMatchRow& m : state.live) {
    ++loads[m.mentor];
    if (m.active) ++active_loads[m.mentor];
    mentees[m.mentee] = m.active;
  }
  absl::flat_hash_set<std::string> excluded;
  for (const store::ExcludedPairRow& p : state.excluded) {
    excluded.insert(p.mentee < p.mentor
                        ? absl::StrCat(p.mentee, "\x1f", p.mentor)
                        : absl::StrCat(p.mentor, "\x1f", p.mentee));
  }
  bool shrank = false;
  {
    absl::MutexLock lock(&entry->mu);
    for (const std::string& k : entry->excluded) {
      if (!excluded.contains(k)) shrank = true;
    }
    if (!shrank) {
      for (const store::ExcludedPairRow& p : state.excluded) {
        entry->compiled->AddExclusion({p.mentee, p.mentor, p.kind});
      }
      entry->excluded = std::move(excluded);
      // Mentors whose live load changed: only their index entries go stale.
      auto note = [&](const std::string& mentor) {
        if (auto i = entry->compiled->Find(mentor)) {
          entry->changed_mentors.insert(*i);
        }
      };
      for (const auto& [mentor, n] : entry->loads) {
        auto it = loads.find(mentor);
        if (it == loads.end() || it->second != n) note(mentor);
      }
      for (const auto& [mentor, n] : loads) {
        if (!entry->loads.contains(mentor)) note(mentor);
      }
      entry->loads = std::move(loads);
      entry->active_loads = std::move(active_loads);
      entry->live_mentees = std::move(mentees);
      ++entry->generation;
    }
  }
  if (shrank) {
    // An exclusion was erased with its member: rebuild from scratch.
    absl::MutexLock load_lock(&entry->load_mu);
    RETURN_IF_ERROR(Load(entry, deadline));
    entry->matches_stale = false;
    return LoadMatches(entry, deadline);
  }
  return absl::OkStatus();
}

void PoolSnapshots::ApplyMatch(const std::string& pool,
                               const MatchChange& change) {
  std::shared_ptr<Entry> entry = Held(pool);
  if (entry == nullptr) return;
  absl::MutexLock load_lock(&entry->load_mu);
  if (!entry->loaded) return;
  absl::MutexLock lock(&entry->mu);
  auto live = entry->live_mentees.find(change.mentee);
  const bool before_live = live != entry->live_mentees.end();
  const bool before_active = before_live && live->second;
  // A new match needs a mentee without one; a transition, the mentee's live
  // match. Otherwise the snapshot has not seen a change the store has.
  if (entry->matches_stale || before_live == change.created ||
      change.mentee.empty() || change.mentor.empty()) {
    entry->matches_stale = true;
    return;
  }
  const bool after_live = change.state == store::MatchState::kProposed ||
                          change.state == store::MatchState::kActive;
  const bool after_active = change.state == store::MatchState::kActive;
  auto adjust = [](absl::flat_hash_map<std::string, int>& m,
                   const std::string& k, int by) {
    if (by == 0) return;
    const int n = (m[k] += by);
    if (n <= 0) m.erase(k);
  };
  adjust(entry->loads, change.mentor, int{after_live} - int{before_live});
  adjust(entry->active_loads, change.mentor,
         int{after_active} - int{before_active});
  if (after_live) {
    entry->live_mentees[change.mentee] = after_active;
  } else {
    entry->live_mentees.erase(change.mentee);
  }
  const bool declined = change.state == store::MatchState::kDeclined;
  if (declined ||
      (change.state == store::MatchState::kEnded && change.excluded)) {
    entry->compiled->AddExclusion({change.mentee, change.mentor,
                                   declined ? matcher::PairExclusion::kDeclined
                                            : matcher::PairExclusion::kEnded});
    entry->excluded.insert(
        change.mentee < change.mentor
            ? absl::StrCat(change.mentee, "\x1f", change.mentor)
            : absl::StrCat(change.mentor, "\x1f", change.mentee));
  }
  if (auto m = entry->compiled->Find(change.mentor)) {
    entry->changed_mentors.insert(*m);
  }
  int64_t& own = entry->own_match_versions[change.match_id];
  own = std::max(own, change.version);
  ++entry->generation;
}

void PoolSnapshots::InvalidateMatches(const std::string& pool) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(pool);
  if (it != entries_.end()) it->second->matches_stale = true;
}

absl::StatusOr<PoolSnapshots::PoolCopy> PoolSnapshots::Copy(
    const std::string& pool, const matcher::ReferenceWeek& week,
    absl::Time deadline) {
  ASSIGN_OR_RETURN(std::shared_ptr<Entry> entry, Acquire(pool, deadline));
  RETURN_IF_ERROR(Refresh(entry.get(), deadline));
  PoolCopy copy;
  {
    absl::ReaderMutexLock lock(&entry->mu);
    copy.pool.emplace(*entry->compiled);
    copy.settings = entry->settings;
    copy.live_loads = entry->loads;
    copy.active_loads = entry->active_loads;
    copy.live_mentees = entry->live_mentees;
    copy.versions = entry->versions;
    copy.position = entry->position;
  }
  if (copy.pool->week().start != week.start) {
    matcher::TimeZoneCache zones;
    RETURN_IF_ERROR(copy.pool->SetWeek(week, &zones));
  }
  return copy;
}

void PoolSnapshots::InvalidateSettings(const std::string& pool) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(pool);
  if (it != entries_.end()) it->second->settings_stale = true;
}

absl::Status PoolSnapshots::CatchUp(Entry* entry, absl::Time deadline) {
  for (;;) {
    store::StreamId from;
    {
      absl::ReaderMutexLock lock(&entry->mu);
      from = entry->position;
    }
    ASSIGN_OR_RETURN(store::FeedBatch batch,
                     sources_.feed->Read(entry->pool, from, options_.feed_batch,
                                         absl::ZeroDuration(), deadline));
    if (batch.gap) {
      LOG_WARN("change stream gap: reloading snapshot",
               {{"pool", entry->pool}});
      absl::MutexLock load_lock(&entry->load_mu);
      return Load(entry, deadline);
    }
    // Fetch the members whose events are newer than what the snapshot holds;
    // apply everything in stream order under one exclusive lock.
    absl::flat_hash_map<std::string, std::optional<store::MemberRecord>>
        fetched;
    {
      absl::ReaderMutexLock lock(&entry->mu);
      for (const store::ChangeEvent& e : batch.events) {
        if (e.kind != "member" || e.op != "upsert") continue;
        auto it = entry->versions.find(e.entity_id);
        if (it == entry->versions.end() || it->second < e.version) {
          fetched.emplace(e.entity_id, std::nullopt);
        }
      }
    }
    for (auto& [id, record] : fetched) {
      absl::StatusOr<store::MemberRecord> r =
          sources_.members->Get(entry->pool, id, deadline);
      if (r.ok()) {
        record = *std::move(r);
      } else if (!absl::IsNotFound(r.status())) {
        return r.status();
      }
    }
    absl::MutexLock lock(&entry->mu);
    bool changed = false;
    for (const store::ChangeEvent& e : batch.events) {
      if (e.kind == "settings") {
        entry->settings_stale = true;
        continue;
      }
      if (e.kind == "match") {
        // This replica's own change, applied in place already?
        auto own = entry->own_match_versions.find(e.entity_id);
        if (own != entry->own_match_versions.end() &&
            e.version <= own->second) {
          if (e.version == own->second) entry->own_match_versions.erase(own);
          continue;
        }
        entry->matches_stale = true;
        continue;
      }
      if (e.kind != "member") continue;
      if (e.op == "delete") {
        changed |= RemoveMemberLocked(entry, e.entity_id);
        continue;
      }
      auto f = fetched.find(e.entity_id);
      if (f == fetched.end() || !f->second.has_value()) continue;
      const store::MemberRecord& r = *f->second;
      auto v = entry->versions.find(r.id());
      if (v != entry->versions.end() && v->second >= r.version) continue;
      UpsertMember(entry, r.profile, r.version);
    }
    if (changed) ++entry->generation;
    entry->position = batch.next;
    if (static_cast<int>(batch.events.size()) < options_.feed_batch) {
      return absl::OkStatus();
    }
  }
}

void PoolSnapshots::TailLoop() {
  Gauge* pools_gauge = MetricsRegistry::Default().GetGauge(
      "peermatch_snapshot_pools", "pools held in memory by this replica");
  while (!stopped_.WaitForNotificationWithTimeout(options_.poll_interval)) {
    std::vector<std::shared_ptr<Entry>> entries;
    int64_t now_ms = absl::ToUnixMillis(sources_.clock());
    {
      absl::MutexLock lock(&mu_);
      for (auto it = entries_.begin(); it != entries_.end();) {
        if (now_ms - it->second->last_access_ms >
            absl::ToInt64Milliseconds(options_.idle_evict)) {
          LOG_INFO("snapshot evicted (idle)", {{"pool", it->first}});
          it = entries_.erase(it);
          continue;
        }
        entries.push_back(it->second);
        ++it;
      }
    }
    pools_gauge->Set(static_cast<double>(entries.size()));
    for (const std::shared_ptr<Entry>& entry : entries) {
      {
        absl::MutexLock load_lock(&entry->load_mu);
        if (!entry->loaded) continue;
      }
      absl::Time deadline = absl::Now() + options_.load_timeout;
      absl::Status s = CatchUp(entry.get(), deadline);
      // Apply settings and match changes now rather than on the next read.
      if (s.ok()) s = Refresh(entry.get(), deadline);
      int64_t now = absl::ToUnixMillis(absl::Now());
      if (s.ok()) entry->last_sync_ms = now;
      {
        absl::ReaderMutexLock lock(&entry->mu);
        Labels labels = {{"pool", entry->pool}};
        MetricsRegistry& m = MetricsRegistry::Default();
        m.GetGauge("peermatch_snapshot_members", "members in the snapshot",
                   labels)
            ->Set(static_cast<double>(entry->compiled->size()));
        m.GetGauge("peermatch_snapshot_bytes",
                   "bytes of the compiled snapshot (R-PERF memory per member)",
                   labels)
            ->Set(static_cast<double>(entry->compiled->MemoryBytes()));
      }
      MetricsRegistry::Default()
          .GetGauge("peermatch_snapshot_staleness_seconds",
                    "time since the pool's snapshot was last confirmed up to "
                    "date with its change stream",
                    {{"pool", entry->pool}})
          ->Set((now - entry->last_sync_ms) / 1000.0);
    }
  }
}

void PoolSnapshots::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

size_t PoolSnapshots::loaded_pools() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

size_t PoolSnapshots::MemoryBytes(const std::string& pool) const {
  std::shared_ptr<Entry> entry;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(pool);
    if (it == entries_.end()) return 0;
    entry = it->second;
  }
  absl::ReaderMutexLock lock(&entry->mu);
  return entry->compiled ? entry->compiled->MemoryBytes() : 0;
}

}  // namespace peermatch::snapshot
