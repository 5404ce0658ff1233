#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "server/request.h"
#include "server/request_reader.h"

namespace ecsync::server {

class IoLoop;

// One HTTP/1.1 listening address served by one I/O thread (epoll, non-blocking sockets) and
// a small pool of worker threads that run the handler. The I/O thread never runs a handler
// and never blocks, so slow or idle clients cost a socket and a bounded buffer each, not a
// thread, and a slow handler stalls no other connection's reading or writing.
//
// Limits (all in Options):
//  - a whole request (first byte to last body byte, or accept to last byte for a new
//    connection) must arrive within request_timeout, however steadily it trickles: else 408
//    and close;
//  - between requests on a kept-alive connection, idle_timeout;
//  - a response not taken by the client within write_timeout: close;
//  - header count and size, request line and body size (RequestLimits): 431, 414, 413 (the
//    413 before the body is read);
//  - max_connections in total: when full, the connection idle the longest (no byte of a
//    request pending) is closed to make room; when none is idle, the new one gets 503;
//  - max_connections_per_client per peer IP: over it, 503 at once. Behind a proxy every
//    connection comes from the proxy's address: raise it to max_connections there;
//  - max_queued requests waiting for a worker: over it, 503.
//  - max_streams event streams (Response::stream) open at once: over it, 503. A stream holds
//    no worker: the handler returns at once and the I/O thread writes what Broadcast() sends
//    (and a heartbeat comment every stream_heartbeat) without blocking; a stream whose client
//    leaves more than max_stream_buffer unread, or reads nothing for write_timeout while
//    bytes wait, is closed ("slow_stream"). Streams have no request or idle deadline.
// Every refusal is reported to `refused` with a fixed reason word (see RefusalReason). No
// response carries internal details: a handler that throws yields a plain 500.
class Listener {
 public:
  struct Options {
    std::string name = "http";            // in logs
    std::string address = "127.0.0.1:0";  // host:port; port 0 picks a free one
    RequestLimits limits;
    std::chrono::milliseconds request_timeout{10'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds write_timeout{10'000};
    size_t max_connections = 512;
    size_t max_connections_per_client = 64;
    int workers = 2;
    size_t max_queued = 128;
    size_t max_streams = 32;
    std::chrono::milliseconds stream_heartbeat{15'000};
    size_t max_stream_buffer = size_t{256} * 1024;
  };

  using Handler = std::function<Response(const Request&)>;
  struct Callbacks {
    // Answers a complete request. Runs on a worker thread; may block (briefly).
    Handler handle;
    // Answers a request whose Content-Length is over limits.max_body_bytes: its head is
    // complete, its body empty and unread. Optional: a plain 413 otherwise.
    Handler too_large;
    // Called (on the I/O thread; keep it cheap) for every refused request or connection,
    // with one of: "connection_limit", "client_connection_limit", "idle_evicted",
    // "request_timeout", "write_timeout", "headers_too_large", "body_too_large",
    // "bad_request", "overloaded", "stream_limit", "slow_stream". Optional.
    std::function<void(const char* reason)> refused;
  };

  Listener(Options options, Callbacks callbacks);
  // Stop()s.
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds the address and starts the threads. kInvalid when the address is malformed or
  // cannot be bound. Call once.
  base::Status Start();
  // Stops accepting, closes every connection, and waits for running handlers to return.
  // Idempotent; safe to call without Start().
  void Stop();

  // Sends `bytes` (whole server-sent events, e.g. "data: {...}\n\n") to every open stream.
  // Any thread; returns at once (the I/O thread writes). Nothing when not started or stopped.
  void Broadcast(std::string bytes);

  // The bound port. REQUIRES: Start() succeeded.
  int port() const { return port_; }
  const Options& options() const { return options_; }

 private:
  Options options_;
  Callbacks callbacks_;
  int port_ = 0;
  std::mutex loop_mu_;  // guards loop_ against Broadcast() racing Stop()
  std::unique_ptr<IoLoop> loop_;
  std::thread thread_;
};

}  // namespace ecsync::server
