#include "base/ids.h"
#include "service/store/keys.h"

#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/store/key_slot.h"

namespace peermatch::store {
namespace {

// Every per-member key kind, by name, for the property tests.
const std::vector<std::pair<
    std::string,
    std::function<std::string(absl::string_view, absl::string_view)>>>&
MemberKinds() {
  static const auto* kinds = new std::vector<std::pair<
      std::string,
      std::function<std::string(absl::string_view, absl::string_view)>>>{
      {"Member", keys::Member},
      {"BlockedBy", keys::BlockedBy},
      {"Job", keys::Job},
  };
  return *kinds;
}

std::vector<std::string> PoolKeys(absl::string_view pool) {
  return {keys::MemberIds(pool),      keys::Feed(pool),
          keys::Settings(pool),       keys::Audit(pool),
          keys::JobLease(pool),       keys::JobFence(pool),
          keys::JobSeq(pool),         keys::JobIndex(pool),
          keys::JobIdempotency(pool), keys::JobQueue(pool)};
}

std::string RandomId(std::mt19937& rng, absl::string_view alphabet,
                     int max_len) {
  std::uniform_int_distribution<int> len(1, max_len);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::string s;
  for (int n = len(rng); n > 0; --n) s.push_back(alphabet[pick(rng)]);
  return s;
}

constexpr absl::string_view kPoolAlphabet =
    "abcdefghijklmnopqrstuvwxyz0123456789-";
constexpr absl::string_view kMemberAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-";

TEST(KeysTest, ExactFormats) {
  EXPECT_EQ(keys::Member("p-1", "alice"), "pm:{p-1}:m:alice");
  EXPECT_EQ(keys::MemberIds("p-1"), "pm:{p-1}:ids");
  EXPECT_EQ(keys::BlockedBy("p-1", "a:b"), "pm:{p-1}:rblk:a:b");
  EXPECT_EQ(keys::Feed("p-1"), "pm:{p-1}:feed");
  EXPECT_EQ(keys::Settings("p-1"), "pm:{p-1}:settings");
  EXPECT_EQ(keys::Audit("p-1"), "pm:{p-1}:audit");
  EXPECT_EQ(keys::JobLease("p-1"), "pm:{p-1}:lease");
  EXPECT_EQ(keys::JobFence("p-1"), "pm:{p-1}:fence");
  EXPECT_EQ(keys::Job("p-1", "j7"), "pm:{p-1}:job:j7");
  EXPECT_EQ(keys::JobSeq("p-1"), "pm:{p-1}:seq-job");
  EXPECT_EQ(keys::JobIndex("p-1"), "pm:{p-1}:idx-job");
  EXPECT_EQ(keys::JobIdempotency("p-1"), "pm:{p-1}:idem-job");
  EXPECT_EQ(keys::JobQueue("p-1"), "pm:{p-1}:queue-job");
  EXPECT_EQ(keys::JobPools(), "pm:jobpools");
  EXPECT_EQ(keys::PoolPrefix("p-1"), "pm:{p-1}:");
  EXPECT_EQ(keys::Pools(), "pm:pools");
}

TEST(KeysTest, EveryPoolKeyCarriesThePoolTag) {
  const uint32_t seed = 20240601;
  std::mt19937 rng(seed);
  for (int i = 0; i < 2000; ++i) {
    const std::string pool = RandomId(rng, kPoolAlphabet, 63);
    const std::string id = RandomId(rng, kMemberAlphabet, 128);
    ASSERT_TRUE(base::IsValidPoolId(pool)) << "seed " << seed;
    ASSERT_TRUE(base::IsValidMemberId(id)) << "seed " << seed;
    std::vector<std::string> all = PoolKeys(pool);
    for (const auto& [name, kind] : MemberKinds())
      all.push_back(kind(pool, id));
    for (const std::string& key : all) {
      ASSERT_EQ(HashTag(key), pool) << key << " seed " << seed;
      ASSERT_EQ(KeySlot(key), KeySlot(pool)) << key << " seed " << seed;
    }
  }
}

TEST(KeysTest, BracesOrColonsInIdsCannotMoveTheSlot) {
  // Not valid member ids (SPEC §2), but even if one slipped through, the
  // pool's tag comes first and wins.
  for (absl::string_view id : {"{x}", "}{", "a{b}c", "{}", ":{p}:", "{{"}) {
    EXPECT_FALSE(base::IsValidMemberId(id)) << id;
    for (const auto& [name, kind] : MemberKinds()) {
      EXPECT_EQ(HashTag(kind("pool", id)), "pool") << name << " " << id;
    }
  }
}

TEST(KeysTest, DistinctKindsAndIdsGiveDistinctKeys) {
  const uint32_t seed = 7;
  std::mt19937 rng(seed);
  std::set<std::string> seen;
  std::set<std::pair<std::string, std::string>> inputs;
  // Ids that look like other kinds' names are the interesting ones.
  std::vector<std::string> ids = {"m",     "ids",    "blk", "rblk", "feed",
                                  "m:x",   "rblk:x", "x:m", "a",    "settings",
                                  "audit", "rblk:",  ":",   "::"};
  for (int i = 0; i < 500; ++i) ids.push_back(RandomId(rng, "mbkrls:idx", 8));
  for (const std::string& pool : {std::string("p"), std::string("p-2")}) {
    for (const std::string& k : PoolKeys(pool)) {
      EXPECT_TRUE(seen.insert(k).second) << k;
    }
    for (const std::string& id : ids) {
      for (const auto& [name, kind] : MemberKinds()) {
        if (!inputs.insert({pool + "/" + name, id}).second) continue;
        EXPECT_TRUE(seen.insert(kind(pool, id)).second)
            << name << " " << id << " seed " << seed;
      }
    }
  }
  EXPECT_EQ(seen.count(keys::Pools()), 0u);
}

TEST(KeysTest, PoolRegistryIsNotInAPoolSlot) {
  EXPECT_EQ(HashTag(keys::Pools()), keys::Pools());
  EXPECT_EQ(HashTag(keys::JobPools()), keys::JobPools());
}

}  // namespace
}  // namespace peermatch::store
