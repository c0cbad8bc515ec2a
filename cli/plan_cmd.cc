#include "cli/plan_cmd.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/plan.pb.h"
#include "cli/rpc.h"
#include "google/protobuf/util/json_util.h"
#include "matcher/batch_matching.h"
#include "matcher/compiled_pool.h"
#include "matcher/groups.h"
#include "matcher/profile.h"
#include "matcher/scoring.h"
#include "matcher/slot_set.h"
#include "matcher/time.h"
#include "peermatch/v1/member.pb.h"
#include "peermatch/v1/settings.pb.h"
#include "service/api/member_codec.h"
#include "service/api/settings_codec.h"
#include "service/api/status.h"
#include "service/api/validation.h"
#include "base/status_macros.h"

namespace peermatch::cli {
namespace {

namespace v1 = ::peermatch::v1;

// Bad input, with a message that names the file, line and field.
absl::Status BadInput(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// Reads a whole file. A directory, a missing or unreadable file are bad
// input.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"),
                                             &std::fclose);
  if (file == nullptr) {
    return BadInput(path, absl::StrCat("cannot read: ", std::strerror(errno)));
  }
  std::string data;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    data.append(buffer, n);
  }
  if (std::ferror(file.get())) {
    return BadInput(path, absl::StrCat("cannot read: ", std::strerror(errno)));
  }
  return data;
}

// The first line of a JSON parser message with every quoted value elided:
// protobuf quotes the offending value and adds a snippet of the input on
// later lines, and either may be profile content, which is never printed.
std::string ParserMessage(absl::string_view message) {
  message = message.substr(0, message.find_first_of("\r\n"));
  std::string out;
  bool quoted = false;
  for (char c : message) {
    if (c == '"') {
      if (!quoted) out += "\"...\"";
      quoted = !quoted;
    } else if (!quoted) {
      out.push_back(c);
    }
  }
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

// Protobuf's JSON mapping with unknown fields rejected.
absl::Status ParseJson(absl::string_view text,
                       google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(text),
                                                            message, options);
  if (status.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      ParserMessage(std::string(status.message())));
}

// One member per non-blank line, validated and normalized as the server
// does; ids must be unique.
absl::StatusOr<std::vector<v1::Member>> ReadMembers(const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  std::vector<v1::Member> members;
  absl::flat_hash_map<std::string, int> line_of_id;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(data, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const std::string where = absl::StrCat(path, ":", line_number);
    v1::Member member;
    if (absl::Status s = ParseJson(line, &member); !s.ok()) {
      return BadInput(where, absl::StrCat("not a JSON Member: ", s.message()));
    }
    api::FieldErrors errors;
    api::NormalizeMember(&member, "", &errors);
    if (!errors.empty()) return BadInput(where, errors.ToStatus().message());
    auto [it, inserted] = line_of_id.emplace(member.id(), line_number);
    if (!inserted) {
      return BadInput(
          where,
          absl::StrCat("id: duplicate of the member on line ", it->second));
    }
    members.push_back(std::move(member));
  }
  return members;
}

// A PoolSettings patch merged onto the SPEC defaults and validated as the
// server does.
absl::StatusOr<api::FullSettings> ReadSettings(const std::string& path) {
  api::FullSettings settings;
  if (path.empty()) return settings;
  ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  v1::PoolSettings patch;
  if (absl::Status s = ParseJson(data, &patch); !s.ok()) {
    return BadInput(path,
                    absl::StrCat("not a JSON PoolSettings: ", s.message()));
  }
  api::FieldErrors errors;
  api::MergeSettings(patch, "", &settings, &errors);
  if (!errors.empty()) return BadInput(path, errors.ToStatus().message());
  return settings;
}

absl::StatusOr<absl::Time> ParseReferenceTime(const std::string& text) {
  if (text.empty()) return absl::Now();
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return BadInput("--reference-time",
                    absl::StrCat("not an RFC 3339 time such as "
                                 "2025-03-03T12:00:00Z (",
                                 error, ")"));
  }
  return time;
}

// Stable matching as a default batch run with no live matches: every MENTEE
// (ineligible ones come back with their reason), every MENTOR with capacity.
// Sets `*verification` to an error when the matcher's independent verifier
// finds the matching unstable or over capacity (a bug, never bad input).
absl::Status AddMatches(const matcher::Scorer& scorer, PlanReport* report,
                        absl::Status* verification) {
  const matcher::CompiledPool& pool = scorer.pool();
  matcher::BatchInput input;
  for (matcher::MemberIndex i : pool.by_id()) {
    const matcher::MemberCore& core = pool.core(i);
    if (core.flags & matcher::kFlagMentee) input.mentees.push_back(i);
    if ((core.flags & matcher::kFlagMentor) && core.capacity > 0) {
      input.mentors.emplace_back(i, core.capacity);
    }
  }
  matcher::BatchOptions options;  // mentee-proposing, complete lists
  ASSIGN_OR_RETURN(matcher::BatchResult batch,
                   matcher::RunBatchMatching(scorer, input, options));
  // Both lists come back in mentee id order.
  for (const matcher::MatchedPair& pair : batch.matches) {
    PlanReport::Match* match = report->add_matches();
    match->set_mentee(pool.id(pair.mentee));
    match->set_mentor(pool.id(pair.mentor));
    match->set_mentee_score(pair.mentee_micros / 1e6);
    match->set_mentor_score(pair.mentor_micros / 1e6);
  }
  for (const matcher::UnmatchedMentee& u : batch.unmatched) {
    PlanReport::Excluded* out = report->add_unmatched_mentees();
    out->set_id(pool.id(u.mentee));
    out->set_reason(std::string(matcher::UnmatchedReasonName(u.reason)));
  }
  const matcher::VerificationReport& v = batch.verification;
  report->set_blocking_pairs(static_cast<int32_t>(std::min<int64_t>(
      v.blocking_pairs, std::numeric_limits<int32_t>::max())));
  if (!v.ok()) {
    *verification = absl::InternalError(absl::StrCat(
        "the matching failed its verification: ", v.blocking_pairs,
        " blocking pairs, ", v.capacity_violations, " capacity violations, ",
        v.unacceptable_pairs, " unacceptable pairs"));
  }
  return absl::OkStatus();
}

