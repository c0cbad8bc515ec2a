// MemberRepository and ChangeFeed against real Redis, standalone and Cluster
// (R-STORE, R-MEMBER, R-SEC erasure, R-TEST).
#include "service/store/member_repository.h"

#include <atomic>
#include <latch>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/change_feed.h"
#include "service/store/keys.h"
#include "service/store/match_repository.h"
#include "service/store/record_codec.h"
#include "tests/store/store_fixture.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::peermatch::testing::TestReply;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr char kPool[] = "pool-1";
const absl::Time kNow = absl::FromUnixMillis(1700000000123);

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

DeleteOptions ExpectVersion(int64_t v) {
  DeleteOptions o;
  o.expected_version = v;
  return o;
}

DeleteOptions ByActor(std::string actor) {
  DeleteOptions o;
  o.actor = std::move(actor);
  return o;
}

MemberWrite W(std::string id, std::string tag,
              std::vector<std::string> blocked = {},
              std::optional<int64_t> expected = std::nullopt) {
  return TestMember(std::move(id), std::move(tag), std::move(blocked),
                    expected);
}

class MemberRepositoryTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = std::make_unique<MemberRepository>(client_.get(), Options());
  }
  static MemberRepositoryOptions Options() {
    MemberRepositoryOptions o;
    o.clock = [] { return kNow; };
    return o;
  }
  std::set<std::string> Members(absl::string_view key) {
    absl::StatusOr<TestReply> r = Inspect(key, {"SMEMBERS", std::string(key)});
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> v =
        r.ok() ? r->Strings() : std::vector<std::string>();
    return std::set<std::string>(v.begin(), v.end());
  }
  // The blocked list stored in member `id`'s hash (field bl), read
  // directly.
  std::set<std::string> BlockedList(absl::string_view id) {
    const std::string key = keys::Member(kPool, id);
    absl::StatusOr<TestReply> r = Inspect(key, {"HGET", key, "bl"});
    EXPECT_TRUE(r.ok()) << r.status();
    std::set<std::string> out;
    if (!r.ok()) return out;
    for (absl::string_view x : absl::StrSplit(r->str, ',', absl::SkipEmpty())) {
      out.insert(std::string(x));
    }
    return out;
  }
  int64_t Int(absl::string_view key, const std::vector<std::string>& args) {
    absl::StatusOr<TestReply> r = Inspect(key, args);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer : -1;
  }
  // Every stream entry of the pool's feed as field->value maps.
  std::vector<std::map<std::string, std::string>> FeedEntries(
      absl::string_view pool) {
    const std::string feed = keys::Feed(pool);
    absl::StatusOr<TestReply> r = Inspect(feed, {"XRANGE", feed, "-", "+"});
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::map<std::string, std::string>> out;
    if (!r.ok()) return out;
    for (const TestReply& e : r->elements) {
      std::map<std::string, std::string> fields;
      const auto& kv = e.elements[1].elements;
      for (size_t i = 0; i + 1 < kv.size(); i += 2) {
        fields[kv[i].str] = kv[i + 1].str;
      }
      out.push_back(fields);
    }
    return out;
  }

  std::unique_ptr<MemberRepository> repo_;
};

