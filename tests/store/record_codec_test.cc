// The store's record formats (R-STORE, docs/storage-format.md): round trips,
// hand-made legacy (proto) bytes, forward compatibility and hostile input.
// tests/store/legacy_format_test.cc reads a dump the previous format wrote.
#include "service/store/record_codec.h"

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {
namespace {

using ::peermatch::testing::IsOk;
using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

matcher::MemberProfile FullProfile() {
  matcher::MemberProfile p;
  p.id = "kept-apart";
  p.roles = matcher::RoleBit(matcher::Role::kMentee) |
            matcher::RoleBit(matcher::Role::kFacilitator);
  p.triggers = {"phone-calls", "crowds"};
  p.interests = {"chess"};
  p.recovery_stage = 3;
  p.availability = {{1, 0, 1440}, {7, 1395, 1440}, {3, 600, 615}};
  p.time_zone = "America/Argentina/Buenos_Aires";
  p.languages = {"es-AR", "en"};
  p.modalities = {matcher::Modality::kInPerson, matcher::Modality::kText};
  p.region = std::string("r\0\xff", 3);  // any bytes survive
  p.mentor_capacity = 20;
  p.blocked = {"kept", "apart"};
  p.safety_hold = true;
  p.screened = true;
  return p;
}

void ExpectSameProfile(const matcher::MemberProfile& a,
                       const matcher::MemberProfile& b) {
  EXPECT_EQ(a.roles, b.roles);
  EXPECT_EQ(a.triggers, b.triggers);
  EXPECT_EQ(a.interests, b.interests);
  EXPECT_EQ(a.recovery_stage, b.recovery_stage);
  ASSERT_EQ(a.availability.size(), b.availability.size());
  for (size_t i = 0; i < a.availability.size(); ++i) {
    EXPECT_EQ(a.availability[i].day, b.availability[i].day) << i;
    EXPECT_EQ(a.availability[i].start_minute, b.availability[i].start_minute);
    EXPECT_EQ(a.availability[i].end_minute, b.availability[i].end_minute);
  }
  EXPECT_EQ(a.time_zone, b.time_zone);
  EXPECT_EQ(a.languages, b.languages);
  EXPECT_EQ(a.modalities, b.modalities);
  EXPECT_EQ(a.region, b.region);
  EXPECT_EQ(a.mentor_capacity, b.mentor_capacity);
  EXPECT_EQ(a.safety_hold, b.safety_hold);
  EXPECT_EQ(a.screened, b.screened);
}

TEST(RecordCodecTest, MemberRoundTripKeepsEveryFieldButIdAndBlocked) {
  const matcher::MemberProfile in = FullProfile();
  const std::string payload = EncodeMember(in);
  EXPECT_EQ(RecordFormatVersion(payload), 1);
  EXPECT_EQ(payload.substr(0, 3), std::string("\0M\x01", 3));
  // id and blocked live in hash fields of their own.
  EXPECT_EQ(payload.find("kept-apart"), std::string::npos);
  matcher::MemberProfile out;
  out.id = "from-the-hash";
  out.blocked = {"from-bl"};
  ASSERT_THAT(DecodeMember(payload, &out), IsOk());
  ExpectSameProfile(out, in);
  EXPECT_EQ(out.id, "from-the-hash");
  EXPECT_THAT(out.blocked, ElementsAre("from-bl"));

  matcher::MemberProfile minimal;
  minimal.roles = matcher::RoleBit(matcher::Role::kMentor);
  minimal.time_zone = "UTC";
  minimal.languages = {"en"};
  minimal.modalities = {matcher::Modality::kVideo};
  matcher::MemberProfile back;
  ASSERT_THAT(DecodeMember(EncodeMember(minimal), &back), IsOk());
  ExpectSameProfile(back, minimal);
}

TEST(RecordCodecTest, ReadsHandMadeLegacyMemberBytes) {
  // A peermatch.v1.Member as protobuf wrote it: roles (field 2) packed
  // [MENTEE=1, GROUP_MEMBER=3] and once unpacked (MENTOR=2), triggers (3),
  // recovery_stage (5) = 4, one window (6) {day 2, 540, 600}, time_zone (7)
  // "UTC", languages (8) "de", modalities (9) packed [2, 3], region (10)
  // "x", mentor_capacity (11) = 2, safety_hold (13), screened (14), and an
  // id (1) and version (15), which the decoder ignores.
  static constexpr char kLegacy[] =
      "\x0a\x02" "id"
      "\x12\x02\x01\x03"
      "\x10\x02"
      "\x1a\x06" "crowds"
      "\x28\x04"
      "\x32\x08\x08\x02\x10\x9c\x04\x18\xd8\x04"
      "\x3a\x03" "UTC"
      "\x42\x02" "de"
      "\x4a\x02\x02\x03"
      "\x52\x01" "x"
      "\x58\x02"
      "\x68\x01"
      "\x70\x01"
      "\x78\x07";
  const std::string legacy(kLegacy, sizeof(kLegacy) - 1);
  EXPECT_EQ(RecordFormatVersion(legacy), 0);
  matcher::MemberProfile p;
  ASSERT_THAT(DecodeMember(legacy, &p), IsOk());
  EXPECT_EQ(p.roles, matcher::RoleBit(matcher::Role::kMentee) |
                         matcher::RoleBit(matcher::Role::kGroupMember) |
                         matcher::RoleBit(matcher::Role::kMentor));
  EXPECT_THAT(p.triggers, ElementsAre("crowds"));
  EXPECT_EQ(p.recovery_stage, 4);
  ASSERT_EQ(p.availability.size(), 1u);
  EXPECT_EQ(p.availability[0].day, 2);
  EXPECT_EQ(p.availability[0].start_minute, 540);
  EXPECT_EQ(p.availability[0].end_minute, 600);
  EXPECT_EQ(p.time_zone, "UTC");
  EXPECT_THAT(p.languages, ElementsAre("de"));
  EXPECT_THAT(p.modalities, ElementsAre(matcher::Modality::kVideo,
                                        matcher::Modality::kInPerson));
  EXPECT_EQ(p.region, "x");
  EXPECT_EQ(p.mentor_capacity, 2);
  EXPECT_TRUE(p.safety_hold);
  EXPECT_TRUE(p.screened);
  EXPECT_TRUE(p.id.empty());  // the payload's id is not the record's
}

TEST(RecordCodecTest, UnknownFieldsOfTheCurrentVersionAreSkipped) {
  // A later peermatch may add fields; this one reads the rest.
  std::string payload = EncodeMember(FullProfile());
  payload += std::string("\xf8\x06\x2a", 3);     // field 111, varint 42
  payload += std::string("\xfa\x06\x02zz", 5);   // field 111, bytes "zz"
  matcher::MemberProfile out;
  ASSERT_THAT(DecodeMember(payload, &out), IsOk());
  ExpectSameProfile(out, FullProfile());
}

TEST(RecordCodecTest, NewerVersionsAndBrokenBytesAreDataLoss) {
  std::string newer = EncodeMember(FullProfile());
  newer[2] = 2;
  matcher::MemberProfile out;
  EXPECT_THAT(DecodeMember(newer, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("newer")));
  const std::string good = EncodeMember(FullProfile());
  EXPECT_THAT(DecodeMember(good.substr(0, good.size() - 3), &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeMember(std::string("\0G\x01", 3), &out),
              StatusIs(absl::StatusCode::kDataLoss));  // another kind
  EXPECT_THAT(DecodeMember("\xff\xff", &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodeGroupDetails(std::string("\0G\x01\x0a\x09", 5)).status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RecordCodecTest, RandomBytesNeverCrashAndNeverHang) {
  std::mt19937_64 rng(20261205);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (round % 3 == 0 && bytes.size() >= 3) {
      bytes[0] = '\0';
      bytes[1] = "MGS"[rng() % 3];
      bytes[2] = 1;
    }
    matcher::MemberProfile p;
    (void)DecodeMember(bytes, &p);
    (void)DecodeGroupDetails(bytes);
    (void)DecodePoolConfig(bytes);
  }
}

TEST(RecordCodecTest, GroupDetailsRoundTrip) {
  GroupDetails g;
  g.facilitator = "f-1";
  g.facilitator_ids = {"f-1", "f-2"};
  g.slot_utc = {7, 1380, 1470};
  g.local_slots = {{"a", "Asia/Tokyo", {1, 480, 570}},
                   {"f-1", "UTC", {7, 1380, 1470}}};
  g.language = "ja";
  g.modality = matcher::Modality::kInPerson;
  g.region = "tokyo";
  g.total_fit = 1.0 / 3.0;
  g.fits = {{"a", 0.1}, {"f-1", 0.2 + 1e-17}};
  const std::string payload = EncodeGroupDetails(g);
  EXPECT_EQ(RecordFormatVersion(payload), 1);
  ASSERT_OK_AND_ASSIGN(GroupDetails back, DecodeGroupDetails(payload));
  EXPECT_TRUE(back == g);  // doubles bit for bit
  ASSERT_OK_AND_ASSIGN(GroupDetails empty,
                       DecodeGroupDetails(EncodeGroupDetails({})));
  EXPECT_TRUE(empty == GroupDetails{});
}

TEST(RecordCodecTest, PoolConfigRoundTripAndLegacyDefaults) {
  PoolConfig c;
  c.matcher.mentee_weights = {0.5, 0.1, 0, 0.2, 0.1, 0.1};
  c.matcher.mentor_weights = {0, 0, 0, 1, 0, 0};
  c.matcher.mentor_min_stage = 3;
  c.matcher.min_stage_gap = -2;  // negative int32s survive
  c.matcher.ideal_stage_gap = 1;
  c.matcher.min_overlap_minutes = 0;
  c.matcher.target_overlap_minutes = 15;
  c.matcher.min_score = 0.25;
  c.matcher.require_screening = true;
  c.matcher.min_size = 2;
  c.matcher.max_size = 50;
  c.matcher.target_size = 3;
  c.matcher.require_facilitator = false;
  c.matcher.facilitator_min_stage = 5;
  c.matcher.max_stage_spread = 4;
  c.matcher.session_minutes = 1440;
  c.matcher.affinity_weights = {0, 1, 0};
  c.matcher.churn_weight = 0;
  c.service.proposal_ttl_seconds = 31536000;
  c.service.auto_publish = true;
  ASSERT_OK_AND_ASSIGN(PoolConfig back, DecodePoolConfig(EncodePoolConfig(c)));
  EXPECT_EQ(EncodePoolConfig(back), EncodePoolConfig(c));
  EXPECT_EQ(back.matcher.min_stage_gap, -2);
  EXPECT_EQ(back.matcher.mentee_weights.triggers, 0.5);
  EXPECT_EQ(back.matcher.mentor_weights.availability, 1.0);
  EXPECT_FALSE(back.matcher.require_facilitator);
  EXPECT_TRUE(back.service == c.service);

  // A legacy record holding only mentor_min_stage (field 3) = 5 and
  // min_score (field 8) = 0.5: everything else keeps its default.
  const std::string legacy("\x18\x05\x41\x00\x00\x00\x00\x00\x00\xe0\x3f", 11);
  ASSERT_OK_AND_ASSIGN(PoolConfig l, DecodePoolConfig(legacy));
  EXPECT_EQ(l.matcher.mentor_min_stage, 5);
  EXPECT_EQ(l.matcher.min_score, 0.5);
  const PoolConfig defaults;
  EXPECT_EQ(l.matcher.session_minutes, defaults.matcher.session_minutes);
  EXPECT_EQ(l.matcher.mentee_weights.triggers,
            defaults.matcher.mentee_weights.triggers);
  EXPECT_EQ(l.service.proposal_ttl_seconds,
            defaults.service.proposal_ttl_seconds);
}

}  // namespace
}  // namespace peermatch::store
