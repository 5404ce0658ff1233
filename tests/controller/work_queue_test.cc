#include "controller/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "tests/support/support.h"

namespace ecsync::controller {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Outcome = WorkQueue::Outcome;
using testing::WaitUntil;

// Handlers that call Wait() block until the test calls Release().
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Opens the gate when it goes out of scope. Declared after the queue, so that a failed
// ASSERT does not leave the queue's destructor waiting for a handler stuck at the gate.
class OpenAtExit {
 public:
  explicit OpenAtExit(Gate& gate) : gate_(gate) {}
  ~OpenAtExit() { gate_.Release(); }

 private:
  Gate& gate_;
};

// Counts runs per key; thread-safe.
class Runs {
 public:
  void Record(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    ++runs_[key];
  }
  int Of(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    return runs_[key];
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> runs_;
};

WorkQueue::Options Opts(int workers, milliseconds base = seconds(10),
                        milliseconds max = seconds(30), double jitter = 0.2) {
  WorkQueue::Options options;
  options.workers = workers;
  options.base_backoff = base;
  options.max_backoff = max;
  options.jitter = jitter;
  options.seed = 42;
  return options;
}

// The key has finished its run and waits out a delay.
bool Delayed(const WorkQueue& queue) {
  return queue.Running() == 0 && queue.Depth() == 0 && !queue.Idle();
}

// Advances `clock` in `step`s until `key`'s retry becomes due (Depth counts it, or a worker
// already took it) and returns how far the clock moved; checks at most `limit`.
milliseconds AdvanceUntilDue(base::FakeClock& clock, WorkQueue& queue, Runs& runs,
                             const std::string& key, milliseconds step, milliseconds limit) {
  const int runs_before = runs.Of(key);
  milliseconds moved{0};
  while (moved <= limit) {
    if (queue.Depth() > 0 || queue.Running() > 0 || runs.Of(key) > runs_before) return moved;
    clock.Advance(step);
    moved += step;
  }
  return moved;
}

TEST(WorkQueue, AddsWhileRunningCauseExactlyOneMoreRun) {
  Gate gate;
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(2), clock, [&](const std::string& key) {
    runs.Record(key);
    if (runs.Of(key) == 1) gate.Wait();
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("shop/web");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  for (int i = 0; i < 100; ++i) queue.Add("shop/web");
  EXPECT_EQ(queue.Depth(), 0u);  // dirty, not waiting: it must not run beside itself
  EXPECT_EQ(queue.Running(), 1u);
  gate.Release();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(runs.Of("shop/web"), 2);
}

TEST(WorkQueue, AddsWhileWaitingCoalesce) {
  Gate gate;
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1), clock, [&](const std::string& key) {
    runs.Record(key);
    if (key == "blocker") gate.Wait();
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("blocker");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  for (int i = 0; i < 50; ++i) {
    queue.Add("shop/web");
    queue.Add("shop/api");
  }
  EXPECT_EQ(queue.Depth(), 2u);
  gate.Release();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(runs.Of("shop/web"), 1);
  EXPECT_EQ(runs.Of("shop/api"), 1);
  EXPECT_EQ(runs.Of("blocker"), 1);
}

TEST(WorkQueue, AddsBeforeStartRunOnStart) {
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(2), clock, [&](const std::string& key) {
    runs.Record(key);
    return Outcome::kDone;
  });
  for (int i = 0; i < 10; ++i) queue.Add("a");
  EXPECT_EQ(queue.Depth(), 1u);
  queue.Start();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(runs.Of("a"), 1);
}

TEST(WorkQueue, NeverRunsOneKeyTwiceAtOnce) {
  const std::vector<std::string> keys = {"a", "b", "c"};
  std::map<std::string, std::atomic<int>> in_flight;
  for (const auto& key : keys) in_flight[key] = 0;
  std::atomic<int> overlaps{0};
  std::atomic<int> total{0};
  base::FakeClock clock;
  WorkQueue queue(Opts(4), clock, [&](const std::string& key) {
    if (in_flight.at(key).fetch_add(1) != 0) overlaps.fetch_add(1);
    for (int i = 0; i < 200; ++i) std::this_thread::yield();  // widen the window
    in_flight.at(key).fetch_sub(1);
    total.fetch_add(1);
    return Outcome::kDone;
  });
  queue.Start();
  std::vector<std::thread> adders;
  adders.reserve(3);
  std::atomic<bool> stop_adding{false};
  for (int t = 0; t < 3; ++t) {
    adders.emplace_back([&] {
      // Yield between Adds: three spinning adders would starve the workers on a 2-core box.
      for (size_t i = 0; !stop_adding; ++i) {
        queue.Add(keys[i % keys.size()]);
        std::this_thread::yield();
      }
    });
  }
  // Adds keep arriving while keys run: plenty of chances to start a key beside itself.
  const bool ran_enough = WaitUntil([&] { return total.load() >= 300; });
  stop_adding = true;
  for (auto& adder : adders) adder.join();
  ASSERT_TRUE(ran_enough);
  EXPECT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(overlaps.load(), 0);
}

TEST(WorkQueue, RespectsGlobalConcurrencyLimit) {
  Gate gate;
  Runs runs;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  base::FakeClock clock;
  WorkQueue queue(Opts(2), clock, [&](const std::string& key) {
    const int now = in_flight.fetch_add(1) + 1;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    runs.Record(key);
    gate.Wait();
    in_flight.fetch_sub(1);
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  for (int i = 0; i < 5; ++i) queue.Add("project/" + std::to_string(i));
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 2; }));
  EXPECT_EQ(queue.Depth(), 3u);
  EXPECT_EQ(in_flight.load(), 2);
  gate.Release();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(max_in_flight.load(), 2);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(runs.Of("project/" + std::to_string(i)), 1);
}

TEST(WorkQueue, RetryBackoffDoublesUpToTheCapWithinJitter) {
  Runs runs;
  base::FakeClock clock;
  // base 10 s, cap 30 s, +-20%: delays in [8,12], [16,24], then [24,36] from the third on.
  WorkQueue queue(Opts(2, seconds(10), seconds(30), 0.2), clock, [&](const std::string& key) {
    runs.Record(key);
    return Outcome::kRetry;
  });
  queue.Start();
  queue.Add("k");
  const std::vector<std::pair<milliseconds, milliseconds>> bounds = {
      {seconds(8), seconds(12)},  {seconds(16), seconds(24)}, {seconds(24), seconds(36)},
      {seconds(24), seconds(36)}, {seconds(24), seconds(36)}, {seconds(24), seconds(36)},
  };
  std::vector<milliseconds> delays;
  for (size_t i = 0; i < bounds.size(); ++i) {
    ASSERT_TRUE(
        WaitUntil([&] { return runs.Of("k") == static_cast<int>(i + 1) && Delayed(queue); }));
    const auto [low, high] = bounds[i];
    // Not due a moment before the lower bound, even after the workers look again.
    clock.Advance(low - milliseconds(10));
    queue.Wake();
    EXPECT_EQ(queue.Depth(), 0u) << "retry " << i + 1;
    EXPECT_EQ(queue.Running(), 0u);
    EXPECT_EQ(runs.Of("k"), static_cast<int>(i + 1));
    const milliseconds delay =
        low - milliseconds(10) + AdvanceUntilDue(clock, queue, runs, "k", milliseconds(10), high);
    EXPECT_GE(delay, low) << "retry " << i + 1;
    EXPECT_LE(delay, high) << "retry " << i + 1;
    delays.push_back(delay);
    queue.Wake();
  }
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == static_cast<int>(bounds.size() + 1); }));
  // Jitter spreads the capped delays.
  EXPECT_FALSE(delays[2] == delays[3] && delays[3] == delays[4] && delays[4] == delays[5]);
}

