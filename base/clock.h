#pragma once

#include <chrono>
#include <mutex>

namespace ecsync::base {

// Wall and monotonic time, behind a seam so tests control waits and timestamps.
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for signatures, logs, AWS timestamps).
  virtual std::chrono::system_clock::time_point Now() = 0;
  // Monotonic time (for deadlines and durations).
  virtual std::chrono::steady_clock::time_point SteadyNow() = 0;
  // Blocks for `d` of this clock's time. FakeClock advances itself instead of blocking.
  virtual void SleepFor(std::chrono::milliseconds d) = 0;
};

// The real clock.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override;
  std::chrono::steady_clock::time_point SteadyNow() override;
  void SleepFor(std::chrono::milliseconds d) override;
  // A process-wide instance.
  static SystemClock* Get();
};

// A clock that only moves when told to; SleepFor advances it. For tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(
      std::chrono::system_clock::time_point start =
          std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)));
  std::chrono::system_clock::time_point Now() override;
  std::chrono::steady_clock::time_point SteadyNow() override;
  void SleepFor(std::chrono::milliseconds d) override;
  void Advance(std::chrono::milliseconds d);

 private:
  std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point steady_;
};

}  // namespace ecsync::base
