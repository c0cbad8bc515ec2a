#include "matcher/time.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace peermatch::matcher {
namespace {

constexpr int64_t kSecondsPerWeek = int64_t{kMinutesPerWeek} * 60;
constexpr int64_t kSecondsPerSlot = int64_t{kSlotMinutes} * 60;
constexpr char kWindowRule[] =
    ": need day 1..7 and 0 <= start_minute < end_minute <= 1440";

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// The absolute instant of local civil time `cs` in `zone` (SPEC §3.1: the
// offset in force before a transition).
absl::Time LocalInstant(const absl::TimeZone& zone, absl::CivilSecond cs) {
  return zone.At(cs).pre;
}

// 1 = Monday .. 7 = Sunday; absl::Weekday enumerates Monday first.
int WeekdayNumber(absl::Weekday w) { return static_cast<int>(w) + 1; }

}  // namespace

ReferenceWeek ReferenceWeekContaining(absl::Time t) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilDay day = absl::ToCivilDay(t, utc);
  // PrevWeekday is strictly before its argument, so day + 1 keeps a Monday.
  const absl::CivilDay monday =
      absl::PrevWeekday(day + 1, absl::Weekday::monday);
  return ReferenceWeek{absl::FromCivil(monday, utc), monday};
}

bool IsValidWindow(const Window& w) {
  return w.day >= 1 && w.day <= 7 && w.start_minute >= 0 &&
         w.start_minute < w.end_minute && w.end_minute <= 1440;
}

absl::StatusOr<SlotRun> PlaceWindow(const Window& w, const absl::TimeZone& zone,
                                    const ReferenceWeek& week) {
  if (!IsValidWindow(w)) {
    return absl::InvalidArgumentError(
        absl::StrCat("availability", kWindowRule));
  }
  const absl::CivilSecond date(week.monday + (w.day - 1));
  // Civil arithmetic normalizes minute 1440 to 00:00 of the next day.
  const absl::Time start =
      LocalInstant(zone, date + int64_t{w.start_minute} * 60);
  const absl::Time end = LocalInstant(zone, date + int64_t{w.end_minute} * 60);
  const int64_t length = absl::ToInt64Seconds(end - start);
  if (length <= 0) return SlotRun{};
  const int64_t begin =
      FloorMod(absl::ToInt64Seconds(start - week.start), kSecondsPerWeek);
  // Round the start up and the end down to whole slots.
  const int64_t first_slot =
      FloorDiv(begin + kSecondsPerSlot - 1, kSecondsPerSlot);
  const int64_t end_slot = FloorDiv(begin + length, kSecondsPerSlot);
  if (end_slot <= first_slot) return SlotRun{};
  return SlotRun{static_cast<int>(first_slot % kSlotsPerWeek),
                 static_cast<int>(
                     std::min<int64_t>(end_slot - first_slot, kSlotsPerWeek))};
}

absl::StatusOr<SlotSet> AvailabilitySlots(const std::vector<Window>& windows,
                                          const absl::TimeZone& zone,
                                          const ReferenceWeek& week) {
  SlotSet slots;
  for (size_t i = 0; i < windows.size(); ++i) {
    absl::StatusOr<SlotRun> run = PlaceWindow(windows[i], zone, week);
    if (!run.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("availability[", i, "]", kWindowRule));
    }
    if (run->count > 0) slots.SetCyclic(run->first, run->count);
  }
  return slots;
}

WeeklySpan UtcSpan(int minute_of_week, int duration_minutes) {
  return WeeklySpan{minute_of_week / 1440 + 1, minute_of_week % 1440,
                    minute_of_week % 1440 + duration_minutes};
}

WeeklySpan LocalTimeOfSlot(int minute_of_week, int duration_minutes,
                           const absl::TimeZone& zone,
                           const ReferenceWeek& week) {
  const absl::Time start = week.start + absl::Minutes(minute_of_week);
  const absl::CivilSecond local = absl::ToCivilSecond(start, zone);
  const int start_minute = local.hour() * 60 + local.minute();
  return WeeklySpan{WeekdayNumber(absl::GetWeekday(local)), start_minute,
                    start_minute + duration_minutes};
}

absl::StatusOr<absl::TimeZone> TimeZoneCache::Load(absl::string_view name) {
  auto it = zones_.find(name);
  if (it != zones_.end()) return it->second;
  absl::TimeZone zone;
  if (name == "localtime" || name.empty() ||
      !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: \"", name, "\" does not load"));
  }
  zones_.emplace(std::string(name), zone);
  return zone;
}

}  // namespace peermatch::matcher
