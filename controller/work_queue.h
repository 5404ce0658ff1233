#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace ecsync::controller {

// A keyed work queue: the controller's one place that decides when a project (key, e.g.
// "shop/web") is reconciled. Semantics:
//
// - One run per key at a time, at most `workers` runs in total (the global concurrency
//   limit). Due keys are served first in, first out.
// - Coalescing: Add of a key that is already waiting does nothing; Add of a key that is
//   running marks it dirty, and it runs exactly once more after the current run, however
//   many Adds came in meanwhile.
// - Per-key backoff: a run that returns kRetry is re-run after
//   min(base_backoff * 2^(n-1), max_backoff) * uniform(1 - jitter, 1 + jitter), where n
//   counts the key's consecutive kRetry outcomes (the cap applies before jitter, so a delay
//   can reach max_backoff * (1 + jitter)). kDone resets n to 0.
// - Add means "something changed" (a new commit, a webhook): it always runs the key now,
//   also when the key is waiting out a retry backoff. It does not reset n, so if that run
//   fails too the next backoff is longer. A dirty key whose run returned kRetry likewise
//   runs again at once.
// - AddAfter schedules a run at now + delay unless the key is already due earlier.
// - Forget drops a key's pending run and its backoff state; a run in progress finishes and
//   its outcome is ignored.
//
// Time: due times come from the injected Clock's SteadyNow(). A worker with nothing due
// sleeps on a condition variable until the earliest due time, converted to a real-time
// wait and capped at one second, and then re-reads the clock. With SystemClock that is an
// ordinary timed wait. A FakeClock does not move by itself: after FakeClock::Advance a test
// calls Wake() so the workers re-evaluate due items at once (without Wake they would notice
// within the one-second cap). Depth() reads the clock itself, so it counts a delayed key as
// due as soon as the clock passes its due time, whether or not a worker has woken yet.
//
// Thread-safe. Handlers run on the worker threads without the queue's lock held, so a
// handler may call Add, AddAfter, Forget and the observers (but not Stop).
class WorkQueue {
 public:
  enum class Outcome {
    kDone,   // finished (successfully, or failed in a way a retry cannot fix)
    kRetry,  // failed in a way worth retrying: re-run after the key's backoff
  };
  // Runs one reconcile of `key`. Must not throw.
  using Handler = std::function<Outcome(const std::string& key)>;

  struct Options {
    int workers = 4;  // threads, and so the most runs at the same time; at least 1
    std::chrono::milliseconds base_backoff{std::chrono::seconds(5)};
    std::chrono::milliseconds max_backoff{std::chrono::minutes(5)};
    double jitter = 0.2;  // +-20%; clamped to [0, 1]
    uint64_t seed = 0;    // for the jitter; 0: random
  };

  // `clock` must outlive the queue. Nothing runs before Start().
  WorkQueue(Options options, base::Clock& clock, Handler handler);
  // Calls Stop() (without draining).
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Starts the worker threads. Keys added before Start() run then. Calling it again, or
  // after Stop(), does nothing.
  void Start();

  // Stops accepting work (later Add/AddAfter calls are ignored), lets running handlers
  // finish and joins the threads. Without `drain` the waiting keys are dropped; with it the
  // workers first run every key that is due, including once-more runs of keys that were
  // dirty; delayed keys (backoffs, AddAfter) are dropped either way and retries are not
  // scheduled. Idempotent. Must not be called from a handler.
  void Stop(bool drain = false);

  // Schedules `key` to run now (see the class comment for coalescing and backoff).
  void Add(const std::string& key);
  // Schedules `key` to run at now + delay; if the key is already due earlier (waiting, or
  // delayed to an earlier time, or dirty while running) the earlier time stays.
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Drops `key`'s pending run and its backoff state (the project left the config). A run in
  // progress finishes; its outcome is ignored. A later Add starts afresh.
  void Forget(const std::string& key);
  // Makes the workers re-read the clock now. Needed only with a clock that jumps (FakeClock).
  void Wake();

  // Keys waiting whose time has come (not running, not delayed to a later time).
  size_t Depth() const;
  // Handlers running now.
  size_t Running() const;
  // How long the oldest running handler has been running; nullopt when none runs.
  std::optional<std::chrono::milliseconds> LongestRunning() const;
  // Nothing waiting, delayed or running.
  bool Idle() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Where a key is. A key has an entry in keys_ exactly when it is not kIdle.
  enum class Phase { kIdle, kReady, kDelayed, kRunning };
  struct KeyState {
    Phase phase = Phase::kIdle;
    TimePoint due{};                     // kDelayed: when it becomes due
    TimePoint started{};                 // kRunning: when the run started
    std::optional<TimePoint> after_run;  // kRunning: run again at this time (Add: now)
    bool forgotten = false;              // kRunning: Forget was called; ignore the outcome
    int failures = 0;                    // consecutive kRetry outcomes
  };

  void WorkerLoop();
  // Puts `key` in line to run at `due` unless it is already due no later.
  void ScheduleLocked(const std::string& key, TimePoint due, TimePoint now);
  // Moves delayed keys whose time has come to ready_.
  void PromoteDueLocked(TimePoint now);
  void FinishLocked(const std::string& key, Outcome outcome, TimePoint now);
  std::chrono::milliseconds BackoffLocked(int failures);

  const Options options_;
  base::Clock& clock_;
  const Handler handler_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, KeyState> keys_;                 // guarded by mu_
  std::deque<std::string> ready_;                        // guarded by mu_; due keys, FIFO
  std::set<std::pair<TimePoint, std::string>> delayed_;  // guarded by mu_; by due time
  size_t running_ = 0;                                   // guarded by mu_
  bool started_ = false;                                 // guarded by mu_
  bool stopping_ = false;                                // guarded by mu_
  bool drain_ = false;                                   // guarded by mu_
  std::mt19937_64 rng_;                                  // guarded by mu_
  std::vector<std::thread> threads_;                     // guarded by mu_
};

}  // namespace ecsync::controller
