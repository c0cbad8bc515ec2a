// `peermatch plan` on small instances computed by hand (SPEC §8 R-OFFLINE,
// §3 R-SCORE, §4 R-STABLE, §5 R-GROUPS) and on bad input. Each test runs the
// real binary and compares its whole stdout with the output derived in the
// comments.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/cli_plan/plan_test_util.h"

namespace peermatch::cli::testing {
namespace {

// Mentor matching under {"require_screening": true}. Everyone is in UTC,
// speaks en, offers VIDEO and is free Monday 18:00-21:00, so for every pair
// availability (180/180 overlap), modality and language are 1, and with
// mentees at stage 2 and mentors at stage 4 the stage component is
// 1 - |2 - 2| / 4 = 1. Then (SPEC §3 default weights, each summing to 1):
//   mentee view = 0.35 t + 0.20 i + 0.15 + 0.15 + 0.10 + 0.05
//               = 0.35 t + 0.20 i + 0.45
//   mentor view = 0.30 t + 0.30 i + 0.20 + 0.20 = 0.30 t + 0.30 i + 0.40
// with t = |T_e & T_m| / |T_e| and i = Jaccard(I_e, I_m).
//   m1: T {phone-calls, parties}, I {hiking}, capacity 1
//   m2: T {phone-calls},          I {chess},  capacity 1
//   m3: stage 5, capacity 0: takes no part.
//   e1: T {phone-calls, parties}, I {hiking}
//       m1: t 1, i 1       -> mentee 1,     mentor 1
//       m2: t 1/2, i 0/2   -> mentee 0.625, mentor 0.55
//   e2: T {phone-calls, parties}, I {}
//       m1: t 1, i 0/1     -> mentee 0.8,   mentor 0.7
//       m2: t 1/2, i 0/1   -> mentee 0.625, mentor 0.55
//   e3: T {parties}, I {}, blocks m2
//       m1: t 1, i 0/1     -> mentee 0.8,   mentor 0.7
//   e4: stage 4: gap 0 < min_stage_gap 1 with m1 and m2; m3 (gap 1) has no
//       capacity -> no_acceptable_mentor.
//   e5: as e2 but safety_hold -> safety_hold.
//   e6: as e2 but not screened -> not_screened.
// Deferred acceptance: e1, e2 and e3 all propose to m1 first; m1 keeps e1
// (1 > 0.7). e2 goes on to m2, which accepts (0.625 / 0.55). e3 has no
// other acceptable mentor (it blocks m2): outcompeted. Stable: e2 and e3
// prefer m1, but m1 is full with e1, whom it prefers.
// Group members: gh (safety_hold) and gx (not screened) are unplaced.
constexpr char kMatchingMembers[] =
    R"({"id":"m1","roles":["ROLE_MENTOR"],"triggers":["Phone-Calls"," parties"],"interests":["hiking"],"recovery_stage":4,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"mentor_capacity":1,"screened":true}
{"id":"m2","roles":[2],"triggers":["phone-calls"],"interests":["chess"],"recovery_stage":4,"availability":[{"day":1,"start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en-GB"],"modalities":[2],"mentor_capacity":1,"screened":true}
{"id":"m3","roles":["ROLE_MENTOR"],"recovery_stage":5,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"mentor_capacity":0,"screened":true}

{"id":"e1","roles":["ROLE_MENTEE"],"triggers":["phone-calls","parties"],"interests":["hiking"],"recovery_stage":2,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"screened":true}
{"id":"e2","roles":["ROLE_MENTEE"],"triggers":["phone-calls","parties"],"recovery_stage":2,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"screened":true}
{"id":"e3","roles":["ROLE_MENTEE"],"triggers":["parties"],"recovery_stage":2,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"blocked":["m2"],"screened":true}
{"id":"e4","roles":["ROLE_MENTEE"],"triggers":["phone-calls"],"recovery_stage":4,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"screened":true}
{"id":"e5","roles":["ROLE_MENTEE"],"triggers":["phone-calls","parties"],"recovery_stage":2,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"safety_hold":true,"screened":true}
{"id":"e6","roles":["ROLE_MENTEE"],"triggers":["phone-calls","parties"],"recovery_stage":2,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"]}
{"id":"gh","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":2,"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"],"safety_hold":true,"screened":true}
{"id":"gx","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":2,"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"]}
)";

constexpr char kMatchingExpected[] =
    R"({"matches":[)"
    R"({"mentee":"e1","mentor":"m1","mentee_score":1,"mentor_score":1},)"
    R"({"mentee":"e2","mentor":"m2","mentee_score":0.625,"mentor_score":0.55}],)"
    R"("unmatched_mentees":[{"id":"e3","reason":"outcompeted"},)"
    R"({"id":"e4","reason":"no_acceptable_mentor"},)"
    R"({"id":"e5","reason":"safety_hold"},{"id":"e6","reason":"not_screened"}],)"
    R"("groups":[],)"
    R"("unplaced":[{"id":"gh","reason":"safety_hold"},)"
    R"({"id":"gx","reason":"not_screened"}],)"
    R"("blocking_pairs":0})"
    "\n";

// Groups under the default settings (size 4-8, facilitator required,
// facilitator_min_stage 4, max_stage_spread 2, session 90 minutes). Local
// availability, in the reference week of Monday 2025-03-03 (New York on EST,
// UTC-5, until 9 March; Berlin on CET, UTC+1; Tokyo UTC+9):
//   f1 New York  Mon 18:00-21:00       -> Mon 23:00 - Tue 02:00 UTC
//   g1 Berlin    Mon 23:00-24:00 and Tue 00:00-03:00
//                                      -> Mon 22:00 - Tue 02:00 UTC
//   g2 Tokyo     Tue 07:00-11:00       -> Mon 22:00 - Tue 02:00 UTC
//   g3 UTC       Mon 22:00-24:00 and Tue 00:00-02:00
//   u1 UTC       Fri 10:00-12:00: shares no time with anyone
//   h1           safety_hold
// The only group of >= 4 is {f1, g1, g2, g3}: languages en-US, de+en,
// ja+en-GB, en share "en"; all offer VIDEO. Common time Mon 23:00 - Tue 02:00
// UTC, one run starting at minute 23 * 60 = 1380 of Monday, so the meeting
// is day 1, 1380 - 1470 (past midnight UTC). Facilitator: f1 and g3 (stage 4)
// qualify; the FACILITATOR role comes first, so f1 is designated although g3
// has the higher stage. Stage spread without f1: g1 2, g2 2, g3 4 -> 2 <= 2.
constexpr char kGroupMembers[] =
    R"({"id":"g3","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":4,"availability":[{"day":"MONDAY","start_minute":1320,"end_minute":1440},{"day":"TUESDAY","start_minute":0,"end_minute":120}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"]}
{"id":"f1","roles":["ROLE_FACILITATOR"],"recovery_stage":3,"availability":[{"day":"MONDAY","start_minute":1080,"end_minute":1260}],"time_zone":"America/New_York","languages":["en-US"],"modalities":["MODALITY_VIDEO"]}
{"id":"g1","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":2,"availability":[{"day":"MONDAY","start_minute":1380,"end_minute":1440},{"day":"TUESDAY","start_minute":0,"end_minute":180}],"time_zone":"Europe/Berlin","languages":["de","en"],"modalities":["MODALITY_TEXT","MODALITY_VIDEO"]}
{"id":"g2","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":2,"availability":[{"day":"TUESDAY","start_minute":420,"end_minute":660}],"time_zone":"Asia/Tokyo","languages":["ja","en-GB"],"modalities":["MODALITY_VIDEO"]}
{"id":"u1","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":2,"availability":[{"day":"FRIDAY","start_minute":600,"end_minute":720}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"]}
{"id":"h1","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":4,"availability":[{"day":"MONDAY","start_minute":1320,"end_minute":1440},{"day":"TUESDAY","start_minute":0,"end_minute":120}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_VIDEO"],"safety_hold":true}
)";

std::string GroupsExpected(int start_minute) {
  return absl::StrCat(
      R"({"matches":[],"unmatched_mentees":[],"groups":[)",
      R"({"members":["f1","g1","g2","g3"],)",
      R"("slot":{"day":1,"start_minute":)", start_minute, R"(,"end_minute":)",
      start_minute + 90, R"(},"facilitator":"f1"}],)",
      R"("unplaced":[{"id":"h1","reason":"safety_hold"},)",
      R"({"id":"u1","reason":"no_feasible_group"}],"blocking_pairs":0})", "\n");
}

// Four members at stages 1-3, nobody with the FACILITATOR role: nobody
// qualifies to facilitate (stage < 4). All UTC, Wednesday 10:00-12:00, en,
// TEXT; spread 3 - 1 = 2.
constexpr char kNoFacilitatorMembers[] =
    R"({"id":"a1","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":1,"availability":[{"day":"WEDNESDAY","start_minute":600,"end_minute":720}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"]}
{"id":"a2","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":2,"availability":[{"day":"WEDNESDAY","start_minute":600,"end_minute":720}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"]}
{"id":"a3","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":2,"availability":[{"day":"WEDNESDAY","start_minute":600,"end_minute":720}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"]}
{"id":"a4","roles":["ROLE_GROUP_MEMBER"],"recovery_stage":3,"availability":[{"day":"WEDNESDAY","start_minute":600,"end_minute":720}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"]}
)";

constexpr char kReferenceTime[] = "2025-03-05T12:00:00Z";

TEST(PlanCommandTest, ContestedMentorAndEveryUnmatchedReason) {
  const std::string dir = MakeTempDir();
  CommandResult r =
      RunPlan(dir, {"--members", WriteFile(dir, "m.jsonl", kMatchingMembers),
                    "--settings",
                    WriteFile(dir, "s.json", R"({"require_screening": true})"),
                    "--reference-time", kReferenceTime});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, kMatchingExpected);
}

TEST(PlanCommandTest, WithoutRequiredScreeningTheUnscreenedTakePart) {
  // Same members, default settings. e6, e2's twin, is now eligible: both
  // mentors rank e2 and e6 equal (m1 0.7, m2 0.55), ties go to the lower id,
  // so e2 still ends with m2 and e6 is outcompeted. gx is eligible now but
  // alone (gh is on hold): no_feasible_group.
  const std::string dir = MakeTempDir();
  CommandResult r =
      RunPlan(dir, {"--members", WriteFile(dir, "m.jsonl", kMatchingMembers),
                    "--reference-time", kReferenceTime});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      absl::StrCat(
          R"({"matches":[)",
          R"({"mentee":"e1","mentor":"m1","mentee_score":1,"mentor_score":1},)",
          R"({"mentee":"e2","mentor":"m2","mentee_score":0.625,)",
          R"("mentor_score":0.55}],)",
          R"("unmatched_mentees":[{"id":"e3","reason":"outcompeted"},)",
          R"({"id":"e4","reason":"no_acceptable_mentor"},)",
          R"({"id":"e5","reason":"safety_hold"},)",
          R"({"id":"e6","reason":"outcompeted"}],)",
          R"("groups":[],"unplaced":[{"id":"gh","reason":"safety_hold"},)",
          R"({"id":"gx","reason":"no_feasible_group"}],"blocking_pairs":0})",
          "\n"));
}

TEST(PlanCommandTest, GroupWithDesignatedFacilitatorMeetsPastMidnightUtc) {
  const std::string dir = MakeTempDir();
  CommandResult r =
      RunPlan(dir, {"--members", WriteFile(dir, "g.jsonl", kGroupMembers),
                    "--reference-time", kReferenceTime});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, GroupsExpected(1380));
}

TEST(PlanCommandTest, CrlfLineEndingsAndBlankLinesAreAccepted) {
  std::string members = "\r\n";
  for (char c : std::string(kGroupMembers)) {
    members += c == '\n' ? std::string("\r\n \t\r\n") : std::string(1, c);
  }
  const std::string dir = MakeTempDir();
  CommandResult r =
      RunPlan(dir, {"--members", WriteFile(dir, "g.jsonl", members),
                    "--reference-time", kReferenceTime});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, GroupsExpected(1380));
}

TEST(PlanCommandTest, ReferenceTimePicksTheWeekAndItsUtcOffsets) {
  // In the week of Monday 2025-03-10 New York is on EDT (UTC-4): f1 is free
  // Mon 22:00 - Tue 01:00 UTC, the others as before, so the common time is
  // Mon 22:00 - Tue 01:00 and the meeting 1320 - 1410. The reference time
  // carries an offset: 08:00-04:00 is 12:00 UTC on Wednesday 12 March.
  const std::string dir = MakeTempDir();
  CommandResult r =
      RunPlan(dir, {"--members", WriteFile(dir, "g.jsonl", kGroupMembers),
                    "--reference-time", "2025-03-12T08:00:00-04:00"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, GroupsExpected(1320));
}

TEST(PlanCommandTest, GroupWithoutFacilitatorWhenNotRequired) {
  const std::string dir = MakeTempDir();
  const std::string members = WriteFile(dir, "a.jsonl", kNoFacilitatorMembers);
  CommandResult r = RunPlan(
      dir, {"--members", members, "--settings",
            WriteFile(dir, "s.json", R"({"require_facilitator": false})"),
            "--reference-time", kReferenceTime});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Wednesday 10:00 UTC is minute 600 of day 3; no "facilitator" key.
  EXPECT_EQ(r.out, R"({"matches":[],"unmatched_mentees":[],"groups":[)"
                   R"({"members":["a1","a2","a3","a4"],)"
                   R"("slot":{"day":3,"start_minute":600,"end_minute":690}}],)"
                   R"("unplaced":[],"blocking_pairs":0})"
                   "\n");

  // With the default require_facilitator nobody can be grouped.
  r = RunPlan(dir, {"--members", members, "--reference-time", kReferenceTime});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            R"({"matches":[],"unmatched_mentees":[],"groups":[],"unplaced":[)"
            R"({"id":"a1","reason":"no_feasible_group"},)"
            R"({"id":"a2","reason":"no_feasible_group"},)"
            R"({"id":"a3","reason":"no_feasible_group"},)"
            R"({"id":"a4","reason":"no_feasible_group"}],"blocking_pairs":0})"
            "\n");
}

TEST(PlanCommandTest, EmptyMembersFileGivesAnEmptyPlan) {
  const std::string dir = MakeTempDir();
  CommandResult r =
      RunPlan(dir, {"--members", WriteFile(dir, "empty.jsonl", "\n\n"),
                    "--reference-time", kReferenceTime});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"matches":[],"unmatched_mentees":[],"groups":[],)"
                   R"("unplaced":[],"blocking_pairs":0})"
                   "\n");
}

