#include "webhook/limits.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace ecsync::webhook {

namespace {
constexpr double kEpsilon = 1e-9;
// A full table is swept for idle buckets at most this often, so that a flood of new keys
// does not make every request scan the table.
constexpr std::chrono::seconds kSweepInterval{1};
}  // namespace

KeyedRateLimiter::KeyedRateLimiter(double per_second, int burst, base::Clock& clock,
                                   size_t max_keys)
    : per_second_(per_second),
      burst_(std::max(burst, 1)),
      max_keys_(std::max<size_t>(max_keys, 1)),
      clock_(clock),
      overflow_{static_cast<double>(burst_), clock.SteadyNow()} {}

KeyedRateLimiter::Bucket& KeyedRateLimiter::Refilled(const std::string& key,
                                                     std::chrono::steady_clock::time_point now) {
  const auto refill = [&](Bucket& bucket) {
    if (now > bucket.refilled) {
      const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
      bucket.tokens = std::min<double>(burst_, bucket.tokens + elapsed * per_second_);
      bucket.refilled = now;
    }
  };
  auto it = buckets_.find(key);
  if (it != buckets_.end()) {
    refill(it->second);
    return it->second;
  }
  if (buckets_.size() >= max_keys_ && now - last_sweep_ >= kSweepInterval) {
    // A bucket that has refilled completely is the same as no bucket.
    last_sweep_ = now;
    for (auto entry = buckets_.begin(); entry != buckets_.end();) {
      refill(entry->second);
      entry = entry->second.tokens >= burst_ - kEpsilon ? buckets_.erase(entry) : std::next(entry);
    }
  }
  if (buckets_.size() >= max_keys_) {
    refill(overflow_);
    return overflow_;
  }
  return buckets_.emplace(key, Bucket{static_cast<double>(burst_), now}).first->second;
}

bool KeyedRateLimiter::TryAcquire(const std::string& key) {
  if (unlimited()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& bucket = Refilled(key, clock_.SteadyNow());
  if (bucket.tokens < 1 - kEpsilon) return false;
  bucket.tokens = std::max(0.0, bucket.tokens - 1);
  return true;
}

bool KeyedRateLimiter::HasToken(const std::string& key) {
  if (unlimited()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end() && buckets_.size() < max_keys_) return true;  // a fresh bucket is full
  return Refilled(key, clock_.SteadyNow()).tokens >= 1 - kEpsilon;
}

std::string SourceKey(const std::string& address) {
  std::string host = address;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in6_addr v6{};
  if (host.find(':') == std::string::npos || inet_pton(AF_INET6, host.c_str(), &v6) != 1) {
    return host;
  }
  const unsigned char* b = v6.s6_addr;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char out[64];
  if (std::equal(kMapped, kMapped + 12, b)) {
    std::snprintf(out, sizeof(out), "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
  } else {
    std::snprintf(out, sizeof(out), "%x:%x:%x:%x::/64", b[0] << 8 | b[1], b[2] << 8 | b[3],
                  b[4] << 8 | b[5], b[6] << 8 | b[7]);
  }
  return out;
}

}  // namespace ecsync::webhook
