// MatchRepository checked against its own indexes, independently of its
// read paths (R-MATCHREC, R-LIFECYCLE, R-STORE, R-TEST): after every one of
// a few hundred random operations, the whole match keyspace is read through
// the test harness and compared with what the match records imply; an
// operation that fails must have changed nothing at all. Also the full
// transition table (every operation from every state) and the content of
// match events. Standalone and Cluster.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/keys.h"
#include "service/store/match_repository.h"
#include "service/store/member_repository.h"
#include "tests/store/store_fixture.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::peermatch::testing::TestReply;
using ::testing::IsEmpty;

constexpr char kPool[] = "inv-pool";

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

// Everything the store keeps for the pool, read key by key through the
// harness: key -> canonical text of its contents (sorted members, fields).
using Dump = std::map<std::string, std::string>;

// One match record as stored (field -> value).
using Fields = std::map<std::string, std::string>;

class MatchInvariantsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    members_ = std::make_unique<MemberRepository>(client_.get());
    MatchRepositoryOptions o;
    o.clock = [this] { return absl::FromUnixMillis(now_ms_); };
    matches_ = std::make_unique<MatchRepository>(client_.get(), o);
  }

  void AddMember(const std::string& id, int capacity) {
    MemberWrite w = TestMember(id);
    w.profile.mentor_capacity = capacity;
    w.profile.roles = kRoleBitMentee | kRoleBitMentor;
    ASSERT_THAT(members_->Upsert(kPool, w, Soon()), IsOk());
    capacity_[id] = capacity;
  }
  // The mentor as the API layer passes it: the capacity with the stored
  // version it belongs to.
  MentorCapacity Mentor(const std::string& id) {
    absl::StatusOr<MemberRecord> m = members_->Get(kPool, id, Soon());
    return {id, m.ok() ? m->version : 1, capacity_.at(id)};
  }

  absl::StatusOr<TestReply> Read(const std::string& key,
                                 std::vector<std::string> args) {
    return Inspect(key, args);
  }

  // Reads every key of the pool. Streams are summarized by their length
  // (an operation that fails must not append to them either).
  Dump ReadAll() {
    Dump out;
    for (const std::string& key : ScanAll(keys::PoolPrefix(kPool) + "*")) {
      KeyContents c = ReadKey(key);
      std::vector<std::string> parts;
      if (c.type == "stream") {
        parts = {absl::StrCat(c.stream_entries)};
      } else if (c.type == "hash" || c.type == "zset") {
        for (size_t i = 0; i + 1 < c.values.size(); i += 2) {
          parts.push_back(c.values[i] + "=" + c.values[i + 1]);
        }
      } else {
        parts = std::move(c.values);
      }
      std::sort(parts.begin(), parts.end());
      out[key] = absl::StrJoin(parts, " ");
    }
    return out;
  }

  static std::set<std::string> Words(const Dump& d, const std::string& key) {
    std::set<std::string> out;
    auto it = d.find(key);
    if (it == d.end() || it->second.empty()) return out;
    for (absl::string_view w : absl::StrSplit(it->second, ' ')) {
      out.insert(std::string(w));
    }
    return out;
  }

  // The match records of a dump, by id.
  static std::map<std::string, Fields> Records(const Dump& d) {
    std::map<std::string, Fields> out;
    const std::string prefix = keys::Match(kPool, "");
    for (const auto& [key, text] : d) {
      if (!absl::StartsWith(key, prefix)) continue;
      Fields f;
      for (absl::string_view kv : absl::StrSplit(text, ' ')) {
        const size_t eq = kv.find('=');
        f[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
      }
      out[key.substr(prefix.size())] = f;
    }
    return out;
  }

  // Everything the indexes must be, derived from the records alone, and
  // compared with what is stored.
  void CheckIndexes(const Dump& d, const std::string& context) {
    SCOPED_TRACE(context);
    const std::map<std::string, Fields> recs = Records(d);
    std::map<std::string, std::set<std::string>> mentor_live, by_member;
    std::map<std::string, std::set<std::string>> mentee_live;
    std::set<std::string> proposed, active, excluded, all;
    std::map<std::string, int> overrides;
    for (const auto& [id, f] : recs) {
      const std::string& e = f.at("e");
      const std::string& m = f.at("m");
      const std::string& s = f.at("s");
      all.insert(id);
      if (!e.empty()) by_member[e].insert(id);
      if (!m.empty()) by_member[m].insert(id);
      if (s == "1" || s == "2") {
        EXPECT_FALSE(e.empty() || m.empty()) << id << ": live but erased";
        mentor_live[m].insert(id);
        mentee_live[e].insert(id);
        if (f.count("ov") && f.at("ov") == "1") ++overrides[m];
      }
      if (s == "1") {
        proposed.insert(absl::StrCat(id, "=", f.at("xt")));
      } else if (s == "2" || s == "4") {
        // Only records that are or were proposals keep an expiry time.
        EXPECT_EQ(f.count("xt"), 0u) << id << ": expiry on state " << s;
      }
      if (s == "2") active.insert(id);
      const bool excludes =
          s == "3" || (s == "4" && f.count("ex") && f.at("ex") == "1");
      if (excludes && !e.empty() && !m.empty()) {
        excluded.insert(absl::StrCat(e, "|", m));
      }
    }
    for (const auto& [m, ids] : mentor_live) {
      EXPECT_EQ(Words(d, keys::MentorLive(kPool, m)), ids) << m;
      // R-MATCHREC: capacity holds, beyond it only by audited overrides.
      EXPECT_LE(static_cast<int>(ids.size()), capacity_[m] + overrides[m]) << m;
    }
    for (const auto& [e, ids] : mentee_live) {
      ASSERT_EQ(ids.size(), 1u) << e << " has several live matches";
      EXPECT_EQ(Words(d, keys::MenteeLive(kPool, e)), ids) << e;
    }
    for (const auto& [key, text] : d) {
      // No live slot without a live match behind it.
      if (absl::StartsWith(key, keys::MentorLive(kPool, ""))) {
        EXPECT_TRUE(
            mentor_live.count(key.substr(keys::MentorLive(kPool, "").size())))
            << key;
      }
      if (absl::StartsWith(key, keys::MenteeLive(kPool, ""))) {
        EXPECT_TRUE(
            mentee_live.count(key.substr(keys::MenteeLive(kPool, "").size())))
            << key;
      }
      if (absl::StartsWith(key, keys::MemberMatches(kPool, ""))) {
        const std::string member =
            key.substr(keys::MemberMatches(kPool, "").size());
        std::set<std::string> ids;
        for (const std::string& w : Words(d, key)) {
          ids.insert(w.substr(0, w.find('=')));
        }
        EXPECT_EQ(ids, by_member[member]) << key;
      }
    }
    std::set<std::string> index;
    for (const std::string& w : Words(d, keys::MatchIndex(kPool))) {
      index.insert(w.substr(0, w.find('=')));
    }
    EXPECT_EQ(index, all);
    EXPECT_EQ(Words(d, keys::ProposedMatches(kPool)), proposed);
    EXPECT_EQ(Words(d, keys::ActiveMatches(kPool)), active);
    std::set<std::string> stored_excluded;
    for (const std::string& w : Words(d, keys::ExcludedPairs(kPool))) {
      stored_excluded.insert(w.substr(0, w.find('=')));
    }
    EXPECT_EQ(stored_excluded, excluded);
  }

  // Ids of the stored matches in a given state ("" = any).
  std::vector<std::string> Ids(const Dump& d, const std::string& state) {
    std::vector<std::string> out;
    for (const auto& [id, f] : Records(d)) {
      if (state.empty() || f.at("s") == state) out.push_back(id);
    }
    return out;
  }

  std::atomic<int64_t> now_ms_{1700000000000};
  std::map<std::string, int> capacity_;
  std::unique_ptr<MemberRepository> members_;
  std::unique_ptr<MatchRepository> matches_;
};

