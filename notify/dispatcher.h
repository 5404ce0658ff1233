#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "metrics/metrics.h"
#include "notify/event.h"
#include "notify/publisher.h"

namespace ecsync::notify {

struct DispatcherOptions {
  // Events waiting per sink. When a sink's queue is full, its oldest waiting event is dropped
  // (and counted), so a sink that is down costs bounded memory and the newest news survives.
  size_t queue_capacity = 1000;
  // Deliveries of one event, the first included; kThrottled and kTransient are retried.
  int max_attempts = 5;
  // Before retry n (n = 1, 2, ...): min(initial_backoff * 2^(n-1), max_backoff), times a
  // uniform factor in [1 - jitter, 1 + jitter]; at least a Retry-After the sink passed on
  // (see notify/retry_after.h), up to max_retry_after.
  std::chrono::milliseconds initial_backoff{std::chrono::seconds(2)};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(2)};
  std::chrono::milliseconds max_retry_after{std::chrono::minutes(10)};
  double jitter = 0.2;
  uint64_t seed = 0;  // for the jitter; 0: random
};

// Delivers events to sinks on one worker thread, so that a reconcile never waits on Slack,
// Teams or a git host.
//
// - Each sink has its own queue. Publish asks each sink whether it Wants the event and puts
//   it in the queues of those that do. A delivery the sink failed with kThrottled/kTransient
//   is retried with backoff; meanwhile that sink's queue waits (its order is kept, and a
//   throttled endpoint is not hammered with its other events) while every other sink's
//   queue keeps flowing. Other errors, and the last failed attempt, drop the event (logged
//   with the sink's name and the error, which sinks keep free of secrets).
// - Coalescing: while an event for a project is waiting in a sink's queue (not yet handed to
//   the sink, or waiting for its retry), a newer event for the same project_key replaces it
//   in place; so a burst started -> failed -> started -> succeeded delivers the last only,
//   and the order across projects is the order of their first waiting event.
// - Time comes from the injected Clock. The worker sleeps on a condition variable until the
//   earliest retry is due, converted to a real-time wait and capped at one second, and then
//   reads the clock again. With a FakeClock a test calls Wake() after Advance() so the worker
//   re-reads it at once; nothing in here ever sleeps for a fixed time.
// - The worker calls one sink at a time; a sink's Deliver is bounded by its HTTP client's
//   timeouts (see Sink::Deliver), which bounds how long one hung endpoint delays the others.
//
// Thread-safe: Publish and the observers may be called from any thread at any time.
class Dispatcher final : public EventPublisher {
 public:
  // `clock` (and `metrics`, which may be null) must outlive the dispatcher.
  Dispatcher(base::Clock& clock, metrics::Metrics* metrics, DispatcherOptions options = {});
  // Stops without a grace period.
  ~Dispatcher() override;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // REQUIRES: before Start() and before the first Publish().
  void AddSink(std::unique_ptr<Sink> sink);
  size_t sink_count() const { return queues_.size(); }

  // Starts the worker. Events published before are delivered then. Once only.
  void Start();
  // Queues `event` for every sink that wants it. O(sinks) with one short lock; never waits
  // for a delivery. Ignored after Stop().
  void Publish(const Event& event) override;
  // Stops accepting events, keeps delivering what is queued until `grace` has passed on the
  // clock (a retry due later is dropped at once), drops the rest (counted) and joins the
  // worker. Idempotent. Waits for a delivery in progress.
  void Stop(std::chrono::milliseconds grace);
  // Makes the worker re-read the clock now (needed only with a clock that jumps).
  void Wake();

  struct Counts {
    uint64_t delivered = 0;
    uint64_t failed = 0;     // gave up: a permanent error or the last attempt failed
    uint64_t retried = 0;    // attempts that will be repeated
    uint64_t dropped = 0;    // evicted from a full queue, or left when Stop's grace ended
    uint64_t coalesced = 0;  // replaced by a newer event for the same project
  };
  Counts counts() const;
  // Events waiting or being delivered, over all sinks.
  size_t Pending() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Waiting {
    Event event;
    int attempts = 0;  // failed deliveries so far
  };
  struct SinkQueue {
    std::unique_ptr<Sink> sink;
    std::string name;  // sink->name(), read once
    std::string type;  // the name up to ':', for metrics: "slack", "teams", "webhook", ...
    std::deque<std::string> order;                     // project keys, oldest first, unique
    std::unordered_map<std::string, Waiting> waiting;  // by project key; same keys as order
    TimePoint next_attempt{};                          // the head waits for its retry until then
    bool busy = false;                                 // the worker is delivering one of its events
  };

  void WorkerLoop();
  // The next sink with a due head, round robin; -1 when none. REQUIRES: mu_ held.
  int NextDueLocked(TimePoint now);
  // The earliest retry time of a sink with waiting events; max() when none. REQUIRES: mu_.
  TimePoint EarliestLocked() const;
  // Delivers the head of queues_[index]. Called with `lock` held; releases it around Deliver.
  void DeliverHead(size_t index, std::unique_lock<std::mutex>& lock);
  std::chrono::milliseconds BackoffLocked(int attempts, const base::Status& status);
  // Drops every waiting event of `queue`, counted and logged. REQUIRES: mu_ held.
  size_t DropLocked(SinkQueue& queue);

  base::Clock& clock_;
  metrics::Metrics* const metrics_;
  const DispatcherOptions options_;
  std::vector<SinkQueue> queues_;  // fixed once started

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  TimePoint stop_by_{};    // guarded by mu_; when stopping_: the end of the grace period
  size_t next_queue_ = 0;  // guarded by mu_; round-robin start
  Counts counts_;          // guarded by mu_
  std::mt19937_64 rng_;    // guarded by mu_
  std::thread worker_;
};

}  // namespace ecsync::notify
