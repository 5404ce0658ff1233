#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

#include "base/clock.h"

namespace ecsync::base {

// A token bucket: holds at most `burst` tokens, starts full and refills at `per_second`
// tokens per second of the clock's steady time. Each request takes one token.
// Thread-safe. Waiting threads are not served in arrival order.
class RateLimiter {
 public:
  // `per_second` <= 0: unlimited (every acquire succeeds at once). `burst` < 1 counts as 1.
  // `clock` is not owned and must outlive the limiter.
  RateLimiter(double per_second, int burst, Clock& clock);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes a token if one is free now; never blocks.
  bool TryAcquire();

  // Takes a token, sleeping (clock.SleepFor) until one is free. Returns true once it has one.
  // When `cancelled` is given and becomes true while waiting, returns false without taking
  // a token; it is checked at least every kCancelCheck of clock time.
  bool Acquire(const std::atomic<bool>* cancelled = nullptr);

  bool unlimited() const { return per_second_ <= 0; }
  double per_second() const { return per_second_; }
  int burst() const { return burst_; }

  static constexpr std::chrono::milliseconds kCancelCheck{100};

 private:
  // Takes a token when one is free (returns 0), else returns how long until one is.
  // REQUIRES: !unlimited()
  std::chrono::milliseconds TakeOrWait();

  const double per_second_;
  const int burst_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;                                   // guarded by mu_
  std::chrono::steady_clock::time_point refilled_;  // guarded by mu_
};

}  // namespace ecsync::base
