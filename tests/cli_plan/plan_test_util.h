// Black-box helpers for the `peermatch plan` tests: run the real binary on
// files, and an independent placement of availability windows (SPEC §3.1).
#ifndef PEERMATCH_TESTS_CLI_PLAN_PLAN_TEST_UTIL_H_
#define PEERMATCH_TESTS_CLI_PLAN_PLAN_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "matcher/profile.h"
#include "matcher/slot_set.h"

namespace peermatch::cli::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string out;
  std::string err;
};

// A fresh directory under the test's temporary directory.
std::string MakeTempDir();

// Writes `content` to `dir/name` and returns the path.
std::string WriteFile(const std::string& dir, const std::string& name,
                      const std::string& content);

// Runs `peermatch plan ARGS...` (the binary the build made) with stdout and
// stderr captured in files of `dir`.
CommandResult RunPlan(const std::string& dir,
                      const std::vector<std::string>& args);

// The member's 15-minute UTC slots in the ISO week (Monday 00:00 UTC) that
// contains `reference_time`, written from SPEC §3.1 with abseil's time zones
// only (no matcher code): civil date of the week's Monday + day - 1, local
// times read with TimeZone::At(civil).pre, end 1440 = next day 00:00, start
// taken modulo the week, start rounded up and end down to 15 minutes, a
// window wrapping past the week's end. Fails the test if the zone does not
// load.
matcher::SlotSet ReferenceSlots(const matcher::MemberProfile& member,
                                absl::Time reference_time);

}  // namespace peermatch::cli::testing

#endif  // PEERMATCH_TESTS_CLI_PLAN_PLAN_TEST_UTIL_H_
