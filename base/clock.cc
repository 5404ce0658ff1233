#include "base/clock.h"

#include <thread>

namespace ecsync::base {

std::chrono::system_clock::time_point SystemClock::Now() {
  return std::chrono::system_clock::now();
}
std::chrono::steady_clock::time_point SystemClock::SteadyNow() {
  return std::chrono::steady_clock::now();
}
void SystemClock::SleepFor(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }
SystemClock* SystemClock::Get() {
  static SystemClock clock;
  return &clock;
}

FakeClock::FakeClock(std::chrono::system_clock::time_point start) : wall_(start) {}

std::chrono::system_clock::time_point FakeClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return wall_;
}
std::chrono::steady_clock::time_point FakeClock::SteadyNow() {
  std::lock_guard<std::mutex> lock(mu_);
  return steady_;
}
void FakeClock::SleepFor(std::chrono::milliseconds d) { Advance(d); }
void FakeClock::Advance(std::chrono::milliseconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  wall_ += d;
  steady_ += d;
}

}  // namespace ecsync::base
