#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "base/clock.h"
#include "controller/status.h"
#include "metrics/metrics.h"

namespace ecsync::controller {

// When a repository whose checks keep failing is checked again.
//
// After the n-th consecutive failure the next check is due after
// min(base * 2^(n-1) * uniform(0.9, 1.1), kMaxDelay), where base is the repository's
// poll_interval (kWebhookOnlyBase when it is 0, at most kMaxDelay). This holds from the
// first failure, whatever started the check (the start, a reload, a webhook, the schedule),
// so an unreachable host or a refused password costs one attempt per delay, not a loop.
//
// Webhooks: a webhook that arrives while the repository backs off may check it at once, but
// only once per scheduled retry: that early check is spent when it starts and is given back
// only when a check starts at or after the due time (or by Reset). So a storm of webhooks
// for a failing repository adds at most one attempt per delay, and the delays still double.
// A webhook that finds the early check spent is not lost: the caller keeps it pending and
// the check at the due time serves it.
//
// A value type with no lock; the Controller guards it with its mutex.
class PollBackoff {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  static constexpr std::chrono::milliseconds kMaxDelay = std::chrono::minutes(30);
  static constexpr std::chrono::milliseconds kWebhookOnlyBase = std::chrono::seconds(30);

  // A check that started at or before `now` failed. Returns the delay until the next one.
  std::chrono::milliseconds Failed(TimePoint now, std::chrono::milliseconds poll_interval,
                                   std::mt19937_64& random);
  // A check succeeded, or the repository's configuration changed: no backoff.
  void Reset();

  // Whether a check may start at `now`. REQUIRES: failing(). `triggered`: a webhook asked.
  bool Due(TimePoint now, bool triggered) const;
  // A check starts at `now` (Due said so, or the caller forces one). Spends the early check
  // when it starts before the due time.
  void Started(TimePoint now);

  bool failing() const { return failures_ > 0; }
  int failures() const { return failures_; }
  // The delay chosen after the last failure; zero when not failing.
  std::chrono::milliseconds delay() const { return delay_; }
  // When the next scheduled check is due. Meaningful only while failing().
  TimePoint next_attempt() const { return next_attempt_; }

 private:
  int failures_ = 0;
  std::chrono::milliseconds delay_{0};
  TimePoint next_attempt_{};
  bool early_spent_ = false;
};

// Shows where repository `name`'s checks stand: consecutiveFailures, backoffSeconds and
// nextAttemptAt in `status`, ecsync_git_consecutive_failures and ecsync_git_backoff_seconds
// in `metrics` (may be null). While `backoff` is not failing, nextAttemptAt is `next_poll`
// (none when nullopt). Steady times are shown as wall times through `clock`.
void ShowBackoff(const std::string& name, const PollBackoff& backoff,
                 std::optional<PollBackoff::TimePoint> next_poll, base::Clock& clock,
                 StatusStore& status, metrics::Metrics* metrics);

}  // namespace ecsync::controller
