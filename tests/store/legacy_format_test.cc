// Data written by the previous storage format is still read (R-STORE;
// docs/storage-format.md). testdata/legacy_v0/legacy.rdb is a Redis dump
// that peermatch f0bb607 wrote (member, group and settings payloads were
// serialized peermatch.v1 protos); expected_*.json is what that server
// returned for the same records through its API, parsed here with
// protobuf's JSON parser into google.protobuf.Struct (no project protos),
// so the expectations come from the old code and protobuf, not from the
// decoder under test. The test starts a real redis-server on that dump and
// reads everything back through the repositories, then writes a member and
// checks it is rewritten in the current format.
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "service/store/group_repository.h"
#include "service/store/keys.h"
#include "service/store/member_repository.h"
#include "service/store/record_codec.h"
#include "service/store/redis_client.h"
#include "service/store/settings_repository.h"
#include "tests/support/redis_server.h"
#include "tests/support/status_matchers.h"

#ifndef PEERMATCH_TESTDATA_DIR
#error "PEERMATCH_TESTDATA_DIR must name tests/store/testdata"
#endif

namespace peermatch::store {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::peermatch::testing::IsOk;
using ::peermatch::testing::RedisServer;
using ::testing::ElementsAreArray;

constexpr char kPool[] = "legacy";
const std::string kDir = std::string(PEERMATCH_TESTDATA_DIR) + "/legacy_v0/";

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Struct ParseJson(absl::string_view json) {
  Struct s;
  auto status = google::protobuf::util::JsonStringToMessage(
      std::string(json), &s);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return s;
}

const Value& Field(const Struct& s, const std::string& key) {
  static const Value* const kNull = [] {
    auto* v = new Value;
    v->set_null_value(google::protobuf::NULL_VALUE);
    return v;
  }();
  auto it = s.fields().find(key);
  return it == s.fields().end() ? *kNull : it->second;
}
std::string Str(const Struct& s, const std::string& key) {
  return Field(s, key).string_value();
}
double Num(const Struct& s, const std::string& key) {
  const Value& v = Field(s, key);
  // int64s come as strings in protobuf's JSON mapping.
  if (v.kind_case() == Value::kStringValue) return std::stod(v.string_value());
  return v.number_value();
}
std::vector<std::string> Strs(const Struct& s, const std::string& key) {
  std::vector<std::string> out;
  for (const Value& v : Field(s, key).list_value().values()) {
    out.push_back(v.string_value());
  }
  return out;
}
int Day(const std::string& name) {
  static const std::map<std::string, int> kDays = {
      {"MONDAY", 1}, {"TUESDAY", 2},  {"WEDNESDAY", 3}, {"THURSDAY", 4},
      {"FRIDAY", 5}, {"SATURDAY", 6}, {"SUNDAY", 7}};
  return kDays.at(name);
}
absl::Time Time(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

class LegacyFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RedisServer::Options options;
    options.rdb_file = kDir + "legacy.rdb";
    auto server = RedisServer::Start(options);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    auto client = NewRedisClient(server_->url(), {});
    ASSERT_THAT(client, IsOk());
    client_ = *std::move(client);
  }

  std::unique_ptr<RedisServer> server_;
  std::unique_ptr<RedisClient> client_;
};

TEST_F(LegacyFormatTest, TheDumpHoldsLegacyPayloads) {
  // The fixture is what it claims to be: no payload has the new header.
  for (const std::string& key :
       {keys::Member(kPool, "lg-e1"), keys::Group(kPool, "g1"),
        keys::Settings(kPool)}) {
    auto p = server_->Command({"HGET", key, "p"});
    ASSERT_THAT(p, IsOk());
    ASSERT_FALSE(p->str.empty()) << key;
    EXPECT_EQ(RecordFormatVersion(p->str), 0) << key;
  }
}