// Bad input: exit 2, exactly one line on stderr that contains every string
// of `expected`, nothing on stdout.
void ExpectBadInput(const CommandResult& r,
                    const std::vector<std::string>& expected) {
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
  for (const std::string& e : expected) {
    EXPECT_NE(r.err.find(e), std::string::npos)
        << "stderr lacks \"" << e << "\": " << r.err;
  }
}

// kGroupMembers with `line` inserted as line 3.
std::string WithLine3(const std::string& line) {
  std::string members = kGroupMembers;
  size_t second_end = members.find('\n', members.find('\n') + 1);
  return members.insert(second_end + 1, line + "\n");
}

CommandResult PlanMembers(const std::string& dir, const std::string& content) {
  return RunPlan(dir, {"--members", WriteFile(dir, "bad.jsonl", content),
                       "--reference-time", kReferenceTime});
}

TEST(PlanBadInputTest, MalformedJsonLine) {
  const std::string dir = MakeTempDir();
  const CommandResult r =
      PlanMembers(dir, WithLine3(R"({"id":"x9","triggers":["secret-tag" )"));
  ExpectBadInput(r, {"bad.jsonl:3:"});
  // The parser quotes the input near the error; profile content is never
  // printed.
  EXPECT_EQ(r.err.find("secret-tag"), std::string::npos) << r.err;
}