// What a random operation may pick from.
struct Choice {
  std::vector<std::string> any, live, proposed;
  std::map<std::string, std::pair<std::string, std::string>> parties;
};

const std::vector<std::string> kMentees = {"e0", "e1", "e2", "e3",
                                           "e4", "e5", "e6", "e7"};
const std::vector<std::string> kMentors = {"m0", "m1", "m2", "m3"};
const std::vector<int> kCapacities = {1, 2, 1, 3};

class RandomWalkTest : public MatchInvariantsTest {
 protected:
  void SetUp() override {
    MatchInvariantsTest::SetUp();
    if (HasFatalFailure()) return;
    for (const std::string& e : kMentees) AddMember(e, 0);
    for (size_t j = 0; j < kMentors.size(); ++j) {
      AddMember(kMentors[j], kCapacities[j]);
    }
  }

  static Choice FromRecords(const std::vector<MatchRecord>& records) {
    Choice c;
    for (const MatchRecord& m : records) {
      c.any.push_back(m.id);
      if (m.state == MatchState::kProposed) c.proposed.push_back(m.id);
      if (m.state == MatchState::kProposed || m.state == MatchState::kActive) {
        c.live.push_back(m.id);
      }
      c.parties[m.id] = {m.mentee, m.mentor};
    }
    return c;
  }