TEST(WorkQueue, BackoffWithoutJitterIsExact) {
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1, seconds(5), seconds(15), 0), clock, [&](const std::string& key) {
    runs.Record(key);
    return Outcome::kRetry;
  });
  queue.Start();
  queue.Add("k");
  for (milliseconds expected : {seconds(5), seconds(10), seconds(15), seconds(15)}) {
    ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") > 0 && Delayed(queue); }));
    const int before = runs.Of("k");
    clock.Advance(expected - milliseconds(1));
    queue.Wake();
    EXPECT_EQ(queue.Depth(), 0u);
    EXPECT_EQ(runs.Of("k"), before);
    clock.Advance(milliseconds(1));
    queue.Wake();
    ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == before + 1; })) << expected.count();
  }
}

TEST(WorkQueue, DoneResetsBackoff) {
  Gate gate;
  Runs runs;
  std::vector<Outcome> script = {Outcome::kRetry, Outcome::kRetry, Outcome::kRetry,
                                 Outcome::kDone,  Outcome::kRetry, Outcome::kDone};
  base::FakeClock clock;
  WorkQueue queue(Opts(1, seconds(10), seconds(100), 0), clock, [&](const std::string& key) {
    runs.Record(key);
    if (runs.Of(key) == 4) gate.Wait();
    return script[runs.Of(key) - 1];
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("k");
  for (milliseconds delay : {seconds(10), seconds(20), seconds(40)}) {
    ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") > 0 && Delayed(queue); }));
    clock.Advance(delay);
    queue.Wake();
  }
  // The fourth run returns kDone; an Add while it runs makes the fifth follow at once, and
  // that one fails again: back to the base backoff, not 80 s.
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 4 && queue.Running() == 1; }));
  queue.Add("k");
  gate.Release();
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 5 && Delayed(queue); }));
  clock.Advance(seconds(10) - milliseconds(1));
  queue.Wake();
  EXPECT_EQ(queue.Depth(), 0u);
  clock.Advance(milliseconds(1));
  queue.Wake();
  EXPECT_TRUE(WaitUntil([&] { return runs.Of("k") == 6 && queue.Idle(); }));
}

