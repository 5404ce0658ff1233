#include "notify/dispatcher.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "base/log.h"
#include "notify/retry_after.h"

namespace ecsync::notify {

namespace {

// The longest real-time wait before the worker reads the clock again (see the class comment).
constexpr std::chrono::milliseconds kMaxTimedWait{1000};

std::string TypeOf(const std::string& name) { return name.substr(0, name.find(':')); }

bool Retryable(const base::Status& status) {
  return status.kind() == base::ErrorKind::kThrottled ||
         status.kind() == base::ErrorKind::kTransient;
}

}  // namespace

Dispatcher::Dispatcher(base::Clock& clock, metrics::Metrics* metrics, DispatcherOptions options)
    : clock_(clock),
      metrics_(metrics),
      options_(options),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

Dispatcher::~Dispatcher() { Stop(std::chrono::milliseconds(0)); }

void Dispatcher::AddSink(std::unique_ptr<Sink> sink) {
  SinkQueue queue;
  queue.name = sink->name();
  queue.type = TypeOf(queue.name);
  queue.sink = std::move(sink);
  queues_.push_back(std::move(queue));
}

void Dispatcher::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  worker_ = std::thread([this] { WorkerLoop(); });
}

void Dispatcher::Publish(const Event& event) {
  // Filters are immutable, so they are asked without the lock.
  std::vector<size_t> wanted;
  for (size_t i = 0; i < queues_.size(); ++i) {
    if (queues_[i].sink->Wants(event)) wanted.push_back(i);
  }
  if (wanted.empty()) return;
  std::vector<std::string> dropped_types;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    for (size_t i : wanted) {
      SinkQueue& queue = queues_[i];
      auto it = queue.waiting.find(event.project_key);
      if (it != queue.waiting.end()) {
        it->second = Waiting{event, 0};
        ++counts_.coalesced;
        continue;
      }
      if (queue.order.size() >= std::max<size_t>(1, options_.queue_capacity)) {
        queue.waiting.erase(queue.order.front());
        queue.order.pop_front();
        ++counts_.dropped;
        dropped_types.push_back(queue.type);
      }
      queue.order.push_back(event.project_key);
      queue.waiting.emplace(event.project_key, Waiting{event, 0});
    }
  }
  cv_.notify_one();
  for (const std::string& type : dropped_types) {
    if (metrics_ != nullptr) metrics_->Notification(type, "dropped");
  }
}

void Dispatcher::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_by_ = clock_.SteadyNow() + grace;
    }
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (SinkQueue& queue : queues_) DropLocked(queue);  // never started
}

void Dispatcher::Wake() {
  // Taking the lock orders this notify after a worker that read the old time is waiting.
  { std::lock_guard<std::mutex> lock(mu_); }
  cv_.notify_all();
}

Dispatcher::Counts Dispatcher::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

size_t Dispatcher::Pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t pending = 0;
  for (const SinkQueue& queue : queues_) pending += queue.order.size() + (queue.busy ? 1 : 0);
  return pending;
}

int Dispatcher::NextDueLocked(TimePoint now) {
  for (size_t n = 0; n < queues_.size(); ++n) {
    const size_t i = (next_queue_ + n) % queues_.size();
    const SinkQueue& queue = queues_[i];
    if (!queue.order.empty() && !queue.busy && queue.next_attempt <= now) {
      next_queue_ = (i + 1) % queues_.size();
      return static_cast<int>(i);
    }
  }
  return -1;
}

Dispatcher::TimePoint Dispatcher::EarliestLocked() const {
  TimePoint earliest = TimePoint::max();
  for (const SinkQueue& queue : queues_) {
    if (!queue.order.empty()) earliest = std::min(earliest, queue.next_attempt);
  }
  return earliest;
}

