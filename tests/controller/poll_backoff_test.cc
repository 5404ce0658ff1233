// PollBackoff: the retry schedule of a failing repository (controller/poll_backoff.h).

#include "controller/poll_backoff.h"

#include <gtest/gtest.h>

namespace ecsync::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(PollBackoff, DoublesFromThePollIntervalWithJitterUpToTheCap) {
  std::mt19937_64 random(1);
  PollBackoff backoff;
  const auto start = std::chrono::steady_clock::time_point(seconds(1000));
  EXPECT_FALSE(backoff.failing());
  milliseconds base = seconds(20);
  for (int n = 1; n <= 12; ++n) {
    milliseconds delay = backoff.Failed(start, seconds(20), random);
    EXPECT_EQ(backoff.failures(), n);
    EXPECT_EQ(backoff.delay(), delay);
    EXPECT_EQ(backoff.next_attempt(), start + delay);
    EXPECT_GE(delay, std::min<milliseconds>(base * 9 / 10, PollBackoff::kMaxDelay)) << n;
    EXPECT_LE(delay, std::min<milliseconds>(base * 11 / 10, PollBackoff::kMaxDelay)) << n;
    base *= 2;
  }
  EXPECT_EQ(backoff.delay(), PollBackoff::kMaxDelay);  // far past the cap: 0.9 * 2^11 * 20 s
  backoff.Reset();
  EXPECT_FALSE(backoff.failing());
  EXPECT_EQ(backoff.delay(), milliseconds(0));
}

TEST(PollBackoff, WebhookOnlyRepositoriesStartAtThirtySecondsAndLongIntervalsAtTheCap) {
  std::mt19937_64 random(2);
  PollBackoff webhook_only;
  milliseconds delay = webhook_only.Failed({}, milliseconds(0), random);
  EXPECT_GE(delay, seconds(27));
  EXPECT_LE(delay, seconds(33));
  PollBackoff hourly;
  EXPECT_LE(hourly.Failed({}, minutes(60), random), PollBackoff::kMaxDelay);
}

TEST(PollBackoff, OneEarlyCheckPerScheduledRetry) {
  std::mt19937_64 random(3);
  PollBackoff backoff;
  auto now = std::chrono::steady_clock::time_point(seconds(1000));
  backoff.Failed(now, seconds(20), random);
  EXPECT_FALSE(backoff.Due(now, /*triggered=*/false));
  EXPECT_TRUE(backoff.Due(now, /*triggered=*/true));  // a webhook may check once early
  backoff.Started(now);
  backoff.Failed(now, seconds(20), random);
  EXPECT_FALSE(backoff.Due(now, /*triggered=*/true));  // spent: further webhooks wait
  now = backoff.next_attempt();
  EXPECT_TRUE(backoff.Due(now, /*triggered=*/false));
  backoff.Started(now);  // the scheduled retry gives the early check back
  backoff.Failed(now, seconds(20), random);
  EXPECT_TRUE(backoff.Due(now, /*triggered=*/true));
}

}  // namespace
}  // namespace ecsync::controller
