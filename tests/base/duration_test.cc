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