TEST(WorkQueue, AddOverridesBackoffButKeepsTheFailureCount) {
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1, seconds(10), seconds(100), 0), clock, [&](const std::string& key) {
    runs.Record(key);
    return Outcome::kRetry;
  });
  queue.Start();
  queue.Add("k");
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 1 && Delayed(queue); }));
  queue.Add("k");  // a new commit: run now, not in 10 s
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 2 && Delayed(queue); }));
  // Second consecutive failure: 20 s.
  clock.Advance(seconds(20) - milliseconds(1));
  EXPECT_EQ(queue.Depth(), 0u);
  clock.Advance(milliseconds(1));
  queue.Wake();
  EXPECT_TRUE(WaitUntil([&] { return runs.Of("k") == 3; }));
}

TEST(WorkQueue, AddAfterRunsWhenDueAndKeepsTheEarlierTime) {
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(2), clock, [&](const std::string& key) {
    runs.Record(key);
    return Outcome::kDone;
  });
  queue.Start();
  queue.AddAfter("a", seconds(30));
  queue.AddAfter("a", seconds(60));  // later: ignored
  queue.AddAfter("b", seconds(60));
  queue.AddAfter("b", seconds(20));  // earlier: wins
  EXPECT_EQ(queue.Depth(), 0u);
  EXPECT_FALSE(queue.Idle());
  clock.Advance(seconds(20) - milliseconds(1));
  queue.Wake();
  EXPECT_EQ(queue.Depth(), 0u);
  clock.Advance(milliseconds(1));
  queue.Wake();
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("b") == 1; }));
  EXPECT_EQ(runs.Of("a"), 0);
  clock.Advance(seconds(10));
  queue.Wake();
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("a") == 1 && queue.Idle(); }));
  EXPECT_EQ(runs.Of("b"), 1);

  // Add on a delayed key runs it now.
  queue.AddAfter("c", seconds(60));
  queue.Add("c");
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("c") == 1 && queue.Idle(); }));
}

TEST(WorkQueue, AddAfterKeepsAWaitingKeyDue) {
  Gate gate;
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1), clock, [&](const std::string& key) {
    runs.Record(key);
    if (key == "blocker") gate.Wait();
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("blocker");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  queue.Add("k");
  queue.AddAfter("k", seconds(60));
  EXPECT_EQ(queue.Depth(), 1u);
  gate.Release();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(runs.Of("k"), 1);
}

