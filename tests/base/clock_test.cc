#include "base/clock.h"

#include <gtest/gtest.h>

namespace ecsync::base {
namespace {

TEST(FakeClock, MovesOnlyWhenAdvancedOrSlept) {
  FakeClock clock;
  auto wall = clock.Now();
  auto steady = clock.SteadyNow();
  EXPECT_EQ(clock.Now(), wall);
  clock.SleepFor(std::chrono::milliseconds(1500));
  EXPECT_EQ(clock.Now() - wall, std::chrono::milliseconds(1500));
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(clock.SteadyNow() - steady, std::chrono::milliseconds(3500));
}

}  // namespace
}  // namespace ecsync::base
