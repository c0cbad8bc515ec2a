#include "tests/cli_plan/plan_test_util.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace peermatch::cli::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Single-quoted for /bin/sh.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

}  // namespace

std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "cli_plan_XXXXXX";
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr) << "mkdtemp " << pattern;
  return pattern;
}

std::string WriteFile(const std::string& dir, const std::string& name,
                      const std::string& content) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out << content;
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path;
}

CommandResult RunPlan(const std::string& dir,
                      const std::vector<std::string>& args) {
  const std::string out_path = dir + "/stdout";
  const std::string err_path = dir + "/stderr";
  std::string command = ShellQuote(PEERMATCH_BINARY) + " plan";
  for (const std::string& a : args)
    absl::StrAppend(&command, " ", ShellQuote(a));
  absl::StrAppend(&command, " >", ShellQuote(out_path), " 2>",
                  ShellQuote(err_path), " </dev/null");
  const int status = std::system(command.c_str());
  CommandResult result;
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadAll(out_path);
  result.err = ReadAll(err_path);
  return result;
}

matcher::SlotSet ReferenceSlots(const matcher::MemberProfile& member,
                                absl::Time reference_time) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  absl::CivilDay monday = absl::ToCivilDay(reference_time, utc);
  while (absl::GetWeekday(monday) != absl::Weekday::monday) --monday;
  const absl::Time week_start = absl::FromCivil(monday, utc);

  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(member.time_zone, &zone)) << member.time_zone;
  constexpr int64_t kWeekSeconds = 7 * 24 * 3600;
  constexpr int64_t kSlotSeconds = 15 * 60;
  matcher::SlotSet slots;
  for (const matcher::Window& w : member.availability) {
    const absl::CivilDay day = monday + (w.day - 1);
    // CivilMinute normalizes minute 1440 to the next day's 00:00.
    const absl::Time start =
        zone.At(absl::CivilMinute(day.year(), day.month(), day.day(), 0,
                                  w.start_minute))
            .pre;
    const absl::Time end =
        zone.At(absl::CivilMinute(day.year(), day.month(), day.day(), 0,
                                  w.end_minute))
            .pre;
    const int64_t length = absl::ToInt64Seconds(end - start);
    if (length <= 0) continue;
    int64_t first = absl::ToInt64Seconds(start - week_start) % kWeekSeconds;
    if (first < 0) first += kWeekSeconds;
    const int64_t last = first + length;
    const int64_t begin_slot = (first + kSlotSeconds - 1) / kSlotSeconds;
    const int64_t end_slot = last / kSlotSeconds;
    for (int64_t s = begin_slot; s < end_slot; ++s) {
      slots.Set(static_cast<int>(s % matcher::kSlotsPerWeek));
    }
  }
  return slots;
}

}  // namespace peermatch::cli::testing