TEST_P(MemberRepositoryTest, CrudRoundTrip) {
  const std::string payload("\x08\x01\x12\x00profile\xff", 12);
  ASSERT_OK_AND_ASSIGN(
      UpsertResult created,
      repo_->Upsert(kPool, W("alice", payload, {"carol", "bob", "bob"}),
                    Soon()));
  EXPECT_EQ(created.version, 1);
  EXPECT_TRUE(created.created);

  ASSERT_OK_AND_ASSIGN(MemberRecord got, repo_->Get(kPool, "alice", Soon()));
  EXPECT_EQ(got.id(), "alice");
  EXPECT_EQ(got.profile.region, payload);
  EXPECT_THAT(got.profile.blocked, ElementsAre("bob", "carol"));
  EXPECT_EQ(got.version, 1);
  EXPECT_EQ(got.update_time, kNow);

  ASSERT_OK_AND_ASSIGN(UpsertResult updated,
                       repo_->Upsert(kPool, W("alice", "v2"), Soon()));
  EXPECT_EQ(updated.version, 2);
  EXPECT_FALSE(updated.created);
  ASSERT_OK_AND_ASSIGN(got, repo_->Get(kPool, "alice", Soon()));
  EXPECT_EQ(got.profile.region, "v2");
  EXPECT_THAT(got.profile.blocked, IsEmpty());

  ASSERT_OK_AND_ASSIGN(DeleteResult deleted,
                       repo_->Delete(kPool, "alice", {}, Soon()));
  EXPECT_EQ(deleted.version, 2);
  EXPECT_THAT(repo_->Get(kPool, "alice", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(repo_->Delete(kPool, "alice", {}, Soon()),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(repo_->Get(kPool, "nobody", Soon()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(MemberRepositoryTest, StoresCapacityAndRolesAsPlainHashFields) {
  MemberWrite w = W("mentor-1", "opaque");
  w.profile.mentor_capacity = 3;
  w.profile.roles = kRoleBitMentor | kRoleBitMentee;
  ASSERT_THAT(repo_->Upsert(kPool, w, Soon()), IsOk());
  // Independently: the fields the match scripts read (`cap`, `r` = 4|2).
  const std::string key = keys::Member(kPool, "mentor-1");
  ASSERT_OK_AND_ASSIGN(TestReply fields,
                       Inspect(key, {"HMGET", key, "cap", "r"}));
  EXPECT_THAT(fields.Strings(), ElementsAre("3", "6"));
  ASSERT_OK_AND_ASSIGN(MemberRecord got, repo_->Get(kPool, "mentor-1", Soon()));
  EXPECT_EQ(got.profile.mentor_capacity, 3);
  EXPECT_EQ(got.profile.roles, 6u);
  // A rewrite replaces them; absent values read as 0.
  ASSERT_THAT(repo_->Upsert(kPool, W("mentor-1", "opaque"), Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(got, repo_->Get(kPool, "mentor-1", Soon()));
  EXPECT_EQ(got.profile.mentor_capacity, 0);
  EXPECT_EQ(got.profile.roles, 0u);
  ASSERT_OK_AND_ASSIGN(MemberPage page, repo_->List(kPool, 10, "", Soon()));
  ASSERT_EQ(page.members.size(), 1u);
  EXPECT_EQ(page.members[0].profile.roles, 0u);
  ASSERT_OK_AND_ASSIGN(fields, Inspect(key, {"HMGET", key, "cap", "r"}));
  EXPECT_THAT(fields.Strings(), ElementsAre("0", "0"));

  MemberWrite bad = W("x", "p");
  bad.profile.mentor_capacity = 21;
  EXPECT_THAT(repo_->Upsert(kPool, bad, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mentor_capacity")));
  bad.profile.mentor_capacity = -1;
  EXPECT_THAT(repo_->Upsert(kPool, bad, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad.profile.mentor_capacity = 20;
  bad.profile.roles = 1;  // bit 0 is no role
  EXPECT_THAT(repo_->Upsert(kPool, bad, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("roles")));
  bad.profile.roles = 1u << 5;
  EXPECT_THAT(repo_->Upsert(kPool, bad, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad.profile.roles = kRoleBitsAll;
  EXPECT_THAT(repo_->Upsert(kPool, bad, Soon()), IsOk());
}

TEST_P(MemberRepositoryTest, RegistersThePool) {
  ASSERT_THAT(repo_->Upsert("pool-b", W("x", "p"), Soon()), IsOk());
  ASSERT_THAT(repo_->Upsert("pool-a", W("x", "p"), Soon()), IsOk());
  EXPECT_EQ(Members(keys::Pools()),
            (std::set<std::string>{"pool-a", "pool-b"}));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> pools,
                       repo_->registry().List(Soon()));
  EXPECT_THAT(pools, ElementsAre("pool-a", "pool-b"));
}

TEST_P(MemberRepositoryTest, ExpectedVersionMismatchIsAbortedAndWritesNothing) {
  ASSERT_OK_AND_ASSIGN(UpsertResult r,
                       repo_->Upsert(kPool, W("m", "one", {}, 0), Soon()));
  EXPECT_TRUE(r.created);
  const size_t events = FeedEntries(kPool).size();

  // 0 = must not exist.
  EXPECT_THAT(repo_->Upsert(kPool, W("m", "two", {"x"}, 0), Soon()),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("version")));
  // Wrong version, and a version for a member that does not exist.
  EXPECT_THAT(repo_->Upsert(kPool, W("m", "two", {"x"}, 7), Soon()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(repo_->Upsert(kPool, W("ghost", "two", {"x"}, 1), Soon()),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(repo_->Delete(kPool, "m", ExpectVersion(2), Soon()),
              StatusIs(absl::StatusCode::kAborted));

  // Nothing was written by any of them.
  ASSERT_OK_AND_ASSIGN(MemberRecord m, repo_->Get(kPool, "m", Soon()));
  EXPECT_EQ(m.profile.region, "one");
  EXPECT_EQ(m.version, 1);
  EXPECT_THAT(m.profile.blocked, IsEmpty());
  EXPECT_EQ(FeedEntries(kPool).size(), events);
  EXPECT_THAT(ScanAll("*ghost*"), IsEmpty());
  EXPECT_THAT(ScanAll("*rblk:x"), IsEmpty());

  ASSERT_OK_AND_ASSIGN(r, repo_->Upsert(kPool, W("m", "two", {}, 1), Soon()));
  EXPECT_EQ(r.version, 2);
  EXPECT_THAT(repo_->Delete(kPool, "m", ExpectVersion(2), Soon()), IsOk());
}

TEST_P(MemberRepositoryTest,
       ConcurrentWritersWithTheSameVersionExactlyOneWins) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisClient> client_a, NewClient());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisClient> client_b, NewClient());
  MemberRepository repo_a(client_a.get(), Options());
  MemberRepository repo_b(client_b.get(), Options());
  int64_t version = 0;
  for (int round = 0; round < 100; ++round) {
    std::latch start(2);
    absl::StatusOr<UpsertResult> ra, rb;
    std::thread ta([&] {
      start.arrive_and_wait();
      ra = repo_a.Upsert(
          kPool, W("m", absl::StrCat("a", round), {"b"}, version), Soon());
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      rb = repo_b.Upsert(
          kPool, W("m", absl::StrCat("b", round), {"a"}, version), Soon());
    });
    ta.join();
    tb.join();
    ASSERT_NE(ra.ok(), rb.ok())
        << "round " << round << ": " << ra.status() << " / " << rb.status();
    const absl::StatusOr<UpsertResult>& loser = ra.ok() ? rb : ra;
    EXPECT_THAT(loser, StatusIs(absl::StatusCode::kAborted));
    const absl::StatusOr<UpsertResult>& winner = ra.ok() ? ra : rb;
    EXPECT_EQ(winner->version, version + 1);
    ASSERT_OK_AND_ASSIGN(MemberRecord m, repo_->Get(kPool, "m", Soon()));
    EXPECT_EQ(m.profile.region, absl::StrCat(ra.ok() ? "a" : "b", round));
    EXPECT_THAT(m.profile.blocked, ElementsAre(ra.ok() ? "b" : "a"));
    version = m.version;
  }
  EXPECT_EQ(version, 100);
}

TEST_P(MemberRepositoryTest, BatchStoresValidItemsAndReportsTheRest) {
  ASSERT_THAT(repo_->Upsert(kPool, W("m2", "old"), Soon()), IsOk());
  std::vector<MemberWrite> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(W(absl::StrCat("m", i), absl::StrCat("p", i)));
  }
  batch[2].expected_version = 5;      // stored version is 1
  batch[5].profile.id = "bad id";     // invalid
  batch[7].profile.blocked = {"m7"};  // self-block
  batch[8].profile.blocked =
      std::vector<std::string>(257, "x");  // deduped to 1: fine
  batch[9].profile.blocked.clear();
  for (int i = 0; i < 257; ++i)
    batch[9].profile.blocked.push_back(absl::StrCat("x", i));
  ASSERT_OK_AND_ASSIGN(auto results, repo_->BatchUpsert(kPool, batch, Soon()));
  ASSERT_EQ(results.size(), 10u);
  for (int i : {0, 1, 3, 4, 6, 8}) {
    ASSERT_THAT(results[i], IsOk()) << i;
    EXPECT_EQ(results[i]->version, 1);
    EXPECT_TRUE(results[i]->created);
  }
  EXPECT_THAT(results[2], StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(results[5],
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id")));
  EXPECT_THAT(results[7], StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("blocked[0]")));
  EXPECT_THAT(results[9], StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("blocked")));
  // Independently: exactly the valid ones exist, m2 is untouched.
  for (int i = 0; i < 10; ++i) {
    const std::string key = keys::Member(kPool, absl::StrCat("m", i));
    const bool should_exist = i != 5 && i != 7 && i != 9;
    EXPECT_EQ(Int(key, {"EXISTS", key}), should_exist ? 1 : 0) << i;
  }
  ASSERT_OK_AND_ASSIGN(MemberRecord m2, repo_->Get(kPool, "m2", Soon()));
  EXPECT_EQ(m2.profile.region, "old");
}

TEST_P(MemberRepositoryTest, BatchRejectsMoreThan1000AndBadPools) {
  std::vector<MemberWrite> batch(1001, W("a", "p"));
  EXPECT_THAT(repo_->BatchUpsert(kPool, batch, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  batch.resize(1000);
  for (int i = 0; i < 1000; ++i) batch[i].profile.id = absl::StrCat("id", i);
  ASSERT_OK_AND_ASSIGN(auto results, repo_->BatchUpsert(kPool, batch, Soon()));
  for (const auto& r : results) EXPECT_THAT(r, IsOk());
  EXPECT_EQ(Int(keys::MemberIds(kPool), {"ZCARD", keys::MemberIds(kPool)}),
            1000);
  EXPECT_THAT(repo_->Upsert("Bad_Pool", W("a", "p"), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool")));
  EXPECT_THAT(repo_->Get("", "a", Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Issue 11: a batch is written by one script call per 100 members. Each
// member still succeeds or fails on its own, across call boundaries: a
// version mismatch in one call and a handshake (undeclared stored block
// list) in another leave their neighbours written, and every written member
// gets its own change event.
TEST_P(MemberRepositoryTest, BatchesSpanningScriptCallsKeepPerMemberResults) {
  ASSERT_THAT(repo_->Upsert(kPool, W("id120", "old", {"x"}), Soon()), IsOk());
  const std::string feed = keys::Feed(kPool);
  const int64_t events_before = Int(feed, {"XLEN", feed});
  std::vector<MemberWrite> batch;
  for (int i = 0; i < 250; ++i) {
    batch.push_back(W(absl::StrCat("id", i), absl::StrCat("p", i)));
  }
  batch[50].expected_version = 3;      // first call: stored version is 0
  batch[120].profile.blocked = {"z"};  // second call: needs the handshake
  batch[199].expected_version = 0;     // second call, last slot: must not exist
  batch[200].expected_version = 9;     // third call, first slot
  ASSERT_OK_AND_ASSIGN(auto results, repo_->BatchUpsert(kPool, batch, Soon()));
  ASSERT_EQ(results.size(), 250u);
  int written = 0;
  for (int i = 0; i < 250; ++i) {
    if (i == 50 || i == 200) {
      EXPECT_THAT(results[i], StatusIs(absl::StatusCode::kAborted)) << i;
      continue;
    }
    ASSERT_THAT(results[i], IsOk()) << i;
    ++written;
    EXPECT_EQ(results[i]->version, i == 120 ? 2 : 1) << i;
    EXPECT_EQ(results[i]->created, i != 120) << i;
  }
  EXPECT_EQ(written, 248);
  EXPECT_EQ(Int(feed, {"XLEN", feed}) - events_before, 248);
  EXPECT_EQ(Int(keys::MemberIds(kPool), {"ZCARD", keys::MemberIds(kPool)}),
            248);
  for (int i : {50, 200}) {
    const std::string key = keys::Member(kPool, absl::StrCat("id", i));
    EXPECT_EQ(Int(key, {"EXISTS", key}), 0) << i;
  }
  EXPECT_EQ(BlockedList("id120"), (std::set<std::string>{"z"}));
  EXPECT_THAT(Members(keys::BlockedBy(kPool, "x")), IsEmpty());
}

TEST_P(MemberRepositoryTest, ValidatesEveryBound) {
  MemberRepositoryOptions o = Options();
  // The bound applies to the encoded profile.
  o.max_payload_bytes =
      EncodeMember(W("a", std::string(10, 'x')).profile).size();
  MemberRepository small(client_.get(), o);
  EXPECT_THAT(
      small.Upsert(kPool, W("a", std::string(11, 'x')), Soon()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("payload")));
  EXPECT_THAT(small.Upsert(kPool, W("a", std::string(10, 'x')), Soon()),
              IsOk());
  EXPECT_THAT(repo_->Upsert(kPool, W(std::string(129, 'a'), "p"), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      repo_->Upsert(kPool, W("a", "p", {"ok", "not ok"}), Soon()),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blocked[1]")));
  EXPECT_THAT(repo_->Upsert(kPool, W("a", "p", {}, -1), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected_version")));
  std::vector<std::string> max_blocked;
  for (int i = 0; i < 256; ++i) max_blocked.push_back(absl::StrCat("b", i));
  EXPECT_THAT(repo_->Upsert(kPool, W("a", "p", max_blocked), Soon()), IsOk());
  EXPECT_THAT(repo_->List(kPool, 0, "", Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->List(kPool, 1001, "", Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->List(kPool, 10, "bad id", Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(repo_->Delete(kPool, "a", ByActor("has space"), Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("actor")));
}

TEST_P(MemberRepositoryTest, MaintainsTheReverseBlockIndex) {
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p", {"b", "c"}), Soon()), IsOk());
  EXPECT_EQ(BlockedList("a"), (std::set<std::string>{"b", "c"}));
  EXPECT_EQ(Members(keys::BlockedBy(kPool, "b")), (std::set<std::string>{"a"}));
  // A changed list needs the handshake (b is no longer declared).
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p", {"c", "d"}), Soon()), IsOk());
  EXPECT_EQ(BlockedList("a"), (std::set<std::string>{"c", "d"}));
  EXPECT_THAT(Members(keys::BlockedBy(kPool, "b")), IsEmpty());
  EXPECT_EQ(Members(keys::BlockedBy(kPool, "c")), (std::set<std::string>{"a"}));
  EXPECT_EQ(Members(keys::BlockedBy(kPool, "d")), (std::set<std::string>{"a"}));
  ASSERT_THAT(repo_->Upsert(kPool, W("e", "p", {"d"}), Soon()), IsOk());
  EXPECT_EQ(Members(keys::BlockedBy(kPool, "d")),
            (std::set<std::string>{"a", "e"}));
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p"), Soon()), IsOk());
  EXPECT_THAT(BlockedList("a"), IsEmpty());
  EXPECT_THAT(ScanAll(keys::BlockedBy(kPool, "c")), IsEmpty());
  EXPECT_EQ(Members(keys::BlockedBy(kPool, "d")), (std::set<std::string>{"e"}));
}

TEST_P(MemberRepositoryTest, WritesToOneIdInABatchApplyInOrder) {
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p0", {"x", "y"}), Soon()), IsOk());
  // Each of these needs the handshake (the stored list changes every time).
  std::vector<MemberWrite> batch = {W("a", "p1", {"z"}), W("b", "q"),
                                    W("a", "p2", {"w"}), W("a", "p3", {})};
  ASSERT_OK_AND_ASSIGN(auto results, repo_->BatchUpsert(kPool, batch, Soon()));
  EXPECT_EQ(results[0]->version, 2);
  EXPECT_EQ(results[2]->version, 3);
  EXPECT_EQ(results[3]->version, 4);
  ASSERT_OK_AND_ASSIGN(MemberRecord a, repo_->Get(kPool, "a", Soon()));
  EXPECT_EQ(a.profile.region, "p3");
  EXPECT_THAT(a.profile.blocked, IsEmpty());
  EXPECT_THAT(ScanAll("*rblk*"), IsEmpty());
}

// After concurrent upserts and deletes, the id index, the member hashes and
// the block/reverse-block sets agree exactly.
TEST_P(MemberRepositoryTest, IndexesStayConsistentUnderConcurrentWrites) {
  constexpr int kThreads = 4;
  constexpr int kOps = 250;
  constexpr uint32_t kSeed = 424242;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<RedisClient>> clients;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK_AND_ASSIGN(auto c, NewClient());
    clients.push_back(std::move(c));
  }
  std::latch start(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      MemberRepository repo(clients[t].get(), Options());
      std::mt19937 rng(kSeed + t);
      auto id = [&] { return absl::StrCat("u", rng() % 20); };
      start.arrive_and_wait();
      for (int i = 0; i < kOps; ++i) {
        const int op = rng() % 10;
        absl::Status s;
        if (op < 3) {
          s = repo.Delete(kPool, id(), {}, Soon()).status();
          if (absl::IsNotFound(s)) s = absl::OkStatus();
        } else if (op < 5) {
          std::vector<MemberWrite> batch;
          for (int k = 0; k < 5; ++k) {
            std::vector<std::string> blocked;
            for (int b = rng() % 4; b > 0; --b) blocked.push_back(id());
            batch.push_back(W(id(), "p", blocked));
          }
          for (MemberWrite& w : batch) {
            std::erase(w.profile.blocked, w.profile.id);
          }
          absl::StatusOr<std::vector<absl::StatusOr<UpsertResult>>> r =
              repo.BatchUpsert(kPool, batch, Soon());
          s = r.status();
          if (r.ok()) {
            for (const auto& item : *r) {
              if (!item.ok() && !absl::IsAborted(item.status()))
                s = item.status();
            }
          }
        } else {
          std::string me = id();
          std::vector<std::string> blocked;
          for (int b = rng() % 4; b > 0; --b) blocked.push_back(id());
          std::erase(blocked, me);
          s = repo.Upsert(kPool, W(me, "p", blocked), Soon()).status();
          if (absl::IsAborted(s)) s = absl::OkStatus();
        }
        EXPECT_THAT(s, IsOk())
            << "thread " << t << " op " << i << " seed " << kSeed + t;
      }
    });
  }
  for (std::thread& t : threads) t.join();

  const std::string ids_key = keys::MemberIds(kPool);
  absl::StatusOr<TestReply> ids_reply =
      Inspect(ids_key, {"ZRANGE", ids_key, "0", "-1"});
  ASSERT_THAT(ids_reply, IsOk());
  std::set<std::string> indexed;
  for (const std::string& s : ids_reply->Strings()) indexed.insert(s);
  std::set<std::string> hashes;
  const std::string member_prefix = keys::Member(kPool, "");
  for (const std::string& k : ScanAll(member_prefix + "*")) {
    hashes.insert(k.substr(member_prefix.size()));
  }
  EXPECT_EQ(indexed, hashes) << "seed " << kSeed;
  // y in x's blocked list <=> x in rblk:y.
  std::set<std::pair<std::string, std::string>> forward, reverse;
  for (const std::string& x : hashes) {
    for (const std::string& y : BlockedList(x)) forward.insert({x, y});
  }
  const std::string rblk_prefix = keys::BlockedBy(kPool, "");
  for (const std::string& k : ScanAll(rblk_prefix + "*")) {
    const std::string y = k.substr(rblk_prefix.size());
    for (const std::string& x : Members(k)) reverse.insert({x, y});
  }
  EXPECT_EQ(forward, reverse) << "seed " << kSeed;
  // Every rblk entry names an existing member.
  for (const auto& [x, y] : reverse) {
    EXPECT_TRUE(hashes.count(x)) << "rblk:" << y << " names missing " << x;
  }
  // And the repository reads the same state.
  ASSERT_OK_AND_ASSIGN(PoolLoad load, repo_->LoadAll(kPool, Soon()));
  std::set<std::pair<std::string, std::string>> loaded;
  std::set<std::string> loaded_ids;
  for (const MemberRecord& m : load.members) {
    loaded_ids.insert(m.id());
    for (const std::string& y : m.profile.blocked) loaded.insert({m.id(), y});
  }
  EXPECT_EQ(loaded_ids, hashes);
  EXPECT_EQ(loaded, forward);
}

TEST_P(MemberRepositoryTest, DeleteErasesEveryTrace) {
  const std::string secret = "trigger:phone-calls;stage=2";
  ASSERT_THAT(repo_->Upsert(kPool, W("alice", secret, {"bob", "dave"}), Soon()),
              IsOk());
  ASSERT_THAT(repo_->Upsert(kPool, W("bob", "bob's", {"alice"}), Soon()),
              IsOk());
  ASSERT_THAT(
      repo_->Upsert(kPool, W("carol", "carol's", {"alice", "bob"}), Soon()),
      IsOk());
  ASSERT_THAT(repo_->Upsert(kPool, W("alice", secret, {"bob", "dave"}), Soon()),
              IsOk());  // a second event for alice

  ASSERT_OK_AND_ASSIGN(
      DeleteResult d,
      repo_->Delete(kPool, "alice", ByActor("coordinator-1"), Soon()));
  EXPECT_EQ(d.version, 2);
  EXPECT_EQ(d.erased_block_entries, 2);  // bob's and carol's

  // No key mentions alice.
  EXPECT_THAT(ScanAll("*alice*"), IsEmpty());
  // No set or index does either.
  for (const std::string& k : ScanAll(keys::PoolPrefix(kPool) + "*")) {
    absl::StatusOr<TestReply> type = Inspect(k, {"TYPE", k});
    ASSERT_THAT(type, IsOk());
    if (type->str == "set") {
      EXPECT_EQ(Members(k).count("alice"), 0u) << k;
    } else if (type->str == "zset") {
      EXPECT_EQ(Int(k, {"ZSCORE", k, "alice"}), 0) << k;  // nil reads as 0
      absl::StatusOr<TestReply> score = Inspect(k, {"ZSCORE", k, "alice"});
      EXPECT_EQ(score->type, TestReply::Type::kNil) << k;
    } else if (type->str == "hash") {
      absl::StatusOr<TestReply> all = Inspect(k, {"HGETALL", k});
      for (const TestReply& v : all->elements) {
        EXPECT_THAT(v.str, ::testing::Not(HasSubstr("alice"))) << k;
      }
    }
  }
  // Others were told: versions bumped, events appended.
  ASSERT_OK_AND_ASSIGN(MemberRecord bob, repo_->Get(kPool, "bob", Soon()));
  EXPECT_THAT(bob.profile.blocked, IsEmpty());
  EXPECT_EQ(bob.version, 2);
  ASSERT_OK_AND_ASSIGN(MemberRecord carol, repo_->Get(kPool, "carol", Soon()));
  EXPECT_THAT(carol.profile.blocked, ElementsAre("bob"));
  EXPECT_EQ(carol.version, 2);
  // The feed holds bare ids and versions only; alice appears only as an id.
  const auto entries = FeedEntries(kPool);
  ASSERT_GE(entries.size(), 7u);
  for (const auto& e : entries) {
    std::set<std::string> fields;
    for (const auto& [k, v] : e) {
      fields.insert(k);
      EXPECT_THAT(v, ::testing::Not(HasSubstr("phone")));
      if (k != "id") {
        EXPECT_THAT(v, ::testing::Not(HasSubstr("alice")));
      }
    }
    EXPECT_EQ(fields, (std::set<std::string>{"kind", "op", "id", "v"}));
  }
  const auto& last = entries.back();
  EXPECT_EQ(last.at("op"), "delete");
  EXPECT_EQ(last.at("id"), "alice");
  // The audit stream has the action, the actor, the bare id and the time.
  const std::string audit = keys::Audit(kPool);
  ASSERT_OK_AND_ASSIGN(TestReply a,
                       Inspect(audit, {"XRANGE", audit, "-", "+"}));
  ASSERT_EQ(a.elements.size(), 1u);
  EXPECT_THAT(
      a.elements[0].elements[1].Strings(),
      ElementsAre("action", "member.delete", "actor", "coordinator-1", "id",
                  "alice", "matches_ended", "0", "t", "1700000000123"));
}

// Every value of every key of the pool, for erasure scans: hash fields and
// values, set and zset members (and scores), strings, and stream fields and
// values (streams separately: they may hold bare ids).
struct PoolValues {
  std::vector<std::pair<std::string, std::string>> stored;  // key, value
  std::vector<std::pair<std::string, std::string>> streamed;
};

class MemberErasureTest : public MemberRepositoryTest {
 protected:
  void SetUp() override {
    MemberRepositoryTest::SetUp();
    if (HasFatalFailure()) return;
    MatchRepositoryOptions o;
    o.clock = [] { return kNow; };
    matches_ = std::make_unique<MatchRepository>(client_.get(), o);
  }
  void Add(const std::string& id) {
    ASSERT_THAT(repo_->Upsert(kPool, W(id, "profile of " + id), Soon()),
                IsOk());
  }
  MentorCapacity Mentor(const std::string& id) {
    absl::StatusOr<MemberRecord> m = repo_->Get(kPool, id, Soon());
    EXPECT_THAT(m, IsOk());
    return {id, m.ok() ? m->version : 0, 20};
  }
  absl::StatusOr<MatchRecord> Manual(const std::string& e,
                                     const std::string& m) {
    return matches_->CreateManual(kPool, {e, m, 500000, 500000}, Mentor(m),
                                  false, "", "coord", Soon());
  }
  absl::StatusOr<MatchRecord> Apply(const std::string& match_id,
                                    const std::string& op,
                                    const std::string& member,
                                    const std::string& reason, bool exclude) {
    TransitionSpec t;
    t.op = op;
    t.member = member;
    t.reason = reason;
    t.exclude = exclude;
    t.actor = "coord";
    return matches_->Transition(kPool, match_id, t, Soon());
  }
  PoolValues Values() {
    PoolValues out;
    for (const std::string& k : ScanAll(keys::PoolPrefix(kPool) + "*")) {
      KeyContents c = ReadKey(k);
      for (std::string& v : c.values) {
        (c.type == "stream" ? out.streamed : out.stored).push_back({k, v});
      }
    }
    return out;
  }
  // SPEC §9: no key name, stored value or member names `id`, and streams
  // hold it only as a bare id.
  void ExpectNoTrace(const std::string& id) {
    EXPECT_THAT(ScanAll("*" + id + "*"), IsEmpty());
    PoolValues v = Values();
    EXPECT_FALSE(v.stored.empty());
    for (const auto& [key, value] : v.stored) {
      EXPECT_THAT(value, ::testing::Not(HasSubstr(id))) << key;
    }
    for (const auto& [key, value] : v.streamed) {
      if (absl::StrContains(value, id)) {
        EXPECT_EQ(value, id) << key;
      }
    }
  }
  int64_t Card(const std::string& key, const char* cmd) {
    return Int(key, {cmd, key});
  }

  std::unique_ptr<MatchRepository> matches_;
};

TEST_P(MemberErasureTest, DeleteEndsMatchesAndClearsExclusionsAtomically) {
  for (const char* id : {"zed", "m1", "m2", "e2", "e3"}) Add(id);
  // C: zed (mentee) declined m2, with a reason in their own words.
  ASSERT_OK_AND_ASSIGN(MatchRecord c, Manual("zed", "m2"));
  ASSERT_THAT(Apply(c.id, "decline", "zed", "secret-words", false), IsOk());
  // A: zed (mentee) - m1, ACTIVE.
  ASSERT_OK_AND_ASSIGN(MatchRecord a, Manual("zed", "m1"));
  // B: e2 (mentee) - zed (mentor), PROPOSED by a batch commit.
  CommitSpec spec;
  spec.proposals = {{"e2", "zed", 1, 1}};
  spec.mentors = {Mentor("zed")};
  ASSERT_OK_AND_ASSIGN(CommitResult b,
                       matches_->CommitProposals(kPool, spec, Soon()));
  ASSERT_EQ(b.created.size(), 1u);
  // D: e3 - zed, ended with exclude; E: e3 - m1, declined (stays excluded).
  ASSERT_OK_AND_ASSIGN(MatchRecord d, Manual("e3", "zed"));
  ASSERT_THAT(Apply(d.id, "end", "", "moved-away", true), IsOk());
  ASSERT_OK_AND_ASSIGN(MatchRecord e, Manual("e3", "m1"));
  ASSERT_THAT(Apply(e.id, "decline", "m1", "", false), IsOk());
  const std::string excluded = keys::ExcludedPairs(kPool);
  ASSERT_EQ(Card(excluded, "HLEN"), 3);

  ASSERT_OK_AND_ASSIGN(DeleteResult del,
                       repo_->Delete(kPool, "zed", ByActor("coord"), Soon()));
  EXPECT_EQ(del.matches_ended, 2);  // A and B

  ASSERT_OK_AND_ASSIGN(MatchRecord ra, matches_->Get(kPool, a.id, Soon()));
  EXPECT_EQ(ra.state, MatchState::kEnded);
  EXPECT_EQ(ra.end_reason, "member_deleted");
  EXPECT_EQ(ra.mentee, "");
  EXPECT_EQ(ra.mentor, "m1");
  EXPECT_EQ(ra.version, a.version + 1);
  ASSERT_OK_AND_ASSIGN(MatchRecord rb,
                       matches_->Get(kPool, b.created[0], Soon()));
  EXPECT_EQ(rb.state, MatchState::kEnded);
  EXPECT_EQ(rb.mentee, "e2");
  EXPECT_EQ(rb.mentor, "");
  EXPECT_FALSE(rb.expire_time.has_value());
  ASSERT_OK_AND_ASSIGN(MatchRecord rc, matches_->Get(kPool, c.id, Soon()));
  EXPECT_EQ(rc.state, MatchState::kDeclined);
  EXPECT_EQ(rc.end_reason, "");  // the member's words are gone
  ASSERT_OK_AND_ASSIGN(MatchRecord rd, matches_->Get(kPool, d.id, Soon()));
  EXPECT_EQ(rd.state, MatchState::kEnded);
  EXPECT_EQ(rd.mentor, "");
  // Capacity and slots are free: m1 carries only E's history, e2 can be
  // matched again at once, and only the unrelated exclusion is left.
  EXPECT_EQ(Card(keys::MentorLive(kPool, "m1"), "SCARD"), 0);
  EXPECT_THAT(ScanAll(keys::MenteeLive(kPool, "e2")), IsEmpty());
  EXPECT_THAT(ScanAll(keys::ProposedMatches(kPool)), IsEmpty());
  ASSERT_OK_AND_ASSIGN(TestReply left, Inspect(excluded, {"HKEYS", excluded}));
  EXPECT_THAT(left.Strings(), ElementsAre("e3|m1"));
  EXPECT_THAT(Manual("e2", "m1"), IsOk());
  ASSERT_OK_AND_ASSIGN(MatchStateLoad state,
                       matches_->LoadState(kPool, Soon()));
  ASSERT_EQ(state.live.size(), 1u);
  EXPECT_EQ(state.live[0].mentee, "e2");

  ExpectNoTrace("zed");
  PoolValues v = Values();
  for (const auto& [key, value] : v.stored) {
    EXPECT_THAT(value, ::testing::Not(HasSubstr("secret-words"))) << key;
    EXPECT_THAT(value, ::testing::Not(HasSubstr("moved-away"))) << key;
  }
  // Each touched record announced itself, ids and versions only.
  std::set<std::string> erased;
  for (const auto& entry : FeedEntries(kPool)) {
    if (entry.count("op") && entry.at("op") == "erased") {
      erased.insert(entry.at("id"));
      EXPECT_EQ(entry.at("kind"), "match");
    }
  }
  EXPECT_EQ(erased, (std::set<std::string>{a.id, b.created[0], c.id, d.id}));
}

// Manual matches naming a mentor race with that mentor's delete: whatever
// the interleaving, every match that was made before the delete is ended by
// it and nothing is left that names the member.
TEST_P(MemberErasureTest, DeleteRacingManualMatchesLeavesNoLiveMatch) {
  constexpr int kMentees = 16;
  Add("zed");
  for (int i = 0; i < kMentees; ++i) Add(absl::StrCat("e", i));
  const MentorCapacity zed = Mentor("zed");
  std::latch start(kMentees + 1);
  std::atomic<int> made{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kMentees; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      absl::StatusOr<MatchRecord> r =
          matches_->CreateManual(kPool, {absl::StrCat("e", i), "zed", 1, 1},
                                 zed, false, "", "coord", Soon());
      if (r.ok()) {
        ++made;
      } else {
        EXPECT_THAT(r, StatusIs(absl::StatusCode::kNotFound)) << i;
      }
    });
  }
  start.arrive_and_wait();
  absl::StatusOr<DeleteResult> del = repo_->Delete(kPool, "zed", {}, Soon());
  for (std::thread& t : threads) t.join();
  ASSERT_THAT(del, IsOk());
  EXPECT_EQ(del->matches_ended, made.load());
  ASSERT_OK_AND_ASSIGN(MatchStateLoad state,
                       matches_->LoadState(kPool, Soon()));
  EXPECT_THAT(state.live, IsEmpty());
  EXPECT_THAT(ScanAll(keys::PoolPrefix(kPool) + "live-*"), IsEmpty());
  ExpectNoTrace("zed");
}

TEST_P(MemberRepositoryTest, DeleteWithoutActorWritesNoAudit) {
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p"), Soon()), IsOk());
  ASSERT_THAT(repo_->Delete(kPool, "a", {}, Soon()), IsOk());
  EXPECT_THAT(ScanAll(keys::Audit(kPool)), IsEmpty());
}

TEST_P(MemberRepositoryTest, ListPagesInIdOrder) {
  std::vector<std::string> ids;
  std::mt19937 rng(99);
  for (int i = 0; i < 25; ++i) {
    ids.push_back(
        absl::StrCat(std::string(1, static_cast<char>('A' + rng() % 26)), "-",
                     rng() % 1000, ":", i));
  }
  for (const std::string& id : ids) {
    ASSERT_THAT(repo_->Upsert(kPool, W(id, "p:" + id), Soon()), IsOk());
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(MemberPage page,
                         repo_->List(kPool, 10, after, Soon()));
    EXPECT_EQ(page.total_count, 25);
    for (const MemberRecord& m : page.members) {
      EXPECT_EQ(m.profile.region, "p:" + m.id());
      seen.push_back(m.id());
    }
    after = page.next_after_id;
    ++pages;
  } while (!after.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAreArray(ids));
  ASSERT_OK_AND_ASSIGN(MemberPage empty, repo_->List("pool-9", 10, "", Soon()));
  EXPECT_THAT(empty.members, IsEmpty());
  EXPECT_EQ(empty.total_count, 0);
  EXPECT_EQ(empty.next_after_id, "");
}

TEST_P(MemberRepositoryTest, LoadAllReadsEverythingAndTheFeedPositionFirst) {
  MemberRepositoryOptions o = Options();
  o.load_ids_per_round = 300;
  MemberRepository repo(client_.get(), o);
  std::vector<MemberWrite> batch;
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(absl::StrCat("id-", i));
    batch.push_back(W(ids.back(), absl::StrCat("payload-", i),
                      {absl::StrCat("id-", (i + 1) % 1000)}));
  }
  ASSERT_THAT(repo.BatchUpsert(kPool, batch, Soon()), IsOk());
  std::sort(ids.begin(), ids.end());
  ASSERT_OK_AND_ASSIGN(PoolLoad load, repo.LoadAll(kPool, Soon()));
  ASSERT_EQ(load.members.size(), 1000u);
  for (size_t i = 0; i < ids.size(); ++i) {
    const MemberRecord& m = load.members[i];
    ASSERT_EQ(m.id(), ids[i]);
    const int n = std::stoi(m.id().substr(3));
    EXPECT_EQ(m.profile.region, absl::StrCat("payload-", n));
    EXPECT_THAT(m.profile.blocked,
                ElementsAre(absl::StrCat("id-", (n + 1) % 1000)));
    EXPECT_EQ(m.version, 1);
  }
  // Tailing from the position returns exactly what came after the load.
  ASSERT_THAT(repo.Upsert(kPool, W("late", "p"), Soon()), IsOk());
  ChangeFeed feed(client_.get());
  ASSERT_OK_AND_ASSIGN(FeedBatch tail, feed.Read(kPool, load.feed_position, 100,
                                                 absl::ZeroDuration(), Soon()));
  EXPECT_FALSE(tail.gap);
  ASSERT_EQ(tail.events.size(), 1u);
  EXPECT_EQ(tail.events[0].entity_id, "late");
  EXPECT_EQ(tail.events[0].op, "upsert");
  EXPECT_EQ(tail.events[0].kind, "member");
  EXPECT_EQ(tail.events[0].version, 1);
  ASSERT_OK_AND_ASSIGN(PoolLoad empty, repo.LoadAll("pool-none", Soon()));
  EXPECT_THAT(empty.members, IsEmpty());
  EXPECT_TRUE(empty.feed_position.IsZero());
}

TEST_P(MemberRepositoryTest, ScriptFlushIsHandledTransparently) {
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p", {"b"}), Soon()), IsOk());
  for (testing::RedisServer* node : Nodes()) {
    ASSERT_THAT(node->Command({"SCRIPT", "FLUSH"}), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(UpsertResult r,
                       repo_->Upsert(kPool, W("a", "q", {"c"}), Soon()));
  EXPECT_EQ(r.version, 2);
  for (testing::RedisServer* node : Nodes()) {
    ASSERT_THAT(node->Command({"SCRIPT", "FLUSH"}), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(MemberRecord m, repo_->Get(kPool, "a", Soon()));
  EXPECT_EQ(m.profile.region, "q");
  for (testing::RedisServer* node : Nodes()) {
    ASSERT_THAT(node->Command({"SCRIPT", "FLUSH"}), IsOk());
  }
  EXPECT_THAT(repo_->Delete(kPool, "a", {}, Soon()), IsOk());
}

class ChangeFeedTest : public MemberRepositoryTest {};

TEST_P(ChangeFeedTest, EventsCarryIdsVersionsAndOpsInOrder) {
  ChangeFeed feed(client_.get());
  ASSERT_OK_AND_ASSIGN(StreamId start, feed.Position(kPool, Soon()));
  EXPECT_TRUE(start.IsZero());
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p", {"b"}), Soon()), IsOk());
  ASSERT_THAT(repo_->Upsert(kPool, W("b", "p"), Soon()), IsOk());
  ASSERT_THAT(repo_->Delete(kPool, "b", {}, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(
      FeedBatch batch,
      feed.Read(kPool, start, 100, absl::ZeroDuration(), Soon()));
  EXPECT_FALSE(batch.gap);
  std::vector<std::string> seen;
  for (const ChangeEvent& e : batch.events) {
    seen.push_back(absl::StrCat(e.op, " ", e.entity_id, " ", e.version));
  }
  // Deleting b erased it from a's block list: a's version moves to 2.
  EXPECT_THAT(seen, ElementsAre("upsert a 1", "upsert b 1", "upsert a 2",
                                "delete b 1"));
  ASSERT_OK_AND_ASSIGN(StreamId end, feed.Position(kPool, Soon()));
  EXPECT_EQ(batch.next, end);
  ASSERT_OK_AND_ASSIGN(
      FeedBatch none, feed.Read(kPool, end, 100, absl::ZeroDuration(), Soon()));
  EXPECT_THAT(none.events, IsEmpty());
  EXPECT_FALSE(none.gap);
  EXPECT_EQ(none.next, end);
  // Count limits the batch and `next` continues it.
  ASSERT_OK_AND_ASSIGN(
      FeedBatch two, feed.Read(kPool, start, 2, absl::ZeroDuration(), Soon()));
  ASSERT_EQ(two.events.size(), 2u);
  ASSERT_OK_AND_ASSIGN(FeedBatch rest, feed.Read(kPool, two.next, 100,
                                                 absl::ZeroDuration(), Soon()));
  EXPECT_EQ(rest.events.size(), 2u);
  EXPECT_FALSE(rest.gap);
}

TEST_P(ChangeFeedTest, BlockingReadWakesOnAWrite) {
  ChangeFeed feed(client_.get());
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p"), Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(StreamId pos, feed.Position(kPool, Soon()));
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_THAT(repo_->Upsert(kPool, W("b", "p"), Soon()), IsOk());
  });
  ASSERT_OK_AND_ASSIGN(FeedBatch batch,
                       feed.Read(kPool, pos, 10, absl::Seconds(10), Soon()));
  writer.join();
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(batch.events[0].entity_id, "b");
  // With nothing to read, a blocking read returns empty after the block.
  ASSERT_OK_AND_ASSIGN(
      FeedBatch empty,
      feed.Read(kPool, batch.next, 10, absl::Milliseconds(50), Soon()));
  EXPECT_THAT(empty.events, IsEmpty());
}

TEST_P(ChangeFeedTest, DetectsTrimmedGapsButNotFalseOnes) {
  MemberRepositoryOptions o = Options();
  o.feed_max_len = 10;
  MemberRepository repo(client_.get(), o);
  ChangeFeed feed(client_.get());
  ASSERT_THAT(repo.Upsert(kPool, W("first", "p"), Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(StreamId early, feed.Position(kPool, Soon()));
  std::vector<MemberWrite> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(W(absl::StrCat("m", i), "p"));
  ASSERT_THAT(repo.BatchUpsert(kPool, batch, Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(FeedBatch lost, feed.Read(kPool, early, 1000,
                                                 absl::ZeroDuration(), Soon()));
  EXPECT_TRUE(lost.gap);
  ASSERT_OK_AND_ASSIGN(
      FeedBatch from_zero,
      feed.Read(kPool, StreamId(), 1000, absl::ZeroDuration(), Soon()));
  EXPECT_TRUE(from_zero.gap);
  // A reader at the newest entry, and one at the oldest retained entry, miss
  // nothing.
  ASSERT_OK_AND_ASSIGN(StreamId latest, feed.Position(kPool, Soon()));
  ASSERT_OK_AND_ASSIGN(FeedBatch ok, feed.Read(kPool, latest, 1000,
                                               absl::ZeroDuration(), Soon()));
  EXPECT_FALSE(ok.gap);
  const std::string key = keys::Feed(kPool);
  ASSERT_OK_AND_ASSIGN(TestReply first,
                       Inspect(key, {"XRANGE", key, "-", "+", "COUNT", "1"}));
  ASSERT_OK_AND_ASSIGN(StreamId oldest,
                       StreamId::Parse(first.elements[0].elements[0].str));
  ASSERT_OK_AND_ASSIGN(
      FeedBatch from_oldest,
      feed.Read(kPool, oldest, 1000, absl::ZeroDuration(), Soon()));
  EXPECT_FALSE(from_oldest.gap);
  EXPECT_FALSE(from_oldest.events.empty());
}

TEST_P(ChangeFeedTest, LostStreamIsAGap) {
  ChangeFeed feed(client_.get());
  ASSERT_THAT(repo_->Upsert(kPool, W("a", "p"), Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(StreamId pos, feed.Position(kPool, Soon()));
  // Redis loses its data (FLUSHALL stands in for a restart without
  // persistence); later writes create a new stream with larger ids.
  for (testing::RedisServer* node : Nodes()) {
    ASSERT_THAT(node->Command({"FLUSHALL"}), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(FeedBatch missing,
                       feed.Read(kPool, pos, 10, absl::ZeroDuration(), Soon()));
  EXPECT_TRUE(missing.gap);
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_THAT(repo_->Upsert(kPool, W("b", "p"), Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(FeedBatch recreated,
                       feed.Read(kPool, pos, 10, absl::ZeroDuration(), Soon()));
  EXPECT_TRUE(recreated.gap);
  ASSERT_OK_AND_ASSIGN(
      FeedBatch fresh,
      feed.Read(kPool, StreamId(), 10, absl::ZeroDuration(), Soon()));
  EXPECT_FALSE(fresh.gap);
  EXPECT_EQ(fresh.events.size(), 1u);
}

TEST(StreamIdTest, ParsesAndOrders) {
  ASSERT_OK_AND_ASSIGN(StreamId a, StreamId::Parse("1700000000123-7"));
  EXPECT_EQ(a.ms, 1700000000123u);
  EXPECT_EQ(a.seq, 7u);
  EXPECT_EQ(a.ToString(), "1700000000123-7");
  ASSERT_OK_AND_ASSIGN(StreamId b, StreamId::Parse("1700000000123"));
  EXPECT_EQ(b.seq, 0u);
  EXPECT_LT(b, a);
  EXPECT_LT((StreamId{1, 99}), (StreamId{2, 0}));
  for (const char* bad : {"", "-", "1-", "-1", "a-1", "1-b", "1-2-3", "+1-0",
                          "1--1", "99999999999999999999999-0"}) {
    EXPECT_THAT(StreamId::Parse(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, MemberRepositoryTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, MemberErasureTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, ChangeFeedTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);

// Outages only make sense against one server we can stop.
TEST(MemberRepositoryOutageTest, UnavailableWhileStoppedThenRecovers) {
  ASSERT_OK_AND_ASSIGN(auto server, testing::RedisServer::Start());
  RedisClientOptions options;
  options.backoff.initial = absl::Milliseconds(20);
  options.backoff.max = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(auto client, NewRedisClient(server->url(), options));
  MemberRepository repo(client.get());
  ASSERT_THAT(repo.Upsert(kPool, W("a", "p"), Soon()), IsOk());
  ASSERT_THAT(server->Stop(), IsOk());
  // A 30 s deadline: a hang would show as DEADLINE_EXCEEDED or a test
  // timeout, not UNAVAILABLE.
  EXPECT_THAT(repo.Upsert(kPool, W("a", "q"), Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(repo.Get(kPool, "a", Soon()),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client->Ping(Soon()), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(server->Restart(), IsOk());  // no persistence: data is gone
  absl::Status s = absl::UnknownError("not tried");
  for (int i = 0; i < 200 && !s.ok(); ++i) {
    s = repo.Upsert(kPool, W("a", "r"), Soon()).status();
    if (!s.ok()) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_THAT(s, IsOk());
  ASSERT_OK_AND_ASSIGN(MemberRecord m, repo.Get(kPool, "a", Soon()));
  EXPECT_EQ(m.profile.region, "r");
}

}  // namespace
}  // namespace peermatch::store
