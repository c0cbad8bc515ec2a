// ClusterClient against a real 3-master Redis Cluster (R-STORE, R-TEST).
#include "service/store/cluster_client.h"

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/key_slot.h"
#include "service/store/keys.h"
#include "service/store/member_repository.h"
#include "tests/store/store_fixture.h"
#include "tests/support/redis_server.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::RedisCluster;
using ::peermatch::testing::StatusIs;
using ::peermatch::testing::TestReply;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

TEST(ParseRedirectTest, ParsesMovedAndAsk) {
  ASSERT_OK_AND_ASSIGN(auto moved,
                       ParseRedirect("MOVED 3999 127.0.0.1:6381", "x"));
  EXPECT_EQ(moved.first, 3999);
  EXPECT_EQ(moved.second, (RedisEndpoint{"127.0.0.1", 6381}));
  ASSERT_OK_AND_ASSIGN(auto ask, ParseRedirect("ASK 0 ::1:7000", "x"));
  EXPECT_EQ(ask.second, (RedisEndpoint{"::1", 7000}));
  ASSERT_OK_AND_ASSIGN(auto no_host, ParseRedirect("MOVED 16383 :7001", "h"));
  EXPECT_EQ(no_host.first, 16383);
  EXPECT_EQ(no_host.second, (RedisEndpoint{"h", 7001}));
  for (const char* bad : {"MOVED", "MOVED 1", "MOVED x h:1", "MOVED 16384 h:1",
                          "MOVED 1 h", "MOVED 1 h:0", "MOVED 1 h:x"}) {
    EXPECT_THAT(ParseRedirect(bad, "h"), StatusIs(absl::StatusCode::kInternal))
        << bad;
  }
}

class ClusterClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(cluster_, RedisCluster::Start(3));
  }

  // A client seeded with `url` (defaults to all nodes).
  std::unique_ptr<ClusterClient> NewClient(const std::string& url = "") {
    RedisClientOptions options;
    options.mode = RedisMode::kCluster;
    absl::StatusOr<std::unique_ptr<RedisClient>> c =
        NewRedisClient(url.empty() ? cluster_->url() : url, options);
    EXPECT_THAT(c, IsOk());
    return std::unique_ptr<ClusterClient>(
        static_cast<ClusterClient*>(c->release()));
  }

  // Moves `slot` from its owner to another master the documented way:
  // IMPORTING/MIGRATING, MIGRATE every key, then (when `finish`) SETSLOT NODE
  // on every node. Returns the target node's index.
  int MigrateSlot(int slot, bool finish) {
    absl::StatusOr<int> from = cluster_->NodeForSlot(slot);
    EXPECT_THAT(from, IsOk());
    const int to = (*from + 1) % cluster_->size();
    const std::string from_id = *cluster_->NodeId(*from);
    const std::string to_id = *cluster_->NodeId(to);
    auto& src = cluster_->node(*from);
    auto& dst = cluster_->node(to);
    const std::string s = absl::StrCat(slot);
    EXPECT_FALSE(dst.Command({"CLUSTER", "SETSLOT", s, "IMPORTING", from_id})
                     ->is_error());
    EXPECT_FALSE(
        src.Command({"CLUSTER", "SETSLOT", s, "MIGRATING", to_id})->is_error());
    while (true) {
      absl::StatusOr<TestReply> keys =
          src.Command({"CLUSTER", "GETKEYSINSLOT", s, "100"});
      EXPECT_THAT(keys, IsOk());
      if (keys->elements.empty()) break;
      std::vector<std::string> migrate = {
          "MIGRATE", dst.host(), absl::StrCat(dst.port()), "", "0",
          "5000",    "KEYS"};
      for (const std::string& k : keys->Strings()) migrate.push_back(k);
      absl::StatusOr<TestReply> r = src.Command(migrate);
      EXPECT_THAT(r, IsOk());
      EXPECT_FALSE(r->is_error()) << r->DebugString();
    }
    if (finish) {
      for (int i = 0; i < cluster_->size(); ++i) {
        EXPECT_FALSE(cluster_->node(i)
                         .Command({"CLUSTER", "SETSLOT", s, "NODE", to_id})
                         ->is_error());
      }
      EXPECT_THAT(cluster_->WaitConsistent(absl::Seconds(30)), IsOk());
    }
    return to;
  }

  std::unique_ptr<RedisCluster> cluster_;
};

