// SPEC §3.1: the reference week, windows to UTC slots (DST, the `pre` rule,
// rounding inward, wrapping), and UTC slots back to local time. Every
// expected value below is computed by hand in the comment next to it.
#include "matcher/time.h"

#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace peermatch::matcher {
namespace {

using ::peermatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

// Runs of set slots as [begin, end) pairs in slot units, in slot order (not
// cyclic: a run across the week's end shows as two runs).
std::vector<std::pair<int, int>> Runs(const SlotSet& s) {
  std::vector<std::pair<int, int>> runs;
  for (int i = 0; i < kSlotsPerWeek; ++i) {
    if (!s.Test(i)) continue;
    int j = i;
    while (j < kSlotsPerWeek && s.Test(j)) ++j;
    runs.emplace_back(i, j);
    i = j;
  }
  return runs;
}

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

// Slot index of a UTC day (1 = Monday) and time of day.
constexpr int SlotAt(int day, int hour, int minute = 0) {
  return ((day - 1) * 1440 + hour * 60 + minute) / 15;
}

class TimeTest : public ::testing::Test {
 protected:
  absl::TimeZone Zone(const char* name) {
    auto tz = zones_.Load(name);
    EXPECT_TRUE(tz.ok()) << name;
    return *tz;
  }
  SlotSet Slots(const std::vector<Window>& w, const char* zone,
                absl::Time in_week) {
    auto s = AvailabilitySlots(w, Zone(zone), ReferenceWeekContaining(in_week));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : SlotSet();
  }
  TimeZoneCache zones_;
};

TEST(ReferenceWeekTest, StartsOnMondayMidnightUtc) {
  // 2026-03-12 is a Thursday; its ISO week starts Monday 2026-03-09.
  ReferenceWeek w = ReferenceWeekContaining(Utc(2026, 3, 12, 15, 0));
  EXPECT_EQ(w.start, Utc(2026, 3, 9));
  EXPECT_EQ(w.monday, absl::CivilDay(2026, 3, 9));
  // The first and the last second of that week.
  EXPECT_EQ(ReferenceWeekContaining(Utc(2026, 3, 9)).start, Utc(2026, 3, 9));
  EXPECT_EQ(ReferenceWeekContaining(Utc(2026, 3, 15, 23, 59, 59)).start,
            Utc(2026, 3, 9));
  EXPECT_EQ(ReferenceWeekContaining(Utc(2026, 3, 16)).start, Utc(2026, 3, 16));
  // 2026-01-01 is a Thursday: the week began in 2025.
  EXPECT_EQ(ReferenceWeekContaining(Utc(2026, 1, 1, 12)).monday,
            absl::CivilDay(2025, 12, 29));
}

TEST_F(TimeTest, UtcWindowMapsDirectly) {
  // Wednesday 18:00-21:00 UTC.
  SlotSet s = Slots({{3, 18 * 60, 21 * 60}}, "UTC", Utc(2026, 3, 12));
  EXPECT_THAT(Runs(s), ElementsAre(Pair(SlotAt(3, 18), SlotAt(3, 21))));
  EXPECT_EQ(s.Count(), 12);
}

TEST_F(TimeTest, BerlinAndNewYorkWhenOnlyTheUsHasSwitched) {
  // Week of 2026-03-09: New York is on EDT (UTC-4) since 2026-03-08, Berlin
  // still on CET (UTC+1) until 2026-03-29.
  const absl::Time week = Utc(2026, 3, 10);
  // Berlin Monday 18:00-21:00 = 17:00-20:00 UTC.
  SlotSet berlin = Slots({{1, 18 * 60, 21 * 60}}, "Europe/Berlin", week);
  EXPECT_THAT(Runs(berlin), ElementsAre(Pair(SlotAt(1, 17), SlotAt(1, 20))));
  // New York Monday 13:00-16:00 = 17:00-20:00 UTC.
  SlotSet ny = Slots({{1, 13 * 60, 16 * 60}}, "America/New_York", week);
  EXPECT_THAT(Runs(ny), ElementsAre(Pair(SlotAt(1, 17), SlotAt(1, 20))));
  EXPECT_EQ(15 * berlin.IntersectCount(ny), 180);
}

TEST_F(TimeTest, BerlinAndNewYorkBeforeAndAfterBothSwitched) {
  // Week of 2026-03-02: New York EST (UTC-5): 13:00-16:00 = 18:00-21:00 UTC;
  // Berlin CET: 17:00-20:00 UTC. Overlap 18:00-20:00 = 120 minutes.
  const absl::Time before = Utc(2026, 3, 4);
  SlotSet b1 = Slots({{1, 18 * 60, 21 * 60}}, "Europe/Berlin", before);
  SlotSet n1 = Slots({{1, 13 * 60, 16 * 60}}, "America/New_York", before);
  EXPECT_THAT(Runs(n1), ElementsAre(Pair(SlotAt(1, 18), SlotAt(1, 21))));
  EXPECT_EQ(15 * b1.IntersectCount(n1), 120);
  // Week of 2026-03-30: Berlin CEST (UTC+2): 16:00-19:00 UTC; New York EDT:
  // 17:00-20:00 UTC. Overlap 17:00-19:00 = 120 minutes.
  const absl::Time after = Utc(2026, 4, 1);
  SlotSet b2 = Slots({{1, 18 * 60, 21 * 60}}, "Europe/Berlin", after);
  SlotSet n2 = Slots({{1, 13 * 60, 16 * 60}}, "America/New_York", after);
  EXPECT_THAT(Runs(b2), ElementsAre(Pair(SlotAt(1, 16), SlotAt(1, 19))));
  EXPECT_THAT(Runs(n2), ElementsAre(Pair(SlotAt(1, 17), SlotAt(1, 20))));
  EXPECT_EQ(15 * b2.IntersectCount(n2), 120);
}

TEST_F(TimeTest, SkippedLocalTimesUseTheOffsetBeforeTheTransition) {
  // Berlin skips 02:00-03:00 local on Sunday 2026-03-29 (01:00 UTC).
  const absl::Time week = Utc(2026, 3, 25);
  // [02:00, 03:00): start 02:00 read at +1 = 01:00 UTC; end 03:00 is +2 =
  // 01:00 UTC. Length 0: no slots.
  EXPECT_TRUE(Slots({{7, 2 * 60, 3 * 60}}, "Europe/Berlin", week).Empty());
  // [01:30, 02:30): 00:30 UTC to 02:30-1h = 01:30 UTC.
  EXPECT_THAT(Runs(Slots({{7, 90, 150}}, "Europe/Berlin", week)),
              ElementsAre(Pair(SlotAt(7, 0, 30), SlotAt(7, 1, 30))));
  // [02:15, 02:45): both ends read at +1: 01:15-01:45 UTC, 30 minutes.
  EXPECT_THAT(Runs(Slots({{7, 135, 165}}, "Europe/Berlin", week)),
              ElementsAre(Pair(SlotAt(7, 1, 15), SlotAt(7, 1, 45))));
  // [01:00, 04:00): 00:00 UTC to 02:00 UTC: two hours of real time.
  EXPECT_THAT(Runs(Slots({{7, 60, 240}}, "Europe/Berlin", week)),
              ElementsAre(Pair(SlotAt(7, 0), SlotAt(7, 2))));
}

TEST_F(TimeTest, RepeatedLocalTimesUseTheOffsetBeforeTheTransition) {
  // Berlin repeats 02:00-03:00 local on Sunday 2026-10-25 (01:00 UTC).
  const absl::Time week = Utc(2026, 10, 21);
  // [02:30, 03:30): start read at +2 = 00:30 UTC; end 03:30 is +1 = 02:30
  // UTC. 120 minutes.
  EXPECT_THAT(Runs(Slots({{7, 150, 210}}, "Europe/Berlin", week)),
              ElementsAre(Pair(SlotAt(7, 0, 30), SlotAt(7, 2, 30))));
  // [01:00, 02:30): 23:00 Saturday UTC to 00:30 UTC.
  EXPECT_THAT(Runs(Slots({{7, 60, 150}}, "Europe/Berlin", week)),
              ElementsAre(Pair(SlotAt(6, 23), SlotAt(7, 0, 30))));
  // New York repeats 01:00-02:00 on Sunday 2026-11-01. [01:00, 02:00): start
  // at EDT (-4) = 05:00 UTC, end 02:00 EST (-5) = 07:00 UTC: two hours.
  EXPECT_THAT(Runs(Slots({{7, 60, 120}}, "America/New_York", Utc(2026, 11, 1))),
              ElementsAre(Pair(SlotAt(7, 5), SlotAt(7, 7))));
}

TEST_F(TimeTest, RoundsStartUpAndEndDown) {
  const absl::Time week = Utc(2026, 3, 12);
  // 10:07-11:53 UTC -> 10:15-11:45.
  EXPECT_THAT(Runs(Slots({{2, 607, 713}}, "UTC", week)),
              ElementsAre(Pair(SlotAt(2, 10, 15), SlotAt(2, 11, 45))));
  // 10:05-10:20 covers no whole slot.
  EXPECT_TRUE(Slots({{2, 605, 620}}, "UTC", week).Empty());
  // Kathmandu is UTC+5:45: 18:00-21:00 local = 12:15-15:15 UTC, aligned.
  EXPECT_THAT(Runs(Slots({{1, 18 * 60, 21 * 60}}, "Asia/Kathmandu", week)),
              ElementsAre(Pair(SlotAt(1, 12, 15), SlotAt(1, 15, 15))));
}

TEST_F(TimeTest, WrapsAroundTheEndOfTheWeek) {
  const absl::Time week = Utc(2026, 3, 12);
  // Tokyo (UTC+9) Monday 05:00-10:00 = Sunday 20:00 UTC of the previous week
  // to Monday 01:00 UTC: start -240 min -> 9840 (slot 656), 20 slots.
  EXPECT_THAT(Runs(Slots({{1, 300, 600}}, "Asia/Tokyo", week)),
              ElementsAre(Pair(0, 4), Pair(656, 672)));
  // New York (EDT) Sunday 22:00-24:00 = Monday 02:00-04:00 UTC of the next
  // week: start 10200 min -> 120 (slot 8).
  EXPECT_THAT(Runs(Slots({{7, 22 * 60, 1440}}, "America/New_York", week)),
              ElementsAre(Pair(8, 16)));
}

TEST_F(TimeTest, EndOfDayIsNextMidnight) {
  // Sunday 23:00-24:00 UTC: the week's last four slots.
  EXPECT_THAT(Runs(Slots({{7, 23 * 60, 1440}}, "UTC", Utc(2026, 3, 12))),
              ElementsAre(Pair(668, 672)));
  // A whole day.
  EXPECT_EQ(Slots({{4, 0, 1440}}, "UTC", Utc(2026, 3, 12)).Count(), 96);
}

TEST_F(TimeTest, RejectsMalformedWindows) {
  const ReferenceWeek week = ReferenceWeekContaining(Utc(2026, 3, 12));
  const absl::TimeZone utc = absl::UTCTimeZone();
  EXPECT_THAT(AvailabilitySlots({{0, 0, 60}}, utc, week),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AvailabilitySlots({{8, 0, 60}}, utc, week),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AvailabilitySlots({{1, 60, 60}}, utc, week),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AvailabilitySlots({{1, -1, 60}}, utc, week),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AvailabilitySlots({{1, 0, 1441}}, utc, week),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SpanTest, UtcSpanOfMinuteOfWeek) {
  EXPECT_EQ(UtcSpan(0, 90), (WeeklySpan{1, 0, 90}));
  // Tuesday 23:30 UTC, 90 minutes: runs past midnight.
  EXPECT_EQ(UtcSpan(1440 + 23 * 60 + 30, 90), (WeeklySpan{2, 1410, 1500}));
  EXPECT_EQ(UtcSpan(kMinutesPerWeek - 15, 15), (WeeklySpan{7, 1425, 1440}));
}

TEST_F(TimeTest, LocalTimeOfSlot) {
  const ReferenceWeek week = ReferenceWeekContaining(Utc(2026, 3, 10));
  // Monday 17:00 UTC: Berlin (CET) 18:00, New York (EDT) 13:00.
  EXPECT_EQ(LocalTimeOfSlot(17 * 60, 90, Zone("Europe/Berlin"), week),
            (WeeklySpan{1, 1080, 1170}));
  EXPECT_EQ(LocalTimeOfSlot(17 * 60, 90, Zone("America/New_York"), week),
            (WeeklySpan{1, 780, 870}));
  // Monday 00:30 UTC is Sunday 20:30 in New York.
  EXPECT_EQ(LocalTimeOfSlot(30, 90, Zone("America/New_York"), week),
            (WeeklySpan{7, 1230, 1320}));
  // Sunday 23:00 UTC is Monday 08:00 in Tokyo.
  EXPECT_EQ(LocalTimeOfSlot(kMinutesPerWeek - 60, 90, Zone("Asia/Tokyo"), week),
            (WeeklySpan{1, 480, 570}));
  // Sunday 22:00 UTC in Berlin, in the week Berlin switches (2026-03-29 at
  // 01:00 UTC): already CEST, so Monday 00:00 local.
  const ReferenceWeek switch_week = ReferenceWeekContaining(Utc(2026, 3, 25));
  EXPECT_EQ(LocalTimeOfSlot(6 * 1440 + 22 * 60, 60, Zone("Europe/Berlin"),
                            switch_week),
            (WeeklySpan{1, 0, 60}));
}

TEST(TimeZoneCacheTest, LoadsOnceAndRejectsBadNames) {
  TimeZoneCache zones;
  ASSERT_OK_AND_ASSIGN(absl::TimeZone a, zones.Load("Europe/Berlin"));
  ASSERT_OK_AND_ASSIGN(absl::TimeZone b, zones.Load("Europe/Berlin"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(zones.size(), 1);
  EXPECT_THAT(zones.Load("Mars/Olympus_Mons"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(zones.Load("localtime"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(zones.Load(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(zones.size(), 1);
}

}  // namespace
}  // namespace peermatch::matcher
