#include "base/rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ecsync::base {
namespace {

using std::chrono::milliseconds;

milliseconds Elapsed(FakeClock& clock, std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(clock.SteadyNow() - start);
}

TEST(RateLimiter, StartsWithAFullBurst) {
  FakeClock clock;
  RateLimiter limiter(1, 3, clock);
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(RateLimiter, RefillsAtTheRate) {
  FakeClock clock;
  RateLimiter limiter(4, 1, clock);  // one token every 250 ms
  ASSERT_TRUE(limiter.TryAcquire());
  clock.Advance(milliseconds(249));
  EXPECT_FALSE(limiter.TryAcquire());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(RateLimiter, RefillStopsAtBurst) {
  FakeClock clock;
  RateLimiter limiter(10, 2, clock);
  ASSERT_TRUE(limiter.TryAcquire());
  ASSERT_TRUE(limiter.TryAcquire());
  clock.Advance(std::chrono::hours(1));
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(RateLimiter, FailedTryAcquireTakesNothing) {
  FakeClock clock;
  RateLimiter limiter(1, 1, clock);
  ASSERT_TRUE(limiter.TryAcquire());
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.TryAcquire());
  clock.Advance(milliseconds(1000));
  EXPECT_TRUE(limiter.TryAcquire());
}

TEST(RateLimiter, AcquireSleepsUntilATokenIsFree) {
  FakeClock clock;
  const auto start = clock.SteadyNow();
  RateLimiter limiter(2, 1, clock);  // one token every 500 ms
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.Acquire());
  // The first token was there; the other four each needed 500 ms.
  EXPECT_EQ(Elapsed(clock, start), milliseconds(2000));
}

TEST(RateLimiter, AcquireUsesTheBurstBeforeSleeping) {
  FakeClock clock;
  const auto start = clock.SteadyNow();
  RateLimiter limiter(1, 3, clock);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.Acquire());
  EXPECT_EQ(Elapsed(clock, start), milliseconds(0));
  ASSERT_TRUE(limiter.Acquire());
  EXPECT_EQ(Elapsed(clock, start), milliseconds(1000));
}

TEST(RateLimiter, FractionalRatesRoundTheWaitUp) {
  FakeClock clock;
  const auto start = clock.SteadyNow();
  RateLimiter limiter(3, 1, clock);  // 333.3 ms per token
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(limiter.Acquire());
  const milliseconds elapsed = Elapsed(clock, start);
  EXPECT_GE(elapsed, milliseconds(1000));
  EXPECT_LE(elapsed, milliseconds(1003));
}

TEST(RateLimiter, SlowerThanOnePerSecond) {
  FakeClock clock;
  const auto start = clock.SteadyNow();
  RateLimiter limiter(0.5, 1, clock);
  ASSERT_TRUE(limiter.Acquire());
  ASSERT_TRUE(limiter.Acquire());
  EXPECT_EQ(Elapsed(clock, start), milliseconds(2000));
}

TEST(RateLimiter, ZeroOrNegativeRateIsUnlimited) {
  FakeClock clock;
  const auto start = clock.SteadyNow();
  for (double rate : {0.0, -1.0}) {
    RateLimiter limiter(rate, 1, clock);
    EXPECT_TRUE(limiter.unlimited());
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(limiter.TryAcquire());
      ASSERT_TRUE(limiter.Acquire());
    }
  }
  EXPECT_EQ(Elapsed(clock, start), milliseconds(0));
}

TEST(RateLimiter, BurstBelowOneCountsAsOne) {
  FakeClock clock;
  RateLimiter limiter(1, 0, clock);
  EXPECT_EQ(limiter.burst(), 1);
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(RateLimiter, CancelledBeforeWaitingReturnsAtOnceWithoutAToken) {
  FakeClock clock;
  const auto start = clock.SteadyNow();
  RateLimiter limiter(1, 1, clock);
  ASSERT_TRUE(limiter.TryAcquire());
  std::atomic<bool> cancelled{true};
  EXPECT_FALSE(limiter.Acquire(&cancelled));
  EXPECT_EQ(Elapsed(clock, start), milliseconds(0));
  clock.Advance(milliseconds(1000));
  EXPECT_TRUE(limiter.TryAcquire());  // the cancelled call left the refilled token alone
}

TEST(RateLimiter, CancelledWithATokenFreeStillTakesIt) {
  FakeClock clock;
  RateLimiter limiter(1, 1, clock);
  std::atomic<bool> cancelled{true};
  EXPECT_TRUE(limiter.Acquire(&cancelled));
  EXPECT_FALSE(limiter.TryAcquire());
}

// A FakeClock that records each sleep and raises `cancel` after `sleeps_before_cancel` of them.
class CancellingClock final : public Clock {
 public:
  CancellingClock(std::atomic<bool>& cancel, int sleeps_before_cancel)
      : cancel_(cancel), remaining_(sleeps_before_cancel) {}
  std::chrono::system_clock::time_point Now() override { return fake_.Now(); }
  std::chrono::steady_clock::time_point SteadyNow() override { return fake_.SteadyNow(); }
  void SleepFor(milliseconds d) override {
    sleeps.push_back(d);
    fake_.SleepFor(d);
    if (--remaining_ == 0) cancel_.store(true);
  }
  std::vector<milliseconds> sleeps;

 private:
  FakeClock fake_;
  std::atomic<bool>& cancel_;
  int remaining_;
};

TEST(RateLimiter, CancellationIsNoticedWhileWaiting) {
  std::atomic<bool> cancelled{false};
  CancellingClock clock(cancelled, 3);
  RateLimiter limiter(0.1, 1, clock);  // the next token is 10 s away
  ASSERT_TRUE(limiter.TryAcquire());
  EXPECT_FALSE(limiter.Acquire(&cancelled));
  ASSERT_EQ(clock.sleeps.size(), 3u);
  for (milliseconds d : clock.sleeps) EXPECT_LE(d, RateLimiter::kCancelCheck);
}

TEST(RateLimiter, WithoutCancellationSleepsTheWholeWaitAtOnce) {
  std::atomic<bool> unused{false};
  CancellingClock clock(unused, -1);
  RateLimiter limiter(0.1, 1, clock);
  ASSERT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.Acquire());
  ASSERT_EQ(clock.sleeps.size(), 1u);
  EXPECT_EQ(clock.sleeps[0], milliseconds(10'000));
}

TEST(RateLimiter, ConcurrentCallersNeverTakeMoreThanTheBucketHolds) {
  FakeClock clock;
  RateLimiter limiter(1, 50, clock);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.TryAcquire()) granted.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), 50);  // the clock did not move: only the burst
}

}  // namespace
}  // namespace ecsync::base
