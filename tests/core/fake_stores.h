// In-memory fakes of the store interfaces (service/store/stores.h), for unit
// tests of the core use cases on their own. They keep records in maps, log
// the writes they were asked for, and fail on demand (`fail_next_*`), so a
// test can check what a use case asked of the store and how it reacts to an
// error. The Redis repositories themselves are tested against real Redis in
// tests/store; these fakes model only what the core layer relies on.
#ifndef PEERMATCH_TESTS_CORE_FAKE_STORES_H_
#define PEERMATCH_TESTS_CORE_FAKE_STORES_H_

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/store/stores.h"

namespace peermatch::testing {

inline absl::Status PopFailure(std::deque<absl::Status>* q) {
  if (q->empty()) return absl::OkStatus();
  absl::Status s = q->front();
  q->pop_front();
  return s;
}

class FakeMemberStore final : public store::MemberStore {
 public:
  std::map<std::string, std::map<std::string, store::MemberRecord>> pools;
  std::map<std::string, bool> pools_with_settings;  // PoolExists via settings
  int load_all_calls = 0;
  int deletes = 0;
  std::deque<absl::Status> fail_next_delete;
  absl::Time now = absl::FromUnixMillis(1700000000000);

  absl::StatusOr<store::UpsertResult> Upsert(absl::string_view pool,
                                             const store::MemberWrite& w,
                                             absl::Time) override {
    auto& members = pools[std::string(pool)];
    auto it = members.find(w.profile.id);
    const int64_t stored = it == members.end() ? 0 : it->second.version;
    if (w.expected_version.has_value() && *w.expected_version != stored) {
      return absl::AbortedError("version mismatch");
    }
    now += absl::Milliseconds(1);
    store::MemberRecord r{w.profile, stored + 1, now};
    members[w.profile.id] = r;
    return store::UpsertResult{r.version, stored == 0, now};
  }
  absl::StatusOr<std::vector<absl::StatusOr<store::UpsertResult>>> BatchUpsert(
      absl::string_view pool, absl::Span<const store::MemberWrite> writes,
      absl::Time deadline) override {
    std::vector<absl::StatusOr<store::UpsertResult>> out;
    for (const store::MemberWrite& w : writes) {
      out.push_back(Upsert(pool, w, deadline));
    }
    return out;
  }
  absl::StatusOr<store::MemberRecord> Get(absl::string_view pool,
                                          absl::string_view id,
                                          absl::Time) override {
    auto p = pools.find(std::string(pool));
    if (p == pools.end()) return absl::NotFoundError("member not found");
    auto it = p->second.find(std::string(id));
    if (it == p->second.end()) return absl::NotFoundError("member not found");
    return it->second;
  }
  absl::StatusOr<store::MemberPage> List(absl::string_view pool, int page_size,
                                         absl::string_view after_id,
                                         absl::Time) override {
    store::MemberPage page;
    const auto& members = pools[std::string(pool)];
    page.total_count = static_cast<int64_t>(members.size());
    for (auto it = members.upper_bound(std::string(after_id));
         it != members.end(); ++it) {
      if (static_cast<int>(page.members.size()) == page_size) {
        page.next_after_id = page.members.back().id();
        break;
      }
      page.members.push_back(it->second);
    }
    return page;
  }
  absl::StatusOr<store::DeleteResult> Delete(
      absl::string_view pool, absl::string_view id,
      const store::DeleteOptions& options, absl::Time) override {
    if (absl::Status s = PopFailure(&fail_next_delete); !s.ok()) return s;
    auto& members = pools[std::string(pool)];
    auto it = members.find(std::string(id));
    if (it == members.end()) return absl::NotFoundError("member not found");
    store::DeleteResult r;
    r.version = it->second.version;
    members.erase(it);
    ++deletes;
    return r;
  }
  absl::StatusOr<store::PoolLoad> LoadAll(absl::string_view pool,
                                          absl::Time) override {
    ++load_all_calls;
    store::PoolLoad load;
    for (const auto& [id, r] : pools[std::string(pool)]) {
      load.members.push_back(r);
    }
    return load;
  }
  absl::StatusOr<bool> PoolExists(absl::string_view pool, absl::Time) override {
    auto p = pools.find(std::string(pool));
    return (p != pools.end() && !p->second.empty()) ||
           pools_with_settings.contains(std::string(pool));
  }
  absl::StatusOr<std::vector<std::string>> ListPools(absl::Time) override {
    std::vector<std::string> out;
    for (const auto& [pool, members] : pools) out.push_back(pool);
    return out;
  }
};

class FakeMatchStore final : public store::MatchStore {
 public:
  std::map<std::string, std::map<std::string, store::MatchRecord>> pools;
  std::vector<store::CommitSpec> commits;  // every CommitProposals call
  std::deque<absl::Status> fail_next_commit;
  int load_state_calls = 0;
  int next_id = 1;