  // One random operation through the repositories (weighted: transitions,
  // mostly of live matches, are the most common; erasure the rarest).
  // `*what` describes it for failure messages.
  absl::Status RandomOp(std::mt19937& rng, const Choice& c, std::string* what) {
    auto pick = [&](const std::vector<std::string>& v) {
      return v[rng() % v.size()];
    };
    constexpr int kWeights[] = {3, 3, 2, 2, 4, 4, 4, 1, 1};
    int r = static_cast<int>(rng() % 24);
    int op = 0;
    while (r >= kWeights[op]) r -= kWeights[op++];
    switch (op) {
      case 0: {  // a batch run's commit, default or incremental
        CommitSpec spec;
        spec.discard_previous = rng() % 3 != 0;
        spec.proposal_ttl = absl::Minutes(1 + rng() % 30);
        spec.actor = "coord";
        std::set<std::string> used;
        std::set<std::string> named;
        for (int n = rng() % 4; n > 0; --n) {
          const std::string e = pick(kMentees);
          if (!used.insert(e).second) continue;
          const std::string m = pick(kMentors);
          spec.proposals.push_back({e, m, 1, 1});
          if (named.insert(m).second) spec.mentors.push_back(Mentor(m));
        }
        *what = absl::StrCat("commit of ", spec.proposals.size());
        return matches_->CommitProposals(kPool, spec, Soon()).status();
      }
      case 1: {
        const bool override = rng() % 5 == 0;
        const std::string e = pick(kMentees), m = pick(kMentors);
        *what = absl::StrCat("manual ", e, " ", m, override ? " override" : "");
        return matches_
            ->CreateManual(kPool, {e, m, 1, 1}, Mentor(m), override,
                           override ? "pilot" : "", "coord", Soon())
            .status();
      }
      case 2: {
        std::vector<std::string> ids;
        if (!c.any.empty() && rng() % 2 == 0) ids = {pick(c.any)};
        *what = absl::StrCat("publish ", ids.empty() ? "all" : ids[0]);
        return matches_->Publish(kPool, ids, "coord", Soon()).status();
      }
      case 3: {
        std::vector<std::string> ids;
        if (!c.proposed.empty() && rng() % 3 != 0) ids = {pick(c.proposed)};
        if (!c.any.empty() && rng() % 4 == 0) ids = {pick(c.any)};
        *what = absl::StrCat("discard ", ids.empty() ? "all" : ids[0]);
        return matches_->Discard(kPool, ids, "coord", Soon()).status();
      }
      case 4:
      case 5:
      case 6: {
        if (c.any.empty()) {
          *what = "nothing";
          return absl::OkStatus();
        }
        const std::string id =
            !c.live.empty() && rng() % 8 != 0 ? pick(c.live) : pick(c.any);
        const auto& [e, m] = c.parties.at(id);
        TransitionSpec t;
        t.op = std::vector<std::string>{"accept", "decline", "end",
                                        "expire"}[rng() % 4];
        const int who = rng() % 5;
        t.member = who < 2 ? e : who < 4 ? m : "stranger";
        t.reason = "r";
        t.exclude = rng() % 2 == 0;
        t.actor = "coord";
        *what = absl::StrCat(t.op, " ", id, " by ", t.member);
        return matches_->Transition(kPool, id, t, Soon()).status();
      }
      case 7: {
        now_ms_ += (rng() % 20) * 60 * 1000;
        *what = "expire due";
        return matches_->ExpireDue(kPool, 1 + rng() % 5, Soon()).status();
      }
      default: {  // erasure, then the id comes back as a new member
        const bool mentor = rng() % 2 == 0;
        const std::string id = mentor ? pick(kMentors) : pick(kMentees);
        *what = absl::StrCat("delete ", id);
        absl::Status s = members_->Delete(kPool, id, {}, Soon()).status();
        if (!s.ok()) return s;
        MemberWrite w = TestMember(id);
        w.profile.mentor_capacity = capacity_.at(id);
        w.profile.roles = kRoleBitMentee | kRoleBitMentor;
        return members_->Upsert(kPool, w, Soon()).status();
      }
    }
  }
};

