#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ecsync::server {

// A fixed set of threads running submitted tasks in order of arrival, with a bounded queue
// so that a flood of requests is refused instead of piling up. Thread-safe.
class WorkerPool {
 public:
  // Starts `threads` threads (at least one); at most `max_queued` tasks wait for a thread.
  WorkerPool(int threads, size_t max_queued);
  // Stop()s.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false (and `task` is dropped) when the queue is full or the pool stopped.
  bool TrySubmit(std::function<void()> task);
  // Waits for the running tasks to end, drops the queued ones and joins the threads.
  // Idempotent.
  void Stop();

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace ecsync::server
