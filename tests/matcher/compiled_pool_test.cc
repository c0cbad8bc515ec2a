#include "matcher/compiled_pool.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

ReferenceWeek Week(int y, int m, int d) {
  return ReferenceWeekContaining(
      absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone()));
}

MemberProfile Member(std::string id) {
  MemberProfile p;
  p.id = std::move(id);
  p.roles = RoleBit(Role::kMentee);
  p.recovery_stage = 2;
  p.languages = {"en"};
  p.modalities = {Modality::kText};
  return p;
}

std::vector<std::string> IdsInIndexOrder(const CompiledPool& pool) {
  std::vector<std::string> ids;
  for (MemberIndex i = 0; i < pool.index_capacity(); ++i) {
    ids.push_back(pool.id(i));
  }
  return ids;
}

std::vector<std::string> AvoidIds(const CompiledPool& pool, MemberIndex i) {
  std::vector<std::string> ids;
  for (MemberIndex j : pool.avoid(i)) ids.push_back(pool.id(j));
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(CompiledPoolTest, IndexOrderIsIdOrder) {
  TimeZoneCache zones;
  std::vector<MemberProfile> members = {Member("b"), Member("B"), Member("a1"),
                                        Member("a"), Member("a-")};
  ASSERT_OK_AND_ASSIGN(
      CompiledPool pool,
      CompiledPool::Compile(members, {}, Week(2026, 3, 9), &zones));
  // Byte-wise: '-' (0x2d) < '1' (0x31) < 'B' (0x42) < 'a' (0x61).
  EXPECT_THAT(IdsInIndexOrder(pool), ElementsAre("B", "a", "a-", "a1", "b"));
  for (MemberIndex i = 1; i < pool.index_capacity(); ++i) {
    EXPECT_LT(pool.order(i - 1), pool.order(i));
  }
  EXPECT_EQ(*pool.Find("a1"), 3u);
  EXPECT_FALSE(pool.Find("c").has_value());
}

TEST(CompiledPoolTest, DictionariesAreOrderedByPopularity) {
  TimeZoneCache zones;
  MemberProfile a = Member("a"), b = Member("b"), c = Member("c");
  a.triggers = {"x", "phone-calls"};
  b.triggers = {"phone-calls", "y"};
  c.triggers = {"phone-calls", "y"};
  a.languages = {"de-DE", "en-US"};
  b.languages = {"EN-gb"};
  c.languages = {"en", "de"};
  std::vector<MemberProfile> members = {a, b, c};
  ASSERT_OK_AND_ASSIGN(
      CompiledPool pool,
      CompiledPool::Compile(members, {}, Week(2026, 3, 9), &zones));
  EXPECT_EQ(*pool.trigger_names().Find("phone-calls"), 0u);  // 3 members
  EXPECT_EQ(*pool.trigger_names().Find("y"), 1u);            // 2
  EXPECT_EQ(*pool.trigger_names().Find("x"), 2u);            // 1
  EXPECT_EQ(*pool.language_names().Find("en"), 0u);          // primary subtags
  EXPECT_EQ(*pool.language_names().Find("de"), 1u);
  EXPECT_EQ(pool.language_names().size(), 2u);
  const MemberCore& ca = pool.core(*pool.Find("a"));
  EXPECT_EQ(ca.num_triggers, 2);
  EXPECT_EQ(ca.triggers[0], 0b101u);
  EXPECT_EQ(ca.languages, 0b11u);
  EXPECT_EQ(ca.first_language, 1u);  // "de"
  EXPECT_THAT(pool.languages(*pool.Find("a")), ElementsAre(1u, 0u));
}

TEST(CompiledPoolTest, RareTagsGoToSideLists) {
  TimeZoneCache zones;
  // Member k has the run of triggers t(300-k) .. t(300-k+min(k,31)): 300
  // distinct tags of varying popularity; the 44 least popular land outside
  // the 256 bits.
  std::vector<MemberProfile> members;
  for (int k = 0; k < 300; ++k) {
    MemberProfile p = Member(absl::StrCat("m", 1000 + k));
    for (int t = 0; t <= k && t < 32; ++t) {
      p.triggers.push_back(absl::StrCat("t", 300 - k + t));
    }
    members.push_back(p);
  }
  ASSERT_OK_AND_ASSIGN(
      CompiledPool pool,
      CompiledPool::Compile(members, {}, Week(2026, 3, 9), &zones));
  ASSERT_EQ(pool.trigger_names().size(), 300u);
  int with_rare = 0;
  for (MemberIndex i = 0; i < pool.index_capacity(); ++i) {
    const MemberCore& c = pool.core(i);
    int bits = 0;
    for (uint64_t w : c.triggers) bits += __builtin_popcountll(w);
    EXPECT_EQ(bits + pool.rare_triggers(i).size(), c.num_triggers);
    EXPECT_EQ(!pool.rare_triggers(i).empty(),
              (c.flags & kFlagRareTriggers) != 0);
    with_rare += !pool.rare_triggers(i).empty();
    for (uint32_t t : pool.rare_triggers(i)) {
      EXPECT_GE(t, kBitTags);
      EXPECT_TRUE(pool.HasTrigger(i, t));
    }
  }
  EXPECT_GT(with_rare, 0);
  // "t001" is on exactly one member (m1299) and among the rarest.
  const uint32_t t1 = *pool.trigger_names().Find("t1");
  EXPECT_GE(t1, kBitTags);
  EXPECT_TRUE(pool.HasTrigger(*pool.Find("m1299"), t1));
  EXPECT_FALSE(pool.HasTrigger(*pool.Find("m1298"), t1));
}

TEST(CompiledPoolTest, AvoidListsAreSymmetricAndCoverBlocksAndExclusions) {
  TimeZoneCache zones;
  MemberProfile a = Member("a"), b = Member("b"), c = Member("c"),
                d = Member("d");
  a.blocked = {"b", "ghost"};  // "ghost" is not in the pool (yet)
  std::vector<MemberProfile> members = {a, b, c, d};
  std::vector<ExcludedPair> excluded = {{"c", "d", PairExclusion::kDeclined},
                                        {"d", "c", PairExclusion::kEnded}};
  ASSERT_OK_AND_ASSIGN(
      CompiledPool pool,
      CompiledPool::Compile(members, excluded, Week(2026, 3, 9), &zones));
  const MemberIndex ia = *pool.Find("a"), ib = *pool.Find("b"),
                    ic = *pool.Find("c"), id = *pool.Find("d");
  EXPECT_THAT(AvoidIds(pool, ia), ElementsAre("b"));
  EXPECT_THAT(AvoidIds(pool, ib), ElementsAre("a"));
  EXPECT_THAT(AvoidIds(pool, ic), ElementsAre("d"));
  EXPECT_THAT(AvoidIds(pool, id), ElementsAre("c"));
  EXPECT_TRUE(pool.Avoids(ib, ia));
  EXPECT_FALSE(pool.Avoids(ia, ic));
  EXPECT_EQ(pool.ExclusionKinds("d", "c"), 3);
  EXPECT_EQ(pool.ExclusionKinds("a", "b"), 0);

  // The blocked id arrives later: the block applies at once.
  ASSERT_OK_AND_ASSIGN(MemberIndex ighost,
                       pool.Upsert(Member("ghost"), &zones));
  EXPECT_THAT(AvoidIds(pool, ighost), ElementsAre("a"));
  EXPECT_THAT(AvoidIds(pool, ia), ElementsAre("b", "ghost"));

  // a unblocks b.
  a.blocked = {"ghost"};
  ASSERT_OK_AND_ASSIGN(MemberIndex ia2, pool.Upsert(a, &zones));
  EXPECT_EQ(ia2, ia);
  EXPECT_THAT(AvoidIds(pool, ib), IsEmpty());
  EXPECT_FALSE(pool.core(ib).flags & kFlagAvoid);

  // An exclusion recorded later.
  pool.AddExclusion({"b", "c", PairExclusion::kDeclined});
  EXPECT_THAT(AvoidIds(pool, ic), ElementsAre("b", "d"));
  // Removing d removes it from c's list.
  ASSERT_THAT(pool.Remove("d"), IsOk());
  EXPECT_THAT(AvoidIds(pool, ic), ElementsAre("b"));
  EXPECT_THAT(pool.Remove("d"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(CompiledPoolTest, IncrementalUpdatesKeepIdOrder) {
  TimeZoneCache zones;
  std::vector<MemberProfile> members = {Member("a"), Member("z")};
  ASSERT_OK_AND_ASSIGN(
      CompiledPool pool,
      CompiledPool::Compile(members, {}, Week(2026, 3, 9), &zones));
  // 100 ids that all fall between "a" and the previous insert: exhausts the
  // 2^32 gap and forces renumbering.
  std::string id = "b";
  for (int k = 0; k < 100; ++k) {
    ASSERT_THAT(pool.Upsert(Member(id), &zones).status(), IsOk());
    id.insert(id.begin(), 'a');  // "ab" < "b", "aab" < "ab", ...
  }
  ASSERT_THAT(pool.Remove("ab"), IsOk());
  ASSERT_THAT(pool.Upsert(Member("y"), &zones).status(), IsOk());
  std::vector<std::string> by_order;
  std::vector<MemberIndex> live;
  for (MemberIndex i = 0; i < pool.index_capacity(); ++i) {
    if (pool.live(i)) live.push_back(i);
  }
  std::sort(live.begin(), live.end(), [&](MemberIndex x, MemberIndex y) {
    return pool.order(x) < pool.order(y);
  });
  for (MemberIndex i : live) by_order.push_back(pool.id(i));
  std::vector<std::string> sorted = by_order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(by_order, sorted);
  EXPECT_EQ(pool.size(), 102u);
  // The freed index was reused by "y".
  EXPECT_EQ(pool.index_capacity(), 102u);
  std::vector<std::string> by_id;
  for (MemberIndex i : pool.by_id()) by_id.push_back(pool.id(i));
  EXPECT_EQ(by_id, sorted);
}

// Builds the same pool twice, once by Compile and once by upserting members
// one at a time in a shuffled order (with some removed and re-added), and
// checks that every member looks the same.
TEST(CompiledPoolTest, IncrementalBuildMatchesCompile) {
  for (int seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937 rng(seed);
    std::vector<MemberProfile> members;
    const int n = 60;
    for (int k = 0; k < n; ++k) {
      MemberProfile p = Member(absl::StrCat("id", k));
      for (int t = 0; t < 5; ++t) {
        p.triggers.push_back(absl::StrCat("t", rng() % 400));
        p.interests.push_back(absl::StrCat("i", rng() % 10));
      }
      std::sort(p.triggers.begin(), p.triggers.end());
      p.triggers.erase(std::unique(p.triggers.begin(), p.triggers.end()),
                       p.triggers.end());
      p.languages = {rng() % 2 ? "en-US" : "fr", rng() % 3 ? "de" : "es"};
      p.time_zone = rng() % 2 ? "Europe/Berlin" : "America/New_York";
      p.availability = {{static_cast<int>(1 + rng() % 7), 600, 720}};
      if (rng() % 4 == 0) p.blocked = {absl::StrCat("id", rng() % (n + 5))};
      members.push_back(p);
    }
    std::vector<ExcludedPair> excluded = {{"id1", "id2"}, {"id3", "nobody"}};
    TimeZoneCache zones;
    ASSERT_OK_AND_ASSIGN(
        CompiledPool full,
        CompiledPool::Compile(members, excluded, Week(2026, 3, 9), &zones));
    ASSERT_OK_AND_ASSIGN(
        CompiledPool inc,
        CompiledPool::Compile({}, {}, Week(2026, 3, 9), &zones));
    for (const ExcludedPair& e : excluded) inc.AddExclusion(e);
    std::vector<int> perm(n);
    for (int k = 0; k < n; ++k) perm[k] = k;
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int k : perm) {
      ASSERT_THAT(inc.Upsert(members[k], &zones).status(), IsOk());
      if (rng() % 5 == 0) {
        ASSERT_THAT(inc.Remove(members[k].id), IsOk());
        ASSERT_THAT(inc.Upsert(members[k], &zones).status(), IsOk());
      }
    }
    ASSERT_EQ(inc.size(), full.size());
    for (const MemberProfile& p : members) {
      const MemberIndex a = *full.Find(p.id), b = *inc.Find(p.id);
      const MemberCore &ca = full.core(a), &cb = inc.core(b);
      EXPECT_EQ(ca.slots, cb.slots);
      EXPECT_EQ(ca.num_triggers, cb.num_triggers);
      EXPECT_EQ(ca.flags & ~(kFlagRareTriggers | kFlagRareInterests),
                cb.flags & ~(kFlagRareTriggers | kFlagRareInterests));
      EXPECT_EQ(AvoidIds(full, a), AvoidIds(inc, b)) << p.id;
      // Same tag names, whatever their ids.
      for (const std::string& t : p.triggers) {
        EXPECT_TRUE(full.HasTrigger(a, *full.trigger_names().Find(t)));
        EXPECT_TRUE(inc.HasTrigger(b, *inc.trigger_names().Find(t)));
      }
      EXPECT_EQ(full.language_names().Name(ca.first_language),
                inc.language_names().Name(cb.first_language));
    }
    // Order keys agree with id order in both.
    for (const MemberProfile& p : members) {
      for (const MemberProfile& q : members) {
        EXPECT_EQ(full.order(*full.Find(p.id)) < full.order(*full.Find(q.id)),
                  inc.order(*inc.Find(p.id)) < inc.order(*inc.Find(q.id)));
      }
    }
  }
}

TEST(CompiledPoolTest, SetWeekRecomputesSlots) {
  TimeZoneCache zones;
  MemberProfile p = Member("berlin");
  p.time_zone = "Europe/Berlin";
  p.availability = {{1, 18 * 60, 21 * 60}};
  std::vector<MemberProfile> members = {p};
  // Week of 2026-03-23: CET, Monday 17:00 UTC = slot 68.
  ASSERT_OK_AND_ASSIGN(
      CompiledPool pool,
      CompiledPool::Compile(members, {}, Week(2026, 3, 23), &zones));
  EXPECT_TRUE(pool.core(0).slots.Test(68));
  EXPECT_FALSE(pool.core(0).slots.Test(64));
  // Week of 2026-03-30: CEST, Monday 16:00 UTC = slot 64, on a copy; the
  // original keeps its week.
  CompiledPool original = pool;
  ASSERT_THAT(pool.SetWeek(Week(2026, 3, 30), &zones), IsOk());
  EXPECT_TRUE(original.core(0).slots.Test(68));
  EXPECT_EQ(original.week().monday, absl::CivilDay(2026, 3, 23));
  EXPECT_TRUE(pool.core(0).slots.Test(64));
  EXPECT_FALSE(pool.core(0).slots.Test(76));
  EXPECT_EQ(pool.core(0).slots.Count(), 12);
}

TEST(CompiledPoolTest, RejectsInvalidProfiles) {
  TimeZoneCache zones;
  const ReferenceWeek week = Week(2026, 3, 9);
  std::vector<MemberProfile> dup = {Member("a"), Member("a")};
  EXPECT_THAT(CompiledPool::Compile(dup, {}, week, &zones),
              StatusIs(absl::StatusCode::kInvalidArgument));
  MemberProfile bad_stage = Member("a");
  bad_stage.recovery_stage = 6;
  MemberProfile bad_zone = Member("b");
  bad_zone.time_zone = "Nowhere/Special";
  MemberProfile bad_window = Member("c");
  bad_window.availability = {{1, 600, 600}};
  MemberProfile bad_capacity = Member("d");
  bad_capacity.mentor_capacity = 21;
  for (const MemberProfile& p :
       {bad_stage, bad_zone, bad_window, bad_capacity}) {
    std::vector<MemberProfile> one = {Member("ok"), p};
    EXPECT_THAT(CompiledPool::Compile(one, {}, week, &zones),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::StartsWith("members[1].")))
        << p.id;
  }
  ASSERT_OK_AND_ASSIGN(CompiledPool pool,
                       CompiledPool::Compile({}, {}, week, &zones));
  EXPECT_THAT(pool.Upsert(bad_stage, &zones),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(pool.size(), 0u);
}

}  // namespace
}  // namespace peermatch::matcher