TEST_P(RandomWalkTest, EveryStepKeepsEveryIndexExact) {
  constexpr uint32_t kSeed = 20261126;
  constexpr int kSteps = 400;
  std::mt19937 rng(kSeed);
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  std::map<std::string, int> outcomes;
  Dump before = ReadAll();
  for (int step = 0; step < kSteps; ++step) {
    Choice choice;
    for (const auto& [id, f] : Records(before)) {
      choice.any.push_back(id);
      if (f.at("s") == "1") choice.proposed.push_back(id);
      if (f.at("s") == "1" || f.at("s") == "2") choice.live.push_back(id);
      choice.parties[id] = {f.at("e"), f.at("m")};
    }
    std::string what;
    const absl::Status status = RandomOp(rng, choice, &what);
    const std::string context =
        absl::StrCat("step ", step, ": ", what, " -> ", status.ToString());
    ++outcomes[std::string(absl::StatusCodeToString(status.code()))];
    ++outcomes[what.substr(0, what.find(' ')) + (status.ok() ? "+" : "-")];
    const Dump after = ReadAll();
    if (!status.ok()) {
      // Nothing at all changed, except the id counter (ids are reserved
      // before the script runs; gaps are harmless).
      Dump a = after, b = before;
      a.erase(keys::MatchSeq(kPool));
      b.erase(keys::MatchSeq(kPool));
      EXPECT_EQ(a, b) << context;
      EXPECT_NE(status.code(), absl::StatusCode::kInternal) << context;
      EXPECT_NE(status.code(), absl::StatusCode::kUnavailable) << context;
    }
    CheckIndexes(after, context);
    if (HasFailure()) break;
    before = after;
  }
  // The walk reached both outcomes, and every kind of success, often enough
  // to mean something.
  EXPECT_GE(outcomes["OK"], kSteps / 3);
  EXPECT_GE(outcomes["FAILED_PRECONDITION"], 20);
  for (const char* done :
       {"commit+", "manual+", "publish+", "discard+", "accept+", "decline+",
        "end+", "expire+", "delete+"}) {
    EXPECT_GE(outcomes[done], 3) << done;
  }
}