TEST_F(ClusterClientTest, KeySlotAgreesWithClusterKeyslot) {
  std::mt19937 rng(1234);
  const std::string alphabet = "abcxyz{}:-_019";
  for (int i = 0; i < 300; ++i) {
    std::string key;
    for (int n = 1 + rng() % 12; n > 0; --n)
      key.push_back(alphabet[rng() % alphabet.size()]);
    if (i % 3 == 0) key = keys::Member(absl::StrCat("pool-", i), key);
    ASSERT_OK_AND_ASSIGN(
        TestReply r, cluster_->node(0).Command({"CLUSTER", "KEYSLOT", key}));
    EXPECT_EQ(KeySlot(key), r.integer) << key << " (seed 1234)";
  }
}

TEST_F(ClusterClientTest, RoutesEverySlotToItsOwner) {
  auto client = NewClient();
  // Keys on all three masters, through one client.
  for (int i = 0; i < 60; ++i) {
    const std::string key = absl::StrCat("k", i);
    ASSERT_OK_AND_ASSIGN(Reply r,
                         client->Run(key, Command({"SET", key, "v"}), Soon()));
    ASSERT_FALSE(r.is_error()) << r.Describe();
  }
  std::set<int> used;
  for (int i = 0; i < 60; ++i) {
    ASSERT_OK_AND_ASSIGN(int node,
                         cluster_->NodeForSlot(KeySlot(absl::StrCat("k", i))));
    used.insert(node);
  }
  EXPECT_EQ(used.size(), 3u);
  EXPECT_THAT(client->Ping(Soon()), IsOk());
  EXPECT_EQ(client->GetStats().moved, 0);
}

TEST_F(ClusterClientTest, OneSeedIsEnough) {
  auto client =
      NewClient(absl::StrCat("redis://", cluster_->node(2).endpoint()));
  for (int i = 0; i < 30; ++i) {
    const std::string key = absl::StrCat("k", i);
    ASSERT_OK_AND_ASSIGN(Reply r,
                         client->Run(key, Command({"INCR", key}), Soon()));
    EXPECT_EQ(r.integer(), 1) << r.Describe();
  }
  EXPECT_EQ(client->GetStats().nodes, 3);
}

TEST_F(ClusterClientTest, OnePoolLivesInOneSlotOnOneNode) {
  auto client = NewClient();
  MemberRepository repo(client.get());
  const std::string pool = "tenant-7";
  for (int i = 0; i < 40; ++i) {
    ASSERT_THAT(repo.Upsert(pool,
                            TestMember(absl::StrCat("m", i), "p",
                                       {absl::StrCat("m", (i + 1) % 40)}),
                            Soon()),
                IsOk());
  }
  DeleteOptions by_coordinator;
  by_coordinator.actor = "coord";
  ASSERT_THAT(repo.Delete(pool, "m3", by_coordinator, Soon()), IsOk());
  const int slot = KeySlot(pool);
  ASSERT_OK_AND_ASSIGN(int owner, cluster_->NodeForSlot(slot));
  int found = 0;
  for (int n = 0; n < cluster_->size(); ++n) {
    ASSERT_OK_AND_ASSIGN(
        TestReply scan,
        cluster_->node(n).Command(
            {"SCAN", "0", "MATCH", "pm:{tenant-7}:*", "COUNT", "100000"}));
    for (const std::string& key : scan.elements[1].Strings()) {
      EXPECT_EQ(n, owner) << key;
      ASSERT_OK_AND_ASSIGN(
          TestReply ks, cluster_->node(n).Command({"CLUSTER", "KEYSLOT", key}));
      EXPECT_EQ(ks.integer, slot) << key;
      ++found;
    }
  }
  // 39 member hashes; rblk sets of the 38 members still blocked by someone
  // (m3's is gone, and m4 was blocked only by m3); plus ids, feed and audit.
  EXPECT_EQ(found, 39 + 38 + 3);
  ASSERT_OK_AND_ASSIGN(TestReply count,
                       cluster_->node(owner).Command(
                           {"CLUSTER", "COUNTKEYSINSLOT", absl::StrCat(slot)}));
  EXPECT_EQ(count.integer, found);
  // The registry key lives in its own slot.
  ASSERT_OK_AND_ASSIGN(TestReply pools,
                       cluster_->CommandForSlot(KeySlot(keys::Pools()),
                                                {"SMEMBERS", keys::Pools()}));
  EXPECT_THAT(pools.Strings(), ElementsAre("tenant-7"));
}

