#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "base/clock.h"

namespace ecsync::webhook {

// Token buckets by key (a sender's address, a repository), for webhook rate limits.
// Each key's bucket holds at most `burst` tokens, starts full and refills at `per_second`.
// Memory is bounded: at most `max_keys` buckets; when a new key finds the table full of
// buckets still being spent, it shares one overflow bucket with every other such key, so a
// sender spreading requests over many addresses cannot evict the buckets of others.
// Thread-safe.
class KeyedRateLimiter {
 public:
  // `per_second` <= 0: unlimited. `burst` < 1 counts as 1. `clock` must outlive this.
  KeyedRateLimiter(double per_second, int burst, base::Clock& clock, size_t max_keys = 10'000);

  // Takes a token from `key`'s bucket if one is free now.
  bool TryAcquire(const std::string& key);
  // Whether `key`'s bucket holds a token now, without taking it.
  bool HasToken(const std::string& key);

  bool unlimited() const { return per_second_ <= 0; }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  // The bucket for `key`, refilled to now. REQUIRES: mu_ held.
  Bucket& Refilled(const std::string& key, std::chrono::steady_clock::time_point now);

  const double per_second_;
  const int burst_;
  const size_t max_keys_;
  base::Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;   // guarded by mu_
  Bucket overflow_;                                   // guarded by mu_
  std::chrono::steady_clock::time_point last_sweep_;  // guarded by mu_
};

// The key a sender's address is limited by: an IPv4 address as is (also when written as an
// IPv4-mapped IPv6 address), an IPv6 address by its /64 prefix ("2001:db8:0:1::/64"),
// because one host commonly owns a whole /64. Anything else (a Unix socket path, "") is
// returned as is.
std::string SourceKey(const std::string& address);

}  // namespace ecsync::webhook