TEST_F(LegacyFormatTest, MembersReadAsTheOldServerReturnedThem) {
  MemberRepository members(client_.get());
  int n = 0;
  for (absl::string_view line :
       absl::StrSplit(ReadFile(kDir + "expected_members.jsonl"), '\n',
                      absl::SkipEmpty())) {
    const Struct want = ParseJson(line);
    const std::string id = Str(want, "id");
    SCOPED_TRACE(id);
    auto got = members.Get(kPool, id, Soon());
    ASSERT_THAT(got, IsOk());
    const matcher::MemberProfile& p = got->profile;
    EXPECT_EQ(p.id, id);
    matcher::RoleSet roles = 0;
    for (const std::string& r : Strs(want, "roles")) {
      roles |= matcher::RoleBit(static_cast<matcher::Role>(
          r == "ROLE_MENTEE"         ? 1
          : r == "ROLE_MENTOR"       ? 2
          : r == "ROLE_GROUP_MEMBER" ? 3
                                     : 4));
    }
    EXPECT_EQ(p.roles, roles);
    EXPECT_THAT(p.triggers, ElementsAreArray(Strs(want, "triggers")));
    EXPECT_THAT(p.interests, ElementsAreArray(Strs(want, "interests")));
    EXPECT_EQ(p.recovery_stage, Num(want, "recovery_stage"));
    const auto& windows = Field(want, "availability").list_value().values();
    ASSERT_EQ(p.availability.size(), static_cast<size_t>(windows.size()));
    for (int i = 0; i < windows.size(); ++i) {
      const Struct& w = windows[i].struct_value();
      EXPECT_EQ(p.availability[i].day, Day(Str(w, "day")));
      EXPECT_EQ(p.availability[i].start_minute, Num(w, "start_minute"));
      EXPECT_EQ(p.availability[i].end_minute, Num(w, "end_minute"));
    }
    EXPECT_EQ(p.time_zone, Str(want, "time_zone"));
    EXPECT_THAT(p.languages, ElementsAreArray(Strs(want, "languages")));
    std::vector<std::string> modalities;
    for (matcher::Modality m : p.modalities) {
      modalities.push_back(m == matcher::Modality::kText    ? "MODALITY_TEXT"
                           : m == matcher::Modality::kVideo ? "MODALITY_VIDEO"
                                                            : "MODALITY_IN_PERSON");
    }
    EXPECT_THAT(modalities, ElementsAreArray(Strs(want, "modalities")));
    EXPECT_EQ(p.region, Str(want, "region"));
    EXPECT_EQ(p.mentor_capacity, Num(want, "mentor_capacity"));
    EXPECT_THAT(p.blocked, ElementsAreArray(Strs(want, "blocked")));
    EXPECT_EQ(p.safety_hold, Field(want, "safety_hold").bool_value());
    EXPECT_EQ(p.screened, Field(want, "screened").bool_value());
    EXPECT_EQ(got->version, Num(want, "version"));
    EXPECT_EQ(got->update_time, Time(Str(want, "update_time")));
    ++n;
  }
  EXPECT_EQ(n, 8);
  // The whole pool loads too (the snapshot's cold load).
  auto all = members.LoadAll(kPool, Soon());
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->members.size(), 8u);
}

TEST_F(LegacyFormatTest, GroupReadsAsTheOldServerReturnedIt) {
  GroupRepository groups(client_.get());
  const Struct want = ParseJson(ReadFile(kDir + "expected_groups.json"));
  auto got = groups.Get(kPool, Str(want, "id"), Soon());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(static_cast<int>(got->state), 2);  // GROUP_STATE_ACTIVE
  EXPECT_THAT(got->members, ElementsAreArray(Strs(want, "member_ids")));
  const GroupDetails& d = got->details;
  EXPECT_EQ(d.facilitator, Str(want, "facilitator"));
  EXPECT_THAT(d.facilitator_ids, ElementsAreArray(Strs(want, "facilitator_ids")));
  const Struct& slot = Field(want, "slot_utc").struct_value();
  EXPECT_EQ(d.slot_utc.day, Day(Str(slot, "day")));
  EXPECT_EQ(d.slot_utc.start_minute, Num(slot, "start_minute"));
  EXPECT_EQ(d.slot_utc.end_minute, Num(slot, "end_minute"));
  const auto& locals = Field(want, "local_slots").list_value().values();
  ASSERT_EQ(d.local_slots.size(), static_cast<size_t>(locals.size()));
  for (int i = 0; i < locals.size(); ++i) {
    const Struct& l = locals[i].struct_value();
    EXPECT_EQ(d.local_slots[i].member_id, Str(l, "member_id"));
    EXPECT_EQ(d.local_slots[i].time_zone, Str(l, "time_zone"));
    const Struct& s = Field(l, "slot").struct_value();
    EXPECT_EQ(d.local_slots[i].slot.day, Day(Str(s, "day")));
    EXPECT_EQ(d.local_slots[i].slot.start_minute, Num(s, "start_minute"));
    EXPECT_EQ(d.local_slots[i].slot.end_minute, Num(s, "end_minute"));
  }
  EXPECT_EQ(d.language, Str(want, "language"));
  EXPECT_EQ(d.modality, matcher::Modality::kVideo);
  EXPECT_EQ(d.region, Str(want, "region"));
  EXPECT_EQ(d.total_fit, Num(want, "total_fit"));  // exact: 17 digits
  const auto& fits = Field(want, "fits").list_value().values();
  ASSERT_EQ(d.fits.size(), static_cast<size_t>(fits.size()));
  for (int i = 0; i < fits.size(); ++i) {
    EXPECT_EQ(d.fits[i].member_id, Str(fits[i].struct_value(), "member_id"));
    EXPECT_EQ(d.fits[i].fit, Num(fits[i].struct_value(), "fit"));
  }
  EXPECT_EQ(got->version, Num(want, "version"));
  EXPECT_EQ(got->create_time, Time(Str(want, "create_time")));
}

