// Unit tests of request validation at both sides of every SPEC §2 limit
// (R-MEMBER, R-POOL, R-SEC bounded inputs).
#include "service/api/validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peermatch/v1/google_rpc.pb.h"

namespace peermatch::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Member ValidMember() {
  v1::Member m;
  m.set_id("m-1");
  m.add_roles(v1::ROLE_MENTEE);
  m.add_triggers("phone-calls");
  m.add_interests("hiking");
  m.set_recovery_stage(2);
  auto* w = m.add_availability();
  w->set_day(v1::MONDAY);
  w->set_start_minute(18 * 60);
  w->set_end_minute(21 * 60);
  m.set_time_zone("Europe/Berlin");
  m.add_languages("en-GB");
  m.add_modalities(v1::MODALITY_VIDEO);
  return m;
}

// Returns the field paths of all violations after normalizing `m`.
std::vector<std::string> Violations(v1::Member m) {
  FieldErrors errors;
  NormalizeMember(&m, "member", &errors);
  std::vector<std::string> fields;
  for (const auto& v : errors.violations()) fields.push_back(v.field);
  return fields;
}

TEST(ValidationTest, ValidMemberPasses) {
  EXPECT_TRUE(Violations(ValidMember()).empty());
}

TEST(ValidationTest, TagsAreNormalizedAndDeduplicated) {
  v1::Member m = ValidMember();
  m.clear_triggers();
  m.add_triggers("  Phone-Calls ");
  m.add_triggers("phone-calls");
  m.add_triggers("EATING-in-public");
  FieldErrors errors;
  NormalizeMember(&m, "member", &errors);
  ASSERT_TRUE(errors.empty());
  EXPECT_THAT(m.triggers(), ElementsAre("phone-calls", "eating-in-public"));
}

TEST(ValidationTest, TagLimits) {
  v1::Member m = ValidMember();
  m.clear_interests();
  for (int i = 0; i < 32; ++i) m.add_interests("t" + std::to_string(i));
  EXPECT_TRUE(Violations(m).empty());
  m.add_interests("t32");
  EXPECT_THAT(Violations(m), ElementsAre("member.interests"));
  // Duplicates do not count against the limit.
  m.mutable_interests()->RemoveLast();
  m.add_interests("T0");
  EXPECT_TRUE(Violations(m).empty());

  m = ValidMember();
  m.clear_triggers();
  m.add_triggers(std::string(48, 'a'));
  EXPECT_TRUE(Violations(m).empty());
  m.add_triggers(std::string(49, 'a'));
  EXPECT_THAT(Violations(m), ElementsAre("member.triggers[1]"));
  m.mutable_triggers()->RemoveLast();
  m.add_triggers("   ");
  EXPECT_THAT(Violations(m), ElementsAre("member.triggers[1]"));
  m.mutable_triggers()->RemoveLast();
  m.add_triggers("no_underscore");
  EXPECT_THAT(Violations(m), ElementsAre("member.triggers[1]"));
}

