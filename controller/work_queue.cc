#include "controller/work_queue.h"

#include <algorithm>
#include <cmath>

namespace ecsync::controller {

namespace {

// The longest a worker sleeps before re-reading the clock while a key is delayed. Bounds
// the lateness when a clock jumps without Wake(); with SystemClock the exact remaining
// time is shorter than this or the worker simply re-checks and waits again.
constexpr std::chrono::milliseconds kMaxTimedWait{1'000};

WorkQueue::Options Normalized(WorkQueue::Options options) {
  options.workers = std::max(options.workers, 1);
  options.base_backoff = std::max(options.base_backoff, std::chrono::milliseconds(0));
  options.max_backoff = std::max(options.max_backoff, options.base_backoff);
  if (!(options.jitter >= 0)) options.jitter = 0;  // also catches NaN
  options.jitter = std::min(options.jitter, 1.0);
  return options;
}

}  // namespace

WorkQueue::WorkQueue(Options options, base::Clock& clock, Handler handler)
    : options_(Normalized(options)),
      clock_(clock),
      handler_(std::move(handler)),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

WorkQueue::~WorkQueue() { Stop(); }

void WorkQueue::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

void WorkQueue::Stop(bool drain) {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      drain_ = drain;
      for (const auto& entry : delayed_) keys_.erase(entry.second);
      delayed_.clear();
      if (!drain) {
        for (const std::string& key : ready_) keys_.erase(key);
        ready_.clear();
      }
      cv_.notify_all();
    }
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
  // Without workers nothing would ever run what is left (Add before Start, then Stop).
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : ready_) keys_.erase(key);
  ready_.clear();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  const TimePoint now = clock_.SteadyNow();
  ScheduleLocked(key, now, now);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  const TimePoint now = clock_.SteadyNow();
  ScheduleLocked(key, now + std::max(delay, std::chrono::milliseconds(0)), now);
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  KeyState& state = it->second;
  switch (state.phase) {
    case Phase::kRunning:
      // The entry must outlive the run; FinishLocked drops it.
      state.after_run.reset();
      state.forgotten = true;
      state.failures = 0;
      return;
    case Phase::kReady:
      ready_.erase(std::find(ready_.begin(), ready_.end(), key));
      break;
    case Phase::kDelayed:
      delayed_.erase({state.due, key});
      break;
    case Phase::kIdle:
      break;
  }
  keys_.erase(it);
}

void WorkQueue::Wake() {
  // Taking the lock orders this notify after any worker that read the old time is waiting.
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

size_t WorkQueue::Depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  const TimePoint now = clock_.SteadyNow();
  size_t due = ready_.size();
  for (auto it = delayed_.begin(); it != delayed_.end() && it->first <= now; ++it) ++due;
  return due;
}

size_t WorkQueue::Running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

std::optional<std::chrono::milliseconds> WorkQueue::LongestRunning() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<TimePoint> oldest;
  for (const auto& [key, state] : keys_) {
    if (state.phase == Phase::kRunning && (!oldest || state.started < *oldest)) {
      oldest = state.started;
    }
  }
  if (!oldest) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SteadyNow() - *oldest);
}

bool WorkQueue::Idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.empty();
}

void WorkQueue::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const TimePoint now = clock_.SteadyNow();
    PromoteDueLocked(now);
    if (!ready_.empty()) {
      // A copy: the handler and FinishLocked need the key after ready_ changes.
      const std::string key = ready_.front();
      ready_.pop_front();
      KeyState& state = keys_[key];
      state.phase = Phase::kRunning;
      state.started = now;
      ++running_;
      // This worker may have been the one sleeping until the earliest due time, and the
      // others may be sleeping without a deadline: make one of them take over the timer.
      if (!delayed_.empty()) cv_.notify_one();
      lock.unlock();
      const Outcome outcome = handler_(key);
      lock.lock();
      FinishLocked(key, outcome, clock_.SteadyNow());
      continue;
    }
    // Stop leaves nothing delayed and nothing new is delayed after it, so an empty ready_
    // means this worker is done. A run still going elsewhere requeues its own key (dirty,
    // with drain) and its worker picks it up.
    if (stopping_) return;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      const auto remaining = delayed_.begin()->first - now;
      cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(remaining, kMaxTimedWait));
    }
  }
}

void WorkQueue::ScheduleLocked(const std::string& key, TimePoint due, TimePoint now) {
  KeyState& state = keys_[key];
  switch (state.phase) {
    case Phase::kReady:
      return;  // already due now, the earliest there is
    case Phase::kRunning:
      // Never two runs of one key at a time: remember the trigger for when this run ends.
      if (!state.after_run || due < *state.after_run) state.after_run = due;
      return;
    case Phase::kDelayed:
      if (state.due <= due) return;
      // An earlier trigger wins. This is how Add overrides a retry backoff: a new commit or
      // webhook runs the key now instead of waiting out the delay of the last failure.
      delayed_.erase({state.due, key});
      break;
    case Phase::kIdle:
      break;
  }
  if (due <= now) {
    state.phase = Phase::kReady;
    ready_.push_back(key);
    cv_.notify_one();
    return;
  }
  state.phase = Phase::kDelayed;
  state.due = due;
  auto [it, inserted] = delayed_.emplace(due, key);
  // A new earliest due time: a sleeping worker must shorten its wait.
  if (it == delayed_.begin()) cv_.notify_one();
}

void WorkQueue::PromoteDueLocked(TimePoint now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    const std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    keys_[key].phase = Phase::kReady;
    ready_.push_back(key);
    cv_.notify_one();  // for the second and later keys; one spare wakeup is harmless
  }
}

void WorkQueue::FinishLocked(const std::string& key, Outcome outcome, TimePoint now) {
  --running_;
  auto it = keys_.find(key);
  KeyState& state = it->second;
  state.phase = Phase::kIdle;
  std::optional<TimePoint> next = state.after_run;
  state.after_run.reset();
  if (state.forgotten) {
    state.forgotten = false;  // the outcome belongs to a project that is gone
  } else if (outcome == Outcome::kDone) {
    state.failures = 0;
  } else {
    ++state.failures;
    const TimePoint retry = now + BackoffLocked(state.failures);
    if (!next || retry < *next) next = retry;
  }
  if (stopping_ && next && !(drain_ && *next <= now)) next.reset();
  if (!next) {
    keys_.erase(it);
    return;
  }
  ScheduleLocked(key, *next, now);
}

std::chrono::milliseconds WorkQueue::BackoffLocked(int failures) {
  int64_t delay = options_.base_backoff.count();
  const int64_t cap = options_.max_backoff.count();
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  if (options_.jitter > 0) {
    std::uniform_real_distribution<double> factor(1 - options_.jitter, 1 + options_.jitter);
    delay = std::llround(static_cast<double>(delay) * factor(rng_));
  }
  return std::chrono::milliseconds(std::max<int64_t>(delay, 0));
}

}  // namespace ecsync::controller
