// R-STABLE / R-RECOMMEND on pools: candidate pruning returns exactly the
// acceptable pairs, batch matching equals deferred acceptance on lists built
// independently in this test from the reference scorer, every match passes
// every hard constraint, capacities hold, results do not depend on input
// order or on threads, and the unmatched reasons follow SPEC §8.
#include "matcher/batch_matching.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "matcher/candidate_index.h"
#include "matcher/recommend.h"
#include "matcher/time.h"
#include "tests/matcher/random_pool.h"
#include "tests/matcher/reference_scorer.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

const ReferenceWeek kWeek = ReferenceWeekContaining(
    absl::FromCivil(absl::CivilDay(2026, 3, 11), absl::UTCTimeZone()));

// A random pool with everything the reference needs, by id.
struct World {
  explicit World(uint64_t seed, int members = 40) : rng(seed) {
    testing::RandomPoolOptions o;
    o.members = members;
    rp = testing::MakeRandomPool(rng, o);
    auto compiled =
        CompiledPool::Compile(rp.members, rp.exclusions, kWeek, &zones);
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    pool.emplace(*std::move(compiled));
    scorer.emplace(*Scorer::Create(*pool, rp.settings));
    for (const ExcludedPair& p : rp.exclusions) {
      (p.kind == PairExclusion::kDeclined ? ex.declined : ex.ended)
          .insert({p.a, p.b});
    }
    for (const MemberProfile& p : rp.members) {
      by_id[p.id] = &p;
      slots[p.id] =
          *AvailabilitySlots(p.availability, *zones.Load(p.time_zone), kWeek);
    }
  }
  // Reference: acceptable (hard constraints + both >= min_score) and scores.
  bool Acceptable(const std::string& e, const std::string& m, long long* se,
                  long long* sm) const {
    testing::ReferenceScore r = testing::ReferenceScorePair(
        *by_id.at(e), *by_id.at(m), slots.at(e), slots.at(m), rp.settings, ex);
    *se = r.mentee_micros;
    *sm = r.mentor_micros;
    const long long min = MinScoreMicros(rp.settings.min_score);
    return r.failed.empty() && *se >= min && *sm >= min;
  }

  std::mt19937_64 rng;
  testing::RandomPool rp;
  TimeZoneCache zones;
  std::optional<CompiledPool> pool;
  std::optional<Scorer> scorer;
  testing::ReferenceExclusions ex;
  std::map<std::string, const MemberProfile*> by_id;
  std::map<std::string, SlotSet> slots;
};

// Every member with the mentee role, and every member with the mentor role
// at its profile capacity.
BatchInput AllOf(const CompiledPool& pool) {
  BatchInput in;
  for (MemberIndex i : pool.by_id()) {
    if (pool.core(i).flags & kFlagMentee) in.mentees.push_back(i);
    if (pool.core(i).flags & kFlagMentor) {
      in.mentors.emplace_back(i, pool.core(i).capacity);
    }
  }
  return in;
}

// The expected result, from lists built here with the reference scorer and
// solved by deferred acceptance: mentee id -> mentor id.
std::map<std::string, std::string> ExpectedMatching(const World& w,
                                                    const BatchInput& in,
                                                    int max_candidates,
                                                    ProposingSide side) {
  std::vector<std::string> mentees, mentors;
  std::vector<int32_t> capacity;
  for (MemberIndex e : in.mentees) mentees.push_back(w.pool->id(e));
  for (const auto& [m, cap] : in.mentors) {
    if (cap <= 0) continue;
    mentors.push_back(w.pool->id(m));
    capacity.push_back(cap);
  }
  struct Entry {
    long long score;
    std::string id;
    int index;
  };
  auto better = [](const Entry& a, const Entry& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  };
  std::vector<std::vector<int32_t>> mentee_lists(mentees.size()),
      mentor_lists(mentors.size());
  std::vector<std::vector<Entry>> mentor_entries(mentors.size());
  for (size_t e = 0; e < mentees.size(); ++e) {
    std::vector<Entry> list;
    std::vector<long long> mentor_view(mentors.size());
    for (size_t m = 0; m < mentors.size(); ++m) {
      long long se, sm;
      if (w.Acceptable(mentees[e], mentors[m], &se, &sm)) {
        list.push_back({se, mentors[m], static_cast<int>(m)});
        mentor_view[m] = sm;
      }
    }
    std::sort(list.begin(), list.end(), better);
    if (max_candidates > 0 && static_cast<int>(list.size()) > max_candidates) {
      list.resize(max_candidates);
    }
    for (const Entry& x : list) {
      mentee_lists[e].push_back(x.index);
      mentor_entries[x.index].push_back(
          {mentor_view[x.index], mentees[e], static_cast<int>(e)});
    }
  }
  for (size_t m = 0; m < mentors.size(); ++m) {
    std::sort(mentor_entries[m].begin(), mentor_entries[m].end(), better);
    for (const Entry& x : mentor_entries[m]) mentor_lists[m].push_back(x.index);
  }
  auto r = SolveStableMatching(
      RankLists::FromVectors(mentee_lists, mentor_lists, capacity), side);
  std::map<std::string, std::string> out;
  for (size_t e = 0; e < mentees.size(); ++e) {
    if (r->mentor_of[e] >= 0) out[mentees[e]] = mentors[r->mentor_of[e]];
  }
  return out;
}

