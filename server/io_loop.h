#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "server/listener.h"
#include "server/request_reader.h"
#include "server/worker_pool.h"

namespace ecsync::server {

// The event loop behind one Listener (an implementation detail of listener.cc; streams in
// io_loop_streams.cc): everything
// the I/O thread owns. Other threads only call RequestStop(), and workers hand finished
// responses back through done_ (under done_mutex_) and the wake-up eventfd.
class IoLoop {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // Takes ownership of `listen_fd`.
  IoLoop(const Listener::Options& options, const Listener::Callbacks& callbacks, int listen_fd);

  // Waits for running handlers, then closes every socket.
  ~IoLoop();

  // Creates the epoll and wake-up descriptors. kInternal when the kernel refuses.
  base::Status Init();

  // Serves until RequestStop(); runs on the listener's I/O thread.
  void Run();

  // Stops Run() soon; any thread.
  void RequestStop();

  // Queues `bytes` for every stream; any thread (see Listener::Broadcast).
  void Broadcast(std::string bytes);

  // Stops the workers, waiting for running handlers. After Run() returned.
  void StopWorkers() { pool_.Stop(); }

 private:
  enum class Phase {
    kReading,    // waiting for (more of) a request
    kHandling,   // a worker has the request; the socket is not watched
    kWriting,    // sending the response
    kLingering,  // response sent, write side shut; draining what the client still sends
    kStreaming,  // an event stream: written to by Broadcast() until either side closes
  };

  struct Connection {
    uint64_t id = 0;
    int fd = -1;
    std::string peer;
    RequestReader reader;
    Phase phase = Phase::kReading;
    SteadyClock::time_point deadline;
    // The deadline is the idle timeout between requests; the first byte of the next request
    // replaces it with the request timeout.
    bool waiting_idle = false;
    SteadyClock::time_point idle_since;
    bool watched = false;
    bool continue_sent = false;
    bool close_after = false;
    bool head_request = false;
    std::string out;
    size_t out_offset = 0;

    explicit Connection(const RequestLimits& limits) : reader(limits) {}
  };

  void Wake();

  void Refused(const char* reason);

  void SetDeadline(Connection& conn, SteadyClock::time_point deadline);

  void Watch(Connection& conn, uint32_t events);

  void Unwatch(Connection& conn);

  // Closes and forgets `conn`; the reference dangles afterwards.
  void Close(Connection& conn);

  // Answers 503 at once and closes a connection that is not taken on.
  void RefuseSocket(int fd, const char* reason);

  void Accept();
  bool EvictIdle();
  void OnEvent(uint64_t id, uint32_t events);
  void OnReadable(Connection& conn);
  // Acts on what the reader says; false when the connection must not be read from now
  // (handed to a worker, answering, or closed).
  bool Advance(Connection& conn, RequestReader::State state);
  void Dispatch(Connection& conn, const Listener::Handler& handler, Request request);
  void Respond(Connection& conn, const Response& response, bool close);
  // Turns `conn` into an event stream, or answers 503 over max_streams.
  void StartStream(Connection& conn, const Response& response);
  // Appends `bytes` to a stream's output and writes what the socket takes; closes a stream
  // whose client left more than max_stream_buffer unread.
  void SendOnStream(Connection& conn, const std::string& bytes);
  void SendToStreams(const std::string& bytes);
  void OnStreamEvent(Connection& conn, uint32_t events);
  void Flush(Connection& conn);
  void FinishResponse(Connection& conn);
  void DrainCompletions();
  void ExpireDeadlines(SteadyClock::time_point now);

  const Listener::Options& options_;
  const Listener::Callbacks& callbacks_;
  const int listen_fd_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  uint64_t next_id_ = 2;  // 0 and 1 are kListenId and kWakeId
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, size_t> per_client_;
  SteadyClock::time_point next_check_ = SteadyClock::time_point::max();
  bool accept_paused_ = false;
  SteadyClock::time_point accept_resume_;

  size_t streams_ = 0;  // connections in Phase::kStreaming
  SteadyClock::time_point next_heartbeat_ = SteadyClock::time_point::max();

  std::mutex done_mutex_;
  std::vector<std::pair<uint64_t, Response>> done_;  // guarded by done_mutex_
  std::vector<std::string> broadcasts_;              // guarded by done_mutex_
  WorkerPool pool_;  // ~IoLoop stops it first, while everything its tasks touch is alive
};

}  // namespace ecsync::server
