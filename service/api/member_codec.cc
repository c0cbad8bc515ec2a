#include "service/api/member_codec.h"

#include <iterator>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/api/conversions.h"

namespace peermatch::api {
namespace {

constexpr char kTokenPrefix[] = "pm1\n";

}  // namespace

store::MemberWrite ToMemberWrite(const v1::Member& member,
                                 std::optional<int64_t> expected_version) {
  return store::MemberWrite{ToProfile(member), expected_version};
}

v1::Member FromMemberRecord(const store::MemberRecord& r) {
  v1::Member m = FromProfile(r.profile);
  m.set_version(r.version);
  SetTimestamp(r.update_time, m.mutable_update_time());
  return m;
}

matcher::MemberProfile ToProfile(const v1::Member& m) {
  matcher::MemberProfile p;
  p.id = m.id();
  for (int r : m.roles()) {
    p.roles |= matcher::RoleBit(static_cast<matcher::Role>(r));
  }
  p.triggers.assign(m.triggers().begin(), m.triggers().end());
  p.interests.assign(m.interests().begin(), m.interests().end());
  p.recovery_stage = m.recovery_stage();
  for (const auto& w : m.availability()) {
    p.availability.push_back({w.day(), w.start_minute(), w.end_minute()});
  }
  p.time_zone = m.time_zone();
  p.languages.assign(m.languages().begin(), m.languages().end());
  for (int mod : m.modalities()) {
    p.modalities.push_back(static_cast<matcher::Modality>(mod));
  }
  p.region = m.region();
  p.mentor_capacity = m.mentor_capacity();
  p.blocked.assign(m.blocked().begin(), m.blocked().end());
  p.safety_hold = m.safety_hold();
  p.screened = m.screened();
  return p;
}

v1::Member FromProfile(const matcher::MemberProfile& p) {
  v1::Member m;
  m.set_id(p.id);
  for (int r = 1; r <= 4; ++r) {
    if (matcher::HasRole(p.roles, static_cast<matcher::Role>(r))) {
      m.add_roles(static_cast<v1::Role>(r));
    }
  }
  for (const auto& t : p.triggers) m.add_triggers(t);
  for (const auto& t : p.interests) m.add_interests(t);
  m.set_recovery_stage(p.recovery_stage);
  for (const auto& w : p.availability) {
    auto* out = m.add_availability();
    out->set_day(static_cast<v1::DayOfWeek>(w.day));
    out->set_start_minute(w.start_minute);
    out->set_end_minute(w.end_minute);
  }
  m.set_time_zone(p.time_zone);
  for (const auto& l : p.languages) m.add_languages(l);
  for (auto mod : p.modalities)
    m.add_modalities(static_cast<v1::Modality>(mod));
  m.set_region(p.region);
  m.set_mentor_capacity(p.mentor_capacity);
  for (const auto& b : p.blocked) m.add_blocked(b);
  m.set_safety_hold(p.safety_hold);
  m.set_screened(p.screened);
  return m;
}

std::string EncodePageToken(absl::string_view pool, absl::string_view after) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kTokenPrefix, pool, "\n", after));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view pool,
                                            absl::string_view token) {
  std::string raw;
  absl::string_view rest;
  if (absl::WebSafeBase64Unescape(token, &raw)) {
    rest = raw;
    if (absl::ConsumePrefix(&rest, kTokenPrefix) &&
        absl::ConsumePrefix(&rest, pool) && absl::ConsumePrefix(&rest, "\n")) {
      return std::string(rest);
    }
  }
  return absl::InvalidArgumentError(
      "page_token: not a token from a previous response for this pool");
}

}  // namespace peermatch::api