// The same operations from 4 threads at once (each picks from what the
// repository lists): whatever the interleaving, the indexes agree with the
// records at the end, and no operation fails in a way that means a broken
// script (INTERNAL) or a lost connection.
TEST_P(RandomWalkTest, ConcurrentStepsKeepEveryIndexExact) {
  constexpr int kThreads = 4;
  constexpr int kSteps = 100;
  std::vector<std::thread> threads;
  std::vector<std::map<std::string, int>> outcomes(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const uint32_t seed = 777 + t;
      std::mt19937 rng(seed);
      for (int step = 0; step < kSteps; ++step) {
        absl::StatusOr<MatchPage> page =
            matches_->List(kPool, "", {}, 100, 0, Soon());
        ASSERT_THAT(page, IsOk());
        std::string what;
        const absl::Status s = RandomOp(rng, FromRecords(page->matches), &what);
        ++outcomes[t][std::string(absl::StatusCodeToString(s.code()))];
        EXPECT_NE(s.code(), absl::StatusCode::kInternal)
            << "seed " << seed << " step " << step << ": " << what << " -> "
            << s;
        EXPECT_NE(s.code(), absl::StatusCode::kUnavailable)
            << "seed " << seed << " step " << step << ": " << what;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CheckIndexes(ReadAll(), "after the concurrent walk");
  int ok = 0;
  for (auto& o : outcomes) ok += o["OK"];
  EXPECT_GE(ok, kThreads * kSteps / 4);
}

// Every operation from every state: allowed ones move the match as the
// SPEC says (R-LIFECYCLE), refused ones are FAILED_PRECONDITION and write
// nothing.
TEST_P(MatchInvariantsTest, TransitionTable) {
  enum Op { kPublish, kDiscard, kAccept, kDecline, kEnd };
  const char* kOpNames[] = {"publish", "discard", "accept", "decline", "end"};
  // Expected state after each op from each state; "" = refused; "gone" =
  // the record is deleted (a discarded proposal).
  const std::map<std::string, std::vector<std::string>> table = {
      {"1", {"2", "gone", "", "3", ""}},  // PROPOSED
      {"2", {"", "", "2", "3", "4"}},     // ACTIVE
      {"3", {"", "", "", "", ""}},        // DECLINED
      {"4", {"", "", "", "", ""}},        // ENDED
      {"5", {"", "", "", "", ""}},        // EXPIRED
  };
  AddMember("m", 20);
  int mentee = 0;
  // A fresh match in `state`, with its own mentee.
  auto make = [&](const std::string& state) -> std::string {
    const std::string e = absl::StrCat("e", mentee++);
    AddMember(e, 0);
    CommitSpec spec;
    spec.discard_previous = false;
    spec.proposals = {{e, "m", 1, 1}};
    spec.mentors = {Mentor("m")};
    spec.proposal_ttl = absl::Minutes(5);
    absl::StatusOr<CommitResult> c =
        matches_->CommitProposals(kPool, spec, Soon());
    EXPECT_THAT(c, IsOk());
    if (!c.ok()) return "";
    const std::string id = c->created[0];
    TransitionSpec t;
    t.member = e;
    t.reason = "r";
    if (state == "2" || state == "4") {
      EXPECT_THAT(matches_->Publish(kPool, {id}, "coord", Soon()), IsOk());
    }
    if (state == "3") {
      t.op = "decline";
      EXPECT_THAT(matches_->Transition(kPool, id, t, Soon()), IsOk());
    }
    if (state == "4") {
      t.op = "end";
      EXPECT_THAT(matches_->Transition(kPool, id, t, Soon()), IsOk());
    }
    if (state == "5") {
      now_ms_ += 10 * 60 * 1000;
      EXPECT_THAT(matches_->ExpireDue(kPool, 100, Soon()), IsOk());
    }
    return id;
  };
  for (const auto& [from, row] : table) {
    for (int op = kPublish; op <= kEnd; ++op) {
      const std::string id = make(from);
      ASSERT_FALSE(id.empty());
      const std::string context =
          absl::StrCat(kOpNames[op], " from state ", from, " (", id, ")");
      ASSERT_OK_AND_ASSIGN(MatchRecord m0, matches_->Get(kPool, id, Soon()));
      ASSERT_EQ(static_cast<int>(m0.state), std::stoi(from)) << context;
      const Dump before = ReadAll();
      absl::Status s;
      if (op == kPublish) {
        s = matches_->Publish(kPool, {id}, "coord", Soon()).status();
      } else if (op == kDiscard) {
        s = matches_->Discard(kPool, {id}, "coord", Soon()).status();
      } else {
        TransitionSpec t;
        t.op = kOpNames[op];
        t.member = m0.mentor;
        t.reason = "r";
        s = matches_->Transition(kPool, id, t, Soon()).status();
      }
      const std::string& want = row[op];
      if (want.empty()) {
        EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition))
            << context;
        Dump after = ReadAll();
        EXPECT_EQ(after, before) << context;
        continue;
      }
      EXPECT_THAT(s, IsOk()) << context;
      absl::StatusOr<MatchRecord> m1 = matches_->Get(kPool, id, Soon());
      if (want == "gone") {
        EXPECT_THAT(m1, StatusIs(absl::StatusCode::kNotFound)) << context;
      } else {
        ASSERT_THAT(m1, IsOk()) << context;
        EXPECT_EQ(static_cast<int>(m1->state), std::stoi(want)) << context;
        EXPECT_EQ(m1->version, m0.version + 1) << context;
      }
      CheckIndexes(ReadAll(), context);
    }
  }
}

