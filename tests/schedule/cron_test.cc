#include "schedule/cron.h"

#include <gtest/gtest.h>

#include "tests/schedule/test_time.h"

namespace ecsync::schedule {
namespace {

using testing::Local;

std::string ParseError(const std::string& text) {
  auto cron = CronExpression::Parse(text);
  return cron.ok() ? "" : cron.status().message();
}

std::string Next(const std::string& text, const std::string& from) {
  auto cron = CronExpression::Parse(text);
  EXPECT_TRUE(cron.ok()) << cron.status().message();
  auto next = cron->NextAtOrAfter(Local(from), Local(from) + 10LL * 366 * 86400);
  if (!next) return "never";
  return testing::Format(std::chrono::system_clock::time_point(std::chrono::seconds(*next)))
      .substr(0, 19);
}

TEST(Cron, ErrorsNameTheField) {
  EXPECT_EQ(ParseError("0 25 * * *"),
            "cron \"0 25 * * *\": hour field \"25\": 25 is out of range 0-23");
  EXPECT_NE(ParseError("60 * * * *").find("minute field \"60\""), std::string::npos);
  EXPECT_NE(ParseError("* * 0 * *").find("day-of-month field \"0\": 0 is out of range 1-31"),
            std::string::npos);
  EXPECT_NE(ParseError("* * * FOO *").find("month field \"FOO\""), std::string::npos);
  EXPECT_NE(ParseError("* * * * 8").find("day-of-week field \"8\": 8 is out of range 0-7"),
            std::string::npos);
  EXPECT_NE(ParseError("* * * * MON-").find("day-of-week field"), std::string::npos);
  EXPECT_NE(ParseError("5-1 * * * *").find("runs backwards"), std::string::npos);
  EXPECT_NE(ParseError("*/0 * * * *").find("step \"0\" must be 1-60"), std::string::npos);
  EXPECT_NE(ParseError("*/x * * * *").find("minute field"), std::string::npos);
  EXPECT_NE(ParseError("1,,2 * * * *").find("minute field"), std::string::npos);
  EXPECT_NE(ParseError("* * * *").find("needs 5 fields"), std::string::npos);
  EXPECT_NE(ParseError("* * * * * *").find("found 6"), std::string::npos);
  EXPECT_NE(ParseError("@reboot").find("unknown shorthand"), std::string::npos);
  EXPECT_NE(ParseError("").find("needs 5 fields"), std::string::npos);
}

TEST(Cron, FieldsListsRangesStepsAndNames) {
  EXPECT_EQ(Next("0 22 * * 5", "2026-12-01T00:00:00"), "2026-12-04T22:00:00");  // a Friday
  EXPECT_EQ(Next("0 22 * * FRI", "2026-12-04T22:00:00"), "2026-12-04T22:00:00");
  EXPECT_EQ(Next("0 22 * * fri", "2026-12-04T22:00:01"), "2026-12-11T22:00:00");
  EXPECT_EQ(Next("*/15 9-17 * * MON-FRI", "2026-12-05T10:00:00"), "2026-12-07T09:00:00");
  EXPECT_EQ(Next("*/15 9-17 * * MON-FRI", "2026-12-07T09:01:00"), "2026-12-07T09:15:00");
  EXPECT_EQ(Next("5,10,50 * * * *", "2026-01-01T00:11:00"), "2026-01-01T00:50:00");
  EXPECT_EQ(Next("10/20 * * * *", "2026-01-01T00:31:00"), "2026-01-01T00:50:00");
  EXPECT_EQ(Next("0 0 1 JUN-AUG/2 *", "2026-07-01T00:00:01"), "2026-08-01T00:00:00");
  EXPECT_EQ(Next("0 0 * * 7", "2026-12-01T00:00:00"), "2026-12-06T00:00:00");  // Sunday
  EXPECT_EQ(Next("0 0 29 2 *", "2026-03-01T00:00:00"), "2028-02-29T00:00:00");
  EXPECT_EQ(Next("0 0 30 2 *", "2026-03-01T00:00:00"), "never");
}

TEST(Cron, BothDayFieldsRestrictedMatchEither) {
  // The 13th or any Friday.
  EXPECT_EQ(Next("0 0 13 * 5", "2026-12-01T00:00:00"), "2026-12-04T00:00:00");
  EXPECT_EQ(Next("0 0 13 * 5", "2026-12-12T00:00:00"), "2026-12-13T00:00:00");
  // A '*' day-of-month leaves the choice to the day of the week, and the other way round,
  // also with a step.
  EXPECT_EQ(Next("0 0 * * 5", "2026-12-12T00:00:00"), "2026-12-18T00:00:00");
  EXPECT_EQ(Next("0 0 13 * *", "2026-12-14T00:00:00"), "2027-01-13T00:00:00");
  EXPECT_EQ(Next("0 0 */10 * 5", "2026-12-02T00:00:00"), "2026-12-11T00:00:00");
}

TEST(Cron, Shorthands) {
  EXPECT_EQ(Next("@daily", "2026-12-04T00:00:01"), "2026-12-05T00:00:00");
  EXPECT_EQ(Next("@midnight", "2026-12-04T00:00:01"), "2026-12-05T00:00:00");
  EXPECT_EQ(Next("@hourly", "2026-12-04T10:30:00"), "2026-12-04T11:00:00");
  EXPECT_EQ(Next("@weekly", "2026-12-04T10:30:00"), "2026-12-06T00:00:00");
  EXPECT_EQ(Next("@monthly", "2026-12-04T10:30:00"), "2027-01-01T00:00:00");
  EXPECT_EQ(Next("@yearly", "2026-12-04T10:30:00"), "2027-01-01T00:00:00");
  EXPECT_EQ(Next("@annually", "2027-01-01T00:00:01"), "2028-01-01T00:00:00");
}

TEST(Cron, LastAtOrBefore) {
  auto cron = CronExpression::Parse("0 22 * * 5");
  ASSERT_TRUE(cron.ok());
  auto last = cron->LastAtOrBefore(Local("2026-12-10T12:00:00"), 0);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, Local("2026-12-04T22:00:00"));
  EXPECT_EQ(cron->LastAtOrBefore(Local("2026-12-10T12:00:00"), Local("2026-12-05T00:00:00")),
            std::nullopt);
  EXPECT_TRUE(cron->Matches(Local("2026-12-04T22:00:59")));
  EXPECT_FALSE(cron->Matches(Local("2026-12-04T22:01:00")));
}

}  // namespace
}  // namespace ecsync::schedule