std::map<std::string, std::string> ById(const CompiledPool& pool,
                                        const BatchResult& r) {
  std::map<std::string, std::string> out;
  for (const MatchedPair& p : r.matches)
    out[pool.id(p.mentee)] = pool.id(p.mentor);
  return out;
}

TEST(CandidateIndexTest, TouchedHours) {
  SlotSet s;
  s.SetRange(3, 5);    // slot 3 in hour 0, slot 4 in hour 1
  s.Set(671);          // hour 167
  s.SetRange(63, 65);  // hours 15 and 16, across the word boundary
  const HourSet h = TouchedHours(s);
  EXPECT_EQ(h[0], (uint64_t{1} << 0) | (uint64_t{1} << 1) |
                      (uint64_t{1} << 15) | (uint64_t{1} << 16));
  EXPECT_EQ(h[1], 0u);
  EXPECT_EQ(h[2], uint64_t{1} << (167 - 128));
  EXPECT_EQ(TouchedHours(SlotSet()), HourSet{});
}

TEST(CandidateIndexTest, FindsExactlyTheAcceptableMentors) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    World w(seed, 60);
    BatchInput in = AllOf(*w.pool);
    std::vector<MemberIndex> mentors;
    for (const auto& [m, cap] : in.mentors) mentors.push_back(m);
    CandidateIndex index(*w.scorer, mentors);
    CandidateIndex::Scratch scratch;
    for (MemberIndex e : in.mentees) {
      std::vector<Candidate> got;
      index.Acceptable(e, &scratch, &got);
      std::vector<std::string> got_ids, want_ids;
      for (const Candidate& c : got) got_ids.push_back(w.pool->id(c.mentor));
      std::vector<std::pair<long long, std::string>> ranked;
      for (MemberIndex m : mentors) {
        long long se, sm;
        if (w.Acceptable(w.pool->id(e), w.pool->id(m), &se, &sm)) {
          want_ids.push_back(w.pool->id(m));
          ranked.push_back({-se, w.pool->id(m)});
        }
      }
      std::sort(got_ids.begin(), got_ids.end());
      std::sort(want_ids.begin(), want_ids.end());
      ASSERT_EQ(got_ids, want_ids) << "seed " << seed;
      // Top-k is the sorted prefix.
      std::sort(ranked.begin(), ranked.end());
      for (int k : {1, 3, 100}) {
        std::vector<Candidate> top;
        index.TopK(e, k, {}, &scratch, &top);
        ASSERT_EQ(top.size(), std::min<size_t>(k, ranked.size()));
        for (size_t i = 0; i < top.size(); ++i) {
          ASSERT_EQ(w.pool->id(top[i].mentor), ranked[i].second)
              << "seed " << seed;
          ASSERT_EQ(top[i].mentee_micros, -ranked[i].first);
        }
      }
    }
  }
}