size_t Dispatcher::DropLocked(SinkQueue& queue) {
  const size_t dropped = queue.order.size();
  for (size_t i = 0; i < dropped && metrics_ != nullptr; ++i) {
    metrics_->Notification(queue.type, "dropped");
  }
  queue.order.clear();
  queue.waiting.clear();
  counts_.dropped += dropped;
  if (dropped > 0) {
    base::Log(base::LogLevel::kWarn, "notifications dropped at shutdown",
              {{"sink", queue.name}, {"events", std::to_string(dropped)}});
  }
  return dropped;
}

std::chrono::milliseconds Dispatcher::BackoffLocked(int attempts, const base::Status& status) {
  using std::chrono::milliseconds;
  milliseconds delay = options_.initial_backoff;
  for (int i = 1; i < attempts && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> factor(1.0 - jitter, 1.0 + jitter);
  delay = milliseconds(static_cast<int64_t>(static_cast<double>(delay.count()) * factor(rng_)));
  if (auto retry_after = RetryAfterOf(status)) {
    delay = std::max(delay, std::min<milliseconds>(*retry_after, options_.max_retry_after));
  }
  return delay;
}

void Dispatcher::DeliverHead(size_t index, std::unique_lock<std::mutex>& lock) {
  SinkQueue& queue = queues_[index];
  const std::string key = queue.order.front();
  queue.order.pop_front();
  Waiting item = std::move(queue.waiting.at(key));
  queue.waiting.erase(key);
  queue.busy = true;
  lock.unlock();
  const base::Status status = queue.sink->Deliver(item.event);
  lock.lock();
  queue.busy = false;
  const int attempts = item.attempts + 1;
  const char* result = nullptr;
  bool again = false;
  if (status.ok()) {
    queue.next_attempt = {};
    ++counts_.delivered;
    result = "delivered";
  } else if (Retryable(status) && attempts < options_.max_attempts) {
    ++counts_.retried;
    const TimePoint due = clock_.SteadyNow() + BackoffLocked(attempts, status);
    queue.next_attempt = due;
    if (queue.waiting.contains(key)) {
      ++counts_.coalesced;  // a newer event for the project waits already: it goes instead
    } else if (stopping_ && due > stop_by_) {
      ++counts_.dropped;
      result = "dropped";
    } else {
      again = true;
    }
  } else {
    ++counts_.failed;
    result = "failed";
  }
  if (result != nullptr && std::string_view(result) != "delivered") {
    base::Log(base::LogLevel::kWarn, "notification not delivered",
              {{"sink", queue.name},
               {"event", EventKindName(item.event.kind)},
               {"project", item.event.project_key},
               {"revision", item.event.revision},
               {"attempts", std::to_string(attempts)},
               {"error", status.ToString()}});
  } else if (!status.ok()) {
    base::Log(
        base::LogLevel::kDebug, "notification will be retried",
        {{"sink", queue.name}, {"project", item.event.project_key}, {"error", status.ToString()}});
  }
  if (again) {
    // Back at the head: the sink's order is kept while it retries.
    item.attempts = attempts;
    queue.order.push_front(key);
    queue.waiting.emplace(key, std::move(item));
  }
  if (result != nullptr && metrics_ != nullptr) {
    lock.unlock();
    metrics_->Notification(queue.type, result);
    lock.lock();
  }
}

void Dispatcher::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const TimePoint now = clock_.SteadyNow();
    if (stopping_ && now >= stop_by_) break;
    const int due = NextDueLocked(now);
    if (due >= 0) {
      DeliverHead(static_cast<size_t>(due), lock);
      continue;
    }
    if (stopping_) {
      // A sink waiting for a retry past the grace period will not be tried again.
      for (SinkQueue& queue : queues_) {
        if (!queue.order.empty() && queue.next_attempt > stop_by_) DropLocked(queue);
      }
    }
    TimePoint until = EarliestLocked();
    if (stopping_) {
      if (until == TimePoint::max()) break;  // drained
      until = std::min(until, stop_by_);
    }
    if (until == TimePoint::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(until - now, kMaxTimedWait));
    }
  }
  for (SinkQueue& queue : queues_) DropLocked(queue);
}

}  // namespace ecsync::notify