  absl::StatusOr<store::CommitResult> CommitProposals(
      absl::string_view pool, const store::CommitSpec& spec,
      absl::Time) override {
    commits.push_back(spec);
    if (absl::Status s = PopFailure(&fail_next_commit); !s.ok()) return s;
    auto& matches = pools[std::string(pool)];
    store::CommitResult out;
    if (spec.discard_previous) {
      for (auto it = matches.begin(); it != matches.end();) {
        if (it->second.state == store::MatchState::kProposed) {
          it = matches.erase(it);
          ++out.discarded;
        } else {
          ++it;
        }
      }
    }
    for (const store::Proposal& p : spec.proposals) {
      store::MatchRecord m;
      m.id = absl::StrCat("x", next_id++);
      m.mentee = p.mentee;
      m.mentor = p.mentor;
      m.state = spec.auto_publish ? store::MatchState::kActive
                                  : store::MatchState::kProposed;
      m.mentee_micros = p.mentee_micros;
      m.mentor_micros = p.mentor_micros;
      m.origin = "batch";
      m.version = 1;
      matches[m.id] = m;
      out.created.push_back(m.id);
      out.ids.push_back(m.id);
    }
    out.auto_published = spec.auto_publish;
    return out;
  }
  absl::StatusOr<int> Publish(absl::string_view pool,
                              const std::vector<std::string>& ids,
                              const std::string&, absl::Time) override {
    return SetState(pool, ids, store::MatchState::kActive);
  }
  absl::StatusOr<int> Discard(absl::string_view pool,
                              const std::vector<std::string>& ids,
                              const std::string&, absl::Time) override {
    auto& matches = pools[std::string(pool)];
    int n = 0;
    for (const std::string& id : ids) n += matches.erase(id);
    return n;
  }
  absl::StatusOr<store::MatchRecord> Transition(
      absl::string_view pool, absl::string_view match_id,
      const store::TransitionSpec& spec, absl::Time) override {
    auto& matches = pools[std::string(pool)];
    auto it = matches.find(std::string(match_id));
    if (it == matches.end()) return absl::NotFoundError("match not found");
    if (spec.op == "end") {
      it->second.state = store::MatchState::kEnded;
      it->second.excluded = spec.exclude;
    }
    if (spec.op == "decline") it->second.state = store::MatchState::kDeclined;
    ++it->second.version;
    return it->second;
  }
  absl::StatusOr<store::MatchRecord> CreateManual(
      absl::string_view pool, const store::Proposal& pair,
      const store::MentorCapacity&, bool override, const std::string& reason,
      const std::string&, absl::Time) override {
    store::MatchRecord m;
    m.id = absl::StrCat("x", next_id++);
    m.mentee = pair.mentee;
    m.mentor = pair.mentor;
    m.state = store::MatchState::kActive;
    m.mentee_micros = pair.mentee_micros;
    m.mentor_micros = pair.mentor_micros;
    m.origin = "manual";
    m.override = override;
    m.override_reason = reason;
    m.version = 1;
    pools[std::string(pool)][m.id] = m;
    return m;
  }
  absl::StatusOr<int> ExpireDue(absl::string_view, int, absl::Time) override {
    return 0;
  }
  absl::StatusOr<store::MatchRecord> Get(absl::string_view pool,
                                         absl::string_view match_id,
                                         absl::Time) override {
    auto& matches = pools[std::string(pool)];
    auto it = matches.find(std::string(match_id));
    if (it == matches.end()) return absl::NotFoundError("match not found");
    return it->second;
  }
  absl::StatusOr<store::LiveCounts> CountLive(absl::string_view pool,
                                              absl::Time) override {
    store::LiveCounts c;
    for (const auto& [id, m] : pools[std::string(pool)]) {
      c.proposed += m.state == store::MatchState::kProposed;
      c.active += m.state == store::MatchState::kActive;
    }
    return c;
  }
  absl::StatusOr<store::MatchPage> List(
      absl::string_view pool, absl::string_view member,
      const std::vector<store::MatchState>& states, int page_size,
      int64_t offset, absl::Time) override {
    store::MatchPage page;
    for (const auto& [id, m] : pools[std::string(pool)]) {
      if (!member.empty() && m.mentee != member && m.mentor != member) continue;
      if (!states.empty() &&
          std::find(states.begin(), states.end(), m.state) == states.end()) {
        continue;
      }
      page.matches.push_back(m);
    }
    return page;
  }
  absl::StatusOr<store::MatchStateLoad> LoadState(absl::string_view pool,
                                                  absl::Time) override {
    ++load_state_calls;
    store::MatchStateLoad load;
    for (const auto& [id, m] : pools[std::string(pool)]) {
      if (m.state == store::MatchState::kProposed ||
          m.state == store::MatchState::kActive) {
        load.live.push_back(
            {id, m.mentee, m.mentor, m.state == store::MatchState::kActive});
      }
      // Pairs excluded for good, as the store's excluded-pairs hash holds.
      if (m.state == store::MatchState::kDeclined ||
          (m.state == store::MatchState::kEnded && m.excluded)) {
        load.excluded.push_back({m.mentee, m.mentor,
                                 m.state == store::MatchState::kDeclined
                                     ? matcher::PairExclusion::kDeclined
                                     : matcher::PairExclusion::kEnded});
      }
    }
    return load;
  }

