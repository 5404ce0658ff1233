#include "server/io_loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/log.h"
#include "server/socket.h"
#include "server/worker_pool.h"

namespace ecsync::server {

namespace {

using SteadyClock = IoLoop::SteadyClock;
using std::chrono::milliseconds;

constexpr size_t kReadChunk = size_t{16} * 1024;
constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = 1;
constexpr int kMaxEvents = 128;
// After a response that closes the connection, unread request bytes are drained for at most
// this long (never longer than request_timeout), so that closing does not turn into a reset
// that destroys the response before the client reads it.
constexpr milliseconds kMaxLinger{2'000};
// accept() failing for want of file descriptors: stop accepting this long, instead of
// spinning on a listening socket that stays readable.
constexpr milliseconds kAcceptPause{100};
// The longest epoll_wait, so a clock jump or a missed deadline is caught soon.
constexpr milliseconds kMaxWait{1'000};

// One send that never blocks and never raises SIGPIPE; what does not fit is dropped. For the
// short answers given just before a close.
void SendBestEffort(int fd, const std::string& bytes) {
  ssize_t ignored = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

const char* RefusalForStatus(int status) {
  switch (status) {
    case 413:
      return "body_too_large";
    case 414:
    case 431:
      return "headers_too_large";
    default:
      return "bad_request";
  }
}

}  // namespace

IoLoop::IoLoop(const Listener::Options& options, const Listener::Callbacks& callbacks,
               int listen_fd)
    : options_(options),
      callbacks_(callbacks),
      listen_fd_(listen_fd),
      pool_(options.workers, options.max_queued) {}

IoLoop::~IoLoop() {
  pool_.Stop();
  for (auto& [id, conn] : connections_) close(conn->fd);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  close(listen_fd_);
}

base::Status IoLoop::Init() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return base::InternalError(std::string("cannot set up the HTTP listener: ") +
                               std::strerror(errno));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  event.data.u64 = kListenId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &event);
  return base::Status::Ok();
}

void IoLoop::RequestStop() {
  stop_.store(true);
  Wake();
}

void IoLoop::Wake() {
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
}

void IoLoop::Refused(const char* reason) {
  if (callbacks_.refused) callbacks_.refused(reason);
}

void IoLoop::SetDeadline(Connection& conn, SteadyClock::time_point deadline) {
  conn.deadline = deadline;
  next_check_ = std::min(next_check_, deadline);
}

void IoLoop::Watch(Connection& conn, uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = conn.id;
  epoll_ctl(epoll_fd_, conn.watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, conn.fd, &event);
  conn.watched = true;
}

void IoLoop::Unwatch(Connection& conn) {
  if (conn.watched) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn.fd, nullptr);
  conn.watched = false;
}

void IoLoop::Close(Connection& conn) {
  if (conn.phase == Phase::kStreaming && --streams_ == 0) {
    next_heartbeat_ = SteadyClock::time_point::max();
  }
  Unwatch(conn);
  close(conn.fd);
  auto count = per_client_.find(conn.peer);
  if (count != per_client_.end() && --count->second == 0) per_client_.erase(count);
  connections_.erase(conn.id);
}

void IoLoop::RefuseSocket(int fd, const char* reason) {
  // Counted before the answer leaves, so a client that reads the 503 also sees it counted.
  Refused(reason);
  SendBestEffort(fd, SerializeResponse(Response::Text(503, "too many connections\n"),
                                       /*close=*/true, /*head_request=*/false));
  close(fd);
}

void IoLoop::Run() {
  epoll_event events[kMaxEvents];
  while (!stop_.load()) {
    auto now = SteadyClock::now();
    auto until = std::min(next_check_, now + kMaxWait);
    if (accept_paused_) until = std::min(until, accept_resume_);
    until = std::min(until, next_heartbeat_);
    auto wait = std::chrono::duration_cast<milliseconds>(until - now).count() + 1;
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(std::max<int64_t>(0, wait)));
    if (n < 0 && errno != EINTR) {
      base::Log(base::LogLevel::kError, "HTTP listener stopped",
                {{"listener", options_.name}, {"error", std::strerror(errno)}});
      return;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        Accept();
      } else if (id == kWakeId) {
        uint64_t count;
        ssize_t ignored = read(wake_fd_, &count, sizeof(count));
        (void)ignored;
        DrainCompletions();
      } else {
        OnEvent(id, events[i].events);
      }
    }
    now = SteadyClock::now();
    if (accept_paused_ && now >= accept_resume_) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = kListenId;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &event);
      accept_paused_ = false;
    }
    if (now >= next_check_) ExpireDeadlines(now);
    if (now >= next_heartbeat_) {
      // A comment line: keeps proxies from closing a quiet stream, and finds dead clients.
      next_heartbeat_ = now + options_.stream_heartbeat;
      SendToStreams(": keep-alive\n\n");
    }
  }
}

