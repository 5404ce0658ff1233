// Deploy windows over the real Europe/Berlin and America/New_York zones, across their
// daylight-saving changes (instants in UTC, see time_zone_test.cc for the rules).

#include "schedule/window.h"

#include <gtest/gtest.h>

#include "tests/schedule/test_time.h"

namespace ecsync::schedule {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::At;
using testing::Format;

Window Make(Window::Kind kind, const std::string& cron, std::chrono::seconds duration,
            const std::string& zone_name, bool manual_sync = false) {
  Window window;
  window.kind = kind;
  auto parsed = CronExpression::Parse(cron);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  if (parsed.ok()) window.cron = *parsed;
  window.duration = duration;
  auto zone = TimeZone::Load(zone_name, kDefaultZoneinfoRoot);
  EXPECT_TRUE(zone.ok()) << zone.status().message();
  window.zone = zone.ok() ? *zone : TimeZone::Utc();
  window.manual_sync = manual_sync;
  return window;
}

Window Deny(const std::string& cron, std::chrono::seconds duration,
            const std::string& zone = "Europe/Berlin", bool manual_sync = false) {
  return Make(Window::Kind::kDeny, cron, duration, zone, manual_sync);
}
Window Allow(const std::string& cron, std::chrono::seconds duration,
             const std::string& zone = "Europe/Berlin", bool manual_sync = false) {
  return Make(Window::Kind::kAllow, cron, duration, zone, manual_sync);
}

std::string Next(const Window& window, const std::string& from) {
  auto start = NextStart(window, At(from), kSearchHorizon);
  return start ? Format(*start) : "never";
}

TEST(Window, FridayTenPmInBerlinOnBothSidesOfEachChange) {
  const Window friday = Deny("0 22 * * 5", hours(2));
  // CET (UTC+1) before the spring change, CEST (UTC+2) after it, and back in October.
  EXPECT_EQ(Next(friday, "2026-03-21T00:00:00Z"), "2026-03-27T21:00:00Z");
  EXPECT_EQ(Next(friday, "2026-03-28T00:00:00Z"), "2026-04-03T20:00:00Z");
  EXPECT_EQ(Next(friday, "2026-10-17T00:00:00Z"), "2026-10-23T20:00:00Z");
  EXPECT_EQ(Next(friday, "2026-10-24T00:00:00Z"), "2026-10-30T21:00:00Z");
  auto last = LastStart(friday, At("2026-04-04T12:00:00Z"), kSearchHorizon);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(Format(*last), "2026-04-03T20:00:00Z");
}

TEST(Window, GapOpensAtTheFirstInstantAfterIt) {
  const Window berlin = Deny("30 2 * * *", hours(1));
  EXPECT_EQ(Next(berlin, "2026-03-28T00:00:00Z"), "2026-03-28T01:30:00Z");
  EXPECT_EQ(Next(berlin, "2026-03-28T02:00:00Z"), "2026-03-29T01:00:00Z");  // 03:00 CEST
  EXPECT_EQ(Next(berlin, "2026-03-29T02:00:00Z"), "2026-03-30T00:30:00Z");
  const Window york = Deny("30 2 * * *", hours(1), "America/New_York");
  EXPECT_EQ(Next(york, "2026-03-07T12:00:00Z"), "2026-03-08T07:00:00Z");  // 03:00 EDT
  EXPECT_EQ(Next(york, "2026-03-08T08:00:00Z"), "2026-03-09T06:30:00Z");
}

TEST(Window, RepeatedHourOpensAtTheFirstOccurrenceOnly) {
  const Window berlin = Deny("30 2 * * *", hours(1));
  EXPECT_EQ(Next(berlin, "2026-10-24T12:00:00Z"), "2026-10-25T00:30:00Z");  // CEST
  // Not again at 01:30Z (02:30 CET, the second occurrence).
  EXPECT_EQ(Next(berlin, "2026-10-25T00:30:01Z"), "2026-10-26T01:30:00Z");
  const Window york = Deny("30 1 * * *", hours(1), "America/New_York");
  EXPECT_EQ(Next(york, "2026-10-31T12:00:00Z"), "2026-11-01T05:30:00Z");  // EDT
  EXPECT_EQ(Next(york, "2026-11-01T05:30:01Z"), "2026-11-02T06:30:00Z");
}

TEST(Window, DurationIsElapsedTimeAcrossAChange) {
  // Opens 01:00 CET (00:00Z) on the spring-forward day; two hours later is 04:00 CEST.
  const std::vector<Window> windows = {Deny("0 1 29 3 *", hours(2))};
  EXPECT_FALSE(IsOpen(windows, At("2026-03-29T01:59:59Z")));
  EXPECT_TRUE(IsOpen(windows, At("2026-03-29T02:00:00Z")));
}

TEST(Window, DenyWinsAndAllowWindowsAreTheOnlyTimesOtherwise) {
  const std::vector<Window> none;
  EXPECT_TRUE(IsOpen(none, At("2026-12-04T21:30:00Z")));
  // Deny Friday 22:00 Berlin for 8 hours.
  const std::vector<Window> deny = {Deny("0 22 * * 5", hours(8))};
  EXPECT_TRUE(IsOpen(deny, At("2026-12-04T20:59:59Z")));
  EXPECT_FALSE(IsOpen(deny, At("2026-12-04T21:00:00Z")));
  EXPECT_FALSE(IsOpen(deny, At("2026-12-05T04:59:59Z")));
  EXPECT_TRUE(IsOpen(deny, At("2026-12-05T05:00:00Z")));
  // Allow weekdays 09:00-17:00 New York.
  const std::vector<Window> allow = {Allow("0 9 * * MON-FRI", hours(8), "America/New_York")};
  EXPECT_FALSE(IsOpen(allow, At("2026-12-04T13:59:59Z")));
  EXPECT_TRUE(IsOpen(allow, At("2026-12-04T14:00:00Z")));
  EXPECT_FALSE(IsOpen(allow, At("2026-12-05T15:00:00Z")));  // Saturday
  // Both: deny wins inside the allow window.
  std::vector<Window> both = allow;
  both.push_back(Deny("0 12 * * *", hours(1), "America/New_York"));
  EXPECT_FALSE(IsOpen(both, At("2026-12-04T17:30:00Z")));
  EXPECT_TRUE(IsOpen(both, At("2026-12-04T18:00:00Z")));
}

TEST(Window, NextOpenAndOpenUntil) {
  const std::vector<Window> deny = {Deny("0 22 * * 5", hours(8))};
  auto opens = NextOpen(deny, At("2026-12-04T23:00:00Z"));
  ASSERT_TRUE(opens.ok());
  EXPECT_EQ(Format(*opens), "2026-12-05T05:00:00Z");
  ASSERT_TRUE(NextOpen(deny, At("2026-12-01T00:00:00Z")).ok());
  EXPECT_EQ(Format(*NextOpen(deny, At("2026-12-01T00:00:00Z"))), "2026-12-01T00:00:00Z");
  auto closes = OpenUntil(deny, At("2026-12-01T00:00:00Z"));
  ASSERT_TRUE(closes.has_value());
  EXPECT_EQ(Format(*closes), "2026-12-04T21:00:00Z");
  // Overlapping openings make one long closure: hourly for 90 minutes, 08:00-16:00 Berlin.
  const std::vector<Window> chained = {Deny("0 8-15 * * *", minutes(90))};
  EXPECT_EQ(Format(*NextOpen(chained, At("2026-12-04T07:30:00Z"))), "2026-12-04T15:30:00Z");
  // Allow windows: the next one that no deny window covers.
  std::vector<Window> mixed = {Allow("0 9 * * *", hours(2), "America/New_York"),
                               Deny("0 0 * * SAT,SUN", hours(24), "America/New_York")};
  EXPECT_EQ(Format(*NextOpen(mixed, At("2026-12-04T17:00:00Z"))), "2026-12-07T14:00:00Z");
  EXPECT_EQ(Format(*OpenUntil(mixed, At("2026-12-07T14:30:00Z"))), "2026-12-07T16:00:00Z");
}

TEST(Window, WindowsThatNeverOpenAreAnError) {
  const std::vector<Window> never = {Allow("0 0 30 2 *", hours(1))};
  auto opens = NextOpen(never, At("2026-12-04T00:00:00Z"));
  ASSERT_FALSE(opens.ok());
  EXPECT_NE(opens.status().message().find("do not open within a year"), std::string::npos);
  // A deny window open every minute for two minutes never ends.
  const std::vector<Window> always = {Deny("* * * * *", minutes(2), "UTC")};
  EXPECT_FALSE(IsOpen(always, At("2026-12-04T00:00:00Z")));
  EXPECT_FALSE(NextOpen(always, At("2026-12-04T00:00:00Z")).ok());
}

TEST(Window, GateSaysUntilWhenInTheWindowsZoneAndWhetherItMayBeOverridden) {
  const std::vector<Window> deny = {Deny("0 22 * * 5", hours(8), "Europe/Berlin", true)};
  Gate gate = Evaluate(deny, At("2026-12-04T23:00:00Z"));
  EXPECT_FALSE(gate.open);
  EXPECT_EQ(gate.reason, "held by deny window until 2026-12-05T06:00:00+01:00 (Europe/Berlin)");
  EXPECT_TRUE(gate.overridable);
  ASSERT_TRUE(gate.opens_at.has_value());
  EXPECT_EQ(Format(*gate.opens_at), "2026-12-05T05:00:00Z");
  std::vector<Window> strict = deny;
  strict.push_back(Deny("0 23 * * 5", hours(1), "Europe/Berlin", false));
  EXPECT_FALSE(Evaluate(strict, At("2026-12-04T22:30:00Z")).overridable);
  EXPECT_TRUE(Evaluate(strict, At("2026-12-04T23:30:00Z")).overridable);
  const std::vector<Window> allow = {Allow("0 9 * * *", hours(2), "America/New_York")};
  Gate outside = Evaluate(allow, At("2026-12-04T17:00:00Z"));
  EXPECT_EQ(outside.reason,
            "held outside every allow window until 2026-12-05T09:00:00-05:00 (America/New_York)");
  EXPECT_FALSE(outside.overridable);
  Gate inside = Evaluate(allow, At("2026-12-04T15:00:00Z"));
  EXPECT_TRUE(inside.open);
  EXPECT_EQ(Format(*inside.closes_at), "2026-12-04T16:00:00Z");
}

}  // namespace
}  // namespace ecsync::schedule
