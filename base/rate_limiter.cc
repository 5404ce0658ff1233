#include "base/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace ecsync::base {

namespace {
// Absorbs rounding in the refill arithmetic: after sleeping the computed wait, the bucket
// may hold 0.9999999999 tokens, which is a whole one.
constexpr double kEpsilon = 1e-9;
constexpr double kMaxWaitMs = 3'600'000;
}  // namespace

RateLimiter::RateLimiter(double per_second, int burst, Clock& clock)
    : per_second_(per_second),
      burst_(std::max(burst, 1)),
      clock_(clock),
      tokens_(burst_),
      refilled_(clock.SteadyNow()) {}

std::chrono::milliseconds RateLimiter::TakeOrWait() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_.SteadyNow();
  if (now > refilled_) {
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min<double>(burst_, tokens_ + elapsed * per_second_);
    refilled_ = now;
  }
  if (tokens_ >= 1 - kEpsilon) {
    tokens_ = std::max(0.0, tokens_ - 1);
    return std::chrono::milliseconds(0);
  }
  // Capped so that absurdly slow rates cannot overflow; the caller just waits again.
  const double wait_ms = std::min(std::ceil((1 - tokens_) / per_second_ * 1000), kMaxWaitMs);
  return std::chrono::milliseconds(std::max<int64_t>(1, static_cast<int64_t>(wait_ms)));
}

bool RateLimiter::TryAcquire() {
  if (unlimited()) return true;
  return TakeOrWait().count() == 0;
}

bool RateLimiter::Acquire(const std::atomic<bool>* cancelled) {
  if (unlimited()) return true;
  for (;;) {
    std::chrono::milliseconds wait = TakeOrWait();
    if (wait.count() == 0) return true;
    if (cancelled != nullptr) {
      if (cancelled->load()) return false;
      wait = std::min(wait, kCancelCheck);
    }
    clock_.SleepFor(wait);
  }
}

}  // namespace ecsync::base
