#include "controller/poll_backoff.h"

#include <algorithm>
#include <cstdint>

namespace ecsync::controller {

using std::chrono::milliseconds;

milliseconds PollBackoff::Failed(TimePoint now, milliseconds poll_interval,
                                 std::mt19937_64& random) {
  ++failures_;
  milliseconds delay = poll_interval.count() > 0 ? poll_interval : kWebhookOnlyBase;
  delay = std::min(delay, kMaxDelay);
  for (int i = 1; i < failures_ && delay < kMaxDelay; ++i) delay *= 2;
  // +-10%, so that repositories on one dead host do not retry in lockstep; the cap applies
  // after the jitter so that no delay exceeds it.
  std::uniform_real_distribution<double> factor(0.9, 1.1);
  delay = milliseconds(static_cast<int64_t>(static_cast<double>(delay.count()) * factor(random)));
  delay_ = std::min(delay, kMaxDelay);
  next_attempt_ = now + delay_;
  return delay_;
}

void PollBackoff::Reset() { *this = PollBackoff(); }

bool PollBackoff::Due(TimePoint now, bool triggered) const {
  return now >= next_attempt_ || (triggered && !early_spent_);
}

void PollBackoff::Started(TimePoint now) {
  if (!failing()) return;
  early_spent_ = now < next_attempt_;
}

void ShowBackoff(const std::string& name, const PollBackoff& backoff,
                 std::optional<PollBackoff::TimePoint> next_poll, base::Clock& clock,
                 StatusStore& status, metrics::Metrics* metrics) {
  const double seconds = std::chrono::duration<double>(backoff.delay()).count();
  std::optional<PollBackoff::TimePoint> next =
      backoff.failing() ? std::optional(backoff.next_attempt()) : next_poll;
  std::chrono::system_clock::time_point next_wall{};
  if (next) next_wall = clock.Now() + (*next - clock.SteadyNow());
  status.UpdateRepository(name, [&](RepositoryStatus& s) {
    s.consecutive_failures = backoff.failures();
    s.backoff_seconds = seconds;
    s.next_attempt = next_wall;
  });
  if (metrics != nullptr) metrics->SetGitBackoff(name, backoff.failures(), seconds);
}

}  // namespace ecsync::controller