TEST(PlanBadInputTest, UnknownMemberField) {
  const std::string dir = MakeTempDir();
  ExpectBadInput(PlanMembers(dir, WithLine3(R"({"id":"x9","nickname":"x"})")),
                 {"bad.jsonl:3:", "nickname"});
}

TEST(PlanBadInputTest, InvalidMemberNamesLineAndFieldPath) {
  const std::string dir = MakeTempDir();
  ExpectBadInput(
      PlanMembers(
          dir,
          WithLine3(
              R"({"id":"x9","roles":["ROLE_MENTEE"],"recovery_stage":9,"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"]})")),
      {"bad.jsonl:3:", "recovery_stage"});
  ExpectBadInput(
      PlanMembers(
          dir,
          WithLine3(
              R"({"id":"x9","roles":["ROLE_MENTEE"],"recovery_stage":2,"availability":[{"day":"MONDAY","start_minute":60,"end_minute":60}],"time_zone":"UTC","languages":["en"],"modalities":["MODALITY_TEXT"]})")),
      {"bad.jsonl:3:", "availability[0].end_minute"});
  ExpectBadInput(
      PlanMembers(
          dir,
          WithLine3(
              R"({"id":"x9","roles":["ROLE_MENTEE"],"recovery_stage":2,"time_zone":"Mars/Olympus","languages":["en"],"modalities":["MODALITY_TEXT"]})")),
      {"bad.jsonl:3:", "time_zone"});
}