 private:
  absl::StatusOr<int> SetState(absl::string_view pool,
                               const std::vector<std::string>& ids,
                               store::MatchState state) {
    auto& matches = pools[std::string(pool)];
    int n = 0;
    for (auto& [id, m] : matches) {
      if (m.state != store::MatchState::kProposed) continue;
      if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) {
        continue;
      }
      m.state = state;
      ++n;
    }
    return n;
  }
};

class FakeGroupStore final : public store::GroupStore {
 public:
  std::map<std::string, std::map<std::string, store::GroupRecord>> pools;
  std::vector<store::GroupChangeSet> applied;  // every Apply call
  std::deque<absl::Status> fail_next_apply;
  int next_id = 1;

  absl::StatusOr<std::vector<std::string>> Apply(
      absl::string_view pool, const store::GroupChangeSet& changes,
      absl::Time) override {
    applied.push_back(changes);
    if (absl::Status s = PopFailure(&fail_next_apply); !s.ok()) return s;
    auto& groups = pools[std::string(pool)];
    std::vector<std::string> created;
    for (const store::GroupOp& op : changes.ops) {
      switch (op.kind) {
        case store::GroupOp::Kind::kCreate: {
          store::GroupRecord g;
          g.id = absl::StrCat("g", next_id++);
          g.state = op.state;
          g.members = op.members;
          g.details = op.details;
          g.version = 1;
          groups[g.id] = g;
          created.push_back(g.id);
          break;
        }
        case store::GroupOp::Kind::kUpdate: {
          store::GroupRecord& g = groups.at(op.id);
          g.state = op.state;
          g.members = op.members;
          g.details = op.details;
          ++g.version;
          break;
        }
        case store::GroupOp::Kind::kDissolve: {
          store::GroupRecord& g = groups.at(op.id);
          g.state = store::GroupState::kDissolved;
          g.dissolve_reason = op.reason;
          ++g.version;
          break;
        }
        case store::GroupOp::Kind::kDelete:
          groups.erase(op.id);
          break;
      }
    }
    return created;
  }
  absl::StatusOr<store::GroupSnapshot> LoadLive(absl::string_view pool,
                                                absl::Time) override {
    store::GroupSnapshot s;
    for (const auto& [id, g] : pools[std::string(pool)]) {
      if (g.state != store::GroupState::kDissolved) s.groups.push_back(g);
    }
    return s;
  }
  absl::StatusOr<store::GroupRecord> Get(absl::string_view pool,
                                         absl::string_view group_id,
                                         absl::Time) override {
    auto& groups = pools[std::string(pool)];
    auto it = groups.find(std::string(group_id));
    if (it == groups.end()) return absl::NotFoundError("group not found");
    return it->second;
  }
  absl::StatusOr<std::optional<std::string>> GroupOf(absl::string_view pool,
                                                     absl::string_view member,
                                                     absl::Time) override {
    for (const auto& [id, g] : pools[std::string(pool)]) {
      if (g.state == store::GroupState::kDissolved) continue;
      if (std::find(g.members.begin(), g.members.end(), member) !=
          g.members.end()) {
        return std::optional<std::string>(id);
      }
    }
    return std::optional<std::string>();
  }
  absl::StatusOr<store::GroupPage> List(
      absl::string_view pool, const std::vector<store::GroupState>& states, int,
      int64_t, absl::Time) override {
    store::GroupPage page;
    for (const auto& [id, g] : pools[std::string(pool)]) {
      if (states.empty() ||
          std::find(states.begin(), states.end(), g.state) != states.end()) {
        page.groups.push_back(g);
      }
    }
    return page;
  }
};

class FakeSettingsStore final : public store::SettingsStore {
 public:
  std::map<std::string, store::SettingsRecord> pools;
  int puts = 0;

  absl::StatusOr<std::optional<store::SettingsRecord>> Get(
      absl::string_view pool, absl::Time) override {
    auto it = pools.find(std::string(pool));
    if (it == pools.end()) return std::optional<store::SettingsRecord>();
    return std::optional<store::SettingsRecord>(it->second);
  }
  absl::StatusOr<int64_t> Put(absl::string_view pool,
                              const store::PoolConfig& config,
                              std::optional<int64_t> expected_version,
                              absl::string_view, absl::Time) override {
    store::SettingsRecord& r = pools[std::string(pool)];
    if (expected_version.has_value() && *expected_version != r.version) {
      return absl::AbortedError("settings changed");
    }
    r.config = config;
    ++r.version;
    ++puts;
    return r.version;
  }
};

}  // namespace peermatch::testing

#endif  // PEERMATCH_TESTS_CORE_FAKE_STORES_H_