TEST_F(LegacyFormatTest, SettingsReadAsTheOldServerReturnedThem) {
  SettingsRepository settings(client_.get());
  const Struct want = ParseJson(ReadFile(kDir + "expected_settings.json"));
  auto got = settings.Get(kPool, Soon());
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  const matcher::PoolSettings& s = (*got)->config.matcher;
  auto weights = [&](const std::string& key, const matcher::ScoreWeights& w) {
    const Struct& v = Field(want, key).struct_value();
    EXPECT_EQ(w.triggers, Num(v, "triggers")) << key;
    EXPECT_EQ(w.interests, Num(v, "interests")) << key;
    EXPECT_EQ(w.stage, Num(v, "stage")) << key;
    EXPECT_EQ(w.availability, Num(v, "availability")) << key;
    EXPECT_EQ(w.modality, Num(v, "modality")) << key;
    EXPECT_EQ(w.language, Num(v, "language")) << key;
  };
  weights("mentee_weights", s.mentee_weights);
  weights("mentor_weights", s.mentor_weights);
  EXPECT_EQ(s.mentor_min_stage, Num(want, "mentor_min_stage"));
  EXPECT_EQ(s.min_stage_gap, Num(want, "min_stage_gap"));
  EXPECT_EQ(s.ideal_stage_gap, Num(want, "ideal_stage_gap"));
  EXPECT_EQ(s.min_overlap_minutes, Num(want, "min_overlap_minutes"));
  EXPECT_EQ(s.target_overlap_minutes, Num(want, "target_overlap_minutes"));
  EXPECT_EQ(s.min_score, Num(want, "min_score"));
  EXPECT_EQ(s.require_screening, Field(want, "require_screening").bool_value());
  EXPECT_EQ(s.min_size, Num(want, "min_size"));
  EXPECT_EQ(s.max_size, Num(want, "max_size"));
  EXPECT_EQ(s.target_size, Num(want, "target_size"));
  EXPECT_EQ(s.require_facilitator,
            Field(want, "require_facilitator").bool_value());
  EXPECT_EQ(s.facilitator_min_stage, Num(want, "facilitator_min_stage"));
  EXPECT_EQ(s.max_stage_spread, Num(want, "max_stage_spread"));
  EXPECT_EQ(s.session_minutes, Num(want, "session_minutes"));
  const Struct& a = Field(want, "affinity_weights").struct_value();
  EXPECT_EQ(s.affinity_weights.triggers, Num(a, "triggers"));
  EXPECT_EQ(s.affinity_weights.interests, Num(a, "interests"));
  EXPECT_EQ(s.affinity_weights.stage, Num(a, "stage"));
  EXPECT_EQ(s.churn_weight, Num(want, "churn_weight"));
  EXPECT_EQ((*got)->config.service.proposal_ttl_seconds,
            Num(want, "proposal_ttl_seconds"));
  EXPECT_EQ((*got)->config.service.auto_publish,
            Field(want, "auto_publish").bool_value());
  EXPECT_EQ((*got)->version, Num(want, "version"));
}

TEST_F(LegacyFormatTest, AWriteRewritesTheRecordInTheCurrentFormat) {
  MemberRepository members(client_.get());
  auto before = members.Get(kPool, "lg-m2", Soon());
  ASSERT_THAT(before, IsOk());
  MemberWrite w{before->profile, before->version};
  w.profile.mentor_capacity = 19;
  auto r = members.Upsert(kPool, w, Soon());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->version, before->version + 1);
  auto p = server_->Command({"HGET", keys::Member(kPool, "lg-m2"), "p"});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(RecordFormatVersion(p->str), 1);
  auto after = members.Get(kPool, "lg-m2", Soon());
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->profile.mentor_capacity, 19);
  EXPECT_EQ(after->profile.triggers, before->profile.triggers);
  EXPECT_EQ(after->profile.time_zone, before->profile.time_zone);
  EXPECT_EQ(after->profile.blocked, before->profile.blocked);
}

}  // namespace
}  // namespace peermatch::store