TEST(PlanBadInputTest, DuplicateId) {
  const std::string dir = MakeTempDir();
  // Line 3 repeats g3 from line 1.
  std::string members = kGroupMembers;
  ExpectBadInput(
      PlanMembers(dir, WithLine3(members.substr(0, members.find('\n')))),
      {"bad.jsonl:3:", "id", "line 1"});
}

TEST(PlanBadInputTest, UnknownSettingsField) {
  const std::string dir = MakeTempDir();
  ExpectBadInput(
      RunPlan(dir, {"--members", WriteFile(dir, "g.jsonl", kGroupMembers),
                    "--settings",
                    WriteFile(dir, "s.json", R"({"min_group_size": 3})"),
                    "--reference-time", kReferenceTime}),
      {"s.json", "min_group_size"});
}

TEST(PlanBadInputTest, OutOfRangeSettingNamesTheField) {
  const std::string dir = MakeTempDir();
  const std::string members = WriteFile(dir, "g.jsonl", kGroupMembers);
  ExpectBadInput(
      RunPlan(dir, {"--members", members, "--settings",
                    WriteFile(dir, "s.json", R"({"session_minutes": 100})"),
                    "--reference-time", kReferenceTime}),
      {"s.json", "session_minutes"});
  ExpectBadInput(
      RunPlan(dir, {"--members", members, "--settings",
                    WriteFile(dir, "s2.json",
                              R"({"mentee_weights": {"triggers": -1}})"),
                    "--reference-time", kReferenceTime}),
      {"s2.json", "mentee_weights.triggers"});
  ExpectBadInput(RunPlan(dir, {"--members", members, "--settings",
                               WriteFile(dir, "s3.json", R"({"min_size": 3)"),
                               "--reference-time", kReferenceTime}),
                 {"s3.json"});
}

