// AuditLog against real Redis, standalone and Cluster (R-SEC audit, R-TEST).
#include "service/store/audit_log.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/store/keys.h"
#include "tests/store/store_fixture.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::peermatch::testing::TestReply;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kPool[] = "audit-pool";
const absl::Time kNow = absl::FromUnixMillis(1700000000456);

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

using Fields = std::vector<std::pair<std::string, std::string>>;

class AuditLogTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    audit_ = std::make_unique<AuditLog>(client_.get(), Options());
  }
  static AuditLogOptions Options() {
    AuditLogOptions o;
    o.clock = [] { return kNow; };
    return o;
  }
  int64_t Length() {
    const std::string key = keys::Audit(kPool);
    absl::StatusOr<TestReply> r = Inspect(key, {"XLEN", key});
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->integer : -1;
  }

  std::unique_ptr<AuditLog> audit_;
};

TEST_P(AuditLogTest, AppendsAndReadsNewestFirst) {
  ASSERT_OK_AND_ASSIGN(
      StreamId first,
      audit_->Append(kPool, "job.start", "coordinator-7",
                     Fields{{"job", "j12"}, {"kind", "1"}}, Soon()));
  ASSERT_OK_AND_ASSIGN(
      StreamId second,
      audit_->Append(kPool, "job.cancel", "admin@ops",
                     Fields{{"job", "j12"}, {"pairs", "e1|m1,e2|m2"}}, Soon()));
  EXPECT_LT(first, second);
  // Independently, through the harness: the stored shape.
  const std::string key = keys::Audit(kPool);
  ASSERT_OK_AND_ASSIGN(TestReply raw, Inspect(key, {"XRANGE", key, "-", "+"}));
  ASSERT_EQ(raw.elements.size(), 2u);
  EXPECT_EQ(raw.elements[0].elements[0].str, first.ToString());
  EXPECT_THAT(raw.elements[0].elements[1].Strings(),
              ElementsAre("action", "job.start", "actor", "coordinator-7", "t",
                          "1700000000456", "job", "j12", "kind", "1"));

  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> entries,
                       audit_->Read(kPool, 10, Soon()));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].id, second);
  EXPECT_EQ(entries[0].action, "job.cancel");
  EXPECT_EQ(entries[0].actor, "admin@ops");
  EXPECT_EQ(entries[0].time, kNow);
  EXPECT_THAT(entries[0].fields,
              ElementsAre(Pair("job", "j12"), Pair("pairs", "e1|m1,e2|m2")));
  EXPECT_EQ(entries[1].action, "job.start");
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> one,
                       audit_->Read(kPool, 1, Soon()));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, second);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> none,
                       audit_->Read("no-such-pool", 10, Soon()));
  EXPECT_THAT(none, IsEmpty());
}

TEST_P(AuditLogTest, RefusesContentAndWritesNothing) {
  const auto bad = [&](absl::string_view action, absl::string_view actor,
                       const Fields& fields) {
    return audit_->Append(kPool, action, actor, fields, Soon());
  };
  // Free text (spaces), profile-like content, reserved and malformed names.
  EXPECT_THAT(bad("match.decline", "c", Fields{{"reason", "too anxious"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("fields[0]: value")));
  EXPECT_THAT(bad("x", "c", Fields{{"triggers", "phone-calls;parties"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad("x", "c", Fields{{"ok", "1"}, {"t", "1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("fields[1]: name")));
  EXPECT_THAT(bad("x", "c", Fields{{"Actor", "1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad("x", "c", Fields{{"v", std::string(1025, 'a')}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      bad("Job Start", "c", {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("action")));
  EXPECT_THAT(bad("", "c", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(bad("x", "", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("actor")));
  EXPECT_THAT(bad("x", "a b", {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Fields many;
  for (int i = 0; i < 33; ++i) many.push_back({absl::StrCat("f", i), "1"});
  EXPECT_THAT(bad("x", "c", many),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(audit_->Append("Bad_Pool", "x", "c", {}, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pool")));
  EXPECT_THAT(ScanAll(keys::Audit(kPool)), IsEmpty());
  // The limits themselves pass.
  many.pop_back();
  many[0].second = std::string(1024, 'Z');
  EXPECT_THAT(bad("x", std::string(128, 'a'), many), IsOk());
  EXPECT_THAT(audit_->Read(kPool, 0, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(audit_->Read(kPool, 10001, Soon()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(AuditLogTest, RetentionIsBounded) {
  AuditLogOptions o = Options();
  o.max_len = 100;
  AuditLog small(client_.get(), o);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(small.Append(kPool, "member.delete", "c",
                             Fields{{"id", absl::StrCat("m", i)}}, Soon()),
                IsOk());
  }
  // MAXLEN ~ trims whole macro nodes (100 entries by default), so the
  // stream stays within one node of the bound; the newest entry survives.
  EXPECT_GE(Length(), 100);
  EXPECT_LE(Length(), 200);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditEntry> newest,
                       small.Read(kPool, 1, Soon()));
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_THAT(newest[0].fields, ElementsAre(Pair("id", "m999")));
}

TEST_P(AuditLogTest, ForeignEntriesAreInternalErrors) {
  const std::string key = keys::Audit(kPool);
  ASSERT_THAT(Inspect(key, {"XADD", key, "*", "action", "x", "t", "1"}),
              IsOk());
  EXPECT_THAT(audit_->Read(kPool, 10, Soon()),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("actor")));
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest,
                         ::testing::Values(Backend::kStandalone,
                                           Backend::kCluster),
                         BackendName);

}  // namespace
}  // namespace peermatch::store