TEST(BatchMatchingTest, EqualsDeferredAcceptanceOnIndependentLists) {
  int matched = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    World w(seed);
    BatchInput in = AllOf(*w.pool);
    for (ProposingSide side :
         {ProposingSide::kMentee, ProposingSide::kMentor}) {
      for (int k : {0, 1, 2}) {
        BatchOptions options;
        options.proposing_side = side;
        options.max_candidates = k;
        auto r = RunBatchMatching(*w.scorer, in, options);
        ASSERT_TRUE(r.ok()) << r.status();
        ASSERT_EQ(r->verification.blocking_pairs, 0) << "seed " << seed;
        ASSERT_TRUE(r->verification.ok()) << "seed " << seed;
        ASSERT_EQ(ById(*w.pool, *r), ExpectedMatching(w, in, k, side))
            << "seed " << seed << " k " << k;
        matched += static_cast<int>(r->matches.size());
        // Every match passes every hard constraint and min_score, with the
        // reference's scores; capacities hold.
        std::map<MemberIndex, int> load;
        for (const MatchedPair& p : r->matches) {
          long long se, sm;
          ASSERT_TRUE(w.Acceptable(w.pool->id(p.mentee), w.pool->id(p.mentor),
                                   &se, &sm));
          ASSERT_EQ(p.mentee_micros, se);
          ASSERT_EQ(p.mentor_micros, sm);
          ++load[p.mentor];
        }
        for (const MentorFill& f : r->mentor_fill) {
          ASSERT_EQ(f.assigned, load[f.mentor]);
          ASSERT_LE(f.assigned, f.capacity);
        }
      }
    }
  }
  EXPECT_GT(matched, 2000);
}

TEST(BatchMatchingTest, SameResultWhateverTheInputOrderOrThreads) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    World w(seed);
    BatchInput in = AllOf(*w.pool);
    auto a = RunBatchMatching(*w.scorer, in, {});
    ASSERT_TRUE(a.ok());
    // The same members written in another order.
    std::vector<MemberProfile> shuffled = w.rp.members;
    std::shuffle(shuffled.begin(), shuffled.end(), w.rng);
    TimeZoneCache zones;
    auto pool2 =
        CompiledPool::Compile(shuffled, w.rp.exclusions, kWeek, &zones);
    auto scorer2 = Scorer::Create(*pool2, w.rp.settings);
    BatchInput in2 = AllOf(*pool2);
    std::shuffle(in2.mentees.begin(), in2.mentees.end(), w.rng);
    std::shuffle(in2.mentors.begin(), in2.mentors.end(), w.rng);
    BatchOptions threaded;
    threaded.parallel_for = [](int64_t n, const RangeFn& body) {
      std::vector<std::thread> threads;
      for (int64_t begin = 0; begin < n; begin += 3) {
        threads.emplace_back(body, begin, std::min(n, begin + 3));
      }
      for (auto& t : threads) t.join();
    };
    auto b = RunBatchMatching(*scorer2, in2, threaded);
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(ById(*w.pool, *a), ById(*pool2, *b)) << "seed " << seed;
    ASSERT_EQ(a->unmatched.size(), b->unmatched.size());
    for (size_t i = 0; i < a->unmatched.size(); ++i) {
      ASSERT_EQ(w.pool->id(a->unmatched[i].mentee),
                pool2->id(b->unmatched[i].mentee));
      ASSERT_EQ(a->unmatched[i].reason, b->unmatched[i].reason);
    }
    ASSERT_EQ(a->stats.mean_mentee_rank, b->stats.mean_mentee_rank);
  }
}

MemberProfile Person(std::string id, Role role, int stage) {
  MemberProfile p;
  p.id = std::move(id);
  p.roles = RoleBit(role);
  p.recovery_stage = stage;
  p.availability = {{1, 18 * 60, 21 * 60}};
  p.languages = {"en"};
  p.modalities = {Modality::kVideo};
  p.screened = true;
  p.mentor_capacity = role == Role::kMentor ? 1 : 0;
  return p;
}