TEST(ValidationTest, RolesAreRequiredAndKnown) {
  v1::Member m = ValidMember();
  m.clear_roles();
  EXPECT_THAT(Violations(m), ElementsAre("member.roles"));
  m.add_roles(v1::ROLE_UNSPECIFIED);
  EXPECT_THAT(Violations(m), ElementsAre("member.roles[0]"));
  m.clear_roles();
  m.add_roles(static_cast<v1::Role>(5));
  EXPECT_THAT(Violations(m), ElementsAre("member.roles[0]"));
  m.clear_roles();
  m.add_roles(v1::ROLE_FACILITATOR);
  m.add_roles(v1::ROLE_FACILITATOR);
  FieldErrors errors;
  NormalizeMember(&m, "member", &errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(m.roles_size(), 1);
}

TEST(ValidationTest, RecoveryStageLimits) {
  v1::Member m = ValidMember();
  for (int s : {1, 5}) {
    m.set_recovery_stage(s);
    EXPECT_TRUE(Violations(m).empty()) << s;
  }
  for (int s : {0, 6, -1}) {
    m.set_recovery_stage(s);
    EXPECT_THAT(Violations(m), ElementsAre("member.recovery_stage")) << s;
  }
}

TEST(ValidationTest, AvailabilityLimits) {
  v1::Member m = ValidMember();
  m.clear_availability();
  for (int i = 0; i < 42; ++i) {
    auto* w = m.add_availability();
    w->set_day(static_cast<v1::DayOfWeek>(i % 7 + 1));
    w->set_start_minute(i * 10);
    w->set_end_minute(i * 10 + 5);
  }
  EXPECT_TRUE(Violations(m).empty());
  m.add_availability()->CopyFrom(m.availability(0));
  EXPECT_THAT(Violations(m), ElementsAre("member.availability"));

  auto window = [](int day, int start, int end) {
    v1::Member m = ValidMember();
    auto* w = m.mutable_availability(0);
    w->set_day(static_cast<v1::DayOfWeek>(day));
    w->set_start_minute(start);
    w->set_end_minute(end);
    return Violations(m);
  };
  EXPECT_TRUE(window(1, 0, 1440).empty());
  EXPECT_TRUE(window(7, 1439, 1440).empty());
  EXPECT_THAT(window(0, 0, 60), ElementsAre("member.availability[0].day"));
  EXPECT_THAT(window(8, 0, 60), ElementsAre("member.availability[0].day"));
  EXPECT_THAT(window(1, -1, 60),
              ElementsAre("member.availability[0].start_minute"));
  EXPECT_THAT(window(1, 0, 1441),
              ElementsAre("member.availability[0].end_minute"));
  EXPECT_THAT(window(1, 600, 600),
              ElementsAre("member.availability[0].end_minute"));
  EXPECT_THAT(window(1, 600, 599),
              ElementsAre("member.availability[0].end_minute"));
}

TEST(ValidationTest, TimeZoneRules) {
  auto zone = [](const std::string& tz) {
    v1::Member m = ValidMember();
    m.set_time_zone(tz);
    return Violations(m);
  };
  EXPECT_TRUE(zone("UTC").empty());
  EXPECT_TRUE(zone("America/New_York").empty());
  EXPECT_TRUE(zone("America/Argentina/Buenos_Aires").empty());
  EXPECT_THAT(zone(""), ElementsAre("member.time_zone"));
  EXPECT_THAT(zone("localtime"), ElementsAre("member.time_zone"));
  EXPECT_THAT(zone("Europe/../Europe/Berlin"), ElementsAre("member.time_zone"));
  EXPECT_THAT(zone("/etc/localtime"), ElementsAre("member.time_zone"));
  EXPECT_THAT(zone("Mars/Olympus_Mons"), ElementsAre("member.time_zone"));
  EXPECT_THAT(zone("Europe/Berlin "), ElementsAre("member.time_zone"));
  EXPECT_THAT(zone(std::string(65, 'A')), ElementsAre("member.time_zone"));
}

TEST(ValidationTest, LanguageLimits) {
  v1::Member m = ValidMember();
  m.clear_languages();
  EXPECT_THAT(Violations(m), ElementsAre("member.languages"));
  for (const char* l :
       {"en", "de", "fr", "es", "it", "pt-BR", "zh-Hant-TW", "ar"}) {
    m.add_languages(l);
  }
  EXPECT_TRUE(Violations(m).empty());
  m.add_languages("nl");
  EXPECT_THAT(Violations(m), ElementsAre("member.languages"));
  m.clear_languages();
  m.add_languages("e");
  EXPECT_THAT(Violations(m), ElementsAre("member.languages[0]"));
  m.set_languages(0, "en_US");
  EXPECT_THAT(Violations(m), ElementsAre("member.languages[0]"));
  m.set_languages(0, "en-");
  EXPECT_THAT(Violations(m), ElementsAre("member.languages[0]"));
  EXPECT_EQ(PrimaryLanguageSubtag("EN-gb"), "en");
  EXPECT_EQ(PrimaryLanguageSubtag("pt"), "pt");
}

TEST(ValidationTest, ModalitiesAndRegion) {
  v1::Member m = ValidMember();
  m.clear_modalities();
  EXPECT_THAT(Violations(m), ElementsAre("member.modalities"));
  m.add_modalities(v1::MODALITY_UNSPECIFIED);
  EXPECT_THAT(Violations(m), ElementsAre("member.modalities[0]"));
  m.clear_modalities();
  m.add_modalities(v1::MODALITY_IN_PERSON);
  EXPECT_THAT(Violations(m), ElementsAre("member.region"));
  m.set_region("berlin");
  EXPECT_TRUE(Violations(m).empty());
  m.set_region(std::string(64, 'r'));
  EXPECT_TRUE(Violations(m).empty());
  m.set_region(std::string(65, 'r'));
  EXPECT_THAT(Violations(m), ElementsAre("member.region"));
}

TEST(ValidationTest, CapacityLimits) {
  v1::Member m = ValidMember();
  for (int c : {0, 20}) {
    m.set_mentor_capacity(c);
    EXPECT_TRUE(Violations(m).empty());
  }
  for (int c : {-1, 21}) {
    m.set_mentor_capacity(c);
    EXPECT_THAT(Violations(m), ElementsAre("member.mentor_capacity"));
  }
}

TEST(ValidationTest, BlockedLimits) {
  v1::Member m = ValidMember();
  for (int i = 0; i < 256; ++i) m.add_blocked("b" + std::to_string(i));
  EXPECT_TRUE(Violations(m).empty());
  m.add_blocked("b256");
  EXPECT_THAT(Violations(m), ElementsAre("member.blocked"));
  m = ValidMember();
  m.add_blocked("m-1");
  EXPECT_THAT(Violations(m), ElementsAre("member.blocked[0]"));
  m.set_blocked(0, "bad id");
  EXPECT_THAT(Violations(m), ElementsAre("member.blocked[0]"));
}

TEST(ValidationTest, ReportsEveryViolationWithBadRequestDetails) {
  v1::Member m = ValidMember();
  m.set_id("");
  m.set_recovery_stage(9);
  FieldErrors errors;
  NormalizeMember(&m, "requests[3].member", &errors);
  absl::Status s = errors.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("requests[3].member.id"));
  auto payload = s.GetPayload(kBadRequestTypeUrl);
  ASSERT_TRUE(payload.has_value());
  google::rpc::BadRequest bad;
  ASSERT_TRUE(bad.ParseFromString(std::string(*payload)));
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(1).field(),
            "requests[3].member.recovery_stage");
}

TEST(ValidationTest, GrpcStatusCarriesDetails) {
  FieldErrors errors;
  errors.Add("pool", "must be 1-63 characters of [a-z0-9-]");
  grpc::Status g = ToGrpcStatus(errors.ToStatus());
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(g.error_details()));
  EXPECT_EQ(details.code(), 3);
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), kBadRequestTypeUrl);
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("x")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcStatus(absl::AbortedError("x")).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace peermatch::api