TEST_P(MatchInvariantsTest, MatchEventsCarryIdsAndVersionsOnly) {
  AddMember("m", 3);
  AddMember("e1", 0);
  AddMember("e2", 0);
  CommitSpec spec;
  spec.proposals = {{"e1", "m", 1, 1}, {"e2", "m", 1, 1}};
  spec.mentors = {Mentor("m")};
  ASSERT_OK_AND_ASSIGN(CommitResult c,
                       matches_->CommitProposals(kPool, spec, Soon()));
  ASSERT_THAT(matches_->Publish(kPool, {}, "coord", Soon()), IsOk());
  TransitionSpec t;
  t.op = "decline";
  t.member = "e1";
  t.reason = "private-words-of-e1";
  ASSERT_THAT(matches_->Transition(kPool, c.created[0], t, Soon()), IsOk());
  t.op = "end";
  t.reason = "private-words-of-coordinator";
  ASSERT_THAT(matches_->Transition(kPool, c.created[1], t, Soon()), IsOk());
  ASSERT_THAT(members_->Delete(kPool, "e2", {}, Soon()), IsOk());
  const std::string feed = keys::Feed(kPool);
  ASSERT_OK_AND_ASSIGN(TestReply r, Read(feed, {"XRANGE", feed, "-", "+"}));
  int match_events = 0;
  for (const TestReply& e : r.elements) {
    std::vector<std::string> kv = e.elements[1].Strings();
    std::map<std::string, std::string> fields;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) fields[kv[i]] = kv[i + 1];
    if (fields["kind"] != "match") continue;
    ++match_events;
    std::set<std::string> names;
    for (const auto& [k, v] : fields) {
      names.insert(k);
      EXPECT_THAT(v, ::testing::Not(::testing::HasSubstr("private")));
    }
    EXPECT_EQ(names, (std::set<std::string>{"kind", "op", "id", "v"}));
    int64_t v = 0;
    EXPECT_TRUE(absl::SimpleAtoi(fields["v"], &v)) << fields["v"];
  }
  // 2 proposed + 2 published + declined + ended + erased.
  EXPECT_EQ(match_events, 7);
  // The audit entries hold no reason either.
  const std::string audit = keys::Audit(kPool);
  ASSERT_OK_AND_ASSIGN(TestReply a, Read(audit, {"XRANGE", audit, "-", "+"}));
  EXPECT_FALSE(a.elements.empty());
  EXPECT_THAT(a.DebugString(), ::testing::Not(::testing::HasSubstr("private")));
}

INSTANTIATE_TEST_SUITE_P(Backends, RandomWalkTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, MatchInvariantsTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);

}  // namespace
}  // namespace peermatch::store