TEST(BatchMatchingTest, ReportsUnmatchedReasonsFillAndRanks) {
  std::vector<MemberProfile> members = {
      Person("a-hold", Role::kMentee, 2),
      Person("b-unscreened", Role::kMentee, 2),
      Person("c-french", Role::kMentee, 2),
      Person("d-best", Role::kMentee, 3),
      Person("e-second", Role::kMentee, 2),
      Person("m", Role::kMentor, 4),
      Person("n-full", Role::kMentor, 5)};
  members[0].safety_hold = true;
  members[1].screened = false;
  members[2].languages = {"fr"};
  members[3].triggers = members[5].triggers = {"phone-calls"};
  PoolSettings settings;
  settings.require_screening = true;
  TimeZoneCache zones;
  ASSERT_OK_AND_ASSIGN(CompiledPool pool,
                       CompiledPool::Compile(members, {}, kWeek, &zones));
  ASSERT_OK_AND_ASSIGN(Scorer scorer, Scorer::Create(pool, settings));
  BatchInput in = AllOf(pool);
  in.mentors = {{*pool.Find("m"), 1}, {*pool.Find("n-full"), 0}};
  ASSERT_OK_AND_ASSIGN(BatchResult r, RunBatchMatching(scorer, in, {}));
  // m (stage 4) prefers d-best: shared trigger, stage gap 1 vs e-second's 2.
  // Mentor view: d-best .3*1 + .2*.75 + .2*1 = .65; e-second .2*1 + .2*1 = .4.
  ASSERT_EQ(r.matches.size(), 1u);
  EXPECT_EQ(pool.id(r.matches[0].mentee), "d-best");
  EXPECT_EQ(r.matches[0].mentor_micros, 650000);
  std::vector<std::pair<std::string, std::string>> unmatched;
  for (const UnmatchedMentee& u : r.unmatched) {
    unmatched.emplace_back(pool.id(u.mentee),
                           std::string(UnmatchedReasonName(u.reason)));
  }
  EXPECT_THAT(unmatched, ElementsAre(Pair("a-hold", "safety_hold"),
                                     Pair("b-unscreened", "not_screened"),
                                     Pair("c-french", "no_acceptable_mentor"),
                                     Pair("e-second", "outcompeted")));
  ASSERT_EQ(r.mentor_fill.size(), 1u);  // n-full has no free capacity
  EXPECT_EQ(r.mentor_fill[0].assigned, 1);
  EXPECT_EQ(r.stats.matched, 1);
  EXPECT_EQ(r.stats.worst_mentor_rank, 1);
  EXPECT_EQ(r.preference_list_entries, 4);  // 2 mentees list m; m lists 2
}

