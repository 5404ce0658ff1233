// Per-key token buckets and sender keys for webhook rate limits (webhook/limits.h).

#include "webhook/limits.h"

#include <gtest/gtest.h>

namespace ecsync::controller {
namespace {

TEST(KeyedRateLimiter, EachKeyHasItsOwnBucket) {
  base::FakeClock clock;
  webhook::KeyedRateLimiter limiter(1, 2, clock);
  EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_FALSE(limiter.TryAcquire("a"));
  EXPECT_FALSE(limiter.HasToken("a"));
  EXPECT_TRUE(limiter.HasToken("b"));
  EXPECT_TRUE(limiter.TryAcquire("b"));
  clock.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(limiter.HasToken("a"));
  EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_FALSE(limiter.TryAcquire("a"));
}

TEST(KeyedRateLimiter, NewKeysBeyondTheTableShareOneBucketAndIdleOnesAreForgotten) {
  base::FakeClock clock;
  webhook::KeyedRateLimiter limiter(1, 1, clock, /*max_keys=*/2);
  EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_TRUE(limiter.TryAcquire("b"));
  // The table is full of spent buckets: newcomers share the overflow bucket.
  EXPECT_TRUE(limiter.TryAcquire("c"));
  EXPECT_FALSE(limiter.TryAcquire("d"));
  EXPECT_FALSE(limiter.TryAcquire("a"));  // "a" kept its own (spent) bucket
  // Once buckets have refilled they are swept, and new keys get their own again.
  clock.Advance(std::chrono::seconds(5));
  EXPECT_TRUE(limiter.TryAcquire("d"));
  EXPECT_TRUE(limiter.TryAcquire("e"));
}

TEST(KeyedRateLimiter, ZeroRateIsUnlimited) {
  base::FakeClock clock;
  webhook::KeyedRateLimiter limiter(0, 1, clock);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.TryAcquire("a"));
}

TEST(SourceKey, Ipv4AsIsIpv6ByItsSlash64) {
  EXPECT_EQ(webhook::SourceKey("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(webhook::SourceKey("::ffff:203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(webhook::SourceKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(webhook::SourceKey("[2001:db8:1:2:aaaa::9]"), "2001:db8:1:2::/64");
  EXPECT_EQ(webhook::SourceKey("::1"), "0:0:0:0::/64");
  EXPECT_EQ(webhook::SourceKey(""), "");
  EXPECT_EQ(webhook::SourceKey("not an address"), "not an address");
}

}  // namespace
}  // namespace ecsync::controller