void IoLoop::Accept() {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_ = true;
        accept_resume_ = SteadyClock::now() + kAcceptPause;
        Refused("connection_limit");
      }
      return;  // EAGAIN: nothing more to accept
    }
    std::string address = AddressText(peer);
    auto count = per_client_.find(address);
    if (count != per_client_.end() && count->second >= options_.max_connections_per_client) {
      RefuseSocket(fd, "client_connection_limit");
      continue;
    }
    if (connections_.size() >= options_.max_connections && !EvictIdle()) {
      RefuseSocket(fd, "connection_limit");
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto conn = std::make_unique<Connection>(options_.limits);
    conn->id = next_id_++;
    conn->fd = fd;
    conn->peer = address;
    const auto now = SteadyClock::now();
    conn->idle_since = now;
    // A new connection's first request is due within request_timeout of the connect.
    SetDeadline(*conn, now + options_.request_timeout);
    Watch(*conn, EPOLLIN);
    ++per_client_[address];
    connections_.emplace(conn->id, std::move(conn));
  }
}

bool IoLoop::EvictIdle() {
  Connection* oldest = nullptr;
  for (auto& [id, conn] : connections_) {
    if (conn->phase != Phase::kReading || !conn->reader.idle()) continue;
    if (oldest == nullptr || conn->idle_since < oldest->idle_since) oldest = conn.get();
  }
  if (oldest == nullptr) return false;
  Close(*oldest);
  Refused("idle_evicted");
  return true;
}

void IoLoop::OnEvent(uint64_t id, uint32_t events) {
  auto found = connections_.find(id);
  if (found == connections_.end()) return;
  Connection& conn = *found->second;
  switch (conn.phase) {
    case Phase::kReading:
    case Phase::kLingering:
      OnReadable(conn);
      break;
    case Phase::kWriting:
      if (events & (EPOLLERR | EPOLLHUP)) {
        Close(conn);
      } else if (events & EPOLLOUT) {
        Flush(conn);
      }
      break;
    case Phase::kStreaming:
      OnStreamEvent(conn, events);
      break;
    case Phase::kHandling:
      break;  // not watched
  }
}