TEST(BatchMatchingTest, RejectsBadInput) {
  TimeZoneCache zones;
  std::vector<MemberProfile> members = {Person("e", Role::kMentee, 2)};
  ASSERT_OK_AND_ASSIGN(CompiledPool pool,
                       CompiledPool::Compile(members, {}, kWeek, &zones));
  ASSERT_OK_AND_ASSIGN(Scorer scorer, Scorer::Create(pool, {}));
  BatchInput repeated{{0, 0}, {}};
  EXPECT_THAT(RunBatchMatching(scorer, repeated, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  BatchInput out_of_range{{7}, {}};
  EXPECT_THAT(RunBatchMatching(scorer, out_of_range, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  BatchOptions negative;
  negative.max_candidates = -1;
  EXPECT_THAT(RunBatchMatching(scorer, {{0}, {}}, negative),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RecommendTest, TopKWithExplanationsExclusionsAndOverrides) {
  std::vector<MemberProfile> members = {Person("e", Role::kMentee, 2)};
  for (int k = 0; k < 5; ++k) {
    MemberProfile m = Person(absl::StrCat("m", k), Role::kMentor, 4);
    // m0 shares 0 of e's 4 triggers, m4 all four.
    for (int t = 0; t < k; ++t) m.triggers.push_back(absl::StrCat("t", t));
    members.push_back(m);
  }
  members[0].triggers = {"t0", "t1", "t2", "t3"};
  members.push_back(Person("held", Role::kMentor, 5));
  members.back().safety_hold = true;
  TimeZoneCache zones;
  ASSERT_OK_AND_ASSIGN(CompiledPool pool,
                       CompiledPool::Compile(members, {}, kWeek, &zones));
  ASSERT_OK_AND_ASSIGN(Scorer scorer, Scorer::Create(pool, {}));
  std::vector<MemberIndex> mentors;
  for (MemberIndex i : pool.by_id()) {
    if (pool.core(i).flags & kFlagMentor) mentors.push_back(i);
  }
  CandidateIndex index(scorer, mentors);
  EXPECT_EQ(index.size(), 5);  // "held" is not eligible
  RecommendRequest request;
  request.mentee = *pool.Find("e");
  request.k = 3;
  request.exclude = {*pool.Find("m3")};
  ASSERT_OK_AND_ASSIGN(RecommendResult r, RecommendMentors(index, request));
  ASSERT_FALSE(r.ineligible.has_value());
  std::vector<std::string> ids;
  for (const Recommendation& rec : r.mentors)
    ids.push_back(pool.id(rec.mentor));
  EXPECT_THAT(ids, ElementsAre("m4", "m2", "m1"));
  // m4: triggers 1 -> .35 + .15 + .15*(180/180) + .1 + .05 = .8 (stage gap 2).
  EXPECT_EQ(r.mentors[0].mentee_micros, 800000);
  EXPECT_THAT(r.mentors[0].explanation.shared_triggers,
              ElementsAre("t0", "t1", "t2", "t3"));
  EXPECT_TRUE(r.mentors[0].explanation.acceptable);

  // Weights that ignore triggers: all tie, so the lowest ids win.
  PoolSettings only_stage;
  only_stage.mentee_weights = {0, 0, 1, 0, 0, 0};
  ASSERT_OK_AND_ASSIGN(Scorer other, Scorer::Create(pool, only_stage));
  request.scorer = &other;
  request.exclude = {};
  ASSERT_OK_AND_ASSIGN(r, RecommendMentors(index, request));
  ids.clear();
  for (const Recommendation& rec : r.mentors)
    ids.push_back(pool.id(rec.mentor));
  EXPECT_THAT(ids, ElementsAre("m0", "m1", "m2"));

  PoolSettings stricter;
  stricter.min_stage_gap = 3;
  ASSERT_OK_AND_ASSIGN(Scorer incompatible, Scorer::Create(pool, stricter));
  request.scorer = &incompatible;
  EXPECT_THAT(RecommendMentors(index, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.scorer = nullptr;
  request.k = 51;
  EXPECT_THAT(RecommendMentors(index, request),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request.k = 2;
  request.mentee = *pool.Find("held");
  ASSERT_OK_AND_ASSIGN(r, RecommendMentors(index, request));
  EXPECT_EQ(r.ineligible, UnmatchedReason::kSafetyHold);
  EXPECT_TRUE(r.mentors.empty());
}

// Issue 11: a snapshot keeps its candidate index across member writes and
// passes the mentors changed since the build as `hidden` (the stale entries)
// and `extra` (scored directly). After random upserts, removals (whose
// indices a new member may reuse) and additions, the answer must equal the
// answer of an index built afresh over the pool as it now is.
TEST(RecommendTest, HiddenAndExtraMentorsEqualARebuiltIndex) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    World w(seed, 50);
    BatchInput before = AllOf(*w.pool);
    std::vector<MemberIndex> built;
    for (const auto& [m, cap] : before.mentors) built.push_back(m);
    CandidateIndex base(*w.scorer, built);

    testing::RandomPoolOptions o;
    o.members = 30;
    o.random_settings = false;
    testing::RandomPool donors = testing::MakeRandomPool(w.rng, o);
    std::vector<MemberIndex> changed;
    for (size_t d = 0; d < donors.members.size(); ++d) {
      const std::vector<MemberIndex>& live = w.pool->by_id();
      const int what = static_cast<int>(w.rng() % 3);
      if (what == 0 && live.size() > 5) {  // remove a member
        const MemberIndex i = live[w.rng() % live.size()];
        changed.push_back(i);
        ASSERT_TRUE(w.pool->Remove(std::string(w.pool->id(i))).ok());
        continue;
      }
      MemberProfile p = donors.members[d];
      p.id = what == 1 ? std::string(w.pool->id(live[w.rng() % live.size()]))
                       : absl::StrCat("new-", d);  // replace, or add
      p.blocked.clear();
      ASSERT_OK_AND_ASSIGN(MemberIndex i, w.pool->Upsert(p, &w.zones));
      changed.push_back(i);
    }
    BatchInput after = AllOf(*w.pool);
    std::vector<MemberIndex> now;
    for (const auto& [m, cap] : after.mentors) now.push_back(m);
    CandidateIndex fresh(*w.scorer, now);
    std::vector<MemberIndex> extra;  // the changed ones that are live now
    for (MemberIndex i : changed) {
      if (w.pool->live(i)) extra.push_back(i);
    }
    for (MemberIndex e : after.mentees) {
      for (int k : {1, 5, 50}) {
        RecommendRequest want_request;
        want_request.mentee = e;
        want_request.k = k;
        RecommendRequest got_request = want_request;
        got_request.hidden = changed;
        got_request.extra = extra;
        if (!now.empty() && !extra.empty() && k == 5) {  // extras too
          want_request.exclude = got_request.exclude = {now[0], extra[0]};
        }
        ASSERT_OK_AND_ASSIGN(RecommendResult want,
                             RecommendMentors(fresh, want_request));
        ASSERT_OK_AND_ASSIGN(RecommendResult got,
                             RecommendMentors(base, got_request));
        ASSERT_EQ(got.mentors.size(), want.mentors.size())
            << "seed " << seed << " k " << k;
        for (size_t r = 0; r < got.mentors.size(); ++r) {
          ASSERT_EQ(got.mentors[r].mentor, want.mentors[r].mentor)
              << "seed " << seed << " rank " << r;
          ASSERT_EQ(got.mentors[r].mentee_micros,
                    want.mentors[r].mentee_micros);
        }
      }
    }
  }
}

}  // namespace
}  // namespace peermatch::matcher
