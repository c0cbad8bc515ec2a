// Time for matching (SPEC §3.1): the reference week, availability windows as
// UTC slots, and the reverse, a UTC slot in a member's local time.
//
//   TimeZoneCache zones;                          // owned by the caller
//   ReferenceWeek week = ReferenceWeekContaining(request_time);
//   absl::StatusOr<absl::TimeZone> tz = zones.Load("Europe/Berlin");
//   absl::StatusOr<SlotSet> slots =
//       AvailabilitySlots(profile.availability, *tz, week);
//   int overlap_minutes = kSlotMinutes * slots->IntersectCount(other);
//
//   // A group meets Monday 17:00-18:30 UTC; what is that in Berlin?
//   LocalWindow local = LocalTimeOfSlot(17 * 60, 90, *tz, week);
//
// Everything here is a pure function of its arguments: the library never
// reads the clock; callers pass the request's time.
#ifndef PEERMATCH_MATCHER_TIME_H_
#define PEERMATCH_MATCHER_TIME_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "matcher/profile.h"
#include "matcher/slot_set.h"

namespace peermatch::matcher {

// The week overlaps are computed in: Monday 00:00 UTC of the ISO week that
// contains some instant, lasting kMinutesPerWeek minutes.
struct ReferenceWeek {
  absl::Time start;       // Monday 00:00 UTC
  absl::CivilDay monday;  // the civil date of that Monday
};

// Returns the ISO week (Monday..Sunday, in UTC) that contains `t`.
// Infinite times are clamped by abseil's civil-time conversion; callers pass
// finite times.
ReferenceWeek ReferenceWeekContaining(absl::Time t);

// Places one member's weekly windows into the reference week and returns the
// 15-minute UTC slots they cover, exactly as SPEC §3.1 says:
//   - window {day, start, end} falls on civil date week.monday + (day - 1);
//   - local start and end become absolute times with `zone.At(civil).pre`
//     (a skipped or repeated local time is read with the offset in force
//     before the transition); end = 1440 is 00:00 of the next civil day;
//   - length = end - start in absolute time; length <= 0 gives no slots;
//   - start = (start - week.start) taken floored-modulo one week; the end is
//     start + length, so a window wraps past the week's end;
//   - the start is rounded up and the end down to a multiple of 15 minutes.
// (Offsets with seconds, found only in historical zone data, are handled in
// seconds; with whole-minute offsets this is the SPEC's minute arithmetic.)
//
// Returns INVALID_ARGUMENT when a window is malformed: day outside 1..7, or
// not 0 <= start_minute < end_minute <= 1440.
absl::StatusOr<SlotSet> AvailabilitySlots(const std::vector<Window>& windows,
                                          const absl::TimeZone& zone,
                                          const ReferenceWeek& week);

// Whether 1 <= day <= 7 and 0 <= start_minute < end_minute <= 1440.
bool IsValidWindow(const Window& window);

// The slots one window covers: `count` slots from `first`, wrapping past the
// week's end (count == 0: none). Same rules and errors as AvailabilitySlots;
// exposed so callers that place many identical windows can memoize.
struct SlotRun {
  int first = 0;  // in [0, kSlotsPerWeek)
  int count = 0;  // in [0, kSlotsPerWeek]
};
absl::StatusOr<SlotRun> PlaceWindow(const Window& window,
                                    const absl::TimeZone& zone,
                                    const ReferenceWeek& week);

// A weekly time span `{day, start_minute, end_minute}`; end_minute may exceed
// 1440 when the span runs past midnight (SPEC §3.1 "Group meeting times").
struct WeeklySpan {
  int day = 1;  // 1 = Monday .. 7 = Sunday
  int start_minute = 0;
  int end_minute = 0;

  friend bool operator==(const WeeklySpan&, const WeeklySpan&) = default;
};

// The UTC form of a span that starts `minute_of_week` minutes after Monday
// 00:00 UTC and lasts `duration_minutes`.
// Requires 0 <= minute_of_week < kMinutesPerWeek and duration_minutes >= 0.
WeeklySpan UtcSpan(int minute_of_week, int duration_minutes);

// The same span in a member's local time: the local civil day of week and
// minute of day of the span's start instant in `zone` (during this reference
// week), and end_minute = start_minute + duration_minutes (which may exceed
// 1440, like the UTC form). The local day may belong to the previous or next
// ISO week (e.g. a Monday 00:30 UTC start is Sunday evening in New York);
// only the day of week is reported.
// Requires 0 <= minute_of_week < kMinutesPerWeek and duration_minutes >= 0.
WeeklySpan LocalTimeOfSlot(int minute_of_week, int duration_minutes,
                           const absl::TimeZone& zone,
                           const ReferenceWeek& week);

// Loads IANA time zones once and hands out copies (an absl::TimeZone is a
// cheap handle). Loading a zone reads and parses a file, which is slow, so a
// caller that converts many profiles keeps one cache. Not thread-safe; the
// owner decides how to share it.
//
//   TimeZoneCache zones;
//   absl::StatusOr<absl::TimeZone> tz = zones.Load("America/New_York");
class TimeZoneCache {
 public:
  TimeZoneCache() = default;
  TimeZoneCache(const TimeZoneCache&) = delete;
  TimeZoneCache& operator=(const TimeZoneCache&) = delete;

  // Returns the zone named `name`. INVALID_ARGUMENT when the zone does not
  // load from the system's database, or is "localtime" (the host's zone is
  // never a member's zone, SPEC §2). Failures are not cached.
  absl::StatusOr<absl::TimeZone> Load(absl::string_view name);

  int size() const { return static_cast<int>(zones_.size()); }

 private:
  absl::flat_hash_map<std::string, absl::TimeZone> zones_;
};

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_TIME_H_