TEST(WorkQueue, DelayedKeysRunWithTheSystemClock) {
  Runs runs;
  std::vector<std::chrono::steady_clock::time_point> starts;
  std::mutex mu;
  WorkQueue queue(Opts(2, milliseconds(20), milliseconds(40), 0.2), *base::SystemClock::Get(),
                  [&](const std::string& key) {
                    {
                      std::lock_guard<std::mutex> lock(mu);
                      starts.push_back(std::chrono::steady_clock::now());
                    }
                    runs.Record(key);
                    return runs.Of(key) < 3 ? Outcome::kRetry : Outcome::kDone;
                  });
  queue.Start();
  const auto added = std::chrono::steady_clock::now();
  queue.AddAfter("k", milliseconds(30));
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 3 && queue.Idle(); }));  // no Wake() needed
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_GE(starts[0] - added, milliseconds(30));
  EXPECT_GE(starts[1] - starts[0], milliseconds(16));  // 20 ms - 20%
  EXPECT_GE(starts[2] - starts[1], milliseconds(32));  // 40 ms - 20%
}

TEST(WorkQueue, DelayedKeyRunsWhileAnotherWorkerIsBusy) {
  // Whichever worker was watching the timer may be the one that takes the blocking key; a
  // free worker must still run the delayed key on time.
  Gate gate;
  Runs runs;
  WorkQueue queue(Opts(2), *base::SystemClock::Get(), [&](const std::string& key) {
    runs.Record(key);
    if (key == "blocker") gate.Wait();
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  for (int i = 0; i < 20; ++i) {
    const std::string delayed = "delayed/" + std::to_string(i);
    queue.AddAfter(delayed, milliseconds(5));
    queue.Add("blocker");
    EXPECT_TRUE(WaitUntil([&] { return runs.Of(delayed) == 1; })) << i;
    EXPECT_EQ(queue.Running(), 1u);
    gate.Release();
    ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
    gate.Reset();
  }
}

TEST(WorkQueue, ForgetDropsAWaitingKey) {
  Gate gate;
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1), clock, [&](const std::string& key) {
    runs.Record(key);
    if (key == "blocker") gate.Wait();
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("blocker");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  queue.Add("gone");
  queue.Add("kept");
  queue.AddAfter("gone-later", seconds(5));
  queue.Forget("gone");
  queue.Forget("gone-later");
  queue.Forget("never-added");
  EXPECT_EQ(queue.Depth(), 1u);
  gate.Release();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  clock.Advance(seconds(10));
  queue.Wake();
  EXPECT_TRUE(queue.Idle());
  EXPECT_EQ(queue.Depth(), 0u);
  EXPECT_EQ(runs.Of("kept"), 1);
  EXPECT_EQ(runs.Of("gone"), 0);
  EXPECT_EQ(runs.Of("gone-later"), 0);
}

TEST(WorkQueue, ForgetDropsBackoffState) {
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1, seconds(10), seconds(100), 0), clock, [&](const std::string& key) {
    runs.Record(key);
    return Outcome::kRetry;
  });
  queue.Start();
  queue.Add("k");
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 1 && Delayed(queue); }));
  clock.Advance(seconds(10));
  queue.Wake();
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 2 && Delayed(queue); }));  // next: 20 s
  queue.Forget("k");
  EXPECT_TRUE(queue.Idle());
  clock.Advance(seconds(100));
  queue.Wake();
  EXPECT_TRUE(queue.Idle());
  EXPECT_EQ(runs.Of("k"), 2);
  // Re-added, it starts from the base backoff again.
  queue.Add("k");
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 3 && Delayed(queue); }));
  clock.Advance(seconds(10));
  queue.Wake();
  EXPECT_TRUE(WaitUntil([&] { return runs.Of("k") == 4; }));
}

TEST(WorkQueue, ForgetWhileRunningIgnoresTheOutcome) {
  Gate gate;
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1), clock, [&](const std::string& key) {
    runs.Record(key);
    gate.Wait();
    return Outcome::kRetry;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("k");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  queue.Add("k");  // dirty
  queue.Forget("k");
  gate.Release();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(runs.Of("k"), 1);
}

TEST(WorkQueue, HandlersRunWithoutTheLock) {
  Runs runs;
  base::FakeClock clock;
  WorkQueue* self = nullptr;
  WorkQueue queue(Opts(1), clock, [&](const std::string& key) {
    runs.Record(key);
    // Would deadlock if the queue's lock were held.
    EXPECT_EQ(self->Running(), 1u);
    if (runs.Of(key) == 1) self->Add(key);
    return Outcome::kDone;
  });
  self = &queue;
  queue.Start();
  queue.Add("k");
  ASSERT_TRUE(WaitUntil([&] { return runs.Of("k") == 2 && queue.Idle(); }));
}