// Group formation over the members with a group role, with their slots in
// the pool's reference week.
absl::Status AddGroups(const std::vector<matcher::MemberProfile>& profiles,
                       const matcher::CompiledPool& pool,
                       const matcher::PoolSettings& settings,
                       PlanReport* report) {
  std::vector<matcher::MemberProfile> members;
  std::vector<matcher::SlotSet> slots;
  for (const matcher::MemberProfile& p : profiles) {
    if (!matcher::HasRole(p.roles, matcher::Role::kGroupMember) &&
        !matcher::HasRole(p.roles, matcher::Role::kFacilitator)) {
      continue;
    }
    members.push_back(p);
    slots.push_back(pool.core(*pool.Find(p.id)).slots);
  }
  ASSIGN_OR_RETURN(matcher::GroupingResult grouping,
                   matcher::FormGroups(members, slots, settings));
  // Groups come sorted by first member, each with sorted members.
  for (const matcher::GroupPlan& plan : grouping.groups) {
    PlanReport::Group* group = report->add_groups();
    for (const std::string& id : plan.member_ids) group->add_members(id);
    if (!plan.facilitator.empty()) {
      group->set_facilitator(plan.facilitator);
    }
    group->mutable_slot()->set_day(plan.slot.day);
    group->mutable_slot()->set_start_minute(plan.slot.start_minute);
    group->mutable_slot()->set_end_minute(plan.slot.end_minute);
  }
  for (const matcher::UnplacedMember& u : grouping.unplaced) {
    PlanReport::Excluded* out = report->add_unplaced();
    out->set_id(u.id);
    out->set_reason(std::string(matcher::UnplacedReasonName(u.reason)));
  }
  return absl::OkStatus();
}

struct PlanResult {
  PlanReport report;
  absl::Status verification;  // OK unless the matcher's verifier objected
};

absl::StatusOr<PlanResult> Plan(const std::vector<v1::Member>& members,
                                const api::FullSettings& settings,
                                absl::Time reference_time) {
  std::vector<matcher::MemberProfile> profiles;
  profiles.reserve(members.size());
  for (const v1::Member& m : members) profiles.push_back(api::ToProfile(m));
  matcher::TimeZoneCache zones;
  ASSIGN_OR_RETURN(
      matcher::CompiledPool pool,
      matcher::CompiledPool::Compile(
          profiles, {}, matcher::ReferenceWeekContaining(reference_time),
          &zones));
  ASSIGN_OR_RETURN(matcher::Scorer scorer,
                   matcher::Scorer::Create(pool, settings.matcher));
  PlanResult result;
  RETURN_IF_ERROR(AddMatches(scorer, &result.report, &result.verification));
  RETURN_IF_ERROR(AddGroups(profiles, pool, settings.matcher, &result.report));
  return result;
}

// One line of JSON on stdout; false when it could not be written.
bool PrintReport(const PlanReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(report, &out, options)
           .ok()) {
    return false;
  }
  out.push_back('\n');
  return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() &&
         std::fflush(stdout) == 0;
}

// Reading fails only on bad input (exit 2); planning only on our own
// errors (exit 1), since the input was validated by then.
int BadInputExit(const absl::Status& status) {
  return UsageError(std::string(status.message()));
}

int InternalFailureExit(const absl::Status& status) {
  std::fprintf(stderr, "peermatch: plan failed: %s\n",
               std::string(status.message()).c_str());
  return kExitCallFailed;
}

}  // namespace

int RunPlan(const GlobalOptions&, const std::vector<std::string>& args) {
  Args a;
  std::string error;
  if (!Args::Parse(args, {"members", "settings", "reference-time"}, {}, &a,
                   &error)) {
    return UsageError("plan: " + error);
  }
  if (!a.positional().empty()) {
    return UsageError("plan takes no positional arguments");
  }
  if (a.Get("members").empty()) {
    return UsageError("plan needs --members FILE.jsonl");
  }
  // Parse everything before any work, so bad input fails fast.
  absl::StatusOr<absl::Time> reference_time =
      ParseReferenceTime(a.Get("reference-time"));
  if (!reference_time.ok()) return BadInputExit(reference_time.status());
  absl::StatusOr<api::FullSettings> settings = ReadSettings(a.Get("settings"));
  if (!settings.ok()) return BadInputExit(settings.status());
  absl::StatusOr<std::vector<v1::Member>> members =
      ReadMembers(a.Get("members"));
  if (!members.ok()) return BadInputExit(members.status());

  absl::StatusOr<PlanResult> plan = Plan(*members, *settings, *reference_time);
  if (!plan.ok()) return InternalFailureExit(plan.status());
  if (!PrintReport(plan->report)) {
    std::fprintf(stderr, "peermatch: plan: cannot write the report\n");
    return kExitCallFailed;
  }
  // Printed anyway (blocking_pairs shows it), but never a silent success.
  if (!plan->verification.ok()) return InternalFailureExit(plan->verification);
  return kExitOk;
}

}  // namespace peermatch::cli
