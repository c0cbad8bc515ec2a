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

TEST(MemberCodecTest, WriteCarriesTheWholeProfile) {
  store::MemberWrite w = ToMemberWrite(FullMember(), 4);
  EXPECT_EQ(w.profile.id, "m-7");
  EXPECT_EQ(w.profile.blocked, (std::vector<std::string>{"m-9", "m-2"}));
  EXPECT_EQ(w.profile.mentor_capacity, 3);
  EXPECT_EQ(w.profile.roles,
            (1u << v1::ROLE_MENTOR) | (1u << v1::ROLE_FACILITATOR));
  EXPECT_EQ(w.profile.time_zone, "America/New_York");
  ASSERT_EQ(w.profile.availability.size(), 1u);
  EXPECT_EQ(w.profile.availability[0].day, 2);
  EXPECT_EQ(w.profile.availability[0].start_minute, 17 * 60);
  EXPECT_EQ(w.expected_version, 4);
}

TEST(MemberCodecTest, RecordRoundTrip) {
  store::MemberWrite w = ToMemberWrite(FullMember(), std::nullopt);
  store::MemberRecord r;
  r.profile = w.profile;
  r.profile.blocked = {"m-2", "m-9"};
  r.version = 4;
  r.update_time = absl::FromUnixSeconds(1773316800);
  v1::Member back = FromMemberRecord(r);
  v1::Member expected = FullMember();
  expected.clear_blocked();
  expected.add_blocked("m-2");
  expected.add_blocked("m-9");
  EXPECT_TRUE(MessageDifferencer::Equals(back, expected)) << back.DebugString();
}

}  // namespace
}  // namespace peermatch::api