void IoLoop::OnReadable(Connection& conn) {
  char buffer[kReadChunk];
  for (;;) {
    ssize_t n = recv(conn.fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      if (conn.phase == Phase::kLingering) continue;  // discarded
      if (conn.waiting_idle) {
        conn.waiting_idle = false;
        SetDeadline(conn, SteadyClock::now() + options_.request_timeout);
      }
      RequestReader::State state =
          conn.reader.Feed(std::string_view(buffer, static_cast<size_t>(n)));
      if (!Advance(conn, state)) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close(conn);  // the client closed, or the connection broke
    return;
  }
}

bool IoLoop::Advance(Connection& conn, RequestReader::State state) {
  switch (state) {
    case RequestReader::State::kNeedMore:
      if (conn.reader.expects_continue() && !conn.continue_sent) {
        SendBestEffort(conn.fd, "HTTP/1.1 100 Continue\r\n\r\n");
        conn.continue_sent = true;
      }
      return true;
    case RequestReader::State::kComplete:
      Dispatch(conn, callbacks_.handle, std::move(conn.reader.mutable_request()));
      return false;
    case RequestReader::State::kError: {
      const int status = conn.reader.error_status();
      Refused(RefusalForStatus(status));
      conn.close_after = true;
      if (status == 413 && callbacks_.too_large) {
        Dispatch(conn, callbacks_.too_large, std::move(conn.reader.mutable_request()));
      } else {
        Respond(conn, Response::Text(status, conn.reader.error_reason() + "\n"), true);
      }
      return false;
    }
  }
  return false;
}

void IoLoop::Dispatch(Connection& conn, const Listener::Handler& handler, Request request) {
  conn.phase = Phase::kHandling;
  conn.deadline = SteadyClock::time_point::max();
  Unwatch(conn);
  conn.head_request = request.method == "HEAD";
  if (!request.keep_alive) conn.close_after = true;
  request.peer_address = conn.peer;
  const uint64_t id = conn.id;
  const std::string name = options_.name;
  bool queued = pool_.TrySubmit([this, id, name, &handler, request = std::move(request)] {
    Response response;
    try {
      response = handler(request);
    } catch (const std::exception& e) {
      base::Log(base::LogLevel::kError, "HTTP handler failed",
                {{"listener", name}, {"path", request.path}, {"error", e.what()}});
      response = Response::Text(500, "internal error\n");
    } catch (...) {
      base::Log(base::LogLevel::kError, "HTTP handler failed",
                {{"listener", name}, {"path", request.path}});
      response = Response::Text(500, "internal error\n");
    }
    {
      std::lock_guard<std::mutex> lock(done_mutex_);
      done_.emplace_back(id, std::move(response));
    }
    Wake();
  });
  if (!queued) {
    Refused("overloaded");
    Respond(conn, Response::Text(503, "busy; retry later\n"), true);
  }
}

void IoLoop::DrainCompletions() {
  std::vector<std::pair<uint64_t, Response>> done;
  std::vector<std::string> broadcasts;
  {
    std::lock_guard<std::mutex> lock(done_mutex_);
    done.swap(done_);
    broadcasts.swap(broadcasts_);
  }
  for (auto& [id, response] : done) {
    auto found = connections_.find(id);
    if (found == connections_.end()) continue;
    Connection& conn = *found->second;
    if (response.stream && !conn.head_request) {
      StartStream(conn, response);
    } else {
      Respond(conn, response, conn.close_after || response.close || response.stream);
    }
  }
  if (broadcasts.empty() || streams_ == 0) return;
  std::string bytes;
  for (const std::string& b : broadcasts) bytes += b;
  SendToStreams(bytes);
}

void IoLoop::Respond(Connection& conn, const Response& response, bool close) {
  conn.out = SerializeResponse(response, close, conn.head_request);
  conn.out_offset = 0;
  conn.close_after = close;
  conn.phase = Phase::kWriting;
  SetDeadline(conn, SteadyClock::now() + options_.write_timeout);
  Flush(conn);
}

void IoLoop::Flush(Connection& conn) {
  while (conn.out_offset < conn.out.size()) {
    ssize_t n = send(conn.fd, conn.out.data() + conn.out_offset, conn.out.size() - conn.out_offset,
                     MSG_NOSIGNAL);
    if (n > 0) {
      conn.out_offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A stream also listens for its client leaving.
      Watch(conn, conn.phase == Phase::kStreaming ? EPOLLIN | EPOLLOUT : EPOLLOUT);
      return;
    }
    Close(conn);
    return;
  }
  if (conn.phase == Phase::kStreaming) {
    conn.out.clear();
    conn.out_offset = 0;
    conn.deadline = SteadyClock::time_point::max();  // nothing waits: no deadline
    Watch(conn, EPOLLIN);
    return;
  }
  FinishResponse(conn);
}

void IoLoop::FinishResponse(Connection& conn) {
  conn.out.clear();
  conn.out.shrink_to_fit();
  conn.out_offset = 0;
  const auto now = SteadyClock::now();
  if (conn.close_after) {
    shutdown(conn.fd, SHUT_WR);
    conn.phase = Phase::kLingering;
    SetDeadline(conn, now + std::min(kMaxLinger, options_.request_timeout));
    Watch(conn, EPOLLIN);
    return;
  }
  conn.phase = Phase::kReading;
  conn.continue_sent = false;
  conn.head_request = false;
  conn.idle_since = now;
  RequestReader::State state = conn.reader.Next();
  conn.waiting_idle = conn.reader.idle();
  SetDeadline(conn, now + (conn.waiting_idle ? options_.idle_timeout : options_.request_timeout));
  Watch(conn, EPOLLIN);
  if (!conn.waiting_idle) Advance(conn, state);  // a pipelined request was already here
}

void IoLoop::ExpireDeadlines(SteadyClock::time_point now) {
  std::vector<Connection*> expired;
  next_check_ = SteadyClock::time_point::max();
  for (auto& [id, conn] : connections_) {
    if (conn->deadline <= now) {
      expired.push_back(conn.get());
    } else {
      next_check_ = std::min(next_check_, conn->deadline);
    }
  }
  for (Connection* conn : expired) {
    switch (conn->phase) {
      case Phase::kReading:
        if (!conn->reader.idle()) {
          Refused("request_timeout");
          SendBestEffort(conn->fd,
                         SerializeResponse(Response::Text(408, "request not received in time\n"),
                                           /*close=*/true, /*head_request=*/false));
        }
        Close(*conn);
        break;
      case Phase::kWriting:
        Refused("write_timeout");
        Close(*conn);
        break;
      case Phase::kLingering:
        Close(*conn);
        break;
      case Phase::kStreaming:
        Refused("slow_stream");
        Close(*conn);
        break;
      case Phase::kHandling:
        break;  // no deadline while a worker has it
    }
  }
}

}  // namespace ecsync::server