TEST(PlanBadInputTest, BadReferenceTime) {
  const std::string dir = MakeTempDir();
  const std::string members = WriteFile(dir, "g.jsonl", kGroupMembers);
  for (const char* bad : {"yesterday", "2025-03-05", "2025-03-05T12:00:00",
                          "2025-13-05T12:00:00Z"}) {
    SCOPED_TRACE(bad);
    ExpectBadInput(
        RunPlan(dir, {"--members", members, "--reference-time", bad}),
        {"--reference-time"});
  }
}

TEST(PlanBadInputTest, UnreadableFiles) {
  const std::string dir = MakeTempDir();
  const std::string members = WriteFile(dir, "g.jsonl", kGroupMembers);
  ExpectBadInput(RunPlan(dir, {"--members", dir + "/missing.jsonl"}),
                 {"missing.jsonl"});
  ExpectBadInput(RunPlan(dir, {"--members", dir}), {dir});  // a directory
  ExpectBadInput(
      RunPlan(dir, {"--members", members, "--settings", dir + "/none.json"}),
      {"none.json"});
}

TEST(PlanBadInputTest, Usage) {
  const std::string dir = MakeTempDir();
  ExpectBadInput(RunPlan(dir, {}), {"--members"});
  ExpectBadInput(RunPlan(dir, {"--members", "a.jsonl", "--frobnicate", "1"}),
                 {"--frobnicate"});
  ExpectBadInput(RunPlan(dir, {"--members", "a.jsonl", "extra"}),
                 {"positional"});
}

}  // namespace
}  // namespace peermatch::cli::testing