TEST(WorkQueue, StopLetsTheRunningHandlerFinishAndRejectsNewWork) {
  Gate gate;
  Runs runs;
  std::atomic<bool> finished{false};
  base::FakeClock clock;
  WorkQueue queue(Opts(1), clock, [&](const std::string& key) {
    runs.Record(key);
    if (key == "running") {
      gate.Wait();
      finished = true;
    }
    return Outcome::kRetry;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("running");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  queue.Add("waiting");
  queue.Add("running");  // dirty: dropped by a stop without drain
  EXPECT_EQ(queue.Depth(), 1u);
  std::thread stopper([&] { queue.Stop(); });
  ASSERT_TRUE(WaitUntil([&] { return queue.Depth() == 0; }));  // Stop dropped "waiting"
  queue.Add("late");
  queue.AddAfter("late", seconds(1));
  EXPECT_EQ(queue.Depth(), 0u);
  EXPECT_EQ(queue.Running(), 1u);
  EXPECT_FALSE(finished.load());
  gate.Release();
  stopper.join();
  EXPECT_TRUE(finished.load());
  EXPECT_TRUE(queue.Idle());  // its kRetry was not scheduled
  EXPECT_EQ(runs.Of("running"), 1);
  EXPECT_EQ(runs.Of("waiting"), 0);
  EXPECT_EQ(runs.Of("late"), 0);
}

TEST(WorkQueue, StopWithDrainRunsWhatIsDue) {
  Gate gate;
  Runs runs;
  base::FakeClock clock;
  WorkQueue queue(Opts(1), clock, [&](const std::string& key) {
    runs.Record(key);
    if (key == "running" && runs.Of(key) == 1) gate.Wait();
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  queue.Start();
  queue.Add("running");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  queue.Add("waiting");
  queue.Add("running");  // dirty: runs once more while draining
  queue.AddAfter("delayed", seconds(1));
  std::thread stopper([&] { queue.Stop(/*drain=*/true); });
  gate.Release();
  stopper.join();
  queue.Add("late");
  EXPECT_TRUE(queue.Idle());
  EXPECT_EQ(runs.Of("running"), 2);
  EXPECT_EQ(runs.Of("waiting"), 1);
  EXPECT_EQ(runs.Of("delayed"), 0);
  EXPECT_EQ(runs.Of("late"), 0);
}

TEST(WorkQueue, DestructorStopsWithWorkPending) {
  Runs runs;
  base::FakeClock clock;
  {
    WorkQueue queue(Opts(2), clock, [&](const std::string& key) {
      runs.Record(key);
      return Outcome::kRetry;
    });
    queue.Start();
    queue.Add("k");
    ASSERT_TRUE(WaitUntil([&] { return Delayed(queue); }));
  }
  EXPECT_EQ(runs.Of("k"), 1);
}

TEST(WorkQueue, ReportsDepthRunningAndLongestRunning) {
  Gate gate;
  base::FakeClock clock;
  WorkQueue queue(Opts(2), clock, [&](const std::string&) {
    gate.Wait();
    return Outcome::kDone;
  });
  const OpenAtExit open_at_exit(gate);
  EXPECT_TRUE(queue.Idle());
  EXPECT_EQ(queue.LongestRunning(), std::nullopt);
  queue.Start();
  queue.Add("a");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 1; }));
  clock.Advance(seconds(5));
  queue.Add("b");
  ASSERT_TRUE(WaitUntil([&] { return queue.Running() == 2; }));
  clock.Advance(seconds(2));
  queue.Add("c");
  queue.AddAfter("d", seconds(1));
  EXPECT_EQ(queue.Running(), 2u);
  EXPECT_EQ(queue.Depth(), 1u);
  EXPECT_EQ(queue.LongestRunning(), milliseconds(7000));
  EXPECT_FALSE(queue.Idle());
  clock.Advance(seconds(1));
  EXPECT_EQ(queue.Depth(), 2u);  // "d" is due now, though no worker is free to take it
  gate.Release();
  queue.Wake();
  ASSERT_TRUE(WaitUntil([&] { return queue.Idle(); }));
  EXPECT_EQ(queue.Running(), 0u);
  EXPECT_EQ(queue.Depth(), 0u);
  EXPECT_EQ(queue.LongestRunning(), std::nullopt);
}

}  // namespace
}  // namespace ecsync::controller