TEST_F(ClusterClientTest, FollowsMovedAfterASlotMigration) {
  auto client = NewClient();
  MemberRepository repo(client.get());
  const std::string pool = "moving";
  ASSERT_THAT(repo.Upsert(pool, TestMember("a", "before", {"b"}), Soon()),
              IsOk());
  const int slot = KeySlot(pool);
  ASSERT_OK_AND_ASSIGN(int from, cluster_->NodeForSlot(slot));
  const int to = MigrateSlot(slot, /*finish=*/true);
  ASSERT_NE(from, to);
  // The client still believes `from` owns the slot: MOVED, then success.
  EXPECT_EQ(client->OwnerOf(slot)->port, cluster_->node(from).port());
  ASSERT_OK_AND_ASSIGN(MemberRecord a, repo.Get(pool, "a", Soon()));
  EXPECT_EQ(a.profile.region, "before");
  EXPECT_THAT(a.profile.blocked, ElementsAre("b"));
  EXPECT_GE(client->GetStats().moved, 1);
  EXPECT_EQ(client->OwnerOf(slot)->port, cluster_->node(to).port());
  ASSERT_OK_AND_ASSIGN(UpsertResult r,
                       repo.Upsert(pool, TestMember("a", "after", {}, 1), Soon()));
  EXPECT_EQ(r.version, 2);
  // The data is on the new owner.
  ASSERT_OK_AND_ASSIGN(
      TestReply p,
      cluster_->node(to).Command({"HGET", keys::Member(pool, "a"), "v"}));
  EXPECT_EQ(p.str, "2");
}

TEST_F(ClusterClientTest, FollowsAskDuringASlotMigration) {
  auto client = NewClient();
  MemberRepository repo(client.get());
  const std::string pool = "asking";
  ASSERT_THAT(repo.Upsert(pool, TestMember("a", "payload", {"b"}), Soon()),
              IsOk());
  const int slot = KeySlot(pool);
  const int to = MigrateSlot(slot, /*finish=*/false);  // still MIGRATING
  // The source no longer has the keys and answers ASK; the client asks the
  // target with ASKING and leaves its map alone.
  ASSERT_OK_AND_ASSIGN(MemberRecord a, repo.Get(pool, "a", Soon()));
  EXPECT_EQ(a.profile.region, "payload");
  EXPECT_GE(client->GetStats().ask, 1);
  EXPECT_NE(client->OwnerOf(slot)->port, cluster_->node(to).port());
}

TEST_F(ClusterClientTest, PingFailsWhenAMasterIsDown) {
  auto client = NewClient();
  ASSERT_THAT(client->Ping(Soon()), IsOk());
  ASSERT_THAT(cluster_->node(1).Stop(), IsOk());
  EXPECT_THAT(client->Ping(Soon()), StatusIs(absl::StatusCode::kUnavailable));
  // Calls for slots on the stopped master fail quickly with UNAVAILABLE.
  std::string key;
  for (int i = 0;; ++i) {
    key = absl::StrCat("k", i);
    absl::StatusOr<int> n = cluster_->NodeForSlot(KeySlot(key));
    if (n.ok() && *n == 1) break;
  }
  EXPECT_THAT(client->Run(key, Command({"GET", key}), Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(ClusterClientTest, RejectsDatabasesOtherThanZero) {
  RedisClientOptions options;
  options.mode = RedisMode::kCluster;
  EXPECT_THAT(NewRedisClient(cluster_->url() + "/1", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db 0")));
}

}  // namespace
}  // namespace peermatch::store
