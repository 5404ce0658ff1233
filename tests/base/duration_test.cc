#include "base/duration.h"

#include <gtest/gtest.h>

namespace ecsync::base {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndSequences) {
  EXPECT_EQ(*ParseDuration("30s"), milliseconds(30'000));
  EXPECT_EQ(*ParseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("1.5h"), milliseconds(5'400'000));
  EXPECT_EQ(*ParseDuration("2"), milliseconds(2'000));
}

TEST(ParseDuration, RejectsWithTheOffendingText) {
  for (const char* bad : {"", "s", "10x", "1m2"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalid);
    EXPECT_NE(r.status().message().find(std::string("'") + bad + "'"), std::string::npos);
  }
}

// Past int64 milliseconds the conversion would be undefined behaviour (UBSan catches it).
TEST(ParseDuration, RejectsAbsurdlyLongDurations) {
  for (const char* huge : {"99999999999999999999999h", "3000000000000000000000s",
                           "9999999999999999999999999999999999999999ms", "1000000h"}) {
    auto r = ParseDuration(huge);
    ASSERT_FALSE(r.ok()) << huge;
    EXPECT_NE(r.status().message().find("longer than 100 years"), std::string::npos);
  }
  EXPECT_EQ(*ParseDuration("876000h"), std::chrono::hours(876000));  // exactly 100 years
}

}  // namespace
}  // namespace ecsync::base

namespace ecsync::base {
namespace {

using std::chrono::nanoseconds;

// The rules compose files (Go's time.ParseDuration) and the configuration both rely on.
TEST(ParseDuration, FollowsGoSyntaxWithBareSeconds) {
  EXPECT_EQ(*ParseDuration("0"), nanoseconds(0));
  EXPECT_EQ(*ParseDuration("90"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDuration("0.5"), std::chrono::milliseconds(500));
  EXPECT_EQ(*ParseDuration("1h5m30s20ms"), std::chrono::milliseconds(3'930'020));
  EXPECT_EQ(*ParseDuration("250ns"), nanoseconds(250));
  EXPECT_EQ(*ParseDuration("3us"), nanoseconds(3'000));
  EXPECT_EQ(*ParseDuration("3\xC2\xB5s"), nanoseconds(3'000));
  EXPECT_EQ(*ParseDuration("3\xCE\xBCs"), nanoseconds(3'000));
  EXPECT_EQ(*ParseDuration(".5s"), std::chrono::milliseconds(500));
  EXPECT_EQ(*ParseDuration("1.s"), std::chrono::seconds(1));
  EXPECT_EQ(*ParseDuration("1.0000000001s"), nanoseconds(1'000'000'000));  // truncated
  for (const char* bad : {"-1s", "+1s", ".", "1.5.5s", "1 s", "5 minutes", "1S", "1d"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalid);
  }
}

TEST(ParseDurationMillis, RoundsHalvesUp) {
  EXPECT_EQ(*ParseDurationMillis("1m30s"), std::chrono::milliseconds(90'000));
  EXPECT_EQ(*ParseDurationMillis("499us"), std::chrono::milliseconds(0));
  EXPECT_EQ(*ParseDurationMillis("500us"), std::chrono::milliseconds(1));
  EXPECT_EQ(*ParseDurationMillis("0.0015"), std::chrono::milliseconds(2));
  EXPECT_FALSE(ParseDurationMillis("10x").ok());
}

}  // namespace
}  // namespace ecsync::base
