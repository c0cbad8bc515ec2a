// The member codec: what the store keeps apart from the payload, and the
// round trip through a store record (R-MEMBER, R-STORE).
#include "service/api/member_codec.h"

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace peermatch::api {
namespace {

using ::google::protobuf::util::MessageDifferencer;

v1::Member FullMember() {
  v1::Member m;
  m.set_id("m-7");
  m.add_roles(v1::ROLE_MENTOR);
  m.add_roles(v1::ROLE_FACILITATOR);
  m.add_triggers("crowds");
  m.add_interests("chess");
  m.set_recovery_stage(5);
  auto* w = m.add_availability();
  w->set_day(v1::TUESDAY);
  w->set_start_minute(17 * 60);
  w->set_end_minute(19 * 60);
  m.set_time_zone("America/New_York");
  m.add_languages("en");
  m.add_modalities(v1::MODALITY_VIDEO);
  m.set_mentor_capacity(3);
  m.add_blocked("m-9");
  m.add_blocked("m-2");
  m.set_version(4);
  m.mutable_update_time()->set_seconds(1773316800);
  return m;
}

TEST(MemberCodecTest, WriteSplitsOffStoreFieldsAndLeavesTheMemberUnchanged) {
  v1::Member m = FullMember();
  const v1::Member before = m;
  store::MemberWrite w = ToMemberWrite(&m, 4);
  EXPECT_TRUE(MessageDifferencer::Equals(m, before));

  EXPECT_EQ(w.id, "m-7");
  EXPECT_EQ(w.blocked, (std::vector<std::string>{"m-9", "m-2"}));
  EXPECT_EQ(w.mentor_capacity, 3);
  EXPECT_EQ(w.role_bits,
            (1u << v1::ROLE_MENTOR) | (1u << v1::ROLE_FACILITATOR));
  EXPECT_EQ(w.expected_version, 4);
  v1::Member body;
  ASSERT_TRUE(body.ParseFromString(w.payload));
  v1::Member expected = before;
  expected.clear_id();
  expected.clear_blocked();
  expected.clear_version();
  expected.clear_update_time();
  EXPECT_TRUE(MessageDifferencer::Equals(body, expected));
}

TEST(MemberCodecTest, WithoutUpdateTimeStaysWithout) {
  v1::Member m = FullMember();
  m.clear_update_time();
  ToMemberWrite(&m, std::nullopt);
  EXPECT_FALSE(m.has_update_time());
}

TEST(MemberCodecTest, RecordRoundTrip) {
  v1::Member m = FullMember();
  store::MemberWrite w = ToMemberWrite(&m, std::nullopt);
  store::MemberRecord r;
  r.id = w.id;
  r.payload = w.payload;
  r.blocked = {"m-2", "m-9"};
  r.version = 4;
  r.update_time = absl::FromUnixSeconds(1773316800);
  absl::StatusOr<v1::Member> back = FromMemberRecord(r);
  ASSERT_TRUE(back.ok()) << back.status();
  v1::Member expected = FullMember();
  expected.clear_blocked();
  expected.add_blocked("m-2");
  expected.add_blocked("m-9");
  EXPECT_TRUE(MessageDifferencer::Equals(*back, expected))
      << back->DebugString();

  r.payload = "\xff\xff";
  EXPECT_EQ(FromMemberRecord(r).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace peermatch::api
